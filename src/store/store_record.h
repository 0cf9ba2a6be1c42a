/*
 * A recording store for the crash simulator (tests/unit/test_crash.c): wraps another
 * store, forwards every call to it unchanged, and reports each call that changes the
 * lower tree (and each fsync) to a hook, after the inner store has done it. The hook can
 * then copy the inner store (store_mem_snapshot()) to get what a crash right after that
 * call would leave.
 *
 * Torn writes: a pwrite that crosses a 512-byte sector boundary of the file is first
 * forwarded cut short at a sector boundary (the one at or before its middle, then the last
 * one inside it when that is another; a disk writes whole sectors, so a write within one
 * sector is never torn), with a STORE_RECORD_TORN event after each cut, and then forwarded
 * whole, which leaves the inner store as if the write had never been torn. Its
 * STORE_RECORD_PWRITE event follows.
 *
 * No I/O of its own and no system calls: portable. Not thread-safe (store_mem is not).
 */
#ifndef VEILFS_STORE_STORE_RECORD_H
#define VEILFS_STORE_STORE_RECORD_H

#include <stdint.h>
#include "base/compiler.h"
#include "store/store.h"

enum store_record_op {
	STORE_RECORD_PWRITE,
	STORE_RECORD_TORN, /* a prefix of a pwrite is on the inner store */
	STORE_RECORD_FTRUNCATE,
	STORE_RECORD_CREATE, /* openat or reopen with STORE_CREAT or STORE_TRUNC */
	STORE_RECORD_RENAMEAT,
	STORE_RECORD_UNLINKAT,
	STORE_RECORD_MKDIRAT,
	STORE_RECORD_SYMLINKAT,
	STORE_RECORD_LINKAT,
	STORE_RECORD_MKNODAT,
	STORE_RECORD_FSETXATTR,
	STORE_RECORD_FREMOVEXATTR,
	STORE_RECORD_ATTR, /* fchmodat, fchownat, utimensat */
	STORE_RECORD_RESERVE,
	STORE_RECORD_FSYNC, /* changes nothing: tells what was made durable */
	STORE_RECORD_OP_COUNT,
};

/* One recorded call. */
struct store_record_event {
	enum store_record_op op;
	unsigned index; /* 0, 1, ... over every event of this store */
	uint64_t ino;	/* the inode of fd for calls on a handle (0 when unknown or none) */
	uint64_t off;	/* pwrite, torn, ftruncate (the size), reserve */
	uint64_t len;	/* pwrite and reserve: the length; torn: the bytes forwarded */
	int fd;		/* the inner store's handle of calls on a handle, else -1; valid
			 * during the hook only */
	const void *data; /* pwrite, torn: the len bytes written (borrowed for the hook) */
};

/* Called after each recorded call succeeded on the inner store. */
typedef void (*store_record_fn)(void *arg, const struct store_record_event *e);

/*
 * Wrap inner (ownership moves to the new store); hook (not NULL) and arg are borrowed
 * until store_free(). Returns 0 or -ENOMEM.
 */
int store_record_new(struct store *inner, store_record_fn hook, void *arg,
		     struct store **out) MUST_CHECK;
/* Name of an op for messages ("pwrite", "torn", ...). */
const char *store_record_op_name(enum store_record_op op);

#endif
