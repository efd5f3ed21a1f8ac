/* libFuzzer harness: the IDX reader.  The first byte says where the input
   splits into the images file and the labels file. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t cut = 1 + (size - 1) * data[0] / 255;
    char lab[256];
    snprintf(lab, sizeof lab, "/tmp/cvxrelu_fuzz_%d-labels-idx1-ubyte", (int)getpid());
    FILE *f = fopen(lab, "wb");
    if (!f) abort();
    if (size > cut && fwrite(data + cut, 1, size - cut, f) != size - cut) abort();
    fclose(f);
    const char *path = fuzz_file("-images-idx3-ubyte", data + 1, cut - 1);
    cvxrelu_read_opts o;
    cvxrelu_read_opts_default(&o);
    o.format = CVXRELU_FORMAT_IDX;
    o.idx_labels = lab;
    cvxrelu_dataset *ds = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_dataset_read(path, &o, &ds, &err);
    if (st != CVXRELU_OK && ds) abort();
    cvxrelu_dataset_free(ds);
    return 0;
}
