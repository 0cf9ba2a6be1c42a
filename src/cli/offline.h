/*
 * What the offline commands (ls, cat, get, put, rm, mkdir: docs/CLI.md, "Offline access")
 * share: their common options (the password source and --shared=MODE), opening a vault
 * over the portable core with no FUSE, in the shared mode a live shared mount of it uses,
 * after refusing to run beside a live single-client mount (the mount registry), walking a
 * plaintext path to its vnode, and turning failures into messages and exit statuses.
 * The commands do not register themselves: they hold the vault for one operation only.
 */
#ifndef VEILFS_CLI_OFFLINE_H
#define VEILFS_CLI_OFFLINE_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include "base/compiler.h"
#include "cli/auth.h"
#include "cli/password.h"
#include "vault/vault.h"

/* Plaintext bytes moved per vault_read()/vault_write() call: memory stays constant. */
enum { OFFLINE_CHUNK = 1024 * 1024 };

/* getopt_long values of the common options; a command's own start at OFFLINE_OPT_NEXT. */
enum {
	OFFLINE_OPT_SHARED = AUTH_OPT_NEXT, /* the AUTH options: cli/auth.h */
	OFFLINE_OPT_LEASE,
	OFFLINE_OPT_VERBOSE = 'v',
	OFFLINE_OPT_NEXT = 270,
};

#define OFFLINE_LONGOPTS                                                                  \
	AUTH_PASSWORD_LONGOPTS,                                                           \
	AUTH_KEY_LONGOPTS,                                                                \
	{ "shared", required_argument, NULL, OFFLINE_OPT_SHARED },                        \
	{ "verbose", no_argument, NULL, OFFLINE_OPT_VERBOSE },                            \
	{ "lock-lease", required_argument, NULL, OFFLINE_OPT_LEASE },                     \
	{ "help", no_argument, NULL, 'h' }

/* The --help lines of the common options. */
#define OFFLINE_OPTIONS_HELP                                                              \
	"  --passfile F     read the password from the first line of file F\n"            \
	"  --extpass CMD    read the password from the first line CMD (via /bin/sh) prints\n" \
	"  --keyfile F      unlock with the key file F (a key-file slot)\n"               \
	"  --recovery-key F unlock with the recovery key written in file F\n"             \
	"  --tpm            unlock with a TPM slot, unsealed by this machine's TPM\n"     \
	"                   (TCTI from TPM2TOOLS_TCTI; default device:/dev/tpmrm0)\n"    \
	"                   (without any: prompt on a terminal, else read stdin)\n"       \
	"  --shared=MODE    the cross-client locks to take (docs/SHARED.md): auto\n"      \
	"                   (default: the mode of the live shared mounts of CIPHERDIR,\n" \
	"                   else picked by the lower fs type as 'mount --shared=auto'),\n"\
	"                   locks, lockfiles, or off (only when no mount is live)\n"      \
	"  --lock-lease=S   lockfiles: a lock file unchanged for S seconds is stale and\n"\
	"                   broken (default 10; use the mounts' value)\n"                \
	"  -v, --verbose    also log what the core does (the shared mode chosen, ...);\n" \
	"                   warnings are always shown\n"                                 \
	"  -h, --help       show this help\n"

#define OFFLINE_EXIT_HELP                                                                 \
	"exit status: 0 ok, 1 wrong password, 2 usage error, 3 not a vault,\n"            \
	"             4 other error (no such path, I/O or integrity error),\n"            \
	"             6 a live single-client mount of CIPHERDIR (or one in another\n"     \
	"             shared mode) forbids access. See docs/CLI.md.\n"

struct offline_args {
	struct password_source pwsrc;
	enum vault_shared_mode shared; /* --shared=MODE; AUTO unless given */
	bool verbose;                  /* -v: log at debug level (else warnings only) */
	unsigned lock_lease_ms;        /* --lock-lease=S, or 0 for the default */
};

/* One opened vault of an offline command. */
struct offline {
	const char *cmd;       /* "ls", ...: for messages (borrowed, static) */
	const char *cipherdir; /* as given (borrowed) */
	char *cipher_abs;      /* owned */
	struct vault *v;       /* owned */
	struct vault_caller who;
};

/* A plaintext path split into components ("", "." and extra slashes dropped). */
struct offline_path {
	char *buf;   /* owned: the components, NUL-separated */
	char **comp; /* owned array of pointers into buf */
	size_t n;
};

