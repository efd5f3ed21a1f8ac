/* Private declarations shared by the library's source files. */
#ifndef CVXRELU_INTERNAL_H
#define CVXRELU_INTERNAL_H

#include "cvxrelu.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__GNUC__)
#define CR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CR_PRINTF(a, b)
#endif

/* Vectorize the next loop (a reduction into the named variable): the sum's order then
   depends on the vector width, deterministically for one build.  Needs -fopenmp-simd
   (no OpenMP runtime); without it the pragmas are ignored. */
#define CR_PRAGMA(x) _Pragma(#x)
#define CR_SIMD CR_PRAGMA(omp simd)
#define CR_SIMD_SUM(v) CR_PRAGMA(omp simd reduction(+ : v))

/* Fill err (may be NULL) with a formatted message; returns st. */
cvxrelu_status cr_fail(cvxrelu_error *err, cvxrelu_status st, const char *fmt, ...)
    CR_PRINTF(3, 4);

/* Allocation with overflow-checked sizes; NULL on overflow or failure. */
void *cr_malloc(size_t count, size_t size);
void *cr_calloc(size_t count, size_t size);
void *cr_realloc(void *p, size_t count, size_t size);
char *cr_strdup(const char *s);
/* a * b without overflow; 0 on success, -1 on overflow. */
int cr_mul_ok(size_t a, size_t b, size_t *out);

/* Seeded generator: xoshiro256** seeded through splitmix64. */
typedef struct {
    uint64_t s[4];
    int has_spare;
    double spare;
} cr_rng;

void cr_rng_seed(cr_rng *r, uint64_t seed);
uint64_t cr_rng_next(cr_rng *r);
double cr_rng_uniform(cr_rng *r);  /* in (0, 1) */
double cr_rng_normal(cr_rng *r);   /* N(0, 1), polar Box-Muller */
size_t cr_rng_below(cr_rng *r, size_t n); /* uniform in [0, n) */

/* Small dense SPD systems (k x k, row-major): Cholesky in place (lower
   triangle), -1 when a pivot falls below rel_tol times its diagonal entry;
   then the solve with the factor, b overwritten by the solution. */
int cr_chol(double *A, size_t k, double rel_tol);
/* Eigenvalues il..iu (1-based, ascending) of the symmetric k x k matrix A
   (destroyed) by LAPACK dsyevr, optionally eigenvectors Z (column j = Z + j k).
   0 on success. */
int cr_sym_eig_range(double *A, size_t k, int il, int iu, double *w, double *Z);
/* The eigenvalues above vl (ascending) and their eigenvectors; *m their count.
   w must hold k values and Z k columns (their count is not known in advance). */
int cr_sym_eig_above(double *A, size_t k, double vl, double *w, double *Z, size_t *m);
void cr_chol_solve(const double *L, double *b, size_t k);

/* Physical memory of this machine in bytes (a large value when unknown). */
double cr_physical_memory(void);

/* The exact program's method a solve uses (src/two_layer/driver.c): method, or for AUTO
   projected R-FISTA under a loss other than squared, else cvxrelu_relu_method_for. */
cvxrelu_relu_method cr_relu_method_pick(cvxrelu_relu_method method, cvxrelu_loss loss, size_t n,
                                        size_t d, size_t c, size_t P);

/* The format version a model file of m is written in (src/model/model_io.c). */
int cr_model_format_version(const cvxrelu_model *m);

/* The weight-decay term (lambda/2) sum_j (||w_j||^2 + a_j^2) of a network. */
double cr_model_penalty(const cvxrelu_model *m, double lambda);

/* Wall clock in seconds. */
double cr_now(void);

/* One CSV field (src/io/data.c): quoted, quotes doubled, when it holds a comma, a
   quote, a line break or blanks at its edges; else as is. */
void cr_csv_put_field(FILE *f, const char *s);

/* A stop request for a long phase: an interrupt flag (set from a signal
   handler) and a deadline on the cr_now() clock (0 = none). */
typedef struct {
    volatile sig_atomic_t *interrupt;
    double deadline;
} cr_stop;

/* From a time limit in seconds counted from now (0 = none). */
cr_stop cr_stop_after(volatile sig_atomic_t *interrupt, double time_limit_s);
/* 0: go on; else the outcome to report (CVXRELU_EXIT_INTERRUPTED or
   CVXRELU_EXIT_TIME_LIMIT, both non-zero): stop now. */
int cr_stop_check(const cr_stop *s);

/* The loop of an iterative phase: its stop request and deadline (the time limit
   counted from cr_loop_start), its iteration limit, its clock, and the outcome
   that ended it.  Every iterative phase runs through one:
       cr_loop_start(&loop, interrupt, time_limit_s, max_iter);
       while (!cr_loop_next(&loop)) { ...one iteration, its convergence test... }
       exit = loop.why;  (0 = ended by the phase itself: converged, say)
   A check inside an iteration (a kernel, a projection) is cr_loop_check, or
   cr_stop_check on &loop.stop where only the stop request travels. */
