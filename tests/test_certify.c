/*
 * Certificates for the non-convex problem (docs/algorithms.md, "Certificates for the non-convex problem", [KP24]): every bound on
 * s(v) is checked against independent estimates (dense sampling, a fine
 * angle grid, exhaustive subsets); LB <= UB across networks trained by every
 * method of the library; optimality certified exactly with all patterns on
 * 1-D data; the constrained value is monotone in nested samples and never
 * below the gated value.
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
#include "test_helpers.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif


/* deterministic test data, independent of the library's generator */
static uint64_t lcg_state = 12345;
static double urand(void)
{
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(lcg_state >> 11) + 0.5) / 9007199254740992.0;
}
static double nrand(void)
{
    double u = urand(), v = urand();
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}


/* The certificate of the zero network: v = Y, so sbar[b] * beta bounds s(Y). */
static void bounds_of(const double *X, const double *Y, size_t n, size_t d,
                      const cvxrelu_certify_settings *cs, double *sb, double *beta)
{
    cvxrelu_model *m = NULL;
    assert_int_equal(cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, 0, NULL, NULL, NULL, 0.1,
                                               plain_encoding(d, 1), &m, NULL),
                     0);
    cvxrelu_certificate cert;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_certify(m, X, Y, n, 0.1, cs, &cert, &err);
    if (st) printf("# %s\n", err.msg);
    assert_int_equal(st, 0);
    *beta = cert.beta;
    for (int b = 0; b < CVXRELU_SBOUND_COUNT; b++) sb[b] = cert.sbar[b] * cert.beta;
    /* LB <= UB, and the zero network's UB is ||Y||^2 / (2N) */
    double yy = 0.0;
    for (size_t j = 0; j < n; j++) yy += Y[j] * Y[j];
    assert_true(fabs(cert.upper_bound - yy / (2.0 * (double)n)) <= 1e-14 * yy);
    assert_true(cert.lower_bound <= cert.upper_bound);
    cvxrelu_model_free(m);
}

/* max |v.(X u)_+| over many random unit u: a lower estimate of s(v) */
static double sampled_s(const double *X, const double *v, size_t n, size_t d, size_t draws)
{
    double best = 0.0, u[8];
    for (size_t t = 0; t < draws; t++) {
        double nr = 0.0;
        for (size_t k = 0; k < d; k++) {
            u[k] = nrand();
            nr += u[k] * u[k];
        }
        nr = sqrt(nr);
        double h = 0.0;
        for (size_t j = 0; j < n; j++) {
            double z = 0.0;
            for (size_t k = 0; k < d; k++) z += X[j * d + k] * u[k] / nr;
            if (z > 0.0) h += v[j] * z;
        }
        if (fabs(h) > best) best = fabs(h);
    }
    return best;
}

static void test_bounds_are_upper_bounds(void **state)
{
    (void)state;
    for (int trial = 0; trial < 6; trial++) {
        const size_t n = 12, d = 3 + (size_t)(trial % 2);
        double X[12 * 4], Y[12];
        for (size_t j = 0; j < n * d; j++) X[j] = nrand();
        for (size_t j = 0; j < n; j++) Y[j] = nrand();
        cvxrelu_certify_settings cs;
        cvxrelu_certify_settings_default(&cs);
        double sb[CVXRELU_SBOUND_COUNT], beta;
        bounds_of(X, Y, n, d, &cs, sb, &beta);
        double lower = sampled_s(X, Y, n, d, 200000);
        printf("# trial %d: sampled s >= %.6f; cheap %.6f spectral %.6f sdp %.6f subsets %.6f\n",
               trial, lower, sb[CVXRELU_SBOUND_CHEAP], sb[CVXRELU_SBOUND_SPECTRAL],
               sb[CVXRELU_SBOUND_SDP], sb[CVXRELU_SBOUND_SUBSETS]);
        assert_true(isnan(sb[CVXRELU_SBOUND_EXACT])); /* rank 3: not applicable */
        for (int b = 0; b < CVXRELU_SBOUND_EXACT; b++) {
            assert_false(isnan(sb[b]));
            assert_true(sb[b] >= lower * (1.0 - 1e-12));
        }
        /* the subsets bound is exhaustive over the relaxation the others bound */
        double sub = sb[CVXRELU_SBOUND_SUBSETS];
        assert_true(sb[CVXRELU_SBOUND_CHEAP] >= sub * (1.0 - 1e-12));
        assert_true(sb[CVXRELU_SBOUND_SPECTRAL] >= sub * (1.0 - 1e-12));
        assert_true(sb[CVXRELU_SBOUND_SDP] >= sub * (1.0 - 1e-9));
    }
}

