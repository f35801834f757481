/* storage_s3.c: the S3/R2 backend: libcurl (one keep-alive handle per process), SigV4 header signing. */
#include "storage_int.h"
#include "buf.h"
#include "log.h"
#include "s3addr.h"
#include "sigv4.h"
#include "tmpfile.h"
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/*
 * Requests: path-style (ENDPOINT/bucket/key) or virtual-hosted (bucket.ENDPOINT-HOST/key) by
 * R2_ADDRESSING_STYLE; the key is percent-encoded once by common/sigv4 (SIGV4_S3), and the URL
 * sent is the one signed. Every header we send besides Accept/User-Agent/Content-Length/Expect
 * is signed; bodies are sent as UNSIGNED-PAYLOAD (accepted by S3, R2, MinIO and s3rver).
 * Connections are given up after STORAGE_CONNECT_TIMEOUT_S, transfers during which no byte moves
 * for STORAGE_STALL_TIMEOUT_S. Network errors and 5xx are retried (every call here is idempotent)
 * up to STORAGE_RETRIES attempts, 200 ms then 800 ms apart, but no attempt starts once
 * S3_RETRY_BUDGET_MS have passed, so that a dead or frozen store is reported within ~30 s; a GET
 * that already handed bytes to its caller is not retried.
 *
 * Conditions are also checked on our side, for stores that ignore them (s3rver ignores If-Match on
 * GET and x-amz-copy-source-if-match): a GET whose ETag is not if_match hands over no byte; a
 * copy whose result ETag is not if_match is kept only when a HEAD shows the source unchanged
 * (servers where a copy gets another ETag, e.g. SSE-KMS), else the copy is deleted.
 */

#define S3_BODY_MAX (16u * 1024u * 1024u)   /* a ListObjectsV2 page or a CopyObject answer */
#define S3_ERRBODY_MAX (64u * 1024u)        /* bytes kept of an error body */
#define S3_TOKEN_MAX 4096                   /* a continuation token */
#define S3_RETRY_BUDGET_MS 10000            /* no new attempt after this long (API.md §1: ~30 s) */

static const long backoff_ms[] = { 200, 800 };

static struct {
	CURL *h;                  /* the process's one handle: its connection cache is kept */
	int curl_ready;           /* curl_global_init done */
	char scheme[S3ADDR_SCHEME_MAX];
	char host[S3ADDR_HOST_MAX];   /* Host header: the endpoint's host[:port], bucket. prefixed if virtual */
	char *bucket, *region, *akid, *secret;
	int virtual_style;
} s3;

/* ------------------------------------------------------------------ setup */

static void s3_cleanup(void)
{
	if (s3.h != NULL)
		curl_easy_cleanup(s3.h);
	if (s3.curl_ready)
		curl_global_cleanup();
	if (s3.secret != NULL) {
		explicit_bzero(s3.secret, strlen(s3.secret));
		free(s3.secret);
	}
	free(s3.bucket);
	free(s3.region);
	free(s3.akid);
	memset(&s3, 0, sizeof(s3));
}

