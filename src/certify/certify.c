/*
 * Certificates for any two-layer ReLU network (docs/algorithms.md, "Certificates for the non-convex problem", [KP24], [PE20]).
 *
 * With v = Y_k - f_k(X) for one output and s(v) = max_{||u||<=1} |v.(X u)_+|,
 * every sbar >= s(v) gives the dual-feasible point a v, a = min(beta / sbar,
 * <Y,v> / ||v||^2), and the weak-duality bound a <Y,v> - a^2 ||v||^2 / 2 on the
 * paper-scale optimum of that output's network.  Block-diagonal networks
 * decouple over outputs, so the bounds add.  Everything below is about
 * computing valid (never underestimated) sbar.
 *
 * On each side S+ = {v_j > 0} (and S- likewise with |v_j|):
 *   s_+ = max_{T in S+} ||sum_{j in T} v_j x_j||, s(v) <= max(s_+, s_-),
 * bounded by: cheap  sum v_j ||x_j||;  spectral  min(||X_S|| ||v_S||,
 * ||diag(v_S) X_S|| sqrt|S|);  SDP  the eigenvalue form of the max-cut dual at
 * a point found by the mixing method;  subsets  by enumeration (small |S|);
 * exact  s(v) itself over the arcs of the arrangement when rank X <= 2.
 */
#include "internal.h"
#include "two_layer.h" /* the losses (src/two_layer/loss.c) */

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* LAPACK (provided by OpenBLAS), Fortran calling convention with the hidden
   string lengths gfortran passes. */
extern void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n,
                    double *a, const int *lda, const double *vl, const double *vu,
                    const int *il, const int *iu, const double *abstol, int *m, double *w,
                    double *z, const int *ldz, int *isuppz, double *work, const int *lwork,
                    int *iwork, const int *liwork, int *info, size_t, size_t, size_t);

static const char *const sbound_names[CVXRELU_SBOUND_COUNT] = {"cheap", "spectral", "sdp",
                                                               "subsets", "exact"};

const char *cvxrelu_sbound_string(cvxrelu_sbound b)
{
    return (unsigned)b < CVXRELU_SBOUND_COUNT ? sbound_names[b] : "unknown";
}

void cvxrelu_certify_settings_default(cvxrelu_certify_settings *s)
{
    memset(s, 0, sizeof *s);
    s->bounds = (1u << CVXRELU_SBOUND_COUNT) - 1u;
    s->sdp_max_rows = 400;
    s->subsets_max_rows = 20;
    s->samples = 256;
    s->seed = 1;
    s->tol = 1e-6;
}

double cvxrelu_kp24_width(size_t n, size_t d, double delta)
{
    if (n == 0 || d == 0 || !(delta > 0.0) || !(delta < 1.0)) return NAN;
    double r = sqrt((double)n / (double)d) + 1.0;
    return 320.0 * r * r * log((double)n / delta);
}

/*
 * LAPACK dsyevr with its workspace: range "I" (il..iu) or "V" (above vl); w must
 * hold k values (LAPACK may write that many whatever the range), Z (or NULL for
 * values only) k columns for range "V".  *m the count found.  0 on success.
 */
static int dsyevr_run(const char *range, double *A, size_t k, double vl, int il, int iu,
                      double *w, double *Z, int *m)
{
    int n = (int)k, lda = (int)k, info = 0, ldz = (int)k, lwork = -1, liwork = -1, iq = 0;
    double vu = HUGE_VAL, abstol = 0.0, wq = 0.0;
    const char *jobz = Z ? "V" : "N";
    int *isuppz = cr_malloc(2 * k + 2, sizeof(int));
    if (!isuppz) return -1;
    dsyevr_(jobz, range, "U", &n, A, &lda, &vl, &vu, &il, &iu, &abstol, m, w, Z, &ldz, isuppz,
            &wq, &lwork, &iq, &liwork, &info, 1, 1, 1);
    double *work = NULL;
    int *iwork = NULL;
    if (info == 0) {
        lwork = (int)wq + 1;
        liwork = iq + 1;
        work = cr_malloc((size_t)lwork, sizeof(double));
        iwork = cr_malloc((size_t)liwork, sizeof(int));
        if (work && iwork)
            dsyevr_(jobz, range, "U", &n, A, &lda, &vl, &vu, &il, &iu, &abstol, m, w, Z, &ldz,
                    isuppz, work, &lwork, iwork, &liwork, &info, 1, 1, 1);
        else
            info = -1;
    }
    free(isuppz);
    free(work);
    free(iwork);
    return info == 0 ? 0 : -1;
}

/*
 * Eigenvalues il..iu (1-based, ascending) of the symmetric k x k matrix A
 * (destroyed), optionally with eigenvectors Z (k x (iu-il+1), column-major).
 * 0 on success.
 */
int cr_sym_eig_range(double *A, size_t k, int il, int iu, double *w, double *Z)
{
    double *wall = cr_malloc(k + 1, sizeof(double)); /* see dsyevr_run */
    int m = 0;
    if (!wall) return -1;
    int ok = dsyevr_run("I", A, k, 0.0, il, iu, wall, Z, &m) == 0 && m == iu - il + 1;
    if (ok) memcpy(w, wall, (size_t)m * sizeof(double));
    free(wall);
    return ok ? 0 : -1;
}

/*
 * The eigenvalues of the symmetric k x k matrix A (destroyed) above vl, ascending,
 * with eigenvectors (column j = Z + j k); *m their count.  0 on success.
 */
