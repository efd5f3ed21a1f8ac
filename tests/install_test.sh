#!/bin/sh
# The library is usable through pkg-config alone, in two ways:
#   1. in the build tree, before installing: BUILD_DIR/cvxrelu-uninstalled.pc
#      (header from the source tree, library from BUILD_DIR);
#   2. installed: `cmake --install` into a temporary prefix and its cvxrelu.pc.
# Each compiles examples/quickstart.c and runs it.  Works for static and shared
# (-DBUILD_SHARED_LIBS=ON) builds: LD_LIBRARY_PATH points at the library.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS (the build's, e.g. sanitizers)]
set -eu
B=$(cd "$1" && pwd)
S=$(cd "$2" && pwd)
T=$(mktemp -d /tmp/cvxrelu_inst.XXXXXX)
trap 'rm -rf "$T"' EXIT

# 1. the build tree
[ -f "$B/cvxrelu-uninstalled.pc" ] || { echo "FAIL: $B/cvxrelu-uninstalled.pc missing"; exit 1; }
flags=$(PKG_CONFIG_PATH="$B" pkg-config --cflags --libs --static cvxrelu) \
  || { echo "FAIL: pkg-config cannot read $B/cvxrelu-uninstalled.pc"; exit 1; }
case "$flags" in
  *"-I$S/include"*) ;;
  *) echo "FAIL: uninstalled flags do not point at the source include/: $flags"; exit 1 ;;
esac
${CC:-cc} -std=c11 -Wall -Wextra -Werror ${3:-} "$S/examples/quickstart.c" $flags -o "$T/quickstart_b"
LD_LIBRARY_PATH="$B${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$T/quickstart_b"
echo "ok - the build tree's cvxrelu-uninstalled.pc builds and runs the example"

# 2. installed
cmake --install "$B" --prefix "$T/prefix" >/dev/null
pc=$(find "$T/prefix" -name cvxrelu.pc)
[ -n "$pc" ] || { echo "FAIL: cvxrelu.pc not installed"; exit 1; }
PKG_CONFIG_PATH=$(dirname "$pc"); export PKG_CONFIG_PATH
libdir=$(pkg-config --variable=libdir cvxrelu)
${CC:-cc} -std=c11 -Wall -Wextra -Werror ${3:-} "$S/examples/quickstart.c" \
  $(pkg-config --cflags --libs --static cvxrelu) -o "$T/quickstart"
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$T/quickstart"
echo "ok - installed header, library and pkg-config file build and run the example"
