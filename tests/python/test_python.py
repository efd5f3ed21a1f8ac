"""The Python package against the CLI on the same data (docs/python.md).

Run by ctest as: python -m pytest tests/python (CVXRELU_CLI = the CLI,
CVXRELU_DATA = data/, PYTHONPATH = the staged package in BUILD/python).
"""

import json
import os
import subprocess

import numpy as np
import pytest

import cvxrelu

CLI = os.environ.get("CVXRELU_CLI", "build/cvxrelu")
DATA = os.environ.get("CVXRELU_DATA", "data")
CSV = os.path.join(DATA, "breast_cancer.csv")
SETTINGS = dict(patterns=50, seed=0)


def read_csv(path):
    """Features (float) and labels (str) of a CSV file with a header, label last."""
    raw = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=str)
    return raw[:, :-1].astype(np.float64), raw[:, -1]


def cli(*args):
    return subprocess.run([CLI, *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """The CLI's model, JSON report and predictions on breast_cancer.csv."""
    d = tmp_path_factory.mktemp("cli")
    model, report = str(d / "M"), str(d / "J")
    cli("train", CSV, "--patterns", "50", "--seed", "0", "--lambda", "1e-3", "-o", model, "--json", report, "-q")
    with open(report) as f:
        rep = json.load(f)
    return model, rep, cli("predict", model, CSV).split()


@pytest.fixture(scope="module")
def fitted():
    X, y = read_csv(CSV)
    return cvxrelu.ConvexReLUClassifier(**SETTINGS).fit(X, y), X, y


def test_predictions_equal_cli(cli_run, fitted):
    _, rep, cli_pred = cli_run
    clf, X, _ = fitted
    pred = clf.predict(X)
    assert list(pred) == cli_pred
    obj, cli_obj = clf.report_["objective"], rep["objective"]
    assert abs(obj - cli_obj) <= 1e-12 * abs(cli_obj)
    assert clf.report_["exit"] == rep["exit"]
    assert clf.n_features_in_ == X.shape[1]
    assert list(clf.classes_) == ["benign", "malignant"]


def test_numeric_labels_same_network(fitted):
    clf, X, y = fitted
    num = cvxrelu.ConvexReLUClassifier(**SETTINGS).fit(X, (y == "malignant").astype(int))
    assert num.report_["objective"] == clf.report_["objective"]
    assert np.array_equal(num.predict(X), (clf.predict(X) == "malignant").astype(int))


def test_python_model_in_cli(fitted, tmp_path):
    clf, X, _ = fitted
    path = str(tmp_path / "py.model")
    clf.save(path)
    assert "gated" in cli("info", path)
    assert cli("predict", path, CSV).split() == list(clf.predict(X))


def test_cli_model_in_python(cli_run, fitted):
    model, _, cli_pred = cli_run
    _, X, _ = fitted
    loaded = cvxrelu.load(model)
    assert isinstance(loaded, cvxrelu.ConvexReLUClassifier)
    assert list(loaded.predict(X)) == cli_pred
    assert loaded.n_features_in_ == X.shape[1]


def test_regressor_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = np.maximum(X @ [1.0, -2.0, 0.5], 0.0)
    reg = cvxrelu.ConvexReLURegressor(patterns=20).fit(X, y)
    assert reg.score(X, y) > 0.9
    path = str(tmp_path / "reg.model")
    reg.save(path)
    assert np.array_equal(cvxrelu.load(path).predict(X), reg.predict(X))


def test_errors(fitted):
    _, X, y = fitted
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cvxrelu.ConvexReLUClassifier(**SETTINGS).fit(bad, y)
    with pytest.raises(ValueError, match="rows"):
        cvxrelu.ConvexReLUClassifier(**SETTINGS).fit(X, y[:-1])
    with pytest.raises(ValueError):
        cvxrelu.ConvexReLUClassifier(model="nope").fit(X, y)
    clf = fitted[0]
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :5])
    sk = pytest.importorskip("sklearn.exceptions")
    with pytest.raises(sk.NotFittedError):
        cvxrelu.ConvexReLUClassifier().predict(X)


def test_params_and_clone():
    base = pytest.importorskip("sklearn.base")
    clf = cvxrelu.ConvexReLUClassifier(patterns=7, lam=0.01, decompose="closed")
    params = clf.get_params()
    assert params["patterns"] == 7 and params["lam"] == 0.01 and params["decompose"] == "closed"
    clf.set_params(seed=3, model="relu")
    assert clf.get_params()["seed"] == 3 and clf.model == "relu"
    twin = base.clone(clf)
    assert twin is not clf and twin.get_params() == clf.get_params()
    assert not hasattr(twin, "model_")
