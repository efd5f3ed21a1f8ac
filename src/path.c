/*
 * Regularization paths and the choice of lambda by cross-validation (docs/api.md,
 * "Regularization paths"; docs/algorithms.md, "Choosing lambda"): the geometric grid
 * from lambda_max down, each solve warm-started from the one before (the solver keeps
 * its weights; gap-safe screening starts afresh at each lambda).
 */
#include "cvxrelu.h"
#include "internal.h"
#include "two_layer.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cross-validation stops once this many lambdas in a row bring no new best mean
   (path.early_stop) */
#define CR_CV_PATIENCE 3

void cvxrelu_path_settings_default(cvxrelu_path_settings *s)
{
    memset(s, 0, sizeof *s);
    s->lambdas = 20;
    s->min_ratio = 1e-3;
    s->folds = 5;
    s->rule = CVXRELU_CV_MIN;
    s->cv_tol = 1e-4;
    s->early_stop = 1;
}

const char *cvxrelu_path_model_string(const cvxrelu_path_report *r)
{
    return r->program == CVXRELU_TRAIN_RELU    ? "relu"
         : r->program == CVXRELU_TRAIN_RELU3 ? "relu3"
                                             : "gated";
}

void cvxrelu_path_report_free(cvxrelu_path_report *r)
{
    if (!r) return;
    free(r->points);
    r->points = NULL;
}

void cr_cv_report_free(cvxrelu_cv_report *cv)
{
    free(cv->grid);
    free(cv->mean);
    free(cv->se);
    cv->grid = cv->mean = cv->se = NULL;
}

/* The grid: lambdas geometric from lambda_max down to min_ratio lambda_max. */
static double *make_grid(double lmax, const cvxrelu_path_settings *ps)
{
    const size_t K = ps->lambdas ? ps->lambdas : 1;
    double *g = cr_malloc(K, sizeof(double));
    if (!g) return NULL;
    const double r = ps->min_ratio > 0.0 && ps->min_ratio < 1.0 ? ps->min_ratio : 1e-3;
    for (size_t k = 0; k < K; k++)
        g[k] = K == 1 ? lmax * r : lmax * pow(r, (double)k / (double)(K - 1));
    return g;
}

void cr_train_solver_settings(const cvxrelu_train_settings *s, cvxrelu_settings *set)
{
    cvxrelu_settings_default(set);
    set->solver = s->program == CVXRELU_TRAIN_RELU ? CVXRELU_SOLVER_RELU : CVXRELU_SOLVER_RFISTA;
    set->relu_method = s->relu_method;
    set->polish = s->polish;
    set->lambda = s->lambda;
    set->tol = s->tol;
    set->tol_feas = s->tol_feas;
    set->single_precision = s->single_precision;
    set->screening = s->screening;
    set->working_set = s->working_set;
    set->precondition = s->precondition;
    set->max_iter = s->max_iter;
    set->interrupt = s->interrupt;
}

cvxrelu_status cr_train_gates(const cvxrelu_train_settings *s, const cvxrelu_encoding *enc,
                              double **G0, size_t *m0, cvxrelu_error *err)
{
    const cvxrelu_model *w = s->warm;
    const size_t d = enc->d, mw = w ? w->m : 0, mg = s->gates ? s->n_gates : 0;
    const size_t ml =
        s->linear_gate && enc->bias && s->patterns && !s->width && !s->all_patterns ? 1 : 0;
    *G0 = NULL;
    *m0 = mw + mg + ml;
    if (!*m0) return CVXRELU_OK;
    if (!(*G0 = calloc(*m0 * d, sizeof(double))))
        return cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    if (mw) memcpy(*G0, w->G ? w->G : w->W, mw * d * sizeof(double));
    if (mg) memcpy(*G0 + mw * d, s->gates, mg * d * sizeof(double));
    if (ml) (*G0)[(mw + mg) * d + d - 1] = 1.0; /* the bias column is the last */
    return CVXRELU_OK;
}

