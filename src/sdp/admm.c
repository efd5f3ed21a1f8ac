/*
 * The SDP relaxation of [PBY24] (docs/algorithms.md, "The SDP relaxation"): setup, evaluation, the certified
 * lower bound and the first-order solver (docs/algorithms.md has the derivations).
 *
 * First-order solver.  Let Q (p x q) be an orthonormal basis of null(M)
 * (Q = B L^{-T} with B^T B = L L^T), so Lambda = Q Zt Q^T, Zt PSD, Zt = L^T Z L.
 * With C the symmetric p x p matrices whose three (alpha, beta) blocks are >= 0
 * with diag(Lambda_ab) = 0, and f the loss plus (beta/2)(tr Lambda_uu + tr Lambda_vv),
 * the relaxation is  min f(Lambda) + I_C(Lambda)  over Lambda in {Q Zt Q^T : Zt PSD}.
 * Douglas-Rachford (ADMM in scaled form) on the state G:
 *   P = Q Proj_PSD(Q^T G Q) Q^T,  Lambda = prox_{(f + I_C)/rho}(2P - G),
 *   G += relax (Lambda - P),
 * the prox entrywise and closed-form, rho balanced between the residuals, the
 * map G -> G + relax (Lambda - P) Anderson-accelerated with a safeguard.
 * Parallel rows are merged first (cr_sdp_reduce_rows): the loss then weighs the
 * entries (alpha_i, v_k) and (beta_i, v_k) of each representative (admm_loss).
 *
 * Certified lower bound.  S = rho (2P - G - Lambda) lies in the subdifferential
 * of f + I_C at Lambda; by construction it is zero on the free entries of Lambda,
 * beta/2 on the diagonals of the uu and vv blocks, <= 0 on the constrained
 * entries (free on diag(Lambda_ab)).  Weak duality with the redundant
 * constraint <W_e, Lambda> <= T_e (true for some optimal solution, admm_weights_init):
 *   P* >= min_{Lambda in C} [f(Lambda) - <S, Lambda>] + T_e min(0, mu_min(e)),
 * mu_min(e) the least eigenvalue of L_e^{-1} Q^T S Q L_e^{-T}; the inner minimum
 * is closed-form (dual_value) and every term outside the loss is 0 exactly.
 * This holds for any S of that structure, so the bound is valid at whatever
 * accuracy the iteration reached.
 */
#include "sdp.h"
#include "internal.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void cvxrelu_sdp_settings_default(cvxrelu_sdp_settings *s)
{
    memset(s, 0, sizeof *s);
    s->method = CVXRELU_SDP_ADMM;
    s->tol = 1e-4;
    s->check_every = 100;
}

void cvxrelu_sdp_result_free(cvxrelu_sdp_result *res)
{
    if (!res) return;
    free(res->Z);
    res->Z = NULL;
}

double cvxrelu_sdp_memory(size_t n, size_t d, size_t c, cvxrelu_sdp_method method)
{
    double p = 2.0 * (double)n + (double)(d + c), q = (double)(n + d + c);
    if (method == CVXRELU_SDP_DSDP) {
        /* Schur matrix of the m = q(q+1)/2 + 1 variables, plus the LP rows. */
        double m = q * (q + 1.0) / 2.0 + 1.0;
        return 8.0 * (m * m + 2.0 * (double)n * (double)n * (double)(d * d + 2 * d + 2));
    }
    /* eight p x p arrays, twenty more for the Anderson memory (10), Q and a p x q
       work array, the weight factors and five q x q arrays */
    return 8.0 * (28.0 * p * p + 2.0 * p * q + 10.0 * q * q);
}

/* ------------------------------------------------------------------ ADMM */

/* A = (A + A^T) / 2 for the k x k matrix A, against rounding. */
static void symmetrize(double *A, size_t k)
{
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++) {
            double v = 0.5 * (A[i * k + j] + A[j * k + i]);
            A[i * k + j] = A[j * k + i] = v;
        }
}

#define CR_SDP_NW 4

/*
 * The loss after merging parallel rows: data row j contributes through the
 * entry (alpha_i, v_k) of its representative i (s_j > 0) or (beta_i, v_k)
 * (s_j < 0) times |s_j|, so
 *   (1/2)||pred - Y||^2 = (1/2) sum_ik [wp_i x_ik^2 - 2 bp_ik x_ik
 *                                       + wn_i z_ik^2 - 2 bn_ik z_ik] + yconst,
 * x = Lambda(alpha_i, v_k), z = Lambda(beta_i, v_k), wp_i = sum s_j^2 over the
 * rows mapped to alpha_i, bp_ik = sum |s_j| y_jk, likewise wn, bn for beta_i,
 * yconst = (1/2)||Y||^2.  Without merging wp = 1, bp = Y, wn = bn = 0.
 */
