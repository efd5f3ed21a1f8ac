/* The lifted problem of the SDP relaxation shared by its solvers and the read-out
   (docs/algorithms.md, "The SDP relaxation"): evaluation of a solution, the rows that
   are multiples of others, and the lifted rows. */
#include "sdp.h"
#include "internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------ evaluation */

double cr_sdp_xnorm2(const cr_sdp_problem *pb)
{
    size_t d = pb->d;
    double *G = cr_calloc(d * d, sizeof(double));
    if (!G) return NAN;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)pb->n, 1.0, pb->X,
                (int)d, 0.0, G, (int)d);
    double w = NAN;
    if (cr_sym_eig_range(G, d, (int)d, (int)d, &w, NULL) != 0) w = NAN;
    free(G);
    /* A margin for the eigensolver's backward error. */
    return w * (1.0 + 1e-12) + 1e-300;
}

/* The three n x n blocks of Lambda = B Z B^T: Laa, Lab, Lbb (n x n each). */
static int lifted_blocks(const cr_sdp_problem *pb, const double *Z, double *Laa, double *Lab,
                         double *Lbb)
{
    size_t n = pb->n, d = pb->d, q = n + d + pb->c;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) Laa[i * n + j] = Z[i * q + j];
    /* Lab = Zaa - Zau X^T */
    memcpy(Lab, Laa, n * n * sizeof(double));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)n, (int)d, -1.0, Z + n,
                (int)q, pb->X, (int)d, 1.0, Lab, (int)n);
    /* Lbb = Lab - X Zua + X Zuu X^T = Lab + X (Zuu X^T - Zua) */
    double *W = cr_malloc(d * n, sizeof(double));
    if (!W) return -1;
    for (size_t k = 0; k < d; k++)
        for (size_t j = 0; j < n; j++) W[k * n + j] = -Z[(n + k) * q + j];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)d, (int)n, (int)d, 1.0,
                Z + n * q + n, (int)q, pb->X, (int)d, 1.0, W, (int)n);
    memcpy(Lbb, Lab, n * n * sizeof(double));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)d, 1.0, pb->X,
                (int)d, W, (int)n, 1.0, Lbb, (int)n);
    free(W);
    return 0;
}

static double sdp_objective(const cr_sdp_problem *pb, const double *Z)
{
    size_t n = pb->n, d = pb->d, c = pb->c, q = n + d + c;
    double loss = 0.0, tr = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < c; k++) {
            double r = Z[i * q + n + d + k] - pb->Y[i * c + k];
            loss += r * r;
        }
    for (size_t k = n; k < q; k++) tr += Z[k * q + k];
    return 0.5 * loss + 0.5 * pb->beta * tr;
}

void cr_sdp_evaluate(const cr_sdp_problem *pb, const double *Z, cr_sdp_eval *ev)
{
    size_t n = pb->n, q = n + pb->d + pb->c;
    memset(ev, 0, sizeof *ev);
    ev->obj = sdp_objective(pb, Z);
    double *L = cr_malloc(3 * n * n, sizeof(double));
    double *A = cr_malloc(q * q, sizeof(double));
    double *w = cr_malloc(q, sizeof(double));
    if (!L || !A || !w || lifted_blocks(pb, Z, L, L + n * n, L + 2 * n * n) != 0) {
        ev->neg_entry = ev->diag_ab = ev->psd_neg = NAN;
        free(L);
        free(A);
        free(w);
        return;
    }
    for (size_t t = 0; t < 3 * n * n; t++)
        if (-L[t] > ev->neg_entry) ev->neg_entry = -L[t];
    for (size_t i = 0; i < n; i++) {
        double v = fabs(L[n * n + i * n + i]);
        if (v > ev->diag_ab) ev->diag_ab = v;
    }
    memcpy(A, Z, q * q * sizeof(double));
    if (cr_sym_eig_range(A, q, 1, (int)q, w, NULL) == 0) {
        ev->psd_neg = w[0] < 0.0 ? -w[0] : 0.0;
        for (size_t k = 0; k < q; k++)
            if (w[k] > 1e-6 * w[q - 1] && w[k] > 0.0) ev->rank++;
    } else {
        ev->psd_neg = NAN;
    }
    free(L);
    free(A);
    free(w);
}

