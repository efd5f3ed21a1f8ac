"""ConvexReLUClassifier and ConvexReLURegressor (docs/python.md, "Estimators")."""

import json
import numbers

import numpy as np

from . import _core
from ._base import (BaseEstimator, ClassifierMixin, Model, NotFittedError, RegressorMixin,
                    blas_threads, check_classification_targets, check_feature_names,
                    check_X, check_y, classes_in_library_order, encode_labels,
                    handle_sigint)


def _cv_attribute(cv):
    """The cross-validation's dict with its lists as numpy arrays."""
    if cv is None:
        return None
    cv = dict(cv)
    for k in ("grid", "mean", "se"):
        cv[k] = np.asarray(cv[k], dtype=np.float64)
    return cv


class _ConvexReLUBase(BaseEstimator):
    _task = "auto"

    def __init__(self, model="gated", patterns=100, lam=1e-3, seed=0, tol=1e-6,
                 max_iter=10000, time_limit=0.0, decompose=None, certify=True,
                 standardize=True, bias=True, folds=5, cv_rule="min", lambdas=20,
                 lambda_min_ratio=1e-3, gates=None, warm_start=False, loss="auto",
                 huber_delta=1.0, linear_gate=False):
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
        self.folds = folds
        self.cv_rule = cv_rule
        self.lambdas = lambdas
        self.lambda_min_ratio = lambda_min_ratio
        self.gates = gates
        self.warm_start = warm_start
        self.loss = loss
        self.huber_delta = huber_delta
        self.linear_gate = linear_gate

    def _settings(self):
        auto = isinstance(self.lam, str)
        if auto and self.lam != "auto":
            raise ValueError(f"lam must be a number > 0 or \"auto\", got {self.lam!r}")
        if not auto and not (isinstance(self.lam, numbers.Real) and self.lam > 0):
            raise ValueError(f"lam must be a number > 0 or \"auto\", got {self.lam!r}")
        if self.linear_gate and not self.bias:
            raise ValueError("linear_gate=True adds the gate along the bias column: it needs "
                             "bias=True")
        return dict(program=str(self.model), task=self._task, patterns=int(self.patterns),
                    loss=str(self.loss), huber_delta=float(self.huber_delta),
                    lam=1e-3 if auto else float(self.lam), lambda_auto=auto,
                    folds=int(self.folds), cv_rule=str(self.cv_rule),
                    lambdas=int(self.lambdas), min_ratio=float(self.lambda_min_ratio),
                    seed=int(self.seed), tol=float(self.tol), max_iter=int(self.max_iter),
                    time_limit_s=float(self.time_limit),
                    decompose="none" if self.decompose is None else str(self.decompose),
                    certify=bool(self.certify), standardize=bool(self.standardize),
                    bias=bool(self.bias), linear_gate=bool(self.linear_gate),
                    threads=blas_threads())

    def _fit(self, X, y, texts):
        settings = self._settings()  # checks the parameters before any work
        if settings["lambda_auto"] and X.shape[0] < 2:
            raise ValueError(f"lam=\"auto\" chooses lambda by cross-validation over "
                             f"{settings['folds']} folds of the rows: it needs at least 2 "
                             f"samples, got {X.shape[0]} sample")
        warm = None
        if self.warm_start and hasattr(self, "model_"):
            kind = self.model_.info["kind"]
            if kind != "gated":
                raise ValueError(f"warm_start: the previous fit's network is a {kind} "
                                 f"network, and warm starts begin from a gated one (fit "
                                 f"first with model=\"gated\" and decompose=None)")
            warm = self.model_._handle
        gates = None if self.gates is None else np.asarray(self.gates, dtype=np.float64)
        names = getattr(self, "feature_names_in_", None)
        names = None if names is None else [str(v) for v in names]
        handle, report, cv = _core.train(X, y, texts, names, gates, warm, handle_sigint(),
                                         settings)
        return Model(handle), json.loads(report), _cv_attribute(cv)

    def _guarded_fit(self, X, y, prepare):
        """fit's common part: feature names, checks, prepare(X, y) -> (values, texts,
        classes), the training.  A failure (or Ctrl-C) leaves the estimator as it was."""
        before = {k: self.__dict__[k] for k in ("feature_names_in_",) if k in self.__dict__}
        try:
            check_feature_names(self, X, reset=True)
            X = check_X(X)
            values, texts, classes = prepare(X, y)
            model, report, cv = self._fit(X, values, texts)
        except BaseException:
            self.__dict__.pop("feature_names_in_", None)
            self.__dict__.update(before)
            raise
        if classes is not None:
            classes = classes_in_library_order(classes, model.info["classes"])
        self._set_fitted(model, report, cv, classes)
        return self

    def _set_fitted(self, model, report, cv, classes):
        self.model_ = model
        self.report_ = report
        self.cv_ = cv
        self.n_features_in_ = model.info["n_features"]
        self.lambda_ = model.info["lambda"]
        if report is not None:
            self.n_iter_ = int(report.get("iterations", 0))
        if classes is not None:
            self.classes_ = classes

    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet. "
                                 f"Call 'fit' with appropriate arguments before using this "
                                 f"estimator.")

    def _X(self, X):
        self._check_fitted()
        check_feature_names(self, X, reset=False)
        return check_X(X, self.n_features_in_, name=type(self).__name__)

    @property
    def weights_(self):
        """The fitted network's weights (Model.arrays: W, a, out, G, mean, scale, ...)."""
        self._check_fitted()
        return self.model_.arrays()

    def save(self, path):
        """The fitted model as a model file the CLI reads (`cvxrelu predict`, `info`)."""
        self._check_fitted()
        self.model_.save(path)


