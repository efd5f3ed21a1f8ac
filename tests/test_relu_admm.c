/*
 * The two solvers of the exact ReLU program (docs/algorithms.md, "Solvers of the exact
 * program"): ADMM against projected R-FISTA on random problems and on 1-D data with every
 * pattern (their objectives agree within the sum of their certified gaps, each one's dual
 * bound lies below the other's objective), the repaired weights satisfy every cone
 * constraint (also after an early stop), the recovered network reproduces the convex fit,
 * a warm start from a solution stops at once, a stop before the first iteration.
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
#include "test_helpers.h"

static cvxrelu_solver *solve_method(const double *X, size_t n, size_t d, const double *Y,
                                    size_t c, const cvxrelu_patterns *pat,
                                    cvxrelu_relu_method method, double lambda, double eps,
                                    size_t max_iter, cvxrelu_result *res)
{
    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    set.solver = CVXRELU_SOLVER_RELU;
    set.relu_method = method;
    set.lambda = lambda;
    set.tol = eps;
    set.max_iter = max_iter;
    cvxrelu_solver *s;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_solver_new(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat, &set, &s, &err);
    if (st) printf("# %s\n", err.msg);
    assert_int_equal(st, 0);
    assert_int_equal(cvxrelu_solver_solve(s, res, NULL), 0);
    assert_int_equal(res->relu_method, method);
    return s;
}

/* Every cone constraint of the weights U holds exactly (sign of each row's product). */
static void assert_feasible(const double *X, size_t n, size_t d, size_t c,
                            const cvxrelu_patterns *pat, const double *U)
{
    for (size_t g = 0; g < 2 * pat->P * c; g++) {
        size_t i = g / (2 * c);
        for (size_t j = 0; j < n; j++) {
            double z = 0.0;
            for (size_t l = 0; l < d; l++) z += X[j * d + l] * U[g * d + l];
            if (cvxrelu_pattern_bit(pat, i, j)) assert_true(z >= 0.0);
            else assert_true(z <= 0.0);
        }
    }
}

/* ADMM and projected R-FISTA on one problem: agreement within the gaps, duals below the
   other's objective, feasibility, the network's objective and predictions. */
static void compare(const double *X, size_t n, size_t d, const double *Y, size_t c,
                    const cvxrelu_patterns *pat, double lambda, const char *what)
{
    cvxrelu_result ra, rp;
    cvxrelu_solver *sa = solve_method(X, n, d, Y, c, pat, CVXRELU_RELU_ADMM, lambda, 1e-6,
                                      200000, &ra);
    cvxrelu_solver *sp = solve_method(X, n, d, Y, c, pat, CVXRELU_RELU_PROJECTED, lambda, 1e-8,
                                      300000, &rp);
    printf("# %s (n=%zu d=%zu c=%zu P=%zu): admm %.12g (gap %.1e, %zu it, %s), projected "
           "%.12g (gap %.1e, %zu it)\n", what, n, d, c, pat->P, ra.objective, ra.gap,
           ra.iterations, cvxrelu_exit_string(ra.exit), rp.objective, rp.gap, rp.iterations);
    assert_int_equal(ra.exit, CVXRELU_EXIT_CONVERGED);
    assert_int_equal(rp.exit, CVXRELU_EXIT_CONVERGED);
    assert_true(ra.gap >= 0.0 && rp.gap >= 0.0);
    const double slack = 1e-12 * fmax(1.0, fabs(rp.objective));
    assert_true(fabs(ra.objective - rp.objective) <= ra.gap + rp.gap + slack);
    assert_true(ra.dual <= rp.objective + slack);
    assert_true(rp.dual <= ra.objective + slack);
    const double *U = cvxrelu_solver_weights(sa);
    assert_feasible(X, n, d, c, pat, U);
    cvxrelu_model *m;
    assert_int_equal(cvxrelu_model_from_relu(pat, U, c, lambda, plain_encoding(d, c), &m, NULL), 0);
    double *Yc = malloc(n * c * sizeof(double)), *Yn = malloc(n * c * sizeof(double));
    assert_int_equal(cvxrelu_solver_predict_train(sa, Yc), 0);
    cvxrelu_model_forward(m, X, n, Yn);
    double diff = 0.0;
    for (size_t i = 0; i < n * c; i++) diff = fmax(diff, fabs(Yc[i] - Yn[i]));
    double netobj = cvxrelu_model_objective(m, X, Y, n, lambda);
    printf("#   network objective %.12g, max |network - convex| %.1e\n", netobj, diff);
    assert_true(diff <= 1e-8);
    assert_true(fabs(netobj - ra.objective) <= 1e-8 * fmax(1.0, ra.objective));
    free(Yc);
    free(Yn);
    cvxrelu_model_free(m);
    cvxrelu_solver_free(sa);
    cvxrelu_solver_free(sp);
}

