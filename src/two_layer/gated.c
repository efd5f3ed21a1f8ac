/*
 * R-FISTA for the gated ReLU group lasso (docs/algorithms.md, "The gated ReLU program", 4.1, 4.2):
 * accelerated proximal gradient with backtracking through the prox, step
 * growth, and gradient-mapping restarts.  The predictions are linear in U, so
 * the extrapolated point's predictions are combined from the last two
 * iterates' and each line-search trial costs one pass X U^T; the gradient
 * costs one pass M^T X, which also yields the dual certificate for free.
 */
#include "two_layer.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

typedef struct {
    double *Uprev, *V, *Unew, *Grad; /* m x d */
    double *Yk, *Yprev, *Yv, *Ynew, *R; /* n x c */
    double *Rv;       /* n x c: the loss derivative at Yv (losses other than squared) */
    double fk;        /* data term at U */
    double beta;      /* extrapolation weight of the next iteration */
    double mom;       /* FISTA momentum parameter */
    double best_dual; /* certified: double products over every group */
    double run_dual;  /* running: in the current mode (float, or the screened program) */
    double alpha;     /* dual scaling of the last gradient's residual ... */
    double last_dual; /* ... and the dual value there */
    size_t since_screen;
    size_t ws_out;    /* groups outside the working set (live = 3) */
    double last_full_gap; /* of the last whole-program certificate (infinite: none yet) */
    int grad_at_U;    /* Grad holds the (scaled) gradient at U */
    int yk_exact;     /* Yk is from double products over every group */
    int cert_at_U;    /* the whole-program certificate at U is in best_dual */
    int cut;          /* asked to stop before the start: no pass over the patterns */
    double single_best; /* single precision: the best running gap, and the iterations */
    size_t single_since; /* since it last fell by 10 % (a stall hands over to double) */
    /* preconditioned (src/two_layer/precond.c): the iterates in the eigenvector coordinates
       (U = Ut pq, Uprev = Utprev pq, V's rotation in V), the rotated gradient, the
       trial point */
    int pre;
    double *Ut, *Utprev, *Gt, *Wt; /* m x d */
} rfista_state;

/* The products are those of the whole program in double (certificates count). */
static int exact_mode(const cvxrelu_solver *s)
{
    return !s->single_active && !(s->live && s->ma < s->m);
}

static void rfista_free(void *p)
{
    rfista_state *st = p;
    if (!st) return;
    free(st->Uprev);
    free(st->V);
    free(st->Unew);
    free(st->Grad);
    free(st->Yk);
    free(st->Yprev);
    free(st->Yv);
    free(st->Ynew);
    free(st->R);
    free(st->Rv);
    free(st->Ut);
    free(st->Utprev);
    free(st->Gt);
    free(st->Wt);
    free(st);
}

/* Power iteration for ||X||_2^2 (matrix-vector products only). */
static double spectral_norm_sq(const double *X, size_t n, size_t d)
{
    double *v = cr_malloc(d, sizeof(double)), *w = cr_malloc(n, sizeof(double));
    double est = 0.0;
    if (!v || !w) {
        /* fall back to the Frobenius norm, a valid upper bound */
        for (size_t i = 0; i < n * d; i++) est += X[i] * X[i];
        free(v);
        free(w);
        return est;
    }
    for (size_t k = 0; k < d; k++) v[k] = 1.0 + 0.01 * (double)(k % 7);
    for (int it = 0; it < 50; it++) {
        double nv = cblas_dnrm2((int)d, v, 1);
        if (nv == 0.0) break;
        cblas_dscal((int)d, 1.0 / nv, v, 1);
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, X, (int)d, v, 1, 0.0, w, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)d, 1.0, X, (int)d, w, 1, 0.0, v, 1);
        double e = cblas_dnrm2((int)d, v, 1);
        if (fabs(e - est) <= 1e-6 * e) {
            est = e;
            break;
        }
        est = e;
    }
    free(v);
    free(w);
    /* power iteration approaches from below: pad it */
    return 1.05 * est;
}

/* The largest number of patterns holding one row. */
static size_t max_row_count(const cvxrelu_solver *s)
{
    size_t maxcount = 0;
    const size_t nw = s->pat->words_per_pattern;
    for (size_t j = 0; j < s->n; j++) {
        size_t cnt = 0;
        for (size_t i = 0; i < s->P; i++) cnt += (s->pat->bits[i * nw + j / 64] >> (j % 64)) & 1u;
        if (cnt > maxcount) maxcount = cnt;
    }
    return maxcount;
}

