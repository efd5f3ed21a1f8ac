#!/bin/sh
# Every long phase of train stops soon after SIGINT / SIGTERM or its time limit:
# the process ends within 2 s of the signal, exits 130, and leaves a valid model
# where the phase has one; a run stopped before its first iteration writes no
# model.  Also the regressions of the ReLU program's finish (it read past the
# gates array: a crash at large P c) and of thread control.
# Usage: phases_test.sh CVXRELU_BINARY DATA_DIR
set -u
BIN=$1
DATA=$2
T=$(mktemp -d /tmp/cvxrelu_phases.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
# bounds on elapsed times scale by CVXRELU_TEST_TIME_SCALE (sanitizer builds run
# several times slower: scripts/reliability.sh sets 4)
S=${CVXRELU_TEST_TIME_SCALE:-1}
pass() { echo "ok   - $1"; }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }
now() { date +%s.%N; }
# seconds between two now() readings, as an integer number of milliseconds
ms() { echo "$1 $2" | awk '{ printf "%d", ($2 - $1) * 1000 }'; }

zcat "$DATA/digits.csv.gz" >"$T/digits.csv"
# 1200 rows of 300 Gaussian-ish features and a +-1 label: the exact program's
# start (a cone projection per group, each up to d active rows) takes long here
awk 'BEGIN { srand(7); for (i = 0; i < 1200; i++) { s = 0; line = "";
  for (j = 0; j < 300; j++) { v = rand() + rand() + rand() - 1.5; s += (j % 7 - 3) * v;
    line = line sprintf("%.5f,", v) } print line (s > 0 ? "a" : "b") } }' >"$T/wide.csv"

# stop_phase NAME SIGNAL WAIT_FOR MODEL_EXPECTED -- ARGS: start train, wait until
# stderr shows WAIT_FOR (the phase has begun), send SIGNAL, then check the exit
# code 130, that the process ended within 2 s, and that a model was written and
# reads back (MODEL_EXPECTED 1) or that none was (0).
stop_phase() {
  name=$1; sig=$2; waitfor=$3; want_model=$4; shift 5
  rm -f "$T/m.model"
  # a fixed lambda unless the case names one (cross-validation has its own case)
  case " $* " in *" --lambda "*|*" --beta "*) lam= ;; *) lam="--lambda 1e-3" ;; esac
  # shellcheck disable=SC2086
  "$BIN" train "$@" $lam -o "$T/m.model" 2>"$T/err" >/dev/null &
  pid=$!
  k=0
  while ! grep -qF -- "$waitfor" "$T/err" 2>/dev/null && [ $k -lt 600 ]; do
    sleep 0.1; k=$((k + 1))
  done
  sleep "${DELAY:-0.5}"
  t0=$(now)
  kill -"$sig" $pid 2>/dev/null
  wait $pid
  rc=$?
  t1=$(now)
  el=$(ms "$t0" "$t1")
  ok=1
  [ $k -lt 600 ] || { ok=0; echo "  never saw \"$waitfor\""; }
  [ $rc = 130 ] || { ok=0; echo "  exit $rc, expected 130"; }
  [ "$el" -le $((2000 * S)) ] || { ok=0; echo "  ended $el ms after the signal"; }
  if [ "$want_model" = 1 ]; then
    "$BIN" info "$T/m.model" >/dev/null 2>&1 || { ok=0; echo "  no valid model written"; }
  else
    [ -e "$T/m.model" ] && { ok=0; echo "  a model was written"; }
  fi
  ls "$T" | grep -q '\.tmp' && { ok=0; echo "  a temporary file was left"; }
  [ $ok = 1 ] && pass "$name ($sig after \"$waitfor\": exit $rc in $el ms)" \
    || { fail "$name"; sed 's/^/  | /' "$T/err" | tail -15; }
}

stop_phase "min-norm decomposition" TERM "decomposition: the min-norm split" 1 -- \
  "$T/digits.csv" --patterns 150 --decompose min-norm
stop_phase "local Adam steps (rows shown as they come)" TERM "changed_neurons" 1 -- \
  "$T/digits.csv" --optimizer adam --width 400 --steps 100000
stop_phase "stationarity re-solve after --optimizer" TERM "local adam:" 1 -- \
  "$T/digits.csv" --optimizer adam --width 400 --steps 300 --eps 1e-12 --max-iter 1000000
stop_phase "relu3 program after --optimizer" INT "program:" 1 -- \
  "$T/digits.csv" --model relu3 --optimizer adam --steps 300
stop_phase "exact program's start at d=300 (projected)" TERM "lambda" 0 -- \
  "$T/wide.csv" --model relu --relu-solver projected --patterns 300
