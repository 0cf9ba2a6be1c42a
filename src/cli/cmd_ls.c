/*
 * veilfs ls: list a directory of a vault (or show one file), without a mount
 * (cli/offline.h): names, or with -l mode, links, owner, plaintext size and mtime, or one
 * JSON object. Names come from the share and are escaped (cli/escape.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/buf.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/escape.h"
#include "cli/offline.h"

static const char ls_help[] =
	"usage: " CLI_PROG " ls [OPTIONS] [-l] [--json] CIPHERDIR [PATH]\n"
	"\n"
	"List the directory PATH (default: the root) of the vault in CIPHERDIR, without a\n"
	"mount, sorted by name; a file PATH is shown alone. Symlinks are shown, not followed.\n"
	"Names are printed as they are, with control characters, backslashes and invalid\n"
	"UTF-8 bytes written as \\xNN. Safe beside live shared mounts of CIPHERDIR.\n"
	"\n"
	"options:\n"
	"  -l               long format: mode, links, uid, gid, plaintext size, mtime,\n"
	"                   name (and '-> target' for a symlink)\n"
	"  --json           one JSON object {\"path\", \"entries\": [{\"name\", \"type\",\n"
	"                   \"size\", \"mode\", \"nlink\", \"uid\", \"gid\", \"mtime\", \"ino\"\n"
	"                   [, \"target\"]}]} (type: file, dir, symlink, fifo, socket, other)\n"
	OFFLINE_OPTIONS_HELP "\n" OFFLINE_EXIT_HELP;

enum { OPT_JSON = OFFLINE_OPT_NEXT };

static const struct option ls_options[] = {
	OFFLINE_LONGOPTS,
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static const struct offline_cmd ls_cmd = { "ls", ":hvl", ls_options, ls_help };

struct entry {
	char *name; /* owned */
	struct stat st;
	char *target; /* owned, symlinks only (NULL when unreadable) */
};

struct listing {
	struct entry *e;
	size_t n, cap;
};

static const char *type_name(mode_t m)
{
	return S_ISREG(m)    ? "file"
	       : S_ISDIR(m)  ? "dir"
	       : S_ISLNK(m)  ? "symlink"
	       : S_ISFIFO(m) ? "fifo"
	       : S_ISSOCK(m) ? "socket"
			     : "other";
}

static void mode_string(mode_t m, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	out[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's'
		 : S_ISREG(m) ? '-' : '?';
	for (i = 0; i < 9; i++)
		out[i + 1] = (m & (0400 >> i)) ? rwx[i] : '-';
	if (m & S_ISUID)
		out[3] = (m & S_IXUSR) ? 's' : 'S';
	if (m & S_ISGID)
		out[6] = (m & S_IXGRP) ? 's' : 'S';
	if (m & S_ISVTX)
		out[9] = (m & S_IXOTH) ? 't' : 'T';
	out[10] = '\0';
}

/* Add name with the attributes of n; 0 or -ENOMEM. */
static int add(struct offline *o, struct listing *l, const char *name, struct vnode *n,
	       const struct stat *st)
{
	struct entry *e;
	struct buf target;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct entry *ne = realloc(l->e, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		l->e = ne;
		l->cap = cap;
	}
	e = &l->e[l->n];
	memset(e, 0, sizeof(*e));
	if (!(e->name = strdup(name)))
		return -ENOMEM;
	e->st = *st;
	if (S_ISLNK(st->st_mode)) {
		buf_init(&target);
		if (vault_readlink(o->v, n, &target) == 0 && buf_append(&target, "", 1) == 0)
			e->target = (char *)buf_detach(&target, NULL);
		buf_release(&target);
	}
	l->n++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Every entry of directory d; names that vanish meanwhile are left out. Exit status. */
static int read_dir(struct offline *o, struct vnode *d, const char *path, struct listing *l)
{
	struct vdir *list = NULL;
	struct vnode *child;
	struct stat st;
	const char *name;
	unsigned char type;
	uint64_t ino;
	size_t i;
	int r, status = CLI_EXIT_OK;

	if ((r = vault_opendir(o->v, d, &list)) < 0)
		return offline_error(o, "cannot list", path, r);
	for (i = 0; vault_dir_entry(list, i, &name, &ino, &type); i++) {
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if ((r = vault_lookup(o->v, d, name, &child, &st)) < 0) {
			if (r == -ENOENT) /* removed by another client meanwhile */
				continue;
			/* the name is from the share: not printed raw */
			cli_error("cannot read an entry of '%s' in '%s': %s", *path ? path : "/",
				  o->cipherdir, strerror(-r));
			status = CLI_EXIT_ERROR;
			continue;
		}
		r = add(o, l, name, child, &st);
		vnode_unref(o->v, child);
		if (r < 0) {
			cli_error("out of memory");
			status = CLI_EXIT_ERROR;
			break;
		}
	}
	vault_closedir(list);
	if (l->n > 1) /* l->e is NULL for an empty directory */
		qsort(l->e, l->n, sizeof(*l->e), by_name);
	return status;
}

static void print_long(const struct entry *e)
{
	char mode[11], when[32];
	struct tm tm;
	time_t t = e->st.st_mtime;

	mode_string(e->st.st_mode, mode);
	if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm))
		snprintf(when, sizeof(when), "?");
	printf("%s %3ju %5ju %5ju %12jd %s ", mode, (uintmax_t)e->st.st_nlink,
	       (uintmax_t)e->st.st_uid, (uintmax_t)e->st.st_gid, (intmax_t)e->st.st_size, when);
	escape_text(e->name);
	if (e->target) {
		fputs(" -> ", stdout);
		escape_text(e->target);
	}
	putchar('\n');
}

