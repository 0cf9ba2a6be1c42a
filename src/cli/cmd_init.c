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
#include "cli/auth.h"
#include "cli/password.h"
#include "base/secmem.h"
#include "keys/keyslots.h"
#include "vault/admin_slots.h"
#include "cli/progress.h"
#include "cli/smb_args.h"
#include "keys/keys.h"
#include "keys/params.h"
#include "store/store.h"
#include "vault/admin.h"

static const char init_help[] =
	"usage: " CLI_PROG " init [--passfile F | --extpass CMD] [--cipher NAME]\n"
	"                   [--plaintext-names] [--kdf-memory MIB] [--kdf-time N]\n"
	"                   [--label NAME] [--recovery-key-file F | --no-recovery-key]\n"
	"                   [--format-version 1|2] [--smb-user USER] [--smb-passfile F] CIPHERDIR\n"
	"\n"
	"Create a new vault in CIPHERDIR, which must be empty; it is created (mode 0700)\n"
	"when it does not exist. CIPHERDIR may be smb://[USER@]HOST[:PORT]/SHARE/PATH:\n"
	"the vault is then on that SMB share, reached through veilfs's own SMB client.\n"
	"Writes veilfs.conf (format version 2: the master key in a password slot, wrapped\n"
	"under a key derived from the password with Argon2id, and in a recovery-key slot)\n"
	"and the root veilfs.diriv.\n"
	"\n"
	"The recovery key (64 hex digits) opens the vault when every password is lost. It\n"
	"is printed once when standard output is a terminal, or written to the file given\n"
	"with --recovery-key-file (created, mode 0600). When standard output is not a\n"
	"terminal and no file is given, no recovery key is made (a warning says so).\n"
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
	"  --label NAME        label of the password slot (default 'password')\n"
	"  --recovery-key-file F  write the recovery key to the new file F (mode 0600)\n"
	"  --no-recovery-key   make no recovery key\n"
	"  --format-version N  2 (default) or 1 (the old single-password format, for\n"
	"                      vaults that older veilfs releases must open)\n"
	CLI_SMB_HELP
	"  -h, --help          show this help\n"
	"\n"
	"exit status: 0 created, 2 usage error, 4 directory not empty, already a vault,\n"
	"or any other error. See docs/CLI.md.\n";

enum {
	OPT_CIPHER = AUTH_OPT_NEXT, /* --passfile and --extpass: cli/auth.h */
	OPT_PLAINTEXT_NAMES,
	OPT_KDF_MEMORY,
	OPT_KDF_TIME,
	OPT_SMB_USER,
	OPT_SMB_PASSFILE,
	OPT_LABEL,
	OPT_RECOVERY_FILE,
	OPT_NO_RECOVERY,
	OPT_FORMAT_VERSION,
};

static const struct option init_options[] = {
	AUTH_PASSWORD_LONGOPTS,
	{ "cipher", required_argument, NULL, OPT_CIPHER },
	{ "plaintext-names", no_argument, NULL, OPT_PLAINTEXT_NAMES },
	{ "kdf-memory", required_argument, NULL, OPT_KDF_MEMORY },
	{ "kdf-time", required_argument, NULL, OPT_KDF_TIME },
	{ "smb-user", required_argument, NULL, OPT_SMB_USER },
	{ "smb-passfile", required_argument, NULL, OPT_SMB_PASSFILE },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "recovery-key-file", required_argument, NULL, OPT_RECOVERY_FILE },
	{ "no-recovery-key", no_argument, NULL, OPT_NO_RECOVERY },
	{ "format-version", required_argument, NULL, OPT_FORMAT_VERSION },
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

/* The recovery key of a new version-2 vault: where it goes, and the key itself. */
struct init_recovery {
	const char *file; /* --recovery-key-file, or NULL */
	bool none;        /* --no-recovery-key, or no terminal and no file */
	uint32_t version; /* --format-version */
	const char *label;
	bool print;       /* show it on the terminal after the vault is made */
	bool wrote_file;
	char *text; /* secmem, RECOVERY_TEXT_LEN + 2 bytes (a newline fits); NULL when none */
};

