/* BLAS identification and the library's dense kernels. */
#include "internal.h"

#include <cblas.h>
#include <stdio.h>
#include <string.h>

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
