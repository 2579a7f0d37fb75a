#!/usr/bin/env bash
# Moving in from BIND without a rollover: keys made by BIND's own tools
# (dnssec-keygen, and dnssec-settime for the states dnssec-policy records)
# are imported, and Signet's first signing must publish the same DNSKEY
# RRset, so that the DS BIND's key gives (dnssec-dsfromkey) still
# validates it: checked by dnssec-verify, ldns-verify-zone, kzonecheck and
# by delv through NSD with that DS as the trust anchor. A ZSK rollover that
# BIND had started completes under Signet's enforcer. Keys without state
# files (timing metadata only) import too; broken or unfit key sets are
# refused with nothing changed.
# usage: import_bind.sh SIGNET SOURCE_DIR
set -euo pipefail
signet=$1
work=$(mktemp -d)
nsd_pid=
cleanup() {
  if [ -n "$nsd_pid" ]; then kill "$nsd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export SIGNET_STATE=$work/state
state=$SIGNET_STATE
unset SIGNET_PIN SIGNET_NOW
. "$(dirname "$0")/lib.sh"

"$signet" init >/dev/null
cat >>"$state/signet.toml" <<'TOML'

[policy.rsa-csk]
algorithm = "rsasha256"
keys = "csk"
csk-lifetime = "unlimited"
TOML
snapshot() { # what a refused import must leave as it was
  { sqlite3 "$state/signet.db" .dump; token_ids | sort; } >"$1"
}

zonefile() { # name -> an unsigned zone
  cat >"$work/$1.zone" <<ZONE
\$TTL 300
@     SOA ns1.$1. hostmaster.$1. 2026120701 3600 600 86400 300
      NS  ns1
ns1   A   127.0.0.1
www   A   192.0.2.10
ZONE
}

verified() { # zone file [time] -> every checker accepts it ($verify_options: dnssec-verify's)
  local stamp=${3:-}
  if [ -z "$stamp" ]; then
    dnssec-verify -q ${verify_options:-} -o "$1" "$2" >"$work/verify" 2>&1 || return 1
    ldns-verify-zone "$2" >>"$work/verify" 2>&1 || return 1
    kzonecheck -o "$1" "$2" >>"$work/verify" 2>&1 || return 1
  else
    ldns-verify-zone -t "$(date -u -d "@$stamp" +%Y%m%d%H%M%S)" "$2" >"$work/verify" 2>&1 || return 1
    kzonecheck -t "$stamp" -o "$1" "$2" >>"$work/verify" 2>&1 || return 1
  fi
}

dnskeys() { # signed zone file -> its DNSKEY RRset, one key a line, normalised
  awk '$4 == "DNSKEY" { k = ""; for (i = 8; i <= NF; i++) k = k $i; print $5, $6, $7, k }' "$1" | sort
}
bind_dnskeys() { # key files... -> their DNSKEYs, normalised as dnskeys does
  grep -h -v '^;' "$@" | awk '{ for (i = 1; i <= NF; i++) if ($i == "DNSKEY") break;
    k = ""; for (j = i + 4; j <= NF; j++) k = k $j; print $(i + 1), $(i + 2), $(i + 3), k }' | sort
}

# ---------------------------------------------------------------------------
# 1. dnssec-policy's keys, in the middle of a ZSK rollover: the KSK's DS is
# at the parent; ZSK A signs and is leaving; its successor B is published
# but does not sign yet.
keys=$work/keys
mkdir -p "$keys"
zone=split.test
zonefile $zone
ksk=$(dnssec-keygen -q -K "$keys" -a ECDSAP256SHA256 -f KSK -L 3600 $zone)
zska=$(dnssec-keygen -q -K "$keys" -a ECDSAP256SHA256 -L 3600 $zone)
zskb=$(dnssec-keygen -q -K "$keys" -a ECDSAP256SHA256 -L 3600 $zone)
dnssec-settime -K "$keys" -s -g OMNIPRESENT -k OMNIPRESENT now-30d -r OMNIPRESENT now-30d \
  -d OMNIPRESENT now-29d -P now-30d -A now-30d -P ds now-29d "$ksk" >/dev/null
dnssec-settime -K "$keys" -s -g HIDDEN -k OMNIPRESENT now-30d -z OMNIPRESENT now-30d -P now-30d -A now-30d "$zska" >/dev/null
dnssec-settime -K "$keys" -s -g OMNIPRESENT -k RUMOURED now-10mi -z HIDDEN now-10mi -P now-10mi "$zskb" >/dev/null
tag() { sed 's/.*+0*\([0-9]*\)$/\1/' <<<"$1"; }

