/*
 * Smallest use of libcvxrelu through its public header: a planted teacher,
 * sampled activation patterns, the gated-ReLU program solved to a certified
 * duality gap, and the recovered network.
 *
 *   cc quickstart.c $(pkg-config --cflags --libs --static cvxrelu) -o quickstart
 */
#include <cvxrelu.h>

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    const size_t n = 200, d = 5, P = 40;
    double *X, *Y;
    cvxrelu_error err = {{0}};
    if (cvxrelu_synthetic_teacher(n, d, 1, 4, 0.05, 42, &X, &Y, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const cvxrelu_problem pb = {X, n, d, Y, 1, CVXRELU_LOSS_SQUARED, 0.0}; /* borrows X and Y */
    cvxrelu_patterns *pat = NULL;
    cvxrelu_solver *solver = NULL;
    int rc = 1;
    if (cvxrelu_patterns_sample(X, n, d, P, 7, 0, &pat, &err)) goto out;

    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    set.lambda = 1e-3;
    if (cvxrelu_solver_new(&pb, pat, &set, &solver, &err)) goto out;
    cvxrelu_result res;
    if (cvxrelu_solver_solve(solver, &res, &err)) goto out;
    printf("exit %s after %zu iterations\n", cvxrelu_exit_string(res.exit), res.iterations);
    printf("objective %.10g, certified lower bound %.10g, gap %.2e\n", res.objective, res.dual,
           res.gap);
    printf("%zu of %zu neurons active\n", res.active_groups, pat->P);
    rc = res.exit == CVXRELU_EXIT_CONVERGED && res.gap >= 0.0 ? 0 : 1;
out:
    if (rc && err.msg[0]) fprintf(stderr, "%s\n", err.msg);
    cvxrelu_solver_free(solver);
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
    return rc;
}
