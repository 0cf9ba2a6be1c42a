/*
 * A fault-injecting store for tests: wraps another store and fails the Nth call of one
 * operation (or of any operation), once or from then on, with a chosen errno, or turns a
 * pwrite into a short write. For faults that real file systems cannot produce on demand.
 */
#ifndef VEILFS_STORE_STORE_FAULT_H
#define VEILFS_STORE_STORE_FAULT_H

#include <stdbool.h>
#include "base/compiler.h"
#include "store/store.h"

enum store_fault_op {
	STORE_FAULT_ANY = 0,
	STORE_FAULT_OPENAT,
	STORE_FAULT_PREAD,
	STORE_FAULT_PWRITE,
	STORE_FAULT_FSYNC,
	STORE_FAULT_FTRUNCATE,
	STORE_FAULT_RENAMEAT,
	STORE_FAULT_MKDIRAT,
	STORE_FAULT_UNLINKAT,
	STORE_FAULT_FSTAT,
	STORE_FAULT_OTHER, /* every operation not listed above */
};

struct store_fault_plan {
	enum store_fault_op op;
	unsigned nth;     /* 1 = the next matching call */
	int err;          /* positive errno to fail with (e.g. ENOSPC, EIO) */
	bool persistent;  /* keep failing every matching call after the nth */
	bool short_write; /* pwrite writes half of its bytes and reports that (no errno).
			   * With err: the next matching call fails with err (a write cut
			   * short by a full disk), and with persistent every later one too
			   * (a disk that stays full) */
};

/* Wrap inner (ownership moves to the new store). Returns 0 or -ENOMEM. */
int store_fault_new(struct store *inner, struct store **out) MUST_CHECK;
void store_fault_arm(struct store *s, const struct store_fault_plan *plan);
void store_fault_disarm(struct store *s);
/* How many calls have been failed since the last arm. */
unsigned store_fault_hits(const struct store *s);

/* Calls made through the store, failed or not, armed or not: for tests that pin how many
 * lower calls an operation costs. fstat counts fstat, fstat_fresh and fstatat; lock counts
 * lock and unlock. */
struct store_fault_calls {
	unsigned pread, pwrite, fstat, ftruncate, fsync, reserve, lock, other;
};
/* The counts since store_fault_new or the last store_fault_calls_reset. */
void store_fault_calls_get(struct store *s, struct store_fault_calls *out);
void store_fault_calls_reset(struct store *s);

#endif
