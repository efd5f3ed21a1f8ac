/*
 * Three-layer parallel ReLU networks by convex optimization (docs/algorithms.md, "Three-layer parallel networks", [EP21]).
 *
 * A configuration p fixes, for a sub-network of width1 first-layer neurons,
 * their patterns D1_pl, the signs s_pl of their second-layer weights and the
 * second-layer pattern D2_p.  With w_l = s_l |W2_l| W1_l (the first layer
 * scaled by the second) the sub-network's output is, inside the cone
 *     K_p = {w : s_pl A1_pl X w_l >= 0 (each l),  A2_p sum_l D1_pl X w_l >= 0},
 * (A = 2 D - I) linear: a D2_p sum_l D1_pl X w_l.  Groups g = 2 (p c + k) + e
 * carry one such block of width1 weight vectors per configuration, output
 * and sign of a; the program is the group-l1 problem of cvxrelu.h, and its
 * penalty lambda sum_l ||w_l|| is the path form of the sub-network's weight
 * decay (see the header and docs/algorithms.md).
 *
 * Solver: the augmented Lagrangian of docs/algorithms.md, "Three-layer parallel networks".  With constraint values
 * c(W) >= 0 and multipliers mu >= 0, the inner problem
 *     min F(W) + (1/(2 rho)) sum ((mu - rho c)_+^2 - mu^2) + lambda sum ||w_gl||
 * is solved by R-FISTA (block soft-thresholding prox, backtracking on the
 * Bregman divergence computed entry by entry, which has no cancellation
 * near the optimum), then mu <- (mu - rho c)_+.
 *
 * Certificate: for any nu >= 0 the Lagrangian bound is the dual value at
 * Theta = -alpha R / N, alpha = min(1, lambda / max_{g,l} ||grad F - G^T nu||_gl),
 * and grad F - G^T nu at the new multipliers is the inner gradient itself.
 * The primal side is the objective after the repair: each group is moved
 * along its configuration's interior direction (the sampling network's own
 * weights, strictly inside K_p) until every constraint holds with a margin,
 * so the recovered network reproduces the convex model exactly.  The solver
 * stops when that repaired objective is within eps of the best dual value.
 */
#include "two_layer.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------ configurations */

void cvxrelu_configs_free(cvxrelu_configs *cf)
{
    if (!cf) return;
    free(cf->bits1);
    free(cf->bits2);
    free(cf->sign);
    free(cf->dirs);
    free(cf);
}

static cvxrelu_configs *configs_new(size_t n, size_t d, size_t width1)
{
    cvxrelu_configs *cf = calloc(1, sizeof *cf);
    if (!cf) return NULL;
    cf->n = n;
    cf->d = d;
    cf->width1 = width1;
    cf->words = (n + 63) / 64;
    return cf;
}

static int configs_reserve(cvxrelu_configs *cf, size_t want)
{
    if (want <= cf->cap) return 0;
    size_t cap = cf->cap ? cf->cap : 16;
    while (cap < want) cap *= 2;
    const size_t m1 = cf->width1, nw = cf->words;
    uint64_t *b1 = cr_realloc(cf->bits1, cap, m1 * nw * sizeof(uint64_t));
    if (!b1) return -1;
    cf->bits1 = b1;
    uint64_t *b2 = cr_realloc(cf->bits2, cap, nw * sizeof(uint64_t));
    if (!b2) return -1;
    cf->bits2 = b2;
    double *s = cr_realloc(cf->sign, cap, m1 * sizeof(double));
    if (!s) return -1;
    cf->sign = s;
    double *dr = cr_realloc(cf->dirs, cap, m1 * cf->d * sizeof(double));
    if (!dr) return -1;
    cf->dirs = dr;
    cf->cap = cap;
    return 0;
}

/* Neuron order inside a configuration: by pattern words, then sign. */
static int neuron_less(const uint64_t *ba, double sa, const uint64_t *bb, double sb, size_t nw)
{
    for (size_t w = 0; w < nw; w++)
        if (ba[w] != bb[w]) return ba[w] < bb[w];
    return sa < sb;
}

/*
 * Add the configuration of one sub-network: Z (width1 x n) its first-layer
 * pre-activations X w_l, W1 (width1 x d), w2 (width1).  Returns its index,
 * (size_t)-1 when its second-layer pattern is empty, (size_t)-2 on no memory.
 */
static size_t configs_add_one(cvxrelu_configs *cf, const double *Z, const double *W1,
                              const double *w2, double *pre2, size_t *order)
{
    const size_t n = cf->n, d = cf->d, m1 = cf->width1, nw = cf->words;
    if (configs_reserve(cf, cf->P + 1)) return (size_t)-2;
    const size_t p = cf->P;
    uint64_t *b1 = cf->bits1 + p * m1 * nw, *b2 = cf->bits2 + p * nw;
    memset(b1, 0, m1 * nw * sizeof(uint64_t));
    memset(b2, 0, nw * sizeof(uint64_t));
    for (size_t i = 0; i < n; i++) pre2[i] = 0.0;
    /* canonical order of the neurons, so that permuted copies are duplicates */
    uint64_t *tmp = b1; /* filled in the original order first */
    for (size_t l = 0; l < m1; l++)
        for (size_t i = 0; i < n; i++) {
            double z = Z[l * n + i];
            if (z > 0.0) {
                tmp[l * nw + i / 64] |= 1ULL << (i % 64);
                pre2[i] += w2[l] * z;
            }
        }
    int any = 0;
    for (size_t i = 0; i < n; i++)
        if (pre2[i] > 0.0) {
            b2[i / 64] |= 1ULL << (i % 64);
            any = 1;
        }
    if (!any) return (size_t)-1;
    for (size_t l = 0; l < m1; l++) order[l] = l;
    for (size_t a = 1; a < m1; a++) /* insertion sort: width1 is small */
        for (size_t b = a; b > 0; b--) {
            size_t x = order[b - 1], y = order[b];
            double sx = w2[x] >= 0.0 ? 1.0 : -1.0, sy = w2[y] >= 0.0 ? 1.0 : -1.0;
            if (!neuron_less(tmp + y * nw, sy, tmp + x * nw, sx, nw)) break;
            order[b - 1] = y;
            order[b] = x;
        }
    /* store the neurons in that order */
    uint64_t *sorted = cr_malloc(m1 * nw, sizeof(uint64_t));
    if (!sorted) return (size_t)-2;
    for (size_t l = 0; l < m1; l++) {
        size_t o = order[l];
        memcpy(sorted + l * nw, tmp + o * nw, nw * sizeof(uint64_t));
        cf->sign[p * m1 + l] = w2[o] >= 0.0 ? 1.0 : -1.0;
        double *dir = cf->dirs + (p * m1 + l) * d;
        for (size_t t = 0; t < d; t++) dir[t] = w2[o] * W1[o * d + t];
    }
    /* the direction's scale is free (K_p is a cone): unit norm, so that a network
       with tiny weights does not make the repair step astronomically long */
    double dn = cblas_dnrm2((int)(m1 * d), cf->dirs + p * m1 * d, 1);
    if (dn > 0.0 && isfinite(dn)) cblas_dscal((int)(m1 * d), 1.0 / dn, cf->dirs + p * m1 * d, 1);
    memcpy(b1, sorted, m1 * nw * sizeof(uint64_t));
    free(sorted);
    /* a duplicate of an earlier configuration? (linear scan; the second-layer
       pattern is compared first and almost always differs) */
    for (size_t q = 0; q < p; q++) {
        if (memcmp(cf->bits2 + q * nw, b2, nw * sizeof(uint64_t)) != 0) continue;
        if (memcmp(cf->bits1 + q * m1 * nw, b1, m1 * nw * sizeof(uint64_t)) != 0) continue;
        if (memcmp(cf->sign + q * m1, cf->sign + p * m1, m1 * sizeof(double)) != 0) continue;
        return q;
    }
    cf->P++;
    return p;
}

