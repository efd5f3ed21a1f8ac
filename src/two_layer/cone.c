/*
 * Euclidean projection onto a pattern's cone K = {u : a_j (x_j . u) >= 0 for all j}
 * (a_j = +1 inside the pattern, -1 outside), the exact prox ingredient of the
 * ReLU program.  By the KKT conditions P_K(y) = y + sum_j mu_j a_j x_j with
 * mu = argmin_{mu >= 0} ||y + C^T mu||, C = diag(a) X: a non-negative least
 * squares problem in n unknowns whose solution has at most d non-zeros, solved
 * by the Lawson-Hanson active-set method, warm-started from the previous set.
 */
#include "cone.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static double dot(const double *x, const double *y, size_t d)
{
    double acc = 0.0;
    for (size_t i = 0; i < d; i++) acc += x[i] * y[i];
    return acc;
}

/* s_S = argmin ||y + sum_{l in S} s_l c_l||  (c_l = a_l x_l): (C_S C_S^T) s = -C_S y;
   -1 when the rows of S are (numerically) dependent */
static int ls_on_set(const cr_cone *k, const double *y, const size_t *S, size_t ns, double *s,
                     double *gram)
{
    const size_t d = k->d;
    for (size_t p = 0; p < ns; p++) {
        const double *xp = k->X + S[p] * d;
        for (size_t q = 0; q <= p; q++) {
            double v = k->a[S[p]] * k->a[S[q]] * dot(xp, k->X + S[q] * d, d);
            gram[p * ns + q] = gram[q * ns + p] = v;
        }
        s[p] = -k->a[S[p]] * dot(xp, y, d);
    }
    if (cr_chol(gram, ns, 1e-13)) return -1;
    cr_chol_solve(gram, s, ns);
    return 0;
}

/* u = y + sum_S mu_l a_l x_l and cz = a .* (X u) */
static void assemble(const cr_cone *k, const double *y, const size_t *S, size_t ns,
                     const double *mu, double *u, double *cz)
{
    const size_t n = k->n, d = k->d;
    memcpy(u, y, d * sizeof(double));
    for (size_t p = 0; p < ns; p++) {
        const double f = mu[p] * k->a[S[p]], *xp = k->X + S[p] * d;
        for (size_t i = 0; i < d; i++) u[i] += f * xp[i];
    }
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, k->X, (int)d, u, 1, 0.0, cz, 1);
    for (size_t j = 0; j < n; j++) cz[j] *= k->a[j];
}

int cr_cone_project(const cr_cone *k, const double *y, const double *zy, double *u, double *z,
                    size_t *S, size_t *ns_io, double *work)
{
    const size_t n = k->n, d = k->d;
    double *mu = work, *s = work + d, *gram = work + 2 * d, *cz = work + 2 * d + d * d;
    double ynorm = sqrt(dot(y, y, d));
    const double tol = 1e-13 * k->xmax * (ynorm > 0.0 ? ynorm : 1.0);
    size_t ns = *ns_io;
    int iters = 0;

    /* inside already (checked on the given products): nothing to do */
    double worst = 0.0;
    for (size_t j = 0; j < n; j++) {
        double v = k->a[j] * zy[j];
        if (v < worst) worst = v;
    }
    if (worst >= -tol) {
        memcpy(u, y, d * sizeof(double));
        memcpy(z, zy, n * sizeof(double));
        *ns_io = 0;
        return 0;
    }
    /* warm start: least squares on the old set, dropping entries until all are positive */
    while (ns > 0) {
        if (ls_on_set(k, y, S, ns, s, gram) != 0) {
            ns--; /* drop the last (most recently added) on rank trouble */
            continue;
        }
        size_t worst_p = ns;
        double wv = 0.0;
        for (size_t p = 0; p < ns; p++)
            if (s[p] <= wv) {
                wv = s[p];
                worst_p = p;
            }
        if (worst_p == ns) break;
        S[worst_p] = S[--ns];
    }
    for (size_t p = 0; p < ns; p++) mu[p] = s[p];

    for (;;) {
        if (cr_loop_check(k->loop)) {
            *ns_io = ns;
            return 1;
        }
        assemble(k, y, S, ns, mu, u, cz);
        size_t jstar = n;
        double best = -tol;
        for (size_t j = 0; j < n; j++)
            if (cz[j] < best) {
                best = cz[j];
                jstar = j;
            }
        /* rows of the set hold with equality; one chosen again means rounding
           has the last word: stop */
        for (size_t p = 0; p < ns && jstar < n; p++)
            if (S[p] == jstar) jstar = n;
        if (jstar == n || ns >= d || ++iters > (int)(4 * d + 20)) break;
        S[ns] = jstar;
        mu[ns] = 0.0;
        ns++;
        /* Lawson-Hanson inner loop: keep mu >= 0 */
        for (int inner = 0; inner < (int)(2 * d + 5); inner++) {
            if (ls_on_set(k, y, S, ns, s, gram) != 0) {
                /* the new row is dependent on the set: give up on it */
                ns--;
                break;
            }
            double alpha = 1.0;
            int all_pos = 1;
            for (size_t p = 0; p < ns; p++)
                if (s[p] <= 0.0) {
                    all_pos = 0;
                    double r = mu[p] / (mu[p] - s[p]);
                    if (r < alpha) alpha = r;
                }
            if (all_pos) {
                memcpy(mu, s, ns * sizeof(double));
                break;
            }
            for (size_t p = 0; p < ns; p++) mu[p] += alpha * (s[p] - mu[p]);
            for (size_t p = 0; p < ns;) {
                if (mu[p] <= 1e-300) {
                    mu[p] = mu[ns - 1];
                    S[p] = S[ns - 1];
                    ns--;
                } else {
                    p++;
                }
            }
        }
    }
    /* z = X u from a ./ a */
    for (size_t j = 0; j < n; j++) z[j] = k->a[j] * cz[j];
    *ns_io = ns;
    return 0;
}

double cr_cone_project_norm(const cr_cone *k, const double *y, const double *zy, size_t *S,
                            size_t *ns_io, double *work, double *u_scratch, double *z_scratch)
{
    if (cr_cone_project(k, y, zy, u_scratch, z_scratch, S, ns_io, work)) return NAN;
    return sqrt(dot(u_scratch, u_scratch, k->d));
}
