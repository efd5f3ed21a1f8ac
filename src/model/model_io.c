/* Text model files (magic + version, key value lines, %.17g) and atomic writes. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the longest line a model file may have (64 MiB) */
#define MODEL_MAX_LINE ((size_t)64 << 20)

/* Write straight into a target that is not a regular file (a FIFO, a terminal, a
   character device such as /dev/full, /dev/stdout): nothing is renamed over it, and a
   failed write (ENOSPC, EPIPE) is an error with its errno text. */
static cvxrelu_status write_direct(const char *path, cvxrelu_writer fn, void *user,
                                   cvxrelu_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f) return cr_fail(err, CVXRELU_ERR_IO, "%s: cannot open for writing: %s", path,
                           strerror(errno));
    errno = 0;
    cvxrelu_status st = fn(f, user, err);
    int eno = ferror(f) ? (errno ? errno : EIO) : 0;
    if (!eno && fflush(f) != 0) eno = errno ? errno : EIO;
    if (fclose(f) != 0 && !eno) eno = errno ? errno : EIO;
    if (st == CVXRELU_OK && eno)
        st = cr_fail(err, CVXRELU_ERR_IO, "%s: write failed: %s", path, strerror(eno));
    return st;
}

/* The file a path names after following symbolic links, also a dangling one (whose
   target does not exist yet); NULL with errno set when it cannot be resolved. */
static char *resolve_links(const char *path)
{
    char *cur = cr_strdup(path);
    for (int hops = 0; cur && hops < 40; hops++) {
        struct stat sb;
        if (lstat(cur, &sb) != 0 || !S_ISLNK(sb.st_mode)) return cur;
        char link[4096];
        ssize_t k = readlink(cur, link, sizeof link - 1);
        if (k < 0) break;
        link[k] = '\0';
        char *next;
        const char *slash = strrchr(cur, '/');
        if (link[0] == '/' || !slash) {
            next = cr_strdup(link);
        } else { /* relative to the link's folder */
            size_t dl = (size_t)(slash - cur) + 1;
            next = malloc(dl + (size_t)k + 1);
            if (next) {
                memcpy(next, cur, dl);
                memcpy(next + dl, link, (size_t)k + 1);
            }
        }
        free(cur);
        cur = next;
    }
    if (cur) errno = ELOOP;
    free(cur);
    return NULL;
}

cvxrelu_status cvxrelu_write_atomic(const char *path, cvxrelu_writer fn, void *user,
                                    cvxrelu_error *err)
{
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    /* devices, FIFOs, /dev and /proc paths: written in place, never replaced */
    if ((exists && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) ||
        strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0)
        return write_direct(path, fn, user, err);
    if (exists && S_ISDIR(sb.st_mode))
        return cr_fail(err, CVXRELU_ERR_IO, "%s: cannot write: it is a directory", path);
    /* a symbolic link: write next to its target and rename onto the target */
    char *target = resolve_links(path);
    if (!target)
        return cr_fail(err, CVXRELU_ERR_IO, "%s: cannot resolve the symbolic link: %s", path,
                       strerror(errno));
    size_t len = strlen(target);
    char *tmp = malloc(len + 16);
    if (!tmp) {
        free(target);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(tmp, target, len);
    memcpy(tmp + len, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        cvxrelu_status st = cr_fail(err, CVXRELU_ERR_IO, "%s: cannot create a file there: %s",
                                    path, strerror(errno));
        free(tmp);
        free(target);
        return st;
    }
    if (exists) {
        /* keep the replaced file's permissions (and owner, where allowed) */
        (void)fchmod(fd, sb.st_mode & 07777);
        if (fchown(fd, sb.st_uid, sb.st_gid) != 0) { /* not permitted: keep ours */ }
    } else {
        /* mkstemp creates 0600; give the file the mode a plain fopen would */
        mode_t mask = umask(0);
        umask(mask);
        (void)fchmod(fd, 0666 & ~mask);
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        free(tmp);
        free(target);
        return cr_fail(err, CVXRELU_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    }
    errno = 0;
    cvxrelu_status st = fn(f, user, err);
    int eno = ferror(f) ? (errno ? errno : EIO) : 0;
    if (!eno && fflush(f) != 0) eno = errno ? errno : EIO;
    if (!eno && fsync(fileno(f)) != 0) eno = errno ? errno : EIO;
    if (fclose(f) != 0 && !eno) eno = errno ? errno : EIO;
    if (st == CVXRELU_OK && eno)
        st = cr_fail(err, CVXRELU_ERR_IO, "%s: write failed: %s", path, strerror(eno));
    if (st == CVXRELU_OK && rename(tmp, target) != 0)
        st = cr_fail(err, CVXRELU_ERR_IO, "%s: cannot rename into place: %s", path,
                     strerror(errno));
    if (st != CVXRELU_OK) unlink(tmp);
    free(tmp);
    free(target);
    return st;
}

static const char *kind_name(cvxrelu_model_kind k)
{
    return k == CVXRELU_MODEL_GATED ? "gated" : k == CVXRELU_MODEL_RELU3 ? "relu3" : "relu";
}

static void put_vec(FILE *f, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) fprintf(f, " %.17g", v[i]);
}

/* A name as the rest of a line: backslash, line feed and carriage return escaped as
   \\, \n and \r (read back by unescape); every other byte verbatim. */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') fputs("\\\\", f);
        else if (*s == '\n') fputs("\\n", f);
        else if (*s == '\r') fputs("\\r", f);
        else fputc(*s, f);
    }
}

