/*
 * Exact ReLU training (docs/algorithms.md, "The exact ReLU program"): the cone-constrained group lasso
 *
 *   min (1/(2N)) sum_k ||sum_i D_i X (v_ik - w_ik) - Y_k||^2 + lambda sum (||v_ik|| + ||w_ik||)
 *   s.t. v_ik, w_ik in K_i = {u : A_i X u >= 0},   A_i = 2 D_i - I,
 *
 * by R-FISTA with the exact prox of lambda ||.|| + indicator(K_i).  For a closed
 * convex cone K the prox of t lambda ||.|| + i_K is the shrinkage of the
 * projection: writing u = r w (||w|| = 1, w in K), the objective
 * (1/2)||u - y||^2 + t lambda r is minimized by r = (<w, y> - t lambda)_+ and
 * w = P_K(y)/||P_K(y)||, because max over unit w in K of <w, y> is ||P_K(y)||
 * (Moreau).  So every iterate satisfies the cone constraints up to rounding,
 * and no multiplier or penalty has to be tuned.
 *
 * Certificate: the Lagrangian dual of the program is
 *   max <Theta, Y> - (N/2)||Theta||^2  s.t.  min_{mu >= 0} ||X^T (s D_i Theta_k + A_i mu)|| <= lambda,
 * for each group (s = +1 for v, -1 for w), and that minimum equals ||P_{K_i}(h)||
 * with h = s X^T D_i Theta_k (Moreau again: the polar cone is {-X^T A_i mu}).
 * Theta = -R/N scaled by min(1, lambda / max ||P_K(h)||) is dual feasible; h is
 * minus the gradient, so one product and one projection per group give the bound.
 */
#include "cone.h"
#include "relu.h"
#include "two_layer.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#define DUAL_EVERY 10
/* The groups' Cholesky factors of their active sets are kept between iterations when they
   take at most this many doubles (m d^2; 128 MiB) */
#define FACTOR_CACHE_MAX ((size_t)1 << 24)

static int factor_cache_fits(size_t m, size_t d)
{
    return d == 0 || (m <= FACTOR_CACHE_MAX / d / d);
}


typedef struct {
    cr_relu_cert cert;                       /* signs, gradient, dual bound (relu.h) */
    double *Uprev, *V, *Unew;                /* m x d */
    double *Zk, *Znew;                       /* m x n (group-major) */
    double *Yk, *Yprev, *Yv, *Ynew, *R;      /* n x c */
    double *Rv;                              /* n x c: the loss derivative at Yv (not squared) */
    size_t *set, *nset;                      /* warm active sets of the steps (d each) */
    double *Lf;                              /* m x d x d: their factors (NULL: not kept) */
    unsigned char *pend;                     /* m: 1 where a warm start's point awaits its check */
    double beta, mom;
    size_t since_dual;
} relu_state;

static void relu_free(void *p)
{
    relu_state *st = p;
    if (!st) return;
    cr_relu_cert_free(&st->cert);
    void *bufs[] = {st->Uprev, st->V, st->Unew, st->Zk, st->Znew, st->Yk, st->Yprev,
                    st->Yv, st->Ynew, st->R, st->set, st->nset, st->Rv, st->Lf,
                    st->pend};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    free(st);
}

