/* Table-driven option parsing and help (cli/common.h, opt_def). */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

int parse_double_opt(const char *opt, const char *val, double *out)
{
    char *e;
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
    errno = 0;
    unsigned long long v = strtoull(val, &e, 10);
    if (e == val || *e || errno || val[0] == '-') {
        die_msg("%s: expected a non-negative integer, got \"%s\"", opt, val);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

/* What a numeric option expects, for its error message. */
static void expectation(const opt_def *r, char *buf, size_t len)
{
    const int integer = r->kind == OPT_SIZE || r->kind == OPT_U64 || r->kind == OPT_INT;
    const char *what = integer ? "an integer" : "a number";
    const int lo_open = (r->open & OPT_LO_OPEN) != 0, hi_open = (r->open & OPT_HI_OPEN) != 0;
    if (!isnan(r->lo) && !isnan(r->hi) && integer)
        snprintf(buf, len, "an integer from %g to %g", r->lo, r->hi);
    else if (!isnan(r->lo) && !isnan(r->hi))
        snprintf(buf, len, "a number in %c%g, %g%c", lo_open ? '(' : '[', r->lo, r->hi,
                 hi_open ? ')' : ']');
    else if (!isnan(r->lo) && r->lo == 0.0 && lo_open)
        snprintf(buf, len, "a positive %s", integer ? "integer" : "number");
    else if (!isnan(r->lo) && integer && r->lo == 1.0)
        snprintf(buf, len, "a positive integer");
    else if (!isnan(r->lo))
        snprintf(buf, len, "%s %s %g", what, lo_open ? ">" : ">=", r->lo);
    else
        snprintf(buf, len, "%s", what);
}

static int in_range(const opt_def *r, double x)
{
    if (!isnan(r->lo) && ((r->open & OPT_LO_OPEN) ? !(x > r->lo) : !(x >= r->lo))) return 0;
    if (!isnan(r->hi) && ((r->open & OPT_HI_OPEN) ? !(x < r->hi) : !(x <= r->hi))) return 0;
    return 1;
}

int opt_parse(const opt_def *tab, size_t n, void *opts, int argc, char **argv, int *i,
              const opt_def **row, unsigned char *seen)
{
    const char *a = argv[*i];
    const opt_def *r = NULL;
    for (size_t k = 0; k < n && !r; k++)
        if (strcmp(a, tab[k].name) == 0 || (tab[k].alias && strcmp(a, tab[k].alias) == 0))
            r = tab + k;
    if (row) *row = r;
    if (r && seen) seen[r - tab] = 1;
    if (!r || r->kind == OPT_SPECIAL) return 0;
    char *base = opts;
    void *field = base + r->off;
    const char *v = NULL;
    if (r->kind != OPT_FLAG) {
        if (*i + 1 >= argc) {
            die_msg("%s: expected a value (see --help)", a);
            return -1;
        }
        v = argv[++*i];
    }
    char exp[96];
    switch (r->kind) {
    case OPT_FLAG:
        *(int *)field = r->value;
        break;
    case OPT_STR:
        *(const char **)field = v;
        break;
    case OPT_SIZE:
    case OPT_U64: {
        uint64_t x;
        if (parse_u64_opt(a, v, &x)) return -1;
        if (r->kind == OPT_SIZE && x > (uint64_t)SIZE_MAX) {
            die_msg("%s: %s is too large", a, v);
            return -1;
        }
        if (!in_range(r, (double)x)) {
            expectation(r, exp, sizeof exp);
            die_msg("%s: expected %s, got \"%s\"", a, exp, v);
            return -1;
        }
        if (r->kind == OPT_SIZE)
            *(size_t *)field = (size_t)x;
        else
            *(uint64_t *)field = x;
        break;
    }
    case OPT_INT: {
        uint64_t x;
        if (parse_u64_opt(a, v, &x)) return -1;
        if (!in_range(r, (double)x)) {
            expectation(r, exp, sizeof exp);
            die_msg("%s: expected %s, got \"%s\"", a, exp, v);
            return -1;
        }
        *(int *)field = (int)x;
        break;
    }
    case OPT_DOUBLE: {
        double x;
        if (parse_double_opt(a, v, &x)) return -1;
        if (!in_range(r, x)) {
            expectation(r, exp, sizeof exp);
            die_msg("%s: expected %s, got \"%s\"", a, exp, v);
            return -1;
        }
        *(double *)field = x;
        break;
    }
    case OPT_CHOICE: {
        int idx = 0;
        const char *c = r->choices;
        const size_t vl = strlen(v);
        for (;;) {
            const char *e = strchr(c, '|');
            const size_t cl = e ? (size_t)(e - c) : strlen(c);
            if (cl == vl && strncmp(c, v, vl) == 0) break;
            if (!e) {
                idx = -1;
                break;
            }
            c = e + 1;
            idx++;
        }
        if (idx < 0) {
            char list[160];
            snprintf(list, sizeof list, "%s", r->choices);
            for (char *p = list; *p; p++)
                if (*p == '|') *p = ',';
            die_msg("%s: expected one of %s, got \"%s\"", a, list, v);
            return -1;
        }
        *(int *)field = r->value + idx;
        break;
    }
    case OPT_SPECIAL:
        return 0;
    }
    if (r->given != OPT_NONE) *(int *)(base + r->given) = 1;
    return 1;
}

/* The help text of a row with "{}" replaced by the field's value in defaults. */
static const char *help_text(const opt_def *r, const void *defaults, char *buf, size_t len)
{
    const char *at = defaults ? strstr(r->help, "{}") : NULL;
    if (!at) return r->help;
    const char *field = (const char *)defaults + r->off;
    char v[48];
    switch (r->kind) {
    case OPT_SIZE: snprintf(v, sizeof v, "%zu", *(const size_t *)field); break;
    case OPT_U64: snprintf(v, sizeof v, "%llu", (unsigned long long)*(const uint64_t *)field); break;
    case OPT_DOUBLE: snprintf(v, sizeof v, "%g", *(const double *)field); break;
    default: snprintf(v, sizeof v, "?"); break;
    }
    snprintf(buf, len, "%.*s%s%s", (int)(at - r->help), r->help, v, at + 2);
    return buf;
}

void opt_help(const opt_def *tab, size_t n, const void *defaults)
{
    const int col = 19, width = 79;
    for (size_t k = 0; k < n; k++) {
        const opt_def *r = tab + k;
        char text[1024];
        char head[96];
        snprintf(head, sizeof head, "  %s%s%s%s%s", r->alias ? r->alias : "", r->alias ? ", " : "",
                 r->name, r->metavar ? " " : "", r->metavar ? r->metavar : "");
        int pos = (int)strlen(head);
        fputs(head, stdout);
        if (pos < col - 1) {
            printf("%*s", col - pos, "");
        } else {
            putchar(' ');
            pos++;
        }
        pos = pos < col ? col : pos;
        /* the help text, word by word, wrapped at width */
        const char *w = help_text(r, defaults, text, sizeof text);
        int first = 1;
        while (*w) {
            while (*w == ' ') w++;
            const char *e = w;
            while (*e && *e != ' ') e++;
            const int len = (int)(e - w);
            if (len == 0) break;
            if (!first && pos + 1 + len > width) {
                printf("\n%*s", col, "");
                pos = col;
            } else if (!first) {
                putchar(' ');
                pos++;
            }
            first = 0;
            fwrite(w, 1, (size_t)len, stdout);
            pos += len;
            w = e;
        }
        putchar('\n');
    }
}

int opt_check_modes(const opt_def *tab, size_t n, const unsigned char *seen, unsigned mode,
                    const char *const *names, const char *hint)
{
    int bit = 0;
    while (bit < 31 && !(mode & (1u << bit))) bit++;
    for (size_t k = 0; k < n; k++) {
        if (!seen[k] || tab[k].modes == 0 || (tab[k].modes & mode)) continue;
        char with[256] = "";
        size_t len = 0;
        for (int b = 0; b < 31 && len < sizeof with; b++)
            if (tab[k].modes & (1u << b))
                len += (size_t)snprintf(with + len, sizeof with - len, "%s%s", len ? " or " : "",
                                        names[b]);
        die_msg("%s does not apply to %s: it goes with %s%s%s", tab[k].name, names[bit], with,
                hint ? "; " : "", hint ? hint : "");
        return -1;
    }
    return 0;
}

int opt_check_exclusive(const opt_def *tab, size_t n, const unsigned char *seen,
                        const opt_exclusive *groups, size_t ngroups)
{
    for (size_t g = 0; g < ngroups; g++) {
        int given = 0;
        for (size_t k = 0; k < 4 && groups[g].names[k]; k++)
            for (size_t r = 0; r < n; r++)
                if (seen[r] && strcmp(tab[r].name, groups[g].names[k]) == 0) given++;
        if (given > 1) {
            die_msg("%s", groups[g].message);
            return -1;
        }
    }
    return 0;
}

int opt_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

const char *opt_value(int argc, char **argv, int *i)
{
    if (*i + 1 < argc) return argv[++*i];
    die_msg("%s: expected a value (see --help)", argv[*i]);
    return NULL;
}

#define D(x) offsetof(cvxrelu_read_opts, x)
/* The data options of train, predict, eval and certify. */
static const opt_def data_table[] = {
    {"--format", 0, NULL, "F", OPT_CHOICE, D(format), OPT_NONE, NAN, NAN, 0,
     "auto|csv|libsvm|idx", CVXRELU_FORMAT_AUTO, "csv | libsvm | idx | auto (default: auto, by "
     "file name)"},
    {"--label-col", 0, NULL, "K", OPT_INT, D(label_col), OPT_NONE, 0, 1000000, 0, NULL, 0,
     "CSV label column, 0-based (default: the last column; for a saved model, the label "
     "column it was trained with)"},
    {"--header", 0, NULL, NULL, OPT_FLAG, D(header), OPT_NONE, NAN, NAN, 0, NULL, 1,
     "CSV: the first row is a header (default: auto-detected)"},
    {"--no-header", 0, NULL, NULL, OPT_FLAG, D(header), OPT_NONE, NAN, NAN, 0, NULL, 0,
     "CSV: the first row is data"},
    {"--threads", 0, NULL, "N", OPT_SPECIAL, 0, OPT_NONE, NAN, NAN, 0, NULL, 0,
     "BLAS threads, for every command (default: OPENBLAS_NUM_THREADS or OMP_NUM_THREADS "
     "when set; otherwise one thread for small products and every core for large ones)"},
};
#undef D

void data_help(void)
{
    printf("\nData options:\n");
    opt_help(data_table, sizeof data_table / sizeof data_table[0], NULL);
}

int opt_parse_args(const char *cmd, const opt_def *tab, size_t n, void *opts,
                   cvxrelu_read_opts *data, opt_special_fn special, const char **pos,
                   size_t npos, unsigned char *seen, int argc, char **argv)
{
    size_t got_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const opt_def *row = NULL;
        int got = data ? opt_parse(data_table, sizeof data_table / sizeof data_table[0], data,
                                   argc, argv, &i, NULL, NULL)
                       : 0;
        if (got == 0) got = opt_parse(tab, n, opts, argc, argv, &i, &row, seen);
        if (got < 0) return -1;
        if (got > 0) continue;
        if (row) { /* an OPT_SPECIAL row: the command parses it */
            if (special(opts, row, argc, argv, &i)) return -1;
        } else if (a[0] == '-' && a[1] != '\0') {
            die_msg("unknown option \"%s\" (see cvxrelu %s --help)", a, cmd);
            return -1;
        } else if (got_pos < npos) {
            pos[got_pos++] = a;
        } else {
            die_msg("unexpected argument \"%s\"", a);
            return -1;
        }
    }
    return 0;
}
