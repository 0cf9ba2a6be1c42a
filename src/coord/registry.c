/*
 * The mount registry (registry.h): registrations are small files in the cipher root,
 * written with store_write_atomic() and read with store_read_file() (which refuses
 * anything planted there that is not a regular file), so that a reader never sees half a
 * line and never blocks.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/clock.h"
#include "base/log.h"
#include "coord/registry.h"
#include "crypto/kdf.h"

enum {
	ID_HEX = COORD_CLIENT_ID_LEN,
	LINE_PAD = 512, /* every registration line is at least this long (spaces, newline) */
	WATCH_POLL_MS = 500,
};

/* Escape s for the line: %XX for '%', space, controls and bytes past ASCII. */
static void escape(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s && o + 4 < size; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch <= ' ' || ch == '%' || ch >= 0x7f) {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
}

static int format_line(const struct registry_entry *e, char *out, size_t size)
{
	char host[3 * REGISTRY_FIELD_MAX], mnt[3 * REGISTRY_FIELD_MAX];
	int n;

	escape(e->host, host, sizeof(host));
	escape(e->mnt, mnt, sizeof(mnt));
	n = snprintf(out, size,
		     "veilfs-mount v1 host=%s boot=%s pid=%ld mode=%s started=%lld beat=%lld "
		     "seq=%llu mnt=%s\n",
		     host, e->boot[0] ? e->boot : "-", e->pid, e->mode, (long long)e->started,
		     (long long)e->beat, (unsigned long long)e->seq, mnt);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	/* one length for every rewrite (spaces before the newline, which the parser skips),
	 * so that an in-place rewrite never leaves a shorter line behind */
	if (n < LINE_PAD && size > LINE_PAD) {
		memset(out + n - 1, ' ', (size_t)(LINE_PAD - n));
		out[LINE_PAD - 1] = '\n';
		out[LINE_PAD] = '\0';
		n = LINE_PAD;
	}
	return n;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Copy the escaped value [v, v + len) into out, unescaped. 0 or -EPROTO. */
static int unescape(const char *v, size_t len, char *out, size_t size)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (o + 1 >= size)
			return -EPROTO;
		if (v[i] != '%') {
			out[o++] = v[i];
			continue;
		}
		if (i + 2 >= len || (hi = unhex(v[i + 1])) < 0 || (lo = unhex(v[i + 2])) < 0)
			return -EPROTO;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	return 0;
}

static int parse_num(const char *v, size_t len, bool sign, long long *out)
{
	long long x = 0;
	size_t i = 0;
	bool neg = false;

	if (sign && len > 0 && v[0] == '-')
		neg = true, i = 1;
	if (i >= len || len - i > 18)
		return -EPROTO;
	for (; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EPROTO;
		x = x * 10 + (v[i] - '0');
	}
	*out = neg ? -x : x;
	return 0;
}

/* One "key=value" token into e; unknown keys are ignored (later versions may add some). */
static int parse_token(const char *t, size_t len, struct registry_entry *e, unsigned *seen)
{
	const char *eq = memchr(t, '=', len);
	size_t klen, vlen;
	long long n;
	const char *v;

	if (!eq)
		return -EPROTO;
	klen = (size_t)(eq - t);
	v = eq + 1;
	vlen = len - klen - 1;
#define KEY(s) (klen == sizeof(s) - 1 && !memcmp(t, s, klen))
	if (KEY("host")) {
		*seen |= 1;
		return unescape(v, vlen, e->host, sizeof(e->host));
	}
	if (KEY("boot"))
		return unescape(v, vlen, e->boot, sizeof(e->boot));
	if (KEY("mnt"))
		return unescape(v, vlen, e->mnt, sizeof(e->mnt));
	if (KEY("mode")) {
		*seen |= 2;
		return unescape(v, vlen, e->mode, sizeof(e->mode));
	}
	if (KEY("pid") || KEY("started") || KEY("beat") || KEY("seq")) {
		if (parse_num(v, vlen, false, &n) < 0)
			return -EPROTO;
		if (KEY("pid"))
			e->pid = (long)n, *seen |= 4;
		else if (KEY("started"))
			e->started = n;
		else if (KEY("beat"))
			e->beat = n, *seen |= 8;
		else
			e->seq = (uint64_t)n, *seen |= 16;
	}
#undef KEY
	return 0;
}

int registry_parse(const char *line, size_t len, struct registry_entry *e)
{
	static const char magic[] = "veilfs-mount v1 ";
	size_t i, start;
	unsigned seen = 0;

	memset(e, 0, sizeof(*e));
	if (len < sizeof(magic) - 1 || memcmp(line, magic, sizeof(magic) - 1) != 0)
		return -EPROTO;
	if (line[len - 1] == '\n')
		len--;
	for (i = sizeof(magic) - 1; i < len;) {
		start = i;
		while (i < len && line[i] != ' ')
			i++;
		if (i > start && parse_token(line + start, i - start, e, &seen) < 0)
			return -EPROTO;
		i++;
	}
	if (seen != 31 || !e->host[0] || !e->mode[0])
		return -EPROTO;
	if (!strcmp(e->boot, "-"))
		e->boot[0] = '\0';
	return 0;
}

