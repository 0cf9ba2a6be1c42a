/*
 * Helpers shared by the vault unit tests (test_vault*.c): a fresh vault in a temp
 * directory (real veilfs.conf with the cheapest Argon2 cost, through keys/ and store/),
 * lower-file access for tampering, and a recursive scan of the cipher directory.
 */
#ifndef VEILFS_TESTS_UNIT_TEST_VAULT_UTIL_H
#define VEILFS_TESTS_UNIT_TEST_VAULT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vault/vault.h"

#define TV_PW "vault test password"

struct tv {
	char *dir; /* owned: test_temp_dir, freed by tv_free */
	struct vault *v;
	struct vnode *root;
	struct vault_caller who;
};

struct tv_params {
	uint8_t cipher;       /* 0: AES-256-GCM */
	bool plaintext_names;
	bool read_only;
	enum vault_shared_mode shared;
	unsigned lock_lease_ms; /* 0: default */
	enum coord_fresh fresh; /* shared modes: lower caches distrusted (0: none) */
};

/* Create a vault in a new temp dir and open it. Returns 0 or -errno. */
int tv_make(struct tv *t, const struct tv_params *p);
/* Close and reopen the same vault with other options. */
int tv_reopen(struct tv *t, const struct tv_params *p);
/* Close the vault and remove the temp dir. */
void tv_free(struct tv *t);

/* Create (or open) a regular file name in dir and return its vnode (opened for I/O). */
struct vnode *tv_create(struct tv *t, struct vnode *dir, const char *name);
/* Close the I/O open and drop the reference. */
void tv_close(struct tv *t, struct vnode *n);

/*
 * The lower path (in dir, relative to the cipher dir root "sub" or "") of the only entry
 * that is not reserved; out has room for 512 bytes. Returns 0, or -1 when there is not
 * exactly one.
 */
int tv_only_lower(struct tv *t, const char *subdir, char *out);
/* Whole lower file contents (caller frees); -1 on error. */
long tv_lower_read(struct tv *t, const char *lpath, uint8_t **data);
/* Count occurrences of marker in every name, file, symlink target and xattr below dir. */
int tv_scan_marker(const char *dir, const char *marker);

/* Capture log lines (the last one and a count) while a test runs. */
void tv_log_capture(bool on);
const char *tv_log_last(void);
int tv_log_count(void);

#endif
