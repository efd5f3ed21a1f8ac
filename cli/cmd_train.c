/* cvxrelu train / demo: fit a model, print the iteration table, write model and metrics. */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef CVXRELU_DATA_DIR
#define CVXRELU_DATA_DIR "data"
#endif

typedef struct {
    cvxrelu_train_settings s; /* the library's settings: the table writes into them */
    const char *train_path, *test_path, *model_out, *json_out, *trace_out;
    const char *gates_path, *warm_path, *configs_from, *stats_out;
    cvxrelu_read_opts data;
    double test_frac;
    int patterns_given, lambda_given, beta_given, ratio_given, eps_given, max_iter_given;
    int subnets_given, sdp_solver_given, local_given, batch_given;
    double eps, time_limit;   /* routed to the program's solver (train_settings) */
    size_t max_iter;
    double max_memory_gb;     /* 0: the machine's physical memory */
    int model;                /* --model: 0 gated, 1 relu, 2 sdp, 3 relu3 */
    int via;                  /* --via: 0 constrained, 1 gated, 2 relu (= constrained) */
    size_t width;             /* --width M: M/2 sampled gates (KP24), or local-method width */
    int optimizer;            /* --optimizer: 0 none (convex), 1 + cvxrelu_optimizer */
    int quiet, verbose, raw;
} train_opts;

static void train_opts_default(train_opts *o)
{
    memset(o, 0, sizeof *o);
    cvxrelu_read_opts_default(&o->data);
    cvxrelu_train_settings_default(&o->s); /* the one source of the defaults */
    o->eps = o->s.tol;
    o->max_iter = o->s.max_iter;
    o->time_limit = o->s.time_limit_s;
}

/* The modes an option applies to (0: every mode). */
enum { M_GATED = 1, M_RELU = 2, M_SDP = 4, M_RELU3 = 8, M_LOCAL = 16, M_LOCAL3 = 32 };
static const char *const mode_names[] = {"--model gated", "--model relu", "--model sdp",
                                         "--model relu3", "--optimizer",
                                         "--model relu3 --optimizer"};
