/* cvxrelu certify: upper and certified lower bounds for any two-layer ReLU network (docs/algorithms.md, "Certificates for the non-convex problem"). */
#include "common.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *json, *weights;
    cvxrelu_read_opts data;
    cvxrelu_certify_run_settings rs;
    double beta;
    int bias, standardize, relax, relax_given, task, quiet, loss;
} cert_opts;

#define F(x) offsetof(cert_opts, x)
#define NB NAN, NAN, 0
/* Every option of certify: parsing, range check and --help (docs/cli.md, "certify");
   {} in a help text is the default. */
static const opt_def cert_table[] = {
    {"--lambda", 0, NULL, "L", OPT_DOUBLE, F(rs.lambda), OPT_NONE, 0, NAN, OPT_LO_OPEN, NULL, 0,
     "regularization (default: the model's)"},
    {"--beta", 0, NULL, "B", OPT_DOUBLE, F(beta), OPT_NONE, 0, NAN, OPT_LO_OPEN, NULL, 0,
     "the same in the papers' scale, lambda = B / (n c)"},
    {"--bounds", 0, NULL, "LIST", OPT_SPECIAL, 0, OPT_NONE, NB, NULL, 0,
     "cheap,spectral,sdp,subsets,exact or all (default all; each is computed only where it "
     "applies)"},
    {"--sdp-max-rows", 0, NULL, "N", OPT_SIZE, F(rs.bounds.sdp_max_rows), OPT_NONE, NB, NULL, 0,
     "SDP bound when each sign class of v has <= N rows (default {})"},
    {"--subsets-max-rows", 0, NULL, "N", OPT_SIZE, F(rs.bounds.subsets_max_rows), OPT_NONE, 0, 30,
     0, NULL, 0, "exhaustive subsets when <= N rows (default {}, at most 30)"},
    {"--samples", 0, NULL, "N", OPT_SIZE, F(rs.bounds.samples), OPT_NONE, NB, NULL, 0,
     "Gaussian directions of the necessary check (default {})"},
    {"--seed", 0, NULL, "S", OPT_U64, F(rs.bounds.seed), OPT_NONE, NB, NULL, 0,
     "their seed (default {})"},
    {"--tol", 0, NULL, "T", OPT_DOUBLE, F(rs.bounds.tol), OPT_NONE, 0, NAN, 0, NULL, 0,
     "certified optimal when UB - LB <= T UB (default {})"},
    {"--relaxation", 0, NULL, "S", OPT_CHOICE, F(relax), F(relax_given), NB, "admm|dsdp",
     CVXRELU_SDP_ADMM,
     "also solve the SDP relaxation of [PBY24] (docs/algorithms.md, \"The SDP relaxation\") "
     "on the data by S = admm or dsdp: a certified lower bound on every network, dense "
     "second layers included (needed for models from train --model sdp with several "
     "outputs)"},
    {"--relaxation-eps", 0, NULL, "E", OPT_DOUBLE, F(rs.relaxation_tol), OPT_NONE, 0, NAN,
     OPT_LO_OPEN, NULL, 0, "its relative accuracy (default {})"},
    {"--json", 0, NULL, "FILE", OPT_STR, F(json), OPT_NONE, NB, NULL, 0,
     "write the certificate as JSON (atomically)"},
    {"--weights", 0, NULL, "FILE", OPT_STR, F(weights), OPT_NONE, NB, NULL, 0,
     "the network as plain text instead of MODEL"},
    {"--bias", 0, NULL, NULL, OPT_FLAG, F(bias), OPT_NONE, NB, NULL, 1,
     "(--weights) the last input weight multiplies a constant 1"},
    {"--standardize", 0, NULL, NULL, OPT_FLAG, F(standardize), OPT_NONE, NB, NULL, 1,
     "(--weights) the weights act on standardized columns"},
    {"--task", 0, NULL, "T", OPT_CHOICE, F(task), OPT_NONE, NB, "regression|classification",
     CVXRELU_TASK_REGRESSION, "(--weights) classification|regression (default: guess)"},
    {"--loss", 0, NULL, "L", OPT_CHOICE, F(loss), OPT_NONE, NB, "squared|logistic|ce|huber",
     CVXRELU_LOSS_SQUARED, "(--weights) the data term's loss of the objective: squared "
     "(default), logistic (two classes), ce (three or more), huber (delta 1); a model file "
     "records its own (docs/algorithms.md, \"Losses\")"},
    {"--quiet", 0, "-q", NULL, OPT_FLAG, F(quiet), OPT_NONE, NB, NULL, 1, "no report on stdout"},
};
#undef F
#undef NB
enum { N_CERT = sizeof cert_table / sizeof cert_table[0] };

