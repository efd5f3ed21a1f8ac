/*
 * Data sets: CSV, LIBSVM/SVMlight and IDX readers (plain or gzip, through
 * zlib), building from arrays, subsets and seeded splits; the gates reader.
 * Parsers report "FILE:LINE: expected ..., got ..." and leak nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define FMT CVXRELU_ERR_FORMAT
#define SHOW 48 /* characters of an offending field quoted in messages */
#define MAX_LINE_DEFAULT ((size_t)64 << 20) /* cvxrelu_read_opts.max_line_bytes */

void cvxrelu_read_opts_default(cvxrelu_read_opts *o)
{
    o->format = CVXRELU_FORMAT_AUTO;
    o->label_col = -1;
    o->header = -1;
    o->has_labels = 1;
    o->n_features = 0;
    o->idx_labels = NULL;
    o->max_bytes = 0.0;
    o->max_line_bytes = MAX_LINE_DEFAULT;
}

/* ------------------------------------------------------------ whole files */


/* Text checks of the bytes buf[from..to): a NUL byte, or a line longer than
   max bytes, is an error naming the line (*line and *line_start carry on). */
static cvxrelu_status text_check(const char *path, const char *buf, size_t from, size_t to,
                                 size_t max, size_t *line, size_t *line_start,
                                 cvxrelu_error *err)
{
    size_t k = from;
    for (; k < to; k++) {
        if (buf[k] == '\n') {
            if (k - *line_start > max) break; /* reported below */
            ++*line;
            *line_start = k + 1;
        } else if (buf[k] == '\0') {
            return cr_fail(err, FMT, "%s:%zu: expected text, got a NUL byte (column %zu of "
                           "the line): a binary file, or text in UTF-16?", path, *line,
                           k - *line_start + 1);
        }
    }
    /* k: the end of the line that broke the loop, or of the read so far */
    if (k - *line_start > max)
        return cr_fail(err, FMT, "%s:%zu: line longer than %zu bytes (%zu MiB): expected "
                       "text lines", path, *line, max, max >> 20);
    return CVXRELU_OK;
}

/* Read a plain or gzip file into buf (NUL-terminated, *len bytes before it); text (the
   longest line allowed, 0: binary): no NUL bytes and no line beyond it (checked while
   reading, so that an endless stream such as /dev/zero stops). */
static cvxrelu_status slurp(const char *path, char **buf_out, size_t *len_out, size_t text,
                            cvxrelu_error *err)
{
    size_t tline = 1, tstart = 0;
    *buf_out = NULL;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return cr_fail(err, CVXRELU_ERR_IO, "%s: cannot open: %s", path,
                       errno ? strerror(errno) : "out of memory");
    gzbuffer(f, 1u << 17);
    size_t len = 0, cap = 1u << 16;
    char *buf = malloc(cap);
    cvxrelu_status st = CVXRELU_OK;
    for (;;) {
        if (!buf) { st = cr_fail(err, CVXRELU_ERR_NOMEM, "%s: out of memory", path); break; }
        if (cap - len < 2) {
            char *nb = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!nb) { free(buf); buf = NULL; continue; }
            buf = nb;
            cap *= 2;
        }
        size_t want = cap - len - 1;
        int got = gzread(f, buf + len, (unsigned)(want > INT_MAX ? INT_MAX : want));
        if (got < 0) {
            int zerr;
            const char *zmsg = gzerror(f, &zerr);
            st = cr_fail(err, zerr == Z_ERRNO ? CVXRELU_ERR_IO : FMT, "%s: cannot read: %s",
                         path, zerr == Z_ERRNO ? strerror(errno) : zmsg);
            break;
        }
        if (got == 0) break;
        if (text &&
            (st = text_check(path, buf, len, len + (size_t)got, text, &tline, &tstart, err)))
            break;
        len += (size_t)got;
    }
    int zclose = gzclose(f);
    if (st == CVXRELU_OK && zclose == Z_BUF_ERROR)
        st = cr_fail(err, FMT, "%s: expected a complete gzip stream, got a truncated one",
                     path);
    if (st != CVXRELU_OK) { free(buf); return st; }
    buf[len] = '\0';
    *buf_out = buf;
    *len_out = len;
    return CVXRELU_OK;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static char *dup_range(const char *s, size_t len)
{
    char *r = malloc(len + 1);
    if (r) {
        memcpy(r, s, len);
        r[len] = '\0';
    }
    return r;
}

/* A copy of s without leading and trailing blanks. */
static char *dup_trim(const char *s)
{
    size_t len = strlen(s);
    while (len > 0 && is_blank(*s)) { s++; len--; }
    while (len > 0 && is_blank(s[len - 1])) len--;
    return dup_range(s, len);
}

static int is_number(const char *s)
{
    double v;
    return cr_parse_double(s, s + strlen(s), &v) == 0;
}

/* ------------------------------------------------------------ CSV records */

/*
 * Records of a CSV buffer, unquoted in place: each field becomes a
 * NUL-terminated string inside the buffer.  Blank lines are skipped.
 */
typedef struct {
    const char *path;
    char *p, *end;
    size_t line;       /* line of the cursor, 1-based */
    char **fields;
    size_t nfields, cap;
} csv_reader;

static void csv_init(csv_reader *r, const char *path, char *buf, size_t len)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->p = buf;
    r->end = buf + len;
    r->line = 1;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) r->p += 3; /* UTF-8 BOM */
}

static int is_eol(char c) { return c == '\n' || c == '\r'; }

