#!/usr/bin/env bash
# signet sign through the command line, checked by independent validators:
# generated zones with NSEC, NSEC3 and NSEC3 opt-out, for algorithms 8, 13
# and 15, must pass BIND's dnssec-verify, ldns-verify-zone and Knot's
# kzonecheck, and signet verify. Then the failure cases: each must give a
# clear error and leave the previous output, the store and the keys as they
# were.
# usage: sign_validate.sh SIGNET SOURCE_DIR
set -euo pipefail
signet=$1
src=$2
work=$(mktemp -d)
trap '[ -n "${SIGNET_KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
state=$work/state
export SIGNET_STATE=$state
unset SIGNET_PIN SIGNET_NOW

. "$(dirname "$0")/lib.sh"

"$signet" init >/dev/null

# Policies for every combination, added to the generated config.
for alg in rsasha256 ecdsap256sha256 ed25519; do
  for denial in nsec nsec3 optout; do
    cat >>"$state/signet.toml" <<TOML

[policy.$alg-$denial]
algorithm = "$alg"
denial = "$([ $denial = nsec ] && echo nsec || echo nsec3)"
nsec3-opt-out = $([ $denial = optout ] && echo true || echo false)
TOML
  done
done
# A salted, iterated variant, as older deployments still use, that also
# tells a (pretend) name server to reload.
cat >>"$state/signet.toml" <<TOML

[policy.salted]
denial = "nsec3"
nsec3-iterations = 5
nsec3-salt-length = 8
serial = "counter"
notify-command = "sh -c 'echo reload \"\$1\" >>$work/notified' notify {zone}"
TOML

# Under the sanitizers smaller zones of the same kinds: the same code runs,
# several times slower, and the validators have less to read.
size=2500
case "$signet" in *asan*) size=800 ;; esac
"$src/tools/genzone" --origin hoster.test --seed 11 --kind hoster $size >"$work/hoster.zone"
"$src/tools/genzone" --origin tld.test --seed 12 --kind tld $size >"$work/tld.zone"

validate() { # origin file label
  local origin=$1 file=$2 label=$3 ok=1
  dnssec-verify -q -o "$origin" "$file" >"$work/v.out" 2>&1 || { failed "$label: dnssec-verify: $(tail -3 "$work/v.out")"; ok=0; }
  ldns-verify-zone "$file" >"$work/v.out" 2>&1 || { failed "$label: ldns-verify-zone: $(tail -3 "$work/v.out")"; ok=0; }
  kzonecheck --dnssec on -o "$origin" "$file" >"$work/v.out" 2>&1 || { failed "$label: kzonecheck: $(tail -3 "$work/v.out")"; ok=0; }
  "$signet" verify --origin "$origin" "$file" >"$work/v.out" 2>&1 || { failed "$label: signet verify: $(tail -3 "$work/v.out")"; ok=0; }
  # A master file starts with the SOA (RFC 1035 §5.2), its signature next.
  head -2 "$file" | awk -v o="$origin." 'NR == 1 && !($1 == o && $4 == "SOA") || NR == 2 && !($4 == "RRSIG" && $5 == "SOA") { bad = 1 } END { exit bad }' ||
    { failed "$label: the file does not open with the SOA and its RRSIG: $(head -2 "$file" | cut -c1-60 | tr '\n' ' ')"; ok=0; }
  [ $ok = 1 ] && pass "$label: dnssec-verify, ldns-verify-zone, kzonecheck and signet verify accept it; it opens with its SOA"
  return 0
}

for alg in rsasha256 ecdsap256sha256 ed25519; do
  for denial in nsec nsec3 optout; do
    kind=$([ $denial = optout ] && echo tld || echo hoster)
    zone=$alg-$denial.$kind.test
    sed "s/$kind\.test\./$zone./g" "$work/$kind.zone" >"$work/$zone.zone"
    "$signet" zone add "$zone" --input "$work/$zone.zone" --output "$work/$zone.signed" --policy "$alg-$denial" >/dev/null
    if "$signet" sign "$zone" >"$work/sign.out" 2>&1; then
      validate "$zone" "$work/$zone.signed" "$alg $denial"
    else
      failed "$alg $denial: signet sign: $(tail -3 "$work/sign.out")"
    fi
  done
done

# The RFC 5155 example zone and the quick-start zone, salted and iterated.
for entry in "example $src/tests/data/zones/rfc5155-example.zone" "example.nl $src/conf/example.nl.zone"; do
  read -r origin file <<<"$entry"
  "$signet" zone add "$origin" --input "$file" --output "$work/$origin.signed" --policy salted >/dev/null
  "$signet" sign "$origin" >/dev/null 2>&1 || failed "sign $origin"
  validate "$origin" "$work/$origin.signed" "$origin (salted NSEC3)"
done
[ "$(cat "$work/notified")" = "$(printf 'reload example.\nreload example.nl.')" ] &&
  pass "the notify command ran after each write, with the zone's name" || failed "notify: $(cat "$work/notified")"
# Signing an unchanged zone again does nothing: same file (bytes and
# mtime), same serial, no notify; --force makes a new version with a new
# serial (policy counter) and the same two keys.
serial1=$(awk '$4 == "SOA" {print $7; exit}' "$work/example.nl.signed")
before=$(stat -c '%Y %i' "$work/example.nl.signed"; sha256sum <"$work/example.nl.signed")
sleep 1
"$signet" sign example.nl >"$work/sign.out" 2>&1 || failed "second sign of example.nl"
after=$(stat -c '%Y %i' "$work/example.nl.signed"; sha256sum <"$work/example.nl.signed")
grep -q "unchanged (serial $serial1); next work at " "$work/sign.out" && [ "$before" = "$after" ] &&
  [ "$(grep -c . "$work/notified")" = 2 ] &&
  pass "re-signing an unchanged zone writes nothing and notifies no one" || failed "unchanged re-sign: $(cat "$work/sign.out")"