/* exact s(v) on rank-2 data against a fine grid of angles (and embedded in R^4) */
static void test_exact_rank2(void **state)
{
    (void)state;
    const size_t n = 30;
    double X[30 * 2], X4[30 * 4], Y[30];
    for (size_t j = 0; j < n; j++) {
        X[2 * j] = 2.0 * urand() - 1.0;
        X[2 * j + 1] = 1.0; /* one feature + bias */
        Y[j] = nrand();
    }
    /* Q: 4 x 2 with orthonormal columns; X4 = X Q^T has the same s(v) */
    double Q[8] = {0.5, 0.5, 0.5, -0.5, 0.5, -0.5, 0.5, 0.5};
    double q0 = 0, q01 = 0;
    for (int k = 0; k < 4; k++) {
        q0 += Q[2 * k] * Q[2 * k];
        q01 += Q[2 * k] * Q[2 * k + 1];
    }
    assert_true(fabs(q0 - 1.0) < 1e-15 && fabs(q01) < 1e-15);
    for (size_t j = 0; j < n; j++)
        for (int k = 0; k < 4; k++) X4[j * 4 + k] = Q[2 * k] * X[2 * j] + Q[2 * k + 1] * X[2 * j + 1];
    const size_t G = 2000000;
    double grid = 0.0, L = 0.0;
    for (size_t j = 0; j < n; j++) L += fabs(Y[j]) * hypot(X[2 * j], X[2 * j + 1]);
    for (size_t t = 0; t < G; t++) {
        double th = 2.0 * M_PI * (double)t / (double)G, c = cos(th), s = sin(th), h = 0.0;
        for (size_t j = 0; j < n; j++) {
            double z = X[2 * j] * c + X[2 * j + 1] * s;
            if (z > 0.0) h += Y[j] * z;
        }
        if (fabs(h) > grid) grid = fabs(h);
    }
    cvxrelu_certify_settings cs;
    cvxrelu_certify_settings_default(&cs);
    cs.bounds = 1u << CVXRELU_SBOUND_EXACT;
    double sb[CVXRELU_SBOUND_COUNT], sb4[CVXRELU_SBOUND_COUNT], beta;
    bounds_of(X, Y, n, 2, &cs, sb, &beta);
    bounds_of(X4, Y, n, 4, &cs, sb4, &beta);
    double ex = sb[CVXRELU_SBOUND_EXACT], ex4 = sb4[CVXRELU_SBOUND_EXACT];
    printf("# rank 2: grid max %.12f, exact %.12f (in R^4: %.12f), grid resolution %.2e\n", grid,
           ex, ex4, L * 2.0 * M_PI / (double)G);
    assert_true(ex >= grid * (1.0 - 1e-12));
    assert_true(ex <= grid + L * 2.0 * M_PI / (double)G);
    assert_true(fabs(ex4 - ex) <= 1e-9 * ex);
}

