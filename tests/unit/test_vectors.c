/*
 * Re-derives every test vector of docs/FORMAT.md (tests/vectors/, written by
 * tests/vectors/gen) from its inputs and compares byte for byte: config and key wrap,
 * subkeys, file header, content blocks for both ciphers, names, long names, symlink
 * targets, xattr names and values. A missing or unparsable vector file is a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "format/block.h"
#include "format/config.h"
#include "format/config_v2.h"
#include "format/header.h"
#include "crypto/box.h"
#include "keys/epoch.h"
#include "keys/keys.h"
#include "keys/keyslots.h"
#include "names/names.h"
#include "names/sealed.h"
#include "helpers.h"
#include "test.h"

enum { MAX_PAIRS = 32, MAX_RECS = 16, MAX_BYTES = 4096 + 64 };

/* One blank-line-separated block of "key = value" lines; strings point into file text. */
struct vrec {
	const char *key[MAX_PAIRS];
	const char *val[MAX_PAIRS];
	int n;
};

struct vfile {
	char *text;
	struct vrec rec[MAX_RECS];
	int nrec;
};

static void parse_line(struct vfile *f, char *line, bool *fresh)
{
	char *eq = strstr(line, " = ");
	struct vrec *r;

	if (*line == '#')
		return;
	if (*line == 0) {
		*fresh = true;
		return;
	}
	if (!EXPECTF(eq != NULL, "line without ' = ': %.30s", line))
		return;
	if (*fresh || f->nrec == 0) {
		if (!EXPECT(f->nrec < MAX_RECS))
			return;
		f->nrec++;
		*fresh = false;
	}
	r = &f->rec[f->nrec - 1];
	if (!EXPECT(r->n < MAX_PAIRS))
		return;
	*eq = 0;
	r->key[r->n] = line;
	r->val[r->n++] = eq + 3;
}

static bool vfile_load(struct vfile *f, const char *name)
{
	char path[1024], *line, *next;
	bool fresh = true;
	FILE *fp;
	long size;

	memset(f, 0, sizeof(*f));
	snprintf(path, sizeof(path), "%s/%s", test_vectors_dir(), name);
	fp = fopen(path, "rb");
	if (!fp) {
		EXPECTF(fp != NULL, "cannot open '%s'", path);
		return false;
	}
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	rewind(fp);
	f->text = calloc(1, (size_t)size + 1);
	if (!f->text || fread(f->text, 1, (size_t)size, fp) != (size_t)size) {
		fclose(fp);
		return EXPECTF(false, "cannot read '%s'", path);
	}
	fclose(fp);
	for (line = f->text; line && *line; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = 0;
		parse_line(f, line, &fresh);
	}
	return EXPECTF(f->nrec > 0, "'%s' holds no vectors", path);
}

static void vfile_free(struct vfile *f)
{
	free(f->text);
}

/* Value of key in r, or "" (and a failure) when absent. */
static const char *get(const struct vrec *r, const char *key)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->key[i], key) == 0)
			return r->val[i];
	EXPECTF(false, "vector key '%s' missing", key);
	return "";
}

static bool has(const struct vrec *r, const char *key)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->key[i], key) == 0)
			return true;
	return false;
}

static size_t get_hex(const struct vrec *r, const char *key, uint8_t *out, size_t max)
{
	long n = test_unhex(get(r, key), out, max);

	EXPECTF(n >= 0, "vector key '%s' is not hex", key);
	return n < 0 ? 0 : (size_t)n;
}

static unsigned long long get_u64(const struct vrec *r, const char *key)
{
	return strtoull(get(r, key), NULL, 10);
}

/* Compare bytes with the hex value of key. */
static void expect_hex(const struct vrec *r, const char *key, const uint8_t *p, size_t n)
{
	static uint8_t want[MAX_BYTES];
	size_t wn = get_hex(r, key, want, sizeof(want));

	EXPECTF(wn == n && memcmp(want, p, n) == 0, "vector '%s' differs", key);
}

static void expect_str(const struct vrec *r, const char *key, const struct buf *b)
{
	const char *want = get(r, key);

	EXPECTF(strlen(want) == b->len && memcmp(want, b->data, b->len) == 0,
		"vector '%s' differs: got %.*s", key, (int)b->len, (const char *)b->data);
}

