#!/usr/bin/env bash
# TLSA end to end, with certificates made by the openssl command line:
#   1. `signet tlsa create` against hash-slinger's `tlsa --create`, GnuTLS
#      `danetool --tlsa-rr`, ldns-dane and values computed with openssl, for
#      every usage, selector and matching type each of them supports;
#   2. a zone with TLSA bindings signs, holds the right records, and passes
#      dnssec-verify, ldns-verify-zone and kzonecheck;
#   3. `signet tlsa check` against `openssl s_server` (implicit TLS) and a
#      local SMTP server with STARTTLS, agreeing record by record with
#      `openssl s_client -dane_tlsa_rrdata` on matching and mismatching
#      records;
#   4. a certificate and CA rollover driven with --now, checked moment by
#      moment against every TLSA RRset a cache of up to one TTL may hold;
#   5. missing, unreadable and expired certificates: the zone still signed,
#      with the binding's published records, and a clear error naming the
#      file, exit status 1.
# usage: tlsa.sh SIGNET SOURCE_DIR
set -euo pipefail
signet=$1
src=$2
work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [ -n "${SIGNET_KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
export SIGNET_STATE=$work/state
unset SIGNET_PIN SIGNET_NOW

. "$(dirname "$0")/lib.sh"
lower() { tr 'A-F' 'a-f'; }

# --- certificates ------------------------------------------------------------
names=(mail.example.test www.example.test mail.roll.test)
make_ca() { # name subject
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/$1.key" \
    -out "$work/$1.pem" -days 3650 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
make_leaf() { # name ca days ec|rsa
  local name=$1 ca=$2 days=$3 san key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
  [ "$4" = rsa ] && key=(-newkey rsa:2048)
  san=$(printf 'DNS:%s,' "${names[@]}")
  openssl req "${key[@]}" -nodes -keyout "$work/$name.key" -out "$work/$name.csr" -subj "/CN=$name" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' "${san%,}" \
    >"$work/$name.ext"
  openssl x509 -req -in "$work/$name.csr" -CA "$work/$ca.pem" -CAkey "$work/$ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days "$days" -extfile "$work/$name.ext" -out "$work/$name.pem" 2>/dev/null
  cat "$work/$name.pem" "$work/$ca.pem" >"$work/$name.chain.pem"
}
make_ca ca1 "Signet Test CA One"
make_ca ca2 "Signet Test CA Two"
make_leaf leaf1 ca1 365 ec
make_leaf leaf2 ca1 365 rsa
make_leaf leaf3 ca2 365 ec
make_leaf short ca1 2 ec

# Association data as openssl computes it: selector 0 hashes the DER
# certificate, selector 1 its SubjectPublicKeyInfo.
selected_der() { # cert-file selector
  if [ "$2" = 0 ]; then openssl x509 -in "$1" -outform DER
  else openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER; fi
}
expected_data() { # cert-file selector mtype
  case $3 in
    0) selected_der "$1" "$2" | od -An -v -tx1 | tr -d ' \n' ;;
    1) selected_der "$1" "$2" | openssl dgst -sha256 -r | cut -d' ' -f1 ;;
    2) selected_der "$1" "$2" | openssl dgst -sha512 -r | cut -d' ' -f1 ;;
  esac
}
# The RDATA of a presentation-form line: "U S M HEX", lower case.
rdata_of() { awk '{ for (i = 1; i <= NF; i++) if ($i == "TLSA") { print $(i+1), $(i+2), $(i+3), $(i+4); exit } }' | lower; }

