/*
 * One-shot training (cvxrelu_train): the returned network's objective against
 * its definition recomputed here, the gated recovery's exactness (network
 * objective = convex objective), the decomposition's fit and price (same
 * predictions; objective = loss + sharpness x penalty), the certificate's
 * LB <= UB = the network's objective, the warm start landing within the first
 * solve's certified gap, metrics against a recount, the phases in order, a stop
 * before the start, the memory refusal, and the error paths.
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


/* Three classes by the sign pattern of two features. */
static cvxrelu_dataset *class_set(size_t n)
{
    double *X = malloc(n * 2 * sizeof(double)), *lab = malloc(n * sizeof(double));
    uint64_t s = 7;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < 2; k++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            X[i * 2 + k] = ((double)(s >> 11) / 9007199254740992.0) * 2.0 - 1.0;
        }
        lab[i] = X[i * 2] > 0.3 ? 2.0 : (X[i * 2 + 1] > 0.0 ? 1.0 : 0.0);
    }
    cvxrelu_dataset *ds = NULL;
    assert_int_equal(cvxrelu_dataset_from_arrays(n, 2, X, lab, &ds, NULL), CVXRELU_OK);
    free(X);
    free(lab);
    return ds;
}

/* The network's objective by its definition, on the encoded training rows:
   (1/(2 n c)) ||f(X) - Y||^2 + (lambda/2) sum_j (||w_j||^2 + a_j^2), with
   f_k(x) = sum_{out(j) = k} a_j s_j(x) x.w_j, s_j the gate or the ReLU's. */
/* The network's objective written out from its definition, under the model's loss
   (squared, logistic or ce; docs/algorithms.md, "Losses"); mse: the mean squared
   error of its outputs. */
static double objective_by_definition(const cvxrelu_model *m, const cvxrelu_dataset *ds,
                                      double lambda, double *mse)
{
    double *X = NULL, *Y = NULL;
    assert_int_equal(cvxrelu_encoding_features(m->enc, ds, &X, NULL), CVXRELU_OK);
    assert_int_equal(cvxrelu_encoding_targets(m->enc, ds, &Y, NULL), CVXRELU_OK);
    const size_t n = ds->n, d = m->d, c = m->enc->c;
    assert_true(c <= 16);
    double se = 0.0, data = 0.0;
    for (size_t i = 0; i < n; i++) {
        double f[16], norm = 0.0, fy = 0.0;
        for (size_t k = 0; k < c; k++) {
            f[k] = 0.0;
            for (size_t j = 0; j < m->m; j++) {
                if (m->out[j] != k) continue;
                double z = 0.0, g = 0.0;
                for (size_t t = 0; t < d; t++) {
                    z += X[i * d + t] * m->W[j * d + t];
                    if (m->G) g += X[i * d + t] * m->G[j * d + t];
                }
                const int on = m->G ? g > 0.0 : z > 0.0;
                if (on) f[k] += m->a[j] * z;
            }
            const double y = Y[i * c + k];
            se += (f[k] - y) * (f[k] - y);
            norm += exp(f[k]);
            if (y == 1.0) fy = f[k];
            if (m->loss == CVXRELU_LOSS_LOGISTIC) data += log(1.0 + exp(-y * f[k]));
        }
        if (m->loss == CVXRELU_LOSS_CE) data += log(norm) - fy;
    }
    if (m->loss == CVXRELU_LOSS_SQUARED) data = se / 2.0;
    else assert_true(m->loss == CVXRELU_LOSS_LOGISTIC || m->loss == CVXRELU_LOSS_CE);
    double pen = 0.0;
    for (size_t j = 0; j < m->m; j++) {
        for (size_t t = 0; t < d; t++) pen += m->W[j * d + t] * m->W[j * d + t];
        pen += m->a[j] * m->a[j];
    }
    free(X);
    free(Y);
    if (mse) *mse = se / (double)(n * c);
    return data / (double)(n * c) + 0.5 * lambda * pen;
}