/* Upper bound on the Lipschitz constant of the data term:
   ||sum_i D_i X u_i||^2 <= max_j #{i : j in pattern i} sum_i ||X u_i||^2 and
   ||X u||^2 <= ||X||^2 ||u||^2, over N.  In the preconditioned metric
   ||X u||^2 = n sum_j ev_j (pq u)_j^2 <= n ||u||_M^2, so the bound is max count n / N. */
static double lipschitz_bound(cvxrelu_solver *s, int pre)
{
    double maxcount = (double)max_row_count(s);
    if (pre) return maxcount * (double)s->n / s->N;
    return spectral_norm_sq(s->X, s->n, s->d) * maxcount / s->N;
}

/* Screened groups are zero in every copy of the iterates. */
static void zero_screened(const cvxrelu_solver *s, rfista_state *st)
{
    const size_t d = s->d;
    for (size_t g = 0; g < s->m; g++) {
        if (s->live[g] != 2) continue;
        memset(st->Uprev + g * d, 0, d * sizeof(double));
        if (st->pre) {
            memset(st->Ut + g * d, 0, d * sizeof(double));
            memset(st->Utprev + g * d, 0, d * sizeof(double));
        }
    }
}


/* Gradient (scaled by 1/N) at the point with residual R; updates the dual values
   (the certified one only when the products are exact and cover every group). */
static double gradient_and_dual(cvxrelu_solver *s, rfista_state *st, const double *R)
{
    size_t md = s->m * s->d;
    cr_backward(s, R, st->Grad);
    double gmax = cr_max_group_norm(st->Grad, s->m, s->d);
    double dual = cr_loss_dual(s->loss, R, s->Y, s->n, s->c, gmax, s->set.lambda);
    st->alpha = gmax > s->set.lambda * s->N ? s->set.lambda * s->N / gmax : 1.0;
    st->last_dual = dual;
    if (dual > st->run_dual) st->run_dual = dual;
    if (exact_mode(s) && dual > st->best_dual) st->best_dual = dual;
    cblas_dscal((int)md, 1.0 / s->N, st->Grad, 1);
    return dual;
}

/*
 * The certificate of the whole program in double at U: exact predictions (into Yk),
 * objective, and the dual of the full gradient.  Returns the objective.  Leaves the
 * products in the current mode; Grad is overwritten (not the gradient at U then).
 */
static double certify_full(cvxrelu_solver *s, rfista_state *st)
{
    const size_t ma = s->ma;
    const int single = s->single_active;
    s->single_active = 0;
    s->ma = s->m;
    cr_forward(s, s->U, st->Yk);
    st->fk = cr_data_term(s, st->Yk, st->R);
    cr_backward(s, st->R, st->Grad);
    double gmax = cr_max_group_norm(st->Grad, s->m, s->d);
    double dual = cr_loss_dual(s->loss, st->R, s->Y, s->n, s->c, gmax, s->set.lambda);
    if (dual > st->best_dual) st->best_dual = dual;
    if (dual > st->run_dual) st->run_dual = dual;
    s->single_active = single;
    s->ma = ma;
    st->grad_at_U = 0;
    st->yk_exact = st->cert_at_U = 1;
    return st->fk + s->set.lambda * cr_group_norm_sum(s->U, s->m, s->d, NULL);
}

/*
 * After a certificate of the whole program (certify_full: st->Grad holds the
 * unscaled full gradient at U, R the residual): screen what the certified gap
 * proves zero.
 */
