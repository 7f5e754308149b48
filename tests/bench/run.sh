#!/usr/bin/env bash
# make bench: runs every tests/bench/*.sh (one per module) and prints each
# figure with the command that produced it. Not part of the tests.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export OPSKIT_BIN=${OPSKIT_BIN:-$here/../../build/bin}
status=0
for b in "$here"/*.sh; do
  [ "$(basename "$b")" = run.sh ] && continue
  echo "== $(basename "$b" .sh)"
  bash "$b" || { echo "bench $(basename "$b") failed"; status=1; }
done
exit $status
