/* Unit tests of the data readers, splits, encodings and the gates reader. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cvxrelu.h"

#ifndef FIXTURES_DIR
#error "FIXTURES_DIR must be defined"
#endif

/* ------------------------------------------------------------ helpers */

static char tmpdir[256];
static char created[128][512];
static size_t n_created;

static int group_setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/cvxrelu_test_data_XXXXXX", base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    for (size_t k = 0; k < n_created; k++) unlink(created[k]);
    return rmdir(tmpdir);
}

/* Write len bytes (or, with gz, a gzip stream of them) to tmpdir/name. */
static const char *write_tmp(const char *name, const void *data, size_t len, int gz)
{
    assert_true(n_created < 128);
    char *path = created[n_created++];
    snprintf(path, sizeof created[0], "%s/%s", tmpdir, name);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(gzwrite(f, data, (unsigned)len), (int)len);
        assert_int_equal(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
    }
    return path;
}

static const char *write_text(const char *name, const char *text)
{
    return write_tmp(name, text, strlen(text), 0);
}

static const char *fixture(const char *name)
{
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", FIXTURES_DIR, name);
    return p;
}

static cvxrelu_dataset *read_ok(const char *path, const cvxrelu_read_opts *o)
{
    cvxrelu_dataset *ds = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_dataset_read(path, o, &ds, &err);
    if (st != CVXRELU_OK) fail_msg("%s: %s", path, err.msg);
    assert_non_null(ds);
    return ds;
}

/* The read fails with st, *out stays NULL, and the message holds every needle. */
static void read_fails(const char *path, const cvxrelu_read_opts *o, cvxrelu_status want,
                       const char *n1, const char *n2)
{
    cvxrelu_dataset *ds = (cvxrelu_dataset *)&ds; /* non-NULL garbage */
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_dataset_read(path, o, &ds, &err);
    if (st != want) fail_msg("%s: status %d, want %d (%s)", path, st, want, err.msg);
    assert_null(ds);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!strstr(err.msg, base)) fail_msg("message lacks the file name: %s", err.msg);
    if (n1 && !strstr(err.msg, n1)) fail_msg("message lacks \"%s\": %s", n1, err.msg);
    if (n2 && !strstr(err.msg, n2)) fail_msg("message lacks \"%s\": %s", n2, err.msg);
}

static cvxrelu_read_opts opts_fmt(cvxrelu_format f)
{
    cvxrelu_read_opts o;
    cvxrelu_read_opts_default(&o);
    o.format = f;
    return o;
}

/* ------------------------------------------------------------ CSV */

static void test_csv_header_string_labels(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = read_ok(fixture("good.csv"), NULL);
    assert_int_equal(ds->n, 12);
    assert_int_equal(ds->d, 3);
    assert_true(ds->has_labels);
    assert_non_null(ds->feature_names);
    assert_string_equal(ds->feature_names[0], "x1");
    assert_string_equal(ds->feature_names[2], "x3");
    assert_string_equal(ds->label_text[0], "yes");
    assert_string_equal(ds->label_text[1], "no");
    assert_true(isnan(ds->label_value[0]));
    assert_float_equal(ds->X[0], 0.5, 0);
    assert_float_equal(ds->X[1 * 3 + 2], 0.7, 0);
    assert_float_equal(ds->X[11 * 3 + 1], 2.5, 0);
    assert_non_null(strstr(ds->source, "good.csv"));
    cvxrelu_dataset_free(ds);
}

static void test_csv_quotes_crlf(void **state)
{
    (void)state;
    const char *path = write_text("quoted.csv",
                                  "\"a\",\"b,c\",label\r\n"
                                  "1,\"2\",yes\r\n"
                                  " \"3.5\" , 4 ,\"say \"\"hi\"\"\"\r\n"
                                  "\r\n\r\n");
    cvxrelu_dataset *ds = read_ok(path, NULL);
    assert_int_equal(ds->n, 2);
    assert_int_equal(ds->d, 2);
    assert_string_equal(ds->feature_names[0], "a");
    assert_string_equal(ds->feature_names[1], "b,c");
    assert_float_equal(ds->X[0], 1.0, 0);
    assert_float_equal(ds->X[1], 2.0, 0);
    assert_float_equal(ds->X[2], 3.5, 0);
    assert_float_equal(ds->X[3], 4.0, 0);
    assert_string_equal(ds->label_text[0], "yes");
    assert_string_equal(ds->label_text[1], "say \"hi\"");
    cvxrelu_dataset_free(ds);
}

static void test_csv_numeric_labels_no_header(void **state)
{
    (void)state;
    const char *path = write_text("numeric.csv", "1,2,0\n3,4, 1.5 \n5,6,-2\n");
    cvxrelu_dataset *ds = read_ok(path, NULL);
    assert_int_equal(ds->n, 3);
    assert_int_equal(ds->d, 2);
    assert_null(ds->feature_names);
    assert_string_equal(ds->label_text[1], "1.5");
    assert_float_equal(ds->label_value[0], 0.0, 0);
    assert_float_equal(ds->label_value[1], 1.5, 0);
    assert_float_equal(ds->label_value[2], -2.0, 0);
    assert_float_equal(ds->X[5], 6.0, 0);
    cvxrelu_dataset_free(ds);
}

static void test_csv_label_col_and_header_flag(void **state)
{
    (void)state;
    const char *path = write_text("first.csv", "7,2,3\n8,4,5\n");
    cvxrelu_read_opts o = opts_fmt(CVXRELU_FORMAT_CSV);
    o.label_col = 0;
    cvxrelu_dataset *ds = read_ok(path, &o);
    assert_int_equal(ds->n, 2);
    assert_int_equal(ds->d, 2);
    assert_string_equal(ds->label_text[1], "8");
    assert_float_equal(ds->X[0], 2.0, 0);
    assert_float_equal(ds->X[3], 5.0, 0);
    cvxrelu_dataset_free(ds);

    o.header = 1; /* the first (numeric) row is a header when told so */
    ds = read_ok(path, &o);
    assert_int_equal(ds->n, 1);
    assert_string_equal(ds->feature_names[0], "2");
    cvxrelu_dataset_free(ds);

    /* a string label in the header's label column does not make a header */
    path = write_text("labelhead.csv", "1,2,yes\n3,4,no\n");
    ds = read_ok(path, NULL);
    assert_int_equal(ds->n, 2);
    cvxrelu_dataset_free(ds);
}

