/*
 * Progress as text: the iteration table, one summary per phase and the closing
 * summary of cvxrelu_train, to a stream the caller names (docs/cli.md, "Output on
 * stderr").  Nothing is written unless the caller plugs these functions into the
 * settings' callbacks.
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GIB 1073741824.0

void cvxrelu_progress_init(cvxrelu_progress *pg, FILE *out, int verbose, const char *data_name,
                           const cvxrelu_train_settings *s)
{
    memset(pg, 0, sizeof *pg);
    pg->out = out;
    pg->verbose = verbose;
    pg->data_name = data_name ? data_name : "(arrays)";
    pg->settings = s;
    pg->relu3 = s->program == CVXRELU_TRAIN_RELU3;
    pg->last_print = -1e9;
}

cvxrelu_status cvxrelu_progress_trace_open(cvxrelu_progress *pg, const char *path,
                                           cvxrelu_error *err)
{
    if (!(pg->trace = fopen(path, "w")))
        return cr_fail(err, CVXRELU_ERR_IO, "%s: cannot open for writing: %s", path,
                       strerror(errno));
    pg->trace_path = path;
    pg->trace_errno = 0;
    fprintf(pg->trace, "iter,objective,dual,gap,step,active,time_s,restart,violation\n");
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_progress_trace_close(cvxrelu_progress *pg, cvxrelu_error *err)
{
    if (!pg->trace) return CVXRELU_OK;
    int eno = pg->trace_errno;
    if (!eno && ferror(pg->trace)) eno = EIO;
    if (fflush(pg->trace) != 0 && !eno) eno = errno ? errno : EIO;
    if (fclose(pg->trace) != 0 && !eno) eno = errno ? errno : EIO;
    pg->trace = NULL;
    if (eno)
        return cr_fail(err, CVXRELU_ERR_IO, "%s: write failed: %s", pg->trace_path,
                       strerror(eno));
    return CVXRELU_OK;
}

static void say(cvxrelu_progress *pg, const char *fmt, ...)
{
    if (!pg->out) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(pg->out, fmt, ap);
    va_end(ap);
}

static void log_header(cvxrelu_progress *pg)
{
    say(pg, "%6s %14s %14s %10s %10s %7s %9s%s\n", "iter", "objective", "dual", "rel_gap", "step",
         "active", "time_s", pg->violation_column ? "  violation" : "");
}

static void log_row(cvxrelu_progress *pg, const cvxrelu_iterate_info *it, const char *mark)
{
    char viol[32] = "";
    if (pg->violation_column) snprintf(viol, sizeof viol, " %10.3e", it->violation);
    say(pg, "%6zu %14.8e %14.8e %10.3e %10.3e %7zu %9.3f%s%s\n", it->iter, it->objective, it->dual,
         isfinite(it->gap) ? it->gap / fmax(1.0, fabs(it->objective)) : INFINITY, it->step,
         it->active, it->time_s, viol, mark);
}

void cvxrelu_progress_iterate(const cvxrelu_iterate_info *it, void *progress)
{
    cvxrelu_progress *pg = progress;
    if (it->heartbeat) { /* a long step: say so, no trace row */
        if (pg->out)
            say(pg, "  ... %s still running at %.0f s\n",
                it->iter ? "an iteration" : "the start (before iteration 0)", it->time_s);
        return;
    }
    if (pg->trace && fprintf(pg->trace, "%zu,%.17g,%.17g,%.17g,%.17g,%zu,%.6f,%d,%.6g\n",
                             it->iter, it->objective, it->dual, it->gap, it->step, it->active,
                             it->time_s, it->restart, it->violation) < 0 && !pg->trace_errno)
        pg->trace_errno = errno ? errno : EIO;
    if (!pg->out) return;
    /* iterations 0-9, then 10, 20, ..., 100, 200, ..., and at least every 5 s */
    size_t every = 1;
    while (every * 10 <= it->iter) every *= 10;
    const double eps = pg->relu3 ? pg->settings->relu3.tol : pg->settings->tol;
    int show = it->iter % every == 0 || it->time_s - pg->last_print >= 5.0 ||
               it->gap <= eps * fmax(1.0, fabs(it->objective));
    if (pg->verbose || show) {
        log_row(pg, it, it->restart ? "  r" : "");
        pg->last_print = it->time_s;
    }
}

