/*
 * libFuzzer target: unlocking a vault from a hostile veilfs.conf, then walking it. The
 * input is conf_len(2, LE) config bytes, followed by a lower tree (fuzz_tree.h, without
 * its flags byte: the config says what the vault is); the config goes to veilfs.conf of
 * an in-memory store, and vault_open_store() unlocks it with the password "pw" through
 * the real config loader, the KDF cost limit and the key unwrap. The KDF limit is set to
 * the format's minimum (8 MiB, 1 pass), so every input costs at most one cheap Argon2id
 * run and a mutated cost is refused before it (-EOVERFLOW), as a tampered share's would be.
 * Seeds (fuzz/corpus/vault_config, from fuzz/vault_seeds.c) hold configs that unlock with
 * the fuzz master key, so mutations start from a working vault.
 */
#include "fuzz_walk.h"
#include "format/config.h"
#include "keys/keys.h"
#include "store/store_mem.h"
#include "fuzz_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tree_in in = { data, size };
	const uint8_t *conf;
	size_t conf_len;
	const struct vault_options o = { 0 };
	struct store *s;
	struct vault *v = NULL;
	struct vnode *root;
	int rootfd, fd, r;

	log_set_sink(quiet, LOG_LEVEL_ERROR);
	keys_set_kdf_limit(CONFIG_KDF_MEMORY_MIN_KIB, CONFIG_KDF_TIME_MIN);
	if (tree_data(&in, &conf, &conf_len) < 0)
		return 0;
	FUZZ_ASSERT(store_mem_new(WALK_STORE_LIMIT, &s, &rootfd) == 0);
	fd = store_openat(s, rootfd, "veilfs.conf", STORE_WRONLY | STORE_CREAT, 0400);
	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(store_pwrite_full(s, fd, conf, conf_len, 0) == 0);
	(void)store_close(s, fd);
	tree_build(s, rootfd, &in);
	r = vault_open_store(s, rootfd, "pw", 2, &o, &v);
	check_rc(r);
	FUZZ_ASSERT(r != 0 || conf_len == CONFIG_SIZE);
	if (r < 0) {
		(void)store_close(s, rootfd);
		store_free(s);
		return 0;
	}
	root = vault_root(v);
	walk(v, root, 0);
	vnode_unref(v, root);
	vault_close(v);
	walk_report();
	return 0;
}
