#define _POSIX_C_SOURCE 200809L
/*
 * Solver tests whose truth comes from mathematics: finite differences, the
 * prox optimality conditions, lambda_max, duality gaps, per-group optimality
 * conditions, exact recovery of the network, nested sampling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cvxrelu.h"
#include "two_layer.h"

typedef struct {
    size_t n, d, c;
    double *X, *Y;
    cvxrelu_patterns *pat;
    cvxrelu_problem pb; /* X, Y above, for the library calls */
} problem;

static void problem_make(problem *p, size_t n, size_t d, size_t c, size_t P, uint64_t seed)
{
    p->n = n;
    p->d = d;
    p->c = c;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, c, 3, 0.1, seed, &p->X, &p->Y, NULL),
                     CVXRELU_OK);
    /* a bias-like column so patterns are not symmetric */
    for (size_t i = 0; i < n; i++) p->X[i * d + d - 1] = 1.0;
    p->pb = (cvxrelu_problem){p->X, n, d, p->Y, c, CVXRELU_LOSS_SQUARED, 0.0};
    assert_int_equal(cvxrelu_patterns_sample(p->X, n, d, P, seed + 1, 0, &p->pat, NULL),
                     CVXRELU_OK);
}

static void problem_free(problem *p)
{
    free(p->X);
    free(p->Y);
    cvxrelu_patterns_free(p->pat);
}

static double objective_at(const problem *p, const double *U, double lambda)
{
    /* direct evaluation from the definition, bit by bit */
    const size_t n = p->n, d = p->d, c = p->c, P = p->pat->P;
    double loss = 0.0, pen = 0.0;
    for (size_t j = 0; j < n; j++)
        for (size_t k = 0; k < c; k++) {
            double y = 0.0;
            for (size_t i = 0; i < P; i++) {
                if (!cvxrelu_pattern_bit(p->pat, i, j)) continue;
                for (size_t l = 0; l < d; l++) y += p->X[j * d + l] * U[(i * c + k) * d + l];
            }
            loss += (y - p->Y[j * c + k]) * (y - p->Y[j * c + k]);
        }
    for (size_t g = 0; g < P * c; g++) {
        double s = 0.0;
        for (size_t l = 0; l < d; l++) s += U[g * d + l] * U[g * d + l];
        pen += sqrt(s);
    }
    return loss / (2.0 * (double)(n * c)) + lambda * pen;
}

static void test_gradient_finite_differences(void **state)
{
    (void)state;
    for (size_t c = 1; c <= 3; c += 2) {
        problem p;
        problem_make(&p, 40, 4, c, 6, 11 + c);
        cvxrelu_settings set;
        cvxrelu_settings_default(&set);
        set.lambda = 0.0; /* the data term alone */
        cvxrelu_solver *s;
        assert_int_equal(cvxrelu_solver_new(&(cvxrelu_problem){p.X, p.n, p.d, p.Y, c, CVXRELU_LOSS_SQUARED, 0.0}, p.pat, &set, &s, NULL), 0);
        size_t md = p.pat->P * c * p.d;
        double *U = malloc(md * sizeof(double)), *G = malloc(md * sizeof(double));
        for (size_t i = 0; i < md; i++) U[i] = 0.3 * sin(1.0 + (double)i);
        assert_int_equal(cvxrelu_solver_set_weights(s, U), 0);
        double f0;
        assert_int_equal(cvxrelu_solver_gradient(s, G, &f0), 0);
        assert_true(fabs(f0 - objective_at(&p, U, 0.0)) <= 1e-12 * fmax(1.0, f0));
        double maxerr = 0.0, h = 1e-6;
        for (size_t i = 0; i < md; i++) {
            double save = U[i];
            U[i] = save + h;
            double fp = objective_at(&p, U, 0.0);
            U[i] = save - h;
            double fm = objective_at(&p, U, 0.0);
            U[i] = save;
            maxerr = fmax(maxerr, fabs((fp - fm) / (2 * h) - G[i]));
        }
        printf("# gradient vs central differences (c=%zu): max error %.2e\n", c, maxerr);
        assert_true(maxerr < 1e-7);
        free(U);
        free(G);
        cvxrelu_solver_free(s);
        problem_free(&p);
    }
}

