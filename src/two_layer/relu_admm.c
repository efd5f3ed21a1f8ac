/*
 * Exact ReLU training by ADMM (docs/algorithms.md, "Solvers of the exact program"): the
 * cone-constrained group lasso
 *
 *   min f(u) + lambda sum_g ||v_g||   s.t.  u_g = v_g,  A_i Xs u_g = s_g,  s_g >= 0,
 *
 * f the data term, Xs = X / sigma (sigma^2 = ||X||_F^2 / d, so that Xs^T Xs has mean
 * eigenvalue 1), group g = 2 (i c + k) + (0: v_ik, 1: w_ik), sign sg = +1 / -1.  With scaled
 * duals a (for u = v) and b (for the slacks) and over-relaxation alpha, one iteration is
 *
 *   u   = argmin f(u) + rho/2 sum_g ||u_g - v_g + a_g||^2 + ||A_i Xs u_g - s_g + b_g||^2
 *   uh  = alpha u + (1 - alpha) v,   gh = alpha A Xs u + (1 - alpha) s
 *   v   = shrink(uh + a, lambda / rho),   s = max(0, gh + b)
 *   a  += uh - v,   b += gh - s.
 *
 * Because A_i^2 = I, ||A_i Xs u - s + b|| = ||Xs u - A_i (s - b)||: every group's quadratic
 * is rho u^T M u with the same M = I + Xs^T Xs, whatever its pattern.  The data term couples
 * the groups of one output through F = [sg D_i X]_g: the u-step solves
 * (rho blkdiag(M) + F^T F / N) u = r, and by Woodbury
 *
 *   w = M^{-1} r / rho,   t = T^{-1} F w,   u_g = w_g - sg M^{-1} X^T D_i t_k / rho,
 *   T = N I + (2 / rho) (X M^{-1} X^T) o (S S^T)          (n x n, the same for every output)
 *
 * (S the n x P pattern matrix, o the entrywise product), and the predictions of u are N t.
 * Each iteration is four GEMMs of about m n d / 2 to m n d multiply-adds (m = 2 P c groups):
 * r from the slacks, F w, X^T D_i t and Xs u, plus one pass over the m x n slacks.
 * rho is balanced against the residuals every few iterations; T is refactored only when
 * rho moves by more than a factor ADMM_RHO_JUMP.
 *
 * Certificate: the slacks' multipliers mu_g = -rho b_g / sigma >= 0 make
 * h_g = sg X^T D_i Theta_k + tau_g X^T A_i mu_g (Theta = -R / N, tau_g >= 0 chosen per
 * group to minimize ||h_g||) a dual-feasible direction once Theta is scaled so that
 * max_g ||h_g|| <= lambda: a dual bound from two GEMMs.  The final certificate and the
 * repair (projection of the violated groups, then the move along the interior gates) are
 * those of projected R-FISTA (src/two_layer/relu.h); its cone-projected dual is computed
 * at the end only when the multipliers' bound came within ADMM_EXACT_NEAR times the
 * tolerance without certifying it, and lambda_max is not computed (NaN).
 *
 * Losses other than squared (docs/algorithms.md, "Losses"): the u-step takes the loss's
 * quadratic majorizer at the last u iterate's predictions z0 (its curvature L the loss's
 * largest second derivative), (L / (2N)) ||F u - y0||^2 + const with y0 = z0 - R0 / L (R0
 * the derivative at z0): the same linear system with T = N I + (2 L / rho) G, the
 * correction scaled by L, and Fy = L F^T y0 / N formed again each iteration (one more
 * product).  This is a majorized ADMM; the certificate does not depend on it.
 */
#include "relu.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* LAPACK (provided by OpenBLAS), Fortran calling convention; dpotrf_ and dpotrs_ in
   two_layer.h. */
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t);

#define ADMM_ALPHA 1.6      /* over-relaxation */
#define ADMM_CHECK_EVERY 10 /* iterations between certificates and rho updates */
#define ADMM_RHO_JUMP 5.0   /* refactor T when rho would move by more than this */
#define ADMM_MAX_REFACTOR 30
#define ADMM_EXACT_NEAR 100.0