static void test_gated_exact_recovery(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = teacher_set(80, 3, 1);
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    s.patterns = 30;
    s.tol = 1e-9;
    cvxrelu_model *m = NULL;
    cvxrelu_train_report r;
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, NULL), CVXRELU_OK);
    assert_non_null(m);
    assert_int_equal(m->kind, CVXRELU_MODEL_GATED);
    assert_int_equal(r.convex.exit, CVXRELU_EXIT_CONVERGED);
    assert_true(r.convex.dual <= r.convex.objective);
    assert_true(r.convex.gap <= 1e-9 * fmax(1.0, r.convex.objective));
    double mse;
    const double def = objective_by_definition(m, ds, r.lambda, &mse);
    /* the balanced recovery of a gated solution has the convex objective */
    assert_true(fabs(def - r.convex.objective) <= 1e-10 * fmax(1.0, def));
    assert_true(fabs(def - r.network_objective) <= 1e-12 * fmax(1.0, def));
    /* the targets were standardized: the report's mse is in the targets' units */
    assert_int_equal(m->enc->standardize_y, 1);
    const double s2 = m->enc->y_scale * m->enc->y_scale;
    assert_true(fabs(mse * s2 - r.train_metrics.mse) <= 1e-12 * fmax(1.0, mse * s2));
    assert_true(isnan(r.train_metrics.accuracy)); /* regression */
    assert_true(r.recovery_max_abs_diff <= 1e-10);
    assert_int_equal(r.neurons, m->m);
    assert_int_equal(r.certified, 0); /* a gated network has no certificate */
    assert_true(r.patterns >= 1 && r.patterns <= 30);
    cvxrelu_model_free(m);
    cvxrelu_dataset_free(ds);
}

static void test_decompose_price(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = teacher_set(60, 2, 2);
    const cvxrelu_train_decompose how[] = {CVXRELU_TRAIN_DECOMPOSE_CLOSED,
                                           CVXRELU_TRAIN_DECOMPOSE_MIN_NORM,
                                           CVXRELU_TRAIN_DECOMPOSE_AUTO};
    double sharp[3];
    for (int h = 0; h < 3; h++) {
        cvxrelu_train_settings s;
        cvxrelu_train_settings_default(&s);
        s.patterns = 20;
        s.lambda = 1e-2;
        s.decompose = how[h];
        cvxrelu_model *m = NULL;
        cvxrelu_train_report r;
        assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, NULL), CVXRELU_OK);
        assert_int_equal(m->kind, CVXRELU_MODEL_RELU);
        /* AUTO: n d^2 = 540 is small, so min-norm */
        assert_int_equal(r.decomposed, h == 0 ? CVXRELU_TRAIN_DECOMPOSE_CLOSED
                                              : CVXRELU_TRAIN_DECOMPOSE_MIN_NORM);
        assert_int_equal(r.decomposition_exit, CVXRELU_EXIT_CONVERGED);
        assert_true(r.decomposition_max_abs_diff <= 1e-8);
        assert_true(r.sharpness >= 1.0 - 1e-12);
        sharp[h] = r.sharpness;
        /* same predictions: the objective is the loss plus the sharpened penalty */
        const double def = objective_by_definition(m, ds, r.lambda, NULL);
        const double want = r.convex.loss + r.sharpness * r.convex.penalty;
        assert_true(fabs(def - want) <= 1e-7 * fmax(1.0, want));
        assert_true(fabs(def - r.network_objective) <= 1e-12 * fmax(1.0, def));
        /* the certificate of the ReLU network: LB <= p* <= UB = its objective */
        assert_int_equal(r.certified, 1);
        assert_true(fabs(r.certificate.upper_bound - def) <= 1e-9 * fmax(1.0, def));
        assert_true(r.certificate.lower_bound <= r.certificate.upper_bound * (1.0 + 1e-12));
        cvxrelu_model_free(m);
    }
    /* the min-norm split is never sharper than the closed form */
    assert_true(sharp[1] <= sharp[0] * (1.0 + 1e-9));
    cvxrelu_dataset_free(ds);
}

typedef struct {
    int seen[16];
    int order_ok;
    int last;
    size_t n_calls;
} phase_log;

static void on_phase(cvxrelu_train_phase p, const cvxrelu_train_report *r, void *user)
{
    phase_log *l = user;
    (void)r;
    if ((int)p <= l->last) l->order_ok = 0;
    l->last = (int)p;
    l->seen[p] = 1;
    l->n_calls++;
}

