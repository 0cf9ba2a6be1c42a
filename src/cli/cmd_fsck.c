/*
 * veilfs fsck: check every name, file, block, symlink and attribute of a vault offline
 * (src/fsck/ does the checking). Owns the options, reading the password, the text and
 * JSON output of findings and the exit status (docs/FSCK.md), and for --repair the refusal
 * while any mount of the vault is registered. Nothing here decides what is a problem or
 * what can be repaired (src/fsck/repair.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/escape.h"
#include "cli/registry_platform.h"
#include "cli/commands.h"
#include "cli/auth.h"
#include "cli/password.h"
#include "cli/progress.h"
#include "cli/smb_args.h"
#include "vault/admin.h"
#include "fsck/fsck.h"

/* Exit status for "the check ran and found problems" (fsck only; docs/FSCK.md). */
enum { FSCK_EXIT_PROBLEMS = 5 };

static const char fsck_help[] =
	"usage: " CLI_PROG " fsck [--passfile F | --extpass CMD | --keyfile F | --recovery-key F |\n"
	"                   --tpm]\n"
	"                   [--json] [--repair | --repair-nothing] [--force] CIPHERDIR\n"
	"\n"
	"Check the vault in CIPHERDIR offline: the config and password, every directory IV,\n"
	"every encrypted name (and long-name side file), the size, header and every block of\n"
	"every file, every symlink target and every veilfs extended attribute. Without\n"
	"--repair nothing is modified. Unmount the vault first: files being written can look\n"
	"damaged.\n"
	"\n"
	"Each problem is printed with its lower path (relative to CIPHERDIR) and, where the\n"
	"names decrypt, its plaintext path: the output is for the owner of the password.\n"
	"\n"
	"options:\n"
	"  --passfile F       read the password from the first line of file F\n"
	"  --extpass CMD      read the password from the output of '/bin/sh -c CMD'\n"
	"  --keyfile F        unlock with the key file F (a key-file slot)\n"
	"  --recovery-key F   unlock with the recovery key written in file F\n"
	"  --tpm              unlock with a TPM slot, unsealed by this machine's TPM\n"
	"                     (TCTI from TPM2TOOLS_TCTI; default device:/dev/tpmrm0)\n"
	"                     Without either, it is asked on the terminal, or read from\n"
	"                     standard input when that is not a terminal.\n"
	"  --json             print one JSON object (findings and counts) on stdout\n"
	"  --repair           repair what a crash provably left: stray temp files, orphan\n"
	"                     side files and symlink blobs, an empty directory without IV,\n"
	"                     a block an interrupted append left sealed as the last one,\n"
	"                     a last block a crash cut in a truncate (from its copy);\n"
	"                     each repair is printed with its finding. Refused while a\n"
	"                     mount of the vault is registered (veilfs status) or mounted\n"
	"  --repair-nothing   state that nothing may be changed (the default; refused\n"
	"                     together with --repair)\n"
	"  --force            check even while the vault is mounted here (a veilfs mount\n"
	"                     of CIPHERDIR in /proc/self/mountinfo is refused otherwise);\n"
	"                     not with --repair\n"
	"  -h, --help         show this help\n"
	"\n"
	"exit status: 0 no problem, 1 wrong password, 2 usage error, 3 not a vault or\n"
	"malformed veilfs.conf, 4 I/O error (the check is incomplete; takes precedence),\n"
	"5 problems found (with --repair: problems left unrepaired), 6 (--repair) a mount of\n"
	"the vault is registered. See docs/FSCK.md.\n";

enum {
	OPT_JSON = AUTH_OPT_NEXT, /* the AUTH options: cli/auth.h */
	OPT_REPAIR,
	OPT_REPAIR_NOTHING,
	OPT_FORCE,
};

