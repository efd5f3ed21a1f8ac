/* libFuzzer harness: the CSV reader, then encoding of what it accepted. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(".csv", data, size);
    cvxrelu_read_opts o;
    cvxrelu_read_opts_default(&o);
    cvxrelu_dataset *ds = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_dataset_read(path, &o, &ds, &err);
    fuzz_check_error(st, ds, &err, path);
    if (ds) {
        cvxrelu_encoding *enc = NULL;
        if (cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 1, 1, &enc, &err) == CVXRELU_OK) {
            double *X = NULL, *Y = NULL;
            if (cvxrelu_encoding_features(enc, ds, &X, &err) == CVXRELU_OK) {
                for (size_t i = 0; i < ds->n * enc->d; i++)
                    if (X[i] != X[i]) abort(); /* never NaN */
            }
            cvxrelu_encoding_targets(enc, ds, &Y, &err);
            free(X);
            free(Y);
        }
        cvxrelu_encoding_free(enc);
    }
    cvxrelu_dataset_free(ds);
    return 0;
}
