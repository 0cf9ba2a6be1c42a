/*
 * Unit tests for key epochs (keys/epoch.c, vault/admin_slots.c vault_slot_revoke, the
 * vault's per-file epoch) on real temporary directories: box keys from each slot's KEK,
 * unlocking through a slot's epoch box, revoke (the removed secret no longer unlocks, new
 * files take header version 2 with the new epoch, old and new files read through every
 * remaining slot, older epochs stay readable after a second revoke), a file of the new
 * epoch that the old epoch's keys cannot open, the refusals (last slot, a slot without a
 * box key), a tampered epoch box, and header version 2 parsing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/bytes.h"
#include "base/secmem.h"
#include "codec/codec.h"
#include "crypto/aead.h"
#include "crypto/box.h"
#include "keys/config_any.h"
#include "keys/config_file.h"
#include "keys/epoch.h"
#include "keys/keys.h"
#include "keys/keyslots.h"
#include "store/store.h"
#include "vault/admin.h"
#include "vault/admin_slots.h"
#include "vault/vault.h"
#include "helpers.h"
#include "test_vault_util.h"
#include "test.h"

#define OWNER "owner password"
#define BOB "bob password"
static const uint8_t recovery[32] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3 };

static struct vault_slot_new pw_slot(const char *label, const char *pw)
{
	struct vault_slot_new n = { CONFIG_SLOT_PASSWORD, label, (const uint8_t *)pw, strlen(pw),
				    1, 8192, 1 };
	return n;
}

/* A plaintext-names vault with slots owner, bob (passwords) and a recovery key. */
static char *make_vault(void)
{
	struct vault_create_params p;
	struct vault_slot_new s[3];
	char *d = test_temp_dir("epoch");

	vault_create_params_init(&p);
	p.plaintext_names = true;
	s[0] = pw_slot("owner", OWNER);
	s[1] = pw_slot("bob", BOB);
	s[2] = (struct vault_slot_new){ CONFIG_SLOT_RECOVERY, "rk", recovery, sizeof(recovery),
					0, 0, 0 };
	if (d && vault_admin_create_v2(d, &p, s, 3) < 0) {
		test_rm_tree(d);
		free(d);
		return NULL;
	}
	return d;
}

/* vault_lookup() in the root of v (the root reference dropped again). */
static int lookup_root(struct vault *v, const char *name, struct vnode **n, struct stat *st)
{
	struct vnode *root = vault_root(v);
	int r = vault_lookup(v, root, name, n, st);

	vnode_unref(v, root);
	return r;
}

/* vault_create() in the root of v. */
static int create_root(struct vault *v, const char *name, const struct vault_caller *who,
		       struct vnode **n, struct stat *st)
{
	struct vnode *root = vault_root(v);
	int r = vault_create(v, root, name, 0644, O_RDWR | O_CREAT, who, n, st, NULL);

	vnode_unref(v, root);
	return r;
}

static size_t rk_secret(char *buf)
{
	keys_secret_encode(CONFIG_SLOT_RECOVERY, recovery, sizeof(recovery), (uint8_t *)buf);
	return sizeof(recovery) + KEYS_SECRET_OVERHEAD;
}

/* Write (data != NULL) or read back and compare /name through a vault opened with pw. */
static int file_op(const char *dir, const char *pw, size_t pwlen, const char *name,
		   const char *data, const char *want)
{
	struct vault_options o = { 0 };
	struct vault_caller who = { getuid(), getgid() };
	struct vault *v = NULL;
	struct vnode *n = NULL;
	struct stat st;
	char buf[256];
	ssize_t got;
	int r;

	if ((r = vault_open(dir, pw, pwlen, &o, &v)) < 0)
		return r;
	if (data) {
		r = create_root(v, name, &who, &n, &st);
		if (r == 0 && (got = vault_write(v, n, data, strlen(data), 0, false, NULL)) < 0)
			r = (int)got;
	} else {
		r = lookup_root(v, name, &n, &st);
		if (r == 0 && (r = vault_open_file(v, n, O_RDONLY)) == 0) {
			got = vault_read(v, n, buf, sizeof(buf) - 1, 0);
			r = got < 0 ? (int)got : 0;
			if (r == 0 && ((size_t)got != strlen(want) || memcmp(buf, want, (size_t)got)))
				r = -EILSEQ;
		}
	}
	if (n) {
		if (vault_release_file(v, n) < 0 && r == 0)
			r = -EIO;
		vnode_unref(v, n);
	}
	vault_close(v);
	return r;
}

