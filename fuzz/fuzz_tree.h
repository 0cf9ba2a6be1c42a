/*
 * The input format of the vault-layer fuzz targets: a lower directory tree as a flat list
 * of records, built into an in-memory store (store/store_mem.h), and its encoder, which
 * fuzz/vault_seeds.c uses to turn vaults written by the real vault code into seeds.
 *
 *   input  := flags(1) record*
 *   flags  := bit 0 plaintext names, bit 1 XChaCha20-Poly1305 (else AES-256-GCM)
 *   record := kind(1) ...
 *     TREE_DIR     name        mkdir and enter it
 *     TREE_UP                  leave the current directory
 *     TREE_FILE    name data   a regular file with these bytes
 *     TREE_LINK    name data   a symlink with this target
 *     TREE_XATTR   name data   an extended attribute on the file made last, or (right
 *                              after TREE_DIR / TREE_UP) on the current directory
 *     TREE_FIFO    name        a FIFO
 *     TREE_HARD    name        another name of the file made last
 *   name   := len(1) bytes     (arbitrary: the store refuses what a file system would)
 *   data   := len(2, LE) bytes (cut at the end of the input)
 * Parsing never fails: a record cut short ends the tree; store errors are ignored, as a
 * share can hold anything a file system allows.
 */
#ifndef VEILFS_FUZZ_TREE_H
#define VEILFS_FUZZ_TREE_H

#include <stdint.h>
#include <string.h>
#include "base/buf.h"
#include "store/store.h"

enum tree_kind { TREE_DIR, TREE_UP, TREE_FILE, TREE_LINK, TREE_XATTR, TREE_FIFO, TREE_HARD,
		 TREE_KINDS };
enum { TREE_FLAG_PLAIN_NAMES = 1, TREE_FLAG_XCHACHA = 2, TREE_DEPTH_MAX = 16 };

struct tree_in {
	const uint8_t *p;
	size_t len;
};

static inline int tree_byte(struct tree_in *in)
{
	if (!in->len)
		return -1;
	in->len--;
	return *in->p++;
}

/* A name into out (NUL-terminated; a NUL byte in it ends it early). */
static inline int tree_name(struct tree_in *in, char out[static 256])
{
	int n = tree_byte(in);

	if (n < 0 || (size_t)n > in->len)
		return -1;
	memcpy(out, in->p, (size_t)n);
	out[n] = '\0';
	in->p += n;
	in->len -= (size_t)n;
	return 0;
}

static inline int tree_data(struct tree_in *in, const uint8_t **data, size_t *len)
{
	int lo = tree_byte(in), hi = tree_byte(in);
	size_t n;

	if (lo < 0 || hi < 0)
		return -1;
	n = (size_t)lo | (size_t)hi << 8;
	if (n > in->len)
		n = in->len;
	*data = in->p;
	*len = n;
	in->p += n;
	in->len -= n;
	return 0;
}

static inline void tree_put_file(struct store *s, int dirfd, const char *name, const uint8_t *d,
				 size_t n, int *last_fd, int *last_dir, char *last_name)
{
	int fd = store_openat(s, dirfd, name, STORE_RDWR | STORE_CREAT | STORE_EXCL, 0644);

	if (fd < 0)
		return;
	(void)store_pwrite_full(s, fd, d, n, 0);
	if (*last_fd >= 0)
		(void)store_close(s, *last_fd);
	*last_fd = fd;
	*last_dir = dirfd;
	strcpy(last_name, name);
}

/* Build the records of in below rootfd of s (a store_mem store). */
static inline void tree_build(struct store *s, int rootfd, struct tree_in *in)
{
	int stack[TREE_DEPTH_MAX + 1], depth = 0, last = -1, last_dir = -1, fd, kind;
	char name[256], last_name[256] = "", target[4096];
	const uint8_t *d;
	size_t n;

	stack[0] = rootfd;
	while ((kind = tree_byte(in)) >= 0) {
		kind %= TREE_KINDS;
		if (kind == TREE_UP || kind == TREE_DIR) {
			/* xattrs that follow go to the directory entered or returned to */
			if (last >= 0)
				(void)store_close(s, last);
			last = -1;
		}
		if (kind == TREE_UP) {
			if (depth > 0)
				(void)store_close(s, stack[depth--]);
			continue;
		}
		if (tree_name(in, name) < 0)
			break;
		if ((kind == TREE_FILE || kind == TREE_LINK || kind == TREE_XATTR) &&
		    tree_data(in, &d, &n) < 0)
			break;
		switch (kind) {
		case TREE_DIR:
			if (depth == TREE_DEPTH_MAX || store_mkdirat(s, stack[depth], name, 0755) < 0)
				break;
			fd = store_openat(s, stack[depth], name, STORE_RDONLY | STORE_DIRECTORY, 0);
			if (fd >= 0)
				stack[++depth] = fd;
			break;
		case TREE_FILE:
			tree_put_file(s, stack[depth], name, d, n, &last, &last_dir, last_name);
			break;
		case TREE_LINK:
			if (n >= sizeof(target))
				n = sizeof(target) - 1;
			memcpy(target, d, n);
			target[n] = '\0';
			(void)store_symlinkat(s, target, stack[depth], name);
			break;
		case TREE_XATTR:
			(void)store_fsetxattr(s, last >= 0 ? last : stack[depth], name, d, n, 0);
			break;
		case TREE_FIFO:
			(void)store_mknodat(s, stack[depth], name, S_IFIFO | 0644, 0);
			break;
		case TREE_HARD:
			if (last >= 0 && last_dir == stack[depth])
				(void)store_linkat(s, stack[depth], last_name, stack[depth], name);
			break;
		}
	}
	if (last >= 0)
		(void)store_close(s, last);
	while (depth > 0)
		(void)store_close(s, stack[depth--]);
}

/* --- encoder (seed generation) --- */

static inline int tree_emit_name(struct buf *b, int kind, const char *name)
{
	uint8_t k = (uint8_t)kind, n = (uint8_t)strlen(name);

	if (buf_append(b, &k, 1) < 0 || buf_append(b, &n, 1) < 0)
		return -1;
	return buf_append(b, name, n);
}

static inline int tree_emit_data(struct buf *b, const void *p, size_t n)
{
	uint8_t len[2] = { (uint8_t)n, (uint8_t)(n >> 8) };

	if (n > 0xffff)
		return -1;
	if (buf_append(b, len, 2) < 0)
		return -1;
	return buf_append(b, p, n);
}

#endif
