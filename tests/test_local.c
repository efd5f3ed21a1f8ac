/*
 * Local (non-convex) training (docs/algorithms.md, "Certificates for the non-convex problem", local methods): the gradient against
 * finite differences, monotone descent of full-batch GD, the pattern
 * statistics against a brute-force recount, determinism, descent of SGD and
 * Adam on a planted teacher, and every error path.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cvxrelu.h"
#include "local.h"

/* Deterministic pseudo-random numbers for the test's own data (LCG). */
static double urand(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(*x >> 11) + 0.5) / 9007199254740992.0 * 2.0 - 1.0;
}

static cvxrelu_local_settings settings(cvxrelu_optimizer method, size_t width, double lr,
                                       size_t steps)
{
    cvxrelu_local_settings s;
    cvxrelu_local_settings_default(&s);
    s.method = method;
    s.width = width;
    s.lr = lr;
    s.steps = steps;
    return s;
}

static void train_ok(const double *X, size_t n, size_t d, const double *Y, size_t c,
                     const cvxrelu_local_settings *s, double **W, double **a,
                     cvxrelu_local_result *res)
{
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_local_train(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, s, W, a, res, &err);
    if (st) printf("# %s\n", err.msg);
    assert_int_equal(st, CVXRELU_OK);
    assert_non_null(*W);
    assert_non_null(*a);
}

static void test_gradient(void **state)
{
    (void)state;
    const size_t n = 15, d = 4, c = 2, width = 3, cm = c * width;
    const double lambda = 0.03, h = 1e-6;
    double X[15 * 4], Y[15 * 2], th[6 * 5], g[6 * 5];
    uint64_t seed = 11;
    for (size_t i = 0; i < n * d; i++) X[i] = urand(&seed);
    for (size_t i = 0; i < n * c; i++) Y[i] = urand(&seed);
    for (size_t i = 0; i < cm * (d + 1); i++) th[i] = urand(&seed);
    double *W = th, *a = th + cm * d, loss, pen;
    assert_int_equal(cr_local_objective_grad(X, Y, n, d, c, width, W, a, lambda, g, g + cm * d,
                                             &loss, &pen), 0);
    /* the objective itself, by its definition */
    double sq = 0.0, reg = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < c; k++) {
            double f = 0.0;
            for (size_t j = k * width; j < (k + 1) * width; j++) {
                double z = 0.0;
                for (size_t l = 0; l < d; l++) z += X[i * d + l] * W[j * d + l];
                f += a[j] * (z > 0.0 ? z : 0.0);
            }
            sq += (f - Y[i * c + k]) * (f - Y[i * c + k]);
        }
    for (size_t i = 0; i < cm * (d + 1); i++) reg += th[i] * th[i];
    assert_true(fabs(loss - sq / (2.0 * (double)(n * c))) <= 1e-14);
    assert_true(fabs(pen - 0.5 * lambda * reg) <= 1e-14);
    double maxerr = 0.0;
    for (size_t i = 0; i < cm * (d + 1); i++) {
        double keep = th[i], lp, pp, lm, pm;
        th[i] = keep + h;
        cr_local_objective_grad(X, Y, n, d, c, width, W, a, lambda, NULL, NULL, &lp, &pp);
        th[i] = keep - h;
        cr_local_objective_grad(X, Y, n, d, c, width, W, a, lambda, NULL, NULL, &lm, &pm);
        th[i] = keep;
        double fd = ((lp + pp) - (lm + pm)) / (2.0 * h);
        double e = fabs(fd - g[i]) / fmax(1.0, fabs(g[i]));
        if (e > maxerr) maxerr = e;
    }
    printf("# gradient vs central differences: max relative error %.2e\n", maxerr);
    assert_true(maxerr <= 1e-7);
}

