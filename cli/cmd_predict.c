/* cvxrelu predict / eval: run a saved model on new data. */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *model_path, *data_path, *out_path, *json_path;
    data_opts data;
} predict_opts;

static int parse_predict(int argc, char **argv, predict_opts *o, const char *cmd)
{
    memset(o, 0, sizeof *o);
    data_opts_default(&o->data);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int used = data_opts_parse(&o->data, argc, argv, i);
        if (used < 0) return -1;
        if (used > 0) {
            i += used - 1;
            continue;
        }
        if ((strcmp(a, "-o") == 0 && strcmp(cmd, "predict") == 0) ||
            (strcmp(a, "--json") == 0 && strcmp(cmd, "eval") == 0)) {
            if (i + 1 >= argc) {
                die_msg("%s: expected a file name", a);
                return -1;
            }
            if (a[1] == 'o') o->out_path = argv[++i];
            else o->json_path = argv[++i];
        } else if (strcmp(a, "-q") == 0) {
            g_quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            die_msg("unknown option \"%s\" (see cvxrelu %s --help)", a, cmd);
            return -1;
        } else if (!o->model_path) {
            o->model_path = a;
        } else if (!o->data_path) {
            o->data_path = a;
        } else {
            die_msg("unexpected argument \"%s\"", a);
            return -1;
        }
    }
    if (!o->model_path || !o->data_path) {
        die_msg("%s: expected MODEL and DATA (see cvxrelu %s --help)", cmd, cmd);
        return -1;
    }
    return 0;
}

/* The output checked writable, and neither the model nor the data, before any work. */
static int check_paths(const predict_opts *o)
{
    const io_path outs[] = {{o->out_path ? "-o" : "--json", o->out_path ? o->out_path : o->json_path}};
    const io_path ins[] = {{"MODEL", o->model_path}, {"DATA", o->data_path}};
    return check_io_paths(outs, 1, ins, 2);
}

/* Load the model and the data, read in the model's layout (common.c); for predict
   (!need_labels) a label column in the data is optional. */