static void test_admm_random(void **state)
{
    (void)state;
    const size_t cs[] = {1, 3, 1};
    for (int t = 0; t < 3; t++) {
        size_t n = 40 + 20 * (size_t)t, d = 4, c = cs[t];
        double *X, *Y;
        assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, 70 + (uint64_t)t, &X, &Y, NULL), 0);
        for (size_t j = 0; j < n; j++) X[j * d + d - 1] = 1.0;
        cvxrelu_patterns *pat;
        assert_int_equal(cvxrelu_patterns_sample(X, n, d, 10, 3 + (uint64_t)t, 0, &pat, NULL), 0);
        double lambda = (t == 2 ? 0.3 : 0.05) * cvxrelu_lambda_max(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat);
        compare(X, n, d, Y, c, pat, lambda, "random");
        cvxrelu_patterns_free(pat);
        free(X);
        free(Y);
    }
}

/* 1-D data with a bias column and every pattern: the program of the network of any width */
static void test_admm_1d_all_patterns(void **state)
{
    (void)state;
    const size_t n = 15, d = 2;
    double X[2 * 15], Y[15];
    for (size_t j = 0; j < n; j++) {
        X[2 * j] = -1.0 + 2.0 * (double)j / (double)(n - 1);
        X[2 * j + 1] = 1.0;
        Y[j] = fabs(X[2 * j]) - 0.4 + 0.1 * sin(7.0 * (double)j);
    }
    cvxrelu_patterns *pat;
    assert_int_equal(cvxrelu_patterns_enumerate(X, n, d, &pat, NULL), 0);
    double lambda = 0.05 * cvxrelu_lambda_max(&(cvxrelu_problem){X, n, d, Y, 1, CVXRELU_LOSS_SQUARED, 0.0}, pat);
    compare(X, n, d, Y, 1, pat, lambda, "1-D, all patterns");
    cvxrelu_patterns_free(pat);
}

/* Stopped after a few iterations the iterate violates its cones; the returned weights do
   not, and their objective and gap are those of the repaired point. */
static void test_admm_repair_after_early_stop(void **state)
{
    (void)state;
    size_t n = 80, d = 5, c = 2;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 4, 0.1, 11, &X, &Y, NULL), 0);
    cvxrelu_patterns *pat;
    assert_int_equal(cvxrelu_patterns_sample(X, n, d, 15, 5, 0, &pat, NULL), 0);
    cvxrelu_result r;
    cvxrelu_solver *s = solve_method(X, n, d, Y, c, pat, CVXRELU_RELU_ADMM, 1e-3, 1e-6, 15, &r);
    printf("# early stop: exit %s after %zu iterations, violation %.2e, objective %.10g, gap "
           "%.2e\n", cvxrelu_exit_string(r.exit), r.iterations, r.violation, r.objective, r.gap);
    assert_int_equal(r.exit, CVXRELU_EXIT_MAX_ITER);
    assert_true(r.violation > 0.0); /* the repair had work to do */
    const double *U = cvxrelu_solver_weights(s);
    assert_feasible(X, n, d, c, pat, U);
    /* the reported objective is that of the returned weights */
    double *Yc = malloc(n * c * sizeof(double));
    assert_int_equal(cvxrelu_solver_predict_train(s, Yc), 0);
    double loss = 0.0, pen = 0.0;
    for (size_t i = 0; i < n * c; i++) loss += (Yc[i] - Y[i]) * (Yc[i] - Y[i]);
    for (size_t g = 0; g < 2 * pat->P * c; g++) {
        double nn = 0.0;
        for (size_t l = 0; l < d; l++) nn += U[g * d + l] * U[g * d + l];
        pen += sqrt(nn);
    }
    double obj = loss / (2.0 * (double)(n * c)) + 1e-3 * pen;
    assert_true(fabs(obj - r.objective) <= 1e-10 * fmax(1.0, obj));
    assert_true(r.gap >= 0.0 && r.dual <= r.objective);
    free(Yc);
    cvxrelu_solver_free(s);
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
}

