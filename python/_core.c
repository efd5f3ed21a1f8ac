/*
 * cvxrelu._core: the Python binding of libcvxrelu over the public header only.
 *
 *   train(X, y, texts=None, **settings) -> (model, report_json_text)
 *   predict(model, X)                   -> (Yhat, class_index or None)
 *   load(path) -> model;  save(model, path);  info(model) -> dict
 *
 * A model is a PyCapsule named "cvxrelu.model" owning a cvxrelu_model*.  X is
 * read in place when it is a C-contiguous float64 array (the library copies it
 * into its data set), converted otherwise.  Training releases the GIL and, when
 * asked (handle_sigint, only from the main thread), catches SIGINT into the
 * library's interrupt flag and raises KeyboardInterrupt afterwards.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cvxrelu.h"

#define MODEL_CAPSULE "cvxrelu.model"

/* Set by the SIGINT handler; only the main thread installs it (handle_sigint). */
static volatile sig_atomic_t g_sigint;

static void on_sigint(int sig)
{
    (void)sig;
    g_sigint = 1;
}

/* A library failure as a Python exception (NULL for the caller to return). */
static PyObject *raise_status(cvxrelu_status st, const cvxrelu_error *err)
{
    PyObject *type = PyExc_RuntimeError;
    switch (st) {
    case CVXRELU_ERR_NOMEM: type = PyExc_MemoryError; break;
    case CVXRELU_ERR_INVALID:
    case CVXRELU_ERR_NUMERIC:
    case CVXRELU_ERR_FORMAT: type = PyExc_ValueError; break;
    case CVXRELU_ERR_IO: type = PyExc_OSError; break;
    case CVXRELU_ERR_UNSUPPORTED: type = PyExc_NotImplementedError; break;
    default: break;
    }
    const char *msg = err && err->msg[0] ? err->msg : cvxrelu_status_string(st);
    PyErr_SetString(type, msg);
    return NULL;
}

static void model_capsule_free(PyObject *cap)
{
    cvxrelu_model_free(PyCapsule_GetPointer(cap, MODEL_CAPSULE));
}

static PyObject *wrap_model(cvxrelu_model *m)
{
    PyObject *cap = PyCapsule_New(m, MODEL_CAPSULE, model_capsule_free);
    if (!cap) cvxrelu_model_free(m);
    return cap;
}

static cvxrelu_model *unwrap_model(PyObject *obj)
{
    return PyCapsule_GetPointer(obj, MODEL_CAPSULE); /* sets TypeError/ValueError */
}

/* X as an n x d C-contiguous float64 array (a new reference; no copy when it is one). */
static PyArrayObject *as_matrix(PyObject *X)
{
    PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(X, NPY_DOUBLE, 2, 2, NPY_ARRAY_IN_ARRAY);
    if (!a) return NULL;
    if (PyArray_DIM(a, 0) < 1 || PyArray_DIM(a, 1) < 1) {
        PyErr_SetString(PyExc_ValueError, "X must have at least one row and one column");
        Py_DECREF(a);
        return NULL;
    }
    return a;
}

/* Replace the data set's labels by the given strings (a list of n str): the data set
   is then as a file with text labels reads it. */
static int set_text_labels(cvxrelu_dataset *ds, PyObject *texts)
{
    if (!PyList_Check(texts) || (size_t)PyList_GET_SIZE(texts) != ds->n) {
        PyErr_SetString(PyExc_ValueError, "texts must be a list of one str per row");
        return -1;
    }
    for (size_t i = 0; i < ds->n; i++) {
        PyObject *t = PyList_GET_ITEM(texts, (Py_ssize_t)i);
        Py_ssize_t len = 0;
        const char *s = PyUnicode_Check(t) ? PyUnicode_AsUTF8AndSize(t, &len) : NULL;
        if (!s) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "texts must hold str");
            return -1;
        }
        char *copy = malloc((size_t)len + 1);
        if (!copy) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(copy, s, (size_t)len + 1);
        free(ds->label_text[i]);
        ds->label_text[i] = copy;
        ds->label_value[i] = NAN;
    }
    return 0;
}

