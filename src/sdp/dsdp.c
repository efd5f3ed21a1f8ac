/*
 * Interior-point backend of the [PBY24] relaxation (src/sdp/sdp.h) on DSDP 5.8.
 *
 * DSDP solves the pair
 *   (D)  max b^T y   s.t.  C_j - sum_i y_i A_ij PSD (SDP blocks j),  c - A_L^T y >= 0,
 *   (P)  min C.X     s.t.  A_i.X = b_i,  X = (X_1, X_2, x_L) in the cones,
 * by dual scaling: its iterates y keep the slacks of (D) positive, so (D) is
 * where our problem goes.  Formulation (q = n + d + c, N = n c + 1):
 *
 *  y  the entries Z(i,j), i <= j, of the upper triangle of Z, except the
 *     diagonal of Z_aa, eliminated by the equality diag(L_ab) = 0:
 *         Z_aa(i,i) = sum_k Z_au(i,k) X(i,k);
 *     so the variable Z_au(i,k) also carries X(i,k) at (alpha_i, alpha_i).
 *     One more variable t, the epigraph of the squared loss.
 *  block 1 (q x q):  C = 0, A = -(matrix of the variable): the slack is Z(y).
 *  block 2 (N x N):  [[I, r], [r^T, t]] PSD, r = vec(Z_av) - vec(Y), i.e.
 *     t >= ||r||^2 (Schur complement).
 *  LP rows: L_aa(i,j) >= 0 (i < j), L_ab(i,j) >= 0 (i != j), L_bb(i,j) >= 0
 *     (i <= j), each a sparse linear function of y with zero constant.
 *  b:  -1/2 on t, -beta/2 on the diagonals of Z_uu and Z_vv;
 *     the optimal value of our problem is P* = -max (D).
 *
 * Parallel rows of X.  Two data rows with X_j = s X_i (s != 0) leave the
 * relaxation without interior (DSDP then diverges).  Write Z = G G^T, a_i the
 * row of G for alpha_i and b_i = a_i - G_u X_i^T (beta_i), so L_aa(i,j) =
 * <a_i,a_j>, L_ab(i,j) = <a_i,b_j>, L_bb(i,j) = <b_i,b_j>, <a_i,b_i> = 0.
 *  s > 0:  L_ab(j,i) = Z_ij - Z_jj / s >= 0 and L_ab(i,j) = Z_ij - s Z_ii >= 0
 *          give Z_ij^2 >= Z_ii Z_jj, so (Cauchy-Schwarz) a_j = s a_i;
 *  s < 0:  e = a_j - |s| b_i = b_j - |s| a_i has |e|^2 = <a_j,b_j> + s^2 <a_i,b_i>
 *          - |s| (L_aa(i,j) + L_bb(i,j)) <= 0, so a_j = |s| b_i.
 *  X_i = 0: Z_aa(i,i) = <a_i, G_u X_i^T> = 0, so a_i = 0.
 * Conversely, for Z feasible on one representative per class of parallel
 * rows, the Z obtained by these rules is feasible for all rows: every lifted
 * entry of a copy is |s| (or a product of such) times a lifted entry of the
 * representatives, the diagonal of L_ab included.  So DSDP runs on the n
 * representatives (the n, q above) with the map E: alpha_j -> s alpha_i, or
 * |s| (alpha_i - X_i u), or 0; block 2 keeps one entry per data row
 * (N = n_data c + 1): the prediction of row j is s Z_av(i,:), or
 * |s| (Z_av(i,:) - X_i Z_uv), or 0.  The same problem, exactly: rows merge
 * only when fma shows X_j = s X_i with no rounding.  Nearly parallel rows
 * are kept; they make the problem harder for DSDP but the bound stays valid.
 * For d = 1 all nonzero rows are parallel: one representative v = (1), not a
 * data row, X_j = X_j v exactly (a_v is recovered linearly from any member,
 * so the reduced Z is again a linear image of a feasible Z).  Z is returned
 * for all data rows, Z = E Z_red E^T.
 *
 * Storage conventions of DSDP (checked on toy problems): block data in packed
 * lower-triangular form, element (i,j), i >= j, at i(i+1)/2 + j, and an
 * off-diagonal value stands for both (i,j) and (j,i); X comes back in the
 * same packed form with A.X = sum_ij A_ij X_ij over the full matrices.  LP
 * data is by variable (compressed columns of A_L^T): column 0 is c, column i
 * the coefficients of y_i.  DSDP keeps pointers to all data arrays until
 * DSDPDestroy.
 *
 * Start: DSDP's own (y = 0 with its infeasibility variable r).  A strictly
 * feasible start from lifted neurons with r0 = 0, and box bounds on y valid
 * for an optimal y*, were tried: a quarter fewer iterations on random data,
 * but worse or no convergence on real data (Iris), so neither is used.
 *
 * Certified lower bound.  For any X and y feasible for (D), with S_j the
 * slacks and r = A.X - b,
 *   b^T y = C.X - sum_j S_j.X_j - y^T r.
 * Keep X_2 and x_L in their cones (X_2 projected, psd_fix; x_L clipped at 0)
 * so S_2.X_2 >= 0 and s_L.x_L >= 0, and absorb the residuals of the Z
 * variables into block 1: with M = X_1 + R, R holding r_v at the diagonal
 * position of a diagonal variable, r_v / 2 at both positions of an
 * off-diagonal one and 0 on the eliminated diagonal of Z_aa, S_1.X_1 +
 * (Z part of y^T r) = <Z(y), M> for every y.  Hence
 *   b^T y <= C.X - <Z(y), M> - r_t t.
 * Take y* optimal for (D) with Z* = Z(y*) obeying the a-priori bounds of
 * cr_sdp_xnorm2 (sdp.h): tr Z*_uu = tr Z*_vv <= UB / beta and tr Z*_aa <=
 * ||X_red||^2 UB / beta (the u and v blocks of the reduced problem are those
 * of the full one; ||X_red|| <= ||X||, or = 1 for d = 1), where UB >= P*, and
 * t* = 2 (loss part) <= 2 UB.  Weighting alpha by e > 0 (D_e = diag(e on
 * alpha, 1 on u, v), <D_e, Z*> <= (e ||X_red||^2 + 2) UB / beta = T_e):
 *   -<Z*, M> <= max(0, -lambda_min(D_e^-1/2 M D_e^-1/2)) T_e,
 * the best of a grid of e (e = 1 is the plain trace bound), so
 *   P* = -b^T y* >= -C.X - min_e [...] - max(0, -r_t) 2 UB.
 * M need not be PSD and DSDP's X_1 is used as is; this is never weaker than
 * the Cauchy-Schwarz form -C.X - ||r||_2 (T + 2 UB).  UB is the smaller of
 * (1/2)||Y||^2 (Z = 0) and the objective of a network read off Z (any
 * network's objective bounds the relaxation from above; network_value).
 * Rounding: C.X and each r_v carry (terms + 2) eps times their sums of |terms|,
 * M one more eps |M_ij|; these entrywise bounds enter through the Frobenius
 * norm of the weighted error matrix, LAPACK's lambda_min by 64 q eps ||.||_F
 * as in src/certify/certify.c.  The bound is valid at any accuracy DSDP reached; its
 * gap to the primal value shrinks with DSDP's residuals.
 */
