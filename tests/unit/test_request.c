/* test_request.c: the request core end to end without a web server (Check): the field table
 * for each source, the gate's order of checks (nothing of the body read before it), the body
 * deadline (408), and the start-up checks of route tables. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "auth.h"
#include "config.h"
#include "form.h"
#include "mediatype.h"
#include "responder.h"
#include "testutil.h"

#define N(a) (sizeof(a) / sizeof(a[0]))

/* ---- a fake FastCGI exchange ---- */
struct fake {
	const char *body;
	size_t len, off;
	int reads;            /* calls of read */
	int stall;            /* read fails with EAGAIN (no byte within the timeout) */
	useconds_t trickle;   /* > 0: one byte per read, after this pause */
	char out[65536];
	size_t outlen;
};

static ssize_t fake_read(void *ctx, char *buf, size_t n)
{
	struct fake *f = ctx;

	f->reads++;
	if (f->stall) {
		errno = EAGAIN;
		return -1;
	}
	if (f->trickle) {
		usleep(f->trickle);
		n = n > 1 ? 1 : n;
	}
	if (n > f->len - f->off)
		n = f->len - f->off;
	memcpy(buf, f->body + f->off, n);
	f->off += n;
	return (ssize_t)n;
}

static int fake_write(void *ctx, const char *buf, size_t n)
{
	struct fake *f = ctx;

	if (n > sizeof(f->out) - 1 - f->outlen)
		n = sizeof(f->out) - 1 - f->outlen;
	memcpy(f->out + f->outlen, buf, n);
	f->outlen += n;
	f->out[f->outlen] = '\0';
	return 0;
}

static int status_of(const struct fake *f)
{
	int s = 0;
	sscanf(f->out, "Status: %d", &s);
	return s;
}

/* The handler's view, kept for the test to inspect (each test runs in its own process). */
static struct jvalue seen[LIM_ROUTE_FIELDS];
static int handled;
static char seen_file[64], seen_name[64];

static void record(struct exchange *x)
{
	handled = 1;
	memcpy(seen, x->ctx.jv, sizeof(seen));
	if (x->ctx.jv[0].present && x->ctx.jv[0].fd >= 0) {
		ssize_t n = read(x->ctx.jv[0].fd, seen_file, sizeof(seen_file) - 1);
		seen_file[n > 0 ? n : 0] = '\0';
		snprintf(seen_name, sizeof(seen_name), "%s", x->ctx.jv[0].s);
	}
	http_send(&x->out, 200, "application/json", "{}", 2);
}

/* The three parts stay apart: route fills the context, the handler queues on the response,
 * the request is what came in. */
static int split_ok;
static void split(struct exchange *x)
{
	const char *v = reqctx_param(&x->ctx, "n");

	split_ok = x->ctx.nparams == 1 && v && strcmp(v, "abc") == 0 && x->out.nhdrs == 0 &&
	    x->out.req == &x->in && x->in.method == HM_GET && x->in.body.len == 0;
	http_add_header(&x->out, "X-Test", v ? v : "");
	split_ok &= x->out.nhdrs == 1 && strcmp(x->out.hdr_name[0], "X-Test") == 0 && !x->out.headers_sent;
	http_send(&x->out, 200, "application/json", "{}", 2);
	split_ok &= x->out.headers_sent && x->out.status == 200;
}

/* A streamed file part: the handler opens it through the table (fields_stream_open). */
static const struct jfield stream_fields[] = {
	{ .name = "tag", .src = JS_QUERY, .type = JF_STRING },
	{ .name = "file", .src = JS_FILE, .type = JF_FILE, .flags = JF_REQUIRED | JF_STREAM },
};
static int stream_reads_before;
static void streamer(struct exchange *x)
{
	struct form_stream *fs = NULL;
	const char *detail;
	enum herr e;

	stream_reads_before = (int)x->in.body_got;     /* the table read nothing of the body */
	if ((e = fields_stream_open(&x->in, &x->ctx, stream_fields, N(stream_fields), 4096, &fs, &detail)) != HE_OK)
		exchange_error(x, e, detail);
	else
		http_send(&x->out, 200, "application/json", "{}", 2);
	form_stream_free(fs);
}