cvxrelu_status cr_relu_cert_init(cvxrelu_solver *s, cr_relu_cert *c)
{
    const size_t n = s->n, d = s->d, m = s->m, P = s->P;
    memset(c, 0, sizeof *c);
    int ok = 1;
    ok &= (c->Grad = cr_malloc(m, d * sizeof(double))) != NULL;
    ok &= (c->Ytr = cr_malloc(m, d * sizeof(double))) != NULL;
    ok &= (c->Zy = cr_malloc(m, n * sizeof(double))) != NULL;
    ok &= (c->Mt = cr_malloc(m, n * sizeof(double))) != NULL;
    ok &= (c->sign = cr_malloc(P ? P : 1, n * sizeof(double))) != NULL;
    ok &= (c->dset = cr_malloc(m, d * sizeof(size_t))) != NULL;
    ok &= (c->ndset = cr_calloc(m, sizeof(size_t))) != NULL;
    ok &= (c->work = cr_malloc(CR_CONE_WORK(n, d), sizeof(double))) != NULL;
    ok &= (c->uscr = cr_malloc(d, sizeof(double))) != NULL;
    ok &= (c->zscr = cr_malloc(n, sizeof(double))) != NULL;
    if (!ok) {
        cr_relu_cert_free(c);
        return CVXRELU_ERR_NOMEM;
    }
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < n; j++) c->sign[i * n + j] = cvxrelu_pattern_bit(s->pat, i, j) ? 1.0 : -1.0;
    c->xmax = 0.0;
    for (size_t j = 0; j < n; j++) c->xmax = fmax(c->xmax, cblas_dnrm2((int)d, s->X + j * d, 1));
    if (!(c->xmax > 0.0)) c->xmax = 1.0;
    c->best_dual = s->kept_lambda == s->set.lambda ? s->kept_dual : -INFINITY;
    return CVXRELU_OK;
}

void cr_relu_cert_free(cr_relu_cert *c)
{
    void *bufs[] = {c->Grad, c->Ytr, c->Zy, c->Mt, c->sign, c->dset, c->ndset, c->work,
                    c->uscr, c->zscr};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    memset(c, 0, sizeof *c);
}

/* predictions from the group-major products Z of the first groups groups
   (the rest are zero) */
void cr_relu_predictions_upto(const cvxrelu_solver *s, const double *Z, double *Yhat,
                              size_t groups)
{
    const size_t n = s->n, c = s->c, nw = s->pat->words_per_pattern;
    memset(Yhat, 0, n * c * sizeof(double));
    for (size_t i = 0; i < s->P; i++) {
        const uint64_t *bits = s->pat->bits + i * nw;
        for (size_t k = 0; k < c; k++) {
            if (2 * (i * c + k) >= groups) return;
            const double *zv = Z + (2 * (i * c + k)) * n, *zw = zv + n;
            for (size_t w = 0; w < nw; w++)
                for (uint64_t b = bits[w]; b; b &= b - 1) {
                    size_t j = 64 * w + (size_t)__builtin_ctzll(b);
                    Yhat[j * c + k] += zv[j] - zw[j];
                }
        }
    }
}

/* predictions from group-major products Z (m x n) */
static void predictions(const cvxrelu_solver *s, const double *Z, double *Yhat)
{
    cr_relu_predictions_upto(s, Z, Yhat, s->m);
}

/* Rows of one GEMM block: about 2^26 multiply-adds, so that a stop request is
   seen within a fraction of a second even when m n d is in the tens of GFLOP. */
static size_t block_rows(const cvxrelu_solver *s, size_t inner)
{
    size_t per = s->n * inner;
    size_t b = per ? ((size_t)1 << 26) / per : s->m;
    return b < 16 ? 16 : b;
}

/* Zt (rows x n) = U X^T for the first rows rows of U, by blocks of rows; with
   checked set, a stop request between blocks sets s->stopped and leaves Zt
   partial (returns nonzero).  Unchecked calls always complete. */
int cr_relu_products(cvxrelu_solver *s, const double *U, size_t rows, double *Zt,
                     int checked)
{
    const size_t blk = block_rows(s, s->d);
    double t0 = cr_now();
    for (size_t r0 = 0; r0 < rows; r0 += blk) {
        if (checked && (s->stopped = cr_loop_check(&s->loop))) break;
        size_t nr = rows - r0 < blk ? rows - r0 : blk;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nr, (int)s->n, (int)s->d, 1.0,
                    U + r0 * s->d, (int)s->d, s->X, (int)s->d, 0.0, Zt + r0 * s->n, (int)s->n);
    }
    s->gemm_time += cr_now() - t0;
    s->matvecs++;
    return checked && s->stopped;
}

