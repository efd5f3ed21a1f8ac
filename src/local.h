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

/*
 * The three-layer objective of cvxrelu_local3_train (DESIGN 7):
 * F = (1/(2N)) ||f(X) - Y||^2 + (lambda/2) sum_j (||W2_j||^2 + a_j^2) on all
 * n rows (N = n c), c K sub-networks (sub-network j feeds output j / K) of
 * width1 first-layer neurons, f_k(x) = sum_{j in block k} a_j
 * (sum_l W2_jl (x.w_{j width1 + l})_+)_+; W1 is (c K width1) x d, W2
 * (c K) x width1, a (c K).  The constraint ||W1_j||_F <= 1 is not part of F
 * (the trainer projects).  *loss and *penalty receive the two terms; gW1,
 * gW2 and ga (same shapes) receive the gradient unless gW1 is NULL, with the
 * derivative of (t)_+ taken as 1[t > 0].  The same kernels as the trainer.
 */
cvxrelu_status cr_local3_objective_grad(const double *X, const double *Y, size_t n, size_t d,
                                        size_t c, size_t K, size_t width1, const double *W1,
                                        const double *W2, const double *a, double lambda,
                                        double *gW1, double *gW2, double *ga, double *loss,
                                        double *penalty);

#endif
