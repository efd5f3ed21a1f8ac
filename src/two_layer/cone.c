/*
 * Euclidean projection onto a pattern's cone K = {u : a_j (x_j . u) >= 0 for all j}
 * (a_j = +1 inside the pattern, -1 outside), the exact prox ingredient of the
 * ReLU program.  By the KKT conditions P_K(y) = y + sum_j mu_j a_j x_j with
 * mu = argmin_{mu >= 0} ||y + C^T mu||, C = diag(a) X: a non-negative least
 * squares problem in n unknowns whose solution has at most d non-zeros, solved
 * by the Lawson-Hanson active-set method, warm-started from the previous set.
 *
 * The least-squares problems on the active set S share one Cholesky factor L of
 * the set's Gram matrix C_S C_S^T, kept up to date as rows enter (one forward
 * solve, O(|S| d)) and leave (a rank-one update of the trailing block, O(|S|^2)),
 * so a step of the active-set method costs O(|S|^2) beside its one product X u,
 * where a factorization from scratch costs O(|S|^2 d + |S|^3).
 */
#include "cone.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* four partial sums: the additions are not one chain of latencies */
static double dot(const double *x, const double *y, size_t d)
{
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    size_t i = 0;
    for (; i + 4 <= d; i += 4) {
        a0 += x[i] * y[i];
        a1 += x[i + 1] * y[i + 1];
        a2 += x[i + 2] * y[i + 2];
        a3 += x[i + 3] * y[i + 3];
    }
    for (; i < d; i++) a0 += x[i] * y[i];
    return (a0 + a1) + (a2 + a3);
}

/* The active set with its factor: rows S[0..ns) of C, L (leading dimension d) the
   Cholesky factor of their Gram matrix, b_p = -c_p . y the right-hand side. */
typedef struct {
    const cr_cone *k;
    const double *y;
    size_t *S, ns;
    double *L, *b, *r;
} aset;

/* Append row j: 0, or -1 when it is (numerically) dependent on the set (then the set
   is unchanged). */
static int aset_add(aset *A, size_t j)
{
    const cr_cone *k = A->k;
    const size_t d = k->d, ns = A->ns;
    const double *xj = k->X + j * d;
    double *l = A->L + ns * d;
    const double *Gj = k->G ? k->G + j * k->n : NULL;
    const double xx = Gj ? Gj[j] : dot(xj, xj, d);
    double rest = xx;
    for (size_t q = 0; q < ns; q++) {
        const size_t sq = A->S[q];
        double v = k->a[j] * k->a[sq] * (Gj ? Gj[sq] : dot(xj, k->X + sq * d, d));
        const double *Lq = A->L + q * d;
        l[q] = (v - dot(Lq, l, q)) / Lq[q];
        rest -= l[q] * l[q];
    }
    if (!(rest > 1e-13 * xx)) return -1;
    l[ns] = sqrt(rest);
    A->S[ns] = j;
    A->b[ns] = -k->a[j] * dot(xj, A->y, d);
    A->ns = ns + 1;
    return 0;
}

/* Remove position p (the order of the others kept): the rows below p lose column p and
   their trailing block takes the rank-one update by it. */
static void aset_remove(aset *A, size_t p, double *mu)
{
    const size_t d = A->k->d, ns = A->ns;
    double *w = A->r;
    for (size_t i = p + 1; i < ns; i++) w[i] = A->L[i * d + p];
    for (size_t i = p + 1; i < ns; i++) {
        double *dst = A->L + (i - 1) * d, *src = A->L + i * d;
        memmove(dst, src, p * sizeof(double));
        memmove(dst + p, src + p + 1, (i - 1 - p) * sizeof(double)); /* columns p+1..i-1, then i */
        dst[i - 1] = src[i];
    }
    /* the trailing block T (rows and columns p..ns-2) gets T T^T + w w^T */
    for (size_t j = p; j + 1 < ns; j++) {
        double *Lj = A->L + j * d;
        const double wj = w[j + 1], tjj = Lj[j];
        const double rr = hypot(tjj, wj), c = rr / tjj, s = wj / tjj;
        Lj[j] = rr;
        for (size_t i = j + 1; i + 1 < ns; i++) {
            double *Li = A->L + i * d;
            Li[j] = (Li[j] + s * w[i + 1]) / c;
            w[i + 1] = c * w[i + 1] - s * Li[j];
        }
    }
    for (size_t i = p + 1; i < ns; i++) {
        A->S[i - 1] = A->S[i];
        A->b[i - 1] = A->b[i];
        if (mu) mu[i - 1] = mu[i];
    }
    A->ns = ns - 1;
}

