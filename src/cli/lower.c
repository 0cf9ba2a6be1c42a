/*
 * The lower file system of a cipher directory (lower.h): its type from
 * /proc/self/mountinfo, and, for sshfs, the options its process runs with, read from
 * /proc/PID/cmdline of the sshfs process whose mount point argument names that mount.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/log.h"
#include "cli/cli.h"
#include "cli/lower.h"
#include "store/store.h"

enum { CMDLINE_MAX = 65536 };

void lower_describe(const char *path, struct lower_info *li)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[3 * LOWER_FIELD_MAX], mnt[LOWER_FIELD_MAX], src[LOWER_FIELD_MAX], *sep;
	char fstype[256];
	size_t best = 0, len;
	bool found = false;

	memset(li, 0, sizeof(*li));
	if (store_is_smb_url(path)) {
		/* veilfs's own SMB client (store_smb.c): no kernel or FUSE client below */
		snprintf(li->fstype, sizeof(li->fstype), "smb");
		snprintf(li->mountpoint, sizeof(li->mountpoint), "%s", "smb://");
		if (f)
			fclose(f);
		return;
	}
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (!(sep = strstr(line, " - ")) ||
		    sscanf(sep + 3, "%255s %4095s", fstype, src) != 2)
			continue;
		len = strlen(mnt); /* mount points with escaped characters (\040) do not match */
		if (strncmp(path, mnt, len) != 0 ||
		    (len > 1 && path[len] != '/' && path[len] != '\0'))
			continue;
		if (!found || len >= best) {
			best = len;
			found = true;
			snprintf(li->fstype, sizeof(li->fstype), "%s", fstype);
			snprintf(li->mountpoint, sizeof(li->mountpoint), "%s", mnt);
			snprintf(li->source, sizeof(li->source), "%s", src);
		}
	}
	fclose(f);
}

static bool is_one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

bool lower_is_local(const struct lower_info *li)
{
	static const char *const net[] = {"smb",  "nfs",  "nfs4", "cifs",  "smb3", "ceph",
					  "9p",   "afs",  "ocfs2", "gfs2", "glusterfs",
					  "lustre", "beegfs", NULL};

	return li->fstype[0] && strncmp(li->fstype, "fuse", 4) != 0 &&
	       !is_one_of(li->fstype, net);
}

bool lower_has_shared_locks(const struct lower_info *li)
{
	static const char *const lockfs[] = {"fuse.glusterfs", "glusterfs", "nfs", "nfs4", "cifs",
					     "smb3", "ceph", "ocfs2", "gfs2", NULL};

	/* local file systems lock across processes; other FUSE clients usually keep locks
	 * local (sshfs, rclone) */
	return lower_is_local(li) || is_one_of(li->fstype, lockfs);
}

/* Read /proc/PID/cmdline into buf (NUL-separated); its length, or -1. */
static ssize_t read_cmdline(const char *pid, char *buf, size_t size)
{
	char path[300];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Does argument arg of process pid name the directory mnt (relative to its cwd)? */
static bool arg_names(const char *pid, const char *arg, const char *mnt)
{
	char path[PATH_MAX + 64], cwd[PATH_MAX], real[PATH_MAX];
	ssize_t n;

	if (arg[0] == '/') {
		snprintf(path, sizeof(path), "%s", arg);
	} else {
		snprintf(path, sizeof(path), "/proc/%s/cwd", pid);
		n = readlink(path, cwd, sizeof(cwd) - 1);
		if (n <= 0)
			return false;
		cwd[n] = '\0';
		snprintf(path, sizeof(path), "%s/%s", cwd, arg);
	}
	/* the mount point is mounted now: realpath of it is the mount point itself */
	return realpath(path, real) && !strcmp(real, mnt);
}

/* Is one comma-separated option of opts "key=value" with value in vals? */
static bool opt_is(const char *opts, const char *key, const char *const *vals)
{
	size_t klen = strlen(key);
	const char *p = opts, *end;
	char val[64];

	while (*p) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) > klen && !strncmp(p, key, klen) && p[klen] == '=' &&
		    (size_t)(end - p - (ptrdiff_t)klen - 1) < sizeof(val)) {
			snprintf(val, sizeof(val), "%.*s", (int)(end - p - (ptrdiff_t)klen - 1),
				 p + klen + 1);
			if (is_one_of(val, vals))
				return true;
		}
		p = *end ? end + 1 : end;
	}
	return false;
}

/*
 * sshfs keeps its own cache of names and attributes for 20 s by default, which no call
 * through the mount passes (docs/SHARED.md). 1: the sshfs process serving mnt runs with
 * the cache off, 0: with it on, -1: no such process visible here.
 */