static const char *const colours[] = { "red", "green", NULL };

enum { Q_SKIP, Q_LIMIT, Q_CAPTION, Q_COLOUR, Q_REF, Q_ID };
static const struct jfield query_fields[] = {
	[Q_SKIP] = { .name = "skip", .src = JS_QUERY, .type = JF_INT, .min = 0, .max = 1000 },
	[Q_LIMIT] = { .name = "limit", .src = JS_QUERY, .type = JF_INT, .min = 1, .max = 100 },
	[Q_CAPTION] = { .name = "caption_products", .src = JS_QUERY, .type = JF_BOOL },
	[Q_COLOUR] = { .name = "colour", .src = JS_QUERY, .type = JF_ENUM, .enum_vals = colours, .flags = JF_REQUIRED },
	[Q_REF] = { .name = "ref", .src = JS_QUERY, .type = JF_UUID },
	[Q_ID] = { .name = "item", .src = JS_PATH, .type = JF_INT, .min = 1, .max = 9 },
};

enum { B_NAME, B_ATTRS, B_TAGS, B_CODE, B_SIZE, B_FILE_SIZE };
static const struct jfield body_fields[] = {
	[B_NAME] = { .name = "name", .type = JF_STRING, .flags = JF_REQUIRED, .min_len = 1, .max_len = 5 },
	[B_ATTRS] = { .name = "attributes", .type = JF_OBJECT, .flags = JF_NULLABLE },
	[B_TAGS] = { .name = "tags", .type = JF_STRLIST, .max_items = 3, .max_len = 4 },
	[B_CODE] = { .name = "code", .type = JF_STRING, .pattern = "^[a-z]{2}$" },
	[B_SIZE] = { .name = "size", .type = JF_INT, .flags = JF_NULLABLE },
	[B_FILE_SIZE] = { .name = "file_size", .type = JF_INT, .flags = JF_NULLABLE, .equal_to = 1 + B_SIZE },
};

enum { M_FILE, M_NOTE };
static const struct jfield form_fields[] = {
	[M_FILE] = { .name = "file", .src = JS_FILE, .type = JF_FILE, .flags = JF_REQUIRED, .max_len = 100 },
	[M_NOTE] = { .name = "note", .src = JS_FORM, .type = JF_STRING, .max_len = 3 },
};

enum { T_USER, T_GRANT };
static const struct jfield text_form[] = {
	[T_USER] = { .name = "username", .src = JS_FORM, .type = JF_STRING, .flags = JF_REQUIRED },
	[T_GRANT] = { .name = "grant_type", .src = JS_FORM, .type = JF_STRING, .pattern = "^password$" },
};

static const struct route routes[] = {
	{ "POST", "/text", 0, 512, text_form, N(text_form), record },
	{ "GET", "/q/{item:seg}", 0, 0, query_fields, N(query_fields), record },
	{ "POST", "/b", 0, 1024, body_fields, N(body_fields), record },
	{ "POST", "/auth", RF_AUTH, 1024, body_fields, N(body_fields), record },
	{ "POST", "/late", RF_AUTH | RF_USER_LATE, 1024, body_fields, N(body_fields), record },
	{ "POST", "/su", RF_SUPERUSER, 1024, body_fields, N(body_fields), record },
	{ "POST", "/form", 0, 4096, form_fields, N(form_fields), record, .too_large = "Form too large" },
	{ "GET", "/split/{n:seg}", 0, 0, NULL, 0, split },
	{ "POST", "/stream", 0, 0, stream_fields, N(stream_fields), streamer },
	{ "GET", "/space/{p:path}", RF_SPACE, .bad_path = "Invalid space path" },
};

