/*
 * What the two local trainers share (local.c: two layers, local3.c: three
 * layers): their settings and results, the checks of settings and data, the
 * activation-pattern statistics, and the optimizer loop (GD, minibatch SGD,
 * Adam) over a network given as kernels on blocks of rows (cr_local_net).
 */
#include "local.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void cvxrelu_local_settings_default(cvxrelu_local_settings *s)
{
    memset(s, 0, sizeof *s);
    s->method = CVXRELU_OPT_GD;
    s->width = 50;
    s->lambda = 1e-3;
    s->lr = 0.0; /* the method's default: 0.1 for GD and SGD, 1e-3 for Adam */
    s->steps = 1000;
    s->batch = 32;
    s->init_scale = 1.0;
    s->seed = 1;
    s->record_every = 10;
    s->beta1 = 0.9;
    s->beta2 = 0.999;
    s->adam_eps = 1e-8;
    s->time_limit_s = 0.0;
    s->interrupt = NULL;
}

void cvxrelu_local_result_free(cvxrelu_local_result *res)
{
    if (!res) return;
    free(res->records);
    memset(res, 0, sizeof *res);
}

size_t cr_local_block_rows(size_t n, size_t per_row)
{
    size_t nb = (size_t)(8u << 20) / per_row;
    if (nb < 256) nb = 256;
    return nb > n ? n : nb;
}

/* sum_i v_i^2, accumulated in order. */
static double sum_squares(const double *v, size_t len)
{
    double acc = 0.0;
    for (size_t i = 0; i < len; i++) acc += v[i] * v[i];
    return acc;
}

size_t cr_local_minibatch(const cvxrelu_local_settings *s, size_t n)
{
    return s->method != CVXRELU_OPT_GD && s->batch > 0 && s->batch < n ? s->batch : 0;
}

cvxrelu_status cr_local_check_settings(const cvxrelu_local_settings *s, const char *name,
                                       int check_width, cvxrelu_error *err)
{
    switch (s->method) {
    case CVXRELU_OPT_GD:
    case CVXRELU_OPT_SGD:
    case CVXRELU_OPT_ADAM: break;
    default:
        return cr_fail(err, CVXRELU_ERR_INVALID, "%s: unknown optimizer %d (GD, SGD or Adam)",
                       name, (int)s->method);
    }
    if (check_width && s->width == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID, "%s: width must be >= 1 neuron per output",
                       name);
    if (!(s->lambda >= 0.0) || !isfinite(s->lambda))
        return cr_fail(err, CVXRELU_ERR_INVALID, "%s: lambda must be a finite number >= 0",
                       name);
    if (!(s->lr >= 0.0) || !isfinite(s->lr))
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "%s: lr must be a finite number > 0 (0 = the method's default)", name);
    if (!(s->init_scale >= 0.0) || !isfinite(s->init_scale))
        return cr_fail(err, CVXRELU_ERR_INVALID, "%s: init_scale must be a finite number >= 0",
                       name);
    if (!(s->time_limit_s >= 0.0))
        return cr_fail(err, CVXRELU_ERR_INVALID, "%s: time_limit_s must be >= 0 (0 = none)",
                       name);
    if (s->method == CVXRELU_OPT_ADAM) {
        if (!(s->beta1 >= 0.0 && s->beta1 < 1.0) || !(s->beta2 >= 0.0 && s->beta2 < 1.0))
            return cr_fail(err, CVXRELU_ERR_INVALID,
                           "%s: Adam needs 0 <= beta1 < 1 and 0 <= beta2 < 1 (got %g, %g)",
                           name, s->beta1, s->beta2);
        if (!(s->adam_eps > 0.0) || !isfinite(s->adam_eps))
            return cr_fail(err, CVXRELU_ERR_INVALID, "%s: adam_eps must be a finite number > 0",
                           name);
    }
    return CVXRELU_OK;
}

