#!/usr/bin/env bash
# score-leads bench: accuracy on the real datasets in ../shared/data/leads
# (our models vs scikit-learn HistGradientBoosting and XGBoost with default
# settings on the same folds and holdout), then training and scoring speed.
# Prints each figure with the command that produced it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${OPSKIT_BIN:-$root/build/bin}
data=${OPSKIT_SHARED_DATA:-$root/../shared/data}/leads
specs=$root/lib/leads/specs
export TZ=UTC LC_ALL=C
if [ ! -f "$data/bank-additional-full.csv" ]; then
  echo "leads bench: $data is absent; skipping"
  exit 0
fi

run() {  # prints the command, then its output
  echo "\$ $*"
  "$@"
  echo
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run "$bin/score-leads" evaluate "$data/bank-additional-full.csv" --spec "$specs/bank-marketing.yaml" --folds 5 --holdout 0.2 --bins 5 --folds-file "$tmp/bank.folds"
run "$bin/score-leads" evaluate "$data/xeducation-Leads.csv" --spec "$specs/xeducation.yaml" --folds 5 --holdout 0 --select cv_auc --bins 5 --folds-file "$tmp/xed.folds"

# Baselines: the bench may install them; the product never needs them.
py=/usr/bin/python3
if ! $py -c 'import sklearn, xgboost' 2>/dev/null; then
  if command -v apt-get >/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-sklearn python3-xgboost >/dev/null || true
  fi
fi
if $py -c 'import sklearn, xgboost' 2>/dev/null; then
  run $py "$here/leads_baseline.py" "$data" "$tmp/bank.folds" "$tmp/xed.folds"
else
  echo "leads bench: python3-sklearn / python3-xgboost unavailable; baseline skipped"
fi

# Speed: fit time on 41,188 rows; in-memory scoring rates per CPU second,
# pinned to one core so other load on the machine does not change them.
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
run "${pin[@]}" "$bin/score-leads" speed "$data/bank-additional-full.csv" --spec "$specs/bank-marketing.yaml" --repeat 20

# End to end: CSV in, scores and reasons out (no database writes).
"$bin/opskit" db migrate --db "$tmp/b.db" >/dev/null && "$bin/opskit" tenant add bench --db "$tmp/b.db" >/dev/null
"$bin/score-leads" train "$data/bank-additional-full.csv" --spec "$specs/bank-marketing.yaml" --models linear \
  --promote --db "$tmp/b.db" --tenant bench --quiet >/dev/null
echo "\$ time score-leads score bank-additional-full.csv --dry-run --format csv > /dev/null"
start=$(date +%s.%N)
"$bin/score-leads" score "$data/bank-additional-full.csv" --db "$tmp/b.db" --tenant bench --dry-run --quiet --format csv >/dev/null
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "end-to-end score with reasons: %d rows/s (CSV parse + score + reasons + CSV output)\n", 41188 / (e - s) }'
