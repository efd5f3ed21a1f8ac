/*
 * Benchmarks of the two solvers of the exact ReLU program (printed figures, never a test;
 * docs/algorithms.md, "Solvers of the exact program").
 *
 *   bench_exact teacher [--time-limit S] [--ref-eps E] [--ref OBJ] [--method projected|admm]
 *       [--no-polish]
 *       planted teacher n=1000, d=20, P=100, lambda=1e-3 (the problem of bench_gated
 *       teacher-relu).  A reference optimum by projected R-FISTA to relative gap E (default
 *       1e-8), then each method until its iterate has relative cone violation <= 1e-6 and an
 *       objective within 1e-6 relative of the reference (the time that first happens), at
 *       most S seconds (default 120); the repaired final point's objective is printed too.
 *       --ref takes the reference objective of an earlier run; --method runs one method.
 *       --no-polish (both problems): projected R-FISTA without its Newton steps on the face.
 *   bench_exact digits --csv FILE [--time-limit S] [--patterns P] [--lambda L]
 *       a labelled CSV (sklearn's digits: bench/run writes it), 80/20 split (seed 0), P=100
 *       patterns, each method of the exact program for S seconds (default 30) or to
 *       relative gap 1e-6, and the gated program on the same patterns: gap, test accuracy.
 *
 * Every run prints its time per iteration beside the time of the BLAS calls (GEMMs, and for
 * ADMM the n x n factorizations and solves) of that same run, per iteration.
 * Output: "key value" lines.
 */