static void test_csv_no_labels(void **state)
{
    (void)state;
    const char *path = write_text("nolabels.csv", "p,q,r\n1,2,3\n4,5,6\n");
    cvxrelu_read_opts o = opts_fmt(CVXRELU_FORMAT_AUTO);
    o.has_labels = 0;
    cvxrelu_dataset *ds = read_ok(path, &o);
    assert_int_equal(ds->n, 2);
    assert_int_equal(ds->d, 3);
    assert_false(ds->has_labels);
    assert_null(ds->label_text);
    assert_null(ds->label_value);
    assert_string_equal(ds->feature_names[2], "r");
    assert_float_equal(ds->X[5], 6.0, 0);
    cvxrelu_dataset_free(ds);
}

static void test_csv_gzip(void **state)
{
    (void)state;
    const char *text = "a,b,y\n1,2,cat\n3,4,dog\n5,6,cat\n";
    const char *path = write_tmp("zipped.csv.gz", text, strlen(text), 1);
    cvxrelu_dataset *ds = read_ok(path, NULL);
    assert_int_equal(ds->n, 3);
    assert_int_equal(ds->d, 2);
    assert_string_equal(ds->label_text[1], "dog");
    assert_float_equal(ds->X[4], 5.0, 0);
    cvxrelu_dataset_free(ds);
}

/* ------------------------------------------------------------ LIBSVM */

static void test_libsvm(void **state)
{
    (void)state;
    const char *path = write_text("small.svm", "1 1:0.5 3:2 # comment\r\n"
                                               "# a whole comment line\n"
                                               "-1 2:1\n"
                                               "\n"
                                               "+1 qid:3 1:1 3:-4e-1\n");
    cvxrelu_dataset *ds = read_ok(path, NULL);
    assert_int_equal(ds->n, 3);
    assert_int_equal(ds->d, 3);
    const double want[9] = {0.5, 0, 2, 0, 1, 0, 1, 0, -0.4};
    for (int k = 0; k < 9; k++) assert_float_equal(ds->X[k], want[k], 0);
    assert_string_equal(ds->label_text[2], "+1");
    assert_float_equal(ds->label_value[1], -1.0, 0);
    assert_float_equal(ds->label_value[2], 1.0, 0);
    cvxrelu_dataset_free(ds);

    cvxrelu_read_opts o = opts_fmt(CVXRELU_FORMAT_LIBSVM);
    o.n_features = 5;
    ds = read_ok(path, &o);
    assert_int_equal(ds->d, 5);
    assert_float_equal(ds->X[5 * 2 + 2], -0.4, 0);
    cvxrelu_dataset_free(ds);

    o.n_features = 2;
    read_fails(path, &o, CVXRELU_ERR_FORMAT, "small.svm:1:", "expected an index <= 2");
}

static void test_libsvm_errors(void **state)
{
    (void)state;
    read_fails(fixture("bad/bad_token.svm"), NULL, CVXRELU_ERR_FORMAT, "bad_token.svm:2:",
               "got \"x:3\"");
    read_fails(fixture("bad/nonincreasing.svm"), NULL, CVXRELU_ERR_FORMAT,
               "nonincreasing.svm:3:", "expected an index greater than 2");
    read_fails(write_text("nolabel.svm", "1 1:2\n2:3\n"), NULL, CVXRELU_ERR_FORMAT,
               "nolabel.svm:2:", "missing label");
    read_fails(write_text("naninf.svm", "1 1:2\n0 1:inf\n"), NULL, CVXRELU_ERR_FORMAT,
               "naninf.svm:2:", "expected a finite number");
    read_fails(write_text("zeroidx.svm", "1 0:2\n"), NULL, CVXRELU_ERR_FORMAT,
               "zeroidx.svm:1:", "INDEX:VALUE");
    read_fails(write_text("blank.svm", "\n# nothing\n"), NULL, CVXRELU_ERR_FORMAT,
               "empty file", NULL);
}

/* ------------------------------------------------------------ IDX */

static size_t idx_write(unsigned char *b, unsigned char ndim, const uint32_t *dims,
                        const unsigned char *data, size_t count)
{
    size_t k = 0;
    b[k++] = 0;
    b[k++] = 0;
    b[k++] = 0x08;
    b[k++] = ndim;
    for (int i = 0; i < ndim; i++) {
        b[k++] = (unsigned char)(dims[i] >> 24);
        b[k++] = (unsigned char)(dims[i] >> 16);
        b[k++] = (unsigned char)(dims[i] >> 8);
        b[k++] = (unsigned char)dims[i];
    }
    memcpy(b + k, data, count);
    return k + count;
}

static const unsigned char idx_pixels[12] = {0, 255, 7, 8, 1, 2, 3, 4, 9, 10, 11, 200};
static const unsigned char idx_labels[3] = {7, 0, 9};

static void test_idx_roundtrip(void **state)
{
    (void)state;
    unsigned char img[64], lab[64];
    const uint32_t di[3] = {3, 2, 2}, dl[1] = {3};
    size_t ni = idx_write(img, 3, di, idx_pixels, 12), nl = idx_write(lab, 1, dl, idx_labels, 3);
    for (int gz = 0; gz < 2; gz++) {
        const char *path = write_tmp(gz ? "t-images-idx3-ubyte.gz" : "t-images-idx3-ubyte", img,
                                     ni, gz);
        /* labels stored with the other compression: found by toggling .gz */
        write_tmp(gz ? "t-labels-idx1-ubyte" : "t-labels-idx1-ubyte.gz", lab, nl, !gz);
        cvxrelu_dataset *ds = read_ok(path, NULL);
        assert_int_equal(ds->n, 3);
        assert_int_equal(ds->d, 4);
        for (int k = 0; k < 12; k++) assert_float_equal(ds->X[k], idx_pixels[k], 0);
        assert_string_equal(ds->label_text[0], "7");
        assert_string_equal(ds->label_text[2], "9");
        assert_float_equal(ds->label_value[2], 9.0, 0);
        cvxrelu_dataset_free(ds);
    }
    /* explicit labels path, unusual names */
    const char *ipath = write_tmp("pix.bin", img, ni, 0);
    cvxrelu_read_opts o = opts_fmt(CVXRELU_FORMAT_IDX);
    o.idx_labels = write_tmp("lab.bin", lab, nl, 0);
    cvxrelu_dataset *ds = read_ok(ipath, &o);
    assert_int_equal(ds->n, 3);
    assert_string_equal(ds->label_text[1], "0");
    cvxrelu_dataset_free(ds);
}