"$signet" sign --force example.nl >/dev/null 2>&1 || failed "forced sign of example.nl"
serial2=$(awk '$4 == "SOA" {print $7; exit}' "$work/example.nl.signed")
[ "$serial2" = $((serial1 + 1)) ] && pass "re-signing with --force raises the serial ($serial1 -> $serial2)" || failed "serial $serial1 -> $serial2"
[ "$(grep -c 'IN DNSKEY' "$work/example.nl.signed")" = 2 ] && pass "re-signing keeps the same two keys" || failed "DNSKEY count changed"

# signet ds prints the DS of the KSK, matching what dnssec-dsfromkey makes of
# the published DNSKEY.
"$signet" ds example.nl | grep -v '^;' >"$work/ds.ours"
grep 'IN DNSKEY 257 ' "$work/example.nl.signed" >"$work/ksk.key"
dnssec-dsfromkey -2 -f "$work/ksk.key" example.nl | awk '{print $1, $(NF-3), $(NF-2), $(NF-1), $NF}' >"$work/ds.bind"
awk '{print $1, $(NF-3), $(NF-2), $(NF-1), $NF}' "$work/ds.ours" >"$work/ds.ours.short"
cmp -s "$work/ds.ours.short" "$work/ds.bind" && pass "signet ds agrees with dnssec-dsfromkey" ||
  failed "signet ds: $(cat "$work/ds.ours") vs $(cat "$work/ds.bind")"

# --- failure cases: nothing changes -------------------------------------
snapshot() { # what must not change: outputs, store rows, key objects
  # (token.object holds the token's login counters, which a wrong PIN moves
  # by design; the keys are the other objects.)
  { sha256sum "$work"/*.signed
    sqlite3 "$state/signet.db" 'select * from zone; select * from key;' | sha256sum
    find "$state/tokens" -type f -name '*.object' ! -name token.object | sort | xargs sha256sum
  } >"$1"
}

cp "$src/conf/example.nl.zone" "$work/good.zone"
sed 's/^www  *A .*/www A 192.0.2.300/' "$src/conf/example.nl.zone" >"$work/bad.zone"
sqlite3 "$state/signet.db" "update zone set input_path = '$work/bad.zone' where name = 'example.nl.'"
line=$(grep -n '^www' "$work/bad.zone" | cut -d: -f1)
expect_failure "malformed zone" "$work/bad.zone:$line:" "$signet" sign example.nl
sqlite3 "$state/signet.db" "update zone set input_path = '$work/good.zone' where name = 'example.nl.'"

SIGNET_PIN=000000 expect_failure "wrong PIN" "PIN" "$signet" sign --force example.nl
grep -q 000000 "$work/err" && failed "the wrong PIN appears in the message"

locator=$(sqlite3 "$state/signet.db" "select locator from key where role = 'zsk' and zone_id = (select id from zone where name = 'example.nl.')")
sqlite3 "$state/signet.db" "update key set locator = '00112233445566778899' where locator = '$locator'"
expect_failure "key missing from the token" "00112233445566778899" "$signet" sign --force example.nl
grep -q "example.nl" "$work/err" || failed "the missing-key message does not name the zone"
sqlite3 "$state/signet.db" "update key set locator = '$locator' where locator = '00112233445566778899'"

sqlite3 "$state/signet.db" "update zone set output_path = '$work/example.nl.signed/not-a-dir/out' where name = 'example.nl.'"
expect_failure "unwritable output directory" "not-a-dir" "$signet" sign --force example.nl
sqlite3 "$state/signet.db" "update zone set output_path = '$work/example.nl.signed' where name = 'example.nl.'"

# A full disk: the file size limit makes writes fail part-way (EFBIG); the
# store's own files are far below it.
# Its zone is large enough at any size of the others.
big=big.hoster.test
"$src/tools/genzone" --origin $big --seed 13 --kind hoster 2500 >"$work/$big.zone"
"$signet" zone add $big --input "$work/$big.zone" --output "$work/$big.signed" --policy ecdsap256sha256-nsec >/dev/null
"$signet" sign $big >/dev/null 2>&1 || failed "signing the zone for the disk-full case"
[ "$(stat -c %s "$work/$big.signed")" -gt 1100000 ] || failed "the zone for the disk-full case is too small"
expect_failure "disk full while writing" "cannot write" bash -c "trap '' XFSZ; ulimit -f 1000; exec \"$signet\" sign --force $big"

"$signet" sign --force example.nl >/dev/null 2>&1 && pass "after the failures, signing works again" || failed "signing after the failures"
[ "$(grep -c . "$work/notified")" = 4 ] && pass "no notify after a failed signing" || failed "notified $(grep -c . "$work/notified") times"

# A notify command that fails: the zone is written, the exit status says so.
sed -i "s|^notify-command = .*|notify-command = \"false\"|" "$state/signet.toml"
status=0
"$signet" sign --force example.nl >/dev/null 2>"$work/err" || status=$?
[ $status = 1 ] && grep -q "notify command" "$work/err" && "$signet" verify --origin example.nl "$work/example.nl.signed" >/dev/null &&
  pass "a failing notify command exits 1 after writing the zone" || failed "failing notify: status $status, $(cat "$work/err")"
status=0
"$signet" init >/dev/null 2>&1 || status=$?
[ $status = 1 ] && pass "init refuses an existing state dir" || failed "init over an existing state dir: status $status"

echo "$failures failures"
[ $failures -eq 0 ]