typedef struct {
    cr_relu_cert cert;
    double sigma, rho, rho0;
    size_t refactors;
    double *Minv;          /* d x d: (I + Xs^T Xs)^{-1} */
    double *G;             /* n x n: (X M^{-1} X^T) o (S S^T) */
    double *T;             /* n x n: Cholesky factor of N I + (2 / rho) G (lower, column-major) */
    double *S;             /* n x P: the patterns as 0 / 1 */
    double *Fy;            /* m x d: sg X^T D_i Y_k / N */
    double *V, *Au, *Uu, *Rhs, *Vold; /* m x d: v, a, u, scratch, previous v */
    double *Q;             /* P c x d */
    double *DW;            /* P x c d: w_v - w_w */
    double *H;             /* n x c d */
    double *E, *B, *Zu;    /* m x n: A (s - b), b, Xs u */
    double *t;             /* c x n (output-major) */
    double *Yv, *R;        /* n x c */
    double *Zp;            /* n x c: the u iterate's predictions (losses other than squared) */
    double L;              /* the loss's largest second derivative (1: squared) */
    double *TX;            /* n x d scratch */
    double *H0, *Hq;       /* P c x d, m x d: the dual's directions */
    size_t since_check;
    double last_gap, last_obj; /* of the last certified evaluation */
} admm_state;

static void admm_free(void *p)
{
    admm_state *st = p;
    if (!st) return;
    cr_relu_cert_free(&st->cert);
    void *bufs[] = {st->Minv, st->G, st->T, st->S, st->Fy, st->V, st->Au, st->Uu, st->Rhs,
                    st->Vold, st->Q, st->DW, st->H, st->E, st->B, st->Zu, st->t, st->Yv,
                    st->R, st->TX, st->H0, st->Hq, st->Zp};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    free(st);
}

static int stop_check(cvxrelu_solver *s) { return s->stopped = cr_loop_check(&s->loop); }

