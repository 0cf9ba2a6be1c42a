/*
 * veilfs put: copy a local file into a vault, without a mount (cli/offline.h), streamed
 * in constant memory. The copy is written under a temporary name in the target directory,
 * synced, and renamed over PATH only when complete: readers through a mount see the old
 * file or the whole new one, never a part, and a failed put leaves PATH as it was.
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

static const char put_help[] =
	"usage: " CLI_PROG " put [OPTIONS] CIPHERDIR LOCALFILE PATH\n"
	"\n"
	"Copy LOCALFILE ('-': standard input, which then needs --passfile or --extpass)\n"
	"into the vault in CIPHERDIR as PATH, without a mount. When PATH is a directory of\n"
	"the vault, the copy goes into it under the last name of LOCALFILE. An existing file\n"
	"PATH is replaced at once when the copy is complete (written under a temporary name\n"
	"'.NAME.veilfs-put-PID' in the same directory, then renamed over it); its mode is\n"
	"LOCALFILE's (less the umask). Safe beside live shared mounts of CIPHERDIR: it\n"
	"takes their cross-client locks.\n"
	"\n"
	"options:\n" OFFLINE_OPTIONS_HELP "\n" OFFLINE_EXIT_HELP;

static const struct option put_options[] = { OFFLINE_LONGOPTS, { NULL, 0, NULL, 0 } };

/* Where the copy goes: the directory (new reference) and the name in it (owned). */
struct target {
	struct vnode *dir;
	char *name;
	char *tmp; /* the temporary name, owned */
};

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * PATH names an existing directory: into it as LOCALFILE's name; an existing file or
 * nothing: that name in PATH's parent directory. Returns 0 or an exit status (printed).
 */
static int find_target(struct offline *o, const struct offline_path *p, const char *path,
		       const char *local, struct target *t)
{
	struct stat st;
	struct vnode *n = NULL;
	const char *name;
	int r;

	r = offline_walk(o, p, p->n, &n, &st);
	if (r == 0 && vnode_type(n) == S_IFDIR) {
		name = base_name(local);
		if (!strcmp(local, "-") || !*name || !strcmp(name, ".") || !strcmp(name, "..")) {
			vnode_unref(o->v, n);
			return cli_usage_error(o->cmd, "'%s' is a directory of the vault: give "
					       "the name of the file to write", path);
		}
		t->dir = n;
	} else {
		if (n)
			vnode_unref(o->v, n);
		if (path[strlen(path) - 1] == '/') /* "PATH/" must name a directory */
			return offline_error(o, "cannot write", path, r == 0 ? -ENOTDIR : r);
		if (r < 0 && r != -ENOENT)
			return offline_error(o, "cannot write", path, r);
		if ((r = offline_walk(o, p, p->n - 1, &t->dir, &st)) < 0)
			return offline_error(o, "cannot write", path, r);
		if (vnode_type(t->dir) != S_IFDIR)
			return offline_error(o, "cannot write", path, -ENOTDIR);
		name = p->comp[p->n - 1];
	}
	if (!(t->name = strdup(name)) || !(t->tmp = malloc(strlen(name) + 48))) {
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	/* names are at most 255 bytes: shorten the copy of NAME in the temporary name */
	snprintf(t->tmp, strlen(name) + 48, ".%.200s.veilfs-put-%ld", name, (long)getpid());
	return 0;
}

/* Write all of fd into the open vault file n. 0, or -errno with *fd_err for a read error. */
static int copy_in(struct offline *o, struct vnode *n, int fd, bool *fd_err)
{
	char *buf = malloc(OFFLINE_CHUNK);
	uint64_t off = 0;
	ssize_t got, w;
	int r = 0;

	*fd_err = false;
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (offline_interrupted()) {
			r = -EINTR;
			break;
		}
		got = read(fd, buf, OFFLINE_CHUNK);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			*fd_err = true;
			break;
		}
		if (got == 0)
			break;
		w = vault_write(o->v, n, buf, (size_t)got, off, false, NULL);
		if (w < 0) {
			r = (int)w;
			break;
		}
		if (w != got) {
			r = -EIO;
			break;
		}
		off += (uint64_t)got;
	}
	if (r == 0)
		r = vault_fsync(o->v, n, false);
	free(buf);
	return r;
}

