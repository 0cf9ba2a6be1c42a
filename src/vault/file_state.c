/*
 * Per-file state of regular files: the shared lower I/O handle (opened lazily from the
 * vnode's path handle, kept while any open or operation uses it, so unlinked-open files
 * keep working), the header (file id) and the per-file key, and the size/time snapshot
 * used by vault_invalidate(), and whole-file holds of the content range lock.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "base/secmem.h"
#include "crypto/kdf.h"
#include "coord/coord.h"
#include "vault/file_tail.h"
#include "vault/vault_internal.h"

enum { DFD_NONE = -2 }; /* vnode.dfd: tried, the lower fs has no direct I/O */

/* Shared mode over a caching lower client: the direct read handle beside iofd. */
static void io_open_direct(struct vault *v, struct vnode *n)
{
	int dfd;

	if (n->dfd != -1 || v->coord.fresh == COORD_FRESH_NONE)
		return;
	dfd = coord_direct_open(&v->coord, n->fd);
	/* none (the lower fs has no direct I/O): fresh reads fall back to iofd, and the
	 * open is not tried again while the file stays open */
	n->dfd = dfd >= 0 ? dfd : DFD_NONE;
}

static int io_open(struct vault *v, struct vnode *n)
{
	int direct = v->opts.lower_direct ? STORE_DIRECT : 0, fd;

	n->io_writable = !vault_is_ro(v);
	fd = store_reopen(v->store, n->fd, (n->io_writable ? STORE_RDWR : STORE_RDONLY) | direct);
	/* a file we may only read (mode, read-only lower fs): reads still work */
	n->io_write_err = vault_is_ro(v) ? -EROFS : 0;
	if ((fd == -EACCES || fd == -EROFS || fd == -EPERM) && n->io_writable) {
		n->io_writable = false;
		n->io_write_err = fd;
		fd = store_reopen(v->store, n->fd, STORE_RDONLY | direct);
	}
	if (fd < 0)
		return fd;
	n->iofd = fd;
	io_open_direct(v, n);
	return 0;
}

int vnode_io_get(struct vault *v, struct vnode *n, int *fd, int *dfd)
{
	int r = 0;

	if (n->type != S_IFREG)
		return n->type == S_IFDIR ? -EISDIR : -EINVAL;
	pthread_mutex_lock(&n->mutex);
	if (n->iofd < 0)
		r = io_open(v, n);
	else
		io_open_direct(v, n); /* the handle nodes_get_new() primed */
	if (r == 0) {
		n->io_users++;
		*fd = n->iofd;
		if (dfd)
			*dfd = n->dfd >= 0 ? n->dfd : -1;
	}
	pthread_mutex_unlock(&n->mutex);
	return r;
}

static void forget_key_locked(struct vnode *n)
{
	n->have_id = false;
	secure_wipe(n->file_id, sizeof(n->file_id));
	secmem_free(n->file_key);
	n->file_key = NULL;
}

int vnode_io_writable(struct vnode *n)
{
	int r;

	pthread_mutex_lock(&n->mutex);
	r = n->io_writable ? 0 : n->io_write_err ? n->io_write_err : -EACCES;
	pthread_mutex_unlock(&n->mutex);
	return r;
}

void vnode_io_put(struct vault *v, struct vnode *n)
{
	int fd = -1, dfd = -1;

	pthread_mutex_lock(&n->mutex);
	assert(n->io_users > 0);
	if (--n->io_users == 0) {
		fd = n->iofd;
		dfd = n->dfd;
		n->iofd = -1;
		n->dfd = -1;
		forget_key_locked(n);
	}
	pthread_mutex_unlock(&n->mutex);
	/* close() of a lower handle only fails for a network fs that reports a lost write
	 * there; in a shared mode every write was synced or published before its lock was
	 * released, and fsync reports errors to the application */
	if (fd >= 0)
		(void)store_close(v->store, fd);
	if (dfd >= 0)
		(void)store_close(v->store, dfd);
}

void vnode_file_release(struct vnode *n)
{
	forget_key_locked(n);
}