/* 1: a record (starting at *line), 0: end of input, -1: error in *st. */
static int csv_next(csv_reader *r, size_t *line, cvxrelu_status *st, cvxrelu_error *err)
{
    char *end = r->end;
    for (;;) {
        if (r->p >= end) return 0;
        *line = r->line;
        r->nfields = 0;
        int quoted_any = 0;
        char sep;
        do {
            char *w = r->p, *start = w, *q = r->p;
            while (q < end && is_blank(*q)) q++;
            if (q < end && *q == '"') {
                quoted_any = 1;
                for (q++;; ) {
                    if (q >= end) {
                        *st = cr_fail(err, FMT, "%s:%zu: field %zu: expected a closing quote, "
                                      "got end of file", r->path, *line, r->nfields + 1);
                        return -1;
                    }
                    if (*q == '"') {
                        if (q + 1 < end && q[1] == '"') { *w++ = '"'; q += 2; continue; }
                        q++;
                        break;
                    }
                    if (*q == '\n' || (*q == '\r' && !(q + 1 < end && q[1] == '\n'))) r->line++;
                    *w++ = *q++;
                }
                while (q < end && is_blank(*q)) q++;
                if (q < end && *q != ',' && !is_eol(*q)) {
                    *st = cr_fail(err, FMT, "%s:%zu: field %zu: expected ',' or end of line "
                                  "after a closing quote, got '%c'", r->path, r->line,
                                  r->nfields + 1, *q);
                    return -1;
                }
            } else {
                while (q < end && *q != ',' && !is_eol(*q)) *w++ = *q++;
                while (w > start && is_blank(w[-1])) w--;
            }
            sep = q < end ? *q : '\0';
            *w = '\0';
            if (r->nfields == r->cap) {
                size_t nc = r->cap ? 2 * r->cap : 16;
                char **nf = cr_realloc(r->fields, nc, sizeof *nf);
                if (!nf) {
                    *st = cr_fail(err, CVXRELU_ERR_NOMEM, "%s: out of memory", r->path);
                    return -1;
                }
                r->fields = nf;
                r->cap = nc;
            }
            r->fields[r->nfields++] = start;
            if (q < end) q++;
            if (sep == '\r' && q < end && *q == '\n') q++;
            if (is_eol(sep)) r->line++;
            r->p = q;
        } while (sep == ',');
        if (r->nfields == 1 && !quoted_any && r->fields[0][0] == '\0') continue;
        return 1;
    }
}

/* ------------------------------------------------------------ building */

static cvxrelu_dataset *ds_new(const char *path, size_t d, int has_labels)
{
    cvxrelu_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return NULL;
    ds->d = d;
    ds->has_labels = has_labels;
    ds->label_col = -1;
    ds->source = cr_strdup(path);
    if (!ds->source) { free(ds); return NULL; }
    return ds;
}

/* Room for row ds->n (X too when with_x). */
static int ds_grow(cvxrelu_dataset *ds, size_t *cap, int with_x)
{
    if (ds->n < *cap) return 0;
    size_t nc = *cap ? 2 * *cap : 64, cells;
    if (nc < *cap || cr_mul_ok(nc, ds->d, &cells)) return -1;
    if (with_x) {
        double *X = cr_realloc(ds->X, cells, sizeof *X);
        if (!X) return -1;
        ds->X = X;
    }
    size_t *rl = cr_realloc(ds->row_line, nc, sizeof *rl);
    if (!rl) return -1;
    ds->row_line = rl;
    if (ds->has_labels) {
        char **t = cr_realloc(ds->label_text, nc, sizeof *t);
        if (!t) return -1;
        ds->label_text = t;
        double *v = cr_realloc(ds->label_value, nc, sizeof *v);
        if (!v) return -1;
        ds->label_value = v;
    }
    *cap = nc;
    return 0;
}

static double label_number(const char *text)
{
    double v;
    return cr_parse_double(text, text + strlen(text), &v) == 0 ? v : NAN;
}

/* Label of row ds->n (room reserved); takes ownership of text. */
static void ds_set_label(cvxrelu_dataset *ds, char *text)
{
    ds->label_text[ds->n] = text;
    ds->label_value[ds->n] = label_number(text);
}

void cvxrelu_dataset_free(cvxrelu_dataset *ds)
{
    if (!ds) return;
    if (ds->label_text)
        for (size_t i = 0; i < ds->n; i++) free(ds->label_text[i]);
    if (ds->feature_names)
        for (size_t j = 0; j < ds->d; j++) free(ds->feature_names[j]);
    free(ds->label_text);
    free(ds->label_value);
    free(ds->feature_names);
    free(ds->X);
    free(ds->row_line);
    free(ds->source);
    free(ds);
}

static cvxrelu_status nomem(cvxrelu_error *err, const char *path)
{
    return cr_fail(err, CVXRELU_ERR_NOMEM, "%s: out of memory", path);
}

/* Parse a finite number from field s; message names field k (1-based). */
static cvxrelu_status parse_finite(const char *s, const char *path, size_t line,
                                   const char *what, size_t k, double *out,
                                   cvxrelu_error *err)
{
    if (cr_parse_double(s, s + strlen(s), out) != 0)
        return cr_fail(err, FMT, "%s:%zu: %s %zu: expected a number, got \"%.*s\"", path,
                       line, what, k, SHOW, s);
    if (!isfinite(*out))
        return cr_fail(err, FMT, "%s:%zu: %s %zu: expected a finite number, got \"%.*s\"",
                       path, line, what, k, SHOW, s);
    return CVXRELU_OK;
}

/* ------------------------------------------------------------ CSV */

