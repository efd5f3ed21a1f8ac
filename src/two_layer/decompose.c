/*
 * Cone decomposition (docs/algorithms.md, "Cone decomposition"): a gated solution u (one group, pattern i)
 * becomes v - w with v, w in K_i = {x : a_j (x_j . x) >= 0}, so the ReLU
 * neurons v and w reproduce the gated neuron's output on the data exactly.
 *
 * Closed form: the gate g_i is interior (a_j x_j . g_i = |x_j . g_i| > 0), so
 * w = t g_i, v = u + t g_i with t = max(0, max_j -(a_j x_j . u) / |x_j . g_i|).
 *
 * Minimum norm: min ||u + w|| + ||w|| s.t. a_j x_j . w >= b_j = max(0, -a_j x_j . u),
 * a second-order cone program in d + 2 variables, solved by a log-barrier
 * interior-point method (Newton steps, barrier weight x10 per stage) started
 * from the closed form made strictly feasible.
 */
#include "internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>


typedef struct {
    const double *C; /* n x d rows a_j x_j */
    const double *b; /* n */
    const double *u; /* d */
    size_t n, d;
    double *r, *Cs, *H, *g, *dx, *xt;
    cr_loop *loop; /* the decomposition's: its stop request is checked at every Newton step */
} barrier;

/* phi = tau (s1 + s2) - log(s1^2 - ||u+w||^2) - log(s2^2 - ||w||^2) - sum log(C w - b);
   +inf outside the domain */
static double phi(barrier *B, const double *x, double tau)
{
    const size_t d = B->d;
    const double *w = x, s1 = x[d], s2 = x[d + 1];
    double zz = 0.0, ww = 0.0;
    for (size_t k = 0; k < d; k++) {
        zz += (B->u[k] + w[k]) * (B->u[k] + w[k]);
        ww += w[k] * w[k];
    }
    double q1 = s1 * s1 - zz, q2 = s2 * s2 - ww;
    if (!(s1 > 0.0 && s2 > 0.0 && q1 > 0.0 && q2 > 0.0)) return INFINITY;
    double val = tau * (s1 + s2) - log(q1) - log(q2);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)B->n, (int)d, 1.0, B->C, (int)d, w, 1, 0.0,
                B->r, 1);
    for (size_t j = 0; j < B->n; j++) {
        double rj = B->r[j] - B->b[j];
        if (!(rj > 0.0)) return INFINITY;
        val -= log(rj);
    }
    return val;
}

