/* Private: the solver object, its kernels and the solver-type table. */
#ifndef CVXRELU_SOLVER_H
#define CVXRELU_SOLVER_H

#include "internal.h"

/* One solver's mathematics; the driver loop in driver.c owns the rest. */
typedef struct {
    const char *name;
    /* Allocate state and evaluate the starting point (s->U). */
    cvxrelu_status (*init)(cvxrelu_solver *s, void **state, cvxrelu_iterate_info *info);
    /* One iteration; fills info (objective, dual, gap, step, active); sets
       *stalled when no further progress is possible. */
    cvxrelu_status (*iterate)(cvxrelu_solver *s, void *state, cvxrelu_iterate_info *info,
                              int *stalled);
    /* Final exact certificate at s->U. */
    cvxrelu_status (*finish)(cvxrelu_solver *s, void *state, cvxrelu_result *res);
    void (*free)(void *state);
    size_t per_pattern; /* groups per pattern and output: 1 (gated), 2 (the two cones) */
    int single;         /* float32 products available */
    int screening;      /* gap-safe screening of groups available */
    int gradient;       /* the data term is unconstrained: cvxrelu_solver_gradient applies */
    /* predictions on the training rows at s->U (NULL: the masked forward product) */
    void (*predict)(cvxrelu_solver *s, double *Yhat);
    /* doubles of the solver's own arrays for m groups of d, nc = n c, P patterns
       (saturating at SIZE_MAX) */
    size_t (*doubles)(size_t n, size_t d, size_t m, size_t nc, size_t P);
} cr_solver_type;

/* The working set's threshold (docs/algorithms.md, "The working set"): groups zero at the
   start whose gradient norm is under this fraction of lambda start outside the products. */
#define CR_WORKING_SET_TAU 0.99

/* Rows per block of the masked products (about 8 M entries of work per block). */
size_t cr_block_rows(size_t n, size_t d, size_t m);
/* a*b + c with overflow saturating to SIZE_MAX */
static inline size_t cr_sat_muladd(size_t a, size_t b, size_t c)
{
    size_t p;
    if (cr_mul_ok(a, b, &p) || p > SIZE_MAX - c) return SIZE_MAX;
    return p + c;
}

extern const cr_solver_type cr_rfista_type;
extern const cr_solver_type cr_relu_type;      /* projected R-FISTA (exact_relu.c) */
extern const cr_solver_type cr_relu_admm_type; /* ADMM (relu_admm.c) */

struct cvxrelu_solver {
    const double *X;
    size_t n, d;
    const double *Y;
    size_t c;
    cvxrelu_loss loss;    /* the data term's (squared unless the problem says) */
    double delta;         /* Huber's */
    const cvxrelu_patterns *pat;
    size_t P, m;          /* m groups: P c (gated) or 2 P c (ReLU) */
    double N;             /* n c */
    cvxrelu_settings set;
    double *U;            /* m x d, owned */
    double *work;         /* nb x m block workspace */
    uint64_t *rowbits;    /* the patterns transposed: row j holds bit i of pattern i
                             in word j * wr + i / 64 (for the mask-and-sum loops) */
    size_t wr;            /* words per row: ceil(P / 64) */
    size_t nb;
    double lambda_max;    /* < 0 until computed */
    double step;          /* last step size, reused by warm starts; 0 = unknown */
    double lipschitz;     /* upper bound on the data term's gradient Lipschitz constant */
    double kept_dual;     /* best dual value found by earlier solves ... */
    double kept_lambda;   /* ... at this lambda (NaN: none); a dual value stays valid */
    size_t matvecs;
    double gemm_time;
    cr_loop loop;         /* this solve's: interrupt flag, deadline, iteration limit */
    cvxrelu_iterate_info beat_info; /* the last report, for the heartbeats (loop.beat) */
    int stopped;          /* set by a solver that cut a phase short (an outcome of
                             cr_loop_check on loop); the driver then ends the solve */
    const cr_solver_type *type;
    /* float32 products (gated, settings.single_precision): X in float, and float
       scratch for the weights, the row block and the gradient; single_active = 0
       makes the kernels compute in double (certificates) */
    float *Xf, *Uf, *workf, *Gf;
    int single_active;
    /* gap-safe screening and the working set (gated, settings.screening and
       working_set): live[g] is 1 for the groups in the products (act[0..ma)), 2 for
       those proven zero at the optimum, 3 for those left out of the working set */
    unsigned char *live;
    size_t *act, ma;
    size_t *act_word;     /* ma: word of the live group's pattern bit in a rowbits row ... */
    uint64_t *act_mask;   /* ... its bit ... */
    size_t *act_k;        /* ... and its output */
    uint64_t *cbits;      /* n x cw: row j holds bit a when live column a's pattern holds j */
    size_t cw;            /* words per row of cbits: ceil(ma / 64) */
    double *Ua, *Ga;      /* ma x d: live weights, live gradient */
    double *patnorm;      /* P: ||D_i X||_F, a bound on ||D_i X||_2 */
    size_t screened;      /* groups screened in this solve */
    size_t ws_out, ws_back; /* this solve's: left out of the working set, brought back */
    int screen_on;        /* settings.screening (live[] may exist for the working set alone) */
    double ws_tau;        /* working set (settings.working_set): a group zero at the start
                             whose gradient norm is under ws_tau lambda starts outside the
                             products (live = 3) until a whole-program certificate finds
                             that it could leave zero; 0 = none */
    int xnorm_done;       /* patnorm already capped by ||X||_2 */
    /* preconditioning (gated, settings.precondition; src/two_layer/precond.c): X^T X / n =
       pq^T diag(ev) pq with the eigenvectors in pq's rows (d x d), ps = the metric's
       diagonal (ev raised to a floor); pq_state 0 = not tried, 1 = ready, -1 = not used */
    double *pq, *ps;
    int pq_state;
    double bytebits[256][8]; /* bit t of byte b as 0.0 / 1.0: the mask loops' table */
};

