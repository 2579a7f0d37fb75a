#!/usr/bin/env bash
# Moving in from OpenDNSSEC without a rollover: the real OpenDNSSEC 2.1
# (ods-enforcerd with its own SoftHSM2 token, ods-signerd; tests/integration/
# ods_lib.sh) runs zones into a stable state, the middle of a ZSK rollover
# and the middle of a KSK rollover waiting for the parent, and signs them.
# Then `signet import opendnssec` takes them over, keys staying in
# OpenDNSSEC's token: Signet's first signing must publish the DNSKEY RRset
# OpenDNSSEC published, validate (dnssec-verify, ldns-verify-zone,
# kzonecheck, and delv through NSD with the DS of OpenDNSSEC's KSK as the
# trust anchor), and both rollovers must complete under Signet's enforcer.
# usage: import_opendnssec.sh SIGNET SOURCE_DIR
set -euo pipefail
signet=$1
work=$(mktemp -d)
nsd_pid=
cleanup() {
  ods_stop
  if [ -n "$nsd_pid" ]; then kill "$nsd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/ods_lib.sh"
export SIGNET_STATE=$work/state
state=$SIGNET_STATE
unset SIGNET_PIN SIGNET_NOW

# ---------------------------------------------------------------------------
# OpenDNSSEC, its clock two weeks back so that every time it records is
# in the past of the real clock (which its signer and our checkers use).
ods=$work/ods
ods_setup "$ods"
T0=$(($(date +%s) - 14 * 86400))
H=3600
D=86400
ods_start "$T0"
zone_file() {
  printf '$ORIGIN %s.\n$TTL 3600\n@ SOA ns1 hostmaster 1 3600 900 604800 3600\n@ NS ns1\nns1 A 127.0.0.1\nwww A 192.0.2.2\n' \
    "$1" >"$ods/unsigned/$1"
}
add() { zone_file "$1"; ods_zone_add "$1" "$2" "$ods/unsigned/$1" "$ods/signed/$1"; }
add kskroll.test kz # its KSK reaches the end of its 7-day life
add cskroll.test csk # so does its CSK
ods_leap_until $((T0 + 3 * H))
ods_ds_seen kskroll.test
ods_ds_seen cskroll.test
ods_leap_until $((T0 + 5 * D))
add zskroll.test kz # its ZSK reaches the end of its 2-day life
ods_leap_until $((T0 + 5 * D + 3 * H))
ods_ds_seen zskroll.test
ods_leap_until $((T0 + 7 * D))
add stable.test kz
add csk.test csk
ods_leap_until $((T0 + 7 * D + 3 * H))
ods_ds_seen stable.test
ods_ds_seen csk.test
ods_leap_until $((T0 + 7 * D + 6 * H))
now=$(ods_now)
ods_keys >"$work/ods-keys"
ods_stop
if ods_sign; then
  pass "OpenDNSSEC signed its zones"
else
  failed "ods-signerd: $(tail -3 "$ods/signerd.log")"
fi
mkdir -p "$work/ods-signed"
cp "$ods"/signed/* "$work/ods-signed/"

# The situations the test is about, as OpenDNSSEC's database has them.
grep -q '^kskroll.test KSK [0-9]* submitted rumoured' "$work/ods-keys" &&
  grep -q '^kskroll.test KSK [0-9]* retracted unretentive' "$work/ods-keys" &&
  pass "kskroll.test: a new KSK waits for ds-seen, the old one's DS is leaving" ||
  failed "kskroll.test is not in a KSK rollover: $(grep kskroll "$work/ods-keys" | tr '\n' ';')"
grep -q '^cskroll.test CSK [0-9]* submitted rumoured' "$work/ods-keys" &&
  pass "cskroll.test: a new CSK waits for ds-seen" ||
  failed "cskroll.test is not in a CSK rollover: $(grep cskroll "$work/ods-keys" | tr '\n' ';')"
[ "$(grep -c '^zskroll.test ZSK' "$work/ods-keys")" -ge 2 ] && pass "zskroll.test: two ZSKs, a rollover" ||
  failed "zskroll.test is not in a ZSK rollover: $(grep zskroll "$work/ods-keys" | tr '\n' ';')"

# ---------------------------------------------------------------------------
# The import.
"$signet" init >/dev/null
snapshot() { { sqlite3 "$state/signet.db" .dump; cat "$state/signet.toml"; ls "$state"; } >"$1"; }
import=("$signet" --now "$((now + 60))" import opendnssec --conf "$ods/conf.xml"
  --hsm-env "SOFTHSM2_CONF=$ods/softhsm2.conf")
# signet init wrote a policy "default"; OpenDNSSEC's names do not clash here,
# but "kz" exists once imported, so a second run must be refused.
snapshot "$work/before"
"${import[@]}" --policy-prefix ods- --dry-run >"$work/dry" 2>&1 || failed "dry run: $(cat "$work/dry")"
snapshot "$work/after"
if grep -q "dry run: 5 zones" "$work/dry" && cmp -s "$work/before" "$work/after"; then
  pass "dry run reports 5 zones and changes nothing"
else
  failed "dry run: $(tail -3 "$work/dry")"
fi
if "${import[@]}" --policy-prefix ods- >"$work/out" 2>&1; then
  pass "import: $(tail -1 "$work/out")"
else
  failed "import: $(cat "$work/out")"
fi
grep -q '^token = "ods"' "$state/signet.toml" && [ "$(stat -c %a "$state/opendnssec.pin")" = 600 ] &&
  pass "signet.toml names OpenDNSSEC's token; its PIN is in a 0600 file" || failed "[hsm]: $(grep -A4 '^\[hsm\]' "$state/signet.toml")"
grep -q 'not carried' "$work/out" && pass "the report names what is not carried" || failed "report: $(head "$work/out")"

dnskeys() { # signed zone file -> its DNSKEY RRset, a key a line
  sed 's/;.*//' "$1" | awk '$4 == "DNSKEY" { k = ""; for (i = 8; i <= NF; i++) k = k $i; print $5, $6, $7, k }' | sort
}
verified() { # zone file [time] ($verify_options: dnssec-verify's; kzonecheck unless $no_knot)
  local stamp=${3:-}
  if [ -z "$stamp" ]; then
    dnssec-verify -q ${verify_options:-} -o "$1" "$2" >"$work/verify" 2>&1 || return 1
    ldns-verify-zone "$2" >>"$work/verify" 2>&1 || return 1
  else
    ldns-verify-zone -t "$(date -u -d "@$stamp" +%Y%m%d%H%M%S)" "$2" >"$work/verify" 2>&1 || return 1
  fi
  [ -n "${no_knot:-}" ] || kzonecheck ${stamp:+-t "$stamp"} -o "$1" "$2" >>"$work/verify" 2>&1 || return 1
}
# kzonecheck's complaints without the node they were first found at (it
# names one, the first it meets in its own order).
knot_errors() { kzonecheck -o "$1" "$2" 2>&1 | sed -n 's/^\[[^]]*\] \(.*\) (record type .*)$/\1/p; s/^\[[^]]*\] \([^(]*\)$/\1/p' | sort -u || true; }