/* Opens LOCALFILE (or takes standard input for "-"); its permission bits in *mode. */
static int put_open_local(const char *local, bool from_stdin, int *fd, mode_t *mode)
{
	struct stat lst;

	if (from_stdin) {
		*fd = STDIN_FILENO;
		return CLI_EXIT_OK;
	}
	if ((*fd = open(local, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0 || fstat(*fd, &lst) != 0) {
		cli_error("cannot read '%s': %s", local, strerror(errno));
		return CLI_EXIT_ERROR;
	}
	if (!S_ISREG(lst.st_mode)) {
		cli_error("cannot read '%s': not a regular file", local);
		return CLI_EXIT_ERROR;
	}
	*mode = lst.st_mode & 0777;
	return CLI_EXIT_OK;
}

/*
 * Copies fd into the temporary name of t, then renames it over the target; on failure
 * says why and removes the partial copy. Returns CLI_EXIT_OK or CLI_EXIT_ERROR.
 */
static int put_copy(struct offline *o, const struct target *t, int fd, mode_t mode,
		    const char *path, const char *from)
{
	struct vnode *n = NULL;
	struct stat st;
	bool fd_err = false;
	int r, rr;

	offline_catch_signals(); /* from here a signal removes the temporary name */
	r = vault_create(o->v, t->dir, t->tmp, S_IFREG | offline_new_mode(mode),
			 O_RDWR | O_CREAT | O_EXCL, &o->who, &n, &st, NULL);
	if (r < 0)
		return offline_error(o, "cannot write", path, r);
	r = copy_in(o, n, fd, &fd_err);
	rr = vault_release_file(o->v, n);
	if (r == 0)
		r = rr;
	if (r == 0)
		r = vault_rename(o->v, t->dir, t->tmp, t->dir, t->name, 0);
	if (r == 0)
		goto out;
	if (offline_interrupted())
		cli_error("interrupted: '%s' in '%s' not written", path, o->cipherdir);
	else if (fd_err)
		cli_error("cannot read '%s': %s", from, strerror(-r));
	else
		(void)offline_error(o, "cannot write", path, r); /* the exit status is ours */
	if ((rr = vault_unlink(o->v, t->dir, t->tmp)) < 0 && rr != -ENOENT)
		(void)offline_error(o, "cannot remove the partial copy of", path, rr);
	r = CLI_EXIT_ERROR;
out:
	vnode_unref(o->v, n);
	return r;
}

int cmd_put_main(int argc, char **argv)
{
	struct offline_args a;
	struct offline o;
	struct offline_path p = { 0 };
	struct target t = { NULL, NULL, NULL };
	const char *local, *path;
	bool from_stdin;
	mode_t mode = 0666;
	int c, r, fd = -1;

	offline_args_init(&a);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hv", put_options, NULL)) != -1) {
		if (c == 'h') {
			fputs(put_help, stdout);
			return CLI_EXIT_OK;
		}
		if ((r = offline_option("put", &a, c, optarg)) != 0)
			return r < 0 ? cli_option_error("put", c, optopt, argv, optind) : r;
	}
	if ((r = offline_operands("put", argc, optind, 3, 3, "CIPHERDIR, LOCALFILE and PATH")))
		return r;
	local = argv[optind + 1];
	path = argv[optind + 2];
	from_stdin = !strcmp(local, "-");
	if (from_stdin && !a.pwsrc.passfile && !a.pwsrc.extpass)
		return cli_usage_error("put", "LOCALFILE '-' (standard input) needs --passfile "
				       "or --extpass for the password");
	if ((r = put_open_local(local, from_stdin, &fd, &mode)) != CLI_EXIT_OK) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	if ((r = offline_open(&o, "put", argv[optind], &a, true)) != 0)
		goto out;
	if ((r = offline_path_split(&o, path, &p)) != 0)
		goto out;
	if (p.n == 0 && from_stdin) {
		r = cli_usage_error("put", "give the name of the file to write in the vault");
		goto out;
	}
	if ((r = find_target(&o, &p, path, local, &t)) != 0)
		goto out;
	r = put_copy(&o, &t, fd, mode, path, from_stdin ? "standard input" : local);
out:
	if (t.dir)
		vnode_unref(o.v, t.dir);
	free(t.name);
	free(t.tmp);
	offline_path_release(&p);
	offline_close(&o);
	if (fd > STDERR_FILENO)
		close(fd);
	return r;
}
