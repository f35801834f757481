/* uprecord.c: upload records, batched while requests queue (see uprecord.h). */
#include "uprecord.h"
#include "auth.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "gate.h"
#include "log.h"
#include "responder.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { C_ID, C_OWNER, C_KEY, C_FOLDER, C_TYPE, C_SIZE, C_EXPIRES, C_NONCE, NCOL };
#define COL_MAX ((size_t)UPREC_BATCH_MAX * 8192)

static struct buf col[NCOL];    /* each column's array literal, without its closing brace */
static int queued;              /* records in col */
static struct timespec first;   /* when the first of them was queued */

/* synchronous_commit off for the write only; an operator's role setting restores the flush
 * (docs/deployment.md) */
#define SC_CTE "sc AS (SELECT set_config('synchronous_commit', coalesce(nullif(current_setting(" \
	"'sartiq.presign_synchronous_commit', true), ''), 'off'), true))"
#define ARRAYS(a, b, c, d, e, f, g, h) a "::uuid[], " b "::uuid[], " c "::text[], " d "::text[], " \
	e "::text[], " f "::bigint[], " g "::bigint[], " h "::text[]"
#define INSERT_FROM(arrays) "INSERT INTO uploads (id, owner_id, key, folder, content_type, " \
	"declared_size, expires_at, nonce) SELECT r.id, r.owner_id, r.key, r.folder, r.content_type, " \
	"r.declared_size, to_timestamp(r.expires), r.nonce FROM unnest(" arrays ") WITH ORDINALITY " \
	"AS r(id, owner_id, key, folder, content_type, declared_size, expires, nonce, n), sc "

/* The caller's row and the batch, whose last record (the caller's) is written only for an
 * active caller: one round trip. */
#define WITH_CALLER(conflict) "WITH u AS (SELECT " AUTH_USER_COLS("") " FROM users WHERE id = $1::uuid), " \
	SC_CTE ", ins AS (" INSERT_FROM(ARRAYS("$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9")) \
	"WHERE r.n < cardinality($2::uuid[]) OR (SELECT is_active FROM u) " conflict "RETURNING id) " \
	"SELECT u.*, EXISTS (SELECT 1 FROM ins WHERE ins.id = ($2::uuid[])[cardinality($2::uuid[])]) FROM u"
#define FLUSH(conflict) "WITH " SC_CTE " " \
	INSERT_FROM(ARRAYS("$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8")) conflict
/* A batch whose fate a lost connection left unknown is sent again with ON CONFLICT, whose
 * speculative insertion the usual batch does without (it costs a tenth of the request). */
#define RESEND "ON CONFLICT (id) DO NOTHING "
static const char *const with_caller[2] = { WITH_CALLER(""), WITH_CALLER(RESEND) };
static const char *const flush_sql[2] = { FLUSH(""), FLUSH(RESEND) };
static int resend;              /* the queued records may have been written already */

int uprecord_array_add(struct buf *b, const char *v, int n)
{
	size_t mark = b->len, k;
	int r = buf_append(b, n > 0 ? "," : "{", 1);

	if (r == 0 && v == NULL)
		r = buf_puts(b, "NULL");
	else if (r == 0)
		r = buf_append(b, "\"", 1);
	/* quoted, with " and \ escaped: any text is one element */
	while (r == 0 && v != NULL && *v != '\0') {
		k = strcspn(v, "\"\\");
		if (k == 0 && (r = buf_append(b, "\\", 1)) == 0)
			k = 1;
		if (r == 0)
			r = buf_append(b, v, k);
		v += k;
	}
	if (r == 0 && v != NULL)
		r = buf_append(b, "\"", 1);
	if (r != 0 && b->data != NULL) {
		b->len = mark;
		b->data[mark] = '\0';
	}
	return r;
}

static void cols_restore(const size_t mark[NCOL])
{
	int i;

	for (i = 0; i < NCOL; i++)
		if (col[i].data != NULL) {
			col[i].len = mark[i];
			col[i].data[mark[i]] = '\0';
		}
}

/* Append r (for owner) to the columns; 0, or -1 with the columns as they were. */
static int cols_add(const char *owner, const struct uprecord *r, size_t mark[NCOL])
{
	const char *v[NCOL] = { r->id, owner, r->key, r->folder, r->content_type, r->declared_size,
		r->expires, r->nonce };
	int i;

	for (i = 0; i < NCOL; i++) {
		if (col[i].max == 0)
			buf_init(&col[i], COL_MAX);
		mark[i] = col[i].len;
	}
	for (i = 0; i < NCOL; i++)
		if (uprecord_array_add(&col[i], v[i], queued) != 0) {
			cols_restore(mark);
			return -1;
		}
	return 0;
}

