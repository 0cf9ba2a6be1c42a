/*
 * Error conventions of the veilfs core.
 *
 * Every core function that can fail returns 0 (or a non-negative count) on success and a
 * negative errno on failure. Crypto and format meanings use fixed POSIX codes so that the
 * front ends (fuse/, cli/) can translate them once, at the boundary; the code writes them
 * as they are:
 *
 *   -EBADMSG  an authentication tag did not verify: tampered, corrupt or foreign ciphertext
 *   -EPERM    the password did not unwrap the master key (or the config was tampered with)
 *   -EPROTO   a malformed, truncated or unsupported on-disk structure
 *   -EIO      a crypto library call failed for a reason other than authentication
 */
#ifndef VEILFS_BASE_ERRORS_H
#define VEILFS_BASE_ERRORS_H

#include <errno.h>

enum veil_error {
	/* The KDF cost a config asks for is above the accepted limit (keys_set_kdf_limit). */
	VEIL_EKDFLIMIT = EOVERFLOW,
};

#endif
