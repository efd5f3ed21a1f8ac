/*
 * cvxrelu: training ReLU networks by convex optimization, with certificates.
 *
 * The one public header of libcvxrelu.  Conventions:
 *   - every fallible call returns a cvxrelu_status; on failure an optional
 *     cvxrelu_error receives a message naming the file, the line and what was
 *     expected (parsers) or what was wrong (everything else);
 *   - _new/_load functions set *out to NULL on failure and leak nothing;
 *     every _free function accepts NULL;
 *   - matrices are dense, row-major, double precision: X is n x d with one
 *     sample per row, Y is n x c;
 *   - inputs are borrowed (read during the call only) unless documented;
 *   - the objective scale (docs/algorithms.md, "The objective and its scale"):
 *         (1/(2N)) ||Yhat - Y||_F^2 + lambda * sum of group norms,  N = n c;
 *   - the library never prints to stdout and never exits; times are seconds.
 */
#ifndef CVXRELU_H
#define CVXRELU_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Marks the library's interface: with the library built as a shared object
   (-fvisibility=hidden), only these names are exported. */
#if defined(__GNUC__) && defined(CVXRELU_BUILDING)
#define CVXRELU_API __attribute__((visibility("default")))
#else
#define CVXRELU_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define CVXRELU_VERSION "0.1.0"
#define CVXRELU_MODEL_FORMAT_VERSION 4

/* ------------------------------------------------------------------ status */

typedef enum {
    CVXRELU_OK = 0,
    CVXRELU_ERR_NOMEM,       /* out of memory */
    CVXRELU_ERR_INVALID,     /* invalid argument */
    CVXRELU_ERR_IO,          /* cannot open / read / write a file */
    CVXRELU_ERR_FORMAT,      /* malformed input file */
    CVXRELU_ERR_NUMERIC,     /* NaN / Inf or numerical breakdown */
    CVXRELU_ERR_UNSUPPORTED  /* valid request that this build cannot do */
} cvxrelu_status;

/* A static string for a status code ("out of memory", ...). */
CVXRELU_API const char *cvxrelu_status_string(cvxrelu_status s);

/* Detailed message of the last failure of a call that was given this struct. */
typedef struct {
    char msg[512];
} cvxrelu_error;

/* ---------------------------------------------------------------- data sets */

typedef enum {
    CVXRELU_FORMAT_AUTO = 0, /* by extension: .csv, .svm/.libsvm/.txt, idx/-ubyte */
    CVXRELU_FORMAT_CSV,
    CVXRELU_FORMAT_LIBSVM,
    CVXRELU_FORMAT_IDX       /* images file; labels from a companion file */
} cvxrelu_format;

typedef struct {
    cvxrelu_format format;
    int label_col;       /* CSV: 0-based label column; default -1 = last */
    int header;          /* CSV: default -1 = auto-detect, 0 no, 1 yes */
    int has_labels;      /* default 1: the file holds a label column */
    size_t n_features;   /* LIBSVM: default 0 = infer from the largest index */
    const char *idx_labels; /* IDX: path of the labels file; NULL = derive
                               "...-images-idx3-ubyte" -> "...-labels-idx1-ubyte" */
    double max_bytes;    /* refuse data whose dense matrix needs more bytes than this
                            (sparse LIBSVM files with large indices); 0 = the machine's
                            physical memory (default) */
    size_t max_line_bytes; /* text formats: refuse a line longer than this; default
                              64 MiB (0: the default) */
} cvxrelu_read_opts;

CVXRELU_API void cvxrelu_read_opts_default(cvxrelu_read_opts *o);

/*
 * A loaded data set.  Labels are kept both as text (label_text[i], always set
 * when has_labels) and as numbers (label_value[i], NaN where the text is not a
 * number).  Owned by the data set.
 */
typedef struct {
    size_t n, d;
    double *X;            /* n x d, row-major */
    int has_labels;
    char **label_text;    /* n strings, or NULL when !has_labels */
    double *label_value;  /* n numbers, or NULL when !has_labels */
    char **feature_names; /* d strings (from a CSV header), or NULL */
    char *source;         /* file name, for messages */
    int label_col;        /* CSV read with labels: the 0-based column they came from
                             (o->label_col resolved); -1 for other formats, unlabelled
                             reads and data from memory */
    size_t *row_line;     /* n: the line of each row in its text file (1-based; kept by
                             subsets and splits), or NULL (IDX files, data from memory) */
    int header_auto;      /* CSV: 1 when the header row was auto-detected (a first row
                             with no number in a feature field is a header; feature_names
                             says which was decided); 0 otherwise */
} cvxrelu_dataset;

CVXRELU_API cvxrelu_status cvxrelu_dataset_read(const char *path, const cvxrelu_read_opts *opts,
                                    cvxrelu_dataset **out, cvxrelu_error *err);
/* Build from memory (copies X and the labels); labels may be NULL. */
CVXRELU_API cvxrelu_status cvxrelu_dataset_from_arrays(size_t n, size_t d, const double *X,
                                           const double *labels,
                                           cvxrelu_dataset **out, cvxrelu_error *err);
/* Rows idx[0..m-1] of src as a new data set. */
CVXRELU_API cvxrelu_status cvxrelu_dataset_subset(const cvxrelu_dataset *src, const size_t *idx,
                                      size_t m, cvxrelu_dataset **out, cvxrelu_error *err);
/* Seeded random split: a fraction test_frac of the rows goes to *test. */
CVXRELU_API cvxrelu_status cvxrelu_dataset_split(const cvxrelu_dataset *src, double test_frac,
                                     uint64_t seed, cvxrelu_dataset **train,
                                     cvxrelu_dataset **test, cvxrelu_error *err);
CVXRELU_API void cvxrelu_dataset_free(cvxrelu_dataset *ds);
/* Writes ds as CSV, atomically: numbers with 15 significant digits, or 17 where 15
   would not read back the same double, the label text in its column (label_col, else last; fields quoted
   where needed), a header row (the label's column named "label") when ds has
   feature names. */
CVXRELU_API cvxrelu_status cvxrelu_dataset_write_csv(const cvxrelu_dataset *ds, const char *path,
                                                     cvxrelu_error *err);

/* ----------------------------------------------------- tasks and encodings */

typedef enum {
    CVXRELU_TASK_AUTO = 0,
    CVXRELU_TASK_REGRESSION,
    CVXRELU_TASK_CLASSIFICATION
} cvxrelu_task;

/*
 * How raw inputs and labels map to the training space: column standardization,
 * the bias column, and the class list.  Fitted on training data, stored in the
 * model, applied at prediction.
 */
typedef struct {
    cvxrelu_task task;     /* REGRESSION or CLASSIFICATION once fitted */
    size_t d_raw;          /* columns of the raw data */
    size_t d;              /* columns after the transform (d_raw + bias) */
    size_t c;              /* outputs: 1 (regression, two classes) or #classes */
    int standardize;       /* 1: x <- (x - mean) / scale */
    int bias;              /* 1: append a column of ones */
    double *mean;          /* d_raw */
    double *scale;         /* d_raw; 1 for constant columns */
    /* Regression targets standardized (cvxrelu_train and cvxrelu_path with standardize):
       the program fits (y - y_mean) / y_scale; cvxrelu_model_predict undoes it and
       cvxrelu_metrics_of reports the mse in the targets' units.  0 / 0 / 1: as given. */
    int standardize_y;
    double y_mean, y_scale;
    size_t n_classes;      /* 0 for regression */
    char **classes;        /* n_classes label strings, sorted (numerically if all numeric) */
    /* The layout of the training file (model format 2), for reading later data the same
       way; all zero / NULL means "not recorded" (the label then counts as last): */
    int from_csv;          /* 1: fitted on a CSV file read with a label column */
    size_t label_col;      /* from_csv: its 0-based label column */
    int header;            /* 1: the training data had a header row; feature_names set */
    char **feature_names;  /* header: d_raw names (the label column's left out), or NULL */
} cvxrelu_encoding;

/* Fit on train; the layout fields are copied from it (label_col >= 0 gives from_csv,
   feature_names gives header). */
CVXRELU_API cvxrelu_status cvxrelu_encoding_fit(const cvxrelu_dataset *train, cvxrelu_task task,
                                    int standardize, int bias, cvxrelu_encoding **out,
                                    cvxrelu_error *err);
/* X (n x enc->d) from raw features; checks the column count. */
CVXRELU_API cvxrelu_status cvxrelu_encoding_features(const cvxrelu_encoding *enc,
                                         const cvxrelu_dataset *ds, double **X_out,
                                         cvxrelu_error *err);
/*
 * Y (n x enc->c) from labels: the value (regression), +-1 (two classes, the
 * second class is +1) or one-hot 0/1 (more classes).  A label not seen in
 * training is an error naming the row.
 */
CVXRELU_API cvxrelu_status cvxrelu_encoding_targets(const cvxrelu_encoding *enc,
                                        const cvxrelu_dataset *ds, double **Y_out,
                                        cvxrelu_error *err);
/* Class index of an output row (argmax, or sign for one output). */
CVXRELU_API size_t cvxrelu_encoding_decide(const cvxrelu_encoding *enc, const double *yrow);
CVXRELU_API void cvxrelu_encoding_free(cvxrelu_encoding *enc);

/* -------------------------------------------------------------- arrangements */

/*
 * Distinct activation patterns s_i = 1[X g_i > 0] of the rows of X, each with
 * the gate g_i that generated it.  Bits are packed, n bits per pattern in
 * words_per_pattern 64-bit words, row j in bit (j % 64) of word (j / 64).
 */
typedef struct {
    size_t n, d, P;
    size_t words_per_pattern;
    uint64_t *bits;       /* P * words_per_pattern */
    double *gates;        /* P x d, row-major */
    size_t sampled;       /* gates drawn (before duplicates were dropped) */
} cvxrelu_patterns;

/*
 * Draw gates g ~ N(0, I_d) from one stream seeded by seed until P distinct
 * non-zero patterns are found or max_draws gates were drawn (0 = 10 P + 100).
 * Nested: the patterns of a run with P = k are the first k of any run with
 * P > k and the same seed.
 */
CVXRELU_API cvxrelu_status cvxrelu_patterns_sample(const double *X, size_t n, size_t d, size_t P,
                                       uint64_t seed, size_t max_draws,
                                       cvxrelu_patterns **out, cvxrelu_error *err);
/* How a computation ended. */
typedef enum {
    CVXRELU_EXIT_CONVERGED = 0,   /* relative gap <= tol */
    CVXRELU_EXIT_MAX_ITER,
    CVXRELU_EXIT_TIME_LIMIT,
    CVXRELU_EXIT_INTERRUPTED,
    CVXRELU_EXIT_STALLED          /* no progress possible at machine precision */
} cvxrelu_exit;

CVXRELU_API const char *cvxrelu_exit_string(cvxrelu_exit e);

/* Bounds on a long computation that has no settings struct of its own. */
typedef struct {
    double time_limit_s;              /* 0 = none */
    volatile sig_atomic_t *interrupt; /* stop soon when *interrupt != 0 */
} cvxrelu_limits;

/*
 * General form: the patterns of the m0 given gates G0 (m0 x d) first, then
 * sampled gates (stream seeded by seed) until P distinct patterns are held
 * (P <= m0: none sampled).  Duplicates and the all-zero pattern are dropped.
 * The gates' products with X are computed by blocks (one GEMM each); limits
 * (NULL = none) are checked between blocks (the first is always done): on a
 * stop request the patterns found so far are returned and *exit_out (may be NULL) is
 * CVXRELU_EXIT_INTERRUPTED or CVXRELU_EXIT_TIME_LIMIT (else CONVERGED); when
 * none was found yet, *out is NULL and the status OK.
 */
