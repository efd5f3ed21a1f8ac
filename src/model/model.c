/* The trained network: recovery from the convex solution (docs/algorithms.md, "The models"), forward pass. */
#include "internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void cvxrelu_model_free(cvxrelu_model *m)
{
    if (!m) return;
    cvxrelu_encoding_free(m->enc);
    free(m->W);
    free(m->G);
    free(m->a);
    free(m->out);
    free(m->V);
    free(m->W2);
    free(m);
}

/*
 * The network of docs/algorithms.md, "The models" from convex weights U: per non-zero group u a
 * neuron u/sqrt||u|| with output weight +-sqrt||u||.  Gated: groups i c + k,
 * gate g_i, sign +.  ReLU: groups 2 (i c + k) + e, no gate, sign - for e = 1.
 */
static cvxrelu_status model_from_groups(cvxrelu_model_kind kind, const cvxrelu_patterns *patterns,
                                        const double *U, size_t c, double lambda,
                                        cvxrelu_encoding *enc, cvxrelu_model **out,
                                        cvxrelu_error *err)
{
    *out = NULL;
    if (!patterns || !U || !enc || c == 0 || enc->d != patterns->d || enc->c != c) {
        cvxrelu_encoding_free(enc);
        return cr_fail(err, CVXRELU_ERR_INVALID, "model: inconsistent patterns, weights and encoding");
    }
    const int relu = kind == CVXRELU_MODEL_RELU;
    const size_t d = patterns->d, per = relu ? 2 : 1, groups = per * patterns->P * c;
    size_t active = 0;
    for (size_t g = 0; g < groups; g++)
        if (cblas_dnrm2((int)d, U + g * d, 1) > 0.0) active++;
    cvxrelu_model *m = calloc(1, sizeof *m);
    if (!m) goto fail;
    m->kind = kind;
    m->enc = enc;
    enc = NULL;
    m->d = d;
    m->lambda = lambda;
    m->patterns = patterns->P;
    m->W = cr_malloc(active, d * sizeof(double));
    m->G = relu ? NULL : cr_malloc(active, d * sizeof(double));
    m->a = cr_malloc(active, sizeof(double));
    m->out = cr_malloc(active, sizeof(size_t));
    if (!m->W || (!relu && !m->G) || !m->a || !m->out) goto fail;
    size_t j = 0;
    for (size_t g = 0; g < groups; g++) {
        const double *u = U + g * d;
        double nrm = cblas_dnrm2((int)d, u, 1);
        if (!(nrm > 0.0)) continue;
        double sq = sqrt(nrm);
        size_t ik = g / per; /* i c + k */
        for (size_t k = 0; k < d; k++) m->W[j * d + k] = u[k] / sq;
        if (!relu) memcpy(m->G + j * d, patterns->gates + (ik / c) * d, d * sizeof(double));
        m->a[j] = relu && g % 2 ? -sq : sq; /* v: +sqrt||v||, w: -sqrt||w|| */
        m->out[j] = ik % c;
        j++;
    }
    m->m = active;
    *out = m;
    return CVXRELU_OK;
fail:
    cvxrelu_encoding_free(enc);
    cvxrelu_model_free(m);
    return cr_fail(err, CVXRELU_ERR_NOMEM, "model: out of memory");
}

cvxrelu_status cvxrelu_model_from_gated(const cvxrelu_patterns *patterns, const double *U,
                                        size_t c, double lambda, cvxrelu_encoding *enc,
                                        cvxrelu_model **out, cvxrelu_error *err)
{
    return model_from_groups(CVXRELU_MODEL_GATED, patterns, U, c, lambda, enc, out, err);
}

cvxrelu_status cvxrelu_model_from_relu(const cvxrelu_patterns *patterns, const double *U,
                                       size_t c, double lambda, cvxrelu_encoding *enc,
                                       cvxrelu_model **out, cvxrelu_error *err)
{
    return model_from_groups(CVXRELU_MODEL_RELU, patterns, U, c, lambda, enc, out, err);
}