/* Bucket names we can put in a path and a host name: [A-Za-z0-9._-], 1..255 bytes. */
static int bucket_ok(const char *b)
{
	size_t i;

	for (i = 0; b[i]; i++) {
		unsigned char c = (unsigned char)b[i];

		if (i >= 255 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return i > 0;
}

static int s3_init(const struct config *c)
{
	s3_cleanup();
	if (c->r2_endpoint_url == NULL || c->r2_bucket == NULL || c->r2_access_key_id == NULL ||
	    c->r2_secret_access_key == NULL || c->r2_region == NULL) {
		log_error("storage: the s3 backend needs R2_ENDPOINT_URL, R2_BUCKET and the R2 keys");
		return -1;
	}
	if (!bucket_ok(c->r2_bucket)) {
		log_error("storage: R2_BUCKET is not a usable bucket name");
		return -1;
	}
	s3.virtual_style = c->r2_addressing_style == ADDR_VIRTUAL;
	if ((s3.bucket = strdup(c->r2_bucket)) == NULL || (s3.region = strdup(c->r2_region)) == NULL ||
	    (s3.akid = strdup(c->r2_access_key_id)) == NULL ||
	    (s3.secret = strdup(c->r2_secret_access_key)) == NULL)
		goto nomem;
	if (s3addr_host(c->r2_endpoint_url, s3.bucket, s3.virtual_style, s3.scheme, s3.host) != 0) {
		log_error("storage: R2_ENDPOINT_URL must be http(s)://host[:port] without a path");
		goto fail;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("storage: curl_global_init failed");
		goto fail;
	}
	s3.curl_ready = 1;
	if ((s3.h = curl_easy_init()) == NULL)
		goto nomem;
	return 0;
nomem:
	log_error("storage: out of memory");
fail:
	s3_cleanup();
	return -1;
}

/* ------------------------------------------------------------------ one request */

struct s3call {
	const char *op;               /* for logs: "HEAD", "GET", ... */
	const char *method;
	const char *key;              /* NULL: the bucket itself */
	struct sigv4_kv query[3];
	size_t nquery;
	struct sigv4_kv hdr[4];       /* extra headers, every one signed */
	size_t nhdr;
	int upload;                   /* PUT with a body (from upload_fd, or empty when upload_fd < 0) */
	int upload_fd;
	long long upload_size;
	storage_write_fn wr;          /* GET: a 2xx body goes here; else bodies go to body */
	void *wctx;
	const char *want_etag;        /* GET: hand over nothing unless the ETag is this */
	int body_may_be_error;        /* a 2xx body may be an <Error> (CopyObject) */
	/* results of the last attempt */
	CURLcode cc;
	long status;                  /* HTTP status (a 2xx with an <Error> body gets the error's) */
	char etag[STORAGE_ETAG_MAX];
	int etag_bad;                 /* an ETag header too long or with bad bytes */
	long long upload_off;
	long long delivered;          /* bytes handed to wr */
	int wr_failed, mismatch, src_short, src_error, overflow;
	char code[64];                /* S3 error <Code>, "" when none */
	struct buf body;
};

static void call_init(struct s3call *c, const char *op, const char *method, const char *key)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->method = method;
	c->key = key;
	c->upload_fd = -1;
	buf_init(&c->body, S3_BODY_MAX);
}

static void call_free(struct s3call *c)
{
	buf_free(&c->body);
}

static int is_2xx(long s)
{
	return s >= 200 && s < 300;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct s3call *c = ud;
	size_t len = sz * n, i;

	if (len >= 12 && memcmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', len);

		/* A new response (after a 100 Continue too): forget the previous one's headers. */
		c->etag[0] = '\0';
		c->etag_bad = 0;
		c->status = 0;
		if (sp != NULL && (size_t)(sp - p) + 4 <= len)
			for (i = 1; i <= 3 && sp[i] >= '0' && sp[i] <= '9'; i++)
				c->status = c->status * 10 + (sp[i] - '0');
		return len;
	}
	if (len > 5 && strncasecmp(p, "etag:", 5) == 0) {
		const char *v = p + 5, *e = p + len;

		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		c->etag_bad = (size_t)(e - v) >= STORAGE_ETAG_MAX;
		for (i = 0; !c->etag_bad && i < (size_t)(e - v); i++)
			if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
				c->etag_bad = 1;
		if (c->etag_bad) {
			c->etag[0] = '\0';
		} else {
			memcpy(c->etag, v, (size_t)(e - v));
			c->etag[e - v] = '\0';
		}
	}
	return len;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct s3call *c = ud;
	size_t len = sz * n;

	if (c->wr != NULL && is_2xx(c->status)) {
		if (c->want_etag != NULL && (c->etag_bad || strcmp(c->etag, c->want_etag) != 0)) {
			c->mismatch = 1;
			return 0;
		}
		if (c->wr(c->wctx, p, len) != 0) {
			c->wr_failed = 1;
			return 0;
		}
		c->delivered += (long long)len;
		return len;
	}
	if (is_2xx(c->status)) {
		if (buf_append(&c->body, p, len) != 0) {
			c->overflow = 1;
			return 0;
		}
		return len;
	}
	/* An error body: keep its head (for the <Code>), drop the rest. */
	if (c->body.len < S3_ERRBODY_MAX) {
		size_t take = S3_ERRBODY_MAX - c->body.len < len ? S3_ERRBODY_MAX - c->body.len : len;

		if (buf_append(&c->body, p, take) != 0)
			c->overflow = 1;
	}
	return len;
}

static size_t on_read(char *p, size_t sz, size_t n, void *ud)
{
	struct s3call *c = ud;
	size_t want = sz * n;
	long long left = c->upload_size - c->upload_off;
	ssize_t r;

	if (c->upload_fd < 0 || left <= 0)
		return 0;
	if ((long long)want > left)
		want = (size_t)left;
	do
		r = pread(c->upload_fd, p, want, c->upload_off);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		c->src_error = 1;
		return CURL_READFUNC_ABORT;
	}
	if (r == 0) {
		c->src_short = 1;
		return CURL_READFUNC_ABORT;
	}
	c->upload_off += r;
	return (size_t)r;
}

