/*
 * Offline vault administration: creating a vault, reading its public parameters and
 * changing its password. These work on a cipher directory that need not be mounted and
 * never touch file contents. Used by the CLI (init, info, passwd); the mount uses
 * keys/config_file.h directly.
 *
 * Every function returns 0 or a negative errno and never prints:
 *   -EPERM      wrong password (or a tampered config: the two cannot be told apart)
 *   -EPROTO     veilfs.conf is malformed, truncated or of an unsupported version
 *   -ENOENT     the directory, or its veilfs.conf, does not exist
 *   -EEXIST     (create) the directory already holds a vault
 *   -ENOTEMPTY  (create) the directory holds other entries
 *   -EINVAL     invalid parameters
 *   others      the lower file system's errno
 * Passwords are borrowed byte strings (not necessarily NUL-terminated); nothing here keeps
 * a copy. The master key only exists in secmem memory, wiped before return.
 */
#ifndef VEILFS_VAULT_ADMIN_H
#define VEILFS_VAULT_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"
#include "format/config.h"

struct store;

/* Defaults of `veilfs init`: Argon2id with 64 MiB, 3 passes, 4 lanes (docs/CLI.md). */
enum {
	VAULT_DEFAULT_KDF_MEMORY_KIB = 64 * 1024,
	VAULT_DEFAULT_KDF_TIME = 3,
	VAULT_DEFAULT_KDF_LANES = 4,
};

struct vault_create_params {
	uint8_t cipher; /* enum aead_alg */
	bool plaintext_names;
	uint32_t kdf_memory_kib;
	uint32_t kdf_time;
	uint32_t kdf_lanes;
};

/* The public (non-secret) parameters of a vault, as stored in veilfs.conf. */
struct vault_info {
	uint16_t version;
	uint32_t features;   /* enum config_feature bits */
	uint8_t cipher;      /* enum aead_alg */
	uint8_t kdf;         /* enum config_kdf */
	uint32_t block_size; /* plaintext bytes per content block */
	uint32_t kdf_time;
	uint32_t kdf_memory_kib;
	uint32_t kdf_lanes;
	uint8_t vault_id[VAULT_ID_LEN];
};

/* Fill p with the defaults: AES-256-GCM, encrypted names, the VAULT_DEFAULT_KDF_* cost. */
void vault_create_params_init(struct vault_create_params *p);
/* Check p against the format's bounds. Returns 0 or -EINVAL. */
int vault_create_params_check(const struct vault_create_params *p) MUST_CHECK;

/*
 * Check that a vault could be created in the existing directory path: returns 0 when it is
 * empty, -EEXIST when it holds veilfs.conf, -ENOTEMPTY when it holds anything else.
 */
int vault_admin_can_create(const char *path) MUST_CHECK;

/*
 * Create a vault in the existing, empty directory path: a random master key wrapped under
 * the password with p's KDF cost, written to veilfs.conf, and (unless plaintext names) the
 * root directory IV veilfs.diriv. Both files are written atomically. On failure nothing is
 * left behind that marks the directory as a vault.
 */
int vault_admin_create(const char *path, const struct vault_create_params *p, const char *pw,
		       size_t pwlen) MUST_CHECK;

/* Read the public parameters of the vault at path; no password needed. */
int vault_admin_info(const char *path, struct vault_info *info) MUST_CHECK;

/* Returns 0 when pw unwraps the master key of the vault at path, -EPERM when it does not. */
int vault_admin_check_password(const char *path, const char *pw, size_t pwlen) MUST_CHECK;

/*
 * Change the password: unwrap the master key with oldpw and re-wrap it under newpw with a
 * fresh salt and nonce, keeping every other field. Only veilfs.conf is rewritten
 * (atomically); a wrong old password changes nothing.
 */
int vault_admin_passwd(const char *path, const char *oldpw, size_t oldlen, const char *newpw,
		       size_t newlen) MUST_CHECK;
/* The same on an open cipher directory: s and rootfd are borrowed (the crash simulator). */
int vault_admin_passwd_store(struct store *s, int rootfd, const char *oldpw, size_t oldlen,
			     const char *newpw, size_t newlen) MUST_CHECK;

#endif
