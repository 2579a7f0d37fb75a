#!/usr/bin/env python3
"""Rollover simulation: real zones driven through the signet command line
with --now over simulated years, checked from outside.

usage: rollover_sim.py SIGNET SOURCE_DIR [--quick] [--scenario NAME ...]
           [--property-runs N] [--property-days D] [--seed S] [--jobs J]
           [--days D] [--keep] [--verbose]

Each scenario has its own state dir (signet init), one small zone and a
simulated parent that holds the zone's DS set. The loop, at simulated time t:

  1. the parent publishes or withdraws the DS records that are due (it acts
     `parent delay` after it was asked), and the operator runs `signet key
     ds-seen` / `ds-gone` `operator delay` after the parent acted;
  2. `signet sign` at t (the enforcer step, then signing);
  3. the signed zone is read back and each RRset of interest (DNSKEY with
     its RRSIGs; SOA, NS, an A RRset and the apex's NSEC/NSEC3, with theirs)
     is recorded as a new version when it changed, with the TTL as
     published; the parent's DS set is recorded the same way;
  4. `dnssec-verify` (BIND) must accept the zone, with its clock set to t
     (unless it was published without DNSSEC); a parent that reads CDS
     takes in the zone's CDS/CDNSKEY;
  5. the invariant (below) is checked at t;
  6. `signet ds --json` at t says what the parent must add or remove: the
     parent is asked to, and the conversation is checked for consistency;
  7. t advances to the earliest of the enforcer's next_event, the parent's
     or operator's next action, a scenario's next policy change, and t plus
     a re-sign step short enough that no signature can expire.

The invariant: for every combination a validating resolver could hold at t
- a DS set version the parent published that is still within its TTL (a
version replaced at r may be served until r + parent-propagation-delay and
cached for the DS TTL after that), a DNSKEY RRset version with its RRSIGs
within its TTL (replaced at r: until r + zone-propagation-delay + its TTL),
and a version of each data RRset within its TTL - some DS matches (key tag,
algorithm, SHA-256 digest over owner + DNSKEY RDATA, computed here) a
DNSKEY of that DNSKEY version whose RRSIG over the RRset is in that version,
and the data RRset carries an RRSIG by (key tag, algorithm) of a DNSKEY in
that DNSKEY version. An empty DS set is the insecure delegation, fine only
for versions from before the zone first became secure. Every combination is
checked, not just the current one, which is what makes this stronger than
signing and validating the newest zone: the failures that rollovers cause
are a cached old DNSKEY RRset meeting a new DS set or new signatures.

A version stops being cacheable at the instant replaced + lag + TTL (a
copy fetched at the last moment has expired then), so an enforcer that acts
at exactly that instant, as zero safety margins allow, passes.

Strict algorithms (on for the algorithm-rollover scenario; off with
--no-strict-algorithms): in every such combination, each algorithm of the
DS set has a DS matching a key that signs the DNSKEY RRset, and each
algorithm of the DNSKEY RRset signs the DNSKEY RRset and every RRset (RFC
4035 §2.2, RFC 6781 §4.1.4), as validators that insist on every signalled
algorithm (Unbound's harden-algo-downgrade) require. The plain invariant
is satisfied by any one algorithm's chain, which let an old algorithm's
DNSKEY leave while cached DS sets still listed it.

The parent learns what to publish in one of three ways: the operator
hands it what `signet ds` says to add or remove (the default); the
ds-submit-command / ds-retract-command hooks hand it the records; or it
reads the zone's CDS/CDNSKEY as RFC 7344/8078 parents polling them do:
`parent delay` after the zone publishes a new CDS request its DS set
becomes what the CDS lists (bootstrapping from the first one), empty after
a CDS DELETE, unchanged when the zone publishes no CDS; it refuses a
request whose CDS and CDNSKEY disagree, that is not signed by a key the DS
set in place points to, or that would break the delegation. In every case
the operator runs ds-seen / ds-gone only after the parent acted and only
while `signet ds` still asks for it (with a CDS parent, once the parent has
acted on the zone's latest CDS; in one scenario never ds-gone).

Going insecure (`signet zone unsign`): from the request on, an empty DS set
at the parent is the goal, not a failure; once the zone is published
without DNSSEC, its DNSKEY RRset becomes a version without keys and its
RRsets versions without signatures, so the invariant fails wherever a DS
set may still be cached: every resolver view must be either a full chain
or a provably insecure delegation. The unsigned zone must have no DNSSEC
record at all, `signet ds` may say nothing but "remove" meanwhile, the
signing's to-do names every DS the parent still holds, and at the end the
parent holds no DS and every key is destroyed.

Besides: no signature is served outside its validity period, nor served by
a secondary after it expired; the zone never has zero usable keys (some key
signs the DNSKEY RRset, and once the parent has a DS, a key it points to
does); rollovers really happen (distinct ZSK/KSK/CSK key tags over the run
against what the lifetimes imply; algorithm 8 really gives way to 13, at
the zone and at the parent); a rollover by hand (`key rollover`, also with
--emergency) publishes a new key within two days; the parent's DS set and
what `signet ds` says stay consistent (nothing the parent holds goes
unmentioned, "keep" only for what it holds, "add"/"remove" stop within a
day of ds-seen/ds-gone); no KSK or CSK is destroyed while a DS for it may be
cached (at the parent, or withdrawn less than its propagation delay plus
TTL ago). Differences between the CDS RRset and the DS set `signet ds`
wants are noted, not failed, and so is a cached DS that outlives its
DNSKEY while another DS of its algorithm chains (the enforcer withdraws a
KSK's DNSKEY once its successor's DS is in every cache). The checker first
tests itself on made-up histories with known answers.

Property mode: random policies (algorithm, KSK+ZSK or CSK, lifetimes, TTLs,
delays, signatures, within ranges that pass signet's own policy checks),
random parent and operator delays, and half the time a TTL change and a
rollover by hand (manual or emergency) at a random moment, from a seeded RNG
(the seed is printed; --seed repeats a run), over one simulated year each,
with the same checks.

Quick mode (--quick, SIGNET_SIM_QUICK=1, or a signet path containing
"asan"): each scenario as many days as its rollovers need (at most 240)
and one property run of 120 days; see main() and scenarios().
Scenarios run in parallel, --jobs or SIGNET_SIM_JOBS at a time (default 2).
SIGNET_KEEP_WORK=1 keeps the state dirs of a failed run.

Exit status 0 when every scenario passes. On a failure the scenario prints
the time, the combination that does not validate with every version in it,
and the zone's key history.
"""

import argparse
import concurrent.futures
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dnssec_sim as ds  # noqa: E402
from dnssec_sim import parse_duration as dur  # noqa: E402

DAY = 86400
HOUR = 3600
START = ds.parse_time("2027-01-01T00:00:00Z")
ORIGIN = "sim.test."


class CliError(Exception):
    """signet did something the contract does not allow: exit status,
    output that is not the promised JSON, ..."""

    def __init__(self, argv, now, message, stdout="", stderr=""):
        super().__init__(message)
        self.argv = argv
        self.now = now
        self.message = message
        self.stdout = stdout
        self.stderr = stderr

    def __str__(self):
        def clip(text):
            text = (text or "").strip()
            lines = text.splitlines()
            if len(lines) > 25:
                lines = lines[:25] + ["... (%d more lines)" % (len(lines) - 25)]
            return "\n      ".join(lines) or "(nothing)"
        return ("signet misbehaved: %s\n    command: %s\n    --now %s\n"
                "    stdout: %s\n    stderr: %s"
                % (self.message, " ".join(self.argv),
                   ds.rfc3339(self.now) if self.now is not None else "-",
                   clip(self.stdout), clip(self.stderr)))


class Signet:
    """The command line, with the global options in front of the noun."""

    def __init__(self, binary, state):
        self.binary = binary
        self.state = state
        self.calls = 0
        self.seconds = 0.0
        self.env = dict(os.environ)
        for name in ("SIGNET_NOW", "SIGNET_STATE", "SIGNET_PIN"):
            self.env.pop(name, None)

    def run(self, now, args, json_output=False, timeout=300):
        argv = [self.binary, "--state", self.state]
        if now is not None:
            argv += ["--now", ds.rfc3339(now)]
        if json_output:
            argv.append("--json")
        argv += list(args)
        started = time.monotonic()
        try:
            p = subprocess.run(argv, env=self.env, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise CliError(argv, now, "no answer in %d s" % timeout,
                           e.stdout or "", e.stderr or "")
        self.seconds += time.monotonic() - started
        self.calls += 1
        if p.returncode != 0:
            raise CliError(argv, now, "exit status %d" % p.returncode,
                           p.stdout, p.stderr)
        if not json_output:
            return p.stdout
        try:
            return json.loads(p.stdout)
        except ValueError as e:
            raise CliError(argv, now, "--json output is not JSON (%s)" % e,
                           p.stdout, p.stderr)


class Verifier:
    """BIND's dnssec-verify at a simulated time (see fake_clock.c)."""

    def __init__(self, shim):
        self.shim = shim
        self.calls = 0

    def verify(self, origin, path, now, csk=False):
        """None when dnssec-verify accepts the zone at `now`, else what it
        said. With a CSK, -z: without it, dnssec-verify wants a ZSK (a key
        without the SEP flag) for every algorithm."""
        env = dict(os.environ)
        env["LD_PRELOAD"] = self.shim
        env["SIGNET_FAKE_TIME"] = str(now)
        p = subprocess.run(["dnssec-verify", "-q"] + (["-z"] if csk else []) +
                           ["-o", origin, path],
                           env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120)
        self.calls += 1
        if p.returncode != 0:
            return (p.stdout + p.stderr).strip() or "exit %d" % p.returncode
        return None


def build_fake_clock(work):
    source = os.path.join(HERE, "fake_clock.c")
    out = os.path.join(work, "fake_clock.so")
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        raise RuntimeError("no C compiler for fake_clock.c")
    subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", out, source],
                   check=True)
    return out


# ---------------------------------------------------------------------------
# The parent and the operator

