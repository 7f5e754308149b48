#!/usr/bin/env bash
# make package-smoke: the .deb installs on a clean Debian 12 and works there.
# Builds the package (cpack in BUILD), bootstraps a fresh minimal Debian 12
# root with debootstrap from the mirror apt already uses, installs the .deb
# with `apt-get install ./opskit_*.deb` (dependencies from the mirror) and runs
# a smoke test inside the chroot: --version with the git commit, db migrate
# and tenant add on SQLite, every tool's --help, man pages, and one real
# command per tool on a tiny input from examples/.
#
# Usage: tests/ops/package_smoke.sh SRC BUILD
# Needs root (chroot, mounts), debootstrap and the Debian mirror. Downloaded
# .debs are kept in BUILD/package-smoke/cache so a rerun fetches nothing new;
# the root itself is bootstrapped afresh every run and removed afterwards
# (OPSKIT_SMOKE_KEEP=1 keeps it for a look).
# Environment: OPSKIT_DEBIAN_MIRROR overrides the mirror found in
# /etc/apt/sources.list*; OPSKIT_SMOKE_DEB tests that .deb instead of building one. Exit 0 pass, 1 a smoke check failed, 2 usage or
# missing prerequisites.
set -euo pipefail
src=$(realpath "${1:?usage: package_smoke.sh SRC BUILD}")
build=$(realpath "${2:?usage: package_smoke.sh SRC BUILD}")
started=$(date +%s)
say() { printf 'package-smoke: %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { say "needs root (debootstrap, chroot)"; exit 2; }
command -v debootstrap >/dev/null || { say "debootstrap is not installed (make deps)"; exit 2; }

# The mirror apt uses here: deb822 (URIs:) or one-line (deb URL SUITE ...) sources.
mirror=${OPSKIT_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}')
fi
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && $0 ~ /bookworm/ && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}')
fi
mirror=${mirror:-http://deb.debian.org/debian}
security=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
  awk '/^(URIs:|deb )/' | grep -o 'http[^ ]*debian-security' | head -n 1 || true)
security=${security:-${mirror%/debian}/debian-security}

if [ -n "${OPSKIT_SMOKE_DEB:-}" ]; then
  deb=$(realpath "$OPSKIT_SMOKE_DEB")  # a package built elsewhere (e.g. a CI artifact)
else
  say "building the package in $build"
  cmake --build "$build" -j "${JOBS:-2}" --target opskit screen score-leads capture scan-endpoint simulate report >/dev/null
  rm -f "$build"/opskit_*.deb
  (cd "$build" && cpack -G DEB >/dev/null)
  deb=$(ls "$build"/opskit_*.deb)
fi
say "package $(basename "$deb"), $(du -k "$deb" | cut -f1) kB; mirror $mirror"

