#!/usr/bin/env bash
# End to end: a zone signed by signet, served by NSD on 127.0.0.1, resolved
# through BIND's validating delv with the DS from `signet ds` as the trust
# anchor. A positive answer, NXDOMAIN, NODATA and a wildcard answer must be
# secure; a name below an unsigned delegation insecure; and a zone altered
# after signing must fail validation (so the check can fail).
# usage: serve_delv.sh SIGNET SOURCE_DIR
set -euo pipefail
signet=$1
src=$2
work=$(mktemp -d)
nsd_pid=
cleanup() {
  if [ -n "$nsd_pid" ]; then kill "$nsd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export SIGNET_STATE=$work/state
unset SIGNET_PIN SIGNET_NOW
. "$(dirname "$0")/lib.sh"

# The quick-start zone plus an unsigned delegation, whose child NSD serves
# too (unsigned).
cp "$src/conf/example.nl.zone" "$work/example.nl.zone"
cat >>"$work/example.nl.zone" <<'ZONE'
insecure        NS      ns.insecure
ns.insecure     A       127.0.0.1
ZONE
cat >"$work/insecure.example.nl.zone" <<'ZONE'
$TTL 300
@     SOA ns.insecure.example.nl. hostmaster.example.nl. 1 3600 600 86400 300
      NS  ns
ns    A   127.0.0.1
host  A   192.0.2.200
ZONE

"$signet" init >/dev/null
port=$((20000 + RANDOM % 20000))

serve() { # signed-zone-file -> starts NSD, sets nsd_pid
  cat >"$work/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$port
  port: $port
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$work"
  pidfile: "$work/nsd.pid"
  logfile: "$work/nsd.log"
  xfrdfile: "$work/xfrd.state"
  zonelistfile: "$work/zone.list"
  database: ""
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: example.nl
  zonefile: "$1"
zone:
  name: insecure.example.nl
  zonefile: "$work/insecure.example.nl.zone"
CONF
  rm -f "$work/nsd.pid"
  nsd -c "$work/nsd.conf" || { failed "nsd did not start: $(tail -5 "$work/nsd.log")"; return 1; }
  for _ in $(seq 50); do
    [ -s "$work/nsd.pid" ] && dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" example.nl SOA >/dev/null 2>&1 && break
    sleep 0.1
  done
  nsd_pid=$(cat "$work/nsd.pid")
}
stop() {
  kill "$nsd_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$nsd_pid" 2>/dev/null || break; sleep 0.1; done
  nsd_pid=
}

ask() { # name type -> delv output
  delv @127.0.0.1 -p "$port" -a "$work/anchor.conf" +root=example.nl +nomtrace +norrcomments "$1" "$2" 2>&1
}
expect() { # label name type pattern
  local out
  out=$(ask "$2" "$3")
  if grep -q -- "$4" <<<"$out"; then pass "$1 ($2 $3): $4"; else failed "$1 ($2 $3): wanted '$4', got: $(head -3 <<<"$out" | tr '\n' ' ')"; fi
}

for policy in default nsec; do
  zone=example.nl
  "$signet" zone remove $zone >/dev/null 2>&1 || true
  "$signet" zone add $zone --input "$work/example.nl.zone" --output "$work/example.nl.signed" --policy $policy >/dev/null
  "$signet" sign $zone >/dev/null
  # The trust anchor is the DS the parent would publish.
  ds=$("$signet" ds $zone | grep -v '^;' | head -1)
  read -r _ _ _ _ tag alg digest_type digest <<<"$ds"
  printf 'trust-anchors {\n  example.nl. static-ds %s %s %s "%s";\n};\n' "$tag" "$alg" "$digest_type" "$digest" >"$work/anchor.conf"

  serve "$work/example.nl.signed" || continue
  expect "$policy positive" www.example.nl A "; fully validated"
  expect "$policy NXDOMAIN" nothere.example.nl A "; negative response, fully validated"
  expect "$policy NODATA" www.example.nl MX "; negative response, fully validated"
  expect "$policy wildcard" anything.shop.example.nl A "; fully validated"
  expect "$policy insecure delegation" host.insecure.example.nl A "; unsigned answer"
  stop

  # Changed after signing: delv must refuse it.
  sed 's/^\(www\.example\.nl\. [0-9]* IN A\) .*/\1 192.0.2.99/' "$work/example.nl.signed" >"$work/tampered.signed"
  cmp -s "$work/example.nl.signed" "$work/tampered.signed" && failed "$policy: tampering changed nothing"
  serve "$work/tampered.signed" || continue
  out=$(ask www.example.nl A)
  if grep -q "fully validated" <<<"$out"; then failed "$policy tampered answer validated"; else pass "$policy tampered answer refused"; fi
  stop
done

echo "$failures failures"
[ $failures -eq 0 ]
