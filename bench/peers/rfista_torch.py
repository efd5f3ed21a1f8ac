#!/usr/bin/python3
"""PyTorch (CPU) peer of cvxrelu's R-FISTA: the algorithm of rfista_numpy.py and of
src/two_layer/gated.c (gated) / src/two_layer/exact_relu.c (exact ReLU), step for step, written with torch tensors.

float64 by default; --dtype float32 runs every product and vector operation in float32 (the
objective, gap and stopping test are then accumulated in float64 from float32 tensors).
Threads: --threads T sets torch.set_num_threads(T) and the BLAS threads (Debian's PyTorch calls
the system BLAS, OpenBLAS here) so that the peer runs on as many cores as the C run.

The exact ReLU model (--model relu) projects onto the pattern cones with NumPy/SciPy code
(cone_nnls.py: src/two_layer/cone.c's warm-started Lawson-Hanson, or scipy.optimize.nnls) on NumPy
views of the tensors: PyTorch has no NNLS, so that part of the PyTorch peer is NumPy/SciPy.

Input and output as rfista_numpy.py (one JSON line; time_s is the solve only).
Usage: /usr/bin/python3 bench/peers/rfista_torch.py --problem DIR --lam 1e-3 [--eps 1e-6]
       [--max-iter K] [--time-limit S] [--model gated|relu] [--dtype float64|float32] [--threads T]
"""
import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

common.set_threads(common.threads_from_argv())

import numpy as np  # noqa: E402
import torch  # noqa: E402

DUAL_EVERY = 10


def vdot(a, b):
    """<a, b> as a Python float (float32 tensors: accumulated in float64)."""
    if a.dtype != torch.float64:
        a, b = a.double(), b.double()
    return float(torch.dot(a.reshape(-1), b.reshape(-1)))


class Gated:
    def __init__(self, X, Y, S, dtype):
        self.X = torch.from_numpy(X).to(dtype)
        self.Y = torch.from_numpy(Y).to(dtype)
        self.S = torch.from_numpy(S).to(dtype)
        self.n, self.d = X.shape
        self.P, self.c = S.shape[1], Y.shape[1]
        self.m = self.P * self.c
        self.N = self.n * self.c
        self.dtype = dtype
        self.M = torch.empty((self.n, self.P, self.c), dtype=dtype)
        self.products = 0

    def zeros(self):
        return torch.zeros((self.d, self.m), dtype=self.dtype)

    def forward(self, U, Z=None):
        self.products += 1
        Z = self.X @ U
        return torch.einsum("npc,np->nc", Z.reshape(self.n, self.P, self.c), self.S)

    def gradient(self, R):
        self.products += 1
        torch.mul(self.S[:, :, None], R[:, None, :], out=self.M)
        return (self.X.T @ self.M.reshape(self.n, self.m)) / self.N

    def prox(self, W, t, lam):
        nrm = torch.sqrt(torch.sum(W * W, dim=0))
        f = torch.clamp(1.0 - t * lam / torch.clamp(nrm, min=1e-300 if self.dtype == torch.float64 else 1e-30), min=0.0)
        return W * f, None

    def dual_gmax(self, G, R):
        return float(torch.sqrt(torch.sum(G * G, dim=0)).max())

    def first_step(self):
        X = self.X.double()
        v = 1.0 + 0.01 * (torch.arange(self.d, dtype=torch.float64) % 7)
        est = 0.0
        for _ in range(50):
            v = v / torch.linalg.norm(v)
            v = X.T @ (X @ v)
            e = float(torch.linalg.norm(v))
            if abs(e - est) <= 1e-6 * e:
                est = e
                break
            est = e
        maxcount = float(self.S.sum(dim=1).max())
        L = 1.05 * est * maxcount / self.N
        return 1.0 / L if L > 0 else 1.0


