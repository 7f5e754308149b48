#!/usr/bin/env bash
# Walk-through of `simulate` on a fresh tenant database.
#   OPSKIT_BIN=build/bin examples/simulate/walkthrough.sh --db /tmp/demo.db
# Imports the shop graph, asks what +20% marketing and +10% price do (exact,
# with Monte Carlo bands and a revenue waterfall), compares the naive BFS,
# learns coefficients from generated history, forecasts orders, and plans
# initiatives under a budget.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${OPSKIT_BIN:-$here/../../build/bin}
db=""
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db=$2; shift 2 ;;
    *) echo "usage: $0 --db PATH" >&2; exit 2 ;;
  esac
done
[ -n "$db" ] || { echo "usage: $0 --db PATH" >&2; exit 2; }
export TZ=UTC LC_ALL=C
common=(--db "$db" --tenant demo --now 2026-11-20T12:00:00Z --seed 42 --quiet)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. A database and a tenant.
"$bin/opskit" --db "$db" --quiet db migrate
"$bin/opskit" --db "$db" --quiet tenant list --format csv | grep -q '^demo,' ||
  "$bin/opskit" --db "$db" --quiet tenant add demo --name "Demo Ltd"

# 2. The graph: validated (the repeat-customer loop is stable), then stored.
"$bin/simulate" graph validate "$here/graph.yaml"
"$bin/simulate" "${common[@]}" graph import "$here/graph.yaml" --replace

# 3. What-if: exact, day by day and at steady state, with uncertainty and a waterfall.
"$bin/simulate" "${common[@]}" run --set "marketing_spend=+20%" --set "price=+10%" \
  --horizon 90d --at 7,30 --samples 2000 --waterfall revenue
# The same intervention held fixed (do) and the naive BFS, for comparison.
"$bin/simulate" "${common[@]}" run --set "price=+10%" --mode "do" --horizon 30d --format csv
"$bin/simulate" "${common[@]}" run --set "price=+10%" --method bfs --horizon 30d --format csv

# 4. History, learning and forecasting.
"$here/make_history.sh" > "$work/history.csv"
"$bin/simulate" "${common[@]}" history import "$work/history.csv"
"$bin/simulate" "${common[@]}" forecast orders --horizon 14d --set "marketing_spend=+20%"
"$bin/simulate" "${common[@]}" graph learn --max-lag 7

# 5. The planner: the best initiatives for revenue under 60,000 EUR, with its frontier.
"$bin/simulate" "${common[@]}" graph import "$here/graph.yaml" --replace
"$bin/simulate" "${common[@]}" initiatives import "$here/initiatives.yaml"
"$bin/simulate" "${common[@]}" plan --budget 60000 --target revenue

# 6. The stored runs, for `report simulation`.
"$bin/simulate" "${common[@]}" runs list
