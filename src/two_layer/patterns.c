/* Hyperplane arrangements: sampled gates, distinct bit-packed patterns (docs/algorithms.md, "The models"). */
#define _DEFAULT_SOURCE
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

/* Add the pattern of gate g (xg = X g, n) if it is new and non-zero; *added tells. */
static cvxrelu_status builder_add(builder *b, const double *g, const double *xg, int *added)
{
    cvxrelu_patterns *p = b->p;
    size_t n = p->n, d = p->d, nw = p->words_per_pattern;
    *added = 0;
    memset(b->cand, 0, nw * sizeof(uint64_t));
    int any = 0;
    for (size_t j = 0; j < n; j++) {
        if (xg[j] > 0.0) {
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

/* Gates per block: their products with X (block x n) take at most 32 MiB, so
   one GEMM per block reads X once for many gates (one product per gate, a
   GEMV, would read all of X per gate: minutes at 60,000 x 785). */
static size_t block_rows(size_t n)
{
    size_t b = ((size_t)1 << 22) / (n ? n : 1);
    return b < 1 ? 1 : b > 256 ? 256 : b;
}

/* The products of the m gates G (m x d) with X into XG (m x n), then each
   gate's pattern added in order, until the builder holds `want` patterns. */
static cvxrelu_status builder_add_block(builder *b, const double *G, size_t m, double *XG,
                                        size_t want, size_t *used)
{
    const cvxrelu_patterns *p = b->p;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)p->n, (int)p->d, 1.0, G,
                (int)p->d, b->X, (int)p->d, 0.0, XG, (int)p->n);
    int added;
    *used = 0;
    for (size_t i = 0; i < m && b->p->P < want; i++) {
        cvxrelu_status st = builder_add(b, G + i * p->d, XG + i * p->n, &added);
        if (st) return st;
        (*used)++;
    }
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_patterns_build(const double *X, size_t n, size_t d,
                                      const double *G0, size_t m0, size_t P,
                                      uint64_t seed, size_t max_draws,
                                      const cvxrelu_limits *limits, cvxrelu_patterns **out,
                                      cvxrelu_exit *exit_out, cvxrelu_error *err)
{
    *out = NULL;
    if (exit_out) *exit_out = CVXRELU_EXIT_CONVERGED;
    if (!X || n == 0 || d == 0 || n > (size_t)INT32_MAX || d > (size_t)INT32_MAX)
        return cr_fail(err, CVXRELU_ERR_INVALID, "patterns: need a non-empty X (n=%zu, d=%zu)", n, d);
    if (m0 && !G0) return cr_fail(err, CVXRELU_ERR_INVALID, "patterns: gates missing");
    for (size_t i = 0; i < m0 * d; i++)
        if (!isfinite(G0[i]))
            return cr_fail(err, CVXRELU_ERR_NUMERIC, "patterns: gate %zu is not finite", i / d + 1);
    cr_loop loop; /* one iteration per block of gates, the given ones first */
    cr_loop_start_limits(&loop, limits, CR_LOOP_UNLIMITED);
    loop.min_iter = 1; /* stop requests are checked between blocks: the first is always done */
    if (P > 0 && max_draws == 0) max_draws = 10 * P + 100;
    size_t B = block_rows(n);
    {
        size_t draws = P > 0 ? max_draws : 0, most = m0 > draws ? m0 : draws;
        if (B > most) B = most ? most : 1;
    }
    builder b;
    memset(&b, 0, sizeof b);
    cvxrelu_status st = CVXRELU_ERR_NOMEM;
    int why = 0;
    cvxrelu_patterns *p = calloc(1, sizeof *p);
    double *g = cr_malloc(B, d * sizeof(double));
    double *XG = cr_malloc(B, n * sizeof(double));
    if (!p || !g || !XG) goto fail;
    p->n = n;
    p->d = d;
    p->words_per_pattern = (n + 63) / 64;
    b.p = p;
    b.X = X;
    b.cand = cr_malloc(p->words_per_pattern, sizeof(uint64_t));
    if (!b.cand) goto fail;
    if ((st = builder_grow(&b))) goto fail;
    size_t used;
    for (size_t i = 0; i < m0 && !why; i += B) {
        if ((why = cr_loop_next(&loop))) break;
        size_t m = m0 - i < B ? m0 - i : B;
        if ((st = builder_add_block(&b, G0 + i * d, m, XG, SIZE_MAX, &used))) goto fail;
        p->sampled += used;
    }
    if (P > p->P && !why) {
        cr_rng rng;
        cr_rng_seed(&rng, seed);
        /* the same stream as one gate at a time: gate k is normals k d .. k d + d - 1 */
        for (size_t draw = 0; draw < max_draws && p->P < P;) {
            if ((why = cr_loop_next(&loop))) break;
            size_t m = max_draws - draw < B ? max_draws - draw : B;
            for (size_t k = 0; k < m * d; k++) g[k] = cr_rng_normal(&rng);
            if ((st = builder_add_block(&b, g, m, XG, P, &used))) goto fail;
            p->sampled += used;
            draw += m;
        }
    }
    if (why) {
        if (exit_out) *exit_out = (cvxrelu_exit)why;
        if (p->P == 0) {
            cvxrelu_patterns_free(p);
            p = NULL;
        }
    } else if (p->P == 0) {
        st = cr_fail(err, CVXRELU_ERR_INVALID,
                     "patterns: no non-zero activation pattern found (is X all zero?)");
        goto fail;
    }
    free(g);
    free(XG);
    free(b.cand);
    free(b.slots);
    free(b.hashes);
    *out = p;
    return CVXRELU_OK;
fail:
    if (st == CVXRELU_ERR_NOMEM) cr_fail(err, st, "patterns: out of memory");
    free(g);
    free(XG);
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
    return cvxrelu_patterns_build(X, n, d, NULL, 0, P, seed, max_draws, NULL, out, NULL, err);
}

cvxrelu_status cvxrelu_patterns_from_gates(const double *X, size_t n, size_t d,
                                           const double *G, size_t m,
                                           cvxrelu_patterns **out, cvxrelu_error *err)
{
    if (m == 0) {
        *out = NULL;
        return cr_fail(err, CVXRELU_ERR_INVALID, "patterns: no gates given");
    }
    return cvxrelu_patterns_build(X, n, d, G, m, 0, 0, 0, NULL, out, NULL, err);
}

static int cmp_angle(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

cvxrelu_status cvxrelu_patterns_enumerate(const double *X, size_t n, size_t d,
                                          cvxrelu_patterns **out, cvxrelu_error *err)
{
    *out = NULL;
    if (!X || n == 0 || d == 0) return cr_fail(err, CVXRELU_ERR_INVALID, "patterns: empty data");
    /* an orthonormal basis of the rows' span by modified Gram-Schmidt */
    double xmax = 0.0;
    for (size_t j = 0; j < n; j++) xmax = fmax(xmax, cblas_dnrm2((int)d, X + j * d, 1));
    if (!(xmax > 0.0)) return cr_fail(err, CVXRELU_ERR_INVALID, "patterns: X is zero");
    double *basis = cr_calloc(3, d * sizeof(double)), *r = cr_malloc(d, sizeof(double));
    double *ang = cr_malloc(2 * n + 2, sizeof(double)), *G = NULL;
    cvxrelu_status st = CVXRELU_ERR_NOMEM;
    if (!basis || !r || !ang) goto done;
    size_t rank = 0;
    for (size_t j = 0; j < n && rank <= 2; j++) {
        memcpy(r, X + j * d, d * sizeof(double));
        for (int pass = 0; pass < 2; pass++)
            for (size_t b = 0; b < rank; b++)
                cblas_daxpy((int)d, -cblas_ddot((int)d, r, 1, basis + b * d, 1), basis + b * d, 1, r, 1);
        double nr = cblas_dnrm2((int)d, r, 1);
        if (nr > 1e-9 * xmax) {
            for (size_t k = 0; k < d; k++) basis[rank * d + k] = r[k] / nr;
            rank++;
        }
    }
    if (rank > 2) {
        st = cr_fail(err, CVXRELU_ERR_UNSUPPORTED,
                     "patterns: enumerating all patterns needs data whose rows span at most 2 "
                     "dimensions (one feature and the bias column); these span at least %zu",
                     rank);
        goto done;
    }
    size_t m = 0;
    if (rank == 1) {
        G = cr_malloc(2, d * sizeof(double));
        if (!G) goto done;
        for (size_t k = 0; k < d; k++) {
            G[k] = basis[k];
            G[d + k] = -basis[k];
        }
        m = 2;
    } else {
        /* in the plane of the basis, row j is b_j; the pattern changes where
           h . b_j = 0, at angles phi_j +- pi/2: gates at the midpoints */
        size_t na = 0;
        for (size_t j = 0; j < n; j++) {
            double b1 = cblas_ddot((int)d, X + j * d, 1, basis, 1);
            double b2 = cblas_ddot((int)d, X + j * d, 1, basis + d, 1);
            if (hypot(b1, b2) <= 1e-12 * xmax) continue;
            double phi = atan2(b2, b1);
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                double a = phi + sgn * M_PI_2;
                while (a < 0.0) a += 2.0 * M_PI;
                while (a >= 2.0 * M_PI) a -= 2.0 * M_PI;
                ang[na++] = a;
            }
        }
        qsort(ang, na, sizeof(double), cmp_angle);
        G = cr_malloc(na ? na : 1, d * sizeof(double));
        if (!G) goto done;
        for (size_t q = 0; q < na; q++) {
            double lo = ang[q], hi = q + 1 < na ? ang[q + 1] : ang[0] + 2.0 * M_PI;
            if (hi - lo <= 1e-12) continue; /* the same boundary twice */
            double th = 0.5 * (lo + hi);
            for (size_t k = 0; k < d; k++) G[m * d + k] = cos(th) * basis[k] + sin(th) * basis[d + k];
            m++;
        }
    }
    st = cvxrelu_patterns_build(X, n, d, G, m, 0, 0, 0, NULL, out, NULL, err);
done:
    if (st == CVXRELU_ERR_NOMEM) cr_fail(err, st, "patterns: out of memory");
    free(basis);
    free(r);
    free(ang);
    free(G);
    return st;
}

void cvxrelu_patterns_free(cvxrelu_patterns *p)
{
    if (!p) return;
    free(p->bits);
    free(p->gates);
    free(p);
}
