"""Small helpers shared by the benchmark programs in tools/bench/.

Python 3 standard library only. Nothing here knows about DNS: it runs a
child process and measures it, describes the machine, formats tables, and
replaces one section of a Markdown file.

    from benchlib import measure, Summary
    m = measure(["kzonecheck", "-o", "example.", "zone"])
    m.wall_s, m.maxrss_bytes, m.exit_code
"""

import datetime
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import threading
import time


class Measurement:
    """One run of one child process."""

    __slots__ = ("argv", "wall_s", "user_s", "sys_s", "maxrss_bytes",
                 "exit_code", "timed_out", "rss_source")

    def __init__(self, argv, wall_s, user_s, sys_s, maxrss_bytes, exit_code,
                 timed_out=False):
        self.argv = argv
        self.wall_s = wall_s
        self.user_s = user_s
        self.sys_s = sys_s
        self.maxrss_bytes = maxrss_bytes
        self.exit_code = exit_code          # negative: killed by that signal
        self.timed_out = timed_out
        self.rss_source = "wait4"

    @property
    def ok(self):
        return self.exit_code == 0 and not self.timed_out

    def __repr__(self):
        return ("Measurement(wall=%.3fs user=%.3fs sys=%.3fs rss=%d exit=%d%s)"
                % (self.wall_s, self.user_s, self.sys_s, self.maxrss_bytes,
                   self.exit_code, " timeout" if self.timed_out else ""))


def _vm_hwm_bytes(pid):
    """VmHWM (peak RSS of the process's current address space) or None."""
    try:
        with open("/proc/%d/status" % pid, "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def measure(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=None, cwd=None, env=None, timeout=None, poll_interval=0.005):
    """Run argv (no shell) and measure it: wall time, and the peak resident
    set size and CPU times of that child alone, from os.wait4's rusage
    (ru_maxrss is in KiB on Linux; returned in bytes). stdin/stdout/stderr are
    as for subprocess.Popen (stdout defaults to /dev/null, stderr inherited).
    With timeout (seconds), the child is killed (SIGKILL) when it runs longer
    and the measurement says timed_out. Raises FileNotFoundError when the
    program does not exist.

    A caveat of ru_maxrss on Linux: a child started by fork/vfork + exec
    keeps, as the floor of its ru_maxrss, the RSS of the address space it
    had before exec, i.e. this (Python) process's, some 15-20 MiB. So the
    child's own VmHWM is also sampled from /proc every poll_interval seconds
    while it runs: when ru_maxrss is above that floor it is exact and used;
    otherwise (a child smaller than this Python process) the sampled VmHWM
    is used, which can miss growth in the last poll_interval before exit.
    rss_source says which ("wait4" or "VmHWM")."""
    timed_out = threading.Event()
    stop = threading.Event()
    hwm = [0]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr,
                            cwd=cwd, env=env)
    # Popen returns once the child has exec'd (or failed to), so every
    # sample below is of the new program, not of the forked copy of us.

    def poll():
        while True:
            v = _vm_hwm_bytes(proc.pid)
            if v is not None and v > hwm[0]:
                hwm[0] = v
            if stop.wait(poll_interval):
                return

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    timer = None
    if timeout is not None:
        def kill():
            timed_out.set()
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
    try:
        # Wait for the exit without reaping, so the pid cannot be reused
        # while the poller still reads /proc/PID; then reap with wait4.
        while True:
            try:
                os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
                break
            except InterruptedError:
                continue
        wall = time.perf_counter() - start
        stop.set()
        poller.join()
        while True:
            try:
                _, status, ru = os.wait4(proc.pid, 0)
                break
            except InterruptedError:
                continue
    finally:
        stop.set()
        if timer is not None:
            timer.cancel()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code                  # reaped here, not by Popen
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rss = ru.ru_maxrss * 1024
    source = "wait4"
    if rss <= floor and hwm[0]:
        rss, source = hwm[0], "VmHWM"
    m = Measurement(list(argv), wall, ru.ru_utime, ru.ru_stime, rss, code,
                    timed_out.is_set())
    m.rss_source = source
    return m


class Summary:
    """Repeated runs of one command: best (minimum) wall time, maximum peak
    RSS, and whether every run succeeded."""

    def __init__(self, name, argv):
        self.name = name
        self.argv = list(argv)
        self.runs = []
        self.missing = None                 # reason text when not runnable

    def add(self, m):
        self.runs.append(m)

    @property
    def ok(self):
        return self.missing is None and bool(self.runs) and \
            all(m.ok for m in self.runs)

    @property
    def best_wall_s(self):
        return min(m.wall_s for m in self.runs) if self.runs else None

    @property
    def max_rss_bytes(self):
        return max(m.maxrss_bytes for m in self.runs) if self.runs else None

    def status(self):
        if self.missing is not None:
            return "missing"
        bad = [m for m in self.runs if not m.ok]
        if not bad:
            return "ok"
        m = bad[0]
        if m.timed_out:
            return "timeout"
        if m.exit_code < 0:
            return "killed (signal %d)" % -m.exit_code
        return "failed (exit %d)" % m.exit_code