static void test_prox_identity(void **state)
{
    (void)state;
    /* p = prox(u) minimizes 0.5||p - u||^2 + tl ||p||: optimality conditions */
    double u[5] = {0.3, -1.2, 0.5, 2.0, -0.1}, p[5];
    for (double tl = 0.0; tl < 4.0; tl += 0.37) {
        memcpy(p, u, sizeof u);
        cvxrelu_prox_group(p, 5, tl);
        double np = 0.0, nu = 0.0;
        for (int i = 0; i < 5; i++) {
            np += p[i] * p[i];
            nu += u[i] * u[i];
        }
        np = sqrt(np);
        nu = sqrt(nu);
        if (np > 0.0) {
            for (int i = 0; i < 5; i++) assert_true(fabs(u[i] - p[i] - tl * p[i] / np) < 1e-14);
        } else {
            assert_true(nu <= tl + 1e-14);
        }
        /* and it is a minimizer: no perturbation does better */
        double best = 0.5 * 0.0 + tl * np;
        for (int i = 0; i < 5; i++) best += 0.5 * (p[i] - u[i]) * (p[i] - u[i]);
        for (int trial = 0; trial < 50; trial++) {
            double q[5], nq = 0.0, val = 0.0;
            for (int i = 0; i < 5; i++) {
                q[i] = p[i] + 0.01 * sin(trial * 7.0 + i);
                nq += q[i] * q[i];
                val += 0.5 * (q[i] - u[i]) * (q[i] - u[i]);
            }
            val += tl * sqrt(nq);
            assert_true(val >= best - 1e-14);
        }
    }
}

static cvxrelu_solver *solve(const problem *p, double lambda, double eps, cvxrelu_result *res)
{
    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    set.lambda = lambda;
    set.tol = eps;
    set.max_iter = 100000;
    cvxrelu_solver *s;
    assert_int_equal(cvxrelu_solver_new(&p->pb, p->pat, &set, &s, NULL), 0);
    assert_int_equal(cvxrelu_solver_solve(s, res, NULL), 0);
    return s;
}

static void test_lambda_max(void **state)
{
    (void)state;
    problem p;
    problem_make(&p, 60, 5, 2, 10, 3);
    double lm = cvxrelu_lambda_max(&p.pb, p.pat);
    assert_true(lm > 0.0);
    cvxrelu_result res;
    cvxrelu_solver *s = solve(&p, lm, 1e-9, &res);
    assert_int_equal(res.active_groups, 0);
    assert_int_equal(res.exit, CVXRELU_EXIT_CONVERGED);
    assert_true(fabs(res.lambda_max - lm) <= 1e-12 * lm);
    const double *U = cvxrelu_solver_weights(s);
    for (size_t i = 0; i < p.pat->P * p.c * p.d; i++) assert_true(U[i] == 0.0);
    cvxrelu_solver_free(s);
    s = solve(&p, 0.98 * lm, 1e-9, &res);
    printf("# lambda_max %.6g: at 0.98 lambda_max %zu active groups\n", lm, res.active_groups);
    assert_true(res.active_groups >= 1);
    assert_int_equal(res.exit, CVXRELU_EXIT_CONVERGED);
    cvxrelu_solver_free(s);
    problem_free(&p);
}

/*
 * Per-group optimality: u != 0: grad + lambda u/||u|| = 0; u = 0: ||grad|| <= lambda,
 * to what the certified gap allows: a group whose condition is off by e (absolute)
 * admits a step on that group alone that lowers the objective by about e^2 / (2 L_g),
 * L_g = ||D_i X||^2 / N <= ||X||_F^2 / N, so e <= sqrt(2 L gap); the relative
 * tolerance is twice that over lambda, plus tol for rounding.
 */
static void check_kkt(const problem *p, cvxrelu_solver *s, double lambda, double gap, double tol)
{
    size_t m = p->pat->P * p->c, d = p->d;
    double *G = malloc(m * d * sizeof(double));
    double obj = 0.0;
    assert_int_equal(cvxrelu_solver_gradient(s, G, &obj), 0);
    /* the computed gap bounds the suboptimality up to the rounding of the objective and
       the dual value it is the difference of (a few ulps of the objective): a tight solve
       can report a gap of exactly 0 (it did under valgrind, with another DGEMM kernel) */
    gap = fmax(gap, 0.0) + 8.0 * DBL_EPSILON * fmax(1.0, fabs(obj));
    double fro = 0.0;
    for (size_t i = 0; i < p->n * p->d; i++) fro += p->X[i] * p->X[i];
    tol += 2.0 * sqrt(2.0 * fro / (double)(p->n * p->c) * gap) / lambda;
    const double *U = cvxrelu_solver_weights(s);
    double worst = 0.0;
    for (size_t g = 0; g < m; g++) {
        double nu = 0.0, ng = 0.0;
        for (size_t l = 0; l < d; l++) {
            nu += U[g * d + l] * U[g * d + l];
            ng += G[g * d + l] * G[g * d + l];
        }
        nu = sqrt(nu);
        ng = sqrt(ng);
        if (nu > 0.0) {
            double r = 0.0;
            for (size_t l = 0; l < d; l++) {
                double e = G[g * d + l] + lambda * U[g * d + l] / nu;
                r += e * e;
            }
            worst = fmax(worst, sqrt(r) / lambda);
        } else {
            worst = fmax(worst, (ng - lambda) / lambda);
        }
    }
    printf("# worst relative optimality-condition residual %.2e (allowed %.2e)\n", worst, tol);
    assert_true(worst <= tol);
    free(G);
}

