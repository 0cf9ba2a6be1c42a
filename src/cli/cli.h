/*
 * Helpers shared by the subcommands: the documented exit codes (docs/CLI.md), error
 * messages on stderr, and the translation of core -errno codes into both. This is the one
 * place where core error codes become words and exit statuses (STYLE rule 12).
 */
#ifndef VEILFS_CLI_CLI_H
#define VEILFS_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses of every subcommand; listed in docs/CLI.md and in `veilfs --help`. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_WRONG_PASSWORD = 1, /* the password does not open the vault */
	CLI_EXIT_USAGE = 2,          /* bad option or argument, empty or mismatched password */
	CLI_EXIT_NOT_VAULT = 3,      /* missing directory, no or malformed veilfs.conf */
	CLI_EXIT_ERROR = 4,          /* I/O or any other error */
	CLI_EXIT_PROBLEMS = 5,       /* fsck only: the check ran and found damage */
	CLI_EXIT_BUSY = 6,           /* mount, offline commands: a live mount of the vault forbids it */
};

#define CLI_PROG "veilfs"

/* Print "veilfs: <message>\n" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "veilfs <cmd>: <message>" and "Try 'veilfs <cmd> --help'." on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Check that exactly one operand (CIPHERDIR) follows the options of cmd. Returns 0, or
 * reports "missing CIPHERDIR" / "too many arguments" as a usage error and returns
 * CLI_EXIT_USAGE.
 */
int cli_one_cipherdir(const char *cmd, int argc, int optind_value);

/*
 * Report a failure of an operation on the vault at dir and return its exit status.
 * what says what failed ("cannot read vault"); err is the negative errno. -EPERM becomes
 * "wrong password for 'DIR'" (exit 1), -EPROTO a malformed config (exit 3), -EOVERFLOW a
 * KDF cost above the limit (exit 3, with the cost, the limit and CLI_KDF_LIMIT_ENV),
 * -ENOENT and -ENOTDIR a missing vault (exit 3), anything else "<what> 'DIR': strerror"
 * (exit 4).
 */
int cli_vault_error(const char *what, const char *dir, int err);
/*
 * 0 when this build implements the vault's content cipher; else says "cipher NAME is not
 * supported by this build" (what and dir as for cli_vault_error) and returns
 * CLI_EXIT_NOT_VAULT (the Windows build: XChaCha20-Poly1305, docs/WINDOWS.md).
 */
int cli_check_cipher(const char *what, const char *dir, unsigned cipher);
/*
 * This command uses a TPM (cli/auth.c): from now on cli_vault_error() says so for -ENODEV
 * (no TPM answers) and, when the TPM is the unlock method (unlock), for -EPERM (no TPM
 * slot this TPM unseals).
 */
void cli_note_tpm_auth(bool unlock);

/*
 * The environment variable that raises (or lowers) the largest KDF cost accepted from a
 * veilfs.conf (keys_set_kdf_limit()): "MIB,PASSES". cli_kdf_limit_from_env() applies it;
 * returns 0, or reports a malformed value and returns CLI_EXIT_USAGE.
 */
#define CLI_KDF_LIMIT_ENV "VEILFS_KDF_LIMIT"
int cli_kdf_limit_from_env(void);

/*
 * Report a getopt_long() failure (c is '?' or ':', getopt's opterr must be 0) as a usage
 * error of cmd and return CLI_EXIT_USAGE.
 */
int cli_option_error(const char *cmd, int c, int optopt_value, char **argv, int optind_value);

struct option;

/*
 * Before getopt_long() sees argv (argc entries after the command name): refuse the
 * single-dash spelling of a long option, as gocryptfs writes them ("-passfile"), which
 * getopt would split into unknown short options. Names one of longopts ("did you mean
 * --passfile?") or the veilfs equivalent of a gocryptfs option ("-allow_other": "-o
 * allow_other"). shortopts is the getopt option string (its options with an argument skip
 * the next word). Stops at "--". Returns 0, or reports a usage error of cmd and returns
 * CLI_EXIT_USAGE.
 */
int cli_check_single_dash(const char *cmd, int argc, char **argv, const struct option *longopts,
			  const char *shortopts);

/* The veilfs spelling of a gocryptfs option name (without dashes), or NULL. */
const char *cli_gocryptfs_hint(const char *name, size_t len);

/* Parse a decimal unsigned integer in [min, max]; false on any junk or overflow. */
bool cli_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* Install the stderr log sink for the core (warnings and errors only, or debug). */
void cli_log_init(bool verbose);

/*
 * Print s on standard output as a JSON string: quoted, with '"' and '\\' escaped and
 * control characters as \\u00XX (other bytes as they are).
 */
void cli_json_string(const char *s);

#endif
