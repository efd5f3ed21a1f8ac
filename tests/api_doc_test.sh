#!/bin/sh
# Every public function declared in the header is documented in docs/api.md:
# each `cvxrelu_NAME(` of include/cvxrelu.h must appear in the API reference as
# cvxrelu_NAME not followed by another name character.
# Usage: api_doc_test.sh HEADER API_DOC
set -eu
[ $# -eq 2 ] || { echo "usage: $0 HEADER API_DOC" >&2; exit 2; }
H=$1
DOC=$2
[ -r "$H" ] || { echo "FAIL: cannot read $H"; exit 1; }
[ -r "$DOC" ] || { echo "FAIL: cannot read $DOC"; exit 1; }
fns=$(grep -oE 'cvxrelu_[a-z0-9_]*\(' "$H" | tr -d '(' | sort -u)
[ -n "$fns" ] || { echo "FAIL: no functions found in $H"; exit 1; }
missing=""
count=0
for f in $fns; do
  count=$((count + 1))
  grep -qE "${f}([^a-z0-9_]|\$)" "$DOC" || missing="$missing $f"
done
if [ -n "$missing" ]; then
  echo "FAIL: functions of $H not in $DOC:$missing"
  exit 1
fi
echo "PASS: all $count functions of $H appear in $DOC"