class Relu(Gated):
    def __init__(self, X, Y, S, dtype, projection="warm"):
        import cone_nnls

        super().__init__(X, Y, S, dtype)
        self.m = 2 * self.P * self.c
        self.sign = 2.0 * S.T.astype(np.float64) - 1.0
        self.proj = cone_nnls.Projector(X, self.sign, 2 * self.c, projection)
        self.xmax = self.proj.xmax
        self.signT = torch.from_numpy(np.repeat(self.sign, 2 * self.c, axis=0).T.copy()).to(dtype)

    def forward(self, U, Z=None):
        if Z is None:
            self.products += 1
            Z = self.X @ U
        Z4 = Z.reshape(self.n, self.P, self.c, 2)
        return torch.einsum("npc,np->nc", Z4[..., 0] - Z4[..., 1], self.S)

    def gradient(self, R):
        self.products += 1
        torch.mul(self.S[:, :, None], R[:, None, :], out=self.M)
        Gv = (self.X.T @ self.M.reshape(self.n, self.P * self.c)) / self.N
        return torch.stack((Gv, -Gv), dim=-1).reshape(self.d, self.m)

    def prox(self, W, t, lam):
        self.products += 1
        ZW = (self.X @ W).double().numpy()
        Wn = W.double().numpy()
        U = np.empty_like(Wn)
        Z = np.empty_like(ZW)
        for g in range(self.m):
            u, z = self.proj.project(g, Wn[:, g], ZW[:, g])
            nu = float(np.sqrt(u @ u))
            f = 1.0 - t * lam / nu if nu > t * lam else 0.0
            U[:, g] = f * u
            Z[:, g] = f * z
        return torch.from_numpy(U).to(self.dtype), torch.from_numpy(Z).to(self.dtype)

    def dual_gmax(self, G, R):
        self.products += 1
        H = -G
        ZH = (self.X @ H).double().numpy()
        Hn = H.double().numpy()
        return max(self.proj.project_norm(g, Hn[:, g], ZH[:, g]) for g in range(self.m))

    def first_step(self):
        maxcount = float(self.S.sum(dim=1).max()) or 1.0
        fro = float(torch.sum(self.X.double() ** 2))
        return self.N / (2.0 * fro * maxcount)

    def violation(self, U, Z):
        umax = float(torch.sqrt(torch.sum(U * U, dim=0)).max())
        if umax == 0.0:
            return 0.0
        return max(0.0, float((-self.signT * Z).max())) / (self.xmax * umax)


class Preconditioned(Gated):
    """The gated program in the eigenvector coordinates of X^T X / n with the diagonal
    metric s, as rfista_numpy.Preconditioned and src/two_layer/precond.c (eigendecomposition in
    float64, the rotated data in the run's dtype)."""

    FLOOR = 1e-6

    def __init__(self, X, Y, S, dtype):
        Xt = torch.from_numpy(X)
        ev, Q = torch.linalg.eigh(Xt.T @ Xt / X.shape[0])
        s = torch.clamp(ev, min=self.FLOOR * float(ev.max()))
        # as the C: below condition number 10 (or d < 2, d > min(n, 4096)) the plain steps
        self.active = bool(2 <= X.shape[1] <= min(X.shape[0], 4096) and float(ev.max()) > 10.0 * float(s.min()))
        super().__init__((Xt @ Q).numpy() if self.active else X, Y, S, dtype)
        self.s = (s if self.active else torch.ones_like(s)).to(dtype)[:, None]

    def first_step(self):
        if not self.active:
            return super().first_step()
        maxcount = float(self.S.sum(dim=1).max()) or 1.0
        return self.N / (maxcount * self.n)

    def step_point(self, V, G, t):
        return V - t * G / self.s

    def prox(self, Z, t, lam):
        """Newton on the secular equation from the right end of the bracket, per column."""
        if not self.active:
            return super().prox(Z, t, lam)
        tau = t * lam
        s = self.s
        nsz = torch.sqrt(torch.sum((s * Z) ** 2, dim=0))
        W = torch.zeros_like(Z)
        on = nsz > tau
        if not bool(on.any()):
            return W, None
        Zo, szo = Z[:, on], nsz[on]
        lo = tau * float(s.min()) / (szo - tau)
        hi = tau * float(s.max()) / (szo - tau)
        k = hi.clone()
        for _ in range(100):
            inv = 1.0 / (s + k)
            w = s * Zo * inv
            w2 = torch.sum(w * w, dim=0)
            q = torch.sum(w * w * inv, dim=0)
            wn = torch.sqrt(w2)
            h = 1.0 / wn - k / tau
            dh = q / (w2 * wn) - 1.0 / tau
            lo = torch.where(h > 0, torch.maximum(lo, k), lo)
            hi = torch.where(h > 0, hi, torch.minimum(hi, k))
            nxt = torch.where(dh < 0, k - h / torch.where(dh < 0, dh, -torch.ones_like(dh)), 0.5 * (lo + hi))
            bad = ~((nxt > lo) & (nxt < hi))
            nxt = torch.where(bad, 0.5 * (lo + hi), nxt)
            done = torch.abs(nxt - k) <= 1e-15 * k
            k = nxt
            if bool(done.all()):
                break
        W[:, on] = s * Zo / (s + k)
        return W, None

    def sq_norm(self, D):
        return vdot(self.s * D, D)

    def dot(self, A, B):
        return vdot(self.s * A, B)


