/* route.h: route tables with declared preconditions, checked before any handler runs. */
#ifndef FILES_ROUTE_H
#define FILES_ROUTE_H
#include <stddef.h>
#include "exchange.h"
#include "jsonin.h"
#include "gate.h"
#include "fields.h"

/* A handler: x->in the request, x->ctx its typed values and caller, x->out its answer. */
typedef void (*route_handler)(struct exchange *x);

#define RF_AUTH      GATE_AUTH       /* bearer token and an active user required */
#define RF_SUPERUSER GATE_SUPERUSER  /* ... who is a superuser (implies RF_AUTH) */
#define RF_BODY      4u   /* without fields: the body is read into x->in.body (at most body_max) */
/* With RF_AUTH: only the token is checked before the handler, which checks the user itself
 * (gate_user, or gate_user_in to read the user in its own first statement). */
#define RF_USER_LATE GATE_USER_LATE
#define RF_DEPRECATED 16u /* every answer past the gate carries Deprecation: true */
/* Not a route of this responder but another's URL space (fn NULL), never matched: listed
 * only for its .bad_path, the 400 detail of a dot segment under it (see route_dispatch). */
#define RF_SPACE     32u
/* The handler may leave work queued in the process after its answer (uprecord.h): the
 * dispatch of any other route runs route_finish_queued first, before its body is read. */
#define RF_QUEUES    64u
extern void (*route_finish_queued)(void);

struct route {
	const char *method;          /* "GET", "POST", ...; GET routes answer HEAD too */
	/* "/api/v1/users/{user_id}/x": {name} is a UUID, {name:seg} any one segment,
	 * {name:path} the rest of the path (last only) */
	const char *pattern;
	unsigned flags;
	size_t body_max;             /* most body bytes (0: LIM_JSON_BODY) */
	const struct jfield *fields; /* every input the route reads (path, query, body, form,
	                              * file; fields.h), checked before the handler; NULL: none */
	size_t nfields;
	route_handler fn;
	const char *too_large;       /* detail of its 413 (NULL: "Request body too large") */
	const char *bad_path;        /* detail of its 400 for a . or .. segment (NULL: "Invalid path") */
};

/*
 * Check table t[n] once at start: patterns well formed (at most LIM_ROUTE_PARAMS {params},
 * {x:path} last), field tables valid (fields_check), flags consistent. 0, or -1 with the
 * reason in err (a start-up failure, never a per-request overflow).
 */
int route_check(const struct route *t, size_t n, char *err, size_t errlen);
/*
 * Answer one request from table t[n], one way through: CORS preflight, . and .. segments
 * (400), match (404/405/307), 413 from CONTENT_LENGTH, the gate (401/403/404/400 from the
 * headers, before any body byte is read), the field table (path, query, body: 422, every
 * error at once, after the user's checks; 408 for a body too slow), then the handler.
 */
void route_dispatch(struct exchange *x, const struct route *t, size_t n);
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