int cr_sym_eig_above(double *A, size_t k, double vl, double *w, double *Z, size_t *m_out)
{
    int m = 0;
    int rc = dsyevr_run("V", A, k, vl, 0, 0, w, Z, &m);
    *m_out = rc == 0 ? (size_t)m : 0;
    return rc;
}

/*
 * A certain upper bound on the largest eigenvalue of the symmetric matrix A
 * (k x k, copied).  Small k: LAPACK's value plus a margin covering its
 * backward error.  Larger k (where the dense eigensolver costs more than a few
 * products): lambda_max <= max |lambda_i| <= trace(A^(2^K))^(1/2^K), true for
 * every symmetric A; the squarings are renormalized to avoid overflow, and
 * the bound exceeds lambda_max by at most the factor k^(1/2^K) (1.03 for
 * k = 1000, K = 8), usually far less as spectra decay.  Capped by the trace
 * norm bound (Frobenius norm) in any case.
 */
static double sym_max_eig_upper(const double *A, size_t k)
{
    double fro = 0.0;
    for (size_t i = 0; i < k * k; i++) fro += A[i] * A[i];
    fro = sqrt(fro);
    if (k == 0 || !(fro > 0.0)) return 0.0;
    double *B = cr_malloc(k, k * sizeof(double));
    if (!B) return fro;
    double ub = fro;
    if (k <= 300) {
        double w = 0.0;
        memcpy(B, A, k * k * sizeof(double));
        if (cr_sym_eig_range(B, k, (int)k, (int)k, &w, NULL) == 0 && isfinite(w))
            ub = fmin(fro, w + 64.0 * (double)k * DBL_EPSILON * fro);
        free(B);
        return ub;
    }
    double *C = cr_malloc(k, k * sizeof(double));
    if (!C) {
        free(B);
        return fro;
    }
    const int K = 8;
    /* A^(2^j) = exp(L) * B with ||B||_F = 1 */
    for (size_t i = 0; i < k * k; i++) B[i] = A[i] / fro;
    double L = log(fro);
    int ok = 1;
    for (int j = 0; j < K && ok; j++) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)k, (int)k, (int)k, 1.0, B,
                    (int)k, B, (int)k, 0.0, C, (int)k);
        double f = 0.0;
        for (size_t i = 0; i < k * k; i++) f += C[i] * C[i];
        f = sqrt(f);
        if (!(f > 0.0) || !isfinite(f)) ok = 0;
        else {
            for (size_t i = 0; i < k * k; i++) B[i] = C[i] / f;
            L = 2.0 * L + log(f);
        }
    }
    if (ok) {
        double tr = 0.0;
        for (size_t i = 0; i < k; i++) tr += B[i * k + i];
        /* rounding: each product is exact to a relative d eps; 1e-10 covers K of them */
        if (tr > 0.0) ub = fmin(fro, exp((L + log(tr)) / (double)(1 << K)) * (1.0 + 1e-10));
    }
    free(B);
    free(C);
    return ub;
}

/*
 * G += B^T B over the rows j with sel(j) (weights w_j: rows scaled by w_j),
 * in blocks of rows gathered into buf (bs x d).  G is d x d, upper triangle
 * filled (then mirrored by the caller).
 */
typedef struct {
    const double *X;
    size_t n, d;
    const double *v; /* selection: sign of v_j */
    double *buf;
    size_t bs;
} gram_ctx;

static void gram_side(const gram_ctx *g, int sign, int weighted, double *G)
{
    const size_t d = g->d;
    memset(G, 0, d * d * sizeof(double));
    size_t r = 0;
    for (size_t j = 0; j <= g->n; j++) {
        int take = j < g->n && (sign > 0 ? g->v[j] > 0.0 : g->v[j] < 0.0);
        if (take) {
            double s = weighted ? fabs(g->v[j]) : 1.0;
            for (size_t k = 0; k < d; k++) g->buf[r * d + k] = s * g->X[j * d + k];
            r++;
        }
        if (r == g->bs || (j == g->n && r > 0)) {
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)r, 1.0, g->buf,
                        (int)d, 1.0, G, (int)d);
            r = 0;
        }
    }
    for (size_t i = 0; i < d; i++)
        for (size_t k = 0; k < i; k++) G[i * d + k] = G[k * d + i];
}

/*
 * SDP bound on max_{z in {0,1}^p} ||M^T z||^2 (M p x d, rows m_i).  With
 * z = (1 + s) / 2 and a homogenizing s_0, this is max over s in {+-1}^{p+1} of
 * s^T C s / 4, C = Mt Mt^T, Mt = [M; 1^T M].  For every y,
 * s^T C s <= sum y + (p+1) lambda_max(C - Diag y)  (the max-cut SDP dual in
 * eigenvalue form); y = diag(C V V^T) at a mixing-method point V makes it
 * close to the SDP value.  Returns the bound on the max of ||M^T z|| (not
 * squared), or NAN on failure.
 */
