/*
 * veilfs status: the mounts of a vault, from its mount registry (coord/registry.h), as
 * text or as one JSON object. No password is needed: registrations hold no secret.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/registry_platform.h"
#include "coord/registry.h"
#include "store/store.h"

static const char status_help[] =
	"usage: " CLI_PROG " status [--json] CIPHERDIR\n"
	"\n"
	"List the mounts of CIPHERDIR that registered in it (every veilfs mount does, on\n"
	"any machine): host, pid, shared mode, mount point, start and last heartbeat, and\n"
	"whether the mount is live. A mount on this machine is checked by its pid; one on\n"
	"another machine is 'live?' while its heartbeat is recent and 'stale' once it is\n"
	"older than 10 minutes (a mount removes stale registrations it finds).\n"
	"No password is needed.\n"
	"\n"
	"options:\n"
	"  --json      print one JSON object {\"mounts\": [...]} instead of text\n"
	"  -h, --help  show this help\n"
	"\n"
	"exit status: 0 ok, 2 usage error, 3 not a vault, 4 other error. See docs/CLI.md.\n";

static const struct option status_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *state_name(enum registry_state s)
{
	return s == REGISTRY_LIVE ? "live" : s == REGISTRY_STALE ? "stale" : "live?";
}

static void print_json(const struct registry_entry *e, const enum registry_state *st, int n)
{
	int i;

	printf("{\n  \"mounts\": [");
	for (i = 0; i < n; i++) {
		printf("%s\n    {\"host\": ", i ? "," : "");
		cli_json_string(e[i].host);
		printf(", \"pid\": %ld, \"mode\": ", e[i].pid);
		cli_json_string(e[i].mode);
		printf(", \"mountpoint\": ");
		cli_json_string(e[i].mnt);
		printf(", \"started\": %lld, \"heartbeat\": %lld, \"state\": \"%s\"}",
		       (long long)e[i].started, (long long)e[i].beat, state_name(st[i]));
	}
	printf("%s]\n}\n", n ? "\n  " : "");
}

static void print_text(const char *dir, const struct registry_entry *e,
		       const enum registry_state *st, int n)
{
	time_t now = time(NULL);
	int i;

	if (n == 0) {
		printf("%s: no mounts registered\n", dir);
		return;
	}
	for (i = 0; i < n; i++)
		printf("%-6s host %s pid %ld --shared=%s at %s (heartbeat %llds ago)\n",
		       state_name(st[i]), e[i].host, e[i].pid, e[i].mode, e[i].mnt,
		       (long long)(now - e[i].beat));
}

static int list(const char *dir, bool json)
{
	struct registry_entry *e = calloc(REGISTRY_ENTRIES_MAX, sizeof(*e));
	enum registry_state *st = calloc(REGISTRY_ENTRIES_MAX, sizeof(*st));
	struct store *s = NULL;
	struct coord c;
	int rootfd = -1, n, r = CLI_EXIT_ERROR;

	if (!e || !st)
		goto out;
	if ((n = store_open_dir(dir, &s, &rootfd)) < 0) {
		r = cli_vault_error("cannot read vault", dir, n);
		goto out;
	}
	if ((n = coord_init(&c, s, rootfd, COORD_OFF, COORD_FRESH_NONE, 0)) < 0 ||
	    (n = registry_list(&c, registry_platform_get(), e, st, REGISTRY_ENTRIES_MAX)) < 0) {
		r = cli_vault_error("cannot list the mounts of", dir, n);
		goto out;
	}
	if (json)
		print_json(e, st, n);
	else
		print_text(dir, e, st, n);
	r = CLI_EXIT_OK;
out:
	if (s) {
		(void)store_close(s, rootfd); /* read-only use: nothing to lose */
		store_free(s);
	}
	free(e);
	free(st);
	return r;
}

int cmd_status_main(int argc, char **argv)
{
	bool json = false;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", status_options, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(status_help, stdout);
			return CLI_EXIT_OK;
		default:
			return cli_option_error("status", c, optopt, argv, optind);
		}
	}
	if ((r = cli_one_cipherdir("status", argc, optind)) != 0)
		return r;
	r = list(argv[optind], json);
	if (r == CLI_EXIT_OK && (fflush(stdout) != 0 || ferror(stdout))) {
		cli_error("cannot write to standard output");
		return CLI_EXIT_ERROR;
	}
	return r;
}