/* Three layers: Z = X W1^T by blocks of rows, then the two ReLU layers. */
static void forward3(const cvxrelu_model *m, const double *X, size_t n, double *Yhat)
{
    const size_t d = m->d, c = m->enc->c, K = m->m, m1 = m->width1, nn = K * m1;
    memset(Yhat, 0, n * c * sizeof(double));
    if (nn == 0) return;
    size_t nb = (size_t)(1u << 20) / nn;
    if (nb < 16) nb = 16;
    if (nb > n) nb = n;
    double *Z = cr_malloc(nb, nn * sizeof(double)); /* NULL: dot products instead */
    for (size_t r0 = 0; r0 < n; r0 += nb) {
        size_t b = n - r0 < nb ? n - r0 : nb;
        if (Z)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)nn, (int)d, 1.0,
                        X + r0 * d, (int)d, m->W, (int)d, 0.0, Z, (int)nn);
        for (size_t i = 0; i < b; i++) {
            const double *x = X + (r0 + i) * d;
            double *y = Yhat + (r0 + i) * c;
            for (size_t j = 0; j < K; j++) {
                double h = 0.0;
                for (size_t l = 0; l < m1; l++) {
                    size_t u = j * m1 + l;
                    double z = Z ? Z[i * nn + u] : cblas_ddot((int)d, x, 1, m->W + u * d, 1);
                    if (z > 0.0) h += m->W2[u] * z;
                }
                if (h > 0.0) y[m->out[j]] += m->a[j] * h;
            }
        }
    }
    free(Z);
}

void cvxrelu_model_forward(const cvxrelu_model *m, const double *X, size_t n, double *Yhat)
{
    const size_t d = m->d, c = m->enc->c, nn = m->m;
    if (m->kind == CVXRELU_MODEL_RELU3) {
        forward3(m, X, n, Yhat);
        return;
    }
    memset(Yhat, 0, n * c * sizeof(double));
    if (nn == 0) return;
    /* rows in blocks so the n x m temporaries stay small */
    size_t nb = (size_t)(1u << 20) / nn;
    if (nb < 64) nb = 64;
    double *Z = cr_malloc(nb, nn * sizeof(double));
    double *H = m->G ? cr_malloc(nb, nn * sizeof(double)) : NULL;
    if (!Z || (m->G && !H)) {
        /* no memory for blocks: neuron by neuron with dot products */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < nn; j++) {
                double z = cblas_ddot((int)d, X + i * d, 1, m->W + j * d, 1);
                double on = m->G ? (cblas_ddot((int)d, X + i * d, 1, m->G + j * d, 1) > 0.0)
                                 : (z > 0.0);
                if (!on) continue;
                if (m->V)
                    for (size_t k = 0; k < c; k++) Yhat[i * c + k] += m->V[j * c + k] * z;
                else
                    Yhat[i * c + m->out[j]] += m->a[j] * z;
            }
        free(Z);
        free(H);
        return;
    }
    for (size_t r0 = 0; r0 < n; r0 += nb) {
        size_t b = n - r0 < nb ? n - r0 : nb;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)nn, (int)d, 1.0,
                    X + r0 * d, (int)d, m->W, (int)d, 0.0, Z, (int)nn);
        if (H)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)nn, (int)d, 1.0,
                        X + r0 * d, (int)d, m->G, (int)d, 0.0, H, (int)nn);
        for (size_t i = 0; i < b; i++) {
            const double *z = Z + i * nn;
            const double *h = H ? H + i * nn : z;
            double *y = Yhat + (r0 + i) * c;
            if (m->V) {
                for (size_t j = 0; j < nn; j++)
                    if (h[j] > 0.0)
                        for (size_t k = 0; k < c; k++) y[k] += m->V[j * c + k] * z[j];
            } else {
                for (size_t j = 0; j < nn; j++)
                    if (h[j] > 0.0) y[m->out[j]] += m->a[j] * z[j];
            }
        }
    }
    free(Z);
    free(H);
}

cvxrelu_status cvxrelu_model_predict(const cvxrelu_model *m, const cvxrelu_dataset *ds,
                                     double **Yhat_out, cvxrelu_error *err)
{
    *Yhat_out = NULL;
    double *X = NULL;
    cvxrelu_status st = cvxrelu_encoding_features(m->enc, ds, &X, err);
    if (st) return st;
    double *Yhat = cr_malloc(ds->n, m->enc->c * sizeof(double));
    if (!Yhat) {
        free(X);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "predict: out of memory");
    }
    cvxrelu_model_forward(m, X, ds->n, Yhat);
    cr_encoding_decode(m->enc, Yhat, ds->n);
    free(X);
    *Yhat_out = Yhat;
    return CVXRELU_OK;
}