/* s_S = argmin ||y + sum_{p} s_p c_{S_p}||: L L^T s = b */
static void aset_solve(const aset *A, double *s)
{
    const size_t d = A->k->d, ns = A->ns;
    for (size_t i = 0; i < ns; i++) {
        const double *Li = A->L + i * d;
        s[i] = (A->b[i] - dot(Li, s, i)) / Li[i];
    }
    /* L^T s = s by columns of L^T (rows of L, contiguous): each unknown, once found,
       is taken out of the equations above it */
    for (size_t i = ns; i-- > 0;) {
        const double *Li = A->L + i * d;
        const double si = s[i] / Li[i];
        s[i] = si;
        for (size_t l = 0; l < i; l++) s[l] -= Li[l] * si;
    }
}

double cr_cone_tol(const cr_cone *k, const double *y)
{
    double ynorm = sqrt(dot(y, y, k->d));
    return 1e-13 * k->xmax * (ynorm > 0.0 ? ynorm : 1.0);
}

double cr_cone_worst(const cr_cone *k, const double *z)
{
    const double *restrict a = k->a, *restrict zz = z;
    const size_t n = k->n;
    double w0 = 0.0, w1 = 0.0, w2 = 0.0, w3 = 0.0; /* four chains: vectorized, no stalls */
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const double v0 = -a[j] * zz[j], v1 = -a[j + 1] * zz[j + 1];
        const double v2 = -a[j + 2] * zz[j + 2], v3 = -a[j + 3] * zz[j + 3];
        w0 = v0 > w0 ? v0 : w0;
        w1 = v1 > w1 ? v1 : w1;
        w2 = v2 > w2 ? v2 : w2;
        w3 = v3 > w3 ? v3 : w3;
    }
    for (; j < n; j++) {
        const double v = -a[j] * zz[j];
        w0 = v > w0 ? v : w0;
    }
    w0 = w1 > w0 ? w1 : w0;
    w2 = w3 > w2 ? w3 : w2;
    return w2 > w0 ? w2 : w0;
}

/* The warm start: the old set (its factor given in A->L, or built there from the rows that are
   independent), least squares on it, dropping the most negative entry until all are
   positive; mu = the result. */
static void warm_start(aset *A, int factor_given, double *mu, double *s)
{
    const cr_cone *k = A->k;
    const size_t d = k->d, ns_in = A->ns;
    if (factor_given) {
        for (size_t p = 0; p < ns_in; p++)
            A->b[p] = -k->a[A->S[p]] * dot(k->X + A->S[p] * d, A->y, d);
    } else {
        A->ns = 0;
        for (size_t q = 0; q < ns_in; q++) aset_add(A, A->S[q]); /* a dependent row is left out */
    }
    while (A->ns > 0) {
        aset_solve(A, s);
        size_t worst_p = A->ns;
        double wv = 0.0;
        for (size_t p = 0; p < A->ns; p++)
            if (s[p] <= wv) {
                wv = s[p];
                worst_p = p;
            }
        if (worst_p == A->ns) break;
        aset_remove(A, worst_p, NULL);
    }
    for (size_t p = 0; p < A->ns; p++) mu[p] = s[p];
}

static void combine(const cr_cone *k, const double *y, const size_t *S, size_t ns,
                    const double *mu, double *u)
{
    const size_t d = k->d;
    memcpy(u, y, d * sizeof(double));
    for (size_t p = 0; p < ns; p++) {
        const double f = mu[p] * k->a[S[p]], *xp = k->X + S[p] * d;
        for (size_t i = 0; i < d; i++) u[i] += f * xp[i];
    }
}

