/*
 * The libfuse3 low-level front end: serves an unlocked vault at a mount point.
 *
 * Lifecycle: frontend_new() creates the FUSE session (no mount yet), frontend_mount()
 * mounts it and installs the SIGTERM/SIGINT/SIGHUP handlers, frontend_run() serves requests
 * on a thread pool until the file system is unmounted or a signal arrives, and
 * frontend_free() unmounts (if still mounted), ends the session and drops every vnode
 * reference, after which the caller may vault_close() the vault.
 *
 * Every node the kernel caches pins a vnode, and every vnode holds a lower descriptor. When
 * the kernel holds more than max_nodes, a reclaimer thread asks it (notify_inval_entry) to
 * drop the least recently used entries, so a tree of any size fits the open-file limit.
 *
 * Error codes of the vault are translated here, once: -EBADMSG and -EPROTO become EIO (the
 * vault logs the cipher file and block); everything else passes through.
 */
#ifndef VEILFS_FUSE_FRONTEND_H
#define VEILFS_FUSE_FRONTEND_H

#include <stdbool.h>
#include <stdint.h>
#include "base/compiler.h"
#include "vault/vault.h"

struct frontend;
struct vault;

struct frontend_options {
	bool read_only;		  /* mount with -o ro (the vault must be opened read-only too) */
	bool debug;		  /* libfuse request tracing on stderr */
	bool default_permissions; /* let the kernel check modes and owners (default on) */
	bool keep_cache;	  /* keep the page cache across opens (single client only) */
	bool shared;		  /* other clients change the vault: revalidate at open */
	/*
	 * Kernel writeback cache: writes land in the page cache and reach the daemon later in
	 * large coalesced requests; the kernel then owns size and mtime while it holds dirty
	 * pages. Only safe when this daemon is the only writer: shared mode must turn it off.
	 */
	bool writeback;
	/*
	 * When an open for reading moves atime: the kernel never updates a FUSE file's atime
	 * and serves most reads from its page cache, so the daemon does it at open.
	 */
	enum vault_atime atime;
	/*
	 * --idle: unmount after this many ms without a request (0: never), by calling
	 * idle_unmount with the mount point (the caller's way to unmount, as umount(8) would:
	 * 0, -EBUSY while files are open, or another -errno). Both or neither are set.
	 */
	uint64_t idle_ms;
	int (*idle_unmount)(const char *mountpoint);
	double attr_timeout;  /* seconds the kernel caches attributes */
	double entry_timeout; /* seconds the kernel caches name lookups */
	/*
	 * Seconds the kernel caches a failed lookup (0: not cached). Only safe when this daemon
	 * is the only writer: shared mode must set 0.
	 */
	double negative_timeout;
	const char *fsname;    /* shown in /proc/mounts (the cipher directory); borrowed */
	const char *fuse_opts; /* extra comma-separated -o options for libfuse; borrowed */
	/*
	 * Kernel readahead of the mount in KiB (its bdi's read_ahead_kb, root only; the FUSE
	 * INIT reply can only lower the kernel's 128 KiB); 0 leaves the kernel's value.
	 */
	unsigned read_ahead_kb;
	unsigned max_threads; /* request threads at most */
	unsigned max_idle_threads;
	/*
	 * Node ids the kernel may hold before the least recently used are dropped from its
	 * cache (each holds a lower descriptor); 0 means half the open-file limit.
	 */
	uint64_t max_nodes;
};

/*
 * Defaults: 1 s timeouts, default_permissions, keep_cache, writeback, 16 threads (4 kept
 * idle).
 */
void frontend_options_init(struct frontend_options *o);

/*
 * Create the session for v (borrowed; it must outlive the front end). Returns 0,
 * -EINVAL when libfuse rejects the options (it says why on stderr) or -ENOMEM.
 */
int frontend_new(struct vault *v, const struct frontend_options *o,
		 struct frontend **out) MUST_CHECK;
/* Mount at the absolute path mountpoint. Returns 0 or -EIO (libfuse said why on stderr). */
int frontend_mount(struct frontend *f, const char *mountpoint) MUST_CHECK;
/*
 * Serve until unmounted or signalled. Returns 0 after an unmount, the signal number after
 * SIGTERM/SIGINT/SIGHUP, or a negative errno.
 */
int frontend_run(struct frontend *f) MUST_CHECK;
/* Unmount if mounted, end the session and drop all vnode references; accepts NULL. */
void frontend_free(struct frontend *f);

#endif
