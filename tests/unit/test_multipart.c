/* test_multipart.c: Check tests for common/multipart: the python-multipart vectors and our own cases, each fed whole, bytewise and in random chunks. */
#include <check.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "fileread.h"
#include "flimits.h"
#include "multipart.h"
#include "testutil.h"

#define MP_REL          "/testdata/multipart"
#define INDEX_EXPECTED  30      /* README: 30 cases */
#define MAX_CASES       64
#define NMODES          3
#define HOLD_BOUND(dlen) ((dlen) + LIM_MP_PADDING + 1)   /* most part bytes the parser may hold */
#define BIG_SIZE        (5u * 1024 * 1024)

enum feed_mode { FEED_WHOLE, FEED_BYTES, FEED_RANDOM };
static const char *const mode_names[NMODES] = { "whole", "1-byte", "random-chunks" };

static char g_dir[4096];                /* $SHARED_DIR/testdata/multipart */
static json_object *g_index;
struct vcase {
	const char *id, *boundary, *body_file;
	int expect_error;
	json_object *parts;             /* NULL for error cases */
	char *body;
	size_t len;
};
static struct vcase vcases[MAX_CASES];
static size_t nvcases;

/* ---------------------------------------------------------------- collecting callbacks */

struct gpart {
	char *name, *filename, *ct;
	char *data;
	size_t dlen, dcap;
};

struct got {
	struct gpart p[LIM_MP_PARTS + 2];
	size_t n;
	int open;               /* part_begin seen, part_end not yet */
	int order_bad;          /* callbacks out of order, or empty part_data */
	int abort_on;           /* 1 begin, 2 data, 3 end: that callback returns -1 */
	int aborted;
	int after_abort;        /* callbacks made after one returned -1 */
	size_t data_calls;
};

static char *dupz(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	ck_assert_ptr_nonnull(d);
	return d;
}

static int cb_begin(void *ctx, const struct mp_part *mp)
{
	struct got *g = ctx;
	struct gpart *gp;

	if (g->aborted)
		g->after_abort++;
	if (g->open || g->n >= LIM_MP_PARTS + 2 || mp->name == NULL || mp->content_type == NULL) {
		g->order_bad = 1;
		return -1;
	}
	gp = &g->p[g->n++];
	gp->name = dupz(mp->name);
	gp->filename = dupz(mp->filename);
	gp->ct = dupz(mp->content_type);
	g->open = 1;
	if (g->abort_on == 1) {
		g->aborted = 1;
		return -1;
	}
	return 0;
}

static int cb_data(void *ctx, const char *buf, size_t n)
{
	struct got *g = ctx;
	struct gpart *gp;

	if (g->aborted)
		g->after_abort++;
	if (!g->open || n == 0) {
		g->order_bad = 1;
		return -1;
	}
	gp = &g->p[g->n - 1];
	if (gp->dlen + n > gp->dcap) {
		size_t ncap = gp->dcap ? gp->dcap : 64;
		char *d;

		while (ncap < gp->dlen + n)
			ncap *= 2;
		d = realloc(gp->data, ncap);
		ck_assert_ptr_nonnull(d);
		gp->data = d;
		gp->dcap = ncap;
	}
	memcpy(gp->data + gp->dlen, buf, n);
	gp->dlen += n;
	g->data_calls++;
	if (g->abort_on == 2) {
		g->aborted = 1;
		return -1;
	}
	return 0;
}

static int cb_end(void *ctx)
{
	struct got *g = ctx;

	if (g->aborted)
		g->after_abort++;
	if (!g->open) {
		g->order_bad = 1;
		return -1;
	}
	g->open = 0;
	if (g->abort_on == 3) {
		g->aborted = 1;
		return -1;
	}
	return 0;
}

static const struct mp_callbacks collect = { cb_begin, cb_data, cb_end };

static void got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->p[i].name);
		free(g->p[i].filename);
		free(g->p[i].ct);
		free(g->p[i].data);
	}
	memset(g, 0, sizeof(*g));
}

/* ---------------------------------------------------------------- feeding */

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* Feed n bytes from an exact-size copy, so ASan sees any read past the chunk. */
static enum mp_status feed_copy(struct mp_parser *p, const char *b, size_t n)
{
	char *c = malloc(n ? n : 1);
	enum mp_status rc;

	ck_assert_ptr_nonnull(c);
	memcpy(c, b, n);
	rc = mp_feed(p, c, n);
	free(c);
	return rc;
}

/* Parse body (len bytes) with boundary in the given mode into g; returns the final status. */
static enum mp_status run(const char *boundary, const char *body, size_t len, enum feed_mode mode,
    uint32_t seed, struct got *g)
{
	struct mp_parser *p = mp_new(boundary, &collect, g);
	enum mp_status rc = MP_OK, again;
	size_t off = 0;

	ck_assert_msg(p != NULL, "mp_new refused boundary '%s'", boundary);
	seed |= 1;
	if (mode == FEED_WHOLE) {
		rc = feed_copy(p, body, len);
	} else {
		while (off < len && rc == MP_OK) {
			size_t n = 1;

			if (mode == FEED_RANDOM) {
				uint32_t r = xorshift(&seed);
				n = (r & 3) == 0 ? 1 + (r >> 8) % 200 : 1 + (r >> 8) % 23;
			}
			if (n > len - off)
				n = len - off;
			rc = feed_copy(p, body + off, n);
			off += n;
		}
	}
	if (rc == MP_OK)
		rc = mp_finish(p);
	if (rc == MP_OK) {
		again = mp_finish(p);
		ck_assert_int_eq(again, MP_FINISHED);
		ck_assert_int_eq(mp_feed(p, "x", 1), MP_FINISHED);
		ck_assert_msg(!g->open, "part_end missing after a clean parse");
	} else {
		/* Errors stick, without further callbacks. */
		size_t before = g->data_calls + g->n;

		again = mp_feed(p, "--x\r\n", 5);
		ck_assert_int_eq(again, rc);
		ck_assert_int_eq(mp_finish(p), rc);
		ck_assert_uint_eq(g->data_calls + g->n, before);
	}
	ck_assert_msg(!g->order_bad, "callbacks out of order or empty data");
	mp_free(p);
	return rc;
}

/* ---------------------------------------------------------------- helpers */