#define F(x) offsetof(train_opts, x)
#define G(x) ((long)offsetof(train_opts, x))
#define NB NAN, NAN, 0
/* Every option of train: parsing, range check and --help (docs/cli.md, "train"). */
static const opt_def train_table[] = {
    {"--model", 0, NULL, "M", OPT_CHOICE, F(model), OPT_NONE, NB, "gated|relu|sdp|relu3", 0,
     "gated (default): the gated-ReLU group lasso, R-FISTA; relu: the exact ReLU program over "
     "the sampled patterns (cone constraints), R-FISTA whose prox projects onto each "
     "pattern's cone (docs/algorithms.md, \"The exact ReLU program\"); sdp: the SDP "
     "relaxation of the lifted program [PBY24] (docs/algorithms.md, \"The SDP relaxation\"): "
     "a certified lower bound on the objective of every network, and a network of --width R "
     "neurons read out of its solution (default R = rank of the solution); --eps is its "
     "relative accuracy (default 1e-4); relu3: three-layer parallel network [EP21] "
     "(docs/algorithms.md, \"Three-layer parallel networks\"), the convex program over "
     "--subnets K sampled sub-networks (K/2 configurations, both signs); with --optimizer, "
     "the local baseline, then the program on its configurations"},
    {"--width1", M_RELU3 | M_LOCAL3, NULL, "M", OPT_SIZE, F(s.width1), OPT_NONE, 1, 4096, 0, NULL, 0,
     "relu3: first-layer neurons per sub-network (default 3)"},
    {"--subnets", M_RELU3 | M_LOCAL3, NULL, "K", OPT_SIZE, F(s.subnets), G(subnets_given), 0, 1000000, 0, NULL, 0,
     "relu3: sub-networks per output, at most (convex: K/2 sampled configurations, both "
     "signs) or exactly (local); default 20; 0 with --configs-from: only that model's "
     "configurations"},
    {"--configs-from", M_RELU3, NULL, "F", OPT_STR, F(configs_from), OPT_NONE, NB, NULL, 0,
     "relu3: add the configurations of the relu3 model F (e.g. a locally trained one): the "
     "optimum is then <= its objective"},
    {"--sdp-solver", M_SDP, NULL, "S", OPT_CHOICE, F(s.sdp.method), G(sdp_solver_given), NB, "admm|dsdp",
     CVXRELU_SDP_ADMM,
     "admm (default; first-order, larger n) | dsdp (interior point, Debian's DSDP; small n)"},
    {"--relu-solver", M_RELU, NULL, "S", OPT_CHOICE, F(s.relu_method), OPT_NONE, NB, "auto|projected|admm", 0,
     "relu: the exact program's solver: auto (default: admm for n <= 4000 and d >= 48, else "
     "projected) | projected (R-FISTA with cone projections) | admm (splitting whose "
     "iterations are GEMMs)"},
    {"--eps-feas", 0, NULL, "E", OPT_DOUBLE, F(s.tol_feas), OPT_NONE, 0, NAN, OPT_LO_OPEN, NULL, 0,
     "relu: relative cone violation tolerance (default 1e-6)"},
    {"--precision", M_GATED | M_RELU, NULL, "P", OPT_CHOICE, F(s.single_precision), OPT_NONE, NB, "double|single", 0,
     "gated: double (default) or single: the products in float32, the stopping certificate "
     "and the final objective and gap in double over the whole program"},
    {"--no-screening", M_GATED | M_RELU, NULL, NULL, OPT_FLAG, F(s.screening), OPT_NONE, NB, NULL, 0,
     "gated: every group in every product (default: gap-safe screening drops groups proven "
     "zero; the same answer)"},
    {"--no-precondition", M_GATED | M_RELU, NULL, NULL, OPT_FLAG, F(s.precondition), OPT_NONE, NB, NULL, 0,
     "gated: plain steps (default: steps in the metric of X^T X, far fewer iterations on "
     "correlated or unevenly scaled columns; the same program and certificate)"},
    {"--width", M_GATED | M_RELU | M_SDP | M_LOCAL, NULL, "M", OPT_SIZE, F(width), OPT_NONE, 1, NAN, 0, NULL, 0,
     "[KP24] the randomized algorithm: M/2 Gaussian gates (their distinct patterns), a "
     "network of at most M neurons per output; with --optimizer, the width of the local "
     "method"},
    {"--via", M_GATED | M_RELU, NULL, "V", OPT_CHOICE, F(via), OPT_NONE, NB, "constrained|gated|relu", 0,
     "relu --width: gated solves the gated program, then decomposes into cones (--decompose) "
     "instead of the constrained program (default constrained)"},
    {"--optimizer", M_LOCAL | M_LOCAL3, NULL, "O", OPT_CHOICE, F(optimizer), OPT_NONE, NB, "gd|sgd|adam", 1,
     "gd | sgd | adam: train the non-convex ReLU network of --width neurons per output "
     "(default 100) on the same objective; records pattern changes, then re-solves the "
     "convex program on the final patterns (stationarity check)"},
    {"--lr", M_LOCAL | M_LOCAL3, NULL, "R", OPT_DOUBLE, F(s.local.lr), G(local_given), 0, NAN, OPT_LO_OPEN, NULL, 0,
     "step size (default 0.1 for gd/sgd, 1e-3 for adam)"},
    {"--steps", M_LOCAL | M_LOCAL3, NULL, "K", OPT_SIZE, F(s.local.steps), G(local_given), NB, NULL, 0,
     "parameter updates (default 1000)"},
    {"--batch", M_LOCAL | M_LOCAL3, NULL, "B", OPT_SIZE, F(s.local.batch), G(batch_given), NB, NULL, 0,
     "minibatch rows for sgd/adam (default 32; 0 = full batch)"},
    {"--init-scale", M_LOCAL | M_LOCAL3, NULL, "S", OPT_DOUBLE, F(s.local.init_scale), G(local_given), 0, NAN, OPT_LO_OPEN,
     NULL, 0, "w ~ N(0, S^2/d I), a ~ N(0, S^2/m) (default 1)"},
    {"--record-every", M_LOCAL | M_LOCAL3, NULL, "K", OPT_SIZE, F(s.local.record_every), G(local_given), 1, NAN, 0, NULL, 0,
     "pattern statistics every K steps (default 10)"},
    {"--stats", M_LOCAL | M_LOCAL3, NULL, "FILE", OPT_STR, F(stats_out), OPT_NONE, NB, NULL, 0,
     "write them as CSV (step,objective,changed_neurons,mean_hamming,time_s)"},
    {"--bounds", 0, NULL, "LIST", OPT_SPECIAL, 0, OPT_NONE, NB, NULL, 0,
     "certificate bounds (see cvxrelu certify --help; default all)"},
    {"--no-certify", 0, NULL, NULL, OPT_FLAG, F(s.certify), OPT_NONE, NB, NULL, 0,
     "skip the certificate of a ReLU network"},
    {"--no-stationarity", M_LOCAL | M_LOCAL3, NULL, NULL, OPT_FLAG, F(s.stationarity), OPT_NONE, NB, NULL, 0,
     "--optimizer: skip the convex re-solve on the final patterns (slow for large d; "
     "--max-iter and --time-limit also bound it)"},
    {"--patterns", M_GATED | M_RELU, NULL, "P", OPT_SPECIAL, 0, OPT_NONE, NB, NULL, 0,
     "distinct activation patterns to sample (default 100); 'all' enumerates every pattern "
     "(data spanning at most 2 dimensions, e.g. one feature + bias): the program is then the "
     "global optimum of the network of any width"},
    {"--decompose", M_GATED, NULL, "[closed|min-norm]", OPT_SPECIAL, 0, OPT_NONE, NB, NULL, 0,
     "gated: turn the solution into a ReLU network with exactly the same fit (cone "
     "decomposition, docs/algorithms.md, \"Cone decomposition\"; default min-norm where its "
     "barrier method is affordable) and report the sharpness paid"},
    {"--gates", M_GATED | M_RELU, NULL, "FILE", OPT_STR, F(gates_path), OPT_NONE, NB, NULL, 0,
     "CSV of gate vectors (one per row, d values in the transformed input space; d = features "
     "+ 1 with the bias column, features with --raw); used first, then sampling fills up to "
     "--patterns if that option is also given"},
    {"--lambda", 0, NULL, "L", OPT_DOUBLE, F(s.lambda), G(lambda_given), 0, NAN, 0, NULL, 0,
     "regularization on the canonical scale (default 1e-3)"},
    {"--beta", 0, NULL, "B", OPT_DOUBLE, F(s.beta), G(beta_given), 0, NAN, 0, NULL, 0,
     "the papers' scale instead: lambda = B / (n c)"},
    {"--lambda-ratio", M_GATED | M_RELU, NULL, "R", OPT_DOUBLE, F(s.lambda_ratio), G(ratio_given), 0, NAN, 0, NULL,
     0, "lambda = R * lambda_max, the smallest lambda giving the zero network on these "
        "patterns (scale-free; e.g. 0.01)"},
    {"--seed", 0, NULL, "S", OPT_U64, F(s.seed), OPT_NONE, NB, NULL, 0,
     "seed for gates and the train/test split (default 0)"},
    {"--test", 0, NULL, "FILE", OPT_STR, F(test_path), OPT_NONE, NB, NULL, 0, "evaluate on this file"},
    {"--test-frac", 0, NULL, "F", OPT_DOUBLE, F(test_frac), OPT_NONE, 0, 1, OPT_HI_OPEN, NULL, 0,
     "hold out this fraction of TRAIN_FILE for testing (default 0)"},
    {"--task", 0, NULL, "T", OPT_CHOICE, F(s.task), OPT_NONE, NB, "regression|classification",
     CVXRELU_TASK_REGRESSION, "regression | classification (default: guessed from labels)"},
    {"--raw", 0, NULL, NULL, OPT_FLAG, F(raw), OPT_NONE, NB, NULL, 1,
     "no standardization and no bias column"},
    {"--no-standardize", 0, NULL, NULL, OPT_FLAG, F(s.standardize), OPT_NONE, NB, NULL, 0,
     "no column standardization"},
    {"--no-bias", 0, NULL, NULL, OPT_FLAG, F(s.bias), OPT_NONE, NB, NULL, 0, "no bias column"},
    {"--warm-start", M_GATED | M_RELU, NULL, "M", OPT_STR, F(warm_path), OPT_NONE, NB, NULL, 0,
     "start from model file M (its gates come first)"},
    {"--eps", 0, NULL, "E", OPT_DOUBLE, F(eps), G(eps_given), 0, NAN, OPT_LO_OPEN, NULL, 0,
     "duality-gap tolerance, relative to max(1, |objective|) (default 1e-6; sdp: 1e-4)"},
    {"--max-memory", 0, NULL, "G", OPT_DOUBLE, F(max_memory_gb), OPT_NONE, 0, NAN, OPT_LO_OPEN,
     NULL, 0, "refuse problems whose solver needs more than G GiB (default: the machine's "
              "physical memory)"},
    {"--max-iter", 0, NULL, "K", OPT_SIZE, F(max_iter), G(max_iter_given), NB, NULL, 0,
     "iteration limit (default 10000; relu3: 100000 inner iterations; sdp: 20000 ADMM, 500 "
     "DSDP)"},
    {"--time-limit", 0, NULL, "S", OPT_DOUBLE, F(time_limit), OPT_NONE, 0, NAN, 0, NULL, 0,
     "seconds (default: none)"},
    {"--output", 0, "-o", "FILE", OPT_STR, F(model_out), OPT_NONE, NB, NULL, 0,
     "write the model (atomically)"},
    {"--json", 0, NULL, "FILE", OPT_STR, F(json_out), OPT_NONE, NB, NULL, 0,
     "write metrics as JSON (atomically)"},
    {"--trace", M_GATED | M_RELU, NULL, "FILE", OPT_STR, F(trace_out), OPT_NONE, NB, NULL, 0,
     "write every iteration as CSV"},
    {"--quiet", 0, "-q", NULL, OPT_FLAG, F(quiet), OPT_NONE, NB, NULL, 1,
     "quiet: no banner, iteration table or summary"},
    {"--verbose", 0, "-v", NULL, OPT_FLAG, F(verbose), OPT_NONE, NB, NULL, 1,
     "verbose: every iteration, and the recovered network against the convex fit"},
};
#undef F
#undef G
#undef NB
enum { NT = sizeof train_table / sizeof train_table[0] };

