/* cvxrelu certify: upper and certified lower bounds for any two-layer ReLU network (docs/algorithms.md, "Certificates for the non-convex problem"). */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <math.h>
#include <signal.h>
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

void json_bounds(jbuf *j, double objective, double lower_bound)
{
    jb_num(j, "objective", objective);
    if (isnan(lower_bound)) return;
    jb_num(j, "upper_bound", objective);
    jb_num(j, "lower_bound", lower_bound);
    jb_num(j, "gap", objective - lower_bound);
    jb_num(j, "ratio", lower_bound > 0.0 ? objective / lower_bound : INFINITY);
}

void certificate_report(const cvxrelu_certificate *c, size_t n, FILE *f, jbuf *j)
{
    char used[96] = "";
    for (int b = 0; b < CVXRELU_SBOUND_COUNT; b++)
        if (c->used_mask & (1u << b)) {
            if (used[0]) strcat(used, "+");
            strcat(used, cvxrelu_sbound_string((cvxrelu_sbound)b));
        }
    if (f) {
        fprintf(f, "certificate (docs/algorithms.md, \"Certificates for the non-convex problem\")\n"
                   "  lambda %g (beta = lambda N = %g), %zu rows, %zu output%s\n",
               c->lambda, c->beta, n, c->outputs, c->outputs == 1 ? "" : "s");
        fprintf(f, "  upper bound  %.10e  (the network's objective)\n", c->upper_bound);
        fprintf(f, "  lower bound  %.10e  (weak duality, s-bound: %s)\n", c->lower_bound, used);
        fprintf(f, "  UB/LB        %.12g  (UB - LB)/UB = %.3e  (sqrt(log 2n) = %.4g for scale)\n",
                c->ratio, (c->upper_bound - c->lower_bound) / c->upper_bound, c->sqrt_log_2n);
        fprintf(f, "  bounds on s(v)/beta:");
        for (int b = 0; b < CVXRELU_SBOUND_COUNT; b++) {
            if (isnan(c->sbar[b])) fprintf(f, "  %s -", cvxrelu_sbound_string((cvxrelu_sbound)b));
            else fprintf(f, "  %s %.10g", cvxrelu_sbound_string((cvxrelu_sbound)b), c->sbar[b]);
        }
        fprintf(f, "\n  dual feasible %s, certified optimal %s\n", c->dual_feasible ? "yes" : "no",
               c->certified_optimal ? "YES" : "no");
        fprintf(f, "  necessary check (sampled directions, NOT a certificate): max |v.(Xu)_+|/beta "
               ">= %.9g%s\n",
               c->s_sampled,
               c->descent_found ? "  -> a neuron that lowers the objective exists" : "");
    }
    if (j) {
        /* upper_bound, lower_bound and ratio are json_bounds's (the best bound known) */
        jb_num(j, "certificate_lower_bound", c->lower_bound);
        jb_str(j, "bound_used", used);
        for (int b = 0; b < CVXRELU_SBOUND_COUNT; b++) {
            char key[48];
            snprintf(key, sizeof key, "s_%s_over_beta", cvxrelu_sbound_string((cvxrelu_sbound)b));
            jb_num(j, key, c->sbar[b]); /* null when not computed */
        }
        jb_num(j, "s_over_beta", c->s_over_beta);
        jb_bool(j, "dual_feasible", c->dual_feasible);
        jb_bool(j, "certified_optimal", c->certified_optimal);
        jb_num(j, "sampled_s_over_beta", c->s_sampled);
        jb_bool(j, "sampled_descent_found", c->descent_found);
        jb_num(j, "sqrt_log_2n", c->sqrt_log_2n);
        jb_num(j, "certify_time_s", c->time_s);
        jb_str(j, "certificate_exit", cvxrelu_exit_string(c->exit));
    }
}

static void certify_help(void)
{
    cvxrelu_certify_settings def; /* the help states the library's defaults */
    cvxrelu_certify_settings_default(&def);
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
           "Options:\n"
           "  --lambda L        regularization (default: the model's)\n"
           "  --beta B          the same in the papers' scale, lambda = B / (n c)\n"
           "  --bounds LIST     cheap,spectral,sdp,subsets,exact or all (default all;\n"
           "                    each is computed only where it applies)\n"
           "  --sdp-max-rows N  SDP bound when each sign class of v has <= N rows (%zu)\n"
           "  --subsets-max-rows N  exhaustive subsets when <= N rows (%zu, at most 30)\n"
           "  --samples N       Gaussian directions of the necessary check (%zu)\n"
           "  --seed S          their seed (%llu)\n"
           "  --tol T           certified optimal when UB - LB <= T UB (%g)\n"
           "  --relaxation S    also solve the SDP relaxation of [PBY24]\n"
           "                    (docs/algorithms.md, \"The SDP relaxation\") on the data\n"
           "                    by S = admm or dsdp: a certified lower bound on every\n"
           "                    network, dense second layers included (needed for models\n"
           "                    from train --model sdp with several outputs)\n"
           "  --relaxation-eps E  its relative accuracy (1e-4)\n"
           "  --json FILE       write the certificate as JSON (atomically)\n"
           "  --weights FILE    the network as plain text instead of MODEL\n"
           "  --bias            (--weights) the last input weight multiplies a constant 1\n"
           "  --standardize     (--weights) the weights act on standardized columns\n"
           "  --task T          (--weights) classification|regression (default: guess)\n"
           "  -q                no report on stdout\n"
           "%s\n"
           "Exit codes: 0 success (whether or not optimality is certified), 1 usage\n"
           "error, 2 data or file error, 3 numerical failure or out of memory.\n",
           def.sdp_max_rows, def.subsets_max_rows, def.samples, (unsigned long long)def.seed,
           def.tol, data_opts_help());
}