static void after_certificate(cvxrelu_solver *s, rfista_state *st, double objective)
{
    if (!s->live) return;
    const size_t d = s->d;
    const double N = s->N, lam = s->set.lambda;
    double gmax = cr_max_group_norm(st->Grad, s->m, d);
    double alpha = gmax > lam * N ? lam * N / gmax : 1.0;
    double dual = cr_loss_dual(s->loss, st->R, s->Y, s->n, s->c, gmax, lam);
    if (st->ws_out) {
        /* the optimality test of the groups left out: one whose gradient norm reaches
           lambda could leave zero, so it joins the products */
        size_t back = 0;
        for (size_t g = 0; g < s->m; g++)
            if (s->live[g] == 3 && cblas_dnrm2((int)d, st->Grad + g * d, 1) >= lam * N * (1.0 - 1e-9)) {
                s->live[g] = 1;
                back++;
            }
        st->ws_out -= back;
        s->ws_back += back;
        if (back) cr_live_rebuild(s);
    }
    int touched = 0;
    const int single = s->single_active;
    s->single_active = 0; /* the margin of exact products */
    if (!s->screen_on) return;
    size_t before = st->ws_out;
    cr_screen(s, st->Grad, alpha / N, objective - dual, &touched);
    if (before) { /* left-out groups proven zero are screened now */
        st->ws_out = 0;
        for (size_t g = 0; g < s->m; g++) st->ws_out += s->live[g] == 3;
    }
    s->single_active = single;
    if (touched) { /* predictions of the iterates without the screened rows */
        zero_screened(s, st);
        cr_forward(s, s->U, st->Yk);
        cr_forward(s, st->Uprev, st->Yprev);
        st->fk = cr_data_term(s, st->Yk, st->R);
        st->yk_exact = st->cert_at_U = 0;
    }
}

