/* Data read for a saved model, its predictions and its evaluation (docs/api.md,
   "Models on new data"). */
#include "cvxrelu.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first feature whose name differs from the model's, or -1.  Without names on either
   side nothing is compared. */
static long first_name_mismatch(const cvxrelu_encoding *enc, const cvxrelu_dataset *ds)
{
    if (!enc->feature_names || !ds->feature_names || ds->d != enc->d_raw) return -1;
    for (size_t j = 0; j < ds->d; j++)
        if (strcmp(enc->feature_names[j], ds->feature_names[j]) != 0) return (long)j;
    return -1;
}

static cvxrelu_status name_mismatch(cvxrelu_error *err, const char *path,
                                    const cvxrelu_encoding *enc, const cvxrelu_dataset *ds,
                                    size_t j)
{
    const int lab = ds->label_col; /* the file column of feature j */
    const size_t col = lab >= 0 && j >= (size_t)lab ? j + 1 : j;
    return cr_fail(err, CVXRELU_ERR_FORMAT,
                   "%s: column %zu (counting from 0) is named \"%.80s\" where the model "
                   "expects \"%.80s\": expected the %zu feature columns of training, in "
                   "their order%s", path, col, ds->feature_names[j], enc->feature_names[j],
                   enc->d_raw, lab >= 0 ? "" : " (read without a label column)");
}

static cvxrelu_status count_mismatch(cvxrelu_error *err, const char *path,
                                     const cvxrelu_encoding *enc, size_t label_pos, size_t got,
                                     int need_labels)
{
    return cr_fail(err, CVXRELU_ERR_FORMAT,
                   "%s: expected %zu feature columns (+ the label column at position %zu%s), "
                   "got %zu column%s%s", path, enc->d_raw, label_pos,
                   enc->from_csv ? ", as in training" : "", got, got == 1 ? "" : "s",
                   need_labels ? "" : " (or the feature columns alone, without labels)");
}

cvxrelu_status cvxrelu_dataset_read_for_model(const char *path, const cvxrelu_read_opts *opts,
                                              const cvxrelu_encoding *enc, int need_labels,
                                              const char *cmd, cvxrelu_dataset **out,
                                              cvxrelu_error *err)
{
    *out = NULL;
    cvxrelu_read_opts ro = *opts;
    const size_t K = enc->d_raw;
    if (ro.label_col < 0 && enc->from_csv) ro.label_col = (int)enc->label_col;
    const size_t L = ro.label_col >= 0 ? (size_t)ro.label_col : K; /* last of K + 1 */
    cvxrelu_error e1 = {{0}};
    cvxrelu_dataset *ds = NULL, *all = NULL;
    cvxrelu_status s1 = cvxrelu_dataset_read(path, &ro, &ds, &e1);
    if (s1 == CVXRELU_ERR_NOMEM) return cr_fail(err, s1, "%s", e1.msg);
    if (s1 == CVXRELU_OK && (ds->label_col < 0 || ds->d == K)) {
        long j = first_name_mismatch(enc, ds);
        if (j >= 0) {
            cvxrelu_status st = name_mismatch(err, path, enc, ds, (size_t)j);
            cvxrelu_dataset_free(ds);
            return st;
        }
        *out = ds; /* not a CSV file: the feature count is checked on encoding */
        return CVXRELU_OK;
    }
    if (s1 == CVXRELU_OK && ds->d + 1 != K) {
        size_t got = ds->d + 1;
        cvxrelu_dataset_free(ds);
        return count_mismatch(err, path, enc, L, got, need_labels);
    }
    /* could not be read with a label column there, or K columns: features only? */
    const size_t got1 = s1 == CVXRELU_OK ? ds->d + 1 : 0;
    cvxrelu_dataset_free(ds);
    cvxrelu_read_opts nolab = ro;
    nolab.has_labels = 0;
    cvxrelu_status s2 = cvxrelu_dataset_read(path, &nolab, &all, NULL);
    if (s2 != CVXRELU_OK) {
        size_t got = got1;
        if (s1 != CVXRELU_OK && ro.label_col >= 0) {
            /* a label column out of range?  Count the columns with the label last */
            cvxrelu_read_opts last = ro;
            last.label_col = -1;
            if (cvxrelu_dataset_read(path, &last, &all, NULL) == CVXRELU_OK &&
                all->label_col >= 0 && (size_t)all->label_col < L)
                got = all->d + 1;
            cvxrelu_dataset_free(all);
        }
        if (got) return count_mismatch(err, path, enc, L, got, need_labels);
        return cr_fail(err, s2 == CVXRELU_ERR_NOMEM ? s2 : s1 ? s1 : CVXRELU_ERR_FORMAT, "%s",
                       e1.msg[0] ? e1.msg : cvxrelu_status_string(s1));
    }
    cvxrelu_status st;
    if (all->d != K) {
        st = count_mismatch(err, path, enc, L, all->d, need_labels);
    } else if (need_labels) {
        /* exactly the feature columns: unlabelled data, unless the names say otherwise */
        if (first_name_mismatch(enc, all) >= 0)
            st = count_mismatch(err, path, enc, L, all->d, need_labels);
        else
            st = cr_fail(err, CVXRELU_ERR_FORMAT,
                         "%s: %s needs a label column, but the file has %zu columns, exactly "
                         "the model's feature columns, so it looks unlabelled: give the "
                         "labels in the column at position %zu%s", path, cmd, all->d, L,
                         strcmp(cmd, "eval") == 0
                             ? ", or use `cvxrelu predict` for predictions without labels" : "");
    } else {
        long j = first_name_mismatch(enc, all);
        if (j < 0) {
            *out = all;
            return CVXRELU_OK;
        }
        st = name_mismatch(err, path, enc, all, (size_t)j);
    }
    cvxrelu_dataset_free(all);
    return st;
}

