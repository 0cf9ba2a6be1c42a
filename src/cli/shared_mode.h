/*
 * The shared mode of a client that opens a vault beside others (docs/SHARED.md): the
 * `--shared=MODE` words, and the decision that `veilfs mount --shared=auto` and the
 * offline commands (ls, cat, get, put, rm, mkdir) both take from the lower file system
 * (cli/lower.h): which lock mode, how far the lower client's caches are distrusted, and
 * whether a shared mode can be correct over that lower client at all.
 */
#ifndef VEILFS_CLI_SHARED_MODE_H
#define VEILFS_CLI_SHARED_MODE_H

#include <stdbool.h>
#include "base/compiler.h"
#include "vault/vault.h"

/* "off", "auto", "locks", "lockfiles" -> *mode; false for anything else. */
bool shared_mode_parse(const char *word, enum vault_shared_mode *mode) MUST_CHECK;
/* The word for a resolved mode: "off", "locks" or "lockfiles". */
const char *shared_mode_name(enum vault_shared_mode mode);

/*
 * Resolve the asked mode for the cipher directory at the absolute path cipher_abs into
 * o->shared and o->fresh: AUTO becomes locks when the lower file system has cross-client
 * byte-range locks, else lockfiles (logged at info level); a shared mode is checked
 * against the lower client (lower_check_shared). Other fields of o are left alone.
 * Returns 0, or an exit status after printing why (CLI_EXIT_USAGE).
 */
int shared_mode_resolve(const char *cipher_abs, enum vault_shared_mode asked,
			struct vault_options *o) MUST_CHECK;

#endif