void vnode_forget_header(struct vnode *n)
{
	pthread_mutex_lock(&n->mutex);
	forget_key_locked(n);
	pthread_mutex_unlock(&n->mutex);
}

void vnode_snapshot(struct vnode *n, const struct stat *st)
{
	pthread_mutex_lock(&n->mutex);
	n->snap_valid = true;
	n->snap_size = (uint64_t)st->st_size;
	n->snap_mtime = st->st_mtim;
	n->snap_ctime = st->st_ctim;
	pthread_mutex_unlock(&n->mutex);
}

/* filelock.path: the file's lower path, as the log lines name it. */
static const char *lock_path(void *arg)
{
	return fileop_what(arg);
}

int fileop_begin(struct fileop *op, struct vault *v, struct vnode *n)
{
	int r;

	memset(op, 0, sizeof(*op));
	op->v = v;
	op->n = n;
	op->fd = -1;
	op->dfd = -1;
	if ((r = vnode_io_get(v, n, &op->fd, &op->dfd)) < 0)
		return r;
	op->b.geom = &v->geom;
	op->b.file_id = op->file_id;
	op->b.key = op->key;
	op->lock = (struct filelock){ .coord = &v->coord, .geom = &v->geom, .cf = &n->cf,
				      .fd = op->fd, .path = lock_path, .arg = op };
	op->b.aead = vault_aead_get(v);
	if (!op->b.aead) {
		vnode_io_put(v, n);
		op->fd = -1;
		return -ENOMEM;
	}
	return 0;
}

void fileop_end(struct fileop *op)
{
	secure_wipe(op->key, sizeof(op->key));
	if (op->b.aead)
		vault_aead_put(op->v, op->b.aead);
	op->b.aead = NULL;
	if (op->fd >= 0)
		vnode_io_put(op->v, op->n);
	op->fd = -1;
}

const char *fileop_what(struct fileop *op)
{
	if (!op->what[0])
		vnode_name(op->v, op->n, op->what, sizeof(op->what));
	return op->what;
}

/*
 * Whether the blocks after block n prove that n, a full block still sealed final, is the
 * old last block of an append a crash cut before re-sealing it (codec_open_unsealed):
 * the first later block that is not a hole authenticates at its position. 0 or -errno
 * (-EBADMSG when they do not).
 */
static int unsealed_proven(struct fileop *op, uint64_t n)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t nblocks = block_count(g, op->psize), m;
	uint8_t *stored = malloc(g->cipher_size), *scratch = malloc(g->plain_size);
	size_t len;
	ssize_t got;
	int r = -ENOMEM;

	if (!stored || !scratch)
		goto out;
	r = -EBADMSG;
	for (m = n + 1; m < nblocks; m++) {
		len = (size_t)block_stored_len(g, op->csize, m);
		got = fileop_pread(op, stored, len, block_cipher_offset(g, m));
		if (got < 0) {
			r = (int)got;
			goto out;
		}
		if ((size_t)got != len) {
			r = -EIO;
			goto out;
		}
		r = codec_check_next(&op->b, m, m + 1 == nblocks, stored, len, scratch);
		if (r != 1)
			break;
		r = -EBADMSG; /* a hole proves nothing: look further */
	}
out:
	free(stored);
	free(scratch); /* codec_check_next() wiped it */
	return r;
}

/*
 * The last block n from the truncate copy (vault/file_tail.h), when the file has one of
 * the stored length: a crash cut the file before the block was written in place. 0 or
 * -EBADMSG (no copy, another length, or one that does not authenticate as that block).
 */
static int tail_open(struct fileop *op, uint64_t n, size_t storedlen, uint8_t *plain,
		     size_t *plainlen)
{
	uint8_t *copy = malloc(op->v->geom.cipher_size);
	ssize_t got;
	int r = -EBADMSG;

	if (!copy)
		return r;
	got = store_fgetxattr(op->v->store, op->fd, FILE_TAIL_XATTR, copy, op->v->geom.cipher_size);
	if (got > 0 && (size_t)got == storedlen &&
	    codec_open(&op->b, n, true, copy, storedlen, plain, plainlen) == 0) {
		log_warn("last block %llu of '%s' read from its truncate copy (a truncate a crash "
			 "cut; veilfs fsck --repair writes it in place)",
			 (unsigned long long)n, fileop_what(op));
		r = 0;
	}
	free(copy);
	return r;
}