CVXRELU_API cvxrelu_status cvxrelu_patterns_build(const double *X, size_t n, size_t d,
                                      const double *G0, size_t m0, size_t P,
                                      uint64_t seed, size_t max_draws,
                                      const cvxrelu_limits *limits, cvxrelu_patterns **out,
                                      cvxrelu_exit *exit_out, cvxrelu_error *err);
/* Patterns of user-given gates (G is m x d); duplicates and zero patterns dropped. */
CVXRELU_API cvxrelu_status cvxrelu_patterns_from_gates(const double *X, size_t n, size_t d,
                                           const double *G, size_t m,
                                           cvxrelu_patterns **out, cvxrelu_error *err);
/*
 * Every distinct non-zero pattern of X, when the rows of X span at most two
 * dimensions (e.g. one feature plus the bias column): at most 2n patterns,
 * each with a gate strictly inside its cone.  With all patterns the convex
 * programs are exact for networks of any width.  Rank above 2 is
 * CVXRELU_ERR_UNSUPPORTED (the count grows like n^rank), with the rank in err.
 */
CVXRELU_API cvxrelu_status cvxrelu_patterns_enumerate(const double *X, size_t n, size_t d,
                                          cvxrelu_patterns **out, cvxrelu_error *err);
static inline int cvxrelu_pattern_bit(const cvxrelu_patterns *p, size_t i, size_t j)
{
    return (int)((p->bits[i * p->words_per_pattern + j / 64] >> (j % 64)) & 1u);
}
CVXRELU_API void cvxrelu_patterns_free(cvxrelu_patterns *p);

/* Read gates from a CSV file (one gate per row, d numbers, no label). */
CVXRELU_API cvxrelu_status cvxrelu_gates_read(const char *path, size_t d, double **G_out,
                                  size_t *m_out, cvxrelu_error *err);

/*
 * Read a network's weights from a plain-text file (CSV syntax as for gates;
 * docs/formats.md "Weights files"): one neuron per row, "a,w_1,...,w_d" for
 * one output, "k,a,w_1,...,w_d" (k = 0-based output index) for c > 1.  d is
 * the width of the inputs the weights act on.  W (m x d), a (m) and out (m)
 * are allocated.
 */
CVXRELU_API cvxrelu_status cvxrelu_weights_read(const char *path, size_t d, size_t c, double **W_out,
                                    double **a_out, size_t **out_out, size_t *m_out,
                                    cvxrelu_error *err);

/* --------------------------------------------------------------- solving */

typedef enum {
    CVXRELU_SOLVER_RFISTA = 0, /* gated ReLU group lasso by R-FISTA (docs/algorithms.md,
                                  "The gated ReLU program", "The solver: R-FISTA") */
    CVXRELU_SOLVER_RELU        /* exact ReLU, cone-constrained program (docs/algorithms.md,
                                  "The exact ReLU program") by
                                  R-FISTA with the exact prox of lambda||.|| + cone
                                  indicator (shrinkage of the cone projection) */
} cvxrelu_solver_kind;

/* How CVXRELU_SOLVER_RELU solves the exact program (docs/algorithms.md, "Solvers of the
   exact program"). */
typedef enum {
    CVXRELU_RELU_AUTO = 0,  /* cvxrelu_relu_method_for(n, d, c, P) picks one of the two */
    CVXRELU_RELU_PROJECTED, /* R-FISTA with the exact prox (cone projections) */
    CVXRELU_RELU_ADMM       /* ADMM with slacks for the cone constraints: GEMMs, one d x d
                               factor of I + X^T X / sigma^2 and one n x n factor */
} cvxrelu_relu_method;

/* The method CVXRELU_RELU_AUTO picks for n x d data, c outputs and P patterns
   (never AUTO). */
CVXRELU_API cvxrelu_relu_method cvxrelu_relu_method_for(size_t n, size_t d, size_t c, size_t P);

/* One row of the iteration log / trace file. */
typedef struct {
    size_t iter;
    double objective;  /* primal objective at the current iterate */
    double dual;       /* best dual value so far */
    double gap;        /* objective - dual (absolute) */
    double step;       /* step size */
    size_t active;     /* non-zero groups */
    double time_s;     /* since solve start */
    int restart;       /* 1 if momentum was reset at this iteration */
    double violation;  /* ReLU: relative cone violation of the iterate (0 for gated);
                          projected R-FISTA measures it every 10 iterations and whenever
                          the gap passes the tolerance (its iterates are in the cones up
                          to rounding), the rows between show the last measure */
    int uncertified;   /* gated with single precision or screening: objective, dual and
                          gap are the running ones (float products, or the screened
                          program); the solve stops only on a certified gap, evaluated
                          in double over every group.  ReLU by ADMM: rows between its
                          checks (every 10 iterations) show the u iterate's objective
                          and the last check's violation */
    int heartbeat;     /* 1: not an iteration's end but a sign of life: iteration iter
                          (0: the start) has run settings.heartbeat_s seconds without a
                          report (the exact program's projections at d in the hundreds,
                          say); time_s is now, the other fields are the last iteration's
                          (NaN objective and gap before the first) */
} cvxrelu_iterate_info;

/* The default of cvxrelu_settings.heartbeat_s. */
#define CVXRELU_HEARTBEAT_S 10.0

typedef void (*cvxrelu_callback)(const cvxrelu_iterate_info *info, void *user);

typedef struct {
    cvxrelu_solver_kind solver; /* default CVXRELU_SOLVER_RFISTA */
    double lambda;              /* default 1e-3 */
    double tol;                 /* relative gap tolerance, default 1e-6 */
    double tol_feas;            /* ReLU: largest relative cone violation accepted, default 1e-6
                                   (iterates are feasible up to rounding by construction) */
    size_t max_iter;            /* default 10000 */
    double time_limit_s;        /* default 0 = none */
    double step_init;           /* default 0 = estimate from ||X||^2 */
    int warm_start;             /* default 1: start from the current weights */
    cvxrelu_callback callback;  /* default NULL; called every iteration */
    void *callback_data;
    volatile sig_atomic_t *interrupt; /* default NULL; the solve stops at the next iteration
                                         when *interrupt != 0 (set it from a signal handler) */
    double step_growth;         /* gated: step growth after an easy step (ratio <= 1/2);
                                   default 0 = 1.05 (the textbook 1.25 is slower: on
                                   our benchmarks 1.05 needs 2-25% fewer passes over X,
                                   see docs/algorithms.md, "The solver: R-FISTA") */
    int single_precision;       /* gated: 1 = the products in float32 (SGEMM on a float copy
                                   of X); the stopping certificate and the final objective
                                   and gap are evaluated in double. Default 0 */
    int screening;              /* gated: 1 = gap-safe screening (groups proven zero at
                                   the optimum leave the products for good); the solve still
                                   stops only on a certified gap of the whole program.
                                   Default 1 */
    int working_set;            /* gated: 1 = a group zero at the start whose gradient norm
                                   there is under 0.99 lambda starts outside the products;
                                   each certificate of the whole program brings back those
                                   whose gradient norm reaches lambda (a warm start along a
                                   path then runs on the few groups that can be non-zero).
                                   The same certificate. Default 1 */
    int precondition;           /* gated: 1 = steps in the metric of X^T X (its
                                   eigendecomposition, floored at 1e-6 of the largest
                                   eigenvalue; prox by a secular equation per group): the
                                   same program, dual and stopping rule, far fewer
                                   iterations when the columns of X are correlated or
                                   unevenly scaled.  Used when 2 <= d <= min(n, 4096)
                                   (CVXRELU_PRECOND_MAX_D) and cond(X^T X) > 10.
                                   Default 1 */
    cvxrelu_relu_method relu_method; /* RELU: default CVXRELU_RELU_AUTO */
    int polish;                 /* RELU, projected R-FISTA: 1 = once the gap is small, Newton
                                   steps on the face of the iterate (its non-zero groups and
                                   their tight cone rows; docs/algorithms.md, "Newton steps
                                   on the face"), kept when they lower the objective; the
                                   same program and certificate.  Default 1 */
    double heartbeat_s;         /* with a callback: when a step runs this many seconds
                                   without a report (the exact program's start at d in the
                                   hundreds, say), the callback is called with heartbeat = 1.
                                   Default 10 (CVXRELU_HEARTBEAT_S); <= 0: never */
} cvxrelu_settings;

/* The largest d for which the gated solver builds the d x d metric of X^T X
   (above it the eigendecomposition and the rotations cost more than they save,
   and the solver takes plain steps whatever precondition says). */
#define CVXRELU_PRECOND_MAX_D 4096

CVXRELU_API void cvxrelu_settings_default(cvxrelu_settings *s);

typedef struct {
    cvxrelu_exit exit;
    size_t iterations;
    double objective;       /* primal objective at the returned weights */
    double loss;            /* data term of it */
    double penalty;         /* lambda * sum of group norms */
    double dual;            /* a dual-feasible value: a lower bound on the optimum */
    double gap;             /* objective - dual, >= 0 */
    double lambda_max;      /* smallest lambda giving U = 0 */
    size_t active_groups;   /* non-zero u_ik */
    double violation;       /* ReLU: max relative cone violation of the last iterate,
                               before the final rounding repair (after it: feasible) */
    size_t matvecs;         /* GEMM passes over X (products X U and X^T M) */
    size_t screened;        /* groups removed by gap-safe screening (0 without it) */
    size_t ws_out;          /* gated: groups that started outside the working set ... */
    size_t ws_back;         /* ... and those of them that certificates brought back */
    int preconditioned;     /* gated: 1 when the steps used the metric of X^T X */
    cvxrelu_relu_method relu_method; /* RELU: the method that ran (PROJECTED or ADMM) */
    double solve_time_s;
    double gemm_time_s;     /* of which inside BLAS */
} cvxrelu_result;

/* The data term's loss (docs/algorithms.md, "Losses"): the data term is the sum of
   the per-entry losses (per-row for CE) divided by n c.
   SQUARED   (yhat - y)^2 / 2, any targets;
   LOGISTIC  log(1 + exp(-y yhat)), one output, targets -1 / +1;
   CE        log sum_k exp(yhat_k) - yhat_y, c >= 2 outputs, one-hot target rows;
   HUBER     (yhat - y)^2 / 2 where |yhat - y| <= delta, else delta |yhat - y| - delta^2 / 2.
   Every loss is solved by the gated program and by both methods of the exact
   program (CVXRELU_RELU_AUTO picks the projected one for losses other than
   SQUARED).  AUTO is for
   cvxrelu_train_settings only (cvxrelu_train_loss resolves it). */
typedef enum {
    CVXRELU_LOSS_AUTO = -1,
    CVXRELU_LOSS_SQUARED = 0,
    CVXRELU_LOSS_LOGISTIC,
    CVXRELU_LOSS_CE,
    CVXRELU_LOSS_HUBER
} cvxrelu_loss;

/* A training problem: X (n x d, row-major) and Y (n x c, row-major), both
   borrowed (the struct owns nothing; the caller keeps the arrays alive), and the
   loss (zero-initialised: squared; huber_delta 0 means 1). */
typedef struct {
    const double *X;
    size_t n, d;
    const double *Y;
    size_t c;
    cvxrelu_loss loss;
    double huber_delta;
} cvxrelu_problem;

/* The data term of pb's loss at the predictions Yhat (n x c): the sum of the losses
   over n c.  R, when not NULL (n x c), receives each entry's derivative of its loss
   (unscaled: Yhat - Y for squared loss). */
CVXRELU_API double cvxrelu_loss_eval(const cvxrelu_problem *pb, const double *Yhat, double *R);
/* "squared", "logistic", "ce", "huber" */
CVXRELU_API const char *cvxrelu_loss_name(cvxrelu_loss loss);