TEST(vectors_config_and_wrap)
{
	struct vfile f;
	struct vrec *r;
	struct config c, d;
	uint8_t master[32], kek[32], bytes[CONFIG_SIZE];
	const char *pw;

	if (!vfile_load(&f, "config.txt"))
		return;
	r = &f.rec[0];
	pw = get(r, "password_str");
	get_hex(r, "master_key", master, sizeof(master));
	memset(&c, 0, sizeof(c));
	c.version = CONFIG_VERSION;
	c.features = (uint32_t)get_u64(r, "features_str");
	c.cipher = (uint8_t)get_u64(r, "cipher_str");
	c.kdf = CONFIG_KDF_ARGON2ID;
	c.block_size = CONFIG_BLOCK_SIZE;
	c.kdf_time = (uint32_t)get_u64(r, "kdf_time_str");
	c.kdf_memory_kib = (uint32_t)get_u64(r, "kdf_memory_kib_str");
	c.kdf_lanes = (uint32_t)get_u64(r, "kdf_lanes_str");
	get_hex(r, "vault_id", c.vault_id, VAULT_ID_LEN);
	get_hex(r, "salt", c.salt, CONFIG_SALT_LEN);
	get_hex(r, "wrap_nonce", c.wrap_nonce, CONFIG_WRAP_NONCE_LEN);
	EXPECT(argon2id_derive(pw, strlen(pw), c.salt, CONFIG_SALT_LEN, c.kdf_time,
			       c.kdf_memory_kib, c.kdf_lanes, kek, sizeof(kek)) == 0);
	expect_hex(r, "kek", kek, sizeof(kek));
	/* decode the stored file, unwrap it, and check the wrap is what the file holds */
	get_hex(r, "config", bytes, sizeof(bytes));
	EXPECT(config_decode(&d, bytes, sizeof(bytes)) == 0);
	get_hex(r, "wrapped_key", c.wrapped_key, CONFIG_WRAPPED_LEN);
	EXPECT(memcmp(&c, &d, sizeof(c)) == 0);
	memset(master, 0, sizeof(master));
	EXPECT(keys_unwrap(&d, pw, strlen(pw), master) == 0);
	expect_hex(r, "master_key", master, sizeof(master));
	EXPECT(config_encode(&c, bytes) == 0);
	expect_hex(r, "config", bytes, sizeof(bytes));
	EXPECT(keys_unwrap(&d, "wrong", 5, master) == -EPERM);
	vfile_free(&f);
}

