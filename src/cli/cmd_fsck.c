/*
 * veilfs fsck: placeholder until the subcommand is implemented; refuses with a clear error.
 */
#include <stdio.h>
#include "cli/commands.h"

int cmd_fsck_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "veilfs: 'fsck' is not implemented yet\n");
	return 2;
}