int cr_model_format_version(const cvxrelu_model *m)
{
    /* the oldest version that holds what the model has: 4 with a loss other than
       squared, 3 with standardized targets, else 2 (older readers keep reading the
       models they can) */
    return m->loss != CVXRELU_LOSS_SQUARED ? 4 : m->enc->standardize_y ? 3 : 2;
}

static cvxrelu_status write_model(FILE *f, void *user, cvxrelu_error *err)
{
    const cvxrelu_model *m = user;
    const cvxrelu_encoding *e = m->enc;
    fprintf(f, "cvxrelu-model %d\n", cr_model_format_version(m));
    fprintf(f, "kind %s\n", kind_name(m->kind));
    fprintf(f, "task %s\n", e->task == CVXRELU_TASK_CLASSIFICATION ? "classification" : "regression");
    fprintf(f, "d_raw %zu\nd %zu\noutputs %zu\n", e->d_raw, e->d, e->c);
    fprintf(f, "standardize %d\nbias %d\n", e->standardize, e->bias);
    /* the layout of the training file (format 2) */
    if (e->from_csv) fprintf(f, "label_col %zu\n", e->label_col);
    else fputs("label_col none\n", f);
    const int header = e->header && e->feature_names;
    fprintf(f, "header %d\n", header);
    for (size_t j = 0; header && j < e->d_raw; j++) {
        fputs("feature ", f);
        put_escaped(f, e->feature_names[j]);
        fputc('\n', f);
    }
    /* the summary: an objective or gap that is not known (not finite) is left out, and
       read back as not known; a model file never holds NaN */
    fprintf(f, "lambda %.17g\npatterns %zu\n", m->lambda, m->patterns);
    if (isfinite(m->objective)) fprintf(f, "objective %.17g\n", m->objective);
    if (isfinite(m->gap)) fprintf(f, "gap %.17g\n", m->gap);
    fprintf(f, "classes %zu\n", e->n_classes);
    for (size_t i = 0; i < e->n_classes; i++) {
        if (strpbrk(e->classes[i], "\r\n"))
            return cr_fail(err, CVXRELU_ERR_INVALID, "class label %zu contains a line break", i + 1);
        fprintf(f, "class %s\n", e->classes[i]);
    }
    fputs("mean", f);
    put_vec(f, e->mean, e->d_raw);
    fputs("\nscale", f);
    put_vec(f, e->scale, e->d_raw);
    if (e->standardize_y) fprintf(f, "\ntarget_mean %.17g\ntarget_scale %.17g", e->y_mean, e->y_scale);
    if (m->loss == CVXRELU_LOSS_HUBER)
        fprintf(f, "\nloss huber %.17g", m->huber_delta > 0.0 ? m->huber_delta : 1.0);
    else if (m->loss != CVXRELU_LOSS_SQUARED)
        fprintf(f, "\nloss %s", cvxrelu_loss_name(m->loss));
    if (m->kind == CVXRELU_MODEL_RELU3) {
        /* one line per sub-network: output, third-layer weight, second layer, first layer */
        fprintf(f, "\nsubnets %zu width1 %zu\n", m->m, m->width1);
        for (size_t j = 0; j < m->m; j++) {
            fprintf(f, "s %zu %.17g", m->out[j], m->a[j]);
            put_vec(f, m->W2 + j * m->width1, m->width1);
            put_vec(f, m->W + j * m->width1 * m->d, m->width1 * m->d);
            fputc('\n', f);
        }
        fputs("end\n", f);
        return CVXRELU_OK;
    }
    fprintf(f, "\nneurons %zu%s\n", m->m, m->V ? " dense" : "");
    for (size_t j = 0; j < m->m; j++) {
        if (m->V) {
            fputs("n", f);
            put_vec(f, m->V + j * e->c, e->c);
        } else {
            fprintf(f, "n %zu %.17g", m->out[j], m->a[j]);
        }
        put_vec(f, m->W + j * m->d, m->d);
        if (m->G) put_vec(f, m->G + j * m->d, m->d);
        fputc('\n', f);
    }
    fputs("end\n", f);
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_model_save(const cvxrelu_model *m, const char *path, cvxrelu_error *err)
{
    if (!m || !path) return cr_fail(err, CVXRELU_ERR_INVALID, "model_save: missing argument");
    int bad = 0;
    const size_t rows = m->kind == CVXRELU_MODEL_RELU3 ? m->m * m->width1 : m->m;
    for (size_t i = 0; i < rows * m->d; i++) bad |= !isfinite(m->W[i]) || (m->G && !isfinite(m->G[i]));
    if (m->W2)
        for (size_t i = 0; i < rows; i++) bad |= !isfinite(m->W2[i]);
    for (size_t j = 0; j < m->m; j++) bad |= !isfinite(m->a[j]);
    if (m->V)
        for (size_t t = 0; t < m->m * m->enc->c; t++) bad |= !isfinite(m->V[t]);
    if (m->enc->from_csv && m->enc->label_col > m->enc->d_raw)
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "%s: label column %zu is outside the %zu columns of the training data",
                       path, m->enc->label_col, m->enc->d_raw + 1);
    if (m->enc->header && m->enc->feature_names)
        for (size_t j = 0; j < m->enc->d_raw; j++)
            if (!m->enc->feature_names[j])
                return cr_fail(err, CVXRELU_ERR_INVALID, "%s: feature name %zu is missing",
                               path, j + 1);
    for (size_t k = 0; k < m->enc->d_raw; k++)
        bad |= !isfinite(m->enc->mean[k]) || !isfinite(m->enc->scale[k]) || !(m->enc->scale[k] > 0.0);
    if (bad)
        return cr_fail(err, CVXRELU_ERR_NUMERIC,
                       "%s: refusing to save a model with non-finite numbers", path);
    return cvxrelu_write_atomic(path, write_model, (void *)m, err);
}

