/*
 * Growing the pattern set from the dual (docs/algorithms.md, "Growing the patterns"):
 * at a solution of the sampled program with loss derivative R (squared loss: the
 * residual Yhat - Y; docs/algorithms.md, "Losses"), a pattern D whose
 * block ||X^T D R_k|| / N exceeds lambda violates the dual constraint of the gated
 * program over all patterns, and adding it lowers the optimum; for the exact program a
 * neuron g in the cone of its own pattern with |<X^T D R_k, g>| / (N ||g||) > lambda does.  The search is a heuristic
 * (the largest violation over all patterns is a combinatorial problem): many starting
 * gates (Gaussian, the data rows, the current gates), each refined by the fixed-point
 * ascent g <- X^T D(g) r, D(g) = diag(1[X g > 0]), which does not decrease
 * ||X^T D(g) r|| when the pattern stops changing; the best distinct new patterns are
 * returned.  A search that finds nothing is not a certificate, except where the rows
 * span at most two dimensions: every pattern is then enumerated and scored.
 */
#include "cvxrelu.h"
#include "internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ASCENT_STEPS 15

typedef struct {
    double score;
    size_t cand;
} scored;

static int by_score_desc(const void *a, const void *b)
{
    const double x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* pattern bits of gate g on X (n x d) into w (words words) */
static void pattern_of(const double *Z, size_t n, size_t C, size_t col, uint64_t *w, size_t words)
{
    memset(w, 0, words * sizeof *w);
    for (size_t i = 0; i < n; i++)
        if (Z[i * C + col] > 0.0) w[i / 64] |= (uint64_t)1 << (i % 64);
}

cvxrelu_status cr_grow_search(const cvxrelu_problem *pb, const double *R,
                              const cvxrelu_patterns *pat, int relu, size_t want,
                              double threshold, uint64_t seed, double **G_out, size_t *m_out,
                              double *max_score, cvxrelu_error *err)
{
    const size_t n = pb->n, d = pb->d, c = pb->c, N = n * c;
    const size_t words = (n + 63) / 64;
    *G_out = NULL;
    *m_out = 0;
    *max_score = 0.0;
    /* starts per output: Gaussian gates, data rows (at most 200, spread), current gates */
    const size_t nr = n < 200 ? n : 200, ng = 1000, np = pat->P < 200 ? pat->P : 200;
    const size_t S = ng + nr + np; /* per output and sign */
    /* rows spanning at most two dimensions (one feature and the bias): every pattern is
       a candidate, and the search is exhaustive for the gated program */
    cvxrelu_patterns *every = NULL;
    if (d <= 2 && cvxrelu_patterns_enumerate(pb->X, n, d, &every, NULL) != CVXRELU_OK)
        every = NULL;
    /* both signs of each start; for the exact program the ascent runs on r and on -r
       (neurons of positive and of negative output weight: the ascent on r alone turns
       away from the second kind) */
    const size_t C = every ? every->P : (relu ? 4 : 2) * S;
    const int steps = every ? 0 : ASCENT_STEPS;
    double *G = cr_malloc(C, d * sizeof(double)), *Z = cr_malloc(n, C * sizeof(double));
    double *M = cr_malloc(n, C * sizeof(double)), *all = cr_malloc(c * C, d * sizeof(double));
    double *sc = cr_malloc(c * C, sizeof(double));
    uint64_t *bits = cr_malloc(c * C * words + words, sizeof(uint64_t));
    scored *order = cr_malloc(c * C, sizeof(scored));
    cvxrelu_status st = CVXRELU_OK;
    if (!G || !Z || !M || !all || !sc || !bits || !order) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "grow: out of memory");
        goto done;
    }
    cr_rng rng;
    cr_rng_seed(&rng, seed ^ 0x5851f42d4c957f2dull);
    for (size_t k = 0; k < c; k++) {
        /* the starts */
        if (every) memcpy(G, every->gates, C * d * sizeof(double));
        for (size_t j = 0; !every && j < ng; j++)
            for (size_t t = 0; t < d; t++) G[j * d + t] = cr_rng_normal(&rng);
        for (size_t j = 0; !every && j < nr; j++)
            memcpy(G + (ng + j) * d, pb->X + (j * n / nr) * d, d * sizeof(double));
        for (size_t j = 0; !every && j < np; j++)
            memcpy(G + (ng + nr + j) * d, pat->gates + (j * pat->P / np) * d, d * sizeof(double));
        for (size_t j = 0; !every && j < S; j++)
            for (size_t t = 0; t < d; t++) G[(S + j) * d + t] = -G[j * d + t];
        if (!every && relu) memcpy(G + 2 * S * d, G, 2 * S * d * sizeof(double));
        const size_t Cpos = every || !relu ? C : 2 * S; /* columns from Cpos on ascend on -r */
        /* the ascent: Z = X G^T, M = D(g) r by columns, G = M^T X */
        for (int it = 0; it <= steps; it++) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)C, (int)d, 1.0,
                        pb->X, (int)d, G, (int)d, 0.0, Z, (int)C);
            for (size_t i = 0; i < n; i++) {
                const double r = R[i * c + k];
                for (size_t j = 0; j < C; j++)
                    M[i * C + j] = Z[i * C + j] > 0.0 ? (j < Cpos ? r : -r) : 0.0;
            }
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)C, (int)d, (int)n, 1.0, M,
                        (int)C, pb->X, (int)d, 0.0, all + k * C * d, (int)d);
            if (it == steps) break;
            /* the next gates: the block directions (a zero block keeps its gate) */
            for (size_t j = 0; j < C; j++) {
                const double *u = all + (k * C + j) * d;
                const double nu = cblas_dnrm2((int)d, u, 1);
                if (nu > 0.0)
                    for (size_t t = 0; t < d; t++) G[j * d + t] = u[t] / nu;
            }
        }
        /* scores at the patterns of the last gates (Z), their bits */
        for (size_t j = 0; j < C; j++) {
            const double *blk = all + (k * C + j) * d, *g = G + j * d;
            /* gated: the block norm; exact program: the neuron g itself, which lies in the
               cone of its own pattern, |<X^T D r, g>| / ||g|| (a lower bound on the cone's
               violation) */
            const double ng2 = cblas_dnrm2((int)d, g, 1);
            sc[k * C + j] = (relu ? (ng2 > 0.0 ? fabs(cblas_ddot((int)d, blk, 1, g, 1)) / ng2 : 0.0)
                                  : cblas_dnrm2((int)d, blk, 1)) /
                            (double)N;
            pattern_of(Z, n, C, j, bits + (k * C + j) * words, words);
            memcpy(all + (k * C + j) * d, G + j * d, d * sizeof(double)); /* keep the gate */
            order[k * C + j] = (scored){sc[k * C + j], k * C + j};
        }
    }
    /* the best distinct new patterns, in order of violation */
    qsort(order, c * C, sizeof *order, by_score_desc);
    double *out = cr_malloc(want ? want : 1, d * sizeof(double));
    if (!out) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "grow: out of memory");
        goto done;
    }
    size_t m = 0;
    size_t *chosen = cr_malloc(want ? want : 1, sizeof(size_t));
    if (!chosen) {
        free(out);
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "grow: out of memory");
        goto done;
    }
    /* the largest violation is that of the best candidate whose pattern is new (the
       program's own patterns score up to lambda at its solution), looked for among the
       first 4096 candidates in order */
    int have_max = 0;
    for (size_t q = 0;
         q < c * C && ((!have_max && q < 4096) || (m < want && order[q].score > threshold));
         q++) {
        const size_t j = order[q].cand;
        const uint64_t *b = bits + j * words;
        int zero = 1, dup = 0;
        for (size_t w = 0; w < words; w++) zero &= b[w] == 0;
        if (zero) continue;
        for (size_t p = 0; p < pat->P && !dup; p++)
            dup = memcmp(b, pat->bits + p * pat->words_per_pattern, words * sizeof *b) == 0;
        if (!dup && !have_max) {
            *max_score = order[q].score;
            have_max = 1;
        }
        if (m >= want || !(order[q].score > threshold)) continue;
        for (size_t p = 0; p < m && !dup; p++)
            dup = memcmp(b, bits + chosen[p] * words, words * sizeof *b) == 0;
        if (dup) continue;
        chosen[m] = j;
        memcpy(out + m * d, all + j * d, d * sizeof(double));
        m++;
    }
    free(chosen);
    *G_out = out;
    *m_out = m;
done:
    cvxrelu_patterns_free(every);
    free(G);
    free(Z);
    free(M);
    free(all);
    free(sc);
    free(bits);
    free(order);
    return st;
}