/* Add K sub-networks; idx (K) receives their configurations (may be NULL). */
static cvxrelu_status configs_add(cvxrelu_configs *cf, const double *X, size_t K,
                                  const double *W1, const double *W2, size_t *idx,
                                  cvxrelu_error *err)
{
    const size_t n = cf->n, d = cf->d, m1 = cf->width1;
    double *Z = cr_malloc(m1, n * sizeof(double));
    double *pre2 = cr_malloc(n, sizeof(double));
    size_t *order = cr_malloc(m1, sizeof(size_t));
    if (!Z || !pre2 || !order) {
        free(Z);
        free(pre2);
        free(order);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "configurations: out of memory");
    }
    cvxrelu_status st = CVXRELU_OK;
    for (size_t j = 0; j < K; j++) {
        const double *w1 = W1 + j * m1 * d;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m1, (int)n, (int)d, 1.0, w1,
                    (int)d, X, (int)d, 0.0, Z, (int)n);
        size_t q = configs_add_one(cf, Z, w1, W2 + j * m1, pre2, order);
        if (q == (size_t)-2) {
            st = cr_fail(err, CVXRELU_ERR_NOMEM, "configurations: out of memory");
            break;
        }
        if (idx) idx[j] = q;
    }
    free(Z);
    free(pre2);
    free(order);
    return st;
}

cvxrelu_status cvxrelu_configs_sample_limited(const double *X, size_t n, size_t d,
                                              size_t width1, size_t count, uint64_t seed,
                                              size_t max_configs, const cvxrelu_limits *limits,
                                              cvxrelu_configs **out, cvxrelu_exit *exit_out,
                                              cvxrelu_error *err)
{
    *out = NULL;
    if (exit_out) *exit_out = CVXRELU_EXIT_CONVERGED;
    if (!X || n == 0 || d == 0 || width1 == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID, "configurations: X (n, d >= 1) and width1 >= 1 are required");
    cr_loop loop; /* one iteration per block */
    cr_loop_start_limits(&loop, limits, CR_LOOP_UNLIMITED);
    /* sub-networks per block: their pre-activations (block width1 x n) take at
       most 32 MiB, so one GEMM reads X once for the block */
    size_t B = ((size_t)1 << 22) / (width1 * n);
    if (B < 1) B = 1;
    if (B > 256) B = 256;
    if (B > count) B = count ? count : 1;
    const size_t m1 = width1;
    cvxrelu_configs *cf = configs_new(n, d, width1);
    double *W1 = cr_malloc(B * m1, d * sizeof(double));
    double *W2 = cr_malloc(B * m1, sizeof(double));
    double *Z = cr_malloc(B * m1, n * sizeof(double));
    double *pre2 = cr_malloc(n, sizeof(double));
    size_t *order = cr_malloc(m1, sizeof(size_t));
    cvxrelu_status st = CVXRELU_OK;
    if (!cf || !W1 || !W2 || !Z || !pre2 || !order) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "configurations: out of memory");
        goto done;
    }
    cr_rng rng;
    cr_rng_seed(&rng, seed);
    for (size_t s0 = 0; s0 < count;) {
        if (cr_loop_next(&loop)) {
            if (exit_out) *exit_out = (cvxrelu_exit)loop.why;
            break;
        }
        if (max_configs && cf->P >= max_configs) break;
        /* one stream, drawn in a fixed order (per sub-network: W1, then W2): the
           first k samples of a run with more are the samples of a run with k */
        const size_t m = count - s0 < B ? count - s0 : B;
        for (size_t j = 0; j < m; j++) {
            for (size_t t = 0; t < m1 * d; t++) W1[j * m1 * d + t] = cr_rng_normal(&rng);
            for (size_t l = 0; l < m1; l++) W2[j * m1 + l] = cr_rng_normal(&rng);
        }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(m * m1), (int)n, (int)d, 1.0,
                    W1, (int)d, X, (int)d, 0.0, Z, (int)n);
        for (size_t j = 0; j < m && !(max_configs && cf->P >= max_configs); j++) {
            if (configs_add_one(cf, Z + j * m1 * n, W1 + j * m1 * d, W2 + j * m1, pre2, order) ==
                (size_t)-2) {
                st = cr_fail(err, CVXRELU_ERR_NOMEM, "configurations: out of memory");
                goto done;
            }
            cf->sampled++;
        }
        s0 += m;
    }
done:
    free(W1);
    free(W2);
    free(Z);
    free(pre2);
    free(order);
    if (st) {
        cvxrelu_configs_free(cf);
        return st;
    }
    *out = cf;
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_configs_sample(const double *X, size_t n, size_t d, size_t width1,
                                      size_t count, uint64_t seed, cvxrelu_configs **out,
                                      cvxrelu_error *err)
{
    return cvxrelu_configs_sample_limited(X, n, d, width1, count, seed, 0, NULL, out, NULL, err);
}

cvxrelu_status cvxrelu_configs_add_network(cvxrelu_configs *cf, const double *X, size_t K,
                                           const double *W1, const double *W2, size_t *index,
                                           cvxrelu_error *err)
{
    if (!cf || !X || (K && (!W1 || !W2)))
        return cr_fail(err, CVXRELU_ERR_INVALID, "configurations: missing argument");
    return configs_add(cf, X, K, W1, W2, index, err);
}

/* ------------------------------------------------------------ the kernels */

typedef struct {
    const double *X, *Y;
    size_t n, d, c, m1, P, G, R; /* G = 2 P c groups, R = G m1 weight rows */
    double N;
    const cvxrelu_configs *cf;
    double *sa1;   /* P m1 x n: s_pl (2 D1_pl - 1) */
    double *d1;    /* P m1 x n: D1_pl as 0 / 1 */
    double *a2;    /* P x n: 2 D2_p - 1 */
    double *d2;    /* P x n: D2_p as 0 / 1 */
    double *Yt;    /* c x n: the targets by output (predictions are kept so too) */
    double xmax;   /* max_i ||x_i|| */
} prob;