/* At each phase, the BLAS threads for the products ahead, by the CLI's rule
   (cvxrelu_blas_threads_for: small products run faster on one thread), so that a
   fit runs as `cvxrelu train` does. */
static void on_phase(cvxrelu_train_phase p, const cvxrelu_train_report *r, void *user)
{
    const cvxrelu_train_settings *s = user;
    const size_t n = r->n, d = r->d, c = r->c;
    if (p == CVXRELU_PHASE_SOLVING && r->program == CVXRELU_TRAIN_SDP)
        cvxrelu_blas_set_threads(n < 150 ? 1 : 0);
    else if (p == CVXRELU_PHASE_SOLVING && r->program == CVXRELU_TRAIN_LOCAL)
        cvxrelu_blas_set_threads(cvxrelu_blas_threads_for(n, d, s->width * c));
    else if (p == CVXRELU_PHASE_SOLVING && r->program != CVXRELU_TRAIN_RELU3)
        cvxrelu_blas_set_threads(cvxrelu_blas_threads_for(n, d, r->patterns * c));
    else if (p == CVXRELU_PHASE_STARTED && r->program == CVXRELU_TRAIN_RELU3)
        cvxrelu_blas_set_threads(cvxrelu_blas_threads_for(n, d, s->subnets * s->width1 * c));
    else if (p == CVXRELU_PHASE_CERTIFYING)
        cvxrelu_blas_set_threads(0);
}

typedef struct {
    const char *name;
    int value;
} choice;

static int pick(const choice *c, const char *what, const char *name, int *out)
{
    for (; c->name; c++)
        if (strcmp(c->name, name) == 0) {
            *out = c->value;
            return 0;
        }
    PyErr_Format(PyExc_ValueError, "unknown %s \"%s\"", what, name);
    return -1;
}

static const choice programs[] = {
    {"gated", CVXRELU_TRAIN_GATED}, {"relu", CVXRELU_TRAIN_RELU}, {"sdp", CVXRELU_TRAIN_SDP},
    {"local", CVXRELU_TRAIN_LOCAL}, {"relu3", CVXRELU_TRAIN_RELU3}, {NULL, 0}};
static const choice tasks[] = {
    {"auto", CVXRELU_TASK_AUTO}, {"regression", CVXRELU_TASK_REGRESSION},
    {"classification", CVXRELU_TASK_CLASSIFICATION}, {NULL, 0}};
static const choice decompositions[] = {
    {"none", CVXRELU_TRAIN_DECOMPOSE_NONE}, {"closed", CVXRELU_TRAIN_DECOMPOSE_CLOSED},
    {"min-norm", CVXRELU_TRAIN_DECOMPOSE_MIN_NORM}, {"auto", CVXRELU_TRAIN_DECOMPOSE_AUTO},
    {NULL, 0}};

PyDoc_STRVAR(train_doc,
"train(X, y, texts=None, *, program='gated', task='auto', patterns=100, lam=1e-3,\n"
"      lambda_ratio=0.0, beta=0.0, seed=0, tol=1e-6, tol_feas=1e-6, max_iter=10000,\n"
"      time_limit_s=0.0, decompose='none', certify=True, standardize=True, bias=True,\n"
"      screening=True, precondition=True, single_precision=False,\n"
"      handle_sigint=False) -> (model, report_json)\n\n"
"cvxrelu_train on (X, y): y holds one number per row; texts (a list of str) replaces\n"
"them as text labels.  Defaults are cvxrelu_train_settings_default's.");

