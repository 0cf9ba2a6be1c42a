/*
 * veilfs get: copy the plaintext of one file of a vault to a local file, without a mount
 * (cli/offline.h), streamed in constant memory. A local file this command created is
 * removed again when the copy fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/offline.h"

static const char get_help[] =
	"usage: " CLI_PROG " get [OPTIONS] CIPHERDIR PATH LOCALFILE\n"
	"\n"
	"Copy the plaintext of the file PATH of the vault in CIPHERDIR to LOCALFILE, without\n"
	"a mount. A new LOCALFILE gets the mode of PATH (less the umask); an existing one is\n"
	"overwritten and keeps its mode. When LOCALFILE is a directory, the copy goes into\n"
	"it under the last name of PATH; '-' is standard output. PATH is relative to the\n"
	"vault's root; symlinks are not followed. Safe beside live shared\n"	"mounts of CIPHERDIR: it takes their cross-client locks.\n"
	"\n"
	"options:\n" OFFLINE_OPTIONS_HELP "\n" OFFLINE_EXIT_HELP;

static const struct option get_options[] = { OFFLINE_LONGOPTS, { NULL, 0, NULL, 0 } };

/* The local file to write: LOCALFILE, or LOCALFILE/NAME when it is a directory. */
static char *local_target(const char *local, const struct offline_path *p)
{
	struct stat st;
	char *out;
	size_t len;

	if (stat(local, &st) != 0 || !S_ISDIR(st.st_mode) || p->n == 0)
		return strdup(local);
	len = strlen(local) + strlen(p->comp[p->n - 1]) + 2;
	if ((out = malloc(len)))
		snprintf(out, len, "%s/%s", local, p->comp[p->n - 1]);
	return out;
}

/*
 * Open the target: created with mode (less the umask, as cp does) and *created set, or an
 * existing file truncated (its mode kept). fd or -errno.
 */
static int open_local(const char *path, mode_t mode, bool *created)
{
	int fd;

	*created = false;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, mode);
	if (fd >= 0) {
		*created = true;
		return fd;
	}
	if (errno != EEXIST)
		return -errno;
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	return fd >= 0 ? fd : -errno;
}

/*
 * Copies n to fd (closed here unless it is standard output); on failure says why and
 * removes a local file it created. Returns CLI_EXIT_OK or CLI_EXIT_ERROR.
 */
static int get_copy(struct offline *o, struct vnode *n, int fd, bool to_stdout,
		    const char *target, bool created, const char *path)
{
	bool fd_err = false;
	int r;

	offline_catch_signals(); /* from here a signal removes a created local file */
	r = offline_copy_out(o, n, fd, &fd_err);
	if (!to_stdout && close(fd) != 0 && r == 0) {
		fd_err = true;
		r = -errno;
	}
	if (r == 0)
		return CLI_EXIT_OK;
	if (offline_interrupted())
		cli_error("interrupted: '%s' not copied", path);
	else if (fd_err)
		cli_error("cannot write '%s': %s", to_stdout ? "standard output" : target,
			  strerror(-r));
	else
		(void)offline_error(o, "cannot read", path, r); /* the exit status is ours */
	if (created && unlink(target) != 0)
		cli_error("cannot remove the partial copy '%s': %s", target, strerror(errno));
	return CLI_EXIT_ERROR;
}

int cmd_get_main(int argc, char **argv)
{
	struct offline_args a;
	struct offline o;
	struct offline_path p = { 0 };
	struct vnode *n = NULL;
	struct stat st;
	char *target = NULL;
	bool created = false, to_stdout;
	int c, r, fd;

	offline_args_init(&a);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hv", get_options, NULL)) != -1) {
		if (c == 'h') {
			fputs(get_help, stdout);
			return CLI_EXIT_OK;
		}
		if ((r = offline_option("get", &a, c, optarg)) != 0)
			return r < 0 ? cli_option_error("get", c, optopt, argv, optind) : r;
	}
	if ((r = offline_operands("get", argc, optind, 3, 3, "CIPHERDIR, PATH and LOCALFILE")))
		return r;
	to_stdout = !strcmp(argv[optind + 2], "-");
	if ((r = offline_open(&o, "get", argv[optind], &a, false)) != 0)
		goto out;
	if ((r = offline_find_file(&o, argv[optind + 1], &p, &n, &st)) != 0)
		goto out;
	if (to_stdout) {
		fd = STDOUT_FILENO;
	} else {
		if (!(target = local_target(argv[optind + 2], &p))) {
			cli_error("out of memory");
			r = CLI_EXIT_ERROR;
			goto out;
		}
		if ((fd = open_local(target, st.st_mode & 0777, &created)) < 0) {
			cli_error("cannot open '%s' for writing: %s", target, strerror(-fd));
			r = CLI_EXIT_ERROR;
			goto out;
		}
	}
	r = get_copy(&o, n, fd, to_stdout, target, created, argv[optind + 1]);
out:
	if (n)
		vnode_unref(o.v, n);
	offline_path_release(&p);
	offline_close(&o);
	free(target);
	return r;
}
