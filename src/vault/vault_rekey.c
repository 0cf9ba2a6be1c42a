/*
 * Re-encryption of a file under the vault's current key epoch (vault.h, vault_rekey_file;
 * docs/CLI.md "rekey"). Under the file's whole-range locks (this client's range lock and
 * the cross-client block locks a shared mount takes), every block is opened with the old
 * per-file key and sealed again under a new file id of the current epoch into a temporary
 * file beside it (veilfs.rekey.<random>), which is fsynced and given the old file's mode,
 * times and lower extended attributes (sealed by name, not by file id: copied as they are).
 * Then the old file is marked (rekey_mark.c: a record appended that gives it a size no
 * cipher file has, fsynced), so that a handle a live mount holds on it fails with EIO from
 * then on instead of writing where nobody will read, and only then is the new file renamed
 * over the old name. A kill before the mark leaves the old file and a temporary file the
 * rerun removes; a kill between the mark and the rename leaves the old file whole under
 * its mark, which the rerun cuts off before it starts that file anew; a kill after the
 * rename leaves the new file. Holes stay holes. A file with more than one lower link is
 * left alone (a rename would split the links).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/buf.h"
#include "base/log.h"
#include "base/secmem.h"
#include "crypto/kdf.h"
#include "keys/keys.h"
#include "store/store.h"
#include "vault/rekey_mark.h"
#include "vault/vault_internal.h"

/* The temporary file of a rekey beside the file it replaces. */
static int tmp_open(struct vault *v, int dirfd, mode_t mode, char *name, size_t size)
{
	uint8_t rnd[8];
	int r;

	if ((r = random_bytes(rnd, sizeof(rnd))) < 0)
		return r;
	snprintf(name, size, "%s%02x%02x%02x%02x%02x%02x%02x%02x", VAULT_REKEY_TMP_PREFIX, rnd[0],
		 rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	return store_openat(v->store, dirfd, name, STORE_RDWR | STORE_CREAT | STORE_EXCL,
			    (mode & 07777) | 0600);
}

/* Copy the lower extended attributes of fd to tfd as they are. */
static int copy_xattrs(struct vault *v, int fd, int tfd)
{
	char *names = NULL, *p;
	uint8_t *val = malloc(65536 + 64);
	ssize_t n, m;
	int r = -ENOMEM;

	if (!val)
		goto out;
	if ((n = store_flistxattr(v->store, fd, NULL, 0)) <= 0) {
		r = n == -ENOTSUP || n == 0 ? 0 : (int)n;
		goto out;
	}
	if (!(names = malloc((size_t)n)) || (n = store_flistxattr(v->store, fd, names, (size_t)n)) < 0) {
		r = names ? (int)n : -ENOMEM;
		goto out;
	}
	for (p = names; p < names + n; p += strlen(p) + 1) {
		if ((m = store_fgetxattr(v->store, fd, p, val, 65536 + 64)) < 0) {
			r = (int)m;
			goto out;
		}
		if ((r = store_fsetxattr(v->store, tfd, p, val, (size_t)m, 0)) < 0)
			goto out;
	}
	r = 0;
out:
	free(names);
	free(val);
	return r;
}

/* Seal block n (plain, len bytes) with the new codec into the temporary file. */
static int put_block(struct fileop *op, struct codec *nc, int tfd, uint64_t n, bool final,
		     const uint8_t *plain, size_t len, uint8_t *out)
{
	int r;

	if ((r = codec_seal(nc, n, final, plain, len, out)) < 0)
		return r;
	return store_pwrite_full(op->v->store, tfd, out, len + op->v->geom.overhead,
				 block_cipher_offset(&op->v->geom, n));
}

/* Every block of op's file, opened with the old key and sealed with nc into tfd. */
static int copy_blocks(struct fileop *op, struct codec *nc, int tfd)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t count = block_count(g, op->psize), n;
	uint8_t *stored = malloc(g->cipher_size), *plain = secmem_alloc(g->plain_size);
	uint8_t *out = malloc(g->cipher_size);
	size_t plen;
	ssize_t got;
	int r = -ENOMEM;

	if (!stored || !plain || !out)
		goto out;
	for (n = 0; n < count; n++) {
		bool final = n + 1 == count;

		got = fileop_pread(op, stored, g->cipher_size, block_cipher_offset(g, n));
		if ((r = got < 0 ? (int)got : 0) < 0)
			goto out;
		if (codec_is_hole(&op->b, final, stored, (size_t)got))
			continue; /* a hole stays a hole (the size is set at the end) */
		r = fileop_open_block(op, n, final, stored, (size_t)got, plain, &plen);
		if (r < 0 || (r = put_block(op, nc, tfd, n, final, plain, plen, out)) < 0)
			goto out;
	}
	r = store_ftruncate(op->v->store, tfd, op->csize);
out:
	free(stored);
	free(out);
	secmem_free(plain);
	return r;
}

