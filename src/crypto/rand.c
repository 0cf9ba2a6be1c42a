/*
 * Randomness and constant-time comparison, both from OpenSSL: RAND_bytes draws from the
 * OpenSSL DRBG seeded by the operating system (getrandom on Linux).
 */
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "base/errors.h"
#include "crypto/kdf.h"

int random_bytes(uint8_t *p, size_t n)
{
	while (n > 0) {
		int chunk = n > INT_MAX ? INT_MAX : (int)n;

		if (RAND_bytes(p, chunk) != 1)
			return -EIO;
		p += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

bool secure_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