static int prob_init(prob *pb, const double *X, const double *Y, size_t c,
                     const cvxrelu_configs *cf)
{
    memset(pb, 0, sizeof *pb);
    pb->X = X;
    pb->Y = Y;
    pb->n = cf->n;
    pb->d = cf->d;
    pb->c = c;
    pb->m1 = cf->width1;
    pb->P = cf->P;
    pb->G = 2 * cf->P * c;
    pb->R = pb->G * pb->m1;
    pb->N = (double)(cf->n * c);
    pb->cf = cf;
    const size_t n = pb->n, m1 = pb->m1, P = pb->P, nw = cf->words;
    pb->sa1 = cr_malloc(P * m1 > 0 ? P * m1 : 1, n * sizeof(double));
    pb->d1 = cr_malloc(P * m1 > 0 ? P * m1 : 1, n * sizeof(double));
    pb->a2 = cr_malloc(P ? P : 1, n * sizeof(double));
    pb->d2 = cr_malloc(P ? P : 1, n * sizeof(double));
    pb->Yt = cr_malloc(c, n * sizeof(double));
    if (!pb->sa1 || !pb->d1 || !pb->a2 || !pb->d2 || !pb->Yt) return -1;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < c; k++) pb->Yt[k * n + i] = Y ? Y[i * c + k] : 0.0;
    for (size_t p = 0; p < P; p++) {
        for (size_t l = 0; l < m1; l++) {
            const uint64_t *b = cf->bits1 + (p * m1 + l) * nw;
            double s = cf->sign[p * m1 + l];
            for (size_t i = 0; i < n; i++) {
                int on = (int)((b[i / 64] >> (i % 64)) & 1);
                pb->d1[(p * m1 + l) * n + i] = on;
                pb->sa1[(p * m1 + l) * n + i] = on ? s : -s;
            }
        }
        const uint64_t *b = cf->bits2 + p * nw;
        for (size_t i = 0; i < n; i++) {
            pb->d2[p * n + i] = (double)((b[i / 64] >> (i % 64)) & 1);
            pb->a2[p * n + i] = 2.0 * pb->d2[p * n + i] - 1.0;
        }
    }
    pb->xmax = 0.0;
    for (size_t i = 0; i < n; i++) pb->xmax = fmax(pb->xmax, cblas_dnrm2((int)pb->d, X + i * pb->d, 1));
    if (!(pb->xmax > 0.0)) pb->xmax = 1.0;
    return 0;
}

static void prob_free(prob *pb)
{
    free(pb->sa1);
    free(pb->d1);
    free(pb->a2);
    free(pb->d2);
    free(pb->Yt);
}

/* Z (rows x n) = W X^T */
static void products(const prob *pb, const double *W, size_t rows, double *Z)
{
    if (rows == 0) return;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)pb->n, (int)pb->d, 1.0, W,
                (int)pb->d, pb->X, (int)pb->d, 0.0, Z, (int)pb->n);
}

/* From Z (R x n): Q (G x n) the masked sums q_g = sum_l D1_pl z_gl, and Yhat
   (c x n, by output). */
static void evaluate(const prob *pb, const double *Z, double *Q, double *Yhat)
{
    const size_t n = pb->n, c = pb->c, m1 = pb->m1;
    memset(Yhat, 0, n * c * sizeof(double));
    for (size_t g = 0; g < pb->G; g++) {
        size_t p = g / (2 * c), k = (g / 2) % c;
        double sgn = g % 2 ? -1.0 : 1.0;
        double *q = Q + g * n;
        memset(q, 0, n * sizeof(double));
        for (size_t l = 0; l < m1; l++) {
            const double *z = Z + (g * m1 + l) * n, *dm = pb->d1 + (p * m1 + l) * n;
            CR_SIMD
            for (size_t i = 0; i < n; i++) q[i] += dm[i] * z[i];
        }
        const double *d2 = pb->d2 + p * n;
        double *yk = Yhat + k * n;
        CR_SIMD
        for (size_t i = 0; i < n; i++) yk[i] += sgn * d2[i] * q[i];
    }
}

/* Largest violation relative to xmax times the largest block norm. */
static double violation_of(const prob *pb, const double *W, const double *Z, const double *Q)
{
    const size_t n = pb->n, m1 = pb->m1, c = pb->c, d = pb->d;
    double wmax = 0.0;
    for (size_t r = 0; r < pb->R; r++) wmax = fmax(wmax, cblas_dnrm2((int)d, W + r * d, 1));
    if (wmax == 0.0) return 0.0;
    double worst = 0.0;
    for (size_t g = 0; g < pb->G; g++) {
        size_t p = g / (2 * c);
        for (size_t l = 0; l < m1; l++) {
            const double *z = Z + (g * m1 + l) * n, *sa = pb->sa1 + (p * m1 + l) * n;
            for (size_t i = 0; i < n; i++) worst = fmax(worst, -sa[i] * z[i]);
        }
        const double *q = Q + g * n, *a2 = pb->a2 + p * n;
        for (size_t i = 0; i < n; i++) worst = fmax(worst, -a2[i] * q[i]);
    }
    return worst / (pb->xmax * wmax);
}

static double block_norm_sum(const double *W, size_t rows, size_t d, size_t m1, size_t *active)
{
    double s = 0.0;
    size_t act = 0;
    for (size_t g = 0; g < rows / m1; g++) {
        double t = 0.0;
        for (size_t l = 0; l < m1; l++) t += cblas_dnrm2((int)d, W + (g * m1 + l) * d, 1);
        s += t;
        act += t > 0.0;
    }
    if (active) *active = act;
    return s;
}

static double sq_residual(const double *Yhat, const double *Y, double *Rs, size_t N)
{
    double acc = 0.0;
    for (size_t i = 0; i < N; i++) {
        double r = Yhat[i] - Y[i];
        if (Rs) Rs[i] = r;
        acc += r * r;
    }
    return acc;
}

/* ---------------------------------------------------------------- solver */

/* A repaired point counts as an upper bound when its relative violation is at
   rounding level (the repair leaves 0 or a few ulps). */
#define FEASIBLE 1e-12

typedef struct {
    size_t cap;
    size_t *S;
    double *mu, *mun, *gram, *rhs, *rnorm, *qw; /* qw (n): second-layer sums of w */
    double *v, *Zv, *q;                          /* the result: m1 x d, m1 x n, n */
    unsigned char *banned;                       /* (m1 + 1) n: rows found dependent */
    cr_loop *loop;                               /* a stop request gives up (-1) */
} proj_ws;

typedef struct {
    prob pb;
    double rho;
    double *U, *Uprev, *V, *Unew, *Grad, *Urep;     /* R x d */
    double *Zk, *Zprev, *Zv, *Znew, *M;              /* R x n */
    double *Qk, *Qv, *Qnew;                          /* G x n */
    double *mu1;                                     /* R x n */
    double *mu2;                                     /* G x n */
    double *Yk, *Yv, *Ynew, *Res;                    /* n x c */
    double *Zh, *Qh;                                 /* interior directions: P m1 x n, P x n */
    proj_ws pw;
} al_state;

static void al_free(al_state *a)
{
    prob_free(&a->pb);
    void *bufs[] = {a->U, a->Uprev, a->V, a->Unew, a->Grad, a->Urep, a->Zk, a->Zprev, a->Zv,
                    a->Znew, a->M, a->Qk, a->Qv, a->Qnew, a->mu1, a->mu2, a->Yk, a->Yv,
                    a->Ynew, a->Res, a->Zh, a->Qh, a->pw.S, a->pw.mu, a->pw.mun,
                    a->pw.gram, a->pw.rhs, a->pw.rnorm, a->pw.qw, a->pw.v, a->pw.Zv, a->pw.q,
                    a->pw.banned};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
}

void cvxrelu_relu3_cost(size_t n, size_t d, size_t c, size_t width1, size_t P, double *variables,
                        double *constraints, double *bytes)
{
    double G = 2.0 * (double)P * (double)c, R = G * (double)width1;
    double nn = (double)n, dd = (double)d;
    if (variables) *variables = R * dd;
    if (constraints) *constraints = G * ((double)width1 + 1.0) * nn;
    /* the state of al_state plus the per-configuration masks */
    if (bytes)
        *bytes = 8.0 * (6.0 * R * dd + 6.0 * R * nn + 4.0 * G * nn +
                        (double)P * (2.0 * (double)width1 + 2.0) * nn + 4.0 * nn * (double)c +
                        G);
}

