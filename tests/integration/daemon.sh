#!/usr/bin/env bash
# signetd as a hoster runs it: started on a state dir, it signs what is due,
# follows changed inputs within seconds, runs the writing signet commands
# sent to it, survives broken inputs and configurations, kill -9 and
# concurrent clients, and stops cleanly. Real processes and a real token;
# every output is checked by dnssec-verify and ldns-verify-zone.
# usage: daemon.sh SIGNET SOURCE_DIR
set -euo pipefail
signet=$1
src=$2
signetd=$(dirname "$signet")/signetd
work=$(mktemp -d)
state=$work/state
export SIGNET_STATE=$state
unset SIGNET_NOW SIGNET_LOCK_FD
daemon_pid=""
cleanup() {
  [ -z "$daemon_pid" ] || kill -9 "$daemon_pid" 2>/dev/null || true
  [ -n "${SIGNET_KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/lib.sh"

# Under the sanitizers every signing is several times slower.
big=20000
kill_rounds=20
writers=50
case "$signet" in *asan*) big=4000 kill_rounds=6 writers=20 ;; esac

# --- helpers ------------------------------------------------------------------
start_daemon() { # [signetd options...]
  "$signetd" --state "$state" "$@" >>"$work/daemon.log" 2>&1 &
  daemon_pid=$!
  # Ready when the control socket accepts connections.
  local i
  for i in $(seq 1 300); do
    if python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' \
      "$state/signetd.sock" 2>/dev/null; then
      return 0
    fi
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "FAIL signetd did not start: $(tail -5 "$work/daemon.log")"
  exit 1
}
stop_daemon() { # the exit status of a SIGTERM'd daemon
  local status=0
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || status=$?
  daemon_pid=""
  return $status
}
# Polls COMMAND every 0.1 s for up to SECONDS; the seconds it took, or fails.
wait_until() { # seconds command...
  local limit=$1 started
  shift
  started=$(date +%s.%N)
  while ! "$@" 2>/dev/null; do
    if [ "$(echo "$(date +%s.%N) - $started > $limit" | bc)" = 1 ]; then
      return 1
    fi
    sleep 0.1
  done
  echo "$(date +%s.%N) - $started" | bc | xargs printf '%.1f'
}
serial_of() { awk '$4 == "SOA" { print $7; exit }' "$1"; }
serial_above() { [ -s "$1" ] && [ "$(serial_of "$1")" -gt "$2" ]; }
has() { grep -q -- "$2" "$1"; }
verified() { # zone file
  dnssec-verify -q -o "$1" "$2" >"$work/verify" 2>&1 && ldns-verify-zone -q "$2" >>"$work/verify" 2>&1
}
check_verified() { # label zone file
  if verified "$2" "$3"; then pass "$1: $2 validates (dnssec-verify, ldns-verify-zone)"; else failed "$1: $2 does not validate: $(head -3 "$work/verify")"; fi
}
zone_file() { # name serial [extra line]
  printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns1 hostmaster %s 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.2\n%s\n' \
    "$1" "$2" "${3:-}"
}

# --- a state with two zones, never signed ---------------------------------------
"$signet" init >/dev/null
mkdir -p "$work/in" "$work/signed"
zone_file a.test 1 >"$work/in/a.test.zone"
zone_file b.test 1 >"$work/in/b.test.zone"
"$signet" zone add a.test --input "$work/in/a.test.zone" --output "$work/signed/a.test.signed" >/dev/null
"$signet" zone add b.test --input "$work/in/b.test.zone" --output "$work/signed/b.test.signed" --policy nsec >/dev/null

metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '\n[daemon]\nmetrics = "127.0.0.1:%s"\n' "$metrics_port" >>"$state/signet.toml"

start_daemon
if took=$(wait_until 30 test -s "$work/signed/a.test.signed" -a -s "$work/signed/b.test.signed"); then
  pass "signetd signs every never-signed zone at start (${took} s)"
else
  failed "signetd did not sign the zones at start: $(tail -3 "$work/daemon.log")"
fi
check_verified "at start" a.test "$work/signed/a.test.signed"
check_verified "at start" b.test "$work/signed/b.test.signed"

# --- one owner ------------------------------------------------------------------
status=0
"$signetd" --state "$state" >"$work/out" 2>&1 || status=$?
if [ $status -ne 0 ] && has "$work/out" "pid $daemon_pid"; then
  pass "a second signetd on the same state exits $status naming the holder (pid $daemon_pid)"
else
  failed "a second signetd: exit $status, $(head -2 "$work/out")"
fi
if grep -q "^pid $daemon_pid: signetd" "$state/lock"; then
  pass "the lock file names signetd's pid"
else
  failed "the lock file holds '$(cat "$state/lock")'"
fi

# --- inputs that change ------------------------------------------------------------
before=$(serial_of "$work/signed/a.test.signed")
echo "added A 192.0.2.10" >>"$work/in/a.test.zone"
if took=$(wait_until 15 has "$work/signed/a.test.signed" "^added.a.test."); then
  pass "an input rewritten in place is signed within ${took} s"
else
  failed "an input rewritten in place was not signed within 15 s"
fi
check_verified "after an edit in place" a.test "$work/signed/a.test.signed"
if [ "$(serial_of "$work/signed/a.test.signed")" -gt "$before" ]; then
  pass "the new version has a higher serial"
else
  failed "serial $(serial_of "$work/signed/a.test.signed") after $before"
fi
zone_file b.test 1 "renamed A 192.0.2.11" >"$work/in/b.test.zone.new"
mv "$work/in/b.test.zone.new" "$work/in/b.test.zone"
if took=$(wait_until 15 has "$work/signed/b.test.signed" "^renamed.b.test."); then
  pass "an input replaced by a rename is signed within ${took} s"
else
  failed "an input replaced by a rename was not signed within 15 s"
fi
check_verified "after a rename" b.test "$work/signed/b.test.signed"

# --- commands sent to the daemon ----------------------------------------------------
before_sum=$(sha256sum <"$work/signed/a.test.signed")
status=0
"$signet" --wait 0 sign a.test >"$work/out" 2>"$work/err" || status=$?
if [ $status -eq 0 ] && has "$work/out" "unchanged" && grep -q "ran \`signet --wait 0 sign a.test\` for a client (uid $(id -u))" "$work/daemon.log"; then
  pass "signet sign goes to the daemon (even with --wait 0) and prints what it printed before"
else
  failed "signet sign through the daemon: exit $status, $(head -2 "$work/out" "$work/err")"
fi
[ "$(sha256sum <"$work/signed/a.test.signed")" = "$before_sum" ] || failed "an unchanged zone was rewritten"
status=0
"$signet" --json sign a.test >"$work/out" 2>"$work/err" || status=$?
if [ $status -eq 0 ] && python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r[0]["changed"] is False' "$work/out"; then
  pass "--json output comes back through the daemon intact"
else
  failed "--json through the daemon: exit $status: $(head -3 "$work/out")"
fi
status=0
"$signet" sign no-such.test >"$work/out" 2>"$work/err" || status=$?
if [ $status -eq 1 ] && has "$work/err" "no-such.test"; then
  pass "a failing command's exit status and message come back through the daemon"
else
  failed "failing command through the daemon: exit $status, $(head -2 "$work/err")"
fi
tag=$("$signet" --json ds a.test | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["key_tag"])')
status=0
"$signet" key ds-seen a.test "$tag" >"$work/out" 2>"$work/err" || status=$?
if [ $status -eq 1 ] && has "$work/err" "key $tag: its DS is not waiting to be published"; then
  pass "key ds-seen through the daemon answers as without it (a DS not yet due: refused)"
else
  failed "ds-seen through the daemon: exit $status, $(head -2 "$work/err")"
fi
status=0
"$signet" --config "$state/signet.toml" sign a.test >"$work/out" 2>"$work/err" || status=$?
if [ $status -eq 1 ] && has "$work/err" "signetd runs commands with its own configuration"; then
  pass "a client cannot bring its own configuration (and hooks) to the daemon"
else
  failed "--config through the daemon: exit $status, $(head -2 "$work/err")"
fi
zone_file c.test 1 >"$work/in/c.test.zone"
status=0
"$signet" zone add c.test --input "$work/in/c.test.zone" --output "$work/signed/c.test.signed" >"$work/out" 2>&1 || status=$?
if [ $status -eq 0 ] && took=$(wait_until 10 test -s "$work/signed/c.test.signed"); then
  pass "a zone added through the daemon is signed by it within ${took} s"
  check_verified "added zone" c.test "$work/signed/c.test.signed"
else
  failed "zone add through the daemon: exit $status, $(head -2 "$work/out")"
fi
dnskeys() { awk '$4 == "DNSKEY"' "$1" | wc -l; }
more_dnskeys() { [ "$(dnskeys "$1")" -gt "$2" ]; }
keys_before=$(dnskeys "$work/signed/c.test.signed")
status=0
"$signet" key rollover c.test --role zsk >"$work/out" 2>&1 || status=$?
if [ $status -eq 0 ] && took=$(wait_until 10 more_dnskeys "$work/signed/c.test.signed" "$keys_before"); then
  pass "a rollover asked for through the daemon publishes the new ZSK within ${took} s"
  check_verified "rollover started" c.test "$work/signed/c.test.signed"
else
  failed "rollover through the daemon: exit $status, $(head -2 "$work/out"); DNSKEYs $(dnskeys "$work/signed/c.test.signed")"
fi
# Read-only commands never wait for the lock.
if "$signet" --wait 0 zone list >"$work/out" 2>&1 && "$signet" --wait 0 ds a.test >>"$work/out" 2>&1 &&
  "$signet" --wait 0 health >>"$work/out" 2>&1; then
  pass "read-only commands (zone list, ds, health: OK) run beside the daemon"
else
  failed "read-only command beside the daemon: $(head -2 "$work/out")"
fi

# --- metrics ------------------------------------------------------------------------
# Parsed by the Prometheus client library's own parser, and checked against
# the outputs (Debian's python3-prometheus-client, for Debian's python3).
if /usr/bin/python3 - "$metrics_port" "$work/signed" >"$work/metrics.out" 2>&1 <<'PY'
import sys, time, urllib.request
from prometheus_client.parser import text_string_to_metric_families
port, signed = sys.argv[1], sys.argv[2]
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=10).read().decode()
families = {f.name: f for f in text_string_to_metric_families(text)}
def value(name, **labels):
    # The parser names a counter's family without its _total.
    family = families.get(name) or families[name[:-len("_total")]]
    for s in family.samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise SystemExit("no %s %s" % (name, labels))
