/* One-shot training of the two-layer convex programs: encode, sample the
   patterns, solve, recover the network, decompose, certify, evaluate
   (docs/api.md, "One-shot training"). */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cvxrelu_train_settings_default(cvxrelu_train_settings *s)
{
    memset(s, 0, sizeof *s);
    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    cvxrelu_certify_settings cs;
    cvxrelu_certify_settings_default(&cs);
    s->program = CVXRELU_TRAIN_GATED;
    s->task = CVXRELU_TASK_AUTO;
    s->standardize = 1;
    s->bias = 1;
    s->patterns = 100;
    s->loss = CVXRELU_LOSS_AUTO;
    s->huber_delta = 1.0;
    s->lambda = set.lambda;
    s->tol = set.tol;
    s->tol_feas = set.tol_feas;
    s->max_iter = set.max_iter;
    s->time_limit_s = set.time_limit_s;
    s->screening = set.screening;
    s->working_set = set.working_set;
    s->precondition = set.precondition;
    s->relu_method = set.relu_method;
    s->polish = set.polish;
    s->single_precision = set.single_precision;
    s->decompose = CVXRELU_TRAIN_DECOMPOSE_NONE;
    s->certify = 1;
    s->bounds = cs.bounds;
    cvxrelu_sdp_settings_default(&s->sdp);
    cvxrelu_local_settings_default(&s->local);
    s->stationarity = 1;
    s->width1 = 3;
    s->subnets = 20;
    cvxrelu_relu3_settings_default(&s->relu3);
    cvxrelu_path_settings_default(&s->path);
    s->grow_rounds = 20;
    s->grow_batch = 10;
}

void cvxrelu_train_report_free(cvxrelu_train_report *r)
{
    if (!r) return;
    cvxrelu_local_result_free(&r->local);
    cr_cv_report_free(&r->cv);
}

/* ------------------------------------------------------------ the pipeline */

typedef struct {
    const cvxrelu_train_settings *s;
    cvxrelu_train_report *r;
    cr_loop whole;   /* the call's stop request and deadline (each phase gets what is left) */
    cvxrelu_encoding *enc;
    double *X, *Y, *Xt, *Yt, *G0, *U0;
    cvxrelu_problem pb; /* the encoded training problem: X, Y above */
    cvxrelu_patterns *pat;
    cvxrelu_solver *solver;
    cvxrelu_model *model;
} train_ctx;

/* The BLAS threads for the products of the phase ahead (settings.threads 0): small
   products run faster on one thread than split across cores. */
static void choose_threads(const train_ctx *t, cvxrelu_train_phase p)
{
    const cvxrelu_train_settings *s = t->s;
    const cvxrelu_train_report *r = t->r;
    const size_t n = r->n, d = r->d, c = r->c;
    if (s->threads != 0) {
        if (s->threads > 0 && p == CVXRELU_PHASE_STARTED) cvxrelu_blas_set_threads(s->threads);
        return;
    }
    if (p == CVXRELU_PHASE_SOLVING && r->program == CVXRELU_TRAIN_SDP)
        cvxrelu_blas_set_threads(n < 150 ? 1 : 0);
    else if (p == CVXRELU_PHASE_SOLVING && r->program == CVXRELU_TRAIN_LOCAL)
        cvxrelu_blas_set_threads(cvxrelu_blas_threads_for(n, d, s->width * c));
    else if (p == CVXRELU_PHASE_SOLVING && r->program != CVXRELU_TRAIN_RELU3)
        cvxrelu_blas_set_threads(cvxrelu_blas_threads_for(n, d, r->patterns * c));
    else if (p == CVXRELU_PHASE_STARTED && r->program == CVXRELU_TRAIN_RELU3)
        cvxrelu_blas_set_threads(cvxrelu_blas_threads_for(n, d, s->subnets * s->width1 * c));
    else if (p == CVXRELU_PHASE_CERTIFYING)
        cvxrelu_blas_set_threads(0);
}

static void phase(train_ctx *t, cvxrelu_train_phase p);
static void on_cv_lambda(void *user) { phase(user, CVXRELU_PHASE_VALIDATING); }

static void phase(train_ctx *t, cvxrelu_train_phase p)
{
    choose_threads(t, p);
    if (t->s->on_phase) t->s->on_phase(p, t->r, t->s->phase_data);
    /* the BLAS the solve runs on (the callback may have set its threads) */
    if (p == CVXRELU_PHASE_STARTED || p == CVXRELU_PHASE_SOLVING) {
        t->r->threads = cvxrelu_blas_threads();
        snprintf(t->r->blas, sizeof t->r->blas, "%s", cvxrelu_blas_info());
    }
}

/* What is left of the time limit (a tiny positive time once it is spent, so the
   phase stops at its first check; 0 = no limit). */
static double time_left(const train_ctx *t)
{
    const double deadline = t->whole.stop.deadline;
    if (!(deadline > 0.0)) return 0.0;
    double left = deadline - cr_now();
    return left > 1e-9 ? left : 1e-9;
}

/* A stop request (the deadline is each phase's own business). */
static int stop_asked(const train_ctx *t)
{
    return t->whole.stop.interrupt && *t->whole.stop.interrupt;
}

/* Growing (settings.grow): rounds of a search for patterns that violate the dual at
   the current solution, each followed by a warm-started solve over the larger set. */
