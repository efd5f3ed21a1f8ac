#!/bin/sh
# The reliability jobs of CI: the whole test suite under AddressSanitizer +
# UndefinedBehaviorSanitizer, the CLI end-to-end and hostile-data tests under
# valgrind memcheck, and a bounded fuzz run of every input format.
# Usage: scripts/reliability.sh [FUZZ_SECONDS]   (default 60 per format)
set -eu
cd "$(dirname "$0")/.."
need=""
for p in clang libclang-rt-14-dev valgrind; do
  dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
  [ "$(id -u)" = 0 ] || { echo "reliability: missing packages:$need" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi

echo "== ASan + UBSan: the whole test suite"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCVXRELU_WERROR=ON \
  -DCVXRELU_PYTHON=OFF \
  -DCMAKE_C_FLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" >/dev/null
cmake --build build-asan -j2 >/dev/null
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  CVXRELU_TEST_TIME_SCALE=4 ctest --output-on-failure -j2)

echo "== valgrind memcheck: CLI end-to-end tests"
# valgrind 3.19 has no AVX-512, and it runs OpenBLAS's AVX2/FMA DGEMM kernel about 600x
# below native speed (1258 x 65 x 200: 0.6 s a product): the Sandybridge (AVX, no FMA)
# kernel is 8x faster under it, which is what keeps these jobs within minutes
export OPENBLAS_CORETYPE=Sandybridge CVXRELU_NO_BLAS_TUNE=1 OPENBLAS_NUM_THREADS=1
export CVXRELU_TEST_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
[ -x build/cvxrelu ] || make build >/dev/null
sh tests/cli_test.sh build/cvxrelu tests/fixtures data
# (tests/hostile_test.sh passes under memcheck too, in about 16 min: run it by hand)

echo "== valgrind memcheck: every unit test binary (every model kind and solver), two at a time"
vg_fail=0
ls build/tests/test_* | grep -v '\.' | xargs -P 2 -I{} sh -c '
  t0=$(date +%s)
  if $CVXRELU_TEST_WRAPPER "$1" >"$1.memcheck.log" 2>&1; then
    echo "ok   - memcheck $(basename "$1") ($(( $(date +%s) - t0 )) s)"
  else
    echo "FAIL - memcheck $(basename "$1") (exit $?)"; tail -40 "$1.memcheck.log"; exit 1
  fi' _ {} || vg_fail=1
[ $vg_fail = 0 ] || { echo "reliability: memcheck found errors in a unit test" >&2; exit 1; }
unset CVXRELU_TEST_WRAPPER OPENBLAS_CORETYPE CVXRELU_NO_BLAS_TUNE OPENBLAS_NUM_THREADS

echo "== fuzzing: ${1:-60} s per format"
scripts/fuzz.sh "${1:-60}"
