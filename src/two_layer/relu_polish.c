/*
 * Newton steps of the exact ReLU program on the face of its current iterate
 * (docs/algorithms.md, "Newton steps on the face").
 *
 * At an iterate of projected R-FISTA every non-zero group u_g lies in its cone with the
 * rows S_g of its last projection's active set tight: a_j x_j . u_g = 0 for j in S_g (the
 * face starts from those; a row a step reaches joins it, a row whose multiplier is
 * negative at the face's optimum leaves it, and a group with d tight rows is 0).
 * On that face, u_g = N_g z_g with N_g an orthonormal basis of the null space of those
 * rows, and the program restricted to the face and to the current support,
 *
 *   F(z) = (1/N) sum l(Yhat(z)) + lambda sum_g ||z_g||,  Yhat_k = sum_{g of output k} s_g D_g X N_g z_g,
 *
 * is smooth (no z_g is zero).  Newton steps on it, each limited by a ratio test to the
 * rows not in S_g (so that every point stays in its cone) and by a backtracking line
 * search on F, reach the face's optimum in a few steps, where first-order steps need
 * thousands.  When the face and the support are those of the optimum that point is the
 * optimum, and the duality gap measured there says so; when they are not, the point is
 * still feasible and not worse, and R-FISTA goes on from it.  The Hessian is the exact
 * one per output (squared, Huber and logistic losses; for cross-entropy the blocks
 * coupling two outputs are left out, so the steps are not exact Newton steps there, and
 * the line search keeps them descent steps).  For the squared loss with one output its
 * data part does not depend on the point: it is kept, and a joining row updates it with
 * the face (face_join) instead of a new product.
 */
#include "relu.h"
#include "two_layer.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

extern void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
                    double *work, const int *lwork, int *info);
extern void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
                    const double *tau, double *work, const int *lwork, int *info);

/* the faces' products X N_g at most this many doubles, and a Newton step at most this
   many multiply-adds for its Hessians (n K_k^2 summed over the outputs; about 0.05 s),
   so that a stop request is seen soon */
#define POLISH_MAX_DOUBLES ((size_t)1 << 24)
#define POLISH_MAX_WORK ((double)(1u << 30))
#define POLISH_MAX_STEPS 150

typedef struct {
    size_t g, k, r, off; /* group, output, dimension of its face, offset in z */
    double sg;           /* +1 (v) or -1 (w) */
    int dead;            /* it reached its cone's vertex: 0 from then on */
} face_group;

/* The second derivative of each entry's loss at Yhat (the diagonal of the Hessian of
   the sum of losses; for cross-entropy the diagonal of each row's block). */
static void loss_curvature(const cvxrelu_solver *s, const double *Yhat, double *W)
{
    const size_t n = s->n, c = s->c, N = n * c;
    switch (s->loss) {
    case CVXRELU_LOSS_SQUARED:
        for (size_t i = 0; i < N; i++) W[i] = 1.0;
        return;
    case CVXRELU_LOSS_HUBER: {
        const double delta = s->delta > 0.0 ? s->delta : 1.0;
        for (size_t i = 0; i < N; i++) W[i] = fabs(Yhat[i] - s->Y[i]) <= delta ? 1.0 : 0.0;
        return;
    }
    case CVXRELU_LOSS_LOGISTIC:
        for (size_t i = 0; i < N; i++) {
            double z = (s->Y[i] > 0.0 ? 1.0 : -1.0) * Yhat[i];
            double p = 1.0 / (1.0 + exp(-fabs(z)));
            W[i] = p * (1.0 - p);
        }
        return;
    case CVXRELU_LOSS_CE:
        for (size_t j = 0; j < n; j++) {
            const double *f = Yhat + j * c;
            double fm = f[0], z = 0.0;
            for (size_t k = 1; k < c; k++) fm = fmax(fm, f[k]);
            for (size_t k = 0; k < c; k++) z += exp(f[k] - fm);
            for (size_t k = 0; k < c; k++) {
                double p = exp(f[k] - fm) / z;
                W[j * c + k] = p * (1.0 - p);
            }
        }
        return;
    case CVXRELU_LOSS_AUTO: break;
    }
    for (size_t i = 0; i < N; i++) W[i] = 1.0;
}

