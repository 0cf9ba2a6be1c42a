/*
 * The coordination state of one client (coord.h) and the lock entry point: byte-range
 * locks of the lower file system for COORD_LOCKS, the file's lock file for
 * COORD_LOCKFILES (lockfile.c), nothing for COORD_OFF.
 */
#include <errno.h>
#include <string.h>
#include "base/log.h"
#include "coord/coord.h"
#include "crypto/kdf.h"

int coord_init(struct coord *c, struct store *s, int rootfd, enum coord_mode mode,
	       enum coord_fresh fresh, unsigned lease_ms)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t id[COORD_CLIENT_ID_LEN / 2];
	size_t i;
	int r;

	memset(c, 0, sizeof(*c));
	if (mode != COORD_OFF && mode != COORD_LOCKS && mode != COORD_LOCKFILES)
		return -EINVAL;
	c->store = s;
	c->rootfd = rootfd;
	c->mode = mode;
	c->fresh = mode == COORD_OFF ? COORD_FRESH_NONE : fresh;
	c->lease_ms = lease_ms ? lease_ms : COORD_LEASE_MS_DEFAULT;
	atomic_init(&c->seq, 0);
	if ((r = random_bytes(id, sizeof(id))) < 0)
		return r;
	for (i = 0; i < sizeof(id); i++) {
		c->client_id[2 * i] = hex[id[i] >> 4];
		c->client_id[2 * i + 1] = hex[id[i] & 15];
	}
	c->client_id[COORD_CLIENT_ID_LEN] = '\0';
	return 0;
}

void coord_file_init(struct coord_file *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mutex, NULL);
}

void coord_file_release(struct coord_file *f)
{
	pthread_mutex_destroy(&f->mutex);
}

int coord_lock(struct coord *c, struct coord_file *f, int fd, const char *path, uint64_t off,
	       uint64_t len, bool exclusive)
{
	int r;

	switch (c->mode) {
	case COORD_OFF:
		return 0;
	case COORD_LOCKFILES:
		return coord_lockfile_acquire(c, f, path);
	case COORD_LOCKS:
		break;
	}
	r = store_lock(c->store, fd, off, len, exclusive, true);
	if (r < 0)
		log_error("cannot lock bytes %llu+%llu of '%s': %s", (unsigned long long)off,
			  (unsigned long long)len, path, strerror(-r));
	return r;
}

void coord_unlock(struct coord *c, struct coord_file *f, int fd, uint64_t off, uint64_t len)
{
	switch (c->mode) {
	case COORD_OFF:
		return;
	case COORD_LOCKFILES:
		coord_lockfile_release(c, f);
		return;
	case COORD_LOCKS:
		break;
	}
	/* an unlock of a held range cannot fail on any lower fs we use; the lock also goes
	 * with the handle when it is closed */
	(void)store_unlock(c->store, fd, off, len);
}