/* Run one request through route_dispatch; extra: NULL-terminated "KEY=value" params. */
static void run(struct fake *f, const char *method, const char *uri, const char *ctype,
    const char *const *extra)
{
	char *env[16], m[64], u[512], ct[256], cl[64];
	struct http_io io = { fake_read, fake_write, f, env };
	size_t k = 0;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	env[k++] = m;
	env[k++] = u;
	if (ctype) {
		snprintf(ct, sizeof(ct), "CONTENT_TYPE=%s", ctype);
		env[k++] = ct;
	}
	if (f->body) {
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", f->len);
		env[k++] = cl;
	}
	while (extra && *extra && k < N(env) - 1)
		env[k++] = (char *)*extra++;
	env[k] = NULL;
	handled = 0;
	responder_handle(&io, routes, N(routes));
}

static void has_error(const struct fake *f, const char *type, const char *loc)
{
	char want[200];

	snprintf(want, sizeof(want), "\"type\":\"%s\",\"loc\":%s", type, loc);
	ck_assert_msg(strstr(f->out, want) != NULL, "want %s in %s", want, f->out);
}

/* ---- the field table, per source ---- */
START_TEST(test_query_and_path_fields)
{
	struct fake f = { 0 };

	run(&f, "GET", "/q/0?skip=-1&limit=abc&caption_products=maybe&ref=nope", NULL, NULL);
	ck_assert_int_eq(status_of(&f), 422);
	ck_assert_int_eq(handled, 0);
	has_error(&f, "greater_than_equal", "[\"query\",\"skip\"]");
	has_error(&f, "int_parsing", "[\"query\",\"limit\"]");
	has_error(&f, "bool_parsing", "[\"query\",\"caption_products\"]");
	has_error(&f, "missing", "[\"query\",\"colour\"]");
	has_error(&f, "uuid_parsing", "[\"query\",\"ref\"]");
	has_error(&f, "greater_than_equal", "[\"path\",\"item\"]");

	memset(&f, 0, sizeof(f));
	run(&f, "GET", "/q/7?skip=5&colour=green&caption_products=yes&limit=100", NULL, NULL);
	ck_assert_int_eq(status_of(&f), 200);
	ck_assert(seen[Q_SKIP].present && seen[Q_SKIP].i == 5);
	ck_assert(seen[Q_LIMIT].present && seen[Q_LIMIT].i == 100);
	ck_assert(seen[Q_CAPTION].present && seen[Q_CAPTION].b == 1);
	ck_assert_str_eq(seen[Q_COLOUR].s, "green");
	ck_assert(!seen[Q_REF].present);
	ck_assert(seen[Q_ID].present && seen[Q_ID].i == 7);

	memset(&f, 0, sizeof(f));
	run(&f, "GET", "/q/1?colour=blue", NULL, NULL);
	has_error(&f, "enum", "[\"query\",\"colour\"]");
	ck_assert_msg(strstr(f.out, "\"expected\":\"'red' or 'green'\"") != NULL, "%s", f.out);
}
END_TEST

