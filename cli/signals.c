/* SIGINT and SIGTERM for every command: the first asks the library to stop at its
   next check, a second ends the process at once; the watchdog of the phases that
   cannot stop inside a step (cli/common.h). */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t g_interrupt = 0;

/* A phase whose steps cannot be stopped inside: DSDP (its setup and each
   interior-point iteration, a dense factorization of the Schur matrix) and, for a
   PSD block of CVXRELU_CLI_DENSE_Q rows or more, ADMM and the read-out (a dense
   eigendecomposition per step, seconds at that size).  While it runs, a watchdog
   ends the process when a stop request has not been acted on within 1.5 s (a
   signal), or 1.5 s past the time limit: the network comes from the read-out at
   the end, so nothing is written. */
static volatile sig_atomic_t g_opaque_phase = 0; /* 1 DSDP, 2 ADMM and the read-out */
static char g_opaque_int[256], g_opaque_tl[256];

static void arm_watchdog(double seconds)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    if (seconds > 0.0) {
        it.it_value.tv_sec = (time_t)seconds;
        it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
        if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0) it.it_value.tv_usec = 1;
    }
    setitimer(ITIMER_REAL, &it, NULL);
}

static void on_watchdog(int sig)
{
    (void)sig;
    if (!g_opaque_phase) return;
    const char *msg = g_interrupt ? g_opaque_int : g_opaque_tl;
    (void)!write(2, msg, strlen(msg));
    _exit(g_interrupt ? EXIT_INTERRUPTED : EXIT_SOLVER);
}

void opaque_begin(int kind, size_t q, double time_left_s)
{
    const char *what = kind == 1 ? "inside DSDP (its setup or one interior-point iteration, "
                                   "which it cannot stop)"
                                 : "inside the SDP relaxation (one step is a dense "
                                   "eigendecomposition, which cannot stop";
    char size[64] = "";
    if (kind == 2) snprintf(size, sizeof size, ", of a %zu x %zu matrix here)", q, q);
    snprintf(g_opaque_int, sizeof g_opaque_int, "cvxrelu: interrupted %s%s; nothing written\n",
             what, size);
    snprintf(g_opaque_tl, sizeof g_opaque_tl,
             "cvxrelu: time limit reached %s%s; nothing written%s\n", what, size,
             kind == 1 ? " (--sdp-solver admm stops within an iteration)" : "");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_watchdog;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    g_opaque_phase = kind;
    if (time_left_s > 0.0) arm_watchdog(time_left_s + 1.5);
}

void opaque_end(int kind)
{
    if (!g_opaque_phase || (kind && g_opaque_phase != kind)) return;
    g_opaque_phase = 0;
    arm_watchdog(0.0);
}

static void on_signal(int sig)
{
    (void)sig;
    if (g_interrupt) _exit(EXIT_INTERRUPTED); /* a second signal: at once */
    g_interrupt = 1;
    if (g_opaque_phase) arm_watchdog(1.5);
}

/* SIGINT and SIGTERM to handler */
static void stop_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_stop_begin(void)
{
    g_interrupt = 0;
    stop_signals(on_signal);
}

void cli_stop_end(void)
{
    opaque_end(0);
    stop_signals(SIG_DFL);
}