"$signet" --now "$((now + 60))" sign --all >"$work/out" 2>&1 || failed "first signing: $(cat "$work/out")"
knot_skip=
for zone in stable.test csk.test zskroll.test kskroll.test cskroll.test; do
  if [ "$(dnskeys "$ods/signed/$zone")" = "$(dnskeys "$work/ods-signed/$zone")" ]; then
    pass "$zone: Signet publishes OpenDNSSEC's DNSKEY RRset ($(dnskeys "$ods/signed/$zone" | wc -l) keys)"
  else
    failed "$zone: DNSKEY RRset differs: $(diff <(dnskeys "$work/ods-signed/$zone" | cut -c1-30) <(dnskeys "$ods/signed/$zone" | cut -c1-30) | tr '\n' ' ')"
  fi
  opts=
  case $zone in csk*) opts=-z ;; esac
  # Knot's kzonecheck 3.2 wants every RRset signed by every key that may
  # sign, which in a CSK rollover OpenDNSSEC's own output is not (the zone
  # data carries the incoming CSK's signatures only; dnssec-verify,
  # ldns-verify-zone and delv accept it, as RFC 6840 §5.11 does). There it
  # must say the same of Signet's, and is left out later.
  ods_knot=$(knot_errors $zone "$work/ods-signed/$zone")
  if [ -n "$ods_knot" ]; then
    echo "note $zone: kzonecheck rejects OpenDNSSEC's own output: $ods_knot"
    knot_skip="$knot_skip $zone"
    [ "$(knot_errors $zone "$ods/signed/$zone")" = "$ods_knot" ] && pass "$zone: kzonecheck says of Signet's output what it says of OpenDNSSEC's" ||
      failed "$zone: kzonecheck on Signet's output: $(knot_errors $zone "$ods/signed/$zone")"
  fi
  no_knot=$ods_knot verify_options=$opts verified $zone "$ods/signed/$zone" && pass "$zone validates" || failed "$zone: $(head -3 "$work/verify")"
  ods_serial=$(sed 's/;.*//' "$work/ods-signed/$zone" | awk '$4 == "SOA" { print $7; exit }')
  serial=$(awk '$4 == "SOA" { print $7; exit }' "$ods/signed/$zone")
  [ "$serial" -gt "$ods_serial" ] || failed "$zone: serial $serial is not above OpenDNSSEC's $ods_serial"
done