/*
 * Write our registration: replaced atomically, or, on a store that cannot replace a file
 * atomically (SMB), rewritten in place with one write of a line of the same length.
 */
static int write_self(struct registry *reg)
{
	struct store *s = reg->c->store;
	char line[REGISTRY_LINE_MAX];
	int n, fd, r;

	if ((n = format_line(&reg->self, line, sizeof(line))) < 0)
		return n;
	r = store_write_atomic(s, reg->c->rootfd, reg->self.file, (const uint8_t *)line,
			       (size_t)n, 0644);
	if (r != -EOPNOTSUPP)
		return r;
	fd = store_openat(s, reg->c->rootfd, reg->self.file,
			  STORE_WRONLY | STORE_CREAT | STORE_NOFOLLOW | STORE_NONBLOCK, 0644);
	if (fd < 0)
		return fd;
	if ((r = store_pwrite_full(s, fd, line, (size_t)n, 0)) == 0)
		r = store_ftruncate(s, fd, (uint64_t)n);
	if (store_close(s, fd) < 0 && r == 0)
		r = -EIO;
	return r;
}

static bool is_registration(const char *name)
{
	size_t plen = sizeof(REGISTRY_PREFIX) - 1, i;

	if (strncmp(name, REGISTRY_PREFIX, plen) != 0 || strlen(name) != plen + ID_HEX)
		return false; /* also the temp files of store_write_atomic */
	for (i = plen; name[i]; i++)
		if (unhex(name[i]) < 0)
			return false;
	return true;
}

static int read_entry(struct coord *c, const char *name, struct registry_entry *e)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = store_read_file(c->store, c->rootfd, name, REGISTRY_LINE_MAX, &data, &len);
	if (r < 0)
		return r;
	r = registry_parse((const char *)data, len, e);
	free(data);
	if (r == 0)
		snprintf(e->file, sizeof(e->file), "%s", name);
	return r;
}

static enum registry_state judge(const struct registry_platform *plat,
				 const struct registry_entry *e)
{
	int64_t now = (int64_t)time(NULL);

	if (plat->boot[0] && !strcmp(e->boot, plat->boot) && !strcmp(e->host, plat->host))
		return plat->pid_alive(e->pid) ? REGISTRY_LIVE : REGISTRY_STALE;
	if (now - e->beat > REGISTRY_STALE_S)
		return REGISTRY_STALE;
	return REGISTRY_UNKNOWN;
}

int registry_list(struct coord *c, const struct registry_platform *plat,
		  struct registry_entry *out, enum registry_state *state, int max)
{
	struct store_dir *d = NULL;
	struct store_dirent ent;
	int n = 0, r;

	if ((r = store_dir_open(c->store, c->rootfd, &d)) < 0)
		return r;
	while (n < max && (r = store_dir_next(c->store, d, &ent)) == 1) {
		if (!is_registration(ent.name))
			continue;
		if (read_entry(c, ent.name, &out[n]) < 0) {
			log_warn("ignoring unreadable mount registration '%s'", ent.name);
			continue;
		}
		state[n] = judge(plat, &out[n]);
		n++;
	}
	store_dir_close(c->store, d);
	return r < 0 ? r : n;
}

/* Watch the registrations of other hosts: live if their seq moves within two beats. */
static void watch_unknown(struct coord *c, struct registry_entry *e, enum registry_state *st,
			  int n)
{
	uint64_t deadline = clock_mono_ms() + 2000u * REGISTRY_HEARTBEAT_S + 1000u;
	struct registry_entry now;
	bool pending = true;
	int i;

	while (pending && clock_mono_ms() < deadline) {
		clock_sleep_ms(WATCH_POLL_MS);
		pending = false;
		for (i = 0; i < n; i++) {
			if (st[i] != REGISTRY_UNKNOWN)
				continue;
			if (read_entry(c, e[i].file, &now) < 0)
				st[i] = REGISTRY_STALE; /* gone: left, or removed as stale */
			else if (now.seq != e[i].seq)
				st[i] = REGISTRY_LIVE;
			else
				pending = true;
		}
	}
	for (i = 0; i < n; i++)
		if (st[i] == REGISTRY_UNKNOWN)
			st[i] = REGISTRY_STALE;
}

static bool conflicts(const char *mine, const char *theirs)
{
	return !strcmp(mine, "off") || !strcmp(theirs, "off") || strcmp(mine, theirs) != 0;
}

static void *heartbeat(void *arg)
{
	struct registry *reg = arg;
	struct timespec until;
	int r;

	pthread_mutex_lock(&reg->mutex);
	while (!reg->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += REGISTRY_HEARTBEAT_S;
		if (pthread_cond_timedwait(&reg->cond, &reg->mutex, &until) == 0 || reg->stop)
			continue;
		reg->self.seq++;
		reg->self.beat = (int64_t)time(NULL);
		pthread_mutex_unlock(&reg->mutex);
		if ((r = write_self(reg)) < 0)
			log_warn("cannot renew mount registration '%s': %s", reg->self.file,
				 strerror(-r));
		pthread_mutex_lock(&reg->mutex);
	}
	pthread_mutex_unlock(&reg->mutex);
	return NULL;
}