static void print_json(const char *path, const struct listing *l)
{
	const struct entry *e;
	size_t i;

	fputs("{\n  \"path\": ", stdout);
	escape_json(*path ? path : "/");
	fputs(",\n  \"entries\": [", stdout);
	for (i = 0; i < l->n; i++) {
		e = &l->e[i];
		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", stdout);
		escape_json(e->name);
		printf(", \"type\": \"%s\", \"size\": %jd, \"mode\": %u, \"nlink\": %ju, "
		       "\"uid\": %ju, \"gid\": %ju, \"mtime\": %jd, \"ino\": %ju",
		       type_name(e->st.st_mode), (intmax_t)e->st.st_size,
		       (unsigned)(e->st.st_mode & 07777), (uintmax_t)e->st.st_nlink,
		       (uintmax_t)e->st.st_uid, (uintmax_t)e->st.st_gid, (intmax_t)e->st.st_mtime,
		       (uintmax_t)e->st.st_ino);
		if (e->target) {
			fputs(", \"target\": ", stdout);
			escape_json(e->target);
		}
		putchar('}');
	}
	printf("%s]\n}\n", l->n ? "\n  " : "");
}

/* Prints the listing in the asked format; says so and returns -EIO if stdout fails. */
static int print_listing(const char *path, const struct listing *l, bool longfmt, bool json)
{
	size_t i;

	if (json)
		print_json(path, l);
	else
		for (i = 0; i < l->n; i++) {
			if (longfmt) {
				print_long(&l->e[i]);
			} else {
				escape_text(l->e[i].name);
				putchar('\n');
			}
		}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write to standard output");
		return -EIO;
	}
	return 0;
}

int cmd_ls_main(int argc, char **argv)
{
	struct offline_args a;
	struct offline o;
	struct offline_path p = { 0 };
	struct listing l = { NULL, 0, 0 };
	struct vnode *n = NULL;
	struct stat st;
	const char *path;
	bool longfmt = false, json = false;
	size_t i;
	int c, r;

	offline_args_init(&a);
	while ((c = offline_next_option(&ls_cmd, &a, argc, argv, &r)) > 0) {
		if (c != 'l' && c != OPT_JSON)
			return cli_option_error("ls", '?', optopt, argv, optind);
		longfmt |= c == 'l';
		json |= c == OPT_JSON;
	}
	if (c < 0)
		return r;
	if ((r = offline_operands("ls", argc, optind, 1, 2, "CIPHERDIR [PATH]")) != 0)
		return r;
	path = optind + 1 < argc ? argv[optind + 1] : "";
	if ((r = offline_open(&o, "ls", argv[optind], &a, false)) != 0)
		goto out;
	if ((r = offline_path_split(&o, path, &p)) != 0)
		goto out;
	if ((r = offline_walk(&o, &p, p.n, &n, &st)) < 0) {
		r = offline_error(&o, "cannot list", path, r);
		goto out;
	}
	if (vnode_type(n) == S_IFDIR) {
		r = read_dir(&o, n, path, &l);
	} else if ((r = add(&o, &l, path, n, &st)) < 0) {
		cli_error("out of memory");
		r = CLI_EXIT_ERROR;
	}
	if (print_listing(path, &l, longfmt, json) != 0)
		r = CLI_EXIT_ERROR;
out:
	for (i = 0; i < l.n; i++) {
		free(l.e[i].name);
		free(l.e[i].target);
	}
	free(l.e);
	if (n)
		vnode_unref(o.v, n);
	offline_path_release(&p);
	offline_close(&o);
	return r;
}
