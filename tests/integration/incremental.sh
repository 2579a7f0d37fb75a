#!/usr/bin/env bash
# Incremental signing through the command line, over a simulated month of
# cron runs: an unchanged zone is left alone (bytes, mtime, serial, no
# notify), one change re-signs exactly what it must, refreshes come spread
# over runs and never let a published signature get near expiry, the salt
# changes at nsec3-resalt, and the journal keeps a bounded history that
# `signet zone diff` shows.
# usage: incremental.sh SIGNET SOURCE_DIR
set -euo pipefail
signet=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
state=$work/state
export SIGNET_STATE=$state
unset SIGNET_PIN SIGNET_NOW
. "$(dirname "$0")/lib.sh"

"$signet" init >/dev/null
cat >"$work/notify" <<'SH'
#!/bin/sh
echo "$1" >>"$(dirname "$0")/notified"
SH
chmod +x "$work/notify"
cat >>"$state/signet.toml" <<TOML

[policy.inc]
denial = "nsec3"
nsec3-salt-length = 4
nsec3-resalt = "10d"
journal-max-versions = 3
notify-command = "$work/notify {zone}"
TOML
{
  printf '$ORIGIN inc.test.\n$TTL 3600\n@ SOA ns1 hostmaster 1 7200 3600 1209600 3600\n@ NS ns1\nns1 A 192.0.2.1\n'
  for i in $(seq 1 60); do printf 'h%d A 192.0.2.%d\n' "$i" "$i"; done
} >"$work/inc.zone"
out=$work/inc.signed
"$signet" zone add inc.test --input "$work/inc.zone" --output "$out" --policy inc >/dev/null

t0=$(date -d 2026-06-01T00:00:00Z +%s)
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[0][sys.argv[2]])" "$work/sign.json" "$1"; }
sign_at() { "$signet" --now "$1" --json sign inc.test >"$work/sign.json" 2>"$work/sign.err"; }
soa_serial() { awk '$4 == "SOA" {print $7; exit}' "$out"; }
salt() { awk '$4 == "NSEC3PARAM" {print $8; exit}' "$out"; }

sign_at $t0 || failed "first signing: $(cat "$work/sign.err")"
total=$(field signatures)
serial0=$(soa_serial)

# --- nothing to do, nothing done ---------------------------------------------
before=$(stat -c '%Y %i' "$out"; sha256sum <"$out")
sleep 1
if sign_at $((t0 + 3600)) && [ "$(field changed)" = False ] && [ "$(field signatures)" = 0 ] &&
  [ "$(field signatures_reused)" = "$total" ] && [ "$(field serial)" = "$serial0" ] &&
  [ "$before" = "$(stat -c '%Y %i' "$out"; sha256sum <"$out")" ] && [ "$(grep -c . "$work/notified")" = 1 ]; then
  pass "an unchanged zone: 0 signatures, output bytes and mtime untouched, same serial, no notify"
else
  failed "unchanged zone: $(cat "$work/sign.json" "$work/sign.err" | head -20)"
fi
"$signet" --now $((t0 + 3600)) sign inc.test >"$work/out" 2>&1
grep -q "^inc.test.: unchanged (serial $serial0); next work at 20" "$work/out" &&
  pass "sign says: unchanged; next work at T" || failed "unchanged text: $(cat "$work/out")"

# --- one change --------------------------------------------------------------
sed -i 's/^h7 A 192.0.2.7$/h7 A 192.0.2.77/' "$work/inc.zone"
if sign_at $((t0 + 7200)) && [ "$(field changed)" = True ] && [ "$(field signatures)" = 2 ] &&
  [ "$(field signatures_reused)" = $((total - 2)) ] && [ "$(soa_serial)" != "$serial0" ] &&
  "$signet" --now $((t0 + 7200)) verify --origin inc.test "$out" >/dev/null; then
  pass "one changed A record: 2 signatures (the A RRset and the SOA), $((total - 2)) kept, the zone verifies"
else
  failed "one change: $(cat "$work/sign.json" "$work/sign.err" | head -20)"