static cvxrelu_status grow(train_ctx *t, const cvxrelu_settings *set0, int relu,
                           cvxrelu_error *err)
{
    const cvxrelu_train_settings *s = t->s;
    cvxrelu_train_report *r = t->r;
    const size_t n = t->pb.n, d = t->pb.d, c = t->pb.c, per = relu ? 2 : 1;
    const size_t P0 = t->pat->P, cap = s->grow_max ? s->grow_max : (P0 < 10 ? 100 : 10 * P0);
    double *R = cr_malloc(n, c * sizeof(double)), *Yhat = cr_malloc(n, c * sizeof(double));
    if (!R || !Yhat) {
        free(R);
        free(Yhat);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "grow: out of memory");
    }
    cvxrelu_status st = CVXRELU_OK;
    r->grow_end = "rounds";
    r->grow_objective0 = r->convex.objective;
    r->grow_gap0 = r->convex.gap;
    for (size_t round = 1; round <= s->grow_rounds; round++) {
        if (stop_asked(t) || (t->whole.stop.deadline > 0.0 && cr_now() >= t->whole.stop.deadline)) {
            r->grow_end = "stopped";
            break;
        }
        const size_t P = t->pat->P;
        if (P >= cap) {
            r->grow_end = "patterns";
            break;
        }
        const size_t want = s->grow_batch < cap - P ? s->grow_batch : cap - P;
        /* R: the loss derivative at the predictions (squared loss: Yhat - Y) */
        if ((st = cvxrelu_solver_predict_train(t->solver, Yhat))) break;
        cvxrelu_loss_eval(&t->pb, Yhat, R);
        double *Gn = NULL, maxs = 0.0;
        size_t mn = 0;
        if ((st = cr_grow_search(&t->pb, R, t->pat, relu, want, r->lambda, s->seed + round, &Gn,
                                 &mn, &maxs, err)))
            break;
        r->grow_violation = maxs / r->lambda;
        if (!mn) {
            free(Gn);
            r->grow_end = "none found";
            break;
        }
        /* the larger set: the current gates, then the new ones; the weights carried over */
        double *Ga = cr_malloc(P + mn, d * sizeof(double));
        double *U = cr_calloc(per * (P + mn) * c, d * sizeof(double));
        cvxrelu_patterns *np = NULL;
        cvxrelu_solver *ns = NULL;
        if (!Ga || !U) st = cr_fail(err, CVXRELU_ERR_NOMEM, "grow: out of memory");
        if (!st) {
            memcpy(Ga, t->pat->gates, P * d * sizeof(double));
            memcpy(Ga + P * d, Gn, mn * d * sizeof(double));
            st = cvxrelu_patterns_from_gates(t->X, n, d, Ga, P + mn, &np, err);
        }
        free(Gn);
        if (!st && np->P < P) st = cr_fail(err, CVXRELU_ERR_NUMERIC, "grow: patterns lost");
        if (!st) { /* the old patterns come first, in their order */
            const double *Uo = cvxrelu_solver_weights(t->solver);
            memcpy(U, Uo, per * P * c * d * sizeof(double));
            cvxrelu_settings set = *set0;
            set.time_limit_s = time_left(t);
            st = cvxrelu_solver_new(&t->pb, np, &set, &ns, err);
        }
        if (!st) st = cvxrelu_solver_set_weights(ns, U);
        free(Ga);
        free(U);
        cvxrelu_result res;
        if (!st) st = cvxrelu_solver_solve(ns, &res, err);
        if (st) {
            cvxrelu_solver_free(ns);
            cvxrelu_patterns_free(np);
            break;
        }
        cvxrelu_solver_free(t->solver);
        cvxrelu_patterns_free(t->pat);
        t->solver = ns;
        t->pat = np;
        r->convex = res;
        r->exit = res.exit;
        r->patterns = np->P;
        r->grow_rounds_done = round;
        r->grow_added += np->P - P;
        phase(t, CVXRELU_PHASE_GROWN);
        if (res.exit == CVXRELU_EXIT_INTERRUPTED || res.exit == CVXRELU_EXIT_TIME_LIMIT) {
            r->grow_end = "stopped";
            break;
        }
    }
    free(R);
    free(Yhat);
    return st;
}

/* Prune the solution (settings.prune), then the certificate at the pruned point: the
   solver's finish at its weights, no iteration (an iteration could revive groups). */
static cvxrelu_status prune(train_ctx *t, cvxrelu_solver_kind kind, cvxrelu_error *err)
{
    cvxrelu_train_report *r = t->r;
    const double t0 = cr_now();
    const size_t m = cvxrelu_solver_weights(t->solver) ? t->pat->P * t->pb.c *
                                                             (kind == CVXRELU_SOLVER_RELU ? 2 : 1)
                                                       : 0;
    double *U = cr_malloc(m ? m : 1, t->pb.d * sizeof(double));
    if (!U) return cr_fail(err, CVXRELU_ERR_NOMEM, "prune: out of memory");
    memcpy(U, cvxrelu_solver_weights(t->solver), m * t->pb.d * sizeof(double));
    cvxrelu_status st = cvxrelu_prune(&t->pb, t->pat, kind, U, &r->prune_before,
                                      &r->prune_after, err);
    if (!st) st = cvxrelu_solver_set_weights(t->solver, U);
    free(U);
    if (st) return st;
    cvxrelu_result before = r->convex, res;
    if ((st = cvxrelu_solver_certify(t->solver, &res, err))) return st;
    /* the solve's own record (iterations, time, exit) with the new certificate */
    r->convex.objective = res.objective;
    r->convex.dual = fmax(res.dual, before.dual);
    r->convex.gap = r->convex.objective - r->convex.dual;
    r->convex.active_groups = res.active_groups;
    r->convex.violation = res.violation;
    r->pruned = 1;
    r->prune_objective_before = before.objective;
    r->prune_time_s = cr_now() - t0;
    return CVXRELU_OK;
}


/* The network's objective from its predictions Yhat on the training rows (the sums
   of cvxrelu_model_objective, without its forward pass). */
static double objective_at(const train_ctx *t, const double *Yhat)
{
    return cvxrelu_loss_eval(&t->pb, Yhat, NULL) + cr_model_penalty(t->model, t->r->lambda);
}

/* The network's metrics on the test rows (NAN without them). */
static cvxrelu_status test_metrics(train_ctx *t, const cvxrelu_dataset *test, cvxrelu_error *err)
{
    t->r->test_metrics = (cvxrelu_metrics){NAN, NAN};
    t->r->test_loss = NAN;
    if (!test) return CVXRELU_OK;
    t->r->test_n = test->n;
    double *Yt = malloc((test->n ? test->n : 1) * t->r->c * sizeof(double));
    if (!Yt) return cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    cvxrelu_model_forward(t->model, t->Xt, test->n, Yt);
    t->r->test_metrics = cvxrelu_metrics_of(t->model->enc, Yt, t->Yt, test->n);
    if (test->n) {
        const cvxrelu_problem pt = {t->Xt, test->n, t->r->d, t->Yt, t->r->c, t->model->loss,
                                    t->model->huber_delta};
        t->r->test_loss = cvxrelu_loss_eval(&pt, Yt, NULL);
    }
    free(Yt);
    return CVXRELU_OK;
}

/* Bounds on the non-convex optimum for the ReLU network returned (settings.certify):
   skipped after a stop request, or with no weight decay or no result. */