START_TEST(test_json_fields)
{
	static const char bad[] = "{\"name\":\"toolong\",\"attributes\":[1],\"tags\":[\"a\",\"b\",\"c\",\"d\"],\"code\":\"ABC\"}";
	static const char items[] = "{\"name\":\"ok\",\"tags\":[\"a\",\"abcde\",7]}";
	static const char good[] = "{\"name\":\"ok\",\"attributes\":{\"k\":1},\"tags\":[\"x\",\"yz\"],\"code\":\"ab\"}";
	struct fake f = { .body = bad, .len = sizeof(bad) - 1 };

	run(&f, "POST", "/b", "application/json", NULL);
	ck_assert_int_eq(status_of(&f), 422);
	has_error(&f, "string_too_long", "[\"body\",\"name\"]");
	has_error(&f, "dict_type", "[\"body\",\"attributes\"]");
	has_error(&f, "too_long", "[\"body\",\"tags\"]");
	ck_assert_msg(strstr(f.out, "\"ctx\":{\"field_type\":\"List\",\"max_length\":3,\"actual_length\":4}"), "%s", f.out);
	has_error(&f, "string_pattern_mismatch", "[\"body\",\"code\"]");

	memset(&f, 0, sizeof(f));
	f.body = items;
	f.len = sizeof(items) - 1;
	run(&f, "POST", "/b", "application/json", NULL);
	has_error(&f, "string_too_long", "[\"body\",\"tags\",1]");
	has_error(&f, "string_type", "[\"body\",\"tags\",2]");

	{
		static const char unequal[] = "{\"name\":\"ok\",\"size\":1,\"file_size\":2}";
		static const char unequal_bad[] = "{\"name\":\"\",\"size\":1,\"file_size\":2}";
		memset(&f, 0, sizeof(f));
		f.body = unequal;
		f.len = sizeof(unequal) - 1;
		run(&f, "POST", "/b", "application/json", NULL);
		has_error(&f, "value_error", "[\"body\"]");
		ck_assert_msg(strstr(f.out, "Value error, size and file_size must be equal"), "%s", f.out);
		memset(&f, 0, sizeof(f));
		f.body = unequal_bad;    /* a model rule runs only once every field is valid */
		f.len = sizeof(unequal_bad) - 1;
		run(&f, "POST", "/b", "application/json", NULL);
		ck_assert_msg(strstr(f.out, "value_error") == NULL, "%s", f.out);
	}

	memset(&f, 0, sizeof(f));
	f.body = good;
	f.len = sizeof(good) - 1;
	run(&f, "POST", "/b", "application/json", NULL);
	ck_assert_int_eq(status_of(&f), 200);
	ck_assert(seen[B_TAGS].present && seen[B_TAGS].n == 2);
	ck_assert(seen[B_ATTRS].present);
	ck_assert(seen[B_CODE].present && seen[B_CODE].slen == 2);
}
END_TEST

#define MP(parts) "--XB\r\n" parts "--XB--\r\n"
#define FILE_PART "Content-Disposition: form-data; name=\"file\"; filename=\"m.bin\"\r\n\r\nhello\r\n"
START_TEST(test_form_fields)
{
	static const char ok[] = MP(FILE_PART "--XB\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nabc\r\n");
	static const char bad[] = MP("Content-Disposition: form-data; name=\"note\"\r\n\r\nabcd\r\n");
	static const char empty_note[] = MP(FILE_PART "--XB\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n\r\n");
	struct fake f = { .body = ok, .len = sizeof(ok) - 1 };

	run(&f, "POST", "/form", "multipart/form-data; boundary=XB", NULL);
	ck_assert_msg(status_of(&f) == 200, "%s", f.out);
	ck_assert(seen[M_FILE].present && seen[M_FILE].i == 5);
	ck_assert_str_eq(seen_name, "m.bin");   /* the request owned .s */
	ck_assert_str_eq(seen_file, "hello");
	ck_assert(seen[M_NOTE].present && seen[M_NOTE].slen == 3);

	memset(&f, 0, sizeof(f));
	f.body = bad;
	f.len = sizeof(bad) - 1;
	run(&f, "POST", "/form", "multipart/form-data; boundary=XB", NULL);
	ck_assert_int_eq(status_of(&f), 422);
	has_error(&f, "missing", "[\"body\",\"file\"]");
	has_error(&f, "string_too_long", "[\"body\",\"note\"]");

	memset(&f, 0, sizeof(f));
	f.body = empty_note;
	f.len = sizeof(empty_note) - 1;
	run(&f, "POST", "/form", "multipart/form-data; boundary=XB", NULL);
	ck_assert_int_eq(status_of(&f), 200);
	ck_assert(!seen[M_NOTE].present);     /* "" is not given, as FastAPI */
}
END_TEST

