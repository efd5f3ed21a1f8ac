#!/usr/bin/python3
"""Agreement of two independent methods: cvxrelu's R-FISTA (through the CLI, with
--raw and a gates file so both see the same program) against cvxopt's conic QP
solver (tests/socp_check.py) on small random instances.  Objectives must agree
to 1e-6 relative.  Exit 77 (skipped) without numpy / cvxopt.

Usage: xcheck_cvxopt.py CVXRELU_BINARY
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import cvxopt  # noqa: F401
except ImportError as e:
    print("SKIP: numpy or cvxopt missing for /usr/bin/python3 (%s)" % e)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import socp_check  # noqa: E402
from xcheck_common import write_case  # noqa: E402

BIN = sys.argv[1]


def run_case(name, n, d, P, kind, lam, seed, tmp):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:, -1] = 1.0                                   # a bias column, as users have
    G = rng.standard_normal((P, d))
    w = rng.standard_normal((3, d))
    z = np.maximum(X @ w.T, 0.0)                      # a small ReLU teacher
    if kind == "regression":
        labels = z @ np.array([1.0, -0.5, 0.7]) + 0.1 * rng.standard_normal(n)
        Y = labels.reshape(-1, 1)
        lab_text = ["%.17g" % v for v in labels]
    elif kind == "binary":
        cls = (z[:, 0] - z[:, 1] > 0).astype(int)
        names = np.array(["cat", "dog"])             # sorted: cat -> -1, dog -> +1
        lab_text = list(names[cls])
        Y = np.where(cls == 1, 1.0, -1.0).reshape(-1, 1)
    else:
        cls = np.argmax(z + 0.3 * rng.standard_normal(z.shape), axis=1)
        names = np.array(["a", "b", "c"])
        lab_text = list(names[cls])
        Y = np.eye(3)[cls]
    data, gates = write_case(tmp, name, X, lab_text, G)
    out = os.path.join(tmp, name + ".json")
    task = "regression" if kind == "regression" else "classification"
    cmd = [BIN, "train", data, "--raw", "--gates", gates, "--lambda", repr(lam), "--eps",
           "1e-10", "--max-iter", "200000", "--task", task, "--loss", "squared", "-q",
           "--json", out]
    subprocess.run(cmd, check=True)
    with open(out) as f:
        ours = json.load(f)
    S = (X @ G.T > 0).astype(float)
    U, status = socp_check.solve(X, Y, S, lam)
    ref = socp_check.objective(X, Y, S, U, lam)
    rel = abs(ours["convex_objective"] - ref) / max(1.0, abs(ref))
    ok = rel <= 1e-6 and ours["exit"] == "converged"
    print("%s %s: n=%d d=%d P=%d c=%d lambda=%g  cvxrelu %.12g (gap %.1e)  cvxopt %.12g (%s)  "
          "rel diff %.1e" % ("ok  " if ok else "FAIL", name, n, d, P, Y.shape[1], lam,
                             ours["convex_objective"], ours["duality_gap"], ref, status, rel))
    return ok


def main():
    cases = [("regression", 30, 4, 8, "regression", 1e-2, 1),
             ("regression_small_lambda", 40, 3, 10, "regression", 1e-3, 2),
             ("binary", 36, 4, 8, "binary", 5e-3, 3),
             ("three_classes", 45, 4, 6, "multiclass", 5e-3, 4)]
    with tempfile.TemporaryDirectory() as tmp:
        results = [run_case(*c, tmp=tmp) for c in cases]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
