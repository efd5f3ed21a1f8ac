/*
 * Local (non-convex) training of the two-layer ReLU network (docs/algorithms.md, "Certificates for the non-convex problem", [KP24]):
 * full-batch GD, minibatch SGD and Adam with weight decay lambda/2 on both
 * layers, and the activation-pattern statistics of the neurons against their
 * initial patterns.  This file holds the network's kernels; the optimizer
 * loop and the statistics, shared with the three-layer trainer, are in
 * common.c.  The big products are GEMMs over blocks of rows; the
 * scalar loops touch only rows x neurons.
 */
#include "local.h"
#include "two_layer.h" /* the losses (src/two_layer/loss.c) */

#include <cblas.h>
#include <math.h>
#include <string.h>

/* Network shape and the block workspace. */
typedef struct {
    size_t d, c, width, cm;
    size_t nb;   /* rows per block of a full-data pass */
    double *Z;   /* rows x cm: pre-activations, then the back-propagated signal */
    double *R;   /* rows x c: the loss derivatives (squared loss: residuals) */
    double *F;   /* rows x c: the outputs */
    cvxrelu_loss loss;
    double delta;
} net;

/*
 * One block of `rows` rows at theta = [W (cm x d); a (cm)]: Z = Xb W^T, the
 * outputs f and R = the loss derivative at f (squared loss: f - Yb); returns twice
 * the sum of the losses (squared loss: ||f - Yb||^2).  With grad = [gW; ga], adds
 * gscale times the gradient of that sum: ga_j += gscale sum_r (z_rj)_+ R_{r,k(j)}
 * and gW += gscale G^T Xb with G_rj = 1[z_rj > 0] R_{r,k(j)} a_j (G overwrites Z).
 * Without grad, Z keeps the pre-activations.
 */
static double block_pass(const void *p, const double *Xb, const double *Yb, size_t rows,
                         const double *theta, double gscale, double *grad)
{
    const net *nt = p;
    const size_t d = nt->d, c = nt->c, width = nt->width, cm = nt->cm;
    const double *W = theta, *a = theta + cm * d;
    double *Z = nt->Z, *R = nt->R, *F = nt->F;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)cm, (int)d, 1.0, Xb,
                (int)d, W, (int)d, 0.0, Z, (int)cm);
    for (size_t r = 0; r < rows; r++) {
        const double *z = Z + r * cm;
        for (size_t k = 0; k < c; k++) {
            double f = 0.0;
            for (size_t j = k * width; j < (k + 1) * width; j++)
                if (z[j] > 0.0) f += a[j] * z[j];
            F[r * c + k] = f;
        }
    }
    const double sq = 2.0 * cr_loss_residual(nt->loss, nt->delta, F, Yb, R, rows, c);
    if (!grad) return sq;
    double *gW = grad, *ga = grad + cm * d;
    for (size_t r = 0; r < rows; r++) {
        double *z = Z + r * cm;
        for (size_t k = 0; k < c; k++) {
            double e = gscale * R[r * c + k];
            for (size_t j = k * width; j < (k + 1) * width; j++) {
                if (z[j] > 0.0) {
                    ga[j] += e * z[j];
                    z[j] = e * a[j];
                } else {
                    z[j] = 0.0;
                }
            }
        }
    }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)cm, (int)d, (int)rows, 1.0, Z,
                (int)cm, Xb, (int)d, 1.0, gW, (int)d);
    return sq;
}

/* Gaussian init: all of W row by row, w ~ N(0, init_scale^2 / d I), then a,
   a_j ~ N(0, init_scale^2 / width). */
static void init_weights(const void *p, double init_scale, cr_rng *rng, double *theta)
{
    const net *nt = p;
    const size_t cmd = nt->cm * nt->d;
    double *W = theta, *a = theta + cmd;
    const double sw = init_scale / sqrt((double)nt->d), sa = init_scale / sqrt((double)nt->width);
    for (size_t i = 0; i < cmd; i++) W[i] = sw * cr_rng_normal(rng);
    for (size_t j = 0; j < nt->cm; j++) a[j] = sa * cr_rng_normal(rng);
}

/* The network for the shared kernels and optimizer; the weight decay covers
   all of theta, the patterns are those of all cm neurons. */
static cr_local_net as_local_net(const net *nt)
{
    cr_local_net ln = {.net = nt, .name = "local", .d = nt->d, .c = nt->c, .nb = nt->nb,
                       .P = nt->cm * (nt->d + 1), .decay_from = 0, .neurons = nt->cm,
                       .Z = nt->Z, .block = block_pass, .init = init_weights, .project = NULL};
    return ln;
}