"$signet" zone add $zone --input "$work/$zone.zone" --output "$work/$zone.signed" >/dev/null
"$signet" import bind --key-dir "$keys" --dry-run >"$work/dry" 2>&1 || true
if grep -q "dry run: 1 zone with 3 keys" "$work/dry" && [ "$(stored_keys)" = 0 ] && [ -z "$(token_ids)" ]; then
  pass "dry run reports 3 keys and changes nothing"
else
  failed "dry run: $(cat "$work/dry")"
fi
if "$signet" import bind --key-dir "$keys" $zone >"$work/out" 2>&1; then
  pass "import of $zone: $(tail -1 "$work/out")"
else
  failed "import of $zone: $(cat "$work/out")"
fi
[ "$(token_ids | wc -l)" = 3 ] && pass "3 keys in the token" || failed "token holds: $(token_ids | wc -l) keys"
# The private keys are in the token as a generated one is: not readable.
sensitive=$(SOFTHSM2_CONF=$state/softhsm2.conf GNUTLS_PIN=$(cat "$state/token.pin") \
  p11tool --provider /usr/lib/softhsm/libsofthsm2.so --list-all-privkeys --login "pkcs11:token=signet" 2>/dev/null |
  grep -c "Flags:.*CKA_SENSITIVE" || true)
if [ "$sensitive" = 3 ]; then
  pass "imported private keys are sensitive"
else
  failed "imported private keys are not marked sensitive"
fi

"$signet" sign $zone >"$work/out" 2>&1 || failed "first signing: $(cat "$work/out")"
if [ "$(dnskeys "$work/$zone.signed")" = "$(bind_dnskeys "$keys"/K$zone.+*.key)" ]; then
  pass "first signing publishes BIND's DNSKEY RRset, the same three keys"
else
  failed "DNSKEY RRset differs: $(diff <(dnskeys "$work/$zone.signed") <(bind_dnskeys "$keys"/K$zone.+*.key) | head -4)"
fi
if verified $zone "$work/$zone.signed"; then pass "signed $zone validates"; else failed "signed $zone: $(head -3 "$work/verify")"; fi
# The RRSIGs over the zone's data are still ZSK A's, the DNSKEY RRset's the KSK's.
grep -q "RRSIG A 13 3 300 [0-9]* [0-9]* $(tag "$zska") " "$work/$zone.signed" &&
  pass "ZSK A signs until its successor is in every cache" || failed "ZSK A does not sign the first output"

# The DS BIND's KSK gives is the one `signet ds` says the parent keeps.
bind_ds=$(dnssec-dsfromkey -2 "$keys/$ksk.key" | awk '{ print $4, $5, $6, $7 }')
signet_ds=$("$signet" ds $zone | grep -v '^;' | awk '{ print $5, $6, $7, $8 }')
[ "$bind_ds" = "$signet_ds" ] && pass "signet ds keeps BIND's DS ($bind_ds)" || failed "DS differs: '$bind_ds' vs '$signet_ds'"

# End to end: NSD serves the output; delv validates with BIND's DS.
if nsd_serve $zone "$work/$zone.signed"; then
  ds_anchor $zone "$bind_ds"
  out=$(delv @127.0.0.1 -p "$port" -a "$work/anchor.conf" +root=$zone www.$zone A 2>&1 || true)
  grep -q "; fully validated" <<<"$out" && pass "delv validates www.$zone with BIND's DS" ||
    failed "delv: $(head -3 <<<"$out" | tr '\n' ' ')"
  nsd_stop
fi

# The rollover BIND started goes on under Signet: B signs, A leaves.
now=$(date +%s)
for hours in 3 30 60 100; do
  at=$((now + hours * 3600))
  "$signet" --now "$at" sign $zone >"$work/out" 2>&1 || failed "signing at +${hours}h: $(cat "$work/out")"
  verified $zone "$work/$zone.signed" "$at" || failed "output at +${hours}h: $(head -3 "$work/verify")"
done
if dnskeys "$work/$zone.signed" | grep -qxF "$(bind_dnskeys "$keys/$zskb.key")" &&
  ! dnskeys "$work/$zone.signed" | grep -qxF "$(bind_dnskeys "$keys/$zska.key")" &&
  grep -q "RRSIG A 13 3 300 [0-9]* [0-9]* $(tag "$zskb") " "$work/$zone.signed"; then
  pass "the ZSK rollover completed: B signs, A is gone from the DNSKEY RRset"