static void test_random_problems_gap_and_kkt(void **state)
{
    (void)state;
    const size_t cs[] = {1, 2, 1, 3};
    for (int t = 0; t < 4; t++) {
        problem p;
        problem_make(&p, 50 + 30 * (size_t)t, 3 + (size_t)t, cs[t], 8 + 4 * (size_t)t, 100 + (uint64_t)t);
        double lm = cvxrelu_lambda_max(&p.pb, p.pat);
        double lambda = lm * (t % 2 ? 0.05 : 0.2);
        cvxrelu_result res;
        cvxrelu_solver *s = solve(&p, lambda, 1e-6, &res);
        printf("# problem %d: n=%zu d=%zu c=%zu P=%zu obj %.10g gap %.2e iters %zu active %zu\n",
               t, p.n, p.d, p.c, p.pat->P, res.objective, res.gap, res.iterations,
               res.active_groups);
        assert_int_equal(res.exit, CVXRELU_EXIT_CONVERGED);
        assert_true(res.gap >= 0.0);
        assert_true(res.gap <= 1e-6 * fmax(1.0, fabs(res.objective)));
        /* the reported objective is the definition's */
        double direct = objective_at(&p, cvxrelu_solver_weights(s), lambda);
        assert_true(fabs(direct - res.objective) <= 1e-12 * fmax(1.0, direct));
        cvxrelu_solver_free(s);
        /* to a tight gap the optimality conditions hold closely */
        s = solve(&p, lambda, 1e-13, &res);
        printf("# tight solve: %s after %zu iterations, gap %.2e\n", cvxrelu_exit_string(res.exit),
               res.iterations, res.gap);
        assert_int_equal(res.exit, CVXRELU_EXIT_CONVERGED);
        check_kkt(&p, s, lambda, res.gap, 1e-9);
        cvxrelu_solver_free(s);
        problem_free(&p);
    }
}


static cvxrelu_solver *solve_with(const problem *p, double lambda, double eps, int screening,
                                  int single, cvxrelu_result *res)
{
    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    set.lambda = lambda;
    set.tol = eps;
    set.max_iter = 200000;
    set.screening = screening;
    set.single_precision = single;
    cvxrelu_solver *s;
    assert_int_equal(cvxrelu_solver_new(&p->pb, p->pat, &set, &s, NULL), 0);
    assert_int_equal(cvxrelu_solver_solve(s, res, NULL), 0);
    return s;
}

/*
 * Many patterns, few active groups: the working set and gap-safe screening, and
 * float32 products, give the same answer as the plain double solve (objectives
 * within the sum of the certified gaps, gaps certified in double over every
 * group, the optimality conditions of the whole program), and screening does
 * remove groups.
 */
static void test_screening_and_single_precision(void **state)
{
    (void)state;
    const size_t cs[] = {1, 3};
    for (int t = 0; t < 2; t++) {
        problem p;
        problem_make(&p, 300, 8, cs[t], 600, 300 + (uint64_t)t);
        double lm = cvxrelu_lambda_max(&p.pb, p.pat);
        double lambda = 0.1 * lm;
        cvxrelu_result r0, r1, r2, r3;
        cvxrelu_solver *s0 = solve_with(&p, lambda, 1e-8, 0, 0, &r0);
        cvxrelu_solver *s1 = solve_with(&p, lambda, 1e-8, 1, 0, &r1);
        cvxrelu_solver *s2 = solve_with(&p, lambda, 1e-8, 1, 1, &r2);
        cvxrelu_solver *s3 = solve_with(&p, lambda, 1e-3, 0, 1, &r3);
        printf("# c=%zu P=%zu: plain %.12g (gap %.1e, %zu it), screening %.12g (gap %.1e, %zu it, "
               "%zu screened), + single %.12g (gap %.1e, %zu it), single at 1e-3 %.8g (gap %.1e)\n",
               p.c, p.pat->P, r0.objective, r0.gap, r0.iterations, r1.objective, r1.gap,
               r1.iterations, r1.screened, r2.objective, r2.gap, r2.iterations, r3.objective,
               r3.gap);
        const cvxrelu_result *rs[] = {&r0, &r1, &r2};
        for (int k = 0; k < 3; k++) {
            assert_int_equal(rs[k]->exit, CVXRELU_EXIT_CONVERGED);
            assert_true(rs[k]->gap >= 0.0 && rs[k]->gap <= 1e-8 * fmax(1.0, rs[k]->objective));
            assert_true(fabs(rs[k]->objective - r0.objective) <= rs[k]->gap + r0.gap + 1e-14);
        }
        assert_int_equal(r3.exit, CVXRELU_EXIT_CONVERGED);
        assert_true(r3.gap <= 1e-3 * fmax(1.0, r3.objective));
        assert_true(r3.objective - r0.objective <= r3.gap + 1e-14);
        assert_true(r1.screened > p.pat->P * p.c / 2);
        assert_true(r1.active_groups < p.pat->P * p.c / 4);
        /* the reported objectives are the definition's, in double */
        assert_true(fabs(objective_at(&p, cvxrelu_solver_weights(s2), lambda) - r2.objective) <=
                    1e-12 * fmax(1.0, r2.objective));
        check_kkt(&p, s1, lambda, r1.gap, 1e-9);
        check_kkt(&p, s2, lambda, r2.gap, 1e-9);
        cvxrelu_solver_free(s0);
        cvxrelu_solver_free(s1);
        cvxrelu_solver_free(s2);
        cvxrelu_solver_free(s3);
        problem_free(&p);
    }
}