static void test_idx_errors(void **state)
{
    (void)state;
    unsigned char img[64], lab[64];
    const uint32_t di[3] = {3, 2, 2}, dl[1] = {2};
    size_t ni = idx_write(img, 3, di, idx_pixels, 12), nl = idx_write(lab, 1, dl, idx_labels, 2);
    cvxrelu_read_opts o = opts_fmt(CVXRELU_FORMAT_IDX);

    unsigned char badmagic[64];
    memcpy(badmagic, img, ni);
    badmagic[2] = 0x0D; /* float data */
    read_fails(write_tmp("m-images-idx3-ubyte", badmagic, ni, 0), NULL, CVXRELU_ERR_FORMAT,
               "bad magic", "0x00000d03");
    read_fails(write_tmp("tr-images-idx3-ubyte", img, ni - 1, 0), NULL, CVXRELU_ERR_FORMAT,
               "truncated", "expected 12 data bytes");
    read_fails(write_tmp("hd-images-idx3-ubyte", img, 9, 0), NULL, CVXRELU_ERR_FORMAT,
               "truncated", "16-byte header");
    /* count mismatch: 3 images, 2 labels */
    write_tmp("cm-labels-idx1-ubyte", lab, nl, 0);
    read_fails(write_tmp("cm-images-idx3-ubyte", img, ni, 0), NULL, CVXRELU_ERR_FORMAT,
               "cm-labels-idx1-ubyte", "expected 3 labels");
    /* missing labels file */
    read_fails(write_tmp("nolab-images-idx3-ubyte", img, ni, 0), NULL, CVXRELU_ERR_IO,
               "nolab-labels-idx1-ubyte", "cannot open");
    /* labels not derivable from the name */
    read_fails(write_tmp("pixels.idx", img, ni, 0), &o, CVXRELU_ERR_INVALID, "idx_labels",
               NULL);
    /* images read without labels */
    o.has_labels = 0;
    cvxrelu_dataset *ds = read_ok(created[n_created - 1], &o);
    assert_int_equal(ds->n, 3);
    assert_false(ds->has_labels);
    cvxrelu_dataset_free(ds);
}

static void test_idx_fashion_mnist(void **state)
{
    (void)state;
    const char *path = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    if (access(path, R_OK) != 0) skip();
    cvxrelu_dataset *ds = read_ok(path, NULL);
    assert_int_equal(ds->n, 10000);
    assert_int_equal(ds->d, 784);
    size_t counts[10] = {0};
    for (size_t i = 0; i < ds->n; i++) {
        assert_true(ds->label_value[i] >= 0 && ds->label_value[i] <= 9);
        counts[(size_t)ds->label_value[i]]++;
    }
    for (int k = 0; k < 10; k++) assert_int_equal(counts[k], 1000);
    for (size_t k = 0; k < ds->n * ds->d; k++) assert_true(ds->X[k] >= 0 && ds->X[k] <= 255);
    cvxrelu_dataset_free(ds);
}

/* ------------------------------------------------------------ CSV errors */

static void test_csv_errors(void **state)
{
    (void)state;
    read_fails(fixture("bad/empty.csv"), NULL, CVXRELU_ERR_FORMAT, "empty file", NULL);
    read_fails(fixture("bad/header_only.csv"), NULL, CVXRELU_ERR_FORMAT, "header_only.csv:1:",
               "expected data rows");
    read_fails(fixture("bad/ragged.csv"), NULL, CVXRELU_ERR_FORMAT, "ragged.csv:3:",
               "expected 4 fields, got 3");
    read_fails(fixture("bad/nonnumeric.csv"), NULL, CVXRELU_ERR_FORMAT, "nonnumeric.csv:3:",
               "field 2: expected a number, got \"abc\"");
    read_fails(fixture("bad/nan.csv"), NULL, CVXRELU_ERR_FORMAT, "nan.csv:4:",
               "field 2: expected a finite number, got \"nan\"");
    read_fails(fixture("bad/inf.csv"), NULL, CVXRELU_ERR_FORMAT, "inf.csv:5:",
               "field 1: expected a finite number");
    read_fails(fixture("bad/missing_label.csv"), NULL, CVXRELU_ERR_FORMAT,
               "missing_label.csv:6:", "missing label");
    read_fails(fixture("bad/does_not_exist.csv"), NULL, CVXRELU_ERR_IO, "cannot open", NULL);
    read_fails(write_text("unterminated.csv", "a,b\n1,\"2\n3,4\n"), NULL, CVXRELU_ERR_FORMAT,
               "unterminated.csv:2:", "closing quote");
    read_fails(write_text("afterquote.csv", "a,b\n1,\"2\"x\n"), NULL, CVXRELU_ERR_FORMAT,
               "afterquote.csv:2:", "after a closing quote");
    read_fails(write_text("onecol.csv", "1\n2\n"), NULL, CVXRELU_ERR_FORMAT, "onecol.csv:1:",
               "at least 2 fields");
    cvxrelu_read_opts o = opts_fmt(CVXRELU_FORMAT_CSV);
    o.label_col = 5;
    read_fails(fixture("good.csv"), &o, CVXRELU_ERR_FORMAT, "good.csv:1:", "label column");
    /* a corrupt gzip stream */
    const char *text = "a,b,y\n1,2,cat\n3,4,dog\n5,6,cat\n";
    char gzbuf[256];
    const char *gz = write_tmp("full.csv.gz", text, strlen(text), 1);
    FILE *f = fopen(gz, "rb");
    size_t gzlen = fread(gzbuf, 1, sizeof gzbuf, f);
    fclose(f);
    read_fails(write_tmp("cut.csv.gz", gzbuf, gzlen - 10, 0), NULL, CVXRELU_ERR_FORMAT,
               "cut.csv.gz", "gzip");
}

/* ------------------------------------------------------------ in memory, splits */

static cvxrelu_dataset *arrays(size_t n, size_t d)
{
    double *X = malloc(n * d * sizeof *X), *y = malloc(n * sizeof *y);
    for (size_t k = 0; k < n * d; k++) X[k] = (double)k;
    for (size_t i = 0; i < n; i++) y[i] = (double)i + 0.1;
    cvxrelu_dataset *ds = NULL;
    assert_int_equal(cvxrelu_dataset_from_arrays(n, d, X, y, &ds, NULL), CVXRELU_OK);
    free(X);
    free(y);
    return ds;
}