/* The network of the solver's weights at lambda (enc copied). */
static cvxrelu_status network_of(const cvxrelu_solver *sv, const cvxrelu_patterns *pat, size_t c,
                                 double lambda, int relu, const cvxrelu_encoding *enc,
                                 cvxrelu_model **m, cvxrelu_error *err)
{
    cvxrelu_encoding *e = cvxrelu_encoding_copy(enc);
    if (!e) return cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    const double *U = cvxrelu_solver_weights(sv);
    return relu ? cvxrelu_model_from_relu(pat, U, c, lambda, e, m, err)
                : cvxrelu_model_from_gated(pat, U, c, lambda, e, m, err);
}

/* Metrics of a network on encoded rows (NaN when n is 0). */
static cvxrelu_status metrics_on(const cvxrelu_model *m, const double *X, const double *Y,
                                 size_t n, cvxrelu_metrics *mt, cvxrelu_error *err)
{
    *mt = (cvxrelu_metrics){NAN, NAN};
    if (!n) return CVXRELU_OK;
    double *Yhat = cr_malloc(n, m->enc->c * sizeof(double));
    if (!Yhat) return cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    cvxrelu_model_forward(m, X, n, Yhat);
    *mt = cvxrelu_metrics_of(m->enc, Yhat, Y, n);
    free(Yhat);
    return CVXRELU_OK;
}

/* What a walk along the grid reports at each lambda. */
typedef cvxrelu_status (*point_fn)(void *user, size_t k, const cvxrelu_solver *sv,
                                   const cvxrelu_result *res, cvxrelu_error *err);

/* The start of a warm solve along the path (gated program): the solutions at the last
   two lambdas extrapolated linearly in log lambda to the next one, U + r (U - U_prev),
   r = log(lambda / lam) / log(lam / lam_prev); the solution path is piecewise smooth in
   lambda, so this start lies nearer the new solution than U itself (12-25 % fewer
   iterations along the paths of the small bundled sets: docs/algorithms.md, "Choosing
   lambda").  Only the start changes: the solve and its certificate are as before. */
typedef struct {
    double *prev;    /* m x d: the solution at lam_prev (valid when have == 2) */
    double lam_prev, lam;
    int have;        /* 0: nothing; 1: the solver's weights are the solution at lam; 2: and prev */
} path_predictor;

static void predictor_start(cvxrelu_solver *sv, path_predictor *pr, double lambda)
{
    if (sv->set.solver != CVXRELU_SOLVER_RFISTA) return;
    const size_t md = sv->m * sv->d;
    if (pr->have == 2 && pr->lam_prev != pr->lam && lambda != pr->lam) {
        const double r = log(lambda / pr->lam) / log(pr->lam / pr->lam_prev);
        for (size_t i = 0; i < md; i++) { /* prev becomes the current solution */
            const double u = sv->U[i];
            sv->U[i] = u + r * (u - pr->prev[i]);
            pr->prev[i] = u;
        }
    } else if (pr->have >= 1) {
        if (!pr->prev) pr->prev = malloc(md * sizeof(double));
        if (pr->prev)
            memcpy(pr->prev, sv->U, md * sizeof(double));
        else
            pr->have = 0; /* no memory for the chain: plain warm starts */
    }
}

/* After the solve at lambda: converged (ok) keeps the chain, anything else ends it. */
static void predictor_end(path_predictor *pr, double lambda, int ok)
{
    pr->have = !ok ? 0 : pr->have >= 1 ? 2 : 1; /* prev holds the solution at lam */
    pr->lam_prev = pr->lam;
    pr->lam = lambda;
}

/* One grid point on a warm solver: the stop request and the deadline (cr_now() based,
   0 = none) checked first and passed on; *stop: INTERRUPTED or TIME_LIMIT when the point
   was not solved in full (before or inside the solve), else CONVERGED.  pr: the
   predicted start. */
/* Before a grid point: INTERRUPTED after a stop request, TIME_LIMIT past the deadline
   (cr_now() based, 0 = none), else CONVERGED with *left the time left (0: no limit). */
static cvxrelu_exit before_point(volatile sig_atomic_t *interrupt, double deadline,
                                 double *left)
{
    if (interrupt && *interrupt) return CVXRELU_EXIT_INTERRUPTED;
    *left = deadline > 0.0 ? deadline - cr_now() : 0.0;
    return deadline > 0.0 && *left <= 0.0 ? CVXRELU_EXIT_TIME_LIMIT : CVXRELU_EXIT_CONVERGED;
}

