#!/usr/bin/env python3
"""The manual pages the build wrote, checked against the programs.

usage: man_pages.py SIGNET SIGNETD MAN_DIR

- groff -man -ww says nothing about any page (no warnings at all);
- man -l renders each, with its NAME line;
- signet(1) has every command `signet --help` lists, at every depth, each in
  its own subsection with every option and positional that command's --help
  lists; the global options are under GLOBAL OPTIONS;
- signetd(8) has every option `signetd --help` lists;
- signet.toml(5) has a section for each table the configuration reads (the
  keys themselves are checked by the unit tests, from the reader's tables).

The commands are found from --help, not from the parser the pages were
written from, so a command the page generator missed is caught.
"""
import os
import re
import subprocess
import sys

failures = 0


def fail(message):
    global failures
    failures += 1
    print(f"FAIL {message}")


def ok(message):
    print(f"ok   {message}")


def run(*args, env=None):
    result = subprocess.run(args, capture_output=True, text=True, env=env)
    return result.returncode, result.stdout, result.stderr


def help_of(program, path):
    """(options, positionals, subcommands) of `program path... --help`."""
    status, out, err = run(program, *path, "--help")
    if status != 0:
        raise SystemExit(f"{program} {' '.join(path)} --help: exit {status}: {err}")
    options, positionals, commands = [], [], []
    part = None
    for line in out.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            part = {"Options:": options, "Positionals:": positionals, "Subcommands:": commands}.get(line)
            continue
        # Entries are indented by two; their wrapped descriptions by more.
        if part is None or not re.match(r"  \S", line):
            continue
        first = line.split()[0]
        if part is options:
            names = first.split(",")
            longs = [n for n in names if n.startswith("--")]
            options.append(longs[0] if longs else names[0])
        else:
            part.append(first)
    return options, positionals, commands


def render(page):
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="", LC_ALL="C.UTF-8")
    status, out, err = run("man", "-l", page, env=env)
    if status != 0:
        fail(f"man -l {page}: exit {status}: {err.strip()}")
        return ""
    # Plain text: no overstriking, and groff's typographic hyphen (UTF-8)
    # back to '-'.
    out = re.sub(r".\x08", "", out).replace("\u2010", "-").replace("\u2212", "-")
    return out


def sections(text, heading_re):
    """{heading: body} for the headings matching heading_re (whole lines)."""
    found = {}
    current = None
    for line in text.splitlines():
        match = re.fullmatch(heading_re, line)
        if match:
            current = match.group(1)
            found[current] = ""
        elif re.match(r"\S", line):
            current = None  # a new top-level section
        elif current is not None:
            found[current] += line + "\n"
    return found


def words(text):
    return set(re.findall(r"[A-Za-z0-9_.\-]+", text))


def entries(body):
    """The names in the tags of a section's tagged paragraphs: the lines at
    the paragraph indent, up to the gap before a description on the same
    line (a synopsis alone does not count)."""
    found = set()
    lines = body.splitlines()
    if lines and "[global options]" in lines[0]:  # a command's synopsis
        lines = lines[lines.index(""):] if "" in lines else []
    for line in lines:
        if re.match(r" {7}\S", line):
            found |= words(re.split(r"\s{2,}", line.strip())[0])
    return found


def check_signet(signet, page):
    text = render(page)
    if not re.search(r"^NAME\n\s+signet - \S", text, re.M):
        fail("signet(1): no NAME line")
    commands = sections(text, r"   signet ((?:\S+ ?)+)")
    top = sections(text, r"(GLOBAL OPTIONS)").get("GLOBAL OPTIONS", "")
    options, _, nouns = help_of(signet, [])
    for option in options:
        if option not in entries(top):
            fail(f"signet(1): global option {option} missing")
    checked = [0, 0]

    def walk(path):
        options, positionals, subcommands = help_of(signet, path)
        name = " ".join(path)
        body = commands.get(name)
        if body is None:
            fail(f"signet(1): command 'signet {name}' has no subsection")
            return
        checked[0] += 1
        present = entries(body)
        for option in options:
            if option in ("-h", "--help"):
                continue
            checked[1] += 1
            if option not in present:
                fail(f"signet(1): 'signet {name}' lacks its option {option}")
        for positional in positionals:
            checked[1] += 1
            if positional.upper() not in present:
                fail(f"signet(1): 'signet {name}' lacks its argument {positional.upper()}")
        for sub in subcommands:
            walk(path + [sub])

    for noun in nouns:
        walk([noun])
    ok(f"signet(1): {checked[0]} commands with their {checked[1]} options and arguments, "
       f"{len(options)} global options")


def check_signetd(signetd, page):
    text = render(page)
    if not re.search(r"^NAME\n\s+signetd - \S", text, re.M):
        fail("signetd(8): no NAME line")
    body = sections(text, r"(OPTIONS)").get("OPTIONS", "")
    options, _, _ = help_of(signetd, [])
    missing = [o for o in options if o not in entries(body)]
    if missing:
        fail(f"signetd(8): options missing: {missing}")
    else:
        ok(f"signetd(8): its {len(options)} options")


def check_config(page):
    text = render(page)
    if not re.search(r"^NAME\n\s+signet.toml - \S", text, re.M):
        fail("signet.toml(5): no NAME line")
    for table in ("[hsm]", "[zones]", "[daemon]", "[health]", "[policy.NAME]"):
        if not re.search(rf"^{re.escape(table)}$", text, re.M):
            fail(f"signet.toml(5): no section {table}")
    for key in ("ksk-lifetime", "signature-validity", "nsec3-iterations", "metrics", "pin-file"):
        if not re.search(rf"^\s+{re.escape(key)} = ", text, re.M):
            fail(f"signet.toml(5): no entry for {key}")
    if "OpenDNSSEC: kasp.xml <KSK><Lifetime>" not in text.replace("\n", " ").replace("  ", " "):
        fail("signet.toml(5): ksk-lifetime lacks its OpenDNSSEC counterpart")
    ok("signet.toml(5): its tables and keys render")


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    signet, signetd, man_dir = sys.argv[1:]
    pages = {name: os.path.join(man_dir, name) for name in ("signet.1", "signet.toml.5", "signetd.8")}
    for name, page in pages.items():
        if not os.path.isfile(page):
            fail(f"{page}: not built")
            continue
        status, out, err = run("groff", "-man", "-ww", "-z", page)
        if status != 0 or err:
            fail(f"groff -man -ww {name}: {err.strip() or f'exit {status}'}")
        else:
            ok(f"groff -man -ww {name}: no warnings")
    if failures:
        sys.exit(1)
    check_signet(signet, pages["signet.1"])
    check_signetd(signetd, pages["signetd.8"])
    check_config(pages["signet.toml.5"])
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