static void test_from_arrays_subset(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = arrays(5, 2);
    assert_int_equal(ds->n, 5);
    assert_string_equal(ds->label_text[1], "1.1");
    assert_float_equal(ds->label_value[1], 1.1, 0);
    const size_t idx[3] = {4, 0, 4};
    cvxrelu_dataset *sub = NULL;
    assert_int_equal(cvxrelu_dataset_subset(ds, idx, 3, &sub, NULL), CVXRELU_OK);
    assert_int_equal(sub->n, 3);
    assert_float_equal(sub->X[0], 8.0, 0);
    assert_float_equal(sub->X[3], 1.0, 0);
    assert_string_equal(sub->label_text[2], "4.1");
    cvxrelu_dataset_free(sub);
    const size_t bad[1] = {5};
    cvxrelu_error err;
    sub = ds;
    assert_int_equal(cvxrelu_dataset_subset(ds, bad, 1, &sub, &err), CVXRELU_ERR_INVALID);
    assert_null(sub);
    assert_non_null(strstr(err.msg, "out of range"));
    cvxrelu_dataset_free(ds);
    cvxrelu_dataset_free(NULL);

    const double X[2] = {1, 2};
    assert_int_equal(cvxrelu_dataset_from_arrays(2, 1, X, NULL, &ds, NULL), CVXRELU_OK);
    assert_false(ds->has_labels);
    assert_null(ds->label_text);
    cvxrelu_dataset_free(ds);
}

static void test_split(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = arrays(10, 2), *tr, *te, *tr2, *te2;
    assert_int_equal(cvxrelu_dataset_split(ds, 0.3, 42, &tr, &te, NULL), CVXRELU_OK);
    assert_int_equal(te->n, 3);
    assert_int_equal(tr->n, 7);
    /* a partition of the rows: label values 0.1 .. 9.1 each once */
    int seen[10] = {0};
    for (size_t i = 0; i < te->n; i++) seen[(int)te->label_value[i]]++;
    for (size_t i = 0; i < tr->n; i++) seen[(int)tr->label_value[i]]++;
    for (int k = 0; k < 10; k++) assert_int_equal(seen[k], 1);
    /* rows stay whole */
    for (size_t i = 0; i < te->n; i++)
        assert_float_equal(te->X[2 * i], 2.0 * floor(te->label_value[i]), 0);
    /* same seed, same split */
    assert_int_equal(cvxrelu_dataset_split(ds, 0.3, 42, &tr2, &te2, NULL), CVXRELU_OK);
    assert_memory_equal(te->X, te2->X, te->n * te->d * sizeof(double));
    assert_memory_equal(tr->X, tr2->X, tr->n * tr->d * sizeof(double));
    cvxrelu_dataset_free(tr2);
    cvxrelu_dataset_free(te2);
    /* some other seed gives another split */
    int differs = 0;
    for (uint64_t s = 1; s < 20 && !differs; s++) {
        assert_int_equal(cvxrelu_dataset_split(ds, 0.3, s, &tr2, &te2, NULL), CVXRELU_OK);
        differs = memcmp(te->X, te2->X, te->n * te->d * sizeof(double)) != 0;
        cvxrelu_dataset_free(tr2);
        cvxrelu_dataset_free(te2);
    }
    assert_true(differs);
    cvxrelu_dataset_free(tr);
    cvxrelu_dataset_free(te);
    /* sizes: at least one row each side for 0 < frac < 1 */
    const double fr[5] = {0.01, 0.99, 0.0, 1.0, 0.25};
    const size_t nt[5] = {1, 9, 0, 10, 3};
    for (int k = 0; k < 5; k++) {
        assert_int_equal(cvxrelu_dataset_split(ds, fr[k], 7, &tr, &te, NULL), CVXRELU_OK);
        assert_int_equal(te->n, nt[k]);
        assert_int_equal(tr->n, 10 - nt[k]);
        cvxrelu_dataset_free(tr);
        cvxrelu_dataset_free(te);
    }
    assert_int_equal(cvxrelu_dataset_split(ds, 1.5, 7, &tr, &te, NULL), CVXRELU_ERR_INVALID);
    assert_null(tr);
    assert_null(te);
    assert_int_equal(cvxrelu_dataset_split(ds, NAN, 7, &tr, &te, NULL), CVXRELU_ERR_INVALID);
    cvxrelu_dataset_free(ds);
}


/* Reliability, second pass: the line bound (lowered through the read options), NUL
   bytes, a mixed first row, line breaks in labels, the file line kept through a split,
   nan labels. */

static void test_text_hostile(void **state)
{
    (void)state;
    cvxrelu_read_opts csv = opts_fmt(CVXRELU_FORMAT_CSV), svm = opts_fmt(CVXRELU_FORMAT_LIBSVM);
    csv.max_line_bytes = svm.max_line_bytes = 16;
    read_fails(write_text("long.csv", "a,b,y\n1,2,p\n1.000000000000000000000,2,q\n"), &csv,
               CVXRELU_ERR_FORMAT, "long.csv:3", "longer than 16 bytes");
    read_fails(write_text("long.svm", "1 1:1\n-1 1:2 2:3 3:4 4:5 5:6\n"), &svm,
               CVXRELU_ERR_FORMAT, "long.svm:2", "longer than");
    csv.max_line_bytes = svm.max_line_bytes = 0; /* the default */
    read_fails(write_tmp("nul.csv", "a,b,y\n1,2,p\n0.1\0" "999,2,q\n", 24, 0), &csv,
               CVXRELU_ERR_FORMAT, "nul.csv:3", "NUL byte");
    read_fails(write_tmp("nul.svm", "1 1:1\n-1 1:0.1\0" "999\n", 19, 0), &svm,
               CVXRELU_ERR_FORMAT, "nul.svm:2", "NUL byte");
    read_fails(write_text("mixed.csv", "0.2.5,1,2\n1,2,3\n"), &csv, CVXRELU_ERR_FORMAT,
               "mixed.csv:1: field 1", "\"0.2.5\"");
    read_fails(write_text("mixed2.csv", "x,1,y\n1,2,3\n"), &csv, CVXRELU_ERR_FORMAT,
               "mixed2.csv:1: field 1", "neither a header");
    cvxrelu_dataset *ds = read_ok(write_text("hdr.csv", "x,z,y\n1,2,3\n"), &csv);
    assert_true(ds->header_auto);
    assert_non_null(ds->feature_names);
    cvxrelu_dataset_free(ds);
    csv.header = 1; /* a header given: no detection */
    ds = read_ok(write_text("hdr2.csv", "x,1,y\n1,2,3\n"), &csv);
    assert_false(ds->header_auto);
    cvxrelu_dataset_free(ds);
    csv.header = -1;
    read_fails(write_text("lb.csv", "a,y\n1,p\n2,\"p\nq\"\n"), &csv, CVXRELU_ERR_FORMAT,
               "lb.csv:3", "line break");
    ds = read_ok(write_tmp("bom.svm", "\xEF\xBB\xBF" "1 1:1\n-1 1:2\n", 16, 0), &svm);
    assert_string_equal(ds->label_text[0], "1");
    assert_int_equal(ds->row_line[1], 2);
    cvxrelu_dataset_free(ds);
    /* a split keeps each row's file line */
    ds = read_ok(write_text("lines.csv", "a,y\n\n1,1\n2,2\n3,3\n\n4,4\n5,5\n"), &csv);
    const size_t want[5] = {3, 4, 5, 7, 8};
    for (size_t i = 0; i < 5; i++) assert_int_equal(ds->row_line[i], want[i]);
    cvxrelu_dataset *tr, *te;
    assert_int_equal(cvxrelu_dataset_split(ds, 0.4, 3, &tr, &te, NULL), CVXRELU_OK);
    for (size_t i = 0; i < te->n; i++)
        assert_int_equal(te->row_line[i], want[(int)te->label_value[i] - 1]);
    cvxrelu_dataset_free(tr);
    cvxrelu_dataset_free(te);
    cvxrelu_dataset_free(ds);
    /* nan in a numeric label column: an error naming the line, for regression and auto */
    ds = read_ok(write_text("nanlab.csv", "x,y\n1,1.5\n2,2.5\n3,nan\n"), NULL);
    cvxrelu_encoding *enc = NULL;
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 1, 1, &enc, &err),
                     CVXRELU_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "nanlab.csv:4"));
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_REGRESSION, 1, 1, &enc, &err),
                     CVXRELU_ERR_FORMAT);
    assert_null(enc);
    cvxrelu_dataset_free(ds);
}