/* The null space of the rows a_j x_j, j in S (k of them, independent) as r = d - k
   orthonormal rows of B (r x d); A: d x d scratch, tau d, work lw.  Returns r, or
   (size_t)-1 when LAPACK fails. */
static size_t face_basis(const cvxrelu_solver *s, const double *sign, const size_t *S,
                         size_t k, double *B, double *A, double *tau, double *work, int lw)
{
    const size_t d = s->d;
    if (k == 0) {
        memset(B, 0, d * d * sizeof(double));
        for (size_t l = 0; l < d; l++) B[l * d + l] = 1.0;
        return d;
    }
    /* column q of A (column-major d x d) = a_j x_j */
    memset(A, 0, d * d * sizeof(double));
    for (size_t q = 0; q < k; q++) {
        const size_t j = S[q];
        for (size_t l = 0; l < d; l++) A[q * d + l] = sign[j] * s->X[j * d + l];
    }
    int dd = (int)d, kk = (int)k, info = 0;
    dgeqrf_(&dd, &kk, A, &dd, tau, work, &lw, &info);
    if (info != 0) return (size_t)-1;
    dorgqr_(&dd, &dd, &kk, A, &dd, tau, work, &lw, &info);
    if (info != 0) return (size_t)-1;
    /* columns k..d-1 of Q span the orthogonal complement of the rows */
    memcpy(B, A + k * d, (d - k) * d * sizeof(double));
    return d - k;
}

/* At a face's optimum: the multipliers mu of each group's tight rows c_j = a_j x_j from
   the least-squares fit sum mu_j c_j = the gradient of F in u_g (the optimality
   conditions over the cone want mu >= 0).  The row of the most negative multiplier of
   each group leaves its face; returns how many left.  A: d x d scratch, work: >= 2d. */
static size_t drop_rows(const cvxrelu_solver *s, const cr_relu_cert *ct, const face_group *fg,
                        size_t na, size_t *Sf, size_t *nSf, const double *Ul, const double *R,
                        double *A, double *work)
{
    const size_t n = s->n, d = s->d, c = s->c;
    const double lambda = s->set.lambda, invN = 1.0 / s->N;
    double *gu = work, *mu = work + d;
    size_t dropped = 0;
    for (size_t a = 0; a < na; a++) {
        const size_t k = nSf[a], i = fg[a].g / (2 * c);
        if (fg[a].r == 0 || k == 0) continue;
        const double *u = Ul + a * d, *sgn = ct->sign + i * n;
        const double nu = cblas_dnrm2((int)d, u, 1);
        for (size_t l = 0; l < d; l++) gu[l] = lambda * u[l] / nu;
        for (size_t j = 0; j < n; j++)
            if (sgn[j] > 0.0)
                cblas_daxpy((int)d, fg[a].sg * R[j * c + fg[a].k] * invN, s->X + j * d, 1, gu, 1);
        /* (C C^T) mu = C gu, C = the k tight rows (k < d, independent) */
        const size_t *Sg = Sf + a * d;
        for (size_t p = 0; p < k; p++) {
            const double *xp = s->X + Sg[p] * d;
            mu[p] = sgn[Sg[p]] * cblas_ddot((int)d, xp, 1, gu, 1);
            for (size_t q = 0; q <= p; q++)
                A[p * k + q] = sgn[Sg[p]] * sgn[Sg[q]] *
                               cblas_ddot((int)d, xp, 1, s->X + Sg[q] * d, 1);
        }
        int kk = (int)k, one = 1, info = 0;
        dpotrf_("U", &kk, A, &kk, &info, 1);
        if (info != 0) continue;
        dpotrs_("U", &kk, &one, A, &kk, mu, &kk, &info, 1);
        if (info != 0) continue;
        size_t worst = k;
        double wv = -1e-9 * lambda;
        for (size_t p = 0; p < k; p++) {
            double v = mu[p] * cblas_dnrm2((int)d, s->X + Sg[p] * d, 1);
            if (v < wv) {
                wv = v;
                worst = p;
            }
        }
        if (worst < k) {
            Sf[a * d + worst] = Sf[a * d + k - 1];
            nSf[a] = k - 1;
            dropped++;
        }
    }
    return dropped;
}

