#!/usr/bin/env bash
# Scale-out equivalence: N workers with --shard K/N, started together against
# one PostgreSQL database, store exactly what one worker stores, for
# `screen batch` and `score-leads score` on one large generated batch.
#
# Two databases on the throw-away cluster (pg_start fixture): "one" gets one
# worker per command, "many" gets OPSKIT_SCALE_WORKERS (4) concurrent shard
# workers. Then a digest of every stored result is computed in SQL on both,
# leaving out serial ids, run ids and timestamps: transactions (status,
# score), screening_matches (list version by content hash), leads (score,
# probability, reasons, status), lead_score_history and the audit entries
# (as a sorted multiset: seq and hash depend on commit order). The audit
# chain of the sharded database must still verify.
#
# Rows: OPSKIT_SCALE_ROWS (default 1000000; see tests/ops/CMakeLists.txt).
# OPSKIT_SCALE_KEEP=1 keeps the inputs and both databases for a look.
set -euo pipefail
src=$1
bin=${OPSKIT_BIN:?}
pgdir=${OPSKIT_PG_DIR:?}
data=${OPSKIT_SHARED_DATA:-$(cd "$src/.." && pwd)/shared/data}
rows=${OPSKIT_SCALE_ROWS:-1000000}
workers=${OPSKIT_SCALE_WORKERS:-4}
if [ -f "$pgdir/unavailable" ] || [ ! -f "$pgdir/env" ]; then echo "SKIP: PostgreSQL not available"; exit 0; fi
if [ ! -d "$data/sanctions/ofac_sdn" ]; then echo "SKIP: no sanctions lists in $data/sanctions"; exit 0; fi
for t in screen score-leads; do
  [ -x "$bin/$t" ] || { echo "SKIP: $t not built"; exit 0; }
