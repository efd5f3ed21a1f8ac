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
#include <stdlib.h>
#include <string.h>

#define DUAL_EVERY 10
/* Newton steps on the face (settings.polish) are tried once the relative gap is below
   this, then again after 10, 20, 40, ... iterations */
#define POLISH_GAP 2e-2

struct cr_relu_rank { /* a group and its gradient norm */
    double v;
    size_t g;
};
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
    double beta, mom;
    size_t since_dual;
    size_t iter, polish_at, polish_wait; /* Newton steps on the face: when to try next */
    double viol;                         /* the last measured violation */
    int seeded; /* the sets were seeded from the start's dual projections, without factors */
} relu_state;

static void relu_free(void *p)
{
    relu_state *st = p;
    if (!st) return;
    cr_relu_cert_free(&st->cert);
    void *bufs[] = {st->Uprev, st->V, st->Unew, st->Zk, st->Znew, st->Yk, st->Yprev,
                    st->Yv, st->Ynew, st->R, st->set, st->nset, st->Rv, st->Lf};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    free(st);
}

/* Groups per chunk of the batched projections: their scratch (factors, multipliers,
   right-hand sides, points: d^2 + 3 d doubles each) within 2^22 doubles (32 MiB), at
   least 16 and at most m. */
static size_t batch_cap(size_t d, size_t m)
{
    size_t per = d * d + 3 * d, cap = per ? ((size_t)1 << 22) / per : m;
    if (cap < 16) cap = 16;
    if (cap > m) cap = m;
    return cap ? cap : 1;
}

/* X X^T is kept for the cone projections when n <= 4096 (at most 128 MiB) and d >= 8
   (below, the dot products it saves are as short as a lookup) */
static int gram_fits(size_t n, size_t d)
{
    return n <= 4096 && d >= 8;
}

size_t cr_relu_cert_batch_doubles(size_t n, size_t d, size_t m)
{
    size_t cap = batch_cap(d, m);
    size_t doubles = cr_sat_muladd(cap, d * d + 3 * d + 2, cr_sat_muladd(m, d + 2, 0));
    return gram_fits(n, d) ? cr_sat_muladd(n, n, doubles) : doubles;
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
    c->cap = batch_cap(d, m);
    ok &= (c->bL = cr_malloc(c->cap * d, d * sizeof(double))) != NULL;
    ok &= (c->bmu = cr_malloc(c->cap, d * sizeof(double))) != NULL;
    ok &= (c->bb = cr_malloc(c->cap, d * sizeof(double))) != NULL;
    ok &= (c->bU = cr_malloc(c->cap, d * sizeof(double))) != NULL;
    ok &= (c->Ucert = cr_malloc(m, d * sizeof(double))) != NULL;
    ok &= (c->rank = cr_malloc(m ? m : 1, sizeof(struct cr_relu_rank))) != NULL;
    ok &= (c->list = cr_malloc(m ? m : 1, sizeof(size_t))) != NULL;
    ok &= (c->act = cr_malloc(c->cap, sizeof(size_t))) != NULL;
    ok &= (c->bstate = cr_malloc(c->cap, sizeof(cr_cone_state))) != NULL;
    if (ok && gram_fits(n, d)) {
        ok &= (c->G = cr_malloc(n, n * sizeof(double))) != NULL;
        if (ok) {
            double t0 = cr_now();
            cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, (int)n, (int)d, 1.0, s->X,
                        (int)d, 0.0, c->G, (int)n);
            for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++) c->G[i * n + j] = c->G[j * n + i];
            s->gemm_time += cr_now() - t0;
        }
    }
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
                    c->uscr, c->zscr, c->bL, c->bmu, c->bb, c->bU, c->Ucert, c->rank,
                    c->list, c->act, c->bstate, c->G};
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
    cr_cone k = {s->X, st->sign + (g / (2 * s->c)) * s->n, s->n, s->d, st->xmax, NULL, st->G};
    return k;
}

