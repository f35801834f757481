/* db.c: one libpq connection per process, opened lazily, with bounded waits (see db.h). */
#include "db.h"
#include "config.h"
#include "log.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static PGconn *conn;

static size_t nprepared;

void db_close(void)
{
	if (conn)
		PQfinish(conn);
	conn = NULL;
	nprepared = 0;      /* prepared statements die with their connection */
}

static int db_connect(void)
{
	const struct config *c = config_get();
	char timeout[16];
	/* connect_timeout first so a value inside DATABASE_URL still wins. */
	const char *keys[] = { "connect_timeout", "dbname", "application_name", NULL };
	const char *vals[] = { timeout, c ? c->database_url : "", "sartiq-files", NULL };

	db_close();
	snprintf(timeout, sizeof(timeout), "%d", DB_CONNECT_TIMEOUT_S);
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		/* PQerrorMessage can echo the host but never the password. */
		log_error("database connection failed: %s", conn ? PQerrorMessage(conn) : "out of memory");
		db_close();
		return -1;
	}
	return 0;
}

PGconn *db_conn(void)
{
	if ((conn == NULL || PQstatus(conn) != CONNECTION_OK) && db_connect() != 0)
		return NULL;
	return conn;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Wait for the last result of what was sent, until deadline. NULL on a broken connection or timeout. */
static PGresult *wait_result(double deadline, int *timed_out)
{
	PGresult *last = NULL, *res;

	for (;;) {
		while (PQisBusy(conn)) {
			struct pollfd p = { .fd = PQsocket(conn), .events = POLLIN };
			double left = deadline - now_s();
			int rc;
			if (left <= 0) {
				PGcancel *cn = PQgetCancel(conn);
				char eb[256];
				if (cn) { PQcancel(cn, eb, sizeof(eb)); PQfreeCancel(cn); }
				PQclear(last);
				*timed_out = 1;
				return NULL;
			}
			rc = poll(&p, 1, (int)(left * 1000) + 1);
			if (rc < 0 && errno != EINTR) {
				PQclear(last);
				return NULL;
			}
			if (rc > 0 && !PQconsumeInput(conn)) {
				PQclear(last);
				return NULL;
			}
		}
		if ((res = PQgetResult(conn)) == NULL)
			break;
		PQclear(last);
		last = res;
	}
	return last;
}

/*
 * Statements are prepared on first use per connection (saving the parse and plan of every
 * later call); the table is forgotten with the connection. Callers pass string constants.
 */
#define DB_MAX_PREPARED 64
static const char *prepared[DB_MAX_PREPARED];

static int prepared_index(const char *sql)
{
	size_t i;

	for (i = 0; i < nprepared; i++)
		if (prepared[i] == sql || strcmp(prepared[i], sql) == 0)
			return (int)i;
	return -1;
}

/*
 * The prepared name of sql ("s<i>"), preparing it first when this connection has not yet.
 * 1 prepared, 0 run it unprepared (table full), -1 failed: *err has the statement's own
 * error (NULL on a broken connection or timeout).
 */
static int ensure_prepared(const char *sql, int n, double deadline, int *timed_out, char name[16], PGresult **err)
{
	int idx = prepared_index(sql);

	*err = NULL;
	if (idx < 0 && nprepared < DB_MAX_PREPARED) {
		PGresult *res;
		snprintf(name, 16, "s%zu", nprepared);
		if (!PQsendPrepare(conn, name, sql, n, NULL))
			return -1;
		res = wait_result(deadline, timed_out);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
			*err = res;
			return -1;
		}
		PQclear(res);
		idx = (int)nprepared;
		prepared[nprepared++] = sql;
	}
	if (idx < 0)
		return 0;
	snprintf(name, 16, "s%d", idx);
	return 1;
}

static int send_stmt(const struct db_stmt *st, int prep, const char *name)
{
	return prep ? PQsendQueryPrepared(conn, name, st->n, st->params, NULL, NULL, 0)
	    : PQsendQueryParams(conn, st->sql, st->n, NULL, st->params, NULL, NULL, 0);
}

/* Send and wait for the last result within DB_QUERY_TIMEOUT_S. NULL on a broken connection or timeout. */
static PGresult *exec_bounded(const struct db_stmt *st, int *timed_out)
{
	double deadline = now_s() + DB_QUERY_TIMEOUT_S;
	PGresult *err;
	char name[16];
	int prep;

	*timed_out = 0;
	if ((prep = ensure_prepared(st->sql, st->n, deadline, timed_out, name, &err)) < 0)
		return err;    /* the statement's own error, reported as its result */
	if (!send_stmt(st, prep, name))
		return NULL;
	return wait_result(deadline, timed_out);
}

/* Wait until a result can be read without blocking. 0 ready, -1 broken connection or timeout. */
static int wait_ready(double deadline, int *timed_out)
{
	while (PQisBusy(conn)) {
		struct pollfd p = { .fd = PQsocket(conn), .events = POLLIN };
		double left = deadline - now_s();
		int rc;
		if (left <= 0) {
			*timed_out = 1;
			return -1;
		}
		rc = poll(&p, 1, (int)(left * 1000) + 1);
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc > 0 && !PQconsumeInput(conn))
			return -1;
	}
	return 0;
}

