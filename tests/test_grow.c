/*
 * Growing the pattern set from the dual (settings.grow): each round's objective is at
 * most the previous round's plus the new certified gap, the grown program beats its
 * starting one, and on 1-D data (where every pattern can be enumerated) a growth that
 * finds no violating pattern has reached the optimum over all patterns: every
 * enumerated pattern satisfies the dual constraint at the final residual, and the
 * objective equals the all-patterns optimum within the gaps.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvxrelu.h"
#include "internal.h"

static double round_obj[64], round_gap[64];
static size_t rounds;

static void on_phase(cvxrelu_train_phase p, const cvxrelu_train_report *r, void *user)
{
    (void)user;
    if (p == CVXRELU_PHASE_GROWN && rounds == 0) { /* the first solve's */
        round_obj[0] = r->grow_objective0;
        round_gap[0] = r->grow_gap0;
        rounds = 1;
    }
    if (p == CVXRELU_PHASE_GROWN && rounds < 64) {
        round_obj[rounds] = r->convex.objective;
        round_gap[rounds] = r->convex.gap;
        rounds++;
    }
}

static void grow_teacher(cvxrelu_train_program program)
{
    double *X = NULL, *Y = NULL;
    const size_t n = 150, d = 4;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, 1, 5, 0.05, 3, &X, &Y, NULL), CVXRELU_OK);
    cvxrelu_dataset *ds = NULL;
    assert_int_equal(cvxrelu_dataset_from_arrays(n, d, X, Y, &ds, NULL), CVXRELU_OK);
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    s.program = program;
    s.patterns = 5;
    s.lambda = 1e-3;
    s.certify = 0;
    s.grow = 1;
    s.grow_rounds = program == CVXRELU_TRAIN_RELU ? 3 : 6;
    s.grow_batch = 5;
    s.on_phase = on_phase;
    rounds = 0;
    cvxrelu_model *m = NULL;
    cvxrelu_train_report r;
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, NULL), CVXRELU_OK);
    assert_true(r.grow_rounds_done >= 1);
    assert_int_equal(rounds, r.grow_rounds_done + 1);
    assert_int_equal(r.patterns, 5 + r.grow_added);
    for (size_t k = 1; k < rounds; k++)
        assert_true(round_obj[k] <= round_obj[k - 1] + round_gap[k] + 1e-14);
    assert_true(round_obj[rounds - 1] < 0.9 * round_obj[0]); /* growing helped */
    assert_int_equal(r.convex.exit, CVXRELU_EXIT_CONVERGED);
    assert_true(r.grow_end != NULL);
    /* the reported largest violation is over new patterns: at most 1 when none was found */
    if (strcmp(r.grow_end, "none found") == 0) assert_true(r.grow_violation <= 1.0);
    cvxrelu_model_free(m);
    cvxrelu_train_report_free(&r);
    cvxrelu_dataset_free(ds);
    free(X);
    free(Y);
}

static void test_grow_gated(void **state)
{
    (void)state;
    grow_teacher(CVXRELU_TRAIN_GATED);
}

static void test_grow_relu(void **state)
{
    (void)state;
    grow_teacher(CVXRELU_TRAIN_RELU);
}

