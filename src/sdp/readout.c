/*
 * Read-out of a network from a solution of the semidefinite relaxation of
 * [PBY24] (docs/algorithms.md, "The SDP relaxation").
 *
 * Given Z (q x q, z = (alpha, u, v) coordinates, see sdp.h) the lifted matrix
 * is Lambda = B Z B^T (p x p, p = 2n + d + c) in lambda = (alpha, beta, u, v)
 * coordinates.  A network of width R is a factor W (p x R), Lambda ~ W W^T,
 * whose columns have the structure of a neuron:
 *
 *   (i)  M w = 0, M = [-I, I, X, 0], i.e. alpha - beta = X u   (the subspace N);
 *   (ii) per data row i, alpha_i >= 0, beta_i >= 0, alpha_i beta_i = 0
 *        (the set S: per row a union of two rays, not convex).
 *
 * The factor is searched by three-operator splitting (Davis-Yin) on
 *
 *   min_W  h(W) + I_N(W) + I_S(W),   h(W) = (1/2) ||W W^T - Lambda||_F^2:
 *
 *   xB = P_N(z);  xA = P_S(2 xB - z - gamma D(xB));  z += xA - xB,
 *
 * with D the gradient 2 (W W^T - Lambda) W right-preconditioned as in scaled
 * gradient descent for low-rank factorization, D = grad h(W) (W^T W + eps I)^{-1}:
 * on planted solutions it recovers the network in far fewer iterations than
 * the plain gradient, whose progress on the small eigen-directions of Lambda is
 * slow (P_N acts on columns, so it is the projection in the preconditioned
 * metric too; P_S is not, the splitting is a heuristic here anyway since S is
 * not convex).  Lambda is scaled to ||Lambda||_2 = 1 (W by 1/sqrt(||Lambda||_2);
 * N and S are cones, nothing else changes), gamma = 0.2, eps = 1e-4; should h
 * blow up, gamma is halved and the run goes back to its best point.
 *
 * P_N is the least-squares projection of each column, w - M^T (M M^T)^{-1} M w
 * with M M^T = 2I + X X^T, inverted once as n x n, or for d < n through
 * Woodbury with the d x d matrix 2I + X^T X.  P_S keeps, per row and column,
 * the larger of (alpha_i, beta_i) if it is positive and zeroes the other.
 *
 * Starts: the top-R eigenvectors of Lambda times the square roots of their
 * eigenvalues (columns beyond the positive spectrum: small random ones from
 * cr_rng(seed)), then RO_STARTS - 1 random orthogonal rotations of it (the
 * factor is only determined up to rotation, and the splitting can stall in a
 * bad one).  Each column's sign is chosen so that its (alpha, beta) part keeps
 * more mass under P_S (an eigenvector's sign is arbitrary, a neuron's is not).
 * Each start runs max_iter iterations (0: 500) or until
 * ||z_{k+1} - z_k|| <= 1e-8 ||z_k||.
 *
 * The network is read from a column's u and v parts only, through the ReLU:
 * f(x) = sum_j (x.u_j)_+ v_j (alpha is not used), each neuron balanced to
 * ||u_j|| = ||v_j|| (f unchanged, least weight decay).  Its objective on the
 * paper scale is then
 *
 *   (1/2) ||sum_j (X u_j)_+ v_j^T - Y||_F^2 + beta sum_j ||u_j|| ||v_j||.
 *
 * The read-outs of xA (in S) and xB (in N) of every iterate are scored by it
 * (cheaper than an iteration) and the best is kept.
 *
 * Refinement, with the training data only: with the directions
 * ubar_j = u_j / ||u_j|| fixed, the least objective over the output weights and
 * the per-neuron scales is the group lasso
 *
 *   min_T (1/2) ||Hbar T - Y||_F^2 + beta sum_j ||t_j||,   Hbar = (X Ubar^T)_+,
 *
 * (t_j = ||u_j|| v_j; back: u_j = sqrt(||t_j||) ubar_j, v_j = t_j / sqrt(||t_j||)),
 * convex in R x c unknowns, solved by exact block coordinate descent on the
 * R x R Gram matrix of Hbar.  It includes the ridge refit of V followed by
 * balancing as a feasible point, so it is never worse than that.  The read-outs
 * of every RO_REFIT_EVERY-th iterate and of the last one are refitted for
 * screening (at most RO_REFIT_SWEEPS_SCREEN sweeps), the best unrefined one
 * fully; the best candidate, refitted or not, is refitted again to convergence
 * (a warm start, never worse) and returned.  (The refit matters: on real data
 * the unrefined read-out of a solution that is not completely positive is
 * typically 1.3 to 2 times worse.)
 *
 * Costs: forming Lambda and its top-R eigenpairs, O(p^3) once; an iteration,
 * O(p^2 R + p R^2 + n d R); a refit, O(n d R + n R^2) plus R^2 c per sweep.
 * The result depends on floating-point rounding (the iteration is chaotic on
 * solutions that are not completely positive): same seed, same BLAS and thread
 * count, same network.
 */
