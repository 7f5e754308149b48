#!/usr/bin/env bash
# Walk-through of `capture` on a capture the project writes itself.
#   OPSKIT_BIN=build/bin examples/capture/walkthrough.sh --db /tmp/demo.db [--out DIR]
# Generates office.pcap (DHCP, benign lookups, DGA-looking NXDOMAINs, a DNS
# TXT tunnel, a 60 s beacon and a port scan), imports the indicators here,
# analyses the capture into the tenant database, and lists alerts and devices.
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
now=2026-01-05T12:00:00Z
common=(--db "$db" --tenant demo --now "$now" --quiet)

# 1. A database and a tenant.
"$bin/opskit" --db "$db" --quiet db migrate
"$bin/opskit" --db "$db" --quiet tenant list --format csv | grep -q '^demo,' ||
  "$bin/opskit" --db "$db" --quiet tenant add demo --name "Demo Ltd"

# 2. The example capture (deterministic for a seed) and the tenant's indicators.
"$bin/capture" example "$out/office.pcap" --seed 42 --quiet
"$bin/capture" "${common[@]}" indicators import "$here/indicators.csv"

# 3. Analyse: alerts as a table on stdout, Zeek-style logs in $out/logs.
#    --fail-on high makes the exit status 1 when such alerts exist.
status=0
"$bin/capture" "${common[@]}" file "$out/office.pcap" --log-dir "$out/logs" --fail-on high || status=$?
[ "$status" -eq 1 ] || { echo "expected findings (exit 1), got $status" >&2; exit 1; }

# 4. Rerunning the same file is idempotent; stored alerts and devices.
"$bin/capture" "${common[@]}" file "$out/office.pcap" --format json --records summary
"$bin/capture" "${common[@]}" alerts --min-score 70
"$bin/capture" "${common[@]}" devices

# 5. The lab's tunnel is known: allow-list it, which also closes the stored alert.
"$bin/capture" "${common[@]}" allow add '*.exfil-tunnel.example' --note "lab tunnel test"
"$bin/capture" "${common[@]}" alerts --format csv
echo "logs in $out/logs: $(ls "$out/logs" | tr '\n' ' ')"
