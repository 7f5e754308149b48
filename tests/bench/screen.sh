#!/usr/bin/env bash
# screen figures: list load + index time, per-check latency (p50/p99),
# single-core names per second, peak memory (in-process, test_screen
# "[.bench]"), and `screen batch` end to end on a generated file, pinned to
# one core (taskset -c 0): CPU seconds (user + sys), names per CPU-second and
# peak RSS from /usr/bin/time. Two files: a transaction file whose
# counterparties repeat (7,760 distinct names, as real payment files do), and
# one where every name is distinct (no decision-cache hits).
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
  awk -v l="$label" -v u="$user" -v s="$sys" -v r="$rss" -v w="$wall" -v n="$n" 'BEGIN {
    printf "%s_cpu_seconds %.2f names_per_cpu_second %d max_rss_mb %d wall_seconds %s\n", l, u + s, n / (u + s), r / 1024, w }'
}
measure batch_dry_run "$work/batch.csv" "$rows" --dry-run
measure batch_write "$work/batch.csv" "$rows"
measure batch_rerun "$work/batch.csv" "$rows"
measure distinct_dry_run "$work/distinct.csv" "$distinct_rows" --dry-run
measure distinct_write "$work/distinct.csv" "$distinct_rows"
