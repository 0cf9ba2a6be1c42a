/*
 * veilfs mount: unlock a vault and serve its plaintext view at a mount point.
 *
 * The parent checks the arguments, reads the password (prompt, --passfile, --extpass or
 * stdin) and forks. The child becomes the daemon: it unlocks the vault, creates and mounts
 * the FUSE session, records its pid file (cli/mounts.h) and only then reports success
 * through a pipe; the parent then stats the mount point (which the daemon must answer) and
 * exits 0. Failures before that point are printed by the child on the terminal it still
 * shares, and the parent exits with the child's status. With -f there is no fork: the
 * process serves in the foreground and logs to stderr.
 *
 * Logging of the daemon: syslog (ident "veilfs", facility LOG_DAEMON), or --log FILE, or
 * stderr with -f. See docs/MOUNT.md.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/log.h"
#include "cli/cli.h"
#include "cli/lower.h"
#include "cli/registry_platform.h"
#include "cli/shared_mode.h"
#include "coord/registry.h"
#include "cli/commands.h"
#include "cli/auth.h"
#include "cli/password.h"
#include "cli/progress.h"
#include "cli/smb_args.h"
#include "fuse/frontend.h"
#include "cli/mounts.h"
#include "store/store.h"
#include "vault/admin.h"
#include "vault/vault.h"

struct mount_args {
	struct password_source pwsrc;
	bool foreground;
	bool read_only;
	bool debug;
	bool quiet;	      /* -q: no "mounted" line, no unlocking progress */
	bool json;	      /* --json: the "mounted" line as one JSON object */
	uint64_t idle_ms;     /* --idle=DURATION, 0: never */
	bool nonempty;	      /* -o nonempty: mount over a non-empty directory */
	const char *log_path;
	struct buf fuse_opts; /* -o options for libfuse, joined with commas */
	double attr_timeout;  /* -o attr_timeout=S, or -1 for the default */
	double entry_timeout; /* -o entry_timeout=S, or -1 for the default */
	uint32_t max_nodes;   /* -o max_nodes=N, or 0 for the default */
	bool no_writeback;    /* -o nowriteback: every write() goes to the daemon at once */
	enum vault_atime atime; /* -o noatime / relatime (default) / strictatime */
	enum vault_shared_mode shared; /* --shared=MODE (AUTO resolved in serve()) */
	unsigned lock_lease_ms;	       /* --lock-lease=S, or 0 for the default */
	int lower_direct;	       /* --lower-direct=on|off: 1/0, -1 auto */
	struct cli_smb smb;	       /* --smb-user, --smb-passfile */
	const char *cipherdir;	       /* as given (an smb:// URL: without its user part) */
	const char *mountpoint;	       /* as given */
	struct vault_info info;	       /* of cipherdir, read before the password */
	char *cipher_abs;	       /* owned: realpath of cipherdir, or the smb:// URL */
	char *mnt_canon;	       /* owned: canonical mount point */
};

/* --- log sinks of the daemon --- */

enum log_dest { LOG_DEST_STDERR, LOG_DEST_FILE, LOG_DEST_SYSLOG };

/* attr_timeout and entry_timeout in a shared mode (docs/SHARED.md, "Coherency model") */
static const double SHARED_CACHE_SECONDS = 0.1;

static enum log_dest log_dest;
static int log_fd = -1;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

/* One write() per line, so lines from several threads never interleave. */
static void fd_sink(enum log_level level, const char *msg)
{
	char line[1200];
	struct tm tm;
	time_t now = time(NULL);
	int fd = log_dest == LOG_DEST_FILE ? log_fd : STDERR_FILENO;
	int n;

	gmtime_r(&now, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02dZ veilfs[%ld]: %s: %s\n",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     (long)getpid(), level_names[level], msg);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	(void)!write(fd, line, (size_t)n);
}

static void syslog_sink(enum log_level level, const char *msg)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

	syslog(prio[level], "%s: %s", level_names[level], msg);
}

