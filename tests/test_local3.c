/*
 * Local training of the three-layer parallel network (docs/algorithms.md, "Three-layer parallel networks", [EP21]): the
 * objective against its definition and the gradient against central finite
 * differences, the constraint ||W1_j||_F <= 1 after training, descent of GD,
 * SGD and Adam, the returned objective against a recomputation from the
 * returned arrays, the initial point of the header, the pattern statistics
 * against a brute-force recount, determinism, and every error path.
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
#include "local.h"

/* Deterministic pseudo-random numbers for the test's own data (LCG). */
static double urand(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(*x >> 11) + 0.5) / 9007199254740992.0 * 2.0 - 1.0;
}

static double relu(double t)
{
    return t > 0.0 ? t : 0.0;
}

/* First-layer pre-activation x_i . w_{jl} (neuron q = j width1 + l), by its definition. */
static double pre1(const double *X, const double *W1, size_t d, size_t i, size_t q)
{
    double z = 0.0;
    for (size_t t = 0; t < d; t++) z += X[i * d + t] * W1[q * d + t];
    return z;
}

/* Second-layer pre-activation of sub-network j on row i. */
static double pre2(const double *X, const double *W1, const double *W2, size_t d, size_t w1,
                   size_t i, size_t j)
{
    double s = 0.0;
    for (size_t l = 0; l < w1; l++) s += W2[j * w1 + l] * relu(pre1(X, W1, d, i, j * w1 + l));
    return s;
}

/*
 * The objective written from the problem statement with plain loops:
 * (1/(2 n c)) sum_{i,k} (f_k(x_i) - y_ik)^2 and (lambda/2)(||W2||^2 + ||a||^2),
 * f_k(x) = sum_{j = kK}^{(k+1)K - 1} a_j (sum_l W2_jl (x.w_{jl})_+)_+.
 */
static void objective_by_definition(const double *X, const double *Y, size_t n, size_t d,
                                    size_t c, size_t K, size_t w1, const double *W1,
                                    const double *W2, const double *a, double lambda,
                                    double *loss, double *pen)
{
    double sq = 0.0, reg = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < c; k++) {
            double f = 0.0;
            for (size_t j = k * K; j < (k + 1) * K; j++)
                f += a[j] * relu(pre2(X, W1, W2, d, w1, i, j));
            sq += (f - Y[i * c + k]) * (f - Y[i * c + k]);
        }
    for (size_t q = 0; q < c * K * w1; q++) reg += W2[q] * W2[q];
    for (size_t j = 0; j < c * K; j++) reg += a[j] * a[j];
    *loss = sq / (2.0 * (double)(n * c));
    *pen = 0.5 * lambda * reg;
}

/* Largest ||W1_j||_F over the S sub-networks, and the smallest (in *lo). */
static double max_block_norm(const double *W1, size_t S, size_t blk, double *lo)
{
    double hi = 0.0;
    *lo = INFINITY;
    for (size_t j = 0; j < S; j++) {
        double s = 0.0;
        for (size_t i = 0; i < blk; i++) s += W1[j * blk + i] * W1[j * blk + i];
        s = sqrt(s);
        if (s > hi) hi = s;
        if (s < *lo) *lo = s;
    }
    return hi;
}

static cvxrelu_local_settings settings(cvxrelu_optimizer method, double lr, size_t steps)
{
    cvxrelu_local_settings s;
    cvxrelu_local_settings_default(&s);
    s.method = method;
    s.lr = lr;
    s.steps = steps;
    return s;
}

typedef struct {
    double *W1, *W2, *a;
    cvxrelu_local_result res;
} run3;

static void train_ok(const double *X, size_t n, size_t d, const double *Y, size_t c, size_t K,
                     size_t w1, const cvxrelu_local_settings *s, run3 *r)
{
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_local3_train(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, K, w1, s, &r->W1, &r->W2, &r->a,
                                             &r->res, &err);
    if (st) printf("# %s\n", err.msg);
    assert_int_equal(st, CVXRELU_OK);
    assert_non_null(r->W1);
    assert_non_null(r->W2);
    assert_non_null(r->a);
}

static void run_free(run3 *r)
{
    cvxrelu_local_result_free(&r->res);
    free(r->W1);
    free(r->W2);
    free(r->a);
}

