/* test_sigv4.c: Check tests for common/sigv4 against the shared AWS, aws-c-auth, S3-doc and botocore vectors, plus hostile S3 keys. */
#include <check.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "buf.h"
#include "fileread.h"
#include "hex.h"
#include "sigv4.h"
#include "testutil.h"

#define SIGV4_REL          "/testdata/sigv4"
#define CLASSIC_EXPECTED   34   /* README: aws4_testsuite has 34 cases */
#define V4_EXPECTED        38   /* README: aws-signing-test-suite/v4 has 38 cases */
#define S3DOC_EXPECTED     5    /* README: five worked examples */
#define S3KEY_EXPECTED     2    /* signing-key derivation examples in s3-doc-examples.json */
#define BOTO_EXPECTED      5    /* README: five presigned PUT cases */
#define MAX_CASES          64
#define MAX_ITEMS          64
#define PATHBUF            8192

/* Parameters every case of both AWS suites assumes (README). */
#define SUITE_AKID         "AKIDEXAMPLE"
#define SUITE_SECRET       "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_REGION       "us-east-1"
#define SUITE_SERVICE      "service"
#define SUITE_TIME         1440938160LL   /* 2015-08-30T12:36:00Z */
#define SUITE_AMZ_DATE     "20150830T123600Z"
/* README: get-vanilla-with-session-token signs this token, which its .req does not carry. */
#define SUITE_VANILLA_TOKEN "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
#define S3_TIME            1369353600LL   /* 2013-05-24T00:00:00Z */

static char g_dir[4096];                 /* $SHARED_DIR/testdata/sigv4 */

struct suite_case {
	char name[600];                  /* case name, e.g. "normalize-path/get-space" */
	char dir[PATHBUF];               /* directory holding the case files */
	char base[300];                  /* file stem (classic suite) */
};

static struct suite_case classic[MAX_CASES];
static size_t nclassic;
static struct suite_case v4cases[MAX_CASES];
static size_t nv4;
static json_object *s3doc, *boto;
static size_t ns3doc, ns3key, nboto;
static char *sts_token;                  /* the long post-sts-* token, from post-sts-token/readme.txt */

/* ---------------------------------------------------------------- helpers */

/* Read dir/file, failing the test when it is missing. */
static char *case_file(const char *dir, const char *file)
{
	char path[PATHBUF + 600];
	char *s;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, file);

	ck_assert_msg(n > 0 && (size_t)n < sizeof(path), "path too long");
	s = file_read_all(path, SIZE_MAX, NULL);
	ck_assert_msg(s != NULL, "cannot read %s: %s", path, strerror(errno));
	return s;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Percent-decode s[0..n) into a new string ('+' stays '+'); *outlen gets the length. */
static char *pct_decode(const char *s, size_t n, size_t *outlen)
{
	char *o = malloc(n + 1);
	size_t i, k = 0;

	ck_assert_ptr_nonnull(o);
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
			o[k++] = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
			i += 2;
		} else {
			o[k++] = s[i];
		}
	}
	o[k] = '\0';
	*outlen = k;
	return o;
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char h[32];
	unsigned int hl = 0;
	size_t i;

	ck_assert(EVP_Digest(p, n, h, &hl, EVP_sha256(), NULL) == 1 && hl == 32);
	for (i = 0; i < 32; i++) {
		out[2 * i] = "0123456789abcdef"[h[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[h[i] & 15];
	}
	out[64] = '\0';
}

static void to_hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[p[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---------------------------------------------------------------- raw HTTP request files */

struct httpreq {
	char *method;
	char *path;                      /* request-target up to '?', verbatim */
	size_t path_len;
	struct sigv4_kv query[MAX_ITEMS];        /* decoded */
	size_t nquery;
	struct sigv4_kv headers[MAX_ITEMS];      /* name verbatim, value after ':' with obs-fold kept as "\n" */
	size_t nheaders;
	const char *body;
	size_t body_len;
	char *owned[4 * MAX_ITEMS];
	size_t nowned;
	const char *host;                /* value of the Host header */
};

static char *own(struct httpreq *q, char *p)
{
	ck_assert(q->nowned < sizeof(q->owned) / sizeof(q->owned[0]));
	q->owned[q->nowned++] = p;
	return p;
}

static void free_req(struct httpreq *q)
{
	size_t i;

	for (i = 0; i < q->nowned; i++)
		free(q->owned[i]);
	q->nowned = 0;
}

/* Parse "a=b&c&d=" into decoded pairs. */
static void parse_query(struct httpreq *q, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i, eq;
		struct sigv4_kv *kv;

		while (j < n && s[j] != '&')
			j++;
		if (j > i) {
			ck_assert(q->nquery < MAX_ITEMS);
			kv = &q->query[q->nquery++];
			for (eq = i; eq < j && s[eq] != '='; eq++)
				;
			kv->name = own(q, pct_decode(s + i, eq - i, &kv->name_len));
			if (eq < j)
				kv->value = own(q, pct_decode(s + eq + 1, j - eq - 1, &kv->value_len));
			else
				kv->value = own(q, pct_decode("", 0, &kv->value_len));
		}
		i = j + 1;
	}
}

/*
 * Request line split at the first and the last space (the target may hold spaces); LF line
 * endings; a line starting with SP/HTAB continues the previous header (obs-fold, kept as "\n" +
 * the line so the signer sees the fold); the body is everything after the first empty line.
 */
static void parse_request(const char *text, struct httpreq *q)
{
	const char *p = text, *end = text + strlen(text), *nl, *le, *sp1, *sp2, *qm;

	memset(q, 0, sizeof(*q));
	nl = memchr(p, '\n', (size_t)(end - p));
	le = nl ? nl : end;
	sp1 = memchr(p, ' ', (size_t)(le - p));
	sp2 = memrchr(p, ' ', (size_t)(le - p));
	ck_assert_msg(sp1 != NULL && sp2 != NULL && sp2 > sp1, "bad request line");
	q->method = own(q, xstrndup(p, (size_t)(sp1 - p)));
	qm = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	q->path = own(q, xstrndup(sp1 + 1, (size_t)((qm ? qm : sp2) - sp1 - 1)));
	q->path_len = strlen(q->path);
	if (qm != NULL)
		parse_query(q, qm + 1, (size_t)(sp2 - qm - 1));
	p = nl ? nl + 1 : end;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		le = nl ? nl : end;
		if (le == p) {
			p = nl ? nl + 1 : end;
			break;
		}
		if (*p == ' ' || *p == '\t') {
			struct sigv4_kv *h;
			char *v;
			size_t add = (size_t)(le - p);

			ck_assert_msg(q->nheaders > 0, "continuation line before any header");
			h = &q->headers[q->nheaders - 1];
			v = malloc(h->value_len + 1 + add + 1);
			ck_assert_ptr_nonnull(v);
			memcpy(v, h->value, h->value_len);
			v[h->value_len] = '\n';
			memcpy(v + h->value_len + 1, p, add);
			v[h->value_len + 1 + add] = '\0';
			h->value = own(q, v);
			h->value_len += 1 + add;
		} else {
			const char *colon = memchr(p, ':', (size_t)(le - p));
			struct sigv4_kv *h;

			ck_assert_msg(colon != NULL, "header line without ':'");
			ck_assert(q->nheaders < MAX_ITEMS);
			h = &q->headers[q->nheaders++];
			h->name = own(q, xstrndup(p, (size_t)(colon - p)));
			h->name_len = (size_t)(colon - p);
			h->value = own(q, xstrndup(colon + 1, (size_t)(le - colon - 1)));
			h->value_len = (size_t)(le - colon - 1);
			if (strcasecmp(h->name, "Host") == 0)
				q->host = h->value;
		}
		p = nl ? nl + 1 : end;
	}
	q->body = p < end ? p : end;
	q->body_len = (size_t)(end - q->body);
}

/* ---------------------------------------------------------------- URL / request-target comparison */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Split "a&b&c" into a sorted array of percent-decoded copies; returns the count, last_param gets
 * the last one as decoded text (wire encodings of one parameter differ: raw UTF-8 vs %XX). */
static size_t split_params(const char *q, char **out, size_t max, char **last_param)
{
	size_t n = 0, dl;
	const char *p = q;

	while (*p) {
		const char *amp = strchr(p, '&');
		size_t l = amp ? (size_t)(amp - p) : strlen(p);

		ck_assert(n < max);
		out[n++] = pct_decode(p, l, &dl);
		p += l + (amp ? 1 : 0);
	}
	*last_param = n ? xstrndup(out[n - 1], strlen(out[n - 1])) : NULL;
	qsort(out, n, sizeof(out[0]), cmp_str);
	return n;
}

/*
 * Same request: identical text before '?', the same decoded query parameters as a multiset, and
 * X-Amz-Signature=<sig> last in both. The order of the other parameters is free on the wire.
 */
static void assert_same_target(const char *got, const char *want, const char *sig)
{
	const char *gq = strchr(got, '?'), *wq = strchr(want, '?');
	char *ga[MAX_ITEMS], *wa[MAX_ITEMS], *glast, *wlast, sigparam[100];
	size_t gn, wn, i;

	ck_assert_msg(gq && wq, "no query in %s / %s", got, want);
	ck_assert_msg((size_t)(gq - got) == (size_t)(wq - want) && memcmp(got, want, (size_t)(gq - got)) == 0,
		      "URL differs before '?':\n got  %s\n want %s", got, want);
	gn = split_params(gq + 1, ga, MAX_ITEMS, &glast);
	wn = split_params(wq + 1, wa, MAX_ITEMS, &wlast);
	ck_assert_msg(gn == wn, "parameter count %zu != %zu:\n got  %s\n want %s", gn, wn, got, want);
	for (i = 0; i < gn; i++)
		ck_assert_msg(strcmp(ga[i], wa[i]) == 0, "parameter %s != %s", ga[i], wa[i]);
	snprintf(sigparam, sizeof(sigparam), "X-Amz-Signature=%s", sig);
	ck_assert_str_eq(glast, sigparam);
	ck_assert_str_eq(wlast, sigparam);
	for (i = 0; i < gn; i++) {
		free(ga[i]);
		free(wa[i]);
	}
	free(glast);
	free(wlast);
}

/* ---------------------------------------------------------------- case discovery */

static int cmp_case(const void *a, const void *b)
{
	return strcmp(((const struct suite_case *)a)->name, ((const struct suite_case *)b)->name);
}

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Add every dir under root (and one level deeper) that holds <dirname>.req. */
static void find_classic(const char *root, const char *prefix, int depth)
{
	DIR *d = opendir(root);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char sub[PATHBUF], req[PATHBUF + 600];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%.4000s/%s", root, de->d_name);
		if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		snprintf(req, sizeof(req), "%.4400s/%s.req", sub, de->d_name);
		if (file_exists(req) && nclassic < MAX_CASES) {
			struct suite_case *c = &classic[nclassic++];

			snprintf(c->name, sizeof(c->name), "%s%s", prefix, de->d_name);
			snprintf(c->dir, sizeof(c->dir), "%s", sub);
			snprintf(c->base, sizeof(c->base), "%s", de->d_name);
		} else if (depth == 0) {
			char pre[300];

			snprintf(pre, sizeof(pre), "%s/", de->d_name);
			find_classic(sub, pre, 1);
		}
	}
	closedir(d);
}