stop_phase "exact program by ADMM, d=300" TERM "  iter      objective" 1 -- \
  "$T/wide.csv" --model relu --relu-solver admm --patterns 300 --eps 1e-12 --max-iter 1000000
stop_phase "SDP read-out" INT "sdp admm:" 1 -- \
  "$DATA/iris.csv" --model sdp --max-iter 300 --width 1000
stop_phase "SDP read-out" TERM "sdp admm:" 1 -- \
  "$DATA/iris.csv" --model sdp --max-iter 300 --width 1000
stop_phase "relu3 sampling of configurations" TERM "width1" 0 -- \
  "$T/wide.csv" --model relu3 --subnets 400000 --max-memory 100000
# cross-validation over the path (--lambda auto, the default) stops between and inside
# its solves; stopped, nothing has been fitted on all rows, so no model is written
stop_phase "cross-validation (--lambda auto)" TERM "cross-validation: lambda 3 of" 0 -- \
  "$T/digits.csv" --patterns 150 --lambda auto
# gated sampling of many patterns stops between its blocks of gates
stop_phase "sampling of patterns" INT "memory:" 0 -- \
  "$T/wide.csv" --patterns 4000000 --max-memory 100000 -v
# the iterations of the gated and the exact ReLU programs and of the relu3
# program without --optimizer (after the table's header)
stop_phase "gated R-FISTA iterations" TERM "  iter      objective" 1 -- \
  "$T/digits.csv" --patterns 300 --eps 1e-14 --max-iter 1000000
stop_phase "exact ReLU program's iterations" INT "  iter      objective" 1 -- \
  "$DATA/wine.csv" --model relu --patterns 200 --eps 1e-14 --max-iter 1000000
stop_phase "relu3 program's iterations" TERM "  iter      objective" 1 -- \
  "$T/digits.csv" --model relu3 --subnets 200
# the ADMM iterations themselves (the table rows print every 100 iterations; wine
# runs about 25 s to its tolerance): the read-out of the last iterate is written
stop_phase "SDP ADMM iterations" TERM "     100 " 1 -- \
  "$DATA/wine.csv" --model sdp --max-iter 1000000
stop_phase "SDP ADMM iterations" INT "     100 " 1 -- \
  "$DATA/wine.csv" --model sdp --max-iter 1000000
# train's certificate of the ReLU network (after "certificate: the sampled convex
# program's optimum"): 740 rows of digits keep each sign class of every output's
# residual within the SDP bound's 400 rows, so the 10 outputs' SDP bounds take
# about a second (the signal goes 0.1 s after the line); the network is written, the
# certificate skipped or partial.  Squared loss: under ce every row of the other classes
# joins one sign class of an output's dual direction (-softmax), past the 400 rows, and
# only the small class gets an SDP bound (quick)
head -n 741 "$T/digits.csv" >"$T/dig740.csv"
DELAY=0.1
stop_phase "train's certificate (SDP bounds)" TERM "certificate: the sampled convex" 1 -- \
  "$T/dig740.csv" --patterns 100 --decompose closed --loss squared
stop_phase "train's certificate (SDP bounds)" INT "certificate: the sampled convex" 1 -- \
  "$T/dig740.csv" --patterns 100 --decompose closed --loss squared
DELAY=0.5
# DSDP cannot stop inside its setup or an iteration: a watchdog ends the process
# 1.5 s after the signal, with nothing written (there is no network yet)
stop_phase "DSDP's setup" TERM "canonical scale" 0 -- \
  "$DATA/iris.csv" --model sdp --sdp-solver dsdp --beta 0.1
stop_phase "DSDP's setup" INT "canonical scale" 0 -- \
  "$DATA/iris.csv" --model sdp --sdp-solver dsdp --beta 0.1

# stop_certify SIGNAL ARGS: certify ARGS with --json $T/c.json, SIGNAL 0.5 s after the
# bounds begin; sets rc (the exit code) and el (ms from the signal to the exit)
stop_certify() {
  sig=$1; shift
  rm -f "$T/c.json"
  "$BIN" certify "$@" --json "$T/c.json" >/dev/null 2>"$T/err" &
  pid=$!
  k=0
  while ! grep -qF "certify: bounds" "$T/err" && [ $k -lt 600 ]; do sleep 0.1; k=$((k + 1)); done
  sleep 0.5
  t0=$(now); kill -"$sig" $pid; wait $pid; rc=$?; el=$(ms "$t0" "$(now)")
}

