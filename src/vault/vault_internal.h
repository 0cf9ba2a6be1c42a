/*
 * Private declarations of the vault module: the vault and vnode structures, the node
 * table, name handling and the helpers the vault_*.c files share.
 * Nothing here is part of the front-end API (vault.h).
 *
 * Lock order (outer to inner): file range lock grants (vnode.rl) -> shared-storage locks
 * (coord/filelock.c) -> the attribute-blob mutex (vault_xattr.c; never with vnode.rl) ->
 * vnode.mutex -> vault.table_lock -> vault.pool_lock.
 * vnode.rl's own mutex is held around queueing and the vnode's size state only, with no
 * lower call and no other lock taken inside: the fstat that reads the size and the
 * fallocate that reserves a queued write's space are made outside it and checked against
 * vnode.size_gen (vault_file.c). No function takes two vnodes' mutexes at once.
 */
#ifndef VEILFS_VAULT_VAULT_INTERNAL_H
#define VEILFS_VAULT_VAULT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "base/buf.h"
#include "base/compiler.h"
#include "base/rangelock.h"
#include "codec/codec.h"
#include "coord/coord.h"
#include "coord/filelock.h"
#include "crypto/aead.h"
#include "format/block.h"
#include "format/config.h"
#include "format/header.h"
#include "keys/keys.h"
#include "names/names.h"
#include "store/store.h"
#include "vault/vault.h"


enum {
	VAULT_TABLE_BUCKETS = 4096,
	VAULT_AEAD_POOL_MAX = 64,
	/* Largest encoded symlink target we read back from the lower file system. */
	VAULT_LINK_MAX = 8192,
	/* Room for a lower path in a log line (log.c truncates lines at 1024 bytes). */
	VAULT_WHAT_MAX = 768,
	VAULT_XATTR_VALUE_MAX = 65536,
};

struct vnode {
	/* Immutable after creation. */
	uint64_t dev;
	uint64_t ino;
	mode_t type;       /* S_IFMT bits */
	int fd;            /* STORE_PATH handle; directories: a readable directory handle */
	atomic_uint refs;  /* dropping to 0 happens under vault.table_lock */

	struct vnode *hash_next; /* protected by vault.table_lock */
	bool hashed;             /* protected by vault.table_lock */

	pthread_mutex_t mutex;
	/* Last known location: parent directory (a reference, NULL for the root) and lower
	 * name. For log lines, and for stores that cannot address an object by its handle
	 * alone (vnode_locate). Protected by mutex. */
	struct vnode *parent;
	char *lower_name;

	/* Directories: the directory IV, loaded lazily. Protected by mutex. */
	bool have_iv;
	uint8_t diriv[DIRIV_LEN];
	/*
	 * Directories, single client: known to have no default ACL, so a create in it need
	 * not ask the lower file system (vault_acl.c; cleared when one is set, and
	 * acl_gen counts those, so a reader that raced with a set does not remember its stale
	 * answer). Protected by mutex.
	 */
	bool no_default_acl;
	unsigned acl_gen;

	/* Regular files. */
	/*
	 * Content lock over block ranges (vault_file.c): reads shared, writes exclusive on
	 * their blocks; truncate, fallocate, header creation, shared mode and any operation
	 * while the size is not known hold [0, RANGELOCK_TO_END]. Granted in queue order.
	 */
	struct rangelock rl;
	/*
	 * Single-client mode: the lower size the file will have once every queued content
	 * operation is done, read from the lower file whenever no exclusive request is queued
	 * and updated by each queued write; used while writes are queued, when size_known and
	 * no exclusive whole-file operation is queued (slow_ops counts them). Protected by
	 * rl.mutex.
	 */
	bool size_known;
	unsigned slow_ops;
	uint64_t known_csize, known_psize;
	/*
	 * Counts the changes of the size above other than reading it (a whole-file operation
	 * queued or done, a queued write that moves the size, a queued write failed; not an
	 * overwrite inside the file, which leaves the size as it was), so that a size read
	 * from the lower file or a plan made before rl.mutex was dropped is used only when
	 * nothing changed meanwhile. Protected by rl.mutex.
	 */
	uint64_t size_gen;
	/*
	 * Sequential I/O hints to the store (vault_file.c), protected by rl.mutex: where the
	 * last read ended (plaintext), and the lower offsets read ahead and written out to.
	 */
	uint64_t read_next, ahead_to, written_out_to;
	/*
	 * Held around each lower content pwrite. The lower file system serializes buffered
	 * writes to one file anyway (ext4 holds the inode lock and its waiters spin); waiting
	 * here sleeps instead, leaving the other core to encrypt the next request.
	 */
	pthread_mutex_t write_mutex;
	int iofd;            /* read-write lower handle or -1; protected by mutex */
	unsigned io_users;   /* opens + operations in flight; protected by mutex */
	bool io_writable;    /* iofd was opened read-write; protected by mutex */
	int io_write_err;    /* why not (-EACCES, -EROFS, ...); protected by mutex */
	/* Header state: valid while a range of rl is held; changed only under the whole-file
	 * exclusive range, or under any range together with mutex for the lazy first load. */
	bool have_id;
	uint8_t file_id[FILE_ID_LEN];
	uint8_t *file_key; /* secmem, FILE_KEY_LEN bytes, or NULL */

