/* cvxrelu predict / eval: run a saved model on new data. */
#include "common.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *out_path, *json_path;
    int quiet, scores;
    cvxrelu_read_opts data;
} predict_opts;

#define F(x) offsetof(predict_opts, x)
#define NB NAN, NAN, 0
static const opt_def predict_table[] = {
    {"--output", 0, "-o", "FILE", OPT_STR, F(out_path), OPT_NONE, NB, NULL, 0,
     "write the predictions to FILE (atomically; default: stdout)"},
    {"--scores", 0, NULL, NULL, OPT_FLAG, F(scores), OPT_NONE, NB, NULL, 1,
     "CSV of scores instead of labels: class probabilities for a model trained with the "
     "logistic or ce loss (a header of the class labels; each row sums to 1), the raw "
     "outputs for the other losses (docs/formats.md, \"Scores\")"},
    {"--quiet", 0, "-q", NULL, OPT_FLAG, F(quiet), OPT_NONE, NB, NULL, 1, "no notes on stderr"},
};
static const opt_def eval_table[] = {
    {"--json", 0, NULL, "FILE", OPT_STR, F(json_path), OPT_NONE, NB, NULL, 0,
     "write the metrics as JSON (atomically)"},
    {"--quiet", 0, "-q", NULL, OPT_FLAG, F(quiet), OPT_NONE, NB, NULL, 1, "no notes on stderr"},
};
#undef F
#undef NB

static const char *const predict_about =
    "Usage: cvxrelu predict MODEL DATA [-o PREDICTIONS] [--scores]\n\n"
    "One prediction per line (to stdout without -o): the class label for\n"
    "classification, the value for regression (--scores: probabilities or\n"
    "raw outputs).  DATA may have the label column or not; it is ignored.\n"
    "DATA is read as the training file was:\n"
    "the label in the model's label column (unless --label-col is given),\n"
    "the same number of feature columns and, when both have a header, the\n"
    "same feature names in the same order.  Raw features: the model applies\n"
    "its own standardization.\n\nOptions:\n";
static const char *const eval_about =
    "Usage: cvxrelu eval MODEL DATA [--json FILE]\n\n"
    "Accuracy (classification) or mean squared error (regression) of MODEL\n"
    "on labelled DATA, and the model's objective on it at its lambda.  DATA\n"
    "is read as the training file was (the model's label column unless\n"
    "--label-col is given; feature count and header names checked).\n\nOptions:\n";

/* Parse, check the paths, load the model and the data read in its layout. */
static int setup(const char *cmd, int argc, char **argv, predict_opts *o, cvxrelu_model **m,
                 cvxrelu_dataset **ds)
{
    const int eval = strcmp(cmd, "eval") == 0;
    const opt_def *tab = eval ? eval_table : predict_table;
    if (opt_wants_help(argc, argv)) {
        fputs(eval ? eval_about : predict_about, stdout);
        opt_help(tab, eval ? 2 : 3, NULL);
        data_help();
        printf("\nExit codes: 0 success, 1 usage error, 2 data or file error, 3 a prediction\n"
               "that is not finite (features beyond what the network can evaluate).\n");
        return -1;
    }
    memset(o, 0, sizeof *o);
    cvxrelu_read_opts_default(&o->data);
    const char *pos[2] = {NULL, NULL};
    if (opt_parse_args(cmd, tab, eval ? 2 : 3, o, &o->data, NULL, pos, 2, NULL, argc, argv))
        return EXIT_USAGE;
    g_quiet = o->quiet;
    if (!pos[1]) {
        die_msg("%s: expected MODEL and DATA (see cvxrelu %s --help)", cmd, cmd);
        return EXIT_USAGE;
    }
    const io_path outs[] = {{eval ? "--json" : "-o", eval ? o->json_path : o->out_path}};
    const io_path ins[] = {{"MODEL", pos[0]}, {"DATA", pos[1]}};
    int rc = check_io_paths(outs, 1, ins, 2);
    if (rc) return rc;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_model_load(pos[0], m, &err);
    if (!st) st = cvxrelu_dataset_read_for_model(pos[1], &o->data, (*m)->enc, eval, cmd, ds, &err);
    return st ? lib_error(st, &err) : EXIT_OK;
}

int cmd_predict(int argc, char **argv)
{
    predict_opts o;
    cvxrelu_model *m = NULL;
    cvxrelu_dataset *ds = NULL;
    double *Yhat = NULL;
    cvxrelu_error err = {{0}};
    int rc = setup("predict", argc, argv, &o, &m, &ds);
    if (rc == 0) {
        cvxrelu_status st = cvxrelu_model_predict(m, ds, &Yhat, &err);
        if (!st) st = cvxrelu_predictions_check(ds, Yhat, m->enc->c, &err);
        if (!st)
            st = o.scores ? cvxrelu_scores_write(o.out_path, m, Yhat, ds->n, &err)
                          : cvxrelu_predictions_write(o.out_path, m, Yhat, ds->n, &err);
        if (st) rc = lib_error(st, &err);
    }
    free(Yhat);
    cvxrelu_dataset_free(ds);
    cvxrelu_model_free(m);
    return rc < 0 ? EXIT_OK : rc;
}

int cmd_eval(int argc, char **argv)
{
    predict_opts o;
    cvxrelu_model *m = NULL;
    cvxrelu_dataset *ds = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_evaluation ev;
    int rc = setup("eval", argc, argv, &o, &m, &ds);
    cvxrelu_status st = rc ? CVXRELU_OK : cvxrelu_model_evaluate(m, ds, &ev, &err);
    if (st) rc = lib_error(st, &err);
    if (rc == 0) {
        const int cls = m->enc->task == CVXRELU_TASK_CLASSIFICATION;
        if (cls) printf("accuracy  %.6f\n", ev.metrics.accuracy);
        printf("mse       %.10g\n", ev.metrics.mse);
        printf("loss      %.10g (the mean %s loss: the data term)\n", ev.loss,
               cvxrelu_loss_name(m->loss));
        printf("objective %.10e (non-convex objective at lambda %g on these rows)\n",
               ev.objective, ev.lambda);
        printf("rows      %zu\n", ev.n);
        if (o.json_path) {
            cvxrelu_json j;
            cvxrelu_json_open(&j);
            cvxrelu_json_int(&j, "n", (long long)ev.n);
            if (cls) cvxrelu_json_num(&j, "accuracy", ev.metrics.accuracy);
            cvxrelu_json_num(&j, "mse", ev.metrics.mse);
            cvxrelu_json_num(&j, "loss", ev.loss);
            cvxrelu_json_str(&j, "loss_function", cvxrelu_loss_name(m->loss));
            cvxrelu_json_num(&j, "objective", ev.objective);
            cvxrelu_json_num(&j, "lambda", ev.lambda);
            rc = json_write(&j, o.json_path);
        }
    }
    cvxrelu_dataset_free(ds);
    cvxrelu_model_free(m);
    return rc < 0 ? EXIT_OK : rc;
}
