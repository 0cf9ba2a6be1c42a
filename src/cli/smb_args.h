/*
 * The SMB options of the commands that take a cipher directory as an smb:// URL
 * (mount, init, info, fsck): --smb-user USER and --smb-passfile F, with the URL's own
 * user part and VEILFS_SMB_USER / VEILFS_SMB_PASSWORD / VEILFS_SMB_DOMAIN as fallbacks
 * (docs/CLI.md). The password is never printed or logged.
 */
#ifndef VEILFS_CLI_SMB_ARGS_H
#define VEILFS_CLI_SMB_ARGS_H

#include "base/compiler.h"

/* What the options said; strings borrowed from argv. */
struct cli_smb {
	const char *user;
	const char *passfile;
};

/* Help text lines for the two options (ends with a newline). */
#define CLI_SMB_HELP                                                                   \
	"  --smb-user USER     smb:// CIPHERDIR: log in as USER (else the URL's user\n"   \
	"                      part, else $VEILFS_SMB_USER)\n"                              \
	"  --smb-passfile F    smb:// CIPHERDIR: the SMB password is the first line of F\n" \
	"                      (else the URL's, else $VEILFS_SMB_PASSWORD)\n"

/*
 * For an smb:// where: read --smb-passfile, remember the credentials for the stores this
 * process opens, and set *public to the URL without its user part (malloc'd: the name to
 * show, log and open). For anything else *public is NULL. Returns 0 or an exit status
 * (the message printed).
 */
int cli_smb_prepare(const char *cmd, const char *where, const struct cli_smb *o,
		    char **public) MUST_CHECK;

#endif