/* ------------------------------------------------ parallel rows (sdp.h) */

/*
 * The row reduction (src/sdp/dsdp.c derives it): data row i is s[i] times its
 * representative grp[i] (s[i] < 0: times its beta), or a zero row (grp[i] =
 * -1).  Returns the number of representatives, copied to Xr (n x d).
 */
size_t cr_sdp_reduce_rows(const cr_sdp_problem *pb, int *grp, double *sc, double *Xr)
{
    const size_t n = pb->n, d = pb->d;
    size_t nr = 0;
    if (d == 1) { /* one virtual representative v = (1): X_i = X_i v exactly */
        for (size_t i = 0; i < n; i++) {
            grp[i] = pb->X[i] != 0.0 ? 0 : -1;
            sc[i] = pb->X[i];
            if (pb->X[i] != 0.0) nr = 1;
        }
        Xr[0] = 1.0;
        return nr;
    }
    for (size_t i = 0; i < n; i++) {
        const double *xi = pb->X + i * d;
        int zero = 1;
        for (size_t k = 0; k < d && zero; k++) zero = xi[k] == 0.0;
        grp[i] = -1;
        sc[i] = 0.0;
        if (zero) continue;
        for (size_t r = 0; r < nr && grp[i] < 0; r++) {
            const double *xr = Xr + r * d;
            size_t k0 = 0;
            while (xr[k0] == 0.0) k0++;
            double s = xi[k0] / xr[k0];
            int ok = isfinite(s) && s != 0.0;
            /* X_i = s X_r exactly: each fma (one rounding) vanishes, and no
               nonzero entry is small enough for an inexact difference to
               round to 0 */
            for (size_t k = 0; k < d && ok; k++)
                ok = fma(s, xr[k], -xi[k]) == 0.0 && (xi[k] == 0.0 || fabs(xi[k]) > 1e-280);
            if (ok) {
                grp[i] = (int)r;
                sc[i] = s;
            }
        }
        if (grp[i] < 0) {
            memcpy(Xr + nr * d, xi, d * sizeof(double));
            grp[i] = (int)nr++;
            sc[i] = 1.0;
        }
    }
    return nr;
}

/* Row a (0 <= a < q_data) of E applied to the q-vector z: E_a . z. */
double cr_sdp_emap(const cr_sdp_problem *pb, size_t n, const int *grp, const double *sc,
                   const double *Xr, const double *z, size_t a)
{
    const size_t nf = pb->n, d = pb->d;
    if (a >= nf) return z[a - nf + n];
    if (grp[a] < 0) return 0.0;
    size_t r = (size_t)grp[a];
    if (sc[a] > 0.0) return sc[a] * z[r];
    double t = z[r];
    for (size_t k = 0; k < d; k++) t -= Xr[r * d + k] * z[n + k];
    return -sc[a] * t;
}

void cr_sdp_lift_rows(const double *X, size_t n, size_t d, size_t c, const double *Zr,
                      size_t k, double *Lr)
{
    const size_t q = n + d + c, p = 2 * n + d + c;
    for (size_t i = 0; i < k; i++) {
        const double *z = Zr + i * q;
        double *l = Lr + i * p;
        memcpy(l, z, n * sizeof(double));
        memcpy(l + n, z, n * sizeof(double));
        memcpy(l + 2 * n, z + n, (d + c) * sizeof(double));
    }
    /* beta = alpha - X u */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)k, (int)n, (int)d, -1.0, Zr + n,
                (int)q, X, (int)d, 1.0, Lr + n, (int)p);
}

