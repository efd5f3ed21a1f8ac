"""cvxrelu: train ReLU networks by convex optimization (docs/python.md).

ConvexReLUClassifier and ConvexReLURegressor follow scikit-learn's conventions
over libcvxrelu's one-shot training (cvxrelu_train, the pipeline of
`cvxrelu train`); load/save read and write the model files the CLI writes;
path walks the regularization path and certify bounds the global optimum of a
ReLU network.  The regularization parameter is named ``lam`` (the library's
lambda, on its canonical scale: docs/algorithms.md, "The objective and its
scale"), or "auto" for cross-validation.
"""

from . import _core
from ._base import Model
from ._estimators import ConvexReLUClassifier, ConvexReLURegressor
from ._functions import certify, load, path

__all__ = ["ConvexReLUClassifier", "ConvexReLURegressor", "Model", "blas_better_core",
           "blas_info", "certify", "load", "path", "__version__"]
__version__ = _core.version


def blas_info():
    """The BLAS in use, its kernel and threads (cvxrelu_blas_info)."""
    return _core.blas()[0]


def blas_better_core():
    """The OpenBLAS kernel this CPU should use when the running one is slower (Debian's
    OpenBLAS 0.3.21 misdetects recent CPUs), else None.  OpenBLAS reads
    OPENBLAS_CORETYPE only when it is loaded, so set it before Python starts, as
    `cvxrelu` (the CLI) does for itself: docs/python.md, "Speed"."""
    return _core.blas()[1]