#include "internal.h"
#include "sdp.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#define RO_DEFAULT_ITERS 500
#define RO_TOL 1e-8
#define RO_GAMMA 0.2
#define RO_SCALED_EPS 1e-4
#define RO_REFIT_EVERY 10
#define RO_STARTS 3
#define RO_REFIT_SWEEPS 2000
#define RO_REFIT_SWEEPS_SCREEN 100
#define RO_REFIT_TOL 1e-10

typedef struct {
    const cr_sdp_problem *pb;
    size_t n, d, R;
    int small_n; /* K = (2I + X X^T)^{-1} (n x n), else K = (2I + X^T X)^{-1} (d x d) */
    double *K;
    double *r, *t; /* n x R each */
    double *s, *s2; /* d x R each */
} ro_proj;

/* Inverse of the SPD k x k matrix A (destroyed) into Ainv; 0 on success. */
static int spd_inverse(double *A, size_t k, double *Ainv)
{
    if (cr_chol(A, k, 0.0)) return -1;
    double *e = cr_malloc(k, sizeof(double));
    if (!e) return -1;
    for (size_t j = 0; j < k; j++) {
        memset(e, 0, k * sizeof(double));
        e[j] = 1.0;
        cr_chol_solve(A, e, k);
        for (size_t i = 0; i < k; i++) Ainv[i * k + j] = e[i];
    }
    free(e);
    return 0;
}

static void proj_free(ro_proj *P)
{
    free(P->K);
    free(P->r);
    free(P->t);
    free(P->s);
    free(P->s2);
}

static int proj_init(ro_proj *P, const cr_sdp_problem *pb, size_t R)
{
    size_t n = pb->n, d = pb->d;
    memset(P, 0, sizeof(*P));
    P->pb = pb;
    P->n = n;
    P->d = d;
    P->R = R;
    P->small_n = n <= d;
    size_t k = P->small_n ? n : d;
    double *A = cr_malloc(k * k, sizeof(double));
    P->K = cr_malloc(k * k, sizeof(double));
    P->r = cr_malloc(n * R, sizeof(double));
    P->t = cr_malloc(n * R, sizeof(double));
    P->s = cr_malloc(d * R, sizeof(double));
    P->s2 = cr_malloc(d * R, sizeof(double));
    if (!A || !P->K || !P->r || !P->t || !P->s || !P->s2) {
        free(A);
        proj_free(P);
        return -1;
    }
    if (P->small_n)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)d, 1.0, pb->X,
                    (int)d, pb->X, (int)d, 0.0, A, (int)n);
    else
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)d, (int)n, 1.0, pb->X,
                    (int)d, pb->X, (int)d, 0.0, A, (int)d);
    for (size_t i = 0; i < k; i++) A[i * k + i] += 2.0;
    int rc = spd_inverse(A, k, P->K);
    free(A);
    if (rc) proj_free(P);
    return rc;
}

/*
 * W (p x R) onto N, column by column: W - M^T y with y = (M M^T)^{-1} M W,
 * M W = beta - alpha + X u, M^T y = (-y, y, X^T y, 0).  For d < n, Woodbury:
 * (2I + X X^T)^{-1} = (I - X (2I + X^T X)^{-1} X^T) / 2.
 */
static void proj_null(const ro_proj *P, double *W)
{
    size_t n = P->n, d = P->d, R = P->R;
    int in = (int)n, id = (int)d, iR = (int)R;
    const double *X = P->pb->X;
    double *a = W, *b = W + n * R, *u = W + 2 * n * R, *r = P->r, *y = P->t;
    for (size_t i = 0; i < n * R; i++) r[i] = b[i] - a[i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, in, iR, id, 1.0, X, id, u, iR, 1.0, r,
                iR);
    if (P->small_n) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, in, iR, in, 1.0, P->K, in, r, iR,
                    0.0, y, iR);
    } else {
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, id, iR, in, 1.0, X, id, r, iR, 0.0,
                    P->s, iR);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, id, iR, id, 1.0, P->K, id, P->s,
                    iR, 0.0, P->s2, iR);
        memcpy(y, r, n * R * sizeof(double));
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, in, iR, id, -1.0, X, id, P->s2, iR,
                    1.0, y, iR);
        cblas_dscal(in * iR, 0.5, y, 1);
    }
    for (size_t i = 0; i < n * R; i++) {
        a[i] += y[i];
        b[i] -= y[i];
    }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, id, iR, in, -1.0, X, id, y, iR, 1.0, u,
                iR);
}

