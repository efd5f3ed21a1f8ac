/*
 * Benchmarks of the gated-ReLU solver (printed figures, never a test).
 *
 *   bench_gated teacher [--dump DIR] [--reps K]
 *       planted-teacher regression n=1000, d=20, P=100, lambda=1e-3, solved to
 *       relative gap 1e-6; median time of K runs; --dump writes X, Y, S as CSV
 *       so bench/run can give the identical problem to the NumPy baseline.
 *   bench_gated teacher-relu   the same problem, exact ReLU program (docs/algorithms.md, "The exact ReLU program")
 *   bench_gated fmnist [--relu] [--time-limit S] [--iters K] [--patterns P] [--lambda L] [--dir DIR]
 *                      [--eps E] [--precision single|double] [--screening 0|1] [--working-set 0|1 (default: as --screening)] [--dump DIR]
 *       Fashion-MNIST (60000 x 784, 10 classes): time per R-FISTA iteration
 *       against the time of the two GEMMs one iteration needs (X U^T and
 *       M^T X at full size), measured in the same run; test accuracy.
 *
 *   bench_gated synth --n N --d D --c C --P P ...   (see bench_synth; plain by default, as the
 *       peers: --screening 0, --precondition 0, and with --relu --polish 0: no Newton steps)
 *
 * --dump DIR writes the problem as raw binaries for the Python peers: X.f64 (n x d),
 * Y.f64 (n x c), S.u8 (n x P patterns), meta.txt "n d c P".
 *
 * Output: "key value" lines.
 */
#define _POSIX_C_SOURCE 200809L
#include <cvxrelu.h>

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int k)
{
    qsort(v, (size_t)k, sizeof *v, cmp_double);
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

static void die(const char *what, const cvxrelu_error *err)
{
    fprintf(stderr, "bench_gated: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static void dump_csv(const char *dir, const char *name, const double *A, size_t r, size_t c)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) die(path, NULL);
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < c; j++) fprintf(f, "%.17g%c", A[i * c + j], j + 1 < c ? ',' : '\n');
    fclose(f);
}

/* Peak resident memory of this process in bytes. */
static double peak_rss(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss * 1024.0;
}

/* resident set now (/proc/self/statm; 0 when unavailable) */
static double current_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    if (!f) return 0.0;
    if (fscanf(f, "%lu %lu", &size, &res) != 2) res = 0;
    fclose(f);
    return (double)res * (double)sysconf(_SC_PAGESIZE);
}

static void dump_raw(const char *dir, const char *name, const void *p, size_t bytes)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, bytes, f) != bytes) die(path, NULL);
    fclose(f);
}

/* Dump a problem for the Python peers: X.f64 (n x d), Y.f64 (n x c), S.u8 (n x P, 0/1),
   meta.txt "n d c P". */
static void dump_problem(const char *dir, const double *X, const double *Y, size_t n, size_t d,
                         size_t c, const cvxrelu_patterns *pat)
{
    dump_raw(dir, "X.f64", X, n * d * sizeof(double));
    dump_raw(dir, "Y.f64", Y, n * c * sizeof(double));
    unsigned char *S = malloc(n * pat->P);
    if (!S) die("out of memory", NULL);
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < pat->P; i++) S[j * pat->P + i] = (unsigned char)cvxrelu_pattern_bit(pat, i, j);
    dump_raw(dir, "S.u8", S, n * pat->P);
    free(S);
    char path[1024];
    snprintf(path, sizeof path, "%s/meta.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) die(path, NULL);
    fprintf(f, "%zu %zu %zu %zu\n", n, d, c, pat->P);
    fclose(f);
}

