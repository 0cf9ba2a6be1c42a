/*
 * Version-2 key-slot administration (admin_slots.h). Owns: the order of an update
 * (unlock with the caller's secret, do the KDF work, then take the config lock, re-read,
 * apply, write atomically, release), the config lock over coord's lock-file protocol, and
 * the crash-safe version-1 -> 2 upgrade. Layouts are format/, wrapping keys/, I/O store/.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/secmem.h"
#include "coord/coord.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "keys/config_any.h"
#include "keys/config_file.h"
#include "keys/epoch.h"
#include "keys/keyslots.h"
#include "names/names.h"
#include "store/store.h"
#include "vault/admin_slots.h"

struct slots_dir {
	struct store *store;
	int rootfd;
};

/* Everything an update needs, on the heap (configs are a few KiB; the master in secmem). */
struct slots_op {
	struct slots_dir d;
	struct config_any cur;   /* as loaded under the lock */
	struct config_any first; /* as loaded to unlock */
	struct config_slot slot; /* the slot being made */
	uint8_t *master;
	struct epoch_secrets *eps; /* of the key epoch at unlock (epoch 0: none) */
	uint8_t *box_sk;           /* box secret key of the slot auth opened */
	int opened; /* index of the slot auth opened */
	struct coord coord;
	struct coord_file lockf;
	bool locked;
};

static int op_new(const char *path, struct slots_op **out)
{
	struct slots_op *o = calloc(1, sizeof(*o));
	int r;

	*out = NULL;
	if (!o)
		return -ENOMEM;
	o->d.rootfd = -1;
	coord_file_init(&o->lockf);
	o->master = secmem_alloc(MASTER_KEY_LEN);
	o->eps = epoch_secrets_new();
	o->box_sk = secmem_alloc(CONFIG_BOX_KEY_LEN);
	if (!o->master || !o->eps || !o->box_sk) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = store_open_dir(path, &o->d.store, &o->d.rootfd)) < 0)
		goto fail;
	*out = o;
	return 0;
fail:
	coord_file_release(&o->lockf);
	secmem_free(o->master);
	epoch_secrets_free(o->eps);
	secmem_free(o->box_sk);
	free(o);
	return r;
}

static void op_unlock(struct slots_op *o)
{
	if (o->locked)
		coord_unlock(&o->coord, &o->lockf, -1, 0, 0);
	o->locked = false;
}

static void op_free(struct slots_op *o)
{
	if (!o)
		return;
	op_unlock(o);
	coord_file_release(&o->lockf);
	/* the root directory handle, only read and used as a parent */
	if (o->d.store && o->d.rootfd >= 0)
		(void)store_close(o->d.store, o->d.rootfd);
	store_free(o->d.store);
	secmem_free(o->master);
	epoch_secrets_free(o->eps);
	secmem_free(o->box_sk);
	secure_wipe(o, sizeof(*o));
	free(o);
}

/*
 * The cross-client config lock: coord's lock-file protocol (O_EXCL create, lease, stale
 * break) on the name derived from "veilfs.conf", whatever mode the vault is mounted in.
 */
static int op_lock(struct slots_op *o)
{
	int r;

	r = coord_init(&o->coord, o->d.store, o->d.rootfd, COORD_LOCKFILES, COORD_FRESH_NONE,
		       COORD_LEASE_MS_DEFAULT);
	if (r < 0)
		return r;
	if ((r = coord_lock(&o->coord, &o->lockf, -1, CONFIG_FILE_NAME, 0, 0, true)) < 0)
		return r;
	o->locked = true;
	return 0;
}

/* Load the config and unwrap the master key and epoch secrets with auth (before the lock). */
static int op_open(struct slots_op *o, const char *auth, size_t authlen)
{
	int r;

	if ((r = config_any_load(o->d.store, o->d.rootfd, &o->first)) < 0)
		return r;
	return config_any_unlock(&o->first, auth, authlen, o->master, &o->opened, o->eps,
				 o->box_sk);
}