static void products_rows(cvxrelu_solver *s, const double *U, size_t rows, double *Zt)
{
    cr_relu_products(s, U, rows, Zt, 0);
}

/* Zt (m x n) = U X^T; stoppable (nonzero when cut short, Zt then partial) */
static int products(cvxrelu_solver *s, const double *U, double *Zt)
{
    return cr_relu_products(s, U, s->m, Zt, 1);
}

/* Grad (m x d) = X^T s D_i R_k / N per group, by blocks of groups; a stop
   request between blocks sets s->stopped and leaves Grad partial (returns
   nonzero). */
int cr_relu_loss_gradient(cvxrelu_solver *s, cr_relu_cert *st, const double *R)
{
    const size_t n = s->n, c = s->c, d = s->d, nw = s->pat->words_per_pattern;
    const double invN = 1.0 / s->N;
    const size_t blk = block_rows(s, d);
    for (size_t g0 = 0; g0 < s->m; g0 += blk) {
        if ((s->stopped = cr_loop_check(&s->loop))) return 1;
        size_t g1 = s->m - g0 < blk ? s->m : g0 + blk;
        memset(st->Mt + g0 * n, 0, (g1 - g0) * n * sizeof(double));
        for (size_t g = g0; g < g1; g++) {
            /* group g = 2 (i c + k) + (0 for v, 1 for w) */
            const size_t i = g / (2 * c), k = (g / 2) % c;
            const double sg = (g & 1) ? -invN : invN;
            const uint64_t *bits = s->pat->bits + i * nw;
            double *mg = st->Mt + g * n;
            for (size_t w = 0; w < nw; w++)
                for (uint64_t b = bits[w]; b; b &= b - 1) {
                    size_t j = 64 * w + (size_t)__builtin_ctzll(b);
                    mg[j] = sg * R[j * c + k];
                }
        }
        double t0 = cr_now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(g1 - g0), (int)d, (int)n,
                    1.0, st->Mt + g0 * n, (int)n, s->X, (int)d, 0.0, st->Grad + g0 * d, (int)d);
        s->gemm_time += cr_now() - t0;
    }
    s->matvecs++;
    return 0;
}

static cr_cone cone_of(const cvxrelu_solver *s, const cr_relu_cert *st, size_t g)
{
    cr_cone k = {s->X, st->sign + (g / (2 * s->c)) * s->n, s->n, s->d, st->xmax, NULL};
    return k;
}

/* The largest cone-projected gradient norm max_g ||P_{K_g}(-Grad_g)|| (Grad
   the loss gradient at residual R); products of -Grad with X go to Zy. */
double cr_relu_projected_gradient_max(cvxrelu_solver *s, cr_relu_cert *st)
{
    const size_t m = s->m, d = s->d, n = s->n;
    /* h_g = -Grad_g; products of h with X go to Zy */
    for (size_t i = 0; i < m * d; i++) st->Ytr[i] = -st->Grad[i];
    if (products(s, st->Ytr, st->Zy)) return NAN;
    double gmax = 0.0;
    for (size_t g = 0; g < m; g++) {
        if ((s->stopped = cr_loop_check(&s->loop))) return NAN;
        cr_cone k = cone_of(s, st, g);
        k.loop = &s->loop;
        double v = cr_cone_project_norm(&k, st->Ytr + g * d, st->Zy + g * n, st->dset + g * d,
                                        &st->ndset[g], st->work, st->uscr, st->zscr);
        if (isnan(v)) {
            s->stopped = cr_loop_check(&s->loop);
            return NAN;
        }
        if (v > gmax) gmax = v;
    }
    return gmax;
}