static double sdp_subset_bound(const double *M, size_t p, size_t d, uint64_t seed,
                               cr_loop *loop)
{
    const size_t q = p + 1;
    size_t r = (size_t)ceil(sqrt(2.0 * (double)q)) + 1;
    if (r > q) r = q;
    double *Mt = cr_malloc(q, d * sizeof(double));
    double *C = cr_malloc(q, q * sizeof(double));
    double *V = cr_malloc(q, r * sizeof(double));
    double *gv = cr_malloc(r, sizeof(double));
    double *y = cr_malloc(q, sizeof(double));
    double out = NAN;
    if (!Mt || !C || !V || !gv || !y) goto done;
    memcpy(Mt, M, p * d * sizeof(double));
    memset(Mt + p * d, 0, d * sizeof(double));
    for (size_t i = 0; i < p; i++) cblas_daxpy((int)d, 1.0, M + i * d, 1, Mt + p * d, 1);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)q, (int)q, (int)d, 1.0, Mt,
                (int)d, Mt, (int)d, 0.0, C, (int)q);
    cr_rng rng;
    cr_rng_seed(&rng, seed);
    for (size_t i = 0; i < q; i++) {
        double nr = 0.0;
        for (size_t k = 0; k < r; k++) {
            V[i * r + k] = cr_rng_normal(&rng);
            nr += V[i * r + k] * V[i * r + k];
        }
        nr = sqrt(nr);
        for (size_t k = 0; k < r; k++) V[i * r + k] /= nr;
    }
    /* mixing method: v_i <- normalize(sum_{j != i} C_ij v_j), monotone ascent */
    double prev = -INFINITY;
    for (int sweep = 0; sweep < 200; sweep++) {
        double val = 0.0;
        for (size_t i = 0; i < q; i++) {
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)q, (int)r, 1.0, V, (int)r, C + i * q, 1,
                        0.0, gv, 1);
            cblas_daxpy((int)r, -C[i * q + i], V + i * r, 1, gv, 1);
            double ng = cblas_dnrm2((int)r, gv, 1);
            if (ng > 0.0)
                for (size_t k = 0; k < r; k++) V[i * r + k] = gv[k] / ng;
            val += 2.0 * ng + C[i * q + i];
        }
        if (val - prev <= 1e-9 * fabs(val)) break;
        prev = val;
        if (cr_loop_check(loop)) break;
    }
    /* the bound below holds for any y, but its eigenvalue costs O(q^3): a stop skips it */
    if (cr_loop_check(loop)) goto done;
    /* y_i = (C V V^T)_ii, then the eigenvalue form (valid for any y) */
    double *CV = cr_malloc(q, r * sizeof(double));
    if (!CV) goto done;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)q, (int)r, (int)q, 1.0, C,
                (int)q, V, (int)r, 0.0, CV, (int)r);
    double sy = 0.0;
    for (size_t i = 0; i < q; i++) {
        y[i] = cblas_ddot((int)r, CV + i * r, 1, V + i * r, 1);
        sy += y[i];
    }
    free(CV);
    for (size_t i = 0; i < q; i++) C[i * q + i] -= y[i];
    /* lambda_max of an indefinite matrix: the margin uses ||C - Diag y||_F */
    double fro = 0.0;
    for (size_t i = 0; i < q * q; i++) fro += C[i] * C[i];
    fro = sqrt(fro);
    double w = 0.0;
    if (cr_sym_eig_range(C, q, (int)q, (int)q, &w, NULL) == 0 && isfinite(w)) {
        double ub = sy + (double)q * (w + 64.0 * (double)q * DBL_EPSILON * fro);
        out = sqrt(fmax(ub, 0.0) / 4.0);
    }
done:
    free(Mt);
    free(C);
    free(V);
    free(gv);
    free(y);
    return out;
}

/* max over subsets T of the rows of M (p x d) of ||sum_T m_i||, Gray-code order. */
static double subsets_max(const double *M, size_t p, size_t d, double *acc, cr_loop *loop)
{
    memset(acc, 0, d * sizeof(double));
    int *in = cr_calloc(p ? p : 1, sizeof(int));
    if (!in) return NAN;
    double best = 0.0;
    const uint64_t total = (uint64_t)1 << p;
    for (uint64_t t = 1; t < total; t++) {
        size_t i = (size_t)__builtin_ctzll(t); /* bit flipped from gray(t-1) to gray(t) */
        double sgn = in[i] ? -1.0 : 1.0;
        in[i] = !in[i];
        if ((t & 1023u) == 0) { /* recompute, no drift */
            memset(acc, 0, d * sizeof(double));
            for (size_t k = 0; k < p; k++)
                if (in[k]) cblas_daxpy((int)d, 1.0, M + k * d, 1, acc, 1);
        } else {
            cblas_daxpy((int)d, sgn, M + i * d, 1, acc, 1);
        }
        double v = cblas_dnrm2((int)d, acc, 1);
        if (v > best) best = v;
        if ((t & 65535u) == 0 && cr_loop_check(loop)) { /* a partial max bounds nothing */
            free(in);
            return NAN;
        }
    }
    free(in);
    double sum = 0.0;
    for (size_t i = 0; i < p; i++) sum += cblas_dnrm2((int)d, M + i * d, 1);
    return best + 1e-13 * sum;
}

typedef struct {
    double ang;
    size_t j;
    int enter; /* +1: row j becomes active at ang, -1: it leaves */
} arc_event;

static int event_cmp(const void *a, const void *b)
{
    double x = ((const arc_event *)a)->ang, y = ((const arc_event *)b)->ang;
    return x < y ? -1 : x > y;
}

static double wrap_angle(double a)
{
    const double tp = 2.0 * M_PI;
    a = fmod(a, tp);
    if (a < 0.0) a += tp;
    return a;
}

