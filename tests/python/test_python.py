"""The Python package against the CLI on the same data, patterns and seed
(docs/python.md): predictions, reports, model files both ways, the path,
cross-validated lambda and certificates."""

import inspect
import json
import os
import re

import numpy as np
import pytest

import cvxrelu
from conftest import cli, data_path, read_csv

CSV = data_path("breast_cancer.csv")
SETTINGS = dict(patterns=50, seed=0)


def rel(a, b):
    """Largest relative difference of two arrays (scaled by max(1, |b|))."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """The CLI's model, JSON report and predictions on breast_cancer.csv."""
    d = tmp_path_factory.mktemp("cli")
    model, report = d / "M", d / "J"
    cli("train", CSV, "--patterns", 50, "--seed", 0, "--lambda", "1e-3", "-o", model,
        "--json", report, "-q")
    rep = json.loads(report.read_text())
    return str(model), rep, cli("predict", model, CSV).split()


@pytest.fixture(scope="module")
def fitted(breast):
    X, y = breast
    return cvxrelu.ConvexReLUClassifier(**SETTINGS).fit(X, y), X, y


def test_classifier_equals_cli(cli_run, fitted):
    model, rep, cli_pred = cli_run
    clf, X, _ = fitted
    assert list(clf.predict(X)) == cli_pred
    assert rel(clf.report_["objective"], rep["objective"]) <= 1e-12
    assert clf.report_["exit"] == rep["exit"] and clf.report_["iterations"] == rep["iterations"]
    # the network's outputs, not only the decided classes, agree to 1e-12
    assert rel(clf.decision_function(X), cvxrelu.load(model).decision_function(X)) <= 1e-12
    assert clf.n_features_in_ == X.shape[1]
    assert list(clf.classes_) == ["benign", "malignant"]


def test_regressor_equals_cli(diabetes, tmp_path):
    X, y = diabetes
    cli("train", data_path("diabetes.csv"), "--patterns", 40, "--seed", 3, "--lambda", "1",
        "-o", tmp_path / "M", "-q", "--json", tmp_path / "J")
    cli_pred = np.array(cli("predict", tmp_path / "M", data_path("diabetes.csv")).split(),
                        dtype=float)
    reg = cvxrelu.ConvexReLURegressor(patterns=40, seed=3, lam=1.0).fit(X, y)
    assert rel(reg.predict(X), cli_pred) <= 1e-12
    rep = json.loads((tmp_path / "J").read_text())
    assert rel(reg.report_["objective"], rep["objective"]) <= 1e-12


def test_numeric_labels_same_network(fitted):
    clf, X, y = fitted
    num = cvxrelu.ConvexReLUClassifier(**SETTINGS).fit(X, (y == "malignant").astype(int))
    assert num.report_["objective"] == clf.report_["objective"]
    assert np.array_equal(num.predict(X), (clf.predict(X) == "malignant").astype(int))


