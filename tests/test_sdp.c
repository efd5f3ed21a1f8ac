/*
 * The SDP relaxation of [PBY24] (docs/algorithms.md, "The SDP relaxation"): truths from mathematics.
 *  - Every network gives a feasible point Z = sum_j z_j z_j^T of the relaxation
 *    (z_j = ((X u_j)_+, u_j, v_j)) whose value is the network's objective: the
 *    constraints and the objective of the reduced space are checked on it.
 *  - Hence the relaxation's value, and its certified lower bound, are <= the
 *    objective of every network: networks from the convex programs, from GD and
 *    Adam at several seeds, planted networks, the read-out network.
 *  - The first-order solver (ADMM) and the interior-point solver (DSDP) agree.
 *  - A dense model survives save / load with the same predictions.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvxrelu.h"
#include "sdp.h"
#include "test_helpers.h"

typedef struct {
    size_t n, d, c;
    double *X, *Y;
} inst;

static double gauss(uint64_t *s)
{
    double u = 0.0, v = 0.0;
    for (int k = 0; k < 2; k++) {
        *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
        double x = ((*s >> 11) + 0.5) / 9007199254740992.0;
        if (k == 0) u = x; else v = x;
    }
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Gaussian X with a bias column; Y from a planted 3-neuron network plus noise
   (regression, c = 1) or the argmax of planted outputs (one-hot, c > 1). */
static inst make_inst(size_t n, size_t d, size_t c, uint64_t seed)
{
    inst I = {n, d, c, malloc(n * d * sizeof(double)), calloc(n * c, sizeof(double))};
    uint64_t s = seed;
    for (size_t i = 0; i < n * d; i++) I.X[i] = gauss(&s);
    for (size_t i = 0; i < n; i++) I.X[i * d + d - 1] = 1.0;
    double Wt[3 * 16], Vt[3 * 4];
    for (size_t t = 0; t < 3 * d; t++) Wt[t] = gauss(&s);
    for (size_t t = 0; t < 3 * c; t++) Vt[t] = gauss(&s);
    for (size_t i = 0; i < n; i++) {
        double f[4] = {0, 0, 0, 0};
        for (size_t j = 0; j < 3; j++) {
            double z = 0.0;
            for (size_t k = 0; k < d; k++) z += I.X[i * d + k] * Wt[j * d + k];
            if (z > 0)
                for (size_t k = 0; k < c; k++) f[k] += z * Vt[j * c + k];
        }
        if (c == 1) {
            I.Y[i] = f[0] + 0.1 * gauss(&s);
        } else {
            size_t b = 0;
            for (size_t k = 1; k < c; k++)
                if (f[k] > f[b]) b = k;
            I.Y[i * c + b] = 1.0;
        }
    }
    return I;
}

static void free_inst(inst *I)
{
    free(I->X);
    free(I->Y);
}

/* Objective (canonical scale) of f(x) = sum_j (x.u_j)_+ v_j with weight decay. */
static double net_objective(const inst *I, size_t m, const double *U, const double *V,
                            double lambda)
{
    size_t n = I->n, d = I->d, c = I->c;
    double loss = 0.0, reg = 0.0;
    for (size_t i = 0; i < n; i++) {
        double f[8] = {0};
        for (size_t j = 0; j < m; j++) {
            double z = 0.0;
            for (size_t k = 0; k < d; k++) z += I->X[i * d + k] * U[j * d + k];
            if (z > 0)
                for (size_t k = 0; k < c; k++) f[k] += z * V[j * c + k];
        }
        for (size_t k = 0; k < c; k++) loss += (f[k] - I->Y[i * c + k]) * (f[k] - I->Y[i * c + k]);
    }
    for (size_t t = 0; t < m * d; t++) reg += U[t] * U[t];
    for (size_t t = 0; t < m * c; t++) reg += V[t] * V[t];
    return loss / (2.0 * (double)(n * c)) + 0.5 * lambda * reg;
}

static cvxrelu_sdp_result solve_sdp(const inst *I, double lambda, cvxrelu_sdp_method m,
                                    double tol)
{
    cvxrelu_sdp_settings s;
    cvxrelu_sdp_settings_default(&s);
    s.method = m;
    s.tol = tol;
    s.max_iter = m == CVXRELU_SDP_ADMM ? 200000 : 0;
    cvxrelu_sdp_result r;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_sdp_solve(&(cvxrelu_problem){I->X, I->n, I->d, I->Y, I->c, CVXRELU_LOSS_SQUARED, 0.0}, lambda, &s, &r, &err);
    if (st) printf("# %s\n", err.msg);
    assert_int_equal(st, CVXRELU_OK);
    assert_true(r.lower_bound <= r.value * (1.0 + 1e-9) + 1e-12);
    return r;
}

