/* The solver object, the masked GEMM kernels and the one driver loop. */
#include "solver.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void cvxrelu_settings_default(cvxrelu_settings *s)
{
    memset(s, 0, sizeof *s);
    s->solver = CVXRELU_SOLVER_RFISTA;
    s->lambda = 1e-3;
    s->eps_gap = 1e-6;
    s->eps_feas = 1e-6;
    s->max_iter = 10000;
    s->time_limit_s = 0.0;
    s->step_init = 0.0;
    s->warm_start = 1;
    s->callback = NULL;
    s->callback_data = NULL;
    s->interrupt = NULL;
    s->single_precision = 0;
    s->screening = 1;
    s->precondition = 1;
}

/* The registry: one entry per cvxrelu_solver_kind. */
static const cr_solver_type *solver_type(cvxrelu_solver_kind k)
{
    switch (k) {
    case CVXRELU_SOLVER_RFISTA: return &cr_rfista_type;
    case CVXRELU_SOLVER_RELU: return &cr_relu_type;
    }
    return NULL;
}

/* ------------------------------------------------------------ kernels */

/* Weights of the live groups (all of U when nothing is screened), in the
   precision of the products: returns the matrix the GEMM reads. */
static const void *gemm_weights(cvxrelu_solver *s, const double *U, size_t *cols)
{
    const size_t d = s->d;
    const int compact = s->live && s->ma < s->m;
    const double *Uc = U;
    *cols = compact ? s->ma : s->m;
    if (compact) {
        for (size_t a = 0; a < s->ma; a++) memcpy(s->Ua + a * d, U + s->act[a] * d, d * sizeof(double));
        Uc = s->Ua;
    }
    if (!s->single_active) return Uc;
    for (size_t i = 0; i < *cols * d; i++) s->Uf[i] = (float)Uc[i];
    return s->Uf;
}

/* work (nb x cols) = X_b W^T in the active precision: in workf for float products
   (the mask loops read the floats directly), in work for double */
static void block_product(cvxrelu_solver *s, size_t r0, size_t nb, const void *W, size_t cols)
{
    const size_t d = s->d;
    double t0 = cr_now();
    if (s->single_active)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)cols, (int)d, 1.0f,
                    s->Xf + r0 * d, (int)d, (const float *)W, (int)d, 0.0f, s->workf, (int)cols);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)cols, (int)d, 1.0,
                    s->X + r0 * d, (int)d, (const double *)W, (int)d, 0.0, s->work, (int)cols);
    s->gemm_time += cr_now() - t0;
}

/* mask-and-sum of one row block: Yhat_jk = sum over the patterns i that hold row j of
   Z_j,ik (Z of element type T; accumulated in double) */