	/* Shared mode: this client's coordination state of the file (its lock file). */
	struct coord_file cf;
	/* Shared mode over a lower client that caches: a direct-I/O read handle of the
	 * file (coord_direct_open), -1 (not opened yet) or -2 (none to be had); opened
	 * and closed with iofd, under mutex. */
	int dfd;

	/* Snapshot for vault_invalidate(); protected by mutex. */
	bool snap_valid;
	uint64_t snap_size;
	struct timespec snap_mtime;
	struct timespec snap_ctime;
	/* The mtime (ns since the epoch) that the last stat of a regular file reported, or
	 * 0: a hint only, for vault_setattr() to tell the kernel's flush of times it was
	 * given from a change (it proves nothing: a skip is decided by a fresh fstat). */
	_Atomic uint64_t mtime_seen;
};

struct aead_pool {
	pthread_mutex_t lock;
	struct aead_ctx *free[VAULT_AEAD_POOL_MAX];
	unsigned nfree;
};

struct vault {
	struct store *store;
	int rootfd;
	struct vault_options opts;
	struct config config;
	struct vault_keys *keys;
	enum aead_alg alg;
	size_t nonce_len;
	struct block_geom geom;
	bool plaintext_names;

	struct vnode *root;

	pthread_mutex_t table_lock;
	struct vnode **table; /* VAULT_TABLE_BUCKETS chains; protected by table_lock */
	size_t nnodes;        /* protected by table_lock */

	struct aead_pool pool;

	/* Cross-client coordination (coord/): mode, client id, fresh lower I/O. */
	struct coord coord;

	/*
	 * The lower names of the two ACL attributes (VAULT_ACL_ACCESS, VAULT_ACL_DEFAULT), the
	 * same for the whole vault and asked for by every `ls -l`: encrypted once, at the first
	 * use (vault_xattr.c; a racing second copy is freed), freed at close. Not secret: they
	 * are stored on every file that has an ACL.
	 */
	char *_Atomic acl_lname[2];
	/* Key epochs picked up while mounted (vault_epoch.c); protected by epoch_lock. The
	 * content keys in keys grow under it, keys->epoch is published last. */
	pthread_mutex_t epoch_lock;
	uint8_t *box_sk;          /* secmem: box secret key of the slot that unlocked, or NULL */
	uint64_t epoch_checked_ms; /* when veilfs.conf was last looked at */
	struct stat conf_st;      /* its attributes then (size, mtime, ctime, inode) */
	bool epoch_warned;        /* "this slot has no newer epoch" logged once */
};

/* --- vault.c --- */

/*
 * Lifecycle core used by vault_open_store() and by tests: build a vault from derived keys
 * and a config. Takes ownership of keys always, and of s and rootfd on success.
 */
int vault_open_keys(struct store *s, int rootfd, const struct config *c, struct vault_keys *keys,
		    const struct vault_options *opts, struct vault **out) MUST_CHECK;
struct aead_ctx *vault_aead_get(struct vault *v);
void vault_aead_put(struct vault *v, struct aead_ctx *c);

/* --- vault_epoch.c --- */

/*
 * Pick up a newer key epoch of veilfs.conf (docs/FORMAT.md "Key epochs"): one stat of it
 * (at most once a second unless force), and when its size, times or inode changed, reload it and open the epoch
 * box of this mount's slot (found by its box public key) with box_sk. A mount whose slot
 * was revoked keeps its epoch (new files go on under it; logged once). Never fails the
 * caller: errors are logged and the old keys kept.
 */
void vault_epoch_refresh(struct vault *v, bool force);

/* --- nodes.c --- */

int nodes_init(struct vault *v) MUST_CHECK;
/* Free every node left in the table (at close). */
void nodes_release(struct vault *v);
/*
 * The vnode for the lower object dir/lname (a new reference), creating it when the table
 * has none. st receives the lower attributes (unconverted).
 */