/* A solution handed to a new solver, and a second solve of the same one, stop at once. */
static void test_admm_warm_start(void **state)
{
    (void)state;
    size_t n = 60, d = 4, c = 1;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, 21, &X, &Y, NULL), 0);
    cvxrelu_patterns *pat;
    assert_int_equal(cvxrelu_patterns_sample(X, n, d, 10, 8, 0, &pat, NULL), 0);
    const double lambda = 0.05 * cvxrelu_lambda_max(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat);
    cvxrelu_result r0, r1, r2;
    cvxrelu_solver *s0 = solve_method(X, n, d, Y, c, pat, CVXRELU_RELU_ADMM, lambda, 1e-6,
                                      200000, &r0);
    assert_int_equal(r0.exit, CVXRELU_EXIT_CONVERGED);
    assert_true(r0.iterations > 0);
    /* the same solver again */
    assert_int_equal(cvxrelu_solver_solve(s0, &r1, NULL), 0);
    /* a new solver given the weights */
    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    set.solver = CVXRELU_SOLVER_RELU;
    set.relu_method = CVXRELU_RELU_ADMM;
    set.lambda = lambda;
    cvxrelu_solver *s2;
    assert_int_equal(cvxrelu_solver_new(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat, &set, &s2, NULL), 0);
    assert_int_equal(cvxrelu_solver_set_weights(s2, cvxrelu_solver_weights(s0)), 0);
    assert_int_equal(cvxrelu_solver_solve(s2, &r2, NULL), 0);
    printf("# warm start: cold %zu iterations; again %zu (%s); new solver %zu (%s)\n",
           r0.iterations, r1.iterations, cvxrelu_exit_string(r1.exit), r2.iterations,
           cvxrelu_exit_string(r2.exit));
    assert_int_equal(r1.exit, CVXRELU_EXIT_CONVERGED);
    assert_int_equal(r1.iterations, 0);
    assert_int_equal(r2.exit, CVXRELU_EXIT_CONVERGED);
    assert_int_equal(r2.iterations, 0);
    assert_true(fabs(r2.objective - r0.objective) <= 1e-6 * fmax(1.0, r0.objective));
    cvxrelu_solver_free(s0);
    cvxrelu_solver_free(s2);
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
}

static void test_admm_stop_at_start(void **state)
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
        set.relu_method = CVXRELU_RELU_ADMM;
        set.lambda = 1e-3;
        set.interrupt = &flag;
        set.time_limit_s = mode == 1 ? 1e-12 : 0.0;
        cvxrelu_solver *s;
        assert_int_equal(cvxrelu_solver_new(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat, &set, &s, NULL), 0);
        cvxrelu_result res;
        assert_int_equal(cvxrelu_solver_solve(s, &res, NULL), 0);
        printf("# admm stopped before the start (%s): exit %s, %zu iterations, objective %.6g\n",
               mode ? "time limit" : "interrupt", cvxrelu_exit_string(res.exit), res.iterations,
               res.objective);
        assert_int_equal(res.exit, mode ? CVXRELU_EXIT_TIME_LIMIT : CVXRELU_EXIT_INTERRUPTED);
        assert_int_equal(res.iterations, 0);
        assert_true(isfinite(res.objective));
        assert_feasible(X, n, d, c, pat, cvxrelu_solver_weights(s));
        cvxrelu_solver_free(s);
    }
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
}

/* The automatic choice is one of the two methods, and a solver built with AUTO reports it. */
static void test_auto_method(void **state)
{
    (void)state;
    const size_t sizes[][4] = {{100, 4, 1, 10}, {1000, 20, 1, 100}, {1437, 65, 10, 100},
                               {60000, 785, 10, 100}, {50, 2, 1, 30}};
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        cvxrelu_relu_method m =
            cvxrelu_relu_method_for(sizes[t][0], sizes[t][1], sizes[t][2], sizes[t][3]);
        assert_true(m == CVXRELU_RELU_PROJECTED || m == CVXRELU_RELU_ADMM);
    }
    assert_int_equal(cvxrelu_relu_method_for(60000, 785, 10, 100), CVXRELU_RELU_PROJECTED);
    size_t n = 40, d = 3;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, 1, 2, 0.1, 3, &X, &Y, NULL), 0);
    cvxrelu_patterns *pat;
    assert_int_equal(cvxrelu_patterns_sample(X, n, d, 6, 2, 0, &pat, NULL), 0);
    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    assert_int_equal(set.relu_method, CVXRELU_RELU_AUTO);
    set.solver = CVXRELU_SOLVER_RELU;
    set.max_iter = 5;
    cvxrelu_solver *s;
    assert_int_equal(cvxrelu_solver_new(&(cvxrelu_problem){X, n, d, Y, 1, CVXRELU_LOSS_SQUARED, 0.0}, pat, &set, &s, NULL), 0);
    cvxrelu_result res;
    assert_int_equal(cvxrelu_solver_solve(s, &res, NULL), 0);
    assert_int_equal(res.relu_method, cvxrelu_relu_method_for(n, d, 1, pat->P));
    cvxrelu_solver_free(s);
    set.relu_method = (cvxrelu_relu_method)7;
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_solver_new(&(cvxrelu_problem){X, n, d, Y, 1, CVXRELU_LOSS_SQUARED, 0.0}, pat, &set, &s, &err),
                     CVXRELU_ERR_INVALID);
    assert_null(s);
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admm_random),
        cmocka_unit_test(test_admm_1d_all_patterns),
        cmocka_unit_test(test_admm_repair_after_early_stop),
        cmocka_unit_test(test_admm_warm_start),
        cmocka_unit_test(test_admm_stop_at_start),
        cmocka_unit_test(test_auto_method),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