typedef struct {
    double *wp, *wn; /* n (representatives) */
    double *bp, *bn; /* n x c */
    double yconst;
} admm_loss;

typedef struct {
    const cr_sdp_problem *pb;
    size_t n, d, c, p, q;
    double *Q;  /* p x q orthonormal basis of null(M) */
    double *L;  /* q x q Cholesky factor of B^T B (lower) */
    /* Weighted trace bounds: <W_e, Lambda*> <= T_e with W_e = e on the alpha and
       beta diagonals, 1 on the u and v diagonals; Lw[k] the Cholesky factor of
       Q^T W_e Q. */
    double eps[CR_SDP_NW], Tw[CR_SDP_NW]; /* T_e per unit of UB */
    double *Lw[CR_SDP_NW];
    const admm_loss *ls;
} admm_setup;

static int admm_setup_init(admm_setup *a, const cr_sdp_problem *pb)
{
    size_t n = pb->n, d = pb->d, c = pb->c, p = 2 * n + d + c, q = n + d + c;
    a->pb = pb;
    a->n = n, a->d = d, a->c = c, a->p = p, a->q = q;
    a->Q = cr_calloc(p * q, sizeof(double));
    a->L = cr_calloc(q * q, sizeof(double));
    if (!a->Q || !a->L) return -1;
    /* B: rows alpha (I 0 0), beta (I -X 0), u (0 I 0), v (0 0 I). */
    double *B = a->Q;
    for (size_t i = 0; i < n; i++) {
        B[i * q + i] = 1.0;
        B[(n + i) * q + i] = 1.0;
        for (size_t k = 0; k < d; k++) B[(n + i) * q + n + k] = -pb->X[i * d + k];
    }
    for (size_t k = 0; k < d + c; k++) B[(2 * n + k) * q + n + k] = 1.0;
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)q, (int)p, 1.0, B, (int)q, 0.0,
                a->L, (int)q);
    for (size_t i = 0; i < q; i++)
        for (size_t j = i + 1; j < q; j++) a->L[i * q + j] = a->L[j * q + i];
    if (cr_chol(a->L, q, 1e-14) != 0) return -2;
    for (size_t i = 0; i < q; i++)
        for (size_t j = i + 1; j < q; j++) a->L[i * q + j] = 0.0;
    /* Q = B L^{-T}: solve Q L^T = B. */
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)p, (int)q,
                1.0, a->L, (int)q, a->Q, (int)q);
    return 0;
}

/*
 * The a-priori trace bounds behind the certificate, weighted: some optimal Lambda* has
 * tr Lambda*_uu = tr Lambda*_vv <= UB/beta and tr (Lambda*_aa + Lambda*_bb) =
 * <X^T X, Lambda*_uu> <= ||X||^2 UB/beta, so <W_e, Lambda*> <= (e ||X||^2 + 2) UB/beta.
 */
static int admm_weights_init(admm_setup *a)
{
    size_t n = a->n, q = a->q;
    double s2 = cr_sdp_xnorm2(a->pb);
    if (!isfinite(s2)) return -2;
    for (int k = 0; k < CR_SDP_NW; k++) {
        double e = pow(fmax(s2, 1.0), -(double)k / (CR_SDP_NW - 1));
        a->eps[k] = e;
        a->Tw[k] = (e * s2 + 2.0) / a->pb->beta;
        double *Lk = a->Lw[k] = cr_calloc(q * q, sizeof(double));
        if (!Lk) return -1;
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)q, (int)(2 * n), e, a->Q,
                    (int)q, 0.0, Lk, (int)q);
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)q, (int)(a->p - 2 * n), 1.0,
                    a->Q + 2 * n * q, (int)q, 1.0, Lk, (int)q);
        for (size_t i = 0; i < q; i++)
            for (size_t j = i + 1; j < q; j++) Lk[i * q + j] = Lk[j * q + i];
        if (cr_chol(Lk, q, 1e-14) != 0) return -2;
    }
    return 0;
}

static double fro(const double *A, size_t k)
{
    return cblas_dnrm2((int)k, A, 1);
}

/*
 * min over Zt PSD with <Q^T W_e Q, Zt> <= T_e of <M, Zt> is T_e min(0, mu_min),
 * mu_min the least eigenvalue of L_e^{-1} M L_e^{-T}; the best over e.  T_e is
 * linear in UB: returned per unit of UB (<= 0).  M is q x q, work q x q.
 */