cvxrelu_status cvxrelu_predictions_check(const cvxrelu_dataset *ds, const double *Yhat, size_t c,
                                         cvxrelu_error *err)
{
    for (size_t i = 0; i < ds->n; i++)
        for (size_t k = 0; k < c; k++) {
            if (isfinite(Yhat[i * c + k])) continue;
            char where[64] = "";
            if (ds->row_line) snprintf(where, sizeof where, ":%zu", ds->row_line[i]);
            return cr_fail(err, CVXRELU_ERR_NUMERIC,
                           "%s%s (row %zu): the model's output is not finite (%g): the "
                           "features are beyond what the network can evaluate in double "
                           "precision", ds->source ? ds->source : "data", where, i + 1,
                           Yhat[i * c + k]);
        }
    return CVXRELU_OK;
}

typedef struct {
    const cvxrelu_model *m;
    const double *Yhat;
    size_t n;
} pred_out;

static cvxrelu_status write_preds(FILE *f, void *user, cvxrelu_error *err)
{
    const pred_out *p = user;
    const cvxrelu_encoding *e = p->m->enc;
    (void)err;
    for (size_t i = 0; i < p->n; i++) {
        const double *y = p->Yhat + i * e->c;
        if (e->task == CVXRELU_TASK_CLASSIFICATION)
            fprintf(f, "%s\n", e->classes[cvxrelu_encoding_decide(e, y)]);
        else
            fprintf(f, "%.17g\n", y[0]);
    }
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_predictions_write(const char *path, const cvxrelu_model *m,
                                         const double *Yhat, size_t n, cvxrelu_error *err)
{
    pred_out p = {m, Yhat, n};
    if (path) return cvxrelu_write_atomic(path, write_preds, &p, err);
    write_preds(stdout, &p, err);
    if (fflush(stdout) != 0 || ferror(stdout))
        return cr_fail(err, CVXRELU_ERR_IO, "writing the predictions to stdout failed");
    return CVXRELU_OK;
}

size_t cvxrelu_model_score_columns(const cvxrelu_model *m)
{
    return m->loss == CVXRELU_LOSS_LOGISTIC ? 2 : m->enc->c;
}

void cvxrelu_model_scores(const cvxrelu_model *m, const double *Yhat, size_t n, double *S)
{
    const size_t c = m->enc->c;
    for (size_t i = 0; i < n; i++) {
        const double *f = Yhat + i * c;
        if (m->loss == CVXRELU_LOSS_LOGISTIC) {
            /* P(second class) = sigma(f), the +1 target; P(first) = sigma(-f) */
            const double e = exp(-fabs(f[0])), hi = 1.0 / (1.0 + e), lo = e / (1.0 + e);
            S[2 * i] = f[0] >= 0.0 ? lo : hi;
            S[2 * i + 1] = f[0] >= 0.0 ? hi : lo;
        } else if (m->loss == CVXRELU_LOSS_CE) { /* softmax, shifted by the largest output */
            double mx = f[0], z = 0.0;
            for (size_t k = 1; k < c; k++) mx = fmax(mx, f[k]);
            for (size_t k = 0; k < c; k++) z += (S[i * c + k] = exp(f[k] - mx));
            for (size_t k = 0; k < c; k++) S[i * c + k] /= z;
        } else {
            memcpy(S + i * c, f, c * sizeof(double));
        }
    }
}

static cvxrelu_status write_scores(FILE *f, void *user, cvxrelu_error *err)
{
    const pred_out *p = user;
    const cvxrelu_model *m = p->m;
    const cvxrelu_encoding *e = m->enc;
    const size_t k = cvxrelu_model_score_columns(m);
    double *S = cr_malloc(k, sizeof(double));
    if (!S) return cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
    /* the header: the classes (probabilities, or one raw output per class), the
       second class for the one raw output of two classes, "value" for regression */
    if (e->task != CVXRELU_TASK_CLASSIFICATION) {
        fputs("value", f);
    } else if (k == 1) {
        cr_csv_put_field(f, e->classes[1]);
    } else {
        for (size_t j = 0; j < k; j++) {
            if (j) fputc(',', f);
            cr_csv_put_field(f, e->classes[j]);
        }
    }
    fputc('\n', f);
    for (size_t i = 0; i < p->n; i++) {
        cvxrelu_model_scores(m, p->Yhat + i * e->c, 1, S);
        for (size_t j = 0; j < k; j++) fprintf(f, j ? ",%.17g" : "%.17g", S[j]);
        fputc('\n', f);
    }
    free(S);
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_scores_write(const char *path, const cvxrelu_model *m, const double *Yhat,
                                    size_t n, cvxrelu_error *err)
{
    pred_out p = {m, Yhat, n};
    if (path) return cvxrelu_write_atomic(path, write_scores, &p, err);
    cvxrelu_status st = write_scores(stdout, &p, err);
    if (!st && (fflush(stdout) != 0 || ferror(stdout)))
        return cr_fail(err, CVXRELU_ERR_IO, "writing the scores to stdout failed");
    return st;
}

cvxrelu_status cvxrelu_model_evaluate(const cvxrelu_model *m, const cvxrelu_dataset *ds,
                                      cvxrelu_evaluation *ev, cvxrelu_error *err)
{
    memset(ev, 0, sizeof *ev);
    ev->n = ds->n;
    ev->lambda = m->lambda;
    double *X = NULL, *Y = NULL, *Yhat = NULL;
    cvxrelu_status st;
    if ((st = cvxrelu_encoding_features(m->enc, ds, &X, err)) ||
        (st = cvxrelu_encoding_targets(m->enc, ds, &Y, err)))
        goto done;
    if (!(Yhat = cr_malloc(ds->n ? ds->n : 1, m->enc->c * sizeof(double)))) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "out of memory");
        goto done;
    }
    cvxrelu_model_forward(m, X, ds->n, Yhat);
    if ((st = cvxrelu_predictions_check(ds, Yhat, m->enc->c, err))) goto done;
    ev->metrics = cvxrelu_metrics_of(m->enc, Yhat, Y, ds->n);
    ev->objective = cvxrelu_model_objective(m, X, Y, ds->n, m->lambda);
    ev->loss = ev->objective - cr_model_penalty(m, m->lambda);
    if (!isfinite(ev->metrics.mse) || !isfinite(ev->objective))
        st = cr_fail(err, CVXRELU_ERR_NUMERIC,
                     "%s: the %s on these rows is not finite (%g): the predictions are too "
                     "large to square in double precision", ds->source ? ds->source : "data",
                     isfinite(ev->metrics.mse) ? "objective" : "mean squared error",
                     isfinite(ev->metrics.mse) ? ev->objective : ev->metrics.mse);
done:
    free(X);
    free(Y);
    free(Yhat);
    return st;
}
