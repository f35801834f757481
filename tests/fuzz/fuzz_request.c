/* fuzz_request.c: libFuzzer driver for the request core: one whole request (URI, content
 * type, body) through responder_handle and a table of routes reading every field source
 * (path, query, JSON body, urlencoded and multipart forms, file parts). Oracles: an answer
 * is always sent with a status the core may give, and what a handler gets obeys its table. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "mediatype.h"
#include "responder.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N(a) (sizeof(a) / sizeof(a[0]))

static const char *const kinds[] = { "a", "bc", NULL };

static const struct jfield qfields[] = {
	{ .name = "skip", .src = JS_QUERY, .type = JF_INT, .min = 0, .max = 100 },
	{ .name = "on", .src = JS_QUERY, .type = JF_BOOL },
	{ .name = "kind", .src = JS_QUERY, .type = JF_ENUM, .enum_vals = kinds, .flags = JF_REQUIRED },
	{ .name = "ref", .src = JS_QUERY, .type = JF_UUID },
	{ .name = "s", .src = JS_QUERY, .type = JF_STRING, .max_len = 4, .pattern = "^[a-z]*$" },
	{ .name = "n", .src = JS_PATH, .type = JF_INT, .min = -3, .max = 3 },
};
static const struct jfield jfields[] = {
	{ .name = "name", .type = JF_STRING, .flags = JF_REQUIRED, .min_len = 1, .max_len = 8 },
	{ .name = "attributes", .type = JF_OBJECT, .flags = JF_NULLABLE },
	{ .name = "tags", .type = JF_STRLIST, .max_items = 3, .max_len = 4 },
	{ .name = "org", .type = JF_UUID, .flags = JF_NULLABLE },
};
static const struct jfield ffields[] = {
	{ .name = "file", .src = JS_FILE, .type = JF_FILE, .max_len = 64 },
	{ .name = "note", .src = JS_FORM, .type = JF_STRING, .max_len = 3 },
	{ .name = "kind", .src = JS_FORM, .type = JF_ENUM, .enum_vals = kinds },
	{ .name = "grant", .src = JS_FORM, .type = JF_STRING, .pattern = "^password$" },
};

static const struct jfield *checking;
static size_t nchecking;

/* What a handler is given must obey its table. */
static void check(struct exchange *x)
{
	size_t i;

	for (i = 0; i < nchecking; i++) {
		const struct jfield *f = &checking[i];
		const struct jvalue *v = &x->ctx.jv[i];
		if (!v->present)
			continue;
		switch (f->type) {
		case JF_INT:
			if (JF_INT_BOUNDED(f) && (v->i < f->min || v->i > f->max))
				abort();
			break;
		case JF_STRING:
			if (v->s == NULL || (f->max_len && utf8_chars(v->s, v->slen) > f->max_len))
				abort();
			break;
		case JF_ENUM:
			if (strcmp(v->s, "a") != 0 && strcmp(v->s, "bc") != 0)
				abort();
			break;
		case JF_STRLIST:
			if (v->n > f->max_items)
				abort();
			break;
		case JF_FILE:
			if (v->fd < 0 || v->i < 0 || v->i > (long long)f->max_len)
				abort();
			break;
		default:
			break;
		}
	}
	http_send(&x->out, 200, "application/json", "{}", 2);
}

static void on_query(struct exchange *x) { check(x); }

static const struct route routes[] = {
	{ "GET", "/q/{n:seg}", 0, 0, qfields, N(qfields), on_query },
	{ "POST", "/j/{id}", 0, 256, jfields, N(jfields), on_query },
	{ "POST", "/f", 0, 1024, ffields, N(ffields), on_query },
};

struct src {
	const uint8_t *p;
	size_t len, off;
	char out[4096];
	size_t outlen;
};

static ssize_t src_read(void *ctx, char *buf, size_t n)
{
	struct src *s = ctx;

	if (n > s->len - s->off)
		n = s->len - s->off;
	if (n > 7)
		n = 7;      /* small reads, so every reader sees a body in pieces */
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static int src_write(void *ctx, const char *buf, size_t n)
{
	struct src *s = ctx;

	if (s->outlen == 0 && n > 0) {
		size_t k = n < sizeof(s->out) - 1 ? n : sizeof(s->out) - 1;
		memcpy(s->out, buf, k);
		s->outlen = k;
		s->out[k] = '\0';
	}
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("DATABASE_URL", "postgresql://u:p@127.0.0.1:9/db", 1);
	setenv("SECRET_KEY", "fuzz-secret-key-0123456789abcdef", 1);
	unsetenv("FILES_CONFIG");
	config_init_or_die();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ctypes[] = {
		NULL, "application/json", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=XB", "multipart/form-data", "text/plain",
		"Multipart/Form-Data; boundary=\"XB\"", "application/vnd.x+json; charset=utf-8",
	};
	static const char *const paths[] = { "/q/", "/j/", "/f" };
	char uri[600], u[640], m[32], ct[128], cl[40], *env[8];
	const uint8_t *nl;
	struct src s = { 0 };
	struct http_io io = { src_read, src_write, &s, env };
	size_t k = 0, ulen, sel;
	int status = 0;

	if (size < 2)
		return 0;
	sel = data[0] % N(routes);
	checking = routes[sel].fields;
	nchecking = routes[sel].nfields;
	nl = memchr(data + 2, '\n', size - 2);
	ulen = nl ? (size_t)(nl - (data + 2)) : size - 2;
	if (ulen > 500)
		return 0;
	snprintf(uri, sizeof(uri), "%s%.*s", paths[sel], (int)ulen, (const char *)data + 2);
	if (strlen(uri) != strlen(paths[sel]) + ulen)
		return 0;     /* a NUL in the URI: not a FastCGI parameter */
	s.p = nl ? nl + 1 : data + size;
	s.len = nl ? size - (size_t)(nl + 1 - data) : 0;
	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", routes[sel].method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	env[k++] = m;
	env[k++] = u;
	if (ctypes[data[1] % N(ctypes)]) {
		snprintf(ct, sizeof(ct), "CONTENT_TYPE=%s", ctypes[data[1] % N(ctypes)]);
		env[k++] = ct;
	}
	if (data[1] & 0x80) {      /* else no length: read to the end, as a chunked body */
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", s.len);
		env[k++] = cl;
	}
	env[k] = NULL;
	responder_handle(&io, routes, N(routes));
	if (sscanf(s.out, "Status: %d", &status) != 1)
		abort();      /* every request gets an answer (no client i/o error here) */
	switch (status) {
	case 200: case 307: case 400: case 404: case 405: case 413: case 422:
		break;
	default:
		abort();
	}
	return 0;
}