static int on_seek(void *ud, curl_off_t off, int origin)
{
	struct s3call *c = ud;

	if (origin != SEEK_SET || off < 0 || off > c->upload_size)
		return CURL_SEEKFUNC_CANTSEEK;
	c->upload_off = off;
	return CURL_SEEKFUNC_OK;
}

/* 1 when v may be sent as a header value (visible ASCII and spaces, bounded). */
static int header_value_ok(const char *v)
{
	size_t i;

	for (i = 0; i < 1024 && v[i]; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || (unsigned char)v[i] == 0x7f)
			return 0;
	return i < 1024;
}

/* Append "Name: value" to *list. 0 ok, -1 ENOMEM. */
static int add_line(struct curl_slist **list, struct buf *tmp, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	struct curl_slist *t;

	buf_reset(tmp);
	if (buf_append(tmp, name, nlen) != 0 || buf_puts(tmp, ": ") != 0 || buf_append(tmp, value, vlen) != 0)
		return -1;
	if ((t = curl_slist_append(*list, buf_cstr(tmp))) == NULL)
		return -1;
	*list = t;
	return 0;
}

/* Sign and perform one attempt. 0 when performed (see c->cc, c->status); -1 (logged) when not. */
static int attempt(struct s3call *c)
{
	struct buf path, url, authz, line;
	struct curl_slist *hl = NULL;
	struct sigv4_creds creds = { s3.akid, s3.secret, NULL };
	struct sigv4_send_headers send;
	struct sigv4_request r;
	enum sigv4_status st;
	CURL *h = s3.h;
	size_t i;
	int rc = -1;

	buf_init(&path, STORAGE_KEY_MAX + 512);
	buf_init(&url, SIGV4_MAX_OUTPUT);
	buf_init(&authz, 4096);
	buf_init(&line, SIGV4_MAX_OUTPUT);
	c->cc = CURLE_OK;
	c->status = 0;
	c->etag[0] = '\0';
	c->etag_bad = c->mismatch = c->wr_failed = c->src_short = c->src_error = c->overflow = 0;
	c->upload_off = 0;
	c->code[0] = '\0';
	buf_reset(&c->body);

	if (s3addr_path(&path, s3.bucket, s3.virtual_style, c->key) != 0)
		goto out;
	memset(&r, 0, sizeof(r));
	r.method = c->method;
	r.scheme = s3.scheme;
	r.host = s3.host;
	r.path = buf_cstr(&path);
	r.path_len = path.len;
	r.query = c->query;
	r.nquery = c->nquery;
	r.headers = c->hdr;
	r.nheaders = c->nhdr;
	r.payload_hash = c->upload && c->upload_fd >= 0 ? SIGV4_UNSIGNED_PAYLOAD : NULL;
	r.region = s3.region;
	r.service = "s3";
	r.creds = &creds;
	r.unix_time = (long long)time(NULL);
	r.flags = SIGV4_S3;
	if ((st = sigv4_sign_headers(&r, &authz, &send, NULL)) != SIGV4_OK ||
	    (st = sigv4_url(&r, &url)) != SIGV4_OK) {
		log_error("storage: %s %s: signing failed: %s", c->op, c->key ? c->key : "(bucket)", sigv4_strerror(st));
		goto out;
	}
	if (add_line(&hl, &line, "Host", 4, s3.host, strlen(s3.host)) != 0 ||
	    add_line(&hl, &line, "Authorization", 13, authz.data, authz.len) != 0 ||
	    add_line(&hl, &line, "x-amz-date", 10, send.amz_date, strlen(send.amz_date)) != 0 ||
	    (send.content_sha256 != NULL &&
	     add_line(&hl, &line, "x-amz-content-sha256", 20, send.content_sha256, strlen(send.content_sha256)) != 0))
		goto nomem;
	for (i = 0; i < c->nhdr; i++)
		if (add_line(&hl, &line, c->hdr[i].name, c->hdr[i].name_len, c->hdr[i].value, c->hdr[i].value_len) != 0)
			goto nomem;

	curl_easy_reset(h);     /* keeps the connection cache */
	if (curl_easy_setopt(h, CURLOPT_URL, buf_cstr(&url)) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK)
		goto curlopt;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sartiq-files");
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)STORAGE_CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)STORAGE_STALL_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	if (strcmp(c->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	} else if (strcmp(c->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, c);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, c);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(c->upload_fd >= 0 ? c->upload_size : 0));
	} else if (strcmp(c->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	}
	c->cc = curl_easy_perform(h);
	if (c->cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	rc = 0;
	goto out;
curlopt:
	log_error("storage: this libcurl refuses a needed option");
	goto out;
nomem:
	log_error("storage: out of memory");
out:
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	if (authz.data != NULL)
		explicit_bzero(authz.data, authz.len);
	buf_free(&path);
	buf_free(&url);
	buf_free(&authz);
	buf_free(&line);
	return rc;
}

/* ------------------------------------------------------------------ minimal XML */

/* The span of the first <tag>...</tag> in [p, end). 0 found, -1 not. */
static int xml_span(const char *p, const char *end, const char *tag, const char **vs, const char **ve)
{
	char open[64], close[64];
	int ol = snprintf(open, sizeof(open), "<%s>", tag), cl = snprintf(close, sizeof(close), "</%s>", tag);
	const char *s, *e;

	if (p >= end || ol <= 0 || cl <= 0 || (size_t)ol >= sizeof(open) || (size_t)cl >= sizeof(close))
		return -1;
	if ((s = memmem(p, (size_t)(end - p), open, (size_t)ol)) == NULL)
		return -1;
	s += ol;
	if ((e = memmem(s, (size_t)(end - s), close, (size_t)cl)) == NULL)
		return -1;
	*vs = s;
	*ve = e;
	return 0;
}

/* 1 when the document's root element is named name. */
static int xml_root_is(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (end - p >= 2 && p[0] == '<' && (p[1] == '?' || p[1] == '!')) {
			const char *gt = memchr(p, '>', (size_t)(end - p));

			if (gt == NULL)
				return 0;
			p = gt + 1;
			continue;
		}
		break;
	}
	if (end - p < (ptrdiff_t)n + 2 || p[0] != '<' || memcmp(p + 1, name, n) != 0)
		return 0;
	return p[n + 1] == '>' || p[n + 1] == ' ' || p[n + 1] == '\t' || p[n + 1] == '\r' || p[n + 1] == '\n' ||
	    p[n + 1] == '/';
}

