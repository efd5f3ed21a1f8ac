"""Shared helpers of the Python peers: thread setup, loading a dumped problem, JSON output.

A problem dumped by `bench_gated synth|fmnist --dump DIR` is four files:
    meta.txt  "n d c P"
    X.f64     n x d, row-major float64
    Y.f64     n x c, row-major float64
    S.u8      n x P, row-major bytes 0/1 (S[j, i] = 1 when row j is in pattern i)
"""
import json
import os
import sys


def set_threads(threads):
    """Pin BLAS/OpenMP threads; must run before numpy or torch is imported."""
    if threads and threads > 0:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)


def threads_from_argv(default=0):
    """Read --threads K from sys.argv early (before the heavy imports)."""
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return int(sys.argv[i + 1])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return default


def load_problem(directory):
    """X (n x d), Y (n x c) float64 and S (n x P) uint8 from a --dump directory."""
    import numpy as np

    with open(os.path.join(directory, "meta.txt")) as f:
        n, d, c, P = (int(v) for v in f.read().split()[:4])
    X = np.fromfile(os.path.join(directory, "X.f64"), dtype=np.float64)
    Y = np.fromfile(os.path.join(directory, "Y.f64"), dtype=np.float64)
    S = np.fromfile(os.path.join(directory, "S.u8"), dtype=np.uint8)
    if X.size != n * d or Y.size != n * c or S.size != n * P:
        raise SystemExit("%s: file sizes do not match meta.txt (%d %d %d %d)" % (directory, n, d, c, P))
    return X.reshape(n, d), Y.reshape(n, c), S.reshape(n, P)


def load_npz(path):
    """The older benchmark input: an npz with X, Y (n x c or n) and S (n x P, 0/1)."""
    import numpy as np

    z = np.load(path)
    X = np.ascontiguousarray(z["X"], dtype=np.float64)
    Y = np.asarray(z["Y"], dtype=np.float64)
    Y = np.ascontiguousarray(Y.reshape(len(Y), -1))
    S = np.ascontiguousarray(z["S"]).astype(np.uint8)
    return X, Y, S


def emit(record):
    print(json.dumps(record), flush=True)


def peak_rss_bytes():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
