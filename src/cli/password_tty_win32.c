/*
 * The external password command and the terminal prompt in the Windows build (instead of
 * password_tty.c): --extpass runs through the runtime's _popen (cmd.exe), its first line
 * is the password; the prompt turns the console's echo off (SetConsoleMode) while the
 * line is read, and back on after it. No console on stdin: the prompt is refused with a
 * hint (--passfile, --keyfile, --recovery-key or a pipe work everywhere).
 */
#include <stdio.h>
#include <string.h>
#include <windows.h>
#include "base/secmem.h"
#include "cli/cli.h"
#include "cli/password_internal.h"

int password_extpass(const char *cmd, char *buf, size_t *len)
{
	char drain[512];
	size_t drained = 0, n;
	FILE *p = _popen(cmd, "rb");
	int line, status;

	if (!p) {
		cli_error("cannot run password command '%s'", cmd);
		return CLI_EXIT_ERROR;
	}
	line = password_read_line(_fileno(p), buf, len);
	while (drained < EXTPASS_DRAIN_MAX && (n = fread(drain, 1, sizeof(drain), p)) > 0)
		drained += n;
	secure_wipe(drain, sizeof(drain));
	status = _pclose(p);
	if (status != 0) {
		secure_wipe(buf, PASSWORD_BUF);
		*len = 0;
		cli_error("password command '%s' failed with exit status %d", cmd, status);
		return CLI_EXIT_ERROR;
	}
	return password_line_result(line, "the password command", NULL);
}

int password_terminal(const char *prompt, char *buf, size_t *len)
{
	HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
	DWORD mode;
	int r;

	if (!GetConsoleMode(in, &mode)) {
		cli_error("no console to prompt for the password on: give --passfile, --keyfile "
			  "or --recovery-key, or pipe it to standard input");
		return CLI_EXIT_USAGE;
	}
	(void)SetConsoleMode(in, mode & ~(DWORD)ENABLE_ECHO_INPUT);
	fputs(prompt, stderr);
	fflush(stderr);
	r = password_read_line(STDIN_FILENO, buf, len);
	fputc('\n', stderr);
	(void)SetConsoleMode(in, mode);
	return password_line_result(r, "the terminal", NULL);
}