# certify: a signal skips the bounds not yet computed; the report and JSON of the
# bounds already computed are written (valid, looser), exit 130
"$BIN" train -q "$T/digits.csv" --patterns 100 --lambda 1e-3 --decompose closed --no-certify -o "$T/dig.model"
for sig in TERM INT; do
  stop_certify "$sig" "$T/dig.model" "$T/digits.csv" --samples 20000 --subsets-max-rows 26 \
    --sdp-max-rows 2000
  [ $rc = 130 ] && [ "$el" -le $((2000 * S)) ] && grep -q '"exit": "interrupted"' "$T/c.json" \
    && grep -q '"lower_bound":' "$T/c.json" \
    && pass "certify ($sig during the bounds: exit 130 in $el ms, the bounds computed written)" \
    || { fail "certify $sig (exit $rc, $el ms)"; cat "$T/err"; }
done

# the exact bound's arc sweep (rank X <= 2: one feature + bias) on 150,000 rows runs
# ~7 s: it checks the stop request every 4096 arcs
awk 'BEGIN { srand(3); print "x,y"; for (i = 0; i < 150000; i++) { x = rand() * 6 - 3;
  printf "%.6f,%.6f\n", x, sin(2 * x) + 0.1 * (rand() - 0.5) } }' >"$T/oned.csv"
head -n 2001 "$T/oned.csv" >"$T/oned2k.csv"
"$BIN" train -q "$T/oned2k.csv" --patterns 50 --lambda 1e-3 --decompose closed --no-certify -o "$T/oned.model"
for sig in TERM INT; do
  stop_certify "$sig" "$T/oned.model" "$T/oned.csv" --bounds exact
  [ $rc = 130 ] && [ "$el" -le $((2000 * S)) ] && grep -q '"exit": "interrupted"' "$T/c.json" \
    && pass "certify's exact bound ($sig during the arc sweep: exit 130 in $el ms)" \
    || { fail "certify's exact bound $sig (exit $rc, $el ms)"; cat "$T/err"; }
done

# SDP ADMM on digits (PSD block 1872, lifted 3669): the setup (~8 s) and each
# iteration (~5 s) are dense factorizations and eigendecompositions that cannot stop
# inside; past a 600 x 600 block a watchdog ends the process 1.5 s after a stop
# request that was not acted on, with nothing written (the network would come from
# the read-out at the end)
stop_phase "SDP ADMM setup / first iteration on digits" TERM "rel_gap" 0 -- \
  "$T/digits.csv" --model sdp --max-iter 1000000
grep -q "interrupted inside the SDP relaxation" "$T/err" \
  && pass "the SDP watchdog says why nothing was written" \
  || fail "the SDP watchdog's message (stderr: $(tail -1 "$T/err"))"

# a second signal ends the process at once, whatever it is doing
"$BIN" train "$T/digits.csv" --patterns 150 --lambda 1e-3 --decompose min-norm -o "$T/m2.model" 2>"$T/err" &
pid=$!
k=0
while ! grep -qF "decomposition: the min-norm split" "$T/err" && [ $k -lt 600 ]; do sleep 0.1; k=$((k + 1)); done
kill -INT $pid; kill -INT $pid
t0=$(now); wait $pid; rc=$?; t1=$(now)
[ $rc = 130 ] && [ "$(ms "$t0" "$t1")" -le $((2000 * S)) ] && pass "a second SIGINT ends at once (exit $rc)" \
  || fail "second SIGINT (exit $rc, $(ms "$t0" "$t1") ms)"

# --time-limit counts for the whole run, the stationarity and relu3 phases included
t0=$(now)
# (a stop skips the relu3 program's multiplier update and repair; its bound is kept)
"$BIN" train -q "$T/digits.csv" --model relu3 --optimizer adam --steps 300 --time-limit 3 \
  -o "$T/tl.model" --json "$T/tl.json"
rc=$?
el=$(ms "$t0" "$(now)")
[ $rc = 0 ] && [ "$el" -le $((5000 * S)) ] && grep -q '"exit": "time_limit"' "$T/tl.json" \
  && pass "relu3 --optimizer --time-limit 3 ends in $el ms, exit time_limit" \
  || fail "relu3 --optimizer --time-limit 3 (exit $rc, $el ms)"

# the SDP read-out under the time limit: the solve and the read-out share it
t0=$(now)
"$BIN" train -q "$DATA/iris.csv" --model sdp --width 1000 --time-limit 2 -o "$T/sdptl.model" \
  --json "$T/sdptl.json"
rc=$?
el=$(ms "$t0" "$(now)")
[ $rc = 0 ] && [ "$el" -le $((3000 * S)) ] && grep -q '"readout_exit": "time_limit"' "$T/sdptl.json" \
  && "$BIN" info "$T/sdptl.model" >/dev/null \
  && pass "sdp --width 1000 --time-limit 2 ends in $el ms, read-out stopped, model written" \
  || fail "sdp --width 1000 --time-limit 2 (exit $rc, $el ms)"