static void find_v4(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char ctx[PATHBUF];
		struct suite_case *c;

		if (de->d_name[0] == '.')
			continue;
		snprintf(ctx, sizeof(ctx), "%.4000s/%s/context.json", root, de->d_name);
		if (!file_exists(ctx) || nv4 >= MAX_CASES)
			continue;
		c = &v4cases[nv4++];
		snprintf(c->name, sizeof(c->name), "%s", de->d_name);
		snprintf(c->dir, sizeof(c->dir), "%.4000s/%s", root, de->d_name);
		snprintf(c->base, sizeof(c->base), "%s", de->d_name);
	}
	closedir(d);
}

/* ---------------------------------------------------------------- json helpers */

static json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "missing key %s", key);
	return v;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	ck_assert_msg(json_object_is_type(v, json_type_string), "%s is not a string", key);
	return json_object_get_string(v);
}

static const char *jstr_opt(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static const char *name_or(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

static int jbool_opt(json_object *o, const char *key, int dflt)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		return dflt;
	ck_assert_msg(json_object_is_type(v, json_type_boolean), "%s is not a boolean", key);
	return json_object_get_boolean(v);
}

/* [["Name","value"], ...] into kv (pointing into the json tree). */
static size_t jpairs(json_object *arr, struct sigv4_kv *kv, size_t max)
{
	size_t i, n;

	if (arr == NULL)
		return 0;
	ck_assert(json_object_is_type(arr, json_type_array));
	n = json_object_array_length(arr);
	ck_assert(n <= max);
	for (i = 0; i < n; i++) {
		json_object *pair = json_object_array_get_idx(arr, i);

		ck_assert(json_object_array_length(pair) == 2);
		kv[i] = sigv4_kv_str(json_object_get_string(json_object_array_get_idx(pair, 0)),
				     json_object_get_string(json_object_array_get_idx(pair, 1)));
	}
	return n;
}

/* "2015-08-30T12:36:00Z" into *tm (digits read by hand; no atoi). */
static void parse_iso(const char *s, struct tm *tm)
{
	int v[6] = {0}, widths[6] = {4, 2, 2, 2, 2, 2}, k, i;
	const char *seps = "--TT::";

	memset(tm, 0, sizeof(*tm));
	for (k = 0; k < 6; k++) {
		for (i = 0; i < widths[k]; i++, s++) {
			ck_assert_msg(*s >= '0' && *s <= '9', "bad timestamp");
			v[k] = v[k] * 10 + (*s - '0');
		}
		if (k < 5) {
			ck_assert_msg(*s == seps[k + 1] || *s == seps[k], "bad timestamp separator");
			s++;
		}
	}
	ck_assert_msg(*s == 'Z', "timestamp not UTC");
	tm->tm_year = v[0] - 1900;
	tm->tm_mon = v[1] - 1;
	tm->tm_mday = v[2];
	tm->tm_hour = v[3];
	tm->tm_min = v[4];
	tm->tm_sec = v[5];
}

/* Point tr at two fresh buffers for the canonical request and the string to sign. */
static void trace_init(struct sigv4_trace *tr, struct buf *creq, struct buf *sts)
{
	buf_init(creq, 1 << 20);
	buf_init(sts, 1 << 20);
	tr->canonical_request = creq;
	tr->string_to_sign = sts;
}

/* ---------------------------------------------------------------- aws4_testsuite (classic) */

START_TEST(classic_case)
{
	const struct suite_case *c = &classic[_i];
	struct httpreq q;
	struct sigv4_request r;
	struct sigv4_creds cr = { SUITE_AKID, SUITE_SECRET, NULL };
	struct sigv4_send_headers send;
	struct sigv4_trace tr;
	struct buf creq, sts, authz;
	char file[400], payload[65], *text, *want_creq, *want_sts, *want_authz;
	enum sigv4_status st;

	snprintf(file, sizeof(file), "%s.req", c->base);
	text = case_file(c->dir, file);
	parse_request(text, &q);
	sha256_hex(q.body, q.body_len, payload);

	memset(&r, 0, sizeof(r));
	r.method = q.method;
	r.host = q.host;
	r.path = q.path;
	r.path_len = q.path_len;
	r.query = q.query;
	r.nquery = q.nquery;
	r.headers = q.headers;
	r.nheaders = q.nheaders;
	r.payload_hash = payload;
	r.region = SUITE_REGION;
	r.service = SUITE_SERVICE;
	r.creds = &cr;
	r.unix_time = SUITE_TIME;
	r.flags = SIGV4_GENERIC;
	if (strcmp(c->base, "get-vanilla-with-session-token") == 0) {
		cr.session_token = SUITE_VANILLA_TOKEN;         /* signer adds and signs the header */
	} else if (strcmp(c->base, "post-sts-header-before") == 0) {
		cr.session_token = sts_token;                   /* already in .req: must match, signed once */
	} else if (strcmp(c->base, "post-sts-header-after") == 0) {
		cr.session_token = sts_token;                   /* sent, not signed */
		r.flags |= SIGV4_OMIT_TOKEN;
	}

	trace_init(&tr, &creq, &sts);
	buf_init(&authz, 1 << 20);
	st = sigv4_sign_headers(&r, &authz, &send, &tr);
	ck_assert_msg(st == SIGV4_OK, "%s: %s", c->name, sigv4_strerror(st));

	snprintf(file, sizeof(file), "%s.creq", c->base);
	want_creq = case_file(c->dir, file);
	snprintf(file, sizeof(file), "%s.sts", c->base);
	want_sts = case_file(c->dir, file);
	snprintf(file, sizeof(file), "%s.authz", c->base);
	want_authz = case_file(c->dir, file);
	ck_assert_str_eq(buf_cstr(&creq), want_creq);
	ck_assert_str_eq(buf_cstr(&sts), want_sts);
	ck_assert_str_eq(buf_cstr(&authz), want_authz);
	ck_assert_str_eq(send.amz_date, SUITE_AMZ_DATE);
	ck_assert_ptr_null(send.content_sha256);
	if (cr.session_token != NULL)
		ck_assert_str_eq(send.security_token, cr.session_token);
	else
		ck_assert_ptr_null(send.security_token);

	free(want_creq);
	free(want_sts);
	free(want_authz);
	buf_free(&creq);
	buf_free(&sts);
	buf_free(&authz);
	free_req(&q);
	free(text);
}
END_TEST

START_TEST(classic_count)
{
	ck_assert_uint_eq(nclassic, CLASSIC_EXPECTED);
}
END_TEST

/* ---------------------------------------------------------------- aws-signing-test-suite/v4 */

struct v4ctx {
	json_object *root;
	struct sigv4_creds cr;
	struct tm tm;
	unsigned expires;
	int normalize, sign_body, omit_token;
	const char *region, *service;
};

static void load_v4ctx(const struct suite_case *c, struct v4ctx *x)
{
	char path[PATHBUF + 600];
	json_object *creds, *exp;

	snprintf(path, sizeof(path), "%s/context.json", c->dir);
	x->root = json_object_from_file(path);
	ck_assert_msg(x->root != NULL, "cannot parse %s", path);
	creds = jget(x->root, "credentials");
	x->cr.access_key_id = jstr(creds, "access_key_id");
	x->cr.secret_access_key = jstr(creds, "secret_access_key");
	x->cr.session_token = jstr_opt(creds, "token");
	parse_iso(jstr(x->root, "timestamp"), &x->tm);
	x->region = jstr(x->root, "region");
	x->service = jstr(x->root, "service");
	exp = jget(x->root, "expiration_in_seconds");
	ck_assert(json_object_is_type(exp, json_type_int));
	x->expires = (unsigned)json_object_get_int64(exp);
	x->normalize = jbool_opt(x->root, "normalize", 1);
	x->sign_body = jbool_opt(x->root, "sign_body", 0);
	x->omit_token = jbool_opt(x->root, "omit_session_token", 0);
}

static void v4_request(const struct v4ctx *x, const struct httpreq *q, const char *payload, struct sigv4_request *r)
{
	memset(r, 0, sizeof(*r));
	r->method = q->method;
	r->host = q->host;
	r->path = q->path;
	r->path_len = q->path_len;
	r->query = q->query;
	r->nquery = q->nquery;
	r->headers = q->headers;
	r->nheaders = q->nheaders;
	r->payload_hash = payload;
	r->region = x->region;
	r->service = x->service;
	r->creds = &x->cr;
	r->tm = &x->tm;
	r->expires = x->expires;
	/* aws-c-auth runs every case with double URI encoding on (README). */
	r->flags = SIGV4_DOUBLE_ENCODE | SIGV4_AUTHZ_SPACED;
	if (x->normalize)
		r->flags |= SIGV4_NORMALIZE;
	if (x->omit_token)
		r->flags |= SIGV4_OMIT_TOKEN;
}

/* The line of a signed-request file that starts with prefix (without the prefix), or NULL. */
static char *find_line(const char *text, const char *prefix)
{
	const char *p = text;
	size_t pl = strlen(prefix);

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (l >= pl && strncmp(p, prefix, pl) == 0)
			return xstrndup(p + pl, l - pl);
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* The trace against the case's <mode>-canonical-request.txt, -string-to-sign.txt and -signature.txt. */
static void expect_trace_files(const struct suite_case *c, const char *mode, const struct sigv4_trace *tr)
{
	static const char *const files[3] = { "canonical-request", "string-to-sign", "signature" };
	const char *got[3] = { buf_cstr(tr->canonical_request), buf_cstr(tr->string_to_sign), tr->signature };
	char file[64], *want;
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(file, sizeof(file), "%s-%s.txt", mode, files[i]);
		want = case_file(c->dir, file);
		ck_assert_str_eq(got[i], want);
		free(want);
	}
}

/* The line of signed_req that starts with prefix holds got; without such a line got is NULL. */
static void expect_line(const char *signed_req, const char *prefix, const char *got)
{
	char *line = find_line(signed_req, prefix);

	if (line != NULL) {
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, line);
		free(line);
	} else {
		ck_assert_ptr_null(got);
	}
}

