"""What the estimators and functions share: input checks, labels, the Model
handle, the stop and thread rules, and stand-ins when scikit-learn is absent."""

import os
import signal
import tempfile
import threading

import numpy as np

from . import _core

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_array
    HAVE_SKLEARN = True
except ImportError:  # the estimators work without scikit-learn, with fewer extras
    HAVE_SKLEARN = False

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

    def check_classification_targets(y):
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise ValueError("Unknown label type: 'continuous' (a classifier needs class "
                             "labels; use ConvexReLURegressor for real-valued targets)")

    check_array = None


def handle_sigint():
    """Whether a call may catch Ctrl-C itself: in the main thread (signal handlers belong
    to it) while Python's default handler (KeyboardInterrupt) is the one installed; a
    program with a handler of its own keeps it."""
    return (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler)


def blas_threads():
    """The CLI's thread rule: OPENBLAS_NUM_THREADS or OMP_NUM_THREADS when set (1 to
    1024), else 0 (the library picks by the size of each phase's products)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        v = os.environ.get(var, "")
        if v.isdigit() and 1 <= int(v) <= 1024:
            return int(v)
    return 0


def check_feature_names(est, X, reset):
    """scikit-learn's feature-name rule: fit on a table with str column names (a pandas
    DataFrame) sets feature_names_in_; later calls with other names are refused
    (ValueError), without names warned about.  Nothing without scikit-learn."""
    if not HAVE_SKLEARN:
        return
    try:
        from sklearn.utils.validation import _check_feature_names  # scikit-learn >= 1.6
    except ImportError:
        _check_feature_names = None
    if _check_feature_names is None:
        est._check_feature_names(X, reset=reset)  # the method before 1.6
    else:
        _check_feature_names(est, X, reset=reset)


def check_X(X, n_features=None, what="X", name="the model"):
    """X as a C-contiguous float64 matrix (no copy when it is one): finite, at least
    one row and one column, n_features columns when given; else ValueError."""
    if HAVE_SKLEARN:
        X = check_array(X, dtype=np.float64, order="C", input_name=what)
    else:
        if hasattr(X, "toarray"):
            raise TypeError("a sparse matrix was passed, but dense data is required "
                            "(use X.toarray())")
        X = np.asarray(X)
        if np.iscomplexobj(X):
            raise ValueError("Complex data not supported")
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"{what} must be a 2-D array (samples x features), got "
                             f"{X.ndim}-D; reshape 1-D data with X.reshape(-1, 1) (one "
                             f"feature) or X.reshape(1, -1) (one sample)")
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"{what} must have at least one row and one column, got "
                             f"shape {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError(f"Input {what} contains NaN or infinity")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{what} has {X.shape[1]} features, but {name} is expecting "
                         f"{n_features} features as input")
    return X


def check_y(y, n, regression):
    """y as a 1-D array of n entries (a column vector is raveled with a warning, as
    scikit-learn does); finite numbers for regression."""
    if y is None:
        raise ValueError("requires y to be passed, but the target y is None")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        if regression:
            raise ValueError(f"y has {y.shape[1]} columns: multi-output regression is not "
                             f"supported (the library fits one output per regression); "
                             f"fit one regressor per column, e.g. with "
                             f"sklearn.multioutput.MultiOutputRegressor")
        raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead "
                         f"(multilabel classification is not supported)")
    if y.ndim == 2 and y.shape[1] == 1:
        import warnings
        try:
            from sklearn.exceptions import DataConversionWarning as warning
        except ImportError:
            warning = UserWarning
        warnings.warn("A column-vector y was passed when a 1d array was expected. Please "
                      "change the shape of y to (n_samples, ), for example using ravel().",
                      warning, stacklevel=3)
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead")
    if y.shape[0] != n:
        raise ValueError(f"X has {n} rows but y has {y.shape[0]} entries")
    if np.iscomplexobj(y):
        raise ValueError("Complex data not supported")
    if regression or y.dtype.kind in "fc":
        try:
            v = y.astype(np.float64)
        except (TypeError, ValueError) as e:
            if regression:
                raise ValueError(f"y must hold numbers for regression: {e}") from None
            v = None
        if v is not None and not np.all(np.isfinite(v)):
            raise ValueError("Input y contains NaN or infinity")
        if regression:
            return v
    return y


def encode_labels(y):
    """Class labels as the library takes them: (classes, values, texts).  Numbers (and
    booleans) go as numbers; anything else as text (str of each label), which the
    library reads as a data file's labels: numeric text sorts as numbers."""
    classes = np.unique(y)
    if classes.shape[0] < 2:
        raise ValueError(f"y has one class ({classes[0]!r}): a classifier needs at least two "
                         f"classes")
    if classes.dtype.kind in "biuf":
        return classes, y.astype(np.float64), None
    texts = [str(v) for v in y]
    if len({str(c) for c in classes}) != classes.shape[0]:
        raise ValueError("two class labels have the same text (str); give labels that "
                         "differ as text")
    return classes, np.zeros(len(texts)), texts


def classes_in_library_order(classes, library_classes):
    """classes (np.unique of the labels) reordered as the library holds them (its class
    k is output k, or the sign of the one output): numbers by value, texts as the
    library sorted them (numerically when all are numbers)."""
    if classes.dtype.kind in "biuf":
        by_value = {float(c): c for c in classes}
        ordered = [by_value[float(t)] for t in library_classes]
    else:
        by_text = {str(c): c for c in classes}
        ordered = [by_text[t] for t in library_classes]
    if len(ordered) != classes.shape[0]:
        raise RuntimeError("the library found other classes than numpy.unique")
    return np.array(ordered, dtype=classes.dtype)


class Model:
    """A trained network (cvxrelu_model): what the CLI's model files hold.  Picklable
    (as the text of its model file)."""

    def __init__(self, handle):
        self._handle = handle
        self.info = _core.info(handle)

    def __repr__(self):
        i = self.info
        return (f"<cvxrelu.Model {i['kind']} {i['task']}: {i['n_features']} features, "
                f"{i['outputs']} outputs, {i['neurons']} neurons, lambda {i['lambda']:g}>")

    def outputs(self, X):
        """The network's outputs on raw rows X: an n x outputs array."""
        return _core.predict(self._handle, check_X(X, self.info["n_features"]))[0]

    def arrays(self):
        """Copies of the weights: W (neurons x inputs: the standardized features, then
        the bias), a and out (output weight and output of each neuron), G (gates, gated
        models), V (dense second layer), W2 (three-layer), mean and scale (the
        standardization of the raw features); absent where the model has none."""
        d = _core.arrays(self._handle)
        for k in ("a", "mean", "scale"):
            if k in d:
                d[k] = d[k].ravel()
        return d

    def save(self, path):
        """The model file, in the format `cvxrelu train -o` writes (atomically)."""
        _core.save(self._handle, os.fspath(path))

    def __getstate__(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model")
            self.save(path)
            with open(path, "rb") as f:
                return {"model_file": f.read()}

    def __setstate__(self, state):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model")
            with open(path, "wb") as f:
                f.write(state["model_file"])
            self.__init__(_core.load(path))