/* 1-D data with all patterns: the exact certificate proves global optimality */
static void test_all_patterns_certified(void **state)
{
    (void)state;
    const size_t n = 25, d = 2;
    double X[25 * 2], Y[25];
    for (size_t j = 0; j < n; j++) {
        double x = -2.0 + 4.0 * (double)j / (double)(n - 1) + 0.03 * nrand();
        X[2 * j] = x;
        X[2 * j + 1] = 1.0;
        Y[j] = sin(2.0 * x) + 0.1 * nrand();
    }
    cvxrelu_patterns *pat;
    assert_int_equal(cvxrelu_patterns_enumerate(X, n, d, &pat, NULL), 0);
    for (int li = 0; li < 2; li++) {
        double lambda = li ? 3e-3 : 1e-2;
        cvxrelu_result res;
        cvxrelu_solver *s = solve(X, n, d, Y, 1, pat, CVXRELU_SOLVER_RELU, lambda, 1e-11, &res);
        cvxrelu_model *m;
        assert_int_equal(cvxrelu_model_from_relu(pat, cvxrelu_solver_weights(s), 1, lambda,
                                                 plain_encoding(d, 1), &m, NULL),
                         0);
        cvxrelu_certificate cert;
        assert_int_equal(cvxrelu_certify(m, X, Y, n, lambda, NULL, &cert, NULL), 0);
        printf("# 1-D, all %zu patterns, lambda %g: UB %.12e LB %.12e (UB-LB)/UB %.2e, bound %s, "
               "%zu neurons\n",
               pat->P, lambda, cert.upper_bound, cert.lower_bound,
               (cert.upper_bound - cert.lower_bound) / cert.upper_bound,
               cvxrelu_sbound_string(cert.used), m->m);
        assert_int_equal(cert.used, CVXRELU_SBOUND_EXACT);
        assert_true(cert.lower_bound <= cert.upper_bound);
        assert_true(cert.upper_bound - cert.lower_bound <= 1e-6 * cert.upper_bound);
        assert_true(cert.certified_optimal);
        assert_false(cert.descent_found);
        /* the sampled check never exceeds the exact value */
        assert_true(cert.s_sampled <= cert.sbar[CVXRELU_SBOUND_EXACT] * (1 + 1e-12));
        cvxrelu_model_free(m);
        cvxrelu_solver_free(s);
    }
    cvxrelu_patterns_free(pat);
}

typedef struct {
    double lb, ub;
    const char *name;
} bound_pair;

static void certify_into(const cvxrelu_model *m, const double *X, const double *Y, size_t n,
                         double lambda, const char *name, bound_pair *bp, size_t *k)
{
    cvxrelu_certificate cert;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_certify(m, X, Y, n, lambda, NULL, &cert, &err);
    if (st) printf("# %s\n", err.msg);
    assert_int_equal(st, 0);
    printf("#   %-22s UB %.6e  LB %.6e  ratio %.3f  (%s)\n", name, cert.upper_bound,
           cert.lower_bound, cert.ratio, cvxrelu_sbound_string(cert.used));
    assert_true(cert.lower_bound >= 0.0);
    assert_true(cert.lower_bound <= cert.upper_bound);
    bp[*k].lb = cert.lower_bound;
    bp[*k].ub = cert.upper_bound;
    bp[*k].name = name;
    (*k)++;
}

