/* The kernels of the two two-layer programs (docs/algorithms.md, "The solver:
   R-FISTA"): products with the masked data D_i X, group norms, the dual value,
   screening bookkeeping and the R-FISTA step bookkeeping shared by the solvers. */
#include "two_layer.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------ kernels */

size_t cr_block_rows(size_t n, size_t d, size_t m)
{
    size_t budget = n / 16 * d;
    if (budget > ((size_t)8 << 20)) budget = (size_t)8 << 20;
    size_t nb = budget / (m ? m : 1);
    if (nb > 8192) nb = 8192; /* longer blocks make OpenBLAS touch more of its buffers */
    if (nb < 256) nb = 256;
    if (nb > n) nb = n;
    return nb;
}

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

double cr_sq_dual_at(const double *R, const double *Y, size_t N, double alpha)
{
    /* Theta = -alpha R / N: D = <Theta, Y> - (N/2)||Theta||^2 */
    const double Nd = (double)N;
    double ry = 0.0, rr = 0.0;
    for (size_t i = 0; i < N; i++) {
        ry += R[i] * Y[i];
        rr += R[i] * R[i];
    }
    return -alpha * ry / Nd - alpha * alpha * rr / (2.0 * Nd);
}

double cr_dual_value(const double *R, const double *Y, size_t N, double gmax, double lambda)
{
    /* alpha = min(1, lambda N / gmax) */
    double Nd = (double)N;
    double alpha = 1.0;
    if (gmax > 0.0 && lambda * Nd < gmax) alpha = lambda * Nd / gmax;
    return cr_sq_dual_at(R, Y, N, alpha);
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
                     size_t d, double *quad_out)
{
    double curv = 0.0;
    for (size_t i = 0; i < nc; i++) curv += (Ynew[i] - Yv[i]) * (Ynew[i] - Yv[i]);
    double quad = metric_dot(Unew, V, Unew, V, md, metric, d);
    if (quad_out) *quad_out = quad;
    return quad > 0.0 ? t * curv / (N * quad) : 0.0;
}

double cr_step_ratio_loss(cvxrelu_loss loss, double ratio, double fnew, double fv,
                          const double *Rv, const double *Ynew, const double *Yv, size_t nc,
                          double t, double N, double quad)
{
    /* squared loss: the quadratic model is exact */
    if (loss == CVXRELU_LOSS_SQUARED || !(quad > 0.0)) return ratio;
    /* the loss's own curvature along the step: its Bregman distance
       f(Ynew) - f(Yv) - <f'(Yv), Ynew - Yv>; where rounding of the three terms could
       account for it, the values cannot tell, and the quadratic model decides alone
       (near the optimum, so that rounding never lets the step grow unchecked) */
    double lin = 0.0, scale = 0.0;
    for (size_t i = 0; i < nc; i++) {
        lin += Rv[i] * (Ynew[i] - Yv[i]);
        scale += fabs(Rv[i] * (Ynew[i] - Yv[i]));
    }
    lin /= N;
    const double brg = fnew - fv - lin;
    if (!(brg > 64.0 * DBL_EPSILON * (fabs(fnew) + fabs(fv) + scale / N))) return ratio;
    const double fn = 2.0 * t * brg / quad;
    return fn < ratio ? fn : ratio; /* either test suffices: the smaller */
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