static void gemm(cvxrelu_solver *s, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, size_t M, size_t N,
                 size_t K, double alpha, const double *A, size_t lda, const double *B, size_t ldb,
                 double beta, double *C, size_t ldc)
{
    double t0 = cr_now();
    cblas_dgemm(CblasRowMajor, ta, tb, (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb,
                beta, C, (int)ldc);
    s->gemm_time += cr_now() - t0;
}

/* out (P c x d), row i c + k = scale X^T D_i vec_k for vec c x n (output-major):
   S^T (vec_k o X) for each output, one GEMM each. */
static void masked_xt(cvxrelu_solver *s, admm_state *st, const double *vec, double scale,
                      double *out)
{
    const size_t n = s->n, d = s->d, c = s->c, P = s->P;
    for (size_t k = 0; k < c; k++) {
        const double *vk = vec + k * n;
        for (size_t j = 0; j < n; j++)
            for (size_t l = 0; l < d; l++) st->TX[j * d + l] = vk[j] * s->X[j * d + l];
        gemm(s, CblasTrans, CblasNoTrans, P, d, n, scale, st->S, P, st->TX, d, 0.0, out + k * d,
             c * d);
    }
}

/* T = chol(N I + (2 L / rho) G); 0, or -1 when LAPACK fails */
static int factor_T(cvxrelu_solver *s, admm_state *st)
{
    const size_t n = s->n;
    const double f = 2.0 * st->L / st->rho;
    double t0 = cr_now();
    for (size_t i = 0; i < n * n; i++) st->T[i] = f * st->G[i];
    for (size_t j = 0; j < n; j++) st->T[j * n + j] += s->N;
    int nn = (int)n, info = 0;
    dpotrf_("L", &nn, st->T, &nn, &info, 1);
    s->gemm_time += cr_now() - t0;
    return info ? -1 : 0;
}

/* Xs U^T for the m groups into Z (m x n) */
static void products_s(cvxrelu_solver *s, admm_state *st, const double *U, double *Z)
{
    gemm(s, CblasNoTrans, CblasTrans, s->m, s->n, s->d, 1.0 / st->sigma, U, s->d, s->X, s->d,
         0.0, Z, s->n);
    s->matvecs++;
}

/* The bound from the slacks' multipliers at residual R (n x c) of the v iterate. */
static void multiplier_dual(cvxrelu_solver *s, admm_state *st, const double *R)
{
    const size_t n = s->n, d = s->d, c = s->c, m = s->m;
    cr_relu_cert *ct = &st->cert;
    /* H0 = X^T D_i Theta_k, Theta = -R / N */
    for (size_t k = 0; k < c; k++)
        for (size_t j = 0; j < n; j++) st->t[k * n + j] = R[j * c + k];
    masked_xt(s, st, st->t, -1.0 / s->N, st->H0);
    /* Hq_g = X^T A_i mu_g, mu_g = max(0, -rho b_g / sigma) */
    const double f = -st->rho / st->sigma;
    for (size_t g = 0; g < m; g++) {
        const double *a = ct->sign + (g / (2 * c)) * n, *b = st->B + g * n;
        double *mt = ct->Mt + g * n;
        for (size_t j = 0; j < n; j++) {
            double mu = f * b[j];
            mt[j] = mu > 0.0 ? a[j] * mu : 0.0;
        }
    }
    gemm(s, CblasNoTrans, CblasNoTrans, m, d, n, 1.0, ct->Mt, n, s->X, d, 0.0, st->Hq, d);
    s->matvecs += 2;
    double gmax = 0.0;
    for (size_t g = 0; g < m; g++) {
        const double sg = (g & 1) ? -1.0 : 1.0;
        const double *h0 = st->H0 + (g / 2) * d, *q = st->Hq + g * d;
        double hq = 0.0, qq = 0.0, hh = 0.0;
        for (size_t l = 0; l < d; l++) {
            hq += sg * h0[l] * q[l];
            qq += q[l] * q[l];
            hh += h0[l] * h0[l];
        }
        double tau = qq > 0.0 && hq < 0.0 ? -hq / qq : 0.0;
        double v2 = hh + 2.0 * tau * hq + tau * tau * qq;
        /* rounding: never below the exact minimum's floor of 0, never above hh */
        double v = sqrt(fmax(0.0, fmin(v2, hh)));
        if (v > gmax) gmax = v;
    }
    double dual = cr_loss_dual(s->loss, R, s->Y, n, c, gmax * s->N, s->set.lambda);
    if (dual > ct->best_dual) ct->best_dual = dual;
}

/* Fy_g = sg X^T D_i Y0_k L / N for targets Y0 (n x c): the data term's linear part */
static void form_fy(cvxrelu_solver *s, admm_state *st, const double *Y0)
{
    const size_t n = s->n, d = s->d, c = s->c, m = s->m;
    for (size_t k = 0; k < c; k++)
        for (size_t j = 0; j < n; j++) st->t[k * n + j] = Y0[j * c + k];
    masked_xt(s, st, st->t, st->L / s->N, st->Q);
    for (size_t g = 0; g < m; g++) {
        const double sg = (g & 1) ? -1.0 : 1.0;
        for (size_t l = 0; l < d; l++) st->Fy[g * d + l] = sg * st->Q[(g / 2) * d + l];
    }
}

/* Losses other than squared: the majorizer's targets y0 = z0 - R0 / L at the u iterate's
   predictions z0 (Zp), into R (scratch), then Fy from them. */
static void majorize(cvxrelu_solver *s, admm_state *st)
{
    const size_t nc = s->n * s->c;
    cr_data_term(s, st->Zp, st->R); /* R: the derivative at z0 */
    for (size_t i = 0; i < nc; i++) st->R[i] = st->Zp[i] - st->R[i] / st->L;
    form_fy(s, st, st->R);
}

/* Objective, violation and dual at the v iterate (Z = X V^T into cert.Zy). */
static void evaluate_v(cvxrelu_solver *s, admm_state *st, cvxrelu_iterate_info *info)
{
    cr_relu_cert *ct = &st->cert;
    const size_t m = s->m, d = s->d;
    cr_relu_products(s, st->V, m, ct->Zy, 0);
    cr_relu_predictions_upto(s, ct->Zy, st->Yv, m);
    double loss = cr_data_term(s, st->Yv, st->R);
    multiplier_dual(s, st, st->R);
    size_t active;
    info->objective = loss + s->set.lambda * cr_group_norm_sum(st->V, m, d, &active);
    info->active = active;
    info->violation = cr_relu_violation(s, ct, st->V, ct->Zy);
    info->dual = ct->best_dual;
    info->gap = info->violation <= s->set.tol_feas ? info->objective - ct->best_dual : INFINITY;
    info->uncertified = 0;
    st->last_gap = info->gap;
    st->last_obj = info->objective;
}

static cvxrelu_status admm_init(cvxrelu_solver *s, void **state, cvxrelu_iterate_info *info)
{
    const size_t n = s->n, d = s->d, m = s->m, P = s->P, c = s->c, nc = n * c;
    admm_state *st = calloc(1, sizeof *st);
    if (!st) return CVXRELU_ERR_NOMEM;
    int ok = cr_relu_cert_init(s, &st->cert) == CVXRELU_OK;
    double **md_b[] = {&st->Fy, &st->V, &st->Au, &st->Uu, &st->Rhs, &st->Vold, &st->Hq};
    for (size_t i = 0; i < 7; i++) ok &= (*md_b[i] = cr_malloc(m, d * sizeof(double))) != NULL;
    double **mn_b[] = {&st->E, &st->B, &st->Zu};
    for (size_t i = 0; i < 3; i++) ok &= (*mn_b[i] = cr_malloc(m, n * sizeof(double))) != NULL;
    ok &= (st->Minv = cr_malloc(d, d * sizeof(double))) != NULL;
    ok &= (st->G = cr_malloc(n, n * sizeof(double))) != NULL;
    ok &= (st->T = cr_malloc(n, n * sizeof(double))) != NULL;
    ok &= (st->S = cr_malloc(n, P * sizeof(double))) != NULL;
    ok &= (st->Q = cr_malloc(P * c, d * sizeof(double))) != NULL;
    ok &= (st->H0 = cr_malloc(P * c, d * sizeof(double))) != NULL;
    ok &= (st->DW = cr_malloc(P, c * d * sizeof(double))) != NULL;
    ok &= (st->H = cr_malloc(n, c * d * sizeof(double))) != NULL;
    ok &= (st->t = cr_malloc(c, n * sizeof(double))) != NULL;
    ok &= (st->Yv = cr_malloc(nc, sizeof(double))) != NULL;
    ok &= (st->R = cr_malloc(nc, sizeof(double))) != NULL;
    ok &= (st->TX = cr_malloc(n, d * sizeof(double))) != NULL;
    st->L = cr_loss_smoothness(s->loss);
    if (s->loss != CVXRELU_LOSS_SQUARED) ok &= (st->Zp = cr_malloc(nc, sizeof(double))) != NULL;
    if (!ok) {
        admm_free(st);
        return CVXRELU_ERR_NOMEM;
    }
    *state = st;
    st->last_gap = INFINITY;
    cr_relu_cert *ct = &st->cert;
    memcpy(st->V, s->U, m * d * sizeof(double));
    memcpy(st->Uu, s->U, m * d * sizeof(double));
    memset(st->Au, 0, m * d * sizeof(double));
    info->dual = ct->best_dual;
    info->gap = INFINITY;

    /* sigma, M^{-1} = (I + X^T X / sigma^2)^{-1} */
    double fro = 0.0;
    for (size_t i = 0; i < n * d; i++) fro += s->X[i] * s->X[i];
    st->sigma = fro > 0.0 ? sqrt(fro / (double)d) : 1.0;
    const double is2 = 1.0 / (st->sigma * st->sigma);
    double t0 = cr_now();
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)d, (int)n, is2, s->X, (int)d, 0.0,
                st->Minv, (int)d);
    for (size_t l = 0; l < d; l++) st->Minv[l * d + l] += 1.0;
    int dd = (int)d, inf = 0;
    dpotrf_("U", &dd, st->Minv, &dd, &inf, 1); /* row-major lower = column-major upper */
    if (!inf) dpotri_("U", &dd, st->Minv, &dd, &inf, 1);
    s->gemm_time += cr_now() - t0;
    if (inf) return CVXRELU_ERR_NUMERIC;
    for (size_t p = 0; p < d; p++)
        for (size_t q = 0; q < p; q++) st->Minv[q * d + p] = st->Minv[p * d + q];
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < P; i++) st->S[j * P + i] = ct->sign[i * n + j] > 0.0 ? 1.0 : 0.0;
    /* the slacks at the start: s = max(0, A Xs U), b = 0 */
    products_s(s, st, st->Uu, st->Zu);
    for (size_t g = 0; g < m; g++) {
        const double *a = ct->sign + (g / (2 * c)) * n;
        for (size_t j = 0; j < n; j++) {
            double az = a[j] * st->Zu[g * n + j];
            st->E[g * n + j] = az > 0.0 ? a[j] * az : 0.0;
            st->B[g * n + j] = 0.0;
        }
    }
    if (stop_check(s)) return CVXRELU_OK;
    /* G = (X M^{-1} X^T) o (S S^T): K into G, S S^T into T (scratch) */
    gemm(s, CblasNoTrans, CblasNoTrans, n, d, d, 1.0, s->X, d, st->Minv, d, 0.0, st->TX, d);
    gemm(s, CblasNoTrans, CblasTrans, n, n, d, 1.0, st->TX, d, s->X, d, 0.0, st->G, n);
    if (stop_check(s)) return CVXRELU_OK;
    gemm(s, CblasNoTrans, CblasTrans, n, n, P, 1.0, st->S, P, st->S, P, 0.0, st->T, n);
    for (size_t i = 0; i < n * n; i++) st->G[i] *= st->T[i];
    if (stop_check(s)) return CVXRELU_OK;
    /* rho at the scale of the data term's curvature in one group, sigma^2 / (2 N) */
    st->rho0 = st->rho = s->set.step_init > 0.0 ? s->set.step_init : st->sigma * st->sigma / s->N;
    if (factor_T(s, st)) return CVXRELU_ERR_NUMERIC;
    if (stop_check(s)) return CVXRELU_OK;
    /* Fy_g = sg X^T D_i Y_k / N (squared loss: once; the others: each iteration, from the
       u iterate's predictions, here those of the start) */
    if (st->Zp) {
        cr_relu_products(s, st->Uu, m, ct->Zy, 0);
        cr_relu_predictions_upto(s, ct->Zy, st->Zp, m);
    } else {
        form_fy(s, st, s->Y);
    }
    if (stop_check(s)) return CVXRELU_OK;
    /* a warm start gets the cone-projected certificate at once: a solution stops here */
    if (cr_group_norm_sum(s->U, m, d, NULL) > 0.0) {
        evaluate_v(s, st, info);
        if (info->gap > s->set.tol * fmax(1.0, fabs(info->objective)) &&
            info->violation <= s->set.tol_feas && !stop_check(s)) {
            if (!cr_relu_loss_gradient(s, ct, st->R)) cr_relu_dual_update(s, ct, st->R);
            info->dual = ct->best_dual;
            info->gap = info->objective - ct->best_dual;
            st->last_gap = info->gap;
        }
    } else {
        evaluate_v(s, st, info);
    }
    info->step = st->rho;
    return CVXRELU_OK;
}