/* The dual bound at residual R, with Grad the loss gradient there; returns
   the largest projected gradient norm it used (NaN when a stop request cut it
   short: s->stopped is then set and the bound unchanged). */
double cr_relu_dual_update(cvxrelu_solver *s, cr_relu_cert *st, const double *R)
{
    double gmax = cr_relu_projected_gradient_max(s, st);
    if (s->stopped) return NAN; /* cut short: no new bound */
    double dual = cr_loss_dual(s->loss, R, s->Y, s->n, s->c, gmax * s->N, s->set.lambda);
    if (dual > st->best_dual) st->best_dual = dual;
    return gmax;
}


static double *factor_of(relu_state *st, size_t g, size_t d)
{
    return st->Lf ? st->Lf + g * d * d : NULL;
}

static cvxrelu_status relu_init(cvxrelu_solver *s, void **state, cvxrelu_iterate_info *info)
{
    const size_t n = s->n, d = s->d, m = s->m, P = s->P, nc = n * s->c;
    relu_state *st = calloc(1, sizeof *st);
    if (!st) return CVXRELU_ERR_NOMEM;
    int ok = cr_relu_cert_init(s, &st->cert) == CVXRELU_OK;
    double **md_b[] = {&st->Uprev, &st->V, &st->Unew};
    double **nc_b[] = {&st->Yk, &st->Yprev, &st->Yv, &st->Ynew, &st->R};
    for (size_t i = 0; i < 3; i++) ok &= (*md_b[i] = cr_malloc(m, d * sizeof(double))) != NULL;
    ok &= (st->Znew = cr_malloc(m, n * sizeof(double))) != NULL;
    ok &= (st->Zk = cr_calloc(m, n * sizeof(double))) != NULL; /* zero: groups not projected */
    for (size_t i = 0; i < 5; i++) ok &= (*nc_b[i] = cr_malloc(nc, sizeof(double))) != NULL;
    if (s->loss != CVXRELU_LOSS_SQUARED) ok &= (st->Rv = cr_malloc(nc, sizeof(double))) != NULL;
    ok &= (st->set = cr_malloc(m, d * sizeof(size_t))) != NULL;
    ok &= (st->nset = cr_calloc(m, sizeof(size_t))) != NULL;
    if (factor_cache_fits(m, d)) {
        ok &= (st->Lf = cr_malloc(m * d, d * sizeof(double))) != NULL;
    }
    ok &= (st->pend = cr_calloc(m ? m : 1, 1)) != NULL;
    if (!ok) {
        relu_free(st);
        return CVXRELU_ERR_NOMEM;
    }
    cr_relu_cert *ct = &st->cert;

    /* start from the projection of the given weights (feasible from the start);
       a stop request leaves the groups not yet projected at zero, also feasible */
    products(s, s->U, ct->Zy);
    size_t done = 0; /* groups projected; the rest stay zero in Unew and Zk */
    for (size_t g = 0; g < m; g++, done++) {
        if (!s->stopped) s->stopped = cr_loop_check(&s->loop);
        if (s->stopped) {
            memset(st->Unew + g * d, 0, (m - g) * d * sizeof(double));
            break;
        }
        cr_cone k = cone_of(s, ct, g);
        k.loop = &s->loop; /* a long projection (d active rows) stops too */
        if (cr_cone_project(&k, s->U + g * d, ct->Zy + g * n, st->Unew + g * d, st->Zk + g * n,
                            st->set + g * d, &st->nset[g], factor_of(st, g, d), ct->work)) {
            s->stopped = cr_loop_check(&s->loop);
            memset(st->Unew + g * d, 0, (m - g) * d * sizeof(double));
            break;
        }
    }
    memcpy(s->U, st->Unew, m * d * sizeof(double));
    cr_relu_predictions_upto(s, st->Zk, st->Yk, done);
    double loss = cr_data_term(s, st->Yk, st->R);
    if (!s->stopped) cr_relu_loss_gradient(s, ct, st->R);
    double g0 = s->stopped ? NAN : cr_relu_dual_update(s, ct, st->R);
    /* at a zero start R is the loss derivative at zero predictions: the projected gradient norm is then lambda_max, the
       smallest lambda for which U = 0 is optimal (its dual point Y/N is feasible) */
    if (!s->stopped && s->lambda_max < 0.0 && cr_group_norm_sum(s->U, m, d, NULL) == 0.0)
        s->lambda_max = g0;

    if (s->set.step_init > 0.0)
        s->step = s->set.step_init;
    else if (s->step <= 0.0) {
        /* ||[D X, -D X]||^2 / N <= 2 ||X||_F^2 max_j #patterns(j) / N: a safe first step */
        size_t maxcount = 0;
        for (size_t j = 0; j < n; j++) {
            size_t cnt = 0;
            for (size_t i = 0; i < P; i++) cnt += ct->sign[i * n + j] > 0.0;
            if (cnt > maxcount) maxcount = cnt;
        }
        double fro = 0.0;
        for (size_t j = 0; j < n; j++) fro += cblas_ddot((int)d, s->X + j * d, 1, s->X + j * d, 1);
        s->step = s->N / (2.0 * fro * (double)(maxcount ? maxcount : 1));
    }
    memcpy(st->Uprev, s->U, m * d * sizeof(double));
    memcpy(st->Yprev, st->Yk, nc * sizeof(double));
    st->beta = 0.0;
    st->mom = 1.0;
    size_t active;
    info->objective = loss + s->set.lambda * cr_group_norm_sum(s->U, m, d, &active);
    info->dual = ct->best_dual;
    info->gap = info->objective - ct->best_dual;
    info->step = s->step;
    info->active = active;
    *state = st;
    return CVXRELU_OK;
}


