#!/usr/bin/env bash
# make install with PROGRAM_PREFIX puts prefixed executables, man pages and
# completions under DESTDIR; the installed binaries run.
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
DESTDIR="$tmp/root" PREFIX=/usr PROGRAM_PREFIX=opskit- BUILD="$(realpath --relative-to="$src" "$build")" bash "$src/jobs/install.sh" >/dev/null
test -x "$tmp/root/usr/bin/opskit"
"$tmp/root/usr/bin/opskit" --version | grep -q '^opskit 0.1.0 (commit '
test -f "$tmp/root/usr/share/man/man1/opskit.1"
test -f "$tmp/root/usr/share/man/man5/opskit.yaml.5"
grep -q 'complete -o default -F _opskit_opskit opskit' "$tmp/root/usr/share/bash-completion/completions/opskit"
for t in screen score-leads capture scan-endpoint simulate report; do
  if [ -x "$build/bin/$t" ]; then test -x "$tmp/root/usr/bin/opskit-$t" || { echo "opskit-$t not installed"; exit 1; }; fi
done
echo "installed: $(ls "$tmp/root/usr/bin" | tr '\n' ' ')"