/*
 * One pipeline: every statement, then a Sync, sent in one write; results in order. 0 done
 * (out[] filled as far as the server ran them), -1 broken connection or timeout (the caller
 * drops the connection: it may still be in pipeline mode).
 */
static int batch_bounded(PGresult **out, size_t k, const struct db_stmt *st, int *timed_out)
{
	double deadline = now_s() + DB_QUERY_TIMEOUT_S;
	char names[DB_MAX_BATCH][16];
	int prep[DB_MAX_BATCH], nulls = 0;
	PGresult *res;
	size_t i;

	*timed_out = 0;
	for (i = 0; i < k; i++)
		if ((prep[i] = ensure_prepared(st[i].sql, st[i].n, deadline, timed_out, names[i], &res)) < 0) {
			if (res == NULL)
				return -1;
			out[i] = res;           /* does not prepare: the batch cannot run */
			return 0;
		}
	if (!PQenterPipelineMode(conn))
		return -1;
	for (i = 0; i < k; i++)
		if (!send_stmt(&st[i], prep[i], names[i]))
			return -1;
	if (!PQpipelineSync(conn))
		return -1;
	/* Each statement's results end with a NULL; the Sync's result ends the pipeline. */
	i = 0;
	for (;;) {
		if (wait_ready(deadline, timed_out) != 0)
			return -1;
		if ((res = PQgetResult(conn)) == NULL) {
			if (++nulls > (int)k)
				return -1;      /* cannot happen: more ends than statements */
			i++;
			continue;
		}
		switch (PQresultStatus(res)) {
		case PGRES_PIPELINE_SYNC:
			PQclear(res);
			return PQexitPipelineMode(conn) ? 0 : -1;
		case PGRES_PIPELINE_ABORTED:     /* skipped after an earlier failure: stays NULL */
			PQclear(res);
			break;
		default:
			if (i < k && out[i] == NULL)
				out[i] = res;
			else
				PQclear(res);
		}
	}
}

static void clear_all(PGresult **out, size_t k)
{
	size_t i;

	for (i = 0; i < k; i++) {
		PQclear(out[i]);
		out[i] = NULL;
	}
}

enum herr db_exec_batch(PGresult **out, size_t k, const struct db_stmt *st)
{
	int attempt, timed_out = 0, rc = -1;
	enum herr e = HE_OK;
	size_t i;

	if (k > DB_MAX_BATCH)
		return HE_INTERNAL;
	for (i = 0; i < k; i++)
		out[i] = NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		if ((conn == NULL || PQstatus(conn) != CONNECTION_OK) && db_connect() != 0)
			return HE_DB_UNAVAILABLE;
		rc = batch_bounded(out, k, st, &timed_out);
		if (timed_out) {
			PGcancel *cn = PQgetCancel(conn);
			char eb[256];
			if (cn) { PQcancel(cn, eb, sizeof(eb)); PQfreeCancel(cn); }
			log_error("database statement timed out after %d s", DB_QUERY_TIMEOUT_S);
			clear_all(out, k);
			db_close();
			return HE_DB_UNAVAILABLE;
		}
		if (rc != 0 || PQstatus(conn) == CONNECTION_BAD) {
			/* Broken mid-pipeline (restart, failover): reconnect once and retry. */
			log_warn("database connection lost: %s", PQerrorMessage(conn));
			clear_all(out, k);
			db_close();
			rc = -1;
			continue;
		}
		break;
	}
	if (rc != 0)
		return HE_DB_UNAVAILABLE;
	for (i = 0; i < k; i++) {
		ExecStatusType s = out[i] ? PQresultStatus(out[i]) : PGRES_FATAL_ERROR;
		if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
			continue;
		if (out[i] && !db_unique_violation(out[i]))
			log_error("database error %s: %s", db_sqlstate(out[i]), PQresultErrorMessage(out[i]));
		e = HE_INTERNAL;
	}
	return e;
}

enum herr db_exec(PGresult **out, const char *sql, int n, const char *const *params)
{
	const struct db_stmt stmt = { sql, n, params };
	PGresult *res = NULL;
	int attempt, timed_out = 0;

	*out = NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		if ((conn == NULL || PQstatus(conn) != CONNECTION_OK) && db_connect() != 0)
			return HE_DB_UNAVAILABLE;
		res = exec_bounded(&stmt, &timed_out);
		if (timed_out) {
			log_error("database statement timed out after %d s", DB_QUERY_TIMEOUT_S);
			db_close();
			return HE_DB_UNAVAILABLE;
		}
		if (PQstatus(conn) == CONNECTION_BAD) {
			/* The server went away (restart, failover): reconnect once and retry. */
			log_warn("database connection lost: %s", PQerrorMessage(conn));
			PQclear(res);
			res = NULL;
			db_close();
			continue;
		}
		break;
	}
	if (res == NULL)
		return HE_DB_UNAVAILABLE;
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		*out = res;
		return HE_OK;
	default:
		if (!db_unique_violation(res))
			log_error("database error %s: %s", db_sqlstate(res), PQresultErrorMessage(res));
		*out = res;
		return HE_INTERNAL;
	}
}

const char *db_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return s ? s : "";
}

int db_unique_violation(const PGresult *res)
{
	return strcmp(db_sqlstate(res), "23505") == 0;
}