static int put_utf8(struct buf *out, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return buf_append(out, u, n);
}

/* Replace out with the text [s, e) with XML entities decoded. 0 ok, -1 malformed or too long. */
static int xml_text(const char *s, const char *e, struct buf *out)
{
	static const struct { const char *name; char c; } named[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
	};

	buf_reset(out);
	while (s < e) {
		const char *semi;
		size_t i, n;

		if (*s == '<')
			return -1;          /* markup (CDATA, a child element): not what S3 sends here */
		if (*s != '&') {
			const char *amp = memchr(s, '&', (size_t)(e - s)), *lt = memchr(s, '<', (size_t)(e - s));
			const char *stop = amp ? amp : e;

			if (lt != NULL && lt < stop)
				stop = lt;
			if (buf_append(out, s, (size_t)(stop - s)) != 0)
				return -1;
			s = stop;
			continue;
		}
		semi = memchr(s, ';', (size_t)(e - s) < 12 ? (size_t)(e - s) : 12);
		if (semi == NULL)
			return -1;
		n = (size_t)(semi - s - 1);
		if (n >= 2 && s[1] == '#') {
			unsigned long cp = 0;
			int hex = s[2] == 'x' || s[2] == 'X';
			const char *d = s + (hex ? 3 : 2);

			if (d >= semi)
				return -1;
			for (; d < semi; d++) {
				int v;

				if (*d >= '0' && *d <= '9')
					v = *d - '0';
				else if (hex && *d >= 'a' && *d <= 'f')
					v = *d - 'a' + 10;
				else if (hex && *d >= 'A' && *d <= 'F')
					v = *d - 'A' + 10;
				else
					return -1;
				cp = cp * (hex ? 16 : 10) + (unsigned long)v;
				if (cp > 0x10FFFF)
					return -1;
			}
			if (put_utf8(out, cp) != 0)
				return -1;
		} else {
			for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
				if (strlen(named[i].name) == n && memcmp(s + 1, named[i].name, n) == 0)
					break;
			if (i == sizeof(named) / sizeof(named[0]) || buf_append(out, &named[i].c, 1) != 0)
				return -1;
		}
		s = semi + 1;
	}
	return 0;
}

