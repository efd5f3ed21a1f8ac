/* libFuzzer harness: the model reader; what it accepts must save and load back bit-exactly. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(".model", data, size);
    cvxrelu_model *m = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_model_load(path, &m, &err);
    fuzz_check_error(st, m, &err, path);
    if (m) {
        char out[256];
        snprintf(out, sizeof out, "/tmp/cvxrelu_fuzz_%d_out.model", (int)getpid());
        if (cvxrelu_model_save(m, out, &err) == CVXRELU_OK) {
            cvxrelu_model *m2 = NULL;
            if (cvxrelu_model_load(out, &m2, &err) != CVXRELU_OK) abort();
            size_t rows = m->m * (m->width1 ? m->width1 : 1);
            if (m2->m != m->m || m2->width1 != m->width1 ||
                memcmp(m2->W, m->W, rows * m->d * sizeof(double)) != 0 ||
                (m->W2 && memcmp(m2->W2, m->W2, rows * sizeof(double)) != 0))
                abort();
            cvxrelu_model_free(m2);
        }
        cvxrelu_model_free(m);
    }
    return 0;
}
