/*
 * Reports as JSON and as text: a small JSON object writer, the one schema of
 * every training report and of certificates (docs/cli.md, "JSON output"), and the
 * certificate's text block.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ JSON object */

static void put(cvxrelu_json *j, const char *s, size_t n)
{
    if (j->failed) return;
    if (j->len + n + 1 > j->cap) {
        size_t cap = (j->cap ? 2 * j->cap : 1024) + n;
        char *p = realloc(j->s, cap);
        if (!p) { /* reported when the text is asked for */
            j->failed = 1;
            return;
        }
        j->s = p;
        j->cap = cap;
    }
    memcpy(j->s + j->len, s, n);
    j->len += n;
    j->s[j->len] = '\0';
}

static void key(cvxrelu_json *j, const char *k)
{
    put(j, j->first ? "\n  \"" : ",\n  \"", j->first ? 4 : 5);
    j->first = 0;
    put(j, k, strlen(k));
    put(j, "\": ", 3);
}

void cvxrelu_json_open(cvxrelu_json *j)
{
    memset(j, 0, sizeof *j);
    j->first = 1;
    put(j, "{", 1);
}

void cvxrelu_json_num(cvxrelu_json *j, const char *k, double v)
{
    char b[64];
    key(j, k);
    if (isfinite(v)) snprintf(b, sizeof b, "%.17g", v);
    else snprintf(b, sizeof b, "null");
    put(j, b, strlen(b));
}

void cvxrelu_json_nums(cvxrelu_json *j, const char *k, const double *v, size_t n)
{
    char b[64];
    key(j, k);
    put(j, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i])) snprintf(b, sizeof b, "%s%.17g", i ? ", " : "", v[i]);
        else snprintf(b, sizeof b, "%snull", i ? ", " : "");
        put(j, b, strlen(b));
    }
    put(j, "]", 1);
}

void cvxrelu_json_int(cvxrelu_json *j, const char *k, long long v)
{
    char b[32];
    key(j, k);
    snprintf(b, sizeof b, "%lld", v);
    put(j, b, strlen(b));
}

void cvxrelu_json_bool(cvxrelu_json *j, const char *k, int v)
{
    key(j, k);
    put(j, v ? "true" : "false", v ? 4 : 5);
}

void cvxrelu_json_str(cvxrelu_json *j, const char *k, const char *v)
{
    key(j, k);
    put(j, "\"", 1);
    for (const char *p = v; *p; p++) {
        char b[8];
        if (*p == '"' || *p == '\\') {
            b[0] = '\\';
            b[1] = *p;
            put(j, b, 2);
        } else if ((unsigned char)*p < 0x20) {
            snprintf(b, sizeof b, "\\u%04x", (unsigned)(unsigned char)*p);
            put(j, b, 6);
        } else {
            put(j, p, 1);
        }
    }
    put(j, "\"", 1);
}

const char *cvxrelu_json_text(cvxrelu_json *j)
{
    if (!j->closed) {
        put(j, "\n}\n", 3);
        j->closed = 1;
    }
    return j->failed ? NULL : j->s;
}