/* Options that exclude each other (at most one of each group). */
static const opt_exclusive train_exclusive[] = {
    {{"--lambda", "--beta", "--lambda-ratio"},
     "give one of --lambda, --beta and --lambda-ratio, not several"},
    {{"--test", "--test-frac"}, "give --test or --test-frac, not both"},
    {{"--width", "--patterns"},
     "--width M samples M/2 gates: give --width or --patterns, not both"},
};

static void train_help(void)
{
    printf("Usage: cvxrelu train TRAIN_FILE [options]\n"
           "\n"
           "Train a two-layer network by solving the gated-ReLU convex program to a\n"
           "certified duality gap, and recover the network (docs/algorithms.md,\n"
           "\"The gated ReLU program\").\n"
           "\n"
           "Options:\n");
    opt_help(train_table, NT, NULL);
    data_help();
    printf("\nExit codes: 0 success (also when a limit stopped the solver: see \"exit\"),\n"
           "1 usage error, 2 data or file error, 3 numerical failure or out of memory,\n"
           "130 interrupted by SIGINT/SIGTERM (the model of the last iterate is written).\n");
}

/* The rows parsed here: --decompose [closed|min-norm], --patterns P|all, --bounds. */
static int train_special(void *opts, const opt_def *row, int argc, char **argv, int *i)
{
    train_opts *o = opts;
    if (strcmp(row->name, "--decompose") == 0) { /* its value is optional */
        const char *v = *i + 1 < argc ? argv[*i + 1] : "";
        o->s.decompose = strcmp(v, "closed") == 0     ? CVXRELU_TRAIN_DECOMPOSE_CLOSED
                         : strcmp(v, "min-norm") == 0 ? CVXRELU_TRAIN_DECOMPOSE_MIN_NORM
                                                      : CVXRELU_TRAIN_DECOMPOSE_AUTO;
        if (o->s.decompose != CVXRELU_TRAIN_DECOMPOSE_AUTO) ++*i;
        return 0;
    }
    const char *v = opt_value(argc, argv, i);
    if (!v) return -1;
    if (strcmp(row->name, "--bounds") == 0) {
        cvxrelu_error err = {{0}};
        if (cvxrelu_sbounds_parse(v, &o->s.bounds, &err) == CVXRELU_OK) return 0;
        die_msg("--bounds: %s", err.msg);
        return -1;
    }
    o->patterns_given = 1; /* --patterns */
    uint64_t k = 0;
    if (strcmp(v, "all") == 0) {
        o->s.all_patterns = 1;
        return 0;
    }
    if (parse_u64_opt(row->name, v, &k)) return -1;
    if (k == 0 || k > (uint64_t)SIZE_MAX) {
        die_msg("--patterns: expected a positive integer, got \"%s\"", v);
        return -1;
    }
    o->s.patterns = (size_t)k;
    return 0;
}