/* The new file: header of the current epoch, blocks, size, attributes, fsync. */
static int write_new(struct fileop *op, int tfd)
{
	uint8_t id[FILE_ID_LEN], hdr[FILE_HEADER_LEN], *key = secmem_alloc(FILE_KEY_LEN);
	uint32_t e = vault_keys_epoch(op->v->keys);
	struct codec nc = { .geom = &op->v->geom, .aead = op->b.aead, .file_id = id };
	int r = -ENOMEM;

	if (!key)
		goto out;
	nc.key = key;
	if ((r = random_bytes(id, sizeof(id))) < 0)
		goto out;
	header_id_set_epoch(id, e);
	if ((r = keys_file_key_epoch(op->v->keys, e, id, key)) < 0)
		goto out;
	header_encode_epoch(id, e, hdr);
	if ((r = store_pwrite_full(op->v->store, tfd, hdr, sizeof(hdr), 0)) < 0 ||
	    (r = copy_blocks(op, &nc, tfd)) < 0 || (r = copy_xattrs(op->v, op->fd, tfd)) < 0)
		goto out;
	r = store_fsync(op->v->store, tfd, false);
out:
	secmem_free(key);
	return r;
}

/*
 * Test hook: VEILFS_TEST_REKEY_KILL=POINT[:N] kills this process (as kill -9 would: no
 * clean-up) the N-th time (default 1) a rekey reaches POINT: "written" (the temporary file
 * complete and fsynced, the old file untouched), "marked" (the old file marked, not yet
 * replaced) or "renamed" (the new file in place, the old one not yet cut). tests/cli/revoke.sh.
 */
static void kill_point(const char *point)
{
	static unsigned reached;
	const char *e = getenv("VEILFS_TEST_REKEY_KILL");
	size_t len = strlen(point);
	unsigned long nth;

	if (!e || strncmp(e, point, len) != 0 || (e[len] != '\0' && e[len] != ':'))
		return;
	nth = e[len] == ':' ? strtoul(e + len + 1, NULL, 10) : 1;
	if (++reached != nth)
		return;
	fflush(NULL);
#ifdef SIGKILL
	(void)raise(SIGKILL);
#endif
	_Exit(137);
}

/*
 * After the rename the marked old file is gone from its name, but a live mount may still
 * hold it open: the mark makes that handle fail already; cutting the file to 1 byte (also
 * a size no cipher file has, docs/FORMAT.md "Content blocks") frees its blocks at once.
 * Only when the name now holds another file and the old one has no other link; best
 * effort: the new file is in place whatever happens here.
 */
static void retire_old(struct fileop *op, struct vnode *parent, const char *lname)
{
	struct stat old, now;
	struct store *s = op->v->store;

	if (store_fstat(s, op->fd, &old) < 0 || old.st_nlink > 1 ||
	    store_fstatat(s, parent->fd, lname, &now, STORE_AT_NOFOLLOW) < 0 ||
	    (now.st_dev == old.st_dev && now.st_ino == old.st_ino))
		return;
	(void)store_ftruncate(s, op->fd, 1);
}

