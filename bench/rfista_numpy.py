#!/usr/bin/python3
"""Reference NumPy R-FISTA for the gated-ReLU group lasso (DESIGN.md 3.1, 4.1, 4.2).

    min_U (1/(2N)) sum_k ||sum_i D_i X u_ik - Y_k||^2 + lam sum_{i,k} ||u_ik||_2,   N = n c

U has shape d x P x c; D_i = diag(S[:, i]). Used as the baseline of the speed benchmark.

Usage: /usr/bin/python3 bench/rfista_numpy.py --data FILE.npz --lam 1e-3 [--eps 1e-6] [--max-iter 20000]
The npz holds X (n x d), Y (n x c or n), S (n x P, 0/1). Prints one JSON line; time_s is the
solve only (loading excluded).
"""
import argparse
import json
import time

import numpy as np


def forward(X, S, U):
    """Yhat[:, k] = sum_i D_i X u_ik: one GEMM over all patterns, then mask-and-sum."""
    d, P, c = U.shape
    Z = (X @ U.reshape(d, P * c)).reshape(-1, P, c)
    return np.einsum("npc,np->nc", Z, S)


def gradient(X, S, R, N):
    """grad u_ik = X^T (s_i * R_k) / N, as one GEMM on the masked residual."""
    n, P = S.shape
    c = R.shape[1]
    M = S[:, :, None] * R[:, None, :]
    return (X.T @ M.reshape(n, P * c)).reshape(-1, P, c) / N


def group_norms(U):
    return np.sqrt(np.einsum("dpc,dpc->pc", U, U))


def prox(U, tau):
    """Group soft-threshold: u <- u * max(0, 1 - tau / ||u||)."""
    nrm = group_norms(U)
    scale = np.maximum(0.0, 1.0 - tau / np.maximum(nrm, 1e-300))
    return U * scale[None, :, :]


def rfista(X, Y, S, lam, eps=1e-6, max_iter=20000):
    n, d = X.shape
    P, c = S.shape[1], Y.shape[1]
    N = n * c
    t = N / np.linalg.norm(X, 2) ** 2          # initial step; backtracking corrects it
    u = np.zeros((d, P, c))
    v = u
    Yu = np.zeros_like(Y)                      # Yhat at u
    Yv = Yu                                    # Yhat at v (by linearity, no extra GEMM)
    tk = 1.0
    best_dual = -np.inf
    it = 0
    while True:
        # Smooth part, gradient and duality gap, all at v.
        R = Yv - Y
        fv = 0.5 * np.vdot(R, R) / N
        G = gradient(X, S, R, N)
        primal = fv + lam * group_norms(v).sum()
        gmax = group_norms(G).max()            # = max ||X^T D_i Theta_k|| for Theta = -R/N
        scale = 1.0 if gmax <= lam else lam / gmax
        theta = -R * (scale / N)
        best_dual = max(best_dual, np.vdot(theta, Y) - 0.5 * N * np.vdot(theta, theta))
        gap = primal - best_dual
        if gap <= eps * max(1.0, abs(primal)) or it >= max_iter:
            return v, primal, gap, it, gap <= eps * max(1.0, abs(primal))
        it += 1

        # Backtracking line search through the prox.
        while True:
            un = prox(v - t * G, t * lam)
            D = un - v
            Yn = forward(X, S, un)
            # f(u+) <= f(v) + <G, D> + ||D||^2/(2t). f is quadratic, so f(u+) - f(v) - <G, D>
            # = ||Yhat(D)||^2/(2N) exactly; testing that form avoids the cancellation in
            # f(u+) - f(v) which otherwise stalls the search near the optimum.
            E = Yn - Yv
            if np.vdot(E, E) / N <= np.vdot(D, D) / t:
                break
            t *= 0.8
        t *= 1.25

        # Momentum with gradient-mapping restart.
        if np.vdot(un - u, v - un) > 0:
            tk = 1.0
            v, Yv = un, Yn
        else:
            tk1 = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * tk * tk))
            beta = (tk - 1.0) / tk1
            v = un + beta * (un - u)
            Yv = Yn + beta * (Yn - Yu)
            tk = tk1
        u, Yu = un, Yn


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="npz with X, Y, S")
    ap.add_argument("--lam", type=float, required=True)
    ap.add_argument("--eps", type=float, default=1e-6)
    ap.add_argument("--max-iter", type=int, default=20000)
    a = ap.parse_args()
    z = np.load(a.data)
    X = np.ascontiguousarray(z["X"], dtype=np.float64)
    Y = np.asarray(z["Y"], dtype=np.float64)
    Y = np.ascontiguousarray(Y.reshape(len(Y), -1))
    S = np.ascontiguousarray(z["S"], dtype=np.float64)
    t0 = time.perf_counter()
    _, obj, gap, it, ok = rfista(X, Y, S, a.lam, a.eps, a.max_iter)
    dt = time.perf_counter() - t0
    print(json.dumps({"objective": obj, "gap": gap, "iterations": it, "time_s": dt, "converged": bool(ok)}))


if __name__ == "__main__":
    main()
