#!/usr/bin/env bash
# capture throughput (packets/s, one core, files in page cache) on inputs
# built by concatenating the shared captures, and the DGA model's held-out
# detection rate. Prints each figure with the command that produced it.
set -euo pipefail
bin=${OPSKIT_BIN:?OPSKIT_BIN must point at build/bin}
here=$(cd "$(dirname "$0")" && pwd)
data=${OPSKIT_SHARED_DATA:-$here/../../../shared/data}
if [ ! -d "$data/pcap" ]; then echo "net: $data/pcap not found, skipping"; exit 0; fi
command -v mergecap >/dev/null || { echo "net: mergecap (wireshark-common) not installed, skipping"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC LC_ALL=C
db="$work/bench.db"
"$bin/opskit" --db "$db" --quiet db migrate
"$bin/opskit" --db "$db" --quiet tenant add bench --name Bench
zcat "$data/pcap/bulk/zeek_echo-connections.pcap.gz" > "$work/echo.pcap"
small=()
for i in $(seq 1 10); do small+=("$work/echo.pcap" "$data/pcap/bulk/sdd_synflood-spoofed.pcap"); done
mergecap -a -F pcap -w "$work/small.pcap" "${small[@]}"
dnsf=()
for i in $(seq 1 10); do
  dnsf+=("$data/pcap/tunnel/netrack_dns2tcp.pcap" "$data/pcap/dns/pp_DnsPackets.pcap" "$data/pcap/tunnel/dom_dnscat_idle_pw_CNAME.pcapng")
done
mergecap -a -F pcapng -w "$work/dns.pcap" "${dnsf[@]}"
for input in small dns; do
  f="$work/$input.pcap"
  cat "$f" > /dev/null  # page cache
  cmd=("$bin/capture" --db "$db" --tenant bench --dry-run --quiet file "$f" --format json --records summary)
  start=$(date +%s.%N)
  summary=$("${cmd[@]}")
  end=$(date +%s.%N)
  packets=$(echo "$summary" | sed -n 's/.*"packets":\([0-9]*\).*/\1/p')
  echo "capture $input-packet input: $packets packets in $(echo "$end - $start" | bc) s = $(echo "$packets / ($end - $start)" | bc) packets/s"
  echo "  command: ${cmd[*]}"
done
if [ -d "$data/domains" ]; then
  echo "DGA model on the held-out half of the nDPI lists:"
  "$bin/capture" model eval --data "$data/domains" --format csv
  echo "  command: $bin/capture model eval --data $data/domains"
fi