#include "internal.h"
#include "sdp.h"

#include <dsdp/dsdp5.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Iterations when max_iter = 0 (real Iris, 75 rows, needs about 220). */
#define CR_DSDP_DEFAULT_ITERS 500

/* Emits the LP rows twice: pass 0 counts the nonzeros of each variable, pass 1
   stores them (negated: DSDP's rows read c_r - a_r^T y >= 0 with c_r = 0). */
typedef struct {
    int pass;
    int *cnt; /* per variable (1-based) */
    int *pos; /* next free slot per variable */
    int *row;
    double *val;
} lp_emitter;

static void lp_emit(lp_emitter *e, int var, int row, double coef)
{
    if (coef == 0.0) return;
    if (e->pass == 0) {
        e->cnt[var]++;
    } else {
        int p = e->pos[var]++;
        e->row[p] = row;
        e->val[p] = -coef;
    }
}

/* All rows of L_aa (i < j), L_ab (i != j), L_bb (i <= j) in y; returns the
   row count.  vid[i q + j] (i <= j) is the variable of Z(i,j), 0 if eliminated. */
static int lp_rows(const cr_sdp_problem *pb, const int *vid, lp_emitter *e)
{
    const size_t n = pb->n, d = pb->d, q = pb->n + pb->d + pb->c;
    const double *X = pb->X;
    int row = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) lp_emit(e, vid[i * q + j], row++, 1.0);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (j == i) continue;
            lp_emit(e, i < j ? vid[i * q + j] : vid[j * q + i], row, 1.0);
            for (size_t k = 0; k < d; k++) lp_emit(e, vid[i * q + n + k], row, -X[j * d + k]);
            row++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i; j < n; j++) {
            if (i < j) {
                lp_emit(e, vid[i * q + j], row, 1.0);
                for (size_t k = 0; k < d; k++) {
                    lp_emit(e, vid[i * q + n + k], row, -X[j * d + k]);
                    lp_emit(e, vid[j * q + n + k], row, -X[i * d + k]);
                }
            } else {
                /* Z_aa(i,i) = sum_k Z_au(i,k) X(i,k), minus twice the same */
                for (size_t k = 0; k < d; k++)
                    lp_emit(e, vid[i * q + n + k], row, -X[i * d + k]);
            }
            for (size_t k = 0; k < d; k++) {
                for (size_t l = k; l < d; l++) {
                    const double *xi = X + i * d, *xj = X + j * d;
                    double coef = k == l ? xi[k] * xj[k] : xi[k] * xj[l] + xi[l] * xj[k];
                    lp_emit(e, vid[(n + k) * q + n + l], row, coef);
                }
            }
            row++;
        }
    }
    return row;
}

/* Packed lower (i >= j at i(i+1)/2 + j) to a full symmetric k x k matrix. */
static void unpack(const double *p, size_t k, double *F)
{
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j <= i; j++) {
            double v = p[i * (i + 1) / 2 + j];
            F[i * k + j] = v;
            F[j * k + i] = v;
        }
    }
}

/*
 * Puts the symmetric k x k matrix F (full storage) into the PSD cone: kept
 * when LAPACK's lambda_min clears its error margin, else replaced by
 * V max(w, 0) V^T + delta I with delta covering the rounding of that product.
 * 0 on success, -1 when LAPACK fails or memory runs out.
 */
