/*
 * Regularization paths and the choice of lambda by cross-validation: every point
 * of a path (gated, exact ReLU, three-layer) meets its certified gap; a warm-started path reaches the objectives of
 * cold solves at the same lambdas within the sum of the two gaps; the optimal value
 * does not increase as lambda falls; the zero network at lambda_max; the rules of
 * cross-validation (the grid, the best and the one-standard-error choice, the early
 * stop) hold on the numbers it reports, and the final fit is at the chosen lambda;
 * a stop request before the first lambda reports nothing solved.
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

#include "cvxrelu.h"
#include "test_helpers.h"

/* Two classes by a noisy ReLU-shaped boundary in three features. */
static cvxrelu_dataset *class_set(size_t n, uint64_t s)
{
    double *X = malloc(n * 3 * sizeof(double)), *lab = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < 3; k++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            X[i * 3 + k] = ((double)(s >> 11) / 9007199254740992.0) * 2.0 - 1.0;
        }
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        const double noise = 0.3 * (((double)(s >> 11) / 9007199254740992.0) - 0.5);
        lab[i] = fmax(X[i * 3], 0.0) - 0.5 * fmax(X[i * 3 + 1], 0.0) + noise > 0.1 ? 1.0 : 0.0;
    }
    cvxrelu_dataset *ds = NULL;
    assert_int_equal(cvxrelu_dataset_from_arrays(n, 3, X, lab, &ds, NULL), CVXRELU_OK);
    free(X);
    free(lab);
    return ds;
}

static size_t points_seen;
static void count_point(const cvxrelu_path_point *p, size_t k, void *user)
{
    (void)p;
    (void)user;
    assert_int_equal(k, points_seen);
    points_seen++;
}