/* Standard base64 (with padding) into a malloc'd buffer. */
static unsigned char *b64dec(const char *s, size_t *outlen)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *out = malloc(n / 4 * 3 + 4);
	int r;

	ck_assert_ptr_nonnull(out);
	ck_assert_msg(n % 4 == 0, "base64 length %zu", n);
	if (n == 0) {
		*outlen = 0;
		return out;
	}
	r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	ck_assert_int_ge(r, 0);
	while (pad < 2 && s[n - 1 - pad] == '=')
		pad++;
	*outlen = (size_t)r - pad;
	return out;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* ---------------------------------------------------------------- the shared vectors */

/* Where we differ from upstream's expectations, by decision (multipart.h). */
static const struct { const char *id; enum mp_status want; const char *why; } deviations[] = {
	{ "base64_encoding", MP_ENCODING, "Content-Transfer-Encoding refused (RFC 7578 4.7)" },
	{ "quoted_printable_encoding", MP_ENCODING, "Content-Transfer-Encoding refused" },
	{ "mixed_plain_and_base64_encoding", MP_ENCODING, "Content-Transfer-Encoding refused" },
	{ "mixed_case_headers", MP_ENCODING, "ConTenT-TransfeR-EncoDinG: base64 refused (any case)" },
};

/* The error cases, each with the reason we refuse it. */
static const struct { const char *id; enum mp_status want; } error_codes[] = {
	{ "CRLF_in_header", MP_BAD_HEADER },
	{ "CR_in_header", MP_BAD_HEADER },
	{ "CR_in_header_value", MP_BAD_HEADER },
	{ "bad_end_of_headers", MP_BAD_HEADER },
	{ "bad_header_char", MP_BAD_HEADER },
	{ "bad_initial_boundary", MP_PREAMBLE },
	{ "empty_header", MP_BAD_HEADER },
	{ "empty_message_with_bad_end", MP_NO_DELIMITER },
};

static int find_vcase(const char *id)
{
	size_t i;

	for (i = 0; i < nvcases; i++)
		if (strcmp(vcases[i].id, id) == 0)
			return (int)i;
	return -1;
}

static void check_vector(const struct vcase *vc, enum feed_mode mode)
{
	struct got g;
	enum mp_status rc;
	size_t i, n;

	memset(&g, 0, sizeof(g));
	rc = run(vc->boundary, vc->body, vc->len, mode, 0x5eed0000u + (uint32_t)(vc - vcases), &g);
	for (i = 0; i < sizeof(deviations) / sizeof(deviations[0]); i++) {
		if (strcmp(deviations[i].id, vc->id) == 0) {
			ck_assert_msg(rc == deviations[i].want, "%s (%s): got %s, want %s (%s)", vc->id,
			    mode_names[mode], mp_strerror(rc), mp_strerror(deviations[i].want), deviations[i].why);
			goto out;
		}
	}
	if (vc->expect_error) {
		for (i = 0; i < sizeof(error_codes) / sizeof(error_codes[0]); i++)
			if (strcmp(error_codes[i].id, vc->id) == 0)
				break;
		ck_assert_msg(i < sizeof(error_codes) / sizeof(error_codes[0]), "%s: error case not in our table", vc->id);
		ck_assert_msg(rc == error_codes[i].want, "%s (%s): got %s, want %s", vc->id, mode_names[mode],
		    mp_strerror(rc), mp_strerror(error_codes[i].want));
		goto out;
	}
	ck_assert_msg(rc == MP_OK, "%s (%s): %s", vc->id, mode_names[mode], mp_strerror(rc));
	n = json_object_array_length(vc->parts);
	ck_assert_msg(g.n == n, "%s (%s): %zu parts, want %zu", vc->id, mode_names[mode], g.n, n);
	for (i = 0; i < n; i++) {
		json_object *jp = json_object_array_get_idx(vc->parts, i);
		const char *type = jstr(jp, "type"), *fn = jstr(jp, "file_name"), *ct = jstr(jp, "content_type");
		const struct gpart *gp = &g.p[i];
		unsigned char *want;
		size_t wlen;

		ck_assert_str_eq(gp->name, jstr(jp, "name"));
		if (strcmp(type, "file") == 0) {
			ck_assert_msg(gp->filename != NULL, "%s part %zu: no filename", vc->id, i);
			ck_assert_str_eq(gp->filename, fn);
		} else {
			ck_assert_msg(gp->filename == NULL, "%s part %zu: filename %s", vc->id, i, gp->filename);
		}
		ck_assert_str_eq(gp->ct, ct ? ct : "text/plain");
		want = b64dec(jstr(jp, "data_base64"), &wlen);
		ck_assert_msg(gp->dlen == wlen && (wlen == 0 || memcmp(gp->data, want, wlen) == 0),
		    "%s (%s) part %zu: data differs (%zu bytes, want %zu)", vc->id, mode_names[mode], i, gp->dlen, wlen);
		free(want);
	}
out:
	got_free(&g);
}

/* One case of the index, fed whole, bytewise and in random chunks. */
START_TEST(vector_case)
{
	int m;

	for (m = 0; m < NMODES; m++)
		check_vector(&vcases[_i], (enum feed_mode)m);
}
END_TEST

/* Every case of the index is here, by name, and every name we single out exists. */
START_TEST(vector_inventory)
{
	size_t i, nerr = 0;

	ck_assert_uint_eq(nvcases, INDEX_EXPECTED);
	for (i = 0; i < nvcases; i++)
		nerr += vcases[i].expect_error != 0;
	ck_assert_uint_eq(nerr, sizeof(error_codes) / sizeof(error_codes[0]));
	for (i = 0; i < sizeof(error_codes) / sizeof(error_codes[0]); i++) {
		int k = find_vcase(error_codes[i].id);

		ck_assert_msg(k >= 0 && vcases[k].expect_error, "%s: not an error case", error_codes[i].id);
	}
	for (i = 0; i < sizeof(deviations) / sizeof(deviations[0]); i++) {
		int k = find_vcase(deviations[i].id);

		ck_assert_msg(k >= 0 && !vcases[k].expect_error, "%s: not a valid case", deviations[i].id);
	}
}
END_TEST

/* ---------------------------------------------------------------- our own table */

#define CD "Content-Disposition: "
#define MAXP 3
struct own_case {
	const char *name, *boundary;
	const char *body;
	size_t len;
	enum mp_status want;
	size_t nparts;
	struct { const char *name, *filename, *ct, *data; size_t dlen; } p[MAXP];
};
#define BODY(s) s, sizeof(s) - 1
#define DATA(s) s, sizeof(s) - 1