START_TEST(test_text_form_both_encodings)
{
	static const char url[] = "username=a%40b&grant_type=nope";
	static const char mp_file[] = MP("Content-Disposition: form-data; name=\"username\"; filename=\"u\"\r\n\r\nx\r\n");
	static const char mp_ok[] = MP("Content-Disposition: form-data; name=\"username\"\r\n\r\na@b\r\n");
	struct fake f = { .body = url, .len = sizeof(url) - 1 };

	run(&f, "POST", "/text", "application/x-www-form-urlencoded", NULL);
	ck_assert_int_eq(status_of(&f), 422);
	has_error(&f, "string_pattern_mismatch", "[\"body\",\"grant_type\"]");

	memset(&f, 0, sizeof(f));
	f.body = mp_file;
	f.len = sizeof(mp_file) - 1;
	run(&f, "POST", "/text", "multipart/form-data; boundary=XB", NULL);
	has_error(&f, "string_type", "[\"body\",\"username\"]");     /* a file part is no string */

	memset(&f, 0, sizeof(f));
	f.body = mp_ok;
	f.len = sizeof(mp_ok) - 1;
	run(&f, "POST", "/text", "multipart/form-data", NULL);   /* no boundary: Starlette's 400 */
	ck_assert_int_eq(status_of(&f), 400);

	memset(&f, 0, sizeof(f));
	f.body = mp_ok;
	f.len = sizeof(mp_ok) - 1;
	run(&f, "POST", "/text", "Multipart/Form-Data; boundary=XB", NULL);
	ck_assert_msg(status_of(&f) == 200, "%s", f.out);
	ck_assert(seen[T_USER].present && seen[T_USER].slen == 3 && !seen[T_GRANT].present);

	memset(&f, 0, sizeof(f));
	f.body = url;
	f.len = sizeof(url) - 1;
	run(&f, "POST", "/text", "text/plain", NULL);     /* another type: an empty form */
	has_error(&f, "missing", "[\"body\",\"username\"]");
}
END_TEST

/* ---- the media-type reader ---- */
START_TEST(test_mediatype)
{
	ck_assert(mediatype_is("multipart/form-data; boundary=x", "multipart/form-data"));
	ck_assert(mediatype_is(" MULTIPART/form-data ", "multipart/form-data"));
	ck_assert(!mediatype_is("multipart/form-datax", "multipart/form-data"));
	ck_assert(!mediatype_is("multipart/form-data x", "multipart/form-data"));
	ck_assert(!mediatype_is(NULL, "multipart/form-data"));
	ck_assert(mediatype_json(NULL) && mediatype_json(""));
	ck_assert(mediatype_json("application/json; charset=utf-8"));
	ck_assert(mediatype_json("application/vnd.api+json"));
	ck_assert(!mediatype_json("text/json"));
	ck_assert(!mediatype_json("application/jsonx"));
	ck_assert(mediatype_exact("image/PNG", "image/png"));
	ck_assert(!mediatype_exact("image/png; q=1", "image/png"));
}
END_TEST

/* ---- the gate: from the headers, before any body byte ---- */
START_TEST(test_gate_before_body)
{
	static const char body[] = "{\"name\":\"ok\"}";
	static const char *const bad_token[] = { "HTTP_AUTHORIZATION=Bearer not.a.token", NULL };
	const char *routes_auth[] = { "/auth", "/late", "/su" };
	struct fake f;
	size_t i;

	for (i = 0; i < N(routes_auth); i++) {
		memset(&f, 0, sizeof(f));
		f.body = body;
		f.len = sizeof(body) - 1;
		run(&f, "POST", routes_auth[i], "application/json", NULL);
		ck_assert_int_eq(status_of(&f), 401);
		ck_assert_msg(f.reads == 0, "%s: %d body reads before the 401", routes_auth[i], f.reads);

		memset(&f, 0, sizeof(f));
		f.body = body;
		f.len = sizeof(body) - 1;
		run(&f, "POST", routes_auth[i], "application/json", bad_token);
		ck_assert_int_eq(status_of(&f), 403);
		ck_assert_int_eq(f.reads, 0);
	}
}
END_TEST

START_TEST(test_gate_user_before_body)
{
	/* A valid token whose user must be read (the database is unreachable here): the gate
	 * answers (503) without reading the body, for a superuser route too. */
	static const char body[] = "{\"name\":\"ok\"}";
	char *tok = auth_issue_token("6f1b3c8e-2f0a-4c1e-9a55-0d3b7e8f9a10"), hdr[4200];
	const char *extra[] = { hdr, NULL };
	struct fake f = { .body = body, .len = sizeof(body) - 1 };

	ck_assert_ptr_nonnull(tok);
	snprintf(hdr, sizeof(hdr), "HTTP_AUTHORIZATION=Bearer %s", tok);
	run(&f, "POST", "/su", "application/json", extra);
	ck_assert_int_eq(status_of(&f), 503);
	ck_assert_int_eq(f.reads, 0);
	free(tok);
}
END_TEST

