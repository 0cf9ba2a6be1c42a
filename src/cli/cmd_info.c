/*
 * veilfs info: print the public parameters of a vault (no password, no secrets), as text
 * or as one JSON object. Reads them through vault_admin_info().
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/smb_args.h"
#include "keys/params.h"
#include "vault/admin.h"

static const char info_help[] =
	"usage: " CLI_PROG " info [--json] CIPHERDIR\n"
	"\n"
	"Show the parameters stored in CIPHERDIR/veilfs.conf: format version, content\n"
	"cipher, name encryption, password KDF and its cost, block size, vault id.\n"
	"No password is needed and no secret is shown. For a version-2 vault the KDF\n"
	"shown is that of its first password slot; '" CLI_PROG " key list' shows every slot.\n"
	"\n"
	"options:\n"
	"  --json      print one JSON object instead of text\n"
	"  -h, --help  show this help\n"
	"\n"
	"exit status: 0 ok, 2 usage error, 3 not a vault or malformed veilfs.conf,\n"
	"4 other error. See docs/CLI.md.\n";

static const struct option info_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void print_json(const struct vault_info *vi, const char *id)
{
	bool pn = vi->features & CONFIG_FEATURE_PLAINTEXT_NAMES;

	/* Every value printed is fixed text or a number: nothing needs JSON escaping. */
	printf("{\n"
	       "  \"format_version\": %u,\n"
	       "  \"cipher\": \"%s\",\n"
	       "  \"kdf\": {\n"
	       "    \"name\": \"%s\",\n"
	       "    \"memory_kib\": %u,\n"
	       "    \"time\": %u,\n"
	       "    \"lanes\": %u\n"
	       "  },\n"
	       "  \"features\": [%s],\n"
	       "  \"plaintext_names\": %s,\n"
	       "  \"vault_id\": \"%s\",\n"
	       "  \"block_size\": %u\n"
	       "}\n",
	       (unsigned)vi->version, keys_cipher_name(vi->cipher), keys_kdf_name(vi->kdf),
	       vi->kdf_memory_kib, vi->kdf_time, vi->kdf_lanes, pn ? "\"plaintext-names\"" : "",
	       pn ? "true" : "false", id, vi->block_size);
}

static void print_text(const char *dir, const struct vault_info *vi, const char *id)
{
	bool pn = vi->features & CONFIG_FEATURE_PLAINTEXT_NAMES;

	printf("vault:          %s\n", dir);
	printf("format version: %u\n", (unsigned)vi->version);
	printf("cipher:         %s\n", keys_cipher_name(vi->cipher));
	printf("names:          %s\n",
	       pn ? "plaintext" : "encrypted (AES-256-SIV, per-directory IV)");
	printf("kdf:            %s (memory %u MiB%s, time %u, lanes %u)\n", keys_kdf_name(vi->kdf),
	       vi->kdf_memory_kib / 1024, vi->kdf_memory_kib % 1024 ? " (rounded down)" : "",
	       vi->kdf_time, vi->kdf_lanes);
	printf("block size:     %u bytes\n", vi->block_size);
	printf("features:       %s\n", pn ? "plaintext-names" : "none");
	printf("vault id:       %s\n", id);
}

int cmd_info_main(int argc, char **argv)
{
	struct vault_info vi;
	char id[2 * VAULT_ID_LEN + 1];
	struct cli_smb smb = { NULL, NULL };
	char *public = NULL;
	const char *dir;
	bool json = false;
	int c, r;

	opterr = 0;
	if ((r = cli_check_single_dash("info", argc, argv, info_options, ":h")) != 0)
		return r;
	while ((c = getopt_long(argc, argv, ":h", info_options, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(info_help, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error("info", c, optopt, argv, optind);
		}
	}
	if ((r = cli_one_cipherdir("info", argc, optind)) != 0)
		return r;
	if ((r = cli_smb_prepare("info", argv[optind], &smb, &public)) != 0)
		return r;
	dir = public ? public : argv[optind];
	r = vault_admin_info(dir, &vi);
	if (r < 0) {
		r = cli_vault_error("cannot read vault", dir, r);
		goto out;
	}
	hex(vi.vault_id, sizeof(vi.vault_id), id);
	if (json)
		print_json(&vi, id);
	else
		print_text(dir, &vi, id);
	r = CLI_EXIT_OK;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write to standard output");
		r = CLI_EXIT_ERROR;
	}
out:
	free(public);
	return r;
}
