/* Helpers shared by the unit tests (include after cmocka.h and cvxrelu.h). */
#ifndef CVXRELU_TEST_HELPERS_H
#define CVXRELU_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>

/* A planted-teacher regression set (n x d, one output, 3 teacher neurons, noise 0.05)
   with its labels. */
static inline cvxrelu_dataset *teacher_set(size_t n, size_t d, uint64_t seed)
{
    double *X = NULL, *Y = NULL;
    assert_int_equal(cvxrelu_synthetic_teacher(n, d, 1, 3, 0.05, seed, &X, &Y, NULL), CVXRELU_OK);
    cvxrelu_dataset *ds = NULL;
    assert_int_equal(cvxrelu_dataset_from_arrays(n, d, X, Y, &ds, NULL), CVXRELU_OK);
    free(X);
    free(Y);
    return ds;
}

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
    cvxrelu_status st = cvxrelu_solver_new(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat, &set, &s, &err);
    if (st) printf("# %s\n", err.msg);
    assert_int_equal(st, 0);
    assert_int_equal(cvxrelu_solver_solve(s, res, NULL), 0);
    return s;
}

#endif