START_TEST(v4_header)
{
	const struct suite_case *c = &v4cases[_i];
	struct v4ctx x;
	struct httpreq q;
	struct sigv4_request r;
	struct sigv4_send_headers send;
	struct sigv4_trace tr;
	struct buf creq, sts, authz;
	char payload[65], *text, *signed_req, authz_line[4096];
	enum sigv4_status st;

	load_v4ctx(c, &x);
	text = case_file(c->dir, "request.txt");
	parse_request(text, &q);
	sha256_hex(q.body, q.body_len, payload);
	v4_request(&x, &q, payload, &r);
	if (x.sign_body)
		r.flags |= SIGV4_ADD_CONTENT_SHA256;

	trace_init(&tr, &creq, &sts);
	buf_init(&authz, 1 << 20);
	st = sigv4_sign_headers(&r, &authz, &send, &tr);
	ck_assert_msg(st == SIGV4_OK, "%s: %s", c->name, sigv4_strerror(st));

	expect_trace_files(c, "header", &tr);

	/* The signed request shows the headers to add: Authorization, X-Amz-Date, token, content hash.
	 * The first two are never NULL, so a missing line fails. */
	signed_req = case_file(c->dir, "header-signed-request.txt");
	snprintf(authz_line, sizeof(authz_line), "%s", buf_cstr(&authz));
	expect_line(signed_req, "Authorization:", authz_line);
	expect_line(signed_req, "X-Amz-Date:", send.amz_date);
	expect_line(signed_req, "X-Amz-Security-Token:", send.security_token);
	expect_line(signed_req, "x-amz-content-sha256:", send.content_sha256);
	free(signed_req);

	buf_free(&creq);
	buf_free(&sts);
	buf_free(&authz);
	free_req(&q);
	free(text);
	json_object_put(x.root);
}
END_TEST

