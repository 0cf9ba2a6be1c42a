#!/usr/bin/env python3
"""Count the file headers of a cipher directory by format: prints "v1=N v2e<E>=N ...".

Usage: lower_headers.py CIPHERDIR [--skip-dot]
veilfs.* side files, symlinks and empty files are not counted; --skip-dot also leaves out
names starting with "." (a lower client's own files, e.g. sshfs's .fuse_hidden*; only for a
vault with encrypted names, whose lower names never start with a dot).
"""
import collections
import os
import struct
import sys


def main():
    root = sys.argv[1]
    skip_dot = "--skip-dot" in sys.argv[2:]
    counts = collections.Counter()
    for d, _dirs, files in os.walk(root):
        for f in files:
            if f.startswith("veilfs.") or (skip_dot and f.startswith(".")):
                continue
            p = os.path.join(d, f)
            if os.path.islink(p) or os.path.getsize(p) == 0:
                continue
            with open(p, "rb") as fh:
                h = fh.read(8)
            version = struct.unpack(">H", h[2:4])[0]
            key = "v1" if version == 1 else "v2e%d" % struct.unpack(">I", h[4:8])[0]
            counts[key] += 1
    print(" ".join("%s=%d" % kv for kv in sorted(counts.items())))


if __name__ == "__main__":
    main()