cvxrelu_status cr_local_check_data(const double *X, const double *Y, size_t n, size_t d,
                                   size_t c, const char *name, cvxrelu_error *err)
{
    for (size_t i = 0; i < n * c; i++)
        if (!isfinite(Y[i]) || fabs(Y[i]) > 1e150)
            return cr_fail(err, CVXRELU_ERR_NUMERIC,
                           "%s: target %zu is %g: targets must be finite and below 1e150 in "
                           "magnitude (rescale them)", name, i / c + 1, Y[i]);
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i]) || fabs(X[i]) > 1e150)
            return cr_fail(err, CVXRELU_ERR_NUMERIC,
                           "%s: feature %zu of row %zu is %g: features must be finite and "
                           "below 1e150 in magnitude (standardize them)", name, i % d + 1,
                           i / d + 1, X[i]);
    return CVXRELU_OK;
}

/*
 * Patterns of the block just evaluated (Z, rows x cols, holds pre-activations):
 * capture sets the bits of p0 (rows x ceil(cols/64) words, bit j of row r =
 * 1[z_rj > 0]); otherwise ham[j] counts the rows whose bit differs from p0.
 */
static void block_patterns(const double *Z, size_t cols, size_t rows, uint64_t *p0, int capture,
                           size_t *ham)
{
    const size_t nw = (cols + 63) / 64;
    for (size_t r = 0; r < rows; r++) {
        const double *z = Z + r * cols;
        uint64_t *bits = p0 + r * nw;
        for (size_t j = 0; j < cols; j++) {
            uint64_t on = z[j] > 0.0;
            if (capture)
                bits[j / 64] |= on << (j % 64);
            else
                ham[j] += ((bits[j / 64] >> (j % 64)) & 1u) != on;
        }
    }
}

/*
 * All n rows in blocks of nt->nb: returns ||f(X) - Y||^2 at theta.  With grad
 * (P entries, overwritten), the gradient of the data term (1/(2N))
 * ||f(X) - Y||^2.  With p0 (and no gradient), the patterns of the tracked
 * neurons (block_patterns; p0 zeroed before the capture).
 */
static double full_pass(const cr_local_net *nt, const double *X, const double *Y, size_t n,
                        const double *theta, double *grad, uint64_t *p0, int capture,
                        size_t *ham)
{
    const size_t nw = (nt->neurons + 63) / 64;
    const double gscale = 1.0 / ((double)n * (double)nt->c);
    if (grad) memset(grad, 0, nt->P * sizeof(double));
    double sq = 0.0;
    for (size_t r0 = 0; r0 < n; r0 += nt->nb) {
        size_t rows = n - r0 < nt->nb ? n - r0 : nt->nb;
        sq += nt->block(nt->net, X + r0 * nt->d, Y + r0 * nt->c, rows, theta, gscale, grad);
        if (p0 && !grad) block_patterns(nt->Z, nt->neurons, rows, p0 + r0 * nw, capture, ham);
    }
    return sq;
}

cvxrelu_status cr_local_objective_parts(const cr_local_net *nt, const double *X,
                                        const double *Y, size_t n, const double *const part[],
                                        double *const gpart[], const size_t len[],
                                        size_t nparts, double lambda, double *loss,
                                        double *penalty)
{
    double *theta = cr_malloc(nt->P, sizeof(double));
    double *grad = gpart ? cr_malloc(nt->P, sizeof(double)) : NULL;
    if (!theta || (gpart && !grad)) {
        free(theta);
        free(grad);
        return CVXRELU_ERR_NOMEM;
    }
    for (size_t i = 0, off = 0; i < nparts; off += len[i++])
        memcpy(theta + off, part[i], len[i] * sizeof(double));
    double sq = full_pass(nt, X, Y, n, theta, grad, NULL, 0, NULL);
    double ss = 0.0;
    for (size_t i = 0, off = 0; i < nparts; off += len[i++]) {
        if (gpart) memcpy(gpart[i], grad + off, len[i] * sizeof(double));
        if (off < nt->decay_from) continue;
        if (gpart) cblas_daxpy((int)len[i], lambda, part[i], 1, gpart[i], 1);
        ss += sum_squares(part[i], len[i]);
    }
    free(theta);
    free(grad);
    *loss = sq / (2.0 * (double)n * (double)nt->c);
    *penalty = 0.5 * lambda * ss;
    return CVXRELU_OK;
}