/* The summary line of the trained network on stderr. */
static void say_network(cvxrelu_progress *pg, const cvxrelu_train_report *r)
{
    const int cls = r->task == CVXRELU_TASK_CLASSIFICATION;
    const cvxrelu_metrics mtr = r->train_metrics, mte = r->test_metrics;
    say(pg, "network: %zu %s | train %s %.6g", r->neurons,
         r->program == CVXRELU_TRAIN_RELU3 ? "sub-networks" : "neurons", cls ? "accuracy" : "mse",
         cls ? mtr.accuracy : mtr.mse);
    if (r->test_n) say(pg, " | test %s %.6g (n=%zu)", cls ? "accuracy" : "mse",
                      cls ? mte.accuracy : mte.mse, r->test_n);
    if (r->test_n && r->loss != CVXRELU_LOSS_SQUARED)
        say(pg, ", mean %s loss %.6g", cvxrelu_loss_name(r->loss), r->test_loss);
    say(pg, "\n");
}



static void convex_banner(cvxrelu_progress *pg, const cvxrelu_train_report *r)
{
    const cvxrelu_train_settings *s = pg->settings;
    const int relu = r->program == CVXRELU_TRAIN_RELU;
    const cvxrelu_relu_method rm =
        cr_relu_method_pick(s->relu_method, r->loss, r->n, r->d, r->c, r->patterns);
    say(pg, "cvxrelu %s | %s | BLAS: %s\n", CVXRELU_VERSION,
         !relu ? "gated ReLU group lasso, R-FISTA"
         : rm == CVXRELU_RELU_ADMM ? "exact ReLU (cone-constrained), ADMM with cone slacks"
                                   : "exact ReLU (cone-constrained), R-FISTA with cone-projection prox",
         cvxrelu_blas_info());
    say(pg, "data %s: n=%zu d=%zu%s c=%zu task=%s loss=%s | patterns %zu of %zu gates drawn\n",
         pg->data_name, r->n, r->d_raw, s->bias ? " (+bias)" : "", r->c,
         r->task == CVXRELU_TASK_CLASSIFICATION ? "classification" : "regression",
         cvxrelu_loss_name(r->loss), r->patterns, r->gates_drawn);
    say(pg, "lambda %.6g (beta = lambda n c = %.6g) | eps_gap %.1e | seed %llu", r->lambda,
         r->lambda * (double)(r->n * r->c), s->tol, (unsigned long long)s->seed);
    if (!relu) {
        const size_t de = r->d;
        const int plain = !s->precondition || r->precondition_declined;
        const int can = de >= 2 && de <= r->n && de <= CVXRELU_PRECOND_MAX_D;
        char steps[64];
        if (plain || can)
            snprintf(steps, sizeof steps, "%s", plain ? "plain steps" : "preconditioned steps");
        else if (de > r->n)
            snprintf(steps, sizeof steps, "plain steps (d > n: no d x d metric)");
        else
            snprintf(steps, sizeof steps, "plain steps (d > %d: no d x d metric)",
                     CVXRELU_PRECOND_MAX_D);
        say(pg, " | products in %s, %s, %s", s->single_precision ? "float32 (certificate in double)" : "double",
             s->screening && s->working_set ? "gap-safe screening, working set"
             : s->screening                 ? "gap-safe screening"
             : s->working_set               ? "working set"
                                            : "every group",
             steps);
    }
    say(pg, "\n");
}