#define CR_MASK_SUM(NAME, T)                                                                  \
    static void NAME(const cvxrelu_solver *s, const T *Z, size_t r0, size_t nb, size_t m,     \
                     int compact, double *Yhat)                                               \
    {                                                                                         \
        const size_t c = s->c, wr = s->wr;                                                    \
        for (size_t jl = 0; jl < nb; jl++) {                                                  \
            const T *z = Z + jl * m;                                                          \
            double *yh = Yhat + (r0 + jl) * c;                                                \
            const size_t nw = compact ? s->cw : wr;                                           \
            const uint64_t *rb = compact ? s->cbits + (r0 + jl) * s->cw                       \
                                         : s->rowbits + (r0 + jl) * wr;                       \
            for (size_t w = 0; w < nw; w++) {                                                 \
                uint64_t b = rb[w];                                                           \
                if (c == 1) {                                                                 \
                    /* a byte of bits at a time: 8 products with its 0/1 row of the table \
                       (no dependent chain of single adds); the partial byte at the end   \
                       bit by bit, so that nothing past the row is read */                \
                    const T *zw = z + 64 * w;                                                 \
                    const size_t cols = m - 64 * w, full = cols >= 64 ? 8 : cols / 8;        \
                    double acc = 0.0;                                                         \
                    for (size_t q = 0; q < full; q++) {                                       \
                        const unsigned byte = (unsigned)(b >> (8 * q)) & 255u;                \
                        if (!byte) continue;                                                  \
                        const double *tb = s->bytebits[byte];                                 \
                        const T *zq = zw + 8 * q;                                             \
                        double part = 0.0;                                                    \
                        for (int t = 0; t < 8; t++) part += tb[t] * (double)zq[t];            \
                        acc += part;                                                          \
                    }                                                                         \
                    for (uint64_t rest = full < 8 ? b >> (8 * full) : 0; rest;               \
                         rest &= rest - 1)                                                    \
                        acc += (double)zw[8 * full + (size_t)__builtin_ctzll(rest)];          \
                    yh[0] += acc;                                                             \
                } else if (compact) {                                                         \
                    const T *zw = z + 64 * w;                                                 \
                    const size_t *kw = s->act_k + 64 * w;                                     \
                    for (; b; b &= b - 1) {                                                   \
                        size_t t = (size_t)__builtin_ctzll(b);                                \
                        yh[kw[t]] += (double)zw[t];                                           \
                    }                                                                         \
                } else {                                                                      \
                    const T *zw = z + 64 * w * c;                                             \
                    for (; b; b &= b - 1) {                                                   \
                        const T *zi = zw + (size_t)__builtin_ctzll(b) * c;                    \
                        for (size_t k = 0; k < c; k++) yh[k] += (double)zi[k];                \
                    }                                                                         \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
    }
CR_MASK_SUM(mask_sum_d, double)
CR_MASK_SUM(mask_sum_f, float)

void cr_forward(cvxrelu_solver *s, const double *U, double *Yhat)
{
    const size_t n = s->n;
    size_t m;
    const void *W = gemm_weights(s, U, &m);
    const int compact = m < s->m;
    memset(Yhat, 0, n * s->c * sizeof(double));
    s->matvecs++;
    if (m == 0) return;
    for (size_t r0 = 0; r0 < n; r0 += s->nb) {
        size_t nb = n - r0 < s->nb ? n - r0 : s->nb;
        /* Z = X_b U^T : nb x m, then the mask-and-sum */
        block_product(s, r0, nb, W, m);
        if (s->single_active)
            mask_sum_f(s, s->workf, r0, nb, m, compact, Yhat);
        else
            mask_sum_d(s, s->work, r0, nb, m, compact, Yhat);
    }
}

/* M_b (nb x m, element type T): row j holds R_j in the columns of the patterns that
   hold row j */
#define CR_MASK_FILL(NAME, T)                                                                 \
    static void NAME(const cvxrelu_solver *s, const double *R, size_t r0, size_t nb,          \
                     size_t m, int compact, T *M)                                             \
    {                                                                                         \
        const size_t c = s->c, P = s->P, wr = s->wr;                                          \
        for (size_t jl = 0; jl < nb; jl++) {                                                  \
            T *mrow = M + jl * m;                                                             \
            const double *r = R + (r0 + jl) * c;                                              \
            if (c == 1) { /* a byte of bits at a time from the table, the tail bit by bit */  \
                const size_t nw = compact ? s->cw : wr;                                       \
                const uint64_t *rb = compact ? s->cbits + (r0 + jl) * s->cw                   \
                                             : s->rowbits + (r0 + jl) * wr;                   \
                const double r1 = r[0];                                                       \
                for (size_t w = 0; w < nw; w++) {                                             \
                    const uint64_t b = rb[w];                                                 \
                    const size_t cols = m - 64 * w < 64 ? m - 64 * w : 64, full = cols / 8;  \
                    T *mw = mrow + 64 * w;                                                    \
                    for (size_t q = 0; q < full; q++) {                                       \
                        const double *tb = s->bytebits[(b >> (8 * q)) & 255u];                \
                        for (int t = 0; t < 8; t++) mw[8 * q + (size_t)t] = (T)(tb[t] * r1);  \
                    }                                                                         \
                    for (size_t t = 8 * full; t < cols; t++)                                  \
                        mw[t] = (T)((double)((b >> t) & 1u) * r1);                            \
                }                                                                             \
                continue;                                                                     \
            }                                                                                 \
            if (compact) {                                                                    \
                const uint64_t *cb = s->cbits + (r0 + jl) * s->cw;                            \
                const size_t *ak = s->act_k;                                                  \
                for (size_t a = 0; a < m; a++)                                                \
                    mrow[a] = (T)((double)((cb[a / 64] >> (a % 64)) & 1u) * r[ak[a]]);        \
                continue;                                                                     \
            }                                                                                 \
            const uint64_t *rb = s->rowbits + (r0 + jl) * wr;                                 \
            for (size_t w = 0; w < wr; w++) {                                                 \
                const uint64_t b = rb[w];                                                     \
                const size_t lim = P - 64 * w < 64 ? P - 64 * w : 64;                         \
                T *mw = mrow + 64 * w * c;                                                    \
                if (c == 1) {                                                                 \
                    const T r1 = (T)r[0];                                                     \
                    for (size_t t = 0; t < lim; t++) mw[t] = (T)((b >> t) & 1u) * r1;         \
                } else {                                                                      \
                    for (size_t t = 0; t < lim; t++) {                                        \
                        const T on = (T)((b >> t) & 1u);                                      \
                        for (size_t k = 0; k < c; k++) mw[t * c + k] = on * (T)r[k];          \
                    }                                                                         \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
    }
CR_MASK_FILL(mask_fill_d, double)
CR_MASK_FILL(mask_fill_f, float)

void cr_backward(cvxrelu_solver *s, const double *R, double *G)
{
    const size_t n = s->n, d = s->d;
    const int compact = s->live && s->ma < s->m, single = s->single_active;
    const size_t m = compact ? s->ma : s->m;
    double *Gout = compact ? s->Ga : G;
    if (compact) memset(G, 0, s->m * d * sizeof(double));
    s->matvecs++;
    if (m == 0) return;
    for (size_t r0 = 0; r0 < n; r0 += s->nb) {
        size_t nb = n - r0 < s->nb ? n - r0 : s->nb;
        if (single)
            mask_fill_f(s, R, r0, nb, m, compact, s->workf);
        else
            mask_fill_d(s, R, r0, nb, m, compact, s->work);
        double t0 = cr_now();
        /* G (+)= M_b^T X_b : m x d */
        if (single) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m, (int)d, (int)nb, 1.0f,
                        s->workf, (int)m, s->Xf + r0 * d, (int)d, r0 == 0 ? 0.0f : 1.0f, s->Gf,
                        (int)d);
        } else {
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m, (int)d, (int)nb, 1.0,
                        s->work, (int)m, s->X + r0 * d, (int)d, r0 == 0 ? 0.0 : 1.0, Gout, (int)d);
        }
        s->gemm_time += cr_now() - t0;
    }
    if (single)
        for (size_t i = 0; i < m * d; i++) Gout[i] = (double)s->Gf[i];
    if (compact)
        for (size_t a = 0; a < m; a++) memcpy(G + s->act[a] * d, s->Ga + a * d, d * sizeof(double));
}

void cr_live_rebuild(cvxrelu_solver *s)
{
    size_t ma = 0;
    for (size_t g = 0; g < s->m; g++) {
        if (s->live[g] == 1) {
            size_t i = g / s->c;
            s->act_word[ma] = i / 64;
            s->act_mask[ma] = (uint64_t)1 << (i % 64);
            s->act_k[ma] = g % s->c;
            s->act[ma++] = g;
        }
    }
    s->ma = ma;
    /* the live columns' pattern bits, transposed per row like rowbits */
    s->cw = (ma + 63) / 64;
    if (ma == s->m) return; /* the full kernels use rowbits */
    for (size_t j = 0; j < s->n; j++) {
        const uint64_t *rb = s->rowbits + j * s->wr;
        uint64_t *cb = s->cbits + j * s->cw;
        memset(cb, 0, s->cw * sizeof(uint64_t));
        for (size_t a = 0; a < ma; a++)
            if (rb[s->act_word[a]] & s->act_mask[a]) cb[a / 64] |= (uint64_t)1 << (a % 64);
    }
}

size_t cr_screen(cvxrelu_solver *s, const double *G, double scale, double gap, int *touched)
{
    if (!s->live || !(gap >= 0.0) || !isfinite(gap)) return 0;
    const size_t d = s->d, c = s->c;
    const double r = sqrt(2.0 * gap / s->N), lam = s->set.lambda;
    /* a margin for rounding in the gradient: float products are far less exact */
    const double margin = s->single_active ? 1e-3 : 1e-9;
    size_t cnt = 0;
    for (size_t g = 0; g < s->m; g++) {
        if (s->live[g] == 2) continue;
        double th = scale * cblas_dnrm2((int)d, G + g * d, 1);
        if (th + r * s->patnorm[g / c] < lam * (1.0 - margin)) {
            s->live[g] = 2;
            for (size_t k = 0; k < d && !*touched; k++) *touched = s->U[g * d + k] != 0.0;
            memset(s->U + g * d, 0, d * sizeof(double));
            cnt++;
        }
    }
    if (cnt) cr_live_rebuild(s);
    s->screened += cnt;
    return cnt;
}

void cr_unscreen(cvxrelu_solver *s)
{
    if (!s->live) return;
    memset(s->live, 1, s->m);
    cr_live_rebuild(s);
}

double cr_max_group_norm(const double *G, size_t m, size_t d)
{
    double best = 0.0;
    for (size_t g = 0; g < m; g++) {
        double v = cblas_dnrm2((int)d, G + g * d, 1);
        if (v > best) best = v;
    }
    return best;
}

double cr_group_norm_sum(const double *U, size_t m, size_t d, size_t *active)
{
    double sum = 0.0;
    size_t a = 0;
    for (size_t g = 0; g < m; g++) {
        double v = cblas_dnrm2((int)d, U + g * d, 1);
        sum += v;
        a += v > 0.0;
    }
    if (active) *active = a;
    return sum;
}

double cr_dual_value(const double *R, const double *Y, size_t N, double gmax, double lambda)
{
    /* Theta = -alpha R / N with alpha = min(1, lambda N / gmax):
       D = <Theta, Y> - (N/2)||Theta||^2 */
    double Nd = (double)N;
    double alpha = 1.0;
    if (gmax > 0.0 && lambda * Nd < gmax) alpha = lambda * Nd / gmax;
    double ry = 0.0, rr = 0.0;
    for (size_t i = 0; i < N; i++) {
        ry += R[i] * Y[i];
        rr += R[i] * R[i];
    }
    return -alpha * ry / Nd - alpha * alpha * rr / (2.0 * Nd);
}

void cvxrelu_prox_group(double *u, size_t m, double t_lambda)
{
    double nrm = cblas_dnrm2((int)m, u, 1);
    double f = nrm > t_lambda ? 1.0 - t_lambda / nrm : 0.0;
    if (f == 0.0)
        memset(u, 0, m * sizeof(double));
    else
        cblas_dscal((int)m, f, u, 1);
}

/* sum_i w_i a_i b_i over rows of length d (w NULL: all ones) */
static double metric_dot(const double *a1, const double *a0, const double *b1, const double *b0,
                         size_t md, const double *w, size_t d)
{
    double acc = 0.0;
    if (!w) {
        for (size_t i = 0; i < md; i++) acc += (a1[i] - a0[i]) * (b1[i] - b0[i]);
        return acc;
    }
    for (size_t r = 0; r < md; r += d)
        for (size_t j = 0; j < d; j++)
            acc += w[j] * (a1[r + j] - a0[r + j]) * (b1[r + j] - b0[r + j]);
    return acc;
}

double cr_step_ratio(const double *Ynew, const double *Yv, size_t nc, const double *Unew,
                     const double *V, size_t md, double t, double N, const double *metric,
                     size_t d)
{
    double curv = 0.0;
    for (size_t i = 0; i < nc; i++) curv += (Ynew[i] - Yv[i]) * (Ynew[i] - Yv[i]);
    double quad = metric_dot(Unew, V, Unew, V, md, metric, d);
    return quad > 0.0 ? t * curv / (N * quad) : 0.0;
}

int cr_fista_momentum(const double *U, const double *Unew, const double *V, size_t md,
                      double *beta, double *mom, const double *metric, size_t d)
{
    double rs = metric_dot(Unew, U, V, Unew, md, metric, d);
    if (rs > 0.0) {
        *mom = 1.0;
        *beta = 0.0;
        return 1;
    }
    double mom_next = 0.5 * (1.0 + sqrt(1.0 + 4.0 * *mom * *mom));
    *beta = (*mom - 1.0) / mom_next;
    *mom = mom_next;
    return 0;
}

/* ---------------------------------------------------------- the object */

/* Rows per block of the products: the block workspace (nb x m) holds at most 8 M
   doubles and at most 1/16 of X's size, so that it stays small beside X, and at most
   8192 rows, but at least 256 rows, so that every GEMM has work enough. */
static size_t block_rows(size_t n, size_t d, size_t m)
{
    size_t budget = n / 16 * d;
    if (budget > ((size_t)8 << 20)) budget = (size_t)8 << 20;
    size_t nb = budget / (m ? m : 1);
    if (nb > 8192) nb = 8192; /* longer blocks make OpenBLAS touch more of its buffers */
    if (nb < 256) nb = 256;
    if (nb > n) nb = n;
    return nb;
}

cvxrelu_status cvxrelu_solver_new(const double *X, size_t n, size_t d, const double *Y,
                                  size_t c, const cvxrelu_patterns *patterns,
                                  const cvxrelu_settings *settings, cvxrelu_solver **out,
                                  cvxrelu_error *err)
{
    *out = NULL;
    if (!X || !Y || !patterns || n == 0 || d == 0 || c == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID, "solver: X, Y and patterns are required");
    if (patterns->n != n || patterns->d != d)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "solver: patterns were built for %zu x %zu data, X is %zu x %zu",
                       patterns->n, patterns->d, n, d);
    cvxrelu_settings def;
    if (!settings) {
        cvxrelu_settings_default(&def);
        settings = &def;
    }
    if (!(settings->lambda >= 0.0) || !isfinite(settings->lambda))
        return cr_fail(err, CVXRELU_ERR_INVALID, "solver: lambda must be a finite number >= 0");
    if (!(settings->eps_gap > 0.0))
        return cr_fail(err, CVXRELU_ERR_INVALID, "solver: eps_gap must be > 0");
    const cr_solver_type *type = solver_type(settings->solver);
    if (!type) return cr_fail(err, CVXRELU_ERR_INVALID, "solver: unknown solver kind");
    size_t m, md, nc;
    const size_t per_group = settings->solver == CVXRELU_SOLVER_RELU ? 2 : 1;
    if (cr_mul_ok(patterns->P, c, &m) || cr_mul_ok(m, per_group, &m) || cr_mul_ok(m, d, &md) || cr_mul_ok(n, c, &nc) ||
        m > (size_t)INT32_MAX || n > (size_t)INT32_MAX || d > (size_t)INT32_MAX)
        return cr_fail(err, CVXRELU_ERR_INVALID, "solver: problem dimensions overflow");
    /* squares of entries beyond 1e150 overflow: refuse rather than return NaN */
    for (size_t i = 0; i < nc; i++)
        if (!isfinite(Y[i]) || fabs(Y[i]) > 1e150)
            return cr_fail(err, CVXRELU_ERR_NUMERIC,
                           "solver: target %zu is %g: targets must be finite and below 1e150 in "
                           "magnitude (rescale them)", i / c + 1, Y[i]);
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i]) || fabs(X[i]) > 1e150)
            return cr_fail(err, CVXRELU_ERR_NUMERIC,
                           "solver: feature %zu of row %zu is %g: features must be finite and "
                           "below 1e150 in magnitude (standardize them)", i % d + 1, i / d + 1, X[i]);

    cvxrelu_solver *s = calloc(1, sizeof *s);
    if (!s) goto fail;
    s->X = X;
    s->n = n;
    s->d = d;
    s->Y = Y;
    s->c = c;
    s->pat = patterns;
    s->P = patterns->P;
    s->m = m;
    s->N = (double)nc;
    s->set = *settings;
    s->type = type;
    s->lambda_max = -1.0;
    s->kept_lambda = NAN;
    size_t nb = block_rows(n, d, m);
    s->nb = nb;
    s->U = cr_calloc(md, sizeof(double));
    s->work = cr_malloc(nb, m * sizeof(double));
    s->wr = (s->P + 63) / 64;
    for (unsigned byte = 0; byte < 256; byte++)
        for (unsigned t = 0; t < 8; t++) s->bytebits[byte][t] = (double)((byte >> t) & 1u);
    s->rowbits = cr_calloc(n, s->wr * sizeof(uint64_t));
    if (!s->U || !s->work || !s->rowbits) goto fail;
    for (size_t i = 0; i < s->P; i++) {
        const uint64_t *pb = patterns->bits + i * patterns->words_per_pattern;
        for (size_t j = 0; j < n; j++)
            if ((pb[j / 64] >> (j % 64)) & 1u) s->rowbits[j * s->wr + i / 64] |= (uint64_t)1 << (i % 64);
    }
    const int gated = settings->solver == CVXRELU_SOLVER_RFISTA;
    if (gated && settings->single_precision) {
        s->Xf = cr_malloc(n, d * sizeof(float));
        s->Uf = cr_malloc(md, sizeof(float));
        s->Gf = cr_malloc(md, sizeof(float));
        s->workf = cr_malloc(nb, m * sizeof(float));
        if (!s->Xf || !s->Uf || !s->Gf || !s->workf) goto fail;
        for (size_t i = 0; i < n * d; i++) s->Xf[i] = (float)X[i];
        s->single_active = 1;
    }
    if (gated && settings->screening) {
        s->live = cr_malloc(m ? m : 1, 1);
        s->act = cr_malloc(m ? m : 1, sizeof(size_t));
        s->act_word = cr_malloc(m ? m : 1, sizeof(size_t));
        s->act_k = cr_malloc(m ? m : 1, sizeof(size_t));
        s->act_mask = cr_malloc(m ? m : 1, sizeof(uint64_t));
        s->cbits = cr_malloc(n, ((m + 63) / 64) * sizeof(uint64_t));
        s->Ua = cr_malloc(md ? md : 1, sizeof(double));
        s->Ga = cr_malloc(md ? md : 1, sizeof(double));
        s->patnorm = cr_calloc(s->P ? s->P : 1, sizeof(double));
        if (!s->live || !s->act || !s->act_word || !s->act_k || !s->act_mask || !s->cbits || !s->Ua ||
            !s->Ga || !s->patnorm)
            goto fail;
        cr_unscreen(s);
        for (size_t j = 0; j < n; j++) {
            double xn = cblas_ddot((int)d, X + j * d, 1, X + j * d, 1);
            const uint64_t *rb = s->rowbits + j * s->wr;
            for (size_t i = 0; i < s->P; i++)
                if ((rb[i / 64] >> (i % 64)) & 1u) s->patnorm[i] += xn;
        }
        for (size_t i = 0; i < s->P; i++) s->patnorm[i] = sqrt(s->patnorm[i]) * (1.0 + 1e-12);
    }
    *out = s;
    return CVXRELU_OK;
