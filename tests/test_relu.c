/*
 * The exact ReLU program (docs/algorithms.md, "The exact ReLU program" to "Cone decomposition"): certified gaps, feasibility,
 * recovery of the network (objective and predictions), the gated program as
 * a lower bound, cone decompositions, exhaustive patterns on 1-D data.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvxrelu.h"
#include "cone.h"
#include "test_helpers.h"



static void test_relu_recovery_and_certificate(void **state)
{
    (void)state;
    const size_t cs[] = {1, 3, 1};
    for (int t = 0; t < 3; t++) {
        size_t n = 60 + 20 * (size_t)t, d = 4, c = cs[t];
        double *X, *Y;
        assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, 50 + (uint64_t)t, &X, &Y, NULL), 0);
        for (size_t j = 0; j < n; j++) X[j * d + d - 1] = 1.0;
        cvxrelu_patterns *pat;
        assert_int_equal(cvxrelu_patterns_sample(X, n, d, 12, 9 + (uint64_t)t, 0, &pat, NULL), 0);
        double lambda = 0.05 * cvxrelu_lambda_max(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat);
        cvxrelu_result rr, rg;
        cvxrelu_solver *sr = solve(X, n, d, Y, c, pat, CVXRELU_SOLVER_RELU, lambda, 1e-8, &rr);
        cvxrelu_solver *sg = solve(X, n, d, Y, c, pat, CVXRELU_SOLVER_RFISTA, lambda, 1e-8, &rg);
        printf("# n=%zu c=%zu P=%zu: relu %.10g (gap %.1e, %zu it, violation %.1e), gated %.10g\n",
               n, c, pat->P, rr.objective, rr.gap, rr.iterations, rr.violation, rg.objective);
        assert_int_equal(rr.exit, CVXRELU_EXIT_CONVERGED);
        assert_true(rr.gap >= 0.0 && rr.gap <= 1e-8 * fmax(1.0, rr.objective));
        /* the gated program relaxes the ReLU one: its certified lower bound is below */
        assert_true(rg.dual <= rr.objective);
        assert_true(rr.dual <= rr.objective);
        cvxrelu_model *m;
        assert_int_equal(cvxrelu_model_from_relu(pat, cvxrelu_solver_weights(sr), c, lambda,
                                                 plain_encoding(d, c), &m, NULL), 0);
        assert_int_equal(m->kind, CVXRELU_MODEL_RELU);
        double *Yc = malloc(n * c * sizeof(double)), *Yn = malloc(n * c * sizeof(double));
        cvxrelu_solver_predict_train(sr, Yc);
        cvxrelu_model_forward(m, X, n, Yn);
        double diff = 0.0;
        for (size_t i = 0; i < n * c; i++) diff = fmax(diff, fabs(Yc[i] - Yn[i]));
        double netobj = cvxrelu_model_objective(m, X, Y, n, lambda);
        printf("#   network objective %.12g vs convex %.12g; max |prediction diff| %.1e\n", netobj,
               rr.objective, diff);
        assert_true(diff <= 1e-8);
        assert_true(fabs(netobj - rr.objective) <= 1e-6 * fmax(1.0, rr.objective));
        /* every cone constraint holds exactly for the returned weights */
        const double *U = cvxrelu_solver_weights(sr);
        for (size_t g = 0; g < 2 * pat->P * c; g++) {
            size_t i = g / (2 * c);
            for (size_t j = 0; j < n; j++) {
                double z = 0.0;
                for (size_t l = 0; l < d; l++) z += X[j * d + l] * U[g * d + l];
                if (cvxrelu_pattern_bit(pat, i, j)) assert_true(z >= 0.0);
                else assert_true(z <= 0.0);
            }
        }
        free(Yc);
        free(Yn);
        cvxrelu_model_free(m);
        cvxrelu_solver_free(sr);
        cvxrelu_solver_free(sg);
        cvxrelu_patterns_free(pat);
        free(X);
        free(Y);
    }
}

/* Newton steps on the face (settings.polish): with and without them the exact program
   reaches the same optimum (the two objectives within the sum of the two certified gaps,
   and each run's dual bound below the other's objective: weak duality), the polished
   weights satisfy every cone constraint, and on these problems the steps cut the
   iterations to the tolerance.  Every loss, one and several outputs. */
