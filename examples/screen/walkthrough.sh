#!/usr/bin/env bash
# Walk-through of `screen` on project-written lists in the official formats.
#   OPSKIT_BIN=build/bin examples/screen/walkthrough.sh --db /tmp/demo.db
# Loads the sample lists (OFAC legacy CSV, UN XML, UK CSV), screens single
# names, screens transactions.csv (one broken row is reported and skipped),
# records a review decision, and rescreens.
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
common=(--db "$db" --tenant demo --now 2026-01-05T12:00:00Z --quiet)

# 1. A database and a tenant.
"$bin/opskit" --db "$db" --quiet db migrate
"$bin/opskit" --db "$db" --quiet tenant list --format csv | grep -q '^demo,' ||
  "$bin/opskit" --db "$db" --quiet tenant add demo --name "Demo Ltd"

# 2. Load the lists from files (without --from, `screen lists update` downloads the official ones).
"$bin/screen" "${common[@]}" lists update --from "$here/lists"
"$bin/screen" "${common[@]}" lists show

# 3. One name: ranked matches with the reason for each part.
"$bin/screen" "${common[@]}" name "Dmitriy Volkov" --dob 1971
"$bin/screen" "${common[@]}" name "Jane Fernandes"
"$bin/screen" "${common[@]}" name "ship" --id "IMO 9000003" --format json | sed -n 1p

# 4. A transaction file: FLAGGED/BLOCKED rows on stdout; --fail-on blocked exits 1.
status=0
"$bin/screen" "${common[@]}" batch "$here/transactions.csv" --fail-on blocked || status=$?
[ "$status" -eq 1 ] || { echo "expected blocked rows (exit 1), got $status" >&2; exit 1; }

# 5. The human review: list the open matches and clear the first as a false positive.
"$bin/screen" "${common[@]}" review list
first=$("$bin/screen" "${common[@]}" review list --format csv | awk -F, 'NR == 2 { print $1 }')
"$bin/screen" "${common[@]}" review decide "$first" --clear --note "different person: checked the date of birth" --by analyst

# 6. Rescreen everything stored against the active lists; the audit chain stays intact.
"$bin/screen" "${common[@]}" rescreen
"$bin/opskit" --db "$db" --tenant demo --quiet audit verify
