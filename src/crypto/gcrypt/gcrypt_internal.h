/*
 * Declarations private to the libgcrypt crypto back end (crypto/gcrypt/, the Windows build).
 */
#ifndef VEILFS_CRYPTO_GCRYPT_GCRYPT_INTERNAL_H
#define VEILFS_CRYPTO_GCRYPT_GCRYPT_INTERNAL_H

#include "base/compiler.h"

/* init.c */

/*
 * Initialise libgcrypt once per process (version check, no secure-memory pool of its own:
 * veilfs keeps keys in secmem). Every back-end entry point calls this first; thread-safe.
 * Returns 0, or -EIO when the library cannot be initialised.
 */
int gcry_setup(void) MUST_CHECK;

#endif