/* The 20-byte lower header of dir/name (plaintext names). */
static int lower_header(const char *dir, const char *name, uint8_t h[static 20])
{
	char path[512];
	FILE *f;
	size_t got;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "rb")))
		return -errno;
	got = fread(h, 1, 20, f);
	fclose(f);
	return got == 20 ? 0 : -EIO;
}

TEST(epoch_revoke_new_files_take_the_new_epoch)
{
	char *d = make_vault(), rk[64], missing[CONFIG_SLOT_LABEL_MAX + 1];
	size_t rklen = rk_secret(rk);
	struct config_any c;
	uint8_t h[20];

	EXPECT(d != NULL);
	if (!d)
		return;
	EXPECT(file_op(d, OWNER, strlen(OWNER), "old", "before the revoke", NULL) == 0);
	EXPECT(lower_header(d, "old", h) == 0 && get_be16(h + 2) == 1);
	EXPECT(vault_admin_load(d, &c) == 0 && c.v2.key_epoch == 0 &&
	       (c.v2.features & CONFIG_V2_FEATURE_EPOCHS) &&
	       c.v2.slots[1].box_flags == CONFIG_SLOT_HAS_BOX_KEY);
	EXPECT(vault_slot_revoke(d, OWNER, strlen(OWNER), "bob", missing) == 0);
	EXPECT(vault_admin_load(d, &c) == 0 && c.v2.key_epoch == 1 && c.v2.nslots == 2 &&
	       config_v2_find_label(&c.v2, "bob") < 0);
	EXPECT(c.v2.slots[0].box_flags == (CONFIG_SLOT_HAS_BOX_KEY | CONFIG_SLOT_HAS_EPOCH));
	/* the revoked secret no longer unlocks */
	EXPECT(file_op(d, BOB, strlen(BOB), "old", NULL, "before the revoke") == -EPERM);
	/* new files: header version 2, epoch 1 in the file id */
	EXPECT(file_op(d, OWNER, strlen(OWNER), "new", "after the revoke", NULL) == 0);
	EXPECT(lower_header(d, "new", h) == 0 && get_be16(h + 2) == 2 && get_be32(h + 4) == 1);
	/* both read through the owner and through the recovery slot's epoch box */
	EXPECT(file_op(d, OWNER, strlen(OWNER), "old", NULL, "before the revoke") == 0);
	EXPECT(file_op(d, OWNER, strlen(OWNER), "new", NULL, "after the revoke") == 0);
	EXPECT(file_op(d, rk, rklen, "old", NULL, "before the revoke") == 0);
	EXPECT(file_op(d, rk, rklen, "new", NULL, "after the revoke") == 0);
	/* a second revoke: epoch 1's file stays readable through the epoch table */
	EXPECT(vault_slot_add(d, OWNER, strlen(OWNER), &(struct vault_slot_new){
		CONFIG_SLOT_PASSWORD, "carol", (const uint8_t *)BOB, strlen(BOB), 1, 8192, 1 }) == 0);
	EXPECT(file_op(d, BOB, strlen(BOB), "new", NULL, "after the revoke") == 0);
	EXPECT(vault_slot_revoke(d, rk, rklen, "carol", missing) == 0);
	EXPECT(vault_admin_load(d, &c) == 0 && c.v2.key_epoch == 2);
	EXPECT(file_op(d, OWNER, strlen(OWNER), "new2", "epoch two", NULL) == 0);
	EXPECT(lower_header(d, "new2", h) == 0 && get_be16(h + 2) == 2 && get_be32(h + 4) == 2);
	EXPECT(file_op(d, OWNER, strlen(OWNER), "new", NULL, "after the revoke") == 0);
	EXPECT(file_op(d, rk, rklen, "old", NULL, "before the revoke") == 0);
	EXPECT(file_op(d, rk, rklen, "new2", NULL, "epoch two") == 0);
	EXPECT(file_op(d, BOB, strlen(BOB), "new", NULL, "after the revoke") == -EPERM);
	/* the last slots: one more revoke is fine, the last is refused */
	EXPECT(vault_slot_revoke(d, OWNER, strlen(OWNER), "rk", missing) == 0);
	EXPECT(vault_slot_revoke(d, OWNER, strlen(OWNER), "owner", missing) == -EBUSY);
	EXPECT(vault_slot_revoke(d, OWNER, strlen(OWNER), "nobody", missing) == -ESRCH);
	EXPECT(file_op(d, OWNER, strlen(OWNER), "new", NULL, "after the revoke") == 0);
	test_rm_tree(d);
	free(d);
}