/* Gradient (into Grad) at the point with products Z, Q and predictions Yhat:
   grad F - G^T nu with nu = (mu - rho c)_+.  Returns the AL penalty
   (1/(2 rho)) sum ((mu - rho c)_+^2 - mu^2); Res receives Yhat - Y. */
static double al_gradient(al_state *a, const double *Z, const double *Q, const double *Yhat,
                          double *Grad)
{
    prob *pb = &a->pb;
    const size_t n = pb->n, c = pb->c, m1 = pb->m1;
    const double rho = a->rho, invN = 1.0 / pb->N;
    sq_residual(Yhat, pb->Yt, a->Res, n * c);
    double pen = 0.0;
    for (size_t g = 0; g < pb->G; g++) {
        size_t p = g / (2 * c), k = (g / 2) % c;
        double sgn = g % 2 ? -invN : invN;
        const double *q = Q + g * n, *a2 = pb->a2 + p * n, *d2 = pb->d2 + p * n;
        const double *mu2 = a->mu2 + g * n, *res = a->Res + k * n;
        /* second-layer part, shared by the g's blocks: sgn D2 R - nu2 a2 */
        double *base = a->M + g * m1 * n; /* block 0's row, written last */
        CR_SIMD_SUM(pen)
        for (size_t i = 0; i < n; i++) {
            double y = mu2[i] - rho * a2[i] * q[i];
            double nu = y > 0.0 ? y : 0.0;
            pen += nu * nu - mu2[i] * mu2[i];
            base[i] = sgn * d2[i] * res[i] - nu * a2[i];
        }
        for (size_t l = m1; l-- > 0;) {
            const double *z = Z + (g * m1 + l) * n, *sa = pb->sa1 + (p * m1 + l) * n;
            const double *dm = pb->d1 + (p * m1 + l) * n, *mu1 = a->mu1 + (g * m1 + l) * n;
            double *mrow = a->M + (g * m1 + l) * n;
            CR_SIMD_SUM(pen)
            for (size_t i = 0; i < n; i++) {
                double y = mu1[i] - rho * sa[i] * z[i];
                double nu = y > 0.0 ? y : 0.0;
                pen += nu * nu - mu1[i] * mu1[i];
                mrow[i] = dm[i] * base[i] - nu * sa[i];
            }
        }
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)pb->R, (int)pb->d, (int)n, 1.0, a->M,
                (int)n, pb->X, (int)pb->d, 0.0, Grad, (int)pb->d);
    return pen / (2.0 * rho);
}

/* 2 rho times h(ya) - h(yb) - h'(yb)(ya - yb) for h(y) = y_+^2 / (2 rho), without
   cancellation and without branches: with p = y_+ it is (pa - pb)^2 + 2 pb (pa - ya)
   ((ya - yb)^2 when both are positive, yb (yb - 2 ya) when only yb is, ya^2 when only
   ya is, 0 when neither) */
static inline double pdiv(double ya, double yb)
{
    double pa = ya > 0.0 ? ya : 0.0, pb = yb > 0.0 ? yb : 0.0;
    return (pa - pb) * (pa - pb) + 2.0 * pb * (pa - ya);
}

/* Bregman divergence of the smooth part between the points (Znew, Qnew,
   Ynew) and (Zv, Qv, Yv). */
static double al_bregman(const al_state *a)
{
    const prob *pb = &a->pb;
    const size_t n = pb->n, c = pb->c, m1 = pb->m1;
    const double rho = a->rho;
    double dy = 0.0;
    CR_SIMD_SUM(dy)
    for (size_t i = 0; i < n * c; i++) dy += (a->Ynew[i] - a->Yv[i]) * (a->Ynew[i] - a->Yv[i]);
    double dv = 0.0;
    for (size_t g = 0; g < pb->G; g++) {
        size_t p = g / (2 * c);
        const double *a2 = pb->a2 + p * n, *mu2 = a->mu2 + g * n;
        const double *qn = a->Qnew + g * n, *qv = a->Qv + g * n;
        CR_SIMD_SUM(dv)
        for (size_t i = 0; i < n; i++)
            dv += pdiv(mu2[i] - rho * a2[i] * qn[i], mu2[i] - rho * a2[i] * qv[i]);
        for (size_t l = 0; l < m1; l++) {
            size_t r = g * m1 + l;
            const double *sa = pb->sa1 + (p * m1 + l) * n, *mu1 = a->mu1 + r * n;
            const double *zn = a->Znew + r * n, *zv = a->Zv + r * n;
            CR_SIMD_SUM(dv)
            for (size_t i = 0; i < n; i++)
                dv += pdiv(mu1[i] - rho * sa[i] * zn[i], mu1[i] - rho * sa[i] * zv[i]);
        }
    }
    return dy / (2.0 * pb->N) + dv / (2.0 * rho);
}

/*
 * Euclidean projection of one group's weights w (m1 x d, products Zw = w X^T)
 * onto K_p: min ||v - w|| s.t. a_r . v >= 0, by Lawson-Hanson on the dual
 * (v = w + sum_S mu_r a_r, mu >= 0), adding the most violated row at a time.
 * Constraint r < m1 n is row i = r % n of block l = r / n (a_r = sa1_li x_i in
 * block l); r = m1 n + i is the second-layer row (a2_i D1_li x_i in block l).
 * Returns 0 with v, Zv (m1 x n) and q (n) set, or -1 when it gives up.
 */

static double coef(const prob *pb, size_t p, size_t r, size_t l)
{
    const size_t n = pb->n, m1 = pb->m1;
    if (r < m1 * n) return r / n == l ? pb->sa1[(p * m1 + l) * n + r % n] : 0.0;
    size_t i = r - m1 * n;
    return pb->a2[p * n + i] * pb->d1[(p * m1 + l) * n + i];
}

static double cval(const prob *pb, size_t p, size_t r, const double *Z, const double *q)
{
    const size_t n = pb->n, m1 = pb->m1;
    if (r < m1 * n) return pb->sa1[(p * m1 + r / n) * n + r % n] * Z[r];
    return pb->a2[p * n + (r - m1 * n)] * q[r - m1 * n];
}