/*
 * A solver bound to one problem: X (n x d), Y (n x c), the patterns.  X, Y and
 * the patterns are borrowed and must outlive the solver.  The weights U are
 * owned: (P c) x d, row (i c + k) is u_ik (group-major, each group contiguous),
 * for the gated program; (2 P c) x d for the ReLU program, row 2 (i c + k) is
 * v_ik and row 2 (i c + k) + 1 is w_ik (the groups of the exact ReLU program).
 * Repeated solves warm-start; cvxrelu_solver_set_lambda + solve walks a
 * regularization path.
 */
typedef struct cvxrelu_solver cvxrelu_solver;

CVXRELU_API cvxrelu_status cvxrelu_solver_new(const cvxrelu_problem *pb,
                                  const cvxrelu_patterns *patterns,
                                  const cvxrelu_settings *settings,
                                  cvxrelu_solver **out, cvxrelu_error *err);
CVXRELU_API cvxrelu_status cvxrelu_solver_solve(cvxrelu_solver *s, cvxrelu_result *res,
                                    cvxrelu_error *err);
CVXRELU_API cvxrelu_status cvxrelu_solver_set_lambda(cvxrelu_solver *s, double lambda);
/* The certificate (objective, dual value, gap, active groups) at the current weights,
   without an iteration (res->iterations 0, exit MAX_ITER unless the gap meets tol). */
CVXRELU_API cvxrelu_status cvxrelu_solver_certify(cvxrelu_solver *s, cvxrelu_result *res,
                                                  cvxrelu_error *err);
/* Copy in / out the weights U ((P c) x d, row-major). */
CVXRELU_API cvxrelu_status cvxrelu_solver_set_weights(cvxrelu_solver *s, const double *U);
CVXRELU_API const double *cvxrelu_solver_weights(const cvxrelu_solver *s);
/* Predictions of the convex model on the training rows (n x c). */
CVXRELU_API cvxrelu_status cvxrelu_solver_predict_train(const cvxrelu_solver *s, double *Yhat);
/* Gradient of the data term at the current weights ((P c) x d) and the
   primal objective; exposed for tests. */
CVXRELU_API cvxrelu_status cvxrelu_solver_gradient(const cvxrelu_solver *s, double *G, double *obj);
CVXRELU_API void cvxrelu_solver_free(cvxrelu_solver *s);

/* Bytes a solver of this kind allocates for n x d data, c outputs and P
   patterns (X, Y and the patterns themselves not included); SIZE_MAX when
   the count overflows.  The gated solver's d x d metric is counted only where
   it may be built (2 <= d <= min(n, CVXRELU_PRECOND_MAX_D)).  For refusing a
   problem before any work starts. */
CVXRELU_API size_t cvxrelu_solver_memory(size_t n, size_t d, size_t c, size_t P, cvxrelu_solver_kind kind);

/*
 * Optimal pruning (docs/algorithms.md, "Pruning"): moves a solution U of the gated
 * (kind RFISTA) or the exact ReLU program (kind RELU; U as cvxrelu_solver_weights)
 * within the set of points with the same fit and no larger penalty, keeping every
 * group's direction (so the cones), until the active groups of each output have
 * linearly independent fits: at most n per output.  At an optimum the result is an
 * optimum.  *before, *after: the active groups.
 */
CVXRELU_API cvxrelu_status cvxrelu_prune(const cvxrelu_problem *pb, const cvxrelu_patterns *pat,
                                         cvxrelu_solver_kind kind, double *U, size_t *before,
                                         size_t *after, cvxrelu_error *err);

/* lambda_max = max_{i,k} ||X^T D_i Y_k|| / N: the zero network is optimal for lambda >= it. */
CVXRELU_API double cvxrelu_lambda_max(const cvxrelu_problem *pb, const cvxrelu_patterns *patterns);

/* Prox of t*lambda*||.||_2 in place on a vector of length m (group soft-threshold). */
CVXRELU_API void cvxrelu_prox_group(double *u, size_t m, double t_lambda);

/* ----------------------------------------------------------------- models */

typedef enum {
    CVXRELU_MODEL_GATED = 0, /* neuron j: a_j 1[x.g_j > 0] x.w_j */
    CVXRELU_MODEL_RELU,      /* neuron j: a_j (x.w_j)_+ */
    CVXRELU_MODEL_RELU3      /* sub-network j: a_j (sum_l W2_jl (x.w_jl)_+)_+  ([EP21]) */
} cvxrelu_model_kind;

/*
 * A trained two-layer network over the encoded inputs.  Neuron j feeds output
 * out[j] only (block-diagonal second layer).  Owned arrays.
 */
typedef struct {
    cvxrelu_model_kind kind;
    cvxrelu_encoding *enc;   /* owned */
    size_t m;                /* neurons */
    size_t d;                /* = enc->d */
    double *W;               /* m x d first-layer weights */
    double *G;               /* m x d gates (gated models), else NULL */
    double *a;               /* m output weights */
    size_t *out;             /* m output indices in [0, c) */
    double *V;               /* NULL, or m x c dense output weights (the SDP read-out
                                with c > 1): neuron j feeds every output, a and out
                                are then unused */
    size_t width1;           /* RELU3 only: first-layer neurons per sub-network; m is then
                                the number of sub-networks, W is (m width1) x d (row
                                j width1 + l = first-layer neuron l of sub-network j),
                                W2 (m x width1) the second layer, a (m) the third */
    double *W2;              /* RELU3 only, else NULL */
    double lambda;
    /* training summary, informational */
    size_t patterns;
    double objective;
    double gap;
    /* the loss it was trained with (zero: squared): the data term of its objective and
       certificate, and what predict --scores turns its outputs into (format 4) */
    cvxrelu_loss loss;
    double huber_delta;      /* HUBER: delta (0: 1) */
} cvxrelu_model;

/*
 * Recover the network from a solved gated program (docs/algorithms.md, "The
 * gated ReLU program"): for each non-zero u_ik a neuron u/sqrt||u|| with
 * gate g_i and output weight sqrt||u||.  Takes ownership of enc (also on failure).
 */
CVXRELU_API cvxrelu_status cvxrelu_model_from_gated(const cvxrelu_patterns *patterns,
                                        const double *U, size_t c, double lambda,
                                        cvxrelu_encoding *enc, cvxrelu_model **out,
                                        cvxrelu_error *err);
/*
 * The ReLU network from a solved cone-constrained program (U as
 * in the ReLU solver): v != 0 gives a neuron v/sqrt||v|| with output weight
 * +sqrt||v||, w != 0 one with -sqrt||w||.  Takes ownership of enc.
 */
CVXRELU_API cvxrelu_status cvxrelu_model_from_relu(const cvxrelu_patterns *patterns, const double *U,
                                       size_t c, double lambda, cvxrelu_encoding *enc,
                                       cvxrelu_model **out, cvxrelu_error *err);
/* How a gated solution is split into cone-feasible pairs (docs/algorithms.md,
   "Cone decomposition"). */
typedef enum {
    CVXRELU_DECOMPOSE_CLOSED_FORM = 0, /* w = t g_i, v = u + t g_i with the least t */
    CVXRELU_DECOMPOSE_MIN_NORM         /* min ||v|| + ||w|| over v - w = u, v, w in K_i
                                          (an SOCP per group, by a barrier method) */
} cvxrelu_decompose_method;

/*
 * Cone decomposition of a gated solution U ((P c) x d, as the R-FISTA solver
 * holds it) into the weights of the ReLU program ((2 P c) x d, as the ReLU
 * solver holds them): u_ik = v_ik - w_ik with v_ik, w_ik in K_i, so the
 * ReLU network has exactly the gated network's predictions on X.  *ratio is
 * the sharpness paid: sum (||v|| + ||w||) / sum ||u|| >= 1 (1 when U = 0).
 * Urelu is allocated.  limits (NULL = none) bound the min-norm method: when
 * the interrupt flag is set or the time limit passes, the groups not yet
 * done keep the closed form (the decomposition stays exact) and *exit_out
 * (may be NULL) says CVXRELU_EXIT_INTERRUPTED or CVXRELU_EXIT_TIME_LIMIT;
 * otherwise CVXRELU_EXIT_CONVERGED.
 */
CVXRELU_API cvxrelu_status cvxrelu_decompose_gated(const double *X, size_t n, size_t d,
                                       const cvxrelu_patterns *patterns, const double *U,
                                       size_t c, cvxrelu_decompose_method method,
                                       const cvxrelu_limits *limits, double **Urelu_out,
                                       double *ratio, cvxrelu_exit *exit_out,
                                       cvxrelu_error *err);
/* Network output on already-encoded rows X (n x d): Yhat n x c. */
CVXRELU_API void cvxrelu_model_forward(const cvxrelu_model *m, const double *X, size_t n,
                           double *Yhat);
/* Encode raw rows and run the network: Yhat n x c (allocated). */
CVXRELU_API cvxrelu_status cvxrelu_model_predict(const cvxrelu_model *m, const cvxrelu_dataset *ds,
                                     double **Yhat_out, cvxrelu_error *err);
/* Non-convex objective L(f(X), Y) + (lambda/2) sum (||w_j||^2 + a_j^2), L the data term
   of the model's loss (squared: (1/(2N))||f(X)-Y||^2; docs/algorithms.md, "Losses"). */
CVXRELU_API double cvxrelu_model_objective(const cvxrelu_model *m, const double *X, const double *Y,
                               size_t n, double lambda);
CVXRELU_API cvxrelu_status cvxrelu_model_save(const cvxrelu_model *m, const char *path,
                                  cvxrelu_error *err);
CVXRELU_API cvxrelu_status cvxrelu_model_load(const char *path, cvxrelu_model **out,
                                  cvxrelu_error *err);
CVXRELU_API void cvxrelu_model_free(cvxrelu_model *m);

/*
 * A network from plain arrays (e.g. trained elsewhere, or by the local
 * methods below): m neurons, W m x d, output weights a (m), neuron j feeds
 * output out[j] < enc->c.  Arrays are copied; takes ownership of enc (also
 * on failure).
 */
CVXRELU_API cvxrelu_status cvxrelu_model_from_arrays(cvxrelu_model_kind kind, size_t m, const double *W,
                                         const double *a, const size_t *out, double lambda,
                                         cvxrelu_encoding *enc, cvxrelu_model **out_model,
                                         cvxrelu_error *err);

/* ------------------------------------------- the SDP relaxation ([PBY24]) */

typedef enum {
    CVXRELU_SDP_ADMM = 0, /* own first-order method: ADMM between the lifted
                             constraints and the PSD cone of the reduced space */
    CVXRELU_SDP_DSDP      /* interior point by the DSDP library (small n) */
} cvxrelu_sdp_method;

/* Progress of an SDP solve, at every check (ADMM) or at the end (DSDP). */
typedef struct {
    size_t iter;
    double value;          /* relaxation objective at the iterate (canonical scale) */
    double lower_bound;    /* best certified lower bound so far (canonical) */
    double pres, dres;     /* relative residuals */
    double time_s;
} cvxrelu_sdp_info;

typedef struct {
    cvxrelu_sdp_method method; /* default ADMM */
    double tol;            /* relative accuracy of the value, the gap to the certified
                              lower bound and the residuals; default 1e-4 */
    size_t max_iter;       /* 0 = the method's default (ADMM 20000, DSDP 500) */
    double rho;            /* ADMM: initial penalty; 0 = 1 */
    double upper_bound;    /* canonical-scale objective of any network on these data
                              (tightens the certificate); 0 = that of the zero network */
    size_t check_every;    /* ADMM: certificate and log every K iterations (and at the
                              stop); default 100 */
    int verbose;           /* unused: the library never prints (the result and the
                              callback carry what a log would show) */
    double time_limit_s;   /* 0 = none */
    volatile sig_atomic_t *interrupt; /* stops at the next iteration when != 0 */
    void (*callback)(const cvxrelu_sdp_info *info, void *user); /* default NULL */
    void *callback_data;
} cvxrelu_sdp_settings;

