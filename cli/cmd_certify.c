/* cvxrelu certify: upper and certified lower bounds for any two-layer ReLU network (docs/algorithms.md, "Certificates for the non-convex problem"). */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int parse_bounds_opt(const char *val, unsigned *mask)
{
    *mask = 0;
    const char *p = val;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int found = 0;
        if (len == 3 && strncmp(p, "all", 3) == 0) {
            *mask |= (1u << CVXRELU_SBOUND_COUNT) - 1u;
            found = 1;
        }
        for (int b = 0; b < CVXRELU_SBOUND_COUNT && !found; b++) {
            const char *nm = cvxrelu_sbound_string((cvxrelu_sbound)b);
            if (strlen(nm) == len && strncmp(p, nm, len) == 0) {
                *mask |= 1u << b;
                found = 1;
            }
        }
        if (!found) {
            die_msg("--bounds: expected a list of cheap, spectral, sdp, subsets, exact or all, "
                    "got \"%.*s\"", (int)len, p);
            return -1;
        }
        p += len;
        if (*p == ',') p++;
    }
    if (!*mask) {
        die_msg("--bounds: expected at least one bound");
        return -1;
    }
    return 0;
}

typedef struct {
    const char *json, *weights;
    data_opts data;
    cvxrelu_certify_settings cs;
    double lambda, beta, relax_eps;
    int bias, standardize, relax, relax_given, task;
} cert_opts;

#define F(x) offsetof(cert_opts, x)
#define NB NAN, NAN, 0
/* Every option of certify: parsing, range check and --help (docs/cli.md, "certify");
   {} in a help text is the default. */
static const opt_def cert_table[] = {
    {"--lambda", 0, NULL, "L", OPT_DOUBLE, F(lambda), OPT_NONE, 0, NAN, OPT_LO_OPEN, NULL, 0,
     "regularization (default: the model's)"},
    {"--beta", 0, NULL, "B", OPT_DOUBLE, F(beta), OPT_NONE, 0, NAN, OPT_LO_OPEN, NULL, 0,
     "the same in the papers' scale, lambda = B / (n c)"},
    {"--bounds", 0, NULL, "LIST", OPT_SPECIAL, 0, OPT_NONE, NB, NULL, 0,
     "cheap,spectral,sdp,subsets,exact or all (default all; each is computed only where it "
     "applies)"},
    {"--sdp-max-rows", 0, NULL, "N", OPT_SIZE, F(cs.sdp_max_rows), OPT_NONE, NB, NULL, 0,
     "SDP bound when each sign class of v has <= N rows (default {})"},
    {"--subsets-max-rows", 0, NULL, "N", OPT_SIZE, F(cs.subsets_max_rows), OPT_NONE, 0, 30, 0,
     NULL, 0, "exhaustive subsets when <= N rows (default {}, at most 30)"},
    {"--samples", 0, NULL, "N", OPT_SIZE, F(cs.samples), OPT_NONE, NB, NULL, 0,
     "Gaussian directions of the necessary check (default {})"},
    {"--seed", 0, NULL, "S", OPT_U64, F(cs.seed), OPT_NONE, NB, NULL, 0, "their seed (default {})"},
    {"--tol", 0, NULL, "T", OPT_DOUBLE, F(cs.tol), OPT_NONE, 0, NAN, 0, NULL, 0,
     "certified optimal when UB - LB <= T UB (default {})"},
    {"--relaxation", 0, NULL, "S", OPT_CHOICE, F(relax), F(relax_given), NB, "admm|dsdp",
     CVXRELU_SDP_ADMM,
     "also solve the SDP relaxation of [PBY24] (docs/algorithms.md, \"The SDP relaxation\") "
     "on the data by S = admm or dsdp: a certified lower bound on every network, dense "
     "second layers included (needed for models from train --model sdp with several "
     "outputs)"},
    {"--relaxation-eps", 0, NULL, "E", OPT_DOUBLE, F(relax_eps), OPT_NONE, 0, NAN, OPT_LO_OPEN,
     NULL, 0, "its relative accuracy (default {})"},
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
    {"--quiet", 0, "-q", NULL, OPT_SPECIAL, 0, OPT_NONE, NB, NULL, 0, "no report on stdout"},
};
#undef F
#undef NB
enum { N_CERT = sizeof cert_table / sizeof cert_table[0] };

