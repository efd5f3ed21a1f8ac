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
    /* batched projections (cr_relu_project_groups): cap groups at a time */
    size_t cap;
    double *bL, *bmu, *bb;    /* cap x d x d factors (when not kept), cap x d, cap x d */
    double *bU, *Ucert;       /* cap x d gathered points; m x d the dual's projections */
    struct cr_relu_rank *rank; /* m: groups by their gradient norms */
    size_t *list, *act;       /* m, cap */
    void *bstate;             /* cap cr_cone_state */
    size_t touched;           /* after a stop: the list entries whose rows may be written */
    double *G;                /* NULL, or X X^T (n x n) where it fits (cr_cone.G) */
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
/* The projections of the rows list[0..cnt) of Y (m x d; their products ZY, m x n) onto
   their groups' cones, into the same rows of U and Z (Z may be ZY), by the active-set
   method with the products of all groups of a round formed by one matrix product (in
   chunks of c->cap groups).  S, nS: the groups' warm sets (m x d, m); L_kept: NULL or
   the groups' kept factors (m x d x d), which hold the factors of the sets when
   kept_valid (else they are built there from the sets).  Returns nonzero when a stop request cut it
   short (s->stopped set; the rows of U and Z then partial, those of list[0..c->touched)
   at most, the sets valid). */
int cr_relu_project_groups(cvxrelu_solver *s, cr_relu_cert *c, const size_t *list, size_t cnt,
                           const double *Y, const double *ZY, double *U, double *Z, size_t *S,
                           size_t *nS, double *L_kept, int kept_valid);
/* Doubles of the batch scratch of cr_relu_cert_init (for the memory estimates). */
size_t cr_relu_cert_batch_doubles(size_t n, size_t d, size_t m);
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

/* Newton steps on the face of the iterate U (products Z, predictions Yhat, objective
   *obj): the non-zero groups, each restricted to the null space of the rows of its set
   S (m x d; nS the sizes) that are tight at it (src/two_layer/relu_polish.c).  Returns 1
   when the point moved to a lower objective (U, Z, Yhat, R = the loss derivative there,
   *obj updated; every group in its cone), 0 when it did not (nothing changed), -1 on a
   stop request or no memory (nothing changed). */
int cr_relu_polish(cvxrelu_solver *s, cr_relu_cert *c, const size_t *S, const size_t *nS,
                   double *U, double *Z, double *Yhat, double *R, double *obj);

#endif