double cvxrelu_model_objective(const cvxrelu_model *m, const double *X, const double *Y,
                               size_t n, double lambda)
{
    const size_t c = m->enc->c;
    double *Yhat = cr_malloc(n, c * sizeof(double));
    if (!Yhat) return NAN;
    cvxrelu_model_forward(m, X, n, Yhat);
    cvxrelu_problem pb = {X, n, m->d, Y, c, m->loss, m->huber_delta};
    double loss = cvxrelu_loss_eval(&pb, Yhat, NULL);
    free(Yhat);
    return loss + cr_model_penalty(m, lambda);
}

double cr_model_penalty(const cvxrelu_model *m, double lambda)
{
    const size_t d = m->d;
    double reg = 0.0;
    if (m->kind == CVXRELU_MODEL_RELU3) {
        /* the path form: lambda sum_j |a_j| sum_l |W2_jl| ||w_jl|| */
        for (size_t j = 0; j < m->m; j++) {
            double s = 0.0;
            for (size_t l = 0; l < m->width1; l++) {
                size_t u = j * m->width1 + l;
                s += fabs(m->W2[u]) * cblas_dnrm2((int)d, m->W + u * d, 1);
            }
            reg += fabs(m->a[j]) * s;
        }
        return lambda * reg;
    }
    for (size_t j = 0; j < m->m; j++) {
        double w = cblas_dnrm2((int)d, m->W + j * d, 1);
        if (m->V) {
            double v = cblas_dnrm2((int)m->enc->c, m->V + j * m->enc->c, 1);
            reg += w * w + v * v;
        } else {
            reg += w * w + m->a[j] * m->a[j];
        }
    }
    return 0.5 * lambda * reg;
}

cvxrelu_status cvxrelu_model_from_arrays(cvxrelu_model_kind kind, size_t m, const double *W,
                                         const double *a, const size_t *out, double lambda,
                                         cvxrelu_encoding *enc, cvxrelu_model **out_model,
                                         cvxrelu_error *err)
{
    *out_model = NULL;
    if (!enc || kind != CVXRELU_MODEL_RELU || (m > 0 && (!W || !a || !out))) {
        cvxrelu_encoding_free(enc);
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "model: a network from arrays needs kind relu, weights and an encoding");
    }
    const size_t d = enc->d;
    for (size_t j = 0; j < m; j++) {
        if (out[j] >= enc->c) {
            size_t c = enc->c;
            cvxrelu_encoding_free(enc);
            return cr_fail(err, CVXRELU_ERR_INVALID,
                           "model: neuron %zu feeds output %zu, but there are %zu outputs", j,
                           out[j], c);
        }
        int finite = isfinite(a[j]);
        for (size_t k = 0; k < d; k++) finite = finite && isfinite(W[j * d + k]);
        if (!finite) {
            cvxrelu_encoding_free(enc);
            return cr_fail(err, CVXRELU_ERR_INVALID, "model: neuron %zu has a non-finite weight",
                           j);
        }
    }
    cvxrelu_model *md = calloc(1, sizeof *md);
    if (!md) goto fail;
    md->kind = kind;
    md->enc = enc;
    enc = NULL;
    md->d = d;
    md->m = m;
    md->lambda = lambda;
    md->objective = NAN;
    md->gap = NAN;
    size_t mm = m ? m : 1;
    md->W = cr_malloc(mm, d * sizeof(double));
    md->a = cr_malloc(mm, sizeof(double));
    md->out = cr_malloc(mm, sizeof(size_t));
    if (!md->W || !md->a || !md->out) goto fail;
    if (m) {
        memcpy(md->W, W, m * d * sizeof(double));
        memcpy(md->a, a, m * sizeof(double));
        memcpy(md->out, out, m * sizeof(size_t));
    }
    *out_model = md;
    return CVXRELU_OK;
