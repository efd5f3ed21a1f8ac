/* BLAS identification and the library's dense kernels. */
#include "internal.h"

#include <cblas.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *cvxrelu_blas_info(void)
{
    /* Built once per call into a static buffer is not thread-safe, so the
       string is composed from OpenBLAS's own static strings on each call and
       kept in thread-local storage. */
    static _Thread_local char buf[256];
    const char *cfg = openblas_get_config();
    const char *core = openblas_get_corename();
    snprintf(buf, sizeof buf, "%s; core %s; %d threads", cfg ? cfg : "OpenBLAS",
             core ? core : "unknown", openblas_get_num_threads());
    return buf;
}

int cvxrelu_blas_threads(void)
{
    return openblas_get_num_threads();
}

void cvxrelu_blas_set_threads(int threads)
{
    if (threads <= 0) threads = openblas_get_num_procs();
    openblas_set_num_threads(threads);
}

const char *cvxrelu_blas_better_core(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    const char *core = openblas_get_corename();
    if (!core) return NULL;
    __builtin_cpu_init();
    int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    static const char *const avx512_cores[] = {"skylakex", "cooperlake", "sapphirerapids"};
    static const char *const avx2_cores[] = {"haswell", "zen"};
    for (size_t i = 0; i < sizeof avx512_cores / sizeof *avx512_cores; i++)
        if (strcasecmp(core, avx512_cores[i]) == 0) return NULL;
    if (avx512) return "SkylakeX";
    for (size_t i = 0; i < sizeof avx2_cores / sizeof *avx2_cores; i++)
        if (strcasecmp(core, avx2_cores[i]) == 0) return NULL;
    if (avx2) return "Haswell";
#endif
    return NULL;
}

int cvxrelu_blas_threads_for(size_t n, size_t d, size_t m)
{
    return (double)n * (double)d * (double)m < 2e7 ? 1 : 0;
}
