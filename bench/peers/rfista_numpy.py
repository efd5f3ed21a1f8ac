#!/usr/bin/python3
"""NumPy peer of cvxrelu's R-FISTA (docs/algorithms.md, "The gated ReLU program" and "The solver: R-FISTA"): the same algorithm as
src/two_layer/gated.c (gated) and src/two_layer/exact_relu.c (exact ReLU), for the benchmarks of bench/run.

Gated ReLU (--model gated), the group lasso over patterns i and outputs k (N = n c):
    min_U (1/(2N)) sum_k ||sum_i D_i X u_ik - Y_k||^2 + lam sum_{i,k} ||u_ik||_2
Exact ReLU (--model relu): two weights v_ik, w_ik per pattern and output, each in the cone
{u : A_i X u >= 0}, prediction sum_i D_i X (v_ik - w_ik), the same penalty on both.

The algorithm, step by step as in the C:
  - first step 1/L, L = 1.05 ||X||_2^2 (power iteration) max_j #{i : j in pattern i} / N
    (gated) or N / (2 ||X||_F^2 max_j #{i : j in pattern i}) (relu);
  - extrapolated point V = U + beta (U - U_prev), its predictions by the same combination;
  - gradient at V; backtracking through the prox: accept when
    t ||Yhat(U+) - Yhat(V)||^2 / (N ||U+ - V||^2) <= 1, else t <- 0.8 t; after an easy step
    (ratio <= 0.5) t <- g t, g = 1.05 gated (the C's default cvxrelu_settings.step_growth;
    docs/algorithms.md, "The solver: R-FISTA" says 1.25), 1.25 relu (as src/two_layer/exact_relu.c);
  - FISTA momentum, reset when <U+ - U, V - U+> > 0 (gradient-mapping restart);
  - dual point Theta = -R/N at V scaled to feasibility (gated: by max ||X^T D_i Theta_k||,
    every iteration; relu: by max ||P_K(X^T s D_i Theta_k)||, every 10 iterations, the
    exact cone projection, see cone_nnls.py); best dual value kept;
  - stop when P(U) - best dual <= eps max(1, |P(U)|); the final certificate at the returned U.
--precondition (gated): the preconditioned steps of src/two_layer/precond.c and src/two_layer/gated.c
(docs/algorithms.md): X^T X / n = E^T diag(ev) E, metric s = max(ev, 1e-6 max ev); the data
rotated once (X E^T, so the iterates live in the eigenvector coordinates, where the group norm
is unchanged), steps v - t g / s, the prox argmin 1/2 sum s_j (w_j - z_j)^2 + t lam ||w|| by
the same safeguarded Newton iteration on the secular equation, vectorized over the groups;
backtracking and restart in the s-weighted norm; first step 1 / (max count n / N). The
returned objective and certificate are those of the rotated problem, the same program
(an orthogonal change of variables).
The prox of the relu program is the shrinkage of the cone projection (src/two_layer/exact_relu.c, header);
the projection is exact (cone_nnls.py: src/two_layer/cone.c's warm-started Lawson-Hanson in NumPy, or
--projection nnls for scipy.optimize.nnls started cold).

Input: --problem DIR (dumped by `bench_gated synth|fmnist --dump DIR`) or --data FILE.npz
(X, Y, S). Prints one JSON line; time_s is the solve only (loading excluded).

Usage: /usr/bin/python3 bench/peers/rfista_numpy.py --problem DIR --lam 1e-3 [--eps 1e-6]
       [--max-iter K] [--time-limit S] [--model gated|relu] [--threads T]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

common.set_threads(common.threads_from_argv())

import numpy as np  # noqa: E402

DUAL_EVERY = 10  # relu: dual bound every 10 iterations, as src/two_layer/exact_relu.c


class Gated:
    """Data term, gradient and dual bound of the gated program. U is d x m, m = P c,
    column i c + k holds u_ik."""

    def __init__(self, X, Y, S):
        self.X, self.Y = X, Y
        self.S = S.astype(X.dtype)
        self.n, self.d = X.shape
        self.P, self.c = S.shape[1], Y.shape[1]
        self.m = self.P * self.c
        self.N = self.n * self.c
        self.M = np.empty((self.n, self.P, self.c), dtype=X.dtype)  # masked residual
        self.products = 0

    def zeros(self):
        return np.zeros((self.d, self.m), dtype=self.X.dtype)

    def forward(self, U):
        """Yhat[:, k] = sum_i D_i X u_ik: one GEMM, then mask-and-sum."""
        self.products += 1
        Z = self.X @ U
        return np.einsum("npc,np->nc", Z.reshape(self.n, self.P, self.c), self.S)

    def gradient(self, R):
        """grad u_ik = X^T (s_i * R_k) / N: one GEMM on the masked residual."""
        self.products += 1
        np.multiply(self.S[:, :, None], R[:, None, :], out=self.M)
        return (self.X.T @ self.M.reshape(self.n, self.m)) / self.N

    def prox(self, W, t, lam):
        nrm = np.sqrt(np.einsum("dm,dm->m", W, W))
        f = np.maximum(0.0, 1.0 - t * lam / np.maximum(nrm, 1e-300))
        return W * f, None

    def dual_gmax(self, G, R):
        """max_g ||X^T D_i Theta_k|| / lam-scale: with Theta = -R/N this is max ||G_g||."""
        return float(np.sqrt(np.einsum("dm,dm->m", G, G)).max())

    def first_step(self):
        v = 1.0 + 0.01 * (np.arange(self.d) % 7)
        est = 0.0
        for _ in range(50):
            v = v / np.linalg.norm(v)
            v = self.X.T @ (self.X @ v)
            e = float(np.linalg.norm(v))
            if abs(e - est) <= 1e-6 * e:
                est = e
                break
            est = e
        maxcount = float(self.S.sum(axis=1).max())
        L = 1.05 * est * maxcount / self.N
        return 1.0 / L if L > 0 else 1.0


class Relu(Gated):
    """The exact ReLU program: columns 2 (i c + k) and 2 (i c + k) + 1 hold v_ik and w_ik."""

    def __init__(self, X, Y, S, projection="warm"):
        import cone_nnls

        super().__init__(X, Y, S)
        self.m = 2 * self.P * self.c
        self.sign = 2.0 * self.S.T - 1.0                          # P x n, A_i's diagonal
        self.proj = cone_nnls.Projector(X, self.sign, 2 * self.c, projection)
        self.xmax = self.proj.xmax

    def forward(self, U, Z=None):
        if Z is None:
            self.products += 1
            Z = self.X @ U
        Z4 = Z.reshape(self.n, self.P, self.c, 2)
        return np.einsum("npc,np->nc", Z4[..., 0] - Z4[..., 1], self.S)

    def gradient(self, R):
        """d/dv_ik = X^T D_i R_k / N, d/dw_ik = -d/dv_ik (one GEMM for both)."""
        self.products += 1
        np.multiply(self.S[:, :, None], R[:, None, :], out=self.M)
        Gv = (self.X.T @ self.M.reshape(self.n, self.P * self.c)) / self.N
        return np.stack((Gv, -Gv), axis=-1).reshape(self.d, self.m)

    def prox(self, W, t, lam):
        """Shrinkage of the projection onto each group's cone; returns U and X U."""
        self.products += 1
        ZW = self.X @ W
        U = np.empty_like(W)
        Z = np.empty_like(ZW)
        for g in range(self.m):
            u, z = self.proj.project(g, W[:, g], ZW[:, g])
            nu = float(np.sqrt(u @ u))
            f = 1.0 - t * lam / nu if nu > t * lam else 0.0
            U[:, g] = f * u
            Z[:, g] = f * z
        return U, Z

    def dual_gmax(self, G, R):
        """max_g ||P_K(h_g)||, h_g = -G_g (src/two_layer/exact_relu.c: the dual is feasible after scaling)."""
        self.products += 1
        H = -G
        ZH = self.X @ H
        return max(self.proj.project_norm(g, H[:, g], ZH[:, g]) for g in range(self.m))

    def first_step(self):
        maxcount = float(self.S.sum(axis=1).max()) or 1.0
        fro = float((self.X * self.X).sum())
        return self.N / (2.0 * fro * maxcount)

    def violation(self, U, Z):
        umax = float(np.sqrt((U * U).sum(axis=0)).max())
        if umax == 0.0:
            return 0.0
        A = np.repeat(self.sign, 2 * self.c, axis=0)              # m x n
        return max(0.0, float((-A.T * Z).max())) / (self.xmax * umax)