static void cert_opts_default(cert_opts *o)
{
    memset(o, 0, sizeof *o);
    cvxrelu_read_opts_default(&o->data);
    cvxrelu_certify_run_settings_default(&o->rs);
    o->beta = NAN;
    o->task = CVXRELU_TASK_AUTO;
}

static void certify_help(void)
{
    cert_opts def; /* the help states the library's defaults */
    cert_opts_default(&def);
    printf("Usage: cvxrelu certify MODEL DATA [options]\n"
           "       cvxrelu certify --weights FILE DATA --lambda L [options]\n"
           "\n"
           "Bounds on the global optimum of the two-layer ReLU network with weight decay\n"
           "on DATA (docs/algorithms.md, \"Certificates for the non-convex problem\"):\n"
           "the upper bound UB is the network's objective, the lower bound LB comes\n"
           "from weak duality with v = minus the loss derivative at f(X) (Y - f(X)\n"
           "for squared loss) and an upper bound on\n"
           "s(v) = max_{||u||<=1} |v.(X u)_+|.  Every computed bound is valid; the\n"
           "tightest is used.  'certified optimal' means LB = UB to --tol.  A search\n"
           "over sampled directions is reported separately: it can show that the\n"
           "network is NOT optimal, never that it is.\n"
           "\n"
           "MODEL is a ReLU model file of cvxrelu (train --model relu, --decompose,\n"
           "--optimizer); the data are encoded as at training.  --weights reads a\n"
           "network trained elsewhere (docs/formats.md, 'Weights files'), acting on the\n"
           "raw columns (plus a bias input with --bias; --standardize to act on\n"
           "standardized columns).\n"
           "\n"
           "Options:\n");
    opt_help(cert_table, N_CERT, &def);
    data_help();
    printf("\nExit codes: 0 success (whether or not optimality is certified), 1 usage\n"
           "error, 2 data or file error, 3 numerical failure or out of memory.\n");
}

static int cert_special(void *opts, const opt_def *row, int argc, char **argv, int *i)
{
    cert_opts *o = opts;
    const char *v = opt_value(argc, argv, i); /* the one special row: --bounds */
    cvxrelu_error err = {{0}};
    if (v && cvxrelu_sbounds_parse(v, &o->rs.bounds.bounds, &err) == CVXRELU_OK) return 0;
    if (v) die_msg("%s: %s", row->name, err.msg);
    return -1;
}

/* The positionals and the options that go together; an exit code. */
static int check_args(cert_opts *o, const char **model, const char **data, const char *pos[2])
{
    *model = pos[0];
    *data = pos[1];
    if (o->weights && pos[0]) { /* the first positional was the data */
        if (pos[1]) {
            die_msg("certify: with --weights give only DATA, not MODEL (\"%s\")", pos[0]);
            return EXIT_USAGE;
        }
        *data = pos[0];
        *model = NULL;
    }
    const char *err = NULL;
    if (!*data || (!*model && !o->weights))
        err = "certify: expected MODEL DATA, or --weights FILE DATA (see cvxrelu certify --help)";
    else if (o->weights && isnan(o->rs.lambda) && isnan(o->beta))
        err = "certify: --weights needs --lambda (or --beta)";
    else if (!isnan(o->rs.lambda) && !isnan(o->beta))
        err = "certify: give --lambda or --beta, not both";
    else if (!o->weights && (o->bias || o->standardize || o->task != CVXRELU_TASK_AUTO ||
                             o->loss != CVXRELU_LOSS_SQUARED))
        err = "certify: --bias, --standardize, --task and --loss apply to --weights only (a "
              "model file records its encoding and its loss)";
    else if (o->loss != CVXRELU_LOSS_SQUARED && o->relax_given)
        err = "certify: --relaxation bounds the squared-loss problem only; not with --loss";
    if (err) {
        die_msg("%s", err);
        return EXIT_USAGE;
    }
    const io_path outs[] = {{"--json", o->json}};
    const io_path ins[] = {{"MODEL", *model}, {"--weights", o->weights}, {"DATA", *data}};
    return check_io_paths(outs, 1, ins, 3);
}

