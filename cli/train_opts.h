/* The options of train, demo and path (cli/train_opts.c) and what a run of them
   shares (cli/cmd_train.c). */
#ifndef CVXRELU_CLI_TRAIN_OPTS_H
#define CVXRELU_CLI_TRAIN_OPTS_H

#include "common.h"

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
    int subnets_given, sdp_solver_given, local_given, batch_given, path_given;
    const char *csv_out;      /* path --csv */
    uint64_t split_seed;      /* --split-seed (split_seed_given), else --seed */
    int split_seed_given;
    const char *write_split;  /* --write-split PREFIX */
    double eps, time_limit;   /* routed to the program's solver (train_settings) */
    size_t max_iter;
    double max_memory_gb;     /* 0: the machine's physical memory */
    int model;                /* --model: 0 gated, 1 relu, 2 sdp, 3 relu3 */
    int via;                  /* --via: 0 constrained, 1 gated, 2 relu (= constrained) */
    size_t width;             /* --width M: M/2 sampled gates (KP24), or local-method width */
    int optimizer;            /* --optimizer: 0 none (convex), 1 + cvxrelu_optimizer */
    int quiet, verbose, raw;
} train_opts;

/* The modes an option applies to (0: every mode). */
enum { M_GATED = 1, M_RELU = 2, M_SDP = 4, M_RELU3 = 8, M_LOCAL = 16, M_LOCAL3 = 32, M_PATH = 64 };

void train_opts_default(train_opts *o);
/* Parses and checks train's options (path: those of cvxrelu path); -1 after a message. */
int parse_train(int argc, char **argv, train_opts *o, int need_file, int path);
/* The help rows of the options of the modes given. */
void train_options_help(unsigned modes);
void train_help(void);

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

/* The data and the inputs the options name; the settings of the options; the
   deadline of --time-limit from now. */
int load_inputs(const train_opts *o, run_ctx *x);
void train_settings(run_ctx *x, cvxrelu_train_settings *s);
void train_deadline_start(const train_opts *o);

#endif
