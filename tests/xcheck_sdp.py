#!/usr/bin/python3
"""Independent check of the SDP relaxation (docs/algorithms.md, "The SDP relaxation", [PBY24]).

cvxopt's SDP solver is given the relaxation in its *lifted* form, written here from
docs/algorithms.md, "The SDP relaxation" without the reduced space cvxrelu uses: a symmetric p x p matrix Lambda
(p = 2n + d + c), PSD, with M Lambda M^T = 0 for M = [-I, I, X, 0] as equality
constraints, diag(Lambda_ab) = 0, the (alpha, beta) block >= 0 entrywise, and the
squared loss through a Schur-complement block.  Its value must agree with both of
cvxrelu's solvers (ADMM and DSDP, through the CLI) to 1e-4 relative, and each of
cvxrelu's certified lower bounds must lie below cvxopt's value (to its accuracy).
Exit 77 (skipped) without numpy / cvxopt.

Usage: xcheck_sdp.py CVXRELU_BINARY
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import cvxopt
    from cvxopt import solvers
except ImportError as e:
    print("SKIP: numpy or cvxopt missing for /usr/bin/python3 (%s)" % e)
    sys.exit(77)

BIN = sys.argv[1]


def lifted_sdp(X, Y, beta):
    """Paper-scale optimum of the lifted relaxation by cvxopt.solvers.sdp."""
    n, d = X.shape
    c = Y.shape[1]
    p = 2 * n + d + c
    A0, B0, U0, V0 = 0, n, 2 * n, 2 * n + d
    # variables: the upper triangle of Lambda (i <= j), then t
    idx = {}
    for i in range(p):
        for j in range(i, p):
            idx[(i, j)] = len(idx)
    nv = len(idx) + 1
    it = nv - 1

    def var(i, j):
        return idx[(i, j)] if i <= j else idx[(j, i)]

    cost = np.zeros(nv)
    cost[it] = 0.5
    for k in range(U0, p):
        cost[var(k, k)] += 0.5 * beta
    # equalities: (M Lambda M^T)_{ij} = 0 for i <= j, and Lambda(alpha_i, beta_i) = 0
    Mrows = np.zeros((n, p))
    Mrows[:, A0:A0 + n] = -np.eye(n)
    Mrows[:, B0:B0 + n] = np.eye(n)
    Mrows[:, U0:U0 + d] = X
    eq = []
    for i in range(n):
        for j in range(i, n):
            row = np.zeros(nv)
            mi, mj = Mrows[i], Mrows[j]
            for a in np.nonzero(mi)[0]:
                for b in np.nonzero(mj)[0]:
                    row[var(a, b)] += mi[a] * mj[b]
            eq.append(row)
    for i in range(n):
        row = np.zeros(nv)
        row[var(A0 + i, B0 + i)] = 1.0
        eq.append(row)
    Aeq = np.array(eq)
    # drop dependent equalities (cvxopt needs full row rank)
    q, r = np.linalg.qr(Aeq.T)
    keep = np.abs(np.diag(r)) > 1e-9 * np.abs(r).max()
    Aeq = Aeq[keep]
    beq = np.zeros(Aeq.shape[0])
    # entrywise nonnegativity of the (alpha, beta) block: -Lambda_ij <= 0
    Gl = []
    for i in range(2 * n):
        for j in range(i, 2 * n):
            row = np.zeros(nv)
            row[var(i, j)] = -1.0
            Gl.append(row)
    Gl = np.array(Gl)
    hl = np.zeros(Gl.shape[0])
    # PSD: Lambda >= 0, written as -sum x_k E_k <= 0 (cvxopt: G x + s = h, s PSD)
    G1 = np.zeros((p * p, nv))
    for (i, j), k in idx.items():
        G1[i * p + j, k] -= 1.0
        if i != j:
            G1[j * p + i, k] -= 1.0
    h1 = np.zeros((p, p))
    # Schur block [[I, r], [r^T, t]] >= 0 with r = vec(Lambda_av - Y)
    m = n * c + 1
    G2 = np.zeros((m * m, nv))
    h2 = np.eye(m)
    h2[m - 1, m - 1] = 0.0
    for i in range(n):
        for k in range(c):
            rr = i * c + k
            col = var(A0 + i, V0 + k)
            G2[rr * m + (m - 1), col] -= 1.0
            G2[(m - 1) * m + rr, col] -= 1.0
            h2[rr, m - 1] -= Y[i, k]
            h2[m - 1, rr] -= Y[i, k]
    G2[(m - 1) * m + (m - 1), it] -= 1.0
    solvers.options["show_progress"] = False
    solvers.options["abstol"] = 1e-10
    solvers.options["reltol"] = 1e-10
    solvers.options["feastol"] = 1e-10
    sol = solvers.sdp(cvxopt.matrix(cost), Gl=cvxopt.matrix(Gl), hl=cvxopt.matrix(hl),
                      Gs=[cvxopt.matrix(G1), cvxopt.matrix(G2)],
                      hs=[cvxopt.matrix(h1), cvxopt.matrix(h2)],
                      A=cvxopt.matrix(Aeq), b=cvxopt.matrix(beq))
    print("#   cvxopt: %s, primal %.10g dual %.10g, infeasibility %.1e / %.1e"
          % (sol["status"], sol["primal objective"], sol["dual objective"],
             sol["primal infeasibility"], sol["dual infeasibility"]))
    return sol["primal objective"], sol["dual objective"]


def run_case(name, n, d, c, lam, seed, tmp):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:, -1] = 1.0
    w = rng.standard_normal((2, d))
    z = np.maximum(X @ w.T, 0.0)
    if c == 1:
        y = z @ np.array([1.0, -0.7]) + 0.1 * rng.standard_normal(n)
        Y = y.reshape(-1, 1)
        labels = ["%.17g" % v for v in y]
        task = "regression"
    else:
        cls = np.argmax(np.c_[z, 0.3 * np.ones(n)][:, :c], axis=1)
        cls[:c] = np.arange(c)  # every class present, so the CLI sees c outputs
        Y = np.eye(c)[cls]
        labels = ["k%d" % v for v in cls]
        task = "classification"
    path = os.path.join(tmp, name + ".csv")
    with open(path, "w") as f:
        f.write(",".join("x%d" % k for k in range(d)) + ",y\n")
        for i in range(n):
            f.write(",".join("%.17g" % v for v in X[i]) + "," + labels[i] + "\n")
    beta = lam * n * c
    pobj, dobj = lifted_sdp(X, Y, beta)
    ref = pobj / (n * c)
    ok = True
    for solver in ("admm", "dsdp"):
        js = os.path.join(tmp, "%s_%s.json" % (name, solver))
        cmd = [BIN, "train", path, "-q", "--model", "sdp", "--sdp-solver", solver,
               "--task", task, "--no-standardize", "--no-bias", "--lambda", "%.17g" % lam,
               "--eps", "1e-7", "--max-iter", "200000", "--json", js]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL - %s %s: exit %d\n%s" % (name, solver, r.returncode, r.stderr))
            ok = False
            continue
        out = json.load(open(js))
        val, lb = out["sdp_value"], out["sdp_lower_bound"]
        rel = abs(val - ref) / abs(ref)
        good = rel <= 1e-4 and lb <= ref * (1 + 1e-7)
        print("%s - %s %s: cvxopt %.10g (gap %.1e), cvxrelu %.10g, lower bound %.10g, "
              "relative difference %.2e"
              % ("ok  " if good else "FAIL", name, solver, ref, (pobj - dobj) / abs(pobj),
                 val, lb, rel))
        ok = ok and good
    return ok


def main():
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= run_case("regression", 6, 2, 1, 0.02, 1, tmp)
        ok &= run_case("three_class", 6, 2, 3, 0.01, 2, tmp)
        ok &= run_case("regression_b", 7, 3, 1, 0.005, 3, tmp)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
