/* libFuzzer harness: the gates-file reader (d from the first byte). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t d = 1 + data[0] % 8;
    const char *path = fuzz_file(".csv", data + 1, size - 1);
    double *G = NULL;
    size_t m = 0;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_gates_read(path, d, &G, &m, &err);
    fuzz_check_error(st, G, &err, path);
    if (G)
        for (size_t i = 0; i < m * d; i++)
            if (!(G[i] - G[i] == 0.0)) abort(); /* finite */
    free(G);
    return 0;
}
