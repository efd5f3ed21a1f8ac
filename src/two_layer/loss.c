/*
 * The losses of the data term (docs/algorithms.md, "Losses"): value, derivative
 * and the dual value from each loss's convex conjugate.
 *
 * With F(Yhat) = (1/N) sum_i l_i(Yhat_i) (N = n c) and the dual point
 * Theta = alpha R / N (R = dl/dyhat at the current predictions, alpha = min(1,
 * lambda N / max_g ||M_g^T R||) so that every group's constraint holds), the dual
 * value is -F*(Theta) = -(1/N) sum_i l_i*(alpha R_i):
 *   squared, Huber  l*(s) = s^2 / 2 + s y  (Huber: on |s| <= delta, where alpha R is);
 *   logistic        l*(-y p) = p log p + (1 - p) log(1 - p), p = alpha sigma(-y yhat);
 *   CE (per row)    l*(q - e_y) = sum_k q_k log q_k, q = alpha softmax + (1 - alpha) e_y.
 */
#include "two_layer.h"

#include <math.h>
#include <string.h>

const char *cvxrelu_loss_name(cvxrelu_loss loss)
{
    switch (loss) {
    case CVXRELU_LOSS_SQUARED: return "squared";
    case CVXRELU_LOSS_LOGISTIC: return "logistic";
    case CVXRELU_LOSS_CE: return "ce";
    case CVXRELU_LOSS_HUBER: return "huber";
    case CVXRELU_LOSS_AUTO: return "auto";
    }
    return "unknown";
}

static double huber_delta(double delta) { return delta > 0.0 ? delta : 1.0; }

/* log(1 + exp(-z)) without overflow */
static double log1pexp_neg(double z) { return z > 0.0 ? log1p(exp(-z)) : -z + log1p(exp(z)); }

/* the class of a one-hot row (the largest entry) */
static size_t row_class(const double *y, size_t c)
{
    size_t k = 0;
    for (size_t j = 1; j < c; j++)
        if (y[j] > y[k]) k = j;
    return k;
}

double cr_loss_residual(cvxrelu_loss loss, double delta, const double *Yhat, const double *Y,
                        double *R, size_t n, size_t c)
{
    const size_t N = n * c;
    double acc = 0.0;
    switch (loss) {
    case CVXRELU_LOSS_SQUARED:
        for (size_t i = 0; i < N; i++) {
            double r = Yhat[i] - Y[i];
            if (R) R[i] = r;
            acc += r * r;
        }
        return 0.5 * acc;
    case CVXRELU_LOSS_HUBER:
        delta = huber_delta(delta);
        for (size_t i = 0; i < N; i++) {
            double e = Yhat[i] - Y[i], a = fabs(e);
            if (a <= delta) {
                acc += 0.5 * e * e;
                if (R) R[i] = e;
            } else {
                acc += delta * a - 0.5 * delta * delta;
                if (R) R[i] = e > 0.0 ? delta : -delta;
            }
        }
        return acc;
    case CVXRELU_LOSS_LOGISTIC:
        for (size_t i = 0; i < N; i++) {
            double y = Y[i] > 0.0 ? 1.0 : -1.0, z = y * Yhat[i];
            acc += log1pexp_neg(z);
            if (R) R[i] = -y / (1.0 + exp(z)); /* -y sigma(-z) */
        }
        return acc;
    case CVXRELU_LOSS_CE:
        for (size_t i = 0; i < n; i++) {
            const double *f = Yhat + i * c;
            size_t y = row_class(Y + i * c, c), km = 0;
            for (size_t k = 1; k < c; k++)
                if (f[k] > f[km]) km = k;
            double rest = 0.0; /* sum over k != km of exp(f_k - f_max) */
            for (size_t k = 0; k < c; k++)
                if (k != km) rest += exp(f[k] - f[km]);
            acc += log1p(rest) + f[km] - f[y];
            if (R) {
                double z = 1.0 + rest;
                for (size_t k = 0; k < c; k++) R[i * c + k] = exp(f[k] - f[km]) / z - (k == y);
            }
        }
        return acc;
    case CVXRELU_LOSS_AUTO: break; /* not a loss of a problem */
    }
    return NAN;
}

static double xlogx(double p) { return p > 0.0 ? p * log(p) : 0.0; }

double cr_loss_dual_at(cvxrelu_loss loss, const double *R, const double *Y, size_t n, size_t c,
                       double alpha)
{
    const size_t N = n * c;
    const double Nd = (double)N;
    double acc = 0.0;
    switch (loss) {
    case CVXRELU_LOSS_SQUARED:
    case CVXRELU_LOSS_HUBER:
        /* -(1/N) sum (s^2/2 + s y) at s = alpha R (Huber: |alpha R| <= delta for
           alpha <= 1, R being clipped to [-delta, delta]) */
        return cr_sq_dual_at(R, Y, N, alpha);
    case CVXRELU_LOSS_LOGISTIC:
        for (size_t i = 0; i < N; i++) {
            double y = Y[i] > 0.0 ? 1.0 : -1.0;
            double p = fmin(1.0, fmax(0.0, -alpha * R[i] * y));
            acc -= xlogx(p) + xlogx(1.0 - p);
        }
        return acc / Nd;
    case CVXRELU_LOSS_CE:
        for (size_t i = 0; i < n; i++) {
            size_t y = row_class(Y + i * c, c);
            for (size_t k = 0; k < c; k++)
                acc -= xlogx(fmax(0.0, alpha * R[i * c + k] + (k == y)));
        }
        return acc / Nd;
    case CVXRELU_LOSS_AUTO: break;
    }
    return NAN;
}

