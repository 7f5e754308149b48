#!/usr/bin/env bash
# Scale-out throughput: 1, 2 and 4 concurrent `--shard K/N` workers of
# `screen batch` and `score-leads score` on one generated batch against one
# PostgreSQL server (a throw-away cluster on a Unix socket, as in the tests),
# each worker count on a fresh database. Prints a table of workers vs rows/s
# (rows of the whole batch / wall seconds from the first start to the last
# exit) with the commands that produced it.
# SCALE_BENCH_ROWS (default 100000) rows; SCALE_BENCH_WORKERS (default "1 2 4").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
bin=${OPSKIT_BIN:?OPSKIT_BIN must point at the build bin directory}
data=${OPSKIT_SHARED_DATA:-$(cd "$src/.." && pwd)/shared/data}
rows=${SCALE_BENCH_ROWS:-100000}
counts=${SCALE_BENCH_WORKERS:-1 2 4}
if [ ! -d "$data/sanctions/ofac_sdn" ]; then echo "scale bench: no $data/sanctions, skipped"; exit 0; fi
for t in opskit screen score-leads; do
  [ -x "$bin/$t" ] || { echo "scale bench: $bin/$t not built, skipped"; exit 0; }
done
export TZ=UTC LC_ALL=C OPSKIT_TENANT=bench OPSKIT_NOW=2026-11-22T03:00:00Z
work=$(mktemp -d)
pgdir=$work/pg
trap 'bash "$src/tests/support/pg_cluster.sh" stop "$pgdir" || true; rm -rf "$work"' EXIT
chmod 755 "$work"  # as root the cluster runs as the postgres user, who must reach it
bash "$src/tests/support/pg_cluster.sh" start "$pgdir" || { echo "scale bench: PostgreSQL did not start:"; cat "$pgdir"/*.log; exit 1; }
if [ -f "$pgdir/unavailable" ]; then echo "scale bench: $(cat "$pgdir/unavailable"), skipped"; exit 0; fi
sock=$pgdir

python3 "$src/tests/ops/scale_data.py" transactions "$data/sanctions" "$rows" "$work/transactions.csv"
python3 "$src/tests/ops/scale_data.py" leads "$rows" "$work/leads.csv"
"$bin/opskit" db migrate --db "$work/train.db" --quiet
"$bin/opskit" tenant add bench --db "$work/train.db" --quiet
"$bin/score-leads" train "$src/examples/score-leads/history.csv" --spec "$src/examples/score-leads/spec.yaml" \
  --db "$work/train.db" --out "$work/model.json" --quiet >/dev/null

# CPU seconds the server has used so far: the postmaster's own and that of its
# exited backends (reaped children), from /proc; first waits until the
# workers' backends are gone.
server_cpu() {
  local pid i
  for ((i = 0; i < 100; i++)); do
    [ "$(psql -h "$sock" -U postgres -AtXc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'
      AND pid <> pg_backend_pid()")" = 0 ] && break
    sleep 0.1
  done
  sleep 0.5
  pid=$(head -n 1 "$pgdir/data/postmaster.pid")
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13 + $14 + $15) / hz }' "/proc/$pid/stat"
}

# run N CMD...: N concurrent shard workers of CMD (with --shard K/N when N > 1);
# prints "wall_seconds workers_cpu_seconds server_cpu_seconds" (user+sys).
run() {
  local n=$1 k pids=() s e cpu=0 srv
  shift
  srv=$(server_cpu)
  s=$(date +%s%N)
  for ((k = 0; k < n; k++)); do
    local shard=()
    [ "$n" -gt 1 ] && shard=(--shard "$k/$n")
    /usr/bin/time -f "%U %S" -o "$work/time.$k" "$@" "${shard[@]}" --wait 3600 --quiet >/dev/null 2>"$work/err.$k" &
    pids+=($!)
  done
  for ((k = 0; k < n; k++)); do
    wait "${pids[$k]}" || { echo "scale bench: worker $k/$n of '$*' failed:" >&2; cat "$work/err.$k" >&2; return 1; }
    cpu=$(awk -v c="$cpu" '{ print c + $1 + $2 }' "$work/time.$k")
  done
  e=$(date +%s%N)
  awk -v ns=$((e - s)) -v c="$cpu" -v s0="$srv" -v s1="$(server_cpu)" 'BEGIN { printf "%.2f %.1f %.1f\n", ns / 1e9, c, s1 - s0 }'
}

table=()
load0=$(cut -d" " -f1-3 /proc/loadavg)
for n in $counts; do
  db=bench_$n
  psql -h "$sock" -U postgres -qc "CREATE DATABASE $db OWNER opskit_owner" >/dev/null
  owner="host=$sock dbname=$db user=opskit_owner password=owner-pw"
  "$bin/opskit" db migrate --db "$owner" --quiet
  "$bin/opskit" db grant opskit_app --db "$owner" --quiet
  app="host=$sock dbname=$db user=opskit_app password=app-pw"
  "$bin/opskit" tenant add bench --db "$app" --quiet
  "$bin/screen" lists update --from "$data/sanctions" --db "$app" --quiet >/dev/null
  read -r sw sc ss < <(run "$n" "$bin/screen" batch "$work/transactions.csv" --db "$app")
  read -r lw lc ls < <(run "$n" "$bin/score-leads" score "$work/leads.csv" --model-file "$work/model.json" -o /dev/null --db "$app")
  table+=("$(awk -v n="$n" -v r="$rows" -v sw="$sw" -v sc="$sc" -v ss="$ss" -v lw="$lw" -v lc="$lc" -v ls="$ls" \
    'BEGIN { printf "| %d | %.0f | %.1f | %.1f / %.1f | %.0f | %.1f | %.1f / %.1f |", n, r / sw, sw, sc, ss, r / lw, lw, lc, ls }')")
done

echo "\$ OPSKIT_BIN=$bin SCALE_BENCH_ROWS=$rows tests/bench/scale.sh"
echo "  per worker count N, on a fresh database, N of these at once (K = 0..N-1; no --shard when N = 1):"
echo "  screen batch transactions.csv --db \"host=... dbname=bench_N\" --shard K/N --wait 3600 --quiet"
echo "  score-leads score leads.csv --model-file model.json -o /dev/null --db \"host=... dbname=bench_N\" --shard K/N --wait 3600 --quiet"
echo "machine: $(nproc) CPU cores shared by the workers and the PostgreSQL server; load average before the runs: $load0"
echo "batch: $rows generated transactions (2% from the real sanctions lists) and $rows generated leads (tests/ops/scale_data.py)"
echo "rows/s = batch rows / wall seconds from the first worker's start to the last one's exit; CPU = user+sys seconds of the workers / of the PostgreSQL server"
echo
echo "| workers | screen batch rows/s | wall s | CPU s workers / server | score-leads score rows/s | wall s | CPU s workers / server |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${table[@]}"
