/* fuzz_multipart.c: libFuzzer driver for common/multipart: whole, chunked and bytewise feeds must agree, with invariant checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "flimits.h"
#include "multipart.h"
#include "valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: byte 0 the largest chunk (0: one byte at a time), byte 1 the seed of the chunk sizes,
 * byte 2 the boundary length L (low 7 bits, mod 71; the high bit makes the part_begin of part
 * number 1 + (byte 1 & 3) return -1), then L bytes of boundary, then the body. The seeds in
 * tests/fuzz/corpus/multipart are python-multipart vector bodies (Apache-2.0, see
 * shared/testdata/multipart/README.md) and a few of our own, in this layout.
 * Each feed records a transcript (parts, their data merged across calls, the final status);
 * the transcripts must be identical.
 */
#define TRANSCRIPT_MAX (16u * 1024 * 1024)
#define BYTEWISE_MAX   2048     /* bodies up to this size are also fed one byte at a time */

struct rec {
	struct buf t;
	size_t dlen_at;         /* offset of the open data record's length, 0 when none */
	int open;
	unsigned begins, abort_at;      /* part_begin calls; abort at that one (0: never) */
};

static void put(struct rec *r, const void *p, size_t n)
{
	if (buf_append(&r->t, p, n) != 0)
		abort();
}

static void put_str(struct rec *r, const char *s)
{
	uint32_t n;

	if (s == NULL) {
		put(r, "\xff\xff\xff\xff", 4);
		return;
	}
	n = (uint32_t)strlen(s);
	put(r, &n, sizeof(n));
	put(r, s, n);
}

/* Part strings are UTF-8 without NUL and without control bytes other than HT. */
static void check_str(const char *s, int may_be_empty)
{
	size_t i, n = strlen(s);

	if ((!may_be_empty && n == 0) || !utf8_valid(s, n))
		abort();
	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			abort();
}

static int on_begin(void *ctx, const struct mp_part *p)
{
	struct rec *r = ctx;

	if (r->open || p->name == NULL || p->content_type == NULL)
		abort();
	check_str(p->name, 0);
	check_str(p->content_type, 0);
	if (p->filename != NULL)
		check_str(p->filename, 1);
	r->open = 1;
	r->dlen_at = 0;
	put(r, "B", 1);
	put_str(r, p->name);
	put_str(r, p->filename);
	put_str(r, p->content_type);
	return ++r->begins == r->abort_at ? -1 : 0;
}

static int on_data(void *ctx, const char *b, size_t n)
{
	struct rec *r = ctx;
	uint64_t len;

	if (!r->open || n == 0)
		abort();
	if (r->dlen_at == 0) {
		len = 0;
		put(r, "D", 1);
		r->dlen_at = r->t.len;
		put(r, &len, sizeof(len));
	}
	memcpy(&len, r->t.data + r->dlen_at, sizeof(len));
	len += n;
	memcpy(r->t.data + r->dlen_at, &len, sizeof(len));
	put(r, b, n);
	return 0;
}

static int on_end(void *ctx)
{
	struct rec *r = ctx;

	if (!r->open)
		abort();
	r->open = 0;
	r->dlen_at = 0;
	put(r, "E", 1);
	return 0;
}

static const struct mp_callbacks cbs = { on_begin, on_data, on_end };

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* Parse body with chunks of at most maxchunk bytes (0: the whole body at once) into r. */
static void parse(const char *boundary, const uint8_t *body, size_t len, size_t maxchunk, uint32_t seed,
    unsigned abort_at, struct rec *r)
{
	struct mp_parser *p;
	enum mp_status rc = MP_OK;
	size_t off = 0;
	unsigned char st;

	buf_init(&r->t, TRANSCRIPT_MAX);
	r->dlen_at = 0;
	r->open = 0;
	r->begins = 0;
	r->abort_at = abort_at;
	if ((p = mp_new(boundary, &cbs, r)) == NULL)
		abort();
	if (maxchunk == 0) {
		rc = mp_feed(p, (const char *)body, len);
	} else {
		while (off < len && rc == MP_OK) {
			size_t n = maxchunk == 1 ? 1 : 1 + xorshift(&seed) % maxchunk;
			char *c;

			if (n > len - off)
				n = len - off;
			if ((c = malloc(n)) == NULL)            /* exact size: ASan sees reads past it */
				abort();
			memcpy(c, body + off, n);
			rc = mp_feed(p, c, n);
			free(c);
			off += n;
		}
	}
	if (rc == MP_OK)
		rc = mp_finish(p);
	/* Status is sticky; a clean parse has closed its last part. */
	if ((rc == MP_ABORTED) != (abort_at != 0 && r->begins == abort_at))
		abort();
	if (rc == MP_OK) {
		if (r->open || mp_finish(p) != MP_FINISHED || mp_feed(p, "x", 1) != MP_FINISHED)
			abort();
	} else if (mp_feed(p, "\r\n--", 4) != rc || mp_finish(p) != rc) {
		abort();
	}
	if (mp_strerror(rc) == NULL)
		abort();
	mp_free(p);
	st = (unsigned char)rc;
	put(r, "S", 1);
	put(r, &st, 1);
}

