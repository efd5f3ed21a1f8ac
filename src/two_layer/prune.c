/*
 * Optimal pruning of a two-layer convex solution (docs/algorithms.md, "Pruning"):
 * every active group keeps its direction and only its norm alpha_g >= 0 moves,
 * along null vectors of the matrix whose columns are the groups' unit fits, so the
 * fit is unchanged, the cones of the exact program are kept (a non-negative
 * multiple of a point of a cone is in it), and the penalty lambda sum alpha_g does
 * not grow.  Each step zeroes one group; what is left has linearly independent
 * unit fits per output (Caratheodory): at most n groups per output.
 */
#include "cvxrelu.h"
#include "internal.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

extern void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
                    const int *lda, double *s, double *u, const int *ldu, double *vt,
                    const int *ldvt, double *work, const int *lwork, int *info);

/* Null vectors of the n x m row-major matrix Z (columns: the groups' unit fits), as
   the columns of N (m x q, column-major, allocated); numerical rank by the usual
   max(n, m) eps sigma_max rule. */
static cvxrelu_status null_space(double *Z, size_t n, size_t m, double **N_out, size_t *q_out)
{
    *N_out = NULL;
    *q_out = 0;
    /* Z row-major n x m is Z^T column-major m x n: its left singular vectors span R^m,
       those with (near) zero singular values are the null space of Z */
    const int M = (int)m, Nn = (int)n, ldu = (int)m, one = 1;
    const size_t ns = n < m ? n : m;
    double *S = cr_malloc(ns ? ns : 1, sizeof(double));
    double *Uf = cr_malloc(m, m * sizeof(double));
    double wq, vt;
    int lwork = -1, info = 0;
    if (!S || !Uf) {
        free(S);
        free(Uf);
        return CVXRELU_ERR_NOMEM;
    }
    dgesvd_("A", "N", &M, &Nn, Z, &M, S, Uf, &ldu, &vt, &one, &wq, &lwork, &info);
    lwork = (int)wq;
    double *work = info == 0 ? cr_malloc((size_t)lwork, sizeof(double)) : NULL;
    if (work) dgesvd_("A", "N", &M, &Nn, Z, &M, S, Uf, &ldu, &vt, &one, work, &lwork, &info);
    free(work);
    if (!work || info != 0) {
        free(S);
        free(Uf);
        return work ? CVXRELU_ERR_NUMERIC : CVXRELU_ERR_NOMEM;
    }
    const double tol = (double)(n > m ? n : m) * DBL_EPSILON * (ns ? S[0] : 0.0);
    size_t rank = 0;
    while (rank < ns && S[rank] > tol) rank++;
    free(S);
    const size_t q = m - rank;
    if (q) memmove(Uf, Uf + rank * m, q * m * sizeof(double));
    *N_out = Uf;
    *q_out = q;
    return CVXRELU_OK;
}

/* Prune the groups rows[0..m-1] (one output) of U: alpha their norms, E their unit
   directions, sign +1 / -1 their sign in the fit. */
