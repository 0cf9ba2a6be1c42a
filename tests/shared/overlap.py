#!/usr/bin/env python3
"""Overlapping writes from two clients to one file.

Usage: overlap.py FILE_VIA_A FILE_VIA_B ROUNDS [TIMEOUT_S]

A writes bytes [0, 3072) and B writes bytes [1024, 4096) of one file, each round one
open/pwrite/close through its own mount, with a pattern naming writer and round. Both
writes cover the middle [1024, 3072). Afterwards (read through both mounts): [0, 1024)
holds A's last round, [3072, 4096) B's last round, the middle holds exactly one writer's
last round (a single pwrite is atomic under veilfs's shared-mode lock), every read
succeeds (no EIO = no block that fails authentication) and both mounts agree.
Prints result=PASS or result=FAIL with details; exit 0 only on PASS. An alarm bounds the
whole run (default 240 s).
"""
import os
import signal
import sys
import time


def pattern(who, rnd, length):
    rec = ("%s%06d." % (who, rnd)).encode()  # 8 bytes
    return (rec * (length // len(rec) + 1))[:length]


def writer(path, who, off, length, rounds):
    errors = 0
    for rnd in range(rounds):
        try:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.pwrite(fd, pattern(who, rnd, length), off)
            finally:
                os.close(fd)
        except OSError:
            errors += 1
    os._exit(1 if errors else 0)


def classify(chunk):
    """The (writer, round) a chunk holds wholly, or None."""
    if len(chunk) < 8:
        return None
    head = chunk[:8].decode("ascii", "replace")
    who = head[0]
    if who not in "AB":
        return None
    try:
        rnd = int(head[1:7])
    except ValueError:
        return None
    # A's pattern starts at 0 and B's at 1024; both have 8-byte records, so any
    # 8-aligned chunk of either starts with a whole record.
    return (who, rnd) if chunk == pattern(who, rnd, len(chunk)) else None


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    a, b, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    timeout = int(sys.argv[4]) if len(sys.argv) > 4 else 240
    signal.alarm(timeout)
    with open(a, "wb") as f:
        f.write(bytes(4096))
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if os.stat(b).st_size == 4096:
                break
        except OSError:
            pass
        time.sleep(0.1)
    pids = []
    for path, who, off in ((a, "A", 0), (b, "B", 1024)):
        pid = os.fork()
        if pid == 0:
            writer(path, who, off, 3072, rounds)
        pids.append(pid)
    werr = 0
    for pid in pids:
        _, st = os.waitpid(pid, 0)
        werr += os.waitstatus_to_exitcode(st) != 0
    last = rounds - 1
    ok = werr == 0
    datas = []
    for name, path in (("via_A", a), ("via_B", b)):
        try:
            with open(path, "rb") as f:
                d = f.read()
        except OSError as e:
            print("%s: read error %s" % (name, e))
            ok = False
            continue
        datas.append(d)
        left, mid, right = classify(d[0:1024]), classify(d[1024:3072]), classify(d[3072:4096])
        good = (len(d) == 4096 and left == ("A", last) and right == ("B", last) and
                mid in (("A", last), ("B", last)))
        print("%s: bytes=%d left=%s middle=%s right=%s %s" %
              (name, len(d), left, mid, right, "ok" if good else "BAD"))
        ok = ok and good
    agree = len(datas) == 2 and datas[0] == datas[1]
    ok = ok and agree
    print("writer_errors=%d mounts_agree=%s" % (werr, "yes" if agree else "no"))
    print("result=%s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