static cvxrelu_status rfista_init(cvxrelu_solver *s, void **state, cvxrelu_iterate_info *info)
{
    size_t md = s->m * s->d, nc = s->n * s->c;
    rfista_state *st = calloc(1, sizeof *st);
    if (!st) return CVXRELU_ERR_NOMEM;
    s->ws_out = s->ws_back = 0;
    st->Uprev = cr_malloc(md, sizeof(double));
    st->V = cr_malloc(md, sizeof(double));
    st->Unew = cr_malloc(md, sizeof(double));
    st->Grad = cr_malloc(md, sizeof(double));
    st->Yk = cr_malloc(nc, sizeof(double));
    st->Yprev = cr_malloc(nc, sizeof(double));
    st->Yv = cr_malloc(nc, sizeof(double));
    st->Ynew = cr_malloc(nc, sizeof(double));
    st->R = cr_malloc(nc, sizeof(double));
    if (s->loss != CVXRELU_LOSS_SQUARED) st->Rv = cr_malloc(nc, sizeof(double));
    if (!st->Uprev || !st->V || !st->Unew || !st->Grad || !st->Yk || !st->Yprev || !st->Yv ||
        !st->Ynew || !st->R || (s->loss != CVXRELU_LOSS_SQUARED && !st->Rv)) {
        rfista_free(st);
        return CVXRELU_ERR_NOMEM;
    }
    if ((s->stopped = cr_loop_check(&s->loop))) {
        /* a stop asked for before the start (while the patterns were sampled, say):
           the objective at the given weights, no pass over the patterns, no new dual
           value (one kept from an earlier solve at this lambda stays valid) */
        size_t active;
        st->cut = 1;
        s->single_active = 0;
        size_t nz = 0;
        while (nz < md && s->U[nz] == 0.0) nz++;
        if (nz < md)
            cr_forward(s, s->U, st->Yk);
        else
            memset(st->Yk, 0, nc * sizeof(double));
        st->yk_exact = 1;
        st->fk = cr_data_term(s, st->Yk, st->R);
        st->best_dual = s->kept_lambda == s->set.lambda ? s->kept_dual : -INFINITY;
        info->iter = 0;
        info->objective = st->fk + s->set.lambda * cr_group_norm_sum(s->U, s->m, s->d, &active);
        info->dual = st->best_dual;
        info->gap = info->objective - info->dual;
        info->step = s->step;
        info->active = active;
        *state = st;
        return CVXRELU_OK;
    }
    st->pre = s->set.precondition && cr_precond_setup(s) == 0;
    if (st->pre) {
        st->Ut = cr_malloc(md, sizeof(double));
        st->Utprev = cr_malloc(md, sizeof(double));
        st->Gt = cr_malloc(md, sizeof(double));
        st->Wt = cr_malloc(md, sizeof(double));
        if (!st->Ut || !st->Utprev || !st->Gt || !st->Wt) {
            rfista_free(st);
            return CVXRELU_ERR_NOMEM;
        }
        cr_precond_rotate(s, s->U, st->Ut, s->m);
        memcpy(st->Utprev, st->Ut, md * sizeof(double));
    }
    /* the bound and the step belong to the metric, which is fixed per solver */
    if (s->lipschitz <= 0.0) s->lipschitz = lipschitz_bound(s, st->pre);
    if (s->live && !s->xnorm_done) {
        /* ||D_i X||_2 <= ||X||_2: n times the largest eigenvalue of X^T X / n when the
           preconditioner has it (padded for the Gram's rounding), else the padded
           power-iteration estimate (an unsafe screening would be caught by the final
           certificate, never returned) */
        double xs = st->pre ? sqrt((double)s->n * s->ps[s->d - 1] * (1.0 + 1e-4))
                            : sqrt(spectral_norm_sq(s->X, s->n, s->d));
        for (size_t i = 0; i < s->P; i++) s->patnorm[i] = fmin(s->patnorm[i], xs);
        s->xnorm_done = 1;
    }
    if (s->set.step_init > 0.0)
        s->step = s->set.step_init;
    else if (s->step <= 0.0)
        s->step = s->lipschitz > 0.0 ? 1.0 / s->lipschitz : 1.0;

    /* a dual-feasible value from an earlier solve at the same lambda stays valid */
    st->best_dual = s->kept_lambda == s->set.lambda ? s->kept_dual : -INFINITY;
    st->run_dual = st->best_dual;
    /* every solve starts with every group and in the precision asked for */
    cr_unscreen(s);
    s->screened = 0;
    s->single_active = s->Xf != NULL;
    size_t nz = 0; /* a cold start predicts 0 without a product */
    while (nz < md && s->U[nz] == 0.0) nz++;
    if (nz < md)
        cr_forward(s, s->U, st->Yk);
    else
        memset(st->Yk, 0, nc * sizeof(double));
    st->yk_exact = exact_mode(s);
    st->cert_at_U = 0;
    st->fk = cr_data_term(s, st->Yk, st->R);
    gradient_and_dual(s, st, st->R);
    st->grad_at_U = 1;
    st->last_full_gap = INFINITY;
    st->ws_out = 0;
    /* the gradient just taken covers every group: a certificate of the whole program
       at the start, also when the working set then leaves groups out */
    const int certified_start = exact_mode(s);
    if (s->live && s->ws_tau > 0.0) {
        /* the working set: a group zero at the start whose gradient norm there is
           under ws_tau lambda starts outside the products (a strong rule); the
           certificates of the whole program bring back any that could leave zero */
        for (size_t g = 0; g < s->m; g++) {
            const double *u = s->U + g * s->d;
            size_t k = 0;
            while (k < s->d && u[k] == 0.0) k++;
            if (k < s->d) continue;
            if (cblas_dnrm2((int)s->d, st->Grad + g * s->d, 1) < s->ws_tau * s->set.lambda) {
                s->live[g] = 3;
                memset(st->Grad + g * s->d, 0, s->d * sizeof(double));
                st->ws_out++;
            }
        }
        if (st->ws_out) cr_live_rebuild(s);
        s->ws_out = st->ws_out;
    }
    memcpy(st->Uprev, s->U, md * sizeof(double));
    memcpy(st->Yprev, st->Yk, nc * sizeof(double));
    st->beta = 0.0;
    st->mom = 1.0;

    size_t active;
    double pen = s->set.lambda * cr_group_norm_sum(s->U, s->m, s->d, &active);
    info->iter = 0;
    info->objective = st->fk + pen;
    info->uncertified = !certified_start;
    info->dual = info->uncertified ? st->run_dual : st->best_dual;
    info->gap = info->objective - info->dual;
    info->step = s->step;
    info->active = active;
    info->restart = 0;
    *state = st;
    return CVXRELU_OK;
}

