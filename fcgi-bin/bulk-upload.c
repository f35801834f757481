/* bulk-upload.fcgi: API.md §7: queue a ZIP of products for files-cron run-imports, and show the tasks. */
#include "auth.h"
#include "config.h"
#include "db.h"
#include "filename.h"
#include "form.h"
#include "log.h"
#include "files.h"
#include "responder.h"
#include "storage.h"
#include "uuid.h"
#include "valid.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NF(a) (sizeof(a) / sizeof((a)[0]))
#define TS(c) "to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define FORM_SLACK (64 * 1024)         /* the form's other bytes beside the file */
#define FILENAME_CHARS 255
#define TOO_LARGE "File larger than BULK_MAX_UPLOAD_BYTES"

static long long max_upload;           /* BULK_MAX_UPLOAD_BYTES */

/* The BulkUploadTask shape of row t, as JSON text built by PostgreSQL. */
#define TASK_JSON "json_build_object('owner_id', t.owner_id, 'id', t.id, " \
	"'created_at', " TS("t.created_at") ", 'updated_at', " TS("t.updated_at") ", " \
	"'filename', t.filename, 'status', t.status, 'file_url', t.file_url, " \
	"'total_products', t.total_products, 'processed_products', t.processed_products, " \
	"'successful_products', t.successful_products, 'failed_products', t.failed_products, " \
	"'skipped_products', t.skipped_products, 'results', t.results, " \
	"'error_message', t.error_message, 'shooting_id', t.shooting_id, " \
	"'completed_at', CASE WHEN t.completed_at IS NULL THEN NULL ELSE " TS("t.completed_at") " END)"
#define VISIBLE "(t.owner_id = $1::uuid OR $2::boolean)"

static const char *const statuses[] = { "PENDING", "PROCESSING", "COMPLETED", "FAILED", NULL };

/* The multipart file part is streamed: create_task pulls it to storage itself. */
enum { U_CAPTION, U_SHOOTING, U_SKIP, U_FILE };
static const struct jfield upload_fields[] = {
	[U_CAPTION] = { .name = "caption_products", .src = JS_QUERY, .type = JF_BOOL },
	[U_SHOOTING] = { .name = "shooting_id", .src = JS_QUERY, .type = JF_UUID },
	[U_SKIP] = { .name = "skip_existing_skus", .src = JS_QUERY, .type = JF_BOOL },
	[U_FILE] = { .name = "file", .src = JS_FILE, .type = JF_FILE, .flags = JF_REQUIRED | JF_STREAM },
};
enum { Q_SKIP, Q_LIMIT, Q_STATUS };
static const struct jfield list_fields[] = {
	[Q_SKIP] = { .name = "skip", .src = JS_QUERY, .type = JF_INT, .min = 0, .max = 1LL << 53 },
	[Q_LIMIT] = { .name = "limit", .src = JS_QUERY, .type = JF_INT, .min = 1, .max = 1000 },
	[Q_STATUS] = { .name = "status", .src = JS_QUERY, .type = JF_ENUM, .enum_vals = statuses },
};

/* Answer the JSON text in column 0 of res's first row. */
static void send_text(struct exchange *x, const PGresult *res)
{
	json_object *o = json_tokener_parse(PQgetvalue(res, 0, 0));

	if (o == NULL)
		http_error(&x->out, HE_INTERNAL, NULL);
	else
		http_send_json(&x->out, 200, o);
}

/* The file part on its way to storage: refused (-1) as soon as its first 4 bytes are not a
 * ZIP's (a local header, or the end record of an empty archive), or it ends before 4. */
struct zip_src {
	struct form_stream *fs;
	unsigned char head[4];
	size_t nhead;
	int checked, not_zip;
};

static ssize_t zip_read(void *vctx, char *buf, size_t n)
{
	struct zip_src *z = vctx;
	ssize_t got = form_stream_read(z->fs, buf, n);
	const unsigned char *m = z->head;
	ssize_t i;

	for (i = 0; i < got && z->nhead < 4; i++)
		z->head[z->nhead++] = (unsigned char)buf[i];
	if (!z->checked && (z->nhead == 4 || got == 0)) {
		z->checked = 1;
		z->not_zip = !(z->nhead == 4 && m[0] == 'P' && m[1] == 'K' &&
		    ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6)));
		if (z->not_zip)
			return -1;
	}
	return got;
}

