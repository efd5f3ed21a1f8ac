/* cvxrelu train / demo: fit a model, print the iteration table, write model and metrics. */
#define _POSIX_C_SOURCE 200809L
#include "train_opts.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --time-limit counts for the whole run, from the start of train: each phase
   gets what is left (a tiny positive time once it is spent, so the phase stops
   at its first check; 0 = no limit). */
static double g_deadline = 0.0;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void train_deadline_start(const train_opts *o) { g_deadline = mono_now() + o->time_limit; }

static double time_left(const train_opts *o)
{
    if (!(o->time_limit > 0.0)) return 0.0;
    double left = g_deadline - mono_now();
    return left > 1e-9 ? left : 1e-9;
}


/* --trace closed after the solve: a failed trace is reported, but the model and
   metrics are still written. */
static void close_trace(run_ctx *x)
{
    cvxrelu_error err = {{0}};
    if (cvxrelu_progress_trace_close(&x->pg, &err) == CVXRELU_OK) return;
    die_msg("--trace %s (the model and metrics are still written)", err.msg);
    x->trace_failed = 1;
}

/* At each phase: the trace, DSDP's watchdog; then the library's text. */
static void on_phase(cvxrelu_train_phase p, const cvxrelu_train_report *r, void *user)
{
    run_ctx *x = user;
    const train_opts *o = x->o;
    const int dsdp = r->program == CVXRELU_TRAIN_SDP && o->s.sdp.method == CVXRELU_SDP_DSDP;
    if (p == CVXRELU_PHASE_SOLVED) {
        close_trace(x);
        opaque_end(1); /* DSDP's part is over */
    }
    cvxrelu_progress_phase(p, r, &x->pg);
    if (p == CVXRELU_PHASE_SOLVING && r->program == CVXRELU_TRAIN_SDP &&
        (dsdp || r->n + r->d + r->c >= CLI_DENSE_Q))
        opaque_begin(dsdp ? 1 : 2, r->n + r->d + r->c, o->time_limit > 0.0 ? time_left(o) : 0.0);
}

/* The train settings of the options (the library's defaults where none given). */
void train_settings(run_ctx *x, cvxrelu_train_settings *s)
{
    const train_opts *o = x->o;
    *s = o->s; /* the library's defaults and what the options set */
    s->program = o->model == 3 ? CVXRELU_TRAIN_RELU3 : o->optimizer ? CVXRELU_TRAIN_LOCAL
                 : o->model == 2 ? CVXRELU_TRAIN_SDP : o->model == 1 ? CVXRELU_TRAIN_RELU
                                                     : CVXRELU_TRAIN_GATED;
    /* the gates file's or the warm model's patterns only, unless --patterns is given */
    if ((o->gates_path || x->warm) && !o->patterns_given) s->patterns = 0;
    s->width = s->local.width = o->width;
    s->gates = x->G0;
    s->n_gates = x->m0;
    s->warm = x->warm;
    s->configs_from = x->from;
    s->tol = o->eps;
    s->max_iter = o->max_iter;
    s->time_limit_s = time_left(o);
    s->interrupt = &g_interrupt;
    s->threads = g_threads;
    s->max_memory_bytes = o->max_memory_gb > 0 ? o->max_memory_gb * 1073741824.0 : 0.0;
    s->local.method = (cvxrelu_optimizer)(o->optimizer ? o->optimizer - 1 : 0);
    s->relu3_local = o->model == 3 && o->optimizer;
    if (o->model == 2 && o->eps_given) s->sdp.tol = o->eps;
    if (o->model == 2 && o->max_iter_given) s->sdp.max_iter = o->max_iter;
    if (o->model == 3 && o->eps_given) s->relu3.tol = o->eps;
    if (o->model == 3 && o->max_iter_given) s->relu3.max_iter = o->max_iter;
    s->callback = cvxrelu_progress_iterate;
    s->callback_data = &x->pg;
    s->sdp.callback = cvxrelu_progress_sdp;
    s->sdp.callback_data = &x->pg;
    s->local.callback = cvxrelu_progress_local;
    s->local.callback_data = &x->pg;
    s->on_phase = on_phase;
    s->phase_data = x;
}