static cvxrelu_status relu_iterate(cvxrelu_solver *s, void *state, cvxrelu_iterate_info *info,
                                   int *stalled)
{
    relu_state *st = state;
    cr_relu_cert *ct = &st->cert;
    const size_t n = s->n, d = s->d, m = s->m, md = m * d, nc = n * s->c;
    const double lambda = s->set.lambda, b = st->beta;

    cr_extrapolate(st->V, s->U, st->Uprev, md, b);
    cr_extrapolate(st->Yv, st->Yk, st->Yprev, nc, b);
    const double fv = cr_data_term(s, st->Yv, st->R);
    if (st->Rv) memcpy(st->Rv, st->R, nc * sizeof(double));
    if (cr_relu_loss_gradient(s, ct, st->R)) return CVXRELU_OK; /* stopped: the iterate is unchanged */
    if (++st->since_dual >= DUAL_EVERY) {
        cr_relu_dual_update(s, ct, st->R);
        st->since_dual = 0;
    }
    if (s->stopped) return CVXRELU_OK; /* the iterate is unchanged */

    double t = s->step, tcurv = 0.0;
    int tries = 0;
    for (;;) {
        for (size_t i = 0; i < md; i++) ct->Ytr[i] = st->V[i] - t * ct->Grad[i];
        if (products(s, ct->Ytr, ct->Zy)) return CVXRELU_OK; /* stopped: unchanged */
        /* The prox of every group: zero when ||y|| <= t lambda; with kept factors and an
           active set, the warm start's point, checked below on one product for all groups
           (it is the projection when it satisfies every row); else y when it is inside its
           cone, or its projection.  Then the shrinkage. */
        for (size_t g = 0; g < m; g++) {
            /* a stop request abandons the trial step: U, V and the momentum are as
               they were, so the last iterate is returned */
            if ((s->stopped = cr_loop_check(&s->loop))) return CVXRELU_OK;
            cr_cone k = cone_of(s, ct, g);
            k.loop = &s->loop;
            const double *y = ct->Ytr + g * d;
            double *u = st->Unew + g * d, *z = st->Znew + g * n;
            st->pend[g] = 0;
            /* ||P_K(y)|| <= ||y|| (K a cone): the shrinkage zeroes the group when
               ||y|| <= t lambda, without its projection (the warm set stays) */
            if (cblas_dnrm2((int)d, y, 1) <= t * lambda) {
                memset(u, 0, d * sizeof(double));
                continue;
            }
            if (st->Lf && cr_cone_warm(&k, y, u, st->set + g * d, &st->nset[g],
                                       factor_of(st, g, d), ct->work)) {
                st->pend[g] = 1;
                continue;
            }
            if (cr_cone_project(&k, y, ct->Zy + g * n, u, z, st->set + g * d, &st->nset[g],
                                factor_of(st, g, d), ct->work)) {
                s->stopped = cr_loop_check(&s->loop);
                return CVXRELU_OK; /* abandoned like the trial step: unchanged */
            }
        }
        /* Znew = Unew X^T (the projected groups' products again: X u either way) */
        if (products(s, st->Unew, st->Znew)) return CVXRELU_OK;
        for (size_t g = 0; g < m; g++) {
            double *u = st->Unew + g * d, *z = st->Znew + g * n;
            if (st->pend[g]) {
                cr_cone k = cone_of(s, ct, g);
                k.loop = &s->loop;
                const double *y = ct->Ytr + g * d;
                if (cr_cone_worst(&k, z) > cr_cone_tol(&k, y) &&
                    cr_cone_project(&k, y, ct->Zy + g * n, u, z, st->set + g * d,
                                    &st->nset[g], factor_of(st, g, d), ct->work)) {
                    s->stopped = cr_loop_check(&s->loop);
                    return CVXRELU_OK;
                }
            }
            double nu = cblas_dnrm2((int)d, u, 1);
            if (nu == 0.0) continue;
            double f = nu > t * lambda ? 1.0 - t * lambda / nu : 0.0;
            if (f == 0.0) {
                memset(u, 0, d * sizeof(double));
                memset(z, 0, n * sizeof(double));
            } else if (f != 1.0) {
                for (size_t l = 0; l < d; l++) u[l] *= f;
                for (size_t j = 0; j < n; j++) z[j] *= f;
            }
        }
        predictions(s, st->Znew, st->Ynew);
        double quad;
        tcurv = cr_step_ratio(st->Ynew, st->Yv, nc, st->Unew, st->V, md, t, s->N, NULL, 0,
                              &quad) * cr_loss_smoothness(s->loss);
        if (st->Rv) /* the loss's own curvature along the step (its values) */
            tcurv = cr_step_ratio_loss(s->loss, tcurv, cr_data_term(s, st->Ynew, st->R), fv, st->Rv,
                                       st->Ynew, st->Yv, nc, t, s->N, quad);
        if (tcurv <= 1.0) break;
        t *= 0.8;
        if (++tries > 200 || t < 1e-30) {
            *stalled = 1;
            break;
        }
    }
    int restart = cr_fista_momentum(s->U, st->Unew, st->V, md, &st->beta, &st->mom, NULL, 0);
    cr_rotate(&st->Uprev, &s->U, &st->Unew);
    double *z_old = st->Zk; /* Zk <- Znew; the old products become scratch */
    st->Zk = st->Znew;
    st->Znew = z_old;
    cr_rotate(&st->Yprev, &st->Yk, &st->Ynew);
    s->step = cr_next_step(t, tcurv);
    size_t active;
    double loss = cr_data_term(s, st->Yk, st->R);
    info->objective = loss + lambda * cr_group_norm_sum(s->U, m, d, &active);
    info->dual = ct->best_dual;
    info->violation = cr_relu_violation(s, ct, s->U, st->Zk);
    info->gap = info->violation <= s->set.tol_feas ? info->objective - ct->best_dual : INFINITY;
    info->step = t;
    info->active = active;
    info->restart = restart;
    return CVXRELU_OK;
}

