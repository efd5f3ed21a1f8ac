#!/usr/bin/python3
"""cvxrelu train --lambda auto against scikit-learn's cross-validated linear models and
its MLP, on the bundled data sets, on the same train/test splits.

For each set: a seeded split (75/25, stratified for classification) written to CSV;
cvxrelu trains on the train file with lambda chosen by 5-fold cross-validation and is
evaluated on the test file; sklearn's LogisticRegressionCV (classification) or RidgeCV
(regression) and MLPClassifier / MLPRegressor (100 hidden units, early stopping off,
converged or 2000 epochs) run on the same standardized features.  Printed: the test metric
(accuracy or MSE in the target's units) and the wall time of each; for cvxrelu also the
cross-validation time, the chosen lambda, the neurons, and the cost of the path against a
cold solve at the chosen lambda (cvxrelu path on the train file; the path from lambda_max
down to the chosen lambda, warm-started, over one cold solve there).

Usage: lambda_auto.py CVXRELU_BINARY DATA_DIR OUT_DIR [--sets a,b,...] [--reps R]
"""
import argparse
import csv
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SETS = {  # file, task
    "breast_cancer": ("breast_cancer.csv", "classification"),
    "wine": ("wine.csv", "classification"),
    "iris": ("iris.csv", "classification"),
    "diabetes": ("diabetes.csv", "regression"),
    "digits": ("digits.csv.gz", "classification"),
}


def read(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def run_cli(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    t = time.perf_counter() - t0
    if p.returncode:
        sys.exit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr[-2000:]))
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli")
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    warnings.simplefilter("ignore", ConvergenceWarning)
    rows = []
    for name in a.sets.split(","):
        fname, task = SETS[name]
        header, body = read(os.path.join(a.data, fname))
        cls = task == "classification"
        lab = [r[-1] for r in body]
        tr, te = train_test_split(body, test_size=0.25, random_state=a.seed,
                                  stratify=lab if cls else None)
        ftr, fte = os.path.join(a.out, name + "_train.csv"), os.path.join(a.out, name + "_test.csv")
        write(ftr, header, tr)
        write(fte, header, te)
        Xtr = np.array([[float(v) for v in r[:-1]] for r in tr])
        Xte = np.array([[float(v) for v in r[:-1]] for r in te])
        ytr = np.array([r[-1] for r in tr]) if cls else np.array([float(r[-1]) for r in tr])
        yte = np.array([r[-1] for r in te]) if cls else np.array([float(r[-1]) for r in te])

        # cvxrelu: lambda by cross-validation, then the final fit (the default of train)
        js = os.path.join(a.out, name + "_auto.json")
        t_auto = statistics.median(
            run_cli([a.cli, "train", ftr, "--test", fte, "--task", task, "--json", js, "-q"])
            for _ in range(a.reps))
        j = json.load(open(js))
        m_cvx = j["test_accuracy"] if cls else j["test_mse"]
        # the path down to the chosen lambda against a cold solve there
        pj = os.path.join(a.out, name + "_path.json")
        run_cli([a.cli, "path", ftr, "--task", task, "--json", pj, "-q"])
        p = json.load(open(pj))
        lam = j["lambda"]
        k = min(range(len(p["lambda"])), key=lambda i: abs(p["lambda"][i] - lam))
        t_path = sum(p["solve_time_s"][: k + 1])
        cj = os.path.join(a.out, name + "_cold.json")
        cold = []
        for _ in range(max(a.reps, 3)):
            run_cli([a.cli, "train", ftr, "--task", task, "--lambda", repr(lam), "--no-certify",
                     "--json", cj, "-q"])
            cold.append(json.load(open(cj))["solve_time_s"])
        t_cold = statistics.median(cold)

        # sklearn on the same split (standardized features, as cvxrelu's encoding)
        def fit_time(est):
            ts = []
            for _ in range(a.reps):
                t0 = time.perf_counter()
                est.fit(Xtr, ytr)
                ts.append(time.perf_counter() - t0)
            pred = est.predict(Xte)
            metric = float(np.mean(pred == yte)) if cls else float(np.mean((pred - yte) ** 2))
            return metric, statistics.median(ts)

        if cls:
            lin = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=20, cv=5, max_iter=5000))
            mlp = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(100,),
                                                                max_iter=2000, random_state=0))
        else:
            lin = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-4, 4, 41)))
            mlp = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(100,),
                                                               max_iter=2000, random_state=0))
        m_lin, t_lin = fit_time(lin)
        m_mlp, t_mlp = fit_time(mlp)
        best = max(m_lin, m_mlp) if cls else min(m_lin, m_mlp)
        ok = (m_cvx >= best - 0.01) if cls else (m_cvx <= 1.05 * best)
        rows.append(dict(set=name, task=task, n_train=len(tr), n_test=len(te), cvx=m_cvx,
                         t_auto=t_auto, cv_time=j.get("cv_time_s"), lam=lam,
                         lam_max=j.get("cv_lambda_max"), neurons=j["neurons"],
                         lin=m_lin, t_lin=t_lin, mlp=m_mlp, t_mlp=t_mlp, goal=ok,
                         t_path=t_path, t_cold=t_cold, path_k=k + 1))
    json.dump(rows, open(os.path.join(a.out, "lambda_auto.json"), "w"), indent=1)
    print("| set | metric | cvxrelu --lambda auto | time (s) | LogisticRegressionCV / RidgeCV "
          "| time (s) | MLP (100) | time (s) | goal met |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        f = "%.4f" if r["task"] == "classification" else "%.1f"
        print(("| %s | %s | " + f + " | %.2f | " + f + " | %.2f | " + f + " | %.2f | %s |") % (
            r["set"], "test accuracy" if r["task"] == "classification" else "test MSE",
            r["cvx"], r["t_auto"], r["lin"], r["t_lin"], r["mlp"], r["t_mlp"],
            "yes" if r["goal"] else "no"))
    print()
    print("| set | lambda chosen | / lambda_max | neurons | cross-validation (s) | path to it "
          "(points, s) | cold solve there (s) | path / cold |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %.4g | %.3g | %d | %.2f | %d, %.3f | %.3f | %.1f |" % (
            r["set"], r["lam"], r["lam"] / r["lam_max"] if r["lam_max"] else float("nan"),
            r["neurons"], r["cv_time"] or 0.0, r["path_k"], r["t_path"], r["t_cold"],
            r["t_path"] / r["t_cold"] if r["t_cold"] > 0 else float("nan")))


if __name__ == "__main__":
    main()
