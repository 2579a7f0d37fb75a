#!/usr/bin/env bash
# The writer's output must load in BIND, NSD and Knot, hold the same records
# as the input (as BIND's canonical dump sees them), and be a fixed point:
# checking and writing it again gives the same bytes.
# usage: zone_roundtrip.sh SIGNET SOURCE_DIR
set -euo pipefail
signet=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

zones=(
  "example.nl $src/conf/example.nl.zone"
  "example $src/tests/data/zones/rfc5155-example.zone"
  "example $src/tests/data/zones/all-types.zone"
  "example $src/tests/data/zones/include/main.zone"
)
"$src/tools/genzone" --origin gen.example --seed 7 --kind hoster 3000 > "$work/hoster.zone"
"$src/tools/genzone" --origin gen.example --seed 8 --kind tld 3000 > "$work/tld.zone"
zones+=("gen.example $work/hoster.zone" "gen.example $work/tld.zone")

dump() { # origin file -> BIND's canonical dump, sorted
  # BIND takes $INCLUDE paths relative to its working directory; Signet (like
  # NSD) relative to the including file. Run it beside the file.
  (cd "$(dirname "$2")" && named-compilezone -q -k ignore -i none -s full -D -o - "$1" "$(basename "$2")") |
    LC_ALL=C sort
}

failures=0
for entry in "${zones[@]}"; do
  read -r origin file <<<"$entry"
  name=$(basename "$file")
  out="$work/$name.out"
  if ! "$signet" zone check --origin "$origin" "$file" --write "$out" >/dev/null 2>"$work/err"; then
    echo "FAIL $name: signet rejected it: $(head -3 "$work/err")"
    failures=$((failures + 1))
    continue
  fi
  ok=1
  # "-i local": BIND would otherwise look up every out-of-zone NS and MX
  # target through the system resolver, which tests the network, not the file.
  named-checkzone -q -k fail -i local "$origin" "$out" || { echo "FAIL $name: named-checkzone rejects our output"; ok=0; }
  kzonecheck -o "$origin" "$out" >/dev/null || { echo "FAIL $name: kzonecheck rejects our output"; ok=0; }
  nsd-checkzone "$origin" "$out" >/dev/null || { echo "FAIL $name: nsd-checkzone rejects our output"; ok=0; }
  if ! diff <(dump "$origin" "$file") <(dump "$origin" "$out") >"$work/diff"; then
    echo "FAIL $name: records differ from the input:"; head -20 "$work/diff"; ok=0
  fi
  "$signet" zone check --origin "$origin" "$out" --write "$out.again" >/dev/null 2>&1 \
    && cmp -s "$out" "$out.again" || { echo "FAIL $name: writing our output again changes it"; ok=0; }
  if [ $ok = 1 ]; then
    echo "ok   $name ($(wc -l <"$out") records)"
  else
    failures=$((failures + 1))
  fi
done

# A zone with an error: exit 1, file:line:column on stderr, and the previous
# output left exactly as it was.
bad="$src/tests/data/zones/bad/bad_address.zone"
echo "previous output" > "$work/keep.zone"
cp "$work/keep.zone" "$work/keep.orig"
status=0
"$signet" zone check --origin example "$bad" --write "$work/keep.zone" >/dev/null 2>"$work/err" || status=$?
if [ $status -ne 1 ] || ! grep -q "^$bad:5:7: " "$work/err" || ! cmp -s "$work/keep.zone" "$work/keep.orig"; then
  echo "FAIL bad zone: status $status, stderr: $(cat "$work/err")"
  failures=$((failures + 1))
else
  echo "ok   bad zone rejected with its file:line:column, previous output intact"
fi
# --write replaces a regular file; a symbolic link (even to /dev/stdout) or
# a device is refused and left as it was.
good="$src/conf/example.nl.zone"
ln -s "$work/keep.orig" "$work/link.zone"
for target in "$work/link.zone" /dev/null; do
  status=0
  "$signet" zone check --origin example.nl "$good" --write "$target" >/dev/null 2>"$work/err" || status=$?
  if [ $status -eq 1 ] && grep -q "symbolic link\|not a regular file" "$work/err" &&
    { [ "$target" = /dev/null ] || { [ -L "$work/link.zone" ] && cmp -s "$work/keep.orig" "$work/keep.zone"; }; }; then
    echo "ok   --write $target refused: $(head -1 "$work/err")"
  else
    echo "FAIL --write $target: status $status, $(cat "$work/err")"
    failures=$((failures + 1))
  fi
done
# Usage errors exit 2.
status=0
"$signet" zone check "$bad" >/dev/null 2>&1 || status=$?
[ $status -eq 2 ] && echo "ok   usage error exits 2" || { echo "FAIL usage error exited $status"; failures=$((failures + 1)); }

echo "$failures failures"
[ $failures -eq 0 ]
