/* libFuzzer harness: the LIBSVM / SVMlight reader. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(".svm", data, size);
    cvxrelu_read_opts o;
    cvxrelu_read_opts_default(&o);
    o.format = CVXRELU_FORMAT_LIBSVM;
    o.max_bytes = 256.0 * 1048576.0; /* stay inside the fuzzer's memory limit */
    cvxrelu_dataset *ds = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_dataset_read(path, &o, &ds, &err);
    fuzz_check_error(st, ds, &err, path);
    cvxrelu_dataset_free(ds);
    return 0;
}