/*
 * The working set along a warm-started path (each lambda started from the solution at
 * the one before, with steps of 0.7 and one of 0.1), in double and with float products:
 * every solve is certified over the whole program, its objective is the plain solve's
 * (no working set, no screening) within the sum of their gaps, the optimality conditions of the whole program hold,
 * groups did start outside the working set, and some came back when the optimum needed
 * them.
 */
static void test_working_set_path(void **state)
{
    (void)state;
    const size_t cs[] = {1, 3};
    size_t out = 0, back = 0;
    for (int t = 0; t < 2; t++) {
        problem p;
        problem_make(&p, 300, 8, cs[t], 200, 500 + (uint64_t)t);
        const double lm = cvxrelu_lambda_max(&p.pb, p.pat);
        cvxrelu_settings a, b, f;
        cvxrelu_settings_default(&a);
        a.tol = 1e-8;
        a.max_iter = 200000;
        a.lambda = lm;
        b = a;
        assert_int_equal(a.working_set, 1);
        b.working_set = 0;
        b.screening = 0;
        f = a; /* the working set with float products */
        f.single_precision = 1;
        cvxrelu_solver *sa, *sb, *sf;
        assert_int_equal(cvxrelu_solver_new(&p.pb, p.pat, &a, &sa, NULL), 0);
        assert_int_equal(cvxrelu_solver_new(&p.pb, p.pat, &b, &sb, NULL), 0);
        assert_int_equal(cvxrelu_solver_new(&p.pb, p.pat, &f, &sf, NULL), 0);
        double lambda = lm;
        for (int k = 0; k < 7; k++) {
            lambda *= k == 3 ? 0.1 : 0.7;
            assert_int_equal(cvxrelu_solver_set_lambda(sa, lambda), 0);
            assert_int_equal(cvxrelu_solver_set_lambda(sb, lambda), 0);
            assert_int_equal(cvxrelu_solver_set_lambda(sf, lambda), 0);
            cvxrelu_result ra, rb, rf;
            assert_int_equal(cvxrelu_solver_solve(sa, &ra, NULL), 0);
            assert_int_equal(cvxrelu_solver_solve(sb, &rb, NULL), 0);
            assert_int_equal(cvxrelu_solver_solve(sf, &rf, NULL), 0);
            printf("# c=%zu lambda=%.3g lambda_max: working set %.12g (gap %.1e, %zu it, %zu out, "
                   "%zu back, %zu active), plain %.12g (gap %.1e, %zu it)\n",
                   p.c, lambda / lm, ra.objective, ra.gap, ra.iterations, ra.ws_out, ra.ws_back,
                   ra.active_groups, rb.objective, rb.gap, rb.iterations);
            assert_int_equal(ra.exit, CVXRELU_EXIT_CONVERGED);
            assert_int_equal(rb.exit, CVXRELU_EXIT_CONVERGED);
            assert_true(ra.gap >= 0.0 && ra.gap <= 1e-8 * fmax(1.0, ra.objective));
            assert_true(fabs(ra.objective - rb.objective) <= ra.gap + rb.gap + 1e-14);
            assert_int_equal(rf.exit, CVXRELU_EXIT_CONVERGED);
            assert_true(rf.gap >= 0.0 && rf.gap <= 1e-8 * fmax(1.0, rf.objective));
            assert_true(fabs(rf.objective - rb.objective) <= rf.gap + rb.gap + 1e-14);
            assert_true(fabs(objective_at(&p, cvxrelu_solver_weights(sa), lambda) - ra.objective) <=
                        1e-12 * fmax(1.0, ra.objective));
            check_kkt(&p, sa, lambda, ra.gap, 1e-9);
            assert_true(ra.ws_back <= ra.ws_out);
            out += ra.ws_out + rf.ws_out;
            back += ra.ws_back + rf.ws_back;
        }
        cvxrelu_solver_free(sa);
        cvxrelu_solver_free(sb);
        cvxrelu_solver_free(sf);
        problem_free(&p);
    }
    printf("# working set: %zu groups left out in all, %zu brought back\n", out, back);
    assert_true(out > 0);
    assert_true(back > 0);
}

