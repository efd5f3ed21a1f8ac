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
        uint64_t k;
        if (!v) {
            die_msg("--threads: expected a value");
            return -1;
        }
        if (parse_u64_opt("--threads", v, &k)) return -1;
        if (k < 1 || k > 1024) {
            die_msg("--threads: expected a count from 1 to 1024, got %llu", (unsigned long long)k);
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

int load_data(const char *path, const cvxrelu_read_opts *o, cvxrelu_dataset **out)
{
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_dataset_read(path, o, out, &err);
    if (st) return lib_error(st, &err);
    if (g_verbose && (*out)->header_auto)
        note("%s: the first row is read as %s (--header / --no-header decide otherwise)\n", path,
             (*out)->feature_names ? "a header: no feature field is a number"
                                   : "data: every feature field is a number");
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