/* LAPACK's Cholesky factorization and solve (provided by OpenBLAS; Fortran calling
   convention), used by relu_admm.c and relu_polish.c. */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
                    const int *lda, double *b, const int *ldb, int *info, size_t);

/* Yhat (n x c) = sum_i D_i X u_ik for the weights U (m x d). */
void cr_forward(cvxrelu_solver *s, const double *U, double *Yhat);
/* ReLU program: predictions (n x c) of the current weights. */
void cr_relu_predict(cvxrelu_solver *s, double *Yhat);
/* G (m x d), row i c + k = X^T D_i R_k (unscaled). */
void cr_backward(cvxrelu_solver *s, const double *R, double *G);
/* Largest row norm of G (m x d). */
double cr_max_group_norm(const double *G, size_t m, size_t d);
/* Sum of row norms of U and the number of non-zero rows. */
double cr_group_norm_sum(const double *U, size_t m, size_t d, size_t *active);
/* Dual value of docs/algorithms.md, "The certificate: the duality gap" from a residual R = Yhat - Y (N entries) and
   gmax = max_{i,k} ||X^T D_i R_k||. */
double cr_dual_value(const double *R, const double *Y, size_t N, double gmax, double lambda);
/* the same at a given scale alpha of R (the squared-loss branch of cr_loss_dual_at) */
double cr_sq_dual_at(const double *R, const double *Y, size_t N, double alpha);
/* loss.c: the sum of the losses at Yhat, R (may be NULL) their derivatives; the dual
   value at the scaled derivatives R; the loss's largest second derivative; the check
   of a problem's targets against its loss. */
double cr_loss_residual(cvxrelu_loss loss, double delta, const double *Yhat, const double *Y,
                        double *R, size_t n, size_t c);
/* The solver's data term at predictions Yhat: the mean loss; R (may be NULL) each entry's
   derivative (squared loss: the residual Yhat - Y). */
static inline double cr_data_term(const cvxrelu_solver *s, const double *Yhat, double *R)
{
    return cr_loss_residual(s->loss, s->delta, Yhat, s->Y, R, s->n, s->c) / s->N;
}
/* -(1/N) sum_i l_i*(alpha R_i): the dual value at the point alpha R (R the loss
   derivative at some predictions; valid for alpha in [0, 1], any alpha for squared
   loss) */
double cr_loss_dual_at(cvxrelu_loss loss, const double *R, const double *Y, size_t n, size_t c,
                       double alpha);
/* the largest of those values over alpha in [0, amax] (concave in alpha) */
double cr_loss_dual_best(cvxrelu_loss loss, const double *R, const double *Y, size_t n,
                         size_t c, double amax);
double cr_loss_dual(cvxrelu_loss loss, const double *R, const double *Y, size_t n, size_t c,
                    double gmax, double lambda);
double cr_loss_smoothness(cvxrelu_loss loss);
cvxrelu_status cr_loss_check(const cvxrelu_problem *pb, cvxrelu_error *err);
/* loss.c: lambda_max, the largest group norm of the loss derivative at zero predictions
   over N (Z, R: n c scratch, G: m d scratch; cr_backward's products, any loss) */
double cr_lambda_max_at_zero(cvxrelu_solver *s, double *Z, double *R, double *G);

/* Preconditioning (src/two_layer/precond.c).  Setup: 0 when the metric is ready, -1 when it is
   not used (d above the limit or above n, no memory, LAPACK failure). */
