/*
 * veilfs key list|add|remove|revoke: the key slots of a version-2 vault (docs/CLI.md, "key").
 * Owns option parsing, reading the secrets (cli/auth.c, cli/password.c) and the messages;
 * the slots themselves are changed by vault/admin_slots.c, under the config lock.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/secmem.h"
#include "cli/auth.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/password.h"
#include "keys/keyslots.h"
#include "keys/params.h"
#include "store/store.h"
#include "vault/admin_slots.h"

static const char key_help[] =
	"usage: " CLI_PROG " key list [--json] CIPHERDIR\n"
	"       " CLI_PROG " key add [AUTH] --label NAME (--new-passfile F | --new-keyfile F |\n"
	"                          --new-recovery-key-file F | --tpm) [--kdf-memory MIB]\n"
	"                          [--kdf-time N] CIPHERDIR\n"
	"       " CLI_PROG " key remove [AUTH] --label NAME CIPHERDIR\n"
	"       " CLI_PROG " key revoke [AUTH] --label NAME CIPHERDIR\n"
	"\n"
	"Manage the key slots of a version-2 vault: each slot wraps the master key under one\n"
	"unlock method (a password, a key file, the recovery key or this machine's TPM 2.0).\n"
	"Only veilfs.conf is rewritten, atomically and under a lock that other\n"
	"administrators wait for; files and mounted clients are not touched. Version-1\n"
	"vaults: run '" CLI_PROG " upgrade'.\n"
	"\n"
	"  list     label, type, KDF cost and creation time of every slot (no password)\n"
	"  add      add a slot; AUTH is any unlock method the vault has now\n"
	"  remove   remove the slot labelled NAME (never the last slot)\n"
	"  revoke   remove the slot labelled NAME and rotate the content key: files written\n"
	"           from now on are sealed under a new key epoch that NAME never had (old\n"
	"           files stay readable; '" CLI_PROG " rekey' re-encrypts them)\n"
	"\n"
	"options:\n" AUTH_HELP
	"  --label NAME        slot label: 1 ... 32 characters of [A-Za-z0-9._@+-]\n"
	"  --new-passfile F    add: a password slot with the first line of file F\n"
	"  --new-keyfile F     add: create the key file F (32 random bytes, mode 0600; it\n"
	"                      must not exist) and a key-file slot for it\n"
	"  --new-recovery-key-file F  create F (mode 0600; it must not exist) holding a new\n"
	"                      recovery key (64 hex digits) and a recovery slot for it\n"
	"  --tpm               add without a --new-* option: the new slot is a TPM slot, a\n"
	"                      random key sealed to this machine's TPM (TCTI from\n"
	"                      TPM2TOOLS_TCTI), and AUTH is another method\n"
	"  --kdf-memory MIB    add, password slot: Argon2id memory in MiB (default 64)\n"
	"  --kdf-time N        add, password slot: Argon2id passes (default 3); 4 lanes\n"
	"  --json              list: print {\"version\": N, \"key_epoch\": E, \"slots\": [...]}\n"
	"  -h, --help          show this help\n"
	"\n"
	"exit status: 0 done, 1 wrong password or key, 2 usage error (also: label taken or\n"
	"unknown, last slot, 16 slots in use, version-1 vault, revoke with a slot to re-wrap\n"
	"first), 3 not a vault, 4 other error.\n";

enum {
	OPT_LABEL = AUTH_OPT_NEXT, /* the AUTH options: cli/auth.h */
	OPT_NEW_PASSFILE,
	OPT_NEW_KEYFILE,
	OPT_NEW_RECOVERY,
	OPT_KDF_MEMORY,
	OPT_KDF_TIME,
	OPT_JSON,
};