static int bench_teacher(int argc, char **argv, int relu)
{
    const size_t n = 1000, d = 20, P = 100;
    const double lambda = 1e-3;
    const char *dump = NULL;
    int reps = 5, precond = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) dump = argv[++i];
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--precondition") == 0 && i + 1 < argc) precond = atoi(argv[++i]);
    }
    if (reps < 1) reps = 1;
    cvxrelu_error err;
    double *X, *Y;
    if (cvxrelu_synthetic_teacher(n, d, 1, 10, 0.1, 2024, &X, &Y, &err)) die("teacher", &err);
    cvxrelu_patterns *pat;
    if (cvxrelu_patterns_sample(X, n, d, P, 7, 0, &pat, &err)) die("patterns", &err);
    if (dump) {
        double *S = malloc(n * pat->P * sizeof(double));
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i < pat->P; i++) S[j * pat->P + i] = cvxrelu_pattern_bit(pat, i, j);
        dump_csv(dump, "X.csv", X, n, d);
        dump_csv(dump, "Y.csv", Y, n, 1);
        dump_csv(dump, "S.csv", S, n, pat->P);
        free(S);
    }
    cvxrelu_blas_set_threads(cvxrelu_blas_threads_for(n, d, pat->P)); /* as the CLI does */
    double *times = malloc((size_t)reps * sizeof(double));
    cvxrelu_result res;
    for (int r = 0; r < reps; r++) {
        cvxrelu_settings set;
        cvxrelu_settings_default(&set);
        set.lambda = lambda;
        set.tol = 1e-6;
        set.max_iter = 100000;
        set.precondition = precond;
        if (relu) set.solver = CVXRELU_SOLVER_RELU;
        cvxrelu_solver *s;
        if (cvxrelu_solver_new(&(cvxrelu_problem){X, n, d, Y, 1, CVXRELU_LOSS_SQUARED, 0.0}, pat, &set, &s, &err)) die("solver", &err);
        double t0 = now();
        if (cvxrelu_solver_solve(s, &res, &err)) die("solve", &err);
        times[r] = now() - t0;
        cvxrelu_solver_free(s);
    }
    printf("problem teacher n=%zu d=%zu P=%zu lambda=%g eps=1e-6 model=%s\n", n, d, pat->P,
           lambda, relu ? "relu" : "gated");
    if (relu) printf("violation %.3e\n", res.violation);
    printf("blas %s\n", cvxrelu_blas_info());
    printf("exit %s\n", cvxrelu_exit_string(res.exit));
    printf("iterations %zu\n", res.iterations);
    printf("passes_over_x %zu\n", res.matvecs);
    printf("objective %.12g\n", res.objective);
    printf("gap %.3e\n", res.gap);
    printf("time_median_s %.6f\n", median(times, reps));
    printf("runs %d\n", reps);
    free(times);
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
    return 0;
}

static void on_iter(const cvxrelu_iterate_info *it, void *user)
{
    (void)user;
    if (it->heartbeat)
        fprintf(stderr, "  iteration %zu still running at %.1f s\n", it->iter, it->time_s);
    else if (it->iter % 10 == 0)
        fprintf(stderr, "  iter %zu objective %.8e rel gap %.3e time %.1f s\n", it->iter,
                it->objective, it->gap / fmax(1.0, fabs(it->objective)), it->time_s);
}

