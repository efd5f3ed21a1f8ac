/*
 * Local (non-convex) training of the three-layer parallel network (docs/algorithms.md, "Three-layer parallel networks",
 * [EP21]): full-batch GD, minibatch SGD and Adam on
 *     (1/(2N)) ||f(X) - Y||^2 + (lambda/2) sum_j (||W2_j||^2 + a_j^2)
 * with ||W1_j||_F <= 1 kept by projection after every update, and the
 * activation-pattern statistics of the first-layer neurons against their
 * initial patterns.  This file holds the network's kernels; the optimizer
 * loop and the statistics are those of the two-layer trainer
 * (common.c).  The big products are GEMMs over blocks of rows; the
 * scalar loops touch only rows x neurons.
 */
#include "local.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* Network shape and the block workspace. */
typedef struct {
    size_t d, c, K, width1;
    size_t S;    /* sub-networks, c K */
    size_t M;    /* first-layer neurons, S width1 */
    size_t nb;   /* rows per block of a full-data pass */
    double *Z;   /* rows x M: first-layer pre-activations, then the back-propagated signal */
    double *Z2;  /* rows x S: second-layer pre-activations */
    double *R;   /* rows x c: residuals */
} net3;

/*
 * One block of `rows` rows at theta = [W1 (M x d); W2 (S x width1); a (S)]:
 * Z = Xb W1^T, Z2_rj = sum_l W2_jl (Z_{r,j width1 + l})_+, R = f - Yb; returns
 * ||R||^2.  With grad = [gW1; gW2; ga], adds gscale times the gradient of
 * (1/2)||R||^2: with e_rj = gscale R_{r,k(j)} and
 * delta_rj = e_rj a_j 1[Z2_rj > 0],
 *     ga_j += sum_r e_rj (Z2_rj)_+,   gW2_jl += sum_r delta_rj (Z_{r,jl})_+,
 *     gW1 += G^T Xb,  G_{r,jl} = delta_rj W2_jl 1[Z_{r,jl} > 0]
 * (G overwrites Z).  Without grad, Z keeps the pre-activations.
 */
static double block_pass(const void *p, const double *Xb, const double *Yb, size_t rows,
                         const double *theta, double gscale, double *grad)
{
    const net3 *nt = p;
    const size_t d = nt->d, c = nt->c, K = nt->K, w1 = nt->width1, S = nt->S, M = nt->M;
    const double *W1 = theta, *W2 = W1 + M * d, *a = W2 + M;
    double *Z = nt->Z, *Z2 = nt->Z2, *R = nt->R;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)M, (int)d, 1.0, Xb,
                (int)d, W1, (int)d, 0.0, Z, (int)M);
    double sq = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const double *z = Z + r * M;
        double *z2 = Z2 + r * S;
        for (size_t j = 0; j < S; j++) {
            double t = 0.0;
            for (size_t l = 0; l < w1; l++)
                if (z[j * w1 + l] > 0.0) t += W2[j * w1 + l] * z[j * w1 + l];
            z2[j] = t;
        }
        for (size_t k = 0; k < c; k++) {
            double f = 0.0;
            for (size_t j = k * K; j < (k + 1) * K; j++)
                if (z2[j] > 0.0) f += a[j] * z2[j];
            double e = f - Yb[r * c + k];
            R[r * c + k] = e;
            sq += e * e;
        }
    }
    if (!grad) return sq;
    double *gW1 = grad, *gW2 = gW1 + M * d, *ga = gW2 + M;
    for (size_t r = 0; r < rows; r++) {
        double *z = Z + r * M;
        const double *z2 = Z2 + r * S;
        for (size_t j = 0; j < S; j++) {
            double *zj = z + j * w1;
            if (!(z2[j] > 0.0)) {
                memset(zj, 0, w1 * sizeof(double));
                continue;
            }
            const double e = gscale * R[r * c + j / K], delta = e * a[j];
            const double *w2 = W2 + j * w1;
            double *g2 = gW2 + j * w1;
            ga[j] += e * z2[j];
            for (size_t l = 0; l < w1; l++) {
                if (zj[l] > 0.0) {
                    g2[l] += delta * zj[l];
                    zj[l] = delta * w2[l];
                } else {
                    zj[l] = 0.0;
                }
            }
        }
    }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)M, (int)d, (int)rows, 1.0, Z,
                (int)M, Xb, (int)d, 1.0, gW1, (int)d);
    return sq;
}