/* config_v2.txt: record 0 the vault, records 1 ... nslots the slots, the last the file. */
TEST(vectors_config_v2_slots)
{
	struct vfile f;
	struct vrec *r;
	struct config_v2 c, d;
	uint8_t master[32], got[32], kek[32], secret[64], ad[CONFIG_V2_AD_LEN];
	uint8_t bytes[CONFIG_V2_SIZE_MAX], typed[64 + KEYS_SECRET_OVERHEAD];
	char text[RECOVERY_TEXT_LEN + 1];
	const uint8_t *sp;
	size_t slen, n;
	unsigned i;
	int slot;

	if (!vfile_load(&f, "config_v2.txt"))
		return;
	r = &f.rec[0];
	memset(&c, 0, sizeof(c));
	get_hex(r, "master_key", master, sizeof(master));
	get_hex(r, "vault_id", c.vault_id, VAULT_ID_LEN);
	c.cipher = (uint8_t)get_u64(r, "cipher_str");
	c.features = (uint32_t)get_u64(r, "features_str");
	c.block_size = CONFIG_BLOCK_SIZE;
	c.nslots = (uint16_t)get_u64(r, "nslots_str");
	if (!EXPECT(c.nslots == 3 && f.nrec == 5))
		goto out;
	for (i = 0; i < c.nslots; i++) {
		struct config_slot *s = &c.slots[i];

		r = &f.rec[1 + i];
		s->type = (uint8_t)get_u64(r, "type_str");
		s->kdf = s->type == CONFIG_SLOT_PASSWORD ? CONFIG_SLOT_KDF_ARGON2ID
							 : CONFIG_SLOT_KDF_HKDF;
		snprintf(s->label, sizeof(s->label), "%s", get(r, "label_str"));
		s->created = get_u64(r, "created_str");
		s->kdf_time = (uint32_t)get_u64(r, "kdf_time_str");
		s->kdf_memory_kib = (uint32_t)get_u64(r, "kdf_memory_kib_str");
		s->kdf_lanes = (uint32_t)get_u64(r, "kdf_lanes_str");
		get_hex(r, "salt", s->salt, CONFIG_SALT_LEN);
		get_hex(r, "nonce", s->nonce, CONFIG_WRAP_NONCE_LEN);
		if (s->type == CONFIG_SLOT_PASSWORD) {
			sp = (const uint8_t *)get(r, "password_str");
			slen = strlen((const char *)sp);
		} else {
			slen = get_hex(r, "secret", secret, sizeof(secret));
			sp = secret;
		}
		if (s->type == CONFIG_SLOT_RECOVERY) {
			recovery_key_format(sp, text);
			EXPECT(strcmp(text, get(r, "recovery_text_str")) == 0);
			EXPECT(recovery_key_parse(text, strlen(text), got) == 0 && !memcmp(got, sp, 32));
		}
		EXPECTF(keyslot_kek(&c, i, sp, slen, kek) == 0, "slot %u", i);
		expect_hex(r, "kek", kek, sizeof(kek));
		EXPECT(config_v2_slot_ad(&c, i, ad) == 0);
		expect_hex(r, "ad", ad, sizeof(ad));
		EXPECT(keyslot_wrap_fixed(&c, i, master, sp, slen) == 0);
		expect_hex(r, "wrapped_key", s->wrapped, CONFIG_WRAPPED_LEN);
	}
	EXPECT(config_v2_encode(&c, bytes, sizeof(bytes)) == 0);
	r = &f.rec[4];
	expect_hex(r, "config", bytes, config_v2_size(&c));
	/* the stored file decodes to the same config, and each secret unlocks its slot */
	n = get_hex(r, "config", bytes, sizeof(bytes));
	EXPECT(config_v2_decode(&d, bytes, n) == 0 && memcmp(&c, &d, sizeof(c)) == 0);
	for (i = 0; i < d.nslots; i++) {
		r = &f.rec[1 + i];
		if (d.slots[i].type == CONFIG_SLOT_PASSWORD) {
			sp = (const uint8_t *)get(r, "password_str");
			slen = strlen((const char *)sp);
			memcpy(typed, sp, slen);
		} else {
			slen = get_hex(r, "secret", secret, sizeof(secret));
			keys_secret_encode(d.slots[i].type, secret, slen, typed);
			slen += KEYS_SECRET_OVERHEAD;
		}
		memset(got, 0, sizeof(got));
		EXPECTF(keys_unlock_v2(&d, (const char *)typed, slen, got, &slot) == 0 &&
				slot == (int)i && memcmp(got, master, 32) == 0,
			"slot %u", i);
	}
	EXPECT(keys_unlock_v2(&d, "wrong", 5, got, &slot) == -EPERM && slot == -1);
out:
	vfile_free(&f);
}

TEST(vectors_subkeys_and_file_key)
{
	struct vfile f;
	struct vrec *r;
	uint8_t master[32], vid[16], id[16], fk[32];
	struct vault_keys *k;

	if (!vfile_load(&f, "keys.txt"))
		return;
	r = &f.rec[0];
	get_hex(r, "master_key", master, sizeof(master));
	get_hex(r, "vault_id", vid, sizeof(vid));
	get_hex(r, "file_id", id, sizeof(id));
	k = vault_keys_new(master, vid);
	if (EXPECT(k != NULL)) {
		expect_hex(r, "content_key", k->content, CONTENT_KEY_LEN);
		expect_hex(r, "names_key", k->names, NAME_KEY_LEN);
		expect_hex(r, "xattr_names_key", k->xattr_names, NAME_KEY_LEN);
		expect_hex(r, "xattr_values_key", k->xattr_values, CONTENT_KEY_LEN);
		expect_hex(r, "symlinks_key", k->symlinks, CONTENT_KEY_LEN);
		EXPECT(keys_file_key(k, id, fk) == 0);
		expect_hex(r, "file_key", fk, sizeof(fk));
	}
	vault_keys_free(k);
	vfile_free(&f);
}

