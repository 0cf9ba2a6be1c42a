/*
 * Shared setup of the libFuzzer targets: the fixed keys of tests/vectors (master key
 * 80 … 9f, vault id 00 … 0f, file id a0 … af, directory IV e0 … ef), so that seeds made
 * from the vectors authenticate and the fuzzer reaches the code behind the tag checks.
 * An invariant that fails calls abort(), which libFuzzer reports as a crash.
 */
#ifndef VEILFS_FUZZ_COMMON_H
#define VEILFS_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "keys/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(x)                                                                             \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #x, __FILE__, __LINE__);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static inline void fuzz_fill(uint8_t *p, size_t n, uint8_t base)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(base + i);
}

/* The vault keys of the test vectors, derived once and kept for the process. */
static inline const struct vault_keys *fuzz_keys(void)
{
	static struct vault_keys *k;
	uint8_t master[MASTER_KEY_LEN], vid[VAULT_ID_LEN];

	if (!k) {
		fuzz_fill(master, sizeof(master), 0x80);
		fuzz_fill(vid, sizeof(vid), 0x00);
		k = vault_keys_new(master, vid);
		FUZZ_ASSERT(k != NULL);
	}
	return k;
}

#endif
