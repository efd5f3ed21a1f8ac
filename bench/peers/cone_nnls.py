"""Exact Euclidean projection onto a pattern's cone, through non-negative least squares on
the dual (NumPy/SciPy; used by both Python peers of the exact ReLU program: PyTorch has no
NNLS, so the PyTorch peer hands NumPy views of its tensors to this code).

K = {u : a_j (x_j . u) >= 0 for all j}, a_j = +1 inside the pattern and -1 outside
(A_i = 2 D_i - I). By the KKT conditions P_K(y) = y + C^T mu with C = diag(a) X and

    mu = argmin_{mu >= 0} || y + C^T mu ||,

a non-negative least-squares problem in n unknowns whose solution has at most d non-zeros.

Two exact methods, the same answer (to rounding):
  "warm" (default): Lawson-Hanson on the active rows, warm-started from the group's previous
         active set: the method of src/two_layer/cone.c, line for line, in NumPy;
  "nnls": scipy.optimize.nnls (the Fortran Lawson-Hanson), started cold every call.
"""
import numpy as np
from scipy.linalg.lapack import dpotrf, dpotrs
from scipy.optimize import nnls


def _inside(y, zy, a, xmax):
    ynorm = float(np.sqrt(y @ y))
    tol = 1e-13 * xmax * (ynorm if ynorm > 0.0 else 1.0)
    return float(np.min(a * zy)) >= -tol, tol


def project_nnls(y, zy, a, X, xmax):
    """P_K(y) and X P_K(y) by scipy.optimize.nnls, given zy = X y."""
    inside, _ = _inside(y, zy, a, xmax)
    if inside:
        return y, zy
    C = a[:, None] * X
    mu, _ = nnls(C.T, -y, maxiter=max(50 * X.shape[1], 3 * X.shape[0]))
    nz = mu > 0.0
    u = y + C[nz].T @ mu[nz]
    return u, X @ u


def _ls_on_set(X, a, y, S):
    """s = argmin ||y + sum_{l in S} s_l a_l x_l||; None when the rows are dependent
    (the Cholesky test of src/core/util.c: a pivot below 1e-13 of its diagonal entry)."""
    CS = a[S, None] * X[S]
    gram = CS @ CS.T
    rhs = -(CS @ y)
    L, info = dpotrf(gram, lower=1, clean=0)
    if info != 0:
        return None
    if (L.diagonal() ** 2 <= 1e-13 * gram.diagonal()).any():
        return None
    s, info = dpotrs(L, rhs, lower=1)
    return s


def project_warm(y, zy, a, X, xmax, S):
    """P_K(y), X P_K(y) and the new active set, from the previous active set S (a list of
    row indices): src/two_layer/cone.c's cr_cone_project."""
    n, d = X.shape
    inside, tol = _inside(y, zy, a, xmax)
    if inside:
        return y, zy, []
    S = list(S)
    s = np.zeros(0)
    while S:
        s = _ls_on_set(X, a, y, S)
        if s is None:
            S.pop()
            continue
        p = int(np.argmin(s))
        if s[p] > 0.0:
            break
        S[p] = S[-1]
        S.pop()
    mu = np.array(s[: len(S)], dtype=float) if S else np.zeros(0)
    iters = 0
    while True:
        u = y + (mu * a[S]) @ X[S] if S else y.copy()
        cz = a * (X @ u)
        j = int(np.argmin(cz))
        if not cz[j] < -tol or j in S or len(S) >= d:
            break
        iters += 1
        if iters > 4 * d + 20:
            break
        S.append(j)
        mu = np.append(mu, 0.0)
        for _ in range(2 * d + 5):
            s = _ls_on_set(X, a, y, S)
            if s is None:
                S.pop()
                mu = mu[:-1]
                break
            neg = s <= 0.0
            if not neg.any():
                mu = s
                break
            alpha = float(np.min(mu[neg] / (mu[neg] - s[neg])))
            mu = mu + alpha * (s - mu)
            keep = mu > 1e-300
            S = [S[p] for p in range(len(S)) if keep[p]]
            mu = mu[keep]
    return u, a * cz, S


class Projector:
    """Projections for the groups of one problem, keeping each group's warm active set."""

    def __init__(self, X, sign, groups_per_pattern, method="warm"):
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.sign = sign                                   # P x n of +-1
        self.gpp = groups_per_pattern
        self.xmax = float(np.sqrt((self.X * self.X).sum(axis=1)).max()) or 1.0
        self.method = method
        self.sets = {}                                     # (kind, group) -> active rows

    def project(self, g, y, zy, kind="prox"):
        a = self.sign[g // self.gpp]
        if self.method == "nnls":
            return project_nnls(y, zy, a, self.X, self.xmax)
        u, z, S = project_warm(y, zy, a, self.X, self.xmax, self.sets.get((kind, g), []))
        self.sets[(kind, g)] = S
        return u, z

    def project_norm(self, g, y, zy):
        u, _ = self.project(g, y, zy, kind="dual")
        return float(np.sqrt(u @ u))
