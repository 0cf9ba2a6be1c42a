/*
 * The external password command (--extpass, run by /bin/sh through posix_spawn, its first
 * line read from a pipe) and the terminal prompt without echo, on POSIX. Owns the terminal
 * state while prompting (restored on every path, also when a signal arrives) and the child
 * process of --extpass.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "base/compiler.h"
#include "base/secmem.h"
#include "cli/cli.h"
#include "cli/password_internal.h"

extern char **environ;

int password_extpass(const char *cmd, char *buf, size_t *len)
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

	line = password_read_line(pipefd[0], buf, len);
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
	return password_line_result(line, "the password command", NULL);
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

int password_terminal(const char *prompt, char *buf, size_t *len)
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
	r = password_read_line(STDIN_FILENO, buf, len);
	fputc('\n', stderr);
	prompt_restore();
	return password_line_result(r, "the terminal", NULL);
}