static void test_relu_program_and_phases(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = class_set(90);
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    s.program = CVXRELU_TRAIN_RELU;
    s.patterns = 15;
    s.lambda = 1e-2;
    phase_log l = {{0}, 1, -1, 0};
    s.on_phase = on_phase;
    s.phase_data = &l;
    cvxrelu_model *m = NULL;
    cvxrelu_train_report r;
    /* test = train: the test metrics are the train metrics */
    assert_int_equal(cvxrelu_train(ds, ds, &s, &m, &r, NULL), CVXRELU_OK);
    assert_int_equal(m->kind, CVXRELU_MODEL_RELU);
    assert_int_equal(r.task, CVXRELU_TASK_CLASSIFICATION);
    assert_int_equal(r.c, 3);
    /* the default loss of three classes: cross-entropy, kept in the model */
    assert_int_equal(r.loss, CVXRELU_LOSS_CE);
    assert_int_equal(m->loss, CVXRELU_LOSS_CE);
    assert_true(r.convex.violation <= s.tol_feas);
    assert_true(r.recovery_max_abs_diff <= 1e-8);
    assert_true(r.train_metrics.accuracy == r.test_metrics.accuracy);
    assert_true(r.train_metrics.mse == r.test_metrics.mse);
    assert_int_equal(r.test_n, 90);
    assert_int_equal(r.certified, 1);
    assert_true(r.certificate.lower_bound <= r.certificate.upper_bound * (1.0 + 1e-12));
    const double def = objective_by_definition(m, ds, r.lambda, NULL);
    assert_true(fabs(def - r.network_objective) <= 1e-12 * fmax(1.0, def));
    /* accuracy recounted from the model's own predictions */
    double *Yhat = NULL, *Y = NULL;
    assert_int_equal(cvxrelu_model_predict(m, ds, &Yhat, NULL), CVXRELU_OK);
    assert_int_equal(cvxrelu_encoding_targets(m->enc, ds, &Y, NULL), CVXRELU_OK);
    size_t ok = 0;
    for (size_t i = 0; i < ds->n; i++)
        ok += cvxrelu_encoding_decide(m->enc, Yhat + 3 * i) == cvxrelu_encoding_decide(m->enc, Y + 3 * i);
    assert_true(fabs((double)ok / 90.0 - r.train_metrics.accuracy) <= 1e-15);
    free(Yhat);
    free(Y);
    /* every phase but the decomposition's, in order */
    assert_true(l.order_ok);
    assert_true(l.seen[CVXRELU_PHASE_STARTED] && l.seen[CVXRELU_PHASE_PLANNED] &&
                l.seen[CVXRELU_PHASE_SAMPLED] &&
                l.seen[CVXRELU_PHASE_SOLVING] && l.seen[CVXRELU_PHASE_SOLVED] &&
                l.seen[CVXRELU_PHASE_RECOVERED] && l.seen[CVXRELU_PHASE_CERTIFYING]);
    assert_false(l.seen[CVXRELU_PHASE_DECOMPOSING] || l.seen[CVXRELU_PHASE_DECOMPOSED] ||
                 l.seen[CVXRELU_PHASE_LOCAL_TRAINED]);
    assert_int_equal(l.n_calls, 7);
    cvxrelu_model_free(m);
    cvxrelu_dataset_free(ds);
}

static void test_warm_start_within_gap(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = teacher_set(70, 3, 3);
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    s.patterns = 25;
    s.tol = 1e-4;
    cvxrelu_model *m1 = NULL, *m2 = NULL;
    cvxrelu_train_report r1, r2;
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m1, &r1, NULL), CVXRELU_OK);
    s.warm = m1;
    s.patterns = 0; /* the warm model's patterns only */
    s.tol = 1e-9;
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m2, &r2, NULL), CVXRELU_OK);
    /* its program keeps the warm network feasible and has fewer patterns:
       dual_1 <= p_1* <= p_2* <= objective_1 */
    assert_true(r2.patterns <= m1->m);
    assert_true(r2.convex.objective <= r1.convex.objective + 1e-12);
    assert_true(r2.convex.objective >= r1.convex.dual - 1e-12);
    /* a warm start from a model of other inputs is refused */
    cvxrelu_dataset *other = teacher_set(70, 4, 3);
    cvxrelu_model *m3 = NULL;
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_train(other, NULL, &s, &m3, &r2, &err), CVXRELU_ERR_INVALID);
    assert_null(m3);
    assert_non_null(strstr(err.msg, "cannot warm-start"));
    cvxrelu_dataset_free(other);
    cvxrelu_model_free(m1);
    cvxrelu_model_free(m2);
    cvxrelu_dataset_free(ds);
}