/* What the CLI shows at each phase of the gated and ReLU programs. */
static void convex_phase(cvxrelu_progress *pg, cvxrelu_train_phase p, const cvxrelu_train_report *r)
{
    const cvxrelu_train_settings *s = pg->settings;
    const int relu = r->program == CVXRELU_TRAIN_RELU;
    const size_t n = r->n, d = r->d, c = r->c;
    const cvxrelu_result *res = &r->convex;
    switch (p) {
    case CVXRELU_PHASE_PLANNED:
        if (r->precondition_declined)
            say(pg, "memory: the preconditioner's %zu x %zu metric (%.3g GiB) would pass the %.3g GiB "
                 "available: plain steps\n", d, d, (double)(d * (d + 1) * sizeof(double)) / GIB,
                 r->memory_limit / GIB);
        if (pg->verbose) say(pg, "memory: the solver needs about %.3g GiB\n", r->memory_need / GIB);
        break;
    case CVXRELU_PHASE_SAMPLED:
        if (r->sampling_exit == CVXRELU_EXIT_INTERRUPTED ||
            r->sampling_exit == CVXRELU_EXIT_TIME_LIMIT)
            say(pg, "%s while sampling the activation patterns (%zu of %zu found)\n",
                 r->sampling_exit == CVXRELU_EXIT_INTERRUPTED ? "interrupted" : "time limit reached",
                 r->patterns, r->patterns_asked);
        if (!r->no_result && r->patterns_asked > 0 && r->patterns < r->patterns_asked)
            say(pg, "note: only %zu distinct patterns found in %zu draws (asked for %zu)\n",
                 r->patterns, r->gates_drawn, r->patterns_asked);
        break;
    case CVXRELU_PHASE_GROWN:
        say(pg, "grow: round %zu: %zu patterns (+%zu so far) | objective %.10e | gap %.3e | "
                "largest violation found %.4g lambda | %zu iterations, %.3f s\n",
            r->grow_rounds_done, r->patterns, r->grow_added, res->objective, res->gap,
            r->grow_violation, res->iterations, res->solve_time_s);
        break;
    case CVXRELU_PHASE_VALIDATING:
        if (r->cv.folds_at) { /* inside a grid point: a line every 10 s at most */
            if (r->cv.time_s - pg->cv_last >= 10.0) {
                say(pg, "cross-validation: lambda %zu of %zu (%.6g): fold %zu of %zu solved "
                        "(%.2f s)\n", r->cv.lambdas_done + 1, r->cv.lambdas,
                    r->cv.grid[r->cv.lambdas_done], r->cv.folds_at, r->cv.folds, r->cv.time_s);
                pg->cv_last = r->cv.time_s;
            }
            break;
        }
        pg->cv_last = r->cv.time_s;
        say(pg, "cross-validation: lambda %zu of %zu (%.6g): mean validation %s %.4g +- %.2g over "
                "%zu folds (%.2f s)\n", r->cv.lambdas_done, r->cv.lambdas,
            r->cv.grid[r->cv.lambdas_done - 1],
            r->task == CVXRELU_TASK_CLASSIFICATION ? "error" : "mse",
            r->cv.mean[r->cv.lambdas_done - 1], r->cv.se[r->cv.lambdas_done - 1], r->cv.folds,
            r->cv.time_s);
        break;
    case CVXRELU_PHASE_SOLVING:
        pg->violation_column = relu;
        if (r->cv.run && r->cv.lambdas_done) {
            const cvxrelu_cv_report *cv = &r->cv;
            say(pg, "lambda %.6g chosen by %zu-fold cross-validation (%s rule) over %zu lambdas "
                    "from lambda_max %.6g: validation %s %.4g +- %.2g (best %.4g at lambda "
                    "%.6g)%s\n", cv->lambda, cv->folds,
                cv->rule == CVXRELU_CV_ONE_SE ? "one-standard-error" : "minimum", cv->lambdas,
                cv->lambda_max, r->task == CVXRELU_TASK_CLASSIFICATION ? "error" : "mse",
                cv->mean[cv->chosen], cv->se[cv->chosen], cv->mean[cv->best], cv->grid[cv->best],
                cv->early_stop ? "; the grid ended early, 3 lambdas bringing no new best"
                : cv->lambdas_done < cv->lambdas ? "; cut short" : "");
        } else if (r->cv.run && r->cv.exit == CVXRELU_EXIT_STALLED) {
            say(pg, "cross-validation skipped (%s): lambda %.6g\n",
                r->n < 2 ? "a single training row" : "lambda_max leaves nothing to validate",
                r->lambda);
        } else if (r->cv.run) {
            say(pg, "cross-validation stopped before its first lambda: lambda %.6g\n", r->lambda);
        }
        if (relu && s->single_precision)
            say(pg, "note: --precision single applies to the gated program; the ReLU program runs "
                 "in double\n");
        if (relu && d > 200)
            say(pg, "note: the ReLU program projects onto each pattern's cone at every step, at a "
                 "cost growing with n d and with up to d active rows per cone; with d = %zu "
                 "expect slow progress (the gated program with --decompose is the scalable "
                 "route)\n", d);
        convex_banner(pg, r);
        log_header(pg);
        break;
    case CVXRELU_PHASE_SOLVED:
        say(pg, "exit: %s after %zu iterations | objective %.10e | gap %.3e (relative %.3e) | "
             "active %zu of %zu groups\n",
             cvxrelu_exit_string(res->exit), res->iterations, res->objective, res->gap,
             res->gap / fmax(1.0, fabs(res->objective)), res->active_groups,
             (relu ? 2 : 1) * r->patterns * c);
        say(pg, "time: solve %.3f s, of which BLAS %.3f s (%zu passes over X) | lambda_max %.6g\n",
             res->solve_time_s, res->gemm_time_s, res->matvecs, res->lambda_max);
        if (r->grow_end)
            say(pg, "grow: ended (%s) after %zu rounds: %zu patterns added, the last search's "
                    "largest violation %.4g lambda (a search, not a proof)\n", r->grow_end,
                r->grow_rounds_done, r->grow_added, r->grow_violation);
        if (r->pruned)
            say(pg, "prune: %zu -> %zu active groups in %.3f s | objective %.10e -> %.10e | "
                    "gap %.3e at the pruned point\n", r->prune_before, r->prune_after,
                r->prune_time_s, r->prune_objective_before, res->objective, res->gap);
        break;
    case CVXRELU_PHASE_DECOMPOSING:
        if (s->decompose == CVXRELU_TRAIN_DECOMPOSE_AUTO &&
            r->decomposed == CVXRELU_TRAIN_DECOMPOSE_CLOSED)
            say(pg, "note: --decompose uses the closed form here (n d^2 = %.3g is too large for the "
                 "min-norm barrier method; ask for it with --decompose min-norm)\n",
                 (double)n * (double)d * (double)d);
        if (r->decomposed == CVXRELU_TRAIN_DECOMPOSE_MIN_NORM)
            say(pg, "decomposition: the min-norm split of %zu groups (a barrier method each)...\n",
                 res->active_groups);
        break;
    case CVXRELU_PHASE_DECOMPOSED:
        say(pg, "decomposition (%s): %zu ReLU neurons, sharpness paid %.6f, max |ReLU - gated| on "
             "training rows %.3e\n",
             r->decomposed == CVXRELU_TRAIN_DECOMPOSE_CLOSED ? "closed form" : "min-norm",
             r->neurons, r->sharpness, r->decomposition_max_abs_diff);
        if (r->decomposition_exit != CVXRELU_EXIT_CONVERGED)
            say(pg, "decomposition %s: the groups not reached keep the closed form (still exact, "
                 "sharper)\n", r->decomposition_exit == CVXRELU_EXIT_INTERRUPTED
                                   ? "interrupted" : "stopped by the time limit");
        break;
    case CVXRELU_PHASE_RECOVERED: {
        const int cls = r->task == CVXRELU_TASK_CLASSIFICATION;
        const cvxrelu_metrics mtr = r->train_metrics, mte = r->test_metrics;
        if (cls)
            say(pg, "network: %zu neurons | train accuracy %.4f%s", r->neurons, mtr.accuracy,
                 r->test_n ? "" : "\n");
        else
            say(pg, "network: %zu neurons | train mse %.6g%s", r->neurons, mtr.mse,
                 r->test_n ? "" : "\n");
        if (r->test_n) {
            say(pg, cls ? " | test accuracy %.4f (n=%zu)" : " | test mse %.6g (n=%zu)",
                 cls ? mte.accuracy : mte.mse, r->test_n);
            if (r->loss != CVXRELU_LOSS_SQUARED)
                say(pg, ", mean %s loss %.6g", cvxrelu_loss_name(r->loss), r->test_loss);
            say(pg, "\n");
        }
        say(pg, "certificate: the sampled convex program's optimum lies in [%.10e, %.10e]\n",
             res->dual, res->objective);
        if (pg->verbose)
            say(pg, "recovered network objective %.10e; max |network - convex| on training rows "
                 "%.3e\n", r->network_objective, r->recovery_max_abs_diff);
        break;
    }
    default:
        break;
    }
}

