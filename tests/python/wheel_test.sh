#!/bin/sh
# The wheel (docs/python.md, "A wheel"): built by python/build_wheel.py from the staged
# package, installed by pip with no index into a fresh venv, imported from there (not
# from the build tree) and used for a fit.
#   wheel_test.sh PYTHON STAGE SOURCE_DIR WORK_DIR
set -eu
PY=$1 STAGE=$2 SRC=$3 WORK=$4
rm -rf "$WORK" && mkdir -p "$WORK"
WHL=$("$PY" "$SRC/python/build_wheel.py" "$STAGE" "$WORK/dist")
echo "built $WHL"
# a venv over Debian's Python (numpy from the system); pip from the system when it has
# one (fast), else the venv's own
"$PY" -m venv --system-site-packages --without-pip "$WORK/venv" ||
    { echo "SKIP: $PY cannot make a venv (python3-venv)"; exit 77; }
VPY=$WORK/venv/bin/python
"$VPY" -m pip --version >/dev/null 2>&1 || { rm -rf "$WORK/venv"; "$PY" -m venv --system-site-packages "$WORK/venv"; }
"$VPY" -m pip install -q --no-index --no-deps --no-cache-dir "$WHL"
cd "$WORK"
env -u PYTHONPATH "$VPY" - "$WORK/venv" <<'PYEOF'
import os, sys
import numpy as np
import cvxrelu
where = os.path.realpath(cvxrelu.__file__)
assert where.startswith(os.path.realpath(sys.argv[1])), f"imported from {where}, not the venv"
X = np.random.default_rng(0).standard_normal((80, 3)); y = X[:, 0] * X[:, 1] > 0
clf = cvxrelu.ConvexReLUClassifier(patterns=30).fit(X, y)
assert clf.score(X, y) > 0.8, clf.score(X, y)
print("cvxrelu", cvxrelu.__version__, "from", where, "score", clf.score(X, y))
PYEOF
"$VPY" -m pip uninstall -q -y cvxrelu
echo "ok"
