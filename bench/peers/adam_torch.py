#!/usr/bin/python3
"""Non-convex baseline: a two-layer ReLU network trained by PyTorch Adam (CPU) on the canonical
objective of docs/algorithms.md, "The objective and its scale",

    F(W, a) = (1/(2N)) ||f(X) - Y||_F^2 + (lam/2) sum_j (||w_j||^2 + a_j^2),   N = n c,
    f_k(x) = sum_{j in output k} a_j (x . w_j)_+   (m neurons per output, as cvxrelu's networks),

recording (time, objective) every few steps, for the comparison with convex training in
bench/run (target adam). Full batch by default: the objective of each step is the loss Adam
differentiates, so recording costs nothing; with --batch B (minibatches) the full objective is
evaluated every --record-every steps with the clock stopped.

Initialization as the CLI's local trainer: w ~ N(0, s^2/d I), a ~ N(0, s^2/m), s = --init-scale.

Input: --problem DIR (bench_gated --dump; S is not used). Output: one JSON line (best and final
objective, steps, time) and, with --trace FILE, CSV step,time_s,objective.

Usage: /usr/bin/python3 bench/peers/adam_torch.py --problem DIR --lam 1e-3 --width M
       [--lr 1e-3] [--steps K] [--time-limit S] [--batch B] [--record-every K] [--seed S]
       [--dtype float64|float32] [--threads T] [--trace FILE]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

common.set_threads(common.threads_from_argv())

import torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problem", required=True)
    ap.add_argument("--lam", type=float, required=True)
    ap.add_argument("--width", type=int, required=True, help="neurons per output")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--steps", type=int, default=1000000)
    ap.add_argument("--time-limit", type=float, default=0.0, help="seconds of training (0: none)")
    ap.add_argument("--batch", type=int, default=0, help="minibatch rows (0: full batch)")
    ap.add_argument("--record-every", type=int, default=10)
    ap.add_argument("--init-scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--trace", help="CSV step,time_s,objective")
    a = ap.parse_args()
    if a.steps <= 0 or a.width <= 0:
        ap.error("--steps and --width must be positive")
    threads = a.threads if a.threads > 0 else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    dtype = torch.float64 if a.dtype == "float64" else torch.float32
    Xn, Yn, _ = common.load_problem(a.problem)
    X = torch.from_numpy(Xn).to(dtype)
    Y = torch.from_numpy(Yn).to(dtype)
    n, d = X.shape
    c = Y.shape[1]
    m = a.width
    N = n * c
    g = torch.Generator().manual_seed(a.seed)
    s = a.init_scale
    W = (torch.randn(d, c * m, generator=g, dtype=dtype) * (s / d ** 0.5)).requires_grad_()
    A = (torch.randn(c, m, generator=g, dtype=dtype) * (s / m ** 0.5)).requires_grad_()
    opt = torch.optim.Adam([W, A], lr=a.lr)

    def data_term(Xb, Yb):
        H = torch.relu(Xb @ W).reshape(-1, c, m)
        F = torch.einsum("ncm,cm->nc", H, A)
        return 0.5 * torch.sum((F - Yb) ** 2)

    def penalty():
        return 0.5 * a.lam * (torch.sum(W * W) + torch.sum(A * A))

    def full_objective():
        with torch.no_grad():
            return float(data_term(X, Y)) / N + float(penalty())

    trace = []
    best = float("inf")
    clock = 0.0                     # training time, evaluation excluded
    t_last = time.perf_counter()
    step = 0
    perm = None
    pos = n
    for step in range(a.steps + 1):
        if a.batch <= 0:
            opt.zero_grad(set_to_none=True)
            loss = data_term(X, Y) / N + penalty()
            obj = float(loss)       # the objective at the current weights, before this step
            now = time.perf_counter()
            clock += now - t_last
            t_last = now
            best = min(best, obj)
            if step % a.record_every == 0:
                trace.append((step, clock, obj))
            if step == a.steps or (a.time_limit > 0 and clock >= a.time_limit):
                break
            loss.backward()
            opt.step()
        else:
            if step % a.record_every == 0 or step == a.steps:
                clock += time.perf_counter() - t_last
                obj = full_objective()
                best = min(best, obj)
                trace.append((step, clock, obj))
                t_last = time.perf_counter()
                if step == a.steps or (a.time_limit > 0 and clock >= a.time_limit):
                    break
            if pos + a.batch > n:
                perm = torch.randperm(n, generator=g)
                pos = 0
            idx = perm[pos:pos + a.batch]
            pos += a.batch
            opt.zero_grad(set_to_none=True)
            # the minibatch estimate of the same objective: (n / |B|) times the batch's data term
            loss = data_term(X[idx], Y[idx]) * (n / len(idx)) / N + penalty()
            loss.backward()
            opt.step()
    final = full_objective()
    best = min(best, final)
    if a.trace:
        with open(a.trace, "w") as f:
            f.write("step,time_s,objective\n")
            for row in trace:
                f.write("%d,%.6f,%.17g\n" % row)
    with torch.no_grad():
        active = int(((W.detach().reshape(d, c, m).norm(dim=0) > 0) & (A.detach() != 0)).sum())
    common.emit(dict(implementation="torch-adam", n=n, d=d, c=c, width=m, lam=a.lam, lr=a.lr,
                     batch=a.batch, steps=step, time_s=clock, objective=final, best_objective=best,
                     neurons=active, dtype=a.dtype, threads=threads, seed=a.seed,
                     torch_version=torch.__version__))


if __name__ == "__main__":
    main()
