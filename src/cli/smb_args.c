/*
 * smb:// cipher directories in the CLI: credentials from the options, the URL or the
 * environment, handed to store/ once per process (smb_args.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/password.h"
#include "cli/smb_args.h"
#include "store/store.h"

int cli_smb_prepare(const char *cmd, const char *where, const struct cli_smb *o, char **public)
{
	struct password_source src = { .passfile = o->passfile };
	struct password pw = { NULL, 0 };
	struct store_smb_auth auth = { o->user, NULL, NULL };
	int r;

	*public = NULL;
	if (!store_is_smb_url(where)) {
		if (o->user || o->passfile)
			return cli_usage_error(cmd, "--smb-user and --smb-passfile need an smb:// "
						    "CIPHERDIR");
		return 0;
	}
	if (o->passfile) {
		if ((r = password_read(&src, "SMB password: ", false, &pw)) != 0)
			return r;
		auth.password = pw.data;
	}
	r = store_smb_set_auth(where, &auth, public);
	password_free(&pw);
	if (r == -EINVAL)
		return cli_usage_error(cmd, "the smb:// CIPHERDIR is not an "
					    "smb://[USER@]HOST[:PORT]/SHARE[/PATH] URL");
	if (r < 0) {
		cli_error("cannot use the smb:// CIPHERDIR: %s", strerror(-r));
		return CLI_EXIT_ERROR;
	}
	return 0;
}