static int project_group(const prob *pb, size_t p, const double *w, const double *Zw,
                         double *v, double *Zv, double *q, proj_ws *ws)
{
    const size_t n = pb->n, d = pb->d, m1 = pb->m1, rows = (m1 + 1) * n;
    const double *X = pb->X;
    size_t ns = 0;
    double wn = cblas_dnrm2((int)(m1 * d), w, 1);
    /* row norms ||a_r|| */
    for (size_t i = 0; i < n; i++) {
        double xn = cblas_dnrm2((int)d, X + i * d, 1), k = 0.0;
        for (size_t l = 0; l < m1; l++) {
            ws->rnorm[l * n + i] = xn;
            k += pb->d1[(p * m1 + l) * n + i];
        }
        ws->rnorm[m1 * n + i] = sqrt(k) * xn;
    }
    for (size_t i = 0; i < n; i++) {
        ws->qw[i] = 0.0;
        for (size_t l = 0; l < m1; l++) ws->qw[i] += pb->d1[(p * m1 + l) * n + i] * Zw[l * n + i];
    }
    memcpy(v, w, m1 * d * sizeof(double));
    memcpy(Zv, Zw, m1 * n * sizeof(double));
    memset(ws->banned, 0, rows);
    const double tol = 1e-14 * pb->xmax * fmax(wn, 1e-300);
    for (size_t outer = 0; outer < 4 * m1 * d + 20; outer++) {
        if (cr_loop_check(ws->loop)) return -1;
        for (size_t i = 0; i < n; i++) {
            q[i] = 0.0;
            for (size_t l = 0; l < m1; l++) q[i] += pb->d1[(p * m1 + l) * n + i] * Zv[l * n + i];
        }
        size_t worst = rows;
        double wv = -tol;
        for (size_t r = 0; r < rows; r++) {
            if (ws->rnorm[r] == 0.0 || ws->banned[r]) continue;
            double cv = cval(pb, p, r, Zv, q);
            if (cv < wv * ws->rnorm[r] / pb->xmax) {
                int in = 0;
                for (size_t t = 0; t < ns; t++) in |= ws->S[t] == r;
                if (in) continue;
                wv = cv * pb->xmax / ws->rnorm[r];
                worst = r;
            }
        }
        if (worst == rows) { /* feasible apart from dependent rows: check those too */
            for (size_t r = 0; r < rows; r++)
                if (ws->banned[r] && cval(pb, p, r, Zv, q) < -tol * ws->rnorm[r] / pb->xmax) return -1;
            return 0;
        }
        if (ns == ws->cap || ns >= m1 * d) return -1;
        ws->S[ns] = worst;
        ws->mu[ns] = 0.0;
        ns++;
        for (int guard = 0;; guard++) {
            /* Gram system on S: sum_t (a_s . a_t) mu_t = -a_s . w */
            for (size_t s1 = 0; s1 < ns; s1++) {
                size_t r1 = ws->S[s1], i1 = r1 % n;
                ws->rhs[s1] = -cval(pb, p, r1, Zw, ws->qw);
                for (size_t s2 = 0; s2 <= s1; s2++) {
                    size_t r2 = ws->S[s2], i2 = r2 % n;
                    double cc = 0.0;
                    for (size_t l = 0; l < m1; l++) cc += coef(pb, p, r1, l) * coef(pb, p, r2, l);
                    double g = cc == 0.0 ? 0.0 : cc * cblas_ddot((int)d, X + i1 * d, 1, X + i2 * d, 1);
                    ws->gram[s1 * ns + s2] = ws->gram[s2 * ns + s1] = g;
                }
            }
            if (cr_chol(ws->gram, ns, 1e-12)) {
                /* the new row depends on the others (e.g. a duplicate data row): it
                   leaves the active set for good; the final check still counts it */
                ws->banned[ws->S[--ns]] = 1;
                break;
            }
            memcpy(ws->mun, ws->rhs, ns * sizeof(double));
            cr_chol_solve(ws->gram, ws->mun, ns);
            int pos = 1;
            for (size_t t = 0; t < ns; t++) pos &= ws->mun[t] > 0.0;
            if (pos) {
                memcpy(ws->mu, ws->mun, ns * sizeof(double));
                break;
            }
            if (guard > (int)(2 * m1 * d + 10)) return -1;
            double alpha = 1.0;
            size_t tmin = ns;
            for (size_t t = 0; t < ns; t++)
                if (ws->mun[t] <= 0.0) {
                    double den = ws->mu[t] - ws->mun[t];
                    double al = den > 0.0 ? ws->mu[t] / den : 0.0;
                    if (al < alpha || tmin == ns) {
                        alpha = fmin(alpha, al);
                        tmin = t;
                    }
                }
            size_t keep = 0;
            for (size_t t = 0; t < ns; t++) {
                double m = ws->mu[t] + alpha * (ws->mun[t] - ws->mu[t]);
                if (t == tmin || !(m > 0.0)) continue;
                ws->S[keep] = ws->S[t];
                ws->mu[keep] = m;
                keep++;
            }
            ns = keep;
            if (ns == 0) break;
        }
        /* v = w + sum mu_r a_r, and its products */
        memcpy(v, w, m1 * d * sizeof(double));
        for (size_t t = 0; t < ns; t++) {
            size_t r = ws->S[t], i = r % n;
            for (size_t l = 0; l < m1; l++) {
                double cf = coef(pb, p, r, l);
                if (cf != 0.0) cblas_daxpy((int)d, ws->mu[t] * cf, X + i * d, 1, v + l * d, 1);
            }
        }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m1, (int)n, (int)d, 1.0, v,
                    (int)d, X, (int)d, 0.0, Zv, (int)n);
    }
    return -1;
}

/*
 * Repair: each violated group is projected onto its cone; what rounding
 * leaves below 0 is lifted along the configuration's interior direction
 * (Urep += tau_g dir_p, the least tau_g >= 0).  Z and Q of Urep are updated
 * along.  A row that neither can fix (its interior-direction value is 0) keeps
 * its violation; cvxrelu_relu3_violation shows it at the end.
 */
/* Zero group g (always feasible: the cone's apex). */
static void zero_group(const prob *pb, size_t g, double *Urep, double *Zr, double *Qr)
{
    memset(Urep + g * pb->m1 * pb->d, 0, pb->m1 * pb->d * sizeof(double));
    memset(Zr + g * pb->m1 * pb->n, 0, pb->m1 * pb->n * sizeof(double));
    memset(Qr + g * pb->n, 0, pb->n * sizeof(double));
}

static void al_repair(al_state *a, double *Urep, double *Zr, double *Qr)
{
    prob *pb = &a->pb;
    const size_t n = pb->n, c = pb->c, m1 = pb->m1, d = pb->d;
    for (size_t g = 0; g < pb->G; g++) {
        size_t p = g / (2 * c);
        double t = 0.0;
        for (size_t l = 0; l < m1; l++) t += cblas_dnrm2((int)d, Urep + (g * m1 + l) * d, 1);
        if (t == 0.0) continue;
        /* a group violated beyond rounding is projected onto its cone (the least
           change); when the projection gives up (or a stop request cuts the repair
           short), the group is dropped (zero is feasible).  Violations at rounding level (relative 1e-13) stay: a
           pre-activation that small changes the network's output by as little. */
        double worst = 0.0;
        for (size_t l = 0; l < m1; l++) {
            const double *z = Zr + (g * m1 + l) * n, *sa = pb->sa1 + (p * m1 + l) * n;
            for (size_t i = 0; i < n; i++) worst = fmax(worst, -sa[i] * z[i]);
        }
        for (size_t i = 0; i < n; i++) worst = fmax(worst, -pb->a2[p * n + i] * Qr[g * n + i]);
        if (worst <= 1e-13 * pb->xmax * t) continue;
        proj_ws *w = &a->pw;
        if (cr_loop_check(w->loop) || project_group(pb, p, Urep + g * m1 * d, Zr + g * m1 * n, w->v, w->Zv, w->q, w)) {
            zero_group(pb, g, Urep, Zr, Qr);
            continue;
        }
        memcpy(Urep + g * m1 * d, w->v, m1 * d * sizeof(double));
        memcpy(Zr + g * m1 * n, w->Zv, m1 * n * sizeof(double));
        memcpy(Qr + g * n, w->q, n * sizeof(double));
        t = 0.0;
        for (size_t l = 0; l < m1; l++) t += cblas_dnrm2((int)d, Urep + (g * m1 + l) * d, 1);
        /* what rounding left below 0 is lifted to 0 along the (unit) interior
           direction when that is a tiny step (the projection leaves rounding-level
           violations; a pre-activation at 0 gives the same output whether its ReLU
           counts it on or off, so no margin is needed) */
        double tau = 0.0;
        for (size_t l = 0; l < m1; l++) {
            const double *z = Zr + (g * m1 + l) * n, *zh = a->Zh + (p * m1 + l) * n;
            const double *sa = pb->sa1 + (p * m1 + l) * n;
            for (size_t i = 0; i < n; i++) {
                double cv = sa[i] * z[i], ch = sa[i] * zh[i];
                if (cv < 0.0) tau = ch > 0.0 ? fmax(tau, -cv / ch) : INFINITY;
            }
        }
        const double *q = Qr + g * n, *qh = a->Qh + p * n, *a2 = pb->a2 + p * n;
        for (size_t i = 0; i < n; i++) {
            double cv = a2[i] * q[i], ch = a2[i] * qh[i];
            if (cv < 0.0) tau = ch > 0.0 ? fmax(tau, -cv / ch) : INFINITY;
        }
        if (tau == 0.0 || !(tau <= 1e-8 * t)) continue; /* rounding level: leave it */
        for (size_t l = 0; l < m1; l++) {
            cblas_daxpy((int)d, tau, pb->cf->dirs + (p * m1 + l) * d, 1, Urep + (g * m1 + l) * d, 1);
            cblas_daxpy((int)n, tau, a->Zh + (p * m1 + l) * n, 1, Zr + (g * m1 + l) * n, 1);
        }
        cblas_daxpy((int)n, tau, a->Qh + p * n, 1, Qr + g * n, 1);
    }
}

