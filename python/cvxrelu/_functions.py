"""Functions over the library: load, path, certify (docs/python.md)."""

import json
import os

import numpy as np

from . import _core
from ._base import Model, blas_threads, check_X, check_y, encode_labels, handle_sigint


def load(path):
    """A model file (from the CLI or from .save) as a fitted estimator: a
    ConvexReLUClassifier for a classification model, else a ConvexReLURegressor.
    Loaded classifiers' classes_ are the model file's class labels (str)."""
    from ._estimators import ConvexReLUClassifier, ConvexReLURegressor
    model = Model(_core.load(os.fspath(path)))
    if model.info["task"] == "classification":
        est = ConvexReLUClassifier()
        classes = np.array(model.info["classes"])
    else:
        est, classes = ConvexReLURegressor(), None
    est._set_fitted(model, None, None, classes)
    return est


def _labels(y, n, task):
    """(values, texts) for the library; task "auto" as the CLI guesses it."""
    y = check_y(y, n, regression=task == "regression")
    if task == "regression":
        return y, None
    if task == "classification":
        _, values, texts = encode_labels(y)
        return values, texts
    if y.dtype.kind in "biuf":
        return y.astype(np.float64), None
    return np.zeros(n), [str(v) for v in y]


_PATH_COLUMNS = ("lambda", "objective", "dual", "gap", "iterations", "active", "neurons",
                 "time_each_s", "train_mse", "train_accuracy", "test_mse", "test_accuracy")


def path(X, y, *, model="gated", task="auto", lambdas=20, min_ratio=1e-3, patterns=100,
         seed=0, tol=1e-6, max_iter=10000, time_limit=0.0, standardize=True, bias=True,
         X_test=None, y_test=None, linear_gate=False, width1=3, subnets=20):
    """The regularization path (cvxrelu_path; `cvxrelu path`) of model "gated", "relu" or
    "relu3" (over subnets sampled sub-networks of width1 neurons): lambdas values of lambda
    from lambda_max down to min_ratio * lambda_max, each solve warm-started from the one
    before.  Returns a dict: per-lambda numpy arrays lambda, objective, dual, gap,
    iterations, active (non-zero groups), neurons, time_each_s, train_mse,
    train_accuracy, test_mse, test_accuracy (NaN where they do not apply) and exit_each
    (str); and the run's model, task, n, d, c, patterns, lambda_max, exit, time_s.
    Ctrl-C stops it (KeyboardInterrupt)."""
    X = check_X(X)
    values, texts = _labels(y, X.shape[0], task)
    Xt = yt = tt = None
    if X_test is not None:
        Xt = check_X(X_test, X.shape[1], what="X_test", name="the training data")
        yt, tt = _labels(y_test, Xt.shape[0], task)
    settings = dict(program=str(model), task=str(task), lambdas=int(lambdas),
                    min_ratio=float(min_ratio), patterns=int(patterns), seed=int(seed),
                    tol=float(tol), max_iter=int(max_iter), time_limit_s=float(time_limit),
                    standardize=bool(standardize), bias=bool(bias),
                    linear_gate=bool(linear_gate), width1=int(width1), subnets=int(subnets),
                    threads=blas_threads())
    r = _core.path(X, values, texts, Xt, yt, tt, handle_sigint(), settings)
    for k in _PATH_COLUMNS:
        r[k] = np.asarray(r[k], dtype=np.float64)
    for k in ("iterations", "active", "neurons"):
        r[k] = r[k].astype(np.int64)
    r["exit_each"] = np.array(r["exit_each"], dtype=object)
    return r


def certify(network, X, y, lam=None, *, bounds="all", relaxation=None, tol=1e-6,
            samples=256, seed=1, time_limit=0.0, task="auto", standardize=False, bias=False):
    """Bounds on the global optimum of the two-layer ReLU network with weight decay on
    (X, y) at lam (cvxrelu_certify_run; `cvxrelu certify`, docs/cli.md "certify").

    network: a fitted estimator or Model with a ReLU network (model="relu", or a
    decomposed gated one), a model file's path, or the weights of a network trained
    elsewhere as (W, a) or (W, a, out): W m x inputs, a the m output weights, out the
    output of each neuron (default all 0).  Weights act on the raw columns of X (with
    standardize=True, on standardized ones; with bias=True, the last input is a
    constant 1) and need lam.  lam None: the model's.  relaxation "admm" or "dsdp"
    adds the SDP relaxation's bound.  Returns the report of `cvxrelu certify --json`
    as a dict (upper_bound, lower_bound, ratio, certified_optimal, ...)."""
    W = a = out = None
    handle = None
    if isinstance(network, (str, os.PathLike)):
        handle = _core.load(os.fspath(network))
    elif isinstance(network, Model):
        handle = network._handle
    elif hasattr(network, "model_"):
        handle = network.model_._handle
    elif isinstance(network, tuple) and len(network) in (2, 3):
        W, a = network[0], network[1]
        out = network[2] if len(network) == 3 else None
        if lam is None:
            raise ValueError("certify: a network given as weights needs lam")
    else:
        raise TypeError("certify: network must be a fitted estimator, a Model, a model "
                        "file's path, or a tuple (W, a) or (W, a, out) of weights")
    if handle is not None:
        info = _core.info(handle)
        X = check_X(X, info["n_features"], name="the model")
        classification = info["task"] == "classification"
    else:
        X = check_X(X)
        classification = task == "classification"
    y = check_y(y, X.shape[0], regression=False)
    if classification or (handle is None and task == "auto" and y.dtype.kind not in "biuf"):
        values, texts = (y.astype(np.float64), None) if y.dtype.kind in "biuf" else \
            (np.zeros(len(y)), [str(v) for v in y])
    else:
        values, texts = check_y(y, X.shape[0], regression=True), None
    settings = dict(bounds=str(bounds), relaxation="none" if relaxation is None else
                    str(relaxation), tol=float(tol), samples=int(samples), seed=int(seed),
                    time_limit_s=float(time_limit), threads=blas_threads())
    if lam is not None:
        settings["lam"] = float(lam)
    if handle is None:
        settings.update(task=str(task), standardize=bool(standardize), bias=bool(bias))
    return json.loads(_core.certify(handle, X, values, texts, W, a, out, handle_sigint(),
                                    settings))