fail:
    cvxrelu_encoding_free(enc);
    cvxrelu_model_free(md);
    return cr_fail(err, CVXRELU_ERR_NOMEM, "model: out of memory");
}

cvxrelu_status cvxrelu_model_from_dense(size_t m, const double *U, const double *V,
                                        double lambda, cvxrelu_encoding *enc,
                                        cvxrelu_model **out_model, cvxrelu_error *err)
{
    *out_model = NULL;
    if (!enc || (m > 0 && (!U || !V))) {
        cvxrelu_encoding_free(enc);
        return cr_fail(err, CVXRELU_ERR_INVALID, "model: a dense network needs U, V and an encoding");
    }
    const size_t c = enc->c;
    for (size_t t = 0; t < m * c; t++)
        if (!isfinite(V[t])) {
            cvxrelu_encoding_free(enc);
            return cr_fail(err, CVXRELU_ERR_INVALID, "model: neuron %zu has a non-finite weight",
                           t / c);
        }
    size_t mm = m ? m : 1;
    size_t *out = cr_calloc(mm, sizeof(size_t));
    if (!out) {
        cvxrelu_encoding_free(enc);
        return cr_fail(err, CVXRELU_ERR_NOMEM, "model: out of memory");
    }
    /* c = 1: an ordinary network (a = V) */
    cvxrelu_status st = cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, m, U, V, out, lambda, enc,
                                                  out_model, err);
    free(out);
    if (st != CVXRELU_OK || c == 1) return st;
    cvxrelu_model *md = *out_model;
    md->V = cr_malloc(mm, c * sizeof(double));
    if (!md->V) {
        cvxrelu_model_free(md);
        *out_model = NULL;
        return cr_fail(err, CVXRELU_ERR_NOMEM, "model: out of memory");
    }
    if (m) memcpy(md->V, V, m * c * sizeof(double));
    return CVXRELU_OK;
}

cvxrelu_status cvxrelu_model_from_relu3_arrays(size_t K, size_t width1, const double *W1,
                                               const double *W2, const double *a,
                                               const size_t *out, double lambda,
                                               cvxrelu_encoding *enc, cvxrelu_model **out_model,
                                               cvxrelu_error *err)
{
    *out_model = NULL;
    if (!enc || width1 == 0 || (K > 0 && (!W1 || !W2 || !a || !out))) {
        cvxrelu_encoding_free(enc);
        return cr_fail(err, CVXRELU_ERR_INVALID,
                       "model: a three-layer network needs width1 >= 1, its weights and an encoding");
    }
    const size_t d = enc->d;
    for (size_t j = 0; j < K; j++) {
        int finite = isfinite(a[j]);
        for (size_t l = 0; l < width1; l++) {
            finite = finite && isfinite(W2[j * width1 + l]);
            for (size_t k = 0; k < d; k++) finite = finite && isfinite(W1[(j * width1 + l) * d + k]);
        }
        if (out[j] >= enc->c || !finite) {
            size_t c = enc->c;
            cvxrelu_encoding_free(enc);
            return out[j] >= c ? cr_fail(err, CVXRELU_ERR_INVALID,
                                         "model: sub-network %zu feeds output %zu, but there are %zu outputs",
                                         j, out[j], c)
                               : cr_fail(err, CVXRELU_ERR_INVALID,
                                         "model: sub-network %zu has a non-finite weight", j);
        }
    }
    cvxrelu_model *md = calloc(1, sizeof *md);
    if (!md) goto fail;
    md->kind = CVXRELU_MODEL_RELU3;
    md->enc = enc;
    enc = NULL;
    md->d = d;
    md->m = K;
    md->width1 = width1;
    md->lambda = lambda;
    md->objective = NAN;
    md->gap = NAN;
    size_t kk = K ? K : 1;
    md->W = cr_malloc(kk * width1, d * sizeof(double));
    md->W2 = cr_malloc(kk, width1 * sizeof(double));
    md->a = cr_malloc(kk, sizeof(double));
    md->out = cr_malloc(kk, sizeof(size_t));
    if (!md->W || !md->W2 || !md->a || !md->out) goto fail;
    if (K) {
        memcpy(md->W, W1, K * width1 * d * sizeof(double));
        memcpy(md->W2, W2, K * width1 * sizeof(double));
        memcpy(md->a, a, K * sizeof(double));
        memcpy(md->out, out, K * sizeof(size_t));
    }
    *out_model = md;
    return CVXRELU_OK;
fail:
    cvxrelu_encoding_free(enc);
    cvxrelu_model_free(md);
    return cr_fail(err, CVXRELU_ERR_NOMEM, "model: out of memory");
}