static PyObject *py_train(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"X", "y", "texts", "program", "task", "patterns", "lam",
                             "lambda_ratio", "beta", "seed", "tol", "tol_feas", "max_iter",
                             "time_limit_s", "decompose", "certify", "standardize", "bias",
                             "screening", "precondition", "single_precision", "handle_sigint",
                             NULL};
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    PyObject *Xo = NULL, *yo = NULL, *texts = Py_None;
    const char *program = "gated", *task = "auto", *decompose = "none";
    Py_ssize_t patterns = (Py_ssize_t)s.patterns, max_iter = (Py_ssize_t)s.max_iter;
    unsigned long long seed = s.seed;
    int certify = s.certify, standardize = s.standardize, bias = s.bias;
    int screening = s.screening, precondition = s.precondition;
    int single_precision = s.single_precision, handle_sigint = 0;
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|O$ssnddd" "Kddnds" "pppppp" "p", kwlist,
                                     &Xo, &yo, &texts, &program, &task, &patterns, &s.lambda,
                                     &s.lambda_ratio, &s.beta, &seed, &s.tol, &s.tol_feas,
                                     &max_iter, &s.time_limit_s, &decompose, &certify,
                                     &standardize, &bias, &screening, &precondition,
                                     &single_precision, &handle_sigint))
        return NULL;
    int v = 0;
    if (pick(programs, "program", program, &v)) return NULL;
    s.program = (cvxrelu_train_program)v;
    if (pick(tasks, "task", task, &v)) return NULL;
    s.task = (cvxrelu_task)v;
    if (pick(decompositions, "decompose", decompose, &v)) return NULL;
    s.decompose = (cvxrelu_train_decompose)v;
    if (patterns < 0 || max_iter < 0) {
        PyErr_SetString(PyExc_ValueError, "patterns and max_iter must be >= 0");
        return NULL;
    }
    s.patterns = (size_t)patterns;
    s.max_iter = (size_t)max_iter;
    s.seed = (uint64_t)seed;
    s.certify = certify;
    s.standardize = standardize;
    s.bias = bias;
    s.screening = screening;
    s.precondition = precondition;
    s.single_precision = single_precision;

    PyArrayObject *X = as_matrix(Xo);
    if (!X) return NULL;
    PyArrayObject *y = (PyArrayObject *)PyArray_FROMANY(yo, NPY_DOUBLE, 1, 1, NPY_ARRAY_IN_ARRAY);
    if (!y) {
        Py_DECREF(X);
        return NULL;
    }
    size_t n = (size_t)PyArray_DIM(X, 0), d = (size_t)PyArray_DIM(X, 1);
    PyObject *result = NULL;
    cvxrelu_dataset *ds = NULL;
    cvxrelu_model *m = NULL;
    cvxrelu_train_report r;
    memset(&r, 0, sizeof r);
    cvxrelu_error err = {{0}};
    cvxrelu_status st;
    if ((size_t)PyArray_DIM(y, 0) != n) {
        PyErr_Format(PyExc_ValueError, "X has %zu rows but y has %zd entries", n,
                     (Py_ssize_t)PyArray_DIM(y, 0));
        goto done;
    }
    st = cvxrelu_dataset_from_arrays(n, d, PyArray_DATA(X), PyArray_DATA(y), &ds, &err);
    if (st) {
        raise_status(st, &err);
        goto done;
    }
    if (texts != Py_None && set_text_labels(ds, texts)) goto done;

    volatile sig_atomic_t local_flag = 0;
    struct sigaction old, act;
    int installed = 0;
    if (handle_sigint) {
        g_sigint = 0;
        memset(&act, 0, sizeof act);
        act.sa_handler = on_sigint;
        sigemptyset(&act.sa_mask);
        installed = sigaction(SIGINT, &act, &old) == 0;
        s.interrupt = &g_sigint;
    } else {
        s.interrupt = &local_flag;
    }
    s.on_phase = on_phase;
    s.phase_data = &s;
    int threads = cvxrelu_blas_threads();
    Py_BEGIN_ALLOW_THREADS
    st = cvxrelu_train(ds, NULL, &s, &m, &r, &err);
    cvxrelu_blas_set_threads(threads);
    Py_END_ALLOW_THREADS
    if (installed) sigaction(SIGINT, &old, NULL);
    if (handle_sigint && g_sigint) {
        PyErr_SetNone(PyExc_KeyboardInterrupt);
        goto done;
    }
    if (st) {
        raise_status(st, &err);
        goto done;
    }
    if (!m) {
        PyErr_SetString(PyExc_RuntimeError, "training stopped before any network was found");
        goto done;
    }
    cvxrelu_json j;
    cvxrelu_json_open(&j);
    cvxrelu_train_report_json(&j, &r, &s, 0);
    const char *text = cvxrelu_json_text(&j);
    if (!text) {
        PyErr_NoMemory();
        cvxrelu_json_free(&j);
        goto done;
    }
    PyObject *report = PyUnicode_FromString(text);
    cvxrelu_json_free(&j);
    if (!report) goto done;
    PyObject *cap = wrap_model(m);
    m = NULL; /* the capsule owns it (or freed it) */
    if (!cap) {
        Py_DECREF(report);
        goto done;
    }
    result = Py_BuildValue("(NN)", cap, report);
