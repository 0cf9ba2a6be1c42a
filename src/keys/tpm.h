/*
 * TPM 2.0 key slots (docs/FORMAT.md, "Key slots"): sealing a slot's 32-byte secret to the
 * machine's TPM and unsealing it again. The TPM is reached through a TCTI configuration
 * string (as tpm2-tools' TPM2TOOLS_TCTI: "device:/dev/tpmrm0", "swtpm:host=...,port=...").
 * This header is the only way into keys/tpm.c, the one file that includes tpm2-tss.
 * The secret is in the caller's memory (secmem); the blobs are in the slot. The Windows
 * build has no TPM support (tpm_win32.c): both calls return -EOPNOTSUPP there.
 */
#ifndef VEILFS_KEYS_TPM_H
#define VEILFS_KEYS_TPM_H

#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"
#include "format/config_v2.h"

enum {
	TPM_SECRET_LEN = 32,
	/* Longest TCTI configuration string, in bytes. */
	TPM_TCTI_MAX = 255,
};

/*
 * Seal secret to the TPM at tcti (tcti_len bytes, no NUL needed) under a primary key of
 * the owner hierarchy made from a fixed template: s->tpm_public and s->tpm_private get the
 * sealed object. Returns 0, -ENODEV when no TPM answers at tcti, -EINVAL for a bad tcti,
 * or -EIO when the TPM refuses (the reason is logged).
 */
int tpm_seal(const char *tcti, size_t tcti_len, const uint8_t secret[static TPM_SECRET_LEN],
	     struct config_slot *s) MUST_CHECK;
/*
 * Unseal the secret of TPM slot s with the TPM at tcti. Returns 0, -EPROTO when the blobs
 * do not parse as a sealed object (the share is untrusted input), -EPERM when this TPM
 * does not load or unseal them (another TPM, a cleared one, or a damaged slot), -ENODEV
 * when no TPM answers, or -EIO. secret is wiped on failure.
 */
int tpm_unseal(const char *tcti, size_t tcti_len, const struct config_slot *s,
	       uint8_t secret[static TPM_SECRET_LEN]) MUST_CHECK;

#endif