static int sshfs_cache_off(const char *mnt)
{
	static const char *const no[] = {"no", "false", "0", NULL};
	static const char *const zero[] = {"0", NULL};
	char *buf = malloc(CMDLINE_MAX), comm[64], path[300];
	struct dirent *e;
	DIR *d;
	int found = -1;

	if (!buf || !(d = opendir("/proc"))) {
		free(buf);
		return -1;
	}
	while (found < 0 && (e = readdir(d))) {
		ssize_t n, i;
		bool names = false, off = false, prev_o = false;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		comm[0] = '\0';
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		if (strcmp(comm, "sshfs\n") != 0)
			continue;
		if ((n = read_cmdline(e->d_name, buf, CMDLINE_MAX)) < 0)
			continue;
		for (i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) {
			const char *arg = buf + i, *opts = NULL;

			if (prev_o)
				opts = arg;
			else if (!strncmp(arg, "-o", 2) && arg[2])
				opts = arg + 2;
			prev_o = !opts && !strcmp(arg, "-o");
			if (opts) {
				off |= opt_is(opts, "dir_cache", no);
				off |= opt_is(opts, "dcache_timeout", zero);
			} else if (arg[0] != '-' && arg_names(e->d_name, arg, mnt)) {
				names = true;
			}
		}
		if (names)
			found = off ? 1 : 0;
	}
	closedir(d);
	free(buf);
	return found;
}

static enum coord_fresh fresh_override(enum coord_fresh dflt)
{
	const char *e = getenv("VEILFS_FRESH");

	if (!e)
		return dflt;
	if (!strcmp(e, "none"))
		return COORD_FRESH_NONE;
	if (!strcmp(e, "reads"))
		return COORD_FRESH_READS;
	if (!strcmp(e, "all"))
		return COORD_FRESH_ALL;
	return dflt;
}

/* GlusterFS's quick-read translator keeps a small file's contents from a lookup and
 * answers reads from it for up to 1 s, whatever the open flags (O_DIRECT included), so a
 * shared mode needs it off (docs/SHARED.md, "GlusterFS"). */
static int gluster_check(const char *mnt, enum coord_fresh *fresh)
{
	char vol[256] = "";
	int qr = lower_gluster_quick_read(mnt, vol, sizeof(vol));

	if (qr == 1) {
		cli_error("the GlusterFS client at '%s' runs quick-read (volume option "
			  "performance.quick-read, on by default), which answers reads of small "
			  "files from contents it cached for up to 1 s, so this client would read "
			  "another client's writes late: switch it off with 'gluster volume set "
			  "%s performance.quick-read off' for a shared mode (docs/SHARED.md)",
			  mnt, vol);
		return CLI_EXIT_USAGE;
	}
	if (qr < 0)
		log_warn("cannot read the GlusterFS client's graph under '%s/.meta' to check "
			 "its translators: the volume must have performance.quick-read off for a "
			 "shared mode (docs/SHARED.md)", mnt);
	*fresh = fresh_override(COORD_FRESH_ALL);
	return 0;
}

int lower_check_shared(const struct lower_info *li, enum coord_fresh *fresh)
{
	int cache_off;

	*fresh = COORD_FRESH_ALL;
	if (lower_is_local(li)) {
		*fresh = fresh_override(COORD_FRESH_NONE);
		return 0;
	}
	if (!strcmp(li->fstype, "smb")) {
		/* libsmbclient keeps no data or attribute cache: every call is the server's
		 * answer (docs/SHARED.md, "SMB through veilfs's own client") */
		*fresh = fresh_override(COORD_FRESH_NONE);
		return 0;
	}
	if (!strcmp(li->fstype, "fuse.rclone")) {
		cli_error("a shared mode over rclone ('%s') cannot be correct: rclone uploads "
			  "whole files after close, so writes of two clients to one file lose "
			  "each other's updates in every mode; mount the share with veilfs's own "
			  "SMB client (veilfs mount smb://HOST/SHARE/PATH MOUNTPOINT), or use one "
			  "client at a time with --shared=off (docs/SHARED.md)",
			  li->mountpoint);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(li->fstype, "fuse.sshfs")) {
		cache_off = sshfs_cache_off(li->mountpoint);
		if (cache_off == 0) {
			cli_error("sshfs at '%s' keeps its own cache of names and attributes "
				  "(20 s by default), so it would show this client another "
				  "client's changes late: remount it with 'sshfs -o dir_cache=no' "
				  "for a shared mode (docs/SHARED.md)", li->mountpoint);
			return CLI_EXIT_USAGE;
		}
		if (cache_off < 0)
			log_warn("cannot see the sshfs process serving '%s' to check its options: "
				 "it must run with -o dir_cache=no for a shared mode (docs/SHARED.md)",
				 li->mountpoint);
		/* one SFTP connection keeps the order of requests, so a write is on the
		 * server before the lock file's removal that follows it: reads only */
		*fresh = fresh_override(COORD_FRESH_READS);
		return 0;
	}
	if (!strcmp(li->fstype, "fuse.glusterfs"))
		return gluster_check(li->mountpoint, fresh);
	*fresh = fresh_override(COORD_FRESH_ALL);
	return 0;
}
