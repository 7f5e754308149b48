#!/usr/bin/env bash
# Every example walk-through runs to the end on a fresh database.
set -euo pipefail
src=$1
export OPSKIT_BIN=${OPSKIT_BIN:?}
status=0
for w in "$src"/examples/*/walkthrough.sh; do
  name=$(basename "$(dirname "$w")")
  tool=$name; [ "$name" = report ] && tool=report
  [ -x "$OPSKIT_BIN/$tool" ] || { echo "SKIP $name: $tool not built"; continue; }
  tmp=$(mktemp -d)
  if (cd "$tmp" && bash "$w" --db "$tmp/example.db" >"$tmp/out" 2>"$tmp/err"); then
    echo "example $name: ok ($(wc -l <"$tmp/out") lines of output)"
  else
    echo "example $name FAILED:"; tail -n 20 "$tmp/out" "$tmp/err"; status=1
  fi
  rm -rf "$tmp"
done
exit $status
