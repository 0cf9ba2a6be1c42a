/*
 * veilfs rekey: re-encrypt every file of a vault still sealed under an older key epoch
 * (after `key revoke`), without a mount and beside live shared mounts (cli/offline.h;
 * docs/CLI.md "rekey"). The tree is walked depth first from one listing snapshot per
 * directory; each file is rewritten by vault_rekey_file() (new file beside it, the old one
 * marked, the new one renamed over it), so a kill leaves every file old, new, or old under
 * its mark, and a rerun goes on where it stopped (files at the current epoch are skipped,
 * a mark is cut off, temporary files a killed run left are removed). Files are looked up
 * with vault_rekey_lookup(), which lets a marked file through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/offline.h"

enum { REKEY_DEPTH_MAX = 512, REKEY_PROGRESS_EVERY = 100 };

static const char rekey_help[] =
	"usage: " CLI_PROG " rekey [OPTIONS] [--progress] CIPHERDIR\n"
	"\n"
	"Re-encrypt every file of the vault in CIPHERDIR that is still sealed under an older\n"
	"key epoch (files written before a '" CLI_PROG " key revoke') under the current one,\n"
	"so that a revoked member who can still read the share cannot read them with the keys\n"
	"they kept. Each file is written anew beside itself, the old one is marked (handles\n"
	"still open on it then fail with EIO) and the new one renamed over it: a kill leaves\n"
	"every file old or new, or at most one old file whole under its mark (EIO until the\n"
	"rerun), and a rerun takes the mark off and goes on. Safe beside live shared mounts of\n"
	"CIPHERDIR: it takes their cross-client locks. Hard-linked files are left alone and\n"
	"listed. Names, symlink targets and attributes are not re-encrypted.\n"
	"\n"
	"options:\n"
	"  --progress       print a line on stderr every 100 files\n" OFFLINE_OPTIONS_HELP
	"\n" OFFLINE_EXIT_HELP;

enum { OPT_PROGRESS = OFFLINE_OPT_NEXT };

static const struct option rekey_options[] = {
	OFFLINE_LONGOPTS,
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ NULL, 0, NULL, 0 },
};

static const struct offline_cmd rekey_cmd = { "rekey", ":hv", rekey_options, rekey_help };

struct rekey_run {
	struct offline *o;
	bool progress;
	unsigned long seen, done, resumed, linked, failed;
	unsigned cleaned;
};

static void note_progress(struct rekey_run *k)
{
	if (k->progress && k->seen % REKEY_PROGRESS_EVERY == 0)
		fprintf(stderr, CLI_PROG ": rekey: %lu files looked at, %lu re-encrypted\n", k->seen,
			k->done);
}

/* One regular file at path (for messages). */
static void rekey_one(struct rekey_run *k, struct vnode *n, const char *path)
{
	enum vault_rekey_result res = VAULT_REKEY_CURRENT;
	int r;

	k->seen++;
	if ((r = vault_open_file(k->o->v, n, O_RDWR)) == 0) {
		r = vault_rekey_file(k->o->v, n, &res);
		if (vault_release_file(k->o->v, n) < 0 && r == 0)
			r = -EIO;
	}
	if (r < 0) {
		k->failed++;
		(void)offline_error(k->o, "cannot re-encrypt", path, r);
	} else if (res == VAULT_REKEY_DONE || res == VAULT_REKEY_RESUMED) {
		k->done++;
		k->resumed += res == VAULT_REKEY_RESUMED;
	} else if (res == VAULT_REKEY_LINKED) {
		k->linked++;
		fprintf(stderr, CLI_PROG ": rekey: '%s' is hard-linked: left under its old key epoch\n",
			path);
	}
	note_progress(k);
}

static int rekey_dir(struct rekey_run *k, struct vnode *d, const char *path, unsigned depth)
{
	struct vdir *list = NULL;
	struct vnode *child;
	const char *name;
	unsigned char type;
	uint64_t ino;
	char *sub;
	size_t i;
	int r;

	if (depth > REKEY_DEPTH_MAX)
		return -ELOOP;
	if ((r = vault_rekey_clean(k->o->v, d, &k->cleaned)) < 0 ||
	    (r = vault_opendir(k->o->v, d, &list)) < 0)
		return r;
	for (i = 0; vault_dir_entry(list, i, &name, &ino, &type); i++) {
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if ((r = vault_rekey_lookup(k->o->v, d, name, &child)) < 0) {
			if (r == -ENOENT) /* removed by another client meanwhile */
				continue;
			break;
		}
		if (!(sub = malloc(strlen(path) + strlen(name) + 2))) {
			vnode_unref(k->o->v, child);
			r = -ENOMEM;
			break;
		}
		sprintf(sub, "%s/%s", path, name);
		r = 0;
		if (vnode_type(child) == S_IFDIR)
			r = rekey_dir(k, child, sub, depth + 1);
		else if (vnode_type(child) == S_IFREG)
			rekey_one(k, child, sub);
		free(sub);
		vnode_unref(k->o->v, child);
		if (r < 0)
			break;
	}
	vault_closedir(list);
	return r;
}

static int rekey_run(struct rekey_run *k)
{
	struct vnode *root = vault_root(k->o->v);
	int r = rekey_dir(k, root, "", 0);

	vnode_unref(k->o->v, root);
	if (r < 0)
		return offline_error(k->o, "cannot re-encrypt", "/", r);
	printf("rekey of '%s': %lu files re-encrypted under key epoch %u, %lu looked at", k->o->cipherdir,
	       k->done, (unsigned)vault_key_epoch(k->o->v), k->seen);
	if (k->linked)
		printf(", %lu hard-linked left under an older epoch", k->linked);
	if (k->resumed)
		printf(", %lu of them marked by an interrupted run and made whole first", k->resumed);
	if (k->cleaned)
		printf(", %u temporary files of an interrupted run removed", k->cleaned);
	printf("\n");
	return k->failed || k->linked ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}

int cmd_rekey_main(int argc, char **argv)
{
	struct rekey_run k;
	struct offline_args a;
	struct offline o;
	int c, r;

	memset(&k, 0, sizeof(k));
	offline_args_init(&a);
	while ((c = offline_next_option(&rekey_cmd, &a, argc, argv, &r)) > 0) {
		if (c != OPT_PROGRESS)
			return cli_option_error("rekey", '?', optopt, argv, optind);
		k.progress = true;
	}
	if (c < 0)
		return r;
	if ((r = offline_operands("rekey", argc, optind, 1, 1, "CIPHERDIR")) != 0)
		return r;
	if ((r = offline_open(&o, "rekey", argv[optind], &a, true)) == 0) {
		k.o = &o;
		r = rekey_run(&k);
	}
	offline_close(&o);
	return r;
}
