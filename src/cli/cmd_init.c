/*
 * veilfs init: create a vault in an empty (or not yet existing) directory. Owns option
 * parsing and the messages; the vault itself is made by vault_admin_create().
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/password.h"
#include "cli/progress.h"
#include "cli/smb_args.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "keys/keys.h"
#include "store/store.h"
#include "vault/admin.h"

static const char init_help[] =
	"usage: " CLI_PROG " init [--passfile F | --extpass CMD] [--cipher NAME]\n"
	"                   [--plaintext-names] [--kdf-memory MIB] [--kdf-time N]\n"
	"                   [--smb-user USER] [--smb-passfile F] CIPHERDIR\n"
	"\n"
	"Create a new vault in CIPHERDIR, which must be empty; it is created (mode 0700)\n"
	"when it does not exist. CIPHERDIR may be smb://[USER@]HOST[:PORT]/SHARE/PATH:\n"
	"the vault is then on that SMB share, reached through veilfs's own SMB client. Writes veilfs.conf (the master key, wrapped under a key\n"
	"derived from the password with Argon2id) and the root veilfs.diriv.\n"
	"\n"
	"options:\n"
	"  --passfile F        read the password from the first line of file F\n"
	"  --extpass CMD       read the password from the first line printed by\n"
	"                      '/bin/sh -c CMD' (CMD must exit with status 0)\n"
	"                      Without either: prompt twice on a terminal, or read one\n"
	"                      line from standard input when it is not a terminal.\n"
	"  --cipher NAME       content cipher: aes-256-gcm (default) or xchacha20-poly1305\n"
	"  --plaintext-names   store file names unencrypted (contents stay encrypted)\n"
	"  --kdf-memory MIB    Argon2id memory in MiB, 8 ... 4096 (default 64)\n"
	"  --kdf-time N        Argon2id passes, 1 ... 64 (default 3); 4 lanes are used\n"
	CLI_SMB_HELP
	"  -h, --help          show this help\n"
	"\n"
	"exit status: 0 created, 2 usage error, 4 directory not empty, already a vault,\n"
	"or any other error. See docs/CLI.md.\n";

enum {
	OPT_PASSFILE = 256,
	OPT_EXTPASS,
	OPT_CIPHER,
	OPT_PLAINTEXT_NAMES,
	OPT_KDF_MEMORY,
	OPT_KDF_TIME,
	OPT_SMB_USER,
	OPT_SMB_PASSFILE,
};

static const struct option init_options[] = {
	{ "passfile", required_argument, NULL, OPT_PASSFILE },
	{ "extpass", required_argument, NULL, OPT_EXTPASS },
	{ "cipher", required_argument, NULL, OPT_CIPHER },
	{ "plaintext-names", no_argument, NULL, OPT_PLAINTEXT_NAMES },
	{ "kdf-memory", required_argument, NULL, OPT_KDF_MEMORY },
	{ "kdf-time", required_argument, NULL, OPT_KDF_TIME },
	{ "smb-user", required_argument, NULL, OPT_SMB_USER },
	{ "smb-passfile", required_argument, NULL, OPT_SMB_PASSFILE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The SMB directory: created when missing (one level only), like a local one. */
static int init_make_smb_dir(const char *url, bool *created)
{
	int r = store_smb_mkdir(url, NULL, 0700);

	if (r == 0)
		*created = true;
	else if (r != -EEXIST) {
		cli_error("cannot create directory '%s': %s", url, strerror(-r));
		return CLI_EXIT_ERROR;
	}
	return 0;
}

/* Create dir when missing (one level only). Sets *created. Returns 0 or an exit status. */
static int init_make_dir(const char *dir, bool *created)
{
	struct stat st;
	int err;

	*created = false;
	if (store_is_smb_url(dir))
		return init_make_smb_dir(dir, created);
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			cli_error("cannot create vault in '%s': %s", dir, strerror(ENOTDIR));
			return CLI_EXIT_ERROR;
		}
		return 0;
	}
	if (errno != ENOENT || mkdir(dir, 0700) < 0) {
		err = errno;
		cli_error("cannot create directory '%s': %s", dir, strerror(err));
		return CLI_EXIT_ERROR;
	}
	*created = true;
	return 0;
}

static int init_refusal(const char *dir, int r)
{
	if (r == -EEXIST)
		cli_error("cannot create vault in '%s': it already holds a vault (veilfs.conf)",
			  dir);
	else if (r == -ENOTEMPTY)
		cli_error("cannot create vault in '%s': directory is not empty", dir);
	else
		cli_error("cannot create vault in '%s': %s", dir, strerror(r < 0 ? -r : EIO));
	return CLI_EXIT_ERROR;
}

