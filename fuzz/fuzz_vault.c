/*
 * libFuzzer target: the vault layer over a hostile share. The input is a lower directory
 * tree (fuzz_tree.h: arbitrary lower names, long-name side files, directory IV files,
 * cipher files of any content and length, symlink targets, xattrs) built in an in-memory
 * store; the vault is opened on it with the test-vector keys (no KDF per input) and walks
 * it as a front end would: list every directory, look up every entry, stat it, read files
 * whole, write into them and read the write back, read symlinks and xattrs, create,
 * rename over and remove names among the planted ones.
 *
 * Invariants (abort on violation): every call returns a count or a negative errno; a read
 * never returns more than asked; bytes the vault has just written read back as written.
 * Seeds: fuzz/corpus/vault, written by fuzz/vault_seeds.c from vaults the real code made.
 */
#include "fuzz_walk.h"
#include "format/config.h"
#include "store/store_mem.h"
#include "vault/vault_internal.h"
#include "fuzz_tree.h"

static int open_vault(struct store *s, int rootfd, unsigned flags, struct vault **v)
{
	const struct vault_options o = { 0 };
	struct vault_keys *keys;
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
	keys = vault_keys_new(master, c.vault_id);
	FUZZ_ASSERT(keys != NULL);
	return vault_open_keys(s, rootfd, &c, keys, &o, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tree_in in = { data, size };
	struct store *s;
	struct vault *v = NULL;
	struct vnode *root;
	struct statvfs sv;
	int rootfd, flags, r;

	log_set_sink(quiet, LOG_LEVEL_ERROR);
	if ((flags = tree_byte(&in)) < 0)
		return 0;
	FUZZ_ASSERT(store_mem_new(WALK_STORE_LIMIT, &s, &rootfd) == 0);
	tree_build(s, rootfd, &in);
	r = open_vault(s, rootfd, (unsigned)flags, &v);
	check_rc(r);
	if (r < 0) {
		(void)store_close(s, rootfd);
		store_free(s);
		return 0;
	}
	root = vault_root(v);
	walk(v, root, 0);
	check_rc(vault_statfs(v, &sv));
	vnode_unref(v, root);
	vault_close(v);
	walk_report();
	return 0;
}