static void test_stop_and_refusal(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = teacher_set(50, 2, 4);
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    volatile sig_atomic_t stop = 1;
    s.interrupt = &stop;
    cvxrelu_model *m = NULL;
    cvxrelu_train_report r;
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, NULL), CVXRELU_OK);
    assert_int_equal(r.exit, CVXRELU_EXIT_INTERRUPTED);
    assert_int_equal(r.no_result, 1);
    if (m) assert_int_equal(m->m, 0);
    assert_int_equal(r.certified, 0);
    cvxrelu_model_free(m);

    /* past the memory budget: refused before any work (only the encoding is done) */
    cvxrelu_train_settings_default(&s);
    s.max_memory_bytes = 1.0;
    phase_log l = {{0}, 1, -1, 0};
    s.on_phase = on_phase;
    s.phase_data = &l;
    cvxrelu_error err = {{0}};
    m = (cvxrelu_model *)&s; /* overwritten with NULL */
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, &err), CVXRELU_ERR_NOMEM);
    assert_null(m);
    assert_non_null(strstr(err.msg, "refused before starting"));
    assert_int_equal(l.n_calls, 1);
    assert_true(l.seen[CVXRELU_PHASE_STARTED]);
    cvxrelu_dataset_free(ds);
}

static void test_sdp_local_relu3(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = teacher_set(16, 2, 6);
    cvxrelu_train_settings s;
    cvxrelu_model *m = NULL;
    cvxrelu_train_report r;
    /* SDP: the certified lower bound is below the read-out network's objective */
    cvxrelu_train_settings_default(&s);
    s.program = CVXRELU_TRAIN_SDP;
    s.lambda = 1e-2;
    s.sdp.max_iter = 3000;
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, NULL), CVXRELU_OK);
    assert_int_equal(m->kind, CVXRELU_MODEL_RELU);
    double def = objective_by_definition(m, ds, r.lambda, NULL);
    assert_true(fabs(def - r.network_objective) <= 1e-10 * fmax(1.0, def));
    assert_true(fabs(r.readout_loss + r.readout_penalty - def) <= 1e-10 * fmax(1.0, def));
    assert_true(r.sdp_lower_bound <= def);
    assert_true(r.sdp_lower_bound >= r.sdp_lower_bound_solver);
    assert_int_equal(r.readout_width, r.sdp_rank ? r.sdp_rank : 1);
    cvxrelu_model_free(m);
    cvxrelu_train_report_free(&r);
    s.lambda = 0.0; /* the relaxation needs weight decay */
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, NULL), CVXRELU_ERR_INVALID);
    cvxrelu_train_report_free(&r);

    /* LOCAL: the program over the final patterns, started at the network, ends at or
       below its objective; the certificate brackets the optimum */
    cvxrelu_train_settings_default(&s);
    s.program = CVXRELU_TRAIN_LOCAL;
    s.lambda = 1e-2;
    s.local.method = CVXRELU_OPT_ADAM;
    s.local.width = 6;
    s.local.steps = 300;
    s.local.record_every = 50;
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, NULL), CVXRELU_OK);
    def = objective_by_definition(m, ds, r.lambda, NULL);
    assert_true(fabs(def - r.network_objective) <= 1e-10 * fmax(1.0, def));
    assert_int_equal(r.local.steps, 300);
    assert_true(r.local.n_records >= 2);
    assert_int_equal(r.stationarity_run, 1);
    assert_true(r.stationarity_value <= def * (1.0 + 1e-9));
    assert_int_equal(r.certified, 1);
    assert_true(fabs(r.certificate.upper_bound - def) <= 1e-9 * fmax(1.0, def));
    assert_true(r.certificate.lower_bound <= r.stationarity_value * (1.0 + 1e-9));
    cvxrelu_model_free(m);
    cvxrelu_train_report_free(&r);

    /* RELU3: the program's certified bound is below the recovered network's objective */
    cvxrelu_train_settings_default(&s);
    s.program = CVXRELU_TRAIN_RELU3;
    s.lambda = 1e-2;
    s.width1 = 2;
    s.subnets = 8;
    s.relu3.max_iter = 5000;
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, NULL), CVXRELU_OK);
    assert_int_equal(m->kind, CVXRELU_MODEL_RELU3);
    assert_int_equal(r.relu3_solved, 1);
    assert_true(r.configurations >= 1 && r.configurations <= 4);
    assert_true(r.relu3.dual <= r.relu3.objective);
    assert_true(r.relu3.dual <= r.network_objective * (1.0 + 1e-9));
    cvxrelu_model_free(m);
    cvxrelu_train_report_free(&r);
    cvxrelu_dataset_free(ds);
}

