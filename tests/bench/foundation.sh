#!/usr/bin/env bash
# Foundation figures: bulk insert into SQLite and PostgreSQL (COPY), CSV reading.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${OPSKIT_BIN:?}
tmp=$(mktemp -d)
chmod 755 "$tmp"  # the PostgreSQL cluster inside runs as the postgres user
trap 'bash "$here/../support/pg_cluster.sh" stop "$tmp/pg" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
rows=${BENCH_ROWS:-1000000}

"$bin/opskit" db migrate --db "$tmp/bench.db" >/dev/null
cmd="taskset -c 0 $bin/bench_foundation store $tmp/bench.db $rows insert"
echo "sqlite bulk insert into transactions (goal >= 300000 rows/s): $($cmd)   [$cmd]"
cmd="taskset -c 0 $bin/bench_foundation store $tmp/bench.db $rows upsert"
echo "sqlite bulk upsert of the same rows (no goal; what a rerun costs): $($cmd)   [$cmd]"

# The client runs on core 0 and the server on core 1, as a tool and its
# database server run on different machines; the bench also prints rows per
# CPU-second of client and server backend together (one core's worth).
server_core=1
[ "$(nproc)" -ge 2 ] || server_core=0
taskset -c "$server_core" bash "$here/../support/pg_cluster.sh" start "$tmp/pg"
if [ -f "$tmp/pg/env" ]; then
  psql -h "$tmp/pg" -U postgres -qc "CREATE DATABASE bench OWNER opskit_owner" >/dev/null
  owner="host=$tmp/pg dbname=bench user=opskit_owner password=owner-pw"
  "$bin/opskit" db migrate --db "$owner" >/dev/null
  "$bin/opskit" db grant opskit_app --db "$owner" >/dev/null
  app="host=$tmp/pg dbname=bench user=opskit_app password=app-pw"
  cmd="taskset -c 0 $bin/bench_foundation store '$app' $rows insert"
  echo "postgresql bulk insert into transactions via COPY (goal >= 150000 rows/s): $(eval "$cmd")   [$cmd]"
  cmd="taskset -c 0 $bin/bench_foundation store '$app' $rows upsert"
  echo "postgresql bulk upsert of the same rows (no goal; what a rerun costs): $(eval "$cmd")   [$cmd]"
else
  echo "postgresql bulk insert: skipped ($(cat "$tmp/pg/unavailable"))"
fi

# CSV: the real bank-marketing file repeated to ~200 MB, read from page cache.
src="$here/../../../shared/data/leads/bank-additional-full.csv"
if [ -f "$src" ]; then
  head -1 "$src" > "$tmp/big.csv"
  for _ in $(seq 1 35); do tail -n +2 "$src" >> "$tmp/big.csv"; done
  cat "$tmp/big.csv" > /dev/null
  cmd="taskset -c 0 $bin/bench_foundation csv $tmp/big.csv ';'"
  echo "csv reading (goal >= 200 MB/s): $(eval "$cmd")   [$cmd]"
else
  echo "csv reading: skipped (../shared/data/leads/bank-additional-full.csv not found)"
fi
