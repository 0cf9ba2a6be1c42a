/*
 * Password input for the CLI: passfile, external command, terminal prompt without echo,
 * or piped standard input. Owns the terminal state while prompting (restored on every
 * path, also when a signal arrives) and the child process of --extpass. Every byte of a
 * password goes straight into secmem memory; nothing is buffered by stdio.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "base/secmem.h"
#include "cli/auth.h"
#include "cli/cli.h"
#include "cli/password.h"
#include "keys/params.h"

extern char **environ;

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

/*
 * Read one line from fd into buf (PASSWORD_BUF bytes), one byte at a time so that nothing
 * after the newline is consumed (the next line of stdin may be the next password).
 * Strips the newline and a CR before it. Returns a line_status, or -errno.
 */
static int read_line(int fd, char *buf, size_t *len)
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
 * Map a read_line() result to an exit status, printing why it failed. from names the
 * source ("standard input"), with file (a path, or NULL) quoted after it.
 */
static int line_result(int r, const char *from, const char *file)
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
	r = read_line(fd, buf, len);
	close(fd);
	return line_result(r, "password file", path);
}

static int read_extpass(const char *cmd, char *buf, size_t *len)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };
	char drain[512];
	int pipefd[2], r, status, line, err;
	size_t drained = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd) < 0) {
		cli_error("cannot run password command: %s", strerror(errno));
		return CLI_EXIT_ERROR;
	}
	(void)fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(pipefd[1], F_SETFD, FD_CLOEXEC);
	if ((err = posix_spawn_file_actions_init(&fa)) != 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		cli_error("cannot run password command: %s", strerror(err));
		return CLI_EXIT_ERROR;
	}
	/* dup2 clears close-on-exec on the child's stdout; both pipe ends close at exec. */
	err = posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	if (!err)
		err = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (err) {
		close(pipefd[0]);
		cli_error("cannot run password command '%s': %s", cmd, strerror(err));
		return CLI_EXIT_ERROR;
	}

	line = read_line(pipefd[0], buf, len);
	/* Drain (bounded) so that a command printing more than one line exits normally. */
	while (drained < EXTPASS_DRAIN_MAX) {
		n = read(pipefd[0], drain, sizeof(drain));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		drained += (size_t)n;
	}
	secure_wipe(drain, sizeof(drain));
	close(pipefd[0]);
	while ((r = (int)waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		secure_wipe(buf, PASSWORD_BUF);
		*len = 0;
		if (r >= 0 && WIFEXITED(status))
			cli_error("password command '%s' failed with exit status %d", cmd,
				  WEXITSTATUS(status));
		else
			cli_error("password command '%s' did not exit normally", cmd);
		return CLI_EXIT_ERROR;
	}
	return line_result(line, "the password command", NULL);
}

/* Terminal state saved while echo is off; restored by prompt_restore() or a signal. */
static struct termios saved_termios;
static volatile sig_atomic_t termios_saved;
static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
static struct sigaction saved_actions[ARRAY_SIZE(prompt_signals)];

static void prompt_on_signal(int sig)
{
	if (termios_saved)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	termios_saved = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void prompt_restore(void)
{
	size_t i;

	if (termios_saved)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	termios_saved = 0;
	for (i = 0; i < ARRAY_SIZE(prompt_signals); i++)
		(void)sigaction(prompt_signals[i], &saved_actions[i], NULL);
}

/* Show prompt on stderr and read a line from the terminal on stdin without echo. */
static int read_terminal(const char *prompt, char *buf, size_t *len)
{
	struct termios quiet;
	struct sigaction sa;
	size_t i;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = prompt_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(prompt_signals); i++)
		(void)sigaction(prompt_signals[i], &sa, &saved_actions[i]);
	if (tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
		quiet = saved_termios;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		termios_saved = 1;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	fputs(prompt, stderr);
	fflush(stderr);
	r = read_line(STDIN_FILENO, buf, len);
	fputc('\n', stderr);
	prompt_restore();
	return line_result(r, "the terminal", NULL);
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
		r = read_extpass(src->extpass, pw->data, &pw->len);
	} else if (!isatty(STDIN_FILENO)) {
		r = line_result(read_line(STDIN_FILENO, pw->data, &pw->len), "standard input", NULL);
	} else {
		r = read_terminal(prompt, pw->data, &pw->len);
		if (r == 0 && confirm) {
			r = CLI_EXIT_ERROR;
			again = secmem_alloc(PASSWORD_BUF);
			if (!again)
				cli_error("cannot read password: %s", strerror(ENOMEM));
			else
				r = read_terminal("Repeat password: ", again, &againlen);
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