/* The returned objective, loss and penalty equal the definition at the returned arrays. */
static void check_result_objective(const double *X, const double *Y, size_t n, size_t d,
                                   size_t c, size_t K, size_t w1, double lambda, const run3 *r)
{
    double loss, pen;
    objective_by_definition(X, Y, n, d, c, K, w1, r->W1, r->W2, r->a, lambda, &loss, &pen);
    const double F = loss + pen;
    assert_true(fabs(r->res.objective - F) <= 1e-12 * F);
    assert_true(fabs(r->res.loss - loss) <= 1e-12 * F);
    assert_true(fabs(r->res.penalty - pen) <= 1e-12 * F);
    /* the last record is taken at the returned weights */
    const cvxrelu_local_record *last = &r->res.records[r->res.n_records - 1];
    assert_int_equal(last->step, r->res.steps);
    assert_true(fabs(last->objective - F) <= 1e-12 * F);
}

static void test_gradient(void **state)
{
    (void)state;
    enum { n = 9, d = 3, c = 2, K = 2, w1 = 3, S = c * K, M = S * w1, P = M * d + M + S };
    const double lambda = 0.05, h = 1e-6, margin = 1e-3;
    double X[n * d], Y[n * c], th[P], g[P];
    double *W1 = th, *W2 = th + M * d, *a = W2 + M;
    /* a random point whose pre-activations (both layers) all stay >= margin
       away from 0, so F is a polynomial on a neighbourhood wider than h, and
       whose second layer is partly active and partly not */
    uint64_t seed = 3;
    int found = 0;
    size_t active = 0;
    for (int tries = 0; tries < 200 && !found; tries++) {
        for (size_t i = 0; i < n * d; i++) X[i] = urand(&seed);
        for (size_t i = 0; i < n * c; i++) Y[i] = urand(&seed);
        for (size_t i = 0; i < P; i++) th[i] = urand(&seed);
        double closest = INFINITY;
        active = 0;
        for (size_t i = 0; i < n; i++) {
            for (size_t q = 0; q < M; q++) closest = fmin(closest, fabs(pre1(X, W1, d, i, q)));
            for (size_t j = 0; j < S; j++) {
                double z2 = pre2(X, W1, W2, d, w1, i, j);
                closest = fmin(closest, fabs(z2));
                active += z2 > 0.0;
            }
        }
        found = closest >= margin && active > n && active < n * S - n;
    }
    assert_true(found);
    double loss, pen, loss0, pen0;
    assert_int_equal(cr_local3_objective_grad(X, Y, n, d, c, K, w1, W1, W2, a, lambda, g,
                                              g + M * d, g + M * d + M, &loss, &pen),
                     CVXRELU_OK);
    objective_by_definition(X, Y, n, d, c, K, w1, W1, W2, a, lambda, &loss0, &pen0);
    assert_true(fabs(loss - loss0) <= 1e-14);
    assert_true(fabs(pen - pen0) <= 1e-14);
    double maxerr = 0.0, gmax[3] = {0.0, 0.0, 0.0};
    for (size_t i = 0; i < P; i++) {
        double keep = th[i], lp, pp, lm, pm;
        th[i] = keep + h;
        objective_by_definition(X, Y, n, d, c, K, w1, W1, W2, a, lambda, &lp, &pp);
        th[i] = keep - h;
        objective_by_definition(X, Y, n, d, c, K, w1, W1, W2, a, lambda, &lm, &pm);
        th[i] = keep;
        double fd = ((lp + pp) - (lm + pm)) / (2.0 * h);
        double e = fabs(fd - g[i]) / fmax(1.0, fabs(g[i]));
        if (e > maxerr) maxerr = e;
        int part = i < M * d ? 0 : i < M * d + M ? 1 : 2;
        gmax[part] = fmax(gmax[part], fabs(g[i]));
    }
    /* positive homogeneity: scaling W1_j by t and W2_j by 1/t (or W2_j by t
       and a_j by 1/t) leaves f unchanged, so the loss part L of the gradient
       satisfies <W1_j, dL/dW1_j> = <W2_j, dL/dW2_j> = a_j dL/da_j */
    double euler = 0.0;
    for (size_t j = 0; j < S; j++) {
        double s1 = 0.0, s2 = 0.0, s3 = a[j] * (g[M * d + M + j] - lambda * a[j]);
        for (size_t i = 0; i < w1 * d; i++) s1 += W1[j * w1 * d + i] * g[j * w1 * d + i];
        for (size_t l = 0; l < w1; l++) {
            double w = W2[j * w1 + l];
            s2 += w * (g[M * d + j * w1 + l] - lambda * w);
        }
        euler = fmax(euler, fmax(fabs(s1 - s2), fabs(s2 - s3)));
    }
    assert_true(euler <= 1e-13);
    printf("# gradient vs central differences of the definition: max relative error %.2e "
           "(%zu of %d second-layer units active; |g| max %.2g %.2g %.2g)\n", maxerr, active,
           n * S, gmax[0], gmax[1], gmax[2]);
    assert_true(maxerr <= 1e-7);
    /* every block of the gradient is exercised */
    for (int p = 0; p < 3; p++) assert_true(gmax[p] > 1e-3);
}