static const struct option key_options[] = {
	AUTH_PASSWORD_LONGOPTS,
	AUTH_KEY_LONGOPTS,
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "new-passfile", required_argument, NULL, OPT_NEW_PASSFILE },
	{ "new-keyfile", required_argument, NULL, OPT_NEW_KEYFILE },
	{ "new-recovery-key-file", required_argument, NULL, OPT_NEW_RECOVERY },
	{ "kdf-memory", required_argument, NULL, OPT_KDF_MEMORY },
	{ "kdf-time", required_argument, NULL, OPT_KDF_TIME },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct key_args {
	const char *sub;
	struct password_source auth;
	const char *label, *new_passfile, *new_keyfile, *new_recovery, *dir;
	uint32_t kdf_mib, kdf_time;
	bool json;
	bool new_tpm; /* add: the new slot is a TPM slot */
	char missing[CONFIG_SLOT_LABEL_MAX + 1]; /* revoke: a slot without a box key */
};

static int key_parse(int argc, char **argv, struct key_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->kdf_mib = VAULT_DEFAULT_KDF_MEMORY_KIB / 1024;
	a->kdf_time = VAULT_DEFAULT_KDF_TIME;
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(key_help, stdout);
		return -1;
	}
	if (argc < 2 || argv[1][0] == '-')
		return cli_usage_error("key", "missing subcommand: list, add, remove or revoke");
	a->sub = argv[1];
	if (strcmp(a->sub, "list") && strcmp(a->sub, "add") && strcmp(a->sub, "remove") &&
	    strcmp(a->sub, "revoke"))
		return cli_usage_error("key", "unknown subcommand '%s'", a->sub);
	opterr = 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, ":h", key_options, NULL)) != -1) {
		if (auth_option(&a->auth, c, optarg))
			continue;
		switch (c) {
		case OPT_LABEL: a->label = optarg; break;
		case OPT_NEW_PASSFILE: a->new_passfile = optarg; break;
		case OPT_NEW_KEYFILE: a->new_keyfile = optarg; break;
		case OPT_NEW_RECOVERY: a->new_recovery = optarg; break;
		case OPT_JSON: a->json = true; break;
		case OPT_KDF_MEMORY:
			if (!cli_parse_u32(optarg, KEYS_KDF_MEMORY_MIN_KIB / 1024,
					   KEYS_KDF_MEMORY_MAX_KIB / 1024, &a->kdf_mib))
				return cli_usage_error("key", "--kdf-memory '%s' is not a number of "
							      "MiB from %d to %d", optarg,
						       KEYS_KDF_MEMORY_MIN_KIB / 1024,
						       KEYS_KDF_MEMORY_MAX_KIB / 1024);
			break;
		case OPT_KDF_TIME:
			if (!cli_parse_u32(optarg, KEYS_KDF_TIME_MIN, KEYS_KDF_TIME_MAX, &a->kdf_time))
				return cli_usage_error("key", "--kdf-time '%s' is not a number from "
							      "%d to %d", optarg, KEYS_KDF_TIME_MIN,
						       KEYS_KDF_TIME_MAX);
			break;
		case 'h':
			fputs(key_help, stdout);
			return -1;
		default:
			return cli_option_error("key", c, optopt, argv, optind);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("key", argc == optind ? "missing CIPHERDIR"
							      : "too many arguments");
	a->dir = argv[optind];
	/* add: --tpm without a --new-* option is the new slot, not the AUTH */
	if (!strcmp(a->sub, "add") && a->auth.tpm && !a->new_passfile && !a->new_keyfile &&
	    !a->new_recovery) {
		a->auth.tpm = false;
		a->new_tpm = true;
	}
	if (auth_source_count(&a->auth) > 1)
		return cli_usage_error("key", "give one of --passfile, --extpass, --keyfile, "
					      "--recovery-key and --tpm");
	if (!strcmp(a->sub, "list"))
		return 0;
	if (!a->label)
		return cli_usage_error("key", "%s needs --label NAME", a->sub);
	if (!config_slot_label_is_valid(a->label))
		return cli_usage_error("key", "label '%s' is not 1 ... 32 characters of "
					      "[A-Za-z0-9._@+-]", a->label);
	if (!strcmp(a->sub, "add") &&
	    !!a->new_passfile + !!a->new_keyfile + !!a->new_recovery + a->new_tpm != 1)
		return cli_usage_error("key", "add needs one of --new-passfile F, --new-keyfile F, "
					      "--new-recovery-key-file F and --tpm");
	return 0;
}

/* Map the errors of admin_slots.h to a message and an exit status. */
static int key_error(const struct key_args *a, int r)
{
	switch (-r) {
	case EOPNOTSUPP:
		cli_error("'%s' is a version-1 vault without key slots: run '" CLI_PROG
			  " upgrade' first", a->dir);
		return CLI_EXIT_USAGE;
	case EEXIST:
		cli_error("'%s' has a slot labelled '%s' already", a->dir, a->label);
		return CLI_EXIT_USAGE;
	case ESRCH:
		cli_error("'%s' has no slot labelled '%s'", a->dir, a->label);
		return CLI_EXIT_USAGE;
	case EBUSY:
		cli_error("refusing to %s '%s', the last slot of '%s'", a->sub, a->label, a->dir);
		return CLI_EXIT_USAGE;
	case ENOKEY:
		cli_error("cannot revoke '%s': slot '%s' of '%s' was made before key epochs; "
			  "re-wrap it first ('" CLI_PROG " passwd --label %s', or remove and add "
			  "it again)", a->label, a->missing, a->dir, a->missing);
		return CLI_EXIT_USAGE;
	case EOVERFLOW:
		cli_error("cannot revoke '%s': '%s' is at its last key epoch (%d)", a->label, a->dir,
			  CONFIG_EPOCH_MAX);
		return CLI_EXIT_USAGE;
	case ENOSPC:
		cli_error("'%s' has %d slots in use, the most a vault can have", a->dir,
			  CONFIG_SLOTS_MAX);
		return CLI_EXIT_USAGE;
	case ESTALE:
		cli_error("veilfs.conf of '%s' changed while the slot was made; try again", a->dir);
		return CLI_EXIT_ERROR;
	default:
		return cli_vault_error(!strcmp(a->sub, "add")	   ? "cannot add a slot to"
				       : !strcmp(a->sub, "revoke") ? "cannot revoke a slot of"
								   : "cannot remove a slot of",
				       a->dir, r);
	}
}

/* remove, or revoke (remove and start a new key epoch). */
static int key_remove(struct key_args *a, const struct password *auth)
{
	bool revoke = !strcmp(a->sub, "revoke");
	struct config_any *c;
	int r;

	if (revoke)
		r = vault_slot_revoke(a->dir, auth->data, auth->len, a->label, a->missing);
	else
		r = vault_slot_remove(a->dir, auth->data, auth->len, a->label);
	if (r < 0)
		return key_error(a, r);
	if (!revoke) {
		printf("removed slot '%s' from '%s'\n", a->label, a->dir);
		return CLI_EXIT_OK;
	}
	c = secmem_alloc(sizeof(*c));
	if (c && vault_admin_load(a->dir, c) == 0)
		printf("revoked slot '%s' of '%s': new files use key epoch %u; run '" CLI_PROG
		       " rekey' to re-encrypt the older ones\n",
		       a->label, a->dir, (unsigned)c->v2.key_epoch);
	else
		printf("revoked slot '%s' of '%s'\n", a->label, a->dir);
	secmem_free(c);
	return CLI_EXIT_OK;
}

static void print_time(uint64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, size, "%llu", (unsigned long long)t);
}