static cvxrelu_status solve_at(cvxrelu_solver *sv, double lambda, double deadline,
                               cvxrelu_result *res, cvxrelu_exit *stop, path_predictor *pr,
                               cvxrelu_error *err)
{
    double left = 0.0;
    if ((*stop = before_point(sv->set.interrupt, deadline, &left)) != CVXRELU_EXIT_CONVERGED)
        return CVXRELU_OK;
    sv->set.time_limit_s = left;
    cvxrelu_status st = cvxrelu_solver_set_lambda(sv, lambda);
    if (!st) predictor_start(sv, pr, lambda);
    if (!st) st = cvxrelu_solver_solve(sv, res, err);
    if (!st && (res->exit == CVXRELU_EXIT_INTERRUPTED || res->exit == CVXRELU_EXIT_TIME_LIMIT))
        *stop = res->exit;
    predictor_end(pr, lambda, !st && res->exit == CVXRELU_EXIT_CONVERGED);
    return st;
}

/* Solve at grid[0..K-1] in turn on one solver (warm starts); *done: the lambdas
   solved before a stop request or the deadline (cr_now() based; 0 = none). */
static cvxrelu_status walk(const cvxrelu_problem *pb, const cvxrelu_patterns *pat,
                           const cvxrelu_settings *set0, const double *grid, size_t K,
                           double deadline, point_fn point, void *user, size_t *done,
                           cvxrelu_exit *exit, cvxrelu_error *err)
{
    *done = 0;
    *exit = CVXRELU_EXIT_CONVERGED;
    cvxrelu_settings set = *set0;
    set.lambda = grid[0];
    cvxrelu_solver *sv = NULL;
    cvxrelu_status st = cvxrelu_solver_new(pb, pat, &set, &sv, err);
    path_predictor pr = {0};
    for (size_t k = 0; k < K && !st; k++) {
        cvxrelu_result res;
        if ((st = solve_at(sv, grid[k], deadline, &res, exit, &pr, err)) ||
            *exit != CVXRELU_EXIT_CONVERGED) /* a lambda cut short is not reported */
            break;
        if ((st = point(user, k, sv, &res, err))) break;
        *done = k + 1;
    }
    free(pr.prev);
    cvxrelu_solver_free(sv);
    return st;
}

/* ------------------------------------------------------------ the path */

typedef struct {
    cvxrelu_path_report *r;
    const cvxrelu_train_settings *s;
    const cvxrelu_patterns *pat;
    const cvxrelu_encoding *enc;
    const double *X, *Y, *Xt, *Yt;
    size_t n, nt;
    double t0;
} path_ctx;

/* Point k's network m (st: how making it went; m is freed): its train and test
   metrics and neurons, then the caller's on_point. */
static cvxrelu_status point_network(path_ctx *p, size_t k, cvxrelu_status st, cvxrelu_model *m,
                                    cvxrelu_error *err)
{
    cvxrelu_path_point *q = p->r->points + k;
    if (!st) st = metrics_on(m, p->X, p->Y, p->n, &q->train, err);
    if (!st) st = metrics_on(m, p->Xt, p->Yt, p->nt, &q->test, err);
    if (!st) q->neurons = m->m;
    cvxrelu_model_free(m);
    p->r->n_points = k + 1;
    if (!st && p->s->path.on_point) p->s->path.on_point(q, k, p->s->path.point_data);
    return st;
}

static cvxrelu_status path_point(void *user, size_t k, const cvxrelu_solver *sv,
                                 const cvxrelu_result *res, cvxrelu_error *err)
{
    path_ctx *p = user;
    cvxrelu_path_point *q = p->r->points + k;
    const int relu = p->s->program == CVXRELU_TRAIN_RELU;
    q->objective = res->objective;
    q->dual = res->dual;
    q->gap = res->gap;
    q->exit = res->exit;
    q->iterations = res->iterations;
    q->active = res->active_groups;
    q->time_s = res->solve_time_s;
    cvxrelu_model *m = NULL;
    cvxrelu_status st = network_of(sv, p->pat, p->enc->c, q->lambda, relu, p->enc, &m, err);
    return point_network(p, k, st, m, err);
}

/* ------------------------------------------------ the three-layer path */