static void test_init(void **state)
{
    (void)state;
    const size_t n = 20, d = 4, c = 2, K = 3, w1 = 5, S = c * K;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 2, 0.1, 4, &X, &Y, NULL), 0);
    /* W1_j on the sphere of radius min(init_scale, 1) */
    const double scales[] = {0.5, 1.0, 3.0};
    for (int t = 0; t < 3; t++) {
        cvxrelu_local_settings s = settings(CVXRELU_OPT_GD, 0.0, 0);
        s.init_scale = scales[t];
        run3 r;
        train_ok(X, n, d, Y, c, K, w1, &s, &r);
        double lo, hi = max_block_norm(r.W1, S, w1 * d, &lo);
        double want = fmin(scales[t], 1.0);
        assert_true(fabs(hi - want) <= 1e-14 && fabs(lo - want) <= 1e-14);
        assert_int_equal(r.res.steps, 0);
        assert_int_equal(r.res.n_records, 1);
        check_result_objective(X, Y, n, d, c, K, w1, s.lambda, &r);
        run_free(&r);
    }
    free(X);
    free(Y);
}

static void test_gd_descent_and_projection(void **state)
{
    (void)state;
    const size_t n = 40, d = 5, K = 3, w1 = 4;
    for (size_t c = 1; c <= 2; c++) {
        const size_t S = c * K;
        double *X, *Y;
        assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, 20 + c, &X, &Y, NULL), 0);
        cvxrelu_local_settings s = settings(CVXRELU_OPT_GD, 0.02, 200);
        s.record_every = 1;
        s.lambda = 1e-3;
        run3 r;
        train_ok(X, n, d, Y, c, K, w1, &s, &r);
        assert_int_equal(r.res.steps, 200);
        assert_int_equal(r.res.interrupted, 0);
        assert_int_equal(r.res.n_records, 201);
        size_t rises = 0;
        for (size_t i = 0; i < r.res.n_records; i++) {
            assert_int_equal(r.res.records[i].step, i);
            if (i && r.res.records[i].objective > r.res.records[i - 1].objective) rises++;
        }
        double F0 = r.res.records[0].objective, F1 = r.res.objective;
        double lo, hi = max_block_norm(r.W1, S, w1 * d, &lo);
        printf("# projected GD c=%zu: F %.6g -> %.6g in %zu steps, %zu increases; "
               "||W1_j||_F in [%.15f, %.15f]\n", c, F0, F1, r.res.steps, rises, lo, hi);
        assert_true(hi <= 1.0 + 1e-12);
        assert_int_equal(rises, 0);
        assert_true(F1 < F0);
        check_result_objective(X, Y, n, d, c, K, w1, s.lambda, &r);
        run_free(&r);
        free(X);
        free(Y);
    }
}

/*
 * The first update from the initial point, rebuilt from the gradient (checked
 * above against finite differences): GD moves by -lr g; Adam's bias-corrected
 * first step is -lr g / (|g| + eps) entrywise; then each W1_j goes onto the
 * unit Frobenius ball.
 */