def find_program(path_or_name):
    """The executable to run, or None: a path (containing '/') must exist
    and be executable; a bare name is looked up in PATH."""
    if "/" in path_or_name:
        if os.path.isfile(path_or_name) and os.access(path_or_name, os.X_OK):
            return path_or_name
        return None
    return shutil.which(path_or_name)


def command_output(argv, timeout=30):
    """First non-empty line of a command's stdout+stderr, or None."""
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if line.strip():
            return line.strip()
    return None


def machine_info():
    """A dict describing this machine: cpus, cpu_model, memory, kernel."""
    model = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count()
    return {
        "cpus": cpus,
        "cpu_model": model or platform.processor() or "unknown",
        "memory_bytes": mem,
        "kernel": "%s %s" % (platform.system(), platform.release()),
    }


def describe_machine():
    """One line: '2 CPUs (AMD EPYC), 23.5 GiB RAM, Linux 6.1.0'."""
    m = machine_info()
    s = "%s CPUs (%s)" % (m["cpus"], m["cpu_model"])
    if m["memory_bytes"]:
        s += ", %.1f GiB RAM" % (m["memory_bytes"] / 2 ** 30)
    return s + ", " + m["kernel"]


def cpu_busy_seconds():
    """CPU seconds that all processes on this machine have used since boot
    (user, nice, system, irq, softirq, steal from /proc/stat), or None.
    The difference over an interval, less a child's own CPU time, is what
    other processes used meanwhile."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(x) for x in fields[1:]]
    busy = sum(ticks[:3]) + sum(ticks[5:8])   # not idle (3) nor iowait (4)
    return busy / os.sysconf("SC_CLK_TCK")


def wait_until_idle(max_wait_s, threshold_cpus=0.15, sample_s=1.0,
                    log=None):
    """Wait (up to max_wait_s) until the machine's CPU use over sample_s
    is below threshold_cpus CPUs; returns the last use seen (in CPUs)."""
    start = time.monotonic()
    logged = None
    while True:
        before = cpu_busy_seconds()
        time.sleep(sample_s)
        after = cpu_busy_seconds()
        if before is None or after is None:
            return None
        used = (after - before) / sample_s
        now = time.monotonic()
        if used < threshold_cpus or now - start >= max_wait_s:
            return used
        if log and (logged is None or now - logged >= 60):
            log("  waiting: other processes use %.1f CPUs (%.0f s so far)"
                % (used, now - start))
            logged = now
        time.sleep(4)


def now_utc():
    """The current time, e.g. '2024-05-01 12:34 UTC'."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")


def mib(nbytes):
    return nbytes / 2 ** 20


def text_table(headers, rows):
    """A plain text table, columns padded; numbers right-aligned."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def numeric(s):
        return bool(re.fullmatch(r"[-+]?[0-9.,]+[x%]?", s))

    def fmt(cells):
        out = []
        for i, c in enumerate(cells):
            out.append(c.rjust(widths[i]) if numeric(c) else c.ljust(widths[i]))
        return "  ".join(out).rstrip()

    lines = [fmt(headers), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in rows]
    return "\n".join(lines)


def markdown_table(headers, rows, align=None):
    """A GitHub-flavoured Markdown table. align: string of 'l'/'r' per column
    (default: right for columns whose cells all look numeric)."""
    rows = [[str(c).replace("|", "\\|") for c in r] for r in rows]
    if align is None:
        align = ""
        for i in range(len(headers)):
            cells = [r[i] for r in rows]
            num = cells and all(re.fullmatch(r"[-+]?[0-9.,]+[x%]?|—|-", c)
                                for c in cells)
            align += "r" if num else "l"
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def replace_markdown_section(path, heading, body):
    """Write 'heading' + body into the Markdown file at path, replacing the
    section that starts with exactly that heading line (up to the next
    heading of the same or a higher level, or the end of the file), or
    appending it when there is none. The rest of the file is kept. heading
    is the full line, e.g. '## Reading and checking a zone'."""
    level = len(heading) - len(heading.lstrip("#"))
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        lines = []
    section = [heading, ""] + body.rstrip("\n").splitlines() + [""]

    def heading_level(line):
        m = re.match(r"^(#{1,6})\s", line)
        return len(m.group(1)) if m else None

    start = None
    in_code = False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.rstrip() == heading:
            start = i
            break
    if start is None:
        while lines and not lines[-1].strip():
            lines.pop()
        new = lines + ([""] if lines else []) + section
    else:
        end = len(lines)
        in_code = False
        for j in range(start + 1, len(lines)):
            if lines[j].startswith("```"):
                in_code = not in_code
            lv = None if in_code else heading_level(lines[j])
            if lv is not None and lv <= level:
                end = j
                break
        new = lines[:start] + section + lines[end:]
    while new and not new[-1].strip():
        new.pop()
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(new) + "\n")
    os.replace(tmp, path)