static int psd_fix(double *F, size_t k)
{
    double fro = 0.0;
    for (size_t i = 0; i < k * k; i++) fro += F[i] * F[i];
    fro = sqrt(fro);
    if (!(fro > 0.0)) return isfinite(fro) ? 0 : -1;
    double *A = cr_malloc(k, k * sizeof(double));
    double *w = cr_malloc(k, sizeof(double));
    double *V = cr_malloc(k, k * sizeof(double));
    int rc = -1;
    if (!A || !w || !V) goto done;
    memcpy(A, F, k * k * sizeof(double));
    if (cr_sym_eig_range(A, k, 1, 1, w, NULL) != 0) goto done;
    const double margin = 64.0 * (double)k * DBL_EPSILON * fro;
    if (w[0] >= margin) {
        rc = 0;
        goto done;
    }
    memcpy(A, F, k * k * sizeof(double));
    if (cr_sym_eig_range(A, k, 1, (int)k, w, V) != 0) goto done;
    double wmax = 0.0;
    for (size_t j = 0; j < k; j++) {
        if (!(w[j] > 0.0)) w[j] = 0.0;
        wmax = fmax(wmax, w[j]);
    }
    memset(F, 0, k * k * sizeof(double));
    for (size_t j = 0; j < k; j++) {
        if (w[j] == 0.0) continue;
        const double *v = V + j * k;
        for (size_t a = 0; a < k; a++) {
            double s = w[j] * v[a];
            for (size_t b = 0; b <= a; b++) F[a * k + b] += s * v[b];
        }
    }
    const double delta = 64.0 * (double)k * DBL_EPSILON * wmax;
    for (size_t a = 0; a < k; a++) {
        F[a * k + a] += delta;
        for (size_t b = 0; b < a; b++) F[b * k + a] = F[a * k + b];
    }
    rc = 0;
done:
    free(A);
    free(w);
    free(V);
    return rc;
}

/* Entry (i,j) of the packed matrix data (ind, val) dotted with full F. */
static void packed_dot(const int *ind, const double *val, int nnz, const double *F, size_t k,
                       const size_t *pi, const size_t *pj, double *dot, double *absdot)
{
    for (int e = 0; e < nnz; e++) {
        size_t i = pi[ind[e]], j = pj[ind[e]];
        double t = (i == j ? 1.0 : 2.0) * val[e] * F[i * k + j];
        *dot += t;
        *absdot += fabs(t);
    }
}

/*
 * max over Z PSD with <D_e, Z> <= (e s2 + 2) ub_beta of -<M_exact, Z>, bounded
 * above, the best over a grid of e; D_e = e on the alpha diagonal, 1 on the
 * u and v diagonals.  Some optimal Z* has tr Z*_uu = tr Z*_vv <= ub_beta and
 * tr Z*_aa <= ||X_red||^2 tr Z*_uu <= s2 ub_beta (as in sdp.h, cr_sdp_xnorm2),
 * so it is feasible for every e.  The maximum is max(0, -lambda_min(W M W))
 * (e s2 + 2) ub_beta, W = D_e^(-1/2); |M_exact - M| <= Err entrywise enters by
 * ||W Err W||_F, LAPACK's error by 64 q eps ||W M W||_F.  0 on success.
 */
static int psd_term_bound(const double *M, const double *Err, size_t q, size_t n, double s2,
                          double ub_beta, double *term)
{
    double *A = cr_malloc(q, q * sizeof(double)), *w = cr_malloc(q, sizeof(double));
    int rc = 0;
    if (!A || !w) {
        rc = -2;
        goto done;
    }
    *term = INFINITY;
    for (int k = -8; k <= 8; k++) {
        const double e = pow(10.0, 0.5 * k), we = 1.0 / sqrt(e);
        double fro = 0.0, efro = 0.0;
        for (size_t i = 0; i < q; i++)
            for (size_t j = 0; j < q; j++) {
                double f = (i < n ? we : 1.0) * (j < n ? we : 1.0);
                double a = f * M[i * q + j], b = f * Err[i * q + j];
                A[i * q + j] = a;
                fro += a * a;
                efro += b * b;
            }
        double lmin = 0.0;
        if (cr_sym_eig_range(A, q, 1, 1, w, NULL) != 0 || !isfinite(w[0])) {
            rc = -1;
            goto done;
        }
        lmin = w[0] - 64.0 * (double)q * DBL_EPSILON * sqrt(fro) - sqrt(efro);
        double t = lmin < 0.0 ? -lmin * (e * s2 + 2.0) * ub_beta : 0.0;
        if (t < *term) *term = t;
    }
done:
    free(A);
    free(w);
    return rc;
}

/*
 * The objective of one two-layer network read off the reduced Z (an upper
 * bound on the optimum of the relaxation, which relaxes training): hidden
 * directions u_j (unit norm) from the eigenvectors of Z (the u part, signed
 * to make the alpha part positive), output weights by a few hundred FISTA
 * steps on the group lasso (1/2)||H V - Y||^2 + beta sum_j ||v_j||, H =
 * (X U^T)_+, which is the objective of that network with each neuron
 * balanced.  Evaluated with a margin for rounding; +inf on failure.
 */
