/* fuzz_csvin.c: libFuzzer driver for common/csvin: whole, chunked and bytewise feeds must agree; line numbers only grow; caps hold. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csvin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: byte 0 the largest chunk (0: one byte at a time), byte 1 the flags (bit 0: header;
 * bit 1: small caps), then the CSV. Each feed writes a transcript (each record's line and
 * fields, then the status and error text); the transcripts must be identical.
 */
#define TRANSCRIPT_MAX (8u * 1024 * 1024)

struct rec {
	struct buf t;
	unsigned long last_line;
	const struct csvin_limits *lim;
};

static void put(struct rec *r, const void *p, size_t n)
{
	if (buf_append(&r->t, p, n) != 0)
		abort();
}

static int on_rec(void *ctx, const struct csvin_record *cr)
{
	struct rec *r = ctx;
	size_t i, total = 0;

	if (cr->line < r->last_line || cr->line == 0)
		abort();        /* records come in order of their lines */
	r->last_line = cr->line;
	if (cr->n > r->lim->max_fields)
		abort();
	put(r, &cr->line, sizeof cr->line);
	put(r, &cr->n, sizeof cr->n);
	for (i = 0; i < cr->n; i++) {
		if (strlen(cr->field[i]) != cr->len[i] || cr->len[i] > r->lim->max_field)
			abort();
		total += cr->len[i];
		put(r, &cr->len[i], sizeof cr->len[i]);
		put(r, cr->field[i], cr->len[i]);
	}
	if (total > r->lim->max_row)
		abort();
	return 0;
}

static void run(const uint8_t *p, size_t n, size_t chunk, int flags,
    const struct csvin_limits *lim, struct rec *r)
{
	struct csvin *c = csvin_new(flags, lim, on_rec, r);
	size_t i = 0;
	int rc = 0;
	const char *e;

	if (c == NULL)
		abort();
	buf_init(&r->t, TRANSCRIPT_MAX);
	r->last_line = 0;
	r->lim = lim;
	while (i < n && rc == 0) {
		size_t k = n - i < chunk ? n - i : chunk;

		rc = csvin_feed(c, p + i, k);
		i += k;
	}
	if (rc == 0)
		rc = csvin_finish(c);
	e = csvin_error(c);
	if ((rc == 0) != (e[0] == '\0'))
		abort();        /* an error always says why, success never does */
	put(r, &rc, sizeof rc);
	put(r, e, strlen(e));
	if (flags & CSVIN_HEADER) {
		size_t j, nc = csvin_ncols(c);

		for (j = 0; j < nc; j++) {
			const char *s = csvin_colname(c, j);

			if (csvin_col(c, s) > (int)j)
				abort();        /* the first column of a name is found */
			for (; *s; s++)
				if (*s >= 'A' && *s <= 'Z')
					abort();
		}
	}
	csvin_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct csvin_limits small = { 16, 64, 6 };
	const struct csvin_limits *lim;
	struct rec a, b;
	size_t chunk;
	int flags;

	if (size < 2 || size > 65536)
		return 0;
	chunk = data[0] ? data[0] : 1;
	flags = (data[1] & 1) ? CSVIN_HEADER : 0;
	lim = (data[1] & 2) ? &small : NULL;
	if (lim == NULL) {
		static struct csvin_limits dflt = { CSVIN_DEFAULT_MAX_FIELD, CSVIN_DEFAULT_MAX_ROW,
			CSVIN_DEFAULT_MAX_FIELDS };
		lim = &dflt;
	}
	run(data + 2, size - 2, size, flags, lim, &a);
	run(data + 2, size - 2, chunk, flags, lim, &b);
	if (a.t.len != b.t.len || memcmp(a.t.data, b.t.data, a.t.len) != 0)
		abort();
	buf_free(&a.t);
	buf_free(&b.t);
	return 0;
}