/* For one data set and lambda: the largest LB of any network <= the smallest UB. */
static void cross_methods(size_t c)
{
    const size_t n = 60, d = 4;
    const double lambda = 1e-2;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, 7, &X, &Y, NULL), 0);
    bound_pair bp[16];
    size_t k = 0;
    printf("# cross-method bounds, n=%zu d=%zu c=%zu lambda=%g\n", n, d, c, lambda);
    /* convex: the constrained program at two widths, the gated one + decomposition */
    const size_t Ps[2] = {4, 30};
    for (int i = 0; i < 2; i++) {
        cvxrelu_patterns *pat;
        assert_int_equal(cvxrelu_patterns_sample(X, n, d, Ps[i], 3, 0, &pat, NULL), 0);
        cvxrelu_result res;
        cvxrelu_solver *s = solve(X, n, d, Y, c, pat, CVXRELU_SOLVER_RELU, lambda, 1e-8, &res);
        cvxrelu_model *m;
        assert_int_equal(cvxrelu_model_from_relu(pat, cvxrelu_solver_weights(s), c, lambda,
                                                 plain_encoding(d, c), &m, NULL),
                         0);
        certify_into(m, X, Y, n, lambda, i ? "convex relu, P=30" : "convex relu, P=4", bp, &k);
        cvxrelu_model_free(m);
        cvxrelu_solver_free(s);
        if (i == 1) {
            s = solve(X, n, d, Y, c, pat, CVXRELU_SOLVER_RFISTA, lambda, 1e-8, &res);
            double *Ur, ratio;
            assert_int_equal(cvxrelu_decompose_gated(X, n, d, pat, cvxrelu_solver_weights(s), c,
                                                     CVXRELU_DECOMPOSE_CLOSED_FORM, NULL, &Ur,
                                                     &ratio, NULL, NULL),
                             0);
            assert_int_equal(
                cvxrelu_model_from_relu(pat, Ur, c, lambda, plain_encoding(d, c), &m, NULL), 0);
            certify_into(m, X, Y, n, lambda, "gated + decompose", bp, &k);
            free(Ur);
            cvxrelu_model_free(m);
            cvxrelu_solver_free(s);
        }
        cvxrelu_patterns_free(pat);
    }
    /* local methods */
    const cvxrelu_optimizer opts[3] = {CVXRELU_OPT_GD, CVXRELU_OPT_SGD, CVXRELU_OPT_ADAM};
    const char *names[3] = {"gd", "sgd", "adam"};
    for (int o = 0; o < 3; o++) {
        cvxrelu_local_settings ls;
        cvxrelu_local_settings_default(&ls);
        ls.method = opts[o];
        ls.width = 8;
        ls.lambda = lambda;
        ls.steps = 1500;
        ls.batch = 16;
        ls.lr = opts[o] == CVXRELU_OPT_ADAM ? 1e-2 : 0.05;
        ls.record_every = 500;
        double *W, *a;
        cvxrelu_local_result lr;
        cvxrelu_error err = {{0}};
        cvxrelu_status st = cvxrelu_local_train(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, &ls, &W, &a, &lr, &err);
        if (st) printf("# %s\n", err.msg);
        assert_int_equal(st, 0);
        size_t *out = malloc(8 * c * sizeof(size_t));
        for (size_t j = 0; j < 8 * c; j++) out[j] = j / 8;
        cvxrelu_model *m;
        assert_int_equal(cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, 8 * c, W, a, out, lambda,
                                                   plain_encoding(d, c), &m, NULL),
                         0);
        /* the library's objective of the network equals the trainer's */
        double obj = cvxrelu_model_objective(m, X, Y, n, lambda);
        assert_true(fabs(obj - lr.objective) <= 1e-10 * fabs(obj));
        certify_into(m, X, Y, n, lambda, names[o], bp, &k);
        cvxrelu_model_free(m);
        cvxrelu_local_result_free(&lr);
        free(W);
        free(a);
        free(out);
    }
    /* a random network and the zero network */
    {
        size_t mm = 5 * c;
        double *W = malloc(mm * d * sizeof(double)), *a = malloc(mm * sizeof(double));
        size_t *out = malloc(mm * sizeof(size_t));
        for (size_t j = 0; j < mm; j++) {
            for (size_t q = 0; q < d; q++) W[j * d + q] = nrand();
            a[j] = nrand();
            out[j] = j % c;
        }
        cvxrelu_model *m;
        assert_int_equal(cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, mm, W, a, out, lambda,
                                                   plain_encoding(d, c), &m, NULL),
                         0);
        certify_into(m, X, Y, n, lambda, "random network", bp, &k);
        cvxrelu_model_free(m);
        assert_int_equal(cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, 0, NULL, NULL, NULL,
                                                   lambda, plain_encoding(d, c), &m, NULL),
                         0);
        certify_into(m, X, Y, n, lambda, "zero network", bp, &k);
        cvxrelu_model_free(m);
        free(W);
        free(a);
        free(out);
    }
    double maxlb = 0.0, minub = INFINITY;
    for (size_t i = 0; i < k; i++) {
        maxlb = fmax(maxlb, bp[i].lb);
        minub = fmin(minub, bp[i].ub);
    }
    printf("# largest LB %.8e <= smallest UB %.8e\n", maxlb, minub);
    assert_true(maxlb <= minub);
    assert_true(maxlb > 0.0);
    free(X);
    free(Y);
}

