/* gate.h: the identity step of a request, between matching and the handler.
 *
 * The request flows one way: parse (http), match (route), gate, read and validate the body,
 * handler, respond. The gate runs from the headers alone, before any body byte is read, so
 * a client without a valid token (or, on a superuser route, without a superuser) is
 * answered at once and cannot hold a responder by sending its body slowly.
 */
#ifndef FILES_GATE_H
#define FILES_GATE_H
#include <libpq-fe.h>
#include "exchange.h"

#define GATE_AUTH      1u   /* bearer token and an active user required */
#define GATE_SUPERUSER 2u   /* ... who is a superuser (implies GATE_AUTH) */
/* With GATE_AUTH: only the token is checked by gate_run; the user row is read by the
 * handler's own first statement (gate_user_in), one database round trip per request.
 * Never with GATE_SUPERUSER: a superuser check always comes before the body. */
#define GATE_USER_LATE 8u

/*
 * Check the caller as flags ask: the token (HE_NOT_AUTHENTICATED, HE_BAD_CREDENTIALS), then
 * unless GATE_USER_LATE the user's row (HE_NOT_FOUND "User not found", HE_BAD_REQUEST
 * "Inactive user", HE_FORBIDDEN for a non-superuser, HE_DB_UNAVAILABLE), from in's headers.
 * HE_OK with c->auth_uid (and c->user once read); else *detail is the text to answer with
 * (static).
 */
enum herr gate_run(const struct http_request *in, struct reqctx *c, unsigned flags, const char **detail);
/*
 * For GATE_USER_LATE handlers, whose every answer comes after the user's checks (FastAPI's
 * order). gate_user reads and checks the caller: 0, or -1 once the error is answered.
 * gate_user_in runs sql, which selects AUTH_USER_COLS first for the caller (x->ctx.auth_uid)
 * and then what the handler needs, and checks the caller from its row: one round trip.
 * 0 with *res (TUPLES_OK or COMMAND_OK; caller PQclears), or -1 once the error (the user's,
 * or the statement's own) is answered. sql must do nothing for a caller who fails the
 * checks: a read, or a write guarded in SQL by the user's row.
 */
int gate_user(struct exchange *x);
int gate_user_in(struct exchange *x, const char *sql, int n, const char *const *params, PGresult **res);
/* gate_user_in's checks on a statement the caller ran itself: e and *res are db_exec's. */
int gate_user_row(struct exchange *x, enum herr e, PGresult **res);

#endif
