#!/usr/bin/python3
"""[KP24] Figure 3: test performance vs model size and regularization; convex beside GD / Adam.

(a) synthetic: planted teacher as in fig1.py (d = 10), 300 training rows, 1000 test rows,
    regression (test MSE); widths 4, 16, 64, 256;
(b) MNIST 3 vs 5 (get_mnist.sh): 1000 training digits, 895 test digits, labels +-1
    (test accuracy); widths 8, 32, 128.
For each width m and lambda: convex training by [KP24]'s algorithm (`--model relu --width m`
on the synthetic data; `--via gated`, the gated program + cone decomposition, on MNIST where
the constrained program is too slow at d = 785), and the non-convex network of m neurons by
full-batch GD and by Adam (minibatch 32), same objective.  Every network is certified (UB,
LB).  Writes results/fig3.csv and docs/img/kp24-fig3.png.  Usage: experiments/kp24/fig3.py
(about 1.5 minutes on 2 cores)
"""
import csv, json, os, subprocess, sys, tempfile

from kp24data import CACHE, CLI, ROOT, planted_teacher, save_csv
OUT = os.path.join(ROOT, "experiments", "kp24", "results", "fig3.csv")
PNG = os.path.join(ROOT, "docs", "img", "kp24-fig3.png")
LAMBDAS = [1e-3, 1e-2]


def teacher(path_tr, path_te, d=10, seed=0):
    M = planted_teacher(1300, d, 2000 + seed)
    save_csv(path_tr, M[:300])
    save_csv(path_te, M[300:])


def run(args, tmp):
    js = os.path.join(tmp, "o.json")
    cmd = [CLI, "train"] + args + ["--json", js, "-q"]
    while True:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0:
            return json.load(open(js))
        if "diverged" not in r.stderr:
            sys.exit(" ".join(cmd) + "\n" + r.stderr)
        i = cmd.index("--lr")
        cmd[i + 1] = repr(float(cmd[i + 1]) / 2)


def main():
    mtr = os.path.join(CACHE, "mnist35_train.csv")
    if not os.path.exists(mtr):
        subprocess.run(["sh", os.path.join(ROOT, "experiments", "kp24", "get_mnist.sh")], check=True)
    mte = os.path.join(CACHE, "mnist35_test.csv")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        str_, ste = os.path.join(tmp, "tr.csv"), os.path.join(tmp, "te.csv")
        teacher(str_, ste)
        sets = [("synthetic", str_, ste, ["--task", "regression"], (4, 16, 64, 256), ["--model", "relu"],
                 3000, 0.1),
                ("MNIST 3 vs 5", mtr, mte, ["--task", "classification", "--no-stationarity"],
                 (8, 32, 128), ["--model", "relu", "--via", "gated"], 500, 0.02)]
        for name, tr, te, common, widths, convex, gd_steps, gd_lr in sets:
            for lam in LAMBDAS:
                for m in widths:
                    base = [tr, "--test", te, "--lambda", repr(lam)]
                    for method, extra in (
                            ("convex", convex + ["--width", str(m)]),
                            ("gd", ["--optimizer", "gd", "--width", str(m), "--steps", str(gd_steps),
                                    "--lr", repr(gd_lr), "--record-every", "100"]),
                            ("adam", ["--optimizer", "adam", "--width", str(m), "--steps", "3000",
                                      "--lr", "1e-2" if name == "synthetic" else "1e-3",
                                      "--batch", "32", "--record-every", "100"])):
                        c = [a for a in common if not (method == "convex" and a == "--no-stationarity")]
                        j = run(base + c + extra, tmp)
                        metric = j.get("test_accuracy", j.get("test_mse"))
                        ub = j.get("upper_bound", j.get("network_objective", j.get("objective")))
                        rows.append(dict(data=name, lam=lam, width=m, method=method,
                                         neurons=j.get("active_neurons", m),
                                         objective=ub, lower_bound=j.get("lower_bound"),
                                         test_metric=metric,
                                         metric="test_accuracy" if "test_accuracy" in j else "test_mse"))
                        print(rows[-1], flush=True)
    with open(OUT, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    print()
    print("| data | lambda | width | method | objective (UB) | certified LB | test metric |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %g | %d | %s | %.5g | %.3g | %s %.4f |" % (r["data"], r["lam"], r["width"], r["method"],
              r["objective"], r["lower_bound"], r["metric"].replace("test_", ""), r["test_metric"]))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 2 * len(LAMBDAS) // 2 * 2, figsize=(13, 6.4))
    for r_i, name in enumerate(("synthetic", "MNIST 3 vs 5")):
        for l_i, lam in enumerate(LAMBDAS):
            ax, ax2 = axes[r_i, 2 * l_i], axes[r_i, 2 * l_i + 1]
            for method, col in (("convex", "C0"), ("gd", "C1"), ("adam", "C2")):
                rr = [r for r in rows if r["data"] == name and r["lam"] == lam and r["method"] == method]
                ws = [r["width"] for r in rr]
                ax.plot(ws, [r["test_metric"] for r in rr], "-o", color=col, ms=4, label=method)
                ax2.plot(ws, [r["objective"] for r in rr], "-o", color=col, ms=4, label=method + " (UB)")
            lbs = [max(r["lower_bound"] for r in rows if r["data"] == name and r["lam"] == lam and r["width"] == w)
                   for w in ws]
            ax2.plot(ws, lbs, "k--", lw=1, label="best certified LB")
            for a in (ax, ax2):
                a.set_xscale("log", base=2)
                a.grid(alpha=0.3)
                a.set_xlabel("width m")
            ax2.set_yscale("log")
            ax.set_title("%s, lambda %g" % (name, lam), fontsize=9)
            ax2.set_title("training objective, lambda %g" % lam, fontsize=9)
            ax.set_ylabel("test MSE" if name == "synthetic" else "test accuracy")
    axes[0, 0].legend(fontsize=7)
    axes[0, 1].legend(fontsize=7)
    fig.suptitle("KP24 Fig. 3: test performance and objective vs width; convex ([KP24] algorithm) vs GD / Adam",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(PNG, dpi=110)
    print("wrote", OUT, "and", PNG)


if __name__ == "__main__":
    main()
