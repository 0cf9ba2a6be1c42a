/*
 * The mount registry: every mount of a cipher directory announces itself there, so that a
 * mount never runs unsafely beside another (docs/SHARED.md, "Mount registry").
 *
 * One file per mount in the cipher root, `veilfs.mount.<client id>` (reserved names:
 * never listed, never decrypted), replaced atomically, holding one line
 *     veilfs-mount v1 host=<name> boot=<id> pid=<n> mode=<off|locks|lockfiles>
 *         started=<unix s> beat=<unix s> seq=<n> mnt=<mount point, %-escaped>
 * rewritten every REGISTRY_HEARTBEAT_S by a thread of the mount (seq counts up).
 * A registration is live when its process runs (same host and boot: asked directly), or,
 * for another host, when its seq changes while this client watches it for two heartbeats
 * (this client's monotonic clock: clock skew between machines does not matter);
 * registrations whose beat is older than REGISTRY_STALE_S by this machine's clock are
 * stale without watching. A mount removes stale registrations it finds (logged).
 */
#ifndef VEILFS_COORD_REGISTRY_H
#define VEILFS_COORD_REGISTRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "base/compiler.h"
#include "coord/coord.h"

#define REGISTRY_PREFIX "veilfs.mount."

enum {
	REGISTRY_HEARTBEAT_S = 5,
	REGISTRY_STALE_S = 600,
	REGISTRY_FIELD_MAX = 256,
	REGISTRY_LINE_MAX = 1024,
	REGISTRY_ENTRIES_MAX = 256,
};

/* One registration as read from the cipher directory. */
struct registry_entry {
	char file[64];   /* veilfs.mount.<id> */
	char host[REGISTRY_FIELD_MAX];
	char boot[64];
	long pid;
	char mode[16];   /* off, locks, lockfiles */
	int64_t started, beat;
	uint64_t seq;
	char mnt[REGISTRY_FIELD_MAX];
};

enum registry_state {
	REGISTRY_LIVE = 0,
	REGISTRY_STALE = 1,
	REGISTRY_UNKNOWN = 2, /* another host, not watched (status without --wait) */
};

/* The platform answers that the core cannot: who we are, and whether a local pid runs. */
struct registry_platform {
	const char *host; /* this machine's name */
	const char *boot; /* this boot's id ("" when unknown: pids are then never trusted) */
	bool (*pid_alive)(long pid);
};

struct registry {
	struct coord *c;                       /* borrowed */
	const struct registry_platform *plat; /* borrowed */
	struct registry_entry self;
	pthread_t thread;
	bool running;
	bool announced_planned; /* registers itself (not a read-only mount) */
	bool announced;         /* its registration was written */
	pthread_mutex_t mutex; /* protects stop and self.seq/beat */
	pthread_cond_t cond;
	bool stop;
};

/*
 * Register this mount (mode, mount point) in c's cipher directory, then look at every
 * other registration: remove the stale ones, and refuse (-EBUSY, *conflict filled, our
 * registration removed again) when a live one cannot run beside us: any live mount when
 * either of us is single-client (mode off), or one in another shared mode. On success the
 * heartbeat thread runs until registry_leave(). With announce false (a read-only mount,
 * which must not change the cipher directory) nothing is written or removed: the others
 * are only checked. Returns 0 or -errno.
 */
int registry_join(struct registry *reg, struct coord *c, const struct registry_platform *plat,
		  const char *mode, const char *mnt, bool announce,
		  struct registry_entry *conflict) MUST_CHECK;
/* Stop the heartbeat and remove our registration. */
void registry_leave(struct registry *reg);

/*
 * Every registration in the cipher directory of c (up to max), with its state judged
 * without watching (other hosts: REGISTRY_UNKNOWN unless stale by age). Returns the count
 * or -errno.
 */
int registry_list(struct coord *c, const struct registry_platform *plat,
		  struct registry_entry *out, enum registry_state *state, int max) MUST_CHECK;

/*
 * The name a front end files local state for the mount point canon under (the pid file of
 * `veilfs mount`): the SHA-256 of canon's bytes in lowercase hex, NUL-terminated.
 * Returns 0 or -errno (hex is wiped on error).
 */
enum { REGISTRY_DIGEST_HEX_LEN = 64 };
int registry_mountpoint_digest(const char *canon,
			       char hex[static REGISTRY_DIGEST_HEX_LEN + 1]) MUST_CHECK;

/* Parse one registration line (exposed for tests and the fuzzer). 0 or -EPROTO. */
int registry_parse(const char *line, size_t len, struct registry_entry *e) MUST_CHECK;

#endif