class Preconditioned(Gated):
    """The gated program in the eigenvector coordinates of X^T X / n with the diagonal
    metric s (as src/two_layer/precond.c)."""

    FLOOR = 1e-6

    def __init__(self, X, Y, S):
        n = X.shape[0]
        ev, Q = np.linalg.eigh(X.T @ X / n)
        s = np.maximum(ev, self.FLOOR * ev.max())
        # as the C: below condition number 10 (or d < 2, d > min(n, 4096)) the plain steps
        self.active = bool(2 <= X.shape[1] <= min(n, 4096) and ev.max() > 10.0 * s.min())
        if not self.active:
            Q, s = np.eye(X.shape[1]), np.ones(X.shape[1])
        super().__init__(X @ Q if self.active else X, Y, S)
        self.s = s[:, None]   # d x 1

    def first_step(self):
        if not self.active:
            return super().first_step()
        maxcount = float(self.S.sum(axis=1).max()) or 1.0
        return self.N / (maxcount * self.n)

    def step_point(self, V, G, t):
        return V - t * G / self.s

    def prox(self, Z, t, lam):
        """Per column: w = s z / (s + k), k > 0 the root of 1/||w(k)|| - k/tau (Newton from
        the right end of the bracket, as cr_precond_prox); w = 0 when ||s z|| <= tau."""
        if not self.active:
            return super().prox(Z, t, lam)
        tau = t * lam
        s = self.s
        sz = s * Z
        nsz = np.sqrt((sz * sz).sum(axis=0))
        W = np.zeros_like(Z)
        on = nsz > tau
        if not on.any():
            return W, None
        Zo, szo = Z[:, on], nsz[on]
        lo = tau * s.min() / (szo - tau)
        hi = tau * s.max() / (szo - tau)
        k = hi.copy()
        for _ in range(100):
            den = s + k
            w = s * Zo / den
            w2 = (w * w).sum(axis=0)
            q = (w * w / den).sum(axis=0)
            wn = np.sqrt(w2)
            h = 1.0 / wn - k / tau
            dh = q / (w2 * wn) - 1.0 / tau
            lo = np.where(h > 0, np.maximum(lo, k), lo)
            hi = np.where(h > 0, hi, np.minimum(hi, k))
            nxt = np.where(dh < 0, k - h / np.where(dh < 0, dh, -1.0), 0.5 * (lo + hi))
            bad = ~((nxt > lo) & (nxt < hi))
            nxt = np.where(bad, 0.5 * (lo + hi), nxt)
            done = np.abs(nxt - k) <= 1e-15 * k
            k = nxt
            if done.all():
                break
        W[:, on] = s * Zo / (s + k)
        return W, None

    def sq_norm(self, D):
        return float((self.s * D * D).sum())

    def dot(self, A, B):
        return float((self.s * A * B).sum())


