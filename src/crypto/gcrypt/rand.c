/*
 * Randomness and constant-time comparison for the libgcrypt back end. gcry_randomize draws
 * from libgcrypt's CSPRNG, which on Windows is seeded by the system's generator (its rndw32
 * gatherer).
 */
#include "base/errors.h"
#include "crypto/gcrypt/gcrypt_internal.h"
#include "crypto/kdf.h"
#include <gcrypt.h>

int random_bytes(uint8_t *p, size_t n)
{
	if (gcry_setup() < 0)
		return -EIO;
	if (n)
		gcry_randomize(p, n, GCRY_STRONG_RANDOM);
	return 0;
}

/* Every byte is read and the result depends only on the OR of the differences. */
bool secure_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (uint8_t)(x[i] ^ y[i]);
	return d == 0;
}
