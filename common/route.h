/* route.h: route tables with declared preconditions, checked before any handler runs. */
#ifndef FILES_ROUTE_H
#define FILES_ROUTE_H
#include <stddef.h>
#include "http.h"
#include "jsonin.h"
#include "db.h"

typedef void (*route_handler)(struct http_request *r);

#define RF_AUTH      1u   /* bearer token and an active user required */
#define RF_SUPERUSER 2u   /* ... who is a superuser (implies RF_AUTH) */
#define RF_BODY      4u   /* the handler reads a body of at most body_max bytes */
/* With RF_AUTH: only the token is checked before the handler, which checks the user itself
 * (route_user, or route_user_in to read the user in its own first statement). */
#define RF_USER_LATE 8u

struct route {
	const char *method;          /* "GET", "POST", ...; GET routes answer HEAD too */
	/* "/api/v1/users/{user_id}/x": {name} is a UUID, {name:seg} any one segment,
	 * {name:path} the rest of the path (last only) */
	const char *pattern;
	unsigned flags;
	size_t body_max;             /* with RF_BODY */
	const struct jfield *fields; /* JSON body schema (implies RF_BODY), NULL for none */
	size_t nfields;
	route_handler fn;
};

/*
 * Answer one request from table t[n] in FastAPI's order: CORS preflight, 404/405/307,
 * body limit (413), authentication (401/403/404/400), validation of path parameters and
 * the JSON body (422, every error at once), then the handler.
 */
void route_dispatch(struct http_request *r, const struct route *t, size_t n);
/*
 * For RF_USER_LATE handlers, whose every answer comes after the user's checks (FastAPI's
 * order). route_user loads and checks the caller: 0, or -1 once the error is answered.
 * route_user_in runs sql, which selects AUTH_USER_COLS first for the caller (r->auth_uid)
 * and then what the handler needs, and checks the caller from its row: one round trip.
 * 0 with *res (TUPLES_OK or COMMAND_OK; caller PQclears), or -1 once the error (the
 * user's, or the statement's own) is answered. sql must do nothing for a caller who fails
 * the checks: a read, or a write guarded in SQL by the user's row.
 */
int route_user(struct http_request *r);
int route_user_in(struct http_request *r, const char *sql, int n, const char *const *params, PGresult **res);
/* 1 when the raw path[0..len) has a "." or ".." segment, the dots plain or %2e, the
 * separators '/' or an encoded slash or backslash (%2f, %5c); else 0. */
int route_has_dot_segment(const char *path, size_t len);
/*
 * Match path (raw, len bytes) against pattern; on a match fill names and values (values
 * decoded; both malloc'd) and return the count (>= 0). -1 no match, -2 ENOMEM.
 */
int route_match(const char *pattern, const char *path, size_t len,
    char **names, char **values, size_t *vlens, size_t max);

#endif
