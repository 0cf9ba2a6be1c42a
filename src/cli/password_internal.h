/*
 * Declarations private to the CLI's password input: password.c (sources, lines) and the
 * platform's external command and terminal (password_tty.c; password_tty_win32.c in the
 * Windows build).
 */
#ifndef VEILFS_CLI_PASSWORD_INTERNAL_H
#define VEILFS_CLI_PASSWORD_INTERNAL_H

#include <stddef.h>
#include "cli/password.h"

enum {
	/* Room for PASSWORD_MAX bytes, one more to detect overlong lines, and the NUL. */
	PASSWORD_BUF = PASSWORD_MAX + 2,
	/* Output of --extpass beyond the first line that we read and discard. */
	EXTPASS_DRAIN_MAX = 1 << 20,
};

/* Result of reading one line. */
enum line_status {
	LINE_OK,
	LINE_EMPTY,    /* end of input before any byte */
	LINE_TOO_LONG, /* more than PASSWORD_MAX bytes before the newline */
};

/* password.c */

/*
 * Read one line from fd into buf (PASSWORD_BUF bytes), one byte at a time so that nothing
 * after the newline is consumed. Strips the newline and a CR before it. Returns a
 * line_status, or -errno.
 */
int password_read_line(int fd, char *buf, size_t *len);
/* The exit status for the result r of password_read_line() from a source (a message). */
int password_line_result(int r, const char *from, const char *file);

/* password_tty.c / password_tty_win32.c */

/* The first line cmd prints (run by the platform's shell); an exit status. */
int password_extpass(const char *cmd, char *buf, size_t *len);
/* Show prompt on stderr and read a line from the terminal without echo; an exit status. */
int password_terminal(const char *prompt, char *buf, size_t *len);

#endif