static void path_against_cold(cvxrelu_train_program program)
{
    cvxrelu_dataset *ds = teacher_set(120, 4, 3);
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    s.program = program;
    s.patterns = 25;
    s.tol = 1e-8;
    const int relu3 = program == CVXRELU_TRAIN_RELU3;
    const double tol = relu3 ? 1e-6 : s.tol;
    if (relu3) { /* 10 sampled sub-networks of 2 neurons, both signs */
        s.width1 = 2;
        s.subnets = 20;
        s.relu3.tol = tol;
        s.relu3.max_iter = 1000000;
    }
    const size_t K = relu3 ? 4 : 7; /* the three-layer solves are the slow ones */
    const double ratio_min = relu3 ? 5e-2 : 1e-2;
    s.path.lambdas = K;
    s.path.min_ratio = ratio_min;
    s.path.on_point = count_point;
    points_seen = 0;
    cvxrelu_path_report r;
    assert_int_equal(cvxrelu_path(ds, NULL, &s, &r, NULL), CVXRELU_OK);
    assert_int_equal(r.n_points, K);
    assert_int_equal(points_seen, K);
    assert_int_equal(r.exit, CVXRELU_EXIT_CONVERGED);
    assert_true(r.lambda_max > 0.0);
    /* lambda_max: the zero network, its objective (1/(2n)) ||y||^2 = 1/2 on the
       standardized targets (mean 0, variance 1), its mse the targets' variance */
    assert_true(fabs(r.points[0].lambda - r.lambda_max) <= 1e-15 * r.lambda_max);
    assert_int_equal(r.points[0].active, 0);
    assert_true(fabs(r.points[0].objective - 0.5) <= 1e-12);
    double ym = 0.0, yv = 0.0;
    for (size_t i = 0; i < ds->n; i++) ym += ds->label_value[i] / (double)ds->n;
    for (size_t i = 0; i < ds->n; i++) yv += (ds->label_value[i] - ym) * (ds->label_value[i] - ym);
    yv /= (double)ds->n;
    assert_true(fabs(r.points[0].train.mse - yv) <= 1e-12 * yv);
    for (size_t k = 0; k < r.n_points; k++) {
        const cvxrelu_path_point *p = r.points + k;
        assert_int_equal(p->exit, CVXRELU_EXIT_CONVERGED);
        assert_true(p->gap >= 0.0);
        assert_true(p->gap <= tol * fmax(1.0, fabs(p->objective)));
        assert_true(p->dual <= p->objective);
        if (k) { /* geometric grid, optimal value non-increasing as lambda falls */
            const double ratio = p->lambda / r.points[k - 1].lambda;
            assert_true(fabs(ratio - pow(ratio_min, 1.0 / (double)(K - 1))) <= 1e-12);
            assert_true(p->objective <= r.points[k - 1].objective + r.points[k - 1].gap);
        }
        /* a cold solve at the same lambda on the same patterns */
        cvxrelu_train_settings c = s;
        c.path.on_point = NULL;
        c.lambda_auto = 0;
        c.lambda = p->lambda;
        c.certify = 0;
        cvxrelu_model *m = NULL;
        cvxrelu_train_report cr;
        assert_int_equal(cvxrelu_train(ds, NULL, &c, &m, &cr, NULL), CVXRELU_OK);
        if (relu3) { /* the same configurations, the program's own objective and gap */
            assert_int_equal(cr.configurations, r.patterns);
            assert_int_equal(cr.relu3.exit, CVXRELU_EXIT_CONVERGED);
            assert_true(fabs(cr.relu3.objective - p->objective) <=
                        cr.relu3.gap + p->gap + 1e-13 * p->objective);
            printf("# relu3 lambda %.4g: path %.10g (gap %.1e, %zu it), cold %.10g (gap %.1e, "
                   "%zu it)\n", p->lambda, p->objective, p->gap, p->iterations,
                   cr.relu3.objective, cr.relu3.gap, cr.relu3.iterations);
        } else {
            assert_int_equal(cr.patterns, r.patterns);
            assert_int_equal(cr.convex.exit, CVXRELU_EXIT_CONVERGED);
            assert_true(fabs(cr.convex.objective - p->objective) <=
                        cr.convex.gap + p->gap + 1e-13 * p->objective);
        }
        cvxrelu_model_free(m);
        cvxrelu_train_report_free(&cr);
    }
    /* the smallest lambda's fit is far better than the zero network's (the three-layer
       program over a few sampled sub-networks: better) */
    assert_true(r.points[K - 1].train.mse < (relu3 ? 0.9 : 0.5) * r.points[0].train.mse);
    cvxrelu_path_report_free(&r);
    cvxrelu_dataset_free(ds);
}

static void test_gated_path(void **state)
{
    (void)state;
    path_against_cold(CVXRELU_TRAIN_GATED);
}

static void test_relu_path(void **state)
{
    (void)state;
    path_against_cold(CVXRELU_TRAIN_RELU);
}

static void test_relu3_path(void **state)
{
    (void)state;
    path_against_cold(CVXRELU_TRAIN_RELU3);
}

/* The reported choice follows its rule on the reported scores. */
static void check_cv(const cvxrelu_train_report *r, const cvxrelu_train_settings *s)
{
    const cvxrelu_cv_report *cv = &r->cv;
    assert_int_equal(cv->run, 1);
    assert_int_equal(cv->folds, s->path.folds);
    assert_true(cv->lambdas_done >= 1 && cv->lambdas_done <= s->path.lambdas);
    assert_true(fabs(cv->grid[0] - cv->lambda_max) <= 1e-15 * cv->lambda_max);
    size_t best = 0;
    for (size_t k = 0; k < cv->lambdas_done; k++) {
        assert_true(cv->se[k] >= 0.0);
        assert_true(cv->mean[k] >= 0.0);
        if (r->task == CVXRELU_TASK_CLASSIFICATION) assert_true(cv->mean[k] <= 1.0);
        if (cv->mean[k] < cv->mean[best]) best = k;
    }
    assert_int_equal(cv->best, best);
    const double band = cv->mean[best] + cv->se[best];
    if (cv->rule == CVXRELU_CV_MIN) {
        assert_int_equal(cv->chosen, best);
    } else {
        assert_true(cv->chosen <= best);
        assert_true(cv->mean[cv->chosen] <= band);
        for (size_t k = 0; k < cv->chosen; k++) assert_true(cv->mean[k] > band);
    }
    if (cv->early_stop) { /* the last three brought no new best */
        assert_true(cv->lambdas_done < s->path.lambdas);
        assert_true(cv->lambdas_done - 1 - best >= 3);
    } else {
        assert_int_equal(cv->lambdas_done, s->path.lambdas);
    }
    assert_int_equal(cv->exit, CVXRELU_EXIT_CONVERGED);
    assert_true(r->lambda == cv->grid[cv->chosen]);
    assert_true(cv->lambda == r->lambda);
    assert_int_equal(r->convex.exit, CVXRELU_EXIT_CONVERGED);
    assert_true(r->convex.gap <= s->tol * fmax(1.0, fabs(r->convex.objective)));
}

