#!/usr/bin/env bash
# make install: the executables (with PROGRAM_PREFIX, since GNU screen owns
# the name `screen` on many systems), man pages, completions, job files.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
: "${PREFIX:=/usr/local}" "${PROGRAM_PREFIX:=}" "${BUILD:=build}" "${DESTDIR:=}"
root="$DESTDIR$PREFIX"
install -d "$root/bin" "$root/share/man/man1" "$root/share/man/man5" "$root/share/opskit/jobs" \
  "$root/share/bash-completion/completions" "$root/share/zsh/site-functions"
for tool in opskit screen score-leads capture scan-endpoint simulate report; do
  exe="$here/$BUILD/bin/$tool"
  [ -x "$exe" ] || continue
  name="$PROGRAM_PREFIX$tool"
  [ "$tool" = opskit ] && name=opskit  # the admin tool's own name never clashes
  install -m 755 "$exe" "$root/bin/$name"
  "$exe" completion bash | sed "s/ $tool\$/ $name/" > "$root/share/bash-completion/completions/$name"
  "$exe" completion zsh | sed "s/^#compdef $tool\$/#compdef $name/; s/^compdef \(.*\) $tool\$/compdef \1 $name/" > "$root/share/zsh/site-functions/_$name"
  if [ -f "$here/man/$tool.1" ]; then
    install -m 644 "$here/man/$tool.1" "$root/share/man/man1/$name.1"
  fi
done
[ -f "$here/man/opskit.yaml.5" ] && install -m 644 "$here/man/opskit.yaml.5" "$root/share/man/man5/opskit.yaml.5"
cp -r "$here/jobs/." "$root/share/opskit/jobs/"
echo "installed into $root (program prefix '${PROGRAM_PREFIX}')"
