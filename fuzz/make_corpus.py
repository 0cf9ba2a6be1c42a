#!/usr/bin/env python3
"""Write the seed corpora fuzz/corpus/<target>/ from tests/vectors (see fuzz/fuzz_*.c for
each target's input layout). Seed names are the SHA-1 of their contents, as libFuzzer
names its own. Usage: fuzz/make_corpus.py"""
import hashlib, os, struct, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "vectors", "gen"))
import vectorfile  # noqa: E402

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
vdir = os.path.join(root, "tests", "vectors")
cdir = os.path.join(root, "fuzz", "corpus")


def load(name):
    return vectorfile.load(vdir, name)


def seed(target, data):
    d = os.path.join(cdir, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


seed("config", load("config.txt")[0]["config"])
v2 = load("config_v2.txt")[-1]["config"]
seed("config_v2", v2)
# the first slot alone (nslots 1), and a version-1 file (rejected by the v2 parser)
seed("config_v2", v2[:40] + b"\0\1\0\0" + v2[44:44 + 148])
seed("config_v2", load("config.txt")[0]["config"])
# a TPM slot (type 4): the vectors' key-file slot made one, followed by its blobs of the
# sizes swtpm gives (a 46-byte public area of a keyed-hash object, a 158-byte private area)
tpm = bytearray(v2[44 + 148:44 + 2 * 148])
tpm[0] = 4
pub = bytes.fromhex("0008000b0000005200000010") + struct.pack(">H", 32) + bytes(range(32))
seed("config_v2", v2[:40] + b"\0\1\0\0" + bytes(tpm) + struct.pack(">H", len(pub)) + pub +
     struct.pack(">H", 158) + bytes(range(158)))
seed("header", load("header.txt")[0]["header"])
# key epochs: the three slots at key epoch 2 with the epoch section (features bit 1), each
# slot the vectors' box key and epoch box, the check of E_2 and E_1 wrapped under E_2; and
# a header of version 2 (docs/FORMAT.md "Key epochs")
ep = load("epochs.txt")
head = bytearray(v2[:44])
head[10:14] = struct.pack(">I", struct.unpack(">I", bytes(head[10:14]))[0] | 2)
head[20:24] = struct.pack(">I", 2)
section = b"".join(b"\3" + ep[0]["box_pk"] + ep[3]["epoch_box_2"] for _ in range(3))
seed("config_v2", bytes(head) + v2[44:44 + 3 * 148] + section + ep[2]["check"] + ep[3]["table_entry_2_1"])
seed("header", ep[4]["header"])
cipher = size = None
for r in load("blocks.txt"):
    if "cipher_str" in r:
        cipher, size = int(r["cipher_str"]), int(r["cipher_size_str"])
        continue
    flags = int(r["block_str"]) << 1 | int(r["final_str"])
    seed("block", bytes([cipher - 1, flags]) + struct.pack(">Q", size) + r["stored"])
    # the codec opens the same stored blocks (mode 0), and seals their plaintext (mode 1)
    seed("codec", bytes([cipher - 1, flags]) + struct.pack(">Q", size) + r["stored"])
    seed("codec", bytes([cipher - 1 | 2, flags]) + struct.pack(">Q", size) + r["plaintext"])
for r in load("names.txt")[1:]:
    enc = r["encoded_str"].encode()
    seed("names", b"\0" + enc)
    seed("names", b"\1" + enc)
    if "long_name_str" in r:
        seed("names", b"\2" + r["long_name_str"].encode() + b"\n" + enc)
recs = load("symlink_xattr.txt")
seed("names", b"\3" + recs[0]["lower_xattr_name_str"].encode())
for r in recs[1:]:
    seed("names", b"\4" + r["lower_target_str"].encode())
for t in sorted(os.listdir(cdir)):
    print(f"{t}: {len(os.listdir(os.path.join(cdir, t)))} seeds")

# fuzz_vault_xattrs: blob payloads (docs/FORMAT.md, "Out-of-line extended attributes")
def xattr_payload(entries):
    out = bytes([1]) + struct.pack(">I", len(entries))
    for name, value in sorted(entries):
        out += bytes([len(name)]) + name + struct.pack(">I", len(value)) + value
    return out


seed("vault_xattrs", xattr_payload([]))
seed("vault_xattrs", xattr_payload([(b"user.a", b"xy")]))
seed("vault_xattrs", xattr_payload([(b"user.attr%d" % i, bytes(range(32))) for i in range(40)]))
seed("vault_xattrs", xattr_payload([(b"user.big", bytes(3000)), (b"trusted.t", b"1"),
                                    (b"user.inline", b"other"), (b"user.", b"")]))
