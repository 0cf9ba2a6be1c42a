#!/usr/bin/env python3
"""Writers and a checker for the share failing in the middle of requests (tests/shared/run.sh).

  inflight.py write PATH TAG MAX_SECONDS PROGRESS_FILE
      Append 4096-byte records "TAG:NNNNNNNN:xxx..." to PATH (O_APPEND), fsync after
      every 10th and then write the count of fsync'd records to PROGRESS_FILE. Stops after
      MAX_SECONDS (exit 0) or at the first error (exit 3, errno printed).
  inflight.py check PATH TAG=DURABLE [TAG=DURABLE ...]
      Read PATH whole: every record must be well formed, and for every TAG the records
      0 .. DURABLE-1 must be there. Exit 0, or 1 with what is wrong (a read error too).
"""
import os
import sys
import time

REC = 4096


def record(tag, n):
    head = f"{tag}:{n:08d}:".encode()
    return head + b"x" * (REC - len(head))


def write(path, tag, max_s, progress):
    n, t0 = 0, time.monotonic()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        while time.monotonic() - t0 < max_s:
            os.write(fd, record(tag, n))
            n += 1
            if n % 10 == 0:
                os.fsync(fd)
                with open(progress, "w") as f:
                    f.write(str(n))
    except OSError as e:
        print(f"writer {tag}: error {e.errno} ({e.strerror}) after {n} records", file=sys.stderr)
        return 3
    os.close(fd)
    print(f"writer {tag}: {n} records, no error")
    return 0


def check(path, want):
    seen = {t: set() for t in want}
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        print(f"read error {e.errno} ({e.strerror})")
        return 1
    bad = 0
    for i in range(0, len(data) - len(data) % REC, REC):
        rec = data[i:i + REC]
        try:
            tag, num, _ = rec.split(b":", 2)
            tag, n = tag.decode(), int(num)
        except ValueError:
            bad += 1
            continue
        if tag not in seen or rec != record(tag, n):
            bad += 1
            continue
        seen[tag].add(n)
    missing = {t: [n for n in range(d) if n not in seen[t]] for t, d in want.items()}
    lost = sum(len(m) for m in missing.values())
    tail = len(data) % REC
    print(f"bytes={len(data)} malformed={bad} partial_tail={tail} "
          + " ".join(f"{t}: durable={want[t]} present={len(seen[t])} lost={len(missing[t])}"
                     for t in want))
    return 0 if bad == 0 and lost == 0 else 1


def main(argv):
    if len(argv) == 6 and argv[1] == "write":
        return write(argv[2], argv[3], float(argv[4]), argv[5])
    if len(argv) >= 4 and argv[1] == "check":
        want = {}
        for a in argv[3:]:
            t, d = a.split("=")
            want[t] = int(d)
        return check(argv[2], want)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
