/*
 * veilfs umount: unmount a veilfs mount point and wait until its daemon has exited (so its
 * data is flushed and its keys are gone when the command returns). The daemon is found
 * through its pid file (cli/mounts.h); the wait is bounded. When the file system survives
 * in another mount namespace (a copy made by unshare -m or a container), the daemon would
 * keep serving it: after a short wait it gets SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/mounts.h"

enum {
	UMOUNT_WAIT_SECONDS = 30,  /* for the daemon to exit after the unmount */
	UMOUNT_SIGNAL_SECONDS = 5, /* then SIGTERM when the mount survives elsewhere */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " CLI_PROG " umount [--json] MOUNTPOINT\n\n"
		"Unmount the veilfs file system at MOUNTPOINT and wait (at most %d s) until its\n"
		"daemon has written everything back and exited.\n\n"
		"options:\n"
		"  --json      on success print one JSON object: mount point, daemon pid\n"
		"  -h, --help  show this help\n\n"
		"exit status: %d unmounted and daemon gone, %d usage, %d not a veilfs mount,\n"
		"             busy, or the daemon did not exit in time\n",
		UMOUNT_WAIT_SECONDS, CLI_EXIT_OK, CLI_EXIT_USAGE, CLI_EXIT_ERROR);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* True when our mount table shows nothing on canon (false also when it cannot be read). */
static bool gone_from_table(const char *canon)
{
	bool mounted;

	return mounts_find(canon, &mounted, NULL) == 0 && !mounted;
}

static const struct option umount_longopts[] = {
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Reads the options: the mount point in *mnt. Returns -1 to go on, or an exit status. */
static int umount_parse(int argc, char **argv, bool *json, const char **mnt)
{
	int c, r;

	opterr = 0;
	optind = 1;
	if ((r = cli_check_single_dash("umount", argc, argv, umount_longopts, ":h")) != 0)
		return r;
	while ((c = getopt_long(argc, argv, ":h", umount_longopts, NULL)) != -1) {
		if (c == 'j') {
			*json = true;
			continue;
		}
		if (c == 'h') {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		return cli_option_error("umount", c, optopt, argv, optind);
	}
	if (argc - optind != 1)
		return cli_usage_error("umount", "expected MOUNTPOINT");
	*mnt = argv[optind];
	return -1;
}

/* Checks that the canonical path canon is a veilfs mount. Returns CLI_EXIT_OK or an error. */
static int umount_check(const char *mnt, const char *canon)
{
	char *type = NULL;
	bool mounted = false;
	int status = CLI_EXIT_ERROR, r = mounts_find(canon, &mounted, &type);

	if (r < 0)
		cli_error("cannot read the mount table: %s", strerror(-r));
	else if (!mounted)
		cli_error("'%s' is not mounted", mnt);
	else if (strcmp(type, MOUNTS_FSTYPE))
		cli_error("'%s' is not a veilfs mount (it is %s)", mnt, type);
	else
		status = CLI_EXIT_OK;
	free(type);
	return status;
}

/* Waits for the daemon pid to exit after the unmount. Returns CLI_EXIT_OK or an error. */
static int umount_wait(const char *mnt, const char *canon, pid_t pid)
{
	double deadline = now_seconds() + UMOUNT_WAIT_SECONDS;
	double signal_at = now_seconds() + UMOUNT_SIGNAL_SECONDS;
	bool signalled = false;

	while (pid > 0 && mounts_process_alive(pid)) {
		if (!signalled && now_seconds() > signal_at && gone_from_table(canon)) {
			/*
			 * Gone from our mount table, yet served: a copy of the mount lives on in
			 * another mount namespace (made by unshare or a container). The user asked
			 * to unmount, so end the daemon; those copies then answer ENOTCONN.
			 */
			fprintf(stderr,
				CLI_PROG ": note: '%s' is still mounted in another mount "
					 "namespace; stopping its daemon (pid %ld)\n",
				mnt, (long)pid);
			(void)kill(pid, SIGTERM); /* it may have exited meanwhile: the loop sees it */
			signalled = true;
		}
		if (now_seconds() > deadline) {
			cli_error(
			    "unmounted '%s', but its daemon (pid %ld) did not exit within %d s",
			    mnt, (long)pid, UMOUNT_WAIT_SECONDS);
			return CLI_EXIT_ERROR;
		}
		sleep_ms(20);
	}
	return CLI_EXIT_OK;
}

int cmd_umount_main(int argc, char **argv)
{
	bool json = false;
	char *canon = NULL, *pidfile = NULL;
	const char *mnt = NULL;
	pid_t pid = 0;
	int r;

	if ((r = umount_parse(argc, argv, &json, &mnt)) >= 0)
		return r;
	r = mounts_canonical(mnt, &canon);
	if (r < 0) {
		cli_error("cannot resolve '%s': %s", mnt, strerror(-r));
		r = CLI_EXIT_ERROR;
		goto out;
	}
	if ((r = umount_check(mnt, canon)) != CLI_EXIT_OK)
		goto out;
	if (mounts_pidfile_path(canon, false, &pidfile) < 0 ||
	    mounts_pidfile_read(pidfile, canon, &pid) < 0) {
		pid = 0;
		fprintf(stderr,
			CLI_PROG ": warning: no pid file for '%s'; not waiting for its "
				 "daemon\n",
			mnt);
	}
	r = mounts_unmount(canon);
	if (r < 0) {
		if (r == -ECANCELED)
			cli_error("cannot unmount '%s' (fusermount3 said why above)", mnt);
		else
			cli_error("cannot unmount '%s': %s", mnt, strerror(-r));
		r = CLI_EXIT_ERROR;
		goto out;
	}
	if ((r = umount_wait(mnt, canon, pid)) != CLI_EXIT_OK)
		goto out;
	/* A daemon killed with SIGKILL left its pid file behind. */
	if (pid > 0)
		mounts_pidfile_remove(pidfile, pid);
	if (json) {
		printf("{\"unmounted\": true, \"mountpoint\": ");
		cli_json_string(canon);
		printf(", \"pid\": %ld}\n", (long)pid);
	}
out:
	free(canon);
	free(pidfile);
	return r;
}