static double psd_correction(const admm_setup *a, const double *M, double *work)
{
    size_t q = a->q;
    double best = -INFINITY;
    for (int k = 0; k < CR_SDP_NW; k++) {
        memcpy(work, M, q * q * sizeof(double));
        cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)q,
                    (int)q, 1.0, a->Lw[k], (int)q, work, (int)q);
        cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)q,
                    (int)q, 1.0, a->Lw[k], (int)q, work, (int)q);
        symmetrize(work, q);
        double mu = 0.0, nrm = fro(work, q * q);
        if (cr_sym_eig_range(work, q, 1, 1, &mu, NULL) != 0 || !isfinite(mu)) continue;
        /* a margin for rounding in the eigenvalue (backward stable: ~ q eps ||.||) */
        double c = a->Tw[k] * fmin(0.0, mu - 1e-15 * (double)q * nrm);
        if (c > best) best = c;
    }
    return best;
}

static void admm_setup_free(admm_setup *a)
{
    free(a->Q);
    free(a->L);
    for (int k = 0; k < CR_SDP_NW; k++) free(a->Lw[k]);
}

/* Block of p-index t: 0 alpha, 1 beta, 2 u, 3 v. */
static inline int blk(size_t t, size_t n, size_t d)
{
    return t < n ? 0 : t < 2 * n ? 1 : t < 2 * n + d ? 2 : 3;
}

/*
 * Lambda = prox of (f + I_C)/rho at A (symmetric), and S = rho (A - Lambda)
 * written with its exact structure.  Only the upper triangle is computed,
 * then mirrored.
 */
static void lambda_update(const admm_setup *a, const double *A, double rho, double *Lam,
                          double *S)
{
    size_t n = a->n, d = a->d, c = a->c, p = a->p;
    const admm_loss *ls = a->ls;
    double hb = 0.5 * a->pb->beta;
    for (size_t i = 0; i < p; i++) {
        int bi = blk(i, n, d);
        for (size_t j = i; j < p; j++) {
            int bj = blk(j, n, d);
            double x = A[i * p + j], lam, s;
            if (bi <= 1 && bj <= 1) {
                if (bi == 0 && bj == 1 && j - n == i) {
                    lam = 0.0; /* diag(Lambda_ab) = 0 */
                    s = rho * x;
                } else if (x > 0.0) {
                    lam = x;
                    s = 0.0;
                } else {
                    lam = 0.0;
                    s = rho * x;
                }
            } else if (bi <= 1 && bj == 3) {
                /* min (1/2)(w l^2 - 2 b l) + rho (l - x)^2 (the entry appears twice) */
                size_t r = bi == 0 ? i : i - n, k = j - 2 * n - d;
                double wt = bi == 0 ? ls->wp[r] : ls->wn[r];
                double b = bi == 0 ? ls->bp[r * c + k] : ls->bn[r * c + k];
                lam = (b + 2.0 * rho * x) / (wt + 2.0 * rho);
                s = rho * (x - lam);
            } else if (i == j && bi >= 2) {
                lam = x - hb / rho;
                s = hb;
            } else {
                lam = x;
                s = 0.0;
            }
            Lam[i * p + j] = Lam[j * p + i] = lam;
            S[i * p + j] = S[j * p + i] = s;
        }
    }
}

/* g(S): the closed-form inner minimum (see the top of the file). */
static double dual_value(const admm_setup *a, const double *S)
{
    size_t n = a->n, d = a->d, c = a->c, p = a->p;
    const admm_loss *ls = a->ls;
    double g = ls->yconst;
    /* min_l (1/2)(w l^2 - 2 b l) - 2 s l = -(b + 2 s)^2 / (2 w) (w > 0); for w = 0 the
       update gives s = 0 exactly and the term is 0 */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < c; k++) {
            double sp = S[i * p + 2 * n + d + k], sn = S[(n + i) * p + 2 * n + d + k];
            double tp = ls->bp[i * c + k] + 2.0 * sp, tn = ls->bn[i * c + k] + 2.0 * sn;
            if (ls->wp[i] > 0.0) g -= tp * tp / (2.0 * ls->wp[i]);
            else if (sp != 0.0) return -INFINITY;
            if (ls->wn[i] > 0.0) g -= tn * tn / (2.0 * ls->wn[i]);
            else if (sn != 0.0) return -INFINITY;
        }
    return g;
}

/*
 * M = Q^T G Q = L^{-1} (B^T G B) L^{-T} (q x q) for symmetric G (p x p), using the
 * structure of B (lambda = (alpha, alpha - X u, u, v)): K = G B and B^T K cost
 * O(p n d), the two triangular solves O(q^3).  K: p x q work array.
 */
