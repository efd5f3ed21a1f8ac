/*
 * cvxrelu._core: the Python binding of libcvxrelu over the public header only.
 *
 *   train(X, y, texts, names, gates, warm, handle_sigint, settings) -> (model, report, cv)
 *   path(X, y, texts, X_test, y_test, texts_test, handle_sigint, settings) -> dict
 *   certify(model, X, y, texts, W, a, out, handle_sigint, settings) -> report_json
 *   predict(model, X) -> (Yhat, class_index or None)
 *   load(path) -> model;  save(model, path);  info(model) -> dict;  arrays(model) -> dict
 *
 * A model is a PyCapsule named "cvxrelu.model" owning a cvxrelu_model*.  X is
 * read in place when it is a C-contiguous float64 array (the library copies it
 * into its data set), converted otherwise.  settings is a dict whose keys name
 * fields of the library's settings structs (tables below); the defaults are the
 * library's.  The long calls release the GIL and, when asked (handle_sigint,
 * only from the main thread), catch SIGINT into the library's stop flag and
 * raise KeyboardInterrupt afterwards.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cvxrelu.h"

#define MODEL_CAPSULE "cvxrelu.model"

/* ------------------------------------------------------------------ errors */

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

/* ------------------------------------------------------------------ SIGINT */

/* Set by the SIGINT handler; only the main thread installs it (handle_sigint). */
static volatile sig_atomic_t g_sigint;

static void on_sigint(int sig)
{
    (void)sig;
    g_sigint = 1;
}

/* The stop flag of one call: the handler's when it catches SIGINT, else its own. */
typedef struct {
    int handle, installed;
    volatile sig_atomic_t local;
    struct sigaction old;
} stop_guard;

static volatile sig_atomic_t *stop_begin(stop_guard *g, int handle)
{
    g->handle = handle;
    g->installed = 0;
    g->local = 0;
    if (!handle) return &g->local;
    struct sigaction act;
    g_sigint = 0;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_sigint;
    sigemptyset(&act.sa_mask);
    g->installed = sigaction(SIGINT, &act, &g->old) == 0;
    return &g_sigint;
}

/* Restores the handler; 1 (KeyboardInterrupt set) when SIGINT came. */
static int stop_end(stop_guard *g)
{
    if (g->installed) sigaction(SIGINT, &g->old, NULL);
    if (g->handle && g_sigint) {
        PyErr_SetNone(PyExc_KeyboardInterrupt);
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- models */

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

/* ------------------------------------------------------------------ arrays */

/* A float64 array of ndim dimensions, C-contiguous (a new reference; no copy when it
   is one already). */
static PyArrayObject *as_array(PyObject *o, int ndim, const char *name)
{
    PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(o, NPY_DOUBLE, ndim, ndim,
                                                        NPY_ARRAY_IN_ARRAY);
    if (!a) return NULL;
    if (ndim == 2 && (PyArray_DIM(a, 0) < 1 || PyArray_DIM(a, 1) < 1)) {
        PyErr_Format(PyExc_ValueError, "%s must have at least one row and one column", name);
        Py_DECREF(a);
        return NULL;
    }
    return a;
}

/* A label text as a number, as data files' labels are read (docs/formats.md): the whole
   text, blanks around it allowed, a finite-range number; else NAN.  So numeric text
   labels sort as numbers, as they do in a file. */
static double text_number(const char *s, size_t len)
{
    char buf[128];
    while (len > 0 && (*s == ' ' || *s == '\t')) s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if (len == 0 || len >= sizeof buf) return NAN;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *e;
    errno = 0;
    double v = strtod(buf, &e);
    if (e != buf + len || (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))) return NAN;
    return v;
}

/* Replace the data set's labels by the given strings (a list of n str): the data set
   is then as a file with these labels reads it. */
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
        ds->label_value[i] = text_number(s, (size_t)len);
    }
    return 0;
}

/* The data set's feature names (a list of d str), as a CSV header gives them. */
static int set_feature_names(cvxrelu_dataset *ds, PyObject *names)
{
    if (!PyList_Check(names) || (size_t)PyList_GET_SIZE(names) != ds->d) {
        PyErr_SetString(PyExc_ValueError, "names must be a list of one str per column");
        return -1;
    }
    if (!(ds->feature_names = calloc(ds->d, sizeof *ds->feature_names))) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t j = 0; j < ds->d; j++) { /* a partial list is freed with the data set */
        PyObject *t = PyList_GET_ITEM(names, (Py_ssize_t)j);
        const char *s = PyUnicode_Check(t) ? PyUnicode_AsUTF8(t) : NULL;
        if (!s) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "names must hold str");
            return -1;
        }
        if (!(ds->feature_names[j] = strdup(s))) {
            PyErr_NoMemory();
            return -1;
        }
    }
    return 0;
}

