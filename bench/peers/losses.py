#!/usr/bin/python3
"""Squared loss against logistic / cross-entropy for classification (docs/benchmarks.md,
"(j) losses"): the same split, the same sampled patterns (--seed), lambda chosen by
5-fold cross-validation (--lambda auto) under each loss, then one fit on the training
rows; the gated program, and on the sets of --exact also the exact ReLU program
(projected R-FISTA).  Printed per set and loss: test accuracy, the chosen lambda, the neurons, the
final fit's iterations and solve time, the cross-validation time and the whole run's
wall time (medians over --reps runs, taken in turns).

Usage: losses.py CVXRELU_BINARY DATA_DIR OUT_DIR [--sets a,b,...] [--mnist TRAIN,TEST]
                 [--reps R] [--exact a,b] [--patterns P] [--split-seed S]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SETS = {"breast_cancer": "breast_cancer.csv", "wine": "wine.csv", "digits": "digits.csv.gz"}


def run(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--sets", default="breast_cancer,wine,digits")
    ap.add_argument("--mnist", default="", help="TRAIN.csv,TEST.csv of MNIST 3 vs 5")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--exact", default="breast_cancer,wine",
                    help="the sets on which the exact program runs too ('' for none): "
                         "projected R-FISTA under cross-validation is slow on digits and MNIST")
    ap.add_argument("--patterns", type=int, default=100)
    ap.add_argument("--split-seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    jobs = []  # (set, program, loss, data args)
    sets = [s for s in a.sets.split(",") if s]
    if a.mnist:
        sets.append("mnist35")
    exact = [s for s in a.exact.split(",") if s]
    for s in sets:
        programs = ["gated"] + (["relu"] if s in exact else [])
        if s == "mnist35":
            tr, te = a.mnist.split(",")
            data = [tr, "--test", te]
        else:
            data = [os.path.join(a.data, SETS[s]), "--test-frac", "0.3", "--split-seed",
                    str(a.split_seed)]
        for p in programs:
            for loss in ("squared", "auto"):
                jobs.append((s, p, loss, data))
    res = {}
    for r in range(a.reps):  # in turns, so that the machine's load hits every job alike
        for (s, p, loss, data) in jobs:
            js = os.path.join(a.out, "%s_%s_%s_%d.json" % (s, p, loss, r))
            cmd = [a.bin, "train"] + data + ["--model", p, "--loss", loss, "--seed", "0",
                                             "--patterns", str(a.patterns), "--lambda",
                                             "auto", "-q", "--no-certify", "--json", js]
            if p == "relu":
                cmd += ["--relu-solver", "projected"]
            print("$ " + " ".join(cmd), file=sys.stderr)
            wall = run(cmd)
            with open(js) as f:
                j = json.load(f)
            res.setdefault((s, p, loss), []).append((j, wall))
    print("| set | program | loss | test accuracy | lambda | neurons | iterations | "
          "solve s | CV s | wall s | exit |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (s, p, loss, _) in jobs:
        runs = res[(s, p, loss)]
        j = runs[0][0]
        accs = {round(x["test_accuracy"], 12) for x, _ in runs}
        assert len(accs) == 1, "seeded runs must agree: %s" % accs
        med = lambda key: statistics.median(x[key] for x, _ in runs)  # noqa: E731
        print("| %s | %s | %s | %.4f | %.3g | %d | %d | %.3f | %.2f | %.2f | %s |" % (
            s, p, j["loss_function"], j["test_accuracy"], j["lambda"], j["neurons"],
            j["iterations"], med("solve_time_s"), med("cv_time_s"),
            statistics.median(w for _, w in runs), j["exit"]))


if __name__ == "__main__":
    main()