fi
serial1=$(soa_serial)
"$signet" zone diff inc.test >"$work/diff"
if grep -q "^; serial $serial0 -> $serial1, published " "$work/diff" &&
  grep -q "^-h7.inc.test. 3600 IN A 192.0.2.7$" "$work/diff" && grep -q "^+h7.inc.test. 3600 IN A 192.0.2.77$" "$work/diff" &&
  [ "$(grep -c "^-inc.test. 3600 IN SOA .* $serial0 " "$work/diff")" = 1 ] &&
  [ "$(grep -c "^+inc.test. 3600 IN SOA .* $serial1 " "$work/diff")" = 1 ] && [ "$(grep -c '^[-+]' "$work/diff")" = 8 ]; then
  pass "zone diff: the old SOA and A with their signatures out, the new ones in"
else
  failed "zone diff: $(head -12 "$work/diff")"
fi

# --- a month of runs every six hours ----------------------------------------
# signature-validity 14d, refresh 5d, jitter 12h, resign interval 2h.
refresh=$((5 * 86400)) jitter=$((12 * 3600))
earliest_expiration() {
  python3 -c '
import calendar, sys, time
print(min(calendar.timegm(time.strptime(f[8], "%Y%m%d%H%M%S"))
          for f in (line.split() for line in open(sys.argv[1])) if len(f) > 8 and f[3] == "RRSIG"))' "$out"
}
worst="" max_made=0 unchanged=0 salts=$(salt) resalts=0 earliest=$(earliest_expiration)
for run in $(seq 1 120); do
  now=$((t0 + 7200 + run * 6 * 3600))
  if ! sign_at $now; then
    failed "run $run: $(cat "$work/sign.err")"
    break
  fi
  read -r changed made < <(python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))[0]; print(r["changed"], r["signatures"])' "$work/sign.json")
  [ "$made" -gt "$max_made" ] && max_made=$made
  if [ "$changed" = False ]; then
    unchanged=$((unchanged + 1))
  else
    # A new version: the earliest expiration of what it publishes, and
    # checks by two validators.
    earliest=$(earliest_expiration)
    if ! "$signet" --now $now verify --origin inc.test "$out" >"$work/v" 2>&1; then
      failed "run $run: $(tail -2 "$work/v")"
      break
    fi
    if [ "$(salt)" != "${salts##* }" ]; then
      salts="$salts $(salt)"
      resalts=$((resalts + 1))
      stamp=$(date -u -d @$now +%Y%m%d%H%M%S)
      ldns-verify-zone -t "$stamp" "$out" >"$work/v" 2>&1 || failed "run $run: after the resalt, ldns-verify-zone: $(tail -2 "$work/v")"
    fi
  fi
  # The least validity any published signature has left after this run.
  [ $((earliest - now)) -lt $((refresh - jitter)) ] && worst="run $run: a published signature has only $((earliest - now))s left"
done
[ -z "$worst" ] && pass "over 120 runs no published signature had less than signature-refresh - jitter left" || failed "$worst"
[ "$unchanged" -gt 60 ] && pass "$unchanged of 120 runs found nothing due and left the zone alone" ||
  failed "only $unchanged of 120 runs were unchanged"
[ "$max_made" -lt $((total * 3 / 4)) ] && pass "refreshes spread over runs: at most $max_made of $total signatures in one run" ||
  failed "a run re-made $max_made of $total signatures at once"
[ "$resalts" -ge 2 ] && pass "nsec3-resalt: the salt changed $resalts times in a month ($salts); the zone verified before and after" ||
  failed "salt changes: $resalts ($salts)"
versions=$(sqlite3 "$state/signet.db" "select count(*) from journal")
[ "$versions" = 3 ] && pass "the journal keeps journal-max-versions (3) versions" || failed "journal holds $versions versions"
status=0
"$signet" zone diff inc.test --from "$serial0" >/dev/null 2>"$work/err" || status=$?
[ $status = 1 ] && grep -q "does not reach back to serial $serial0" "$work/err" &&
  pass "zone diff --from a serial the journal no longer holds: a clear error" || failed "diff --from: $status $(cat "$work/err")"

echo "$failures failures"
[ $failures -eq 0 ]