/* The demo's summary on stdout. */
static void print_demo(const train_opts *o, const run_ctx *x, const cvxrelu_train_report *r)
{
    const cvxrelu_result *res = &r->convex;
    printf("demo: %s, %zu train / %zu test rows, %zu patterns, lambda %g\n", o->train_path, r->n,
           x->test ? x->test->n : 0, r->patterns, r->lambda);
    if (r->cv.run && r->cv.lambdas_done)
        printf("lambda chosen   by %zu-fold cross-validation over %zu of %zu lambdas in %.3f s "
               "(validation error %.4f)\n", r->cv.folds, r->cv.lambdas_done, r->cv.lambdas,
               r->cv.time_s, r->cv.mean[r->cv.chosen]);
    printf("test accuracy   %.4f\n", r->test_metrics.accuracy);
    printf("objective       %.10e\n", res->objective);
    printf("duality gap     %.3e (relative %.3e, %s)\n", res->gap,
           res->gap / fmax(1.0, fabs(res->objective)), cvxrelu_exit_string(res->exit));
    printf("lower bound     %.10e (dual value: no better solution of this program exists)\n",
           res->dual);
    printf("time            %.3f s (%zu iterations; %.3f s in all)\n", res->solve_time_s,
           res->iterations, r->time_s);
}

/* The data and the inputs the options name: the warm model, the gates, the
   configurations' model. */
int load_inputs(const train_opts *o, run_ctx *x)
{
    cvxrelu_error err = {{0}};
    cvxrelu_status st = CVXRELU_OK;
    int rc = load_data(o->train_path, &o->data, &x->train);
    if (rc) return rc;
    if (!x->train->has_labels) {
        die_msg("%s: training data needs a label column", o->train_path);
        return EXIT_DATA;
    }
    if (o->test_path && (rc = load_data(o->test_path, &o->data, &x->test))) return rc;
    if (!o->test_path && o->test_frac > 0) {
        cvxrelu_dataset *all = x->train;
        x->train = NULL;
        st = cvxrelu_dataset_split(all, o->test_frac, o->split_seed_given ? o->split_seed : o->s.seed,
                                   &x->train, &x->test, &err);
        cvxrelu_dataset_free(all);
        if (!st && o->write_split) {
            char p[4096];
            snprintf(p, sizeof p, "%s.train.csv", o->write_split);
            st = cvxrelu_dataset_write_csv(x->train, p, &err);
            snprintf(p, sizeof p, "%s.test.csv", o->write_split);
            if (!st) st = cvxrelu_dataset_write_csv(x->test, p, &err);
        }
    }
    if (!st && o->warm_path) st = cvxrelu_model_load(o->warm_path, &x->warm, &err);
    if (!st && o->configs_from) st = cvxrelu_model_load(o->configs_from, &x->from, &err);
    if (!st && o->gates_path)
        st = cvxrelu_gates_read(o->gates_path, x->train->d + (o->s.bias ? 1 : 0), &x->G0,
                                &x->m0, &err);
    return st ? lib_error(st, &err) : EXIT_OK;
}

