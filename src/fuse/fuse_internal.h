/*
 * Private declarations shared by the files of fuse/: the front-end object and the table of
 * low-level handlers. Only fuse/ includes this header.
 */
#ifndef VEILFS_FUSE_FUSE_INTERNAL_H
#define VEILFS_FUSE_FUSE_INTERNAL_H

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 314
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <fuse_lowlevel.h>
#include "fuse/frontend.h"
#include "fuse/plus_policy.h"

struct inode_table;

struct frontend {
	struct vault *vault;	      /* borrowed */
	struct inode_table *inodes;   /* owned; has its own lock */
	struct fuse_session *se;      /* owned */
	struct frontend_options opts; /* fixed after frontend_new; its strings are not kept */
	bool mounted;
	bool signals_set;
	/*
	 * The generation of every entry this session hands out (random, not 0): node ids are
	 * never reused within a session, and a file handle (name_to_handle_at) from an earlier
	 * mount carries another generation, so the kernel answers it with ESTALE instead of
	 * opening whatever object has that node id now.
	 */
	uint32_t generation;
	/* The reclaimer thread (frontend.c): asks the kernel to drop old entries. */
	uint64_t max_nodes; /* start reclaiming above this many nodes (0: never) */
	pthread_t reclaimer;
	bool reclaimer_started;
	atomic_bool stopping; /* tells the reclaimer to end */
	/*
	 * The mount point (owned) while the readahead is still to be set: the kernel applies
	 * INIT's max_readahead (a minimum with its own) when INIT is answered, so the first
	 * request after it sets the larger value (frontend_after_init).
	 */
	char *ra_mountpoint;
	atomic_bool ra_pending;
	/* --idle (idle.c): the time of the last request (monotonic ms), and the watcher. */
	_Atomic uint64_t last_request_ms;
	char *idle_mountpoint; /* owned */
	pthread_t idle_thread;
	bool idle_started;
	/* The FUSE_HANDLE_KILLPRIV_V2 handshake (killpriv.c); set by the request threads. */
	struct {
		atomic_bool disabled;	     /* VEILFS_KILLPRIV=0: requests not inspected */
		atomic_bool offered;	     /* the INIT request offered the bit */
		atomic_bool honour;	     /* op_init: requests reach us with their kill flags */
		atomic_bool init_pending;    /* the INIT request was read, its reply not yet sent */
		_Atomic uint64_t init_unique; /* that request's unique id */
		atomic_bool active;	     /* the INIT reply carried the bit */
	} killpriv;
	/* Whether readdirplus replies carry attributes (plus_policy.c). */
	struct plus_policy plus;
};

/* frontend.c */
/* Called by every request handler; cheap once the one-time work after INIT is done. */
void frontend_after_init(struct frontend *f);

/* ops.c */
extern const struct fuse_lowlevel_ops frontend_ops;

/* --- idle.c --- */

/* A request arrived (called by the request reader). */
void idle_note_request(struct frontend *f);
/* With opts.idle_ms set: watch for idleness and unmount mountpoint then. 0 or -errno. */
int idle_start(struct frontend *f, const char *mountpoint) MUST_CHECK;
/* Join the watcher (after f->stopping is set). */
void idle_stop(struct frontend *f);

#endif