static void test_cross_validation(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = class_set(200, 11);
    for (int rule = 0; rule < 2; rule++) {
        cvxrelu_train_settings s;
        cvxrelu_train_settings_default(&s);
        s.patterns = 30;
        s.lambda_auto = 1;
        s.path.lambdas = 12;
        s.path.rule = rule ? CVXRELU_CV_MIN : CVXRELU_CV_ONE_SE;
        cvxrelu_model *m = NULL;
        cvxrelu_train_report r;
        assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, NULL), CVXRELU_OK);
        check_cv(&r, &s);
        /* the chosen lambda is neither the zero network nor a failure to fit */
        assert_true(r.cv.chosen > 0);
        assert_true(r.train_metrics.accuracy > 0.8);
        cvxrelu_model_free(m);
        cvxrelu_train_report_free(&r);
    }
    /* regression, the exact program, no early stop */
    cvxrelu_dataset *dt = teacher_set(100, 3, 5);
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    s.program = CVXRELU_TRAIN_RELU;
    s.patterns = 20;
    s.lambda_auto = 1;
    s.path.lambdas = 6;
    s.path.folds = 4;
    s.path.early_stop = 0;
    cvxrelu_model *m = NULL;
    cvxrelu_train_report r;
    assert_int_equal(cvxrelu_train(dt, NULL, &s, &m, &r, NULL), CVXRELU_OK);
    check_cv(&r, &s);
    cvxrelu_model_free(m);
    cvxrelu_train_report_free(&r);
    cvxrelu_dataset_free(dt);
    cvxrelu_dataset_free(ds);
}

static void test_stopped(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = teacher_set(60, 2, 9);
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    s.patterns = 10;
    volatile sig_atomic_t stop = 1;
    s.interrupt = &stop;
    cvxrelu_path_report r;
    assert_int_equal(cvxrelu_path(ds, NULL, &s, &r, NULL), CVXRELU_OK);
    assert_int_equal(r.n_points, 0);
    assert_int_equal(r.exit, CVXRELU_EXIT_INTERRUPTED);
    cvxrelu_path_report_free(&r);
    /* cross-validation stopped before its first lambda: the given lambda is used */
    s.lambda_auto = 1;
    s.lambda = 0.01;
    cvxrelu_model *m = NULL;
    cvxrelu_train_report tr;
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &tr, NULL), CVXRELU_OK);
    assert_int_equal(tr.cv.lambdas_done, 0);
    assert_int_equal(tr.cv.exit, CVXRELU_EXIT_INTERRUPTED);
    assert_true(tr.lambda == 0.01);
    cvxrelu_model_free(m);
    cvxrelu_train_report_free(&tr);
    /* programs without a path are refused */
    s.interrupt = NULL;
    s.program = CVXRELU_TRAIN_SDP;
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_path(ds, NULL, &s, &r, &err), CVXRELU_ERR_UNSUPPORTED);
    cvxrelu_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gated_path),
        cmocka_unit_test(test_relu_path),
        cmocka_unit_test(test_relu3_path),
        cmocka_unit_test(test_cross_validation),
        cmocka_unit_test(test_stopped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