/* A cost above the unlock limit works only with the limit raised: say so once, here. */
static void warn_kdf_limit(const struct vault_create_params *p)
{
	uint32_t mem, time;

	keys_get_kdf_limit(&mem, &time);
	if (p->kdf_memory_kib <= mem && p->kdf_time <= time)
		return;
	cli_error("warning: this KDF cost is above the limit of %u MiB and %u passes that "
		  "commands accept from a veilfs.conf; open this vault with "
		  CLI_KDF_LIMIT_ENV "=%u,%u set", mem / 1024, time, p->kdf_memory_kib / 1024,
		  p->kdf_time);
}

int cmd_init_main(int argc, char **argv)
{
	struct password_source src = { NULL, NULL };
	struct vault_create_params p;
	struct password pw = { NULL, 0 };
	struct cli_smb smb = { NULL, NULL };
	char *public = NULL;
	uint32_t mib = VAULT_DEFAULT_KDF_MEMORY_KIB / 1024;
	enum aead_alg alg;
	bool created = false;
	const char *dir;
	int c, r;

	vault_create_params_init(&p);
	opterr = 0;
	if ((r = cli_check_single_dash("init", argc, argv, init_options, ":h")) != 0)
		return r;
	while ((c = getopt_long(argc, argv, ":h", init_options, NULL)) != -1) {
		switch (c) {
		case OPT_PASSFILE:
			src.passfile = optarg;
			break;
		case OPT_EXTPASS:
			src.extpass = optarg;
			break;
		case OPT_CIPHER:
			if (aead_alg_parse(optarg, &alg) < 0)
				return cli_usage_error("init", "unknown cipher '%s'", optarg);
			p.cipher = (uint8_t)alg;
			break;
		case OPT_PLAINTEXT_NAMES:
			p.plaintext_names = true;
			break;
		case OPT_KDF_MEMORY:
			if (!cli_parse_u32(optarg, ARGON2_MIN_MEMORY_KIB / 1024,
					   ARGON2_MAX_MEMORY_KIB / 1024, &mib))
				return cli_usage_error("init",
						       "--kdf-memory '%s' is not a number of MiB "
						       "from %d to %d",
						       optarg, ARGON2_MIN_MEMORY_KIB / 1024,
						       ARGON2_MAX_MEMORY_KIB / 1024);
			break;
		case OPT_KDF_TIME:
			if (!cli_parse_u32(optarg, ARGON2_MIN_TIME, ARGON2_MAX_TIME, &p.kdf_time))
				return cli_usage_error("init",
						       "--kdf-time '%s' is not a number from %d to %d",
						       optarg, ARGON2_MIN_TIME, ARGON2_MAX_TIME);
			break;
		case OPT_SMB_USER:
			smb.user = optarg;
			break;
		case OPT_SMB_PASSFILE:
			smb.passfile = optarg;
			break;
		case 'h':
			fputs(init_help, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error("init", c, optopt, argv, optind);
		}
	}
	if ((r = cli_one_cipherdir("init", argc, optind)) != 0)
		return r;
	if (src.passfile && src.extpass)
		return cli_usage_error("init", "--passfile and --extpass cannot be used together");
	if ((r = cli_smb_prepare("init", argv[optind], &smb, &public)) != 0)
		return r;
	dir = public ? public : argv[optind];
	p.kdf_memory_kib = mib * 1024;
	if (vault_create_params_check(&p) < 0) {
		r = cli_usage_error("init", "invalid key derivation parameters");
		goto out;
	}

	if ((r = init_make_dir(dir, &created)) != 0)
		goto out;
	/* Refuse before asking for a password. */
	if ((r = vault_admin_can_create(dir)) < 0) {
		r = init_refusal(dir, r);
		goto out;
	}
	if ((r = password_read(&src, "New password: ", true, &pw)) != 0)
		goto out;
	progress_kdf_begin("deriving the key", p.kdf_memory_kib, p.kdf_time);
	r = vault_admin_create(dir, &p, pw.data, pw.len);
	progress_end();
	password_free(&pw);
	if (r < 0) {
		r = init_refusal(dir, r);
		goto out;
	}
	printf("created vault '%s': %s, %s names, argon2id (memory %u MiB, time %u, lanes %u)\n",
	       dir,
	       aead_alg_name((enum aead_alg)p.cipher),
	       p.plaintext_names ? "plaintext" : "encrypted", p.kdf_memory_kib / 1024, p.kdf_time,
	       p.kdf_lanes);
	printf("mount it with: " CLI_PROG " mount '%s' MOUNTPOINT\n", dir);
	warn_kdf_limit(&p);
	r = CLI_EXIT_OK;
out:
	if (r != CLI_EXIT_OK && created && !public)
		(void)rmdir(dir);
	free(public);
	return r;
}
