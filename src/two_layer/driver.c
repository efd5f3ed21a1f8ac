/* The solver object, the masked GEMM kernels and the one driver loop. */
#include "two_layer.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void cvxrelu_settings_default(cvxrelu_settings *s)
{
    memset(s, 0, sizeof *s);
    s->solver = CVXRELU_SOLVER_RFISTA;
    s->lambda = 1e-3;
    s->tol = 1e-6;
    s->tol_feas = 1e-6;
    s->max_iter = 10000;
    s->time_limit_s = 0.0;
    s->step_init = 0.0;
    s->warm_start = 1;
    s->callback = NULL;
    s->callback_data = NULL;
    s->interrupt = NULL;
    s->single_precision = 0;
    s->screening = 1;
    s->working_set = 1;
    s->precondition = 1;
    s->relu_method = CVXRELU_RELU_AUTO;
    s->polish = 1;
    s->heartbeat_s = CVXRELU_HEARTBEAT_S;
}

cvxrelu_relu_method cvxrelu_relu_method_for(size_t n, size_t d, size_t c, size_t P)
{
    (void)n;
    (void)d;
    (void)c;
    (void)P;
    /* ADMM's iterations are GEMMs over all groups but it needs many of them.  Since the
       projections of projected R-FISTA advance together by GEMMs (src/two_layer/cone.c),
       projected R-FISTA wins on both measured problems (docs/algorithms.md, "Solvers of
       the exact program"): the planted teacher (d = 20) and digits (d = 65, where ADMM
       used to win).  ADMM stays available by name. */
    return CVXRELU_RELU_PROJECTED;
}

cvxrelu_relu_method cr_relu_method_pick(cvxrelu_relu_method method, cvxrelu_loss loss, size_t n,
                                        size_t d, size_t c, size_t P)
{
    if (method != CVXRELU_RELU_AUTO) return method;
    /* ADMM solves the other losses through a majorizer of the loss, more slowly than
       projected R-FISTA (tests/test_loss.c): projected for them */
    if (loss != CVXRELU_LOSS_SQUARED) return CVXRELU_RELU_PROJECTED;
    return cvxrelu_relu_method_for(n, d, c, P);
}

/* The registry: one entry per cvxrelu_solver_kind (and exact-program method). */
static const cr_solver_type *solver_type(cvxrelu_solver_kind k, cvxrelu_relu_method method,
                                         size_t n, size_t d, size_t c, size_t P)
{
    switch (k) {
    case CVXRELU_SOLVER_RFISTA: return &cr_rfista_type;
    case CVXRELU_SOLVER_RELU:
        if (method == CVXRELU_RELU_AUTO) method = cvxrelu_relu_method_for(n, d, c, P);
        switch (method) {
        case CVXRELU_RELU_PROJECTED: return &cr_relu_type;
        case CVXRELU_RELU_ADMM: return &cr_relu_admm_type;
        case CVXRELU_RELU_AUTO: break;
        }
        return NULL;
    }
    return NULL;
}

/* ---------------------------------------------------------- the object */

/* Rows per block of the products: the block workspace (nb x m) holds at most 8 M
   doubles and at most 1/16 of X's size, so that it stays small beside X, and at most
   8192 rows, but at least 256 rows, so that every GEMM has work enough. */