/* One centering (Newton) problem at weight tau; x updated in place. */
static void center(barrier *B, double *x, double tau)
{
    const size_t d = B->d, n = B->n, k = d + 2;
    for (int it = 0; it < 60; it++) {
        if (cr_loop_check(B->loop)) return;
        const double *w = x, s1 = x[d], s2 = x[d + 1];
        double zz = 0.0, ww = 0.0;
        for (size_t l = 0; l < d; l++) {
            zz += (B->u[l] + w[l]) * (B->u[l] + w[l]);
            ww += w[l] * w[l];
        }
        double q1 = s1 * s1 - zz, q2 = s2 * s2 - ww;
        memset(B->H, 0, k * k * sizeof(double));
        memset(B->g, 0, k * sizeof(double));
        /* linear constraints: sum c_j c_j^T / r_j^2, gradient -sum c_j / r_j */
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, B->C, (int)d, w, 1, 0.0,
                    B->r, 1);
        for (size_t j = 0; j < n; j++) {
            double rj = B->r[j] - B->b[j];
            for (size_t l = 0; l < d; l++) B->Cs[j * d + l] = B->C[j * d + l] / rj;
            for (size_t l = 0; l < d; l++) B->g[l] -= B->Cs[j * d + l];
        }
        double *Hw = B->Cs + n * d; /* d x d scratch */
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)d, (int)n, 1.0, B->Cs, (int)d,
                    0.0, Hw, (int)d);
        for (size_t a = 0; a < d; a++)
            for (size_t bb = 0; bb <= a; bb++) B->H[a * k + bb] = Hw[a * d + bb];
        /* the two cones */
        for (int cone = 0; cone < 2; cone++) {
            double q = cone ? q2 : q1, sv = cone ? s2 : s1;
            size_t si = d + (size_t)cone;
            for (size_t a = 0; a < d; a++) {
                double za = cone ? w[a] : B->u[a] + w[a];
                B->g[a] += 2.0 * za / q;
                for (size_t bb = 0; bb <= a; bb++) {
                    double zb = cone ? w[bb] : B->u[bb] + w[bb];
                    B->H[a * k + bb] += 4.0 * za * zb / (q * q) + (a == bb ? 2.0 / q : 0.0);
                }
                B->H[si * k + a] += -4.0 * sv * za / (q * q);
            }
            B->g[si] += tau - 2.0 * sv / q;
            B->H[si * k + si] += -2.0 / q + 4.0 * sv * sv / (q * q);
        }
        for (size_t a = 0; a < k; a++)
            for (size_t bb = a + 1; bb < k; bb++) B->H[a * k + bb] = B->H[bb * k + a];
        for (size_t a = 0; a < k; a++) B->dx[a] = -B->g[a];
        if (cr_chol(B->H, k, 0.0)) return;
        cr_chol_solve(B->H, B->dx, k);
        double dec = 0.0;
        for (size_t a = 0; a < k; a++) dec -= B->g[a] * B->dx[a];
        if (dec < 1e-12) return;
        /* backtracking: stay in the domain, sufficient decrease */
        double f0 = phi(B, x, tau), step = 1.0;
        for (int ls = 0; ls < 60; ls++) {
            for (size_t a = 0; a < k; a++) B->xt[a] = x[a] + step * B->dx[a];
            double f1 = phi(B, B->xt, tau);
            if (f1 <= f0 - 0.25 * step * dec) break;
            step *= 0.5;
        }
        if (step < 1e-14) return;
        memcpy(x, B->xt, k * sizeof(double));
    }
}

/* min-norm split of one group; w holds the closed-form w on entry. */
static int min_norm(barrier *B, double *w, const double *gate)
{
    const size_t d = B->d, n = B->n;
    double x[1026];
    if (d + 2 > sizeof x / sizeof *x) return -1; /* keep the closed form */
    /* strictly feasible start: push further along the interior gate */
    double gn = cblas_dnrm2((int)d, gate, 1), un = cblas_dnrm2((int)d, B->u, 1);
    double extra = 1e-3 * (un + cblas_dnrm2((int)d, w, 1)) / (gn > 0.0 ? gn : 1.0) + 1e-12;
    for (size_t k = 0; k < d; k++) x[k] = w[k] + extra * gate[k];
    double zz = 0.0, ww = 0.0;
    for (size_t k = 0; k < d; k++) {
        zz += (B->u[k] + x[k]) * (B->u[k] + x[k]);
        ww += x[k] * x[k];
    }
    x[d] = 1.01 * sqrt(zz) + 1e-12;
    x[d + 1] = 1.01 * sqrt(ww) + 1e-12;
    double tau = 1.0 / (x[d] + x[d + 1]);
    for (int stage = 0; stage < 40; stage++) {
        center(B, x, tau);
        if (cr_loop_stopped(B->loop)) return -1; /* keep the closed form */
        if ((double)(n + 4) / tau <= 1e-10 * (x[d] + x[d + 1])) break;
        tau *= 10.0;
    }
    if (!isfinite(phi(B, x, tau))) return -1;
    /* accept only if feasible and no worse than the closed form */
    double old = 0.0, nu = 0.0;
    for (size_t k = 0; k < d; k++) {
        old += w[k] * w[k];
    }
    double oldobj = sqrt(old), newobj = 0.0;
    for (size_t k = 0; k < d; k++) nu += (B->u[k] + w[k]) * (B->u[k] + w[k]);
    oldobj += sqrt(nu);
    double a2 = 0.0, b2 = 0.0;
    for (size_t k = 0; k < d; k++) {
        a2 += x[k] * x[k];
        b2 += (B->u[k] + x[k]) * (B->u[k] + x[k]);
    }
    newobj = sqrt(a2) + sqrt(b2);
    if (newobj < oldobj) memcpy(w, x, d * sizeof(double));
    return 0;
}