static cvxrelu_status read_csv(const char *path, char *buf, size_t len,
                               const cvxrelu_read_opts *o, cvxrelu_dataset **out,
                               cvxrelu_error *err)
{
    csv_reader r;
    csv_init(&r, path, buf, len);
    cvxrelu_dataset *ds = NULL;
    cvxrelu_status st = CVXRELU_OK;
    size_t line, cap = 0;
    int rc = csv_next(&r, &line, &st, err);
    if (rc < 0) goto fail;
    if (rc == 0) {
        st = cr_fail(err, FMT, "%s: empty file (expected a header or data rows)", path);
        goto fail;
    }
    size_t nf = r.nfields, lc = SIZE_MAX;
    if (o->has_labels) {
        if (nf < 2) {
            st = cr_fail(err, FMT, "%s:%zu: expected at least 2 fields (features and a "
                         "label), got %zu", path, line, nf);
            goto fail;
        }
        lc = o->label_col >= 0 ? (size_t)o->label_col : nf - 1;
        if (lc >= nf) {
            st = cr_fail(err, FMT, "%s:%zu: expected at least %zu fields (label column %zu), "
                         "got %zu", path, line, lc + 1, lc + 1, nf);
            goto fail;
        }
    }
    ds = ds_new(path, o->has_labels ? nf - 1 : nf, o->has_labels);
    if (!ds) { st = nomem(err, path); goto fail; }
    if (o->has_labels) ds->label_col = (int)lc;

    int header = o->header;
    if (header < 0) {
        /* a header has no number in a feature field, a data row only numbers; a mix is
           a malformed row, not a header to drop */
        size_t nums = 0, texts = 0, first_text = 0;
        for (size_t j = 0; j < nf; j++) {
            if (j == lc) continue;
            if (is_number(r.fields[j])) nums++;
            else if (!texts++) first_text = j;
        }
        if (nums && texts) {
            st = cr_fail(err, FMT, "%s:%zu: field %zu: expected a number, got \"%.*s\" (the "
                         "first row mixes numbers and text, so it is neither a header, where "
                         "no field is a number, nor a data row; give --header if it is a "
                         "header)", path, line, first_text + 1, SHOW, r.fields[first_text]);
            goto fail;
        }
        header = texts > 0;
        ds->header_auto = 1;
    }
    if (header > 0) {
        ds->feature_names = cr_calloc(ds->d, sizeof *ds->feature_names);
        if (!ds->feature_names) { st = nomem(err, path); goto fail; }
        for (size_t j = 0, k = 0; j < nf; j++) {
            if (j == lc) continue;
            if (!(ds->feature_names[k++] = dup_trim(r.fields[j]))) {
                st = nomem(err, path);
                goto fail;
            }
        }
        size_t hline = line;
        rc = csv_next(&r, &line, &st, err);
        if (rc < 0) goto fail;
        if (rc == 0) {
            st = cr_fail(err, FMT, "%s:%zu: expected data rows after the header, got end of "
                         "file", path, hline);
            goto fail;
        }
    }
    for (; rc > 0; rc = csv_next(&r, &line, &st, err)) {
        if (r.nfields != nf) {
            st = cr_fail(err, FMT, "%s:%zu: expected %zu fields, got %zu", path, line, nf,
                         r.nfields);
            goto fail;
        }
        if (ds_grow(ds, &cap, 1)) { st = nomem(err, path); goto fail; }
        double *x = ds->X + ds->n * ds->d;
        for (size_t j = 0; j < nf; j++) {
            if (j == lc) continue;
            st = parse_finite(r.fields[j], path, line, "field", j + 1, x++, err);
            if (st != CVXRELU_OK) goto fail;
        }
        if (o->has_labels) {
            char *t = dup_trim(r.fields[lc]);
            if (!t) { st = nomem(err, path); goto fail; }
            if (!*t) {
                free(t);
                st = cr_fail(err, FMT, "%s:%zu: missing label (expected a value in field "
                             "%zu, got an empty field)", path, line, lc + 1);
                goto fail;
            }
            if (strpbrk(t, "\r\n")) {
                free(t);
                st = cr_fail(err, FMT, "%s:%zu: field %zu: expected a label on one line, got "
                             "a quoted label with a line break (a model file cannot hold it)",
                             path, line, lc + 1);
                goto fail;
            }
            ds_set_label(ds, t);
        }
        ds->row_line[ds->n] = line;
        ds->n++;
    }
    if (rc < 0) goto fail;
    free(r.fields);
    *out = ds;
    return CVXRELU_OK;
fail:
    free(r.fields);
    cvxrelu_dataset_free(ds);
    return st;
}

/* ------------------------------------------------------------ LIBSVM */

typedef struct {
    size_t row, col;
    double v;
} svm_entry;

/* Parse "INDEX:VALUE"; 0 on success, -1 bad token, -2 bad value. */
static int svm_pair(const char *s, const char *e, size_t *idx, double *v)
{
    size_t k = 0;
    const char *p = s;
    for (; p < e && *p >= '0' && *p <= '9'; p++) {
        if (k > (SIZE_MAX - 9) / 10) return -1;
        k = 10 * k + (size_t)(*p - '0');
    }
    if (p == s || p >= e || *p != ':' || k == 0) return -1;
    *idx = k;
    if (cr_parse_double(p + 1, e, v) != 0 || !isfinite(*v)) return -2;
    return 0;
}

/* 1 when the first non-blank line has a comma and no token with ':' (CSV, not LIBSVM). */
static int looks_like_csv(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        const char *q = p;
        while (q < eol && (is_blank(*q) || *q == '\r')) q++;
        if (q < eol)
            return memchr(q, ',', (size_t)(eol - q)) != NULL &&
                   memchr(q, ':', (size_t)(eol - q)) == NULL;
        p = eol + 1;
    }
    return 0;
}

/* Append to a LIBSVM error the hint that the file is CSV text. */
static void csv_hint(cvxrelu_error *err, const cvxrelu_read_opts *o)
{
    if (!err) return;
    size_t used = strlen(err->msg);
    snprintf(err->msg + used, sizeof err->msg - used,
             "; the file looks like CSV (commas, no INDEX:VALUE pairs in its first line)%s: "
             "read it as CSV with --format csv",
             o->format == CVXRELU_FORMAT_AUTO ? " but was read as LIBSVM because of its name"
                                              : "");
}