static void congruence(const admm_setup *a, const double *G, double *K, double *M)
{
    const size_t n = a->n, d = a->d, c = a->c, p = a->p, q = a->q;
    const double *X = a->pb->X;
    for (size_t i = 0; i < p; i++) {
        const double *g = G + i * p;
        double *k = K + i * q;
        for (size_t j = 0; j < n; j++) k[j] = g[j] + g[n + j];
        memcpy(k + n, g + 2 * n, (d + c) * sizeof(double));
    }
    /* K[:, u] -= G[:, beta] X */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)p, (int)d, (int)n, -1.0, G + n,
                (int)p, X, (int)d, 1.0, K + n, (int)q);
    for (size_t j = 0; j < n; j++) {
        const double *k1 = K + j * q, *k2 = K + (n + j) * q;
        double *m = M + j * q;
        for (size_t t = 0; t < q; t++) m[t] = k1[t] + k2[t];
    }
    memcpy(M + n * q, K + 2 * n * q, (d + c) * q * sizeof(double));
    /* M[u, :] -= X^T K[beta, :] */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)q, (int)n, -1.0, X,
                (int)d, K + n * q, (int)q, 1.0, M + n * q, (int)q);
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)q,
                (int)q, 1.0, a->L, (int)q, M, (int)q);
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)q,
                (int)q, 1.0, a->L, (int)q, M, (int)q);
    symmetrize(M, q);
}

/*
 * P = (Q V^T)(Q V^T)^T for the r x q rows V: Q V^T = B L^{-T} V^T, so with
 * Y = V L^{-1} (r x q) the rows of (Q V^T)^T are B applied to the rows of Y.
 * V is overwritten by Y; WT (r x p) work.  Only the upper triangle of P is set.
 */
static void lift_product(const admm_setup *a, double *V, size_t r, double *WT, double *P)
{
    const size_t n = a->n, d = a->d, c = a->c, p = a->p, q = a->q;
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, (int)r,
                (int)q, 1.0, a->L, (int)q, V, (int)q);
    cr_sdp_lift_rows(a->pb->X, n, d, c, V, r, WT);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)p, (int)r, 1.0, WT, (int)p, 0.0, P,
                (int)p);
}

/* f at P = Q Zt Q^T (p x p). */
static double value_p(const admm_setup *a, const double *P)
{
    size_t n = a->n, d = a->d, c = a->c, p = a->p;
    const admm_loss *ls = a->ls;
    double loss = 0.0, tr = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < c; k++) {
            double x = P[i * p + 2 * n + d + k], z = P[(n + i) * p + 2 * n + d + k];
            loss += ls->wp[i] * x * x - 2.0 * ls->bp[i * c + k] * x + ls->wn[i] * z * z -
                    2.0 * ls->bn[i * c + k] * z;
        }
    for (size_t t = 2 * n; t < p; t++) tr += P[t * p + t];
    return 0.5 * loss + ls->yconst + 0.5 * a->pb->beta * tr;
}

