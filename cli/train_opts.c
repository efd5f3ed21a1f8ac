/* The options of cvxrelu train, demo and path: one table, its special rows and the
   checks of what goes together. */
#define _POSIX_C_SOURCE 200809L
#include "train_opts.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void train_opts_default(train_opts *o)
{
    memset(o, 0, sizeof *o);
    cvxrelu_read_opts_default(&o->data);
    cvxrelu_train_settings_default(&o->s); /* the one source of the defaults */
    o->eps = o->s.tol;
    o->max_iter = o->s.max_iter;
    o->time_limit = o->s.time_limit_s;
}

static const char *const mode_names[] = {"--model gated", "--model relu", "--model sdp",
                                         "--model relu3", "--optimizer",
                                         "--model relu3 --optimizer", "cvxrelu path"};
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
     "relu: the exact program's solver: auto (default: projected) | projected (R-FISTA with "
     "cone projections) | admm (splitting whose iterations are GEMMs)"},
    {"--no-polish", M_RELU, NULL, NULL, OPT_FLAG, F(s.polish), OPT_NONE, NB, NULL, 0,
     "relu: first-order steps only (default: once the gap is below 2e-2, Newton steps on the "
     "face of the iterate, kept when they lower the objective; docs/algorithms.md, \"Newton "
     "steps on the face\")"},
    {"--eps-feas", 0, NULL, "E", OPT_DOUBLE, F(s.tol_feas), OPT_NONE, 0, NAN, OPT_LO_OPEN, NULL, 0,
     "relu: relative cone violation tolerance (default 1e-6)"},
    {"--precision", M_GATED | M_RELU, NULL, "P", OPT_CHOICE, F(s.single_precision), OPT_NONE, NB, "double|single", 0,
     "gated: double (default) or single: the products in float32, the stopping certificate "
     "and the final objective and gap in double over the whole program"},
    {"--no-screening", M_GATED | M_RELU, NULL, NULL, OPT_FLAG, F(s.screening), OPT_NONE, NB, NULL, 0,
     "gated: every group in every product (default: gap-safe screening drops groups proven "
     "zero; the same answer)"},
    {"--no-working-set", M_GATED | M_RELU, NULL, NULL, OPT_FLAG, F(s.working_set), OPT_NONE, NB, NULL, 0,
     "gated: start every solve with every group in the products (default: groups zero at "
     "the start and not near violating the optimality conditions start outside, and come "
     "back when a certificate says they could leave zero; the same certificate)"},
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
    {"--grow", M_GATED | M_RELU, NULL, NULL, OPT_FLAG, F(s.grow), OPT_NONE, NB, NULL, 1,
     "after the solve, search for neurons that violate the dual, add their patterns and "
     "re-solve warm-started, round after round (docs/algorithms.md, \"Growing the patterns\")"},
    {"--grow-rounds", M_GATED | M_RELU, NULL, "K", OPT_SIZE, F(s.grow_rounds), OPT_NONE, 1,
     100000, 0, NULL, 0, "--grow: at most K rounds (default 20)"},
    {"--grow-batch", M_GATED | M_RELU, NULL, "B", OPT_SIZE, F(s.grow_batch), OPT_NONE, 1,
     100000, 0, NULL, 0, "--grow: at most B patterns added per round (default 10)"},
    {"--grow-max", M_GATED | M_RELU, NULL, "P", OPT_SIZE, F(s.grow_max), OPT_NONE, 1, 1e9, 0,
     NULL, 0, "--grow: stop at P patterns (default 10 x --patterns, at least 100)"},
    {"--prune", M_GATED | M_RELU, NULL, NULL, OPT_FLAG, F(s.prune), OPT_NONE, NB, NULL, 1,
     "move the solution within the optimal set to one whose active neurons have linearly "
     "independent fits (at most n per output), same fit, penalty not larger "
     "(docs/algorithms.md, \"Pruning\")"},
    {"--decompose", M_GATED, NULL, "[closed|min-norm]", OPT_SPECIAL, 0, OPT_NONE, NB, NULL, 0,
     "gated: turn the solution into a ReLU network with exactly the same fit (cone "
     "decomposition, docs/algorithms.md, \"Cone decomposition\"; default min-norm where its "
     "barrier method is affordable) and report the sharpness paid"},
    {"--linear-gate", M_GATED | M_RELU | M_PATH, NULL, NULL, OPT_FLAG, F(s.linear_gate), OPT_NONE, NB,
     NULL, 1, "the linear neuron: with the bias column, the gate along it (every row active) "
              "comes before the sampled gates, so that every linear model is in the network "
              "family; one of the --patterns; not with --width or --patterns all"},
    {"--gates", M_GATED | M_RELU, NULL, "FILE", OPT_STR, F(gates_path), OPT_NONE, NB, NULL, 0,
     "CSV of gate vectors (one per row, d values in the transformed input space; d = features "
     "+ 1 with the bias column, features with --raw); used first, then sampling fills up to "
     "--patterns if that option is also given"},
    {"--loss", M_GATED | M_RELU | M_PATH | M_LOCAL, NULL, "L", OPT_SPECIAL, 0, OPT_NONE, NB, NULL, 0,
     "the data term's loss: auto (default: logistic for two classes, ce for more, squared "
     "for regression) | squared | logistic (two classes) | ce (cross-entropy of the softmax, "
     "three or more classes) | huber[:DELTA] (regression; DELTA in standardized target units, "
     "default 1) (docs/algorithms.md, "
     "\"Losses\"); --optimizer trains on the same loss; --model sdp and relu3 are squared "
     "loss"},
    {"--lambda", 0, NULL, "L", OPT_SPECIAL, 0, OPT_NONE, NB, NULL, 0,
     "regularization on the canonical scale, or auto: chosen by K-fold cross-validation over "
     "the regularization path, then a fit on all training rows (docs/algorithms.md, "
     "\"Choosing lambda\"); default auto for --model gated and relu, 1e-3 for the others"},
    {"--folds", M_GATED | M_RELU | M_PATH, NULL, "K", OPT_SIZE, F(s.path.folds), G(path_given), 2,
     1000, 0, NULL, 0, "--lambda auto: cross-validation folds, stratified by class for "
     "classification, seeded by --seed (default 5)"},
    {"--cv-rule", M_GATED | M_RELU, NULL, "R", OPT_CHOICE, F(s.path.rule), G(path_given), NB,
     "one-se|min", CVXRELU_CV_ONE_SE, "--lambda auto: min (default): the lambda of the best mean "
     "validation error; one-se: the largest lambda whose mean is within one standard error of "
     "the best (a simpler network)"},
    {"--lambdas", M_GATED | M_RELU | M_PATH, NULL, "K", OPT_SIZE, F(s.path.lambdas), G(path_given),
     1, 10000, 0, NULL, 0, "--lambda auto and path: grid points, geometric from lambda_max down "
     "(default 20)"},
    {"--lambda-min-ratio", M_GATED | M_RELU | M_PATH, NULL, "R", OPT_DOUBLE, F(s.path.min_ratio),
     G(path_given), 0, 1, OPT_LO_OPEN | OPT_HI_OPEN, NULL, 0,
     "--lambda auto and path: the grid ends at R lambda_max (default 1e-3)"},
    {"--csv", M_PATH, NULL, "FILE", OPT_STR, F(csv_out), OPT_NONE, NB, NULL, 0,
     "path: one row per lambda as CSV (atomically)"},
    {"--beta", 0, NULL, "B", OPT_DOUBLE, F(s.beta), G(beta_given), 0, NAN, 0, NULL, 0,
     "the papers' scale instead: lambda = B / (n c)"},
    {"--lambda-ratio", M_GATED | M_RELU, NULL, "R", OPT_DOUBLE, F(s.lambda_ratio), G(ratio_given), 0, NAN, 0, NULL,
     0, "lambda = R * lambda_max, the smallest lambda giving the zero network on these "
        "patterns (scale-free; e.g. 0.01)"},
    {"--seed", 0, NULL, "S", OPT_U64, F(s.seed), OPT_NONE, NB, NULL, 0,
     "seed for the gates, the cross-validation folds and (without --split-seed) the "
     "train/test split (default 0)"},
    {"--test", 0, NULL, "FILE", OPT_STR, F(test_path), OPT_NONE, NB, NULL, 0, "evaluate on this file"},
    {"--test-frac", 0, NULL, "F", OPT_DOUBLE, F(test_frac), OPT_NONE, 0, 1, OPT_HI_OPEN, NULL, 0,
     "hold out this fraction of TRAIN_FILE for testing (default 0)"},
    {"--split-seed", 0, NULL, "S", OPT_U64, F(split_seed), G(split_seed_given), NB, NULL, 0,
     "--test-frac: seed of the split alone (default: --seed), so that the gates and the "
     "split can be varied one at a time"},
    {"--write-split", 0, NULL, "PREFIX", OPT_STR, F(write_split), OPT_NONE, NB, NULL, 0,
     "--test-frac: write the two parts as PREFIX.train.csv and PREFIX.test.csv (atomically; "
     "the same layout; every number reads back the same)"},
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
    {{"--test", "--split-seed"}, "--split-seed seeds the --test-frac split: not with --test"},
    {{"--test", "--write-split"}, "--write-split writes the --test-frac split: not with --test"},
    {{"--width", "--patterns"},
     "--width M samples M/2 gates: give --width or --patterns, not both"},
};