/* Train the model the options ask for (cvxrelu_train), print, write the files. */
static int run_model(const train_opts *o, run_ctx *x, int is_demo)
{
    cvxrelu_error err = {{0}};
    cvxrelu_status st;
    cvxrelu_train_settings s;
    train_settings(x, &s);
    cvxrelu_progress_init(&x->pg, g_quiet ? NULL : stderr, g_verbose, o->train_path, &s);
    if (o->trace_out && (st = cvxrelu_progress_trace_open(&x->pg, o->trace_out, &err))) {
        die_msg("--trace %s", err.msg);
        return EXIT_DATA;
    }
    cvxrelu_train_report r;
    st = cvxrelu_train(x->train, x->test, &s, &x->model, &r, &err);
    cvxrelu_progress_trace_close(&x->pg, NULL); /* not reached the solve */
    opaque_end(0);
    if (st) {
        cvxrelu_train_report_free(&r); /* bad_input stays: a static string */
        if (r.bad_input) { /* an input file the options named */
            const int warm = strcmp(r.bad_input, "warm") == 0;
            die_msg("%s: %s", warm ? o->warm_path : o->configs_from, err.msg);
            return warm ? EXIT_DATA : EXIT_USAGE;
        }
        return lib_error(st, &err);
    }
    if (!x->model) { /* stopped while sampling, before any pattern */
        if (o->model != 3) note("no model or JSON written\n");
        cvxrelu_train_report_free(&r);
        return r.exit == CVXRELU_EXIT_INTERRUPTED ? EXIT_INTERRUPTED : EXIT_SOLVER;
    }
    int failed = x->trace_failed, rc = EXIT_OK; /* a failed side file keeps the model */
    if (o->stats_out && (r.program == CVXRELU_TRAIN_LOCAL || s.relu3_local) &&
        cvxrelu_local_records_write(o->stats_out, &r.local, &err)) {
        die_msg("--stats %s (the model and metrics are still written)", err.msg);
        failed = 1;
    }
    cvxrelu_progress_summary(&r, &x->pg);
    if (r.no_result) /* keep whatever file the user had rather than an empty model */
        note("%s before the first iteration: no model%s\n",
             r.convex.exit == CVXRELU_EXIT_INTERRUPTED ? "interrupted" : "time limit reached",
             o->model_out ? " written" : "");
    if (is_demo) print_demo(o, x, &r);
    const int save = o->model_out && !r.no_result;
    if (save && (st = cvxrelu_model_save(x->model, o->model_out, &err))) rc = lib_error(st, &err);
    if (!rc && o->json_out) {
        cvxrelu_json j;
        cvxrelu_json_open(&j);
        cvxrelu_train_report_json(&j, &r, &s, save);
        rc = json_write(&j, o->json_out);
    }
    cvxrelu_train_report_free(&r);
    if (rc) return rc;
    if (failed) return EXIT_DATA;
    if (g_interrupt) {
        if (!r.no_result) note("interrupted: the model of the last iterate was written\n");
        return EXIT_INTERRUPTED;
    }
    return r.no_result ? EXIT_SOLVER : EXIT_OK; /* a time limit that left no result failed */
}

/* Every output writable, none of them an input or another output (before any work);
   then the run under the stop handlers. */
static int run_train(const train_opts *o, int is_demo)
{
    const io_path outs[] = {{"-o", o->model_out}, {"--json", o->json_out},
                            {"--trace", o->trace_out}, {"--stats", o->stats_out}};
    const io_path ins[] = {{"TRAIN_FILE", o->train_path}, {"--test", o->test_path},
                           {"--gates", o->gates_path}, {"--warm-start", o->warm_path},
                           {"--configs-from", o->configs_from}};
    int rc = check_io_paths(outs, 4, ins, 5);
    if (rc) return rc;
    run_ctx x;
    memset(&x, 0, sizeof x);
    x.o = o;
    train_deadline_start(o);
    cli_stop_begin(); /* SIGINT / SIGTERM from here on: every phase stops at its next check */
    if (!(rc = load_inputs(o, &x))) rc = run_model(o, &x, is_demo);
    cli_stop_end();
    cvxrelu_dataset_free(x.train);
    cvxrelu_dataset_free(x.test);
    free(x.G0);
    cvxrelu_model_free(x.model);
    cvxrelu_model_free(x.warm);
    cvxrelu_model_free(x.from);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    if (opt_wants_help(argc, argv)) {
        train_help();
        return EXIT_OK;
    }
    train_opts o;
    train_opts_default(&o);
    return parse_train(argc, argv, &o, 1, 0) ? EXIT_USAGE : run_train(&o, 0);
}

int cmd_demo(int argc, char **argv)
{
    if (opt_wants_help(argc, argv)) {
        printf("Usage: cvxrelu demo [train options]\n\n"
               "Train a gated-ReLU network on the bundled breast-cancer data (569 rows,\n"
               "30 features, 2 classes; 30%% held out with seed 0) with 100 patterns and\n"
               "lambda chosen by 5-fold cross-validation, and print test accuracy, objective, duality gap and time.\n"
               "Options of 'cvxrelu train' override these.  Data: %s\n\n"
               "Exit codes: 0 success, 1 usage error, 2 data or file error,\n"
               "3 numerical failure or out of memory.\n",
               CVXRELU_DATA_DIR);
        return EXIT_OK;
    }
    train_opts o;
    train_opts_default(&o);
    o.train_path = CVXRELU_DATA_DIR "/breast_cancer.csv";
    o.s.patterns = 100;
    o.s.seed = 0;
    if (parse_train(argc, argv, &o, 0, 0)) return EXIT_USAGE;
    if (!o.test_path && o.test_frac == 0) o.test_frac = 0.3;
    return run_train(&o, 1);
}