static cvxrelu_status rfista_iterate(cvxrelu_solver *s, void *state, cvxrelu_iterate_info *info,
                                     int *stalled)
{
    rfista_state *st = state;
    const size_t md = s->m * s->d, nc = s->n * s->c, d = s->d, m = s->m;
    const double lambda = s->set.lambda, b = st->beta;

    /* extrapolated point V and its predictions (preconditioned: V in the rotated
       coordinates, where the step and the prox are taken) */
    if (st->pre)
        cr_extrapolate(st->V, st->Ut, st->Utprev, md, b);
    else
        cr_extrapolate(st->V, s->U, st->Uprev, md, b);
    cr_extrapolate(st->Yv, st->Yk, st->Yprev, nc, b);
    const double fv = cr_data_term(s, st->Yv, st->R);
    if (st->Rv) memcpy(st->Rv, st->R, nc * sizeof(double));
    if (!(b == 0.0 && st->grad_at_U)) gradient_and_dual(s, st, st->R);
    st->grad_at_U = 0;
    const double *ps = st->pre ? s->ps : NULL;
    if (st->pre) cr_precond_rotate(s, st->Grad, st->Gt, m);

    /* backtracking through the prox */
    double t = s->step, fnew = 0.0, tcurv = 0.0;
    int tries = 0;
    for (;;) {
        if (st->pre) { /* Wt = prox^M(Vt - t M^-1 Gt), Unew = Wt pq */
            for (size_t g = 0; g < m; g++) {
                double *w = st->Wt + g * d;
                const double *v = st->V + g * d, *gt = st->Gt + g * d;
                for (size_t j = 0; j < d; j++) w[j] = v[j] - t * gt[j] / ps[j];
                cr_precond_prox(ps, ps[0], ps[d - 1], w, d, t * lambda);
            }
            cr_precond_unrotate(s, st->Wt, st->Unew, m);
        } else {
            for (size_t i = 0; i < md; i++) st->Unew[i] = st->V[i] - t * st->Grad[i];
            for (size_t g = 0; g < m; g++) cvxrelu_prox_group(st->Unew + g * d, d, t * lambda);
        }
        cr_forward(s, st->Unew, st->Ynew);
        fnew = cr_data_term(s, st->Ynew, st->R);
        const double *un = st->pre ? st->Wt : st->Unew;
        double quad;
        tcurv = cr_step_ratio(st->Ynew, st->Yv, nc, un, st->V, md, t, s->N, ps, d, &quad) *
                cr_loss_smoothness(s->loss);
        if (st->Rv)
            tcurv = cr_step_ratio_loss(s->loss, tcurv, fnew, fv, st->Rv, st->Ynew, st->Yv, nc, t,
                                       s->N, quad);
        if (tcurv <= 1.0) break;
        t *= 0.8;
        if (++tries > 200 || t < 1e-30) {
            *stalled = 1;
            break;
        }
    }

    int restart = st->pre ? cr_fista_momentum(st->Ut, st->Wt, st->V, md, &st->beta, &st->mom, ps, d)
                          : cr_fista_momentum(s->U, st->Unew, st->V, md, &st->beta, &st->mom,
                                              NULL, 0);
    cr_rotate(&st->Uprev, &s->U, &st->Unew);
    if (st->pre) cr_rotate(&st->Utprev, &st->Ut, &st->Wt);
    cr_rotate(&st->Yprev, &st->Yk, &st->Ynew);
    st->fk = fnew;
    st->yk_exact = exact_mode(s);
    st->cert_at_U = 0;
    s->step = cr_next_step_by(t, tcurv, s->set.step_growth > 1.0 ? s->set.step_growth : 1.05);

    size_t active;
    double pen = lambda * cr_group_norm_sum(s->U, m, d, &active);
    info->objective = st->fk + pen;

    /* gap-safe screening every 10 iterations, with the dual point of this
       iteration's gradient (a bound of the screened program, whose optimum is the
       program's) and the new objective */
    if (s->screen_on && s->ma > 0 && !s->single_active && !st->ws_out &&
        ++st->since_screen >= 10) {
        st->since_screen = 0;
        int touched = 0;
        if (cr_screen(s, st->Grad, st->alpha, info->objective - st->last_dual, &touched) &&
            touched) {
            zero_screened(s, st);
            cr_forward(s, s->U, st->Yk);
            cr_forward(s, st->Uprev, st->Yprev);
            st->yk_exact = 0;
            st->fk = cr_data_term(s, st->Yk, st->R);
            pen = lambda * cr_group_norm_sum(s->U, m, d, &active);
            info->objective = st->fk + pen;
            st->grad_at_U = 0;
        }
    }
    /* float products cannot resolve a gap much below 1e-5 of the objective: the
       single-precision phase hands over to a certificate there at the latest */
    const double scale = fmax(1.0, fabs(info->objective));
    const double run_gap = info->objective - st->run_dual;
    info->uncertified = !exact_mode(s);
    /* certify when the running gap is 10x below the last certified one (at once the
       first time), or small enough to finish */
    const double target = fmax(s->set.tol, s->single_active ? 1e-5 : 0.0) * scale;
    /* a float phase whose running gap has not fallen by 10 % in 500 iterations has met
       its floor above the target (large outputs under logistic or ce): over to double */
    int single_stall = 0;
    if (s->single_active) {
        if (!(run_gap >= 0.9 * st->single_best) || st->single_since == 0) {
            st->single_best = run_gap;
            st->single_since = 1;
        } else {
            single_stall = ++st->single_since > 500;
        }
    }
    if (info->uncertified &&
        (run_gap <= fmax(target, 0.1 * st->last_full_gap) || single_stall)) {
        /* certify the whole program in double */
        info->objective = certify_full(s, st);
        after_certificate(s, st, info->objective);
        double full_gap = info->objective - st->best_dual;
        st->last_full_gap = full_gap;
        if (full_gap > s->set.tol * fmax(1.0, fabs(info->objective))) {
            /* not yet: in double once the running gap reached the float floor */
            if (s->single_active && (run_gap <= target || single_stall)) {
                s->single_active = 0;
                cr_forward(s, st->Uprev, st->Yprev);
            }
            info->uncertified = !exact_mode(s);
        } else {
            info->uncertified = 0;
        }
        cr_group_norm_sum(s->U, m, d, &active);
    }
    info->dual = info->uncertified ? st->run_dual : st->best_dual;
    info->gap = info->objective - info->dual;
    info->step = t;
    info->active = active;
    info->restart = restart;
    return CVXRELU_OK;
}

