/* test_csvin.c: Check tests for common/csvin over shared/testdata/csv (csv-spectrum, the RFC 4180 cases) and the bulk import's own rules, each fed whole, bytewise and in random chunks. */
#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "csvin.h"
#include "fileread.h"
#include "testutil.h"

#define NMODES 3
enum feed_mode { FEED_WHOLE, FEED_BYTES, FEED_RANDOM };

static char g_dir[4096];        /* $SHARED_DIR/testdata/csv */

/* What a parse produced: a JSON array of records, each {"line":N,"f":[...]}. */
struct got {
	json_object *recs;
	int stop_after;         /* callback returns 1 at that record (0: never) */
};

static int collect(void *ctx, const struct csvin_record *r)
{
	struct got *g = ctx;
	json_object *rec = json_object_new_object(), *f = json_object_new_array();
	size_t i;

	for (i = 0; i < r->n; i++) {
		ck_assert_uint_eq(strlen(r->field[i]), r->len[i]);
		json_object_array_add(f, json_object_new_string_len(r->field[i], (int)r->len[i]));
	}
	json_object_object_add(rec, "line", json_object_new_int64((int64_t)r->line));
	json_object_object_add(rec, "f", f);
	json_object_array_add(g->recs, rec);
	return g->stop_after != 0 && (int)json_object_array_length(g->recs) == g->stop_after;
}

/* Parse s in the given feed mode. Returns 0 or -1 (csvin's result); *out the records (caller puts). */
static int parse_mode(const char *s, size_t n, int flags, const struct csvin_limits *lim,
    enum feed_mode m, json_object **out, struct csvin **keep)
{
	struct got g = { json_object_new_array(), 0 };
	struct csvin *c = csvin_new(flags, lim, collect, &g);
	size_t i = 0;
	int rc = 0;
	unsigned seed = (unsigned)n * 2654435761u + 7;

	ck_assert_ptr_nonnull(c);
	while (i < n && rc == 0) {
		size_t k = m == FEED_WHOLE ? n : m == FEED_BYTES ? 1 : 1 + (seed = seed * 1103515245u + 12345u) % 17;

		if (k > n - i)
			k = n - i;
		rc = csvin_feed(c, s + i, k);
		i += k;
	}
	if (rc == 0)
		rc = csvin_finish(c);
	*out = g.recs;
	if (keep != NULL)
		*keep = c;
	else
		csvin_free(c);
	return rc;
}

static json_object *fields_only(json_object *recs)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < json_object_array_length(recs); i++) {
		json_object *f;

		json_object_object_get_ex(json_object_array_get_idx(recs, i), "f", &f);
		json_object_array_add(a, json_object_get(f));
	}
	return a;
}

static char *slurp(const char *rel, size_t *n)
{
	char path[4300];
	char *d = NULL;

	snprintf(path, sizeof path, "%s/%s", g_dir, rel);
	d = file_read_all(path, 1 << 20, n);
	ck_assert_msg(d != NULL, "cannot read %s", path);
	return d;
}

/* ---------------------------------------------------------------- csv-spectrum */

static const char *const spectrum[] = {
	"comma_in_quotes", "empty", "empty_crlf", "escaped_quotes", "json", "newlines",
	"newlines_crlf", "quotes_and_newlines", "simple", "simple_crlf", "utf8",
	/* location_coordinates: upstream JSON is wrong (README), left out */
};

START_TEST(t_spectrum)
{
	const char *name = spectrum[_i / NMODES];
	char rel[256];
	size_t n, jn, i, j;
	char *csv, *js;
	json_object *want, *recs;
	struct csvin *c;

	snprintf(rel, sizeof rel, "csv-spectrum/csvs/%s.csv", name);
	csv = slurp(rel, &n);
	snprintf(rel, sizeof rel, "csv-spectrum/json/%s.json", name);
	js = slurp(rel, &jn);
	want = json_tokener_parse(js);
	ck_assert_ptr_nonnull(want);
	ck_assert_int_eq(parse_mode(csv, n, CSVIN_HEADER, NULL, _i % NMODES, &recs, &c), 0);
	ck_assert_uint_eq(json_object_array_length(recs), json_object_array_length(want));
	for (i = 0; i < json_object_array_length(want); i++) {
		json_object *w = json_object_array_get_idx(want, i), *f;

		json_object_object_get_ex(json_object_array_get_idx(recs, i), "f", &f);
		ck_assert_uint_eq(json_object_array_length(f), csvin_ncols(c));
		ck_assert_uint_eq((size_t)json_object_object_length(w), csvin_ncols(c));
		for (j = 0; j < csvin_ncols(c); j++) {
			json_object *v;

			ck_assert_msg(json_object_object_get_ex(w, csvin_colname(c, j), &v),
			    "%s: column %s", name, csvin_colname(c, j));
			ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(f, j)),
			    json_object_get_string(v));
		}
	}
	csvin_free(c);
	json_object_put(recs);
	json_object_put(want);
	free(csv);
	free(js);
}
END_TEST

