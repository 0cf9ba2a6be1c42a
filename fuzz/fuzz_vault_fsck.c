/*
 * libFuzzer target: `veilfs fsck` (src/fsck/) over a hostile share. Same input as
 * fuzz_vault_config (conf_len(2, LE) config bytes, then a lower tree in the fuzz_tree.h
 * format without its flags byte), built in an in-memory store; fsck_run_store() unlocks
 * it with the password "pw" under the format's minimum KDF limit and walks every
 * directory, name, side file, IV, header, block, symlink and xattr, reporting findings.
 * Invariants: fsck returns 0 or a negative errno; every finding has a known kind and
 * NUL-terminated strings; problems and I/O errors add up to the findings reported.
 * Seeds: fuzz/corpus/vault_fsck (the vault_config seeds: configs that unlock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "format/config.h"
#include "keys/keys.h"
#include "store/store_mem.h"
#include "fsck/fsck.h"
#include "fuzz_common.h"
#include "fuzz_tree.h"

struct tally {
	uint64_t problems, io_errors;
};

static void quiet(enum log_level level, const char *msg)
{
	(void)level;
	(void)msg;
}

static void on_finding(void *arg, const struct fsck_finding *f)
{
	struct tally *t = arg;

	FUZZ_ASSERT(strcmp(fsck_kind_name(f->kind), "unknown") != 0);
	FUZZ_ASSERT(f->reason && strlen(f->reason) < 4096);
	FUZZ_ASSERT(!f->lower_path || strlen(f->lower_path) < 1 << 20);
	FUZZ_ASSERT(!f->plain_path || strlen(f->plain_path) < 1 << 20);
	if (f->kind == FSCK_IO_ERROR)
		t->io_errors++;
	else
		t->problems++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tree_in in = { data, size };
	struct fsck_counts counts;
	struct tally t = { 0, 0 };
	const uint8_t *conf;
	size_t conf_len;
	struct store *s;
	int rootfd, fd, r;

	log_set_sink(quiet, LOG_LEVEL_ERROR);
	keys_set_kdf_limit(CONFIG_KDF_MEMORY_MIN_KIB, CONFIG_KDF_TIME_MIN);
	if (tree_data(&in, &conf, &conf_len) < 0)
		return 0;
	FUZZ_ASSERT(store_mem_new(8 << 20, &s, &rootfd) == 0);
	fd = store_openat(s, rootfd, "veilfs.conf", STORE_WRONLY | STORE_CREAT, 0400);
	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(store_pwrite_full(s, fd, conf, conf_len, 0) == 0);
	(void)store_close(s, fd);
	tree_build(s, rootfd, &in);
	memset(&counts, 0, sizeof(counts));
	r = fsck_run_store(s, rootfd, "pw", 2, on_finding, &t, &counts);
	FUZZ_ASSERT(r <= 0 && r >= -4095);
	if (r == 0) {
		FUZZ_ASSERT(counts.problems == t.problems && counts.io_errors == t.io_errors);
		FUZZ_ASSERT(counts.holes <= counts.blocks && counts.dirs >= 1);
	}
	if (getenv("FUZZ_VAULT_VERBOSE"))
		fprintf(stderr, "fuzz_vault_fsck: rc %d, %llu dirs, %llu files, %llu blocks, "
			"%llu problems\n", r, (unsigned long long)counts.dirs,
			(unsigned long long)counts.files, (unsigned long long)counts.blocks,
			(unsigned long long)counts.problems);
	(void)store_close(s, rootfd);
	store_free(s);
	return 0;
}
