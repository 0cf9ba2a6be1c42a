/*
 * mount, umount and status in the Windows build (instead of cmd_mount.c, cmd_umount.c,
 * cmd_status.c and mounts.c): there is no FUSE on Windows, and no WinFsp front end yet
 * (docs/WINDOWS.md), so these commands say so and exit with a usage error. The offline
 * commands (ls, cat, get, put, rm, mkdir) reach a vault without a mount.
 */
#include "cli/cli.h"
#include "cli/commands.h"

static int not_here(const char *cmd)
{
	cli_error("'%s' is not available in this build (Windows: no FUSE; use the offline "
		  "commands ls, cat, get, put, rm and mkdir; docs/WINDOWS.md)", cmd);
	return CLI_EXIT_USAGE;
}

int cmd_mount_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return not_here("mount");
}

int cmd_umount_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return not_here("umount");
}

int cmd_status_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return not_here("status");
}