/* If the body is an <Error> document, copy its <Code> (bounded) to c->code and return 1. */
static int body_error(struct s3call *c)
{
	const char *p = c->body.data, *end, *vs, *ve;
	struct buf t;

	if (p == NULL)
		return 0;
	end = p + c->body.len;
	if (!xml_root_is(p, end, "Error"))
		return 0;
	buf_init(&t, sizeof(c->code) - 1);
	snprintf(c->code, sizeof(c->code), "%s", "(no code)");
	if (xml_span(p, end, "Code", &vs, &ve) == 0 && xml_text(vs, ve, &t) == 0)
		snprintf(c->code, sizeof(c->code), "%s", buf_cstr(&t));
	buf_free(&t);
	return 1;
}

/* ------------------------------------------------------------------ retries and results */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Transport failures that say the store cannot be reached (or stalled): retried, then HE_STORAGE_UNAVAILABLE. */
static int net_error(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
		return 1;
	default:
		return 0;
	}
}

/* Error codes that S3 may put in a 200 CopyObject answer, with the status they stand for. */
static long error_code_status(const char *code)
{
	if (strcmp(code, "PreconditionFailed") == 0)
		return 412;
	if (strcmp(code, "NoSuchKey") == 0 || strcmp(code, "NoSuchBucket") == 0)
		return 404;
	if (strcmp(code, "InternalError") == 0 || strcmp(code, "ServiceUnavailable") == 0 ||
	    strcmp(code, "SlowDown") == 0)
		return 503;
	return 400;
}