/* max of g.u(theta) and of -g.u(theta) over theta in [a, b] (b >= a) */
static void arc_extremes(const double g[2], double a, double b, double *mx, double *mn)
{
    double ng = hypot(g[0], g[1]);
    double fa = g[0] * cos(a) + g[1] * sin(a), fb = g[0] * cos(b) + g[1] * sin(b);
    double hi = fmax(fa, fb), lo = fmin(fa, fb);
    if (ng > 0.0) {
        double psi = atan2(g[1], g[0]);
        double t = wrap_angle(psi - a);
        if (t <= b - a) hi = ng;
        t = wrap_angle(psi + M_PI - a);
        if (t <= b - a) lo = -ng;
    }
    *mx = hi;
    *mn = lo;
}

/* sum of v_j x_j over the rows active at angle th */
static void active_sum(const double *X2, size_t n, const double *v, double th, double g[2])
{
    double cm = cos(th), sm = sin(th);
    g[0] = g[1] = 0.0;
    for (size_t j = 0; j < n; j++)
        if (v[j] != 0.0 && X2[2 * j] * cm + X2[2 * j + 1] * sm > 0.0) {
            g[0] += v[j] * X2[2 * j];
            g[1] += v[j] * X2[2 * j + 1];
        }
}

/*
 * Exact s(v) = max_theta |sum_j v_j (x_j.u(theta))_+| for 2-D rows (n x 2):
 * between consecutive breakpoints (where some x_j.u changes sign) the active
 * set is fixed and the function is g.u(theta), whose extremes on an arc are
 * at the ends or at +-g/||g||.  NAN when out of memory or stopped (the loop is
 * checked every 4096 arcs: the periodic recomputation makes large n slow).
 */
static double exact_s_2d(const double *X2, size_t n, const double *v, cr_loop *loop)
{
    arc_event *ev = cr_malloc(2 * n + 1, sizeof(arc_event));
    if (!ev) return NAN;
    size_t ne = 0;
    for (size_t j = 0; j < n; j++) {
        if (v[j] == 0.0 || (X2[2 * j] == 0.0 && X2[2 * j + 1] == 0.0)) continue;
        double phi = atan2(X2[2 * j + 1], X2[2 * j]);
        ev[ne].ang = wrap_angle(phi - M_PI / 2);
        ev[ne].enter = 1;
        ev[ne++].j = j;
        ev[ne].ang = wrap_angle(phi + M_PI / 2);
        ev[ne].enter = -1;
        ev[ne++].j = j;
    }
    if (ne == 0) {
        free(ev);
        return 0.0;
    }
    qsort(ev, ne, sizeof *ev, event_cmp);
    /* arc e runs from ev[e] to ev[e+1]; start at the longest arc (at least
       pi / (number of rows) long), where the active set is unambiguous */
    size_t e0 = 0;
    double longest = -1.0;
    for (size_t e = 0; e < ne; e++) {
        double b = e + 1 < ne ? ev[e + 1].ang : ev[0].ang + 2.0 * M_PI;
        if (b - ev[e].ang > longest) {
            longest = b - ev[e].ang;
            e0 = e;
        }
    }
    double best = 0.0, g[2] = {0.0, 0.0};
    for (size_t t = 0; t < ne; t++) {
        if (t % 4096 == 4095 && cr_loop_check(loop)) {
            free(ev);
            return NAN;
        }
        size_t e = (e0 + t) % ne;
        double a = ev[e].ang, b = e + 1 < ne ? ev[e + 1].ang : ev[0].ang + 2.0 * M_PI;
        if (t == 0 || (t % 32 == 0 && b - a > 1e-6)) {
            active_sum(X2, n, v, 0.5 * (a + b), g); /* from scratch: no drift */
        } else {
            size_t j = ev[e].j;
            g[0] += ev[e].enter * v[j] * X2[2 * j];
            g[1] += ev[e].enter * v[j] * X2[2 * j + 1];
        }
        double mx, mn;
        arc_extremes(g, a, b, &mx, &mn);
        if (mx > best) best = mx;
        if (-mn > best) best = -mn;
    }
    free(ev);
    return best;
}

/* Everything one output's bounds need that is shared across outputs. */
typedef struct {
    const double *X;
    size_t n, d;
    const double *rownorm; /* ||x_j|| */
    const double *Gall;    /* X^T X */
    const double *X2;      /* n x 2 projection when rank <= 2 (else NULL) */
    const double *resid;   /* ||x_j - P x_j|| for that projection */
    double *buf;           /* gather buffer bs x d */
    size_t bs;
    double *G1;            /* d x d scratch */
    double *M;             /* sdp_max rows x d scratch */
    cr_loop *loop;         /* a stop request skips the bounds not yet computed */
} cert_ctx;