static cvxrelu_status certify_network(train_ctx *t, cvxrelu_error *err)
{
    const cvxrelu_train_settings *s = t->s;
    cvxrelu_train_report *r = t->r;
    if (!s->certify) return CVXRELU_OK;
    if (stop_asked(t)) {
        r->certify_skipped_interrupt = 1;
        return CVXRELU_OK;
    }
    if (!(r->lambda > 0.0) || r->no_result) return CVXRELU_OK;
    cvxrelu_certify_settings cs;
    cvxrelu_certify_settings_default(&cs);
    cs.bounds = s->bounds;
    cs.interrupt = s->interrupt;
    cs.time_limit_s = time_left(t);
    phase(t, CVXRELU_PHASE_CERTIFYING);
    cvxrelu_status st = cvxrelu_certify(t->model, t->X, t->Y, r->n, r->lambda, &cs,
                                        &r->certificate, err);
    if (!st) r->certified = 1;
    return st;
}

/* The warm model fits this run: a gated model with the same inputs, outputs and
   input transform. */
static cvxrelu_status check_warm(const cvxrelu_model *w, const cvxrelu_encoding *enc,
                                 cvxrelu_error *err)
{
    if ((w->kind != CVXRELU_MODEL_GATED && (w->kind != CVXRELU_MODEL_RELU || w->V)) ||
        w->d != enc->d || w->enc->c != enc->c)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "cannot warm-start: expected a gated or a two-layer ReLU model with %zu "
                       "inputs and %zu outputs, got a %s model with %zu and %zu", enc->d, enc->c,
                       w->kind == CVXRELU_MODEL_GATED ? "gated" : w->kind == CVXRELU_MODEL_RELU3
                                                                     ? "relu3"
                                                       : w->V ? "dense-output" : "ReLU",
                       w->d, w->enc->c);
    for (size_t k = 0; k < w->enc->d_raw; k++) {
        if (w->enc->standardize != enc->standardize || w->enc->bias != enc->bias ||
            (enc->standardize &&
             (w->enc->mean[k] != enc->mean[k] || w->enc->scale[k] != enc->scale[k])))
            return cr_fail(err, CVXRELU_ERR_INVALID,
                           "cannot warm-start: the model was trained with another input "
                           "transform (different data or standardization options)");
    }
    return CVXRELU_OK;
}

/* The index in pat of the pattern the gate g generates on the training rows, or
   SIZE_MAX (a gate silent on every row, or a pattern not held). */
static size_t pattern_of_gate(const train_ctx *t, const cvxrelu_patterns *pat, const double *g)
{
    cvxrelu_patterns *one = NULL;
    if (cvxrelu_patterns_from_gates(t->X, t->r->n, t->r->d, g, 1, &one, NULL)) return SIZE_MAX;
    const size_t nw = pat->words_per_pattern;
    size_t at = SIZE_MAX;
    for (size_t i = 0; i < pat->P && at == SIZE_MAX; i++)
        if (memcmp(pat->bits + i * nw, one->bits, nw * sizeof(uint64_t)) == 0) at = i;
    cvxrelu_patterns_free(one);
    return at;
}

/* u_ik = a_j w_j for the neuron with the gate of pattern i and output k: each warm
   neuron joins the pattern its gate generates (the first gate of a duplicated
   pattern represents it; the weights add up; a neuron silent on this data drops). */
static cvxrelu_status warm_weights(train_ctx *t, cvxrelu_error *err)
{
    const cvxrelu_model *w = t->s->warm;
    const size_t d = t->r->d, c = t->r->c;
    /* the exact program has two groups per pattern and output: v (a > 0) and w (a < 0) */
    const int relu = t->s->program == CVXRELU_TRAIN_RELU;
    const size_t per = relu ? 2 : 1;
    size_t md = per * t->pat->P * c * d;
    t->U0 = calloc(md ? md : 1, sizeof(double));
    if (!t->U0) return cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    const double *gates = w->G ? w->G : w->W; /* a ReLU neuron is its own gate */
    for (size_t j = 0; j < w->m; j++) {
        const size_t i = pattern_of_gate(t, t->pat, gates + j * d);
        if (i == SIZE_MAX) continue;
        const size_t row = per * (i * c + w->out[j]) + (relu && w->a[j] < 0.0 ? 1 : 0);
        const double a = relu ? fabs(w->a[j]) : w->a[j];
        double *u = t->U0 + row * d;
        for (size_t k = 0; k < d; k++) u[k] += a * w->W[j * d + k];
    }
    return cvxrelu_solver_set_weights(t->solver, t->U0);
}

/* Refuse before any work what cannot fit: the solver's buffers plus the patterns.
   The gated solver's d x d metric is optional: it is declined when the rest fits
   and it alone would pass the budget. */
static cvxrelu_status check_memory(train_ctx *t, size_t P, size_t m0, int *precondition,
                                   cvxrelu_error *err)
{
    const cvxrelu_train_settings *s = t->s;
    cvxrelu_train_report *r = t->r;
    const size_t n = r->n, d = r->d, c = r->c;
    const int relu = s->program == CVXRELU_TRAIN_RELU;
    size_t Pest = s->all_patterns ? 2 * n : (P > m0 ? P : m0);
    size_t need = cvxrelu_solver_memory(n, d, c, Pest,
                                        relu ? CVXRELU_SOLVER_RELU : CVXRELU_SOLVER_RFISTA);
    double limit = s->max_memory_bytes > 0 ? s->max_memory_bytes : cr_physical_memory();
    const size_t dd = (d >= 2 && d <= n && d <= CVXRELU_PRECOND_MAX_D)
                          ? d * (d + 1) * sizeof(double) : 0;
    r->memory_limit = limit;
    if (!relu && *precondition && dd && need != SIZE_MAX && (double)need > limit &&
        (double)(need - dd) <= limit) {
        r->precondition_declined = 1;
        *precondition = 0;
        need -= dd;
    }
    r->memory_need = need == SIZE_MAX ? INFINITY : (double)need;
    if (need == SIZE_MAX || (double)need > limit)
        return cr_fail(err, CVXRELU_ERR_NOMEM,
                       "this problem needs about %.3g GiB for the solver (n=%zu, d=%zu, c=%zu, "
                       "P=%zu, %s) and %.3g GiB are available%s: refused before starting",
                       r->memory_need / 1073741824.0, n, d, c, Pest, relu ? "relu" : "gated",
                       limit / 1073741824.0, s->max_memory_bytes > 0 ? " (the budget set)" : "");
    return CVXRELU_OK;
}