/* ---------------------------------------------------------------- reader */

typedef struct {
    FILE *f;
    const char *path;
    size_t line;
    char *buf;
    size_t cap;
    cvxrelu_error *err;
    cvxrelu_status st; /* set when next_line failed (not at end of file) */
    int again;         /* next_line returns the current line once more */
} reader;

/* Next line without its end; NULL at end of file, or on an error (r->st set): a NUL
   byte, a line longer than MODEL_MAX_LINE (so that /dev/zero cannot grow memory
   without bound), no memory. */
static char *next_line(reader *r)
{
    size_t len = 0;
    int ch;
    if (r->again) {
        r->again = 0;
        return r->buf;
    }
    if (r->st || feof(r->f)) return NULL;
    while ((ch = fgetc(r->f)) != EOF && ch != '\n') {
        if (ch == '\0') {
            r->st = cr_fail(r->err, CVXRELU_ERR_FORMAT, "%s:%zu: expected text, got a NUL byte "
                            "(not a cvxrelu model file?)", r->path, r->line + 1);
            return NULL;
        }
        if (len >= MODEL_MAX_LINE) {
            r->st = cr_fail(r->err, CVXRELU_ERR_FORMAT, "%s:%zu: line longer than %zu bytes "
                            "(%zu MiB) (not a cvxrelu model file?)", r->path, r->line + 1,
                            MODEL_MAX_LINE, MODEL_MAX_LINE >> 20);
            return NULL;
        }
        if (len + 2 > r->cap) {
            size_t cap = r->cap ? 2 * r->cap : 256;
            char *b = realloc(r->buf, cap);
            if (!b) {
                r->st = cr_fail(r->err, CVXRELU_ERR_NOMEM, "%s: out of memory", r->path);
                return NULL;
            }
            r->buf = b;
            r->cap = cap;
        }
        r->buf[len++] = (char)ch;
    }
    if (ch == EOF && len == 0) return NULL;
    if (!r->buf) {
        r->buf = malloc(256);
        if (!r->buf) return NULL;
        r->cap = 256;
    }
    if (len > 0 && r->buf[len - 1] == '\r') len--;
    r->buf[len] = '\0';
    r->line++;
    return r->buf;
}