#define _POSIX_C_SOURCE 200809L
#include <cvxrelu.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what, const cvxrelu_error *err)
{
    fprintf(stderr, "bench_exact: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static const char *method_name(cvxrelu_relu_method m)
{
    return m == CVXRELU_RELU_ADMM ? "admm" : m == CVXRELU_RELU_PROJECTED ? "projected" : "auto";
}

/* The first time a certified row of the log meets the targets (then the solve is stopped),
   and the times of the first and last rows (the iterations' time, without the setup and the
   final repair). */
typedef struct {
    double ref, t_hit;
    size_t it_hit;
    volatile sig_atomic_t stop;
    double t_first, t_last;
    size_t it_first, it_last;
    int seen;
} watch;

static void on_iter(const cvxrelu_iterate_info *info, void *user)
{
    watch *w = user;
    if (info->heartbeat) return; /* a sign of life, not an iteration */
    if (!w->seen) {
        w->seen = 1;
        w->t_first = info->time_s;
        w->it_first = info->iter;
    }
    w->t_last = info->time_s;
    w->it_last = info->iter;
    if (info->uncertified || w->t_hit >= 0.0 || isnan(w->ref)) return;
    if (info->violation <= 1e-6 && fabs(info->objective - w->ref) <= 1e-6 * fabs(w->ref)) {
        w->t_hit = info->time_s;
        w->it_hit = info->iter;
        w->stop = 1;
    }
}

/* Time per iteration (from the log's rows: setup and final repair left out) against the BLAS
   time per iteration of the same run (its BLAS time less that of a run stopped after one
   iteration, which holds the setup's and the finish's, over its iterations less one). */
static void print_timing(const char *tag, const watch *w, double blas_per_iter)
{
    double it = w->it_last > w->it_first ? (double)(w->it_last - w->it_first) : NAN;
    double per = (w->t_last - w->t_first) / it;
    printf("%s_time_per_iter_s %.6f\n", tag, per);
    printf("%s_blas_per_iter_s %.6f\n", tag, blas_per_iter);
    printf("%s_iter_over_blas %.2f\n", tag, per / blas_per_iter);
}

/* BLAS seconds of a solve stopped after one iteration (setup, one iteration, finish) */
static double solver_blas_one(const cvxrelu_problem *pb, const cvxrelu_patterns *pat,
                              cvxrelu_settings set)
{
    cvxrelu_error err;
    cvxrelu_solver *s;
    cvxrelu_result res;
    set.tol = 1e-14;
    set.max_iter = 1;
    set.callback = NULL;
    set.interrupt = NULL;
    set.time_limit_s = 0.0;
    if (cvxrelu_solver_new(pb, pat, &set, &s, &err)) die("solver", &err);
    if (cvxrelu_solver_solve(s, &res, &err)) die("solve", &err);
    cvxrelu_solver_free(s);
    return res.gemm_time_s;
}

static int bench_teacher(int argc, char **argv)
{
    const size_t n = 1000, d = 20, P = 100;
    const double lambda = 1e-3;
    double limit = 120.0, ref_eps = 1e-8, ref_given = NAN;
    const char *only = NULL;
    int polish = 1;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--time-limit") == 0 && i + 1 < argc) limit = atof(argv[++i]);
        else if (strcmp(argv[i], "--ref-eps") == 0 && i + 1 < argc) ref_eps = atof(argv[++i]);
        else if (strcmp(argv[i], "--ref") == 0 && i + 1 < argc) ref_given = atof(argv[++i]);
        else if (strcmp(argv[i], "--method") == 0 && i + 1 < argc) only = argv[++i];
        else if (strcmp(argv[i], "--no-polish") == 0) polish = 0;
    }
    cvxrelu_error err;
    double *X, *Y;
    if (cvxrelu_synthetic_teacher(n, d, 1, 10, 0.1, 2024, &X, &Y, &err)) die("teacher", &err);
    cvxrelu_patterns *pat;
    if (cvxrelu_patterns_sample(X, n, d, P, 7, 0, &pat, &err)) die("patterns", &err);
    cvxrelu_blas_set_threads(cvxrelu_blas_threads_for(n, d, pat->P)); /* as the CLI does */
    cvxrelu_problem pb = {X, n, d, Y, 1, CVXRELU_LOSS_SQUARED, 0.0};
    printf("problem teacher n=%zu d=%zu P=%zu lambda=%g\n", n, d, pat->P, lambda);
    printf("blas %s\n", cvxrelu_blas_info());
    printf("auto_method %s\n", method_name(cvxrelu_relu_method_for(n, d, 1, pat->P)));

    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    set.solver = CVXRELU_SOLVER_RELU;
    set.relu_method = CVXRELU_RELU_PROJECTED;
    set.lambda = lambda;
    set.tol = ref_eps;
    set.max_iter = 10000000;
    set.polish = polish; /* the reference solve too */
    cvxrelu_solver *s;
    cvxrelu_result ref;
    if (!isnan(ref_given)) { /* a reference from an earlier run (--ref) */
        ref.objective = ref_given;
        printf("reference_objective %.15g (given)\n", ref.objective);
    } else {
        if (cvxrelu_solver_new(&pb, pat, &set, &s, &err)) die("solver", &err);
        if (cvxrelu_solver_solve(s, &ref, &err)) die("solve", &err);
        cvxrelu_solver_free(s);
        printf("reference_objective %.15g\n", ref.objective);
        printf("reference_gap %.3e\n", ref.gap);
        printf("reference_exit %s\n", cvxrelu_exit_string(ref.exit));
        printf("reference_time_s %.3f\n", ref.solve_time_s);
    }

    const cvxrelu_relu_method methods[] = {CVXRELU_RELU_PROJECTED, CVXRELU_RELU_ADMM};
    for (int k = 0; k < 2; k++) {
        const char *tag = method_name(methods[k]);
        if (only && strcmp(only, tag) != 0) continue;
        watch w = {ref.objective, -1.0, 0, 0, 0.0, 0.0, 0, 0, 0};
        set.relu_method = methods[k];
        set.polish = polish;
        set.tol = 1e-12; /* run on until the targets are met (the callback stops it) */
        set.time_limit_s = limit;
        set.callback = on_iter;
        set.callback_data = &w;
        set.interrupt = &w.stop;
        cvxrelu_result r;
        if (cvxrelu_solver_new(&pb, pat, &set, &s, &err)) die("solver", &err);
        double t0 = now();
        if (cvxrelu_solver_solve(s, &r, &err)) die("solve", &err);
        double wall = now() - t0;
        cvxrelu_solver_free(s);
        if (w.t_hit >= 0.0) {
            printf("%s_time_to_target_s %.3f\n", tag, w.t_hit);
            printf("%s_iterations_to_target %zu\n", tag, w.it_hit);
        } else {
            printf("%s_time_to_target_s none_within_%.0f_s\n", tag, limit);
        }
        printf("%s_wall_s %.3f\n", tag, wall);
        printf("%s_iterations %zu\n", tag, r.iterations);
        printf("%s_final_objective %.15g\n", tag, r.objective);
        printf("%s_final_rel_diff %.3e\n", tag, fabs(r.objective - ref.objective) / fabs(ref.objective));
        printf("%s_final_violation_before_repair %.3e\n", tag, r.violation);
        printf("%s_final_gap %.3e\n", tag, r.gap);
        double g1 = solver_blas_one(&pb, pat, set);
        print_timing(tag, &w, (r.gemm_time_s - g1) / (double)(r.iterations > 1 ? r.iterations - 1 : 1));
    }
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
    return 0;
}

static int bench_digits(int argc, char **argv)
{
    const char *csv = NULL;
    double limit = 30.0, lambda = 1e-3;
    size_t P = 100;
    int polish = 1;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) csv = argv[++i];
        else if (strcmp(argv[i], "--time-limit") == 0 && i + 1 < argc) limit = atof(argv[++i]);
        else if (strcmp(argv[i], "--patterns") == 0 && i + 1 < argc) P = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--lambda") == 0 && i + 1 < argc) lambda = atof(argv[++i]);
        else if (strcmp(argv[i], "--no-polish") == 0) polish = 0;
    }
    if (!csv) {
        fprintf(stderr, "bench_exact digits: --csv FILE is required\n");
        return 2;
    }
    cvxrelu_error err;
    cvxrelu_read_opts ro;
    cvxrelu_read_opts_default(&ro);
    cvxrelu_dataset *all, *train, *test;
    if (cvxrelu_dataset_read(csv, &ro, &all, &err)) die("read", &err);
    if (cvxrelu_dataset_split(all, 0.2, 0, &train, &test, &err)) die("split", &err);
    printf("problem digits file=%s n_train=%zu n_test=%zu P=%zu lambda=%g time_limit_s=%g\n", csv,
           train->n, test->n, P, lambda, limit);
    printf("blas %s\n", cvxrelu_blas_info());
    const struct {
        cvxrelu_train_program program;
        cvxrelu_relu_method method;
        const char *tag;
    } runs[] = {{CVXRELU_TRAIN_GATED, CVXRELU_RELU_AUTO, "gated"},
                {CVXRELU_TRAIN_RELU, CVXRELU_RELU_PROJECTED, "projected"},
                {CVXRELU_TRAIN_RELU, CVXRELU_RELU_ADMM, "admm"}};
    for (size_t k = 0; k < sizeof runs / sizeof *runs; k++) {
        watch w = {NAN, -1.0, 0, 0, 0.0, 0.0, 0, 0, 0};
        cvxrelu_train_settings ts;
        cvxrelu_train_settings_default(&ts);
        ts.program = runs[k].program;
        ts.relu_method = runs[k].method;
        ts.polish = polish;
        ts.task = CVXRELU_TASK_CLASSIFICATION;
        ts.patterns = P;
        ts.lambda = lambda;
        ts.time_limit_s = limit;
        ts.max_iter = 10000000;
        ts.certify = 0;
        ts.callback = on_iter;
        ts.callback_data = &w;
        cvxrelu_model *m = NULL;
        cvxrelu_train_report rep;
        /* the BLAS time of setup, one iteration and finish */
        cvxrelu_train_settings t1 = ts;
        t1.callback = NULL;
        t1.max_iter = 1;
        t1.tol = 1e-14;
        t1.time_limit_s = 0.0;
        if (cvxrelu_train(train, test, &t1, &m, &rep, &err)) die("train", &err);
        const double g1 = rep.convex.gemm_time_s;
        cvxrelu_model_free(m);
        cvxrelu_train_report_free(&rep);
        m = NULL;
        double t0 = now();
        if (cvxrelu_train(train, test, &ts, &m, &rep, &err)) die("train", &err);
        double wall = now() - t0;
        const char *tag = runs[k].tag;
        const cvxrelu_result *r = &rep.convex;
        printf("%s_d %zu\n", tag, rep.d);
        printf("%s_exit %s\n", tag, cvxrelu_exit_string(rep.exit));
        printf("%s_iterations %zu\n", tag, r->iterations);
        printf("%s_objective %.12g\n", tag, r->objective);
        printf("%s_rel_gap %.3e\n", tag, r->gap / fmax(1.0, fabs(r->objective)));
        printf("%s_gap_over_objective %.3e\n", tag, r->gap / fabs(r->objective));
        printf("%s_test_accuracy %.4f\n", tag, rep.test_metrics.accuracy);
        printf("%s_neurons %zu\n", tag, rep.neurons);
        printf("%s_wall_s %.3f\n", tag, wall);
        print_timing(tag, &w, (r->gemm_time_s - g1) /
                                  (double)(r->iterations > 1 ? r->iterations - 1 : 1));
        cvxrelu_model_free(m);
        cvxrelu_train_report_free(&rep);
    }
    cvxrelu_dataset_free(train);
    cvxrelu_dataset_free(test);
    cvxrelu_dataset_free(all);
    return 0;
}

int main(int argc, char **argv)
{
    /* the same fast BLAS kernel the CLI selects (see cli/main.c) */
    const char *core = getenv("CVXRELU_NO_BLAS_TUNE") ? NULL : cvxrelu_blas_better_core();
    if (core) {
        setenv("OPENBLAS_CORETYPE", core, 1);
        setenv("CVXRELU_NO_BLAS_TUNE", "1", 1);
        execv("/proc/self/exe", argv);
    }
    if (argc >= 2 && strcmp(argv[1], "teacher") == 0) return bench_teacher(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "digits") == 0) return bench_digits(argc - 2, argv + 2);
    fprintf(stderr, "usage: bench_exact teacher|digits [options]\n");
    return 2;
}