cvxrelu_status cvxrelu_decompose_gated(const double *X, size_t n, size_t d,
                                       const cvxrelu_patterns *pat, const double *U, size_t c,
                                       cvxrelu_decompose_method method,
                                       const cvxrelu_limits *limits, double **Urelu_out,
                                       double *ratio, cvxrelu_exit *exit_out,
                                       cvxrelu_error *err)
{
    *Urelu_out = NULL;
    if (exit_out) *exit_out = CVXRELU_EXIT_CONVERGED;
    if (!X || !pat || !U || c == 0 || pat->n != n || pat->d != d)
        return cr_fail(err, CVXRELU_ERR_INVALID, "decompose: inconsistent arguments");
    const size_t P = pat->P, m = P * c;
    double *Ur = cr_calloc(2 * m, d * sizeof(double));
    double *C = cr_malloc(n, d * sizeof(double)), *xu = cr_malloc(n, sizeof(double));
    double *xg = cr_malloc(n, sizeof(double)), *bvec = cr_malloc(n, sizeof(double));
    barrier B;
    memset(&B, 0, sizeof B);
    cr_loop loop;
    cr_loop_start_limits(&loop, limits, CR_LOOP_UNLIMITED);
    B.loop = &loop;
    B.r = cr_malloc(n, sizeof(double));
    B.Cs = cr_malloc(n * d + d * d, sizeof(double));
    B.H = cr_malloc((d + 2) * (d + 2), sizeof(double));
    B.g = cr_malloc(d + 2, sizeof(double));
    B.dx = cr_malloc(d + 2, sizeof(double));
    B.xt = cr_malloc(d + 2, sizeof(double));
    cvxrelu_status st = CVXRELU_OK;
    if (!Ur || !C || !xu || !xg || !bvec || !B.r || !B.Cs || !B.H || !B.g || !B.dx || !B.xt) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "decompose: out of memory");
        goto done;
    }
    double before = 0.0, after = 0.0;
    for (size_t i = 0; i < P; i++) {
        const double *gate = pat->gates + i * d;
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, X, (int)d, gate, 1, 0.0, xg, 1);
        for (size_t j = 0; j < n; j++) {
            double a = cvxrelu_pattern_bit(pat, i, j) ? 1.0 : -1.0;
            for (size_t k = 0; k < d; k++) C[j * d + k] = a * X[j * d + k];
            xg[j] *= a; /* = |x_j . g_i| > 0 */
        }
        for (size_t k = 0; k < c; k++) {
            const double *u = U + (i * c + k) * d;
            double nu = cblas_dnrm2((int)d, u, 1);
            if (nu == 0.0) continue;
            before += nu;
            double *v = Ur + 2 * (i * c + k) * d, *w = v + d;
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, C, (int)d, u, 1, 0.0, xu, 1);
            double t = 0.0;
            for (size_t j = 0; j < n; j++) {
                bvec[j] = xu[j] < 0.0 ? -xu[j] : 0.0;
                if (xu[j] < 0.0 && xg[j] > 0.0) t = fmax(t, -xu[j] / xg[j]);
            }
            if (t > 0.0) t *= 1.0 + 1e-12; /* rounding must not leave a violation */
            for (size_t l = 0; l < d; l++) w[l] = t * gate[l];
            /* after a stop request the remaining groups keep the closed form:
               still an exact decomposition, only a sharper one */
            if (method == CVXRELU_DECOMPOSE_MIN_NORM && t > 0.0 && !cr_loop_check(&loop)) {
                B.C = C;
                B.b = bvec;
                B.u = u;
                B.n = n;
                B.d = d;
                min_norm(&B, w, gate);
            }
            for (size_t l = 0; l < d; l++) v[l] = u[l] + w[l];
            after += cblas_dnrm2((int)d, v, 1) + cblas_dnrm2((int)d, w, 1);
        }
    }
    *ratio = before > 0.0 ? after / before : 1.0;
    if (exit_out && cr_loop_stopped(&loop)) *exit_out = (cvxrelu_exit)loop.why;
    *Urelu_out = Ur;
    Ur = NULL;
done:
    free(Ur);
    free(C);
    free(xu);
    free(xg);
    free(bvec);
    free(B.r);
    free(B.Cs);
    free(B.H);
    free(B.g);
    free(B.dx);
    free(B.xt);
    return st;
}
