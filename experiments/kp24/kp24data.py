"""Shared by the KP24 experiment scripts: paths and the planted-teacher data they use.

X (rows x d) has i.i.d. N(0, 1) entries; y = sum_j (X w_j)_+ a_j + N(0, 0.1^2) with 5 teacher
neurons, w_j ~ N(0, I/d), a_j ~ N(0, 1), all from numpy's generator seeded with `seed`.
"""
import os

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(ROOT, "build", "cvxrelu")
CACHE = os.path.join(ROOT, "experiments", "kp24", "cache")


def planted_teacher(rows, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, d))
    W = rng.standard_normal((5, d)) / np.sqrt(d)
    a = rng.standard_normal(5)
    y = np.maximum(X @ W.T, 0) @ a + 0.1 * rng.standard_normal(rows)
    return np.column_stack([X, y])


def save_csv(path, M):
    """Features x0.. and the label y, with a header row, as the CLI reads them."""
    d = M.shape[1] - 1
    np.savetxt(path, M, delimiter=",", fmt="%.17g",
               header=",".join(["x%d" % i for i in range(d)] + ["y"]), comments="")