int cmd_certify(int argc, char **argv)
{
    if (opt_wants_help(argc, argv)) {
        certify_help();
        return EXIT_OK;
    }
    cert_opts o;
    cert_opts_default(&o);
    const char *pos[2] = {NULL, NULL}, *model_path, *data_path;
    if (opt_parse_args("certify", cert_table, N_CERT, &o, &o.data, cert_special, pos, 2, NULL,
                       argc, argv))
        return EXIT_USAGE;
    g_quiet = o.quiet;
    int rc = check_args(&o, &model_path, &data_path, pos);
    if (rc) return rc;
    const char *network = model_path ? model_path : o.weights;
    o.rs.relaxation = o.relax_given ? 1 + o.relax : 0; /* 1 + cvxrelu_sdp_method */
    o.rs.threads = g_threads;
    cvxrelu_error err = {{0}};
    cvxrelu_model *m = NULL;
    cvxrelu_dataset *ds = NULL;
    cvxrelu_status st = CVXRELU_OK;
    if (model_path && !(st = cvxrelu_model_load(model_path, &m, &err)) &&
        (st = cvxrelu_certify_check(m, o.rs.relaxation, &err))) {
        die_msg("%s: %s", model_path, err.msg);
        rc = EXIT_DATA;
        goto done;
    }
    if (!st) st = m ? cvxrelu_dataset_read_for_model(data_path, &o.data, m->enc, 1, "certify",
                                                     &ds, &err)
                    : cvxrelu_dataset_read(data_path, &o.data, &ds, &err);
    if (!st && !m &&
        !(st = cvxrelu_model_from_weights_file(o.weights, ds, (cvxrelu_task)o.task,
                                               o.standardize, o.bias, &m, &err))) {
        m->loss = (cvxrelu_loss)o.loss;
    }
    if (st) {
        rc = lib_error(st, &err);
        goto done;
    }
    const size_t n = ds->n, c = m->enc->c;
    if (!isnan(o.beta)) o.rs.lambda = o.beta / (double)(n * c);
    if (isnan(o.rs.lambda) && !(m->lambda > 0.0)) {
        die_msg("%s: the model's lambda is %g; give --lambda > 0", network, m->lambda);
        rc = EXIT_USAGE;
        goto done;
    }
    cli_stop_begin(); /* the bounds not yet computed are skipped, the others reported */
    o.rs.bounds.interrupt = &g_interrupt;
    if (!m->V)
        note("certify: bounds on s(v) for %zu output%s (n=%zu, d=%zu, %zu neurons)...\n", c,
             c == 1 ? "" : "s", n, m->enc->d, m->m);
    cvxrelu_certify_report r;
    if ((st = cvxrelu_certify_run(m, ds, &o.rs, &r, &err))) {
        rc = lib_error(st, &err);
        goto done;
    }
    if (!g_quiet) cvxrelu_certify_report_print(stdout, &r, network, data_path);
    if (o.json) {
        cvxrelu_json j;
        cvxrelu_json_open(&j);
        cvxrelu_certify_report_json(&j, &r, network, data_path);
        rc = json_write(&j, o.json);
    }
    if (rc == EXIT_OK && g_interrupt) {
        note("interrupted: the bounds computed before the signal are reported (valid, "
             "possibly looser)\n");
        rc = EXIT_INTERRUPTED;
    }
done:
    cli_stop_end();
    cvxrelu_dataset_free(ds);
    cvxrelu_model_free(m);
    return rc;
}