/* Fill sb[b] with each requested bound on s(v) for the vector v (NAN if not computed). */
static void output_bounds(const cert_ctx *cx, const double *v, const cvxrelu_certify_settings *s,
                          double *sb)
{
    const size_t n = cx->n, d = cx->d;
    for (int b = 0; b < CVXRELU_SBOUND_COUNT; b++) sb[b] = NAN;
    double cheap[2] = {0, 0}, vsq[2] = {0, 0};
    size_t cnt[2] = {0, 0};
    for (size_t j = 0; j < n; j++) {
        if (v[j] == 0.0) continue;
        int side = v[j] < 0.0;
        cheap[side] += fabs(v[j]) * cx->rownorm[j];
        vsq[side] += v[j] * v[j];
        cnt[side]++;
    }
    const double cheap_tot = cheap[0] + cheap[1];
    if (s->bounds & (1u << CVXRELU_SBOUND_CHEAP))
        sb[CVXRELU_SBOUND_CHEAP] = fmax(cheap[0], cheap[1]) * (1.0 + 1e-13);
    const double cheap_b = fmax(cheap[0], cheap[1]) * (1.0 + 1e-13);
    if (cr_loop_check(cx->loop)) { /* the cheap bound (always valid) is enough to go on */
        sb[CVXRELU_SBOUND_CHEAP] = cheap_b;
        return;
    }
    /* each side's best bound so far (cheap, then spectral): a side too large for the SDP
       or subset bound keeps it, so that those bounds still tighten the other side */
    double side_best[2] = {cheap[0] * (1.0 + 1e-13), cheap[1] * (1.0 + 1e-13)};
    if (s->bounds & (1u << CVXRELU_SBOUND_SPECTRAL)) {
        /* the smaller side by gathering; the other as the complement of it
           (rows with v_j = 0 join the complement: a superset only enlarges
           ||X_S||, and they carry no weight in the weighted Gram) */
        gram_ctx g = {cx->X, n, d, v, cx->buf, cx->bs};
        int small = cnt[0] <= cnt[1] ? 0 : 1;
        double spec[2];
        double lam[2], lamv[2] = {INFINITY, INFINITY};
        gram_side(&g, small == 0 ? 1 : -1, 0, cx->G1);
        lam[small] = sym_max_eig_upper(cx->G1, d);
        for (size_t i = 0; i < d * d; i++) cx->G1[i] = cx->Gall[i] - cx->G1[i];
        lam[1 - small] = sym_max_eig_upper(cx->G1, d);
        /* the weighted form (||diag(v_S) X_S|| sqrt|S|) on the smaller side only: the
           other side would need a full pass over X per output */
        gram_side(&g, small == 0 ? 1 : -1, 1, cx->G1);
        lamv[small] = sym_max_eig_upper(cx->G1, d);
        for (int sd = 0; sd < 2; sd++) {
            double a = sqrt(fmax(lam[sd], 0.0) * vsq[sd]);
            double b = isinf(lamv[sd]) ? INFINITY : sqrt(fmax(lamv[sd], 0.0) * (double)cnt[sd]);
            spec[sd] = fmin(a, b) * (1.0 + 1e-12) + 1e-14 * cheap_tot;
            spec[sd] = fmin(spec[sd], cheap[sd] * (1.0 + 1e-13)); /* never above cheap */
        }
        sb[CVXRELU_SBOUND_SPECTRAL] = fmax(spec[0], spec[1]);
        for (int sd = 0; sd < 2; sd++) side_best[sd] = fmin(side_best[sd], spec[sd]);
    }
    /* per side: a side within the row limit gets the bound, a larger one keeps its best
       cheaper bound (both sides too large: the bound is not computed) */
    const int sdp_fits[2] = {cnt[0] <= s->sdp_max_rows, cnt[1] <= s->sdp_max_rows};
    const int sub_fits[2] = {cnt[0] <= s->subsets_max_rows, cnt[1] <= s->subsets_max_rows};
    int want_sdp = (s->bounds & (1u << CVXRELU_SBOUND_SDP)) && (sdp_fits[0] || sdp_fits[1]);
    int want_sub = (s->bounds & (1u << CVXRELU_SBOUND_SUBSETS)) && (sub_fits[0] || sub_fits[1]) &&
                   s->subsets_max_rows <= 30;
    if (want_sdp || want_sub) {
        double vs[2] = {0, 0}, vb[2] = {0, 0};
        for (int sd = 0; sd < 2; sd++) {
            const int do_sdp = want_sdp && sdp_fits[sd], do_sub = want_sub && sub_fits[sd];
            if (want_sdp && !sdp_fits[sd]) vs[sd] = side_best[sd];
            if (want_sub && !sub_fits[sd]) vb[sd] = side_best[sd];
            if (!do_sdp && !do_sub) continue;
            size_t p = 0;
            for (size_t j = 0; j < n; j++)
                if (sd == 0 ? v[j] > 0.0 : v[j] < 0.0) {
                    for (size_t k = 0; k < d; k++) cx->M[p * d + k] = fabs(v[j]) * cx->X[j * d + k];
                    p++;
                }
            if (do_sdp)
                vs[sd] = p ? sdp_subset_bound(cx->M, p, d, s->seed + (uint64_t)sd, cx->loop) : 0.0;
            if (do_sub) vb[sd] = p ? subsets_max(cx->M, p, d, cx->G1, cx->loop) : 0.0;
        }
        /* a side not computed (stopped, or out of memory) leaves the bound uncomputed:
           fmax would drop the NAN and bound one side only */
        if (want_sdp && !isnan(vs[0]) && !isnan(vs[1]))
            sb[CVXRELU_SBOUND_SDP] = fmax(vs[0], vs[1]) + 1e-14 * cheap_tot;
        if (want_sub && !isnan(vb[0]) && !isnan(vb[1]))
            sb[CVXRELU_SBOUND_SUBSETS] = fmax(vb[0], vb[1]);
    }
    if ((s->bounds & (1u << CVXRELU_SBOUND_EXACT)) && cx->X2 && !cr_loop_check(cx->loop)) {
        double e = exact_s_2d(cx->X2, n, v, cx->loop);
        double corr = 0.0;
        for (size_t j = 0; j < n; j++) corr += fabs(v[j]) * cx->resid[j];
        sb[CVXRELU_SBOUND_EXACT] = e * (1.0 + 1e-12) + corr + 1e-14 * cheap_tot;
    }
    /* stopped while the bounds asked for were computed: the cheap one keeps a bound */
    if (cr_loop_check(cx->loop)) sb[CVXRELU_SBOUND_CHEAP] = cheap_b;
}

