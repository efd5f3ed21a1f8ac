/* Helpers shared by the unit tests (include after cmocka.h and cvxrelu.h). */
#ifndef CVXRELU_TEST_HELPERS_H
#define CVXRELU_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>

/* An identity encoding (no standardization, no bias) for models built in tests. */
static inline cvxrelu_encoding *plain_encoding(size_t d, size_t c)
{
    cvxrelu_encoding *enc = calloc(1, sizeof *enc);
    enc->task = CVXRELU_TASK_REGRESSION;
    enc->d_raw = d;
    enc->d = d;
    enc->c = c;
    enc->mean = calloc(d, sizeof(double));
    enc->scale = malloc(d * sizeof(double));
    for (size_t k = 0; k < d; k++) enc->scale[k] = 1.0;
    return enc;
}

/* Solve a program to relative gap eps (at most 300000 iterations); asserts success. */
static inline cvxrelu_solver *solve(const double *X, size_t n, size_t d, const double *Y,
                                    size_t c, const cvxrelu_patterns *pat,
                                    cvxrelu_solver_kind kind, double lambda, double eps,
                                    cvxrelu_result *res)
{
    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    set.solver = kind;
    set.lambda = lambda;
    set.tol = eps;
    set.max_iter = 300000;
    cvxrelu_solver *s;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_solver_new(&(cvxrelu_problem){X, n, d, Y, c}, pat, &set, &s, &err);
    if (st) printf("# %s\n", err.msg);
    assert_int_equal(st, 0);
    assert_int_equal(cvxrelu_solver_solve(s, res, NULL), 0);
    return s;
}

#endif