/* ------------------------------------------------------------ encodings */

static cvxrelu_dataset *labelled(const char *name, const char *text)
{
    return read_ok(write_text(name, text), NULL);
}

static void test_encoding_two_classes(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = read_ok(fixture("good.csv"), NULL);
    cvxrelu_encoding *enc = NULL;
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 1, 1, &enc, NULL),
                     CVXRELU_OK);
    assert_int_equal(enc->task, CVXRELU_TASK_CLASSIFICATION);
    assert_int_equal(enc->n_classes, 2);
    assert_int_equal(enc->c, 1);
    assert_string_equal(enc->classes[0], "no");
    assert_string_equal(enc->classes[1], "yes");
    double *Y;
    assert_int_equal(cvxrelu_encoding_targets(enc, ds, &Y, NULL), CVXRELU_OK);
    for (size_t i = 0; i < ds->n; i++)
        assert_float_equal(Y[i], strcmp(ds->label_text[i], "yes") == 0 ? 1.0 : -1.0, 0);
    assert_int_equal(cvxrelu_encoding_decide(enc, &Y[0]), 1);
    assert_int_equal(cvxrelu_encoding_decide(enc, &Y[1]), 0);
    free(Y);
    cvxrelu_encoding_free(enc);
    cvxrelu_encoding_free(NULL);
    cvxrelu_dataset_free(ds);
}

static void test_encoding_three_classes(void **state)
{
    (void)state;
    /* numeric class names sort numerically: 9 < 10 < 11 */
    cvxrelu_dataset *ds = labelled("three.csv", "1,10\n2,9\n3,11\n4,9\n");
    cvxrelu_encoding *enc = NULL;
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 0, 0, &enc, NULL),
                     CVXRELU_OK);
    assert_int_equal(enc->task, CVXRELU_TASK_CLASSIFICATION);
    assert_int_equal(enc->c, 3);
    assert_string_equal(enc->classes[0], "9");
    assert_string_equal(enc->classes[1], "10");
    assert_string_equal(enc->classes[2], "11");
    double *Y;
    assert_int_equal(cvxrelu_encoding_targets(enc, ds, &Y, NULL), CVXRELU_OK);
    const double want[12] = {0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0};
    for (int k = 0; k < 12; k++) assert_float_equal(Y[k], want[k], 0);
    const size_t cls[4] = {1, 0, 2, 0};
    for (size_t i = 0; i < 4; i++) assert_int_equal(cvxrelu_encoding_decide(enc, Y + 3 * i), cls[i]);
    free(Y);
    cvxrelu_encoding_free(enc);
    cvxrelu_dataset_free(ds);

    /* text classes sort by strcmp */
    ds = labelled("text3.csv", "1,pear\n2,apple\n3,fig\n");
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 0, 0, &enc, NULL),
                     CVXRELU_OK);
    assert_string_equal(enc->classes[0], "apple");
    assert_string_equal(enc->classes[2], "pear");
    cvxrelu_encoding_free(enc);
    cvxrelu_dataset_free(ds);
}

static void test_encoding_regression_and_auto(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = labelled("reg.csv", "1,0.5\n2,1\n3,-2.25\n");
    cvxrelu_encoding *enc = NULL;
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 0, 0, &enc, NULL),
                     CVXRELU_OK);
    assert_int_equal(enc->task, CVXRELU_TASK_REGRESSION);
    assert_int_equal(enc->c, 1);
    assert_int_equal(enc->n_classes, 0);
    double *Y;
    assert_int_equal(cvxrelu_encoding_targets(enc, ds, &Y, NULL), CVXRELU_OK);
    assert_float_equal(Y[2], -2.25, 0);
    assert_int_equal(cvxrelu_encoding_decide(enc, Y), 0);
    free(Y);
    cvxrelu_encoding_free(enc);
    cvxrelu_dataset_free(ds);

    /* integers: <= 20 distinct values are classes, more are a regression */
    double X[25], lab[25];
    for (int i = 0; i < 25; i++) {
        X[i] = i;
        lab[i] = i;
    }
    assert_int_equal(cvxrelu_dataset_from_arrays(25, 1, X, lab, &ds, NULL), CVXRELU_OK);
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 0, 0, &enc, NULL),
                     CVXRELU_OK);
    assert_int_equal(enc->task, CVXRELU_TASK_REGRESSION);
    cvxrelu_encoding_free(enc);
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_CLASSIFICATION, 0, 0, &enc, NULL),
                     CVXRELU_OK);
    assert_int_equal(enc->c, 25);
    cvxrelu_encoding_free(enc);
    cvxrelu_dataset_free(ds);
    for (int i = 0; i < 25; i++) lab[i] = i % 20;
    assert_int_equal(cvxrelu_dataset_from_arrays(25, 1, X, lab, &ds, NULL), CVXRELU_OK);
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 0, 0, &enc, NULL),
                     CVXRELU_OK);
    assert_int_equal(enc->task, CVXRELU_TASK_CLASSIFICATION);
    assert_int_equal(enc->c, 20);
    cvxrelu_encoding_free(enc);
    cvxrelu_dataset_free(ds);
}

