/* sweep-temp.c: files-cron sweep-temp (API.md §8): what abandoned uploads and crashed ingests leave. */
#include "files-cron.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "storage.h"
#include "uuid.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAME "sweep-temp"
#define SWEEP_LOCK "7236085710350778369"   /* pg advisory lock key of the sweeper */
#define SWEEP_MAX_KEYS 200000               /* keys collected per prefix and run */
#define PENDING_MAX_AGE_S 3600              /* a pending resource older than this is a crash's */
#define OLDER_THAN_MAX (100LL * 365 * 86400)

struct keys {
	char **v;
	size_t n, cap;
	int full;                /* SWEEP_MAX_KEYS reached: the rest waits for the next run */
};

struct scan {
	struct keys old;         /* candidates: past the age */
	long long max_size;
	time_t cutoff;
	size_t oversized;
};

static int keys_add(struct keys *k, const char *key)
{
	char **nv;

	if (k->n == SWEEP_MAX_KEYS) {
		k->full = 1;
		return 0;
	}
	if (k->n == k->cap) {
		size_t nc = k->cap ? k->cap * 2 : 256;
		if ((nv = realloc(k->v, nc * sizeof(*nv))) == NULL)
			return -1;
		k->v = nv;
		k->cap = nc;
	}
	if ((k->v[k->n] = strdup(key)) == NULL)
		return -1;
	k->n++;
	return 0;
}

static void keys_free(struct keys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->v[i]);
	free(k->v);
	memset(k, 0, sizeof(*k));
}

/* temp/: old ones, and oversized ones whatever their age. */
static int scan_temp(void *ctx, const char *key, long long size, time_t mtime)
{
	struct scan *s = ctx;

	if (size > s->max_size) {
		s->oversized++;
		return keys_add(&s->old, key);
	}
	if (mtime <= s->cutoff)     /* so --older-than 0 takes this second's too */
		return keys_add(&s->old, key);
	return 0;
}

/* media/: only objects past the age are candidates (a fresh one may be an ingest's). */
static int scan_media(void *ctx, const char *key, long long size, time_t mtime)
{
	struct scan *s = ctx;

	(void)size;
	return mtime <= s->cutoff ? keys_add(&s->old, key) : 0;
}

/* Delete every key (or count them, dry run). -1 when the store failed. */
static int delete_keys(const struct keys *k, int dry_run, size_t *done)
{
	size_t i;
	enum herr e;

	for (i = 0; i < k->n; i++) {
		if (!dry_run && (e = storage_delete(k->v[i])) != HE_OK) {
			cron_fail(NAME, "deleting %s: %s", k->v[i], herr_str(e));
			return -1;
		}
		(*done)++;
	}
	return 0;
}

/* The resource id named by key (media/{id}/...), into id; -1 when key is no name ingest makes. */
static int media_key_id(const char *key, char id[UUID_STR_LEN + 1])
{
	char why[64];

	if (strncmp(key, "media/", 6) != 0 || strlen(key) < 6 + UUID_STR_LEN + 1 ||
	    key[6 + UUID_STR_LEN] != '/' || uuid_parse(key + 6, UUID_STR_LEN, id, why, sizeof(why)) != 0 ||
	    memcmp(id, key + 6, UUID_STR_LEN) != 0)
		return -1;
	return 0;
}

/*
 * Mark in keep[] the keys of v[0..n) that are media/{id}/file.{ext} of an existing row: one
 * statement for the batch (keys hold no control byte, so '\n' separates them). -1 when the
 * database is down.
 */
static int mark_batch(char **v, size_t n, unsigned char *keep)
{
	static const char sql[] = "SELECT t.n FROM unnest(string_to_array($1, E'\\n')::uuid[], "
	    "string_to_array($2, E'\\n')) WITH ORDINALITY AS t(id, k, n) "
	    "JOIN media_resources r ON r.id = t.id AND t.k = 'media/' || r.id::text || '/file.' || r.ext";
	struct buf ids, keys;
	char id[UUID_STR_LEN + 1];
	size_t i, *at = calloc(n ? n : 1, sizeof(*at)), m = 0;
	const char *p[2];
	PGresult *res = NULL;
	int rc = -1, k;

	buf_init(&ids, n * (UUID_STR_LEN + 1) + 1);
	buf_init(&keys, (size_t)n * (STORAGE_KEY_MAX + 1) + 1);
	if (at == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (media_key_id(v[i], id) != 0)
			continue;     /* not a name ingest makes: nothing refers to it */
		if (buf_printf(&ids, "%s%s", m ? "\n" : "", id) != 0 ||
		    buf_printf(&keys, "%s%s", m ? "\n" : "", v[i]) != 0)
			goto out;
		at[m++] = i;
	}
	if (m == 0) {
		rc = 0;
		goto out;
	}
	p[0] = buf_cstr(&ids);
	p[1] = buf_cstr(&keys);
	if (db_exec(&res, sql, 2, p) != HE_OK)
		goto out;
	for (k = 0; k < PQntuples(res); k++) {
		long long ord = strtoll(PQgetvalue(res, k, 0), NULL, 10);
		if (ord >= 1 && (size_t)ord <= m)
			keep[at[ord - 1]] = 1;
	}
	rc = 0;
out:
	PQclear(res);
	buf_free(&ids);
	buf_free(&keys);
	free(at);
	return rc;
}

#define ORPHAN_BATCH 1000   /* media/ keys checked per statement */