/*
 * The prox of the preconditioned step: w = argmin 1/2 sum_j s_j (w_j - z_j)^2 + tau ||w||
 * satisfies its optimality conditions: w = 0 exactly when ||s o z|| <= tau, otherwise
 * s o (w - z) + tau w / ||w|| = 0.  Metrics spread over 1..1e-8, tau on both sides of
 * the threshold, one near it.
 */
static void test_precond_prox_optimality(void **state)
{
    (void)state;
    const size_t d = 12;
    double sv[12], z[12], w[12];
    uint64_t seed = 77;
    double worst = 0.0;
    int zeros = 0, nonzeros = 0;
    for (int t = 0; t < 300; t++) {
        double sz = 0.0;
        for (size_t j = 0; j < d; j++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            double u = (double)(seed >> 11) / 9007199254740992.0;
            sv[j] = pow(10.0, -8.0 * u * (double)(t % 3) / 2.0);
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            z[j] = (double)(seed >> 11) / 9007199254740992.0 - 0.5;
            sz += sv[j] * z[j] * sv[j] * z[j];
        }
        sz = sqrt(sz);
        const double fr[] = {0.01, 0.5, 0.999999, 1.5};
        double tau = sz * fr[t % 4];
        memcpy(w, z, sizeof z);
        double smin = sv[0], smax = sv[0];
        for (size_t j = 1; j < d; j++) {
            smin = fmin(smin, sv[j]);
            smax = fmax(smax, sv[j]);
        }
        cr_precond_prox(sv, smin, smax, w, d, tau);
        double wn = 0.0;
        for (size_t j = 0; j < d; j++) wn += w[j] * w[j];
        wn = sqrt(wn);
        if (tau >= sz) {
            assert_true(wn == 0.0);
            zeros++;
            continue;
        }
        assert_true(wn > 0.0);
        nonzeros++;
        double r = 0.0;
        for (size_t j = 0; j < d; j++) {
            double e = sv[j] * (w[j] - z[j]) + tau * w[j] / wn;
            r += e * e;
        }
        worst = fmax(worst, sqrt(r) / tau);
    }
    printf("# preconditioned prox: %d zero, %d non-zero, worst relative residual %.2e\n", zeros,
           nonzeros, worst);
    assert_true(worst <= 1e-10);
    assert_true(zeros > 0 && nonzeros > 0);
}

/*
 * Preconditioning changes the steps, not the program: on data whose columns are
 * correlated and scaled over four decades, the preconditioned and the plain solver
 * reach objectives within the sum of their certified gaps, both meet the optimality
 * conditions, the preconditioned one in fewer iterations (the reason it exists).
 * With d > n the metric is not used and the answer is the plain one.
 */
