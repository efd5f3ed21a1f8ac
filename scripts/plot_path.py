#!/usr/bin/python3
"""Plot a regularization path written by `cvxrelu path --csv`: the train and test
metric and the active neurons against lambda (log scale), one PNG.

Usage: plot_path.py PATH.csv OUT.png [--title TEXT]
Needs Debian's python3-matplotlib (run with /usr/bin/python3).
"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("png")
    ap.add_argument("--title", default=None)
    a = ap.parse_args()
    with open(a.csv, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit("%s: no rows (expected the CSV of cvxrelu path --csv)" % a.csv)
    cols = rows[0].keys()
    metric = "accuracy" if "train_accuracy" in cols else "mse"
    need = ["lambda", "neurons", "train_" + metric, "test_" + metric]
    missing = [c for c in need if c not in cols]
    if missing:
        sys.exit("%s: expected the columns %s of cvxrelu path --csv, missing %s"
                 % (a.csv, ", ".join(need), ", ".join(missing)))

    def col(name):
        out = []
        for r in rows:
            try:
                out.append(float(r[name]))
            except ValueError:
                out.append(float("nan"))
        return out

    lam = col("lambda")
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(lam, col("train_" + metric), "o-", label="train " + metric)
    test = col("test_" + metric)
    if any(t == t for t in test):  # not all NaN
        ax.plot(lam, test, "s-", label="test " + metric)
    ax.set_xscale("log")
    if metric == "mse":
        ax.set_yscale("log")
    ax.set_xlabel("lambda (canonical scale)")
    ax.set_ylabel(metric)
    ax2 = ax.twinx()
    ax2.plot(lam, col("neurons"), "^--", color="gray", label="neurons")
    ax2.set_ylabel("active neurons")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="best", fontsize=8)
    ax.set_title(a.title or os.path.basename(a.csv))
    fig.tight_layout()
    tmp = a.png + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, a.png)  # atomically


if __name__ == "__main__":
    main()
