/*
 * Key files and recovery-key files for the CLI (auth.h): reading them into secmem as
 * typed secrets, and creating new ones exclusively with mode 0600; the typed secret that
 * names the TPM for a TPM slot. File contents are never printed or logged; messages name
 * the file only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/secmem.h"
#include "cli/auth.h"
#include "cli/cli.h"
#include "keys/keyslots.h"
#include "keys/tpm.h"

enum { RECOVERY_FILE_MAX = 256 };

bool auth_option(struct password_source *src, int c, const char *arg)
{
	switch (c) {
	case AUTH_OPT_PASSFILE:
		src->passfile = arg;
		return true;
	case AUTH_OPT_EXTPASS:
		src->extpass = arg;
		return true;
	case AUTH_OPT_KEYFILE:
		src->keyfile = arg;
		return true;
	case AUTH_OPT_RECOVERY_KEY:
		src->recovery_key = arg;
		return true;
	case AUTH_OPT_TPM:
		src->tpm = true;
		return true;
	default:
		return false;
	}
}

unsigned auth_source_count(const struct password_source *src)
{
	return !!src->passfile + !!src->extpass + !!src->keyfile + !!src->recovery_key +
	       !!src->tpm;
}

const char *auth_tpm_tcti(void)
{
	const char *t = getenv("TPM2TOOLS_TCTI");

	return t && *t ? t : AUTH_TPM_TCTI_DEFAULT;
}

int auth_tpm_secret(struct password *pw, bool unlock)
{
	const char *tcti = auth_tpm_tcti();
	size_t len = strlen(tcti);

	pw->data = NULL;
	pw->len = 0;
	if (len > TPM_TCTI_MAX) {
		cli_error("TPM2TOOLS_TCTI is longer than %d bytes", TPM_TCTI_MAX);
		return CLI_EXIT_USAGE;
	}
	/* the library's messages would repeat ours, unless the user asked for them */
	if (setenv("TSS2_LOG", "all+NONE", 0) < 0) {
		cli_error("cannot set TSS2_LOG: %s", strerror(errno));
		return CLI_EXIT_ERROR;
	}
	pw->data = secmem_alloc(len + KEYS_SECRET_OVERHEAD + 1);
	if (!pw->data) {
		cli_error("cannot prepare the TPM unlock: %s", strerror(ENOMEM));
		return CLI_EXIT_ERROR;
	}
	keys_secret_encode(CONFIG_SLOT_TPM, (const uint8_t *)tcti, len, (uint8_t *)pw->data);
	pw->len = len + KEYS_SECRET_OVERHEAD;
	pw->data[pw->len] = '\0';
	cli_note_tpm_auth(unlock);
	return 0;
}

/* Read up to max bytes of path into buf; *len gets the count, max + 1 means too long. */
static int read_small(const char *path, const char *what, uint8_t *buf, size_t max, size_t *len)
{
	ssize_t n;
	int fd, err;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = errno;
		cli_error("cannot open %s '%s': %s", what, path, strerror(err));
		return CLI_EXIT_ERROR;
	}
	while (*len <= max) {
		n = read(fd, buf + *len, max + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			close(fd);
			secure_wipe(buf, max + 1);
			cli_error("cannot read %s '%s': %s", what, path, strerror(err));
			return CLI_EXIT_ERROR;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	return 0;
}

static int read_keyfile(const char *path, struct password *pw)
{
	uint8_t *raw = secmem_alloc(KEYFILE_MAX + 1);
	size_t len = 0;
	int r = CLI_EXIT_ERROR;

	if (!raw) {
		cli_error("cannot read key file: %s", strerror(ENOMEM));
		return CLI_EXIT_ERROR;
	}
	if ((r = read_small(path, "key file", raw, KEYFILE_MAX, &len)) != 0)
		goto out;
	r = CLI_EXIT_USAGE;
	if (len < KEYFILE_MIN || len > KEYFILE_MAX) {
		cli_error("key file '%s' must hold %d to %d bytes", path, KEYFILE_MIN, KEYFILE_MAX);
		goto out;
	}
	r = CLI_EXIT_ERROR;
	pw->data = secmem_alloc(len + KEYS_SECRET_OVERHEAD + 1);
	if (!pw->data) {
		cli_error("cannot read key file: %s", strerror(ENOMEM));
		goto out;
	}
	keys_secret_encode(CONFIG_SLOT_KEYFILE, raw, len, (uint8_t *)pw->data);
	pw->len = len + KEYS_SECRET_OVERHEAD;
	pw->data[pw->len] = '\0';
	r = 0;
out:
	secmem_free(raw);
	return r;
}

static int read_recovery(const char *path, struct password *pw)
{
	uint8_t *raw = secmem_alloc(RECOVERY_FILE_MAX + 1), *key = secmem_alloc(RECOVERY_KEY_LEN);
	size_t len = 0, end;
	int r = CLI_EXIT_ERROR;

	if (!raw || !key) {
		cli_error("cannot read recovery key: %s", strerror(ENOMEM));
		goto out;
	}
	if ((r = read_small(path, "recovery key file", raw, RECOVERY_FILE_MAX, &len)) != 0)
		goto out;
	/* The first line; a CR before its newline is ignored. */
	for (end = 0; end < len && raw[end] != '\n'; end++)
		;
	if (end > 0 && raw[end - 1] == '\r')
		end--;
	r = CLI_EXIT_USAGE;
	if (len > RECOVERY_FILE_MAX || recovery_key_parse((const char *)raw, end, key) < 0) {
		cli_error("recovery key file '%s' does not hold a recovery key (64 hex digits)",
			  path);
		goto out;
	}
	r = CLI_EXIT_ERROR;
	pw->data = secmem_alloc(RECOVERY_KEY_LEN + KEYS_SECRET_OVERHEAD + 1);
	if (!pw->data) {
		cli_error("cannot read recovery key: %s", strerror(ENOMEM));
		goto out;
	}
	keys_secret_encode(CONFIG_SLOT_RECOVERY, key, RECOVERY_KEY_LEN, (uint8_t *)pw->data);
	pw->len = RECOVERY_KEY_LEN + KEYS_SECRET_OVERHEAD;
	pw->data[pw->len] = '\0';
	r = 0;
out:
	secmem_free(raw);
	secmem_free(key);
	return r;
}

int auth_read_typed(const struct password_source *src, struct password *pw)
{
	pw->data = NULL;
	pw->len = 0;
	if (auth_source_count(src) != 1) {
		cli_error("give one of --passfile, --extpass, --keyfile, --recovery-key and --tpm");
		return CLI_EXIT_USAGE;
	}
	if (src->tpm)
		return auth_tpm_secret(pw, true);
	return src->keyfile ? read_keyfile(src->keyfile, pw) : read_recovery(src->recovery_key, pw);
}

int auth_write_secret_file(const char *path, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t done = 0;
	ssize_t w;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = errno;
		cli_error("cannot create '%s': %s", path, strerror(err));
		return CLI_EXIT_ERROR;
	}
	while (done < n && !err) {
		w = write(fd, p + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			err = errno;
		else
			done += (size_t)w;
	}
	if (!err && fsync(fd) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (err) {
		(void)unlink(path);
		cli_error("cannot write '%s': %s", path, strerror(err));
		return CLI_EXIT_ERROR;
	}
	return 0;
}