START_TEST(test_declared_too_large_before_everything)
{
	static char big[5000];
	struct fake f = { .body = big, .len = sizeof(big) };

	run(&f, "POST", "/auth", "application/json", NULL);     /* 413 before the missing token */
	ck_assert_int_eq(status_of(&f), 413);
	ck_assert_int_eq(f.reads, 0);
	memset(&f, 0, sizeof(f));
	f.body = big;
	f.len = sizeof(big);
	run(&f, "POST", "/form", "multipart/form-data; boundary=XB", NULL);
	ck_assert_int_eq(status_of(&f), 413);
	ck_assert_msg(strstr(f.out, "{\"detail\":\"Form too large\"}") != NULL, "%s", f.out);
	ck_assert_int_eq(f.reads, 0);
}
END_TEST

/* ---- the body deadline ---- */
START_TEST(test_body_stalled_408)
{
	static const char body[] = "{\"name\":\"ok\"}";
	struct fake f = { .body = body, .len = sizeof(body) - 1, .stall = 1 };

	run(&f, "POST", "/b", "application/json", NULL);
	ck_assert_int_eq(status_of(&f), 408);
	ck_assert_msg(strstr(f.out, "{\"detail\":\"Request body not received in time\"}") != NULL, "%s", f.out);
	ck_assert_int_eq(handled, 0);
}
END_TEST

START_TEST(test_body_trickle_408)
{
	/* BODY_READ_TIMEOUT_SECONDS=1, BODY_MIN_RATE=100 (main): 10 bytes/s falls behind after 1 s */
	static const char body[] = "{\"name\":\"ok\",\"code\":\"ab\",\"tags\":[\"a\",\"b\"]}";
	struct fake f = { .body = body, .len = sizeof(body) - 1, .trickle = 100000 };

	run(&f, "POST", "/b", "application/json", NULL);
	ck_assert_int_eq(status_of(&f), 408);
	ck_assert_msg(f.reads < (int)sizeof(body) - 1, "read %d of %zu bytes", f.reads, sizeof(body) - 1);
}
END_TEST

START_TEST(test_stream_field)
{
	static const char none[] = MP("Content-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n");
	static const char one[] = MP("Content-Disposition: form-data; name=\"file\"; filename=\"a.zip\"\r\n\r\nPK\r\n");
	struct fake f = { .body = none, .len = sizeof(none) - 1 };

	run(&f, "POST", "/stream", "multipart/form-data; boundary=XB", NULL);
	ck_assert_int_eq(status_of(&f), 422);
	has_error(&f, "missing", "[\"body\",\"file\"]");
	ck_assert_int_eq(stream_reads_before, 0);
	memset(&f, 0, sizeof(f));
	f.body = one;
	f.len = sizeof(one) - 1;
	run(&f, "POST", "/stream", "multipart/form-data; boundary=XB", NULL);
	ck_assert_int_eq(status_of(&f), 200);
	memset(&f, 0, sizeof(f));
	run(&f, "POST", "/stream", NULL, NULL);       /* no form at all: the part is missing */
	ck_assert_int_eq(status_of(&f), 422);
}
END_TEST

/* ---- request, response and context as three types ---- */
START_TEST(test_exchange_split)
{
	struct fake f = { 0 };

	split_ok = 0;
	run(&f, "GET", "/split/abc?x=1", NULL, NULL);
	ck_assert_int_eq(status_of(&f), 200);
	ck_assert_msg(split_ok, "request, response or context mixed up");
	ck_assert_ptr_nonnull(strstr(f.out, "\r\nX-Test: abc\r\n"));
}
END_TEST