/* Read a line "key rest"; *rest points past the key and one space. */
static cvxrelu_status expect_key(reader *r, const char *key, char **rest)
{
    char *l = next_line(r);
    size_t kl = strlen(key);
    if (!l) {
        if (r->st) return r->st;
        return cr_fail(r->err, CVXRELU_ERR_FORMAT, "%s:%zu: file ends early (truncated?): expected '%s'",
                       r->path, r->line + 1, key);
    }
    if (strncmp(l, key, kl) != 0 || (l[kl] != ' ' && l[kl] != '\0'))
        return cr_fail(r->err, CVXRELU_ERR_FORMAT, "%s:%zu: expected '%s ...'", r->path, r->line, key);
    *rest = l[kl] ? l + kl + 1 : l + kl;
    return CVXRELU_OK;
}

static cvxrelu_status key_size(reader *r, const char *key, size_t *v)
{
    char *rest, *e;
    cvxrelu_status st = expect_key(r, key, &rest);
    if (st) return st;
    errno = 0;
    unsigned long long x = strtoull(rest, &e, 10);
    if (e == rest || *e || errno || rest[0] == '-')
        return cr_fail(r->err, CVXRELU_ERR_FORMAT, "%s:%zu: %s: expected a non-negative integer, got \"%s\"",
                       r->path, r->line, key, rest);
    *v = (size_t)x;
    return CVXRELU_OK;
}

/* Parse exactly count numbers from s. */
static cvxrelu_status numbers(reader *r, const char *what, char *s, double *v, size_t count)
{
    char *p = s, *e;
    for (size_t i = 0; i < count; i++) {
        errno = 0;
        v[i] = strtod(p, &e);
        if (e == p || !isfinite(v[i]))
            return cr_fail(r->err, CVXRELU_ERR_FORMAT,
                           "%s:%zu: %s: expected %zu finite numbers, number %zu is missing or bad",
                           r->path, r->line, what, count, i + 1);
        p = e;
    }
    while (*p == ' ' || *p == '\t') p++;
    if (*p)
        return cr_fail(r->err, CVXRELU_ERR_FORMAT, "%s:%zu: %s: expected %zu numbers, found more",
                       r->path, r->line, what, count);
    return CVXRELU_OK;
}

static cvxrelu_status key_double(reader *r, const char *key, double *v)
{
    char *rest;
    cvxrelu_status st = expect_key(r, key, &rest);
    if (st) return st;
    if (strcmp(rest, "nan") == 0 || strcmp(rest, "-nan") == 0) { /* an unsolved summary */
        *v = NAN;
        return CVXRELU_OK;
    }
    return numbers(r, key, rest, v, 1);
}

/* An optional "key NUMBER" line: NaN when the next line has another key. */
static cvxrelu_status opt_key_double(reader *r, const char *key, double *v)
{
    *v = NAN;
    char *l = next_line(r);
    if (!l) return r->st; /* at the end: the next expected key reports it */
    size_t kl = strlen(key);
    r->again = 1;
    if (strncmp(l, key, kl) != 0 || (l[kl] != ' ' && l[kl] != '\0')) return CVXRELU_OK;
    return key_double(r, key, v);
}

