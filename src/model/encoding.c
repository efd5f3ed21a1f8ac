/*
 * Encodings: the task (regression / classification), the class list, column
 * standardization and the bias column, fitted on training data and applied
 * unchanged to any later data set.
 */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_AUTO_CLASSES 20 /* integer labels with more distinct values: regression */

typedef struct {
    const char *text;
    double value;
} label_ref;

static int cmp_text(const void *a, const void *b)
{
    return strcmp(((const label_ref *)a)->text, ((const label_ref *)b)->text);
}

static int cmp_numeric(const void *a, const void *b)
{
    const label_ref *x = a, *y = b;
    if (x->value != y->value) return x->value < y->value ? -1 : 1;
    return strcmp(x->text, y->text);
}

static int is_integer(double v) { return fabs(v) < 9007199254740992.0 && v == floor(v); }

static const char *src_name(const cvxrelu_dataset *ds)
{
    return ds->source ? ds->source : "(data)";
}

/* Where row i of ds came from: "FILE:LINE" for a text file, else "SOURCE: row N". */
static const char *row_where(const cvxrelu_dataset *ds, size_t i, char *buf, size_t cap)
{
    if (ds->row_line) snprintf(buf, cap, "%s:%zu", src_name(ds), ds->row_line[i]);
    else snprintf(buf, cap, "%s: row %zu", src_name(ds), i + 1);
    return buf;
}

/* 1 when text is a number that is not finite (nan, inf). */
static int nonfinite_number(const char *text)
{
    double v;
    return cr_parse_double(text, text + strlen(text), &v) == 0 && !isfinite(v);
}

/* The task for AUTO: classification for text labels or few integer values. */
static cvxrelu_task guess_task(const label_ref *sorted, size_t n, int all_numeric)
{
    if (!all_numeric) return CVXRELU_TASK_CLASSIFICATION;
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_integer(sorted[i].value)) return CVXRELU_TASK_REGRESSION;
        if (i == 0 || sorted[i].value != sorted[i - 1].value) distinct++;
    }
    return distinct <= MAX_AUTO_CLASSES ? CVXRELU_TASK_CLASSIFICATION
                                        : CVXRELU_TASK_REGRESSION;
}

void cvxrelu_encoding_free(cvxrelu_encoding *enc)
{
    if (!enc) return;
    if (enc->classes)
        for (size_t k = 0; k < enc->n_classes; k++) free(enc->classes[k]);
    free(enc->classes);
    if (enc->feature_names)
        for (size_t k = 0; k < enc->d_raw; k++) free(enc->feature_names[k]);
    free(enc->feature_names);
    free(enc->mean);
    free(enc->scale);
    free(enc);
}

cvxrelu_encoding *cvxrelu_encoding_copy(const cvxrelu_encoding *enc)
{
    if (!enc) return NULL;
    cvxrelu_encoding *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    *e = *enc;
    e->mean = e->scale = NULL;
    e->classes = e->feature_names = NULL;
    /* a partial copy is freed by cvxrelu_encoding_free (NULL entries included) */
    if (enc->mean && !(e->mean = cr_malloc(enc->d_raw, sizeof(double)))) goto fail;
    if (enc->scale && !(e->scale = cr_malloc(enc->d_raw, sizeof(double)))) goto fail;
    if (enc->mean) memcpy(e->mean, enc->mean, enc->d_raw * sizeof(double));
    if (enc->scale) memcpy(e->scale, enc->scale, enc->d_raw * sizeof(double));
    if (enc->classes) {
        if (!(e->classes = cr_calloc(enc->n_classes, sizeof *e->classes))) goto fail;
        for (size_t k = 0; k < enc->n_classes; k++)
            if (!(e->classes[k] = cr_strdup(enc->classes[k]))) goto fail;
    }
    if (enc->feature_names) {
        if (!(e->feature_names = cr_calloc(enc->d_raw, sizeof *e->feature_names))) goto fail;
        for (size_t k = 0; k < enc->d_raw; k++)
            if (enc->feature_names[k] && !(e->feature_names[k] = cr_strdup(enc->feature_names[k])))
                goto fail;
    }
    return e;
fail:
    cvxrelu_encoding_free(e);
    return NULL;
}