/* The (alpha, beta) rows of W (p x R) onto S, entry pair by entry pair. */
static void proj_sign(double *W, size_t n, size_t R)
{
    double *a = W, *b = W + n * R;
    for (size_t i = 0; i < n * R; i++) {
        if (a[i] >= b[i]) {
            a[i] = a[i] > 0.0 ? a[i] : 0.0;
            b[i] = 0.0;
        } else {
            b[i] = b[i] > 0.0 ? b[i] : 0.0;
            a[i] = 0.0;
        }
    }
}

/* Mass of column j's (alpha, beta) part kept by P_S, for w (s = 1) or -w (s = -1). */
static double sign_mass(const double *W, size_t n, size_t R, size_t j, double sg)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = sg * W[i * R + j], b = sg * W[(n + i) * R + j];
        double t = a >= b ? a : b;
        if (t > 0.0) m += t * t;
    }
    return m;
}

/*
 * G = grad h(W) = 2 (W (W^T W) - Lambda W); returns h(W) =
 * (1/2)(||W^T W||^2 - 2 <W, Lambda W> + ||Lambda||^2).  LW (p x R) and WtW
 * (R x R) are workspace.
 */
static double grad_h(const double *L, double L2, const double *W, size_t p, size_t R, double *G,
                     double *LW, double *WtW)
{
    int ip = (int)p, iR = (int)R;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, iR, iR, ip, 1.0, W, iR, W, iR, 0.0, WtW,
                iR);
    cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, ip, iR, 1.0, L, ip, W, iR, 0.0, LW, iR);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ip, iR, iR, 2.0, W, iR, WtW, iR, 0.0, G,
                iR);
    cblas_daxpy((int)(p * R), -2.0, LW, 1, G, 1);
    double ww = cblas_ddot((int)(R * R), WtW, 1, WtW, 1);
    double wlw = cblas_ddot((int)(p * R), W, 1, LW, 1);
    return 0.5 * (ww - 2.0 * wlw + L2);
}

/* U (R x d) and V (R x c) from the u and v rows of W (p x R), times sc. */
static void extract(const double *W, size_t n, size_t d, size_t c, size_t R, double sc, double *U,
                    double *V)
{
    for (size_t j = 0; j < R; j++) {
        for (size_t k = 0; k < d; k++) U[j * d + k] = sc * W[(2 * n + k) * R + j];
        for (size_t k = 0; k < c; k++) V[j * c + k] = sc * W[(2 * n + d + k) * R + j];
    }
}

/*
 * Balanced objective of the network (U, V) of width R on the training data:
 * (1/2)||(X U^T)_+ V - Y||^2 + beta sum_j ||u_j|| ||v_j||.  H (n x R) and P
 * (n x c) are workspace.
 */
static double net_objective(const cr_sdp_problem *pb, const double *U, const double *V, size_t R,
                            double *H, double *P)
{
    size_t n = pb->n, d = pb->d, c = pb->c;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)R, (int)d, 1.0, pb->X,
                (int)d, U, (int)d, 0.0, H, (int)R);
    for (size_t i = 0; i < n * R; i++)
        if (!(H[i] > 0.0)) H[i] = 0.0;
    memcpy(P, pb->Y, n * c * sizeof(double));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)c, (int)R, 1.0, H, (int)R,
                V, (int)c, -1.0, P, (int)c);
    double loss = 0.5 * cblas_ddot((int)(n * c), P, 1, P, 1);
    double pen = 0.0;
    for (size_t j = 0; j < R; j++)
        pen += cblas_dnrm2((int)d, U + j * d, 1) * cblas_dnrm2((int)c, V + j * c, 1);
    return loss + pb->beta * pen;
}