def test_numeric_text_labels_sort_as_numbers(tmp_path):
    """Labels "10", "9", "2" as str sort as numbers, as in a data file: classes_ and the
    outputs follow the library's order, and the network is the CLI's."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((45, 3))
    y = np.array(["10", "9", "2"])[np.argmax(X, axis=1)]
    path = tmp_path / "d.csv"
    with open(path, "w") as f:
        f.write("a,b,c,label\n")
        for row, lab in zip(X, y):
            f.write(",".join(repr(float(v)) for v in row) + f",{lab}\n")
    cli("train", path, "--patterns", 30, "--lambda", "1e-3", "-o", tmp_path / "M", "-q")
    clf = cvxrelu.ConvexReLUClassifier(patterns=30).fit(X, y)
    assert list(clf.classes_) == ["2", "9", "10"]
    assert list(clf.predict(X)) == cli("predict", tmp_path / "M", path).split()
    assert rel(clf.decision_function(X), cvxrelu.load(tmp_path / "M").decision_function(X)) \
        <= 1e-12
    assert clf.score(X, y) > 0.9


def test_python_model_in_cli(fitted, tmp_path):
    clf, X, _ = fitted
    path = tmp_path / "py.model"
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
    path = tmp_path / "reg.model"
    reg.save(path)
    assert np.array_equal(cvxrelu.load(path).predict(X), reg.predict(X))
    # and the bytes: Python -> file -> Python -> file is the same file
    cvxrelu.load(path).save(tmp_path / "again.model")
    assert (tmp_path / "again.model").read_bytes() == path.read_bytes()


def test_lambda_auto_equals_cli(tmp_path):
    X, y = read_csv(data_path("iris.csv"))
    cli("train", data_path("iris.csv"), "--lambda", "auto", "--patterns", 40, "-o",
        tmp_path / "M", "--json", tmp_path / "J", "-q")
    rep = json.loads((tmp_path / "J").read_text())
    clf = cvxrelu.ConvexReLUClassifier(lam="auto", patterns=40).fit(X, y)
    cv = clf.cv_
    assert cv["lambda"] == rep["lambda"] == clf.lambda_
    assert cv["lambdas_done"] == rep["cv_lambdas_done"]
    assert rel(cv["grid"], rep["cv_lambdas"]) <= 1e-12
    assert rel(cv["mean"], rep["cv_error"]) <= 1e-12
    assert rel(cv["se"], rep["cv_error_se"]) <= 1e-12
    assert cv["grid"][cv["best"]] == rep["cv_best_lambda"]
    assert cv["grid"][cv["chosen"]] == cv["lambda"]
    # one-se: the chosen lambda is at least the best one, within one SE of its mean
    assert cv["chosen"] <= cv["best"]
    assert cv["mean"][cv["chosen"]] <= cv["mean"][cv["best"]] + cv["se"][cv["best"]]
    assert list(clf.predict(X)) == cli("predict", tmp_path / "M", data_path("iris.csv")).split()
    fixed = cvxrelu.ConvexReLUClassifier(lam=1e-3, patterns=40).fit(X, y)
    assert fixed.cv_ is None and fixed.lambda_ == 1e-3


def test_path_equals_cli(tmp_path):
    X, y = read_csv(data_path("iris.csv"))
    cli("path", data_path("iris.csv"), "--lambdas", 6, "--patterns", 30, "--json",
        tmp_path / "J", "-q")
    rep = json.loads((tmp_path / "J").read_text())
    p = cvxrelu.path(X, y, lambdas=6, patterns=30)
    assert p["lambda"].shape == (6,) and p["lambda_max"] == rep["lambda_max"]
    for mine, theirs in [("lambda", "lambda"), ("objective", "objective"),
                         ("dual", "dual_value"), ("train_mse", "train_mse"),
                         ("train_accuracy", "train_accuracy")]:
        assert rel(p[mine], rep[theirs]) <= 1e-12, mine
    assert list(p["neurons"]) == rep["neurons"] and list(p["iterations"]) == rep["iterations"]
    # lambda_max gives the zero network; the objective falls along the path
    assert p["neurons"][0] == 0 and np.all(np.diff(p["objective"]) < 0)
    assert np.all(p["gap"] <= 1e-6 * np.maximum(1, p["objective"]))
    assert np.all(np.isnan(p["test_mse"])) and list(p["exit_each"]) == ["converged"] * 6
    held = cvxrelu.path(X[::2], y[::2], lambdas=3, patterns=30, X_test=X[1::2],
                        y_test=y[1::2])
    assert np.all(np.isfinite(held["test_accuracy"])) and held["n"] == 75
    # the three-layer program's path, as the CLI's
    cli("path", data_path("iris.csv"), "--model", "relu3", "--width1", 2, "--subnets", 8,
        "--lambdas", 3, "--lambda-min-ratio", 0.2, "--json", tmp_path / "J3", "-q")
    rep3 = json.loads((tmp_path / "J3").read_text())
    p3 = cvxrelu.path(X, y, model="relu3", width1=2, subnets=8, lambdas=3, min_ratio=0.2)
    assert p3["model"] == rep3["model"] == "relu3" and p3["patterns"] == rep3["patterns"]
    assert rel(p3["objective"], rep3["objective"]) <= 1e-12
    assert np.all(p3["gap"] <= 1e-6 * np.maximum(1, p3["objective"]))


def test_certify_equals_cli(tmp_path):
    X, y = read_csv(CSV)
    cli("train", CSV, "--model", "relu", "--patterns", 20, "--lambda", "1e-2", "-o",
        tmp_path / "M", "-q")
    cli("certify", tmp_path / "M", CSV, "--json", tmp_path / "J", "-q")
    rep = json.loads((tmp_path / "J").read_text())
    mine = cvxrelu.certify(str(tmp_path / "M"), X, y)
    for k in ("upper_bound", "lower_bound", "s_over_beta", "lambda"):
        assert rel(mine[k], rep[k]) <= 1e-12, k
    assert mine["lower_bound"] <= mine["upper_bound"]
    # the same network as a fitted estimator, at another lambda
    clf = cvxrelu.load(tmp_path / "M")
    other = cvxrelu.certify(clf, X, y, lam=2e-2)
    assert other["lambda"] == 2e-2 and other["lower_bound"] <= other["upper_bound"]
    gated = cvxrelu.ConvexReLUClassifier(patterns=10).fit(X, y)
    with pytest.raises(ValueError, match="gated"):
        cvxrelu.certify(gated, X, y)


def test_certify_weights_equals_cli(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 3))
    y = np.maximum(X @ [1.0, -1.0, 0.5], 0) + 0.01 * rng.standard_normal(40)
    W, a = rng.standard_normal((4, 4)), rng.standard_normal(4)
    with open(tmp_path / "w.csv", "w") as f:
        for j in range(4):
            f.write(",".join(repr(float(v)) for v in [a[j], *W[j]]) + "\n")
    with open(tmp_path / "d.csv", "w") as f:
        f.write("a,b,c,y\n")
        for row, t in zip(X, y):
            f.write(",".join(repr(float(v)) for v in [*row, t]) + "\n")
    cli("certify", "--weights", tmp_path / "w.csv", tmp_path / "d.csv", "--lambda", "0.01",
        "--bias", "--task", "regression", "--json", tmp_path / "J", "-q")
    rep = json.loads((tmp_path / "J").read_text())
    mine = cvxrelu.certify((W, a), X, y, lam=0.01, bias=True, task="regression")
    for k in ("upper_bound", "lower_bound"):
        assert rel(mine[k], rep[k]) <= 1e-12, k
    with pytest.raises(ValueError, match="columns"):
        cvxrelu.certify((W[:, :3], a), X, y, lam=0.01, bias=True, task="regression")
    with pytest.raises(ValueError, match="lam"):
        cvxrelu.certify((W, a), X, y)


def test_weights_and_gates(fitted):
    clf, X, _ = fitted
    w = clf.weights_
    m = clf.report_["neurons"]
    assert w["W"].shape == (m, X.shape[1] + 1) and w["G"].shape == w["W"].shape
    assert w["a"].shape == (m,) and np.all(w["out"] == 0)
    # the outputs from the arrays: standardize, bias, gated ReLU neurons
    Z = np.hstack([(X - w["mean"]) / w["scale"], np.ones((X.shape[0], 1))])
    f = ((Z @ w["G"].T > 0) * (Z @ w["W"].T)) @ w["a"]
    assert rel(f, clf.decision_function(X)) <= 1e-10
    # the fitted gates given back reproduce the patterns
    again = cvxrelu.ConvexReLUClassifier(patterns=0, gates=w["G"]).fit(X, fitted[2])
    assert again.report_["patterns"] <= m


def test_warm_start(breast):
    X, y = breast
    warm = cvxrelu.ConvexReLUClassifier(patterns=30, lam=2e-3, warm_start=True).fit(X, y)
    warm.set_params(lam=1e-3).fit(X, y)
    cold = cvxrelu.ConvexReLUClassifier(patterns=30, lam=1e-3).fit(X, y)
    assert warm.n_iter_ < cold.n_iter_
    assert abs(warm.report_["convex_objective"] - cold.report_["convex_objective"]) <= \
        2e-6 * cold.report_["convex_objective"]
    relu = cvxrelu.ConvexReLUClassifier(model="relu", patterns=5, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm starts begin from a gated"):
        relu.fit(X, y)
    with pytest.raises(ValueError, match="warm-start"):  # other data: the library refuses
        warm.fit(X[:100], y[:100])


def test_predict_proba(fitted):
    clf, X, _ = fitted
    p = clf.predict_proba(X)
    assert p.shape == (X.shape[0], 2) and np.allclose(p.sum(axis=1), 1)
    assert np.array_equal(clf.classes_[np.argmax(p, axis=1)], clf.predict(X))
    Xi, yi = read_csv(data_path("iris.csv"))
    three = cvxrelu.ConvexReLUClassifier(patterns=20).fit(Xi, yi)
    p3, f3 = three.predict_proba(Xi), three.decision_function(Xi)
    assert p3.shape == f3.shape == (150, 3)
    assert np.array_equal(np.argmax(p3, axis=1), np.argmax(f3, axis=1))
    assert np.array_equal(three.classes_[np.argmax(f3, axis=1)], three.predict(Xi))


def test_losses_and_probabilities(fitted):
    """The classifier's default loss is logistic (two classes) or ce (more): its
    probabilities are sigma(f) and the softmax of the outputs, those of
    `cvxrelu predict --scores`; loss="squared" keeps the uncalibrated scores."""
    clf, X, _ = fitted
    assert clf.model_.info["loss"] == "logistic" and clf.report_["loss_function"] == "logistic"
    f = clf.decision_function(X)
    p = clf.predict_proba(X)
    assert rel(p[:, 1], 1.0 / (1.0 + np.exp(-f))) <= 1e-12
    Xi, yi = read_csv(data_path("iris.csv"))
    three = cvxrelu.ConvexReLUClassifier(patterns=20, lam=1e-3).fit(Xi, yi)
    assert three.model_.info["loss"] == "ce"
    f3 = three.decision_function(Xi)
    e = np.exp(f3 - f3.max(axis=1, keepdims=True))
    assert rel(three.predict_proba(Xi), e / e.sum(axis=1, keepdims=True)) <= 1e-12
    sq = cvxrelu.ConvexReLUClassifier(patterns=20, lam=1e-3, loss="squared").fit(Xi, yi)
    assert sq.model_.info["loss"] == "squared"
    e2 = np.exp(2 * (sq.decision_function(Xi) - sq.decision_function(Xi).max(axis=1, keepdims=True)))
    assert rel(sq.predict_proba(Xi), e2 / e2.sum(axis=1, keepdims=True)) <= 1e-12
    hub = cvxrelu.ConvexReLURegressor(patterns=20, lam=1e-3, loss="huber", huber_delta=0.5)
    hub.fit(Xi[:, :3], Xi[:, 3])
    assert hub.model_.info["loss"] == "huber"
    with pytest.raises(ValueError):
        cvxrelu.ConvexReLUClassifier(loss="hinge").fit(Xi, yi)


def test_pickle(fitted):
    import pickle
    clf, X, _ = fitted
    twin = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(twin.decision_function(X), clf.decision_function(X))
    assert twin.report_ == clf.report_


def test_errors(fitted):
    clf, X, y = fitted
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cvxrelu.ConvexReLUClassifier(**SETTINGS).fit(bad, y)
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(bad)
    bad[3, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        clf.predict(bad)
    with pytest.raises(ValueError, match="rows"):
        cvxrelu.ConvexReLUClassifier(**SETTINGS).fit(X, y[:-1])
    with pytest.raises(ValueError, match="2D array"):
        cvxrelu.ConvexReLUClassifier(**SETTINGS).fit(X[:, 0], y)
    with pytest.raises(ValueError, match="program|model"):
        cvxrelu.ConvexReLUClassifier(model="nope").fit(X, y)
    with pytest.raises(ValueError, match="lam must be"):
        cvxrelu.ConvexReLUClassifier(lam="often").fit(X, y)
    with pytest.raises(ValueError, match="one class"):
        cvxrelu.ConvexReLUClassifier().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="Unknown label type"):
        cvxrelu.ConvexReLUClassifier().fit(X, np.linspace(0, 1, len(y)))
    with pytest.raises(ValueError, match="multi-output regression"):
        cvxrelu.ConvexReLURegressor().fit(X, np.ones((len(y), 2)))
    with pytest.raises(ValueError, match="30 features"):
        clf.predict(X[:, :5])
    with pytest.raises(ValueError, match="gates have 3 columns"):
        cvxrelu.ConvexReLUClassifier(gates=np.ones((2, 3))).fit(X, y)
    sk = pytest.importorskip("sklearn.exceptions")
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(sk.NotFittedError, match="not fitted"):
            getattr(cvxrelu.ConvexReLUClassifier(), method)(X)
    with pytest.raises(sk.NotFittedError):
        cvxrelu.ConvexReLURegressor().predict(X)


def test_params_and_clone():
    base = pytest.importorskip("sklearn.base")
    clf = cvxrelu.ConvexReLUClassifier(patterns=7, lam="auto", decompose="closed")
    params = clf.get_params()
    assert params["patterns"] == 7 and params["lam"] == "auto" and params["decompose"] == "closed"
    clf.set_params(seed=3, model="relu")
    assert clf.get_params()["seed"] == 3 and clf.model == "relu"
    twin = base.clone(clf)
    assert twin is not clf and twin.get_params() == clf.get_params()
    assert not hasattr(twin, "model_")


class Table:
    """The part of a pandas DataFrame that scikit-learn's feature-name rule reads."""

    def __init__(self, values, columns):
        self.values, self.columns = np.asarray(values), np.array(columns, dtype=object)
        self.shape = self.values.shape

    def __array__(self, dtype=None):
        return self.values if dtype is None else self.values.astype(dtype)

    def __len__(self):
        return len(self.values)