int fileop_open_block(struct fileop *op, uint64_t n, bool final, const uint8_t *stored,
		      size_t storedlen, uint8_t *plain, size_t *plainlen)
{
	int r = codec_open(&op->b, n, final, stored, storedlen, plain, plainlen);

	if (r < 0 && op->unlocked)
		return r;
	if (r == -EBADMSG && final && tail_open(op, n, storedlen, plain, plainlen) == 0)
		return 0;

	if (r == -EBADMSG && !final &&
	    codec_open_unsealed(&op->b, n, stored, storedlen, plain, plainlen) == 0) {
		if ((r = unsealed_proven(op, n)) < 0) {
			secure_wipe(plain, op->v->geom.plain_size);
			*plainlen = 0;
		}
		if (r == -EBADMSG)
			log_error("block %llu of '%s' is sealed as the last block, and no valid "
				  "block follows it", (unsigned long long)n, fileop_what(op));
		else if (r < 0)
			log_error("cannot check the blocks after block %llu of '%s': %s",
				  (unsigned long long)n, fileop_what(op), strerror(-r));
		return r;
	}
	if (r == -EPROTO)
		log_error("malformed block %llu of '%s' (%zu bytes)", (unsigned long long)n,
			  fileop_what(op), storedlen);
	else if (r < 0)
		log_error("cannot authenticate block %llu of '%s': %s", (unsigned long long)n,
			  fileop_what(op), strerror(-r));
	return r;
}

ssize_t fileop_pread(struct fileop *op, void *buf, size_t n, uint64_t off)
{
	if (!coord_is_shared(&op->v->coord))
		return store_pread_full(op->v->store, op->fd, buf, n, off);
	return coord_fresh_pread(&op->v->coord, op->fd, op->dfd, buf, n, off);
}

int fileop_size_quiet(struct fileop *op)
{
	struct stat st;
	int r;

	if (coord_is_shared(&op->v->coord)) {
		r = coord_fresh_size(&op->v->coord, op->fd, op->dfd, &op->csize);
		if (r < 0)
			return r;
	} else {
		if ((r = store_fstat(op->v->store, op->fd, &st)) < 0)
			return r;
		op->csize = (uint64_t)st.st_size;
	}
	return block_plain_size(&op->v->geom, op->csize, &op->psize);
}

void fileop_log_size(struct fileop *op)
{
	log_error("malformed size %llu of '%s'", (unsigned long long)op->csize, fileop_what(op));
}

int fileop_size(struct fileop *op)
{
	int r = fileop_size_quiet(op);

	if (r == -EPROTO)
		fileop_log_size(op);
	return r;
}

/* Cache the file id and key in the vnode (private copies stay in op). */
static void header_remember(struct fileop *op)
{
	struct vnode *n = op->n;

	pthread_mutex_lock(&n->mutex);
	if (!n->file_key)
		n->file_key = secmem_alloc(FILE_KEY_LEN);
	if (n->file_key) {
		memcpy(n->file_id, op->file_id, FILE_ID_LEN);
		memcpy(n->file_key, op->key, FILE_KEY_LEN);
		n->have_id = true;
	}
	pthread_mutex_unlock(&n->mutex);
}

static bool header_cached(struct fileop *op)
{
	struct vnode *n = op->n;
	bool ok = false;

	if (vault_lock_is_shared(op->v))
		return false;
	pthread_mutex_lock(&n->mutex);
	if (n->have_id) {
		memcpy(op->file_id, n->file_id, FILE_ID_LEN);
		memcpy(op->key, n->file_key, FILE_KEY_LEN);
		ok = true;
	}
	pthread_mutex_unlock(&n->mutex);
	return ok;
}

