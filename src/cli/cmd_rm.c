/*
 * veilfs rm: remove files (or, with -r, whole trees) of a vault, without a mount
 * (cli/offline.h). A tree is removed depth first, each directory from one snapshot of
 * its listing; the depth is bounded so that a planted deep tree cannot exhaust the stack.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/offline.h"

enum { RM_DEPTH_MAX = 512 };

static const char rm_help[] =
	"usage: " CLI_PROG " rm [OPTIONS] [-r] CIPHERDIR PATH...\n"
	"\n"
	"Remove the files PATH of the vault in CIPHERDIR, without a mount. A directory needs\n"
	"-r, which removes it with everything below it (symlinks are removed, not followed).\n"
	"The root of the vault cannot be removed. Safe beside live shared mounts of\n"
	"CIPHERDIR: it takes their cross-client locks.\n"
	"\n"
	"options:\n"
	"  -r, --recursive  remove directories and their contents\n" OFFLINE_OPTIONS_HELP
	"\n" OFFLINE_EXIT_HELP;

static const struct option rm_options[] = {
	OFFLINE_LONGOPTS,
	{ "recursive", no_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 },
};

static const struct offline_cmd rm_cmd = { "rm", ":hvr", rm_options, rm_help };

/* Empty the directory d (depth levels below the first); 0 or -errno. */
static int remove_below(struct offline *o, struct vnode *d, unsigned depth)
{
	struct vdir *list = NULL;
	struct vnode *child;
	struct stat st;
	const char *name;
	unsigned char type;
	uint64_t ino;
	size_t i;
	int r;

	if (depth > RM_DEPTH_MAX)
		return -ELOOP;
	if ((r = vault_opendir(o->v, d, &list)) < 0)
		return r;
	for (i = 0; vault_dir_entry(list, i, &name, &ino, &type); i++) {
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if ((r = vault_lookup(o->v, d, name, &child, &st)) < 0) {
			if (r == -ENOENT) /* removed by another client meanwhile */
				continue;
			break;
		}
		if (vnode_type(child) == S_IFDIR) {
			r = remove_below(o, child, depth + 1);
			if (r == 0)
				r = vault_rmdir(o->v, d, name);
		} else {
			r = vault_unlink(o->v, d, name);
		}
		vnode_unref(o->v, child);
		if (r == -ENOENT)
			r = 0;
		if (r < 0)
			break;
	}
	vault_closedir(list);
	return r;
}

static int remove_one(struct offline *o, const char *path, bool recursive)
{
	struct offline_path p;
	struct vnode *dir = NULL, *n = NULL;
	struct stat st;
	int r;

	if ((r = offline_path_split(o, path, &p)) != 0)
		return r;
	if (p.n == 0) {
		r = cli_usage_error(o->cmd, "refusing to remove the root of the vault");
		goto out;
	}
	if ((r = offline_walk(o, &p, p.n - 1, &dir, &st)) < 0 ||
	    (r = vault_lookup(o->v, dir, p.comp[p.n - 1], &n, &st)) < 0) {
		r = offline_error(o, "cannot remove", path, r);
		goto out;
	}
	if (vnode_type(n) == S_IFDIR) {
		if (!recursive) {
			cli_error("cannot remove '%s' in '%s': Is a directory (use -r)", path,
				  o->cipherdir);
			r = CLI_EXIT_ERROR;
			goto out;
		}
		r = remove_below(o, n, 1);
		if (r == 0)
			r = vault_rmdir(o->v, dir, p.comp[p.n - 1]);
	} else {
		r = vault_unlink(o->v, dir, p.comp[p.n - 1]);
	}
	if (r == -ELOOP) {
		cli_error("cannot remove '%s' in '%s': the tree is more than %d levels deep", path,
			  o->cipherdir, RM_DEPTH_MAX);
		r = CLI_EXIT_ERROR;
	} else if (r < 0) {
		r = offline_error(o, "cannot remove", path, r);
	}
out:
	if (n)
		vnode_unref(o->v, n);
	if (dir)
		vnode_unref(o->v, dir);
	offline_path_release(&p);
	return r;
}

int cmd_rm_main(int argc, char **argv)
{
	struct offline_args a;
	struct offline o;
	bool recursive = false;
	int c, r, i, status = CLI_EXIT_OK;

	offline_args_init(&a);
	while ((c = offline_next_option(&rm_cmd, &a, argc, argv, &r)) > 0) {
		if (c != 'r')
			return cli_option_error("rm", '?', optopt, argv, optind);
		recursive = true;
	}
	if (c < 0)
		return r;
	if ((r = offline_operands("rm", argc, optind, 2, argc, "CIPHERDIR and PATH...")) != 0)
		return r;
	if ((r = offline_open(&o, "rm", argv[optind], &a, true)) == 0) {
		for (i = optind + 1; i < argc; i++)
			if ((r = remove_one(&o, argv[i], recursive)) != 0 &&
			    status == CLI_EXIT_OK)
				status = r;
		r = status;
	}
	offline_close(&o);
	return r;
}
