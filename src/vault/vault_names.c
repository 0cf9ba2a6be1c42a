/*
 * Plaintext names <-> lower names inside one directory: the directory IV (loading and
 * creation), long-name side files, and plaintext-names mode. The codec itself is in
 * names/; this file adds the I/O around it.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/log.h"
#include "base/secmem.h"
#include "crypto/kdf.h"
#include "vault/vault_internal.h"

/* keys/ and names/ do not include each other: the vault hands one's key to the other. */
static_assert((int)NAME_KEY_LEN == (int)NAMES_KEY_LEN, "name keys are SIV keys");

enum {
	/* A side file holds one encoded name; anything longer is malformed. */
	SIDE_FILE_MAX = 4096,
	/* Readers of a directory another client is creating wait at most this long for its IV. */
	DIRIV_RETRIES = 20,
	DIRIV_RETRY_NS = 5 * 1000 * 1000,
};

void lower_name_init(struct lower_name *ln)
{
	buf_init(&ln->name);
	buf_init(&ln->enc);
	ln->is_long = false;
}

void lower_name_release(struct lower_name *ln)
{
	buf_release(&ln->name);
	buf_release(&ln->enc);
}

static int side_name(const struct lower_name *ln, struct buf *out)
{
	int r;

	if ((r = buf_append(out, ln->name.data, ln->name.len)) < 0)
		return r;
	return buf_append_str(out, NAMES_LONG_SUFFIX);
}

static int read_iv(struct vault *v, struct vnode *dir, uint8_t iv[static DIRIV_LEN])
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r, tries = 0;

	for (;;) {
		r = store_read_file(v->store, dir->fd, NAMES_DIRIV_FILE, DIRIV_LEN + 1, &data, &len);
		if (r != -ENOENT || !vault_lock_is_shared(v) || ++tries >= DIRIV_RETRIES)
			break;
		nanosleep(&(struct timespec){ 0, DIRIV_RETRY_NS }, NULL);
	}
	if (r == -EFBIG)
		r = -EPROTO;
	if (r == 0 && len != DIRIV_LEN)
		r = -EPROTO;
	if (r == 0)
		memcpy(iv, data, DIRIV_LEN);
	if (data) {
		secure_wipe(data, len);
		free(data);
	}
	return r;
}

int vault_dir_iv(struct vault *v, struct vnode *dir, uint8_t iv[static DIRIV_LEN])
{
	char what[VAULT_WHAT_MAX];
	int r = 0;

	pthread_mutex_lock(&dir->mutex);
	if (!dir->have_iv && (r = read_iv(v, dir, dir->diriv)) == 0)
		dir->have_iv = true;
	if (r == 0)
		memcpy(iv, dir->diriv, DIRIV_LEN);
	pthread_mutex_unlock(&dir->mutex);
	if (r < 0) {
		vnode_name(v, dir, what, sizeof(what));
		log_error("cannot read directory IV of '%s': %s", what, strerror(-r));
	}
	return r;
}

/*
 * In a shared mode another client may have removed this directory and made a new one
 * under the same lower name. On a lower client whose inode numbers follow paths (sshfs)
 * that is still the same vnode here, and its cached IV would encrypt and decrypt every
 * name wrongly: read the IV again. *replaced when it changed. An IV that cannot be read
 * now is returned as -errno; callers go on with the IV they have (the operation then fails
 * on its own, or vault_dir_iv() reports it).
 */
int vault_dir_iv_revalidate(struct vault *v, struct vnode *dir, bool *replaced)
{
	uint8_t fresh[DIRIV_LEN];
	int r;

	*replaced = false;
	if (v->plaintext_names || !vault_lock_is_shared(v))
		return 0;
	if ((r = read_iv(v, dir, fresh)) < 0)
		return r;
	pthread_mutex_lock(&dir->mutex);
	if (!dir->have_iv || memcmp(dir->diriv, fresh, DIRIV_LEN) != 0) {
		*replaced = dir->have_iv;
		memcpy(dir->diriv, fresh, DIRIV_LEN);
		dir->have_iv = true;
	}
	pthread_mutex_unlock(&dir->mutex);
	if (*replaced)
		log_info("a directory was replaced by another client: its IV is read again");
	return 0;
}

int vault_dir_iv_create(struct vault *v, int dirfd, uint8_t iv[static DIRIV_LEN])
{
	int r;

	if ((r = random_bytes(iv, DIRIV_LEN)) < 0)
		return r;
	/*
	 * No cross-client lock: the creating client is the one whose mkdirat() succeeded, so
	 * no other client creates this IV, and it appears atomically (temp file + rename);
	 * a client that finds no IV yet retries (diriv_load).
	 */
	return store_write_atomic(v->store, dirfd, NAMES_DIRIV_FILE, iv, DIRIV_LEN, 0444);
}