static void test_grow_1d_optimal(void **state)
{
    (void)state;
    const size_t n = 40;
    double *X = malloc(n * sizeof(double)), *Y = malloc(n * sizeof(double));
    uint64_t z = 11;
    for (size_t i = 0; i < n; i++) {
        z = z * 6364136223846793005ULL + 1442695040888963407ULL;
        X[i] = ((double)(z >> 11) / 9007199254740992.0) * 4.0 - 2.0;
        Y[i] = sin(2.0 * X[i]) + 0.2 * X[i] * X[i];
    }
    cvxrelu_dataset *ds = NULL;
    assert_int_equal(cvxrelu_dataset_from_arrays(n, 1, X, Y, &ds, NULL), CVXRELU_OK);
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    s.lambda = 1e-3;
    s.tol = 1e-9;
    s.max_iter = 200000;
    s.certify = 0;
    /* the reference: every pattern */
    cvxrelu_train_settings a = s;
    a.all_patterns = 1;
    cvxrelu_model *ma = NULL;
    cvxrelu_train_report ra;
    assert_int_equal(cvxrelu_train(ds, NULL, &a, &ma, &ra, NULL), CVXRELU_OK);
    assert_int_equal(ra.convex.exit, CVXRELU_EXIT_CONVERGED);
    /* grown from 3 sampled patterns */
    s.patterns = 3;
    s.grow = 1;
    s.grow_rounds = 60;
    s.grow_batch = 4;
    s.grow_max = 1000;
    s.on_phase = NULL;
    cvxrelu_model *m = NULL;
    cvxrelu_train_report r;
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, NULL), CVXRELU_OK);
    assert_string_equal(r.grow_end, "none found");
    printf("# 1-D: none found, the last search's largest violation over new patterns %.6g\n",
           r.grow_violation);
    assert_true(r.grow_violation <= 1.0);
    assert_true(r.patterns < ra.patterns); /* it did not need them all */
    /* no enumerated pattern violates the dual constraint at the final residual */
    double *Xe = NULL, *Ye = NULL;
    assert_int_equal(cvxrelu_encoding_features(m->enc, ds, &Xe, NULL), CVXRELU_OK);
    assert_int_equal(cvxrelu_encoding_targets(m->enc, ds, &Ye, NULL), CVXRELU_OK);
    const size_t d = m->d;
    double *R = malloc(n * sizeof(double));
    cvxrelu_model_forward(m, Xe, n, R);
    for (size_t i = 0; i < n; i++) R[i] -= Ye[i];
    cvxrelu_patterns *all = NULL;
    assert_int_equal(cvxrelu_patterns_enumerate(Xe, n, d, &all, NULL), CVXRELU_OK);
    double worst = 0.0;
    for (size_t p = 0; p < all->P; p++) {
        double g[8] = {0};
        for (size_t i = 0; i < n; i++)
            if ((all->bits[p * all->words_per_pattern + i / 64] >> (i % 64)) & 1u)
                for (size_t t = 0; t < d; t++) g[t] += Xe[i * d + t] * R[i];
        double nrm = 0.0;
        for (size_t t = 0; t < d; t++) nrm += g[t] * g[t];
        worst = fmax(worst, sqrt(nrm) / (double)n);
    }
    assert_true(worst <= s.lambda * (1.0 + 1e-3));
    /* and the objective is the all-patterns optimum */
    assert_true(fabs(r.convex.objective - ra.convex.objective) <=
                r.convex.gap + ra.convex.gap + 1e-8 * ra.convex.objective);
    cvxrelu_patterns_free(all);
    free(R);
    free(Xe);
    free(Ye);
    cvxrelu_model_free(m);
    cvxrelu_model_free(ma);
    cvxrelu_train_report_free(&r);
    cvxrelu_train_report_free(&ra);
    cvxrelu_dataset_free(ds);
    free(X);
    free(Y);
}

/* The exact program started from a trained ReLU network (its neurons as the gates and
   the start): no worse than the network, and growing from there no worse again. */
