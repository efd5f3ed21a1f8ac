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

__all__ = ["ConvexReLUClassifier", "ConvexReLURegressor", "Model", "certify", "load",
           "path", "__version__"]
__version__ = _core.version
