#!/bin/sh
# The installed library is usable through pkg-config alone: install into a
# temporary prefix, compile examples/quickstart.c against it, run it.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS (the build's, e.g. sanitizers)]
set -eu
T=$(mktemp -d /tmp/cvxrelu_inst.XXXXXX)
trap 'rm -rf "$T"' EXIT
cmake --install "$1" --prefix "$T/prefix" >/dev/null
pc=$(find "$T/prefix" -name cvxrelu.pc)
[ -n "$pc" ] || { echo "FAIL: cvxrelu.pc not installed"; exit 1; }
PKG_CONFIG_PATH=$(dirname "$pc"); export PKG_CONFIG_PATH
${CC:-cc} -std=c11 -Wall -Wextra -Werror ${3:-} "$2/examples/quickstart.c" \
  $(pkg-config --cflags --libs --static cvxrelu) -o "$T/quickstart"
"$T/quickstart"
echo "ok - installed header, library and pkg-config file build and run the example"
