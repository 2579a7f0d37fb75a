#!/usr/bin/env bash
# Never stale: a zone whose input breaks, and whose TLSA certificate then
# expires, keeps validating for weeks of simulated days past its signature
# validity: each `signet sign` signs the last good version again (exit 1,
# naming the file and line), keeps the binding's published TLSA records, and
# no signature of the output ever has less than signature-refresh minus the
# jitter left. Checked at each simulated day by ldns-verify-zone and
# kzonecheck at that time.
# usage: never_stale.sh SIGNET SOURCE_DIR
set -euo pipefail
signet=$1
work=$(mktemp -d)
trap '[ -n "${SIGNET_KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
export SIGNET_STATE=$work/state
unset SIGNET_NOW SIGNET_LOCK_FD

. "$(dirname "$0")/lib.sh"

day=86400
t0=$(( $(date +%s) / 3600 * 3600 ))
at() { date -u -d "@$1" +%Y%m%d%H%M%S; }
# The policy's defaults: 14 days of validity, refreshed 5 days before the
# end, 12 hours of jitter.
refresh=$((5 * day))
jitter=$((12 * 3600))

"$signet" init >/dev/null
mkdir -p "$work/in" "$work/signed"
cat >"$work/in/z.test.zone" <<'ZONE'
$ORIGIN z.test.
$TTL 300
@ SOA ns1 hostmaster 1 7200 3600 1209600 300
@ NS ns1
@ MX 10 mail
ns1 A 192.0.2.1
mail A 192.0.2.25
ZONE
# A certificate that expires ten days from now.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/mail.key" \
  -out "$work/mail.pem" -days 10 -subj "/CN=mail.z.test" -addext "subjectAltName=DNS:mail.z.test" 2>/dev/null
"$signet" zone add z.test --input "$work/in/z.test.zone" --output "$work/signed/z.test.signed" >/dev/null
"$signet" --now "$t0" tlsa add z.test --host mail.z.test --port 25 --cert "$work/mail.pem" --records "3 1 1" >/dev/null
"$signet" --now "$t0" sign z.test >/dev/null 2>&1 || failed "the first signing"
tlsa() { awk '$4 == "TLSA"' "$work/signed/z.test.signed" | sort; }
tlsa >"$work/tlsa.first"
[ -s "$work/tlsa.first" ] || failed "no TLSA records in the first version"

# The earliest RRSIG expiration of the output, as Unix seconds.
earliest_expiry() {
  awk '$4 == "RRSIG" { print $9 }' "$work/signed/z.test.signed" | sort -n | head -1 |
    sed -E 's/^(....)(..)(..)(..)(..)(..)$/\1-\2-\3 \4:\5:\6Z/' | xargs -I{} date -u -d {} +%s
}

broken_from=2
expired_days=0
bad_days=0
for d in $(seq 1 35); do
  now=$((t0 + d * day))
  if [ $d -eq $broken_from ]; then
    echo "broken A 192.0.2.300" >>"$work/in/z.test.zone" # line 8
  fi
  status=0
  "$signet" --now "$now" sign z.test >"$work/out" 2>"$work/err" || status=$?
  if [ $d -lt $broken_from ]; then
    [ $status -eq 0 ] || failed "day $d: sign exit $status: $(head -2 "$work/err")"
  else
    if [ $status -ne 1 ] || ! grep -q "z.test.zone:8:" "$work/err" ||
      ! grep -q "its last good version was signed again" "$work/err"; then
      failed "day $d: broken input: exit $status, $(head -3 "$work/err")"
      bad_days=$((bad_days + 1))
    fi
    if [ $((now - t0)) -gt $((10 * day)) ]; then
      expired_days=$((expired_days + 1))
      grep -q "mail.pem: .*expired.*last published TLSA records are kept" "$work/err" ||
        failed "day $d: the expired certificate is not reported: $(grep -i cert "$work/err" | head -2)"
    fi
  fi
  if ! ldns-verify-zone -q -t "$(at "$now")" "$work/signed/z.test.signed" >"$work/verify" 2>&1 ||
    ! kzonecheck -o z.test -d on -t "$(at "$now")" "$work/signed/z.test.signed" >>"$work/verify" 2>&1; then
    failed "day $d: the output does not validate: $(head -3 "$work/verify")"
    bad_days=$((bad_days + 1))
  fi
  left=$(( $(earliest_expiry) - now ))
  if [ $left -lt $((refresh - jitter)) ]; then
    failed "day $d: a signature has only $((left / 3600)) h left"
    bad_days=$((bad_days + 1))
  fi
  tlsa >"$work/tlsa.now"
  cmp -s "$work/tlsa.first" "$work/tlsa.now" || failed "day $d: the TLSA records changed: $(diff "$work/tlsa.first" "$work/tlsa.now" | head -3)"
  grep -q "^broken" "$work/signed/z.test.signed" && failed "day $d: the broken record was published"
done
if [ $bad_days -eq 0 ]; then
  pass "35 simulated days, 34 with a broken input and $expired_days with an expired certificate: every day's output validates at that day, never less than signature-refresh minus jitter left, the TLSA records kept"
fi

# Repaired: signed from the input again; the expired certificate still
# fails the run, with the records kept.
sed -i '$d' "$work/in/z.test.zone"
echo "repaired A 192.0.2.30" >>"$work/in/z.test.zone"
now=$((t0 + 36 * day))
status=0
"$signet" --now "$now" sign z.test >"$work/out" 2>"$work/err" || status=$?
if [ $status -eq 1 ] && grep -q "^repaired.z.test." "$work/signed/z.test.signed" &&
  ! grep -q "last good version" "$work/err" && grep -q "last published TLSA records are kept" "$work/err"; then
  pass "the repaired input is signed; the expired certificate still fails the run"
else
  failed "after the repair: exit $status, $(head -3 "$work/err")"
fi

# A zone never signed has no last good version: a clear error, no output.
printf '$ORIGIN new.test.\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\nbad A x\n' >"$work/in/new.test.zone"
"$signet" zone add new.test --input "$work/in/new.test.zone" --output "$work/signed/new.test.signed" >/dev/null
status=0
"$signet" --now "$now" sign new.test >"$work/out" 2>"$work/err" || status=$?
if [ $status -eq 1 ] && grep -q "new.test.zone:3:" "$work/err" && grep -q "no last good version" "$work/err" &&
  [ ! -e "$work/signed/new.test.signed" ]; then
  pass "a never-signed zone with a broken input: exit 1, file:line, no output"
else
  failed "never-signed broken zone: exit $status, $(head -3 "$work/err")"
fi

echo "$failures failures"
[ "$failures" -eq 0 ]
