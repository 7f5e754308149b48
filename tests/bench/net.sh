#!/usr/bin/env bash
# capture throughput and the DGA model's held-out detection rate.
#
# Throughput is packets per CPU-second (user + system time of one process
# pinned to one core with taskset), files in page cache, with decoding,
# flows, DNS parsing and every detector on; the machine is shared, so wall
# time would measure the neighbours; best of five runs, read with bash's
# `times` (millisecond resolution; /usr/bin/time prints hundredths, a
# sixth of a DNS-input run). Each input is also read by a bare
# libpcap loop (pcap_next_ex over every packet, nothing else) in the same
# run, and the ratio capture / libpcap is printed, as the issue frames it.
# Inputs are built by concatenating the shared captures (mergecap).
set -euo pipefail
bin=${OPSKIT_BIN:?OPSKIT_BIN must point at build/bin}
here=$(cd "$(dirname "$0")" && pwd)
data=${OPSKIT_SHARED_DATA:-$here/../../../shared/data}
copies=${NET_BENCH_COPIES:-20}
if [ ! -d "$data/pcap" ]; then echo "net: $data/pcap not found, skipping"; exit 0; fi
command -v mergecap >/dev/null || { echo "net: mergecap (wireshark-common) not installed, skipping"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC LC_ALL=C
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

# The bare libpcap read loop, built here so it links the same libpcap.
cat > "$work/pcap_loop.c" <<'EOF'
#include <pcap/pcap.h>
#include <stdio.h>
int main(int argc, char** argv) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) { fprintf(stderr, "%s\n", err); return 1; }
  struct pcap_pkthdr* h; const u_char* d; unsigned long n = 0, bytes = 0;
  while (pcap_next_ex(p, &h, &d) == 1) { ++n; bytes += h->caplen; }
  printf("%lu %lu\n", n, bytes);
  pcap_close(p);
  return 0;
}
EOF
pcap_loop=""
if cc -O2 -o "$work/pcap_loop" "$work/pcap_loop.c" -lpcap 2>/dev/null; then pcap_loop="$work/pcap_loop"; fi

# CPU seconds (user + system) of one run of a command, from the children
# line of bash's `times` in a subshell; its stdout goes to $work/out.
cpu_once() {
  (
    "$@" > "$work/out" 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
    times > "$work/times"  # not through a pipe: that would time the pipe's own subshell
  ) || return 1
  # "0m0.250s 0m0.060s"
  tail -1 "$work/times" | awk '{ split($1, u, "m"); split($2, s, "m"); printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
}
# The best of five runs: the machine is shared, interference only adds, and
# it comes in bursts that can cover three runs in a row.
cpu_seconds() {
  local best="" s
  for _ in 1 2 3 4 5; do
    s=$(cpu_once "$@") || return 1
    best=$(awk -v a="$s" -v b="$best" 'BEGIN { print (b == "" || a < b) ? a : b }')
  done
  echo "$best"
}

db="$work/bench.db"
"$bin/opskit" --db "$db" --quiet db migrate
"$bin/opskit" --db "$db" --quiet tenant add bench --name Bench
zcat "$data/pcap/bulk/zeek_echo-connections.pcap.gz" > "$work/echo.pcap"
small=()
for i in $(seq 1 "$copies"); do small+=("$work/echo.pcap" "$data/pcap/bulk/sdd_synflood-spoofed.pcap"); done
mergecap -a -F pcap -w "$work/small.pcap" "${small[@]}"
mergecap -a -F pcap -w "$work/small1.pcap" "${small[@]:0:2}"
dnsf=()
for i in $(seq 1 "$copies"); do
  # All Ethernet, so the bare libpcap loop can read the merged file too
  # (libpcap refuses pcapng files whose interfaces differ in link type).
  dnsf+=("$data/pcap/tunnel/netrack_dns2tcp.pcap" "$data/pcap/dns/pp_DnsPackets.pcap" "$data/pcap/tunnel/dom_saitama_upload.pcapng")