class Parent:
    """The parent zone's view of our delegation: the DS set it publishes,
    and what it has been asked to change. It acts `delay` after a request;
    the operator notices `seen_delay` / `gone_delay` after it acted and
    tells signet."""

    def __init__(self, start, ttl, lag, delay, seen_delay, gone_delay):
        self.history = ds.History("parent DS set", lag)
        self.history.publish(start, ds.DsSet([]), ttl, "no DS")
        self.ttl = ttl
        self.delay = delay
        self.seen_delay = seen_delay
        self.gone_delay = gone_delay
        self.records = {}            # Ds.key() -> Ds, published now
        self.queue = []              # [time, kind, Ds, tag]
        self.operator = []           # [time, "ds-seen"|"ds-gone", tag, Ds, parent's time]
        self.asked = {}              # Ds.key() -> ("add"|"remove", time)
        self.confirmed = {}          # Ds.key() -> ("ds-seen"|"ds-gone", time)
        self.held = {}               # Ds.key() -> [[published, withdrawn or None], ...]
        self.changed = {}            # Ds.key() -> when the parent last added or removed it
        self.secure_since = None
        self.log = []

    acts_on_cds = False

    def request(self, t, kind, record, tag):
        key = record.key()
        if self.asked.get(key, (None,))[0] == kind:
            return False
        self.asked[key] = (kind, t)
        self.queue.append([t + self.delay, kind, record, tag])
        self.log.append("%s parent asked to %s DS %d" % (ds.rfc3339(t), kind, tag))
        return True

    def advance(self, t):
        """Apply what is due at or before t, each at its own time."""
        self.queue.sort(key=lambda e: e[0])
        while self.queue and self.queue[0][0] <= t:
            when, kind, record, tag = self.queue.pop(0)
            if kind == "add":
                self.put(when, record)
                self.operator.append([when + self.seen_delay, "ds-seen", tag, record, when])
            else:
                self.take(when, record)
                self.operator.append([when + self.gone_delay, "ds-gone", tag, record, when])
            self.publish(when)

    def put(self, when, record):
        key = record.key()
        if key not in self.records:
            self.held.setdefault(key, []).append([when, None])
            self.log.append("%s parent publishes DS %d" % (ds.rfc3339(when), record.tag))
        self.records[key] = record
        self.changed[key] = when

    def take(self, when, record):
        key = record.key()
        if key in self.records:
            self.held[key][-1][1] = when
            self.log.append("%s parent withdraws DS %d" % (ds.rfc3339(when), record.tag))
        self.records.pop(key, None)
        self.changed[key] = when

    def publish(self, when):
        content = ds.DsSet(self.records.values())
        self.history.publish(when, content, self.ttl, content.describe())
        if self.records and self.secure_since is None:
            self.secure_since = when

    def observe(self, t, request, signers, problems, dnskeys):
        """The zone's CDS/CDNSKEY as published at t: this parent does not
        read them."""
        return []

    def gone_from_caches(self, key):
        """When no cache can hold a DS set with this DS any more: None
        while the parent publishes it (or never did, then 0)."""
        spans = self.held.get(key)
        if not spans:
            return 0
        if spans[-1][1] is None:
            return None
        return spans[-1][1] + self.history.lag + self.ttl

    def due_confirmations(self, t):
        self.operator.sort(key=lambda e: e[0])
        out = []
        while self.operator and self.operator[0][0] <= t:
            out.append(self.operator.pop(0))
        return out

    def next_time(self):
        times = [e[0] for e in self.queue] + [e[0] for e in self.operator]
        return min(times) if times else None


class CdsParent(Parent):
    """A parent that reads the zone's CDS/CDNSKEY, as RFC 7344/8078
    parents polling them do: `delay` after the zone publishes a new CDS
    request, the DS set becomes what the CDS lists (RFC 7344 §4.1), or
    empty after a CDS DELETE (RFC 8078 §4); a zone without CDS changes
    nothing. Like a careful parent it refuses a request that does not
    authenticate (once the delegation is secure, the CDS must be signed by
    a key of the DNSKEY RRset that the DS set in place points to, RFC 7344
    §4.1), whose CDS and CDNSKEY disagree, or that would break the
    delegation (no DS of it matches a key signing the DNSKEY RRset). It
    takes no requests. The operator, told by `signet ds` to add or remove
    a DS, watches the parent and confirms (ds-seen, ds-gone) once the DS
    set shows the change and the parent has acted on the zone's latest CDS
    (a removal confirmed while an older CDS that lists the DS is still to
    be acted on would be a false ds-gone); with `confirm_gone` false the
    operator never runs ds-gone."""

    acts_on_cds = True

    def __init__(self, start, ttl, lag, delay, seen_delay, gone_delay, confirm_gone=True):
        super().__init__(start, ttl, lag, delay, seen_delay, gone_delay)
        self.confirm_gone = confirm_gone
        self.watch = {}              # Ds.key() -> (kind, tag, Ds, since)
        self.last_request = None     # the CDS request last taken in (or refused)
        self.never_gone = []         # DS the operator saw gone and did not confirm

    def request(self, t, kind, record, tag):
        key = record.key()
        if self.asked.get(key, (None,))[0] == kind:
            return False
        self.asked[key] = (kind, t)
        self.watch[key] = (kind, tag, record, t)
        self.log.append("%s operator told to %s DS %d (the parent reads CDS)"
                        % (ds.rfc3339(t), kind, tag))
        self.settle()
        return True

    def observe(self, t, request, signers, problems, dnskeys):
        """Takes in the CDS request the zone publishes at t; returns why
        a careful parent refuses it (nothing when it is taken, or is the
        one taken before)."""
        if request is None or request == self.last_request:
            return []
        self.last_request = request
        refusals = list(problems)
        if request != ds.DELETE and not ds.trusted_keys(request, dnskeys):
            refusals.append("its DS set (%s) matches no key that signs the DNSKEY RRset (%s)"
                            % (request.describe(), dnskeys.describe()))
        current = ds.DsSet(self.records.values())
        if current.records:
            vouched = {(k.tag, k.algorithm) for k in ds.trusted_keys(current, dnskeys)}
            if not vouched & signers:
                refusals.append("it is not signed by a key that the DS set in place (%s) points "
                                "to" % current.describe())
        if refusals:
            return ["the parent refuses the CDS request %s: %s" % (
                "DELETE" if request == ds.DELETE else request.describe(), "; ".join(refusals))]
        self.queue.append([t + self.delay, "cds", request, None])
        self.log.append("%s parent sees CDS %s" % (
            ds.rfc3339(t), "DELETE" if request == ds.DELETE else request.describe()))
        return []

    def advance(self, t):
        self.queue.sort(key=lambda e: e[0])
        while self.queue and self.queue[0][0] <= t:
            when, _, request, _ = self.queue.pop(0)
            wanted = {} if request == ds.DELETE else {r.key(): r for r in request.records}
            for key, record in list(self.records.items()):
                if key not in wanted:
                    self.take(when, record)
            for record in wanted.values():
                self.put(when, record)
            self.publish(when)
            self.settle()

    def settle(self):
        if self.queue:
            return  # the parent has yet to act on the zone's latest CDS
        for key, (kind, tag, record, since) in list(self.watch.items()):
            acted = self.changed.get(key)
            if kind == "add" and key in self.records:
                del self.watch[key]
                self.operator.append([max(acted, since) + self.seen_delay, "ds-seen", tag,
                                      record, acted])
            elif kind == "remove" and key not in self.records:
                del self.watch[key]
                if not self.confirm_gone:
                    self.never_gone.append(tag)
                    self.log.append("%s operator sees DS %d gone and never runs ds-gone"
                                    % (ds.rfc3339(max(acted or since, since)), tag))
                    continue
                self.operator.append([max(acted or since, since) + self.gone_delay, "ds-gone",
                                      tag, record, acted])


