/*
 * Declarations private to keys/ and its tests.
 */
#ifndef VEILFS_KEYS_KEYS_INTERNAL_H
#define VEILFS_KEYS_KEYS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"
#include "format/config.h"

/* wrap.c */

/*
 * keys_wrap() with the salt and wrap nonce already in c instead of fresh random ones:
 * only for deterministic test vectors. Never use it to write a real vault.
 */
int keys_wrap_fixed(struct config *c, const uint8_t master[static MASTER_KEY_LEN],
		    const char *password, size_t pwlen) MUST_CHECK;

#endif
