#!/usr/bin/env python3
"""The overhead of a Python fit over the CLI's solve on digits (docs/python.md, "Speed").

    /usr/bin/python3 bench/python_overhead.py [--runs 5] [--patterns 100] [--lam 1e-3]
                                              [--build build] [--data data/digits.csv.gz]

Runs, in turns (the order alternating, so that the shared machine's load hits both
alike), `cvxrelu train DATA --lambda L --patterns P --seed 0 --json` and a fresh Python
process doing ConvexReLUClassifier(lam=L, patterns=P, seed=0).fit(X, y) on the same
rows (read before the clock starts).  Both use the same OpenBLAS kernel: the CLI picks a
faster one than OpenBLAS's own detection where it can (cvxrelu_blas_better_core) and the
Python process is started with OPENBLAS_CORETYPE set to it.  Prints the medians and

  overhead over the CLI's solve = median(Python fit) / median(CLI solve_time_s) - 1
  the same, paired by turn      = median over turns of fit_k / solve_k - 1
  outside the solve             = median(Python fit - its solve_time_s) / median(CLI solve)
  outside the library call      = median(Python fit - the cvxrelu_train call's time_s)

The first is the figure the Python package aims to keep under 5%: the whole fit (input
checks, conversion, sampling, recovery, report) against the solve alone.  On a loaded
machine the solves' own times swing by more than that (both sides run the same
iterations on the same kernel, which the script checks), so the third, which leaves the
solve out of the difference, is the steadier estimate of what Python adds.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORKER = r"""
import gzip, json, sys, time
import numpy as np
import cvxrelu
path, lam, patterns = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
with gzip.open(path, "rt") as f:
    raw = np.loadtxt(f, delimiter=",", skiprows=1, dtype=str)
X, y = raw[:, :-1].astype(np.float64), raw[:, -1]
clf = cvxrelu.ConvexReLUClassifier(lam=lam, patterns=patterns, seed=0)
t = time.perf_counter()
clf.fit(X, y)
fit_s = time.perf_counter() - t
r = clf.report_
print(json.dumps(dict(fit_s=fit_s, solve_time_s=r["solve_time_s"], time_s=r["time_s"],
                      objective=r["objective"], iterations=r["iterations"], blas=r["blas"])))
"""


def run_cli(args, out):
    cmd = [os.path.join(args.build, "cvxrelu"), "train", args.data, "--lambda", str(args.lam),
           "--patterns", str(args.patterns), "--seed", "0", "-q", "--json", out]
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t
    with open(out) as f:
        r = json.load(f)
    return dict(wall_s=wall, solve_time_s=r["solve_time_s"], objective=r["objective"],
                iterations=r["iterations"], blas=r["blas"])


def run_python(args, env):
    p = subprocess.run([sys.executable, "-c", WORKER, args.data, str(args.lam),
                        str(args.patterns)], check=True, capture_output=True, text=True,
                       env=env)
    return json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--patterns", type=int, default=100)
    ap.add_argument("--lam", type=float, default=1e-3)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "digits.csv.gz"))
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=os.path.join(args.build, "python"))
    probe = subprocess.run([sys.executable, "-c", "import cvxrelu; "
                            "print(cvxrelu.blas_better_core() or '')"], check=True,
                           capture_output=True, text=True, env=env).stdout.strip()
    if probe:  # what the CLI sets for itself (over any OPENBLAS_CORETYPE given)
        env["OPENBLAS_CORETYPE"] = probe
    cli_runs, py_runs = [], []
    with tempfile.TemporaryDirectory() as d:
        for k in range(args.runs):
            order = ("cli", "py") if k % 2 == 0 else ("py", "cli")
            for who in order:
                if who == "cli":
                    cli_runs.append(run_cli(args, os.path.join(d, "r.json")))
                else:
                    py_runs.append(run_python(args, env))
            print(f"run {k + 1}: CLI {cli_runs[-1]['wall_s']:.3f} s (solve "
                  f"{cli_runs[-1]['solve_time_s']:.3f} s), Python fit {py_runs[-1]['fit_s']:.3f} s"
                  f" (solve {py_runs[-1]['solve_time_s']:.3f} s)", file=sys.stderr, flush=True)
    med = statistics.median
    cli_solve = med(r["solve_time_s"] for r in cli_runs)
    cli_wall = med(r["wall_s"] for r in cli_runs)
    py_fit = med(r["fit_s"] for r in py_runs)
    py_solve = med(r["solve_time_s"] for r in py_runs)
    outside = med(r["fit_s"] - r["time_s"] for r in py_runs)
    paired = med(p["fit_s"] / c["solve_time_s"] for p, c in zip(py_runs, cli_runs))
    py_rest = med(r["fit_s"] - r["solve_time_s"] for r in py_runs)
    same = {(r["objective"], r["iterations"]) for r in cli_runs + py_runs}
    sys.stderr.flush()
    print(f"digits ({args.data}), lambda {args.lam:g}, {args.patterns} patterns, seed 0; "
          f"medians of {args.runs} runs each, in turns")
    print(f"  BLAS: CLI {cli_runs[0]['blas']}")
    print(f"        Python {py_runs[0]['blas']}")
    print(f"  same network each run (objective, iterations): {'yes' if len(same) == 1 else same}")
    print(f"  CLI:    solve {cli_solve:.3f} s, whole run {cli_wall:.3f} s (process, file "
          f"read, report)")
    print(f"  Python: fit {py_fit:.3f} s, of which solve {py_solve:.3f} s; outside the "
          f"library call {outside * 1e3:.2f} ms")
    print(f"  overhead of a Python fit over the CLI's solve: {100 * (py_fit / cli_solve - 1):+.1f}%"
          f" (goal: under 5%)")
    print(f"    the same, paired by turn:                  {100 * (paired - 1):+.1f}%")
    print(f"    outside the solve (load-independent):      {100 * py_rest / cli_solve:+.2f}% "
          f"({py_rest * 1e3:.1f} ms)")
    print(f"  Python fit against the CLI's whole run:       {100 * (py_fit / cli_wall - 1):+.1f}%")


if __name__ == "__main__":
    main()
