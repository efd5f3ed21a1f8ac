/*
 * Local (non-convex) training of the two-layer ReLU network (DESIGN 5, [KP24]):
 * full-batch GD, minibatch SGD and Adam with weight decay lambda/2 on both
 * layers, and the activation-pattern statistics of the neurons against their
 * initial patterns.  The big products are GEMMs over blocks of rows; the
 * scalar loops touch only rows x neurons.
 */
#include "local.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* Network shape and the block workspace. */
typedef struct {
    size_t d, c, width, cm;
    size_t nb;   /* rows per block of a full-data pass */
    double *Z;   /* rows x cm: pre-activations, then the back-propagated signal */
    double *R;   /* rows x c: residuals */
} net;

/*
 * One block of `rows` rows: Z = Xb W^T, R = f - Yb; returns ||R||^2.  With gW
 * and ga, adds gscale times the gradient of (1/2)||R||^2:
 * ga_j += gscale sum_r (z_rj)_+ R_{r,k(j)} and gW += gscale G^T Xb with
 * G_rj = 1[z_rj > 0] R_{r,k(j)} a_j (G overwrites Z).  Without gW, Z keeps the
 * pre-activations.
 */
static double block_pass(const net *nt, const double *Xb, const double *Yb, size_t rows,
                         const double *W, const double *a, double gscale, double *gW,
                         double *ga)
{
    const size_t d = nt->d, c = nt->c, width = nt->width, cm = nt->cm;
    double *Z = nt->Z, *R = nt->R;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)cm, (int)d, 1.0, Xb,
                (int)d, W, (int)d, 0.0, Z, (int)cm);
    double sq = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const double *z = Z + r * cm;
        for (size_t k = 0; k < c; k++) {
            double f = 0.0;
            for (size_t j = k * width; j < (k + 1) * width; j++)
                if (z[j] > 0.0) f += a[j] * z[j];
            double e = f - Yb[r * c + k];
            R[r * c + k] = e;
            sq += e * e;
        }
    }
    if (!gW) return sq;
    for (size_t r = 0; r < rows; r++) {
        double *z = Z + r * cm;
        for (size_t k = 0; k < c; k++) {
            double e = gscale * R[r * c + k];
            for (size_t j = k * width; j < (k + 1) * width; j++) {
                if (z[j] > 0.0) {
                    ga[j] += e * z[j];
                    z[j] = e * a[j];
                } else {
                    z[j] = 0.0;
                }
            }
        }
    }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)cm, (int)d, (int)rows, 1.0, Z,
                (int)cm, Xb, (int)d, 1.0, gW, (int)d);
    return sq;
}

/*
 * Patterns of the block just evaluated (Z holds pre-activations): capture
 * sets the bits of p0 (rows x ceil(cm/64) words, bit j of row r =
 * 1[z_rj > 0]); otherwise ham[j] counts the rows whose bit differs from p0.
 */
static void block_patterns(const net *nt, size_t rows, uint64_t *p0, int capture, size_t *ham)
{
    const size_t cm = nt->cm, nw = (cm + 63) / 64;
    for (size_t r = 0; r < rows; r++) {
        const double *z = nt->Z + r * cm;
        uint64_t *bits = p0 + r * nw;
        for (size_t j = 0; j < cm; j++) {
            uint64_t on = z[j] > 0.0;
            if (capture)
                bits[j / 64] |= on << (j % 64);
            else
                ham[j] += ((bits[j / 64] >> (j % 64)) & 1u) != on;
        }
    }
}

/*
 * All n rows in blocks of nt->nb: returns ||f(X) - Y||^2.  With gW and ga
 * (overwritten), the gradient of the data term (1/(2N)) ||f(X) - Y||^2.  With
 * p0 (and no gradient), captures or compares the patterns.
 */
