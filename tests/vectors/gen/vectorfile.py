"""Reader for the tests/vectors/*.txt files (docs/FORMAT.md, "Test vectors"): records of
"key = hex" lines separated by blank lines, '#' comments; keys ending in _str hold text.
Shared by tests/vectors/gen/crosscheck.py and fuzz/make_corpus.py."""
import os


def load(vdir, name):
    """The records of vdir/name, each a dict of key -> bytes (or str for *_str keys)."""
    recs, cur = [], None
    with open(os.path.join(vdir, name), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line:
                cur = None
                continue
            k, v = line.split(" = ", 1)
            if cur is None:
                cur = {}
                recs.append(cur)
            cur[k] = v if k.endswith("_str") else bytes.fromhex(v)
    return recs