/*
 * The initial point of the header: each W1_j uniform on the unit sphere of
 * R^{width1 x d} (a normalized Gaussian block) times min(init_scale, 1),
 * W2 ~ N(0, init_scale^2 / width1), a ~ N(0, init_scale^2 / K); drawn in
 * that order (all of W1 block by block, then W2 row by row, then a).
 */
static void init_weights(const void *p, double init_scale, cr_rng *rng, double *theta)
{
    const net3 *nt = p;
    const size_t blk = nt->width1 * nt->d;
    double *W1 = theta, *W2 = W1 + nt->M * nt->d, *a = W2 + nt->M;
    const double r1 = init_scale < 1.0 ? init_scale : 1.0;
    const double s2 = init_scale / sqrt((double)nt->width1), sa = init_scale / sqrt((double)nt->K);
    for (size_t j = 0; j < nt->S; j++) {
        double *w = W1 + j * blk;
        for (size_t i = 0; i < blk; i++) w[i] = cr_rng_normal(rng);
        double nrm = cblas_dnrm2((int)blk, w, 1);
        /* nrm == 0 has probability zero; the block then stays at the origin */
        double f = nrm > 0.0 ? r1 / nrm : 0.0;
        for (size_t i = 0; i < blk; i++) w[i] *= f;
    }
    for (size_t i = 0; i < nt->M; i++) W2[i] = s2 * cr_rng_normal(rng);
    for (size_t j = 0; j < nt->S; j++) a[j] = sa * cr_rng_normal(rng);
}

/* Scale each sub-network's width1 x d block of W1 (the head of theta) onto
   the unit Frobenius ball when it lies outside. */
static void project_W1(const void *p, double *theta)
{
    const net3 *nt = p;
    const size_t blk = nt->width1 * nt->d;
    for (size_t j = 0; j < nt->S; j++) {
        double *w = theta + j * blk;
        double nrm = cblas_dnrm2((int)blk, w, 1);
        if (nrm > 1.0) cblas_dscal((int)blk, 1.0 / nrm, w, 1);
    }
}

static net3 net3_shape(size_t n, size_t d, size_t c, size_t K, size_t width1)
{
    net3 nt;
    memset(&nt, 0, sizeof nt);
    nt.d = d;
    nt.c = c;
    nt.K = K;
    nt.width1 = width1;
    nt.S = c * K;
    nt.M = nt.S * width1;
    nt.nb = cr_local_block_rows(n, nt.M + nt.S + c);
    return nt;
}

/* The network for the shared kernels and optimizer: the weight decay covers
   W2 and a (the last M + S entries of theta), the patterns are those of the
   M first-layer neurons, W1 is projected after every update. */
static cr_local_net as_local_net(const net3 *nt)
{
    cr_local_net ln = {.net = nt, .name = "local3", .d = nt->d, .c = nt->c, .nb = nt->nb,
                       .P = nt->M * (nt->d + 1) + nt->S, .decay_from = nt->M * nt->d,
                       .neurons = nt->M, .Z = nt->Z, .block = block_pass,
                       .init = init_weights, .project = project_W1};
    return ln;
}

cvxrelu_status cr_local3_objective_grad(const double *X, const double *Y, size_t n, size_t d,
                                        size_t c, size_t K, size_t width1, const double *W1,
                                        const double *W2, const double *a, double lambda,
                                        double *gW1, double *gW2, double *ga, double *loss,
                                        double *penalty)
{
    net3 nt = net3_shape(n, d, c, K, width1);
    const size_t M = nt.M, S = nt.S;
    nt.Z = cr_malloc(nt.nb, M * sizeof(double));
    nt.Z2 = cr_malloc(nt.nb, S * sizeof(double));
    nt.R = cr_malloc(nt.nb, c * sizeof(double));
    cvxrelu_status st = CVXRELU_ERR_NOMEM;
    if (nt.Z && nt.Z2 && nt.R) {
        const cr_local_net ln = as_local_net(&nt);
        const double *const part[3] = {W1, W2, a};
        double *const gpart[3] = {gW1, gW2, ga};
        const size_t len[3] = {M * d, M, S};
        st = cr_local_objective_parts(&ln, X, Y, n, part, gW1 ? gpart : NULL, len, 3, lambda,
                                      loss, penalty);
    }
    free(nt.Z);
    free(nt.Z2);
    free(nt.R);
    return st;
}