static double full_pass(const net *nt, const double *X, const double *Y, size_t n,
                        const double *W, const double *a, double *gW, double *ga, uint64_t *p0,
                        int capture, size_t *ham)
{
    const size_t nw = (nt->cm + 63) / 64;
    const double gscale = 1.0 / ((double)n * (double)nt->c);
    if (gW) {
        memset(gW, 0, nt->cm * nt->d * sizeof(double));
        memset(ga, 0, nt->cm * sizeof(double));
    }
    double sq = 0.0;
    for (size_t r0 = 0; r0 < n; r0 += nt->nb) {
        size_t rows = n - r0 < nt->nb ? n - r0 : nt->nb;
        sq += block_pass(nt, X + r0 * nt->d, Y + r0 * nt->c, rows, W, a, gscale, gW, ga);
        if (p0 && !gW) block_patterns(nt, rows, p0 + r0 * nw, capture, ham);
    }
    return sq;
}

/* Rows per block of a full-data pass: about 8 M doubles of workspace. */
static size_t block_rows(size_t n, size_t cm)
{
    size_t nb = (size_t)(8u << 20) / cm;
    if (nb < 256) nb = 256;
    return nb > n ? n : nb;
}

static double sum_squares(const double *v, size_t len)
{
    double acc = 0.0;
    for (size_t i = 0; i < len; i++) acc += v[i] * v[i];
    return acc;
}

cvxrelu_status cr_local_objective_grad(const double *X, const double *Y, size_t n, size_t d,
                                       size_t c, size_t width, const double *W, const double *a,
                                       double lambda, double *gW, double *ga, double *loss,
                                       double *penalty)
{
    net nt = {d, c, width, c * width, block_rows(n, c * width), NULL, NULL};
    nt.Z = cr_malloc(nt.nb, nt.cm * sizeof(double));
    nt.R = cr_malloc(nt.nb, c * sizeof(double));
    if (!nt.Z || !nt.R) {
        free(nt.Z);
        free(nt.R);
        return CVXRELU_ERR_NOMEM;
    }
    double sq = full_pass(&nt, X, Y, n, W, a, gW, ga, NULL, 0, NULL);
    free(nt.Z);
    free(nt.R);
    if (gW) {
        cblas_daxpy((int)(nt.cm * d), lambda, W, 1, gW, 1);
        cblas_daxpy((int)nt.cm, lambda, a, 1, ga, 1);
    }
    *loss = sq / (2.0 * (double)n * (double)c);
    *penalty = 0.5 * lambda * (sum_squares(W, nt.cm * d) + sum_squares(a, nt.cm));
    return CVXRELU_OK;
}

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

/* Everything one training run allocates. */
typedef struct {
    net nt;
    double *theta, *grad;  /* [W (cm x d); a (cm)] and its gradient */
    double *m1, *m2;       /* Adam moments (Adam only) */
    double *Xb, *Yb;       /* gathered minibatch (minibatches only) */
    size_t *perm;          /* row permutation of the epoch (minibatches only) */
    uint64_t *p0;          /* initial patterns: n x ceil(cm/64) words */
    size_t *ham;           /* cm */
    size_t cap_records;    /* allocated records of the result */
} trainer;