void cvxrelu_relu3_settings_default(cvxrelu_relu3_settings *s)
{
    memset(s, 0, sizeof *s);
    s->lambda = 1e-3;
    s->tol = 1e-6;
    s->max_iter = 100000;
    s->rho = 0.0;
}

static int al_alloc(al_state *a)
{
    const prob *pb = &a->pb;
    const size_t R = pb->R ? pb->R : 1, G = pb->G ? pb->G : 1, n = pb->n, d = pb->d,
                 nc = pb->n * pb->c, P = pb->P ? pb->P : 1, m1 = pb->m1;
    int ok = 1;
    double **rd[] = {&a->U, &a->Uprev, &a->V, &a->Unew, &a->Grad, &a->Urep};
    double **rn[] = {&a->Zk, &a->Zprev, &a->Zv, &a->Znew, &a->M, &a->mu1};
    double **gn[] = {&a->Qk, &a->Qv, &a->Qnew, &a->mu2};
    double **nn[] = {&a->Yk, &a->Yv, &a->Ynew, &a->Res};
    for (size_t i = 0; i < 6; i++) ok &= (*rd[i] = cr_calloc(R, d * sizeof(double))) != NULL;
    for (size_t i = 0; i < 6; i++) ok &= (*rn[i] = cr_calloc(R, n * sizeof(double))) != NULL;
    for (size_t i = 0; i < 4; i++) ok &= (*gn[i] = cr_calloc(G, n * sizeof(double))) != NULL;
    for (size_t i = 0; i < 4; i++) ok &= (*nn[i] = cr_calloc(nc, sizeof(double))) != NULL;
    ok &= (a->Zh = cr_calloc(P * m1, n * sizeof(double))) != NULL;
    ok &= (a->Qh = cr_calloc(P, n * sizeof(double))) != NULL;
    proj_ws *w = &a->pw;
    w->cap = m1 * d + 1;
    ok &= (w->S = cr_malloc(w->cap, sizeof(size_t))) != NULL;
    ok &= (w->mu = cr_malloc(w->cap, sizeof(double))) != NULL;
    ok &= (w->mun = cr_malloc(w->cap, sizeof(double))) != NULL;
    ok &= (w->rhs = cr_malloc(w->cap, sizeof(double))) != NULL;
    ok &= (w->gram = cr_malloc(w->cap, w->cap * sizeof(double))) != NULL;
    ok &= (w->rnorm = cr_malloc(m1 + 1, n * sizeof(double))) != NULL;
    ok &= (w->qw = cr_malloc(n, sizeof(double))) != NULL;
    ok &= (w->v = cr_malloc(m1, d * sizeof(double))) != NULL;
    ok &= (w->Zv = cr_malloc(m1, n * sizeof(double))) != NULL;
    ok &= (w->q = cr_malloc(n, sizeof(double))) != NULL;
    ok &= (w->banned = cr_malloc(m1 + 1, n)) != NULL;
    return ok ? 0 : -1;
}

/* Objective (loss + penalty) of weights with predictions Yhat. */
static double objective_of(const prob *pb, const double *W, const double *Yhat, double lambda,
                           double *loss, double *penalty, size_t *active)
{
    double l = sq_residual(Yhat, pb->Yt, NULL, pb->n * pb->c) / (2.0 * pb->N);
    double p = lambda * block_norm_sum(W, pb->R, pb->d, pb->m1, active);
    if (loss) *loss = l;
    if (penalty) *penalty = p;
    return l + p;
}

/* One progress record for the caller's callback. */
static void report(const cvxrelu_relu3_settings *s, size_t it, double primal, double dual,
                   double step, double viol, size_t active, double t0)
{
    if (!s->callback) return;
    cvxrelu_iterate_info info;
    memset(&info, 0, sizeof info);
    info.iter = it;
    info.objective = primal;
    info.dual = dual;
    info.gap = primal - dual;
    info.step = step;
    info.violation = viol;
    info.active = active; /* of the repaired point */
    info.time_s = cr_now() - t0;
    s->callback(&info, s->callback_data);
}