static void test_encoding_fit_errors(void **state)
{
    (void)state;
    cvxrelu_error err;
    cvxrelu_encoding *enc = (cvxrelu_encoding *)&enc;
    cvxrelu_dataset *ds = labelled("oneclass.csv", "1,a\n2,a\n");
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 1, 1, &enc, &err),
                     CVXRELU_ERR_INVALID);
    assert_null(enc);
    assert_non_null(strstr(err.msg, "only one class"));
    assert_non_null(strstr(err.msg, "oneclass.csv"));
    cvxrelu_dataset_free(ds);

    ds = labelled("textreg.csv", "1,0.5\n2,abc\n");
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_REGRESSION, 1, 1, &enc, &err),
                     CVXRELU_ERR_FORMAT);
    assert_null(enc);
    assert_non_null(strstr(err.msg, "textreg.csv:2: expected a numeric label"));
    cvxrelu_dataset_free(ds);

    cvxrelu_read_opts o = opts_fmt(CVXRELU_FORMAT_CSV);
    o.has_labels = 0;
    ds = read_ok(write_text("unlabelled.csv", "1,2\n3,4\n"), &o);
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 1, 1, &enc, &err),
                     CVXRELU_ERR_INVALID);
    assert_null(enc);
    cvxrelu_dataset_free(ds);
}

static void test_encoding_standardize(void **state)
{
    (void)state;
    cvxrelu_dataset *ds = labelled("std.csv", "1,5,100,0\n2,5,300,1\n3,5,200,0\n6,5,0,1\n");
    cvxrelu_encoding *enc = NULL;
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 1, 1, &enc, NULL),
                     CVXRELU_OK);
    assert_int_equal(enc->d_raw, 3);
    assert_int_equal(enc->d, 4);
    assert_float_equal(enc->mean[0], 3.0, 1e-15);
    assert_float_equal(enc->scale[1], 1.0, 0); /* constant column */
    double *X;
    assert_int_equal(cvxrelu_encoding_features(enc, ds, &X, NULL), CVXRELU_OK);
    for (size_t j = 0; j < 4; j++) {
        double m = 0, v = 0;
        for (size_t i = 0; i < 4; i++) m += X[i * 4 + j] / 4;
        for (size_t i = 0; i < 4; i++) v += (X[i * 4 + j] - m) * (X[i * 4 + j] - m) / 4;
        if (j == 3) {
            for (size_t i = 0; i < 4; i++) assert_float_equal(X[i * 4 + j], 1.0, 0);
        } else if (j == 1) {
            for (size_t i = 0; i < 4; i++) assert_float_equal(X[i * 4 + j], 0.0, 0);
        } else {
            assert_float_equal(m, 0.0, 1e-12);
            assert_float_equal(v, 1.0, 1e-12);
        }
    }
    free(X);
    cvxrelu_encoding_free(enc);

    /* without standardization: raw values, no bias column */
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 0, 0, &enc, NULL),
                     CVXRELU_OK);
    assert_int_equal(enc->d, 3);
    assert_int_equal(cvxrelu_encoding_features(enc, ds, &X, NULL), CVXRELU_OK);
    assert_memory_equal(X, ds->X, 12 * sizeof(double));
    free(X);
    cvxrelu_encoding_free(enc);
    cvxrelu_dataset_free(ds);
}

static void test_encoding_mismatch_and_unseen(void **state)
{
    (void)state;
    cvxrelu_dataset *tr = read_ok(fixture("good.csv"), NULL);
    cvxrelu_dataset *two = read_ok(fixture("good_2feat.csv"), NULL);
    cvxrelu_encoding *enc = NULL;
    cvxrelu_error err;
    assert_int_equal(cvxrelu_encoding_fit(tr, CVXRELU_TASK_AUTO, 1, 1, &enc, NULL),
                     CVXRELU_OK);
    double *X = (double *)&X;
    assert_int_equal(cvxrelu_encoding_features(enc, two, &X, &err), CVXRELU_ERR_FORMAT);
    assert_null(X);
    assert_non_null(strstr(err.msg, "good_2feat.csv: expected 3 feature columns (as in "
                                    "training), got 2"));

    cvxrelu_dataset *te = labelled("unseen.csv", "a,b,c,y\n1,2,3,yes\n4,5,6,maybe\n");
    double *Y = (double *)&Y;
    assert_int_equal(cvxrelu_encoding_targets(enc, te, &Y, &err), CVXRELU_ERR_FORMAT);
    assert_null(Y);
    assert_non_null(strstr(err.msg, "unseen.csv:3: label"));
    assert_non_null(strstr(err.msg, "\"maybe\""));
    cvxrelu_encoding_free(enc);
    cvxrelu_dataset_free(tr);
    cvxrelu_dataset_free(two);
    cvxrelu_dataset_free(te);
}

/* ------------------------------------------------------------ gates */

static void test_gates(void **state)
{
    (void)state;
    double *G = NULL;
    size_t m = 0;
    cvxrelu_error err;
    assert_int_equal(cvxrelu_gates_read(fixture("gates_good.csv"), 3, &G, &m, &err),
                     CVXRELU_OK);
    assert_int_equal(m, 2);
    const double want[6] = {0.5, -1, 2, 1e-3, 0, -0.25};
    for (int k = 0; k < 6; k++) assert_float_equal(G[k], want[k], 0);
    free(G);

    G = (double *)&G;
    assert_int_equal(cvxrelu_gates_read(fixture("gates_good.csv"), 4, &G, &m, &err),
                     CVXRELU_ERR_FORMAT);
    assert_null(G);
    assert_non_null(strstr(err.msg, "gates_good.csv:1: expected 4 values"));
    assert_int_equal(cvxrelu_gates_read(fixture("gates_bad.csv"), 3, &G, &m, &err),
                     CVXRELU_ERR_FORMAT);
    assert_null(G);
    assert_non_null(strstr(err.msg, "gates_bad.csv:2: expected 3 values"));
    assert_non_null(strstr(err.msg, "got 2"));
    assert_int_equal(cvxrelu_gates_read(fixture("gates_nan.csv"), 3, &G, &m, &err),
                     CVXRELU_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "gates_nan.csv:2: value 2: expected a finite number"));
    assert_int_equal(cvxrelu_gates_read(fixture("bad/empty.csv"), 3, &G, &m, &err),
                     CVXRELU_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "empty.csv: expected at least one gate row"));
    assert_int_equal(cvxrelu_gates_read(write_text("hdr.csv", "a,b\n"), 2, &G, &m, &err),
                     CVXRELU_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "hdr.csv"));
    assert_int_equal(cvxrelu_gates_read(fixture("nope.csv"), 3, &G, &m, &err), CVXRELU_ERR_IO);
    assert_non_null(strstr(err.msg, "nope.csv"));
    assert_null(G);
}