/* Scale u_j by s, v_j by 1/s, s = sqrt(||v_j|| / ||u_j||); dead neurons become 0. */
static void balance(double *U, double *V, size_t R, size_t d, size_t c)
{
    for (size_t j = 0; j < R; j++) {
        double nu = cblas_dnrm2((int)d, U + j * d, 1), nv = cblas_dnrm2((int)c, V + j * c, 1);
        if (!(nu > 0.0) || !(nv > 0.0) || !isfinite(nu) || !isfinite(nv)) {
            memset(U + j * d, 0, d * sizeof(double));
            memset(V + j * c, 0, c * sizeof(double));
            continue;
        }
        double s = sqrt(nv / nu);
        cblas_dscal((int)d, s, U + j * d, 1);
        cblas_dscal((int)c, 1.0 / s, V + j * c, 1);
    }
}

/* Workspace of the refit, for width R. */
typedef struct {
    double *Ub, *H, *G, *HY, *T, *r;
} ro_refit;

static int refit_init(ro_refit *w, const cr_sdp_problem *pb, size_t R)
{
    w->Ub = cr_malloc(R * pb->d, sizeof(double));
    w->H = cr_malloc(pb->n * R, sizeof(double));
    w->G = cr_malloc(R * R, sizeof(double));
    w->HY = cr_malloc(R * pb->c, sizeof(double));
    w->T = cr_malloc(R * pb->c, sizeof(double));
    w->r = cr_malloc(pb->c, sizeof(double));
    return w->Ub && w->H && w->G && w->HY && w->T && w->r ? 0 : -1;
}

static void refit_free(ro_refit *w)
{
    free(w->Ub);
    free(w->H);
    free(w->G);
    free(w->HY);
    free(w->T);
    free(w->r);
}

/*
 * Group-lasso refit of (U, V) in place with the directions of U fixed (see the
 * head of the file), by exact cyclic block coordinate descent on the R x R
 * Gram matrix of Hbar: block j is a scalar column times a row t_j, so its
 * minimizer given the others is t_j = shrink(r_j, beta) / G_jj with
 * r_j = (Hbar^T Y)_j - sum_{k != j} G_jk t_k.  Monotone; warm-started at the
 * balanced input.  Returns the balanced objective of the result.
 */
static double refit(const cr_sdp_problem *pb, double *U, double *V, size_t R, ro_refit *w,
                    size_t max_sweeps)
{
    size_t n = pb->n, d = pb->d, c = pb->c;
    int in = (int)n, id = (int)d, ic = (int)c, iR = (int)R;
    double *Ub = w->Ub, *H = w->H, *G = w->G, *HY = w->HY, *T = w->T, *r = w->r;
    for (size_t j = 0; j < R; j++) {
        double nu = cblas_dnrm2(id, U + j * d, 1);
        if (nu > 0.0 && isfinite(nu)) {
            for (size_t k = 0; k < d; k++) Ub[j * d + k] = U[j * d + k] / nu;
            for (size_t k = 0; k < c; k++) T[j * c + k] = nu * V[j * c + k];
        } else {
            memset(Ub + j * d, 0, d * sizeof(double));
            memset(T + j * c, 0, c * sizeof(double));
        }
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, in, iR, id, 1.0, pb->X, id, Ub, id, 0.0,
                H, iR);
    for (size_t i = 0; i < n * R; i++)
        if (!(H[i] > 0.0)) H[i] = 0.0;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, iR, iR, in, 1.0, H, iR, H, iR, 0.0, G,
                iR);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, iR, ic, in, 1.0, H, iR, pb->Y, ic, 0.0,
                HY, ic);
    double yy = cblas_ddot(in * ic, pb->Y, 1, pb->Y, 1), beta = pb->beta;
    double tr = 0.0;
    for (size_t j = 0; j < R; j++) tr += G[j * R + j];
    for (size_t sweep = 0; sweep < max_sweeps; sweep++) {
        /* block j's part of the objective: phi(t) = (gjj/2)||t||^2 - t.r + beta ||t||;
           the sweep's decrease sums phi(old) - phi(new) >= 0 */
        double dec = 0.0, scale = 0.0;
        for (size_t j = 0; j < R; j++) {
            double gjj = G[j * R + j], *tj = T + j * c;
            if (!(gjj > 1e-14 * tr)) { /* dead on the data */
                memset(tj, 0, c * sizeof(double));
                continue;
            }
            memcpy(r, HY + j * c, c * sizeof(double));
            cblas_dgemv(CblasRowMajor, CblasTrans, iR, ic, -1.0, T, ic, G + j * R, 1, 1.0, r, 1);
            cblas_daxpy(ic, gjj, tj, 1, r, 1); /* add back k = j */
            double to = cblas_dnrm2(ic, tj, 1);
            double phi0 = 0.5 * gjj * to * to - cblas_ddot(ic, tj, 1, r, 1) + beta * to;
            double nr = cblas_dnrm2(ic, r, 1);
            double f = nr > beta ? (1.0 - beta / nr) / gjj : 0.0;
            for (size_t k = 0; k < c; k++) tj[k] = f * r[k];
            double tn = f * nr; /* ||t_j|| */
            double phi1 = 0.5 * gjj * tn * tn - f * nr * nr + beta * tn;
            dec += phi0 - phi1;
            scale += fabs(phi1);
        }
        if (dec <= RO_REFIT_TOL * (scale + 0.5 * yy)) break;
    }
    /* objective in the Gram form: (1/2)(yy - 2 <T, HY> + <T, G T>) + beta sum ||t_j|| */
    double obj = 0.5 * yy;
    for (size_t j = 0; j < R; j++) {
        double nt = cblas_dnrm2(ic, T + j * c, 1);
        obj += beta * nt - cblas_ddot(ic, T + j * c, 1, HY + j * c, 1);
        for (size_t k = 0; k < R; k++)
            if (G[j * R + k] != 0.0)
                obj += 0.5 * G[j * R + k] * cblas_ddot(ic, T + j * c, 1, T + k * c, 1);
        double sq = sqrt(nt);
        for (size_t k = 0; k < d; k++) U[j * d + k] = nt > 0.0 ? sq * Ub[j * d + k] : 0.0;
        for (size_t k = 0; k < c; k++) V[j * c + k] = nt > 0.0 ? T[j * c + k] / sq : 0.0;
    }
    return obj > 0.0 ? obj : 0.0;
}

