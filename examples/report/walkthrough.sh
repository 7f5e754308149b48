#!/usr/bin/env bash
# Walk-through of `report` on a fresh tenant database.
#   OPSKIT_BIN=build/bin examples/report/walkthrough.sh --db /tmp/demo.db [--out DIR]
# Creates the tenant "demo", renders every report kind (the empty ones say
# there is no data yet), then a tenant-styled summary from templates/ here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${OPSKIT_BIN:-$here/../../build/bin}
db=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 --db PATH [--out DIR]" >&2; exit 2 ;;
  esac
done
[ -n "$db" ] || { echo "usage: $0 --db PATH [--out DIR]" >&2; exit 2; }
out=${out:-$(mktemp -d)}
mkdir -p "$out"
export TZ=UTC LC_ALL=C
now=2026-11-20T12:00:00Z
common=(--db "$db" --tenant demo --now "$now" --quiet)

# 1. A database and a tenant (the admin tool creates tenants; no tool does it implicitly).
"$bin/opskit" --db "$db" --quiet db migrate
"$bin/opskit" --db "$db" --quiet tenant list --format csv | grep -q '^demo,' ||
  "$bin/opskit" --db "$db" --quiet tenant add demo --name "Demo Ltd"

# 2. Every kind that needs no argument, as HTML; each run lands in the job-run ledger.
for kind in $("$bin/report" kinds --format csv | awk -F, 'NR > 1 && $2 == "" {print $1}'); do
  "$bin/report" "${common[@]}" "$kind" --format html --out "$out/$kind.html"
done

# 3. The ledger, now holding the runs above, as text and as one CSV table.
"$bin/report" "${common[@]}" runs --format text
"$bin/report" "${common[@]}" runs --format csv --section by_tool

# 4. A tenant's own look: the templates in this folder override the built-in ones.
"$bin/report" "${common[@]}" summary --format md --templates "$here/templates" --out "$out/summary.md"
head -n 5 "$out/summary.md"

# 5. What was rendered, with the bytes' SHA-256.
"$bin/report" "${common[@]}" history --format csv
echo "reports written to $out"
