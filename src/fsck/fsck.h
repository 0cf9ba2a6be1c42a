/*
 * Offline integrity check of a cipher directory (`veilfs fsck`, docs/FSCK.md).
 *
 * The checker unlocks the config with the password, then walks the whole cipher tree
 * through the store (*at() calls from the root handle, one directory handle per level)
 * and verifies everything docs/FORMAT.md lets it verify: directory IVs, every lower name,
 * long-name side files, reserved names, file sizes, headers, every content block with its
 * associated data (file id, block number, final flag), symlink targets, and the names and
 * values of user.veilfs.* extended attributes. Without repair it never modifies anything:
 * only read, stat, readlink, readdir and getxattr/listxattr calls are made. With repair
 * (fsck_run_opts) it also changes what it can prove to be a leftover of an interrupted
 * veilfs operation, and nothing else (docs/FSCK.md, "Repair"): it removes stray temp files
 * of veilfs.conf and veilfs.diriv, and entries of veilfs.links/ that no symlink names
 * (only after a walk that read every symlink), gives an empty directory without IV its IV,
 * and re-seals as inner a full block an interrupted append left sealed final. The caller
 * makes sure that no veilfs mount or command uses the vault meanwhile.
 *
 * Findings are handed to a callback, one at a time, as they are found; the core never
 * prints. A finding names the lower path (relative to the cipher directory) and, when
 * every component of it decrypted, the plaintext path: the output is meant for the vault
 * owner who typed the password (docs/FSCK.md explains this choice).
 *
 * The vault should not be mounted while it is checked: a file being written can show a
 * block that fails authentication for a moment.
 */
#ifndef VEILFS_FSCK_FSCK_H
#define VEILFS_FSCK_FSCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

struct store;

/* What is wrong. The names returned by fsck_kind_name() are part of the --json output. */
enum fsck_kind {
	FSCK_DIRIV_MISSING,    /* a directory has no veilfs.diriv: its names cannot be checked */
	FSCK_DIRIV_INVALID,    /* veilfs.diriv is not a regular file of 16 bytes */
	FSCK_NAME_INVALID,     /* a lower name does not decrypt under its directory IV */
	FSCK_LONGNAME_MISSING, /* a veilfs.lname.* entry has no .name side file */
	FSCK_LONGNAME_INVALID, /* a side file is unreadable, malformed or hashes wrong */
	FSCK_LONGNAME_ORPHAN,  /* a .name side file whose entry does not exist */
	FSCK_RESERVED_NAME,    /* an unexpected veilfs.* name (stray temp file, ...) */
	FSCK_BAD_TYPE,         /* an object of a type veilfs never creates there */
	FSCK_FILE_SIZE,        /* the cipher size cannot come from any plaintext size */
	FSCK_HEADER_INVALID,   /* the file header is malformed or of an unknown version */
	FSCK_BLOCK_AUTH,       /* a block fails authentication */
	FSCK_BLOCK_FINAL_FLAG, /* a block authenticates only with the other final flag */
	FSCK_LAST_BLOCK_ZERO,  /* the last block is all zero (only inner blocks may be holes) */
	FSCK_SYMLINK_INVALID,  /* a symlink target does not decrypt */
	FSCK_XATTR_NAME,       /* a user.veilfs.* attribute name does not decrypt */
	FSCK_XATTR_VALUE,      /* an attribute value does not authenticate */
	FSCK_IO_ERROR,         /* an object could not be read: it was not (fully) checked */
	FSCK_BLOCK_TAIL,       /* a truncate's copy of the last block (used, or left over) */
	FSCK_KIND_COUNT,
};

/* Sentinel for fsck_finding.block when no block is concerned. */
#define FSCK_NO_BLOCK UINT64_MAX

/*
 * One finding. Every pointer is borrowed and valid only during the callback.
 *   lower_path  the lower path relative to the cipher directory ("." for the root)
 *   plain_path  the plaintext path ("/" for the root, "/a/b" below), or NULL when some
 *               component of the path does not decrypt (or is a reserved file)
 *   block       the block number, or FSCK_NO_BLOCK
 *   xattr       the lower attribute name for FSCK_XATTR_*, else NULL
 *   reason      a short lowercase phrase without plaintext ("authentication failed")
 *   err         for FSCK_IO_ERROR the negative errno, else 0
 *   repaired    with repair: what was done about it ("removed"), else NULL
 */
struct fsck_finding {
	enum fsck_kind kind;
	const char *lower_path;
	const char *plain_path;
	uint64_t block;
	const char *xattr;
	const char *reason;
	int err;
	const char *repaired;
};

typedef void (*fsck_report_fn)(void *arg, const struct fsck_finding *f);

/* Totals of one run. problems counts every finding except FSCK_IO_ERROR ones. */
struct fsck_counts {
	uint64_t dirs;     /* directories walked, the root included */
	uint64_t files;    /* regular files checked */
	uint64_t symlinks; /* symlinks checked */
	uint64_t others;   /* fifos, sockets, device nodes (nothing to check but the name) */
	uint64_t names;    /* lower names decrypted */
	uint64_t blocks;   /* content blocks authenticated or recognised as holes */
	uint64_t holes;    /* of which holes */
	uint64_t xattrs;   /* user.veilfs.* attributes checked */
	uint64_t problems;
	uint64_t io_errors;
	uint64_t repaired; /* of the problems, those repaired (only with repair) */
};

/* How to run: repair what can be proven repairable (see above). */
struct fsck_options {
	bool repair;
};

/* Name of a kind for messages and JSON ("block-auth"); "unknown" out of range. */
const char *fsck_kind_name(enum fsck_kind kind);

/*
 * Check the vault in cipherdir with the password (borrowed; not kept). report may be NULL
 * (only the counts are wanted). Returns:
 *   0        the walk ran to its end; *counts says what was found (problems, io_errors)
 *   -ENOENT, -ENOTDIR  no such directory, or no veilfs.conf in it
 *   -EPROTO  veilfs.conf is malformed or of an unsupported version
 *   -EPERM   wrong password (or a tampered config)
 *   others   the walk could not start (the root could not be opened or listed)
 * I/O errors below the root do not stop the walk: they are reported as FSCK_IO_ERROR.
 */
int fsck_run(const char *cipherdir, const char *pw, size_t pwlen, fsck_report_fn report,
	     void *arg, struct fsck_counts *counts) MUST_CHECK;

/* The same over an existing store and root handle (borrowed: neither is closed). */
int fsck_run_store(struct store *s, int rootfd, const char *pw, size_t pwlen,
		   fsck_report_fn report, void *arg, struct fsck_counts *counts) MUST_CHECK;

/* fsck_run() and fsck_run_store() with options (o NULL: the defaults, no repair). */
int fsck_run_opts(const char *cipherdir, const char *pw, size_t pwlen,
		  const struct fsck_options *o, fsck_report_fn report, void *arg,
		  struct fsck_counts *counts) MUST_CHECK;
int fsck_run_store_opts(struct store *s, int rootfd, const char *pw, size_t pwlen,
			const struct fsck_options *o, fsck_report_fn report, void *arg,
			struct fsck_counts *counts) MUST_CHECK;

#endif
