/* ingest-stream.c: a test driver for media_prepare_stream (the bulk import's entry point): stdin
 * in, one resource out, attached to (entity_type, entity_id) in a transaction of its own.
 * Usage: ingest-stream ENTITY_TYPE ENTITY_ID MAX_BYTES [images|any]; prints
 * "<resource_id> <ext> <size> created|reused", or "error <why>" and exits 1. */
#include "config.h"
#include "db.h"
#include "media.h"
#include "storage.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static ssize_t read_stdin(void *ctx, char *buf, size_t n)
{
	(void)ctx;
	return read(0, buf, n);
}

int main(int argc, char **argv)
{
	const struct config *c;
	struct media_item it;
	enum herr me;
	char *end;
	long long max;

	if (argc != 5 || (max = strtoll(argv[3], &end, 10)) < 0 || *end) {
		fprintf(stderr, "usage: ingest-stream ENTITY_TYPE ENTITY_ID MAX_BYTES images|any\n");
		return 2;
	}
	c = config_init_or_die();
	if (storage_init(c) != 0)
		return 1;
	me = media_prepare_stream(read_stdin, NULL, max, argv[4][0] == 'i' ? MT_IMAGES : 0, &it);
	if (me == HE_OK) {
		if (db_begin() != HE_OK)
			me = HE_DB_UNAVAILABLE;
		else if ((me = media_attach(&it, argv[1], argv[2], "gallery", 0, NULL)) != HE_OK || db_commit() != HE_OK) {
			db_rollback();
			media_abort(&it);
			if (me == HE_OK)
				me = HE_DB_UNAVAILABLE;
		} else {
			printf("%s %s %lld %s\n", it.resource_id, it.ext, it.size, it.created ? "created" : "reused");
			media_finish(&it);
		}
	}
	if (me != HE_OK)
		printf("error %s\n", it.why ? it.why : herr_str(me));
	db_close();
	storage_cleanup();
	return me == HE_OK ? 0 : 1;
}
