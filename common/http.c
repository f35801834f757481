/* http.c: request parsing from FastCGI/CGI params, bounded body reading, response writing. */
#include "http.h"
#include "config.h"
#include "num.h"
#include <limits.h>
#include "log.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>


const char *http_param(const struct http_request *r, const char *name)
{
	size_t n = strlen(name);
	char **e;

	for (e = r->io->envp; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static enum http_method parse_method(const char *m)
{
	static const struct { const char *s; enum http_method m; } t[] = {
		{ "GET", HM_GET }, { "HEAD", HM_HEAD }, { "POST", HM_POST }, { "PUT", HM_PUT },
		{ "PATCH", HM_PATCH }, { "DELETE", HM_DELETE }, { "OPTIONS", HM_OPTIONS },
	};
	size_t i;

	for (i = 0; m && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(m, t[i].s) == 0)
			return t[i].m;
	return HM_OTHER;
}

static int valid_request_id(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i >= LIM_REQUEST_ID || !(isalnum(c) || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return i > 0;
}

static char *build_uri(const struct http_request *r)
{
	const char *ru = http_param(r, "REQUEST_URI");
	struct buf b;

	if (ru && *ru)
		return strdup(ru);
	/* Plain CGI from a shell may lack REQUEST_URI: rebuild it from its parts. */
	buf_init(&b, LIM_URI + 1);
	if (buf_puts(&b, http_param(r, "SCRIPT_NAME") ? http_param(r, "SCRIPT_NAME") : "") ||
	    buf_puts(&b, http_param(r, "PATH_INFO") ? http_param(r, "PATH_INFO") : ""))
		goto fail;
	if (http_param(r, "QUERY_STRING") && *http_param(r, "QUERY_STRING") &&
	    (buf_puts(&b, "?") || buf_puts(&b, http_param(r, "QUERY_STRING"))))
		goto fail;
	if (b.len == 0 && buf_puts(&b, "/"))
		goto fail;
	return buf_detach(&b);
fail:
	buf_free(&b);
	return NULL;
}

enum herr http_request_init(struct http_request *r, struct http_io *io, const char **detail)
{
	const char *cl, *rid, *q;

	memset(r, 0, sizeof(*r));
	*detail = NULL;
	r->io = io;
	r->content_length = -1;
	buf_init(&r->body, 0);
	r->method_str = http_param(r, "REQUEST_METHOD");
	if (r->method_str == NULL)
		r->method_str = "GET";
	r->method = parse_method(r->method_str);
	rid = http_param(r, "HTTP_X_REQUEST_ID");
	if (rid && valid_request_id(rid)) {
		snprintf(r->request_id, sizeof(r->request_id), "%s", rid);
	} else {
		char u[UUID_STR_LEN + 1];
		size_t i, o = 0;
		if (uuid_v4(u) != 0)
			return HE_INTERNAL;    /* no randomness: answer, without an id */
		for (i = 0; u[i]; i++)
			if (u[i] != '-')
				r->request_id[o++] = u[i];
		r->request_id[o] = '\0';
	}
	log_set_request_id(r->request_id);
	r->content_type = http_param(r, "CONTENT_TYPE");
	if (r->content_type && *r->content_type == '\0')
		r->content_type = NULL;
	r->authorization = http_param(r, "HTTP_AUTHORIZATION");
	r->origin = http_param(r, "HTTP_ORIGIN");
	r->acr_method = http_param(r, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");
	r->acr_headers = http_param(r, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS");

	if ((r->uri = build_uri(r)) == NULL) {
		r->uri = strdup("/");
		*detail = "Request URI too long";
		return HE_BAD_REQUEST;
	}
	if (strlen(r->uri) > LIM_URI) {
		*detail = "Request URI too long";
		return HE_BAD_REQUEST;
	}
	if (r->uri[0] != '/')
		return HE_NO_ROUTE;
	q = strchr(r->uri, '?');
	r->path_len = q ? (size_t)(q - r->uri) : strlen(r->uri);
	r->query = q ? q + 1 : "";

	cl = http_param(r, "CONTENT_LENGTH");
	if (cl && *cl && num_parse(cl, 0, 0, LLONG_MAX, &r->content_length) != 0) {
		*detail = "Invalid Content-Length";
		return HE_BAD_REQUEST;
	}
	return HE_OK;
}

void http_request_free(struct http_request *r)
{
	free(r->uri);
	buf_free(&r->body);
	memset(r, 0, sizeof(*r));
}

void http_response_init(struct http_response *w, const struct http_request *in)
{
	memset(w, 0, sizeof(*w));
	w->req = in;
}

void http_response_free(struct http_response *w)
{
	size_t i;

	for (i = 0; i < w->nhdrs; i++) {
		free(w->hdr_name[i]);
		free(w->hdr_value[i]);
	}
	memset(w, 0, sizeof(*w));
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The one way body bytes come in. The io's read gives up after BODY_READ_TIMEOUT_SECONDS
 * without a byte (errno EAGAIN/ETIMEDOUT); past that time from the first read, a body must
 * also keep up BODY_MIN_RATE bytes/s on average, so a trickle cannot hold a process for
 * hours. Either way r->body_timed_out is set and -1 returned (the caller answers 408).
 */
static ssize_t body_read(struct http_request *r, char *buf, size_t n)
{
	const struct config *c = config_get();
	long long grace = c ? c->body_read_timeout_seconds : 20, rate = c ? c->body_min_rate : 0;
	double now, late;
	ssize_t got;

	if (r->body_timed_out)
		return -1;
	if (r->body_t0 == 0)
		r->body_t0 = mono_now();
	errno = 0;
	got = r->io->read(r->io->ctx, buf, n);
	if (got < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ETIMEDOUT) {
			log_info("request body stalled: no byte for %lld s (%lld bytes read)", grace, r->body_got);
			r->body_timed_out = 1;
		}
		return -1;
	}
	r->body_got += got;
	if (got == 0 || (r->content_length >= 0 && r->body_got >= r->content_length))
		r->io->body_done = 1;
	now = mono_now();
	late = now - r->body_t0 - (double)grace;
	if (got > 0 && rate > 0 && late > 0 && (double)r->body_got < late * (double)rate) {
		log_info("request body too slow: %lld bytes in %.0f s", r->body_got, now - r->body_t0);
		r->body_timed_out = 1;
		return -1;
	}
	return got;
}

enum herr http_body_error(const struct http_request *r)
{
	return r->body_timed_out ? HE_TIMEOUT : HE_IO;
}

/* The rest of an oversized body is never read here: the responder closes the connection
 * after the answer, lingering a bounded time (responder.c), so a slow client cannot hold it. */
enum herr http_read_body(struct http_request *r, size_t max)
{
	char tmp[16384];
	ssize_t n;

	if (r->body_read)
		return HE_OK;
	r->body_read = 1;
	buf_free(&r->body);
	buf_init(&r->body, max);
	if (r->content_length > (long long)max)
		return HE_TOO_LARGE;
	if (r->content_length == 0)
		return HE_OK;
	for (;;) {
		size_t want = sizeof(tmp);
		if (r->content_length >= 0) {
			long long left = r->content_length - (long long)r->body.len;
			if (left <= 0)
				break;
			if ((long long)want > left)
				want = (size_t)left;
		}
		n = body_read(r, tmp, want);
		if (n < 0)
			return http_body_error(r);
		if (n == 0) {
			if (r->content_length >= 0)
				return HE_IO;      /* body shorter than announced */
			break;
		}
		if (buf_append(&r->body, tmp, (size_t)n) != 0) {
			buf_free(&r->body);
			return HE_TOO_LARGE;
		}
	}
	return HE_OK;
}

ssize_t http_read_stream(struct http_request *r, char *buf, size_t n)
{
	ssize_t got;

	if (r->content_length >= 0) {
		long long left = r->content_length - r->body_streamed;
		if (left <= 0)
			return 0;
		if ((long long)n > left)
			n = (size_t)left;
	}
	got = body_read(r, buf, n);
	if (got > 0)
		r->body_streamed += got;
	else if (got == 0 && r->content_length >= 0)
		return -1;      /* the client announced more than it sent */
	return got;
}

int http_add_header(struct http_response *w, const char *name, const char *value)
{
	if (w->nhdrs >= LIM_HEADERS_OUT || strpbrk(value, "\r\n") || strlen(value) > LIM_HEADER_VALUE)
		return -1;
	w->hdr_name[w->nhdrs] = strdup(name);
	w->hdr_value[w->nhdrs] = strdup(value);
	if (w->hdr_name[w->nhdrs] == NULL || w->hdr_value[w->nhdrs] == NULL) {
		free(w->hdr_name[w->nhdrs]);
		free(w->hdr_value[w->nhdrs]);
		return -1;
	}
	w->nhdrs++;
	return 0;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 302: return "Found";
	case 307: return "Temporary Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 411: return "Length Required";
	case 413: return "Request Entity Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return "Unknown";
}

/* 1 when CORS_ORIGINS holds "*". */
static int cors_any_origin(void)
{
	const struct config *c = config_get();
	size_t i;

	for (i = 0; c && i < c->n_cors_origins; i++)
		if (strcmp(c->cors_origins[i], "*") == 0)
			return 1;
	return 0;
}

int http_origin_allowed(const struct http_request *r)
{
	const struct config *c = config_get();
	size_t i;

	if (r->origin == NULL || c == NULL || c->n_cors_origins == 0)
		return 0;
	if (strpbrk(r->origin, "\r\n"))
		return 0;
	for (i = 0; i < c->n_cors_origins; i++)
		if (strcmp(c->cors_origins[i], "*") == 0 || strcmp(c->cors_origins[i], r->origin) == 0)
			return 1;
	return 0;
}

void http_send(struct http_response *w, int status, const char *ctype, const char *body, size_t len)
{
	static const char too_big[] = "Status: 500 Internal Server Error\r\nContent-Type: application/json\r\n"
	    "X-Content-Type-Options: nosniff\r\nContent-Length: 34\r\n\r\n{\"detail\":\"Internal Server Error\"}";
	const struct http_request *r = w->req;
	struct buf h;
	size_t i;
	int err;

	if (w->headers_sent) {
		log_error("response already sent; dropping a second one (status %d)", status);
		return;
	}
	w->headers_sent = 1;
	w->status = status;
	buf_init(&h, 128 * 1024);
	err = buf_printf(&h, "Status: %d %s\r\n", status, reason(status));
	if (ctype)
		err |= buf_printf(&h, "Content-Type: %s\r\nX-Content-Type-Options: nosniff\r\n", ctype);
	err |= buf_printf(&h, "Content-Length: %zu\r\n", len);
	err |= buf_printf(&h, "X-Request-ID: %s\r\n", r->request_id);
	if (http_origin_allowed(r)) {
		/* As Starlette: with "*", a simple request without a cookie gets "*"; a preflight
		 * or a request carrying a cookie gets its origin echoed (it passed the exact-match
		 * or "*" test above, and holds no CR/LF). */
		if (cors_any_origin() && !(r->method == HM_OPTIONS && r->acr_method) &&
		    http_param(r, "HTTP_COOKIE") == NULL)
			err |= buf_puts(&h, "Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Credentials: true\r\n");
		else
			err |= buf_printf(&h, "Access-Control-Allow-Origin: %s\r\nAccess-Control-Allow-Credentials: true\r\n"
			    "Vary: Origin\r\n", r->origin);
	}
	for (i = 0; i < w->nhdrs; i++)
		err |= buf_printf(&h, "%s: %s\r\n", w->hdr_name[i], w->hdr_value[i]);
	err |= buf_puts(&h, "\r\n");
	if (err) {
		/* out of memory: a bare 500 rather than a cut header block */
		log_error("response headers could not be built (status %d)", status);
		w->status = 500;
		r->io->write(r->io->ctx, too_big, sizeof(too_big) - 1);
	} else if (r->io->write(r->io->ctx, buf_cstr(&h), h.len) == 0 && len && r->method != HM_HEAD) {
		r->io->write(r->io->ctx, body, len);
	}
	buf_free(&h);
}

/* Replace invalid UTF-8 in every string of o (values; keys come from parsed JSON, which is
 * valid) with U+FFFD, as Starlette decodes what it echoes. 0 ok, -1 on ENOMEM. */
static int json_make_utf8(json_object *o)
{
	size_t i, n, len;
	char *fixed;
	int rc = 0;

	switch (json_object_get_type(o)) {
	case json_type_string:
		if (utf8_valid_nul(json_object_get_string(o), (size_t)json_object_get_string_len(o)))
			return 0;
		if ((fixed = utf8_lossy(json_object_get_string(o), (size_t)json_object_get_string_len(o), &len)) == NULL)
			return -1;
		rc = json_object_set_string_len(o, fixed, (int)len) ? 0 : -1;
		free(fixed);
		return rc;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n && rc == 0; i++)
			rc = json_make_utf8(json_object_array_get_idx(o, i));
		return rc;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			if (rc == 0)
				rc = json_make_utf8(v);
		}
		return rc;
	}
	default:
		return 0;
	}
}

void http_send_json(struct http_response *w, int status, json_object *o)
{
	const char *s;
	size_t len;

	if (o == NULL) {
		http_send(w, 500, "application/json", "{\"detail\":\"Internal Server Error\"}", 34);
		return;
	}
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	/* A response never carries invalid UTF-8, whatever a 422 echoes (json-c copies bytes
	 * >= 0x80 as they are); the scan is one pass over bytes about to be written anyway. */
	if (s && !utf8_valid(s, len)) {
		if (json_make_utf8(o) != 0) {
			json_object_put(o);
			http_send(w, 500, "application/json", "{\"detail\":\"Internal Server Error\"}", 34);
			return;
		}
		s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	}
	http_send(w, status, "application/json", s, len);
	json_object_put(o);
}

void http_error(struct http_response *w, enum herr e, const char *detail)
{
	int status = 500;
	const char *def = "Internal Server Error";
	json_object *o;

	switch (e) {
	case HE_OK: return;
	case HE_IO: return;
	case HE_BAD_REQUEST: status = 400; def = "Bad Request"; break;
	case HE_NOT_AUTHENTICATED:
		status = 401; def = "Not authenticated";
		http_add_header(w, "WWW-Authenticate", "Bearer");
		break;
	case HE_BAD_CREDENTIALS: status = 403; def = "Could not validate credentials"; detail = NULL; break;
	case HE_FORBIDDEN: status = 403; def = "Not enough permissions"; break;
	case HE_NOT_FOUND: status = 404; def = "Not Found"; break;
	case HE_NO_ROUTE: status = 404; def = "Not Found"; detail = NULL; break;
	case HE_METHOD: status = 405; def = "Method Not Allowed"; detail = NULL; break;
	case HE_TIMEOUT: status = 408; def = "Request body not received in time"; break;
	case HE_CONFLICT: status = 409; def = "Conflict"; break;
	case HE_TOO_LARGE: status = 413; def = "Request body too large"; break;
	case HE_UNSUPPORTED_TYPE: status = 415; def = "Unsupported Media Type"; break;
	case HE_VALIDATION:
		log_error("a 422 without its list (http_error_list answers it)");
		break;
	case HE_DB_UNAVAILABLE: status = 503; def = "Database unavailable"; break;
	case HE_STORAGE_UNAVAILABLE: status = 503; def = "Storage unavailable"; break;
	case HE_PRECONDITION: status = 412; def = "Precondition Failed"; break;
	case HE_SHORT_BODY: status = 400; def = "Upload shorter than the declared size"; break;
	case HE_SOURCE: status = 400; def = "Upload body could not be read"; break;
	case HE_BAD_KEY: case HE_GONE: case HE_INTERNAL: detail = NULL; break;
	}
	o = json_object_new_object();
	if (o)
		json_object_object_add(o, "detail", json_object_new_string(detail ? detail : def));
	http_send_json(w, status, o);
}

void http_error_list(struct http_response *w, const struct verrs *v)
{
	json_object *o;

	if (v->list == NULL || v->nomem) {
		http_error(w, HE_INTERNAL, NULL);
		return;
	}
	o = json_object_new_object();
	if (o)
		json_object_object_add(o, "detail", json_object_get(v->list));
	http_send_json(w, 422, o);
}

char *http_encode_path(const char *s, size_t len)
{
	return pct_encode(s, len, PCT_URL, PCT_KEEP_ESCAPES);
}