TEST(vectors_file_header)
{
	struct vfile f;
	uint8_t id[16], h[FILE_HEADER_LEN], got[16];

	if (!vfile_load(&f, "header.txt"))
		return;
	get_hex(&f.rec[0], "file_id", id, sizeof(id));
	header_encode(id, h);
	expect_hex(&f.rec[0], "header", h, sizeof(h));
	EXPECT(header_decode(h, sizeof(h), got) == 0 && memcmp(got, id, 16) == 0);
	vfile_free(&f);
}

/* Check one block record against the file record (key, id, geometry) before it. */
static void check_block(struct aead_ctx *a, const struct block_geom *g, const uint8_t *fk,
			const uint8_t *id, uint64_t plain_size, const struct vrec *r)
{
	static uint8_t pt[MAX_BYTES], stored[MAX_BYTES], back[MAX_BYTES];
	uint8_t nonce[AEAD_MAX_NONCE_LEN], ad[BLOCK_AD_LEN];
	uint64_t n = get_u64(r, "block_str");
	bool final = get_u64(r, "final_str") != 0;
	size_t len = get_hex(r, "plaintext", pt, sizeof(pt)), i;

	EXPECT(final == (n + 1 == block_count(g, plain_size)));
	EXPECT(block_cipher_offset(g, n) == get_u64(r, "offset_str"));
	for (i = 0; i < len; i++) /* the documented plaintext pattern */
		if (!EXPECT(pt[i] == (uint8_t)((n * 4096 + i) * 7 + n)))
			break;
	EXPECT(get_hex(r, "nonce", nonce, sizeof(nonce)) == g->nonce_len);
	block_ad(ad, id, n, final);
	expect_hex(r, "ad", ad, sizeof(ad));
	memcpy(stored, nonce, g->nonce_len);
	EXPECT(aead_seal(a, fk, nonce, ad, sizeof(ad), pt, len, stored + g->nonce_len) == 0);
	expect_hex(r, "stored", stored, g->nonce_len + len + AEAD_TAG_LEN);
	EXPECT(aead_open(a, fk, stored, ad, sizeof(ad), stored + g->nonce_len, len + AEAD_TAG_LEN,
			 back) == 0 &&
	       memcmp(back, pt, len) == 0);
	/* the same block claimed as (not) final fails: the flag is bound */
	block_ad(ad, id, n, !final);
	EXPECT(aead_open(a, fk, stored, ad, sizeof(ad), stored + g->nonce_len, len + AEAD_TAG_LEN,
			 back) == -EBADMSG);
}

TEST(vectors_content_blocks_both_ciphers)
{
	struct vfile f;
	struct aead_ctx *a = NULL;
	struct block_geom g;
	uint8_t fk[32], id[16];
	uint64_t plain_size = 0, got;
	int i, files = 0, blocks = 0, refused_blocks = 0;
	bool refused = false;

	if (!vfile_load(&f, "blocks.txt"))
		return;
	for (i = 0; i < f.nrec; i++) {
		struct vrec *r = &f.rec[i];

		if (has(r, "cipher_str")) { /* a file record starts a new cipher */
			enum aead_alg alg = (enum aead_alg)get_u64(r, "cipher_str");

			aead_ctx_free(a);
			a = NULL;
			if (!(refused = test_alg_refused(alg)))
				EXPECT((a = aead_ctx_new(alg)) != NULL);
			block_geom_init(&g, BLOCK_PLAIN_SIZE, (uint32_t)aead_nonce_len(alg));
			get_hex(r, "file_key", fk, sizeof(fk));
			get_hex(r, "file_id", id, sizeof(id));
			plain_size = get_u64(r, "plain_size_str");
			EXPECT(block_cipher_size(&g, plain_size) == get_u64(r, "cipher_size_str"));
			EXPECT(block_plain_size(&g, get_u64(r, "cipher_size_str"), &got) == 0 &&
			       got == plain_size);
			files++;
		} else if (a) {
			check_block(a, &g, fk, id, plain_size, r);
			blocks++;
		} else if (refused) {
			refused_blocks++;
		}
	}
	EXPECTF(files == 2 && blocks + refused_blocks == 6, "%d files, %d blocks (%d refused)",
		files, blocks, refused_blocks);
	aead_ctx_free(a);
	vfile_free(&f);
}

