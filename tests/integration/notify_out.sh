#!/usr/bin/env bash
# signetd sends NOTIFY (RFC 1996): NSD, a TSIG secondary whose SOA refresh
# is an hour away, serves a new version within seconds of its signing; the
# NOTIFY is signed with the remote's key and its answer is logged; a remote
# without the key NSD wants is answered with an error rcode, logged too.
# usage: notify_out.sh SIGNET SOURCE_DIR
set -euo pipefail
signet=$1
signetd=$(dirname "$signet")/signetd
work=$(mktemp -d)
state=$work/state
export SIGNET_STATE=$state
unset SIGNET_NOW SIGNET_LOCK_FD
daemon_pid=""
nsd_pid=""
cleanup() {
  [ -z "$daemon_pid" ] || kill -9 "$daemon_pid" 2>/dev/null || true
  nsd_stop # waits for NSD, which writes in $work until it is gone
  [ -n "${SIGNET_KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/lib.sh"

zone=notify.test
port=$((20000 + RANDOM % 20000))
nsd_port=$((port + 1))
mkdir -p "$work/in" "$work/signed"
# Refresh and retry an hour: without a NOTIFY, NSD would not look again
# during this test.
cat >"$work/in/$zone.zone" <<ZONE
\$ORIGIN $zone.
\$TTL 300
@ SOA ns1 hostmaster 1 3600 3600 1209600 300
@ NS ns1
ns1 A 192.0.2.1
www A 192.0.2.80
ZONE

"$signet" init >/dev/null
xfr_primary_conf
cat >>"$state/signet.toml" <<CONF

[remote.secondary]
address = "127.0.0.1:$nsd_port"
tsig = "xfr-key"

[remote.unkeyed]
address = "127.0.0.1:$nsd_port"
CONF

# --- the contract: names checked where they are given ---------------------------
status=0
"$signet" zone add "$zone" --input "$work/in/$zone.zone" --output "$work/signed/$zone.signed" --policy nsec \
  --notify secondary,nowhere >"$work/out" 2>"$work/err" || status=$?
if [ $status -eq 2 ] && grep -q -- "--notify: no \[remote.nowhere\]" "$work/err" \
  && ! "$signet" zone list 2>/dev/null | grep -q "$zone"; then
  pass "zone add --notify refuses a remote signet.toml lacks (exit 2), and adds nothing"
else
  failed "zone add --notify with an unknown remote: exit $status, $(cat "$work/err")"
fi
"$signet" zone add "$zone" --input "$work/in/$zone.zone" --output "$work/signed/$zone.signed" --policy nsec \
  --allow-transfer secondary --notify secondary >/dev/null
status=0
"$signet" zone set "$zone" --notify nowhere >"$work/out" 2>"$work/err" || status=$?
if [ $status -eq 2 ] && grep -q -- "--notify: no \[remote.nowhere\]" "$work/err"; then
  pass "zone set --notify refuses a remote signet.toml lacks (exit 2)"
else
  failed "zone set --notify with an unknown remote: exit $status, $(cat "$work/err")"
fi
"$signet" zone set "$zone" --notify "" >/dev/null
notify_list() { "$signet" --json zone list | python3 -c 'import json, sys; print(",".join(json.load(sys.stdin)[0]["notify"]))'; }
if [ -z "$(notify_list)" ]; then pass "zone set --notify \"\" clears the list"; else failed "--notify \"\" left $(notify_list)"; fi
"$signet" zone set "$zone" --notify secondary,unkeyed >/dev/null
if [ "$(notify_list)" = "secondary,unkeyed" ]; then
  pass "zone set --notify secondary,unkeyed is stored and shown by zone list --json"
else
  failed "zone list --json shows notify '$(notify_list)'"
fi

"$signet" sign "$zone" >/dev/null
serial=$(awk '$4 == "SOA" { print $7; exit }' "$work/signed/$zone.signed")

soa_serial() { # port
  dig +short +time=1 +tries=1 -p "$1" @127.0.0.1 "$zone" SOA 2>/dev/null | awk '{ print $3 }'
}
"$signetd" --state "$state" >>"$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do
  [ "$(soa_serial "$port")" = "$serial" ] && break
  kill -0 "$daemon_pid" 2>/dev/null || break
  sleep 0.1
done

# NSD as the secondary: it transfers the zone when it starts, and then
# would not ask again for an hour.
nsd_secondary "$serial" || true
if [ "$(soa_serial "$nsd_port")" = "$serial" ]; then
  pass "NSD transferred serial $serial at its start"
else
  failed "NSD does not serve serial $serial: $(grep -i 'xfr\|error' "$work/nsd.log" | tail -5)"
fi

# --- a new version: signetd signs it (the input changed) and tells NSD -----------------
echo "added A 192.0.2.81" >>"$work/in/$zone.zone"
start=$(date +%s.%N)
new_serial=$serial
for _ in $(seq 1 50); do
  new_serial=$(soa_serial "$port")
  [ -n "$new_serial" ] && [ "$new_serial" != "$serial" ] && break
  sleep 0.1
done
nsd_serial=""
for _ in $(seq 1 50); do
  nsd_serial=$(soa_serial "$nsd_port")
  [ "$nsd_serial" = "$new_serial" ] && break
  sleep 0.1
done
took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
if [ "$new_serial" != "$serial" ] && [ "$nsd_serial" = "$new_serial" ] \
  && dig +short -p "$nsd_port" @127.0.0.1 "added.$zone" A | grep -q 192.0.2.81; then
  pass "NSD serves the new serial $new_serial ${took}s after the change, its refresh an hour away: NOTIFY worked"
else
  failed "NSD serves serial '${nsd_serial}', signetd '$new_serial' (was $serial): $(grep -i 'notify' "$work/nsd.log" | tail -3)"
fi
for _ in $(seq 1 30); do
  grep -q "NOTIFY $zone. serial $new_serial to secondary (127.0.0.1:$nsd_port key xfr-key.): acknowledged" \
    "$work/daemon.log" && break
  sleep 0.1
done
if grep -q "NOTIFY $zone. serial $new_serial to secondary (127.0.0.1:$nsd_port key xfr-key.): acknowledged" \
  "$work/daemon.log"; then
  pass "signetd logged the signed NOTIFY of serial $new_serial acknowledged by NSD"
else
  failed "no acknowledged NOTIFY in the log: $(grep NOTIFY "$work/daemon.log" | tail -3)"
fi
# The NOTIFY at start (NSD was not up yet) ends when the new version's replaces it.
if grep -q "NOTIFY $zone. serial $serial to secondary (127.0.0.1:$nsd_port key xfr-key.): \(acknowledged\|replaced by serial $new_serial\)" \
  "$work/daemon.log"; then
  pass "signetd notified serial $serial at start: $(grep -o "NOTIFY $zone. serial $serial to secondary.*" "$work/daemon.log" | sed 's/.*: //')"
else
  failed "no NOTIFY of serial $serial at start: $(grep NOTIFY "$work/daemon.log" | head -3)"
fi
if grep -q "NOTIFY $zone. serial $new_serial to unkeyed (127.0.0.1:$nsd_port): answered [A-Z]" "$work/daemon.log"; then
  pass "an unsigned NOTIFY NSD does not accept: $(grep -o "to unkeyed.*answered [A-Z]*" "$work/daemon.log" | tail -1)"
else
  failed "no error answer for the unkeyed remote: $(grep unkeyed "$work/daemon.log" | tail -3)"
fi
if grep -q "$secret" "$work/daemon.log"; then
  failed "the secret is in the log"
else
  pass "the secret is in no log line"
fi

kill -TERM "$daemon_pid"
status=0
wait "$daemon_pid" || status=$?
daemon_pid=""
if [ $status -eq 0 ]; then pass "signetd stopped cleanly"; else failed "signetd exit status $status"; fi

# Without [daemon] listen nothing is served and nothing notified: the zone's
# remotes are not ignored in silence.
sed -i '/^listen = /d' "$state/signet.toml"
"$signetd" --state "$state" >"$work/unserved.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 300); do
  grep -q "listen is empty" "$work/unserved.log" && break
  sleep 0.1
done
kill -TERM "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=""
if grep -q "zone '$zone\.\?' has --notify or --allow-transfer remotes, but \[daemon\] listen is empty" "$work/unserved.log"; then
  pass "without [daemon] listen, the zone's remotes are warned of: $(grep -o "signetd serves no DNS.*" "$work/unserved.log" | head -1)"
else
  failed "no warning without [daemon] listen: $(tail -3 "$work/unserved.log")"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures failed; the daemon's log:"
  tail -20 "$work/daemon.log"
  exit 1
fi
