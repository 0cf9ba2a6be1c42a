/*
 * Helpers shared by every unit-test file; declared in helpers.h. No TEST() here: the
 * harness is runner.c, vault set-up is test_vault_util.c. This part is portable (the
 * Windows build's unit tests use it too); the temporary directories are in helpers_fs.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/aead.h"
#include "helpers.h"
#include "test.h"

const char *test_vectors_dir(void)
{
	const char *d = getenv("VEILFS_TEST_VECTORS");

	return d && *d ? d : "tests/vectors";
}

long test_unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex), i;
	unsigned v;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (long)(n / 2);
}

size_t test_hex(const char *hex, uint8_t *out, size_t max)
{
	long n = test_unhex(hex, out, max);

	EXPECTF(n >= 0, "bad hex literal %.20s", hex);
	return n < 0 ? 0 : (size_t)n;
}

bool test_all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

bool test_alg_refused(int alg)
{
	struct aead_ctx *a;

	if (aead_alg_is_supported((enum aead_alg)alg))
		return false;
	a = aead_ctx_new((enum aead_alg)alg);
	EXPECTF(a == NULL, "unsupported %s not refused", aead_alg_name((enum aead_alg)alg));
	aead_ctx_free(a);
	printf("# %s is not supported by this build: checked as refused\n",
	       aead_alg_name((enum aead_alg)alg));
	return true;
}