static void test_gd_monotone(void **state)
{
    (void)state;
    const size_t n = 40, d = 5;
    for (size_t c = 1; c <= 3; c += 2) {
        double *X, *Y;
        assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, 20 + c, &X, &Y, NULL), 0);
        cvxrelu_local_settings s = settings(CVXRELU_OPT_GD, 8, 0.02, 300);
        s.record_every = 1;
        s.lambda = 1e-3;
        double *W, *a;
        cvxrelu_local_result res;
        train_ok(X, n, d, Y, c, &s, &W, &a, &res);
        assert_int_equal(res.steps, 300);
        assert_int_equal(res.interrupted, 0);
        assert_int_equal(res.n_records, 301);
        size_t rises = 0;
        for (size_t i = 0; i < res.n_records; i++) {
            assert_int_equal(res.records[i].step, i);
            if (i && res.records[i].objective > res.records[i - 1].objective) rises++;
        }
        double F0 = res.records[0].objective, F1 = res.records[res.n_records - 1].objective;
        printf("# GD c=%zu: F %.6g -> %.6g in %zu steps, %zu increases\n", c, F0, F1,
               res.steps, rises);
        assert_int_equal(rises, 0);
        assert_true(F1 < F0);
        assert_true(fabs(res.objective - F1) <= 1e-14 * F1);
        assert_true(fabs(res.objective - (res.loss + res.penalty)) <= 1e-14 * res.objective);
        cvxrelu_local_result_free(&res);
        assert_null(res.records);
        free(W);
        free(a);
        free(X);
        free(Y);
    }
}

static void test_pattern_statistics(void **state)
{
    (void)state;
    const size_t n = 60, d = 4, c = 2, width = 7, cm = c * width;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, 5, &X, &Y, NULL), 0);
    cvxrelu_local_settings s = settings(CVXRELU_OPT_SGD, width, 0.2, 100);
    s.batch = 16;
    s.record_every = 30;
    s.seed = 99;
    double *W0, *a0, *W, *a;
    cvxrelu_local_result r0, res;
    s.steps = 0;
    train_ok(X, n, d, Y, c, &s, &W0, &a0, &r0);
    assert_int_equal(r0.n_records, 1);
    assert_int_equal(r0.steps, 0);
    s.steps = 100;
    train_ok(X, n, d, Y, c, &s, &W, &a, &res);
    const size_t want[] = {0, 30, 60, 90, 100};
    assert_int_equal(res.n_records, 5);
    for (size_t i = 0; i < 5; i++) assert_int_equal(res.records[i].step, want[i]);
    assert_int_equal(res.records[0].changed_neurons, 0);
    assert_true(res.records[0].mean_hamming == 0.0);
    assert_true(res.records[0].objective == r0.records[0].objective);
    /* brute force from the final weights and the re-generated initial ones */
    size_t changed = 0, total = 0;
    for (size_t j = 0; j < cm; j++) {
        size_t diff = 0;
        for (size_t i = 0; i < n; i++) {
            double z0 = 0.0, z = 0.0;
            for (size_t l = 0; l < d; l++) {
                z0 += X[i * d + l] * W0[j * d + l];
                z += X[i * d + l] * W[j * d + l];
            }
            diff += (z0 > 0.0) != (z > 0.0);
        }
        changed += diff > 0;
        total += diff;
    }
    const cvxrelu_local_record *last = &res.records[res.n_records - 1];
    printf("# patterns after %zu SGD steps: %zu of %zu neurons changed, mean Hamming %.3f "
           "(brute force %zu, %.3f)\n", res.steps, last->changed_neurons, cm,
           last->mean_hamming, changed, (double)total / (double)cm);
    assert_true(changed > 0);
    assert_int_equal(last->changed_neurons, changed);
    assert_true(last->mean_hamming == (double)total / (double)cm);
    cvxrelu_local_result_free(&r0);
    cvxrelu_local_result_free(&res);
    free(W0);
    free(a0);
    free(W);
    free(a);
    free(X);
    free(Y);
}