/* The data set of rows X with labels y (one number per row, or None) and texts (None,
   or a list of str replacing them); NULL with an exception set. */
static cvxrelu_dataset *dataset_of(PyObject *Xo, PyObject *yo, PyObject *texts, const char *xname)
{
    cvxrelu_dataset *ds = NULL;
    PyArrayObject *y = NULL, *X = as_array(Xo, 2, xname);
    if (!X) return NULL;
    size_t n = (size_t)PyArray_DIM(X, 0), d = (size_t)PyArray_DIM(X, 1);
    if (yo != Py_None) {
        if (!(y = as_array(yo, 1, "y"))) goto done;
        if ((size_t)PyArray_DIM(y, 0) != n) {
            PyErr_Format(PyExc_ValueError, "%s has %zu rows but its labels have %zd entries",
                         xname, n, (Py_ssize_t)PyArray_DIM(y, 0));
            goto done;
        }
    }
    cvxrelu_error err = {{0}};
    cvxrelu_status st = cvxrelu_dataset_from_arrays(n, d, PyArray_DATA(X),
                                                    y ? PyArray_DATA(y) : NULL, &ds, &err);
    if (st) {
        raise_status(st, &err);
        goto done;
    }
    if (y && texts != Py_None && set_text_labels(ds, texts)) {
        cvxrelu_dataset_free(ds);
        ds = NULL;
    }
done:
    Py_XDECREF(y);
    Py_DECREF(X);
    return ds;
}

static PyObject *doubles_list(const double *v, size_t n)
{
    PyObject *l = PyList_New((Py_ssize_t)n);
    if (!l) return NULL;
    for (size_t k = 0; k < n; k++) {
        PyObject *x = PyFloat_FromDouble(v[k]);
        if (!x) {
            Py_DECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)k, x);
    }
    return l;
}

/* A new rows x cols float64 array holding a copy of v. */
static PyObject *matrix_copy(const double *v, size_t rows, size_t cols)
{
    npy_intp dims[2] = {(npy_intp)rows, (npy_intp)cols};
    PyObject *a = PyArray_SimpleNew(2, dims, NPY_DOUBLE);
    if (a && rows * cols > 0) memcpy(PyArray_DATA((PyArrayObject *)a), v, rows * cols * sizeof *v);
    return a;
}

/* The JSON object under construction as a str (and freed). */
static PyObject *json_str(cvxrelu_json *j)
{
    const char *text = cvxrelu_json_text(j);
    PyObject *s = text ? PyUnicode_FromString(text) : PyErr_NoMemory();
    cvxrelu_json_free(j);
    return s;
}

/* -------------------------------------------------------------- settings */

typedef struct {
    const char *name;
    int value;
} choice;

typedef enum { F_DOUBLE, F_SIZE, F_U64, F_BOOL, F_INT, F_CHOICE, F_SBOUNDS } field_kind;

/* One settings key: its kind and where it goes in the struct being filled. */
typedef struct {
    const char *name;
    field_kind kind;
    size_t offset;
    const choice *choices;
} field;

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
static const choice cv_rules[] = {{"one-se", CVXRELU_CV_ONE_SE}, {"min", CVXRELU_CV_MIN},
                                  {NULL, 0}};
static const choice losses[] = {
    {"auto", CVXRELU_LOSS_AUTO}, {"squared", CVXRELU_LOSS_SQUARED},
    {"logistic", CVXRELU_LOSS_LOGISTIC}, {"ce", CVXRELU_LOSS_CE}, {"huber", CVXRELU_LOSS_HUBER},
    {NULL, 0}};
static const choice relaxations[] = {
    {"none", 0}, {"admm", 1 + CVXRELU_SDP_ADMM}, {"dsdp", 1 + CVXRELU_SDP_DSDP}, {NULL, 0}};

