/*
 * FUSE_HANDLE_KILLPRIV_V2 for libfuse 3.14, which cannot negotiate it.
 *
 * Without it the kernel keeps SB_NOSEC off on a FUSE mount, so every write() asks the
 * daemon for "security.capability" (GETXATTR) before it writes. With it the kernel sets
 * SB_NOSEC (only the first write after an attribute change asks) and leaves clearing
 * the set-user-ID and set-group-ID bits to us: it marks WRITE, SETATTR (truncate, chown),
 * OPEN and CREATE (O_TRUNC) requests of callers without CAP_FSETID with a "kill" flag.
 *
 * killpriv_install() wraps the session's /dev/fuse reads and writes (libfuse custom io):
 * the read side remembers the INIT request and each request's kill flag (libfuse 3.14
 * drops those flags before calling us); the write side adds the bit to the INIT reply
 * when the kernel offered it and op_init said we can honour it. Anything unexpected
 * leaves the reply as libfuse wrote it (today's behaviour). VEILFS_KILLPRIV=0 in the
 * environment turns the patch off (the tests use it as their control).
 */
#ifndef VEILFS_FUSE_KILLPRIV_H
#define VEILFS_FUSE_KILLPRIV_H

#include <stdbool.h>
#include <stdint.h>
#include "base/compiler.h"
#include "fuse/fuse_internal.h"

struct vnode;

/* After fuse_session_mount(): install the custom io on the session's descriptor. */
void killpriv_install(struct frontend *f);
/* From op_init, with the final conn->want: may the INIT reply carry the bit? */
void killpriv_conn_init(struct frontend *f, const struct fuse_conn_info *conn);
/* Whether the kernel asked to kill set-id bits for the request this thread is serving;
 * clears the flag. Call once, at the start of write, setattr, open and create. */
bool killpriv_take(void);
/*
 * Whether the process behind req has capability cap (CAP_* number) in its effective set,
 * read from /proc/PID/status; when that cannot be read, whether it is uid 0.
 */
bool killpriv_caller_capable(fuse_req_t req, int cap);
/*
 * Clear set-user-ID, and set-group-ID when group-execute is set (as the VFS does), on the
 * regular file n. When ino is not 0 and the mode changed, the kernel's cached attributes of
 * ino are dropped too (a write or open reply carries none). Returns 0 or a negative errno.
 */
int killpriv_apply(struct frontend *f, struct vnode *n, uint64_t ino) MUST_CHECK;

/*
 * FALLOCATE carries no kill flag, and under killpriv_v2 the kernel no longer clears the
 * bits itself (fs/fuse/dir.c fuse_setattr drops ATTR_KILL_* for it): kill them here for a
 * caller without CAP_FSETID (read from /proc/PID/status; uid 0 counts as capable when that
 * is unreadable), as ext4's fallocate does. Returns 0 or a negative errno.
 */
int killpriv_fallocate(struct frontend *f, fuse_req_t req, struct vnode *n,
		       uint64_t ino) MUST_CHECK;

#endif