static const struct option fsck_options[] = {
	AUTH_PASSWORD_LONGOPTS,
	AUTH_KEY_LONGOPTS,
	{ "json", no_argument, NULL, OPT_JSON },
	{ "repair", no_argument, NULL, OPT_REPAIR },
	{ "repair-nothing", no_argument, NULL, OPT_REPAIR_NOTHING },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Output state shared with the finding callback. */
struct out {
	bool json;
	bool repair;
	bool opened; /* JSON: the object and the findings array have been started */
	unsigned nfindings;
	const char *dir;
};

static void json_open(struct out *o)
{
	if (o->opened)
		return;
	o->opened = true;
	fputs("{\n  \"cipherdir\": ", stdout);
	escape_json(o->dir);
	fputs(",\n  \"findings\": [", stdout);
}

static void report_json(struct out *o, const struct fsck_finding *f)
{
	json_open(o);
	printf("%s\n    {\"kind\": \"%s\", \"lower_path\": ", o->nfindings ? "," : "",
	       fsck_kind_name(f->kind));
	escape_json(f->lower_path);
	fputs(", \"plain_path\": ", stdout);
	if (f->plain_path)
		escape_json(f->plain_path);
	else
		fputs("null", stdout);
	if (f->block != FSCK_NO_BLOCK)
		printf(", \"block\": %" PRIu64, f->block);
	else
		fputs(", \"block\": null", stdout);
	fputs(", \"xattr\": ", stdout);
	if (f->xattr)
		escape_json(f->xattr);
	else
		fputs("null", stdout);
	fputs(", \"reason\": ", stdout);
	escape_json(f->reason);
	fputs(", \"error\": ", stdout);
	if (f->err)
		escape_json(strerror(-f->err));
	else
		fputs("null", stdout);
	fputs(", \"repaired\": ", stdout);
	if (f->repaired)
		escape_json(f->repaired);
	else
		fputs("null", stdout);
	fputs("}", stdout);
}

static void report_text(const struct fsck_finding *f)
{
	printf("%s: ", fsck_kind_name(f->kind));
	escape_text_quoted(f->lower_path);
	if (f->plain_path) {
		fputs(" = ", stdout);
		escape_text_quoted(f->plain_path);
	}
	if (f->block != FSCK_NO_BLOCK)
		printf(", block %" PRIu64, f->block);
	if (f->xattr) {
		fputs(", attribute ", stdout);
		escape_text_quoted(f->xattr);
	}
	printf(": %s", f->reason);
	if (f->err)
		printf(": %s", strerror(-f->err));
	if (f->repaired)
		printf(" [repaired: %s]", f->repaired);
	putchar('\n');
}

static void on_finding(void *arg, const struct fsck_finding *f)
{
	struct out *o = arg;

	if (o->json)
		report_json(o, f);
	else
		report_text(f);
	o->nfindings++;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_summary(struct out *o, const struct fsck_counts *n)
{
	if (o->json) {
		json_open(o);
		printf("%s],\n  \"counts\": {\"dirs\": %" PRIu64 ", \"files\": %" PRIu64
		       ", \"symlinks\": %" PRIu64 ", \"others\": %" PRIu64 ", \"names\": %" PRIu64
		       ", \"blocks\": %" PRIu64 ", \"holes\": %" PRIu64 ", \"xattrs\": %" PRIu64
		       "},\n  \"problems\": %" PRIu64 ",\n  \"repaired\": %" PRIu64
		       ",\n  \"io_errors\": %" PRIu64 ",\n  \"clean\": %s\n}\n",
		       o->nfindings ? "\n  " : "", n->dirs, n->files, n->symlinks, n->others,
		       n->names, n->blocks, n->holes, n->xattrs, n->problems, n->repaired,
		       n->io_errors, n->problems || n->io_errors ? "false" : "true");
		return;
	}
	printf("checked %" PRIu64 " %s, %" PRIu64 " %s, %" PRIu64 " %s, %" PRIu64 " %s, %" PRIu64
	       " %s (%" PRIu64 " %s), %" PRIu64 " %s\n",
	       n->dirs, plural(n->dirs, "directory", "directories"), n->files,
	       plural(n->files, "file", "files"), n->symlinks,
	       plural(n->symlinks, "symlink", "symlinks"), n->others,
	       plural(n->others, "other", "others"), n->blocks,
	       plural(n->blocks, "block", "blocks"), n->holes, plural(n->holes, "hole", "holes"),
	       n->xattrs, plural(n->xattrs, "attribute", "attributes"));
	printf("%" PRIu64 " %s, %" PRIu64 " I/O %s\n", n->problems,
	       plural(n->problems, "problem", "problems"), n->io_errors,
	       plural(n->io_errors, "error", "errors"));
	if (o->repair)
		printf("%" PRIu64 " of the problems repaired\n", n->repaired);
}

/* The mount registry is not damage: one note line on stderr when it is not empty. */
static void report_mounts(const char *dir)
{
	int live = 0, stale = 0;

	if (registry_count(dir, &live, &stale) < 0 || (live == 0 && stale == 0))
		return;
	fprintf(stderr,
		CLI_PROG " fsck: note: %d live and %d stale mount registrations in '%s' "
		"(veilfs status); a live mount may change files while fsck reads them, a stale "
		"one is removed by the next mount\n",
		live, stale, dir);
}

/* Undo the octal escapes (\040 for a space) of a /proc/self/mountinfo field, in place. */
static void unescape_field(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/*
 * The mount point of a veilfs mount of dir in this mount namespace (malloc'd), or NULL:
 * a line of /proc/self/mountinfo of type fuse.veilfs whose source is dir's real path
 * (veilfs mount sets fsname to it).
 */
static char *mounted_at(const char *dir)
{
	char line[8192], mnt[4096], type[64], source[4096], *sep, *real, *found = NULL;
	FILE *f;

	if (!(real = realpath(dir, NULL)))
		return NULL;
	if (!(f = fopen("/proc/self/mountinfo", "re"))) {
		free(real);
		return NULL;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (!(sep = strstr(line, " - ")) ||
		    sscanf(sep + 3, "%63s %4095s", type, source) != 2)
			continue;
		unescape_field(source);
		unescape_field(mnt);
		if (!strcmp(type, "fuse.veilfs") && !strcmp(source, real))
			found = strdup(mnt);
	}
	fclose(f);
	free(real);
	return found;
}

/*
 * --repair only when no mount of the vault can be running: none in this mount namespace
 * and no live registration (any host) in the registry. CLI_EXIT_OK, or the exit status.
 */
static int repair_allowed(const char *dir)
{
	int live = 0, stale = 0, r;
	char *mnt;

	if ((mnt = mounted_at(dir))) {
		cli_error("'%s' is mounted at '%s': unmount it before --repair", dir, mnt);
		free(mnt);
		return CLI_EXIT_BUSY;
	}
	if ((r = registry_count(dir, &live, &stale)) < 0) {
		cli_error("cannot read the mount registry of '%s': %s; not repairing", dir,
			  strerror(-r));
		return CLI_EXIT_ERROR;
	}
	if (live > 0) {
		cli_error("'%s' has %d live mount registration%s (veilfs status): unmount "
			  "before --repair",
			  dir, live, live == 1 ? "" : "s");
		return CLI_EXIT_BUSY;
	}
	return CLI_EXIT_OK;
}

static int fsck_dir(struct out *o, const struct password_source *src, bool force)
{
	const struct fsck_options opts = { .repair = o->repair };
	struct password pw = { NULL, 0 };
	struct fsck_counts counts;
	struct vault_info vi;
	char *mnt;
	int r;

	/* A missing or malformed vault is reported before any password is asked for. */
	if ((r = vault_admin_info(o->dir, &vi)) < 0)
		return cli_vault_error("cannot check vault", o->dir, r);
	if ((r = cli_check_cipher("cannot check vault", o->dir, vi.cipher)) != 0)
		return r;
	if (o->repair && (r = repair_allowed(o->dir)) != CLI_EXIT_OK)
		return r;
	if (!force && (mnt = mounted_at(o->dir))) {
		cli_error("'%s' is mounted at '%s': unmount it first, or --force (files being "
			  "written can look damaged)",
			  o->dir, mnt);
		free(mnt);
		return CLI_EXIT_ERROR;
	}
	if ((r = password_read(src, "Password: ", false, &pw)) != 0)
		return r;
	progress_kdf_begin("unlocking", vi.kdf_memory_kib, vi.kdf_time);
	r = fsck_run_opts(o->dir, pw.data, pw.len, &opts, on_finding, o, &counts);
	progress_end();
	password_free(&pw);
	if (r < 0) {
		/* Unlocking failed before the walk: no finding was printed. */
		return cli_vault_error("cannot check vault", o->dir, r);
	}
	print_summary(o, &counts);
	report_mounts(o->dir);
	if (fflush(stdout) != 0) {
		cli_error("cannot write the report: %s", strerror(errno));
		return CLI_EXIT_ERROR;
	}
	if (counts.io_errors)
		return CLI_EXIT_ERROR;
	return counts.problems > counts.repaired ? FSCK_EXIT_PROBLEMS : CLI_EXIT_OK;
}

int cmd_fsck_main(int argc, char **argv)
{
	struct password_source src = { 0 };
	struct cli_smb smb = { NULL, NULL };
	char *public = NULL;
	struct out o;
	bool force = false, repair_nothing = false;
	int c, r;

	memset(&o, 0, sizeof(o));
	opterr = 0;
	if ((r = cli_check_single_dash("fsck", argc, argv, fsck_options, ":h")) != 0)
		return r;
	while ((c = getopt_long(argc, argv, ":h", fsck_options, NULL)) != -1) {
		if (auth_option(&src, c, optarg))
			continue;
		switch (c) {
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_REPAIR:
			o.repair = true;
			break;
		case OPT_REPAIR_NOTHING:
			repair_nothing = true;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case 'h':
			fputs(fsck_help, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error("fsck", c, optopt, argv, optind);
		}
	}
	if ((r = cli_one_cipherdir("fsck", argc, optind)) != 0)
		return r;
	if (o.repair && repair_nothing)
		return cli_usage_error("fsck", "--repair and --repair-nothing exclude each other");
	if (o.repair && force)
		return cli_usage_error("fsck", "--repair is never forced onto a mounted vault");
	if (auth_source_count(&src) > 1)
		return cli_usage_error("fsck", "give one of --passfile, --extpass, --keyfile, "
					       "--recovery-key and --tpm");
	/* an smb:// URL: checked without its user part (no password in any message) */
	if ((r = cli_smb_prepare("fsck", argv[optind], &smb, &public)) != 0)
		return r;
	o.dir = public ? public : argv[optind];
	r = fsck_dir(&o, &src, force);
	free(public);
	return r;
}
