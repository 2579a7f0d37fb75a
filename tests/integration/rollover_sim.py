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
  4. `dnssec-verify` (BIND) must accept the zone, with its clock set to t;
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

Besides: no signature is served outside its validity period, nor served by
a secondary after it expired; the zone never has zero usable keys (some key
signs the DNSKEY RRset, and once the parent has a DS, a key it points to
does); rollovers really happen (distinct ZSK/KSK/CSK key tags over the run
against what the lifetimes imply; algorithm 8 really gives way to 13, at
the zone and at the parent); a rollover by hand (`key rollover`, also with
--emergency) publishes a new key within two days; the parent's DS set and
what `signet ds` says stay consistent (nothing the parent holds goes
unmentioned, "keep" only for what it holds, "add"/"remove" stop within a
day of ds-seen/ds-gone). Differences between the CDS RRset and the DS set
`signet ds` wants are noted, not failed. The checker first tests itself on
made-up histories with known answers.

Property mode: random policies (algorithm, KSK+ZSK or CSK, lifetimes, TTLs,
delays, signatures, within ranges that pass signet's own policy checks),
random parent and operator delays, and half the time a TTL change and a
rollover by hand (manual or emergency) at a random moment, from a seeded RNG
(the seed is printed; --seed repeats a run), over one simulated year each,
with the same checks.

Quick mode (--quick, SIGNET_SIM_QUICK=1, or a signet path containing
"asan"): 240 days per scenario and one property run of 120 days; see main().
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
        self.secure_since = None
        self.log = []

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
                self.records[record.key()] = record
                self.operator.append([when + self.seen_delay, "ds-seen", tag, record, when])
            else:
                self.records.pop(record.key(), None)
                self.operator.append([when + self.gone_delay, "ds-gone", tag, record, when])
            content = ds.DsSet(self.records.values())
            self.history.publish(when, content, self.ttl, content.describe())
            if self.records and self.secure_since is None:
                self.secure_since = when
            self.log.append("%s parent %s DS %d" % (
                ds.rfc3339(when), "publishes" if kind == "add" else "withdraws", tag))

    def due_confirmations(self, t):
        self.operator.sort(key=lambda e: e[0])
        out = []
        while self.operator and self.operator[0][0] <= t:
            out.append(self.operator.pop(0))
        return out

    def next_time(self):
        times = [e[0] for e in self.queue] + [e[0] for e in self.operator]
        return min(times) if times else None


# ---------------------------------------------------------------------------
# Scenario changes

class Change:
    """Something that happens to a scenario while it runs: a policy edit,
    new TTLs in the zone, a manual rollover. `when` decides; it is asked
    before each signing with the zone as last published."""

    def __init__(self, note, policy=None, zone_ttl=None, rollover=None, emergency=False):
        self.note = note
        self.policy = policy or {}
        self.zone_ttl = zone_ttl
        self.rollover = rollover
        self.emergency = emergency
        self.done_at = None

    def due(self, sim, t):
        raise NotImplementedError

    def next_time(self):
        return None

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

    def due(self, sim, t):
        return self.done_at is None and t >= self.at

    def next_time(self):
        return None if self.done_at is not None else self.at


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
        self.at = None

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

    def due(self, sim, t):
        return self.done_at is None and self.at is not None and t >= self.at

    def next_time(self):
        return None if self.done_at is not None else self.at


# ---------------------------------------------------------------------------
# One simulated zone

class Failure(Exception):
    pass


class Simulation:
    def __init__(self, name, signet_binary, work, shim, policy, days,
                 parent_delay, seen_delay, gone_delay, zone_ttl=None,
                 changes=(), expect=None, step=None, verbose=False,
                 note="", strict_algorithms=False):
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
        self.write_config()
        self.write_zone()
        self.signet.run(START, ["zone", "add", ORIGIN, "--input", self.input,
                                "--output", self.output, "--policy", "sim"])
        self.parent = Parent(START, dur(self.policy.get("parent-ds-ttl", "1d")),
                             dur(self.policy.get("parent-propagation-delay", "1h")),
                             self.parent_delay, self.seen_delay, self.gone_delay)

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
        candidates = [t + self.step]
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
        # 1. The parent acts; the operator confirms what they saw.
        self.parent.advance(t)
        for _, action, tag, record, acted in self.parent.due_confirmations(t):
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
        # 4. What is published now.
        rrsets = ds.read_signed_zone(self.output)
        self.record(t, rrsets)
        problem = self.verifier.verify(ORIGIN, self.output, t,
                                       csk=self.policy.get("keys") == "csk")
        if problem:
            kept = os.path.join(self.dir, "rejected-%d.signed" % t)
            shutil.copyfile(self.output, kept)
            self.fail(t, "dnssec-verify rejects the signed zone (kept as %s):\n    %s"
                      % (kept, problem.replace("\n", "\n    ")))
        self.check_usable_keys(t)
        for change in self.changes:
            change.observe(self, t)
        # 5. The invariant.
        for failure in ds.check_chains(t, self.parent.history, self.dnskey,
                                       list(self.data.values()),
                                       self.parent.secure_since):
            self.fail(t, failure)
        if self.strict_algorithms:
            found = check_algorithms(t, self.parent.history, self.dnskey,
                                     list(self.data.values()))
            self.strict_failures += len(found)
            for failure in found:
                self.fail(t, failure)
        # 6. The conversation with the parent.
        self.talk_to_parent(t)
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
        checks that need only one version."""
        keys = ds.dnskeys_of(rrsets, ORIGIN)
        dnskey_rrset = rrsets.get((ORIGIN, "DNSKEY"))
        cds = rrsets.get((ORIGIN, "CDS"))
        self.last_cds = None if cds is None else {
            (int(r[0]), int(r[1]), int(r[2]), "".join(r[3:]).upper()) for r in cds.rdatas}
        if not keys:
            self.fail(t, "the signed zone has no DNSKEY RRset")
            return
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

    def check_signature_times(self, t, label, sigs, replaced):
        if not sigs:
            self.fail(t, "%s RRset has no RRSIG" % label)
        for s in sigs:
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

    def talk_to_parent(self, t):
        records = self.signet.run(t, ["ds", ORIGIN], json_output=True)
        if not isinstance(records, list):
            raise CliError([self.signet.binary, "--json", "ds", ORIGIN], t,
                           "`ds --json` is not a JSON array", json.dumps(records))
        listed = set()
        for entry in records:
            try:
                record, _ = ds.parse_ds_line(entry["ds"])
                action = entry["action"]
                tag = int(entry["key_tag"])
            except (KeyError, ValueError, TypeError, IndexError) as e:
                raise CliError([self.signet.binary, "--json", "ds", ORIGIN], t,
                               "`ds --json` entry without a usable key_tag, "
                               "action or ds (%s)" % e, json.dumps(entry))
            if record.tag != tag or ("algorithm" in entry
                                     and int(entry["algorithm"]) != record.algorithm):
                self.fail(t, "`signet ds --json`: key_tag/algorithm %s/%s do not "
                          "match the DS record %r" % (tag, entry.get("algorithm"),
                                                      entry["ds"]))
            key = record.key()
            listed.add(key)
            at_parent = key in self.parent.records
            confirmed = self.parent.confirmed.get(key, (None, None))
            if action == "add":
                if confirmed[0] == "ds-seen" and t - confirmed[1] > DAY:
                    self.fail(t, "`signet ds` still says add DS %d a day after "
                              "`key ds-seen` (%s)" % (tag, ds.rfc3339(confirmed[1])))
                if not at_parent:
                    self.parent.request(t, "add", record, tag)
            elif action == "pending":
                # For the parent later, once the key is known everywhere.
                if at_parent:
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
                if at_parent:
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

    def finish(self, end):
        """Checks over the whole run."""
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
    and every cached RRset with a key of that RRset. Returns the failures
    as text, one per kind of combination."""
    failures = []
    dnskey_versions = dnskey_history.cached(now)
    for d in ds_history.cached(now):
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


def scenarios(days, strict=True):
    """The fixed scenarios, over `days` simulated days each. Each is
    (name, description, keyword arguments of Simulation)."""
    out = []

    p = policy(zsk_lifetime="30d", ksk_lifetime="90d")
    manual = START + days * 2 // 5 * DAY + 7 * HOUR
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
                                   parent_matches_zone))))

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
                                   parent_matches_zone))))

    p = policy(algorithm="rsasha256", zsk_lifetime="60d", ksk_lifetime="unlimited")
    switch = START + min(days // 3, 400) * DAY
    out.append(("algorithm-8-to-13", "RSASHA256 -> ECDSAP256SHA256 by a policy edit on day %d"
                % ((switch - START) // DAY),
                dict(policy=p, parent_delay=HOUR, seen_delay=HOUR, gone_delay=HOUR,
                     changes=[At(switch, "algorithm rsasha256 -> ecdsap256sha256",
                                 policy={"algorithm": "ecdsap256sha256"})],
                     expect=all_of(algorithm_rolled(8, 13), parent_matches_zone),
                     strict_algorithms=strict)))

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
                                       policy(dnskey_ttl="2d", max_zone_ttl="2d")))))))

    p = policy(zsk_lifetime="30d", ksk_lifetime="60d")
    out.append(("late-operator", "the operator confirms DS changes days late (ds-seen +4d, ds-gone +6d)",
                dict(policy=p, parent_delay=HOUR, seen_delay=4 * DAY, gone_delay=6 * DAY,
                     expect=all_of(rollover_count("ksk", 60 * DAY, ksk_slack(p, 10 * DAY)),
                                   rollover_count("zsk", 30 * DAY, zsk_slack(p)),
                                   parent_matches_zone))))

    p = policy(zsk_lifetime="30d", ksk_lifetime="60d", parent_registration_delay="1d")
    out.append(("slow-parent", "the parent takes a day to act on every DS change",
                dict(policy=p, parent_delay=DAY, seen_delay=HOUR, gone_delay=HOUR,
                     expect=all_of(rollover_count("ksk", 60 * DAY, ksk_slack(p, 2 * DAY)),
                                   rollover_count("zsk", 30 * DAY, zsk_slack(p)),
                                   parent_matches_zone))))
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

def all_cases(days, seed, property_runs, property_days, strict=True):
    return scenarios(days, strict) + property_cases(seed, property_runs, property_days)


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
    # full run would take half an hour there). The quick run keeps every
    # scenario and the same checks at every signing, but simulates 240 days
    # instead of three years, and one property run of 120 days instead of
    # three of a year. Every kind of rollover, the rollovers by hand, each
    # parent conversation and all four TTL changes still happen within 240
    # days, so the sanitizers see the same code paths; what the quick run
    # does not show is drift over many rollover generations (the 13th KSK,
    # the 37th ZSK), which the full run in the normal build covers.
    quick = args.quick or "asan" in signet or os.environ.get("SIGNET_SIM_QUICK") == "1"
    days = args.days or (240 if quick else 3 * 365 + 1)
    property_runs = args.property_runs if args.property_runs is not None else (1 if quick else 3)
    property_days = args.property_days or (120 if quick else 365)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2 ** 31)

    params = dict(days=days, seed=seed, property_runs=property_runs,
                  property_days=property_days, strict=args.strict)
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
    print("rollover simulation: %s, %d days per scenario, %d property run(s) of %d days, "
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