CVXRELU_API void cvxrelu_sdp_settings_default(cvxrelu_sdp_settings *s);

typedef struct {
    cvxrelu_exit exit;
    size_t q;              /* n + d + c */
    double *Z;             /* q x q solution in z = (alpha, u, v) coordinates (owned) */
    double value;          /* relaxation objective at Z (canonical scale) */
    double lower_bound;    /* certified: <= the optimum of the relaxation, hence <= the
                              objective of every network on these data (canonical) */
    double gap;            /* (value - lower_bound) / max(|value|, 1e-12 |loss at 0|) */
    double pres;           /* relative primal residual (constraint violation of Z) */
    double dres;           /* relative dual residual (PSD violation of the dual) */
    size_t rank;           /* numerical rank of Z */
    size_t rows_used;      /* ADMM: distinct rows solved over (rows that are exact multiples
                              of others, or zero, merged); n when none are, 0 for DSDP */
    size_t rejected_steps; /* ADMM: accelerated steps the safeguard rejected */
    size_t iterations;
    double time_s;
    /* The bound as a function of an upper bound UB on the optimum (the trace bound
       of the certificate grows with UB): bound_base + bound_slope * UB is certified
       for every UB >= the optimum, e.g. the objective of any network on these
       data (canonical scale; slope <= 0).  See cvxrelu_sdp_lower_bound_for. */
    double bound_base, bound_slope;
} cvxrelu_sdp_result;

/*
 * Solve the relaxation for X (n x d, encoded), Y (n x c) and lambda (canonical
 * scale; beta = lambda n c).  res->Z is allocated; free with
 * cvxrelu_sdp_result_free.
 */
CVXRELU_API cvxrelu_status cvxrelu_sdp_solve(const cvxrelu_problem *pb, double lambda,
                                 const cvxrelu_sdp_settings *s,
                                 cvxrelu_sdp_result *res, cvxrelu_error *err);
CVXRELU_API void cvxrelu_sdp_result_free(cvxrelu_sdp_result *res);
/* The certified lower bound given ub, the objective of some network on the same data
   and lambda (a better UB than the zero network's tightens it): the larger of
   res->lower_bound and bound_base + bound_slope * ub. */
CVXRELU_API double cvxrelu_sdp_lower_bound_for(const cvxrelu_sdp_result *res, double ub);
/* Bytes the method needs for these sizes (estimate, before any work). */
CVXRELU_API double cvxrelu_sdp_memory(size_t n, size_t d, size_t c, cvxrelu_sdp_method method);
/*
 * Read a network of width R out of a solution (docs/algorithms.md, "The SDP
 * relaxation"): U (R x d) and V
 * (R x c) allocated; f(x) = sum_j (x.u_j)_+ v_j.  limits (NULL = none) bound
 * it: on a stop request the best network so far is returned (not refitted) and
 * *exit_out (may be NULL) says why; else CVXRELU_EXIT_CONVERGED.
 */
CVXRELU_API cvxrelu_status cvxrelu_sdp_readout(const cvxrelu_problem *pb, double lambda,
                                   const cvxrelu_sdp_result *res,
                                   size_t R, size_t max_iter, uint64_t seed,
                                   const cvxrelu_limits *limits, double **U_out, double **V_out,
                                   cvxrelu_exit *exit_out, cvxrelu_error *err);

/*
 * A network with a dense second layer, f(x) = sum_j (x.u_j)_+ v_j: U (m x d),
 * V (m x c).  For c = 1 it is stored like any ReLU network.  Arrays are
 * copied; takes ownership of enc (also on failure).
 */
CVXRELU_API cvxrelu_status cvxrelu_model_from_dense(size_t m, const double *U, const double *V,
                                        double lambda, cvxrelu_encoding *enc,
                                        cvxrelu_model **out_model, cvxrelu_error *err);

/* ------------------- certificates for the non-convex problem ([KP24]) */

/* Which upper bound on s(v) = max_{||u||<=1} |v.(X u)_+| was computed. */
typedef enum {
    CVXRELU_SBOUND_CHEAP = 0,   /* sum_{S+} v_j ||x_j|| (and S-) */
    CVXRELU_SBOUND_SPECTRAL,    /* ||X_{S+}||_2 ||v_{S+}||_2 (and S-) */
    CVXRELU_SBOUND_SDP,         /* dual of the max-cut SDP relaxation (eigenvalue form) */
    CVXRELU_SBOUND_SUBSETS,     /* exhaustive over subsets of S+ / S- (small n) */
    CVXRELU_SBOUND_EXACT,       /* exact s(v): rank(X) <= 2, all arrangement arcs */
    CVXRELU_SBOUND_COUNT
} cvxrelu_sbound;

CVXRELU_API const char *cvxrelu_sbound_string(cvxrelu_sbound b);

typedef struct {
    unsigned bounds;        /* bit mask of (1u << cvxrelu_sbound) to try; default all */
    size_t sdp_max_rows;    /* SDP bound only when |S+|, |S-| <= this; default 400 */
    size_t subsets_max_rows;/* exhaustive subsets when |S+|, |S-| <= this; default 20 */
    size_t samples;         /* Gaussian directions of the necessary check; default 256 */
    uint64_t seed;          /* of those directions; default 1 */
    double tol;             /* certified_optimal when (UB - LB) <= tol * UB; default 1e-6 */
    double time_limit_s;    /* 0 = none; default 0 */
    volatile sig_atomic_t *interrupt; /* stop soon when != 0; default NULL.  A stop skips
                                         the bounds not yet computed (the cheap one always
                                         is): LB stays valid, only looser */
} cvxrelu_certify_settings;

CVXRELU_API void cvxrelu_certify_settings_default(cvxrelu_certify_settings *s);

typedef struct {
    double upper_bound;     /* UB: the network's objective (canonical scale) */
    double lower_bound;     /* LB <= p*, from the tightest valid bound */
    double ratio;           /* UB / LB (inf when LB <= 0) */
    double lambda, beta;    /* beta = lambda N */
    size_t outputs;         /* c: the bound is summed over the outputs' decoupled
                               problems (block-diagonal networks) */
    cvxrelu_sbound used;    /* the bound giving LB (for most outputs when c > 1) */
    unsigned used_mask;     /* bit b set: bound b was the tightest for some output */
    double sbar[CVXRELU_SBOUND_COUNT]; /* each bound, max over outputs of sbar_k / beta
                                          (so <= 1 means dual feasible); NAN if not
                                          computed for every output */
    double s_over_beta;     /* max over outputs of the tightest sbar_k / beta */
    double s_sampled;       /* necessary check: a LOWER estimate of max_k s(v_k) / beta,
                               from sampled directions and the network's own neurons */
    int descent_found;      /* s_sampled > 1 + tol: a new neuron would lower the objective */
    int dual_feasible;      /* sbar <= beta for every output with the used bound */
    int certified_optimal;  /* UB - LB <= tol UB: optimal to relative accuracy tol */
    double sqrt_log_2n;     /* sqrt(log 2n), the scale of [KP24]'s approximation ratio */
    double time_s;
    cvxrelu_exit exit;      /* CONVERGED: every bound asked for was computed; INTERRUPTED
                               or TIME_LIMIT: cut short (LB valid; s_sampled 0 when the
                               necessary check had not finished its first pass) */
} cvxrelu_certificate;

/*
 * Certify a ReLU network (kind RELU) on encoded data X (n x d), Y (n x c) at
 * its lambda (docs/algorithms.md, "Certificates for the non-convex problem"):
 * UB is the network's objective, LB the weak-duality bound built from
 * v = Y - f(X) and the tightest computed s-bound.  Valid for every network
 * of the same architecture class (block-diagonal or shared outputs) and any
 * width.
 */
CVXRELU_API cvxrelu_status cvxrelu_certify(const cvxrelu_model *m, const double *X, const double *Y,
                               size_t n, double lambda, const cvxrelu_certify_settings *s,
                               cvxrelu_certificate *cert, cvxrelu_error *err);

/* Theoretical width of [KP24] for the data's n and d at failure probability
   delta: 320 (sqrt(n/d) + 1)^2 log(n/delta) (informational). */
CVXRELU_API double cvxrelu_kp24_width(size_t n, size_t d, double delta);

/* ------------------------------------- local (non-convex) training, [KP24] */

typedef enum {
    CVXRELU_OPT_GD = 0,   /* full-batch gradient descent */
    CVXRELU_OPT_SGD,      /* minibatch stochastic gradient */
    CVXRELU_OPT_ADAM      /* Adam on minibatches (full batch when batch = 0) */
} cvxrelu_optimizer;

struct cvxrelu_local_record;

typedef struct {
    cvxrelu_optimizer method; /* default GD */
    size_t width;          /* neurons per output (block-diagonal second layer); default 50 */
    double lambda;         /* weight decay lambda/2 on both layers (canonical scale); default 1e-3 */
    double lr;             /* step size; default 0 = the method's: 0.1 (GD/SGD), 1e-3 (Adam) */
    size_t steps;          /* parameter updates; default 1000 */
    size_t batch;          /* minibatch rows for SGD/Adam; 0 = full batch; default 32 */
    double init_scale;     /* w_j ~ N(0, init_scale^2 / d I), a_j ~ N(0, init_scale^2 / m);
                              default 1 */
    uint64_t seed;         /* init and minibatches; default 1 */
    size_t record_every;   /* K: record statistics every K steps (and at 0 and the end); default 10 */
    double beta1, beta2, adam_eps; /* 0.9, 0.999, 1e-8 */
    double time_limit_s;   /* 0 = none */
    volatile sig_atomic_t *interrupt; /* stops at the next step when != 0 */
    /* at each record (the row just added to the result); default NULL */
    void (*callback)(const struct cvxrelu_local_record *rec, void *user);
    void *callback_data;
} cvxrelu_local_settings;

CVXRELU_API void cvxrelu_local_settings_default(cvxrelu_local_settings *s);

/* One row of the pattern statistics: at step `step`, on all n rows. */
typedef struct cvxrelu_local_record {
    size_t step;
    double objective;        /* full-data objective (canonical scale) */
    size_t changed_neurons;  /* neurons whose pattern 1[X w_j > 0] differs from step 0 */
    double mean_hamming;     /* mean over neurons of the number of rows that changed */
    double time_s;
} cvxrelu_local_record;

typedef struct {
    size_t steps;            /* updates done */
    int interrupted;         /* stopped by interrupt or time limit */
    cvxrelu_exit exit;       /* iteration_limit (every step taken), interrupted or time_limit */
    double objective, loss, penalty; /* at the returned weights, full data */
    cvxrelu_local_record *records; /* owned: free with cvxrelu_local_result_free */
    size_t n_records;
    double time_s;
} cvxrelu_local_result;

/*
 * Train the non-convex two-layer ReLU network with weight decay on X (n x d),
 * Y (n x c): F = (1/(2N)) ||f(X) - Y||^2 + (lambda/2) sum_j (||w_j||^2 + a_j^2),
 * f_k(x) = sum_{j in block k} a_j (x.w_j)_+, width neurons per output.
 * On return W ((c width) x d, row j = neuron j, block k = rows k width ..) and
 * a (c width) hold the trained weights (allocated).
 */
CVXRELU_API cvxrelu_status cvxrelu_local_train(const cvxrelu_problem *pb, const cvxrelu_local_settings *s,
                                   double **W_out, double **a_out, cvxrelu_local_result *res,
                                   cvxrelu_error *err);
CVXRELU_API void cvxrelu_local_result_free(cvxrelu_local_result *res);

/* ---------------------------------- three-layer parallel networks ([EP21]) */