START_TEST(v4_query)
{
	const struct suite_case *c = &v4cases[_i];
	struct v4ctx x;
	struct httpreq q;
	struct sigv4_request r;
	struct sigv4_trace tr;
	struct buf creq, sts, url;
	char payload[65], *text, *signed_req, *target;
	const char *got_target, *sp1, *sp2, *nl;
	enum sigv4_status st;

	load_v4ctx(c, &x);
	text = case_file(c->dir, "request.txt");
	parse_request(text, &q);
	/* README: the payload hash stays hex(SHA256(body)), not UNSIGNED-PAYLOAD. */
	sha256_hex(q.body, q.body_len, payload);
	v4_request(&x, &q, payload, &r);

	trace_init(&tr, &creq, &sts);
	buf_init(&url, 1 << 20);
	st = sigv4_presign(&r, &url, &tr);
	ck_assert_msg(st == SIGV4_OK, "%s: %s", c->name, sigv4_strerror(st));

	expect_trace_files(c, "query", &tr);

	/* The URL's target is the signed request's target, parameter order aside. */
	signed_req = case_file(c->dir, "query-signed-request.txt");
	nl = strchr(signed_req, '\n');
	sp1 = strchr(signed_req, ' ');
	sp2 = memrchr(signed_req, ' ', (size_t)(nl - signed_req));
	ck_assert(sp1 && sp2 && sp2 > sp1);
	target = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	got_target = strstr(buf_cstr(&url), "://");
	ck_assert_ptr_nonnull(got_target);
	got_target = strchr(got_target + 3, '/');
	ck_assert_ptr_nonnull(got_target);
	assert_same_target(got_target, target, tr.signature);
	free(target);
	free(signed_req);

	buf_free(&creq);
	buf_free(&sts);
	buf_free(&url);
	free_req(&q);
	free(text);
	json_object_put(x.root);
}
END_TEST

START_TEST(v4_count)
{
	ck_assert_uint_eq(nv4, V4_EXPECTED);
}
END_TEST

/* ---------------------------------------------------------------- s3-doc-examples.json */

static json_object *s3doc_example(size_t i)
{
	return json_object_array_get_idx(jget(s3doc, "examples"), i);
}

START_TEST(s3doc_case)
{
	json_object *common = jget(s3doc, "common"), *ex = s3doc_example((size_t)_i), *req, *exp, *v = NULL;
	struct sigv4_kv hdrs[MAX_ITEMS], qry[MAX_ITEMS];
	struct sigv4_creds cr;
	struct sigv4_request r;
	struct sigv4_trace tr;
	struct sigv4_send_headers send;
	struct buf creq, sts, out, sh;
	const char *kind = jstr(ex, "kind"), *path;
	enum sigv4_status st;

	req = jget(ex, "request");
	exp = jget(ex, "expected");
	cr.access_key_id = jstr(common, "access_key_id");
	cr.secret_access_key = jstr(common, "secret_access_key");
	cr.session_token = NULL;
	memset(&r, 0, sizeof(r));
	r.method = jstr(req, "method");
	r.host = jstr(req, "host");
	path = jstr(req, "path");
	r.path = path;
	r.path_len = strlen(path);
	r.headers = hdrs;
	r.nheaders = jpairs(jget(req, "headers_before_signing"), hdrs, MAX_ITEMS);
	r.query = qry;
	r.nquery = json_object_object_get_ex(req, "query_params_before_signing", &v) ? jpairs(v, qry, MAX_ITEMS) : 0;
	r.payload_hash = jstr(req, "payload_hash");
	r.region = jstr(common, "region");
	r.service = jstr(common, "service");
	r.creds = &cr;
	r.unix_time = S3_TIME;
	r.flags = SIGV4_S3;

	trace_init(&tr, &creq, &sts);
	buf_init(&out, 1 << 20);
	buf_init(&sh, 1 << 20);
	if (strncmp(kind, "query", 5) == 0) {
		r.expires = (unsigned)json_object_get_int(jget(req, "expires_seconds"));
		st = sigv4_presign(&r, &out, &tr);
		ck_assert_msg(st == SIGV4_OK, "%s", sigv4_strerror(st));
		ck_assert_str_eq(buf_cstr(&out), jstr(exp, "presigned_url"));
	} else {
		st = sigv4_sign_headers(&r, &out, &send, &tr);
		ck_assert_msg(st == SIGV4_OK, "%s", sigv4_strerror(st));
		ck_assert_str_eq(buf_cstr(&out), jstr(exp, "authorization"));
		ck_assert_str_eq(send.amz_date, jstr(common, "amz_date"));
		ck_assert_str_eq(send.content_sha256, r.payload_hash);
	}
	ck_assert_str_eq(buf_cstr(&creq), jstr(exp, "canonical_request"));
	ck_assert_str_eq(buf_cstr(&sts), jstr(exp, "string_to_sign"));
	ck_assert_str_eq(tr.signature, jstr(exp, "signature"));
	/* signed_headers is the second-to-last line of the canonical request */
	{
		const char *cq = buf_cstr(&creq), *last = strrchr(cq, '\n'), *prev = last;

		while (prev > cq && prev[-1] != '\n')
			prev--;
		ck_assert_uint_eq((size_t)(last - prev), strlen(jstr(exp, "signed_headers")));
		ck_assert(memcmp(prev, jstr(exp, "signed_headers"), (size_t)(last - prev)) == 0);
	}
	/* The same request through the bare canonicaliser (header examples already list every header). */
	if (strncmp(kind, "header", 6) == 0) {
		ck_assert(sigv4_canonical_request(&r, &out, &sh) == SIGV4_OK);
		ck_assert_str_eq(buf_cstr(&out), jstr(exp, "canonical_request"));
		ck_assert_str_eq(buf_cstr(&sh), jstr(exp, "signed_headers"));
	}
	buf_free(&creq);
	buf_free(&sts);
	buf_free(&out);
	buf_free(&sh);
}
END_TEST

START_TEST(s3doc_signing_key)
{
	json_object *ex = json_object_array_get_idx(jget(s3doc, "signing_key_derivation_examples"), (size_t)_i);
	unsigned char key[SIGV4_KEY_LEN], steps[3][SIGV4_KEY_LEN];
	char hex[65];
	enum sigv4_status st;

	st = sigv4_signing_key(jstr(ex, "secret_access_key"), jstr(ex, "date"), jstr(ex, "region"),
			       jstr(ex, "service"), key, steps);
	ck_assert_msg(st == SIGV4_OK, "%s", sigv4_strerror(st));
	to_hex(steps[0], 32, hex);
	ck_assert_str_eq(hex, jstr(ex, "kDate"));
	to_hex(steps[1], 32, hex);
	ck_assert_str_eq(hex, jstr(ex, "kRegion"));
	to_hex(steps[2], 32, hex);
	ck_assert_str_eq(hex, jstr(ex, "kService"));
	to_hex(key, 32, hex);
	ck_assert_str_eq(hex, jstr(ex, "kSigning"));
	if (strcmp(jstr(ex, "date"), jstr(jget(s3doc, "common"), "date")) == 0)
		ck_assert_str_eq(hex, jstr(jget(s3doc, "common"), "derived_signing_key_hex"));
}
END_TEST

START_TEST(s3doc_count)
{
	ck_assert_uint_eq(ns3doc, S3DOC_EXPECTED);
	ck_assert_uint_eq(ns3key, S3KEY_EXPECTED);
}
END_TEST

/* ---------------------------------------------------------------- s3-presign-put-botocore.json */

