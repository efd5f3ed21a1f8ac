/*
 * Local (non-convex) training of the three-layer parallel network (DESIGN 7,
 * [EP21]): full-batch GD, minibatch SGD and Adam on
 *     (1/(2N)) ||f(X) - Y||^2 + (lambda/2) sum_j (||W2_j||^2 + a_j^2)
 * with ||W1_j||_F <= 1 kept by projection after every update, and the
 * activation-pattern statistics of the first-layer neurons against their
 * initial patterns.  The shape follows the two-layer trainer (local.c): the
 * big products are GEMMs over blocks of rows; the scalar loops touch only
 * rows x neurons.
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
 * One block of `rows` rows: Z = Xb W1^T, Z2_rj = sum_l W2_jl (Z_{r,j width1 + l})_+,
 * R = f - Yb; returns ||R||^2.  With gW1 (and gW2, ga), adds gscale times the
 * gradient of (1/2)||R||^2: with e_rj = gscale R_{r,k(j)} and
 * delta_rj = e_rj a_j 1[Z2_rj > 0],
 *     ga_j += sum_r e_rj (Z2_rj)_+,   gW2_jl += sum_r delta_rj (Z_{r,jl})_+,
 *     gW1 += G^T Xb,  G_{r,jl} = delta_rj W2_jl 1[Z_{r,jl} > 0]
 * (G overwrites Z).  Without gW1, Z keeps the pre-activations.
 */
