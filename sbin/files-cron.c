/* files-cron: the cron-driven worker (API.md §8): a table of subcommands, each in its own file. */
#include "files-cron.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "storage.h"
#include "version.h"
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * The subcommands, in the order a bare `files-cron` runs them. run-imports and
 * caption-pending (sbin/run-imports.c, sbin/caption-pending.c) join this table.
 */
static const struct cron_command commands[] = {
	{ "run-imports", cron_run_imports, "run-imports [--max-tasks N] [--stale-after SECONDS]",
	  "Process pending bulk uploads (and take over those whose worker went silent for\n"
	  "  --stale-after seconds, default 120), at most N tasks (default 100)." },
	{ "caption-pending", cron_caption_pending, "caption-pending [--max N]",
	  "Caption products left pending (no CAPTION_SERVICE_URL at import time), at most N\n"
	  "  (default 1000); nothing to do without CAPTION_SERVICE_URL." },
	{ "sweep-temp", cron_sweep_temp, "sweep-temp [--older-than SECONDS] [--dry-run]",
	  "Delete abandoned temp/ objects, oversized ones, stale upload records, media/ objects\n"
	  "  without a row and pending resources older than an hour (with their objects)." },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

void cron_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "files-cron: %s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: files-cron [COMMAND [options]]   (configuration from the environment or FILES_CONFIG)\n\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s\n  %s\n\n", commands[i].usage, commands[i].help);
	fprintf(f, "Without a command, runs each of them in turn. Every command takes --help.\n"
	    "Exit 0 when the work was done, 1 when it could not be (database or store down), 2 on bad usage.\n");
}

static int run(const struct cron_command *cmd, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: files-cron %s\n  %s\n", cmd->usage, cmd->help);
			return CRON_EX_OK;
		}
	optind = 1;
	return cmd->fn(argc, argv);
}

int main(int argc, char **argv)
{
	const struct config *c;
	size_t i;
	int rc = CRON_EX_OK;

	if (files_version_requested(argc, argv))
		return CRON_EX_OK;
	log_set_program("files-cron");
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)) {
		usage(stdout);
		return CRON_EX_OK;
	}
	if (argc >= 2) {
		for (i = 0; i < NCOMMANDS; i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				break;
		if (i == NCOMMANDS) {
			fprintf(stderr, "files-cron: unknown command %s (see files-cron --help)\n", argv[1]);
			return CRON_EX_USAGE;
		}
	}
	c = config_init_or_die();
	if (storage_init(c) != 0) {
		fprintf(stderr, "files-cron: the storage backend could not be set up (see the log above)\n");
		return CRON_EX_FAIL;
	}
	if (argc >= 2) {
		rc = run(&commands[i], argc - 1, argv + 1);
	} else {
		/* Each in turn; the worst exit status wins, but one failing does not stop the rest. */
		for (i = 0; i < NCOMMANDS; i++) {
			char *av[] = { (char *)commands[i].name, NULL };
			int r = run(&commands[i], 1, av);
			if (r > rc)
				rc = r;
		}
	}
	db_close();
	storage_cleanup();
	return rc;
}