static void install_log(const struct mount_args *a)
{
	enum log_level max = a->debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;

	if (log_fd >= 0)
		log_dest = LOG_DEST_FILE;
	else if (a->foreground)
		log_dest = LOG_DEST_STDERR;
	else
		log_dest = LOG_DEST_SYSLOG;
	if (log_dest == LOG_DEST_SYSLOG) {
		openlog(CLI_PROG, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_set_sink(syslog_sink, max);
	} else {
		log_set_sink(fd_sink, max);
	}
}

/* --- usage --- */

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: " CLI_PROG " mount [OPTIONS] CIPHERDIR MOUNTPOINT\n"
	    "       " CLI_PROG " CIPHERDIR MOUNTPOINT -o OPTIONS   (as mount.fuse3 runs it)\n\n"
	    "Unlock the vault in CIPHERDIR and show its plaintext at MOUNTPOINT. Returns once\n"
	    "the mount is live and prints 'mounted CIPHERDIR at MOUNTPOINT'; the daemon keeps\n"
	    "serving until '" CLI_PROG " umount' or umount(8). Options may follow the operands.\n"
	    "CIPHERDIR may be smb://[USER@]HOST[:PORT]/SHARE/PATH: the vault on an SMB share,\n"
	    "reached through veilfs's own SMB client (no kernel or FUSE client in between).\n\n"
	    "options:\n"
	    "  --passfile F     read the password from the first line of file F\n"
	    "  --extpass CMD    read the password from the first line CMD (via /bin/sh) prints\n"
	    "  --keyfile F      unlock with the key file F (a key-file slot of the vault)\n"
	    "  --recovery-key F unlock with the recovery key written in file F\n"
	    "  --tpm            unlock with a TPM slot, unsealed by this machine's TPM\n"
	    "                   (TCTI from TPM2TOOLS_TCTI; default device:/dev/tpmrm0)\n"
	    "                   (without any: prompt on a terminal, else read stdin)\n"
	    "  -f, --foreground stay in the foreground and log to stderr (Ctrl-C unmounts)\n"
	    "  --ro             mount read-only (writes fail with EROFS)\n"
	    "  -o OPTIONS       comma-separated mount options; may be repeated. veilfs's own:\n"
	    "                     ro                 same as --ro\n"
	    "                     nonempty           mount over a non-empty directory\n"
	    "                     attr_timeout=S     seconds the kernel caches attributes (1)\n"
	    "                     entry_timeout=S    seconds the kernel caches names (1)\n"
	    "                     max_nodes=N        files and directories the kernel may keep\n"
	    "                                        cached (default: half the open-file limit)\n"
	    "                     nowriteback        no kernel writeback cache: every write()\n"
	    "                                        reaches the cipher directory at once\n"
	    "                     relatime, strictatime, noatime\n"
	    "                                        when opening a file for reading moves its\n"
	    "                                        atime (default relatime)\n"
	    "                     passfile=F, extpass=CMD, shared=MODE, lock_lease=S, log=F,\n"
	    "                     idle=DURATION\n"
	    "                                        the long options, spelled for fstab\n"
	    "                                        (shared_mode=MODE: mount(8) drops shared=)\n"
	    "                   fstab-only options (defaults, noauto, nofail, _netdev, user,\n"
	    "                   users, x-systemd.*, ...) are ignored; others go to FUSE, e.g.\n"
	    "                   allow_other (default_permissions is always on)\n"
	    "  --shared=MODE    several clients use CIPHERDIR at once (docs/SHARED.md):\n"
	    "                     off        single client (default): caches kept, no locks\n"
	    "                     locks      byte-range locks on the lower files (GlusterFS,\n"
	    "                                NFSv4, kernel CIFS, local file systems)\n"
	    "                     lockfiles  O_EXCL lock files (sshfs and other lower file\n"
	    "                                systems without cross-client locks)\n"
	    "                     auto       pick locks or lockfiles by the lower fs type\n"
	    "                                (lockfiles for an smb:// CIPHERDIR)\n"
	    "                   a shared mode also turns off the kernel page cache across\n"
	    "                   opens and makes attr_timeout and entry_timeout default to\n"
	    "                   0.1; it reads past the lower client's caches and is refused\n"
	    "                   over lower clients that cannot be made coherent (rclone;\n"
	    "                   sshfs without -o dir_cache=no; GlusterFS with the volume\n"
	    "                   option performance.quick-read on), with what to change\n"
	    "                 Every mount registers in CIPHERDIR (veilfs status): a mount\n"
	    "                 beside another live mount is refused unless both use the\n"
	    "                 same shared mode\n"
	    "  --lock-lease=S   lockfiles: a lock file unchanged for S seconds is stale and\n"
	    "                   broken (default 10)\n"
	    "  --lower-direct=on|off  open lower files with O_DIRECT (default off; only for\n"
	    "                   lower file systems that accept unaligned direct I/O)\n"
	    "  --smb-user USER  smb:// CIPHERDIR: log in as USER (else the URL's user part,\n"
	    "                   else $VEILFS_SMB_USER)\n"
	    "  --smb-passfile F smb:// CIPHERDIR: the SMB password is the first line of F\n"
	    "                   (else the URL's, else $VEILFS_SMB_PASSWORD)\n"
	    "  --log FILE       append the daemon's log to FILE instead of syslog/stderr\n"
	    "  --idle=DURATION  unmount after DURATION without any request (e.g. 90, 30s, 10m,\n"
	    "                   2h; a mount with files still open is tried again later)\n"
	    "  --json           print the 'mounted' line as one JSON object\n"
	    "  -q, --quiet      no 'mounted' line and no unlocking progress\n"
	    "  -d, --debug      debug logging and libfuse request tracing (implies -f)\n"
	    "  -h, --help       show this help\n\n"
	    "The daemon logs to syslog (ident 'veilfs', facility daemon) unless -f or --log.\n"
	    "SIGTERM, SIGINT or SIGHUP to the daemon unmount cleanly. See docs/MOUNT.md.\n\n"
	    "exit status: %d mounted, %d wrong password, %d usage, %d not a vault,\n"
	    "             %d other error (mount point missing, not empty or already mounted,\n"
	    "             FUSE failed), %d another live mount of CIPHERDIR forbids this one\n",
	    CLI_EXIT_OK, CLI_EXIT_WRONG_PASSWORD, CLI_EXIT_USAGE, CLI_EXIT_NOT_VAULT,
	    CLI_EXIT_ERROR, CLI_EXIT_BUSY);
}