/* The gated network replaced by the ReLU network of its cone decomposition. */
static cvxrelu_status decompose(train_ctx *t, cvxrelu_error *err)
{
    const cvxrelu_train_settings *s = t->s;
    cvxrelu_train_report *r = t->r;
    const size_t n = r->n, d = r->d, c = r->c;
    cvxrelu_train_decompose how = s->decompose;
    if (how == CVXRELU_TRAIN_DECOMPOSE_AUTO)
        how = (double)n * (double)d * (double)d <= 2e8 ? CVXRELU_TRAIN_DECOMPOSE_MIN_NORM
                                                      : CVXRELU_TRAIN_DECOMPOSE_CLOSED;
    r->decomposed = how;
    phase(t, CVXRELU_PHASE_DECOMPOSING);
    double *Ur = NULL;
    cvxrelu_limits lim = {time_left(t), s->interrupt};
    cvxrelu_status st = cvxrelu_decompose_gated(
        t->X, n, d, t->pat, cvxrelu_solver_weights(t->solver), c,
        how == CVXRELU_TRAIN_DECOMPOSE_CLOSED ? CVXRELU_DECOMPOSE_CLOSED_FORM
                                              : CVXRELU_DECOMPOSE_MIN_NORM,
        &lim, &Ur, &r->sharpness, &r->decomposition_exit, err);
    if (st) return st;
    cvxrelu_encoding *enc = cvxrelu_encoding_copy(t->enc);
    cvxrelu_model *relu = NULL;
    if (!enc) {
        free(Ur);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    }
    st = cvxrelu_model_from_relu(t->pat, Ur, c, r->lambda, enc, &relu, err);
    free(Ur);
    if (st) return st;
    relu->objective = t->model->objective;
    relu->gap = t->model->gap;
    double *Yg = malloc(n * c * sizeof(double)), *Yr = malloc(n * c * sizeof(double));
    r->decomposition_max_abs_diff = NAN;
    if (Yg && Yr) {
        cvxrelu_model_forward(t->model, t->X, n, Yg);
        cvxrelu_model_forward(relu, t->X, n, Yr);
        double diff = 0.0;
        for (size_t i = 0; i < n * c; i++) diff = fmax(diff, fabs(Yg[i] - Yr[i]));
        r->decomposition_max_abs_diff = diff;
    }
    free(Yg);
    free(Yr);
    cvxrelu_model_free(t->model);
    t->model = relu;
    r->neurons = relu->m;
    phase(t, CVXRELU_PHASE_DECOMPOSED);
    return CVXRELU_OK;
}

/* The SDP relaxation, its certified lower bound, and the network read out of
   its solution. */
static cvxrelu_status run_sdp(train_ctx *t, const cvxrelu_dataset *test, cvxrelu_error *err)
{
    const cvxrelu_train_settings *s = t->s;
    cvxrelu_train_report *r = t->r;
    const size_t n = r->n, d = r->d, c = r->c, N = n * c;
    const double lambda = r->lambda;
    cvxrelu_status st;
    if (!(lambda > 0.0))
        return cr_fail(err, CVXRELU_ERR_INVALID, "the SDP relaxation needs lambda > 0 (weight "
                       "decay fixes the scale of the relaxation)");
    cvxrelu_sdp_settings ss = s->sdp;
    const char *mname = ss.method == CVXRELU_SDP_DSDP ? "dsdp" : "admm";
    const double need = cvxrelu_sdp_memory(n, d, c, ss.method);
    const double limit = s->max_memory_bytes > 0 ? s->max_memory_bytes : cr_physical_memory();
    r->memory_need = need;
    r->memory_limit = limit;
    if (need > limit)
        return cr_fail(err, CVXRELU_ERR_NOMEM,
                       "the SDP relaxation needs about %.3g GiB (%s, n=%zu, d=%zu, c=%zu: "
                       "%zu x %zu matrices) and %.3g GiB are available%s: refused before starting",
                       need / 1073741824.0, mname, n, d, c, 2 * n + d + c, 2 * n + d + c,
                       limit / 1073741824.0, s->max_memory_bytes > 0 ? " (the budget set)" : "");
    phase(t, CVXRELU_PHASE_PLANNED);
    ss.time_limit_s = time_left(t);
    ss.interrupt = s->interrupt;
    r->sdp_tol = ss.tol;
    phase(t, CVXRELU_PHASE_SOLVING);
    cvxrelu_sdp_result res;
    memset(&res, 0, sizeof res);
    double *U = NULL, *V = NULL, *Yn = NULL;
    if ((st = cvxrelu_sdp_solve(&t->pb, lambda, &ss, &res, err))) return st;
    r->sdp_exit = r->exit = res.exit;
    r->sdp_value = res.value;
    r->sdp_lower_bound = r->sdp_lower_bound_solver = res.lower_bound;
    r->sdp_gap = res.gap;
    r->sdp_pres = res.pres;
    r->sdp_dres = res.dres;
    r->sdp_rank = res.rank;
    r->sdp_iterations = res.iterations;
    r->sdp_rows_used = res.rows_used;
    r->sdp_rejected_steps = res.rejected_steps;
    r->sdp_time_s = res.time_s;
    phase(t, CVXRELU_PHASE_SOLVED);

    const size_t R = s->width ? s->width : (res.rank ? res.rank : 1);
    r->readout_width = R;
    const double t0 = cr_now();
    cvxrelu_limits rlim = {time_left(t), s->interrupt};
    r->readout_exit = CVXRELU_EXIT_CONVERGED;
    st = cvxrelu_sdp_readout(&t->pb, lambda, &res, R, 0, s->seed, &rlim, &U, &V,
                             &r->readout_exit, err);
    r->readout_time_s = cr_now() - t0;
    cvxrelu_encoding *enc = st ? NULL : cvxrelu_encoding_copy(t->enc);
    if (!st && !enc) st = cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    if (!st) st = cvxrelu_model_from_dense(R, U, V, lambda, enc, &t->model, err);
    if (!st && !(Yn = malloc(N * sizeof(double))))
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    if (!st) {
        cvxrelu_model_forward(t->model, t->X, n, Yn);
        double loss = 0.0;
        for (size_t i = 0; i < N; i++) loss += (Yn[i] - t->Y[i]) * (Yn[i] - t->Y[i]);
        loss /= 2.0 * (double)N;
        const double obj = loss + cr_model_penalty(t->model, lambda);
        r->readout_loss = loss;
        r->readout_penalty = obj - loss;
        r->network_objective = obj;
        /* the read-out network's objective is an upper bound on the optimum: it
           tightens the trace bound inside the certificate */
        r->sdp_lower_bound = cvxrelu_sdp_lower_bound_for(&res, obj);
        if (r->sdp_lower_bound > res.lower_bound)
            r->sdp_gap = (res.value - r->sdp_lower_bound) / fmax(fabs(res.value), 1e-300);
        t->model->objective = obj;
        t->model->gap = obj - r->sdp_lower_bound;
        r->neurons = t->model->m;
        r->train_metrics = cvxrelu_metrics_of(t->model->enc, Yn, t->Y, n);
        st = test_metrics(t, test, err);
    }
    /* stopped before the relaxation's first iteration: its read-out is no network to keep
       (as for the two-layer programs) */
    r->no_result = (r->sdp_exit == CVXRELU_EXIT_INTERRUPTED ||
                    r->sdp_exit == CVXRELU_EXIT_TIME_LIMIT) && r->sdp_iterations == 0;
    if (!st) phase(t, CVXRELU_PHASE_RECOVERED);
    free(U);
    free(V);
    free(Yn);
    cvxrelu_sdp_result_free(&res);
    return st;
}

