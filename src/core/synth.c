/* Synthetic problems with known structure, for tests and benchmarks. */
#include "internal.h"

#include <math.h>
#include <string.h>

cvxrelu_status cvxrelu_synthetic_teacher(size_t n, size_t d, size_t c, size_t hidden,
                                         double noise, uint64_t seed, double **X_out,
                                         double **Y_out, cvxrelu_error *err)
{
    *X_out = NULL;
    *Y_out = NULL;
    if (n == 0 || d == 0 || c == 0 || !(noise >= 0.0))
        return cr_fail(err, CVXRELU_ERR_INVALID, "synthetic: need n, d, c > 0 and noise >= 0");
    double *X = cr_malloc(n, d * sizeof(double)), *Y = cr_calloc(n, c * sizeof(double));
    double *W = cr_malloc(hidden ? hidden : 1, d * sizeof(double));
    double *A = cr_malloc(hidden ? hidden : 1, c * sizeof(double));
    if (!X || !Y || !W || !A) {
        free(X);
        free(Y);
        free(W);
        free(A);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "synthetic: out of memory (n=%zu, d=%zu)", n, d);
    }
    cr_rng rng;
    cr_rng_seed(&rng, seed);
    for (size_t i = 0; i < n * d; i++) X[i] = cr_rng_normal(&rng);
    const double sd = 1.0 / sqrt((double)d);
    for (size_t i = 0; i < hidden * d; i++) W[i] = sd * cr_rng_normal(&rng);
    for (size_t i = 0; i < hidden * c; i++) A[i] = cr_rng_normal(&rng);
    for (size_t r = 0; r < n; r++) {
        for (size_t j = 0; j < hidden; j++) {
            double z = 0.0;
            for (size_t k = 0; k < d; k++) z += X[r * d + k] * W[j * d + k];
            if (z > 0.0)
                for (size_t k = 0; k < c; k++) Y[r * c + k] += z * A[j * c + k];
        }
        for (size_t k = 0; k < c; k++) Y[r * c + k] += noise * cr_rng_normal(&rng);
    }
    free(W);
    free(A);
    *X_out = X;
    *Y_out = Y;
    return CVXRELU_OK;
}