/* Judge the others, remove the stale ones; the first live conflicting one, or NULL. */
static const struct registry_entry *check_others(struct registry *reg, struct registry_entry *e,
						 enum registry_state *st, int n)
{
	const struct registry_entry *bad = NULL;
	int i;

	watch_unknown(reg->c, e, st, n);
	for (i = 0; i < n; i++) {
		if (!strcmp(e[i].file, reg->self.file))
			continue;
		if (st[i] == REGISTRY_STALE && !reg->announced_planned) {
			continue; /* a read-only mount changes nothing in the cipher directory */
		} else if (st[i] == REGISTRY_STALE) {
			log_warn("removing the stale mount registration of host '%s' pid %ld "
				 "(%s at '%s')", e[i].host, e[i].pid, e[i].mode, e[i].mnt);
			/* a registration gone meanwhile is as good as removed */
			(void)store_unlinkat(reg->c->store, reg->c->rootfd, e[i].file, 0);
		} else if (!bad && conflicts(reg->self.mode, e[i].mode)) {
			bad = &e[i];
		}
	}
	return bad;
}

int registry_join(struct registry *reg, struct coord *c, const struct registry_platform *plat,
		  const char *mode, const char *mnt, bool announce,
		  struct registry_entry *conflict)
{
	struct registry_entry *e = NULL;
	const struct registry_entry *bad;
	enum registry_state *st = NULL;
	int n, r;

	memset(reg, 0, sizeof(*reg));
	reg->c = c;
	reg->announced_planned = announce;
	reg->plat = plat;
	pthread_mutex_init(&reg->mutex, NULL);
	pthread_cond_init(&reg->cond, NULL);
	snprintf(reg->self.file, sizeof(reg->self.file), REGISTRY_PREFIX "%s", c->client_id);
	snprintf(reg->self.host, sizeof(reg->self.host), "%s", plat->host);
	snprintf(reg->self.boot, sizeof(reg->self.boot), "%s", plat->boot);
	snprintf(reg->self.mode, sizeof(reg->self.mode), "%s", mode);
	snprintf(reg->self.mnt, sizeof(reg->self.mnt), "%s", mnt);
	reg->self.pid = (long)getpid();
	reg->self.started = reg->self.beat = (int64_t)time(NULL);
	e = calloc(REGISTRY_ENTRIES_MAX, sizeof(*e));
	st = calloc(REGISTRY_ENTRIES_MAX, sizeof(*st));
	r = -ENOMEM;
	if (!e || !st)
		goto out;
	/* register first: a mount starting at the same time then sees us too */
	if (announce && (r = write_self(reg)) < 0)
		goto out;
	if ((n = r = registry_list(c, plat, e, st, REGISTRY_ENTRIES_MAX)) < 0)
		goto out_leave;
	if ((bad = check_others(reg, e, st, n)) != NULL) {
		*conflict = *bad;
		r = -EBUSY;
		goto out_leave;
	}
	reg->announced = announce;
	if (announce && (r = -pthread_create(&reg->thread, NULL, heartbeat, reg)) < 0)
		goto out_leave;
	reg->running = announce;
	r = 0;
	goto out;
out_leave:
	/* r is reported; a registration left behind goes stale with this process and the next mount
	 * removes it */
	if (announce)
		(void)store_unlinkat(c->store, c->rootfd, reg->self.file, 0);
out:
	free(e);
	free(st);
	return r;
}

void registry_leave(struct registry *reg)
{
	int r;

	if (!reg->c)
		return;
	if (reg->running) {
		pthread_mutex_lock(&reg->mutex);
		reg->stop = true;
		pthread_cond_signal(&reg->cond);
		pthread_mutex_unlock(&reg->mutex);
		pthread_join(reg->thread, NULL);
		reg->running = false;
	}
	r = reg->announced ? store_unlinkat(reg->c->store, reg->c->rootfd, reg->self.file, 0) : 0;
	if (r < 0 && r != -ENOENT)
		log_warn("cannot remove mount registration '%s': %s", reg->self.file,
			 strerror(-r));
	pthread_cond_destroy(&reg->cond);
	pthread_mutex_destroy(&reg->mutex);
	reg->c = NULL;
}

int registry_mountpoint_digest(const char *canon, char hex[static REGISTRY_DIGEST_HEX_LEN + 1])
{
	static_assert(REGISTRY_DIGEST_HEX_LEN == 2 * SHA256_LEN, "two hex digits per byte");
	static const char digits[] = "0123456789abcdef";
	uint8_t digest[SHA256_LEN];
	size_t i;
	int r;

	if ((r = sha256((const uint8_t *)canon, strlen(canon), digest)) < 0) {
		memset(hex, 0, REGISTRY_DIGEST_HEX_LEN + 1);
		return r;
	}
	for (i = 0; i < SHA256_LEN; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0xf];
	}
	hex[REGISTRY_DIGEST_HEX_LEN] = '\0';
	return 0;
}
