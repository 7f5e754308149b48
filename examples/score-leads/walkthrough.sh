#!/usr/bin/env bash
# score-leads walk-through on made-up HubSpot-style leads (see generate.py).
# Usage: OPSKIT_BIN=build/bin examples/score-leads/walkthrough.sh [--db PATH]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${OPSKIT_BIN:-$here/../../build/bin}
if [ "${1:-}" = "--db" ] && [ -n "${2:-}" ]; then db=$2; else db=$(mktemp -d)/leads.db; fi
export TZ=UTC LC_ALL=C OPSKIT_NOW=2026-11-22T06:00:00Z
common=(--db "$db" --tenant demo)

"$bin/opskit" db migrate --db "$db" >/dev/null
"$bin/opskit" tenant add demo --name "Demo GmbH" --db "$db" >/dev/null 2>&1 || true

echo "== import the past leads (outcome known) into the leads table"
"$bin/score-leads" import "$here/history.csv" --spec "$here/spec.yaml" "${common[@]}"

echo "== cross-validation and chronological holdout for both model kinds"
"$bin/score-leads" evaluate "$here/history.csv" --spec "$here/spec.yaml" --bins 5

echo "== train on the stored leads, choose by holdout AUC, promote"
"$bin/score-leads" train --spec "$here/spec.yaml" --promote "${common[@]}"
"$bin/score-leads" models list "${common[@]}"

echo "== score new leads with the three main reasons (written back to leads)"
scores=$(mktemp)
"$bin/score-leads" score "$here/new_leads.csv" "${common[@]}" --format csv >"$scores"
head -6 "$scores"
rm -f "$scores"

echo "== score the stored leads that are new or changed (the imported history)"
"$bin/score-leads" score "${common[@]}" --format csv --quiet | wc -l

echo "== a second run finds nothing left to score (idempotent)"
"$bin/score-leads" score "${common[@]}" --format csv --quiet | wc -l

echo "== RFM segments of customers from their orders"
"$bin/score-leads" segment "$here/orders.csv" -k 4 "${common[@]}"
