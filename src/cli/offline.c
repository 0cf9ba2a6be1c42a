/*
 * The common part of the offline commands (offline.h): options, opening the vault beside
 * live mounts, path walks and error messages. The commands themselves are
 * cmd_ls.c, cmd_cat.c, cmd_get.c, cmd_put.c, cmd_rm.c, cmd_mkdir.c and cmd_rekey.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/auth.h"
#include "cli/cli.h"
#include "cli/offline.h"
#include "cli/registry_platform.h"
#include "cli/shared_mode.h"
#include "coord/registry.h"
#include "store/store.h"
#include "vault/admin.h"

void offline_args_init(struct offline_args *a)
{
	memset(a, 0, sizeof(*a));
	a->shared = VAULT_SHARED_AUTO;
}

int offline_option(const char *cmd, struct offline_args *a, int c, const char *arg)
{
	if (auth_option(&a->pwsrc, c, arg))
		return 0;
	switch (c) {
	case OFFLINE_OPT_LEASE: {
		char *end = NULL;
		double sec;

		errno = 0;
		sec = *arg >= '0' && *arg <= '9' ? strtod(arg, &end) : -1;
		if (errno || !end || *end || !(sec >= 0.1 && sec <= 86400))
			return cli_usage_error(cmd, "invalid --lock-lease '%s'", arg);
		a->lock_lease_ms = (unsigned)(sec * 1000);
		return 0;
	}
	case OFFLINE_OPT_VERBOSE:
		a->verbose = true;
		return 0;
	case OFFLINE_OPT_SHARED:
		if (!shared_mode_parse(arg, &a->shared))
			return cli_usage_error(cmd, "invalid --shared mode '%s' (off, auto, locks or "
					       "lockfiles)", arg);
		return 0;
	default:
		return -1;
	}
}

int offline_next_option(const struct offline_cmd *cmd, struct offline_args *a, int argc,
			char **argv, int *status)
{
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, cmd->shortopts, cmd->longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(cmd->help, stdout);
			*status = CLI_EXIT_OK;
			return -1;
		}
		if (c == '?' || c == ':') {
			*status = cli_option_error(cmd->name, c, optopt, argv, optind);
			return -1;
		}
		if ((r = offline_option(cmd->name, a, c, optarg)) < 0)
			return c; /* the command's own */
		if (r > 0) {
			*status = r;
			return -1;
		}
	}
	return 0;
}

int offline_operands(const char *cmd, int argc, int optind_value, int min, int max,
		     const char *usage)
{
	int n = argc - optind_value;

	if (n < min)
		return cli_usage_error(cmd, "expected %s", usage);
	if (n > max)
		return cli_usage_error(cmd, "too many arguments (expected %s)", usage);
	return 0;
}

/*
 * The registered mounts of the vault decide the mode: none beside a live single-client
 * mount (it caches and takes no locks), and the mode of the live shared ones (what a
 * mount beside them would be held to, coord/registry.h). Registrations of other hosts
 * that are not stale by age count as live: this command cannot watch their heartbeat.
 * Returns 0 (*mode possibly changed from AUTO) or an exit status (printed).
 */
