/* libFuzzer harness: the weights-file reader (d and c from the first byte). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t d = 1 + data[0] % 8, c = 1 + (data[0] >> 3) % 4;
    const char *path = fuzz_file(".csv", data + 1, size - 1);
    double *W = NULL, *a = NULL;
    size_t *out = NULL, m = 0;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_weights_read(path, d, c, &W, &a, &out, &m, &err);
    fuzz_check_error(st, W, &err, path);
    if (W) {
        for (size_t i = 0; i < m * d; i++)
            if (!(W[i] - W[i] == 0.0)) abort(); /* finite */
        for (size_t j = 0; j < m; j++)
            if (!(a[j] - a[j] == 0.0) || out[j] >= c) abort();
    }
    free(W);
    free(a);
    free(out);
    return 0;
}
