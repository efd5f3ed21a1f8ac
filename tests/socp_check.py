#!/usr/bin/python3
"""Independent cross-check of the gated-ReLU group lasso (docs/algorithms.md, "The gated ReLU program") with cvxopt.coneqp.

    min_U (1/(2N)) sum_k ||sum_i D_i X u_ik - Y_k||^2 + lam sum_{i,k} ||u_ik||_2,   N = n c

Epigraph form over x = [u; t]: minimize (1/2) x'Qx + q'x with the quadratic loss in Q, q and
lam * sum t, subject to (t_ik, u_ik) in the second-order cone of dimension d+1.

Usage: /usr/bin/python3 tests/socp_check.py IN.npz LAM      (npz holds X, Y, S)
Prints {"objective": ...} evaluated from the returned U with the exact formula. Exit 77 (skip)
when numpy or cvxopt is missing.
"""
import json
import sys

try:
    import numpy as np
    from cvxopt import matrix, solvers
except ImportError as e:
    print("SKIP: %s" % e)
    sys.exit(77)


def objective(X, Y, S, U, lam):
    N = Y.size
    Yhat = np.einsum("np,npc->nc", S, np.einsum("nd,dpc->npc", X, U))
    return 0.5 * np.sum((Yhat - Y) ** 2) / N + lam * np.linalg.norm(U, axis=0).sum()


def solve(X, Y, S, lam):
    n, d = X.shape
    P, c = S.shape[1], Y.shape[1]
    N, m = n * c, P * c                      # m groups (i, k), group g = i*c + k
    nu = d * m
    # A maps u (groups contiguous, d entries each) to vec(Yhat) (output-major: k*n + row).
    A = np.zeros((N, nu))
    for i in range(P):
        DX = S[:, i:i + 1] * X
        for k in range(c):
            g = i * c + k
            A[k * n:(k + 1) * n, g * d:(g + 1) * d] = DX
    y = Y.T.reshape(-1)
    Q = np.zeros((nu + m, nu + m))
    Q[:nu, :nu] = A.T @ A / N
    q = np.concatenate([-A.T @ y / N, np.full(m, lam)])
    # Cone g: s = (t_g, u_g) = -G x with h = 0.
    G = np.zeros((m * (d + 1), nu + m))
    for g in range(m):
        r = g * (d + 1)
        G[r, nu + g] = -1.0
        G[r + 1:r + 1 + d, g * d:(g + 1) * d] = -np.eye(d)
    h = np.zeros(m * (d + 1))
    solvers.options.update(show_progress=False, abstol=1e-10, reltol=1e-10,
                           feastol=1e-10, maxiters=500)
    sol = solvers.coneqp(matrix(Q), matrix(q), matrix(G), matrix(h),
                         dims={"l": 0, "q": [d + 1] * m, "s": []})
    x = np.array(sol["x"]).ravel()
    U = x[:nu].reshape(P, c, d).transpose(2, 0, 1)   # back to d x P x c
    return U, sol["status"]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    z = np.load(sys.argv[1])
    lam = float(sys.argv[2])
    X = np.asarray(z["X"], dtype=float)
    Y = np.asarray(z["Y"], dtype=float)
    Y = Y.reshape(len(Y), -1)
    S = np.asarray(z["S"], dtype=float)
    U, status = solve(X, Y, S, lam)
    print(json.dumps({"objective": objective(X, Y, S, U, lam), "status": status}))


if __name__ == "__main__":
    main()
