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
  nsd_serve example.nl "$1" insecure.example.nl "$work/insecure.example.nl.zone"
}
stop() { nsd_stop; }

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
  ds_anchor example.nl "$(awk '{ print $5, $6, $7, $8 }' <<<"$ds")"

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