static int plain_lower_name(struct vault *v, struct vnode *dir, const char *name, size_t len,
			    struct lower_name *out)
{
	if (dir == v->root && strncmp(name, NAMES_RESERVED_PREFIX, strlen(NAMES_RESERVED_PREFIX)) == 0)
		return -EPERM;
	return buf_append(&out->name, name, len);
}

int vault_lower_name(struct vault *v, struct vnode *dir, const char *name, struct lower_name *out)
{
	size_t len = strlen(name);
	uint8_t iv[DIRIV_LEN];
	int r;

	if (len > NAME_PLAIN_MAX)
		return -ENAMETOOLONG;
	if (names_is_invalid_plain(name, len))
		return -EINVAL;
	if (v->plaintext_names)
		return plain_lower_name(v, dir, name, len, out);
	if ((r = vault_dir_iv(v, dir, iv)) < 0)
		return r;
	if ((r = names_encrypt(v->keys->names, iv, name, len, &out->enc)) < 0)
		return r;
	if (!names_needs_long(out->enc.len)) {
		r = buf_append(&out->name, out->enc.data, out->enc.len);
		buf_reset(&out->enc);
		return r;
	}
	out->is_long = true;
	return names_long_name((const char *)out->enc.data, out->enc.len, &out->name);
}

int vault_lower_name_fresh(struct vault *v, struct vnode *dir, const char *name,
			   struct lower_name *out)
{
	bool replaced;

	/* replaced or not, or unreadable (then the IV we have): the name uses the IV now */
	(void)vault_dir_iv_revalidate(v, dir, &replaced);
	return vault_lower_name(v, dir, name, out);
}

int vault_name_prepare(struct vault *v, struct vnode *dir, const struct lower_name *ln,
		       bool *created)
{
	struct buf side;
	struct stat st;
	int r;

	*created = false;
	if (!ln->is_long)
		return 0;
	if (store_fstatat(v->store, dir->fd, (const char *)ln->name.data, &st,
			  STORE_AT_NOFOLLOW) == 0)
		return 0;
	buf_init(&side);
	if ((r = side_name(ln, &side)) == 0)
		r = store_write_atomic(v->store, dir->fd, (const char *)side.data, ln->enc.data,
				       ln->enc.len, 0444);
	if (r == 0)
		*created = true;
	buf_release(&side);
	return r;
}

void vault_name_undo(struct vault *v, struct vnode *dir, const struct lower_name *ln, bool created)
{
	if (created)
		vault_name_forget(v, dir, ln);
}

void vault_name_forget(struct vault *v, struct vnode *dir, const struct lower_name *ln)
{
	struct buf side;

	if (!ln->is_long)
		return;
	buf_init(&side);
	/* best-effort undo: the caller reports its own error, and fsck reports a side file left
	 * over */
	if (side_name(ln, &side) == 0)
		(void)store_unlinkat(v->store, dir->fd, (const char *)side.data, 0);
	buf_release(&side);
}

static int read_side_file(struct vault *v, struct vnode *dir, const char *lname, struct buf *enc)
{
	struct buf side;
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	buf_init(&side);
	if ((r = buf_append_str(&side, lname)) < 0 ||
	    (r = buf_append_str(&side, NAMES_LONG_SUFFIX)) < 0)
		goto out;
	r = store_read_file(v->store, dir->fd, (const char *)side.data, SIDE_FILE_MAX, &data, &len);
	if (r == -EFBIG)
		r = -EPROTO;
	if (r < 0)
		goto out;
	if ((r = names_long_verify(lname, strlen(lname), (const char *)data, len)) < 0)
		goto out;
	r = buf_append(enc, data, len);
out:
	free(data);
	buf_release(&side);
	return r;
}

static int decrypt_encrypted(struct vault *v, struct vnode *dir, const char *lname,
			     struct buf *out)
{
	size_t len = strlen(lname);
	uint8_t iv[DIRIV_LEN];
	struct buf enc;
	int r;

	if (names_is_reserved(lname, len) && !names_is_long(lname, len))
		return 0;
	if ((r = vault_dir_iv(v, dir, iv)) < 0)
		return r;
	if (!names_is_long(lname, len))
		r = names_decrypt(v->keys->names, iv, lname, len, out);
	else {
		buf_init(&enc);
		r = read_side_file(v, dir, lname, &enc);
		if (r == 0)
			r = names_decrypt(v->keys->names, iv, (const char *)enc.data, enc.len, out);
		buf_release(&enc);
	}
	return r < 0 ? r : 1;
}

int vault_decrypt_entry(struct vault *v, struct vnode *dir, const char *lname, struct buf *out)
{
	size_t len = strlen(lname);
	int r;

	if (strcmp(lname, ".") == 0 || strcmp(lname, "..") == 0)
		return buf_append(out, lname, len) < 0 ? -ENOMEM : 1;
	if (v->plaintext_names) {
		if (dir == v->root && names_is_reserved(lname, len))
			return 0;
		return buf_append(out, lname, len) < 0 ? -ENOMEM : 1;
	}
	r = decrypt_encrypted(v, dir, lname, out);
	return r;
}
