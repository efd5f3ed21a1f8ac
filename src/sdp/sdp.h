/*
 * The semidefinite relaxation of [PBY24] (docs/algorithms.md, "The SDP relaxation"): internal interface.
 *
 * One neuron is lifted to lambda = (alpha, beta, u, v) in R^p, p = 2n + d + c,
 * with alpha - beta = X u.  The null space of M = [-I, I, X, 0] is spanned by
 * the columns of B (p x q, q = n + d + c):
 *
 *     lambda = B z,  z = (alpha, u, v),  beta = alpha - X u,
 *
 * so Lambda = B Z B^T with Z (q x q) positive semidefinite.  All solvers here
 * return Z in these z-coordinates.  In Z the relaxation reads (paper scale,
 * pb->beta = lambda N):
 *
 *   min  (1/2) ||Z_{alpha v} - Y||_F^2 + (beta/2) (tr Z_uu + tr Z_vv)
 *   s.t. Z PSD;
 *        L_aa = Z_aa                                  >= 0 entrywise,
 *        L_ab = Z_aa - Z_au X^T                       >= 0 entrywise, diag(L_ab) = 0,
 *        L_bb = Z_aa - X Z_ua - Z_au X^T + X Z_uu X^T >= 0 entrywise.
 *
 * Matrices are row-major; X is n x d, Y is n x c (as encoded for training).
 */
#ifndef CVXRELU_SDP_H
#define CVXRELU_SDP_H

#include "cvxrelu.h"
#include "internal.h"

typedef struct {
    size_t n, d, c;
    const double *X; /* n x d */
    const double *Y; /* n x c */
    double beta;     /* paper scale */
} cr_sdp_problem;

/* Quality of a candidate Z (q x q, z-coordinates), all on the paper scale. */
typedef struct {
    double obj;       /* (1/2)||Z_av - Y||^2 + (beta/2)(tr Z_uu + tr Z_vv) */
    double neg_entry; /* max over the three n x n blocks of max(0, -entry) */
    double diag_ab;   /* max_i |L_ab(i,i)| */
    double psd_neg;   /* max(0, -lambda_min(Z)) */
    size_t rank;      /* eigenvalues of Z above 1e-6 * lambda_max(Z) */
} cr_sdp_eval;

void cr_sdp_evaluate(const cr_sdp_problem *pb, const double *Z, cr_sdp_eval *ev);

/*
 * ||X||_2^2 (largest eigenvalue of X^T X, with a margin), for the a-priori bounds
 * of the certificates: some optimal Z* has tr Z*_uu = tr Z*_vv <= UB / beta and
 * tr Z*_aa <= ||X||_2^2 UB / beta, UB >= the optimal value (e.g. (1/2)||Y||^2,
 * the value at Z = 0, or the objective of any network).
 */
double cr_sdp_xnorm2(const cr_sdp_problem *pb);

/*
 * Rows that are exact multiples of each other (X_j = s X_i, fma-exact) or zero
 * leave the relaxation without interior; they are merged (the proof is at the
 * top of src/sdp/dsdp.c): data row i is sc[i] times its representative grp[i]
 * (sc[i] < 0: |sc[i]| times the representative's beta), or a zero row (grp[i]
 * = -1).  Returns the number of representatives, whose rows are copied to Xr
 * (n x d).  For d = 1: one virtual representative Xr = (1).
 */
size_t cr_sdp_reduce_rows(const cr_sdp_problem *pb, int *grp, double *sc, double *Xr);
/* Row a of the expansion E (z of the representatives -> z of all rows; n the
   number of representatives) applied to z. */
double cr_sdp_emap(const cr_sdp_problem *pb, size_t n, const int *grp, const double *sc,
                   const double *Xr, const double *z, size_t a);

/* Rows Lr (k x p) = B applied to the rows of Zr (k x q): lambda = (alpha, alpha - X u, u, v). */
void cr_sdp_lift_rows(const double *X, size_t n, size_t d, size_t c, const double *Zr,
                      size_t k, double *Lr);

/* Output of a backend. */
typedef struct {
    double *Z;          /* q x q, allocated by the backend */
    double primal;      /* objective at Z (paper scale) */
    double lower_bound; /* certified: <= the optimal value (paper scale) */
    double pres, dres;  /* backend's primal and dual residuals (relative) */
    size_t iters;
    int converged;      /* reached tol */
    int stopped;        /* 0, or CVXRELU_EXIT_INTERRUPTED / _TIME_LIMIT (DSDP stopped by its monitor) */
} cr_sdp_out;

/* Interior point by DSDP (src/sdp/dsdp.c). */
cvxrelu_status cr_sdp_dsdp(const cr_sdp_problem *pb, double tol, size_t max_iter, int verbose,
                           volatile sig_atomic_t *interrupt, double time_limit_s,
                           cr_sdp_out *out, cvxrelu_error *err);

/*
 * Read-out of a network of width R from a solution Z (docs/algorithms.md, "The SDP relaxation", src/sdp/readout.c):
 * Davis-Yin splitting between the null(M) structure and the per-row sign
 * structure of each column of W (Lambda ~ W W^T), started from the top-R
 * eigenvectors.  On return U (R x d) and V (R x c) are allocated: the network
 * f(x) = sum_j (x.u_j)_+ v_j, each neuron balanced (||u_j|| = ||v_j||).
 */
cvxrelu_status cr_sdp_readout(const cr_sdp_problem *pb, const double *Z, size_t R,
                              size_t max_iter, uint64_t seed, const cr_loop *phase,
                              double **U_out, double **V_out, int *stopped, cvxrelu_error *err);

#endif
