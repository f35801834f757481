/* run-imports.c: files-cron run-imports (API.md §7, §8): claim bulk upload tasks, check the archive, then one transaction per CSV row. */
#include "files-cron.h"
#include "archive.h"
#include "config.h"
#include "csvin.h"
#include "db.h"
#include "log.h"
#include "media.h"
#include "storage.h"
#include "tmpfile.h"
#include "uuid.h"
#include "valid.h"
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NAME "run-imports"
#define HEARTBEAT_S       10        /* API.md §8 */
#define STALE_AFTER_S     120       /* a PROCESSING task whose heartbeat is older is taken over */
#define MAX_ATTEMPTS      5         /* claims of one task before it is given up as FAILED */
#define CSV_MAX_BYTES     (64LL * 1024 * 1024)
#define ROW_ERRORS        8
#define FIELD_MAX_CHARS   255
#define MAX_IMAGES        51        /* a cover and 50 additional images (API.md §6) */

struct task {
	char id[UUID_STR_LEN + 1], owner[UUID_STR_LEN + 1], claim[UUID_STR_LEN + 1];
	char shooting[UUID_STR_LEN + 1];        /* "" when none */
	char *key;
	int caption, skip_existing, attempts;
	json_object *done;                      /* results already committed (a resumed task) */
};

struct rowerr {
	const char *field;                      /* column, "images", or NULL */
	char msg[300];
};

struct job {
	const struct config *c;
	struct task *t;
	struct archive *a;
	struct csvin *csv;
	int pass;                               /* 1: count rows; 2: process them */
	long rows;
	int col_sku, col_name, col_desc, col_cover;
	json_object *seen;                      /* SKU -> first row */
	int fatal;                              /* database or store down: stop, exit 1 */
	int lost;                               /* the claim was taken over: stop this task */
	time_t beat;
	long created, failed, skipped;
};

/* ---------------------------------------------------------------- claim and heartbeat */

static int claim(struct task *t, int stale_after, int *fatal)
{
	static const char sql[] =
	    "UPDATE bulk_upload_tasks t SET status = 'PROCESSING', claim_id = $1::uuid, "
	    "heartbeat_at = now(), updated_at = now(), attempts = t.attempts + 1 "
	    "FROM (SELECT id FROM bulk_upload_tasks WHERE status = 'PENDING' OR (status = 'PROCESSING' "
	    "AND heartbeat_at < now() - make_interval(secs => $2::int)) "
	    "ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) c WHERE t.id = c.id "
	    "RETURNING t.id, t.owner_id, t.storage_key, t.caption_products, "
	    "coalesce(t.shooting_id::text, ''), t.skip_existing_skus, t.results::text, t.attempts";
	char stale[16];
	const char *p[2] = { t->claim, stale };
	PGresult *res = NULL;
	int rc = 0;

	snprintf(stale, sizeof stale, "%d", stale_after);
	if (uuid_v4(t->claim) != 0 || db_exec(&res, sql, 2, p) != HE_OK) {
		*fatal = 1;
		goto out;
	}
	if (PQntuples(res) != 1)
		goto out;
	snprintf(t->id, sizeof t->id, "%s", PQgetvalue(res, 0, 0));
	snprintf(t->owner, sizeof t->owner, "%s", PQgetvalue(res, 0, 1));
	t->key = strdup(PQgetvalue(res, 0, 2));
	t->caption = PQgetvalue(res, 0, 3)[0] == 't';
	snprintf(t->shooting, sizeof t->shooting, "%s", PQgetvalue(res, 0, 4));
	t->skip_existing = PQgetvalue(res, 0, 5)[0] == 't';
	t->done = json_tokener_parse(PQgetvalue(res, 0, 6));
	t->attempts = atoi(PQgetvalue(res, 0, 7));
	if (t->key == NULL || t->done == NULL) {
		*fatal = 1;
		goto out;
	}
	rc = 1;
out:
	PQclear(res);
	return rc;
}

/* Run sql ($1 task id, $2 claim id, then more) on our claimed task: 1 row touched, else lost. */
static int task_exec(struct job *j, const char *sql, int n, const char *const *more)
{
	const char *p[8] = { j->t->id, j->t->claim };
	PGresult *res = NULL;
	enum herr e;
	int i;

	for (i = 0; i < n && i < 6; i++)
		p[2 + i] = more[i];
	e = db_exec(&res, sql, 2 + n, p);
	if (e != HE_OK)
		j->fatal = 1;
	else if (strcmp(PQcmdTuples(res), "1") != 0)
		j->lost = 1;
	PQclear(res);
	return j->fatal || j->lost ? -1 : 0;
}