/*
 * The architecture: sub-networks j = 1..K, each with width1 first-layer ReLUs
 * feeding one second-layer ReLU and a scalar output weight a_j on output out[j]:
 *     f_k(x) = sum_{j: out[j] = k} a_j (sum_l W2_jl (x.w_jl)_+)_+.
 * The convex program is exact for the weight decay of [EP21],
 *     (1/(2N)) ||f(X) - Y||^2 + (lambda/2) sum_j (||W2_j||^2 + a_j^2)
 *     s.t. ||W1_j||_F <= 1 for every sub-network,
 * whose value at the best rescaling of each neuron and sub-network (the ReLUs
 * are positively homogeneous) is the path form
 *     (1/(2N)) ||f(X) - Y||^2 + lambda sum_j |a_j| sum_l |W2_jl| ||w_jl||,
 * the objective cvxrelu_model_objective reports for RELU3 models.
 */

/*
 * Configurations: one per candidate sub-network, holding the first-layer
 * patterns D1_l = 1[X w_l > 0] of its width1 neurons, the signs s_l of their
 * second-layer weights and the second-layer pattern D2 = 1[sum_l s_l |W2_l|
 * (X w_l)_+ > 0].  dirs holds, per configuration, the width1 x d block
 * s_l |W2_l| w_l of the network that produced it: a point strictly inside the
 * configuration's cone (used to repair rounding so recovery is exact).
 */
typedef struct {
    size_t n, d, width1;
    size_t P;              /* configurations */
    size_t words;          /* 64-bit words per n-bit pattern */
    uint64_t *bits1;       /* P x width1 patterns, `words` each */
    uint64_t *bits2;       /* P second-layer patterns */
    double *sign;          /* P x width1 signs (+1 / -1) */
    double *dirs;          /* P x width1 x d interior directions */
    size_t cap;            /* allocated configurations */
    size_t sampled;        /* sub-networks drawn by the sampler */
} cvxrelu_configs;

/*
 * Sample `count` random sub-networks (first layer N(0, I), second layer
 * N(0, 1), from the library's seeded generator; nested in count like the gates)
 * and keep their distinct configurations.  Configurations whose second-layer
 * pattern is empty are dropped (they can carry no weight).
 */
CVXRELU_API cvxrelu_status cvxrelu_configs_sample(const double *X, size_t n, size_t d, size_t width1,
                                      size_t count, uint64_t seed, cvxrelu_configs **out,
                                      cvxrelu_error *err);
/*
 * The same, bounded: sampling stops once max_configs configurations are held
 * (0 = no bound; a caller sizing memory passes one more than fits and treats
 * reaching it as "does not fit"), and on a stop request from limits (NULL =
 * none; checked between blocks of sub-networks, whose products with X are one
 * GEMM per block), *exit_out (may be NULL) then being CVXRELU_EXIT_INTERRUPTED
 * or CVXRELU_EXIT_TIME_LIMIT (else CONVERGED).  *out holds what was found.
 */
CVXRELU_API cvxrelu_status cvxrelu_configs_sample_limited(const double *X, size_t n, size_t d,
                                              size_t width1, size_t count, uint64_t seed,
                                              size_t max_configs, const cvxrelu_limits *limits,
                                              cvxrelu_configs **out, cvxrelu_exit *exit_out,
                                              cvxrelu_error *err);
/*
 * Add the configurations of K given sub-networks (W1: (K width1) x d, W2:
 * K x width1), e.g. of a network trained by a local method; duplicates of
 * existing configurations are not added.  *index (K entries, may be NULL)
 * receives the configuration of each sub-network, or (size_t)-1 when its
 * second-layer pattern is empty.
 */
CVXRELU_API cvxrelu_status cvxrelu_configs_add_network(cvxrelu_configs *cf, const double *X, size_t K,
                                           const double *W1, const double *W2, size_t *index,
                                           cvxrelu_error *err);
CVXRELU_API void cvxrelu_configs_free(cvxrelu_configs *cf);

typedef struct {
    double lambda;          /* canonical scale; default 1e-3 */
    double tol;             /* stop on relative duality gap <= tol (after repair); default 1e-6 */
    size_t max_iter;        /* inner (proximal gradient) iterations in all; default 100000 */
    double rho;             /* augmented-Lagrangian penalty in units of 1/N; 0 = automatic */
    double time_limit_s;    /* 0 = none */
    volatile sig_atomic_t *interrupt; /* stops at the next iteration when != 0 */
    cvxrelu_callback callback; /* after the start and each multiplier update: iter =
                                  inner iterations so far, objective = best repaired
                                  (feasible) value, dual, gap, step, violation of the
                                  iterate before repair; default NULL */
    void *callback_data;
    const double *start;    /* weights to start from ((2 P c) x width1 x d, as W_out);
                               default NULL: zero */
} cvxrelu_relu3_settings;

CVXRELU_API void cvxrelu_relu3_settings_default(cvxrelu_relu3_settings *s);

typedef struct {
    double objective;       /* at the returned (repaired, cone-feasible) weights */
    double loss, penalty;
    double dual;            /* certified lower bound on the program's optimum */
    double gap;             /* objective - dual */
    double violation;       /* largest cone violation before the repair, relative to
                               max ||x_i|| max ||w|| */
    size_t iterations;      /* inner iterations */
    size_t outer;           /* multiplier updates */
    size_t active;          /* non-zero groups = sub-networks of the recovered network */
    int converged;          /* gap <= eps (max(1, |objective|)) */
    int interrupted;        /* stopped by interrupt or time limit */
    cvxrelu_exit exit;      /* converged, iteration_limit, time_limit or interrupted */
    double time_s;
} cvxrelu_relu3_result;

/* Variables, constraint rows and bytes of the program (for refusing what cannot fit). */
CVXRELU_API void cvxrelu_relu3_cost(size_t n, size_t d, size_t c, size_t width1, size_t P,
                        double *variables, double *constraints, double *bytes);

/*
 * Solve the convex program of [EP21] (docs/algorithms.md, "Three-layer parallel
 * networks") over the configurations for X (n x d),
 * Y (n x c): groups g = 2 (p c + k) + e (configuration p, output k, sign + for
 * e = 0, - for e = 1), each width1 blocks w_gl of d weights,
 *     min (1/(2N)) sum_k ||sum_{p,e} (-1)^e D2_p sum_l D1_pl X w_gl - Y_k||^2
 *         + lambda sum_{g,l} ||w_gl||
 *     s.t. s_pl (2 D1_pl - I) X w_gl >= 0,  (2 D2_p - I) sum_l D1_pl X w_gl >= 0,
 * by an augmented Lagrangian with R-FISTA inner solves.  On
 * return *W_out ((2 P c) x width1 x d, allocated) satisfies the constraints
 * exactly (a final repair along the configuration's interior direction); s->start
 * (same layout) is the starting point, zero when NULL.
 */
CVXRELU_API cvxrelu_status cvxrelu_relu3_solve(const cvxrelu_problem *pb,
                                   const cvxrelu_configs *cf, const cvxrelu_relu3_settings *s,
                                   double **W_out, cvxrelu_relu3_result *res, cvxrelu_error *err);
/* Predictions (n x c) of the convex model with weights W. */
CVXRELU_API void cvxrelu_relu3_convex_predict(const double *X, size_t c, const cvxrelu_configs *cf,
                                  const double *W, double *Yhat);
/* The program's objective at W (which must be cone-feasible for it to mean anything). */
CVXRELU_API double cvxrelu_relu3_convex_objective(const double *X, const double *Y, size_t c,
                                      const cvxrelu_configs *cf, const double *W, double lambda);
/* Largest cone violation of W, relative to max ||x_i|| max ||w_gl|| (0 when feasible). */
CVXRELU_API double cvxrelu_relu3_violation(const double *X, size_t c, const cvxrelu_configs *cf,
                               const double *W);
/*
 * The image of a three-layer network in the program: sub-network j (W1
 * (K width1) x d, W2 K x width1, a, out as in the model, index[j] its
 * configuration from cvxrelu_configs_add_network, (size_t)-1 to skip) adds
 * |a_j| W2_jl W1_jl to the block of its neuron l in group (index[j], out[j],
 * sign of a_j).  W ((2 P c) x width1 x d) is added to (zero it first).  The
 * program's objective there is the network's path-form objective, which is at
 * most its [EP21] weight-decay objective.
 */
CVXRELU_API cvxrelu_status cvxrelu_relu3_weights_from_network(const cvxrelu_configs *cf, const double *X,
                                                  size_t c, size_t K, const double *W1,
                                                  const double *W2, const double *a,
                                                  const size_t *out, const size_t *index,
                                                  double *W, cvxrelu_error *err);
/*
 * The three-layer network from convex weights: for each group with
 * t = sum_l ||w_gl|| > 0 a sub-network with first layer s_pl w_gl /
 * sqrt(||w_gl|| t), second layer s_pl sqrt(||w_gl||) and output weight
 * +-sqrt(t) on output k.  Takes ownership of enc (also on failure).
 */
CVXRELU_API cvxrelu_status cvxrelu_model_from_relu3(const cvxrelu_configs *cf, const double *W, size_t c,
                                        double lambda, cvxrelu_encoding *enc,
                                        cvxrelu_model **out, cvxrelu_error *err);
/*
 * A three-layer network from plain arrays: K sub-networks, W1 (K width1) x d,
 * W2 K x width1, a (K), out (K) output indices.  Copied; takes ownership of enc.
 */
CVXRELU_API cvxrelu_status cvxrelu_model_from_relu3_arrays(size_t K, size_t width1, const double *W1,
                                               const double *W2, const double *a,
                                               const size_t *out, double lambda,
                                               cvxrelu_encoding *enc, cvxrelu_model **out_model,
                                               cvxrelu_error *err);

/*
 * Local training of the three-layer network (the non-convex baseline): K
 * sub-networks per output (sub-network j feeds output j / K), width1
 * first-layer neurons each, objective (1/(2N)) ||f(X) - Y||^2 + (lambda/2)
 * sum_j (||W2_j||^2 + a_j^2) with ||W1_j||_F <= 1 kept by projection after
 * every step ([EP21]'s form).  s->width is ignored; method, lr, steps, batch,
 * seed, Adam constants, time limit and interrupt as for the two-layer
 * trainer; init: W1_j uniform on the unit sphere scaled by init_scale
 * (capped at 1), W2 ~ N(0, init_scale^2 / width1), a ~ N(0, init_scale^2 / K).
 * res->objective is the training objective above; the records hold it too
 * (pattern statistics are those of the first-layer neurons).  Outputs
 * W1 ((c K width1) x d), W2 ((c K) x width1), a (c K), allocated.
 */
CVXRELU_API cvxrelu_status cvxrelu_local3_train(const cvxrelu_problem *pb, size_t K, size_t width1,
                                    const cvxrelu_local_settings *s, double **W1_out,
                                    double **W2_out, double **a_out, cvxrelu_local_result *res,
                                    cvxrelu_error *err);

/* ------------------------------------------------------ one-shot training */

/* Accuracy (classification) and mean squared error of predictions. */
typedef struct {
    double mse;      /* (1/(n c)) ||Yhat - Y||^2 over the encoded targets */
    double accuracy; /* fraction of rows whose decided class is right; NAN for regression */
} cvxrelu_metrics;

/* Metrics of predictions Yhat (n x enc->c) against encoded targets Y. */
CVXRELU_API cvxrelu_metrics cvxrelu_metrics_of(const cvxrelu_encoding *enc, const double *Yhat,
                                   const double *Y, size_t n);

/* A deep copy (NULL on allocation failure). */
CVXRELU_API cvxrelu_encoding *cvxrelu_encoding_copy(const cvxrelu_encoding *enc);

/* How cross-validation picks lambda on the grid (docs/algorithms.md, "Choosing lambda"). */
typedef enum {
    CVXRELU_CV_ONE_SE = 0, /* the largest lambda whose mean validation error is within one
                              standard error of the best mean (a simpler network, as good
                              within the noise of the folds) */
    CVXRELU_CV_MIN         /* the lambda of the best mean validation error */
} cvxrelu_cv_rule;

