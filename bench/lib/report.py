#!/usr/bin/python3
"""Turn bench/run.sh raw results into the Markdown report (stdout).

Usage: report.py RAW.tsv META.tsv STATUS.tsv
RAW rows: bed system run workload value unit bytes daemon_cpu_s daemon_vmhwm_kib
"""
import statistics
import sys
from collections import defaultdict

SYSTEMS = ["plain", "bindfs", "gocryptfs", "securefs", "veilfs", "veilfs-shared"]
WORKLOADS = [
    ("seq-write", "sequential write (dd bs=1M, conv=fsync)"),
    ("seq-read", "sequential read, cold (dd bs=1M)"),
    ("rand-read-4k", "4 KiB random read, cold (fio psync)"),
    ("rand-write-4k", "4 KiB random write + fsync (fio psync)"),
    ("build-make-j2", "C build, cold (make -j2)"),
    ("tree-unpack", "unpack tree (tar -x + sync)"),
    ("tree-ls-lR", "ls -lR, cold"),
    ("tree-find", "find, cold"),
    ("tree-delete", "rm -rf tree + sync, cold"),
]
BED_DESC = {
    "local": "cipher directory on the local file system",
    "sshfs": "cipher directory on sshfs to an sshd on 127.0.0.1 (tests/beds/sftp.sh)",
    "gluster": "cipher directory on a GlusterFS volume (1 brick in a network namespace, "
               "client and volume options as installed: tests/beds/gluster.sh)",
}


