/*
 * veilfs: the command table and the entry point. Owns process hardening (no core dumps,
 * not dumpable, a umask without group/other write), `veilfs --help`, `veilfs --version`
 * and dispatch to cmd_<name>_main(). Each subcommand parses its own options and prints its
 * own --help; the usage text here is generated from the table (STYLE rule 27).
 *
 * mount(8) calling form: mount.fuse3 runs "veilfs CIPHERDIR MOUNTPOINT -o OPTIONS" for an
 * fstab line or `mount -t fuse.veilfs`. A first argument that is no command but an
 * existing directory is therefore taken as "veilfs mount CIPHERDIR ..." (docs/CLI.md).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include "base/compiler.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "keys/config_any.h"

#ifndef VEILFS_VERSION
#define VEILFS_VERSION "0.1.0"
#endif

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
	/* The command sets its own umask (the mount daemon mirrors callers' modes below). */
	bool keeps_umask;
};

static const struct command commands[] = {
	{ "init", cmd_init_main, "create a new vault in an empty directory", false },
	{ "info", cmd_info_main, "show the parameters of a vault (no password needed)", false },
	{ "passwd", cmd_passwd_main, "change the password of a vault", false },
	{ "mount", cmd_mount_main, "mount a vault: plaintext view at MOUNTPOINT", true },
	{ "umount", cmd_umount_main, "unmount a vault and wait for its daemon to exit", false },
	{ "fsck", cmd_fsck_main, "check every file and name of a vault", false },
	{ "status", cmd_status_main, "list the live mounts of a vault (no password needed)", false },
	{ "key", cmd_key_main, "list, add or remove the key slots of a vault", false },
	{ "upgrade", cmd_upgrade_main, "convert a version-1 vault to version 2 in place", false },
	{ "ls", cmd_ls_main, "list a directory of a vault without a mount", false },
	{ "cat", cmd_cat_main, "write a file of a vault to standard output without a mount", false },
	{ "get", cmd_get_main, "copy a file out of a vault without a mount", false },
	{ "put", cmd_put_main, "copy a local file into a vault without a mount", false },
	{ "rm", cmd_rm_main, "remove files (-r: trees) of a vault without a mount", false },
	{ "rekey", cmd_rekey_main, "re-encrypt files of older key epochs (after key revoke)", false },
	{ "mkdir", cmd_mkdir_main, "create directories in a vault without a mount", false },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: " CLI_PROG " COMMAND [OPTIONS] [ARGS]\n"
		   "       " CLI_PROG " --help | --version\n\n"
		   "Transparent file encryption: plaintext above the mount, ciphertext in the\n"
		   "cipher directory below.\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nRun '" CLI_PROG " COMMAND --help' for the options of a command.\n\n"
		   "exit status:\n"
		   "  %d  success\n"
		   "  %d  wrong password\n"
		   "  %d  usage error (bad option or argument, empty or mismatched password)\n"
		   "  %d  not a vault (missing directory, no or malformed veilfs.conf, or a KDF\n"
		   "     cost above the limit)\n"
		   "  %d  I/O or other error\n"
		   "  %d  fsck only: problems found in the vault\n"
		   "  %d  mount and the offline commands (ls, cat, get, put, rm, mkdir): a live\n"
		   "     mount of the vault forbids this one\n\n"
		   "environment:\n"
		   "  " CLI_KDF_LIMIT_ENV "=MIB,PASSES  largest Argon2id cost accepted from a "
		   "veilfs.conf\n"
		   "     (default 1024,16; see docs/CLI.md)\n",
		CLI_EXIT_OK, CLI_EXIT_WRONG_PASSWORD, CLI_EXIT_USAGE, CLI_EXIT_NOT_VAULT,
		CLI_EXIT_ERROR, CLI_EXIT_PROBLEMS, CLI_EXIT_BUSY);
}

/* No core dumps and no ptrace by other processes of the user: keys live in this process. */
static void harden_process(void)
{
	struct rlimit rl = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &rl);
#ifdef __linux__
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* mount.fuse3's form: the first argument is the cipher directory itself. */
static bool is_mount_helper_call(const char *arg)
{
	struct stat st;

	return arg[0] != '-' && stat(arg, &st) == 0 && S_ISDIR(st.st_mode);
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	char *help_argv[3];
	const char *hint;
	mode_t mask;
	int r;

	harden_process();
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf(CLI_PROG " %s (on-disk format version %d; opens version %d too)\n",
		       VEILFS_VERSION, CONFIG_V2_VERSION, CONFIG_VERSION);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc == 2) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		if (argc > 3 || !(cmd = find_command(argv[2]))) {
			cli_error("unknown command '%s'; see '" CLI_PROG " --help'", argv[2]);
			return CLI_EXIT_USAGE;
		}
		help_argv[0] = argv[2];
		help_argv[1] = (char *)"--help";
		help_argv[2] = NULL;
		return cmd->fn(2, help_argv);
	}
	cmd = find_command(argv[1]);
	if (!cmd && is_mount_helper_call(argv[1])) {
		argv[0] = (char *)"mount";
		return cmd_mount_main(argc, argv);
	}
	if (!cmd && argv[1][0] == '-') {
		hint = cli_gocryptfs_hint(argv[1] + 1 + (argv[1][1] == '-'),
					  strlen(argv[1] + 1 + (argv[1][1] == '-')));
		if (hint)
			cli_error("unknown option '%s' (did you mean %s?)", argv[1], hint);
		else
			cli_error("unknown option '%s'; see '" CLI_PROG " --help'", argv[1]);
		return CLI_EXIT_USAGE;
	}
	if (!cmd) {
		cli_error("unknown command '%s'; see '" CLI_PROG " --help'", argv[1]);
		return CLI_EXIT_USAGE;
	}
	if ((r = cli_kdf_limit_from_env()) != 0)
		return r;
	if (!cmd->keeps_umask) {
		mask = umask(022);
		umask(mask | 022);
	}
	return cmd->fn(argc - 1, argv + 1);
}