size_t cr_relu3_sample_cap(size_t n, size_t d, size_t c, size_t width1, size_t samples,
                           double extra, double limit)
{
    double b0, b1;
    cvxrelu_relu3_cost(n, d, c, width1, 0, NULL, NULL, &b0);
    cvxrelu_relu3_cost(n, d, c, width1, 1, NULL, NULL, &b1);
    double fit = floor((limit - b0) / (b1 - b0)) - extra; /* sampled ones that fit */
    if (fit < 0.0) fit = 0.0;
    return fit >= (double)samples ? 0 : (size_t)fit + 1;
}


/* A lambda from which the zero network is optimal for the three-layer program: the
   largest norm of the data term's gradient at zero over the blocks w_gl, ||X^T D1_pl
   D2_p Y_k|| / N (the cones only take directions away, so zero may be optimal from a
   smaller lambda, as for the exact two-layer program). */
static double relu3_lambda_max(const cvxrelu_configs *cf, const cvxrelu_problem *pb)
{
    const size_t n = pb->n, d = pb->d, c = pb->c, m1 = cf->width1, w = cf->words;
    double *g = cr_calloc(d, sizeof(double)), best = 0.0;
    if (!g) return NAN;
    for (size_t p = 0; p < cf->P; p++)
        for (size_t l = 0; l < m1; l++)
            for (size_t k = 0; k < c; k++) {
                const uint64_t *b1 = cf->bits1 + (p * m1 + l) * w, *b2 = cf->bits2 + p * w;
                memset(g, 0, d * sizeof(double));
                for (size_t j = 0; j < n; j++)
                    if ((b1[j / 64] & b2[j / 64]) >> (j % 64) & 1u)
                        cblas_daxpy((int)d, pb->Y[j * c + k], pb->X + j * d, 1, g, 1);
                const double v = cblas_dnrm2((int)d, g, 1);
                if (v > best) best = v;
            }
    free(g);
    return best / (double)(n * c);
}

/* The path of the three-layer program (s->program RELU3): the configurations sampled
   once as cvxrelu_train samples them (s->subnets, s->width1, s->seed; refused before
   any solve past the memory budget), then each lambda solved by the augmented
   Lagrangian started at the solution before. */
static cvxrelu_status relu3_path(path_ctx *p, const cvxrelu_problem *pb, double deadline,
                                 cvxrelu_error *err)
{
    const cvxrelu_train_settings *s = p->s;
    cvxrelu_path_report *r = p->r;
    const size_t n = pb->n, d = pb->d, c = pb->c, m1 = s->width1;
    if (m1 == 0) return cr_fail(err, CVXRELU_ERR_INVALID, "relu3: width1 must be >= 1");
    if (s->subnets == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID, "relu3 path: subnets must be >= 1");
    if (pb->loss != CVXRELU_LOSS_SQUARED)
        return cr_fail(err, CVXRELU_ERR_UNSUPPORTED,
                       "the three-layer program is solved under the squared loss only");
    const double limit = s->max_memory_bytes > 0 ? s->max_memory_bytes : cr_physical_memory();
    const size_t samples = (s->subnets + 1) / 2;
    const size_t cap = cr_relu3_sample_cap(n, d, c, m1, samples, 0.0, limit);
    cvxrelu_limits lim = {deadline > 0.0 ? fmax(deadline - cr_now(), 1e-9) : 0.0, s->interrupt};
    cvxrelu_exit cex = CVXRELU_EXIT_CONVERGED;
    cvxrelu_configs *cf = NULL;
    double *W = NULL, *grid = NULL;
    cvxrelu_status st = cvxrelu_configs_sample_limited(pb->X, n, d, m1, samples, s->seed, cap,
                                                       &lim, &cf, &cex, err);
    if (st) goto out;
    r->patterns = cf->P;
    r->exit = cex;
    if (cex != CVXRELU_EXIT_CONVERGED) goto out; /* stopped while sampling: no lambda */
    if (cap && cf->P >= cap) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM,
                     "the three-layer program needs more than the %.3g GiB available for the "
                     "%zu configurations found (width1 %zu, n=%zu, d=%zu, c=%zu): refused "
                     "before solving (ask for fewer sub-networks)",
                     limit / 1073741824.0, cf->P, m1, n, d, c);
        goto out;
    }
    if (cf->P == 0) {
        st = cr_fail(err, CVXRELU_ERR_NUMERIC,
                     "no configuration with an active second layer was found (%zu sub-networks "
                     "asked): ask for more", s->subnets);
        goto out;
    }
    r->lambda_max = relu3_lambda_max(cf, pb);
    const size_t K = s->path.lambdas ? s->path.lambdas : 1;
    if (!isfinite(r->lambda_max) || !(grid = make_grid(r->lambda_max, &s->path)) ||
        !(r->points = calloc(K, sizeof *r->points))) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < K; k++) r->points[k].lambda = grid[k];
    for (size_t k = 0; k < K; k++) {
        double left = 0.0;
        const cvxrelu_exit why = before_point(s->interrupt, deadline, &left);
        if (why != CVXRELU_EXIT_CONVERGED) {
            r->exit = why;
            break;
        }
        cvxrelu_relu3_settings rs = s->relu3;
        rs.lambda = grid[k];
        rs.time_limit_s = left;
        rs.interrupt = s->interrupt;
        rs.callback = NULL;
        rs.start = W; /* the solution at the lambda before (NULL: zero) */
        cvxrelu_relu3_result res;
        double *Wn = NULL;
        st = cvxrelu_relu3_solve(pb, cf, &rs, &Wn, &res, err);
        if (st) {
            free(Wn);
            break;
        }
        free(W);
        W = Wn;
        if (res.exit == CVXRELU_EXIT_INTERRUPTED || res.exit == CVXRELU_EXIT_TIME_LIMIT) {
            r->exit = res.exit; /* a lambda cut short is not reported */
            break;
        }
        cvxrelu_path_point *q = r->points + k;
        q->objective = res.objective;
        q->dual = res.dual;
        q->gap = res.gap;
        q->exit = res.exit;
        q->iterations = res.iterations;
        q->active = res.active;
        q->time_s = res.time_s;
        cvxrelu_model *m = NULL;
        cvxrelu_encoding *e = cvxrelu_encoding_copy(p->enc);
        st = e ? cvxrelu_model_from_relu3(cf, W, c, grid[k], e, &m, err)
               : cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
        if ((st = point_network(p, k, st, m, err))) break;
    }