static cvxrelu_status read_libsvm(const char *path, char *buf, size_t len,
                                  const cvxrelu_read_opts *o, cvxrelu_dataset **out,
                                  cvxrelu_error *err)
{
    cvxrelu_status st = CVXRELU_OK;
    svm_entry *ent = NULL;
    size_t nent = 0, entcap = 0, cap = 0, dmax = 0;
    int labelled = 0; /* the current row's label is set (free it on failure) */
    cvxrelu_dataset *ds = ds_new(path, 0, o->has_labels);
    if (!ds) return nomem(err, path);
    char *p = buf, *end = buf + len;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) p += 3; /* UTF-8 BOM, as in CSV */
    for (size_t line = 1; p < end; line++) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        char *hash = memchr(p, '#', (size_t)(eol - p));
        char *le = hash ? hash : eol;
        char *next = eol < end ? eol + 1 : end;
        while (le > p && (is_blank(le[-1]) || le[-1] == '\r')) le--;
        while (p < le && is_blank(*p)) p++;
        if (p == le) { p = next; continue; }
        if (ds_grow(ds, &cap, 0)) { st = nomem(err, path); goto fail; }
        size_t last = 0;
        for (int tok = 0; p < le; tok++) {
            char *t = p;
            while (p < le && !is_blank(*p)) p++;
            size_t tl = (size_t)(p - t);
            while (p < le && is_blank(*p)) p++;
            int has_colon = memchr(t, ':', tl) != NULL;
            if (tok == 0 && o->has_labels) {
                if (has_colon) {
                    st = cr_fail(err, FMT, "%s:%zu: missing label (expected LABEL INDEX:VALUE "
                                 "..., got \"%.*s\" first)", path, line,
                                 (int)(tl < SHOW ? tl : SHOW), t);
                    goto fail;
                }
                if (memchr(t, '\r', tl)) {
                    st = cr_fail(err, FMT, "%s:%zu: expected a label without a carriage "
                                 "return (a model file cannot hold it)", path, line);
                    goto fail;
                }
                char *lab = dup_range(t, tl);
                if (!lab) { st = nomem(err, path); goto fail; }
                ds_set_label(ds, lab);
                labelled = 1;
                continue;
            }
            if (tok == 0 && !has_colon) continue;        /* label present but unused */
            if (tl > 4 && memcmp(t, "qid:", 4) == 0) continue; /* SVMlight query id */
            size_t idx;
            double v;
            int rc = svm_pair(t, t + tl, &idx, &v);
            if (rc == -1) {
                st = cr_fail(err, FMT, "%s:%zu: expected INDEX:VALUE with INDEX >= 1, got "
                             "\"%.*s\"", path, line, (int)(tl < SHOW ? tl : SHOW), t);
                goto fail;
            }
            if (rc == -2) {
                st = cr_fail(err, FMT, "%s:%zu: index %zu: expected a finite number, got "
                             "\"%.*s\"", path, line, idx, (int)(tl < SHOW ? tl : SHOW), t);
                goto fail;
            }
            if (idx <= last) {
                st = cr_fail(err, FMT, "%s:%zu: expected an index greater than %zu "
                             "(increasing), got %zu", path, line, last, idx);
                goto fail;
            }
            if (o->n_features && idx > o->n_features) {
                st = cr_fail(err, FMT, "%s:%zu: expected an index <= %zu (n_features), got "
                             "%zu", path, line, o->n_features, idx);
                goto fail;
            }
            last = idx;
            if (idx > dmax) dmax = idx;
            if (v == 0.0) continue;
            if (nent == entcap) {
                size_t nc = entcap ? 2 * entcap : 256;
                svm_entry *ne = cr_realloc(ent, nc, sizeof *ne);
                if (!ne) { st = nomem(err, path); goto fail; }
                ent = ne;
                entcap = nc;
            }
            ent[nent++] = (svm_entry){ds->n, idx - 1, v};
        }
        ds->row_line[ds->n] = line;
        ds->n++;
        labelled = 0;
        p = next;
    }
    if (ds->n == 0) {
        st = cr_fail(err, FMT, "%s: empty file (expected data rows)", path);
        goto fail;
    }
    ds->d = o->n_features ? o->n_features : dmax;
    if (ds->d == 0) {
        st = cr_fail(err, FMT, "%s: expected at least one INDEX:VALUE feature, got none",
                     path);
        goto fail;
    }
    size_t cells;
    const double limit = o->max_bytes > 0.0 ? o->max_bytes : cr_physical_memory();
    if (cr_mul_ok(ds->n, ds->d, &cells) || (double)cells * sizeof(double) > limit) {
        /* a large feature index makes the dense matrix huge: refuse, don't thrash */
        st = cr_fail(err, CVXRELU_ERR_NOMEM,
                     "%s: %zu rows x %zu features (the largest index) need %.3g GiB stored "
                     "densely, more than the %.3g GiB allowed",
                     path, ds->n, ds->d, (double)ds->n * (double)ds->d * 8.0 / 1073741824.0,
                     limit / 1073741824.0);
        goto fail;
    }
    if (!(ds->X = cr_calloc(cells, sizeof *ds->X))) {
        st = nomem(err, path);
        goto fail;
    }
    for (size_t k = 0; k < nent; k++) ds->X[ent[k].row * ds->d + ent[k].col] = ent[k].v;
    free(ent);
    *out = ds;
    return CVXRELU_OK;
fail:
    free(ent);
    ds->n += (size_t)labelled;
    cvxrelu_dataset_free(ds);
    if (st == FMT && looks_like_csv(buf, len)) csv_hint(err, o);
    return st;
}