static cvxrelu_status admm_iterate(cvxrelu_solver *s, void *state, cvxrelu_iterate_info *info,
                                   int *stalled)
{
    admm_state *st = state;
    cr_relu_cert *ct = &st->cert;
    const size_t n = s->n, d = s->d, m = s->m, P = s->P, c = s->c, md = m * d;
    const double rho = st->rho, sigma = st->sigma, al = ADMM_ALPHA;
    (void)stalled;

    if (st->Zp) majorize(s, st); /* Fy of the loss's majorizer at the u iterate */
    /* r = rho (v - a) + rho Xs^T E + Fy, then w = M^{-1} r / rho */
    for (size_t i = 0; i < md; i++) st->Rhs[i] = rho * (st->V[i] - st->Au[i]) + st->Fy[i];
    gemm(s, CblasNoTrans, CblasNoTrans, m, d, n, rho / sigma, st->E, n, s->X, d, 1.0, st->Rhs,
         d);
    gemm(s, CblasNoTrans, CblasNoTrans, m, d, d, 1.0 / rho, st->Rhs, d, st->Minv, d, 0.0, st->Uu,
         d);
    if (stop_check(s)) return CVXRELU_OK;
    /* p_k = F_k w: rows of X against S (w_v - w_w) */
    for (size_t ik = 0; ik < P * c; ik++)
        for (size_t l = 0; l < d; l++)
            st->DW[ik * d + l] = st->Uu[2 * ik * d + l] - st->Uu[(2 * ik + 1) * d + l];
    gemm(s, CblasNoTrans, CblasNoTrans, n, c * d, P, 1.0, st->S, P, st->DW, c * d, 0.0, st->H,
         c * d);
    for (size_t j = 0; j < n; j++)
        for (size_t k = 0; k < c; k++)
            st->t[k * n + j] = cblas_ddot((int)d, s->X + j * d, 1, st->H + j * c * d + k * d, 1);
    /* t = T^{-1} p */
    {
        int nn = (int)n, cc = (int)c, inf = 0;
        double t0 = cr_now();
        dpotrs_("L", &nn, &cc, st->T, &nn, st->t, &nn, &inf, 1);
        s->gemm_time += cr_now() - t0;
        if (inf) return CVXRELU_ERR_NUMERIC;
    }
    /* u_g = w_g - L sg M^{-1} X^T D_i t_k / rho */
    masked_xt(s, st, st->t, 1.0, st->H0);
    gemm(s, CblasNoTrans, CblasNoTrans, P * c, d, d, st->L / rho, st->H0, d, st->Minv, d, 0.0,
         st->Q, d);
    for (size_t g = 0; g < m; g++) {
        const double sg = (g & 1) ? -1.0 : 1.0;
        cblas_daxpy((int)d, -sg, st->Q + (g / 2) * d, 1, st->Uu + g * d, 1);
    }
    products_s(s, st, st->Uu, st->Zu);
    s->matvecs += 3;
    if (stop_check(s)) return CVXRELU_OK; /* v is unchanged: the iterate stands */

    /* v = shrink(uh + a), a += uh - v, in d-space */
    memcpy(st->Vold, st->V, md * sizeof(double));
    const double thr = s->set.lambda / rho;
    double du2 = 0.0, uu = 0.0, vv = 0.0, aa = 0.0, dv2 = 0.0, unorm = 0.0;
    for (size_t g = 0; g < m; g++) {
        double *v = st->V + g * d, *a = st->Au + g * d;
        const double *u = st->Uu + g * d;
        double nz = 0.0, nu = 0.0;
        for (size_t l = 0; l < d; l++) {
            double uh = al * u[l] + (1.0 - al) * v[l];
            v[l] = uh + a[l]; /* z = uh + a, then v = shrink(z) and a = z - v */
            nz += v[l] * v[l];
            nu += u[l] * u[l];
        }
        nz = sqrt(nz);
        unorm += sqrt(nu);
        double f = nz > thr ? 1.0 - thr / nz : 0.0;
        for (size_t l = 0; l < d; l++) {
            double z = v[l];
            v[l] = f * z;
            a[l] = z - v[l];
            double e = u[l] - v[l], dv = v[l] - st->Vold[g * d + l];
            du2 += e * e;
            dv2 += dv * dv;
            uu += u[l] * u[l];
            vv += v[l] * v[l];
            aa += a[l] * a[l];
        }
    }
    /* the slacks: one pass over m x n; the residuals' norms (for rho) only before a check */
    const int check = st->since_check + 1 >= ADMM_CHECK_EVERY;
    double rp2 = 0.0, rd2 = 0.0, azz = 0.0, ss = 0.0, bb = 0.0;
    for (size_t g = 0; g < m && !check; g++) {
        const double *restrict a = ct->sign + (g / (2 * c)) * n, *restrict zu = st->Zu + g * n;
        double *restrict e = st->E + g * n, *restrict b = st->B + g * n;
        for (size_t j = 0; j < n; j++) {
            double az = a[j] * zu[j], sold = a[j] * e[j] + b[j];
            double gh = al * az + (1.0 - al) * sold;
            double sn = fmax(gh + b[j], 0.0);
            double bn = b[j] + gh - sn;
            b[j] = bn;
            e[j] = a[j] * (sn - bn);
        }
    }
    for (size_t g = 0; g < m && check; g++) {
        const double *a = ct->sign + (g / (2 * c)) * n, *zu = st->Zu + g * n;
        double *e = st->E + g * n, *b = st->B + g * n;
        for (size_t j = 0; j < n; j++) {
            double az = a[j] * zu[j], sold = a[j] * e[j] + b[j];
            double gh = al * az + (1.0 - al) * sold;
            double sn = gh + b[j] > 0.0 ? gh + b[j] : 0.0;
            double bn = b[j] + gh - sn;
            b[j] = bn;
            e[j] = a[j] * (sn - bn);
            double r1 = az - sn, r2 = sn - sold;
            rp2 += r1 * r1;
            rd2 += r2 * r2;
            azz += az * az;
            ss += sn * sn;
            bb += bn * bn;
        }
    }
    /* the u iterate's figures (free: its predictions are N t) */
    double loss = 0.0;
    if (st->Zp) {
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < c; k++) st->Zp[j * c + k] = s->N * st->t[k * n + j];
        loss = cr_data_term(s, st->Zp, NULL);
    } else {
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < c; k++) {
                double r = s->N * st->t[k * n + j] - s->Y[j * c + k];
                loss += r * r;
            }
        loss /= 2.0 * s->N;
    }
    /* between checks the row shows the u iterate's objective (uncertified) and the
       violation of the last check */
    info->objective = loss + s->set.lambda * unorm;
    info->dual = ct->best_dual;
    info->gap = info->objective - ct->best_dual;
    info->uncertified = 1;
    info->step = rho;
    info->active = 0;
    info->restart = 0;

    if (++st->since_check >= ADMM_CHECK_EVERY) {
        st->since_check = 0;
        evaluate_v(s, st, info);
        /* residual balancing: relative primal residual against relative dual residual */
        double prim = sqrt(du2 + rp2) / fmax(1e-300, fmax(sqrt(uu + azz), sqrt(vv + ss)));
        double dual = sqrt(dv2 + rd2) / fmax(1e-300, sqrt(aa + bb));
        double ratio = dual > 0.0 && prim > 0.0 ? sqrt(prim / dual) : 1.0;
        if ((ratio > ADMM_RHO_JUMP || ratio < 1.0 / ADMM_RHO_JUMP) &&
            st->refactors < ADMM_MAX_REFACTOR) {
            double nr = fmin(fmax(rho * ratio, 1e-8 * st->rho0), 1e8 * st->rho0);
            if (nr != rho) {
                /* scaled duals follow rho: a, b scale by rho / nr, E = A (s - b) */
                const double f = rho / nr;
                for (size_t i = 0; i < md; i++) st->Au[i] *= f;
                for (size_t g = 0; g < m; g++) {
                    const double *a = ct->sign + (g / (2 * c)) * n;
                    double *e = st->E + g * n, *b = st->B + g * n;
                    for (size_t j = 0; j < n; j++) {
                        double sj = a[j] * e[j] + b[j];
                        b[j] *= f;
                        e[j] = a[j] * (sj - b[j]);
                    }
                }
                st->rho = nr;
                st->refactors++;
                if (factor_T(s, st)) return CVXRELU_ERR_NUMERIC;
            }
        }
    }
    return CVXRELU_OK;
}

