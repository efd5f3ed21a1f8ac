#!/usr/bin/python3
"""Independent check of the three-layer convex program (docs/algorithms.md, "Three-layer parallel networks", [EP21]).

A relu3 model file with K random sub-networks (width1 M) is written here; the CLI solves the
convex program over exactly that network's configurations (--configs-from NET --subnets 0, so
no configuration is sampled).  Independently of the C code, this script

1. computes the configurations of the same network: per sub-network the first-layer patterns
   D1_l = 1[X w_l > 0], the signs s_l of the second-layer weights (+1 for >= 0) and the
   second-layer pattern D2 = 1[sum_l W2_l (X w_l)_+ > 0], dropping empty D2 and duplicates
   (the same multiset of (D1_l, s_l) and the same D2); their number must equal the CLI's;
2. solves, with cvxopt.solvers.coneqp, the program over groups (configuration p, sign e)
       min (1/(2n)) ||sum_{p,e} (-1)^e D2_p sum_l D1_pl X w_pel - y||^2 + lambda sum ||w_pel||
       s.t. s_pl (2 D1_pl - I) X w_pel >= 0,   (2 D2_p - I) sum_l D1_pl X w_pel >= 0
   as a cone QP (second-order cones t_b >= ||w_b||, linear cone constraints);
3. requires cvxrelu's certified "convex_objective" to agree with cvxopt's optimum to 1e-6
   relative and its "convex_lower_bound" to lie below it, the recovered network's objective to equal
   the convex one, and both optima to lie below the given network's own path-form objective
   (the network is a feasible point of the program).

Exit 77 (skipped) without numpy / cvxopt.  Usage: xcheck_relu3.py CVXRELU_BINARY
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


def configurations(X, W1, W2):
    """Distinct configurations (D1: M x n 0/1, s: M signs, D2: n 0/1) of the sub-networks
    W1 (K x M x d), W2 (K x M), in first-seen order."""
    seen, out = set(), []
    for j in range(W1.shape[0]):
        Z = W1[j] @ X.T                                     # M x n
        D1 = (Z > 0).astype(int)
        s = np.where(W2[j] >= 0, 1, -1)
        D2 = ((W2[j] @ np.maximum(Z, 0)) > 0).astype(int)
        if not D2.any():
            continue
        key = (tuple(sorted((tuple(D1[l]), int(s[l])) for l in range(len(s)))), tuple(D2))
        if key in seen:
            continue
        seen.add(key)
        out.append((D1.astype(float), s.astype(float), D2.astype(float)))
    return out


def relu3_program(X, y, confs, lam):
    """Optimum of the three-layer convex program by cvxopt.coneqp (value on the canonical
    scale, status, constraint residual of the returned point)."""
    n, d = X.shape
    M = len(confs[0][1])
    G = 2 * len(confs)                                     # groups (p, e)
    B = G * M                                              # blocks w_{p,e,l}
    nu = B * d
    A = np.zeros((n, nu))
    lin = []                                               # rows of  -(cone constraints)
    for g in range(G):
        D1, s, D2 = confs[g // 2]
        sgn = 1.0 if g % 2 == 0 else -1.0
        sec = np.zeros((n, nu))
        for l in range(M):
            b = g * M + l
            cols = slice(b * d, (b + 1) * d)
            DX = D1[l][:, None] * X
            A[:, cols] = sgn * D2[:, None] * DX
            first = np.zeros((n, nu))
            first[:, cols] = -(s[l] * (2 * D1[l] - 1))[:, None] * X
            lin.append(first)
            sec[:, cols] = -(2 * D2 - 1)[:, None] * DX
        lin.append(sec)
    Gl = np.vstack(lin)
    L = Gl.shape[0]
    # variables (u, t): u the blocks, t_b >= ||w_b||
    Q = np.zeros((nu + B, nu + B))
    Q[:nu, :nu] = A.T @ A / n
    q = np.concatenate([-A.T @ y / n, np.full(B, lam)])
    Gm = np.zeros((L + B * (d + 1), nu + B))
    Gm[:L, :nu] = Gl
    for b in range(B):
        r = L + b * (d + 1)
        Gm[r, nu + b] = -1.0
        Gm[r + 1:r + 1 + d, b * d:(b + 1) * d] = -np.eye(d)
    h = np.zeros(Gm.shape[0])
    solvers.options.update(show_progress=False, abstol=1e-10, reltol=1e-10, feastol=1e-10,
                           maxiters=500)
    sol = solvers.coneqp(matrix(Q), matrix(q), matrix(Gm), matrix(h),
                         dims={"l": L, "q": [d + 1] * B, "s": []})
    u = np.array(sol["x"]).ravel()[:nu]
    r = A @ u - y
    obj = 0.5 * r @ r / n + lam * sum(np.linalg.norm(u[b * d:(b + 1) * d]) for b in range(B))
    scale = np.abs(X).max() * max(np.abs(u).max(), 1e-300)
    viol = max(0.0, float((Gl @ u).max())) / scale
    return obj, sol["status"], viol


def path_objective(X, y, W1, W2, a, lam):
    """The network's objective at its best rescaling (the convex program's scale)."""
    n = X.shape[0]
    f = np.zeros(n)
    pen = 0.0
    for j in range(W1.shape[0]):
        H = np.maximum(W1[j] @ X.T, 0)                     # M x n
        f += a[j] * np.maximum(W2[j] @ H, 0)
        pen += abs(a[j]) * sum(abs(W2[j, l]) * np.linalg.norm(W1[j, l]) for l in range(len(W2[j])))
    r = f - y
    return 0.5 * r @ r / n + lam * pen


def write_model(path, W1, W2, a, lam, d):
    K, M = W2.shape
    with open(path, "w") as fh:
        fh.write("cvxrelu-model 1\nkind relu3\ntask regression\nd_raw %d\nd %d\noutputs 1\n"
                 "standardize 0\nbias 0\nlambda %.17g\npatterns %d\nobjective nan\ngap nan\n"
                 "classes 0\n" % (d, d, lam, K))
        fh.write("mean %s\nscale %s\n" % (" ".join(["0"] * d), " ".join(["1"] * d)))
        fh.write("subnets %d width1 %d\n" % (K, M))
        for j in range(K):
            vals = [a[j]] + list(W2[j]) + list(W1[j].ravel())
            fh.write("s 0 " + " ".join("%.17g" % v for v in vals) + "\n")
        fh.write("end\n")


def run_case(name, seed, n, d, M, K, lams, tmp):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    # targets from a small three-layer teacher, plus noise
    T1 = rng.standard_normal((2, M, d))
    T2 = rng.standard_normal((2, M))
    y = sum(sgn * np.maximum(T2[j] @ np.maximum(T1[j] @ X.T, 0), 0)
            for j, sgn in enumerate((1.0, -0.8))) + 0.1 * rng.standard_normal(n)
    # the network whose configurations define the program: random sub-networks, plus a
    # permuted, rescaled copy of the first (a duplicate configuration) and one whose second
    # layer is all negative (empty second-layer pattern, dropped)
    W1 = rng.standard_normal((K, M, d))
    W2 = rng.standard_normal((K, M))
    a = rng.choice([-1.0, 1.0], K) * rng.uniform(0.5, 1.5, K)
    perm = rng.permutation(M)[::-1]
    W1 = np.concatenate([W1, 1.7 * W1[0][perm][None], W1[1][None]])
    W2 = np.concatenate([W2, 0.6 * W2[0][perm][None], -np.abs(W2[1])[None]])
    a = np.concatenate([a, [-a[0], 0.3]])
    data = os.path.join(tmp, name + ".csv")
    with open(data, "w") as fh:
        fh.write(",".join("x%d" % k for k in range(d)) + ",y\n")
        for i in range(n):
            fh.write(",".join("%.17g" % v for v in X[i]) + ",%.17g\n" % y[i])
    confs = configurations(X, W1, W2)
    ok = True
    for lam in lams:
        net = os.path.join(tmp, name + ".model")
        write_model(net, W1, W2, a, lam, d)
        js = os.path.join(tmp, name + ".json")
        cmd = [BIN, "train", data, "-q", "--model", "relu3", "--task", "regression",
               "--width1", str(M), "--subnets", "0", "--configs-from", net, "--no-standardize",
               "--no-bias", "--lambda", "%.17g" % lam, "--eps", "1e-9", "--max-iter", "400000",
               "--json", js]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL - %s lambda=%g: exit %d\n%s" % (name, lam, r.returncode, r.stderr))
            ok = False
            continue
        with open(js) as fh:
            ours = json.load(fh)
        ref, status, viol = relu3_program(X, y, confs, lam)
        cvx, lb, rec = ours["convex_objective"], ours["convex_lower_bound"], ours["objective"]
        rel = abs(cvx - ref) / max(1.0, abs(ref))
        netobj = path_objective(X, y, W1, W2, a, lam)
        checks = {
            "configurations": ours["configurations"] == len(confs),
            "converged": ours["converged"] == 1,
            "value": rel <= 1e-6,
            "lower bound": lb <= ref + 1e-9,
            "recovery": abs(rec - cvx) <= 1e-8 * max(1.0, abs(cvx)),
            "below network": max(cvx, ref) <= netobj + 1e-9,
        }
        good = all(checks.values())
        print("%s - %s n=%d d=%d M=%d K=%d lambda=%g: configurations %d (python %d); cvxrelu "
              "%.12g (lower bound %.12g, gap %.1e, %d iterations, %d active), cvxopt %.12g (%s, "
              "violation %.0e), rel diff %.1e; recovered network %.12g; given network %.6g%s"
              % ("ok  " if good else "FAIL", name, n, d, M, W1.shape[0], lam,
                 ours["configurations"], len(confs), cvx, lb, ours["convex_gap"], ours["iterations"],
                 ours["active_subnets"], ref, status, viol, rel, rec, netobj,
                 "" if good else " [failed: %s]"
                 % ", ".join(k for k, v in checks.items() if not v)))
        ok = ok and good
    return ok


def main():
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= run_case("a", 11, 30, 3, 2, 3, (1e-2, 2e-3), tmp)
        ok &= run_case("b", 12, 36, 4, 3, 4, (1e-2, 2e-3), tmp)
        ok &= run_case("c", 13, 40, 4, 2, 5, (1e-2, 2e-3), tmp)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