#define TS(x) offsetof(cvxrelu_train_settings, x)
static const field train_fields[] = {
    {"program", F_CHOICE, TS(program), programs},
    {"task", F_CHOICE, TS(task), tasks},
    {"standardize", F_BOOL, TS(standardize), NULL},
    {"bias", F_BOOL, TS(bias), NULL},
    {"patterns", F_SIZE, TS(patterns), NULL},
    {"all_patterns", F_BOOL, TS(all_patterns), NULL},
    {"width", F_SIZE, TS(width), NULL},
    {"loss", F_CHOICE, TS(loss), losses},
    {"huber_delta", F_DOUBLE, TS(huber_delta), NULL},
    {"lam", F_DOUBLE, TS(lambda), NULL},
    {"lambda_auto", F_BOOL, TS(lambda_auto), NULL},
    {"lambdas", F_SIZE, TS(path.lambdas), NULL},
    {"min_ratio", F_DOUBLE, TS(path.min_ratio), NULL},
    {"folds", F_SIZE, TS(path.folds), NULL},
    {"cv_rule", F_CHOICE, TS(path.rule), cv_rules},
    {"cv_tol", F_DOUBLE, TS(path.cv_tol), NULL},
    {"early_stop", F_BOOL, TS(path.early_stop), NULL},
    {"lambda_ratio", F_DOUBLE, TS(lambda_ratio), NULL},
    {"beta", F_DOUBLE, TS(beta), NULL},
    {"seed", F_U64, TS(seed), NULL},
    {"tol", F_DOUBLE, TS(tol), NULL},
    {"tol_feas", F_DOUBLE, TS(tol_feas), NULL},
    {"max_iter", F_SIZE, TS(max_iter), NULL},
    {"time_limit_s", F_DOUBLE, TS(time_limit_s), NULL},
    {"single_precision", F_BOOL, TS(single_precision), NULL},
    {"screening", F_BOOL, TS(screening), NULL},
    {"working_set", F_BOOL, TS(working_set), NULL},
    {"linear_gate", F_BOOL, TS(linear_gate), NULL},
    {"precondition", F_BOOL, TS(precondition), NULL},
    {"decompose", F_CHOICE, TS(decompose), decompositions},
    {"certify", F_BOOL, TS(certify), NULL},
    {"bounds", F_SBOUNDS, TS(bounds), NULL},
    {"max_memory_bytes", F_DOUBLE, TS(max_memory_bytes), NULL},
    {"width1", F_SIZE, TS(width1), NULL},
    {"subnets", F_SIZE, TS(subnets), NULL},
    {"threads", F_INT, TS(threads), NULL},
    {NULL, F_INT, 0, NULL}};
#undef TS

/* What certify takes: the run's settings and, for a network given as arrays, the input
   transform fitted to the data. */
typedef struct {
    cvxrelu_certify_run_settings rs;
    int task, standardize, bias;
} certify_opts;

#define CS(x) offsetof(certify_opts, x)
static const field certify_fields[] = {
    {"lam", F_DOUBLE, CS(rs.lambda), NULL},
    {"bounds", F_SBOUNDS, CS(rs.bounds.bounds), NULL},
    {"sdp_max_rows", F_SIZE, CS(rs.bounds.sdp_max_rows), NULL},
    {"subsets_max_rows", F_SIZE, CS(rs.bounds.subsets_max_rows), NULL},
    {"samples", F_SIZE, CS(rs.bounds.samples), NULL},
    {"seed", F_U64, CS(rs.bounds.seed), NULL},
    {"tol", F_DOUBLE, CS(rs.bounds.tol), NULL},
    {"time_limit_s", F_DOUBLE, CS(rs.bounds.time_limit_s), NULL},
    {"relaxation", F_CHOICE, CS(rs.relaxation), relaxations},
    {"relaxation_tol", F_DOUBLE, CS(rs.relaxation_tol), NULL},
    {"max_memory_bytes", F_DOUBLE, CS(rs.max_memory_bytes), NULL},
    {"threads", F_INT, CS(rs.threads), NULL},
    {"task", F_CHOICE, CS(task), tasks},
    {"standardize", F_BOOL, CS(standardize), NULL},
    {"bias", F_BOOL, CS(bias), NULL},
    {NULL, F_INT, 0, NULL}};
#undef CS

/* One value into its field; -1 with an exception set. */
static int set_field(const field *f, PyObject *v, char *base, const char *who)
{
    void *p = base + f->offset;
    if (f->kind == F_DOUBLE) {
        double x = PyFloat_AsDouble(v);
        if (x == -1.0 && PyErr_Occurred()) return -1;
        *(double *)p = x;
    } else if (f->kind == F_BOOL) {
        int b = PyObject_IsTrue(v);
        if (b < 0) return -1;
        *(int *)p = b;
    } else if (f->kind == F_SIZE || f->kind == F_U64 || f->kind == F_INT) {
        PyObject *i = PyNumber_Index(v);
        if (!i) return -1;
        long long x = PyLong_AsLongLong(i);
        unsigned long long u = x >= 0 ? (unsigned long long)x : 0;
        if (x == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            u = PyLong_AsUnsignedLongLong(i);
            x = 0;
        }
        Py_DECREF(i);
        if (PyErr_Occurred()) return -1;
        if (f->kind == F_INT) {
            if (x < -1024 || x > 1024) goto range;
            *(int *)p = (int)x;
        } else if (x < 0) {
            goto range;
        } else if (f->kind == F_SIZE) {
            if (u > SIZE_MAX) goto range;
            *(size_t *)p = (size_t)u;
        } else {
            *(uint64_t *)p = (uint64_t)u;
        }
    } else {
        const char *s = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
        if (!s) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "%s: %s must be a str", who, f->name);
            return -1;
        }
        if (f->kind == F_SBOUNDS) {
            cvxrelu_error err = {{0}};
            cvxrelu_status st = cvxrelu_sbounds_parse(s, (unsigned *)p, &err);
            if (st) {
                PyErr_Format(PyExc_ValueError, "%s: bounds: %s", who, err.msg);
                return -1;
            }
            return 0;
        }
        for (const choice *c = f->choices; c->name; c++)
            if (strcmp(c->name, s) == 0) {
                *(int *)p = c->value; /* the enums are int-sized */
                return 0;
            }
        PyErr_Format(PyExc_ValueError, "%s: unknown %s \"%s\"", who, f->name, s);
        return -1;
    }
    return 0;