void cr_cone_begin(const cr_cone *k, const double *y, cr_cone_state *cs, int factor_given,
                   double *u, double *work)
{
    aset A = {k, y, cs->S, cs->ns, cs->L, cs->b, work + k->d};
    warm_start(&A, factor_given, cs->mu, work);
    cs->ns = A.ns;
    cs->iters = 0;
    combine(k, y, cs->S, A.ns, cs->mu, u);
}

int cr_cone_next(const cr_cone *k, const double *y, const double *xu, cr_cone_state *cs,
                 double *u, double *work)
{
    const size_t n = k->n, d = k->d;
    const double tol = cr_cone_tol(k, y);
    double *s = work, *mu = cs->mu;
    aset A = {k, y, cs->S, cs->ns, cs->L, cs->b, work + d};
    size_t jstar = n;
    const double worst = cr_cone_worst(k, xu);
    if (worst > tol) /* the most violated row: the first that attains the worst value */
        for (jstar = 0; jstar < n && -k->a[jstar] * xu[jstar] != worst; jstar++) continue;
    /* rows of the set hold with equality; one chosen again means rounding
       has the last word: stop */
    for (size_t p = 0; p < A.ns && jstar < n; p++)
        if (A.S[p] == jstar) jstar = n;
    if (jstar == n || A.ns >= d || ++cs->iters > (int)(4 * d + 20)) return 0;
    /* a row dependent on the set: rounding has the last word again */
    if (aset_add(&A, jstar) != 0) return 0;
    mu[A.ns - 1] = 0.0;
    /* Lawson-Hanson inner loop: keep mu >= 0 */
    for (int inner = 0; inner < (int)(2 * d + 5); inner++) {
        aset_solve(&A, s);
        double alpha = 1.0;
        size_t blocking = A.ns;
        for (size_t p = 0; p < A.ns; p++)
            if (s[p] <= 0.0) {
                double rr = mu[p] / (mu[p] - s[p]);
                if (blocking == A.ns || rr < alpha) {
                    alpha = rr;
                    blocking = p;
                }
            }
        if (blocking == A.ns) {
            memcpy(mu, s, A.ns * sizeof(double));
            break;
        }
        /* the blocking entry reaches zero and leaves; rounding may leave it at an
           ulp above zero, so it is set to zero, not compared with it */
        for (size_t p = 0; p < A.ns; p++) mu[p] += alpha * (s[p] - mu[p]);
        mu[blocking] = 0.0;
        for (size_t p = A.ns; p-- > 0;)
            if (mu[p] <= 0.0) aset_remove(&A, p, mu);
    }
    cs->ns = A.ns;
    combine(k, y, A.S, A.ns, mu, u);
    return 1;
}

int cr_cone_project(const cr_cone *k, const double *y, const double *zy, double *u, double *z,
                    size_t *S, size_t *ns_io, double *L_cache, double *work)
{
    const size_t n = k->n, d = k->d;
    double *cz = work + CR_CONE_STEP_WORK(d);
    double *mu = cz + n, *b = mu + d, *L = b + d;

    /* inside already (checked on the given products): nothing to do */
    if (cr_cone_worst(k, zy) <= cr_cone_tol(k, y)) {
        memcpy(u, y, d * sizeof(double));
        memcpy(z, zy, n * sizeof(double));
        if (!L_cache) *ns_io = 0; /* with a kept factor the set stays: the next warm start */
        return 0;
    }
    cr_cone_state cs = {S, *ns_io, L_cache ? L_cache : L, b, mu, 0};
    cr_cone_begin(k, y, &cs, L_cache != NULL, u, work);
    for (;;) {
        if (cr_loop_check(k->loop)) {
            *ns_io = cs.ns;
            return 1;
        }
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, k->X, (int)d, u, 1, 0.0,
                    cz, 1); /* cz = X u */
        if (!cr_cone_next(k, y, cz, &cs, u, work)) break;
    }
    memcpy(z, cz, n * sizeof(double));
    *ns_io = cs.ns;
    return 0;
}