static void test_relu_polish_same_optimum(void **state)
{
    (void)state;
    const cvxrelu_loss losses[] = {CVXRELU_LOSS_SQUARED, CVXRELU_LOSS_SQUARED,
                                   CVXRELU_LOSS_LOGISTIC, CVXRELU_LOSS_CE, CVXRELU_LOSS_HUBER};
    const size_t cs[] = {1, 3, 1, 3, 1};
    size_t it_on = 0, it_off = 0;
    for (size_t t = 0; t < sizeof losses / sizeof *losses; t++) {
        const size_t n = 120, d = 6, c = cs[t];
        double *X, *Y;
        assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 4, 0.1, 70 + (uint64_t)t, &X, &Y, NULL), 0);
        for (size_t j = 0; j < n; j++) X[j * d + d - 1] = 1.0;
        if (losses[t] == CVXRELU_LOSS_LOGISTIC)
            for (size_t j = 0; j < n; j++) Y[j] = Y[j] > 0.3 ? 1.0 : -1.0;
        if (losses[t] == CVXRELU_LOSS_CE)
            for (size_t j = 0; j < n; j++) {
                size_t k = 0;
                for (size_t l = 1; l < c; l++)
                    if (Y[j * c + l] > Y[j * c + k]) k = l;
                for (size_t l = 0; l < c; l++) Y[j * c + l] = l == k;
            }
        cvxrelu_patterns *pat;
        assert_int_equal(cvxrelu_patterns_sample(X, n, d, 20, 3 + (uint64_t)t, 0, &pat, NULL), 0);
        cvxrelu_problem pb = {X, n, d, Y, c, losses[t], 0.5};
        const double lambda = 0.02 * cvxrelu_lambda_max(&pb, pat);
        cvxrelu_result r[2];
        const double *U = NULL;
        cvxrelu_solver *sv[2];
        for (int p = 0; p < 2; p++) {
            cvxrelu_settings set;
            cvxrelu_settings_default(&set);
            set.solver = CVXRELU_SOLVER_RELU;
            set.relu_method = CVXRELU_RELU_PROJECTED;
            set.lambda = lambda;
            set.tol = 1e-9;
            set.max_iter = 300000;
            set.polish = p == 0;
            assert_int_equal(cvxrelu_solver_new(&pb, pat, &set, &sv[p], NULL), 0);
            assert_int_equal(cvxrelu_solver_solve(sv[p], &r[p], NULL), 0);
            assert_int_equal(r[p].exit, CVXRELU_EXIT_CONVERGED);
        }
        U = cvxrelu_solver_weights(sv[0]);
        const double scale = fmax(1.0, fabs(r[1].objective));
        printf("# %s c=%zu: polished %.12g (gap %.1e, %zu it), first-order %.12g (gap %.1e, %zu it)\n",
               cvxrelu_loss_name(losses[t]), c, r[0].objective, r[0].gap, r[0].iterations,
               r[1].objective, r[1].gap, r[1].iterations);
        assert_true(fabs(r[0].objective - r[1].objective) <=
                    r[0].gap + r[1].gap + 1e-12 * scale);
        assert_true(r[0].dual <= r[1].objective + 1e-12 * scale);
        assert_true(r[1].dual <= r[0].objective + 1e-12 * scale);
        for (size_t g = 0; g < 2 * pat->P * c; g++) {
            const size_t i = g / (2 * c);
            for (size_t j = 0; j < n; j++) {
                double z = 0.0;
                for (size_t l = 0; l < d; l++) z += X[j * d + l] * U[g * d + l];
                if (cvxrelu_pattern_bit(pat, i, j)) assert_true(z >= 0.0);
                else assert_true(z <= 0.0);
            }
        }
        it_on += r[0].iterations;
        it_off += r[1].iterations;
        cvxrelu_solver_free(sv[0]);
        cvxrelu_solver_free(sv[1]);
        cvxrelu_patterns_free(pat);
        free(X);
        free(Y);
    }
    printf("# iterations to gap 1e-9: %zu with the Newton steps, %zu without\n", it_on, it_off);
    assert_true(it_on < it_off);
}

