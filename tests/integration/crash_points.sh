#!/usr/bin/env bash
# Crash points: the writing commands killed with SIGKILL at the N-th call of
# each system call that changes state (strace's syscall injection), for a
# spread of N. After every kill: each published zone is the previous
# complete version or the new complete one, the store is intact, the next
# plain run succeeds and cleans up, every zone verifies, and after
# `signet key gc` the token holds exactly the keys the store records,
# including every key a published DNSKEY RRset names.
# usage: crash_points.sh SIGNET SOURCE_DIR
set -euo pipefail
signet=$1
src=$2
work=$(mktemp -d)
cleanup() { [ -n "${SIGNET_KEEP_WORK:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
state=$work/state
out=$work/signed
export SIGNET_STATE=$state
unset SIGNET_PIN SIGNET_NOW

. "$(dirname "$0")/lib.sh"

# Without ptrace (a container that forbids it) there is no kill point at
# all: fail, saying why, rather than pass having tested nothing.
if ! strace -f -qq -o /dev/null true 2>"$work/err"; then
  echo "FAIL strace cannot trace here (is ptrace permitted?): $(head -2 "$work/err")"
  exit 1
fi
status=0
{ strace -f -qq -o /dev/null -e trace=write -e inject=write:signal=KILL:when=1 sh -c 'echo x' >/dev/null 2>&1; } 2>/dev/null || status=$?
if [ $status -ne 137 ]; then
  echo "FAIL strace's syscall injection does not kill (exit status $status, not 137)"
  exit 1
fi

# The sanitizer build runs each command several times slower: fewer N
# there, the same syscalls and commands. Full malloc stacks (what the test
# driver asks for, to tell the SoftHSM2 module's EdDSA leak from ours) make
# each run six times slower again, and the keys here are ECDSA: frame
# pointers are enough. LeakSanitizer stops the world with ptrace, which a
# process strace already traces cannot do: no leak check under strace (the
# plain runs after each kill keep it).
sanitized=""
case "$signet" in *asan*) sanitized=yes ;; esac
[ -z "$sanitized" ] || export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=1"
traced_asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# Which of the COUNT calls of a name a clean run makes to kill at: the
# first, the third (the write of the third file is SoftHSM2 rewriting its
# token file at the login, after the lock and its generation file), then
# spread out, and the last one; under the sanitizers the third and the
# last. Writes of the token's files and of the store come in the hundreds;
# the calls that publish (link, rename, fsync) come two per zone. A command
# that is one store transaction gets the sanitizer build's few.
dense="1 3 16 128"
sparse="3"
[ -z "$sanitized" ] || dense=$sparse
spread() { # count list
  local n
  for n in $2; do [ "$n" -ge "$1" ] || echo "$n"; done
  [ "$1" -eq 0 ] || echo "$1"
}

# --- the state: three small zones, signed, their first DS confirmed ----------
# Times a little in the past, so that dnssec-verify (which has no --now)
# accepts every version any of these runs publishes.
"$signet" init >/dev/null
cat >>"$state/signet.toml" <<TOML

[policy.fast]
zsk-lifetime = "4d"

[policy.fastnsec]
zsk-lifetime = "4d"
denial = "nsec"
TOML
mkdir -p "$work/in" "$out"
zones="a.test b.test c.test"
for z in $zones; do
  python3 "$src/tools/genzone" --origin "$z" --seed 7 40 -o "$work/in/$z.zone"
done
# a: NSEC3 and b: NSEC roll their ZSKs within days; c keeps its keys.
"$signet" zone add a.test --input "$work/in/a.test.zone" --output "$out/a.test.signed" --policy fast >/dev/null
"$signet" zone add b.test --input "$work/in/b.test.zone" --output "$out/b.test.signed" --policy fastnsec >/dev/null
"$signet" zone add c.test --input "$work/in/c.test.zone" --output "$out/c.test.signed" --policy nsec >/dev/null
t0=$(($(date +%s) / 3600 * 3600 - 8 * 86400))
day=86400
ksk_tag() { sqlite3 "$state/signet.db" "select key_tag from key join zone on zone.id = key.zone_id where zone.name = '$1.' and role = 'ksk' and removed is null"; }
setup_run() { # time args...
  local at=$1
  shift
  if ! "$signet" --now "$at" "$@" >"$work/out" 2>&1; then
    echo "FAIL setup: signet $* at $at: $(head -3 "$work/out")"
    exit 1
  fi
}
setup_run $t0 sign --all
setup_run $((t0 + day)) sign --all
setup_run $((t0 + day + 7200)) sign --all
# c's DS stays unconfirmed: the ds-seen case confirms it.
setup_run $((t0 + day + 10800)) key ds-seen a.test "$(ksk_tag a.test)"
setup_run $((t0 + day + 10800)) key ds-seen b.test "$(ksk_tag b.test)"

save_base() { # name
  rm -rf "$work/base/$1"
  mkdir -p "$work/base/$1"
  cp -a "$state" "$out" "$work/base/$1/"
}
restore_base() { # name
  rm -rf "$state" "$out"
  cp -a "$work/base/$1/state" "$work/base/$1/signed" "$work/"
}
save_base steady
# A base where a run destroys keys: from the ZSK rollovers of a and b,
# signed every 4 hours, the state before the signing that first removes
# an old ZSK.
t_roll=$((t0 + 4 * day))
setup_run $t_roll sign --all
t_remove=""
for step in $(seq 1 24); do
  at=$((t_roll + step * 4 * 3600))
  save_base removal
  setup_run $at sign --all
  if [ "$(sqlite3 "$state/signet.db" 'select count(*) from key where removed is not null')" -gt 0 ]; then
    t_remove=$at
    break
  fi
done
if [ -z "$t_remove" ]; then
  echo "FAIL setup: no ZSK of a.test or b.test was removed within 4 days of its rollover"
  exit 1
fi
# The ZSK rollover of c, asked for but not yet started.
restore_base steady
c_ksk=$(ksk_tag c.test)
t2=$((t0 + 2 * day))
setup_run $t2 key rollover c.test --role zsk
save_base rolling

# --- checks ----------------------------------------------------------------
# What is checked after the next run and key gc, for all kill points of a
# command at once (one interpreter, not one per point): token objects
# against stored keys, published DNSKEYs against the token, each output's
# serial against the store's. Each point leaves its store, outputs and
# token listing in a directory of its own.
cat >"$work/check.py" <<'PY'
import base64, os, re, sqlite3, struct, sys
for point in sorted(os.listdir(sys.argv[1]), key=int):
    d = os.path.join(sys.argv[1], point)
    label = open(os.path.join(d, "label")).read().strip()
    problems = []
    objects = {"private": set(), "public": set()}
    unnamed = 0
    for line in open(os.path.join(d, "listing")):
        if "URL:" not in line:
            continue
        kind = re.search(r"type=(\w+)", line)
        ident = re.search(r"id=((?:%[0-9a-fA-F]{2})+)", line)
        if not ident:
            unnamed += 1
        elif kind and kind.group(1) in objects:
            objects[kind.group(1)].add(ident.group(1).replace("%", "").lower())
    con = sqlite3.connect(os.path.join(d, "signet.db"))
    stored = {row[0].lower() for row in con.execute("select locator from key where removed is null")}
    for kind, ids in objects.items():
        if ids - stored:
            problems.append(f"{len(ids - stored)} {kind} token object(s) of keys the store does not hold "
                            "(or holds as removed)")
        if stored - ids:
            problems.append(f"{len(stored - ids)} stored key(s) without a {kind} object in the token")
    intents = con.execute("select count(*) from key_intent where purge_after is null").fetchone()[0]
    if intents:
        problems.append(f"{intents} key intent(s) left after key gc")
    for zone_id, name, serial, path in con.execute("select id, name, serial, output_path from zone"):
        published, soa = [], None
        for line in open(os.path.join(d, "signed", os.path.basename(path))):
            f = line.split()
            if len(f) >= 7 and f[3] == "DNSKEY":
                published.append(struct.pack("!HBB", int(f[4]), int(f[5]), int(f[6]))
                                 + base64.b64decode("".join(f[7:])))
            elif len(f) >= 7 and f[3] == "SOA" and f[0] == name:
                soa = int(f[6])
        if not published:
            problems.append(f"{name}: no DNSKEY in the output")
        if soa != serial:
            problems.append(f"{name}: the output's serial {soa} is not the store's {serial}")
        for rdata in published:
            rows = con.execute("select lower(locator) from key where zone_id = ? and dnskey_rdata = ?",
                               (zone_id, rdata)).fetchall()
            if not any(row[0] in objects["private"] for row in rows):
                problems.append(f"{name}: a published DNSKEY has no private key in the token"
                                + ("" if rows else " (nor a row in the store)"))
    if problems:
        print(f"FAIL\t{label}: {'; '.join(problems)}")
    if unnamed:
        print(f"NOTE\t{label}: {unnamed}")
PY
token_listing() {
  SOFTHSM2_CONF=$state/softhsm2.conf GNUTLS_PIN=$(cat "$state/token.pin") \
    p11tool --provider /usr/lib/softhsm/libsofthsm2.so --list-all --login "pkcs11:token=signet"
}
# SoftHSM2's token file: the token's label, flags and wrapped PINs, and so
# the key to every object in the token.
token_file() { stat -c 'token.object: %s octets' "$state"/tokens/*/token.object 2>&1 | head -1; }
serial_of() { awk -v z="$2." '$1 == z && $4 == "SOA" { print $7; exit }' "$1"; }

# Each version of an output is verified once: by us, and, for a sample of
# the kill points, by dnssec-verify too.
declare -A verified
digest() { sha256sum <"$1" | cut -c1-64; }
verify_output() { # zone file time
  [ -z "${verified[$(digest "$2")]:-}" ] || return 0
  "$signet" --now "$3" verify --origin "$1" "$2" >"$work/verify" 2>&1 || return 1
  if [ -n "$sample" ]; then
    dnssec-verify -q -o "$1" "$2" >"$work/verify" 2>&1 || return 1
  fi
  verified[$(digest "$2")]=1
}

kills=0
finished=0
points=0
points_failed=0
unnamed_points=0
sample=yes
# kill_at BASE TIME SYSCALL N FOLLOW-UP COMMAND...
# Restores the base, runs COMMAND under strace until the N-th call of
# SYSCALL kills it, then checks everything. FOLLOW-UP is the plain run
# after the crash, commands separated by ';' ("enforce --all;sign --all").
kill_at() {
  local name=$1 at=$2 call=$3 n=$4 follow=$5
  shift 5
  local label="signet $* killed at $call #$n (base $name, --now $at)" status=0 z f bad=""
  points=$((points + 1))
  sample=""
  [ $((points % 3)) -ne 1 ] || sample=yes
  restore_base "$name"
  { ASAN_OPTIONS=$traced_asan strace -f -qq -o /dev/null -e trace="$call" -e inject="$call:signal=KILL:when=$n" \
      "$signet" --now "$at" "$@" >"$work/run.out" 2>"$work/run.err"; } 2>/dev/null || status=$?
  if [ $status -eq 0 ]; then
    finished=$((finished + 1))
  elif [ $status -eq 137 ]; then
    kills=$((kills + 1))
  else
    bad="the run under strace exited $status without a kill: $(head -2 "$work/run.err")"
  fi
  # Published: the previous complete version or a new complete one.
  for z in $zones; do
    f=$out/$z.signed
    [ -z "$bad" ] || break
    if cmp -s "$f" "$work/base/$name/signed/$z.signed"; then
      continue
    elif [ ! -s "$f" ]; then
      bad="$z: the output is missing or empty after the kill"
    elif ! [ "$(serial_of "$f" "$z")" -gt "$(serial_of "$work/base/$name/signed/$z.signed" "$z")" ] 2>/dev/null; then
      bad="$z: the output changed, its serial did not grow"
    elif ! verify_output "$z" "$f" "$at"; then
      bad="$z: the output published at the kill does not verify: $(head -2 "$work/verify")"
    fi
  done
  # The store as the killed run left it; a copy, so that the next run,
  # not this check, is what recovers it.
  if [ -z "$bad" ]; then
    rm -rf "$work/dbcopy" && mkdir "$work/dbcopy" && cp "$state"/signet.db* "$work/dbcopy/"
    f=$(sqlite3 "$work/dbcopy/signet.db" 'pragma integrity_check' 2>&1 || true)
    [ "$f" = ok ] || bad="integrity_check after the kill: $f"
  fi
  # The next plain runs succeed, say nothing failed, and leave nothing
  # behind.
  if [ -z "$bad" ]; then
    local -a steps words
    IFS=';' read -ra steps <<<"$follow"
    for f in "${steps[@]}"; do
      read -ra words <<<"$f"
      if ! "$signet" --now "$at" "${words[@]}" >"$work/next.out" 2>&1; then
        bad="the next run (signet $f) failed: $(grep -v '^  ' "$work/next.out" | awk '!seen[$0]++' | head -2 | tr '\n' ' ')($(token_file))"
        break
      # A kill between the signer's state and the store's commit costs the
      # next run one full signing, which it announces; nothing else may fail.
      elif grep -v "the signer's last version cannot be used" "$work/next.out" | grep -q "not signed\|cannot be used"; then
        bad="the next run (signet $f) exited 0, but: $(grep -v "the signer's last version" "$work/next.out" | grep "not signed\|cannot be used" | head -1) ($(token_file))"
        break
      fi
    done
  fi
  if [ -z "$bad" ]; then
    f=$(find "$out" "$state" "$state/signed" -maxdepth 1 \( -name '.*.tmp-*' -o -name '.*.signet-prev' -o -name 'signet.db-*' \) | head -3)
    [ -z "$f" ] || bad="left behind after the next run: $f"
  fi
  if [ -z "$bad" ]; then
    f=$(sqlite3 "$state/signet.db" 'pragma integrity_check' 2>&1 || true)
    [ "$f" = ok ] || bad="integrity_check after the next run: $f"
  fi
  if [ -z "$bad" ] && ! "$signet" --now "$at" key gc >"$work/gc.out" 2>&1; then
    bad="key gc failed: $(head -2 "$work/gc.out")"
  fi
  if [ -z "$bad" ] && ! token_listing >"$work/listing" 2>&1; then
    bad="the token cannot be used after the next run: $(grep -v '^\s' "$work/listing" | head -1) ($(token_file))"
  fi
  if [ -z "$bad" ]; then
    for z in $zones; do
      if ! verify_output "$z" "$out/$z.signed" "$at"; then
        bad="$z does not verify after the next run: $(head -2 "$work/verify")"
        break
      fi
    done
  fi
  if [ -n "$bad" ]; then
    failed "$label: $bad"
    points_failed=$((points_failed + 1))
    return
  fi
  f=$work/points/$points
  mkdir -p "$f"
  cp "$state"/signet.db* "$f/"
  cp -a "$out" "$f/signed"
  mv "$work/listing" "$f/listing"
  echo "$label" >"$f/label"
}

# The syscalls that change state, and where a clean run makes them: the N
# of a call is its ordinal among the calls of that name of one thread
# (what strace counts for when=N). An openat counts only with O_CREAT, and
# a write only to a file: UBSan's vptr check writes to a pipe, as a probe,
# so that the sanitizer build has writes the plain one has not. ftruncate
# is left out: SQLite and SoftHSM2 follow it with a write, and a kill at
# either is a kill before that write.
calls="write pwrite64 fsync fdatasync rename renameat renameat2 link unlink unlinkat flock openat"
crash_case() { # base time spread follow-up command...
  local name=$1 at=$2 list=$3 follow=$4 call n started=$SECONDS first=$points summary=""
  shift 4
  restore_base "$name"
  if ! ASAN_OPTIONS=$traced_asan strace -f -qq -y -o "$work/trace" -e trace="${calls// /,}" \
    "$signet" --now "$at" "$@" >"$work/out" 2>&1; then
    failed "signet $* (base $name): the clean traced run failed: $(head -2 "$work/out")"
    return
  fi
  # "PID name(args": count per thread, print "name ordinal" of the calls
  # that may change a file.
  awk '$2 ~ /^[a-z0-9_]+\(/ {
         c = $2; sub(/\(.*/, "", c); n = ++seen[$1 SUBSEP c]
         if (c == "openat" && $0 !~ /O_CREAT/) next
         if (c == "write" && $2 ~ /^write\([0-9]+<(pipe|socket):/) next
         print c, n
       }' "$work/trace" >"$work/ordinals"
  rm -rf "$work/points"
  local -a ordinals
  for call in $calls; do
    mapfile -t ordinals < <(awk -v c="$call" '$1 == c { print $2 }' "$work/ordinals" | sort -n -u)
    [ ${#ordinals[@]} -eq 0 ] || summary="$summary $call=${#ordinals[@]}"
    for n in $(spread ${#ordinals[@]} "$list"); do
      kill_at "$name" "$at" "$call" "${ordinals[$((n - 1))]}" "$follow" "$@"
    done
  done
  if [ -d "$work/points" ]; then
    while IFS=$'\t' read -r kind a; do
      if [ "$kind" = FAIL ]; then
        failed "$a"
        points_failed=$((points_failed + 1))
      else
        unnamed_points=$((unnamed_points + 1))
      fi
    done < <(python3 "$work/check.py" "$work/points")
  fi
  echo "     signet $* (base $name): $((points - first)) kill points, $((SECONDS - started)) s (calls:$summary)"
}

# The bases' outputs, checked once: the previous versions every kill is
# compared with.
for base in steady removal rolling; do
  for z in $zones; do
    f=$work/base/$base/signed/$z.signed
    if ! verify_output "$z" "$f" "$t_remove"; then
      echo "FAIL setup: $f does not verify: $(head -2 "$work/verify")"
      exit 1
    fi
  done
done

started=$SECONDS
before=$failures
# Key generation, the outputs of all three zones and the store at once.
crash_case rolling $t_roll "$dense" "sign --all" sign --all
crash_case rolling $t_roll "$dense" "enforce --all;sign --all" enforce --all
# One store transaction each.
crash_case steady $t2 "$sparse" "enforce --all;sign --all" key rollover c.test --role zsk
crash_case steady $t2 "$sparse" "key ds-seen c.test $c_ksk;sign --all" key ds-seen c.test "$c_ksk"
# A signing that destroys the keys it retires.
crash_case removal $t_remove "$dense" "sign --all" sign --all

# An object the token was still writing when the run was killed may lack
# its CKA_ID; nobody can name it, so gc cannot take it. Said, not hidden
# (as in state_safety.sh).
[ $unnamed_points -eq 0 ] || echo "note: after $unnamed_points kill points the token holds object(s) without a CKA_ID (cut off while the token wrote them)"
if [ $failures -eq $before ]; then
  pass "$points kill points ($kills killed, $finished ran to the end) in $((SECONDS - started)) s: every invariant held"
else
  echo "     $points_failed of $points kill points ($kills killed, $finished ran to the end) broke an invariant, in $((SECONDS - started)) s"
fi

echo "$failures failures"
[ $failures -eq 0 ]
