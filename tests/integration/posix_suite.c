/*
 * posix_suite.c - runner of the table-driven POSIX behaviour suite.
 *
 *   posix_suite [-k] [-l] [-t N[,N...]] [--perm] DIR
 *
 * Each case runs in a forked child inside its own fresh directory
 * DIR/cNNN, prints "ok N - name" or "not ok N - name: reason" and
 * the runner ends with "N passed, N failed, N skipped". The directory of
 * a passing case is removed; a failing case's directory is kept.
 */
#include "posix_cases.h"
#include "util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { CASE_TIMEOUT_S = 300, MAX_SELECT = 256 };

struct tcase {
	const char *name;
	int (*fn)(void);
};

#define CASE_ENTRY(n) { #n, case_##n },
static const struct tcase posix_table[] = { POSIX_CASES(CASE_ENTRY) };
static const struct tcase perm_table[] = { PERM_CASES(CASE_ENTRY) };

struct opts {
	bool keep, list, perm;
	int nsel;
	int sel[MAX_SELECT];
	const char *dir;
};

static void usage(void)
{
	fprintf(stderr, "usage: posix_suite [-k] [-l] [-t N[,N...]] [--perm] DIR\n"
			"  -k      keep the directories of passing cases\n"
			"  -l      list the cases and exit\n"
			"  -t      run only the listed case numbers\n"
			"  --perm  run the permission cases (as root, on a mount with\n"
			"          -o allow_other,default_permissions)\n");
	exit(2);
}

static void parse_select(struct opts *o, char *s)
{
	for (char *t = strtok(s, ","); t && o->nsel < MAX_SELECT; t = strtok(NULL, ","))
		o->sel[o->nsel++] = atoi(t);
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-k"))
			o->keep = true;
		else if (!strcmp(argv[i], "-l"))
			o->list = true;
		else if (!strcmp(argv[i], "--perm"))
			o->perm = true;
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			parse_select(o, argv[++i]);
		else
			usage();
	}
	if (i < argc)
		o->dir = argv[i++];
	if (i != argc || (!o->dir && !o->list))
		usage();
}

static bool selected(const struct opts *o, int num)
{
	if (o->nsel == 0)
		return true;
	for (int i = 0; i < o->nsel; i++)
		if (o->sel[i] == num)
			return true;
	return false;
}

/* In the child: run one case in DIR/cNNN and exit 0 pass, 1 fail, 2 skip. */
static void run_child(int rootfd, int num, const struct tcase *tc, bool keep)
{
	char sub[32];
	int r;

	snprintf(sub, sizeof(sub), "c%03d", num);
	alarm(CASE_TIMEOUT_S);
	umask(022);
	if (rm_rf_at(rootfd, sub) < 0 || mkdirat(rootfd, sub, 0777) < 0 ||
	    fchmodat(rootfd, sub, 0777, 0) < 0 || fchdir(rootfd) < 0 || chdir(sub) < 0) {
		if (!g_reason[0])
			snprintf(g_reason, sizeof(g_reason), "cannot make '%s': %s", sub,
				 errname(errno));
		printf("not ok %d - %s: setup: %s\n", num, tc->name, g_reason);
		exit(1);
	}
	r = tc->fn();
	if (fchdir(rootfd) < 0)
		r = -1;
	if (r == 0 && !keep && rm_rf_at(rootfd, sub) < 0) {
		printf("not ok %d - %s: cleanup: %s\n", num, tc->name, g_reason);
		exit(1);
	}
	if (r == 0)
		printf("ok %d - %s\n", num, tc->name);
	else if (r > 0)
		printf("ok %d - %s # SKIP %s\n", num, tc->name, g_reason);
	else
		printf("not ok %d - %s: %s (kept %s)\n", num, tc->name, g_reason, sub);
	exit(r == 0 ? 0 : r > 0 ? 2 : 1);
}

/* Returns 0 pass, 1 fail, 2 skip. */
static int run_case(int rootfd, int num, const struct tcase *tc, bool keep)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("not ok %d - %s: fork: %s\n", num, tc->name, errname(errno));
		return 1;
	}
	if (pid == 0)
		run_child(rootfd, num, tc, keep);
	if (waitpid(pid, &status, 0) < 0) {
		printf("not ok %d - %s: waitpid: %s\n", num, tc->name, errname(errno));
		return 1;
	}
	if (WIFSIGNALED(status)) {
		printf("not ok %d - %s: killed by signal %s%s\n", num, tc->name,
		       sigabbrev_np(WTERMSIG(status)),
		       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		return 1;
	}
	return WEXITSTATUS(status) > 2 ? 1 : WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	const struct tcase *table;
	size_t ncases;
	int counts[3] = { 0, 0, 0 };
	struct opts o;
	int rootfd;

	parse_args(&o, argc, argv);
	table = o.perm ? perm_table : posix_table;
	ncases = o.perm ? sizeof(perm_table) / sizeof(perm_table[0])
			: sizeof(posix_table) / sizeof(posix_table[0]);
	if (o.list) {
		for (size_t i = 0; i < ncases; i++)
			printf("%zu %s\n", i + 1, table[i].name);
		return 0;
	}
	if (o.perm && geteuid() != 0) {
		fprintf(stderr, "posix_suite: --perm needs root\n");
		return 2;
	}
	rootfd = open(o.dir, O_RDONLY | O_DIRECTORY);
	if (rootfd < 0) {
		fprintf(stderr, "posix_suite: cannot open '%s': %s\n", o.dir, strerror(errno));
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%zu\n", ncases);
	for (size_t i = 0; i < ncases; i++)
		if (selected(&o, (int)i + 1))
			counts[run_case(rootfd, (int)i + 1, &table[i], o.keep)]++;
	printf("%d passed, %d failed, %d skipped\n", counts[0], counts[1], counts[2]);
	close(rootfd);
	return counts[1] ? 1 : 0;
}