START_TEST(boto_case)
{
	json_object *common = jget(boto, "common"), *c = json_object_array_get_idx(jget(boto, "cases"), (size_t)_i);
	json_object *exp = jget(c, "expected");
	struct sigv4_kv hdrs[MAX_ITEMS];
	struct sigv4_creds cr;
	struct sigv4_request r;
	struct sigv4_trace tr;
	struct buf creq, sts, url;
	const char *endpoint = jstr(c, "endpoint"), *colon = strstr(endpoint, "://"), *path = jstr(c, "path_raw");
	char scheme[16];
	enum sigv4_status st;

	ck_assert(colon != NULL && (size_t)(colon - endpoint) < sizeof(scheme));
	memcpy(scheme, endpoint, (size_t)(colon - endpoint));
	scheme[colon - endpoint] = '\0';
	cr.access_key_id = jstr(common, "access_key_id");
	cr.secret_access_key = jstr(common, "secret_access_key");
	cr.session_token = jstr_opt(c, "session_token");
	memset(&r, 0, sizeof(r));
	r.method = jstr(c, "method");
	r.scheme = scheme;
	r.host = jstr(c, "host_header");
	r.path = path;
	r.path_len = strlen(path);
	r.headers = hdrs;
	r.nheaders = jpairs(jget(c, "signed_headers_in"), hdrs, MAX_ITEMS);
	r.payload_hash = jstr(common, "payload_hash");
	r.region = jstr(c, "region");
	r.service = jstr(common, "service");
	r.creds = &cr;
	r.unix_time = S3_TIME;
	r.expires = (unsigned)json_object_get_int(jget(c, "expires"));
	r.flags = SIGV4_S3;

	trace_init(&tr, &creq, &sts);
	buf_init(&url, 1 << 20);
	st = sigv4_presign(&r, &url, &tr);
	ck_assert_msg(st == SIGV4_OK, "%s", sigv4_strerror(st));
	ck_assert_str_eq(buf_cstr(&creq), jstr(exp, "canonical_request"));
	ck_assert_str_eq(buf_cstr(&sts), jstr(exp, "string_to_sign"));
	ck_assert_str_eq(tr.signature, jstr(exp, "signature"));
	/* botocore lists X-Amz-Security-Token after X-Amz-SignedHeaders; this signer sends the sorted
	 * canonical order. Without a token the URLs are byte-identical; with one, equal up to order. */
	if (cr.session_token == NULL)
		ck_assert_str_eq(buf_cstr(&url), jstr(exp, "presigned_url"));
	assert_same_target(buf_cstr(&url), jstr(exp, "presigned_url"), tr.signature);
	/* the unsigned URL is the presigned one minus its query */
	ck_assert(strncmp(buf_cstr(&url), jstr(c, "url_unsigned"), strlen(jstr(c, "url_unsigned"))) == 0);
	ck_assert_int_eq(buf_cstr(&url)[strlen(jstr(c, "url_unsigned"))], '?');
	buf_free(&creq);
	buf_free(&sts);
	buf_free(&url);
}
END_TEST

START_TEST(boto_count)
{
	ck_assert_uint_eq(nboto, BOTO_EXPECTED);
}
END_TEST

/* ---------------------------------------------------------------- hostile S3 keys */

struct path_case {
	const char *raw;
	size_t len;             /* 0: strlen(raw) */
	const char *want;
};

static const struct path_case hostile[] = {
	{ "/temp/a b.png", 0, "/temp/a%20b.png" },
	{ "/temp/sp  ace ", 0, "/temp/sp%20%20ace%20" },
	{ "/temp/h\xc3\xa9llo w\xc3\xb6rld.png", 0, "/temp/h%C3%A9llo%20w%C3%B6rld.png" },
	{ "/temp/\xf0\x9f\x98\x80.png", 0, "/temp/%F0%9F%98%80.png" },
	{ "/temp/\xff\xfe", 0, "/temp/%FF%FE" },
	{ "/temp/a+b.png", 0, "/temp/a%2Bb.png" },
	{ "/temp/k=v&x=y", 0, "/temp/k%3Dv%26x%3Dy" },
	{ "/temp/12:30:00.png", 0, "/temp/12%3A30%3A00.png" },
	{ "/temp//double//slash", 0, "/temp//double//slash" },
	{ "//leading", 0, "//leading" },
	{ "/temp/trailing/", 0, "/temp/trailing/" },
	{ "/temp/100%.png", 0, "/temp/100%25.png" },
	{ "/temp/%41%2F.png", 0, "/temp/%2541%252F.png" },
	{ "/temp/~user-_.name", 0, "/temp/~user-_.name" },
	{ "/temp/./x/../y/..", 0, "/temp/./x/../y/.." },
	{ "/temp/...", 0, "/temp/..." },
	{ "/temp/a?b#c", 0, "/temp/a%3Fb%23c" },
	{ "/temp/back\\slash", 0, "/temp/back%5Cslash" },
	{ "/temp/(1)[2]{3}", 0, "/temp/%281%29%5B2%5D%7B3%7D" },
	{ "/temp/!$'*,;@", 0, "/temp/%21%24%27%2A%2C%3B%40" },
	{ "/temp/\"<>^`|", 0, "/temp/%22%3C%3E%5E%60%7C" },
	{ "/temp/tab\tnl\ncr\r", 0, "/temp/tab%09nl%0Acr%0D" },
	{ "/temp/nul\0x", 11, "/temp/nul%00x" },
	{ "/test$file.text", 0, "/test%24file.text" },
	{ "/", 0, "/" },
	{ "", 0, "/" },
};

START_TEST(hostile_key)
{
	const struct path_case *pc = &hostile[_i];
	size_t len = pc->len ? pc->len : strlen(pc->raw);
	struct sigv4_creds cr = { "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL };
	struct sigv4_kv ct = sigv4_kv_str("Content-Type", "image/png");
	struct sigv4_request r;
	struct sigv4_trace tr;
	struct buf out, creq, url, want_url;
	const char *line2;

	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.host = "bucket.example.r2.cloudflarestorage.com";
	r.path = pc->raw;
	r.path_len = len;
	r.headers = &ct;
	r.nheaders = 1;
	r.region = "auto";
	r.service = "s3";
	r.creds = &cr;
	r.unix_time = S3_TIME;
	r.expires = 900;
	r.flags = SIGV4_S3;
	buf_init(&out, 1 << 16);
	buf_init(&creq, 1 << 16);
	buf_init(&url, 1 << 16);
	buf_init(&want_url, 1 << 16);

	ck_assert(sigv4_canonical_path(&r, &out) == SIGV4_OK);
	ck_assert_str_eq(buf_cstr(&out), pc->want);

	/* The canonical request carries it as line 2, and the URL sends exactly that path. */
	tr.canonical_request = &creq;
	tr.string_to_sign = NULL;
	ck_assert(sigv4_presign(&r, &url, &tr) == SIGV4_OK);
	line2 = strchr(buf_cstr(&creq), '\n') + 1;
	ck_assert(strncmp(line2, pc->want, strlen(pc->want)) == 0 && line2[strlen(pc->want)] == '\n');
	ck_assert(buf_puts(&want_url, "https://bucket.example.r2.cloudflarestorage.com") == 0);
	ck_assert(buf_puts(&want_url, pc->want) == 0 && buf_puts(&want_url, "?") == 0);
	ck_assert(strncmp(buf_cstr(&url), buf_cstr(&want_url), want_url.len) == 0);

	buf_free(&out);
	buf_free(&creq);
	buf_free(&url);
	buf_free(&want_url);
}
END_TEST

/* Generic-service normalisation (SIGV4_GENERIC): dot segments and empty segments go, then double encoding. */
static const struct path_case generic_paths[] = {
	{ "/a/b/../c", 0, "/a/c" },
	{ "/a/./b/", 0, "/a/b/" },
	{ "/../a", 0, "/a" },
	{ "/a/..", 0, "/" },
	{ "/a/b/..", 0, "/a/" },
	{ "/a//b///", 0, "/a/b/" },
	{ "/.", 0, "/" },
	{ "/...", 0, "/..." },
	{ "/a/..b/.c", 0, "/a/..b/.c" },
	{ "/a/%2E%2E/b", 0, "/a/%252E%252E/b" },
	{ "/a%20b", 0, "/a%2520b" },
	{ "", 0, "/" },
};

START_TEST(generic_path)
{
	const struct path_case *pc = &generic_paths[_i];
	struct sigv4_request r;
	struct buf out;

	memset(&r, 0, sizeof(r));
	r.path = pc->raw;
	r.path_len = strlen(pc->raw);
	r.flags = SIGV4_GENERIC;
	buf_init(&out, 1 << 16);
	ck_assert(buf_puts(&out, "prefix") == 0);       /* normalisation must not eat what came before */
	ck_assert(sigv4_canonical_path(&r, &out) == SIGV4_OK);
	ck_assert_str_eq(buf_cstr(&out) + 6, pc->want);
	ck_assert(strncmp(buf_cstr(&out), "prefix", 6) == 0);
	buf_free(&out);
}
END_TEST

/* ---------------------------------------------------------------- unit tests of the pieces */

START_TEST(uri_encode_basic)
{
	struct buf b;
	char big[1000];
	size_t i;

	buf_init(&b, 1 << 16);
	ck_assert(sigv4_uri_encode("a/b c+d=e~-._Z9", 15, 0, &b) == SIGV4_OK);
	ck_assert_str_eq(buf_cstr(&b), "a%2Fb%20c%2Bd%3De~-._Z9");
	buf_reset(&b);
	ck_assert(sigv4_uri_encode("a/b c", 5, 1, &b) == SIGV4_OK);
	ck_assert_str_eq(buf_cstr(&b), "a/b%20c");
	buf_reset(&b);
	ck_assert(sigv4_uri_encode("", 0, 1, &b) == SIGV4_OK);
	ck_assert_str_eq(buf_cstr(&b), "");
	/* longer than the internal chunk: every byte of 0..255 */
	buf_reset(&b);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i & 0xff);
	ck_assert(sigv4_uri_encode(big, sizeof(big), 0, &b) == SIGV4_OK);
	ck_assert(strncmp(buf_cstr(&b), "%00%01%02", 9) == 0);
	ck_assert(strstr(buf_cstr(&b), "%2C-.%2F0123456789%3A") != NULL);
	ck_assert(strstr(buf_cstr(&b), "%FE%FF%00") != NULL);
	buf_free(&b);
	/* a buffer cap is reported, not overrun */
	buf_init(&b, 4);
	ck_assert(sigv4_uri_encode("   ", 3, 0, &b) == SIGV4_ETOOBIG);
	buf_free(&b);
}
END_TEST

