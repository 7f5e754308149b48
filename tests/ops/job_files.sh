#!/usr/bin/env bash
# Every job file is valid: shellcheck on scripts, systemd-analyze verify on
# the units, every YAML file parses, the crontab lines have five time fields.
set -euo pipefail
src=$1
cd "$src"
status=0
scripts=$(ls jobs/*.sh examples/*/*.sh tests/support/*.sh tests/ops/*.sh tests/cli/run_case.sh .ci/run 2>/dev/null)
if command -v shellcheck >/dev/null; then
  # shellcheck disable=SC2086
  shellcheck -S warning $scripts || status=1
else
  echo "SKIP shellcheck: not installed"
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if command -v systemd-analyze >/dev/null; then
  for u in jobs/systemd/*; do
    name=$(basename "$u"); name=${name/@./@acme.}
    sed "s#/usr/local/share/opskit/jobs/nightly.sh#$src/jobs/nightly.sh#" "$u" > "$tmp/$name"
  done
  out=$(cd "$tmp" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./*.service ./*.timer 2>&1 | grep -v -e "User=opskit" -e "Group=opskit" -e "unknown user" -e "Failed to resolve" || true)
  if [ -n "$out" ]; then echo "systemd-analyze verify: $out"; status=1; else echo "systemd units verify"; fi
else
  echo "SKIP systemd-analyze: not installed"
fi
for y in $(find jobs examples -name '*.yml' -o -name '*.yaml' | sort); do
  python3 -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$y" || { echo "YAML does not parse: $y"; status=1; }
done
grep -vE '^\s*(#|$|[A-Z_]+=)' jobs/crontab | while read -r line; do
  n=$(echo "$line" | awk '{print NF}')
  [ "$n" -ge 6 ] || { echo "crontab line without five time fields: $line"; exit 1; }
done || status=1
exit $status
