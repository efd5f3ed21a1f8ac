#!/usr/bin/python3
"""[KP24] Figure 1: optimal value of the relaxed programs vs the number of sampled patterns.

n = 300, d = 10, X Gaussian; y from a planted ReLU teacher (5 neurons, weights N(0, I/d),
output weights N(0, 1)) plus N(0, 0.1^2) noise.  For each of 10 seeds (data and gates) and
three values of lambda, the constrained ReLU program (3.2) and the gated program (3.1) are
solved on the SAME nested sampled patterns (cvxrelu's sampler: the first k patterns of a run
with P > k are those of the run with P = k) to a relative duality gap of 1e-6.  The network
recovered from each constrained solve is certified (DESIGN 5): its lower bound LB <= p*, the
global optimum of the non-convex network of any width.

Writes results/fig1.csv and docs/img/kp24-fig1.png; prints the checks
(constrained non-increasing in P, constrained >= gated) against the certified intervals.
Usage: experiments/kp24/fig1.py   (from anywhere; about 5 minutes on 2 cores)
"""
import csv, json, os, subprocess, sys, tempfile
import numpy as np

from kp24data import CLI, ROOT, planted_teacher, save_csv
OUT = os.path.join(ROOT, "experiments", "kp24", "results", "fig1.csv")
PNG = os.path.join(ROOT, "docs", "img", "kp24-fig1.png")
N, D, SEEDS = 300, 10, range(10)
LAMBDAS = [1e-3, 1e-2, 1e-1]
PS = [2, 4, 8, 16, 32, 64, 128, 256]


def data(seed, path):
    save_csv(path, planted_teacher(N, D, 1000 + seed))


def solve(path, model, P, lam, seed, tmp):
    js = os.path.join(tmp, "o.json")
    subprocess.run([CLI, "train", path, "--raw", "--task", "regression", "--model", model,
                    "--patterns", str(P), "--seed", str(seed), "--lambda", repr(lam),
                    "--eps", "1e-6", "--max-iter", "30000", "--time-limit", "60", "-q",
                    "--json", js], check=True)
    with open(js) as f:
        return json.load(f)


def main():
    if not os.access(CLI, os.X_OK):
        sys.exit("build the CLI first: make build")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in SEEDS:
            path = os.path.join(tmp, "d.csv")
            data(seed, path)
            for lam in LAMBDAS:
                for P in PS:
                    for model in ("relu", "gated"):
                        j = solve(path, model, P, lam, seed, tmp)
                        rows.append(dict(seed=seed, lam=lam, P=P, model=model,
                                         patterns=j["patterns"], objective=j["objective"],
                                         dual=j["dual_value"], gap=j["duality_gap"],
                                         rel_gap=j["relative_gap"],
                                         exit=j["exit"], iterations=j["iterations"],
                                         solve_time_s=j["solve_time_s"],
                                         lower_bound=j.get("lower_bound", ""),
                                         bound_used=j.get("bound_used", "")))
            print("seed %d done" % seed, flush=True)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    # checks, on the certified intervals [dual, objective]
    key = {(r["seed"], r["lam"], r["P"], r["model"]): r for r in rows}
    mono = monog = below = 0
    unconv = sum(r["exit"] != "converged" for r in rows)
    for seed in SEEDS:
        for lam in LAMBDAS:
            for P, Q in zip(PS, PS[1:]):
                a, b = key[(seed, lam, P, "relu")], key[(seed, lam, Q, "relu")]
                if b["dual"] > a["objective"]:
                    mono += 1
                a, b = key[(seed, lam, P, "gated")], key[(seed, lam, Q, "gated")]
                if b["dual"] > a["objective"]:
                    monog += 1
            for P in PS:
                r, g = key[(seed, lam, P, "relu")], key[(seed, lam, P, "gated")]
                if g["dual"] > r["objective"]:
                    below += 1
    print("runs: %d, not converged to 1e-6: %d, largest relative gap %.2e" % (
        len(rows), unconv, max(r["rel_gap"] for r in rows)))
    print("constrained value increasing in P beyond the gaps: %d cases" % mono)
    print("gated value increasing in P beyond the gaps: %d cases" % monog)
    print("constrained below gated beyond the gaps: %d cases" % below)
    print()
    print("| lambda | P | constrained median [min, max] | gated median [min, max] | "
          "median constrained/gated | median certified LB | median constrained/LB |")
    print("|---|---|---|---|---|---|---|")
    for lam in LAMBDAS:
        for P in PS:
            r = np.array([key[(s, lam, P, "relu")]["objective"] for s in SEEDS])
            g = np.array([key[(s, lam, P, "gated")]["objective"] for s in SEEDS])
            lb = np.array([key[(s, lam, P, "relu")]["lower_bound"] for s in SEEDS])
            print("| %g | %d | %.4g [%.4g, %.4g] | %.4g [%.4g, %.4g] | %.3f | %.4g | %.3g |" % (
                lam, P, np.median(r), r.min(), r.max(), np.median(g), g.min(), g.max(),
                np.median(r / g), np.median(lb), np.median(r / lb)))
    print("sqrt(log 2n) = %.3f" % np.sqrt(np.log(2 * N)))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, len(LAMBDAS), figsize=(4.2 * len(LAMBDAS), 6.4),
                             sharex=True, gridspec_kw=dict(height_ratios=[3, 2]))
    for ax, rax, lam in zip(axes[0], axes[1], LAMBDAS):
        for model, col, lab in (("relu", "C0", "constrained (exact ReLU on the patterns)"),
                                ("gated", "C1", "gated relaxation")):
            v = np.array([[key[(s, lam, P, model)]["objective"] for P in PS] for s in SEEDS])
            ax.plot(PS, np.median(v, 0), "-o", color=col, ms=3, label=lab)
            ax.fill_between(PS, v.min(0), v.max(0), color=col, alpha=0.25)
        lb = np.array([[key[(s, lam, P, "relu")]["lower_bound"] for P in PS] for s in SEEDS])
        ax.plot(PS, np.median(lb, 0), ":", color="k", label="certified LB on p* (median)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title("lambda = %g (beta = %g)" % (lam, lam * N))
        ax.grid(alpha=0.3)
        q = np.array([[key[(s, lam, P, "relu")]["objective"] / key[(s, lam, P, "gated")]["objective"]
                       for P in PS] for s in SEEDS])
        rax.plot(PS, np.median(q, 0), "-o", color="C2", ms=3, label="constrained / gated")
        rax.fill_between(PS, q.min(0), q.max(0), color="C2", alpha=0.25)
        rax.axhline(np.sqrt(np.log(2 * N)), color="k", ls="--", lw=0.8, label="sqrt(log 2n)")
        rax.set_xlabel("sampled patterns P (width 2P)")
        rax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("optimal value (canonical scale)")
    axes[1, 0].set_ylabel("ratio, same patterns")
    axes[0, 0].legend(fontsize=7)
    axes[1, 0].legend(fontsize=7)
    fig.suptitle("KP24 Fig. 1: relaxed optimal values, n=%d, d=%d, 10 seeds (median, min-max)" % (N, D),
                 fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(PNG), exist_ok=True)
    fig.savefig(PNG, dpi=120)
    print("wrote", OUT, "and", PNG)


if __name__ == "__main__":
    main()
