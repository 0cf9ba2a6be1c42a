/*
 * lockprobe: do locks taken through one mount conflict with another mount?
 *
 * Usage: lockprobe ofd|posix|flock FILE_VIA_A FILE_VIA_B
 * The parent opens FILE_VIA_A and takes an exclusive lock of the given kind
 * (F_OFD_SETLK, F_SETLK or flock(LOCK_EX|LOCK_NB)); a child process opens
 * FILE_VIA_B and tries the same lock without waiting.  Then the parent
 * unlocks and the child retries (bounded, 5 s) to see the release.
 * Prints "conflict=yes|no release_seen=yes|no".
 * The child waits (bounded, 30 s) for FILE_VIA_B to appear, and the whole
 * probe is bounded by alarm(60).
 * Exit 0: the lock conflicted across mounts and its release was seen;
 * 1: the second lock was granted (locks are local to one client) or the
 * release was never seen; 2: error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { KIND_OFD, KIND_POSIX, KIND_FLOCK };

/* 0 granted, 1 would block, -errno error */
static int try_lock(int fd, int kind, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	int r;

	if (kind == KIND_FLOCK)
		r = flock(fd, (type == F_UNLCK ? LOCK_UN : LOCK_EX) | LOCK_NB);
	else
		r = fcntl(fd, kind == KIND_OFD ? F_OFD_SETLK : F_SETLK, &fl);
	if (r == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES || errno == EWOULDBLOCK)
		return 1;
	return -errno;
}

int main(int argc, char **argv)
{
	int kind, fa, p2c[2], c2p[2], st;
	char c = 0, res[2] = { 0, 0 };
	pid_t pid;
	int r;

	alarm(60);
	signal(SIGPIPE, SIG_IGN);
	if (argc != 4)
		goto usage;
	if (!strcmp(argv[1], "ofd"))
		kind = KIND_OFD;
	else if (!strcmp(argv[1], "posix"))
		kind = KIND_POSIX;
	else if (!strcmp(argv[1], "flock"))
		kind = KIND_FLOCK;
	else
		goto usage;
	fa = open(argv[2], O_RDWR | O_CREAT, 0644);
	if (fa < 0) {
		fprintf(stderr, "lockprobe: cannot open '%s': %s\n", argv[2], strerror(errno));
		return 2;
	}
	r = try_lock(fa, kind, F_WRLCK);
	if (r != 0) {
		fprintf(stderr, "lockprobe: cannot lock '%s': %s\n", argv[2],
			r > 0 ? "held by someone else" : strerror(-r));
		return 2;
	}
	if (pipe(p2c) != 0 || pipe(c2p) != 0)
		return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		int fb = -1;

		alarm(60);
		char out;

		close(p2c[1]);
		close(c2p[0]);
		/* closing the inherited copy drops no OFD or flock lock of the parent
		 * (it would drop a POSIX lock, but those belong to the parent pid) */
		if (kind != KIND_POSIX)
			close(fa);
		for (int i = 0; i < 300 && fb < 0; i++) {
			fb = open(argv[3], O_RDWR);
			if (fb < 0)
				nanosleep(&(struct timespec){ 0, 100000000L }, NULL);
		}
		if (fb < 0) {
			fprintf(stderr, "lockprobe: cannot open '%s': %s\n", argv[3],
				strerror(errno));
			out = 'E';
			(void)!write(c2p[1], &out, 1);
			_exit(2);
		}
		r = try_lock(fb, kind, F_WRLCK);
		out = r < 0 ? 'E' : r == 0 ? 'G' : 'D';
		if (r == 0)
			try_lock(fb, kind, F_UNLCK);
		if (write(c2p[1], &out, 1) != 1 || read(p2c[0], &c, 1) != 1)
			_exit(2);
		/* parent has unlocked: retry for up to 5 s */
		out = 'N';
		for (int i = 0; i < 50; i++) {
			r = try_lock(fb, kind, F_WRLCK);
			if (r == 0) {
				out = 'G';
				break;
			}
			nanosleep(&(struct timespec){ 0, 100000000L }, NULL);
		}
		if (write(c2p[1], &out, 1) != 1)
			_exit(2);
		_exit(0);
	}
	close(p2c[0]);
	close(c2p[1]);
	if (read(c2p[0], &res[0], 1) != 1)
		res[0] = 'E';
	try_lock(fa, kind, F_UNLCK);
	if (write(p2c[1], "u", 1) != 1 || read(c2p[0], &res[1], 1) != 1)
		res[1] = 'E';
	waitpid(pid, &st, 0);
	close(fa);
	printf("lock=%s conflict=%s release_seen=%s\n", argv[1],
	       res[0] == 'D' ? "yes" : res[0] == 'G' ? "no" : "error",
	       res[1] == 'G' ? "yes" : res[1] == 'N' ? "no" : "error");
	if (res[0] == 'E')
		res[1] = 'E';
	if (res[0] == 'E' || res[1] == 'E')
		return 2;
	return res[0] == 'D' && res[1] == 'G' ? 0 : 1;
usage:
	fprintf(stderr, "usage: lockprobe ofd|posix|flock FILE_VIA_A FILE_VIA_B\n");
	return 2;
}
