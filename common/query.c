/* query.c: urlencoded pairs (see query.h). */
#include "query.h"
#include "valid.h"
#include <stdlib.h>
#include <string.h>

int query_parse(struct query *q, const char *s, size_t len)
{
	size_t pos = 0;

	memset(q, 0, sizeof(*q));
	while (pos < len) {
		const char *amp = memchr(s + pos, '&', len - pos), *eq;
		size_t plen = amp ? (size_t)(amp - (s + pos)) : len - pos, nlen;

		if (plen > 0) {
			struct qparam *p;
			if (q->n >= LIM_QUERY_PARAMS)
				goto fail;
			p = &q->p[q->n];
			eq = memchr(s + pos, '=', plen);
			nlen = eq ? (size_t)(eq - (s + pos)) : plen;
			p->name = pct_decode(s + pos, nlen, 1, NULL);
			p->value = eq ? pct_decode(eq + 1, plen - nlen - 1, 1, &p->vlen) : strdup("");
			q->n++;
			if (p->name == NULL || p->value == NULL)
				goto fail;
		}
		pos += plen + 1;
	}
	return 0;
fail:
	query_free(q);
	return -1;
}

const char *query_get(const struct query *q, const char *name, size_t *vlen)
{
	size_t i = q->n;

	while (i-- > 0) {
		if (strcmp(q->p[i].name, name) == 0) {
			if (vlen)
				*vlen = q->p[i].vlen;
			return q->p[i].value;
		}
	}
	return NULL;
}

void query_free(struct query *q)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		free(q->p[i].name);
		if (q->p[i].value) {
			explicit_bzero(q->p[i].value, q->p[i].vlen);   /* form values may be passwords */
			free(q->p[i].value);
		}
	}
	q->n = 0;
}