/* --idle=DURATION: seconds, or a number with s, m or h, from 1 s to 30 days. */
static int parse_idle(const char *s, uint64_t *ms)
{
	char *end = NULL;
	unsigned long long n;
	uint64_t mult = 1000;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (end && *end == 's' && end[1] == '\0')
		end++;
	else if (end && *end == 'm' && end[1] == '\0')
		end++, mult = 60000;
	else if (end && *end == 'h' && end[1] == '\0')
		end++, mult = 3600000;
	if (errno || end == s || *end || n == 0 || n * mult > 30ull * 86400 * 1000 || s[0] == '-')
		return cli_usage_error("mount", "invalid --idle '%s' (e.g. 90, 30s, 10m, 2h)", s);
	*ms = n * mult;
	return 0;
}

/* Parse a timeout in seconds: a decimal number in [0, 86400]. */
static bool parse_seconds(const char *s, double *out)
{
	char *end = NULL;
	double v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0 && v <= 86400))
		return false;
	*out = v;
	return true;
}

static int parse_shared(const char *s, enum vault_shared_mode *out)
{
	if (!strcmp(s, "off"))
		*out = VAULT_SHARED_OFF;
	else if (!strcmp(s, "auto"))
		*out = VAULT_SHARED_AUTO;
	else if (!strcmp(s, "locks"))
		*out = VAULT_SHARED_LOCKS;
	else if (!strcmp(s, "lockfiles"))
		*out = VAULT_SHARED_LOCKFILES;
	else
		return cli_usage_error("mount",
				       "invalid shared mode '%s' (off, auto, locks or lockfiles)", s);
	return 0;
}

static int parse_lease(const char *s, unsigned *ms)
{
	double sec;

	if (!parse_seconds(s, &sec) || sec < 0.1)
		return cli_usage_error("mount", "invalid lock lease '%s'", s);
	*ms = (unsigned)(sec * 1000);
	return 0;
}

/*
 * fstab options that mount(8) and systemd act on and that mean nothing to veilfs; mount.fuse3
 * drops some of them, not all (x-systemd.*, _netdev, user reach us).
 */
static bool is_fstab_only(const char *opt)
{
	static const char *const names[] = {"defaults", "auto", "noauto", "nofail", "_netdev",
					    "user",     "users", "nouser", "owner",  "group", "rw"};
	size_t i;

	if (!strncmp(opt, "x-", 2) || !strncmp(opt, "comment=", 8))
		return true;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(opt, names[i]))
			return true;
	return false;
}

/*
 * Split one -o value at commas: veilfs's own options (ro, attr_timeout=S, entry_timeout=S,
 * max_nodes=N, nowriteback, nonempty, and the fstab spellings passfile=F, extpass=CMD,
 * shared=MODE or shared_mode=MODE (mount(8) drops "shared="), lock_lease=S, log=F of the
 * long options) are taken here, fstab-only options are dropped, everything else is passed
 * to libfuse, which rejects what it does not know. The list is split in place: the values
 * taken stay pointers into argv. relatime and strictatime are veilfs's (libfuse knows only
 * atime and noatime, which are noted here and passed on).
 */
static int take_mount_options(struct mount_args *a, char *list)
{
	char *save = NULL, *opt;
	int r = 0;

	for (opt = strtok_r(list, ",", &save); opt && !r; opt = strtok_r(NULL, ",", &save)) {
		/* these two also go to libfuse (below), which sets the mount's flag */
		if (!strcmp(opt, "noatime"))
			a->atime = VAULT_ATIME_NOATIME;
		else if (!strcmp(opt, "atime"))
			a->atime = VAULT_ATIME_RELATIME;
		if (!strcmp(opt, "ro")) {
			a->read_only = true;
		} else if (is_fstab_only(opt)) {
			continue;
		} else if (!strcmp(opt, "nonempty")) {
			a->nonempty = true;
		} else if (!strncmp(opt, "passfile=", 9) && opt[9]) {
			a->pwsrc.passfile = opt + 9;
		} else if (!strncmp(opt, "extpass=", 8) && opt[8]) {
			a->pwsrc.extpass = opt + 8;
		} else if (!strncmp(opt, "log=", 4) && opt[4]) {
			a->log_path = opt + 4;
		} else if (!strncmp(opt, "shared=", 7)) {
			r = parse_shared(opt + 7, &a->shared);
		} else if (!strncmp(opt, "shared_mode=", 12)) {
			/* mount(8) takes "shared" for mount propagation and drops it */
			r = parse_shared(opt + 12, &a->shared);
		} else if (!strncmp(opt, "lock_lease=", 11)) {
			r = parse_lease(opt + 11, &a->lock_lease_ms);
		} else if (!strncmp(opt, "idle=", 5)) {
			r = parse_idle(opt + 5, &a->idle_ms);
		} else if (!strncmp(opt, "attr_timeout=", 13)) {
			if (!parse_seconds(opt + 13, &a->attr_timeout))
				r = cli_usage_error("mount", "invalid value in '-o %s'", opt);
		} else if (!strncmp(opt, "entry_timeout=", 14)) {
			if (!parse_seconds(opt + 14, &a->entry_timeout))
				r = cli_usage_error("mount", "invalid value in '-o %s'", opt);
		} else if (!strcmp(opt, "nowriteback")) {
			a->no_writeback = true;
		} else if (!strcmp(opt, "relatime") || !strcmp(opt, "strictatime")) {
			/* veilfs's own: libfuse knows only atime and noatime */
			a->atime = opt[0] == 'r' ? VAULT_ATIME_RELATIME : VAULT_ATIME_STRICT;

		} else if (!strncmp(opt, "max_nodes=", 10)) {
			if (!cli_parse_u32(opt + 10, 64, UINT32_MAX, &a->max_nodes))
				r = cli_usage_error("mount", "invalid value in '-o %s'", opt);
		} else if ((a->fuse_opts.len && buf_append_str(&a->fuse_opts, ",") < 0) ||
			   buf_append_str(&a->fuse_opts, opt) < 0) {
			cli_error("out of memory");
			r = CLI_EXIT_ERROR;
		}
	}
	return r;
}