done
sock=$(sed -n 's/^OPSKIT_PG_SOCKET=//p' "$pgdir/env")
tmp=$(mktemp -d)
dbs=()
cleanup() {
  if [ "${OPSKIT_SCALE_KEEP:-0}" = 1 ]; then echo "kept $tmp and databases ${dbs[*]}"; return; fi
  for d in "${dbs[@]}"; do psql -h "$sock" -U postgres -qc "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
export TZ=UTC LC_ALL=C OPSKIT_TENANT=scale OPSKIT_NOW=2026-11-22T03:00:00Z
t0=$(date +%s)
elapsed() { echo $(( $(date +%s) - t0 ))s; }

python3 "$src/tests/ops/scale_data.py" transactions "$data/sanctions" "$rows" "$tmp/transactions.csv"
python3 "$src/tests/ops/scale_data.py" leads "$rows" "$tmp/leads.csv"
# One model for both databases, trained once on the example history.
"$bin/opskit" db migrate --db "$tmp/train.db" --quiet
"$bin/opskit" tenant add scale --db "$tmp/train.db" --quiet
"$bin/score-leads" train "$src/examples/score-leads/history.csv" --spec "$src/examples/score-leads/spec.yaml" \
  --db "$tmp/train.db" --out "$tmp/model.json" --quiet >/dev/null
echo "inputs: $rows transactions, $rows leads, $workers workers ($(elapsed))"

new_db() {  # new_db NAME: an empty migrated database with the tenant and the real lists loaded
  local name=$1_$$
  dbs+=("$name")
  psql -h "$sock" -U postgres -qc "CREATE DATABASE $name OWNER opskit_owner" >/dev/null
  local owner="host=$sock dbname=$name user=opskit_owner password=owner-pw"
  "$bin/opskit" db migrate --db "$owner" --quiet
  "$bin/opskit" db grant opskit_app --db "$owner" --quiet
  local app="host=$sock dbname=$name user=opskit_app password=app-pw"
  "$bin/opskit" tenant add scale --db "$app" --quiet
  "$bin/screen" lists update --from "$data/sanctions" --db "$app" --quiet >/dev/null
}

# run_workers DB N: N concurrent shard workers (N=1: no --shard) for each command.
# --wait: a worker waits for a still-running earlier run of its own job instead
# of exiting 6, as the Kubernetes Indexed Job does.
run_workers() {
  local name=$1_$$ n=$2 k pids=() rc=0
  local app="host=$sock dbname=$name user=opskit_app password=app-pw"
  for cmd in screen score-leads; do
    local s
    s=$(date +%s%N)
    for ((k = 0; k < n; k++)); do
      local shard=()
      [ "$n" -gt 1 ] && shard=(--shard "$k/$n")
      if [ "$cmd" = screen ]; then
        "$bin/screen" batch "$tmp/transactions.csv" --db "$app" "${shard[@]}" --wait 3600 --quiet >/dev/null 2>"$tmp/$1.$cmd.$k.err" &
      else
        "$bin/score-leads" score "$tmp/leads.csv" --model-file "$tmp/model.json" -o /dev/null --db "$app" "${shard[@]}" \
          --wait 3600 --quiet 2>"$tmp/$1.$cmd.$k.err" &
      fi
      pids+=($!)
    done
    for ((k = 0; k < n; k++)); do
      if ! wait "${pids[$k]}"; then
        echo "FAIL: $cmd worker $k/$n of database $1 exited non-zero:"; cat "$tmp/$1.$cmd.$k.err"; rc=1
      fi
    done
    pids=()
    local ms=$(( ($(date +%s%N) - s) / 1000000 ))
    printf '%s: %s with %d worker(s): %d.%01ds wall\n' "$1" "$cmd" "$n" $((ms / 1000)) $((ms % 1000 / 100))
  done
  return $rc
}

# What each stored result set is compared on: "name # row # order # from".
# Serial ids, run ids and timestamps are left out; a match names its list
# version by content hash; audit entries are a sorted multiset (seq and hash
# follow commit order). config_hash is compared too: it covers the screen
# settings only, so every worker of one batch records the same one.
results=(
  "transactions # concat_ws('|', id, kind, date, amount, currency, counterparty, country, dob, entity_type, source,
     sanctions_status, compliance_score, lists_hash) # id # transactions WHERE tenant_id = 'scale'"
  "screening_matches # concat_ws('|', m.subject_id, m.subject_name, m.list, m.entity_uid, m.entity_name, m.matched_name,
     m.score, m.status, m.explanation, m.config_hash, l.sha256, m.review_status)
     # m.subject_id, m.list, m.entity_uid
     # screening_matches m JOIN sanctions_lists l ON l.tenant_id = m.tenant_id AND l.id = m.list_version
     WHERE m.tenant_id = 'scale'"
  "leads # concat_ws('|', external_id, fields, fields_hash, outcome, occurred_at, source, status, score, probability,
     model_version, reasons, scored_hash) # external_id # leads WHERE tenant_id = 'scale'"
  "lead_score_history # concat_ws('|', external_id, model_version, score, previous_score) # external_id, model_version
     # lead_score_history WHERE tenant_id = 'scale'"
  "audit_entries # concat_ws('|', actor, action, object_type, object_id, details)
     # concat_ws('|', actor, action, object_type, object_id, details)
     # audit_log WHERE tenant_id = 'scale' AND action NOT LIKE 'lists.%'"
  "flagged_or_blocked # id # id # transactions WHERE tenant_id = 'scale' AND sanctions_status <> 'CLEAR'"
)
# digest DB [rows]: "name|count|md5" per result set; with "rows", the rows.
digest() {
  local r name expr order from sql=""
  for r in "${results[@]}"; do
    IFS='#' read -r name expr order from <<<"$(echo "$r" | tr '\n' ' ')"
    name=${name// /}
    if [ "${2:-}" = rows ]; then
      sql+="SELECT '$name|' || $expr FROM $from ORDER BY $order;"
    else
      sql+="SELECT '$name', count(*), md5(coalesce(string_agg($expr, E'\n' ORDER BY $order), '')) FROM $from;"
    fi
  done
  psql -h "$sock" -U postgres -d "$1_$$" -AtX -v ON_ERROR_STOP=1 <<<"$sql"
}

new_db one
new_db many
echo "databases ready ($(elapsed))"
run_workers one 1
run_workers many "$workers"
digest one >"$tmp/one.digest"
digest many >"$tmp/many.digest"
echo "stored results (table|rows|md5), 1 worker:"
sed 's/^/  /' "$tmp/one.digest"
if ! diff -u "$tmp/one.digest" "$tmp/many.digest"; then
  echo "FAIL: $workers shard workers stored something else than 1 worker (diff above: - one, + many); first differing rows:"
  digest one rows >"$tmp/one.rows"
  digest many rows >"$tmp/many.rows"
  diff "$tmp/one.rows" "$tmp/many.rows" | head -n 20 | cut -c1-400
  exit 1
fi
awk -F'|' -v rows="$rows" '
  $1 == "transactions" && $2 != rows { print "FAIL: " $2 " transactions stored, want " rows; bad = 1 }
  $1 == "leads" && $2 != rows { print "FAIL: " $2 " leads stored, want " rows; bad = 1 }
  $1 == "screening_matches" && $2 == 0 { print "FAIL: no screening matches: the batch must hit the lists"; bad = 1 }
  END { exit bad }' "$tmp/one.digest"
"$bin/opskit" audit verify --db "host=$sock dbname=many_$$ user=opskit_app password=app-pw" --quiet ||
  { echo "FAIL: the audit chain of the sharded database does not verify"; exit 1; }
echo "PASS: $workers concurrent shard workers = 1 worker on $rows rows ($(elapsed) in all)"
