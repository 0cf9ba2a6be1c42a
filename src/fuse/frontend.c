/*
 * The FUSE session around the handlers of ops.c: mount options, signal handlers, the
 * multi-threaded request loop and an orderly teardown. Knows nothing about passwords,
 * daemons or pid files (cli/cmd_mount.c does those).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/log.h"
#include "fuse/fuse_internal.h"
#include "fuse/inode_table.h"
#include "fuse/killpriv.h"
#include "vault/vault.h"

enum {
	FRONTEND_DEFAULT_MAX_THREADS = 16,
	FRONTEND_DEFAULT_IDLE_THREADS = 4,
	/* sequential reads in 1 MiB requests (max_write's size) instead of 128 KiB ones */
	FRONTEND_DEFAULT_READ_AHEAD_KB = 1024,
	RECLAIM_BATCH = 256,	 /* entries invalidated per round */
	RECLAIM_IDLE_MS = 50,	 /* poll interval below the limit */
	RECLAIM_ROUND_MS = 5,	 /* pause between rounds: forgets arrive asynchronously */
	RECLAIM_MIN_NODES = 256, /* never reclaim below this many */
};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Half the open-file limit: the rest is for open files, directories and libfuse. */
static uint64_t auto_max_nodes(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return rl.rlim_cur / 2 > RECLAIM_MIN_NODES ? rl.rlim_cur / 2 : RECLAIM_MIN_NODES;
}

/*
 * Above max_nodes, invalidate the kernel's entries of the least recently used nodes until
 * the count falls to 3/4 of it. The kernel then evicts the inodes nobody uses and sends
 * FORGET, which drops our reference. Runs without any lock of ours held, so a notify that
 * waits for a directory lock in the kernel cannot block a request handler.
 */
static void *reclaim_main(void *arg)
{
	struct frontend *f = arg;
	struct inode_name batch[RECLAIM_BATCH];
	uint64_t target = f->max_nodes / 4 * 3, count;
	bool active = false;
	time_t last_log = 0;
	size_t n, i;

	while (!atomic_load(&f->stopping)) {
		count = inode_table_count(f->inodes);
		if (count <= f->max_nodes && (!active || count <= target)) {
			active = false;
			sleep_ms(RECLAIM_IDLE_MS);
			continue;
		}
		if (!active && time(NULL) - last_log >= 60) {
			last_log = time(NULL);
			log_info("the kernel holds %llu nodes (limit %llu): asking it to drop the "
				 "least recently used",
				 (unsigned long long)count, (unsigned long long)f->max_nodes);
		}
		active = true;
		n = count - target < RECLAIM_BATCH ? (size_t)(count - target) : RECLAIM_BATCH;
		n = inode_table_oldest(f->inodes, batch, n);
		for (i = 0; i < n; i++) {
			if (!atomic_load(&f->stopping))
				(void)fuse_lowlevel_notify_inval_entry(
				    f->se, batch[i].parent, batch[i].name, strlen(batch[i].name));
			free(batch[i].name);
		}
		sleep_ms(RECLAIM_ROUND_MS);
	}
	return NULL;
}

void frontend_options_init(struct frontend_options *o)
{
	memset(o, 0, sizeof(*o));
	o->default_permissions = true;
	o->keep_cache = true;
	o->writeback = true;
	o->attr_timeout = 1.0;
	o->entry_timeout = 1.0;
	o->negative_timeout = 1.0;
	o->read_ahead_kb = FRONTEND_DEFAULT_READ_AHEAD_KB;
	o->max_threads = FRONTEND_DEFAULT_MAX_THREADS;
	o->max_idle_threads = FRONTEND_DEFAULT_IDLE_THREADS;
}

/* Append s to an -o list, escaping the characters libfuse's option parser treats specially. */
static int append_escaped(struct buf *b, const char *s)
{
	int r = 0;

	for (; *s && r >= 0; s++) {
		if (*s == ',' || *s == '\\')
			r = buf_append(b, "\\", 1);
		if (r >= 0)
			r = buf_append(b, s, 1);
	}
	return r;
}

static int build_mount_opts(const struct frontend_options *o, struct buf *b)
{
	int r;

	if ((r = buf_append_str(b, "subtype=veilfs")) < 0)
		return r;
	if (o->fsname) {
		if ((r = buf_append_str(b, ",fsname=")) < 0 ||
		    (r = append_escaped(b, o->fsname)) < 0)
			return r;
	}
	if (o->read_only && (r = buf_append_str(b, ",ro")) < 0)
		return r;
	if (o->default_permissions && (r = buf_append_str(b, ",default_permissions")) < 0)
		return r;
	return 0;
}

