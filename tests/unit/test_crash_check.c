/*
 * The crash simulator's checker (test_crash.h): the model of what each name may hold, the
 * check of one crash state (a store_mem snapshot opened as a fresh vault, walked and read
 * whole, and fsck over it), the fsync order of each step, and the violations found.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "keys/config_file.h"
#include "store/store_mem.h"
#include "vault/vault_internal.h"
#include "test.h"
#include "test_crash.h"

static struct crash_violation violations[CRASH_VIOLATIONS];
static int nviolations;

const struct crash_violation *crash_violations(int *n)
{
	*n = nviolations;
	return violations;
}

static void violate(struct crash_sim *s, const struct crash_label *l, const char *file,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void violate(struct crash_sim *s, const struct crash_label *l, const char *file,
		    const char *fmt, ...)
{
	struct crash_violation *x = NULL;
	char what[96];
	va_list ap;
	int i, n;

	va_start(ap, fmt);
	n = vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(what))
		snprintf(what + n, sizeof(what) - (size_t)n, " [%s]", l->kind);
	for (i = 0; i < nviolations && !x; i++)
		if (violations[i].workload == s->workload && !strcmp(violations[i].file, file) &&
		    !strcmp(violations[i].what, what))
			x = &violations[i];
	if (!x) {
		if (nviolations == CRASH_VIOLATIONS)
			return;
		x = &violations[nviolations++];
		x->workload = s->workload;
		snprintf(x->file, sizeof(x->file), "%s", file);
		snprintf(x->what, sizeof(x->what), "%s", what);
	}
	if (x->count < CRASH_OPS_SHOWN) {
		x->ops[x->count] = l->op;
		x->op_names[x->count] = l->op_name;
	}
	x->count++;
}

static const char *err_name(int r)
{
	static char other[32];

	switch (-r) {
	case EBADMSG:
		return "EBADMSG";
	case EPROTO:
		return "EPROTO";
	case EIO:
		return "EIO";
	case ENOENT:
		return "ENOENT";
	case EINVAL:
		return "EINVAL";
	default:
		snprintf(other, sizeof(other), "errno %d", -r);
		return other;
	}
}

/* --- the model --- */

static struct crash_entry *model_find(struct crash_sim *s, const char *path)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].path, path))
			return &s->e[i];
	return NULL;
}

/* The entry for path, added (existing in neither version) when there is none. */
struct crash_entry *crash_model_get(struct crash_sim *s, const char *path)
{
	struct crash_entry *e = model_find(s, path);

