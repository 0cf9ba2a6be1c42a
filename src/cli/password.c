/*
 * Password input for the CLI: passfile, external command, terminal prompt without echo,
 * or piped standard input. The external command and the terminal are the platform's
 * (password_tty.c on POSIX, password_tty_win32.c in the Windows build). Every byte of a
 * password goes straight into secmem memory; nothing is buffered by stdio.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/secmem.h"
#include "cli/auth.h"
#include "cli/cli.h"
#include "cli/password.h"
#include "cli/password_internal.h"
#include "keys/params.h"

/*
 * Read one line from fd into buf (PASSWORD_BUF bytes), one byte at a time so that nothing
 * after the newline is consumed (the next line of stdin may be the next password).
 * Strips the newline and a CR before it. Returns a line_status, or -errno.
 */
int password_read_line(int fd, char *buf, size_t *len)
{
	size_t n = 0;
	char ch;
	ssize_t r;

	*len = 0;
	for (;;) {
		r = read(fd, &ch, 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			secure_wipe(buf, PASSWORD_BUF);
			return (int)r;
		}
		if (r == 0 || ch == '\n')
			break;
		if (n == PASSWORD_MAX) {
			secure_wipe(buf, PASSWORD_BUF);
			return LINE_TOO_LONG;
		}
		buf[n++] = ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	secure_wipe(&ch, sizeof(ch));
	return n ? LINE_OK : LINE_EMPTY;
}

/*
 * Map a password_read_line() result to an exit status, printing why it failed. from
 * names the source ("standard input"), with file (a path, or NULL) quoted after it.
 */
int password_line_result(int r, const char *from, const char *file)
{
	const char *q = file ? " '" : "", *f = file ? file : "", *e = file ? "'" : "";

	switch (r) {
	case LINE_OK:
		return 0;
	case LINE_EMPTY:
		cli_error("empty password from %s%s%s%s", from, q, f, e);
		return CLI_EXIT_USAGE;
	case LINE_TOO_LONG:
		cli_error("password from %s%s%s%s is longer than %d bytes", from, q, f, e,
			  PASSWORD_MAX);
		return CLI_EXIT_USAGE;
	default:
		cli_error("cannot read password from %s%s%s%s: %s", from, q, f, e, strerror(-r));
		return CLI_EXIT_ERROR;
	}
}

/*
 * A password in a regular file that group or others may read is everybody's password:
 * say so (the command goes on; pipes and devices such as /dev/stdin are not checked).
 */
static void warn_if_shared(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & (S_IRGRP | S_IROTH)))
		cli_error("warning: password file '%s' is readable by %s (mode %04o); "
			  "chmod 600 it", path,
			  (st.st_mode & S_IRGRP) && (st.st_mode & S_IROTH) ? "group and others"
			  : (st.st_mode & S_IRGRP)			      ? "its group"
									      : "others",
			  (unsigned)(st.st_mode & 07777));
}

static int read_passfile(const char *path, char *buf, size_t *len)
{
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = errno;
		cli_error("cannot open password file '%s': %s", path, strerror(r));
		return CLI_EXIT_ERROR;
	}
	warn_if_shared(fd, path);
	r = password_read_line(fd, buf, len);
	close(fd);
	return password_line_result(r, "password file", path);
}

void password_free(struct password *pw)
{
	secmem_free(pw->data);
	pw->data = NULL;
	pw->len = 0;
}

int password_read(const struct password_source *src, const char *prompt, bool confirm,
		  struct password *pw)
{
	char *again = NULL;
	size_t againlen = 0;
	int r;

	if (src->keyfile || src->recovery_key || src->tpm)
		return auth_read_typed(src, pw);
	pw->len = 0;
	pw->data = secmem_alloc(PASSWORD_BUF);
	if (!pw->data) {
		cli_error("cannot read password: %s", strerror(ENOMEM));
		return CLI_EXIT_ERROR;
	}
	if (src->passfile && src->extpass) {
		cli_error("--passfile and --extpass cannot be used together");
		r = CLI_EXIT_USAGE;
	} else if (src->passfile) {
		r = read_passfile(src->passfile, pw->data, &pw->len);
	} else if (src->extpass) {
		r = password_extpass(src->extpass, pw->data, &pw->len);
	} else if (!isatty(STDIN_FILENO)) {
		r = password_line_result(password_read_line(STDIN_FILENO, pw->data, &pw->len),
					 "standard input", NULL);
	} else {
		r = password_terminal(prompt, pw->data, &pw->len);
		if (r == 0 && confirm) {
			r = CLI_EXIT_ERROR;
			again = secmem_alloc(PASSWORD_BUF);
			if (!again)
				cli_error("cannot read password: %s", strerror(ENOMEM));
			else
				r = password_terminal("Repeat password: ", again, &againlen);
			if (r == 0 && (againlen != pw->len ||
				       !keys_secret_equal(again, pw->data, pw->len))) {
				cli_error("passwords do not match");
				r = CLI_EXIT_USAGE;
			}
		}
	}
	secmem_free(again);
	if (r != 0)
		password_free(pw);
	return r;
}