TEST(vectors_names_and_long_names)
{
	struct vfile f;
	uint8_t key[NAMES_KEY_LEN], diriv[DIRIV_LEN];
	struct buf enc, dec, lname;
	int i, longs = 0;

	if (!vfile_load(&f, "names.txt"))
		return;
	get_hex(&f.rec[0], "names_key", key, sizeof(key));
	get_hex(&f.rec[0], "diriv", diriv, sizeof(diriv));
	buf_init(&enc);
	buf_init(&dec);
	buf_init(&lname);
	for (i = 1; i < f.nrec; i++) {
		const struct vrec *r = &f.rec[i];
		const char *name = get(r, "name_str"), *want = get(r, "encoded_str");

		buf_reset(&enc);
		buf_reset(&dec);
		EXPECT(names_encrypt(key, diriv, name, strlen(name), &enc) == 0);
		expect_str(r, "encoded_str", &enc);
		EXPECT(names_decrypt(key, diriv, want, strlen(want), &dec) == 0);
		EXPECT(dec.len == strlen(name) && memcmp(dec.data, name, dec.len) == 0);
		EXPECT(names_needs_long(enc.len) == has(r, "long_name_str"));
		if (!has(r, "long_name_str"))
			continue;
		buf_reset(&lname);
		EXPECT(names_long_name(want, strlen(want), &lname) == 0);
		expect_str(r, "long_name_str", &lname);
		EXPECT(names_long_verify((char *)lname.data, lname.len, want, strlen(want)) == 0);
		longs++;
	}
	EXPECTF(f.nrec == 7 && longs == 1, "%d records, %d long", f.nrec, longs);
	buf_release(&enc);
	buf_release(&dec);
	buf_release(&lname);
	vfile_free(&f);
}

static void check_symlink_xattr(const struct vrec *r, const struct buf *lower_xname)
{
	enum aead_alg alg = (enum aead_alg)get_u64(r, "cipher_str");
	struct aead_ctx *a = NULL;
	uint8_t skey[32], vkey[32], nonce[AEAD_MAX_NONCE_LEN];
	const char *target = get(r, "target_str"), *value = get(r, "xattr_value_str");
	struct buf out, dec;

	if (test_alg_refused(alg) || !EXPECT((a = aead_ctx_new(alg)) != NULL))
		return;
	buf_init(&out);
	buf_init(&dec);
	get_hex(r, "symlinks_key", skey, sizeof(skey));
	get_hex(r, "xattr_values_key", vkey, sizeof(vkey));
	EXPECT(get_hex(r, "nonce", nonce, sizeof(nonce)) == aead_nonce_len(alg));
	EXPECT(symlink_target_encrypt(a, skey, nonce, target, strlen(target), &out) == 0);
	expect_str(r, "lower_target_str", &out);
	EXPECT(symlink_target_decrypt(a, skey, (char *)out.data, out.len, &dec) == 0);
	EXPECT(dec.len == strlen(target) && memcmp(dec.data, target, dec.len) == 0);
	buf_reset(&out);
	buf_reset(&dec);
	EXPECT(sealed_seal(a, vkey, nonce, lower_xname->data, lower_xname->len,
			   (const uint8_t *)value, strlen(value), &out) == 0);
	expect_hex(r, "lower_xattr_value", out.data, out.len);
	EXPECT(sealed_open(a, vkey, lower_xname->data, lower_xname->len, out.data, out.len,
			   &dec) == 0);
	EXPECT(dec.len == strlen(value) && memcmp(dec.data, value, dec.len) == 0);
	buf_release(&out);
	buf_release(&dec);
	aead_ctx_free(a);
}

TEST(vectors_symlinks_and_xattrs)
{
	struct vfile f;
	uint8_t nkey[NAMES_KEY_LEN];
	struct buf lname, dec;
	const char *xname;
	int i;

	if (!vfile_load(&f, "symlink_xattr.txt"))
		return;
	buf_init(&lname);
	buf_init(&dec);
	get_hex(&f.rec[0], "xattr_names_key", nkey, sizeof(nkey));
	xname = get(&f.rec[0], "xattr_name_str");
	EXPECT(names_xattr_encrypt(nkey, xname, strlen(xname), &lname) == 0);
	expect_str(&f.rec[0], "lower_xattr_name_str", &lname);
	EXPECT(names_xattr_decrypt(nkey, (char *)lname.data, lname.len, &dec) == 0);
	EXPECT(dec.len == strlen(xname) && memcmp(dec.data, xname, dec.len) == 0);
	for (i = 1; i < f.nrec; i++)
		check_symlink_xattr(&f.rec[i], &lname);
	EXPECTF(f.nrec == 3, "%d records", f.nrec);
	buf_release(&lname);
	buf_release(&dec);
	vfile_free(&f);
}