/* Classes: the distinct texts of sorted (adjacent duplicates). */
static cvxrelu_status fit_classes(cvxrelu_encoding *enc, const label_ref *sorted, size_t n,
                                  const cvxrelu_dataset *ds, cvxrelu_error *err)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(sorted[i].text, sorted[i - 1].text) != 0) k++;
    if (k < 2)
        return cr_fail(err, CVXRELU_ERR_INVALID, "%s: only one class (\"%.64s\") in the "
                       "labels; classification needs at least two", src_name(ds),
                       sorted[0].text);
    if (!(enc->classes = cr_calloc(k, sizeof *enc->classes)))
        return cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(sorted[i].text, sorted[i - 1].text) == 0) continue;
        if (!(enc->classes[enc->n_classes++] = cr_strdup(sorted[i].text)))
            return cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    }
    enc->c = k == 2 ? 1 : k;
    return CVXRELU_OK;
}

/* A regression target: the label's value, which must be a finite number. */
static cvxrelu_status regression_value(const cvxrelu_dataset *ds, size_t i, double *v,
                                       cvxrelu_error *err)
{
    *v = ds->label_value[i];
    char w[4200];
    if (!isfinite(*v))
        return cr_fail(err, CVXRELU_ERR_FORMAT, "%s: expected a %snumeric label "
                       "(regression), got \"%.64s\"", row_where(ds, i, w, sizeof w),
                       nonfinite_number(ds->label_text[i]) ? "finite " : "", ds->label_text[i]);
    return CVXRELU_OK;
}

static void fit_scaling(cvxrelu_encoding *enc, const cvxrelu_dataset *ds)
{
    size_t n = ds->n, d = ds->d;
    for (size_t j = 0; j < d; j++) {
        enc->mean[j] = 0.0;
        enc->scale[j] = 1.0;
    }
    if (!enc->standardize || n == 0) return;
    /* per column, in units of its largest magnitude, so that data near the
       limits of double (1e308) neither overflows the sums nor the scale */
    for (size_t j = 0; j < d; j++) {
        double amax = 0.0;
        for (size_t i = 0; i < n; i++) amax = fmax(amax, fabs(ds->X[i * d + j]));
        if (amax == 0.0) continue;
        double mean = 0.0, var = 0.0;
        for (size_t i = 0; i < n; i++) mean += ds->X[i * d + j] / amax;
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double t = ds->X[i * d + j] / amax - mean;
            var += t * t;
        }
        double sd = sqrt(var / (double)n);
        enc->mean[j] = mean * amax;
        enc->scale[j] = sd <= 1e-12 * fmax(1.0, fabs(mean)) ? 1.0 : sd * amax;
        if (!(enc->scale[j] >= DBL_MIN)) enc->scale[j] = 1.0; /* underflowed: treat as constant */
    }
}