# --- 1. tlsa create against hash-slinger, danetool, ldns-dane ---------------
agree=0 by_hash_slinger=0 by_danetool=0 by_ldns_dane=0
owner=$("$signet" tlsa create --cert "$work/leaf1.pem" www.example.test --port 443 | awk '{print $1}')
[ "$owner" = "_443._tcp.www.example.test." ] || failed "tlsa create: owner $owner"
for leaf in leaf1 leaf2; do
  for usage in 0 1 2 3; do
    # Usages 1 and 3 are about the end-entity certificate, 0 and 2 about its
    # issuer; danetool takes that certificate's own file.
    subject=$work/$leaf.pem
    [ "$usage" = 0 ] || [ "$usage" = 2 ] && subject=$work/ca1.pem
    for selector in 0 1; do
      for mtype in 0 1 2; do
        combo="$leaf $usage $selector $mtype"
        want="$usage $selector $mtype $(expected_data "$subject" $selector $mtype)"
        ours=$("$signet" tlsa create --cert "$work/$leaf.chain.pem" --usage $usage --selector $selector --mtype $mtype \
          --port 443 www.example.test | rdata_of)
        if [ "$ours" != "$want" ]; then
          failed "create $combo: signet '$ours', openssl '$want'"
          continue
        fi
        # hash-slinger reads the same chain file; for the TA usages it asks
        # about each certificate in turn: not the end entity, yes its issuer.
        theirs=$(printf 'n\ny\n' | tlsa --create --certificate "$work/$leaf.chain.pem" --usage $usage --selector $selector \
          --mtype $mtype --port 443 www.example.test 2>/dev/null | rdata_of)
        if [ "$theirs" = "$ours" ]; then by_hash_slinger=$((by_hash_slinger + 1))
        else failed "create $combo: hash-slinger '$theirs', signet '$ours'"; fi
        theirs=$(ldns-dane -d -c "$work/$leaf.chain.pem" -f "$work/ca1.pem" create www.example.test 443 \
          $usage $selector $mtype 2>/dev/null | rdata_of)
        if [ "$theirs" = "$ours" ]; then by_ldns_dane=$((by_ldns_dane + 1))
        else failed "create $combo: ldns-dane '$theirs', signet '$ours'"; fi
        # danetool hashes (SHA-256 or SHA-512) and has no full (0) form.
        if [ "$mtype" != 0 ]; then
          args=(--tlsa-rr --host www.example.test --port 443 --load-certificate "$subject"
                --hash "$([ "$mtype" = 1 ] && echo sha256 || echo sha512)")
          [ "$selector" = 0 ] && args+=(--x509)
          [ "$usage" = 0 ] || [ "$usage" = 2 ] && args+=(--ca)
          [ "$usage" = 0 ] || [ "$usage" = 1 ] && args+=(--no-domain)
          theirs=$(danetool "${args[@]}" 2>/dev/null | tr -d '()' | rdata_of | awk '{print $1+0, $2+0, $3+0, $4}')
          if [ "$theirs" = "$ours" ]; then by_danetool=$((by_danetool + 1))
          else failed "create $combo: danetool '$theirs', signet '$ours'"; fi
        fi
        agree=$((agree + 1))
      done
    done
  done
done
[ $by_hash_slinger = 48 ] && [ $by_ldns_dane = 48 ] && [ $by_danetool = 32 ] &&
  pass "tlsa create: $agree combinations (EC and RSA keys) equal openssl's values; hash-slinger agrees on $by_hash_slinger, ldns-dane on $by_ldns_dane, danetool on $by_danetool (all it supports)" ||
  failed "tlsa create cross-checks: hash-slinger $by_hash_slinger/48, ldns-dane $by_ldns_dane/48, danetool $by_danetool/32"
# A DER file gives the same record; a lone certificate has no issuer for 2 x x.
openssl x509 -in "$work/leaf1.pem" -outform DER -out "$work/leaf1.der"
[ "$("$signet" tlsa create --cert "$work/leaf1.der" _25._tcp.mail.example.test | rdata_of)" = \
  "3 1 1 $(expected_data "$work/leaf1.pem" 1 1)" ] && pass "tlsa create reads DER" || failed "tlsa create from DER"
status=0
"$signet" tlsa create --cert "$work/leaf1.pem" --usage 2 www.example.test >/dev/null 2>"$work/err" || status=$?
[ $status = 1 ] && grep -q -- "$work/leaf1.pem: .*--chain" "$work/err" &&
  pass "tlsa create: a DANE-TA record without the issuer is refused, naming the file" ||
  failed "tlsa create without issuer: status $status, $(cat "$work/err")"