TEST(vectors_key_epochs)
{
	struct epoch_secrets *s = epoch_secrets_new();
	uint8_t master[32], vid[16], kek[32], sk[32], pk[32], v[32], check[16], opened[32];
	uint8_t entry[CONFIG_EPOCH_WRAP_LEN], box[CONFIG_EPOCH_BOX_LEN], id[16], h[20], fk[32];
	uint8_t pt[100], ad[BLOCK_AD_LEN], stored[12 + 100 + 16];
	struct vault_keys *k = NULL;
	struct aead_ctx *a = aead_ctx_new(AEAD_AES256_GCM);
	uint32_t e, he;
	struct vfile f;

	if (!EXPECT(s && a) || !vfile_load(&f, "epochs.txt"))
		goto out_free;
	if (!EXPECT(f.nrec == 5))
		goto out;
	get_hex(&f.rec[0], "master_key", master, sizeof(master));
	get_hex(&f.rec[0], "vault_id", vid, sizeof(vid));
	get_hex(&f.rec[0], "slot_kek", kek, sizeof(kek));
	EXPECT(epoch_box_keypair(kek, sk, pk) == 0);
	expect_hex(&f.rec[0], "box_sk", sk, sizeof(sk));
	expect_hex(&f.rec[0], "box_pk", pk, sizeof(pk));
	s->epoch = 2;
	for (e = 1; e <= 2; e++) {
		const struct vrec *r = &f.rec[e];

		EXPECT(get_u64(r, "epoch_str") == e);
		get_hex(r, "epoch_secret", s->secret[e], 32);
	}
	for (e = 1; e <= 2; e++) {
		EXPECT(epoch_content_key(s, e, vid, v) == 0);
		expect_hex(&f.rec[e], "content_key", v, sizeof(v));
		EXPECT(epoch_check_value(s->secret[e], e, vid, check) == 0);
		expect_hex(&f.rec[e], "check", check, sizeof(check));
	}
	get_hex(&f.rec[3], "table_entry_2_1", entry, sizeof(entry));
	EXPECT(epoch_wrap_entry(s->secret[2], 2, 1, s->secret[1], vid, entry) == 0);
	expect_hex(&f.rec[3], "table_entry_2_1", entry, sizeof(entry));
	/* the sealed box is randomized: it must open to E_2 with the box secret key */
	get_hex(&f.rec[3], "epoch_box_2", box, sizeof(box));
	if (box_seal_supported())
		EXPECT(box_open(pk, sk, box, sizeof(box), opened) == 0 &&
		       memcmp(opened, s->secret[2], 32) == 0);
	else /* the libgcrypt back end (Windows) says so */
		EXPECT(box_open(pk, sk, box, sizeof(box), opened) == -EOPNOTSUPP);
	get_hex(&f.rec[4], "file_id", id, sizeof(id));
	header_encode_epoch(id, 2, h);
	expect_hex(&f.rec[4], "header", h, sizeof(h));
	EXPECT(header_decode_epoch(h, sizeof(h), id, &he) == 0 && he == 2);
	k = vault_keys_new(master, vid);
	EXPECT(k && vault_keys_set_epochs(k, vid, s) == 0 && keys_file_key_epoch(k, 2, id, fk) == 0);
	expect_hex(&f.rec[4], "file_key", fk, sizeof(fk));
	get_hex(&f.rec[4], "plaintext", pt, sizeof(pt));
	get_hex(&f.rec[4], "stored", stored, sizeof(stored));
	block_ad(ad, id, 0, true);
	EXPECT(aead_seal(a, fk, stored, ad, sizeof(ad), pt, sizeof(pt), stored + 12) == 0);
	expect_hex(&f.rec[4], "stored", stored, sizeof(stored));
out:
	vfile_free(&f);
out_free:
	vault_keys_free(k);
	aead_ctx_free(a);
	epoch_secrets_free(s);
}
