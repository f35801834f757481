/* files-cron.h: what the files-cron subcommands share: one entry per subcommand, each in its own file. */
#ifndef FILES_CRON_H
#define FILES_CRON_H
#include <stdio.h>

#define CRON_EX_OK    0
#define CRON_EX_FAIL  1   /* could not do its work: database or store unreachable */
#define CRON_EX_USAGE 2

/*
 * A subcommand: argv[0] is its name, the rest its options (parse with getopt_long, optind
 * reset by the caller). Configuration, database (db_*) and storage are ready when it runs.
 * It prints one summary line on stdout (prefix: its name) and logs to stderr. Returns
 * CRON_EX_OK when it did its work (bad data is data, not a failure), else CRON_EX_FAIL /
 * CRON_EX_USAGE with one clear line on stderr (cron_fail).
 */
typedef int (*cron_fn)(int argc, char **argv);

struct cron_command {
	const char *name;
	cron_fn fn;
	const char *usage;   /* one line: "sweep-temp [--older-than S] [--dry-run]" */
	const char *help;    /* what it does, for --help */
};

/* One line "files-cron: <name>: ..." on stderr. */
void cron_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sweep-temp.c: API.md §8 sweep-temp. */
int cron_sweep_temp(int argc, char **argv);
/* run-imports.c: API.md §8 run-imports. */
int cron_run_imports(int argc, char **argv);
/* caption-pending.c: API.md §8 caption-pending. */
int cron_caption_pending(int argc, char **argv);
/* Caption product id's cover through CAPTION_SERVICE_URL and store it ("done", or "failed"
 * when the service fails); nothing without a service. 0, or -1 when the database failed. */
int cron_caption_product(const char *id, const char *sku, const char *name,
    const char *description, const char *cover_url);

#endif