/* The optional "loss NAME [DELTA]" line (format 4; absent: squared). */
static cvxrelu_status read_loss(reader *r, cvxrelu_model *m)
{
    m->loss = CVXRELU_LOSS_SQUARED;
    char *l = next_line(r);
    if (!l) return r->st;
    r->again = 1;
    if (strncmp(l, "loss ", 5) != 0) return CVXRELU_OK;
    r->again = 0;
    const char *v = l + 5;
    static const cvxrelu_loss named[] = {CVXRELU_LOSS_SQUARED, CVXRELU_LOSS_LOGISTIC,
                                         CVXRELU_LOSS_CE};
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (strcmp(v, cvxrelu_loss_name(named[i])) == 0) {
            m->loss = named[i];
            goto check;
        }
    if (strncmp(v, "huber ", 6) == 0) {
        char *end = NULL;
        m->huber_delta = strtod(v + 6, &end);
        if (end != v + 6 && !*end && m->huber_delta > 0.0 && isfinite(m->huber_delta)) {
            m->loss = CVXRELU_LOSS_HUBER;
            return CVXRELU_OK;
        }
    }
    return cr_fail(r->err, CVXRELU_ERR_FORMAT,
                   "%s:%zu: loss: expected squared, logistic, ce or 'huber DELTA' (DELTA > 0), "
                   "got \"%s\"", r->path, r->line, v);
check:
    /* logistic: one output of two classes; ce: one output per class */
    if ((m->loss == CVXRELU_LOSS_LOGISTIC && (m->enc->task != CVXRELU_TASK_CLASSIFICATION ||
                                              m->enc->c != 1)) ||
        (m->loss == CVXRELU_LOSS_CE && (m->enc->task != CVXRELU_TASK_CLASSIFICATION ||
                                        m->enc->c < 2)))
        return cr_fail(r->err, CVXRELU_ERR_FORMAT,
                       "%s:%zu: the %s loss needs a classification model with %s", r->path,
                       r->line, v, m->loss == CVXRELU_LOSS_CE ? "three or more classes"
                                                               : "two classes");
    return CVXRELU_OK;
}

/* Undo put_escaped in place. */
static cvxrelu_status unescape(reader *r, const char *what, char *s)
{
    char *w = s;
    for (char *p = s; *p; p++) {
        if (*p != '\\') {
            *w++ = *p;
            continue;
        }
        p++;
        if (*p == '\\') *w++ = '\\';
        else if (*p == 'n') *w++ = '\n';
        else if (*p == 'r') *w++ = '\r';
        else
            return cr_fail(r->err, CVXRELU_ERR_FORMAT,
                           "%s:%zu: %s: expected \\\\, \\n or \\r after a backslash, got \"\\%.1s\"",
                           r->path, r->line, what, p);
    }
    *w = '\0';
    return CVXRELU_OK;
}

/* Format 2: "label_col K|none", "header 0|1", then d_raw lines "feature NAME" with a header. */
static cvxrelu_status read_layout(reader *r, cvxrelu_encoding *e)
{
    char *rest, *end;
    cvxrelu_status st = expect_key(r, "label_col", &rest);
    if (st) return st;
    if (strcmp(rest, "none") != 0) {
        errno = 0;
        unsigned long long k = strtoull(rest, &end, 10);
        if (end == rest || *end || errno || rest[0] == '-' || k > e->d_raw)
            return cr_fail(r->err, CVXRELU_ERR_FORMAT,
                           "%s:%zu: label_col: expected 'none' or a column from 0 to %zu, got \"%s\"",
                           r->path, r->line, e->d_raw, rest);
        e->from_csv = 1;
        e->label_col = (size_t)k;
    }
    size_t header;
    if ((st = key_size(r, "header", &header))) return st;
    if (header > 1)
        return cr_fail(r->err, CVXRELU_ERR_FORMAT, "%s:%zu: header: expected 0 or 1, got %zu",
                       r->path, r->line, header);
    if (!header) return CVXRELU_OK;
    if (!(e->feature_names = cr_calloc(e->d_raw, sizeof *e->feature_names)))
        return CVXRELU_ERR_NOMEM;
    e->header = 1;
    for (size_t j = 0; j < e->d_raw; j++) {
        if ((st = expect_key(r, "feature", &rest)) || (st = unescape(r, "feature", rest))) return st;
        if (!(e->feature_names[j] = cr_strdup(rest))) return CVXRELU_ERR_NOMEM;
    }
    return CVXRELU_OK;
}

