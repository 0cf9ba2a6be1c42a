/*
 * Shared CLI helpers: messages on stderr, exit-code translation and number parsing.
 * Owns the mapping from core -errno codes to the exit statuses of docs/CLI.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/log.h"
#include "cli/auth.h"
#include "cli/cli.h"
#include "keys/keys.h"
#include "keys/params.h"
#include "vault/admin.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs(CLI_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, CLI_PROG " %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" CLI_PROG " %s --help'.\n", cmd);
	return CLI_EXIT_USAGE;
}

int cli_one_cipherdir(const char *cmd, int argc, int optind_value)
{
	if (argc - optind_value == 1)
		return 0;
	return cli_usage_error(cmd, argc == optind_value ? "missing CIPHERDIR"
							 : "too many arguments");
}

/* The KDF cost of dir's config is above the limit: say both, and how to allow it. */
int cli_check_cipher(const char *what, const char *dir, unsigned cipher)
{
	if (keys_cipher_supported(cipher))
		return 0;
	cli_error("%s '%s': cipher %s is not supported by this build (docs/WINDOWS.md)", what,
		  dir, keys_cipher_name(cipher));
	return CLI_EXIT_NOT_VAULT;
}

static void kdf_limit_error(const char *what, const char *dir)
{
	struct vault_info info;
	uint32_t mem, time;

	keys_get_kdf_limit(&mem, &time);
	if (vault_admin_info(dir, &info) < 0) {
		cli_error("%s '%s': veilfs.conf asks for a KDF cost above the limit of %u MiB and "
			  "%u passes", what, dir, mem / 1024, time);
		return;
	}
	cli_error("%s '%s': veilfs.conf asks for Argon2id with %u MiB and %u passes, above the "
		  "limit of %u MiB and %u passes; refused before running it (a tampered config "
		  "could make every unlock take minutes and gigabytes). If this vault was made "
		  "so costly on purpose, allow it with " CLI_KDF_LIMIT_ENV "=%u,%u",
		  what, dir, info.kdf_memory_kib / 1024, info.kdf_time, mem / 1024, time,
		  (info.kdf_memory_kib + 1023) / 1024, info.kdf_time);
}

int cli_kdf_limit_from_env(void)
{
	const char *e = getenv(CLI_KDF_LIMIT_ENV), *comma;
	char mem[16];
	uint32_t mib, time;
	size_t n;

	if (!e)
		return 0;
	comma = strchr(e, ',');
	n = comma ? (size_t)(comma - e) : 0;
	if (!comma || n == 0 || n >= sizeof(mem)) {
		cli_error(CLI_KDF_LIMIT_ENV "='%s' is not MIB,PASSES (e.g. 4096,64)", e);
		return CLI_EXIT_USAGE;
	}
	memcpy(mem, e, n);
	mem[n] = '\0';
	if (!cli_parse_u32(mem, 8, 4096, &mib) || !cli_parse_u32(comma + 1, 1, 64, &time)) {
		cli_error(CLI_KDF_LIMIT_ENV "='%s': MIB must be 8 ... 4096 and PASSES 1 ... 64", e);
		return CLI_EXIT_USAGE;
	}
	keys_set_kdf_limit(mib * 1024, time);
	return 0;
}

static bool tpm_used, tpm_unlocks;

void cli_note_tpm_auth(bool unlock)
{
	tpm_used = true;
	tpm_unlocks = tpm_unlocks || unlock;
}

int cli_vault_error(const char *what, const char *dir, int err)
{
	struct stat st;

	if (tpm_unlocks && err == -EPERM) {
		cli_error("%s '%s': the TPM at '%s' unseals none of its TPM slots (a different "
			  "or cleared TPM, a damaged slot, or no TPM slot)", what, dir,
			  auth_tpm_tcti());
		return CLI_EXIT_WRONG_PASSWORD;
	}
	if (tpm_used && err == -ENODEV) {
		cli_error("%s '%s': no TPM answers at '%s' (set TPM2TOOLS_TCTI to reach "
			  "another one)", what, dir, auth_tpm_tcti());
		return CLI_EXIT_ERROR;
	}
	switch (-err) {
	case EPERM:
		cli_error("wrong password for '%s'", dir);
		return CLI_EXIT_WRONG_PASSWORD;
	case EPROTO:
		cli_error("%s '%s': veilfs.conf is malformed or of an unsupported version", what,
			  dir);
		return CLI_EXIT_NOT_VAULT;
	case EOVERFLOW:
		kdf_limit_error(what, dir);
		return CLI_EXIT_NOT_VAULT;
	case EOPNOTSUPP:
		if (keys_epochs_supported())
			break;
		cli_error("%s '%s': its content key was rotated ('veilfs key revoke': key epoch 1 "
			  "or later), which this build cannot open (docs/WINDOWS.md)", what, dir);
		return CLI_EXIT_NOT_VAULT;
	case ENOENT:
	case ENOTDIR:
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			cli_error("%s '%s': not a veilfs vault (no veilfs.conf)", what, dir);
		else
			cli_error("%s '%s': %s", what, dir, strerror(-err));
		return CLI_EXIT_NOT_VAULT;
	default:
		break;
	}
	cli_error("%s '%s': %s", what, dir, strerror(err < 0 ? -err : EIO));
	return CLI_EXIT_ERROR;
}

