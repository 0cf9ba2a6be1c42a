#!/usr/bin/env python3
"""tests/cli/docs_sync.py VEILFS MAN1_SCD CLI_MD: the options of each command's --help, of
its section in the man page source and of its section in docs/CLI.md must be the same
sets (both ways), and so must the command lists. Prints "ok N - ..." / "not ok N - ..."."""
import re
import subprocess
import sys

veilfs, man_path, cli_path = sys.argv[1:4]
man = open(man_path, encoding="utf-8").read()
cli = open(cli_path, encoding="utf-8").read()
n = 0
failed = 0


def report(name, good, why=""):
    global n, failed
    n += 1
    if good:
        print(f"ok {n} - {name}")
    else:
        failed += 1
        print(f"not ok {n} - {name}: {why}")


def run_help(*args):
    return subprocess.run([veilfs, *args], capture_output=True, text=True, check=True).stdout


OPT = r"--?[A-Za-z][A-Za-z-]*"


def help_options(text):
    """Option names in the option column of a --help text (lines '  -x, --name ARG ...')."""
    opts = set()
    for line in text.splitlines():
        m = re.match(r"^  ((?:" + OPT + r"(?:=[A-Za-z|]+)?(?: [A-Z]+)?(?:, )?)+)", line)
        if m:
            opts.update(re.findall(OPT, m.group(1)))
    return opts


def help_o_options(text):
    """veilfs's own -o options: the block under '-o OPTIONS' of mount --help."""
    block = text.split("\n  -o OPTIONS", 1)[1].split("\n  -", 1)[0]
    block = block.split("fstab-only options", 1)[0]
    names = set(re.findall(r"^ {21}([a-z_]+)", block, re.M))
    names |= set(re.findall(r"\b([a-z_]+)=", block))
    return names


def man_section(cmd):
    m = re.search(r"^## " + cmd + r"\n(.*?)(?=^##? )", man, re.M | re.S)
    return m.group(1) if m else ""


def man_options(sec):
    opts = set()
    for line in sec.splitlines():
        if line.startswith("*-"):  # an option definition line of scdoc
            opts.update(re.findall(r"\*(" + OPT + r")=?\*", line))
    return opts


def cli_section(title):
    m = re.search(r"^## " + re.escape(title) + r"\n(.*?)(?=^## )", cli, re.M | re.S)
    return m.group(1) if m else ""


def cli_options(sec):
    """Options in the first column of the section's tables."""
    opts = set()
    for line in sec.splitlines():
        if line.startswith("| `-"):
            first = line.split("|")[1]
            opts.update(re.findall(r"`(" + OPT + r")", first))
            opts.update(re.findall(r", `(" + OPT + r")", first))
    return opts


top = run_help("--help")
commands = re.findall(r"^  ([a-z]+) ", top, re.M)
report("veilfs --help lists commands", len(commands) >= 6, f"got {commands}")
man_cmds = re.findall(r"^## ([a-z]+)$", man.split("# COMMANDS", 1)[-1].split("\n# ", 1)[0], re.M)
report("the man page has a section for each command, no more", man_cmds == commands,
       f"man {man_cmds}, --help {commands}")
cli_cmds = []
for title in re.findall(r"^## (veilfs .*)$", cli, re.M):
    cli_cmds += re.findall(r"veilfs ([a-z]+)", title)
report("docs/CLI.md has a section for each command, no more", sorted(cli_cmds) == sorted(commands),
       f"CLI.md {cli_cmds}, --help {commands}")

helps = {c: help_options(run_help(c, "--help")) for c in commands}
for c in commands:
    h, m = helps[c], man_options(man_section(c))
    report(f"'{c}': options found in --help and veilfs(1)", "--help" in h and "--help" in m,
           f"--help {sorted(h)}, man {sorted(m)}")
    report(f"'{c}': every --help option is in veilfs(1)", h <= m, f"missing {sorted(h - m)}")
    report(f"'{c}': every veilfs(1) option is in --help", m <= h, f"only in the man page {sorted(m - h)}")

for title in re.findall(r"^## (veilfs .*)$", cli, re.M):
    cmds = re.findall(r"veilfs ([a-z]+)", title)
    h = set().union(*(helps.get(c, set()) for c in cmds))
    d = cli_options(cli_section(title))
    report(f"'{title}': options found in docs/CLI.md", "--help" in d, f"got {sorted(d)}")
    report(f"'{title}': every --help option is in docs/CLI.md", h <= d, f"missing {sorted(h - d)}")
    report(f"'{title}': every docs/CLI.md option is in --help", d <= h, f"only in CLI.md {sorted(d - h)}")

own = help_o_options(run_help("mount", "--help"))
report("mount --help lists its own -o options", {"ro", "nonempty", "passfile"} <= own, f"got {sorted(own)}")
msec = man_section("mount")
missing = sorted(o for o in own if not re.search(r"\*" + o + r"=?\*", msec))
report("every -o option of mount --help is in veilfs(1)", not missing, f"missing {missing}")
csec = cli_section("veilfs mount, veilfs umount")
missing = sorted(o for o in own if not re.search(r"`" + o + r"[`=]", csec))
report("every -o option of mount --help is in docs/CLI.md", not missing, f"missing {missing}")

codes = re.findall(r"^  (\d)  ", top, re.M)
exit_sec = man.split("# EXIT STATUS", 1)[-1].split("\n# ", 1)[0]
man_codes = re.findall(r"^\*(\d)\*$", exit_sec, re.M)
report("the exit statuses of --help are those of veilfs(1)", codes == man_codes, f"--help {codes}, man {man_codes}")

print(f"{n - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
