/*
 * The losses (docs/api.md, cvxrelu_problem.loss): each loss's derivative against
 * central differences of its value; for the gated and the exact program the dual
 * value below the objective (weak duality) at every solve and the gap closed to 1e-6;
 * lambda at lambda_max gives zero weights; the ADMM method refuses.  The network
 * certificate under each classification loss on one feature (every pattern, the exact
 * bound on s(v)): a lower bound on perturbed networks, and tight at the optimum.
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
        for (int prog = 0; prog < 3; prog++) /* gated, exact (projected), exact (ADMM) */
            for (int k = 0; k < (prog == 2 ? 2 : 3); k++) { /* ADMM: slow at small lambda */
                cvxrelu_settings set;
                cvxrelu_settings_default(&set);
                set.solver = prog ? CVXRELU_SOLVER_RELU : CVXRELU_SOLVER_RFISTA;
                set.relu_method = prog == 2 ? CVXRELU_RELU_ADMM : CVXRELU_RELU_PROJECTED;
                /* at the gated lambda_max the exact program's weights are zero too (its
                   cone-projected gradients are no longer than the gated ones) */
                set.lambda = k == 0 ? lmax * 1.0000001 : lmax * (k == 1 ? 0.1 : 0.01);
                set.tol = prog == 2 ? 1e-7 : 1e-9; /* ADMM: slower to high accuracy */
                set.max_iter = 200000;
                cvxrelu_solver *s = NULL;
                cvxrelu_error err = {{0}};
                cvxrelu_result res;
                assert_int_equal(cvxrelu_solver_new(&pb, pat, &set, &s, &err), 0);
                assert_int_equal(cvxrelu_solver_solve(s, &res, NULL), 0);
                printf("# %s %s lambda %.3g: objective %.12g dual %.12g gap %.2e active %zu "
                       "iterations %zu\n", prog == 2 ? "admm" : prog ? "relu" : "gated",
                       cvxrelu_loss_name(losses[li]),
                       set.lambda, res.objective, res.dual, res.gap, res.active_groups,
                       res.iterations);
                /* weak duality and a closed gap */
                assert_true(res.dual <= res.objective + 1e-12);
                assert_true(res.gap <= 1e-6 * fmax(1.0, fabs(res.objective)));
                if (k == 0) assert_int_equal(res.active_groups, 0);
                else assert_true(res.active_groups > 0);
                if (prog) assert_true(res.violation <= (prog == 2 ? set.tol_feas : 1e-9));
                /* the objective is the loss of the solver's predictions plus the penalty:
                   the loss at zero predictions bounds it from above */
                double Z[180] = {0};
                assert_true(res.objective <= cvxrelu_loss_eval(&pb, Z, NULL) + 1e-12);
                cvxrelu_solver_free(s);
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

/* One feature (+ bias): the exact program over every pattern is the network problem
   itself, so at its optimum the certificate's lower bound must meet the network's
   objective; and it must stay below the objective of any other network. */
static void test_certificate(void **state)
{
    (void)state;
    enum { n = 60 };
    double x[n], lab[n];
    uint64_t seed = 11;
    for (int li = 0; li < 2; li++) {
        const int three = li == 1;
        for (size_t i = 0; i < n; i++) {
            x[i] = 4.0 * urand(&seed) - 2.0;
            lab[i] = three ? (x[i] < -0.7 ? 0 : x[i] < 0.6 ? 1 : 2) : x[i] > 0.0;
            if (urand(&seed) < 0.1) lab[i] = three ? (double)(size_t)(3.0 * urand(&seed)) : 1 - lab[i];
        }
        cvxrelu_dataset *ds = NULL;
        assert_int_equal(cvxrelu_dataset_from_arrays(n, 1, x, lab, &ds, NULL), CVXRELU_OK);
        cvxrelu_train_settings s;
        cvxrelu_train_settings_default(&s);
        s.program = CVXRELU_TRAIN_RELU;
        s.task = CVXRELU_TASK_CLASSIFICATION;
        s.all_patterns = 1;
        s.lambda = 1e-2;
        s.tol = 1e-8;
        s.max_iter = 200000;
        cvxrelu_model *m = NULL;
        cvxrelu_train_report r;
        cvxrelu_error err = {{0}};
        assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, &err), CVXRELU_OK);
        assert_int_equal(r.loss, three ? CVXRELU_LOSS_CE : CVXRELU_LOSS_LOGISTIC);
        assert_int_equal(r.certified, 1);
        const double ub = r.certificate.upper_bound, lb = r.certificate.lower_bound;
        printf("# %s: network objective %.12g, certificate [%.12g, %.12g], exact s/beta %.9f\n",
               cvxrelu_loss_name(r.loss), r.network_objective, lb, ub,
               r.certificate.sbar[CVXRELU_SBOUND_EXACT]);
        assert_true(fabs(ub - r.network_objective) <= 1e-12 * ub);
        assert_true(lb <= ub * (1.0 + 1e-12));
        assert_true(ub - lb <= 1e-6 * ub); /* the optimum is certified */
        /* any other network: the same neurons perturbed */
        double *X = NULL, *Y = NULL;
        assert_int_equal(cvxrelu_encoding_features(m->enc, ds, &X, NULL), CVXRELU_OK);
        assert_int_equal(cvxrelu_encoding_targets(m->enc, ds, &Y, NULL), CVXRELU_OK);
        for (int t = 0; t < 20; t++) {
            for (size_t j = 0; j < m->m; j++) {
                m->a[j] *= 1.0 + 0.2 * (urand(&seed) - 0.5);
                for (size_t k = 0; k < m->d; k++) m->W[j * m->d + k] += 0.05 * (urand(&seed) - 0.5);
            }
            assert_true(cvxrelu_model_objective(m, X, Y, n, s.lambda) >= lb);
        }
        free(X);
        free(Y);
        cvxrelu_train_report_free(&r);
        cvxrelu_model_free(m);
        cvxrelu_dataset_free(ds);
    }
}