enum mount_opt {
	OPT_RO = AUTH_OPT_NEXT, /* the AUTH options: cli/auth.h */
	OPT_LOG,
	OPT_SHARED,
	OPT_LEASE,
	OPT_DIRECT,
	OPT_SMB_USER,
	OPT_SMB_PASSFILE,
	OPT_IDLE,
	OPT_JSON,
};

static const struct option mount_longopts[] = {
    AUTH_PASSWORD_LONGOPTS,
    AUTH_KEY_LONGOPTS,
    {"foreground", no_argument, NULL, 'f'},
    {"ro", no_argument, NULL, OPT_RO},
    {"log", required_argument, NULL, OPT_LOG},
    {"shared", required_argument, NULL, OPT_SHARED},
    {"lock-lease", required_argument, NULL, OPT_LEASE},
    {"lower-direct", required_argument, NULL, OPT_DIRECT},
    {"smb-user", required_argument, NULL, OPT_SMB_USER},
    {"smb-passfile", required_argument, NULL, OPT_SMB_PASSFILE},
    {"debug", no_argument, NULL, 'd'},
    {"quiet", no_argument, NULL, 'q'},
    {"idle", required_argument, NULL, OPT_IDLE},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Takes one option getopt_long returned. Returns 0, -1 after --help, or an exit status. */
static int take_option(struct mount_args *a, int c, char **argv)
{
	if (auth_option(&a->pwsrc, c, optarg))
		return 0;
	switch (c) {
	case 'f':
		a->foreground = true;
		return 0;
	case OPT_RO:
		a->read_only = true;
		return 0;
	case 'o':
		if (!*optarg)
			return cli_usage_error("mount", "option '-o' needs a value");
		return take_mount_options(a, optarg);
	case OPT_LOG:
		a->log_path = optarg;
		return 0;
	case OPT_SHARED:
		return parse_shared(optarg, &a->shared);
	case OPT_LEASE:
		return parse_lease(optarg, &a->lock_lease_ms);
	case OPT_DIRECT:
		if (!strcmp(optarg, "on"))
			a->lower_direct = 1;
		else if (!strcmp(optarg, "off"))
			a->lower_direct = 0;
		else
			return cli_usage_error(
			    "mount", "invalid --lower-direct '%s' (on or off)", optarg);
		return 0;
	case OPT_SMB_USER:
		a->smb.user = optarg;
		return 0;
	case OPT_SMB_PASSFILE:
		a->smb.passfile = optarg;
		return 0;
	case 'd':
		a->debug = true;
		a->foreground = true;
		return 0;
	case 'q':
		a->quiet = true;
		return 0;
	case OPT_IDLE:
		return parse_idle(optarg, &a->idle_ms);
	case OPT_JSON:
		a->json = true;
		return 0;
	case 'h':
		usage(stdout);
		return -1;
	default:
		return cli_option_error("mount", c, optopt, argv, optind);
	}
}

static int parse_args(int argc, char **argv, struct mount_args *a)
{
	int c, r;

	opterr = 0;
	optind = 1;
	if ((r = cli_check_single_dash("mount", argc, argv, mount_longopts, ":fo:dqh")) != 0)
		return r;
	while ((c = getopt_long(argc, argv, ":fo:dqh", mount_longopts, NULL)) != -1)
		if ((r = take_option(a, c, argv)) != 0)
			return r;
	if (auth_source_count(&a->pwsrc) > 1)
		return cli_usage_error("mount", "give one of --passfile, --extpass, --keyfile, "
						"--recovery-key and --tpm");
	if (argc - optind != 2)
		return cli_usage_error("mount", "expected CIPHERDIR and MOUNTPOINT");
	a->cipherdir = argv[optind];
	a->mountpoint = argv[optind + 1];
	return 0;
}

/*
 * a->cipher_abs: the realpath of a local CIPHERDIR, or an smb:// URL without its user part
 * (which then also replaces a->cipherdir in every message: no password is ever shown).
 */
static int resolve_cipherdir(struct mount_args *a)
{
	int r;

	if ((r = cli_smb_prepare("mount", a->cipherdir, &a->smb, &a->cipher_abs)) != 0)
		return r;
	if (a->cipher_abs) {
		a->cipherdir = a->cipher_abs;
		if (a->shared == VAULT_SHARED_LOCKS)
			return cli_usage_error("mount", "--shared=locks needs byte-range locks, "
							"which veilfs's SMB client has not: use "
							"--shared=lockfiles (or auto)");
		return 0;
	}
	a->cipher_abs = realpath(a->cipherdir, NULL);
	if (!a->cipher_abs)
		return cli_vault_error("cannot mount", a->cipherdir, -errno);
	return 0;
}

/* 1 when the directory at path holds any entry, 0 when empty, -errno. */
/* True when path lists an entry; an unreadable directory counts as empty (mounting on it
 * reports its own error). */
static bool dir_has_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			found = true;
			break;
		}
	closedir(d);
	return found;
}