static void base_request(struct sigv4_request *r, const struct sigv4_creds *cr)
{
	memset(r, 0, sizeof(*r));
	r->method = "GET";
	r->host = "example.com";
	r->path = "/";
	r->path_len = 1;
	r->region = "us-east-1";
	r->service = "s3";
	r->creds = cr;
	r->unix_time = S3_TIME;
	r->expires = 900;
	r->flags = SIGV4_S3;
}

static const struct sigv4_creds test_creds = { "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL };

/* Line n (0-based) of s, copied. */
static char *nth_line(const char *s, int n)
{
	while (n-- > 0) {
		s = strchr(s, '\n');
		ck_assert_ptr_nonnull(s);
		s++;
	}
	return xstrndup(s, strcspn(s, "\n"));
}

START_TEST(query_canonical_order)
{
	struct sigv4_kv q[] = {
		sigv4_kv_str("b", "2"), sigv4_kv_str("a", "z"), sigv4_kv_str("a", "y"),
		sigv4_kv_str("a b", "+ +"), sigv4_kv_str("c", ""), sigv4_kv_str("A", "x/y"),
		sigv4_kv_str("", "empty-name"), sigv4_kv_str("\xc3\xa9", "~"),
	};
	struct sigv4_request r;
	struct buf creq;
	char *line;

	base_request(&r, &test_creds);
	r.query = q;
	r.nquery = sizeof(q) / sizeof(q[0]);
	buf_init(&creq, 1 << 16);
	ck_assert(sigv4_canonical_request(&r, &creq, NULL) == SIGV4_OK);
	line = nth_line(buf_cstr(&creq), 2);
	ck_assert_str_eq(line, "=empty-name&%C3%A9=~&A=x%2Fy&a=y&a=z&a%20b=%2B%20%2B&b=2&c=");
	free(line);
	buf_free(&creq);
}
END_TEST

/* Regression (found by fuzz_sigv4): only empty query names/values and no headers left the
 * scratch buffer unallocated, and the canonicaliser did arithmetic on its NULL data pointer. */
START_TEST(query_only_empty_pairs)
{
	struct sigv4_kv q[] = { { "", 0, "", 0 }, { NULL, 0, NULL, 0 } };
	struct sigv4_request r;
	struct buf b;

	base_request(&r, &test_creds);
	r.query = q;
	r.nquery = 2;
	buf_init(&b, 1 << 16);
	ck_assert(sigv4_url(&r, &b) == SIGV4_OK);
	ck_assert_str_eq(buf_cstr(&b), "https://example.com/?=&=");
	r.host = NULL;
	ck_assert(sigv4_canonical_request(&r, &b, NULL) == SIGV4_OK);
	ck_assert_str_eq(buf_cstr(&b), "GET\n/\n=&=\n\n\n" SIGV4_EMPTY_SHA256);
	buf_free(&b);
}
END_TEST

START_TEST(header_canonical_forms)
{
	struct sigv4_kv h[] = {
		sigv4_kv_str("X-Multi", "  one  "), sigv4_kv_str("x-multi", "two\t\tthree"),
		sigv4_kv_str("X-Fold", "a\r\n   b\n\tc"), sigv4_kv_str("X-Empty", ""),
		sigv4_kv_str("X-Spaces", "   "), sigv4_kv_str("Content-Type", "image/png"),
		sigv4_kv_str("x-utf8", "caf\xc3\xa9  ok"),
	};
	struct sigv4_request r;
	struct buf creq, sh;
	const char *want =
		"GET\n/\n\n"
		"content-type:image/png\nhost:example.com\nx-empty:\nx-fold:a b c\n"
		"x-multi:one,two three\nx-spaces:\nx-utf8:caf\xc3\xa9 ok\n\n"
		"content-type;host;x-empty;x-fold;x-multi;x-spaces;x-utf8\n" SIGV4_EMPTY_SHA256;

	base_request(&r, &test_creds);
	r.headers = h;
	r.nheaders = sizeof(h) / sizeof(h[0]);
	buf_init(&creq, 1 << 16);
	buf_init(&sh, 1 << 16);
	ck_assert(sigv4_canonical_request(&r, &creq, &sh) == SIGV4_OK);
	ck_assert_str_eq(buf_cstr(&creq), want);
	ck_assert_str_eq(buf_cstr(&sh), "content-type;host;x-empty;x-fold;x-multi;x-spaces;x-utf8");
	buf_free(&creq);
	buf_free(&sh);
}
END_TEST

struct bad_header {
	const char *name, *value;
};

static const struct bad_header bad_headers[] = {
	{ "X-A", "a\nb" },              /* bare LF, not a fold */
	{ "X-A", "a\rb" },
	{ "X-A", "a\r\nb" },            /* CRLF not followed by SP/HTAB */
	{ "X-A", "a\n" },               /* fold with nothing after */
	{ "X-A", "a\x01" },
	{ "X-A", "a\x7f" },
	{ "X A", "v" },
	{ "X:A", "v" },
	{ "", "v" },
	{ "X-\xc3\xa9", "v" },
};

/* A request carrying header h cannot be canonicalised. */
static void expect_header_refused(struct sigv4_kv h)
{
	struct sigv4_request r;
	struct buf creq;

	base_request(&r, &test_creds);
	r.headers = &h;
	r.nheaders = 1;
	buf_init(&creq, 1 << 16);
	ck_assert_int_eq(sigv4_canonical_request(&r, &creq, NULL), SIGV4_EINVAL);
	buf_free(&creq);
}

START_TEST(header_rejects)
{
	expect_header_refused(sigv4_kv_str(bad_headers[_i].name, bad_headers[_i].value));
}
END_TEST

START_TEST(header_nul_rejected)
{
	struct sigv4_kv h = { "X-A", 3, "a\0b", 3 };

	expect_header_refused(h);
}
END_TEST

START_TEST(sign_rejects)
{
	struct sigv4_request r;
	struct sigv4_creds cr = test_creds;
	struct sigv4_kv h, q, many[SIGV4_MAX_HEADERS + 1];
	struct buf out;
	size_t i;

	buf_init(&out, 1 << 16);
	base_request(&r, &test_creds);
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_OK);

	r.expires = 0;
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	ck_assert_uint_eq(out.len, 0);          /* nothing half-built is left */
	r.expires = SIGV4_MAX_EXPIRES + 1;
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	r.expires = SIGV4_MAX_EXPIRES;
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_OK);

	q = sigv4_kv_str("x-amz-signature", "forged");
	r.query = &q;
	r.nquery = 1;
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	r.nquery = 0;

	h = sigv4_kv_str("X-Amz-Date", "20000101T000000Z");       /* contradicts the signing time */
	r.headers = &h;
	r.nheaders = 1;
	ck_assert_int_eq(sigv4_sign_headers(&r, &out, NULL, NULL), SIGV4_EINVAL);
	ck_assert_uint_eq(out.len, 0);          /* "replace" functions leave the buffer empty on error */
	ck_assert(buf_puts(&out, "stale") == 0);
	ck_assert_int_eq(sigv4_canonical_request(&r, &out, NULL), SIGV4_OK);   /* the bare form adds no date */
	h = sigv4_kv_str("X A", "bad name");
	ck_assert_int_eq(sigv4_canonical_request(&r, &out, NULL), SIGV4_EINVAL);
	ck_assert_uint_eq(out.len, 0);
	h = sigv4_kv_str("X-Amz-Date", "20000101T000000Z");
	h = sigv4_kv_str("X-Amz-Date", " 20130524T000000Z ");     /* same value once trimmed */
	ck_assert_int_eq(sigv4_sign_headers(&r, &out, NULL, NULL), SIGV4_OK);
	h = sigv4_kv_str("Host", "other.example.com");
	ck_assert_int_eq(sigv4_sign_headers(&r, &out, NULL, NULL), SIGV4_EINVAL);
	h = sigv4_kv_str("x-amz-content-sha256", SIGV4_EMPTY_SHA256);
	r.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
	ck_assert_int_eq(sigv4_sign_headers(&r, &out, NULL, NULL), SIGV4_EINVAL);
	r.payload_hash = NULL;
	ck_assert_int_eq(sigv4_sign_headers(&r, &out, NULL, NULL), SIGV4_OK);
	r.nheaders = 0;

	for (i = 0; i <= SIGV4_MAX_HEADERS; i++)
		many[i] = sigv4_kv_str("X-Many", "v");
	r.headers = many;
	r.nheaders = SIGV4_MAX_HEADERS + 1;
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_ETOOBIG);
	r.nheaders = 0;

	r.payload_hash = "not a hash";
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	r.payload_hash = "E3B0";
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_OK);      /* keyword-shaped: allowed */
	r.payload_hash = "e3b0";
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);  /* short hex */
	r.payload_hash = NULL;

	r.region = "us-east-1/x";
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	r.region = "";
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	r.region = "us-east-1";
	r.service = NULL;
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	r.service = "s3";
	r.scheme = "ftp";
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	r.scheme = "http";
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_OK);
	ck_assert(strncmp(buf_cstr(&out), "http://example.com/?", 20) == 0);
	r.host = "exa mple.com";
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	r.host = NULL;
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	r.host = "example.com";
	r.path = "relative";
	r.path_len = 8;
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	r.path = "/a?b";
	r.path_len = 4;
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_OK);      /* S3: '?' is part of the key */
	r.flags = SIGV4_GENERIC;
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);  /* generic: wire form cannot hold '?' */
	r.flags = SIGV4_S3;
	r.path = "/";
	r.path_len = 1;
	r.method = "GE T";
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	r.method = "GET";

	r.creds = NULL;
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	r.creds = &cr;
	cr.access_key_id = "AKID/with/slash";
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	cr.access_key_id = test_creds.access_key_id;
	cr.secret_access_key = "";
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	cr.secret_access_key = test_creds.secret_access_key;
	cr.session_token = "tok\nen";
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	cr.session_token = NULL;

	r.unix_time = 253402300800LL;           /* year 10000 */
	ck_assert_int_eq(sigv4_presign(&r, &out, NULL), SIGV4_EINVAL);
	buf_free(&out);
}
END_TEST