static void test_errors(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = teacher_set(20, 2, 5);
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    cvxrelu_model *m = NULL;
    cvxrelu_train_report r;
    assert_int_equal(cvxrelu_train(NULL, NULL, &s, &m, &r, NULL), CVXRELU_ERR_INVALID);
    assert_int_equal(cvxrelu_train(ds, NULL, NULL, &m, &r, NULL), CVXRELU_ERR_INVALID);
    assert_int_equal(cvxrelu_train(ds, NULL, &s, NULL, &r, NULL), CVXRELU_ERR_INVALID);
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, NULL, NULL), CVXRELU_ERR_INVALID);
    s.program = (cvxrelu_train_program)7;
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, NULL), CVXRELU_ERR_INVALID);
    cvxrelu_train_settings_default(&s);
    double G[3] = {1, 0, 0};
    s.gates = G; /* n_gates 0 */
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, NULL), CVXRELU_ERR_INVALID);
    /* a run refused before any work leaves a report that can be freed (it held
       garbage before the call) */
    cvxrelu_train_settings_default(&s);
    s.program = CVXRELU_TRAIN_SDP;
    s.loss = CVXRELU_LOSS_HUBER;
    memset(&r, 0x1a, sizeof r);
    cvxrelu_error err0 = {{0}};
    assert_int_equal(cvxrelu_train(ds, NULL, &s, &m, &r, &err0), CVXRELU_ERR_UNSUPPORTED);
    assert_non_null(strstr(err0.msg, "squared loss"));
    cvxrelu_train_report_free(&r);
    cvxrelu_train_settings_default(&s);
    cvxrelu_dataset *nolab = NULL;
    assert_int_equal(cvxrelu_dataset_from_arrays(20, 2, ds->X, NULL, &nolab, NULL), CVXRELU_OK);
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_train(nolab, NULL, &s, &m, &r, &err), CVXRELU_ERR_INVALID);
    assert_non_null(strstr(err.msg, "label"));
    assert_null(m);
    cvxrelu_dataset_free(nolab);
    cvxrelu_dataset_free(ds);
}

static void test_encoding_copy(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = class_set(30);
    cvxrelu_encoding *e = NULL;
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 1, 1, &e, NULL), CVXRELU_OK);
    cvxrelu_encoding *f = cvxrelu_encoding_copy(e);
    assert_non_null(f);
    assert_int_equal(f->d, e->d);
    assert_int_equal(f->n_classes, e->n_classes);
    assert_true(f->mean != e->mean && f->classes != e->classes);
    assert_memory_equal(f->mean, e->mean, e->d_raw * sizeof(double));
    assert_memory_equal(f->scale, e->scale, e->d_raw * sizeof(double));
    for (size_t k = 0; k < e->n_classes; k++) assert_string_equal(f->classes[k], e->classes[k]);
    cvxrelu_encoding_free(e);
    /* the copy stands alone */
    double *X = NULL;
    assert_int_equal(cvxrelu_encoding_features(f, ds, &X, NULL), CVXRELU_OK);
    free(X);
    cvxrelu_encoding_free(f);
    assert_null(cvxrelu_encoding_copy(NULL));
    cvxrelu_dataset_free(ds);
}

/* Standardized regression targets: the encoding's y_mean and y_scale are the mean and
   the (population) standard deviation of y, and training on a y + b (a > 0) at the
   same lambda gives the same program (same objective) and predictions a f + b. */