cvxrelu_status cvxrelu_relu3_solve(const cvxrelu_problem *problem, const cvxrelu_configs *cf,
                                   const cvxrelu_relu3_settings *s, double **W_out,
                                   cvxrelu_relu3_result *res, cvxrelu_error *err)
{
    memset(res, 0, sizeof *res);
    if (!problem)
        return cr_fail(err, CVXRELU_ERR_INVALID, "relu3: the problem (X, Y) is required");
    const double *X = problem->X, *Y = problem->Y;
    size_t n = problem->n, d = problem->d, c = problem->c;
    if (!X || !Y || !cf || !s || !W_out || c == 0 || cf->n != n || cf->d != d)
        return cr_fail(err, CVXRELU_ERR_INVALID, "relu3: X, Y and configurations of matching size are required");
    if (!(s->lambda > 0.0) || !isfinite(s->lambda))
        return cr_fail(err, CVXRELU_ERR_INVALID, "relu3: lambda must be a positive number, got %g", s->lambda);
    if (!(s->tol > 0.0))
        return cr_fail(err, CVXRELU_ERR_INVALID, "relu3: tol must be > 0, got %g", s->tol);
    cr_loop loop; /* one iteration per inner R-FISTA step, over all the outer ones */
    cr_loop_start(&loop, s->interrupt, s->time_limit_s, s->max_iter);
    const double t0 = loop.t0;
    al_state a;
    memset(&a, 0, sizeof a);
    a.pw.loop = &loop;
    if (prob_init(&a.pb, X, Y, c, cf) || al_alloc(&a)) {
        al_free(&a);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "relu3: out of memory for the program");
    }
    prob *pb = &a.pb;
    const size_t R = pb->R, G = pb->G, nc = n * c, rd = R * d, m1 = pb->m1;
    const double lambda = s->lambda, N = pb->N;
    a.rho = (s->rho > 0.0 ? s->rho : 1.0) / N;
    *W_out = NULL;
    if (s->start) memcpy(a.U, s->start, rd * sizeof(double));

    /* interior directions' products: Zh = dirs X^T, Qh = sum_l D1 Zh */
    products(pb, cf->dirs, pb->P * m1, a.Zh);
    for (size_t p = 0; p < pb->P; p++)
        for (size_t l = 0; l < m1; l++)
            for (size_t i = 0; i < n; i++)
                a.Qh[p * n + i] += pb->d1[(p * m1 + l) * n + i] * a.Zh[(p * m1 + l) * n + i];

    products(pb, a.U, R, a.Zk);
    evaluate(pb, a.Zk, a.Qk, a.Yk);
    memcpy(a.Uprev, a.U, rd * sizeof(double));
    memcpy(a.Zprev, a.Zk, R * n * sizeof(double));

    /* first step: 1 / (a bound on the smooth part's curvature) */
    double fro = 0.0;
    for (size_t i = 0; i < n * d; i++) fro += X[i] * X[i];
    double step = 1.0 / (fro * (double)(m1 + 1) * (2.0 / N + 2.0 * a.rho) + 1e-300);

    double best_dual = -INFINITY, best_primal = INFINITY, prev_viol = INFINITY, viol = 0.0;
    double inner_tol = 0.1 * lambda;
    size_t outer = 0;
    int done = 0, converged = 0, interrupted = 0, have_grad = 0;
    /* the repaired start is the first upper bound: the answer is never worse */
    memcpy(a.V, a.U, rd * sizeof(double));
    memcpy(a.Zv, a.Zk, R * n * sizeof(double));
    memcpy(a.Qv, a.Qk, G * n * sizeof(double));
    al_repair(&a, a.V, a.Zv, a.Qv);
    evaluate(pb, a.Zv, a.Qv, a.Yv);
    memcpy(a.Urep, a.V, rd * sizeof(double));
    if (violation_of(pb, a.V, a.Zv, a.Qv) <= FEASIBLE)
        best_primal = objective_of(pb, a.V, a.Yv, lambda, NULL, NULL, NULL);
    report(s, 0, best_primal, best_dual, step, violation_of(pb, a.U, a.Zk, a.Qk), 0, t0);
    while (!done) {
        /* ---- inner R-FISTA on the augmented Lagrangian */
        double beta = 0.0, mom = 1.0;
        size_t inner = 0;
        for (;;) {
            if (cr_loop_next(&loop)) { /* the iteration limit, or a stop request */
                interrupted = cr_loop_stopped(&loop);
                done = 1;
                break;
            }
            cr_extrapolate(a.V, a.U, a.Uprev, rd, beta);
            cr_extrapolate(a.Zv, a.Zk, a.Zprev, R * n, beta);
            evaluate(pb, a.Zv, a.Qv, a.Yv);
            al_gradient(&a, a.Zv, a.Qv, a.Yv, a.Grad);
            have_grad = 1;
            double t = step, ratio = 0.0, dn = 0.0;
            int why = 0;
            for (int tries = 0;; tries++) {
                /* a stop request abandons the trial step (the iterate stays) */
                if (tries > 0 && (why = cr_loop_check(&loop))) break;
                for (size_t i = 0; i < rd; i++) a.Unew[i] = a.V[i] - t * a.Grad[i];
                for (size_t r = 0; r < R; r++) cvxrelu_prox_group(a.Unew + r * d, d, t * lambda);
                products(pb, a.Unew, R, a.Znew);
                evaluate(pb, a.Znew, a.Qnew, a.Ynew);
                dn = 0.0;
                for (size_t i = 0; i < rd; i++) dn += (a.Unew[i] - a.V[i]) * (a.Unew[i] - a.V[i]);
                if (dn == 0.0) {
                    ratio = 0.0;
                    break;
                }
                ratio = 2.0 * t * al_bregman(&a) / dn;
                if (ratio <= 1.0 || tries > 100) break;
                t *= 0.8;
            }
            if (why) {
                cr_loop_abandon(&loop, why); /* the step not taken does not count */
                interrupted = why;
                done = 1;
                break;
            }
            if (ratio > 1.0) {
                /* no step of 100 reductions descends (rounding at this scale): keep
                   the iterate, restart the momentum, update the multipliers */
                step = t;
                break;
            }
            cr_fista_momentum(a.U, a.Unew, a.V, rd, &beta, &mom, NULL, 0);
            cr_rotate(&a.Uprev, &a.U, &a.Unew);
            cr_rotate(&a.Zprev, &a.Zk, &a.Znew);
            { double *tq = a.Qk; a.Qk = a.Qnew; a.Qnew = tq; }
            { double *ty = a.Yk; a.Yk = a.Ynew; a.Ynew = ty; }
            step = cr_next_step(t, ratio);
            inner++;
            double gm = sqrt(dn) / t; /* gradient-mapping norm */
            if (gm <= inner_tol || inner >= 300) break;
        }
        /* ---- multiplier update, certificate, repair.  After a stop request the
           bound comes from the last gradient at hand (that of the extrapolated
           point: the dual value is valid at any point whose residual and gradient
           agree), none when the stop came before the first one; the multiplier
           update and a new repair (the costly part at 1e7 constraint rows) are
           skipped, and the best repaired point so far is kept. */
        if (!interrupted) al_gradient(&a, a.Zk, a.Qk, a.Yk, a.Grad); /* Res = Yk - Y */
        if (!interrupted || have_grad) {
            double gmax = 0.0;
            for (size_t r = 0; r < R; r++)
                gmax = fmax(gmax, cblas_dnrm2((int)d, a.Grad + r * d, 1));
            double dual = cr_dual_value(a.Res, pb->Yt, nc, gmax * N, lambda);
            if (dual > best_dual) best_dual = dual;
        }
        if (interrupted) break;
        for (size_t g = 0; g < G; g++) {
            size_t p = g / (2 * c);
            for (size_t i = 0; i < n; i++) {
                double y = a.mu2[g * n + i] - a.rho * pb->a2[p * n + i] * a.Qk[g * n + i];
                a.mu2[g * n + i] = y > 0.0 ? y : 0.0;
            }
            for (size_t l = 0; l < m1; l++) {
                size_t r = g * m1 + l;
                for (size_t i = 0; i < n; i++) {
                    double y = a.mu1[r * n + i] - a.rho * pb->sa1[(p * m1 + l) * n + i] * a.Zk[r * n + i];
                    a.mu1[r * n + i] = y > 0.0 ? y : 0.0;
                }
            }
        }
        viol = violation_of(pb, a.U, a.Zk, a.Qk);
        /* the repaired point: a feasible upper bound */
        memcpy(a.V, a.U, rd * sizeof(double));
        memcpy(a.Zv, a.Zk, R * n * sizeof(double));
        memcpy(a.Qv, a.Qk, G * n * sizeof(double));
        al_repair(&a, a.V, a.Zv, a.Qv);
        evaluate(pb, a.Zv, a.Qv, a.Yv);
        size_t act = 0;
        double primal = objective_of(pb, a.V, a.Yv, lambda, NULL, NULL, &act);
        /* what the repair cost: the part of the gap due to infeasibility */
        double repair_cost = primal - objective_of(pb, a.U, a.Yk, lambda, NULL, NULL, NULL);
        if (violation_of(pb, a.V, a.Zv, a.Qv) > FEASIBLE) primal = INFINITY; /* not a bound */
        if (primal < best_primal) {
            best_primal = primal;
            memcpy(a.Urep, a.V, rd * sizeof(double));
        }
        outer++;
        double gap = best_primal - best_dual;
        report(s, loop.iter, best_primal, best_dual, step, viol, act, t0);
        if (gap <= s->tol * fmax(1.0, fabs(best_primal))) {
            converged = 1;
            break;
        }
        /* penalty: grow it while infeasibility (the repair) is most of the gap and
           the violation stalls; otherwise let the multipliers converge */
        if (s->rho <= 0.0 && repair_cost > 0.5 * gap && viol > 0.25 * prev_viol && viol > 1e-12 &&
            a.rho * N < 1e8) {
            a.rho *= 2.0;
            step = fmin(step, 1.0 / (fro * (double)(m1 + 1) * (2.0 / N + 2.0 * a.rho)) * 4.0);
        }
        prev_viol = viol;
        inner_tol = fmax(0.5 * inner_tol, 1e-3 * s->tol * lambda);
    }
    /* the answer: the best repaired point, its exact evaluation */
    products(pb, a.Urep, R, a.Zk);
    evaluate(pb, a.Zk, a.Qk, a.Yk);
    res->objective = objective_of(pb, a.Urep, a.Yk, lambda, &res->loss, &res->penalty, &res->active);
    res->dual = best_dual;
    res->gap = res->objective - best_dual;
    if (res->gap < 0.0 && res->gap > -1e-12 * fmax(1.0, fabs(res->objective))) res->gap = 0.0;
    res->violation = viol;
    res->iterations = loop.iter;
    res->outer = outer;
    res->converged = converged || res->gap <= s->tol * fmax(1.0, fabs(res->objective));
    res->interrupted = interrupted != 0;
    res->exit = res->converged ? CVXRELU_EXIT_CONVERGED
              : interrupted     ? (cvxrelu_exit)interrupted
                                : CVXRELU_EXIT_MAX_ITER;
    res->time_s = cr_now() - t0;
    double *W = cr_malloc(rd ? rd : 1, sizeof(double));
    if (!W) {
        al_free(&a);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "relu3: out of memory");
    }
    memcpy(W, a.Urep, rd * sizeof(double));
    *W_out = W;
    al_free(&a);
    return CVXRELU_OK;
}