static int check_mounts(const struct offline *o, enum vault_shared_mode *mode)
{
	struct registry_entry *e = calloc(REGISTRY_ENTRIES_MAX, sizeof(*e));
	enum registry_state *st = calloc(REGISTRY_ENTRIES_MAX, sizeof(*st));
	enum vault_shared_mode theirs;
	struct store *s = NULL;
	struct coord c;
	int rootfd = -1, n, i, r = CLI_EXIT_ERROR;

	if (!e || !st) {
		cli_error("out of memory");
		goto out;
	}
	if ((n = store_posix_new(o->cipher_abs, &s, &rootfd)) < 0 ||
	    (n = coord_init(&c, s, rootfd, COORD_OFF, COORD_FRESH_NONE, 0)) < 0 ||
	    (n = registry_list(&c, registry_platform_get(), e, st, REGISTRY_ENTRIES_MAX)) < 0) {
		r = cli_vault_error("cannot list the mounts of", o->cipherdir, n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (st[i] == REGISTRY_STALE)
			continue;
		r = CLI_EXIT_BUSY;
		if (!shared_mode_parse(e[i].mode, &theirs) || theirs == VAULT_SHARED_OFF ||
		    theirs == VAULT_SHARED_AUTO) {
			cli_error("'%s' is mounted by host '%s' (pid %ld, --shared=%s, at '%s'): "
				  "'%s %s' cannot run beside a single-client mount; unmount it, "
				  "or mount it with --shared=auto (docs/SHARED.md)",
				  o->cipherdir, e[i].host, e[i].pid, e[i].mode, e[i].mnt,
				  CLI_PROG, o->cmd);
			goto out;
		}
		if (*mode == VAULT_SHARED_AUTO) {
			*mode = theirs;
		} else if (*mode != theirs) {
			cli_error("'%s' is mounted by host '%s' (pid %ld, at '%s') with "
				  "--shared=%s; every client of one vault must use the same mode: "
				  "use --shared=%s or auto (docs/SHARED.md)",
				  o->cipherdir, e[i].host, e[i].pid, e[i].mnt, e[i].mode, e[i].mode);
			goto out;
		}
	}
	r = CLI_EXIT_OK;
out:
	if (s) {
		(void)store_close(s, rootfd); /* read-only use: nothing to lose */
		store_free(s);
	}
	free(e);
	free(st);
	return r;
}

int offline_open(struct offline *o, const char *cmd, const char *cipherdir,
		 const struct offline_args *a, bool write)
{
	struct vault_options vopts = { 0 };
	enum vault_shared_mode mode = a->shared;
	struct password pw = { NULL, 0 };
	struct vault_info info;
	int r;

	memset(o, 0, sizeof(*o));
	cli_log_init(a->verbose);
	o->cmd = cmd;
	o->cipherdir = cipherdir;
	o->who.uid = getuid();
	o->who.gid = getgid();
	if (auth_source_count(&a->pwsrc) > 1)
		return cli_usage_error(cmd, "give one of --passfile, --extpass, --keyfile, "
					    "--recovery-key and --tpm");
	if (store_is_smb_url(cipherdir)) {
		/* the offline commands open the vault through a local path (the registry
		 * check, the lock mode); rekey would also replace files by rename, which SMB
		 * does as unlink + rename (docs/SHARED.md); the URL may hold a password, so
		 * it is not printed */
		cli_error("cannot open a vault on an smb:// share: '%s %s' takes a local path, "
			  "not a URL; run it on a local or kernel-client path to the same "
			  "directory, or mount the URL", CLI_PROG, cmd);
		return CLI_EXIT_ERROR;
	}
	if (!(o->cipher_abs = realpath(cipherdir, NULL)))
		return cli_vault_error("cannot open vault", cipherdir, -errno);
	if ((r = vault_admin_info(o->cipher_abs, &info)) < 0)
		return cli_vault_error("cannot open vault", cipherdir, r);
	if ((r = cli_check_cipher("cannot open vault", cipherdir, info.cipher)) != 0)
		return r;
	if ((r = check_mounts(o, &mode)) != 0)
		return r;
	if ((r = shared_mode_resolve(o->cipher_abs, mode, &vopts)) != 0)
		return r;
	vopts.read_only = !write;
	vopts.lock_lease_ms = a->lock_lease_ms;
	if ((r = password_read(&a->pwsrc, "Password: ", false, &pw)) != 0)
		return r;
	r = vault_open(o->cipher_abs, pw.data, pw.len, &vopts, &o->v);
	password_free(&pw);
	if (r < 0) {
		o->v = NULL;
		return cli_vault_error("cannot open vault", cipherdir, r);
	}
	return 0;
}

void offline_close(struct offline *o)
{
	vault_close(o->v);
	o->v = NULL;
	free(o->cipher_abs);
	o->cipher_abs = NULL;
}

int offline_path_split(const struct offline *o, const char *path, struct offline_path *p)
{
	size_t len = strlen(path), i, n = 0;
	char *tok, *save = NULL;

	memset(p, 0, sizeof(*p));
	if (!(p->buf = strdup(path)) || !(p->comp = calloc(len / 2 + 1, sizeof(*p->comp)))) {
		offline_path_release(p);
		cli_error("out of memory");
		return CLI_EXIT_ERROR;
	}
	for (tok = strtok_r(p->buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			offline_path_release(p);
			return cli_usage_error(o->cmd, "'..' is not allowed in a vault path ('%s')",
					       path);
		}
		p->comp[n++] = tok;
	}
	for (i = 0; i < n; i++)
		if (strlen(p->comp[i]) > 255) {
			offline_path_release(p);
			cli_error("cannot use '%s' in '%s': %s", path, o->cipherdir,
				  strerror(ENAMETOOLONG));
			return CLI_EXIT_ERROR;
		}
	p->n = n;
	return 0;
}

void offline_path_release(struct offline_path *p)
{
	free(p->buf);
	free(p->comp);
	memset(p, 0, sizeof(*p));
}

int offline_walk(struct offline *o, const struct offline_path *p, size_t upto,
		 struct vnode **out, struct stat *st)
{
	struct vnode *cur = vault_root(o->v), *next;
	size_t i;
	int r;

	*out = NULL;
	if ((r = vault_getattr(o->v, cur, st)) < 0)
		goto fail;
	for (i = 0; i < upto && i < p->n; i++) {
		if ((r = vault_lookup(o->v, cur, p->comp[i], &next, st)) < 0)
			goto fail;
		vnode_unref(o->v, cur);
		cur = next;
	}
	*out = cur;
	return 0;
fail:
	vnode_unref(o->v, cur);
	return r;
}

int offline_error(const struct offline *o, const char *what, const char *path, int err)
{
	const char *why;

	switch (-err) {
	case EBADMSG:
		why = "integrity check failed (damaged or tampered with in the cipher directory)";
		break;
	case EPROTO:
		why = "malformed in the cipher directory";
		break;
	default:
		why = strerror(err < 0 ? -err : EIO);
	}
	cli_error("%s '%s' in '%s': %s", what, *path ? path : "/", o->cipherdir, why);
	return CLI_EXIT_ERROR;
}

int offline_need_file(const struct offline *o, struct vnode *n, const char *what,
		      const char *path)
{
	if (vnode_type(n) == S_IFREG)
		return 0;
	if (vnode_type(n) == S_IFDIR)
		return offline_error(o, what, path, -EISDIR);
	cli_error("%s '%s' in '%s': not a regular file", what, path, o->cipherdir);
	return CLI_EXIT_ERROR;
}

int offline_find_file(struct offline *o, const char *path, struct offline_path *p,
		      struct vnode **out, struct stat *st)
{
	int r;

	if ((r = offline_path_split(o, path, p)) != 0)
		return r;
	if ((r = offline_walk(o, p, p->n, out, st)) < 0)
		return offline_error(o, "cannot read", path, r);
	return offline_need_file(o, *out, "cannot read", path);
}

mode_t offline_new_mode(mode_t mode)
{
	mode_t mask = umask(0);

	umask(mask);
	return mode & ~mask;
}

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

void offline_catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read returns EINTR */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, NULL);
}

bool offline_interrupted(void)
{
	return caught != 0;
}

int offline_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len) {
		if (caught)
			return -EINTR;
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int offline_copy_out(struct offline *o, struct vnode *n, int fd, bool *fd_err)
{
	char *buf = malloc(OFFLINE_CHUNK);
	uint64_t off = 0;
	ssize_t got;
	int r, rr;

	*fd_err = false;
	if (!buf)
		return -ENOMEM;
	if ((r = vault_open_file(o->v, n, O_RDONLY)) < 0)
		goto out;
	for (;;) {
		if (caught) {
			r = -EINTR;
			break;
		}
		got = vault_read(o->v, n, buf, OFFLINE_CHUNK, off);
		if (got < 0) {
			r = (int)got;
			break;
		}
		if (got == 0)
			break;
		if ((r = offline_write_all(fd, buf, (size_t)got)) < 0) {
			*fd_err = true;
			break;
		}
		off += (uint64_t)got;
	}
	rr = vault_release_file(o->v, n);
	if (r == 0)
		r = rr;
out:
	free(buf);
	return r;
}