range:
    PyErr_Format(PyExc_ValueError, "%s: %s is out of range", who, f->name);
    return -1;
}

/* Every key of the dict d into the struct at base by the table; -1 with an exception. */
static int set_fields(const field *table, PyObject *d, void *base, const char *who)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(d, &pos, &key, &value)) {
        const char *k = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
        if (!k) {
            if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "%s: keys must be str", who);
            return -1;
        }
        const field *f = table;
        while (f->name && strcmp(f->name, k) != 0) f++;
        if (!f->name) {
            PyErr_Format(PyExc_TypeError, "%s: unknown setting \"%s\"", who, k);
            return -1;
        }
        if (set_field(f, value, base, who)) return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- train */

/* The cross-validation's findings as a dict (None when it did not run). */
static PyObject *cv_dict(const cvxrelu_cv_report *cv)
{
    if (!cv->run) Py_RETURN_NONE;
    size_t done = cv->lambdas_done;
    return Py_BuildValue(
        "{s:N,s:N,s:N,s:n,s:n,s:n,s:n,s:n,s:d,s:d,s:s,s:O,s:d,s:s}", "grid",
        doubles_list(cv->grid, cv->grid ? cv->lambdas : 0), "mean",
        doubles_list(cv->mean, cv->mean ? done : 0), "se", doubles_list(cv->se, cv->se ? done : 0),
        "lambdas", (Py_ssize_t)cv->lambdas, "folds", (Py_ssize_t)cv->folds, "lambdas_done",
        (Py_ssize_t)done, "best", done ? (Py_ssize_t)cv->best : (Py_ssize_t)-1, "chosen",
        done ? (Py_ssize_t)cv->chosen : (Py_ssize_t)-1, "lambda", cv->lambda, "lambda_max",
        cv->lambda_max, "rule", cv->rule == CVXRELU_CV_ONE_SE ? "one-se" : "min", "early_stop",
        cv->early_stop ? Py_True : Py_False, "time_s", cv->time_s, "exit",
        cvxrelu_exit_string(cv->exit));
}

PyDoc_STRVAR(train_doc,
"train(X, y, texts, names, gates, warm, handle_sigint, settings)\n"
"    -> (model, report_json, cv)\n\n"
"report_json: `cvxrelu train --json`'s keys and time_s (the whole call).\n"
"cvxrelu_train on (X, y): y holds one number per row; texts (a list of str, or None)\n"
"replaces them as text labels; names (None, or one str per column) the feature names\n"
"the model records; gates (None, or m x encoded-columns) and warm (None, or\n"
"a gated model) as cvxrelu_train_settings has them; settings a dict of settings keys\n"
"(program, task, patterns, lam, lambda_auto, lambdas, min_ratio, folds, cv_rule, ...),\n"
"the rest cvxrelu_train_settings_default's.  cv: the cross-validation's dict, or None.");