# End to end: NSD serves Signet's outputs; delv validates them with the DS
# the parent holds: of OpenDNSSEC's KSK for stable.test, of the outgoing CSK
# (still at the parent, its removal not confirmed) for cskroll.test.
ds_of() { # zone tag -> DS of that DNSKEY in OpenDNSSEC's output
  sed 's/;.*//' "$work/ods-signed/$1" | awk '$4 == "DNSKEY" && $5 == 257' >"$work/ksk.key"
  dnssec-dsfromkey -2 -f "$work/ksk.key" "$1" | awk -v tag="$2" '$4 == tag { print $4, $5, $6, $7 }'
}
if nsd_serve stable.test "$ods/signed/stable.test" cskroll.test "$ods/signed/cskroll.test"; then
  old_csk=$(awk '$1 == "cskroll.test" && $2 == "CSK" && $4 != "submitted" { print $3 }' "$work/ods-keys")
  stable_ksk=$(awk '$1 == "stable.test" && $2 == "KSK" { print $3 }' "$work/ods-keys")
  for pair in "stable.test $stable_ksk" "cskroll.test $old_csk"; do
    read -r zone tag <<<"$pair"
    ds_anchor $zone "$(ds_of $zone "$tag")"
    out=$(delv @127.0.0.1 -p "$port" -a "$work/anchor.conf" +root=$zone ns1.$zone A 2>&1 || true)
    grep -q "; fully validated" <<<"$out" && pass "delv validates ns1.$zone with the DS of OpenDNSSEC's key $tag" ||
      failed "delv $zone: $(head -3 <<<"$out" | tr '\n' ' ')"
  done
  nsd_stop
fi

# ---------------------------------------------------------------------------
# The rollovers go on under Signet. The KSK rollover waits for the parent:
# Signet asks for the new DS to be confirmed, then for the old one's
# removal.
new_ksk=$(awk '$1 == "kskroll.test" && $2 == "KSK" && $4 == "submitted" { print $3 }' "$work/ods-keys")
old_ksk=$(awk '$1 == "kskroll.test" && $2 == "KSK" && $4 == "retracted" { print $3 }' "$work/ods-keys")
"$signet" --now "$((now + 120))" zone status kskroll.test >"$work/status" 2>&1 || true
grep -q "ds-seen" "$work/status" && pass "Signet asks for ds-seen of the new KSK $new_ksk" ||
  failed "kskroll.test status: $(cat "$work/status")"
"$signet" --now "$((now + 120))" key ds-seen kskroll.test "$new_ksk" >/dev/null 2>&1 ||
  failed "ds-seen $new_ksk refused"
"$signet" --now "$((now + 120))" key ds-gone kskroll.test "$old_ksk" >/dev/null 2>&1 ||
  failed "ds-gone $old_ksk refused"
new_csk=$(awk '$1 == "cskroll.test" && $2 == "CSK" && $4 == "submitted" { print $3 }' "$work/ods-keys")
"$signet" --now "$((now + 120))" key ds-seen cskroll.test "$new_csk" >/dev/null 2>&1 || failed "ds-seen $new_csk refused"
at=$now
for hours in 3 8 30 60; do
  if [ "$hours" = 8 ]; then
    # The old CSK's DS goes once the new one is in every cache.
    "$signet" --now "$((now + 4 * H))" zone status cskroll.test >"$work/status" 2>&1 || true
    grep -q "ds-gone" "$work/status" || failed "cskroll.test does not ask for ds-gone: $(cat "$work/status")"
    "$signet" --now "$((now + 4 * H))" key ds-gone cskroll.test "$old_csk" >/dev/null 2>&1 || failed "ds-gone $old_csk refused"
  fi
  at=$((now + hours * H))
  "$signet" --now "$at" sign --all >"$work/out" 2>&1 || failed "signing at +${hours}h: $(cat "$work/out")"
  for zone in stable.test csk.test zskroll.test kskroll.test cskroll.test; do
    no_knot=$(grep -ow "$zone" <<<"$knot_skip" || true) verified $zone "$ods/signed/$zone" "$at" || failed "$zone at +${hours}h: $(head -3 "$work/verify")"
  done
done
tags() { "$signet" --now "$at" key list "$1" --json | python3 -c '
import json, sys
print(" ".join(sorted("%s:%s" % (k["role"], k["key_tag"]) for k in json.load(sys.stdin) if not k.get("removed"))))'; }
old_zsks=$(awk '$1 == "zskroll.test" && $2 == "ZSK" && $9 == "outgoing" { print $3 }' "$work/ods-keys")
left=$(tags zskroll.test)
gone=1
for tag in $old_zsks; do grep -qw "zsk:$tag" <<<"$left" && gone=0; done
[ -n "$old_zsks" ] && [ $gone -eq 1 ] && pass "zskroll.test: the outgoing ZSK(s) $old_zsks are gone ($left)" ||
  failed "zskroll.test after 60 h: outgoing $old_zsks, keys $left"
left=$(tags kskroll.test)
! grep -qw "ksk:$old_ksk" <<<"$left" && grep -qw "ksk:$new_ksk" <<<"$left" &&
  pass "kskroll.test: the old KSK $old_ksk is gone, the new $new_ksk stays ($left)" ||
  failed "kskroll.test after 60 h: $left"

left=$(tags cskroll.test)
[ "$left" = "csk:$new_csk" ] && pass "cskroll.test: only the new CSK $new_csk is left" || failed "cskroll.test after 60 h: $left"

# A second import finds the zones with keys: refused, nothing changed.
expect_failure "second import" "nothing imported" "${import[@]}" --policy-prefix ods-
grep -q "has keys in Signet already" "$work/out" && pass "the report says why" || failed "report: $(cat "$work/out")"

echo "$failures failures"
[ $failures -eq 0 ]
