/*
 * The walk of the vault-layer fuzz targets (fuzz_vault.c, fuzz_vault_config.c): drive an
 * open vault over a planted tree as a front end would, and check the invariants: every
 * call returns a count or a negative errno; a read never returns more than asked; bytes
 * the vault has just written read back as written. FUZZ_VAULT_VERBOSE=1 in the
 * environment prints what the walk reached (to check that seeds go deep).
 */
#ifndef VEILFS_FUZZ_WALK_H
#define VEILFS_FUZZ_WALK_H

#define _GNU_SOURCE /* SEEK_DATA */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "vault/vault.h"
#include "fuzz_common.h"

enum {
	WALK_STORE_LIMIT = 8 << 20, /* bytes of the in-memory share */
	READ_MAX = 1 << 20,
	WALK_DEPTH = 6,
	ENTRIES_MAX = 64,
};

static uint8_t rbuf[READ_MAX], wbuf[4096 + 300];
static unsigned long reached_files, reached_bytes, reached_dirs, reached_links;

static void quiet(enum log_level level, const char *msg)
{
	(void)level;
	(void)msg;
}

static void check_rc(long r)
{
	FUZZ_ASSERT(r >= -4095);
}

static void check_file(struct vault *v, struct vnode *n, const struct stat *st)
{
	uint64_t size = (uint64_t)st->st_size, off;
	ssize_t r, w;
	size_t len;

	check_rc(r = vault_open_file(v, n, O_RDWR));
	if (r < 0)
		return;
	len = size < READ_MAX ? (size_t)size : READ_MAX;
	r = vault_read(v, n, rbuf, len, 0);
	check_rc(r);
	FUZZ_ASSERT(r <= (ssize_t)len);
	if (r >= 0) {
		reached_files++;
		reached_bytes += (unsigned long)r;
	}
	/* a write inside (or at the end of) the file, across a block boundary, reads back */
	off = size > 4000 ? 4000 : size;
	memset(wbuf, 0x5a, sizeof(wbuf));
	w = vault_write(v, n, wbuf, sizeof(wbuf), off, false, NULL);
	check_rc(w);
	if (w == (ssize_t)sizeof(wbuf)) {
		r = vault_read(v, n, rbuf, sizeof(wbuf), off);
		check_rc(r);
		FUZZ_ASSERT(r < 0 || (r == (ssize_t)sizeof(wbuf) && !memcmp(rbuf, wbuf, (size_t)r)));
	}
	check_rc(vault_truncate(v, n, size / 2));
	check_rc(vault_read(v, n, rbuf, 100, size / 3));
	check_rc(vault_lseek(v, n, 0, SEEK_DATA));
	check_rc(vault_fsync(v, n, true));
	check_rc(vault_release_file(v, n));
}

static void check_xattrs(struct vault *v, struct vnode *n)
{
	char list[4096];
	ssize_t len = vault_listxattr(v, n, list, sizeof(list));

	check_rc(len);
	for (ssize_t at = 0; len > 0 && at < len;) {
		size_t l = strnlen(list + at, (size_t)(len - at));

		FUZZ_ASSERT(at + (ssize_t)l < len); /* NUL-terminated inside the reply */
		check_rc(vault_getxattr(v, n, list + at, rbuf, 70000 < READ_MAX ? 70000 : READ_MAX));
		at += (ssize_t)l + 1;
	}
	check_rc(vault_setxattr(v, n, "user.fuzz", "v", 1, 0));
}

static void walk(struct vault *v, struct vnode *dir, int depth)
{
	static const struct vault_caller who = { 0, 0 };
	char names[ENTRIES_MAX][256];
	size_t count = 0;
	struct vdir *d;
	struct vnode *n;
	struct stat st;
	struct buf target;
	const char *name;
	uint64_t ino;
	unsigned char type;
	int r;

	check_rc(r = vault_opendir(v, dir, &d));
	if (r < 0)
		return;
	for (size_t i = 0; count < ENTRIES_MAX && vault_dir_entry(d, i, &name, &ino, &type); i++)
		if (strcmp(name, ".") && strcmp(name, ".."))
			snprintf(names[count++], sizeof(names[0]), "%s", name);
	vault_closedir(d);
	for (size_t i = 0; i < count; i++) {
		check_rc(r = vault_lookup(v, dir, names[i], &n, &st));
		if (r < 0)
			continue;
		check_rc(vault_getattr(v, n, &st));
		if (S_ISREG(st.st_mode))
			check_file(v, n, &st);
		if (S_ISLNK(st.st_mode)) {
			buf_init(&target);
			check_rc(r = vault_readlink(v, n, &target));
			reached_links += r == 0;
			buf_release(&target);
		}
		if (!S_ISLNK(st.st_mode))
			check_xattrs(v, n);
		if (S_ISDIR(st.st_mode) && depth < WALK_DEPTH) {
			reached_dirs++;
			walk(v, n, depth + 1);
		}
		vnode_unref(v, n);
	}
	/* new names among the planted ones: create, rename over each, remove */
	check_rc(r = vault_create(v, dir, "fuzz-new", 0644, O_RDWR, &who, &n, &st, NULL));
	if (r == 0) {
		check_rc(vault_write(v, n, "data", 4, 0, false, NULL));
		check_rc(vault_release_file(v, n));
		vnode_unref(v, n);
	}
	for (size_t i = 0; i < count && i < 4; i++)
		check_rc(vault_rename(v, dir, "fuzz-new", dir, names[i], 0));
	n = NULL;
	check_rc(vault_mkdir(v, dir, "fuzz-dir", 0755, &who, &n, &st));
	if (n)
		vnode_unref(v, n);
	for (size_t i = 0; i < count && i < 4; i++) {
		check_rc(vault_unlink(v, dir, names[i]));
		check_rc(vault_rmdir(v, dir, names[i]));
	}
	check_rc(vault_rmdir(v, dir, "fuzz-dir"));
}

static void walk_report(void)
{
	if (getenv("FUZZ_VAULT_VERBOSE"))
		fprintf(stderr, "fuzz_vault: read %lu files (%lu bytes), %lu dirs, %lu symlinks\n",
			reached_files, reached_bytes, reached_dirs, reached_links);
}

#endif