static void test_grow_from_network(void **state)
{
    (void)state;
    double *X = NULL, *Y = NULL;
    const size_t n = 120, d = 3;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, 1, 4, 0.05, 8, &X, &Y, NULL), CVXRELU_OK);
    cvxrelu_dataset *ds = NULL;
    assert_int_equal(cvxrelu_dataset_from_arrays(n, d, X, Y, &ds, NULL), CVXRELU_OK);
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    s.lambda = 1e-3;
    s.certify = 0;
    s.program = CVXRELU_TRAIN_LOCAL;
    s.local.method = CVXRELU_OPT_ADAM;
    s.width = s.local.width = 12;
    s.local.steps = 1500;
    s.local.lr = 1e-2;
    s.stationarity = 0;
    cvxrelu_model *net = NULL;
    cvxrelu_train_report rn;
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &net, &rn, NULL), CVXRELU_OK);
    assert_int_equal(net->kind, CVXRELU_MODEL_RELU);
    cvxrelu_train_settings g;
    cvxrelu_train_settings_default(&g);
    g.program = CVXRELU_TRAIN_RELU;
    g.lambda = 1e-3;
    g.certify = 0;
    g.patterns = 0; /* the network's patterns only */
    g.warm = net;
    g.grow = 1;
    g.grow_rounds = 3;
    cvxrelu_model *m = NULL;
    cvxrelu_train_report r;
    assert_int_equal(cvxrelu_train(ds, NULL, &g, &m, &r, NULL), CVXRELU_OK);
    assert_true(r.grow_objective0 <= rn.network_objective + r.grow_gap0 + 1e-12);
    assert_true(r.convex.objective <= r.grow_objective0 + r.convex.gap + 1e-12);
    assert_true(fabs(r.network_objective - r.convex.objective) <= 1e-9 * r.convex.objective);
    cvxrelu_model_free(m);
    cvxrelu_model_free(net);
    cvxrelu_train_report_free(&r);
    cvxrelu_train_report_free(&rn);
    cvxrelu_dataset_free(ds);
    free(X);
    free(Y);
}

/*
 * The exact program's search looks for neurons of both output signs: with the residual
 * r = -(X g*)_+ no neuron violates on the positive side (r^T (X g)_+ <= 0 for every g),
 * and the neuron g* violates on the negative side by ||(X g*)_+||^2 / (N ||g*||); the
 * search must find a violating pattern there (an ascent on r alone turns away from it).
 */
static void test_grow_search_negative_side(void **state)
{
    (void)state;
    const size_t n = 80, d = 4;
    double X[80 * 4], R[80], Y[80], g[4] = {0.8, -0.5, 0.3, 0.1};
    uint64_t z = 12345;
    for (size_t i = 0; i < n * d; i++) {
        z = z * 6364136223846793005ULL + 1442695040888963407ULL;
        X[i] = ((double)(z >> 11) / 9007199254740992.0) * 2.0 - 1.0;
    }
    double hit = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = 0.0;
        for (size_t t = 0; t < d; t++) v += X[i * d + t] * g[t];
        R[i] = -fmax(v, 0.0);
        Y[i] = 0.0;
        hit += v > 0.0 ? v * v : 0.0;
    }
    const double gn = sqrt(0.8 * 0.8 + 0.5 * 0.5 + 0.3 * 0.3 + 0.1 * 0.1);
    const double value = hit / ((double)n * gn); /* -r^T (X g*)_+ / (N ||g*||) */
    cvxrelu_patterns *pat = NULL;
    assert_int_equal(cvxrelu_patterns_build(X, n, d, NULL, 0, 3, 7, 0, NULL, &pat, NULL, NULL),
                     CVXRELU_OK);
    const cvxrelu_problem pb = {X, n, d, Y, 1, CVXRELU_LOSS_SQUARED, 1.0};
    double *G = NULL, best = 0.0;
    size_t m = 0;
    assert_int_equal(cr_grow_search(&pb, R, pat, 1, 5, 0.5 * value, 3, &G, &m, &best, NULL),
                     CVXRELU_OK);
    printf("# negative side: violation of g* %.4g, the search's best %.4g, %zu patterns\n",
           value, best, m);
    assert_true(m >= 1);
    assert_true(best >= 0.9 * value);
    free(G);
    cvxrelu_patterns_free(pat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_gated),
        cmocka_unit_test(test_grow_relu),
        cmocka_unit_test(test_grow_1d_optimal),
        cmocka_unit_test(test_grow_from_network),
        cmocka_unit_test(test_grow_search_negative_side),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