static void test_preconditioned_same_program(void **state)
{
    (void)state;
    for (int t = 0; t < 2; t++) {
        problem p;
        problem_make(&p, 200, 6, 1 + (size_t)t, 30, 900 + (uint64_t)t);
        /* column l scaled by 10^(l - 2) and mixed with column 0 */
        for (size_t i = 0; i < p.n; i++)
            for (size_t l = 1; l + 1 < p.d; l++)
                p.X[i * p.d + l] = pow(10.0, (double)l - 2.0) * (p.X[i * p.d + l] + 0.9 * p.X[i * p.d]);
        double lm = cvxrelu_lambda_max(&p.pb, p.pat);
        double lambda = 0.02 * lm;
        cvxrelu_result r[2];
        cvxrelu_solver *s[2];
        for (int pc = 0; pc < 2; pc++) {
            cvxrelu_settings set;
            cvxrelu_settings_default(&set);
            set.lambda = lambda;
            set.tol = 1e-9;
            set.max_iter = 2000000;
            set.precondition = pc;
            assert_int_equal(cvxrelu_solver_new(&p.pb, p.pat, &set, &s[pc], NULL), 0);
            assert_int_equal(cvxrelu_solver_solve(s[pc], &r[pc], NULL), 0);
            assert_int_equal(r[pc].exit, CVXRELU_EXIT_CONVERGED);
            assert_int_equal(r[pc].preconditioned, pc);
            assert_true(r[pc].gap >= 0.0 && r[pc].gap <= 1e-9 * fmax(1.0, r[pc].objective));
            check_kkt(&p, s[pc], lambda, r[pc].gap, 1e-8);
        }
        printf("# c=%zu: plain %.12g (gap %.1e) in %zu iterations, preconditioned %.12g (gap %.1e) "
               "in %zu\n", p.c, r[0].objective, r[0].gap, r[0].iterations, r[1].objective,
               r[1].gap, r[1].iterations);
        assert_true(fabs(r[0].objective - r[1].objective) <= r[0].gap + r[1].gap + 1e-14);
        assert_true(fabs(objective_at(&p, cvxrelu_solver_weights(s[1]), lambda) - r[1].objective) <=
                    1e-12 * fmax(1.0, r[1].objective));
        assert_true(r[1].iterations < r[0].iterations);
        cvxrelu_solver_free(s[0]);
        cvxrelu_solver_free(s[1]);
        problem_free(&p);
    }
    /* d > n: the metric of X^T X is singular, not used */
    problem p;
    problem_make(&p, 8, 12, 1, 5, 950);
    cvxrelu_result res;
    cvxrelu_solver *s = solve(&p, 0.1 * cvxrelu_lambda_max(&p.pb, p.pat), 1e-8, &res);
    assert_int_equal(res.preconditioned, 0);
    assert_int_equal(res.exit, CVXRELU_EXIT_CONVERGED);
    cvxrelu_solver_free(s);
    problem_free(&p);
}

static void test_recovery_matches_convex(void **state)
{
    (void)state;
    problem p;
    problem_make(&p, 120, 6, 3, 20, 7);
    double lambda = 0.05 * cvxrelu_lambda_max(&p.pb, p.pat);
    cvxrelu_result res;
    cvxrelu_solver *s = solve(&p, lambda, 1e-8, &res);
    cvxrelu_encoding *enc = calloc(1, sizeof *enc);
    enc->task = CVXRELU_TASK_REGRESSION;
    enc->d_raw = p.d;
    enc->d = p.d;
    enc->c = p.c;
    enc->mean = calloc(p.d, sizeof(double));
    enc->scale = malloc(p.d * sizeof(double));
    for (size_t k = 0; k < p.d; k++) enc->scale[k] = 1.0;
    cvxrelu_model *m;
    assert_int_equal(cvxrelu_model_from_gated(p.pat, cvxrelu_solver_weights(s), p.c, lambda,
                                              enc, &m, NULL), 0);
    assert_int_equal(m->m, res.active_groups);
    double *Yc = malloc(p.n * p.c * sizeof(double)), *Yn = malloc(p.n * p.c * sizeof(double));
    cvxrelu_solver_predict_train(s, Yc);
    cvxrelu_model_forward(m, p.X, p.n, Yn);
    double maxdiff = 0.0, scale = 0.0;
    for (size_t i = 0; i < p.n * p.c; i++) {
        maxdiff = fmax(maxdiff, fabs(Yc[i] - Yn[i]));
        scale = fmax(scale, fabs(Yc[i]));
    }
    printf("# recovered network vs convex model: max |diff| %.2e (scale %.2g)\n", maxdiff, scale);
    assert_true(maxdiff <= 1e-10 * fmax(1.0, scale));
    /* the non-convex objective of the recovered network equals the convex one */
    double netobj = cvxrelu_model_objective(m, p.X, p.Y, p.n, lambda);
    assert_true(fabs(netobj - res.objective) <= 1e-10 * fmax(1.0, res.objective));

    /* save / load round trip is bit-exact */
    char dir[] = "/tmp/cvxrelu_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/model.txt", dir);
    assert_int_equal(cvxrelu_model_save(m, path, NULL), 0);
    cvxrelu_model *m2;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_model_load(path, &m2, &err);
    if (st) printf("# %s\n", err.msg);
    assert_int_equal(st, 0);
    assert_int_equal(m2->m, m->m);
    assert_memory_equal(m2->W, m->W, m->m * m->d * sizeof(double));
    assert_memory_equal(m2->G, m->G, m->m * m->d * sizeof(double));
    assert_memory_equal(m2->a, m->a, m->m * sizeof(double));
    assert_memory_equal(m2->out, m->out, m->m * sizeof(size_t));
    assert_true(m2->lambda == m->lambda);
    cvxrelu_model_free(m2);
    remove(path);
    rmdir(dir);

    free(Yc);
    free(Yn);
    cvxrelu_model_free(m);
    cvxrelu_solver_free(s);
    problem_free(&p);
}