static double network_value(const cr_sdp_problem *pb, size_t n, const double *Zr)
{
    const size_t nf = pb->n, d = pb->d, c = pb->c, q = n + d + c;
    double *A = cr_malloc(q, q * sizeof(double)), *w = cr_malloc(q, sizeof(double));
    double *E = cr_malloc(q, q * sizeof(double)), *U = cr_malloc(q, d * sizeof(double));
    double *H = cr_malloc(nf, q * sizeof(double)), *V = cr_calloc(q, c * sizeof(double));
    double *W = cr_calloc(q, c * sizeof(double)), *Vold = cr_calloc(q, c * sizeof(double));
    double *Rs = cr_malloc(nf, c * sizeof(double)), *G = cr_malloc(q, c * sizeof(double));
    double val = INFINITY;
    if (!A || !w || !E || !U || !H || !V || !W || !Vold || !Rs || !G) goto done;
    memcpy(A, Zr, q * q * sizeof(double));
    if (cr_sym_eig_range(A, q, 1, (int)q, w, E) != 0 || !(w[q - 1] > 0.0)) goto done;
    size_t R = 0;
    for (size_t t = q; t-- > 0;) {
        if (!(w[t] > 1e-9 * w[q - 1])) break;
        const double *e = E + t * q;
        double sa = 0.0, nu = 0.0;
        for (size_t i = 0; i < n; i++) sa += e[i];
        for (size_t k = 0; k < d; k++) nu += e[n + k] * e[n + k];
        if (!(nu > 0.0)) continue;
        double sg = (sa < 0.0 ? -1.0 : 1.0) / sqrt(nu);
        for (size_t k = 0; k < d; k++) U[R * d + k] = sg * e[n + k];
        R++;
    }
    if (R == 0) goto done;
    for (size_t i = 0; i < nf; i++)
        for (size_t j = 0; j < R; j++) {
            double h = 0.0;
            for (size_t k = 0; k < d; k++) h += pb->X[i * d + k] * U[j * d + k];
            H[i * R + j] = h > 0.0 ? h : 0.0;
        }
    /* L ~ ||H||_2^2 by power iteration (only the quality depends on it) */
    double L = 0.0;
    for (size_t j = 0; j < R; j++) w[j] = 1.0;
    for (int it = 0; it < 30; it++) {
        double nrm = 0.0;
        for (size_t i = 0; i < nf; i++) {
            double h = 0.0;
            for (size_t j = 0; j < R; j++) h += H[i * R + j] * w[j];
            Rs[i] = h;
        }
        for (size_t j = 0; j < R; j++) {
            double g = 0.0;
            for (size_t i = 0; i < nf; i++) g += H[i * R + j] * Rs[i];
            A[j] = g;
            nrm += g * g;
        }
        nrm = sqrt(nrm);
        if (!(nrm > 0.0)) break;
        double num = 0.0, den = 0.0;
        for (size_t j = 0; j < R; j++) num += w[j] * A[j], den += w[j] * w[j];
        L = num / den;
        for (size_t j = 0; j < R; j++) w[j] = A[j] / nrm;
    }
    if (!(L > 0.0) || !isfinite(L)) goto done;
    L *= 1.05;
    /* FISTA from V = 0: gradient H^T (H W - Y), group soft threshold */
    double tk = 1.0;
    for (int it = 0; it < 400; it++) {
        for (size_t i = 0; i < nf; i++)
            for (size_t l = 0; l < c; l++) {
                double f = -pb->Y[i * c + l];
                for (size_t j = 0; j < R; j++) f += H[i * R + j] * W[j * c + l];
                Rs[i * c + l] = f;
            }
        for (size_t j = 0; j < R; j++)
            for (size_t l = 0; l < c; l++) {
                double g = 0.0;
                for (size_t i = 0; i < nf; i++) g += H[i * R + j] * Rs[i * c + l];
                G[j * c + l] = W[j * c + l] - g / L;
            }
        memcpy(Vold, V, R * c * sizeof(double));
        for (size_t j = 0; j < R; j++) {
            double nr = 0.0;
            for (size_t l = 0; l < c; l++) nr += G[j * c + l] * G[j * c + l];
            nr = sqrt(nr);
            double f = nr > pb->beta / L ? 1.0 - pb->beta / (L * nr) : 0.0;
            for (size_t l = 0; l < c; l++) V[j * c + l] = f * G[j * c + l];
        }
        double tn = 0.5 * (1.0 + sqrt(1.0 + 4.0 * tk * tk));
        for (size_t a = 0; a < R * c; a++) W[a] = V[a] + (tk - 1.0) / tn * (V[a] - Vold[a]);
        tk = tn;
    }
    double loss = 0.0, pen = 0.0;
    for (size_t i = 0; i < nf; i++)
        for (size_t l = 0; l < c; l++) {
            double f = -pb->Y[i * c + l];
            for (size_t j = 0; j < R; j++) f += H[i * R + j] * V[j * c + l];
            loss += f * f;
        }
    for (size_t j = 0; j < R; j++) {
        double nv = 0.0;
        for (size_t l = 0; l < c; l++) nv += V[j * c + l] * V[j * c + l];
        pen += sqrt(nv);
    }
    val = (0.5 * loss + pb->beta * pen) * (1.0 + 1e-10);
    if (!isfinite(val)) val = INFINITY;
done:
    free(A);
    free(w);
    free(E);
    free(U);
    free(H);
    free(V);
    free(W);
    free(Vold);
    free(Rs);
    free(G);
    return val;
}

#define DSDP_TRY(name, call)                                                                \
    do {                                                                                    \
        int info_ = (call);                                                                 \
        if (info_ != 0) {                                                                   \
            st = cr_fail(err, CVXRELU_ERR_NUMERIC, "DSDP: %s failed (code %d)", name, info_); \
            goto done;                                                                      \
        }                                                                                   \
    } while (0)

/* Block 2 by variable: the prediction of data row i, output l, sits at
   position (N-1, i c + l); t at (N-1, N-1).  Same emitter as the LP rows, the
   row being the packed index. */
static void blk2_entries(const cr_sdp_problem *pb, size_t n, const int *grp, const double *sc,
                         const double *Xr, const int *vid, int m, lp_emitter *e)
{
    const size_t nf = pb->n, d = pb->d, c = pb->c, q = n + d + c, N = nf * c + 1;
    const size_t last = (N - 1) * N / 2;
    for (size_t i = 0; i < nf; i++) {
        if (grp[i] < 0) continue;
        size_t r = (size_t)grp[i];
        double s = fabs(sc[i]);
        for (size_t l = 0; l < c; l++) {
            int at = (int)(last + i * c + l);
            lp_emit(e, vid[r * q + n + d + l], at, s);
            if (sc[i] < 0.0)
                for (size_t k = 0; k < d; k++)
                    lp_emit(e, vid[(n + k) * q + n + d + l], at, -s * Xr[r * d + k]);
        }
    }
    lp_emit(e, m, (int)(last + N - 1), 1.0);
}

