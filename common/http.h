/* http.h: the request (built once from the FastCGI/CGI params, its body read under a
 * deadline) and the response (queued headers, the writer, error bodies): two types. */
#ifndef FILES_HTTP_H
#define FILES_HTTP_H
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>
#include "buf.h"
#include "err.h"
#include "flimits.h"
#include "uuid.h"
#include "valid.h"


/* Where a request's bytes come from and go to (FastCGI streams or CGI stdio). */
struct http_io {
	ssize_t (*read)(void *ctx, char *buf, size_t n);       /* 0 at end of body, -1 on error */
	int (*write)(void *ctx, const char *buf, size_t n);    /* 0 ok, -1 on error */
	void *ctx;
	char **envp;                                            /* NULL-terminated KEY=value */
	int body_done;     /* set by http.c: the body was read to its end (nothing more to wait for) */
};

enum http_method { HM_GET, HM_HEAD, HM_POST, HM_PUT, HM_PATCH, HM_DELETE, HM_OPTIONS, HM_OTHER };

/* What came in: the params, the headers the service reads, and the body's read state.
 * http.c's reader functions take it; nothing here is a result of routing. */
struct http_request {
	struct http_io *io;
	enum http_method method;
	const char *method_str;
	char *uri;                     /* raw REQUEST_URI, owned */
	size_t path_len;               /* the path is uri[0..path_len) */
	const char *query;             /* raw query after '?', "" if none (points into uri) */
	const char *content_type;      /* NULL when absent */
	long long content_length;      /* -1 when absent (chunked through mod_proxy_fcgi) */
	const char *authorization, *origin, *acr_method, *acr_headers;
	char request_id[LIM_REQUEST_ID + 1];
	struct buf body;
	int body_read;
	long long body_streamed;       /* bytes handed out by http_read_stream */
	double body_t0;                /* monotonic time of the first body read (0 before) */
	long long body_got;            /* body bytes read so far, every reader together */
	int body_timed_out;            /* the body stalled or trickled: answer 408, read no more */
};

/* What goes out: the status once sent and the headers queued for it. The writer functions
 * take it; req is the request it answers (its io, HEAD, X-Request-ID and CORS origin). */
struct http_response {
	const struct http_request *req;
	int status;
	int headers_sent;
	char *hdr_name[LIM_HEADERS_OUT], *hdr_value[LIM_HEADERS_OUT];
	size_t nhdrs;
};

/* Build in from io (params, headers, request id). HE_OK, or the error to answer with
 * (HE_INTERNAL, HE_BAD_REQUEST, HE_NO_ROUTE) and its *detail (static, may be NULL). in is
 * usable by http_response_init (and must be freed) whatever the result. */
enum herr http_request_init(struct http_request *in, struct http_io *io, const char **detail);
/* Release everything the request owns. */
void http_request_free(struct http_request *in);
/* A FastCGI/CGI parameter, NULL when absent. */
const char *http_param(const struct http_request *in, const char *name);
/* Read the whole body into in->body, at most max bytes, with or without CONTENT_LENGTH.
 * HE_OK, HE_TOO_LARGE (a CONTENT_LENGTH over max is refused before any read; the rest is
 * never read), HE_TIMEOUT (BODY_READ_TIMEOUT_SECONDS, BODY_MIN_RATE) or HE_IO. */
enum herr http_read_body(struct http_request *in, size_t max);
/* Read up to n body bytes straight from the client (for streaming handlers), never past
 * CONTENT_LENGTH when it was given: >0 bytes, 0 at the end of the body, -1 on error or
 * timeout (then http_body_error tells which). Under the same deadline as http_read_body. */
ssize_t http_read_stream(struct http_request *in, char *buf, size_t n);
/* After a failed body read: HE_TIMEOUT (answer 408) or HE_IO (the client is gone). */
enum herr http_body_error(const struct http_request *in);
/* 1 when the request's Origin is allowed by CORS_ORIGINS. */
int http_origin_allowed(const struct http_request *in);

/* An empty response to in (nothing queued, nothing sent). */
void http_response_init(struct http_response *w, const struct http_request *in);
/* Release the queued headers. */
void http_response_free(struct http_response *w);
/* Queue a response header; value must hold no CR/LF (refused: -1). Copies both. */
int http_add_header(struct http_response *w, const char *name, const char *value);
/* Send status, queued headers, CORS/X-Request-ID, Content-Type/Length and body (not for HEAD). */
void http_send(struct http_response *w, int status, const char *ctype, const char *body, size_t len);
/* Send o as JSON (consumes o). */
void http_send_json(struct http_response *w, int status, json_object *o);
/* The one mapping from error code to status and FastAPI body; detail NULL = the default text.
 * HE_VALIDATION needs the list: http_error_list. */
void http_error(struct http_response *w, enum herr e, const char *detail);
/* HE_VALIDATION's answer: 422 with every error of v (500 when v ran out of memory). */
void http_error_list(struct http_response *w, const struct verrs *v);
/* Percent-encode a path for a Location header (keeps unreserved and '/'). Malloc'd. */
char *http_encode_path(const char *s, size_t len);

#endif