/* Open block 0 of dir/name with the per-file key of epoch e from keys k. */
static int open_block0(const char *dir, const char *name, const struct vault_keys *k, uint32_t e)
{
	uint8_t raw[512], fk[FILE_KEY_LEN], id[FILE_ID_LEN], plain[4096];
	struct block_geom g;
	struct codec cd = { 0 };
	char path[512];
	uint32_t he;
	size_t plen;
	FILE *f;
	size_t got;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "rb")))
		return -errno;
	got = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	if (got <= FILE_HEADER_LEN || header_decode_epoch(raw, FILE_HEADER_LEN, id, &he) < 0)
		return -EPROTO;
	if ((r = keys_file_key_epoch(k, e, id, fk)) < 0)
		return r;
	block_geom_init(&g, CONFIG_BLOCK_SIZE, AEAD_GCM_NONCE_LEN);
	cd.geom = &g;
	cd.aead = aead_ctx_new(AEAD_AES256_GCM);
	cd.file_id = id;
	cd.key = fk;
	r = codec_open(&cd, 0, true, raw + FILE_HEADER_LEN, got - FILE_HEADER_LEN, plain, &plen);
	aead_ctx_free(cd.aead);
	return r;
}

TEST(epoch_old_keys_cannot_open_a_new_file)
{
	char *d = make_vault(), missing[CONFIG_SLOT_LABEL_MAX + 1];
	uint8_t *master = secmem_alloc(MASTER_KEY_LEN);
	struct vault_keys *old = NULL, *now = NULL;
	struct store *s = NULL;
	struct config_any c;
	struct config view;
	int root = -1;

	EXPECT(d != NULL && master != NULL);
	if (!d || !master)
		goto out;
	EXPECT(file_op(d, OWNER, strlen(OWNER), "old", "epoch zero", NULL) == 0);
	/* what bob keeps: the master key, and so every epoch-0 key */
	EXPECT(vault_admin_load(d, &c) == 0);
	EXPECT(config_any_unwrap(&c, BOB, strlen(BOB), master, NULL) == 0);
	config_any_view(&c, &view);
	old = vault_keys_new(master, view.vault_id);
	EXPECT(old != NULL && old->epoch == 0);
	EXPECT(vault_slot_revoke(d, OWNER, strlen(OWNER), "bob", missing) == 0);
	EXPECT(file_op(d, OWNER, strlen(OWNER), "new", "epoch one", NULL) == 0);
	EXPECT(old && open_block0(d, "old", old, 0) == 0);
	/* the new file's epoch is not among the old keys; its block under epoch 0 fails */
	EXPECT(old && open_block0(d, "new", old, 1) == -ENOKEY);
	EXPECT(old && open_block0(d, "new", old, 0) == -EBADMSG);
	/* the remaining owner's unlock has it */
	EXPECT(store_posix_new(d, &s, &root) == 0);
	EXPECT(keys_unlock(s, root, OWNER, strlen(OWNER), &view, &now) == 0 && now->epoch == 1);
	EXPECT(now && open_block0(d, "new", now, 1) == 0);
	EXPECT(now && open_block0(d, "old", now, 0) == 0);
	vault_keys_free(now);
	(void)store_close(s, root);
	store_free(s);
out:
	vault_keys_free(old);
	secmem_free(master);
	if (d)
		test_rm_tree(d);
	free(d);
}

TEST(epoch_revoke_refused_without_box_keys)
{
	char *d = make_vault(), missing[CONFIG_SLOT_LABEL_MAX + 1];
	struct store *s = NULL;
	struct config_any c;
	int root = -1;

	EXPECT(d != NULL);
	if (!d)
		return;
	/* slot "rk" as a slot made before box keys: no flags, no key */
	EXPECT(vault_admin_load(d, &c) == 0);
	c.v2.slots[2].box_flags = 0;
	memset(c.v2.slots[2].box_pk, 0, CONFIG_BOX_KEY_LEN);
	EXPECT(store_posix_new(d, &s, &root) == 0);
	EXPECT(config_v2_save(s, root, "veilfs.conf", &c.v2) == 0);
	EXPECT(vault_slot_revoke(d, OWNER, strlen(OWNER), "bob", missing) == -ENOKEY);
	EXPECT(!strcmp(missing, "rk"));
	EXPECT(vault_admin_load(d, &c) == 0 && c.v2.key_epoch == 0 && c.v2.nslots == 3);
	/* revoking that very slot is fine: every remaining one has a box key */
	EXPECT(vault_slot_revoke(d, OWNER, strlen(OWNER), "rk", missing) == 0);
	EXPECT(vault_admin_load(d, &c) == 0 && c.v2.key_epoch == 1 && c.v2.nslots == 2);
	(void)store_close(s, root);
	store_free(s);
	test_rm_tree(d);
	free(d);
}