	if (e)
		return e;
	if (s->n == CRASH_FILES) { /* a workload with more names than the model holds */
		fprintf(stderr, "test_crash: more than %d names in '%s'\n", CRASH_FILES,
			s->workload);
		abort();
	}
	e = &s->e[s->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s", path);
	return e;
}

void crash_model_write(struct crash_sim *s, const char *path, uint64_t off, const uint8_t *p,
		       size_t len)
{
	struct crash_version *w = &crash_model_get(s, path)->new;

	if (off + len > CRASH_FILE_MAX)
		return;
	if (off > w->len)
		memset(w->data + w->len, 0, off - w->len);
	if (len)
		memcpy(w->data + off, p, len);
	w->exists = true;
	if (off + len > w->len)
		w->len = off + len;
}

void crash_model_truncate(struct crash_sim *s, const char *path, size_t size)
{
	struct crash_version *w = &crash_model_get(s, path)->new;

	if (size > w->len)
		memset(w->data + w->len, 0, size - w->len);
	w->len = size;
}

void crash_model_rename(struct crash_sim *s, const char *from, const char *to)
{
	struct crash_entry *a = crash_model_get(s, from), *b = crash_model_get(s, to);

	if (!b->old.exists) { /* then exactly one of the two names exists */
		a->moved = (int)(b - s->e) + 1;
		b->moved = (int)(a - s->e) + 1;
	}
	b->new = a->new;
	b->is_dir = a->is_dir;
	a->new.exists = false;
	a->new.len = 0;
}

void crash_model_mkdir(struct crash_sim *s, const char *path)
{
	struct crash_entry *e = crash_model_get(s, path);

	e->is_dir = true;
	e->new.exists = true;
}

static bool version_is(const struct crash_version *w, const uint8_t *p, size_t len)
{
	return w->exists && w->len == len && !memcmp(w->data, p, len);
}

/* (b): whole old or whole new, or each byte old or new and the size between. */
static void check_content(struct crash_sim *s, const struct crash_label *l,
			  const struct crash_entry *e, const uint8_t *p, size_t len)
{
	const struct crash_version *o = &e->old, *w = &e->new;
	size_t olen = o->exists ? o->len : 0, wlen = w->exists ? w->len : 0;
	size_t lo = olen < wlen ? olen : wlen, hi = olen < wlen ? wlen : olen;
	/* reordered: past the old end, a write that did not persist leaves zeros (a hole) */
	bool lost_zero = !strcmp(l->kind, "reordered");

	if (version_is(o, p, len) || version_is(w, p, len))
		return;
	if (e->whole) {
		violate(s, l, e->path, "neither the whole old nor the whole new content");
		return;
	}
	if (len < lo || len > hi) {
		violate(s, l, e->path, "size outside [old, new]");
		return;
	}
	for (size_t i = 0; i < len; i++) {
		bool ok = (i < olen && p[i] == o->data[i]) || (i < wlen && p[i] == w->data[i]) ||
			  (lost_zero && i >= olen && !p[i]);

		if (!ok) {
			violate(s, l, e->path, "a byte neither old nor new");
			return;
		}
	}
}

/* --- checking one crash state --- */

static uint8_t readbuf[CRASH_FILE_MAX + 1];

/* Read n whole (up to CRASH_FILE_MAX + 1 bytes) into readbuf: the length or -errno. */
static ssize_t read_all(struct vault *v, struct vnode *n)
{
	size_t len = 0;
	ssize_t got = 0;
	int r;

	if ((r = vault_open_file(v, n, O_RDONLY)) < 0)
		return r;
	while (len < sizeof(readbuf)) {
		got = vault_read(v, n, readbuf + len, sizeof(readbuf) - len, len);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	if ((r = vault_release_file(v, n)) < 0)
		return r;
	return got < 0 ? got : (ssize_t)len;
}

static void check_file(struct crash_sim *s, struct vault *v, struct vnode *n, const struct stat *st,
		       const struct crash_entry *e, const char *path, const struct crash_label *l)
{
	ssize_t len = read_all(v, n);

	if (len < 0) {
		violate(s, l, path, "read fails: %s", err_name((int)len));
		s->state_unreadable++;
		return;
	}
	if ((uint64_t)st->st_size != (uint64_t)len)
		violate(s, l, path, "stat size is not the size read");
	if (e && e->is_dir)
		violate(s, l, path, "a file where a directory was made");
	else if (e)
		check_content(s, l, e, readbuf, (size_t)len);
}

static void walk_dir(struct crash_sim *s, struct vault *v, struct vnode *dir, const char *prefix,
		     int depth, const struct crash_label *l);

/* (a), (c): one listed name looks up, stats and reads, and is one the model allows. */
static void check_name(struct crash_sim *s, struct vault *v, struct vnode *dir, const char *name,
		       const char *path, int depth, const struct crash_label *l)
{
	struct crash_entry *e = model_find(s, path);
	struct vnode *n;
	struct stat st;
	int r;

	if (!e || (!e->old.exists && !e->new.exists))
		violate(s, l, path, "unexpected name");
	if (e)
		e->seen = true;
	if ((r = vault_lookup(v, dir, name, &n, &st)) < 0) {
		violate(s, l, path, "lookup fails: %s", err_name(r));
		s->state_unreadable++;
		return;
	}
	if ((r = vault_getattr(v, n, &st)) < 0)
		violate(s, l, path, "stat fails: %s", err_name(r));
	else if (S_ISDIR(st.st_mode) && depth < CRASH_DEPTH)
		walk_dir(s, v, n, path, depth + 1, l);
	else if (S_ISREG(st.st_mode))
		check_file(s, v, n, &st, e, path, l);
	vnode_unref(v, n);
}

static void walk_dir(struct crash_sim *s, struct vault *v, struct vnode *dir, const char *prefix,
		     int depth, const struct crash_label *l)
{
	char path[CRASH_NAME_MAX];
	struct vdir *d;
	const char *name;
	unsigned char type;
	uint64_t ino;
	int r;

	if ((r = vault_opendir(v, dir, &d)) < 0) {
		violate(s, l, *prefix ? prefix : "/", "listing fails: %s", err_name(r));
		s->state_unreadable++;
		return;
	}
	for (size_t i = 0; vault_dir_entry(d, i, &name, &ino, &type); i++) {
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "", name);
		check_name(s, v, dir, name, path, depth, l);
	}
	vault_closedir(d);
}

/* (c): every name that exists in both versions was found; a renamed one is in one place. */
static void check_missing(struct crash_sim *s, const struct crash_label *l)
{
	for (int i = 0; i < s->n; i++) {
		const struct crash_entry *e = &s->e[i];

		if (!e->seen && e->old.exists && e->new.exists)
			violate(s, l, e->path, "missing");
		if (e->moved && e->old.exists && e->seen == s->e[e->moved - 1].seen)
			violate(s, l, e->path,
				e->seen ? "renamed, and both names exist"
					: "renamed, and neither name exists");
	}
}

struct fsck_state {
	struct crash_sim *s;
	unsigned found;
	bool kinds[FSCK_KIND_COUNT];
};

static void on_finding(void *arg, const struct fsck_finding *f)
{
	struct fsck_state *st = arg;

	st->s->fsck_kinds[f->kind]++;
	st->kinds[f->kind] = true;
	st->found++;
}

/* Append " op:kind,kind" for a state with findings to the workload's fsck log. */
static void fsck_log(struct crash_sim *s, const struct crash_label *l, const struct fsck_state *st)
{
	size_t at = strlen(s->fsck_log);
	const char *sep = ":";

	if (at + 64 > sizeof(s->fsck_log))
		return;
	if (l->op == UINT32_MAX)
		snprintf(s->fsck_log + at, sizeof(s->fsck_log) - at, " end");
	else
		snprintf(s->fsck_log + at, sizeof(s->fsck_log) - at, " %u", l->op);
	for (int k = 0; k < FSCK_KIND_COUNT; k++) {
		if (!st->kinds[k])
			continue;
		at = strlen(s->fsck_log);
		snprintf(s->fsck_log + at, sizeof(s->fsck_log) - at, "%s%s", sep,
			 fsck_kind_name((enum fsck_kind)k));
		sep = ",";
	}
}

/* fsck (with repair when o says so) with the step's new, else its old password. */
static int fsck_either_password(struct crash_sim *s, struct store *snap, int rootfd,
				const struct fsck_options *o, fsck_report_fn fn, void *arg,
				struct fsck_counts *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	r = fsck_run_store_opts(snap, rootfd, s->pw_new, strlen(s->pw_new), o, fn, arg, c);
	if (r == -EPERM && s->pw_old != s->pw_new)
		r = fsck_run_store_opts(snap, rootfd, s->pw_old, strlen(s->pw_old), o, fn, arg, c);
	return r;
}

/* (d): fsck over the state, logged; the number of findings (the state is not changed). */
static unsigned run_fsck(struct crash_sim *s, struct store *snap, int rootfd,
			 const struct crash_label *l)
{
	struct fsck_state st = { s, 0, { false } };
	struct fsck_counts c;
	int r;

	r = fsck_either_password(s, snap, rootfd, NULL, on_finding, &st, &c);
	if (r < 0)
		violate(s, l, "veilfs.conf", "fsck cannot run: %s", err_name(r));
	if (st.found) {
		s->fsck_states++;
		if (strcmp(l->kind, "reordered")) /* too many to list */
			fsck_log(s, l, &st);
	}
	return st.found;
}

/* The vault on the state (taking snap over), or NULL (snap freed) with a violation. */
static struct vault *open_state(struct crash_sim *s, struct store *snap, int rootfd,
				const struct crash_label *l)
{
	const struct vault_options o = { 0 };
	struct vault_keys *keys;
	struct vault *v = NULL;
	struct config c;
	int r;

	if ((r = config_file_load(snap, rootfd, &c)) < 0) {
		violate(s, l, "veilfs.conf", "cannot be read: %s", err_name(r));
		goto fail;
	}
	keys = vault_keys_new(s->master, c.vault_id);
	if ((r = keys ? vault_open_keys(snap, rootfd, &c, keys, &o, &v) : -ENOMEM) == 0)
		return v;
	violate(s, l, "/", "vault does not open: %s", err_name(r));
fail:
	(void)store_close(snap, rootfd);
	store_free(snap);
	return NULL;
}

/* Which passwords open the config: the step's old or new one must. */
static void check_password(struct crash_sim *s, struct store *snap, int rootfd,
			   const struct crash_label *l)
{
	struct vault_keys *keys = NULL;
	struct config c;

	if (keys_unlock(snap, rootfd, s->pw_new, strlen(s->pw_new), &c, &keys) < 0 &&
	    keys_unlock(snap, rootfd, s->pw_old, strlen(s->pw_old), &c, &keys) < 0)
		violate(s, l, "veilfs.conf", "opens with neither password");
	vault_keys_free(keys);
}

/* (a)-(c) on the state snap (taken over and freed). */
static void check_state(struct crash_sim *s, struct store *snap, int rootfd,
			const struct crash_label *l)
{
	struct vault *v;
	struct vnode *root;

	if (!(v = open_state(s, snap, rootfd, l)))
		return;
	for (int i = 0; i < s->n; i++)
		s->e[i].seen = false;
	s->state_unreadable = 0;
	root = vault_root(v);
	walk_dir(s, v, root, "", 0, l);
	check_missing(s, l);
	vnode_unref(v, root);
	vault_close(v);
}

/*
 * (d) with repair, on a second copy of a state where fsck found something: fsck --repair,
 * then fsck again, which must find exactly what was not repaired; the repaired state is
 * checked as (a)-(c) again (its violations are labelled "repaired").
 */
static void check_repair(struct crash_sim *s, const struct crash_label *l, struct store *src,
			 unsigned found)
{
	const struct fsck_options o = { .repair = true };
	const struct crash_label lr = { l->op, l->op_name, "repaired" };
	struct fsck_counts before, after;
	struct store *snap;
	int rootfd, r;

	if (store_mem_snapshot(src, &snap, &rootfd) < 0) {
		violate(s, l, "/", "snapshot fails");
		return;
	}
	r = fsck_either_password(s, snap, rootfd, &o, NULL, NULL, &before);
	if (r == 0 && before.problems != found)
		violate(s, l, "/", "fsck --repair finds other problems than fsck");
	if (r == 0 && before.repaired) {
		s->repaired += (unsigned)before.repaired;
		s->repaired_states++;
		r = fsck_either_password(s, snap, rootfd, NULL, NULL, NULL, &after);
		if (r == 0 && after.problems != before.problems - before.repaired)
			violate(s, &lr, "/", "fsck after --repair finds what it repaired");
	}
	if (r < 0)
		violate(s, l, "veilfs.conf", "fsck --repair cannot run: %s", err_name(r));
	if (r == 0 && before.repaired) {
		check_state(s, snap, rootfd, &lr);
		return;
	}
	(void)store_close(snap, rootfd);
	store_free(snap);
}

void crash_check_from(struct crash_sim *s, const struct crash_label *l, struct store *src)
{
	struct store *snap;
	unsigned found;
	int rootfd;

	if (store_mem_snapshot(src, &snap, &rootfd) < 0) {
		violate(s, l, "/", "snapshot fails");
		return;
	}
	s->states++;
	if (!strcmp(l->kind, "torn"))
		s->torn++;
	else if (!strcmp(l->kind, "reordered"))
		s->reordered++;
	found = run_fsck(s, snap, rootfd, l);
	if (s->pw_old != s->pw_new)
		check_password(s, snap, rootfd, l);
	check_state(s, snap, rootfd, l);
	/* fsck must see what a crash leaves unreadable */
	if (s->state_unreadable && !found)
		violate(s, l, "/", "fsck finds nothing where a name or file is unreadable");
	if (found)
		check_repair(s, l, src, found);
}

/* Copy what a crash now would leave and check it as a fresh vault. */
static void check_now(struct crash_sim *s, const struct crash_label *l)
{
	crash_check_from(s, l, s->mem);
}

/* --- recording --- */

static int ino_slot(uint64_t *inos, int *n, uint64_t ino)
{
	for (int i = 0; i < *n; i++)
		if (inos[i] == ino)
			return i;
	if (*n == CRASH_INOS)
		return -1;
	inos[*n] = ino;
	return (*n)++;
}

/* Remember the step's last write and last fsync of each lower inode. */
static void note_event(struct crash_sim *s, const struct store_record_event *e)
{
	int i;

	if (!e->ino)
		return;
	if (e->op == STORE_RECORD_FSYNC) {
		if ((i = ino_slot(s->synced_ino, &s->nsyncs, e->ino)) >= 0)
			s->synced_at[i] = e->index + 1;
	} else if (e->op == STORE_RECORD_PWRITE || e->op == STORE_RECORD_FTRUNCATE) {
		if ((i = ino_slot(s->last_write_ino, &s->nwrites, e->ino)) >= 0)
			s->last_write_at[i] = e->index + 1;
	}
}

void crash_record_hook(void *arg, const struct store_record_event *e)
{
	struct crash_sim *s = arg;
	const struct crash_label l = { e->index, store_record_op_name(e->op),
				       e->op == STORE_RECORD_TORN ? "torn" : "prefix" };

	note_event(s, e);
	if (e->op != STORE_RECORD_FSYNC && s->v)
		check_now(s, &l);
	crash_reorder_event(s, e, s->v != NULL);
}

/* (b): each lower file the step wrote was fsynced after its last write. */
static void check_synced(struct crash_sim *s, const struct crash_label *l)
{
	for (int i = 0; i < s->nwrites; i++) {
		int j = ino_slot(s->synced_ino, &s->nsyncs, s->last_write_ino[i]);

		if (j < 0 || s->synced_at[j] <= s->last_write_at[i])
			violate(s, l, "(lower file)", "written in a step but not fsynced after");
	}
	s->nwrites = s->nsyncs = 0;
	memset(s->synced_at, 0, sizeof(s->synced_at));
}

/* The step is done (and fsynced): the state must now be exactly the new one. */
void crash_step_end(struct crash_sim *s)
{
	const struct crash_label l = { UINT32_MAX, "end of step", "step-end" };

	for (int i = 0; i < s->n; i++) {
		s->e[i].old = s->e[i].new;
		s->e[i].moved = 0;
	}
	s->pw_old = s->pw_new;
	check_now(s, &l);
	check_synced(s, &l);
}