static int cr_is_zero(const double *u, size_t d)
{
    for (size_t l = 0; l < d; l++)
        if (u[l] != 0.0) return 0;
    return 1;
}

/* Largest violation relative to max_j ||x_j|| max_g ||u_g||. */
double cr_relu_violation(const cvxrelu_solver *s, const cr_relu_cert *ct, const double *U,
                         const double *Z)
{
    double worst = 0.0, umax = 0.0;
    for (size_t g = 0; g < s->m; g++) umax = fmax(umax, cblas_dnrm2((int)s->d, U + g * s->d, 1));
    if (umax == 0.0) return 0.0;
    for (size_t g = 0; g < s->m; g++) {
        if (cr_is_zero(U + g * s->d, s->d)) continue; /* X 0 = 0: nothing violated */
        cr_cone k = cone_of(s, ct, g);
        worst = fmax(worst, cr_cone_worst(&k, Z + g * s->n));
    }
    return worst / (ct->xmax * umax);
}

cvxrelu_status cr_relu_finish_at(cvxrelu_solver *s, cr_relu_cert *ct, double *Z, double *Yk,
                                 double *R, int exact_dual, int want_lambda_max,
                                 cvxrelu_result *res)
{
    const size_t n = s->n, d = s->d, m = s->m, nc = n * s->c;
    res->violation = cr_relu_violation(s, ct, s->U, Z);
    /* A violation beyond rounding (a splitting method's iterate): project the groups
       that have one onto their cones first (the gate move below is sized for ulps: along
       a gate nearly parallel to a violated row it would be long).  After a stop request
       the projections get a budget of 0.3 s: the groups still violated when it runs out
       are set to zero (feasible; the fit loses their part), so that a stopped solve ends
       soon (the process must end within 2 s of a signal). */
    if (res->violation > 1e-12) {
        const double t0 = cr_now();
        const double budget = 0.3;
        for (size_t g = 0; g < m; g++) {
            double *u = s->U + g * d, *z = Z + g * n;
            double nu = cblas_dnrm2((int)d, u, 1), worst = 0.0;
            const double *a = ct->sign + (g / (2 * s->c)) * n;
            for (size_t j = 0; j < n; j++) worst = fmax(worst, -a[j] * z[j]);
            if (nu == 0.0 || worst <= 1e-12 * ct->xmax * nu) continue;
            if (s->stopped && cr_now() - t0 > budget) { /* out of time: the group leaves */
                memset(u, 0, d * sizeof(double));
                memset(z, 0, n * sizeof(double));
                continue;
            }
            cr_cone k = cone_of(s, ct, g);
            size_t ns = 0;
            cr_cone_project(&k, u, z, ct->uscr, ct->zscr, ct->dset + g * d, &ns, NULL, ct->work);
            memcpy(u, ct->uscr, d * sizeof(double));
            memcpy(z, ct->zscr, n * sizeof(double));
        }
    }
    /* Move each group strictly inside its cone along the pattern's interior gate
       (a_j x_j . g_i > 0): this repairs what violation the iterate has left, and
       rounding leaves active constraints at a few ulps on either side of 0, so a
       margin makes every row keep its sign under any summation order, and the ReLU
       network's pattern is the program's. */
    /* X g_i for the P gates (P rows of gates, not m): Zy[i n + j] */
    products_rows(s, s->pat->gates, s->P, ct->Zy);
    for (size_t g = 0; g < m; g++) {
        double nu = cblas_dnrm2((int)d, s->U + g * d, 1);
        if (nu == 0.0) continue;
        const double margin = 1e-12 * ct->xmax * nu;
        size_t i = g / (2 * s->c);
        const double *a = ct->sign + i * n, *xg = ct->Zy + i * n;
        double *z = Z + g * n, tt = 0.0;
        for (size_t j = 0; j < n; j++) {
            double az = a[j] * z[j], ag = a[j] * xg[j];
            if (az < margin && ag > 0.0) tt = fmax(tt, (margin - az) / ag);
        }
        if (tt > 0.0) {
            cblas_daxpy((int)d, tt, s->pat->gates + i * d, 1, s->U + g * d, 1);
            cblas_daxpy((int)n, tt, xg, 1, z, 1); /* X u_g moves by tt X g_i */
        }
    }
    predictions(s, Z, Yk);
    size_t active;
    res->loss = cr_data_term(s, Yk, R);
    res->penalty = s->set.lambda * cr_group_norm_sum(s->U, m, d, &active);
    res->objective = res->loss + res->penalty;
    /* the final certificate at the returned weights (the cone-projected gradient);
       after a stop request the best bound found so far stands (every dual value
       stays valid); exact_dual 1: only when the bound found so far does not already
       certify the tolerance, 0: never */
    int need = exact_dual == 2 ||
               (exact_dual == 1 &&
                res->objective - ct->best_dual > s->set.tol * fmax(1.0, fabs(res->objective)));
    if (!s->stopped && need) {
        if (!cr_relu_loss_gradient(s, ct, R)) cr_relu_dual_update(s, ct, R);
    }
    res->dual = ct->best_dual;
    res->gap = res->objective - res->dual;
    if (res->gap < 0.0 && res->gap > -1e-12 * fmax(1.0, fabs(res->objective))) res->gap = 0.0;
    res->active_groups = active;
    s->kept_dual = ct->best_dual;
    s->kept_lambda = s->set.lambda;
    if (s->lambda_max < 0.0 && !s->stopped && want_lambda_max) {
        /* warm start: the projected gradient at U = 0, i.e. at the loss derivative at
           zero predictions (squared loss: -Y); Zy (m x n >= n x c) holds them */
        memset(ct->Zy, 0, nc * sizeof(double));
        cr_data_term(s, ct->Zy, R);
        if (!cr_relu_loss_gradient(s, ct, R)) {
            double lm = cr_relu_projected_gradient_max(s, ct);
            if (!s->stopped) s->lambda_max = lm;
        }
    }
    res->lambda_max = s->lambda_max >= 0.0 ? s->lambda_max : NAN;
    return CVXRELU_OK;
}