/* ---------------------------------------------------------------- rfc4180-cases.json */

static json_object *g_rfc;

static void rfc_case(const char *group, size_t idx, enum feed_mode m)
{
	json_object *arr, *tc, *in, *want, *recs, *got;
	int rc;

	ck_assert(json_object_object_get_ex(g_rfc, group, &arr));
	if (idx >= json_object_array_length(arr))
		return;
	tc = json_object_array_get_idx(arr, idx);
	ck_assert(json_object_object_get_ex(tc, "input", &in));
	rc = parse_mode(json_object_get_string(in), (size_t)json_object_get_string_len(in), 0, NULL,
	    m, &recs, NULL);
	if (strcmp(group, "invalid_strict") == 0) {
		ck_assert_msg(rc == -1, "%s accepted", json_object_get_string(
		    json_object_object_get(tc, "id")));
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert(json_object_object_get_ex(tc, "records", &want));
		got = fields_only(recs);
		ck_assert_msg(json_object_equal(got, want), "%s: got %s",
		    json_object_get_string(json_object_object_get(tc, "id")),
		    json_object_to_json_string(got));
		json_object_put(got);
	}
	json_object_put(recs);
}

START_TEST(t_rfc_valid) { rfc_case("valid", (size_t)_i / NMODES, _i % NMODES); }
END_TEST
START_TEST(t_rfc_lenient) { rfc_case("lenient_valid", (size_t)_i / NMODES, _i % NMODES); }
END_TEST
START_TEST(t_rfc_invalid) { rfc_case("invalid_strict", (size_t)_i / NMODES, _i % NMODES); }
END_TEST

START_TEST(t_rfc_counts)
{
	/* The loops above stop at 20 / 4 / 6 cases: fail if the file grew past them. */
	json_object *a;

	json_object_object_get_ex(g_rfc, "valid", &a);
	ck_assert_uint_le(json_object_array_length(a), 20);
	ck_assert_uint_ge(json_object_array_length(a), 10);
	json_object_object_get_ex(g_rfc, "lenient_valid", &a);
	ck_assert_uint_le(json_object_array_length(a), 4);
	json_object_object_get_ex(g_rfc, "invalid_strict", &a);
	ck_assert_uint_eq(json_object_array_length(a), 3);
}
END_TEST

/* ---------------------------------------------------------------- the import's own rules */