void train_help(void)
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

/* The rows parsed here: --decompose [closed|min-norm], --patterns P|all, --bounds, --loss. */
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
    if (strcmp(row->name, "--lambda") == 0) {
        o->lambda_given = 1;
        if (strcmp(v, "auto") == 0) {
            o->s.lambda_auto = 1;
            return 0;
        }
        char *end = NULL;
        o->s.lambda = strtod(v, &end);
        if (end != v && !*end && isfinite(o->s.lambda) && o->s.lambda >= 0.0) return 0;
        die_msg("--lambda: expected a number >= 0 or auto, got \"%s\"", v);
        return -1;
    }
    if (strcmp(row->name, "--loss") == 0) {
        static const cvxrelu_loss named[] = {CVXRELU_LOSS_AUTO, CVXRELU_LOSS_SQUARED,
                                             CVXRELU_LOSS_LOGISTIC, CVXRELU_LOSS_CE,
                                             CVXRELU_LOSS_HUBER};
        for (size_t k = 0; k < sizeof named / sizeof *named; k++)
            if (strcmp(v, cvxrelu_loss_name(named[k])) == 0) {
                o->s.loss = named[k];
                return 0;
            }
        if (strncmp(v, "huber:", 6) == 0) {
            char *end = NULL;
            double dl = strtod(v + 6, &end);
            if (end != v + 6 && !*end && isfinite(dl) && dl > 0.0) {
                o->s.loss = CVXRELU_LOSS_HUBER;
                o->s.huber_delta = dl;
                return 0;
            }
        }
        die_msg("--loss: expected auto, squared, logistic, ce, huber or huber:DELTA (DELTA > 0), "
                "got \"%s\"", v);
        return -1;
    }
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
/* What cvxrelu path does not take from train's options. */
static const char *const not_path[] = {"--output", "--trace", "--stats", "--bounds", "--max-memory",
    "--no-certify", "--lambda", "--beta", "--lambda-ratio", "--width", "--via", "--decompose",
    "--warm-start", "--folds", "--cv-rule", "--optimizer", "--grow", "--grow-rounds",
    "--grow-batch", "--grow-max", "--prune", NULL};

