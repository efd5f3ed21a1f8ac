/* Private: projection onto the cone of one activation pattern (docs/algorithms.md, "The exact ReLU program" and "Cone decomposition"). */
#ifndef CVXRELU_CONE_H
#define CVXRELU_CONE_H

#include "internal.h"

typedef struct {
    const double *X;  /* n x d, rows x_j */
    const double *a;  /* n signs: +1 inside the pattern, -1 outside */
    size_t n, d;
    double xmax;      /* max_j ||x_j|| */
    cr_loop *loop;    /* NULL, or its stop checked at every active-set step: a stop request
                         abandons the projection (cr_cone_project returns 1) */
} cr_cone;

/* Doubles of workspace cr_cone_project needs. */
#define CR_CONE_WORK(n, d) (2 * (d) + (d) * (d) + (n))

/*
 * u = P_K(y) and z = X u, given zy = X y.  S (capacity d) holds the active rows
 * of the last projection of this group and is updated (warm start); *ns_io is
 * its size.  Returns 0, or 1 when k->loop asked to stop (u and z are then not
 * set; S stays a valid warm start).
 */
int cr_cone_project(const cr_cone *k, const double *y, const double *zy, double *u, double *z,
                    size_t *S, size_t *ns_io, double *work);
/* ||P_K(y)|| (scratch u: d, z: n); NAN when k->loop asked to stop. */
double cr_cone_project_norm(const cr_cone *k, const double *y, const double *zy, size_t *S,
                            size_t *ns_io, double *work, double *u_scratch, double *z_scratch);

#endif
