/* What `cvxrelu certify` does with one network and labelled data: the [KP24]
   certificate, optionally the [PBY24] relaxation's bound, one report (docs/api.md,
   "Certifying a network"). */
#include "cvxrelu.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cvxrelu_status cvxrelu_sbounds_parse(const char *list, unsigned *mask, cvxrelu_error *err)
{
    *mask = 0;
    const char *p = list;
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
        if (!found)
            return cr_fail(err, CVXRELU_ERR_INVALID,
                           "expected a list of cheap, spectral, sdp, subsets, exact or all, "
                           "got \"%.*s\"", (int)len, p);
        p += len;
        if (*p == ',') p++;
    }
    if (!*mask) return cr_fail(err, CVXRELU_ERR_INVALID, "expected at least one bound");
    return CVXRELU_OK;
}

void cvxrelu_certify_run_settings_default(cvxrelu_certify_run_settings *s)
{
    memset(s, 0, sizeof *s);
    cvxrelu_certify_settings_default(&s->bounds);
    s->lambda = NAN;
    s->relaxation = 0;
    s->relaxation_tol = 1e-4;
}

cvxrelu_status cvxrelu_certify_check(const cvxrelu_model *m, int relaxation, cvxrelu_error *err)
{
    if (m->kind == CVXRELU_MODEL_GATED)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "a gated ReLU model (kind gated), and certificates are for ReLU "
                       "networks: to get one, train with `--decompose` or `--model relu`");
    if (m->kind != CVXRELU_MODEL_RELU)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "a three-layer model (kind relu3), and certificates are for two-layer "
                       "ReLU networks (train --model relu, --decompose or --optimizer); the "
                       "relu3 training report holds its own program's certified gap");
    if (m->V && !relaxation)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "the network's neurons feed several outputs (a dense second layer, as "
                       "read out of the SDP relaxation); the [KP24] certificate is for one "
                       "output per neuron: give --relaxation admm (or dsdp) for the [PBY24] "
                       "lower bound");
    if (relaxation && m->loss != CVXRELU_LOSS_SQUARED)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "trained with the %s loss, and the [PBY24] relaxation bounds the "
                       "squared-loss problem only: certify without --relaxation (the [KP24] "
                       "bound holds for every loss)", cvxrelu_loss_name(m->loss));
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_model_from_weights_file(const char *path, const cvxrelu_dataset *ds,
                                               cvxrelu_task task, int standardize, int bias,
                                               cvxrelu_model **out, cvxrelu_error *err)
{
    *out = NULL;
    cvxrelu_encoding *enc = NULL;
    double *W = NULL, *a = NULL;
    size_t *outs = NULL, mm = 0;
    cvxrelu_status st;
    if ((st = cvxrelu_encoding_fit(ds, task, standardize, bias, &enc, err)) ||
        (st = cvxrelu_weights_read(path, enc->d, enc->c, &W, &a, &outs, &mm, err))) {
        cvxrelu_encoding_free(enc);
        return st;
    }
    cvxrelu_error e = {{0}};
    st = cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, mm, W, a, outs, 0.0, enc, out, &e);
    free(W);
    free(a);
    free(outs);
    return st ? cr_fail(err, CVXRELU_ERR_INVALID, "%s: %s", path, e.msg) : CVXRELU_OK;
}

