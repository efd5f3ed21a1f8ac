#!/usr/bin/python3
"""Agreement of two independent methods under the losses other than squared
(docs/algorithms.md, "Losses"): cvxrelu (through the CLI, with --raw and a gates
file so both see the same program) against an accelerated proximal gradient
written here in NumPy, with its own losses and gradients, and for the exact ReLU
program its own cone projections (SciPy's NNLS on the projection's dual).  On
small random instances the objectives must agree to 1e-6 relative, and cvxrelu's
certified lower bound must not exceed the objective of the point found here
(weak duality across the two methods).  Exit 77 (skipped) without numpy/scipy.

Usage: xcheck_loss.py CVXRELU_BINARY
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from scipy.optimize import nnls
    from scipy.special import expit, logsumexp
except ImportError as e:
    print("SKIP: numpy or scipy missing for /usr/bin/python3 (%s)" % e)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xcheck_common import write_case  # noqa: E402

BIN = sys.argv[1]


# ---- the losses: the data term sum_i l_i / N and its derivative, each written out
def data_term(loss, F, Y, delta):
    N = F.size
    if loss == "logistic":
        z = Y * F
        return np.logaddexp(0.0, -z).sum() / N, -Y * expit(-z) / N
    if loss == "ce":
        lse = logsumexp(F, axis=1)
        P = np.exp(F - lse[:, None])
        return (lse - (F * Y).sum(axis=1)).sum() / N, (P - Y) / N
    if loss == "huber":
        e = F - Y
        a = np.abs(e)
        val = np.where(a <= delta, 0.5 * e * e, delta * a - 0.5 * delta * delta)
        return val.sum() / N, np.clip(e, -delta, delta) / N
    raise ValueError(loss)


SMOOTH = {"logistic": 0.25, "ce": 0.5, "huber": 1.0}


def cone_project(A, y):
    """argmin ||u - y|| s.t. A u >= 0: u = y + A^T mu with mu >= 0 minimizing
    ||y + A^T mu|| (the projection's dual), solved by NNLS."""
    mu, _ = nnls(A.T, -y)
    return y + A.T @ mu


def solve(X, Y, D, lam, loss, delta, exact, iters):
    """Accelerated proximal gradient with adaptive restart on the gated program
    (groups u_ik) or the exact program (v_ik, w_ik in the cone of pattern i)."""
    n, d = X.shape
    P, c = D.shape[1], Y.shape[1]
    blocks = [D[:, [i]] * X for i in range(P)]          # D_i X, n x d
    M = np.hstack(blocks + ([-b for b in blocks] if exact else []))
    S = 2 * P if exact else P                           # groups per output
    L = SMOOTH[loss] * np.linalg.norm(M, 2) ** 2 / (n * c)
    t = 1.0 / L
    cones = [np.diag(2.0 * D[:, i] - 1.0) @ X for i in range(P)]

    def predict(U):                                      # U: c x S x d
        return np.stack([M @ U[k].reshape(-1) for k in range(c)], axis=1)

    def objective(U):
        return data_term(loss, predict(U), Y, delta)[0] + lam * np.linalg.norm(U, axis=2).sum()

    def prox(V):
        out = np.empty_like(V)
        for k in range(c):
            for g in range(S):
                u = cone_project(cones[g % P], V[k, g]) if exact else V[k, g]
                nu = np.linalg.norm(u)
                out[k, g] = u * max(0.0, 1.0 - t * lam / nu) if nu > 0 else 0.0
        return out

    U = np.zeros((c, S, d))
    V, theta, fprev = U.copy(), 1.0, objective(U)
    for _ in range(iters):
        _, R = data_term(loss, predict(V), Y, delta)
        G = np.stack([(M.T @ R[:, k]).reshape(S, d) for k in range(c)])
        Un = prox(V - t * G)
        f = objective(Un)
        if f > fprev:                                    # restart the momentum
            theta, V = 1.0, U.copy()
            continue
        th = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * theta * theta))
        V = Un + ((theta - 1.0) / th) * (Un - U)
        U, theta, fprev = Un, th, f
    return fprev


def run_case(name, n, d, P, kind, loss, exact, lam, seed, iters, tmp):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:, -1] = 1.0
    G = rng.standard_normal((P, d))
    w = rng.standard_normal((3, d))
    z = np.maximum(X @ w.T, 0.0)
    if kind == "regression":
        labels = z @ np.array([1.0, -0.5, 0.7]) + 0.3 * rng.standard_normal(n)
        labels[:3] += 4.0                                # outliers: Huber's linear part
        Y = labels.reshape(-1, 1)
        lab_text = ["%.17g" % v for v in labels]
    elif kind == "binary":
        cls = (z[:, 0] - z[:, 1] + 0.3 * rng.standard_normal(n) > 0).astype(int)
        lab_text = list(np.array(["cat", "dog"])[cls])   # sorted: cat -> -1, dog -> +1
        Y = np.where(cls == 1, 1.0, -1.0).reshape(-1, 1)
    else:
        cls = np.argmax(z + 0.5 * rng.standard_normal(z.shape), axis=1)
        lab_text = list(np.array(["a", "b", "c"])[cls])
        Y = np.eye(3)[cls]
    data, gates = write_case(tmp, name, X, lab_text, G)
    out = os.path.join(tmp, name + ".json")
    delta = 0.5
    task = "regression" if kind == "regression" else "classification"
    cmd = [BIN, "train", data, "--raw", "--gates", gates, "--lambda", repr(lam), "--eps",
           "1e-10", "--max-iter", "200000", "--task", task, "-q", "--json", out,
           "--loss", "huber:%g" % delta if loss == "huber" else loss]
    if exact:
        cmd += ["--model", "relu", "--relu-solver", "projected"]
    subprocess.run(cmd, check=True)
    with open(out) as f:
        ours = json.load(f)
    D = (X @ G.T > 0).astype(float)
    ref = solve(X, Y, D, lam, loss, delta, exact, iters)
    obj, dual = ours["convex_objective"], ours["dual_value"]
    rel = abs(obj - ref) / max(1.0, abs(ref))
    ok = (rel <= 1e-6 and ours["exit"] == "converged" and ours["loss_function"] == loss
          and dual <= ref + 1e-12)
    print("%s %s: %s %s n=%d d=%d P=%d c=%d lambda=%g  cvxrelu %.12g (dual %.12g, %s)  "
          "numpy %.12g  rel diff %.1e" % ("ok  " if ok else "FAIL", name,
                                          "relu" if exact else "gated", loss, n, d, P,
                                          Y.shape[1], lam, obj, dual, ours["exit"], ref,
                                          rel))
    return ok


def main():
    cases = [("gated_logistic", 40, 3, 6, "binary", "logistic", False, 3e-3, 1, 20000),
             ("gated_ce", 45, 3, 5, "multiclass", "ce", False, 2e-3, 2, 20000),
             ("gated_huber", 40, 3, 6, "regression", "huber", False, 1e-2, 3, 20000),
             ("relu_logistic", 30, 3, 4, "binary", "logistic", True, 5e-3, 4, 4000),
             ("relu_ce", 30, 3, 3, "multiclass", "ce", True, 5e-3, 5, 3000)]
    with tempfile.TemporaryDirectory() as tmp:
        results = [run_case(*c, tmp=tmp) for c in cases]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