/* Perform c with the retry policy of the top of this file. -1 when no request could be made. */
static int run(struct s3call *c)
{
	long long start = now_ms();
	int n;

	for (n = 1;; n++) {
		int retry;

		if (attempt(c) != 0)
			return -1;
		if (c->cc == CURLE_OK && is_2xx(c->status) && c->body_may_be_error && body_error(c))
			c->status = error_code_status(c->code);   /* "200 OK" carrying an <Error> */
		retry = (c->cc != CURLE_OK && net_error(c->cc)) || (c->cc == CURLE_OK && c->status >= 500);
		if (!retry || c->delivered > 0 || n >= STORAGE_RETRIES || n > (int)(sizeof(backoff_ms) / sizeof(backoff_ms[0])) ||
		    now_ms() - start >= S3_RETRY_BUDGET_MS)
			return 0;
		{
			struct timespec ts = { backoff_ms[n - 1] / 1000, (backoff_ms[n - 1] % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
		}
	}
}

/* The storage result of a performed call; failures are logged here. */
static enum herr result(struct s3call *c)
{
	const char *key = c->key ? c->key : "(bucket)";

	if (c->wr_failed)
		return HE_SOURCE;
	if (c->mismatch)
		return HE_PRECONDITION;
	if (c->src_short)
		return HE_SHORT_BODY;
	if (c->src_error)
		return HE_SOURCE;
	if (c->cc != CURLE_OK) {
		if (net_error(c->cc)) {
			log_error("storage: %s %s: store unreachable: %s", c->op, key, curl_easy_strerror(c->cc));
			return HE_STORAGE_UNAVAILABLE;
		}
		log_error("storage: %s %s: %s%s", c->op, key, curl_easy_strerror(c->cc),
		    c->overflow ? " (answer too large)" : "");
		return HE_INTERNAL;
	}
	if (is_2xx(c->status))
		return HE_OK;
	if (c->status == 404) {
		if (body_error(c) && strcmp(c->code, "NoSuchBucket") == 0)
			log_error("storage: %s %s: the bucket does not exist", c->op, key);
		return HE_NOT_FOUND;
	}
	if (c->status == 412)
		return HE_PRECONDITION;
	if (c->code[0] == '\0')
		body_error(c);
	if (c->status >= 500) {
		log_error("storage: %s %s: store failing: HTTP %ld %s", c->op, key, c->status, c->code);
		return HE_STORAGE_UNAVAILABLE;
	}
	log_error("storage: %s %s: HTTP %ld %s", c->op, key, c->status, c->code);
	return HE_INTERNAL;
}

/* ------------------------------------------------------------------ operations */

static enum herr s3_put_fd(const char *key, int fd, long long size,
    const char *content_type, struct storage_obj *out)
{
	struct s3call c;
	enum herr e;

	if (content_type == NULL || *content_type == '\0')
		content_type = "application/octet-stream";
	if (!header_value_ok(content_type))
		return HE_INTERNAL;
	call_init(&c, "PUT", "PUT", key);
	c.hdr[c.nhdr++] = sigv4_kv_str("Content-Type", content_type);
	c.upload = 1;
	c.upload_fd = fd;
	c.upload_size = size;
	if (run(&c) != 0)
		e = HE_INTERNAL;
	else
		e = result(&c);
	if (e == HE_OK && out != NULL) {
		out->size = size;
		out->mtime = time(NULL);
		memcpy(out->etag, c.etag, sizeof(out->etag));
	}
	call_free(&c);
	return e;
}

/* An anonymous temp file for spooling. -1 logged. */
static int spool_file(void)
{
	int fd = tmpfile_anon("sartiq-spool");

	if (fd < 0)
		log_error("storage: cannot create a spool file in %s: %s", tmpfile_dir(), strerror(errno));
	return fd;
}

static enum herr s3_put_stream(const char *key, storage_read_fn rd, void *ctx,
    long long expect, long long max, const char *content_type, struct storage_obj *out)
{
	long long len;
	enum herr e;
	int fd;

	if (expect >= 0 && max >= 0 && expect > max)
		return HE_TOO_LARGE;
	if ((fd = spool_file()) < 0)
		return HE_INTERNAL;
	e = storage_spool(fd, rd, ctx, expect, max, &len);
	if (e == HE_OK)
		e = s3_put_fd(key, fd, len, content_type, out);
	close(fd);
	return e;
}

static enum herr s3_head(const char *key, struct storage_obj *out)
{
	struct s3call c;
	enum herr e;
	curl_off_t len = -1, mtime = -1;

	call_init(&c, "HEAD", "HEAD", key);
	e = run(&c) != 0 ? HE_INTERNAL : result(&c);
	if (e == HE_OK) {
		curl_easy_getinfo(s3.h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
		curl_easy_getinfo(s3.h, CURLINFO_FILETIME_T, &mtime);
		if (len < 0 || c.etag_bad) {
			log_error("storage: HEAD %s: no usable Content-Length or ETag", key);
			e = HE_INTERNAL;
		} else if (out != NULL) {
			out->size = (long long)len;
			out->mtime = mtime > 0 ? (time_t)mtime : 0;
			memcpy(out->etag, c.etag, sizeof(out->etag));
		}
	}
	call_free(&c);
	return e;
}

static enum herr s3_get(const char *key, const char *if_match, storage_write_fn wr, void *ctx)
{
	struct s3call c;
	enum herr e;

	if (if_match != NULL && !header_value_ok(if_match))
		return HE_PRECONDITION;    /* no ETag looks like that */
	call_init(&c, "GET", "GET", key);
	if (if_match != NULL) {
		c.hdr[c.nhdr++] = sigv4_kv_str("If-Match", if_match);
		c.want_etag = if_match;
	}
	c.wr = wr;
	c.wctx = ctx;
	e = run(&c) != 0 ? HE_INTERNAL : result(&c);
	/* An empty body never reached on_body: check the ETag here too. */
	if (e == HE_OK && if_match != NULL && (c.etag_bad || strcmp(c.etag, if_match) != 0))
		e = HE_PRECONDITION;
	call_free(&c);
	return e;
}

static enum herr s3_delete(const char *key)
{
	struct s3call c;
	enum herr e;

	call_init(&c, "DELETE", "DELETE", key);
	e = run(&c) != 0 ? HE_INTERNAL : result(&c);
	if (e == HE_NOT_FOUND)
		e = HE_OK;
	call_free(&c);
	return e;
}

/* The <ETag> of a CopyObjectResult body into etag; "" when absent or malformed. */
static void copy_result_etag(const struct s3call *c, char etag[STORAGE_ETAG_MAX])
{
	const char *p = c->body.data, *vs, *ve;
	struct buf t;

	etag[0] = '\0';
	if (p == NULL || !xml_root_is(p, p + c->body.len, "CopyObjectResult"))
		return;
	buf_init(&t, STORAGE_ETAG_MAX - 1);
	if (xml_span(p, p + c->body.len, "ETag", &vs, &ve) == 0 && xml_text(vs, ve, &t) == 0)
		memcpy(etag, buf_cstr(&t), t.len + 1);
	buf_free(&t);
}

static enum herr s3_copy(const char *src, const char *dst, const char *if_match)
{
	struct s3call c;
	struct buf source;
	struct storage_obj now;
	char etag[STORAGE_ETAG_MAX];
	enum herr e = HE_INTERNAL;

	buf_init(&source, 4 * STORAGE_KEY_MAX + 1024);
	call_init(&c, "COPY", "PUT", dst);
	if (if_match != NULL && !header_value_ok(if_match)) {
		e = HE_PRECONDITION;
		goto out;
	}
	/* x-amz-copy-source: "/bucket/key", URI-encoded as S3 wants it ('/' kept). */
	if (buf_puts(&source, "/") != 0 ||
	    sigv4_uri_encode(s3.bucket, strlen(s3.bucket), 0, &source) != SIGV4_OK ||
	    buf_puts(&source, "/") != 0 || sigv4_uri_encode(src, strlen(src), 1, &source) != SIGV4_OK)
		goto out;
	c.hdr[c.nhdr++] = sigv4_kv_str("x-amz-copy-source", buf_cstr(&source));
	if (if_match != NULL)
		c.hdr[c.nhdr++] = sigv4_kv_str("x-amz-copy-source-if-match", if_match);
	c.upload = 1;              /* an empty body */
	c.body_may_be_error = 1;
	if (run(&c) != 0)
		goto out;
	if ((e = result(&c)) != HE_OK || if_match == NULL)
		goto out;
	copy_result_etag(&c, etag);
	if (strcmp(etag, if_match) == 0)
		goto out;
	/* The copy has another ETag: fine if the source is still the version asked for. */
	if (s3_head(src, &now) == HE_OK && strcmp(now.etag, if_match) == 0)
		goto out;
	log_warn("storage: COPY %s -> %s: the source changed and the store ignored the condition; copy removed",
	    src, dst);
	s3_delete(dst);
	e = HE_PRECONDITION;
out:
	call_free(&c);
	buf_free(&source);
	return e;
}

/* Parse "YYYY-MM-DDTHH:MM:SS[.fff]Z" (ListObjectsV2 LastModified); 0 when malformed. */
static time_t parse_time(const char *s, size_t n)
{
	struct tm tm;
	int v[6], i, pos[6] = { 0, 5, 8, 11, 14, 17 }, len[6] = { 4, 2, 2, 2, 2, 2 };

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[n - 1] != 'Z')
		return 0;
	for (i = 0; i < 6; i++) {
		int k;

		v[i] = 0;
		for (k = 0; k < len[i]; k++) {
			char ch = s[pos[i] + k];

			if (ch < '0' || ch > '9')
				return 0;
			v[i] = v[i] * 10 + (ch - '0');
		}
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	return timegm(&tm);
}

/* Decimal size of at most 18 digits; -1 when malformed. */
static long long parse_size(const char *s, const char *e)
{
	long long v = 0;

	if (s >= e || e - s > 18)
		return -1;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* Hand one ListObjectsV2 page to fn; token gets NextContinuationToken when more pages follow. */
static enum herr list_page(const struct s3call *c, storage_list_fn fn, void *ctx,
    struct buf *token, int *more, int *stop)
{
	const char *p = c->body.data, *end, *vs, *ve, *bs, *be;
	struct buf key, t;
	enum herr e = HE_INTERNAL;

	*more = 0;
	buf_reset(token);
	buf_init(&key, STORAGE_KEY_MAX);
	buf_init(&t, 64);
	if (p == NULL || !xml_root_is(p, p + c->body.len, "ListBucketResult"))
		goto bad;
	end = p + c->body.len;
	while (!*stop && xml_span(p, end, "Contents", &bs, &be) == 0) {
		long long size;

		p = be + 11;   /* past "</Contents>" */
		if (xml_span(bs, be, "Key", &vs, &ve) != 0 || xml_text(vs, ve, &key) != 0)
			goto bad;
		if (xml_span(bs, be, "Size", &vs, &ve) != 0 || (size = parse_size(vs, ve)) < 0)
			goto bad;
		if (xml_span(bs, be, "LastModified", &vs, &ve) != 0)
			vs = ve = bs;
		if (!storage_key_ok(buf_cstr(&key))) {
			log_warn("storage: list skips an object whose name is no valid key: %s", buf_cstr(&key));
			continue;
		}
		if (fn(ctx, buf_cstr(&key), size, parse_time(vs, (size_t)(ve - vs))) != 0)
			*stop = 1;
	}
	p = c->body.data;
	if (xml_span(p, end, "IsTruncated", &vs, &ve) == 0 && xml_text(vs, ve, &t) == 0 &&
	    strcmp(buf_cstr(&t), "true") == 0) {
		*more = 1;
		if (xml_span(p, end, "NextContinuationToken", &vs, &ve) != 0 || xml_text(vs, ve, token) != 0 ||
		    token->len == 0)
			goto bad;
	}
	e = HE_OK;
	goto out;
bad:
	log_error("storage: LIST: a malformed ListObjectsV2 answer");
out:
	buf_free(&key);
	buf_free(&t);
	return e;
}

static enum herr s3_list(const char *prefix, storage_list_fn fn, void *ctx)
{
	struct buf token, prev;
	struct s3call c;
	enum herr e = HE_OK;
	int more = 1, stop = 0;

	buf_init(&token, S3_TOKEN_MAX);
	buf_init(&prev, S3_TOKEN_MAX);
	while (more && !stop) {
		call_init(&c, "LIST", "GET", NULL);
		c.query[c.nquery++] = sigv4_kv_str("list-type", "2");
		if (*prefix)
			c.query[c.nquery++] = sigv4_kv_str("prefix", prefix);
		if (token.len > 0)
			c.query[c.nquery++] = sigv4_kv_str("continuation-token", buf_cstr(&token));
		e = run(&c) != 0 ? HE_INTERNAL : result(&c);
		if (e == HE_OK) {
			buf_reset(&prev);
			if (buf_append(&prev, token.data ? token.data : "", token.len) != 0)
				e = HE_INTERNAL;
		}
		if (e == HE_OK)
			e = list_page(&c, fn, ctx, &token, &more, &stop);
		call_free(&c);
		if (e != HE_OK)
			break;
		if (more && token.len == prev.len && memcmp(buf_cstr(&token), buf_cstr(&prev), token.len) == 0) {
			log_error("storage: LIST: the store repeats its continuation token");
			e = HE_INTERNAL;
			break;
		}
	}
	buf_free(&token);
	buf_free(&prev);
	return e;
}

const struct storage_ops storage_s3_ops = {
	.name = "s3",
	.init = s3_init,
	.cleanup = s3_cleanup,
	.put_stream = s3_put_stream,
	.put_fd = s3_put_fd,
	.head = s3_head,
	.get = s3_get,
	.copy = s3_copy,
	.del = s3_delete,
	.list = s3_list,
};