/* One lambda of a regularization path (cvxrelu_path). */
typedef struct {
    double lambda, objective, dual, gap; /* the convex program's, as cvxrelu_result */
    cvxrelu_exit exit;
    size_t iterations;
    size_t active;           /* non-zero groups */
    size_t neurons;          /* of the network recovered at this lambda */
    double time_s;           /* of this solve (warm-started from the one before) */
    cvxrelu_metrics train, test; /* the network's (test: NAN without test data) */
} cvxrelu_path_point;

/* The grid of a regularization path and of cross-validation. */
typedef struct {
    size_t lambdas;          /* grid points, geometric from lambda_max down; default 20 */
    double min_ratio;        /* the last is min_ratio * lambda_max; default 1e-3 */
    size_t folds;            /* cross-validation folds (lambda_auto); default 5 */
    cvxrelu_cv_rule rule;    /* default CVXRELU_CV_MIN */
    double cv_tol;           /* cross-validation's solves stop at this relative gap (or
                                at tol when that is looser): the validation error needs
                                no more; default 1e-4 */
    int early_stop;          /* cross-validation ends once 3 lambdas in a row bring no new
                                best mean validation error; default 1 */
    void (*on_point)(const cvxrelu_path_point *p, size_t k, void *user); /* cvxrelu_path:
                                after each lambda; default NULL */
    void *point_data;
} cvxrelu_path_settings;

CVXRELU_API void cvxrelu_path_settings_default(cvxrelu_path_settings *s);

/* What cross-validation found (cvxrelu_train with lambda_auto). */
typedef struct {
    int run;                 /* 1 when lambda was chosen by cross-validation */
    size_t lambdas, folds;
    size_t lambdas_done;     /* grid points validated on every fold */
    size_t folds_at;         /* while a grid point is under way: its folds solved (the
                                VALIDATING phase is reported after each fold too) */
    int early_stop;          /* 1: ended early, 3 lambdas having brought no new best */
    double lambda_max;       /* of the training rows, on the sampled patterns */
    double *grid;            /* lambdas values, from lambda_max down (owned) */
    double *mean, *se;       /* validation error at each (1 - accuracy for
                                classification, mse for regression) and its standard
                                error over the folds (owned) */
    size_t best, chosen;     /* index of the best mean; of the lambda chosen by rule */
    cvxrelu_cv_rule rule;
    double lambda;           /* grid[chosen] */
    double time_s;
    cvxrelu_exit exit;       /* CONVERGED: every fold done; else the stop that ended it */
} cvxrelu_cv_report;

/* Which convex program cvxrelu_train solves (docs/algorithms.md). */
typedef enum {
    CVXRELU_TRAIN_GATED = 0, /* the gated ReLU group lasso; a gated network, or a ReLU
                                network with the same fit through a cone decomposition */
    CVXRELU_TRAIN_RELU,      /* the cone-constrained program: a ReLU network directly */
    CVXRELU_TRAIN_SDP,       /* the SDP relaxation of [PBY24] and a network read out of it */
    CVXRELU_TRAIN_LOCAL,     /* a non-convex ReLU network by GD, SGD or Adam (no sampling),
                                then the stationarity check on its final patterns */
    CVXRELU_TRAIN_RELU3      /* the three-layer program of [EP21] over sampled
                                configurations (or, with relu3_local, a locally trained
                                three-layer network and the program on its own) */
} cvxrelu_train_program;

/* How cvxrelu_train turns a gated solution into a ReLU network. */
typedef enum {
    CVXRELU_TRAIN_DECOMPOSE_NONE = 0, /* keep the gated network */
    CVXRELU_TRAIN_DECOMPOSE_CLOSED,   /* the closed form */
    CVXRELU_TRAIN_DECOMPOSE_MIN_NORM, /* the min-norm split (a barrier method per group) */
    CVXRELU_TRAIN_DECOMPOSE_AUTO      /* min-norm when n d^2 <= 2e8, else the closed form */
} cvxrelu_train_decompose;

/* The points at which cvxrelu_train reports progress (cvxrelu_train_settings.on_phase). */
typedef enum {
    CVXRELU_PHASE_STARTED = 0, /* the data encoded: n, d, c, task, lambda */
    CVXRELU_PHASE_LOCAL_TRAINED, /* RELU3 with relu3_local: the local network (local,
                                    network_objective) */
    CVXRELU_PHASE_PLANNED,     /* memory checked: memory_need, precondition_declined */
    CVXRELU_PHASE_SAMPLED,     /* patterns held: patterns, gates_drawn, sampling_exit */
    CVXRELU_PHASE_SOLVING,     /* lambda chosen, solver built: the iterations follow */
    CVXRELU_PHASE_SOLVED,      /* convex: the solver's result */
    CVXRELU_PHASE_DECOMPOSING, /* the cone decomposition starts */
    CVXRELU_PHASE_DECOMPOSED,  /* sharpness, decomposition_* */
    CVXRELU_PHASE_RECOVERED,   /* the network: network_objective, train metrics */
    CVXRELU_PHASE_CERTIFYING,  /* the certificate of the ReLU network starts */
    CVXRELU_PHASE_VALIDATING,  /* lambda_auto: a grid point (cv.lambdas_done), or a fold
                                  inside one (cv.folds_at), of the cross-validation is done */
    CVXRELU_PHASE_GROWN        /* grow: a round is done (convex, patterns, grow_*) */
} cvxrelu_train_phase;

typedef struct cvxrelu_train_report cvxrelu_train_report;
typedef void (*cvxrelu_phase_callback)(cvxrelu_train_phase phase, const cvxrelu_train_report *r,
                                       void *user);

/*
 * Everything cvxrelu_train needs besides the data; cvxrelu_train_settings_default
 * is the only source of its defaults (docs/api.md lists them).
 */
typedef struct {
    cvxrelu_train_program program; /* default GATED */
    cvxrelu_task task;       /* default AUTO (classification for text or few integer labels) */
    int standardize;         /* standardize the feature columns; default 1 */
    int bias;                /* append a column of ones; default 1 */
    size_t patterns;         /* distinct patterns to sample; default 100 (0: only the given
                                gates' and the warm model's) */
    int all_patterns;        /* every pattern of the data (d <= 2 only); default 0 */
    size_t width;            /* [KP24] width M: at most M/2 gates drawn (0: no cap); default 0 */
    const double *gates;     /* n_gates x enc->d gates whose patterns come first; default NULL */
    size_t n_gates;
    int linear_gate;         /* GATED, RELU: with the bias column, the gate along it comes
                                before the sampled ones: its pattern is every row (a linear
                                neuron, so every linear model is in the network family);
                                not with patterns 0, width or all_patterns; default 0 */
    const cvxrelu_model *warm; /* a gated model to start from (its gates first, then
                                  its weights); default NULL */
    cvxrelu_loss loss;       /* the data term's loss (GATED, RELU and LOCAL take any,
                                the others squared only); default -1 (AUTO: logistic for
                                two classes, ce for more, squared for regression and
                                for the programs that are squared only) */
    double huber_delta;      /* HUBER: delta; default 1 (in standardized target units) */
    double lambda;           /* regularization, canonical scale; default 1e-3 */
    int lambda_auto;         /* GATED, RELU: choose lambda by cross-validation over the
                                path's grid (path), then fit on all rows; default 0 */
    cvxrelu_path_settings path; /* the grid and the folds, as cvxrelu_path_settings_default
                                   sets them */
    double lambda_ratio;     /* > 0: lambda = lambda_ratio * lambda_max of the sampled
                                program, overriding lambda; default 0 */
    double beta;             /* > 0: lambda = beta / (n c) (the unnormalized scale),
                                overriding lambda; default 0 */
    uint64_t seed;           /* of the sampled gates; default 0 */
    double tol;              /* relative duality gap to stop at; default 1e-6 */
    double tol_feas;         /* RELU: cone violation allowed; default 1e-6 */
    size_t max_iter;         /* default 10000 */
    double time_limit_s;     /* for the whole call; 0 = none; default 0 */
    volatile sig_atomic_t *interrupt; /* stop soon when *interrupt != 0; default NULL */
    int single_precision;    /* GATED: float products, certificates in double; default 0 */
    int screening;           /* GATED: gap-safe screening; default 1 */
    int working_set;         /* GATED: the working set of cvxrelu_settings; default 1 */
    int precondition;        /* GATED: the d x d metric where it can be built; default 1 */
    cvxrelu_relu_method relu_method; /* RELU: the exact program's solver; default AUTO */
    int polish;              /* RELU: Newton steps on the face (cvxrelu_settings); default 1 */
    cvxrelu_train_decompose decompose; /* GATED: default NONE */
    int grow;                /* GATED, RELU: after the solve, add the patterns of neurons
                                that violate the dual (a heuristic search) and re-solve,
                                warm-started, round after round; default 0 */
    size_t grow_rounds;      /* at most this many rounds; default 20 */
    size_t grow_batch;       /* patterns added per round at most; default 10 */
    size_t grow_max;         /* stop growing at this many patterns; 0 = 10 patterns
                                (at least 100); default 0 */
    int prune;               /* GATED, RELU: cvxrelu_prune the solution before the network
                                is recovered (same fit, penalty not larger); default 0 */
    int certify;             /* bound the non-convex optimum for a ReLU network; default 1 */
    unsigned bounds;         /* the certificate's s-bounds (cvxrelu_certify_settings); default all */
    double max_memory_bytes; /* refuse what needs more; 0 = the machine's memory; default 0 */
    cvxrelu_sdp_settings sdp; /* SDP: the relaxation's solver, as cvxrelu_sdp_settings_default
                                 sets it (its time_limit_s and interrupt are the call's);
                                 width above is the read-out's (0: the solution's rank) */
    cvxrelu_local_settings local; /* LOCAL: the optimizer, as cvxrelu_local_settings_default
                                     sets it (its lambda, seed, time_limit_s and interrupt
                                     are the call's) */
    int stationarity;        /* LOCAL: re-solve the exact program on the network's final
                                patterns, warm-started at it (RELU3 with relu3_local: solve
                                the program on the network's configurations); default 1 */
    size_t width1;           /* RELU3: first-layer neurons per sub-network; default 3 */
    size_t subnets;          /* RELU3: sub-networks per output (sampled: (subnets + 1) / 2
                                draws; relu3_local: the network's); default 20 */
    int relu3_local;         /* RELU3: train the network with local first; default 0 */
    const cvxrelu_model *configs_from; /* RELU3: a relu3 model (same width1 and inputs)
                                          whose configurations join, and whose weights
                                          start the program; default NULL */
    cvxrelu_relu3_settings relu3; /* RELU3: the program's solver, as
                                     cvxrelu_relu3_settings_default sets it (its lambda,
                                     time_limit_s, interrupt and callback are the call's) */
    cvxrelu_callback callback; /* every iteration of the convex solve; default NULL */
    void *callback_data;
    cvxrelu_phase_callback on_phase; /* at each phase; default NULL */
    void *phase_data;
    int threads;             /* BLAS threads: 0 = chosen at each phase by the size of its
                                products (one thread for small ones, every core for large
                                ones; restored on return); > 0 that many; < 0 left as they
                                are; default 0 */
} cvxrelu_train_settings;

CVXRELU_API void cvxrelu_train_settings_default(cvxrelu_train_settings *s);
/* The loss a run of s trains with on data of this task and c outputs: s->loss, or for
   AUTO logistic (classification, c = 1) or ce (classification, c >= 2) on the GATED,
   RELU and LOCAL programs, else squared. */
CVXRELU_API cvxrelu_loss cvxrelu_train_loss(const cvxrelu_train_settings *s, cvxrelu_task task,
                                            size_t c);

