/*
 * The veilfs subcommands. Each lives in its own cmd_<name>.c and is listed in the
 * command table of main.c; each returns the process exit status (see docs/CLI.md).
 */
#ifndef VEILFS_CLI_COMMANDS_H
#define VEILFS_CLI_COMMANDS_H

int cmd_init_main(int argc, char **argv);
int cmd_info_main(int argc, char **argv);
int cmd_passwd_main(int argc, char **argv);
int cmd_mount_main(int argc, char **argv);
int cmd_umount_main(int argc, char **argv);
int cmd_fsck_main(int argc, char **argv);
int cmd_status_main(int argc, char **argv);
int cmd_key_main(int argc, char **argv);
int cmd_upgrade_main(int argc, char **argv);
/* The offline commands (cli/offline.h): a vault without a mount. */
int cmd_ls_main(int argc, char **argv);
int cmd_cat_main(int argc, char **argv);
int cmd_get_main(int argc, char **argv);
int cmd_put_main(int argc, char **argv);
int cmd_rm_main(int argc, char **argv);
int cmd_rekey_main(int argc, char **argv);
int cmd_mkdir_main(int argc, char **argv);

#endif