static void same(const struct rec *a, const struct rec *b)
{
	if (a->t.len != b->t.len || (a->t.len && memcmp(a->t.data, b->t.data, a->t.len) != 0))
		abort();
}

/* mp_boundary on fuzzed parameters, and on the boundary itself quoted and bare. */
static void boundary_checks(const char *boundary, int valid, const uint8_t *body, size_t len)
{
	char ct[300], out[LIM_MP_BOUNDARY + 1];
	size_t n = strlen(boundary), k;
	int r;

	k = len < 200 ? len : 200;
	memcpy(ct, body, k);                    /* the body as a whole Content-Type */
	ct[k] = '\0';
	r = mp_boundary(ct, out, sizeof(out));
	if (r >= 0 && (strlen(out) != (size_t)r ||
	    strncasecmp(ct + strspn(ct, " \t"), "multipart/form-data", 19) != 0))
		abort();
	memcpy(ct, "multipart/form-data; ", 21);
	memcpy(ct + 21, body, k);
	ct[21 + k] = '\0';
	r = mp_boundary(ct, out, sizeof(out));
	if (r >= 0) {
		struct mp_parser *p = mp_new(out, NULL, NULL);

		if (r < 1 || r > LIM_MP_BOUNDARY || strlen(out) != (size_t)r || p == NULL)
			abort();
		mp_free(p);
	}
	memcpy(ct, "multipart/form-data; boundary=\"", 31);
	memcpy(ct + 31, boundary, n);
	memcpy(ct + 31 + n, "\"", 2);
	r = mp_boundary(ct, out, sizeof(out));
	if (valid ? (r != (int)n || strcmp(out, boundary) != 0) : r >= 0 && strpbrk(boundary, "\\\"") == NULL)
		abort();
	if (valid && strchr(boundary, ' ') == NULL) {
		memcpy(ct, "Multipart/Form-Data;BOUNDARY=", 29);
		memcpy(ct + 29, boundary, n + 1);
		if (mp_boundary(ct, out, sizeof(out)) != (int)n || strcmp(out, boundary) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char boundary[LIM_MP_BOUNDARY + 1];
	struct rec whole, chunked, bytewise;
	struct mp_parser *p;
	size_t maxchunk, blen, len;
	const uint8_t *body;
	uint32_t seed;
	unsigned abort_at;

	if (size < 3)
		return 0;
	maxchunk = data[0];
	seed = 0x9e3779b9u ^ data[1];
	blen = (data[2] & 0x7f) % (LIM_MP_BOUNDARY + 1);
	abort_at = data[2] & 0x80 ? 1 + (data[1] & 3u) : 0;
	if (size - 3 < blen)
		return 0;
	memcpy(boundary, data + 3, blen);
	boundary[blen] = '\0';
	if (memchr(boundary, '\0', blen) != NULL)
		return 0;
	body = data + 3 + blen;
	len = size - 3 - blen;

	p = mp_new(boundary, &cbs, NULL);
	boundary_checks(boundary, p != NULL, body, len);
	if (p == NULL)
		return 0;
	mp_free(p);

	parse(boundary, body, len, 0, 0, abort_at, &whole);
	parse(boundary, body, len, maxchunk ? maxchunk : 1, seed, abort_at, &chunked);
	same(&whole, &chunked);
	buf_free(&chunked.t);
	if (len <= BYTEWISE_MAX) {
		parse(boundary, body, len, 1, 0, abort_at, &bytewise);
		same(&whole, &bytewise);
		buf_free(&bytewise.t);
	}
	buf_free(&whole.t);
	return 0;
}