/* Everything one training run allocates (the network's block workspace aside). */
typedef struct {
    double *theta, *grad;  /* P */
    double *m1, *m2;       /* Adam moments (Adam only) */
    double *Xb, *Yb;       /* gathered minibatch (minibatches only) */
    size_t *perm;          /* row permutation of the epoch (minibatches only) */
    uint64_t *p0;          /* initial patterns: n x ceil(neurons/64) words */
    size_t *ham;           /* neurons */
    size_t cap_records;    /* allocated records of the result */
} trainer;

static void trainer_free(trainer *t)
{
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

/* The weight decay at theta: (lambda/2) sum_{i >= decay_from} theta_i^2. */
static double penalty_of(const cr_local_net *nt, const double *theta, double lambda)
{
    return 0.5 * lambda * sum_squares(theta + nt->decay_from, nt->P - nt->decay_from);
}

/* Full-data objective *obj at the current weights, and the record of step
   `step` appended to res (step 0 also captures the initial patterns). */
static cvxrelu_status record_step(const cr_local_net *nt, trainer *t, const double *X,
                                  const double *Y, size_t n, const cvxrelu_local_settings *s,
                                  size_t step, const cr_loop *loop, cvxrelu_local_result *res,
                                  double *obj)
{
    const double lambda = s->lambda;
    memset(t->ham, 0, nt->neurons * sizeof(size_t));
    double sq = full_pass(nt, X, Y, n, t->theta, NULL, t->p0, step == 0, t->ham);
    *obj = sq / (2.0 * (double)n * (double)nt->c) + penalty_of(nt, t->theta, lambda);
    if (res->n_records == t->cap_records) {
        size_t cap = t->cap_records ? 2 * t->cap_records : 16;
        cvxrelu_local_record *r = cr_realloc(res->records, cap, sizeof *r);
        if (!r) return CVXRELU_ERR_NOMEM;
        res->records = r;
        t->cap_records = cap;
    }
    cvxrelu_local_record *rec = &res->records[res->n_records++];
    size_t changed = 0, total = 0;
    for (size_t j = 0; j < nt->neurons; j++) {
        changed += t->ham[j] > 0;
        total += t->ham[j];
    }
    rec->step = step;
    rec->objective = *obj;
    rec->changed_neurons = changed;
    rec->mean_hamming = (double)total / (double)nt->neurons;
    rec->time_s = cr_loop_elapsed(loop);
    if (s->callback) s->callback(rec, s->callback_data);
    return CVXRELU_OK;
}

/* The next minibatch of b rows, gathered into t->Xb, t->Yb: an epoch is a
   random permutation consumed in chunks of b, reshuffled when fewer than b
   rows are left (those few rows wait for a later epoch). */
static void next_batch(const cr_local_net *nt, trainer *t, cr_rng *rng, const double *X,
                       const double *Y, size_t n, size_t b, size_t *pos)
{
    const size_t d = nt->d, c = nt->c;
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

cvxrelu_status cr_local_run(const cr_local_net *nt, const double *X, const double *Y, size_t n,
                            const cvxrelu_local_settings *s, cr_loop *loop, double **const out[],
                            const size_t len[], size_t nout, cvxrelu_local_result *res,
                            cvxrelu_error *err)
{
    const size_t d = nt->d, c = nt->c, P = nt->P;
    const int adam = s->method == CVXRELU_OPT_ADAM;
    const double lr = s->lr > 0.0 ? s->lr : adam ? 1e-3 : 0.1;
    const int minibatch = cr_local_minibatch(s, n) > 0;
    const size_t b = minibatch ? s->batch : n;
    const size_t nw = (nt->neurons + 63) / 64;
    cvxrelu_status st = CVXRELU_ERR_NOMEM;
    for (size_t i = 0; i < nout; i++) *out[i] = NULL;

    trainer t;
    memset(&t, 0, sizeof t);
    t.theta = cr_malloc(P, sizeof(double));
    t.grad = cr_malloc(P, sizeof(double));
    t.p0 = cr_calloc(n, nw * sizeof(uint64_t));
    t.ham = cr_malloc(nt->neurons, sizeof(size_t));
    int missing = !t.theta || !t.grad || !t.p0 || !t.ham;
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
    if (missing) goto fail;
    if (minibatch)
        for (size_t i = 0; i < n; i++) t.perm[i] = i;

    cr_rng rng;
    cr_rng_seed(&rng, s->seed);
    nt->init(nt->net, s->init_scale, &rng, t.theta);

    double obj;
    size_t done = 0, pos = n;
    res->exit = CVXRELU_EXIT_MAX_ITER; /* every step taken, unless stopped */
    if (record_step(nt, &t, X, Y, n, s, 0, loop, res, &obj)) goto fail;
    if (!isfinite(obj)) goto diverged;
    while (!cr_loop_next(loop)) { /* done = loop->iter - 1 steps taken */
        double sq;
        if (minibatch) {
            next_batch(nt, &t, &rng, X, Y, n, b, &pos);
            memset(t.grad, 0, P * sizeof(double));
            sq = nt->block(nt->net, t.Xb, t.Yb, b, t.theta, 1.0 / ((double)b * (double)c),
                           t.grad);
        } else {
            sq = full_pass(nt, X, Y, n, t.theta, t.grad, NULL, 0, NULL);
        }
        obj = sq / (2.0 * (double)b * (double)c) + penalty_of(nt, t.theta, s->lambda);
        if (!isfinite(obj)) goto diverged;
        cblas_daxpy((int)(P - nt->decay_from), s->lambda, t.theta + nt->decay_from, 1,
                    t.grad + nt->decay_from, 1);
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
        if (nt->project) nt->project(nt->net, t.theta);
        done++;
        if (s->record_every && done % s->record_every == 0) {
            if (record_step(nt, &t, X, Y, n, s, done, loop, res, &obj)) goto fail;
            if (!isfinite(obj)) goto diverged;
        }
    }
    if (cr_loop_stopped(loop)) {
        res->interrupted = 1;
        res->exit = (cvxrelu_exit)loop->why;
    }
    if (res->records[res->n_records - 1].step != done) {
        if (record_step(nt, &t, X, Y, n, s, done, loop, res, &obj)) goto fail;
        if (!isfinite(obj)) goto diverged;
    }

    double sq = full_pass(nt, X, Y, n, t.theta, NULL, NULL, 0, NULL);
    res->steps = done;
    res->loss = sq / (2.0 * (double)(n * c));
    res->penalty = penalty_of(nt, t.theta, s->lambda);
    res->objective = res->loss + res->penalty;
    missing = 0;
    for (size_t i = 0; i < nout; i++) {
        *out[i] = cr_malloc(len[i], sizeof(double));
        missing |= !*out[i];
    }
    if (missing) goto fail;
    for (size_t i = 0, off = 0; i < nout; off += len[i++])
        memcpy(*out[i], t.theta + off, len[i] * sizeof(double));
    trainer_free(&t);
    res->time_s = cr_loop_elapsed(loop);
    return CVXRELU_OK;

diverged:
    st = cr_fail(err, CVXRELU_ERR_NUMERIC,
                 "%s training diverged at step %zu (objective = %g); lower the learning rate",
                 nt->name, done, obj);
fail:
    trainer_free(&t);
    for (size_t i = 0; i < nout; i++) {
        free(*out[i]);
        *out[i] = NULL;
    }
    cvxrelu_local_result_free(res);
    return st;
}