static int key_list(const struct key_args *a)
{
	struct config_any *c = secmem_alloc(sizeof(*c));
	const struct config_slot *s;
	struct config_slot v1slot;
	unsigned i, n;
	char when[64];
	int r;

	if (!c)
		return cli_vault_error("cannot read vault", a->dir, -ENOMEM);
	if ((r = vault_admin_load(a->dir, c)) < 0) {
		secmem_free(c);
		return cli_vault_error("cannot read vault", a->dir, r);
	}
	/* A version-1 vault has one password, shown as one slot without a creation time. */
	memset(&v1slot, 0, sizeof(v1slot));
	v1slot.type = CONFIG_SLOT_PASSWORD;
	v1slot.kdf_time = c->v1.kdf_time;
	v1slot.kdf_memory_kib = c->v1.kdf_memory_kib;
	v1slot.kdf_lanes = c->v1.kdf_lanes;
	strcpy(v1slot.label, "password");
	n = c->version == CONFIG_VERSION ? 1 : c->v2.nslots;
	if (a->json)
		printf("{\"version\": %u, \"key_epoch\": %u, \"slots\": [", c->version,
		       (unsigned)c->v2.key_epoch);
	else
		printf("%-32s  %-8s  %-28s  %s\n", "LABEL", "TYPE", "KDF", "CREATED");
	for (i = 0; i < n; i++) {
		char kdf[64];

		s = c->version == CONFIG_VERSION ? &v1slot : &c->v2.slots[i];
		if (s->type == CONFIG_SLOT_PASSWORD)
			snprintf(kdf, sizeof(kdf), "argon2id m=%uMiB t=%u p=%u",
				 s->kdf_memory_kib / 1024, s->kdf_time, s->kdf_lanes);
		else
			snprintf(kdf, sizeof(kdf), "hkdf-sha256");
		if (c->version == CONFIG_VERSION)
			snprintf(when, sizeof(when), "-");
		else
			print_time(s->created, when, sizeof(when));
		if (!a->json) {
			printf("%-32s  %-8s  %-28s  %s\n", s->label, config_slot_type_name(s->type),
			       kdf, when);
			continue;
		}
		/* Labels are of [A-Za-z0-9._@+-]: nothing to escape. */
		printf("%s{\"label\": \"%s\", \"type\": \"%s\", ", i ? ", " : "", s->label,
		       config_slot_type_name(s->type));
		if (s->type == CONFIG_SLOT_PASSWORD)
			printf("\"kdf\": \"argon2id\", \"kdf_memory_kib\": %u, \"kdf_time\": %u, "
			       "\"kdf_lanes\": %u, ",
			       s->kdf_memory_kib, s->kdf_time, s->kdf_lanes);
		else
			printf("\"kdf\": \"hkdf-sha256\", ");
		if (c->version == CONFIG_VERSION)
			printf("\"created\": null, \"box_key\": false}");
		else
			printf("\"created\": %llu, \"created_utc\": \"%s\", \"box_key\": %s}",
			       (unsigned long long)s->created, when,
			       (s->box_flags & CONFIG_SLOT_HAS_BOX_KEY) ? "true" : "false");
	}
	if (a->json)
		printf("]}\n");
	secmem_free(c);
	return CLI_EXIT_OK;
}