cvxrelu_status cvxrelu_local3_train(const cvxrelu_problem *pb, size_t K, size_t width1,
                                    const cvxrelu_local_settings *s, double **W1_out,
                                    double **W2_out, double **a_out, cvxrelu_local_result *res,
                                    cvxrelu_error *err)
{
    if (W1_out) *W1_out = NULL;
    if (W2_out) *W2_out = NULL;
    if (a_out) *a_out = NULL;
    if (res) memset(res, 0, sizeof *res);
    if (!pb || !pb->X || !pb->Y || !W1_out || !W2_out || !a_out || !res)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local3: the problem (X, Y), W1_out, W2_out, a_out and res are required");
    const double *X = pb->X, *Y = pb->Y;
    size_t n = pb->n, d = pb->d, c = pb->c;
    if (n == 0 || d == 0 || c == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local3: empty problem (n=%zu, d=%zu, c=%zu): each must be >= 1", n, d,
                       c);
    if (K == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local3: K must be >= 1 sub-network per output");
    if (width1 == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local3: width1 must be >= 1 first-layer neuron per sub-network");
    cvxrelu_local_settings def;
    if (!s) {
        cvxrelu_local_settings_default(&def);
        s = &def;
    }
    cvxrelu_status st = cr_local_check_settings(s, "local3", 0, err);
    if (st) return st;
    /* P = M (d + 1) + S <= M (d + 2): every count below fits an int for BLAS */
    size_t S, M, Md, nc, nd, Pmax;
    if (cr_mul_ok(c, K, &S) || cr_mul_ok(S, width1, &M) || cr_mul_ok(M, d, &Md) ||
        cr_mul_ok(n, c, &nc) || cr_mul_ok(n, d, &nd) || d > (size_t)INT32_MAX - 2 ||
        cr_mul_ok(M, d + 2, &Pmax) || Pmax > (size_t)INT32_MAX || n > (size_t)INT32_MAX)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local3: problem dimensions overflow (n=%zu, d=%zu, c=%zu, K=%zu, "
                       "width1=%zu)", n, d, c, K, width1);
    st = cr_local_check_data(X, Y, n, d, c, "local3", err);
    if (st) return st;

    const size_t b = cr_local_minibatch(s, n);
    cr_loop loop; /* one iteration per step, from here (the setup counts) */
    cr_loop_start(&loop, s->interrupt, s->time_limit_s, s->steps);
    net3 nt = net3_shape(n, d, c, K, width1);
    const size_t wrows = b > nt.nb ? b : nt.nb; /* a minibatch may exceed a block */
    nt.Z = cr_malloc(wrows, M * sizeof(double));
    nt.Z2 = cr_malloc(wrows, S * sizeof(double));
    nt.R = cr_malloc(wrows, c * sizeof(double));
    st = CVXRELU_ERR_NOMEM;
    if (nt.Z && nt.Z2 && nt.R) {
        const cr_local_net ln = as_local_net(&nt);
        double **const out[3] = {W1_out, W2_out, a_out};
        const size_t len[3] = {Md, M, S};
        st = cr_local_run(&ln, X, Y, n, s, &loop, out, len, 3, res, err);
    }
    free(nt.Z);
    free(nt.Z2);
    free(nt.R);
    if (st == CVXRELU_ERR_NOMEM)
        return cr_fail(err, CVXRELU_ERR_NOMEM,
                       "local3: out of memory (n=%zu, d=%zu, %zu sub-networks of %zu neurons)",
                       n, d, S, width1);
    return st;
}