void cvxrelu_progress_sdp(const cvxrelu_sdp_info *it, void *progress)
{
    cvxrelu_progress *pg = progress;
    say(pg, "%8zu %16.10e %16.10e %10.2e %10.2e %10.2e %8.2f\n", it->iter, it->value,
         it->lower_bound, (it->value - it->lower_bound) / fmax(fabs(it->value), 1e-300), it->pres,
         it->dres, it->time_s);
}

/* What the CLI shows at each phase of the SDP pipeline. */
static void sdp_phase(cvxrelu_progress *pg, cvxrelu_train_phase p, const cvxrelu_train_report *r)
{
    const cvxrelu_train_settings *s = pg->settings;
    const size_t n = r->n, d = r->d, c = r->c;
    const int dsdp = s->sdp.method == CVXRELU_SDP_DSDP;
    switch (p) {
    case CVXRELU_PHASE_PLANNED:
        if (pg->verbose) say(pg, "memory: the SDP solver needs about %.3g GiB\n", r->memory_need / GIB);
        break;
    case CVXRELU_PHASE_SOLVING:
        say(pg, "cvxrelu %s | SDP relaxation [PBY24] by %s | BLAS: %s\n", CVXRELU_VERSION,
             dsdp ? "DSDP (interior point)" : "ADMM", cvxrelu_blas_info());
        say(pg, "data %s: n=%zu d=%zu%s c=%zu | lambda %.6g (beta = lambda n c = %.6g) | "
             "PSD block %zu x %zu, lifted %zu x %zu\n",
             pg->data_name, n, r->d_raw, s->bias ? " (+bias)" : "", c, r->lambda,
             r->lambda * (double)(n * c), n + d + c, n + d + c, 2 * n + d + c, 2 * n + d + c);
            say(pg, "%8s %16s %16s %10s %10s %10s %8s   (canonical scale: beta = lambda n c)\n",
                 "iter", "value", "lower_bound", "rel_gap", "pres", "dres", "time_s");
        break;
    case CVXRELU_PHASE_SOLVED:
        if (pg->verbose && !dsdp) {
            if (r->sdp_rows_used && r->sdp_rows_used < n)
                say(pg, "sdp admm: %zu rows are exact multiples of others (or zero): %zu "
                     "representatives\n", n - r->sdp_rows_used, r->sdp_rows_used);
            say(pg, "sdp admm: %zu accelerated steps rejected by the safeguard\n",
                 r->sdp_rejected_steps);
        }
        say(pg, "sdp %s: %s after %zu iterations in %.3f s | value %.10e | certified lower bound "
             "%.10e | relative gap %.2e | residuals %.1e (primal) %.1e (dual) | rank %zu\n",
             s->sdp.method == CVXRELU_SDP_DSDP ? "dsdp" : "admm", cvxrelu_exit_string(r->sdp_exit), r->sdp_iterations, r->sdp_time_s,
             r->sdp_value, r->sdp_lower_bound_solver, r->sdp_gap, r->sdp_pres, r->sdp_dres,
             r->sdp_rank);
        break;
    default:
        break;
    }
}

