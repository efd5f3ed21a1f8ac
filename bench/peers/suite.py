#!/usr/bin/python3
"""Driver of bench/run's comparison targets (issue 7). Run through bench/run, which builds
the programs, pins the BLAS kernel and installs what a target needs:

  peers      cvxrelu (C) against the NumPy and PyTorch implementations of the same algorithms
             (rfista_numpy.py, rfista_torch.py): gated R-FISTA and the exact ReLU program on
             the planted teacher, gated R-FISTA on Fashion-MNIST (P=100); same problems (dumped
             by bench_gated), same stopping rule (relative duality gap), in one run, the
             configurations in turns (round robin) so that changes in load hit all alike.
  adam       convex training (cvxrelu train --model relu, its --trace) against PyTorch Adam on
             a ReLU network of the same width on the same objective (adam_torch.py).
  scaling    time per iteration and peak memory of bench_gated synth in n, d and P, with
             growth exponents fitted by log-log least squares; n=1e6, d=100, P=200 trained.
  gemm       time per iteration against the GEMMs one iteration needs, from the same runs.
  screening  P=2000 with --screening 0 and 1: time, and agreement of objective and gap.

Each target prints a markdown table, writes bench/out/<target>.json, and the commands it ran
(to stderr, prefixed with '$'). Knobs are environment variables, listed in bench/run.
`suite.py --report TARGET` prints a target's tables again from its saved JSON.
"""
import json
import math
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "bench", "out")
B = os.path.join(ROOT, "build", "bench", "bench_gated")
CLI = os.path.join(ROOT, "build", "cvxrelu")
PY = "/usr/bin/python3"
PEERS = os.path.join(ROOT, "bench", "peers")


# ------------------------------------------------------------------ helpers

def env(name, default, cast=float):
    v = os.environ.get(name)
    return cast(v) if v not in (None, "") else default


def rel(path):
    return os.path.relpath(path, ROOT)


def show(cmd):
    print("$ " + " ".join(rel(c) if c.startswith(ROOT) else c for c in cmd), file=sys.stderr, flush=True)


def run(cmd):
    """Run a command from the repository root; its stdout as text (stderr passes through)."""
    show(cmd)
    p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout)
        raise SystemExit("command failed (%d): %s" % (p.returncode, " ".join(cmd)))
    return p.stdout


def parse_kv(text):
    """bench_gated's 'key value' lines as a dict (numbers converted)."""
    r = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if not parts:
            continue
        key, val = parts[0], parts[1] if len(parts) > 1 else ""
        try:
            r[key] = float(val) if re.fullmatch(r"[-+0-9.eEinfa]+", val) else val
        except ValueError:
            r[key] = val
    m = re.search(r"(\d+) threads", str(r.get("blas", "")))
    r["threads"] = int(m.group(1)) if m else 0
    if "load_s" in r and isinstance(r["load_s"], str):      # "load_s X patterns_s Y"
        bits = r["load_s"].split()
        r["load_s"] = float(bits[0])
        if len(bits) >= 3:
            r["patterns_s"] = float(bits[2])
    return r


def c_run(args):
    return parse_kv(run([B] + args))


def py_run(script, args):
    out = run([PY, os.path.join(PEERS, script)] + args)
    return json.loads(out.strip().splitlines()[-1])


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def save(name, obj):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".json")
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(path + ".tmp", path)


