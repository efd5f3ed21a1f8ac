/* Private: the local (non-convex) trainers: local.c (two layers, docs/algorithms.md, "Certificates for the non-convex problem"),
   local3.c (three layers, docs/algorithms.md, "Three-layer parallel networks") and what they share (common.c). */
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
 * The three-layer objective of cvxrelu_local3_train (docs/algorithms.md, "Three-layer parallel networks"):
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

/* ------------------------------------------ shared by both (common.c) */

/*
 * A network as the shared optimizer sees it: one parameter vector theta of P
 * entries (the network's arrays one after the other) and kernels on blocks
 * of rows.  net is the network's own shape and block workspace, handed back
 * to each kernel.
 */
typedef struct {
    const void *net;
    const char *name;   /* "local" or "local3": prefix of the error messages */
    size_t d, c;        /* features, outputs */
    size_t nb;          /* rows per block of a full-data pass */
    size_t P;           /* parameters */
    size_t decay_from;  /* the weight decay (lambda/2) theta_i^2 covers i >= decay_from */
    size_t neurons;     /* neurons whose activation patterns are tracked */
    const double *Z;    /* rows x neurons: their pre-activations after a block without
                           gradient */
    /* One block of `rows` rows: returns ||f(Xb) - Yb||^2 at theta; with grad,
       adds gscale times the gradient of (1/2)||f(Xb) - Yb||^2 to it. */
    double (*block)(const void *net, const double *Xb, const double *Yb, size_t rows,
                    const double *theta, double gscale, double *grad);
    /* The initial theta, drawn from rng. */
    void (*init)(const void *net, double init_scale, cr_rng *rng, double *theta);
    /* Called after every update (a projection onto the constraints), or NULL. */
    void (*project)(const void *net, double *theta);
} cr_local_net;

/* Rows per block of a full-data pass with per_row doubles of workspace a row:
   about 8 M doubles, at least 256 rows, at most n. */
size_t cr_local_block_rows(size_t n, size_t per_row);

/* Rows of a minibatch under s on n rows, 0 for full-batch steps (GD, batch 0
   or batch >= n). */
size_t cr_local_minibatch(const cvxrelu_local_settings *s, size_t n);

/* The settings both trainers read, messages prefixed by name; s->width is
   checked only with check_width (the three-layer trainer ignores it). */
cvxrelu_status cr_local_check_settings(const cvxrelu_local_settings *s, const char *name,
                                       int check_width, cvxrelu_error *err);

/* X (n x d) and Y (n x c) finite and below 1e150 in magnitude (their squares
   must not overflow); n d and n c must not overflow. */
cvxrelu_status cr_local_check_data(const double *X, const double *Y, size_t n, size_t d,
                                   size_t c, const char *name, cvxrelu_error *err);

/*
 * The objective at theta = the nparts arrays part[i] of len[i] entries one
 * after the other: *loss = (1/(2N)) ||f(X) - Y||^2 and *penalty = (lambda/2)
 * times the sum of ||part[i]||^2 over the arrays at or after decay_from; with
 * gpart, gpart[i] receives its array's slice of the gradient of the sum
 * (the kernels of the trainer, for the tests' objective functions).  Returns
 * CVXRELU_ERR_NOMEM (nothing written) when the copies cannot be allocated.
 */
cvxrelu_status cr_local_objective_parts(const cr_local_net *nt, const double *X,
                                        const double *Y, size_t n, const double *const part[],
                                        double *const gpart[], const size_t len[],
                                        size_t nparts, double lambda, double *loss,
                                        double *penalty);

/*
 * Train nt on X (n x d), Y (n x c) under the checked settings s: theta drawn
 * by nt->init from s->seed, then s->steps updates of GD, SGD or Adam on the
 * data term plus the weight decay, nt->project after each; res receives the
 * records (every s->record_every steps, at 0 and at the end, times from the
 * start of loop) and the result; loop (started by the caller on s's interrupt,
 * time limit and s->steps) counts the steps and ends them on a stop request.  The trained theta is handed out as nout arrays: out[i]
 * receives the next len[i] entries (allocated).  On failure the arrays are
 * NULL and res is freed; CVXRELU_ERR_NOMEM comes without a message (the
 * caller names its sizes).
 */
cvxrelu_status cr_local_run(const cr_local_net *nt, const double *X, const double *Y, size_t n,
                            const cvxrelu_local_settings *s, cr_loop *loop, double **const out[],
                            const size_t len[], size_t nout, cvxrelu_local_result *res,
                            cvxrelu_error *err);

#endif