/* The local trainer's rows, as they come (cvxrelu_local_settings.callback): about 20
   of them (every n_records/20-th of the records the run will make, and the last),
   and one at least every 5 s. */
static void local_row(cvxrelu_progress *pg, const cvxrelu_local_record *q)
{
    say(pg, "%8zu %16.8e %16zu %14.3f %9.3f\n", q->step, q->objective, q->changed_neurons,
        q->mean_hamming, q->time_s);
    pg->last_print = q->time_s;
    pg->local_printed = pg->local_seen;
}

void cvxrelu_progress_local(const cvxrelu_local_record *rec, void *progress)
{
    cvxrelu_progress *pg = progress;
    if (!pg->out) return;
    const cvxrelu_local_settings *l = &pg->settings->local;
    if (!pg->local_seen) {
        say(pg, "%8s %16s %16s %14s %9s\n", "step", "objective", "changed_neurons",
            "mean_hamming", "time_s");
        const size_t every = l->record_every ? l->record_every : 1;
        const size_t total = 1 + l->steps / every + (l->steps % every != 0);
        pg->local_every = total > 30 ? total / 20 : 1;
        pg->last_print = -1e9;
    }
    pg->local_seen++;
    if ((pg->local_seen - 1) % pg->local_every == 0 || rec->time_s - pg->last_print >= 5.0 ||
        pg->verbose)
        local_row(pg, rec);
}

