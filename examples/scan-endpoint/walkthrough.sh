#!/usr/bin/env bash
# Walk-through of `scan-endpoint` without touching the network.
#   OPSKIT_BIN=build/bin examples/scan-endpoint/walkthrough.sh --db /tmp/demo.db
# Grades a recorded staging response offline (as a CI job would), audits
# this machine, learns a device baseline from telemetry and scores a new
# day against it, then lists the incidents and stored issues.
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
common=(--db "$db" --tenant demo --now 2026-11-20T12:00:00Z --quiet)

# 1. Offline grade of a recorded response (curl -sD - https://staging.example.com/).
#    The gate: fail the CI job below grade B or on any high finding.
"$bin/scan-endpoint" grade "$here/staging-response.txt" --url http://staging.example.com/ --min-grade B --fail-on high
"$bin/scan-endpoint" grade "$here/staging-response.txt" --url http://staging.example.com/ --format sarif > /dev/null

# 2. A database and a tenant (the admin tool creates tenants).
"$bin/opskit" --db "$db" --quiet db migrate
"$bin/opskit" --db "$db" --quiet tenant list --format csv | grep -q '^demo,' ||
  "$bin/opskit" --db "$db" --quiet tenant add demo --name "Demo Ltd"

# 3. Network scans refuse hosts outside the tenant's allow-list.
"$bin/scan-endpoint" allow add '*.example.com' "${common[@]}"
"$bin/scan-endpoint" allow list "${common[@]}"

# 4. This machine's posture (reads /proc and /etc), stored as endpoint host:<name>.
"$bin/scan-endpoint" host "${common[@]}" --format csv > /dev/null

# 5. Telemetry: learn a baseline, then score today's events; a burst above 85 opens one incident.
"$bin/scan-endpoint" telemetry "$here/events.jsonl" --learn "${common[@]}"
"$bin/scan-endpoint" telemetry "$here/events-today.jsonl" "${common[@]}"
"$bin/scan-endpoint" incidents list "${common[@]}"
"$bin/scan-endpoint" issues list --status all "${common[@]}" --format csv | sed -n 1,5p  # sed reads to the end: head would close the pipe early (SIGPIPE under pipefail)
