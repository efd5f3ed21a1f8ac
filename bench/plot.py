#!/usr/bin/python3
"""Plots of the comparison targets of bench/run (issue 7), from bench/out/<target>.json:

  bench/out/peers.png      time to the same duality gap: cvxrelu (C), NumPy, PyTorch
  bench/out/adam.png       objective against wall time: cvxrelu's exact ReLU solve, PyTorch Adam
  bench/out/scaling.png    time per iteration and peak memory against n, d, P (log-log, fits)
  bench/out/gemm.png       time per iteration against the time of its GEMMs
  bench/out/screening.png  P=2000 with and without screening

Usage: /usr/bin/python3 bench/plot.py [target ...]   (default: every target with results)
"""
import csv
import json
import math
import os
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "bench", "out")


def load(name):
    path = os.path.join(OUT, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def read_csv(path):
    with open(os.path.join(ROOT, path)) as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def save(fig, name):
    path = os.path.join(OUT, name + ".png")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("wrote " + os.path.relpath(path, ROOT))


def plot_peers(data):
    rows = data["rows"]
    problems = []
    for r in rows:
        if r["problem"] not in problems:
            problems.append(r["problem"])
    widths = [sum(r["problem"] == p for r in rows) for p in problems]
    fig, axes = plt.subplots(1, len(problems), figsize=(1.25 * sum(widths) + 1.5 * len(problems), 4.6),
                             squeeze=False, gridspec_kw=dict(width_ratios=widths))
    for ax, p in zip(axes[0], problems):
        rs = [r for r in rows if r["problem"] == p]
        labels = ["\n".join(textwrap.wrap("%s, %s" % (r["implementation"], r["dtype"]), 14)) for r in rs]
        times = [r["time_s"] for r in rs]
        colors = ["tab:blue" if r["implementation"].startswith("cvxrelu") else
                  "tab:orange" if r["implementation"].startswith("NumPy") else "tab:red" for r in rs]
        ax.bar(range(len(rs)), times, color=colors)
        for i, t in enumerate(times):
            ax.text(i, t, "%.3g s" % t, ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(rs)))
        ax.set_xticklabels(labels, fontsize=6)
        ax.set_ylabel("time to the same gap (s), median")
        ax.set_title("\n".join(textwrap.wrap(p, 48)), fontsize=8)
    save(fig, "peers")


def plot_adam(data):
    res = data["results"]
    fig, axes = plt.subplots(1, len(res), figsize=(5.5 * len(res), 4.2), squeeze=False)
    for ax, r in zip(axes[0], res):
        ct = read_csv(r["cvx_trace"])
        ax.plot([max(x["time_s"], 1e-3) for x in ct], [x["objective"] for x in ct], color="tab:blue",
                label="cvxrelu, exact ReLU program (P=%d)" % r["patterns"])
        for run, color in zip(r["adam_runs"], ("tab:red", "tab:orange", "tab:green", "tab:purple", "tab:brown")):
            at = read_csv(run["trace_file"])
            ax.plot([max(x["time_s"], 1e-3) for x in at], [x["objective"] for x in at], color=color,
                    alpha=1.0 if run["lr"] == r["adam_best_lr"] else 0.5,
                    label="PyTorch Adam, width %d, lr %g" % (r["width"], run["lr"]))
        ax.axhline(r["cvx_objective"], color="tab:blue", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("wall time (s)")
        ax.set_ylabel("objective (canonical scale)")
        ax.set_title("planted teacher n=1000 d=20, lambda=%g" % r["lam"], fontsize=9)
        ax.legend(fontsize=7)
    save(fig, "adam")


def plot_scaling(data):
    runs, fits = data["runs"], data["fits"]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for j, axis in enumerate(("n", "d", "P")):
        pts = [r for r in runs if r["axis"] == axis]
        xs = [r[axis] for r in pts]
        for i, (key, label, scale) in enumerate((("time_per_iteration_s", "time / iteration (s)", 1.0),
                                                 ("peak_rss_bytes", "peak RSS (MiB)", 2.0 ** -20))):
            ax = axes[i][j]
            ys = [r[key] * scale for r in pts]
            ax.loglog(xs, ys, "o-", label="measured")
            if key == "peak_rss_bytes":
                ax.loglog(xs, [r["base_bytes"] * scale for r in pts], "s--", color="gray",
                          label="X + pattern bits + iterates")
            e = fits[axis]["time" if i == 0 else "memory"]
            lx = [math.log(x) for x in xs]
            ly = [math.log(y) for y in ys]
            b = sum(ly) / len(ly) - e * sum(lx) / len(lx)
            ax.loglog(xs, [math.exp(b) * x ** e for x in xs], ":", color="black",
                      label="fit: exponent %.2f" % e)
            ax.set_xlabel(axis)
            ax.set_ylabel(label)
            fixed = {"n": "d=100, P=200", "d": "n=%g, P=200" % pts[0]["n"], "P": "n=%g, d=100" % pts[0]["n"]}
            ax.set_title(fixed[axis], fontsize=9)
            ax.legend(fontsize=7)
    save(fig, "scaling")


def plot_gemm(data):
    rows = data["rows"]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ratios = [float(r[5]) for r in rows]
    ax.bar(range(len(rows)), ratios, color=["tab:green" if x <= 1.3 else "tab:gray" for x in ratios])
    ax.axhline(1.3, color="red", ls="--", lw=1, label="target 1.3")
    ax.axhline(1.0, color="black", lw=0.5)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r[0].replace("synth ", "").replace(" ", "\n") for r in rows], fontsize=6)
    ax.set_ylabel("time per iteration / time of its GEMMs")
    ax.legend(fontsize=8)
    save(fig, "gemm")


def plot_screening(data):
    cases = data.get("cases") or [dict(lam=data["lam"], runs=data["runs"])]
    fig, axes = plt.subplots(1, len(cases), figsize=(4.2 * len(cases), 4), squeeze=False)
    for ax, case in zip(axes[0], cases):
        for i, s in enumerate(("0", "1")):
            ts = [r["solve_s"] for r in case["runs"][s]]
            ax.scatter([i] * len(ts), ts, color="tab:blue", zorder=3)
            ax.bar(i, sorted(ts)[len(ts) // 2], alpha=0.4, color="tab:blue")
            r0 = case["runs"][s][0]
            ax.text(i, sorted(ts)[len(ts) // 2], "%d screened\n%d iterations" % (r0["screened_groups"], r0["iterations"]),
                    ha="center", va="bottom", fontsize=7)
        ax.set_xticks([0, 1])
        ax.set_xticklabels(["--screening 0", "--screening 1"])
        ax.set_ylabel("solve time (s)")
        ax.set_title("synth n=%g d=%g P=2000, lambda=%g, eps=%g" % (data["n"], data["d"], case["lam"], data["eps"]),
                     fontsize=8)
    save(fig, "screening")


PLOTS = dict(peers=plot_peers, adam=plot_adam, scaling=plot_scaling, gemm=plot_gemm, screening=plot_screening)

if __name__ == "__main__":
    names = sys.argv[1:] or list(PLOTS)
    for name in names:
        if name not in PLOTS:
            raise SystemExit("plot.py: unknown target %s (one of %s)" % (name, ", ".join(PLOTS)))
        data = load(name)
        if data is None:
            if sys.argv[1:]:
                print("plot.py: no bench/out/%s.json (run bench/run %s first)" % (name, name))
            continue
        PLOTS[name](data)