static cvxrelu_status rfista_finish(cvxrelu_solver *s, void *state, cvxrelu_result *res)
{
    rfista_state *st = state;
    size_t active;
    /* exact certificate at the returned weights: double products over every group
       (already there when the last whole-program certificate was taken at U; the
       predictions already there when the last products were exact) */
    s->single_active = 0;
    cr_unscreen(s);
    if (!st->yk_exact) cr_forward(s, s->U, st->Yk);
    res->loss = cr_data_term(s, st->Yk, st->R);
    if (!st->cert_at_U && !st->cut) gradient_and_dual(s, st, st->R);
    res->penalty = s->set.lambda * cr_group_norm_sum(s->U, s->m, s->d, &active);
    res->objective = res->loss + res->penalty;
    res->dual = st->best_dual;
    s->kept_dual = st->best_dual;
    s->kept_lambda = s->set.lambda;
    res->gap = res->objective - res->dual;
    /* rounding can leave a gap a few ulps below zero */
    if (res->gap < 0.0 && res->gap > -1e-12 * fmax(1.0, fabs(res->objective))) res->gap = 0.0;
    res->active_groups = active;
    res->preconditioned = st->pre;
    if (s->lambda_max < 0.0 && !st->cut) {
        s->lambda_max = cr_lambda_max_at_zero(s, st->Ynew, st->R, st->Grad);
    }
    res->lambda_max = s->lambda_max >= 0.0 ? s->lambda_max : NAN;
    return CVXRELU_OK;
}

/* U + 4 (m x d) + 4 (m x d), one row block of nb x m, 5 (n x c), and the d x d metric
   with its eigenvalues only where precond.c may build it (a 500 x 60000 sparse file was
   refused as 27 GiB for a metric never made) */
static size_t rfista_doubles(size_t n, size_t d, size_t m, size_t nc, size_t P)
{
    (void)P;
    size_t md = m * d; /* checked by the caller */
    size_t doubles = cr_sat_muladd(md, 9, 0);
    if (d >= 2 && d <= n && d <= CVXRELU_PRECOND_MAX_D) doubles = cr_sat_muladd(d, d + 1, doubles);
    doubles = cr_sat_muladd(cr_block_rows(n, d, m), m, doubles);
    return cr_sat_muladd(nc, 6, doubles); /* Rv: losses other than squared */
}

const cr_solver_type cr_rfista_type = {"R-FISTA", rfista_init, rfista_iterate, rfista_finish,
                                       rfista_free, 1, 1, 1, 1, NULL, rfista_doubles};