double cr_loss_dual(cvxrelu_loss loss, const double *R, const double *Y, size_t n, size_t c,
                    double gmax, double lambda)
{
    const double Nd = (double)(n * c);
    double alpha = 1.0;
    if (gmax > 0.0 && lambda * Nd < gmax) alpha = lambda * Nd / gmax;
    return cr_loss_dual_at(loss, R, Y, n, c, alpha);
}

double cr_loss_dual_best(cvxrelu_loss loss, const double *R, const double *Y, size_t n,
                         size_t c, double amax)
{
    /* the dual value is concave in alpha (minus a convex conjugate along a ray):
       golden-section search, then the best point seen (every one is a valid bound) */
    if (loss != CVXRELU_LOSS_SQUARED) amax = fmin(amax, 1.0); /* the conjugates' domains */
    if (!(amax > 0.0)) return cr_loss_dual_at(loss, R, Y, n, c, 0.0);
    const double gr = 0.5 * (sqrt(5.0) - 1.0);
    double a = 0.0, b = amax, x1 = b - gr * (b - a), x2 = a + gr * (b - a);
    double f1 = cr_loss_dual_at(loss, R, Y, n, c, x1), f2 = cr_loss_dual_at(loss, R, Y, n, c, x2);
    double best = fmax(fmax(f1, f2), fmax(cr_loss_dual_at(loss, R, Y, n, c, 0.0),
                                          cr_loss_dual_at(loss, R, Y, n, c, amax)));
    for (int it = 0; it < 80; it++) {
        if (f1 < f2) {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + gr * (b - a);
            f2 = cr_loss_dual_at(loss, R, Y, n, c, x2);
            best = fmax(best, f2);
        } else {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - gr * (b - a);
            f1 = cr_loss_dual_at(loss, R, Y, n, c, x1);
            best = fmax(best, f1);
        }
    }
    return best;
}

double cr_loss_smoothness(cvxrelu_loss loss)
{
    /* the largest second derivative of the loss (the largest eigenvalue of the
       Hessian of log-sum-exp is at most 1/2) */
    switch (loss) {
    case CVXRELU_LOSS_LOGISTIC: return 0.25;
    case CVXRELU_LOSS_CE: return 0.5;
    case CVXRELU_LOSS_SQUARED:
    case CVXRELU_LOSS_HUBER:
    case CVXRELU_LOSS_AUTO: break;
    }
    return 1.0;
}

double cr_lambda_max_at_zero(cvxrelu_solver *s, double *Z, double *R, double *G)
{
    /* the largest group gradient at zero predictions (squared loss: R = -Y) */
    memset(Z, 0, s->n * s->c * sizeof(double));
    cr_data_term(s, Z, R);
    cr_backward(s, R, G);
    return cr_max_group_norm(G, s->m, s->d) / s->N;
}

double cvxrelu_loss_eval(const cvxrelu_problem *pb, const double *Yhat, double *R)
{
    if (!pb || !Yhat || !pb->Y || pb->n == 0 || pb->c == 0) return NAN;
    return cr_loss_residual(pb->loss, pb->huber_delta, Yhat, pb->Y, R, pb->n, pb->c) /
           (double)(pb->n * pb->c);
}

cvxrelu_status cr_loss_check(const cvxrelu_problem *pb, cvxrelu_error *err)
{
    const size_t n = pb->n, c = pb->c;
    switch (pb->loss) {
    case CVXRELU_LOSS_SQUARED: return CVXRELU_OK;
    case CVXRELU_LOSS_HUBER:
        if (!(pb->huber_delta >= 0.0) || !isfinite(pb->huber_delta))
            return cr_fail(err, CVXRELU_ERR_INVALID,
                           "solver: the Huber loss's delta must be a finite number > 0 (0: 1)");
        break;
    case CVXRELU_LOSS_LOGISTIC:
        if (c != 1)
            return cr_fail(err, CVXRELU_ERR_INVALID,
                           "solver: the logistic loss is for two classes (one output); this "
                           "problem has %zu outputs (use the ce loss)", c);
        for (size_t i = 0; i < n; i++)
            if (pb->Y[i] != 1.0 && pb->Y[i] != -1.0)
                return cr_fail(err, CVXRELU_ERR_INVALID,
                               "solver: the logistic loss needs targets -1 or +1; row %zu has %g",
                               i + 1, pb->Y[i]);
        break;
    case CVXRELU_LOSS_CE:
        if (c < 2)
            return cr_fail(err, CVXRELU_ERR_INVALID,
                           "solver: the ce loss is for two or more one-hot outputs; this problem "
                           "has one (use the logistic loss)");
        for (size_t i = 0; i < n; i++) {
            double sum = 0.0;
            for (size_t k = 0; k < c; k++) {
                double v = pb->Y[i * c + k];
                if (v != 0.0 && v != 1.0) sum = NAN;
                sum += v;
            }
            if (sum != 1.0)
                return cr_fail(err, CVXRELU_ERR_INVALID,
                               "solver: the ce loss needs one-hot target rows; row %zu is not", i + 1);
        }
        break;
    default: return cr_fail(err, CVXRELU_ERR_INVALID, "solver: unknown loss %d", (int)pb->loss);
    }
    return CVXRELU_OK;
}

cvxrelu_loss cvxrelu_train_loss(const cvxrelu_train_settings *s, cvxrelu_task task, size_t c)
{
    if (s->loss != CVXRELU_LOSS_AUTO) return s->loss;
    const int any = s->program == CVXRELU_TRAIN_GATED || s->program == CVXRELU_TRAIN_RELU ||
                    s->program == CVXRELU_TRAIN_LOCAL;
    if (!any || task != CVXRELU_TASK_CLASSIFICATION) return CVXRELU_LOSS_SQUARED;
    return c == 1 ? CVXRELU_LOSS_LOGISTIC : CVXRELU_LOSS_CE;
}