/* ... and what its three-layer path does not take of the rest. */
static const char *const not_path_relu3[] = {"--linear-gate", "--loss", "--configs-from", NULL};

/* The first option given that is in list (NULL-terminated): its name, else NULL. */
static const char *given_of(const unsigned char *seen, const char *const *list)
{
    for (size_t k = 0; k < NT; k++)
        for (size_t j = 0; seen[k] && list[j]; j++)
            if (strcmp(train_table[k].name, list[j]) == 0) return list[j];
    return NULL;
}

static int check_train(train_opts *o, const unsigned char *seen, int need_file, int path)
{
    const char *bad = path ? given_of(seen, not_path) : NULL;
    if (bad) {
        die_msg("%s does not apply to cvxrelu path (see cvxrelu path --help)", bad);
        return -1;
    }
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
    const unsigned mode = (relu3 ? (o->optimizer ? M_LOCAL3 : M_RELU3)
                           : sdp ? M_SDP : o->optimizer ? M_LOCAL : o->model == 1 ? M_RELU
                                                                            : M_GATED) |
                          (path ? M_PATH : 0);
    if (path && sdp) {
        die_msg("cvxrelu path walks the gated, the exact ReLU or the three-layer program "
                "(--model gated|relu|relu3)");
        return -1;
    }
    if (path && relu3 && (bad = given_of(seen, not_path_relu3))) {
        die_msg("%s does not apply to cvxrelu path --model relu3 (squared loss, sampled "
                "sub-networks)", bad);
        return -1;
    }
    if (opt_check_modes(train_table, NT, seen, mode, mode_names,
                        mode & (M_RELU3 | M_LOCAL3)
                            ? "--model relu3 samples whole sub-networks: give --width1 M "
                              "(first-layer neurons per sub-network) and --subnets K"
                            : NULL))
        return -1;
    /* the default lambda: chosen by cross-validation where the program has a path */
    if (!o->lambda_given && !o->beta_given && !o->ratio_given && !sdp && !relu3 && !o->optimizer &&
        !path)
        o->s.lambda_auto = 1;
    if ((o->write_split || o->split_seed_given) && !(o->test_frac > 0.0)) {
        die_msg("%s goes with --test-frac (it %s the held-out split)",
                o->write_split ? "--write-split" : "--split-seed",
                o->write_split ? "writes" : "seeds");
        return -1;
    }
    if (o->path_given && !o->s.lambda_auto && !path) {
        die_msg("--folds, --cv-rule, --lambdas and --lambda-min-ratio go with --lambda auto");
        return -1;
    }
    if (o->s.lambda_auto && (sdp || relu3 || o->optimizer)) {
        die_msg("--lambda auto goes with --model gated or relu (cross-validation over their "
                "regularization path)");
        return -1;
    }
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
    if (o->s.linear_gate && (o->width || o->s.all_patterns || !o->s.bias)) {
        die_msg("--linear-gate adds the gate along the bias column to sampled patterns: not "
                "with %s", o->width ? "--width (the [KP24] algorithm samples its gates alone)"
                           : o->s.all_patterns ? "--patterns all (it holds that pattern already)"
                                               : "--raw or --no-bias (there is no bias column)");
        return -1;
    }
    if (o->width) o->s.patterns = o->width / 2;
    if (o->s.all_patterns && (o->gates_path || o->warm_path)) { /* a value, not an option */
        die_msg("--patterns all already holds every pattern: no --gates or --warm-start");
        return -1;
    }
    return 0;
}

int parse_train(int argc, char **argv, train_opts *o, int need_file, int path)
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
    return check_train(o, seen, need_file, path);
}

void train_options_help(unsigned modes)
{
    for (size_t k = 0; k < NT; k++)
        if (train_table[k].modes & modes) opt_help(train_table + k, 1, NULL);
}