/* The stationarity check of a local network: the exact program on the network's
   own patterns, warm-started at the network (a_j w_j joins v or w of its pattern),
   so its value is <= the network's objective, and equal at a stationary point. */
static cvxrelu_status stationarity(train_ctx *t, const double *W, const double *a,
                                   const size_t *outi, size_t mc, cvxrelu_error *err)
{
    const cvxrelu_train_settings *s = t->s;
    cvxrelu_train_report *r = t->r;
    const size_t n = r->n, d = r->d, c = r->c;
    cvxrelu_error perr = {{0}};
    cvxrelu_patterns *fp = NULL;
    if (cvxrelu_patterns_from_gates(t->X, n, d, W, mc, &fp, &perr)) {
        snprintf(r->stationarity_skipped, sizeof r->stationarity_skipped, "%.200s", perr.msg);
        return CVXRELU_OK;
    }
    r->stationarity_patterns = fp->P;
    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    set.solver = CVXRELU_SOLVER_RELU;
    set.relu_method = s->relu_method;
    set.polish = s->polish;
    set.lambda = r->lambda;
    set.tol = s->tol;
    set.max_iter = s->max_iter;
    set.interrupt = s->interrupt;
    set.time_limit_s = time_left(t);
    cvxrelu_solver *sv = NULL;
    double *Ur = NULL;
    cvxrelu_status st = cvxrelu_solver_new(&t->pb, fp, &set, &sv, err);
    if (!st && !(Ur = calloc(2 * fp->P * c * d, sizeof(double))))
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    if (!st) {
        for (size_t j = 0; j < mc && !stop_asked(t); j++) {
            const size_t i = pattern_of_gate(t, fp, W + j * d); /* SIZE_MAX: dead neuron */
            if (i == SIZE_MAX) continue;
            double *u = Ur + (2 * (i * c + outi[j]) + (a[j] < 0)) * d;
            for (size_t k = 0; k < d; k++) u[k] += fabs(a[j]) * W[j * d + k];
        }
        cvxrelu_solver_set_weights(sv, Ur);
        cvxrelu_result res;
        if (!(st = cvxrelu_solver_solve(sv, &res, err))) {
            r->stationarity_exit = res.exit;
            r->stationarity_iterations = res.iterations;
            r->stationarity_bound = res.dual;
            if (res.exit == CVXRELU_EXIT_INTERRUPTED || res.exit == CVXRELU_EXIT_TIME_LIMIT) {
                /* a cut-short re-solve proves nothing about stationarity */
                r->stationarity_run = 2;
            } else {
                r->stationarity_run = 1;
                r->stationarity_value = res.objective;
                r->stationarity_gap = res.gap;
            }
        }
    }
    free(Ur);
    cvxrelu_patterns_free(fp);
    cvxrelu_solver_free(sv);
    return st;
}

/* A non-convex network by a local method, its stationarity check and certificate. */
static cvxrelu_status run_local(train_ctx *t, const cvxrelu_dataset *test, cvxrelu_error *err)
{
    const cvxrelu_train_settings *s = t->s;
    cvxrelu_train_report *r = t->r;
    const size_t n = r->n, c = r->c;
    cvxrelu_local_settings ls = s->local;
    ls.lambda = r->lambda;
    ls.seed = s->seed;
    ls.interrupt = s->interrupt;
    const size_t m = ls.width;
    r->stationarity_value = r->stationarity_gap = r->stationarity_bound = NAN;
    phase(t, CVXRELU_PHASE_SOLVING);
    ls.time_limit_s = time_left(t);
    double *W = NULL, *a = NULL;
    size_t *outi = NULL;
    cvxrelu_status st = cvxrelu_local_train(&t->pb, &ls, &W, &a, &r->local, err);
    if (st) return st;
    r->exit = r->local.exit;
    phase(t, CVXRELU_PHASE_SOLVED);
    cvxrelu_encoding *enc = NULL;
    double *Yn = NULL;
    if (!(outi = malloc((m * c > 0 ? m * c : 1) * sizeof(size_t))) ||
        !(enc = cvxrelu_encoding_copy(t->enc)) || !(Yn = malloc(n * c * sizeof(double)))) {
        cvxrelu_encoding_free(enc);
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t j = 0; j < m * c; j++) outi[j] = j / m;
    if ((st = cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, m * c, W, a, outi, r->lambda, enc,
                                        &t->model, err)))
        goto out;
    t->model->objective = r->local.objective;
    t->model->loss = t->pb.loss;
    t->model->huber_delta = t->pb.huber_delta;
    if (s->stationarity && (st = stationarity(t, W, a, outi, m * c, err))) goto out;
    cvxrelu_model_forward(t->model, t->X, n, Yn);
    r->train_metrics = cvxrelu_metrics_of(t->model->enc, Yn, t->Y, n);
    r->neurons = t->model->m;
    r->network_objective = r->local.objective;
    if ((st = test_metrics(t, test, err))) goto out;
    phase(t, CVXRELU_PHASE_RECOVERED);
    st = certify_network(t, err);
out:
    free(W);
    free(a);
    free(outi);
    free(Yn);
    return st;
}

/* The three-layer program over sampled configurations (and those of configs_from),
   or, with relu3_local, a locally trained network and the program on its own
   configurations as its stationarity check. */