else
  failed "after 100 h: $("$signet" --now "$at" zone status $zone | head -12 | tr '\n' ' ')"
fi

# ---------------------------------------------------------------------------
# 2. Old-style keys: one RSA KSK from dnssec-keygen with timing metadata
# only, signing everything (a CSK in Signet's words).
zone=rsa.test
zonefile $zone
keys2=$work/keys2
mkdir -p "$keys2"
csk=$(dnssec-keygen -q -K "$keys2" -a RSASHA256 -b 2048 -f KSK -P now-40d -A now-40d $zone)
# BIND's last signed version, serial 2026120702: above the unixtime
# serial Signet's policy would give, so Signet must continue above it.
dnssec-signzone -S -z -K "$keys2" -d "$work" -o $zone -N increment -f "$work/$zone.signed" "$work/$zone.zone" >/dev/null 2>&1 ||
  failed "dnssec-signzone could not sign $zone"
"$signet" zone add $zone --input "$work/$zone.zone" --output "$work/$zone.signed" --policy default >/dev/null
# The default policy signs with ECDSA and a KSK+ZSK: importing would roll
# at once, so it is refused, and nothing changes.
expect_failure "RSA CSK into an ECDSA KSK+ZSK policy" "nothing imported" "$signet" import bind --key-dir "$keys2" $zone
grep -q 'choose a policy with algorithm = "RSASHA256"' "$work/out" && grep -q 'keys = "csk"' "$work/out" &&
  pass "the report names the algorithm and layout to choose" || failed "report: $(cat "$work/out")"
"$signet" zone set $zone --policy rsa-csk >/dev/null
"$signet" import bind --key-dir "$keys2" $zone >"$work/out" 2>&1 || failed "import of $zone: $(cat "$work/out")"
grep -q "no state file: its DS is taken to be at the parent" "$work/out" &&
  pass "the report says the DS is assumed at the parent" || failed "report: $(cat "$work/out")"
"$signet" sign $zone >"$work/out" 2>&1 || failed "signing $zone: $(cat "$work/out")"
if [ "$(dnskeys "$work/$zone.signed")" = "$(bind_dnskeys "$keys2/$csk.key")" ] &&
  verify_options=-z verified $zone "$work/$zone.signed"; then
  pass "$zone: same DNSKEY, validates"
else
  failed "$zone: $(dnskeys "$work/$zone.signed") / $(head -3 "$work/verify")"
fi
serial=$(awk '$4 == "SOA" { print $7; exit }' "$work/$zone.signed")
[ "$serial" -gt 2026120702 ] && pass "the serial continues above BIND's ($serial)" || failed "serial $serial is not above BIND's 2026120702"

# ---------------------------------------------------------------------------
# 3. Refused, with nothing changed: a zone that has keys already, a key
# whose private file does not match, a broken state file.
expect_failure "zone with keys already" "nothing imported" "$signet" import bind --key-dir "$keys" split.test
grep -q "has keys in Signet already" "$work/out" && pass "the report says why" || failed "report: $(cat "$work/out")"

zone=broken.test
zonefile $zone
"$signet" zone add $zone --input "$work/$zone.zone" --output "$work/$zone.signed" >/dev/null
keys3=$work/keys3
mkdir -p "$keys3"
k1=$(dnssec-keygen -q -K "$keys3" -a ECDSAP256SHA256 -f KSK -P now-40d -A now-40d $zone)
k2=$(dnssec-keygen -q -K "$keys3" -a ECDSAP256SHA256 -P now-40d -A now-40d $zone)
cp "$keys3/$k2.private" "$work/k2.private"
# The ZSK's private file holds the KSK's private key.
sed -n 's/^PrivateKey: //p' "$keys3/$k1.private" >"$work/other"
sed -i "s|^PrivateKey: .*|PrivateKey: $(cat "$work/other")|" "$keys3/$k2.private"
expect_failure "private key of another key" "does not belong to the public key" "$signet" import bind --key-dir "$keys3" $zone
cp "$work/k2.private" "$keys3/$k2.private"
printf 'Algorithm: 13\nKSK: no\nZSK: yes\nDNSKEYState: everywhere\nGoalState: omnipresent\n' >"$keys3/$k2.state"
expect_failure "broken state file" "nothing imported" "$signet" import bind --key-dir "$keys3" $zone
grep -q "$k2.state:4: DNSKEYState: 'everywhere' is not" "$work/out" && pass "file:line names the broken state" ||
  failed "broken state: $(cat "$work/out")"

echo "$failures failures"
[ $failures -eq 0 ]