/* Heartbeats (settings.heartbeat_s): with a tiny interval every stop check inside a step
   reports a sign of life; the iteration reports are those of a run without them (one per
   iteration, plus the start's), the result is bit for bit the same, and a heartbeat
   before the first report has a NaN objective and iteration 0. */
typedef struct {
    size_t rows, beats, beats_before_first, bad;
    size_t last_iter;
} beat_count;

static void count_beats(const cvxrelu_iterate_info *it, void *user)
{
    beat_count *b = user;
    if (it->heartbeat) {
        b->beats++;
        if (b->rows == 0) {
            b->beats_before_first++;
            if (!isnan(it->objective) || it->iter != 0) b->bad++;
        } else if (it->iter < b->last_iter) {
            b->bad++;
        }
        return;
    }
    b->rows++;
    b->last_iter = it->iter;
}

static void test_relu_heartbeat(void **state)
{
    (void)state;
    const size_t n = 200, d = 8;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, 1, 4, 0.1, 5, &X, &Y, NULL), 0);
    cvxrelu_patterns *pat;
    assert_int_equal(cvxrelu_patterns_sample(X, n, d, 30, 2, 0, &pat, NULL), 0);
    cvxrelu_problem pb = {X, n, d, Y, 1, CVXRELU_LOSS_SQUARED, 0.0};
    cvxrelu_result r[2];
    beat_count bc[2];
    memset(bc, 0, sizeof bc);
    for (int k = 0; k < 2; k++) {
        cvxrelu_settings set;
        cvxrelu_settings_default(&set);
        set.solver = CVXRELU_SOLVER_RELU;
        set.lambda = 1e-3;
        set.tol = 1e-8;
        set.max_iter = 100000;
        set.heartbeat_s = k == 0 ? 1e-300 : 0.0;
        set.callback = count_beats;
        set.callback_data = &bc[k];
        cvxrelu_solver *s;
        assert_int_equal(cvxrelu_solver_new(&pb, pat, &set, &s, NULL), 0);
        assert_int_equal(cvxrelu_solver_solve(s, &r[k], NULL), 0);
        cvxrelu_solver_free(s);
    }
    printf("# heartbeats %zu (%zu before the first report), reports %zu and %zu, iterations %zu\n",
           bc[0].beats, bc[0].beats_before_first, bc[0].rows, bc[1].rows, r[0].iterations);
    assert_true(bc[0].beats > 0 && bc[0].beats_before_first > 0);
    assert_int_equal(bc[0].bad, 0);
    assert_int_equal(bc[1].beats, 0);
    assert_int_equal(bc[0].rows, bc[1].rows);
    assert_int_equal(bc[0].rows, r[0].iterations + 1);
    assert_int_equal(r[0].iterations, r[1].iterations);
    assert_true(r[0].objective == r[1].objective && r[0].dual == r[1].dual);
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
}

