#!/usr/bin/env bash
# The nightly pipeline for one tenant:
#   lists update -> screen batch -> rescreen -> score-leads score -> capture of
#   the day's files -> scan-endpoint of the tenant's targets -> simulate of the
#   stored scenarios -> report summary.
#
# Usage: jobs/nightly.sh [--demo] [TENANT]
# Each step runs only when its input is configured (environment, usually from
# /etc/opskit/nightly.env; see jobs/nightly.env.example), else it is skipped
# with a log line. --demo runs the whole pipeline on examples/ into
# ./out/demo/opskit.db with no network access.
#
# Exit status: 0 all steps ok (or skipped); 6 another nightly run holds the
# lock; 2 usage; 10 + N when step N failed (11 lists, 12 screen batch,
# 13 rescreen, 14 score-leads, 15 capture, 16 scan-endpoint, 17 simulate,
# 18 report). Findings (exit 1 of a tool) do not fail the pipeline.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
demo=0
tenant=${OPSKIT_TENANT:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --demo) demo=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "nightly: unknown option $1" >&2; exit 2 ;;
    *) tenant=$1; shift ;;
  esac
done

bin=${OPSKIT_BIN:-}
tool() {  # path of a tool, honouring OPSKIT_BIN and PROGRAM_PREFIX-installed names
  local t=$1
  if [ -n "$bin" ] && [ -x "$bin/$t" ]; then echo "$bin/$t"; return; fi
  command -v "opskit-$t" 2>/dev/null || command -v "$t" 2>/dev/null || true
}
log() { printf 'nightly: %s\n' "$*" >&2; }

nginx_pid=""
cleanup() {
  if [ -n "$nginx_pid" ]; then "$here/demo-nginx.sh" stop "$out/nginx" || true; fi
}
trap cleanup EXIT

if [ "$demo" = 1 ]; then
  out=${OPSKIT_DEMO_DIR:-$PWD/out/demo}
  mkdir -p "$out"
  export OPSKIT_DB="$out/opskit.db"
  tenant=${tenant:-demo}
  export OPSKIT_NOW=${OPSKIT_NOW:-}
  # shellcheck source=demo.env
  . "$here/demo.env"
  "$(tool opskit)" db migrate --quiet
  "$(tool opskit)" tenant list --format csv | grep -q "^$tenant," || "$(tool opskit)" tenant add "$tenant" --name "Demo tenant" --quiet
  # The demo capture is written by the project itself.
  if [ -n "$(tool capture)" ]; then
    "$(tool capture)" example "$out/office.pcap" --seed 42 --quiet
    export OPSKIT_NIGHTLY_PCAPS="$out/office.pcap"
  fi
  if [ -n "${OPSKIT_NIGHTLY_DEMO_NGINX:-}" ]; then
    if nginx_out=$("$here/demo-nginx.sh" start "$out/nginx" 2>&1); then
      nginx_pid=$(cat "$out/nginx/nginx.pid" 2>/dev/null || true)
      export OPSKIT_NIGHTLY_TARGETS="$out/nginx/targets.txt"
    else
      log "step=scan-endpoint note=\"nginx not available, scans skipped: $nginx_out\""
    fi
  fi
fi

[ -n "$tenant" ] || { echo "nightly: no tenant (argument or OPSKIT_TENANT)" >&2; exit 2; }
export OPSKIT_TENANT="$tenant"
db=${OPSKIT_DB:-./opskit.db}

# One nightly run per tenant and database at a time.
lock="${OPSKIT_NIGHTLY_LOCK:-${db%%\?*}.nightly-$tenant.lock}"
case "$db" in postgres*|*=*) lock="${OPSKIT_NIGHTLY_LOCK:-/tmp/opskit-nightly-$tenant.lock}" ;; esac
exec 9>"$lock"
if ! flock -n 9; then log "another nightly run for tenant $tenant holds $lock"; exit 6; fi

step_no=0
run_step() {  # run_step NAME INPUT_VAR COMMAND...
  local name=$1 input=$2; shift 2
  step_no=$((step_no + 1))
  if [ -n "$input" ] && [ -z "${!input:-}" ]; then log "step=$name status=skipped reason=\"$input not set\""; return 0; fi
  if [ -z "$1" ]; then log "step=$name status=skipped reason=\"tool not installed\""; return 0; fi
  # Data of a step goes to its own files; stdout of the pipeline stays quiet under cron.
  local start rc=0
  start=$(date +%s)
  "$@" >/dev/null || rc=$?
  local secs=$(( $(date +%s) - start ))
  if [ "$rc" = 0 ] || [ "$rc" = 1 ]; then
    log "step=$name status=$([ "$rc" = 1 ] && echo findings || echo ok) seconds=$secs"
  else
    log "step=$name status=failed exit=$rc seconds=$secs"
    exit $((10 + step_no))
  fi
}