fail:
    cvxrelu_solver_free(s);
    return cr_fail(err, CVXRELU_ERR_NOMEM, "solver: out of memory (P=%zu, c=%zu, d=%zu)",
                   patterns->P, c, d);
}

void cvxrelu_solver_free(cvxrelu_solver *s)
{
    if (!s) return;
    free(s->U);
    free(s->work);
    free(s->rowbits);
    free(s->Xf);
    free(s->Uf);
    free(s->Gf);
    free(s->workf);
    free(s->live);
    free(s->act);
    free(s->act_word);
    free(s->act_k);
    free(s->act_mask);
    free(s->cbits);
    free(s->Ua);
    free(s->Ga);
    free(s->patnorm);
    free(s->pq);
    free(s->ps);
    free(s);
}

cvxrelu_status cvxrelu_solver_set_lambda(cvxrelu_solver *s, double lambda)
{
    if (!s || !(lambda >= 0.0) || !isfinite(lambda)) return CVXRELU_ERR_INVALID;
    s->set.lambda = lambda;
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_solver_set_weights(cvxrelu_solver *s, const double *U)
{
    if (!s || !U) return CVXRELU_ERR_INVALID;
    for (size_t i = 0; i < s->m * s->d; i++)
        if (!isfinite(U[i])) return CVXRELU_ERR_NUMERIC;
    memcpy(s->U, U, s->m * s->d * sizeof(double));
    return CVXRELU_OK;
}

const double *cvxrelu_solver_weights(const cvxrelu_solver *s) { return s ? s->U : NULL; }

cvxrelu_status cvxrelu_solver_predict_train(const cvxrelu_solver *s, double *Yhat)
{
    if (!s || !Yhat) return CVXRELU_ERR_INVALID;
    /* the kernels only touch the workspace and counters */
    if (s->set.solver == CVXRELU_SOLVER_RELU) {
        cr_relu_predict((cvxrelu_solver *)s, Yhat);
        return CVXRELU_OK;
    }
    cvxrelu_solver *w = (cvxrelu_solver *)s;
    const int single = w->single_active;
    w->single_active = 0;
    cr_forward(w, s->U, Yhat);
    w->single_active = single;
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_solver_gradient(const cvxrelu_solver *s_, double *G, double *obj)
{
    cvxrelu_solver *s = (cvxrelu_solver *)s_;
    if (!s || !G) return CVXRELU_ERR_INVALID;
    if (s->set.solver != CVXRELU_SOLVER_RFISTA) return CVXRELU_ERR_UNSUPPORTED;
    size_t nc = s->n * s->c;
    double *R = cr_malloc(nc, sizeof(double));
    if (!R) return CVXRELU_ERR_NOMEM;
    const size_t ma = s->ma;
    const int single = s->single_active;
    s->ma = s->m; /* every group, in double */
    s->single_active = 0;
    cr_forward(s, s->U, R);
    double loss = 0.0;
    for (size_t i = 0; i < nc; i++) {
        R[i] -= s->Y[i];
        loss += R[i] * R[i];
    }
    cr_backward(s, R, G);
    s->ma = ma;
    s->single_active = single;
    cblas_dscal((int)(s->m * s->d), 1.0 / s->N, G, 1);
    if (obj)
        *obj = loss / (2.0 * s->N) + s->set.lambda * cr_group_norm_sum(s->U, s->m, s->d, NULL);
    free(R);
    return CVXRELU_OK;
}

/* a*b + c with overflow saturating to SIZE_MAX */
static size_t sat_muladd(size_t a, size_t b, size_t c)
{
    size_t p;
    if (cr_mul_ok(a, b, &p) || p > SIZE_MAX - c) return SIZE_MAX;
    return p + c;
}

size_t cvxrelu_solver_memory(size_t n, size_t d, size_t c, size_t P, cvxrelu_solver_kind kind)
{
    const size_t per = kind == CVXRELU_SOLVER_RELU ? 2 : 1;
    size_t m, md, nc;
    if (cr_mul_ok(P, c * per, &m) || cr_mul_ok(m, d, &md) || cr_mul_ok(n, c, &nc)) return SIZE_MAX;
    size_t doubles = 0;
    if (kind == CVXRELU_SOLVER_RELU) {
        /* U + 5 (m x d), 4 (m x n) products, 5 (n x c), signs P x n, active sets 2 (m x d) */
        doubles = sat_muladd(md, 8, 0);
        doubles = sat_muladd(m, 4 * n, doubles);
        doubles = sat_muladd(nc, 5, doubles);
        doubles = sat_muladd(P, n, doubles);
    } else {
        /* U + 4 (m x d) + 4 (m x d), one row block of nb x m, 5 (n x c), and the
           d x d metric with its eigenvalues only where src/precond.c may build it
           (a 500 x 60000 sparse file was refused as 27 GiB for a metric never made) */
        size_t nb = block_rows(n, d, m);
        doubles = sat_muladd(md, 9, 0);
        if (d >= 2 && d <= n && d <= CVXRELU_PRECOND_MAX_D) doubles = sat_muladd(d, d + 1, doubles);
        doubles = sat_muladd(nb, m, doubles);
        doubles = sat_muladd(nc, 5, doubles);
    }
    size_t words = sat_muladd(n, (P + 63) / 64, 0); /* transposed pattern bits */
    size_t total = sat_muladd(doubles, sizeof(double), 0);
    return sat_muladd(words, sizeof(uint64_t), total);
}

double cvxrelu_lambda_max(const double *X, size_t n, size_t d, const double *Y, size_t c,
                          const cvxrelu_patterns *patterns)
{
    cvxrelu_solver *s;
    if (cvxrelu_solver_new(X, n, d, Y, c, patterns, NULL, &s, NULL)) return NAN;
    double *G = cr_malloc(s->m, d * sizeof(double));
    double lm = NAN;
    if (G) {
        cr_backward(s, Y, G);
        lm = cr_max_group_norm(G, s->m, d) / s->N;
    }
    free(G);
    cvxrelu_solver_free(s);
    return lm;
}

/* ------------------------------------------------------------ the driver */

cvxrelu_status cvxrelu_solver_solve(cvxrelu_solver *s, cvxrelu_result *res,
                                    cvxrelu_error *err)
{
    if (!s || !res) return cr_fail(err, CVXRELU_ERR_INVALID, "solve: missing argument");
    memset(res, 0, sizeof *res);
    if (!s->set.warm_start) memset(s->U, 0, s->m * s->d * sizeof(double));
    cr_loop *loop = &s->loop;
    cr_loop_start(loop, s->set.interrupt, s->set.time_limit_s, s->set.max_iter);
    s->matvecs = 0;
    s->gemm_time = 0.0;
    s->stopped = 0;
    void *state = NULL;
    cvxrelu_iterate_info info;
    memset(&info, 0, sizeof info);
    cvxrelu_status st = s->type->init(s, &state, &info);
    if (st) return cr_fail(err, st, "solve: %s", cvxrelu_status_string(st));
    info.time_s = cr_loop_elapsed(loop);
    if (s->set.callback) s->set.callback(&info, s->set.callback_data);

    cvxrelu_exit ex = CVXRELU_EXIT_MAX_ITER;
    size_t it = 0;
    const double eps = s->set.eps_gap;
    if (s->stopped) {
        ex = (cvxrelu_exit)s->stopped; /* the start itself was cut short */
    } else if (!info.uncertified && info.gap <= eps * fmax(1.0, fabs(info.objective))) {
        ex = CVXRELU_EXIT_CONVERGED;
    } else {
        int why;
        while (!(why = cr_loop_next(loop))) {
            it = loop->iter;
            int stalled = 0;
            st = s->type->iterate(s, state, &info, &stalled);
            if (st) {
                s->type->free(state);
                return cr_fail(err, st, "solve: iteration %zu: %s", it,
                               cvxrelu_status_string(st));
            }
            if (s->stopped) { /* cut short inside the iteration: the iterate is unchanged */
                cr_loop_abandon(loop, s->stopped);
                ex = (cvxrelu_exit)s->stopped;
                break;
            }
            info.iter = it;
            info.time_s = cr_loop_elapsed(loop);
            if (s->set.callback) s->set.callback(&info, s->set.callback_data);
            if (!isfinite(info.objective)) {
                s->type->free(state);
                return cr_fail(err, CVXRELU_ERR_NUMERIC,
                               "solve: objective became %g at iteration %zu", info.objective, it);
            }
            if (!info.uncertified && info.gap <= eps * fmax(1.0, fabs(info.objective))) {
                ex = CVXRELU_EXIT_CONVERGED;
                break;
            }
            if (stalled) {
                ex = CVXRELU_EXIT_STALLED;
                break;
            }
        }
        if (why) ex = (cvxrelu_exit)why; /* the iteration limit or a stop request */
        it = loop->iter;
    }
    if (ex == CVXRELU_EXIT_INTERRUPTED || ex == CVXRELU_EXIT_TIME_LIMIT) s->stopped = (int)ex;
    st = s->type->finish(s, state, res);
    s->type->free(state);
    if (st) return cr_fail(err, st, "solve: %s", cvxrelu_status_string(st));
    res->exit = ex;
    res->iterations = it;
    res->matvecs = s->matvecs;
    res->screened = s->screened;
    res->gemm_time_s = s->gemm_time;
    res->solve_time_s = cr_loop_elapsed(loop);
    /* the final, exact certificate may prove convergence the running one missed */
    if (ex != CVXRELU_EXIT_CONVERGED && res->gap <= eps * fmax(1.0, fabs(res->objective)) &&
        ex != CVXRELU_EXIT_INTERRUPTED && ex != CVXRELU_EXIT_TIME_LIMIT)
        res->exit = CVXRELU_EXIT_CONVERGED;
    return CVXRELU_OK;
}