/* Row j joins the face of group a (one output; the layout packed: group b's
   coordinates at fg[b].off, K in all).  With w = N_a c_j (c_j = a_j x_j) and the
   Householder reflection Q = I - beta v v^T that maps w to a multiple of e_0, the new
   basis is the rows 1.. of Q N_a, the coordinates those of Q z_a, the products those
   columns of (X N_a) Q, and the data Hessian Q Hd Q less row and column 0 of the group:
   O((K + n + d) r) instead of a rebuild.  Returns 0 (nothing changed) when w is about 0
   (the row is no constraint on the face).  work: >= d. */
static int face_join(const cvxrelu_solver *s, const cr_relu_cert *ct, face_group *fg, size_t na,
                     size_t a, size_t j, double *Nb, double *XN, double *z, double *Hd,
                     size_t *Kio, double *work)
{
    const size_t n = s->n, d = s->d, K = *Kio, r = fg[a].r, off = fg[a].off;
    const double sj = ct->sign[(fg[a].g / (2 * s->c)) * n + j];
    double *v = work;
    double wn = 0.0, bn = 0.0;
    for (size_t l = 0; l < r; l++) {
        v[l] = sj * cblas_ddot((int)d, Nb + (off + l) * d, 1, s->X + j * d, 1);
        wn += v[l] * v[l];
    }
    for (size_t l = 0; l < d; l++) bn += s->X[j * d + l] * s->X[j * d + l];
    wn = sqrt(wn);
    if (!(wn > 1e-10 * sqrt(bn))) return 0;
    v[0] += v[0] >= 0.0 ? wn : -wn;
    double vv = 0.0;
    for (size_t l = 0; l < r; l++) vv += v[l] * v[l];
    const double beta = 2.0 / vv;
    /* Q N_a, Q z_a */
    for (size_t q = 0; q < d; q++) {
        double t = 0.0;
        for (size_t l = 0; l < r; l++) t += v[l] * Nb[(off + l) * d + q];
        for (size_t l = 0; l < r; l++) Nb[(off + l) * d + q] -= beta * t * v[l];
    }
    double t = 0.0;
    for (size_t l = 0; l < r; l++) t += v[l] * z[off + l];
    for (size_t l = 0; l < r; l++) z[off + l] -= beta * t * v[l];
    /* (X N_a) Q, Q Hd Q */
    for (size_t jj = 0; jj < n; jj++) {
        double *x = XN + jj * K + off;
        double u = 0.0;
        for (size_t l = 0; l < r; l++) u += x[l] * v[l];
        for (size_t l = 0; l < r; l++) x[l] -= beta * u * v[l];
    }
    for (size_t q = 0; q < K; q++) {
        double u = 0.0;
        for (size_t l = 0; l < r; l++) u += v[l] * Hd[(off + l) * K + q];
        for (size_t l = 0; l < r; l++) Hd[(off + l) * K + q] -= beta * u * v[l];
    }
    for (size_t p = 0; p < K; p++) {
        double *h = Hd + p * K + off, u = 0.0;
        for (size_t l = 0; l < r; l++) u += h[l] * v[l];
        for (size_t l = 0; l < r; l++) h[l] -= beta * u * v[l];
    }
    /* coordinate off leaves (its direction is w's; z there is 0 up to rounding): every
       array compacted in place, front to back */
    memmove(Nb + off * d, Nb + (off + 1) * d, (K - off - 1) * d * sizeof(double));
    memmove(z + off, z + off + 1, (K - off - 1) * sizeof(double));
    for (size_t jj = 0; jj < n; jj++)
        for (size_t q = 0; q < K; q++)
            if (q != off) XN[jj * (K - 1) + (q < off ? q : q - 1)] = XN[jj * K + q];
    for (size_t p = 0; p < K; p++) {
        if (p == off) continue;
        const size_t pp = p < off ? p : p - 1;
        for (size_t q = 0; q < K; q++)
            if (q != off) Hd[pp * (K - 1) + (q < off ? q : q - 1)] = Hd[p * K + q];
    }
    fg[a].r = r - 1;
    for (size_t b = 0; b < na; b++)
        if (fg[b].off > off) fg[b].off--;
    *Kio = K - 1;
    return 1;
}