START_TEST(time_forms_agree)
{
	struct sigv4_request r;
	struct sigv4_trace a, b;
	struct buf u1, u2;
	struct tm tm;
	char d[SIGV4_AMZ_DATE_LEN + 1];

	base_request(&r, &test_creds);
	buf_init(&u1, 1 << 16);
	buf_init(&u2, 1 << 16);
	a.canonical_request = a.string_to_sign = NULL;
	b = a;
	ck_assert(sigv4_amz_date(&r, d) == SIGV4_OK);
	ck_assert_str_eq(d, "20130524T000000Z");
	ck_assert(sigv4_presign(&r, &u1, &a) == SIGV4_OK);
	parse_iso("2013-05-24T00:00:00Z", &tm);
	r.tm = &tm;
	r.unix_time = 0;                        /* ignored when tm is set */
	ck_assert(sigv4_presign(&r, &u2, &b) == SIGV4_OK);
	ck_assert_str_eq(buf_cstr(&u1), buf_cstr(&u2));
	ck_assert_str_eq(a.signature, b.signature);
	tm.tm_mon = 12;
	ck_assert(sigv4_presign(&r, &u2, &b) == SIGV4_EINVAL);
	buf_free(&u1);
	buf_free(&u2);
}
END_TEST

START_TEST(presign_omit_token)
{
	struct sigv4_creds cr = test_creds;
	struct sigv4_request r;
	struct sigv4_trace tr;
	struct buf url, creq;
	const char *u;

	cr.session_token = "tok/en+=";
	base_request(&r, &cr);
	buf_init(&url, 1 << 16);
	buf_init(&creq, 1 << 16);
	tr.canonical_request = &creq;
	tr.string_to_sign = NULL;
	r.flags |= SIGV4_OMIT_TOKEN;
	ck_assert(sigv4_presign(&r, &url, &tr) == SIGV4_OK);
	ck_assert_ptr_null(strstr(buf_cstr(&creq), "Security-Token"));
	u = strstr(buf_cstr(&url), "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-Signature=");
	ck_assert_ptr_nonnull(u);
	r.flags &= ~SIGV4_OMIT_TOKEN;
	ck_assert(sigv4_presign(&r, &url, &tr) == SIGV4_OK);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&creq), "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-SignedHeaders=host\n"));
	buf_free(&url);
	buf_free(&creq);
}
END_TEST

START_TEST(url_and_pieces)
{
	struct sigv4_kv q[] = { sigv4_kv_str("prefix", "temp/a b"), sigv4_kv_str("list-type", "2") };
	struct sigv4_request r;
	struct buf b;
	unsigned char key[SIGV4_KEY_LEN];
	char sig[SIGV4_HEX_LEN + 1];

	base_request(&r, &test_creds);
	r.path = "/bucket";
	r.path_len = 7;
	r.query = q;
	r.nquery = 2;
	buf_init(&b, 1 << 16);
	ck_assert(sigv4_url(&r, &b) == SIGV4_OK);
	ck_assert_str_eq(buf_cstr(&b), "https://example.com/bucket?list-type=2&prefix=temp%2Fa%20b");
	r.nquery = 0;
	ck_assert(sigv4_url(&r, &b) == SIGV4_OK);
	ck_assert_str_eq(buf_cstr(&b), "https://example.com/bucket");

	/* The separate pieces reproduce the S3 doc GET Object example. */
	ck_assert(sigv4_string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request",
				       "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
				       "x-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\nx-amz-date:20130524T000000Z\n\n"
				       "host;range;x-amz-content-sha256;x-amz-date\n" SIGV4_EMPTY_SHA256,
				       strlen("GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
					      "x-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\nx-amz-date:20130524T000000Z\n\n"
					      "host;range;x-amz-content-sha256;x-amz-date\n" SIGV4_EMPTY_SHA256),
				       &b) == SIGV4_OK);
	ck_assert(sigv4_signing_key(test_creds.secret_access_key, "20130524", "us-east-1", "s3", key, NULL) == SIGV4_OK);
	ck_assert(sigv4_signature(key, b.data, b.len, sig) == SIGV4_OK);
	ck_assert_str_eq(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	ck_assert(sigv4_signing_key(test_creds.secret_access_key, "2013052x", "us-east-1", "s3", key, NULL) ==
		  SIGV4_EINVAL);
	ck_assert_str_eq(sigv4_strerror(SIGV4_ETOOBIG), "signing input too large");
	buf_free(&b);
}
END_TEST

