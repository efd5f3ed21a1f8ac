#!/usr/bin/python3
"""Regenerate the bundled CSV data sets in data/ from Debian's python3-sklearn.

Usage (from the project root):  /usr/bin/python3 scripts/make_data.py [OUTDIR]

Values are copied as the original text tokens of the sklearn files (the diabetes
target, stored there as "1.510000000000000000e+02", is written as repr(float)).
Feature names are the ones sklearn's loaders report, with spaces replaced by
underscores and parentheses dropped; the label is the last column.
"""
import csv
import gzip
import io
import os
import sys

import sklearn.datasets as skd

SRC = os.path.join(os.path.dirname(skd.__file__), "data")


def clean(name):
    return str(name).replace(" ", "_").replace("(", "").replace(")", "")


def read_text(name):
    path = os.path.join(SRC, name)
    if name.endswith(".gz"):
        with gzip.open(path, "rt") as f:
            return f.read()
    with open(path) as f:
        return f.read()


def sklearn_csv(name, n_feat):
    """sklearn's own layout: header 'n,d,name0,name1,...', rows 'x1..xd,label_index'."""
    lines = read_text(name).splitlines()
    head = lines[0].split(",")
    n, d, names = int(head[0]), int(head[1]), head[2:]
    rows = [ln.split(",") for ln in lines[1:] if ln.strip()]
    assert d == n_feat and len(rows) == n and all(len(r) == d + 1 for r in rows)
    return [r[:d] + [names[int(r[d])]] for r in rows]


def write(path, header, rows, compress=False):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode()
    if compress:  # mtime=0 and no file name: byte-identical output on every run
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)
    print("%-28s %5d rows x %3d features" % (path, len(rows), len(header) - 1))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
    out = os.path.normpath(out)
    os.makedirs(out, exist_ok=True)
    J = lambda f: os.path.join(out, f)

    b = skd.load_breast_cancer()
    write(J("breast_cancer.csv"), [clean(s) for s in b.feature_names] + ["diagnosis"],
          sklearn_csv("breast_cancer.csv", 30))

    b = skd.load_wine()
    write(J("wine.csv"), [clean(s) for s in b.feature_names] + ["class"],
          sklearn_csv("wine_data.csv", 13))

    b = skd.load_iris()
    write(J("iris.csv"), [clean(s) for s in b.feature_names] + ["species"],
          sklearn_csv("iris.csv", 4))

    b = skd.load_diabetes(scaled=False)
    X = [ln.split() for ln in read_text("diabetes_data_raw.csv.gz").splitlines() if ln.strip()]
    y = [repr(float(t)) for t in read_text("diabetes_target.csv.gz").split()]
    assert len(X) == len(y) == 442 and all(len(r) == 10 for r in X)
    write(J("diabetes.csv"), [clean(s) for s in b.feature_names] + ["progression"],
          [r + [t] for r, t in zip(X, y)])

    b = skd.load_digits()
    rows = [ln.split(",") for ln in read_text("digits.csv.gz").splitlines() if ln.strip()]
    assert len(rows) == 1797 and all(len(r) == 65 for r in rows)
    write(J("digits.csv.gz"), [clean(s) for s in b.feature_names] + ["digit"], rows, compress=True)


if __name__ == "__main__":
    main()