/* The last record, when it was not shown as it came. */
static void local_last(cvxrelu_progress *pg, const cvxrelu_local_result *lr)
{
    if (lr->n_records && pg->local_printed != pg->local_seen)
        local_row(pg, lr->records + lr->n_records - 1);
}

/* What the CLI shows at each phase of a local run. */
static void local_phase(cvxrelu_progress *pg, cvxrelu_train_phase p, const cvxrelu_train_report *r)
{
    const cvxrelu_train_settings *s = pg->settings;
    const cvxrelu_local_result *lr = &r->local;
    const int method = (int)s->local.method;
    const size_t m = s->local.width;
    switch (p) {
    case CVXRELU_PHASE_SOLVING:
        say(pg, "cvxrelu %s | non-convex ReLU network, %s, %zu neurons per output | BLAS: %s\n",
             CVXRELU_VERSION, cvxrelu_optimizer_string((cvxrelu_optimizer)method), m, cvxrelu_blas_info());
        say(pg, "data %s: n=%zu d=%zu%s c=%zu loss=%s | lambda %.6g (beta %.6g) | steps %zu, lr "
             "%g, batch %zu, seed %llu\n",
             pg->data_name, r->n, r->d_raw, s->bias ? " (+bias)" : "", r->c,
             cvxrelu_loss_name(r->loss), r->lambda,
             r->lambda * (double)(r->n * r->c), s->local.steps,
             s->local.lr > 0 ? s->local.lr : (method == CVXRELU_OPT_ADAM ? 1e-3 : 0.1),
             method == CVXRELU_OPT_GD ? 0 : s->local.batch, (unsigned long long)s->seed);
        break;
    case CVXRELU_PHASE_SOLVED:
        local_last(pg, lr);
        say(pg, "local %s: %zu steps in %.3f s%s | objective %.10e (loss %.6e + penalty %.6e)\n",
             cvxrelu_optimizer_string((cvxrelu_optimizer)method), lr->steps, lr->time_s,
             lr->interrupted ? " (stopped early)" : "", lr->objective, lr->loss, lr->penalty);
        break;
    case CVXRELU_PHASE_RECOVERED:
        if (!s->stationarity)
            say(pg, "stationarity check skipped (--no-stationarity)\n");
        else if (r->stationarity_run == 0)
            say(pg, "stationarity check skipped: %s\n", r->stationarity_skipped);
        else if (r->stationarity_run == 2)
            say(pg, "stationarity check %s after %zu iterations: no conclusion (lower bound %.10e "
                 "on the program over the final patterns)\n",
                 r->stationarity_exit == CVXRELU_EXIT_INTERRUPTED ? "interrupted"
                                                                 : "stopped by the time limit",
                 r->stationarity_iterations, r->stationarity_bound);
        else if (r->stationarity_run == 1)
            say(pg, "stationarity check: the exact ReLU program on the %zu final patterns: %.10e "
                 "(gap %.2e, %s); network %.10e; relative difference %.3e\n",
                 r->stationarity_patterns, r->stationarity_value, r->stationarity_gap,
                 cvxrelu_exit_string(r->stationarity_exit), lr->objective,
                 (lr->objective - r->stationarity_value) / fmax(fabs(lr->objective), 1e-300));
        break;
    default:
        break;
    }
}