/* What cvxrelu_train did, filled in as it goes (on_phase sees it partly filled). */
struct cvxrelu_train_report {
    cvxrelu_train_program program;
    cvxrelu_loss loss;       /* the data term's loss it trained with (AUTO resolved) */
    size_t n, d, c;          /* training rows, encoded columns (bias included), outputs */
    size_t d_raw;            /* raw feature columns */
    cvxrelu_task task;
    double lambda;           /* used (lambda_ratio resolved) */
    double memory_need;      /* bytes the solver needs (estimate) */
    double memory_limit;     /* bytes allowed */
    int precondition_declined; /* the d x d metric alone would pass the budget */
    size_t patterns;         /* distinct patterns held */
    size_t gates_drawn;      /* gates drawn to find them */
    size_t patterns_asked;   /* P asked for (0: the given gates' only) */
    cvxrelu_exit sampling_exit; /* CONVERGED, or INTERRUPTED / TIME_LIMIT while sampling */
    int preconditioned_possible; /* GATED: the d x d metric can be built for this data */
    cvxrelu_cv_report cv;    /* lambda_auto: the grid, the fold scores and the choice */
    cvxrelu_result convex;   /* the convex solve: objective, dual, gap, exit, ... */
    cvxrelu_exit exit;       /* of the whole call (the solve's, or the sampling's) */
    int no_result;           /* stopped before the first iteration with nothing to show:
                                *model_out is then NULL */
    cvxrelu_train_decompose decomposed; /* NONE, CLOSED or MIN_NORM (AUTO resolved) */
    double sharpness;        /* decomposition: sum(||v|| + ||w||) / sum ||u|| */
    double decomposition_max_abs_diff; /* max |ReLU - gated| on the training rows */
    /* prune: the active groups before and after, the convex objective before (convex
       then holds the certificate at the pruned point), its time */
    /* grow: the rounds done, the patterns added, the largest violation of the last search
       (max ||X^T D R_k|| / N over the patterns it tried, over lambda: <= 1 when it found
       none) and why growing ended ("none found", "rounds", "patterns", "stopped") */
    size_t grow_rounds_done, grow_added;
    double grow_violation;
    double grow_objective0, grow_gap0; /* the first solve's, before any round */
    const char *grow_end;
    int pruned;
    size_t prune_before, prune_after;
    double prune_objective_before, prune_time_s;
    cvxrelu_exit decomposition_exit;
    double network_objective;     /* the returned network's objective on the training rows */
    double recovery_max_abs_diff; /* max |network - convex fit| on the training rows */
    cvxrelu_metrics train_metrics, test_metrics; /* test: NAN without test data */
    double test_loss;        /* the data term of the network's loss on the test rows (mean
                                loss, as in the objective; NAN without test data) */
    size_t test_n;
    size_t neurons;          /* of the returned network */
    int certified;           /* certificate filled */
    int certify_skipped_interrupt; /* asked for, skipped after a stop request */
    cvxrelu_certificate certificate;
    /* program SDP: the relaxation (its lower bound tightened with the read-out's
       objective as the upper bound) and the read-out */
    cvxrelu_exit sdp_exit;
    double sdp_value, sdp_lower_bound, sdp_lower_bound_solver, sdp_gap, sdp_pres, sdp_dres;
    size_t sdp_rank, sdp_iterations, sdp_rows_used, sdp_rejected_steps;
    double sdp_time_s, sdp_tol;
    size_t readout_width;
    double readout_time_s, readout_loss, readout_penalty;
    cvxrelu_exit readout_exit;
    /* program LOCAL: the optimizer's run (records owned: cvxrelu_train_report_free) and
       the stationarity check (run: 1 done, 2 cut short: no conclusion, 0 not run, with
       the reason in stationarity_skipped when it failed) */
    cvxrelu_local_result local;
    int stationarity_run;
    char stationarity_skipped[256];
    size_t stationarity_patterns, stationarity_iterations;
    cvxrelu_exit stationarity_exit;
    double stationarity_value, stationarity_gap, stationarity_bound;
    /* program RELU3: the configurations (sampling_exit says whether their sampling was
       cut short), the program's size and the solve (relu3_solved: 0 when
       stationarity was off with relu3_local) */
    size_t configurations, configurations_sampled;
    double relu3_variables, relu3_constraints;
    int relu3_solved;
    cvxrelu_relu3_result relu3;
    double time_s;           /* of the whole call */
    char blas[256];          /* cvxrelu_blas_info() and the threads when the solve began */
    int threads;
    const char *bad_input;   /* on failure: the settings field whose input is at fault
                                ("warm", "configs_from"), else NULL */
};

/* Frees what a report owns (the local optimizer's records); accepts NULL. */
CVXRELU_API void cvxrelu_train_report_free(cvxrelu_train_report *r);

/*
 * The whole pipeline of `cvxrelu train` for the chosen program (docs/api.md,
 * "One-shot training"): fit the encoding on train (copied into the model), sample
 * (patterns or configurations), solve, recover the network (and decompose it),
 * certify it, evaluate it on train and on test (may be NULL).  *model_out gets the
 * network: one with no neurons when report->no_result (stopped before the first
 * iteration), NULL when the stop came while sampling with nothing found.  The
 * report says what happened; free it with cvxrelu_train_report_free.  A problem
 * past the memory budget is refused with CVXRELU_ERR_NOMEM before any work.  A
 * stop request or the time limit ends the current phase early: the call still
 * returns CVXRELU_OK with the best network so far and report->exit saying why.
 * The library prints nothing: progress goes to on_phase and callback.
 */
CVXRELU_API cvxrelu_status cvxrelu_train(const cvxrelu_dataset *train, const cvxrelu_dataset *test,
                             const cvxrelu_train_settings *s, cvxrelu_model **model_out,
                             cvxrelu_train_report *report, cvxrelu_error *err);

/* What cvxrelu_path did. */
typedef struct {
    cvxrelu_train_program program; /* GATED, RELU or RELU3 */
    size_t n, d, c, patterns; /* patterns: the configurations for RELU3 */
    cvxrelu_task task;
    cvxrelu_loss loss;       /* the data term's loss (AUTO resolved) */
    double lambda_max;       /* on the sampled patterns */
    size_t n_points;         /* lambdas solved (fewer than asked after a stop) */
    cvxrelu_path_point *points; /* owned: cvxrelu_path_report_free */
    cvxrelu_exit exit;
    double time_s;
} cvxrelu_path_report;

/*
 * The regularization path of the gated, the exact ReLU or the three-layer program
 * (s->program GATED, RELU or RELU3): the encoding and the patterns (the configurations)
 * as cvxrelu_train makes them, then s->path.lambdas values of lambda geometric from
 * lambda_max down to s->path.min_ratio lambda_max, each solve warm-started from the
 * previous one, each to s->tol (RELU3: s->relu3.tol; squared loss only).  Per lambda the objective, the
 * certified gap, the active groups, the network's train and test metrics.  A stop
 * request or s->time_limit_s ends the path: the lambdas solved so far are reported.
 */
CVXRELU_API cvxrelu_status cvxrelu_path(const cvxrelu_dataset *train, const cvxrelu_dataset *test,
                                        const cvxrelu_train_settings *s, cvxrelu_path_report *r,
                                        cvxrelu_error *err);
CVXRELU_API void cvxrelu_path_report_free(cvxrelu_path_report *r);
/* The program of a path report: "gated", "relu" or "relu3", as the JSON's "model". */
CVXRELU_API const char *cvxrelu_path_model_string(const cvxrelu_path_report *r);

/* ------------------------------------------------- reports: JSON and text */

/*
 * A JSON object under construction (docs/cli.md, "JSON output"): open it, add
 * keys in order, then take its text or write it atomically.  Numbers are
 * written with 17 significant digits; NaN and infinities as null.  Running out
 * of memory is remembered and reported by cvxrelu_json_text (NULL) and
 * cvxrelu_json_write (CVXRELU_ERR_NOMEM).
 */
typedef struct {
    char *s;
    size_t len, cap;
    int first, closed, failed;
} cvxrelu_json;

CVXRELU_API void cvxrelu_json_open(cvxrelu_json *j);
CVXRELU_API void cvxrelu_json_num(cvxrelu_json *j, const char *key, double v);
CVXRELU_API void cvxrelu_json_int(cvxrelu_json *j, const char *key, long long v);
/* An array of n numbers (NaN and infinities as null). */
CVXRELU_API void cvxrelu_json_nums(cvxrelu_json *j, const char *key, const double *v, size_t n);
CVXRELU_API void cvxrelu_json_bool(cvxrelu_json *j, const char *key, int v);
CVXRELU_API void cvxrelu_json_str(cvxrelu_json *j, const char *key, const char *v);
/* Closes the object (no keys after this); NULL when memory ran out. */
CVXRELU_API const char *cvxrelu_json_text(cvxrelu_json *j);
/* Closes the object and writes it to path atomically. */
CVXRELU_API cvxrelu_status cvxrelu_json_write(cvxrelu_json *j, const char *path, cvxrelu_error *err);
CVXRELU_API void cvxrelu_json_free(cvxrelu_json *j);

/*
 * The report of cvxrelu_train as JSON keys (one schema for every program: the
 * keys shared by all, then the program's own, the certificate's, the metrics,
 * the seed and the BLAS; docs/cli.md, "JSON output").  s: the settings the
 * call ran with; model_written: whether the caller saved the model.
 */
CVXRELU_API void cvxrelu_train_report_json(cvxrelu_json *j, const cvxrelu_train_report *r,
                               const cvxrelu_train_settings *s, int model_written);
/* The name of the model kind ("gated", "gated+decompose", "relu", "sdp", "relu3")
   and of the solver ("rfista", "rfista-cone", "admm-cone", "admm", "dsdp", "gd", "sgd", "adam",
   "augmented-lagrangian") of a report, as the JSON gives them. */
CVXRELU_API const char *cvxrelu_train_model_string(const cvxrelu_train_report *r,
                                       const cvxrelu_train_settings *s);
CVXRELU_API const char *cvxrelu_train_solver_string(const cvxrelu_train_report *r,
                                        const cvxrelu_train_settings *s);
CVXRELU_API const char *cvxrelu_optimizer_string(cvxrelu_optimizer o);
/* objective, and with a lower bound (not NaN) upper_bound, lower_bound, gap, ratio */
CVXRELU_API void cvxrelu_bounds_json(cvxrelu_json *j, double objective, double lower_bound);
/* A certificate's own keys (the bound used, the s-bounds, feasibility, exit). */
CVXRELU_API void cvxrelu_certificate_json(cvxrelu_json *j, const cvxrelu_certificate *c);
/* The path as JSON keys: the run's, then one array per column (docs/cli.md, "path"). */
CVXRELU_API void cvxrelu_path_report_json(cvxrelu_json *j, const cvxrelu_path_report *r);
/* A certificate as the text block the CLI shows (n: the rows it was computed on). */
CVXRELU_API void cvxrelu_certificate_print(FILE *f, const cvxrelu_certificate *c, size_t n);

/*
 * Progress of cvxrelu_train as text (what `cvxrelu train` shows on stderr): plug
 * cvxrelu_progress_phase into settings.on_phase, cvxrelu_progress_iterate into
 * settings.callback, cvxrelu_progress_sdp into settings.sdp.callback and
 * cvxrelu_progress_local into settings.local.callback, each with
 * the cvxrelu_progress as its data; cvxrelu_progress_summary after the call.  The
 * banners, the iteration table (iterations 0-9, 10, 20, ..., 100, 200, ..., at
 * least every 5 s, and the last; every one with verbose), one line per phase and
 * the certificate.  out NULL: nothing.  s must outlive the run.
 */