TEST(epoch_unlock_through_the_epoch_box)
{
	char *d = make_vault(), missing[CONFIG_SLOT_LABEL_MAX + 1], rk[64];
	size_t rklen = rk_secret(rk);
	uint8_t *master = secmem_alloc(MASTER_KEY_LEN), sk[32], pk[32], e1[32];
	struct epoch_secrets *a = epoch_secrets_new(), *b = epoch_secrets_new();
	struct config_any c;
	int slot = -1;

	EXPECT(d && master && a && b);
	if (!d || !master || !a || !b)
		goto out;
	EXPECT(vault_slot_revoke(d, OWNER, strlen(OWNER), "bob", missing) == 0);
	EXPECT(vault_admin_load(d, &c) == 0 && c.v2.key_epoch == 1);
	EXPECT(config_any_unlock(&c, OWNER, strlen(OWNER), master, &slot, a, sk) == 0 &&
	       slot == 0 && a->epoch == 1);
	/* the slot's box key is X25519 of the secret key it unlocked with */
	EXPECT(box_public_key(sk, pk) == 0 && memcmp(pk, c.v2.slots[0].box_pk, 32) == 0);
	EXPECT(config_any_unlock(&c, rk, rklen, master, &slot, b, NULL) == 0 && slot == 1 &&
	       b->epoch == 1 && memcmp(a->secret[1], b->secret[1], 32) == 0);
	memcpy(e1, a->secret[1], 32);
	/* a box sealed to the slot by anyone but not matching the check value: refused */
	EXPECT(box_seal(c.v2.slots[1].box_pk, (const uint8_t *)"forged epoch secret, 32 bytes..",
			32, c.v2.slots[1].epoch_box) == 0);
	EXPECT(config_any_unlock(&c, rk, rklen, master, &slot, b, NULL) == -EBADMSG &&
	       slot == -1 && test_all_zero(master, MASTER_KEY_LEN));
	/* a flipped box byte: refused, no crash */
	EXPECT(vault_admin_load(d, &c) == 0);
	c.v2.slots[0].epoch_box[40] ^= 1;
	EXPECT(config_any_unlock(&c, OWNER, strlen(OWNER), master, &slot, a, NULL) == -EBADMSG);
	/* a second epoch: the table gives E_1 back */
	EXPECT(vault_slot_revoke(d, OWNER, strlen(OWNER), "rk", missing) == 0);
	EXPECT(vault_admin_load(d, &c) == 0 && c.v2.key_epoch == 2);
	EXPECT(config_any_unlock(&c, OWNER, strlen(OWNER), master, &slot, a, NULL) == 0 &&
	       a->epoch == 2 && memcmp(a->secret[1], e1, 32) == 0 &&
	       memcmp(a->secret[2], e1, 32) != 0);
	c.v2.epoch_table[0][20] ^= 1;
	EXPECT(config_any_unlock(&c, OWNER, strlen(OWNER), master, &slot, a, NULL) == -EBADMSG);
out:
	epoch_secrets_free(a);
	epoch_secrets_free(b);
	secmem_free(master);
	if (d)
		test_rm_tree(d);
	free(d);
}

