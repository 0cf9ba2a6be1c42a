/*
 * Unlock methods other than a password, for the CLI (docs/CLI.md, "Unlocking"):
 *   --keyfile F       the whole contents of F (16 ... 4096 bytes)
 *   --recovery-key F  the recovery key written in F (64 hex digits, dashes ignored)
 *   --tpm             a TPM slot, unsealed by the TPM that the TCTI string in the
 *                     environment names (TPM2TOOLS_TCTI; default AUTH_TPM_TCTI_DEFAULT)
 * and the files that `init` and `key add` create: new key files (32 random bytes) and
 * recovery-key files, both created exclusively with mode 0600. Secrets go straight into
 * secmem memory and are never printed, except a new recovery key, once, on a terminal.
 */
#ifndef VEILFS_CLI_AUTH_H
#define VEILFS_CLI_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"
#include "cli/password.h"

/* Help lines for the AUTH options, shared by every command that unlocks. */
#define AUTH_HELP                                                                                  \
	"  --passfile F        read the password from the first line of file F\n"                  \
	"  --extpass CMD       read the password from the output of '/bin/sh -c CMD'\n"           \
	"  --keyfile F         unlock with the key file F (a key-file slot)\n"                     \
	"  --recovery-key F    unlock with the recovery key written in file F\n"                   \
	"  --tpm               unlock with a TPM slot, unsealed by this machine's TPM\n"           \
	"                      (TCTI from TPM2TOOLS_TCTI; default device:/dev/tpmrm0)\n"          \
	"                      Without any: a password from the terminal, or one line of\n"       \
	"                      standard input when it is not a terminal.\n"

/* The TCTI used without TPM2TOOLS_TCTI in the environment: the kernel's resource manager. */
#define AUTH_TPM_TCTI_DEFAULT "device:/dev/tpmrm0"

/*
 * getopt_long values of the AUTH options, the same in every command that takes them; a
 * command's own values start at AUTH_OPT_NEXT. AUTH_PASSWORD_LONGOPTS (--passfile,
 * --extpass) and AUTH_KEY_LONGOPTS (--keyfile, --recovery-key, --tpm) are their option-table
 * entries (struct option of <getopt.h>).
 */
enum auth_opt {
	AUTH_OPT_PASSFILE = 256,
	AUTH_OPT_EXTPASS,
	AUTH_OPT_KEYFILE,
	AUTH_OPT_RECOVERY_KEY,
	AUTH_OPT_TPM,
	AUTH_OPT_NEXT,
};
#define AUTH_PASSWORD_LONGOPTS                                                                     \
	{ "passfile", required_argument, NULL, AUTH_OPT_PASSFILE },                                \
	{ "extpass", required_argument, NULL, AUTH_OPT_EXTPASS }
#define AUTH_KEY_LONGOPTS                                                                          \
	{ "keyfile", required_argument, NULL, AUTH_OPT_KEYFILE },                                  \
	{ "recovery-key", required_argument, NULL, AUTH_OPT_RECOVERY_KEY },                        \
	{ "tpm", no_argument, NULL, AUTH_OPT_TPM }

/*
 * Option c (a getopt_long value) with its argument arg: true when it is an AUTH option,
 * then stored in src (arg is borrowed: getopt's optarg, valid as long as argv).
 */
bool auth_option(struct password_source *src, int c, const char *arg);

/* How many of the five sources of src are set. */
unsigned auth_source_count(const struct password_source *src);
/*
 * Read the key file or recovery key of src (exactly one source must be set) into pw as a
 * typed secret; for --tpm, the typed secret names the TPM (auth_tpm_secret()). Returns 0
 * or a CLI exit status after printing why (no secret in messages).
 */
int auth_read_typed(const struct password_source *src, struct password *pw) MUST_CHECK;
/*
 * The typed secret of a TPM slot into pw: the TCTI string (TPM2TOOLS_TCTI, else
 * AUTH_TPM_TCTI_DEFAULT). Also silences tpm2-tss's own stderr log unless TSS2_LOG is set
 * (its failures come back as errors and are reported once, with -v in more detail).
 * unlock: the secret unlocks (AUTH), not only names the TPM of a new slot (cli.h's
 * cli_note_tpm_auth()). Returns 0 or a CLI exit status after printing why.
 */
int auth_tpm_secret(struct password *pw, bool unlock) MUST_CHECK;
/* The TCTI string auth_tpm_secret() uses, for messages. */
const char *auth_tpm_tcti(void);
/*
 * Create path exclusively (mode 0600) holding n bytes, synced. Returns 0 or a CLI exit
 * status after printing why.
 */
int auth_write_secret_file(const char *path, const void *data, size_t n) MUST_CHECK;

#endif
