/* Shared pieces of the command-line front end (uses only the public header). */
#ifndef CVXRELU_CLI_COMMON_H
#define CVXRELU_CLI_COMMON_H

#include "cvxrelu.h"

#include <stddef.h>
#include <signal.h>
#include <stdio.h>

/* Exit codes, documented in --help and docs/cli.md. */
enum {
    EXIT_OK = 0,
    EXIT_USAGE = 1,   /* bad command line */
    EXIT_DATA = 2,    /* unreadable or malformed file, data that does not fit the model */
    EXIT_SOLVER = 3,  /* numerical failure or out of memory while training */
    EXIT_INTERRUPTED = 130
};

extern int g_quiet;   /* -q */
extern int g_verbose; /* -v */

/* SIGINT and SIGTERM (cli/signals.c): from cli_stop_begin to cli_stop_end the first
   sets g_interrupt (the library's stop request: settings.interrupt = &g_interrupt),
   a second ends the process at once with 130. */
extern volatile sig_atomic_t g_interrupt;
void cli_stop_begin(void);
void cli_stop_end(void);
/* A phase whose steps cannot stop inside (kind 1: DSDP; 2: ADMM and the read-out on a
   PSD block of CLI_DENSE_Q rows or more, a dense eigendecomposition per step): until
   opaque_end (of that kind, or 0: any), a stop request not acted on within 1.5 s, or the time limit passed by
   1.5 s (time_left_s > 0), ends the process (130, or 3) with a message saying that
   nothing was written. */
#define CLI_DENSE_Q 600
void opaque_begin(int kind, size_t q, double time_left_s);
void opaque_end(int kind);

/* Messages to stderr, prefixed "cvxrelu: ". */
void die_msg(const char *fmt, ...);
void note(const char *fmt, ...);

/* Numbers of option values: 0 on success, a usage message printed otherwise. */
int parse_double_opt(const char *opt, const char *val, double *out);
int parse_u64_opt(const char *opt, const char *val, uint64_t *out);

/*
 * An option table: one row per command-line option drives its parsing, its range
 * check and its --help entry (cli/options.c).  Rows of kind OPT_SPECIAL are parsed
 * by the command itself (they only supply the help).
 */
typedef enum {
    OPT_FLAG,    /* no value: int field = value */
    OPT_STR,     /* const char * field */
    OPT_SIZE,    /* size_t field, range [lo, hi] */
    OPT_U64,     /* uint64_t field */
    OPT_INT,     /* int field, range [lo, hi] */
    OPT_DOUBLE,  /* double field, range lo..hi (lo_open: > lo) */
    OPT_CHOICE,  /* int field = value + index of the word in choices ("a|b|c") */
    OPT_SPECIAL
} opt_kind;

typedef struct {
    const char *name;     /* "--lambda" */
    unsigned modes;       /* bit mask of the command's modes the option applies to; 0: all */
    const char *alias;    /* "-o" or NULL */
    const char *metavar;  /* "L", or NULL */
    opt_kind kind;
    size_t off;           /* offsetof the field in the options struct */
    long given;           /* offsetof an int set to 1 when the option is given, or -1 */
    double lo, hi;        /* numeric range; NAN = no bound */
    unsigned open;        /* OPT_LO_OPEN: the value must exceed lo; OPT_HI_OPEN: stay below hi */
    const char *choices;  /* OPT_CHOICE */
    int value;            /* OPT_FLAG: the value stored; OPT_CHOICE: added to the index */
    const char *help;     /* the --help text (wrapped when printed) */
} opt_def;

#define OPT_NONE (-1L)
#define OPT_LO_OPEN 1u
#define OPT_HI_OPEN 2u
/* argv[*i] against the table: 1 matched and parsed (*i advanced past a value),
   0 no row matches (or an OPT_SPECIAL row: *row says which), -1 a usage error
   (printed).  row may be NULL; seen (may be NULL) gets 1 at the matched row. */
int opt_parse(const opt_def *tab, size_t n, void *opts, int argc, char **argv, int *i,
              const opt_def **row, unsigned char *seen);
/* The first option given (seen[k] set) whose modes exclude mode (a single bit) is a
   usage error naming it, the mode and the modes it goes with (names[b] for bit b),
   then hint when not NULL; returns -1 after printing, else 0. */
int opt_check_modes(const opt_def *tab, size_t n, const unsigned char *seen, unsigned mode,
                    const char *const *names, const char *hint);
/* A group of options of which at most one may be given, and the message when more are. */
typedef struct {
    const char *names[4]; /* NULL-terminated when fewer */
    const char *message;
} opt_exclusive;
/* -1 after printing the message of the first group with two options seen, else 0. */
int opt_check_exclusive(const opt_def *tab, size_t n, const unsigned char *seen,
                        const opt_exclusive *groups, size_t ngroups);
/* The options of the table, one entry each, to stdout; "{}" in a help text is
   the field's value in defaults (an options struct as the command sets it). */
void opt_help(const opt_def *tab, size_t n, const void *defaults);

/* argv has --help or -h. */
int opt_wants_help(int argc, char **argv);
/* The value after argv[*i] (*i advanced), or NULL after a usage message. */
const char *opt_value(int argc, char **argv, int *i);
/* A command's OPT_SPECIAL rows: parse argv[*i] (and its value); -1 after a message. */
typedef int (*opt_special_fn)(void *opts, const opt_def *row, int argc, char **argv, int *i);
/* A command's whole argv: the data options (--format, --label-col, --header,
   --no-header) into data when not NULL, then the rows of tab (special for
   OPT_SPECIAL ones); other words fill pos[0..npos-1] in order.  seen as for
   opt_parse.  0, or -1 after a usage message naming cvxrelu cmd --help. */
int opt_parse_args(const char *cmd, const opt_def *tab, size_t n, void *opts,
                   cvxrelu_read_opts *data, opt_special_fn special, const char **pos,
                   size_t npos, unsigned char *seen, int argc, char **argv);
/* The data options' help, to stdout. */
void data_help(void);

/* BLAS threads: --threads N (any command), else OPENBLAS_NUM_THREADS or
   OMP_NUM_THREADS when set; 0 = not set (the program chooses per problem). */
extern int g_threads;
/* Take --threads N out of argv (0 on success, -1 after a usage message). */
int threads_init(int *argc, char **argv);

/* Read a data set; on failure print the library's message.  Returns an exit code. */
int load_data(const char *path, const cvxrelu_read_opts *o, cvxrelu_dataset **out);

/* The files a command reads and writes: every output is checked writable (its folder
   exists and is writable, or the file itself is writable when it is not a regular
   file), and no output may be an input or another output (same device and inode where
   the files exist, the same normalized path otherwise).  Before any work; returns an
   exit code (EXIT_DATA: not writable, EXIT_USAGE: the same file twice), message
   printed.  NULL paths are skipped. */
typedef struct {
    const char *opt;  /* the option that names it, for messages ("-o", "--json", "DATA") */
    const char *path;
} io_path;
int check_io_paths(const io_path *outs, size_t nout, const io_path *ins, size_t nin);

/* The exit code of a library status (the one map: out of memory and numerical
   failures 3, every other failure 2), and the same after printing err's message. */
int exit_code(cvxrelu_status st);
int lib_error(cvxrelu_status st, const cvxrelu_error *err);

/* Write a JSON object atomically and free it; returns an exit code (message printed). */
int json_write(cvxrelu_json *j, const char *path);

int cmd_train(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_certify(int argc, char **argv);
int cmd_path(int argc, char **argv);

#endif