TEST(epoch_header_version_2)
{
	uint8_t id[FILE_ID_LEN], got[FILE_ID_LEN], h[FILE_HEADER_LEN];
	uint32_t e = 99;
	unsigned i;

	for (i = 0; i < FILE_ID_LEN; i++)
		id[i] = (uint8_t)(0xa0 + i);
	header_encode_epoch(id, 0, h);
	EXPECT(get_be16(h + 2) == 1);
	EXPECT(header_decode_epoch(h, sizeof(h), got, &e) == 0 && e == 0 && !memcmp(got, id, 16));
	header_id_set_epoch(id, 7);
	EXPECT(get_be32(id) == 7 && id[4] == 0xa4);
	header_encode_epoch(id, 7, h);
	EXPECT(get_be16(h) == 0x5646 && get_be16(h + 2) == 2 && !memcmp(h + 4, id, 16));
	EXPECT(header_decode_epoch(h, sizeof(h), got, &e) == 0 && e == 7 && !memcmp(got, id, 16));
	/* version 1 readers of header_decode refuse a version-2 header */
	EXPECT(header_decode(h, sizeof(h), got) == -EPROTO && test_all_zero(got, 16));
	/* version 2 with epoch 0 (one encoding per epoch), version 3, short */
	put_be32(h + 4, 0);
	EXPECT(header_decode_epoch(h, sizeof(h), got, &e) == -EPROTO && e == 0);
	put_be32(h + 4, 7);
	put_be16(h + 2, 3);
	EXPECT(header_decode_epoch(h, sizeof(h), got, &e) == -EPROTO);
	put_be16(h + 2, 2);
	EXPECT(header_decode_epoch(h, sizeof(h) - 1, got, &e) == -EPROTO);
}

/* Create /name with data through the open vault v. */
static int put_open(struct vault *v, const char *name, const char *data)
{
	struct vault_caller who = { getuid(), getgid() };
	struct vnode *n = NULL;
	struct stat st;
	ssize_t got;
	int r;

	r = create_root(v, name, &who, &n, &st);
	if (r < 0)
		return r;
	got = vault_write(v, n, data, strlen(data), 0, false, NULL);
	if (vault_release_file(v, n) < 0 && got >= 0)
		got = -EIO;
	vnode_unref(v, n);
	return got < 0 ? (int)got : 0;
}

/* Read /name through the open vault v and compare with want. */
static int get_open(struct vault *v, const char *name, const char *want)
{
	struct vnode *n = NULL;
	struct stat st;
	char buf[128];
	ssize_t got;
	int r;

	if ((r = lookup_root(v, name, &n, &st)) < 0)
		return r;
	if ((r = vault_open_file(v, n, O_RDONLY)) == 0) {
		got = vault_read(v, n, buf, sizeof(buf), 0);
		r = got < 0 ? (int)got : ((size_t)got == strlen(want) && !memcmp(buf, want, (size_t)got)) ? 0 : -EILSEQ;
		if (vault_release_file(v, n) < 0 && r == 0)
			r = -EIO;
	}
	vnode_unref(v, n);
	return r;
}

TEST(epoch_live_vaults_pick_up_a_revoke)
{
	char *d = make_vault(), missing[CONFIG_SLOT_LABEL_MAX + 1], rk[64];
	size_t rklen = rk_secret(rk);
	struct vault_options o = { 0 };
	struct vault *a = NULL, *b = NULL;
	uint8_t h[20];

	EXPECT(d != NULL);
	if (!d)
		return;
	/* a: the owner's live vault, b: bob's, both open before the revoke */
	EXPECT(vault_open(d, OWNER, strlen(OWNER), &o, &a) == 0);
	EXPECT(vault_open(d, BOB, strlen(BOB), &o, &b) == 0);
	if (!a || !b)
		goto out;
	EXPECT(put_open(a, "before", "epoch 0") == 0);
	EXPECT(vault_slot_revoke(d, rk, rklen, "bob", missing) == 0);
	/* the owner's vault takes epoch 1 for its next new file, without a reopen */
	EXPECT(put_open(a, "after", "epoch 1") == 0);
	EXPECT(lower_header(d, "after", h) == 0 && get_be16(h + 2) == 2 && get_be32(h + 4) == 1);
	EXPECT(get_open(a, "before", "epoch 0") == 0 && get_open(a, "after", "epoch 1") == 0);
	/* bob's vault cannot have epoch 1: it reads the old file, not the new one, and its
	 * new files stay under epoch 0 (which the others read) */
	tv_log_capture(true);
	EXPECT(get_open(b, "before", "epoch 0") == 0);
	EXPECT(get_open(b, "after", "epoch 1") == -EIO);
	EXPECT(put_open(b, "from-bob", "still epoch 0") == 0);
	EXPECT(tv_log_count() >= 2);
	tv_log_capture(false);
	EXPECT(lower_header(d, "from-bob", h) == 0 && get_be16(h + 2) == 1);
	EXPECT(get_open(a, "from-bob", "still epoch 0") == 0);
out:
	if (a)
		vault_close(a);
	if (b)
		vault_close(b);
	test_rm_tree(d);
	free(d);
}