int frontend_new(struct vault *v, const struct frontend_options *o, struct frontend **out)
{
	struct frontend *f;
	struct buf opts;
	char *argv[8];
	int argc = 0, r;
	struct fuse_args args;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->vault = v;
	f->opts = *o;
	if (getrandom(&f->generation, sizeof(f->generation), 0) != sizeof(f->generation))
		f->generation = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
	f->generation |= f->generation ? 0 : 1;
	f->opts.fsname = NULL;
	f->opts.fuse_opts = NULL;
	buf_init(&opts);
	if ((r = build_mount_opts(o, &opts)) < 0)
		goto out;
	if ((r = inode_table_new(v, &f->inodes)) < 0)
		goto out;
	argv[argc++] = (char *)"veilfs";
	if (o->debug)
		argv[argc++] = (char *)"-d";
	argv[argc++] = (char *)"-o";
	argv[argc++] = (char *)opts.data;
	if (o->fuse_opts && *o->fuse_opts) {
		argv[argc++] = (char *)"-o";
		argv[argc++] = (char *)o->fuse_opts;
	}
	argv[argc] = NULL;
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	f->se = fuse_session_new(&args, &frontend_ops, sizeof(frontend_ops), f);
	fuse_opt_free_args(&args);
	if (!f->se) {
		r = -EINVAL;
		goto out;
	}
	*out = f;
	f = NULL;
	r = 0;
out:
	buf_release(&opts);
	if (f) {
		inode_table_free(f->inodes);
		free(f);
	}
	return r;
}

/*
 * The device number ("MAJOR:MINOR") of the last mount on mountpoint, from
 * /proc/self/mountinfo: stat() on the mount would wait for the INIT this thread has yet to
 * answer. Paths there escape space, tab, newline and backslash as octal.
 */
static bool mount_devno(const char *mountpoint, char *devno, size_t size)
{
	char line[4096], dev[64], path[4096], *in, *out;
	bool found = false;
	FILE *fp = fopen("/proc/self/mountinfo", "re");

	if (!fp)
		return false;
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, "%*s %*s %63s %*s %4095s", dev, path) != 2)
			continue;
		for (in = out = path; *in; out++) {
			if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] && in[3]) {
				*out =
				    (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
				in += 4;
			} else {
				*out = *in++;
			}
		}
		*out = '\0';
		if (strcmp(path, mountpoint) == 0 && strlen(dev) < size) {
			strcpy(devno, dev);
			found = true;
		}
	}
	fclose(fp);
	return found;
}

/* Best effort: only root may write the bdi's readahead; reads work either way. */
static void set_read_ahead(const char *mountpoint, unsigned kb)
{
	char devno[64], path[128];
	FILE *fp;
	bool ok;

	if (!kb || !mount_devno(mountpoint, devno, sizeof(devno)))
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", devno);
	fp = fopen(path, "we");
	ok = fp && fprintf(fp, "%u\n", kb) >= 0;
	/* fclose() exactly once, whatever the write did */
	if (fp && fclose(fp) != 0)
		ok = false;
	if (!ok) {
		log_info("kernel readahead of '%s' left as it is (cannot write '%s')", mountpoint,
			 path);
		return;
	}
	log_info("kernel readahead of '%s' set to %u KiB", mountpoint, kb);
}

void frontend_after_init(struct frontend *f)
{
	if (atomic_load_explicit(&f->ra_pending, memory_order_relaxed) &&
	    atomic_exchange(&f->ra_pending, false))
		set_read_ahead(f->ra_mountpoint, f->opts.read_ahead_kb);
}

int frontend_mount(struct frontend *f, const char *mountpoint)
{
	if (fuse_session_mount(f->se, mountpoint) != 0)
		return -EIO;
	f->mounted = true;
	killpriv_install(f);
	if (f->opts.read_ahead_kb && (f->ra_mountpoint = strdup(mountpoint)))
		atomic_store(&f->ra_pending, true);
	if (fuse_set_signal_handlers(f->se) != 0) {
		log_error("cannot install signal handlers for '%s'", mountpoint);
		return -EIO;
	}
	f->signals_set = true;
	if (idle_start(f, mountpoint) < 0)
		log_warn("cannot watch '%s' for --idle: it stays mounted", mountpoint);
	return 0;
}

int frontend_run(struct frontend *f)
{
	struct fuse_loop_config *cfg;
	int r;

	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, 0);
	fuse_loop_cfg_set_max_threads(cfg, f->opts.max_threads);
	fuse_loop_cfg_set_idle_threads(cfg, f->opts.max_idle_threads);
	f->max_nodes = f->opts.max_nodes ? f->opts.max_nodes : auto_max_nodes();
	if (f->max_nodes && !f->reclaimer_started) {
		if (pthread_create(&f->reclaimer, NULL, reclaim_main, f) == 0)
			f->reclaimer_started = true;
		else
			log_warn("cannot start the node reclaimer: the kernel may exhaust the "
				 "open-file limit");
	}
	r = fuse_session_loop_mt(f->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return r;
}

void frontend_free(struct frontend *f)
{
	if (!f)
		return;
	if (f->se) {
		atomic_store(&f->stopping, true);
		idle_stop(f);
		if (f->signals_set)
			fuse_remove_signal_handlers(f->se);
		/* Unmount first: it fails pending requests, so a notify blocked in the kernel ends.
		 */
		if (f->mounted)
			fuse_session_unmount(f->se);
		if (f->reclaimer_started)
			pthread_join(f->reclaimer, NULL);
		fuse_session_destroy(f->se);
	}
	free(f->idle_mountpoint);
	inode_table_free(f->inodes);
	free(f->ra_mountpoint);
	free(f);
}