/* Under the lock: re-read, and check that it is the same version-2 vault. */
static int op_reload(struct slots_op *o)
{
	const struct config_v2 *a = &o->first.v2, *b = &o->cur.v2;
	int r;

	if ((r = op_lock(o)) < 0)
		return r;
	if ((r = config_any_load(o->d.store, o->d.rootfd, &o->cur)) < 0)
		return r;
	if (o->cur.version != CONFIG_V2_VERSION)
		return -ESTALE;
	/* the key-epochs bit is set by any slot change (box keys); the epoch itself must match */
	if ((a->features | CONFIG_V2_FEATURE_EPOCHS) != (b->features | CONFIG_V2_FEATURE_EPOCHS) ||
	    a->cipher != b->cipher ||
	    a->block_size != b->block_size || a->key_epoch != b->key_epoch ||
	    memcmp(a->vault_id, b->vault_id, VAULT_ID_LEN) != 0)
		return -ESTALE;
	return 0;
}

static int slot_fill(struct config_slot *s, const struct vault_slot_new *n)
{
	memset(s, 0, sizeof(*s));
	if (!config_slot_type_name(n->type) || !config_slot_label_is_valid(n->label) || !n->len)
		return -EINVAL;
	s->type = n->type;
	if (n->type == CONFIG_SLOT_PASSWORD) {
		s->kdf = CONFIG_SLOT_KDF_ARGON2ID;
		s->kdf_time = n->kdf_time;
		s->kdf_memory_kib = n->kdf_memory_kib;
		s->kdf_lanes = n->kdf_lanes;
		if (n->kdf_memory_kib < 8 * n->kdf_lanes)
			return -EINVAL;
	} else {
		s->kdf = CONFIG_SLOT_KDF_HKDF;
		if (n->type == CONFIG_SLOT_RECOVERY && n->len != RECOVERY_KEY_LEN)
			return -EINVAL;
		if (n->type == CONFIG_SLOT_KEYFILE && (n->len < KEYFILE_MIN || n->len > KEYFILE_MAX))
			return -EINVAL;
	}
	s->created = (uint64_t)time(NULL);
	strcpy(s->label, n->label);
	return 0;
}

/*
 * Wrap the master key into slot at of c (its fields set) under secret: with a box key
 * (c gets the key-epochs bit), and in a vault past epoch 0 the current epoch's secret
 * sealed to it (o->eps, from the unlock).
 */
static int op_wrap_slot(struct slots_op *o, struct config_v2 *c, unsigned at,
			const uint8_t *secret, size_t len)
{
	int r;

	c->features |= CONFIG_V2_FEATURE_EPOCHS;
	if ((r = keyslot_wrap(c, at, o->master, secret, len)) < 0)
		return r;
	if (c->key_epoch != o->eps->epoch)
		return -ESTALE;
	if ((r = epoch_seal_slot(c, at, o->eps)) < 0)
		return r;
	o->slot = c->slots[at];
	return 0;
}

/* Make o->slot: fill it from n and wrap the master key under n's secret in config c. */
static int op_make_slot(struct slots_op *o, struct config_v2 *c, unsigned at,
			const struct vault_slot_new *n)
{
	int r;

	if ((r = slot_fill(&c->slots[at], n)) < 0)
		return r;
	return op_wrap_slot(o, c, at, n->secret, n->len);
}

int vault_admin_load(const char *path, struct config_any *c)
{
	struct slots_dir d = { NULL, -1 };
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = store_open_dir(path, &d.store, &d.rootfd)) < 0)
		return r;
	r = config_any_load(d.store, d.rootfd, c);
	/* the root directory handle, only read */
	(void)store_close(d.store, d.rootfd);
	store_free(d.store);
	return r;
}