static void test_first_step_is_projected(void **state)
{
    (void)state;
    const size_t n = 30, d = 4, c = 2, K = 2, w1 = 3, S = c * K, M = S * w1;
    const size_t P = M * d + M + S;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, 31, &X, &Y, NULL), 0);
    for (int m = 0; m < 2; m++) {
        cvxrelu_local_settings s = settings(m ? CVXRELU_OPT_ADAM : CVXRELU_OPT_GD, 0.3, 0);
        s.batch = 0;
        s.lambda = 0.01;
        run3 r0, r1;
        train_ok(X, n, d, Y, c, K, w1, &s, &r0);
        s.steps = 1;
        train_ok(X, n, d, Y, c, K, w1, &s, &r1);
        double *th = malloc(P * sizeof(double)), *g = malloc(P * sizeof(double)), loss, pen;
        memcpy(th, r0.W1, M * d * sizeof(double));
        memcpy(th + M * d, r0.W2, M * sizeof(double));
        memcpy(th + M * d + M, r0.a, S * sizeof(double));
        assert_int_equal(cr_local3_objective_grad(X, Y, n, d, c, K, w1, th, th + M * d,
                                                  th + M * d + M, s.lambda, g, g + M * d,
                                                  g + M * d + M, &loss, &pen),
                         CVXRELU_OK);
        for (size_t i = 0; i < P; i++)
            th[i] -= m ? s.lr * g[i] / (fabs(g[i]) + s.adam_eps) : s.lr * g[i];
        size_t projected = 0;
        for (size_t j = 0; j < S; j++) {
            double *w = th + j * w1 * d, nrm = 0.0;
            for (size_t i = 0; i < w1 * d; i++) nrm += w[i] * w[i];
            nrm = sqrt(nrm);
            if (nrm > 1.0) {
                projected++;
                for (size_t i = 0; i < w1 * d; i++) w[i] /= nrm;
            }
        }
        double err = 0.0;
        for (size_t i = 0; i < M * d; i++) err = fmax(err, fabs(th[i] - r1.W1[i]));
        for (size_t i = 0; i < M; i++) err = fmax(err, fabs(th[M * d + i] - r1.W2[i]));
        for (size_t j = 0; j < S; j++) err = fmax(err, fabs(th[M * d + M + j] - r1.a[j]));
        printf("# first %s step: %zu of %zu blocks projected, max deviation %.1e\n",
               m ? "Adam" : "GD", projected, S, err);
        /* both branches of the projection are exercised (Adam's first step
           moves every entry by about lr, which takes every block outside) */
        assert_true(projected > 0);
        if (!m) assert_true(projected < S);
        assert_true(err <= 1e-13);
        free(th);
        free(g);
        run_free(&r0);
        run_free(&r1);
    }
    free(X);
    free(Y);
}

static void test_sgd_adam_descent(void **state)
{
    (void)state;
    const size_t n = 120, d = 6, c = 2, K = 3, w1 = 4, S = c * K;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.05, 17, &X, &Y, NULL), 0);
    const cvxrelu_optimizer methods[] = {CVXRELU_OPT_SGD, CVXRELU_OPT_ADAM};
    const double lrs[] = {0.02, 0.005};
    for (int m = 0; m < 2; m++) {
        cvxrelu_local_settings s = settings(methods[m], lrs[m], 300);
        s.batch = 16;
        s.record_every = 100;
        s.init_scale = 2.0;  /* the first layer starts on the sphere, the others larger */
        run3 r;
        train_ok(X, n, d, Y, c, K, w1, &s, &r);
        double F0 = r.res.records[0].objective;
        double lo, hi = max_block_norm(r.W1, S, w1 * d, &lo);
        printf("# %s: F %.5g -> %.5g (%zu steps, %.3f s); max ||W1_j||_F - 1 = %.1e\n",
               m ? "Adam" : "SGD", F0, r.res.objective, r.res.steps, r.res.time_s, hi - 1.0);
        assert_int_equal(r.res.steps, 300);
        assert_int_equal(r.res.n_records, 4);
        assert_true(r.res.objective < F0);
        assert_true(hi <= 1.0 + 1e-12);
        check_result_objective(X, Y, n, d, c, K, w1, s.lambda, &r);
        run_free(&r);
    }
    free(X);
    free(Y);
}

