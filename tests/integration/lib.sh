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