static int bench_fmnist(int argc, char **argv)
{
    const char *dir = "/usr/share/datasets/fashion-mnist";
    size_t iters = 30, P = 100;
    double lambda = 1e-4, time_limit = 0.0, eps = 1e-6;
    int relu = 0, single = 0, screening = 0, precond = 0, ws = -1;
    const char *dump = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) iters = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--patterns") == 0 && i + 1 < argc) P = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--lambda") == 0 && i + 1 < argc) lambda = atof(argv[++i]);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) dir = argv[++i];
        else if (strcmp(argv[i], "--relu") == 0) relu = 1;
        else if (strcmp(argv[i], "--time-limit") == 0 && i + 1 < argc) time_limit = atof(argv[++i]);
        else if (strcmp(argv[i], "--eps") == 0 && i + 1 < argc) eps = atof(argv[++i]);
        else if (strcmp(argv[i], "--precision") == 0 && i + 1 < argc) single = strcmp(argv[++i], "single") == 0;
        else if (strcmp(argv[i], "--screening") == 0 && i + 1 < argc) screening = atoi(argv[++i]);
        else if (strcmp(argv[i], "--working-set") == 0 && i + 1 < argc) ws = atoi(argv[++i]);
        else if (strcmp(argv[i], "--precondition") == 0 && i + 1 < argc) precond = atoi(argv[++i]);
        else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc) dump = argv[++i];
    }
    char tr[1024], te[1024];
    snprintf(tr, sizeof tr, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(te, sizeof te, "%s/t10k-images-idx3-ubyte.gz", dir);
    cvxrelu_error err;
    cvxrelu_read_opts ro;
    cvxrelu_read_opts_default(&ro);
    cvxrelu_dataset *dtr, *dte;
    double t0 = now();
    if (cvxrelu_dataset_read(tr, &ro, &dtr, &err)) die("read", &err);
    if (cvxrelu_dataset_read(te, &ro, &dte, &err)) die("read", &err);
    cvxrelu_encoding *enc;
    double *X, *Y, *Xt, *Yt;
    if (cvxrelu_encoding_fit(dtr, CVXRELU_TASK_CLASSIFICATION, 1, 1, &enc, &err) ||
        cvxrelu_encoding_features(enc, dtr, &X, &err) || cvxrelu_encoding_targets(enc, dtr, &Y, &err) ||
        cvxrelu_encoding_features(enc, dte, &Xt, &err) || cvxrelu_encoding_targets(enc, dte, &Yt, &err))
        die("encode", &err);
    const size_t n = dtr->n, d = enc->d, c = enc->c, nt = dte->n;
    double t_load = now() - t0;
    t0 = now();
    cvxrelu_patterns *pat;
    if (cvxrelu_patterns_sample(X, n, d, P, 1, 0, &pat, &err)) die("patterns", &err);
    double t_pat = now() - t0;
    const size_t m = pat->P * c;
    if (dump) dump_problem(dump, X, Y, n, d, c, pat);

    /* the attainable limit: the two GEMMs of one iteration, full size */
    double *U = malloc(m * d * sizeof(double)), *Z = malloc(n * m * sizeof(double));
    double *Gr = malloc(m * d * sizeof(double));
    if (!U || !Z || !Gr) die("out of memory", NULL);
    for (size_t i = 0; i < m * d; i++) U[i] = 1e-3 * sin((double)i);
    double g1[3], g2[3];
    for (int r = 0; r < 3; r++) {
        t0 = now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)m, (int)d, 1.0, X,
                    (int)d, U, (int)d, 0.0, Z, (int)m);
        g1[r] = now() - t0;
        t0 = now();
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m, (int)d, (int)n, 1.0, Z,
                    (int)m, X, (int)d, 0.0, Gr, (int)d);
        g2[r] = now() - t0;
    }
    free(Z);
    free(Gr);
    free(U);
    double gemm = median(g1, 3) + median(g2, 3);

    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    set.lambda = lambda;
    set.max_iter = iters;
    set.time_limit_s = time_limit;
    set.tol = eps;
    set.single_precision = single;
    set.screening = screening;
    set.working_set = ws < 0 ? screening : ws;
    set.precondition = precond;
    set.callback = on_iter;
    if (relu) set.solver = CVXRELU_SOLVER_RELU;
    cvxrelu_solver *s;
    if (cvxrelu_solver_new(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat, &set, &s, &err)) die("solver", &err);
    cvxrelu_result res;
    if (cvxrelu_solver_solve(s, &res, &err)) die("solve", &err);
    cvxrelu_model *model;
    cvxrelu_encoding *enc2;
    if (cvxrelu_encoding_fit(dtr, CVXRELU_TASK_CLASSIFICATION, 1, 1, &enc2, &err)) die("enc", &err);
    if ((relu ? cvxrelu_model_from_relu : cvxrelu_model_from_gated)(
            pat, cvxrelu_solver_weights(s), c, lambda, enc2, &model, &err))
        die("model", &err);
    double *Yh = malloc(nt * c * sizeof(double));
    cvxrelu_model_forward(model, Xt, nt, Yh);
    size_t ok = 0;
    for (size_t i = 0; i < nt; i++)
        ok += cvxrelu_encoding_decide(enc, Yh + i * c) == cvxrelu_encoding_decide(enc, Yt + i * c);

    /* per iteration: the passes beyond one forward + one backward are line-search retries */
    double per_iter = res.solve_time_s / (double)(res.iterations ? res.iterations : 1);
    printf("problem fashion-mnist n=%zu d=%zu c=%zu P=%zu lambda=%g model=%s precision=%s "
           "screening=%d precondition=%d\n", n, d, c, pat->P, lambda, relu ? "relu" : "gated",
           single ? "single" : "double", screening, precond);
    printf("blas %s\n", cvxrelu_blas_info());
    printf("load_s %.2f patterns_s %.2f\n", t_load, t_pat);
    printf("gemm_xu_s %.4f\n", median(g1, 3));
    printf("gemm_mtx_s %.4f\n", median(g2, 3));
    printf("gemm_pair_s %.4f\n", gemm);
    printf("iterations %zu\n", res.iterations);
    printf("passes_over_x %zu\n", res.matvecs);
    printf("time_per_iteration_s %.4f\n", per_iter);
    printf("ratio_iteration_to_gemm_pair %.3f\n", per_iter / gemm);
    printf("blas_share %.3f\n", res.gemm_time_s / res.solve_time_s);
    printf("objective %.10e\n", res.objective);
    printf("relative_gap %.3e\n", res.gap / fmax(1.0, fabs(res.objective)));
    printf("exit %s\n", cvxrelu_exit_string(res.exit));
    printf("active_neurons %zu\n", model->m);
    printf("screened_groups %zu\n", res.screened);
    printf("preconditioned %d\n", res.preconditioned);
    printf("solve_s %.4f\n", res.solve_time_s);
    printf("peak_rss_bytes %.0f\n", peak_rss());
    printf("test_accuracy %.4f\n", (double)ok / (double)nt);
    free(Yh);
    cvxrelu_model_free(model);
    cvxrelu_solver_free(s);
    cvxrelu_patterns_free(pat);
    cvxrelu_encoding_free(enc);
    free(X);
    free(Y);
    free(Xt);
    free(Yt);
    cvxrelu_dataset_free(dtr);
    cvxrelu_dataset_free(dte);
    return 0;
}