/*
 * The new slot's secret: a password line, or 32 random bytes for a new key file or
 * recovery key (its text form, and a newline, into *file: what goes into the file).
 */
static int key_new_secret(const struct key_args *a, struct password *secret,
			  struct password *file, struct vault_slot_new *n)
{
	struct password_source src = { 0 };
	int r;

	n->label = a->label;
	if (a->new_passfile) {
		src.passfile = a->new_passfile;
		if ((r = password_read(&src, "New password: ", true, secret)) != 0)
			return r;
		n->type = CONFIG_SLOT_PASSWORD;
		n->kdf_memory_kib = a->kdf_mib * 1024;
		n->kdf_time = a->kdf_time;
		n->kdf_lanes = VAULT_DEFAULT_KDF_LANES;
	} else if (a->new_tpm) {
		/* the slot's key is made and sealed by keys/; the secret names the TPM */
		if ((r = auth_tpm_secret(secret, false)) != 0)
			return r;
		n->type = CONFIG_SLOT_TPM;
		n->secret = (const uint8_t *)secret->data + KEYS_SECRET_OVERHEAD;
		n->len = secret->len - KEYS_SECRET_OVERHEAD;
		return 0;
	} else {
		secret->data = secmem_alloc(32 + 1);
		if (!secret->data)
			return cli_vault_error("cannot add a slot to", a->dir, -ENOMEM);
		secret->len = 32;
		if (keys_random_secret((uint8_t *)secret->data, 32) < 0)
			return cli_vault_error("cannot add a slot to", a->dir, -EIO);
		n->type = a->new_keyfile ? CONFIG_SLOT_KEYFILE : CONFIG_SLOT_RECOVERY;
		if (n->type == CONFIG_SLOT_RECOVERY) {
			file->data = secmem_alloc(RECOVERY_TEXT_LEN + 2);
			if (!file->data)
				return cli_vault_error("cannot add a slot to", a->dir, -ENOMEM);
			recovery_key_format((const uint8_t *)secret->data, file->data);
			file->data[RECOVERY_TEXT_LEN] = '\n';
			file->len = RECOVERY_TEXT_LEN + 1;
		} else {
			file->data = NULL;
			file->len = 0;
		}
	}
	n->secret = (const uint8_t *)secret->data;
	n->len = secret->len;
	return 0;
}