/* ------------------------------------------------------------ IDX */

/* Check an IDX file of unsigned bytes: dims[0..*nd-1] and the data start. */
static cvxrelu_status idx_parse(const char *path, const unsigned char *b, size_t len,
                                size_t *nd, size_t dims[256], const unsigned char **data,
                                size_t *count, cvxrelu_error *err)
{
    if (len < 4)
        return cr_fail(err, FMT, "%s: expected a 4-byte IDX magic number, got %zu bytes",
                       path, len);
    unsigned long magic = ((unsigned long)b[0] << 24) | ((unsigned long)b[1] << 16) |
                          ((unsigned long)b[2] << 8) | b[3];
    if (b[0] || b[1] || b[2] != 0x08 || b[3] == 0)
        return cr_fail(err, FMT, "%s: bad magic number: expected 0x000008NN (IDX, unsigned "
                       "bytes), got 0x%08lx", path, magic);
    *nd = b[3];
    size_t hdr = 4 + 4 * *nd, total = 1;
    if (len < hdr)
        return cr_fail(err, FMT, "%s: truncated: expected a %zu-byte header, got %zu bytes",
                       path, hdr, len);
    for (size_t k = 0; k < *nd; k++) {
        const unsigned char *q = b + 4 + 4 * k;
        dims[k] = ((size_t)q[0] << 24) | ((size_t)q[1] << 16) | ((size_t)q[2] << 8) | q[3];
        if (cr_mul_ok(total, dims[k], &total))
            return cr_fail(err, FMT, "%s: dimensions too large", path);
    }
    if (len - hdr != total)
        return cr_fail(err, FMT, "%s: %s: expected %zu data bytes after the header, got %zu",
                       path, len - hdr < total ? "truncated" : "trailing data", total,
                       len - hdr);
    *data = b + hdr;
    *count = total;
    return CVXRELU_OK;
}

/* Labels path: the given one, or images-idx3 -> labels-idx1 (toggling .gz if needed). */
static cvxrelu_status idx_labels_read(const char *images, const cvxrelu_read_opts *o,
                                      char **lpath, char **buf, size_t *len,
                                      cvxrelu_error *err)
{
    *lpath = NULL;
    if (o->idx_labels) {
        if (!(*lpath = cr_strdup(o->idx_labels))) return nomem(err, images);
        return slurp(*lpath, buf, len, 0, err);
    }
    const char *hit = strstr(images, "images-idx3");
    if (!hit)
        return cr_fail(err, CVXRELU_ERR_INVALID, "%s: cannot derive the labels file name "
                       "(expected \"images-idx3\" in the name); give idx_labels", images);
    size_t n = strlen(images), pre = (size_t)(hit - images);
    char *p = malloc(n + 4);
    if (!p) return nomem(err, images);
    memcpy(p, images, n + 1);
    memcpy(p + pre, "labels-idx1", 11);
    *lpath = p;
    cvxrelu_status st = slurp(p, buf, len, 0, err);
    if (st != CVXRELU_ERR_IO) return st;
    /* try the other compression: add or drop ".gz" */
    if (n > 3 && strcmp(p + n - 3, ".gz") == 0) p[n - 3] = '\0';
    else memcpy(p + n, ".gz", 4);
    cvxrelu_error e2;
    return slurp(p, buf, len, 0, &e2) == CVXRELU_OK ? CVXRELU_OK : st;
}

static cvxrelu_status read_idx(const char *path, char *buf, size_t len,
                               const cvxrelu_read_opts *o, cvxrelu_dataset **out,
                               cvxrelu_error *err)
{
    size_t nd, dims[256], count;
    const unsigned char *img;
    cvxrelu_status st = idx_parse(path, (const unsigned char *)buf, len, &nd, dims, &img,
                                  &count, err);
    if (st != CVXRELU_OK) return st;
    if (count == 0)
        return cr_fail(err, FMT, "%s: expected at least one image of at least one byte, got "
                       "none", path);
    cvxrelu_dataset *ds = ds_new(path, count / dims[0], o->has_labels);
    char *lpath = NULL, *lbuf = NULL;
    if (!ds) return nomem(err, path);
    if (!(ds->X = cr_malloc(count, sizeof *ds->X))) { st = nomem(err, path); goto fail; }
    for (size_t k = 0; k < count; k++) ds->X[k] = img[k];
    if (o->has_labels) {
        size_t llen, lnd, ldims[256], lcount;
        const unsigned char *lab;
        cvxrelu_error lerr;
        st = idx_labels_read(path, o, &lpath, &lbuf, &llen, &lerr);
        if (st != CVXRELU_OK) {
            cr_fail(err, st, "%s: labels: %s", path, lerr.msg);
            goto fail;
        }
        st = idx_parse(lpath, (const unsigned char *)lbuf, llen, &lnd, ldims, &lab, &lcount,
                       err);
        if (st != CVXRELU_OK) goto fail;
        if (lnd != 1) {
            st = cr_fail(err, FMT, "%s: expected a 1-dimensional labels file (idx1), got %zu "
                         "dimensions", lpath, lnd);
            goto fail;
        }
        if (lcount != dims[0]) {
            st = cr_fail(err, FMT, "%s: expected %zu labels (one per image of %s), got %zu",
                         lpath, dims[0], path, lcount);
            goto fail;
        }
        ds->label_text = cr_calloc(lcount, sizeof *ds->label_text);
        ds->label_value = cr_malloc(lcount, sizeof *ds->label_value);
        if (!ds->label_text || !ds->label_value) { st = nomem(err, path); goto fail; }
        for (; ds->n < lcount; ds->n++) {
            char t[4];
            snprintf(t, sizeof t, "%u", (unsigned)lab[ds->n]);
            if (!(ds->label_text[ds->n] = cr_strdup(t))) { st = nomem(err, path); goto fail; }
            ds->label_value[ds->n] = lab[ds->n];
        }
    }
    ds->n = dims[0];
    free(lbuf);
    free(lpath);
    *out = ds;
    return CVXRELU_OK;
fail:
    free(lbuf);
    free(lpath);
    cvxrelu_dataset_free(ds);
    return st;
}