static cvxrelu_status admm_finish(cvxrelu_solver *s, void *state, cvxrelu_result *res)
{
    admm_state *st = state;
    memcpy(s->U, st->V, s->m * s->d * sizeof(double));
    cr_relu_products(s, s->U, s->m, st->Zu, 0); /* always complete: the repair needs them */
    res->relu_method = CVXRELU_RELU_ADMM;
    /* the cone-projected dual (m NNLS problems) only where it may certify: the last
       bound from the multipliers was within a factor ADMM_EXACT_NEAR of the tolerance */
    int near = st->last_gap <= ADMM_EXACT_NEAR * s->set.tol * fmax(1.0, fabs(st->last_obj));
    return cr_relu_finish_at(s, &st->cert, st->Zu, st->Yv, st->R, near ? 1 : 0, 0, res);
}

/* U + 9 (m x d), 5 (m x n), two n x n, S and signs (n P each), 3 (P c x d), n c d,
   4 n c, n d, d x d */
static size_t admm_doubles(size_t n, size_t d, size_t m, size_t nc, size_t P)
{
    size_t doubles = cr_sat_muladd(m * d, 10, 0); /* m d checked by the caller */
    doubles = cr_sat_muladd(m, 5 * n, doubles);
    doubles = cr_sat_muladd(n, n, doubles);
    doubles = cr_sat_muladd(n, n, doubles);
    doubles = cr_sat_muladd(n, 2 * P + d, doubles);
    doubles = cr_sat_muladd(m / 2, 3 * d, doubles);
    doubles = cr_sat_muladd(nc, d + 4, doubles);
    doubles = cr_sat_muladd(1, cr_relu_cert_batch_doubles(n, d, m), doubles); /* the cert's */
    return cr_sat_muladd(d, d, doubles);
}

const cr_solver_type cr_relu_admm_type = {"ADMM", admm_init, admm_iterate, admm_finish,
                                          admm_free, 2, 0, 0, 0, cr_relu_predict, admm_doubles};