/* ----------------------------------------------------- evaluation helpers */

/* Z, Q and Yhat of W: returns 0, or -1 without memory. */
static int convex_eval(const double *X, size_t c, const cvxrelu_configs *cf, const double *W,
                       double *Yhat, double *viol)
{
    prob pb;
    if (prob_init(&pb, X, NULL, c, cf)) {
        prob_free(&pb);
        return -1;
    }
    double *Z = cr_malloc(pb.R ? pb.R : 1, pb.n * sizeof(double));
    double *Q = cr_malloc(pb.G ? pb.G : 1, pb.n * sizeof(double));
    double *Yh = cr_malloc(pb.n, c * sizeof(double));
    if (!Z || !Q || !Yh) {
        free(Z);
        free(Q);
        free(Yh);
        prob_free(&pb);
        return -1;
    }
    products(&pb, W, pb.R, Z);
    evaluate(&pb, Z, Q, Yh);
    if (Yhat) /* by output -> by row */
        for (size_t i = 0; i < pb.n; i++)
            for (size_t k = 0; k < c; k++) Yhat[i * c + k] = Yh[k * pb.n + i];
    if (viol) *viol = violation_of(&pb, W, Z, Q);
    free(Z);
    free(Q);
    free(Yh);
    prob_free(&pb);
    return 0;
}

void cvxrelu_relu3_convex_predict(const double *X, size_t c, const cvxrelu_configs *cf,
                                  const double *W, double *Yhat)
{
    if (convex_eval(X, c, cf, W, Yhat, NULL))
        for (size_t i = 0; i < cf->n * c; i++) Yhat[i] = NAN;
}

double cvxrelu_relu3_convex_objective(const double *X, const double *Y, size_t c,
                                      const cvxrelu_configs *cf, const double *W, double lambda)
{
    double *Yhat = cr_malloc(cf->n, c * sizeof(double));
    if (!Yhat || convex_eval(X, c, cf, W, Yhat, NULL)) {
        free(Yhat);
        return NAN;
    }
    double N = (double)(cf->n * c);
    double loss = sq_residual(Yhat, Y, NULL, cf->n * c) / (2.0 * N);
    free(Yhat);
    return loss + lambda * block_norm_sum(W, 2 * cf->P * c * cf->width1, cf->d, cf->width1, NULL);
}

double cvxrelu_relu3_violation(const double *X, size_t c, const cvxrelu_configs *cf,
                               const double *W)
{
    double v = NAN;
    if (convex_eval(X, c, cf, W, NULL, &v)) return NAN;
    return v;
}

cvxrelu_status cvxrelu_relu3_weights_from_network(const cvxrelu_configs *cf, const double *X,
                                                  size_t c, size_t K, const double *W1,
                                                  const double *W2, const double *a,
                                                  const size_t *out, const size_t *index,
                                                  double *W, cvxrelu_error *err)
{
    if (!cf || !X || !W || (K && (!W1 || !W2 || !a || !out || !index)))
        return cr_fail(err, CVXRELU_ERR_INVALID, "relu3: missing argument");
    const size_t n = cf->n, d = cf->d, m1 = cf->width1, nw = cf->words;
    double *Z = cr_malloc(m1, n * sizeof(double));
    unsigned char *used = cr_malloc(m1, 1);
    if (!Z || !used) {
        free(Z);
        free(used);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "relu3: out of memory");
    }
    cvxrelu_status st = CVXRELU_OK;
    for (size_t j = 0; j < K && !st; j++) {
        size_t p = index[j];
        if (p == (size_t)-1 || a[j] == 0.0) continue;
        if (p >= cf->P || out[j] >= c) {
            st = cr_fail(err, CVXRELU_ERR_INVALID, "relu3: sub-network %zu: bad configuration or output", j);
            break;
        }
        size_t g = 2 * (p * c + out[j]) + (a[j] < 0.0);
        memset(used, 0, m1);
        /* the pre-activations exactly as the configurations were made (one GEMM) */
        const double *w1 = W1 + j * m1 * d;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m1, (int)n, (int)d, 1.0, w1,
                    (int)d, X, (int)d, 0.0, Z, (int)n);
        /* the configuration holds the neurons sorted: each goes to the unused
           position of its sign whose pattern differs from its own in fewest rows
           (none, unless the network was changed since its configuration was made) */
        for (size_t l = 0; l < m1; l++) {
            double w2 = W2[j * m1 + l], sg = w2 >= 0.0 ? 1.0 : -1.0;
            size_t best = m1, bestd = (size_t)-1;
            for (size_t q = 0; q < m1 && bestd; q++) {
                if (used[q] || cf->sign[p * m1 + q] != sg) continue;
                const uint64_t *b = cf->bits1 + (p * m1 + q) * nw;
                size_t dist = 0;
                for (size_t i = 0; i < n; i++)
                    dist += (Z[l * n + i] > 0.0) != (int)((b[i / 64] >> (i % 64)) & 1);
                if (dist < bestd) {
                    bestd = dist;
                    best = q;
                }
            }
            if (best == m1) {
                st = cr_fail(err, CVXRELU_ERR_INVALID,
                             "relu3: sub-network %zu does not have the signs of configuration %zu", j, p);
                break;
            }
            used[best] = 1;
            cblas_daxpy((int)d, fabs(a[j]) * w2, w1 + l * d, 1, W + (g * m1 + best) * d, 1);
        }
    }
    free(Z);
    free(used);
    return st;
}