/* {name, input, flags, expect rc, expected records as JSON ([[line, f...], ...]) or error substring} */
static const struct own {
	const char *name, *in;
	size_t len;             /* 0: strlen */
	int rc;
	const char *want;       /* rc 0: [[line,"f",...],...]; rc -1: a substring of csvin_error */
	char delim;
} own[] = {
	{ "bom-semicolon", "\xef\xbb\xbfSKU;Name;Price\r\nA1;Shirt;9,50\r\n", 0, 0,
	  "[[2,\"A1\",\"Shirt\",\"9,50\"]]", ';' },
	{ "comma-wins-tie", "a;b,c\n1;2,3\n", 0, 0, "[[2,\"1;2\",\"3\"]]", ',' },
	{ "quoted-semicolons-ignored", "\"x;y;z\",b\n1,2\n", 0, 0, "[[2,\"1\",\"2\"]]", ',' },
	{ "line-numbers-multiline", "sku,name\n\"A\nB\",n1\nC,\"x\r\ny\r\nz\"\nD,n3\n", 0, 0,
	  "[[2,\"A\\nB\",\"n1\"],[4,\"C\",\"x\\r\\ny\\r\\nz\"],[7,\"D\",\"n3\"]]", ',' },
	{ "blank-lines-skipped", "\n\nsku,name\r\n\r\nA,a\r\n\r\n\r\nB,b", 0, 0,
	  "[[5,\"A\",\"a\"],[8,\"B\",\"b\"]]", ',' },
	{ "lone-cr-lines", "sku,name\rA,a\rB,b\r", 0, 0, "[[2,\"A\",\"a\"],[3,\"B\",\"b\"]]", ',' },
	{ "cr-then-text-lf", "sku,name\rA,\"a\rb\"\nB,b\r\nC,c", 0, 0,
	  "[[2,\"A\",\"a\\rb\"],[4,\"B\",\"b\"],[5,\"C\",\"c\"]]", ',' },
	{ "short-row", "sku,name,color\nA\n", 0, 0, "[[2,\"A\"]]", ',' },
	{ "bad-utf8", "sku,name\nA,\xff\xfe\n", 0, -1, "line 2: not UTF-8", ',' },
	{ "nul-byte", "sku,name\nA,b\0c\n", 15, -1, "line 2: not UTF-8", ',' },
	{ "dup-header", "SKU,name,Sku\nA,b,c\n", 0, -1, "line 1: the header repeats", ',' },
	{ "unterminated", "sku,name\nA,\"abc\nB,c\n", 0, -1, "line 2: unterminated", ',' },
	{ "quote-in-bare-field", "sku,name\nA,b\"c\n", 0, -1, "line 2: malformed quoting", ',' },
	{ "empty-input", "", 0, 0, "[]", ',' },
	{ "bom-only", "\xef\xbb\xbf", 0, 0, "[]", ',' },
	{ "header-only", "sku;name", 0, 0, "[]", ';' },
};

START_TEST(t_own)
{
	const struct own *o = &own[_i / NMODES];
	size_t n = o->len ? o->len : strlen(o->in), i, j;
	json_object *recs;
	struct csvin *c;
	int rc = parse_mode(o->in, n, CSVIN_HEADER, NULL, _i % NMODES, &recs, &c);

	ck_assert_msg(rc == o->rc, "%s: rc %d (%s)", o->name, rc, csvin_error(c));
	if (rc == 0) {
		json_object *want = json_tokener_parse(o->want);

		ck_assert_ptr_nonnull(want);
		ck_assert_msg(json_object_array_length(recs) == json_object_array_length(want),
		    "%s: got %s", o->name, json_object_to_json_string(recs));
		for (i = 0; i < json_object_array_length(want); i++) {
			json_object *w = json_object_array_get_idx(want, i);
			json_object *g = json_object_array_get_idx(recs, i), *f;

			json_object_object_get_ex(g, "f", &f);
			ck_assert_msg(json_object_get_int(json_object_object_get(g, "line")) ==
			    json_object_get_int(json_object_array_get_idx(w, 0)),
			    "%s: got %s", o->name, json_object_to_json_string(recs));
			ck_assert_uint_eq(json_object_array_length(f), json_object_array_length(w) - 1);
			for (j = 1; j < json_object_array_length(w); j++)
				ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(f, j - 1)),
				    json_object_get_string(json_object_array_get_idx(w, j)));
		}
		ck_assert_int_eq(csvin_delim(c), o->delim);
		json_object_put(want);
	} else {
		ck_assert_msg(strstr(csvin_error(c), o->want) != NULL, "%s: error \"%s\"", o->name,
		    csvin_error(c));
	}
	csvin_free(c);
	json_object_put(recs);
}
END_TEST

START_TEST(t_header_case)
{
	json_object *recs;
	struct csvin *c;

	ck_assert_int_eq(parse_mode("  SKU ,Name,COVER_Image,Brand\nA,b,c,d\n", 38, CSVIN_HEADER, NULL,
	    FEED_WHOLE, &recs, &c), 0);
	ck_assert_int_eq(csvin_col(c, "sku"), 0);
	ck_assert_int_eq(csvin_col(c, "name"), 1);
	ck_assert_int_eq(csvin_col(c, "cover_image"), 2);
	ck_assert_int_eq(csvin_col(c, "brand"), 3);
	ck_assert_int_eq(csvin_col(c, "color"), -1);
	ck_assert_uint_eq(csvin_header_line(c), 1);
	csvin_free(c);
	json_object_put(recs);
}
END_TEST

