/* Private: objective and gradient of the non-convex network (local methods, DESIGN 5). */
#ifndef CVXRELU_LOCAL_H
#define CVXRELU_LOCAL_H

#include "internal.h"

/*
 * F(W, a) = (1/(2N)) ||f(X) - Y||^2 + (lambda/2) sum_j (||w_j||^2 + a_j^2) on
 * all n rows (N = n c), f_k(x) = sum_{j in block k} a_j (x.w_j)_+, width
 * neurons per output; W is (c width) x d.  *loss and *penalty receive the two
 * terms; gW ((c width) x d) and ga (c width) receive the gradient unless
 * NULL.  The same kernels as cvxrelu_local_train (exposed for the tests).
 */
cvxrelu_status cr_local_objective_grad(const double *X, const double *Y, size_t n, size_t d,
                                       size_t c, size_t width, const double *W, const double *a,
                                       double lambda, double *gW, double *ga, double *loss,
                                       double *penalty);

#endif