typedef struct {
    cr_stop stop;
    double t0;          /* cr_now() at the start */
    size_t iter;        /* iterations begun (less those abandoned) */
    size_t max_iter;    /* CR_LOOP_UNLIMITED: none */
    size_t min_iter;    /* the first min_iter iterations run whatever the stop request */
    size_t check_every; /* cr_loop_next checks the stop request when iter is a multiple;
                           0: never (the phase calls cr_loop_check where it can stop) */
    int ahead;          /* 1: under a deadline, cr_loop_next does not begin an iteration
                           that would end past it, judged by the last one's duration (for
                           iterations nothing can cut short) */
    double last;        /* cr_now() when the last iteration began (with ahead) */
    int why;            /* 0 while running; else a cvxrelu_exit (INTERRUPTED, TIME_LIMIT,
                           MAX_ITER) that ended the loop, kept once set */
    void (*beat)(void *user); /* NULL, or called by cr_loop_check once the cr_now() clock
                                 passes beat_next, which then moves beat_every on (the
                                 phase pushes beat_next on as it reports): a long step is
                                 still running */
    void *beat_user;
    double beat_next, beat_every;
} cr_loop;

#define CR_LOOP_UNLIMITED ((size_t)-1)

void cr_loop_start(cr_loop *l, volatile sig_atomic_t *interrupt, double time_limit_s,
                   size_t max_iter);
/* The same from limits (NULL = none). */
void cr_loop_start_limits(cr_loop *l, const cvxrelu_limits *limits, size_t max_iter);
/* A loop inside the phase of outer (NULL: none): its stop request and deadline, its
   own iteration limit and clock. */
void cr_loop_within(cr_loop *l, const cr_loop *outer, size_t max_iter);
/* Before an iteration: 0 to run it (counted in iter), else the outcome that ends the
   loop: CVXRELU_EXIT_MAX_ITER once max_iter iterations ran, then the stop request's
   CVXRELU_EXIT_INTERRUPTED or CVXRELU_EXIT_TIME_LIMIT (with ahead, also TIME_LIMIT
   when this iteration would end past the deadline). */
int cr_loop_next(cr_loop *l);
/* The stop request alone (NULL: none): 0 to go on, else INTERRUPTED or TIME_LIMIT (kept
   as the loop's outcome unless it has one). */
int cr_loop_check(cr_loop *l);
/* The stop request's outcome (INTERRUPTED or TIME_LIMIT) that ended the loop, else 0. */
int cr_loop_stopped(const cr_loop *l);
/* The iteration begun was cut short by why (a stop request inside it): not counted. */
void cr_loop_abandon(cr_loop *l, int why);
/* Seconds since cr_loop_start. */
double cr_loop_elapsed(const cr_loop *l);

/* Parse a double from the whole of [s, end); 0 on success. */
int cr_parse_double(const char *s, const char *end, double *out);

/* src/path.c: choose lambda by K-fold cross-validation over the path's grid on the
   encoded training problem pb with its patterns (the gates are reused on each fold);
   on_lambda after each lambda.  deadline: cr_now() based, 0 = none.  Fills cv (its arrays
   owned: cr_cv_report_free). */
cvxrelu_status cr_cv_lambda(const cvxrelu_problem *pb, const cvxrelu_encoding *enc,
                            const cvxrelu_patterns *pat, const cvxrelu_train_settings *s,
                            double deadline, cvxrelu_cv_report *cv,
                            void (*on_lambda)(void *user), void *user, cvxrelu_error *err);
void cr_cv_report_free(cvxrelu_cv_report *cv);
/* The solver settings of a train settings (program GATED or RELU): its solver, tol,
   tol_feas, precision, screening, preconditioning, relu_method, max_iter, interrupt and
   lambda (as given); no callback, no time limit. */
void cr_train_solver_settings(const cvxrelu_train_settings *s, cvxrelu_settings *set);
/* The bound on configurations that a three-layer sampling passes
   (cvxrelu_configs_sample_limited's max_configs): one more than the sampled ones that fit
   in limit bytes beside extra configurations added later, or 0 when all samples fit. */
size_t cr_relu3_sample_cap(size_t n, size_t d, size_t c, size_t width1, size_t samples,
                           double extra, double limit);
/* The gates whose patterns come before the sampled ones (program GATED or RELU): the
   warm model's, the given ones, then the linear gate (settings.linear_gate, with a bias
   column, patterns > 0, neither width nor all_patterns: the gate along the bias column, whose
   pattern is every row).  *G0 (allocated, *m0 x enc->d; NULL when *m0 = 0). */
cvxrelu_status cr_train_gates(const cvxrelu_train_settings *s, const cvxrelu_encoding *enc,
                              double **G0, size_t *m0, cvxrelu_error *err);

/* Growing (src/grow.c): up to want new gates (allocated, *m_out x d) whose distinct new
   patterns have ||X^T D R_k|| / N (relu: |<X^T D R_k, g>| / (N ||g||)) above threshold
   for some output k, most violated first,
   found by a seeded heuristic search; R = Yhat - Y (n x c); *max_score: the largest
   score seen among candidates whose pattern is not in pat (looked for among the first
   4096 in order; 0 when none is new). */
cvxrelu_status cr_grow_search(const cvxrelu_problem *pb, const double *R,
                              const cvxrelu_patterns *pat, int relu, size_t want,
                              double threshold, uint64_t seed, double **G_out, size_t *m_out,
                              double *max_score, cvxrelu_error *err);

/* Regression: fit the targets' standardization on train into enc (a constant or
   non-finite target leaves them as given); decode: encoded outputs (n x c) to the
   targets' units, in place. */
void cr_encoding_fit_targets(cvxrelu_encoding *enc, const cvxrelu_dataset *train);
void cr_encoding_decode(const cvxrelu_encoding *enc, double *Yhat, size_t n);

#endif