int vault_admin_create_v2(const char *path, const struct vault_create_params *p,
			  const struct vault_slot_new *slots, unsigned n)
{
	struct slots_op *o = NULL;
	struct config_v2 *c;
	uint8_t diriv[DIRIV_LEN];
	bool wrote_diriv = false;
	unsigned i;
	int r;

	if (n < 1 || n > CONFIG_SLOTS_MAX || !aead_alg_is_valid(p->cipher))
		return -EINVAL;
	if ((r = vault_admin_can_create(path)) < 0)
		return r;
	if ((r = op_new(path, &o)) < 0)
		return r;
	c = &o->cur.v2;
	o->cur.version = CONFIG_V2_VERSION;
	c->features = p->plaintext_names ? CONFIG_FEATURE_PLAINTEXT_NAMES : 0;
	c->cipher = p->cipher;
	c->block_size = CONFIG_BLOCK_SIZE;
	c->key_epoch = 0;
	c->nslots = (uint16_t)n;
	if ((r = random_bytes(c->vault_id, VAULT_ID_LEN)) < 0 ||
	    (r = random_bytes(o->master, MASTER_KEY_LEN)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		r = -EINVAL;
		if (config_v2_find_label(c, slots[i].label) >= 0) /* slots [0, i) are filled */
			goto out;
		if ((r = op_make_slot(o, c, i, &slots[i])) < 0)
			goto out;
	}
	/* As vault_admin_create: the directory IV first, the config (what makes a vault) last. */
	if (!p->plaintext_names) {
		if ((r = random_bytes(diriv, sizeof(diriv))) < 0)
			goto out;
		r = store_write_atomic(o->d.store, o->d.rootfd, NAMES_DIRIV_FILE, diriv,
				       sizeof(diriv), 0444);
		if (r < 0)
			goto out;
		wrote_diriv = true;
	}
	r = config_v2_save(o->d.store, o->d.rootfd, CONFIG_FILE_NAME, c);
out:
	/* undo: r is reported, and a directory IV without a config is no vault */
	if (r < 0 && wrote_diriv)
		(void)store_unlinkat(o->d.store, o->d.rootfd, NAMES_DIRIV_FILE, 0);
	op_free(o);
	return r;
}

int vault_slot_add(const char *path, const char *auth, size_t authlen,
		   const struct vault_slot_new *n)
{
	struct slots_op *o = NULL;
	struct config_v2 *c;
	int r;

	if ((r = op_new(path, &o)) < 0)
		return r;
	if ((r = op_open(o, auth, authlen)) < 0)
		goto out;
	r = -EOPNOTSUPP;
	if (o->first.version != CONFIG_V2_VERSION)
		goto out;
	c = &o->first.v2;
	r = -EEXIST;
	if (config_v2_find_label(c, n->label) >= 0)
		goto out;
	r = -ENOSPC;
	if (c->nslots >= CONFIG_SLOTS_MAX)
		goto out;
	/* The KDF work, outside the lock: the new slot binds only the vault-wide fields. */
	if ((r = op_make_slot(o, c, c->nslots, n)) < 0)
		goto out;
	if ((r = op_reload(o)) < 0)
		goto out;
	c = &o->cur.v2;
	r = -EEXIST;
	if (config_v2_find_label(c, n->label) >= 0)
		goto out;
	r = -ENOSPC;
	if (c->nslots >= CONFIG_SLOTS_MAX)
		goto out;
	c->features |= CONFIG_V2_FEATURE_EPOCHS;
	c->slots[c->nslots++] = o->slot;
	r = config_v2_save(o->d.store, o->d.rootfd, CONFIG_FILE_NAME, c);
out:
	op_free(o);
	return r;
}

/* Remove slot i of c (never the last). */
static void slots_drop(struct config_v2 *c, unsigned i)
{
	memmove(&c->slots[i], &c->slots[i + 1], (c->nslots - i - 1) * sizeof(c->slots[0]));
	c->nslots--;
	secure_wipe(&c->slots[c->nslots], sizeof(c->slots[0]));
}

/*
 * What remove and revoke share: open o with auth, reload the version-2 config under the
 * lock and drop the slot labelled label from it (-ESRCH: none; -EBUSY: the last one;
 * -EOPNOTSUPP: a version-1 vault). The caller saves o->cur.v2.
 */
static int drop_labelled(struct slots_op *o, const char *auth, size_t authlen, const char *label)
{
	struct config_v2 *c;
	int r, i;

	if ((r = op_open(o, auth, authlen)) < 0)
		return r;
	if (o->first.version != CONFIG_V2_VERSION)
		return -EOPNOTSUPP;
	if ((r = op_reload(o)) < 0)
		return r;
	c = &o->cur.v2;
	if ((i = config_v2_find_label(c, label)) < 0)
		return -ESRCH;
	if (c->nslots <= 1)
		return -EBUSY;
	slots_drop(c, (unsigned)i);
	return 0;
}

int vault_slot_remove(const char *path, const char *auth, size_t authlen, const char *label)
{
	struct slots_op *o = NULL;
	int r;

	if ((r = op_new(path, &o)) < 0)
		return r;
	if ((r = drop_labelled(o, auth, authlen, label)) == 0)
		r = config_v2_save(o->d.store, o->d.rootfd, CONFIG_FILE_NAME, &o->cur.v2);
	op_free(o);
	return r;
}

int vault_slot_revoke(const char *path, const char *auth, size_t authlen, const char *label,
		      char *missing_out)
{
	struct slots_op *o = NULL;
	struct config_v2 *c;
	int r, missing = -1;

	if (missing_out)
		missing_out[0] = '\0';
	if ((r = op_new(path, &o)) < 0)
		return r;
	if ((r = drop_labelled(o, auth, authlen, label)) < 0)
		goto out;
	c = &o->cur.v2;
	/* a fresh epoch secret, sealed to every remaining slot: the removed one never sees it */
	r = epoch_rotate(c, o->eps, &missing);
	if (r == -ENOKEY && missing >= 0 && missing_out)
		strcpy(missing_out, c->slots[missing].label);
	if (r < 0)
		goto out;
	r = config_v2_save(o->d.store, o->d.rootfd, CONFIG_FILE_NAME, c);
out:
	op_free(o);
	return r;
}

int vault_slot_rewrap(const char *path, const char *auth, size_t authlen, const char *label,
		      const struct vault_slot_new *n, char *label_out)
{
	struct vault_slot_new m = *n;
	struct slots_op *o = NULL;
	struct config_v2 *c;
	uint64_t created;
	int r, i;

	if ((r = op_new(path, &o)) < 0)
		return r;
	if ((r = op_open(o, auth, authlen)) < 0)
		goto out;
	r = -EOPNOTSUPP;
	if (o->first.version != CONFIG_V2_VERSION)
		goto out;
	c = &o->first.v2;
	i = label ? config_v2_find_label(c, label) : o->opened;
	r = -ESRCH;
	if (i < 0)
		goto out;
	r = -EMEDIUMTYPE;
	if (c->slots[i].type != CONFIG_SLOT_PASSWORD)
		goto out;
	m.type = CONFIG_SLOT_PASSWORD;
	/* A cost of 0 keeps the slot's own. */
	if (!m.kdf_time)
		m.kdf_time = c->slots[i].kdf_time;
	if (!m.kdf_memory_kib)
		m.kdf_memory_kib = c->slots[i].kdf_memory_kib;
	if (!m.kdf_lanes)
		m.kdf_lanes = c->slots[i].kdf_lanes;
	created = c->slots[i].created;
	strcpy(o->slot.label, c->slots[i].label);
	m.label = o->slot.label;
	if ((r = slot_fill(&c->slots[i], &m)) < 0)
		goto out;
	/* The slot keeps its creation time (bound by the wrap, so set before it). */
	c->slots[i].created = created;
	if ((r = op_wrap_slot(o, c, (unsigned)i, m.secret, m.len)) < 0)
		goto out;
	if ((r = op_reload(o)) < 0)
		goto out;
	c = &o->cur.v2;
	r = -ESRCH;
	if ((i = config_v2_find_label(c, o->slot.label)) < 0 ||
	    c->slots[i].type != CONFIG_SLOT_PASSWORD)
		goto out;
	c->features |= CONFIG_V2_FEATURE_EPOCHS;
	c->slots[i] = o->slot;
	if (label_out)
		strcpy(label_out, o->slot.label);
	r = config_v2_save(o->d.store, o->d.rootfd, CONFIG_FILE_NAME, c);
out:
	op_free(o);
	return r;
}

/* Equal encodings (no struct padding compared). */
static bool same_v2(const struct config_v2 *a, const struct config_v2 *b)
{
	uint8_t ea[CONFIG_V2_SIZE_MAX], eb[CONFIG_V2_SIZE_MAX];

	return config_v2_size(a) == config_v2_size(b) &&
	       config_v2_encode(a, ea, sizeof(ea)) == 0 && config_v2_encode(b, eb, sizeof(eb)) == 0 &&
	       memcmp(ea, eb, config_v2_size(a)) == 0;
}

int vault_admin_upgrade(const char *path, const char *auth, size_t authlen, const char *label)
{
	struct vault_slot_new n;
	struct slots_op *o = NULL;
	struct config_v2 *c;
	const struct config *v1;
	uint8_t raw[CONFIG_SIZE], now[CONFIG_SIZE];
	int r;

	if ((r = op_new(path, &o)) < 0)
		return r;
	if ((r = config_any_load(o->d.store, o->d.rootfd, &o->first)) < 0)
		goto out;
	if (o->first.version == CONFIG_V2_VERSION) {
		r = store_unlinkat(o->d.store, o->d.rootfd, CONFIG_V1_BACKUP_FILE, 0);
		r = (r == 0 || r == -ENOENT) ? -EALREADY : r;
		goto out;
	}
	if ((r = config_any_unwrap(&o->first, auth, authlen, o->master, NULL)) < 0)
		goto out;
	v1 = &o->first.v1;
	/* The new config is built beside the version-1 one (o->cur is for the re-read). */
	c = &o->first.v2;
	c->features = v1->features;
	c->cipher = v1->cipher;
	c->block_size = v1->block_size;
	c->key_epoch = 0;
	memcpy(c->vault_id, v1->vault_id, VAULT_ID_LEN);
	c->nslots = 1;
	memset(&n, 0, sizeof(n));
	n.type = CONFIG_SLOT_PASSWORD;
	n.label = label;
	n.secret = (const uint8_t *)auth;
	n.len = authlen;
	n.kdf_time = v1->kdf_time;
	n.kdf_memory_kib = v1->kdf_memory_kib;
	n.kdf_lanes = v1->kdf_lanes;
	if ((r = op_make_slot(o, c, 0, &n)) < 0)
		goto out;
	/* The KDF work is done: under the lock, the file must still be this version-1 one. */
	if ((r = op_lock(o)) < 0)
		goto out;
	if ((r = config_any_load(o->d.store, o->d.rootfd, &o->cur)) < 0)
		goto out;
	/* 1. a copy of the version-1 file; 2. the atomic replace; 3. the copy removed. */
	if ((r = config_encode(v1, raw)) < 0)
		goto out;
	r = -ESTALE;
	if (o->cur.version != CONFIG_VERSION || config_encode(&o->cur.v1, now) < 0 ||
	    memcmp(now, raw, sizeof(raw)) != 0)
		goto out;
	r = store_write_atomic(o->d.store, o->d.rootfd, CONFIG_V1_BACKUP_FILE, raw, sizeof(raw),
			       CONFIG_FILE_MODE);
	if (r < 0)
		goto out;
	if ((r = config_v2_save(o->d.store, o->d.rootfd, CONFIG_FILE_NAME, c)) < 0)
		goto out;
	/* Check what landed before the version-1 copy goes. */
	if ((r = config_any_load(o->d.store, o->d.rootfd, &o->cur)) < 0)
		goto out;
	r = -EIO;
	if (o->cur.version != CONFIG_V2_VERSION || !same_v2(&o->cur.v2, c))
		goto out;
	r = store_unlinkat(o->d.store, o->d.rootfd, CONFIG_V1_BACKUP_FILE, 0);
out:
	op_free(o);
	return r;
}
