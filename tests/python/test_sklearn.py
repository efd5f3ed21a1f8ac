"""scikit-learn's conventions (docs/python.md, "scikit-learn"): its estimator checks,
GridSearchCV, Pipeline, cross-validation; and the package without scikit-learn."""

import os
import subprocess
import sys

import numpy as np
import pytest

import cvxrelu
from conftest import data_path, read_csv

sklearn = pytest.importorskip("sklearn")
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.compose import TransformedTargetRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


# 20 patterns keep the fast suite fast (the conventions checked do not depend on them);
# python_sklearn_slow checks the defaults and the variants below
@parametrize_with_checks([cvxrelu.ConvexReLUClassifier(patterns=20),
                          cvxrelu.ConvexReLURegressor(patterns=20)])
def test_estimator_checks(estimator, check):
    check(estimator)


if os.environ.get("CVXRELU_SLOW_CHECKS"):  # the ctest python_sklearn_slow (label slow)
    @parametrize_with_checks([cvxrelu.ConvexReLUClassifier(), cvxrelu.ConvexReLURegressor(),
                              cvxrelu.ConvexReLUClassifier(lam="auto"),
                              cvxrelu.ConvexReLURegressor(lam="auto"),
                              cvxrelu.ConvexReLUClassifier(model="relu"),
                              cvxrelu.ConvexReLURegressor(model="relu")])
    def test_estimator_checks_variants(estimator, check):
        check(estimator)


def test_grid_search():
    X, y = read_csv(data_path("iris.csv"))
    grid = GridSearchCV(cvxrelu.ConvexReLUClassifier(patterns=20),
                        {"lam": [1e-1, 1e-3], "patterns": [5, 20]}, cv=3)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"lam", "patterns"}
    assert grid.cv_results_["mean_test_score"].shape == (4,)
    assert grid.best_score_ > 0.9
    assert grid.best_estimator_.score(X, y) > 0.9
    assert isinstance(grid.best_estimator_, cvxrelu.ConvexReLUClassifier)


def test_pipeline_and_cross_val_score(diabetes):
    X, y = diabetes
    # the features and (as the library does inside) the targets standardized outside
    pipe = TransformedTargetRegressor(
        regressor=make_pipeline(StandardScaler(),
                                cvxrelu.ConvexReLURegressor(patterns=20, lam=0.05,
                                                            standardize=False)),
        transformer=StandardScaler())
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.3)
    pipe.fit(X, y)
    # standardizing outside or inside gives the same network
    inside = cvxrelu.ConvexReLURegressor(patterns=20, lam=0.05).fit(X, y)
    assert np.allclose(pipe.predict(X), inside.predict(X), rtol=1e-6, atol=1e-6 * np.std(y))


def test_without_sklearn(tmp_path):
    """The package imports and fits with scikit-learn hidden, with its own checks."""
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import numpy as np, cvxrelu\n"
        "X = np.random.default_rng(0).standard_normal((50, 3)); y = X[:, 0] > 0\n"
        "c = cvxrelu.ConvexReLUClassifier(patterns=10).fit(X, y)\n"
        "assert c.score(X, y) > 0.9 and c.get_params()['patterns'] == 10\n"
        "for bad, what in [(X[:, 0], '2-D'), (np.full((2, 3), np.nan), 'NaN')]:\n"
        "    try: c.predict(bad)\n"
        "    except ValueError as e: assert what in str(e), e\n"
        "    else: raise AssertionError(what)\n"
        "try: cvxrelu.ConvexReLUClassifier().predict(X)\n"
        "except ValueError as e: assert 'not fitted' in str(e)\n"
        "else: raise AssertionError('unfitted')\n"
        "print('ok')\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=dict(os.environ))
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr
