/*
 * Optimal pruning (cvxrelu_prune): on optimal solutions of random gated and exact
 * ReLU programs it keeps the fit (to 1e-10), the objective (to 1e-9 relative) and the
 * certificate (the gap at the pruned point still meets the tolerance), never adds a
 * group and leaves at most n per output; on a solution built with redundant neurons
 * (the exact program's v and w groups of one pattern given the same direction, which
 * cancel in the fit) it removes exactly those and returns to the optimum.
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

typedef struct {
    double *X, *Y;
    cvxrelu_problem pb;
    cvxrelu_patterns *pat;
    cvxrelu_solver *sv;
    cvxrelu_result res;
} solved;

static void solve(solved *q, size_t n, size_t d, size_t c, size_t P, double lambda,
                  cvxrelu_solver_kind kind, uint64_t seed)
{
    memset(q, 0, sizeof *q);
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 4, 0.1, seed, &q->X, &q->Y, NULL),
                     CVXRELU_OK);
    for (size_t i = 0; i < n; i++) q->X[i * d + d - 1] = 1.0; /* a bias column */
    q->pb = (cvxrelu_problem){q->X, n, d, q->Y, c, CVXRELU_LOSS_SQUARED, 0.0};
    assert_int_equal(cvxrelu_patterns_build(q->X, n, d, NULL, 0, P, seed, 0, NULL, &q->pat, NULL,
                                            NULL),
                     CVXRELU_OK);
    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    set.solver = kind;
    set.lambda = lambda;
    set.tol = 1e-10;
    set.tol_feas = 1e-9;
    set.max_iter = 200000;
    assert_int_equal(cvxrelu_solver_new(&q->pb, q->pat, &set, &q->sv, NULL), CVXRELU_OK);
    assert_int_equal(cvxrelu_solver_solve(q->sv, &q->res, NULL), CVXRELU_OK);
    assert_int_equal(q->res.exit, CVXRELU_EXIT_CONVERGED);
}

static void release(solved *q)
{
    cvxrelu_solver_free(q->sv);
    cvxrelu_patterns_free(q->pat);
    free(q->X);
    free(q->Y);
}

static size_t groups(solved *q, cvxrelu_solver_kind kind)
{
    return q->pat->P * q->pb.c * (kind == CVXRELU_SOLVER_RELU ? 2 : 1);
}

/* Prune the solver's solution; check fit, objective, certificate, counts. */
static void prune_and_check(solved *q, cvxrelu_solver_kind kind, double obj_ref,
                            size_t *before, size_t *after)
{
    const size_t n = q->pb.n, d = q->pb.d, c = q->pb.c, m = groups(q, kind);
    double *F0 = malloc(n * c * sizeof(double)), *F1 = malloc(n * c * sizeof(double));
    double *U = malloc(m * d * sizeof(double));
    assert_int_equal(cvxrelu_solver_predict_train(q->sv, F0), CVXRELU_OK);
    memcpy(U, cvxrelu_solver_weights(q->sv), m * d * sizeof(double));
    assert_int_equal(cvxrelu_prune(&q->pb, q->pat, kind, U, before, after, NULL), CVXRELU_OK);
    assert_true(*after <= *before);
    /* at most n groups per output, and the groups counted are the non-zero rows */
    size_t nz = 0;
    for (size_t g = 0; g < m; g++) {
        double s = 0.0;
        for (size_t t = 0; t < d; t++) s += U[g * d + t] * U[g * d + t];
        nz += s > 0.0;
    }
    assert_int_equal(nz, *after);
    assert_true(*after <= n * c);
    assert_int_equal(cvxrelu_solver_set_weights(q->sv, U), CVXRELU_OK);
    assert_int_equal(cvxrelu_solver_predict_train(q->sv, F1), CVXRELU_OK);
    double fmax_ = 0.0, dmax = 0.0;
    for (size_t i = 0; i < n * c; i++) {
        fmax_ = fmax(fmax_, fabs(F0[i]));
        dmax = fmax(dmax, fabs(F1[i] - F0[i]));
    }
    assert_true(dmax <= 1e-10 * fmax(1.0, fmax_));
    cvxrelu_result r;
    assert_int_equal(cvxrelu_solver_certify(q->sv, &r, NULL), CVXRELU_OK);
    assert_int_equal(r.iterations, 0);
    assert_true(fabs(r.objective - obj_ref) <= 1e-9 * fabs(obj_ref));
    /* still optimal: the certificate at the pruned point (the dual value of the
       original solve stays a valid lower bound) */
    const double lb = fmax(r.dual, q->res.dual);
    assert_true(r.objective - lb <= 2e-10 * fmax(1.0, fabs(r.objective)));
    if (kind == CVXRELU_SOLVER_RELU) assert_true(r.violation <= 1e-9);
    free(F0);
    free(F1);
    free(U);
}

static void test_prune_optimal(void **state)
{
    (void)state;
    const cvxrelu_solver_kind kinds[2] = {CVXRELU_SOLVER_RFISTA, CVXRELU_SOLVER_RELU};
    for (int k = 0; k < 2; k++)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            solved q;
            /* few rows, many patterns, small lambda: more candidate groups than rows */
            solve(&q, 12, 3, seed == 3 ? 2 : 1, 40, 1e-3, kinds[k], seed);
            size_t before, after;
            prune_and_check(&q, kinds[k], q.res.objective, &before, &after);
            assert_int_equal(before, q.res.active_groups);
            release(&q);
        }
}

static void test_prune_redundant(void **state)
{
    (void)state;
    solved q;
    solve(&q, 30, 3, 1, 20, 1e-3, CVXRELU_SOLVER_RELU, 7);
    const size_t d = q.pb.d, m = groups(&q, CVXRELU_SOLVER_RELU);
    const double obj = q.res.objective;
    double *U = malloc(m * d * sizeof(double));
    memcpy(U, cvxrelu_solver_weights(q.sv), m * d * sizeof(double));
    /* for every active v group with a zero w partner, give w the direction of v and add
       the same to v: the fit is unchanged (they cancel), the penalty grows */
    size_t added = 0;
    for (size_t g = 0; g + 1 < m; g += 2) {
        double nv = 0.0, nw = 0.0;
        for (size_t t = 0; t < d; t++) {
            nv += U[g * d + t] * U[g * d + t];
            nw += U[(g + 1) * d + t] * U[(g + 1) * d + t];
        }
        if (!(nv > 0.0) || nw > 0.0) continue;
        for (size_t t = 0; t < d; t++) {
            U[(g + 1) * d + t] = 0.5 * U[g * d + t];
            U[g * d + t] *= 1.5;
        }
        added++;
    }
    assert_true(added >= 2);
    assert_int_equal(cvxrelu_solver_set_weights(q.sv, U), CVXRELU_OK);
    cvxrelu_result r;
    assert_int_equal(cvxrelu_solver_certify(q.sv, &r, NULL), CVXRELU_OK);
    assert_true(r.objective > obj * (1.0 + 1e-6)); /* no longer optimal */
    size_t before, after;
    prune_and_check(&q, CVXRELU_SOLVER_RELU, obj, &before, &after);
    assert_int_equal(before, q.res.active_groups + added);
    assert_int_equal(after, q.res.active_groups);
    free(U);
    release(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prune_optimal),
        cmocka_unit_test(test_prune_redundant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
