/*
 * The eigenvalue upper bounds behind the spectral certificate: the trace-of-
 * powers bound used for large matrices must lie above LAPACK's largest
 * eigenvalue and within the factor k^(1/256) of it, also for indefinite
 * matrices (G_all - G_S in floating point) and for matrices with a flat
 * spectrum (the worst case).  Includes the source to reach its static helpers.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../src/certify/certify.c"

static double lapack_max(const double *A, size_t k)
{
    double *B = malloc(k * k * sizeof(double)), w = 0.0;
    memcpy(B, A, k * k * sizeof(double));
    assert_int_equal(cr_sym_eig_range(B, k, (int)k, (int)k, &w, NULL), 0);
    free(B);
    return w;
}

static void test_trace_power_bound(void **state)
{
    (void)state;
    const size_t k = 350, r = 500;
    double *M = malloc(r * k * sizeof(double)), *A = malloc(k * k * sizeof(double));
    cr_rng rng;
    cr_rng_seed(&rng, 3);
    for (int kind = 0; kind < 3; kind++) {
        for (size_t i = 0; i < r * k; i++) M[i] = cr_rng_normal(&rng) * (1.0 + (double)(i % 7));
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)k, (int)r, 1.0, M,
                    (int)k, M, (int)k, 0.0, A, (int)k);
        if (kind == 1) /* indefinite: a negative eigenvalue larger in size than the top one */
            for (size_t i = 0; i < k; i++) A[i * k + i] -= 2.5 * A[0];
        if (kind == 2) { /* flat spectrum: identity plus a small perturbation */
            for (size_t i = 0; i < k * k; i++) A[i] *= 1e-6;
            for (size_t i = 0; i < k; i++) A[i * k + i] += 1.0;
        }
        double lam = lapack_max(A, k), ub = sym_max_eig_upper(A, k);
        printf("# kind %d: LAPACK lambda_max %.12g, bound %.12g (ratio %.6f)\n", kind, lam, ub,
               ub / lam);
        assert_true(ub >= lam * (1.0 - 1e-12));
        if (kind != 1) assert_true(ub <= lam * pow((double)k, 1.0 / 256.0) * (1.0 + 1e-9));
    }
    free(M);
    free(A);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_trace_power_bound)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
