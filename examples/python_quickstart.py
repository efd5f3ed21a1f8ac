#!/usr/bin/env python3
# %% [markdown]
# # cvxrelu from Python: a quick tour
#
# A notebook-style script (cells marked `# %%`; run it whole with
# `build/python-env/bin/python examples/python_quickstart.py`, or cell by cell in an
# editor that knows the marks).  It trains two-layer ReLU networks by convex
# optimization on the breast-cancer data in `data/`, with scikit-learn's tools around
# them.  See docs/python.md.

# %%
import os
import sys
import tempfile

import numpy as np

import cvxrelu

DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..",
                                                           "data")
raw = np.genfromtxt(os.path.join(DATA, "breast_cancer.csv"), delimiter=",", skip_header=1,
                    dtype=str)
X, y = raw[:, :-1].astype(float), raw[:, -1]
rng = np.random.default_rng(0)
test = rng.random(len(y)) < 0.25
X_train, y_train, X_test, y_test = X[~test], y[~test], X[test], y[test]
print(f"{X_train.shape[0]} training rows, {X_test.shape[0]} test rows, "
      f"{X.shape[1]} features, classes {sorted(set(y))}")

# %% [markdown]
# ## A classifier with lambda chosen by cross-validation
# `lam="auto"` walks the regularization path over 5 folds and takes the largest lambda
# within one standard error of the best (`cv_rule="min"` takes the best).

# %%
clf = cvxrelu.ConvexReLUClassifier(lam="auto", patterns=50).fit(X_train, y_train)
cv = clf.cv_
print(f"lambda = {clf.lambda_:.3g} (grid point {cv['chosen']} of {cv['lambdas_done']} "
      f"validated; the best mean error was at {cv['best']})")
for lam, mean, se in zip(cv["grid"], cv["mean"], cv["se"]):
    mark = " <- chosen" if lam == clf.lambda_ else ""
    print(f"  lambda {lam:9.3g}  validation error {mean:.3f} +- {se:.3f}{mark}")
print(f"test accuracy {clf.score(X_test, y_test):.3f}")

# %% [markdown]
# The fit's report is the JSON of `cvxrelu train --json`: the objective, the
# certified gap of the convex program, the exit and the timing.

# %%
r = clf.report_
print(f"objective {r['objective']:.6g}, relative gap {r['relative_gap']:.2g}, "
      f"exit {r['exit']}, {r['iterations']} iterations, {r['neurons']} neurons, "
      f"{r['time_s']:.2f} s")
print("class scores of the first test rows:\n", clf.predict_proba(X_test[:3]).round(3))

# %% [markdown]
# ## The regularization path
# One warm-started solve per lambda, from lambda_max (the zero network) down.

# %%
p = cvxrelu.path(X_train, y_train, lambdas=8, patterns=50, X_test=X_test, y_test=y_test)
print(" lambda      neurons  train acc  test acc")
for k in range(len(p["lambda"])):
    print(f" {p['lambda'][k]:9.3g}  {p['neurons'][k]:7d}  {p['train_accuracy'][k]:9.3f}"
          f"  {p['test_accuracy'][k]:8.3f}")

# %% [markdown]
# ## A ReLU network with a certificate
# `model="relu"` solves the cone-constrained program, whose network is a true ReLU
# network; `cvxrelu.certify` bounds how far its objective can be from the global
# optimum of the non-convex training problem.

# %%
relu = cvxrelu.ConvexReLUClassifier(model="relu", lam=1e-2, patterns=30).fit(X_train, y_train)
c = cvxrelu.certify(relu, X_train, y_train)
print(f"network objective {c['upper_bound']:.6g} >= global optimum >= {c['lower_bound']:.6g} "
      f"(ratio {c['ratio']:.3g}, bound from {c['bound_used']})")

# %% [markdown]
# ## Model files, shared with the CLI
# `save` writes the file `cvxrelu train -o` writes; `cvxrelu predict MODEL DATA` reads
# it, and `cvxrelu.load` reads the CLI's.

# %%
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "breast.model")
    clf.save(path)
    again = cvxrelu.load(path)
    assert np.array_equal(again.predict(X_test), clf.predict(X_test))
    print(f"saved and loaded {path}: same predictions")

# %% [markdown]
# ## scikit-learn around it
# The estimators follow scikit-learn's conventions: pipelines, grid search, cloning.

# %%
try:
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
except ImportError:
    print("scikit-learn is not installed: skipping the last cell")
else:
    pipe = make_pipeline(StandardScaler(), cvxrelu.ConvexReLUClassifier(standardize=False))
    grid = GridSearchCV(pipe, {"convexreluclassifier__lam": [1e-1, 1e-2, 1e-3],
                               "convexreluclassifier__patterns": [10, 50]}, cv=3)
    grid.fit(X_train, y_train)
    print(f"grid search: best {grid.best_params_}, cross-validated accuracy "
          f"{grid.best_score_:.3f}, test accuracy {grid.score(X_test, y_test):.3f}")