cvxrelu_status cvxrelu_model_from_relu3(const cvxrelu_configs *cf, const double *W, size_t c,
                                        double lambda, cvxrelu_encoding *enc,
                                        cvxrelu_model **out, cvxrelu_error *err)
{
    *out = NULL;
    if (!cf || !W || !enc || c == 0 || enc->d != cf->d || enc->c != c) {
        cvxrelu_encoding_free(enc);
        return cr_fail(err, CVXRELU_ERR_INVALID, "model: inconsistent configurations, weights and encoding");
    }
    const size_t d = cf->d, m1 = cf->width1, G = 2 * cf->P * c;
    size_t K = 0;
    double *tg = cr_malloc(G ? G : 1, sizeof(double));
    if (!tg) goto nomem;
    for (size_t g = 0; g < G; g++) {
        tg[g] = 0.0;
        for (size_t l = 0; l < m1; l++) tg[g] += cblas_dnrm2((int)d, W + (g * m1 + l) * d, 1);
        K += tg[g] > 0.0;
    }
    size_t kk = K ? K : 1;
    double *W1 = cr_calloc(kk * m1, d * sizeof(double));
    double *W2 = cr_calloc(kk, m1 * sizeof(double));
    double *a = cr_malloc(kk, sizeof(double));
    size_t *o = cr_malloc(kk, sizeof(size_t));
    if (!W1 || !W2 || !a || !o) {
        free(W1);
        free(W2);
        free(a);
        free(o);
        free(tg);
        goto nomem;
    }
    size_t j = 0;
    for (size_t g = 0; g < G; g++) {
        double t = tg[g];
        if (!(t > 0.0)) continue;
        size_t p = g / (2 * c);
        for (size_t l = 0; l < m1; l++) {
            const double *w = W + (g * m1 + l) * d;
            double nw = cblas_dnrm2((int)d, w, 1), s = cf->sign[p * m1 + l];
            if (!(nw > 0.0)) continue;
            double f = s / sqrt(nw * t);
            for (size_t k = 0; k < d; k++) W1[(j * m1 + l) * d + k] = f * w[k];
            W2[j * m1 + l] = s * sqrt(nw);
        }
        a[j] = g % 2 ? -sqrt(t) : sqrt(t);
        o[j] = (g / 2) % c;
        j++;
    }
    free(tg);
    cvxrelu_status st = cvxrelu_model_from_relu3_arrays(K, m1, W1, W2, a, o, lambda, enc, out, err);
    free(W1);
    free(W2);
    free(a);
    free(o);
    if (st == CVXRELU_OK) (*out)->patterns = cf->P;
    return st;
nomem:
    cvxrelu_encoding_free(enc);
    return cr_fail(err, CVXRELU_ERR_NOMEM, "model: out of memory");
}

cvxrelu_metrics cvxrelu_metrics_of(const cvxrelu_encoding *enc, const double *Yhat,
                                   const double *Y, size_t n)
{
    cvxrelu_metrics mt = {NAN, NAN};
    const size_t c = enc->c;
    double se = 0.0;
    for (size_t i = 0; i < n * c; i++) se += (Yhat[i] - Y[i]) * (Yhat[i] - Y[i]);
    mt.mse = n ? se / (double)(n * c) : NAN;
    if (enc->standardize_y) mt.mse *= enc->y_scale * enc->y_scale; /* the targets' units */
    if (enc->task == CVXRELU_TASK_CLASSIFICATION && n) {
        size_t ok = 0;
        for (size_t i = 0; i < n; i++)
            ok += cvxrelu_encoding_decide(enc, Yhat + i * c) ==
                  cvxrelu_encoding_decide(enc, Y + i * c);
        mt.accuracy = (double)ok / (double)n;
    }
    return mt;
}