def dual_value(R, Y, N, gmax, lam):
    """D(Theta) for Theta = -alpha R / N, alpha = min(1, lam / gmax) (docs/algorithms.md, "The certificate: the duality gap")."""
    alpha = 1.0 if gmax <= lam else lam / gmax
    return -alpha * float(np.vdot(R, Y)) / N - alpha * alpha * float(np.vdot(R, R)) / (2.0 * N)


def group_norm_sum(U):
    nrm = np.sqrt(np.einsum("dm,dm->m", U, U))
    return float(nrm.sum()), int((nrm > 0).sum())


def rfista(prob, lam, eps=1e-6, max_iter=100000, time_limit=0.0, relu=False, trace=None,
           growth=1.05):
    Y, N = prob.Y, prob.N
    pre = isinstance(prob, Preconditioned) and prob.active
    t0 = time.perf_counter()
    step = prob.first_step()
    U = prob.zeros()
    Yk = np.zeros_like(Y)
    R = Yk - Y
    fk = 0.5 * float(np.vdot(R, R)) / N
    G = prob.gradient(R)
    best_dual = dual_value(R, Y, N, prob.dual_gmax(G, R), lam)
    grad_at_U = True
    Uprev, Yprev = U, Yk
    beta, mom = 0.0, 1.0
    since_dual = 0
    pen, _ = group_norm_sum(U)
    obj = fk + lam * pen
    gap = obj - best_dual
    exit_reason = "max_iter"
    it = 0
    if trace is not None:
        trace.append((0, obj, gap, time.perf_counter() - t0))
    if gap <= eps * max(1.0, abs(obj)):
        exit_reason = "converged"
    else:
        for it in range(1, max_iter + 1):
            if time_limit > 0 and time.perf_counter() - t0 >= time_limit:
                it -= 1
                exit_reason = "time_limit"
                break
            b = beta
            V = U + b * (U - Uprev) if b != 0.0 else U
            Yv = Yk + b * (Yk - Yprev) if b != 0.0 else Yk
            R = Yv - Y
            if relu:
                G = prob.gradient(R)
                since_dual += 1
                if since_dual >= DUAL_EVERY:
                    best_dual = max(best_dual, dual_value(R, Y, N, prob.dual_gmax(G, R), lam))
                    since_dual = 0
            elif not (b == 0.0 and grad_at_U):
                G = prob.gradient(R)
                best_dual = max(best_dual, dual_value(R, Y, N, prob.dual_gmax(G, R), lam))
            grad_at_U = False

            t = step
            tries = 0
            stalled = False
            while True:
                Unew, Znew = prob.prox(V - t * G if not pre else prob.step_point(V, G, t), t, lam)
                Ynew = prob.forward(Unew, Znew) if relu else prob.forward(Unew)
                Dy = Ynew - Yv
                Du = Unew - V
                quad = prob.sq_norm(Du) if pre else float(np.vdot(Du, Du))
                tcurv = t * float(np.vdot(Dy, Dy)) / (N * quad) if quad > 0.0 else 0.0
                if tcurv <= 1.0:
                    break
                t *= 0.8
                tries += 1
                if tries > 200 or t < 1e-30:
                    stalled = True
                    break

            if (prob.dot(Unew - U, V - Unew) if pre else float(np.vdot(Unew - U, V - Unew))) > 0.0:
                mom, beta = 1.0, 0.0
            else:
                mom_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * mom * mom))
                beta = (mom - 1.0) / mom_next
                mom = mom_next
            Uprev, U = U, Unew
            Yprev, Yk = Yk, Ynew
            R = Yk - Y
            fk = 0.5 * float(np.vdot(R, R)) / N
            step = growth * t if tcurv <= 0.5 else t
            pen, _ = group_norm_sum(U)
            obj = fk + lam * pen
            gap = obj - best_dual
            if relu and prob.violation(U, Znew) > 1e-6:
                gap = np.inf
            if trace is not None:
                trace.append((it, obj, gap, time.perf_counter() - t0))
            if gap <= eps * max(1.0, abs(obj)):
                exit_reason = "converged"
                break
            if stalled:
                exit_reason = "stalled"
                break
        it = min(it, max_iter)

    # the exact certificate at the returned weights
    R = Yk - Y
    fk = 0.5 * float(np.vdot(R, R)) / N
    G = prob.gradient(R)
    best_dual = max(best_dual, dual_value(R, Y, N, prob.dual_gmax(G, R), lam))
    pen, active = group_norm_sum(U)
    obj = fk + lam * pen
    gap = obj - best_dual
    if gap < 0.0 and gap > -1e-12 * max(1.0, abs(obj)):
        gap = 0.0
    if exit_reason in ("max_iter", "stalled") and gap <= eps * max(1.0, abs(obj)):
        exit_reason = "converged"
    dt = time.perf_counter() - t0
    return dict(objective=obj, gap=gap, relative_gap=gap / max(1.0, abs(obj)), iterations=it,
                exit=exit_reason, converged=exit_reason == "converged", active_groups=active,
                passes_over_x=prob.products, time_s=dt,
                time_per_iteration_s=dt / max(it, 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problem", help="directory written by bench_gated --dump")
    ap.add_argument("--data", help="npz with X, Y, S (older input)")
    ap.add_argument("--lam", type=float, required=True)
    ap.add_argument("--eps", type=float, default=1e-6)
    ap.add_argument("--max-iter", type=int, default=100000)
    ap.add_argument("--time-limit", type=float, default=0.0)
    ap.add_argument("--model", choices=("gated", "relu"), default="gated")
    ap.add_argument("--step-growth", type=float, default=0.0,
                    help="step growth after an easy step (default: the C solvers' own, 1.05 "
                         "gated (cvxrelu_settings.step_growth), 1.25 relu)")
    ap.add_argument("--projection", choices=("warm", "nnls"), default="warm",
                    help="relu: cone projection by warm-started Lawson-Hanson (as src/two_layer/cone.c) "
                         "or by scipy.optimize.nnls started cold")
    ap.add_argument("--threads", type=int, default=0, help="BLAS threads (0: library default)")
    ap.add_argument("--precondition", action="store_true",
                    help="gated: the preconditioned steps of src/two_layer/precond.c (setup timed)")
    ap.add_argument("--trace", help="write iter,objective,gap,time_s as CSV")
    a = ap.parse_args()
    if bool(a.problem) == bool(a.data):
        ap.error("give exactly one of --problem and --data")
    X, Y, S = common.load_problem(a.problem) if a.problem else common.load_npz(a.data)
    relu = a.model == "relu"
    if a.precondition and relu:
        ap.error("--precondition is for the gated program")
    t_setup = time.perf_counter()
    if relu:
        prob = Relu(X, Y, S, a.projection)
    else:
        prob = Preconditioned(X, Y, S) if a.precondition else Gated(X, Y, S)
    t_setup = time.perf_counter() - t_setup if a.precondition else 0.0
    trace = [] if a.trace else None
    growth = a.step_growth if a.step_growth > 0 else (1.25 if relu else 1.05)
    r = rfista(prob, a.lam, a.eps, a.max_iter, a.time_limit, relu, trace, growth)
    # the preconditioner's setup (X^T X, eigh, X E^T) is part of the solve, as in the C
    r["time_s"] += t_setup
    r["setup_s"] = t_setup
    r["preconditioned"] = int(isinstance(prob, Preconditioned) and prob.active)
    if trace is not None:
        with open(a.trace, "w") as f:
            f.write("iter,objective,gap,time_s\n")
            for row in trace:
                f.write("%d,%.17g,%.17g,%.6f\n" % row)
    r.update(implementation="numpy", model=a.model, precondition=a.precondition,
             projection=a.projection if relu else None, dtype="float64", threads=a.threads,
             n=prob.n, d=prob.d, c=prob.c, P=prob.P, lam=a.lam, eps=a.eps,
             step_growth=growth, peak_rss_bytes=common.peak_rss_bytes())
    common.emit(r)


if __name__ == "__main__":
    main()