int cmd_key_main(int argc, char **argv)
{
	struct password auth = { NULL, 0 }, secret = { NULL, 0 }, text = { NULL, 0 };
	const char *new_file = NULL;
	struct vault_slot_new n;
	struct config_any *c = NULL;
	struct key_args a;
	bool wrote_keyfile = false;
	int r;

	if ((r = key_parse(argc, argv, &a)) != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	if (!strcmp(a.sub, "list"))
		return key_list(&a);
	if (store_is_smb_url(a.dir)) {
		/* a slot change replaces veilfs.conf, which SMB can only unlink + rename
		 * (docs/SHARED.md): refused here, before any secret is read */
		cli_error("cannot %s a key slot of a vault on an smb:// share: SMB (through "
			  "libsmbclient) cannot replace veilfs.conf atomically; run it on a local "
			  "or kernel-client path to the same directory", a.sub);
		return CLI_EXIT_ERROR;
	}
	memset(&n, 0, sizeof(n));
	/* A missing, malformed or version-1 vault is reported before any secret is read. */
	c = secmem_alloc(sizeof(*c));
	if (!c)
		return cli_vault_error("cannot read vault", a.dir, -ENOMEM);
	r = vault_admin_load(a.dir, c);
	if (r == 0 && c->version == CONFIG_VERSION)
		r = -EOPNOTSUPP;
	secmem_free(c);
	if (r < 0)
		return key_error(&a, r);
	if ((r = password_read(&a.auth, "Password: ", false, &auth)) != 0)
		return r;
	if (!strcmp(a.sub, "remove") || !strcmp(a.sub, "revoke")) {
		r = key_remove(&a, &auth);
		goto out;
	}
	if ((r = key_new_secret(&a, &secret, &text, &n)) != 0)
		goto out;
	new_file = a.new_keyfile ? a.new_keyfile : a.new_recovery;
	if (new_file) {
		/* The file first: a slot whose secret was not saved would be useless. */
		r = a.new_keyfile ? auth_write_secret_file(new_file, secret.data, secret.len)
				  : auth_write_secret_file(new_file, text.data, text.len);
		if (r != 0)
			goto out;
		wrote_keyfile = true;
	}
	r = vault_slot_add(a.dir, auth.data, auth.len, &n);
	if (r < 0) {
		r = key_error(&a, r);
		goto out;
	}
	printf("added %s slot '%s' to '%s'\n", config_slot_type_name(n.type), a.label, a.dir);
	if (new_file)
		printf("%s: '%s' (keep it safe, apart from the vault: it opens the vault)\n",
		       a.new_keyfile ? "key file" : "recovery key file", new_file);
	r = CLI_EXIT_OK;
out:
	if (r != CLI_EXIT_OK && wrote_keyfile)
		(void)unlink(new_file);
	password_free(&auth);
	password_free(&secret);
	password_free(&text);
	return r;
}
