/*
 * The entry points of fsck (fsck.h): unlock the config with the password, set up the
 * keys, the cipher and the buffers of one run, and walk from the root. Owns nothing of
 * what is checked (walk.c, file.c, attrs.c) or repaired (repair.c): no call here creates,
 * writes, renames or removes anything, and it never prints.
 */
#include <errno.h>
#include <stdlib.h>
#include "base/secmem.h"
#include "crypto/aead.h"
#include "fsck/fsck_internal.h"
#include "keys/config_file.h"
#include "keys/keys.h"
#include "store/store.h"

static void fsck_release(struct fsck *f)
{
	vault_keys_free(f->keys);
	aead_ctx_free(f->aead);
	secmem_free(f->file_key);
	if (f->pbuf)
		secure_wipe(f->pbuf, f->geom.plain_size);
	free(f->pbuf);
	free(f->cbuf);
	buf_release(&f->lower);
	buf_release(&f->plain);
	buf_release(&f->blobs);
	buf_release(&f->xblobs);
	secure_wipe(&f->cfg, sizeof(f->cfg));
}

/* Load the config (a regular file, or -EPROTO) and unlock its keys with the password. */
static int fsck_unlock(struct fsck *f, int rootfd, const char *pw, size_t pwlen)
{
	struct stat st;
	int r;

	if ((r = store_fstatat(f->s, rootfd, CONFIG_FILE_NAME, &st, STORE_AT_NOFOLLOW)) < 0)
		return r;
	if (!S_ISREG(st.st_mode))
		return -EPROTO;
	if ((r = keys_unlock(f->s, rootfd, pw, pwlen, &f->cfg, &f->keys)) < 0)
		return r;
	f->plaintext_names = f->cfg.features & CONFIG_FEATURE_PLAINTEXT_NAMES;
	return 0;
}

/* The block geometry, the cipher and the buffers of the config's cipher. */
static int fsck_setup_codec(struct fsck *f)
{
	size_t nonce_len = aead_nonce_len((enum aead_alg)f->cfg.cipher);

	if (!nonce_len)
		return -EPROTO;
	block_geom_init(&f->geom, f->cfg.block_size, (uint32_t)nonce_len);
	f->aead = aead_ctx_new((enum aead_alg)f->cfg.cipher);
	f->file_key = secmem_alloc(FILE_KEY_LEN);
	f->cbuf = malloc((size_t)FSCK_CHUNK_BLOCKS * f->geom.cipher_size);
	f->pbuf = malloc(f->geom.plain_size);
	if (!f->aead || !f->file_key || !f->cbuf || !f->pbuf)
		return -ENOMEM;
	f->codec = (struct codec){ .geom = &f->geom, .aead = f->aead, .file_id = f->file_id,
				   .key = f->file_key };
	return 0;
}

/* The root must at least be listable; anything below is reported and walked past. */
static int root_listable(struct store *s, int rootfd)
{
	struct store_dir *d;
	int r;

	if ((r = store_dir_open(s, rootfd, &d)) < 0)
		return r;
	store_dir_close(s, d);
	return 0;
}

int fsck_run_store_opts(struct store *s, int rootfd, const char *pw, size_t pwlen,
			const struct fsck_options *o, fsck_report_fn report, void *arg,
			struct fsck_counts *counts)
{
	struct fsck f;
	int r;

	memset(counts, 0, sizeof(*counts));
	memset(&f, 0, sizeof(f));
	buf_init(&f.lower);
	buf_init(&f.plain);
	buf_init(&f.blobs);
	buf_init(&f.xblobs);
	f.s = s;
	f.rootfd = rootfd;
	f.report = report;
	f.arg = arg;
	f.counts = counts;
	f.repair = o && o->repair;
	if ((r = fsck_unlock(&f, rootfd, pw, pwlen)) < 0 || (r = fsck_setup_codec(&f)) < 0 ||
	    (r = root_listable(s, rootfd)) < 0)
		goto out;
	fsck_walk_dir(&f, rootfd, true);
	fsck_check_link_blobs(&f);
	fsck_check_xattr_blobs(&f);
	r = 0;
out:
	fsck_release(&f);
	return r;
}

int fsck_run_store(struct store *s, int rootfd, const char *pw, size_t pwlen,
		   fsck_report_fn report, void *arg, struct fsck_counts *counts)
{
	return fsck_run_store_opts(s, rootfd, pw, pwlen, NULL, report, arg, counts);
}

int fsck_run_opts(const char *cipherdir, const char *pw, size_t pwlen,
		  const struct fsck_options *o, fsck_report_fn report, void *arg,
		  struct fsck_counts *counts)
{
	struct store *s = NULL;
	int rootfd = -1, r;

	memset(counts, 0, sizeof(*counts));
	if ((r = store_open_dir(cipherdir, &s, &rootfd)) < 0)
		return r;
	r = fsck_run_store_opts(s, rootfd, pw, pwlen, o, report, arg, counts);
	(void)store_close(s, rootfd); /* the root directory handle, only read */
	store_free(s);
	return r;
}

int fsck_run(const char *cipherdir, const char *pw, size_t pwlen, fsck_report_fn report,
	     void *arg, struct fsck_counts *counts)
{
	return fsck_run_opts(cipherdir, pw, pwlen, NULL, report, arg, counts);
}
