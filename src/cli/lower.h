/*
 * What veilfs can learn, on this machine, about the lower file system that holds a cipher
 * directory (Linux: /proc/self/mountinfo and the process serving a FUSE mount), and the
 * shared-mode decisions that follow from it (docs/SHARED.md, "Which lower clients"):
 * which lock mode --shared=auto picks, how far the lower client's caches are distrusted,
 * and which lower clients cannot be made coherent at all, with the option that would.
 */
#ifndef VEILFS_CLI_LOWER_H
#define VEILFS_CLI_LOWER_H

#include <stdbool.h>
#include <stddef.h>
#include "vault/vault.h"

enum { LOWER_FIELD_MAX = 4096 };

struct lower_info {
	char fstype[256];                /* "" when unknown */
	char mountpoint[LOWER_FIELD_MAX]; /* of the mount holding the path */
	char source[LOWER_FIELD_MAX];     /* mount source ("user@host:/dir", "host:/vol") */
};

/* The mount holding the absolute path (longest matching mount point). */
void lower_describe(const char *path, struct lower_info *li);
/* True for a local, single-machine file system type (no other client can see it). */
bool lower_is_local(const struct lower_info *li);
/* True when the lower fs has byte-range locks that cross clients (the `locks` mode). */
bool lower_has_shared_locks(const struct lower_info *li);

/*
 * Can a shared mode be correct over this lower client, as it is mounted? Returns 0 and
 * sets *fresh (how far its caches must be distrusted), or prints why not and what to
 * change, and returns CLI_EXIT_USAGE.
 */
int lower_check_shared(const struct lower_info *li, enum coord_fresh *fresh);

/*
 * Does the GlusterFS FUSE client mounted at MOUNTPOINT run the quick-read translator
 * (the volume's performance.quick-read, on by default)? Reads the client's graph under
 * MOUNTPOINT/.meta. Returns 1 and puts the volume's name in VOLUME, 0 when it does not,
 * -1 when the graph cannot be read (lower_gluster.c).
 */
int lower_gluster_quick_read(const char *mountpoint, char *volume, size_t volume_len);

#endif
