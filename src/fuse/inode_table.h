/*
 * The inode table of the FUSE front end: the node ids the kernel knows, each mapped to one
 * vault vnode with the kernel's lookup count.
 *
 * Node ids are handed out from a counter and never reused while mounted, so a stale id from
 * the kernel can only miss, never alias another object (generation is therefore always 0).
 * Node id 1 (FUSE_ROOT_ID) is the vault root; it is never forgotten.
 *
 * Every entry also remembers the last name it was looked up under, in least-recently-used
 * order, so that the front end can ask the kernel to drop old entries when lower
 * descriptors run short (each vnode holds one).
 *
 * References: the table holds one vnode reference per entry, dropped with vnode_unref()
 * when the lookup count reaches zero (forget) or when the table is cleared. Every function
 * may be called from any thread.
 */
#ifndef VEILFS_FUSE_INODE_TABLE_H
#define VEILFS_FUSE_INODE_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

struct inode_table;
struct vault;
struct vnode;

enum { INODE_TABLE_ROOT_ID = 1 };

/* A new table with the root (a new reference from vault_root()). Returns 0 or -ENOMEM. */
int inode_table_new(struct vault *v, struct inode_table **out) MUST_CHECK;
/* Drop every reference (the root's too) and free; accepts NULL. */
void inode_table_free(struct inode_table *t);
/* Drop every entry but the root (the kernel forgets nothing when the session ends). */
void inode_table_clear(struct inode_table *t);

/*
 * The vnode of node id `id` with a new reference the caller drops with vnode_unref(), or
 * NULL when the id is unknown.
 */
struct vnode *inode_table_get(struct inode_table *t, uint64_t id);

/*
 * Count one kernel lookup of n, found as `name` in directory node `parent`, and store its
 * node id in *id. Takes over the caller's reference to n in every case (also on failure,
 * when it is dropped). The name is remembered (copied) for inode_table_oldest(). Returns 0
 * or -ENOMEM.
 */
int inode_table_add(struct inode_table *t, struct vnode *n, uint64_t parent, const char *name,
		    uint64_t *id) MUST_CHECK;

/* A name under which the kernel knows a node: entry `name` of directory node `parent`. */
struct inode_name {
	uint64_t parent;
	char *name; /* owned by the caller after inode_table_oldest(); free() it */
};

/*
 * The names of up to max least recently used nodes (never the root), for asking the kernel
 * to forget them. Each one returned moves to the most recently used end, so nodes the kernel
 * keeps (open files, working directories) are not offered again at once. Returns the count.
 */
size_t inode_table_oldest(struct inode_table *t, struct inode_name *out, size_t max);

/* Drop `count` kernel lookups of node id `id`; unknown ids and the root are ignored. */
void inode_table_forget(struct inode_table *t, uint64_t id, uint64_t count);

/* Number of entries, root included (for tests and debug logs). */
uint64_t inode_table_count(struct inode_table *t);
/* Number of inode_table_get() calls so far, found or not (for tests and debug logs). */
uint64_t inode_table_gets(struct inode_table *t);

#endif
