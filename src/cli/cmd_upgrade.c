/*
 * veilfs upgrade: convert a version-1 vault to version 2 in place (docs/CLI.md,
 * "upgrade"). Only veilfs.conf changes; the master key, every subkey and every file stay
 * as they are. The crash-safe sequence is vault_admin_upgrade()'s.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli/auth.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/password.h"
#include "vault/admin_slots.h"

static const char upgrade_help[] =
	"usage: " CLI_PROG " upgrade [--passfile F | --extpass CMD] [--label NAME] CIPHERDIR\n"
	"\n"
	"Convert the version-1 vault in CIPHERDIR to on-disk format version 2 (key slots).\n"
	"Its password becomes the password slot NAME (default 'password') with the same\n"
	"KDF cost; files, names and the master key do not change, so nothing else is\n"
	"rewritten. Crash-safe: veilfs.conf is first copied to veilfs.conf.v1, then\n"
	"replaced atomically, and the copy removed once the new file reads back; after a\n"
	"crash veilfs.conf is whole (version 1 or 2) and running upgrade again finishes\n"
	"(on a version-2 vault it removes a leftover veilfs.conf.v1). Run it with the vault\n"
	"unmounted everywhere: older veilfs releases cannot open version 2.\n"
	"\n"
	"options:\n"
	"  --passfile F        read the password from the first line of file F\n"
	"  --extpass CMD       read the password from the output of '/bin/sh -c CMD'\n"
	"                      Without either: prompt, or one line of standard input.\n"
	"  --label NAME        label of the password slot (default 'password')\n"
	"  -h, --help          show this help\n"
	"\n"
	"exit status: 0 upgraded, 1 wrong password, 2 usage error or version 2 already,\n"
	"3 not a vault, 4 other error.\n";

enum {
	OPT_LABEL = AUTH_OPT_NEXT, /* --passfile and --extpass: cli/auth.h */
};

static const struct option upgrade_options[] = {
	AUTH_PASSWORD_LONGOPTS,
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_upgrade_main(int argc, char **argv)
{
	struct password_source src = { 0 };
	struct password pw = { NULL, 0 };
	struct vault_info vi;
	const char *dir, *label = "password";
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", upgrade_options, NULL)) != -1) {
		if (auth_option(&src, c, optarg))
			continue;
		switch (c) {
		case OPT_LABEL:
			label = optarg;
			break;
		case 'h':
			fputs(upgrade_help, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error("upgrade", c, optopt, argv, optind);
		}
	}
	if ((r = cli_one_cipherdir("upgrade", argc, optind)) != 0)
		return r;
	if (src.passfile && src.extpass)
		return cli_usage_error("upgrade", "--passfile and --extpass cannot be used together");
	if (!config_slot_label_is_valid(label))
		return cli_usage_error("upgrade", "label '%s' is not 1 ... 32 characters of "
						  "[A-Za-z0-9._@+-]", label);
	dir = argv[optind];
	if ((r = vault_admin_info(dir, &vi)) < 0)
		return cli_vault_error("cannot read vault", dir, r);
	if (vi.version == CONFIG_V2_VERSION) {
		/* Finishes an interrupted upgrade: removes a leftover veilfs.conf.v1. */
		r = vault_admin_upgrade(dir, "", 0, label);
		if (r != -EALREADY)
			return cli_vault_error("cannot upgrade", dir, r);
		printf("'%s' is a version-2 vault already\n", dir);
		return CLI_EXIT_USAGE;
	}
	if ((r = password_read(&src, "Password: ", false, &pw)) != 0)
		return r;
	r = vault_admin_upgrade(dir, pw.data, pw.len, label);
	password_free(&pw);
	if (r == -EALREADY) {
		printf("'%s' is a version-2 vault already\n", dir);
		return CLI_EXIT_USAGE;
	}
	if (r < 0)
		return cli_vault_error("cannot upgrade", dir, r);
	printf("upgraded '%s' to format version 2: password slot '%s'\n", dir, label);
	return CLI_EXIT_OK;
}
