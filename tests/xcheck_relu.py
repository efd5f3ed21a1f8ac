#!/usr/bin/python3
"""The exact ReLU program with ALL activation patterns, on tiny 1-D data (one feature and a
column of ones, passed with --raw so both sides see the same X):

1. the patterns cvxrelu enumerates are exactly the threshold sets found by brute force here;
2. cvxrelu's optimum (certified gap 1e-10 by projected R-FISTA, 1e-6 by ADMM) agrees to 1e-6
   relative, and within its certified gap, with cvxopt's conic QP
   solver on the same cone-constrained group lasso (an independent solver);
3. with all patterns that value is the global optimum of the non-convex network of any width,
   so many networks trained by full-batch gradient descent from random starts on the same
   objective (1/(2n))||relu(X W^T) a - y||^2 + (lambda/2)(||W||^2 + ||a||^2) never reach a
   lower objective.

Exit 77 (skipped) without numpy / cvxopt.  Usage: xcheck_relu.py CVXRELU_BINARY
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from cvxopt import matrix, solvers
except ImportError as e:
    print("SKIP: numpy or cvxopt missing for /usr/bin/python3 (%s)" % e)
    sys.exit(77)

BIN = sys.argv[1]


def threshold_patterns(x):
    """All distinct non-empty sets {x > t} and {x < t}: the arrangement of (x, 1)."""
    n = len(x)
    xs = np.sort(x)
    cuts = np.concatenate([[xs[0] - 1], (xs[:-1] + xs[1:]) / 2, [xs[-1] + 1]])
    pats = set()
    for t in cuts:
        for s in ((x > t), (x < t)):
            if s.any():
                pats.add(tuple(s.astype(int)))
    return np.array(sorted(pats), dtype=float).T          # n x P


def relu_socp(X, y, S, lam):
    """min (1/(2n))||sum_i D_i X (v_i - w_i) - y||^2 + lam sum(||v_i|| + ||w_i||),
    (2 D_i - I) X v_i >= 0, same for w_i; by cvxopt.coneqp."""
    n, d = X.shape
    P = S.shape[1]
    m = 2 * P                                            # groups: v_i, w_i
    nu = m * d
    A = np.zeros((n, nu))
    for i in range(P):
        DX = S[:, i:i + 1] * X
        A[:, (2 * i) * d:(2 * i + 1) * d] = DX
        A[:, (2 * i + 1) * d:(2 * i + 2) * d] = -DX
    Q = np.zeros((nu + m, nu + m))
    Q[:nu, :nu] = A.T @ A / n
    q = np.concatenate([-A.T @ y / n, np.full(m, lam)])
    # linear: -(2 D_i - I) X u_g <= 0 ; cones: (t_g, u_g)
    L = m * n
    G = np.zeros((L + m * (d + 1), nu + m))
    for g in range(m):
        a = 2 * S[:, g // 2] - 1
        G[g * n:(g + 1) * n, g * d:(g + 1) * d] = -(a[:, None] * X)
        r = L + g * (d + 1)
        G[r, nu + g] = -1.0
        G[r + 1:r + 1 + d, g * d:(g + 1) * d] = -np.eye(d)
    h = np.zeros(G.shape[0])
    solvers.options.update(show_progress=False, abstol=1e-10, reltol=1e-10, feastol=1e-10,
                           maxiters=500)
    sol = solvers.coneqp(matrix(Q), matrix(q), matrix(G), matrix(h),
                         dims={"l": L, "q": [d + 1] * m, "s": []})
    u = np.array(sol["x"]).ravel()[:nu]
    r = A @ u - y
    obj = 0.5 * r @ r / n + lam * sum(np.linalg.norm(u[g * d:(g + 1) * d]) for g in range(m))
    return obj, sol["status"]


def nonconvex_gd(X, y, lam, width, seed, steps=6000):
    """Full-batch gradient descent with backtracking on the non-convex objective."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    W = rng.standard_normal((width, d)) * rng.uniform(0.1, 2.0)
    a = rng.standard_normal(width) * rng.uniform(0.1, 2.0)

    def f(W, a):
        r = np.maximum(X @ W.T, 0) @ a - y
        return 0.5 * r @ r / n + 0.5 * lam * (np.sum(W * W) + a @ a)

    lr, fx = 0.1, f(W, a)
    for _ in range(steps):
        Z = X @ W.T
        H = np.maximum(Z, 0)
        r = H @ a - y
        ga = H.T @ r / n + lam * a
        gW = ((r[:, None] * (Z > 0)) * a[None, :]).T @ X / n + lam * W
        while True:
            W2, a2 = W - lr * gW, a - lr * ga
            f2 = f(W2, a2)
            if f2 <= fx - 0.5 * lr * (np.sum(gW * gW) + ga @ ga) or lr < 1e-12:
                break
            lr *= 0.5
        W, a, fx = W2, a2, f2
        lr *= 1.2
    return fx


def main():
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for seed, n, lam in ((1, 12, 1e-2), (2, 16, 3e-3)):
            rng = np.random.default_rng(seed)
            x = rng.uniform(-2, 2, n)
            y = np.maximum(x - 0.3, 0) - 0.8 * np.maximum(-x - 0.5, 0) + 0.1 * rng.standard_normal(n)
            X = np.c_[x, np.ones(n)]
            path = os.path.join(tmp, "d.csv")
            with open(path, "w") as fh:
                fh.write("x,one,y\n")
                for i in range(n):
                    fh.write("%.17g,1,%.17g\n" % (x[i], y[i]))
            S = threshold_patterns(x)
            ref, status = relu_socp(X, y, S, lam)
            # both solvers of the exact program: projected R-FISTA to gap 1e-10, ADMM to 1e-6
            # (its certified gap must cover its distance to cvxopt's value)
            for method, eps in (("projected", "1e-10"), ("admm", "1e-6")):
                out = os.path.join(tmp, "r.json")
                subprocess.run([BIN, "train", path, "--raw", "--task", "regression", "--model",
                                "relu", "--relu-solver", method, "--patterns", "all", "--lambda",
                                repr(lam), "--eps", eps, "--max-iter", "2000000", "-q", "--json",
                                out], check=True)
                with open(out) as fh:
                    res = json.load(fh)
                if method == "projected":
                    ours = res
                diff = abs(res["convex_objective"] - ref)
                rel = diff / max(1.0, abs(ref))
                good = (res["patterns"] == S.shape[1] and res["exit"] == "converged" and
                        rel <= 1e-6 and diff <= res["duality_gap"] + 1e-8 * max(1.0, abs(ref)))
                print("%s n=%d lambda=%g %s: patterns %d (brute force %d); cvxrelu %.12g (gap "
                      "%.1e), cvxopt %.12g (%s), rel diff %.1e" % ("ok  " if good else "FAIL", n,
                      lam, method, res["patterns"], S.shape[1], res["convex_objective"],
                      res["duality_gap"], ref, status, rel))
                ok &= good
            # no gradient-trained network beats the global optimum
            vals = [nonconvex_gd(X, y, lam, width, seed=100 * seed + k)
                    for k, width in enumerate([2, 3, 5, 8, 12, 20] * 2)]
            best = min(vals)
            good = best >= ours["convex_objective"] - 1e-7 * max(1.0, ours["convex_objective"])
            print("%s n=%d: %d GD runs (widths 2..20): best %.12g, median %.6g >= optimum %.12g"
                  % ("ok  " if good else "FAIL", n, len(vals), best, float(np.median(vals)),
                     ours["convex_objective"]))
            ok &= good
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
