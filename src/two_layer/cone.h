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
    const double *G;  /* NULL, or X X^T (n x n): a row entering the active set then takes
                         its Gram entries from it (O(|S|) instead of O(|S| d)) */
} cr_cone;

/* Doubles of scratch cr_cone_begin and cr_cone_next need, and cr_cone_project. */
#define CR_CONE_STEP_WORK(d) (2 * (d))
#define CR_CONE_WORK(n, d) (CR_CONE_STEP_WORK(d) + (n) + 2 * (d) + (d) * (d))

/* One projection in progress (the Lawson-Hanson method): the active rows S[0..ns)
   (capacity d), L (d x d, leading dimension d) the Cholesky factor of their Gram
   matrix, b (d) their right-hand sides -a_j x_j . y, mu (d) their multipliers. */
typedef struct {
    size_t *S, ns;
    double *L, *b, *mu;
    int iters;
} cr_cone_state;

/* The warm start from the set in cs (its factor in cs->L when factor_given, else built
   here, leaving out dependent rows): least squares on it, the negative entries
   dropped; u = its point y + sum_S mu_j a_j x_j. */
void cr_cone_begin(const cr_cone *k, const double *y, cr_cone_state *cs, int factor_given,
                   double *u, double *work);
/* One step, given xu = X u of the current point u: 0 when u is P_K(y) (no row
   violated beyond cr_cone_tol, or rounding has the last word); else the most
   violated row enters, the multipliers are made positive again, u moves, and 1 says
   that its products are needed again.  Splitting the method here lets a caller form
   the products of many groups by one matrix product. */
int cr_cone_next(const cr_cone *k, const double *y, const double *xu, cr_cone_state *cs,
                 double *u, double *work);

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
/* The feasibility tolerance of a projection of y, and the largest violation
   max_j -a_j z_j (at least 0) of products z = X u. */
double cr_cone_tol(const cr_cone *k, const double *y);
double cr_cone_worst(const cr_cone *k, const double *z);

#endif
