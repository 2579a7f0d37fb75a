# A real OpenDNSSEC 2.1 installation run as an ordinary process tree inside
# one directory, for the import tests. Sourced; safe under set -euo pipefail;
# works as root and as any other user. Nothing outside $ODS_DIR is written:
# the daemons get its conf.xml (-c), the client its socket (-s), SoftHSM2 its
# own configuration (SOFTHSM2_CONF), and the signer, whose socket conf.xml
# cannot move, a private /run (see ods_sign).
#
#   ods_setup DIR            token "ods" (PIN in DIR/token.pin), conf.xml,
#                            kasp.xml, zonelist.xml, an empty DIR/kasp.db
#   ods_start [EPOCH]        ods-enforcerd; its clock starts at EPOCH
#   ods_stop                 stop it (and the signer, if running)
#   ods_enforcer ARGS...     the enforcer's command line client
#   ods_zone_add NAME POLICY INPUT OUTPUT
#   ods_now                  the enforcer's clock, seconds since the epoch
#   ods_leap                 the clock to the next scheduled task, run it
#   ods_leap_until EPOCH|+S  leap task by task up to that time
#   ods_enforce              re-evaluate every zone now
#   ods_ds_seen ZONE         ds-seen for each KSK/CSK whose DS was submitted
#   ods_keys [ZONE]          the keys and their states, from kasp.db
#   ods_sign [ZONE...]       sign once with ods-signerd into the output files
#
# Policies in kasp.xml: "kz" (KSK P7D + ZSK P2D, ECDSAP256SHA256, NSEC3),
# "csk" (one CSK P7D, ECDSAP256SHA256, NSEC) and "rsa" (KSK RSASHA256 2048 +
# ZSK RSASHA256 1024 with the same lifetimes, NSEC). Every TTL and delay is
# an hour: a new zone's DNSKEYs are omnipresent 2 hours after it is added,
# its DS 2 hours after ds-seen.

