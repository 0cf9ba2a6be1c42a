/*
 * The FUSE session around the handlers of ops.c: mount options, signal handlers, the
 * multi-threaded request loop and an orderly teardown. Knows nothing about passwords,
 * daemons or pid files (cli/cmd_mount.c does those).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/log.h"
#include "fuse/fuse_internal.h"
#include "fuse/inode_table.h"
#include "vault/vault.h"

enum {
	FRONTEND_DEFAULT_MAX_THREADS = 16,
	FRONTEND_DEFAULT_IDLE_THREADS = 4,
};

void frontend_options_init(struct frontend_options *o)
{
	memset(o, 0, sizeof(*o));
	o->default_permissions = true;
	o->keep_cache = true;
	o->attr_timeout = 1.0;
	o->entry_timeout = 1.0;
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
		if ((r = buf_append_str(b, ",fsname=")) < 0 || (r = append_escaped(b, o->fsname)) < 0)
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

int frontend_mount(struct frontend *f, const char *mountpoint)
{
	if (fuse_session_mount(f->se, mountpoint) != 0)
		return -EIO;
	f->mounted = true;
	if (fuse_set_signal_handlers(f->se) != 0) {
		log_error("cannot install signal handlers for '%s'", mountpoint);
		return -EIO;
	}
	f->signals_set = true;
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
	r = fuse_session_loop_mt(f->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return r;
}

void frontend_free(struct frontend *f)
{
	if (!f)
		return;
	if (f->se) {
		if (f->signals_set)
			fuse_remove_signal_handlers(f->se);
		if (f->mounted)
			fuse_session_unmount(f->se);
		fuse_session_destroy(f->se);
	}
	inode_table_free(f->inodes);
	free(f);
}
