/*
 * veilfs passwd: change the password of a vault. Re-wraps the master key under the new
 * password (vault_admin_passwd); file contents, names and the master key stay as they are.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/auth.h"
#include "cli/password.h"
#include "cli/progress.h"
#include "keys/params.h"
#include "store/store.h"
#include "vault/admin.h"
#include "vault/admin_slots.h"

static const char passwd_help[] =
	"usage: " CLI_PROG " passwd [--passfile F | --extpass CMD | --keyfile F | --recovery-key F |\n"
	"                     --tpm]\n"
	"                     [--new-passfile F | --new-extpass CMD] [--label NAME]\n"
	"                     [--kdf-memory MIB] [--kdf-time N] CIPHERDIR\n"
	"\n"
	"Change the password of the vault in CIPHERDIR. Only veilfs.conf is rewritten\n"
	"(atomically, with a new salt); the master key and every file stay unchanged,\n"
	"so mounted clients keep working. A wrong old password changes nothing.\n"
	"In a version-2 vault one password slot is re-wrapped: the one labelled NAME, or\n"
	"by default the slot that the old password (or key) opened; --kdf-memory and\n"
	"--kdf-time give it a new Argon2id cost (default: keep its cost). Version-1\n"
	"vaults take neither --label nor a new cost ('" CLI_PROG " upgrade' first).\n"
	"\n"
	"options:\n"
	"  --passfile F         read the old password from the first line of file F\n"
	"  --extpass CMD        read the old password from the output of '/bin/sh -c CMD'\n"
	"  --keyfile F          unlock with the key file F instead of the old password\n"
	"  --recovery-key F     unlock with the recovery key written in file F\n"
	"  --tpm                unlock with a TPM slot, unsealed by this machine's TPM\n"
	"                       (TCTI from TPM2TOOLS_TCTI; default device:/dev/tpmrm0)\n"
	"  --label NAME         version 2: the password slot to change\n"
	"  --kdf-memory MIB     version 2: new Argon2id memory in MiB, 8 ... 4096\n"
	"  --kdf-time N         version 2: new Argon2id passes, 1 ... 64\n"
	"  --new-passfile F     read the new password from the first line of file F\n"
	"  --new-extpass CMD    read the new password from the output of '/bin/sh -c CMD'\n"
	"                       Without a source, a password is asked on the terminal (the\n"
	"                       new one twice), or read from standard input when it is not\n"
	"                       a terminal: first the old password's line, then the new.\n"
	"  --json               print the success line as one JSON object\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status: 0 changed, 1 wrong password, 2 usage error, 3 not a vault or\n"
	"malformed veilfs.conf, 4 other error. See docs/CLI.md.\n";

enum {
	OPT_NEW_PASSFILE = AUTH_OPT_NEXT, /* the AUTH options: cli/auth.h */
	OPT_NEW_EXTPASS,
	OPT_LABEL,
	OPT_KDF_MEMORY,
	OPT_KDF_TIME,
	OPT_JSON,
};

static const struct option passwd_options[] = {
	AUTH_PASSWORD_LONGOPTS,
	{ "new-passfile", required_argument, NULL, OPT_NEW_PASSFILE },
	{ "new-extpass", required_argument, NULL, OPT_NEW_EXTPASS },
	AUTH_KEY_LONGOPTS,
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "kdf-memory", required_argument, NULL, OPT_KDF_MEMORY },
	{ "kdf-time", required_argument, NULL, OPT_KDF_TIME },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Version 2: which slot, and its new cost (0: keep); how to report. */
struct passwd_slot {
	const char *label;
	uint32_t kdf_mib, kdf_time;
	bool json;
};

/* The success line: text, or one JSON object {"changed", "cipherdir", "slot"}. */
static void report_changed(const struct passwd_slot *ps, const char *dir, const char *label)
{
	if (ps->json) {
		printf("{\"changed\": true, \"cipherdir\": ");
		cli_json_string(dir);
		printf(", \"slot\": ");
		if (label)
			cli_json_string(label);
		else
			printf("null");
		printf("}\n");
	} else if (label) {
		printf("password of slot '%s' of '%s' changed\n", label, dir);
	} else {
		printf("password of '%s' changed\n", dir);
	}
}

static int passwd_slot_option(struct passwd_slot *ps, int c, const char *arg)
{
	if (c == OPT_LABEL) {
		if (!config_slot_label_is_valid(arg))
			return cli_usage_error("passwd", "label '%s' is not 1 ... 32 characters of "
							 "[A-Za-z0-9._@+-]", arg);
		ps->label = arg;
	} else if (c == OPT_KDF_MEMORY) {
		if (!cli_parse_u32(arg, KEYS_KDF_MEMORY_MIN_KIB / 1024, KEYS_KDF_MEMORY_MAX_KIB / 1024,
				   &ps->kdf_mib))
			return cli_usage_error("passwd", "--kdf-memory '%s' is not a number of MiB "
							 "from %d to %d", arg,
					       KEYS_KDF_MEMORY_MIN_KIB / 1024,
					       KEYS_KDF_MEMORY_MAX_KIB / 1024);
	} else if (!cli_parse_u32(arg, KEYS_KDF_TIME_MIN, KEYS_KDF_TIME_MAX, &ps->kdf_time)) {
		return cli_usage_error("passwd", "--kdf-time '%s' is not a number from %d to %d",
				       arg, KEYS_KDF_TIME_MIN, KEYS_KDF_TIME_MAX);
	}
	return 0;
}

