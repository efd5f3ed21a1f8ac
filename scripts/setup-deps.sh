#!/bin/sh
# Install the Debian packages cvxrelu needs, when missing (run as root on Debian 12).
set -e
need=""
for p in cmake make gcc pkg-config libopenblas-dev liblapack-dev zlib1g-dev libcmocka-dev libdsdp-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
# Optional: independent cross-checks in the tests and the Python package (skipped with
# a message when absent; CVXRELU_WITH_PYTHON=0 leaves them out).
if [ "${CVXRELU_WITH_PYTHON:-1}" = 1 ]; then
  for p in python3-numpy python3-cvxopt python3-dev python3-venv python3-pytest python3-sklearn; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
  done
fi
if [ -n "$need" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "cvxrelu: missing Debian packages:$need (run as root: apt-get install$need)" >&2
    exit 1
  fi
  echo "cvxrelu: installing$need" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
