/* db.h: the process's PostgreSQL connection (lazy, re-established once after a break) and parameterised statements. */
#ifndef FILES_DB_H
#define FILES_DB_H
#include <libpq-fe.h>
#include "err.h"

#define DB_CONNECT_TIMEOUT_S 5     /* API.md §1: connections given up after 5 s */
#define DB_QUERY_TIMEOUT_S   25    /* a statement that has not answered by then is abandoned */

/*
 * Run sql with n text parameters (NULL = SQL NULL). The process prepares each statement once
 * and keeps sql BY POINTER to find it again: pass a string literal (or one that lives as long
 * as the process), never a buffer that is freed or reused. HE_OK with *out (caller PQclears) of
 * status TUPLES_OK or COMMAND_OK; HE_DB_UNAVAILABLE when the server cannot be reached;
 * HE_INTERNAL on an SQL error, with *out kept for db_sqlstate (may be NULL). A connection
 * found closed is re-opened before sending; a statement cut off by a connection loss is
 * sent again only when it is a plain SELECT (a write may have committed: its fate is
 * unknown, so it answers HE_DB_UNAVAILABLE). Never blocks longer than the timeouts above.
 */
enum herr db_exec(PGresult **out, const char *sql, int n, const char *const *params);
/* The SQLSTATE of a failed result ("" when none). */
const char *db_sqlstate(const PGresult *res);
/* 1 when res failed on a unique constraint (23505). */
int db_unique_violation(const PGresult *res);
/* The open connection, connecting first if needed; NULL when unreachable. For operator
 * tools that need transactions or multi-statement scripts. */
PGconn *db_conn(void);
/*
 * A transaction on the process connection: statements between db_begin and db_commit (through
 * db_exec, or PQexec* on db_conn()) are one unit. Inside it db_exec never reconnects and
 * retries (that would run the rest outside the transaction): a broken connection is
 * HE_DB_UNAVAILABLE, and the transaction is lost. Each returns HE_OK or the db_exec error;
 * db_commit of a failed transaction is HE_INTERNAL. db_rollback always leaves no transaction.
 */
enum herr db_begin(void);
enum herr db_commit(void);
void db_rollback(void);
/* Close the connection (at exit, or to force a reconnect). */
void db_close(void);
/* Before a responder forks its children (responder.c): set up what every connection's login
 * will use, so the children share it. Opens no connection. */
void db_prefork(void);

#endif