static cvxrelu_status relu_finish(cvxrelu_solver *s, void *state, cvxrelu_result *res)
{
    relu_state *st = state;
    res->relu_method = CVXRELU_RELU_PROJECTED;
    return cr_relu_finish_at(s, &st->cert, st->Zk, st->Yk, st->R, 2, 1, res);
}

void cr_relu_predict(cvxrelu_solver *s, double *Yhat)
{
    double *Z = cr_malloc(s->m, s->n * sizeof(double));
    if (!Z) return;
    products_rows(s, s->U, s->m, Z); /* always complete */
    predictions(s, Z, Yhat);
    free(Z);
}

/* U + 5 (m x d), 4 (m x n) products, 5 (n x c), signs P x n, active sets 2 (m x d), the
   kept factors m d^2 where they fit */
static size_t relu_doubles(size_t n, size_t d, size_t m, size_t nc, size_t P)
{
    size_t doubles = cr_sat_muladd(m * d, 8, 0); /* m d checked by the caller */
    if (factor_cache_fits(m, d)) doubles = cr_sat_muladd(m * d, d, doubles);
    doubles = cr_sat_muladd(m, 4 * n, doubles);
    doubles = cr_sat_muladd(nc, 6, doubles); /* Rv: losses other than squared */
    return cr_sat_muladd(P, n, doubles);
}

const cr_solver_type cr_relu_type = {"projected R-FISTA", relu_init, relu_iterate, relu_finish,
                                     relu_free, 2, 0, 0, 0, cr_relu_predict, relu_doubles};
