/*
 * veilfs cat: the plaintext of one file of a vault on standard output, without a mount
 * (cli/offline.h), streamed in constant memory.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/offline.h"

static const char cat_help[] =
	"usage: " CLI_PROG " cat [OPTIONS] CIPHERDIR PATH\n"
	"\n"
	"Write the plaintext of the file PATH of the vault in CIPHERDIR to standard output,\n"
	"without a mount. PATH is relative to the vault's root; symlinks are not followed.\n"
	"Safe beside live shared mounts of CIPHERDIR: it takes their cross-client locks.\n"
	"\n"
	"options:\n" OFFLINE_OPTIONS_HELP "\n" OFFLINE_EXIT_HELP;

static const struct option cat_options[] = { OFFLINE_LONGOPTS, { NULL, 0, NULL, 0 } };

int cmd_cat_main(int argc, char **argv)
{
	struct offline_args a;
	struct offline o;
	struct offline_path p = { 0 };
	struct vnode *n = NULL;
	struct stat st;
	bool fd_err;
	int c, r;

	offline_args_init(&a);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hv", cat_options, NULL)) != -1) {
		if (c == 'h') {
			fputs(cat_help, stdout);
			return CLI_EXIT_OK;
		}
		if ((r = offline_option("cat", &a, c, optarg)) != 0)
			return r < 0 ? cli_option_error("cat", c, optopt, argv, optind) : r;
	}
	if ((r = offline_operands("cat", argc, optind, 2, 2, "CIPHERDIR and PATH")) != 0)
		return r;
	if ((r = offline_open(&o, "cat", argv[optind], &a, false)) != 0)
		goto out;
	if ((r = offline_find_file(&o, argv[optind + 1], &p, &n, &st)) != 0)
		goto out;
	if ((r = offline_copy_out(&o, n, STDOUT_FILENO, &fd_err)) < 0) {
		if (fd_err) {
			cli_error("cannot write to standard output: %s", strerror(-r));
			r = CLI_EXIT_ERROR;
		} else {
			r = offline_error(&o, "cannot read", argv[optind + 1], r);
		}
		goto out;
	}
	r = CLI_EXIT_OK;
out:
	if (n)
		vnode_unref(o.v, n);
	offline_path_release(&p);
	offline_close(&o);
	return r;
}