/* ------------------------------------------------------------ dispatch */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (m > n) return 0;
    for (size_t k = 0; k < m; k++)
        if (tolower((unsigned char)s[n - m + k]) != suffix[k]) return 0;
    return 1;
}

/* Format from the name: extension first, then idx markers; CSV otherwise. */
static cvxrelu_format guess_format(const char *path)
{
    char name[4096];
    size_t n = strlen(path);
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, path, n);
    name[n] = '\0';
    if (ends_with(name, ".gz")) name[n - 3] = '\0';
    static const char *const svm[] = {".svm", ".libsvm", ".svmlight", ".txt"};
    for (size_t k = 0; k < sizeof svm / sizeof *svm; k++)
        if (ends_with(name, svm[k])) return CVXRELU_FORMAT_LIBSVM;
    if (ends_with(name, ".csv")) return CVXRELU_FORMAT_CSV;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    if (strstr(base, "idx") || strstr(base, "-ubyte")) return CVXRELU_FORMAT_IDX;
    return CVXRELU_FORMAT_CSV;
}

cvxrelu_status cvxrelu_dataset_read(const char *path, const cvxrelu_read_opts *opts,
                                    cvxrelu_dataset **out, cvxrelu_error *err)
{
    if (!out) return cr_fail(err, CVXRELU_ERR_INVALID, "dataset_read: out is NULL");
    *out = NULL;
    if (!path) return cr_fail(err, CVXRELU_ERR_INVALID, "dataset_read: path is NULL");
    cvxrelu_read_opts def;
    if (!opts) {
        cvxrelu_read_opts_default(&def);
        opts = &def;
    }
    cvxrelu_format fmt = opts->format == CVXRELU_FORMAT_AUTO ? guess_format(path)
                                                               : opts->format;
    char *buf;
    size_t len;
    const size_t max_line = opts->max_line_bytes ? opts->max_line_bytes : MAX_LINE_DEFAULT;
    cvxrelu_status st = slurp(path, &buf, &len, fmt != CVXRELU_FORMAT_IDX ? max_line : 0, err);
    if (st != CVXRELU_OK) return st;
    switch (fmt) {
    case CVXRELU_FORMAT_LIBSVM: st = read_libsvm(path, buf, len, opts, out, err); break;
    case CVXRELU_FORMAT_IDX: st = read_idx(path, buf, len, opts, out, err); break;
    case CVXRELU_FORMAT_CSV:
    case CVXRELU_FORMAT_AUTO: st = read_csv(path, buf, len, opts, out, err); break;
    default: st = cr_fail(err, CVXRELU_ERR_INVALID, "%s: unknown format %d", path, (int)fmt);
    }
    free(buf);
    return st;
}

/* ------------------------------------------------------------ in memory */

/* Shortest "%.*g" text that reads back as v. */
static char *number_text(double v)
{
    char t[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v) break;
    }
    return cr_strdup(t);
}

cvxrelu_status cvxrelu_dataset_from_arrays(size_t n, size_t d, const double *X,
                                           const double *labels,
                                           cvxrelu_dataset **out, cvxrelu_error *err)
{
    if (!out) return cr_fail(err, CVXRELU_ERR_INVALID, "dataset_from_arrays: out is NULL");
    *out = NULL;
    if (d == 0 || (n > 0 && !X))
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "dataset_from_arrays: expected d >= 1 and X != NULL");
    size_t cells;
    cvxrelu_dataset *ds = ds_new("(memory)", d, labels != NULL);
    if (!ds || cr_mul_ok(n, d, &cells) || !(ds->X = cr_malloc(cells, sizeof *ds->X)))
        goto fail;
    if (cells) memcpy(ds->X, X, cells * sizeof *ds->X);
    if (labels) {
        ds->label_text = cr_calloc(n, sizeof *ds->label_text);
        ds->label_value = cr_malloc(n, sizeof *ds->label_value);
        if (!ds->label_text || !ds->label_value) goto fail;
        for (; ds->n < n; ds->n++) {
            ds->label_value[ds->n] = labels[ds->n];
            if (!(ds->label_text[ds->n] = number_text(labels[ds->n]))) goto fail;
        }
    }
    ds->n = n;
    *out = ds;
    return CVXRELU_OK;
fail:
    cvxrelu_dataset_free(ds);
    return nomem(err, "dataset_from_arrays");
}