static void test_cross_method_single(void **state)
{
    (void)state;
    cross_methods(1);
}

static void test_cross_method_multi(void **state)
{
    (void)state;
    cross_methods(3);
}

/* Nested samples: the constrained value never increases with m, never below gated. */
static void test_nested_monotone(void **state)
{
    (void)state;
    const size_t n = 50, d = 3, c = 1;
    const double lambda = 5e-3;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 4, 0.1, 11, &X, &Y, NULL), 0);
    const size_t Ps[5] = {2, 4, 8, 16, 32};
    double prev_obj = INFINITY, prev_gap = 0.0;
    cvxrelu_patterns *prev = NULL;
    for (int i = 0; i < 5; i++) {
        cvxrelu_patterns *pat;
        assert_int_equal(cvxrelu_patterns_sample(X, n, d, Ps[i], 5, 0, &pat, NULL), 0);
        if (prev) /* nested: the earlier patterns come first */
            assert_memory_equal(pat->bits, prev->bits,
                                prev->P * prev->words_per_pattern * sizeof(uint64_t));
        cvxrelu_result rr, rg;
        cvxrelu_solver *sr = solve(X, n, d, Y, c, pat, CVXRELU_SOLVER_RELU, lambda, 1e-9, &rr);
        cvxrelu_solver *sg = solve(X, n, d, Y, c, pat, CVXRELU_SOLVER_RFISTA, lambda, 1e-9, &rg);
        printf("# P=%2zu: constrained %.10e (gap %.1e), gated %.10e (gap %.1e)\n", pat->P,
               rr.objective, rr.gap, rg.objective, rg.gap);
        /* optimal values within [dual, objective]: compare the certified intervals */
        assert_true(rr.dual <= prev_obj);
        assert_true(rr.objective <= prev_obj + prev_gap + rr.gap);
        assert_true(rg.dual <= rr.objective);
        assert_true(rg.objective <= rr.objective + rr.gap + rg.gap);
        prev_obj = rr.objective;
        prev_gap = rr.gap;
        cvxrelu_solver_free(sr);
        cvxrelu_solver_free(sg);
        cvxrelu_patterns_free(prev);
        prev = pat;
    }
    cvxrelu_patterns_free(prev);
    free(X);
    free(Y);
}