class ConvexReLUClassifier(ClassifierMixin, _ConvexReLUBase):
    """A two-layer ReLU network classifier trained by convex optimization.

    Parameters (defaults are the library's, cvxrelu_train_settings_default):
    model ("gated", "relu", "relu3", "sdp", "local"), patterns, lam (the
    regularization lambda, or "auto": chosen by cross-validation with folds,
    cv_rule ("min", the default, or "one-se"), lambdas, lambda_min_ratio), seed, tol, max_iter,
    time_limit (seconds, 0 = none), decompose (None, "closed", "min-norm", "auto":
    gated to ReLU), certify, standardize, bias, gates (None, or gates whose patterns
    come first: m x (features + bias), on the standardized features), warm_start
    (refit from the previous gated model), loss ("auto": logistic for two classes,
    "ce" for more, "squared" for regression and the squared-only programs; or
    "squared", "logistic", "ce", "huber" with huber_delta).

    Fitted attributes: classes_, n_features_in_, lambda_ (the lambda used), cv_
    (lam="auto": grid, mean, se, chosen, lambda, ...; else None), n_iter_, report_
    (the JSON report of `cvxrelu train --json` as a dict), model_ (the network),
    weights_ (its arrays).
    """

    _task = "classification"

    def fit(self, X, y):
        """Train on rows X (n x features) with class labels y (numbers or strings)."""
        def prepare(X, y):
            y = check_y(y, X.shape[0], regression=False)
            check_classification_targets(y)
            classes, values, texts = encode_labels(y)
            return values, texts, classes
        return self._guarded_fit(X, y, prepare)

    def decision_function(self, X):
        """The network's outputs: n values (two classes: > 0 for classes_[1]) or
        n x classes (one-hot targets: the largest wins)."""
        X = self._X(X)
        out = self.model_.outputs(X)
        return out[:, 0] if out.shape[1] == 1 else out

    def predict_proba(self, X):
        """Class probabilities summing to 1.  A network trained with the logistic or
        the ce loss (the default for classification) models them: sigma(f) for
        classes_[1] (two classes), the softmax of the outputs (more), as `cvxrelu
        predict --scores` writes them.  Trained with squared or Huber loss (fitted to
        +-1 or one-hot targets), the scores are a softmax of 2 x the outputs (two
        classes: of -f and f): monotone in decision_function and consistent with
        predict, but not calibrated (sklearn.calibration.CalibratedClassifierCV)."""
        return np.exp(self.predict_log_proba(X))

    def predict_log_proba(self, X):
        """log of predict_proba (computed as a log-softmax: finite however large the
        outputs)."""
        f = self.decision_function(X)
        scale = 1.0 if self.model_.info["loss"] in ("logistic", "ce") else 2.0
        if f.ndim == 1 and scale == 1.0:  # sigma(f) = softmax of (0, f)
            z = np.column_stack([np.zeros_like(f), f])
        else:
            z = scale * (np.column_stack([-f, f]) if f.ndim == 1 else f)
        z -= z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def predict(self, X):
        """The class of each row of X (from classes_)."""
        X = self._X(X)
        return self.classes_[_core.predict(self.model_._handle, X)[1]]


class ConvexReLURegressor(RegressorMixin, _ConvexReLUBase):
    """A two-layer ReLU network regressor trained by convex optimization
    (parameters and fitted attributes as ConvexReLUClassifier's, without classes_;
    one output: y is 1-D)."""

    _task = "regression"

    def fit(self, X, y):
        """Train on rows X (n x features) with real targets y (n)."""
        return self._guarded_fit(
            X, y, lambda X, y: (check_y(y, X.shape[0], regression=True), None, None))

    def predict(self, X):
        """The network's value at each row of X."""
        X = self._X(X)
        return _core.predict(self.model_._handle, X)[0][:, 0]
