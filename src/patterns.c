/* Hyperplane arrangements: sampled gates, distinct bit-packed patterns (DESIGN 2). */
#include "internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* Open-addressing set of pattern indices keyed by a hash of their bits. */
typedef struct {
    cvxrelu_patterns *p;
    size_t cap_patterns;   /* allocated rows of bits / gates */
    size_t *slots;         /* hash table of pattern index + 1 (0 = empty) */
    uint64_t *hashes;      /* per pattern */
    size_t nslots;
    const double *X;
    double *xg;            /* n */
    uint64_t *cand;        /* words_per_pattern */
} builder;

static uint64_t hash_bits(const uint64_t *w, size_t nw)
{
    uint64_t h = 0x243F6A8885A308D3ULL;
    for (size_t i = 0; i < nw; i++) {
        h ^= w[i];
        h *= 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    return h;
}

static cvxrelu_status builder_grow(builder *b)
{
    cvxrelu_patterns *p = b->p;
    size_t cap = b->cap_patterns ? 2 * b->cap_patterns : 64;
    uint64_t *bits = cr_realloc(p->bits, cap, p->words_per_pattern * sizeof(uint64_t));
    if (!bits) return CVXRELU_ERR_NOMEM;
    p->bits = bits;
    double *g = cr_realloc(p->gates, cap, p->d * sizeof(double));
    if (!g) return CVXRELU_ERR_NOMEM;
    p->gates = g;
    uint64_t *h = cr_realloc(b->hashes, cap, sizeof(uint64_t));
    if (!h) return CVXRELU_ERR_NOMEM;
    b->hashes = h;
    /* rebuild the hash table at 4x the pattern capacity */
    size_t ns = 4 * cap;
    size_t *slots = cr_calloc(ns, sizeof(size_t));
    if (!slots) return CVXRELU_ERR_NOMEM;
    for (size_t i = 0; i < p->P; i++) {
        size_t s = (size_t)(b->hashes[i] % ns);
        while (slots[s]) s = (s + 1) % ns;
        slots[s] = i + 1;
    }
    free(b->slots);
    b->slots = slots;
    b->nslots = ns;
    b->cap_patterns = cap;
    return CVXRELU_OK;
}

/* Add the pattern of gate g if it is new and non-zero; *added tells. */
static cvxrelu_status builder_add(builder *b, const double *g, int *added)
{
    cvxrelu_patterns *p = b->p;
    size_t n = p->n, d = p->d, nw = p->words_per_pattern;
    *added = 0;
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, b->X, (int)d, g, 1,
                0.0, b->xg, 1);
    memset(b->cand, 0, nw * sizeof(uint64_t));
    int any = 0;
    for (size_t j = 0; j < n; j++) {
        if (b->xg[j] > 0.0) {
            b->cand[j / 64] |= (uint64_t)1 << (j % 64);
            any = 1;
        }
    }
    if (!any) return CVXRELU_OK;
    uint64_t h = hash_bits(b->cand, nw);
    if (p->P + 1 > b->cap_patterns) {
        cvxrelu_status st = builder_grow(b);
        if (st) return st;
    }
    size_t s = (size_t)(h % b->nslots);
    while (b->slots[s]) {
        size_t i = b->slots[s] - 1;
        if (b->hashes[i] == h && memcmp(p->bits + i * nw, b->cand, nw * sizeof(uint64_t)) == 0)
            return CVXRELU_OK; /* duplicate */
        s = (s + 1) % b->nslots;
    }
    b->slots[s] = p->P + 1;
    b->hashes[p->P] = h;
    memcpy(p->bits + p->P * nw, b->cand, nw * sizeof(uint64_t));
    memcpy(p->gates + p->P * d, g, d * sizeof(double));
    p->P++;
    *added = 1;
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_patterns_build(const double *X, size_t n, size_t d,
                                      const double *G0, size_t m0, size_t P,
                                      uint64_t seed, size_t max_draws,
                                      cvxrelu_patterns **out, cvxrelu_error *err)
{
    *out = NULL;
    if (!X || n == 0 || d == 0 || n > (size_t)INT32_MAX || d > (size_t)INT32_MAX)
        return cr_fail(err, CVXRELU_ERR_INVALID, "patterns: need a non-empty X (n=%zu, d=%zu)", n, d);
    if (m0 && !G0) return cr_fail(err, CVXRELU_ERR_INVALID, "patterns: gates missing");
    builder b;
    memset(&b, 0, sizeof b);
    cvxrelu_status st = CVXRELU_ERR_NOMEM;
    cvxrelu_patterns *p = calloc(1, sizeof *p);
    double *g = cr_malloc(d, sizeof(double));
    if (!p || !g) goto fail;
    p->n = n;
    p->d = d;
    p->words_per_pattern = (n + 63) / 64;
    b.p = p;
    b.X = X;
    b.xg = cr_malloc(n, sizeof(double));
    b.cand = cr_malloc(p->words_per_pattern, sizeof(uint64_t));
    if (!b.xg || !b.cand) goto fail;
    if ((st = builder_grow(&b))) goto fail;
    int added;
    for (size_t i = 0; i < m0; i++) {
        for (size_t k = 0; k < d; k++) {
            if (!isfinite(G0[i * d + k])) {
                st = cr_fail(err, CVXRELU_ERR_NUMERIC, "patterns: gate %zu is not finite", i + 1);
                goto fail;
            }
        }
        if ((st = builder_add(&b, G0 + i * d, &added))) goto fail;
        p->sampled++;
    }
    if (P > p->P) {
        if (max_draws == 0) max_draws = 10 * P + 100;
        cr_rng rng;
        cr_rng_seed(&rng, seed);
        for (size_t draw = 0; draw < max_draws && p->P < P; draw++) {
            for (size_t k = 0; k < d; k++) g[k] = cr_rng_normal(&rng);
            if ((st = builder_add(&b, g, &added))) goto fail;
            p->sampled++;
        }
    }
    if (p->P == 0) {
        st = cr_fail(err, CVXRELU_ERR_INVALID,
                     "patterns: no non-zero activation pattern found (is X all zero?)");
        goto fail;
    }
    free(g);
    free(b.xg);
    free(b.cand);
    free(b.slots);
    free(b.hashes);
    *out = p;
    return CVXRELU_OK;
fail:
    if (st == CVXRELU_ERR_NOMEM) cr_fail(err, st, "patterns: out of memory");
    free(g);
    free(b.xg);
    free(b.cand);
    free(b.slots);
    free(b.hashes);
    cvxrelu_patterns_free(p);
    return st;
}

cvxrelu_status cvxrelu_patterns_sample(const double *X, size_t n, size_t d, size_t P,
                                       uint64_t seed, size_t max_draws,
                                       cvxrelu_patterns **out, cvxrelu_error *err)
{
    if (P == 0) {
        *out = NULL;
        return cr_fail(err, CVXRELU_ERR_INVALID, "patterns: the number of patterns must be positive");
    }
    return cvxrelu_patterns_build(X, n, d, NULL, 0, P, seed, max_draws, out, err);
}

cvxrelu_status cvxrelu_patterns_from_gates(const double *X, size_t n, size_t d,
                                           const double *G, size_t m,
                                           cvxrelu_patterns **out, cvxrelu_error *err)
{
    if (m == 0) {
        *out = NULL;
        return cr_fail(err, CVXRELU_ERR_INVALID, "patterns: no gates given");
    }
    return cvxrelu_patterns_build(X, n, d, G, m, 0, 0, 0, out, err);
}

void cvxrelu_patterns_free(cvxrelu_patterns *p)
{
    if (!p) return;
    free(p->bits);
    free(p->gates);
    free(p);
}