static void test_decomposition(void **state)
{
    (void)state;
    size_t n = 80, d = 5, c = 2;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 4, 0.1, 77, &X, &Y, NULL), 0);
    for (size_t j = 0; j < n; j++) X[j * d + d - 1] = 1.0;
    cvxrelu_patterns *pat;
    assert_int_equal(cvxrelu_patterns_sample(X, n, d, 15, 3, 0, &pat, NULL), 0);
    double lambda = 0.03 * cvxrelu_lambda_max(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat);
    cvxrelu_result rg, rr;
    cvxrelu_solver *sg = solve(X, n, d, Y, c, pat, CVXRELU_SOLVER_RFISTA, lambda, 1e-9, &rg);
    cvxrelu_solver *sr = solve(X, n, d, Y, c, pat, CVXRELU_SOLVER_RELU, lambda, 1e-9, &rr);
    double *Yg = malloc(n * c * sizeof(double)), *Yr = malloc(n * c * sizeof(double));
    cvxrelu_solver_predict_train(sg, Yg);
    double ratios[2];
    for (int method = 0; method < 2; method++) {
        double *Ur;
        assert_int_equal(cvxrelu_decompose_gated(X, n, d, pat, cvxrelu_solver_weights(sg), c,
                                                 (cvxrelu_decompose_method)method, NULL, &Ur,
                                                 &ratios[method], NULL, NULL), 0);
        cvxrelu_model *m;
        assert_int_equal(cvxrelu_model_from_relu(pat, Ur, c, lambda, plain_encoding(d, c), &m, NULL), 0);
        cvxrelu_model_forward(m, X, n, Yr);
        double diff = 0.0;
        for (size_t i = 0; i < n * c; i++) diff = fmax(diff, fabs(Yg[i] - Yr[i]));
        /* the decomposed network is feasible for the ReLU program: its value is
           at least that program's certified lower bound */
        double netobj = cvxrelu_model_objective(m, X, Y, n, lambda);
        printf("# %s: sharpness %.6f, max |ReLU - gated| %.1e, network objective %.8g >= "
               "ReLU optimum %.8g >= gated %.8g\n", method ? "min-norm" : "closed form",
               ratios[method], diff, netobj, rr.objective, rg.objective);
        assert_true(diff <= 1e-10);
        assert_true(ratios[method] >= 1.0);
        assert_true(netobj >= rr.dual - 1e-12);
        /* its objective is the gated fit plus lambda times the paid norms */
        double pen_g = rg.penalty;
        assert_true(fabs(netobj - (rg.loss + pen_g * ratios[method])) <= 1e-8 * fmax(1.0, netobj));
        free(Ur);
        cvxrelu_model_free(m);
    }
    assert_true(ratios[1] <= ratios[0] * (1.0 + 1e-12));
    {
        /* a stop request before the min-norm work: every group keeps the closed
           form (exact, the closed form's sharpness), and the outcome says so */
        volatile sig_atomic_t flag = 1;
        cvxrelu_limits lim = {0.0, &flag};
        cvxrelu_exit ex = CVXRELU_EXIT_CONVERGED;
        double *Ur, ratio;
        assert_int_equal(cvxrelu_decompose_gated(X, n, d, pat, cvxrelu_solver_weights(sg), c,
                                                 CVXRELU_DECOMPOSE_MIN_NORM, &lim, &Ur, &ratio,
                                                 &ex, NULL), 0);
        printf("# min-norm interrupted: exit %s, sharpness %.6f (closed form %.6f)\n",
               cvxrelu_exit_string(ex), ratio, ratios[0]);
        assert_int_equal(ex, CVXRELU_EXIT_INTERRUPTED);
        assert_true(ratio == ratios[0]);
        free(Ur);
    }
    free(Yg);
    free(Yr);
    cvxrelu_solver_free(sg);
    cvxrelu_solver_free(sr);
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
}

/* lambda_max of the ReLU program (several outputs, so 2 P c groups > P gates):
   at lambda slightly above it the solution is U = 0 and certified, slightly
   below it a group turns on.  The truth is the optimality condition at U = 0,
   max_g ||P_K(s X^T D_i Y_k / N)|| <= lambda, checked by the two solves. */
static void test_relu_lambda_max(void **state)
{
    (void)state;
    size_t n = 60, d = 4, c = 3;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, 5, &X, &Y, NULL), 0);
    cvxrelu_patterns *pat;
    assert_int_equal(cvxrelu_patterns_sample(X, n, d, 30, 9, 0, &pat, NULL), 0);
    cvxrelu_result r0, r1, r2;
    cvxrelu_solver *s0 = solve(X, n, d, Y, c, pat, CVXRELU_SOLVER_RELU, 1e-2, 1e-8, &r0);
    double lmax = r0.lambda_max;
    printf("# relu lambda_max %.10g (gated %.10g)\n", lmax, cvxrelu_lambda_max(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat));
    assert_true(isfinite(lmax) && lmax > 0.0);
    /* the cone-projected gradient is no larger than the plain one */
    assert_true(lmax <= cvxrelu_lambda_max(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat) * (1.0 + 1e-12));
    cvxrelu_solver *s1 = solve(X, n, d, Y, c, pat, CVXRELU_SOLVER_RELU, 1.001 * lmax, 1e-10, &r1);
    assert_int_equal(r1.active_groups, 0);
    assert_true(r1.gap <= 1e-10 * fmax(1.0, r1.objective));
    cvxrelu_solver *s2 = solve(X, n, d, Y, c, pat, CVXRELU_SOLVER_RELU, 0.98 * lmax, 1e-10, &r2);
    assert_true(r2.active_groups > 0);
    assert_true(r2.objective < r1.objective);
    cvxrelu_solver_free(s0);
    cvxrelu_solver_free(s1);
    cvxrelu_solver_free(s2);
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
}