# --- 2. a zone with bindings signs and validates ----------------------------
"$signet" init >/dev/null
cat >"$work/example.test.zone" <<'ZONE'
$TTL 3600
@      SOA  ns1 hostmaster 1 3600 600 86400 300
@      NS   ns1
@      MX   10 mail
ns1    A    192.0.2.1
mail   A    192.0.2.25
www    A    192.0.2.80
ZONE
"$signet" zone add example.test --input "$work/example.test.zone" --output "$work/example.test.signed" >/dev/null
"$signet" tlsa add example.test --host mail.example.test --port 25 --cert "$work/leaf1.pem" --chain "$work/ca1.pem" >/dev/null
"$signet" tlsa add example.test --host www.example.test --port 443 --cert "$work/leaf1.chain.pem" \
  --records "3 1 1,2 0 2,3 0 0" --ttl 600 >/dev/null
# Services whose records will not match what the test servers present: a
# key from another CA, and a DANE-TA record for a name the certificate
# does not carry.
"$signet" tlsa add example.test --host relay.example.test --port 25 --cert "$work/leaf3.chain.pem" >/dev/null
"$signet" tlsa add example.test --host other.example.test --port 443 --cert "$work/leaf1.chain.pem" >/dev/null
status=0
"$signet" tlsa add example.test --host mail.example.org --port 25 --cert "$work/leaf1.chain.pem" >/dev/null 2>"$work/err" || status=$?
[ $status = 1 ] && grep -q "outside the zone example.test." "$work/err" &&
  pass "a binding outside the zone is refused" || failed "binding outside the zone: status $status, $(cat "$work/err")"