static void test_determinism(void **state)
{
    (void)state;
    const size_t n = 50, d = 3, c = 2, width = 4, cm = c * width;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 2, 0.1, 3, &X, &Y, NULL), 0);
    for (int m = 0; m < 3; m++) {
        cvxrelu_local_settings s = settings((cvxrelu_optimizer)m, width, 0.0, 40);
        s.batch = 8;
        double *W[3], *a[3];
        cvxrelu_local_result res[3];
        for (int r = 0; r < 3; r++) {
            s.seed = r == 2 ? 8 : 7;
            train_ok(X, n, d, Y, c, &s, &W[r], &a[r], &res[r]);
        }
        assert_memory_equal(W[0], W[1], cm * d * sizeof(double));
        assert_memory_equal(a[0], a[1], cm * sizeof(double));
        assert_true(res[0].objective == res[1].objective);
        assert_memory_not_equal(W[0], W[2], cm * d * sizeof(double));
        for (int r = 0; r < 3; r++) {
            cvxrelu_local_result_free(&res[r]);
            free(W[r]);
            free(a[r]);
        }
    }
    free(X);
    free(Y);
}

static void test_sgd_adam_teacher(void **state)
{
    (void)state;
    const size_t n = 200, d = 10, c = 2;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.05, 17, &X, &Y, NULL), 0);
    const cvxrelu_optimizer methods[] = {CVXRELU_OPT_SGD, CVXRELU_OPT_ADAM};
    const double lrs[] = {0.05, 0.01};
    for (int m = 0; m < 2; m++) {
        cvxrelu_local_settings s = settings(methods[m], 20, lrs[m], 600);
        s.batch = 32;
        s.record_every = 100;
        double *W, *a;
        cvxrelu_local_result res;
        train_ok(X, n, d, Y, c, &s, &W, &a, &res);
        double F0 = res.records[0].objective;
        printf("# %s on a planted teacher: F %.5g -> %.5g (%zu steps, %.3f s)\n",
               m ? "Adam" : "SGD", F0, res.objective, res.steps, res.time_s);
        assert_int_equal(res.steps, 600);
        assert_int_equal(res.n_records, 7);
        assert_true(res.objective <= 0.3 * F0);
        /* the result's objective is F at the returned weights */
        double loss, pen;
        assert_int_equal(cr_local_objective_grad(X, Y, n, d, c, 20, W, a, s.lambda, NULL, NULL,
                                                 &loss, &pen), 0);
        assert_true(fabs(loss + pen - res.objective) <= 1e-12 * res.objective);
        cvxrelu_local_result_free(&res);
        free(W);
        free(a);
    }
    free(X);
    free(Y);
}

static void expect_fail_pb(const cvxrelu_problem *pb, const cvxrelu_local_settings *s,
                           cvxrelu_status want, const char *text)
{
    double *W = (double *)1, *a = (double *)1;
    cvxrelu_local_result res;
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_local_train(pb, s, &W, &a, &res, &err), want);
    printf("# rejected: %s\n", err.msg);
    assert_null(W);
    assert_null(a);
    assert_null(res.records);
    assert_non_null(strstr(err.msg, text));
}

static void expect_fail(const double *X, size_t n, size_t d, const double *Y, size_t c,
                        const cvxrelu_local_settings *s, cvxrelu_status want, const char *text)
{
    expect_fail_pb(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, s, want, text);
}