/* A network lifted: Z = sum_j z_j z_j^T is feasible and has the network's value. */
static void test_lifted_network_is_feasible(void **state)
{
    (void)state;
    inst I = make_inst(12, 3, 2, 7);
    size_t n = I.n, d = I.d, c = I.c, q = n + d + c, m = 4;
    uint64_t s = 99;
    double U[4 * 3], V[4 * 2];
    for (size_t t = 0; t < m * d; t++) U[t] = gauss(&s);
    for (size_t t = 0; t < m * c; t++) V[t] = gauss(&s);
    double *Z = calloc(q * q, sizeof(double)), z[32];
    for (size_t j = 0; j < m; j++) {
        for (size_t i = 0; i < n; i++) {
            double a = 0.0;
            for (size_t k = 0; k < d; k++) a += I.X[i * d + k] * U[j * d + k];
            z[i] = a > 0 ? a : 0.0;
        }
        memcpy(z + n, U + j * d, d * sizeof(double));
        memcpy(z + n + d, V + j * c, c * sizeof(double));
        for (size_t a = 0; a < q; a++)
            for (size_t b = 0; b < q; b++) Z[a * q + b] += z[a] * z[b];
    }
    double lambda = 0.01;
    cr_sdp_problem pb = {n, d, c, I.X, I.Y, lambda * (double)(n * c)};
    cr_sdp_eval ev;
    cr_sdp_evaluate(&pb, Z, &ev);
    assert_true(ev.neg_entry <= 1e-12);
    assert_true(ev.diag_ab <= 1e-12);
    assert_true(ev.psd_neg <= 1e-10);
    assert_true(ev.rank <= m);
    /* value on the paper scale / N = the network's objective on the canonical scale */
    assert_float_equal(ev.obj / (double)(n * c), net_objective(&I, m, U, V, lambda), 1e-12);
    free(Z);
    free_inst(&I);
}