out:
    cvxrelu_configs_free(cf);
    free(W);
    free(grid);
    return st;
}

cvxrelu_status cvxrelu_path(const cvxrelu_dataset *train, const cvxrelu_dataset *test,
                            const cvxrelu_train_settings *s, cvxrelu_path_report *r,
                            cvxrelu_error *err)
{
    memset(r, 0, sizeof *r);
    if (s->program != CVXRELU_TRAIN_GATED && s->program != CVXRELU_TRAIN_RELU &&
        s->program != CVXRELU_TRAIN_RELU3)
        return cr_fail(err, CVXRELU_ERR_UNSUPPORTED,
                       "a regularization path is for the gated, the exact ReLU and the "
                       "three-layer programs");
    if (!train->has_labels)
        return cr_fail(err, CVXRELU_ERR_INVALID, "training data needs a label column");
    r->program = s->program;
    const double t0 = cr_now();
    const double deadline = s->time_limit_s > 0.0 ? t0 + s->time_limit_s : 0.0;
    const int threads0 = cvxrelu_blas_threads();
    cvxrelu_encoding *enc = NULL;
    double *X = NULL, *Y = NULL, *Xt = NULL, *Yt = NULL, *grid = NULL, *G0 = NULL;
    cvxrelu_patterns *pat = NULL;
    cvxrelu_status st;
    if ((st = cvxrelu_encoding_fit(train, s->task, s->standardize, s->bias, &enc, err)) ||
        (s->standardize && (cr_encoding_fit_targets(enc, train), 0)) ||
        (st = cvxrelu_encoding_features(enc, train, &X, err)) ||
        (st = cvxrelu_encoding_targets(enc, train, &Y, err)))
        goto done;
    if (test && ((st = cvxrelu_encoding_features(enc, test, &Xt, err)) ||
                 (st = cvxrelu_encoding_targets(enc, test, &Yt, err))))
        goto done;
    const size_t n = train->n, d = enc->d, c = enc->c;
    r->n = n;
    r->d = d;
    r->c = c;
    r->task = enc->task;
    r->loss = cvxrelu_train_loss(s, enc->task, c);
    if (s->program == CVXRELU_TRAIN_RELU3) {
        const cvxrelu_problem pb3 = {X, n, d, Y, c, r->loss, s->huber_delta};
        path_ctx p3 = {r, s, NULL, enc, X, Y, Xt, Yt, n, test ? test->n : 0, t0};
        st = relu3_path(&p3, &pb3, deadline, err);
        goto done;
    }
    cvxrelu_limits lim = {s->time_limit_s, s->interrupt};
    cvxrelu_exit pex = CVXRELU_EXIT_CONVERGED;
    size_t m0 = 0;
    if ((st = cr_train_gates(s, enc, &G0, &m0, err))) goto done;
    st = s->all_patterns ? cvxrelu_patterns_enumerate(X, n, d, &pat, err)
                         : cvxrelu_patterns_build(X, n, d, G0, m0, s->patterns, s->seed, 0, &lim,
                                                  &pat, &pex, err);
    if (st) goto done;
    r->exit = pex;
    if (!pat) goto done;
    r->patterns = pat->P;
    const cvxrelu_problem pb = {X, n, d, Y, c, r->loss, s->huber_delta};
    r->lambda_max = cvxrelu_lambda_max(&pb, pat);
    if (!isfinite(r->lambda_max) || !(grid = make_grid(r->lambda_max, &s->path)) ||
        !(r->points = calloc(s->path.lambdas ? s->path.lambdas : 1, sizeof *r->points))) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
        goto done;
    }
    const size_t K = s->path.lambdas ? s->path.lambdas : 1;
    for (size_t k = 0; k < K; k++) r->points[k].lambda = grid[k];
    cvxrelu_settings set;
    cr_train_solver_settings(s, &set);
    /* the BLAS threads as cvxrelu_train chooses them for the solve */
    cvxrelu_blas_set_threads(s->threads > 0 ? s->threads
                             : s->threads < 0 ? threads0
                                              : cvxrelu_blas_threads_for(n, d, pat->P * c));
    path_ctx p = {r, s, pat, enc, X, Y, Xt, Yt, n, test ? test->n : 0, t0};
    size_t done_k;
    cvxrelu_exit ex;
    st = walk(&pb, pat, &set, grid, K, deadline, path_point, &p, &done_k, &ex, err);
    r->n_points = done_k;
    if (ex != CVXRELU_EXIT_CONVERGED) r->exit = ex;