int nodes_get_at(struct vault *v, struct vnode *dir, const char *lname, struct vnode **out,
		 struct stat *st) MUST_CHECK;
/* As nodes_get_at, for a listed name with its lower inode number (a hint: see nodes.c). */
int nodes_get_listed(struct vault *v, struct vnode *dir, const char *lname, uint64_t ino,
		     struct vnode **out, struct stat *st) MUST_CHECK;
/* The vnode for an already open handle (ownership of fd moves to this call). */
int nodes_get_fd(struct vault *v, int fd, const char *lname, struct vnode **out,
		 struct stat *st) MUST_CHECK;
/*
 * The vnode for dir/lname, just created through the handle fd, whose attributes are st
 * (ownership of fd moves to this call). A directory's fd must be a readable directory
 * handle: it becomes the vnode's handle. A regular file's fd must be read-write: it
 * becomes the lower I/O handle, and the vnode gets a path handle of the same object (where
 * the store cannot reopen a handle, the name is looked up again and st refreshed).
 */
int nodes_get_new(struct vault *v, struct vnode *dir, const char *lname, int fd,
		  struct stat *st, struct vnode **out) MUST_CHECK;
/* Record that the entry dir/lname was renamed into place (updates its vnode's location). */
void nodes_moved(struct vault *v, struct vnode *dir, const char *lname);
void vnode_set_location(struct vault *v, struct vnode *n, struct vnode *parent,
			const char *lname);
/*
 * The current parent (new reference) and lower name of n, checked to still name n.
 * Returns 0, or -ENOENT when n has no known name any more (unlinked or moved by others).
 */
int vnode_locate(struct vault *v, struct vnode *n, struct vnode **parent,
		 struct buf *lname) MUST_CHECK;
/*
 * The last known lower path of n relative to the cipher directory ("." for the root), for
 * log lines, into out (NUL-terminated, truncated to size).
 */
void vnode_name(struct vault *v, struct vnode *n, char *out, size_t size);

/* --- vault_names.c --- */

/* The lower name of a plaintext name in directory dir. */
struct lower_name {
	struct buf name; /* lower entry name (NUL-terminated) */
	struct buf enc;  /* the encoded name when it is a long name, else empty */
	bool is_long;
};

void lower_name_init(struct lower_name *ln);
void lower_name_release(struct lower_name *ln);
/* Returns 0, -EINVAL/-ENAMETOOLONG for a bad name, -EPERM for a reserved one, or -errno. */
int vault_lower_name(struct vault *v, struct vnode *dir, const char *name,
		     struct lower_name *out) MUST_CHECK;
/* vault_lower_name() for a name about to be created: in a shared mode, with a fresh IV. */
int vault_lower_name_fresh(struct vault *v, struct vnode *dir, const char *name,
			   struct lower_name *out) MUST_CHECK;
/*
 * For a long name: write the side file (atomically) unless the entry exists already.
 * *created tells whether vault_name_undo() must remove it again if the operation fails.
 */
int vault_name_prepare(struct vault *v, struct vnode *dir, const struct lower_name *ln,
		       bool *created) MUST_CHECK;
void vault_name_undo(struct vault *v, struct vnode *dir, const struct lower_name *ln,
		     bool created);
/* After the entry is gone: remove a long name's side file. */
void vault_name_forget(struct vault *v, struct vnode *dir, const struct lower_name *ln);
/* Load (once) the directory IV of dir and copy it to iv. */
int vault_dir_iv(struct vault *v, struct vnode *dir, uint8_t iv[static DIRIV_LEN]) MUST_CHECK;
/*
 * In a shared mode: read dir's IV again. 0 or -errno (the IV cannot be read now); *replaced
 * tells whether another client replaced it (false on error and outside a shared mode). Not
 * MUST_CHECK: two callers go on with the IV they have, and say so.
 */
int vault_dir_iv_revalidate(struct vault *v, struct vnode *dir, bool *replaced);
/* Create the veilfs.diriv of the new directory handle dirfd (under the dir-IV lock). */
int vault_dir_iv_create(struct vault *v, int dirfd, uint8_t iv[static DIRIV_LEN]) MUST_CHECK;
/*
 * Decrypt the lower entry name lname of dir (resolving long names via their side file).
 * Returns 1 with the plaintext appended to out, 0 when the entry is a reserved name to
 * skip, or -errno when it cannot be decrypted.
 */
int vault_decrypt_entry(struct vault *v, struct vnode *dir, const char *lname,
			struct buf *out) MUST_CHECK;

/* --- vault_rmdir.c --- */

