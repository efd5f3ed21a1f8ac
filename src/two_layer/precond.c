/*
 * Preconditioning of the gated R-FISTA (docs/algorithms.md, "Preconditioned R-FISTA").
 *
 * Every group u_ik meets the data through X u_ik, so the data term's curvature in a
 * group is X^T D_i X / N, whose shape is that of X^T X: on real data (images, tabular
 * features with correlated columns) its eigenvalues spread over many decades, and a
 * first-order method with a scalar step crawls along the small ones.  We take the
 * metric M = E^T diag(s) E, with E^T diag(ev) E = X^T X / n the eigendecomposition
 * (rows of E are eigenvectors) and s_j = max(ev_j, floor ev_max); in the rotated
 * coordinates u~ = E u the metric is diagonal and the group norm is unchanged
 * (E is orthogonal).  The step becomes u+ = prox^M_{t lambda ||.||}(v - t M^{-1} g),
 * whose prox is, per group, a one-dimensional secular equation.  The program, its
 * dual and the stopping rule are those of the plain solver.
 */
#include "two_layer.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* LAPACK (provided by OpenBLAS), Fortran calling convention with the hidden
   string lengths gfortran passes. */
extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                   double *w, double *work, const int *lwork, int *info, size_t, size_t);

/* Eigenvalues below this fraction of the largest are raised to it: a singular or
   nearly singular X^T X (constant or duplicate columns) would otherwise ask for
   unbounded steps along directions the data cannot see. */
#define PRECOND_FLOOR 1e-6
/* Below this condition number of X^T X the metric is not used. */
#define PRECOND_MIN_COND 10.0

int cr_precond_setup(cvxrelu_solver *s)
{
    if (s->pq_state) return s->pq_state > 0 ? 0 : -1;
    const size_t n = s->n, d = s->d;
    s->pq_state = -1;
    /* the rotations cost m d^2 per step against n d m for a product: worth it when
       d is small beside n */
    if (d < 2 || d > CVXRELU_PRECOND_MAX_D || d > n) return -1;
    double *E = cr_malloc(d * d, sizeof(double));
    double *ev = cr_malloc(d, sizeof(double));
    double wq = 0.0;
    int nn = (int)d, lwork = -1, info = 0;
    if (!E || !ev) goto fail;
    if (s->Xf) {
        /* with float products the Gram in float too (half the time): the metric only
           shapes the steps, and the largest eigenvalue is padded where it bounds */
        float *Ef = cr_malloc(d * d, sizeof(float));
        if (!Ef) goto fail;
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)n, 1.0f / (float)n,
                    s->Xf, (int)d, 0.0f, Ef, (int)d);
        for (size_t i = 0; i < d * d; i++) E[i] = (double)Ef[i];
        free(Ef);
    } else {
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)n, 1.0 / (double)n,
                    s->X, (int)d, 0.0, E, (int)d);
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < i; j++) E[i * d + j] = E[j * d + i];
    /* row-major symmetric = column-major symmetric; the eigenvectors come back in
       LAPACK's columns, which are our rows */
    dsyev_("V", "U", &nn, E, &nn, ev, &wq, &lwork, &info, 1, 1);
    if (info != 0) goto fail;
    lwork = (int)wq;
    double *work = cr_malloc((size_t)lwork, sizeof(double));
    if (!work) goto fail;
    dsyev_("V", "U", &nn, E, &nn, ev, work, &lwork, &info, 1, 1);
    free(work);
    double emax = ev[d - 1];
    if (info != 0 || !(emax > 0.0) || !isfinite(emax)) goto fail;
    /* a well-conditioned Gram gains little in iterations and the rotations and the
       secular prox cost more per step: keep the plain steps */
    if (emax <= PRECOND_MIN_COND * fmax(ev[0], PRECOND_FLOOR * emax)) goto fail;
    /* dsyev returns the eigenvalues ascending; flooring keeps them so (ps[0] is the
       smallest, ps[d - 1] the largest) */
    for (size_t j = 0; j < d; j++) ev[j] = fmax(ev[j], PRECOND_FLOOR * emax);
    s->pq = E;
    s->ps = ev;
    s->pq_state = 1;
    return 0;
fail:
    free(E);
    free(ev);
    return -1;
}

void cr_precond_rotate(const cvxrelu_solver *s, const double *A, double *At, size_t rows)
{
    const int d = (int)s->d;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, d, d, 1.0, A, d, s->pq, d,
                0.0, At, d);
}

void cr_precond_unrotate(const cvxrelu_solver *s, const double *At, double *A, size_t rows)
{
    const int d = (int)s->d;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, d, d, 1.0, At, d, s->pq,
                d, 0.0, A, d);
}

/*
 * In place: z (rotated, d entries) becomes argmin_w 1/2 sum_j s_j (w_j - z_j)^2 + tau ||w||.
 * w = 0 when ||s o z|| <= tau; otherwise w_j = s_j z_j / (s_j + k), where k = tau / ||w||
 * is the root of h(k) = 1 / ||w(k)|| - k / tau.  As in the trust-region secular equation,
 * 1 / ||w(k)|| is concave, so h is concave and Newton's method from a point right of the
 * root (h <= 0) descends to it monotonically.  The root lies in [k_lo, k_hi] with
 * k = tau s_min / (||s o z|| - tau) and tau s_max / (||s o z|| - tau) (smin, smax: the
 * extremes of sv, passed in since the metric is the same for every group and step).
 */
void cr_precond_prox(const double *sv, double smin, double smax, double *z, size_t d, double tau)
{
    double sz2 = 0.0;
    for (size_t j = 0; j < d; j++) {
        double a = sv[j] * z[j];
        sz2 += a * a;
    }
    double sz = sqrt(sz2);
    if (!(sz > tau)) {
        memset(z, 0, d * sizeof(double));
        return;
    }
    double lo = tau * smin / (sz - tau), hi = tau * smax / (sz - tau), k = hi;
    for (int it = 0; it < 100; it++) {
        double w2 = 0.0, q = 0.0;
        for (size_t j = 0; j < d; j++) {
            double inv = 1.0 / (sv[j] + k), w = sv[j] * z[j] * inv;
            w2 += w * w;
            q += w * w * inv;
        }
        double wn = sqrt(w2);
        double h = 1.0 / wn - k / tau, dh = q / (w2 * wn) - 1.0 / tau;
        if (h > 0.0) lo = fmax(lo, k); /* only rounding puts us left of the root */
        else hi = fmin(hi, k);
        double next = dh < 0.0 ? k - h / dh : 0.5 * (lo + hi);
        if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
        if (fabs(next - k) <= 1e-15 * k) {
            k = next;
            break;
        }
        k = next;
    }
    for (size_t j = 0; j < d; j++) z[j] = sv[j] * z[j] / (sv[j] + k);
}
