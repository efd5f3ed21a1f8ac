/* Status strings, errors, checked allocation, the random generator, clocks. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *cvxrelu_status_string(cvxrelu_status s)
{
    switch (s) {
    case CVXRELU_OK: return "ok";
    case CVXRELU_ERR_NOMEM: return "out of memory";
    case CVXRELU_ERR_INVALID: return "invalid argument";
    case CVXRELU_ERR_IO: return "input/output error";
    case CVXRELU_ERR_FORMAT: return "format error";
    case CVXRELU_ERR_NUMERIC: return "numerical error";
    case CVXRELU_ERR_UNSUPPORTED: return "unsupported";
    }
    return "unknown status";
}

const char *cvxrelu_exit_string(cvxrelu_exit e)
{
    switch (e) {
    case CVXRELU_EXIT_CONVERGED: return "converged";
    case CVXRELU_EXIT_MAX_ITER: return "iteration_limit";
    case CVXRELU_EXIT_TIME_LIMIT: return "time_limit";
    case CVXRELU_EXIT_INTERRUPTED: return "interrupted";
    case CVXRELU_EXIT_STALLED: return "stalled";
    }
    return "unknown";
}

cvxrelu_status cr_fail(cvxrelu_error *err, cvxrelu_status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

int cr_mul_ok(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}

void *cr_malloc(size_t count, size_t size)
{
    size_t bytes;
    if (cr_mul_ok(count, size, &bytes)) return NULL;
    return malloc(bytes ? bytes : 1);
}

void *cr_calloc(size_t count, size_t size)
{
    size_t bytes;
    if (cr_mul_ok(count, size, &bytes)) return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *cr_realloc(void *p, size_t count, size_t size)
{
    size_t bytes;
    if (cr_mul_ok(count, size, &bytes)) return NULL;
    return realloc(p, bytes ? bytes : 1);
}

char *cr_strdup(const char *s)
{
    size_t len = strlen(s);
    char *r = malloc(len + 1);
    if (r) memcpy(r, s, len + 1);
    return r;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void cr_rng_seed(cr_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0.0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t cr_rng_next(cr_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double cr_rng_uniform(cr_rng *r)
{
    /* 53 random bits, shifted off zero: (k + 0.5) / 2^53 */
    return ((double)(cr_rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double cr_rng_normal(cr_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * cr_rng_uniform(r) - 1.0;
        v = 2.0 * cr_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}

size_t cr_rng_below(cr_rng *r, size_t n)
{
    if (n <= 1) return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % (uint64_t)n;
    uint64_t x;
    do x = cr_rng_next(r);
    while (x >= limit);
    return (size_t)(x % (uint64_t)n);
}

int cr_chol(double *A, size_t k, double rel_tol)
{
    for (size_t j = 0; j < k; j++) {
        double v = A[j * k + j];
        for (size_t l = 0; l < j; l++) v -= A[j * k + l] * A[j * k + l];
        if (!(v > rel_tol * fabs(A[j * k + j]))) return -1;
        A[j * k + j] = sqrt(v);
        for (size_t i = j + 1; i < k; i++) {
            double w = A[i * k + j];
            for (size_t l = 0; l < j; l++) w -= A[i * k + l] * A[j * k + l];
            A[i * k + j] = w / A[j * k + j];
        }
    }
    return 0;
}

void cr_chol_solve(const double *L, double *b, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        for (size_t l = 0; l < i; l++) b[i] -= L[i * k + l] * b[l];
        b[i] /= L[i * k + i];
    }
    for (size_t i = k; i-- > 0;) {
        for (size_t l = i + 1; l < k; l++) b[i] -= L[l * k + i] * b[l];
        b[i] /= L[i * k + i];
    }
}

double cr_physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (double)pages * (double)size : 1e18;
}

double cr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

cr_stop cr_stop_after(volatile sig_atomic_t *interrupt, double time_limit_s)
{
    cr_stop s = {interrupt, time_limit_s > 0.0 ? cr_now() + time_limit_s : 0.0};
    return s;
}

int cr_stop_check(const cr_stop *s)
{
    if (!s) return 0;
    if (s->interrupt && *s->interrupt) return CVXRELU_EXIT_INTERRUPTED;
    if (s->deadline > 0.0 && cr_now() >= s->deadline) return CVXRELU_EXIT_TIME_LIMIT;
    return 0;
}

int cr_parse_double(const char *s, const char *end, double *out)
{
    char buf[128];
    size_t len = (size_t)(end - s);
    while (len > 0 && (*s == ' ' || *s == '\t')) { s++; len--; }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *e;
    errno = 0;
    double v = strtod(buf, &e);
    if (e != buf + len) return -1;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL)) return -1;
    *out = v;
    return 0;
}