/* ------------------------------------------------------------ model file layout (format 2) */

static char *slurp_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[8][8192];
    static int k;
    char *b = buf[k++ % 8];
    size_t len = fread(b, 1, sizeof buf[0] - 1, f);
    assert_true(len < sizeof buf[0] - 1);
    b[len] = '\0';
    fclose(f);
    return b;
}

static const char *tmp_path(const char *name)
{
    assert_true(n_created < 128);
    char *path = created[n_created++];
    snprintf(path, sizeof created[0], "%s/%s", tmpdir, name);
    return path;
}

static void test_model_layout_roundtrip(void **state)
{
    (void)state;
    /* label first; names with blanks, a comma, a backslash, a quote and line breaks */
    const char *csv = "lab,\"a b\",\"c,d\",\"e\\f\"\"\",\"g\nh\ri\"\n"
                      "x,1,2,3,4\ny,2,1,0,1\nx,0,1,1,0\ny,3,2,1,2\n";
    const char *names[] = {"a b", "c,d", "e\\f\"", "g\nh\ri"};
    cvxrelu_read_opts o;
    cvxrelu_read_opts_default(&o);
    o.label_col = 0;
    cvxrelu_dataset *ds = read_ok(write_text("layout.csv", csv), &o);
    assert_int_equal(ds->label_col, 0);
    assert_int_equal(ds->d, 4);
    assert_non_null(ds->feature_names);
    for (size_t j = 0; j < 4; j++) assert_string_equal(ds->feature_names[j], names[j]);
    cvxrelu_encoding *enc = NULL;
    assert_int_equal(cvxrelu_encoding_fit(ds, CVXRELU_TASK_AUTO, 1, 1, &enc, NULL), 0);
    assert_int_equal(enc->from_csv, 1);
    assert_int_equal(enc->label_col, 0);
    assert_int_equal(enc->header, 1);
    for (size_t j = 0; j < 4; j++) assert_string_equal(enc->feature_names[j], names[j]);

    const double W[2 * 5] = {0.5, -1.25, 1.0 / 3.0, 2e-300, 0.1, -0.7, 0.2, 0.3, 1e10, -1.0};
    const double a[2] = {1.5, -0.25};
    const size_t out[2] = {0, 0};
    cvxrelu_model *m = NULL, *m2 = NULL;
    cvxrelu_error err = {{0}};
    assert_int_equal(cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, 2, W, a, out, 1e-3, enc, &m,
                                               &err), 0);
    const char *p1 = tmp_path("layout1.model"), *p2 = tmp_path("layout2.model");
    assert_int_equal(cvxrelu_model_save(m, p1, &err), 0);
    const char *text = slurp_text(p1);
    assert_non_null(strstr(text, "cvxrelu-model 2\n"));
    assert_non_null(strstr(text, "\nbias 1\nlabel_col 0\nheader 1\nfeature a b\nfeature c,d\n"
                                 "feature e\\\\f\"\nfeature g\\nh\\ri\nlambda "));
    cvxrelu_status st = cvxrelu_model_load(p1, &m2, &err);
    if (st) fail_msg("%s", err.msg);
    assert_int_equal(m2->enc->from_csv, 1);
    assert_int_equal(m2->enc->label_col, 0);
    assert_int_equal(m2->enc->header, 1);
    assert_int_equal(m2->enc->d_raw, 4);
    for (size_t j = 0; j < 4; j++) assert_string_equal(m2->enc->feature_names[j], names[j]);
    assert_memory_equal(m2->W, W, sizeof W);
    assert_memory_equal(m2->enc->mean, m->enc->mean, 4 * sizeof(double));
    assert_memory_equal(m2->enc->scale, m->enc->scale, 4 * sizeof(double));
    /* saved again: byte for byte the same file */
    assert_int_equal(cvxrelu_model_save(m2, p2, &err), 0);
    assert_string_equal(slurp_text(p2), text);
    cvxrelu_model_free(m2);

    /* the label last, no header: the resolved column and no names */
    cvxrelu_dataset *ds2 = read_ok(write_text("layout_last.csv", "1,2,x\n2,1,y\n0,1,x\n3,2,y\n"),
                                   NULL);
    assert_int_equal(ds2->label_col, 2);
    assert_null(ds2->feature_names);
    cvxrelu_encoding *enc2 = NULL;
    assert_int_equal(cvxrelu_encoding_fit(ds2, CVXRELU_TASK_AUTO, 0, 0, &enc2, NULL), 0);
    assert_int_equal(enc2->from_csv, 1);
    assert_int_equal(enc2->label_col, 2);
    assert_int_equal(enc2->header, 0);
    assert_null(enc2->feature_names);
    /* data from memory record nothing; a subset keeps the column */
    cvxrelu_dataset *mem = NULL, *sub = NULL;
    const double X[2] = {1, 2}, y[1] = {3};
    assert_int_equal(cvxrelu_dataset_from_arrays(1, 2, X, y, &mem, NULL), 0);
    assert_int_equal(mem->label_col, -1);
    const size_t idx[1] = {1};
    assert_int_equal(cvxrelu_dataset_subset(ds, idx, 1, &sub, NULL), 0);
    assert_int_equal(sub->label_col, 0);
    cvxrelu_dataset_free(sub);
    cvxrelu_dataset_free(mem);
    cvxrelu_encoding_free(enc2);
    cvxrelu_dataset_free(ds2);
    cvxrelu_model_free(m);
    cvxrelu_dataset_free(ds);
}

/* A version-1 file (no layout lines) still loads: label last, no names; saving writes v2. */
/* The loss line of format 4: written only for a loss other than squared, read back
   exactly (Huber's delta to the bit), and refused with the file's line where it does
   not fit the model. */
