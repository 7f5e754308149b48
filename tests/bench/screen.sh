#!/usr/bin/env bash
# screen figures: list load + index time, per-check latency (p50/p99),
# single-core names per second, peak memory (in-process, test_screen
# "[.bench]"), and `screen batch` end to end on a generated file, pinned to
# one core (taskset -c 0): CPU seconds (user + sys), names per CPU-second and
# peak RSS from /usr/bin/time. Two files: a transaction file whose
# counterparties repeat (7,760 distinct names, as real payment files do), and
# one where every name is distinct (no decision-cache hits).
# SCREEN_BENCH_PG=1 also runs both files (write mode) against PostgreSQL (a
# throw-away cluster on a Unix socket, tests/support/pg_cluster.sh, server
# settings as in the tests: fsync off): the client's CPU per name, the
# server's CPU and wall rows/s (the server shares the machine).
set -euo pipefail
bin=${OPSKIT_BIN:?OPSKIT_BIN must point at the build bin directory}
data=${OPSKIT_SHARED_DATA:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data}
if [ ! -d "$data/sanctions" ]; then echo "screen bench: no $data/sanctions, skipped"; exit 0; fi
export OPSKIT_SHARED_DATA=$data TZ=UTC LC_ALL=C
pin=""
if command -v taskset >/dev/null; then pin="taskset -c 0"; fi
echo "\$ $bin/test_screen \"[.bench]\" -s"
$pin "$bin/test_screen" "[.bench]" -s 2>/dev/null | grep '^screen_' || true

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=$work/bench.db
"$bin/opskit" db migrate --db "$db" >/dev/null
"$bin/opskit" tenant add bench --db "$db" >/dev/null
echo "\$ screen lists update --from $data/sanctions"
/usr/bin/time -f "lists_update_wall_seconds %e cpu_seconds %U+%S max_rss_kb %M" $pin "$bin/screen" --db "$db" --tenant bench -q lists update --from "$data/sanctions" >/dev/null
rows=${SCREEN_BENCH_ROWS:-1000000}
awk -v n="$rows" 'BEGIN { print "id,date,amount,currency,counterparty,country";
  split("james maria li anna peter fatima john sofia lukas emma", g, " ");
  split("fernandes kowalski nguyen schmidt okafor tanaka dubois larsen", f, " ");
  for (i = 0; i < n; i++) printf "t%d,2026-01-01,%d.50,USD,%s %s %d,FR\n", i, i % 1000, g[i % 10 + 1], f[int(i / 10) % 8 + 1], i % 97 }' > "$work/batch.csv"
# Every name distinct: a given name, a family name and a made-up third part
# (fewer rows by default: this is the slow path, each name scored in full).
distinct_rows=${SCREEN_BENCH_DISTINCT_ROWS:-200000}
awk -v n="$distinct_rows" 'BEGIN { print "id,date,amount,currency,counterparty,country";
  split("james maria li anna peter fatima john sofia lukas emma oliver amelia noah mia elias lea omar yusuf ivan olga", g, " ");
  split("fernandes kowalski nguyen schmidt okafor tanaka dubois larsen garcia novak rossi silva jensen murphy weber", f, " ");
  a = "bcdfghjklmnprstvz"; v = "aeiou";
  for (i = 0; i < n; i++) { x = i; w = "";
    do { w = w substr(a, x % 17 + 1, 1) substr(v, int(x / 17) % 5 + 1, 1); x = int(x / 85) } while (x > 0);
    printf "u%d,2026-01-01,%d.50,USD,%s %s %s,FR\n", i, i % 1000, g[i % 20 + 1], w, f[int(i / 20) % 15 + 1] } }' > "$work/distinct.csv"