START_TEST(test_response_alone)
{
	char *env[] = { "REQUEST_METHOD=HEAD", "REQUEST_URI=/x", NULL };
	struct fake f = { 0 };
	struct http_io io = { fake_read, fake_write, &f, env };
	struct http_request in;
	struct http_response w;
	const char *detail;

	ck_assert_int_eq(http_request_init(&in, &io, &detail), HE_OK);
	http_response_init(&w, &in);
	ck_assert_int_eq(http_add_header(&w, "X-A", "1"), 0);
	ck_assert_int_eq(http_add_header(&w, "X-B", "bad\r\nvalue"), -1);   /* refused, not queued */
	ck_assert_int_eq((int)w.nhdrs, 1);
	http_send(&w, 200, "application/json", "{}", 2);
	ck_assert_ptr_nonnull(strstr(f.out, "X-A: 1\r\n"));
	ck_assert_ptr_null(strstr(f.out, "{}"));      /* HEAD: no body */
	http_send(&w, 500, NULL, "", 0);              /* a second answer is dropped */
	ck_assert_int_eq(w.status, 200);
	http_response_free(&w);
	http_request_free(&in);
}
END_TEST

/* An RF_SPACE entry is never routed; it only names the 400 of a dot segment under it. */
START_TEST(test_space_entry)
{
	struct fake f = { 0 };

	run(&f, "GET", "/space/a/../b", NULL, NULL);
	ck_assert_int_eq(status_of(&f), 400);
	ck_assert_ptr_nonnull(strstr(f.out, "{\"detail\":\"Invalid space path\"}"));
	memset(&f, 0, sizeof(f));
	run(&f, "GET", "/space/a", NULL, NULL);
	ck_assert_int_eq(status_of(&f), 404);
	memset(&f, 0, sizeof(f));
	run(&f, "GET", "/q/../x", NULL, NULL);
	ck_assert_ptr_nonnull(strstr(f.out, "{\"detail\":\"Invalid path\"}"));
}
END_TEST

/* ---- start-up checks of route tables ---- */
static void nop(struct exchange *x) { (void)x; }

static const struct jfield many[LIM_ROUTE_FIELDS + 1] = { [0] = { .name = "a" } };
static const struct jfield stray_path[] = { { .name = "nope", .src = JS_PATH, .type = JF_UUID } };
static const struct jfield object_in_query[] = { { .name = "o", .src = JS_QUERY, .type = JF_OBJECT } };
static const struct jfield bad_regex[] = { { .name = "s", .type = JF_STRING, .pattern = "^(ab" } };
static const struct jfield file_in_json[] = { { .name = "f", .type = JF_FILE } };
static const struct jfield mixed[] = { { .name = "j" }, { .name = "t", .src = JS_FORM } };
static const struct jfield unnamed[] = { { .type = JF_INT } };
static const struct jfield two_streams[] = {
	{ .name = "a", .src = JS_FILE, .type = JF_FILE, .flags = JF_STREAM },
	{ .name = "b", .src = JS_FILE, .type = JF_FILE, .flags = JF_STREAM },
};
static const struct jfield stream_text[] = { { .name = "a", .src = JS_FORM, .flags = JF_STREAM } };
static const struct jfield stream_and_form[] = {
	{ .name = "a", .src = JS_FILE, .type = JF_FILE, .flags = JF_STREAM },
	{ .name = "b", .src = JS_FORM },
};
static const struct jfield bad_equal[] = { { .name = "a", .type = JF_INT, .equal_to = 2 }, { .name = "b" } };