/* The three-layer part: "subnets K width1 M", then K lines "s OUT A W2[M] W1[M d]". */
static cvxrelu_status read_subnets(reader *r, cvxrelu_model *m)
{
    char *rest, *e;
    cvxrelu_status st = expect_key(r, "subnets", &rest);
    if (st) return st;
    errno = 0;
    unsigned long long K = strtoull(rest, &e, 10), m1 = 0;
    int ok = e != rest && rest[0] != '-' && !errno && strncmp(e, " width1 ", 8) == 0;
    if (ok) {
        char *w = e + 8, *e2;
        m1 = strtoull(w, &e2, 10);
        ok = e2 != w && w[0] != '-' && !errno && *e2 == '\0' && m1 >= 1;
    }
    if (!ok || K > (1u << 24) || m1 > (1u << 16))
        return cr_fail(r->err, CVXRELU_ERR_FORMAT,
                       "%s:%zu: expected 'subnets K width1 M' (K >= 0, 1 <= M <= 65536), got \"%s\"",
                       r->path, r->line, rest);
    const size_t d = m->d, c = m->enc->c, per = 1 + m1 + m1 * d;
    m->m = 0;
    m->width1 = (size_t)m1;
    size_t kk = K ? (size_t)K : 1;
    m->W = cr_malloc(kk * m1, d * sizeof(double));
    m->W2 = cr_malloc(kk, m1 * sizeof(double));
    m->a = cr_malloc(kk, sizeof(double));
    m->out = cr_calloc(kk, sizeof(size_t));
    double *row = cr_malloc(per, sizeof(double));
    if (!m->W || !m->W2 || !m->a || !m->out || !row) {
        free(row);
        return cr_fail(r->err, CVXRELU_ERR_NOMEM, "%s: out of memory", r->path);
    }
    for (size_t j = 0; j < K; j++) {
        if ((st = expect_key(r, "s", &rest))) break;
        errno = 0;
        unsigned long long o = strtoull(rest, &e, 10);
        if (e == rest || *e != ' ' || rest[0] == '-' || errno || o >= c) {
            st = cr_fail(r->err, CVXRELU_ERR_FORMAT, "%s:%zu: expected an output index below %zu",
                         r->path, r->line, c);
            break;
        }
        if ((st = numbers(r, "sub-network", e, row, per))) break;
        m->out[j] = (size_t)o;
        m->a[j] = row[0];
        memcpy(m->W2 + j * m1, row + 1, m1 * sizeof(double));
        memcpy(m->W + j * m1 * d, row + 1 + m1, m1 * d * sizeof(double));
    }
    free(row);
    if (st) return st;
    m->m = (size_t)K;
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_model_load(const char *path, cvxrelu_model **out, cvxrelu_error *err)
{
    *out = NULL;
    reader r = {NULL, path, 0, NULL, 0, err, CVXRELU_OK, 0};
    cvxrelu_model *m = NULL;
    cvxrelu_status st;
    r.f = fopen(path, "rb");
    if (!r.f) return cr_fail(err, CVXRELU_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *l = next_line(&r);
    int version = -1;
    if (!l && r.st) {
        st = r.st;
        goto fail;
    }
    if (!l || sscanf(l, "cvxrelu-model %d", &version) != 1) {
        st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s:1: expected 'cvxrelu-model VERSION' (not a cvxrelu model file)", path);
        goto fail;
    }
    if (version < 1 || version > CVXRELU_MODEL_FORMAT_VERSION) {
        st = cr_fail(err, CVXRELU_ERR_FORMAT,
                     "%s:1: unsupported model format version %d (this build reads versions 1 "
                     "to %d)", path, version, CVXRELU_MODEL_FORMAT_VERSION);
        goto fail;
    }
    st = CVXRELU_ERR_NOMEM;
    m = calloc(1, sizeof *m);
    if (!m) goto fail;
    m->enc = calloc(1, sizeof *m->enc);
    if (!m->enc) goto fail;
    cvxrelu_encoding *e = m->enc;
    char *rest;
    if ((st = expect_key(&r, "kind", &rest))) goto fail;
    if (strcmp(rest, "gated") == 0) m->kind = CVXRELU_MODEL_GATED;
    else if (strcmp(rest, "relu") == 0) m->kind = CVXRELU_MODEL_RELU;
    else if (strcmp(rest, "relu3") == 0) m->kind = CVXRELU_MODEL_RELU3;
    else { st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s:%zu: expected kind 'gated', 'relu' or 'relu3', got \"%s\"", path, r.line, rest); goto fail; }
    if ((st = expect_key(&r, "task", &rest))) goto fail;
    if (strcmp(rest, "classification") == 0) e->task = CVXRELU_TASK_CLASSIFICATION;
    else if (strcmp(rest, "regression") == 0) e->task = CVXRELU_TASK_REGRESSION;
    else { st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s:%zu: expected task 'classification' or 'regression', got \"%s\"", path, r.line, rest); goto fail; }
    size_t sd, bias;
    if ((st = key_size(&r, "d_raw", &e->d_raw)) || (st = key_size(&r, "d", &e->d)) ||
        (st = key_size(&r, "outputs", &e->c)) || (st = key_size(&r, "standardize", &sd)) ||
        (st = key_size(&r, "bias", &bias)))
        goto fail;
    e->standardize = sd != 0;
    e->bias = bias != 0;
    if (e->d != e->d_raw + (size_t)e->bias || e->c == 0 || e->d_raw == 0 || e->d_raw > (1u << 28) || e->c > (1u << 20)) {
        st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s:%zu: inconsistent sizes (d_raw %zu, d %zu, bias %d, outputs %zu)",
                     path, r.line, e->d_raw, e->d, e->bias, e->c);
        goto fail;
    }
    m->d = e->d;
    /* version 1 has no layout: the label was the last column, no names */
    if (version >= 2 && (st = read_layout(&r, e))) goto fail;
    if ((st = key_double(&r, "lambda", &m->lambda)) || (st = key_size(&r, "patterns", &m->patterns)) ||
        (st = opt_key_double(&r, "objective", &m->objective)) ||
        (st = opt_key_double(&r, "gap", &m->gap)) ||
        (st = key_size(&r, "classes", &e->n_classes)))
        goto fail;
    if (e->task == CVXRELU_TASK_CLASSIFICATION
            ? (e->n_classes < 2 || e->c != (e->n_classes == 2 ? 1 : e->n_classes))
            : (e->n_classes != 0)) {
        st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s:%zu: %zu classes do not fit %zu outputs", path,
                     r.line, e->n_classes, e->c);
        goto fail;
    }
    st = CVXRELU_ERR_NOMEM;
    e->classes = e->n_classes ? calloc(e->n_classes, sizeof(char *)) : NULL;
    e->mean = cr_malloc(e->d_raw, sizeof(double));
    e->scale = cr_malloc(e->d_raw, sizeof(double));
    if ((e->n_classes && !e->classes) || !e->mean || !e->scale) goto fail;
    for (size_t i = 0; i < e->n_classes; i++) {
        if ((st = expect_key(&r, "class", &rest))) goto fail;
        if (!(e->classes[i] = cr_strdup(rest))) { st = CVXRELU_ERR_NOMEM; goto fail; }
    }
    if ((st = expect_key(&r, "mean", &rest)) || (st = numbers(&r, "mean", rest, e->mean, e->d_raw)) ||
        (st = expect_key(&r, "scale", &rest)) || (st = numbers(&r, "scale", rest, e->scale, e->d_raw)))
        goto fail;
    for (size_t k = 0; k < e->d_raw; k++)
        if (!(e->scale[k] > 0.0)) { st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s:%zu: scale %zu must be > 0", path, r.line, k + 1); goto fail; }
    e->y_mean = NAN;
    e->y_scale = NAN;
    if (version >= 3 && ((st = opt_key_double(&r, "target_mean", &e->y_mean)) ||
                         (st = opt_key_double(&r, "target_scale", &e->y_scale))))
        goto fail;
    e->standardize_y = !isnan(e->y_mean) || !isnan(e->y_scale);
    if (e->standardize_y && (e->task != CVXRELU_TASK_REGRESSION || !isfinite(e->y_mean) ||
                             !(e->y_scale > 0.0) || !isfinite(e->y_scale))) {
        st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s:%zu: expected target_mean (finite) and "
                     "target_scale (> 0, finite) together, for a regression model", path, r.line);
        goto fail;
    }
    if (!e->standardize_y) {
        e->y_mean = 0.0;
        e->y_scale = 1.0;
    }
    if (version >= 4 && (st = read_loss(&r, m))) goto fail;
    if (m->kind == CVXRELU_MODEL_RELU3) {
        if ((st = read_subnets(&r, m))) goto fail;
        goto done;
    }
    size_t nn;
    int dense = 0;
    {
        char *e3;
        if ((st = expect_key(&r, "neurons", &rest))) goto fail;
        errno = 0;
        unsigned long long x = strtoull(rest, &e3, 10);
        if (e3 != rest && rest[0] != '-' && !errno && strcmp(e3, " dense") == 0 && e->c > 1) {
            dense = 1;
        } else if (e3 == rest || *e3 || errno || rest[0] == '-') {
            st = cr_fail(err, CVXRELU_ERR_FORMAT,
                         "%s:%zu: neurons: expected a non-negative integer (and 'dense' for a "
                         "dense second layer with several outputs), got \"%s\"",
                         path, r.line, rest);
            goto fail;
        }
        nn = (size_t)x;
    }
    if (nn > (1u << 26)) { st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s:%zu: implausible neuron count %zu", path, r.line, nn); goto fail; }
    const size_t d = m->d, per = 1 + (m->kind == CVXRELU_MODEL_GATED ? 2 * d : d);
    double *row = cr_malloc(per + 1, sizeof(double));
    m->W = cr_malloc(nn, d * sizeof(double));
    m->G = m->kind == CVXRELU_MODEL_GATED ? cr_malloc(nn, d * sizeof(double)) : NULL;
    m->a = cr_malloc(nn, sizeof(double));
    m->out = cr_calloc(nn ? nn : 1, sizeof(size_t));
    if (dense) m->V = cr_malloc(nn ? nn : 1, e->c * sizeof(double));
    if (dense && m->kind != CVXRELU_MODEL_RELU) {
        free(row);
        st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s:%zu: a dense second layer needs kind relu",
                     path, r.line);
        goto fail;
    }
    if (!row || !m->W || (m->kind == CVXRELU_MODEL_GATED && !m->G) || !m->a || !m->out ||
        (dense && !m->V)) {
        free(row);
        st = cr_fail(err, CVXRELU_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    for (size_t j = 0; j < nn; j++) {
        char *e2;
        if ((st = expect_key(&r, "n", &rest))) { free(row); goto fail; }
        if (dense) {
            double *vrow = cr_malloc(e->c + d + 1, sizeof(double));
            if (!vrow) { free(row); st = cr_fail(err, CVXRELU_ERR_NOMEM, "%s: out of memory", path); goto fail; }
            if ((st = numbers(&r, "neuron", rest, vrow, e->c + d))) { free(vrow); free(row); goto fail; }
            memcpy(m->V + j * e->c, vrow, e->c * sizeof(double));
            memcpy(m->W + j * d, vrow + e->c, d * sizeof(double));
            m->a[j] = vrow[0];
            free(vrow);
            continue;
        }
        errno = 0;
        unsigned long long o = strtoull(rest, &e2, 10);
        if (e2 == rest || *e2 != ' ' || o >= e->c) {
            free(row);
            st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s:%zu: expected an output index below %zu", path, r.line, e->c);
            goto fail;
        }
        if ((st = numbers(&r, "neuron", e2, row, per))) { free(row); goto fail; }
        m->out[j] = (size_t)o;
        m->a[j] = row[0];
        memcpy(m->W + j * d, row + 1, d * sizeof(double));
        if (m->G) memcpy(m->G + j * d, row + 1 + d, d * sizeof(double));
    }
    free(row);
    m->m = nn;
done:
    if ((st = expect_key(&r, "end", &rest))) goto fail;
    if (next_line(&r)) { st = cr_fail(err, CVXRELU_ERR_FORMAT, "%s:%zu: expected end of file after 'end'", path, r.line); goto fail; }
    if (r.st) { st = r.st; goto fail; }
    fclose(r.f);
    free(r.buf);
    *out = m;
    return CVXRELU_OK;
fail:
    if (st == CVXRELU_ERR_NOMEM) cr_fail(err, st, "%s: out of memory", path);
    fclose(r.f);
    free(r.buf);
    cvxrelu_model_free(m);
    return st;
}