/* The ADMM on the (row-reduced) problem pb with the loss ls; res->Z is q x q of pb. */
static cvxrelu_status sdp_admm_reduced(const cr_sdp_problem *pb, const admm_loss *ls,
                                       const cvxrelu_sdp_settings *s, double ub, size_t nfull,
                                       cvxrelu_sdp_result *res, cvxrelu_error *err)
{
    admm_setup a;
    memset(&a, 0, sizeof a);
    a.ls = ls;
    int rc = admm_setup_init(&a, pb);
    if (rc != 0) {
        admm_setup_free(&a);
        return rc == -1 ? cr_fail(err, CVXRELU_ERR_NOMEM, "sdp: out of memory")
                        : cr_fail(err, CVXRELU_ERR_NUMERIC, "sdp: basis of null(M) failed");
    }
    size_t p = a.p, q = a.q, pp = p * p, qq = q * q;
    const double relax = 1.6;     /* over-relaxation */
    const double bal = 3.0;       /* residual balancing: rebalance when off by this factor */
    const size_t bal_every = 10;  /* .. checked this often */
    const size_t aa_mem = 10;     /* Anderson memory */
    double *A = cr_calloc(pp, sizeof(double)), *Lam = cr_calloc(pp, sizeof(double));
    double *S = cr_calloc(pp, sizeof(double));
    double *P = cr_calloc(pp, sizeof(double));
    double *W = cr_calloc(p * q, sizeof(double)), *M = cr_calloc(qq, sizeof(double));
    double *Zt = cr_calloc(qq, sizeof(double)), *Zold = cr_calloc(qq, sizeof(double));
    double *V = cr_calloc(qq, sizeof(double)), *w = cr_calloc(q, sizeof(double));
    double *Best = cr_calloc(qq, sizeof(double));
    size_t aa_rejected = 0;
    double *G = cr_calloc(pp, sizeof(double)), *F = cr_calloc(pp, sizeof(double));
    double *Tprev = cr_calloc(pp, sizeof(double)), *Gprev = cr_calloc(pp, sizeof(double));
    double *Fprev = cr_calloc(pp, sizeof(double));
    double *dG = cr_calloc(aa_mem ? aa_mem * pp : 1, sizeof(double));
    double *dF = cr_calloc(aa_mem ? aa_mem * pp : 1, sizeof(double));
    double *Hs = cr_calloc(aa_mem * aa_mem + 1, sizeof(double));
    double *H = cr_calloc(aa_mem * aa_mem + 1, sizeof(double)), *gam = cr_calloc(aa_mem + 1, sizeof(double));
    cvxrelu_status st = CVXRELU_OK;
    if (!A || !Lam || !S || !P || !W || !M || !Zt || !Zold || !V || !w || !Best || !G ||
        !F || !Tprev || !Gprev || !Fprev || !dG || !dF || !H || !Hs || !gam) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "sdp: out of memory (%.3g MB)",
                     cvxrelu_sdp_memory(pb->n, pb->d, pb->c, CVXRELU_SDP_ADMM) / 1e6);
        goto done;
    }
    rc = admm_weights_init(&a);
    if (rc != 0) {
        st = rc == -1 ? cr_fail(err, CVXRELU_ERR_NOMEM, "sdp: out of memory")
                      : cr_fail(err, CVXRELU_ERR_NUMERIC, "sdp: weighted trace bounds failed");
        goto done;
    }
    double rho = s->rho > 0.0 ? s->rho : 1.0;
    size_t max_iter = s->max_iter ? s->max_iter : 20000;
    size_t check = s->check_every ? s->check_every : 100;
    cr_loop loop;
    cr_loop_start(&loop, s->interrupt, s->time_limit_s, max_iter);
    loop.check_every = 0; /* checked inside the iteration, once its residuals are known */
    double best_lb = -INFINITY, last_value = NAN, last_pres = NAN, last_dres = NAN;
    res->exit = CVXRELU_EXIT_MAX_ITER;
    size_t it = 0;
    size_t nmem = 0, head = 0; /* Anderson memory: slots used, next slot */
    int have_prev = 0, proposed = 0;
    double fprev = INFINITY;
    while (!cr_loop_next(&loop)) {
        it = loop.iter;
        /* P = Pi_S(G) = Q Proj_PSD(Q^T G Q) Q^T */
        congruence(&a, G, W, M);
        memcpy(Zold, Zt, qq * sizeof(double));
        size_t npos = 0;
        if (cr_sym_eig_above(M, q, 0.0, w, V, &npos) != 0) {
            st = cr_fail(err, CVXRELU_ERR_NUMERIC, "sdp: eigendecomposition failed");
            goto done;
        }
        size_t r = 0;
        for (size_t k = 0; k < npos; k++)
            if (w[k] > 0.0) {
                double sw = sqrt(w[k]);
                for (size_t i = 0; i < q; i++) V[r * q + i] = V[k * q + i] * sw;
                r++;
            }
        /* Zt = V_r^T V_r (the rows of V hold the scaled eigenvectors), P = (Q V_r^T)(..)^T */
        if (r > 0) {
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)q, (int)r, 1.0, V, (int)q,
                        0.0, Zt, (int)q);
            lift_product(&a, V, r, W, P);
        } else {
            memset(Zt, 0, qq * sizeof(double));
            memset(P, 0, pp * sizeof(double));
        }
        for (size_t i = 0; i < q; i++)
            for (size_t j = i + 1; j < q; j++) Zt[j * q + i] = Zt[i * q + j];
        for (size_t i = 0; i < p; i++)
            for (size_t j = i + 1; j < p; j++) P[j * p + i] = P[i * p + j];
        /* Lambda = prox(2 P - G); the fixed-point residual F = relax (Lambda - P) */
        for (size_t t = 0; t < pp; t++) A[t] = 2.0 * P[t] - G[t];
        lambda_update(&a, A, rho, Lam, S);
        double rp = 0.0, nu = 0.0, nl = 0.0, np = 0.0;
        for (size_t t = 0; t < pp; t++) {
            double e = Lam[t] - P[t], u = G[t] - P[t];
            rp += e * e;
            nu += u * u;
            nl += Lam[t] * Lam[t];
            np += P[t] * P[t];
            F[t] = relax * e;
        }
        rp = sqrt(rp);
        double fnorm = relax * rp;
        double rd = 0.0;
        for (size_t t = 0; t < qq; t++) {
            double e = Zt[t] - Zold[t];
            rd += e * e;
        }
        rd = rho * sqrt(rd);
        double pres = rp / fmax(sqrt(fmax(nl, np)), 1e-300);
        double dres = rd / fmax(rho * sqrt(nu), 1e-300);
        /* safeguard: an accelerated point must not increase the residual */
        if (proposed && fnorm > fprev) {
            memcpy(G, Tprev, pp * sizeof(double));
            nmem = head = 0;
            have_prev = proposed = 0;
            aa_rejected++;
            continue;
        }
        last_pres = pres;
        last_dres = dres;
        int stop_now = 0, why = cr_loop_check(&loop);
        if (why) {
            res->exit = (cvxrelu_exit)why;
            stop_now = 1;
        }
        /* converged: both residuals within tol/100 (the value is then accurate to
           about tol in our tests).  The gap to the certified bound is no test: the
           iterate is not exactly feasible, its value may lie below the optimum while
           the bound lies below it too.  The bound is valid whenever we stop. */
        if (!stop_now && pres <= 1e-2 * s->tol && dres <= 1e-2 * s->tol) {
            res->exit = CVXRELU_EXIT_CONVERGED;
            stop_now = 1;
        }
        if (it % check == 0 || it == max_iter || stop_now) {
            /* certificate from S (computed at this iteration's Lambda-update) */
            congruence(&a, S, W, M);
            double gS = dual_value(&a, S), slope = psd_correction(&a, M, Zold);
            double lb = gS + slope * ub;
            res->bound_base = gS / (double)(nfull * pb->c);
            res->bound_slope = slope; /* the same on both scales */
            double value = value_p(&a, P);
            if (lb > best_lb) best_lb = lb;
            last_value = value;
            if (s->callback) {
                const double N = (double)(nfull * pb->c);
                cvxrelu_sdp_info info = {it, value / N, best_lb / N, pres, dres, cr_loop_elapsed(&loop)};
                s->callback(&info, s->callback_data);
            }
        }
        if (stop_now) break;
        /* residual balancing: rho *= f scales U = G - P by 1/f */
        if (it % bal_every == 0) {
            double f = 0.0;
            if (pres > bal * dres) f = 2.0;
            else if (dres > bal * pres) f = 0.5;
            if (f != 0.0) {
                rho *= f;
                for (size_t t = 0; t < pp; t++) G[t] = P[t] + (G[t] - P[t]) / f;
                nmem = head = 0;
                have_prev = proposed = 0;
                fprev = INFINITY;
                continue;
            }
        }
        /* Anderson acceleration (type II) of G -> G + F */
        for (size_t t = 0; t < pp; t++) Tprev[t] = G[t] + F[t];
        proposed = 0;
        if (aa_mem > 0) {
            if (have_prev) {
                double *dg = dG + head * pp, *df = dF + head * pp;
                for (size_t t = 0; t < pp; t++) {
                    dg[t] = G[t] - Gprev[t];
                    df[t] = F[t] - Fprev[t];
                }
                if (nmem < aa_mem) nmem++;
                for (size_t j = 0; j < nmem; j++) /* the new slot's Gram entries */
                    Hs[head * aa_mem + j] = Hs[j * aa_mem + head] =
                        cblas_ddot((int)pp, df, 1, dF + j * pp, 1);
                head = (head + 1) % aa_mem;
            }
            memcpy(Gprev, G, pp * sizeof(double));
            memcpy(Fprev, F, pp * sizeof(double));
            have_prev = 1;
            if (nmem >= 2) {
                /* gamma = argmin ||F - dF gamma||, normal equations with a small ridge */
                double tr = 0.0;
                for (size_t i = 0; i < nmem; i++) {
                    for (size_t j = 0; j < nmem; j++) H[i * nmem + j] = Hs[i * aa_mem + j];
                    tr += H[i * nmem + i];
                    gam[i] = cblas_ddot((int)pp, dF + i * pp, 1, F, 1);
                }
                for (size_t i = 0; i < nmem; i++) H[i * nmem + i] += 1e-10 * tr / (double)nmem;
                if (cr_chol(H, nmem, 1e-14) == 0) {
                    cr_chol_solve(H, gam, nmem);
                    memcpy(G, Tprev, pp * sizeof(double));
                    cblas_dgemv(CblasRowMajor, CblasTrans, (int)nmem, (int)pp, -1.0, dG,
                                (int)pp, gam, 1, 1.0, G, 1);
                    cblas_dgemv(CblasRowMajor, CblasTrans, (int)nmem, (int)pp, -1.0, dF,
                                (int)pp, gam, 1, 1.0, G, 1);
                    proposed = 1;
                    fprev = fnorm;
                    continue;
                }
                nmem = head = 0;
            }
        }
        memcpy(G, Tprev, pp * sizeof(double));
        fprev = fnorm;
    }
    it = loop.iter;
    /* Z = L^{-T} Zt L^{-1} */
    memcpy(Best, Zt, qq * sizeof(double));
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, (int)q,
                (int)q, 1.0, a.L, (int)q, Best, (int)q);
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, (int)q, (int)q,
                1.0, a.L, (int)q, Best, (int)q);
    symmetrize(Best, q);
    res->Z = Best;
    Best = NULL;
    res->q = q;
    res->iterations = it;
    res->value = last_value;
    res->lower_bound = best_lb;
    res->pres = last_pres;
    res->dres = last_dres;
    res->rejected_steps = aa_rejected;
