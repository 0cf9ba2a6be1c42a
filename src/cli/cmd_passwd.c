/*
 * veilfs passwd: change the password of a vault. Re-wraps the master key under the new
 * password (vault_admin_passwd); file contents, names and the master key stay as they are.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/password.h"
#include "cli/progress.h"
#include "store/store.h"
#include "vault/admin.h"

static const char passwd_help[] =
	"usage: " CLI_PROG " passwd [--passfile F | --extpass CMD]\n"
	"                     [--new-passfile F | --new-extpass CMD] CIPHERDIR\n"
	"\n"
	"Change the password of the vault in CIPHERDIR. Only veilfs.conf is rewritten\n"
	"(atomically, with a new salt); the master key and every file stay unchanged,\n"
	"so mounted clients keep working. A wrong old password changes nothing.\n"
	"\n"
	"options:\n"
	"  --passfile F         read the old password from the first line of file F\n"
	"  --extpass CMD        read the old password from the output of '/bin/sh -c CMD'\n"
	"  --new-passfile F     read the new password from the first line of file F\n"
	"  --new-extpass CMD    read the new password from the output of '/bin/sh -c CMD'\n"
	"                       Without a source, a password is asked on the terminal (the\n"
	"                       new one twice), or read from standard input when it is not\n"
	"                       a terminal: first the old password's line, then the new.\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status: 0 changed, 1 wrong password, 2 usage error, 3 not a vault or\n"
	"malformed veilfs.conf, 4 other error. See docs/CLI.md.\n";

enum {
	OPT_PASSFILE = 256,
	OPT_EXTPASS,
	OPT_NEW_PASSFILE,
	OPT_NEW_EXTPASS,
};

static const struct option passwd_options[] = {
	{ "passfile", required_argument, NULL, OPT_PASSFILE },
	{ "extpass", required_argument, NULL, OPT_EXTPASS },
	{ "new-passfile", required_argument, NULL, OPT_NEW_PASSFILE },
	{ "new-extpass", required_argument, NULL, OPT_NEW_EXTPASS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_passwd_main(int argc, char **argv)
{
	struct password_source oldsrc = { NULL, NULL }, newsrc = { NULL, NULL };
	struct password oldpw = { NULL, 0 }, newpw = { NULL, 0 };
	struct vault_info vi;
	const char *dir;
	int c, r;

	opterr = 0;
	if ((r = cli_check_single_dash("passwd", argc, argv, passwd_options, ":h")) != 0)
		return r;
	while ((c = getopt_long(argc, argv, ":h", passwd_options, NULL)) != -1) {
		switch (c) {
		case OPT_PASSFILE:
			oldsrc.passfile = optarg;
			break;
		case OPT_EXTPASS:
			oldsrc.extpass = optarg;
			break;
		case OPT_NEW_PASSFILE:
			newsrc.passfile = optarg;
			break;
		case OPT_NEW_EXTPASS:
			newsrc.extpass = optarg;
			break;
		case 'h':
			fputs(passwd_help, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error("passwd", c, optopt, argv, optind);
		}
	}
	if ((r = cli_one_cipherdir("passwd", argc, optind)) != 0)
		return r;
	if (oldsrc.passfile && oldsrc.extpass)
		return cli_usage_error("passwd", "--passfile and --extpass cannot be used together");
	if (newsrc.passfile && newsrc.extpass)
		return cli_usage_error("passwd",
				       "--new-passfile and --new-extpass cannot be used together");
	dir = argv[optind];
	if (store_is_smb_url(dir)) {
		/* the new veilfs.conf would replace the old one by unlink + rename: a crash or a
		 * concurrent mount in between would find no vault (docs/SHARED.md) */
		cli_error("cannot change the password of a vault on an smb:// share: SMB (through "
			  "libsmbclient) cannot replace veilfs.conf atomically; change it through "
			  "a local or kernel-client path to the same directory");
		return CLI_EXIT_ERROR;
	}

	/* A missing or malformed vault is reported before any password is asked for. */
	if ((r = vault_admin_info(dir, &vi)) < 0)
		return cli_vault_error("cannot read vault", dir, r);
	if ((r = password_read(&oldsrc, "Old password: ", false, &oldpw)) != 0)
		return r;
	/* On a terminal, say "wrong password" before the new one is typed twice. */
	if (!newsrc.passfile && !newsrc.extpass && isatty(STDIN_FILENO)) {
		progress_kdf_begin("unlocking", vi.kdf_memory_kib, vi.kdf_time);
		r = vault_admin_check_password(dir, oldpw.data, oldpw.len);
		progress_end();
		if (r < 0) {
			r = cli_vault_error("cannot open vault", dir, r);
			goto out;
		}
	}
	if ((r = password_read(&newsrc, "New password: ", true, &newpw)) != 0)
		goto out;
	progress_kdf_begin("re-wrapping the key", vi.kdf_memory_kib, vi.kdf_time);
	r = vault_admin_passwd(dir, oldpw.data, oldpw.len, newpw.data, newpw.len);
	progress_end();
	if (r < 0) {
		r = cli_vault_error("cannot change password of", dir, r);
		goto out;
	}
	printf("password of '%s' changed\n", dir);
	r = CLI_EXIT_OK;
out:
	password_free(&oldpw);
	password_free(&newpw);
	return r;
}