/* The local optimizer under each loss: full-batch gradient descent with a small step
   lowers the objective at every record (a wrong derivative would not), and the loss it
   reports is the loss of the network's own outputs, recomputed here. */
static void test_local(void **state)
{
    (void)state;
    enum { n = 50, d = 3, width = 6 };
    double X[n * d], Y[n * 3];
    uint64_t seed = 5;
    for (size_t i = 0; i < n; i++) {
        X[i * d] = 2.0 * urand(&seed) - 1.0;
        X[i * d + 1] = 2.0 * urand(&seed) - 1.0;
        X[i * d + 2] = 1.0;
    }
    for (size_t li = 1; li < 4; li++) {
        const size_t c = outputs(losses[li]);
        targets(losses[li], Y, X, n, d, c, &seed);
        cvxrelu_problem pb = {X, n, d, Y, c, losses[li], 0.5};
        cvxrelu_local_settings ls;
        cvxrelu_local_settings_default(&ls);
        ls.method = CVXRELU_OPT_GD;
        ls.width = width;
        ls.lr = 0.05;
        ls.steps = 400;
        ls.record_every = 20;
        double *W = NULL, *a = NULL;
        cvxrelu_local_result res;
        cvxrelu_error err = {{0}};
        assert_int_equal(cvxrelu_local_train(&pb, &ls, &W, &a, &res, &err), CVXRELU_OK);
        for (size_t k = 1; k < res.n_records; k++)
            assert_true(res.records[k].objective <= res.records[k - 1].objective);
        assert_true(res.records[res.n_records - 1].objective < 0.9 * res.records[0].objective);
        double F[n * 3];
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < c; k++) {
                double f = 0.0;
                for (size_t j = k * width; j < (k + 1) * width; j++) {
                    double z = 0.0;
                    for (size_t t = 0; t < d; t++) z += X[i * d + t] * W[j * d + t];
                    if (z > 0.0) f += a[j] * z;
                }
                F[i * c + k] = f;
            }
        const double want = cvxrelu_loss_eval(&pb, F, NULL);
        printf("# local gd %s: objective %.6g -> %.6g, loss %.12g (recomputed %.12g)\n",
               cvxrelu_loss_name(losses[li]), res.records[0].objective, res.objective, res.loss,
               want);
        assert_true(fabs(res.loss - want) <= 1e-12 * fmax(1.0, want));
        free(W);
        free(a);
        cvxrelu_local_result_free(&res);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derivative),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_certificate),
        cmocka_unit_test(test_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
