/*
 * Seed generator for fuzz_vault: builds small vaults with the real vault code over the
 * in-memory store (the fuzz keys: test-vector master key and vault id) and writes each
 * lower tree in the fuzz_tree.h format, so that the seeds hold names, IVs, side files,
 * headers and blocks that authenticate and the fuzzer starts past the tag checks.
 * Also writes seeds for fuzz_vault_config and fuzz_vault_fsck: a config wrapped with "pw"
 * ahead of a tree.
 * Usage: vault_seeds CORPUSDIR (built by fuzz/build.sh; writes CORPUSDIR/vault,
 * CORPUSDIR/vault_config and CORPUSDIR/vault_fsck, committed as fuzz/corpus/vault*).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include "format/config.h"
#include "keys/keys.h"
#include "store/store_mem.h"
#include "vault/vault.h"
#include "vault/vault_internal.h"
#include "fuzz_common.h"
#include "fuzz_tree.h"

static int open_vault(struct store *s, int rootfd, unsigned flags, struct vault **v)
{
	const struct vault_options o = { 0 };
	uint8_t master[MASTER_KEY_LEN];
	struct config c;

	memset(&c, 0, sizeof(c));
	c.version = CONFIG_VERSION;
	c.features = (flags & TREE_FLAG_PLAIN_NAMES) ? CONFIG_FEATURE_PLAINTEXT_NAMES : 0;
	c.cipher = (flags & TREE_FLAG_XCHACHA) ? CONFIG_CIPHER_XCHACHA20_POLY1305
					       : CONFIG_CIPHER_AES256_GCM;
	c.kdf = CONFIG_KDF_ARGON2ID;
	c.block_size = CONFIG_BLOCK_SIZE;
	c.kdf_time = CONFIG_KDF_TIME_MIN;
	c.kdf_memory_kib = CONFIG_KDF_MEMORY_MIN_KIB;
	c.kdf_lanes = 1;
	fuzz_fill(c.vault_id, VAULT_ID_LEN, 0x00);
	fuzz_fill(master, sizeof(master), 0x80);
	return vault_open_keys(s, rootfd, &c, vault_keys_new(master, c.vault_id), &o, v);
}

static void put(struct vault *v, struct vnode *dir, const char *name, size_t len)
{
	static const struct vault_caller who = { 0, 0 };
	static uint8_t data[20000];
	struct vnode *n;
	struct stat st;
	bool created = false;

	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 31 + len);
	FUZZ_ASSERT(vault_create(v, dir, name, 0644, O_RDWR, &who, &n, &st, &created) == 0 && created);
	FUZZ_ASSERT(vault_write(v, n, data, len, 0, false, NULL) == (ssize_t)len);
	FUZZ_ASSERT(vault_setxattr(v, n, "user.k", "value", 5, 0) == 0);
	FUZZ_ASSERT(vault_release_file(v, n) == 0);
	vnode_unref(v, n);
}

/* Serialize the lower tree below dirfd. */
static void emit_dir(struct store *s, int dirfd, struct buf *b)
{
	static uint8_t data[65536];
	char list[4096];
	struct store_dir *d;
	struct store_dirent e;
	struct stat st;
	ssize_t n, l;
	int fd;

	FUZZ_ASSERT(store_dir_open(s, dirfd, &d) == 0);
	while (store_dir_next(s, d, &e) == 1) {
		if (!strcmp(e.name, ".") || !strcmp(e.name, ".."))
			continue;
		FUZZ_ASSERT(store_fstatat(s, dirfd, e.name, &st, STORE_AT_NOFOLLOW) == 0);
		if (S_ISLNK(st.st_mode)) {
			n = store_readlinkat(s, dirfd, e.name, (char *)data, sizeof(data));
			FUZZ_ASSERT(n >= 0 && tree_emit_name(b, TREE_LINK, e.name) == 0 &&
				    tree_emit_data(b, data, (size_t)n) == 0);
			continue;
		}
		if (S_ISFIFO(st.st_mode)) {
			FUZZ_ASSERT(tree_emit_name(b, TREE_FIFO, e.name) == 0);
			continue;
		}
		fd = store_openat(s, dirfd, e.name, STORE_RDONLY, 0);
		FUZZ_ASSERT(fd >= 0);
		if (S_ISDIR(st.st_mode)) {
			FUZZ_ASSERT(tree_emit_name(b, TREE_DIR, e.name) == 0);
		} else {
			n = store_pread_full(s, fd, data, sizeof(data) - 1, 0);
			FUZZ_ASSERT(n >= 0 && tree_emit_name(b, TREE_FILE, e.name) == 0 &&
				    tree_emit_data(b, data, (size_t)n) == 0);
		}
		n = store_flistxattr(s, fd, list, sizeof(list));
		for (ssize_t at = 0; n > 0 && at < n; at += (ssize_t)strlen(list + at) + 1) {
			l = store_fgetxattr(s, fd, list + at, data, sizeof(data));
			FUZZ_ASSERT(l >= 0 && tree_emit_name(b, TREE_XATTR, list + at) == 0 &&
				    tree_emit_data(b, data, (size_t)l) == 0);
		}
		if (S_ISDIR(st.st_mode)) {
			emit_dir(s, fd, b);
			FUZZ_ASSERT(buf_append(b, (uint8_t[]){ TREE_UP }, 1) == 0);
		}
		(void)store_close(s, fd);
	}
	store_dir_close(s, d);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	FUZZ_ASSERT(fp && fwrite(p, 1, n, fp) == n && fclose(fp) == 0);
}

