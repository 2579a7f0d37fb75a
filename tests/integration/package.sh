#!/usr/bin/env bash
# The Debian package: tools/package builds it from the build directory,
# lintian finds no error in it, dpkg installs it into a scratch root (its
# own database, no root needed), and what it installed works: the programs
# run, the pages render, the unit names the installed daemon, the example
# zone checks, and every dependency is a package this machine has in a
# version that satisfies it.
# usage: package.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
source_dir=$(realpath "$2")
work=$(mktemp -d)
trap '[ -n "${SIGNET_KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
unset SIGNET_STATE SIGNET_NOW SIGNET_PIN

. "$(dirname "$0")/lib.sh"

deb=$("$source_dir/tools/package" "$build")
case $deb in
  "$build"/signet_*_"$(dpkg --print-architecture)".deb) pass "tools/package wrote $(basename "$deb")" ;;
  *) failed "tools/package wrote '$deb'"; exit 1 ;;
esac

# lintian: errors fail; warnings and the rest are shown.
lintian --pedantic "$deb" >"$work/lintian" 2>&1 || true
if grep -q '^E: ' "$work/lintian"; then
  failed "lintian: $(grep '^E: ' "$work/lintian" | tr '\n' ' ')"
else
  pass "lintian: no errors ($(grep -c '^[WIP]: ' "$work/lintian" || true) warnings and notes)"
fi
sed 's/^/     /' "$work/lintian"

if dpkg-deb -c "$deb" | awk '$2 != "root/root"' | grep -q .; then
  failed "files not owned by root: $(dpkg-deb -c "$deb" | awk '$2 != "root/root"' | head -3)"
else
  pass "every file is root:root"
fi

root=$work/root
admin=$work/admin
mkdir -p "$root" "$admin/info" "$admin/updates"
touch "$admin/status"
# The scratch database knows no other package: dependencies are checked
# against this machine's below.
if dpkg --instdir="$root" --admindir="$admin" --force-not-root --force-script-chrootless --force-depends \
  -i "$deb" >"$work/dpkg" 2>&1; then
  pass "dpkg -i into a scratch root"
else
  failed "dpkg -i: $(tail -3 "$work/dpkg")"
  exit 1
fi
if dpkg --instdir="$root" --admindir="$admin" --verify signet >"$work/verify" 2>&1; then
  pass "dpkg --verify: installed files match md5sums"
else
  failed "dpkg --verify: $(head -3 "$work/verify")"
fi

depends=$(dpkg-deb -f "$deb" Depends)
unmet=()
IFS=, read -ra deps <<<"$depends"
for dep in "${deps[@]}"; do
  read -r name op version <<<"$(tr -d '()' <<<"$dep")"
  have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null || true)
  if [ -z "$have" ] || { [ -n "${op:-}" ] && ! dpkg --compare-versions "$have" "$op" "$version"; }; then
    unmet+=("$dep")
  fi
done
if [ ${#unmet[@]} -eq 0 ]; then
  pass "Depends: ${#deps[@]} packages, each installed here in a version that satisfies it"
else
  failed "Depends not met here: ${unmet[*]}"
fi
case $depends in *softhsm2*) ;; *) failed "Depends lacks softhsm2: $depends" ;; esac

for program in usr/bin/signet usr/sbin/signetd; do
  if readelf -S "$root/$program" | grep -qE '\.(symtab|debug_info)'; then
    failed "$program is not stripped"
  fi
done
pass "the programs are stripped"

signet=$root/usr/bin/signet
signetd=$root/usr/sbin/signetd
if "$signet" --help >"$work/help" && grep -q 'zone' "$work/help" && grep -q -- '--state' "$work/help"; then
  pass "installed signet --help"
else
  failed "installed signet --help: $(head -3 "$work/help")"
fi
if [ "$("$signet" --version)" = "$(dpkg-deb -f "$deb" Version | sed 's/-[^-]*$//')" ]; then
  pass "installed signet --version is the package's upstream version"
else
  failed "installed signet --version: $("$signet" --version)"
fi
if "$signetd" --help | grep -q -- '--state'; then
  pass "installed signetd --help"
else
  failed "installed signetd --help"
fi
if "$signet" zone check --origin example.nl "$root/usr/share/doc/signet/examples/example.nl.zone" \
  >/dev/null 2>"$work/check"; then
  pass "the example zone checks"
else
  failed "the example zone: $(head -3 "$work/check")"
fi

# The unit starts the daemon the package installed, which finds the signet
# it installed (in ../bin).
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$root/lib/systemd/system/signetd.service")
if [ "$exec_start" = /usr/sbin/signetd ] && [ -x "$root$exec_start" ]; then
  pass "signetd.service starts $exec_start, which the package installs"
else
  failed "signetd.service ExecStart=$exec_start"
fi
# Without a state dir it stops at the state dir, not for want of signet.
timeout 10 "$signetd" --state "$work/no-state" >/dev/null 2>"$work/signetd" || true
if grep -q 'no signet program' "$work/signetd"; then
  failed "installed signetd does not find the installed signet: $(head -1 "$work/signetd")"
else
  pass "installed signetd finds the installed signet"
fi

# Each page renders from where it is installed: its NAME line, and for
# signet(1) every command --help lists.
for page in man1/signet.1.gz man5/signet.toml.5.gz man8/signetd.8.gz; do
  file=$root/usr/share/man/$page
  name=$(basename "$page" | sed 's/\.[0-9]\.gz$//')
  MANWIDTH=80 man -l "$file" 2>"$work/man.err" | col -b >"$work/page" || true
  if ! grep -A1 '^NAME' "$work/page" | grep -q "^ *$name - " || [ -s "$work/man.err" ]; then
    failed "man -l $page: $(head -3 "$work/page") $(head -3 "$work/man.err")"
    continue
  fi
  missing=()
  if [ "$name" = signet ]; then
    for command in $(sed -n '/^Subcommands:/,$p' "$work/help" | awk 'NR > 1 && /^  [a-z]/ {print $1}'); do
      grep -q "^   signet $command\$" "$work/page" || missing+=("$command")
    done
  fi
  if [ ${#missing[@]} -eq 0 ]; then
    pass "man -l $page renders ($(wc -l <"$work/page") lines)"
  else
    failed "man -l $page lacks the commands: ${missing[*]}"
  fi
done

[ "$failures" -eq 0 ]
