/*
 * Three-layer parallel networks (docs/algorithms.md, "Three-layer parallel networks", [EP21]): the convex program's
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
#include <unistd.h>

#include "cvxrelu.h"
#include "test_helpers.h"

/* Seeded N(0, 1) entries (Box-Muller on a 64-bit LCG; independent of the library's generator). */
static void cr_test_normal(double *v, size_t len, uint64_t seed)
{
    uint64_t x = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    for (size_t i = 0; i < len; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        double u1 = ((double)(x >> 11) + 0.5) / 9007199254740992.0;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        double u2 = ((double)(x >> 11) + 0.5) / 9007199254740992.0;
        v[i] = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    }
}

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
    s.tol = eps;
    s.max_iter = 200000;
    double *W = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_relu3_solve(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, cf, &s, &W, res, &err);
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


/*
 * The convex optimum is at most the objective of a locally trained network
 * once its configurations are in the program: the network's image in the
 * program is feasible and has the network's (path-form) objective exactly,
 * which is at most its [EP21] training objective; the certified dual bound is
 * below it, and the solver's answer is within its gap of the optimum.
 */
static void test_relu3_local_network_configurations(void **state)
{
    (void)state;
    const cvxrelu_optimizer methods[] = {CVXRELU_OPT_ADAM, CVXRELU_OPT_SGD, CVXRELU_OPT_GD};
    for (int t = 0; t < 3; t++) {
        size_t n = 60, d = 4, c = t == 1 ? 2 : 1, m1 = 2 + (size_t)t % 2, K = 4;
        double *X, *Y;
        problem(n, d, c, 90 + (uint64_t)t, &X, &Y);
        const double lambda = 2e-3;
        cvxrelu_local_settings ls;
        cvxrelu_local_settings_default(&ls);
        ls.method = methods[t];
        ls.lambda = lambda;
        ls.steps = 1500;
        ls.batch = 16;
        ls.lr = methods[t] == CVXRELU_OPT_ADAM ? 1e-2 : 0.05;
        ls.seed = 5 + (uint64_t)t;
        double *W1, *W2, *a;
        cvxrelu_local_result lr;
        assert_int_equal(cvxrelu_local3_train(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, K, m1, &ls, &W1, &W2, &a, &lr, NULL), 0);
        size_t *out = malloc(K * c * sizeof(size_t)), *idx = malloc(K * c * sizeof(size_t));
        for (size_t j = 0; j < K * c; j++) out[j] = j / K;
        cvxrelu_model *net;
        assert_int_equal(cvxrelu_model_from_relu3_arrays(K * c, m1, W1, W2, a, out, lambda,
                                                         plain_encoding(d, c), &net, NULL), 0);
        double net_obj = cvxrelu_model_objective(net, X, Y, n, lambda);
        assert_true(net_obj <= lr.objective * (1 + 1e-12)); /* path form <= weight decay */

        cvxrelu_configs *cf;
        assert_int_equal(cvxrelu_configs_sample(X, n, d, m1, 6, 11, &cf, NULL), 0);
        size_t sampled = cf->P;
        assert_int_equal(cvxrelu_configs_add_network(cf, X, K * c, W1, W2, idx, NULL), 0);
        const size_t rows = 2 * cf->P * c * m1;
        double *W0 = calloc(rows * d, sizeof(double));
        assert_int_equal(cvxrelu_relu3_weights_from_network(cf, X, c, K * c, W1, W2, a, out, idx,
                                                            W0, NULL), 0);
        double v0 = cvxrelu_relu3_violation(X, c, cf, W0);
        double img = cvxrelu_relu3_convex_objective(X, Y, c, cf, W0, lambda);
        printf("# %s c=%zu m1=%zu: trained %.10g, path form %.10g, image in the program %.10g "
               "(violation %.1e), %zu sampled + %zu configurations\n",
               t == 0 ? "adam" : t == 1 ? "sgd" : "gd", c, m1, lr.objective, net_obj, img, v0,
               sampled, cf->P - sampled);
        assert_true(v0 <= 1e-14);
        /* equal, unless sub-networks are dead (empty second layer: no output, some
           penalty) or share a group (the norm of a sum is at most the sum) */
        int exact = 1;
        for (size_t j = 0; j < K * c; j++) {
            exact &= idx[j] != (size_t)-1;
            for (size_t q = 0; q < j; q++) exact &= !(idx[q] == idx[j] && out[q] == out[j] &&
                                                        (a[q] < 0) == (a[j] < 0));
        }
        assert_true(img <= net_obj * (1 + 1e-12));
        if (exact) assert_true(fabs(img - net_obj) <= 1e-12 * net_obj);

        cvxrelu_relu3_result res;
        double *W = solve3(X, n, d, Y, c, cf, lambda, 1e-8, &res);
        assert_true(res.converged);
        assert_true(res.dual <= img);
        assert_true(res.objective <= img + res.gap);
        printf("#   convex optimum within [%.10g, %.10g], network %.10g: %.2f%% below it\n", res.dual,
               res.objective, net_obj, 100.0 * (net_obj - res.objective) / net_obj);
        /* warm-started at the network's image: the same optimum */
        cvxrelu_relu3_settings s;
        cvxrelu_relu3_settings_default(&s);
        s.lambda = lambda;
        s.tol = 1e-8;
        s.max_iter = 200000;
        cvxrelu_relu3_result res2;
        double *Wws = NULL;
        s.start = W0;
        assert_int_equal(cvxrelu_relu3_solve(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, cf, &s, &Wws, &res2, NULL), 0);
        free(Wws);
        assert_true(res2.converged);
        assert_true(fabs(res2.objective - res.objective) <= res.gap + res2.gap + 1e-12);
        free(W);
        free(W0);
        cvxrelu_configs_free(cf);
        cvxrelu_model_free(net);
        cvxrelu_local_result_free(&lr);
        free(W1);
        free(W2);
        free(a);
        free(out);
        free(idx);
        free(X);
        free(Y);
    }
}

