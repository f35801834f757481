/* caption-pending.c: files-cron caption-pending (API.md §8), and the caption of one product that run-imports shares. */
#include "files-cron.h"
#include "caption.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "caption-pending"

int cron_caption_product(const char *id, const char *sku, const char *name,
    const char *description, const char *cover_url)
{
	const struct config *c = config_get();
	char *text = NULL;
	const char *p[3];
	PGresult *res = NULL;
	enum herr e;

	if (c->caption_service_url == NULL || cover_url == NULL)
		return 0;       /* stays pending until a service is configured */
	p[0] = id;
	p[2] = caption_fetch(c->caption_service_url, cover_url, sku, name, description, &text) == 0 ?
	    "done" : "failed";
	p[1] = text;
	e = db_exec(&res, "UPDATE products SET caption = $2, caption_status = $3, updated_at = now() "
	    "WHERE id = $1::uuid AND caption_status = 'pending'", 3, p);
	PQclear(res);
	free(text);
	return e == HE_OK ? 0 : -1;
}

/* Caption the oldest pending product nobody else holds: 1 done, 0 none left, -1 database down. */
static int caption_one(void)
{
	static const char pick[] = "SELECT id, sku, name, description, cover_image_url FROM products "
	    "WHERE caption_status = 'pending' ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED";
	PGresult *res = NULL;
	int rc = -1;

	/* the row stays locked while its caption is fetched (30 s at most): another worker skips it */
	if (db_begin() != HE_OK)
		return -1;
	if (db_exec(&res, pick, 0, NULL) != HE_OK)
		goto out;
	if (PQntuples(res) == 0) {
		rc = 0;
		goto out;
	}
	if (cron_caption_product(PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
	    PQgetisnull(res, 0, 3) ? NULL : PQgetvalue(res, 0, 3),
	    PQgetisnull(res, 0, 4) ? NULL : PQgetvalue(res, 0, 4)) == 0 && db_commit() == HE_OK)
		rc = 1;
out:
	PQclear(res);
	if (rc != 1)
		db_rollback();
	return rc;
}

int cron_caption_pending(int argc, char **argv)
{
	static const struct option opts[] = { { "max", required_argument, NULL, 'm' }, { NULL, 0, NULL, 0 } };
	long max = 1000, n = 0;
	int ch, r = 0;
	char *end;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		errno = 0;
		if (ch == 'm' && (max = strtol(optarg, &end, 10), errno == 0 && end != optarg &&
		    *end == '\0' && max >= 0 && max <= 1000000))
			continue;
		cron_fail(NAME, "usage: files-cron caption-pending [--max N]");
		return CRON_EX_USAGE;
	}
	if (config_get()->caption_service_url == NULL) {
		printf("%s: no CAPTION_SERVICE_URL, nothing to do\n", NAME);
		return CRON_EX_OK;
	}
	while (n < max && (r = caption_one()) == 1)
		n++;
	printf("%s: %ld products captioned\n", NAME, n);
	if (r < 0) {
		cron_fail(NAME, "the database could not be reached");
		return CRON_EX_FAIL;
	}
	return CRON_EX_OK;
}