/* The two solvers agree, and both bounds are below every network we can train. */
static void check_instance(size_t n, size_t d, size_t c, double lambda, uint64_t seed)
{
    inst I = make_inst(n, d, c, seed);
    cvxrelu_sdp_result ra = solve_sdp(&I, lambda, CVXRELU_SDP_ADMM, 1e-6);
    cvxrelu_sdp_result rd = solve_sdp(&I, lambda, CVXRELU_SDP_DSDP, 1e-7);
    double rel = fabs(ra.value - rd.value) / fabs(rd.value);
    printf("# n=%zu d=%zu c=%zu lambda=%g: admm %.10g (lb %.10g, %zu it) dsdp %.10g (lb %.10g) "
           "rel diff %.2e\n",
           n, d, c, lambda, ra.value, ra.lower_bound, ra.iterations, rd.value, rd.lower_bound,
           rel);
    assert_true(rel <= 1e-4);
    /* each certified bound is below the other solver's value (up to the accuracy of
       that value: an ADMM iterate may be slightly infeasible, hence slightly low) */
    assert_true(ra.lower_bound <= rd.value * (1 + 1e-5));
    assert_true(rd.lower_bound <= ra.value * (1 + 1e-5));
    const double lb = fmax(ra.lower_bound, rd.lower_bound);
    const double sdp = fmin(ra.value, rd.value);

    /* the zero network */
    double y2 = 0.0;
    for (size_t t = 0; t < n * c; t++) y2 += I.Y[t] * I.Y[t];
    assert_true(lb <= y2 / (2.0 * (double)(n * c)));

    /* networks from local methods: GD and Adam, several seeds and widths */
    for (int meth = 0; meth < 2; meth++)
        for (uint64_t sd = 1; sd <= 3; sd++) {
            cvxrelu_local_settings ls;
            cvxrelu_local_settings_default(&ls);
            ls.method = meth ? CVXRELU_OPT_ADAM : CVXRELU_OPT_GD;
            ls.lambda = lambda;
            ls.width = 4 * sd;
            ls.steps = 3000;
            ls.batch = 0;
            ls.lr = meth ? 1e-2 : 0.05;
            ls.seed = sd;
            double *W = NULL, *a = NULL;
            cvxrelu_local_result lr;
            assert_int_equal(cvxrelu_local_train(&(cvxrelu_problem){I.X, n, d, I.Y, c, CVXRELU_LOSS_SQUARED, 0.0}, &ls, &W, &a, &lr, NULL), 0);
            printf("#   %s seed %llu width %zu: network %.10g >= sdp %.10g\n",
                   meth ? "adam" : "gd", (unsigned long long)sd, ls.width, lr.objective, sdp);
            assert_true(lb <= lr.objective);
            assert_true(sdp <= lr.objective * (1.0 + 1e-4));
            free(W);
            free(a);
            cvxrelu_local_result_free(&lr);
        }

    /* the exact ReLU convex program over sampled patterns (its optimum is a network) */
    cvxrelu_patterns *pat = NULL;
    assert_int_equal(cvxrelu_patterns_sample(I.X, n, d, 40, 3, 0, &pat, NULL), 0);
    cvxrelu_result res;
    cvxrelu_solver *sv = solve(I.X, n, d, I.Y, c, pat, CVXRELU_SOLVER_RELU, lambda, 1e-8, &res);
    printf("#   exact relu program on %zu patterns: %.10g (dual %.10g)\n", pat->P,
           res.objective, res.dual);
    assert_true(lb <= res.objective);
    cvxrelu_solver_free(sv);
    cvxrelu_patterns_free(pat);

    /* the read-out network */
    double *Uo = NULL, *Vo = NULL;
    size_t R = ra.rank ? ra.rank : 1;
    assert_int_equal(cvxrelu_sdp_readout(&(cvxrelu_problem){I.X, n, d, I.Y, c, CVXRELU_LOSS_SQUARED, 0.0}, lambda, &ra, R, 0, 1, NULL, &Uo, &Vo, NULL, NULL),
                     0);
    double ro = net_objective(&I, R, Uo, Vo, lambda);
    printf("#   read-out width %zu: %.10g\n", R, ro);
    assert_true(isfinite(ro));
    assert_true(lb <= ro);

    /* a dense model: save, load, same predictions and objective */
    if (c > 1) {
        cvxrelu_model *md = NULL, *back = NULL;
        assert_int_equal(cvxrelu_model_from_dense(R, Uo, Vo, lambda, plain_encoding(d, c), &md,
                                                  NULL),
                         0);
        assert_non_null(md->V);
        assert_float_equal(cvxrelu_model_objective(md, I.X, I.Y, n, lambda), ro, 1e-10);
        char path[] = "/tmp/cvxrelu_sdp_model.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(cvxrelu_model_save(md, path, NULL), 0);
        assert_int_equal(cvxrelu_model_load(path, &back, NULL), 0);
        unlink(path);
        assert_non_null(back->V);
        double *y1 = malloc(n * c * sizeof(double)), *y2b = malloc(n * c * sizeof(double));
        cvxrelu_model_forward(md, I.X, n, y1);
        cvxrelu_model_forward(back, I.X, n, y2b);
        for (size_t t = 0; t < n * c; t++) assert_float_equal(y1[t], y2b[t], 1e-12);
        free(y1);
        free(y2b);
        cvxrelu_model_free(md);
        cvxrelu_model_free(back);
    }
    free(Uo);
    free(Vo);
    cvxrelu_sdp_result_free(&ra);
    cvxrelu_sdp_result_free(&rd);
    free_inst(&I);
}

static void test_regression_small(void **state)
{
    (void)state;
    check_instance(10, 3, 1, 0.01, 11);
}

static void test_multiclass_small(void **state)
{
    (void)state;
    check_instance(12, 3, 3, 0.005, 12);
}

static void test_larger_lambda(void **state)
{
    (void)state;
    check_instance(15, 4, 2, 0.05, 13);
}


/* One row, one feature: the relaxation is exact and has a closed form.  With
   t = u v >= 0 on the active side, (1/2)(|x| t - |y|)^2 + beta t is least at
   t = (|x y| - beta)_+ / x^2, value (1/2) y^2 - (|x y| - beta)_+^2 / (2 x^2). */