/* Everything that can be checked before asking for the password. */
static int check_paths(struct mount_args *a)
{
	struct stat st;
	size_t clen;
	char *type = NULL;
	bool mounted;
	int r;

	if ((r = resolve_cipherdir(a)) != 0)
		return r;
	r = vault_admin_info(a->cipher_abs, &a->info);
	if (r < 0)
		return cli_vault_error("cannot mount", a->cipherdir, r);
	if (stat(a->mountpoint, &st) != 0) {
		r = errno;
		if (r == ENOENT) {
			cli_error("mount point '%s' does not exist", a->mountpoint);
			return CLI_EXIT_ERROR;
		}
		if (r != ENOTCONN) {
			cli_error("cannot use mount point '%s': %s", a->mountpoint, strerror(r));
			return CLI_EXIT_ERROR;
		}
		/* ENOTCONN: a FUSE mount whose daemon died; reported as mounted below. */
	} else if (!S_ISDIR(st.st_mode)) {
		cli_error("mount point '%s' is not a directory", a->mountpoint);
		return CLI_EXIT_ERROR;
	}
	r = mounts_canonical(a->mountpoint, &a->mnt_canon);
	if (r < 0) {
		cli_error("cannot resolve mount point '%s': %s", a->mountpoint, strerror(-r));
		return CLI_EXIT_ERROR;
	}
	clen = strlen(a->cipher_abs);
	if (!strcmp(a->mnt_canon, a->cipher_abs) ||
	    (!strncmp(a->mnt_canon, a->cipher_abs, clen) && a->mnt_canon[clen] == '/')) {
		cli_error("mount point '%s' is inside the cipher directory '%s'", a->mountpoint,
			  a->cipherdir);
		return CLI_EXIT_USAGE;
	}
	r = mounts_find(a->mnt_canon, &mounted, &type);
	if (r < 0) {
		cli_error("cannot read the mount table: %s", strerror(-r));
		return CLI_EXIT_ERROR;
	}
	if (mounted && !strncmp(type, "fuse", 4)) {
		cli_error("mount point '%s' is already mounted (%s)", a->mountpoint, type);
		free(type);
		return CLI_EXIT_ERROR;
	}
	free(type);
	if (!a->nonempty && dir_has_entries(a->mnt_canon)) {
		cli_error("mount point '%s' is not empty (its files would be hidden; "
			  "-o nonempty mounts over them)",
			  a->mountpoint);
		return CLI_EXIT_ERROR;
	}
	if (a->log_path) {
		log_fd =
		    open(a->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
		if (log_fd < 0) {
			cli_error("cannot open log file '%s': %s", a->log_path, strerror(errno));
			return CLI_EXIT_ERROR;
		}
	}
	return 0;
}

/* True when a syslog daemon listens on /dev/log (where syslog(3) sends). */
static bool syslog_available(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (!ok) { /* rsyslog and journald also take stream connections */
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ok = fd >= 0 && connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0;
	}
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * A daemon without --log logs to syslog; with no syslog daemon its log, integrity errors
 * included, would go nowhere. Then it goes to a file next to the pid file
 * (<pid file dir>/<hash>.log), and the user is told where when that file is created.
 */
static int open_fallback_log(struct mount_args *a)
{
	char *path = NULL;
	size_t len;
	int r, flags;

	if (a->foreground || a->log_path || syslog_available())
		return 0;
	r = mounts_pidfile_path(a->mnt_canon, true, &path);
	if (r < 0 || (len = strlen(path)) < 4) {
		fprintf(stderr, CLI_PROG ": warning: no syslog daemon (/dev/log) and no place for "
				"a log file: the daemon's log is lost; use --log FILE\n");
		free(path);
		return 0;
	}
	memcpy(path + len - 4, ".log", 4); /* <hash>.pid -> <hash>.log */
	flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
	log_fd = open(path, flags | O_EXCL, 0600);
	if (log_fd >= 0) /* the first time for this mount point: say where the log goes */
		fprintf(stderr,
			CLI_PROG ": warning: no syslog daemon (/dev/log): the daemon logs to "
				 "'%s'\n",
			path);
	else if (errno == EEXIST)
		log_fd = open(path, flags, 0600);
	if (log_fd < 0) {
		cli_error("cannot open log file '%s': %s", path, strerror(errno));
		free(path);
		return CLI_EXIT_ERROR;
	}
	free(path);
	return 0;
}

/* The kernel's ceiling for RLIMIT_NOFILE (fs.nr_open), or 0 when unknown. */
static rlim_t nr_open_limit(void)
{
	unsigned long long v = 0;
	FILE *fp = fopen("/proc/sys/fs/nr_open", "re");

	if (!fp)
		return 0;
	if (fscanf(fp, "%llu", &v) != 1)
		v = 0;
	fclose(fp);
	return (rlim_t)v;
}

/*
 * Keys live in this process: no core dumps, no ptrace. And room for many open files: every
 * object the kernel keeps cached holds a lower descriptor (an unpacked source tree is tens of
 * thousands), so the soft limit goes to the hard limit, and as root both go to fs.nr_open.
 */
static void harden_daemon(void)
{
	struct rlimit rl = {0, 0};
	rlim_t ceiling;

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	ceiling = nr_open_limit();
	if (geteuid() == 0 && ceiling > rl.rlim_max) {
		struct rlimit raised = {ceiling, ceiling};

		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Tell the waiting parent our exit status; false when it is gone (e.g. killed by Ctrl-C). */
static bool notify_parent(int fd, int status)
{
	ssize_t w;

	if (fd < 0)
		return true;
	do
		w = write(fd, &status, sizeof(status));
	while (w < 0 && errno == EINTR);
	close(fd);
	return w == (ssize_t)sizeof(status);
}

/* Detach from the terminal: the session was set up at fork time; stdio goes to /dev/null. */
static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * --shared=auto: a single client cannot probe whether another client would see its
 * locks, so decide by the lower file system's type (docs/SHARED.md); then check that a
 * shared mode can be correct over the lower client as it is mounted (cli/lower.c), and how
 * far its caches must be distrusted. Also decides --lower-direct when not given. Returns
 * 0 or an exit status (the message printed).
 */
static int resolve_shared(const struct mount_args *a, struct vault_options *o)
{
	int status;

	if ((status = shared_mode_resolve(a->cipher_abs, a->shared, o)) != 0)
		return status;
	if (a->lower_direct >= 0)
		o->lower_direct = a->lower_direct == 1;
	else
		o->lower_direct = false; /* GlusterFS passes O_DIRECT to its bricks: unaligned
					  * block writes then fail with EINVAL (docs/SHARED.md) */
	o->lock_lease_ms = a->lock_lease_ms;
	return 0;
}

static const char *mode_name(enum vault_shared_mode m)
{
	return m == VAULT_SHARED_LOCKS ? "locks" : m == VAULT_SHARED_LOCKFILES ? "lockfiles" : "off";
}

/*
 * Announce this mount in the cipher directory's registry (coord/registry.h), and refuse
 * when a live mount there cannot run beside it. Returns an exit status (the message
 * printed).
 */
static int join_registry(const struct mount_args *a, struct vault *v,
			 enum vault_shared_mode mode, struct registry *reg)
{
	struct registry_entry other;
	int r;

	r = registry_join(reg, vault_coord(v), registry_platform_get(), mode_name(mode),
			  a->mnt_canon, !a->read_only, &other);
	if (r == 0)
		return CLI_EXIT_OK;
	if (r != -EBUSY) {
		cli_error("cannot register the mount in '%s': %s", a->cipherdir, strerror(-r));
		return CLI_EXIT_ERROR;
	}
	if (mode == VAULT_SHARED_OFF || !strcmp(other.mode, "off"))
		cli_error("'%s' is mounted by host '%s' (pid %ld, --shared=%s, at '%s'): two "
			  "mounts of one vault must both use a shared mode; unmount it, or mount "
			  "every client with --shared=auto (docs/SHARED.md)",
			  a->cipherdir, other.host, other.pid, other.mode, other.mnt);
	else
		cli_error("'%s' is mounted by host '%s' (pid %ld, at '%s') with --shared=%s; "
			  "every client of one vault must use the same mode: mount with "
			  "--shared=%s (docs/SHARED.md)",
			  a->cipherdir, other.host, other.pid, other.mnt, other.mode, other.mode);
	return CLI_EXIT_BUSY;
}

/* The one line a successful mount prints (not with -q), or one JSON object (--json). */
static void print_mounted(const struct mount_args *a)
{
	if (a->json) {
		printf("{\"mounted\": true, \"cipherdir\": ");
		cli_json_string(a->cipher_abs);
		printf(", \"mountpoint\": ");
		cli_json_string(a->mnt_canon);
		printf(", \"read_only\": %s}\n", a->read_only ? "true" : "false");
	} else {
		printf("mounted %s at %s%s\n", a->cipher_abs, a->mnt_canon,
		       a->read_only ? " (read-only)" : "");
	}
	fflush(stdout);
}

/*
 * The daemon (or the foreground process): unlock, mount, report, serve, clean up.
 * notify_fd is the pipe to the waiting parent (-1 in the foreground). Returns the exit
 * status; consumes pw.
 */
/* The frontend options of a mount: shared-mode defaults, then what the user asked. */
static void mount_frontend_options(const struct mount_args *a, enum vault_shared_mode shared,
				   struct frontend_options *fopts)
{
	frontend_options_init(fopts);
	fopts->read_only = a->read_only;
	fopts->debug = a->debug;
	fopts->fsname = a->cipher_abs;
	if (shared != VAULT_SHARED_OFF) {
		/* close-to-open across clients: no page cache across opens (every open
		 * re-checks the lower file), names and attributes cached for a tenth of a
		 * second only: enough for one ls -l or path walk (docs/SHARED.md) */
		fopts->shared = true;
		fopts->keep_cache = false;
		fopts->attr_timeout = SHARED_CACHE_SECONDS;
		fopts->entry_timeout = SHARED_CACHE_SECONDS;
		/* the kernel would own size and mtime, and keep missing names */
		fopts->writeback = false;
		fopts->negative_timeout = 0;
	}
	if (a->no_writeback)
		fopts->writeback = false;
	if (a->attr_timeout >= 0)
		fopts->attr_timeout = a->attr_timeout;
	if (a->entry_timeout >= 0)
		fopts->entry_timeout = a->entry_timeout;
	fopts->max_nodes = a->max_nodes;
	fopts->idle_ms = a->idle_ms;
	fopts->idle_unmount = mounts_unmount;
	fopts->atime = a->atime;
	fopts->fuse_opts = a->fuse_opts.len ? (const char *)a->fuse_opts.data : NULL;
}

/* Opens the vault with the password (always freed). Returns CLI_EXIT_OK or an exit status. */
static int mount_open_vault(const struct mount_args *a, struct password *pw,
			    struct vault_options *vopts, struct vault **v)
{
	int r;

	vopts->read_only = a->read_only;
	if ((r = resolve_shared(a, vopts)) != 0) {
		password_free(pw);
		return r;
	}
	vopts->apply_owner = geteuid() == 0;
	r = vault_open(a->cipher_abs, pw->data, pw->len, vopts, v);
	progress_end();
	password_free(pw);
	if (r < 0)
		return cli_vault_error("cannot mount", a->cipherdir, r);
	return CLI_EXIT_OK;
}

/* Creates the FUSE session and mounts it. Returns CLI_EXIT_OK or an exit status. */
static int mount_start_frontend(const struct mount_args *a, struct vault *v,
				const struct frontend_options *fopts, struct frontend **fe)
{
	int r = frontend_new(v, fopts, fe);

	if (r == -EINVAL) {
		cli_error("invalid FUSE options '%s'", fopts->fuse_opts ? fopts->fuse_opts : "");
		return CLI_EXIT_USAGE;
	}
	if (r < 0) {
		cli_error("cannot start FUSE session: %s", strerror(-r));
		return CLI_EXIT_ERROR;
	}
	if (frontend_mount(*fe, a->mnt_canon) < 0) {
		cli_error("cannot mount on '%s' (see the message above)", a->mountpoint);
		return CLI_EXIT_ERROR;
	}
	return CLI_EXIT_OK;
}

/* The pid file umount waits on; NULL if it cannot be written (umount then cannot wait). */
static char *mount_write_pidfile(const struct mount_args *a)
{
	char *pidfile = NULL;
	int r = mounts_pidfile_path(a->mnt_canon, true, &pidfile);

	if (r >= 0)
		r = mounts_pidfile_write(pidfile, getpid(), a->mnt_canon);
	if (r < 0) {
		log_warn("cannot write the pid file for '%s': %s", a->mnt_canon, strerror(-r));
		free(pidfile);
		pidfile = NULL;
	}
	return pidfile;
}

/*
 * Tells whoever waits that the mount is up: the terminal, or the parent through
 * notify_fd (then detaches). Returns false if the parent is gone before it saw it.
 */
static bool mount_announce(const struct mount_args *a, int notify_fd)
{
	struct rlimit nofile;

	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0)
		log_info("open file limit %llu", (unsigned long long)nofile.rlim_cur);
	log_info("serving '%s' on '%s'%s", a->cipher_abs, a->mnt_canon,
		 a->read_only ? " (read-only)" : "");
	if (notify_fd < 0) {
		if (!a->quiet)
			print_mounted(a);
		return true;
	}
	if (chdir("/") != 0)
		log_warn("cannot change directory to '/': %s", strerror(errno));
	detach_stdio();
	if (notify_parent(notify_fd, CLI_EXIT_OK))
		return true;
	/* Nobody saw the mount succeed: do not leave it behind. */
	log_error("'veilfs mount' exited before the mount was ready; unmounting '%s'", a->mnt_canon);
	return false;
}

static int serve(struct mount_args *a, struct password *pw, int notify_fd)
{
	struct vault_options vopts = {0};
	struct frontend_options fopts;
	struct frontend *fe = NULL;
	struct vault *v = NULL;
	struct registry reg = {0};
	char *pidfile = NULL;
	int status, r;
	bool ready;

	harden_daemon();
	umask(0); /* the kernel already applied the caller's umask to every mode it sends */
	install_log(a);
	if ((status = mount_open_vault(a, pw, &vopts, &v)) != CLI_EXIT_OK)
		goto out;
	mount_frontend_options(a, vopts.shared, &fopts);
	if ((status = join_registry(a, v, vopts.shared, &reg)) != CLI_EXIT_OK)
		goto out;
	if ((status = mount_start_frontend(a, v, &fopts, &fe)) != CLI_EXIT_OK)
		goto out;
	pidfile = mount_write_pidfile(a);
	ready = mount_announce(a, notify_fd);
	notify_fd = -1; /* answered (or never open) */
	if (!ready) {
		status = CLI_EXIT_ERROR;
		goto out;
	}
	r = frontend_run(fe);
	if (r > 0)
		log_info("signal %d: unmounting '%s'", r, a->mnt_canon);
	else if (r < 0)
		log_error("request loop of '%s' failed: %s", a->mnt_canon, strerror(-r));
	status = r < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
out:
	frontend_free(fe);
	registry_leave(&reg);
	vault_close(v);
	if (pidfile) {
		mounts_pidfile_remove(pidfile, getpid());
		free(pidfile);
	}
	if (status == CLI_EXIT_OK)
		log_info("unmounted '%s'", a->mnt_canon ? a->mnt_canon : a->mountpoint);
	(void)notify_parent(notify_fd, status); /* a no-op once answered (fd -1) */
	return status;
}

/* The parent: wait for the daemon's verdict, then check that the mount answers. */
static int wait_for_daemon(struct mount_args *a, pid_t child, int fd, dev_t before)
{
	struct stat st;
	int status = -1, ws;
	ssize_t n;

	if (!a->quiet)
		progress_kdf_begin("unlocking", a->info.kdf_memory_kib, a->info.kdf_time);
	do
		n = read(fd, &status, sizeof(status));
	while (n < 0 && errno == EINTR);
	progress_end();
	close(fd);
	if (n != (ssize_t)sizeof(status)) {
		while (waitpid(child, &ws, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(ws) && WEXITSTATUS(ws) != 0)
			return WEXITSTATUS(ws); /* it said why on stderr */
		if (WIFSIGNALED(ws))
			cli_error("the mount daemon died (signal %d)", WTERMSIG(ws));
		else
			cli_error("the mount daemon exited before the mount was ready");
		return CLI_EXIT_ERROR;
	}
	if (status != CLI_EXIT_OK) {
		while (waitpid(child, &ws, 0) < 0 && errno == EINTR)
			;
		return status;
	}
	/* The daemon serves this stat; it fails or shows the old directory if it does not. */
	if (stat(a->mnt_canon, &st) != 0) {
		cli_error("mount on '%s' is not answering: %s", a->mountpoint, strerror(errno));
		return CLI_EXIT_ERROR;
	}
	if (st.st_dev == before) {
		cli_error("mount on '%s' did not appear", a->mountpoint);
		return CLI_EXIT_ERROR;
	}
	if (!a->quiet)
		print_mounted(a);
	return CLI_EXIT_OK;
}

int cmd_mount_main(int argc, char **argv)
{
	struct mount_args a = {0};
	struct password pw = {0};
	struct stat st;
	int pipefd[2], r;
	pid_t child;

	buf_init(&a.fuse_opts);
	a.attr_timeout = -1;
	a.entry_timeout = -1;
	a.lower_direct = -1;
	r = parse_args(argc, argv, &a);
	if (r) {
		r = r < 0 ? CLI_EXIT_OK : r;
		goto out;
	}
	if ((r = check_paths(&a)) != 0 || (r = open_fallback_log(&a)) != 0)
		goto out;
	if (stat(a.mnt_canon, &st) != 0)
		st.st_dev = 0;
	if ((r = password_read(&a.pwsrc, "Password: ", false, &pw)) != 0)
		goto out;
	if (a.foreground) {
		if (!a.quiet)
			progress_kdf_begin("unlocking", a.info.kdf_memory_kib, a.info.kdf_time);
		r = serve(&a, &pw, -1);
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		cli_error("cannot create a pipe: %s", strerror(errno));
		r = CLI_EXIT_ERROR;
		goto out;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		cli_error("cannot start the mount daemon: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		r = CLI_EXIT_ERROR;
		goto out;
	}
	if (child == 0) {
		close(pipefd[0]);
		(void)setsid();
		r = serve(&a, &pw, pipefd[1]);
		_exit(r);
	}
	close(pipefd[1]);
	password_free(&pw);
	r = wait_for_daemon(&a, child, pipefd[0], st.st_dev);
out:
	password_free(&pw);
	if (log_fd >= 0)
		close(log_fd);
	buf_release(&a.fuse_opts);
	free(a.cipher_abs);
	free(a.mnt_canon);
	return r;
}
