/* Private: what the two solvers of the exact ReLU program share (src/two_layer/exact_relu.c
   holds it): the patterns' signs, the masked products, the cone-projected gradient and its
   dual bound, the violation measure and the final repair + certificate
   (docs/algorithms.md, "The exact ReLU program"). */
#ifndef CVXRELU_RELU_H
#define CVXRELU_RELU_H

#include "two_layer.h"

typedef struct {
    double *sign;             /* P x n: +1 inside pattern i, -1 outside */
    double xmax;              /* max_j ||x_j|| (1 when X = 0) */
    double *Grad, *Ytr;       /* m x d: the loss gradient, scratch */
    double *Zy, *Mt;          /* m x n (group-major) scratch */
    size_t *dset, *ndset;     /* warm active sets of the dual's projections */
    double *work, *uscr, *zscr;
    double best_dual;         /* best dual value found (valid at any stop) */
} cr_relu_cert;

/* Allocate and fill (signs, xmax, the bound kept by an earlier solve at this lambda). */
cvxrelu_status cr_relu_cert_init(cvxrelu_solver *s, cr_relu_cert *c);
void cr_relu_cert_free(cr_relu_cert *c);
/* Yhat (n x c) from the group-major products Z of the first groups groups (the rest zero). */
void cr_relu_predictions_upto(const cvxrelu_solver *s, const double *Z, double *Yhat,
                              size_t groups);
/* Zt (rows x n) = U X^T by blocks; with checked, a stop request between blocks sets
   s->stopped and returns nonzero (Zt partial). */
int cr_relu_products(cvxrelu_solver *s, const double *U, size_t rows, double *Zt, int checked);
/* c->Grad = the loss gradient at residual R (stoppable: nonzero when cut short). */
int cr_relu_loss_gradient(cvxrelu_solver *s, cr_relu_cert *c, const double *R);
/* max_g ||P_{K_g}(-Grad_g)|| (NaN when a stop request cut it short). */
double cr_relu_projected_gradient_max(cvxrelu_solver *s, cr_relu_cert *c);
/* The dual bound at residual R (Grad the gradient there) into c->best_dual; returns the
   projected gradient maximum used (NaN when cut short). */
double cr_relu_dual_update(cvxrelu_solver *s, cr_relu_cert *c, const double *R);
/* Largest cone violation of U (products Z = U X^T) relative to max_j ||x_j|| max_g ||u_g||. */
double cr_relu_violation(const cvxrelu_solver *s, const cr_relu_cert *c, const double *U,
                         const double *Z);
/* The end of a solve at s->U with products Z (updated): the violation, the repair (groups
   violated beyond rounding projected onto their cones, then every group moved along its
   interior gate: s->U then satisfies every cone constraint with a margin), objective, the
   cone-projected dual at the repaired point (exact_dual 2: always, 1: only when
   c->best_dual does not already certify settings.tol, 0: never), lambda_max when unknown
   and want_lambda_max.  Yk and R: n c scratch. */
cvxrelu_status cr_relu_finish_at(cvxrelu_solver *s, cr_relu_cert *c, double *Z, double *Yk,
                                 double *R, int exact_dual, int want_lambda_max,
                                 cvxrelu_result *res);

#endif