static cvxrelu_status write_text(FILE *f, void *user, cvxrelu_error *err)
{
    const cvxrelu_json *j = user;
    (void)err;
    if (j->len && fwrite(j->s, 1, j->len, f) != j->len) return CVXRELU_ERR_IO;
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_json_write(cvxrelu_json *j, const char *path, cvxrelu_error *err)
{
    if (!cvxrelu_json_text(j))
        return cr_fail(err, CVXRELU_ERR_NOMEM, "%s: out of memory composing JSON", path);
    return cvxrelu_write_atomic(path, write_text, j, err);
}

void cvxrelu_json_free(cvxrelu_json *j)
{
    free(j->s);
    memset(j, 0, sizeof *j);
}

/* ------------------------------------------------------------ certificates */

void cvxrelu_bounds_json(cvxrelu_json *j, double objective, double lower_bound)
{
    cvxrelu_json_num(j, "objective", objective);
    if (isnan(lower_bound)) return;
    cvxrelu_json_num(j, "upper_bound", objective);
    cvxrelu_json_num(j, "lower_bound", lower_bound);
    cvxrelu_json_num(j, "gap", objective - lower_bound);
    cvxrelu_json_num(j, "ratio", lower_bound > 0.0 ? objective / lower_bound : INFINITY);
}

/* "cheap+spectral+...": the s-bounds a certificate used */
static void bounds_used(const cvxrelu_certificate *c, char *used, size_t size)
{
    used[0] = '\0';
    for (int b = 0; b < CVXRELU_SBOUND_COUNT; b++)
        if (c->used_mask & (1u << b)) {
            size_t len = strlen(used);
            snprintf(used + len, size - len, "%s%s", len ? "+" : "",
                     cvxrelu_sbound_string((cvxrelu_sbound)b));
        }
}

void cvxrelu_certificate_json(cvxrelu_json *j, const cvxrelu_certificate *c)
{
    char used[96];
    bounds_used(c, used, sizeof used);
    /* upper_bound, lower_bound and ratio are cvxrelu_bounds_json's (the best bound known) */
    cvxrelu_json_num(j, "certificate_lower_bound", c->lower_bound);
    cvxrelu_json_str(j, "bound_used", used);
    for (int b = 0; b < CVXRELU_SBOUND_COUNT; b++) {
        char k[48];
        snprintf(k, sizeof k, "s_%s_over_beta", cvxrelu_sbound_string((cvxrelu_sbound)b));
        cvxrelu_json_num(j, k, c->sbar[b]); /* null when not computed */
    }
    cvxrelu_json_num(j, "s_over_beta", c->s_over_beta);
    cvxrelu_json_bool(j, "dual_feasible", c->dual_feasible);
    cvxrelu_json_bool(j, "certified_optimal", c->certified_optimal);
    cvxrelu_json_num(j, "sampled_s_over_beta", c->s_sampled);
    cvxrelu_json_bool(j, "sampled_descent_found", c->descent_found);
    cvxrelu_json_num(j, "sqrt_log_2n", c->sqrt_log_2n);
    cvxrelu_json_num(j, "certify_time_s", c->time_s);
    cvxrelu_json_str(j, "certificate_exit", cvxrelu_exit_string(c->exit));
}

void cvxrelu_certificate_print(FILE *f, const cvxrelu_certificate *c, size_t n)
{
    char used[96];
    bounds_used(c, used, sizeof used);
    fprintf(f, "certificate (docs/algorithms.md, \"Certificates for the non-convex problem\")\n"
               "  lambda %g (beta = lambda N = %g), %zu rows, %zu output%s\n",
            c->lambda, c->beta, n, c->outputs, c->outputs == 1 ? "" : "s");
    fprintf(f, "  upper bound  %.10e  (the network's objective)\n", c->upper_bound);
    fprintf(f, "  lower bound  %.10e  (weak duality, s-bound: %s)\n", c->lower_bound, used);
    fprintf(f, "  UB/LB        %.12g  (UB - LB)/UB = %.3e  (sqrt(log 2n) = %.4g for scale)\n",
            c->ratio, (c->upper_bound - c->lower_bound) / c->upper_bound, c->sqrt_log_2n);
    fprintf(f, "  bounds on s(v)/beta:");
    for (int b = 0; b < CVXRELU_SBOUND_COUNT; b++) {
        if (isnan(c->sbar[b])) fprintf(f, "  %s -", cvxrelu_sbound_string((cvxrelu_sbound)b));
        else fprintf(f, "  %s %.10g", cvxrelu_sbound_string((cvxrelu_sbound)b), c->sbar[b]);
    }
    fprintf(f, "\n  dual feasible %s, certified optimal %s\n", c->dual_feasible ? "yes" : "no",
            c->certified_optimal ? "YES" : "no");
    fprintf(f, "  necessary check (sampled directions, NOT a certificate): max |v.(Xu)_+|/beta "
               ">= %.9g%s\n",
            c->s_sampled, c->descent_found ? "  -> a neuron that lowers the objective exists" : "");
}

/* ------------------------------------------------------- training reports */

static const char *const optimizer_names[] = {"gd", "sgd", "adam"};

const char *cvxrelu_optimizer_string(cvxrelu_optimizer o)
{
    return (unsigned)o < 3 ? optimizer_names[o] : "unknown";
}

/* The learning rate a local run used (0 in the settings: the method's default). */
static double local_lr(const cvxrelu_local_settings *l)
{
    return l->lr > 0 ? l->lr : (l->method == CVXRELU_OPT_ADAM ? 1e-3 : 0.1);
}

const char *cvxrelu_train_model_string(const cvxrelu_train_report *r,
                                       const cvxrelu_train_settings *s)
{
    switch (r->program) {
    case CVXRELU_TRAIN_GATED: return s->decompose ? "gated+decompose" : "gated";
    case CVXRELU_TRAIN_RELU:
    case CVXRELU_TRAIN_LOCAL: return "relu";
    case CVXRELU_TRAIN_SDP: return "sdp";
    case CVXRELU_TRAIN_RELU3: return "relu3";
    }
    return "unknown";
}

const char *cvxrelu_train_solver_string(const cvxrelu_train_report *r,
                                        const cvxrelu_train_settings *s)
{
    switch (r->program) {
    case CVXRELU_TRAIN_GATED: return "rfista";
    case CVXRELU_TRAIN_RELU: return r->convex.relu_method == CVXRELU_RELU_ADMM ? "admm-cone"
                                                                             : "rfista-cone";
    case CVXRELU_TRAIN_SDP: return s->sdp.method == CVXRELU_SDP_DSDP ? "dsdp" : "admm";
    case CVXRELU_TRAIN_LOCAL: return cvxrelu_optimizer_string(s->local.method);
    case CVXRELU_TRAIN_RELU3:
        return s->relu3_local ? cvxrelu_optimizer_string(s->local.method) : "augmented-lagrangian";
    }
    return "unknown";
}

/* The keys every report has, with one meaning whatever the program. */
static void shared_keys(cvxrelu_json *j, const cvxrelu_train_report *r,
                        const cvxrelu_train_settings *s, int written)
{
    double cobj = NAN, clb = NAN, viol = NAN, secs = NAN, lb = NAN;
    size_t iters = 0;
    cvxrelu_exit ex = r->exit;
    switch (r->program) {
    case CVXRELU_TRAIN_GATED:
    case CVXRELU_TRAIN_RELU:
        cobj = r->convex.objective;
        clb = r->convex.dual;
        if (r->program == CVXRELU_TRAIN_RELU) viol = r->convex.violation;
        iters = r->convex.iterations;
        secs = r->convex.solve_time_s;
        ex = r->convex.exit;
        break;
    case CVXRELU_TRAIN_SDP:
        cobj = r->sdp_value;
        clb = lb = r->sdp_lower_bound;
        iters = r->sdp_iterations;
        secs = r->sdp_time_s;
        ex = r->sdp_exit;
        break;
    case CVXRELU_TRAIN_LOCAL:
        if (r->stationarity_run == 1) cobj = r->stationarity_value;
        if (r->stationarity_run) clb = r->stationarity_bound;
        iters = r->local.steps;
        secs = r->local.time_s;
        break;
    case CVXRELU_TRAIN_RELU3:
        if (r->relu3_solved) {
            cobj = r->relu3.objective;
            clb = r->relu3.dual;
            viol = r->relu3.violation;
            iters = r->relu3.iterations;
            secs = r->relu3.time_s;
            ex = r->relu3.exit;
        } else {
            iters = r->local.steps;
            secs = r->local.time_s;
        }
        break;
    }
    if (r->certified) lb = r->certificate.lower_bound;
    const size_t n = r->n, c = r->c;
    cvxrelu_json_str(j, "version", CVXRELU_VERSION);
    cvxrelu_json_str(j, "model", cvxrelu_train_model_string(r, s));
    cvxrelu_json_int(j, "model_written", written);
    cvxrelu_json_str(j, "solver", cvxrelu_train_solver_string(r, s));
    cvxrelu_json_str(j, "exit", cvxrelu_exit_string(ex));
    cvxrelu_json_str(j, "task",
                     r->task == CVXRELU_TASK_CLASSIFICATION ? "classification" : "regression");
    cvxrelu_json_str(j, "loss_function", cvxrelu_loss_name(r->loss));
    cvxrelu_json_int(j, "n", (long long)n);
    cvxrelu_json_int(j, "d", (long long)r->d_raw);
    cvxrelu_json_int(j, "outputs", (long long)c);
    cvxrelu_json_num(j, "lambda", r->lambda);
    cvxrelu_json_num(j, "beta", r->lambda * (double)(n * c));
    cvxrelu_json_int(j, "neurons", (long long)r->neurons);
    cvxrelu_bounds_json(j, r->network_objective, lb);
    if (!isnan(cobj)) cvxrelu_json_num(j, "convex_objective", cobj);
    if (!isnan(clb)) cvxrelu_json_num(j, "convex_lower_bound", clb);
    if (!isnan(cobj) && !isnan(clb)) {
        cvxrelu_json_num(j, "convex_gap", cobj - clb);
        cvxrelu_json_num(j, "relative_gap", (cobj - clb) / fmax(1.0, fabs(cobj)));
    }
    if (!isnan(viol)) cvxrelu_json_num(j, "constraint_violation", viol);
    cvxrelu_json_int(j, "iterations", (long long)iters);
    cvxrelu_json_num(j, "solve_time_s", secs);
    if (!r->cv.run) return;
    const cvxrelu_cv_report *cv = &r->cv; /* lambda chosen by cross-validation */
    cvxrelu_json_str(j, "cv_rule", cv->rule == CVXRELU_CV_ONE_SE ? "one-se" : "min");
    cvxrelu_json_int(j, "cv_folds", (long long)cv->folds);
    cvxrelu_json_int(j, "cv_lambdas_done", (long long)cv->lambdas_done);
    cvxrelu_json_bool(j, "cv_early_stop", cv->early_stop);
    cvxrelu_json_num(j, "cv_lambda_max", cv->lambda_max);
    if (cv->grid) cvxrelu_json_nums(j, "cv_lambdas", cv->grid, cv->lambdas);
    if (cv->lambdas_done) {
        cvxrelu_json_nums(j, "cv_error", cv->mean, cv->lambdas_done);
        cvxrelu_json_nums(j, "cv_error_se", cv->se, cv->lambdas_done);
        cvxrelu_json_num(j, "cv_best_lambda", cv->grid[cv->best]);
    }
    cvxrelu_json_num(j, "cv_time_s", cv->time_s);
    cvxrelu_json_str(j, "cv_exit", cvxrelu_exit_string(cv->exit));
}

/* The two-layer convex programs' own keys. */
static void convex_keys(cvxrelu_json *j, const cvxrelu_train_report *r,
                        const cvxrelu_train_settings *s)
{
    const cvxrelu_result *res = &r->convex;
    const int relu = r->program == CVXRELU_TRAIN_RELU;
    if (s->width) {
        cvxrelu_json_int(j, "width_requested", (long long)s->width);
        cvxrelu_json_str(j, "via", relu ? "constrained" : "gated");
        cvxrelu_json_num(j, "kp24_width", cvxrelu_kp24_width(r->n, r->d, 0.05));
    }
    cvxrelu_json_num(j, "lambda_max", res->lambda_max);
    cvxrelu_json_int(j, "patterns", (long long)r->patterns);
    cvxrelu_json_int(j, "gates_drawn", (long long)r->gates_drawn);
    cvxrelu_json_num(j, "loss", res->loss);
    cvxrelu_json_num(j, "penalty", res->penalty);
    cvxrelu_json_num(j, "dual_value", res->dual); /* = convex_lower_bound (older name) */
    cvxrelu_json_num(j, "duality_gap", res->gap); /* = convex_gap (older name) */
    cvxrelu_json_num(j, "eps_gap", s->tol);
    cvxrelu_json_num(j, "blas_time_s", res->gemm_time_s);
    cvxrelu_json_int(j, "passes_over_x", (long long)res->matvecs);
    if (!relu) {
        cvxrelu_json_str(j, "precision", s->single_precision ? "single" : "double");
        cvxrelu_json_int(j, "screening", s->screening != 0);
        cvxrelu_json_int(j, "working_set", s->working_set != 0);
        cvxrelu_json_int(j, "working_set_left_out", (long long)res->ws_out);
        cvxrelu_json_int(j, "working_set_brought_back", (long long)res->ws_back);
        cvxrelu_json_int(j, "screened_groups", (long long)res->screened);
        cvxrelu_json_int(j, "preconditioned", res->preconditioned);
    }
    cvxrelu_json_int(j, "active_neurons", (long long)r->neurons);
    if (r->grow_end) {
        cvxrelu_json_int(j, "grow_rounds", (long long)r->grow_rounds_done);
        cvxrelu_json_int(j, "grow_added", (long long)r->grow_added);
        cvxrelu_json_num(j, "grow_violation", r->grow_violation);
        cvxrelu_json_str(j, "grow_end", r->grow_end);
        cvxrelu_json_num(j, "grow_objective0", r->grow_objective0);
    }
    if (r->pruned) {
        cvxrelu_json_int(j, "prune_before", (long long)r->prune_before);
        cvxrelu_json_int(j, "prune_after", (long long)r->prune_after);
        cvxrelu_json_num(j, "prune_objective_before", r->prune_objective_before);
        cvxrelu_json_num(j, "prune_time_s", r->prune_time_s);
    }
    if (s->decompose) {
        cvxrelu_json_str(j, "decomposition",
                         r->decomposed == CVXRELU_TRAIN_DECOMPOSE_CLOSED ? "closed" : "min-norm");
        cvxrelu_json_num(j, "sharpness_ratio", r->sharpness);
        cvxrelu_json_num(j, "decomposition_max_abs_diff", r->decomposition_max_abs_diff);
        cvxrelu_json_str(j, "decomposition_exit", cvxrelu_exit_string(r->decomposition_exit));
    }
    if (s->all_patterns) cvxrelu_json_str(j, "patterns_mode", "all");
    cvxrelu_json_num(j, "network_objective", r->network_objective); /* = objective (older name) */
    cvxrelu_json_num(j, "recovery_max_abs_diff", r->recovery_max_abs_diff);
}

static void sdp_keys(cvxrelu_json *j, const cvxrelu_train_report *r)
{
    cvxrelu_json_num(j, "tol", r->sdp_tol);
    cvxrelu_json_num(j, "sdp_value", r->sdp_value);             /* = convex_objective */
    cvxrelu_json_num(j, "sdp_lower_bound", r->sdp_lower_bound); /* = lower_bound */
    cvxrelu_json_num(j, "sdp_gap", r->sdp_gap);                 /* relative to |sdp_value| */
    cvxrelu_json_num(j, "primal_residual", r->sdp_pres);
    cvxrelu_json_num(j, "dual_residual", r->sdp_dres);
    cvxrelu_json_int(j, "rank", (long long)r->sdp_rank);
    cvxrelu_json_num(j, "sdp_time_s", r->sdp_time_s);
    cvxrelu_json_int(j, "width", (long long)r->readout_width);
    cvxrelu_json_num(j, "readout_objective", r->network_objective);
    cvxrelu_json_num(j, "readout_loss", r->readout_loss);
    cvxrelu_json_num(j, "readout_penalty", r->readout_penalty);
    cvxrelu_json_num(j, "readout_time_s", r->readout_time_s);
    cvxrelu_json_str(j, "readout_exit", cvxrelu_exit_string(r->readout_exit));
}

static void local_keys(cvxrelu_json *j, const cvxrelu_train_report *r,
                       const cvxrelu_train_settings *s)
{
    const cvxrelu_local_result *lr = &r->local;
    cvxrelu_json_str(j, "optimizer", cvxrelu_optimizer_string(s->local.method));
    cvxrelu_json_int(j, "width", (long long)s->local.width);
    cvxrelu_json_int(j, "steps", (long long)lr->steps);
    cvxrelu_json_num(j, "lr", local_lr(&s->local));
    cvxrelu_json_int(j, "batch",
                     (long long)(s->local.method == CVXRELU_OPT_GD ? 0 : s->local.batch));
    cvxrelu_json_num(j, "loss", lr->loss);
    cvxrelu_json_num(j, "penalty", lr->penalty);
    cvxrelu_json_num(j, "train_time_s", lr->time_s);
    if (lr->n_records) {
        const cvxrelu_local_record *q = lr->records + lr->n_records - 1;
        cvxrelu_json_int(j, "changed_neurons", (long long)q->changed_neurons);
        cvxrelu_json_num(j, "mean_hamming", q->mean_hamming);
    }
    cvxrelu_json_int(j, "final_patterns", (long long)r->stationarity_patterns);
    cvxrelu_json_num(j, "convex_value_on_final_patterns", r->stationarity_value);
    cvxrelu_json_num(j, "convex_gap_on_final_patterns", r->stationarity_gap);
}

static void relu3_keys(cvxrelu_json *j, const cvxrelu_train_report *r,
                       const cvxrelu_train_settings *s)
{
    if (s->relu3_local)
        cvxrelu_json_str(j, "optimizer", cvxrelu_optimizer_string(s->local.method));
    cvxrelu_json_int(j, "width1", (long long)s->width1);
    cvxrelu_json_int(j, "subnets", (long long)s->subnets);
    cvxrelu_json_int(j, "configurations", (long long)r->configurations);
    cvxrelu_json_num(j, "variables", r->relu3_variables);
    cvxrelu_json_num(j, "constraints", r->relu3_constraints);
    if (r->relu3_solved) { /* no program was solved otherwise */
        cvxrelu_json_int(j, "converged", r->relu3.converged);
        cvxrelu_json_int(j, "active_subnets", (long long)r->relu3.active);
    }
    if (s->relu3_local) {
        cvxrelu_json_num(j, "train_objective", r->local.objective);
        cvxrelu_json_num(j, "train_time_s", r->local.time_s);
        cvxrelu_json_int(j, "steps", (long long)r->local.steps);
    }
}

void cvxrelu_train_report_json(cvxrelu_json *j, const cvxrelu_train_report *r,
                               const cvxrelu_train_settings *s, int model_written)
{
    shared_keys(j, r, s, model_written);
    switch (r->program) {
    case CVXRELU_TRAIN_GATED:
    case CVXRELU_TRAIN_RELU: convex_keys(j, r, s); break;
    case CVXRELU_TRAIN_SDP: sdp_keys(j, r); break;
    case CVXRELU_TRAIN_LOCAL: local_keys(j, r, s); break;
    case CVXRELU_TRAIN_RELU3: relu3_keys(j, r, s); break;
    }
    /* the certificate's details, the metrics, the seed and the BLAS */
    if (r->certified) cvxrelu_certificate_json(j, &r->certificate);
    const int test = r->test_n > 0;
    if (r->task == CVXRELU_TASK_CLASSIFICATION) {
        cvxrelu_json_num(j, "train_accuracy", r->train_metrics.accuracy);
        if (test) cvxrelu_json_num(j, "test_accuracy", r->test_metrics.accuracy);
    }
    cvxrelu_json_num(j, "train_mse", r->train_metrics.mse);
    if (test) cvxrelu_json_num(j, "test_mse", r->test_metrics.mse);
    if (test) cvxrelu_json_num(j, "test_loss", r->test_loss);
    if (test) cvxrelu_json_int(j, "test_n", (long long)r->test_n);
    cvxrelu_json_int(j, "seed", (long long)s->seed);
    cvxrelu_json_str(j, "blas", r->blas[0] ? r->blas : cvxrelu_blas_info());
    cvxrelu_json_int(j, "threads", r->blas[0] ? r->threads : cvxrelu_blas_threads());
}

/* The pattern statistics of a local run as CSV. */
static cvxrelu_status write_records(FILE *f, void *user, cvxrelu_error *err)
{
    const cvxrelu_local_result *r = user;
    (void)err;
    fprintf(f, "step,objective,changed_neurons,mean_hamming,time_s\n");
    for (size_t i = 0; i < r->n_records; i++) {
        const cvxrelu_local_record *q = r->records + i;
        fprintf(f, "%zu,%.17g,%zu,%.17g,%.6f\n", q->step, q->objective, q->changed_neurons,
                q->mean_hamming, q->time_s);
    }
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_local_records_write(const char *path, const cvxrelu_local_result *r,
                                           cvxrelu_error *err)
{
    return cvxrelu_write_atomic(path, write_records, (void *)r, err);
}

/* A summary number, or "not recorded" where the model file leaves it out. */
static const char *num_or_missing(char *b, size_t cap, const char *fmt, double v)
{
    if (isnan(v)) snprintf(b, cap, "not recorded");
    else snprintf(b, cap, fmt, v);
    return b;
}

void cvxrelu_model_print(FILE *f, const cvxrelu_model *m)
{
    char b1[64], b2[64];
    const cvxrelu_encoding *e = m->enc;
    fprintf(f, "model       %s (format %d)\n",
           m->kind == CVXRELU_MODEL_GATED ? "gated ReLU"
           : m->kind == CVXRELU_MODEL_RELU3 ? "three-layer parallel ReLU network [EP21]"
           : m->V ? "ReLU, dense second layer (read out of the SDP relaxation)"
                  : "ReLU",
           cr_model_format_version(m));
    fprintf(f, "task        %s\n", e->task == CVXRELU_TASK_CLASSIFICATION ? "classification" : "regression");
    if (m->loss == CVXRELU_LOSS_HUBER)
        fprintf(f, "loss        huber (delta %.6g)\n", m->huber_delta > 0.0 ? m->huber_delta : 1.0);
    else
        fprintf(f, "loss        %s%s\n", cvxrelu_loss_name(m->loss),
                m->loss == CVXRELU_LOSS_LOGISTIC || m->loss == CVXRELU_LOSS_CE
                    ? " (predict --scores gives class probabilities)" : "");
    if (e->standardize_y)
        fprintf(f, "targets     standardized: fitted as (y - %.6g) / %.6g, predicted in y's units\n",
                e->y_mean, e->y_scale);
    fprintf(f, "inputs      %zu raw features -> %zu (%s, %s)\n", e->d_raw, e->d,
           e->standardize ? "standardized" : "as given", e->bias ? "bias column" : "no bias");
    if (e->from_csv)
        fprintf(f, "layout      CSV, label in column %zu (counting from 0) of %zu, %s\n", e->label_col,
               e->d_raw + 1, e->header ? "a header row of feature names" : "no header row");
    else
        fprintf(f, "layout      not recorded (a label column counts as the last)%s\n",
               e->header ? "; feature names" : "");
    fprintf(f, "outputs     %zu\n", e->c);
    if (e->n_classes) {
        fprintf(f, "classes     %zu:", e->n_classes);
        for (size_t i = 0; i < e->n_classes; i++) fprintf(f, " %s", e->classes[i]);
        fputc('\n', f);
    }
    if (m->kind == CVXRELU_MODEL_RELU3) {
        fprintf(f, "sub-networks %zu of %zu first-layer neurons (from %zu configurations)\n", m->m,
               m->width1, m->patterns);
        fprintf(f, "lambda      %.6g\n", m->lambda);
        fprintf(f, "objective   %s (path form; duality gap %s at training time)\n",
               num_or_missing(b1, sizeof b1, "%.10e", m->objective), num_or_missing(b2, sizeof b2, "%.3e", m->gap));
    } else if (m->V) {
        fprintf(f, "neurons     %zu, each feeding all %zu outputs\n", m->m, e->c);
        fprintf(f, "lambda      %.6g\n", m->lambda);
        fprintf(f, "objective   %s (above the certified lower bound of the SDP relaxation by "
               "%s at training time)\n", num_or_missing(b1, sizeof b1, "%.10e", m->objective),
               num_or_missing(b2, sizeof b2, "%.3e", m->gap));
    } else {
        fprintf(f, "neurons     %zu (from %zu patterns)\n", m->m, m->patterns);
        fprintf(f, "lambda      %.6g\n", m->lambda);
        fprintf(f, "objective   %s (duality gap %s at training time)\n",
               num_or_missing(b1, sizeof b1, "%.10e", m->objective), num_or_missing(b2, sizeof b2, "%.3e", m->gap));
    }
}

/* ------------------------------------------------------------ the path */

/* Column get of a path point. */
typedef double (*point_col)(const cvxrelu_path_point *q);
static double col_lambda(const cvxrelu_path_point *q) { return q->lambda; }
static double col_objective(const cvxrelu_path_point *q) { return q->objective; }
static double col_dual(const cvxrelu_path_point *q) { return q->dual; }
static double col_gap(const cvxrelu_path_point *q) { return q->gap; }
static double col_iterations(const cvxrelu_path_point *q) { return (double)q->iterations; }
static double col_active(const cvxrelu_path_point *q) { return (double)q->active; }
static double col_neurons(const cvxrelu_path_point *q) { return (double)q->neurons; }
static double col_time(const cvxrelu_path_point *q) { return q->time_s; }
static double col_train_mse(const cvxrelu_path_point *q) { return q->train.mse; }
static double col_test_mse(const cvxrelu_path_point *q) { return q->test.mse; }
static double col_train_acc(const cvxrelu_path_point *q) { return q->train.accuracy; }
static double col_test_acc(const cvxrelu_path_point *q) { return q->test.accuracy; }

void cvxrelu_path_report_json(cvxrelu_json *j, const cvxrelu_path_report *r)
{
    static const struct {
        const char *key;
        point_col get;
        int classification_only;
    } cols[] = {
        {"lambda", col_lambda, 0},         {"objective", col_objective, 0},
        {"dual_value", col_dual, 0},       {"gap", col_gap, 0},
        {"iterations", col_iterations, 0}, {"active_groups", col_active, 0},
        {"neurons", col_neurons, 0},       {"solve_time_s", col_time, 0},
        {"train_mse", col_train_mse, 0},   {"test_mse", col_test_mse, 0},
        {"train_accuracy", col_train_acc, 1}, {"test_accuracy", col_test_acc, 1},
    };
    cvxrelu_json_str(j, "command", "path");
    cvxrelu_json_str(j, "model", cvxrelu_path_model_string(r));
    cvxrelu_json_str(j, "task", r->task == CVXRELU_TASK_CLASSIFICATION ? "classification"
                                                                      : "regression");
    cvxrelu_json_str(j, "loss_function", cvxrelu_loss_name(r->loss));
    cvxrelu_json_int(j, "n", (long long)r->n);
    cvxrelu_json_int(j, "d", (long long)r->d);
    cvxrelu_json_int(j, "c", (long long)r->c);
    cvxrelu_json_int(j, "patterns", (long long)r->patterns);
    cvxrelu_json_num(j, "lambda_max", r->lambda_max);
    cvxrelu_json_int(j, "points", (long long)r->n_points);
    cvxrelu_json_str(j, "exit", cvxrelu_exit_string(r->exit));
    cvxrelu_json_num(j, "time_s", r->time_s);
    double *v = r->n_points ? malloc(r->n_points * sizeof *v) : NULL;
    if (r->n_points && !v) {
        j->failed = 1;
        return;
    }
    for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) {
        if (cols[c].classification_only && r->task != CVXRELU_TASK_CLASSIFICATION) continue;
        for (size_t k = 0; k < r->n_points; k++) v[k] = cols[c].get(r->points + k);
        cvxrelu_json_nums(j, cols[c].key, v, r->n_points);
    }
    free(v);
}