/* Stops DSDP at its next iteration on an interrupt or past the time limit.
   DSDP calls the monitor once per iteration and cannot be interrupted inside
   one (a dense Schur factorization: 15 s at n = 150 rows), so the time limit
   is also applied ahead (the loop's ahead: an iteration that would end past it,
   judged by the last one's duration, is not begun).  DSDP counts its own
   iterations against max_iter. */
static int stop_monitor(DSDP dsdp, void *user)
{
    if (cr_loop_next(user)) DSDPSetConvergenceFlag(dsdp, DSDP_USER_TERMINATION);
    return 0;
}

cvxrelu_status cr_sdp_dsdp(const cr_sdp_problem *pb, double tol, size_t max_iter, int verbose,
                           volatile sig_atomic_t *interrupt, double time_limit_s,
                           cr_sdp_out *out, cvxrelu_error *err)
{
    (void)verbose; /* the library never prints: the caller reports from the result */
    if (!out) return cr_fail(err, CVXRELU_ERR_INVALID, "sdp_dsdp: NULL output");
    memset(out, 0, sizeof *out);
    if (!pb || !pb->X || !pb->Y || pb->n == 0 || pb->d == 0 || pb->c == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID, "sdp_dsdp: empty problem");
    if (!(pb->beta >= 0.0) || !isfinite(pb->beta))
        return cr_fail(err, CVXRELU_ERR_INVALID, "sdp_dsdp: beta must be finite and >= 0");
    if (!(tol > 0.0)) tol = 1e-7;
    if (max_iter == 0) max_iter = CR_DSDP_DEFAULT_ITERS;
    if (max_iter > INT_MAX) max_iter = INT_MAX;

    const size_t nf = pb->n, d = pb->d, c = pb->c, qf = nf + d + c;
    const size_t N = nf * c + 1;
    const double *Y = pb->Y;
    for (size_t i = 0; i < nf * d; i++)
        if (!isfinite(pb->X[i])) return cr_fail(err, CVXRELU_ERR_INVALID, "sdp_dsdp: X not finite");
    for (size_t i = 0; i < nf * c; i++)
        if (!isfinite(Y[i])) return cr_fail(err, CVXRELU_ERR_INVALID, "sdp_dsdp: Y not finite");
    const double pk2_d = (double)N * (double)(N + 1) / 2.0;
    if (pk2_d > INT_MAX / 2 || (double)qf * (double)qf > INT_MAX / 2)
        return cr_fail(err, CVXRELU_ERR_UNSUPPORTED,
                       "sdp_dsdp: problem too large for DSDP (n=%zu, d=%zu, c=%zu)", nf, d, c);

    cvxrelu_status st = CVXRELU_OK;
    DSDP dsdp = NULL;
    SDPCone sdp = NULL;
    LPCone lp = NULL;
    int *grp = NULL, *vid = NULL, *vi = NULL, *vj = NULL, *off2 = NULL;
    int *ind1 = NULL, *off1 = NULL, *ind2 = NULL, *cind = NULL, *lpik = NULL, *lprow = NULL;
    int *cnt = NULL, *pos = NULL;
    double *Xr = NULL, *sc = NULL, *val1 = NULL, *val2 = NULL, *cval = NULL, *lpval = NULL;
    double *bvec = NULL, *y = NULL, *Zr = NULL, *Z = NULL, *F1 = NULL, *F2 = NULL, *M = NULL;
    double *Merr = NULL, *res = NULL, *eres = NULL;
    size_t *p1i = NULL, *p1j = NULL, *p2i = NULL, *p2j = NULL;

    grp = cr_malloc(nf, sizeof(int));
    sc = cr_malloc(nf, sizeof(double));
    Xr = cr_malloc(nf, d * sizeof(double));
    if (!grp || !sc || !Xr) goto nomem;
    const size_t n = cr_sdp_reduce_rows(pb, grp, sc, Xr), q = n + d + c;
    const cr_sdp_problem red = {n, d, c, Xr, Y, pb->beta}; /* Y: rows of pb, see grp */
    const double *X = Xr;

    /* sizes DSDP (int indices) and its dense Schur matrix (8 m^2 bytes) can take */
    const double mz_d = (double)q * (double)(q + 1) / 2.0 - (double)n;
    const double nl_d = 2.0 * (double)n * (double)n - (double)n;
    const double lpnz_d = nl_d * (2.0 * (double)d + 1.0 + (double)d * (double)(d + 1) / 2.0);
    if (mz_d + 2.0 > INT_MAX / 2 || lpnz_d > INT_MAX / 2) {
        st = cr_fail(err, CVXRELU_ERR_UNSUPPORTED,
                     "sdp_dsdp: problem too large for DSDP (n=%zu, d=%zu, c=%zu)", nf, d, c);
        goto done;
    }
    if (8.0 * (mz_d + 1.0) * (mz_d + 1.0) > 0.5 * cr_physical_memory()) {
        st = cr_fail(err, CVXRELU_ERR_UNSUPPORTED,
                     "sdp_dsdp: the Schur matrix (%.0f variables, %.3g GB) exceeds half the "
                     "physical memory",
                     mz_d + 1.0, 8.0 * (mz_d + 1.0) * (mz_d + 1.0) / 1e9);
        goto done;
    }

    /* variables: 1..mz entries of Z (reduced), m = mz + 1 is t */
    vid = cr_calloc(q * q, sizeof(int));
    if (!vid) goto nomem;
    const int mz = (int)mz_d, m = mz + 1;
    vi = cr_malloc((size_t)m + 1, sizeof(int));
    vj = cr_malloc((size_t)m + 1, sizeof(int));
    bvec = cr_calloc((size_t)m + 1, sizeof(double));
    if (!vi || !vj || !bvec) goto nomem;
    {
        int v = 0;
        for (size_t i = 0; i < q; i++) {
            for (size_t j = i; j < q; j++) {
                if (i == j && i < n) continue;
                vid[i * q + j] = ++v;
                vi[v] = (int)i;
                vj[v] = (int)j;
                if (i == j) bvec[v] = -0.5 * pb->beta; /* diagonals of Z_uu and Z_vv */
            }
        }
        bvec[m] = -0.5;
    }

    /* block 1: one or two packed entries per variable */
    off1 = cr_malloc((size_t)m + 1, sizeof(int));
    ind1 = cr_malloc(2 * (size_t)mz, sizeof(int));
    val1 = cr_malloc(2 * (size_t)mz, sizeof(double));
    if (!off1 || !ind1 || !val1) goto nomem;
    {
        int p = 0;
        for (int v = 1; v <= mz; v++) {
            size_t i = (size_t)vi[v], j = (size_t)vj[v];
            off1[v] = p;
            ind1[p] = (int)(j * (j + 1) / 2 + i);
            val1[p++] = -1.0;
            if (i < n && j >= n && j < n + d && X[i * d + (j - n)] != 0.0) {
                ind1[p] = (int)(i * (i + 1) / 2 + i);
                val1[p++] = -X[i * d + (j - n)];
            }
        }
        off1[0] = 0;
        off1[m] = p;
    }

    /* block 2: C = [[I, -vec Y], [-vec Y^T, 0]] over all data rows; the
       variables by blk2_entries (off2, ind2, val2 by variable, like the LP) */
    const size_t last = (N - 1) * N / 2;
    cind = cr_malloc(2 * N, sizeof(int));
    cval = cr_malloc(2 * N, sizeof(double));
    off2 = cr_calloc((size_t)m + 2, sizeof(int));
    cnt = cr_calloc((size_t)m + 2, sizeof(int));
    pos = cr_calloc((size_t)m + 2, sizeof(int));
    if (!cind || !cval || !off2 || !cnt || !pos) goto nomem;
    int cnnz = 0;
    for (size_t a = 0; a + 1 < N; a++) {
        cind[cnnz] = (int)(a * (a + 1) / 2 + a);
        cval[cnnz++] = 1.0;
        if (Y[a] != 0.0) {
            cind[cnnz] = (int)(last + a);
            cval[cnnz++] = -Y[a];
        }
    }
    lp_emitter em = {0, cnt, pos, NULL, NULL};
    blk2_entries(pb, n, grp, sc, Xr, vid, m, &em);
    off2[1] = 0;
    for (int v = 1; v <= m; v++) off2[v + 1] = off2[v] + cnt[v];
    ind2 = cr_malloc((size_t)off2[m + 1] + 1, sizeof(int));
    val2 = cr_malloc((size_t)off2[m + 1] + 1, sizeof(double));
    if (!ind2 || !val2) goto nomem;
    for (int v = 1; v <= m; v++) pos[v] = off2[v];
    em.pass = 1;
    em.row = ind2;
    em.val = val2;
    blk2_entries(pb, n, grp, sc, Xr, vid, m, &em);

    /* LP rows */
    lpik = cr_calloc((size_t)m + 2, sizeof(int));
    if (!lpik) goto nomem;
    memset(cnt, 0, ((size_t)m + 2) * sizeof(int));
    em.pass = 0;
    const int nl = lp_rows(&red, vid, &em);
    lpik[0] = 0;
    lpik[1] = 0; /* column 0: c = 0 */
    for (int v = 1; v <= m; v++) lpik[v + 1] = lpik[v] + cnt[v];
    const int lpnnz = lpik[m + 1];
    lprow = cr_malloc((size_t)lpnnz + 1, sizeof(int));
    lpval = cr_malloc((size_t)lpnnz + 1, sizeof(double));
    if (!lprow || !lpval) goto nomem;
    for (int v = 1; v <= m; v++) pos[v] = lpik[v];
    em.pass = 1;
    em.row = lprow;
    em.val = lpval;
    lp_rows(&red, vid, &em);

    /* DSDP */
    DSDP_TRY("DSDPCreate", DSDPCreate(m, &dsdp));
    DSDP_TRY("DSDPCreateSDPCone", DSDPCreateSDPCone(dsdp, 2, &sdp));
    DSDP_TRY("SDPConeSetBlockSize", SDPConeSetBlockSize(sdp, 0, (int)q));
    DSDP_TRY("SDPConeSetBlockSize", SDPConeSetBlockSize(sdp, 1, (int)N));
    DSDP_TRY("SDPConeSetSparsity", SDPConeSetSparsity(sdp, 0, mz));
    DSDP_TRY("SDPConeSetSparsity", SDPConeSetSparsity(sdp, 1, (int)((d + 1) * c + 2)));
    for (int v = 1; v <= mz; v++)
        DSDP_TRY("SDPConeSetASparseVecMat",
                 SDPConeSetASparseVecMat(sdp, 0, v, (int)q, 1.0, 0, ind1 + off1[v],
                                         val1 + off1[v], off1[v + 1] - off1[v]));
    DSDP_TRY("SDPConeSetASparseVecMat",
             SDPConeSetASparseVecMat(sdp, 1, 0, (int)N, 1.0, 0, cind, cval, cnnz));
    for (int v = 1; v <= m; v++)
        if (off2[v + 1] > off2[v])
            DSDP_TRY("SDPConeSetASparseVecMat",
                     SDPConeSetASparseVecMat(sdp, 1, v, (int)N, 1.0, 0, ind2 + off2[v],
                                             val2 + off2[v], off2[v + 1] - off2[v]));
    if (nl > 0) {
        DSDP_TRY("DSDPCreateLPCone", DSDPCreateLPCone(dsdp, &lp));
        DSDP_TRY("LPConeSetData", LPConeSetData(lp, nl, lpik, lprow, lpval));
    }
    for (int v = 1; v <= m; v++)
        if (bvec[v] != 0.0)
            DSDP_TRY("DSDPSetDualObjective", DSDPSetDualObjective(dsdp, v, bvec[v]));
    DSDP_TRY("DSDPSetGapTolerance", DSDPSetGapTolerance(dsdp, tol));
    DSDP_TRY("DSDPSetMaxIts", DSDPSetMaxIts(dsdp, (int)max_iter));
    DSDP_TRY("DSDPUseLAPACKForSchur", DSDPUseLAPACKForSchur(dsdp, 1));
    cr_loop loop;
    cr_loop_start(&loop, interrupt, time_limit_s, CR_LOOP_UNLIMITED);
    loop.ahead = 1;
    DSDP_TRY("DSDPSetMonitor", DSDPSetMonitor(dsdp, stop_monitor, &loop));
    DSDP_TRY("DSDPSetup", DSDPSetup(dsdp));
    DSDP_TRY("DSDPSolve", DSDPSolve(dsdp));
    DSDP_TRY("DSDPComputeX", DSDPComputeX(dsdp));

    DSDPTerminationReason reason = CONTINUE_ITERATING;
    int its = 0;
    DSDP_TRY("DSDPStopReason", DSDPStopReason(dsdp, &reason));
    DSDP_TRY("DSDPGetIts", DSDPGetIts(dsdp, &its));
    out->iters = its > 0 ? (size_t)its : 0;
    out->converged = reason == DSDP_CONVERGED;
    out->stopped = loop.why;

    /* Z (reduced) from y, then expanded to the data rows */
    y = cr_malloc((size_t)m, sizeof(double));
    Zr = cr_calloc(q * q, sizeof(double));
    Z = cr_calloc(qf * qf, sizeof(double));
    if (!y || !Zr || !Z) goto nomem;
    DSDP_TRY("DSDPGetY", DSDPGetY(dsdp, y, m));
    for (int v = 1; v <= m; v++)
        if (!isfinite(y[v - 1])) {
            st = cr_fail(err, CVXRELU_ERR_NUMERIC, "DSDP: non-finite solution");
            goto done;
        }
    for (int v = 1; v <= mz; v++) {
        size_t i = (size_t)vi[v], j = (size_t)vj[v];
        Zr[i * q + j] = y[v - 1];
        Zr[j * q + i] = y[v - 1];
    }
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t k = 0; k < d; k++) s += Zr[i * q + n + k] * X[i * d + k];
        Zr[i * q + i] = s;
    }
    /* Z = E Zr E^T: W = E Zr (qf x q, Zr symmetric), then Z_ab = E_b . W_a */
    {
        double *W = cr_malloc(qf, q * sizeof(double));
        if (!W) goto nomem;
        for (size_t a = 0; a < qf; a++)
            for (size_t j = 0; j < q; j++) W[a * q + j] = cr_sdp_emap(pb, n, grp, sc, Xr, Zr + j * q, a);
        for (size_t a = 0; a < qf; a++)
            for (size_t b = a; b < qf; b++)
                Z[a * qf + b] = Z[b * qf + a] = cr_sdp_emap(pb, n, grp, sc, Xr, W + a * q, b);
        free(W);
    }
    cr_sdp_eval ev;
    cr_sdp_evaluate(pb, Z, &ev);
    out->primal = ev.obj;
    const double scale = fmax(1.0, fabs(ev.obj));
    out->pres = fmax(ev.neg_entry, fmax(ev.diag_ab, ev.psd_neg)) / scale;

    /* X in the cones */
    double *xx = NULL, *xl = NULL;
    int nn = 0, nxl = 0;
    F1 = cr_malloc(q, q * sizeof(double));
    F2 = cr_malloc(N, N * sizeof(double));
    if (!F1 || !F2) goto nomem;
    DSDP_TRY("SDPConeGetXArray", SDPConeGetXArray(sdp, 0, &xx, &nn));
    if (nn != (int)(q * (q + 1) / 2)) {
        st = cr_fail(err, CVXRELU_ERR_NUMERIC, "DSDP: unexpected X size %d", nn);
        goto done;
    }
    unpack(xx, q, F1);
    DSDP_TRY("SDPConeGetXArray", SDPConeGetXArray(sdp, 1, &xx, &nn));
    if (nn != (int)(N * (N + 1) / 2)) {
        st = cr_fail(err, CVXRELU_ERR_NUMERIC, "DSDP: unexpected X size %d", nn);
        goto done;
    }
    unpack(xx, N, F2);
    if (lp) DSDP_TRY("LPConeGetXArray", LPConeGetXArray(lp, &xl, &nxl));
    if (nxl != nl) {
        st = cr_fail(err, CVXRELU_ERR_NUMERIC, "DSDP: unexpected LP X size %d", nxl);
        goto done;
    }
    for (size_t a = 0; a < q * q; a++)
        if (!isfinite(F1[a])) F1[a] = 0.0;
    for (size_t a = 0; a < N * N; a++)
        if (!isfinite(F2[a])) F2[a] = 0.0;
    if (psd_fix(F2, N) != 0) {
        st = cr_fail(err, CVXRELU_ERR_NUMERIC, "sdp_dsdp: eigendecomposition of X failed");
        goto done;
    }

    /* residuals r_v = A_v.X - b_v and their rounding allowances */
    p1i = cr_malloc(q * (q + 1) / 2, sizeof(size_t));
    p1j = cr_malloc(q * (q + 1) / 2, sizeof(size_t));
    p2i = cr_malloc(N * (N + 1) / 2, sizeof(size_t));
    p2j = cr_malloc(N * (N + 1) / 2, sizeof(size_t));
    res = cr_calloc((size_t)m + 1, sizeof(double));
    eres = cr_calloc((size_t)m + 1, sizeof(double));
    if (!p1i || !p1j || !p2i || !p2j || !res || !eres) goto nomem;
    for (size_t i = 0, p = 0; i < q; i++)
        for (size_t j = 0; j <= i; j++, p++) p1i[p] = i, p1j[p] = j;
    for (size_t i = 0, p = 0; i < N; i++)
        for (size_t j = 0; j <= i; j++, p++) p2i[p] = i, p2j[p] = j;
    for (int v = 1; v <= m; v++) {
        double dot = -bvec[v], ad = fabs(bvec[v]);
        int terms = 1;
        if (v <= mz) {
            packed_dot(ind1 + off1[v], val1 + off1[v], off1[v + 1] - off1[v], F1, q, p1i, p1j,
                       &dot, &ad);
            terms += off1[v + 1] - off1[v];
        }
        packed_dot(ind2 + off2[v], val2 + off2[v], off2[v + 1] - off2[v], F2, N, p2i, p2j, &dot,
                   &ad);
        terms += off2[v + 1] - off2[v];
        for (int e = lpik[v]; e < lpik[v + 1]; e++) {
            double t = lpval[e] * fmax(xl[lprow[e]], 0.0);
            dot += t;
            ad += fabs(t);
        }
        terms += lpik[v + 1] - lpik[v];
        res[v] = dot;
        eres[v] = ((double)terms + 2.0) * DBL_EPSILON * ad;
    }
    double cx = 0.0, acx = 0.0;
    packed_dot(cind, cval, cnnz, F2, N, p2i, p2j, &cx, &acx);
    const double ecx = ((double)cnnz + 2.0) * DBL_EPSILON * acx;

    /* M = X1 + R (R: the residuals of the Z variables, see the top of the
       file) and a bound on the entries of M_exact - M */
    M = cr_calloc(q * q, sizeof(double));
    Merr = cr_calloc(q * q, sizeof(double)); /* entrywise error bound */
    if (!M || !Merr) goto nomem;
    double rnorm2 = 0.0;
    for (int v = 1; v <= m; v++) rnorm2 += res[v] * res[v];
    memcpy(M, F1, q * q * sizeof(double));
    for (int v = 1; v <= mz; v++) {
        size_t i = (size_t)vi[v], j = (size_t)vj[v];
        double h = i == j ? 1.0 : 0.5;
        M[i * q + j] += h * res[v];
        Merr[i * q + j] = h * eres[v];
    }
    for (size_t i = 0; i < q; i++)
        for (size_t j = i; j < q; j++) {
            double e = Merr[i * q + j] + DBL_EPSILON * fabs(M[i * q + j]);
            M[j * q + i] = M[i * q + j];
            Merr[i * q + j] = Merr[j * q + i] = e;
        }
    double ub = 0.0;
    for (size_t a = 0; a < nf * c; a++) ub += 0.5 * Y[a] * Y[a];
    if (pb->beta > 0.0) {
        double unet = network_value(pb, n, Zr);
        if (unet < ub) ub = unet;
    }
    double s2 = d == 1 ? 1.0 : cr_sdp_xnorm2(pb); /* >= ||X_red||_2^2 */
    if (!isfinite(s2)) {
        s2 = 0.0;
        for (size_t a = 0; a < nf * d; a++) s2 += pb->X[a] * pb->X[a];
    }
    double psd_term = INFINITY;
    int eig_ok = psd_term_bound(M, Merr, q, n, s2, ub / pb->beta, &psd_term);
    if (eig_ok != 0) {
        st = cr_fail(err, eig_ok == -2 ? CVXRELU_ERR_NOMEM : CVXRELU_ERR_NUMERIC,
                     "sdp_dsdp: eigenvalues for the lower bound failed");
        goto done;
    }
    const double mrt = eres[m] - res[m]; /* >= -r_t */
    double lb = -(cx + ecx) - psd_term;
    if (mrt > 0.0) lb -= mrt * 2.0 * ub;
    lb -= 8.0 * DBL_EPSILON * fabs(lb); /* the few operations above */
    out->lower_bound = isnan(lb) ? -INFINITY : lb;
    out->dres = sqrt(rnorm2) / scale;
    /* DSDP's own test, or the certificate itself closing to tol (DSDP often
       stops on an indefinite Schur matrix right at the tolerance) */
    if ((out->primal - out->lower_bound) / scale <= tol && out->pres <= tol) out->converged = 1;

    out->Z = Z;
    Z = NULL;
    goto done;

nomem:
    st = cr_fail(err, CVXRELU_ERR_NOMEM, "sdp_dsdp: out of memory");
done:
    if (dsdp) DSDPDestroy(dsdp);
    free(grp);
    free(sc);
    free(Xr);
    free(vid);
    free(vi);
    free(vj);
    free(off2);
    free(ind1);
    free(off1);
    free(ind2);
    free(cind);
    free(lpik);
    free(lprow);
    free(cnt);
    free(pos);
    free(val1);
    free(val2);
    free(cval);
    free(lpval);
    free(bvec);
    free(y);
    free(Zr);
    free(Z);
    free(F1);
    free(F2);
    free(M);
    free(Merr);
    free(res);
    free(eres);
    free(p1i);
    free(p1j);
    free(p2i);
    free(p2j);
    if (st != CVXRELU_OK) {
        free(out->Z);
        memset(out, 0, sizeof *out);
    }
    return st;
}