static int heartbeat(struct job *j, int force)
{
	time_t now = time(NULL);

	if (!force && now - j->beat < HEARTBEAT_S)
		return 0;
	j->beat = now;
	return task_exec(j, "UPDATE bulk_upload_tasks SET heartbeat_at = now() "
	    "WHERE id = $1::uuid AND claim_id = $2::uuid AND status = 'PROCESSING'", 0, NULL);
}

/* ---------------------------------------------------------------- one row's outcome */

static json_object *result_obj(const char *status, const char *product_id, int images,
    const struct rowerr *errs, int nerr)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	int i;

	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "product_id", product_id ? json_object_new_string(product_id) : NULL);
	json_object_object_add(o, "images", json_object_new_int(images));
	for (i = 0; i < nerr; i++)
		json_object_array_add(a, json_object_new_string(errs[i].msg));
	json_object_object_add(o, "errors", a);
	return o;
}

/* Inside the row's transaction: its error rows, its results entry and the counters. */
static int record_row(struct job *j, const char *key, const char *sku, long line,
    const char *status, const char *product_id, int images, const struct rowerr *errs, int nerr)
{
	static const char upd[] =
	    "UPDATE bulk_upload_tasks SET results = results || jsonb_build_object($3::text, $4::jsonb), "
	    "processed_products = processed_products + 1, "
	    "successful_products = successful_products + $5::int, "
	    "failed_products = failed_products + $6::int, skipped_products = skipped_products + $7::int, "
	    "heartbeat_at = now(), updated_at = now() "
	    "WHERE id = $1::uuid AND claim_id = $2::uuid AND status = 'PROCESSING' AND NOT results ? $3";
	static const char ins[] =
	    "INSERT INTO bulk_upload_errors (task_id, sku, \"row\", field, message) "
	    "SELECT $1::uuid, $3, $4::int, $5, $6 FROM bulk_upload_tasks "
	    "WHERE id = $1::uuid AND claim_id = $2::uuid";
	json_object *o = result_obj(status, product_id, images, errs, nerr);
	char row[24];
	const char *more[5];
	int i, rc = 0;

	snprintf(row, sizeof row, "%ld", line);
	for (i = 0; i < nerr && rc == 0; i++) {
		more[0] = sku[0] ? sku : NULL;
		more[1] = row;
		more[2] = errs[i].field;
		more[3] = errs[i].msg;
		rc = task_exec(j, ins, 4, more);
	}
	more[0] = key;
	more[1] = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	more[2] = status[0] == 'c' ? "1" : "0";
	more[3] = status[0] == 'f' ? "1" : "0";
	more[4] = status[0] == 's' ? "1" : "0";
	if (rc == 0)
		rc = task_exec(j, upd, 5, more);
	json_object_put(o);
	return rc;
}

/* A row that creates nothing (failed, skipped): its own transaction. */
static int finish_row(struct job *j, const char *key, const char *sku, long line,
    const char *status, const char *product_id, const struct rowerr *errs, int nerr)
{
	if (db_begin() != HE_OK) {
		j->fatal = 1;
		return -1;
	}
	if (record_row(j, key, sku, line, status, product_id, 0, errs, nerr) != 0) {
		db_rollback();
		return -1;
	}
	if (db_commit() != HE_OK) {
		j->fatal = 1;
		return -1;
	}
	if (status[0] == 'f')
		j->failed++;
	else
		j->skipped++;
	return 0;
}

/* ---------------------------------------------------------------- the CSV row */

struct row {
	long line;
	char key[1040];
	char sku[1024], name[1024], cover[1024];
	const char *desc;
	json_object *attrs;
	struct rowerr err[ROW_ERRORS];
	int nerr;
};

