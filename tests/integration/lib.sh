# Shared by the integration scripts (sourced): counting results, and the
# check that a failing command leaves everything as it was. A script that
# uses expect_failure defines snapshot FILE, which writes what must not
# change, and sets $work.
failures=0
pass() { echo "ok   $*"; }
failed() { echo "FAIL $*"; failures=$((failures + 1)); }

expect_failure() { # label expected-message command...
  local label=$1 message=$2 status=0
  shift 2
  snapshot "$work/before"
  "$@" >"$work/out" 2>"$work/err" || status=$?
  snapshot "$work/after"
  if [ $status -ne 1 ]; then
    failed "$label: exit status $status, not 1"
  elif ! grep -q -- "$message" "$work/err"; then
    failed "$label: stderr lacks '$message': $(head -3 "$work/err")"
  elif ! cmp -s "$work/before" "$work/after"; then
    failed "$label: what must not change changed: $(diff "$work/before" "$work/after" | head -4)"
  else
    pass "$label: clear error, exit 1, nothing changed"
  fi
}

# The keys of the store in $state, and the CKA_ID (hex) of each private key
# in its token, "none" for an object without one.
stored_keys() { sqlite3 "$state/signet.db" 'select count(*) from key where removed is null'; }
token_ids() {
  SOFTHSM2_CONF=$state/softhsm2.conf GNUTLS_PIN=$(cat "$state/token.pin") \
    p11tool --provider /usr/lib/softhsm/libsofthsm2.so --list-privkeys --login "pkcs11:token=signet" 2>/dev/null |
    python3 -c '
import re, sys
for line in sys.stdin:
    if "URL:" in line:
        m = re.search(r"id=((?:%[0-9a-fA-F]{2})+)", line)
        print(m.group(1).replace("%", "").lower() if m else "none")'
}

# signetd as a primary on 127.0.0.1:$port with the TSIG key xfr-key: writes
# its secret (base64, 0600) to $state/tsig/xfr-key.key, sets $secret, and
# appends [daemon] listen and [tsig.xfr-key] to signet.toml (the caller adds
# its remotes). usage: xfr_primary_conf
xfr_primary_conf() {
  secret=$(head -c 32 /dev/urandom | base64)
  mkdir -p "$state/tsig"
  (umask 077 && printf '%s\n' "$secret" >"$state/tsig/xfr-key.key")
  cat >>"$state/signet.toml" <<CONF

[daemon]
listen = ["127.0.0.1:$port"]

[tsig.xfr-key]
algorithm = "hmac-sha256"
secret-file = "tsig/xfr-key.key"
CONF
}

# NSD on 127.0.0.1:$nsd_port as a TSIG secondary of signetd ($port, key
# xfr-key, $secret) for $zone; waits until it serves SERIAL (10 s at most)
# and sets nsd_pid. usage: nsd_secondary SERIAL
nsd_secondary() {
  { nsd_server_conf "$nsd_port" 2; cat <<CONF
key:
  name: "xfr-key"
  algorithm: hmac-sha256
  secret: "$secret"
zone:
  name: "$zone"
  zonefile: "$work/nsd-$zone.zone"
  request-xfr: 127.0.0.1@$port xfr-key
  allow-notify: 127.0.0.1 xfr-key
CONF
  } >"$work/nsd.conf"
  nsd -c "$work/nsd.conf" || { failed "nsd did not start: $(tail -5 "$work/nsd.log")"; return 1; }
  for _ in $(seq 1 100); do
    [ -s "$work/nsd.pid" ] && nsd_pid=$(cat "$work/nsd.pid")
    [ "$(dig +short +time=1 +tries=1 -p "$nsd_port" @127.0.0.1 "$zone" SOA 2>/dev/null | awk '{ print $3 }')" = "$1" ] \
      && break
    sleep 0.1
  done
}

# The server part of an nsd.conf for NSD on 127.0.0.1:PORT with its files
# in $work. usage: nsd_server_conf PORT [VERBOSITY]
nsd_server_conf() {
  cat <<CONF
server:
  ip-address: 127.0.0.1@$1
  port: $1
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$work"
  pidfile: "$work/nsd.pid"
  logfile: "$work/nsd.log"
  xfrdfile: "$work/xfrd.state"
  zonelistfile: "$work/zone.list"
  database: ""
  verbosity: ${2:-1}
remote-control:
  control-enable: no
CONF
}

# NSD serving zones on 127.0.0.1:$port (chosen at random when unset) from
# files, with its files in $work; sets nsd_pid, which the caller's cleanup
# kills. usage: nsd_serve ZONE FILE [ZONE FILE ...]
nsd_serve() {
  : "${port:=$((20000 + RANDOM % 20000))}"
  local first=$1
  {
    nsd_server_conf "$port"
    while [ $# -ge 2 ]; do
      printf 'zone:\n  name: %s\n  zonefile: "%s"\n' "$1" "$2"
      shift 2
    done
  } >"$work/nsd.conf"
  rm -f "$work/nsd.pid"
  nsd -c "$work/nsd.conf" || { failed "nsd did not start: $(tail -5 "$work/nsd.log")"; return 1; }
  for _ in $(seq 50); do
    [ -s "$work/nsd.pid" ] && dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" "$first" SOA >/dev/null 2>&1 && break
    sleep 0.1
  done
  nsd_pid=$(cat "$work/nsd.pid")
}
nsd_stop() {
  [ -n "${nsd_pid:-}" ] || return 0
  kill "$nsd_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$nsd_pid" 2>/dev/null || break; sleep 0.1; done
  nsd_pid=
}

# A trust anchor for delv in $work/anchor.conf: the DS "TAG ALG TYPE DIGEST" of ZONE.
# usage: ds_anchor ZONE "TAG ALG TYPE DIGEST"
ds_anchor() {
  local t a d h
  read -r t a d h <<<"$2"
  printf 'trust-anchors {\n  %s. static-ds %s %s %s "%s";\n};\n' "${1%.}" "$t" "$a" "$d" "$h" >"$work/anchor.conf"
}