static void test_model_loss_line(void **state)
{
    (void)state;
    const char *base = "cvxrelu-model 4\nkind relu\ntask %s\nd_raw 2\nd 2\noutputs %d\n"
                       "standardize 0\nbias 0\nlabel_col none\nheader 0\nlambda 0.001\n"
                       "patterns 3\nclasses %s\nmean 0 0\nscale 1 1\n%s"
                       "neurons 1\nn 0 2 1 -1\nend\n";
    char text[1024];
    snprintf(text, sizeof text, base, "regression", 1, "0", "loss huber 0.37000000000000000555\n");
    cvxrelu_model *m = NULL, *m2 = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_model_load(write_text("huber.model", text), &m, &err);
    if (st) fail_msg("%s", err.msg);
    assert_int_equal(m->loss, CVXRELU_LOSS_HUBER);
    assert_true(m->huber_delta == 0.37);
    const char *p = tmp_path("huber_resaved.model");
    assert_int_equal(cvxrelu_model_save(m, p, &err), 0);
    const char *saved = slurp_text(p);
    assert_non_null(strstr(saved, "cvxrelu-model 4\n"));
    assert_non_null(strstr(saved, "\nloss huber 0.37\n"));
    assert_int_equal(cvxrelu_model_load(p, &m2, &err), 0);
    assert_true(m2->loss == CVXRELU_LOSS_HUBER && m2->huber_delta == m->huber_delta);
    cvxrelu_model_free(m2);
    /* squared: the line is left out, and the version is the oldest that holds the model */
    m->loss = CVXRELU_LOSS_SQUARED;
    assert_int_equal(cvxrelu_model_save(m, p, &err), 0);
    saved = slurp_text(p);
    assert_non_null(strstr(saved, "cvxrelu-model 2\n"));
    assert_null(strstr(saved, "\nloss"));
    cvxrelu_model_free(m);
    /* refused: each with the file and the line of the loss */
    const char *cases[][4] = {
        {"regression", "0", "loss ce\n", "huber.model:16: the ce loss needs a classification"},
        {"regression", "0", "loss hinge\n", "huber.model:16: loss: expected squared"},
        {"regression", "0", "loss huber -1\n", "huber.model:16: loss: expected"},
        {"classification", "2\nclass a\nclass b", "loss ce\n", "three or more classes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, base, cases[i][0], 1, cases[i][1], cases[i][2]);
        cvxrelu_model *bad = (cvxrelu_model *)&bad;
        assert_int_equal(cvxrelu_model_load(write_text("huber.model", text), &bad, &err),
                         CVXRELU_ERR_FORMAT);
        assert_null(bad);
        if (!strstr(err.msg, cases[i][3])) fail_msg("case %zu: %s", i, err.msg);
    }
}

static void test_model_version1_loads(void **state)
{
    (void)state;
    const char *v1 = "cvxrelu-model 1\nkind relu\ntask regression\nd_raw 2\nd 2\noutputs 1\n"
                     "standardize 0\nbias 0\nlambda 0.001\npatterns 3\nobjective nan\ngap nan\n"
                     "classes 0\nmean 0 0\nscale 1 1\nneurons 1\nn 0 2 1 -1\nend\n";
    cvxrelu_model *m = NULL, *m2 = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_model_load(write_text("v1.model", v1), &m, &err);
    if (st) fail_msg("%s", err.msg);
    assert_int_equal(m->enc->from_csv, 0);
    assert_int_equal(m->enc->header, 0);
    assert_null(m->enc->feature_names);
    const double x[2] = {3, 1};
    double y;
    cvxrelu_model_forward(m, x, 1, &y);
    assert_true(y == 4.0); /* 2 (3 - 1)_+ */
    const char *p = tmp_path("v1_resaved.model");
    assert_int_equal(cvxrelu_model_save(m, p, &err), 0);
    const char *text = slurp_text(p);
    assert_non_null(strstr(text, "cvxrelu-model 2\n"));
    assert_non_null(strstr(text, "\nbias 0\nlabel_col none\nheader 0\nlambda "));
    assert_int_equal(cvxrelu_model_load(p, &m2, &err), 0);
    assert_int_equal(m2->enc->from_csv, 0);
    assert_null(m2->enc->feature_names);
    cvxrelu_model_free(m2);
    cvxrelu_model_free(m);

    /* bad layout lines in a version-2 file, and an unknown version */
    const char *head = "cvxrelu-model 2\nkind relu\ntask regression\nd_raw 2\nd 2\noutputs 1\n"
                       "standardize 0\nbias 0\n";
    const char *tail = "lambda 0.001\npatterns 3\nobjective nan\ngap nan\nclasses 0\n"
                       "mean 0 0\nscale 1 1\nneurons 1\nn 0 2 1 -1\nend\n";
    const char *cases[][2] = {
        {"label_col 3\nheader 0\n", ":9: label_col: expected 'none' or a column from 0 to 2"},
        {"label_col -1\nheader 0\n", ":9: label_col"},
        {"header 0\n", ":9: expected 'label_col ...'"},
        {"label_col 1\nheader 2\n", ":10: header: expected 0 or 1"},
        {"label_col 1\nheader 1\nfeature a\n", ":12: expected 'feature ...'"},
        {"label_col 1\nheader 1\nfeature a\nfeature b\\x\n", ":12: feature: expected"},
        {"label_col 1\nheader 1\nfeature a\nfeature b\\\n", ":12: feature: expected"},
    };
    char text2[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text2, sizeof text2, "%s%s%s", head, cases[i][0], tail);
        const char *path = write_text("bad_layout.model", text2);
        cvxrelu_model *bad = (cvxrelu_model *)&bad;
        assert_int_equal(cvxrelu_model_load(path, &bad, &err), CVXRELU_ERR_FORMAT);
        assert_null(bad);
        if (!strstr(err.msg, cases[i][1]) || !strstr(err.msg, "bad_layout.model"))
            fail_msg("case %zu: %s", i, err.msg);
    }
    snprintf(text2, sizeof text2, "%s", v1);
    text2[14] = '5';
    cvxrelu_model *bad = (cvxrelu_model *)&bad;
    assert_int_equal(cvxrelu_model_load(write_text("v5.model", text2), &bad, &err),
                     CVXRELU_ERR_FORMAT);
    assert_null(bad);
    assert_non_null(strstr(err.msg, "unsupported model format version 5"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_header_string_labels),
        cmocka_unit_test(test_csv_quotes_crlf),
        cmocka_unit_test(test_csv_numeric_labels_no_header),
        cmocka_unit_test(test_csv_label_col_and_header_flag),
        cmocka_unit_test(test_csv_no_labels),
        cmocka_unit_test(test_csv_gzip),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_libsvm),
        cmocka_unit_test(test_libsvm_errors),
        cmocka_unit_test(test_idx_roundtrip),
        cmocka_unit_test(test_idx_errors),
        cmocka_unit_test(test_idx_fashion_mnist),
        cmocka_unit_test(test_from_arrays_subset),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_text_hostile),
        cmocka_unit_test(test_encoding_two_classes),
        cmocka_unit_test(test_encoding_three_classes),
        cmocka_unit_test(test_encoding_regression_and_auto),
        cmocka_unit_test(test_encoding_fit_errors),
        cmocka_unit_test(test_encoding_standardize),
        cmocka_unit_test(test_encoding_mismatch_and_unseen),
        cmocka_unit_test(test_gates),
        cmocka_unit_test(test_model_layout_roundtrip),
        cmocka_unit_test(test_model_version1_loads),
        cmocka_unit_test(test_model_loss_line),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
