/* fuzz_query.c: libFuzzer driver for query_parse/query_get (query strings and form bodies). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Names the responders look up, plus ones the seeds use. */
static const char *const lookups[] = {
	"username", "password", "grant_type", "scope", "client_id", "limit", "skip", "", "a", NULL
};

/* Non-empty '&'-separated pieces: what query_parse must keep (or refuse past the limit). */
static size_t count_pairs(const char *s, size_t len)
{
	size_t i, n = 0, start = 0;

	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '&') {
			if (i > start)
				n++;
			start = i + 1;
		}
	}
	return n;
}

static void check_parsed(const struct query *q, size_t len)
{
	size_t i, j, vlen;
	const char *v;

	for (i = 0; i < q->n; i++) {
		const struct qparam *p = &q->p[i];

		if (p->name == NULL || p->value == NULL || p->vlen > len || p->value[p->vlen] != '\0')
			abort();
		/* query_get answers the last pair of that name. */
		v = query_get(q, p->name, &vlen);
		for (j = q->n; j-- > 0;)
			if (strcmp(q->p[j].name, p->name) == 0)
				break;
		if (v != q->p[j].value || vlen != q->p[j].vlen)
			abort();
	}
	for (i = 0; lookups[i]; i++) {
		v = query_get(q, lookups[i], &vlen);
		if (v != NULL && v[vlen] != '\0')
			abort();
		(void)query_get(q, lookups[i], NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query q;
	size_t pairs, dlen;
	char *in, *dec;
	int rc;

	/* Exact-size copy, so ASan catches any read past len (the input is not NUL-terminated). */
	if ((in = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size)
		memcpy(in, data, size);

	pairs = count_pairs(in, size);
	rc = query_parse(&q, in, size);
	if (rc == 0) {
		if (q.n != pairs)
			abort();
		check_parsed(&q, size);
		query_free(&q);
		if (q.n != 0)
			abort();
		query_free(&q);         /* freeing twice must be harmless */
	} else if (pairs <= LIM_QUERY_PARAMS || q.n != 0) {
		abort();                /* only too many pairs (or ENOMEM) fail, and q is freed */
	}

	/* The decoder underneath, both ways (query strings use '+' for space, paths do not). */
	if ((dec = pct_decode(in, size, 1, &dlen)) != NULL) {
		if (dlen > size || dec[dlen] != '\0')
			abort();
		free(dec);
	}
	free(in);
	return 0;
}
