#!/usr/bin/env python3
"""Reads on B while A rewrites the blocks they read: never stale, never torn.

Usage: reads.py FILE_VIA_A FILE_VIA_B ROUNDS [TIMEOUT_S]

The file has two full blocks and a short last one (2 x 4096 + 2000 bytes). A (a thread
writing through its mount) rewrites blocks 1 and 2 (one pwrite of 6096 bytes at 4096) with
records naming the round, ROUNDS times, and after each pwrite returns publishes its round.
B (a thread reading through the other mount, one open/pread/close per read, so no page
cache of B's veilfs mount answers) meanwhile reads block 1 whole, a part of block 1, and
the short last block. Every read must succeed (no EIO), hold one round's records only (not
torn) and a round no older than the one A had published before the read began (not
stale). A shared-mode read that skips the cross-client lock (lockfiles: docs/SHARED.md)
must pass this as a locked read does. Afterwards both mounts read A's last round.
Prints result=PASS or result=FAIL with details; exit 0 only on PASS. An alarm bounds the
whole run (default 240 s).
"""
import os
import signal
import sys
import threading

BLOCK = 4096
TAIL = 2000
REC = 16


def records(rnd, length):
    rec = ("round=%09d\n" % rnd).encode()
    assert len(rec) == REC
    return (rec * (length // REC + 1))[:length]


def round_of(data, start):
    """The one round whose records data (read at file offset start) holds, else None."""
    phase = (start - BLOCK) % REC
    first = data[(REC - phase) % REC:][:REC]
    if len(first) != REC or not first.startswith(b"round=") or not first[6:15].isdigit():
        return None
    rnd = int(first[6:15])
    return rnd if records(rnd, phase + len(data))[phase:] == data else None


class State:
    def __init__(self):
        self.published = -1
        self.done = False
        self.write_errors = 0


def writer(path, rounds, st):
    fd = os.open(path, os.O_WRONLY)
    try:
        for rnd in range(rounds):
            try:
                os.pwrite(fd, records(rnd, BLOCK + TAIL), BLOCK)
            except OSError:
                st.write_errors += 1
                continue
            st.published = rnd
    finally:
        os.close(fd)
        st.done = True


def read_once(path, off, length):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, length, off)
    finally:
        os.close(fd)


def reader(path, st, res):
    reads = [(BLOCK, BLOCK), (BLOCK + 1000, 700), (2 * BLOCK, TAIL)]
    i = 0
    while not st.done:
        off, length = reads[i % len(reads)]
        i += 1
        before = st.published
        try:
            data = read_once(path, off, length)
        except OSError as e:
            res["eio"] += 1
            res["last_error"] = str(e)
            continue
        res["reads"] += 1
        rnd = round_of(data, off) if len(data) == length else None
        if rnd is None:
            res["torn"] += 1
        elif rnd < before:
            res["stale"] += 1
            res["last_stale"] = "read round %d at %d after round %d was written" % (rnd, off, before)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    a, b, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    signal.alarm(int(sys.argv[4]) if len(sys.argv) > 4 else 240)
    with open(a, "wb") as f:
        f.write(b"\0" * BLOCK + records(0, BLOCK + TAIL))
    st = State()
    res = {"reads": 0, "eio": 0, "torn": 0, "stale": 0}
    t_read = threading.Thread(target=reader, args=(b, st, res))
    t_read.start()
    writer(a, rounds, st)
    t_read.join()
    final = {}
    for who, path in (("A", a), ("B", b)):
        try:
            final[who] = round_of(read_once(path, BLOCK, BLOCK + TAIL), BLOCK)
        except OSError as e:
            final[who] = "error %s" % e
    ok = (res["eio"] == 0 and res["torn"] == 0 and res["stale"] == 0 and
          st.write_errors == 0 and res["reads"] > 0 and
          final["A"] == rounds - 1 and final["B"] == rounds - 1)
    print(" ".join("%s=%s" % kv for kv in sorted(res.items())),
          "write_errors=%d final_A=%s final_B=%s" % (st.write_errors, final["A"], final["B"]))
    print("result=%s" % ("PASS" if ok else "FAIL"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
