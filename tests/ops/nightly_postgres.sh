#!/usr/bin/env bash
# The nightly pipeline runs for real against the throw-away PostgreSQL server,
# as the app role (migrations as the owner).
set -euo pipefail
src=$1
export OPSKIT_BIN=${OPSKIT_BIN:?}
pgdir=${OPSKIT_PG_DIR:?}
if [ -f "$pgdir/unavailable" ] || [ ! -f "$pgdir/env" ]; then echo "SKIP: PostgreSQL not available"; exit 0; fi
sock=$(sed -n 's/^OPSKIT_PG_SOCKET=//p' "$pgdir/env")
name=nightly_$$
psql -h "$sock" -U postgres -qc "CREATE DATABASE $name OWNER opskit_owner" >/dev/null
owner="host=$sock dbname=$name user=opskit_owner password=owner-pw"
"$OPSKIT_BIN/opskit" db migrate --db "$owner" --quiet
"$OPSKIT_BIN/opskit" db grant opskit_app --db "$owner" --quiet
export OPSKIT_DB="host=$sock dbname=$name user=opskit_app password=app-pw"
"$OPSKIT_BIN/opskit" tenant add demo --quiet
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# shellcheck source=../../jobs/demo.env
. "$src/jobs/demo.env"
export OPSKIT_NIGHTLY_REPORT_DIR="$tmp" OPSKIT_NOW=2026-11-22T02:15:00Z OPSKIT_NIGHTLY_LOCK="$tmp/lock"
bash "$src/jobs/nightly.sh" demo 2>"$tmp/log" || { cat "$tmp/log"; exit 1; }
test -s "$tmp/summary.html" || { echo "no summary report"; cat "$tmp/log"; exit 1; }
cat "$tmp/log"
