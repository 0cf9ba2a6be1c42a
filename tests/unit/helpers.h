/*
 * Helpers shared by every unit-test file (helpers.c): temp directories, removing them,
 * hex literals, the test-vector directory and small byte checks. The harness itself
 * (TEST, EXPECT, the runner) is in test.h; vault set-up is in test_vault_util.h.
 */
#ifndef VEILFS_TESTS_UNIT_HELPERS_H
#define VEILFS_TESTS_UNIT_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A new empty directory <base>/veilfs-<what>.XXXXXX, or NULL. base NULL means $TMPDIR,
 * or /tmp when that is unset or empty. The caller frees the name (after test_rm_tree).
 */
char *test_temp_dir_in(const char *base, const char *what);
/* test_temp_dir_in(NULL, what). */
char *test_temp_dir(const char *what);
/*
 * Remove dir and everything below it (a test's temp directory); NULL or "" is a no-op.
 * Returns 0, or -1 when anything stayed (named on stderr).
 */
int test_rm_tree(const char *dir);

/* Directory holding FORMAT.md test vectors (env VEILFS_TEST_VECTORS or tests/vectors). */
const char *test_vectors_dir(void);
/* Parse lowercase/uppercase hex into out (at most max bytes); returns length or -1. */
long test_unhex(const char *hex, uint8_t *out, size_t max);
/* test_unhex for a literal in a test: a malformed one fails the test and gives 0. */
size_t test_hex(const char *hex, uint8_t *out, size_t max);

/*
 * True when this build's crypto back end lacks alg (the Windows build: XChaCha20-Poly1305),
 * after checking that aead_ctx_new() refuses it and saying so on stdout; the caller then
 * skips what needs alg. False (nothing checked) when alg is supported.
 */
bool test_alg_refused(int alg);

/* True when all n bytes at p are zero (wiped buffers, untouched outputs). */
bool test_all_zero(const uint8_t *p, size_t n);

#endif