now = time.time()
for zone in ("a.test.", "b.test.", "c.test."):
    serial = [l.split()[6] for l in open("%s/%ssigned" % (signed, zone)) if l.split()[3:4] == ["SOA"]][0]
    assert value("signet_zone_serial", zone=zone) == int(serial), (zone, serial)
    assert value("signet_zone_signature_expiration_timestamp_seconds", zone=zone) > now + 86400, zone
    assert value("signet_zone_last_signing_timestamp_seconds", zone=zone) <= now + 1, zone
    assert value("signet_zone_next_work_timestamp_seconds", zone=zone) > now - 60, zone
    keys = sum(s.value for s in families["signet_zone_keys"].samples if s.labels["zone"] == zone)
    assert keys >= 2, (zone, keys)
assert families["signet_zone_signatures_made"].type == "counter"
assert value("signet_zone_signatures_made_total", zone="c.test.") > 0
assert families["signet_token_sign_seconds"].type == "histogram"
assert value("signet_token_sign_seconds_count") > 0
assert value("process_resident_memory_bytes") > 0
print(len(families), "families")
PY
then
  pass "/metrics parses with prometheus_client ($(cat "$work/metrics.out")) and matches the outputs"
else
  failed "/metrics: $(tail -3 "$work/metrics.out")"