def dual_value(R, Y, N, gmax, lam):
    alpha = 1.0 if gmax <= lam else lam / gmax
    return -alpha * vdot(R, Y) / N - alpha * alpha * vdot(R, R) / (2.0 * N)


def group_norm_sum(U):
    nrm = torch.sqrt(torch.sum(U.double() ** 2, dim=0))
    return float(nrm.sum()), int((nrm > 0).sum())


def rfista(prob, lam, eps=1e-6, max_iter=100000, time_limit=0.0, relu=False, trace=None,
           growth=1.05):
    Y, N = prob.Y, prob.N
    pre = isinstance(prob, Preconditioned) and prob.active
    t0 = time.perf_counter()
    step = prob.first_step()
    U = prob.zeros()
    Yk = torch.zeros_like(Y)
    R = Yk - Y
    fk = 0.5 * vdot(R, R) / N
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
                Ynew = prob.forward(Unew, Znew)
                Dy = Ynew - Yv
                Du = Unew - V
                quad = prob.sq_norm(Du) if pre else vdot(Du, Du)
                tcurv = t * vdot(Dy, Dy) / (N * quad) if quad > 0.0 else 0.0
                if tcurv <= 1.0:
                    break
                t *= 0.8
                tries += 1
                if tries > 200 or t < 1e-30:
                    stalled = True
                    break

            if (prob.dot(Unew - U, V - Unew) if pre else vdot(Unew - U, V - Unew)) > 0.0:
                mom, beta = 1.0, 0.0
            else:
                mom_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * mom * mom))
                beta = (mom - 1.0) / mom_next
                mom = mom_next
            Uprev, U = U, Unew
            Yprev, Yk = Yk, Ynew
            R = Yk - Y
            fk = 0.5 * vdot(R, R) / N
            step = growth * t if tcurv <= 0.5 else t
            pen, _ = group_norm_sum(U)
            obj = fk + lam * pen
            gap = obj - best_dual
            if relu and prob.violation(U, Znew) > 1e-6:
                gap = math.inf
            if trace is not None:
                trace.append((it, obj, gap, time.perf_counter() - t0))
            if gap <= eps * max(1.0, abs(obj)):
                exit_reason = "converged"
                break
            if stalled:
                exit_reason = "stalled"
                break
        it = min(it, max_iter)

    R = Yk - Y
    fk = 0.5 * vdot(R, R) / N
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
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--step-growth", type=float, default=0.0,
                    help="step growth after an easy step (default: the C solvers' own, 1.05 "
                         "gated (cvxrelu_settings.step_growth), 1.25 relu)")
    ap.add_argument("--projection", choices=("warm", "nnls"), default="warm",
                    help="relu: cone projection (cone_nnls.py, NumPy/SciPy): warm-started "
                         "Lawson-Hanson as src/two_layer/cone.c, or scipy.optimize.nnls started cold")
    ap.add_argument("--threads", type=int, default=0, help="torch and BLAS threads (0: all cores)")
    ap.add_argument("--precondition", action="store_true",
                    help="gated: the preconditioned steps of src/two_layer/precond.c (setup timed)")
    ap.add_argument("--trace", help="write iter,objective,gap,time_s as CSV")
    a = ap.parse_args()
    if bool(a.problem) == bool(a.data):
        ap.error("give exactly one of --problem and --data")
    threads = a.threads if a.threads > 0 else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    X, Y, S = common.load_problem(a.problem) if a.problem else common.load_npz(a.data)
    dtype = torch.float64 if a.dtype == "float64" else torch.float32
    relu = a.model == "relu"
    if a.precondition and relu:
        ap.error("--precondition is for the gated program")
    t_setup = time.perf_counter()
    if relu:
        prob = Relu(X, Y, S, dtype, a.projection)
    else:
        prob = Preconditioned(X, Y, S, dtype) if a.precondition else Gated(X, Y, S, dtype)
    t_setup = time.perf_counter() - t_setup if a.precondition else 0.0
    del X, Y, S
    trace = [] if a.trace else None
    with torch.no_grad():
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
    r.update(implementation="torch", model=a.model, precondition=a.precondition,
             projection=a.projection if relu else None, dtype=a.dtype, threads=threads,
             torch_version=torch.__version__, n=prob.n, d=prob.d, c=prob.c, P=prob.P,
             lam=a.lam, eps=a.eps, step_growth=growth, peak_rss_bytes=common.peak_rss_bytes())
    common.emit(r)


if __name__ == "__main__":
    main()