static cvxrelu_status run_relu3(train_ctx *t, const cvxrelu_dataset *test, cvxrelu_error *err)
{
    const cvxrelu_train_settings *s = t->s;
    cvxrelu_train_report *r = t->r;
    const size_t n = r->n, d = r->d, c = r->c, m1 = s->width1, K = s->subnets;
    const double lambda = r->lambda;
    const int local = s->relu3_local;
    const cvxrelu_model *from = s->configs_from;
    const size_t samples = local ? 0 : (K + 1) / 2;
    cvxrelu_status st = CVXRELU_OK;
    if (!(lambda > 0.0))
        return cr_fail(err, CVXRELU_ERR_INVALID, "the three-layer program needs lambda > 0");
    if (m1 == 0) return cr_fail(err, CVXRELU_ERR_INVALID, "relu3: width1 must be >= 1");
    if (from && (from->kind != CVXRELU_MODEL_RELU3 || from->width1 != m1 || from->d != d)) {
        cr_fail(err, CVXRELU_ERR_INVALID,
                "configs_from needs a relu3 model with width1 %zu and %zu inputs (it has kind "
                "%s, width1 %zu, %zu inputs)", m1, d,
                from->kind == CVXRELU_MODEL_RELU3 ? "relu3" : "two-layer", from->width1, from->d);
        r->bad_input = "configs_from";
        return CVXRELU_ERR_INVALID;
    }
    cvxrelu_configs *cf = NULL;
    double *W = NULL, *W1 = NULL, *W2 = NULL, *a3 = NULL, *Yn = NULL;
    size_t *outi = NULL, *idx = NULL, *from_idx = NULL;
    r->network_objective = NAN;
    if (local) {
        cvxrelu_local_settings ls = s->local;
        ls.lambda = lambda;
        ls.seed = s->seed;
        ls.time_limit_s = time_left(t);
        ls.interrupt = s->interrupt;
        if ((st = cvxrelu_local3_train(&t->pb, K, m1, &ls, &W1, &W2, &a3, &r->local, err)))
            goto out;
        cvxrelu_encoding *enc = NULL;
        if (!(outi = malloc((K * c > 0 ? K * c : 1) * sizeof(size_t))) ||
            !(enc = cvxrelu_encoding_copy(t->enc))) {
            st = cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
            goto out;
        }
        for (size_t j = 0; j < K * c; j++) outi[j] = j / K;
        if ((st = cvxrelu_model_from_relu3_arrays(K * c, m1, W1, W2, a3, outi, lambda, enc,
                                                  &t->model, err)))
            goto out;
        r->network_objective = cvxrelu_model_objective(t->model, t->X, t->Y, n, lambda);
        t->model->objective = r->local.objective;
        r->exit = r->local.exit;
        phase(t, CVXRELU_PHASE_LOCAL_TRAINED);
    }
    {
        /* the program's memory grows with the configurations: sampling stops as soon
           as those found (with the ones still to be added) would not fit */
        const double limit = s->max_memory_bytes > 0 ? s->max_memory_bytes : cr_physical_memory();
        r->memory_limit = limit;
        const double extra = (double)(from ? from->m : 0) + (local ? (double)(K * c) : 0.0);
        const size_t cap = cr_relu3_sample_cap(n, d, c, m1, samples, extra, limit);
        cvxrelu_limits clim = {time_left(t), s->interrupt};
        cvxrelu_exit cex = CVXRELU_EXIT_CONVERGED;
        if ((st = cvxrelu_configs_sample_limited(t->X, n, d, m1, samples, s->seed, cap, &clim,
                                                 &cf, &cex, err)))
            goto out;
        r->sampling_exit = cex;
        r->configurations = cf->P;
        r->configurations_sampled = cf->sampled;
        phase(t, CVXRELU_PHASE_SAMPLED);
        if ((cex == CVXRELU_EXIT_INTERRUPTED || cex == CVXRELU_EXIT_TIME_LIMIT) && !local) {
            r->exit = cex; /* nothing to show */
            r->no_result = 1;
            goto out;
        }
        if (cap && cf->P >= cap) {
            double vars, cons, bytes;
            const size_t Pn = cf->P + (size_t)extra;
            cvxrelu_relu3_cost(n, d, c, m1, Pn, &vars, &cons, &bytes);
            st = cr_fail(err, CVXRELU_ERR_NOMEM,
                         "the three-layer program needs at least %.3g GiB: the %zu distinct "
                         "configurations found after %zu of %zu samples (width1 %zu, n=%zu, "
                         "d=%zu, c=%zu: %.4g variables, %.4g constraint rows), and %.3g GiB are "
                         "available%s: refused before solving (ask for fewer sub-networks)",
                         bytes / 1073741824.0, Pn, cf->sampled, samples, m1, n, d, c, vars,
                         cons, limit / 1073741824.0,
                         s->max_memory_bytes > 0 ? " (the budget set)" : "");
            goto out;
        }
    }
    if (from) {
        if (!(from_idx = malloc((from->m ? from->m : 1) * sizeof(size_t)))) goto nomem;
        if ((st = cvxrelu_configs_add_network(cf, t->X, from->m, from->W, from->W2, from_idx,
                                              err)))
            goto out;
    }
    if (local) {
        if (!(idx = malloc((K * c > 0 ? K * c : 1) * sizeof(size_t)))) goto nomem;
        if ((st = cvxrelu_configs_add_network(cf, t->X, K * c, W1, W2, idx, err))) goto out;
    }
    {
        double bytes;
        cvxrelu_relu3_cost(n, d, c, m1, cf->P, &r->relu3_variables, &r->relu3_constraints,
                           &bytes);
        r->configurations = cf->P;
        r->memory_need = bytes;
        phase(t, CVXRELU_PHASE_PLANNED);
        if (bytes > r->memory_limit) {
            st = cr_fail(err, CVXRELU_ERR_NOMEM,
                         "the three-layer program needs about %.3g GiB (%zu configurations, "
                         "width1 %zu, n=%zu, d=%zu, c=%zu: %.4g variables, %.4g constraint rows) "
                         "and %.3g GiB are available%s: refused before starting",
                         bytes / 1073741824.0, cf->P, m1, n, d, c, r->relu3_variables,
                         r->relu3_constraints, r->memory_limit / 1073741824.0,
                         s->max_memory_bytes > 0 ? " (the budget set)" : "");
            goto out;
        }
    }
    if (cf->P == 0) {
        st = cr_fail(err, CVXRELU_ERR_NUMERIC,
                     "no configuration with an active second layer was found (%zu sub-networks "
                     "asked): ask for more", K);
        goto out;
    }
    if (!(local && !s->stationarity)) {
        const size_t wlen = 2 * cf->P * c * m1 * d;
        if (local) {
            /* start the program at the network itself (its image in the program) */
            if (!(W = calloc(wlen ? wlen : 1, sizeof(double)))) goto nomem;
            if ((st = cvxrelu_relu3_weights_from_network(cf, t->X, c, K * c, W1, W2,
                                                         t->model->a, outi, idx, W, err)))
                goto out;
        } else if (from && from->m) {
            /* start at the given network: the answer is then never worse than it */
            if (!(W = calloc(wlen ? wlen : 1, sizeof(double)))) goto nomem;
            if ((st = cvxrelu_relu3_weights_from_network(cf, t->X, c, from->m, from->W,
                                                         from->W2, from->a, from->out,
                                                         from_idx, W, err)))
                goto out;
        }
        cvxrelu_relu3_settings rs = s->relu3;
        rs.lambda = lambda;
        rs.time_limit_s = time_left(t);
        rs.interrupt = s->interrupt;
        rs.callback = s->callback;
        rs.callback_data = s->callback_data;
        phase(t, CVXRELU_PHASE_SOLVING);
        rs.start = W; /* the network's image, or NULL: zero */
        double *W0 = W;
        W = NULL;
        st = cvxrelu_relu3_solve(&t->pb, cf, &rs, &W, &r->relu3, err);
        free(W0);
        if (st) goto out;
        r->relu3_solved = 1;
        if (!local) r->exit = r->relu3.exit;
        phase(t, CVXRELU_PHASE_SOLVED);
        if (!local) {
            cvxrelu_encoding *enc = cvxrelu_encoding_copy(t->enc);
            if (!enc) goto nomem;
            if ((st = cvxrelu_model_from_relu3(cf, W, c, lambda, enc, &t->model, err))) goto out;
            t->model->objective = r->relu3.objective;
            t->model->gap = r->relu3.gap;
            r->network_objective = cvxrelu_model_objective(t->model, t->X, t->Y, n, lambda);
        }
    }
    if (!(Yn = malloc(n * c * sizeof(double)))) goto nomem;
    cvxrelu_model_forward(t->model, t->X, n, Yn);
    r->train_metrics = cvxrelu_metrics_of(t->model->enc, Yn, t->Y, n);
    r->neurons = t->model->m;
    if ((st = test_metrics(t, test, err))) goto out;
    phase(t, CVXRELU_PHASE_RECOVERED);
    goto out;
nomem:
    st = cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
out:
    cvxrelu_configs_free(cf);
    free(W);
    free(W1);
    free(W2);
    free(a3);
    free(Yn);
    free(outi);
    free(idx);
    free(from_idx);
    return st;
}