/* The original file name cut to 255 characters (not bytes), as UTF-8. Malloc'd. */
static char *task_filename(const char *s, size_t n)
{
	size_t ln = 0, i = 0, chars = 0;
	char *u = utf8_lossy(s, n, &ln);

	if (u == NULL)
		return NULL;
	while (i < ln && chars < FILENAME_CHARS) {
		i++;
		while (i < ln && ((unsigned char)u[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	u[i] = '\0';
	return u;
}

/* The shooting must exist and be visible to the caller. */
static enum herr shooting_ok(struct exchange *x, const char *id, int *found)
{
	const char *p[3] = { x->ctx.user->id, x->ctx.user->is_superuser ? "true" : "false", id };
	PGresult *res = NULL;
	enum herr e = db_exec(&res, "SELECT 1 FROM shootings s WHERE s.id = $3::uuid "
	    "AND (s.owner_id = $1::uuid OR $2::boolean)", 3, p);

	*found = e == HE_OK && PQntuples(res) == 1;
	PQclear(res);
	return e;
}

/* Stream the file part to key (at most max bytes), then read the rest of the body. */
static enum herr store_zip(struct form_stream *fs, const char *key,
    long long max, const char **detail)
{
	struct zip_src z = { .fs = fs };
	struct storage_obj obj;
	enum herr se = storage_put_stream(key, zip_read, &z, -1, max, "application/zip", &obj);
	enum herr e;

	*detail = NULL;
	if (z.not_zip) {
		*detail = "The file is not a ZIP archive";
		return HE_BAD_REQUEST;
	}
	if (se == HE_TOO_LARGE || (se == HE_SOURCE && form_stream_error(fs, detail) == HE_TOO_LARGE)) {
		*detail = TOO_LARGE;
		return HE_TOO_LARGE;
	}
	if (se == HE_SOURCE)
		return form_stream_error(fs, detail);
	if (se == HE_SHORT_BODY || se == HE_STORAGE_UNAVAILABLE)
		return se;
	if (se != HE_OK) {
		log_error("storing %s failed: %s", key, herr_str(se));
		return HE_INTERNAL;
	}
	if ((e = form_stream_finish(fs, detail)) != HE_OK) {
		storage_delete(key);     /* a body that went wrong after the part is no upload */
		if (e == HE_TOO_LARGE)
			*detail = TOO_LARGE;
	}
	return e;
}

static void create_task(struct exchange *x)
{
	static const char ins[] = "WITH t AS (INSERT INTO bulk_upload_tasks (id, owner_id, filename, "
	    "storage_key, caption_products, shooting_id, skip_existing_skus) VALUES ($1::uuid, "
	    "$2::uuid, $3, $4, $5::boolean, $6::uuid, $7::boolean) RETURNING *) SELECT " TASK_JSON " FROM t";
	const struct jvalue *jv = x->ctx.jv;
	char id[UUID_STR_LEN + 1], safe[SAFE_FILENAME_MAX + 1], key[STORAGE_KEY_MAX + 1];
	char *name = NULL;
	const char *p[7], *fn, *detail = NULL;
	PGresult *res = NULL;
	struct form_stream *fs = NULL;
	enum herr e = HE_OK;
	int found = 1;

	if (jv[U_SHOOTING].present && ((e = shooting_ok(x, jv[U_SHOOTING].uuid, &found)) != HE_OK || !found)) {
		http_error(&x->out, e != HE_OK ? e : HE_NOT_FOUND, "Shooting not found");
		return;
	}
	if ((e = fields_stream_open(&x->in, &x->ctx, upload_fields, NF(upload_fields), max_upload + FORM_SLACK,
	    &fs, &detail)) != HE_OK) {
		exchange_error(x, e, e == HE_TOO_LARGE ? TOO_LARGE : detail);
		goto out;
	}
	fn = form_stream_filename(fs);
	if (uuid_v4(id) != 0 || safe_filename(fn, strlen(fn), safe) != 0 ||
	    (name = task_filename(fn, strlen(fn))) == NULL) {
		http_error(&x->out, HE_INTERNAL, NULL);
		goto out;
	}
	snprintf(key, sizeof key, "bulk-uploads/%s/%s", id, safe[0] ? safe : "upload.zip");
	if ((e = store_zip(fs, key, max_upload, &detail)) != HE_OK) {
		http_error(&x->out, e, detail);
		goto out;
	}
	p[0] = id; p[1] = x->ctx.user->id; p[2] = name[0] ? name : "upload.zip"; p[3] = key;
	p[4] = !jv[U_CAPTION].present || jv[U_CAPTION].b ? "true" : "false";
	p[5] = jv[U_SHOOTING].present ? jv[U_SHOOTING].uuid : NULL;
	p[6] = jv[U_SKIP].present && jv[U_SKIP].b ? "true" : "false";
	if ((e = db_exec(&res, ins, 7, p)) != HE_OK) {
		storage_delete(key);     /* unrecorded: nobody would ever process or delete it */
		http_error(&x->out, e, NULL);
	} else {
		send_text(x, res);
	}
out:
	form_stream_free(fs);
	PQclear(res);
	free(name);
}

static void list_tasks(struct exchange *x)
{
	static const char sql[] = "SELECT coalesce(json_agg(" TASK_JSON " ORDER BY t.created_at DESC, t.id), "
	    "'[]'::json)::text FROM (SELECT * FROM bulk_upload_tasks t WHERE " VISIBLE
	    " AND ($3::text IS NULL OR t.status = $3) ORDER BY t.created_at DESC, t.id "
	    "OFFSET $4::bigint LIMIT $5::bigint) t";
	const struct jvalue *jv = x->ctx.jv;
	char sk[24], li[24], st[16] = "";
	const char *p[5] = { x->ctx.user->id, x->ctx.user->is_superuser ? "true" : "false",
	    jv[Q_STATUS].present ? st : NULL, sk, li };
	PGresult *res = NULL;
	enum herr e;

	snprintf(sk, sizeof sk, "%lld", jv[Q_SKIP].present ? jv[Q_SKIP].i : 0);
	snprintf(li, sizeof li, "%lld", jv[Q_LIMIT].present ? jv[Q_LIMIT].i : 100);
	if (jv[Q_STATUS].present)
		snprintf(st, sizeof st, "%.*s", (int)jv[Q_STATUS].slen, jv[Q_STATUS].s);
	if ((e = db_exec(&res, sql, 5, p)) != HE_OK)
		http_error(&x->out, e, NULL);
	else
		send_text(x, res);
	PQclear(res);
}

/* GET one task (errors: its error list); another user's task is 404 (superusers see all). */
static void get_one(struct exchange *x, int errors)
{
	static const char one[] = "SELECT " TASK_JSON "::text FROM bulk_upload_tasks t "
	    "WHERE t.id = $3::uuid AND " VISIBLE;
	static const char errs[] = "SELECT coalesce((SELECT json_agg(json_build_object('sku', e.sku, "
	    "'row', e.\"row\", 'field', e.field, 'message', e.message) ORDER BY e.id) "
	    "FROM bulk_upload_errors e WHERE e.task_id = t.id), '[]'::json)::text "
	    "FROM bulk_upload_tasks t WHERE t.id = $3::uuid AND " VISIBLE;
	const char *p[3] = { x->ctx.user->id, x->ctx.user->is_superuser ? "true" : "false",
	    reqctx_param(&x->ctx, "task_id") };
	PGresult *res = NULL;
	enum herr e = db_exec(&res, errors ? errs : one, 3, p);

	if (e != HE_OK)
		http_error(&x->out, e, NULL);
	else if (PQntuples(res) == 0)
		http_error(&x->out, HE_NOT_FOUND, "Bulk upload task not found");
	else
		send_text(x, res);
	PQclear(res);
}

static void get_task(struct exchange *x)
{
	get_one(x, 0);
}

static void get_errors(struct exchange *x)
{
	get_one(x, 1);
}

static const struct route routes[] = {
	{ "POST", "/api/v1/products/bulk-upload/", RF_AUTH, 0, upload_fields, NF(upload_fields),
	  create_task, .too_large = "File larger than BULK_MAX_UPLOAD_BYTES" },
	{ "POST", "/api/v1/products/bulk-upload", RF_AUTH, 0, upload_fields, NF(upload_fields),
	  create_task, .too_large = "File larger than BULK_MAX_UPLOAD_BYTES" },
	{ "GET", "/api/v1/products/bulk-upload/", RF_AUTH, 0, list_fields, NF(list_fields), list_tasks },
	{ "GET", "/api/v1/products/bulk-upload", RF_AUTH, 0, list_fields, NF(list_fields), list_tasks },
	{ "GET", "/api/v1/products/bulk-upload/{task_id}", RF_AUTH, 0, NULL, 0, get_task },
	{ "GET", "/api/v1/products/bulk-upload/{task_id}/errors", RF_AUTH, 0, NULL, 0, get_errors },
	FILES_SPACE,
};

int main(void)
{
	const struct config *c = config_init_or_die();

	max_upload = c->bulk_max_upload_bytes;
	if (storage_init(c) != 0)
		return 1;
	return responder_main("bulk-upload", routes, NF(routes));
}