static int load_both(const predict_opts *o, cvxrelu_model **m, cvxrelu_dataset **ds,
                     int need_labels)
{
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_model_load(o->model_path, m, &err);
    if (st) return lib_error(st, &err);
    int rc = load_data_for_model(o->data_path, &o->data, (*m)->enc, need_labels,
                                 need_labels ? "eval" : "predict", ds);
    if (rc) {
        cvxrelu_model_free(*m);
        *m = NULL;
    }
    return rc;
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

int cmd_predict(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("Usage: cvxrelu predict MODEL DATA [-o PREDICTIONS]\n\n"
                   "One prediction per line (to stdout without -o): the class label for\n"
                   "classification, the value for regression.  DATA may have the label\n"
                   "column or not; it is ignored.  DATA is read as the training file was:\n"
                   "the label in the model's label column (unless --label-col is given),\n"
                   "the same number of feature columns and, when both have a header, the\n"
                   "same feature names in the same order.  Raw features: the model applies\n"
                   "its own standardization.  The output file is written atomically.\n\n%s\n"
                   "Exit codes: 0 success, 1 usage error, 2 data or file error, 3 a prediction\n"
                   "that is not finite (features beyond what the network can evaluate).\n",
                   data_opts_help());
            return EXIT_OK;
        }
    predict_opts o;
    if (parse_predict(argc, argv, &o, "predict")) return EXIT_USAGE;
    int rc = check_paths(&o);
    if (rc) return rc;
    cvxrelu_model *m = NULL;
    cvxrelu_dataset *ds = NULL;
    rc = load_both(&o, &m, &ds, 0);
    if (rc) return rc;
    cvxrelu_error err = {{0}};
    double *Yhat = NULL;
    cvxrelu_status st = cvxrelu_model_predict(m, ds, &Yhat, &err);
    if (st) {
        rc = lib_error(st, &err);
    } else if ((rc = check_predictions(ds, Yhat, m->enc->c))) {
        /* nothing written */
    } else {
        pred_out p = {m, Yhat, ds->n};
        if (o.out_path) {
            if ((st = cvxrelu_write_atomic(o.out_path, write_preds, &p, &err)))
                rc = lib_error(st, &err);
        } else {
            write_preds(stdout, &p, &err);
            if (fflush(stdout) != 0) rc = EXIT_DATA;
        }
    }
    free(Yhat);
    cvxrelu_dataset_free(ds);
    cvxrelu_model_free(m);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("Usage: cvxrelu eval MODEL DATA [--json FILE]\n\n"
                   "Accuracy (classification) or mean squared error (regression) of MODEL\n"
                   "on labelled DATA, and the model's objective on it at its lambda.  DATA\n"
                   "is read as the training file was (the model's label column unless\n"
                   "--label-col is given; feature count and header names checked).\n\n%s\n"
                   "Exit codes: 0 success, 1 usage error, 2 data or file error, 3 a prediction\n"
                   "that is not finite (features beyond what the network can evaluate).\n",
                   data_opts_help());
            return EXIT_OK;
        }
    predict_opts o;
    if (parse_predict(argc, argv, &o, "eval")) return EXIT_USAGE;
    int rc = check_paths(&o);
    if (rc) return rc;
    cvxrelu_model *m = NULL;
    cvxrelu_dataset *ds = NULL;
    rc = load_both(&o, &m, &ds, 1);
    if (rc) return rc;
    cvxrelu_error err = {{0}};
    double *X = NULL, *Y = NULL, *Yhat = NULL;
    cvxrelu_status st;
    if ((st = cvxrelu_encoding_features(m->enc, ds, &X, &err)) ||
        (st = cvxrelu_encoding_targets(m->enc, ds, &Y, &err))) {
        rc = lib_error(st, &err);
        goto done;
    }
    Yhat = malloc((ds->n ? ds->n : 1) * m->enc->c * sizeof(double));
    if (!Yhat) {
        die_msg("out of memory");
        rc = EXIT_SOLVER;
        goto done;
    }
    cvxrelu_model_forward(m, X, ds->n, Yhat);
    if ((rc = check_predictions(ds, Yhat, m->enc->c))) goto done;
    cvxrelu_metrics mt = cvxrelu_metrics_of(m->enc, Yhat, Y, ds->n);
    double obj = cvxrelu_model_objective(m, X, Y, ds->n, m->lambda);
    if (!isfinite(mt.mse) || !isfinite(obj)) {
        die_msg("%s: the %s on these rows is not finite (%g): the predictions are too large "
                "to square in double precision", ds->source,
                isfinite(mt.mse) ? "objective" : "mean squared error",
                isfinite(mt.mse) ? obj : mt.mse);
        rc = EXIT_SOLVER;
        goto done;
    }
    const int cls = m->enc->task == CVXRELU_TASK_CLASSIFICATION;
    if (cls) printf("accuracy  %.6f\n", mt.accuracy);
    printf("mse       %.10g\n", mt.mse);
    printf("objective %.10e (non-convex objective at lambda %g on these rows)\n", obj, m->lambda);
    printf("rows      %zu\n", ds->n);
    if (o.json_path) {
        cvxrelu_json j;
        cvxrelu_json_open(&j);
        cvxrelu_json_int(&j, "n", (long long)ds->n);
        if (cls) cvxrelu_json_num(&j, "accuracy", mt.accuracy);
        cvxrelu_json_num(&j, "mse", mt.mse);
        cvxrelu_json_num(&j, "objective", obj);
        cvxrelu_json_num(&j, "lambda", m->lambda);
        rc = json_write(&j, o.json_path);
    }
done:
    free(X);
    free(Y);
    free(Yhat);
    cvxrelu_dataset_free(ds);
    cvxrelu_model_free(m);
    return rc;
}