static void trainer_free(trainer *t)
{
    free(t->nt.Z);
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

/* Full-data objective *obj at the current weights, and the record of step
   `step` appended to res (step 0 also captures the initial patterns). */
static cvxrelu_status record_step(trainer *t, const double *X, const double *Y, size_t n,
                                  double lambda, size_t step, double t0,
                                  cvxrelu_local_result *res, double *obj)
{
    const net *nt = &t->nt;
    const double *W = t->theta, *a = t->theta + nt->cm * nt->d;
    memset(t->ham, 0, nt->cm * sizeof(size_t));
    double sq = full_pass(nt, X, Y, n, W, a, NULL, NULL, t->p0, step == 0, t->ham);
    *obj = sq / (2.0 * (double)n * (double)nt->c) +
           0.5 * lambda * sum_squares(t->theta, nt->cm * (nt->d + 1));
    if (res->n_records == t->cap_records) {
        size_t cap = t->cap_records ? 2 * t->cap_records : 16;
        cvxrelu_local_record *r = cr_realloc(res->records, cap, sizeof *r);
        if (!r) return CVXRELU_ERR_NOMEM;
        res->records = r;
        t->cap_records = cap;
    }
    cvxrelu_local_record *rec = &res->records[res->n_records++];
    size_t changed = 0, total = 0;
    for (size_t j = 0; j < nt->cm; j++) {
        changed += t->ham[j] > 0;
        total += t->ham[j];
    }
    rec->step = step;
    rec->objective = *obj;
    rec->changed_neurons = changed;
    rec->mean_hamming = (double)total / (double)nt->cm;
    rec->time_s = cr_now() - t0;
    return CVXRELU_OK;
}

/* The next minibatch of b rows, gathered into t->Xb, t->Yb: an epoch is a
   random permutation consumed in chunks of b, reshuffled when fewer than b
   rows are left (those few rows wait for a later epoch). */
static void next_batch(trainer *t, cr_rng *rng, const double *X, const double *Y, size_t n,
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

static cvxrelu_status check_settings(const cvxrelu_local_settings *s, cvxrelu_error *err)
{
    switch (s->method) {
    case CVXRELU_OPT_GD:
    case CVXRELU_OPT_SGD:
    case CVXRELU_OPT_ADAM: break;
    default:
        return cr_fail(err, CVXRELU_ERR_INVALID, "local: unknown optimizer %d (GD, SGD or Adam)",
                       (int)s->method);
    }
    if (s->width == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID, "local: width must be >= 1 neuron per output");
    if (!(s->lambda >= 0.0) || !isfinite(s->lambda))
        return cr_fail(err, CVXRELU_ERR_INVALID, "local: lambda must be a finite number >= 0");
    if (!(s->lr >= 0.0) || !isfinite(s->lr))
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local: lr must be a finite number > 0 (0 = the method's default)");
    if (!(s->init_scale >= 0.0) || !isfinite(s->init_scale))
        return cr_fail(err, CVXRELU_ERR_INVALID, "local: init_scale must be a finite number >= 0");
    if (!(s->time_limit_s >= 0.0))
        return cr_fail(err, CVXRELU_ERR_INVALID, "local: time_limit_s must be >= 0 (0 = none)");
    if (s->method == CVXRELU_OPT_ADAM) {
        if (!(s->beta1 >= 0.0 && s->beta1 < 1.0) || !(s->beta2 >= 0.0 && s->beta2 < 1.0))
            return cr_fail(err, CVXRELU_ERR_INVALID,
                           "local: Adam needs 0 <= beta1 < 1 and 0 <= beta2 < 1 (got %g, %g)",
                           s->beta1, s->beta2);
        if (!(s->adam_eps > 0.0) || !isfinite(s->adam_eps))
            return cr_fail(err, CVXRELU_ERR_INVALID,
                           "local: adam_eps must be a finite number > 0");
    }
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_local_train(const double *X, size_t n, size_t d, const double *Y,
                                   size_t c, const cvxrelu_local_settings *s,
                                   double **W_out, double **a_out, cvxrelu_local_result *res,
                                   cvxrelu_error *err)
{
    if (W_out) *W_out = NULL;
    if (a_out) *a_out = NULL;
    if (res) memset(res, 0, sizeof *res);
    if (!X || !Y || !W_out || !a_out || !res)
        return cr_fail(err, CVXRELU_ERR_INVALID, "local: X, Y, W_out, a_out and res are required");
    if (n == 0 || d == 0 || c == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local: empty problem (n=%zu, d=%zu, c=%zu): each must be >= 1", n, d, c);
    cvxrelu_local_settings def;
    if (!s) {
        cvxrelu_local_settings_default(&def);
        s = &def;
    }
    cvxrelu_status st = check_settings(s, err);
    if (st) return st;
    size_t cm, cmd, nc, nd, P;
    if (cr_mul_ok(c, s->width, &cm) || cr_mul_ok(cm, d, &cmd) || cr_mul_ok(n, c, &nc) ||
        cr_mul_ok(n, d, &nd) || cr_mul_ok(cm, d + 1, &P) || cm > (size_t)INT32_MAX ||
        n > (size_t)INT32_MAX || d > (size_t)INT32_MAX || P > (size_t)INT32_MAX)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "local: problem dimensions overflow (n=%zu, d=%zu, c=%zu, width=%zu)", n,
                       d, c, s->width);
    /* squares of entries beyond 1e150 overflow: refuse rather than return NaN */
    for (size_t i = 0; i < nc; i++)
        if (!isfinite(Y[i]) || fabs(Y[i]) > 1e150)
            return cr_fail(err, CVXRELU_ERR_NUMERIC,
                           "local: target %zu is %g: targets must be finite and below 1e150 in "
                           "magnitude (rescale them)", i / c + 1, Y[i]);
    for (size_t i = 0; i < nd; i++)
        if (!isfinite(X[i]) || fabs(X[i]) > 1e150)
            return cr_fail(err, CVXRELU_ERR_NUMERIC,
                           "local: feature %zu of row %zu is %g: features must be finite and "
                           "below 1e150 in magnitude (standardize them)", i % d + 1, i / d + 1,
                           X[i]);

    const int adam = s->method == CVXRELU_OPT_ADAM;
    const double lr = s->lr > 0.0 ? s->lr : adam ? 1e-3 : 0.1;
    const int minibatch = s->method != CVXRELU_OPT_GD && s->batch > 0 && s->batch < n;
    const size_t b = minibatch ? s->batch : n;
    const size_t nw = (cm + 63) / 64;
    const double t0 = cr_now();

    trainer t;
    memset(&t, 0, sizeof t);
    t.nt.d = d;
    t.nt.c = c;
    t.nt.width = s->width;
    t.nt.cm = cm;
    t.nt.nb = block_rows(n, cm);
    size_t wrows = minibatch && b > t.nt.nb ? b : t.nt.nb;
    t.nt.Z = cr_malloc(wrows, cm * sizeof(double));
    t.nt.R = cr_malloc(wrows, c * sizeof(double));
    t.theta = cr_malloc(P, sizeof(double));
    t.grad = cr_malloc(P, sizeof(double));
    t.p0 = cr_calloc(n, nw * sizeof(uint64_t));
    t.ham = cr_malloc(cm, sizeof(size_t));
    int missing = !t.nt.Z || !t.nt.R || !t.theta || !t.grad || !t.p0 || !t.ham;
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

    /* Gaussian init: all of W row by row, then a */
    cr_rng rng;
    cr_rng_seed(&rng, s->seed);
    double *W = t.theta, *a = t.theta + cmd;
    double *gW = t.grad, *ga = t.grad + cmd;
    const double sw = s->init_scale / sqrt((double)d), sa = s->init_scale / sqrt((double)s->width);
    for (size_t i = 0; i < cmd; i++) W[i] = sw * cr_rng_normal(&rng);
    for (size_t j = 0; j < cm; j++) a[j] = sa * cr_rng_normal(&rng);

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
            sq = block_pass(&t.nt, t.Xb, t.Yb, b, W, a, 1.0 / ((double)b * (double)c), gW, ga);
        } else {
            sq = full_pass(&t.nt, X, Y, n, W, a, gW, ga, NULL, 0, NULL);
        }
        obj = sq / (2.0 * (double)b * (double)c) + 0.5 * s->lambda * sum_squares(t.theta, P);
        if (!isfinite(obj)) goto diverged;
        cblas_daxpy((int)P, s->lambda, t.theta, 1, t.grad, 1);
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

    double loss, penalty;
    double sq = full_pass(&t.nt, X, Y, n, W, a, NULL, NULL, NULL, 0, NULL);
    loss = sq / (2.0 * (double)nc);
    penalty = 0.5 * s->lambda * sum_squares(t.theta, P);
    res->steps = done;
    res->loss = loss;
    res->penalty = penalty;
    res->objective = loss + penalty;
    *W_out = cr_malloc(cmd, sizeof(double));
    *a_out = cr_malloc(cm, sizeof(double));
    if (!*W_out || !*a_out) goto nomem;
    memcpy(*W_out, W, cmd * sizeof(double));
    memcpy(*a_out, a, cm * sizeof(double));
    trainer_free(&t);
    res->time_s = cr_now() - t0;
    return CVXRELU_OK;

nomem:
    st = cr_fail(err, CVXRELU_ERR_NOMEM, "local: out of memory (n=%zu, d=%zu, %zu neurons)", n,
                 d, cm);
    goto fail;
diverged:
    st = cr_fail(err, CVXRELU_ERR_NUMERIC,
                 "local training diverged at step %zu (objective = %g); lower the learning rate",
                 done, obj);
fail:
    trainer_free(&t);
    free(*W_out);
    free(*a_out);
    *W_out = NULL;
    *a_out = NULL;
    cvxrelu_local_result_free(res);
    return st;
}