cvxrelu_status cvxrelu_solver_new(const cvxrelu_problem *problem,
                                  const cvxrelu_patterns *patterns,
                                  const cvxrelu_settings *settings, cvxrelu_solver **out,
                                  cvxrelu_error *err)
{
    *out = NULL;
    if (!problem)
        return cr_fail(err, CVXRELU_ERR_INVALID, "solver: the problem (X, Y) is required");
    const double *X = problem->X, *Y = problem->Y;
    size_t n = problem->n, d = problem->d, c = problem->c;
    if (!X || !Y || !patterns || n == 0 || d == 0 || c == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID, "solver: X, Y and patterns are required");
    if (patterns->n != n || patterns->d != d)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "solver: patterns were built for %zu x %zu data, X is %zu x %zu",
                       patterns->n, patterns->d, n, d);
    cvxrelu_settings def;
    if (!settings) {
        cvxrelu_settings_default(&def);
        settings = &def;
    }
    if (!(settings->lambda >= 0.0) || !isfinite(settings->lambda))
        return cr_fail(err, CVXRELU_ERR_INVALID, "solver: lambda must be a finite number >= 0");
    if (!(settings->tol > 0.0))
        return cr_fail(err, CVXRELU_ERR_INVALID, "solver: tol must be > 0");
    const cvxrelu_relu_method method =
        cr_relu_method_pick(settings->relu_method, problem->loss, n, d, c, patterns->P);
    const cr_solver_type *type = solver_type(settings->solver, method, n, d, c, patterns->P);
    if (!type) return cr_fail(err, CVXRELU_ERR_INVALID, "solver: unknown solver kind or method");
    cvxrelu_status lst = cr_loss_check(problem, err);
    if (lst) return lst;
    size_t m, md, nc;
    const size_t per_group = type->per_pattern;
    if (cr_mul_ok(patterns->P, c, &m) || cr_mul_ok(m, per_group, &m) || cr_mul_ok(m, d, &md) || cr_mul_ok(n, c, &nc) ||
        m > (size_t)INT32_MAX || n > (size_t)INT32_MAX || d > (size_t)INT32_MAX)
        return cr_fail(err, CVXRELU_ERR_INVALID, "solver: problem dimensions overflow");
    /* squares of entries beyond 1e150 overflow: refuse rather than return NaN */
    for (size_t i = 0; i < nc; i++)
        if (!isfinite(Y[i]) || fabs(Y[i]) > 1e150)
            return cr_fail(err, CVXRELU_ERR_NUMERIC,
                           "solver: target %zu is %g: targets must be finite and below 1e150 in "
                           "magnitude (rescale them)", i / c + 1, Y[i]);
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i]) || fabs(X[i]) > 1e150)
            return cr_fail(err, CVXRELU_ERR_NUMERIC,
                           "solver: feature %zu of row %zu is %g: features must be finite and "
                           "below 1e150 in magnitude (standardize them)", i % d + 1, i / d + 1, X[i]);

    cvxrelu_solver *s = calloc(1, sizeof *s);
    if (!s) goto fail;
    s->X = X;
    s->n = n;
    s->d = d;
    s->Y = Y;
    s->c = c;
    s->loss = problem->loss;
    s->delta = problem->huber_delta > 0.0 ? problem->huber_delta : 1.0;
    s->pat = patterns;
    s->P = patterns->P;
    s->m = m;
    s->N = (double)nc;
    s->set = *settings;
    s->type = type;
    s->lambda_max = -1.0;
    s->kept_lambda = NAN;
    size_t nb = cr_block_rows(n, d, m);
    s->nb = nb;
    s->U = cr_calloc(md, sizeof(double));
    s->work = cr_malloc(nb, m * sizeof(double));
    s->wr = (s->P + 63) / 64;
    for (unsigned byte = 0; byte < 256; byte++)
        for (unsigned t = 0; t < 8; t++) s->bytebits[byte][t] = (double)((byte >> t) & 1u);
    s->rowbits = cr_calloc(n, s->wr * sizeof(uint64_t));
    if (!s->U || !s->work || !s->rowbits) goto fail;
    for (size_t i = 0; i < s->P; i++) {
        const uint64_t *pb = patterns->bits + i * patterns->words_per_pattern;
        for (size_t j = 0; j < n; j++)
            if ((pb[j / 64] >> (j % 64)) & 1u) s->rowbits[j * s->wr + i / 64] |= (uint64_t)1 << (i % 64);
    }
    if (type->single && settings->single_precision) {
        s->Xf = cr_malloc(n, d * sizeof(float));
        s->Uf = cr_malloc(md, sizeof(float));
        s->Gf = cr_malloc(md, sizeof(float));
        s->workf = cr_malloc(nb, m * sizeof(float));
        if (!s->Xf || !s->Uf || !s->Gf || !s->workf) goto fail;
        for (size_t i = 0; i < n * d; i++) s->Xf[i] = (float)X[i];
        s->single_active = 1;
    }
    if (type->screening && (settings->screening || settings->working_set)) {
        s->live = cr_malloc(m ? m : 1, 1);
        s->act = cr_malloc(m ? m : 1, sizeof(size_t));
        s->act_word = cr_malloc(m ? m : 1, sizeof(size_t));
        s->act_k = cr_malloc(m ? m : 1, sizeof(size_t));
        s->act_mask = cr_malloc(m ? m : 1, sizeof(uint64_t));
        s->cbits = cr_malloc(n, ((m + 63) / 64) * sizeof(uint64_t));
        s->Ua = cr_malloc(md ? md : 1, sizeof(double));
        s->Ga = cr_malloc(md ? md : 1, sizeof(double));
        s->patnorm = cr_calloc(s->P ? s->P : 1, sizeof(double));
        if (!s->live || !s->act || !s->act_word || !s->act_k || !s->act_mask || !s->cbits || !s->Ua ||
            !s->Ga || !s->patnorm)
            goto fail;
        cr_unscreen(s);
        s->screen_on = settings->screening != 0;
        s->ws_tau = settings->working_set ? CR_WORKING_SET_TAU : 0.0;
        for (size_t j = 0; j < n; j++) {
            double xn = cblas_ddot((int)d, X + j * d, 1, X + j * d, 1);
            const uint64_t *rb = s->rowbits + j * s->wr;
            for (size_t i = 0; i < s->P; i++)
                if ((rb[i / 64] >> (i % 64)) & 1u) s->patnorm[i] += xn;
        }
        for (size_t i = 0; i < s->P; i++) s->patnorm[i] = sqrt(s->patnorm[i]) * (1.0 + 1e-12);
    }
    *out = s;
    return CVXRELU_OK;