done:
    if (s->threads >= 0) cvxrelu_blas_set_threads(threads0);
    r->time_s = cr_now() - t0;
    cvxrelu_encoding_free(enc);
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
    free(Xt);
    free(Yt);
    free(grid);
    free(G0);
    return st;
}

/* -------------------------------------------------- cross-validation */

/* Fold of each row: stratified by class for classification (the rows of each class
   shuffled and dealt out in turn), shuffled otherwise; seeded. */
static void assign_folds(const cvxrelu_encoding *enc, const double *Y, size_t n, size_t F,
                         uint64_t seed, size_t *fold, size_t *order)
{
    cr_rng rng;
    cr_rng_seed(&rng, seed ^ 0x9e3779b97f4a7c15ull);
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
        size_t j = cr_rng_below(&rng, i);
        size_t tmp = order[i - 1];
        order[i - 1] = order[j];
        order[j] = tmp;
    }
    if (enc->task != CVXRELU_TASK_CLASSIFICATION) {
        for (size_t i = 0; i < n; i++) fold[order[i]] = i % F;
        return;
    }
    /* deal each class's rows (in shuffled order) round the folds, continuing where the
       previous class stopped so that fold sizes stay within one */
    size_t next = 0;
    const size_t C = enc->n_classes ? enc->n_classes : 2;
    for (size_t cl = 0; cl < C; cl++)
        for (size_t i = 0; i < n; i++) {
            const size_t row = order[i];
            if (cvxrelu_encoding_decide(enc, Y + row * enc->c) != cl) continue;
            fold[row] = next;
            next = (next + 1) % F;
        }
}

/* One fold: its training rows (the problem its solver walks) and its validation rows. */
typedef struct {
    double *Xa, *Ya, *Xv, *Yv;
    size_t na, nv;
    cvxrelu_problem pa;
    cvxrelu_patterns *pat;
    cvxrelu_solver *sv;
    path_predictor pr;  /* the fold solver's predicted starts */
} cv_fold;

