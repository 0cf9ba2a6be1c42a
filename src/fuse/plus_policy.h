/*
 * When readdirplus pays for attributes: a listing that nobody stats (find, a shell's
 * completion) needs names and types only; one that is stat'ed (ls -l, du, rm -r) saves a
 * LOOKUP per entry with them. The kernel asks for plus at every offset 0, so the daemon
 * decides, from what follows its listings (plus_policy.c).
 */
#ifndef VEILFS_FUSE_PLUS_POLICY_H
#define VEILFS_FUSE_PLUS_POLICY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* One mount's state; zero-initialised is the start (names only until stats are seen). */
struct plus_policy {
	_Atomic uint64_t probe_dir;   /* node id of the last listing without attributes, or 0 */
	_Atomic uint32_t probe_names; /* its entries that are not directories */
	_Atomic uint32_t probe_hits;  /* lookups of such entries in it since */
	_Atomic uint32_t plus_left;   /* listings to give attributes in, still */
};

/* Whether a readdirplus reply carries attributes; the first of a listing (offset 0)
 * counts one listing of the run down. */
bool plus_policy_take(struct plus_policy *p, bool first);
/* A reply without attributes listed `names` entries that are not directories in dir. */
void plus_policy_listed(struct plus_policy *p, uint64_t dir, uint32_t names);
/* The kernel looked up an entry that is not a directory in dir. */
void plus_policy_looked_up(struct plus_policy *p, uint64_t dir);

#endif