static void row_err(struct row *r, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void row_err(struct row *r, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (r->nerr == ROW_ERRORS)
		return;
	r->err[r->nerr].field = field;
	va_start(ap, fmt);
	vsnprintf(r->err[r->nerr].msg, sizeof r->err[r->nerr].msg, fmt, ap);
	va_end(ap);
	r->nerr++;
}

/* field i of rec trimmed of surrounding spaces into out ("" when absent or too long: *long_ set). */
static void cell(const struct csvin_record *rec, int i, char *out, size_t n, int *too_long)
{
	const char *s;
	size_t a = 0, b;

	out[0] = '\0';
	if (i < 0 || (size_t)i >= rec->n)
		return;
	s = rec->field[i];
	b = rec->len[i];
	while (a < b && (s[a] == ' ' || s[a] == '\t'))
		a++;
	while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
		b--;
	if (b - a >= n || utf8_chars(s + a, b - a) > FIELD_MAX_CHARS) {
		if (too_long)
			*too_long = 1;
		b = a + (b - a >= n ? n - 1 : b - a);
	}
	memcpy(out, s + a, b - a);
	out[b - a] = '\0';
}

/* Read the row's values, its key and the rules that need no database. */
static void row_read(struct job *j, const struct csvin_record *rec, struct row *r)
{
	int long_sku = 0, long_name = 0;
	json_object *first;
	size_t i;

	memset(r, 0, offsetof(struct row, err));
	r->nerr = 0;
	r->line = (long)rec->line;
	cell(rec, j->col_sku, r->sku, sizeof r->sku, &long_sku);
	cell(rec, j->col_name, r->name, sizeof r->name, &long_name);
	cell(rec, j->col_cover, r->cover, sizeof r->cover, NULL);
	r->desc = j->col_desc >= 0 && (size_t)j->col_desc < rec->n && rec->len[j->col_desc] > 0 ?
	    rec->field[j->col_desc] : NULL;
	if (r->sku[0] != '\0' && !json_object_object_get_ex(j->seen, r->sku, &first)) {
		snprintf(r->key, sizeof r->key, "%s", r->sku);
		json_object_object_add(j->seen, r->sku, json_object_new_int64(r->line));
	} else {
		snprintf(r->key, sizeof r->key, "row:%ld", r->line);
		if (r->sku[0] != '\0')
			row_err(r, "sku", "SKU repeats row %s of the CSV", json_object_get_string(first));
	}
	if (r->sku[0] == '\0')
		row_err(r, "sku", "sku is empty");
	else if (long_sku)
		row_err(r, "sku", "sku is longer than 255 characters");
	if (r->name[0] == '\0')
		row_err(r, "name", "name is empty");
	else if (long_name)
		row_err(r, "name", "name is longer than 255 characters");
	r->attrs = json_object_new_object();
	for (i = 0; i < rec->n && i < csvin_ncols(j->csv); i++) {
		const char *col = csvin_colname(j->csv, i);

		if ((int)i == j->col_sku || (int)i == j->col_name || (int)i == j->col_desc ||
		    (int)i == j->col_cover || col[0] == '\0' || rec->len[i] == 0)
			continue;
		json_object_object_add(r->attrs, col,
		    json_object_new_string_len(rec->field[i], (int)rec->len[i]));
	}
}

/* The product already there: its id into id (""), 0; -1 fatal. */
static int existing(struct job *j, const char *sku, char *id)
{
	const char *p[2] = { j->t->owner, sku };
	PGresult *res = NULL;

	id[0] = '\0';
	if (db_exec(&res, "SELECT id FROM products WHERE owner_id = $1::uuid AND sku = $2", 2, p) != HE_OK) {
		PQclear(res);
		j->fatal = 1;
		return -1;
	}
	if (PQntuples(res) == 1)
		snprintf(id, UUID_STR_LEN + 1, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* Ingest the row's images from the archive (pending resources, outside any transaction). */
static int prepare_images(struct job *j, struct row *r, const struct arc_entry **im, size_t n,
    struct media_item *items)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct arc_stream *s = archive_stream_open(j->a, im[i]);
		enum herr me = s ? media_prepare_stream(archive_stream_read, s,
		    j->c->max_upload_size, MT_IMAGES, &items[i]) : HE_BAD_REQUEST;

		archive_stream_close(s);
		if (me != HE_OK) {
			while (i-- > 0)
				media_abort(&items[i]);
			if (me != HE_BAD_REQUEST && me != HE_FORBIDDEN && me != HE_CONFLICT) {
				j->fatal = 1;
				return -1;
			}
			row_err(r, "images", "%s: could not be ingested", im[i]->rel);
			return 1;
		}
		if (heartbeat(j, 0) != 0) {
			do
				media_abort(&items[i]);
			while (i-- > 0);
			return -1;
		}
	}
	return 0;
}

/* The product row; 1 when the SKU was taken meanwhile (nothing inserted). */
static int insert_product(struct job *j, struct row *r, const char *id, char **urls, size_t n)
{
	static const char sql[] =
	    "INSERT INTO products (id, sku, name, description, attributes, owner_id, shooting_id, "
	    "cover_image_url, image_urls, caption_status) VALUES ($1::uuid, $2, $3, $4, $5::jsonb, "
	    "$6::uuid, (SELECT id FROM shootings WHERE id = nullif($7, '')::uuid), $8, $9::jsonb, $10) "
	    "ON CONFLICT (owner_id, sku) DO NOTHING";
	json_object *gallery = json_object_new_array();
	const char *p[10];
	PGresult *res = NULL;
	size_t i;
	int rc;

	for (i = 1; i < n; i++)
		json_object_array_add(gallery, json_object_new_string(urls[i]));
	p[0] = id;
	p[1] = r->sku;
	p[2] = r->name;
	p[3] = r->desc;
	p[4] = json_object_to_json_string_ext(r->attrs, JSON_C_TO_STRING_PLAIN);
	p[5] = j->t->owner;
	p[6] = j->t->shooting;
	p[7] = urls[0];
	p[8] = json_object_to_json_string_ext(gallery, JSON_C_TO_STRING_PLAIN);
	p[9] = j->t->caption ? "pending" : NULL;
	if (db_exec(&res, sql, 10, p) != HE_OK) {
		j->fatal = 1;
		rc = -1;
	} else {
		rc = strcmp(PQcmdTuples(res), "1") == 0 ? 0 : 1;
	}
	PQclear(res);
	json_object_put(gallery);
	return rc;
}

/* Product, attachments, results entry and counters: one transaction. 1: the SKU was taken. */
static int create_product(struct job *j, struct row *r, struct media_item *items, size_t n)
{
	char id[UUID_STR_LEN + 1], *urls[MAX_IMAGES] = { 0 };
	size_t i;
	int rc = -1;

	for (i = 0; i < n; i++)
		if ((urls[i] = media_item_url(j->c, &items[i])) == NULL)
			goto out;
	if (uuid_v4(id) != 0 || db_begin() != HE_OK) {
		j->fatal = 1;
		goto out;
	}
	if ((rc = insert_product(j, r, id, urls, n)) != 0)
		goto rollback;
	for (i = 0; i < n; i++)
		if (media_attach(&items[i], "product", id, i == 0 ? "cover" : "gallery",
		    i == 0 ? 0 : (int)i - 1, NULL) != HE_OK) {
			j->fatal = 1;   /* database down, or a resource swept under us: redo on resume */
			rc = -1;
			goto rollback;
		}
	if ((rc = record_row(j, r->key, r->sku, r->line, "created", id, (int)n, NULL, 0)) != 0)
		goto rollback;
	if (db_commit() != HE_OK) {
		j->fatal = 1;
		rc = -1;
		goto out;
	}
	for (i = 0; i < n; i++)
		media_finish(&items[i]);
	j->created++;
	rc = 0;
	/* after the commit: a failing or slow service never fails the product (30 s at most) */
	if (j->t->caption && cron_caption_product(id, r->sku, r->name, r->desc, urls[0]) != 0)
		j->fatal = 1;   /* the database went away: the product stays pending, caption-pending's */
	goto out;
rollback:
	db_rollback();
out:
	if (rc != 0)
		for (i = 0; i < n; i++)
			media_abort(&items[i]);
	for (i = 0; i < n; i++)
		free(urls[i]);
	return rc;
}

/* A row without errors so far: the folder, the existing SKU, then the images and the product. */
static int row_create(struct job *j, struct row *r)
{
	const struct arc_entry **im;
	struct media_item items[MAX_IMAGES];
	char have[UUID_STR_LEN + 1];
	size_t n;
	int rc;

	if (!archive_folder_images(j->a, r->sku, r->cover, &im, &n))
		row_err(r, "images", "no folder named %s in the archive", r->sku);
	else if (n == 0)
		row_err(r, "images", "the folder %s holds no image", r->sku);
	else if (n > MAX_IMAGES)
		row_err(r, "images", "the folder %s holds more than 51 images", r->sku);
	if (r->nerr > 0)
		return finish_row(j, r->key, r->sku, r->line, "failed", NULL, r->err, r->nerr);
	for (;;) {
		if (existing(j, r->sku, have) != 0)
			return -1;
		if (have[0] != '\0') {
			if (j->t->skip_existing)
				return finish_row(j, r->key, r->sku, r->line, "skipped", have, NULL, 0);
			row_err(r, "sku", "SKU %s exists already", r->sku);
			return finish_row(j, r->key, r->sku, r->line, "failed", NULL, r->err, r->nerr);
		}
		if ((rc = prepare_images(j, r, im, n, items)) != 0)
			return rc < 0 ? -1 : finish_row(j, r->key, r->sku, r->line, "failed", NULL,
			    r->err, r->nerr);
		if ((rc = create_product(j, r, items, n)) <= 0)
			return rc;
		/* 1: another import made the SKU meanwhile: look again */
	}
}

static int on_row(void *ctx, const struct csvin_record *rec)
{
	struct job *j = ctx;
	struct row r;
	json_object *x;
	int rc;

	if (j->pass == 1) {
		j->rows++;
		return 0;
	}
	row_read(j, rec, &r);
	if (json_object_object_get_ex(j->t->done, r.key, &x))
		rc = 0;         /* done before a takeover */
	else if (r.nerr > 0)
		rc = finish_row(j, r.key, r.sku, r.line, "failed", NULL, r.err, r.nerr);
	else
		rc = row_create(j, &r);
	json_object_put(r.attrs);
	return rc != 0 || j->fatal || heartbeat(j, 0) != 0;
}

/* ---------------------------------------------------------------- the task */

static int write_fd(void *ctx, const char *buf, size_t n)
{
	int fd = *(int *)ctx;

	while (n > 0) {
		ssize_t k = write(fd, buf, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One pass of the CSV entry through csvin. 0 ok; -1 with err set (or j->fatal / j->lost). */
static int csv_pass(struct job *j, int pass, char *err, size_t errlen)
{
	struct arc_stream *s = archive_stream_open(j->a, archive_csv(j->a));
	char buf[16384];
	ssize_t k = 0;
	int rc = -1;

	j->pass = pass;
	j->csv = csvin_new(CSVIN_HEADER, NULL, on_row, j);
	if (s == NULL || j->csv == NULL) {
		snprintf(err, errlen, "archive: the CSV could not be read");
		goto out;
	}
	while ((k = archive_stream_read(s, buf, sizeof buf)) > 0)
		if (csvin_feed(j->csv, buf, (size_t)k) != 0)
			break;
	if (k == 0 && csvin_finish(j->csv) == 0)
		rc = 0;
	else if (!j->fatal && !j->lost)
		snprintf(err, errlen, "CSV %s: %s", archive_csv(j->a)->rel,
		    k < 0 ? "could not be read" : csvin_error(j->csv));
	if (rc == 0 && pass == 1) {
		j->col_sku = csvin_col(j->csv, "sku");
		j->col_name = csvin_col(j->csv, "name");
		if (j->col_sku < 0 || j->col_name < 0) {
			snprintf(err, errlen, "CSV %s: the header has no %s column",
			    archive_csv(j->a)->rel, j->col_sku < 0 ? "sku" : "name");
			rc = -1;
		}
		j->col_desc = csvin_col(j->csv, "description");
		j->col_cover = csvin_col(j->csv, "cover_image");
	}
out:
	csvin_free(j->csv);
	j->csv = NULL;
	archive_stream_close(s);
	return rc;
}

/* The task ends: status, the error row of a FAILED one, then the archive leaves storage. */
static int task_end(struct job *j, const char *status, const char *msg)
{
	static const char end[] =
	    "UPDATE bulk_upload_tasks SET status = $3, error_message = $4, completed_at = now(), "
	    "updated_at = now(), heartbeat_at = now() WHERE id = $1::uuid AND claim_id = $2::uuid";
	static const char ins[] =
	    "INSERT INTO bulk_upload_errors (task_id, field, message) SELECT $1::uuid, 'archive', $3 "
	    "FROM bulk_upload_tasks WHERE id = $1::uuid AND claim_id = $2::uuid";
	const char *p[2] = { status, msg };
	enum herr se;

	if (db_begin() != HE_OK || (msg != NULL && task_exec(j, ins, 1, &msg) != 0 && j->fatal) ||
	    task_exec(j, end, 2, p) != 0 || db_commit() != HE_OK) {
		db_rollback();
		j->fatal |= !j->lost;
		return -1;
	}
	if ((se = storage_delete(j->t->key)) != HE_OK)
		log_warn("task %s: archive %s not deleted: %s", j->t->id, j->t->key, herr_str(se));
	log_info("task %s %s%s%s", j->t->id, status, msg ? ": " : "", msg ? msg : "");
	return 0;
}

/* archive_open's progress: the heartbeat goes on while a large archive is checked. */
static int validating(void *ctx)
{
	return heartbeat(ctx, 0);
}

/* Fetch, check, count, then the rows. 0 when the task ended (COMPLETED or FAILED). */
static int task_run(struct job *j)
{
	struct arc_limits lim = { ARC_MAX_ENTRIES, (uint64_t)j->c->bulk_max_uncompressed_bytes,
		(uint64_t)j->c->max_upload_size, CSV_MAX_BYTES, ARC_RATIO, ARC_RATIO_FLOOR, validating, j };
	char err[ARC_ERR_MAX], total[24];
	const char *tp = total;
	enum herr se;
	int fd = tmpfile_anon("bulk"), rc = -1;

	err[0] = '\0';
	if (j->t->attempts > MAX_ATTEMPTS) {
		rc = task_end(j, "FAILED", "the import was given up after 5 interrupted attempts");
		goto out;
	}
	if (fd < 0) {
		j->fatal = 1;
		goto out;
	}
	se = storage_get(j->t->key, NULL, write_fd, &fd);
	if (se == HE_NOT_FOUND) {
		rc = task_end(j, "FAILED", "archive: the uploaded file is missing from storage");
		goto out;
	}
	if (se != HE_OK) {
		j->fatal = 1;
		goto out;
	}
	if (archive_open(fd, NULL, 0, &lim, &j->a, err, sizeof err) != 0 ||
	    csv_pass(j, 1, err, sizeof err) != 0) {
		rc = j->fatal || j->lost ? -1 : task_end(j, "FAILED", err);
		goto out;
	}
	snprintf(total, sizeof total, "%ld", j->rows);
	if (task_exec(j, "UPDATE bulk_upload_tasks SET total_products = $3::int, heartbeat_at = now() "
	    "WHERE id = $1::uuid AND claim_id = $2::uuid", 1, &tp) != 0)
		goto out;
	if (csv_pass(j, 2, err, sizeof err) != 0) {
		/* the CSV read fine once: only the database, the store or a takeover stop it now */
		if (!j->fatal && !j->lost)
			j->fatal = 1;
		goto out;
	}
	rc = task_end(j, "COMPLETED", NULL);
out:
	archive_free(j->a);
	j->a = NULL;
	if (fd >= 0)
		close(fd);
	return rc;
}

static int parse_count(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 1000000)
		return -1;
	*out = v;
	return 0;
}

int cron_run_imports(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-tasks", required_argument, NULL, 'm' },
		{ "stale-after", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	long max = 100, stale = STALE_AFTER_S, done = 0, ok = 0, bad = 0, created = 0, failed = 0;
	int ch, fatal = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if ((ch == 'm' && parse_count(optarg, &max) == 0) ||
		    (ch == 's' && parse_count(optarg, &stale) == 0))
			continue;
		cron_fail(NAME, "usage: files-cron run-imports [--max-tasks N] [--stale-after SECONDS]");
		return CRON_EX_USAGE;
	}
	while (done < max && !fatal) {
		struct task t = { 0 };
		struct job j = { 0 };

		if (claim(&t, (int)stale, &fatal) != 1)
			break;
		j.c = config_get();
		j.t = &t;
		j.beat = time(NULL);
		j.seen = json_object_new_object();
		if (task_run(&j) == 0)
			ok++;
		else if (j.lost)
			log_warn("task %s: taken over by another worker; left to it", t.id);
		bad += j.failed;
		created += j.created;
		fatal = j.fatal;
		done++;
		json_object_put(j.seen);
		json_object_put(t.done);
		free(t.key);
	}
	printf("%s: %ld tasks claimed, %ld ended, %ld products created, %ld rows failed\n", NAME,
	    done, ok, created, bad);
	(void)failed;
	if (fatal) {
		cron_fail(NAME, "the database or the store failed; the task is resumed by a later run");
		return CRON_EX_FAIL;
	}
	return CRON_EX_OK;
}
