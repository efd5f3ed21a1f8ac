#!/bin/sh
# docs/cli.md and the CLI's help texts name the same long options:
#   1. every --option printed by `cvxrelu --help` or `cvxrelu COMMAND --help`
#      is named in docs/cli.md;
#   2. every --option named in docs/cli.md is printed by some help text (so it
#      is one the program accepts, not a stale or invented name).
# One PASS/FAIL line per direction; the missing options are listed on failure.
# Usage: cli_doc_test.sh CVXRELU_BINARY DOCS_DIR
set -eu
[ $# -eq 2 ] || { echo "usage: $0 CVXRELU_BINARY DOCS_DIR" >&2; exit 2; }
BIN=$1
DOC=$2/cli.md
[ -r "$DOC" ] || { echo "FAIL: cannot read $DOC"; exit 1; }
T=$(mktemp -d /tmp/cvxrelu_clidoc.XXXXXX)
trap 'rm -rf "$T"' EXIT

# Long options in a text: "--" at the start or after a character that cannot be
# part of a word or another dash (so Markdown anchors like #x---model-sdp do not count).
opts() {
  grep -oE '(^|[^-A-Za-z0-9_])--[a-z][a-z0-9-]*[a-z0-9]' "$1" | sed 's/^[^-]*--/--/' | sort -u
}

: >"$T/help.txt"
"$BIN" --help >>"$T/help.txt" || { echo "FAIL: cvxrelu --help exited $?"; exit 1; }
for cmd in train path predict eval certify info demo; do
  "$BIN" "$cmd" --help >>"$T/help.txt" || { echo "FAIL: cvxrelu $cmd --help exited $?"; exit 1; }
done
opts "$T/help.txt" >"$T/help.opts"
opts "$DOC" >"$T/doc.opts"
[ -s "$T/help.opts" ] || { echo "FAIL: no options found in the help texts"; exit 1; }

rc=0
undocumented=$(comm -23 "$T/help.opts" "$T/doc.opts" | tr '\n' ' ')
if [ -n "$undocumented" ]; then
  echo "FAIL: options in the help texts but not in $DOC: $undocumented"
  rc=1
else
  echo "PASS: all $(wc -l <"$T/help.opts") options of the help texts are in $DOC"
fi
unknown=$(comm -13 "$T/help.opts" "$T/doc.opts" | tr '\n' ' ')
if [ -n "$unknown" ]; then
  echo "FAIL: options in $DOC that no help text names: $unknown"
  rc=1
else
  echo "PASS: all $(wc -l <"$T/doc.opts") options named in $DOC are in the help texts"
fi
exit $rc