/* SIGINT / SIGTERM: the bounds not yet computed are skipped (those computed stay
   valid) and the report is written; a second signal ends the process at once. */
static volatile sig_atomic_t g_cert_stop = 0;

static void on_cert_signal(int sig)
{
    (void)sig;
    if (g_cert_stop) _exit(EXIT_INTERRUPTED);
    g_cert_stop = 1;
}


int cmd_certify(int argc, char **argv)
{
    const char *model_path = NULL, *data_path = NULL, *json_path = NULL, *weights = NULL;
    data_opts dopt;
    data_opts_default(&dopt);
    cvxrelu_certify_settings cs;
    cvxrelu_certify_settings_default(&cs);
    double lambda = NAN, beta = NAN;
    int bias = 0, standardize = 0;
    int relax = 0; /* 1 + cvxrelu_sdp_method */
    double relax_eps = 1e-4;
    cvxrelu_task task = CVXRELU_TASK_AUTO;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            certify_help();
            return EXIT_OK;
        }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int used = data_opts_parse(&dopt, argc, argv, i);
        if (used < 0) return EXIT_USAGE;
        if (used > 0) {
            i += used - 1;
            continue;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = strcmp(a, "--lambda") == 0 || strcmp(a, "--beta") == 0 ||
                    strcmp(a, "--bounds") == 0 || strcmp(a, "--sdp-max-rows") == 0 ||
                    strcmp(a, "--subsets-max-rows") == 0 || strcmp(a, "--samples") == 0 ||
                    strcmp(a, "--seed") == 0 || strcmp(a, "--tol") == 0 ||
                    strcmp(a, "--json") == 0 || strcmp(a, "--weights") == 0 ||
                    strcmp(a, "--task") == 0 || strcmp(a, "--relaxation") == 0 ||
                    strcmp(a, "--relaxation-eps") == 0;
        if (takes && !v) {
            die_msg("%s: expected a value", a);
            return EXIT_USAGE;
        }
        int bad = 0;
        if (strcmp(a, "--lambda") == 0) {
            bad = parse_double_opt(a, v, &lambda);
            if (!bad && !(lambda > 0.0)) {
                die_msg("--lambda: expected a positive number, got \"%s\"", v);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--beta") == 0) {
            bad = parse_double_opt(a, v, &beta);
            if (!bad && !(beta > 0.0)) {
                die_msg("--beta: expected a positive number, got \"%s\"", v);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--bounds") == 0) {
            if (parse_bounds_opt(v, &cs.bounds)) return EXIT_USAGE;
        } else if (strcmp(a, "--sdp-max-rows") == 0) {
            bad = parse_size_opt(a, v, &cs.sdp_max_rows);
        } else if (strcmp(a, "--subsets-max-rows") == 0) {
            bad = parse_size_opt(a, v, &cs.subsets_max_rows);
            if (!bad && cs.subsets_max_rows > 30) {
                die_msg("--subsets-max-rows: expected at most 30 (2^N subsets), got %s", v);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--samples") == 0) {
            bad = parse_size_opt(a, v, &cs.samples);
        } else if (strcmp(a, "--seed") == 0) {
            bad = parse_u64_opt(a, v, &cs.seed);
        } else if (strcmp(a, "--tol") == 0) {
            bad = parse_double_opt(a, v, &cs.tol);
            if (!bad && !(cs.tol >= 0.0)) {
                die_msg("--tol: expected a number >= 0, got \"%s\"", v);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--json") == 0) {
            json_path = v;
        } else if (strcmp(a, "--relaxation") == 0) {
            if (strcmp(v, "admm") == 0) relax = 1 + CVXRELU_SDP_ADMM;
            else if (strcmp(v, "dsdp") == 0) relax = 1 + CVXRELU_SDP_DSDP;
            else {
                die_msg("--relaxation: expected admm or dsdp, got \"%s\"", v);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--relaxation-eps") == 0) {
            bad = parse_double_opt(a, v, &relax_eps);
            if (!bad && !(relax_eps > 0.0)) {
                die_msg("--relaxation-eps: expected a positive number, got \"%s\"", v);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--weights") == 0) {
            weights = v;
        } else if (strcmp(a, "--task") == 0) {
            if (strcmp(v, "classification") == 0) task = CVXRELU_TASK_CLASSIFICATION;
            else if (strcmp(v, "regression") == 0) task = CVXRELU_TASK_REGRESSION;
            else {
                die_msg("--task: expected classification or regression, got \"%s\"", v);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--bias") == 0) {
            bias = 1;
        } else if (strcmp(a, "--standardize") == 0) {
            standardize = 1;
        } else if (strcmp(a, "-q") == 0) {
            g_quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            die_msg("unknown option \"%s\" (see cvxrelu certify --help)", a);
            return EXIT_USAGE;
        } else if (!weights && !model_path && !data_path) {
            model_path = a;
        } else if (!data_path) {
            data_path = a;
        } else {
            die_msg("unexpected argument \"%s\"", a);
            return EXIT_USAGE;
        }
        if (bad) return EXIT_USAGE;
        if (takes) i++;
    }
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
    if (!weights && (bias || standardize || task != CVXRELU_TASK_AUTO)) {
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
        if ((st = cvxrelu_model_load(model_path, &m, &err))) {
            die_msg("%s", err.msg);
            return st == CVXRELU_ERR_NOMEM ? EXIT_SOLVER : EXIT_DATA;
        }
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
        if ((st = cvxrelu_encoding_fit(ds, task, standardize, bias, &enc, &err)) ||
            (st = cvxrelu_weights_read(weights, enc->d, enc->c, &W, &a, &out, &mm, &err))) {
            cvxrelu_encoding_free(enc);
            die_msg("%s", err.msg);
            rc = st == CVXRELU_ERR_NOMEM ? EXIT_SOLVER : EXIT_DATA;
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
        die_msg("%s", err.msg);
        rc = EXIT_DATA;
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
    g_cert_stop = 0;
    cli_signals(on_cert_signal);
    cs.interrupt = &g_cert_stop;
    if (!m->V)
        note("certify: bounds on s(v) for %zu output%s (n=%zu, d=%zu, %zu neurons)...\n", c,
             c == 1 ? "" : "s", n, m->enc->d, m->m);
    if (!m->V && (st = cvxrelu_certify(m, X, Y, n, lambda, &cs, &cert, &err))) {
        die_msg("%s", err.msg);
        rc = st == CVXRELU_ERR_INVALID ? EXIT_DATA : EXIT_SOLVER;
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
        ss.tol = relax_eps;
        ss.upper_bound = net_obj; /* any network's objective tightens the certificate */
        ss.interrupt = &g_cert_stop;
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
        if ((st = cvxrelu_sdp_solve(X, n, m->enc->d, Y, c, lambda, &ss, &sres, &err))) {
            die_msg("%s", err.msg);
            rc = EXIT_SOLVER;
            goto done;
        }
        cvxrelu_sdp_result_free(&sres); /* only the numbers are kept */
    }
    jbuf j;
    if (json_path) {
        jb_open(&j);
        jb_str(&j, "version", CVXRELU_VERSION);
        jb_str(&j, "network", model_path ? model_path : weights);
        jb_str(&j, "data", data_path);
        jb_int(&j, "n", (long long)n);
        jb_int(&j, "d", (long long)m->enc->d_raw);
        jb_int(&j, "outputs", (long long)c);
        jb_int(&j, "neurons", (long long)m->m);
        jb_num(&j, "lambda", lambda);
        jb_num(&j, "beta", lambda * (double)(n * c));
        jb_num(&j, "kp24_width", cvxrelu_kp24_width(n, m->enc->d, 0.05));
        /* the network's objective and the best certified lower bound */
        double lb = m->V ? -INFINITY : cert.lower_bound;
        if (relax && sres.lower_bound > lb) lb = sres.lower_bound;
        json_bounds(&j, m->V ? net_obj : cert.upper_bound, lb);
    }
    if (!g_quiet)
        printf("network: %s, %zu neurons; data: %s\n", model_path ? model_path : weights, m->m,
               data_path);
    if (!m->V) certificate_report(&cert, n, g_quiet ? NULL : stdout, json_path ? &j : NULL);
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
            jb_str(&j, "relaxation_solver", sname);
            jb_num(&j, "sdp_value", sres.value);
            jb_num(&j, "sdp_lower_bound", sres.lower_bound);
            jb_num(&j, "sdp_gap", sres.gap);
            jb_int(&j, "sdp_rank", (long long)sres.rank);
            jb_num(&j, "sdp_time_s", sres.time_s);
            jb_num(&j, "network_objective", net_obj);
            jb_num(&j, "best_lower_bound", lb);
            jb_num(&j, "relative_gap_best", (net_obj - lb) / net_obj);
        }
    }
    if (json_path) {
        jb_str(&j, "exit", cvxrelu_exit_string(g_cert_stop ? CVXRELU_EXIT_INTERRUPTED
                                                            : CVXRELU_EXIT_CONVERGED));
        jb_str(&j, "blas", cvxrelu_blas_info());
        jb_close(&j);
        rc = jb_write(&j, json_path);
        jb_free(&j);
    }
    if (rc == EXIT_OK && g_cert_stop) {
        note("interrupted: the bounds computed before the signal are reported (valid, "
             "possibly looser)\n");
        rc = EXIT_INTERRUPTED;
    }
done:
    cli_signals(NULL);
    free(X);
    free(Y);
    cvxrelu_dataset_free(ds);
    cvxrelu_model_free(m);
    return rc;
}