/* Yhat (n x c) of the face's groups from their products Zl (na x n) */
static void face_predictions(const cvxrelu_solver *s, const face_group *fg, size_t na,
                             const double *Zl, double *Yhat)
{
    const size_t n = s->n, c = s->c;
    memset(Yhat, 0, n * c * sizeof(double));
    for (size_t a = 0; a < na; a++) {
        const size_t i = fg[a].g / (2 * c), k = fg[a].k;
        const uint64_t *bits = s->pat->bits + i * s->pat->words_per_pattern;
        for (size_t w = 0; w < s->pat->words_per_pattern; w++)
            for (uint64_t b = bits[w]; b; b &= b - 1) {
                size_t j = 64 * w + (size_t)__builtin_ctzll(b);
                Yhat[j * c + k] += fg[a].sg * Zl[a * n + j];
            }
    }
}

int cr_relu_polish(cvxrelu_solver *s, cr_relu_cert *ct, const size_t *S, const size_t *nS,
                   double *U, double *Z, double *Yhat, double *R, double *obj)
{
    const size_t n = s->n, d = s->d, m = s->m, c = s->c, nc = n * c;
    const double lambda = s->set.lambda, invN = 1.0 / s->N;
    /* capacities: every group's face at most d-dimensional */
    size_t na = 0, K = 0, kmax = 0;
    for (size_t g = 0; g < m; g++) na += cblas_dnrm2((int)d, U + g * d, 1) > 0.0;
    K = na * d;
    if (na == 0 || n * K > POLISH_MAX_DOUBLES) return 0;

    int lw = (int)(64 * d);
    face_group *fg = malloc(na * sizeof *fg);
    double *Nb = cr_malloc(K, d * sizeof(double));         /* the bases' rows */
    double *XN = cr_malloc(n, K * sizeof(double));         /* X N_g, n x K */
    double *z = cr_malloc(K, sizeof(double)), *dz = cr_malloc(K, sizeof(double));
    double *gz = cr_malloc(K, sizeof(double));
    double *H = NULL, *Bw = NULL; /* K_k x K_k and n x K_k for the largest K_k so far */
    double *Zl = cr_malloc(na, n * sizeof(double));       /* the face's products */
    double *dZ = cr_malloc(na, n * sizeof(double));       /* the step's products */
    double *Ul = cr_malloc(na, d * sizeof(double));
    double *Yl = cr_malloc(nc, sizeof(double)), *Rl = cr_malloc(nc, sizeof(double));
    double *dY = cr_malloc(nc, sizeof(double)), *Yt = cr_malloc(nc, sizeof(double));
    double *W = cr_malloc(nc, sizeof(double)), *sw = cr_malloc(n, sizeof(double));
    double *A = cr_malloc(d, d * sizeof(double)), *tau = cr_malloc(d, sizeof(double));
    double *work = cr_malloc((size_t)lw, sizeof(double));
    size_t *Sf = cr_malloc(na, d * sizeof(size_t)), *nSf = cr_malloc(na, sizeof(size_t));
    /* squared loss, one output: the data part of the Hessian does not depend on the point,
       so it is kept (Hd, K x K) and a row joining a face updates it (face_join) */
    const int incr = c == 1 && s->loss == CVXRELU_LOSS_SQUARED;
    double *Hd = incr && K * K <= POLISH_MAX_DOUBLES ? cr_malloc(K, K * sizeof(double)) : NULL;
    int rc = -1;
    if (!fg || !Nb || !XN || !z || !dz || !gz || !Zl || !dZ || !Ul || !Yl || !Rl ||
        !dY || !Yt || !W || !sw || !A || !tau || !work || !Sf || !nSf)
        goto done;

    /* the non-zero groups, their weights and products, and their faces: the rows of
       their sets that are tight at them (a set is kept as a warm start also when its last
       projection found the point inside the cone) */
    size_t na2 = 0;
    for (size_t g = 0; g < m; g++) {
        const double nu = cblas_dnrm2((int)d, U + g * d, 1);
        if (nu == 0.0) continue;
        size_t k = 0, *Sg = Sf + na2 * d;
        for (size_t p = 0; p < nS[g] && p < d; p++)
            if (fabs(Z[g * n + S[g * d + p]]) <= 1e-10 * ct->xmax * nu) Sg[k++] = S[g * d + p];
        nSf[na2] = k;
        fg[na2] = (face_group){g, (g / 2) % c, 0, 0, (g & 1) ? -1.0 : 1.0, 0};
        memcpy(Ul + na2 * d, U + g * d, d * sizeof(double));
        memcpy(Zl + na2 * n, Z + g * n, n * sizeof(double));
        na2++;
    }
    memcpy(Yl, Yhat, nc * sizeof(double));

    int hd_valid = 0;
    int rebuild = 1, died = 0, converged = 0;
    double t0;
    for (int it = 0; it < POLISH_MAX_STEPS; it++) {
        if ((s->stopped = cr_loop_check(&s->loop))) goto done;
        if (rebuild) { /* the faces' bases N_g, the coordinates z_g = N_g u_g, X N_g^T */
            size_t off = 0;
            for (size_t a = 0; a < na; a++) {
                if (nSf[a] >= d || fg[a].dead) { /* d tight rows: the cone's vertex, 0 */
                    fg[a].dead = 1;
                    fg[a].r = 0;
                    fg[a].off = off;
                    memset(Ul + a * d, 0, d * sizeof(double));
                    memset(Zl + a * n, 0, n * sizeof(double));
                    died = 1;
                    continue;
                }
                size_t r = face_basis(s, ct->sign + (fg[a].g / (2 * c)) * n, Sf + a * d, nSf[a],
                                      Nb + off * d, A, tau, work, lw);
                if (r != d - nSf[a]) goto done;
                fg[a].r = r;
                fg[a].off = off;
                cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)r, (int)d, 1.0, Nb + off * d,
                            (int)d, Ul + a * d, 1, 0.0, z + off, 1);
                off += r;
            }
            K = off;
            if (K > 0) {
                t0 = cr_now();
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)K, (int)d, 1.0,
                            s->X, (int)d, Nb, (int)d, 0.0, XN, (int)K);
                s->gemm_time += cr_now() - t0;
                s->matvecs++;
            }
            rebuild = 0;
            hd_valid = 0;
            if (died) face_predictions(s, fg, na, Zl, Yl);
            died = 0;
        }
        double F = cr_data_term(s, Yl, Rl); /* Rl: the derivative at Yl */
        loss_curvature(s, Yl, W);
        for (size_t a = 0; a < na; a++) F += lambda * cblas_dnrm2((int)fg[a].r, z + fg[a].off, 1);
        double cost = 0.0;
        for (size_t k = 0; k < c; k++) {
            size_t Kk = 0;
            for (size_t a = 0; a < na; a++) Kk += fg[a].k == k ? fg[a].r : 0;
            cost += (double)n * (double)Kk * (double)Kk;
            if (Kk > kmax) { /* room for the largest output block */
                free(H);
                free(Bw);
                kmax = Kk;
                H = cr_malloc(kmax, kmax * sizeof(double));
                Bw = cr_malloc(n, kmax * sizeof(double));
                if (!H || !Bw) goto done;
            }
        }
        if (cost > POLISH_MAX_WORK) { /* too large a step for the polish */
            rc = 0;
            goto done;
        }
        for (size_t k = 0; k < c; k++) {
            /* the groups of output k: Bw = sqrt(W/N) s_g D_g X N_g, their gradient
               s_g N_g^T X^T D_g R_k / N + lambda z_g / ||z_g|| */
            size_t Kk = 0, ld = 0;
            for (size_t a = 0; a < na; a++) ld += fg[a].k == k ? fg[a].r : 0;
            for (size_t j = 0; j < n; j++) sw[j] = sqrt(W[j * c + k] * invN);
            for (size_t a = 0; a < na; a++) {
                if (fg[a].k != k) continue;
                const size_t i = fg[a].g / (2 * c), r = fg[a].r;
                const double *sgn = ct->sign + i * n;
                double *gg = gz + fg[a].off;
                const double nz = cblas_dnrm2((int)r, z + fg[a].off, 1);
                for (size_t l = 0; l < r; l++) gg[l] = lambda * z[fg[a].off + l] / nz;
                for (size_t j = 0; j < n; j++) {
                    const double *x = XN + j * K + fg[a].off;
                    if (sgn[j] < 0.0) {
                        if (!hd_valid) memset(Bw + j * ld + Kk, 0, r * sizeof(double));
                        continue;
                    }
                    const double f = fg[a].sg * Rl[j * c + k] * invN;
                    for (size_t l = 0; l < r; l++) gg[l] += f * x[l];
                    if (hd_valid) continue;
                    double *b = Bw + j * ld + Kk;
                    const double w = fg[a].sg * sw[j];
                    for (size_t l = 0; l < r; l++) b[l] = w * x[l];
                }
                Kk += r;
            }
            if (Kk == 0) continue;
            /* H = Bw^T Bw + lambda (I - z z^T / ||z||^2) / ||z|| per group (row-major lower);
               the data part kept (Hd) where it does not change with the point */
            if (hd_valid) {
                memcpy(H, Hd, Kk * Kk * sizeof(double));
            } else {
                t0 = cr_now();
                cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)Kk, (int)n, 1.0, Bw,
                            (int)ld, 0.0, H, (int)Kk);
                s->gemm_time += cr_now() - t0;
                if (Hd) { /* the whole symmetric matrix, for the updates of the face */
                    for (size_t l = 0; l < Kk; l++)
                        for (size_t p2 = 0; p2 <= l; p2++)
                            Hd[l * Kk + p2] = Hd[p2 * Kk + l] = H[l * Kk + p2];
                    hd_valid = 1;
                }
            }
            double tr = 0.0;
            for (size_t l = 0; l < Kk; l++) tr += H[l * Kk + l];
            size_t col = 0;
            double *rhs = Bw; /* Bw is not needed after the product */
            for (size_t a = 0; a < na; a++) {
                if (fg[a].k != k) continue;
                const size_t r = fg[a].r;
                const double *zg = z + fg[a].off;
                const double nz = cblas_dnrm2((int)r, zg, 1), f = lambda / nz;
                for (size_t l = 0; l < r; l++) {
                    for (size_t p = 0; p <= l; p++)
                        H[(col + l) * Kk + col + p] -= f * (zg[l] / nz) * (zg[p] / nz);
                    H[(col + l) * Kk + col + l] += f;
                    rhs[col + l] = -gz[fg[a].off + l];
                }
                col += r;
            }
            /* a small shift keeps the factorization defined where the loss is flat along a
               direction (Huber's linear part, a saturated logistic) */
            const double shift = 1e-12 * (tr > 0.0 ? tr / (double)Kk : 1.0);
            for (size_t l = 0; l < Kk; l++) H[l * Kk + l] += shift;
            int kk = (int)Kk, one = 1, info = 0;
            dpotrf_("U", &kk, H, &kk, &info, 1); /* row-major lower = column-major upper */
            if (info != 0) goto done;
            dpotrs_("U", &kk, &one, H, &kk, rhs, &kk, &info, 1);
            if (info != 0) goto done;
            col = 0;
            for (size_t a = 0; a < na; a++) {
                if (fg[a].k != k) continue;
                memcpy(dz + fg[a].off, rhs + col, fg[a].r * sizeof(double));
                col += fg[a].r;
            }
        }
        double decrement = 0.0; /* -gradient . step = the Newton decrement squared */
        for (size_t l = 0; l < K; l++) decrement -= gz[l] * dz[l];
        if (!(decrement > 1e-16 * fmax(1.0, fabs(F)))) {
            /* the face's optimum: a row whose multiplier is negative leaves its face (the
               optimum over the cone moves off it), else the point is optimal over the
               support */
            if (drop_rows(s, ct, fg, na, Sf, nSf, Ul, Rl, A, work) == 0) {
                converged = 1;
                break;
            }
            rebuild = 1;
            continue;
        }

        /* the step's products dZ_g = X N_g dz_g, the ratio test over the rows not in S_g,
           and the change of the predictions */
        double amax = INFINITY;
        size_t block_a = 0, block_j = 0;
        memset(dY, 0, nc * sizeof(double));
        for (size_t a = 0; a < na; a++) {
            const size_t g = fg[a].g, i = g / (2 * c), k = fg[a].k;
            double *dzg = dZ + a * n;
            if (fg[a].r == 0) {
                memset(dzg, 0, n * sizeof(double));
                continue;
            }
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)fg[a].r, 1.0, XN + fg[a].off,
                        (int)K, dz + fg[a].off, 1, 0.0, dzg, 1);
            const double *sgn = ct->sign + i * n, *zg = Zl + a * n;
            const size_t *Sg = Sf + a * d;
            for (size_t j = 0; j < n; j++) {
                const double rate = sgn[j] * dzg[j];
                if (rate < 0.0 && fmax(0.0, sgn[j] * zg[j]) < amax * -rate) {
                    const double at = fmax(0.0, sgn[j] * zg[j]) / -rate;
                    int tight = 0;
                    if (at < amax)
                        for (size_t p = 0; p < nSf[a] && !tight; p++) tight = Sg[p] == j;
                    if (at < amax && !tight) {
                        amax = at;
                        block_a = a;
                        block_j = j;
                    }
                }
                if (sgn[j] > 0.0) dY[j * c + k] += fg[a].sg * dzg[j];
            }
        }
        if (amax == 0.0) { /* a row tight already blocks the step: it joins the face */
            Sf[block_a * d + nSf[block_a]++] = block_j;
            if (!(hd_valid && fg[block_a].r > 1 &&
                  face_join(s, ct, fg, na, block_a, block_j, Nb, XN, z, Hd, &K, work)))
                rebuild = 1;
            continue;
        }
        double alpha = fmin(1.0, amax), Fa = INFINITY;
        for (int ls = 0; ls < 40; ls++) {
            for (size_t l = 0; l < nc; l++) Yt[l] = Yl[l] + alpha * dY[l];
            double pa = 0.0;
            for (size_t a = 0; a < na; a++) {
                double acc = 0.0;
                for (size_t l = 0; l < fg[a].r; l++) {
                    double v = z[fg[a].off + l] + alpha * dz[fg[a].off + l];
                    acc += v * v;
                }
                pa += sqrt(acc);
            }
            Fa = cr_data_term(s, Yt, NULL) + lambda * pa;
            if (Fa <= F - 1e-4 * alpha * decrement) break;
            alpha *= 0.5;
            Fa = INFINITY;
        }
        if (!(Fa < F)) break;
        for (size_t l = 0; l < K; l++) z[l] += alpha * dz[l];
        cblas_daxpy((int)(na * n), alpha, dZ, 1, Zl, 1);
        memcpy(Yl, Yt, nc * sizeof(double));
        for (size_t a = 0; a < na; a++)
            if (fg[a].r > 0)
                cblas_dgemv(CblasRowMajor, CblasTrans, (int)fg[a].r, (int)d, 1.0,
                            Nb + fg[a].off * d, (int)d, z + fg[a].off, 1, 0.0, Ul + a * d, 1);
        if (alpha == amax) { /* a new row is tight: it joins its group's face */
            Sf[block_a * d + nSf[block_a]++] = block_j;
            Zl[block_a * n + block_j] = 0.0;
            if (hd_valid && fg[block_a].r > 1 &&
                face_join(s, ct, fg, na, block_a, block_j, Nb, XN, z, Hd, &K, work))
                continue; /* the face, its products and the data Hessian updated */
            rebuild = 1;
        }
    }

    /* the polished weights u_g = N_g^T z_g, their products and predictions afresh; kept
       only when the objective is lower */
    t0 = cr_now();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)na, (int)n, (int)d, 1.0, Ul,
                (int)d, s->X, (int)d, 0.0, Zl, (int)n);
    s->gemm_time += cr_now() - t0;
    face_predictions(s, fg, na, Zl, Yl);
    double pen = 0.0;
    for (size_t a = 0; a < na; a++) pen += cblas_dnrm2((int)d, Ul + a * d, 1);
    const double Fnew = cr_data_term(s, Yl, Rl) + lambda * pen;
    rc = 0;
    if (Fnew < *obj) {
        for (size_t a = 0; a < na; a++) {
            memcpy(U + fg[a].g * d, Ul + a * d, d * sizeof(double));
            memcpy(Z + fg[a].g * n, Zl + a * n, n * sizeof(double));
        }
        memcpy(Yhat, Yl, nc * sizeof(double));
        memcpy(R, Rl, nc * sizeof(double));
        *obj = Fnew;
        rc = converged ? 2 : 1;
    }
done:
    free(fg);
    free(Nb);
    free(XN);
    free(z);
    free(dz);
    free(gz);
    free(H);
    free(Bw);
    free(Zl);
    free(dZ);
    free(Ul);
    free(Yl);
    free(Rl);
    free(dY);
    free(Yt);
    free(W);
    free(sw);
    free(A);
    free(tau);
    free(work);
    free(Sf);
    free(nSf);
    free(Hd);
    return rc;
}