/* a stop request before the start: only the cheap bound, a valid but looser LB */
static void test_stop_keeps_valid_bound(void **state)
{
    (void)state;
    const size_t n = 14, d = 3;
    double X[14 * 3], Y[14];
    for (size_t j = 0; j < n * d; j++) X[j] = nrand();
    for (size_t j = 0; j < n; j++) Y[j] = nrand();
    cvxrelu_model *m = NULL;
    assert_int_equal(cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, 0, NULL, NULL, NULL, 0.1,
                                               plain_encoding(d, 1), &m, NULL),
                     0);
    cvxrelu_certify_settings cs;
    cvxrelu_certify_settings_default(&cs);
    cvxrelu_certificate full, cut;
    assert_int_equal(cvxrelu_certify(m, X, Y, n, 0.1, &cs, &full, NULL), 0);
    assert_int_equal(full.exit, CVXRELU_EXIT_CONVERGED);
    volatile sig_atomic_t stop = 1;
    cs.interrupt = &stop;
    assert_int_equal(cvxrelu_certify(m, X, Y, n, 0.1, &cs, &cut, NULL), 0);
    assert_int_equal(cut.exit, CVXRELU_EXIT_INTERRUPTED);
    assert_false(isnan(cut.sbar[CVXRELU_SBOUND_CHEAP]));
    for (int b = CVXRELU_SBOUND_SPECTRAL; b < CVXRELU_SBOUND_COUNT; b++)
        assert_true(isnan(cut.sbar[b]));
    assert_true(cut.sbar[CVXRELU_SBOUND_CHEAP] == full.sbar[CVXRELU_SBOUND_CHEAP]);
    /* fewer bounds: the bound is looser, never above the full one, and below UB */
    assert_true(cut.lower_bound <= full.lower_bound * (1.0 + 1e-15));
    assert_true(cut.lower_bound <= cut.upper_bound);
    assert_true(cut.upper_bound == full.upper_bound);
    assert_true(cut.s_sampled == 0.0); /* the necessary check did not run */
    /* a stop with only the SDP bound asked for still bounds s(v): by the cheap bound */
    cs.bounds = 1u << CVXRELU_SBOUND_SDP;
    assert_int_equal(cvxrelu_certify(m, X, Y, n, 0.1, &cs, &cut, NULL), 0);
    assert_int_equal(cut.exit, CVXRELU_EXIT_INTERRUPTED);
    assert_true(cut.sbar[CVXRELU_SBOUND_CHEAP] == full.sbar[CVXRELU_SBOUND_CHEAP]);
    assert_true(cut.lower_bound <= full.lower_bound * (1.0 + 1e-15));
    cvxrelu_model_free(m);
}

static void test_invalid(void **state)
{
    (void)state;
    double X[4] = {1, 0, 0, 1}, Y[2] = {1, -1};
    cvxrelu_model *m;
    assert_int_equal(cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, 0, NULL, NULL, NULL, 0.1,
                                               plain_encoding(2, 1), &m, NULL),
                     0);
    cvxrelu_certificate cert;
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_certify(m, X, Y, 2, 0.0, NULL, &cert, &err), CVXRELU_ERR_INVALID);
    assert_non_null(strstr(err.msg, "lambda"));
    assert_int_equal(cvxrelu_certify(m, X, Y, 2, NAN, NULL, &cert, &err), CVXRELU_ERR_INVALID);
    cvxrelu_certify_settings cs;
    cvxrelu_certify_settings_default(&cs);
    cs.subsets_max_rows = 40;
    assert_int_equal(cvxrelu_certify(m, X, Y, 2, 0.1, &cs, &cert, &err), CVXRELU_ERR_INVALID);
    m->kind = CVXRELU_MODEL_GATED;
    assert_int_equal(cvxrelu_certify(m, X, Y, 2, 0.1, NULL, &cert, &err), CVXRELU_ERR_INVALID);
    cvxrelu_model_free(m);
    size_t out[1] = {1};
    double W[2] = {1, 1}, a[1] = {1};
    assert_int_equal(cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, 1, W, a, out, 0.1,
                                               plain_encoding(2, 1), &m, &err),
                     CVXRELU_ERR_INVALID);
    assert_null(m);
    /* the theoretical width of [KP24] */
    double w = cvxrelu_kp24_width(100, 4, 0.1);
    assert_true(fabs(w - 320.0 * 36.0 * log(1000.0)) <= 1e-9 * w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds_are_upper_bounds),
        cmocka_unit_test(test_stop_keeps_valid_bound),
        cmocka_unit_test(test_exact_rank2),
        cmocka_unit_test(test_all_patterns_certified),
        cmocka_unit_test(test_cross_method_single),
        cmocka_unit_test(test_cross_method_multi),
        cmocka_unit_test(test_nested_monotone),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