static int init_recovery_check(struct init_recovery *rk)
{
	if (!config_slot_label_is_valid(rk->label) || !strcmp(rk->label, "recovery"))
		return cli_usage_error("init", "label '%s' is not 1 ... 32 characters of "
					       "[A-Za-z0-9._@+-] (nor 'recovery')", rk->label);
	if (rk->file && rk->none)
		return cli_usage_error("init", "--recovery-key-file and --no-recovery-key cannot "
					       "be used together");
	if (rk->version == CONFIG_VERSION) {
		if (rk->file)
			return cli_usage_error("init", "a version-1 vault has no recovery key");
		rk->none = true;
		return 0;
	}
	if (!rk->none && !rk->file) {
		rk->print = isatty(STDOUT_FILENO);
		if (!rk->print) {
			cli_error("warning: standard output is not a terminal: no recovery key is "
				  "made (use --recovery-key-file F, or --no-recovery-key to be "
				  "quiet)");
			rk->none = true;
		}
	}
	return 0;
}

/* Create the version-2 vault: the password slot, and the recovery slot unless none. */
static int init_create_v2(const char *dir, const struct vault_create_params *p,
			  const struct password *pw, struct init_recovery *rk)
{
	struct vault_slot_new s[2] = {
		{ CONFIG_SLOT_PASSWORD, rk->label, (const uint8_t *)pw->data, pw->len,
		  p->kdf_time, p->kdf_memory_kib, p->kdf_lanes },
		{ CONFIG_SLOT_RECOVERY, "recovery", NULL, RECOVERY_KEY_LEN, 0, 0, 0 },
	};
	uint8_t *key = secmem_alloc(RECOVERY_KEY_LEN);
	int r = -ENOMEM;

	if (!key)
		goto out;
	if (!rk->none) {
		if (!(rk->text = secmem_alloc(RECOVERY_TEXT_LEN + 2)))
			goto out;
		if ((r = keys_random_secret(key, RECOVERY_KEY_LEN)) < 0)
			goto out;
		recovery_key_format(key, rk->text);
		s[1].secret = key;
	}
	if (rk->file) {
		/* The key and a newline, straight from locked memory. */
		rk->text[RECOVERY_TEXT_LEN] = '\n';
		r = auth_write_secret_file(rk->file, rk->text, RECOVERY_TEXT_LEN + 1);
		rk->text[RECOVERY_TEXT_LEN] = '\0';
		if (r != 0) {
			r = -EIO;
			goto out;
		}
		rk->wrote_file = true;
	}
	r = vault_admin_create_v2(dir, p, s, rk->none ? 1 : 2);
	if (r < 0 && rk->wrote_file) {
		(void)unlink(rk->file);
		rk->wrote_file = false;
	}
out:
	secmem_free(key);
	return r;
}

static void init_recovery_report(struct init_recovery *rk)
{
	if (rk->wrote_file)
		printf("recovery key written to '%s' (keep it apart from the vault; it opens "
		       "the vault with --recovery-key '%s')\n",
		       rk->file, rk->file);
	if (rk->print && rk->text) {
		/* The key itself bypasses stdio, so that no unlocked buffer ever holds it. */
		printf("\nrecovery key (shown only now):\n\n    ");
		fflush(stdout);
		rk->text[RECOVERY_TEXT_LEN] = '\n';
		if (write(STDOUT_FILENO, rk->text, RECOVERY_TEXT_LEN + 1) != RECOVERY_TEXT_LEN + 1)
			cli_error("cannot write the recovery key to standard output");
		printf("\nWRITE THIS DOWN and keep it somewhere safe, apart from the vault: it opens\n"
		       "the vault if every password is lost (put it in a file and pass\n"
		       "--recovery-key FILE). veilfs cannot show it again.\n");
	}
}

/* What init's options say. */
struct init_args {
	struct password_source src;
	struct vault_create_params p;
	struct cli_smb smb;
	uint32_t mib;
	struct init_recovery rk;
};