static void test_target_standardization(void **state)
{
    (void)state;
    const size_t n = 90, d = 3;
    double *X = NULL, *Y = NULL;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, 1, 3, 0.05, 4, &X, &Y, NULL), CVXRELU_OK);
    double *Y2 = malloc(n * sizeof(double));
    double ym = 0.0, yv = 0.0;
    for (size_t i = 0; i < n; i++) {
        Y2[i] = 3.0 * Y[i] + 7.0;
        ym += Y[i] / (double)n;
    }
    for (size_t i = 0; i < n; i++) yv += (Y[i] - ym) * (Y[i] - ym) / (double)n;
    cvxrelu_dataset *a = NULL, *b = NULL;
    assert_int_equal(cvxrelu_dataset_from_arrays(n, d, X, Y, &a, NULL), CVXRELU_OK);
    assert_int_equal(cvxrelu_dataset_from_arrays(n, d, X, Y2, &b, NULL), CVXRELU_OK);
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    s.patterns = 20;
    s.lambda = 1e-2;
    s.tol = 1e-10;
    cvxrelu_model *ma = NULL, *mb = NULL;
    cvxrelu_train_report ra, rb;
    assert_int_equal(cvxrelu_train(a, NULL, &s, &ma, &ra, NULL), CVXRELU_OK);
    assert_int_equal(cvxrelu_train(b, NULL, &s, &mb, &rb, NULL), CVXRELU_OK);
    assert_int_equal(ma->enc->standardize_y, 1);
    assert_true(fabs(ma->enc->y_mean - ym) <= 1e-12 * fmax(1.0, fabs(ym)));
    assert_true(fabs(ma->enc->y_scale - sqrt(yv)) <= 1e-12 * sqrt(yv));
    assert_true(fabs(ra.convex.objective - rb.convex.objective) <=
                ra.convex.gap + rb.convex.gap + 1e-12);
    double *pa = NULL, *pb = NULL;
    assert_int_equal(cvxrelu_model_predict(ma, a, &pa, NULL), CVXRELU_OK);
    assert_int_equal(cvxrelu_model_predict(mb, b, &pb, NULL), CVXRELU_OK);
    for (size_t i = 0; i < n; i++)
        assert_true(fabs(pb[i] - (3.0 * pa[i] + 7.0)) <= 1e-6 * fmax(1.0, fabs(pb[i])));
    /* the mse in the targets' units: 9 times as large for 3 y + 7 */
    assert_true(fabs(rb.train_metrics.mse - 9.0 * ra.train_metrics.mse) <=
                1e-5 * rb.train_metrics.mse);
    /* saved and loaded, the model predicts the same */
    assert_int_equal(cvxrelu_model_save(mb, "target_std.model", NULL), CVXRELU_OK);
    cvxrelu_model *mc = NULL;
    assert_int_equal(cvxrelu_model_load("target_std.model", &mc, NULL), CVXRELU_OK);
    double *pc = NULL;
    assert_int_equal(cvxrelu_model_predict(mc, b, &pc, NULL), CVXRELU_OK);
    for (size_t i = 0; i < n; i++) assert_true(pc[i] == pb[i]);
    remove("target_std.model");
    /* without standardization the program sees y itself: the zero network's loss is
       (1/(2n)) ||y||^2, not 1/2 */
    s.standardize = 0;
    s.lambda = 1e9;
    cvxrelu_model *md = NULL;
    cvxrelu_train_report rd;
    assert_int_equal(cvxrelu_train(b, NULL, &s, &md, &rd, NULL), CVXRELU_OK);
    assert_int_equal(md->enc->standardize_y, 0);
    double sq = 0.0;
    for (size_t i = 0; i < n; i++) sq += Y2[i] * Y2[i];
    assert_true(fabs(rd.convex.objective - sq / (2.0 * (double)n)) <= 1e-12 * sq);
    free(pa);
    free(pb);
    free(pc);
    free(X);
    free(Y);
    free(Y2);
    cvxrelu_model_free(ma);
    cvxrelu_model_free(mb);
    cvxrelu_model_free(mc);
    cvxrelu_model_free(md);
    cvxrelu_train_report_free(&ra);
    cvxrelu_train_report_free(&rb);
    cvxrelu_train_report_free(&rd);
    cvxrelu_dataset_free(a);
    cvxrelu_dataset_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gated_exact_recovery),
        cmocka_unit_test(test_decompose_price),
        cmocka_unit_test(test_relu_program_and_phases),
        cmocka_unit_test(test_warm_start_within_gap),
        cmocka_unit_test(test_stop_and_refusal),
        cmocka_unit_test(test_sdp_local_relu3),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_encoding_copy),
        cmocka_unit_test(test_target_standardization),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