def test_feature_names_reach_the_model_file(tmp_path):
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 2))
    y = np.where(X[:, 0] > 0, "yes", "no")
    clf = cvxrelu.ConvexReLUClassifier(patterns=10).fit(Table(X, ["u", "v"]), y)
    assert list(clf.feature_names_in_) == ["u", "v"]
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(Table(X, ["v", "u"]))
    clf.save(tmp_path / "M")
    assert cvxrelu.load(tmp_path / "M").model_.info["feature_names"] == ["u", "v"]
    for header, ok in [("u,v", True), ("v,u", False)]:
        with open(tmp_path / "d.csv", "w") as f:
            f.write(header + ",label\n")
            for (a, b), lab in zip(X, y):
                f.write(f"{a!r},{b!r},{lab}\n")
        if ok:
            assert cli("predict", tmp_path / "M", tmp_path / "d.csv").split() == \
                list(clf.predict(Table(X, ["u", "v"])))
        else:
            with pytest.raises(AssertionError, match="named \"v\" where the model expects"):
                cli("predict", tmp_path / "M", tmp_path / "d.csv")


DOC = data_path(os.path.join("..", "docs", "python.md"))


def test_doc_quick_start_runs(tmp_path, monkeypatch):
    """docs/python.md's quick start, as printed there."""
    text = open(DOC).read()
    code = re.search(r"## Quick start\n\n```python\n(.*?)```", text, re.S).group(1)
    assert len(code.strip().split("\n")) == 5
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "quick start", "exec"), {})
    assert cli("predict", tmp_path / "xor.model", CSV_XOR(tmp_path)).strip()