/* The directory IV of an empty directory while it is being removed or replaced. */
struct dir_iv_save {
	int fd;      /* the directory */
	uint8_t *iv; /* its old IV, or NULL when it had none */
	size_t len;
};

/*
 * Make the lower directory parentfd/lname removable: fail with -ENOTEMPTY unless it holds
 * no entries, then remove its IV (kept in save). Release save with vault_dir_save_release().
 */
int vault_dir_unseal(struct vault *v, int parentfd, const char *lname,
		     struct dir_iv_save *save) MUST_CHECK;
/*
 * The removal of the unsealed directory failed with ENOTEMPTY: wait a moment for a lower
 * client's hidden leftovers in it (sshfs's ".fuse_hidden<N>") to go, then unlink those
 * that stay. True when there were some and none is left: the caller tries again, once.
 */
bool vault_dir_clear_leftovers(struct vault *v, const struct dir_iv_save *save);
/* Put the IV back (the removal failed). */
void vault_dir_reseal(struct vault *v, struct dir_iv_save *save, const char *lname);
void vault_dir_save_release(struct vault *v, struct dir_iv_save *save);

/* --- vault_attr.c --- */

/* Convert lower attributes of n to the plaintext view (st_size). */
int vault_convert_stat(struct vault *v, struct vnode *n, struct stat *st) MUST_CHECK;
/*
 * Give a newly created dirfd/lname the caller's ownership (when opts.apply_owner); cur:
 * its attributes when known (else they are read). 0 or -errno; *changed (may be NULL) tells
 * whether the owner was changed (and with it the ctime).
 */
int vault_apply_owner(struct vault *v, struct vnode *dir, const char *lname,
		      const struct vault_caller *who, const struct stat *cur,
		      bool *changed) MUST_CHECK;

/* --- file_state.c --- */

/*
 * Take / drop an I/O user of regular file n (opens the shared lower handle lazily). *dfd
 * (when dfd is not NULL) receives the direct read handle of a shared mode, or -1.
 */
int vnode_io_get(struct vault *v, struct vnode *n, int *fd, int *dfd) MUST_CHECK;
void vnode_io_put(struct vault *v, struct vnode *n);
/* 0 when the shared lower handle of n (held by the caller) can write, else -errno. */
int vnode_io_writable(struct vnode *n) MUST_CHECK;
/* Free the per-file state of n (at node destruction). */
void vnode_file_release(struct vnode *n);
/* Remember the lower size and times for vault_invalidate(). */
void vnode_snapshot(struct vnode *n, const struct stat *st);

/*
 * One content operation on one regular file: the lower handle, sizes, and a private copy
 * of the file id and key (wiped by fileop_end()).
 */
struct fileop {
	struct vault *v;
	struct vnode *n;
	int fd;
	int dfd; /* the vnode's direct read handle (shared mode, fresh I/O), or -1 */
	uint64_t csize; /* lower (cipher) size */
	uint64_t psize; /* plaintext size */
	bool have_id;
	uint8_t file_id[FILE_ID_LEN];
	uint8_t key[FILE_KEY_LEN];
	char what[VAULT_WHAT_MAX]; /* lower path for log lines, "" until needed */
	struct codec b; /* over file_id and key */
	struct filelock lock; /* the file's cross-client locks (no-ops in single-client mode) */
	/* a read without the lock file (vault_file.c, read_unlocked): any failure is quiet and
	 * sends it to the locked read, so no fallback, retry or log line here */
	bool unlocked;
};

int fileop_begin(struct fileop *op, struct vault *v, struct vnode *n) MUST_CHECK;
void fileop_end(struct fileop *op);
/* The lower path of the file for a log line (computed on first use). */
const char *fileop_what(struct fileop *op);
/* codec_open() of block n of the file, with a log line naming the file when it fails. */
int fileop_open_block(struct fileop *op, uint64_t n, bool final, const uint8_t *stored,
		      size_t storedlen, uint8_t *plain, size_t *plainlen) MUST_CHECK;
/*
 * Read n bytes at off of the lower file (fewer only at its end). In a shared mode over a
 * lower client that caches, past its caches (coord_fresh_pread). Count or -errno.
 */
ssize_t fileop_pread(struct fileop *op, void *buf, size_t n, uint64_t off) MUST_CHECK;
/* Refresh csize/psize from the lower file (in a shared mode: as the server has it). */
int fileop_size(struct fileop *op) MUST_CHECK;
/* The same without the log line for -EPROTO (malformed size), which fileop_log_size() writes. */
int fileop_size_quiet(struct fileop *op) MUST_CHECK;
void fileop_log_size(struct fileop *op);
/* Load the file id from the header (cached unless shared) and derive the file key. */
int fileop_header(struct fileop *op) MUST_CHECK;
/*
 * Create the header of an empty file. The caller holds the write lock of the blocks and
 * read op->csize under it; in locks mode that lock leaves the header's bytes out, so the
 * size is read again under the header lock.
 */