/*
 * width1 = 1 is a two-layer network: a (W2 (x.w)_+)_+ = a W2 (x.w)_+ for W2 > 0,
 * and the configuration with W2 < 0 has an empty second layer.  So over the
 * configurations of gates g_i with W2 = 1, the three-layer program is the exact
 * two-layer program (docs/algorithms.md, "The exact ReLU program") over the patterns of the same gates, which the
 * projected R-FISTA solver handles by another method: the optima must agree.
 */
static void test_relu3_width1_is_two_layer(void **state)
{
    (void)state;
    for (int t = 0; t < 2; t++) {
        size_t n = 40 + 20 * (size_t)t, d = 4, c = 1 + (size_t)t, P = 10;
        double *X, *Y;
        problem(n, d, c, 120 + (uint64_t)t, &X, &Y);
        double *G = malloc(P * d * sizeof(double)), *ones = malloc(P * sizeof(double));
        cr_test_normal(G, P * d, 7 + (uint64_t)t);
        for (size_t i = 0; i < P; i++) ones[i] = 1.0;
        cvxrelu_patterns *pat;
        assert_int_equal(cvxrelu_patterns_from_gates(X, n, d, G, P, &pat, NULL), 0);
        cvxrelu_configs *cf;
        assert_int_equal(cvxrelu_configs_sample(X, n, d, 1, 0, 1, &cf, NULL), 0);
        assert_int_equal(cvxrelu_configs_add_network(cf, X, P, G, ones, NULL, NULL), 0);
        assert_int_equal(cf->P, pat->P);
        double lambda = 0.02 * cvxrelu_lambda_max(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat);
        cvxrelu_result r2;
        cvxrelu_solver *s2 = solve(X, n, d, Y, c, pat, CVXRELU_SOLVER_RELU, lambda, 1e-10, &r2);
        cvxrelu_relu3_result r3;
        double *W = solve3(X, n, d, Y, c, cf, lambda, 1e-10, &r3);
        printf("#   two-layer program %.12g (gap %.1e), three-layer with width1 = 1 %.12g (gap %.1e)\n",
               r2.objective, r2.gap, r3.objective, r3.gap);
        assert_true(fabs(r2.objective - r3.objective) <= r2.gap + r3.gap + 1e-12);
        assert_true(r3.dual <= r2.objective && r2.dual <= r3.objective);
        free(W);
        cvxrelu_solver_free(s2);
        cvxrelu_configs_free(cf);
        cvxrelu_patterns_free(pat);
        free(G);
        free(ones);
        free(X);
        free(Y);
    }
}

/* The model file: round trip with bit-identical predictions; malformed
   three-layer sections are refused with the line named. */