static void test_pattern_statistics_and_determinism(void **state)
{
    (void)state;
    const size_t n = 50, d = 4, c = 2, K = 2, w1 = 3, M = c * K * w1;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, 5, &X, &Y, NULL), 0);
    cvxrelu_local_settings s = settings(CVXRELU_OPT_SGD, 0.2, 0);
    s.batch = 10;
    s.record_every = 30;
    s.seed = 99;
    run3 r0, r, again;
    train_ok(X, n, d, Y, c, K, w1, &s, &r0);
    s.steps = 100;
    train_ok(X, n, d, Y, c, K, w1, &s, &r);
    train_ok(X, n, d, Y, c, K, w1, &s, &again);
    const size_t want[] = {0, 30, 60, 90, 100};
    assert_int_equal(r.res.n_records, 5);
    for (size_t i = 0; i < 5; i++) assert_int_equal(r.res.records[i].step, want[i]);
    assert_int_equal(r.res.records[0].changed_neurons, 0);
    assert_true(r.res.records[0].mean_hamming == 0.0);
    assert_true(r.res.records[0].objective == r0.res.records[0].objective);
    /* brute force from the final first layer and the re-generated initial one */
    size_t changed = 0, total = 0;
    for (size_t q = 0; q < M; q++) {
        size_t diff = 0;
        for (size_t i = 0; i < n; i++)
            diff += (pre1(X, r0.W1, d, i, q) > 0.0) != (pre1(X, r.W1, d, i, q) > 0.0);
        changed += diff > 0;
        total += diff;
    }
    const cvxrelu_local_record *last = &r.res.records[r.res.n_records - 1];
    printf("# patterns after %zu SGD steps: %zu of %zu first-layer neurons changed, mean "
           "Hamming %.3f (brute force %zu, %.3f)\n", r.res.steps, last->changed_neurons, M,
           last->mean_hamming, changed, (double)total / (double)M);
    assert_true(changed > 0);
    assert_int_equal(last->changed_neurons, changed);
    assert_true(last->mean_hamming == (double)total / (double)M);
    /* same seed, same run, bit for bit */
    assert_memory_equal(r.W1, again.W1, M * d * sizeof(double));
    assert_memory_equal(r.W2, again.W2, M * sizeof(double));
    assert_memory_equal(r.a, again.a, c * K * sizeof(double));
    assert_true(r.res.objective == again.res.objective);
    run_free(&r0);
    run_free(&r);
    run_free(&again);
    free(X);
    free(Y);
}

static void expect_fail_pb(const cvxrelu_problem *pb, size_t K, size_t w1,
                           const cvxrelu_local_settings *s, cvxrelu_status want, const char *text)
{
    double *W1 = (double *)1, *W2 = (double *)1, *a = (double *)1;
    cvxrelu_local_result res;
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_local3_train(pb, K, w1, s, &W1, &W2, &a, &res, &err), want);
    printf("# rejected: %s\n", err.msg);
    assert_null(W1);
    assert_null(W2);
    assert_null(a);
    assert_null(res.records);
    assert_non_null(strstr(err.msg, text));
}

static void expect_fail(const double *X, size_t n, size_t d, const double *Y, size_t c,
                        size_t K, size_t w1, const cvxrelu_local_settings *s, cvxrelu_status want,
                        const char *text)
{
    expect_fail_pb(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, K, w1, s, want, text);
}

