#!/usr/bin/env python3
"""signet verify against the validators, on damaged zones.

Signet's self-check is `signet verify`; a signed zone that BIND's
dnssec-verify, ldns-verify-zone or Knot's kzonecheck rejects for a DNSSEC
reason must be rejected by it too. This signs small zones (NSEC, and NSEC3
with opt-out and a delegation), damages each in many ways, one change at a
time (a byte of a signature, a validity date, a TTL, a type bitmap, a chain
link, a record removed or added), and runs all four on every damaged copy.
It fails when a validator rejects a copy that signet verify accepts; copies
signet verify alone rejects are listed, not failed (it is allowed to be the
strictest).

usage: verify_differential.py SIGNET SOURCE_DIR [MUTATIONS_PER_ZONE]
"""

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

signet, src = sys.argv[1], sys.argv[2]
per_zone = int(sys.argv[3]) if len(sys.argv) > 3 else 40
work = tempfile.mkdtemp()
env = dict(os.environ, SIGNET_STATE=os.path.join(work, "state"))
env.pop("SIGNET_PIN", None)
env.pop("SIGNET_NOW", None)


def run(*args, **kwargs):
    return subprocess.run(args, env=env, capture_output=True, text=True, **kwargs)


def must(*args):
    result = run(*args)
    if result.returncode != 0:
        sys.exit(f"FAIL {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


must(signet, "init")
with open(os.path.join(work, "state", "signet.toml"), "a") as conf:
    conf.write('\n[policy.optout]\ndenial = "nsec3"\nnsec3-opt-out = true\n')

zones = []
for origin, kind, policy, seed in (("nsec.test", "hoster", "default", 3), ("nsec3.test", "tld", "optout", 4)):
    unsigned = os.path.join(work, origin + ".zone")
    must(os.path.join(src, "tools", "genzone"), "--origin", origin, "--seed", str(seed), "--kind", kind,
         "-o", unsigned, "40")
    signed = os.path.join(work, origin + ".signed")
    must(signet, "zone", "add", origin, "--input", unsigned, "--output", signed, "--policy", policy)
    must(signet, "sign", origin)
    with open(signed) as f:
        zones.append((origin, [line.rstrip("\n") for line in f if line.strip() and not line.startswith(";")]))


def fields(line):
    owner, ttl, klass, rtype, rdata = line.split(None, 4)
    return owner, ttl, klass, rtype, rdata


def with_rdata(line, rdata):
    owner, ttl, klass, rtype, _ = fields(line)
    return f"{owner} {ttl} {klass} {rtype} {rdata}"


def flip_base64(text, rng):
    chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body = text.rstrip("=")
    i = rng.randrange(len(body) - 2)
    replacement = rng.choice([c for c in chars if c != body[i]])
    return body[:i] + replacement + body[i + 1:] + text[len(body):]


def rrsig_parts(line):
    return fields(line)[4].split()


# Each mutation takes the zone's lines and returns (description, new lines),
# or None when it does not apply to the line it picked.
def remove_line(lines, rng):
    i = rng.randrange(1, len(lines))  # never the SOA, which opens the file
    return f"removed: {lines[i][:90]}", lines[:i] + lines[i + 1:]


def pick(lines, rng, rtype):
    candidates = [i for i, line in enumerate(lines) if fields(line)[3] == rtype]
    return rng.choice(candidates) if candidates else None


def damage_signature(lines, rng):
    i = pick(lines, rng, "RRSIG")
    parts = rrsig_parts(lines[i])
    parts[8] = flip_base64("".join(parts[8:]), rng)
    out = lines[:]
    out[i] = with_rdata(lines[i], " ".join(parts[:9]))
    return f"signature byte changed: {lines[i][:70]}", out


def rrsig_field(lines, rng):
    i = pick(lines, rng, "RRSIG")
    parts = rrsig_parts(lines[i])
    choice = rng.choice(["expired", "not yet valid", "labels", "original ttl", "key tag", "signer", "algorithm",
                         "type covered"])
    if choice == "expired":
        parts[4] = "20200101000000"
        parts[5] = "20190101000000"
    elif choice == "not yet valid":
        parts[4] = "20990101000000"
        parts[5] = "20980101000000"
    elif choice == "labels":
        parts[2] = str(int(parts[2]) + rng.choice([-1, 1]))
    elif choice == "original ttl":
        parts[3] = str(int(parts[3]) + 1)
    elif choice == "key tag":
        parts[6] = str((int(parts[6]) + 1) % 65536)
    elif choice == "signer":
        parts[7] = "other." + parts[7]
    elif choice == "algorithm":
        parts[1] = "8" if parts[1] != "8" else "13"
    else:
        parts[0] = "TXT" if parts[0] != "TXT" else "A"
    out = lines[:]
    out[i] = with_rdata(lines[i], " ".join(parts))
    return f"RRSIG {choice}: {lines[i][:70]}", out


def change_ttl(lines, rng):
    i = rng.randrange(1, len(lines))
    owner, ttl, klass, rtype, rdata = fields(lines[i])
    out = lines[:]
    out[i] = f"{owner} {int(ttl) + 7} {klass} {rtype} {rdata}"
    return f"TTL changed: {lines[i][:70]}", out


def add_record(lines, rng):
    owner = fields(lines[rng.randrange(len(lines))])[0]
    kind = rng.choice(["existing owner", "new name", "new name below"])
    if kind == "existing owner":
        record = f"{owner} 3600 IN TXT \"added\""
    elif kind == "new name":
        record = f"zz-added.{zones_origin(lines)} 3600 IN A 192.0.2.99"
    else:
        record = f"added.{owner} 3600 IN A 192.0.2.99"
    return f"record added ({kind}): {record}", lines + [record]


def zones_origin(lines):
    return fields(lines[0])[0]


def change_rdata(lines, rng):
    candidates = [i for i, line in enumerate(lines) if fields(line)[3] in ("A", "AAAA", "MX", "TXT", "NS", "DS")]
    i = rng.choice(candidates)
    owner, ttl, klass, rtype, rdata = fields(lines[i])
    if rtype == "A":
        rdata = "192.0.2.254"
    elif rtype == "AAAA":
        rdata = "2001:db8::fe"
    elif rtype == "MX":
        rdata = "99 " + rdata.split()[1]
    elif rtype == "TXT":
        rdata = '"changed"'
    elif rtype == "NS":
        rdata = "ns-other.example.net."
    else:
        parts = rdata.split()
        parts[0] = str((int(parts[0]) + 1) % 65536)
        rdata = " ".join(parts)
    out = lines[:]
    out[i] = f"{owner} {ttl} {klass} {rtype} {rdata}"
    return f"{rtype} data changed: {lines[i][:70]}", out


def denial(lines, rng):
    rtype = "NSEC3" if any(fields(line)[3] == "NSEC3" for line in lines) else "NSEC"
    i = pick(lines, rng, rtype)
    parts = fields(lines[i])[4].split()
    choice = rng.choice(["next", "bitmap drop", "bitmap add", "params"] if rtype == "NSEC3" else
                        ["next", "bitmap drop", "bitmap add"])
    if rtype == "NSEC":
        types_at = 1
        if choice == "next":
            parts[0] = "zzz." + parts[0]
    else:
        types_at = 5
        if choice == "next":
            digits = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
            last = parts[4][-1]
            parts[4] = parts[4][:-1] + digits[(digits.index(last.upper()) + 1) % 32]
        elif choice == "params":
            parts[2] = str(int(parts[2]) + 1)
    if choice == "bitmap drop":
        if len(parts) <= types_at:
            return None
        del parts[rng.randrange(types_at, len(parts))]
    elif choice == "bitmap add":
        parts.append("TYPE65000")
    out = lines[:]
    out[i] = with_rdata(lines[i], " ".join(parts))
    return f"{rtype} {choice}: {lines[i][:70]}", out


def dnskey(lines, rng):
    i = pick(lines, rng, "DNSKEY")
    parts = fields(lines[i])[4].split()
    choice = rng.choice(["flags", "key", "removed"])
    out = lines[:]
    if choice == "removed":
        del out[i]
    elif choice == "flags":
        parts[0] = "256" if parts[0] == "257" else "257"
        out[i] = with_rdata(lines[i], " ".join(parts))
    else:
        parts[3] = flip_base64("".join(parts[3:]), rng)
        out[i] = with_rdata(lines[i], " ".join(parts[:4]))
    return f"DNSKEY {choice}: {lines[i][:70]}", out


mutations = [remove_line, damage_signature, rrsig_field, rrsig_field, change_ttl, add_record, change_rdata,
             denial, denial, dnskey]


def verdicts(origin, path):
    """Each checker's verdict on the file: (accepted, first line of its complaint)."""
    out = {}
    r = run("dnssec-verify", "-q", "-o", origin, path)
    out["dnssec-verify"] = (r.returncode == 0, (r.stderr + r.stdout).strip().splitlines()[-1:] or [""])
    r = run("ldns-verify-zone", path)
    out["ldns-verify-zone"] = (r.returncode == 0, [l for l in (r.stderr + r.stdout).splitlines() if l][:1])
    r = run("kzonecheck", "-o", origin, path)
    out["kzonecheck"] = (r.returncode == 0, [l for l in (r.stderr + r.stdout).splitlines() if l.strip() and "summary" not in l.lower()][:2])
    r = run(signet, "verify", "--origin", origin, path)
    out["signet"] = (r.returncode == 0, [l for l in (r.stderr + r.stdout).splitlines() if l][:1])
    return out


failures = 0
stricter = 0
tried = 0
for origin, lines in zones:
    base = verdicts(origin, os.path.join(work, origin + ".signed"))
    if not all(ok for ok, _ in base.values()):
        sys.exit(f"FAIL {origin}: the undamaged zone is not accepted by all: {base}")
    rng = random.Random(origin)
    done = 0
    attempts = 0
    while done < per_zone and attempts < per_zone * 5:
        attempts += 1
        result = rng.choice(mutations)(lines, rng)
        if result is None:
            continue
        what, mutated = result
        path = os.path.join(work, "mutant.zone")
        with open(path, "w") as f:
            f.write("\n".join(mutated) + "\n")
        v = verdicts(origin, path)
        done += 1
        tried += 1
        rejecters = [name for name in ("dnssec-verify", "ldns-verify-zone", "kzonecheck") if not v[name][0]]
        if rejecters and v["signet"][0]:
            failures += 1
            print(f"FAIL {origin}: {what}")
            for name in rejecters:
                print(f"       {name}: {' '.join(v[name][1])[:150]}")
        elif not rejecters and not v["signet"][0]:
            stricter += 1
            print(f"note {origin}: only signet verify rejects: {what}\n       {' '.join(v['signet'][1])[:150]}")

print(f"{tried} damaged zones; {failures} accepted by signet verify but rejected by a validator; "
      f"{stricter} rejected by signet verify alone")
shutil.rmtree(work)
sys.exit(1 if failures else 0)