/* A stop request before the start (interrupt flag already set, or a time limit
   already over) ends the ReLU solve before iteration 1 with that outcome, at a
   feasible point whose objective is finite. */
static void test_relu_stop_at_start(void **state)
{
    (void)state;
    size_t n = 50, d = 4, c = 2;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, 6, &X, &Y, NULL), 0);
    cvxrelu_patterns *pat;
    assert_int_equal(cvxrelu_patterns_sample(X, n, d, 20, 4, 0, &pat, NULL), 0);
    for (int mode = 0; mode < 2; mode++) {
        volatile sig_atomic_t flag = mode == 0;
        cvxrelu_settings set;
        cvxrelu_settings_default(&set);
        set.solver = CVXRELU_SOLVER_RELU;
        set.lambda = 1e-3;
        set.interrupt = &flag;
        set.time_limit_s = mode == 1 ? 1e-12 : 0.0;
        cvxrelu_solver *s;
        assert_int_equal(cvxrelu_solver_new(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat, &set, &s, NULL), 0);
        cvxrelu_result res;
        assert_int_equal(cvxrelu_solver_solve(s, &res, NULL), 0);
        printf("# stop before the start (%s): exit %s, %zu iterations, objective %.6g\n",
               mode ? "time limit" : "interrupt", cvxrelu_exit_string(res.exit), res.iterations,
               res.objective);
        assert_int_equal(res.exit, mode ? CVXRELU_EXIT_TIME_LIMIT : CVXRELU_EXIT_INTERRUPTED);
        assert_int_equal(res.iterations, 0);
        assert_true(isfinite(res.objective));
        assert_true(res.violation == 0.0);
        cvxrelu_solver_free(s);
    }
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
}

/* 1-D data with a bias column: the patterns are exactly the threshold sets
   {j : x_j > theta} and {j : x_j < theta} */
static void test_enumeration_1d(void **state)
{
    (void)state;
    const size_t n = 17;
    double X[2 * 17], x[17];
    for (size_t j = 0; j < n; j++) {
        x[j] = sin(3.0 * (double)j + 1.0) * 2.0; /* distinct, unsorted */
        X[2 * j] = x[j];
        X[2 * j + 1] = 1.0;
    }
    cvxrelu_patterns *pat;
    assert_int_equal(cvxrelu_patterns_enumerate(X, n, 2, &pat, NULL), 0);
    /* brute force: all non-empty threshold sets, both directions */
    size_t expected = 0;
    uint64_t seen[2 * 17 + 2];
    for (size_t t = 0; t <= n; t++) {
        for (int dir = 0; dir < 2; dir++) {
            uint64_t set = 0;
            for (size_t j = 0; j < n; j++) {
                size_t rank = 0;
                for (size_t l = 0; l < n; l++) rank += x[l] < x[j];
                int in = dir ? rank >= t : rank < t;
                if (in) set |= (uint64_t)1 << j;
            }
            int dup = set == 0;
            for (size_t q = 0; q < expected && !dup; q++) dup = seen[q] == set;
            if (!dup) seen[expected++] = set;
        }
    }
    printf("# 1-D, n=%zu: %zu patterns enumerated, %zu by brute force\n", n, pat->P, expected);
    assert_int_equal(pat->P, expected);
    for (size_t i = 0; i < pat->P; i++) {
        uint64_t set = pat->bits[i * pat->words_per_pattern];
        int found = 0;
        for (size_t q = 0; q < expected; q++) found |= seen[q] == set;
        assert_true(found);
        /* the gate is strictly inside its cone */
        for (size_t j = 0; j < n; j++) {
            double z = X[2 * j] * pat->gates[2 * i] + pat->gates[2 * i + 1];
            assert_true(fabs(z) > 0.0);
        }
    }
    cvxrelu_patterns_free(pat);
    /* rank 3 is refused with the reason */
    double X3[3 * 5] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 2, 1, 0};
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_patterns_enumerate(X3, 5, 3, &pat, &err), CVXRELU_ERR_UNSUPPORTED);
    assert_null(pat);
    assert_non_null(strstr(err.msg, "at most 2"));
}