/* Lambda = B Z B^T (p x p) from Z (q x q). */
static void build_lambda(const cr_sdp_problem *pb, const double *Z, double *L, double *T)
{
    size_t n = pb->n, d = pb->d, c = pb->c, q = n + d + c, p = 2 * n + d + c;
    int in = (int)n, id = (int)d, iq = (int)q;
    /* T = B Z (p x q): rows alpha = Z_a, beta = Z_a - X Z_u, u = Z_u, v = Z_v */
    memcpy(T, Z, n * q * sizeof(double));
    memcpy(T + n * q, Z, n * q * sizeof(double));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, in, iq, id, -1.0, pb->X, id, Z + n * q,
                iq, 1.0, T + n * q, iq);
    memcpy(T + 2 * n * q, Z + n * q, (d + c) * q * sizeof(double));
    /* L = T B^T: columns alpha = T_a, beta = T_a - T_u X^T, u = T_u, v = T_v */
    cr_sdp_lift_rows(pb->X, n, d, c, T, p, L);
    /* symmetrize against rounding */
    for (size_t i = 0; i < p; i++)
        for (size_t j = i + 1; j < p; j++) {
            double m = 0.5 * (L[i * p + j] + L[j * p + i]);
            L[i * p + j] = m;
            L[j * p + i] = m;
        }
}

/* The tuning of the iteration. */
typedef struct {
    double gamma;       /* step of the scaled problem */
    double eps;         /* ScaledGD regularization of W^T W (0: plain gradient) */
    size_t refit_every; /* refit the current read-outs every K iterations (0: never) */
    size_t starts;      /* the eigenvector start, then random rotations of it */
} ro_params;

/* The best network seen: (U, V) balanced, its objective. */
typedef struct {
    double *U, *V;
    double obj;
} ro_best;

/* Everything one run of the splitting needs. */
typedef struct {
    const cr_sdp_problem *pb;
    size_t n, d, c, p, R;
    const double *L; /* Lambda / lmax, p x p */
    double L2, sc;   /* ||Lambda / lmax||_F^2, sqrt(lmax) */
    ro_params prm;
    ro_proj P;
    ro_refit RW;
    double *xA, *xB, *G, *LW, *zbest; /* p x R */
    double *WtW, *Hm;                 /* R x R */
    double *Uc, *Vc, *Hn, *Pn;        /* R x d, R x c, n x R, n x c */
    ro_best raw, fin;                 /* best unrefined and best overall */
    const cr_loop *phase;             /* each run's stop request and deadline; NULL: none */
    int stopped;                      /* why the read-out was cut short, 0 if not */
} ro_ctx;