void offline_args_init(struct offline_args *a);
/*
 * Take common option c (with its optarg). Returns 0 when taken, -1 when c is not a
 * common option, or an exit status (usage error printed).
 */
int offline_option(const char *cmd, struct offline_args *a, int c, const char *arg);
/* What offline_next_option() parses for one command. */
struct offline_cmd {
	const char *name;              /* for messages: "ls" */
	const char *shortopts;         /* getopt_long's short options, starting with ':' */
	const struct option *longopts; /* OFFLINE_LONGOPTS and the command's own */
	const char *help;              /* printed on stdout by -h / --help */
};
/*
 * getopt_long over argv for cmd: the common options go into a (offline_option). Returns the
 * next option of the command's own (> 0), 0 at the end of the options (optind at the first
 * operand), or -1 when the command ends now with exit status *status (--help printed:
 * CLI_EXIT_OK; an unknown option or a bad value: the usage error printed).
 */
int offline_next_option(const struct offline_cmd *cmd, struct offline_args *a, int argc,
			char **argv, int *status);
/*
 * Check the argument count: between min and max operands after the options at optind.
 * Returns 0 or CLI_EXIT_USAGE (printed; usage names the operands).
 */
int offline_operands(const char *cmd, int argc, int optind_value, int min, int max,
		     const char *usage);

/*
 * Open the vault at cipherdir for cmd: not a vault (exit 3) is reported before the
 * password is asked for, and so is a live single-client mount (exit 6). write false opens
 * it read-only. Returns 0 (close with offline_close) or an exit status (printed).
 */
int offline_open(struct offline *o, const char *cmd, const char *cipherdir,
		 const struct offline_args *a, bool write) MUST_CHECK;
void offline_close(struct offline *o);

/*
 * Split path. ".." is refused (usage error printed, CLI_EXIT_USAGE); an empty path or
 * "/" is the root (n == 0). Returns 0 or an exit status; release with offline_path_release.
 */
int offline_path_split(const struct offline *o, const char *path, struct offline_path *p);
void offline_path_release(struct offline_path *p);

/*
 * Walk the first upto components of p from the root, component by component with
 * vault_lookup (symlinks are not followed: one in the middle gives ENOTDIR). *out gets
 * a new reference and *st its attributes. Returns 0 or -errno (nothing printed).
 */
int offline_walk(struct offline *o, const struct offline_path *p, size_t upto,
		 struct vnode **out, struct stat *st) MUST_CHECK;

/*
 * Report err of doing what ("cannot read") to path in the vault and return the exit
 * status (4): "cannot read 'PATH' in 'CIPHERDIR': reason", integrity failures named.
 */
int offline_error(const struct offline *o, const char *what, const char *path, int err);

/*
 * Check that n (at path) is a regular file: 0, or the exit status after "cannot what
 * 'PATH' in 'CIPHERDIR': Is a directory" (or "not a regular file").
 */
int offline_need_file(const struct offline *o, struct vnode *n, const char *what,
		      const char *path);

/*
 * Split path, walk to it and check that it is a regular file (offline_path_split,
 * offline_walk, offline_need_file): 0, or the exit status after the message. *out gets a
 * new reference, also on a failure after the walk (the caller drops it); p is the
 * caller's to release.
 */
int offline_find_file(struct offline *o, const char *path, struct offline_path *p,
		      struct vnode **out, struct stat *st) MUST_CHECK;

/* The mode for a new object: mode less the process umask (the vault applies modes as given). */
mode_t offline_new_mode(mode_t mode);

/*
 * From now on SIGINT, SIGTERM and SIGHUP only set a flag that the copy loops check between
 * chunks (and that makes a blocked read or write return EINTR), so that put and get can
 * remove what they leave half-written. offline_interrupted() tells whether one came.
 */
void offline_catch_signals(void);
bool offline_interrupted(void);

/* write(2) all of buf to fd (EINTR retried). 0 or -errno. */
int offline_write_all(int fd, const void *buf, size_t len) MUST_CHECK;

/*
 * Copy the plaintext of the regular file n to fd in OFFLINE_CHUNK pieces until end of
 * file. Returns 0, or -errno with *fd_err true when writing to fd failed (else reading
 * the vault failed); -EINTR after a signal caught by offline_catch_signals().
 */
int offline_copy_out(struct offline *o, struct vnode *n, int fd, bool *fd_err) MUST_CHECK;

#endif