[ "$("$signet" --json tlsa list example.test | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 4 ] &&
  pass "tlsa list shows the four bindings" || failed "tlsa list"

if "$signet" sign example.test >"$work/sign.out" 2>&1; then
  tlsa_at() { awk -v o="$1" '$1 == o && $4 == "TLSA" {print $5, $6, $7, tolower($8)}' "$2" | sort; }
  want=$(printf '%s\n' "3 1 1 $(expected_data "$work/leaf1.pem" 1 1)" "2 1 1 $(expected_data "$work/ca1.pem" 1 1)" | sort)
  [ "$(tlsa_at _25._tcp.mail.example.test. "$work/example.test.signed")" = "$want" ] &&
    pass "the signed zone holds 3 1 1 and 2 1 1 for mail.example.test" ||
    failed "TLSA at _25._tcp.mail: $(tlsa_at _25._tcp.mail.example.test. "$work/example.test.signed")"
  want=$(printf '%s\n' "3 1 1 $(expected_data "$work/leaf1.pem" 1 1)" "2 0 2 $(expected_data "$work/ca1.pem" 0 2)" \
    "3 0 0 $(expected_data "$work/leaf1.pem" 0 0)" | sort)
  [ "$(tlsa_at _443._tcp.www.example.test. "$work/example.test.signed")" = "$want" ] &&
    awk '$1 == "_443._tcp.www.example.test." && $4 == "TLSA" {exit $2 != 600}' "$work/example.test.signed" &&
    pass "the signed zone holds the three chosen records for www.example.test, TTL 600" ||
    failed "TLSA at _443._tcp.www"
  grep -q '_443._tcp.www.example.test.*RRSIG.*TLSA' "$work/example.test.signed" && pass "the TLSA RRsets are signed" ||
    failed "no RRSIG over TLSA"
  ok=1
  dnssec-verify -q -o example.test "$work/example.test.signed" >"$work/v.out" 2>&1 || { failed "dnssec-verify: $(tail -3 "$work/v.out")"; ok=0; }
  ldns-verify-zone "$work/example.test.signed" >"$work/v.out" 2>&1 || { failed "ldns-verify-zone: $(tail -3 "$work/v.out")"; ok=0; }
  kzonecheck --dnssec on -o example.test "$work/example.test.signed" >"$work/v.out" 2>&1 || { failed "kzonecheck: $(tail -3 "$work/v.out")"; ok=0; }
  [ $ok = 1 ] && pass "the zone with TLSA records passes dnssec-verify, ldns-verify-zone and kzonecheck"
else
  failed "signet sign with bindings: $(tail -3 "$work/sign.out")"
fi

# A TLSA RRset already in the zone file at a bound owner is refused.
cp "$work/example.test.zone" "$work/zone.saved"
echo "_25._tcp.mail IN TLSA 3 1 1 $(expected_data "$work/leaf2.pem" 1 1)" >>"$work/example.test.zone"
before=$(sha256sum <"$work/example.test.signed")
status=0
"$signet" sign example.test >/dev/null 2>"$work/err" || status=$?
[ $status = 1 ] && grep -q "$work/example.test.zone: TLSA binding mail.example.test. 25/tcp of zone example.test.: the zone file has a TLSA RRset" "$work/err" &&
  [ "$(sha256sum <"$work/example.test.signed")" = "$before" ] &&
  pass "a TLSA RRset in the zone file at a bound owner is refused; the output stays" ||
  failed "TLSA in the input: status $status, $(cat "$work/err")"
cp "$work/zone.saved" "$work/example.test.zone"

# --- 3. live checks against openssl s_server and an SMTP server -------------
port_https=$((20000 + RANDOM % 10000))
port_smtp=$((port_https + 1))
port_smtp_next=$((port_https + 2))
openssl s_server -accept "127.0.0.1:$port_https" -cert "$work/leaf1.pem" -key "$work/leaf1.key" \
  -cert_chain "$work/ca1.pem" -www -quiet </dev/null >"$work/s_server.log" 2>&1 &
pids+=($!)
python3 "$src/tests/integration/smtp_starttls.py" "$port_smtp" "$work/leaf1.chain.pem" "$work/leaf1.key" "$work/smtp.ready" \
  >"$work/smtp.log" 2>&1 &
pids+=($!)
listening() { # port
  local i
  for i in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
listening "$port_https" || failed "openssl s_server did not start: $(cat "$work/s_server.log")"
listening "$port_smtp" || failed "the SMTP server did not start: $(cat "$work/smtp.log")"

# Signet's verdict on each published record, then openssl's on the same
# record alone: s_client succeeds exactly when the record matches. OpenSSL
# checks names even for DANE-EE unless told not to; RFC 7671 §5.1 (and RFC
# 7672 for SMTP) says not to, as Signet does.
compare_with_s_client() { # host port starttls(yes|no) expected-exit
  local host=$1 port=$2 starttls=$3 expect=$4 status=0 line verdict rr s_status
  "$signet" --json tlsa check example.test "$host" --connect "127.0.0.1:$port" >"$work/check.json" 2>"$work/check.err" || status=$?
  if [ $status != "$expect" ]; then
    failed "tlsa check $host via $port: exit $status, expected $expect: $(cat "$work/check.err" "$work/check.json" | head -20)"
    return
  fi
  python3 -c 'import json,sys
for b in json.load(open(sys.argv[1])):
    for r in b["records"]:
        print(r["verdict"], r["record"])' "$work/check.json" >"$work/verdicts"
  local count=0 matches=0
  while read -r verdict rr; do
    local extra=()
    [ "$starttls" = yes ] && extra=(-starttls smtp)
    s_status=0
    openssl s_client -connect "127.0.0.1:$port" "${extra[@]}" -servername "$host" -dane_tlsa_domain "$host" \
      -dane_tlsa_rrdata "$rr" -dane_ee_no_namechecks -verify_return_error </dev/null >"$work/s_client.out" 2>&1 || s_status=$?
    count=$((count + 1))
    if [ "$verdict" = match ] && [ $s_status = 0 ] && grep -q "Verification: OK" "$work/s_client.out"; then
      matches=$((matches + 1))
    elif [ "$verdict" = mismatch ] && [ $s_status != 0 ]; then
      :
    else
      failed "$host: signet says $verdict for '$rr', openssl s_client exit $s_status: $(grep -i -m2 'verif' "$work/s_client.out")"
      return
    fi
  done <"$work/verdicts"
  [ $count -gt 0 ] && pass "tlsa check $host (port $port$([ "$starttls" = yes ] && echo ', STARTTLS')): exit $expect, $matches of $count records match, and openssl s_client agrees on each" ||
    failed "$host: no records checked"
}
compare_with_s_client www.example.test "$port_https" no 0
compare_with_s_client other.example.test "$port_https" no 0   # 3 1 1 matches; 2 1 1 fails the name check
compare_with_s_client mail.example.test "$port_smtp" yes 0
compare_with_s_client relay.example.test "$port_smtp" yes 1   # nothing matches
grep -q '"verdict": "mismatch"' "$work/check.json" && pass "tlsa check reports the mismatch against the SMTP server" ||
  failed "no mismatch reported"
"$signet" tlsa check example.test other.example.test --connect "127.0.0.1:$port_https" >"$work/check.txt" 2>&1 || true
grep -q "mismatch 2 1 1 .*hostname mismatch" "$work/check.txt" &&
  pass "a DANE-TA record is checked against the service's name (DANE-EE is not)" ||
  failed "DANE-TA name check: $(cat "$work/check.txt")"
"$signet" tlsa check example.test www.example.test --connect "127.0.0.1:$port_https" >"$work/check.txt" 2>&1 || true
grep -q "warning" "$work/check.txt" && failed "warning for a certificate valid for a year: $(cat "$work/check.txt")" ||
  pass "no expiry warning for certificates valid for a year"

# --- 4. rollover with --now: certificate and CA change ----------------------
cat >"$work/roll.test.zone" <<'ZONE'
$TTL 3600
@      SOA  ns1 hostmaster 1 3600 600 86400 300
@      NS   ns1
@      MX   10 mail
ns1    A    192.0.2.1
mail   A    192.0.2.25
ZONE
t0=$(( $(date +%s) / 60 * 60 ))
at() { echo $((t0 + $1)); } # seconds after t0
"$signet" zone add roll.test --input "$work/roll.test.zone" --output "$work/roll.test.signed" >/dev/null
"$signet" --now "$t0" tlsa add roll.test --host mail.roll.test --port 25 --cert "$work/leaf1.pem" --chain "$work/ca1.pem" >/dev/null
signings=()
sign_roll() { # seconds-after-t0
  if "$signet" --now "$(at "$1")" sign roll.test >"$work/sign.out" 2>&1; then
    cp "$work/roll.test.signed" "$work/roll.$1"
    signings+=("$1")
  else
    failed "sign roll.test at t0+$1: $(tail -2 "$work/sign.out")"
  fi
}
switch_state() { # seconds-after-t0
  "$signet" --now "$(at "$1")" --json tlsa status roll.test |
    python3 -c 'import json,sys; s=json.load(sys.stdin)["bindings"][0]["switch"]; print(s["state"], s["safe_from"])'
}
sign_roll 0
[ "$(switch_state 600 | cut -d' ' -f1)" = no-next ] && pass "rollover: no next certificate at first" || failed "state at t0+10m"
# t0+1h: the next certificate, from another CA, is announced and signed in.
"$signet" --now "$(at 3600)" tlsa add roll.test --replace --host mail.roll.test --port 25 --cert "$work/leaf1.pem" \
  --chain "$work/ca1.pem" --next-cert "$work/leaf3.pem" --next-chain "$work/ca2.pem" >/dev/null
[ "$(switch_state 3600 | cut -d' ' -f1)" = sign-first ] && pass "rollover: the next records must be signed in first" ||
  failed "state before signing: $(switch_state 3600)"
sign_roll 3600
safe_from=$(date -u -d "@$(at $((3600 + 3600 + 300)))" +%Y-%m-%dT%H:%M:%SZ) # one TTL and the propagation delay
[ "$(switch_state 5400)" = "wait $safe_from" ] && pass "rollover: at t0+1h30 the switch must wait until $safe_from" ||
  failed "state at t0+1h30: $(switch_state 5400), expected wait $safe_from"
[ "$(switch_state 7500 | cut -d' ' -f1)" = safe ] && pass "rollover: switching is safe at t0+2h05" ||
  failed "state at t0+2h05: $(switch_state 7500)"
"$signet" --now "$(at 7500)" tlsa status roll.test >"$work/status.txt"
grep -q "from another CA" "$work/status.txt" && grep -q "^  next .*2 1 1" "$work/status.txt" &&
  pass "tlsa status names the CA change and the new CA's 2 1 1 record" || failed "status: $(cat "$work/status.txt")"
# The service still presents the old certificate: dropping it is refused.
status=0
"$signet" --now "$(at 7500)" tlsa remove roll.test --host mail.roll.test --port 25 --old \
  --connect "127.0.0.1:$port_smtp" >/dev/null 2>"$work/err" || status=$?
[ $status = 1 ] && grep -q "still presents a certificate that the leaving record" "$work/err" &&
  pass "dropping the old records is refused while the service presents the old certificate" ||
  failed "remove --old while the old certificate is served: status $status, $(cat "$work/err")"
# t0+2h10: the service switches to the next certificate (a new server).
switched=7800
python3 "$src/tests/integration/smtp_starttls.py" "$port_smtp_next" "$work/leaf3.chain.pem" "$work/leaf3.key" \
  >"$work/smtp-next.log" 2>&1 &
pids+=($!)
listening "$port_smtp_next" || failed "the second SMTP server did not start"
if "$signet" --now "$(at $switched)" tlsa remove roll.test --host mail.roll.test --port 25 --old \
  --connect "127.0.0.1:$port_smtp_next" >"$work/remove.out" 2>&1; then
  grep -q "presents the next certificate" "$work/remove.out" && pass "the old records go once the service presents the next certificate" ||
    failed "remove --old output: $(cat "$work/remove.out")"
else
  failed "remove --old after the switch: $(cat "$work/remove.out")"
fi
sign_roll 8100
sign_roll 10800
want=$(printf '%s\n' "3 1 1 $(expected_data "$work/leaf3.pem" 1 1)" "2 1 1 $(expected_data "$work/ca2.pem" 1 1)" | sort)
[ "$(awk '$1 == "_25._tcp.mail.roll.test." && $4 == "TLSA" {print $5, $6, $7, tolower($8)}' "$work/roll.test.signed" | sort)" = "$want" ] &&
  pass "after the rollover only the new certificate's and new CA's records are published" ||
  failed "records after the rollover"
[ "$(switch_state 10800 | cut -d' ' -f1)" = no-next ] || failed "state after the rollover: $(switch_state 10800)"

# Every moment from t0 to t0+4h: the certificate the service presents must
# be matched by every TLSA RRset a resolver may have cached, that is, by the
# output of every signing that was current at some time in the last TTL plus
# the propagation delay. Record data from openssl, not from Signet.
matching_records() { # leaf ca
  printf '%s\n' "3 1 1 $(expected_data "$work/$1.pem" 1 1)" "2 1 1 $(expected_data "$work/$2.pem" 1 1)"
}
matching_records leaf1 ca1 >"$work/old.records"
matching_records leaf3 ca2 >"$work/new.records"
for s in "${signings[@]}"; do
  awk '$1 == "_25._tcp.mail.roll.test." && $4 == "TLSA" {print $5, $6, $7, tolower($8)}' "$work/roll.$s" >"$work/rrset.$s"
done
simulate() { # switch-time -> prints the moments without a matching record
  python3 - "$work" "$1" 3600 300 14400 "${signings[@]}" <<'PY'
import sys
work, switch, ttl, delay, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
signings = sorted(int(s) for s in sys.argv[6:])
rrsets = {s: set(open(f"{work}/rrset.{s}").read().split("\n")) - {""} for s in signings}
old = set(open(f"{work}/old.records").read().split("\n")) - {""}
new = set(open(f"{work}/new.records").read().split("\n")) - {""}
def current(t):  # the output of the primary at time t
    return max((s for s in signings if s <= t), default=None)
for t in range(0, end + 1, 60):
    served = old if t < switch else new
    for moment in range(max(0, t - ttl - delay), t + 1, 60):
        s = current(moment)
        if s is not None and not (rrsets[s] & served):
            print(f"t0+{t}s: the service presents the {'old' if t < switch else 'new'} certificate, "
                  f"but a cache may hold the RRset signed at t0+{s}s")
            break
PY
}
problems=$(simulate $switched)
[ -z "$problems" ] && pass "rollover: at no moment of t0..t0+4h does a cache of up to one TTL lack a record for the served certificate" ||
  failed "rollover safety: $(echo "$problems" | head -3)"
# The same check finds the trouble when the service switches too early
# (ten minutes after the next records were signed in), so it can fail.
problems=$(simulate 4200)
[ -n "$problems" ] && pass "rollover check: switching at t0+1h10 would break ($(echo "$problems" | wc -l) moments)" ||
  failed "the rollover check cannot tell an early switch"

# --- 5. missing, unreadable and expired certificates ------------------------
snapshot() { # the output and the store
  { sha256sum "$work/example.test.signed"
    sqlite3 "$SIGNET_STATE/signet.db" 'select * from zone; select * from key; select * from tlsa_binding;' | sha256sum
  } >"$1"
}
"$signet" sign example.test >/dev/null 2>&1 || failed "sign before the failure cases"
# A certificate that cannot be read or has expired does not block the zone:
# it is signed with the binding's last published records (DANE-EE ignores
# expiry, RFC 7671 §5.1), and the run fails naming the file.
tlsa_lines() { awk '$4 == "TLSA"' "$work/example.test.signed" | sort; }
expect_kept() { # label expected-message command...
  local label=$1 message=$2 status=0
  shift 2
  tlsa_lines >"$work/tlsa.before"
  "$@" >"$work/out" 2>"$work/err" || status=$?
  tlsa_lines >"$work/tlsa.after"
  if [ $status -ne 1 ]; then
    failed "$label: exit status $status, not 1"
  elif ! grep -qF -- "$message" "$work/err" || ! grep -q "last published TLSA records are kept" "$work/err"; then
    failed "$label: stderr lacks '$message' or that the records are kept: $(head -3 "$work/err")"
  elif ! cmp -s "$work/tlsa.before" "$work/tlsa.after"; then
    failed "$label: the published TLSA records changed: $(diff "$work/tlsa.before" "$work/tlsa.after" | head -4)"
  elif ! ldns-verify-zone -q -t "$(date -u -d "@${verify_at:-$(date +%s)}" +%Y%m%d%H%M%S)" "$work/example.test.signed" >/dev/null 2>&1; then
    failed "$label: the output does not validate"
  else
    pass "$label: exit 1 naming the file, the zone signed with its published TLSA records"
  fi
}
mv "$work/leaf1.pem" "$work/leaf1.pem.away"
expect_kept "missing certificate" "$work/leaf1.pem: TLSA binding mail.example.test. 25/tcp of zone example.test.: no such file" \
  "$signet" sign example.test
mv "$work/leaf1.pem.away" "$work/leaf1.pem"
cp "$work/ca1.pem" "$work/ca1.saved"
{ echo "-----BEGIN CERTIFICATE-----"; echo "bm90IGEgY2VydGlmaWNhdGU="; echo "-----END CERTIFICATE-----"; } >"$work/ca1.pem"
expect_kept "unreadable chain file" "$work/ca1.pem:1: TLSA binding mail.example.test. 25/tcp of zone example.test.: the CERTIFICATE block is not a valid certificate" \
  "$signet" sign example.test
cp "$work/ca1.saved" "$work/ca1.pem"
"$signet" tlsa add example.test --host smtp.example.test --port 465 --cert "$work/short.pem" --chain "$work/ca1.pem" >/dev/null
"$signet" sign example.test >/dev/null 2>&1 || failed "sign with the short-lived certificate"
verify_at=$(( $(date +%s) + 3 * 86400 ))
expect_kept "expired certificate" "$work/short.pem: TLSA binding smtp.example.test. 465/tcp of zone example.test.: the certificate CN=short expired" \
  "$signet" --now "$verify_at" sign example.test
later=$verify_at # the zone was signed then: later runs must not go back
unset verify_at
"$signet" --now "$(( $(date +%s) + 3 * 86400 ))" tlsa status example.test >"$work/status.txt"
grep -q "problem: $work/short.pem: .*expired" "$work/status.txt" && pass "tlsa status shows the expired certificate as a problem" ||
  failed "status of an expired certificate: $(grep -i problem "$work/status.txt")"
# A service that still presents a certificate its records match keeps
# them unless forced; one that cannot be reached loses them.
expect_failure "removing a binding the live service still matches" "loses DANE" \
  "$signet" tlsa remove example.test --host www.example.test --connect "127.0.0.1:$port_https"
status=0
"$signet" tlsa remove example.test --host smtp.example.test --connect 127.0.0.1:1 >/dev/null 2>"$work/err" || status=$?
[ $status = 0 ] && "$signet" --now "$later" sign example.test >/dev/null 2>&1 && ! grep -q '^_465._tcp.smtp' "$work/example.test.signed" &&
  pass "tlsa remove: the binding's records leave at the next signing" || failed "remove: status $status, $(cat "$work/err")"

echo "$failures failures"
[ $failures -eq 0 ]