static void test_warm_start_and_path(void **state)
{
    (void)state;
    problem p;
    problem_make(&p, 80, 4, 1, 12, 21);
    double lm = cvxrelu_lambda_max(&p.pb, p.pat);
    cvxrelu_result res;
    cvxrelu_solver *s = solve(&p, 0.1 * lm, 1e-8, &res);
    double obj = res.objective;
    /* solving again from the solution: certified at once */
    assert_int_equal(cvxrelu_solver_solve(s, &res, NULL), 0);
    assert_true(res.iterations <= 1);
    assert_true(fabs(res.objective - obj) <= 1e-8 * fmax(1.0, obj));
    /* a regularization path: objective values decrease with lambda */
    double prev = INFINITY;
    for (double f = 0.8; f >= 0.01; f *= 0.5) {
        assert_int_equal(cvxrelu_solver_set_lambda(s, f * lm), 0);
        assert_int_equal(cvxrelu_solver_solve(s, &res, NULL), 0);
        assert_int_equal(res.exit, CVXRELU_EXIT_CONVERGED);
        assert_true(res.objective <= prev);
        prev = res.objective;
    }
    cvxrelu_solver_free(s);
    problem_free(&p);
}

static void test_patterns_nested_and_distinct(void **state)
{
    (void)state;
    problem p;
    problem_make(&p, 70, 5, 1, 30, 5);
    cvxrelu_patterns *small;
    assert_int_equal(cvxrelu_patterns_sample(p.X, p.n, p.d, 10, 6, 0, &small, NULL), 0);
    /* p.pat was sampled with seed 5 + 1 = 6 too */
    assert_int_equal(small->P, 10);
    assert_memory_equal(small->gates, p.pat->gates, 10 * p.d * sizeof(double));
    assert_memory_equal(small->bits, p.pat->bits, 10 * small->words_per_pattern * 8);
    for (size_t i = 0; i < p.pat->P; i++) {
        int any = 0;
        for (size_t j = 0; j < p.n; j++) {
            double z = 0.0;
            for (size_t l = 0; l < p.d; l++) z += p.X[j * p.d + l] * p.pat->gates[i * p.d + l];
            assert_int_equal(cvxrelu_pattern_bit(p.pat, i, j), z > 0.0);
            any |= z > 0.0;
        }
        assert_true(any);
        for (size_t k = 0; k < i; k++) {
            int same = 1;
            for (size_t j = 0; j < p.n; j++)
                same &= cvxrelu_pattern_bit(p.pat, i, j) == cvxrelu_pattern_bit(p.pat, k, j);
            assert_false(same);
        }
    }
    /* asking for more patterns than exist stops at the distinct ones:
       1-D data with a bias column has at most 2n patterns */
    double X1[2 * 6];
    for (int j = 0; j < 6; j++) {
        X1[2 * j] = (double)j - 2.5;
        X1[2 * j + 1] = 1.0;
    }
    cvxrelu_patterns *all;
    assert_int_equal(cvxrelu_patterns_sample(X1, 6, 2, 1000, 1, 5000, &all, NULL), 0);
    assert_true(all->P <= 2 * 6);
    assert_true(all->P >= 8);
    cvxrelu_patterns_free(all);
    cvxrelu_patterns_free(small);
    problem_free(&p);
}

static void test_model_file_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/cvxrelu_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/bad.txt", dir);
    const char *cases[][2] = {
        {"cvxrelu-model 99\nkind gated\n", "unsupported model format version 99"},
        {"hello\n", ":1: expected 'cvxrelu-model"},
        {"cvxrelu-model 1\nkind gated\ntask regression\nd_raw 2\nd 3\n", "truncated"},
        {"", ":1: expected"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = fopen(path, "w");
        fputs(cases[i][0], f);
        fclose(f);
        cvxrelu_model *m = (cvxrelu_model *)1;
        cvxrelu_error err = {{0}};
        assert_int_equal(cvxrelu_model_load(path, &m, &err), CVXRELU_ERR_FORMAT);
        assert_null(m);
        printf("# %s\n", err.msg);
        assert_non_null(strstr(err.msg, cases[i][1]));
        assert_non_null(strstr(err.msg, "bad.txt"));
    }
    remove(path);
    rmdir(dir);
}

/* Sampling goes by blocks of gates (one GEMM each, 209 gates at n = 20000): the
   stream is the same as one gate at a time, so runs stay nested across block
   boundaries; each pattern is the sign of X g summed here directly; a stop
   request returns what was found (the first block's patterns at least). */