cvxrelu_status cvxrelu_encoding_fit(const cvxrelu_dataset *train, cvxrelu_task task,
                                    int standardize, int bias, cvxrelu_encoding **out,
                                    cvxrelu_error *err)
{
    if (!out) return cr_fail(err, CVXRELU_ERR_INVALID, "encoding_fit: out is NULL");
    *out = NULL;
    if (!train) return cr_fail(err, CVXRELU_ERR_INVALID, "encoding_fit: NULL data set");
    if (!train->has_labels || !train->label_text || !train->label_value)
        return cr_fail(err, CVXRELU_ERR_INVALID, "%s: expected labels to fit on, got none",
                       src_name(train));
    if (train->n == 0 || train->d == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID, "%s: expected at least one row and one "
                       "feature, got %zu x %zu", src_name(train), train->n, train->d);
    size_t n = train->n;
    cvxrelu_status st = CVXRELU_OK;
    label_ref *lab = cr_malloc(n, sizeof *lab);
    cvxrelu_encoding *enc = calloc(1, sizeof *enc);
    if (!lab || !enc) goto nomem;
    enc->d_raw = train->d;
    enc->d = train->d + (bias ? 1 : 0);
    enc->standardize = standardize ? 1 : 0;
    enc->bias = bias ? 1 : 0;
    enc->y_scale = 1.0;
    enc->mean = cr_malloc(train->d, sizeof *enc->mean);
    enc->scale = cr_malloc(train->d, sizeof *enc->scale);
    if (!enc->mean || !enc->scale) goto nomem;

    int all_numeric = 1;
    size_t texts = 0, first_nonfinite = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        lab[i].text = train->label_text[i];
        lab[i].value = train->label_value[i];
        if (isfinite(lab[i].value)) continue;
        all_numeric = 0;
        if (!nonfinite_number(lab[i].text)) texts++;
        else if (first_nonfinite == SIZE_MAX) first_nonfinite = i;
    }
    /* nan or inf in a column of numbers is a bad value, not a class: without this one
       such label would turn a regression into a classification of every value */
    if (first_nonfinite != SIZE_MAX && texts == 0 && task != CVXRELU_TASK_CLASSIFICATION) {
        char w[4200];
        st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s: expected a finite number as the label (the "
                     "label column holds numbers), got \"%.64s\"",
                     row_where(train, first_nonfinite, w, sizeof w),
                     train->label_text[first_nonfinite]);
        goto fail;
    }
    qsort(lab, n, sizeof *lab, all_numeric ? cmp_numeric : cmp_text);
    if (task != CVXRELU_TASK_REGRESSION && task != CVXRELU_TASK_CLASSIFICATION)
        task = guess_task(lab, n, all_numeric);
    enc->task = task;
    if (task == CVXRELU_TASK_CLASSIFICATION) {
        st = fit_classes(enc, lab, n, train, err);
    } else {
        enc->c = 1;
        double v;
        for (size_t i = 0; i < n && st == CVXRELU_OK; i++)
            st = regression_value(train, i, &v, err);
    }
    if (st != CVXRELU_OK) goto fail;
    fit_scaling(enc, train);
    /* the layout of the training file, so later files can be read (and checked) alike */
    if (train->label_col >= 0) {
        enc->from_csv = 1;
        enc->label_col = (size_t)train->label_col;
    }
    if (train->feature_names) {
        if (!(enc->feature_names = cr_calloc(train->d, sizeof *enc->feature_names))) goto nomem;
        for (size_t j = 0; j < train->d; j++)
            if (!(enc->feature_names[j] = cr_strdup(train->feature_names[j]))) goto nomem;
        enc->header = 1;
    }
    free(lab);
    *out = enc;
    return CVXRELU_OK;
nomem:
    st = cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
fail:
    free(lab);
    cvxrelu_encoding_free(enc);
    return st;
}

cvxrelu_status cvxrelu_encoding_features(const cvxrelu_encoding *enc,
                                         const cvxrelu_dataset *ds, double **X_out,
                                         cvxrelu_error *err)
{
    if (!X_out) return cr_fail(err, CVXRELU_ERR_INVALID, "encoding_features: X_out is NULL");
    *X_out = NULL;
    if (!enc || !ds) return cr_fail(err, CVXRELU_ERR_INVALID, "encoding_features: NULL argument");
    if (ds->d != enc->d_raw)
        return cr_fail(err, CVXRELU_ERR_FORMAT, "%s: expected %zu feature columns (as in "
                       "training), got %zu", src_name(ds), enc->d_raw, ds->d);
    size_t cells, d = enc->d, dr = enc->d_raw;
    double *X = cr_mul_ok(ds->n, d, &cells) ? NULL : cr_malloc(cells, sizeof *X);
    if (!X) return cr_fail(err, CVXRELU_ERR_NOMEM, "%s: out of memory", src_name(ds));
    for (size_t i = 0; i < ds->n; i++) {
        const double *x = ds->X + i * dr;
        double *z = X + i * d;
        for (size_t j = 0; j < dr; j++) {
            z[j] = (x[j] - enc->mean[j]) / enc->scale[j];
            if (!isfinite(z[j])) /* x - mean overflowed: divide first */
                z[j] = x[j] / enc->scale[j] - enc->mean[j] / enc->scale[j];
            if (!isfinite(z[j])) {
                free(X);
                char w[4200];
                return cr_fail(err, CVXRELU_ERR_INVALID, /* the data, not the numerics */
                               "%s (row %zu), column %zu: %g is out of range for the model's "
                               "scaling of that column (mean %g, scale %g)",
                               row_where(ds, i, w, sizeof w), i + 1, j + 1, x[j],
                               enc->mean[j], enc->scale[j]);
            }
        }
        if (enc->bias) z[dr] = 1.0;
    }
    *X_out = X;
    return CVXRELU_OK;
}