cvxrelu_status cvxrelu_dataset_subset(const cvxrelu_dataset *src, const size_t *idx,
                                      size_t m, cvxrelu_dataset **out, cvxrelu_error *err)
{
    if (!out) return cr_fail(err, CVXRELU_ERR_INVALID, "dataset_subset: out is NULL");
    *out = NULL;
    if (!src || (m > 0 && !idx))
        return cr_fail(err, CVXRELU_ERR_INVALID, "dataset_subset: NULL argument");
    for (size_t k = 0; k < m; k++)
        if (idx[k] >= src->n)
            return cr_fail(err, CVXRELU_ERR_INVALID, "%s: row index %zu out of range "
                           "(n = %zu)", src->source, idx[k], src->n);
    size_t cells;
    cvxrelu_dataset *ds = ds_new(src->source ? src->source : "(memory)", src->d,
                                 src->has_labels);
    if (!ds || cr_mul_ok(m, src->d, &cells) || !(ds->X = cr_malloc(cells, sizeof *ds->X)))
        goto fail;
    for (size_t k = 0; k < m; k++)
        memcpy(ds->X + k * src->d, src->X + idx[k] * src->d, src->d * sizeof *ds->X);
    ds->label_col = src->label_col;
    ds->header_auto = src->header_auto;
    if (src->row_line) {
        if (!(ds->row_line = cr_malloc(m ? m : 1, sizeof *ds->row_line))) goto fail;
        for (size_t k = 0; k < m; k++) ds->row_line[k] = src->row_line[idx[k]];
    }
    if (src->feature_names) {
        if (!(ds->feature_names = cr_calloc(src->d, sizeof *ds->feature_names))) goto fail;
        for (size_t j = 0; j < src->d; j++)
            if (!(ds->feature_names[j] = cr_strdup(src->feature_names[j]))) goto fail;
    }
    if (src->has_labels) {
        ds->label_text = cr_calloc(m, sizeof *ds->label_text);
        ds->label_value = cr_malloc(m, sizeof *ds->label_value);
        if (!ds->label_text || !ds->label_value) goto fail;
        for (; ds->n < m; ds->n++) {
            ds->label_value[ds->n] = src->label_value[idx[ds->n]];
            if (!(ds->label_text[ds->n] = cr_strdup(src->label_text[idx[ds->n]]))) goto fail;
        }
    }
    ds->n = m;
    *out = ds;
    return CVXRELU_OK;
fail:
    cvxrelu_dataset_free(ds);
    return nomem(err, src->source ? src->source : "dataset_subset");
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

cvxrelu_status cvxrelu_dataset_split(const cvxrelu_dataset *src, double test_frac,
                                     uint64_t seed, cvxrelu_dataset **train,
                                     cvxrelu_dataset **test, cvxrelu_error *err)
{
    if (!train || !test)
        return cr_fail(err, CVXRELU_ERR_INVALID, "dataset_split: NULL output");
    *train = *test = NULL;
    if (!src) return cr_fail(err, CVXRELU_ERR_INVALID, "dataset_split: NULL data set");
    if (!(test_frac >= 0.0 && test_frac <= 1.0))
        return cr_fail(err, CVXRELU_ERR_INVALID, "expected a test fraction in [0, 1], got %g",
                       test_frac);
    size_t n = src->n, nt = (size_t)llround(test_frac * (double)n);
    if (test_frac > 0.0 && test_frac < 1.0) {
        if (n < 2)
            return cr_fail(err, CVXRELU_ERR_INVALID, "%s: expected at least 2 rows to split, "
                           "got %zu", src->source, n);
        if (nt < 1) nt = 1;
        if (nt > n - 1) nt = n - 1;
    }
    size_t *perm = cr_malloc(n, sizeof *perm);
    if (!perm) return nomem(err, src->source);
    for (size_t k = 0; k < n; k++) perm[k] = k;
    cr_rng rng;
    cr_rng_seed(&rng, seed);
    for (size_t k = n; k > 1; k--) {
        size_t j = cr_rng_below(&rng, k), t = perm[k - 1];
        perm[k - 1] = perm[j];
        perm[j] = t;
    }
    /* keep the file order inside each part */
    qsort(perm, nt, sizeof *perm, cmp_size);
    qsort(perm + nt, n - nt, sizeof *perm, cmp_size);
    cvxrelu_status st = cvxrelu_dataset_subset(src, perm, nt, test, err);
    if (st == CVXRELU_OK) st = cvxrelu_dataset_subset(src, perm + nt, n - nt, train, err);
    if (st != CVXRELU_OK) {
        cvxrelu_dataset_free(*test);
        *test = NULL;
    }
    free(perm);
    return st;
}

/* ------------------------------------------------------------ gates and weights */

/*
 * Rows of exactly `width` finite numbers in CSV syntax, with an optional
 * header row (any non-number in the first row).  Field k (0-based) is named
 * names[k] in messages when k < nnames, else `rest`; `rowdesc` says what a row
 * holds.  R (m x width) and the line of each row are allocated.
 */
static cvxrelu_status numeric_rows_read(const char *path, size_t width, const char *rowdesc,
                                        const char *const *names, size_t nnames,
                                        const char *rest, const char *rowname, double **R_out,
                                        size_t **lines_out, size_t *m_out, cvxrelu_error *err)
{
    *R_out = NULL;
    *lines_out = NULL;
    *m_out = 0;
    char *buf;
    size_t len, line, m = 0, cap = 0;
    cvxrelu_status st = slurp(path, &buf, &len, MAX_LINE_DEFAULT, err);
    if (st != CVXRELU_OK) return st;
    csv_reader r;
    csv_init(&r, path, buf, len);
    double *R = NULL;
    size_t *lines = NULL;
    int rc, first = 1;
    while ((rc = csv_next(&r, &line, &st, err)) > 0) {
        if (r.nfields != width) {
            st = cr_fail(err, FMT, "%s:%zu: expected %zu values (%s), got %zu", path, line, width,
                         rowdesc, r.nfields);
            goto fail;
        }
        if (first) { /* an optional header: any non-number */
            first = 0;
            size_t j = 0;
            while (j < width && is_number(r.fields[j])) j++;
            if (j < width) continue;
        }
        if (m == cap) {
            size_t nc = cap ? 2 * cap : 16, cells;
            double *nr = cr_mul_ok(nc, width, &cells) ? NULL : cr_realloc(R, cells, sizeof *R);
            if (nr) R = nr;
            size_t *nl = nr ? cr_realloc(lines, nc, sizeof *lines) : NULL;
            if (!nl) { st = nomem(err, path); goto fail; }
            lines = nl;
            cap = nc;
        }
        for (size_t j = 0; j < width; j++) {
            st = parse_finite(r.fields[j], path, line, j < nnames ? names[j] : rest, j + 1,
                              R + m * width + j, err);
            if (st != CVXRELU_OK) goto fail;
        }
        lines[m++] = line;
    }
    if (rc < 0) goto fail;
    if (m == 0) {
        st = cr_fail(err, FMT, "%s: expected at least one %s row, got none", path, rowname);
        goto fail;
    }
    free(r.fields);
    free(buf);
    *R_out = R;
    *lines_out = lines;
    *m_out = m;
    return CVXRELU_OK;
fail:
    free(r.fields);
    free(buf);
    free(R);
    free(lines);
    return st;
}

cvxrelu_status cvxrelu_gates_read(const char *path, size_t d, double **G_out,
                                  size_t *m_out, cvxrelu_error *err)
{
    if (!G_out || !m_out || !path)
        return cr_fail(err, CVXRELU_ERR_INVALID, "gates_read: NULL argument");
    *G_out = NULL;
    *m_out = 0;
    if (d == 0) return cr_fail(err, CVXRELU_ERR_INVALID, "gates_read: expected d >= 1");
    char desc[64];
    snprintf(desc, sizeof desc, "one gate of dimension %zu", d);
    size_t *lines = NULL;
    cvxrelu_status st =
        numeric_rows_read(path, d, desc, NULL, 0, "value", "gate", G_out, &lines, m_out, err);
    free(lines);
    return st;
}

cvxrelu_status cvxrelu_weights_read(const char *path, size_t d, size_t c, double **W_out,
                                    double **a_out, size_t **out_out, size_t *m_out,
                                    cvxrelu_error *err)
{
    if (!W_out || !a_out || !out_out || !m_out || !path)
        return cr_fail(err, CVXRELU_ERR_INVALID, "weights_read: NULL argument");
    *W_out = NULL;
    *a_out = NULL;
    *out_out = NULL;
    *m_out = 0;
    if (d == 0 || c == 0)
        return cr_fail(err, CVXRELU_ERR_INVALID, "weights_read: expected d >= 1 and c >= 1");
    const size_t lead = c == 1 ? 1 : 2, width = d + lead;
    static const char *const names1[] = {"output weight"};
    static const char *const names2[] = {"output index", "output weight"};
    char desc[96];
    snprintf(desc, sizeof desc, "%s%zu input weights",
             c == 1 ? "output weight, " : "output index, output weight, ", d);
    double *R = NULL;
    size_t *lines = NULL, m = 0;
    cvxrelu_status st = numeric_rows_read(path, width, desc, c == 1 ? names1 : names2, lead,
                                          "weight", "neuron", &R, &lines, &m, err);
    if (st != CVXRELU_OK) return st;
    double *W = cr_malloc(m, d * sizeof(double)), *a = cr_malloc(m, sizeof(double));
    size_t *out = cr_malloc(m, sizeof(size_t));
    if (!W || !a || !out) {
        st = nomem(err, path);
        goto fail;
    }
    for (size_t j = 0; j < m; j++) {
        const double *row = R + j * width;
        out[j] = 0;
        if (c > 1) {
            double k = row[0];
            if (!(k >= 0.0 && k < (double)c && k == floor(k))) {
                st = cr_fail(err, FMT, "%s:%zu: field 1: expected an output index 0..%zu, got %.17g",
                             path, lines[j], c - 1, k);
                goto fail;
            }
            out[j] = (size_t)k;
        }
        a[j] = row[lead - 1];
        memcpy(W + j * d, row + lead, d * sizeof(double));
    }
    free(R);
    free(lines);
    *W_out = W;
    *a_out = a;
    *out_out = out;
    *m_out = m;
    return CVXRELU_OK;
fail:
    free(R);
    free(lines);
    free(W);
    free(a);
    free(out);
    return st;
}

/* ------------------------------------------------------------ writing CSV */

/* A CSV field: quoted when it holds a comma, a quote, a line break or edge blanks. */
void cr_csv_put_field(FILE *f, const char *s)
{
    const size_t l = strlen(s);
    if (!strpbrk(s, ",\"\r\n") && !(l && (isspace((unsigned char)s[0]) ||
                                          isspace((unsigned char)s[l - 1])))) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static cvxrelu_status write_csv(FILE *f, void *user, cvxrelu_error *err)
{
    const cvxrelu_dataset *ds = user;
    (void)err;
    /* the label where it was read from (else last), the header when there was one */
    const size_t d = ds->d;
    const size_t lc = !ds->has_labels ? d + 1
                      : ds->label_col >= 0 && (size_t)ds->label_col <= d ? (size_t)ds->label_col
                                                                         : d;
    const size_t cols = d + (ds->has_labels ? 1 : 0);
    if (ds->feature_names) {
        for (size_t j = 0, k = 0; j < cols; j++) {
            if (j) fputc(',', f);
            cr_csv_put_field(f, j == lc ? "label" : ds->feature_names[k++]);
        }
        fputc('\n', f);
    }
    char b[40];
    for (size_t i = 0; i < ds->n; i++) {
        for (size_t j = 0, k = 0; j < cols; j++) {
            if (j) fputc(',', f);
            if (j == lc) {
                cr_csv_put_field(f, ds->label_text[i]);
            } else {
                /* the shortest of 15 and 17 digits that reads back the same double */
                const double v = ds->X[i * d + k++];
                snprintf(b, sizeof b, "%.15g", v);
                if (strtod(b, NULL) != v) snprintf(b, sizeof b, "%.17g", v);
                fputs(b, f);
            }
        }
        fputc('\n', f);
    }
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_dataset_write_csv(const cvxrelu_dataset *ds, const char *path,
                                         cvxrelu_error *err)
{
    if (!ds || !path) return cr_fail(err, CVXRELU_ERR_INVALID, "dataset_write_csv: NULL argument");
    return cvxrelu_write_atomic(path, write_csv, (void *)ds, err);
}