static PyObject *py_train(PyObject *self, PyObject *args)
{
    PyObject *Xo, *yo, *texts, *names, *gates_o, *warm_o, *settings;
    int handle_sigint;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOOpO!", &Xo, &yo, &texts, &names, &gates_o, &warm_o,
                          &handle_sigint, &PyDict_Type, &settings))
        return NULL;
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    if (set_fields(train_fields, settings, &s, "train")) return NULL;
    s.relu3.tol = s.tol; /* tol is the relative gap of every program (as the CLI's --eps) */
    if (warm_o != Py_None && !(s.warm = unwrap_model(warm_o))) return NULL;
    PyArrayObject *gates = NULL;
    if (gates_o != Py_None) {
        if (!(gates = as_array(gates_o, 2, "gates"))) return NULL;
        s.gates = PyArray_DATA(gates);
        s.n_gates = (size_t)PyArray_DIM(gates, 0);
    }
    PyObject *result = NULL;
    cvxrelu_model *m = NULL;
    cvxrelu_train_report r;
    memset(&r, 0, sizeof r);
    cvxrelu_dataset *ds = dataset_of(Xo, yo, texts, "X");
    if (!ds || (names != Py_None && set_feature_names(ds, names))) goto done;
    if (gates && (size_t)PyArray_DIM(gates, 1) != ds->d + (s.bias ? 1 : 0)) {
        PyErr_Format(PyExc_ValueError, "gates have %zd columns; they act on the encoded "
                     "inputs: %zu here (the features%s)", (Py_ssize_t)PyArray_DIM(gates, 1),
                     ds->d + (s.bias ? 1 : 0), s.bias ? " and the bias" : "");
        goto done;
    }
    cvxrelu_error err = {{0}};
    cvxrelu_status st;
    stop_guard g;
    s.interrupt = stop_begin(&g, handle_sigint);
    Py_BEGIN_ALLOW_THREADS
    st = cvxrelu_train(ds, NULL, &s, &m, &r, &err);
    Py_END_ALLOW_THREADS
    if (stop_end(&g)) goto done;
    if (st) {
        raise_status(st, &err);
        if (r.bad_input && strcmp(r.bad_input, "warm") == 0) {
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_Format(type, "warm start: %S", value);
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
        }
        goto done;
    }
    if (!m) {
        PyErr_SetString(PyExc_RuntimeError, "training stopped before any network was found");
        goto done;
    }
    cvxrelu_json j;
    cvxrelu_json_open(&j);
    cvxrelu_train_report_json(&j, &r, &s, 0);
    cvxrelu_json_num(&j, "time_s", r.time_s); /* the whole call (not in the CLI's JSON) */
    PyObject *report = json_str(&j);
    PyObject *cv = report ? cv_dict(&r.cv) : NULL;
    PyObject *cap = NULL;
    if (cv) {
        cap = wrap_model(m);
        m = NULL; /* the capsule owns it (or freed it) */
    }
    if (cap) result = Py_BuildValue("(NNN)", cap, report, cv);
    else {
        Py_XDECREF(report);
        Py_XDECREF(cv);
    }
done:
    cvxrelu_model_free(m);
    cvxrelu_train_report_free(&r);
    cvxrelu_dataset_free(ds);
    Py_XDECREF(gates);
    return result;
}

/* ----------------------------------------------------------------- path */

PyDoc_STRVAR(path_doc,
"path(X, y, texts, X_test, y_test, texts_test, handle_sigint, settings) -> dict\n\n"
"cvxrelu_path: the run's keys (model, task, n, d, c, patterns, lambda_max, exit,\n"
"time_s) and one list per column (lambda, objective, dual, gap, exit_each, iterations,\n"
"active, neurons, time_each_s, train_mse, train_accuracy, test_mse, test_accuracy).");

