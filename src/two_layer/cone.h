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
#define CR_CONE_WORK(n, d) (4 * (d) + (d) * (d) + (n))

/*
 * u = P_K(y) and z = X u, given zy = X y.  S (capacity d) holds the active rows
 * of the last projection of this group and is updated (warm start); *ns_io is
 * its size.  L_cache: NULL, or d x d doubles that hold the Cholesky factor of the
 * Gram matrix of S's rows on entry and are kept so on return (a group's factor kept
 * between calls: then the warm start costs no factorization, and a projection that
 * finds y inside keeps S as the next warm start).  Returns 0, or 1 when k->loop
 * asked to stop (u and z are then not set; S, with its factor, stays a valid warm
 * start).
 */
int cr_cone_project(const cr_cone *k, const double *y, const double *zy, double *u, double *z,
                    size_t *S, size_t *ns_io, double *L_cache, double *work);
/* The warm start alone: the least-squares point u on the set S (entries kept positive,
   S and L_cache updated as by cr_cone_project); 0 when S is empty (u not set), else 1.
   u is P_K(y) when a .* (X u) >= -cr_cone_tol(k, y) (cr_cone_worst): the caller can
   check that on products formed for many groups at once. */
int cr_cone_warm(const cr_cone *k, const double *y, double *u, size_t *S, size_t *ns_io,
                 double *L_cache, double *work);
/* The feasibility tolerance of a projection of y, and the largest violation
   max_j -a_j z_j (at least 0) of products z = X u. */
double cr_cone_tol(const cr_cone *k, const double *y);
double cr_cone_worst(const cr_cone *k, const double *z);
/* ||P_K(y)|| (scratch u: d, z: n); NAN when k->loop asked to stop. */
double cr_cone_project_norm(const cr_cone *k, const double *y, const double *zy, size_t *S,
                            size_t *ns_io, double *work, double *u_scratch, double *z_scratch);

#endif
