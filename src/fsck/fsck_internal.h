/*
 * Private declarations of fsck/: the state of one run and the pieces of the walk, by
 * file. Nothing here is part of the API (fsck.h).
 */
#ifndef VEILFS_FSCK_FSCK_INTERNAL_H
#define VEILFS_FSCK_FSCK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include "base/buf.h"
#include "codec/codec.h"
#include "format/config.h"
#include "fsck/fsck.h"
#include "names/names.h"

struct aead_ctx;
struct rekey_mark;
struct store;
struct vault_keys;

enum {
	/* Directories deeper than this are reported and not descended (one handle per level). */
	FSCK_MAX_DEPTH = 512,
	/* Blocks read per pread. */
	FSCK_CHUNK_BLOCKS = 16,
	/* Longest lower symlink target read (base64url of a sealed 4095-byte target fits). */
	FSCK_LINK_MAX = 8192,
	/* Longest xattr value read (the Linux limit). */
	FSCK_XATTR_VALUE_MAX = 65536,
	/* Longest side file read: an encoded name is at most NAMES_ENCODED_MAX bytes. */
	FSCK_SIDE_MAX = NAMES_ENCODED_MAX,
};

/* State of one run. */
struct fsck {
	struct store *s;
	int rootfd;
	struct config cfg;
	struct vault_keys *keys; /* secmem, owned */
	struct aead_ctx *aead;   /* owned */
	uint8_t *file_key;       /* secmem, FILE_KEY_LEN, the key of the file being checked */
	struct block_geom geom;
	uint8_t file_id[FILE_ID_LEN]; /* of the file being checked */
	uint32_t file_epoch; /* key epoch of the file being checked (its header) */
	struct codec codec;           /* over geom, aead, file_id and file_key */
	bool plaintext_names;
	fsck_report_fn report;
	void *arg;
	struct fsck_counts *counts;
	uint8_t *cbuf; /* FSCK_CHUNK_BLOCKS stored blocks */
	uint8_t *pbuf; /* one plaintext block, wiped after each use */
	bool tail_used; /* the file's last block was opened from its truncate copy */
	/* Path of the object being checked: lower always, plaintext while plain_broken == 0. */
	struct buf lower;
	struct buf plain;
	unsigned plain_broken;
	unsigned depth;
	struct buf blobs; /* ids of the target blobs valid symlinks name, NUL-separated */
	bool repair;	  /* fsck_options.repair */
	/* What repair.c did about the finding reported next (fsck_report_at takes it). */
	const char *repaired;
	/* Some symlink could not be read or decrypted: an unnamed blob may be its target. */
	bool links_unsure;
	struct buf xblobs; /* ids of the attribute blobs markers name, NUL-separated */
};

/* Saved path lengths, for fsck_path_pop(). */
struct path_mark {
	size_t lower_len;
	size_t plain_len;
	bool plain_was_broken;
};

static inline bool fsck_has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* --- report.c: the current paths and the findings about them --- */

/*
 * Append one component to the current paths; plain is NULL when the component has no
 * plaintext name. An allocation failure only shortens the text of later findings.
 */
void fsck_path_push(struct fsck *f, const char *lower, const char *plain, struct path_mark *m);
void fsck_path_pop(struct fsck *f, const struct path_mark *m);
/*
 * Report a finding about the current object, or about its child `child` (lower name)
 * with plaintext name child_plain (NULL when unknown) when child is not NULL.
 */
void fsck_report_at(struct fsck *f, const char *child, const char *child_plain,
		    enum fsck_kind kind, uint64_t block, const char *xattr, const char *reason,
		    int err);
void fsck_report(struct fsck *f, enum fsck_kind kind, const char *reason);
void fsck_report_io(struct fsck *f, const char *child, const char *reason, int err);

/* --- attrs.c: extended attributes and symlink targets --- */

/* Check every user.veilfs.* attribute of the object fd refers to. */
void fsck_check_xattrs(struct fsck *f, int fd);
void fsck_check_symlink(struct fsck *f, int dirfd, const char *name);
/* links.c: the out-of-line symlink targets in veilfs.links/ (vault/link_target.h). */
int fsck_remember_blob(struct fsck *f, const char *id) MUST_CHECK;
void fsck_check_link_blobs(struct fsck *f);
/* The out-of-line attribute blobs in veilfs.xattrs/ (vault/xattr_blob.h), the same way. */
int fsck_remember_xattr_blob(struct fsck *f, const char *id) MUST_CHECK;
void fsck_check_xattr_blobs(struct fsck *f);

/* --- file.c: regular files, through the content codec --- */

/* Check dirfd/name, a regular file whose attributes (fstatat) were st. */
void fsck_check_file(struct fsck *f, int dirfd, const char *name, const struct stat *st);

/* --- repair.c: what --repair changes (each returns what was done, or NULL) --- */

/*
 * A temp file of store_write_atomic() ("NAME.tmp.PID.N") for veilfs.conf, its version-1
 * backup, veilfs.diriv or a long name's side file; in veilfs.links/, for a blob.
 */
bool fsck_is_atomic_temp(const char *name);
bool fsck_is_blob_temp(const char *name);
/* Remove the regular file dirfd/name, a proven leftover; NULL after reporting why not. */
const char *fsck_repair_remove(struct fsck *f, int dirfd, const char *name);
/* Give the directory dirfd, empty and without IV, a new IV. */
const char *fsck_repair_diriv(struct fsck *f, int dirfd);
/*
 * Re-seal block n of the regular file dirfd/name (inode ino) as an inner block holding
 * plain (a full block): the old last block of an interrupted append.
 */
const char *fsck_repair_reseal(struct fsck *f, int dirfd, const char *name, uint64_t ino,
			       uint64_t n, const uint8_t *plain);
/*
 * The truncate copy (vault/file_tail.h) of the regular file dirfd/name (inode ino): with
 * stored (len bytes, the copy, which authenticates as the last block n), write it in place
 * and sync; then, or with stored NULL (a copy left over), remove the copy.
 */
const char *fsck_repair_tail(struct fsck *f, int dirfd, const char *name, uint64_t ino,
			     uint64_t n, const uint8_t *stored, size_t len);
/*
 * Cut the mark m of an interrupted rekey (format/rekey_mark.h) off the regular file
 * dirfd/name (inode ino): back to its old size, fsynced, its old times put back.
 */
const char *fsck_repair_unmark(struct fsck *f, int dirfd, const char *name, uint64_t ino,
			       const struct rekey_mark *m);

/* --- walk.c: directories, names and the walk --- */

void fsck_walk_dir(struct fsck *f, int dirfd, bool is_root);

#endif
