/* cvxrelu info: describe a model file. */
#include "common.h"

#include <stdio.h>
#include <string.h>

int cmd_info(int argc, char **argv)
{
    if (argc != 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        fprintf(argc == 1 ? stdout : stderr,
                "Usage: cvxrelu info MODEL\n\nPrint what a model file holds.\n"
                "Exit codes: 0 success, 1 usage error, 2 file error.\n");
        return argc == 1 ? EXIT_OK : EXIT_USAGE;
    }
    cvxrelu_model *m = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_model_load(argv[0], &m, &err);
    if (st) return lib_error(st, &err);
    cvxrelu_model_print(stdout, m);
    cvxrelu_model_free(m);
    return EXIT_OK;
}