int fileop_header_create(struct fileop *op) MUST_CHECK;
/* Forget the cached header (the file was truncated to 0 or changed below). */
void vnode_forget_header(struct vnode *n);
/*
 * Hold / drop the whole file [0, RANGELOCK_TO_END] of op's vnode range lock (exclusive for
 * changes). For an exclusive hold, size_fresh at unlock tells that op->csize/psize are the
 * lower size now (else the size is forgotten); a shared hold leaves the size alone.
 */
void fileop_lock_whole(struct fileop *op, struct range_req *r, bool exclusive);
void fileop_unlock_whole(struct fileop *op, struct range_req *r, bool size_fresh);

/* --- vault_symlink.c --- */

/* The lower target of target; *blob is set when it went out of line (link_target.h). */
int vault_link_encrypt(struct vault *v, const char *target, struct buf *out,
		       bool *blob) MUST_CHECK;
/* Removes the blob an out-of-line lower target names (0 for an inline one). */
int vault_link_forget(struct vault *v, const char *enc, size_t len) MUST_CHECK;
/* An entry about to be removed or replaced: does its out-of-line target go with it? */
struct link_probe {
	char lower[36]; /* LINK_MARKER_LEN + 1 (link_target.h) */
	uint64_t ino;
	bool last;      /* the entry is a symlink with a blob, and its only link */
};
/* Fills p for dirfd/lname; true when a successful removal must drop the blob. */
bool vault_link_probe(struct vault *v, int dirfd, const char *lname, struct link_probe *p);
/* After the removal: removes the blob p found (a failure is logged, not returned). */
void vault_link_drop(struct vault *v, const struct link_probe *p);
int vault_link_decrypt(struct vault *v, const char *enc, size_t len, struct buf *out) MUST_CHECK;
/* Plaintext length of an encoded target of enclen characters. */
uint64_t vault_link_plain_len(struct vault *v, struct vnode *n, uint64_t enclen);

static inline bool vault_is_ro(const struct vault *v)
{
	return v->opts.read_only;
}

/* True when a shared mode is active (callers then reread state they would cache). */
static inline bool vault_lock_is_shared(const struct vault *v)
{
	return coord_is_shared(&v->coord);
}

/*
 * Before a write lock of fd is released: make the data written under it visible to other
 * clients (coord_fresh_publish: a sync where the lower client writes behind). 0 or -errno.
 */
static inline int vault_publish(struct vault *v, int fd)
{
	return coord_fresh_publish(&v->coord, fd);
}

/* vault_xattr.c: an entry about to be removed or replaced: does its attribute blob go too? */
struct xattr_probe {
	char id[23]; /* XATTR_BLOB_ID_LEN + 1 (xattr_blob.h) */
	uint64_t ino;
	bool last; /* a file's only link, or a directory, whose attributes are partly out of line */
};
/* Fills p for dirfd/lname; true when a successful removal must drop the blob. */
bool vault_xattr_probe(struct vault *v, int dirfd, const char *lname, struct xattr_probe *p);
/* After the removal: removes the blob p found (a failure is logged, not returned). */
void vault_xattr_drop(struct vault *v, const struct xattr_probe *p);

/* vault_xattr.c: extended attributes by plaintext name, without the ACL semantics */
ssize_t vault_xattr_get(struct vault *v, struct vnode *n, const char *name, void *buf,
			size_t size) MUST_CHECK;
int vault_xattr_set(struct vault *v, struct vnode *n, const char *name, const void *value,
		    size_t size, int flags) MUST_CHECK;

/* Free the cached ACL lower names (vault close). */
void vault_xattr_names_release(struct vault *v);

/* vault_acl.c */
/* setxattr of VAULT_ACL_ACCESS / VAULT_ACL_DEFAULT: validate, keep the mode in step. */
int vault_acl_set(struct vault *v, struct vnode *n, const char *name, const void *value,
		  size_t size, int flags) MUST_CHECK;
/* Forget what is remembered about n's default ACL (it is being set, or n changed below). */
void vault_acl_forget(struct vnode *n);
/* After a chmod to mode: the access ACL's owner, group (or mask) and other entries follow. */
int vault_acl_chmod(struct vault *v, struct vnode *n, mode_t mode) MUST_CHECK;

#endif
