"""What the cross-checks against cvxrelu's CLI share (tests/xcheck_cvxopt.py,
tests/xcheck_loss.py): a case written as the CLI reads it."""
import os

import numpy as np


def write_case(tmp, name, X, labels, G):
    """X (n x d) with its label texts as CSV (header x0..x{d-1},label) and the gates G
    (one per row) as a gates file, full precision; returns the two paths."""
    n, d = X.shape
    data = os.path.join(tmp, name + ".csv")
    with open(data, "w") as f:
        f.write(",".join("x%d" % j for j in range(d)) + ",label\n")
        for i in range(n):
            f.write(",".join("%.17g" % v for v in X[i]) + "," + labels[i] + "\n")
    gates = os.path.join(tmp, name + "_gates.csv")
    np.savetxt(gates, G, delimiter=",", fmt="%.17g")
    return data, gates