fi
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$metrics_port/other" || true)
[ "$status" = 404 ] && pass "anything but /metrics is 404" || failed "GET /other: $status"

# --- concurrent clients ------------------------------------------------------------
# $writers writers at once: sign --all, enforce --all, sign, key rollover.
concurrent_writers() { # label [global options...]
  local label=$1 i bad=0
  shift
  local pids=()
  rm -f "$work"/c.*
  for i in $(seq 1 $writers); do
    case $((i % 4)) in
      0) "$signet" "$@" sign --all >"$work/c.$i" 2>&1 & ;;
      1) "$signet" "$@" enforce --all >"$work/c.$i" 2>&1 & ;;
      2) "$signet" "$@" sign a.test >"$work/c.$i" 2>&1 & ;;
      3) "$signet" "$@" key rollover b.test --role zsk >"$work/c.$i" 2>&1 & ;;
    esac
    pids+=($!)
  done
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || bad=$((bad + 1)); done
  if [ $bad -eq 0 ]; then
    pass "$writers concurrent writing clients, $label: all ran"
  else
    failed "$bad of $writers concurrent clients failed, $label: $(cat "$work"/c.* | grep -v "^ " | head -3)"
  fi
  sleep 1
  for z in a.test b.test c.test; do check_verified "after concurrent clients, $label" $z "$work/signed/$z.signed"; done
  check_journals "$label"
}
# Every version in the journal has a serial of its own, above the one before.
check_journals() { # label
  local z dup
  for z in a.test b.test c.test; do
    dup=$("$signet" --json zone diff $z | python3 -c '
import json, sys
versions = json.load(sys.stdin)
serials = [v["serial_to"] for v in versions]
print(len(serials) - len(set(serials)) + sum(v["serial_to"] <= v["serial_from"] for v in versions))')
    [ "$dup" = 0 ] && pass "$1: $z: every version in the journal has a serial of its own" ||
      failed "$1: $z: $dup versions share a serial or go back"
  done
}
concurrent_writers "through the daemon"

# --- a broken input, a broken configuration ------------------------------------------
before_sum=$(sha256sum <"$work/signed/b.test.signed")
printf '$ORIGIN b.test.\n@ SOA ns1 hostmaster 5 7200 3600 1209600 300\nbroken A not-an-address\n' >"$work/in/b.test.zone"
if wait_until 15 grep -q "b.test.zone:3:.*its last good version was signed again" "$work/daemon.log" >/dev/null; then
  pass "a broken input is reported with file:line, and the last good version kept signed"
else
  failed "no error for the broken input: $(tail -3 "$work/daemon.log")"
fi
if kill -0 "$daemon_pid" && [ "$(sha256sum <"$work/signed/b.test.signed")" = "$before_sum" ]; then
  pass "the daemon runs on and the last good output stays"
else
  failed "after a broken input: daemon gone or output changed"
fi
zone_file b.test 1 "fixed A 192.0.2.12" >"$work/in/b.test.zone"
if took=$(wait_until 15 has "$work/signed/b.test.signed" "^fixed.b.test."); then
  pass "the repaired input is signed within ${took} s"
else
  failed "the repaired input was not signed"
fi
cp "$state/signet.toml" "$work/signet.toml.good"
echo "bogus = 1" >>"$state/signet.toml" # in the last table, [daemon]
kill -HUP "$daemon_pid"
if wait_until 15 grep -q "not reloaded.*unknown key 'bogus'" "$work/daemon.log" >/dev/null && kill -0 "$daemon_pid"; then
  pass "SIGHUP with a broken signet.toml keeps the configuration in use, naming the fault"
else
  failed "SIGHUP with a broken config: $(tail -2 "$work/daemon.log")"
fi
# The configuration in use goes on signing while the file is broken.
echo "while-broken A 192.0.2.13" >>"$work/in/a.test.zone"
if took=$(wait_until 15 has "$work/signed/a.test.signed" "^while-broken.a.test."); then
  pass "with signet.toml broken on disk, a changed input is still signed (${took} s)"
else
  failed "with signet.toml broken, a changed input was not signed: $(tail -2 "$work/daemon.log")"
fi
cp "$work/signet.toml.good" "$state/signet.toml"
kill -HUP "$daemon_pid"
wait_until 15 grep -q "reloaded $state/signet.toml" "$work/daemon.log" >/dev/null && pass "SIGHUP rereads signet.toml" ||
  failed "no reload: $(tail -2 "$work/daemon.log")"

# --- an input directory that goes away -----------------------------------------------
mkdir "$work/in-d"
zone_file d.test 1 >"$work/in-d/d.test.zone"
"$signet" zone add d.test --input "$work/in-d/d.test.zone" --output "$work/signed/d.test.signed" >/dev/null
wait_until 10 test -s "$work/signed/d.test.signed" >/dev/null || failed "d.test was not signed"
d_sum=$(sha256sum <"$work/signed/d.test.signed")
rm -rf "$work/in-d"
if wait_until 15 grep -q "d.test.zone.*its last good version was signed again" "$work/daemon.log" >/dev/null &&
  kill -0 "$daemon_pid" && [ "$(sha256sum <"$work/signed/d.test.signed")" = "$d_sum" ]; then
  pass "a removed input directory: its zone is looked at at once and its last good version stays signed"
else
  failed "after its input directory went away, d.test: $(grep d.test "$work/daemon.log" | tail -2)"
fi
# Back again: signed at the zone's retry (30 s after the failure), and
# watched from then on.
mkdir "$work/in-d"
zone_file d.test 1 "back A 192.0.2.20" >"$work/in-d/d.test.zone"
if took=$(wait_until 60 has "$work/signed/d.test.signed" "^back.d.test."); then
  echo "again A 192.0.2.21" >>"$work/in-d/d.test.zone"
  if took=$(wait_until 15 has "$work/signed/d.test.signed" "^again.d.test."); then
    pass "the input directory back: signed at the retry, and a change to it seen at once again (${took} s)"
  else
    failed "the input directory back: a change to it was not seen"
  fi
else
  failed "the input directory back: not signed at the retry: $(grep d.test "$work/daemon.log" | tail -2)"
fi
"$signet" zone remove --force d.test >/dev/null

# --- kill -9 while signing, and a restart ------------------------------------------------
python3 "$src/tools/genzone" --origin big.test --seed 5 "$big" -o "$work/in/big.test.zone"
"$signet" zone add big.test --input "$work/in/big.test.zone" --output "$work/signed/big.test.signed" >/dev/null
wait_until 120 test -s "$work/signed/big.test.signed" >/dev/null || failed "big.test was not signed"
kills=0
unfinished=0
for round in $(seq 1 $kill_rounds); do
  echo "round$round 300 IN A 192.0.2.$round" >>"$work/in/big.test.zone"
  sleep "0.$((RANDOM % 9 + 1))"
  has "$work/signed/big.test.signed" "^round$round.big.test." || unfinished=$((unfinished + 1))
  kill -9 "$daemon_pid"
  wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=""
  kills=$((kills + 1))
  start_daemon
done
if took=$(wait_until 120 has "$work/signed/big.test.signed" "^round$kill_rounds.big.test."); then
  pass "after $kills kill -9s ($unfinished before the change was published) and restarts, the last change is published (${took} s after the last start)"
else
  failed "the last change before the kills never appeared"
fi
for z in a.test b.test c.test big.test; do check_verified "after kill -9" $z "$work/signed/$z.signed"; done
ls "$work/signed" | grep -v '\.signed$' >"$work/leftovers" || true
[ ! -s "$work/leftovers" ] || failed "temporary files left beside the outputs: $(head -3 "$work/leftovers")"

# --- a daemon started with --config runs its clients' commands with that file ----------
stop_daemon >/dev/null || true
cp "$state/signet.toml" "$work/elsewhere.toml"
printf '\n[policy.elsewhere]\n' >>"$work/elsewhere.toml"
start_daemon --config "$work/elsewhere.toml"
status=0
"$signet" zone add e.test --input "$work/in/missing.zone" --output "$work/signed/e.test.signed" --policy elsewhere \
  >"$work/out" 2>"$work/err" || status=$?
if [ $status -eq 1 ] && has "$work/err" "missing.zone: no such file" && has "$work/daemon.log" "ran \`signet zone add e.test"; then
  pass "signetd --config FILE: a client's command is run with FILE (its policy is known)"
else
  failed "a client's command under signetd --config: exit $status, $(head -2 "$work/err")"
fi
stop_daemon >/dev/null || true
start_daemon

# --- stopping ----------------------------------------------------------------------------
pid=$daemon_pid
status=0
stop_daemon || status=$?
if [ $status -eq 0 ] && [ ! -e "$state/signetd.sock" ] && ! kill -0 "$pid" 2>/dev/null; then
  pass "SIGTERM stops signetd with exit 0 and removes its socket"
else
  failed "SIGTERM: exit $status, socket $(ls "$state"/signetd.sock 2>&1)"
fi
# No key orphaned by the kills: the token holds exactly the store's keys.
sqlite3 "$state/signet.db" 'select lower(locator) from key where removed is null' | sort >"$work/stored-ids"
token_ids | sort >"$work/token-ids"
if [ -s "$work/stored-ids" ] && cmp -s "$work/stored-ids" "$work/token-ids"; then
  pass "the token holds exactly the $(stored_keys) keys of the store"
else
  failed "token and store differ: $(diff "$work/stored-ids" "$work/token-ids" | head -4)"
fi
concurrent_writers "without a daemon (each takes the lock, --wait 600)" --wait 600
status=0
"$signet" --wait 0 sign a.test >"$work/out" 2>&1 || status=$?
if [ $status -eq 0 ] && ! grep -q "ran \`signet --wait 0 sign a.test\` for a client" <(tail -3 "$work/daemon.log"); then
  pass "without the daemon, signet takes the lock itself again"
else
  failed "signet without the daemon: exit $status, $(head -2 "$work/out")"
fi

echo "$failures failures"
[ "$failures" -eq 0 ]