/*
 * The necessary check: max over candidate unit directions (the network's
 * neurons and Gaussian samples, each refined by a few ascent steps) of
 * |v_k.(X u)_+|, per output.  A lower estimate of s(v_k).
 */
static cvxrelu_status sampled_check(const cvxrelu_model *m, const double *X, size_t n,
                                    const double *V, size_t c, const cvxrelu_certify_settings *s,
                                    cr_loop *loop, double *best, cvxrelu_error *err)
{
    const size_t d = m->d, S = m->m + s->samples;
    for (size_t k = 0; k < c; k++) best[k] = 0.0;
    if (S == 0) return CVXRELU_OK;
    double *U = cr_malloc(S, d * sizeof(double));
    size_t nb = 1024;
    double *Z = cr_malloc(nb, S * sizeof(double));
    double *Q = cr_calloc(S, c * sizeof(double));
    double *bestu = cr_calloc(2 * c, d * sizeof(double));
    double *bestv = cr_calloc(2 * c, sizeof(double));
    if (!U || !Z || !Q || !bestu || !bestv) {
        free(U); free(Z); free(Q); free(bestu); free(bestv);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "certify: out of memory (sampled check)");
    }
    cr_rng rng;
    cr_rng_seed(&rng, s->seed ^ 0x5eedc0deULL);
    for (size_t i = 0; i < S; i++) {
        double *ui = U + i * d;
        if (i < m->m)
            memcpy(ui, m->W + i * d, d * sizeof(double));
        else
            for (size_t k = 0; k < d; k++) ui[k] = cr_rng_normal(&rng);
        double nr = cblas_dnrm2((int)d, ui, 1);
        if (nr > 0.0) cblas_dscal((int)d, 1.0 / nr, ui, 1);
    }
    for (size_t r0 = 0; r0 < n; r0 += nb) {
        if (cr_loop_check(loop)) { /* sums over part of the rows estimate nothing */
            free(U); free(Z); free(Q); free(bestu); free(bestv);
            return CVXRELU_OK;
        }
        size_t b = n - r0 < nb ? n - r0 : nb;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)S, (int)d, 1.0,
                    X + r0 * d, (int)d, U, (int)d, 0.0, Z, (int)S);
        for (size_t i = 0; i < b * S; i++) Z[i] = Z[i] > 0.0 ? Z[i] : 0.0;
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)S, (int)c, (int)b, 1.0, Z,
                    (int)S, V + r0 * c, (int)c, 1.0, Q, (int)c);
    }
    for (size_t i = 0; i < S; i++)
        for (size_t k = 0; k < c; k++)
            for (int sd = 0; sd < 2; sd++) {
                double q = sd ? -Q[i * c + k] : Q[i * c + k];
                if (q > bestv[2 * k + sd]) {
                    bestv[2 * k + sd] = q;
                    memcpy(bestu + (2 * k + sd) * d, U + i * d, d * sizeof(double));
                }
            }
    /* ascent, all 2c candidates at once (three passes over X per step as GEMMs):
       u <- X^T (1[X u > 0] * sigma v) / ||.||, kept where it improves */
    const size_t q = 2 * c;
    double work = (double)n * (double)d;
    int steps = work > 0 ? (int)fmin(20.0, fmax(3.0, 1e9 / work)) : 0;
    double *Zq = cr_malloc(n, q * sizeof(double)), *Gq = cr_malloc(q, d * sizeof(double));
    if (!Zq || !Gq) steps = 0;
    for (int it = 0; it < steps && !cr_loop_check(loop); it++) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)q, (int)d, 1.0, X,
                    (int)d, bestu, (int)d, 0.0, Zq, (int)q);
        for (size_t j = 0; j < n; j++)
            for (size_t r = 0; r < q; r++) {
                double sig = r % 2 ? -1.0 : 1.0;
                Zq[j * q + r] = Zq[j * q + r] > 0.0 ? sig * V[j * c + r / 2] : 0.0;
            }
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)q, (int)d, (int)n, 1.0, Zq,
                    (int)q, X, (int)d, 0.0, Gq, (int)d);
        for (size_t r = 0; r < q; r++) {
            double nr = cblas_dnrm2((int)d, Gq + r * d, 1);
            if (nr > 0.0) cblas_dscal((int)d, 1.0 / nr, Gq + r * d, 1);
        }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)q, (int)d, 1.0, X,
                    (int)d, Gq, (int)d, 0.0, Zq, (int)q);
        double val[64 * 2];
        double *vals = q <= 128 ? val : cr_calloc(q, sizeof(double));
        if (!vals) break;
        for (size_t r = 0; r < q; r++) vals[r] = 0.0;
        for (size_t j = 0; j < n; j++)
            for (size_t r = 0; r < q; r++)
                if (Zq[j * q + r] > 0.0)
                    vals[r] += (r % 2 ? -1.0 : 1.0) * V[j * c + r / 2] * Zq[j * q + r];
        int improved = 0;
        for (size_t r = 0; r < q; r++)
            if (cblas_dnrm2((int)d, Gq + r * d, 1) > 0.0 && vals[r] > bestv[r] * (1.0 + 1e-12)) {
                bestv[r] = vals[r];
                memcpy(bestu + r * d, Gq + r * d, d * sizeof(double));
                improved = 1;
            }
        if (vals != val) free(vals);
        if (!improved) break;
    }
    free(Zq);
    free(Gq);
    for (size_t k = 0; k < c; k++) best[k] = fmax(bestv[2 * k], bestv[2 * k + 1]);
    free(U); free(Z); free(Q); free(bestu); free(bestv);
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_certify(const cvxrelu_model *m, const double *X, const double *Y,
                               size_t n, double lambda, const cvxrelu_certify_settings *s_in,
                               cvxrelu_certificate *cert, cvxrelu_error *err)
{
    memset(cert, 0, sizeof *cert);
    cvxrelu_certify_settings sdef;
    if (!s_in) {
        cvxrelu_certify_settings_default(&sdef);
        s_in = &sdef;
    }
    const cvxrelu_certify_settings *s = s_in;
    if (!m || !X || !Y || n == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID, "certify: empty data or no model");
    if (m->kind != CVXRELU_MODEL_RELU)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "certify: the model is a gated network; certificates are for ReLU "
                       "networks (train with --model relu or --decompose)");
    if (m->V)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "certify: the model's neurons feed several outputs (a dense second "
                       "layer); the [KP24] certificate is for one output per neuron; the SDP "
                       "relaxation (certify --sdp) bounds every network");
    if (!(lambda > 0.0) || !isfinite(lambda))
        return cr_fail(err, CVXRELU_ERR_INVALID, "certify: lambda must be > 0, got %g", lambda);
    if (s->subsets_max_rows > 30)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "certify: exhaustive subsets allowed for at most 30 rows, got %zu",
                       s->subsets_max_rows);
    cr_loop loop; /* no iterations of its own: its searches check the stop request */
    cr_loop_start(&loop, s->interrupt, s->time_limit_s, CR_LOOP_UNLIMITED);
    const size_t d = m->d, c = m->enc->c, N = n * c;
    const double beta = lambda * (double)N;
    cert->lambda = lambda;
    cert->beta = beta;
    cert->outputs = c;
    cert->sqrt_log_2n = sqrt(log(2.0 * (double)n));
    for (int b = 0; b < CVXRELU_SBOUND_COUNT; b++) cert->sbar[b] = 0.0;

    cvxrelu_status st = CVXRELU_OK;
    size_t bs = 2048 < n ? 2048 : n;
    size_t msz = s->sdp_max_rows > s->subsets_max_rows ? s->sdp_max_rows : s->subsets_max_rows;
    if (msz > n) msz = n;
    double *F = cr_malloc(n, c * sizeof(double));
    double *V = cr_malloc(n, c * sizeof(double));
    double *v = cr_malloc(n, sizeof(double));
    double *rownorm = cr_malloc(n, sizeof(double));
    /* d x d Gram matrices only where the dense bounds apply (d <= 4000: 128 MB each) */
    const int dense = d <= 4000;
    cvxrelu_certify_settings s_local = *s;
    if (!dense) s_local.bounds &= ~((1u << CVXRELU_SBOUND_SPECTRAL) | (1u << CVXRELU_SBOUND_EXACT));
    s = &s_local;
    const size_t dd = dense ? d : 1;
    double *Gall = cr_malloc(dd, dd * sizeof(double));
    double *G1 = cr_malloc(dd > d ? dd : d, dd * sizeof(double));
    double *buf = cr_malloc(bs, d * sizeof(double));
    double *M = cr_malloc(msz ? msz : 1, d * sizeof(double));
    double *sampled = cr_malloc(c, sizeof(double));
    double *X2 = NULL, *resid = NULL;
    if (!F || !V || !v || !rownorm || !Gall || !G1 || !buf || !M || !sampled) {
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "certify: out of memory (n = %zu, d = %zu)", n, d);
        goto done;
    }
    {
        cvxrelu_problem pb = {X, n, d, Y, c, m->loss, m->huber_delta};
        if ((st = cr_loss_check(&pb, err))) goto done;
    }
    cvxrelu_model_forward(m, X, n, F);
    /* UB = the network's objective, from the loss derivative R at hand (same sums as
       cvxrelu_model_objective, without a second forward pass); v = -R is the dual
       direction (squared loss: the residual Y - f(X)) */
    const double delta = m->huber_delta > 0.0 ? m->huber_delta : 1.0;
    const double data = cr_loss_residual(m->loss, delta, F, Y, V, n, c) / (double)N;
    /* F, no longer needed as the outputs, keeps R for the conjugates */
    for (size_t i = 0; i < n * c; i++) {
        F[i] = V[i];
        V[i] = -V[i];
    }
    cert->upper_bound = data + cr_model_penalty(m, lambda);
    if (!isfinite(cert->upper_bound)) {
        st = cr_fail(err, CVXRELU_ERR_NUMERIC, "certify: the network's objective is not finite");
        goto done;
    }
    for (size_t j = 0; j < n; j++) rownorm[j] = cblas_dnrm2((int)d, X + j * d, 1);
    if (dense) {
        memset(Gall, 0, d * d * sizeof(double));
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)n, 1.0, X, (int)d, 0.0,
                    Gall, (int)d);
        for (size_t i = 0; i < d; i++)
            for (size_t k = 0; k < i; k++) Gall[i * d + k] = Gall[k * d + i];
    }

    /* rank <= 2: the exact arc sweep on the projection to the top-2 eigenvectors,
       plus the projection residual (a rigorous correction when the rank is only
       numerically 2) */
    if ((s->bounds & (1u << CVXRELU_SBOUND_EXACT)) && d <= 4000) {
        double B[2 * 4000];
        double *Bm = d <= 2 ? NULL : cr_malloc(d, 3 * sizeof(double));
        double w[3] = {0, 0, 0};
        int ok = 0;
        if (d <= 2) {
            memset(B, 0, sizeof(double) * 2 * d);
            for (size_t k = 0; k < d; k++) B[k * 2 + k] = 1.0; /* B d x 2, row-major */
            ok = 1;
        } else if (Bm) {
            memcpy(G1, Gall, d * d * sizeof(double));
            if (cr_sym_eig_range(G1, d, (int)d - 2, (int)d, w, Bm) == 0 && w[0] <= 1e-12 * w[2]) {
                for (size_t k = 0; k < d; k++) { /* columns of Bm: eigenvectors d-2, d-1, d */
                    B[k * 2 + 0] = Bm[2 * d + k];
                    B[k * 2 + 1] = Bm[1 * d + k];
                }
                ok = 1;
            }
        }
        free(Bm);
        if (ok) {
            X2 = cr_malloc(n, 2 * sizeof(double));
            resid = cr_malloc(n, sizeof(double));
            if (!X2 || !resid) {
                st = cr_fail(err, CVXRELU_ERR_NOMEM, "certify: out of memory");
                goto done;
            }
            for (size_t j = 0; j < n; j++) {
                const double *x = X + j * d;
                double p0 = 0, p1 = 0;
                for (size_t k = 0; k < d; k++) {
                    p0 += x[k] * B[k * 2];
                    p1 += x[k] * B[k * 2 + 1];
                }
                X2[2 * j] = p0;
                X2[2 * j + 1] = p1;
                double r2 = 0.0;
                for (size_t k = 0; k < d; k++) {
                    double e = x[k] - p0 * B[k * 2] - p1 * B[k * 2 + 1];
                    r2 += e * e;
                }
                resid[j] = d <= 2 ? 0.0 : sqrt(r2);
            }
        }
    }

    cert_ctx cx = {X, n, d, rownorm, Gall, X2, resid, buf, bs, G1, M, &loop};
    /* squared loss: the outputs decouple, each gets its own scale a of v_k; the other
       losses couple the outputs (ce) or bound the scale (<= 1, the conjugate's domain):
       one scale alpha <= beta / max_k sbar_k for every output, the best on that range */
    double lb = 0.0, worst = 0.0, amax = INFINITY;
    unsigned used_count[CVXRELU_SBOUND_COUNT] = {0};
    int feasible = 1;
    for (size_t k = 0; k < c; k++) {
        double yv = 0.0, vv = 0.0;
        for (size_t j = 0; j < n; j++) {
            v[j] = V[j * c + k];
            yv += Y[j * c + k] * v[j];
            vv += v[j] * v[j];
        }
        double sb[CVXRELU_SBOUND_COUNT];
        output_bounds(&cx, v, s, sb);
        int used = -1;
        for (int b = 0; b < CVXRELU_SBOUND_COUNT; b++) {
            if (isnan(sb[b])) {
                cert->sbar[b] = NAN;
                continue;
            }
            if (!isnan(cert->sbar[b])) cert->sbar[b] = fmax(cert->sbar[b], sb[b] / beta);
            if (used < 0 || sb[b] < sb[used]) used = b;
        }
        if (used < 0) {
            st = cr_fail(err, CVXRELU_ERR_INVALID, "certify: no bound on s(v) selected");
            goto done;
        }
        used_count[used]++;
        cert->used_mask |= 1u << used;
        double sbar = sb[used];
        worst = fmax(worst, sbar / beta);
        if (sbar > beta) feasible = 0;
        if (sbar > 0.0) amax = fmin(amax, beta / sbar);
        if (m->loss == CVXRELU_LOSS_SQUARED && vv > 0.0 && yv > 0.0) {
            double a = yv / vv;
            if (sbar > 0.0 && beta / sbar < a) a = beta / sbar;
            lb += a * yv - 0.5 * a * a * vv;
        }
    }
    cert->used = CVXRELU_SBOUND_CHEAP;
    for (int b = 0; b < CVXRELU_SBOUND_COUNT; b++)
        if (used_count[b] > used_count[cert->used]) cert->used = (cvxrelu_sbound)b;
    cert->s_over_beta = worst;
    if (m->loss == CVXRELU_LOSS_SQUARED) {
        cert->lower_bound = lb / (double)N;
    } else {
        cert->lower_bound = cr_loss_dual_best(m->loss, F, Y, n, c, amax);
    }
    cert->ratio = cert->lower_bound > 0.0 ? cert->upper_bound / cert->lower_bound : INFINITY;
    cert->dual_feasible = feasible;
    /* LB is valid whether or not v itself is dual feasible (a scales it) */
    cert->certified_optimal = cert->upper_bound - cert->lower_bound <= s->tol * cert->upper_bound;

    st = sampled_check(m, X, n, V, c, s, &loop, sampled, err);
    if (st) goto done;
    cert->exit = (cvxrelu_exit)cr_loop_check(&loop); /* 0 = CONVERGED */
    cert->s_sampled = 0.0;
    for (size_t k = 0; k < c; k++) cert->s_sampled = fmax(cert->s_sampled, sampled[k] / beta);
    cert->descent_found = cert->s_sampled > 1.0 + s->tol;
    cert->time_s = cr_loop_elapsed(&loop);
done:
    free(F); free(V); free(v); free(rownorm); free(Gall); free(G1);
    free(buf); free(M); free(sampled); free(X2); free(resid);
    return st;
}