static PyObject *py_path(PyObject *self, PyObject *args)
{
    PyObject *Xo, *yo, *texts, *Xto, *yto, *textst, *settings;
    int handle_sigint;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOOpO!", &Xo, &yo, &texts, &Xto, &yto, &textst,
                          &handle_sigint, &PyDict_Type, &settings))
        return NULL;
    cvxrelu_train_settings s;
    cvxrelu_train_settings_default(&s);
    if (set_fields(train_fields, settings, &s, "path")) return NULL;
    s.relu3.tol = s.tol;
    PyObject *result = NULL;
    cvxrelu_path_report r;
    memset(&r, 0, sizeof r);
    cvxrelu_dataset *ds = dataset_of(Xo, yo, texts, "X"), *dt = NULL;
    if (!ds || (Xto != Py_None && !(dt = dataset_of(Xto, yto, textst, "X_test")))) goto done;
    cvxrelu_error err = {{0}};
    cvxrelu_status st;
    stop_guard g;
    s.interrupt = stop_begin(&g, handle_sigint);
    Py_BEGIN_ALLOW_THREADS
    st = cvxrelu_path(ds, dt, &s, &r, &err);
    Py_END_ALLOW_THREADS
    if (stop_end(&g)) goto done;
    if (st) {
        raise_status(st, &err);
        goto done;
    }
    enum { NCOL = 12 };
    static const char *names[NCOL] = {"lambda", "objective", "dual", "gap", "iterations",
                                      "active", "neurons", "time_each_s", "train_mse",
                                      "train_accuracy", "test_mse", "test_accuracy"};
    const size_t k = r.n_points;
    PyObject *cols[NCOL] = {NULL}, *exits = PyList_New((Py_ssize_t)k);
    double *v = malloc((k ? k : 1) * NCOL * sizeof *v);
    if (!v) PyErr_NoMemory();
    if (v && exits) {
        for (size_t i = 0; i < k; i++) {
            const cvxrelu_path_point *p = r.points + i;
            const double row[NCOL] = {p->lambda, p->objective, p->dual, p->gap,
                                      (double)p->iterations, (double)p->active,
                                      (double)p->neurons, p->time_s, p->train.mse,
                                      p->train.accuracy, p->test.mse, p->test.accuracy};
            for (size_t c = 0; c < NCOL; c++) v[c * k + i] = row[c];
            PyObject *e = PyUnicode_FromString(cvxrelu_exit_string(p->exit));
            if (!e) break;
            PyList_SET_ITEM(exits, (Py_ssize_t)i, e);
        }
        for (size_t c = 0; c < NCOL; c++) cols[c] = doubles_list(v + c * k, k);
    }
    free(v);
    PyObject *dict = PyDict_New();
    int bad = !dict || !exits || PyErr_Occurred();
    for (size_t c = 0; c < NCOL; c++) {
        if (!bad && (!cols[c] || PyDict_SetItemString(dict, names[c], cols[c]))) bad = 1;
        Py_XDECREF(cols[c]);
    }
    if (!bad && PyDict_SetItemString(dict, "exit_each", exits)) bad = 1;
    Py_XDECREF(exits);
    PyObject *run = bad ? NULL : Py_BuildValue(
        "{s:s,s:s,s:n,s:n,s:n,s:n,s:d,s:s,s:d}", "model",
        cvxrelu_path_model_string(&r), "task",
        r.task == CVXRELU_TASK_CLASSIFICATION ? "classification" : "regression", "n",
        (Py_ssize_t)r.n, "d", (Py_ssize_t)r.d, "c", (Py_ssize_t)r.c, "patterns",
        (Py_ssize_t)r.patterns, "lambda_max", r.lambda_max, "exit", cvxrelu_exit_string(r.exit),
        "time_s", r.time_s);
    if (!run || PyDict_Update(dict, run)) bad = 1;
    Py_XDECREF(run);
    if (bad) Py_XDECREF(dict);
    else result = dict;
done:
    cvxrelu_path_report_free(&r);
    cvxrelu_dataset_free(ds);
    cvxrelu_dataset_free(dt);
    return result;
}

/* -------------------------------------------------------------- certify */

PyDoc_STRVAR(certify_doc,
"certify(model, X, y, texts, W, a, out, handle_sigint, settings) -> report_json\n\n"
"cvxrelu_certify_run on labelled rows (X, y[, texts]) for model (a ReLU model), or when\n"
"model is None for the network W (m x inputs), a (m), out (m output indices, or None)\n"
"on the input transform fitted to the data (settings task, standardize, bias).  The\n"
"report as the JSON of `cvxrelu certify --json`.");