done:
    admm_setup_free(&a);
    free(G);
    free(F);
    free(Tprev);
    free(Gprev);
    free(Fprev);
    free(dG);
    free(dF);
    free(H);
    free(Hs);
    free(gam);
    free(A);
    free(Lam);
    free(S);
    free(P);
    free(W);
    free(M);
    free(Zt);
    free(Zold);
    free(V);
    free(w);
    free(Best);
    return st;
}

/* The ADMM on the full problem: parallel rows merged first, Z expanded after. */
static cvxrelu_status sdp_admm(const cr_sdp_problem *pb, const cvxrelu_sdp_settings *s,
                               double ub, cvxrelu_sdp_result *res, cvxrelu_error *err)
{
    const size_t n = pb->n, d = pb->d, c = pb->c;
    int *grp = cr_malloc(n, sizeof(int));
    double *sc = cr_malloc(n, sizeof(double)), *Xr = cr_malloc(n * d, sizeof(double));
    admm_loss ls = {cr_calloc(n, sizeof(double)), cr_calloc(n, sizeof(double)),
                    cr_calloc(n * c, sizeof(double)), cr_calloc(n * c, sizeof(double)), 0.0};
    double *W = NULL, *Zf = NULL;
    cvxrelu_status st = CVXRELU_OK;
    if (!grp || !sc || !Xr || !ls.wp || !ls.wn || !ls.bp || !ls.bn) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "sdp: out of memory");
        goto done;
    }
    const size_t nr = cr_sdp_reduce_rows(pb, grp, sc, Xr);
    ls.yconst = 0.5 * cblas_ddot((int)(n * c), pb->Y, 1, pb->Y, 1);
    for (size_t j = 0; j < n; j++) {
        if (grp[j] < 0) continue;
        size_t r = (size_t)grp[j];
        double a = fabs(sc[j]);
        double *w = sc[j] > 0.0 ? ls.wp : ls.wn, *b = sc[j] > 0.0 ? ls.bp : ls.bn;
        w[r] += a * a;
        for (size_t k = 0; k < c; k++) b[r * c + k] += a * pb->Y[j * c + k];
    }
    if (nr == 0) { /* all rows zero: Z = 0 is optimal, the value (1/2)||Y||^2 exact */
        res->Z = cr_calloc((n + d + c) * (n + d + c), sizeof(double));
        if (!res->Z) {
            st = cr_fail(err, CVXRELU_ERR_NOMEM, "sdp: out of memory");
            goto done;
        }
        res->q = n + d + c;
        res->value = res->lower_bound = res->bound_base = ls.yconst / (double)(n * c);
        res->bound_slope = 0.0;
        res->exit = CVXRELU_EXIT_CONVERGED;
        goto done;
    }
    res->rows_used = nr;
    cr_sdp_problem pr = {nr, d, c, Xr, NULL, pb->beta};
    st = sdp_admm_reduced(&pr, &ls, s, ub, n, res, err);
    if (st != CVXRELU_OK || nr == n) goto done;
    /* Z = E Zr E^T */
    {
        const size_t q = nr + d + c, qf = n + d + c;
        W = cr_malloc(qf, q * sizeof(double));
        Zf = cr_malloc(qf, qf * sizeof(double));
        if (!W || !Zf) {
            st = cr_fail(err, CVXRELU_ERR_NOMEM, "sdp: out of memory");
            goto done;
        }
        for (size_t a = 0; a < qf; a++)
            for (size_t j = 0; j < q; j++)
                W[a * q + j] = cr_sdp_emap(pb, nr, grp, sc, Xr, res->Z + j * q, a);
        for (size_t a = 0; a < qf; a++)
            for (size_t b = 0; b <= a; b++)
                Zf[a * qf + b] = Zf[b * qf + a] = cr_sdp_emap(pb, nr, grp, sc, Xr, W + a * q, b);
        free(res->Z);
        res->Z = Zf;
        Zf = NULL;
        res->q = qf;
    }