/* fuzz_vault_config: a config of this vault's kind, wrapped with "pw", then the tree. */
static void make_config_seed(const char *out, unsigned flags, const uint8_t *tree, size_t n)
{
	uint8_t master[MASTER_KEY_LEN], conf[CONFIG_SIZE];
	char path[512];
	struct config c;
	struct buf b;

	memset(&c, 0, sizeof(c));
	c.version = CONFIG_VERSION;
	c.features = (flags & TREE_FLAG_PLAIN_NAMES) ? CONFIG_FEATURE_PLAINTEXT_NAMES : 0;
	c.cipher = (flags & TREE_FLAG_XCHACHA) ? CONFIG_CIPHER_XCHACHA20_POLY1305
					       : CONFIG_CIPHER_AES256_GCM;
	c.kdf = CONFIG_KDF_ARGON2ID;
	c.block_size = CONFIG_BLOCK_SIZE;
	c.kdf_time = CONFIG_KDF_TIME_MIN;
	c.kdf_memory_kib = CONFIG_KDF_MEMORY_MIN_KIB;
	c.kdf_lanes = 1;
	fuzz_fill(c.vault_id, VAULT_ID_LEN, 0x00);
	fuzz_fill(master, sizeof(master), 0x80);
	FUZZ_ASSERT(keys_wrap(&c, master, "pw", 2) == 0 && config_encode(&c, conf) == 0);
	buf_init(&b);
	FUZZ_ASSERT(tree_emit_data(&b, conf, sizeof(conf)) == 0 && buf_append(&b, tree, n) == 0);
	snprintf(path, sizeof(path), "%s/vault_config/seed-%u", out, flags);
	write_file(path, b.data, b.len);
	snprintf(path, sizeof(path), "%s/vault_fsck/seed-%u", out, flags); /* same input */
	write_file(path, b.data, b.len);
	buf_release(&b);
}

static void make_seed(const char *out, unsigned flags, int shape)
{
	static const struct vault_caller who = { 0, 0 };
	char path[512], name[256];
	struct store *s;
	struct vault *v;
	struct vnode *root, *d, *n;
	struct stat st;
	struct buf b;
	uint8_t iv[16];
	int rootfd;

	FUZZ_ASSERT(store_mem_new(0, &s, &rootfd) == 0);
	if (!(flags & TREE_FLAG_PLAIN_NAMES)) {
		fuzz_fill(iv, sizeof(iv), 0xe0);
		FUZZ_ASSERT(store_write_atomic(s, rootfd, "veilfs.diriv", iv, sizeof(iv), 0444) == 0);
	}
	FUZZ_ASSERT(open_vault(s, rootfd, flags, &v) == 0);
	root = vault_root(v);
	switch (shape) {
	case 0: /* files of the sizes around block boundaries */
		put(v, root, "empty", 0);
		put(v, root, "one", 1);
		put(v, root, "block", 4096);
		put(v, root, "block+1", 4097);
		put(v, root, "three", 12000);
		break;
	case 1: /* nested directories, a long name (side file), a symlink, a fifo */
		FUZZ_ASSERT(vault_mkdir(v, root, "dir", 0755, &who, &d, &st) == 0);
		memset(name, 'L', 200);
		name[200] = '\0';
		put(v, d, name, 100);
		FUZZ_ASSERT(vault_symlink(v, d, "link", "../target/of/link", &who, &n, &st) == 0);
		vnode_unref(v, n);
		FUZZ_ASSERT(vault_mknod(v, d, "fifo", S_IFIFO | 0644, 0, &who, &n, &st) == 0);
		vnode_unref(v, n);
		FUZZ_ASSERT(vault_setxattr(v, d, "user.dir", "dv", 2, 0) == 0);
		vnode_unref(v, d);
		put(v, root, "top", 5000);
		break;
	default: /* many names in one directory and a deeper tree */
		for (int i = 0; i < 12; i++) {
			snprintf(name, sizeof(name), "name-%d", i);
			put(v, root, name, (size_t)i * 700);
		}
		FUZZ_ASSERT(vault_mkdir(v, root, "a", 0700, &who, &d, &st) == 0);
		FUZZ_ASSERT(vault_mkdir(v, d, "b", 0700, &who, &n, &st) == 0);
		put(v, n, "deep", 300);
		vnode_unref(v, n);
		vnode_unref(v, d);
		break;
	}
	vnode_unref(v, root);
	buf_init(&b);
	FUZZ_ASSERT(buf_append(&b, (uint8_t[]){ (uint8_t)flags }, 1) == 0);
	emit_dir(s, rootfd, &b);
	vault_close(v);
	snprintf(path, sizeof(path), "%s/vault/seed-%u-%d", out, flags, shape);
	write_file(path, b.data, b.len);
	if (shape == 1)
		make_config_seed(out, flags, b.data + 1, b.len - 1);
	buf_release(&b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: vault_seeds CORPUSDIR\n");
		return 2;
	}
	for (unsigned flags = 0; flags < 4; flags++)
		for (int shape = 0; shape < 3; shape++)
			make_seed(argv[1], flags, shape);
	return 0;
}