/* Close each literal into p (0), or leave them open (-1); cols_open undoes it. */
static int cols_close(const char **p)
{
	size_t mark[NCOL];
	int i;

	for (i = 0; i < NCOL; i++)
		mark[i] = col[i].len;
	for (i = 0; i < NCOL; i++) {
		if (buf_append(&col[i], "}", 1) != 0) {
			cols_restore(mark);
			return -1;
		}
		p[i] = buf_cstr(&col[i]);
	}
	return 0;
}

static void cols_open(void)
{
	int i;

	for (i = 0; i < NCOL; i++)
		col[i].data[--col[i].len] = '\0';
}

static void cols_clear(void)
{
	int i;

	for (i = 0; i < NCOL; i++)
		buf_reset(&col[i]);
	queued = 0;
	resend = 0;
}

static void queue_one(void)
{
	if (queued++ == 0)
		clock_gettime(CLOCK_MONOTONIC, &first);
}

static long age_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - first.tv_sec) * 1000 + (t.tv_nsec - first.tv_nsec) / 1000000;
}

/* After a write of the queued records (and of the caller's, its columns from mark on): an
 * unreachable database keeps the queued ones for the next write; an SQL error drops them,
 * since one of them may be what it refuses. */
static void settle(enum herr e, const size_t *mark)
{
	if (e == HE_OK) {
		cols_clear();
		return;
	}
	if (mark != NULL)
		cols_restore(mark);
	if (e == HE_DB_UNAVAILABLE && queued > 0)
		resend = 1;
	else if (queued > 0) {
		log_error("upload records: %d queued records dropped after an SQL error", queued);
		cols_clear();
	}
}

/* Queue rather than write: a batch is started only while other requests wait, and goes on
 * until it is full or due. */
static int may_queue(void)
{
	return queued + 1 < (int)config_get()->presign_batch &&
	    (queued > 0 ? age_ms() < UPREC_DELAY_MS : responder_queued());
}

int uprecord_issue(struct exchange *x, const struct uprecord *r)
{
	const char *p[1 + NCOL];
	size_t mark[NCOL];
	PGresult *res = NULL;
	enum herr e;
	int ok;

	if (may_queue()) {
		if (gate_user(x) != 0)
			return -1;
		if (cols_add(x->ctx.auth_uid, r, mark) != 0) {
			http_error(&x->out, HE_INTERNAL, NULL);
			return -1;
		}
		queue_one();
		return 0;
	}
	if (cols_add(x->ctx.auth_uid, r, mark) != 0) {
		if (gate_user(x) == 0)
			http_error(&x->out, HE_INTERNAL, NULL);
		return -1;
	}
	if (cols_close(p + 1) != 0) {
		cols_restore(mark);
		if (gate_user(x) == 0)
			http_error(&x->out, HE_INTERNAL, NULL);
		return -1;
	}
	p[0] = x->ctx.auth_uid;
	e = db_exec(&res, with_caller[resend], 1 + NCOL, p);
	cols_open();
	settle(e, mark);
	if (gate_user_row(x, e, &res) != 0)
		return -1;
	ok = strcmp(PQgetvalue(res, 0, AUTH_USER_NCOLS), "t") == 0;
	PQclear(res);
	if (!ok)
		http_error(&x->out, HE_INTERNAL, NULL);     /* cannot happen: the caller was checked active */
	return ok ? 0 : -1;
}

/* Write every queued record now: HE_OK, or the database's error (settle). */
static enum herr flush(void)
{
	const char *p[NCOL];
	PGresult *res = NULL;
	enum herr e;

	if (queued == 0)
		return HE_OK;
	if (cols_close(p) != 0) {
		settle(HE_INTERNAL, NULL);
		return HE_INTERNAL;
	}
	e = db_exec(&res, flush_sql[resend], NCOL, p);
	PQclear(res);
	cols_open();
	settle(e, NULL);
	return e;
}

int uprecord_after(int last)
{
	long age;

	if (queued == 0)
		return 0;
	age = age_ms();
	if (!last && queued < (int)config_get()->presign_batch && age < UPREC_DELAY_MS)
		return (int)(UPREC_DELAY_MS - age);
	if (flush() == HE_OK || queued == 0)
		return 0;
	if (last) {
		log_error("upload records: %d queued records lost: the database cannot be reached", queued);
		cols_clear();
		return 0;
	}
	return 1000;    /* the database cannot be reached: try again, or when a request comes */
}