/* What the CLI shows at each phase of the three-layer pipeline. */
static void relu3_phase(cvxrelu_progress *pg, cvxrelu_train_phase p, const cvxrelu_train_report *r)
{
    const cvxrelu_train_settings *s = pg->settings;
    const int local = s->relu3_local;
    const size_t n = r->n, c = r->c, m1 = s->width1, K = s->subnets;
    const cvxrelu_relu3_result *res = &r->relu3;
    switch (p) {
    case CVXRELU_PHASE_STARTED:
        say(pg, "cvxrelu %s | three-layer parallel ReLU network [EP21]: %s | BLAS: %s\n",
             CVXRELU_VERSION,
             local ? "local training, then the convex program on its configurations"
                   : "convex program over sampled configurations",
             cvxrelu_blas_info());
        say(pg, "data %s: n=%zu d=%zu%s c=%zu | lambda %.6g (beta %.6g) | width1 %zu, %s %zu, seed "
             "%llu\n",
             pg->data_name, n, r->d_raw, s->bias ? " (+bias)" : "", c, r->lambda,
             r->lambda * (double)(n * c), m1,
             local ? "sub-networks per output" : "at most this many sub-networks per output", K,
             (unsigned long long)s->seed);
        break;
    case CVXRELU_PHASE_LOCAL_TRAINED:
        local_last(pg, &r->local);
        say(pg, "local %s: %zu steps in %.3f s%s | objective %.10e (loss %.6e + penalty %.6e)\n",
             cvxrelu_optimizer_string(s->local.method), r->local.steps, r->local.time_s,
             r->local.interrupted ? " (stopped early)" : "", r->local.objective, r->local.loss,
             r->local.penalty);
        say(pg, "network objective at its best rescaling (path form, the convex program's scale): "
             "%.10e\n", r->network_objective);
        break;
    case CVXRELU_PHASE_SAMPLED:
        if (r->sampling_exit == CVXRELU_EXIT_INTERRUPTED ||
            r->sampling_exit == CVXRELU_EXIT_TIME_LIMIT)
            say(pg, "%s while sampling the configurations (%zu found): %s\n",
                 r->sampling_exit == CVXRELU_EXIT_INTERRUPTED ? "interrupted"
                                                             : "time limit reached",
                 r->configurations,
                 local ? "the locally trained network is written" : "no model or JSON written");
        break;
    case CVXRELU_PHASE_PLANNED:
        say(pg, "program: %zu configurations x %zu outputs x 2 signs = %zu groups of %zu blocks | "
             "%.4g variables, %.4g constraint rows | memory about %.3g GiB\n",
             r->configurations, c, 2 * r->configurations * c, m1, r->relu3_variables,
             r->relu3_constraints, r->memory_need / GIB);
        break;
    case CVXRELU_PHASE_SOLVING:
        /* one row per multiplier update (objective = best feasible value so far) */
        pg->violation_column = 1;
        log_header(pg);
        break;
    case CVXRELU_PHASE_SOLVED:
        say(pg, "relu3 program: %s after %zu iterations (%zu multiplier updates) in %.3f s | "
             "objective %.10e | certified lower bound %.10e | gap %.2e | %zu active "
             "sub-networks\n",
             cvxrelu_exit_string(res->exit), res->iterations, res->outer, res->time_s,
             res->objective, res->dual, res->gap, res->active);
        if (local)
            say(pg, "stationarity check: the program on the network's own configurations: %.10e "
                 "(certified lower bound %.10e), network %.10e: %s\n",
                 res->objective, res->dual, r->network_objective,
                 res->objective <= r->network_objective * (1.0 + 1e-12)
                     ? "the convex program's value is at most the network's objective"
                     : "the solve did not get below the network (see the gap); its lower bound "
                       "is what is certain");
        break;
    case CVXRELU_PHASE_RECOVERED:
        if (local && !s->stationarity)
            say(pg, "stationarity check skipped (--no-stationarity)\n");
        if (!local)
            say(pg, "recovered network: %zu sub-networks of %zu neurons | objective %.12e (convex "
                 "%.12e, relative difference %.1e)\n",
                 r->neurons, m1, r->network_objective, res->objective,
                 fabs(r->network_objective - res->objective) / fmax(fabs(res->objective), 1e-300));
        break;
    default:
        break;
    }
}

