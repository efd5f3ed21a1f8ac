"""Shared by the Python tests (docs/python.md): where the CLI and the data are.

ctest runs them as python -m pytest tests/python with CVXRELU_CLI = the CLI,
CVXRELU_DATA = data/ and PYTHONPATH = the staged package in BUILD/python."""

import os
import subprocess

import numpy as np
import pytest

CLI = os.environ.get("CVXRELU_CLI", "build/cvxrelu")
DATA = os.environ.get("CVXRELU_DATA", "data")


def data_path(name):
    return os.path.join(DATA, name)


def read_csv(path):
    """Features (float) and labels (str) of a CSV file with a header, label last."""
    raw = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=str)
    return raw[:, :-1].astype(np.float64), raw[:, -1]


# The CLI restarts itself with a faster OpenBLAS kernel where OpenBLAS misdetects the
# CPU (docs/python.md, "Speed"); another kernel rounds differently, so to compare to
# 1e-12 it keeps the kernel this process has.
CLI_ENV = dict(os.environ, CVXRELU_NO_BLAS_TUNE="1")


def cli(*args):
    """The CLI's stdout; a failure shows its stderr."""
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, env=CLI_ENV)
    if p.returncode != 0:
        raise AssertionError(f"cvxrelu {' '.join(map(str, args))} exited {p.returncode}:\n"
                             f"{p.stderr}")
    return p.stdout


@pytest.fixture(scope="session")
def breast():
    return read_csv(data_path("breast_cancer.csv"))


@pytest.fixture(scope="session")
def diabetes():
    X, y = read_csv(data_path("diabetes.csv"))
    return X, y.astype(np.float64)