static void test_errors_and_interrupt(void **state)
{
    (void)state;
    const size_t n = 30, d = 3, c = 1;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 2, 0.1, 9, &X, &Y, NULL), 0);
    cvxrelu_local_settings s = settings(CVXRELU_OPT_GD, 5, 0.0, 10), b;
    b = s; b.width = 0;
    expect_fail(X, n, d, Y, c, &b, CVXRELU_ERR_INVALID, "width");
    b = s; b.lr = -0.1;
    expect_fail(X, n, d, Y, c, &b, CVXRELU_ERR_INVALID, "lr");
    b = s; b.lr = NAN;
    expect_fail(X, n, d, Y, c, &b, CVXRELU_ERR_INVALID, "lr");
    b = s; b.lambda = -1.0;
    expect_fail(X, n, d, Y, c, &b, CVXRELU_ERR_INVALID, "lambda");
    b = s; b.lambda = INFINITY;
    expect_fail(X, n, d, Y, c, &b, CVXRELU_ERR_INVALID, "lambda");
    b = s; b.method = (cvxrelu_optimizer)7;
    expect_fail(X, n, d, Y, c, &b, CVXRELU_ERR_INVALID, "optimizer");
    b = s; b.method = CVXRELU_OPT_ADAM; b.beta1 = 1.0;
    expect_fail(X, n, d, Y, c, &b, CVXRELU_ERR_INVALID, "beta1");
    b = s; b.init_scale = -1.0;
    expect_fail(X, n, d, Y, c, &b, CVXRELU_ERR_INVALID, "init_scale");
    b = s; b.time_limit_s = -1.0;
    expect_fail(X, n, d, Y, c, &b, CVXRELU_ERR_INVALID, "time_limit_s");
    expect_fail(X, 0, d, Y, c, &s, CVXRELU_ERR_INVALID, "empty");
    expect_fail(X, n, 0, Y, c, &s, CVXRELU_ERR_INVALID, "empty");
    expect_fail(X, n, d, Y, 0, &s, CVXRELU_ERR_INVALID, "empty");
    expect_fail(NULL, n, d, Y, c, &s, CVXRELU_ERR_INVALID, "required");
    expect_fail(X, n, d, NULL, c, &s, CVXRELU_ERR_INVALID, "required");
    expect_fail_pb(NULL, &s, CVXRELU_ERR_INVALID, "problem");
    /* non-finite data, and divergence */
    double keep = X[4];
    X[4] = NAN;
    expect_fail(X, n, d, Y, c, &s, CVXRELU_ERR_NUMERIC, "row 2");
    X[4] = keep;
    b = s; b.lr = 1e4; b.steps = 2000;
    expect_fail(X, n, d, Y, c, &b, CVXRELU_ERR_NUMERIC, "diverged at step");

    /* interrupted before the first step: the initial weights, one record */
    double *W0, *a0, *W, *a;
    cvxrelu_local_result r0, res;
    b = s; b.steps = 0;
    train_ok(X, n, d, Y, c, &b, &W0, &a0, &r0);
    assert_int_equal(r0.interrupted, 0);
    volatile sig_atomic_t flag = 1;
    b = s; b.interrupt = &flag;
    train_ok(X, n, d, Y, c, &b, &W, &a, &res);
    assert_int_equal(res.interrupted, 1);
    assert_int_equal(res.steps, 0);
    assert_int_equal(res.n_records, 1);
    assert_memory_equal(W, W0, 5 * d * sizeof(double));
    assert_true(res.objective == r0.objective);
    cvxrelu_local_result_free(&res);
    free(W);
    free(a);
    /* a time limit stops early, also an outcome and not an error */
    b = s; b.steps = 100000000; b.time_limit_s = 1e-3;
    train_ok(X, n, d, Y, c, &b, &W, &a, &res);
    assert_int_equal(res.interrupted, 1);
    assert_true(res.steps < b.steps);
    assert_int_equal(res.records[res.n_records - 1].step, res.steps);
    cvxrelu_local_result_free(&res);
    cvxrelu_local_result_free(NULL);
    free(W);
    free(a);
    cvxrelu_local_result_free(&r0);
    free(W0);
    free(a0);
    free(X);
    free(Y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient),
        cmocka_unit_test(test_gd_monotone),
        cmocka_unit_test(test_pattern_statistics),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_sgd_adam_teacher),
        cmocka_unit_test(test_errors_and_interrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
