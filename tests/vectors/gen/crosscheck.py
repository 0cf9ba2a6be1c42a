#!/usr/bin/env python3
"""Cross-check tests/vectors against an independent implementation of the construction
in docs/FORMAT.md, written from the spec with pyca/cryptography (Argon2id, HKDF, AES-GCM,
AES-SIV). XChaCha20-Poly1305 rows are not checked here (cryptography has no XChaCha);
the C unit tests and the draft-irtf-cfrg-xchacha known answer cover them.
Usage: tests/vectors/gen/crosscheck.py [VECTORDIR]. Prints "N passed, N failed"."""
import base64, hashlib, os, struct, sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vectorfile  # noqa: E402

vdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
passed = failed = 0


def check(what, got, want):
    global passed, failed
    if got == want:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}: got {got!r:.80} want {want!r:.80}", file=sys.stderr)


def load(name):
    return vectorfile.load(vdir, name)


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def hkdf(ikm, salt, info, n):
    return HKDF(hashes.SHA256(), n, salt or None, info).derive(ikm)


def pad(b):
    p = 16 - len(b) % 16
    return b + bytes([p]) * p


c = load("config.txt")[0]
kek = Argon2id(salt=c["salt"], length=32, iterations=int(c["kdf_time_str"]), lanes=int(c["kdf_lanes_str"]),
               memory_cost=int(c["kdf_memory_kib_str"])).derive(c["password_str"].encode())
check("kek", kek, c["kek"])
conf = (b"VEILFSCF" + struct.pack(">HIBBIIII", 1, int(c["features_str"]), int(c["cipher_str"]), 1, 4096,
        int(c["kdf_time_str"]), int(c["kdf_memory_kib_str"]), int(c["kdf_lanes_str"]))
        + c["vault_id"] + c["salt"] + c["wrap_nonce"])
check("config AD length", len(conf), 92)
wrapped = AESGCM(kek).encrypt(c["wrap_nonce"], c["master_key"], conf)
check("wrapped key", wrapped, c["wrapped_key"])
check("config file", conf + wrapped, c["config"])

# Version 2: the vault-wide part, then one slot per record, built from FORMAT.md alone.
v2 = load("config_v2.txt")
head = b"VEILFSCF" + struct.pack(">HIBBII", 2, int(v2[0]["features_str"]), int(v2[0]["cipher_str"]), 0, 4096, 0) + v2[0]["vault_id"]
check("v2 vault-wide AD length", len(head), 40)
whole = head + struct.pack(">HH", int(v2[0]["nslots_str"]), 0)
for r in v2[1:-1]:
    t = int(r["type_str"])
    label = r["label_str"].encode()
    costs = (int(r["kdf_time_str"]), int(r["kdf_memory_kib_str"]), int(r["kdf_lanes_str"]))
    if t == 1:
        kek = Argon2id(salt=r["salt"], length=32, iterations=costs[0], lanes=costs[2],
                       memory_cost=costs[1]).derive(r["password_str"].encode())
    else:
        info = b"veilfs v2 slot keyfile" if t == 2 else b"veilfs v2 slot recovery"
        kek = hkdf(r["secret"], r["salt"], info, 32)
    check(f"v2 slot {r['slot_str']} kek", kek, r["kek"])
    slot = (struct.pack(">BBBBIIIQ", t, 1 if t == 1 else 2, len(label), 0, *costs, int(r["created_str"]))
            + label.ljust(32, b"\0") + r["salt"] + r["nonce"])
    check(f"v2 slot {r['slot_str']} AD", head + slot, r["ad"])
    wrapped = AESGCM(kek).encrypt(r["nonce"], v2[0]["master_key"], head + slot)
    check(f"v2 slot {r['slot_str']} wrapped key", wrapped, r["wrapped_key"])
    if t == 3:
        h = r["secret"].hex()
        check("recovery key text", "-".join(h[i:i + 8] for i in range(0, 64, 8)), r["recovery_text_str"])
    whole += slot + wrapped
check("v2 config file", whole, v2[-1]["config"])

k = load("keys.txt")[0]
keys = {}
for label, field, n in [("content", "content_key", 32), ("names", "names_key", 64),
                        ("xattr names", "xattr_names_key", 64), ("xattr values", "xattr_values_key", 32),
                        ("symlinks", "symlinks_key", 32)]:
    keys[field] = hkdf(k["master_key"], k["vault_id"], b"veilfs v1 " + label.encode(), n)
    check(field, keys[field], k[field])