/*
 * bench_gated synth --n N --d D --c C --P P --lambda L --eps E --max-iter K --seed S
 *                   [--precision single|double] [--screening 0|1] [--working-set 0|1 (default: as --screening)] [--relu] [--dump DIR]
 * A planted-teacher problem (10 hidden ReLUs, noise 0.1) with P sampled patterns, solved
 * once; prints time, iterations, the time of the GEMMs one iteration needs for the same
 * shapes (measured in this run, blocked as the solver blocks them), and peak memory
 * against the sum of X, the pattern bits and the iterates.
 */
static int bench_synth(int argc, char **argv)
{
    size_t n = 10000, d = 50, c = 1, P = 100, iters = 100000;
    double lambda = 1e-3, eps = 1e-6, time_limit = 0.0;
    uint64_t seed = 1;
    int single = 0, screening = 0, relu = 0, precond = 0, ws = -1, polish = 0;
    const char *dump = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(a, "--n") == 0) n = (size_t)atof(v), i++;
        else if (strcmp(a, "--d") == 0) d = (size_t)atof(v), i++;
        else if (strcmp(a, "--c") == 0) c = (size_t)atof(v), i++;
        else if (strcmp(a, "--P") == 0) P = (size_t)atof(v), i++;
        else if (strcmp(a, "--lambda") == 0) lambda = atof(v), i++;
        else if (strcmp(a, "--eps") == 0) eps = atof(v), i++;
        else if (strcmp(a, "--max-iter") == 0) iters = (size_t)atof(v), i++;
        else if (strcmp(a, "--time-limit") == 0) time_limit = atof(v), i++;
        else if (strcmp(a, "--seed") == 0) seed = (uint64_t)atof(v), i++;
        else if (strcmp(a, "--precision") == 0) single = strcmp(v, "single") == 0, i++;
        else if (strcmp(a, "--screening") == 0) screening = atoi(v), i++;
        else if (strcmp(a, "--working-set") == 0) ws = atoi(v), i++;
        else if (strcmp(a, "--precondition") == 0) precond = atoi(v), i++;
        else if (strcmp(a, "--dump") == 0) dump = v, i++;
        else if (strcmp(a, "--relu") == 0) relu = 1;
        else if (strcmp(a, "--polish") == 0) polish = atoi(v), i++;
        else {
            fprintf(stderr, "bench_gated synth: unknown option %s\n", a);
            return 1;
        }
    }
    cvxrelu_error err;
    double *X, *Y;
    /* the process before any data: the C library, OpenBLAS and its thread buffers */
    const double start_rss = current_rss();
    double t0 = now();
    if (cvxrelu_synthetic_teacher(n, d, c, 10, 0.1, seed, &X, &Y, &err)) die("teacher", &err);
    cvxrelu_patterns *pat;
    if (cvxrelu_patterns_sample(X, n, d, P, seed + 1, 0, &pat, &err)) die("patterns", &err);
    double t_setup = now() - t0;
    if (dump) dump_problem(dump, X, Y, n, d, c, pat);
    cvxrelu_blas_set_threads(cvxrelu_blas_threads_for(n, d, pat->P * c));
    const size_t m = pat->P * c * (relu ? 2 : 1);

    cvxrelu_settings set;
    cvxrelu_settings_default(&set);
    set.lambda = lambda;
    set.tol = eps;
    set.max_iter = iters;
    set.time_limit_s = time_limit;
    set.single_precision = single;
    set.screening = screening;
    set.working_set = ws < 0 ? screening : ws;
    set.precondition = precond;
    set.polish = polish;
    if (relu) set.solver = CVXRELU_SOLVER_RELU;
    cvxrelu_solver *s;
    if (cvxrelu_solver_new(&(cvxrelu_problem){X, n, d, Y, c, CVXRELU_LOSS_SQUARED, 0.0}, pat, &set, &s, &err)) die("solver", &err);
    cvxrelu_result res;
    if (cvxrelu_solver_solve(s, &res, &err)) die("solve", &err);
    const double peak = peak_rss();
    /* the GEMMs of one iteration at these shapes, blocked like the solver's (src/two_layer/driver.c,
       block_rows: at most 8 M doubles and n d / 16, 256..8192 rows), timed after the solve so that their
       buffers do not count in its peak memory */
    size_t budget = n / 16 * d;
    if (budget > ((size_t)8 << 20)) budget = (size_t)8 << 20;
    size_t nb = budget / m;
    if (nb > 8192) nb = 8192;
    if (nb < 256) nb = 256;
    if (nb > n) nb = n;
    double *U = malloc(m * d * sizeof(double)), *Z = malloc(nb * m * sizeof(double));
    double *Gr = malloc(m * d * sizeof(double));
    if (!U || !Z || !Gr) die("out of memory", NULL);
    for (size_t i = 0; i < m * d; i++) U[i] = 1e-3 * sin((double)i);
    double g[3];
    for (int r = 0; r < 3; r++) {
        t0 = now();
        for (size_t r0 = 0; r0 < n; r0 += nb) {
            size_t b = n - r0 < nb ? n - r0 : nb;
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)m, (int)d, 1.0,
                        X + r0 * d, (int)d, U, (int)d, 0.0, Z, (int)m);
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m, (int)d, (int)b, 1.0, Z,
                        (int)m, X + r0 * d, (int)d, r0 ? 1.0 : 0.0, Gr, (int)d);
        }
        g[r] = now() - t0;
    }
    free(U);
    free(Z);
    free(Gr);
    const double gemm = median(g, 3);
    const double base = (double)(n * d) * 8.0 +                 /* X */
                        (double)pat->P * (double)pat->words_per_pattern * 8.0 + /* pattern bits */
                        (double)n * (double)((pat->P + 63) / 64) * 8.0 +        /* transposed */
                        5.0 * (double)(m * d) * 8.0 +          /* U and the four iterates */
                        5.0 * (double)(n * c) * 8.0;           /* predictions and residuals */
    const double per_iter = res.solve_time_s / (double)(res.iterations ? res.iterations : 1);
    printf("problem synth n=%zu d=%zu c=%zu P=%zu lambda=%g eps=%g model=%s precision=%s "
           "screening=%d precondition=%d\n", n, d, c, pat->P, lambda, eps, relu ? "relu" : "gated",
           single ? "single" : "double", screening, precond);
    printf("blas %s\n", cvxrelu_blas_info());
    printf("setup_s %.3f\n", t_setup);
    printf("exit %s\n", cvxrelu_exit_string(res.exit));
    printf("iterations %zu\n", res.iterations);
    printf("passes_over_x %zu\n", res.matvecs);
    printf("objective %.12e\n", res.objective);
    printf("gap %.3e\n", res.gap);
    printf("relative_gap %.3e\n", res.gap / fmax(1.0, fabs(res.objective)));
    printf("active_groups %zu\n", res.active_groups);
    printf("screened_groups %zu\n", res.screened);
    printf("preconditioned %d\n", res.preconditioned);
    printf("solve_s %.4f\n", res.solve_time_s);
    printf("time_per_iteration_s %.6f\n", per_iter);
    printf("gemm_pair_s %.6f\n", gemm);
    printf("ratio_iteration_to_gemm_pair %.3f\n", per_iter / gemm);
    printf("blas_share %.3f\n", res.gemm_time_s / fmax(res.solve_time_s, 1e-300));
    printf("peak_rss_bytes %.0f\n", peak);
    printf("start_rss_bytes %.0f\n", start_rss);
    printf("base_bytes %.0f\n", base);
    printf("memory_ratio %.3f\n", peak / base);
    printf("memory_ratio_above_start %.3f\n", (peak - start_rss) / base);
    cvxrelu_solver_free(s);
    cvxrelu_patterns_free(pat);
    free(X);
    free(Y);
    return 0;
}

int main(int argc, char **argv)
{
    /* the same fast BLAS kernel the CLI selects (see cli/main.c) */
    const char *core = getenv("CVXRELU_NO_BLAS_TUNE") ? NULL : cvxrelu_blas_better_core();
    if (core) {
        setenv("OPENBLAS_CORETYPE", core, 1);
        setenv("CVXRELU_NO_BLAS_TUNE", "1", 1);
        execv("/proc/self/exe", argv);
    }
    if (argc >= 2 && strcmp(argv[1], "core") == 0) {
        const char *info = cvxrelu_blas_info();
        const char *p = strstr(info, "core ");
        printf("%.*s\n", p ? (int)strcspn(p + 5, ";") : 0, p ? p + 5 : "");
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "teacher") == 0) return bench_teacher(argc - 2, argv + 2, 0);
    if (argc >= 2 && strcmp(argv[1], "teacher-relu") == 0)
        return bench_teacher(argc - 2, argv + 2, 1);
    if (argc >= 2 && strcmp(argv[1], "fmnist") == 0) return bench_fmnist(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "synth") == 0) return bench_synth(argc - 2, argv + 2);
    fprintf(stderr, "usage: bench_gated teacher|teacher-relu|fmnist|synth [options]\n");
    return 1;
}