int cr_precond_setup(cvxrelu_solver *s);
/* At = A pq^T (rows x d): into the eigenvector coordinates ... */
void cr_precond_rotate(const cvxrelu_solver *s, const double *A, double *At, size_t rows);
/* ... and A = At pq back. */
void cr_precond_unrotate(const cvxrelu_solver *s, const double *At, double *A, size_t rows);
/* In place on one rotated group: argmin_w 1/2 sum_j sv_j (w_j - z_j)^2 + tau ||w||;
   smin and smax are the smallest and largest sv_j (ps is ascending: ps[0], ps[d-1]). */
void cr_precond_prox(const double *sv, double smin, double smax, double *z, size_t d, double tau);

/* ---- R-FISTA bookkeeping shared by the solvers (docs/algorithms.md, "The solver: R-FISTA") ---- */

/* The backtracking ratio for a quadratic data term: with D = Unew - V,
   f(Unew) - f(V) - <grad f(V), D> = ||Yhat(Unew) - Yhat(V)||^2 / (2N) exactly, so
   the test f(Unew) <= f(V) + <grad, D> + ||D||^2/(2t) reads ratio <= 1 with
   ratio = t ||Ynew - Yv||^2 / (N ||D||^2), free of cancellation near the optimum.
   With metric (d weights, applied to every row of length d) the norm is
   sum w_j D_j^2 (the preconditioned solver's); NULL: Euclidean. */
/* The step test for a loss other than squared: the smaller of ratio (the quadratic
   model with the loss's largest curvature, always valid) and the test on the loss's
   own values, 2 t (fnew - fv - <Rv, Ynew - Yv> / N) / quad, quad the squared (metric)
   length of the step: both are sufficient-decrease conditions of the proximal
   gradient step; the second accepts the longer steps where the loss is flatter. */
double cr_step_ratio_loss(cvxrelu_loss loss, double ratio, double fnew, double fv,
                          const double *Rv, const double *Ynew, const double *Yv, size_t nc,
                          double t, double N, double quad);
/* quad_out (may be NULL): ||Unew - V||^2 in the metric, what cr_step_ratio_loss takes */
double cr_step_ratio(const double *Ynew, const double *Yv, size_t nc, const double *Unew,
                     const double *V, size_t md, double t, double N, const double *metric,
                     size_t d, double *quad_out);
/* Gradient-mapping restart test (in the same metric) and the momentum update;
   returns 1 on restart. */
int cr_fista_momentum(const double *U, const double *Unew, const double *V, size_t md,
                      double *beta, double *mom, const double *metric, size_t d);
/* Grow the step after an easy one (the ratio used at most half of the bound):
   growing after every step would make every other iteration pay a failed trial. */
static inline double cr_next_step(double t, double ratio) { return ratio <= 0.5 ? 1.25 * t : t; }
/* The same with the growth factor given (the gated solver's setting). */
static inline double cr_next_step_by(double t, double ratio, double growth)
{
    return ratio <= 0.5 ? growth * t : t;
}
/* R = Yhat - Y over N entries; returns ||R||^2 (the data term of both programs). */
static inline double cr_sq_residual(const double *Yhat, const double *Y, double *R, size_t N)
{
    double acc = 0.0;
    for (size_t i = 0; i < N; i++) {
        R[i] = Yhat[i] - Y[i];
        acc += R[i] * R[i];
    }
    return acc;
}
/* out = cur + b (cur - prev): the FISTA extrapolation (a copy when b = 0) */
static inline void cr_extrapolate(double *out, const double *cur, const double *prev, size_t len,
                                  double b)
{
    if (b == 0.0) {
        for (size_t i = 0; i < len; i++) out[i] = cur[i];
        return;
    }
    for (size_t i = 0; i < len; i++) out[i] = cur[i] + b * (cur[i] - prev[i]);
}
/* prev <- cur <- next, the old prev becoming the next scratch buffer */
static inline void cr_rotate(double **prev, double **cur, double **next)
{
    double *tmp = *prev;
    *prev = *cur;
    *cur = *next;
    *next = tmp;
}

/* Gap-safe screening (Ndiaye et al.): the dual optimum lies within
   sqrt(2 gap / N) of any dual-feasible Theta (the dual is N-strongly concave),
   so a group whose ||X^T D_i Theta_k|| + radius ||D_i X|| < lambda is zero at
   every optimum.  scale ||G_g|| must be ||X^T D_i Theta_k|| for every group not
   yet screened (G the gradient rows, Theta = -alpha R / N), gap = P(U) - D(Theta)
   for any U, both of the problem whose optimum is the program's (the whole
   program, or the screened one).  Screened groups (live = 2) are zeroed in U and
   leave the products; *touched is set when one of them was non-zero; returns
   how many were screened now. */
size_t cr_screen(cvxrelu_solver *s, const double *G, double scale, double gap, int *touched);
/* Every group back in the products. */
void cr_unscreen(cvxrelu_solver *s);
/* act[] and ma from live[] (1 = in the products, 2 = screened, 3 = outside the
   working set). */
void cr_live_rebuild(cvxrelu_solver *s);

#endif