/* The closest point to y among the projections onto the subspaces {u : C_S u = 0}
   (|S| <= d, C_S of full row rank) that lie in the cone: the projection onto the cone
   is one of them (onto the subspace of its active rows), and every feasible one is at
   least as far from y.  By enumeration of every subset of the n rows. */
static void cone_project_enumerated(const double *X, const double *a, size_t n, size_t d,
                                    const double *y, double *best)
{
    double best_dist = INFINITY, G[9], rhs[3], u[3];
    assert_true(d <= 3);
    for (unsigned mask = 0; mask < (1u << n); mask++) {
        size_t S[3], ns = 0;
        if ((size_t)__builtin_popcount(mask) > d) continue;
        for (size_t j = 0; j < n; j++)
            if (mask >> j & 1) S[ns++] = j;
        /* (C_S C_S^T) w = C_S y by elimination with partial pivoting, u = y - C_S^T w */
        for (size_t p = 0; p < ns; p++) {
            rhs[p] = 0.0;
            for (size_t l = 0; l < d; l++) rhs[p] += a[S[p]] * X[S[p] * d + l] * y[l];
            for (size_t q = 0; q < ns; q++) {
                G[p * 3 + q] = 0.0;
                for (size_t l = 0; l < d; l++)
                    G[p * 3 + q] += a[S[p]] * a[S[q]] * X[S[p] * d + l] * X[S[q] * d + l];
            }
        }
        int singular = 0;
        for (size_t c = 0; c < ns && !singular; c++) {
            size_t piv = c;
            for (size_t r = c + 1; r < ns; r++)
                if (fabs(G[r * 3 + c]) > fabs(G[piv * 3 + c])) piv = r;
            if (fabs(G[piv * 3 + c]) < 1e-10) {
                singular = 1;
                break;
            }
            for (size_t l = 0; l < ns; l++) {
                double t = G[c * 3 + l];
                G[c * 3 + l] = G[piv * 3 + l];
                G[piv * 3 + l] = t;
            }
            double t = rhs[c];
            rhs[c] = rhs[piv];
            rhs[piv] = t;
            for (size_t r = 0; r < ns; r++) {
                if (r == c) continue;
                double f = G[r * 3 + c] / G[c * 3 + c];
                for (size_t l = 0; l < ns; l++) G[r * 3 + l] -= f * G[c * 3 + l];
                rhs[r] -= f * rhs[c];
            }
        }
        if (singular) continue;
        memcpy(u, y, d * sizeof(double));
        for (size_t p = 0; p < ns; p++)
            for (size_t l = 0; l < d; l++) u[l] -= rhs[p] / G[p * 3 + p] * a[S[p]] * X[S[p] * d + l];
        int feasible = 1;
        for (size_t j = 0; j < n; j++) {
            double v = 0.0;
            for (size_t l = 0; l < d; l++) v += X[j * d + l] * u[l];
            if (a[j] * v < -1e-12) feasible = 0;
        }
        double dist = 0.0;
        for (size_t l = 0; l < d; l++) dist += (u[l] - y[l]) * (u[l] - y[l]);
        if (feasible && dist < best_dist) {
            best_dist = dist;
            memcpy(best, u, d * sizeof(double));
        }
    }
    assert_true(isfinite(best_dist)); /* u = 0 (S spanning) or y itself is always a candidate */
}

/* The active-set projection onto a pattern's cone against enumeration: from an empty
   warm start, from the previous point's set with its kept Cholesky factor (updated as
   rows enter and leave), step by step with the products formed outside; with the Gram
   entries computed or read from X X^T. */
