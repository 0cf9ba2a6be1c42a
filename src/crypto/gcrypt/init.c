/*
 * libgcrypt initialisation for the Windows build's crypto back end: the library must be
 * initialised once before any other call (its manual, "Initializing the library"). Keys live
 * in veilfs's own secmem, so libgcrypt's secure-memory pool is disabled.
 */
#include <pthread.h>
#include <gcrypt.h>
#include "base/errors.h"
#include "crypto/gcrypt/gcrypt_internal.h"

/* The oldest libgcrypt with GCRY_CIPHER_MODE_SIV and GCRY_KDF_ARGON2 (Debian 12: 1.10.1). */
#define GCRY_MIN_VERSION "1.10.0"

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static int setup_status = -EIO;

static void setup(void)
{
	if (!gcry_check_version(GCRY_MIN_VERSION))
		return;
	if (gcry_control(GCRYCTL_DISABLE_SECMEM, 0) != 0)
		return;
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0) != 0)
		return;
	setup_status = 0;
}

int gcry_setup(void)
{
	if (pthread_once(&setup_once, setup) != 0)
		return -EIO;
	return setup_status;
}