/* The validation error of fold f's network at lambda (1 - accuracy or mse). */
static cvxrelu_status fold_error(const cv_fold *fo, const cvxrelu_encoding *enc, double lambda,
                                 int relu, double *e, cvxrelu_error *err)
{
    cvxrelu_model *m = NULL;
    cvxrelu_metrics mt;
    cvxrelu_status st = network_of(fo->sv, fo->pat, enc->c, lambda, relu, enc, &m, err);
    if (!st) st = metrics_on(m, fo->Xv, fo->Yv, fo->nv, &mt, err);
    cvxrelu_model_free(m);
    if (!st) *e = enc->task == CVXRELU_TASK_CLASSIFICATION ? 1.0 - mt.accuracy : mt.mse;
    return st;
}

cvxrelu_status cr_cv_lambda(const cvxrelu_problem *pb, const cvxrelu_encoding *enc,
                            const cvxrelu_patterns *pat, const cvxrelu_train_settings *s,
                            double deadline, cvxrelu_cv_report *cv,
                            void (*on_lambda)(void *user), void *user, cvxrelu_error *err)
{
    const size_t n = pb->n, d = pb->d, c = pb->c;
    const size_t K = s->path.lambdas ? s->path.lambdas : 1;
    size_t F = s->path.folds < 2 ? 2 : s->path.folds;
    if (F > n) F = n;
    const int relu = s->program == CVXRELU_TRAIN_RELU;
    if (n < 2) { /* no fold would keep a training row */
        cv->run = 1;
        cv->folds = F;
        cv->lambdas = K;
        cv->rule = s->path.rule;
        cv->exit = CVXRELU_EXIT_STALLED;
        cv->lambda_max = NAN;
        return CVXRELU_OK;
    }
    cv->run = 1;
    cv->lambdas = K;
    cv->folds = F;
    cv->rule = s->path.rule;
    cv->exit = CVXRELU_EXIT_CONVERGED;
    const double t0 = cr_now();
    cv->lambda_max = cvxrelu_lambda_max(pb, pat);
    if (!isfinite(cv->lambda_max) || !(cv->lambda_max > 0.0)) {
        /* nothing to validate (the data overflow, or no pattern can help): the solve
           after this reports why, at the lambda given */
        cv->exit = CVXRELU_EXIT_STALLED;
        return CVXRELU_OK;
    }
    size_t *fold = cr_malloc(n, sizeof(size_t)), *order = cr_malloc(n, sizeof(size_t));
    double *E = cr_malloc(F * K, sizeof(double)); /* lambda x fold errors */
    cv_fold *fo = calloc(F, sizeof *fo);
    cv->grid = make_grid(cv->lambda_max, &s->path);
    cv->mean = cr_malloc(K, sizeof(double));
    cv->se = cr_malloc(K, sizeof(double));
    cvxrelu_status st = CVXRELU_OK;
    if (!fold || !order || !E || !fo || !cv->grid || !cv->mean || !cv->se) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
        goto done;
    }
    assign_folds(enc, pb->Y, n, F, s->seed, fold, order);
    /* the folds' solves need only the validation error: a looser gap will do */
    cvxrelu_settings set;
    cr_train_solver_settings(s, &set);
    if (s->path.cv_tol > set.tol) set.tol = s->path.cv_tol;
    set.lambda = cv->grid[0];
    for (size_t f = 0; f < F && !st; f++) {
        cv_fold *q = fo + f;
        for (size_t i = 0; i < n; i++) q->nv += fold[i] == f;
        q->na = n - q->nv;
        q->Xa = cr_malloc(q->na, d * sizeof(double));
        q->Ya = cr_malloc(q->na, c * sizeof(double));
        q->Xv = cr_malloc(q->nv ? q->nv : 1, d * sizeof(double));
        q->Yv = cr_malloc(q->nv ? q->nv : 1, c * sizeof(double));
        if (!q->Xa || !q->Ya || !q->Xv || !q->Yv) {
            st = cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
            break;
        }
        size_t na = 0, nv = 0;
        for (size_t i = 0; i < n; i++) {
            const int val = fold[i] == f;
            memcpy(val ? q->Xv + nv * d : q->Xa + na * d, pb->X + i * d, d * sizeof(double));
            memcpy(val ? q->Yv + nv * c : q->Ya + na * c, pb->Y + i * c, c * sizeof(double));
            if (val) nv++;
            else na++;
        }
        q->pa = (cvxrelu_problem){q->Xa, q->na, d, q->Ya, c, pb->loss, pb->huber_delta};
        /* the full data's gates, their patterns on this fold's training rows */
        if ((st = cvxrelu_patterns_from_gates(q->Xa, q->na, d, pat->gates, pat->P, &q->pat, err)))
            break;
        if (q->pat && (st = cvxrelu_solver_new(&q->pa, q->pat, &set, &q->sv, err))) break;
        if (!q->pat) st = cr_fail(err, CVXRELU_ERR_NUMERIC, "cross-validation: no patterns");
        if (set.interrupt && *set.interrupt) { /* a solver's start may take a while */
            cv->exit = CVXRELU_EXIT_INTERRUPTED;
            break;
        }
        if (deadline > 0.0 && cr_now() >= deadline) {
            cv->exit = CVXRELU_EXIT_TIME_LIMIT;
            break;
        }
    }
    /* lambda by lambda over every fold (each fold's solver warm-started from its last
       lambda), so that the walk can stop once the validation error has turned up */
    size_t best = 0;
    for (size_t k = 0; k < K && !st && cv->exit == CVXRELU_EXIT_CONVERGED; k++) {
        for (size_t f = 0; f < F && !st; f++) {
            cvxrelu_result res;
            if ((st = solve_at(fo[f].sv, cv->grid[k], deadline, &res, &cv->exit, &fo[f].pr,
                               err)) ||
                cv->exit != CVXRELU_EXIT_CONVERGED) /* cut short in any fold: not counted */
                break;
            st = fold_error(fo + f, enc, cv->grid[k], relu, E + k * F + f, err);
            cv->folds_at = f + 1; /* a heartbeat: one fold can take minutes on big data */
            cv->time_s = cr_now() - t0;
            if (!st && f + 1 < F && on_lambda) on_lambda(user);
        }
        cv->folds_at = 0;
        if (st || cv->exit != CVXRELU_EXIT_CONVERGED) break;
        double m = 0.0, v = 0.0;
        for (size_t f = 0; f < F; f++) m += E[k * F + f];
        m /= (double)F;
        for (size_t f = 0; f < F; f++) v += (E[k * F + f] - m) * (E[k * F + f] - m);
        cv->mean[k] = m;
        cv->se[k] = sqrt(v / (double)(F - 1) / (double)F);
        cv->lambdas_done = k + 1;
        cv->time_s = cr_now() - t0;
        if (m < cv->mean[best]) best = k;
        /* CR_CV_PATIENCE lambdas without a new best: smaller lambdas fit the folds ever
           closer, cost ever more, and have stopped validating better */
        if (on_lambda) on_lambda(user);
        if (k - best >= CR_CV_PATIENCE && s->path.early_stop) {
            cv->early_stop = 1;
            break;
        }
    }
    if (st || cv->lambdas_done == 0) goto done;
    if (cv->lambdas_done < K && !cv->early_stop && cv->exit == CVXRELU_EXIT_CONVERGED)
        cv->exit = CVXRELU_EXIT_MAX_ITER;
    cv->best = best;
    /* one standard error: the largest lambda (the simplest network) within one SE of
       the best mean (the grid runs from the largest lambda down) */
    cv->chosen = cv->best;
    if (cv->rule == CVXRELU_CV_ONE_SE)
        for (size_t k = 0; k < cv->best; k++)
            if (cv->mean[k] <= cv->mean[cv->best] + cv->se[cv->best]) {
                cv->chosen = k;
                break;
            }
    cv->lambda = cv->grid[cv->chosen];
done:
    cv->time_s = cr_now() - t0;
    for (size_t f = 0; fo && f < F; f++) {
        cvxrelu_solver_free(fo[f].sv);
        free(fo[f].pr.prev);
        cvxrelu_patterns_free(fo[f].pat);
        free(fo[f].Xa);
        free(fo[f].Ya);
        free(fo[f].Xv);
        free(fo[f].Yv);
    }
    free(fo);
    free(fold);
    free(order);
    free(E);
    return st;
}
