/*
 * Three-layer parallel networks (DESIGN 7, [EP21]): the convex program's
 * certificate, the exact recovery of the network, the model file, and the
 * convex optimum against locally trained networks whose configurations are
 * added to the program.
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

/* A planted-teacher problem with a bias column. */
static void problem(size_t n, size_t d, size_t c, uint64_t seed, double **X, double **Y)
{
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, seed, X, Y, NULL), 0);
    for (size_t j = 0; j < n; j++) (*X)[j * d + d - 1] = 1.0;
}

static double *solve3(const double *X, size_t n, size_t d, const double *Y, size_t c,
                      const cvxrelu_configs *cf, double lambda, double eps,
                      cvxrelu_relu3_result *res)
{
    cvxrelu_relu3_settings s;
    cvxrelu_relu3_settings_default(&s);
    s.lambda = lambda;
    s.eps = eps;
    s.max_iter = 200000;
    double *W = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_relu3_solve(X, n, d, Y, c, cf, &s, &W, res, &err);
    if (st) printf("# %s\n", err.msg);
    assert_int_equal(st, 0);
    printf("# P=%zu m1=%zu c=%zu lambda=%g: objective %.12g dual %.12g gap %.2e, %zu it / %zu outer, "
           "violation before repair %.1e, %zu active, %.2f s\n",
           cf->P, cf->width1, c, lambda, res->objective, res->dual, res->gap, res->iterations,
           res->outer, res->violation, res->active, res->time_s);
    return W;
}

/* Certified gap, exact feasibility, and the recovered network reproduces the
   convex model: objective to 1e-10 relative, predictions to 1e-12, and the
   recovered sub-networks are balanced (||W1||_F = 1, ||W2|| = |a|). */
static void test_relu3_certificate_and_recovery(void **state)
{
    (void)state;
    const size_t cs[] = {1, 2, 1}, m1s[] = {2, 3, 1};
    for (int t = 0; t < 3; t++) {
        size_t n = 50 + 10 * (size_t)t, d = 4, c = cs[t], m1 = m1s[t];
        double *X, *Y;
        problem(n, d, c, 70 + (uint64_t)t, &X, &Y);
        cvxrelu_configs *cf;
        assert_int_equal(cvxrelu_configs_sample(X, n, d, m1, 8, 3 + (uint64_t)t, &cf, NULL), 0);
        cvxrelu_relu3_result res;
        double lambda = t == 2 ? 1e-2 : 3e-3;
        double *W = solve3(X, n, d, Y, c, cf, lambda, 1e-8, &res);
        assert_true(res.converged);
        assert_true(res.gap <= 1e-8 && res.gap >= 0.0);
        assert_true(res.dual <= res.objective);
        assert_true(res.active > 0);
        double viol = cvxrelu_relu3_violation(X, c, cf, W);
        printf("#   violation after repair %.1e\n", viol);
        assert_true(viol <= 1e-14);
        double obj = cvxrelu_relu3_convex_objective(X, Y, c, cf, W, lambda);
        assert_true(fabs(obj - res.objective) <= 1e-12 * fabs(obj));

        cvxrelu_model *m;
        assert_int_equal(cvxrelu_model_from_relu3(cf, W, c, lambda, plain_encoding(d, c), &m, NULL), 0);
        assert_int_equal(m->m, res.active);
        double mobj = cvxrelu_model_objective(m, X, Y, n, lambda);
        printf("#   network objective %.15g, convex %.15g\n", mobj, obj);
        assert_true(fabs(mobj - obj) <= 1e-10 * obj);
        double *Yc = malloc(n * c * sizeof(double)), *Yn = malloc(n * c * sizeof(double));
        cvxrelu_relu3_convex_predict(X, c, cf, W, Yc);
        cvxrelu_model_forward(m, X, n, Yn);
        double ymax = 0.0, dmax = 0.0;
        for (size_t i = 0; i < n * c; i++) {
            ymax = fmax(ymax, fabs(Yc[i]));
            dmax = fmax(dmax, fabs(Yc[i] - Yn[i]));
        }
        assert_true(dmax <= 1e-12 * fmax(1.0, ymax));
        /* balanced: the weight-decay form of [EP21] equals the path form */
        double wd = 0.0;
        for (size_t j = 0; j < m->m; j++) {
            double f1 = 0.0, f2 = 0.0;
            for (size_t k = 0; k < m1 * d; k++) f1 += m->W[j * m1 * d + k] * m->W[j * m1 * d + k];
            for (size_t l = 0; l < m1; l++) f2 += m->W2[j * m1 + l] * m->W2[j * m1 + l];
            assert_true(fabs(sqrt(f1) - 1.0) <= 1e-12);
            assert_true(fabs(f2 - m->a[j] * m->a[j]) <= 1e-12 * f2);
            wd += 0.5 * lambda * (f2 + m->a[j] * m->a[j]);
        }
        assert_true(fabs(wd - res.penalty) <= 1e-12 * res.penalty);
        free(Yc);
        free(Yn);
        cvxrelu_model_free(m);
        free(W);
        cvxrelu_configs_free(cf);
        free(X);
        free(Y);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relu3_certificate_and_recovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
