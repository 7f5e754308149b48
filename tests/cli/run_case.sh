#!/usr/bin/env bash
# Runs one golden CLI case: CASE_DIR/cmd in a fresh directory with the built
# executables first on PATH; compares stdout, stderr and the exit code with
# CASE_DIR/{stdout,stderr,exit}. OPSKIT_GOLDEN_UPDATE=1 rewrites them.
set -uo pipefail
case_dir=$(cd "$1" && pwd)
bin_dir=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for v in $(env | grep -o '^OPSKIT_[A-Z_]*' | grep -v -e OPSKIT_PG_DIR -e OPSKIT_GOLDEN_UPDATE); do unset "$v"; done
export PATH="$bin_dir:$PATH" OPSKIT_BIN="$bin_dir" HOME="$work" XDG_CONFIG_HOME="$work/.config" TZ=UTC LC_ALL=C
OPSKIT_SOURCE_DIR="$(cd "$case_dir/../../../.." && pwd)"
export OPSKIT_LOG_FORMAT=text OPSKIT_SOURCE_DIR CASE_DIR="$case_dir"
cd "$work" || exit 1
bash "$case_dir/cmd" >"$work/.out" 2>"$work/.err"
echo $? >"$work/.exit"
# Paths and versions differ between machines; the goldens hold placeholders.
normalise() { sed -e "s#$work#\$WORK#g" -e "s#$OPSKIT_SOURCE_DIR#\$SRC#g" -e 's/(commit [0-9a-f]*)/(commit X)/; s/(commit unknown)/(commit X)/' "$1"; }
if [ "${OPSKIT_GOLDEN_UPDATE:-}" = 1 ]; then
  normalise "$work/.out" >"$case_dir/stdout"
  normalise "$work/.err" >"$case_dir/stderr"
  cp "$work/.exit" "$case_dir/exit"
  echo "updated $(basename "$case_dir")"
  exit 0
fi
status=0
for f in stdout stderr exit; do
  src=".${f#std}"; [ "$f" = exit ] && src=.exit; [ "$f" = stdout ] && src=.out; [ "$f" = stderr ] && src=.err
  if ! diff -u "$case_dir/$f" <(normalise "$work/$src") >"$work/.diff"; then
    echo "$(basename "$case_dir"): $f differs from the golden file:"; cat "$work/.diff"; status=1
  fi
done
exit $status