fk = hkdf(keys["content_key"], b"", b"veilfs v1 file" + k["file_id"], 32)
check("file key", fk, k["file_key"])

h = load("header.txt")[0]
check("header", b"VF" + struct.pack(">H", 1) + h["file_id"], h["header"])

recs = load("blocks.txt")
cipher = None
for r in recs:
    if "cipher_str" in r:
        cipher, fid = int(r["cipher_str"]), r["file_id"]
        check("blocks file key", r["file_key"], fk)
        continue
    if cipher != 1:
        continue
    n, final = int(r["block_str"]), int(r["final_str"])
    pt = bytes(((n * 4096 + i) * 7 + n) & 0xff for i in range(len(r["plaintext"])))
    check(f"block {n} plaintext pattern", pt, r["plaintext"])
    ad = fid + struct.pack(">QB", n, final)
    check(f"block {n} ad", ad, r["ad"])
    check(f"block {n} offset", int(r["offset_str"]), 20 + n * 4124)
    check(f"block {n} stored", r["nonce"] + AESGCM(fk).encrypt(r["nonce"], pt, ad), r["stored"])

recs = load("names.txt")
nk, diriv = recs[0]["names_key"], recs[0]["diriv"]
for r in recs[1:]:
    enc = b64(AESSIV(nk).encrypt(pad(r["name_str"].encode()), [diriv]))
    check(f"name {r['name_str'][:20]}", enc, r["encoded_str"])
    if len(enc) > 255:
        check("long name", "veilfs.lname." + b64(hashlib.sha256(enc.encode()).digest()), r["long_name_str"])

recs = load("symlink_xattr.txt")
lower = "user.veilfs." + b64(AESSIV(recs[0]["xattr_names_key"]).encrypt(pad(recs[0]["xattr_name_str"].encode()), None))
check("xattr name", lower, recs[0]["lower_xattr_name_str"])
for r in recs[1:]:
    if int(r["cipher_str"]) != 1:
        continue
    t = AESGCM(keys["symlinks_key"]).encrypt(r["nonce"], r["target_str"].encode(), None)
    check("symlink target", b64(r["nonce"] + t), r["lower_target_str"])
    v = AESGCM(keys["xattr_values_key"]).encrypt(r["nonce"], r["xattr_value_str"].encode(), lower.encode())
    check("xattr value", r["nonce"] + v, r["lower_xattr_value"])

# Key epochs (FORMAT.md "Key epochs"). The sealed box is libsodium's crypto_box_seal, not in
# pyca/cryptography: only the X25519 public key of the box secret key is checked here.
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

recs = load("epochs.txt")
ep = recs[0]
sk = hkdf(ep["slot_kek"], b"", b"veilfs v2 slot box", 32)
check("epoch box sk", sk, ep["box_sk"])
pk = X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw)
check("epoch box pk", pk, ep["box_pk"])
secret = {}
for r in recs[1:3]:
    e = int(r["epoch_str"])
    secret[e] = r["epoch_secret"]
    check(f"epoch {e} content key", hkdf(secret[e], ep["vault_id"], b"veilfs v2 epoch content", 32), r["content_key"])
    check(f"epoch {e} check", hkdf(secret[e], ep["vault_id"], b"veilfs v2 epoch check" + struct.pack(">I", e), 16), r["check"])
tk = hkdf(secret[2], ep["vault_id"], b"veilfs v2 epoch table" + struct.pack(">I", 2), 32)
entry = recs[3]["table_entry_2_1"]
tad = ep["vault_id"] + struct.pack(">II", 2, 1)
check("epoch table entry", entry[:12] + AESGCM(tk).encrypt(entry[:12], secret[1], tad), entry)
f = recs[4]
check("header v2", b"VF" + struct.pack(">H", 2) + f["file_id"], f["header"])
ck2 = hkdf(secret[2], ep["vault_id"], b"veilfs v2 epoch content", 32)
check("epoch 2 file key", hkdf(ck2, b"", b"veilfs v1 file" + f["file_id"], 32), f["file_key"])
bad = f["file_id"] + struct.pack(">QB", 0, 1)
check("epoch 2 block", f["stored"][:12] + AESGCM(f["file_key"]).encrypt(f["stored"][:12], f["plaintext"], bad), f["stored"])

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