def load(name):
    path = os.path.join(OUT, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")
    print(flush=True)


def g(x, digits=4):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return "%.*g" % (digits, x)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def fit_exponent(xs, ys):
    """Slope of log y against log x (least squares)."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sxx if sxx > 0 else float("nan")


# ------------------------------------------------------------------ peers

TEACHER = ["--n", "1000", "--d", "20", "--c", "1", "--P", "100", "--lambda", "1e-3", "--seed", "2024"]


def c_row(problem, label, dtype, runs):
    """A table row from bench_gated runs of one configuration (median time)."""
    t = median([r["solve_s"] for r in runs])
    r0 = runs[0]
    return dict(problem=problem, implementation=label, dtype=dtype, threads=r0["threads"],
                runs=len(runs), iterations=int(r0["iterations"]), objective=r0["objective"],
                relative_gap=r0["relative_gap"], exit=r0["exit"], time_s=t,
                time_per_iteration_s=t / max(r0["iterations"], 1), times=[r["solve_s"] for r in runs],
                passes_over_x=int(r0["passes_over_x"]), screened=int(r0.get("screened_groups", 0) or 0),
                c_output=r0, same_algorithm=label in (SAME, SAME_PRE),
                precondition=int(r0.get("preconditioned", 0) or 0))


def py_row(problem, label, runs):
    t = median([r["time_s"] for r in runs])
    r0 = runs[0]
    return dict(problem=problem, implementation=label, dtype=r0["dtype"], threads=r0["threads"],
                runs=len(runs), iterations=r0["iterations"], objective=r0["objective"],
                relative_gap=r0["relative_gap"], exit=r0["exit"], time_s=t,
                time_per_iteration_s=t / max(r0["iterations"], 1), times=[r["time_s"] for r in runs],
                passes_over_x=r0["passes_over_x"], screened=0, same_algorithm=False,
                precondition=int(bool(r0.get("precondition", False))))


SAME = "cvxrelu (C), same algorithm"
SAME_PRE = "cvxrelu (C), preconditioned, same algorithm"


def print_peer_rows(rows):
    same, fastest = {}, {}
    for r in rows:
        if r["implementation"].startswith("cvxrelu"):
            if r["same_algorithm"]:
                same[(r["problem"], r.get("precondition", 0))] = r
            if r["problem"] not in fastest or r["time_s"] < fastest[r["problem"]]["time_s"]:
                fastest[r["problem"]] = r
    out = []
    for r in rows:
        c, f = same.get((r["problem"], r.get("precondition", 0))), fastest.get(r["problem"])
        dobj = abs(r["objective"] - c["objective"]) / abs(c["objective"]) if c else float("nan")
        out.append([r["problem"], r["implementation"], r["dtype"], r["threads"], r["runs"],
                    r["iterations"], r["passes_over_x"], "%.10g" % r["objective"], "%.1e" % dobj,
                    "%.2e" % r["relative_gap"], r["exit"], g(r["time_s"]),
                    g(1e3 * r["time_per_iteration_s"]),
                    "%.2f" % (r["time_s"] / c["time_s"]) if c else "–",
                    "%.2f" % (r["time_s"] / f["time_s"]) if f else "–"])
    table(["problem", "implementation", "dtype", "threads", "runs", "iterations", "passes over X",
           "objective", "rel. diff. to C", "rel. gap", "exit", "median time (s)", "ms / iteration",
           "time / C time, same algorithm (plain or preconditioned)", "time / fastest C time"], out)


def interleaved(problem, configs, rounds):
    """Run every configuration once per round, in turn (so that a change in the machine's
    load hits all of them alike); rows with medians over the rounds."""
    results = {label: [] for label, _, _ in configs}
    for _ in range(rounds):
        for label, kind, fn in configs:
            results[label].append(fn())
    rows = []
    for label, kind, _ in configs:
        if kind == "py":
            rows.append(py_row(problem, label, results[label]))
        else:
            rows.append(c_row(problem, label, kind, results[label]))
    return rows


def target_peers():
    eps_t = env("TEACHER_EPS", 1e-6)
    eps_r = env("RELU_EPS", 1e-4)
    eps_f = env("FMNIST_EPS", 1e-2)
    rows = []
    print("load average at start: %s" % loadavg(), flush=True)

    # (1) planted teacher, gated. The peers implement the plain algorithm (--screening 0);
    # the library's default adds gap-safe screening (--screening 1).
    pdir = os.path.join(OUT, "p_teacher")
    os.makedirs(pdir, exist_ok=True)
    name = "teacher gated n=1000 d=20 P=100 lambda=1e-3 eps=%g" % eps_t
    args = ["synth"] + TEACHER + ["--eps", str(eps_t), "--max-iter", "100000"]
    first = c_run(args + ["--screening", "0", "--dump", pdir])
    T = str(first["threads"])
    common = ["--problem", pdir, "--lam", "1e-3", "--eps", str(eps_t), "--threads", T]
    rows += interleaved(name, [
        (SAME, "float64", lambda: c_run(args + ["--screening", "0", "--precondition", "0"])),
        (SAME_PRE, "float64", lambda: c_run(args + ["--screening", "0", "--precondition", "1"])),
        ("cvxrelu (C), library default (screening, preconditioning)", "float64",
         lambda: c_run(args + ["--screening", "1", "--precondition", "1"])),
        ("NumPy", "py", lambda: py_run("rfista_numpy.py", common)),
        ("PyTorch", "py", lambda: py_run("rfista_torch.py", common)),
        ("NumPy, --precondition", "py", lambda: py_run("rfista_numpy.py", common + ["--precondition"])),
        ("PyTorch, --precondition", "py", lambda: py_run("rfista_torch.py", common + ["--precondition"]))],
        env("PEERS_REPS", 5, int))

    # (2) planted teacher, exact ReLU program
    if env("PEERS_RELU", 1, int):
        name = "teacher relu n=1000 d=20 P=100 lambda=1e-3 eps=%g" % eps_r
        args = ["synth"] + TEACHER + ["--relu", "--eps", str(eps_r), "--max-iter", "100000"]
        common = ["--problem", pdir, "--lam", "1e-3", "--eps", str(eps_r), "--threads", T, "--model", "relu"]
        rows += interleaved(name, [
            (SAME, "float64", lambda: c_run(args)),
            ("cvxrelu (C), library default (Newton steps on the face)", "float64",
             lambda: c_run(args + ["--polish", "1"])),
            ("NumPy (+ NumPy cone projection)", "py", lambda: py_run("rfista_numpy.py", common)),
            ("PyTorch (+ NumPy cone projection)", "py", lambda: py_run("rfista_torch.py", common))],
            env("RELU_REPS", 1, int))

    # (3) Fashion-MNIST, gated, P=100, lambda=1e-4
    if env("PEERS_FMNIST", 1, int):
        fdir = os.path.join(OUT, "p_fmnist")
        os.makedirs(fdir, exist_ok=True)
        iters = str(env("FMNIST_MAX_ITER", 100000, int))
        tl = str(env("FMNIST_TIME_LIMIT", 0.0))
        name = "Fashion-MNIST gated n=60000 d=785 c=10 P=100 lambda=1e-4 eps=%g" % eps_f
        base = ["fmnist", "--patterns", "100", "--lambda", "1e-4", "--eps", str(eps_f), "--iters", iters,
                "--time-limit", tl]
        if not os.path.exists(os.path.join(fdir, "meta.txt")):
            c_run(base[:-4] + ["--iters", "0", "--dump", fdir])
        with open(os.path.join(fdir, "meta.txt")) as f:
            T = "1" if math.prod(int(v) for v in f.read().split()) < 2e7 else str(os.cpu_count() or 1)
        common = ["--problem", fdir, "--lam", "1e-4", "--eps", str(eps_f), "--threads", T,
                  "--max-iter", iters, "--time-limit", tl]
        configs = [(SAME, "float64", lambda: c_run(base + ["--screening", "0", "--precondition", "0"])),
                   ("NumPy", "py", lambda: py_run("rfista_numpy.py", common)),
                   ("PyTorch", "py", lambda: py_run("rfista_torch.py", common))]
        if env("FMNIST_FLOAT32", 1, int):
            configs.append(("PyTorch, --dtype float32", "py", lambda: py_run("rfista_torch.py", common + ["--dtype", "float32"])))
        # the library's default: screening and preconditioning, in double and single
        configs += [(SAME_PRE, "float64", lambda: c_run(base + ["--screening", "1", "--precondition", "1"])),
                    ("cvxrelu (C), preconditioned, --precision single", "float32 products",
                     lambda: c_run(base + ["--screening", "1", "--precondition", "1", "--precision", "single"])),
                    ("NumPy, --precondition", "py", lambda: py_run("rfista_numpy.py", common + ["--precondition"])),
                    ("PyTorch, --precondition", "py", lambda: py_run("rfista_torch.py", common + ["--precondition"]))]
        if env("FMNIST_FLOAT32", 1, int):
            configs.append(("PyTorch, --precondition --dtype float32", "py",
                            lambda: py_run("rfista_torch.py", common + ["--precondition", "--dtype", "float32"])))
        rows += interleaved(name, configs, env("FMNIST_REPS", 1, int))
    print("load average at end: %s" % loadavg(), flush=True)
    print()
    print_peer_rows(rows)
    save("peers", dict(rows=rows, load_end=loadavg()))


# ------------------------------------------------------------------ adam

def read_csv(path):
    with open(path) as f:
        head = f.readline().strip().split(",")
        return [dict(zip(head, (float(v) for v in line.strip().split(",")))) for line in f if line.strip()]


def first_time_at_or_below(trace, key_t, key_o, level):
    for r in trace:
        if r[key_o] <= level:
            return r[key_t]
    return None


def best_by_time(trace, key_t, key_o, t):
    best = None
    for r in trace:
        if r[key_t] > t:
            break
        best = r[key_o] if best is None else min(best, r[key_o])
    return best


def target_adam():
    lam = "1e-3"
    pdir = os.path.join(OUT, "p_teacher")
    if not os.path.exists(os.path.join(pdir, "meta.txt")):
        os.makedirs(pdir, exist_ok=True)
        c_run(["synth"] + TEACHER + ["--max-iter", "1", "--dump", pdir])
    csv = os.path.join(pdir, "data.csv")
    if not os.path.exists(csv):
        run([PY, "-c", "import sys; sys.path.insert(0, %r); import common, numpy as np; "
             "X, Y, S = common.load_problem(%r); "
             "np.savetxt(%r, np.hstack([X, Y]), delimiter=',', fmt='%%.17g')" % (PEERS, pdir, csv)])
    eps = env("ADAM_CVX_EPS", 1e-4)
    lrs = os.environ.get("ADAM_LRS", "1e-3,1e-2,3e-2").split(",")
    results = []
    for P in os.environ.get("ADAM_PATTERNS", "100,1000").split(","):
        tag = "relu_P%s" % P
        trace = os.path.join(OUT, "adam_cvx_%s.csv" % tag)
        js = os.path.join(OUT, "adam_cvx_%s.json" % tag)
        run([CLI, "train", rel(csv), "--raw", "--task", "regression", "--model", "relu", "--patterns", P,
             "--lambda", lam, "--eps", str(eps), "--max-iter", "1000000", "--seed", "0", "--no-certify",
             "-q", "--trace", rel(trace), "--json", rel(js)])
        with open(js) as f:
            cj = json.load(f)
        ct = read_csv(trace)
        width = int(cj["active_neurons"])
        t_adam = min(env("ADAM_MAX_TIME", 60.0),
                     max(env("ADAM_MIN_TIME", 10.0), env("ADAM_TIME_FACTOR", 2.0) * cj["solve_time_s"]))
        threads = "1"
        m = re.search(r"(\d+) threads", cj.get("blas", ""))
        if m:
            threads = m.group(1)
        runs = []
        for lr in lrs:
            at = os.path.join(OUT, "adam_torch_%s_lr%s.csv" % (tag, lr))
            r = py_run("adam_torch.py", ["--problem", pdir, "--lam", lam, "--width", str(width), "--lr", lr,
                                         "--time-limit", "%.3f" % t_adam, "--threads", threads,
                                         "--record-every", "10", "--trace", at])
            r["trace_file"] = rel(at)
            runs.append(r)
        best = min(runs, key=lambda r: r["best_objective"])
        atr = read_csv(os.path.join(ROOT, best["trace_file"]))
        cvx_final = cj["objective"]
        cvx_time = cj["solve_time_s"]
        res = dict(patterns=int(P), lam=float(lam), eps=eps, width=width, cvx_objective=cvx_final,
                   cvx_time_s=cvx_time, cvx_iterations=cj["iterations"], cvx_gap=cj["relative_gap"],
                   cvx_trace=rel(trace), adam_runs=runs, adam_best_lr=best["lr"],
                   adam_best_objective=best["best_objective"], adam_time_s=best["time_s"],
                   adam_trace=best["trace_file"],
                   cvx_time_to_adam_best=first_time_at_or_below(ct, "time_s", "objective", best["best_objective"]),
                   adam_time_to_cvx_final=first_time_at_or_below(atr, "time_s", "objective", cvx_final),
                   cvx_time_to_1pct=first_time_at_or_below(ct, "time_s", "objective", 1.01 * cvx_final),
                   adam_time_to_1pct=first_time_at_or_below(atr, "time_s", "objective", 1.01 * best["best_objective"]),
                   equal_time=[])
        for t in (0.1, 1.0, cvx_time):
            res["equal_time"].append(dict(t=t, cvx=best_by_time(ct, "time_s", "objective", t),
                                          adam=best_by_time(atr, "time_s", "objective", t)))
        results.append(res)
    print("load average: %s" % loadavg())
    print()
    data = dict(results=results, load=loadavg())
    print_adam(data)
    save("adam", data)


def print_adam(data):
    results = data["results"]
    for r in results:                    # older result files: from the traces
        if "cvx_time_to_1pct" not in r:
            ct = read_csv(os.path.join(ROOT, r["cvx_trace"]))
            at = read_csv(os.path.join(ROOT, r["adam_trace"]))
            r["cvx_time_to_1pct"] = first_time_at_or_below(ct, "time_s", "objective", 1.01 * r["cvx_objective"])
            r["adam_time_to_1pct"] = first_time_at_or_below(at, "time_s", "objective",
                                                            1.01 * r["adam_best_objective"])
    table(["patterns", "width (active neurons)", "cvxrelu objective", "cvxrelu time (s)",
           "cvxrelu time to 1% of its objective", "rel. gap", "Adam best objective (lr)", "Adam run (s)",
           "Adam time to 1% of its best", "cvxrelu time to Adam's best",
           "Adam time to cvxrelu's objective"],
          [[r["patterns"], r["width"], "%.6g" % r["cvx_objective"], g(r["cvx_time_s"]),
            g(r.get("cvx_time_to_1pct")), "%.1e" % r["cvx_gap"],
            "%.6g (%s)" % (r["adam_best_objective"], r["adam_best_lr"]), g(r["adam_time_s"]),
            g(r.get("adam_time_to_1pct")),
            "never" if r["cvx_time_to_adam_best"] is None else g(r["cvx_time_to_adam_best"]),
            "never" if r["adam_time_to_cvx_final"] is None else g(r["adam_time_to_cvx_final"])]
           for r in results])
    table(["patterns", "time (s)", "cvxrelu objective", "Adam objective"],
          [[r["patterns"], g(e["t"]), g(e["cvx"], 6), g(e["adam"], 6)] for r in results for e in r["equal_time"]])


# ------------------------------------------------------------------ scaling and gemm

def scaling_grid():
    n_list = [float(x) for x in os.environ.get("SCALING_N", "1e3,1e4,1e5,1e6").split(",")]
    d_list = [float(x) for x in os.environ.get("SCALING_D", "10,30,100,300,1000").split(",")]
    p_list = [float(x) for x in os.environ.get("SCALING_P", "10,50,200,1000,2000").split(",")]
    n0 = env("SCALING_N0", 1e5)
    grid = [("n", dict(n=n, d=100, P=200)) for n in n_list]
    grid += [("d", dict(n=n0, d=d, P=200)) for d in d_list]
    grid += [("P", dict(n=n0, d=100, P=P)) for P in p_list]
    return grid


def synth_args(p, eps, iters, tl, extra=()):
    return ["synth", "--n", "%g" % p["n"], "--d", "%g" % p["d"], "--c", "1", "--P", "%g" % p["P"],
            "--lambda", "1e-3", "--eps", str(eps), "--max-iter", str(iters), "--time-limit", str(tl),
            "--seed", "1"] + list(extra)


def target_scaling():
    iters = env("SCALING_ITERS", 20, int)
    tl = env("SCALING_TIME_LIMIT", 300.0)
    cache = {}
    runs = []
    print("load average at start: %s" % loadavg(), flush=True)
    for axis, p in scaling_grid():
        key = (p["n"], p["d"], p["P"])
        if key not in cache:
            r = c_run(synth_args(p, 1e-12, iters, tl))
            r.update(n=p["n"], d=p["d"], P=p["P"])
            cache[key] = r
        runs.append(dict(axis=axis, **cache[key]))
    big = None
    if env("SCALING_BIG", 1, int):
        p = dict(n=1e6, d=100, P=200)
        big = c_run(synth_args(p, env("SCALING_BIG_EPS", 1e-4), 100000, env("SCALING_BIG_TIME_LIMIT", 1800.0)))
        big.update(p)
    print("load average at end: %s" % loadavg())
    print()
    data = dict(runs=runs, big=big, iters=iters, load=loadavg())
    data["fits"] = print_scaling(data)
    save("scaling", data)


def print_scaling(data):
    """The scaling tables; returns the fitted exponents (all points, and the last three:
    the large sizes, where the fixed costs no longer dominate)."""
    runs, big = data["runs"], data.get("big")
    fits = {}
    rows = []
    for axis in ("n", "d", "P"):
        pts = [r for r in runs if r["axis"] == axis]
        xs = [r[axis] for r in pts]
        ts = [r["time_per_iteration_s"] for r in pts]
        ms = [r["peak_rss_bytes"] for r in pts]
        bs = [r["base_bytes"] for r in pts]
        fits[axis] = dict(time=fit_exponent(xs, ts), memory=fit_exponent(xs, ms), base=fit_exponent(xs, bs),
                          time_top=fit_exponent(xs[-3:], ts[-3:]), memory_top=fit_exponent(xs[-3:], ms[-3:]),
                          base_top=fit_exponent(xs[-3:], bs[-3:]), top_from=xs[-3] if len(xs) >= 3 else xs[0])
        for r in pts:
            rows.append([axis, "%g" % r["n"], "%g" % r["d"], "%g" % r["P"], int(r["iterations"]),
                         "%.2f" % (r["passes_over_x"] / max(r["iterations"], 1)),
                         g(1e3 * r["time_per_iteration_s"]), g(r["peak_rss_bytes"] / 2 ** 20),
                         g(r["base_bytes"] / 2 ** 20), "%.2f" % r["memory_ratio"],
                         "%.2f" % r["memory_ratio_above_start"] if "memory_ratio_above_start" in r else "–",
                         "%.2f" % r["ratio_iteration_to_gemm_pair"]])
    table(["varied", "n", "d", "P", "iterations", "passes / iteration", "ms / iteration",
           "peak RSS (MiB)", "X + bits + iterates (MiB)", "peak / that",
           "(peak - RSS at start) / that", "iteration / GEMMs"], rows)
    table(["varied", "time / iteration exponent (all; last 3 points)", "peak RSS exponent (all; last 3)",
           "X + bits + iterates exponent (all; last 3)"],
          [[a + " (last 3 from %g)" % fits[a]["top_from"],
            "%.2f; %.2f" % (fits[a]["time"], fits[a]["time_top"]),
            "%.2f; %.2f" % (fits[a]["memory"], fits[a]["memory_top"]),
            "%.2f; %.2f" % (fits[a]["base"], fits[a]["base_top"])] for a in ("n", "d", "P")])
    if big:
        table(["n", "d", "P", "exit", "iterations", "objective", "rel. gap", "solve (s)", "setup (s)",
               "peak RSS (GiB)", "peak / (X + bits + iterates)"],
              [["1e6", 100, 200, big["exit"], int(big["iterations"]), "%.8g" % big["objective"],
                "%.1e" % big["relative_gap"], g(big["solve_s"]), g(big["setup_s"]),
                g(big["peak_rss_bytes"] / 2 ** 30), "%.2f" % big["memory_ratio"]]])
    return fits


def target_gemm():
    sc = load("scaling")
    if sc is None:
        target_scaling()
        sc = load("scaling")
    rows = []
    seen = set()
    for r in sc["runs"]:
        key = (r["n"], r["d"], r["P"])
        if key in seen:
            continue
        seen.add(key)
        rows.append(["synth n=%g d=%g P=%g" % key, int(r["iterations"]),
                     "%.2f" % (r["passes_over_x"] / max(r["iterations"], 1)),
                     g(1e3 * r["time_per_iteration_s"]), g(1e3 * r["gemm_pair_s"]),
                     "%.2f" % r["ratio_iteration_to_gemm_pair"], "%.2f" % r["blas_share"]])
    if sc.get("big"):
        r = sc["big"]
        rows.append(["synth n=1e6 d=100 P=200, to convergence", int(r["iterations"]),
                     "%.2f" % (r["passes_over_x"] / max(r["iterations"], 1)),
                     g(1e3 * r["time_per_iteration_s"]), g(1e3 * r["gemm_pair_s"]),
                     "%.2f" % r["ratio_iteration_to_gemm_pair"], "%.2f" % r["blas_share"]])
    pe = load("peers")
    if pe:
        for r in pe["rows"]:
            c = r.get("c_output")
            if c and r.get("same_algorithm") and r["problem"].startswith("Fashion"):
                rows.append(["Fashion-MNIST P=100, " + r["implementation"].replace("cvxrelu (C), ", ""),
                             int(c["iterations"]),
                             "%.2f" % (c["passes_over_x"] / max(c["iterations"], 1)),
                             g(1e3 * c["time_per_iteration_s"]), g(1e3 * c["gemm_pair_s"]),
                             "%.2f" % c["ratio_iteration_to_gemm_pair"], "%.2f" % c["blas_share"]])
    table(["problem", "iterations", "passes / iteration", "ms / iteration", "GEMM pair (ms)",
           "iteration / GEMM pair", "share in BLAS"], rows)
    ratios = [float(r[5]) for r in rows]
    print("iterations within 1.3x of the GEMM pair: %d of %d" % (sum(x <= 1.3 for x in ratios), len(ratios)))
    save("gemm", dict(rows=rows))


# ------------------------------------------------------------------ screening

def target_screening():
    n = env("SCREEN_N", 1e4)
    d = env("SCREEN_D", 100.0)
    lams = os.environ.get("SCREEN_LAMBDAS", "3e-2,1e-3").split(",")
    eps = env("SCREEN_EPS", 1e-6)
    reps = env("SCREEN_REPS", 3, int)
    prec = os.environ.get("SCREEN_PRECISION", "double")
    print("load average at start: %s" % loadavg(), flush=True)
    cases = []
    for lam in lams:
        args = ["synth", "--n", "%g" % n, "--d", "%g" % d, "--c", "1", "--P", "2000", "--lambda", lam,
                "--eps", str(eps), "--max-iter", "100000", "--seed", "1", "--precision", prec]
        res = {"0": [], "1": []}
        for _ in range(reps):           # in turns
            for sc in ("0", "1"):
                res[sc].append(c_run(args + ["--screening", sc]))
        cases.append(dict(lam=float(lam), runs=res))
    print("load average at end: %s" % loadavg())
    print()
    data = dict(cases=cases, eps=eps, n=n, d=d, P=2000, precision=prec, load=loadavg())
    print_screening(data)
    save("screening", data)


def print_screening(data):
    rows = []
    for case in data["cases"]:
        res = case["runs"]
        t0 = median([r["solve_s"] for r in res["0"]])
        o0 = res["0"][0]["objective"]
        for sc in ("0", "1"):
            rs = res[sc]
            r0 = rs[0]
            t = median([r["solve_s"] for r in rs])
            rows.append(["%g" % case["lam"], sc, int(r0["iterations"]), int(r0["passes_over_x"]),
                         "%.12g" % r0["objective"], "%.1e" % (abs(r0["objective"] - o0) / abs(o0)),
                         "%.2e" % r0["relative_gap"], r0["exit"], int(r0["active_groups"]),
                         int(r0["screened_groups"]), g(t), "%.2f" % (t / t0), len(rs)])
    table(["lambda", "screening", "iterations", "passes over X", "objective", "rel. diff. to unscreened",
           "rel. gap", "exit", "active groups", "screened groups", "median solve (s)",
           "time / unscreened", "runs"], rows)


TARGETS = dict(peers=target_peers, adam=target_adam, scaling=target_scaling, gemm=target_gemm,
               screening=target_screening)

def report(name):
    """Print a target's tables again from bench/out/<target>.json (no runs)."""
    data = load(name)
    if data is None:
        raise SystemExit("suite.py: no bench/out/%s.json" % name)
    if name == "peers":
        print_peer_rows(data["rows"])
    elif name == "scaling":
        print_scaling(data)
    elif name == "gemm":
        target_gemm()
    elif name == "screening":
        print_screening(data)
    elif name == "adam":
        print_adam(data)
    else:
        raise SystemExit("suite.py: --report for peers, adam, scaling, gemm and screening")


if __name__ == "__main__":
    args = sys.argv[1:]
    rep = "--report" in args
    args = [a for a in args if a != "--report"]
    if len(args) != 1 or args[0] not in TARGETS:
        raise SystemExit("usage: suite.py [--report] " + "|".join(TARGETS))
    if rep:
        report(args[0])
    else:
        TARGETS[args[0]]()
