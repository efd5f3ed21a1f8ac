/* Messages, option parsing and data loading shared by the subcommands. */
#define _XOPEN_SOURCE 700
#include "common.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int g_quiet = 0;
int g_verbose = 0;

void die_msg(const char *fmt, ...)
{
    va_list ap;
    fputs("cvxrelu: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void note(const char *fmt, ...)
{
    if (g_quiet) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

int parse_double_opt(const char *opt, const char *val, double *out)
{
    char *e;
    if (!val) {
        die_msg("%s: expected a value", opt);
        return -1;
    }
    errno = 0;
    double v = strtod(val, &e);
    if (e == val || *e || errno || !isfinite(v)) {
        die_msg("%s: expected a finite number, got \"%s\"", opt, val);
        return -1;
    }
    *out = v;
    return 0;
}

int parse_u64_opt(const char *opt, const char *val, uint64_t *out)
{
    char *e;
    if (!val) {
        die_msg("%s: expected a value", opt);
        return -1;
    }
    errno = 0;
    unsigned long long v = strtoull(val, &e, 10);
    if (e == val || *e || errno || val[0] == '-') {
        die_msg("%s: expected a non-negative integer, got \"%s\"", opt, val);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int parse_size_opt(const char *opt, const char *val, size_t *out)
{
    uint64_t v;
    if (parse_u64_opt(opt, val, &v)) return -1;
    if (v > (uint64_t)SIZE_MAX) {
        die_msg("%s: %s is too large", opt, val);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

void data_opts_default(data_opts *o)
{
    cvxrelu_read_opts_default(&o->read);
    o->format_name = "auto";
}

const char *data_opts_help(void)
{
    return "Data options:\n"
           "  --format F       csv | libsvm | idx | auto (default: auto, by file name)\n"
           "  --label-col K    CSV label column, 0-based (default: the last column; for a\n"
           "                   saved model, the label column it was trained with)\n"
           "  --header / --no-header   CSV header row (default: auto-detected)\n"
           "  --threads N      BLAS threads, for every command (default: OPENBLAS_NUM_THREADS\n"
           "                   or OMP_NUM_THREADS when set; otherwise one thread for small\n"
           "                   products and every core for large ones)\n";
}

/* ---------------------------------------------------------------- threads */

int g_threads = 0;

int threads_init(int *argc, char **argv)
{
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i], *v = NULL;
        int used = 1;
        if (strcmp(a, "--threads") == 0) {
            v = i + 1 < *argc ? argv[i + 1] : NULL;
            used = 2;
        } else if (strncmp(a, "--threads=", 10) == 0) {
            v = a + 10;
        } else {
            argv[out++] = argv[i];
            continue;
        }
        size_t k;
        if (parse_size_opt("--threads", v, &k)) return -1;
        if (k < 1 || k > 1024) {
            die_msg("--threads: expected a count from 1 to 1024, got %zu", k);
            return -1;
        }
        g_threads = (int)k;
        i += used - 1;
    }
    *argc = out;
    argv[out] = NULL;
    if (g_threads == 0) {
        /* OpenBLAS reads these itself when it loads; train must not override them */
        const char *names[] = {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"};
        for (size_t j = 0; j < 2 && g_threads == 0; j++) {
            const char *e = getenv(names[j]);
            char *end;
            long k = e ? strtol(e, &end, 10) : 0;
            if (e && *e && *end == '\0' && k >= 1 && k <= 1024) g_threads = (int)k;
        }
    }
    if (g_threads > 0) cvxrelu_blas_set_threads(g_threads);
    return 0;
}

void cli_set_threads(int want)
{
    cvxrelu_blas_set_threads(g_threads > 0 ? g_threads : want);
}

int data_opts_parse(data_opts *o, int argc, char **argv, int i)
{
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--format") == 0) {
        if (!v) {
            die_msg("--format: expected csv, libsvm, idx or auto");
            return -1;
        }
        if (strcmp(v, "csv") == 0) o->read.format = CVXRELU_FORMAT_CSV;
        else if (strcmp(v, "libsvm") == 0) o->read.format = CVXRELU_FORMAT_LIBSVM;
        else if (strcmp(v, "idx") == 0) o->read.format = CVXRELU_FORMAT_IDX;
        else if (strcmp(v, "auto") == 0) o->read.format = CVXRELU_FORMAT_AUTO;
        else {
            die_msg("--format: expected csv, libsvm, idx or auto, got \"%s\"", v);
            return -1;
        }
        o->format_name = v;
        return 2;
    }
    if (strcmp(a, "--label-col") == 0) {
        size_t k;
        if (parse_size_opt(a, v, &k)) return -1;
        if (k > 1000000) {
            die_msg("--label-col: %zu is too large", k);
            return -1;
        }
        o->read.label_col = (int)k;
        return 2;
    }
    if (strcmp(a, "--header") == 0) {
        o->read.header = 1;
        return 1;
    }
    if (strcmp(a, "--no-header") == 0) {
        o->read.header = 0;
        return 1;
    }
    return 0;
}

int load_data(const char *path, const data_opts *o, cvxrelu_dataset **out)
{
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_dataset_read(path, &o->read, out, &err);
    if (st) return lib_error(st, &err);
    if (g_verbose && (*out)->header_auto)
        note("%s: the first row is read as %s (--header / --no-header decide otherwise)\n", path,
             (*out)->feature_names ? "a header: no feature field is a number"
                                   : "data: every feature field is a number");
    return EXIT_OK;
}

/* The first feature whose name differs from the model's, or -1.  Without names on either
   side nothing is compared. */
static long first_name_mismatch(const cvxrelu_encoding *enc, const cvxrelu_dataset *ds)
{
    if (!enc->feature_names || !ds->feature_names || ds->d != enc->d_raw) return -1;
    for (size_t j = 0; j < ds->d; j++)
        if (strcmp(enc->feature_names[j], ds->feature_names[j]) != 0) return (long)j;
    return -1;
}

/* The file column (0-based) of feature j when the label sits in column lab (-1: none). */
static size_t file_column(size_t j, int lab) { return lab >= 0 && j >= (size_t)lab ? j + 1 : j; }

static void name_mismatch_msg(const char *path, const cvxrelu_encoding *enc,
                              const cvxrelu_dataset *ds, size_t j)
{
    die_msg("%s: column %zu (counting from 0) is named \"%.80s\" where the model expects "
            "\"%.80s\": expected the %zu feature columns of training, in their order%s",
            path, file_column(j, ds->label_col), ds->feature_names[j],
            enc->feature_names[j], enc->d_raw,
            ds->label_col >= 0 ? "" : " (read without a label column)");
}

static int count_msg(const char *path, const cvxrelu_encoding *enc, size_t label_pos,
                     size_t got, int need_labels)
{
    die_msg("%s: expected %zu feature columns (+ the label column at position %zu%s), got "
            "%zu column%s%s", path, enc->d_raw, label_pos,
            enc->from_csv ? ", as in training" : "", got, got == 1 ? "" : "s",
            need_labels ? "" : " (or the feature columns alone, without labels)");
    return EXIT_DATA;
}

int load_data_for_model(const char *path, const data_opts *o, const cvxrelu_encoding *enc,
                        int need_labels, const char *cmd, cvxrelu_dataset **out)
{
    *out = NULL;
    cvxrelu_read_opts ro = o->read;
    const size_t K = enc->d_raw;
    if (ro.label_col < 0 && enc->from_csv) ro.label_col = (int)enc->label_col;
    const size_t L = ro.label_col >= 0 ? (size_t)ro.label_col : K; /* last of K + 1 */
    cvxrelu_error e1 = {{0}}, e2 = {{0}};
    cvxrelu_dataset *ds = NULL, *all = NULL;
    cvxrelu_status s1 = cvxrelu_dataset_read(path, &ro, &ds, &e1);
    if (s1 == CVXRELU_ERR_NOMEM) {
        die_msg("%s", e1.msg);
        return EXIT_SOLVER;
    }
    if (s1 == CVXRELU_OK && (ds->label_col < 0 || ds->d == K)) {
        long j = first_name_mismatch(enc, ds);
        if (j >= 0) {
            name_mismatch_msg(path, enc, ds, (size_t)j);
            cvxrelu_dataset_free(ds);
            return EXIT_DATA;
        }
        *out = ds; /* not a CSV file: the feature count is checked on encoding */
        return EXIT_OK;
    }
    if (s1 == CVXRELU_OK && ds->d + 1 != K) {
        size_t got = ds->d + 1;
        cvxrelu_dataset_free(ds);
        return count_msg(path, enc, L, got, need_labels);
    }
    /* could not be read with a label column there, or K columns: features only? */
    const size_t got1 = s1 == CVXRELU_OK ? ds->d + 1 : 0;
    cvxrelu_dataset_free(ds);
    cvxrelu_read_opts nolab = ro;
    nolab.has_labels = 0;
    cvxrelu_status s2 = cvxrelu_dataset_read(path, &nolab, &all, &e2);
    int rc = EXIT_DATA;
    if (s2 != CVXRELU_OK) {
        size_t got = got1;
        if (s1 != CVXRELU_OK && ro.label_col >= 0) {
            /* a label column out of range?  Count the columns with the label last */
            cvxrelu_read_opts last = ro;
            last.label_col = -1;
            if (cvxrelu_dataset_read(path, &last, &all, NULL) == CVXRELU_OK &&
                all->label_col >= 0 && (size_t)all->label_col < L)
                got = all->d + 1;
            cvxrelu_dataset_free(all);
        }
        if (got) count_msg(path, enc, L, got, need_labels);
        else die_msg("%s", e1.msg[0] ? e1.msg : cvxrelu_status_string(s1));
        if (s2 == CVXRELU_ERR_NOMEM && !got) rc = EXIT_SOLVER;
        return rc;
    }
    if (all->d != K) {
        count_msg(path, enc, L, all->d, need_labels);
    } else if (need_labels) {
        /* exactly the feature columns: unlabelled data, unless the names say otherwise */
        if (first_name_mismatch(enc, all) >= 0)
            count_msg(path, enc, L, all->d, need_labels);
        else
            die_msg("%s: %s needs a label column, but the file has %zu columns, exactly the "
                    "model's feature columns, so it looks unlabelled: give the labels in the "
                    "column at position %zu%s", path, cmd, all->d, L,
                    strcmp(cmd, "eval") == 0
                        ? ", or use `cvxrelu predict` for predictions without labels" : "");
    } else {
        long j = first_name_mismatch(enc, all);
        if (j < 0) {
            *out = all;
            return EXIT_OK;
        }
        name_mismatch_msg(path, enc, all, (size_t)j);
    }
    cvxrelu_dataset_free(all);
    return rc;
}

int check_predictions(const cvxrelu_dataset *ds, const double *Yhat, size_t c)
{
    for (size_t i = 0; i < ds->n; i++)
        for (size_t k = 0; k < c; k++) {
            if (isfinite(Yhat[i * c + k])) continue;
            char where[64] = "";
            if (ds->row_line) snprintf(where, sizeof where, ":%zu", ds->row_line[i]);
            die_msg("%s%s (row %zu): the model's output is not finite (%g): the features are "
                    "beyond what the network can evaluate in double precision", ds->source,
                    where, i + 1, Yhat[i * c + k]);
            return EXIT_SOLVER;
        }
    return EXIT_OK;
}

/* ------------------------------------------------------- output paths */

/* The folder part of a path ("." for a bare name); malloc'd. */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        char *d = malloc(2);
        if (d) strcpy(d, ".");
        return d;
    }
    size_t k = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(k + 1);
    if (d) {
        memcpy(d, path, k);
        d[k] = '\0';
    }
    return d;
}

static int check_writable(const io_path *o)
{
    struct stat sb;
    char *dir = NULL;
    int rc = EXIT_OK;
    if (stat(o->path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            die_msg("%s %s: cannot write: it is a directory", o->opt, o->path);
            return EXIT_DATA;
        }
        if (!S_ISREG(sb.st_mode)) { /* a device or FIFO: written in place */
            if (access(o->path, W_OK) != 0) {
                die_msg("%s %s: cannot write: %s", o->opt, o->path, strerror(errno));
                return EXIT_DATA;
            }
            return EXIT_OK;
        }
        char *rp = realpath(o->path, NULL); /* the file a link points to */
        dir = folder_of(rp ? rp : o->path);
        free(rp);
    } else if (errno == ENOENT) {
        dir = folder_of(o->path);
    } else {
        die_msg("%s %s: cannot write: %s", o->opt, o->path, strerror(errno));
        return EXIT_DATA;
    }
    if (!dir) {
        die_msg("out of memory");
        return EXIT_SOLVER;
    }
    /* the atomic writer creates a temporary in the folder and renames it */
    if (stat(dir, &sb) != 0) {
        die_msg("%s %s: cannot write: folder %s: %s", o->opt, o->path, dir, strerror(errno));
        rc = EXIT_DATA;
    } else if (!S_ISDIR(sb.st_mode)) {
        die_msg("%s %s: cannot write: %s is not a folder", o->opt, o->path, dir);
        rc = EXIT_DATA;
    } else if (access(dir, W_OK | X_OK) != 0) {
        die_msg("%s %s: cannot write in folder %s: %s", o->opt, o->path, dir, strerror(errno));
        rc = EXIT_DATA;
    }
    free(dir);
    return rc;
}

typedef struct {
    int exists, regular;
    dev_t dev;
    ino_t ino;
    char *norm; /* normalized path (where the file does not exist) */
} file_id;

static void file_id_of(const char *path, file_id *id)
{
    struct stat sb;
    memset(id, 0, sizeof *id);
    if (stat(path, &sb) == 0) {
        id->exists = 1;
        id->regular = S_ISREG(sb.st_mode);
        id->dev = sb.st_dev;
        id->ino = sb.st_ino;
        return;
    }
    /* not there (yet): the real path of its folder and its name */
    char *dir = folder_of(path), *rd = dir ? realpath(dir, NULL) : NULL;
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    if (rd) {
        id->norm = malloc(strlen(rd) + strlen(base) + 2);
        if (id->norm) sprintf(id->norm, "%s/%s", rd, base);
    }
    if (!id->norm) {
        id->norm = malloc(strlen(path) + 1);
        if (id->norm) strcpy(id->norm, path);
    }
    free(dir);
    free(rd);
}

static int same_file(const file_id *a, const file_id *b)
{
    if (a->exists != b->exists) return 0;
    if (a->exists) /* two devices or FIFOs (e.g. /dev/stdout twice) are no conflict */
        return (a->regular || b->regular) && a->dev == b->dev && a->ino == b->ino;
    return a->norm && b->norm && strcmp(a->norm, b->norm) == 0;
}

int check_io_paths(const io_path *outs, size_t nout, const io_path *ins, size_t nin)
{
    for (size_t k = 0; k < nout; k++) {
        if (!outs[k].path) continue;
        int rc = check_writable(&outs[k]);
        if (rc) return rc;
    }
    file_id ids[16];
    size_t n = 0;
    const io_path *who[16];
    int is_in[16];
    int rc = EXIT_OK;
    for (size_t k = 0; k < nout + nin && n < 16; k++) {
        const io_path *p = k < nout ? &outs[k] : &ins[k - nout];
        if (!p->path) continue;
        file_id_of(p->path, &ids[n]);
        who[n] = p;
        is_in[n] = k >= nout;
        /* each output against what came before it; inputs against the outputs */
        for (size_t j = 0; j < n && rc == EXIT_OK; j++) {
            if (is_in[j] && is_in[n]) continue; /* reading a file twice is fine */
            if (same_file(&ids[j], &ids[n])) {
                die_msg("%s %s and %s %s name the same file: refused before any work (an "
                        "output never replaces an input or another output)",
                        who[j]->opt, who[j]->path, p->opt, p->path);
                rc = EXIT_USAGE;
            }
        }
        n++;
        if (rc) break;
    }
    for (size_t j = 0; j < n; j++) free(ids[j].norm);
    return rc;
}

int exit_code(cvxrelu_status st)
{
    switch (st) {
    case CVXRELU_OK: return EXIT_OK;
    case CVXRELU_ERR_NOMEM:
    case CVXRELU_ERR_NUMERIC: return EXIT_SOLVER;
    case CVXRELU_ERR_INVALID:
    case CVXRELU_ERR_IO:
    case CVXRELU_ERR_FORMAT:
    case CVXRELU_ERR_UNSUPPORTED: break;
    }
    return EXIT_DATA;
}

int lib_error(cvxrelu_status st, const cvxrelu_error *err)
{
    die_msg("%s", err->msg[0] ? err->msg : cvxrelu_status_string(st));
    return exit_code(st);
}

int json_write(cvxrelu_json *j, const char *path)
{
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_json_write(j, path, &err);
    cvxrelu_json_free(j);
    return st ? lib_error(st, &err) : EXIT_OK;
}