class HookLog:
    """ds-submit-command / ds-retract-command as a registrar's interface:
    the hook appends what signet gives it (DS and DNSKEY records on stdin)
    to a log, which the simulation reads after each signing and hands to
    the parent as requests. The operator still confirms with ds-seen /
    ds-gone once the parent acted."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "ds-hooks.log")
        self.script = os.path.join(directory, "ds-hook")
        with open(self.script, "w") as f:
            f.write('#!/bin/sh\n# $1: submit or retract, $2: the zone\n'
                    '{ echo "; $1 $2"; cat; } >> "%s"\n' % self.path)
        os.chmod(self.script, 0o755)
        self.offset = 0

    def commands(self):
        return {"ds-submit-command": "%s submit {zone}" % self.script,
                "ds-retract-command": "%s retract {zone}" % self.script}

    def requests(self):
        """[(kind, Ds)] written since the last call."""
        if not os.path.exists(self.path):
            return []
        with open(self.path) as f:
            f.seek(self.offset)
            text = f.read()
            self.offset = f.tell()
        out = []
        kind = None
        for line in text.splitlines():
            fields = line.split()
            if line.startswith("; "):
                kind = "add" if fields[1] == "submit" else "remove"
            elif len(fields) > 3 and "DS" in [x.upper() for x in fields[1:4]]:
                out.append((kind, ds.parse_ds_line(line)[0]))
        return out


# ---------------------------------------------------------------------------
# Scenario changes

class Change:
    """Something that happens to a scenario while it runs: a policy edit,
    new TTLs in the zone, a manual rollover. `when` decides; it is asked
    before each signing with the zone as last published."""

    def __init__(self, note, policy=None, zone_ttl=None, rollover=None, emergency=False,
                 unsign=False):
        self.note = note
        self.policy = policy or {}
        self.zone_ttl = zone_ttl
        self.rollover = rollover
        self.emergency = emergency
        self.unsign = unsign
        self.done_at = None
        self.at = None  # when it is due; each kind of change sets it its own way

    def due(self, sim, t):
        return self.done_at is None and self.at is not None and t >= self.at

    def next_time(self):
        return None if self.done_at is not None else self.at

    def observe(self, sim, t):
        """Called after each signing, with the zone as published at t."""

    def apply(self, sim, t):
        self.done_at = t
        if self.policy:
            sim.policy.update(self.policy)
            sim.write_config()
        if self.zone_ttl is not None:
            sim.zone_ttl = self.zone_ttl
            sim.write_zone()
        if self.rollover:
            sim.signet.run(t, ["key", "rollover", ORIGIN, "--role", self.rollover]
                           + (["--emergency"] if self.emergency else []))
        sim.note(t, "change: %s" % self.note)
        if self.unsign:
            said = sim.signet.run(t, ["zone", "unsign", ORIGIN])
            sim.unsign_at = t
            # What the operator is told: each DS the parent holds should
            # be named (a key already being withdrawn may be named only by
            # `signet ds`, which talk_to_parent checks).
            unnamed = sorted({r.tag for r in sim.parent.records.values()
                              if str(r.tag) not in said})
            if unnamed:
                sim.note(t, "note: `signet zone unsign` does not name DS %s, which the parent "
                         "holds" % " ".join(map(str, unnamed)))

    def check(self, sim):
        """After a rollover by hand, a new key of the role must be
        published within two days (the next signings)."""
        if not self.rollover or self.done_at is None:
            return []
        new = [k for i, k in sim.keys.items() if sim.role_of(k) == self.rollover
               and self.done_at <= sim.first_seen[i] <= self.done_at + 2 * DAY]
        if not new:
            return ["`signet key rollover --role %s%s` at %s: no new %s was published "
                    "within two days" % (self.rollover, " --emergency" if self.emergency else "",
                                         ds.rfc3339(self.done_at), self.rollover.upper())]
        return []


class At(Change):
    def __init__(self, at, note, **kw):
        super().__init__(note, **kw)
        self.at = at


class DuringRollover(Change):
    """`delay` after the published DNSKEY RRset first holds a key of `role`
    that is new since `after` (another change) was made, beside an older
    key of the role: early in a pre-publication or double-KSK rollover,
    while the new key is still only in some caches."""

    def __init__(self, role, note, after=None, delay=600, **kw):
        super().__init__(note, **kw)
        self.role = role
        self.after = after
        self.delay = delay

    def observe(self, sim, t):
        if self.at is not None or self.done_at is not None:
            return
        if self.after is not None and self.after.done_at is None:
            return
        keys = [k for k in sim.last_dnskeys or [] if sim.role_of(k) == self.role]
        if len(keys) < 2:
            return
        since = self.after.done_at if self.after is not None else None
        newest = max(sim.first_seen[k.ident()] for k in keys)
        if since is None or newest > since:
            self.at = t + self.delay


class When(Change):
    """`delay` after `predicate(sim)` first holds after a signing and the
    conversation with the parent that follows it."""

    def __init__(self, predicate, note, delay=0, **kw):
        super().__init__(note, **kw)
        self.predicate = predicate
        self.delay = delay

    def observe(self, sim, t):
        if self.at is None and self.done_at is None and self.predicate(sim):
            self.at = t + self.delay


def ds_add_in_flight(sim):
    """The parent holds a DS and has been asked to add another that it
    does not publish yet: the middle of a KSK rollover."""
    return bool(sim.parent.records) and any(
        kind == "add" and key not in sim.parent.records
        for key, (kind, _) in sim.parent.asked.items())


# ---------------------------------------------------------------------------
# One simulated zone

class Failure(Exception):
    pass


DNSSEC_TYPES = {"DNSKEY", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "CDS", "CDNSKEY"}


class Simulation:
    def __init__(self, name, signet_binary, work, shim, policy, days,
                 parent_delay, seen_delay, gone_delay, zone_ttl=None,
                 changes=(), expect=None, step=None, verbose=False,
                 note="", strict_algorithms=False, parent="requests", confirm_gone=True,
                 served_unsigned=False, unsign_step=None):
        self.name = name
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        self.state = os.path.join(self.dir, "state")
        self.signet = Signet(signet_binary, self.state)
        self.verifier = Verifier(shim)
        self.policy = dict(policy)
        self.days = days
        self.parent_delay = parent_delay
        self.seen_delay = seen_delay
        self.gone_delay = gone_delay
        self.zone_ttl = zone_ttl if zone_ttl is not None else \
            dur(self.policy.get("max-zone-ttl", "1d"))
        self.changes = list(changes)
        self.expect = expect
        self.strict_algorithms = strict_algorithms
        self.strict_failures = 0
        # How the parent learns what to publish: "requests" (the operator
        # hands it what `signet ds` says to add or remove), "hooks" (the
        # ds-submit/ds-retract commands hand it over) or "cds" (it reads
        # the zone's CDS/CDNSKEY).
        self.parent_kind = parent
        # The zone was served unsigned before signet signed it (the usual
        # way to DNSSEC): caches may hold its unsigned answers for a TTL
        # after the first signing, so a DS at the parent before then
        # makes it bogus.
        self.served_unsigned = served_unsigned
        self.confirm_gone = confirm_gone
        self.hooks = None
        self.unsign_at = None         # `signet zone unsign` was run
        self.insecure_at = None       # first published without DNSSEC
        self.orphans = 0              # signings at which a cached DS lacked its DNSKEY
        self.last_todo = []
        self.verbose = verbose
        self.description = note
        self.input = os.path.join(self.dir, "zone")
        self.output = os.path.join(self.dir, "zone.signed")
        self.lines = []
        self.failures = []
        self.cli_anomalies = []
        self.first_seen = {}          # key ident -> time first published
        self.last_seen = {}
        self.keys = {}                # key ident -> Dnskey
        self.last_dnskeys = None
        self.steps = 0
        self.next_event_count = 0
        self.zero_progress = 0
        self.cds_mismatches = 0
        self.last_cds = None
        zone_lag = dur(self.policy.get("zone-propagation-delay", "5m"))
        self.dnskey = ds.History("DNSKEY RRset", zone_lag)
        self.data = {}
        self.parent = None
        self.base_config = None
        if step is None:
            refresh = dur(self.policy.get("signature-refresh", "5d"))
            step = max(HOUR, min(6 * DAY, (refresh - zone_lag) * 3 // 4))
        self.step = step
        # While going insecure signet names no next event (the parent is
        # to act, then caches to forget); a cron job signing every
        # `unsign_step` publishes the unsigned zone that much after it may.
        self.unsign_step = unsign_step

    # -- output ---------------------------------------------------------
    def note(self, t, text):
        self.lines.append("  %s %s" % (ds.rfc3339(t), text))

    def fail(self, t, text, stop=True):
        """Records a failure; the run stops after the fifth (the first
        ones say what went wrong, the rest are mostly consequences)."""
        self.failures.append("at %s: %s" % (ds.rfc3339(t), text))
        self.lines.append("FAIL %s at %s: %s" % (self.name, ds.rfc3339(t), text))
        if stop and len(self.failures) >= 5:
            raise Failure("too many failures")

    # -- files ------------------------------------------------------------
    def write_config(self):
        lines = ["", "[policy.sim]"]
        for key, value in self.policy.items():
            if isinstance(value, bool):
                lines.append("%s = %s" % (key, "true" if value else "false"))
            elif isinstance(value, int):
                lines.append("%s = %d" % (key, value))
            else:
                lines.append('%s = "%s"' % (key, value))
        with open(os.path.join(self.state, "signet.toml"), "w") as f:
            f.write(self.base_config.rstrip("\n") + "\n" + "\n".join(lines) + "\n")

    def write_zone(self):
        ttl = self.zone_ttl
        with open(self.input, "w") as f:
            f.write("$ORIGIN %s\n$TTL %d\n" % (ORIGIN, ttl))
            f.write("@ SOA ns1 hostmaster 1 7200 3600 1209600 %d\n" % min(ttl, 300))
            f.write("@ NS ns1\n@ NS ns2\n")
            f.write("ns1 A 192.0.2.1\nns2 A 192.0.2.2\n")
            f.write("www A 192.0.2.10\nwww AAAA 2001:db8::10\n")
            f.write('@ TXT "rollover simulation"\n')

    def role_of(self, key):
        if self.policy.get("keys") == "csk" and key.sep:
            return "csk"
        return "ksk" if key.sep else "zsk"

    # -- the loop ---------------------------------------------------------
    def setup(self):
        self.signet.run(None, ["init"])
        with open(os.path.join(self.state, "signet.toml")) as f:
            self.base_config = f.read()
        if self.parent_kind == "hooks":
            self.hooks = HookLog(self.dir)
            self.policy.update(self.hooks.commands())
        self.write_config()
        self.write_zone()
        self.signet.run(START, ["zone", "add", ORIGIN, "--input", self.input,
                                "--output", self.output, "--policy", "sim"])
        timing = (START, dur(self.policy.get("parent-ds-ttl", "1d")),
                  dur(self.policy.get("parent-propagation-delay", "1h")),
                  self.parent_delay, self.seen_delay, self.gone_delay)
        if self.parent_kind == "cds":
            self.parent = CdsParent(*timing, confirm_gone=self.confirm_gone)
        else:
            self.parent = Parent(*timing)
        if self.served_unsigned:
            before = START - 30 * DAY
            self.dnskey.publish(before, ds.DnskeySet([], []), min(self.zone_ttl, 300),
                                "no DNSKEY RRset (served unsigned)")
            for label in ("SOA", "NS", "www A"):
                history = self.data.setdefault(label, ds.History(label + " RRset",
                                                                 self.dnskey.lag))
                history.publish(before, ds.SignedSet([[label]], []), self.zone_ttl,
                                "unsigned (served before signet)")

    def run(self):
        started = time.monotonic()
        self.setup()
        end = START + self.days * DAY
        t = START
        try:
            while t <= end:
                next_event = self.step_at(t)
                t = self.next_time(t, next_event)
            self.finish(end)
        except Failure:
            pass
        except CliError as e:
            self.fail(e.now if e.now is not None else t, str(e), stop=False)
        except Exception:  # a bug here, or output this cannot read
            self.failures.append("at %s: %s" % (ds.rfc3339(t), traceback.format_exc()))
            self.lines.append("FAIL %s at %s: %s" % (self.name, ds.rfc3339(t),
                                                     traceback.format_exc()))
        if self.failures:
            self.lines.append("  key history (signet key history %s):" % ORIGIN)
            try:
                history = self.signet.run(None, ["key", "history", ORIGIN])
                for line in history.splitlines()[-40:]:
                    self.lines.append("    " + line)
            except CliError as e:
                self.lines.append("    (unavailable: %s)" % e.message)
            self.lines.append("  parent:")
            self.lines += ["    " + line for line in self.parent.log[-20:]] \
                if self.parent else []
        self.elapsed = time.monotonic() - started
        return self

    def next_time(self, t, next_event):
        step = self.step
        if self.unsign_step and self.unsign_at is not None and self.insecure_at is None:
            step = self.unsign_step
        candidates = [t + step]
        if next_event is not None:
            if next_event > t:
                candidates.append(next_event)
            else:
                self.zero_progress += 1
        parent = self.parent.next_time()
        if parent is not None:
            candidates.append(max(parent, t + 1))
        for change in self.changes:
            at = change.next_time()
            if at is not None:
                candidates.append(max(at, t + 1))
        return min(candidates)

    def step_at(self, t):
        self.steps += 1
        # 1. The parent acts; the operator confirms what they saw, if
        # signet still asks for it (a DS added after its key was retired,
        # or after `zone unsign`, is to be removed now, not confirmed).
        self.parent.advance(t)
        due = self.parent.due_confirmations(t)
        asks = self.current_asks(t) if due else {}
        for _, action, tag, record, acted in due:
            wanted = "add" if action == "ds-seen" else "remove"
            if asks.get(record.key()) != wanted:
                self.note(t, "operator: the parent %s DS %d, but `signet ds` says %s: no %s"
                          % ("publishes" if wanted == "add" else "no longer publishes", tag,
                             asks.get(record.key(), "nothing of it"), action))
                continue
            self.signet.run(t, ["key", action, ORIGIN, str(tag)])
            self.parent.confirmed[record.key()] = (action, t)
            if acted is None:
                self.note(t, "operator: signet key %s %d (the parent never had it)"
                          % (action, tag))
            else:
                self.note(t, "operator: signet key %s %d (the parent acted at %s)"
                          % (action, tag, ds.rfc3339(acted)))
        # 2. Scenario changes.
        for change in self.changes:
            if change.due(self, t):
                change.apply(self, t)
        # 3. Sign.
        result = self.signet.run(t, ["sign", ORIGIN], json_output=True)
        next_event = self.next_event_of(result, t)
        self.last_todo = self.todo_of(result)
        # 4. What is published now.
        rrsets = ds.read_signed_zone(self.output)
        unsigned = self.record(t, rrsets)
        if not unsigned:
            problem = self.verifier.verify(ORIGIN, self.output, t,
                                           csk=self.policy.get("keys") == "csk")
            if problem:
                kept = os.path.join(self.dir, "rejected-%d.signed" % t)
                shutil.copyfile(self.output, kept)
                self.fail(t, "dnssec-verify rejects the signed zone (kept as %s):\n    %s"
                          % (kept, problem.replace("\n", "\n    ")))
            self.check_usable_keys(t)
            request, signers, problems = ds.cds_request(rrsets, ORIGIN)
            for refusal in self.parent.observe(t, request, signers, problems,
                                               self.dnskey.current.content):
                self.fail(t, refusal)
        if self.hooks:
            for kind, record in self.hooks.requests():
                self.parent.request(t, kind, record, record.tag)
        # 5. The invariant.
        for failure in ds.check_chains(t, self.parent.history, self.dnskey,
                                       list(self.data.values()),
                                       self.parent.secure_since, self.unsign_at):
            self.fail(t, failure)
        if self.strict_algorithms:
            found = check_algorithms(t, self.parent.history, self.dnskey,
                                     list(self.data.values()))
            self.strict_failures += len(found)
            for failure in found:
                self.fail(t, failure)
        self.note_orphans(t)
        # 6. The conversation with the parent.
        self.talk_to_parent(t)
        for change in self.changes:
            change.observe(self, t)
        self.parent.history.prune(t)
        self.dnskey.prune(t)
        for history in self.data.values():
            history.prune(t)
        return next_event

    def check_usable_keys(self, t):
        """The zone never has zero usable keys: some key signs the DNSKEY
        RRset, and once the parent has a DS, a key it points to does."""
        current = self.dnskey.current
        if current is None:
            return
        keys = current.content
        if not any((k.tag, k.algorithm) in keys.signers for k in keys.keys if not k.revoked):
            self.fail(t, "zero usable keys: no key in the DNSKEY RRset signs it\n    %s"
                      % current.describe())
        if self.parent.records and not ds.trusted_keys(
                ds.DsSet(self.parent.records.values()), keys):
            self.fail(t, "zero usable keys: no key that the parent's DS set points to "
                      "signs the DNSKEY RRset\n    %s\n    parent: %s"
                      % (current.describe(), self.parent.history.current.describe()))

    def next_event_of(self, result, t):
        entry = result
        if isinstance(result, list):
            entries = [e for e in result if isinstance(e, dict)
                       and ds.canonical_name(str(e.get("zone", ""))) == ORIGIN]
            entry = entries[0] if entries else None
        if not isinstance(entry, dict) or "next_event" not in entry:
            if "no next_event" not in self.cli_anomalies:
                self.cli_anomalies.append("no next_event")
                self.note(t, "note: `signet --json sign` gives no next_event; "
                          "stepping by the re-sign interval only")
            return None
        value = entry["next_event"]
        if value is None:
            return None
        self.next_event_count += 1
        try:
            return ds.parse_time(value)
        except ValueError:
            raise CliError([self.signet.binary, "--json", "sign", ORIGIN], t,
                           "next_event %r is not RFC 3339" % (value,))

    def record(self, t, rrsets):
        """New versions of the RRsets of interest, and the signature
        checks that need only one version. Returns whether the zone was
        published without DNSSEC (after `zone unsign`)."""
        keys = ds.dnskeys_of(rrsets, ORIGIN)
        dnskey_rrset = rrsets.get((ORIGIN, "DNSKEY"))
        cds = rrsets.get((ORIGIN, "CDS"))
        self.last_cds = None if cds is None else {
            (int(r[0]), int(r[1]), int(r[2]), "".join(r[3:]).upper()) for r in cds.rdatas}
        if not keys and self.unsign_at is not None:
            self.record_unsigned(t, rrsets)
            return True
        if not keys:
            self.fail(t, "the signed zone has no DNSKEY RRset")
            return False
        if self.insecure_at is not None:
            self.fail(t, "the zone is signed again after it was published without DNSSEC "
                      "(from %s)" % ds.rfc3339(self.insecure_at))
        for k in keys:
            ident = k.ident()
            if ident not in self.first_seen:
                self.first_seen[ident] = t
                self.keys[ident] = k
                self.note(t, "new %s %d (algorithm %d) published"
                          % (self.role_of(k).upper(), k.tag, k.algorithm))
            self.last_seen[ident] = t
        now_published = {k.ident() for k in keys}
        for k in self.last_dnskeys or []:
            if k.ident() in now_published:
                continue
            self.note(t, "%s %d (algorithm %d) withdrawn"
                      % (self.role_of(k).upper(), k.tag, k.algorithm))
        self.last_dnskeys = keys
        content = ds.DnskeySet(keys, dnskey_rrset.sigs)
        old = self.dnskey.publish(t, content, dnskey_rrset.ttl, content.describe())
        self.check_signature_times(t, "DNSKEY", dnskey_rrset.sigs, old)
        slots = {"SOA": (ORIGIN, "SOA"), "NS": (ORIGIN, "NS"),
                 "www A": ("www." + ORIGIN, "A")}
        for owner_type, rrset in rrsets.items():
            if owner_type[1] in ("NSEC", "NSEC3") and \
                    any("SOA" in [f.upper() for f in r] for r in rrset.rdatas):
                slots["apex %s" % owner_type[1]] = owner_type
        for label, key in slots.items():
            rrset = rrsets.get(key)
            history = self.data.setdefault(
                label, ds.History(label + " RRset", self.dnskey.lag))
            if rrset is None:
                if label.startswith("apex NSEC"):
                    history.withdraw(t)
                    continue
                self.fail(t, "the signed zone lacks %s %s" % key)
                continue
            content = ds.SignedSet([[rrset.owner] + r for r in rrset.rdatas], rrset.sigs)
            old = history.publish(t, content, rrset.ttl, content.describe())
            self.check_signature_times(t, label, rrset.sigs, old)
        return False

    def record_unsigned(self, t, rrsets):
        """The zone as `zone unsign` leaves it: no DNSSEC record at all.
        The DNSKEY RRset becomes a version without keys (what a resolver
        that asks now caches), the data RRsets versions without
        signatures: check_chains then fails wherever a DS set may still
        be cached, which is the bogus window going insecure must not have."""
        if self.insecure_at is None:
            self.insecure_at = t
            self.note(t, "the zone is published without DNSSEC")
        left = sorted({"%s %s" % (key[0], "RRSIG" if rrset.sigs and key[1] not in DNSSEC_TYPES
                                  else key[1])
                       for key, rrset in rrsets.items()
                       if key[1] in DNSSEC_TYPES or rrset.sigs})
        if left:
            self.fail(t, "the unsigned zone still has DNSSEC records: %s" % ", ".join(left))
        if self.parent.records:
            self.fail(t, "the zone is published without DNSSEC while the parent publishes "
                      "DS %s: bogus" % " ".join(str(r.tag) for r in self.parent.records.values()))
        for k in self.last_dnskeys or []:
            self.note(t, "%s %d (algorithm %d) withdrawn"
                      % (self.role_of(k).upper(), k.tag, k.algorithm))
        self.last_dnskeys = []
        ttl = self.dnskey.current.ttl if self.dnskey.current else 3600
        content = ds.DnskeySet([], [])
        old = self.dnskey.publish(t, content, ttl, "no DNSKEY RRset (unsigned)")
        self.check_signature_times(t, "DNSKEY", None, old)
        slots = {"SOA": (ORIGIN, "SOA"), "NS": (ORIGIN, "NS"), "www A": ("www." + ORIGIN, "A")}
        for label, history in self.data.items():
            if label.startswith("apex NSEC"):
                old = history.current
                history.withdraw(t)
                self.check_signature_times(t, label, None, old if old and old.replaced == t
                                           else None)
        for label, key in slots.items():
            rrset = rrsets.get(key)
            if rrset is None:
                self.fail(t, "the unsigned zone lacks %s %s" % key)
                continue
            history = self.data.setdefault(label, ds.History(label + " RRset", self.dnskey.lag))
            content = ds.SignedSet([[rrset.owner] + r for r in rrset.rdatas], [])
            old = history.publish(t, content, rrset.ttl, "unsigned")
            self.check_signature_times(t, label, None, old)

    def check_signature_times(self, t, label, sigs, replaced):
        """`sigs` None: an unsigned RRset, which needs none."""
        if sigs is not None and not sigs:
            self.fail(t, "%s RRset has no RRSIG" % label)
        for s in sigs or []:
            if not s.inception <= t <= s.expiration:
                self.fail(t, "%s: RRSIG by %d is published outside its validity "
                          "(%s .. %s)" % (label, s.tag, ds.rfc3339(s.inception),
                                         ds.rfc3339(s.expiration)))
        if replaced is not None:
            # The version just replaced may be served until t + lag.
            until = t + replaced.lag
            for tag, alg, inception, expiration in replaced.content.sigs:
                if expiration < until:
                    self.fail(t, "%s: an RRSIG by %d expired at %s while "
                              "secondaries may still serve it (until %s): "
                              "re-signed too late" % (label, tag, ds.rfc3339(expiration),
                                                     ds.rfc3339(until)))

    def ds_entries(self, t):
        """`signet ds --json` at t: [(entry, Ds, action, tag)]."""
        records = self.signet.run(t, ["ds", ORIGIN], json_output=True)
        if not isinstance(records, list):
            raise CliError([self.signet.binary, "--json", "ds", ORIGIN], t,
                           "`ds --json` is not a JSON array", json.dumps(records))
        out = []
        for entry in records:
            try:
                record, _ = ds.parse_ds_line(entry["ds"])
                out.append((entry, record, entry["action"], int(entry["key_tag"])))
            except (KeyError, ValueError, TypeError, IndexError) as e:
                raise CliError([self.signet.binary, "--json", "ds", ORIGIN], t,
                               "`ds --json` entry without a usable key_tag, "
                               "action or ds (%s)" % e, json.dumps(entry))
        return out

    def current_asks(self, t):
        """What `signet ds` asks of the parent now: {Ds.key(): action}."""
        return {record.key(): action for _, record, action, _ in self.ds_entries(t)}

    def todo_of(self, result):
        entries = result if isinstance(result, list) else [result]
        for e in entries:
            if isinstance(e, dict) and ds.canonical_name(str(e.get("zone", ""))) == ORIGIN:
                return [str(line) for line in e.get("todo") or []]
        return []

    def note_orphans(self, t):
        """A DS that a resolver may hold beside a DNSKEY RRset without its
        key is no failure while another DS of its algorithm chains (the
        checks above decide that): the enforcer withdraws a KSK's DNSKEY
        once its successor's DS is in every cache, and keeps the key
        itself until its DS has left every cache. Counted, and the first
        noted, so a change in that behaviour shows."""
        found = ds.orphan_ds(t, self.parent.history, self.dnskey)
        if not found:
            return
        self.orphans += 1
        if self.orphans == 1:
            record, d, k = found[0]
            self.note(t, "note: a cached DS outlives its DNSKEY (another DS of its algorithm "
                      "chains): DS %d in %s v%d, DNSKEY RRset v%d"
                      % (record.tag, d.label, d.number, k.number))

    def talk_to_parent(self, t):
        records = [entry for entry, _, _, _ in self.ds_entries(t)]
        listed = set()
        cds_parent = self.parent.acts_on_cds
        for entry in records:
            record, _ = ds.parse_ds_line(entry["ds"])
            action = entry["action"]
            tag = int(entry["key_tag"])
            if record.tag != tag or ("algorithm" in entry
                                     and int(entry["algorithm"]) != record.algorithm):
                self.fail(t, "`signet ds --json`: key_tag/algorithm %s/%s do not "
                          "match the DS record %r" % (tag, entry.get("algorithm"),
                                                      entry["ds"]))
            key = record.key()
            listed.add(key)
            at_parent = key in self.parent.records
            confirmed = self.parent.confirmed.get(key, (None, None))
            if self.unsign_at is not None and action != "remove":
                self.fail(t, "the zone is going insecure but `signet ds` says %s for DS %d"
                          % (action, tag))
            if action == "add":
                if confirmed[0] == "ds-seen" and t - confirmed[1] > DAY:
                    self.fail(t, "`signet ds` still says add DS %d a day after "
                              "`key ds-seen` (%s)" % (tag, ds.rfc3339(confirmed[1])))
                if cds_parent or (not at_parent and not self.hooks):
                    self.parent.request(t, "add", record, tag)
            elif action == "pending":
                # For the parent later, once the key is known everywhere. A
                # parent that bootstraps from CDS (RFC 8078 §3) may have
                # taken it already: the zone shows its KSK in CDS from the
                # first signing on.
                if at_parent and not cds_parent:
                    self.fail(t, "`signet ds` says DS %d is not for the parent yet "
                              "(pending), but the parent already publishes it" % tag)
            elif action == "keep":
                if not at_parent:
                    self.fail(t, "`signet ds` says the parent holds (keep) DS %d, "
                              "which the parent never published or has withdrawn"
                              % tag)
            elif action == "remove":
                if confirmed[0] == "ds-gone" and t - confirmed[1] > DAY:
                    self.fail(t, "`signet ds` still says remove DS %d a day after "
                              "`key ds-gone` (%s)" % (tag, ds.rfc3339(confirmed[1])))
                if cds_parent:
                    self.parent.request(t, "remove", record, tag)
                elif self.hooks:
                    pass  # the retract command hands it to the parent
                elif at_parent:
                    self.parent.request(t, "remove", record, tag)
                elif confirmed[0] != "ds-gone" and key not in self.parent.asked:
                    # Never sent to the parent: the operator checks that
                    # the parent does not have it and says so.
                    self.parent.asked[key] = ("remove", t)
                    self.parent.operator.append([t + self.gone_delay, "ds-gone", tag,
                                                 record, None])
            else:
                self.fail(t, "`signet ds --json`: unknown action %r" % action)
        # DESIGN.md: CDS shows the DS set the parent should hold now. Noted,
        # not failed: whether keys still pending for the parent belong in
        # it is for the enforcer to define.
        wanted = {ds.parse_ds_line(e["ds"])[0].key() for e in records
                  if e.get("action") in ("add", "keep")}
        if self.policy.get("cds") and self.last_cds is not None and wanted \
                and self.last_cds != wanted:
            self.cds_mismatches += 1
            if self.cds_mismatches == 1:
                self.note(t, "note: the CDS RRset (%s) differs from the DS set `signet ds` "
                          "wants at the parent (%s)"
                          % (" ".join(str(c[0]) for c in sorted(self.last_cds)),
                             " ".join(str(w[0]) for w in sorted(wanted))))
        for key, record in self.parent.records.items():
            asked = self.parent.asked.get(key, (None,))[0]
            if key not in listed and asked != "remove":
                self.fail(t, "the parent publishes DS %d but `signet ds` no longer "
                          "lists it (neither keep nor remove)" % record.tag)
        # Going insecure, the operator is told what is left to do: every
        # DS the parent still publishes is named in the signing's to-do.
        if self.unsign_at is not None and self.insecure_at is None:
            for record in self.parent.records.values():
                if not any(str(record.tag) in line for line in self.last_todo):
                    self.fail(t, "going insecure: the parent still publishes DS %d, but "
                              "`signet sign` names nothing to do for it (to do: %s)"
                              % (record.tag, " | ".join(self.last_todo) or "nothing"))

    def finish(self, end):
        """Checks over the whole run."""
        self.check_key_destruction(end)
        if self.orphans:
            self.note(end, "note: at %d signings a cached DS outlived its DNSKEY" % self.orphans)
        if getattr(self.parent, "never_gone", None):
            self.note(end, "note: the operator never confirmed the removal of DS %s"
                      % " ".join(map(str, self.parent.never_gone)))
        if self.cds_mismatches:
            self.note(end, "note: the CDS RRset differed from `signet ds` add+keep at %d "
                      "signings" % self.cds_mismatches)
        if self.zero_progress:
            self.note(end, "note: next_event was not in the future %d times"
                      % self.zero_progress)
        for change in self.changes:
            for problem in change.check(self):
                self.fail(end, problem)
        if self.expect:
            for problem in self.expect(self):
                self.fail(end, problem)

    def key_list(self, t):
        keys = self.signet.run(t, ["key", "list", ORIGIN], json_output=True)
        if not isinstance(keys, list):
            raise CliError([self.signet.binary, "--json", "key", "list", ORIGIN], t,
                           "`key list --json` is not a JSON array", json.dumps(keys))
        return keys

    def check_key_destruction(self, end):
        """No KSK or CSK is destroyed while a DS for it may be in a cache:
        the parent still publishes it, or withdrew it less than its
        propagation delay plus the DS TTL ago. Its DNSKEY may leave before
        (another DS of its algorithm then chains), but the key is what the
        zone would need back if that other chain failed, and a key gone
        from the store is one `signet ds` no longer mentions."""
        listed = [k for k in self.key_list(end) if k.get("role") in ("ksk", "csk")]
        tags = [int(k["key_tag"]) for k in listed]
        for k in listed:
            tag = int(k["key_tag"])
            if k.get("removed") is None or tags.count(tag) > 1:
                continue
            removed = ds.parse_time(k["removed"])
            for key in self.parent.held:
                if key[0] != tag:
                    continue
                gone = self.parent.gone_from_caches(key)
                if gone is None or removed < gone:
                    self.fail(end, "%s %d was destroyed at %s while a DS for it %s"
                              % (k["role"].upper(), tag, ds.rfc3339(removed),
                                 "is still at the parent" if gone is None else
                                 "may be cached until %s" % ds.rfc3339(gone)))

    # -- what the run saw -------------------------------------------------
    def keys_by_role(self):
        out = {}
        for ident, key in self.keys.items():
            out.setdefault(self.role_of(key), []).append(key)
        return out

    def summary(self):
        roles = self.keys_by_role()
        counts = ", ".join("%d %s" % (len(v), k.upper())
                           for k, v in sorted(roles.items()))
        algs = sorted({k.algorithm for k in self.keys.values()})
        return ("%s: %d days, %d signings, %d signet calls (%.0f s), "
                "%d dnssec-verify, keys: %s (algorithms %s), %d DNSKEY RRset "
                "versions, %d parent DS set versions, %.0f s"
                % (self.name, self.days, self.steps, self.signet.calls,
                   self.signet.seconds, self.verifier.calls, counts or "none",
                   "/".join(map(str, algs)), self.dnskey.count,
                   self.parent.history.count if self.parent else 0,
                   self.elapsed))


def check_algorithms(now, ds_history, dnskey_history, data_histories):
    """The strict-algorithm check (RFC 4035 §2.2, RFC 6840 §5.11, RFC 6781
    §4.1.4; what Unbound does with harden-algo-downgrade): for every
    combination a resolver may hold at `now`, each algorithm of the cached
    DS set has a DS matching a key of the cached DNSKEY RRset that signs
    it, and each algorithm of the cached DNSKEY RRset signs the DNSKEY RRset
    and every cached RRset with a key of that RRset; all of it only while
    some resolver may hold a DS. Returns the failures as text, one per
    kind of combination."""
    failures = []
    dnskey_versions = dnskey_history.cached(now)
    ds_versions = ds_history.cached(now)
    if not any(d.content.records for d in ds_versions):
        # Every resolver finds the delegation insecure and validates
        # nothing (before the first DS, or once gone insecure).
        return failures
    for d in ds_versions:
        records = d.content.records
        for k in dnskey_versions:
            trusted = ds.trusted_keys(d.content, k.content)
            for alg in sorted({r.algorithm for r in records}):
                if not any(key.algorithm == alg for key in trusted):
                    failures.append(
                        "strict algorithms: the DS set lists algorithm %d but no DS of it "
                        "matches a key that signs the DNSKEY RRset\n    %s\n    %s"
                        % (alg, d.describe(), k.describe()))
    data = [r for history in data_histories for r in history.cached(now)]
    for k in dnskey_versions:
        keys = {(key.tag, key.algorithm) for key in k.content.keys if not key.revoked}
        for alg in sorted({a for _, a in keys}):
            if not any(a == alg for _, a in keys & k.content.signers):
                failures.append("strict algorithms: the DNSKEY RRset is not signed with its "
                                "algorithm %d\n    %s" % (alg, k.describe()))
            for r in data:
                if not any(a == alg for _, a in keys & r.content.signers):
                    failures.append(
                        "strict algorithms: the DNSKEY RRset has algorithm %d, a cached "
                        "RRset has no signature of it\n    %s\n    %s"
                        % (alg, k.describe(), r.describe()))
    return failures


# ---------------------------------------------------------------------------
# Expectations

def rollover_count(role, lifetime, slack):
    """A check that a role was rolled about as often as its lifetime says:
    between floor(days / (lifetime + slack)) + 1 and ceil(days / lifetime)
    + 2 keys (the first, one per lifetime, and a successor published
    early). `slack` is what a rollover may add to a key's life (the
    rollover itself, late confirmations)."""
    def check(sim):
        keys = sim.keys_by_role().get(role, [])
        total = sim.days * DAY
        low = total // (lifetime + slack) + 1
        high = -(-total // lifetime) + 2
        if not low <= len(keys) <= high:
            return ["%d %s keys over %d days; a %s lifetime implies %d..%d (tags %s)"
                    % (len(keys), role.upper(), sim.days, ds.span(lifetime), low, high,
                       " ".join(str(k.tag) for k in keys))]
        return []
    return check


def parent_matches_zone(sim):
    """At the end the parent's DS set names keys the zone publishes, and
    at least one of them signs the DNSKEY RRset."""
    keys = sim.last_dnskeys or []
    records = list(sim.parent.records.values())
    if not records:
        return ["the parent holds no DS at the end: the zone never became secure"]
    matched = [r for r in records if any(r.matches(k) for k in keys)]
    if not matched:
        return ["no DS at the parent matches a published DNSKEY at the end"]
    return []


def went_insecure(sim):
    """After `zone unsign`: the zone is published without DNSSEC (each
    such signing was checked for leftover records), at the first signing
    once the last DS removal was confirmed and the DS TTL plus the
    parent's propagation delay have passed (or the re-sign step after);
    the parent holds no DS; every key is destroyed."""
    problems = []
    if sim.unsign_at is None:
        return ["`signet zone unsign` was never run"]
    if sim.insecure_at is None:
        return ["the zone was never published without DNSSEC after `signet zone unsign` at %s"
                % ds.rfc3339(sim.unsign_at)]
    if sim.parent.records:
        problems.append("the parent still publishes DS %s at the end"
                        % " ".join(str(r.tag) for r in sim.parent.records.values()))
    gone = [when for action, when in sim.parent.confirmed.values() if action == "ds-gone"
            and when >= sim.unsign_at]
    if gone:
        ready = max(gone) + sim.parent.ttl + sim.parent.history.lag
        if sim.insecure_at > ready + (sim.unsign_step or sim.step):
            problems.append("published without DNSSEC only at %s, though ready from %s"
                            % (ds.rfc3339(sim.insecure_at), ds.rfc3339(ready)))
    alive = [k for k in sim.key_list(None) if k.get("removed") is None]
    if alive:
        problems.append("keys not destroyed after going insecure: %s" % ", ".join(
            "%s %s" % (k.get("role"), k.get("key_tag")) for k in alive))
    return problems


def algorithm_rolled(old, new):
    def check(sim):
        problems = []
        algs_end = {k.algorithm for k in sim.last_dnskeys or []}
        if algs_end != {new}:
            problems.append("at the end the zone's DNSKEY algorithms are %s, not {%d}"
                            % (sorted(algs_end), new))
        parent_algs = {r.algorithm for r in sim.parent.records.values()}
        if parent_algs != {new}:
            problems.append("at the end the parent's DS algorithms are %s, not {%d}"
                            % (sorted(parent_algs), new))
        if old not in {k.algorithm for k in sim.keys.values()}:
            problems.append("algorithm %d was never used" % old)
        return problems
    return check


def all_of(*checks):
    def check(sim):
        out = []
        for c in checks:
            out += c(sim)
        return out
    return check


# ---------------------------------------------------------------------------
# Scenarios

# Signatures: valid 21 days, refreshed with 7 left; the simulation re-signs
# at least every (7d - propagation) * 3/4, so none can expire.
SIGNATURES = {
    "signature-validity": "21d",
    "signature-refresh": "7d",
    "signature-jitter": "12h",
    "signature-inception-offset": "1h",
    "signature-resign-interval": "2h",
}
TIMING = {
    "dnskey-ttl": "1h",
    "max-zone-ttl": "1d",
    "zone-propagation-delay": "5m",
    "parent-ds-ttl": "1d",
    "parent-propagation-delay": "1h",
    "parent-registration-delay": "1d",
    "publish-safety": "1h",
    "retire-safety": "1h",
}


def policy(**kw):
    p = {"algorithm": "ecdsap256sha256", "keys": "ksk+zsk", "denial": "nsec3",
         "serial": "unixtime", "cds": True}
    p.update(TIMING)
    p.update(SIGNATURES)
    for key, value in kw.items():
        p[key.replace("_", "-")] = value
    return p


def ksk_slack(p, extra=0):
    return (dur(p["zone-propagation-delay"]) + dur(p["dnskey-ttl"])
            + dur(p["publish-safety"]) + dur(p["parent-registration-delay"])
            + dur(p["parent-propagation-delay"]) + dur(p["parent-ds-ttl"])
            + dur(p["retire-safety"]) + extra + DAY)


def zsk_slack(p):
    return (2 * dur(p["zone-propagation-delay"]) + dur(p["dnskey-ttl"])
            + dur(p["publish-safety"]) + dur(p["max-zone-ttl"])
            + dur(p["retire-safety"]) + DAY)


def scenarios(days, strict=True, quick=False):
    """The fixed scenarios, over `days` simulated days each, or fewer
    where a scenario says so: in the quick run, as many as its rollovers
    need; going insecure needs weeks, not years. Each is (name,
    description, keyword arguments of Simulation)."""
    out = []

    full_days = days

    def length(quick_days, full=None):
        return min(full_days, quick_days) if quick else min(full_days, full or full_days)

    # Its first KSK rolls by lifetime (about day 89, done by day 92)
    # before the one by hand: at two fifths of the run, or on day 100 of a
    # quick run of 130 days.
    days = length(130)
    p = policy(zsk_lifetime="30d", ksk_lifetime="90d")
    manual = START + max(days * 2 // 5, min(100, days - 30)) * DAY + 7 * HOUR
    emergency = START + days * 13 // 20 * DAY + 13 * HOUR
    out.append(("zsk30-ksk90", "ZSK 30d / KSK 90d, ECDSA P-256, prompt parent and operator; "
                "a KSK rollover by hand on day %d, an emergency ZSK rollover on day %d"
                % ((manual - START) // DAY, (emergency - START) // DAY),
                dict(policy=p, parent_delay=HOUR, seen_delay=30 * 60, gone_delay=30 * 60,
                     changes=[At(manual, "signet key rollover --role ksk", rollover="ksk"),
                              At(emergency, "signet key rollover --role zsk --emergency",
                                 rollover="zsk", emergency=True)],
                     expect=all_of(rollover_count("zsk", 30 * DAY, zsk_slack(p)),
                                   rollover_count("ksk", 90 * DAY, ksk_slack(p, 2 * HOUR)),
                                   parent_matches_zone),
                     days=days)))

    # A rollover by lifetime (about day 59), the emergency one halfway
    # after it, and the emergency key's successor by lifetime.
    days = length(130)
    p = policy(keys="csk", csk_lifetime="60d", ksk_lifetime="unlimited",
               zsk_lifetime="unlimited")
    emergency = START + days // 2 * DAY + 5 * HOUR
    out.append(("csk60", "one combined signing key, 60d lifetime; an emergency rollover on day %d"
                % ((emergency - START) // DAY),
                dict(policy=p, parent_delay=2 * HOUR, seen_delay=HOUR, gone_delay=HOUR,
                     changes=[At(emergency, "signet key rollover --role csk --emergency",
                                 rollover="csk", emergency=True)],
                     expect=all_of(rollover_count("csk", 60 * DAY, ksk_slack(p, 4 * HOUR)
                                                  + dur(p["max-zone-ttl"])),
                                   parent_matches_zone),
                     days=days)))

    # The algorithm rollover takes about a week from the switch.
    days = length(60)
    p = policy(algorithm="rsasha256", zsk_lifetime="60d", ksk_lifetime="unlimited")
    switch = START + min(days // 3, 400) * DAY
    out.append(("algorithm-8-to-13", "RSASHA256 -> ECDSAP256SHA256 by a policy edit on day %d"
                % ((switch - START) // DAY),
                dict(policy=p, parent_delay=HOUR, seen_delay=HOUR, gone_delay=HOUR,
                     changes=[At(switch, "algorithm rsasha256 -> ecdsap256sha256",
                                 policy={"algorithm": "ecdsap256sha256"})],
                     expect=all_of(algorithm_rolled(8, 13), parent_matches_zone),
                     strict_algorithms=strict, days=days)))

    # Two KSK rollovers (90d lifetime): 240 days even when quick.
    days = length(240)
    p = policy(zsk_lifetime="30d", ksk_lifetime="90d", dnskey_ttl="1h", max_zone_ttl="1h")
    up1 = DuringRollover("zsk", "TTLs up in a ZSK rollover: dnskey-ttl and max-zone-ttl 1h -> 2d",
                         policy={"dnskey-ttl": "2d", "max-zone-ttl": "2d"}, zone_ttl=2 * DAY)
    down1 = DuringRollover("zsk", "TTLs down in the next ZSK rollover: 2d -> 1h", after=up1,
                           policy={"dnskey-ttl": "1h", "max-zone-ttl": "1h"}, zone_ttl=HOUR)
    up2 = DuringRollover("ksk", "TTLs up in a KSK rollover: 1h -> 2d", after=down1,
                         policy={"dnskey-ttl": "2d", "max-zone-ttl": "2d"}, zone_ttl=2 * DAY)
    down2 = DuringRollover("ksk", "TTLs down in the next KSK rollover: 2d -> 1h", after=up2,
                           policy={"dnskey-ttl": "1h", "max-zone-ttl": "1h"}, zone_ttl=HOUR)

    def ttl_changes_happened(sim):
        return ["the TTL change '%s' never happened" % c.note
                for c in (up1, down1, up2, down2) if c.done_at is None]
    out.append(("ttl-change-mid-rollover",
                "dnskey-ttl and max-zone-ttl raised and lowered in the middle of ZSK and KSK rollovers",
                dict(policy=p, zone_ttl=HOUR, parent_delay=HOUR, seen_delay=HOUR, gone_delay=HOUR,
                     changes=[up1, down1, up2, down2],
                     expect=all_of(ttl_changes_happened, parent_matches_zone,
                                   rollover_count("ksk", 90 * DAY, ksk_slack(
                                       policy(dnskey_ttl="2d", max_zone_ttl="2d"), 2 * HOUR)),
                                   rollover_count("zsk", 30 * DAY, zsk_slack(
                                       policy(dnskey_ttl="2d", max_zone_ttl="2d")))),
                     days=days)))

    # One KSK rollover (60d lifetime, about day 59) with its late or slow
    # confirmations, and three ZSK rollovers.
    days = length(100)
    p = policy(zsk_lifetime="30d", ksk_lifetime="60d")
    out.append(("late-operator", "the operator confirms DS changes days late (ds-seen +4d, ds-gone +6d)",
                dict(policy=p, parent_delay=HOUR, seen_delay=4 * DAY, gone_delay=6 * DAY,
                     expect=all_of(rollover_count("ksk", 60 * DAY, ksk_slack(p, 10 * DAY)),
                                   rollover_count("zsk", 30 * DAY, zsk_slack(p)),
                                   parent_matches_zone),
                     days=days)))

    p = policy(zsk_lifetime="30d", ksk_lifetime="60d", parent_registration_delay="1d")
    out.append(("slow-parent", "the parent takes a day to act on every DS change",
                dict(policy=p, parent_delay=DAY, seen_delay=HOUR, gone_delay=HOUR,
                     expect=all_of(rollover_count("ksk", 60 * DAY, ksk_slack(p, 2 * DAY)),
                                   rollover_count("zsk", 30 * DAY, zsk_slack(p)),
                                   parent_matches_zone),
                     days=days)))

    # A parent that reads CDS (RFC 7344/8078): it bootstraps the first DS
    # from the CDS the zone shows from its first signing, and follows
    # every later CDS change; the operator confirms what `signet ds` asks
    # once the parent shows it. KSK 30d: a rollover by lifetime about day
    # 29, an emergency one at four fifths of the run (day 40 when quick).
    days = length(50, 180)
    p = policy(zsk_lifetime="60d", ksk_lifetime="30d")
    emergency = START + days * 4 // 5 * DAY + 3 * HOUR
    out.append(("cds-withdrawal",
                "KSK 30d, a parent that sets its DS set from the zone's CDS 2h after it changes; "
                "an emergency KSK rollover on day %d" % ((emergency - START) // DAY),
                dict(policy=p, parent="cds", parent_delay=2 * HOUR, seen_delay=HOUR,
                     gone_delay=HOUR, strict_algorithms=True,
                     changes=[At(emergency, "signet key rollover --role ksk --emergency",
                                 rollover="ksk", emergency=True)],
                     expect=all_of(rollover_count("ksk", 30 * DAY, ksk_slack(p, 3 * HOUR)),
                                   parent_matches_zone),
                     days=days)))

    # The same parent, and an operator who never runs ds-gone: the
    # enforcer cannot know when the parent dropped a DS (RFC 7344 §4.1:
    # no CDS is no change, and a parent may be slow), so a retired KSK is
    # kept, never destroyed; its DNSKEY may leave once its successor's DS
    # is in every cache. The emergency rollover comes in the middle of a
    # KSK rollover, while the new DS is at the parent and the old one still
    # in every DS set (about day 30).
    days = length(45, 180)
    mid = DuringRollover("ksk", "signet key rollover --role ksk --emergency, in a KSK rollover",
                         delay=DAY + 6 * HOUR, rollover="ksk", emergency=True)
    out.append(("cds-no-ds-gone",
                "KSK 30d, a parent that follows the zone's CDS, an operator who never runs "
                "ds-gone; an emergency KSK rollover in the middle of a KSK rollover",
                dict(policy=p, parent="cds", parent_delay=3 * HOUR, seen_delay=HOUR,
                     gone_delay=HOUR, confirm_gone=False, strict_algorithms=True,
                     changes=[mid],
                     expect=all_of(rollover_count("ksk", 30 * DAY, ksk_slack(p, 3 * HOUR)),
                                   parent_matches_zone),
                     days=days)))

    # A zone served unsigned until signet signs it, and a parent that
    # bootstraps its DS from CDS soon (RFC 8078 §3.3, "accept after
    # delay", here 2 hours). The zone shows its KSK in CDS only once its
    # signatures are in every cache, as `signet ds` offers the DS; a CDS
    # from the first signing on let this parent make the zone bogus for
    # the unsigned answers' TTL (1d here).
    days = length(36, 120)
    p = policy(zsk_lifetime="60d", ksk_lifetime="30d")
    out.append(("cds-bootstrap",
                "a zone served unsigned before, a parent that bootstraps from CDS after 2 hours; "
                "KSK 30d",
                dict(policy=p, parent="cds", parent_delay=2 * HOUR, seen_delay=HOUR,
                     gone_delay=HOUR, strict_algorithms=True, served_unsigned=True,
                     expect=all_of(rollover_count("ksk", 30 * DAY, ksk_slack(p, 2 * HOUR)),
                                   parent_matches_zone),
                     days=days)))

    # Going insecure (`signet zone unsign`) from a steady state, with the
    # parent driven by ds-submit-command / ds-retract-command. While it
    # goes insecure the zone is signed twice a day (a cron job), so the
    # unsigned zone follows soon after the last DS has left every cache.
    # The first DS is in every cache by day 3.
    days = length(9, 40)
    p = policy(zsk_lifetime="30d", ksk_lifetime="90d")
    unsign = START + (4 if quick else 10) * DAY + 5 * HOUR

    def going_insecure(name, description, changes, **kw):
        """A scenario that ends in `signet zone unsign`: signed twice a day
        (a cron job) while it goes insecure, checked by went_insecure."""
        out.append((name, description,
                    dict(policy=p, seen_delay=HOUR, gone_delay=HOUR, strict_algorithms=True,
                         unsign_step=12 * HOUR, changes=changes, expect=went_insecure, days=days, **kw)))

    day = (unsign - START) // DAY
    going_insecure("unsign", "signet zone unsign on day %d; the parent is driven by the DS hooks" % day,
                   [At(unsign, "signet zone unsign", unsign=True)], parent="hooks", parent_delay=2 * HOUR)
    # The same with a parent that acts on CDS DELETE (RFC 8078 §4).
    going_insecure("unsign-cds", "signet zone unsign on day %d; the parent removes the DS on CDS DELETE" % day,
                   [At(unsign, "signet zone unsign", unsign=True)], parent="cds", parent_delay=3 * HOUR)

    # Unsigned in the middle of a KSK rollover: the new KSK's DS has been
    # asked for and the parent (6h to act) has yet to publish it; it is
    # added, then removed with the old one.
    roll = At(START + (3 if quick else 8) * DAY + 3 * HOUR, "signet key rollover --role ksk",
              rollover="ksk")
    going_insecure("unsign-mid-ksk-rollover",
                   "signet zone unsign while the parent is adding the DS of a new KSK; the operator "
                   "follows `signet ds`",
                   [roll, When(ds_add_in_flight, "signet zone unsign, a DS add in flight", delay=HOUR, unsign=True)],
                   parent_delay=6 * HOUR)
    return out


def random_policy(rng):
    """A policy that signet's checks accept: lifetimes are at least the
    rollover time the policy implies (enforcer/policy.cc) plus a margin."""
    def pick(*choices):
        return rng.choice(choices)
    algorithm = pick("ecdsap256sha256", "ecdsap256sha256", "ed25519", "rsasha256")
    layout = pick("ksk+zsk", "ksk+zsk", "csk")
    p = {
        "algorithm": algorithm,
        "keys": layout,
        "denial": pick("nsec", "nsec3"),
        "serial": pick("unixtime", "counter"),
        "cds": pick(True, False),
        "dnskey-ttl": pick(300, 3600, 4 * HOUR, DAY),
        "max-zone-ttl": pick(300, 3600, 6 * HOUR, DAY, 2 * DAY),
        "zone-propagation-delay": pick(0, 300, 1800, 2 * HOUR),
        "parent-ds-ttl": pick(HOUR, 6 * HOUR, DAY, 2 * DAY),
        "parent-propagation-delay": pick(0, 600, HOUR, 6 * HOUR),
        "parent-registration-delay": pick(0, HOUR, DAY, 2 * DAY),
        "publish-safety": pick(0, 600, HOUR, 2 * HOUR),
        "retire-safety": pick(0, 600, HOUR, 2 * HOUR),
    }
    validity = pick(7, 14, 21, 30) * DAY
    refresh = rng.randint(max(2, validity // DAY // 4), validity // DAY // 2) * DAY
    p.update({
        "signature-validity": validity,
        "signature-refresh": refresh,
        "signature-jitter": pick(0, HOUR, 12 * HOUR),
        "signature-inception-offset": pick(0, HOUR),
        "signature-resign-interval": pick(HOUR, 2 * HOUR, 12 * HOUR),
    })
    prp = p["zone-propagation-delay"]
    zsk_roll = 2 * prp + p["dnskey-ttl"] + p["publish-safety"] + p["max-zone-ttl"] + p["retire-safety"]
    ksk_roll = (prp + p["dnskey-ttl"] + p["publish-safety"] + p["parent-registration-delay"]
                + p["parent-propagation-delay"] + p["parent-ds-ttl"] + p["retire-safety"])
    csk_roll = (prp + p["dnskey-ttl"] + p["publish-safety"]
                + max(p["parent-registration-delay"] + p["parent-propagation-delay"]
                      + p["parent-ds-ttl"], prp + p["max-zone-ttl"]) + p["retire-safety"])
    if layout == "csk":
        p["csk-lifetime"] = csk_roll + rng.randint(10, 90) * DAY
        p["ksk-lifetime"] = "unlimited"
        p["zsk-lifetime"] = "unlimited"
    else:
        p["zsk-lifetime"] = zsk_roll + rng.randint(5, 60) * DAY
        p["ksk-lifetime"] = pick("unlimited", ksk_roll + rng.randint(20, 120) * DAY)
        p["csk-lifetime"] = "unlimited"
    for key in ("zsk-lifetime", "ksk-lifetime", "csk-lifetime"):
        if isinstance(p[key], int):
            p[key] = ds.duration_text(p[key])
    return p


def property_cases(seed, runs, days):
    rng = random.Random(seed)
    out = []
    for i in range(runs):
        p = random_policy(rng)
        parent_delay = rng.choice([0, 600, HOUR, 6 * HOUR, DAY, 2 * DAY])
        seen_delay = rng.choice([0, 300, HOUR, DAY, 3 * DAY, 7 * DAY])
        gone_delay = rng.choice([0, 300, HOUR, DAY, 3 * DAY, 7 * DAY])
        changes = []
        if rng.random() < 0.5:
            # A TTL change at a random moment (possibly mid-rollover).
            at = START + rng.randint(days // 4, 3 * days // 4) * DAY + rng.randint(0, DAY)
            ttl = rng.choice([300, HOUR, DAY])
            changes.append(At(at, "dnskey-ttl and max-zone-ttl -> %s" % ds.span(ttl),
                              policy={"dnskey-ttl": ttl, "max-zone-ttl": ttl}, zone_ttl=ttl))
        if rng.random() < 0.5:
            role = "csk" if p["keys"] == "csk" else rng.choice(["ksk", "zsk"])
            at = START + rng.randint(days // 5, 4 * days // 5) * DAY + rng.randint(0, DAY)
            emergency = rng.random() < 0.5
            changes.append(At(at, "%s %s rollover" % ("emergency" if emergency else "manual", role),
                              rollover=role, emergency=emergency))
        note = ("seed %d run %d: %s; parent delay %s, ds-seen after %s, ds-gone after %s; %s"
                % (seed, i, ", ".join("%s=%s" % kv for kv in sorted(p.items())),
                   ds.span(parent_delay), ds.span(seen_delay), ds.span(gone_delay),
                   "; ".join(c.note + " at " + ds.rfc3339(c.at) for c in changes) or "no changes"))
        out.append(("property-%d-%d" % (seed, i), note,
                    dict(policy=p, parent_delay=parent_delay, seen_delay=seen_delay,
                         gone_delay=gone_delay, zone_ttl=p["max-zone-ttl"], changes=changes,
                         expect=parent_matches_zone, days=days)))
    return out


# ---------------------------------------------------------------------------

def all_cases(days, seed, property_runs, property_days, strict=True, quick=False):
    return scenarios(days, strict, quick) + property_cases(seed, property_runs, property_days)


def run_case(name, params, signet, work, shim, verbose):
    """One scenario, in a worker process. The cases hold closures, which
    do not cross process boundaries, so the worker builds them again from
    the same parameters (and seed) and picks its own by name."""
    case = {c[0]: c for c in all_cases(**params)}[name]
    name, description, kw = case
    kw = dict(kw)
    case_days = kw.pop("days", params["days"])
    sim = Simulation(name, signet, work, shim, days=case_days, verbose=verbose,
                     note=description, **kw)
    sim.run()
    return {"name": name, "description": description, "ok": not sim.failures,
            "summary": sim.summary(), "lines": sim.lines, "failures": sim.failures}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("signet")
    parser.add_argument("source_dir")
    parser.add_argument("--quick", action="store_true",
                        help="fewer simulated days (also when the signet path contains 'asan', "
                             "or SIGNET_SIM_QUICK=1)")
    parser.add_argument("--days", type=int, help="simulated days per fixed scenario")
    parser.add_argument("--scenario", action="append",
                        help="run only this scenario (repeatable; 'property' for the random ones)")
    parser.add_argument("--property-runs", type=int)
    parser.add_argument("--property-days", type=int)
    parser.add_argument("--seed", type=int, help="seed of the property runs (default: random)")
    parser.add_argument("--jobs", type=int,
                        default=int(os.environ.get("SIGNET_SIM_JOBS", "0")) or min(2, os.cpu_count() or 1))
    parser.add_argument("--keep", action="store_true", help="keep the state dirs")
    parser.add_argument("--no-strict-algorithms", dest="strict", action="store_false",
                        help="leave out the strict-algorithm check of the algorithm rollover")
    parser.add_argument("--verbose", action="store_true", help="print every scenario's timeline")
    args = parser.parse_args()

    signet = os.path.abspath(args.signet)
    if not (os.path.isfile(signet) and os.access(signet, os.X_OK)):
        parser.error("no signet program at %s" % signet)
    if not shutil.which("dnssec-verify"):
        parser.error("dnssec-verify (BIND, Debian package bind9-utils) is not installed")
    # Under the sanitizers every signet call is several times slower (the
    # full run would take a quarter of an hour there). The quick run keeps
    # every scenario and the same checks at every signing, but simulates at
    # most 240 days instead of a year - each scenario as many as the
    # rollovers it is about need (see scenarios()) - and one property run
    # of 120 days instead of three of a year. Every kind of rollover, the
    # rollovers by hand, each parent conversation, going insecure and all
    # four TTL changes still happen, so the sanitizers see the same code
    # paths; what the quick run does not show is drift over several rollover
    # generations (the 5th KSK, the 13th ZSK), which the full run in the
    # normal build covers. --days sets every fixed scenario's length. Longer
    # runs are soaks, by hand: --days 731 simulates two years (about four
    # minutes on two cores), --days 1096 three.
    quick = args.quick or "asan" in signet or os.environ.get("SIGNET_SIM_QUICK") == "1"
    days = args.days or (240 if quick else 366)
    property_runs = args.property_runs if args.property_runs is not None else (1 if quick else 3)
    property_days = args.property_days or (120 if quick else 365)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2 ** 31)

    params = dict(days=days, seed=seed, property_runs=property_runs,
                  property_days=property_days, strict=args.strict,
                  quick=quick and not args.days)
    cases = all_cases(**params)
    if args.scenario:
        wanted = set(args.scenario)
        cases = [c for c in cases if c[0] in wanted
                 or ("property" in wanted and c[0].startswith("property-"))]
        if not cases:
            parser.error("no scenario named %s" % ", ".join(sorted(wanted)))

    problems = ds.self_test()
    if problems:
        print("the invariant checker itself is wrong:\n  " + "\n  ".join(problems))
        return 1

    work = tempfile.mkdtemp(prefix="rollover-sim-")
    print("rollover simulation: %s, up to %d days per scenario, %d property run(s) of %d days, "
          "property seed %d (repeat with --seed %d), %d job(s)%s"
          % ("quick" if quick else "full", days, property_runs, property_days, seed, seed,
             args.jobs, ", work dir " + work if args.keep else ""))
    sys.stdout.flush()
    started = time.monotonic()
    shim = build_fake_clock(work)
    results = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_case, c[0], params, signet, work, shim, args.verbose)
                   for c in cases]
        for future in futures:
            r = future.result()
            results.append(r)
            print("%s %s" % ("ok  " if r["ok"] else "FAIL", r["summary"]))
            print("     %s" % r["description"])
            for line in r["lines"]:
                if args.verbose or not r["ok"] or "note:" in line:
                    print("     " + line)
            sys.stdout.flush()
    failed = [r for r in results if not r["ok"]]
    print("%d of %d scenarios passed in %.0f s%s" % (
        len(results) - len(failed), len(results), time.monotonic() - started,
        "" if not failed else "; failed: " + ", ".join(r["name"] for r in failed)))
    if failed and any(r["name"].startswith("property-") for r in failed):
        print("repeat the property runs with: %s %s %s --scenario property --seed %d%s"
              % (sys.argv[0], args.signet, args.source_dir, seed,
                 " --quick" if quick else ""))
    if args.keep or failed and os.environ.get("SIGNET_KEEP_WORK"):
        print("state dirs kept in %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