static void test_relu3_model_file(void **state)
{
    (void)state;
    size_t n = 30, d = 3, c = 2, K = 3, m1 = 2;
    double *X, *Y;
    problem(n, d, c, 140, &X, &Y);
    double W1[3 * 2 * 3], W2[3 * 2], a[3] = {0.7, -1.2, 0.4};
    size_t out[3] = {0, 1, 1};
    cr_test_normal(W1, sizeof W1 / sizeof *W1, 3);
    cr_test_normal(W2, sizeof W2 / sizeof *W2, 4);
    cvxrelu_model *m, *m2;
    assert_int_equal(cvxrelu_model_from_relu3_arrays(K, m1, W1, W2, a, out, 1e-3,
                                                     plain_encoding(d, c), &m, NULL), 0);
    char path[] = "/tmp/cvxrelu_relu3_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cvxrelu_model_save(m, path, NULL), 0);
    assert_int_equal(cvxrelu_model_load(path, &m2, NULL), 0);
    assert_int_equal(m2->kind, CVXRELU_MODEL_RELU3);
    assert_int_equal(m2->m, K);
    assert_int_equal(m2->width1, m1);
    double Y1[30 * 2], Y2[30 * 2];
    cvxrelu_model_forward(m, X, n, Y1);
    cvxrelu_model_forward(m2, X, n, Y2);
    assert_memory_equal(Y1, Y2, sizeof Y1);
    /* the forward pass against the definition, written out here */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < c; k++) {
            double f = 0.0;
            for (size_t j = 0; j < K; j++) {
                if (out[j] != k) continue;
                double h = 0.0;
                for (size_t l = 0; l < m1; l++) {
                    double z = 0.0;
                    for (size_t q = 0; q < d; q++) z += X[i * d + q] * W1[(j * m1 + l) * d + q];
                    h += W2[j * m1 + l] * (z > 0 ? z : 0);
                }
                f += a[j] * (h > 0 ? h : 0);
            }
            assert_true(fabs(f - Y1[i * c + k]) <= 1e-12 * (1 + fabs(f)));
        }
    cvxrelu_model_free(m2);
    /* corruptions of the three-layer section */
    FILE *f = fopen(path, "r");
    char buf[8192];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    const char *from[] = {"subnets 3 width1 2", "subnets 3 width1 2", "\ns 1 ", "\ns 0 "};
    const char *to[] = {"subnets 3 width1 0", "subnets 4 width1 2", "\ns 2 ", "\nn 0 "};
    const char *want[] = {"expected 'subnets K width1 M'", "expected 's ...'",
                          "expected an output index below 2", "expected 's ...'"};
    for (int v = 0; v < 4; v++) {
        char bad[8192];
        const char *hit = strstr(buf, from[v]);
        assert_non_null(hit);
        size_t pre = (size_t)(hit - buf);
        snprintf(bad, sizeof bad, "%.*s%s%s", (int)pre, buf, to[v], hit + strlen(from[v]));
        f = fopen(path, "w");
        fputs(bad, f);
        fclose(f);
        cvxrelu_error err = {{0}};
        assert_int_equal(cvxrelu_model_load(path, &m2, &err), CVXRELU_ERR_FORMAT);
        printf("#   %s\n", err.msg);
        assert_non_null(strstr(err.msg, want[v]));
        assert_non_null(strstr(err.msg, path));
    }
    remove(path);
    cvxrelu_model_free(m);
    free(X);
    free(Y);
}

/* The problem is required: NULL, or a NULL X or Y in it, is ERR_INVALID. */
static void test_relu3_problem_required(void **state)
{
    (void)state;
    const size_t n = 20, d = 3, c = 1;
    double *X, *Y;
    problem(n, d, c, 5, &X, &Y);
    cvxrelu_configs *cf;
    assert_int_equal(cvxrelu_configs_sample(X, n, d, 1, 4, 1, &cf, NULL), 0);
    cvxrelu_relu3_settings s;
    cvxrelu_relu3_settings_default(&s);
    cvxrelu_relu3_result res;
    cvxrelu_error err = {{0}};
    double *W = NULL;
    assert_int_equal(cvxrelu_relu3_solve(NULL, cf, &s, &W, &res, &err), CVXRELU_ERR_INVALID);
    assert_non_null(strstr(err.msg, "problem"));
    assert_int_equal(cvxrelu_relu3_solve(&(cvxrelu_problem){X, n, d, NULL, c, CVXRELU_LOSS_SQUARED, 0.0}, cf, &s, &W, &res,
                                         &err),
                     CVXRELU_ERR_INVALID);
    assert_null(W);
    cvxrelu_configs_free(cf);
    free(X);
    free(Y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relu3_certificate_and_recovery),
        cmocka_unit_test(test_relu3_local_network_configurations),
        cmocka_unit_test(test_relu3_width1_is_two_layer),
        cmocka_unit_test(test_relu3_model_file),
        cmocka_unit_test(test_relu3_problem_required),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
