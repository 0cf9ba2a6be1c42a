/*
 * Reading a password for the CLI, from exactly one source:
 *   --passfile F   the first line of F (the newline, and a CR before it, stripped)
 *   --extpass CMD  the first line of what `/bin/sh -c CMD` prints; CMD must exit 0
 *   a prompt       on the terminal, without echo, when standard input is a terminal
 *   stdin          the next line of standard input when it is not a terminal
 * An empty password is refused. Passwords live in secmem memory (locked, no core dump)
 * and are wiped by password_free(). Failures are reported on stderr here (this is the CLI
 * layer) and returned as an exit status from cli.h.
 */
#ifndef VEILFS_CLI_PASSWORD_H
#define VEILFS_CLI_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include "base/compiler.h"

/* Longest password accepted, in bytes (without the newline). */
enum { PASSWORD_MAX = 1024 };

/*
 * Where a password comes from; all NULL means prompt (terminal) or stdin. Borrowed.
 * keyfile, recovery_key and tpm name the other unlock methods of a version-2 vault; with
 * one of them, password_read() reads that secret instead (cli/auth.h) and pw holds a typed
 * secret (keys/keyslots.h) that the core takes where it takes a password.
 */
struct password_source {
	const char *passfile;
	const char *extpass;
	const char *keyfile;
	const char *recovery_key;
	bool tpm; /* unseal a TPM slot with the TPM of TPM2TOOLS_TCTI (cli/auth.h) */
};

struct password {
	char *data; /* secmem, NUL-terminated, owned */
	size_t len;
};

/*
 * Read a password. prompt is shown on a terminal (e.g. "Password: "); with confirm, a
 * terminal user types it twice (ignored for files, commands and piped stdin).
 * Returns 0 (pw filled; free with password_free()) or a CLI exit status after printing
 * what went wrong: CLI_EXIT_USAGE for an empty password, mismatched confirmation or two
 * sources at once, CLI_EXIT_ERROR for an unreadable file or a failing command.
 */
int password_read(const struct password_source *src, const char *prompt, bool confirm,
		  struct password *pw) MUST_CHECK;
/* Wipe and free; accepts a zeroed or already freed struct. */
void password_free(struct password *pw);

#endif