/* The temporary file tmp (complete, fsynced) gets the old file's mode and times. */
static int tmp_finish(struct vault *v, struct vnode *parent, const char *tmp, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int r;

	if ((r = store_fchmodat(v->store, parent->fd, tmp, st->st_mode & 07777, 0)) < 0)
		return r;
	return store_utimensat(v->store, parent->fd, tmp, ts, 0);
}

/* Mark the old file, then rename tmp over it; on failure the old file is whole again. */
static int replace_old(struct fileop *op, struct vnode *parent, const char *lname, const char *tmp,
		       const struct stat *st)
{
	struct rekey_mark m = { .size = op->csize, .times = { st->st_atim, st->st_mtim } };
	struct store *s = op->v->store;
	int r;

	if ((r = rekey_mark_set(op, st)) < 0)
		return r;
	kill_point("marked");
	if ((r = store_renameat(s, parent->fd, tmp, parent->fd, lname, 0)) < 0) {
		if (rekey_mark_undo(op, parent, lname, &m) < 0)
			log_error("cannot take the rekey mark off '%s' (the next rekey does)",
				  fileop_what(op));
		return r;
	}
	kill_point("renamed");
	return 0;
}

/* Replace the locked file of op (at parent/lname) by its re-encryption. */
static int rekey_locked(struct fileop *op, struct vnode *parent, const char *lname)
{
	struct vault *v = op->v;
	char tmp[64];
	struct stat st;
	int tfd, r;

	if ((r = store_fstat(v->store, op->fd, &st)) < 0)
		return r;
	if ((tfd = tmp_open(v, parent->fd, st.st_mode, tmp, sizeof(tmp))) < 0)
		return tfd;
	r = write_new(op, tfd);
	(void)store_close(v->store, tfd); /* fsynced already, or about to be removed */
	if (r == 0 && (r = tmp_finish(v, parent, tmp, &st)) == 0) {
		kill_point("written");
		r = replace_old(op, parent, lname, tmp, &st);
	}
	if (r < 0) {
		(void)store_unlinkat(v->store, parent->fd, tmp, 0); /* the old file is whole */
		return r;
	}
	retire_old(op, parent, lname);
	return store_fsync(v->store, parent->fd, false);
}

/* The key epoch of op's file (its header, read under the locks). */
static int file_epoch(struct fileop *op, uint32_t *e)
{
	uint8_t hdr[FILE_HEADER_LEN], id[FILE_ID_LEN];
	ssize_t got = fileop_pread(op, hdr, sizeof(hdr), 0);

	if (got < 0)
		return (int)got;
	if (header_decode_epoch(hdr, (size_t)got, id, e) < 0)
		return -EPROTO;
	return 0;
}

/*
 * The lower size of op's file; a file a killed rekey marked (the old contents whole under
 * the mark) is cut back to them first, and *res says so. Any other malformed size is
 * reported (-EPROTO), never guessed at.
 */
static int size_or_unmark(struct fileop *op, struct vnode *parent, const char *lname,
			  enum vault_rekey_result *res)
{
	struct rekey_mark m;
	int r = fileop_size_quiet(op);

	if (r != -EPROTO)
		return r;
	if ((r = rekey_mark_find(op, &m)) == -ENOENT) {
		fileop_log_size(op);
		return -EPROTO;
	}
	if (r < 0 || (r = rekey_mark_undo(op, parent, lname, &m)) < 0)
		return r;
	log_info("'%s': an interrupted rekey's mark taken off, the file is whole", fileop_what(op));
	*res = VAULT_REKEY_RESUMED;
	return 0;
}

/*
 * Is op's file still the one at parent/lname? Another rekey may have replaced it between
 * the lookup and the locks: the old inode (marked, unlinked, perhaps held open by a live
 * mount) is then left as it is, and the name's new file is current already.
 */
static int at_its_name(struct fileop *op, struct vnode *parent, const char *lname, bool *same)
{
	struct stat fd_st, name_st;
	struct store *s = op->v->store;
	int r;

	if ((r = store_fstat(s, op->fd, &fd_st)) < 0)
		return r;
	r = store_fstatat(s, parent->fd, lname, &name_st, STORE_AT_NOFOLLOW);
	if (r < 0 && r != -ENOENT)
		return r;
	*same = r == 0 && name_st.st_dev == fd_st.st_dev && name_st.st_ino == fd_st.st_ino;
	return 0;
}

