#!/usr/bin/python3
"""One JSON schema for every model kind (docs/cli.md, "JSON output").

Usage: json_schema_check.py CVXRELU_BINARY DATA_DIR

Trains every model kind on small data and certifies a ReLU network, then checks on
each JSON file:
  - no key appears twice;
  - the shared keys are present with their types;
  - `objective` is the returned network's objective: it equals what `cvxrelu eval`
    computes from the written model on the same rows (an independent forward pass);
  - where present, lower_bound <= objective, gap = objective - lower_bound,
    upper_bound = objective, convex_lower_bound <= convex_objective (up to rounding)
    and convex_gap = convex_objective - convex_lower_bound;
  - the keys a kind must have (a certified bound for ReLU networks and the SDP, the
    convex program's keys where one is solved, constraint_violation for the
    constrained programs).
One pass/fail line per run; exit 1 on any failure.
"""
import json
import os
import subprocess
import sys
import tempfile

SHARED = {"version": str, "model": str, "exit": str, "task": str, "n": int, "d": int,
          "outputs": int, "lambda": float, "beta": float, "neurons": int, "objective": float,
          "seed": int, "blas": str, "threads": int}
TRAIN_ONLY = {"model_written": int, "solver": str, "loss_function": str, "iterations": int, "solve_time_s": float,
              "train_mse": float}


def no_dupes(pairs):
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValueError("duplicate keys: %s" % dup)
    return dict(pairs)


def close(a, b, rel=1e-9):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def check(j, train, need, evalobj):
    bad = []
    for k, t in list(SHARED.items()) + (list(TRAIN_ONLY.items()) if train else []):
        if k not in j:
            bad.append("missing " + k)
        elif j[k] is not None and not isinstance(j[k], (int, float) if t is float else t):
            bad.append("%s is %r" % (k, j[k]))
    for k in need:
        if k not in j:
            bad.append("missing " + k)
    o = j.get("objective")
    if evalobj is not None and o is not None and not close(o, evalobj):
        bad.append("objective %r but eval says %r" % (o, evalobj))
    if "lower_bound" in j:
        lb = j["lower_bound"]
        if not lb <= o * (1 + 1e-12) + 1e-15:
            bad.append("lower_bound %r > objective %r" % (lb, o))
        if not close(j["gap"], o - lb, 1e-12) or j["upper_bound"] != o:
            bad.append("gap / upper_bound inconsistent")
    if "convex_objective" in j and "convex_lower_bound" in j:
        co, cl = j["convex_objective"], j["convex_lower_bound"]
        if not cl <= co + 1e-12 * max(1.0, abs(co)):
            bad.append("convex_lower_bound %r > convex_objective %r" % (cl, co))
        if not close(j["convex_gap"], co - cl, 1e-12):
            bad.append("convex_gap inconsistent")
    return bad


def main():
    binary, data = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="cvxrelu_schema.")
    iris = os.path.join(data, "iris.csv")
    small = os.path.join(tmp, "iris40.csv")
    with open(iris) as f:
        rows = f.read().splitlines()
    with open(small, "w") as f:
        f.write("\n".join([rows[0]] + rows[1::4]) + "\n")
    runs = [
        ("gated", [iris, "--patterns", "40"], ["convex_objective", "convex_lower_bound"]),
        ("gated+decompose", [iris, "--patterns", "40", "--decompose", "closed"],
         ["convex_objective", "convex_lower_bound", "lower_bound", "ratio"]),
        ("relu", [iris, "--model", "relu", "--patterns", "20", "--max-iter", "200"],
         ["convex_objective", "convex_lower_bound", "constraint_violation", "lower_bound"]),
        ("sdp", [small, "--model", "sdp", "--max-iter", "400", "--lambda", "1e-2"],
         ["convex_objective", "convex_lower_bound", "lower_bound"]),
        ("local adam", [iris, "--optimizer", "adam", "--width", "5", "--steps", "200"],
         ["convex_objective", "convex_lower_bound", "lower_bound"]),
        ("relu3", [small, "--model", "relu3", "--subnets", "8", "--max-iter", "3000"],
         ["convex_objective", "convex_lower_bound", "constraint_violation"]),
        ("relu3 local", [small, "--model", "relu3", "--optimizer", "adam", "--steps", "100",
                         "--subnets", "4", "--max-iter", "2000"],
         ["convex_objective", "convex_lower_bound"]),
    ]
    fails = 0
    for name, args, need in runs:
        mp, jp, ep = (os.path.join(tmp, x) for x in ("m.model", "t.json", "e.json"))
        for p in (mp, jp, ep):
            if os.path.exists(p):
                os.remove(p)
        r = subprocess.run([binary, "train", "-q"] + args + ["-o", mp, "--json", jp],
                           capture_output=True, text=True)
        try:
            if r.returncode != 0:
                raise ValueError("train exit %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
            with open(jp) as f:
                j = json.load(f, object_pairs_hook=no_dupes)
            e = subprocess.run([binary, "eval", "-q", mp, args[0], "--json", ep],
                               capture_output=True, text=True)
            if e.returncode != 0:
                raise ValueError("eval exit %d: %s" % (e.returncode, e.stderr.strip()))
            with open(ep) as f:
                ev = json.load(f)
            bad = check(j, True, need, ev["objective"])
        except (ValueError, OSError) as exc:
            bad = [str(exc)]
        if bad:
            print("FAIL - %s: %s" % (name, "; ".join(bad)))
            fails += 1
        else:
            print("ok   - %s: shared keys, objective = eval's (%.10g), bounds consistent"
                  % (name, j["objective"]))
    # certify: the same keys with the same meanings
    mp, cp = os.path.join(tmp, "c.model"), os.path.join(tmp, "c.json")
    subprocess.run([binary, "train", "-q", iris, "--model", "relu", "--patterns", "20",
                    "--max-iter", "200", "--no-certify", "-o", mp], check=True)
    r = subprocess.run([binary, "certify", "-q", mp, iris, "--json", cp],
                       capture_output=True, text=True)
    e = subprocess.run([binary, "eval", "-q", mp, iris, "--json", os.path.join(tmp, "ce.json")],
                       capture_output=True, text=True)
    try:
        if r.returncode != 0 or e.returncode != 0:
            raise ValueError("certify exit %d, eval exit %d" % (r.returncode, e.returncode))
        with open(cp) as f:
            j = json.load(f, object_pairs_hook=no_dupes)
        with open(os.path.join(tmp, "ce.json")) as f:
            ev = json.load(f)
        shared = {k: v for k, v in SHARED.items() if k not in ("model", "exit", "task", "seed",
                                                               "threads")}
        bad = [("missing " + k) for k in shared if k not in j]
        bad += check(j, False, ["lower_bound", "upper_bound", "gap", "ratio"], ev["objective"])
        bad = [b for b in bad if not any(b == "missing " + k
                                         for k in ("model", "exit", "task", "seed", "threads"))]
    except (ValueError, OSError) as exc:
        bad = [str(exc)]
    if bad:
        print("FAIL - certify: %s" % "; ".join(bad))
        fails += 1
    else:
        print("ok   - certify: objective = eval's, lower_bound <= objective, gap and ratio")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
