/*
 * The losses of the gated program (docs/api.md, cvxrelu_problem.loss): each loss's
 * derivative against central differences of its value; the dual value below the
 * objective (weak duality) at every solve and the gap closed to 1e-6; lambda at
 * lambda_max gives zero weights; the programs that are squared loss only refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cvxrelu.h"

static double urand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* targets for the loss: +-1 (logistic), one-hot rows (ce), values otherwise */
static void targets(cvxrelu_loss loss, double *Y, const double *X, size_t n, size_t d, size_t c,
                    uint64_t *seed)
{
    for (size_t i = 0; i < n; i++) {
        double z = X[i * d] - 0.5 * X[i * d + 1] + 0.3 * (urand(seed) - 0.5);
        if (loss == CVXRELU_LOSS_LOGISTIC) Y[i] = z > 0.0 ? 1.0 : -1.0;
        else if (loss == CVXRELU_LOSS_CE) {
            size_t k = z < -0.4 ? 0 : z < 0.4 ? 1 : 2;
            for (size_t j = 0; j < c; j++) Y[i * c + j] = j == k % c;
        } else
            for (size_t j = 0; j < c; j++) Y[i * c + j] = fabs(z) + (j == 0 ? 3.0 * (urand(seed) > 0.9) : 0.0);
    }
}

static const cvxrelu_loss losses[] = {CVXRELU_LOSS_SQUARED, CVXRELU_LOSS_LOGISTIC, CVXRELU_LOSS_CE,
                                      CVXRELU_LOSS_HUBER};
static size_t outputs(cvxrelu_loss l) { return l == CVXRELU_LOSS_CE ? 3 : l == CVXRELU_LOSS_SQUARED ? 2 : 1; }

static void test_derivative(void **state)
{
    (void)state;
    uint64_t seed = 5;
    const size_t n = 7, d = 2;
    for (size_t li = 0; li < 4; li++) {
        const size_t c = outputs(losses[li]);
        double X[14], Y[21], F[21], R[21];
        for (size_t i = 0; i < n * d; i++) X[i] = 2.0 * urand(&seed) - 1.0;
        targets(losses[li], Y, X, n, d, c, &seed);
        for (size_t i = 0; i < n * c; i++) F[i] = 4.0 * urand(&seed) - 2.0;
        cvxrelu_problem pb = {X, n, d, Y, c, losses[li], 0.7};
        cvxrelu_loss_eval(&pb, F, R);
        for (size_t i = 0; i < n * c; i++) {
            const double h = 1e-5, f0 = F[i];
            F[i] = f0 + h;
            double up = cvxrelu_loss_eval(&pb, F, NULL);
            F[i] = f0 - h;
            double dn = cvxrelu_loss_eval(&pb, F, NULL);
            F[i] = f0;
            double fd = (up - dn) / (2.0 * h) * (double)(n * c);
            assert_true(fabs(fd - R[i]) <= 1e-6 * fmax(1.0, fabs(R[i])));
        }
    }
}

static void test_gap(void **state)
{
    (void)state;
    uint64_t seed = 11;
    const size_t n = 60, d = 3;
    double X[180], Y[180];
    for (size_t i = 0; i < n; i++) {
        X[i * d] = 2.0 * urand(&seed) - 1.0;
        X[i * d + 1] = 2.0 * urand(&seed) - 1.0;
        X[i * d + 2] = 1.0;
    }
    cvxrelu_patterns *pat = NULL;
    cvxrelu_exit pex;
    assert_int_equal(cvxrelu_patterns_build(X, n, d, NULL, 0, 20, 3, 0, NULL, &pat, &pex, NULL), 0);
    for (size_t li = 0; li < 4; li++) {
        const size_t c = outputs(losses[li]);
        targets(losses[li], Y, X, n, d, c, &seed);
        cvxrelu_problem pb = {X, n, d, Y, c, losses[li], 0.5};
        double lmax = cvxrelu_lambda_max(&pb, pat);
        assert_true(lmax > 0.0 && isfinite(lmax));
        for (int prog = 0; prog < 2; prog++)
            for (int k = 0; k < 3; k++) {
                cvxrelu_settings set;
                cvxrelu_settings_default(&set);
                set.solver = prog ? CVXRELU_SOLVER_RELU : CVXRELU_SOLVER_RFISTA;
                /* at the gated lambda_max the exact program's weights are zero too (its
                   cone-projected gradients are no longer than the gated ones) */
                set.lambda = k == 0 ? lmax * 1.0000001 : lmax * (k == 1 ? 0.1 : 0.01);
                set.tol = 1e-9;
                set.max_iter = 200000;
                cvxrelu_solver *s = NULL;
                cvxrelu_error err = {{0}};
                cvxrelu_result res;
                assert_int_equal(cvxrelu_solver_new(&pb, pat, &set, &s, &err), 0);
                assert_int_equal(cvxrelu_solver_solve(s, &res, NULL), 0);
                printf("# %s %s lambda %.3g: objective %.12g dual %.12g gap %.2e active %zu "
                       "iterations %zu\n", prog ? "relu" : "gated", cvxrelu_loss_name(losses[li]),
                       set.lambda, res.objective, res.dual, res.gap, res.active_groups,
                       res.iterations);
                /* weak duality and a closed gap */
                assert_true(res.dual <= res.objective + 1e-12);
                assert_true(res.gap <= 1e-6 * fmax(1.0, fabs(res.objective)));
                if (k == 0) assert_int_equal(res.active_groups, 0);
                else assert_true(res.active_groups > 0);
                if (prog) assert_true(res.violation <= 1e-9);
                /* the objective is the loss of the solver's predictions plus the penalty:
                   the loss at zero predictions bounds it from above */
                double Z[180] = {0};
                assert_true(res.objective <= cvxrelu_loss_eval(&pb, Z, NULL) + 1e-12);
                cvxrelu_solver_free(s);
            }
        /* the exact program's ADMM method refuses the losses it does not solve */
        if (losses[li] != CVXRELU_LOSS_SQUARED) {
            cvxrelu_settings set;
            cvxrelu_settings_default(&set);
            set.solver = CVXRELU_SOLVER_RELU;
            set.relu_method = CVXRELU_RELU_ADMM;
            cvxrelu_solver *s = NULL;
            cvxrelu_error err = {{0}};
            assert_int_equal(cvxrelu_solver_new(&pb, pat, &set, &s, &err), CVXRELU_ERR_INVALID);
            assert_non_null(strstr(err.msg, "ADMM method is squared loss only"));
        }
    }
    /* wrong targets for the loss are named */
    double Yb[60];
    for (size_t i = 0; i < n; i++) Yb[i] = 0.5;
    cvxrelu_solver *s = NULL;
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_solver_new(&(cvxrelu_problem){X, n, d, Yb, 1, CVXRELU_LOSS_LOGISTIC, 0.0},
                                        pat, NULL, &s, &err), CVXRELU_ERR_INVALID);
    assert_non_null(strstr(err.msg, "row 1 has 0.5"));
    cvxrelu_patterns_free(pat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derivative),
        cmocka_unit_test(test_gap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