int cli_option_error(const char *cmd, int c, int optopt_value, char **argv, int optind_value)
{
	const char *arg = optind_value > 0 ? argv[optind_value - 1] : "";

	if (c == ':')
		return cli_usage_error(cmd, "option '%s' needs an argument", arg);
	if (optopt_value > 0 && optopt_value < 256 && arg[0] == '-' && arg[1] != '-')
		return cli_usage_error(cmd, "unknown option '-%c'", optopt_value);
	return cli_usage_error(cmd, "unknown option '%s'", arg);
}

/*
 * gocryptfs options whose veilfs spelling differs (README, "Coming from gocryptfs"). The
 * ones with the same name (passfile, extpass, ro, debug, ...) are found in longopts.
 */
static const struct {
	const char *gocryptfs;
	const char *veilfs;
} gocryptfs_names[] = {
	{ "allow_other", "-o allow_other" },
	{ "nonempty", "-o nonempty" },
	{ "fg", "-f" },
	{ "ko", "-o" },
	{ "sharedstorage", "--shared=auto" },
	{ "plaintextnames", "--plaintext-names" },
	{ "xchacha", "--cipher xchacha20-poly1305" },
	{ "nosyslog", "-f or --log FILE" },
	{ "kernel_cache", "(the default without --shared)" },
	{ "init", "'" CLI_PROG " init'" },
	{ "passwd", "'" CLI_PROG " passwd'" },
	{ "info", "'" CLI_PROG " info'" },
	{ "fsck", "'" CLI_PROG " fsck'" },
	{ "version", "'" CLI_PROG " --version'" },
};

const char *cli_gocryptfs_hint(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(gocryptfs_names) / sizeof(gocryptfs_names[0]); i++)
		if (strlen(gocryptfs_names[i].gocryptfs) == len &&
		    !strncmp(gocryptfs_names[i].gocryptfs, name, len))
			return gocryptfs_names[i].veilfs;
	return NULL;
}

static const struct option *find_long(const struct option *longopts, const char *name, size_t len)
{
	for (; longopts->name; longopts++)
		if (strlen(longopts->name) == len && !strncmp(longopts->name, name, len))
			return longopts;
	return NULL;
}

int cli_check_single_dash(const char *cmd, int argc, char **argv, const struct option *longopts,
			  const char *shortopts)
{
	const struct option *o;
	const char *a, *hint, *s;
	size_t len;
	int i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (!strcmp(a, "--"))
			break;
		if (a[0] != '-' || a[1] == '\0')
			continue;
		if (a[1] == '-') {
			len = strcspn(a + 2, "=");
			o = find_long(longopts, a + 2, len);
			if (o && o->has_arg == required_argument && !a[2 + len])
				i++; /* its value may start with '-' */
			continue;
		}
		len = strcspn(a + 1, "=");
		if (len > 1 && (o = find_long(longopts, a + 1, len)))
			return cli_usage_error(cmd, "unknown option '%s' (did you mean --%s?)", a,
					       o->name);
		if (len > 1 && (hint = cli_gocryptfs_hint(a + 1, len)))
			return cli_usage_error(cmd, "unknown option '%s' (did you mean %s?)", a,
					       hint);
		s = strchr(shortopts, a[1]);
		if (s && a[1] != ':' && s[1] == ':' && !a[2])
			i++;
	}
	return 0;
}

bool cli_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end = NULL;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static void cli_log_sink(enum log_level level, const char *msg)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	fprintf(stderr, CLI_PROG ": %s: %s\n", names[level], msg);
}

void cli_log_init(bool verbose)
{
	log_set_sink(cli_log_sink, verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
}

void cli_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}
