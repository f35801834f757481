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

void db_close(void)
{
	if (conn)
		PQfinish(conn);
	conn = NULL;
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

/* Send and wait for the last result within DB_QUERY_TIMEOUT_S. NULL on a broken connection or timeout. */
static PGresult *exec_bounded(const char *sql, int n, const char *const *params, int *timed_out)
{
	PGresult *last = NULL, *res;
	double deadline = now_s() + DB_QUERY_TIMEOUT_S;

	*timed_out = 0;
	if (!PQsendQueryParams(conn, sql, n, NULL, params, NULL, NULL, 0))
		return NULL;
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

enum herr db_exec(PGresult **out, const char *sql, int n, const char *const *params)
{
	PGresult *res = NULL;
	int attempt, timed_out = 0;

	*out = NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		if ((conn == NULL || PQstatus(conn) != CONNECTION_OK) && db_connect() != 0)
			return HE_DB_UNAVAILABLE;
		res = exec_bounded(sql, n, params, &timed_out);
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