cvxrelu_status cvxrelu_certify_run(const cvxrelu_model *m, const cvxrelu_dataset *ds,
                                   const cvxrelu_certify_run_settings *s,
                                   cvxrelu_certify_report *r, cvxrelu_error *err)
{
    memset(r, 0, sizeof *r);
    r->best_lower_bound = -INFINITY;
    cvxrelu_status st = cvxrelu_certify_check(m, s->relaxation, err);
    if (st) return st;
    if (!ds->has_labels)
        return cr_fail(err, CVXRELU_ERR_FORMAT, "%s: certification needs a label column",
                       ds->source ? ds->source : "data");
    double *X = NULL, *Y = NULL;
    if ((st = cvxrelu_encoding_features(m->enc, ds, &X, err)) ||
        (st = cvxrelu_encoding_targets(m->enc, ds, &Y, err)))
        goto done;
    const size_t n = ds->n, d = m->enc->d, c = m->enc->c;
    r->n = n;
    r->d_raw = m->enc->d_raw;
    r->c = c;
    r->neurons = m->m;
    r->dense = m->V != NULL;
    r->lambda = isnan(s->lambda) ? m->lambda : s->lambda;
    r->kp24_width = cvxrelu_kp24_width(n, d, 0.05);
    if (!(r->lambda > 0.0)) {
        st = cr_fail(err, CVXRELU_ERR_INVALID, "lambda is %g; give a lambda > 0", r->lambda);
        goto done;
    }
    if (s->threads != 0) {
        if (s->threads > 0) cvxrelu_blas_set_threads(s->threads);
    } else {
        cvxrelu_blas_set_threads(0);
    }
    if (!r->dense) {
        if ((st = cvxrelu_certify(m, X, Y, n, r->lambda, &s->bounds, &r->certificate, err)))
            goto done;
        r->certified = 1;
        r->upper_bound = r->network_objective = r->certificate.upper_bound;
        r->best_lower_bound = r->certificate.lower_bound;
    } else { /* the network's objective: a forward pass */
        r->upper_bound = r->network_objective = cvxrelu_model_objective(m, X, Y, n, r->lambda);
    }
    if (s->relaxation) {
        cvxrelu_sdp_settings ss;
        cvxrelu_sdp_settings_default(&ss);
        ss.method = (cvxrelu_sdp_method)(s->relaxation - 1);
        ss.tol = s->relaxation_tol;
        ss.interrupt = s->bounds.interrupt;
        /* any network's objective tightens the certificate */
        ss.upper_bound = r->certified ? cvxrelu_model_objective(m, X, Y, n, r->lambda)
                                      : r->network_objective;
        r->network_objective = ss.upper_bound;
        const double need = cvxrelu_sdp_memory(n, d, c, ss.method);
        const double have = s->max_memory_bytes > 0 ? s->max_memory_bytes : cr_physical_memory();
        if (need > have) {
            st = cr_fail(err, CVXRELU_ERR_NOMEM,
                         "the SDP relaxation needs about %.3g GiB for n=%zu rows and %.3g GiB "
                         "are available: refused before starting", need / 1073741824.0, n,
                         have / 1073741824.0);
            goto done;
        }
        if (s->threads == 0) cvxrelu_blas_set_threads(n < 150 ? 1 : 0);
        cvxrelu_sdp_result sres;
        memset(&sres, 0, sizeof sres);
        if ((st = cvxrelu_sdp_solve(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, r->lambda, &ss, &sres,
                                    err)))
            goto done;
        r->relaxed = 1;
        r->relaxation_method = ss.method;
        r->sdp_exit = sres.exit;
        r->sdp_value = sres.value;
        r->sdp_lower_bound = sres.lower_bound;
        r->sdp_gap = sres.gap;
        r->sdp_rank = sres.rank;
        r->sdp_iterations = sres.iterations;
        r->sdp_time_s = sres.time_s;
        cvxrelu_sdp_result_free(&sres); /* only the numbers are kept */
        if (r->sdp_lower_bound > r->best_lower_bound) r->best_lower_bound = r->sdp_lower_bound;
    }
    r->exit = s->bounds.interrupt && *s->bounds.interrupt ? CVXRELU_EXIT_INTERRUPTED
                                                          : CVXRELU_EXIT_CONVERGED;
done:
    free(X);
    free(Y);
    return st;
}

void cvxrelu_certify_report_json(cvxrelu_json *j, const cvxrelu_certify_report *r,
                                 const char *network, const char *data)
{
    cvxrelu_json_str(j, "version", CVXRELU_VERSION);
    cvxrelu_json_str(j, "network", network);
    cvxrelu_json_str(j, "data", data);
    cvxrelu_json_int(j, "n", (long long)r->n);
    cvxrelu_json_int(j, "d", (long long)r->d_raw);
    cvxrelu_json_int(j, "outputs", (long long)r->c);
    cvxrelu_json_int(j, "neurons", (long long)r->neurons);
    cvxrelu_json_num(j, "lambda", r->lambda);
    cvxrelu_json_num(j, "beta", r->lambda * (double)(r->n * r->c));
    cvxrelu_json_num(j, "kp24_width", r->kp24_width);
    /* the network's objective and the best certified lower bound */
    cvxrelu_bounds_json(j, r->upper_bound, r->best_lower_bound);
    if (r->certified) cvxrelu_certificate_json(j, &r->certificate);
    if (r->relaxed) {
        const double ub = r->network_objective, lb = r->best_lower_bound;
        cvxrelu_json_str(j, "relaxation_solver",
                         r->relaxation_method == CVXRELU_SDP_DSDP ? "dsdp" : "admm");
        cvxrelu_json_num(j, "sdp_value", r->sdp_value);
        cvxrelu_json_num(j, "sdp_lower_bound", r->sdp_lower_bound);
        cvxrelu_json_num(j, "sdp_gap", r->sdp_gap);
        cvxrelu_json_int(j, "sdp_rank", (long long)r->sdp_rank);
        cvxrelu_json_num(j, "sdp_time_s", r->sdp_time_s);
        cvxrelu_json_num(j, "network_objective", ub);
        cvxrelu_json_num(j, "best_lower_bound", lb);
        cvxrelu_json_num(j, "relative_gap_best", (ub - lb) / ub);
    }
    cvxrelu_json_str(j, "exit", cvxrelu_exit_string(r->exit));
    cvxrelu_json_str(j, "blas", cvxrelu_blas_info());
}

void cvxrelu_certify_report_print(FILE *f, const cvxrelu_certify_report *r, const char *network,
                                  const char *data)
{
    fprintf(f, "network: %s, %zu neurons; data: %s\n", network, r->neurons, data);
    if (r->certified) cvxrelu_certificate_print(f, &r->certificate, r->n);
    if (!r->relaxed) return;
    const double ub = r->network_objective, lb = r->best_lower_bound;
    fprintf(f, "SDP relaxation [PBY24] by %s: %s after %zu iterations in %.3f s\n",
            r->relaxation_method == CVXRELU_SDP_DSDP ? "dsdp" : "admm",
            cvxrelu_exit_string(r->sdp_exit), r->sdp_iterations, r->sdp_time_s);
    fprintf(f, "  relaxation value      %.10e\n", r->sdp_value);
    fprintf(f, "  certified lower bound %.10e  (valid for every network on these data)\n",
            r->sdp_lower_bound);
    fprintf(f, "  network objective     %.10e  (UB - LB)/UB = %.3e with the best lower "
            "bound %.10e\n", ub, (ub - lb) / ub, lb);
}