/* Caps: a field, a row and the field count each refused, memory never past the cap. */
START_TEST(t_caps)
{
	struct csvin_limits lim = { 100, 250, 8 };
	struct buf b;
	json_object *recs;
	struct csvin *c;
	int i;

	buf_init(&b, 1 << 22);
	ck_assert_int_eq(buf_puts(&b, "sku,name\nA,"), 0);
	for (i = 0; i < 101; i++)
		ck_assert_int_eq(buf_puts(&b, "x"), 0);
	ck_assert_int_eq(parse_mode(b.data, b.len, CSVIN_HEADER, &lim, _i, &recs, &c), -1);
	ck_assert_str_eq(csvin_error(c), "line 2: field too long");
	csvin_free(c);
	json_object_put(recs);

	/* a quoted field with no end, 3 MiB: refused once past the cap, not held */
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "sku,name\nA,\""), 0);
	for (i = 0; i < 3 * 1024 * 1024; i++)
		ck_assert_int_eq(buf_append(&b, i % 64 ? "y" : "\n", 1), 0);
	ck_assert_int_eq(parse_mode(b.data, b.len, CSVIN_HEADER, &lim, _i == 1 ? FEED_RANDOM : _i, &recs, &c), -1);
	ck_assert_str_eq(csvin_error(c), "line 2: field too long");
	csvin_free(c);
	json_object_put(recs);

	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "sku,name\n1,"), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(buf_puts(&b, "0123456789012345678901234567890123456789012345678901234567890123456789,"), 0);
	ck_assert_int_eq(parse_mode(b.data, b.len, CSVIN_HEADER, &lim, _i, &recs, &c), -1);
	ck_assert_str_eq(csvin_error(c), "line 2: record too long");
	csvin_free(c);
	json_object_put(recs);

	ck_assert_int_eq(parse_mode("a,b\n\n1,2,3,4,5,6,7,8,9\n", 23, CSVIN_HEADER, &lim, _i, &recs, &c), -1);
	ck_assert_str_eq(csvin_error(c), "line 3: too many fields");
	csvin_free(c);
	json_object_put(recs);
	buf_free(&b);
}
END_TEST

START_TEST(t_stop)
{
	struct got g = { json_object_new_array(), 2 };
	struct csvin *c = csvin_new(0, NULL, collect, &g);
	static const char in[] = "a\nb\nc\nd\n";

	ck_assert_int_eq(csvin_feed(c, in, sizeof in - 1), -1);
	ck_assert_str_eq(csvin_error(c), "line 2: stopped");
	ck_assert_uint_eq(json_object_array_length(g.recs), 2);
	ck_assert_int_eq(csvin_feed(c, "e\n", 2), -1);
	ck_assert_int_eq(csvin_finish(c), -1);
	csvin_free(c);
	json_object_put(g.recs);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("csvin");
	TCase *tc = tcase_create("csvin");
	const int nspec = (int)(sizeof spectrum / sizeof spectrum[0]);
	const int nown = (int)(sizeof own / sizeof own[0]);

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, t_spectrum, 0, nspec * NMODES);
	tcase_add_loop_test(tc, t_rfc_valid, 0, 20 * NMODES);
	tcase_add_loop_test(tc, t_rfc_lenient, 0, 4 * NMODES);
	tcase_add_loop_test(tc, t_rfc_invalid, 0, 3 * NMODES);
	tcase_add_test(tc, t_rfc_counts);
	tcase_add_loop_test(tc, t_own, 0, nown * NMODES);
	tcase_add_test(tc, t_header_case);
	tcase_add_loop_test(tc, t_caps, 0, NMODES);
	tcase_add_test(tc, t_stop);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char path[4300];
	char *d = NULL;
	size_t n;

	if (tu_shared_path("test_csvin", "/testdata/csv", g_dir, sizeof g_dir) != 0)
		return 1;
	snprintf(path, sizeof path, "%s/rfc4180-cases.json", g_dir);
	if ((d = file_read_all(path, 1 << 20, &n)) == NULL || (g_rfc = json_tokener_parse(d)) == NULL) {
		fprintf(stderr, "test_csvin: cannot read %s\n", path);
		return 1;
	}
	free(d);
	n = (size_t)tu_run(suite());
	json_object_put(g_rfc);
	return n == 0 ? 0 : 1;
}
