/* cvxrelu path: the regularization path of the gated or the exact ReLU program. */
#define _POSIX_C_SOURCE 200809L
#include "train_opts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void path_help(void)
{
    printf("Usage: cvxrelu path TRAIN_FILE [--test FILE | --test-frac F] [options]\n"
           "\n"
           "The regularization path of the gated program (or, with --model relu, of the\n"
           "exact ReLU program; with --model relu3, of the three-layer program over\n"
           "--subnets sampled sub-networks of --width1 neurons): --lambdas values of lambda\n"
           "geometric from lambda_max (the zero network is optimal from there on) down to\n"
           "--lambda-min-ratio lambda_max, each solve warm-started from the one before and\n"
           "stopped at a certified gap.  One row per lambda: objective, gap, active neurons,\n"
           "train and test metrics, time\n"
           "(docs/algorithms.md, \"Choosing lambda\").  scripts/plot_path.py plots the CSV.\n"
           "\n"
           "Options: those of 'cvxrelu train' for the data, the encoding, the patterns and\n"
           "the solver (--model gated|relu|relu3, --patterns, --gates, --width1, --subnets,\n"
           "--seed, --eps, --max-iter,\n"
           "--time-limit, --test, --test-frac, --task, --raw, --no-standardize, --no-bias,\n"
           "--precision, --no-screening, --no-working-set, --no-precondition, --json, -q),\n"
           "and:\n");
    train_options_help(M_PATH);
    data_help();
    printf("\nExit codes: 0 success (also when a limit cut the path short), 1 usage error,\n"
           "2 data or file error, 3 numerical failure or out of memory, 130 interrupted.\n");
}

static cvxrelu_status write_path_csv(FILE *f, void *user, cvxrelu_error *err)
{
    const cvxrelu_path_report *r = user;
    (void)err;
    const int cls = r->task == CVXRELU_TASK_CLASSIFICATION;
    fprintf(f, "lambda,objective,gap,exit,iterations,active,neurons,train_%s,test_%s,time_s\n",
            cls ? "accuracy" : "mse", cls ? "accuracy" : "mse");
    for (size_t k = 0; k < r->n_points; k++) {
        const cvxrelu_path_point *q = r->points + k;
        fprintf(f, "%.17g,%.17g,%.17g,%s,%zu,%zu,%zu,%.17g,%.17g,%.6f\n", q->lambda,
                q->objective, q->gap, cvxrelu_exit_string(q->exit), q->iterations, q->active,
                q->neurons, cls ? q->train.accuracy : q->train.mse,
                cls ? q->test.accuracy : q->test.mse, q->time_s);
    }
    return CVXRELU_OK;
}

static void on_point(const cvxrelu_path_point *q, size_t k, void *user)
{
    const cvxrelu_path_report *r = user;
    const int cls = r->task == CVXRELU_TASK_CLASSIFICATION;
    if (k == 0)
        printf("%12s %16s %10s %7s %7s %11s %11s %8s\n", "lambda", "objective", "rel.gap",
               "iters", "neurons", cls ? "train acc" : "train mse", cls ? "test acc" : "test mse",
               "time_s");
    printf("%12.6g %16.10e %10.3e %7zu %7zu %11.6g %11.6g %8.3f\n", q->lambda, q->objective,
           q->gap / fmax(1.0, fabs(q->objective)), q->iterations, q->neurons,
           cls ? q->train.accuracy : q->train.mse, cls ? q->test.accuracy : q->test.mse,
           q->time_s);
    fflush(stdout);
}

int cmd_path(int argc, char **argv)
{
    if (opt_wants_help(argc, argv)) {
        path_help();
        return EXIT_OK;
    }
    train_opts o;
    train_opts_default(&o);
    if (parse_train(argc, argv, &o, 1, 1)) return EXIT_USAGE;
    const io_path outs[] = {{"--csv", o.csv_out}, {"--json", o.json_out}};
    const io_path ins[] = {{"TRAIN_FILE", o.train_path}, {"--test", o.test_path},
                           {"--gates", o.gates_path}};
    int rc = check_io_paths(outs, 2, ins, 3);
    if (rc) return rc;
    run_ctx x;
    memset(&x, 0, sizeof x);
    x.o = &o;
    train_deadline_start(&o);
    cli_stop_begin();
    cvxrelu_path_report r;
    memset(&r, 0, sizeof r);
    if (!(rc = load_inputs(&o, &x))) {
        cvxrelu_train_settings s;
        train_settings(&x, &s);
        s.callback = NULL;
        s.on_phase = NULL;
        s.path.on_point = g_quiet ? NULL : on_point;
        s.path.point_data = &r;
        cvxrelu_error err = {{0}};
        cvxrelu_status st = cvxrelu_path(x.train, x.test, &s, &r, &err);
        if (st) rc = lib_error(st, &err);
        if (!rc && r.exit != CVXRELU_EXIT_CONVERGED)
            note("path %s after %zu of %zu lambdas\n", cvxrelu_exit_string(r.exit), r.n_points,
                 s.path.lambdas);
        if (!rc && !g_quiet)
            printf("path: %zu lambdas from lambda_max %.6g, %zu %s, in %.3f s\n", r.n_points,
                   r.lambda_max, r.patterns,
                   r.program == CVXRELU_TRAIN_RELU3 ? "configurations" : "patterns", r.time_s);
        if (!rc && o.csv_out && (st = cvxrelu_write_atomic(o.csv_out, write_path_csv, &r, &err)))
            rc = lib_error(st, &err);
        if (!rc && o.json_out) {
            cvxrelu_json j;
            cvxrelu_json_open(&j);
            cvxrelu_path_report_json(&j, &r);
            rc = json_write(&j, o.json_out);
        }
        if (!rc && g_interrupt) rc = EXIT_INTERRUPTED;
    }
    cli_stop_end();
    cvxrelu_path_report_free(&r);
    cvxrelu_dataset_free(x.train);
    cvxrelu_dataset_free(x.test);
    free(x.G0);
    return rc;
}