/* Takes one option; returns 0, or an exit status (-1 for --help, printed). */
static int init_take_option(struct init_args *a, int c, char **argv)
{
	if (auth_option(&a->src, c, optarg))
		return 0;
	switch (c) {
	case OPT_CIPHER:
		if (keys_cipher_parse(optarg, &a->p.cipher) < 0)
			return cli_usage_error("init", "unknown cipher '%s'", optarg);
		if (!keys_cipher_supported(a->p.cipher))
			return cli_usage_error("init", "cipher %s is not supported by this build "
					       "(docs/WINDOWS.md)", optarg);
		return 0;
	case OPT_PLAINTEXT_NAMES:
		a->p.plaintext_names = true;
		return 0;
	case OPT_KDF_MEMORY:
		if (!cli_parse_u32(optarg, KEYS_KDF_MEMORY_MIN_KIB / 1024,
				   KEYS_KDF_MEMORY_MAX_KIB / 1024, &a->mib))
			return cli_usage_error("init",
					       "--kdf-memory '%s' is not a number of MiB "
					       "from %d to %d",
					       optarg, KEYS_KDF_MEMORY_MIN_KIB / 1024,
					       KEYS_KDF_MEMORY_MAX_KIB / 1024);
		return 0;
	case OPT_KDF_TIME:
		if (!cli_parse_u32(optarg, KEYS_KDF_TIME_MIN, KEYS_KDF_TIME_MAX, &a->p.kdf_time))
			return cli_usage_error("init",
					       "--kdf-time '%s' is not a number from %d to %d",
					       optarg, KEYS_KDF_TIME_MIN, KEYS_KDF_TIME_MAX);
		return 0;
	case OPT_LABEL:
		a->rk.label = optarg;
		return 0;
	case OPT_RECOVERY_FILE:
		a->rk.file = optarg;
		return 0;
	case OPT_NO_RECOVERY:
		a->rk.none = true;
		return 0;
	case OPT_FORMAT_VERSION:
		if (!cli_parse_u32(optarg, 1, 2, &a->rk.version))
			return cli_usage_error("init", "--format-version '%s' is not 1 or 2",
					       optarg);
		return 0;
	case OPT_SMB_USER:
		a->smb.user = optarg;
		return 0;
	case OPT_SMB_PASSFILE:
		a->smb.passfile = optarg;
		return 0;
	case 'h':
		fputs(init_help, stdout);
		return -1;
	default:
		return cli_option_error("init", c, optopt, argv, optind);
	}
}

/* Asks for the password, creates the vault in dir and says what it made. */
static int init_create(const char *dir, struct init_args *a)
{
	struct password pw = { NULL, 0 };
	int r;

	if ((r = password_read(&a->src, "New password: ", true, &pw)) != 0)
		return r;
	progress_kdf_begin("deriving the key", a->p.kdf_memory_kib, a->p.kdf_time);
	if (a->rk.version == CONFIG_VERSION)
		r = vault_admin_create(dir, &a->p, pw.data, pw.len);
	else
		r = init_create_v2(dir, &a->p, &pw, &a->rk);
	progress_end();
	password_free(&pw);
	if (r < 0)
		return init_refusal(dir, r);
	printf("created vault '%s': %s, %s names, argon2id (memory %u MiB, time %u, lanes %u)\n",
	       dir, keys_cipher_name(a->p.cipher),
	       a->p.plaintext_names ? "plaintext" : "encrypted", a->p.kdf_memory_kib / 1024,
	       a->p.kdf_time, a->p.kdf_lanes);
	printf("mount it with: " CLI_PROG " mount '%s' MOUNTPOINT\n", dir);
	warn_kdf_limit(&a->p);
	init_recovery_report(&a->rk);
	return CLI_EXIT_OK;
}

int cmd_init_main(int argc, char **argv)
{
	struct init_args a = {
		.mib = VAULT_DEFAULT_KDF_MEMORY_KIB / 1024,
		.rk = { .version = CONFIG_V2_VERSION, .label = "password" },
	};
	char *public = NULL;
	bool created = false;
	const char *dir;
	int c, r;

	vault_create_params_init(&a.p);
	opterr = 0;
	if ((r = cli_check_single_dash("init", argc, argv, init_options, ":h")) != 0)
		return r;
	while ((c = getopt_long(argc, argv, ":h", init_options, NULL)) != -1)
		if ((r = init_take_option(&a, c, argv)) != 0)
			return r < 0 ? CLI_EXIT_OK : r;
	if ((r = cli_one_cipherdir("init", argc, optind)) != 0)
		return r;
	if (a.src.passfile && a.src.extpass)
		return cli_usage_error("init", "--passfile and --extpass cannot be used together");
	if ((r = cli_smb_prepare("init", argv[optind], &a.smb, &public)) != 0)
		return r;
	dir = public ? public : argv[optind];
	a.p.kdf_memory_kib = a.mib * 1024;
	if (vault_create_params_check(&a.p) < 0) {
		r = cli_usage_error("init", "invalid key derivation parameters");
		goto out;
	}
	if ((r = init_recovery_check(&a.rk)) != 0)
		goto out;
	if ((r = init_make_dir(dir, &created)) != 0)
		goto out;
	/* Refuse before asking for a password. */
	if ((r = vault_admin_can_create(dir)) < 0) {
		r = init_refusal(dir, r);
		goto out;
	}
	r = init_create(dir, &a);
out:
	secmem_free(a.rk.text);
	if (r != CLI_EXIT_OK && created && !public)
		(void)rmdir(dir); /* only the directory init made, left empty by the failure */
	free(public);
	return r;
}