/* Under the locks: decide, then re-encrypt. */
static int rekey_op(struct fileop *op, struct vnode *parent, const char *lname,
		    enum vault_rekey_result *res)
{
	uint32_t e;
	struct stat st;
	bool same;
	int r;

	if ((r = at_its_name(op, parent, lname, &same)) < 0 || !same)
		return r;
	if ((r = size_or_unmark(op, parent, lname, res)) < 0)
		return r;
	if (op->csize == 0)
		return 0; /* an empty file has no header: nothing sealed */
	if ((r = file_epoch(op, &e)) < 0)
		return r;
	if (e >= vault_keys_epoch(op->v->keys))
		return 0;
	if ((r = store_fstat(op->v->store, op->fd, &st)) < 0)
		return r;
	if (st.st_nlink > 1) {
		*res = VAULT_REKEY_LINKED;
		return 0;
	}
	if ((r = fileop_header(op)) < 0)
		return r;
	if ((r = rekey_locked(op, parent, lname)) < 0)
		return r;
	if (*res != VAULT_REKEY_RESUMED)
		*res = VAULT_REKEY_DONE;
	return 0;
}

int vault_rekey_file(struct vault *v, struct vnode *n, enum vault_rekey_result *res)
{
	struct vnode *parent = NULL;
	struct range_req req;
	struct fileop op;
	struct buf lname;
	int r;

	*res = VAULT_REKEY_CURRENT;
	buf_init(&lname);
	if ((r = vnode_locate(v, n, &parent, &lname)) < 0)
		goto out_name;
	if ((r = fileop_begin(&op, v, n)) < 0)
		goto out_name;
	fileop_lock_whole(&op, &req, true);
	if ((r = filelock_blocks(&op.lock, 0, FILELOCK_TO_END, true)) == 0) {
		r = rekey_op(&op, parent, (const char *)lname.data, res);
		filelock_unlock_blocks(&op.lock, 0, FILELOCK_TO_END);
	}
	fileop_unlock_whole(&op, &req, false);
	fileop_end(&op);
out_name:
	if (parent)
		vnode_unref(v, parent);
	buf_release(&lname);
	return r;
}

int vault_rekey_lookup(struct vault *v, struct vnode *dir, const char *name, struct vnode **out)
{
	struct lower_name ln;
	struct stat st;
	int r;

	*out = NULL;
	if (vnode_type(dir) != S_IFDIR)
		return -ENOTDIR;
	lower_name_init(&ln);
	r = vault_lower_name(v, dir, name, &ln);
	if (r == -EPERM)
		r = -ENOENT; /* a reserved name in plaintext-names mode is never visible */
	if (r == 0)
		r = nodes_get_at(v, dir, (const char *)ln.name.data, out, &st);
	lower_name_release(&ln);
	return r;
}

int vault_rekey_clean(struct vault *v, struct vnode *dir, unsigned *removed)
{
	struct store_dir *sd = NULL;
	struct store_dirent ent;
	struct buf names;
	size_t off;
	int r;

	buf_init(&names);
	if ((r = store_dir_open(v->store, dir->fd, &sd)) < 0)
		return r;
	while ((r = store_dir_next(v->store, sd, &ent)) == 1)
		if (!strncmp(ent.name, VAULT_REKEY_TMP_PREFIX, strlen(VAULT_REKEY_TMP_PREFIX)) &&
		    (r = buf_append(&names, ent.name, strlen(ent.name) + 1)) < 0)
			break;
	store_dir_close(v->store, sd);
	for (off = 0; r >= 0 && off < names.len; off += strlen((char *)names.data + off) + 1) {
		if ((r = store_unlinkat(v->store, dir->fd, (char *)names.data + off, 0)) < 0)
			break;
		(*removed)++;
	}
	buf_release(&names);
	return r < 0 ? r : 0;
}