ODS_DIR=${ODS_DIR:-}
ODS_MODULE=${ODS_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
ODS_TOKEN_LABEL=${ODS_TOKEN_LABEL:-ods}
ODS_ENFORCERD_PID=
ODS_SIGNERD_PID=

ods_setup() { # DIR
  ODS_DIR=$(mkdir -p "$1" && cd "$1" && pwd)
  local d=$ODS_DIR
  mkdir -p "$d/tokens" "$d/enforcer" "$d/signer" "$d/signconf" "$d/unsigned" "$d/signed"
  printf '1234\n' >"$d/token.pin"
  printf '5678\n' >"$d/token.so-pin"
  cat >"$d/softhsm2.conf" <<EOF
directories.tokendir = $d/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
  export SOFTHSM2_CONF=$d/softhsm2.conf
  softhsm2-util --init-token --free --label "$ODS_TOKEN_LABEL" \
    --pin "$(cat "$d/token.pin")" --so-pin "$(cat "$d/token.so-pin")" >/dev/null

  cat >"$d/conf.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Configuration>
  <RepositoryList>
    <Repository name="SoftHSM">
      <Module>$ODS_MODULE</Module>
      <TokenLabel>$ODS_TOKEN_LABEL</TokenLabel>
      <PIN>$(cat "$d/token.pin")</PIN>
      <SkipPublicKey/>
    </Repository>
  </RepositoryList>
  <Common>
    <Logging>
      <Verbosity>3</Verbosity>
    </Logging>
    <PolicyFile>$d/kasp.xml</PolicyFile>
    <ZoneListFile>$d/zonelist.xml</ZoneListFile>
  </Common>
  <Enforcer>
    <Datastore><SQLite>$d/kasp.db</SQLite></Datastore>
    <AutomaticKeyGenerationPeriod>P10D</AutomaticKeyGenerationPeriod>
    <PidFile>$d/enforcerd.pid</PidFile>
    <SocketFile>$d/enforcer.sock</SocketFile>
    <WorkingDirectory>$d/enforcer</WorkingDirectory>
    <WorkerThreads>1</WorkerThreads>
  </Enforcer>
  <Signer>
    <WorkingDirectory>$d/signer</WorkingDirectory>
    <WorkerThreads>1</WorkerThreads>
    <SignerThreads>1</SignerThreads>
  </Signer>
</Configuration>
EOF
  _ods_kasp >"$d/kasp.xml"
  cat >"$d/zonelist.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<ZoneList>
</ZoneList>
EOF
  # ods-enforcer-db-setup has no -c: it always reads /etc/opendnssec/conf.xml.
  # What it does for SQLite is exactly this (same schema, same first row).
  { cat /usr/share/opendnssec/schema.sqlite
    echo 'INSERT INTO databaseVersion (version) VALUES (1);'
  } | sqlite3 "$d/kasp.db"
}

_ods_policy() { # NAME DENIAL KEYS-XML
  cat <<EOF
  <Policy name="$1">
    <Description>$1</Description>
    <Signatures>
      <Resign>PT2H</Resign>
      <Refresh>P3D</Refresh>
      <Validity><Default>P14D</Default><Denial>P14D</Denial></Validity>
      <Jitter>PT1H</Jitter>
      <InceptionOffset>PT1H</InceptionOffset>
      <MaxZoneTTL>PT1H</MaxZoneTTL>
    </Signatures>
    <Denial>$2</Denial>
    <Keys>
      <TTL>PT1H</TTL>
      <RetireSafety>PT1H</RetireSafety>
      <PublishSafety>PT1H</PublishSafety>
      <Purge>P1D</Purge>
$3
    </Keys>
    <Zone>
      <PropagationDelay>PT1H</PropagationDelay>
      <SOA><TTL>PT1H</TTL><Minimum>PT1H</Minimum><Serial>unixtime</Serial></SOA>
    </Zone>
    <Parent>
      <PropagationDelay>PT1H</PropagationDelay>
      <DS><TTL>PT1H</TTL></DS>
      <SOA><TTL>PT1H</TTL><Minimum>PT1H</Minimum></SOA>
    </Parent>
  </Policy>
EOF
}

_ods_kasp() {
  local nsec3='<NSEC3><Resalt>P100D</Resalt><Hash><Algorithm>1</Algorithm><Iterations>0</Iterations><Salt length="8"/></Hash></NSEC3>'
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<KASP>'
  _ods_policy kz "$nsec3" '
      <KSK><Algorithm length="256">13</Algorithm><Lifetime>P7D</Lifetime><Repository>SoftHSM</Repository></KSK>
      <ZSK><Algorithm length="256">13</Algorithm><Lifetime>P2D</Lifetime><Repository>SoftHSM</Repository></ZSK>'
  _ods_policy csk '<NSEC/>' '
      <CSK><Algorithm length="256">13</Algorithm><Lifetime>P7D</Lifetime><Repository>SoftHSM</Repository></CSK>'
  _ods_policy rsa '<NSEC/>' '
      <KSK><Algorithm length="2048">8</Algorithm><Lifetime>P7D</Lifetime><Repository>SoftHSM</Repository></KSK>
      <ZSK><Algorithm length="1024">8</Algorithm><Lifetime>P2D</Lifetime><Repository>SoftHSM</Repository></ZSK>'
  echo '</KASP>'
}

# The enforcer's client, without its "sock set to" line; its exit status.
ods_enforcer() {
  local out status=0
  out=$(ods-enforcer -s "$ODS_DIR/enforcer.sock" "$@" 2>&1) || status=$?
  grep -v '^sock set to ' <<<"$out" || true
  return $status
}

# The enforcer's clock and its next task, in seconds since the epoch; next is
# empty when nothing is queued.
ods_now() { ods_enforcer queue | sed -n 's/^It is now.*(\([0-9]*\) seconds since epoch)$/\1/p'; }
_ods_next() { _ods_next_of "$(ods_enforcer queue)"; }
_ods_next_of() {
  if grep -q '^Next task scheduled immediately' <<<"$1"; then
    sed -n 's/^It is now.*(\([0-9]*\) seconds since epoch)$/\1/p' <<<"$1"
  else
    sed -n 's/^Next task scheduled.*(\([0-9]*\) seconds since epoch)$/\1/p' <<<"$1"
  fi
}

# Wait until no worker is busy and no task is due.
_ods_idle() {
  local i q now next
  for i in $(seq 300); do
    q=$(ods_enforcer queue)
    now=$(sed -n 's/^It is now.*(\([0-9]*\) seconds since epoch)$/\1/p' <<<"$q")
    next=$(_ods_next_of "$q")
    if grep -q 'All worker threads idle' <<<"$q" && { [ -z "$next" ] || [ "$next" -gt "$now" ]; }; then
      return 0
    fi
    sleep 0.05
  done
  echo "ods: enforcer still busy: $q" >&2
  return 1
}

# ods_start [EPOCH]: start ods-enforcerd in the foreground of a background
# job. With EPOCH (--set-time) its clock stands still at EPOCH and moves only
# by ods_leap; without, it follows the real clock until the first leap.
# Starting a fortnight back, e.g.
#   ods_start $(( $(date +%s) - 14 * 86400 ))
# keeps every time kasp.db records in the past of the real clock.
ods_start() {
  [ -n "$ODS_DIR" ] || { echo "ods_start: no ods_setup" >&2; return 1; }
  export SOFTHSM2_CONF=$ODS_DIR/softhsm2.conf
  local set_time=()
  [ $# -gt 0 ] && set_time=(--set-time "$1")
  # TZ=UTC: the daemon prints and parses local times.
  TZ=UTC ods-enforcerd -c "$ODS_DIR/conf.xml" -d "${set_time[@]}" >>"$ODS_DIR/enforcerd.log" 2>&1 &
  ODS_ENFORCERD_PID=$!
  local i
  for i in $(seq 200); do
    if [ -S "$ODS_DIR/enforcer.sock" ] && ods_enforcer running 2>/dev/null | grep -q 'Engine running'; then
      # The first start imports kasp.xml; later ones find the policies there.
      if [ -z "$(sqlite3 -cmd '.timeout 10000' "$ODS_DIR/kasp.db" 'select 1 from policy limit 1')" ]; then
        ods_enforcer policy import >/dev/null
      fi
      _ods_idle
      return 0
    fi
    kill -0 "$ODS_ENFORCERD_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "ods_start: ods-enforcerd did not answer; its log:" >&2
  tail -20 "$ODS_DIR/enforcerd.log" >&2
  return 1
}

# ods-enforcerd 2.1.12 now and then crashes while shutting down (a
# segmentation fault after its workers have stopped, kasp.db is complete) and
# its handler then hangs: after 3 s it is killed outright.
_ods_kill() { # PID
  local i
  kill "$1" 2>/dev/null || true
  for i in $(seq 60); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

ods_stop() {
  if [ -n "$ODS_ENFORCERD_PID" ]; then
    _ods_kill "$ODS_ENFORCERD_PID"
    ODS_ENFORCERD_PID=
  fi
  ods_signer_stop
}

# Enforce every zone now, one by one ("enforce" without --zone drops the
# zones' scheduled tasks in 2.1.12).
ods_enforce() {
  local zone
  for zone in $(sqlite3 -cmd '.timeout 10000' "$ODS_DIR/kasp.db" 'select name from zone order by id'); do
    ods_enforcer enforce --zone "$zone" >/dev/null
    _ods_idle
  done
}

# ods_zone_add NAME POLICY INPUT OUTPUT: a zone with File adapters and its
# signconf at $ODS_DIR/signconf/NAME.xml. The enforcer takes keys from the
# pool it generated for the policy (AutomaticKeyGenerationPeriod, no
# "key generate" needed) and publishes them at once.
ods_zone_add() {
  ods_enforcer zone add --zone "$1" --policy "$2" --in-type File --input "$3" \
    --out-type File --output "$4" --signerconf "$ODS_DIR/signconf/$1.xml" >/dev/null
  _ods_idle
  ods_enforcer enforce --zone "$1" >/dev/null
  _ods_idle
}

# ods_leap: move the enforcer's clock to its next scheduled task, let it run,
# then enforce every zone. ("time leap --time T" leaps to the next task all
# the same in 2.1.12: the argument is overwritten before use.)
ods_leap() {
  ods_enforcer time leap >/dev/null
  _ods_idle
  ods_enforce
}

# ods_leap_until EPOCH|+SECONDS: leap from task to task while the next one is
# due by then, then restart the daemon at exactly that time. Events after it
# (the NSEC3 resalt months ahead) are not run.
ods_leap_until() {
  local target=$1 next
  case $target in +*) target=$(($(ods_now) + ${target#+})) ;; esac
  while next=$(_ods_next) && [ -n "$next" ] && [ "$next" -le "$target" ]; do
    ods_leap
  done
  if [ "$(ods_now)" -lt "$target" ]; then
    ods_stop
    ods_start "$target"
    ods_enforce
  fi
}

# The keys of one zone (or all), with the state of each record type, from
# kasp.db: zone role keytag ds-at-parent DS DNSKEY RRSIGDNSKEY RRSIG
# introducing cka-id.
ods_keys() {
  local where=
  [ $# -gt 0 ] && where="where z.name = '$1'"
  sqlite3 -cmd '.timeout 10000' -separator ' ' "$ODS_DIR/kasp.db" "
    select z.name,
      case k.role when 1 then 'KSK' when 2 then 'ZSK' when 3 then 'CSK' end, k.keytag,
      case k.dsAtParent when 0 then 'unsubmitted' when 1 then 'submit' when 2 then 'submitted'
        when 3 then 'seen' when 4 then 'retract' when 5 then 'retracted' when 6 then 'gone' end,
      $(local t n; for t in 0:ds 2:dnskey 3:rrsigdnskey 1:rrsig; do
          n=${t#*:}; printf "(select case s.state when 0 then 'hidden' when 1 then 'rumoured' when 2 then 'omnipresent' when 3 then 'unretentive' when 4 then 'NA' end from keyState s where s.keyDataId = k.id and s.type = %s) as %s," "${t%%:*}" "$n"
        done)
      case k.introducing when 1 then 'introducing' else 'outgoing' end, h.locator
    from keyData k join zone z on z.id = k.zoneId join hsmKey h on h.id = k.hsmKeyId
    $where order by z.name, k.role, k.id"
}

# ds-seen for every KSK/CSK of ZONE whose DS was submitted to the parent.
ods_ds_seen() {
  local id
  for id in $(sqlite3 -cmd '.timeout 10000' "$ODS_DIR/kasp.db" "select h.locator from keyData k join zone z on z.id = k.zoneId
      join hsmKey h on h.id = k.hsmKeyId where z.name = '$1' and k.dsAtParent in (1, 2)"); do
    ods_enforcer key ds-seen --zone "$1" --cka_id "$id" >/dev/null
  done
  _ods_idle
}

# ods_sign [ZONE...]: sign the zones (all by default) once with the real
# ods-signerd, from the signconf files the enforcer wrote, into their output
# files; then stop it. conf.xml cannot move the signer's socket and pid file
# off /run/opendnssec (the schema has no Signer/SocketFile), so the signer
# runs in a private mount namespace with its own /run (unshare -m as root,
# unshare -rm otherwise). Returns 2 when no namespace can be made. Signatures
# use the real clock, not the enforcer's leapt one.
ods_sign() {
  local zones=("$@") ns=(unshare -m) z i done
  [ ${#zones[@]} -gt 0 ] || mapfile -t zones < <(sqlite3 -cmd '.timeout 10000' "$ODS_DIR/kasp.db" 'select name from zone order by id')
  [ "$(id -u)" -eq 0 ] || ns=(unshare -rm)
  "${ns[@]}" true 2>/dev/null || { echo "ods_sign: cannot unshare a mount namespace" >&2; return 2; }
  for z in "${zones[@]}"; do
    rm -f "$(sqlite3 -cmd '.timeout 10000' "$ODS_DIR/kasp.db" "select outputAdapterUri from zone where name = '$z'")"
  done
  : >"$ODS_DIR/signerd.log"
  SOFTHSM2_CONF=$ODS_DIR/softhsm2.conf TZ=UTC "${ns[@]}" sh -c \
    'mount -t tmpfs none /run && mkdir /run/opendnssec && exec ods-signerd -c "$1" -d' \
    sh "$ODS_DIR/conf.xml" >>"$ODS_DIR/signerd.log" 2>&1 &
  ODS_SIGNERD_PID=$!
  for i in $(seq 300); do
    done=1
    for z in "${zones[@]}"; do
      grep -q "\[STATS\] $z " "$ODS_DIR/signerd.log" || done=0
    done
    [ $done -eq 1 ] && break
    kill -0 "$ODS_SIGNERD_PID" 2>/dev/null || break
    sleep 0.05
  done
  ods_signer_stop
  [ $done -eq 1 ] || { echo "ods_sign: not all zones signed; log:" >&2; tail -20 "$ODS_DIR/signerd.log" >&2; return 1; }
}
ods_signer_stop() {
  if [ -n "$ODS_SIGNERD_PID" ]; then
    _ods_kill "$ODS_SIGNERD_PID"
    ODS_SIGNERD_PID=
  fi
}
