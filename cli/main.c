/* cvxrelu: command-line front end.  Dispatches to the subcommands. */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "cvxrelu %s: train ReLU networks by convex optimization, with certificates\n"
            "\n"
            "Usage: cvxrelu COMMAND [options]   (cvxrelu COMMAND --help for details)\n"
            "\n"
            "Commands:\n"
            "  train    fit a model to a data file and certify it by a duality gap\n"
            "  path     the regularization path: objective, gap, neurons and metrics\n"
            "           at each lambda from lambda_max down (warm-started solves)\n"
            "  predict  predictions of a saved model on new data\n"
            "  eval     accuracy / mean squared error of a saved model on labelled data\n"
            "  certify  upper and certified lower bounds on the global optimum for a\n"
            "           ReLU network (any width, trained by any method)\n"
            "  info     describe a model file\n"
            "  demo     train on bundled data and print accuracy, objective, gap, time\n"
            "\n"
            "  --version   print the version\n"
            "  --threads N BLAS threads for any command (default: OPENBLAS_NUM_THREADS or\n"
            "              OMP_NUM_THREADS when set, else chosen by problem size)\n"
            "\n"
            "Exit codes: 0 success, 1 usage error, 2 data or file error,\n"
            "3 numerical failure or out of memory.\n"
            "BLAS: when OpenBLAS picks a slower kernel than this CPU supports (Debian's\n"
            "0.3.21 often does), cvxrelu restarts itself with OPENBLAS_CORETYPE set to\n"
            "the fast one; CVXRELU_NO_BLAS_TUNE=1 keeps OpenBLAS's own choice.  The\n"
            "kernel in use is printed in the banner of 'train'.\n",
            CVXRELU_VERSION);
}

/*
 * Debian's OpenBLAS 0.3.21 misdetects recent CPUs as old cores and runs its
 * slow kernels; it reads OPENBLAS_CORETYPE when it is loaded, so the only way
 * to choose for the user is to set it and start again.
 */
static void select_blas_kernel(char **argv)
{
    const char *no = getenv("CVXRELU_NO_BLAS_TUNE");
    if (no && *no && strcmp(no, "0") != 0) return;
    const char *core = cvxrelu_blas_better_core();
    if (!core) return;
    setenv("OPENBLAS_CORETYPE", core, 1);
    setenv("CVXRELU_NO_BLAS_TUNE", "1", 1); /* never loop */
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with OpenBLAS's own choice */
}

int main(int argc, char **argv)
{
    select_blas_kernel(argv);
    if (threads_init(&argc, argv)) return EXIT_USAGE;
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    int sub_argc = argc - 2;
    char **sub_argv = argv + 2;
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("cvxrelu %s\n", CVXRELU_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "train") == 0) return cmd_train(sub_argc, sub_argv);
    if (strcmp(cmd, "path") == 0) return cmd_path(sub_argc, sub_argv);
    if (strcmp(cmd, "predict") == 0) return cmd_predict(sub_argc, sub_argv);
    if (strcmp(cmd, "eval") == 0) return cmd_eval(sub_argc, sub_argv);
    if (strcmp(cmd, "certify") == 0) return cmd_certify(sub_argc, sub_argv);
    if (strcmp(cmd, "info") == 0) return cmd_info(sub_argc, sub_argv);
    if (strcmp(cmd, "demo") == 0) return cmd_demo(sub_argc, sub_argv);
    die_msg("unknown command \"%s\" (try cvxrelu --help)", cmd);
    return EXIT_USAGE;
}