def read_tsv(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def fnum(x):
    return None if x in ("-", "") else float(x)


def fmt(v, unit):
    if v is None:
        return "–"
    if unit == "MiB/s":
        return f"{v:.0f}" if v >= 100 else f"{v:.1f}"
    return f"{v:.2f}" if v < 100 else f"{v:.0f}"


def speed_ratio(v, ref, unit):
    """Speed relative to ref: > 1 is faster, for throughput and for times alike."""
    if v is None or ref is None or v == 0 or ref == 0:
        return "–"
    r = v / ref if unit == "MiB/s" else ref / v
    return f"{r:.2f}×"


def main():
    raw, meta_rows, status_rows = (read_tsv(p) for p in sys.argv[1:4])
    meta = {r[0]: r[1] if len(r) > 1 else "" for r in meta_rows}

    # (bed, system, workload) -> lists
    vals, cpu, hwm, unit = defaultdict(list), defaultdict(list), defaultdict(list), {}
    for bed, sysname, _run, wl, value, u, nbytes, c, h in raw:
        key = (bed, sysname, wl)
        vals[key].append(float(value))
        unit[wl] = u
        c, nbytes = fnum(c), float(nbytes)
        if c is not None:
            # per GiB of data for throughput workloads, per step for the others
            cpu[key].append(c / (nbytes / 2**30) if u == "MiB/s" and nbytes > 0 else c)
        if fnum(h) is not None:
            hwm[key].append(float(h) / 1024)

    state = defaultdict(dict)  # bed -> system -> list of (state, reason)
    for row in status_rows:
        bed, sysname, st = row[0], row[1], row[2]
        reason = row[3] if len(row) > 3 else ""
        state[bed].setdefault(sysname, []).append((st, reason))

    out = []
    w = out.append
    runs = meta.get("runs", "?")
    w("# veilfs benchmark report")
    w("")
    w("| machine | |")
    w("|---|---|")
    for k in ("date", "cpu", "cores", "memory", "kernel", "os", "filesystem"):
        w(f"| {k} | {meta.get(k, '?')} |")
    w(f"| load average | {meta.get('load', '?')}, {meta.get('load_end', '?')} |")
    w(f"| run time | {meta.get('elapsed', '?')} (whole bench/run.sh) |")
    for k, v in meta.items():
        if k.startswith("version:"):
            w(f"| {k[8:]} | {v or '–'} |")
    w("")
    w(f"Mode **{meta.get('mode')}**, **{runs} run(s)** per system and bed; each figure is the "
      "median over runs.")
    if runs == "1":
        w("**Single run: these are not medians, only indicative numbers** "
          "(use `--runs 3` or more for real comparisons).")
    w("")
    w(f"- sequential: one {meta.get('seq')} file")
    w(f"- random: {meta.get('rand')}")
    w(f"- tree: {meta.get('tree')}")
    w(f"- build: {meta.get('build')}")
    w("- every measured step starts on a fresh mount after `echo 3 > /proc/sys/vm/drop_caches`"
      " (and, on the sshfs bed, a fresh sshfs client)")
    w("- *vs plain* / *vs gocryptfs*: speed relative to that system on the same bed "
      "(1.00× = as fast, 0.50× = half as fast), for MiB/s and seconds alike; *n*: runs that "
      "measured the step (fewer than the runs when a run failed before it)")
    w("- daemon RSS: highest VmHWM of the FUSE daemon over the runs, read at the end of the "
      "step; daemon CPU: utime+stime of the daemon during the step, per GiB moved for MiB/s "
      "rows, in seconds for the others (the sshfs client and sshd are not counted)")
    w("")

    beds = [b for b in ("local", "sshfs", "gluster") if b in state]
    for bed in beds:
        desc = BED_DESC.get(bed, "")
        if bed == "sshfs":
            desc += f", sshfs profile `{meta.get('sshfs_profile', '?')}`"
        w(f"## Bed `{bed}`: {desc}")
        w("")
        if f"scale:{bed}:seq" in meta:
            w(f"Sizes on this bed differ from the list above: sequential one "
              f"{meta[f'scale:{bed}:seq']} file; random {meta[f'scale:{bed}:rand']}; "
              f"tree {meta[f'scale:{bed}:tree']}; build {meta[f'scale:{bed}:build']}.")
            w("")
        systems = [s for s in SYSTEMS if s in state[bed]]
        notes = []
        for s in systems:
            for st, reason in state[bed][s]:
                if st != "ok":
                    note = f"- **{s}**: {st}: {reason}"
                    if note not in notes:
                        notes.append(note)
        have = [s for s in systems if any((bed, s, wl) in vals for wl, _ in WORKLOADS)]
        if not have:
            w("No measurements on this bed.")
            w("")
            out.extend(notes)
            w("")
            continue
        w("### Summary (median)")
        w("")
        w("| workload | unit | " + " | ".join(systems) + " |")
        w("|---|---|" + "---:|" * len(systems))
        for wl, _ in WORKLOADS:
            u = unit.get(wl, "")
            cells = []
            for s in systems:
                v = vals.get((bed, s, wl))
                cells.append(fmt(statistics.median(v), u) if v else
                             ("n/a" if s not in have else "–"))
            w(f"| {wl} | {u} | " + " | ".join(cells) + " |")
        w("")
        w("### Detail")
        w("")
        w("| workload | system | n | median | min–max | vs plain | vs gocryptfs "
          "| daemon RSS MiB | daemon CPU |")
        w("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for wl, label in WORKLOADS:
            u = unit.get(wl, "")
            ref_plain = vals.get((bed, "plain", wl))
            ref_gocr = vals.get((bed, "gocryptfs", wl))
            ref_plain = statistics.median(ref_plain) if ref_plain else None
            ref_gocr = statistics.median(ref_gocr) if ref_gocr else None
            for s in have:
                v = vals.get((bed, s, wl))
                if not v:
                    continue
                m = statistics.median(v)
                c = cpu.get((bed, s, wl))
                h = hwm.get((bed, s, wl))
                ctext = "–"
                if c:
                    ctext = f"{statistics.median(c):.2f} s" + ("/GiB" if u == "MiB/s" else "")
                w(f"| {wl} | {s} | {len(v)} | {fmt(m, u)} {u} | {fmt(min(v), u)}–{fmt(max(v), u)} "
                  f"| {speed_ratio(m, ref_plain, u)} | {speed_ratio(m, ref_gocr, u)} "
                  f"| {f'{max(h):.1f}' if h else '–'} | {ctext} |")
        w("")
        w("Workloads: " + "; ".join(f"`{wl}` = {label}" for wl, label in WORKLOADS) + ".")
        w("")
        if notes:
            w("Not measured or incomplete:")
            w("")
            out.extend(notes)
            w("")
    for bed in [b for b in state if b not in beds]:
        w(f"## Bed `{bed}`")
        w("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