typedef struct {
    FILE *out;
    int verbose;
    const char *data_name;                 /* named in the banner */
    const cvxrelu_train_settings *settings;
    int relu3, violation_column;           /* kept between calls */
    double last_print;
    double cv_last;                        /* cross-validation's last line (its clock) */
    size_t local_seen, local_printed, local_every;
    FILE *trace;                           /* cvxrelu_progress_trace_open */
    int trace_errno;
    const char *trace_path;
} cvxrelu_progress;

CVXRELU_API void cvxrelu_progress_init(cvxrelu_progress *pg, FILE *out, int verbose,
                                       const char *data_name, const cvxrelu_train_settings *s);
CVXRELU_API void cvxrelu_progress_phase(cvxrelu_train_phase p, const cvxrelu_train_report *r,
                                        void *progress);
CVXRELU_API void cvxrelu_progress_iterate(const cvxrelu_iterate_info *it, void *progress);
CVXRELU_API void cvxrelu_progress_sdp(const cvxrelu_sdp_info *it, void *progress);
/* The local trainer's rows as they come (settings.local.callback). */
CVXRELU_API void cvxrelu_progress_local(const cvxrelu_local_record *rec, void *progress);
/* Also write every iteration that cvxrelu_progress_iterate sees as CSV to path (docs/cli.md,
   "--trace FILE"); closed by cvxrelu_progress_trace_close, which reports a failed write
   (CVXRELU_ERR_IO).  Both give messages naming the file. */
CVXRELU_API cvxrelu_status cvxrelu_progress_trace_open(cvxrelu_progress *pg, const char *path,
                                                       cvxrelu_error *err);
CVXRELU_API cvxrelu_status cvxrelu_progress_trace_close(cvxrelu_progress *pg, cvxrelu_error *err);
/* After cvxrelu_train: the network's metrics, the read-out's and the certificate. */
CVXRELU_API void cvxrelu_progress_summary(const cvxrelu_train_report *r, void *progress);

/* ------------------------------------------------------- models on new data */

/*
 * Read a data file for a saved model (what predict, eval and certify read): the
 * label in the model's label column unless opts->label_col says otherwise, the
 * model's enc->d_raw feature columns and, when the file has a header and the model
 * holds feature names, the same names in the same order.  need_labels 0: a file of
 * exactly the feature columns is read as features only.  cmd names the reader in
 * messages ("eval" adds a pointer to predict for unlabelled files).  A layout that
 * does not match is CVXRELU_ERR_FORMAT with a message naming the file and what
 * was expected.
 */
CVXRELU_API cvxrelu_status cvxrelu_dataset_read_for_model(const char *path,
                                                          const cvxrelu_read_opts *opts,
                                                          const cvxrelu_encoding *enc,
                                                          int need_labels, const char *cmd,
                                                          cvxrelu_dataset **out,
                                                          cvxrelu_error *err);
/* CVXRELU_ERR_NUMERIC naming the first row (and its file line) whose prediction in
   Yhat (ds->n x c) is not finite; CVXRELU_OK when all are. */
CVXRELU_API cvxrelu_status cvxrelu_predictions_check(const cvxrelu_dataset *ds,
                                                     const double *Yhat, size_t c,
                                                     cvxrelu_error *err);
/* One prediction per line: the class label (classification) or the value; to path
   atomically, or to stdout when path is NULL. */
CVXRELU_API cvxrelu_status cvxrelu_predictions_write(const char *path, const cvxrelu_model *m,
                                                     const double *Yhat, size_t n,
                                                     cvxrelu_error *err);
/* Scores of decoded predictions Yhat (n x c, as cvxrelu_model_predict gives them) into
   S (n x cvxrelu_model_score_columns(m)): class probabilities for a model trained with
   the logistic loss (two columns: the first class, the second) or the ce loss (softmax,
   one column per class; each row sums to 1); the raw outputs for any other loss. */
CVXRELU_API size_t cvxrelu_model_score_columns(const cvxrelu_model *m);
CVXRELU_API void cvxrelu_model_scores(const cvxrelu_model *m, const double *Yhat, size_t n,
                                      double *S);
/* Those scores as CSV (`cvxrelu predict --scores`): a header of the class labels ("value"
   for regression; the second class for the one raw output of two classes), one row per
   prediction; to path atomically, or to stdout when path is NULL. */
CVXRELU_API cvxrelu_status cvxrelu_scores_write(const char *path, const cvxrelu_model *m,
                                                const double *Yhat, size_t n,
                                                cvxrelu_error *err);
/* A model on labelled data (what `cvxrelu eval` reports). */
typedef struct {
    size_t n;
    cvxrelu_metrics metrics;
    double objective; /* the network's objective on these rows at the model's lambda */
    double lambda;
    double loss;      /* its data term: the mean of the model's loss on these rows */
} cvxrelu_evaluation;
/* Encode, predict, check that every output is finite (CVXRELU_ERR_NUMERIC otherwise),
   metrics and objective. */
CVXRELU_API cvxrelu_status cvxrelu_model_evaluate(const cvxrelu_model *m,
                                                  const cvxrelu_dataset *ds,
                                                  cvxrelu_evaluation *ev, cvxrelu_error *err);
/* What a model holds, as `cvxrelu info` prints it: kind, task, inputs and layout,
   outputs and classes, neurons, lambda and the training-time objective and gap. */
CVXRELU_API void cvxrelu_model_print(FILE *f, const cvxrelu_model *m);
/* The pattern statistics of a local run as CSV (step, objective, changed_neurons,
   mean_hamming, time_s), atomically. */
CVXRELU_API cvxrelu_status cvxrelu_local_records_write(const char *path,
                                                       const cvxrelu_local_result *r,
                                                       cvxrelu_error *err);

/* ----------------------------------------------------- certifying a network */

/* Parse a comma-separated list of s-bound names (cheap, spectral, sdp, subsets,
   exact, all) into a cvxrelu_certify_settings.bounds mask. */
CVXRELU_API cvxrelu_status cvxrelu_sbounds_parse(const char *list, unsigned *mask,
                                                 cvxrelu_error *err);

/* What `cvxrelu certify` computes (docs/api.md, "Certifying a network"). */
typedef struct {
    cvxrelu_certify_settings bounds; /* the [KP24] certificate's (its interrupt also
                                        stops the relaxation) */
    double lambda;           /* NAN: the model's; default NAN */
    int relaxation;          /* 0: none (default); 1 + cvxrelu_sdp_method: also the SDP
                                relaxation of [PBY24], a bound on every network */
    double relaxation_tol;   /* its relative accuracy; default 1e-4 */
    double max_memory_bytes; /* the relaxation is refused past this; 0 = the machine's
                                memory; default 0 */
    int threads;             /* BLAS threads: 0 = by size (default), > 0 that many, < 0 as
                                they are (as cvxrelu_train_settings.threads) */
} cvxrelu_certify_run_settings;

CVXRELU_API void cvxrelu_certify_run_settings_default(cvxrelu_certify_run_settings *s);

typedef struct {
    size_t n, d_raw, c, neurons;
    double lambda;
    double kp24_width;       /* cvxrelu_kp24_width(n, d, 0.05), informational */
    int dense;               /* the neurons feed every output: no [KP24] certificate */
    int certified;           /* certificate filled */
    cvxrelu_certificate certificate;
    double upper_bound;      /* the certificate's UB (the forward pass when dense) */
    double network_objective;/* the network's objective by a forward pass */
    double best_lower_bound; /* the larger of the certificate's and the relaxation's */
    int relaxed;             /* the relaxation was solved: the sdp_ fields */
    cvxrelu_sdp_method relaxation_method;
    cvxrelu_exit sdp_exit;
    double sdp_value, sdp_lower_bound, sdp_gap, sdp_time_s;
    size_t sdp_rank, sdp_iterations;
    cvxrelu_exit exit;       /* INTERRUPTED when a stop request cut a bound short */
} cvxrelu_certify_report;

/* CVXRELU_ERR_INVALID (with the reason) when m cannot be certified: a gated or
   three-layer model, or a dense second layer without the relaxation. */
CVXRELU_API cvxrelu_status cvxrelu_certify_check(const cvxrelu_model *m, int relaxation,
                                                 cvxrelu_error *err);
/* A ReLU network trained elsewhere: a weights file (docs/formats.md, "Weights files")
   on the input transform fitted to ds (task, standardize, bias as given). */
CVXRELU_API cvxrelu_status cvxrelu_model_from_weights_file(const char *path,
                                                           const cvxrelu_dataset *ds,
                                                           cvxrelu_task task, int standardize,
                                                           int bias, cvxrelu_model **out,
                                                           cvxrelu_error *err);
/* The certificate of m on labelled raw data ds (encoded with m's transform), and the
   relaxation's bound when asked for.  A stop request skips what is not yet computed
   (the bounds reported stay valid). */
CVXRELU_API cvxrelu_status cvxrelu_certify_run(const cvxrelu_model *m, const cvxrelu_dataset *ds,
                                               const cvxrelu_certify_run_settings *s,
                                               cvxrelu_certify_report *r, cvxrelu_error *err);
/* The report as JSON keys and as the text `cvxrelu certify` prints; network and data
   name the inputs. */
CVXRELU_API void cvxrelu_certify_report_json(cvxrelu_json *j, const cvxrelu_certify_report *r,
                                             const char *network, const char *data);
CVXRELU_API void cvxrelu_certify_report_print(FILE *f, const cvxrelu_certify_report *r,
                                              const char *network, const char *data);

/* ------------------------------------------------------------ synthetic data */

/*
 * A planted teacher, reproducible from a seed: X has i.i.d. N(0,1) entries
 * (n x d); a ReLU teacher with `hidden` neurons w_j ~ N(0, I/d) and output
 * weights a_jk ~ N(0,1) gives Y = sum_j (X w_j)_+ a_j^T + noise * N(0,1)
 * (n x c).  Both arrays are allocated.
 */
CVXRELU_API cvxrelu_status cvxrelu_synthetic_teacher(size_t n, size_t d, size_t c, size_t hidden,
                                         double noise, uint64_t seed, double **X_out,
                                         double **Y_out, cvxrelu_error *err);

/* --------------------------------------------------------------- utilities */

/* Name of the BLAS library and kernel in use (e.g. "OpenBLAS 0.3.21 SkylakeX"). */
CVXRELU_API const char *cvxrelu_blas_info(void);

/*
 * The OpenBLAS kernel this CPU should use ("SkylakeX" with AVX-512, "Haswell"
 * with AVX2, NULL when no better choice is known) if the one in use
 * (OpenBLAS's own detection) is slower; NULL when the running one is fine.
 * OpenBLAS reads OPENBLAS_CORETYPE only when it is loaded, so acting on this
 * needs a restart of the process (the CLI does that).
 */
CVXRELU_API const char *cvxrelu_blas_better_core(void);

/* Threads of the BLAS (process-wide, as OpenBLAS offers no other way); 0 = all cores. */
CVXRELU_API void cvxrelu_blas_set_threads(int threads);
/* The number of threads the BLAS uses now. */
CVXRELU_API int cvxrelu_blas_threads(void);
/* The thread count the CLI uses for a problem whose product X U^T has n x m
   entries and inner size d: one thread below about 2e7 multiply-adds, where
   splitting costs more than it saves (measured: 2x slower on 2 cores). */
CVXRELU_API int cvxrelu_blas_threads_for(size_t n, size_t d, size_t m);

/* Write a file atomically: fn writes to a temporary stream, which is renamed
   over path only when fn returns CVXRELU_OK and the stream flushed cleanly. */
typedef cvxrelu_status (*cvxrelu_writer)(FILE *f, void *user, cvxrelu_error *err);
CVXRELU_API cvxrelu_status cvxrelu_write_atomic(const char *path, cvxrelu_writer fn, void *user,
                                    cvxrelu_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CVXRELU_H */