done:
    free(grp);
    free(sc);
    free(Xr);
    free(ls.wp);
    free(ls.wn);
    free(ls.bp);
    free(ls.bn);
    free(W);
    free(Zf);
    return st;
}

/* ------------------------------------------------------------ public API */

cvxrelu_status cvxrelu_sdp_solve(const cvxrelu_problem *problem, double lambda,
                                 const cvxrelu_sdp_settings *s, cvxrelu_sdp_result *res,
                                 cvxrelu_error *err)
{
    cvxrelu_sdp_settings def;
    if (!s) {
        cvxrelu_sdp_settings_default(&def);
        s = &def;
    }
    if (!res) return cr_fail(err, CVXRELU_ERR_INVALID, "sdp: no result given");
    memset(res, 0, sizeof *res);
    if (!problem) return cr_fail(err, CVXRELU_ERR_INVALID, "sdp: no problem (X, Y) given");
    const double *X = problem->X, *Y = problem->Y;
    size_t n = problem->n, d = problem->d, c = problem->c;
    if (!X || !Y || n == 0 || d == 0 || c == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID, "sdp: empty problem (n=%zu, d=%zu, c=%zu)", n,
                       d, c);
    if (!(lambda > 0.0) || !isfinite(lambda))
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "sdp: lambda must be a finite number > 0 (got %g): without weight "
                       "decay the relaxation is unbounded in scale",
                       lambda);
    if (!(s->tol > 0.0)) return cr_fail(err, CVXRELU_ERR_INVALID, "sdp: tol must be > 0");
    double N = (double)(n * c);
    cr_sdp_problem pb = {n, d, c, X, Y, lambda * N};
    double ub0 = 0.5 * cblas_ddot((int)(n * c), Y, 1, Y, 1);
    double ub = ub0;
    if (s->upper_bound > 0.0 && s->upper_bound * N < ub) ub = s->upper_bound * N;
    double t0 = cr_now();
    cvxrelu_status st;
    if (s->method == CVXRELU_SDP_DSDP) {
        cr_sdp_out o;
        memset(&o, 0, sizeof o);
        st = cr_sdp_dsdp(&pb, s->tol, s->max_iter, s->verbose, s->interrupt, s->time_limit_s,
                         &o, err);
        if (st != CVXRELU_OK) {
            free(o.Z);
            return st;
        }
        res->Z = o.Z;
        res->q = n + d + c;
        res->value = o.primal;
        res->lower_bound = o.lower_bound;
        res->pres = o.pres;
        res->dres = o.dres;
        res->iterations = o.iters;
        res->exit = o.converged ? CVXRELU_EXIT_CONVERGED
                    : o.stopped ? (cvxrelu_exit)o.stopped
                                : CVXRELU_EXIT_MAX_ITER;
        res->bound_base = o.lower_bound / N; /* no UB-dependent part kept */
        res->bound_slope = 0.0;
    } else if (s->method == CVXRELU_SDP_ADMM) {
        st = sdp_admm(&pb, s, ub, res, err);
        if (st != CVXRELU_OK) return st;
    } else {
        return cr_fail(err, CVXRELU_ERR_INVALID, "sdp: unknown method %d", (int)s->method);
    }
    cr_sdp_eval ev;
    cr_sdp_evaluate(&pb, res->Z, &ev);
    res->rank = ev.rank;
    /* The lower bound can never exceed the value of the zero network, nor need it be
       below 0 (every term of the objective is >= 0). */
    if (res->lower_bound > ub0) res->lower_bound = ub0;
    if (!(res->lower_bound > 0.0)) res->lower_bound = 0.0;
    res->gap = (res->value - res->lower_bound) / fmax(fabs(res->value), 1e-12 * ub0);
    res->value /= N;
    res->lower_bound /= N;
    res->time_s = cr_now() - t0;
    if (!isfinite(res->value))
        return cr_fail(err, CVXRELU_ERR_NUMERIC, "sdp: the solver returned a non-finite value");
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_sdp_readout(const cvxrelu_problem *problem, double lambda,
                                   const cvxrelu_sdp_result *res,
                                   size_t R, size_t max_iter, uint64_t seed,
                                   const cvxrelu_limits *limits, double **U_out, double **V_out,
                                   cvxrelu_exit *exit_out, cvxrelu_error *err)
{
    if (exit_out) *exit_out = CVXRELU_EXIT_CONVERGED;
    if (!problem)
        return cr_fail(err, CVXRELU_ERR_INVALID, "sdp read-out: no problem (X, Y) given");
    const double *X = problem->X, *Y = problem->Y;
    size_t n = problem->n, d = problem->d, c = problem->c;
    if (!res || !res->Z || res->q != n + d + c)
        return cr_fail(err, CVXRELU_ERR_INVALID, "sdp read-out: no solution of this size");
    if (R == 0) return cr_fail(err, CVXRELU_ERR_INVALID, "sdp read-out: width must be >= 1");
    cr_sdp_problem pb = {n, d, c, X, Y, lambda * (double)(n * c)};
    cr_loop phase;
    cr_loop_start_limits(&phase, limits, CR_LOOP_UNLIMITED);
    int stopped = 0;
    cvxrelu_status st = cr_sdp_readout(&pb, res->Z, R, max_iter, seed, &phase, U_out, V_out,
                                       &stopped, err);
    if (st == CVXRELU_OK && stopped && exit_out) *exit_out = (cvxrelu_exit)stopped;
    return st;
}

double cvxrelu_sdp_lower_bound_for(const cvxrelu_sdp_result *res, double ub)
{
    if (!res) return NAN;
    double lb = res->lower_bound > 0.0 ? res->lower_bound : 0.0;
    if (ub > 0.0 && isfinite(ub) && res->bound_slope <= 0.0) {
        double b = res->bound_base + res->bound_slope * ub;
        if (b > lb) lb = b;
    }
    return lb;
}