/* The options that go together, and those the chosen model would not use (refused,
   never ignored: each row of the table says the modes it applies to). */
static int check_train(train_opts *o, const unsigned char *seen, int need_file)
{
    const int relu3 = o->model == 3, sdp = o->model == 2;
    if (need_file && !o->train_path) {
        die_msg("train: expected a training file (see cvxrelu train --help)");
        return -1;
    }
    if (opt_check_exclusive(train_table, NT, seen, train_exclusive,
                            sizeof train_exclusive / sizeof train_exclusive[0]))
        return -1;
    if (o->via == 1 && !(o->model == 1 && o->width)) {
        die_msg("--via gated goes with --model relu --width M");
        return -1;
    }
    if (o->via == 1) { /* the gated program, then the cone decomposition */
        o->model = 0;
        if (!o->s.decompose) o->s.decompose = CVXRELU_TRAIN_DECOMPOSE_AUTO;
    }
    const unsigned mode = relu3 ? (o->optimizer ? M_LOCAL3 : M_RELU3)
                          : sdp ? M_SDP : o->optimizer ? M_LOCAL : o->model == 1 ? M_RELU : M_GATED;
    if (opt_check_modes(train_table, NT, seen, mode, mode_names,
                        mode & (M_RELU3 | M_LOCAL3)
                            ? "--model relu3 samples whole sub-networks: give --width1 M "
                              "(first-layer neurons per sub-network) and --subnets K"
                            : NULL))
        return -1;
    if ((sdp || relu3) && !((o->beta_given ? o->s.beta : o->s.lambda) > 0.0)) {
        die_msg(sdp ? "--model sdp needs lambda > 0 (weight decay fixes the scale of the "
                      "relaxation)"
                    : "--model relu3 needs lambda > 0");
        return -1;
    }
    if (relu3 && o->s.subnets == 0 && (o->optimizer || !o->configs_from)) {
        die_msg("--subnets 0 (no sampled sub-networks) needs --configs-from, and the local "
                "methods need at least one sub-network");
        return -1;
    }
    if (relu3 || sdp) return 0;
    if (o->optimizer && !o->width) o->width = 100;
    if (o->optimizer) return 0;
    if (o->width == 1) {
        die_msg("--width: expected at least 2 (M/2 gates, two cone neurons each)");
        return -1;
    }
    if (o->width) o->s.patterns = o->width / 2;
    if (o->s.all_patterns && (o->gates_path || o->warm_path)) { /* a value, not an option */
        die_msg("--patterns all already holds every pattern: no --gates or --warm-start");
        return -1;
    }
    return 0;
}

