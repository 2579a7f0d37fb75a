"""Pieces of the rollover simulation (rollover_sim.py) that know DNSSEC.

Python 3 standard library only, and independent of Signet's own code: the
simulation reads what Signet publishes (the signed zone file, `signet ds
--json`) and checks it with this module's own key tags, DS digests and model
of what validating resolvers may hold in their caches.

- Time: Unix seconds (int) everywhere; `rfc3339` and `parse_time` convert.
- Zone files: `read_signed_zone` parses Signet's canonical output (one RR per
  line: owner TTL IN TYPE RDATA, absolute owners).
- DNSSEC: `Dnskey` (key tag, DS digest over owner + RDATA, RFC 4034 5.1.4),
  `Ds`, `Rrsig`.
- The resolver model: `History` keeps every version of one RRset as it was
  published, from when it was first served until it was replaced, and says
  which versions a resolver may still hold at a given time; `check_chains`
  tries every combination of DS set, DNSKEY RRset and data RRset a cache may
  hold and reports those that do not validate.
"""

import base64
import calendar
import datetime
import hashlib
import re
import struct

# ---------------------------------------------------------------------------
# Time and durations

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_time(value):
    """Unix seconds from an RFC 3339 string ("2027-01-01T00:00:00Z", with Z
    or an offset) or from digits; None stays None."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("time without a zone: %r" % value)
    return int(moment.timestamp())


def rfc3339(seconds):
    return datetime.datetime.fromtimestamp(
        seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_duration(text):
    """Seconds from "90d", "1d12h", "3600" (or an int); None for
    "unlimited"."""
    if text is None or text == "unlimited":
        return None
    if isinstance(text, int):
        return text
    if re.fullmatch(r"\d+", text):
        return int(text)
    total = 0
    for number, unit in re.findall(r"(\d+)([wdhms])", text):
        total += int(number) * _UNITS[unit]
    if not re.fullmatch(r"(\d+[wdhms])+", text):
        raise ValueError("bad duration %r" % text)
    return total


def duration_text(seconds):
    """"1d2h" from 93600; "0s" from 0; "unlimited" from None."""
    if seconds is None:
        return "unlimited"
    if seconds == 0:
        return "0s"
    out = ""
    for unit in ("d", "h", "m", "s"):
        size = _UNITS[unit]
        if seconds >= size:
            out += "%d%s" % (seconds // size, unit)
            seconds %= size
    return out


def span(seconds):
    """A human length: "2d3h", "45m", "-1h"."""
    if seconds is None:
        return "forever"
    if seconds < 0:
        return "-" + span(-seconds)
    return duration_text(seconds)


# ---------------------------------------------------------------------------
# Names and records

def name_wire(name):
    """Canonical (lower-case) wire form of an absolute presentation name.
    Handles \\DDD and \\X escapes."""
    name = name.rstrip(".") if name != "." else ""
    out = bytearray()
    if name:
        labels = []
        label = bytearray()
        i = 0
        while i < len(name):
            c = name[i]
            if c == "\\":
                digits = name[i + 1:i + 4]
                if len(digits) == 3 and digits.isdigit():
                    label.append(int(digits))
                    i += 4
                    continue
                label += name[i + 1].encode()
                i += 2
                continue
            if c == ".":
                labels.append(bytes(label))
                label = bytearray()
            else:
                label += c.encode()
            i += 1
        labels.append(bytes(label))
        for label in labels:
            out.append(len(label))
            out += label.lower()
    out.append(0)
    return bytes(out)


def canonical_name(name):
    name = name.lower()
    return name if name.endswith(".") else name + "."


def parse_rrsig_time(text):
    """RRSIG inception/expiration: YYYYMMDDHHmmSS, or plain seconds."""
    if len(text) == 14 and text.isdigit():
        return calendar.timegm((int(text[0:4]), int(text[4:6]), int(text[6:8]),
                                int(text[8:10]), int(text[10:12]),
                                int(text[12:14]), 0, 0, 0))
    return int(text)


class Dnskey:
    """One DNSKEY: flags, algorithm, the RDATA in wire form, its key tag."""

    __slots__ = ("owner", "flags", "protocol", "algorithm", "rdata", "tag")

    def __init__(self, owner, flags, protocol, algorithm, public_key):
        self.owner = canonical_name(owner)
        self.flags = flags
        self.protocol = protocol
        self.algorithm = algorithm
        self.rdata = struct.pack("!HBB", flags, protocol, algorithm) + public_key
        self.tag = key_tag(self.rdata)

    @classmethod
    def from_text(cls, owner, rdata_fields):
        flags, protocol, algorithm = (int(x) for x in rdata_fields[:3])
        key = base64.b64decode("".join(rdata_fields[3:]))
        return cls(owner, flags, protocol, algorithm, key)

    @property
    def sep(self):
        return bool(self.flags & 1)

    @property
    def revoked(self):
        return bool(self.flags & 0x80)

    def digest(self, digest_type):
        """The DS digest (upper-case hex) of this key: RFC 4034 5.1.4."""
        data = name_wire(self.owner) + self.rdata
        if digest_type == 1:
            return hashlib.sha1(data).hexdigest().upper()
        if digest_type == 2:
            return hashlib.sha256(data).hexdigest().upper()
        if digest_type == 4:
            return hashlib.sha384(data).hexdigest().upper()
        return None

    def ident(self):
        """(tag, algorithm, flags, sha256 of the RDATA): tells keys with
        the same tag apart."""
        return (self.tag, self.algorithm, self.flags,
                hashlib.sha256(self.rdata).hexdigest()[:16])

    def __repr__(self):
        return "DNSKEY(%d alg %d flags %d)" % (self.tag, self.algorithm,
                                               self.flags)


def key_tag(rdata):
    """RFC 4034 Appendix B (not for algorithm 1)."""
    acc = 0
    for i, b in enumerate(rdata):
        acc += b if i & 1 else b << 8
    acc += (acc >> 16) & 0xFFFF
    return acc & 0xFFFF


class Ds:
    __slots__ = ("owner", "tag", "algorithm", "digest_type", "digest")

    def __init__(self, owner, tag, algorithm, digest_type, digest):
        self.owner = canonical_name(owner)
        self.tag = int(tag)
        self.algorithm = int(algorithm)
        self.digest_type = int(digest_type)
        self.digest = digest.upper()

    def key(self):
        return (self.tag, self.algorithm, self.digest_type, self.digest)

    def matches(self, dnskey):
        return (dnskey.tag == self.tag and dnskey.algorithm == self.algorithm
                and dnskey.owner == self.owner
                and dnskey.digest(self.digest_type) == self.digest)

    def __repr__(self):
        return "DS(%d alg %d digest %d %s...)" % (
            self.tag, self.algorithm, self.digest_type, self.digest[:8])


def parse_ds_line(line):
    """A DS record as `signet ds` prints it: owner [TTL] [IN] DS tag alg
    type digest..."""
    fields = line.split()
    owner = fields[0]
    i = 1
    ttl = None
    if i < len(fields) and fields[i].isdigit():
        ttl = int(fields[i])
        i += 1
    if i < len(fields) and fields[i].upper() == "IN":
        i += 1
    if i >= len(fields) or fields[i].upper() != "DS":
        raise ValueError("not a DS record: %r" % line)
    rest = fields[i + 1:]
    return Ds(owner, rest[0], rest[1], rest[2], "".join(rest[3:])), ttl


class Rrsig:
    __slots__ = ("covered", "algorithm", "labels", "original_ttl",
                 "expiration", "inception", "tag", "signer")

    def __init__(self, fields):
        self.covered = fields[0].upper()
        self.algorithm = int(fields[1])
        self.labels = int(fields[2])
        self.original_ttl = int(fields[3])
        self.expiration = parse_rrsig_time(fields[4])
        self.inception = parse_rrsig_time(fields[5])
        self.tag = int(fields[6])
        self.signer = canonical_name(fields[7])

    def ident(self):
        return (self.tag, self.algorithm, self.inception, self.expiration)


class RRset:
    __slots__ = ("owner", "rtype", "ttl", "rdatas", "sigs")

    def __init__(self, owner, rtype):
        self.owner = owner
        self.rtype = rtype
        self.ttl = None
        self.rdatas = []
        self.sigs = []


def read_signed_zone(path):
    """{(owner, TYPE): RRset} of a signed zone file in Signet's canonical
    form. RRSIGs are attached to the RRset they cover; an RRset's TTL is the
    largest TTL of its records and signatures."""
    rrsets = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith(";") or line.startswith("$"):
                continue
            fields = line.split()
            if len(fields) < 4:
                raise ValueError("%s:%d: not 'owner TTL IN TYPE RDATA': %s"
                                 % (path, number, line))
            owner = canonical_name(fields[0])
            ttl = int(fields[1])
            if fields[2].upper() != "IN":
                raise ValueError("%s:%d: class is not IN" % (path, number))
            rtype = fields[3].upper()
            rdata = fields[4:]
            if rtype == "RRSIG":
                sig = Rrsig(rdata)
                rrset = rrsets.setdefault((owner, sig.covered),
                                          RRset(owner, sig.covered))
                rrset.sigs.append(sig)
            else:
                rrset = rrsets.setdefault((owner, rtype), RRset(owner, rtype))
                rrset.rdatas.append(rdata)
            rrset.ttl = ttl if rrset.ttl is None else max(rrset.ttl, ttl)
    return rrsets


def dnskeys_of(rrsets, origin):
    rrset = rrsets.get((canonical_name(origin), "DNSKEY"))
    if not rrset:
        return []
    return [Dnskey.from_text(origin, r) for r in rrset.rdatas]


# ---------------------------------------------------------------------------
# What caches may hold

class Version:
    """One published form of one RRset (or of the parent's DS set): from
    `first` (when it was first served) to `replaced` (when a different
    form replaced it; None while current). Servers may go on serving it for
    `lag` (the propagation delay) after it was replaced, and a resolver may
    keep it for `ttl` after that: a copy fetched at the last moment,
    replaced + lag, has expired at replaced + lag + ttl, so the version may
    be in a cache at times before that instant, not at it. (A policy with
    zero safety margins lets the enforcer act at exactly that instant.)"""

    __slots__ = ("label", "first", "replaced", "lag", "ttl", "content",
                 "detail", "number")

    def __init__(self, label, number, first, lag, ttl, content, detail):
        self.label = label
        self.number = number
        self.first = first
        self.replaced = None
        self.lag = lag
        self.ttl = ttl
        self.content = content
        self.detail = detail

    def cached_until(self):
        if self.replaced is None:
            return None
        return self.replaced + self.lag + self.ttl

    def may_be_cached(self, now):
        until = self.cached_until()
        return self.first <= now and (until is None or now < until)

    def describe(self):
        until = self.cached_until()
        return "%s v%d [published %s, %s, TTL %s%s]: %s" % (
            self.label, self.number, rfc3339(self.first),
            "current" if self.replaced is None
            else "replaced %s" % rfc3339(self.replaced),
            span(self.ttl),
            "" if until is None else ", cacheable until %s" % rfc3339(until),
            self.detail)


class History:
    """The versions of one RRset, oldest first. publish() records what is
    served from time t; an unchanged RRset adds nothing. Versions that no
    cache can hold any more are dropped by prune()."""

    def __init__(self, label, lag):
        self.label = label
        self.lag = lag
        self.versions = []
        self.count = 0

    @property
    def current(self):
        return self.versions[-1] if self.versions else None

    def publish(self, t, content, ttl, detail):
        """Returns the version replaced at t, or None."""
        cur = self.current
        if cur is not None and cur.replaced is None and \
                cur.content == content and cur.ttl == ttl:
            return None
        if cur is not None and cur.replaced is None:
            cur.replaced = t
        self.count += 1
        self.versions.append(Version(self.label, self.count, t, self.lag, ttl,
                                     content, detail))
        return cur

    def withdraw(self, t):
        """The RRset is no longer published (kept: caches may hold it)."""
        cur = self.current
        if cur is not None and cur.replaced is None:
            cur.replaced = t

    def cached(self, now):
        return [v for v in self.versions if v.may_be_cached(now)]

    def prune(self, now):
        self.versions = [v for v in self.versions
                         if v.replaced is None or v.cached_until() > now]


class DnskeySet:
    """The content of one DNSKEY RRset version: the keys, and which keys
    (tag, algorithm) signed the RRset."""

    __slots__ = ("keys", "signers", "sigs")

    def __init__(self, keys, sigs):
        self.keys = tuple(sorted(keys, key=lambda k: k.ident()))
        self.sigs = frozenset(s.ident() for s in sigs)
        self.signers = frozenset((s.tag, s.algorithm) for s in sigs)

    def __eq__(self, other):
        return (isinstance(other, DnskeySet)
                and [k.ident() for k in self.keys] == [k.ident() for k in other.keys]
                and self.sigs == other.sigs)

    def __hash__(self):
        return hash((tuple(k.ident() for k in self.keys), self.sigs))

    def describe(self):
        parts = []
        for k in self.keys:
            role = "KSK" if k.sep else "ZSK"
            signs = "signs DNSKEY" if (k.tag, k.algorithm) in self.signers \
                else "does not sign DNSKEY"
            parts.append("%s %d alg %d (%s)" % (role, k.tag, k.algorithm, signs))
        return "; ".join(parts) or "no keys"


class SignedSet:
    """The content of one data RRset version: its records and who signed
    it."""

    __slots__ = ("rdatas", "sigs", "signers")

    def __init__(self, rdatas, sigs):
        self.rdatas = tuple(sorted(" ".join(r) for r in rdatas))
        self.sigs = frozenset(s.ident() for s in sigs)
        self.signers = frozenset((s.tag, s.algorithm) for s in sigs)

    def __eq__(self, other):
        return (isinstance(other, SignedSet) and self.rdatas == other.rdatas
                and self.sigs == other.sigs)

    def __hash__(self):
        return hash((self.rdatas, self.sigs))

    def describe(self):
        return "signed by %s" % (", ".join(
            "%d/alg %d" % s for s in sorted(self.signers)) or "nobody")


class DsSet:
    """The content of one version of the parent's DS set for the zone."""

    __slots__ = ("records",)

    def __init__(self, records):
        self.records = tuple(sorted(records, key=lambda d: d.key()))

    def __eq__(self, other):
        return isinstance(other, DsSet) and \
            [d.key() for d in self.records] == [d.key() for d in other.records]

    def __hash__(self):
        return hash(tuple(d.key() for d in self.records))

    def describe(self):
        if not self.records:
            return "no DS (insecure delegation)"
        return ", ".join("DS %d alg %d" % (d.tag, d.algorithm)
                         for d in self.records)


def trusted_keys(ds_set, dnskeys):
    """The keys of a DNSKEY RRset version that a DS set lets a validator
    trust: a DS matches the key (tag, algorithm, digest), the key is not
    revoked, and the key's signature over the RRset is in this version."""
    out = []
    for key in dnskeys.keys:
        if key.revoked or (key.tag, key.algorithm) not in dnskeys.signers:
            continue
        if any(ds.matches(key) for ds in ds_set.records):
            out.append(key)
    return out


def check_chains(now, ds_history, dnskey_history, data_histories,
                 secure_since, insecure_from=None):
    """Every combination a validating resolver may hold at `now`: a DS set
    version, a DNSKEY RRset version and, for each data RRset, a version of
    it, each still within its TTL (after the propagation delay). Returns
    the failures as text. An empty DS set is an insecure delegation, which
    is fine for versions published before the zone first became secure
    (`secure_since`, None while it never has been), and for those published
    once the zone was asked to go insecure (`insecure_from`). A resolver
    that holds such a version proves the zone insecure and validates
    nothing in it, so a zone going insecure is correct exactly when every
    resolver view is either that or a full chain: an unsigned RRset or a
    missing DNSKEY RRset meeting a DS set that may still be cached is what
    makes it bogus."""
    failures = []
    ds_versions = ds_history.cached(now)
    dnskey_versions = dnskey_history.cached(now)
    secure_ds = []
    for d in ds_versions:
        if d.content.records:
            secure_ds.append(d)
        elif insecure_from is not None and d.first >= insecure_from:
            continue
        elif secure_since is not None and d.first >= secure_since:
            failures.append(
                "the parent's DS set became empty after the zone was "
                "secure (it would go insecure):\n    %s" % d.describe())
    if not secure_ds:
        return failures
    if not dnskey_versions:
        failures.append("no DNSKEY RRset is published but the parent has a DS")
        return failures
    for d in secure_ds:
        for k in dnskey_versions:
            if not trusted_keys(d.content, k.content):
                failures.append(
                    "no chain from the DS set to the DNSKEY RRset: no DS "
                    "matches a key whose signature over the DNSKEY RRset is "
                    "in that version\n    %s\n    %s"
                    % (d.describe(), k.describe()))
    for k in dnskey_versions:
        keys = {(key.tag, key.algorithm) for key in k.content.keys
                if not key.revoked}
        for history in data_histories:
            for r in history.cached(now):
                if not keys & r.content.signers:
                    failures.append(
                        "an RRset has no signature by a key of the DNSKEY "
                        "RRset\n    %s\n    %s\n    (with DS: %s)"
                        % (k.describe(), r.describe(),
                           " | ".join(d.describe() for d in secure_ds)))
    return failures


def orphan_ds(now, ds_history, dnskey_history):
    """The DS records a resolver may hold at `now` beside a DNSKEY RRset
    version it may hold that lacks their key: (DS, DS set version, DNSKEY
    version) for each. Not a validation failure by itself while another DS
    of the set, of the same algorithm, chains (check_chains and the strict
    algorithm check decide that); it says how long a parent's DS outlives
    its key's DNSKEY."""
    out = []
    dnskey_versions = dnskey_history.cached(now)
    for d in ds_history.cached(now):
        for record in d.content.records:
            for k in dnskey_versions:
                if not any(record.matches(key) for key in k.content.keys):
                    out.append((record, d, k))
    return out


# RFC 8078 §4: the CDS and CDNSKEY that ask the parent to remove every DS.
DELETE = "delete"


def cds_request(rrsets, origin):
    """What the zone asks of a parent that reads its CDS/CDNSKEY RRsets
    (RFC 7344 §4, RFC 8078): (request, signers, problems). `request` is
    None when it publishes neither (RFC 7344 §4.1: no change), DELETE for
    the removal of every DS, else the DS set as a DsSet (from CDS, or
    computed from CDNSKEY with SHA-256 when only that is published).
    `signers` are the (tag, algorithm) of the RRSIGs over them. `problems`
    are the reasons a careful parent refuses the request: the two RRsets
    disagree (RFC 7344 §4 wants them to match), or a DELETE comes with
    other records (RFC 8078 §4)."""
    origin = canonical_name(origin)
    cds = rrsets.get((origin, "CDS"))
    cdnskey = rrsets.get((origin, "CDNSKEY"))
    if cds is None and cdnskey is None:
        return None, frozenset(), []
    problems = []
    signers = frozenset((s.tag, s.algorithm) for r in (cds, cdnskey) if r
                        for s in r.sigs)
    cds_records = [Ds(origin, r[0], r[1], r[2], "".join(r[3:]))
                   for r in (cds.rdatas if cds else [])]
    keys = [Dnskey.from_text(origin, r) for r in (cdnskey.rdatas if cdnskey else [])]
    cds_delete = [d for d in cds_records if d.algorithm == 0]
    key_delete = [k for k in keys if k.algorithm == 0]
    if cds_delete or key_delete:
        if len(cds_delete) != len(cds_records) or len(key_delete) != len(keys) \
                or len(cds_records) > 1 or len(keys) > 1:
            problems.append("a CDS/CDNSKEY DELETE comes with other records")
        if cds_delete and cds_delete[0].key() != (0, 0, 0, "00"):
            problems.append("the CDS DELETE is not '0 0 0 00'")
        if key_delete and key_delete[0].rdata != struct.pack("!HBB", 0, 3, 0) + b"\0":
            problems.append("the CDNSKEY DELETE is not '0 3 0 AA=='")
        if (cds is None) != (cdnskey is None):
            problems.append("a DELETE in only one of CDS and CDNSKEY")
        return DELETE, signers, problems
    digest_types = sorted({d.digest_type for d in cds_records}) or [2]
    from_keys = [Ds(origin, k.tag, k.algorithm, t, k.digest(t) or "")
                 for k in keys for t in digest_types]
    if cds is not None and cdnskey is not None and \
            sorted(d.key() for d in cds_records) != sorted(d.key() for d in from_keys):
        problems.append("CDS (%s) and CDNSKEY (%s) do not match"
                        % (" ".join(str(d.tag) for d in cds_records),
                           " ".join(str(k.tag) for k in keys)))
    return DsSet(cds_records if cds is not None else from_keys), signers, problems


# ---------------------------------------------------------------------------
# The checker's own test

def self_test():
    """Runs check_chains on made-up histories where the answer is known:
    a correct ZSK pre-publication, a ZSK swapped without it, a DS swapped
    while the old DNSKEY RRset may still be cached, a DS whose digest is
    wrong, and a DS set emptied after the zone was secure. Returns the
    problems (empty when the checker sees what it should)."""
    import os as _os
    origin = "self.test."
    hour = 3600

    def key(flags):
        return Dnskey(origin, flags, 3, 13, _os.urandom(64))

    class Sig:
        def __init__(self, k):
            self.tag, self.algorithm = k.tag, k.algorithm
            self.inception, self.expiration = 0, 10 ** 9

        def ident(self):
            return (self.tag, self.algorithm, self.inception, self.expiration)

    ksk, ksk2, zsk, zsk2 = key(257), key(257), key(256), key(256)

    def ds_of(k, digest=None):
        return Ds(origin, k.tag, k.algorithm, 2, digest or k.digest(2))

    def world():
        parent = History("DS", 0)
        dnskey = History("DNSKEY", 0)
        data = History("data", 0)
        return parent, dnskey, data

    def publish_keys(h, t, keys, signers):
        h.publish(t, DnskeySet(keys, [Sig(k) for k in signers]), hour, "")

    def publish_data(h, t, signers):
        h.publish(t, SignedSet([["x"]], [Sig(k) for k in signers]), hour, "")

    problems = []

    def expect(label, failing, times, parent, dnskey, data, secure_since=0):
        found = []
        for t in times:
            found += check_chains(t, parent, dnskey, [data], secure_since)
        if failing and not found:
            problems.append("self-test: '%s' should fail and does not" % label)
        if not failing and found:
            problems.append("self-test: '%s' should pass: %s" % (label, found[0]))

    # ZSK pre-publication: publish zsk2, wait a TTL, sign with it, wait,
    # withdraw zsk.
    parent, dnskey, data = world()
    parent.publish(0, DsSet([ds_of(ksk)]), hour, "")
    publish_keys(dnskey, 0, [ksk, zsk], [ksk])
    publish_data(data, 0, [zsk])
    publish_keys(dnskey, 10 * hour, [ksk, zsk, zsk2], [ksk])
    publish_data(data, 12 * hour, [zsk2])
    publish_keys(dnskey, 14 * hour, [ksk, zsk2], [ksk])
    expect("ZSK pre-publication", False, [0, 10 * hour, 12 * hour, 14 * hour],
           parent, dnskey, data)

    # The same without pre-publication: a cached old DNSKEY RRset meets
    # signatures by the new ZSK.
    parent, dnskey, data = world()
    parent.publish(0, DsSet([ds_of(ksk)]), hour, "")
    publish_keys(dnskey, 0, [ksk, zsk], [ksk])
    publish_data(data, 0, [zsk])
    publish_keys(dnskey, 10 * hour, [ksk, zsk2], [ksk])
    publish_data(data, 10 * hour, [zsk2])
    expect("ZSK swapped at once", True, [10 * hour], parent, dnskey, data)

    # The DS swapped to a new KSK while a DNSKEY RRset without it may
    # still be cached.
    parent, dnskey, data = world()
    parent.publish(0, DsSet([ds_of(ksk)]), hour, "")
    publish_keys(dnskey, 0, [ksk, zsk], [ksk])
    publish_data(data, 0, [zsk])
    publish_keys(dnskey, 10 * hour, [ksk, ksk2, zsk], [ksk, ksk2])
    parent.publish(10 * hour + 1, DsSet([ds_of(ksk2)]), hour, "")
    expect("DS swapped too early", True, [10 * hour + 1], parent, dnskey, data)

    # A DS whose digest does not match the key.
    parent, dnskey, data = world()
    parent.publish(0, DsSet([ds_of(ksk, "00" * 32)]), hour, "")
    publish_keys(dnskey, 0, [ksk, zsk], [ksk])
    publish_data(data, 0, [zsk])
    expect("wrong DS digest", True, [0], parent, dnskey, data)

    # The DS set emptied after the zone was secure.
    parent, dnskey, data = world()
    parent.publish(0, DsSet([ds_of(ksk)]), hour, "")
    publish_keys(dnskey, 0, [ksk, zsk], [ksk])
    publish_data(data, 0, [zsk])
    parent.publish(5 * hour, DsSet([]), hour, "")
    expect("DS set emptied", True, [5 * hour], parent, dnskey, data)

    # Before the first DS, an insecure delegation is fine.
    parent, dnskey, data = world()
    parent.publish(0, DsSet([]), hour, "")
    publish_keys(dnskey, 0, [ksk, zsk], [ksk])
    publish_data(data, 0, [zsk2])
    expect("insecure before the first DS", False, [0], parent, dnskey, data,
           secure_since=None)

    # Going insecure: the DS set emptied at 5h on request (from 4h), the
    # zone unsigned once the DS set has left every cache (6h), and not
    # before.
    def going_insecure(unsigned_at, withdraw_keys_at=None):
        parent, dnskey, data = world()
        parent.publish(0, DsSet([ds_of(ksk)]), hour, "")
        publish_keys(dnskey, 0, [ksk, zsk], [ksk])
        publish_data(data, 0, [zsk])
        parent.publish(5 * hour, DsSet([]), hour, "")
        if withdraw_keys_at is not None:
            # As the simulation records an unsigned zone: a version
            # without keys, which a resolver caches as NODATA.
            publish_keys(dnskey, withdraw_keys_at, [], [])
        publish_data(data, unsigned_at, [])
        return parent, dnskey, data

    def expect_insecure(label, failing, times, worlds):
        parent, dnskey, data = worlds
        found = []
        for t in times:
            found += check_chains(t, parent, dnskey, [data], 0, insecure_from=4 * hour)
        if failing and not found:
            problems.append("self-test: '%s' should fail and does not" % label)
        if not failing and found:
            problems.append("self-test: '%s' should pass: %s" % (label, found[0]))

    steps = [5 * hour, 6 * hour - 1, 6 * hour, 8 * hour]
    expect_insecure("unsigned once the DS set has left every cache", False, steps,
                    going_insecure(6 * hour, withdraw_keys_at=6 * hour))
    expect_insecure("unsigned while a DS set may be cached", True, steps,
                    going_insecure(6 * hour - 60))
    expect_insecure("DNSKEY RRset withdrawn while a DS set may be cached", True, steps,
                    going_insecure(6 * hour, withdraw_keys_at=5 * hour + 1800))

    # A DS that outlives its key's DNSKEY is seen as such.
    parent, dnskey, data = world()
    parent.publish(0, DsSet([ds_of(ksk), ds_of(ksk2)]), hour, "")
    publish_keys(dnskey, 0, [ksk2, zsk], [ksk2])
    if len(orphan_ds(0, parent, dnskey)) != 1:
        problems.append("self-test: a DS without its DNSKEY is not noticed")

    # CDS/CDNSKEY as a parent reads them.
    def zone_with(cds, cdnskey):
        rrsets = {}
        for rtype, rdatas in (("CDS", cds), ("CDNSKEY", cdnskey)):
            if rdatas is not None:
                rrset = RRset(origin, rtype)
                rrset.rdatas = [r.split() for r in rdatas]
                rrsets[(origin, rtype)] = rrset
        return rrsets

    key_text = "257 3 13 " + base64.b64encode(ksk.rdata[4:]).decode()
    ds_text = "%d 13 2 %s" % (ksk.tag, ksk.digest(2))
    cases = [
        ("no CDS", zone_with(None, None), None, 0),
        ("CDS and CDNSKEY agree", zone_with([ds_text], [key_text]), "set", 0),
        ("CDS and CDNSKEY disagree", zone_with([ds_text], [key_text.replace("257", "256")]),
         "set", 1),
        ("DELETE", zone_with(["0 0 0 00"], ["0 3 0 AA=="]), DELETE, 0),
        ("DELETE beside a DS", zone_with(["0 0 0 00", ds_text], ["0 3 0 AA=="]), DELETE, 1),
    ]
    for label, rrsets, kind, bad in cases:
        request, _, found = cds_request(rrsets, origin)
        got = request if request in (None, DELETE) else "set"
        if got != kind or bool(found) != bool(bad):
            problems.append("self-test: CDS '%s' read as %r with problems %r"
                            % (label, got, found))
    request, _, _ = cds_request(zone_with([ds_text], [key_text]), origin)
    if request not in (None, DELETE) and [d.key() for d in request.records] != \
            [ds_of(ksk).key()]:
        problems.append("self-test: the CDS DS set is not the key's DS")
    return problems