static void best_offer(ro_best *b, const double *U, const double *V, size_t R, size_t d, size_t c,
                       double obj)
{
    if (isfinite(obj) && obj < b->obj) {
        b->obj = obj;
        memcpy(b->U, U, R * d * sizeof(double));
        memcpy(b->V, V, R * c * sizeof(double));
    }
}

/* Offer the read-out of W (p x R, scaled problem): unrefined, and refitted if asked. */
static void offer_point(ro_ctx *C, const double *W, int with_refit)
{
    size_t R = C->R, d = C->d, c = C->c;
    extract(W, C->n, d, c, R, C->sc, C->Uc, C->Vc);
    balance(C->Uc, C->Vc, R, d, c);
    best_offer(&C->raw, C->Uc, C->Vc, R, d, c, net_objective(C->pb, C->Uc, C->Vc, R, C->Hn, C->Pn));
    if (with_refit)
        best_offer(&C->fin, C->Uc, C->Vc, R, d, c,
                   refit(C->pb, C->Uc, C->Vc, R, &C->RW, RO_REFIT_SWEEPS_SCREEN));
}

/*
 * Davis-Yin from z (p x R, overwritten) for at most max_iter iterations, every
 * iterate's read-outs offered to C->raw, refitted ones to C->fin.
 */
static void dys_run(ro_ctx *C, double *z, size_t max_iter)
{
    size_t n = C->n, p = C->p, R = C->R, pR = p * R;
    double *xA = C->xA, *xB = C->xB, *G = C->G;
    double gamma = C->prm.gamma, h0 = -1.0, hbest = DBL_MAX;
    int stepped = 0;
    memcpy(C->zbest, z, pR * sizeof(double));
    cr_loop run; /* a stop request ends it: the best offered so far stands */
    cr_loop_within(&run, C->phase, max_iter);
    while (!cr_loop_next(&run)) {
        const size_t it = run.iter - 1;
        memcpy(xB, z, pR * sizeof(double));
        proj_null(&C->P, xB);
        double h = grad_h(C->L, C->L2, xB, p, R, G, C->LW, C->WtW);
        if (h0 < 0.0) h0 = h;
        if (!isfinite(h) || h > 10.0 * (C->L2 + h0)) { /* diverging: halve the step, go back */
            gamma *= 0.5;
            memcpy(z, C->zbest, pR * sizeof(double));
            if (gamma < 1e-6 * C->prm.gamma) break;
            continue;
        }
        if (h < hbest) {
            hbest = h;
            memcpy(C->zbest, z, pR * sizeof(double));
        }
        if (C->prm.eps > 0.0) { /* ScaledGD: G (W^T W + eps I)^{-1} */
            double *Hm = C->Hm;
            memcpy(Hm, C->WtW, R * R * sizeof(double));
            for (size_t j = 0; j < R; j++) Hm[j * R + j] += C->prm.eps;
            if (cr_chol(Hm, R, 0.0) == 0)
                for (size_t i = 0; i < p; i++) cr_chol_solve(Hm, G + i * R, R);
        }
        for (size_t i = 0; i < pR; i++) xA[i] = 2.0 * xB[i] - z[i] - gamma * G[i];
        proj_sign(xA, n, R);
        stepped = 1;
        double dn = 0.0, zn = 0.0;
        for (size_t i = 0; i < pR; i++) {
            double e = xA[i] - xB[i];
            dn += e * e;
            zn += z[i] * z[i];
            z[i] += e;
        }
        int last = dn <= RO_TOL * RO_TOL * zn || it + 1 == max_iter;
        int rf = last || (C->prm.refit_every && it % C->prm.refit_every == 0);
        offer_point(C, xA, rf);
        offer_point(C, xB, rf);
        if (last) break;
    }
    C->stopped = cr_loop_stopped(&run);
    if (!stepped && !C->stopped) { /* no step taken: P_S P_N of the start */
        memcpy(xA, z, pR * sizeof(double));
        proj_null(&C->P, xA);
        proj_sign(xA, n, R);
        offer_point(C, xA, 1);
    }
}

/* Q (R x R) uniformly random orthogonal: Gram-Schmidt (twice) of a Gaussian matrix. */
static void random_orthogonal(cr_rng *rng, double *Q, size_t R)
{
    for (size_t i = 0; i < R * R; i++) Q[i] = cr_rng_normal(rng);
    for (size_t a = 0; a < R; a++) {
        double *qa = Q + a * R;
        for (int pass = 0; pass < 2; pass++)
            for (size_t b = 0; b < a; b++)
                cblas_daxpy((int)R, -cblas_ddot((int)R, qa, 1, Q + b * R, 1), Q + b * R, 1, qa, 1);
        double nq = cblas_dnrm2((int)R, qa, 1);
        if (nq > 0.0) cblas_dscal((int)R, 1.0 / nq, qa, 1);
    }
}

