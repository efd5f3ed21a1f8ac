"""cvxrelu: train ReLU networks by convex optimization (docs/python.md).

ConvexReLUClassifier and ConvexReLURegressor follow scikit-learn's conventions
over libcvxrelu's one-shot training (cvxrelu_train, the pipeline of
`cvxrelu train`); load/save read and write the model files the CLI writes.
The regularization parameter is named ``lam`` (the library's lambda, on its
canonical scale: docs/algorithms.md, "The objective and its scale").
"""

import json
import threading

import numpy as np

from . import _core

__all__ = ["ConvexReLUClassifier", "ConvexReLURegressor", "Model", "load", "__version__"]
__version__ = _core.version

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import NotFittedError
except ImportError:  # the estimators work without scikit-learn, with fewer extras
    class BaseEstimator:
        """get_params/set_params from the __init__ parameters (scikit-learn's shape)."""

        @classmethod
        def _get_param_names(cls):
            import inspect
            sig = inspect.signature(cls.__init__)
            return sorted(p for p in sig.parameters if p != "self")

        def get_params(self, deep=True):
            return {k: getattr(self, k) for k in self._get_param_names()}

        def set_params(self, **params):
            valid = self._get_param_names()
            for k, v in params.items():
                if k not in valid:
                    raise ValueError(f"invalid parameter {k!r} for {type(self).__name__}")
                setattr(self, k, v)
            return self

    class ClassifierMixin:
        _estimator_type = "classifier"

        def score(self, X, y):
            return float(np.mean(self.predict(X) == np.asarray(y)))

    class RegressorMixin:
        _estimator_type = "regressor"

        def score(self, X, y):
            y = np.asarray(y, dtype=float)
            p = self.predict(X)
            return 1.0 - float(np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2))

    class NotFittedError(ValueError, AttributeError):
        """The estimator is used before fit."""


def _check_X(X, n_features=None):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (samples x features), got {X.ndim}-D")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinity")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but the model expects {n_features}")
    return np.ascontiguousarray(X)


class Model:
    """A trained network (cvxrelu_model): what the CLI's model files hold."""

    def __init__(self, handle):
        self._handle = handle
        self.info = _core.info(handle)

    def predict_raw(self, X):
        """The network's outputs on raw rows X: an n x outputs array."""
        return _core.predict(self._handle, _check_X(X, self.info["n_features"]))[0]

    def save(self, path):
        """The model file, in the format `cvxrelu train -o` writes (atomically)."""
        _core.save(self._handle, str(path))


def load(path):
    """A model file (from the CLI or from .save) as a fitted estimator: a
    ConvexReLUClassifier for a classification model, else a ConvexReLURegressor.
    Loaded classifiers' classes_ are the model file's class labels (str)."""
    model = Model(_core.load(str(path)))
    est = (ConvexReLUClassifier() if model.info["task"] == "classification"
           else ConvexReLURegressor())
    est._set_fitted(model, None, np.array(model.info["classes"], dtype=object))
    return est


class _ConvexReLUBase(BaseEstimator):
    _task = "auto"

    def __init__(self, model="gated", patterns=100, lam=1e-3, seed=0, tol=1e-6,
                 max_iter=10000, time_limit=0.0, decompose=None, certify=True,
                 standardize=True, bias=True):
        self.model = model
        self.patterns = patterns
        self.lam = lam
        self.seed = seed
        self.tol = tol
        self.max_iter = max_iter
        self.time_limit = time_limit
        self.decompose = decompose
        self.certify = certify
        self.standardize = standardize
        self.bias = bias

    def _settings(self):
        return dict(program=str(self.model), task=self._task, patterns=int(self.patterns),
                    lam=float(self.lam), seed=int(self.seed), tol=float(self.tol),
                    max_iter=int(self.max_iter), time_limit_s=float(self.time_limit),
                    decompose="none" if self.decompose is None else str(self.decompose),
                    certify=bool(self.certify), standardize=bool(self.standardize),
                    bias=bool(self.bias),
                    handle_sigint=threading.current_thread() is threading.main_thread())

    def _fit(self, X, y, texts):
        handle, report = _core.train(X, y, texts, **self._settings())
        return Model(handle), json.loads(report)

    def _set_fitted(self, model, report, classes):
        self.model_ = model
        self.report_ = report
        self.n_features_in_ = model.info["n_features"]
        if classes is not None and model.info["task"] == "classification":
            self.classes_ = classes

    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def _check_Xy(self, X, y):
        X = _check_X(X)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} entries")
        return X, y

    def save(self, path):
        """The fitted model as a model file the CLI reads (`cvxrelu predict`, `info`)."""
        self._check_fitted()
        self.model_.save(path)

    def decision_function(self, X):
        """The network's outputs: n values (one output) or n x outputs."""
        self._check_fitted()
        out = self.model_.predict_raw(X)
        return out[:, 0] if out.shape[1] == 1 else out


class ConvexReLUClassifier(ClassifierMixin, _ConvexReLUBase):
    """A two-layer ReLU network classifier trained by convex optimization.

    Parameters (defaults are the library's, cvxrelu_train_settings_default):
    model ("gated", "relu", "relu3", "sdp", "local"), patterns, lam (the
    regularization lambda), seed, tol, max_iter, time_limit (seconds, 0 = none),
    decompose (None, "closed", "min-norm", "auto": gated to ReLU), certify,
    standardize, bias.

    Fitted attributes: classes_, n_features_in_, report_ (the JSON report of
    `cvxrelu train --json` as a dict), model_ (the trained network).
    """

    _task = "classification"

    def fit(self, X, y):
        X, y = self._check_Xy(X, y)
        classes, codes = np.unique(y, return_inverse=True)
        if classes.shape[0] < 2:
            raise ValueError("y needs at least two classes")
        if np.issubdtype(classes.dtype, np.number) or classes.dtype == bool:
            values = y.astype(np.float64)
            if not np.all(np.isfinite(values)):
                raise ValueError("y contains NaN or infinity")
            texts = None
        else:
            values = codes.astype(np.float64)
            texts = [str(v) for v in y]
        model, report = self._fit(X, values, texts)
        if len(model.info["classes"]) != len(classes):
            raise RuntimeError("the library found other classes than numpy.unique")
        self._set_fitted(model, report, classes)
        return self

    def predict(self, X):
        """The class of each row of X (from classes_)."""
        self._check_fitted()
        X = _check_X(X, self.n_features_in_)
        return self.classes_[_core.predict(self.model_._handle, X)[1]]


class ConvexReLURegressor(RegressorMixin, _ConvexReLUBase):
    """A two-layer ReLU network regressor trained by convex optimization
    (parameters and fitted attributes as ConvexReLUClassifier's, without classes_)."""

    _task = "regression"

    def fit(self, X, y):
        X, y = self._check_Xy(X, y)
        y = y.astype(np.float64)
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinity")
        model, report = self._fit(X, y, None)
        self._set_fitted(model, report, None)
        return self

    def predict(self, X):
        """The network's value at each row of X."""
        self._check_fitted()
        X = _check_X(X, self.n_features_in_)
        return _core.predict(self.model_._handle, X)[0][:, 0]