static void cert_opts_default(cert_opts *o)
{
    memset(o, 0, sizeof *o);
    data_opts_default(&o->data);
    cvxrelu_certify_settings_default(&o->cs);
    o->lambda = o->beta = NAN;
    o->relax_eps = 1e-4;
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
           "from weak duality with v = Y - f(X) and an upper bound on\n"
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
    printf("%s\n"
           "Exit codes: 0 success (whether or not optimality is certified), 1 usage\n"
           "error, 2 data or file error, 3 numerical failure or out of memory.\n",
           data_opts_help());
}



int cmd_certify(int argc, char **argv)
{
    const char *model_path = NULL, *data_path = NULL;
    cert_opts o;
    cert_opts_default(&o);
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            certify_help();
            return EXIT_OK;
        }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int used = data_opts_parse(&o.data, argc, argv, i);
        if (used < 0) return EXIT_USAGE;
        if (used > 0) {
            i += used - 1;
            continue;
        }
        const opt_def *row = NULL;
        int got = opt_parse(cert_table, N_CERT, &o, argc, argv, &i, &row, NULL);
        if (got < 0) return EXIT_USAGE;
        if (got > 0) continue;
        if (row && row->alias) {
            g_quiet = 1;
        } else if (row) { /* --bounds */
            if (i + 1 >= argc) {
                die_msg("%s: expected a value (see --help)", a);
                return EXIT_USAGE;
            }
            if (parse_bounds_opt(argv[++i], &o.cs.bounds)) return EXIT_USAGE;
        } else if (a[0] == '-' && a[1]) {
            die_msg("unknown option \"%s\" (see cvxrelu certify --help)", a);
            return EXIT_USAGE;
        } else if (!o.weights && !model_path && !data_path) {
            model_path = a;
        } else if (!data_path) {
            data_path = a;
        } else {
            die_msg("unexpected argument \"%s\"", a);
            return EXIT_USAGE;
        }
    }
    const char *weights = o.weights, *json_path = o.json;
    double lambda = o.lambda, beta = o.beta;
    const int relax = o.relax_given ? 1 + o.relax : 0; /* 1 + cvxrelu_sdp_method */
    cvxrelu_certify_settings cs = o.cs;
    const data_opts dopt = o.data;
    if (weights && model_path) { /* the first positional was the data */
        if (data_path) {
            die_msg("certify: with --weights give only DATA, not MODEL (\"%s\")", model_path);
            return EXIT_USAGE;
        }
        data_path = model_path;
        model_path = NULL;
    }
    if (!data_path || (!model_path && !weights)) {
        die_msg("certify: expected MODEL DATA, or --weights FILE DATA (see cvxrelu certify "
                "--help)");
        return EXIT_USAGE;
    }
    if (weights && isnan(lambda) && isnan(beta)) {
        die_msg("certify: --weights needs --lambda (or --beta)");
        return EXIT_USAGE;
    }
    if (!isnan(lambda) && !isnan(beta)) {
        die_msg("certify: give --lambda or --beta, not both");
        return EXIT_USAGE;
    }
    if (!weights && (o.bias || o.standardize || o.task != CVXRELU_TASK_AUTO)) {
        die_msg("certify: --bias, --standardize and --task apply to --weights only (a model "
                "file records its encoding)");
        return EXIT_USAGE;
    }
    {
        const io_path outs[] = {{"--json", json_path}};
        const io_path ins[] = {{"MODEL", model_path}, {"--weights", weights}, {"DATA", data_path}};
        int prc = check_io_paths(outs, 1, ins, 3);
        if (prc) return prc;
    }

    cvxrelu_error err = {{0}};
    cvxrelu_model *m = NULL;
    cvxrelu_dataset *ds = NULL;
    double *X = NULL, *Y = NULL;
    int rc = EXIT_OK;
    cvxrelu_status st;
    if (model_path) {
        if ((st = cvxrelu_model_load(model_path, &m, &err))) return lib_error(st, &err);
        if (m->kind == CVXRELU_MODEL_GATED) {
            die_msg("%s: a gated ReLU model (kind gated), and certificates are for ReLU "
                    "networks: to get one, train with `--decompose` or `--model relu`",
                    model_path);
            rc = EXIT_DATA;
            goto done;
        }
        if (m->kind != CVXRELU_MODEL_RELU) {
            die_msg("%s: a three-layer model (kind relu3), and certificates are for two-layer "
                    "ReLU networks (train --model relu, --decompose or --optimizer); the "
                    "relu3 training report holds its own program's certified gap",
                    model_path);
            rc = EXIT_DATA;
            goto done;
        }
    }
    if ((rc = m ? load_data_for_model(data_path, &dopt, m->enc, 1, "certify", &ds)
                : load_data(data_path, &dopt, &ds)))
        goto done;
    if (!ds->has_labels) {
        die_msg("%s: certification needs a label column", data_path);
        rc = EXIT_DATA;
        goto done;
    }
    if (weights) {
        cvxrelu_encoding *enc = NULL;
        double *W = NULL, *a = NULL;
        size_t *out = NULL, mm = 0;
        if ((st = cvxrelu_encoding_fit(ds, (cvxrelu_task)o.task, o.standardize, o.bias, &enc,
                                          &err)) ||
            (st = cvxrelu_weights_read(weights, enc->d, enc->c, &W, &a, &out, &mm, &err))) {
            cvxrelu_encoding_free(enc);
            rc = lib_error(st, &err);
            goto done;
        }
        st = cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, mm, W, a, out, 0.0, enc, &m, &err);
        free(W);
        free(a);
        free(out);
        if (st) {
            die_msg("%s: %s", weights, err.msg);
            rc = EXIT_DATA;
            goto done;
        }
    }
    if ((st = cvxrelu_encoding_features(m->enc, ds, &X, &err)) ||
        (st = cvxrelu_encoding_targets(m->enc, ds, &Y, &err))) {
        rc = lib_error(st, &err);
        goto done;
    }
    const size_t n = ds->n, c = m->enc->c;
    if (!isnan(beta)) lambda = beta / (double)(n * c);
    if (isnan(lambda)) lambda = m->lambda;
    if (!(lambda > 0.0)) {
        die_msg("%s: the model's lambda is %g; give --lambda > 0", model_path, m->lambda);
        rc = EXIT_USAGE;
        goto done;
    }
    if (m->V && !relax) {
        die_msg("%s: the network's neurons feed several outputs (a dense second layer, as "
                "read out of the SDP relaxation); the [KP24] certificate is for one output "
                "per neuron: give --relaxation admm (or dsdp) for the [PBY24] lower bound",
                model_path ? model_path : weights);
        rc = EXIT_DATA;
        goto done;
    }
    cli_set_threads(0);
    cvxrelu_certificate cert;
    memset(&cert, 0, sizeof cert);
    cli_stop_begin(); /* the bounds not yet computed are skipped, the others reported */
    cs.interrupt = &g_interrupt;
    if (!m->V)
        note("certify: bounds on s(v) for %zu output%s (n=%zu, d=%zu, %zu neurons)...\n", c,
             c == 1 ? "" : "s", n, m->enc->d, m->m);
    if (!m->V && (st = cvxrelu_certify(m, X, Y, n, lambda, &cs, &cert, &err))) {
        rc = lib_error(st, &err);
        goto done;
    }
    cvxrelu_sdp_result sres;
    memset(&sres, 0, sizeof sres);
    /* the network's objective: a forward pass, only for the relaxation (the [KP24]
       certificate has it as its upper bound) */
    const double net_obj = relax ? cvxrelu_model_objective(m, X, Y, n, lambda) : NAN;
    if (relax) {
        cvxrelu_sdp_settings ss;
        cvxrelu_sdp_settings_default(&ss);
        ss.method = (cvxrelu_sdp_method)(relax - 1);
        ss.tol = o.relax_eps;
        ss.upper_bound = net_obj; /* any network's objective tightens the certificate */
        ss.interrupt = &g_interrupt;
        double need = cvxrelu_sdp_memory(n, m->enc->d, c, ss.method);
        double have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
        if (need > have) {
            die_msg("the SDP relaxation needs about %.3g GiB for n=%zu rows and %.3g GiB are "
                    "available: refused before starting",
                    need / 1073741824.0, n, have / 1073741824.0);
            rc = EXIT_SOLVER;
            goto done;
        }
        cli_set_threads(n < 150 ? 1 : 0);
        if ((st = cvxrelu_sdp_solve(&(cvxrelu_problem){X, n, m->enc->d, Y, c}, lambda, &ss, &sres, &err))) {
            rc = lib_error(st, &err);
            goto done;
        }
        cvxrelu_sdp_result_free(&sres); /* only the numbers are kept */
    }
    cvxrelu_json j;
    if (json_path) {
        cvxrelu_json_open(&j);
        cvxrelu_json_str(&j, "version", CVXRELU_VERSION);
        cvxrelu_json_str(&j, "network", model_path ? model_path : weights);
        cvxrelu_json_str(&j, "data", data_path);
        cvxrelu_json_int(&j, "n", (long long)n);
        cvxrelu_json_int(&j, "d", (long long)m->enc->d_raw);
        cvxrelu_json_int(&j, "outputs", (long long)c);
        cvxrelu_json_int(&j, "neurons", (long long)m->m);
        cvxrelu_json_num(&j, "lambda", lambda);
        cvxrelu_json_num(&j, "beta", lambda * (double)(n * c));
        cvxrelu_json_num(&j, "kp24_width", cvxrelu_kp24_width(n, m->enc->d, 0.05));
        /* the network's objective and the best certified lower bound */
        double lb = m->V ? -INFINITY : cert.lower_bound;
        if (relax && sres.lower_bound > lb) lb = sres.lower_bound;
        cvxrelu_bounds_json(&j, m->V ? net_obj : cert.upper_bound, lb);
    }
    if (!g_quiet)
        printf("network: %s, %zu neurons; data: %s\n", model_path ? model_path : weights, m->m,
               data_path);
    if (!m->V && !g_quiet) cvxrelu_certificate_print(stdout, &cert, n);
    if (!m->V && json_path) cvxrelu_certificate_json(&j, &cert);
    if (relax) {
        double lb = sres.lower_bound;
        if (!m->V && cert.lower_bound > lb) lb = cert.lower_bound;
        const char *sname = relax - 1 == CVXRELU_SDP_DSDP ? "dsdp" : "admm";
        if (!g_quiet) {
            printf("SDP relaxation [PBY24] by %s: %s after %zu iterations in %.3f s\n", sname,
                   cvxrelu_exit_string(sres.exit), sres.iterations, sres.time_s);
            printf("  relaxation value      %.10e\n", sres.value);
            printf("  certified lower bound %.10e  (valid for every network on these data)\n",
                   sres.lower_bound);
            printf("  network objective     %.10e  (UB - LB)/UB = %.3e with the best lower "
                   "bound %.10e\n",
                   net_obj, (net_obj - lb) / net_obj, lb);
        }
        if (json_path) {
            cvxrelu_json_str(&j, "relaxation_solver", sname);
            cvxrelu_json_num(&j, "sdp_value", sres.value);
            cvxrelu_json_num(&j, "sdp_lower_bound", sres.lower_bound);
            cvxrelu_json_num(&j, "sdp_gap", sres.gap);
            cvxrelu_json_int(&j, "sdp_rank", (long long)sres.rank);
            cvxrelu_json_num(&j, "sdp_time_s", sres.time_s);
            cvxrelu_json_num(&j, "network_objective", net_obj);
            cvxrelu_json_num(&j, "best_lower_bound", lb);
            cvxrelu_json_num(&j, "relative_gap_best", (net_obj - lb) / net_obj);
        }
    }
    if (json_path) {
        cvxrelu_json_str(&j, "exit", cvxrelu_exit_string(g_interrupt ? CVXRELU_EXIT_INTERRUPTED
                                                            : CVXRELU_EXIT_CONVERGED));
        cvxrelu_json_str(&j, "blas", cvxrelu_blas_info());
        rc = json_write(&j, json_path);
    }
    if (rc == EXIT_OK && g_interrupt) {
        note("interrupted: the bounds computed before the signal are reported (valid, "
             "possibly looser)\n");
        rc = EXIT_INTERRUPTED;
    }
done:
    cli_stop_end();
    free(X);
    free(Y);
    cvxrelu_dataset_free(ds);
    cvxrelu_model_free(m);
    return rc;
}