void cvxrelu_progress_phase(cvxrelu_train_phase p, const cvxrelu_train_report *r, void *progress)
{
    cvxrelu_progress *pg = progress;
    if (!pg->out) return;
    switch (r->program) {
    case CVXRELU_TRAIN_GATED:
    case CVXRELU_TRAIN_RELU: convex_phase(pg, p, r); break;
    case CVXRELU_TRAIN_SDP: sdp_phase(pg, p, r); break;
    case CVXRELU_TRAIN_LOCAL: local_phase(pg, p, r); break;
    case CVXRELU_TRAIN_RELU3: relu3_phase(pg, p, r); break;
    }
}

void cvxrelu_progress_summary(const cvxrelu_train_report *r, void *progress)
{
    cvxrelu_progress *pg = progress;
    const cvxrelu_train_settings *s = pg->settings;
    if (!pg->out) return;
    switch (r->program) {
    case CVXRELU_TRAIN_SDP:
        if (r->readout_exit == CVXRELU_EXIT_INTERRUPTED || r->readout_exit == CVXRELU_EXIT_TIME_LIMIT)
            say(pg, "read-out %s: the best network found so far is kept (not refitted)\n",
                r->readout_exit == CVXRELU_EXIT_INTERRUPTED ? "interrupted"
                                                            : "stopped by the time limit");
        if (r->sdp_lower_bound > r->sdp_lower_bound_solver)
            say(pg, "certified lower bound with the read-out network's objective as the upper "
                    "bound in the trace bound: %.10e (relative gap to the value %.2e)\n",
                r->sdp_lower_bound, r->sdp_gap);
        say(pg, "read-out network: width %zu in %.3f s | objective %.10e (loss %.6e + penalty "
                "%.6e) | within %.3e (relative %.2e) of the best network, by the certified bound\n",
            r->readout_width, r->readout_time_s, r->network_objective, r->readout_loss,
            r->readout_penalty, r->network_objective - r->sdp_lower_bound,
            (r->network_objective - r->sdp_lower_bound) / fmax(fabs(r->network_objective), 1e-300));
        say_network(pg, r);
        break;
    case CVXRELU_TRAIN_LOCAL:
    case CVXRELU_TRAIN_RELU3:
        say_network(pg, r);
        break;
    default:
        break;
    }
    if (r->certify_skipped_interrupt) say(pg, "certificate skipped: interrupted\n");
    if (r->certified) cvxrelu_certificate_print(pg->out, &r->certificate, r->n);
    if (r->certified && s->width && r->program != CVXRELU_TRAIN_LOCAL)
        say(pg, "[KP24] width requested %zu: %zu gates drawn, %zu patterns, %zu active neurons "
                "(estimate of m*); theoretical width 320 (sqrt(n/d)+1)^2 log(n/0.05) = %.4g\n",
            s->width, r->gates_drawn, r->patterns, r->neurons, cvxrelu_kp24_width(r->n, r->d, 0.05));
    if ((r->program == CVXRELU_TRAIN_GATED || r->program == CVXRELU_TRAIN_RELU) && !r->no_result &&
        r->neurons == 0)
        say(pg, "warning: the model has no neurons and predicts 0 for every input (lambda %.6g; "
                "lambda_max %.6g: U = 0 is optimal for lambda >= lambda_max)\n",
            r->lambda, r->convex.lambda_max);
}
