/* db.c: one libpq connection per process, opened lazily, with bounded waits (see db.h). */
#include "db.h"
#include "config.h"
#include "log.h"
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static PGconn *conn;

static size_t nprepared;
static int in_tx;          /* inside db_begin .. db_commit/db_rollback: never reconnect */

void db_close(void)
{
	if (conn)
		PQfinish(conn);
	conn = NULL;
	nprepared = 0;      /* prepared statements die with their connection */
}

/*
 * libpq's SCRAM login draws its nonce from OpenSSL's DRBG, which is the process's first
 * use of it (our own random bytes come from getrandom). OpenSSL's default, CTR-DRBG with
 * AES-256, costs about 140 kB of heap per process; Hash_DRBG with SHA-256 (also NIST SP
 * 800-90A, 256-bit strength) about 8 kB. Chosen once, before any DRBG exists; when one
 * already does, the call fails and the default stays.
 */
static void drbg_choose(void)
{
	static int done;

	if (!done) {
		done = 1;
		(void)RAND_set_DRBG_type(NULL, "HASH-DRBG", NULL, NULL, "SHA256");
	}
}

void db_prefork(void)
{
	EVP_MD *md;

	drbg_choose();
	/* The SCRAM login hashes with SHA-256 through EVP: the first fetch builds OpenSSL's
	 * provider tables (about 150 kB of heap), here once for all the children. */
	if ((md = EVP_MD_fetch(NULL, "SHA256", NULL)) != NULL)
		EVP_MD_free(md);
}

static int db_connect(void)
{
	const struct config *c = config_get();
	char timeout[16];
	/* connect_timeout first so a value inside DATABASE_URL still wins. */
	const char *keys[] = { "connect_timeout", "dbname", "application_name", NULL };
	const char *vals[] = { timeout, c ? c->database_url : "", "sartiq-files", NULL };

	db_close();
	drbg_choose();
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

/* Send and wait for the last result within DB_QUERY_TIMEOUT_S. NULL on a broken connection or
 * timeout; *sent says whether the statement itself reached the socket (its fate is then unknown). */
static PGresult *exec_bounded(const char *sql, int n, const char *const *params, int *timed_out, int *sent)
{
	double deadline = now_s() + DB_QUERY_TIMEOUT_S;
	int idx = prepared_index(sql);
	char name[16];

	*timed_out = 0;
	*sent = 0;
	if (idx < 0 && nprepared < DB_MAX_PREPARED) {
		PGresult *res;
		snprintf(name, sizeof(name), "s%zu", nprepared);
		if (!PQsendPrepare(conn, name, sql, n, NULL))
			return NULL;
		res = wait_result(deadline, timed_out);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
			return res;    /* the statement's own error, reported as its result */
		PQclear(res);
		idx = (int)nprepared;
		prepared[nprepared++] = sql;
	}
	*sent = 1;
	if (idx >= 0) {
		snprintf(name, sizeof(name), "s%d", idx);
		if (!PQsendQueryPrepared(conn, name, n, params, NULL, NULL, 0))
			return NULL;
	} else if (!PQsendQueryParams(conn, sql, n, NULL, params, NULL, NULL, 0)) {
		return NULL;
	}
	return wait_result(deadline, timed_out);
}

/*
 * A connection the server has already closed (restart, failover, idle kill) shows as a
 * readable socket at EOF: find that before sending, so a statement is only ever sent on a
 * connection believed alive. Notices waiting on the socket are consumed harmlessly.
 */
static void drop_if_dead(void)
{
	struct pollfd p;
	int i, dead = 0;

	if (conn == NULL)
		return;
	p.fd = PQsocket(conn);
	p.events = POLLIN;
	dead = p.fd < 0 || PQstatus(conn) != CONNECTION_OK;
	/* A server that shut down sent its FATAL message, then closed: the first read takes the
	 * message, only a later one sees the end. Read while the socket stays readable. */
	for (i = 0; !dead && i < 8; i++) {
		p.revents = 0;
		if (poll(&p, 1, 0) <= 0)
			break;
		dead = !PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK;
	}
	if (dead) {
		log_warn("database connection found closed; reconnecting");
		db_close();
	}
}

/* 1 when sql only reads (starts with SELECT): running it twice does no harm. */
static int read_only(const char *sql)
{
	while (*sql == ' ' || *sql == '\t' || *sql == '\n')
		sql++;
	return strncasecmp(sql, "SELECT", 6) == 0 && (sql[6] == ' ' || sql[6] == '\t' || sql[6] == '\n');
}

enum herr db_exec(PGresult **out, const char *sql, int n, const char *const *params)
{
	PGresult *res = NULL;
	int attempt, timed_out = 0, sent = 0;

	*out = NULL;
	drop_if_dead();
	for (attempt = 0; attempt < 2; attempt++) {
		if (in_tx && (conn == NULL || PQstatus(conn) != CONNECTION_OK))
			return HE_DB_UNAVAILABLE;   /* the transaction died with its connection */
		if ((conn == NULL || PQstatus(conn) != CONNECTION_OK) && db_connect() != 0)
			return HE_DB_UNAVAILABLE;
		res = exec_bounded(sql, n, params, &timed_out, &sent);
		if (timed_out) {
			log_error("database statement timed out after %d s", DB_QUERY_TIMEOUT_S);
			db_close();
			return HE_DB_UNAVAILABLE;
		}
		if (PQstatus(conn) == CONNECTION_BAD && in_tx) {
			log_warn("database connection lost inside a transaction: %s", PQerrorMessage(conn));
			PQclear(res);
			db_close();
			return HE_DB_UNAVAILABLE;
		}
		if (PQstatus(conn) == CONNECTION_BAD) {
			log_warn("database connection lost: %s", PQerrorMessage(conn));
			PQclear(res);
			res = NULL;
			db_close();
			/* A write that was sent may have committed before the break: running it
			 * again could act twice (a claim answering 409 to its own owner), so only a
			 * read, or a statement never sent, is tried once more. */
			if (sent && !read_only(sql)) {
				log_error("a write was interrupted by the connection loss; not retried");
				return HE_DB_UNAVAILABLE;
			}
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

enum herr db_begin(void)
{
	PGresult *res;
	enum herr e;

	if (in_tx)
		db_rollback();
	e = db_exec(&res, "BEGIN", 0, NULL);
	PQclear(res);
	if (e == HE_OK)
		in_tx = 1;
	return e;
}

enum herr db_commit(void)
{
	PGresult *res;
	enum herr e = db_exec(&res, "COMMIT", 0, NULL);

	/* COMMIT of an aborted transaction answers COMMAND_OK with the tag ROLLBACK. */
	if (e == HE_OK && strcmp(PQcmdStatus(res), "COMMIT") != 0)
		e = HE_INTERNAL;
	PQclear(res);
	in_tx = 0;
	return e;
}

void db_rollback(void)
{
	PGresult *res = NULL;

	if (conn && PQstatus(conn) == CONNECTION_OK) {
		in_tx = 1;    /* never reconnect just to roll back */
		db_exec(&res, "ROLLBACK", 0, NULL);
		PQclear(res);
	}
	in_tx = 0;
}