cvxrelu_status cr_local_objective_grad(const double *X, const double *Y, size_t n, size_t d,
                                       size_t c, size_t width, const double *W, const double *a,
                                       double lambda, double *gW, double *ga, double *loss,
                                       double *penalty)
{
    const size_t cm = c * width, cmd = cm * d;
    net nt = {d, c, width, cm, cr_local_block_rows(n, cm), NULL, NULL, NULL,
              CVXRELU_LOSS_SQUARED, 1.0};
    nt.Z = cr_malloc(nt.nb, cm * sizeof(double));
    nt.R = cr_malloc(nt.nb, c * sizeof(double));
    nt.F = cr_malloc(nt.nb, c * sizeof(double));
    cvxrelu_status st = CVXRELU_ERR_NOMEM;
    if (nt.Z && nt.R && nt.F) {
        const cr_local_net ln = as_local_net(&nt);
        const double *const part[2] = {W, a};
        double *const gpart[2] = {gW, ga};
        const size_t len[2] = {cmd, cm};
        st = cr_local_objective_parts(&ln, X, Y, n, part, gW ? gpart : NULL, len, 2, lambda,
                                      loss, penalty);
    }
    free(nt.Z);
    free(nt.R);
    free(nt.F);
    return st;
}

cvxrelu_status cvxrelu_local_train(const cvxrelu_problem *pb, const cvxrelu_local_settings *s,
                                   double **W_out, double **a_out, cvxrelu_local_result *res,
                                   cvxrelu_error *err)
{
    if (W_out) *W_out = NULL;
    if (a_out) *a_out = NULL;
    if (res) memset(res, 0, sizeof *res);
    if (!pb || !pb->X || !pb->Y || !W_out || !a_out || !res)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local: the problem (X, Y), W_out, a_out and res are required");
    const double *X = pb->X, *Y = pb->Y;
    size_t n = pb->n, d = pb->d, c = pb->c;
    if (n == 0 || d == 0 || c == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local: empty problem (n=%zu, d=%zu, c=%zu): each must be >= 1", n, d, c);
    cvxrelu_local_settings def;
    if (!s) {
        cvxrelu_local_settings_default(&def);
        s = &def;
    }
    cvxrelu_status st = cr_local_check_settings(s, "local", 1, err);
    if (st) return st;
    size_t cm, cmd, nc, nd, P;
    if (cr_mul_ok(c, s->width, &cm) || cr_mul_ok(cm, d, &cmd) || cr_mul_ok(n, c, &nc) ||
        cr_mul_ok(n, d, &nd) || cr_mul_ok(cm, d + 1, &P) || cm > (size_t)INT32_MAX ||
        n > (size_t)INT32_MAX || d > (size_t)INT32_MAX || P > (size_t)INT32_MAX)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local: problem dimensions overflow (n=%zu, d=%zu, c=%zu, width=%zu)", n,
                       d, c, s->width);
    st = cr_local_check_data(X, Y, n, d, c, "local", err);
    if (!st) st = cr_loss_check(pb, err); /* the targets the loss needs */
    if (st) return st;

    const size_t b = cr_local_minibatch(s, n);
    cr_loop loop; /* one iteration per step, from here (the setup counts) */
    cr_loop_start(&loop, s->interrupt, s->time_limit_s, s->steps);
    net nt = {d, c, s->width, cm, cr_local_block_rows(n, cm), NULL, NULL, NULL, pb->loss,
              pb->huber_delta > 0.0 ? pb->huber_delta : 1.0};
    const size_t wrows = b > nt.nb ? b : nt.nb; /* a minibatch may exceed a block */
    nt.Z = cr_malloc(wrows, cm * sizeof(double));
    nt.R = cr_malloc(wrows, c * sizeof(double));
    nt.F = cr_malloc(wrows, c * sizeof(double));
    st = CVXRELU_ERR_NOMEM;
    if (nt.Z && nt.R && nt.F) {
        const cr_local_net ln = as_local_net(&nt);
        double **const out[2] = {W_out, a_out};
        const size_t len[2] = {cmd, cm};
        st = cr_local_run(&ln, X, Y, n, s, &loop, out, len, 2, res, err);
    }
    free(nt.Z);
    free(nt.R);
    free(nt.F);
    if (st == CVXRELU_ERR_NOMEM)
        return cr_fail(err, CVXRELU_ERR_NOMEM, "local: out of memory (n=%zu, d=%zu, %zu neurons)",
                       n, d, cm);
    return st;
}