q=(--quiet)
lists_from=()
[ "${OPSKIT_NIGHTLY_LISTS:-download}" != download ] && lists_from=(--from "$OPSKIT_NIGHTLY_LISTS")

# Each line of the scenarios file is one what-if: the arguments of `simulate run`.
simulate_scenarios() {
  local line rc=0 sim
  sim=$(tool simulate)
  [ -n "$sim" ] || return 0
  if [ -n "${OPSKIT_NIGHTLY_GRAPH:-}" ]; then "$sim" graph import "$OPSKIT_NIGHTLY_GRAPH" --replace "${q[@]}" >/dev/null; fi
  while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086 # the line holds several arguments
    "$sim" run $line --format json "${q[@]}" >/dev/null || rc=$?
    [ "$rc" -le 1 ] || return "$rc"
  done < "$OPSKIT_NIGHTLY_SCENARIOS"
}
[ -n "${OPSKIT_NIGHTLY_METRICS_DIR:-}" ] && mkdir -p "$OPSKIT_NIGHTLY_METRICS_DIR"
metrics() { [ -n "${OPSKIT_NIGHTLY_METRICS_DIR:-}" ] && echo "--metrics-file=$OPSKIT_NIGHTLY_METRICS_DIR/opskit-$1.prom" || echo "--quiet"; }

run_step lists OPSKIT_NIGHTLY_LISTS \
  "$(tool screen)" lists update "${lists_from[@]}" "${q[@]}" "$(metrics lists)"
run_step screen-batch OPSKIT_NIGHTLY_BATCH \
  "$(tool screen)" batch "${OPSKIT_NIGHTLY_BATCH:-}" --on-error skip "${q[@]}" "$(metrics screen)"
run_step rescreen OPSKIT_NIGHTLY_RESCREEN \
  "$(tool screen)" rescreen "${q[@]}" "$(metrics rescreen)"
if [ -n "${OPSKIT_NIGHTLY_LEADS_TRAIN:-}" ] && [ -n "$(tool score-leads)" ]; then
  "$(tool score-leads)" import "$OPSKIT_NIGHTLY_LEADS_TRAIN" --spec "$OPSKIT_NIGHTLY_LEADS_SPEC" "${q[@]}" >/dev/null
  "$(tool score-leads)" train --spec "$OPSKIT_NIGHTLY_LEADS_SPEC" --promote "${q[@]}" >/dev/null
fi
run_step score-leads OPSKIT_NIGHTLY_LEADS \
  "$(tool score-leads)" score "${OPSKIT_NIGHTLY_LEADS:-}" -o /dev/null "${q[@]}" "$(metrics leads)"
# shellcheck disable=SC2086 # a list of capture files
run_step capture OPSKIT_NIGHTLY_PCAPS \
  "$(tool capture)" file ${OPSKIT_NIGHTLY_PCAPS:-} --records summary "${q[@]}" "$(metrics capture)"
if [ -n "${OPSKIT_NIGHTLY_ALLOW_HOSTS:-}" ] && [ -n "$(tool scan-endpoint)" ]; then
  for h in $OPSKIT_NIGHTLY_ALLOW_HOSTS; do "$(tool scan-endpoint)" allow add "$h" "${q[@]}" >/dev/null; done
fi
run_step scan-endpoint OPSKIT_NIGHTLY_TARGETS \
  "$(tool scan-endpoint)" url --targets "${OPSKIT_NIGHTLY_TARGETS:-}" --format json "${q[@]}" "$(metrics scan)"
run_step simulate OPSKIT_NIGHTLY_SCENARIOS simulate_scenarios
report_dir=${OPSKIT_NIGHTLY_REPORT_DIR:-.}
[ "$demo" = 1 ] && report_dir=$out
run_step report "" \
  "$(tool report)" summary --format html --out "$report_dir/summary.html" "${q[@]}" "$(metrics report)"
if [ "$demo" = 1 ]; then
  echo "demo finished: database $OPSKIT_DB; HTML report: ${report_dir}/summary.html"
fi