work=$build/package-smoke
mkdir -p "$work/cache"
root=$(mktemp -d "$work/root.XXXXXX")
cleanup() {
  for m in proc sys dev/pts; do umount "$root/$m" 2>/dev/null || true; done
  if [ "${OPSKIT_SMOKE_KEEP:-0}" = 1 ]; then say "root kept in $root"; else rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT

say "debootstrap bookworm (minbase) into $root"
if ! debootstrap --variant=minbase --cache-dir="$work/cache" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log"; say "debootstrap failed (log: $work/debootstrap.log)"; exit 1
fi
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mkdir -p "$root/smoke"
cp "$deb" "$root/smoke/"
cp -r "$src/examples" "$root/smoke/examples"

# Everything below runs inside the clean root, as an operator would.
cat >"$root/smoke/run.sh" <<'SMOKE'
#!/bin/bash
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 TZ=UTC
check() { printf 'smoke: %s\n' "$*"; }
fail() { printf 'smoke: FAILED: %s\n' "$*"; exit 1; }
cd /smoke
apt-get update -qq -o APT::Sandbox::User=root
# man-db too, so that `man opskit-screen` is checked for real.
apt-get install -y -qq -o APT::Sandbox::User=root --no-install-recommends ./opskit_*.deb man-db >/tmp/apt.log 2>&1 || { tail -n 30 /tmp/apt.log; fail "apt-get install ./opskit_*.deb"; }
check "installed: $(dpkg-query -W -f='${Package} ${Version}' opskit)"

version=$(opskit --version)
echo "$version" | grep -Eq "^opskit $EXPECT_VERSION \(commit [0-9a-f]{7,40}\)" || fail "opskit --version printed '$version'"
check "opskit --version: $version"
db=/smoke/opskit.db
opskit db migrate --db "$db" --quiet || fail "opskit db migrate"
opskit tenant add smoke --name "Smoke Ltd" --db "$db" --quiet || fail "opskit tenant add"
opskit tenant list --db "$db" --format csv | grep -q '^smoke,' || fail "tenant smoke not listed"
check "db migrate and tenant add on SQLite"
for t in opskit opskit-screen opskit-score-leads opskit-capture opskit-scan-endpoint opskit-simulate opskit-report; do
  "$t" --help >/dev/null || fail "$t --help"
  "$t" --version | grep -q "$EXPECT_VERSION" || fail "$t --version"
  page=$([ "$t" = opskit ] && echo opskit || echo "$t")
  man -w "$page" >/dev/null 2>&1 || fail "man $page does not resolve"
  man "$page" 2>/dev/null | grep -q . || fail "man $page renders nothing"
done
man -w 5 opskit.yaml >/dev/null 2>&1 || fail "man 5 opskit.yaml does not resolve"
check "--help, --version and man pages of all seven executables"
for t in opskit opskit-screen opskit-score-leads opskit-capture opskit-scan-endpoint opskit-simulate opskit-report; do
  grep -q -- " $t\$" "/usr/share/bash-completion/completions/$t" || fail "no bash completion for $t"
  head -n 1 "/usr/share/zsh/site-functions/_$t" | grep -qx "#compdef $t" || fail "no zsh completion for $t"
  bash -c "source /usr/share/bash-completion/completions/$t" || fail "the bash completion of $t does not load"
done
check "bash and zsh completion for all seven executables, under their installed names"

export OPSKIT_DB=$db OPSKIT_TENANT=smoke OPSKIT_NOW=2026-11-22T02:00:00Z
ex=/smoke/examples
rc=0
opskit-screen lists update --from "$ex/screen/lists" --quiet >/dev/null || fail "screen lists update"
opskit-screen batch "$ex/screen/transactions.csv" --quiet --format csv >/tmp/screen.csv || rc=$?
[ "$rc" -le 1 ] || fail "screen batch exited $rc"
n=$(opskit-screen batch "$ex/screen/transactions.csv" --quiet --dry-run --format csv | grep -c -E 'FLAGGED|BLOCKED' || true)
[ "$n" -ge 1 ] || fail "screen batch found no flagged or blocked row in the example"
check "screen: lists update + batch ($n flagged/blocked rows)"

opskit-score-leads train "$ex/score-leads/history.csv" --spec "$ex/score-leads/spec.yaml" --promote --quiet >/dev/null || fail "score-leads train"
scored=$(opskit-score-leads score "$ex/score-leads/new_leads.csv" --format csv --quiet | tail -n +2 | wc -l)
[ "$scored" -eq "$(tail -n +2 "$ex/score-leads/new_leads.csv" | wc -l)" ] || fail "score-leads scored $scored leads"
check "score-leads: train + score ($scored leads)"

opskit-capture example /tmp/office.pcap --seed 42 --quiet || fail "capture example"
rc=0; opskit-capture file /tmp/office.pcap --records summary --format json --quiet >/tmp/capture.json || rc=$?
[ "$rc" -le 1 ] && [ -s /tmp/capture.json ] || fail "capture file exited $rc"
check "capture: example pcap decoded"

rc=0; opskit-scan-endpoint grade "$ex/scan-endpoint/staging-response.txt" --url http://staging.example.com/ --format json >/tmp/grade.json || rc=$?
[ "$rc" -le 1 ] && grep -q grade /tmp/grade.json || fail "scan-endpoint grade exited $rc"
check "scan-endpoint: grade of a stored response"

opskit-simulate graph import "$ex/simulate/graph.yaml" --replace --quiet || fail "simulate graph import"
opskit-simulate run --set price=+10% --mode do --horizon 30d --format csv --quiet >/tmp/sim.csv || fail "simulate run"
[ "$(wc -l </tmp/sim.csv)" -gt 1 ] || fail "simulate run printed nothing"
check "simulate: graph import + run"

opskit-report summary --format html --out /tmp/summary.html --quiet || fail "report summary"
grep -q '<html' /tmp/summary.html || fail "report summary wrote no HTML"
check "report: summary HTML ($(wc -c </tmp/summary.html) bytes)"
opskit audit verify --db "$db" --tenant smoke --quiet || fail "audit verify"
check "audit chain verifies"
SMOKE
chmod +x "$root/smoke/run.sh"
expect_version=$(sed -n 's/^project(opskit VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
say "installing and smoke-testing inside the chroot"
status=0
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root EXPECT_VERSION="$expect_version" /smoke/run.sh || status=$?
secs=$(( $(date +%s) - started ))
if [ "$status" = 0 ]; then say "PASS in ${secs}s"; else say "FAIL (exit $status) after ${secs}s"; exit 1; fi