/* Re-wrap one password slot of a version-2 vault; its current cost unless one is given. */
static int passwd_rewrap(const char *dir, const struct passwd_slot *ps,
			 const struct password *oldpw, const struct password *newpw)
{
	struct vault_slot_new n = { CONFIG_SLOT_PASSWORD, NULL, (const uint8_t *)newpw->data,
				    newpw->len, ps->kdf_time, ps->kdf_mib * 1024, 0 };
	char label[CONFIG_SLOT_LABEL_MAX + 1];
	int r;

	/* A cost of 0 keeps the slot's own (vault_slot_rewrap). */
	r = vault_slot_rewrap(dir, oldpw->data, oldpw->len, ps->label, &n, label);
	switch (-r) {
	case 0:
		report_changed(ps, dir, label);
		return CLI_EXIT_OK;
	case ESRCH:
		cli_error("'%s' has no slot labelled '%s'", dir, ps->label ? ps->label : "");
		return CLI_EXIT_USAGE;
	case EMEDIUMTYPE:
		cli_error("the slot of '%s' to change is not a password slot (give --label)", dir);
		return CLI_EXIT_USAGE;
	default:
		return cli_vault_error("cannot change password of", dir, r);
	}
}

/* What passwd's options say. */
struct passwd_args {
	struct password_source oldsrc, newsrc;
	struct passwd_slot ps;
};

/* Takes one option; returns 0, -1 after --help (printed), or an exit status. */
static int passwd_take_option(struct passwd_args *a, int c, char **argv)
{
	if (auth_option(&a->oldsrc, c, optarg))
		return 0;
	switch (c) {
	case OPT_NEW_PASSFILE:
		a->newsrc.passfile = optarg;
		return 0;
	case OPT_NEW_EXTPASS:
		a->newsrc.extpass = optarg;
		return 0;
	case OPT_JSON:
		a->ps.json = true;
		return 0;
	case OPT_LABEL:
	case OPT_KDF_MEMORY:
	case OPT_KDF_TIME:
		return passwd_slot_option(&a->ps, c, optarg);
	case 'h':
		fputs(passwd_help, stdout);
		return -1;
	default:
		return cli_option_error("passwd", c, optopt, argv, optind);
	}
}

/* Reads the old and the new password and re-wraps the master key of dir under the new. */
static int passwd_change(const char *dir, const struct vault_info *vi, struct passwd_args *a)
{
	struct password oldpw = { NULL, 0 }, newpw = { NULL, 0 };
	int r;

	if ((r = password_read(&a->oldsrc, "Old password: ", false, &oldpw)) != 0)
		return r;
	/* On a terminal, say "wrong password" before the new one is typed twice. */
	if (!a->newsrc.passfile && !a->newsrc.extpass && isatty(STDIN_FILENO)) {
		progress_kdf_begin("unlocking", vi->kdf_memory_kib, vi->kdf_time);
		r = vault_admin_check_password(dir, oldpw.data, oldpw.len);
		progress_end();
		if (r < 0) {
			r = cli_vault_error("cannot open vault", dir, r);
			goto out;
		}
	}
	if ((r = password_read(&a->newsrc, "New password: ", true, &newpw)) != 0)
		goto out;
	progress_kdf_begin("re-wrapping the key", vi->kdf_memory_kib, vi->kdf_time);
	if (vi->version == CONFIG_VERSION) {
		r = vault_admin_passwd(dir, oldpw.data, oldpw.len, newpw.data, newpw.len);
		progress_end();
		if (r < 0) {
			r = cli_vault_error("cannot change password of", dir, r);
			goto out;
		}
		report_changed(&a->ps, dir, NULL);
		r = CLI_EXIT_OK;
	} else {
		r = passwd_rewrap(dir, &a->ps, &oldpw, &newpw);
		progress_end();
	}
out:
	password_free(&oldpw);
	password_free(&newpw);
	return r;
}

int cmd_passwd_main(int argc, char **argv)
{
	struct passwd_args a = { .ps = { NULL, 0, 0, false } };
	struct vault_info vi;
	const char *dir;
	int c, r;

	opterr = 0;
	if ((r = cli_check_single_dash("passwd", argc, argv, passwd_options, ":h")) != 0)
		return r;
	while ((c = getopt_long(argc, argv, ":h", passwd_options, NULL)) != -1)
		if ((r = passwd_take_option(&a, c, argv)) != 0)
			return r < 0 ? CLI_EXIT_OK : r;
	if ((r = cli_one_cipherdir("passwd", argc, optind)) != 0)
		return r;
	if (auth_source_count(&a.oldsrc) > 1)
		return cli_usage_error("passwd", "give one of --passfile, --extpass, --keyfile, "
						 "--recovery-key and --tpm");
	if (a.newsrc.passfile && a.newsrc.extpass)
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
	if (vi.version == CONFIG_VERSION && (a.ps.label || a.ps.kdf_mib || a.ps.kdf_time))
		return cli_usage_error("passwd", "--label, --kdf-memory and --kdf-time need a "
						 "version-2 vault ('" CLI_PROG " upgrade')");
	return passwd_change(dir, &vi, &a);
}