done:
    cvxrelu_model_free(m);
    cvxrelu_train_report_free(&r);
    cvxrelu_dataset_free(ds);
    Py_DECREF(y);
    Py_DECREF(X);
    return result;
}

PyDoc_STRVAR(predict_doc,
"predict(model, X) -> (Yhat, index)\n\n"
"The network's outputs on raw rows X (n x c, the model's own standardization applied)\n"
"and, for a classifier, the class index of each row (cvxrelu_encoding_decide), else None.");

static PyObject *py_predict(PyObject *self, PyObject *args)
{
    PyObject *mo, *Xo;
    (void)self;
    if (!PyArg_ParseTuple(args, "OO", &mo, &Xo)) return NULL;
    cvxrelu_model *m = unwrap_model(mo);
    if (!m) return NULL;
    PyArrayObject *X = as_matrix(Xo);
    if (!X) return NULL;
    size_t n = (size_t)PyArray_DIM(X, 0), d = (size_t)PyArray_DIM(X, 1);
    size_t c = m->enc->c;
    PyObject *Yo = NULL, *Io = NULL, *result = NULL;
    cvxrelu_dataset *ds = NULL;
    double *Yhat = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_dataset_from_arrays(n, d, PyArray_DATA(X), NULL, &ds, &err);
    if (!st) {
        Py_BEGIN_ALLOW_THREADS
        st = cvxrelu_model_predict(m, ds, &Yhat, &err);
        Py_END_ALLOW_THREADS
    }
    if (st) {
        raise_status(st, &err);
        goto done;
    }
    npy_intp dims[2] = {(npy_intp)n, (npy_intp)c};
    if (!(Yo = PyArray_SimpleNew(2, dims, NPY_DOUBLE))) goto done;
    memcpy(PyArray_DATA((PyArrayObject *)Yo), Yhat, n * c * sizeof *Yhat);
    if (m->enc->task == CVXRELU_TASK_CLASSIFICATION) {
        if (!(Io = PyArray_SimpleNew(1, dims, NPY_INTP))) goto done;
        npy_intp *idx = PyArray_DATA((PyArrayObject *)Io);
        for (size_t i = 0; i < n; i++)
            idx[i] = (npy_intp)cvxrelu_encoding_decide(m->enc, Yhat + i * c);
    } else {
        Io = Py_NewRef(Py_None);
    }
    result = Py_BuildValue("(OO)", Yo, Io);
done:
    Py_XDECREF(Yo);
    Py_XDECREF(Io);
    free(Yhat);
    cvxrelu_dataset_free(ds);
    Py_DECREF(X);
    return result;
}