/* Flip the columns of z (p x R) whose (alpha, beta) part keeps more mass negated. */
static void orient_columns(double *z, size_t n, size_t p, size_t R)
{
    for (size_t j = 0; j < R; j++)
        if (sign_mass(z, n, R, j, -1.0) > sign_mass(z, n, R, j, 1.0))
            for (size_t i = 0; i < p; i++) z[i * R + j] = -z[i * R + j];
}

cvxrelu_status cr_sdp_readout(const cr_sdp_problem *pb, const double *Z, size_t R,
                              size_t max_iter, uint64_t seed, const cr_loop *phase,
                              double **U_out, double **V_out, int *stopped, cvxrelu_error *err)
{
    if (stopped) *stopped = 0;
    if (U_out) *U_out = NULL;
    if (V_out) *V_out = NULL;
    if (!pb || !Z || !U_out || !V_out || !pb->X || !pb->Y)
        return cr_fail(err, CVXRELU_ERR_INVALID, "sdp read-out: NULL argument");
    if (R == 0 || pb->n == 0 || pb->d == 0 || pb->c == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID, "sdp read-out: empty problem or width 0");
    if (!(pb->beta >= 0.0) || !isfinite(pb->beta))
        return cr_fail(err, CVXRELU_ERR_INVALID, "sdp read-out: beta must be finite and >= 0");
    size_t n = pb->n, d = pb->d, c = pb->c, q = n + d + c, p = 2 * n + d + c;
    size_t pp, pR, RR;
    if (cr_mul_ok(p, p, &pp) || cr_mul_ok(p, R, &pR) || cr_mul_ok(R, R, &RR) ||
        pp > (size_t)INT_MAX || pR > (size_t)INT_MAX || RR > (size_t)INT_MAX)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "sdp read-out: problem too large (p = %zu, R = %zu)", p, R);
    for (size_t i = 0; i < q * q; i++)
        if (!isfinite(Z[i]))
            return cr_fail(err, CVXRELU_ERR_NUMERIC, "sdp read-out: Z is not finite");
    if (max_iter == 0) max_iter = RO_DEFAULT_ITERS;

    ro_ctx C;
    memset(&C, 0, sizeof C);
    C.pb = pb;
    C.n = n;
    C.d = d;
    C.c = c;
    C.p = p;
    C.R = R;
    C.phase = phase;
    C.prm = (ro_params){RO_GAMMA, RO_SCALED_EPS, RO_REFIT_EVERY, RO_STARTS};
    cvxrelu_status st = CVXRELU_OK;
    int proj_ok = 0;
    size_t neig = R < p ? R : p;
    double *L = cr_malloc(pp, sizeof(double));
    double *T = cr_malloc(pp, sizeof(double)); /* p x q, then p x p workspace (p > q) */
    /* dsyevr may write all p eigenvalues to its output array, whatever the range */
    double *ev = cr_malloc(p, sizeof(double)), *EV = cr_malloc(p, neig * sizeof(double));
    double *z0 = cr_malloc(pR, sizeof(double)), *z = cr_malloc(pR, sizeof(double));
    double *Q = cr_malloc(R * R, sizeof(double));
    C.xA = cr_malloc(pR, sizeof(double));
    C.xB = cr_malloc(pR, sizeof(double));
    C.G = cr_malloc(pR, sizeof(double));
    C.LW = cr_malloc(pR, sizeof(double));
    C.zbest = cr_malloc(pR, sizeof(double));
    C.WtW = cr_malloc(R * R, sizeof(double));
    C.Hm = cr_malloc(R * R, sizeof(double));
    C.Uc = cr_malloc(R * d, sizeof(double));
    C.Vc = cr_malloc(R * c, sizeof(double));
    C.Hn = cr_malloc(n * R, sizeof(double));
    C.Pn = cr_malloc(n * c, sizeof(double));
    C.raw = (ro_best){cr_calloc(R * d, sizeof(double)), cr_calloc(R * c, sizeof(double)), DBL_MAX};
    C.fin = (ro_best){cr_calloc(R * d, sizeof(double)), cr_calloc(R * c, sizeof(double)), DBL_MAX};
    if (!L || !T || !ev || !EV || !z0 || !z || !Q || !C.xA || !C.xB || !C.G || !C.LW ||
        !C.zbest || !C.WtW || !C.Hm || !C.Uc || !C.Vc || !C.Hn || !C.Pn || !C.raw.U ||
        !C.raw.V || !C.fin.U || !C.fin.V || refit_init(&C.RW, pb, R)) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "sdp read-out: out of memory (p = %zu, R = %zu)", p,
                     R);
        goto done;
    }

    build_lambda(pb, Z, L, T);
    memcpy(T, L, pp * sizeof(double));
    if (cr_sym_eig_range(T, p, (int)(p - neig + 1), (int)p, ev, EV) != 0) {
        st = cr_fail(err, CVXRELU_ERR_NUMERIC, "sdp read-out: eigendecomposition failed");
        goto done;
    }
    free(T);
    T = NULL;
    double lmax = ev[neig - 1];
    if (!(lmax > 0.0) || !isfinite(lmax)) { /* Lambda has no positive part: the zero network */
        C.fin.obj = 0.0;
        goto finish;
    }

    /* the scaled problem: Lambda / lmax, W / sqrt(lmax) */
    cblas_dscal((int)pp, 1.0 / lmax, L, 1);
    C.L = L;
    C.L2 = cblas_ddot((int)pp, L, 1, L, 1);
    C.sc = sqrt(lmax);
    cr_rng rng;
    cr_rng_seed(&rng, seed);
    for (size_t j = 0; j < R; j++) {
        /* eigenpairs come ascending: column j takes the (j+1)-th largest */
        double lam = j < neig ? ev[neig - 1 - j] / lmax : 0.0;
        if (lam > 1e-10) {
            const double *e = EV + (neig - 1 - j) * p;
            double s = sqrt(lam);
            for (size_t i = 0; i < p; i++) z0[i * R + j] = s * e[i];
        } else {
            double s = 1e-3 / sqrt((double)p);
            for (size_t i = 0; i < p; i++) z0[i * R + j] = s * cr_rng_normal(&rng);
        }
    }
    orient_columns(z0, n, p, R);
    if (proj_init(&C.P, pb, R) != 0) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "sdp read-out: out of memory in the projection");
        goto done;
    }
    proj_ok = 1;

    offer_point(&C, z0, 0); /* the eigenvector start itself */
    for (size_t k = 0; k < C.prm.starts && !C.stopped; k++) {
        if (k == 0) {
            memcpy(z, z0, pR * sizeof(double));
        } else {
            random_orthogonal(&rng, Q, R);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)p, (int)R, (int)R, 1.0,
                        z0, (int)R, Q, (int)R, 0.0, z, (int)R);
            orient_columns(z, n, p, R);
        }
        dys_run(&C, z, max_iter);
    }
    /* the best unrefined read-out as it is, and refitted (after a stop request:
       as it is, the refits skipped) */
    best_offer(&C.fin, C.raw.U, C.raw.V, R, d, c, C.raw.obj);
    if (C.stopped) goto finish;
    memcpy(C.Uc, C.raw.U, R * d * sizeof(double));
    memcpy(C.Vc, C.raw.V, R * c * sizeof(double));
    best_offer(&C.fin, C.Uc, C.Vc, R, d, c, refit(pb, C.Uc, C.Vc, R, &C.RW, RO_REFIT_SWEEPS));
    /* the winner, refitted to convergence (warm start: never worse) */
    memcpy(C.Uc, C.fin.U, R * d * sizeof(double));
    memcpy(C.Vc, C.fin.V, R * c * sizeof(double));
    best_offer(&C.fin, C.Uc, C.Vc, R, d, c, refit(pb, C.Uc, C.Vc, R, &C.RW, RO_REFIT_SWEEPS));

finish:
    if (stopped) *stopped = C.stopped;
    balance(C.fin.U, C.fin.V, R, d, c);
    *U_out = C.fin.U;
    *V_out = C.fin.V;
    C.fin.U = C.fin.V = NULL;
done:
    if (proj_ok) proj_free(&C.P);
    refit_free(&C.RW);
    free(L);
    free(T);
    free(ev);
    free(EV);
    free(z0);
    free(z);
    free(Q);
    free(C.xA);
    free(C.xB);
    free(C.G);
    free(C.LW);
    free(C.zbest);
    free(C.WtW);
    free(C.Hm);
    free(C.Uc);
    free(C.Vc);
    free(C.Hn);
    free(C.Pn);
    free(C.raw.U);
    free(C.raw.V);
    free(C.fin.U);
    free(C.fin.V);
    return st;
}