static PyObject *py_certify(PyObject *self, PyObject *args)
{
    PyObject *mo, *Xo, *yo, *texts, *Wo, *ao, *outo, *settings;
    int handle_sigint;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOOOpO!", &mo, &Xo, &yo, &texts, &Wo, &ao, &outo,
                          &handle_sigint, &PyDict_Type, &settings))
        return NULL;
    certify_opts o;
    memset(&o, 0, sizeof o);
    cvxrelu_certify_run_settings_default(&o.rs);
    o.task = CVXRELU_TASK_AUTO;
    if (set_fields(certify_fields, settings, &o, "certify")) return NULL;
    cvxrelu_model *own = NULL;
    const cvxrelu_model *m = NULL;
    PyArrayObject *W = NULL, *a = NULL, *out = NULL;
    PyObject *result = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st;
    if (mo != Py_None && !(m = unwrap_model(mo))) return NULL;
    cvxrelu_dataset *ds = dataset_of(Xo, yo, texts, "X");
    if (!ds) goto done;
    if (!m) { /* the network from arrays, on the transform fitted to these rows */
        if (!(W = as_array(Wo, 2, "W")) || !(a = as_array(ao, 1, "a"))) goto done;
        size_t nm = (size_t)PyArray_DIM(W, 0);
        if ((size_t)PyArray_DIM(a, 0) != nm) {
            PyErr_Format(PyExc_ValueError, "W has %zu rows (neurons) but a has %zd entries", nm,
                         (Py_ssize_t)PyArray_DIM(a, 0));
            goto done;
        }
        size_t *idx = calloc(nm ? nm : 1, sizeof *idx);
        if (!idx) {
            PyErr_NoMemory();
            goto done;
        }
        if (outo != Py_None) {
            if (!(out = as_array(outo, 1, "out"))) {
                free(idx);
                goto done;
            }
            const double *ov = PyArray_DATA(out);
            for (size_t j = 0; j < nm && !PyErr_Occurred(); j++) {
                if ((size_t)PyArray_DIM(out, 0) != nm || !(ov[j] >= 0) || ov[j] != floor(ov[j]))
                    PyErr_SetString(PyExc_ValueError, "out must hold one output index "
                                    "(an integer >= 0) per neuron");
                else idx[j] = (size_t)ov[j];
            }
            if (PyErr_Occurred()) {
                free(idx);
                goto done;
            }
        }
        cvxrelu_encoding *enc = NULL;
        st = cvxrelu_encoding_fit(ds, (cvxrelu_task)o.task, o.standardize, o.bias, &enc, &err);
        if (!st && (size_t)PyArray_DIM(W, 1) != enc->d) {
            PyErr_Format(PyExc_ValueError, "W has %zd columns but the network's inputs are "
                         "%zu (the %zu features%s)", (Py_ssize_t)PyArray_DIM(W, 1), enc->d,
                         enc->d_raw, o.bias ? " and the bias" : "");
            cvxrelu_encoding_free(enc);
            free(idx);
            goto done;
        }
        if (!st) {
            if (!(o.rs.lambda > 0)) {
                PyErr_SetString(PyExc_ValueError, "certify: a network given as weights "
                                "needs lam > 0");
                cvxrelu_encoding_free(enc);
                free(idx);
                goto done;
            }
            st = cvxrelu_model_from_arrays(CVXRELU_MODEL_RELU, nm, PyArray_DATA(W),
                                           PyArray_DATA(a), idx, o.rs.lambda, enc, &own, &err);
        }
        free(idx);
        if (st) {
            raise_status(st, &err);
            goto done;
        }
        m = own;
    } else if (isnan(o.rs.lambda) && !(m->lambda > 0.0)) {
        PyErr_Format(PyExc_ValueError, "certify: the model's lambda is %g; give lam > 0",
                     m->lambda);
        goto done;
    }
    if ((st = cvxrelu_certify_check(m, o.rs.relaxation, &err))) {
        raise_status(st, &err);
        goto done;
    }
    cvxrelu_certify_report r;
    stop_guard g;
    o.rs.bounds.interrupt = stop_begin(&g, handle_sigint);
    Py_BEGIN_ALLOW_THREADS
    st = cvxrelu_certify_run(m, ds, &o.rs, &r, &err);
    Py_END_ALLOW_THREADS
    if (stop_end(&g)) goto done;
    if (st) {
        raise_status(st, &err);
        goto done;
    }
    cvxrelu_json j;
    cvxrelu_json_open(&j);
    cvxrelu_certify_report_json(&j, &r, mo == Py_None ? "(weights)" : "(model)", "(memory)");
    result = json_str(&j);
done:
    cvxrelu_model_free(own);
    cvxrelu_dataset_free(ds);
    Py_XDECREF(W);
    Py_XDECREF(a);
    Py_XDECREF(out);
    return result;
}

/* -------------------------------------------------------------- predict */

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
    cvxrelu_dataset *ds = dataset_of(Xo, Py_None, Py_None, "X");
    if (!ds) return NULL;
    const size_t n = ds->n, c = m->enc->c;
    PyObject *Yo = NULL, *Io = NULL, *result = NULL;
    double *Yhat = NULL;
    cvxrelu_error err = {{0}};
    cvxrelu_status st;
    Py_BEGIN_ALLOW_THREADS
    st = cvxrelu_model_predict(m, ds, &Yhat, &err);
    Py_END_ALLOW_THREADS
    if (st) {
        raise_status(st, &err);
        goto done;
    }
    if (!(Yo = matrix_copy(Yhat, n, c))) goto done;
    if (m->enc->task == CVXRELU_TASK_CLASSIFICATION) {
        npy_intp dim = (npy_intp)n;
        if (!(Io = PyArray_SimpleNew(1, &dim, NPY_INTP))) goto done;
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
    return result;
}

/* ----------------------------------------------------------- model files */

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

static const char *kind_name(const cvxrelu_model *m)
{
    return m->kind == CVXRELU_MODEL_GATED ? "gated" : m->kind == CVXRELU_MODEL_RELU ? "relu"
                                                                                : "relu3";
}