done
mergecap -a -F pcapng -w "$work/dns.pcap" "${dnsf[@]}"
mergecap -a -F pcapng -w "$work/dns1.pcap" "${dnsf[@]:0:3}"
echo "inputs: $copies copies each; figures are packets per CPU-second on one pinned core"
# The fixed cost of a run (loading the DGA model and the public suffix list,
# opening the database): the same command on a capture with no packets.
# Rates are given with it and without it.
head -c 24 "$work/small.pcap" > "$work/empty.pcap"
startup=$(cpu_seconds "${pin[@]}" "$bin/capture" --db "$db" --tenant bench --dry-run --quiet file "$work/empty.pcap" --format json --records summary)
echo "fixed cost of a run (no packets): $startup CPU-s"
# The 20-copy inputs repeat their flows and names after the first copy (a
# real capture sees them again too, but less often); the one-copy line
# shows what a capture of all-new flows and names gets.
#
# How a file came into the page cache can change what mapping it costs:
# mergecap's small writes may leave it in 4 KiB pages, each mapped by the
# kernel on its own, while a file read from disk is cached by readahead in
# large folios that map cheaper (how much depends on the kernel: 0.2 ms per
# MB more for the small pages on one, under 0.1 on Linux 6.18). So the
# 20-copy inputs are measured in both states: as written, and read back
# from disk (its cached pages dropped with dd's nocache flag, then read
# once).
read_back() {
  sync "$1" && dd if="$1" iflag=nocache count=0 status=none && cat "$1" > /dev/null
}
for input in small dns small:read-back dns:read-back small1 dns1; do
  state=${input#*:}; input=${input%%:*}
  f="$work/$input.pcap"
  label="$input-packet input"
  if [ "$state" = read-back ]; then
    read_back "$f" || { echo "net: cannot drop $f from the page cache, skipping its read-back run"; continue; }
    label="$label, read back from disk"
  else
    # Written back first: while the kernel is still writing a file's pages
    # to disk, runs that map them vary up to twice the time.
    sync "$f" && cat "$f" > /dev/null  # page cache
    case $input in small|dns) label="$label, as written" ;; esac
  fi
  cmd=("$bin/capture" --db "$db" --tenant bench --dry-run --quiet file "$f" --format json --records summary)
  secs=$(cpu_seconds "${pin[@]}" "${cmd[@]}")
  packets=$(sed -n 's/.*"packets":\([0-9]*\).*/\1/p' "$work/out")
  rate=$(awk -v p="$packets" -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? p / s : 0) }')
  net_rate=$(awk -v p="$packets" -v s="$secs" -v f="$startup" 'BEGIN { printf "%d", (s - f > 0 ? p / (s - f) : 0) }')
  echo "capture $label: $packets packets in $secs CPU-s = $rate packets/CPU-s" \
       "($net_rate packets/CPU-s without the fixed cost of the run)"
  echo "  command: ${pin[*]} ${cmd[*]}"
  # Peak memory of one more run (the mapped capture's pages count too).
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$work/rss" "${pin[@]}" "${cmd[@]}" > /dev/null 2>&1
    echo "  max RSS: $(tail -1 "$work/rss") KiB (/usr/bin/time -f %M)"
  fi
  if [ -n "$pcap_loop" ] && [ "${input%1}" = "$input" ]; then
    lsecs=$(cpu_seconds "${pin[@]}" "$pcap_loop" "$f")
    lpackets=$(cut -d' ' -f1 "$work/out")
    lrate=$(awk -v p="$lpackets" -v s="$lsecs" 'BEGIN { printf "%d", (s > 0 ? p / s : 0) }')
    echo "  bare libpcap read loop, same file: $lpackets packets in $lsecs CPU-s = $lrate packets/CPU-s;" \
         "capture runs at $(awk -v a="$rate" -v b="$lrate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x the libpcap loop"
  fi
done
if [ -d "$data/domains" ]; then
  echo "DGA model on the held-out lists:"
  "$bin/capture" model eval --data "$data/domains" --format csv
  echo "  command: $bin/capture model eval --data $data/domains --format csv"
fi
