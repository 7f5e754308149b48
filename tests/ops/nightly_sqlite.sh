#!/usr/bin/env bash
# The nightly pipeline runs for real on SQLite (the demo set-up), twice: the
# second run must be idempotent and leave the same row counts in every table
# except those that record each run as an event (runs, simulations, model
# versions, drift measurements, reports).
set -euo pipefail
src=$1
export OPSKIT_BIN=${OPSKIT_BIN:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OPSKIT_DEMO_DIR="$tmp/demo" OPSKIT_NOW=2026-11-22T02:15:00Z
cd "$tmp"
bash "$src/jobs/nightly.sh" --demo 2>"$tmp/log1" || { cat "$tmp/log1"; exit 1; }
test -s "$tmp/demo/summary.html" || { echo "no summary report"; cat "$tmp/log1"; exit 1; }
counts() { sqlite3 "$tmp/demo/opskit.db" "SELECT name FROM sqlite_master WHERE type='table' AND name NOT IN ('job_runs','audit_log','job_locks','report_runs','causal_simulations','lead_models','lead_drift','security_issue_history') ORDER BY name" |
  while read -r t; do echo "$t $(sqlite3 "$tmp/demo/opskit.db" "SELECT count(*) FROM $t")"; done; }
counts > "$tmp/c1"
bash "$src/jobs/nightly.sh" --demo 2>"$tmp/log2" || { cat "$tmp/log2"; exit 1; }
counts > "$tmp/c2"
diff "$tmp/c1" "$tmp/c2" || { echo "a second nightly run changed row counts"; exit 1; }
grep -c 'status=ok\|status=findings' "$tmp/log1" | xargs echo "steps run:"
cat "$tmp/log1"