static void test_cone_projection_enumeration(void **state)
{
    (void)state;
    const size_t n = 9, d = 3;
    cr_rng rng;
    cr_rng_seed(&rng, 12345);
    double X[27], a[9], y[3], zy[9], u[3], z[9], ref[3], L[9];
    double work[CR_CONE_WORK(9, 3)];
    size_t S_cold[3], S_kept[3], ns_kept = 0, warm_used = 0, kept_nonempty = 0;
    for (int trial = 0; trial < 400; trial++) {
        if (trial % 20 == 0) { /* a new cone every 20 points; the kept set starts empty */
            for (size_t i = 0; i < n * d; i++) X[i] = cr_rng_normal(&rng);
            for (size_t j = 0; j < n; j++) a[j] = cr_rng_uniform(&rng) < 0.5 ? 1.0 : -1.0;
            ns_kept = 0;
        }
        for (size_t l = 0; l < d; l++) y[l] = cr_rng_normal(&rng);
        double xmax = 0.0;
        for (size_t j = 0; j < n; j++) {
            zy[j] = 0.0;
            double nx = 0.0;
            for (size_t l = 0; l < d; l++) {
                zy[j] += X[j * d + l] * y[l];
                nx += X[j * d + l] * X[j * d + l];
            }
            xmax = fmax(xmax, sqrt(nx));
        }
        double G[81]; /* X X^T: odd trials take the Gram entries from it */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                G[i * n + j] = 0.0;
                for (size_t l = 0; l < d; l++) G[i * n + j] += X[i * d + l] * X[j * d + l];
            }
        cr_cone k = {X, a, n, d, xmax, NULL, (trial & 1) ? G : NULL};
        cone_project_enumerated(X, a, n, d, y, ref);
        size_t ns = 0;
        assert_int_equal(cr_cone_project(&k, y, zy, u, z, S_cold, &ns, NULL, work), 0);
        for (size_t l = 0; l < d; l++) assert_true(fabs(u[l] - ref[l]) <= 1e-9);
        for (size_t j = 0; j < n; j++) {
            double v = 0.0;
            for (size_t l = 0; l < d; l++) v += X[j * d + l] * u[l];
            assert_true(fabs(z[j] - v) <= 1e-12 * (1.0 + fabs(v))); /* z = X u */
        }
        /* the method step by step from the kept set and factor (copies), the products
           formed here, as a caller that forms those of many groups at once does; the
           warm start's point alone is the projection when no row is violated */
        size_t S_w[3];
        double Lw[9], bw[3], muw[3], zz[9];
        memcpy(S_w, S_kept, sizeof S_w);
        memcpy(Lw, L, sizeof Lw);
        cr_cone_state cs = {S_w, ns_kept, Lw, bw, muw, 0};
        cr_cone_begin(&k, y, &cs, 1, u, work);
        int steps = 0;
        for (;; steps++) {
            for (size_t j = 0; j < n; j++) {
                zz[j] = 0.0;
                for (size_t l = 0; l < d; l++) zz[j] += X[j * d + l] * u[l];
            }
            if (!cr_cone_next(&k, y, zz, &cs, u, work)) break;
        }
        for (size_t l = 0; l < d; l++) assert_true(fabs(u[l] - ref[l]) <= 1e-9);
        warm_used += ns_kept > 0 && steps == 0;
        kept_nonempty += ns_kept > 0;
        assert_int_equal(cr_cone_project(&k, y, zy, u, z, S_kept, &ns_kept, L, work), 0);
        for (size_t l = 0; l < d; l++) assert_true(fabs(u[l] - ref[l]) <= 1e-9);
    }
    printf("# 400 projections: %zu from a kept non-empty set, %zu of them by its warm start alone\n",
           kept_nonempty, warm_used);
    assert_true(kept_nonempty > 50 && warm_used > 10); /* both paths were taken */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cone_projection_enumeration),
        cmocka_unit_test(test_relu_recovery_and_certificate),
        cmocka_unit_test(test_relu_polish_same_optimum),
        cmocka_unit_test(test_relu_heartbeat),
        cmocka_unit_test(test_decomposition),
        cmocka_unit_test(test_enumeration_1d),
        cmocka_unit_test(test_relu_lambda_max),
        cmocka_unit_test(test_relu_stop_at_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