fail:
    cvxrelu_solver_free(s);
    return cr_fail(err, CVXRELU_ERR_NOMEM, "solver: out of memory (P=%zu, c=%zu, d=%zu)",
                   patterns->P, c, d);
}

void cvxrelu_solver_free(cvxrelu_solver *s)
{
    if (!s) return;
    free(s->U);
    free(s->work);
    free(s->rowbits);
    free(s->Xf);
    free(s->Uf);
    free(s->Gf);
    free(s->workf);
    free(s->live);
    free(s->act);
    free(s->act_word);
    free(s->act_k);
    free(s->act_mask);
    free(s->cbits);
    free(s->Ua);
    free(s->Ga);
    free(s->patnorm);
    free(s->pq);
    free(s->ps);
    free(s);
}

cvxrelu_status cvxrelu_solver_set_lambda(cvxrelu_solver *s, double lambda)
{
    if (!s || !(lambda >= 0.0) || !isfinite(lambda)) return CVXRELU_ERR_INVALID;
    s->set.lambda = lambda;
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_solver_set_weights(cvxrelu_solver *s, const double *U)
{
    if (!s || !U) return CVXRELU_ERR_INVALID;
    for (size_t i = 0; i < s->m * s->d; i++)
        if (!isfinite(U[i])) return CVXRELU_ERR_NUMERIC;
    memcpy(s->U, U, s->m * s->d * sizeof(double));
    return CVXRELU_OK;
}

const double *cvxrelu_solver_weights(const cvxrelu_solver *s) { return s ? s->U : NULL; }

cvxrelu_status cvxrelu_solver_predict_train(const cvxrelu_solver *s, double *Yhat)
{
    if (!s || !Yhat) return CVXRELU_ERR_INVALID;
    /* the kernels only touch the workspace and counters */
    if (s->type->predict) {
        s->type->predict((cvxrelu_solver *)s, Yhat);
        return CVXRELU_OK;
    }
    cvxrelu_solver *w = (cvxrelu_solver *)s;
    const int single = w->single_active;
    w->single_active = 0;
    cr_forward(w, s->U, Yhat);
    w->single_active = single;
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_solver_gradient(const cvxrelu_solver *s_, double *G, double *obj)
{
    cvxrelu_solver *s = (cvxrelu_solver *)s_;
    if (!s || !G) return CVXRELU_ERR_INVALID;
    if (!s->type->gradient) return CVXRELU_ERR_UNSUPPORTED;
    size_t nc = s->n * s->c;
    double *R = cr_malloc(nc, sizeof(double));
    if (!R) return CVXRELU_ERR_NOMEM;
    const size_t ma = s->ma;
    const int single = s->single_active;
    s->ma = s->m; /* every group, in double */
    s->single_active = 0;
    cr_forward(s, s->U, R);
    double loss = 0.0;
    for (size_t i = 0; i < nc; i++) {
        R[i] -= s->Y[i];
        loss += R[i] * R[i];
    }
    cr_backward(s, R, G);
    s->ma = ma;
    s->single_active = single;
    cblas_dscal((int)(s->m * s->d), 1.0 / s->N, G, 1);
    if (obj)
        *obj = loss / (2.0 * s->N) + s->set.lambda * cr_group_norm_sum(s->U, s->m, s->d, NULL);
    free(R);
    return CVXRELU_OK;
}

size_t cvxrelu_solver_memory(size_t n, size_t d, size_t c, size_t P, cvxrelu_solver_kind kind)
{
    /* the exact program: the larger of its two methods where AUTO picks ADMM */
    const cr_solver_type *type = solver_type(kind, CVXRELU_RELU_PROJECTED, n, d, c, P);
    size_t m, md, nc;
    if (!type || cr_mul_ok(P, c * type->per_pattern, &m) || cr_mul_ok(m, d, &md) ||
        cr_mul_ok(n, c, &nc))
        return SIZE_MAX;
    size_t doubles = type->doubles(n, d, m, nc, P);
    if (kind == CVXRELU_SOLVER_RELU &&
        cvxrelu_relu_method_for(n, d, c, P) == CVXRELU_RELU_ADMM) {
        size_t da = cr_relu_admm_type.doubles(n, d, m, nc, P);
        if (da > doubles) doubles = da;
    }
    size_t words = cr_sat_muladd(n, (P + 63) / 64, 0); /* transposed pattern bits */
    size_t total = cr_sat_muladd(doubles, sizeof(double), 0);
    return cr_sat_muladd(words, sizeof(uint64_t), total);
}

double cvxrelu_lambda_max(const cvxrelu_problem *pb, const cvxrelu_patterns *patterns)
{
    cvxrelu_solver *s;
    if (cvxrelu_solver_new(pb, patterns, NULL, &s, NULL)) return NAN;
    const size_t d = pb->d;
    double *G = cr_malloc(s->m, d * sizeof(double));
    double lm = NAN;
    double *R0 = cr_calloc(pb->n * pb->c, 2 * sizeof(double));
    if (G && R0) lm = cr_lambda_max_at_zero(s, R0 + pb->n * pb->c, R0, G);
    free(R0);
    free(G);
    cvxrelu_solver_free(s);
    return lm;
}

/* ------------------------------------------------------------ the driver */

cvxrelu_status cvxrelu_solver_certify(cvxrelu_solver *s, cvxrelu_result *res, cvxrelu_error *err)
{
    if (!s || !res) return cr_fail(err, CVXRELU_ERR_INVALID, "certify: missing argument");
    const cvxrelu_settings keep = s->set;
    s->set.max_iter = 0;
    s->set.warm_start = 1;
    s->set.callback = NULL;
    cvxrelu_status st = cvxrelu_solver_solve(s, res, err);
    s->set = keep;
    return st;
}

/* A step has run settings.heartbeat_s seconds without a report: the last report again, marked
   as a heartbeat, with the iteration in progress and the time now. */
static void driver_beat(void *user)
{
    cvxrelu_solver *s = user;
    cvxrelu_iterate_info b = s->beat_info;
    b.heartbeat = 1;
    b.iter = s->loop.iter;
    b.time_s = cr_loop_elapsed(&s->loop);
    s->set.callback(&b, s->set.callback_data);
}

/* The callback with an iteration's report; the next heartbeat is due heartbeat_s
   seconds from now. */
static void report(cvxrelu_solver *s, const cvxrelu_iterate_info *info)
{
    if (!s->set.callback) return;
    s->set.callback(info, s->set.callback_data);
    s->beat_info = *info;
    s->loop.beat_next = cr_now() + s->loop.beat_every;
}

cvxrelu_status cvxrelu_solver_solve(cvxrelu_solver *s, cvxrelu_result *res,
                                    cvxrelu_error *err)
{
    if (!s || !res) return cr_fail(err, CVXRELU_ERR_INVALID, "solve: missing argument");
    memset(res, 0, sizeof *res);
    if (!s->set.warm_start) memset(s->U, 0, s->m * s->d * sizeof(double));
    cr_loop *loop = &s->loop;
    cr_loop_start(loop, s->set.interrupt, s->set.time_limit_s, s->set.max_iter);
    if (s->set.callback && s->set.heartbeat_s > 0.0) { /* heartbeats while a step runs long */
        memset(&s->beat_info, 0, sizeof s->beat_info);
        s->beat_info.objective = s->beat_info.gap = NAN;
        s->beat_info.dual = -INFINITY;
        loop->beat = driver_beat;
        loop->beat_user = s;
        loop->beat_every = s->set.heartbeat_s;
        loop->beat_next = loop->t0 + s->set.heartbeat_s;
    }
    s->matvecs = 0;
    s->gemm_time = 0.0;
    s->stopped = 0;
    void *state = NULL;
    cvxrelu_iterate_info info;
    memset(&info, 0, sizeof info);
    cvxrelu_status st = s->type->init(s, &state, &info);
    if (st) return cr_fail(err, st, "solve: %s", cvxrelu_status_string(st));
    info.time_s = cr_loop_elapsed(loop);
    report(s, &info);

    cvxrelu_exit ex = CVXRELU_EXIT_MAX_ITER;
    size_t it = 0;
    const double eps = s->set.tol;
    if (s->stopped) {
        ex = (cvxrelu_exit)s->stopped; /* the start itself was cut short */
    } else if (!info.uncertified && info.gap <= eps * fmax(1.0, fabs(info.objective))) {
        ex = CVXRELU_EXIT_CONVERGED;
    } else {
        int why;
        while (!(why = cr_loop_next(loop))) {
            it = loop->iter;
            int stalled = 0;
            st = s->type->iterate(s, state, &info, &stalled);
            if (st) {
                s->type->free(state);
                return cr_fail(err, st, "solve: iteration %zu: %s", it,
                               cvxrelu_status_string(st));
            }
            if (s->stopped) { /* cut short inside the iteration: the iterate is unchanged */
                cr_loop_abandon(loop, s->stopped);
                ex = (cvxrelu_exit)s->stopped;
                break;
            }
            info.iter = it;
            info.time_s = cr_loop_elapsed(loop);
            report(s, &info);
            if (!isfinite(info.objective)) {
                s->type->free(state);
                return cr_fail(err, CVXRELU_ERR_NUMERIC,
                               "solve: objective became %g at iteration %zu", info.objective, it);
            }
            if (!info.uncertified && info.gap <= eps * fmax(1.0, fabs(info.objective))) {
                ex = CVXRELU_EXIT_CONVERGED;
                break;
            }
            if (stalled) {
                ex = CVXRELU_EXIT_STALLED;
                break;
            }
        }
        if (why) ex = (cvxrelu_exit)why; /* the iteration limit or a stop request */
        it = loop->iter;
    }
    if (ex == CVXRELU_EXIT_INTERRUPTED || ex == CVXRELU_EXIT_TIME_LIMIT) s->stopped = (int)ex;
    st = s->type->finish(s, state, res);
    loop->beat = NULL;
    s->type->free(state);
    if (st) return cr_fail(err, st, "solve: %s", cvxrelu_status_string(st));
    res->exit = ex;
    res->iterations = it;
    res->matvecs = s->matvecs;
    res->screened = s->screened;
    res->ws_out = s->ws_out;
    res->ws_back = s->ws_back;
    res->gemm_time_s = s->gemm_time;
    res->solve_time_s = cr_loop_elapsed(loop);
    /* the final, exact certificate may prove convergence the running one missed */
    if (ex != CVXRELU_EXIT_CONVERGED && res->gap <= eps * fmax(1.0, fabs(res->objective)) &&
        ex != CVXRELU_EXIT_INTERRUPTED && ex != CVXRELU_EXIT_TIME_LIMIT)
        res->exit = CVXRELU_EXIT_CONVERGED;
    return CVXRELU_OK;
}