void cr_encoding_fit_targets(cvxrelu_encoding *enc, const cvxrelu_dataset *train)
{
    enc->standardize_y = 0;
    enc->y_mean = 0.0;
    enc->y_scale = 1.0;
    if (enc->task != CVXRELU_TASK_REGRESSION || enc->c != 1 || train->n == 0) return;
    /* in units of the largest magnitude, as the features (no overflow near 1e308) */
    const size_t n = train->n;
    double amax = 0.0;
    for (size_t i = 0; i < n; i++) amax = fmax(amax, fabs(train->label_value[i]));
    if (!(amax > 0.0) || !isfinite(amax)) return;
    double mean = 0.0, var = 0.0;
    for (size_t i = 0; i < n; i++) mean += train->label_value[i] / amax;
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        const double t = train->label_value[i] / amax - mean;
        var += t * t;
    }
    const double sd = sqrt(var / (double)n);
    if (sd <= 1e-12 * fmax(1.0, fabs(mean)) || !(sd * amax >= DBL_MIN)) return; /* constant */
    enc->standardize_y = 1;
    enc->y_mean = mean * amax;
    enc->y_scale = sd * amax;
}

void cr_encoding_decode(const cvxrelu_encoding *enc, double *Yhat, size_t n)
{
    if (!enc->standardize_y) return;
    for (size_t i = 0; i < n * enc->c; i++) Yhat[i] = Yhat[i] * enc->y_scale + enc->y_mean;
}

cvxrelu_status cvxrelu_encoding_targets(const cvxrelu_encoding *enc,
                                        const cvxrelu_dataset *ds, double **Y_out,
                                        cvxrelu_error *err)
{
    if (!Y_out) return cr_fail(err, CVXRELU_ERR_INVALID, "encoding_targets: Y_out is NULL");
    *Y_out = NULL;
    if (!enc || !ds) return cr_fail(err, CVXRELU_ERR_INVALID, "encoding_targets: NULL argument");
    if (!ds->has_labels || !ds->label_text || !ds->label_value)
        return cr_fail(err, CVXRELU_ERR_INVALID, "%s: expected labels, got none",
                       src_name(ds));
    size_t c = enc->c;
    double *Y = cr_calloc(ds->n, c * sizeof *Y);
    if (!Y) return cr_fail(err, CVXRELU_ERR_NOMEM, "%s: out of memory", src_name(ds));
    cvxrelu_status st = CVXRELU_OK;
    for (size_t i = 0; i < ds->n && st == CVXRELU_OK; i++) {
        if (enc->task == CVXRELU_TASK_REGRESSION) {
            st = regression_value(ds, i, &Y[i], err);
            if (enc->standardize_y) Y[i] = (Y[i] - enc->y_mean) / enc->y_scale;
            continue;
        }
        size_t k = 0;
        while (k < enc->n_classes && strcmp(enc->classes[k], ds->label_text[i]) != 0) k++;
        char w[4200];
        if (k == enc->n_classes)
            st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s: label \"%.64s\" was not seen "
                         "in training (%zu classes)", row_where(ds, i, w, sizeof w),
                         ds->label_text[i], enc->n_classes);
        else if (c == 1)
            Y[i] = k == 0 ? -1.0 : 1.0;
        else
            Y[i * c + k] = 1.0;
    }
    if (st != CVXRELU_OK) {
        free(Y);
        return st;
    }
    *Y_out = Y;
    return CVXRELU_OK;
}

size_t cvxrelu_encoding_decide(const cvxrelu_encoding *enc, const double *yrow)
{
    if (enc->c > 1) {
        size_t best = 0;
        for (size_t k = 1; k < enc->c; k++)
            if (yrow[k] > yrow[best]) best = k;
        return best;
    }
    if (enc->task == CVXRELU_TASK_CLASSIFICATION) return yrow[0] > 0.0 ? 1 : 0;
    return 0;
}
