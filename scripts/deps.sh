#!/bin/bash
# Which of the library's files calls which, from the symbols of its object files, and
# whether two files depend on each other (directly or through others): one line per file
# ("file -> the files it calls"), then PASS or FAIL naming each cycle.
# Usage: scripts/deps.sh BUILD_DIR   (after a build; exit 1 on a cycle)
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
objdir=$1/CMakeFiles/cvxrelu.dir/src
[ -d "$objdir" ] || { echo "FAIL: no object files under $objdir (build first)"; exit 1; }
T=$(mktemp -d /tmp/cvxrelu_deps.XXXXXX)
trap 'rm -rf "$T"' EXIT
find "$objdir" -name '*.o' | sort | while read -r o; do
  f=${o#"$objdir"/}
  f=${f%.o}
  nm --defined-only "$o" | awk -v f="$f" '$2 ~ /^[TDBR]$/ {print $3, f}' >>"$T/def"
  nm -u "$o" | awk -v f="$f" '{print f, $2}' >>"$T/use"
done
/usr/bin/python3 - "$T/def" "$T/use" <<'PY'
import collections, sys
where = dict(line.split() for line in open(sys.argv[1]))
calls = collections.defaultdict(set)
for line in open(sys.argv[2]):
    f, sym = line.split()
    g = where.get(sym)
    if g and g != f:
        calls[f].add(g)
files = sorted(set(where.values()))
for f in files:
    print(f"{f} -> {' '.join(sorted(calls[f])) or '-'}")
# strongly connected components (Tarjan): a component of two or more files is a cycle
index, low, stack, on, cycles, n = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
    for w in calls[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: cycles.append(sorted(comp))
for f in files:
    if f not in index: visit(f)
if cycles:
    print("FAIL: files that depend on each other: " + "; ".join(", ".join(c) for c in cycles))
    sys.exit(1)
print(f"PASS: no dependency cycle between the library's {len(files)} files")
PY
