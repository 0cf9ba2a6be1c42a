/*
 * veilfs mkdir: create directories in a vault, without a mount (cli/offline.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/offline.h"

static const char mkdir_help[] =
	"usage: " CLI_PROG " mkdir [OPTIONS] [-p] CIPHERDIR PATH...\n"
	"\n"
	"Create the directories PATH in the vault in CIPHERDIR, without a mount (mode 0777\n"
	"less the umask). Safe beside live shared mounts of CIPHERDIR: it takes their\n"
	"cross-client locks.\n"
	"\n"
	"options:\n"
	"  -p, --parents    create missing parent directories too; an existing directory\n"
	"                   is no error\n" OFFLINE_OPTIONS_HELP "\n" OFFLINE_EXIT_HELP;

static const struct option mkdir_options[] = {
	OFFLINE_LONGOPTS,
	{ "parents", no_argument, NULL, 'p' },
	{ NULL, 0, NULL, 0 },
};

static int make_one(struct offline *o, const char *path, bool parents)
{
	struct offline_path p;
	struct vnode *dir = NULL, *n;
	struct stat st;
	size_t i;
	int r;

	if ((r = offline_path_split(o, path, &p)) != 0)
		return r;
	if (p.n == 0 && !parents) {
		r = offline_error(o, "cannot create directory", path, -EEXIST);
		goto out;
	}
	if ((r = offline_walk(o, &p, parents ? 0 : p.n - 1, &dir, &st)) < 0)
		goto fail;
	for (i = parents ? 0 : p.n - 1; i < p.n; i++) {
		r = vault_mkdir(o->v, dir, p.comp[i], S_IFDIR | offline_new_mode(0777), &o->who, &n, &st);
		if (r == -EEXIST && parents)
			r = vault_lookup(o->v, dir, p.comp[i], &n, &st);
		if (r < 0)
			goto fail;
		vnode_unref(o->v, dir);
		dir = n;
		if (vnode_type(dir) != S_IFDIR) {
			r = -ENOTDIR;
			goto fail;
		}
	}
	r = 0;
	goto out;
fail:
	r = offline_error(o, "cannot create directory", path, r);
out:
	if (dir)
		vnode_unref(o->v, dir);
	offline_path_release(&p);
	return r;
}

int cmd_mkdir_main(int argc, char **argv)
{
	struct offline_args a;
	struct offline o;
	bool parents = false;
	int c, r, i, status = CLI_EXIT_OK;

	offline_args_init(&a);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hvp", mkdir_options, NULL)) != -1) {
		if (c == 'h') {
			fputs(mkdir_help, stdout);
			return CLI_EXIT_OK;
		}
		if (c == 'p') {
			parents = true;
			continue;
		}
		if ((r = offline_option("mkdir", &a, c, optarg)) != 0)
			return r < 0 ? cli_option_error("mkdir", c, optopt, argv, optind) : r;
	}
	if ((r = offline_operands("mkdir", argc, optind, 2, argc, "CIPHERDIR and PATH...")))
		return r;
	if ((r = offline_open(&o, "mkdir", argv[optind], &a, true)) == 0) {
		for (i = optind + 1; i < argc; i++)
			if ((r = make_one(&o, argv[i], parents)) != 0 && status == CLI_EXIT_OK)
				status = r;
		r = status;
	}
	offline_close(&o);
	return r;
}