static void test_one_row_closed_form(void **state)
{
    (void)state;
    const double xs[] = {2.0, -2.0, 2.0, 0.5}, ys[] = {3.0, 3.0, -3.0, 0.1};
    for (int k = 0; k < 4; k++) {
        double x = xs[k], y = ys[k], beta = 0.5;
        double a = fabs(x * y) - beta;
        double expect = a > 0 ? 0.5 * y * y - a * a / (2 * x * x) : 0.5 * y * y;
        inst I = {1, 1, 1, &x, &y};
        for (int m = 0; m < 2; m++) {
            cvxrelu_sdp_result r = solve_sdp(&I, beta, m ? CVXRELU_SDP_DSDP : CVXRELU_SDP_ADMM,
                                             1e-8);
            printf("# x=%g y=%g: expect %.10g, %s %.10g (lb %.10g)\n", x, y, expect,
                   m ? "dsdp" : "admm", r.value, r.lower_bound);
            assert_true(fabs(r.value - expect) <= 1e-5 * expect);
            assert_true(r.lower_bound <= expect * (1 + 1e-9));
            cvxrelu_sdp_result_free(&r);
        }
    }
}

/* Rows that are copies, negatives, multiples or zeros of others leave the
   relaxation without interior (DSDP merges them exactly): both solvers still
   agree and bracket each other. */
static void test_degenerate_rows(void **state)
{
    (void)state;
    inst I = make_inst(12, 3, 1, 21);
    const size_t d = I.d;
    for (size_t k = 0; k < d; k++) {
        I.X[1 * d + k] = I.X[0 * d + k];        /* duplicate */
        I.X[3 * d + k] = -I.X[2 * d + k];       /* negated */
        I.X[5 * d + k] = 2.0 * I.X[4 * d + k];  /* multiple */
        I.X[6 * d + k] = 0.0;                   /* zero row */
    }
    cvxrelu_sdp_result ra = solve_sdp(&I, 0.02, CVXRELU_SDP_ADMM, 1e-6);
    cvxrelu_sdp_result rd = solve_sdp(&I, 0.02, CVXRELU_SDP_DSDP, 1e-7);
    double rel = fabs(ra.value - rd.value) / fabs(rd.value);
    printf("# degenerate rows: admm %.10g (lb %.10g, %zu it, %s, pres %.1e dres %.1e) dsdp %.10g "
           "(lb %.10g) rel diff %.2e\n",
           ra.value, ra.lower_bound, ra.iterations, cvxrelu_exit_string(ra.exit), ra.pres,
           ra.dres, rd.value, rd.lower_bound, rel);
    assert_true(rel <= 1e-4);
    assert_true(ra.lower_bound <= rd.value * (1 + 1e-5));
    assert_true(rd.lower_bound <= ra.value * (1 + 1e-5));
    cvxrelu_sdp_result_free(&ra);
    cvxrelu_sdp_result_free(&rd);
    free_inst(&I);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    inst I = make_inst(5, 2, 1, 1);
    cvxrelu_sdp_result r;
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_sdp_solve(&(cvxrelu_problem){I.X, 5, 2, I.Y, 1, CVXRELU_LOSS_SQUARED, 0.0}, 0.0, NULL, &r, &err),
                     CVXRELU_ERR_INVALID);
    assert_non_null(strstr(err.msg, "lambda"));
    assert_int_equal(cvxrelu_sdp_solve(&(cvxrelu_problem){I.X, 0, 2, I.Y, 1, CVXRELU_LOSS_SQUARED, 0.0}, 0.1, NULL, &r, &err),
                     CVXRELU_ERR_INVALID);
    assert_int_equal(cvxrelu_sdp_solve(&(cvxrelu_problem){NULL, 5, 2, I.Y, 1, CVXRELU_LOSS_SQUARED, 0.0}, 0.1, NULL, &r, &err),
                     CVXRELU_ERR_INVALID);
    assert_int_equal(cvxrelu_sdp_solve(NULL, 0.1, NULL, &r, &err), CVXRELU_ERR_INVALID);
    assert_non_null(strstr(err.msg, "problem"));
    double *U = NULL, *V = NULL;
    cvxrelu_exit ex;
    assert_int_equal(cvxrelu_sdp_readout(NULL, 0.1, &r, 1, 0, 1, NULL, &U, &V, &ex, &err),
                     CVXRELU_ERR_INVALID);
    assert_non_null(strstr(err.msg, "problem"));
    assert_null(U);
    assert_null(V);
    free_inst(&I);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifted_network_is_feasible),
        cmocka_unit_test(test_regression_small),
        cmocka_unit_test(test_multiclass_small),
        cmocka_unit_test(test_larger_lambda),
        cmocka_unit_test(test_one_row_closed_form),
        cmocka_unit_test(test_degenerate_rows),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