/* Drop from k the media/ keys that belong to a row. -1 when the database is down. */
static int keep_orphans(struct keys *k)
{
	unsigned char *keep = calloc(k->n ? k->n : 1, 1);
	size_t i, j = 0;

	if (keep == NULL)
		return -1;
	for (i = 0; i < k->n; i += ORPHAN_BATCH)
		if (mark_batch(k->v + i, k->n - i < ORPHAN_BATCH ? k->n - i : ORPHAN_BATCH, keep + i) != 0) {
			free(keep);
			return -1;
		}
	for (i = 0; i < k->n; i++) {
		if (keep[i])
			free(k->v[i]);
		else
			k->v[j++] = k->v[i];
	}
	k->n = j;
	free(keep);
	return 0;
}

/* Stale pending resources: rows deleted first (then their objects are orphans at worst). */
static int sweep_pending(int dry_run, size_t *done)
{
	static const char del[] = "DELETE FROM media_resources r WHERE state = 'pending' "
	    "AND created_at < now() - make_interval(secs => $1::bigint) "
	    "AND NOT EXISTS (SELECT 1 FROM media_resource_attachments a WHERE a.resource_id = r.id) "
	    "RETURNING 'media/' || id::text || '/file.' || ext";
	static const char sel[] = "SELECT 'media/' || id::text || '/file.' || ext FROM media_resources r "
	    "WHERE state = 'pending' AND created_at < now() - make_interval(secs => $1::bigint) "
	    "AND NOT EXISTS (SELECT 1 FROM media_resource_attachments a WHERE a.resource_id = r.id)";
	char age[24];
	const char *p[1] = { age };
	PGresult *res = NULL;
	struct keys k = { 0 };
	int i, rc = -1;

	snprintf(age, sizeof(age), "%d", PENDING_MAX_AGE_S);
	if (db_exec(&res, dry_run ? sel : del, 1, p) != HE_OK) {
		cron_fail(NAME, "database unreachable or failing (pending resources)");
		goto out;
	}
	for (i = 0; i < PQntuples(res); i++)
		if (keys_add(&k, PQgetvalue(res, i, 0)) != 0)
			goto out;
	rc = delete_keys(&k, dry_run, done);
out:
	PQclear(res);
	keys_free(&k);
	return rc;
}

static int sweep_uploads(long long older, int dry_run, long long *done)
{
	static const char del[] = "DELETE FROM uploads WHERE expires_at < now() - make_interval(secs => $1::bigint)";
	static const char sel[] = "SELECT count(*) FROM uploads WHERE expires_at < now() - make_interval(secs => $1::bigint)";
	char age[24];
	const char *p[1] = { age };
	PGresult *res = NULL;

	snprintf(age, sizeof(age), "%lld", older);
	if (db_exec(&res, dry_run ? sel : del, 1, p) != HE_OK) {
		PQclear(res);
		cron_fail(NAME, "database unreachable or failing (upload records)");
		return -1;
	}
	*done = dry_run ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

/* Take the sweeper's advisory lock: 1 taken, 0 another sweep holds it, -1 database down. */
static int take_lock(void)
{
	PGresult *res = NULL;
	const char *p[1] = { SWEEP_LOCK };
	int got;

	if (db_exec(&res, "SELECT pg_try_advisory_lock($1::bigint)", 1, p) != HE_OK) {
		PQclear(res);
		return -1;
	}
	got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return got;
}

static int parse_args(int argc, char **argv, long long *older, int *dry_run)
{
	static const struct option lo[] = {
		{ "older-than", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		char *end;
		switch (ch) {
		case 'o':
			errno = 0;
			*older = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || *older < 0 || *older > OLDER_THAN_MAX) {
				cron_fail(NAME, "--older-than wants whole seconds, 0..%lld", OLDER_THAN_MAX);
				return -1;
			}
			break;
		case 'n':
			*dry_run = 1;
			break;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		cron_fail(NAME, "unexpected argument %s", argv[optind]);
		return -1;
	}
	return 0;
}

int cron_sweep_temp(int argc, char **argv)
{
	const struct config *c = config_get();
	long long older = c->temp_ttl_seconds, uploads = 0;
	struct scan t = { 0 }, m = { 0 };
	size_t temp_done = 0, media_done = 0, pending_done = 0;
	int dry_run = 0, lock, rc = CRON_EX_FAIL;
	enum herr e;

	if (parse_args(argc, argv, &older, &dry_run) != 0)
		return CRON_EX_USAGE;
	if ((lock = take_lock()) < 0) {
		cron_fail(NAME, "database unreachable (check DATABASE_URL)");
		return CRON_EX_FAIL;
	}
	if (lock == 0) {
		printf("%s: another sweep is running; nothing done\n", NAME);
		return CRON_EX_OK;
	}
	t.cutoff = m.cutoff = time(NULL) - (time_t)older;
	t.max_size = c->max_upload_size;
	if ((e = storage_list("temp/", scan_temp, &t)) != HE_OK ||
	    (e = storage_list("media/", scan_media, &m)) != HE_OK) {
		cron_fail(NAME, "listing the store failed: %s", herr_str(e));
		goto out;
	}
	if (delete_keys(&t.old, dry_run, &temp_done) != 0)
		goto out;
	if (keep_orphans(&m.old) != 0) {
		cron_fail(NAME, "database unreachable or failing (media rows)");
		goto out;
	}
	if (delete_keys(&m.old, dry_run, &media_done) != 0 || sweep_pending(dry_run, &pending_done) != 0 ||
	    sweep_uploads(older, dry_run, &uploads) != 0)
		goto out;
	printf("%s: %s%zu temp objects (%zu oversized), %lld upload records, %zu media orphans, "
	    "%zu pending resources%s\n", NAME, dry_run ? "would delete " : "deleted ", temp_done,
	    t.oversized, uploads, media_done, pending_done,
	    t.old.full || m.old.full ? "; more left for the next run" : "");
	rc = CRON_EX_OK;
out:
	keys_free(&t.old);
	keys_free(&m.old);
	return rc;
}