static int parse_train(int argc, char **argv, train_opts *o, int need_file)
{
    unsigned char seen[NT] = {0};
    const char *pos[1] = {NULL};
    if (opt_parse_args("train", train_table, NT, o, &o->data, train_special, pos,
                       need_file ? 1 : 0, seen, argc, argv))
        return -1;
    if (need_file) o->train_path = pos[0];
    g_quiet |= o->quiet;
    g_verbose |= o->verbose;
    if (o->raw) o->s.standardize = o->s.bias = 0;
    return check_train(o, seen, need_file);
}

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

static double time_left(const train_opts *o)
{
    if (!(o->time_limit > 0.0)) return 0.0;
    double left = g_deadline - mono_now();
    return left > 1e-9 ? left : 1e-9;
}

/* What a run holds: its inputs, and what it shares with its callbacks. */
typedef struct {
    const train_opts *o;
    cvxrelu_dataset *train, *test;
    double *G0;  /* --gates: m0 x d */
    size_t m0;
    cvxrelu_model *model, *warm, *from; /* from: --configs-from */
    cvxrelu_progress pg;  /* the library's text progress, to stderr (NULL with -q); --trace */
    int trace_failed;
} run_ctx;

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
static void train_settings(run_ctx *x, cvxrelu_train_settings *s)
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
    printf("test accuracy   %.4f\n", r->test_metrics.accuracy);
    printf("objective       %.10e\n", res->objective);
    printf("duality gap     %.3e (relative %.3e, %s)\n", res->gap,
           res->gap / fmax(1.0, fabs(res->objective)), cvxrelu_exit_string(res->exit));
    printf("lower bound     %.10e (dual value: no better solution of this program exists)\n",
           res->dual);
    printf("time            %.3f s (%zu iterations)\n", res->solve_time_s, res->iterations);
}

/* The data and the inputs the options name: the warm model, the gates, the
   configurations' model. */
static int load_inputs(const train_opts *o, run_ctx *x)
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
        st = cvxrelu_dataset_split(all, o->test_frac, o->s.seed, &x->train, &x->test, &err);
        cvxrelu_dataset_free(all);
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
    g_deadline = mono_now() + o->time_limit;
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
    return parse_train(argc, argv, &o, 1) ? EXIT_USAGE : run_train(&o, 0);
}

int cmd_demo(int argc, char **argv)
{
    if (opt_wants_help(argc, argv)) {
        printf("Usage: cvxrelu demo [train options]\n\n"
               "Train a gated-ReLU network on the bundled breast-cancer data (569 rows,\n"
               "30 features, 2 classes; 30%% held out with seed 0) with 100 patterns and\n"
               "lambda 1e-3, and print test accuracy, objective, duality gap and time.\n"
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
    o.s.lambda = 1e-3;
    o.s.seed = 0;
    if (parse_train(argc, argv, &o, 0)) return EXIT_USAGE;
    if (!o.test_path && o.test_frac == 0) o.test_frac = 0.3;
    return run_train(&o, 1);
}
