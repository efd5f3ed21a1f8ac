#!/bin/sh
# Build the libFuzzer harnesses with clang (ASan + UBSan) and run each for SECONDS
# (default 60) from its seed corpus in tests/fuzz/corpus/<format>.  New inputs go to a
# scratch folder, not into the repository; a crash leaves its reproducer in
# build-fuzz/crashes/ and makes this script fail.
# Usage: scripts/fuzz.sh [SECONDS]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
B=build-fuzz
cmake -S . -B $B -DCMAKE_C_COMPILER=clang -DCVXRELU_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fsanitize=fuzzer-no-link" >/dev/null
cmake --build $B -j2 --target fuzz_csv fuzz_libsvm fuzz_idx fuzz_model fuzz_gates fuzz_weights >/dev/null
mkdir -p $B/crashes
fail=0
for f in csv libsvm idx model gates weights; do
  rm -rf $B/scratch-$f && mkdir -p $B/scratch-$f
  if $B/tests/fuzz/fuzz_$f -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix=$B/crashes/$f- -print_final_stats=1 \
       $B/scratch-$f tests/fuzz/corpus/$f >$B/fuzz-$f.log 2>&1; then
    echo "fuzz $f: $(grep -o 'stat::number_of_executed_units: *[0-9]*' $B/fuzz-$f.log | grep -o '[0-9]*$') executions in ${secs} s, no crash"
  else
    echo "fuzz $f: FAILED"; tail -20 $B/fuzz-$f.log; fail=1
  fi
done
exit $fail
