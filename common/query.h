/* query.h: application/x-www-form-urlencoded parsing (query strings and form bodies). */
#ifndef FILES_QUERY_H
#define FILES_QUERY_H
#include <stddef.h>

#define LIM_QUERY_PARAMS 64   /* pairs kept from one query or form */

struct qparam {
	char *name;        /* decoded, NUL-terminated, owned */
	char *value;       /* decoded, may hold NUL bytes (vlen counts them), owned */
	size_t vlen;
};

struct query {
	struct qparam p[LIM_QUERY_PARAMS];
	size_t n;
};

/* Parse s (len bytes): '&'-separated, '+' is a space, %XX decoded, a pair without '=' has an
 * empty value. 0 ok; -1 on ENOMEM or more than LIM_QUERY_PARAMS pairs (q is then freed). */
int query_parse(struct query *q, const char *s, size_t len);
/* The last value given for name (as Starlette's QueryParams.get), NULL when absent. */
const char *query_get(const struct query *q, const char *name, size_t *vlen);
/* Release q. */
void query_free(struct query *q);

#endif