PyDoc_STRVAR(load_doc, "load(path) -> model: a model file as `cvxrelu train -o` writes it.");

static PyObject *py_load(PyObject *self, PyObject *args)
{
    PyObject *path;
    (void)self;
    if (!PyArg_ParseTuple(args, "O&", PyUnicode_FSConverter, &path)) return NULL;
    cvxrelu_model *m = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st;
    Py_BEGIN_ALLOW_THREADS
    st = cvxrelu_model_load(PyBytes_AS_STRING(path), &m, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st) return raise_status(st, &err);
    return wrap_model(m);
}

PyDoc_STRVAR(save_doc, "save(model, path): the model file (written atomically).");

static PyObject *py_save(PyObject *self, PyObject *args)
{
    PyObject *mo, *path;
    (void)self;
    if (!PyArg_ParseTuple(args, "OO&", &mo, PyUnicode_FSConverter, &path)) return NULL;
    cvxrelu_model *m = unwrap_model(mo);
    if (!m) {
        Py_DECREF(path);
        return NULL;
    }
    cvxrelu_error err = {{0}};
    cvxrelu_status st;
    Py_BEGIN_ALLOW_THREADS
    st = cvxrelu_model_save(m, PyBytes_AS_STRING(path), &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st) return raise_status(st, &err);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(info_doc,
"info(model) -> dict: kind, task, classes (list of str, empty for regression),\n"
"n_features (raw columns), outputs, neurons, lambda, patterns, objective, gap.");

static PyObject *py_info(PyObject *self, PyObject *args)
{
    PyObject *mo;
    (void)self;
    if (!PyArg_ParseTuple(args, "O", &mo)) return NULL;
    const cvxrelu_model *m = unwrap_model(mo);
    if (!m) return NULL;
    const cvxrelu_encoding *e = m->enc;
    PyObject *classes = PyList_New((Py_ssize_t)e->n_classes);
    if (!classes) return NULL;
    for (size_t k = 0; k < e->n_classes; k++) {
        PyObject *t = PyUnicode_FromString(e->classes[k]);
        if (!t) {
            Py_DECREF(classes);
            return NULL;
        }
        PyList_SET_ITEM(classes, (Py_ssize_t)k, t);
    }
    const char *kind = m->kind == CVXRELU_MODEL_GATED ? "gated"
                       : m->kind == CVXRELU_MODEL_RELU ? "relu" : "relu3";
    const char *task = e->task == CVXRELU_TASK_CLASSIFICATION ? "classification" : "regression";
    return Py_BuildValue("{s:s,s:s,s:N,s:n,s:n,s:n,s:d,s:n,s:d,s:d}", "kind", kind, "task", task,
                         "classes", classes, "n_features", (Py_ssize_t)e->d_raw, "outputs",
                         (Py_ssize_t)e->c, "neurons", (Py_ssize_t)m->m, "lambda", m->lambda,
                         "patterns", (Py_ssize_t)m->patterns, "objective", m->objective, "gap",
                         m->gap);
}

static PyMethodDef core_methods[] = {
    {"train", (PyCFunction)(void (*)(void))py_train, METH_VARARGS | METH_KEYWORDS, train_doc},
    {"predict", py_predict, METH_VARARGS, predict_doc},
    {"load", py_load, METH_VARARGS, load_doc},
    {"save", py_save, METH_VARARGS, save_doc},
    {"info", py_info, METH_VARARGS, info_doc},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "cvxrelu._core",
    "The C binding of libcvxrelu (cvxrelu.h); use the cvxrelu package.", -1, core_methods,
    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__core(void);

PyMODINIT_FUNC PyInit__core(void)
{
    import_array();
    PyObject *mod = PyModule_Create(&core_module);
    if (!mod) return NULL;
    if (PyModule_AddStringConstant(mod, "version", CVXRELU_VERSION)) {
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