TEST(epoch_rekey_file_moves_an_old_file_to_the_current_epoch)
{
	char *d = make_vault(), missing[CONFIG_SLOT_LABEL_MAX + 1];
	struct vault_options o = { 0 };
	enum vault_rekey_result res;
	struct vault *v = NULL;
	struct vnode *n = NULL;
	struct stat st;
	uint8_t h[20];
	unsigned removed = 0;

	EXPECT(d != NULL);
	if (!d)
		return;
	EXPECT(file_op(d, OWNER, strlen(OWNER), "old", "sealed under epoch 0", NULL) == 0);
	EXPECT(vault_slot_revoke(d, OWNER, strlen(OWNER), "bob", missing) == 0);
	EXPECT(vault_open(d, OWNER, strlen(OWNER), &o, &v) == 0);
	if (!v)
		goto out;
	EXPECT(vault_key_epoch(v) == 1);
	EXPECT(lookup_root(v, "old", &n, &st) == 0);
	EXPECT(n && vault_open_file(v, n, O_RDWR) == 0);
	EXPECT(n && vault_rekey_file(v, n, &res) == 0 && res == VAULT_REKEY_DONE);
	EXPECT(n && vault_release_file(v, n) == 0);
	if (n)
		vnode_unref(v, n);
	n = NULL;
	EXPECT(lower_header(d, "old", h) == 0 && get_be16(h + 2) == 2 && get_be32(h + 4) == 1);
	EXPECT(get_open(v, "old", "sealed under epoch 0") == 0);
	/* again: at the current epoch, left alone */
	EXPECT(lookup_root(v, "old", &n, &st) == 0);
	EXPECT(n && vault_open_file(v, n, O_RDWR) == 0);
	EXPECT(n && vault_rekey_file(v, n, &res) == 0 && res == VAULT_REKEY_CURRENT);
	EXPECT(n && vault_release_file(v, n) == 0);
	if (n)
		vnode_unref(v, n);
	n = vault_root(v);
	EXPECT(vault_rekey_clean(v, n, &removed) == 0 && removed == 0);
	vnode_unref(v, n);
	vault_close(v);
	/* the revoked slot's old keys (epoch 0) no longer open it: only epoch 1 does */
	EXPECT(file_op(d, OWNER, strlen(OWNER), "old", NULL, "sealed under epoch 0") == 0);
out:
	test_rm_tree(d);
	free(d);
}

TEST(epoch_rewrap_and_add_after_a_revoke_get_the_epoch)
{
	char *d = make_vault(), missing[CONFIG_SLOT_LABEL_MAX + 1], label[CONFIG_SLOT_LABEL_MAX + 1];
	struct vault_slot_new n = pw_slot("owner", "new owner password");
	struct vault_slot_new dave = pw_slot("dave", "dave password");
	struct config_any c;
	int i;

	EXPECT(d != NULL);
	if (!d)
		return;
	EXPECT(vault_slot_revoke(d, OWNER, strlen(OWNER), "bob", missing) == 0);
	EXPECT(file_op(d, OWNER, strlen(OWNER), "e1", "epoch one", NULL) == 0);
	/* passwd: a new KEK, so a new box key, and E_1 sealed to it again */
	EXPECT(vault_slot_rewrap(d, OWNER, strlen(OWNER), NULL, &n, label) == 0 &&
	       !strcmp(label, "owner"));
	EXPECT(vault_admin_load(d, &c) == 0 && (i = config_v2_find_label(&c.v2, "owner")) >= 0 &&
	       c.v2.slots[i].box_flags == (CONFIG_SLOT_HAS_BOX_KEY | CONFIG_SLOT_HAS_EPOCH));
	EXPECT(file_op(d, OWNER, strlen(OWNER), "e1", NULL, "epoch one") == -EPERM);
	EXPECT(file_op(d, "new owner password", 18, "e1", NULL, "epoch one") == 0);
	/* key add at epoch 1: the new slot reads the files of epoch 1 */
	EXPECT(vault_slot_add(d, "new owner password", 18, &dave) == 0);
	EXPECT(file_op(d, "dave password", 13, "e1", NULL, "epoch one") == 0);
	test_rm_tree(d);
	free(d);
}
