/*
 * Helpers for the vault unit tests: building a vault in a temp directory with the real
 * config format (keys/config_file.c) and the POSIX store, and lower-side inspection.
 * No TEST() here.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include "base/log.h"
#include "base/secmem.h"
#include "crypto/kdf.h"
#include "format/config.h"
#include "keys/config_file.h"
#include "keys/keys.h"
#include "names/names.h"
#include "store/store.h"
#include "helpers.h"
#include "test_vault_util.h"

static char log_last[1024];
static int log_count;

static void log_sink(enum log_level level, const char *msg)
{
	(void)level;
	snprintf(log_last, sizeof(log_last), "%s", msg);
	log_count++;
}

void tv_log_capture(bool on)
{
	log_last[0] = '\0';
	log_count = 0;
	log_set_sink(on ? log_sink : NULL, LOG_LEVEL_DEBUG);
}

const char *tv_log_last(void)
{
	return log_last;
}

int tv_log_count(void)
{
	return log_count;
}

static int write_config(const char *dir, const struct tv_params *p)
{
	struct store *s = NULL;
	struct config c;
	uint8_t *master = secmem_alloc(MASTER_KEY_LEN), iv[DIRIV_LEN];
	int rootfd = -1, r;

	memset(&c, 0, sizeof(c));
	c.version = CONFIG_VERSION;
	c.features = p->plaintext_names ? CONFIG_FEATURE_PLAINTEXT_NAMES : 0;
	c.cipher = p->cipher ? p->cipher : CONFIG_CIPHER_AES256_GCM;
	c.kdf = CONFIG_KDF_ARGON2ID;
	c.block_size = CONFIG_BLOCK_SIZE;
	c.kdf_time = CONFIG_KDF_TIME_MIN;
	c.kdf_memory_kib = CONFIG_KDF_MEMORY_MIN_KIB;
	c.kdf_lanes = 1;
	if (!master)
		return -ENOMEM;
	if ((r = random_bytes(c.vault_id, VAULT_ID_LEN)) < 0 ||
	    (r = random_bytes(master, MASTER_KEY_LEN)) < 0 ||
	    (r = keys_wrap(&c, master, TV_PW, strlen(TV_PW))) < 0)
		goto out;
	if ((r = store_posix_new(dir, &s, &rootfd)) < 0)
		goto out;
	if ((r = config_file_save(s, rootfd, &c)) < 0)
		goto out;
	if (!p->plaintext_names && ((r = random_bytes(iv, sizeof(iv))) < 0 ||
				    (r = store_write_atomic(s, rootfd, NAMES_DIRIV_FILE, iv,
							    sizeof(iv), 0444)) < 0))
		goto out;
out:
	if (s) {
		(void)store_close(s, rootfd);
		store_free(s);
	}
	secmem_free(master);
	return r;
}

static int tv_open(struct tv *t, const struct tv_params *p)
{
	struct vault_options o = { 0 };
	int r;

	o.read_only = p->read_only;
	o.shared = p->shared;
	o.fresh = p->fresh;
	o.lock_lease_ms = p->lock_lease_ms;
	if ((r = vault_open(t->dir, TV_PW, strlen(TV_PW), &o, &t->v)) < 0)
		return r;
	t->root = vault_root(t->v);
	t->who.uid = getuid();
	t->who.gid = getgid();
	return 0;
}

int tv_make(struct tv *t, const struct tv_params *p)
{
	static const struct tv_params defaults;
	int r;

	memset(t, 0, sizeof(*t));
	if (!p)
		p = &defaults;
	t->dir = test_temp_dir("tv");
	if (!t->dir)
		return -errno;
	if ((r = write_config(t->dir, p)) < 0)
		return r;
	return tv_open(t, p);
}

int tv_reopen(struct tv *t, const struct tv_params *p)
{
	static const struct tv_params defaults;

	if (t->root)
		vnode_unref(t->v, t->root);
	vault_close(t->v);
	t->root = NULL;
	t->v = NULL;
	return tv_open(t, p ? p : &defaults);
}

void tv_free(struct tv *t)
{
	if (t->root)
		vnode_unref(t->v, t->root);
	vault_close(t->v);
	test_rm_tree(t->dir);
	free(t->dir);
	memset(t, 0, sizeof(*t));
}

struct vnode *tv_create(struct tv *t, struct vnode *dir, const char *name)
{
	struct vnode *n = NULL;
	struct stat st;

	if (vault_create(t->v, dir, name, 0644, O_RDWR | O_CREAT, &t->who, &n, &st, NULL) < 0)
		return NULL;
	return n;
}

void tv_close(struct tv *t, struct vnode *n)
{
	if (!n)
		return;
	if (vault_release_file(t->v, n) < 0)
		fprintf(stderr, "release failed\n");
	vnode_unref(t->v, n);
}

int tv_only_lower(struct tv *t, const char *subdir, char *out)
{
	char path[512];
	struct dirent *e;
	DIR *d;
	int found = 0;

	snprintf(path, sizeof(path), "%s/%s", t->dir, subdir);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strncmp(e->d_name, "veilfs.", 7))
			continue;
		found++;
		snprintf(out, 512, "%s%s%s", subdir, *subdir ? "/" : "", e->d_name);
	}
	closedir(d);
	return found == 1 ? 0 : -1;
}

long tv_lower_read(struct tv *t, const char *lpath, uint8_t **data)
{
	char path[1024];
	struct stat st;
	long n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t->dir, lpath);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !(*data = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return -1;
	}
	n = (long)pread(fd, *data, (size_t)st.st_size, 0);
	close(fd);
	return n;
}

static const char *scan_marker;
static int scan_hits;

static bool has_marker(const void *p, size_t n)
{
	return memmem(p, n, scan_marker, strlen(scan_marker)) != NULL;
}

static void scan_xattrs(const char *path)
{
	char list[4096], val[70000];
	ssize_t n, vn;
	size_t at;

	n = llistxattr(path, list, sizeof(list));
	for (at = 0; n > 0 && at < (size_t)n; at += strlen(list + at) + 1) {
		if (has_marker(list + at, strlen(list + at)))
			scan_hits++;
		vn = lgetxattr(path, list + at, val, sizeof(val));
		if (vn > 0 && has_marker(val, (size_t)vn))
			scan_hits++;
	}
}

static int scan_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char buf[8192];
	ssize_t n;
	uint8_t *data;
	int fd;

	if (has_marker(path + ftw->base, strlen(path + ftw->base)))
		scan_hits++;
	scan_xattrs(path);
	if (flag == FTW_SL) {
		n = readlink(path, buf, sizeof(buf));
		if (n > 0 && has_marker(buf, (size_t)n))
			scan_hits++;
	} else if (flag == FTW_F && S_ISREG(st->st_mode) && st->st_size > 0) {
		if ((fd = open(path, O_RDONLY)) < 0)
			return 0;
		data = malloc((size_t)st->st_size);
		if (data && pread(fd, data, (size_t)st->st_size, 0) == st->st_size &&
		    has_marker(data, (size_t)st->st_size))
			scan_hits++;
		free(data);
		close(fd);
	}
	return 0;
}

int tv_scan_marker(const char *dir, const char *marker)
{
	scan_marker = marker;
	scan_hits = 0;
	if (nftw(dir, scan_entry, 16, FTW_PHYS) < 0)
		return -1;
	return scan_hits;
}
