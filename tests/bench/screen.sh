#!/usr/bin/env bash
# screen figures: list load + index time, per-check latency (p50/p99),
# single-core names per second, peak memory (in-process, test_screen
# "[.bench]"), and `screen batch` end to end on a generated file.
set -euo pipefail
bin=${OPSKIT_BIN:?OPSKIT_BIN must point at the build bin directory}
data=${OPSKIT_SHARED_DATA:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data}
if [ ! -d "$data/sanctions" ]; then echo "screen bench: no $data/sanctions, skipped"; exit 0; fi
export OPSKIT_SHARED_DATA=$data TZ=UTC LC_ALL=C
echo "\$ $bin/test_screen \"[.bench]\" -s"
"$bin/test_screen" "[.bench]" -s 2>/dev/null | grep '^screen_' || true

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=$work/bench.db
"$bin/opskit" db migrate --db "$db" >/dev/null
"$bin/opskit" tenant add bench --db "$db" >/dev/null
echo "\$ screen lists update --from $data/sanctions"
/usr/bin/time -f "lists_update_wall_seconds %e max_rss_kb %M" "$bin/screen" --db "$db" --tenant bench -q lists update --from "$data/sanctions" >/dev/null
rows=${SCREEN_BENCH_ROWS:-100000}
awk -v n="$rows" 'BEGIN { print "id,date,amount,currency,counterparty,country";
  split("james maria li anna peter fatima john sofia lukas emma", g, " ");
  split("fernandes kowalski nguyen schmidt okafor tanaka dubois larsen", f, " ");
  for (i = 0; i < n; i++) printf "t%d,2026-01-01,%d.50,USD,%s %s %d,FR\n", i, i % 1000, g[i % 10 + 1], f[int(i / 10) % 8 + 1], i % 97 }' > "$work/batch.csv"
echo "\$ screen batch batch.csv ($rows rows) --dry-run"
/usr/bin/time -f "batch_dry_run_wall_seconds %e cpu_seconds %U max_rss_kb %M" "$bin/screen" --db "$db" --tenant bench -q --dry-run batch "$work/batch.csv" >/dev/null
echo "\$ screen batch batch.csv ($rows rows), writing"
/usr/bin/time -f "batch_write_wall_seconds %e cpu_seconds %U max_rss_kb %M" "$bin/screen" --db "$db" --tenant bench -q batch "$work/batch.csv" >/dev/null