PyDoc_STRVAR(info_doc,
"info(model) -> dict: kind, task, classes (list of str, empty for regression),\n"
"feature_names (list of str, or None),\n"
"n_features (raw columns), inputs (encoded columns), outputs, neurons, lambda,\n"
"patterns, objective, gap, standardize, bias, loss (the loss it was trained with).");

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
    PyObject *names = Py_None;
    Py_INCREF(names);
    if (e->header && e->feature_names) {
        Py_DECREF(names);
        if (!(names = PyList_New((Py_ssize_t)e->d_raw))) {
            Py_DECREF(classes);
            return NULL;
        }
        for (size_t j = 0; j < e->d_raw; j++) {
            PyObject *t = PyUnicode_FromString(e->feature_names[j] ? e->feature_names[j] : "");
            if (!t) {
                Py_DECREF(names);
                Py_DECREF(classes);
                return NULL;
            }
            PyList_SET_ITEM(names, (Py_ssize_t)j, t);
        }
    }
    const char *task = e->task == CVXRELU_TASK_CLASSIFICATION ? "classification" : "regression";
    return Py_BuildValue("{s:s,s:s,s:N,s:N,s:n,s:n,s:n,s:n,s:d,s:n,s:d,s:d,s:O,s:O,s:s}", "kind",
                         kind_name(m), "task", task, "classes", classes, "feature_names",
                         names, "n_features", (Py_ssize_t)e->d_raw, "inputs",
                         (Py_ssize_t)e->d, "outputs",
                         (Py_ssize_t)e->c, "neurons", (Py_ssize_t)m->m, "lambda", m->lambda,
                         "patterns", (Py_ssize_t)m->patterns, "objective", m->objective, "gap",
                         m->gap, "standardize", e->standardize ? Py_True : Py_False, "bias",
                         e->bias ? Py_True : Py_False, "loss", cvxrelu_loss_name(m->loss));
}

PyDoc_STRVAR(arrays_doc,
"arrays(model) -> dict of copies: W (first layer, neurons x inputs), a, out (two-layer\n"
"block-diagonal models), G (gated models), V (dense second layer), W2 (relu3), mean and\n"
"scale (the input standardization); absent keys where the model has none.");

static int put(PyObject *d, const char *key, PyObject *v)
{
    int bad = !v || PyDict_SetItemString(d, key, v);
    Py_XDECREF(v);
    return bad;
}

static PyObject *py_arrays(PyObject *self, PyObject *args)
{
    PyObject *mo;
    (void)self;
    if (!PyArg_ParseTuple(args, "O", &mo)) return NULL;
    const cvxrelu_model *m = unwrap_model(mo);
    if (!m) return NULL;
    const cvxrelu_encoding *e = m->enc;
    const size_t rows = m->kind == CVXRELU_MODEL_RELU3 ? m->m * m->width1 : m->m;
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    int bad = put(d, "W", matrix_copy(m->W, rows, m->d));
    if (!bad && m->G) bad = put(d, "G", matrix_copy(m->G, m->m, m->d));
    if (!bad && m->V) bad = put(d, "V", matrix_copy(m->V, m->m, e->c));
    if (!bad && m->W2) bad = put(d, "W2", matrix_copy(m->W2, m->m, m->width1));
    if (!bad && m->a && !m->V) bad = put(d, "a", matrix_copy(m->a, 1, m->m));
    if (!bad && m->out && !m->V) {
        npy_intp dim = (npy_intp)m->m;
        PyObject *o = PyArray_SimpleNew(1, &dim, NPY_INTP);
        if (o)
            for (size_t j = 0; j < m->m; j++)
                ((npy_intp *)PyArray_DATA((PyArrayObject *)o))[j] = (npy_intp)m->out[j];
        bad = put(d, "out", o);
    }
    if (!bad && e->mean) bad = put(d, "mean", matrix_copy(e->mean, 1, e->d_raw));
    if (!bad && e->scale) bad = put(d, "scale", matrix_copy(e->scale, 1, e->d_raw));
    if (bad) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

/* ------------------------------------------------------------------ BLAS */

PyDoc_STRVAR(blas_doc,
"blas() -> (info, better_core): cvxrelu_blas_info() and cvxrelu_blas_better_core()\n"
"(the OpenBLAS kernel this CPU should use when the one running is slower, else None;\n"
"OpenBLAS reads OPENBLAS_CORETYPE only when it is loaded: set it before Python starts).");

static PyObject *py_blas(PyObject *self, PyObject *args)
{
    (void)self;
    (void)args;
    const char *better = cvxrelu_blas_better_core();
    return Py_BuildValue("(sz)", cvxrelu_blas_info(), better);
}

static PyMethodDef core_methods[] = {
    {"blas", py_blas, METH_NOARGS, blas_doc},
    {"train", py_train, METH_VARARGS, train_doc},
    {"path", py_path, METH_VARARGS, path_doc},
    {"certify", py_certify, METH_VARARGS, certify_doc},
    {"predict", py_predict, METH_VARARGS, predict_doc},
    {"load", py_load, METH_VARARGS, load_doc},
    {"save", py_save, METH_VARARGS, save_doc},
    {"info", py_info, METH_VARARGS, info_doc},
    {"arrays", py_arrays, METH_VARARGS, arrays_doc},
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
