/*
 * TPM key slots in the Windows build (chosen by `make windows` instead of tpm.c): there is
 * no tpm2-tss for mingw-w64 in Debian, so sealing and unsealing are refused with
 * -EOPNOTSUPP; a vault's other slots (password, key file, recovery key) still unlock.
 */
#include "base/secmem.h"
#include "keys/tpm.h"

int tpm_seal(const char *tcti, size_t tcti_len, const uint8_t secret[static TPM_SECRET_LEN],
	     struct config_slot *s)
{
	(void)tcti;
	(void)tcti_len;
	(void)secret;
	(void)s;
	return -EOPNOTSUPP;
}

int tpm_unseal(const char *tcti, size_t tcti_len, const struct config_slot *s,
	       uint8_t secret[static TPM_SECRET_LEN])
{
	(void)tcti;
	(void)tcti_len;
	(void)s;
	secure_wipe(secret, TPM_SECRET_LEN);
	return -EOPNOTSUPP;
}