static const struct { const char *name; struct route rt; const char *why; } tcases[] = {
	{ "ok", { "GET", "/q/{item:seg}", 0, 0, query_fields, N(query_fields), nop }, NULL },
	{ "too_many_fields", { "POST", "/x", 0, 0, many, N(many), nop }, "LIM_ROUTE_FIELDS" },
	{ "path_field_not_in_pattern", { "GET", "/x/{id}", 0, 0, stray_path, 1, nop }, "not in the pattern" },
	{ "object_in_query", { "GET", "/x", 0, 0, object_in_query, 1, nop }, "does not fit" },
	{ "file_in_json", { "POST", "/x", 0, 0, file_in_json, 1, nop }, "does not fit" },
	{ "bad_regex", { "POST", "/x", 0, 0, bad_regex, 1, nop }, "does not compile" },
	{ "json_and_form", { "POST", "/x", 0, 0, mixed, 2, nop }, "together" },
	{ "unnamed", { "POST", "/x", 0, 0, unnamed, 1, nop }, "no name" },
	{ "equal_to_a_string", { "POST", "/x", 0, 0, bad_equal, 2, nop }, "equal_to" },
	{ "late_superuser", { "POST", "/x", RF_SUPERUSER | RF_USER_LATE, 0, NULL, 0, nop }, "superuser" },
	{ "path_not_last", { "GET", "/f/{p:path}/x", 0, 0, NULL, 0, nop }, "malformed" },
	{ "bad_param_type", { "GET", "/f/{p:int}", 0, 0, NULL, 0, nop }, "malformed" },
	{ "too_many_params", { "GET", "/{a}/{b}/{c}/{d}/{e}", 0, 0, NULL, 0, nop }, "parameters" },
	{ "no_handler", { "GET", "/x", 0, 0, NULL, 0, NULL }, "required" },
	{ "space", { "GET", "/x/{p:path}", RF_SPACE, .bad_path = "Invalid x" }, NULL },
	{ "stream_ok", { "POST", "/x", 0, 0, stream_fields, N(stream_fields), nop }, NULL },
	{ "stream_twice", { "POST", "/x", 0, 0, two_streams, 2, nop }, "JF_STREAM" },
	{ "stream_not_a_file", { "POST", "/x", 0, 0, stream_text, 1, nop }, "JF_STREAM" },
	{ "stream_beside_form", { "POST", "/x", 0, 0, stream_and_form, 2, nop }, "beside" },
	{ "space_with_handler", { "GET", "/x/{p:path}", RF_SPACE, 0, NULL, 0, nop }, "required" },
};

START_TEST(test_route_check)
{
	char err[256] = "";
	int rc = route_check(&tcases[_i].rt, 1, err, sizeof(err));

	if (tcases[_i].why == NULL) {
		ck_assert_msg(rc == 0, "%s: %s", tcases[_i].name, err);
	} else {
		ck_assert_msg(rc == -1, "%s: accepted", tcases[_i].name);
		ck_assert_msg(strstr(err, tcases[_i].why) != NULL, "%s: %s", tcases[_i].name, err);
	}
}
END_TEST

START_TEST(test_route_check_real_table)
{
	char err[256] = "";
	ck_assert_msg(route_check(routes, N(routes), err, sizeof(err)) == 0, "%s", err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("request");
	TCase *t = tcase_create("request");

	/* an unreachable database (a closed port): the gate's user read fails fast */
	setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:9/db?connect_timeout=2", 1);
	setenv("SECRET_KEY", "unit-test-secret-key-0123456789", 1);
	setenv("BODY_READ_TIMEOUT_SECONDS", "1", 1);
	setenv("BODY_MIN_RATE", "100", 1);
	unsetenv("FILES_CONFIG");
	config_init_or_die();
	tcase_set_timeout(t, 30);
	tcase_add_test(t, test_query_and_path_fields);
	tcase_add_test(t, test_json_fields);
	tcase_add_test(t, test_form_fields);
	tcase_add_test(t, test_text_form_both_encodings);
	tcase_add_test(t, test_mediatype);
	tcase_add_test(t, test_gate_before_body);
	tcase_add_test(t, test_gate_user_before_body);
	tcase_add_test(t, test_declared_too_large_before_everything);
	tcase_add_test(t, test_body_stalled_408);
	tcase_add_test(t, test_body_trickle_408);
	tcase_add_test(t, test_stream_field);
	tcase_add_test(t, test_exchange_split);
	tcase_add_test(t, test_response_alone);
	tcase_add_test(t, test_space_entry);
	tcase_add_loop_test(t, test_route_check, 0, N(tcases));
	tcase_add_test(t, test_route_check_real_table);
	suite_add_tcase(s, t);
	return tu_run(s) ? EXIT_FAILURE : EXIT_SUCCESS;
}