static cvxrelu_status prune_output(const cvxrelu_problem *pb, const cvxrelu_patterns *pat,
                                   double *U, const size_t *rows, const size_t *pidx,
                                   const double *sign, size_t m, size_t *kept)
{
    const size_t n = pb->n, d = pb->d;
    *kept = m;
    if (m < 2) return CVXRELU_OK;
    double *alpha = cr_malloc(m, sizeof(double)), *E = cr_malloc(m, d * sizeof(double));
    double *Z = cr_malloc(n, m * sizeof(double));
    cvxrelu_status st = CVXRELU_OK;
    if (!alpha || !E || !Z) {
        st = CVXRELU_ERR_NOMEM;
        goto done;
    }
    for (size_t j = 0; j < m; j++) {
        const double *u = U + rows[j] * d;
        alpha[j] = cblas_dnrm2((int)d, u, 1);
        for (size_t t = 0; t < d; t++) E[j * d + t] = u[t] / alpha[j];
    }
    /* Z = (D_i X e_j sign_j) by columns: X E^T, then each column's mask and sign */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)m, (int)d, 1.0, pb->X,
                (int)d, E, (int)d, 0.0, Z, (int)m);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            const uint64_t *b = pat->bits + pidx[j] * pat->words_per_pattern;
            const int on = (int)((b[i / 64] >> (i % 64)) & 1u);
            Z[i * m + j] = on ? sign[j] * Z[i * m + j] : 0.0;
        }
    double *N = NULL;
    size_t q = 0;
    if ((st = null_space(Z, n, m, &N, &q))) goto done;
    /* one group out per null vector: alpha - t beta with the largest t keeping alpha >= 0,
       beta signed so that sum beta >= 0 (the penalty does not grow) */
    for (size_t l = 0; l < q; l++) {
        double *beta = N + l * m;
        double sum = 0.0;
        for (size_t j = 0; j < m; j++) sum += beta[j];
        if (sum < 0.0)
            for (size_t j = 0; j < m; j++) beta[j] = -beta[j];
        size_t jstar = SIZE_MAX;
        double t = INFINITY;
        for (size_t j = 0; j < m; j++)
            if (beta[j] > 0.0 && alpha[j] / beta[j] < t) {
                t = alpha[j] / beta[j];
                jstar = j;
            }
        if (jstar == SIZE_MAX) continue; /* a zero vector: rounding */
        for (size_t j = 0; j < m; j++) alpha[j] = fmax(alpha[j] - t * beta[j], 0.0);
        alpha[jstar] = 0.0;
        /* the remaining null vectors, made zero at jstar (still null vectors) */
        for (size_t l2 = l + 1; l2 < q; l2++) {
            double *g = N + l2 * m;
            const double f = g[jstar] / beta[jstar];
            for (size_t j = 0; j < m; j++) g[j] -= f * beta[j];
            g[jstar] = 0.0;
        }
    }
    free(N);
    size_t left = 0;
    for (size_t j = 0; j < m; j++) {
        double *u = U + rows[j] * d;
        for (size_t t = 0; t < d; t++) u[t] = alpha[j] * E[j * d + t];
        left += alpha[j] > 0.0;
    }
    *kept = left;
done:
    free(alpha);
    free(E);
    free(Z);
    return st;
}

cvxrelu_status cvxrelu_prune(const cvxrelu_problem *pb, const cvxrelu_patterns *pat,
                             cvxrelu_solver_kind kind, double *U, size_t *before,
                             size_t *after, cvxrelu_error *err)
{
    if (!pb || !pat || !U || !before || !after)
        return cr_fail(err, CVXRELU_ERR_INVALID, "prune: NULL argument");
    if (pat->n != pb->n || pat->d != pb->d)
        return cr_fail(err, CVXRELU_ERR_INVALID, "prune: patterns of another problem");
    const size_t d = pb->d, c = pb->c, P = pat->P;
    const size_t per = kind == CVXRELU_SOLVER_RELU ? 2 : 1, G = per * P * c;
    size_t *rows = cr_malloc(G, sizeof(size_t)), *pidx = cr_malloc(G, sizeof(size_t));
    double *sign = cr_malloc(G, sizeof(double));
    if (!rows || !pidx || !sign) {
        free(rows);
        free(pidx);
        free(sign);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "prune: out of memory");
    }
    *before = *after = 0;
    cvxrelu_status st = CVXRELU_OK;
    for (size_t k = 0; k < c && !st; k++) {
        size_t m = 0;
        for (size_t i = 0; i < P; i++)
            for (size_t s = 0; s < per; s++) {
                const size_t r = per * (i * c + k) + s;
                if (cblas_dnrm2((int)d, U + r * d, 1) == 0.0) continue;
                rows[m] = r;
                pidx[m] = i;
                sign[m] = s ? -1.0 : 1.0;
                m++;
            }
        size_t kept = m;
        st = prune_output(pb, pat, U, rows, pidx, sign, m, &kept);
        *before += m;
        *after += kept;
    }
    free(rows);
    free(pidx);
    free(sign);
    return st ? cr_fail(err, st, "prune: %s", cvxrelu_status_string(st)) : CVXRELU_OK;
}