static void test_patterns_blocks_and_stop(void **state)
{
    (void)state;
    const size_t n = 20000, d = 3;
    double *X = malloc(n * d * sizeof(double));
    assert_non_null(X);
    uint64_t r = 12345;
    for (size_t i = 0; i < n * d; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        X[i] = (double)(r >> 11) / 9007199254740992.0 - 0.5;
    }
    cvxrelu_patterns *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(cvxrelu_patterns_sample(X, n, d, 300, 4, 0, &a, NULL), 0);
    assert_int_equal(cvxrelu_patterns_sample(X, n, d, 700, 4, 0, &b, NULL), 0);
    assert_int_equal(a->P, 300);
    assert_int_equal(b->P, 700);
    assert_memory_equal(a->gates, b->gates, 300 * d * sizeof(double));
    assert_memory_equal(a->bits, b->bits, 300 * a->words_per_pattern * 8);
    for (size_t i = 0; i < b->P; i += 37)
        for (size_t j = 0; j < n; j += 7) {
            double z = 0.0;
            for (size_t l = 0; l < d; l++) z += X[j * d + l] * b->gates[i * d + l];
            if (fabs(z) > 1e-12) assert_int_equal(cvxrelu_pattern_bit(b, i, j), z > 0.0);
        }
    /* given gates first, in order: the first 300 of b as G0 give b's patterns */
    assert_int_equal(cvxrelu_patterns_build(X, n, d, b->gates, 300, 700, 4, 0, NULL, &c, NULL,
                                            NULL), 0);
    assert_int_equal(c->P, 700);
    assert_memory_equal(c->bits, b->bits, 300 * b->words_per_pattern * 8);
    cvxrelu_patterns_free(c);
    c = NULL;
    volatile sig_atomic_t flag = 1;
    cvxrelu_limits lim = {0.0, &flag};
    cvxrelu_exit ex = CVXRELU_EXIT_CONVERGED;
    assert_int_equal(cvxrelu_patterns_build(X, n, d, NULL, 0, 700, 4, 0, &lim, &c, &ex, NULL), 0);
    /* the first block is always done: its patterns, the first of the stream */
    assert_int_equal(ex, CVXRELU_EXIT_INTERRUPTED);
    assert_non_null(c);
    assert_true(c->P > 0 && c->P < 700);
    assert_memory_equal(c->bits, b->bits, c->P * b->words_per_pattern * 8);
    cvxrelu_patterns_free(c);
    c = NULL;
    flag = 0;
    lim.time_limit_s = 1e-9;
    assert_int_equal(cvxrelu_patterns_build(X, n, d, NULL, 0, 700, 4, 0, &lim, &c, &ex, NULL), 0);
    assert_int_equal(ex, CVXRELU_EXIT_TIME_LIMIT);
    assert_true(c == NULL || c->P < 700);
    cvxrelu_patterns_free(c);
    lim.time_limit_s = 0.0;
    c = NULL;
    assert_int_equal(cvxrelu_patterns_build(X, n, d, NULL, 0, 700, 4, 0, &lim, &c, &ex, NULL), 0);
    assert_int_equal(ex, CVXRELU_EXIT_CONVERGED);
    assert_memory_equal(c->bits, b->bits, 700 * b->words_per_pattern * 8);
    cvxrelu_patterns_free(c);
    cvxrelu_patterns_free(a);
    cvxrelu_patterns_free(b);
    free(X);
}

/* The problem is required: NULL, or a NULL X or Y in it, is ERR_INVALID (NaN for lambda_max). */
static void test_problem_required(void **state)
{
    (void)state;
    problem p;
    problem_make(&p, 20, 3, 1, 5, 2);
    cvxrelu_solver *s = (cvxrelu_solver *)1;
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_solver_new(NULL, p.pat, NULL, &s, &err), CVXRELU_ERR_INVALID);
    assert_null(s);
    assert_non_null(strstr(err.msg, "problem"));
    cvxrelu_problem bad = p.pb;
    bad.Y = NULL;
    assert_int_equal(cvxrelu_solver_new(&bad, p.pat, NULL, &s, &err), CVXRELU_ERR_INVALID);
    assert_null(s);
    assert_true(isnan(cvxrelu_lambda_max(NULL, p.pat)));
    assert_true(isnan(cvxrelu_lambda_max(&bad, p.pat)));
    problem_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_finite_differences),
        cmocka_unit_test(test_prox_identity),
        cmocka_unit_test(test_lambda_max),
        cmocka_unit_test(test_random_problems_gap_and_kkt),
        cmocka_unit_test(test_screening_and_single_precision),
        cmocka_unit_test(test_working_set_path),
        cmocka_unit_test(test_precond_prox_optimality),
        cmocka_unit_test(test_preconditioned_same_program),
        cmocka_unit_test(test_recovery_matches_convex),
        cmocka_unit_test(test_warm_start_and_path),
        cmocka_unit_test(test_patterns_nested_and_distinct),
        cmocka_unit_test(test_patterns_blocks_and_stop),
        cmocka_unit_test(test_model_file_errors),
        cmocka_unit_test(test_problem_required),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
