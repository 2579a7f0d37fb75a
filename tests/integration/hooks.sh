#!/usr/bin/env bash
# The hooks (notify-command, ds-submit-command) run without a shell: a zone
# whose name is full of shell syntax reaches a hook as one argument, byte for
# byte, and in $SIGNET_ZONE, and nothing in the name is ever run. Such a name
# is refused by `zone add` unless the configuration allows it, and a hook
# command with a quoting mistake stops the configuration from loading, at
# its line.
# usage: hooks.sh SIGNET SOURCE_DIR
set -euo pipefail
signet=$(realpath "$1") # absolute: the script works in $work
work=$(mktemp -d)
trap '[ -n "${SIGNET_KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
state=$work/state
export SIGNET_STATE=$state
unset SIGNET_PIN SIGNET_NOW

. "$(dirname "$0")/lib.sh"

# Commands a shell would run from the name; each would leave a file "pwnedN"
# in the current directory, which is $work.
zone='b`id>pwned1`|id>pwned2&id>pwned3<x*{zone}'"'"'#!~.example.'
cd "$work"

"$signet" --now 2026-01-01T00:00:00Z init >/dev/null
cat >"$work/unsigned.zone" <<'ZONE'
$TTL 300
@    IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@    IN NS  ns1
ns1  IN A   192.0.2.1
www  IN A   192.0.2.2
ZONE

# A hook that records what it was given: its arguments, NUL-separated, its
# $SIGNET_ZONE and its stdin.
cat >"$work/record" <<'SH'
#!/bin/sh
out=$1
shift
printf '%s\0' "$@" >"$out.args"
printf '%s' "$SIGNET_ZONE" >"$out.env"
cat >"$out.stdin"
SH
chmod +x "$work/record"

snapshot() { # the registered zones
  sqlite3 "$state/signet.db" 'select * from zone;' >"$1"
}

# --- refused by default ---------------------------------------------------
expect_failure "zone add refuses a name with shell syntax by default" \
  "has characters outside letters, digits, '-', '_' and '.'; set allow-any-characters = true" \
  "$signet" zone add "$zone" --input "$work/unsigned.zone" --output "$work/odd.signed"
grep -q "allow-any-characters = false" "$state/signet.toml" &&
  pass "signet init writes allow-any-characters = false" || failed "no allow-any-characters in the new config"

# --- a quoting mistake in a hook is a load error at its line -------------
cp "$state/signet.toml" "$work/signet.toml.good"
printf '\n[policy.broken]\nnotify-command = "%s/record '"'"'unclosed {zone}"\n' "$work" >>"$state/signet.toml"
line=$(grep -n '^notify-command = ".*unclosed' "$state/signet.toml" | cut -d: -f1)
expect_failure "an unclosed quote in notify-command" \
  "signet.toml:$line:18: notify-command: a single quote that is not closed" "$signet" zone list
cp "$work/signet.toml.good" "$state/signet.toml"

# --- allowed: the hooks get the name as one argument ----------------------
sed -i 's/^allow-any-characters = false/allow-any-characters = true/' "$state/signet.toml"
cat >>"$state/signet.toml" <<TOML

[policy.hooks]
algorithm = "ed25519"
dnskey-ttl = "5m"
max-zone-ttl = "5m"
zone-propagation-delay = "1m"
publish-safety = "1m"
retire-safety = "1m"
notify-command = "$work/record $work/notify {zone} x{zone}y"
ds-submit-command = '$work/record "$work/ds" --zone={zone}'
TOML

"$signet" --now 2026-01-01T00:00:00Z zone add "$zone" --input "$work/unsigned.zone" --output "$work/odd.signed" \
  --policy hooks >"$work/add.out" 2>&1 && pass "zone add takes the name once allowed" ||
  failed "zone add with allow-any-characters: $(cat "$work/add.out")"
name=$(sqlite3 "$state/signet.db" 'select name from zone limit 1;')
[ "$name" = "$zone" ] && pass "the store keeps the name as given" || failed "stored as '$name'"

"$signet" --now 2026-01-01T00:00:00Z sign "$zone" >"$work/sign.out" 2>&1 ||
  failed "sign: $(tail -3 "$work/sign.out")"
printf '%s\0' "$zone" "x${zone}y" >"$work/expected.args"
if cmp -s "$work/notify.args" "$work/expected.args"; then
  pass "notify-command: {zone} arrives as one argument, byte for byte, also inside a word"
else
  failed "notify-command arguments: $(tr '\0' '\n' <"$work/notify.args" 2>&1)"
fi
[ "$(cat "$work/notify.env")" = "$zone" ] && pass "notify-command: \$SIGNET_ZONE is the name" ||
  failed "SIGNET_ZONE: $(cat "$work/notify.env")"

# The first DS goes to the parent once the signatures are in every cache.
t0=$(date -u -d 2026-01-01T00:00:00Z +%s)
for hour in 1 2 3 4 6 8 12 24 36 48; do
  [ -e "$work/ds.args" ] && break
  "$signet" --now $((t0 + hour * 3600)) sign "$zone" \
    >"$work/sign.out" 2>&1 || failed "sign at +${hour}h: $(tail -3 "$work/sign.out")"
done
printf '%s\0' "--zone=$zone" >"$work/expected.args"
if [ -e "$work/ds.args" ] && cmp -s "$work/ds.args" "$work/expected.args"; then
  pass "ds-submit-command: --zone={zone} arrives as one argument"
else
  failed "ds-submit-command arguments: $(tr '\0' '\n' <"$work/ds.args" 2>&1)"
fi
grep -q 'IN DS ' "$work/ds.stdin" 2>/dev/null && grep -q 'IN DNSKEY ' "$work/ds.stdin" &&
  pass "ds-submit-command gets the DS and DNSKEY on stdin" || failed "ds stdin: $(cat "$work/ds.stdin" 2>&1)"
[ "$(cat "$work/ds.env" 2>/dev/null)" = "$zone" ] && pass "ds-submit-command: \$SIGNET_ZONE is the name" ||
  failed "ds SIGNET_ZONE: $(cat "$work/ds.env" 2>&1)"

leftovers=$(ls "$work" | grep -i pwned || true)
[ -z "$leftovers" ] && pass "nothing in the name was run by a shell" || failed "a shell ran parts of the name: $leftovers"

# A failing notify command: reported with the command quoted for a shell,
# exit 1, the zone written.
sed -i "s|^notify-command = .*|notify-command = \"false {zone}\"|" "$state/signet.toml"
status=0
"$signet" --now 2026-01-03T00:00:00Z sign --force "$zone" >/dev/null 2>"$work/err" || status=$?
quoted="'$(printf '%s' "$zone" | sed "s/'/'\\\\''/g")'"
[ $status = 1 ] && grep -qF "the notify command \`false $quoted\` failed (exit status 1)" "$work/err" &&
  pass "a failing notify command is shown quoted and exits 1" || failed "failing notify: status $status, $(cat "$work/err")"
leftovers=$(ls "$work" | grep -i pwned || true)
[ -z "$leftovers" ] || failed "a shell ran parts of the name: $leftovers"

echo "$failures failures"
[ $failures -eq 0 ]
