#!/usr/bin/env bash
# Never stale: a zone whose input breaks, and whose TLSA certificate then
# expires, keeps validating for weeks of simulated days past its signature
# validity: each `signet sign` signs the last good version again (exit 1,
# naming the file and line), keeps the binding's published TLSA records, and
# no signature of the output ever has less than signature-refresh minus the
# jitter left. Checked at each simulated day by ldns-verify-zone and
# kzonecheck at that time, while `signet health` says CRITICAL with the
# reason. Beside it, a healthy zone is OK until its first DS has waited for
# the operator longer than ds-grace.
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
sed 's/^\$ORIGIN z.test./$ORIGIN ok.test./' "$work/in/z.test.zone" >"$work/in/ok.test.zone"
"$signet" zone add ok.test --input "$work/in/ok.test.zone" --output "$work/signed/ok.test.signed" >/dev/null
"$signet" --now "$t0" sign ok.test >/dev/null 2>&1 || failed "the first signing of ok.test"
health() { # zone time: the exit status; the text in $work/health
  local status=0
  "$signet" --now "$2" health "$1" >"$work/health" 2>&1 || status=$?
  echo $status
}
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
health_bad=0
ds_due=""
ds_warned=""
# 35 days; under the sanitizers 21, still a week past the signatures'
# validity after the input broke on day 2.
days=35
case "$signet" in *asan*) days=21 ;; esac
for d in $(seq 1 $days); do
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
  # What monitoring sees.
  h=$(health z.test "$now")
  if [ $d -lt $broken_from ]; then
    # Only the certificate, which expires within certificate-warning.
    [ "$h" = 1 ] && grep -q "^WARNING z.test.: .*mail.pem: the certificate expires" "$work/health" ||
      { failed "day $d: health $h: $(head -3 "$work/health")"; health_bad=$((health_bad + 1)); }
  else
    [ "$h" = 2 ] && grep -q "^SIGNET CRITICAL" "$work/health" &&
      grep -q "^CRITICAL z.test.: the last signing, at .*, failed: .*z.test.zone:8:" "$work/health" ||
      { failed "day $d: health $h: $(head -3 "$work/health")"; health_bad=$((health_bad + 1)); }
  fi
  # The healthy zone: OK, until its first DS has waited longer than ds-grace.
  "$signet" --now "$now" sign ok.test >/dev/null 2>&1 || failed "day $d: ok.test: sign failed"
  if [ -z "$ds_due" ] && "$signet" --json ds ok.test | grep -q '"action": "add"'; then ds_due=$d; fi
  h=$(health ok.test "$now")
  if [ -n "$ds_due" ] && [ $((d - ds_due)) -gt 3 ]; then
    if [ "$h" = 1 ] && grep -q "^WARNING ok.test.: the DS of ksk .* waits to be published by the parent.*ds-seen" "$work/health"; then
      ds_warned=${ds_warned:-$d}
    else
      failed "day $d: ok.test's DS waits since day $ds_due: health $h: $(head -2 "$work/health")"
      health_bad=$((health_bad + 1))
    fi
  elif [ "$h" != 0 ]; then
    failed "day $d: ok.test: health $h: $(head -3 "$work/health")"
    health_bad=$((health_bad + 1))
  fi
done
if [ $health_bad -eq 0 ] && [ -n "$ds_warned" ]; then
  pass "signet health: WARNING for the certificate while the zone is fine, CRITICAL with the file and line on every broken day; a healthy zone OK until its first DS (due on day $ds_due) waited more than ds-grace (warned from day $ds_warned)"
else
  failed "signet health: $health_bad wrong answers; DS due on day ${ds_due:-never}, warned from day ${ds_warned:-never}"
fi
tag=$("$signet" --json ds ok.test | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["key_tag"])')
"$signet" --now "$now" key ds-seen ok.test "$tag" >/dev/null
h=$(health ok.test "$now")
[ "$h" = 0 ] && pass "after ds-seen the healthy zone is OK again" || failed "after ds-seen: health $h: $(head -2 "$work/health")"
if [ $bad_days -eq 0 ]; then
  pass "$days simulated days, $((days - 1)) with a broken input and $expired_days with an expired certificate: every day's output validates at that day, never less than signature-refresh minus jitter left, the TLSA records kept"
fi

# Repaired: signed from the input again; the expired certificate still
# fails the run, with the records kept.
sed -i '$d' "$work/in/z.test.zone"
echo "repaired A 192.0.2.30" >>"$work/in/z.test.zone"
now=$((t0 + (days + 1) * day))
status=0
"$signet" --now "$now" sign z.test >"$work/out" 2>"$work/err" || status=$?
if [ $status -eq 1 ] && grep -q "^repaired.z.test." "$work/signed/z.test.signed" &&
  ! grep -q "last good version" "$work/err" && grep -q "last published TLSA records are kept" "$work/err"; then
  pass "the repaired input is signed; the expired certificate still fails the run"
  h=$(health z.test "$now")
  if [ "$h" = 2 ] && grep -q "mail.pem: the certificate expired" "$work/health" && ! grep -q "last signing" "$work/health"; then
    pass "signet health: the repaired zone's failure is gone; the expired certificate is CRITICAL"
  else
    failed "health after the repair: $h: $(head -3 "$work/health")"
  fi
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

# A token that cannot be found is CRITICAL for the whole state.
sed 's/^token = .*/token = "no-such-token"/' "$SIGNET_STATE/signet.toml" >"$work/other.toml"
status=0
"$signet" --config "$work/other.toml" --now "$now" health >"$work/health" 2>&1 || status=$?
if [ $status -eq 2 ] && grep -q "^CRITICAL the token cannot be reached: .*no-such-token" "$work/health"; then
  pass "signet health: a token that cannot be found is CRITICAL"
else
  failed "health without the token: exit $status, $(head -3 "$work/health")"
fi
status=0
"$signet" --state "$work/nowhere" health >"$work/health" 2>&1 || status=$?
[ $status -eq 3 ] && grep -q "^SIGNET UNKNOWN" "$work/health" && pass "signet health without a state dir: UNKNOWN (3)" ||
  failed "health without a state dir: exit $status, $(head -2 "$work/health")"

echo "$failures failures"
[ "$failures" -eq 0 ]