int fileop_header(struct fileop *op)
{
	uint8_t hdr[FILE_HEADER_LEN];
	uint32_t epoch;
	ssize_t got;
	int r;

	if (op->have_id || (op->have_id = header_cached(op)))
		return 0;
	got = fileop_pread(op, hdr, sizeof(hdr), 0);
	if (got < 0)
		return (int)got;
	r = header_decode_epoch(hdr, (size_t)got, op->file_id, &epoch);
	if (r < 0 && op->unlocked)
		return r;
	if (r < 0) {
		log_error("malformed header of '%s'", fileop_what(op));
		return r;
	}
	r = keys_file_key_epoch(op->v->keys, epoch, op->file_id, op->key);
	if (r == -ENOKEY) {
		/* written under an epoch begun since this mount looked (a revoke, a rekey) */
		vault_epoch_refresh(op->v, true);
		r = keys_file_key_epoch(op->v->keys, epoch, op->file_id, op->key);
	}
	if (r == -ENOKEY && op->unlocked)
		return r;
	if (r == -ENOKEY) {
		/* an epoch this unlock did not get (a newer one, or a tampered header) */
		log_error("cannot read '%s': key epoch %u is not known to this mount",
			  fileop_what(op), (unsigned)epoch);
		return -EIO;
	}
	if (r < 0)
		return r;
	op->have_id = true;
	header_remember(op);
	return 0;
}

static int header_write(struct fileop *op)
{
	uint8_t hdr[FILE_HEADER_LEN];
	int r;

	uint32_t epoch;

	/* new files: the vault's current key epoch, after a look (one stat of veilfs.conf)
	 * for a newer one, so that a file created after a revoke is sealed under its epoch */
	vault_epoch_refresh(op->v, true);
	epoch = vault_keys_epoch(op->v->keys);
	if ((r = random_bytes(op->file_id, FILE_ID_LEN)) < 0)
		return r;
	header_id_set_epoch(op->file_id, epoch);
	if ((r = keys_file_key_epoch(op->v->keys, epoch, op->file_id, op->key)) < 0)
		return r;
	header_encode_epoch(op->file_id, epoch, hdr);
	if ((r = store_pwrite_full(op->v->store, op->fd, hdr, sizeof(hdr), 0)) < 0)
		return r;
	op->csize = FILE_HEADER_LEN;
	op->psize = 0;
	op->have_id = true;
	header_remember(op);
	return 0;
}

int fileop_header_create(struct fileop *op)
{
	int r;

	if ((r = filelock_header(&op->lock)) < 0)
		return r;
	/* another client may have created it meanwhile; a lock file (the whole file) was
	 * held already when the caller read the size */
	if (op->v->coord.mode == COORD_LOCKS && (r = fileop_size(op)) < 0)
		goto out;
	if (op->csize == 0 && (r = header_write(op)) == 0)
		r = vault_publish(op->v, op->fd);
	else if (op->csize != 0)
		r = fileop_header(op);
out:
	filelock_unlock_header(&op->lock);
	return r;
}

void fileop_lock_whole(struct fileop *op, struct range_req *r, bool exclusive)
{
	struct vnode *n = op->n;

	rangelock_enter(&n->rl);
	if (exclusive) {
		n->slow_ops++;
		n->size_gen++;
	}
	rangelock_add(&n->rl, r, 0, RANGELOCK_TO_END, exclusive);
	rangelock_leave(&n->rl);
	rangelock_wait(&n->rl, r);
}

void fileop_unlock_whole(struct fileop *op, struct range_req *r, bool size_fresh)
{
	struct vnode *n = op->n;

	rangelock_enter(&n->rl);
	/*
	 * Only an exclusive hold may set the size: writes queued behind a shared one (a read)
	 * have already moved known_* past what the read saw.
	 */
	if (r->exclusive) {
		assert(n->slow_ops > 0);
		n->slow_ops--;
		n->size_gen++;
		n->size_known = size_fresh;
		n->known_csize = op->csize;
		n->known_psize = op->psize;
		n->read_next = n->ahead_to = n->written_out_to = 0; /* it may have shrunk */
	}
	rangelock_leave(&n->rl);
	rangelock_remove(&n->rl, r);
}