static const struct own_case own[] = {
	{ "delimiter_lookalikes_in_data", "XYZ",
	  BODY("--XYZ\r\n" CD "form-data; name=\"f\"\r\n\r\n"
	       "--XYZ at start\r\n--XYZa\r\n--XYZ-b\r\n--XY\r\n--XYZ \tc\r\n--XYZ\rd\n--XYZ\r\n\r--XYZ--"
	       "\r\n-XYZ\r\r\r\n--XYZ--"), MP_OK, 1,
	  { { "f", NULL, "text/plain", DATA("--XYZ at start\r\n--XYZa\r\n--XYZ-b\r\n--XY\r\n--XYZ \tc\r\n"
	       "--XYZ\rd\n--XYZ\r\n\r--XYZ--\r\n-XYZ\r\r") } } },
	{ "near_miss_then_truncated", "B",
	  BODY("--B\r\n" CD "form-data; name=a\r\n\r\nx\r\n--B\nnext"), MP_TRUNCATED, 1,
	  { { "a", NULL, "text/plain", DATA("x\r\n--B\nnext") } } },
	{ "missing_crlf_after_delimiter_is_data", "B",
	  BODY("--B\r\n" CD "form-data; name=a\r\n\r\nx\r\n--Bjunk\r\n" CD "form-data; name=b\r\n\r\ny\r\n--B--"),
	  MP_OK, 1, { { "a", NULL, "text/plain", DATA("x\r\n--Bjunk\r\n" CD "form-data; name=b\r\n\r\ny") } } },
	{ "first_delimiter_without_crlf", "B",
	  BODY("--Bjunk\r\n" CD "form-data; name=a\r\n\r\nx"), MP_NO_DELIMITER, 0, { { 0 } } },
	{ "transport_padding", "B",
	  BODY("--B \t\r\n" CD "form-data; name=a\r\n\r\nx\r\n--B \t \r\n" CD "form-data; name=b\r\n\r\ny\r\n--B--  \r\nepilogue"),
	  MP_OK, 2, { { "a", NULL, "text/plain", DATA("x") }, { "b", NULL, "text/plain", DATA("y") } } },
	{ "padding_at_limit", "B",
	  BODY("--B\r\n" CD "form-data; name=a\r\n\r\nx\r\n--B                                \r\n"
	       CD "form-data; name=b\r\n\r\n\r\n--B--"),
	  MP_OK, 2, { { "a", NULL, "text/plain", DATA("x") }, { "b", NULL, "text/plain", DATA("") } } },
	{ "padding_over_limit", "B",
	  BODY("--B\r\n" CD "form-data; name=a\r\n\r\nx\r\n--B                                 \r\n--B--"),
	  MP_BAD_DELIMITER, 1, { { "a", NULL, "text/plain", DATA("x") } } },
	{ "padding_then_data", "B",
	  BODY("--B\r\n" CD "form-data; name=a\r\n\r\nx\r\n--B  y\r\n--B--"),
	  MP_OK, 1, { { "a", NULL, "text/plain", DATA("x\r\n--B  y") } } },
	{ "crlf_data", "B",
	  BODY("--B\r\n" CD "form-data; name=a\r\n\r\n\r\n\r\n--B\r\n" CD "form-data; name=b\r\n\r\nx\r\n\r\n\r\n--B--\r\n"),
	  MP_OK, 2, { { "a", NULL, "text/plain", DATA("\r\n") }, { "b", NULL, "text/plain", DATA("x\r\n\r\n") } } },
	{ "empty_parts", "B",
	  BODY("--B\r\n" CD "form-data; name=e\r\n\r\n\r\n--B\r\n" CD "form-data; name=f; filename=\"\"\r\n"
	       "Content-Type: application/octet-stream\r\n\r\n\r\n--B--"),
	  MP_OK, 2, { { "e", NULL, "text/plain", DATA("") }, { "f", "", "application/octet-stream", DATA("") } } },
	{ "epilogue_junk", "B",
	  BODY("--B\r\n" CD "form-data; name=a\r\n\r\nx\r\n--B--junk\r\n--B\r\nmore"), MP_OK, 1,
	  { { "a", NULL, "text/plain", DATA("x") } } },
	{ "text_preamble", "B",
	  BODY("This is a preamble.\r\n--B\r\n" CD "form-data; name=a\r\n\r\nx\r\n--B--"), MP_OK, 1,
	  { { "a", NULL, "text/plain", DATA("x") } } },
	{ "text_preamble_no_part", "B", BODY("preamble\r\n--B--\r\n"), MP_PREAMBLE, 0, { { 0 } } },
	{ "blank_lines_no_part", "B", BODY("\r\n\r\n--B--\r\n"), MP_OK, 0, { { 0 } } },
	{ "empty_input", "B", BODY(""), MP_NO_DELIMITER, 0, { { 0 } } },
	{ "truncated_in_headers", "B", BODY("--B\r\n" CD "form-"), MP_TRUNCATED, 0, { { 0 } } },
	{ "truncated_in_data", "B", BODY("--B\r\n" CD "form-data; name=a\r\n\r\nabc\r\n--"), MP_TRUNCATED, 1,
	  { { "a", NULL, "text/plain", DATA("abc") } } },
	{ "boundary_with_space", "a b",
	  BODY("--a b\r\n" CD "form-data; name=a\r\n\r\nx\r\n--a b--"), MP_OK, 1,
	  { { "a", NULL, "text/plain", DATA("x") } } },
	/* header syntax */
	{ "header_bare_lf", "B", BODY("--B\r\n" CD "form-data; name=a\n\r\nx\r\n--B--"), MP_BAD_HEADER, 0, { { 0 } } },
	{ "header_end_lflf", "B", BODY("--B\r\n" CD "form-data; name=a\n\nx\r\n--B--"), MP_BAD_HEADER, 0, { { 0 } } },
	{ "header_bare_cr", "B", BODY("--B\r\n" CD "form-data; name=a\r\rx\r\n--B--"), MP_BAD_HEADER, 0, { { 0 } } },
	{ "header_folded", "B", BODY("--B\r\n" CD "form-data;\r\n name=a\r\n\r\nx\r\n--B--"), MP_BAD_HEADER, 0, { { 0 } } },
	{ "header_nul", "B", BODY("--B\r\n" CD "form-data; name=a\0b\r\n\r\nx\r\n--B--"), MP_BAD_HEADER, 0, { { 0 } } },
	{ "header_del", "B", BODY("--B\r\n" CD "form-data; name=a\x7f\r\n\r\nx\r\n--B--"), MP_BAD_HEADER, 0, { { 0 } } },
	{ "header_space_before_colon", "B", BODY("--B\r\nContent-Type : x\r\n\r\nx\r\n--B--"), MP_BAD_HEADER, 0, { { 0 } } },
	{ "header_no_colon", "B", BODY("--B\r\nContent-Type\r\n\r\nx\r\n--B--"), MP_BAD_HEADER, 0, { { 0 } } },
	{ "no_headers", "B", BODY("--B\r\n\r\nx\r\n--B--"), MP_BAD_DISPOSITION, 0, { { 0 } } },
	/* Content-Disposition */
	{ "disposition_case_and_unknown_params", "B",
	  BODY("--B\r\ncontent-DISPOSITION:FORM-DATA ; foo=bar ;NAME = \"a\";\r\n\r\nx\r\n--B--"), MP_OK, 1,
	  { { "a", NULL, "text/plain", DATA("x") } } },
	{ "part_without_name", "B", BODY("--B\r\n" CD "form-data; filename=\"x.txt\"\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "part_empty_name", "B", BODY("--B\r\n" CD "form-data; name=\"\"\r\n\r\nx\r\n--B--"), MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "disposition_not_form_data", "B", BODY("--B\r\n" CD "attachment; name=\"a\"\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "disposition_twice", "B", BODY("--B\r\n" CD "form-data; name=a\r\n" CD "form-data; name=b\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "name_twice", "B", BODY("--B\r\n" CD "form-data; name=a; name=b\r\n\r\nx\r\n--B--"), MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "filename_twice", "B", BODY("--B\r\n" CD "form-data; name=a; filename=x; filename=y\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "disposition_missing_semicolon", "B", BODY("--B\r\n" CD "form-data name=a\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "disposition_param_without_value", "B", BODY("--B\r\n" CD "form-data; name\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "disposition_unterminated_quote", "B", BODY("--B\r\n" CD "form-data; name=\"a\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	/* filenames */
	{ "filename_escapes", "B", BODY("--B\r\n" CD "form-data; name=f; filename=\"a\\\"b\\\\c.txt\"\r\n\r\nx\r\n--B--"),
	  MP_OK, 1, { { "f", "a\"b\\c.txt", "text/plain", DATA("x") } } },
	{ "filename_windows_path", "B", BODY("--B\r\n" CD "form-data; name=f; filename=\"C:\\Users\\me\\x.bin\"\r\n\r\nx\r\n--B--"),
	  MP_OK, 1, { { "f", "C:\\Users\\me\\x.bin", "text/plain", DATA("x") } } },
	{ "filename_utf8_raw", "B", BODY("--B\r\n" CD "form-data; name=f; filename=\"\xc3\xa9t\xc3\xa9.txt\"\r\n\r\nx\r\n--B--"),
	  MP_OK, 1, { { "f", "\xc3\xa9t\xc3\xa9.txt", "text/plain", DATA("x") } } },
	{ "filename_latin1_raw", "B", BODY("--B\r\n" CD "form-data; name=f; filename=\"caf\xe9.txt\"\r\n\r\nx\r\n--B--"),
	  MP_OK, 1, { { "f", "caf\xc3\xa9.txt", "text/plain", DATA("x") } } },
	{ "filename_star_utf8", "B",
	  BODY("--B\r\n" CD "form-data; name=f; filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\nx\r\n--B--"),
	  MP_OK, 1, { { "f", "\xe2\x82\xac rates.txt", "text/plain", DATA("x") } } },
	{ "filename_star_wins_after", "B",
	  BODY("--B\r\n" CD "form-data; name=f; filename=\"fallback.txt\"; filename*=utf-8''%C3%A9t%C3%A9.txt\r\n\r\nx\r\n--B--"),
	  MP_OK, 1, { { "f", "\xc3\xa9t\xc3\xa9.txt", "text/plain", DATA("x") } } },
	{ "filename_star_wins_before", "B",
	  BODY("--B\r\n" CD "form-data; name=f; filename*=UTF-8''a.txt; filename=\"fallback.txt\"\r\n\r\nx\r\n--B--"),
	  MP_OK, 1, { { "f", "a.txt", "text/plain", DATA("x") } } },
	{ "filename_star_latin1", "B",
	  BODY("--B\r\n" CD "form-data; name=f; filename*=iso-8859-1'en'%A3%20rates\r\n\r\nx\r\n--B--"),
	  MP_OK, 1, { { "f", "\xc2\xa3 rates", "text/plain", DATA("x") } } },
	{ "filename_star_quoted", "B", BODY("--B\r\n" CD "form-data; name=f; filename*=\"UTF-8''a%2Fb\"\r\n\r\nx\r\n--B--"),
	  MP_OK, 1, { { "f", "a/b", "text/plain", DATA("x") } } },
	{ "filename_star_bad_utf8", "B", BODY("--B\r\n" CD "form-data; name=f; filename*=UTF-8''%FF.txt\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "filename_star_nul", "B", BODY("--B\r\n" CD "form-data; name=f; filename*=UTF-8''a%00b\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "filename_star_newline", "B", BODY("--B\r\n" CD "form-data; name=f; filename*=UTF-8''a%0Ab\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "filename_star_short_escape", "B", BODY("--B\r\n" CD "form-data; name=f; filename*=UTF-8''a%4\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "filename_star_other_charset", "B", BODY("--B\r\n" CD "form-data; name=f; filename*=KOI8-R''abc\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "filename_star_no_charset", "B", BODY("--B\r\n" CD "form-data; name=f; filename*=abc\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	{ "filename_star_twice", "B",
	  BODY("--B\r\n" CD "form-data; name=f; filename*=UTF-8''a; filename*=UTF-8''b\r\n\r\nx\r\n--B--"),
	  MP_BAD_DISPOSITION, 0, { { 0 } } },
	/* Content-Type and Content-Transfer-Encoding */
	{ "content_type_kept", "B",
	  BODY("--B\r\n" CD "form-data; name=a\r\nContent-Type:   text/plain; charset=utf-8  \r\n\r\nx\r\n--B--"),
	  MP_OK, 1, { { "a", NULL, "text/plain; charset=utf-8", DATA("x") } } },
	{ "content_type_empty", "B", BODY("--B\r\n" CD "form-data; name=a\r\nContent-Type:\r\n\r\nx\r\n--B--"),
	  MP_OK, 1, { { "a", NULL, "text/plain", DATA("x") } } },
	{ "content_type_twice", "B",
	  BODY("--B\r\n" CD "form-data; name=a\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\nx\r\n--B--"),
	  MP_BAD_HEADER, 0, { { 0 } } },
	{ "cte_identity", "B",
	  BODY("--B\r\n" CD "form-data; name=a\r\nContent-Transfer-Encoding: BINARY\r\n\r\nx\r\n--B\r\n"
	       CD "form-data; name=b\r\ncontent-transfer-encoding: 8bit\r\n\r\ny\r\n--B\r\n"
	       CD "form-data; name=c\r\nContent-Transfer-Encoding: 7bit\r\n\r\nz\r\n--B--"),
	  MP_OK, 3, { { "a", NULL, "text/plain", DATA("x") }, { "b", NULL, "text/plain", DATA("y") },
		       { "c", NULL, "text/plain", DATA("z") } } },
	{ "cte_base64", "B", BODY("--B\r\n" CD "form-data; name=a\r\nContent-Transfer-Encoding: base64\r\n\r\neA==\r\n--B--"),
	  MP_ENCODING, 0, { { 0 } } },
	{ "cte_other", "B", BODY("--B\r\n" CD "form-data; name=a\r\nContent-Transfer-Encoding: gzip\r\n\r\nx\r\n--B--"),
	  MP_ENCODING, 0, { { 0 } } },
	{ "other_headers_ignored", "B",
	  BODY("--B\r\nX-A: 1\r\n" CD "form-data; name=a\r\nContent-Length: 99\r\nX-Utf8: \xc3\xa9\r\n\r\nx\r\n--B--"),
	  MP_OK, 1, { { "a", NULL, "text/plain", DATA("x") } } },
};

static void check_own(const struct own_case *c, enum feed_mode mode)
{
	struct got g;
	enum mp_status rc;
	size_t i;

	memset(&g, 0, sizeof(g));
	rc = run(c->boundary, c->body, c->len, mode, 0x0face000u + (uint32_t)(c - own), &g);
	ck_assert_msg(rc == c->want, "%s (%s): got %s, want %s", c->name, mode_names[mode], mp_strerror(rc),
	    mp_strerror(c->want));
	ck_assert_msg(g.n == c->nparts, "%s (%s): %zu parts, want %zu", c->name, mode_names[mode], g.n, c->nparts);
	for (i = 0; i < c->nparts; i++) {
		const struct gpart *gp = &g.p[i];

		ck_assert_str_eq(gp->name, c->p[i].name);
		if (c->p[i].filename == NULL)
			ck_assert_msg(gp->filename == NULL, "%s: filename %s", c->name, gp->filename);
		else
			ck_assert_msg(gp->filename != NULL && strcmp(gp->filename, c->p[i].filename) == 0,
			    "%s: filename %s", c->name, gp->filename ? gp->filename : "(null)");
		ck_assert_str_eq(gp->ct, c->p[i].ct);
		ck_assert_msg(gp->dlen == c->p[i].dlen && memcmp(gp->data ? gp->data : "", c->p[i].data, gp->dlen) == 0,
		    "%s (%s) part %zu: data '%.*s'", c->name, mode_names[mode], i, (int)gp->dlen, gp->data ? gp->data : "");
		if (c->p[i].dlen == 0)
			ck_assert_ptr_null(gp->data);   /* no empty part_data calls */
	}
	got_free(&g);
}

START_TEST(own_case)
{
	int m;

	for (m = 0; m < NMODES; m++)
		check_own(&own[_i], (enum feed_mode)m);
}
END_TEST

/* ---------------------------------------------------------------- generated bodies */

/* A body growing in a malloc'd buffer (tests only). */
struct gen {
	char *b;
	size_t len, cap;
};

static void gen_add(struct gen *g, const void *p, size_t n)
{
	if (g->len + n > g->cap) {
		size_t ncap = g->cap ? g->cap : 256;
		char *d;

		while (ncap < g->len + n)
			ncap *= 2;
		d = realloc(g->b, ncap);
		ck_assert_ptr_nonnull(d);
		g->b = d;
		g->cap = ncap;
	}
	memcpy(g->b + g->len, p, n);
	g->len += n;
}

static void gen_str(struct gen *g, const char *s)
{
	gen_add(g, s, strlen(s));
}

static void gen_rep(struct gen *g, char c, size_t n)
{
	while (n-- > 0)
		gen_add(g, &c, 1);
}

/* nparts parts named p0, p1, ... holding "v". */
static void gen_parts(struct gen *g, size_t nparts)
{
	size_t i;
	char line[96];

	for (i = 0; i < nparts; i++) {
		snprintf(line, sizeof(line), "--B\r\n" CD "form-data; name=\"p%zu\"\r\n\r\nv\r\n", i);
		gen_str(g, line);
	}
	gen_str(g, "--B--\r\n");
}

static void check_too_many_parts(enum feed_mode mode)
{
	struct gen ok = { 0 }, over = { 0 };
	struct got g;

	gen_parts(&ok, LIM_MP_PARTS);
	gen_parts(&over, LIM_MP_PARTS + 1);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(run("B", ok.b, ok.len, mode, 7, &g), MP_OK);
	ck_assert_uint_eq(g.n, LIM_MP_PARTS);
	got_free(&g);
	ck_assert_int_eq(run("B", over.b, over.len, mode, 7, &g), MP_TOO_MANY_PARTS);
	ck_assert_uint_eq(g.n, LIM_MP_PARTS);
	got_free(&g);
	free(ok.b);
	free(over.b);
}

START_TEST(too_many_parts)
{
	int m;

	for (m = 0; m < NMODES; m++)
		check_too_many_parts((enum feed_mode)m);
}
END_TEST

/* One part whose header lines number nhdr (Content-Disposition included). */
static void gen_headers(struct gen *g, size_t nhdr)
{
	size_t i;

	gen_str(g, "--B\r\n" CD "form-data; name=\"a\"\r\n");
	for (i = 1; i < nhdr; i++)
		gen_str(g, "X-H: 1\r\n");
	gen_str(g, "\r\nx\r\n--B--");
}

static void check_too_many_headers(enum feed_mode mode)
{
	struct gen ok = { 0 }, over = { 0 };
	struct got g;

	gen_headers(&ok, LIM_MP_HEADERS);
	gen_headers(&over, LIM_MP_HEADERS + 1);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(run("B", ok.b, ok.len, mode, 9, &g), MP_OK);
	ck_assert_uint_eq(g.n, 1);
	got_free(&g);
	ck_assert_int_eq(run("B", over.b, over.len, mode, 9, &g), MP_TOO_MANY_HEADERS);
	ck_assert_uint_eq(g.n, 0);
	got_free(&g);
	free(ok.b);
	free(over.b);
}

START_TEST(too_many_headers)
{
	int m;

	for (m = 0; m < NMODES; m++)
		check_too_many_headers((enum feed_mode)m);
}
END_TEST

/* A header block of exactly total bytes (CRLFs and the blank line included); the filename
 * carries the padding, so a long kept value is tested too. */
static void gen_header_block(struct gen *g, size_t total)
{
	static const char head[] = CD "form-data; name=\"a\"; filename=\"";
	static const char tail[] = ".bin\"\r\n\r\n";
	size_t fixed = sizeof(head) - 1 + sizeof(tail) - 1;

	ck_assert_uint_gt(total, fixed);
	gen_str(g, "--B\r\n");
	gen_str(g, head);
	gen_rep(g, 'n', total - fixed);
	gen_str(g, tail);
	gen_str(g, "x\r\n--B--");
}

static void check_header_too_large(enum feed_mode mode)
{
	struct gen ok = { 0 }, over = { 0 };
	struct got g;

	gen_header_block(&ok, LIM_MP_HEADER_BYTES);
	gen_header_block(&over, LIM_MP_HEADER_BYTES + 1);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(run("B", ok.b, ok.len, mode, 11, &g), MP_OK);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(strlen(g.p[0].filename), LIM_MP_HEADER_BYTES - (sizeof(CD "form-data; name=\"a\"; filename=\"") - 1)
	    - (sizeof("\"\r\n\r\n") - 1));
	got_free(&g);
	ck_assert_int_eq(run("B", over.b, over.len, mode, 11, &g), MP_HEADER_TOO_LARGE);
	ck_assert_uint_eq(g.n, 0);
	got_free(&g);
	free(ok.b);
	free(over.b);
}

START_TEST(header_too_large)
{
	int m;

	for (m = 0; m < NMODES; m++)
		check_header_too_large((enum feed_mode)m);
}
END_TEST

static void check_preamble_limit(enum feed_mode mode)
{
	struct gen ok = { 0 }, over = { 0 };
	struct got g;
	static const char rest[] = "\r\n--B\r\n" CD "form-data; name=a\r\n\r\nx\r\n--B--";

	gen_rep(&ok, 'p', LIM_MP_PREAMBLE);
	gen_add(&ok, rest, sizeof(rest) - 1);
	gen_rep(&over, 'p', LIM_MP_PREAMBLE + 1);
	gen_add(&over, rest, sizeof(rest) - 1);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(run("B", ok.b, ok.len, mode, 13, &g), MP_OK);
	ck_assert_uint_eq(g.n, 1);
	got_free(&g);
	ck_assert_int_eq(run("B", over.b, over.len, mode, 13, &g), MP_PREAMBLE);
	ck_assert_uint_eq(g.n, 0);
	got_free(&g);
	free(ok.b);
	free(over.b);
}

START_TEST(preamble_limit)
{
	int m;

	for (m = 0; m < NMODES; m++)
		check_preamble_limit((enum feed_mode)m);
}
END_TEST

/* ---------------------------------------------------------------- a 5 MB part, streamed */

struct stream_ctx {
	const char *want;       /* the part's expected bytes */
	size_t wlen, got;
	int begun, ended, bad;
};

static int s_begin(void *ctx, const struct mp_part *p)
{
	struct stream_ctx *s = ctx;

	s->begun++;
	if (strcmp(p->name, "file") != 0 || p->filename == NULL || strcmp(p->filename, "big.bin") != 0)
		s->bad = 1;
	return 0;
}

static int s_data(void *ctx, const char *buf, size_t n)
{
	struct stream_ctx *s = ctx;

	if (n > s->wlen - s->got || memcmp(buf, s->want + s->got, n) != 0) {
		s->bad = 1;
		return -1;
	}
	s->got += n;
	return 0;
}

static int s_end(void *ctx)
{
	struct stream_ctx *s = ctx;

	s->ended++;
	return 0;
}

START_TEST(big_part_streams)
{
	static const char boundary[] = "----streamBOUNDARY7MA4YWxkTrZu0gW";
	static const char head[] = "------streamBOUNDARY7MA4YWxkTrZu0gW\r\n"
	    CD "form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n";
	static const char tail[] = "\r\n------streamBOUNDARY7MA4YWxkTrZu0gW--\r\n";
	static const struct mp_callbacks scb = { s_begin, s_data, s_end };
	enum feed_mode mode = (enum feed_mode)_i;
	size_t hlen = sizeof(head) - 1, dlen = 4 + strlen(boundary), total, off = 0, i, maxlag = 0;
	char *body, *data;
	uint32_t r = 0x12345678u;
	struct stream_ctx s;
	struct mp_parser *p;
	enum mp_status rc = MP_OK;

	total = hlen + BIG_SIZE + sizeof(tail) - 1;
	body = malloc(total);
	ck_assert_ptr_nonnull(body);
	memcpy(body, head, hlen);
	data = body + hlen;
	/* Pseudo-random bytes (CRs included) with delimiter near misses every few KiB. */
	for (i = 0; i < BIG_SIZE; i++)
		data[i] = (char)(xorshift(&r) >> 24);
	for (i = 1000; i + 200 < BIG_SIZE; i += 4093) {
		size_t k = (i / 4093) % (dlen + 3);
		static const char pad[] = "\r\n------streamBOUNDARY7MA4YWxkTrZu0gW  \tX";

		memcpy(data + i, pad, k < sizeof(pad) - 1 ? k : sizeof(pad) - 1);
		if (k >= dlen)
			data[i + k] = 'X';      /* the whole delimiter (+ padding), then not CRLF */
	}
	memcpy(data + BIG_SIZE, tail, sizeof(tail) - 1);

	memset(&s, 0, sizeof(s));
	s.want = data;
	s.wlen = BIG_SIZE;
	p = mp_new(boundary, &scb, &s);
	ck_assert_ptr_nonnull(p);
	while (off < total && rc == MP_OK) {
		size_t n, fed_data, lag;

		if (mode == FEED_WHOLE)
			n = total;
		else if (mode == FEED_BYTES)
			n = 1;
		else
			n = 1 + xorshift(&r) % 70000;
		if (n > total - off)
			n = total - off;
		rc = mp_feed(p, body + off, n);
		off += n;
		/* Part bytes fed so far minus part bytes delivered: what the parser holds back. */
		fed_data = off <= hlen ? 0 : off - hlen > BIG_SIZE ? BIG_SIZE : off - hlen;
		lag = fed_data - s.got;
		if (lag > maxlag)
			maxlag = lag;
	}
	ck_assert_int_eq(rc, MP_OK);
	ck_assert_int_eq(mp_finish(p), MP_OK);
	mp_free(p);
	ck_assert(!s.bad);
	ck_assert_int_eq(s.begun, 1);
	ck_assert_int_eq(s.ended, 1);
	ck_assert_uint_eq(s.got, BIG_SIZE);
	ck_assert_msg(maxlag <= HOLD_BOUND(dlen), "%s: held back up to %zu bytes (bound %zu)",
	    mode_names[mode], maxlag, (size_t)HOLD_BOUND(dlen));
	printf("big_part_streams (%s): %u bytes, at most %zu held back (bound %zu)\n", mode_names[mode],
	    BIG_SIZE, maxlag, (size_t)HOLD_BOUND(dlen));
	free(body);
}
END_TEST

/* ---------------------------------------------------------------- API edges */

/* part_begin, part_data, part_end (_i 0..2) returning -1 stop the parse for good. */
START_TEST(callback_abort)
{
	static const char body[] = "--B\r\n" CD "form-data; name=a\r\n\r\nx\r\n--B\r\n" CD "form-data; name=b\r\n\r\ny\r\n--B--";
	struct got g;
	int m;

	for (m = 0; m < NMODES; m++) {
		memset(&g, 0, sizeof(g));
		g.abort_on = 1 + _i;
		ck_assert_int_eq(run("B", body, sizeof(body) - 1, (enum feed_mode)m, 17, &g), MP_ABORTED);
		ck_assert_int_eq(g.after_abort, 0);
		ck_assert_uint_eq(g.n, 1);
		got_free(&g);
	}
}
END_TEST

START_TEST(null_callbacks)
{
	static const char body[] = "--B\r\n" CD "form-data; name=a\r\n\r\nx\r\n--B--";
	struct mp_parser *p = mp_new("B", NULL, NULL);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(mp_feed(p, body, sizeof(body) - 1), MP_OK);
	ck_assert_int_eq(mp_feed(p, NULL, 0), MP_OK);
	ck_assert_int_eq(mp_finish(p), MP_OK);
	mp_free(p);
	mp_free(NULL);
}
END_TEST

START_TEST(new_rejects)
{
	char b70[71], b71[72];

	memset(b70, 'a', 70);
	b70[70] = '\0';
	memset(b71, 'a', 71);
	b71[71] = '\0';
	ck_assert_ptr_null(mp_new(NULL, &collect, NULL));
	ck_assert_ptr_null(mp_new("", &collect, NULL));
	ck_assert_ptr_null(mp_new(b71, &collect, NULL));
	ck_assert_ptr_null(mp_new("ab ", &collect, NULL));
	ck_assert_ptr_null(mp_new("a\"b", &collect, NULL));
	ck_assert_ptr_null(mp_new("a@b", &collect, NULL));
	ck_assert_ptr_null(mp_new("a\r\nb", &collect, NULL));
	mp_free(mp_new(b70, &collect, NULL));
	{
		struct mp_parser *p = mp_new("'()+_,-./:=? x", &collect, NULL);

		ck_assert_ptr_nonnull(p);
		mp_free(p);
	}
}
END_TEST

START_TEST(strerror_all)
{
	int i, j;

	for (i = MP_OK; i <= MP_FINISHED; i++) {
		ck_assert_ptr_nonnull(mp_strerror((enum mp_status)i));
		for (j = MP_OK; j < i; j++)
			ck_assert_str_ne(mp_strerror((enum mp_status)i), mp_strerror((enum mp_status)j));
	}
	ck_assert_str_eq(mp_strerror((enum mp_status)999), "unknown multipart error");
}
END_TEST

/* ---------------------------------------------------------------- boundary extraction */

static const struct { const char *name, *ct; size_t outlen; const char *want; } bcases[] = {
	{ "unquoted", "multipart/form-data; boundary=----WebKitFormBoundaryTkr3kCBQlBe1nrhc", 71,
	  "----WebKitFormBoundaryTkr3kCBQlBe1nrhc" },
	{ "quoted", "multipart/form-data; boundary=\"a b:c=d?\"", 71, "a b:c=d?" },
	{ "quoted_pair", "multipart/form-data; boundary=\"a\\bc\"", 71, "abc" },
	{ "any_case", "Multipart/Form-Data; BOUNDARY=xyz", 71, "xyz" },
	{ "no_space", "multipart/form-data;boundary=xyz", 71, "xyz" },
	{ "spaces", "  multipart/form-data ;  boundary = xyz  ;", 71, "xyz" },
	{ "other_params", "multipart/form-data; charset=utf-8; boundary=xyz; foo=\"bar\"", 71, "xyz" },
	{ "fake_in_quoted_param", "multipart/form-data; x=\"; boundary=fake\"; boundary=real", 71, "real" },
	{ "bchars_unquoted", "multipart/form-data; boundary=a'()+_,-./:=?b", 71, "a'()+_,-./:=?b" },
	{ "len_70", "multipart/form-data; boundary=0123456789012345678901234567890123456789012345678901234567890123456789",
	  71, "0123456789012345678901234567890123456789012345678901234567890123456789" },
	{ "len_71", "multipart/form-data; boundary=01234567890123456789012345678901234567890123456789012345678901234567890",
	  100, NULL },
	{ "missing", "multipart/form-data", 71, NULL },
	{ "missing_other_params", "multipart/form-data; charset=utf-8", 71, NULL },
	{ "empty", "multipart/form-data; boundary=", 71, NULL },
	{ "empty_quoted", "multipart/form-data; boundary=\"\"", 71, NULL },
	{ "trailing_space_quoted", "multipart/form-data; boundary=\"abc \"", 71, NULL },
	{ "bad_char", "multipart/form-data; boundary=a@b", 71, NULL },
	{ "quote_in_value", "multipart/form-data; boundary=\"a\\\"b\"", 71, NULL },
	{ "unterminated_quote", "multipart/form-data; boundary=\"abc", 71, NULL },
	{ "junk_after_value", "multipart/form-data; boundary=abc junk", 71, NULL },
	{ "repeated", "multipart/form-data; boundary=a; boundary=b", 71, NULL },
	{ "other_type", "multipart/mixed; boundary=abc", 71, NULL },
	{ "longer_type", "multipart/form-datax; boundary=abc", 71, NULL },
	{ "json", "application/json", 71, NULL },
	{ "empty_ct", "", 71, NULL },
	{ "param_prefix", "multipart/form-data; xboundary=abc", 71, NULL },
	{ "no_equals", "multipart/form-data; boundary", 71, NULL },
	{ "out_too_small", "multipart/form-data; boundary=abcdef", 6, NULL },
	{ "out_just_fits", "multipart/form-data; boundary=abcdef", 7, "abcdef" },
};

START_TEST(boundary_case)
{
	char out[128];
	int r;

	memset(out, 'Z', sizeof(out));
	r = mp_boundary(bcases[_i].ct, out, bcases[_i].outlen);
	if (bcases[_i].want == NULL) {
		ck_assert_msg(r == -1, "%s: accepted '%s'", bcases[_i].name, out);
		if (bcases[_i].outlen > 0)
			ck_assert_msg(out[0] == '\0', "%s: out not emptied", bcases[_i].name);
	} else {
		ck_assert_msg(r == (int)strlen(bcases[_i].want), "%s: got %d", bcases[_i].name, r);
		ck_assert_str_eq(out, bcases[_i].want);
	}
}
END_TEST

START_TEST(boundary_null)
{
	char out[8];

	ck_assert_int_eq(mp_boundary(NULL, out, sizeof(out)), -1);
	ck_assert_int_eq(mp_boundary("multipart/form-data; boundary=a", NULL, 8), -1);
	ck_assert_int_eq(mp_boundary("multipart/form-data; boundary=a", out, 0), -1);
}
END_TEST

/* ---------------------------------------------------------------- setup */

static int load_index(void)
{
	char path[8192];
	json_object *cases;
	size_t i, n;

	snprintf(path, sizeof(path), "%s/python-multipart-index.json", g_dir);
	if ((g_index = json_object_from_file(path)) == NULL ||
	    !json_object_object_get_ex(g_index, "cases", &cases) || !json_object_is_type(cases, json_type_array)) {
		fprintf(stderr, "test_multipart: cannot read %s\n", path);
		return -1;
	}
	n = json_object_array_length(cases);
	if (n > MAX_CASES) {
		fprintf(stderr, "test_multipart: %zu cases, more than %d\n", n, MAX_CASES);
		return -1;
	}
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(cases, i), *v;
		struct vcase *vc = &vcases[i];

		vc->id = jstr(c, "id");
		vc->boundary = jstr(c, "boundary");
		vc->body_file = jstr(c, "body_file");
		if (vc->id == NULL || vc->boundary == NULL || vc->body_file == NULL ||
		    !json_object_object_get_ex(c, "expect_error", &v)) {
			fprintf(stderr, "test_multipart: case %zu malformed\n", i);
			return -1;
		}
		vc->expect_error = json_object_get_boolean(v);
		if (!vc->expect_error && (!json_object_object_get_ex(c, "parts", &vc->parts) ||
		    !json_object_is_type(vc->parts, json_type_array))) {
			fprintf(stderr, "test_multipart: %s has no parts\n", vc->id);
			return -1;
		}
		snprintf(path, sizeof(path), "%s/%s", g_dir, vc->body_file);
		if ((vc->body = file_read_all(path, SIZE_MAX, &vc->len)) == NULL) {
			fprintf(stderr, "test_multipart: cannot read %s\n", path);
			return -1;
		}
		nvcases++;
	}
	return 0;
}

static Suite *vectors_suite(void)
{
	Suite *s = suite_create("python-multipart");
	TCase *tc = tcase_create("vectors");

	tcase_add_test(tc, vector_inventory);
	tcase_add_loop_test(tc, vector_case, 0, (int)nvcases);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *own_suite(void)
{
	Suite *s = suite_create("multipart-units");
	TCase *tc = tcase_create("table");
	TCase *big = tcase_create("streaming");

	tcase_add_loop_test(tc, own_case, 0, (int)(sizeof(own) / sizeof(own[0])));
	tcase_add_test(tc, too_many_parts);
	tcase_add_test(tc, too_many_headers);
	tcase_add_test(tc, header_too_large);
	tcase_add_test(tc, preamble_limit);
	tcase_add_loop_test(tc, callback_abort, 0, 3);
	tcase_add_test(tc, null_callbacks);
	tcase_add_test(tc, new_rejects);
	tcase_add_test(tc, strerror_all);
	tcase_add_loop_test(tc, boundary_case, 0, (int)(sizeof(bcases) / sizeof(bcases[0])));
	tcase_add_test(tc, boundary_null);
	suite_add_tcase(s, tc);
	tcase_set_timeout(big, 120);
	tcase_add_loop_test(big, big_part_streams, 0, NMODES);
	suite_add_tcase(s, big);
	return s;
}

int main(void)
{
	Suite *suites[2];
	size_t i;
	int failed = 0, total = 0;

	/* 64 bytes spare for the names appended to it. */
	if (tu_shared_path("test_multipart", MP_REL, g_dir, sizeof(g_dir) - 64) != 0)
		return EXIT_FAILURE;
	if (load_index() != 0)
		goto out;
	printf("test_multipart: %zu python-multipart cases from %s, %zu own cases, each fed %d ways\n",
	    nvcases, g_dir, sizeof(own) / sizeof(own[0]), NMODES);
	fflush(stdout);
	suites[0] = vectors_suite();
	suites[1] = own_suite();
	for (i = 0; i < 2; i++) {
		SRunner *sr = srunner_create(suites[i]);

		srunner_run_all(sr, CK_NORMAL);
		failed += srunner_ntests_failed(sr);
		total += srunner_ntests_run(sr);
		srunner_free(sr);
	}
	printf("test_multipart: %d checks in all, %d failed\n", total, failed);
out:
	for (i = 0; i < nvcases; i++)
		free(vcases[i].body);
	json_object_put(g_index);
	return (nvcases > 0 && failed == 0) ? EXIT_SUCCESS : EXIT_FAILURE;
}