static double block_pass(const net3 *nt, const double *Xb, const double *Yb, size_t rows,
                         const double *W1, const double *W2, const double *a, double gscale,
                         double *gW1, double *gW2, double *ga)
{
    const size_t d = nt->d, c = nt->c, K = nt->K, w1 = nt->width1, S = nt->S, M = nt->M;
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
    if (!gW1) return sq;
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
 * Patterns of the first-layer neurons in the block just evaluated (Z holds
 * pre-activations): capture sets the bits of p0 (rows x ceil(M/64) words,
 * bit j of row r = 1[z_rj > 0]); otherwise ham[j] counts the rows whose bit
 * differs from p0.
 */
static void block_patterns(const net3 *nt, size_t rows, uint64_t *p0, int capture, size_t *ham)
{
    const size_t M = nt->M, nw = (M + 63) / 64;
    for (size_t r = 0; r < rows; r++) {
        const double *z = nt->Z + r * M;
        uint64_t *bits = p0 + r * nw;
        for (size_t j = 0; j < M; j++) {
            uint64_t on = z[j] > 0.0;
            if (capture)
                bits[j / 64] |= on << (j % 64);
            else
                ham[j] += ((bits[j / 64] >> (j % 64)) & 1u) != on;
        }
    }
}

/*
 * All n rows in blocks of nt->nb: returns ||f(X) - Y||^2.  With gW1, gW2 and
 * ga (overwritten), the gradient of the data term (1/(2N)) ||f(X) - Y||^2.
 * With p0 (and no gradient), captures or compares the first-layer patterns.
 */
static double full_pass(const net3 *nt, const double *X, const double *Y, size_t n,
                        const double *W1, const double *W2, const double *a, double *gW1,
                        double *gW2, double *ga, uint64_t *p0, int capture, size_t *ham)
{
    const size_t nw = (nt->M + 63) / 64;
    const double gscale = 1.0 / ((double)n * (double)nt->c);
    if (gW1) {
        memset(gW1, 0, nt->M * nt->d * sizeof(double));
        memset(gW2, 0, nt->M * sizeof(double));
        memset(ga, 0, nt->S * sizeof(double));
    }
    double sq = 0.0;
    for (size_t r0 = 0; r0 < n; r0 += nt->nb) {
        size_t rows = n - r0 < nt->nb ? n - r0 : nt->nb;
        sq += block_pass(nt, X + r0 * nt->d, Y + r0 * nt->c, rows, W1, W2, a, gscale, gW1, gW2,
                         ga);
        if (p0 && !gW1) block_patterns(nt, rows, p0 + r0 * nw, capture, ham);
    }
    return sq;
}

/* Rows per block of a full-data pass: about 8 M doubles of workspace. */
static size_t block_rows(size_t n, size_t per_row)
{
    size_t nb = (size_t)(8u << 20) / per_row;
    if (nb < 256) nb = 256;
    return nb > n ? n : nb;
}

static double sum_squares(const double *v, size_t len)
{
    double acc = 0.0;
    for (size_t i = 0; i < len; i++) acc += v[i] * v[i];
    return acc;
}

/* Scale each sub-network's width1 x d block of W1 onto the unit Frobenius
   ball when it lies outside. */
static void project_W1(double *W1, size_t S, size_t blk)
{
    for (size_t j = 0; j < S; j++) {
        double *w = W1 + j * blk;
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
    nt.nb = block_rows(n, nt.M + nt.S + c);
    return nt;
}

cvxrelu_status cr_local3_objective_grad(const double *X, const double *Y, size_t n, size_t d,
                                        size_t c, size_t K, size_t width1, const double *W1,
                                        const double *W2, const double *a, double lambda,
                                        double *gW1, double *gW2, double *ga, double *loss,
                                        double *penalty)
{
    net3 nt = net3_shape(n, d, c, K, width1);
    nt.Z = cr_malloc(nt.nb, nt.M * sizeof(double));
    nt.Z2 = cr_malloc(nt.nb, nt.S * sizeof(double));
    nt.R = cr_malloc(nt.nb, c * sizeof(double));
    if (!nt.Z || !nt.Z2 || !nt.R) {
        free(nt.Z);
        free(nt.Z2);
        free(nt.R);
        return CVXRELU_ERR_NOMEM;
    }
    double sq = full_pass(&nt, X, Y, n, W1, W2, a, gW1, gW2, ga, NULL, 0, NULL);
    free(nt.Z);
    free(nt.Z2);
    free(nt.R);
    if (gW1) {
        cblas_daxpy((int)nt.M, lambda, W2, 1, gW2, 1);
        cblas_daxpy((int)nt.S, lambda, a, 1, ga, 1);
    }
    *loss = sq / (2.0 * (double)n * (double)c);
    *penalty = 0.5 * lambda * (sum_squares(W2, nt.M) + sum_squares(a, nt.S));
    return CVXRELU_OK;
}

/* Everything one training run allocates. */
typedef struct {
    net3 nt;
    double *theta, *grad;  /* [W1 (M x d); W2 (S x width1); a (S)] and its gradient */
    double *m1, *m2;       /* Adam moments (Adam only) */
    double *Xb, *Yb;       /* gathered minibatch (minibatches only) */
    size_t *perm;          /* row permutation of the epoch (minibatches only) */
    uint64_t *p0;          /* initial first-layer patterns: n x ceil(M/64) words */
    size_t *ham;           /* M */
    size_t cap_records;    /* allocated records of the result */
} trainer3;

static void trainer3_free(trainer3 *t)
{
    free(t->nt.Z);
    free(t->nt.Z2);
    free(t->nt.R);
    free(t->theta);
    free(t->grad);
    free(t->m1);
    free(t->m2);
    free(t->Xb);
    free(t->Yb);
    free(t->perm);
    free(t->p0);
    free(t->ham);
}

/* The weight decay (lambda/2)(||W2||^2 + ||a||^2): the last M + S entries of theta. */
static double penalty_of(const trainer3 *t, double lambda)
{
    const net3 *nt = &t->nt;
    return 0.5 * lambda * sum_squares(t->theta + nt->M * nt->d, nt->M + nt->S);
}

/* Full-data objective *obj at the current weights, and the record of step
   `step` appended to res (step 0 also captures the initial patterns). */
static cvxrelu_status record_step(trainer3 *t, const double *X, const double *Y, size_t n,
                                  double lambda, size_t step, double t0,
                                  cvxrelu_local_result *res, double *obj)
{
    const net3 *nt = &t->nt;
    const double *W1 = t->theta, *W2 = W1 + nt->M * nt->d, *a = W2 + nt->M;
    memset(t->ham, 0, nt->M * sizeof(size_t));
    double sq = full_pass(nt, X, Y, n, W1, W2, a, NULL, NULL, NULL, t->p0, step == 0, t->ham);
    *obj = sq / (2.0 * (double)n * (double)nt->c) + penalty_of(t, lambda);
    if (res->n_records == t->cap_records) {
        size_t cap = t->cap_records ? 2 * t->cap_records : 16;
        cvxrelu_local_record *r = cr_realloc(res->records, cap, sizeof *r);
        if (!r) return CVXRELU_ERR_NOMEM;
        res->records = r;
        t->cap_records = cap;
    }
    cvxrelu_local_record *rec = &res->records[res->n_records++];
    size_t changed = 0, total = 0;
    for (size_t j = 0; j < nt->M; j++) {
        changed += t->ham[j] > 0;
        total += t->ham[j];
    }
    rec->step = step;
    rec->objective = *obj;
    rec->changed_neurons = changed;
    rec->mean_hamming = (double)total / (double)nt->M;
    rec->time_s = cr_now() - t0;
    return CVXRELU_OK;
}

/* The next minibatch of b rows, gathered into t->Xb, t->Yb: an epoch is a
   random permutation consumed in chunks of b, reshuffled when fewer than b
   rows are left (the same scheme as the two-layer trainer). */
static void next_batch(trainer3 *t, cr_rng *rng, const double *X, const double *Y, size_t n,
                       size_t b, size_t *pos)
{
    const size_t d = t->nt.d, c = t->nt.c;
    if (*pos + b > n) {
        for (size_t i = n - 1; i > 0; i--) {
            size_t k = cr_rng_below(rng, i + 1);
            size_t tmp = t->perm[i];
            t->perm[i] = t->perm[k];
            t->perm[k] = tmp;
        }
        *pos = 0;
    }
    for (size_t r = 0; r < b; r++) {
        size_t i = t->perm[*pos + r];
        memcpy(t->Xb + r * d, X + i * d, d * sizeof(double));
        memcpy(t->Yb + r * c, Y + i * c, c * sizeof(double));
    }
    *pos += b;
}

/* The settings the three-layer trainer reads (s->width is ignored). */
static cvxrelu_status check_settings(const cvxrelu_local_settings *s, cvxrelu_error *err)
{
    switch (s->method) {
    case CVXRELU_OPT_GD:
    case CVXRELU_OPT_SGD:
    case CVXRELU_OPT_ADAM: break;
    default:
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local3: unknown optimizer %d (GD, SGD or Adam)", (int)s->method);
    }
    if (!(s->lambda >= 0.0) || !isfinite(s->lambda))
        return cr_fail(err, CVXRELU_ERR_INVALID, "local3: lambda must be a finite number >= 0");
    if (!(s->lr >= 0.0) || !isfinite(s->lr))
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local3: lr must be a finite number > 0 (0 = the method's default)");
    if (!(s->init_scale >= 0.0) || !isfinite(s->init_scale))
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local3: init_scale must be a finite number >= 0");
    if (!(s->time_limit_s >= 0.0))
        return cr_fail(err, CVXRELU_ERR_INVALID, "local3: time_limit_s must be >= 0 (0 = none)");
    if (s->method == CVXRELU_OPT_ADAM) {
        if (!(s->beta1 >= 0.0 && s->beta1 < 1.0) || !(s->beta2 >= 0.0 && s->beta2 < 1.0))
            return cr_fail(err, CVXRELU_ERR_INVALID,
                           "local3: Adam needs 0 <= beta1 < 1 and 0 <= beta2 < 1 (got %g, %g)",
                           s->beta1, s->beta2);
        if (!(s->adam_eps > 0.0) || !isfinite(s->adam_eps))
            return cr_fail(err, CVXRELU_ERR_INVALID,
                           "local3: adam_eps must be a finite number > 0");
    }
    return CVXRELU_OK;
}

/*
 * The initial point of the header: each W1_j uniform on the unit sphere of
 * R^{width1 x d} (a normalized Gaussian block) times min(init_scale, 1),
 * W2 ~ N(0, init_scale^2 / width1), a ~ N(0, init_scale^2 / K); drawn in
 * that order (all of W1 block by block, then W2 row by row, then a).
 */
static void init_weights(const net3 *nt, double init_scale, cr_rng *rng, double *W1, double *W2,
                         double *a)
{
    const size_t blk = nt->width1 * nt->d;
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

cvxrelu_status cvxrelu_local3_train(const double *X, size_t n, size_t d, const double *Y,
                                    size_t c, size_t K, size_t width1,
                                    const cvxrelu_local_settings *s, double **W1_out,
                                    double **W2_out, double **a_out, cvxrelu_local_result *res,
                                    cvxrelu_error *err)
{
    if (W1_out) *W1_out = NULL;
    if (W2_out) *W2_out = NULL;
    if (a_out) *a_out = NULL;
    if (res) memset(res, 0, sizeof *res);
    if (!X || !Y || !W1_out || !W2_out || !a_out || !res)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local3: X, Y, W1_out, W2_out, a_out and res are required");
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
    cvxrelu_status st = check_settings(s, err);
    if (st) return st;
    /* P = M (d + 1) + S <= M (d + 2): every count below fits an int for BLAS */
    size_t S, M, Md, nc, nd, Pmax;
    if (cr_mul_ok(c, K, &S) || cr_mul_ok(S, width1, &M) || cr_mul_ok(M, d, &Md) ||
        cr_mul_ok(n, c, &nc) || cr_mul_ok(n, d, &nd) || d > (size_t)INT32_MAX - 2 ||
        cr_mul_ok(M, d + 2, &Pmax) || Pmax > (size_t)INT32_MAX || n > (size_t)INT32_MAX)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local3: problem dimensions overflow (n=%zu, d=%zu, c=%zu, K=%zu, "
                       "width1=%zu)", n, d, c, K, width1);
    const size_t P = Md + M + S;
    /* squares of entries beyond 1e150 overflow: refuse rather than return NaN */
    for (size_t i = 0; i < nc; i++)
        if (!isfinite(Y[i]) || fabs(Y[i]) > 1e150)
            return cr_fail(err, CVXRELU_ERR_NUMERIC,
                           "local3: target %zu is %g: targets must be finite and below 1e150 in "
                           "magnitude (rescale them)", i / c + 1, Y[i]);
    for (size_t i = 0; i < nd; i++)
        if (!isfinite(X[i]) || fabs(X[i]) > 1e150)
            return cr_fail(err, CVXRELU_ERR_NUMERIC,
                           "local3: feature %zu of row %zu is %g: features must be finite and "
                           "below 1e150 in magnitude (standardize them)", i % d + 1, i / d + 1,
                           X[i]);

    const int adam = s->method == CVXRELU_OPT_ADAM;
    const double lr = s->lr > 0.0 ? s->lr : adam ? 1e-3 : 0.1;
    const int minibatch = s->method != CVXRELU_OPT_GD && s->batch > 0 && s->batch < n;
    const size_t b = minibatch ? s->batch : n;
    const size_t nw = (M + 63) / 64;
    const double t0 = cr_now();

    trainer3 t;
    memset(&t, 0, sizeof t);
    t.nt = net3_shape(n, d, c, K, width1);
    size_t wrows = minibatch && b > t.nt.nb ? b : t.nt.nb;
    t.nt.Z = cr_malloc(wrows, M * sizeof(double));
    t.nt.Z2 = cr_malloc(wrows, S * sizeof(double));
    t.nt.R = cr_malloc(wrows, c * sizeof(double));
    t.theta = cr_malloc(P, sizeof(double));
    t.grad = cr_malloc(P, sizeof(double));
    t.p0 = cr_calloc(n, nw * sizeof(uint64_t));
    t.ham = cr_malloc(M, sizeof(size_t));
    int missing = !t.nt.Z || !t.nt.Z2 || !t.nt.R || !t.theta || !t.grad || !t.p0 || !t.ham;
    if (adam) {
        t.m1 = cr_calloc(P, sizeof(double));
        t.m2 = cr_calloc(P, sizeof(double));
        missing |= !t.m1 || !t.m2;
    }
    if (minibatch) {
        t.Xb = cr_malloc(b, d * sizeof(double));
        t.Yb = cr_malloc(b, c * sizeof(double));
        t.perm = cr_malloc(n, sizeof(size_t));
        missing |= !t.Xb || !t.Yb || !t.perm;
    }
    if (missing) goto nomem;
    if (minibatch)
        for (size_t i = 0; i < n; i++) t.perm[i] = i;

    cr_rng rng;
    cr_rng_seed(&rng, s->seed);
    double *W1 = t.theta, *W2 = W1 + Md, *a = W2 + M;
    double *gW1 = t.grad, *gW2 = gW1 + Md, *ga = gW2 + M;
    init_weights(&t.nt, s->init_scale, &rng, W1, W2, a);

    /* the weight decay covers W2 and a only: the last M + S entries of theta */
    double *decayed = W2, *gdecayed = gW2;
    const size_t ndecay = M + S;
    double obj;
    size_t done = 0, pos = n;
    if (record_step(&t, X, Y, n, s->lambda, 0, t0, res, &obj)) goto nomem;
    if (!isfinite(obj)) goto diverged;
    while (done < s->steps) {
        if ((s->interrupt && *s->interrupt) ||
            (s->time_limit_s > 0.0 && cr_now() - t0 > s->time_limit_s)) {
            res->interrupted = 1;
            break;
        }
        double sq;
        if (minibatch) {
            next_batch(&t, &rng, X, Y, n, b, &pos);
            memset(t.grad, 0, P * sizeof(double));
            sq = block_pass(&t.nt, t.Xb, t.Yb, b, W1, W2, a, 1.0 / ((double)b * (double)c), gW1,
                            gW2, ga);
        } else {
            sq = full_pass(&t.nt, X, Y, n, W1, W2, a, gW1, gW2, ga, NULL, 0, NULL);
        }
        obj = sq / (2.0 * (double)b * (double)c) + penalty_of(&t, s->lambda);
        if (!isfinite(obj)) goto diverged;
        cblas_daxpy((int)ndecay, s->lambda, decayed, 1, gdecayed, 1);
        if (adam) {
            const double k = (double)(done + 1);
            const double bc1 = 1.0 - pow(s->beta1, k), bc2 = 1.0 - pow(s->beta2, k);
            for (size_t i = 0; i < P; i++) {
                double g = t.grad[i];
                t.m1[i] = s->beta1 * t.m1[i] + (1.0 - s->beta1) * g;
                t.m2[i] = s->beta2 * t.m2[i] + (1.0 - s->beta2) * g * g;
                t.theta[i] -= lr * (t.m1[i] / bc1) / (sqrt(t.m2[i] / bc2) + s->adam_eps);
            }
        } else {
            cblas_daxpy((int)P, -lr, t.grad, 1, t.theta, 1);
        }
        project_W1(W1, S, width1 * d);
        done++;
        if (s->record_every && done % s->record_every == 0) {
            if (record_step(&t, X, Y, n, s->lambda, done, t0, res, &obj)) goto nomem;
            if (!isfinite(obj)) goto diverged;
        }
    }
    if (res->records[res->n_records - 1].step != done) {
        if (record_step(&t, X, Y, n, s->lambda, done, t0, res, &obj)) goto nomem;
        if (!isfinite(obj)) goto diverged;
    }

    double sq = full_pass(&t.nt, X, Y, n, W1, W2, a, NULL, NULL, NULL, NULL, 0, NULL);
    res->steps = done;
    res->loss = sq / (2.0 * (double)nc);
    res->penalty = penalty_of(&t, s->lambda);
    res->objective = res->loss + res->penalty;
    *W1_out = cr_malloc(Md, sizeof(double));
    *W2_out = cr_malloc(M, sizeof(double));
    *a_out = cr_malloc(S, sizeof(double));
    if (!*W1_out || !*W2_out || !*a_out) goto nomem;
    memcpy(*W1_out, W1, Md * sizeof(double));
    memcpy(*W2_out, W2, M * sizeof(double));
    memcpy(*a_out, a, S * sizeof(double));
    trainer3_free(&t);
    res->time_s = cr_now() - t0;
    return CVXRELU_OK;

nomem:
    st = cr_fail(err, CVXRELU_ERR_NOMEM,
                 "local3: out of memory (n=%zu, d=%zu, %zu sub-networks of %zu neurons)", n, d,
                 S, width1);
    goto fail;
diverged:
    st = cr_fail(err, CVXRELU_ERR_NUMERIC,
                 "local3 training diverged at step %zu (objective = %g); lower the learning "
                 "rate", done, obj);
fail:
    trainer3_free(&t);
    free(*W1_out);
    free(*W2_out);
    free(*a_out);
    *W1_out = NULL;
    *W2_out = NULL;
    *a_out = NULL;
    cvxrelu_local_result_free(res);
    return st;
}
