/*
 * The SDP relaxation of [PBY24] through the public header: a certified lower
 * bound on the objective of every two-layer ReLU network on these data, a
 * network read out of the solution, and where that network stands between the
 * bound and the zero network.
 *
 *   cc sdp_bound.c $(pkg-config --cflags --libs --static cvxrelu) -o sdp_bound
 */
#include <cvxrelu.h>

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    const size_t n = 40, d = 3, c = 1;
    const double lambda = 1e-2;
    double *X, *Y, *U = NULL, *V = NULL;
    cvxrelu_error err = {{0}};
    if (cvxrelu_synthetic_teacher(n, d, c, 3, 0.05, 11, &X, &Y, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int rc = 1;
    cvxrelu_blas_set_threads(1); /* small products: one thread is faster */
    cvxrelu_sdp_result res = {0};
    cvxrelu_sdp_settings s;
    cvxrelu_sdp_settings_default(&s); /* ADMM, relative accuracy 1e-4 */
    const cvxrelu_problem pb = {X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}; /* borrows X and Y */
    if (cvxrelu_sdp_solve(&pb, lambda, &s, &res, &err)) goto out;
    printf("relaxation: %s after %zu iterations, value %.8g, rank %zu\n",
           cvxrelu_exit_string(res.exit), res.iterations, res.value, res.rank);

    /* a network of rank(Z) neurons read out of the solution: f(x) = sum_j (x.u_j)_+ v_j */
    size_t R = res.rank ? res.rank : 1;
    if (cvxrelu_sdp_readout(&pb, lambda, &res, R, 0, 1, NULL, &U, &V, NULL, &err)) goto out;
    double loss = 0.0, decay = 0.0, y2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double f = 0.0;
        for (size_t j = 0; j < R; j++) {
            double z = 0.0;
            for (size_t k = 0; k < d; k++) z += X[i * d + k] * U[j * d + k];
            if (z > 0.0) f += z * V[j];
        }
        loss += (f - Y[i]) * (f - Y[i]);
        y2 += Y[i] * Y[i];
    }
    for (size_t t = 0; t < R * d; t++) decay += U[t] * U[t];
    for (size_t t = 0; t < R; t++) decay += V[t] * V[t];
    double objective = loss / (2.0 * n) + 0.5 * lambda * decay;
    /* any network's objective tightens the certificate */
    double lb = cvxrelu_sdp_lower_bound_for(&res, objective);
    printf("certified lower bound %.8g: no network of any width does better\n", lb);
    printf("read-out network of %zu neurons: objective %.8g (zero network %.8g)\n", R,
           objective, y2 / (2.0 * n));
    rc = lb <= objective && lb <= res.value * (1.0 + 1e-3) ? 0 : 1;
out:
    cvxrelu_sdp_result_free(&res);
    if (rc && err.msg[0]) fprintf(stderr, "%s\n", err.msg);
    free(X);
    free(Y);
    free(U);
    free(V);
    return rc;
}