measure() {  # label file rows extra-args...
  local label=$1 file=$2 n=$3; shift 3
  echo "\$ $pin screen $* batch $(basename "$file") ($n rows)"
  /usr/bin/time -o "$work/time" -f "%U %S %M %e" $pin "$bin/screen" --db "$db" --tenant bench -q "$@" batch "$file" >/dev/null
  read -r user sys rss wall < "$work/time"
  awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f\n", u + s }' > "$work/cpu_$label"
  awk -v l="$label" -v u="$user" -v s="$sys" -v r="$rss" -v w="$wall" -v n="$n" 'BEGIN {
    printf "%s_cpu_seconds %.2f names_per_cpu_second %d max_rss_mb %d wall_seconds %s\n", l, u + s, n / (u + s), r / 1024, w }'
}
# What writing costs beyond screening: CPU per name of a written run minus
# that of a dry run of the same file (goal: about 3 us).
write_cost() {  # label dry-label write-label rows
  awk -v l="$1" -v d="$(cat "$work/cpu_$2")" -v w="$(cat "$work/cpu_$3")" -v n="$4" 'BEGIN {
    printf "%s_write_us_per_name %.2f\n", l, (w - d) / n * 1e6 }'
}
measure batch_dry_run "$work/batch.csv" "$rows" --dry-run
measure batch_write "$work/batch.csv" "$rows"
measure batch_rerun "$work/batch.csv" "$rows"
write_cost batch batch_dry_run batch_write "$rows"
write_cost batch_rerun batch_dry_run batch_rerun "$rows"
measure distinct_dry_run "$work/distinct.csv" "$distinct_rows" --dry-run
measure distinct_write "$work/distinct.csv" "$distinct_rows"
write_cost distinct distinct_dry_run distinct_write "$distinct_rows"

if [ "${SCREEN_BENCH_PG:-0}" = 1 ]; then
  src=$(cd "$(dirname "$0")/../.." && pwd)
  pgdir=$work/pg
  trap 'bash "$src/tests/support/pg_cluster.sh" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  chmod 755 "$work"  # as root the cluster runs as the postgres user, who must reach it
  bash "$src/tests/support/pg_cluster.sh" start "$pgdir" >/dev/null || { echo "screen bench: PostgreSQL did not start"; exit 1; }
  if [ -f "$pgdir/unavailable" ]; then echo "screen bench: $(cat "$pgdir/unavailable"), PostgreSQL skipped"; exit 0; fi
  psql -h "$pgdir" -U postgres -qc "CREATE DATABASE screen_bench OWNER opskit_owner" >/dev/null
  "$bin/opskit" db migrate --db "host=$pgdir dbname=screen_bench user=opskit_owner password=owner-pw" --quiet
  "$bin/opskit" db grant opskit_app --db "host=$pgdir dbname=screen_bench user=opskit_owner password=owner-pw" --quiet
  pg="host=$pgdir dbname=screen_bench user=opskit_app password=app-pw"
  "$bin/opskit" tenant add bench --db "$pg" --quiet
  "$bin/screen" --db "$pg" --tenant bench -q lists update --from "$data/sanctions" >/dev/null
  server_cpu() {  # CPU seconds of the postmaster and its exited backends
    sleep 0.5
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13 + $14 + $15) / hz }' \
      "/proc/$(head -n 1 "$pgdir/data/postmaster.pid")/stat"
  }
  pg_measure() {  # label file rows
    local label=$1 file=$2 n=$3 s0 s1
    echo "\$ $pin screen --db \"host=... (PostgreSQL)\" batch $(basename "$file") ($n rows)"
    s0=$(server_cpu)
    /usr/bin/time -o "$work/time" -f "%U %S %M %e" $pin "$bin/screen" --db "$pg" --tenant bench -q batch "$file" >/dev/null
    s1=$(server_cpu)
    read -r user sys rss wall < "$work/time"
    awk -v l="$label" -v u="$user" -v s="$sys" -v w="$wall" -v n="$n" -v srv="$(awk -v a="$s0" -v b="$s1" 'BEGIN { print b - a }')" 'BEGIN {
      printf "%s_client_cpu_seconds %.2f names_per_client_cpu_second %d server_cpu_seconds %.2f names_per_total_cpu_second %d rows_per_wall_second %d\n",
        l, u + s, n / (u + s), srv, n / (u + s + srv), n / w }'
  }
  pg_measure pg_batch_write "$work/batch.csv" "$rows"
  pg_measure pg_batch_rerun "$work/batch.csv" "$rows"
  pg_measure pg_distinct_write "$work/distinct.csv" "$distinct_rows"
fi