static int by_norm_desc(const void *a, const void *b)
{
    double x = ((const struct cr_relu_rank *)a)->v, y = ((const struct cr_relu_rank *)b)->v;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The largest cone-projected gradient norm max_g ||P_{K_g}(-Grad_g)|| (Grad
   the loss gradient at residual R); products of -Grad with X go to Zy.  Since
   ||P_K(h)|| <= ||h||, the groups are taken by decreasing ||h_g|| a chunk at a time,
   and those with ||h_g|| at most the largest projected norm found are not projected. */
double cr_relu_projected_gradient_max(cvxrelu_solver *s, cr_relu_cert *st)
{
    const size_t m = s->m, d = s->d;
    /* h_g = -Grad_g; products of h with X go to Zy */
    for (size_t i = 0; i < m * d; i++) st->Ytr[i] = -st->Grad[i];
    if (products(s, st->Ytr, st->Zy)) return NAN;
    for (size_t g = 0; g < m; g++) {
        st->rank[g].v = cblas_dnrm2((int)d, st->Ytr + g * d, 1);
        st->rank[g].g = g;
    }
    qsort(st->rank, m, sizeof *st->rank, by_norm_desc);
    for (size_t q = 0; q < m; q++) st->list[q] = st->rank[q].g;
    double gmax = 0.0;
    for (size_t q0 = 0; q0 < m && st->rank[q0].v > gmax;) {
        size_t q1 = q0;
        while (q1 < m && q1 - q0 < st->cap && st->rank[q1].v > gmax) q1++;
        /* the products of the projections overwrite Zy's rows (not read again) */
        if (cr_relu_project_groups(s, st, st->list + q0, q1 - q0, st->Ytr, st->Zy, st->Ucert,
                                   st->Zy, st->dset, st->ndset, NULL, 0))
            return NAN;
        for (size_t q = q0; q < q1; q++)
            gmax = fmax(gmax, cblas_dnrm2((int)d, st->Ucert + st->list[q] * d, 1));
        q0 = q1;
    }
    return gmax;
}

int cr_relu_project_groups(cvxrelu_solver *s, cr_relu_cert *c, const size_t *list, size_t cnt,
                           const double *Y, const double *ZY, double *U, double *Z, size_t *S,
                           size_t *nS, double *L_kept, int kept_valid)
{
    const size_t n = s->n, d = s->d;
    cr_cone_state *cs = c->bstate;
    for (size_t c0 = 0; c0 < cnt; c0 += c->cap) {
        const size_t nc = cnt - c0 < c->cap ? cnt - c0 : c->cap;
        size_t na = 0;
        for (size_t q = 0; q < nc; q++) {
            const size_t g = list[c0 + q];
            cr_cone k = cone_of(s, c, g);
            const double *y = Y + g * d, *zy = ZY + g * n;
            double *u = U + g * d, *z = Z + g * n;
            cr_cone_state st = {S + g * d, nS[g], L_kept ? L_kept + g * d * d : c->bL + q * d * d,
                                c->bb + q * d, c->bmu + q * d, 0};
            cs[q] = st;
            /* y inside its cone: y itself (with an empty set the first step below tells) */
            if (st.ns > 0 && cr_cone_worst(&k, zy) <= cr_cone_tol(&k, y)) {
                memcpy(u, y, d * sizeof(double));
                if (z != zy) memcpy(z, zy, n * sizeof(double));
                if (!kept_valid) cs[q].ns = 0; /* with a kept factor the set stays */
                continue;
            }
            cr_cone_begin(&k, y, &cs[q], kept_valid, u, c->work);
            if (cs[q].ns == 0 && !cr_cone_next(&k, y, zy, &cs[q], u, c->work)) {
                if (z != zy) memcpy(z, zy, n * sizeof(double)); /* u = y: products known */
                continue;
            }
            c->act[na++] = q;
        }
        while (na > 0) {
            for (size_t i = 0; i < na; i++)
                memcpy(c->bU + i * d, U + list[c0 + c->act[i]] * d, d * sizeof(double));
            /* Mt (scratch here) takes the round's products; the product checks the stop
               request before it starts */
            if (cr_relu_products(s, c->bU, na, c->Mt, 1)) {
                for (size_t q = 0; q < nc; q++) nS[list[c0 + q]] = cs[q].ns;
                c->touched = c0 + nc;
                return 1;
            }
            size_t still = 0;
            for (size_t i = 0; i < na; i++) {
                const size_t q = c->act[i], g = list[c0 + q];
                cr_cone k = cone_of(s, c, g);
                const double *xu = c->Mt + i * n;
                if (cr_cone_next(&k, Y + g * d, xu, &cs[q], U + g * d, c->work))
                    c->act[still++] = q;
                else
                    memcpy(Z + g * n, xu, n * sizeof(double));
            }
            na = still;
        }
        for (size_t q = 0; q < nc; q++) nS[list[c0 + q]] = cs[q].ns;
    }
    return 0;
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


static int cr_is_zero(const double *u, size_t d)
{
    for (size_t l = 0; l < d; l++)
        if (u[l] != 0.0) return 0;
    return 1;
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
    if (!ok) {
        relu_free(st);
        return CVXRELU_ERR_NOMEM;
    }
    cr_relu_cert *ct = &st->cert;

    /* start from the projection of the given weights (feasible from the start); a stop
       request leaves every group at zero, also feasible */
    size_t done = m, nz = 0; /* groups projected; zero groups stay zero in Unew and Zk */
    ct->touched = 0;
    products(s, s->U, ct->Zy);
    for (size_t g = 0; g < m; g++) {
        if (cr_is_zero(s->U + g * d, d))
            memset(st->Unew + g * d, 0, d * sizeof(double));
        else
            ct->list[nz++] = g;
    }
    if (s->stopped || cr_relu_project_groups(s, ct, ct->list, nz, s->U, ct->Zy, st->Unew,
                                             st->Zk, st->set, st->nset, st->Lf, st->Lf != NULL)) {
        memset(st->Unew, 0, m * d * sizeof(double));
        /* only the rows the projections may have written (Zk is m x n: touching all of
           it would take seconds at large m) */
        for (size_t q = 0; q < ct->touched; q++)
            memset(st->Zk + ct->list[q] * n, 0, n * sizeof(double));
        done = 0;
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
    /* From zero, the first step's points are -t Grad: the directions the dual projected,
       so their active sets are the first warm starts (the projection is positively
       homogeneous) */
    if (!s->stopped && nz == 0) {
        memcpy(st->set, ct->dset, m * d * sizeof(size_t));
        memcpy(st->nset, ct->ndset, m * sizeof(size_t));
        st->seeded = 1;
    }

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
        /* The prox of every group: zero when ||y|| <= t lambda (||P_K(y)|| <= ||y||, K a
           cone: the shrinkage zeroes it, without its projection; the warm set stays), else
           the shrinkage of its projection, the projections formed together (a stop
           request abandons the trial step: U, V and the momentum are as they were, so the
           last iterate is returned) */
        size_t cnt = 0;
        for (size_t g = 0; g < m; g++) {
            if (cblas_dnrm2((int)d, ct->Ytr + g * d, 1) <= t * lambda) {
                memset(st->Unew + g * d, 0, d * sizeof(double));
                memset(st->Znew + g * n, 0, n * sizeof(double));
                if (st->seeded) st->nset[g] = 0; /* its seed set has no factor */
            } else {
                ct->list[cnt++] = g;
            }
        }
        if (cr_relu_project_groups(s, ct, ct->list, cnt, ct->Ytr, ct->Zy, st->Unew, st->Znew,
                                   st->set, st->nset, st->Lf, st->Lf && !st->seeded))
            return CVXRELU_OK;
        st->seeded = 0; /* the factors of the sets are built */
        for (size_t q = 0; q < cnt; q++) { /* the shrinkage */
            const size_t g = ct->list[q];
            double *u = st->Unew + g * d, *z = st->Znew + g * n;
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
    /* the violation (a pass over every group's products) where the gap is fresh or could
       end the solve; the iterates are in the cones up to rounding in between */
    const double gap = info->objective - ct->best_dual;
    if (st->since_dual == 0 || gap <= s->set.tol * fmax(1.0, fabs(info->objective)))
        st->viol = cr_relu_violation(s, ct, s->U, st->Zk);
    info->violation = st->viol;
    info->gap = info->violation <= s->set.tol_feas ? gap : INFINITY;
    info->step = t;
    info->active = active;
    info->restart = restart;
    const double scale = fmax(1.0, fabs(info->objective));
    if (s->set.polish && ++st->iter >= st->polish_at && info->gap <= POLISH_GAP * scale &&
        info->gap > s->set.tol * scale) {
        double obj = info->objective;
        int moved = cr_relu_polish(s, ct, st->set, st->nset, s->U, st->Zk, st->Yk, st->R, &obj);
        if (moved > 0) {
            /* a restart from the polished point, and its certificate */
            memcpy(st->Uprev, s->U, md * sizeof(double));
            memcpy(st->Yprev, st->Yk, nc * sizeof(double));
            st->beta = 0.0;
            st->mom = 1.0;
            if (!cr_relu_loss_gradient(s, ct, st->R)) cr_relu_dual_update(s, ct, st->R);
            st->since_dual = 0;
            info->objective = obj;
            cr_group_norm_sum(s->U, m, d, &info->active);
            info->dual = ct->best_dual;
            info->violation = st->viol = cr_relu_violation(s, ct, s->U, st->Zk);
            info->gap = info->violation <= s->set.tol_feas ? obj - ct->best_dual : INFINITY;
            info->restart = 1;
        }
        /* after an optimum over the support, the next try as soon as R-FISTA has moved the
           support; else later and later */
        st->polish_wait = moved == 2 || !st->polish_wait ? 10 : 2 * st->polish_wait;
        if (st->polish_wait > 640) st->polish_wait = 640;
        st->polish_at = st->iter + st->polish_wait;
    }
    return CVXRELU_OK;
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
    doubles = cr_sat_muladd(1, cr_relu_cert_batch_doubles(n, d, m), doubles);
    doubles = cr_sat_muladd(m, 4 * n, doubles);
    doubles = cr_sat_muladd(nc, 6, doubles); /* Rv: losses other than squared */
    return cr_sat_muladd(P, n, doubles);
}

const cr_solver_type cr_relu_type = {"projected R-FISTA", relu_init, relu_iterate, relu_finish,
                                     relu_free, 2, 0, 0, 0, cr_relu_predict, relu_doubles};
