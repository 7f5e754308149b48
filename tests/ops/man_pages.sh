#!/usr/bin/env bash
# Each tool's man page renders with man -l and names every option and
# subcommand that its --help lists, at every level.
set -euo pipefail
src=$1 bin=${OPSKIT_BIN:?}
status=0
for tool in opskit screen score-leads capture scan-endpoint simulate report; do
  [ -x "$bin/$tool" ] || { echo "SKIP $tool: not built"; continue; }
  page="$src/man/$tool.1"
  [ -f "$page" ] || { echo "$tool: no man page"; status=1; continue; }
  if ! MANWIDTH=100 man -l "$page" >/dev/null 2>&1; then echo "$tool: man -l $page fails"; status=1; fi
  python3 - "$bin/$tool" "$page" <<'PY' || status=1
import re, subprocess, sys
tool, page = sys.argv[1], sys.argv[2]
text = open(page).read().replace('\\-', '-').replace('\\fB', '').replace('\\fR', '').replace('\\fI', '')
missing, seen = [], set()
def walk(path):
    out = subprocess.run([tool] + path + ['--help'], capture_output=True, text=True).stdout
    section = None
    for line in out.splitlines():
        if re.match(r'^\S.*:$', line):
            section = line.strip()[:-1]
            continue
        m = re.match(r'^\s+((?:-\w, )?--[\w-]+|-\w)', line)
        if section and section.lower().startswith('option') and m:
            for opt in re.findall(r'--[\w-]+', m.group(1)):
                if opt not in ('--help',) and opt not in text and opt not in seen:
                    missing.append(' '.join(path) + ' ' + opt); seen.add(opt)
        m = re.match(r'^\s+([a-z][\w-]*)\s', line)
        if section and section.lower().startswith('subcommand') and m:
            sub = m.group(1)
            if sub not in text:
                missing.append('subcommand ' + ' '.join(path + [sub]))
            if sub != 'completion' or path:
                walk(path + [sub])
walk([])
if missing:
    print(f"{tool}: man page {page} does not name: " + ', '.join(missing))
    sys.exit(1)
print(f"{tool}: man page names every option and subcommand of --help")
PY
done
exit $status