/* ---------------------------------------------------------------- suites */

/* A tcase of s, named after vector case i, running test t for that case only. */
static TCase *add_case(Suite *s, const char *name, const TTest *t, size_t i)
{
	TCase *tc = tcase_create(name);

	tcase_add_loop_test(tc, t, (int)i, (int)i + 1);
	suite_add_tcase(s, tc);
	return tc;
}

/* The tcase "case-count" of s: count checks that every case of the suite was found. */
static void add_count(Suite *s, const TTest *count)
{
	TCase *tc = tcase_create("case-count");

	tcase_add_test(tc, count);
	suite_add_tcase(s, tc);
}

static Suite *classic_suite(void)
{
	Suite *s = suite_create("aws4_testsuite");
	size_t i;

	for (i = 0; i < nclassic; i++)
		add_case(s, classic[i].name, classic_case, i);
	add_count(s, classic_count);
	return s;
}

static Suite *v4_suite(void)
{
	Suite *s = suite_create("aws-signing-test-suite/v4");
	size_t i;

	for (i = 0; i < nv4; i++)
		tcase_add_loop_test(add_case(s, v4cases[i].name, v4_header, i), v4_query, (int)i, (int)i + 1);
	add_count(s, v4_count);
	return s;
}

static Suite *s3doc_suite(void)
{
	Suite *s = suite_create("s3-doc-examples");
	json_object *ex_arr = NULL, *key_arr = NULL;
	size_t i;

	/* no ck_* calls here: Check allows them only inside a running test */
	json_object_object_get_ex(s3doc, "examples", &ex_arr);
	json_object_object_get_ex(s3doc, "signing_key_derivation_examples", &key_arr);

	for (i = 0; i < ns3doc; i++)
		add_case(s, name_or(jstr_opt(json_object_array_get_idx(ex_arr, i), "id"), "example"), s3doc_case, i);
	for (i = 0; i < ns3key; i++)
		add_case(s, name_or(jstr_opt(json_object_array_get_idx(key_arr, i), "id"), "signing-key"),
			 s3doc_signing_key, i);
	add_count(s, s3doc_count);
	return s;
}

static Suite *boto_suite(void)
{
	Suite *s = suite_create("s3-presign-put-botocore");
	json_object *arr = NULL;
	size_t i;

	json_object_object_get_ex(boto, "cases", &arr);
	for (i = 0; i < nboto; i++)
		add_case(s, name_or(jstr_opt(json_object_array_get_idx(arr, i), "id"), "case"), boto_case, i);
	add_count(s, boto_count);
	return s;
}

static Suite *units_suite(void)
{
	Suite *s = suite_create("sigv4-units");
	TCase *tc;

	tc = tcase_create("s3-hostile-keys");
	tcase_add_loop_test(tc, hostile_key, 0, (int)(sizeof(hostile) / sizeof(hostile[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("generic-normalize");
	tcase_add_loop_test(tc, generic_path, 0, (int)(sizeof(generic_paths) / sizeof(generic_paths[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("canonical-forms");
	tcase_add_test(tc, uri_encode_basic);
	tcase_add_test(tc, query_canonical_order);
	tcase_add_test(tc, query_only_empty_pairs);
	tcase_add_test(tc, header_canonical_forms);
	tcase_add_loop_test(tc, header_rejects, 0, (int)(sizeof(bad_headers) / sizeof(bad_headers[0])));
	tcase_add_test(tc, header_nul_rejected);
	suite_add_tcase(s, tc);
	tc = tcase_create("signing");
	tcase_add_test(tc, sign_rejects);
	tcase_add_test(tc, time_forms_agree);
	tcase_add_test(tc, presign_omit_token);
	tcase_add_test(tc, url_and_pieces);
	suite_add_tcase(s, tc);
	return s;
}

/* ---------------------------------------------------------------- loading */

static int load_all(void)
{
	char path[PATHBUF], *readme, *t;
	size_t l;

	snprintf(path, sizeof(path), "%s/aws4_testsuite", g_dir);
	find_classic(path, "", 0);
	qsort(classic, nclassic, sizeof(classic[0]), cmp_case);
	snprintf(path, sizeof(path), "%s/aws-signing-test-suite/v4", g_dir);
	find_v4(path);
	qsort(v4cases, nv4, sizeof(v4cases[0]), cmp_case);

	snprintf(path, sizeof(path), "%s/s3-doc-examples.json", g_dir);
	if ((s3doc = json_object_from_file(path)) == NULL) {
		fprintf(stderr, "test_sigv4: cannot load %s\n", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/s3-presign-put-botocore.json", g_dir);
	if ((boto = json_object_from_file(path)) == NULL) {
		fprintf(stderr, "test_sigv4: cannot load %s\n", path);
		return -1;
	}
	{
		json_object *v;

		ns3doc = json_object_object_get_ex(s3doc, "examples", &v) ? json_object_array_length(v) : 0;
		ns3key = json_object_object_get_ex(s3doc, "signing_key_derivation_examples", &v) ?
			 json_object_array_length(v) : 0;
		nboto = json_object_object_get_ex(boto, "cases", &v) ? json_object_array_length(v) : 0;
	}

	/* The post-sts-* token: the line of readme.txt that starts with it. */
	snprintf(path, sizeof(path), "%s/aws4_testsuite/post-sts-token/readme.txt", g_dir);
	if ((readme = file_read_all(path, SIZE_MAX, NULL)) == NULL || (t = strstr(readme, "AQoDYXdz")) == NULL) {
		fprintf(stderr, "test_sigv4: no session token in %s\n", path);
		free(readme);
		return -1;
	}
	l = strcspn(t, " \r\n");
	if ((sts_token = malloc(l + 1)) == NULL) {
		free(readme);
		return -1;
	}
	memcpy(sts_token, t, l);
	sts_token[l] = '\0';
	free(readme);
	if (nclassic == 0 || nv4 == 0 || ns3doc == 0 || nboto == 0) {
		fprintf(stderr, "test_sigv4: vectors missing under %s (classic %zu, v4 %zu, s3doc %zu, boto %zu)\n",
			g_dir, nclassic, nv4, ns3doc, nboto);
		return -1;
	}
	return 0;
}

int main(void)
{
	static const char *const suite_names[] = {
		"aws4_testsuite", "aws-signing-test-suite/v4", "s3-doc-examples", "s3-presign-put-botocore",
		"sigv4-units (hostile S3 keys, normalisation, canonical forms, refusals)"
	};
	Suite *suites[5];
	size_t i;
	int failed = 0, total = 0;

	/* 64 bytes spare for the names appended to it. */
	if (tu_shared_path("test_sigv4", SIGV4_REL, g_dir, sizeof(g_dir) - 64) != 0)
		return EXIT_FAILURE;
	if (load_all() != 0) {
		json_object_put(s3doc);
		json_object_put(boto);
		free(sts_token);
		return EXIT_FAILURE;
	}
	printf("test_sigv4: vectors from %s: aws4_testsuite %zu, aws-signing-test-suite/v4 %zu, "
	       "s3-doc-examples %zu + %zu keys, s3-presign-put-botocore %zu\n",
	       g_dir, nclassic, nv4, ns3doc, ns3key, nboto);
	fflush(stdout);

	suites[0] = classic_suite();
	suites[1] = v4_suite();
	suites[2] = s3doc_suite();
	suites[3] = boto_suite();
	suites[4] = units_suite();
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		SRunner *sr = srunner_create(suites[i]);

		printf("== %s\n", suite_names[i]);
		fflush(stdout);
		srunner_run_all(sr, CK_ENV);
		failed += srunner_ntests_failed(sr);
		total += srunner_ntests_run(sr);
		srunner_free(sr);
	}
	printf("test_sigv4: %d checks in all, %d failed\n", total, failed);
	json_object_put(s3doc);
	json_object_put(boto);
	free(sts_token);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
