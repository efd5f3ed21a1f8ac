"""Long solves release the GIL, and Ctrl-C (SIGINT) stops them cleanly with a
KeyboardInterrupt (docs/python.md, "Threads and Ctrl-C")."""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np

# a fit that takes several seconds (capped by its time limit, so it cannot hang)
LONG = ("import numpy as np, cvxrelu\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.standard_normal((2000, 40)); y = np.sin(X @ rng.standard_normal(40))\n"
        "est = cvxrelu.ConvexReLURegressor(patterns=1000, lam=1e-6, tol=1e-14, "
        "max_iter=10**9, time_limit=30)\n")


def test_sigint_stops_fit():
    code = LONG + (
        "import sys, time\n"
        "print('fitting', flush=True)\n"
        "t = time.time()\n"
        "try:\n"
        "    est.fit(X, y)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted %.3f' % (time.time() - t), flush=True)\n"
        "    est2 = cvxrelu.ConvexReLURegressor(patterns=5).fit(X[:50], y[:50])\n"
        "    print('refit ok', hasattr(est, 'model_'), flush=True)\n"
        "else:\n"
        "    print('not interrupted', flush=True)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    assert p.stdout.readline().strip() == "fitting"
    time.sleep(1.0)
    sent = time.time()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    waited = time.time() - sent
    lines = out.split("\n")
    assert lines[0].startswith("interrupted"), (out, err)
    assert float(lines[0].split()[1]) < 10  # stopped long before the 30 s time limit
    assert waited < 5, waited
    # the handler is Python's again afterwards, the estimator unfitted, the next fit fine
    assert lines[1] == "refit ok False", (out, err)
    assert p.returncode == 0


def test_gil_released_during_fit():
    ns = {}
    exec(LONG.replace("time_limit=30", "time_limit=1.5"), ns)
    ticks = []
    t = threading.Thread(target=ns["est"].fit, args=(ns["X"], ns["y"]))
    t.start()
    while t.is_alive():
        ticks.append(time.perf_counter())
        time.sleep(0.01)
    t.join()
    assert hasattr(ns["est"], "model_")  # a fit in a thread: no SIGINT handler, a result
    assert ns["est"].report_["exit"] == "time_limit"
    gaps = np.diff(ticks)
    assert len(ticks) > 50 and gaps.max() < 0.5, (len(ticks), gaps.max())