static void test_errors_and_interrupt(void **state)
{
    (void)state;
    const size_t n = 30, d = 3, c = 1, K = 2, w1 = 2;
    double *X, *Y;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 2, 0.1, 9, &X, &Y, NULL), 0);
    cvxrelu_local_settings s = settings(CVXRELU_OPT_GD, 0.0, 10), b;
    expect_fail(X, n, d, Y, c, 0, w1, &s, CVXRELU_ERR_INVALID, "K must be");
    expect_fail(X, n, d, Y, c, K, 0, &s, CVXRELU_ERR_INVALID, "width1 must be");
    expect_fail(NULL, n, d, Y, c, K, w1, &s, CVXRELU_ERR_INVALID, "required");
    expect_fail(X, n, d, NULL, c, K, w1, &s, CVXRELU_ERR_INVALID, "required");
    expect_fail_pb(NULL, K, w1, &s, CVXRELU_ERR_INVALID, "problem");
    expect_fail(X, 0, d, Y, c, K, w1, &s, CVXRELU_ERR_INVALID, "empty");
    expect_fail(X, n, 0, Y, c, K, w1, &s, CVXRELU_ERR_INVALID, "empty");
    expect_fail(X, n, d, Y, 0, K, w1, &s, CVXRELU_ERR_INVALID, "empty");
    expect_fail(X, n, d, Y, c, SIZE_MAX / 2, w1, &s, CVXRELU_ERR_INVALID, "overflow");
    b = s; b.lr = -0.1;
    expect_fail(X, n, d, Y, c, K, w1, &b, CVXRELU_ERR_INVALID, "lr");
    b = s; b.lambda = NAN;
    expect_fail(X, n, d, Y, c, K, w1, &b, CVXRELU_ERR_INVALID, "lambda");
    b = s; b.method = (cvxrelu_optimizer)7;
    expect_fail(X, n, d, Y, c, K, w1, &b, CVXRELU_ERR_INVALID, "optimizer");
    b = s; b.method = CVXRELU_OPT_ADAM; b.beta2 = -0.5;
    expect_fail(X, n, d, Y, c, K, w1, &b, CVXRELU_ERR_INVALID, "beta1");
    b = s; b.method = CVXRELU_OPT_ADAM; b.adam_eps = 0.0;
    expect_fail(X, n, d, Y, c, K, w1, &b, CVXRELU_ERR_INVALID, "adam_eps");
    b = s; b.init_scale = INFINITY;
    expect_fail(X, n, d, Y, c, K, w1, &b, CVXRELU_ERR_INVALID, "init_scale");
    b = s; b.time_limit_s = -1.0;
    expect_fail(X, n, d, Y, c, K, w1, &b, CVXRELU_ERR_INVALID, "time_limit_s");
    /* the two-layer width is ignored */
    b = s; b.width = 0; b.steps = 1;
    run3 r;
    train_ok(X, n, d, Y, c, K, w1, &b, &r);
    run_free(&r);
    /* non-finite data, and divergence */
    double keep = X[4];
    X[4] = NAN;
    expect_fail(X, n, d, Y, c, K, w1, &s, CVXRELU_ERR_NUMERIC, "row 2");
    X[4] = keep;
    keep = Y[3];
    Y[3] = INFINITY;
    expect_fail(X, n, d, Y, c, K, w1, &s, CVXRELU_ERR_NUMERIC, "target 4");
    Y[3] = keep;
    b = s; b.lr = 1e6; b.steps = 2000;
    expect_fail(X, n, d, Y, c, K, w1, &b, CVXRELU_ERR_NUMERIC, "diverged at step");

    /* interrupted before the first step: the initial weights, one record */
    run3 r0;
    b = s; b.steps = 0;
    train_ok(X, n, d, Y, c, K, w1, &b, &r0);
    assert_int_equal(r0.res.interrupted, 0);
    volatile sig_atomic_t flag = 1;
    b = s; b.interrupt = &flag;
    train_ok(X, n, d, Y, c, K, w1, &b, &r);
    assert_int_equal(r.res.interrupted, 1);
    assert_int_equal(r.res.steps, 0);
    assert_int_equal(r.res.n_records, 1);
    assert_memory_equal(r.W1, r0.W1, c * K * w1 * d * sizeof(double));
    assert_memory_equal(r.W2, r0.W2, c * K * w1 * sizeof(double));
    assert_true(r.res.objective == r0.res.objective);
    run_free(&r);
    /* a time limit stops early, also an outcome and not an error */
    b = s; b.steps = 100000000; b.time_limit_s = 1e-3;
    train_ok(X, n, d, Y, c, K, w1, &b, &r);
    assert_int_equal(r.res.interrupted, 1);
    assert_true(r.res.steps < b.steps);
    check_result_objective(X, Y, n, d, c, K, w1, b.lambda, &r);
    run_free(&r);
    run_free(&r0);
    free(X);
    free(Y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_gd_descent_and_projection),
        cmocka_unit_test(test_first_step_is_projected),
        cmocka_unit_test(test_sgd_adam_descent),
        cmocka_unit_test(test_pattern_statistics_and_determinism),
        cmocka_unit_test(test_errors_and_interrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
