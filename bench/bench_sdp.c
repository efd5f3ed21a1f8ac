/*
 * Benchmark of the SDP relaxation (docs/algorithms.md, "The SDP relaxation"): time to 1e-4 relative accuracy
 * and memory, as n grows (c = 3 classes, d = 4..13 plus a bias column).
 *
 * For each problem the ADMM solver runs once to a tight tolerance; the value it
 * ends at is the reference.  The time to 1e-4 is the first check after which
 * the iterate's value stays within 1e-4 (relative) of the reference; the time
 * to the certified 1e-4 is when the certified lower bound comes within 1e-4 of
 * the reference.  The solver's own stop at --eps 1e-4 is also reported.
 *
 * Usage: bench_sdp [--max-n N] [--time-limit S] [--dsdp]
 */
#define _POSIX_C_SOURCE 200809L
#include "cvxrelu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
    size_t cap, len;
    cvxrelu_sdp_info *rows;
} trace;

static void on_check(const cvxrelu_sdp_info *info, void *user)
{
    trace *t = user;
    if (t->len == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->rows = realloc(t->rows, t->cap * sizeof *t->rows);
    }
    t->rows[t->len++] = *info;
}

/* Encoded features (standardized, bias) and one-hot targets of a data file,
   first n rows. */
static int load(const char *path, size_t nmax, double **X, double **Y, size_t *n, size_t *d,
                size_t *c)
{
    cvxrelu_read_opts ro;
    cvxrelu_read_opts_default(&ro);
    cvxrelu_dataset *ds = NULL, *sub = NULL;
    cvxrelu_encoding *enc = NULL;
    cvxrelu_error err;
    if (cvxrelu_dataset_read(path, &ro, &ds, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    size_t m = ds->n < nmax ? ds->n : nmax;
    size_t *idx = malloc(m * sizeof(size_t));
    /* every k-th row, so all classes are present */
    for (size_t i = 0; i < m; i++) idx[i] = (size_t)((double)i * (double)ds->n / (double)m);
    cvxrelu_dataset_subset(ds, idx, m, &sub, &err);
    free(idx);
    if (cvxrelu_encoding_fit(sub, CVXRELU_TASK_CLASSIFICATION, 1, 1, &enc, &err) ||
        cvxrelu_encoding_features(enc, sub, X, &err) ||
        cvxrelu_encoding_targets(enc, sub, Y, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    *n = m;
    *d = enc->d;
    *c = enc->c;
    cvxrelu_encoding_free(enc);
    cvxrelu_dataset_free(sub);
    cvxrelu_dataset_free(ds);
    return 0;
}

/* Gaussian features, a planted 10-neuron teacher with 3 outputs, argmax labels. */
static int synthetic(size_t n, size_t d0, double **X, double **Y, size_t *d, size_t *c)
{
    double *X0 = NULL, *Y0 = NULL;
    cvxrelu_error err;
    if (cvxrelu_synthetic_teacher(n, d0, 3, 10, 0.0, 7, &X0, &Y0, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    *d = d0 + 1;
    *c = 3;
    *X = malloc(n * (d0 + 1) * sizeof(double));
    *Y = calloc(n * 3, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        memcpy(*X + i * (d0 + 1), X0 + i * d0, d0 * sizeof(double));
        (*X)[i * (d0 + 1) + d0] = 1.0;
        size_t b = 0;
        for (size_t k = 1; k < 3; k++)
            if (Y0[i * 3 + k] > Y0[i * 3 + b]) b = k;
        (*Y)[i * 3 + b] = 1.0;
    }
    free(X0);
    free(Y0);
    return 0;
}

static double max_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static void run(const char *name, const double *X, const double *Y, size_t n, size_t d,
                size_t c, double beta, double time_limit, cvxrelu_sdp_method method)
{
    const double lambda = beta / (double)(n * c);
    trace tr = {0, 0, NULL};
    cvxrelu_sdp_settings s;
    cvxrelu_sdp_settings_default(&s);
    s.method = method;
    s.tol = 1e-7;
    s.max_iter = 1000000;
    s.time_limit_s = time_limit;
    s.check_every = 25;
    s.callback = on_check;
    s.callback_data = &tr;
    cvxrelu_sdp_result r;
    cvxrelu_error err;
    double rss0 = max_rss_mb();
    if (cvxrelu_sdp_solve(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, lambda, &s, &r, &err)) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        free(tr.rows);
        return;
    }
    double ref = r.value;
    double t_val = NAN, t_cert = NAN;
    for (size_t k = tr.len; k-- > 0;) {
        if (fabs(tr.rows[k].value - ref) > 1e-4 * fabs(ref)) break;
        t_val = tr.rows[k].time_s;
    }
    for (size_t k = 0; k < tr.len; k++)
        if (ref - tr.rows[k].lower_bound <= 1e-4 * fabs(ref)) {
            t_cert = tr.rows[k].time_s;
            break;
        }
    /* the solver's own stop at 1e-4 */
    cvxrelu_sdp_settings s4 = s;
    s4.tol = 1e-4;
    s4.callback = NULL;
    cvxrelu_sdp_result r4;
    double t4 = NAN, err4 = NAN;
    size_t it4 = 0;
    if (cvxrelu_sdp_solve(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, lambda, &s4, &r4, &err) == CVXRELU_OK) {
        t4 = r4.time_s;
        it4 = r4.iterations;
        err4 = fabs(r4.value - ref) / fabs(ref);
        cvxrelu_sdp_result_free(&r4);
    }
    printf("| %s | %zu | %zu | %zu | %g | %s | %zu | %.8g | %.2e | %.2f | %.2f | %zu | %.2f | "
           "%.1e | %.1f | %.1f |\n",
           name, n, d, n + d + c, beta, cvxrelu_exit_string(r.exit), r.iterations, ref, r.gap,
           t_val, t_cert, it4, t4, err4,
           cvxrelu_sdp_memory(n, d, c, method) / 1048576.0, max_rss_mb() - rss0);
    fflush(stdout);
    cvxrelu_sdp_result_free(&r);
    free(tr.rows);
}

int main(int argc, char **argv)
{
    size_t max_n = 300;
    double time_limit = 900;
    cvxrelu_sdp_method method = CVXRELU_SDP_ADMM;
    const char *data = "data";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max-n") == 0 && i + 1 < argc) max_n = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--time-limit") == 0 && i + 1 < argc) time_limit = atof(argv[++i]);
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
        else if (strcmp(argv[i], "--dsdp") == 0) method = CVXRELU_SDP_DSDP;
        else {
            fprintf(stderr, "usage: bench_sdp [--max-n N] [--time-limit S] [--data DIR] [--dsdp]\n");
            return 1;
        }
    }
    cvxrelu_blas_set_threads(1);
    printf("# SDP relaxation by %s, one BLAS thread below n = 150; %s\n",
           method == CVXRELU_SDP_DSDP ? "DSDP" : "ADMM", cvxrelu_blas_info());
    printf("| problem | n | d | q | beta | exit (tight run) | iterations | reference value | "
           "certified gap | time to 1e-4 (s) | time to certified 1e-4 (s) | iterations at "
           "eps 1e-4 | time at eps 1e-4 (s) | its error | memory estimate (MiB) | max RSS "
           "growth (MiB) |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    char path[1024];
    double *X = NULL, *Y = NULL;
    size_t n, d, c;
    snprintf(path, sizeof path, "%s/iris.csv", data);
    if (load(path, 75, &X, &Y, &n, &d, &c) == 0) {
        run("iris (every 2nd row)", X, Y, n, d, c, 0.1, time_limit, method);
        free(X);
        free(Y);
    }
    if (max_n >= 150) {
        cvxrelu_blas_set_threads(0);
        if (load(path, 150, &X, &Y, &n, &d, &c) == 0) {
            run("iris", X, Y, n, d, c, 0.1, time_limit, method);
            free(X);
            free(Y);
        }
        snprintf(path, sizeof path, "%s/wine.csv", data);
        if (load(path, 150, &X, &Y, &n, &d, &c) == 0) {
            run("wine (150 rows)", X, Y, n, d, c, 0.1, time_limit, method);
            free(X);
            free(Y);
        }
    }
    if (max_n >= 300 && synthetic(300, 12, &X, &Y, &d, &c) == 0) {
        run("planted teacher", X, Y, 300, d, c, 0.1, time_limit, method);
        free(X);
        free(Y);
    }
    return 0;
}