static cvxrelu_status run(train_ctx *t, const cvxrelu_dataset *train,
                          const cvxrelu_dataset *test, cvxrelu_error *err)
{
    const cvxrelu_train_settings *s = t->s;
    cvxrelu_train_report *r = t->r;
    cvxrelu_status st;
    const int relu = s->program == CVXRELU_TRAIN_RELU;
    if (!train->has_labels)
        return cr_fail(err, CVXRELU_ERR_INVALID, "training data needs a label column");
    if ((st = cvxrelu_encoding_fit(train, s->task, s->standardize, s->bias, &t->enc, err)) ||
        (s->standardize && (cr_encoding_fit_targets(t->enc, train), 0)) ||
        (st = cvxrelu_encoding_features(t->enc, train, &t->X, err)) ||
        (st = cvxrelu_encoding_targets(t->enc, train, &t->Y, err)))
        return st;
    if (test && ((st = cvxrelu_encoding_features(t->enc, test, &t->Xt, err)) ||
                 (st = cvxrelu_encoding_targets(t->enc, test, &t->Yt, err))))
        return st;
    const size_t n = train->n, d = t->enc->d, c = t->enc->c;
    r->n = n;
    r->d = d;
    r->c = c;
    t->pb = (cvxrelu_problem){t->X, n, d, t->Y, c, cvxrelu_train_loss(s, t->enc->task, c),
                              t->s->huber_delta};
    r->loss = t->pb.loss;
    r->d_raw = t->enc->d_raw;
    r->task = t->enc->task;
    r->lambda = s->beta > 0.0 ? s->beta / (double)(n * c) : s->lambda;
    phase(t, CVXRELU_PHASE_STARTED);
    if (s->program == CVXRELU_TRAIN_SDP) return run_sdp(t, test, err);
    if (s->program == CVXRELU_TRAIN_LOCAL) return run_local(t, test, err);
    if (s->program == CVXRELU_TRAIN_RELU3) return run_relu3(t, test, err);

    /* gates: the warm-start model's, then the given ones, then sampled ones */
    const cvxrelu_model *w = s->warm;
    if (w && (st = check_warm(w, t->enc, err))) {
        t->r->bad_input = "warm";
        return st;
    }
    size_t m0 = 0;
    if ((st = cr_train_gates(s, t->enc, &t->G0, &m0, err))) return st;
    const size_t P = s->patterns;
    r->patterns_asked = P;
    int precondition = s->precondition;
    if ((st = check_memory(t, P, m0, &precondition, err))) return st;
    phase(t, CVXRELU_PHASE_PLANNED);

    cvxrelu_exit pex = CVXRELU_EXIT_CONVERGED;
    cvxrelu_limits plim = {time_left(t), s->interrupt};
    st = s->all_patterns ? cvxrelu_patterns_enumerate(t->X, n, d, &t->pat, err)
                         : cvxrelu_patterns_build(t->X, n, d, t->G0, m0, P, s->seed,
                                                  s->width ? s->width / 2 : 0, &plim, &t->pat,
                                                  &pex, err);
    if (st) return st;
    r->sampling_exit = pex;
    r->patterns = t->pat ? t->pat->P : 0;
    r->gates_drawn = t->pat ? t->pat->sampled : 0;
    if (!t->pat) { /* stopped before a pattern was found */
        r->exit = pex;
        r->no_result = 1;
        phase(t, CVXRELU_PHASE_SAMPLED);
        return CVXRELU_OK;
    }
    phase(t, CVXRELU_PHASE_SAMPLED);

    if (s->lambda_auto) { /* cross-validation over the path's grid picks lambda */
        if (s->threads == 0)
            cvxrelu_blas_set_threads(cvxrelu_blas_threads_for(t->pb.n, t->pb.d, t->pat->P * t->pb.c));
        /* under a time limit, cross-validation gets three quarters of what is left and
           the final fit the rest */
        const double dl = t->whole.stop.deadline;
        const double cv_deadline = dl > 0.0 ? cr_now() + 0.75 * fmax(dl - cr_now(), 0.0) : 0.0;
        if ((st = cr_cv_lambda(&t->pb, t->enc, t->pat, s, cv_deadline, &r->cv,
                               on_cv_lambda, t, err)))
            return st;
        if (r->cv.lambdas_done) r->lambda = r->cv.lambda;
    } else if (s->lambda_ratio > 0.0) {
        double lmax = cvxrelu_lambda_max(&t->pb, t->pat);
        if (!isfinite(lmax)) return cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory computing lambda_max");
        r->lambda = s->lambda_ratio * lmax;
    }
    const double lambda = r->lambda;
    cvxrelu_settings set;
    cr_train_solver_settings(s, &set);
    set.lambda = lambda;
    set.precondition = precondition; /* may have been declined for memory */
    set.time_limit_s = time_left(t);
    set.callback = s->callback;
    set.callback_data = s->callback_data;
    set.interrupt = s->interrupt;
    if ((st = cvxrelu_solver_new(&t->pb, t->pat, &set, &t->solver, err))) return st;
    if (w && (st = warm_weights(t, err))) return st;
    phase(t, CVXRELU_PHASE_SOLVING);

    cvxrelu_result *res = &r->convex;
    if ((st = cvxrelu_solver_solve(t->solver, res, err))) return st;
    r->exit = res->exit;
    if (s->grow && res->exit != CVXRELU_EXIT_INTERRUPTED && res->exit != CVXRELU_EXIT_TIME_LIMIT &&
        (st = grow(t, &set, relu, err)))
        return st;
    if (s->prune && res->active_groups > 1 && !stop_asked(t) &&
        (st = prune(t, set.solver, err)))
        return st;
    phase(t, CVXRELU_PHASE_SOLVED);

    /* the network, and a check that it reproduces the convex fit */
    cvxrelu_encoding *enc = cvxrelu_encoding_copy(t->enc);
    if (!enc) return cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    const double *U = cvxrelu_solver_weights(t->solver);
    st = relu ? cvxrelu_model_from_relu(t->pat, U, c, lambda, enc, &t->model, err)
              : cvxrelu_model_from_gated(t->pat, U, c, lambda, enc, &t->model, err);
    if (st) return st;
    t->model->objective = res->objective;
    t->model->gap = res->gap;
    r->neurons = t->model->m;
    r->sharpness = NAN;
    r->decomposition_max_abs_diff = NAN;
    r->decomposition_exit = CVXRELU_EXIT_CONVERGED;
    if (!relu && s->decompose != CVXRELU_TRAIN_DECOMPOSE_NONE && (st = decompose(t, err)))
        return st;
    t->model->loss = t->pb.loss; /* its objective, certificate and scores follow it */
    t->model->huber_delta = t->pb.huber_delta;
    double *Yc = malloc(n * c * sizeof(double)), *Yn = malloc(n * c * sizeof(double));
    if (!Yc || !Yn) {
        free(Yc);
        free(Yn);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    }
    cvxrelu_solver_predict_train(t->solver, Yc);
    cvxrelu_model_forward(t->model, t->X, n, Yn);
    double maxdiff = 0.0;
    for (size_t i = 0; i < n * c; i++) maxdiff = fmax(maxdiff, fabs(Yc[i] - Yn[i]));
    r->recovery_max_abs_diff = maxdiff;
    r->train_metrics = cvxrelu_metrics_of(t->model->enc, Yn, t->Y, n);
    r->network_objective = objective_at(t, Yn);
    free(Yc);
    free(Yn);
    if ((st = test_metrics(t, test, err))) return st;
    /* stopped before the first iteration with nothing to show */
    const int stopped = res->exit == CVXRELU_EXIT_INTERRUPTED ||
                        res->exit == CVXRELU_EXIT_TIME_LIMIT;
    r->no_result = stopped && res->iterations == 0 && t->model->m == 0;
    phase(t, CVXRELU_PHASE_RECOVERED);

    /* bounds on the non-convex optimum itself: for every ReLU network */
    if (t->model->kind == CVXRELU_MODEL_RELU) return certify_network(t, err);
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_train(const cvxrelu_dataset *train, const cvxrelu_dataset *test,
                             const cvxrelu_train_settings *s, cvxrelu_model **model_out,
                             cvxrelu_train_report *report, cvxrelu_error *err)
{
    if (model_out) *model_out = NULL;
    if (!train || !s || !model_out || !report)
        return cr_fail(err, CVXRELU_ERR_INVALID, "train: missing argument");
    /* first: a refused run leaves an empty report, which cvxrelu_train_report_free takes */
    memset(report, 0, sizeof *report);
    if (s->program != CVXRELU_TRAIN_GATED && s->program != CVXRELU_TRAIN_RELU &&
        s->program != CVXRELU_TRAIN_SDP && s->program != CVXRELU_TRAIN_LOCAL &&
        s->program != CVXRELU_TRAIN_RELU3)
        return cr_fail(err, CVXRELU_ERR_INVALID, "train: unknown program %d", (int)s->program);
    if (s->lambda_auto && s->program != CVXRELU_TRAIN_GATED && s->program != CVXRELU_TRAIN_RELU)
        return cr_fail(err, CVXRELU_ERR_UNSUPPORTED,
                       "train: lambda by cross-validation is for the gated and the exact ReLU "
                       "programs");
    if (s->gates && !s->n_gates)
        return cr_fail(err, CVXRELU_ERR_INVALID, "train: gates given with n_gates = 0");
    if (s->loss != CVXRELU_LOSS_SQUARED && s->loss != CVXRELU_LOSS_AUTO &&
        s->program != CVXRELU_TRAIN_GATED && s->program != CVXRELU_TRAIN_RELU &&
        s->program != CVXRELU_TRAIN_LOCAL)
        return cr_fail(err, CVXRELU_ERR_UNSUPPORTED,
                       "train: the %s loss is built for the gated and the exact ReLU programs "
                       "and the two-layer local optimizers; the SDP and three-layer programs "
                       "are squared loss (as in their papers)", cvxrelu_loss_name(s->loss));
    const double t0 = cr_now();
    train_ctx t;
    memset(&t, 0, sizeof t);
    t.s = s;
    t.r = report;
    cr_loop_start(&t.whole, s->interrupt, s->time_limit_s > 0.0 ? s->time_limit_s : 0.0,
                  CR_LOOP_UNLIMITED);
    report->program = s->program;
    report->sharpness = report->decomposition_max_abs_diff = NAN;
    report->train_metrics = report->test_metrics = (cvxrelu_metrics){NAN, NAN};
    report->test_loss = NAN;
    const int threads0 = cvxrelu_blas_threads();
    cvxrelu_status st = run(&t, train, test, err);
    if (s->threads == 0) cvxrelu_blas_set_threads(threads0);
    if (st == CVXRELU_OK) {
        *model_out = t.model;
        t.model = NULL;
    }
    report->time_s = cr_now() - t0;
    cvxrelu_model_free(t.model);
    cvxrelu_encoding_free(t.enc);
    free(t.X);
    free(t.Y);
    free(t.Xt);
    free(t.Yt);
    free(t.G0);
    free(t.U0);
    cvxrelu_patterns_free(t.pat);
    cvxrelu_solver_free(t.solver);
    return st;
}