# relu3 sampling: bounded by the time limit, and by memory as it goes (the
# program grows with the configurations found; it was 500 s on 60,000 rows)
t0=$(now)
"$BIN" train "$T/wide.csv" --model relu3 --subnets 400000 --max-memory 100000 --time-limit 2 \
  -o "$T/r3tl.model" 2>"$T/err"
rc=$?
el=$(ms "$t0" "$(now)")
[ $rc = 3 ] && [ "$el" -le $((3000 * S)) ] && [ ! -e "$T/r3tl.model" ] \
  && grep -q "time limit reached while sampling the configurations" "$T/err" \
  && pass "relu3 sampling under --time-limit 2 ends in $el ms, exit 3, nothing written" \
  || { fail "relu3 sampling under --time-limit 2 (exit $rc, $el ms)"; cat "$T/err"; }
t0=$(now)
"$BIN" train -q "$T/wide.csv" --model relu3 --subnets 400000 --max-memory 0.5 \
  -o "$T/r3mem.model" 2>"$T/err"
rc=$?
el=$(ms "$t0" "$(now)")
[ $rc = 3 ] && [ "$el" -le $((3000 * S)) ] && [ ! -e "$T/r3mem.model" ] \
  && grep -q "refused before solving" "$T/err" \
  && pass "relu3 sampling past --max-memory is refused in $el ms" \
  || { fail "relu3 sampling past --max-memory (exit $rc, $el ms)"; cat "$T/err"; }

# stopped before the first iteration: no model, the old file kept, the outcome said
printf 'keep me\n' >"$T/old.model"
"$BIN" train "$T/wide.csv" --model relu --patterns 50 --time-limit 1e-6 -o "$T/old.model" \
  --json "$T/tl0.json" 2>"$T/err"
rc=$?
[ $rc = 3 ] && [ "$(cat "$T/old.model")" = "keep me" ] && grep -q "before the first iteration" "$T/err" \
  && grep -q '"model_written": 0' "$T/tl0.json" && grep -q '"exit": "time_limit"' "$T/tl0.json" \
  && pass "time limit before the first iteration: exit 3, no model, the old file kept" \
  || { fail "time limit before the first iteration (exit $rc)"; cat "$T/err"; }

# the ReLU program's finish with many groups (P c = 3000) no longer reads past the
# gates; lambda_max is reported and the group count is 2 P c
"$BIN" train "$DATA/wine.csv" --model relu --patterns 1000 --max-iter 3 -o "$T/w.model" \
  --json "$T/w.json" 2>"$T/err"
rc=$?
[ $rc = 0 ] && "$BIN" info "$T/w.model" >/dev/null && grep -q "of 6000 groups" "$T/err" \
  && grep -q '"lambda_max": [0-9]' "$T/w.json" \
  && pass "relu, P c = 3000: model written, lambda_max reported, 2 P c groups" \
  || { fail "relu with P c = 3000 (exit $rc)"; tail -5 "$T/err"; }

# thread control: the environment is respected, --threads is accepted by every
# command, and the banner and the JSON agree
OPENBLAS_NUM_THREADS=1 "$BIN" train "$DATA/breast_cancer.csv" --patterns 300 --max-iter 50 \
  --json "$T/t1.json" -o "$T/t1.model" 2>"$T/err"
grep -q "; 1 threads" "$T/err" && grep -q '"threads": 1' "$T/t1.json" \
  && pass "OPENBLAS_NUM_THREADS=1 is respected (banner and JSON)" || fail "OPENBLAS_NUM_THREADS=1"
"$BIN" train "$DATA/breast_cancer.csv" --patterns 300 --max-iter 50 --threads 2 --decompose \
  --json "$T/t2.json" -o "$T/t2.model" 2>"$T/err"
grep -q "; 2 threads" "$T/err" && grep -q '"threads": 2' "$T/t2.json" \
  && pass "--threads 2 (banner and JSON)" || fail "--threads 2"
ok=1
for c in "predict $T/t2.model $DATA/breast_cancer.csv -o $T/t2.pred" \
  "eval $T/t2.model $DATA/breast_cancer.csv" "info $T/t2.model" \
  "certify $T/t2.model $DATA/breast_cancer.csv"; do
  # shellcheck disable=SC2086
  "$BIN" $c --threads 1 >/dev/null 2>&1 || { ok=0; echo "  $c --threads 1 failed"; }
done
[ $ok = 1 ] && pass "--threads for predict, eval, info, certify" || fail "--threads on other commands"
"$BIN" train "$DATA/iris.csv" --threads 0 >/dev/null 2>"$T/err"
[ $? = 1 ] && grep -q "threads" "$T/err" && pass "--threads 0 is a usage error" || fail "--threads 0"

echo "$fails failure(s)"
[ $fails = 0 ]