def CSV_XOR(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((5, 5))
    path = tmp_path / "x.csv"
    with open(path, "w") as f:
        f.write("a,b,c,d,e\n")
        for row in X:
            f.write(",".join(repr(float(v)) for v in row) + "\n")
    return path


def test_doc_parameter_table_is_the_signature():
    """The parameter table of docs/python.md lists every parameter with its default."""
    text = open(DOC).read()
    table = text.split("<!-- python parameters -->", 1)[1].split("\n\n", 1)[0]
    rows = [r.split("|")[1:3] for r in table.strip().split("\n")[2:]]
    documented = {n.strip().strip("`"): d.strip().strip("`") for n, d in rows}
    for cls in (cvxrelu.ConvexReLUClassifier, cvxrelu.ConvexReLURegressor):
        sig = inspect.signature(cls.__init__).parameters
        actual = {k: p.default for k, p in sig.items() if k != "self"}
        assert set(documented) == set(actual)
        for k, v in actual.items():
            assert documented[k] == (f'"{v}"' if isinstance(v, str) else repr(v)), k


def test_failed_fit_leaves_estimator(fitted):
    clf, X, y = fitted
    import copy
    twin = copy.deepcopy(clf)
    with pytest.raises(ValueError):
        twin.fit(X[:, :3], np.zeros(len(y)))  # one class
    assert twin.n_features_in_ == X.shape[1]
    assert np.array_equal(twin.predict(X), clf.predict(X))


def _linear_group_lasso(Z, y, lam):
    """argmin_u (1/(2n)) ||Z u - y||^2 + lam ||u||, independently of the library: u = 0
    when ||Z^T y / n|| <= lam, else u = (A + mu I)^-1 b with A = Z^T Z / n, b = Z^T y / n
    and mu > 0 the root of mu ||u(mu)|| = lam (increasing in mu), found by bisection."""
    n, d = Z.shape
    A, b = Z.T @ Z / n, Z.T @ y / n
    if np.linalg.norm(b) <= lam:
        return np.zeros(d)
    u = lambda mu: np.linalg.solve(A + mu * np.eye(d), b)
    lo, hi = 0.0, 1.0
    while hi * np.linalg.norm(u(hi)) < lam:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mid * np.linalg.norm(u(mid)) < lam else (lo, mid)
    return u(0.5 * (lo + hi))


def test_linear_gate_is_the_linear_model(tmp_path):
    """With one pattern and linear_gate, the only gate is the linear neuron (the gate along
    the bias column, every row active): the gated program is then the group lasso of a
    linear model, solved here in NumPy; the CLI's --linear-gate gives the same network."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((200, 5))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 0.7 + 0.3 * rng.standard_normal(200)
    lam = 0.05
    reg = cvxrelu.ConvexReLURegressor(patterns=1, lam=lam, loss="squared", standardize=False,
                                      tol=1e-12, max_iter=100000, linear_gate=True).fit(X, y)
    w = reg.weights_
    e = np.zeros(6)
    e[-1] = 1.0
    assert np.all(w["G"] == e)  # every neuron's gate is the bias direction
    Z = np.hstack([X, np.ones((200, 1))])
    u = _linear_group_lasso(Z, y, lam)
    # a relative gap eps leaves the weights within about sqrt(eps) (the objective is
    # quadratic near its minimum): the predictions to 1e-6, the objective to 1e-10
    assert rel(reg.predict(X), Z @ u) <= 1e-6
    obj = np.sum((Z @ u - y) ** 2) / 400 + lam * np.linalg.norm(u)
    assert rel(reg.report_["objective"], obj) <= 1e-10
    # the CLI's --linear-gate: the same predictions from its model file
    f = tmp_path / "lin.csv"
    np.savetxt(f, np.hstack([X, y[:, None]]), delimiter=",", fmt="%.17g")
    cli("train", f, "--patterns", 1, "--lambda", lam, "--loss", "squared", "--no-standardize",
        "--eps", "1e-12", "--max-iter", 100000, "--linear-gate", "-o", tmp_path / "M", "-q")
    assert rel(cvxrelu.load(tmp_path / "M").predict(X), Z @ u) <= 1e-6
    # by default left out: the one gate is then a sampled one, not the bias direction
    off = cvxrelu.ConvexReLURegressor(patterns=1, lam=lam, loss="squared",
                                      standardize=False).fit(X, y)
    assert not np.all(off.weights_["G"] == e)
    with pytest.raises(ValueError, match="bias=True"):
        cvxrelu.ConvexReLURegressor(linear_gate=True, bias=False).fit(X, y)
