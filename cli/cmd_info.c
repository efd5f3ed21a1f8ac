/* cvxrelu info: describe a model file. */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A summary number, or "not recorded" where the model file leaves it out. */
static const char *num(char *b, size_t cap, const char *fmt, double v)
{
    if (isnan(v)) snprintf(b, cap, "not recorded");
    else snprintf(b, cap, fmt, v);
    return b;
}

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
    char b1[64], b2[64];
    cvxrelu_status st = cvxrelu_model_load(argv[0], &m, &err);
    if (st) return lib_error(st, &err);
    const cvxrelu_encoding *e = m->enc;
    printf("model       %s (format %d)\n",
           m->kind == CVXRELU_MODEL_GATED ? "gated ReLU"
           : m->kind == CVXRELU_MODEL_RELU3 ? "three-layer parallel ReLU network [EP21]"
           : m->V ? "ReLU, dense second layer (read out of the SDP relaxation)"
                  : "ReLU",
           CVXRELU_MODEL_FORMAT_VERSION);
    printf("task        %s\n", e->task == CVXRELU_TASK_CLASSIFICATION ? "classification" : "regression");
    printf("inputs      %zu raw features -> %zu (%s, %s)\n", e->d_raw, e->d,
           e->standardize ? "standardized" : "as given", e->bias ? "bias column" : "no bias");
    if (e->from_csv)
        printf("layout      CSV, label in column %zu (counting from 0) of %zu, %s\n", e->label_col,
               e->d_raw + 1, e->header ? "a header row of feature names" : "no header row");
    else
        printf("layout      not recorded (a label column counts as the last)%s\n",
               e->header ? "; feature names" : "");
    printf("outputs     %zu\n", e->c);
    if (e->n_classes) {
        printf("classes     %zu:", e->n_classes);
        for (size_t i = 0; i < e->n_classes; i++) printf(" %s", e->classes[i]);
        printf("\n");
    }
    if (m->kind == CVXRELU_MODEL_RELU3) {
        printf("sub-networks %zu of %zu first-layer neurons (from %zu configurations)\n", m->m,
               m->width1, m->patterns);
        printf("lambda      %.6g\n", m->lambda);
        printf("objective   %s (path form; duality gap %s at training time)\n",
               num(b1, sizeof b1, "%.10e", m->objective), num(b2, sizeof b2, "%.3e", m->gap));
    } else if (m->V) {
        printf("neurons     %zu, each feeding all %zu outputs\n", m->m, e->c);
        printf("lambda      %.6g\n", m->lambda);
        printf("objective   %s (above the certified lower bound of the SDP relaxation by "
               "%s at training time)\n", num(b1, sizeof b1, "%.10e", m->objective),
               num(b2, sizeof b2, "%.3e", m->gap));
    } else {
        printf("neurons     %zu (from %zu patterns)\n", m->m, m->patterns);
        printf("lambda      %.6g\n", m->lambda);
        printf("objective   %s (duality gap %s at training time)\n",
               num(b1, sizeof b1, "%.10e", m->objective), num(b2, sizeof b2, "%.3e", m->gap));
    }
    cvxrelu_model_free(m);
    return EXIT_OK;
}
