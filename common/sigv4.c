/* sigv4.c: AWS Signature Version 4 canonical forms, signing keys, header signing and presigned URLs (see sigv4.h). */
#include "sigv4.h"
#include "hex.h"
#include "pctenc.h"

#include <string.h>
#include <strings.h>

#include "hmac.h"

#include <openssl/crypto.h>

#define ALGORITHM        "AWS4-HMAC-SHA256"
#define SCOPE_TERM       "aws4_request"
#define MAX_AKID         128
#define MAX_HOST         255
#define MAX_METHOD       32
#define SCOPE_MAX        (8 + 1 + SIGV4_MAX_NAME + 1 + SIGV4_MAX_NAME + 1 + sizeof(SCOPE_TERM) - 1)
#define STS_MAX          (sizeof(ALGORITHM) + SIGV4_AMZ_DATE_LEN + 1 + SCOPE_MAX + 1 + SIGV4_HEX_LEN)
#define CRED_MAX         (MAX_AKID + 1 + SCOPE_MAX)

/* ---------------------------------------------------------------- crypto */

/* HMAC-SHA256 and SHA-256 without OpenSSL's provider tables (hmac.h): nothing to allocate. */
static int hmac(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[SIGV4_KEY_LEN])
{
	hmac_sha256(key, klen, msg, mlen, out);
	return 0;
}

static int sha256(const void *msg, size_t len, unsigned char out[SIGV4_KEY_LEN])
{
	sha256_digest(msg, len, out);
	return 0;
}

static void hex32(const unsigned char in[SIGV4_KEY_LEN], char out[SIGV4_HEX_LEN + 1])
{
	hex_encode(in, SIGV4_KEY_LEN, out);
}

/* kSigning; intermediates are cleansed here, key by the caller. */
static int derive_key(const char *secret, size_t slen, const char *date8, const char *region,
		      const char *service, unsigned char key[SIGV4_KEY_LEN], unsigned char steps[3][SIGV4_KEY_LEN])
{
	unsigned char ksecret[4 + SIGV4_MAX_SECRET];
	unsigned char k1[SIGV4_KEY_LEN], k2[SIGV4_KEY_LEN], k3[SIGV4_KEY_LEN];
	int rc = -1;

	memcpy(ksecret, "AWS4", 4);
	memcpy(ksecret + 4, secret, slen);
	if (hmac(ksecret, 4 + slen, date8, 8, k1) != 0 ||
	    hmac(k1, sizeof(k1), region, strlen(region), k2) != 0 ||
	    hmac(k2, sizeof(k2), service, strlen(service), k3) != 0 ||
	    hmac(k3, sizeof(k3), SCOPE_TERM, sizeof(SCOPE_TERM) - 1, key) != 0)
		goto out;
	if (steps != NULL) {
		memcpy(steps[0], k1, SIGV4_KEY_LEN);
		memcpy(steps[1], k2, SIGV4_KEY_LEN);
		memcpy(steps[2], k3, SIGV4_KEY_LEN);
	}
	rc = 0;
out:
	if (rc != 0)
		OPENSSL_cleanse(key, SIGV4_KEY_LEN);
	OPENSSL_cleanse(ksecret, 4 + slen);
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(k3, sizeof(k3));
	return rc;
}

/* ---------------------------------------------------------------- validation */

/* 1 for the RFC 3986 unreserved bytes ALPHA / DIGIT / "-" / "." / "_" / "~" (a table: the encoder's hot path). */
#define U1(c)  [(c)] = 1
#define U5(c)  U1(c), U1((c) + 1), U1((c) + 2), U1((c) + 3), U1((c) + 4)
#define U10(c) U5(c), U5((c) + 5)
#define U26(c) U10(c), U10((c) + 10), U5((c) + 20), U1((c) + 25)
static const unsigned char unreserved_tab[256] = {
	U10('0'), U26('A'), U26('a'), U1('-'), U1('.'), U1('_'), U1('~')
};
#undef U1
#undef U5
#undef U10
#undef U26

static int is_unreserved(unsigned char c)
{
	return unreserved_tab[c];
}

static int is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Region/service: 1..SIGV4_MAX_NAME of [A-Za-z0-9._-]. */
static int valid_scope_name(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= SIGV4_MAX_NAME || !(is_unreserved(c) && c != '~'))
			return 0;
	}
	return 1;
}

static int valid_akid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= MAX_AKID || c <= 0x20 || c >= 0x7f || c == '/' || c == ',')
			return 0;
	}
	return 1;
}

static int valid_host(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= MAX_HOST || c <= 0x20 || c >= 0x7f || c == '/' || c == '?' || c == '#' ||
		    c == '\\' || c == '@')
			return 0;
	}
	return 1;
}

static int valid_method(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i]; i++)
		if (i >= MAX_METHOD || !is_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* 64 lowercase hex digits, or a keyword such as UNSIGNED-PAYLOAD: 1..64 of [A-Z0-9-]. */
static int valid_payload_hash(const char *s)
{
	size_t i, hex = 0, kw = 0;

	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= SIGV4_HEX_LEN)
			return 0;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
			hex++;
		if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')
			kw++;
	}
	return i > 0 && ((i == SIGV4_HEX_LEN && hex == i) || kw == i);
}

static int valid_creds(const struct sigv4_creds *c)
{
	size_t slen;

	if (c == NULL || !valid_akid(c->access_key_id) || c->secret_access_key == NULL)
		return 0;
	slen = strlen(c->secret_access_key);
	if (slen == 0 || slen > SIGV4_MAX_SECRET)
		return 0;
	if (c->session_token != NULL) {
		const unsigned char *t = (const unsigned char *)c->session_token;

		if (*t == '\0')
			return 0;
		for (; *t; t++)
			if (is_ctl(*t) || *t == ' ')
				return 0;
	}
	return 1;
}

/* ---------------------------------------------------------------- small buffer helpers */

static enum sigv4_status put(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) != 0)
		return n > b->max || b->len > b->max - n ? SIGV4_ETOOBIG : SIGV4_ENOMEM;
	return SIGV4_OK;
}

static enum sigv4_status puts_(struct buf *b, const char *s)
{
	return put(b, s, strlen(s));
}

/* Shorten b to n bytes (n <= b->len), keeping it NUL-terminated. */
static void truncate_to(struct buf *b, size_t n)
{
	if (b->data != NULL && n <= b->len) {
		b->len = n;
		b->data[n] = '\0';
	}
}

/* ---------------------------------------------------------------- URI encoding and paths */

const char *sigv4_strerror(enum sigv4_status st)
{
	switch (st) {
	case SIGV4_OK:      return "ok";
	case SIGV4_EINVAL:  return "invalid signing input";
	case SIGV4_ETOOBIG: return "signing input too large";
	case SIGV4_ENOMEM:  return "out of memory";
	case SIGV4_ECRYPTO: return "crypto failure";
	}
	return "unknown sigv4 error";
}

enum sigv4_status sigv4_uri_encode(const char *s, size_t len, int keep_slash, struct buf *out)
{
	if (s == NULL && len > 0)
		return SIGV4_EINVAL;
	/* AWS's UriEncode is RFC 3986's with upper-case hex: the shared encoder's unreserved set */
	switch (pct_encode_buf(out, s, len, keep_slash ? PCT_PATH : PCT_UNRESERVED, 0)) {
	case 0: return SIGV4_OK;
	case -2: return SIGV4_ETOOBIG;
	default: return SIGV4_ENOMEM;
	}
}

static int seg_is(const char *p, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(p, lit, n) == 0;
}

/* Remove empty, "." and ".." segments while encoding each remaining segment (generic services). */
static enum sigv4_status normalized_path(const char *p, size_t len, struct buf *out)
{
	size_t base = out->len, i = 0, start, n;
	int trailing = 0;
	enum sigv4_status st;

	while (i < len) {
		while (i < len && p[i] == '/')
			i++;
		start = i;
		while (i < len && p[i] != '/')
			i++;
		n = i - start;
		trailing = 0;
		if (n == 0) {
			trailing = 1;           /* path ended with '/' */
		} else if (seg_is(p + start, n, ".")) {
			trailing = 1;
		} else if (seg_is(p + start, n, "..")) {
			size_t k = out->len;

			while (k > base && out->data[k - 1] != '/')
				k--;
			truncate_to(out, k > base ? k - 1 : base);
			trailing = 1;
		} else {
			if ((st = put(out, "/", 1)) != SIGV4_OK ||
			    (st = sigv4_uri_encode(p + start, n, 0, out)) != SIGV4_OK)
				return st;
		}
	}
	if (out->len == base || trailing)
		return put(out, "/", 1);
	return SIGV4_OK;
}

static enum sigv4_status check_path(const struct sigv4_request *r)
{
	size_t i;

	if (r->path == NULL || r->path_len == 0)
		return SIGV4_OK;
	if (r->path[0] != '/')
		return SIGV4_EINVAL;
	if (r->flags & SIGV4_DOUBLE_ENCODE) {
		/* The wire form goes into URLs verbatim: it cannot hold a query, a fragment or controls. */
		for (i = 0; i < r->path_len; i++) {
			unsigned char c = (unsigned char)r->path[i];

			if (is_ctl(c) || c == '?' || c == '#')
				return SIGV4_EINVAL;
		}
	}
	return SIGV4_OK;
}

enum sigv4_status sigv4_canonical_path(const struct sigv4_request *r, struct buf *out)
{
	enum sigv4_status st;

	if ((st = check_path(r)) != SIGV4_OK)
		return st;
	if (r->path == NULL || r->path_len == 0)
		return put(out, "/", 1);
	if (r->flags & SIGV4_NORMALIZE)
		return normalized_path(r->path, r->path_len, out);
	return sigv4_uri_encode(r->path, r->path_len, 1, out);
}

/* The path as it goes on the wire: S3 encodes the raw path once; generic sends it verbatim. */
static enum sigv4_status wire_path(const struct sigv4_request *r, struct buf *out)
{
	enum sigv4_status st;

	if ((st = check_path(r)) != SIGV4_OK)
		return st;
	if (r->path == NULL || r->path_len == 0)
		return put(out, "/", 1);
	if (r->flags & SIGV4_DOUBLE_ENCODE)
		return put(out, r->path, r->path_len);
	return sigv4_uri_encode(r->path, r->path_len, 1, out);
}

/* ---------------------------------------------------------------- time and scope */

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

enum sigv4_status sigv4_amz_date(const struct sigv4_request *r, char out[SIGV4_AMZ_DATE_LEN + 1])
{
	struct tm tmv;
	const struct tm *t = r->tm;
	int year;

	if (t == NULL) {
		time_t tt = (time_t)r->unix_time;

		if ((long long)tt != r->unix_time || gmtime_r(&tt, &tmv) == NULL)
			return SIGV4_EINVAL;
		t = &tmv;
	}
	if (t->tm_year < -1900 || t->tm_year > 9999 - 1900 || t->tm_mon < 0 || t->tm_mon > 11 || t->tm_mday < 1 ||
	    t->tm_mday > 31 || t->tm_hour < 0 || t->tm_hour > 23 || t->tm_min < 0 || t->tm_min > 59 ||
	    t->tm_sec < 0 || t->tm_sec > 60)
		return SIGV4_EINVAL;
	year = t->tm_year + 1900;
	put2(out, year / 100);
	put2(out + 2, year % 100);
	put2(out + 4, t->tm_mon + 1);
	put2(out + 6, t->tm_mday);
	out[8] = 'T';
	put2(out + 9, t->tm_hour);
	put2(out + 11, t->tm_min);
	put2(out + 13, t->tm_sec);
	out[15] = 'Z';
	out[16] = '\0';
	return SIGV4_OK;
}

/* "<date8>/<region>/<service>/aws4_request" into scope[SCOPE_MAX + 1]; inputs already validated. */
static void make_scope(const char *amz_date, const char *region, const char *service, char *scope)
{
	size_t n = 0, l;

	memcpy(scope, amz_date, 8);
	n = 8;
	scope[n++] = '/';
	l = strlen(region);
	memcpy(scope + n, region, l);
	n += l;
	scope[n++] = '/';
	l = strlen(service);
	memcpy(scope + n, service, l);
	n += l;
	scope[n++] = '/';
	memcpy(scope + n, SCOPE_TERM, sizeof(SCOPE_TERM));
}

/* ---------------------------------------------------------------- canonical headers and query */

/* One header or query parameter; name and value live in canon.scratch at these offsets. */
struct ent {
	size_t noff, nlen;
	size_t voff, vlen;
};

struct canon {
	struct buf scratch;     /* lowercase header names, canonical values, encoded query parts */
	struct buf sh;          /* signed-headers list "a;b;c" */
	struct ent hdr[SIGV4_MAX_HEADERS];
	size_t nhdr;
	struct ent qry[SIGV4_MAX_QUERY];
	size_t nqry;
};

static void canon_init(struct canon *c)
{
	buf_init(&c->scratch, SIGV4_MAX_OUTPUT);
	buf_init(&c->sh, SIGV4_MAX_OUTPUT);
	c->nhdr = c->nqry = 0;
}

static void canon_free(struct canon *c)
{
	buf_free(&c->scratch);
	buf_free(&c->sh);
}

/* Append the canonical form of a header value: trimmed, whitespace runs (SP, HTAB, obs-fold) as one SP. */
static enum sigv4_status put_header_value(struct buf *out, const char *v, size_t n)
{
	char chunk[256];
	size_t i, k = 0, written = 0;
	int pending = 0;
	enum sigv4_status st;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == ' ' || c == '\t') {
			pending = 1;
			continue;
		}
		if (c == '\r' && i + 2 < n && v[i + 1] == '\n' && (v[i + 2] == ' ' || v[i + 2] == '\t')) {
			pending = 1;
			i++;            /* the SP/HTAB after LF is handled on the next turn */
			continue;
		}
		if (c == '\n' && i + 1 < n && (v[i + 1] == ' ' || v[i + 1] == '\t')) {
			pending = 1;
			continue;
		}
		if (is_ctl(c))
			return SIGV4_EINVAL;
		if (k + 2 > sizeof(chunk)) {
			if ((st = put(out, chunk, k)) != SIGV4_OK)
				return st;
			written += k;
			k = 0;
		}
		if (pending && written + k > 0)
			chunk[k++] = ' ';
		pending = 0;
		chunk[k++] = (char)c;
	}
	return k ? put(out, chunk, k) : SIGV4_OK;
}

static enum sigv4_status add_header(struct canon *c, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct ent *e;
	char lower[64];
	size_t i, k;
	enum sigv4_status st;

	if (c->nhdr >= SIGV4_MAX_HEADERS)
		return SIGV4_ETOOBIG;
	if (name == NULL || nlen == 0 || (value == NULL && vlen > 0))
		return SIGV4_EINVAL;
	e = &c->hdr[c->nhdr];
	e->noff = c->scratch.len;
	for (i = 0; i < nlen; i += k) {
		for (k = 0; k < sizeof(lower) && i + k < nlen; k++) {
			unsigned char ch = (unsigned char)name[i + k];

			if (!is_tchar(ch))
				return SIGV4_EINVAL;
			lower[k] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		if ((st = put(&c->scratch, lower, k)) != SIGV4_OK)
			return st;
	}
	e->nlen = nlen;
	e->voff = c->scratch.len;
	if ((st = put_header_value(&c->scratch, value, vlen)) != SIGV4_OK)
		return st;
	e->vlen = c->scratch.len - e->voff;
	c->nhdr++;
	return SIGV4_OK;
}

/* Make sure header lname (lowercase) is signed with value: add it, or check every copy already given. */
static enum sigv4_status ensure_header(struct canon *c, const char *lname, const char *value)
{
	size_t i, nl = strlen(lname), vl = strlen(value);
	int found = 0;

	for (i = 0; i < c->nhdr; i++) {
		const struct ent *e = &c->hdr[i];

		if (e->nlen != nl || memcmp(buf_cstr(&c->scratch) + e->noff, lname, nl) != 0)
			continue;
		if (e->vlen != vl || memcmp(buf_cstr(&c->scratch) + e->voff, value, vl) != 0)
			return SIGV4_EINVAL;
		found = 1;
	}
	return found ? SIGV4_OK : add_header(c, lname, nl, value, vl);
}

/* Byte order of (a, alen) against (b, blen); a proper prefix sorts first. */
static int bytecmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int d = memcmp(a, b, alen < blen ? alen : blen);

	if (d != 0)
		return d;
	return alen < blen ? -1 : alen > blen;
}

/* Stable insertion sort by name (and value when by_value); arrays are small and capped. */
static void sort_ents(struct ent *v, size_t n, const char *base, int by_value)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		struct ent x = v[i];

		for (j = i; j > 0; j--) {
			const struct ent *y = &v[j - 1];
			int d = bytecmp(base + y->noff, y->nlen, base + x.noff, x.nlen);

			if (d == 0 && by_value)
				d = bytecmp(base + y->voff, y->vlen, base + x.voff, x.vlen);
			if (d <= 0)
				break;
			v[j] = v[j - 1];
		}
		v[j] = x;
	}
}

/* Sort the headers and build the signed-headers list. */
static enum sigv4_status finish_headers(struct canon *c)
{
	const char *base = buf_cstr(&c->scratch);   /* "" while nothing is stored */
	size_t i;
	enum sigv4_status st;

	buf_reset(&c->sh);
	if (c->nhdr == 0)
		return SIGV4_OK;
	sort_ents(c->hdr, c->nhdr, base, 0);
	for (i = 0; i < c->nhdr; i++) {
		const struct ent *e = &c->hdr[i];

		if (i > 0 && bytecmp(base + e->noff, e->nlen, base + c->hdr[i - 1].noff, c->hdr[i - 1].nlen) == 0)
			continue;
		if ((i > 0 && (st = put(&c->sh, ";", 1)) != SIGV4_OK) ||
		    (st = put(&c->sh, base + e->noff, e->nlen)) != SIGV4_OK)
			return st;
	}
	return SIGV4_OK;
}

/* Append "name:v1,v2\n" per distinct name (headers sorted). */
static enum sigv4_status put_canonical_headers(const struct canon *c, struct buf *out)
{
	const char *base = buf_cstr(&c->scratch);   /* "" while nothing is stored */
	size_t i;
	enum sigv4_status st;

	for (i = 0; i < c->nhdr; i++) {
		const struct ent *e = &c->hdr[i];
		int same = i > 0 && bytecmp(base + e->noff, e->nlen, base + c->hdr[i - 1].noff,
					    c->hdr[i - 1].nlen) == 0;

		if (same) {
			st = put(out, ",", 1);
		} else {
			if (i > 0 && (st = put(out, "\n", 1)) != SIGV4_OK)
				return st;
			if ((st = put(out, base + e->noff, e->nlen)) == SIGV4_OK)
				st = put(out, ":", 1);
		}
		if (st != SIGV4_OK || (st = put(out, base + e->voff, e->vlen)) != SIGV4_OK)
			return st;
	}
	return c->nhdr ? put(out, "\n", 1) : SIGV4_OK;
}

static enum sigv4_status add_query(struct canon *c, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct ent *e;
	enum sigv4_status st;

	if (c->nqry >= SIGV4_MAX_QUERY)
		return SIGV4_ETOOBIG;
	if ((name == NULL && nlen > 0) || (value == NULL && vlen > 0))
		return SIGV4_EINVAL;
	e = &c->qry[c->nqry];
	e->noff = c->scratch.len;
	if ((st = sigv4_uri_encode(name, nlen, 0, &c->scratch)) != SIGV4_OK)
		return st;
	e->nlen = c->scratch.len - e->noff;
	e->voff = c->scratch.len;
	if ((st = sigv4_uri_encode(value, vlen, 0, &c->scratch)) != SIGV4_OK)
		return st;
	e->vlen = c->scratch.len - e->voff;
	c->nqry++;
	return SIGV4_OK;
}

static enum sigv4_status add_query_str(struct canon *c, const char *name, const char *value)
{
	return add_query(c, name, strlen(name), value, strlen(value));
}

/* Append "n1=v1&n2=v2" in canonical order (sorts c->qry). */
static enum sigv4_status put_canonical_query(struct canon *c, struct buf *out)
{
	const char *base = buf_cstr(&c->scratch);   /* "" while nothing is stored */
	size_t i;
	enum sigv4_status st;

	sort_ents(c->qry, c->nqry, base, 1);
	for (i = 0; i < c->nqry; i++) {
		const struct ent *e = &c->qry[i];

		if ((i > 0 && (st = put(out, "&", 1)) != SIGV4_OK) ||
		    (st = put(out, base + e->noff, e->nlen)) != SIGV4_OK ||
		    (st = put(out, "=", 1)) != SIGV4_OK ||
		    (st = put(out, base + e->voff, e->vlen)) != SIGV4_OK)
			return st;
	}
	return SIGV4_OK;
}

/* Parameters a presign adds itself; the caller must not pass them (any case). */
static int is_auth_param(const char *name, size_t n)
{
	static const char *const names[] = {
		"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
		"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], name, n) == 0)
			return 1;
	return 0;
}

static enum sigv4_status add_caller_headers(struct canon *c, const struct sigv4_request *r)
{
	size_t i;
	enum sigv4_status st;

	if (r->nheaders > 0 && r->headers == NULL)
		return SIGV4_EINVAL;
	for (i = 0; i < r->nheaders; i++) {
		const struct sigv4_kv *h = &r->headers[i];

		if ((st = add_header(c, h->name, h->name_len, h->value, h->value_len)) != SIGV4_OK)
			return st;
	}
	if (r->host != NULL) {
		if (!valid_host(r->host))
			return SIGV4_EINVAL;
		return ensure_header(c, "host", r->host);
	}
	return SIGV4_OK;
}

static enum sigv4_status add_caller_query(struct canon *c, const struct sigv4_request *r, int refuse_auth)
{
	size_t i;
	enum sigv4_status st;

	if (r->nquery > 0 && r->query == NULL)
		return SIGV4_EINVAL;
	for (i = 0; i < r->nquery; i++) {
		const struct sigv4_kv *q = &r->query[i];

		if (refuse_auth && q->name != NULL && is_auth_param(q->name, q->name_len))
			return SIGV4_EINVAL;
		if ((st = add_query(c, q->name, q->name_len, q->value, q->value_len)) != SIGV4_OK)
			return st;
	}
	return SIGV4_OK;
}

/* method \n path \n query \n headers \n signed \n payload, with query given already joined. */
static enum sigv4_status put_creq(const struct sigv4_request *r, const struct canon *c, const char *query,
				  size_t qlen, const char *payload, struct buf *out)
{
	enum sigv4_status st;

	buf_reset(out);
	if ((st = puts_(out, r->method)) != SIGV4_OK || (st = put(out, "\n", 1)) != SIGV4_OK ||
	    (st = sigv4_canonical_path(r, out)) != SIGV4_OK || (st = put(out, "\n", 1)) != SIGV4_OK ||
	    (st = put(out, query, qlen)) != SIGV4_OK || (st = put(out, "\n", 1)) != SIGV4_OK ||
	    (st = put_canonical_headers(c, out)) != SIGV4_OK || (st = put(out, "\n", 1)) != SIGV4_OK ||
	    (st = put(out, buf_cstr(&c->sh), c->sh.len)) != SIGV4_OK ||
	    (st = put(out, "\n", 1)) != SIGV4_OK || (st = puts_(out, payload)) != SIGV4_OK)
		return st;
	return SIGV4_OK;
}

enum sigv4_status sigv4_canonical_request(const struct sigv4_request *r, struct buf *creq, struct buf *signed_headers)
{
	struct canon c;
	struct buf q;
	const char *payload = r->payload_hash ? r->payload_hash : SIGV4_EMPTY_SHA256;
	enum sigv4_status st;

	canon_init(&c);
	buf_init(&q, SIGV4_MAX_OUTPUT);
	if (!valid_method(r->method) || !valid_payload_hash(payload)) {
		st = SIGV4_EINVAL;
		goto out;
	}
	if ((st = add_caller_headers(&c, r)) != SIGV4_OK || (st = finish_headers(&c)) != SIGV4_OK ||
	    (st = add_caller_query(&c, r, 0)) != SIGV4_OK || (st = put_canonical_query(&c, &q)) != SIGV4_OK ||
	    (st = put_creq(r, &c, buf_cstr(&q), q.len, payload, creq)) != SIGV4_OK)
		goto out;
	if (signed_headers != NULL) {
		buf_reset(signed_headers);
		st = put(signed_headers, buf_cstr(&c.sh), c.sh.len);
	}
out:
	if (st != SIGV4_OK) {
		buf_reset(creq);
		if (signed_headers != NULL)
			buf_reset(signed_headers);
	}
	canon_free(&c);
	buf_free(&q);
	return st;
}

/* ---------------------------------------------------------------- string to sign, keys, signatures */

/* The hex SHA-256 of the canonical request, the last line of the string to sign. */
static enum sigv4_status creq_hash(const char *creq, size_t creq_len, char hex[SIGV4_HEX_LEN + 1])
{
	unsigned char h[SIGV4_KEY_LEN];

	if (sha256(creq, creq_len, h) != 0)
		return SIGV4_ECRYPTO;
	hex32(h, hex);
	return SIGV4_OK;
}

enum sigv4_status sigv4_string_to_sign(const char *amz_date, const char *scope, const char *creq, size_t creq_len,
				       struct buf *out)
{
	char hex[SIGV4_HEX_LEN + 1];
	enum sigv4_status st;

	if (amz_date == NULL || scope == NULL || (creq == NULL && creq_len > 0))
		return SIGV4_EINVAL;
	buf_reset(out);
	if ((st = creq_hash(creq ? creq : "", creq_len, hex)) != SIGV4_OK)
		return st;
	if ((st = puts_(out, ALGORITHM "\n")) != SIGV4_OK || (st = puts_(out, amz_date)) != SIGV4_OK ||
	    (st = put(out, "\n", 1)) != SIGV4_OK || (st = puts_(out, scope)) != SIGV4_OK ||
	    (st = put(out, "\n", 1)) != SIGV4_OK || (st = put(out, hex, SIGV4_HEX_LEN)) != SIGV4_OK) {
		buf_reset(out);
		return st;
	}
	return SIGV4_OK;
}

enum sigv4_status sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
				    unsigned char key[SIGV4_KEY_LEN], unsigned char steps[3][SIGV4_KEY_LEN])
{
	size_t slen, i;
	enum sigv4_status st = SIGV4_EINVAL;

	if (secret == NULL || date8 == NULL || !valid_scope_name(region) || !valid_scope_name(service))
		goto out;
	slen = strlen(secret);
	if (slen == 0 || slen > SIGV4_MAX_SECRET)
		goto out;
	for (i = 0; i < 8; i++)
		if (date8[i] < '0' || date8[i] > '9')
			goto out;
	st = SIGV4_ECRYPTO;
	if (derive_key(secret, slen, date8, region, service, key, steps) != 0)
		goto out;
	st = SIGV4_OK;
out:
	return st;
}

enum sigv4_status sigv4_signature(const unsigned char key[SIGV4_KEY_LEN], const char *sts, size_t sts_len,
				  char hex[SIGV4_HEX_LEN + 1])
{
	unsigned char mac[SIGV4_KEY_LEN];
	enum sigv4_status st = SIGV4_ECRYPTO;

	if (sts == NULL && sts_len > 0)
		return SIGV4_EINVAL;
	if (hmac(key, SIGV4_KEY_LEN, sts ? sts : "", sts_len, mac) == 0) {
		hex32(mac, hex);
		st = SIGV4_OK;
	}
	return st;
}

/* ---------------------------------------------------------------- signing operations */

/* Everything one signing operation needs besides the canonical headers/query. */
struct job {
	char amz_date[SIGV4_AMZ_DATE_LEN + 1];
	char scope[SCOPE_MAX + 1];
	char cred[CRED_MAX + 1];        /* "<access key id>/<scope>" */
	char sts[STS_MAX + 1];
	size_t sts_len;
	const char *payload;
	struct buf creq;
};

/* Append the NUL-terminated s at dst[*n], for fixed arrays sized by validated inputs. */
static void cat(char *dst, size_t *n, const char *s)
{
	size_t l = strlen(s);

	memcpy(dst + *n, s, l);
	*n += l;
	dst[*n] = '\0';
}

static enum sigv4_status job_start(struct job *j, const struct sigv4_request *r, const char *default_payload)
{
	size_t n = 0;
	enum sigv4_status st;

	buf_init(&j->creq, SIGV4_MAX_OUTPUT);
	j->sts_len = 0;
	j->payload = r->payload_hash ? r->payload_hash : default_payload;
	if (!valid_method(r->method) || !valid_payload_hash(j->payload) || !valid_scope_name(r->region) ||
	    !valid_scope_name(r->service) || !valid_creds(r->creds))
		return SIGV4_EINVAL;
	if ((st = sigv4_amz_date(r, j->amz_date)) != SIGV4_OK)
		return st;
	make_scope(j->amz_date, r->region, r->service, j->scope);
	cat(j->cred, &n, r->creds->access_key_id);
	cat(j->cred, &n, "/");
	cat(j->cred, &n, j->scope);
	return SIGV4_OK;
}

static void job_end(struct job *j)
{
	buf_free(&j->creq);
}

/* String to sign and signature for j->creq; copies both into trace when asked. */
static enum sigv4_status job_sign(struct job *j, const struct sigv4_request *r, char sig[SIGV4_HEX_LEN + 1],
				  struct sigv4_trace *trace)
{
	const struct sigv4_creds *cr = r->creds;
	unsigned char key[SIGV4_KEY_LEN], mac[SIGV4_KEY_LEN];
	char hex[SIGV4_HEX_LEN + 1];
	size_t n = 0;
	enum sigv4_status st;

	if ((st = creq_hash(buf_cstr(&j->creq), j->creq.len, hex)) != SIGV4_OK)
		goto out;
	cat(j->sts, &n, ALGORITHM "\n");
	cat(j->sts, &n, j->amz_date);
	cat(j->sts, &n, "\n");
	cat(j->sts, &n, j->scope);
	cat(j->sts, &n, "\n");
	cat(j->sts, &n, hex);
	j->sts_len = n;
	st = SIGV4_ECRYPTO;
	if (derive_key(cr->secret_access_key, strlen(cr->secret_access_key), j->amz_date, r->region,
		       r->service, key, NULL) != 0 ||
	    hmac(key, sizeof(key), j->sts, j->sts_len, mac) != 0)
		goto out;
	hex32(mac, sig);
	st = SIGV4_OK;
	if (trace != NULL) {
		memcpy(trace->signature, sig, SIGV4_HEX_LEN + 1);
		if (trace->canonical_request != NULL) {
			buf_reset(trace->canonical_request);
			st = put(trace->canonical_request, buf_cstr(&j->creq), j->creq.len);
		}
		if (st == SIGV4_OK && trace->string_to_sign != NULL) {
			buf_reset(trace->string_to_sign);
			st = put(trace->string_to_sign, j->sts, j->sts_len);
		}
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	return st;
}

static enum sigv4_status put_origin(const struct sigv4_request *r, struct buf *out)
{
	const char *scheme = r->scheme ? r->scheme : "https";
	enum sigv4_status st;

	if ((strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) || !valid_host(r->host))
		return SIGV4_EINVAL;
	if ((st = puts_(out, scheme)) != SIGV4_OK || (st = put(out, "://", 3)) != SIGV4_OK ||
	    (st = puts_(out, r->host)) != SIGV4_OK)
		return st;
	return wire_path(r, out);
}

enum sigv4_status sigv4_url(const struct sigv4_request *r, struct buf *out)
{
	struct canon c;
	enum sigv4_status st;

	canon_init(&c);
	buf_reset(out);
	if ((st = put_origin(r, out)) != SIGV4_OK || (st = add_caller_query(&c, r, 0)) != SIGV4_OK)
		goto out;
	if (c.nqry > 0 && ((st = put(out, "?", 1)) != SIGV4_OK || (st = put_canonical_query(&c, out)) != SIGV4_OK))
		goto out;
out:
	if (st != SIGV4_OK)
		buf_reset(out);
	canon_free(&c);
	return st;
}

enum sigv4_status sigv4_sign_headers(const struct sigv4_request *r, struct buf *authz,
				     struct sigv4_send_headers *send, struct sigv4_trace *trace)
{
	struct job j;
	struct canon c;
	struct buf q;
	const char *token = r->creds ? r->creds->session_token : NULL;
	const char *sep = (r->flags & SIGV4_AUTHZ_SPACED) ? ", " : ",";
	char sig[SIGV4_HEX_LEN + 1];
	enum sigv4_status st;

	canon_init(&c);
	buf_init(&q, SIGV4_MAX_OUTPUT);
	if ((st = job_start(&j, r, SIGV4_EMPTY_SHA256)) != SIGV4_OK)
		goto out;
	if ((st = add_caller_headers(&c, r)) != SIGV4_OK ||
	    (st = ensure_header(&c, "x-amz-date", j.amz_date)) != SIGV4_OK)
		goto out;
	if ((r->flags & SIGV4_ADD_CONTENT_SHA256) &&
	    (st = ensure_header(&c, "x-amz-content-sha256", j.payload)) != SIGV4_OK)
		goto out;
	if (token != NULL && !(r->flags & SIGV4_OMIT_TOKEN) &&
	    (st = ensure_header(&c, "x-amz-security-token", token)) != SIGV4_OK)
		goto out;
	if ((st = finish_headers(&c)) != SIGV4_OK || (st = add_caller_query(&c, r, 0)) != SIGV4_OK ||
	    (st = put_canonical_query(&c, &q)) != SIGV4_OK ||
	    (st = put_creq(r, &c, buf_cstr(&q), q.len, j.payload, &j.creq)) != SIGV4_OK ||
	    (st = job_sign(&j, r, sig, trace)) != SIGV4_OK)
		goto out;
	buf_reset(authz);
	if ((st = puts_(authz, ALGORITHM " Credential=")) != SIGV4_OK ||
	    (st = puts_(authz, j.cred)) != SIGV4_OK || (st = puts_(authz, sep)) != SIGV4_OK ||
	    (st = puts_(authz, "SignedHeaders=")) != SIGV4_OK || (st = put(authz, buf_cstr(&c.sh), c.sh.len)) != SIGV4_OK ||
	    (st = puts_(authz, sep)) != SIGV4_OK || (st = puts_(authz, "Signature=")) != SIGV4_OK ||
	    (st = put(authz, sig, SIGV4_HEX_LEN)) != SIGV4_OK)
		goto out;
	if (send != NULL) {
		memcpy(send->amz_date, j.amz_date, sizeof(send->amz_date));
		send->content_sha256 = (r->flags & SIGV4_ADD_CONTENT_SHA256) ? j.payload : NULL;
		send->security_token = token;
	}
out:
	if (st != SIGV4_OK)
		buf_reset(authz);
	job_end(&j);
	canon_free(&c);
	buf_free(&q);
	return st;
}

enum sigv4_status sigv4_presign(const struct sigv4_request *r, struct buf *url, struct sigv4_trace *trace)
{
	struct job j;
	struct canon c;
	const char *token = r->creds ? r->creds->session_token : NULL;
	char expires[16], sig[SIGV4_HEX_LEN + 1];
	size_t qoff, n, e;
	enum sigv4_status st;

	canon_init(&c);
	buf_reset(url);
	if ((st = job_start(&j, r, SIGV4_UNSIGNED_PAYLOAD)) != SIGV4_OK)
		goto out;
	st = SIGV4_EINVAL;
	if (r->expires < 1 || r->expires > SIGV4_MAX_EXPIRES || r->host == NULL)
		goto out;
	/* expires as decimal digits, without printf */
	n = sizeof(expires) - 1;
	expires[n] = '\0';
	e = r->expires;
	do {
		expires[--n] = (char)('0' + e % 10);
		e /= 10;
	} while (e > 0);
	if ((st = add_caller_headers(&c, r)) != SIGV4_OK || (st = finish_headers(&c)) != SIGV4_OK ||
	    (st = add_caller_query(&c, r, 1)) != SIGV4_OK)
		goto out;
	if ((st = add_query_str(&c, "X-Amz-Algorithm", ALGORITHM)) != SIGV4_OK ||
	    (st = add_query_str(&c, "X-Amz-Credential", j.cred)) != SIGV4_OK ||
	    (st = add_query_str(&c, "X-Amz-Date", j.amz_date)) != SIGV4_OK ||
	    (st = add_query_str(&c, "X-Amz-Expires", expires + n)) != SIGV4_OK ||
	    (st = add_query(&c, "X-Amz-SignedHeaders", 19, buf_cstr(&c.sh), c.sh.len)) != SIGV4_OK)
		goto out;
	if (token != NULL && !(r->flags & SIGV4_OMIT_TOKEN) &&
	    (st = add_query_str(&c, "X-Amz-Security-Token", token)) != SIGV4_OK)
		goto out;
	/* The wire query is the canonical query itself, so it is built once, in the URL. */
	if ((st = put_origin(r, url)) != SIGV4_OK || (st = put(url, "?", 1)) != SIGV4_OK)
		goto out;
	qoff = url->len;
	if ((st = put_canonical_query(&c, url)) != SIGV4_OK ||
	    (st = put_creq(r, &c, url->data + qoff, url->len - qoff, j.payload, &j.creq)) != SIGV4_OK ||
	    (st = job_sign(&j, r, sig, trace)) != SIGV4_OK)
		goto out;
	if (token != NULL && (r->flags & SIGV4_OMIT_TOKEN) &&
	    ((st = puts_(url, "&X-Amz-Security-Token=")) != SIGV4_OK ||
	     (st = sigv4_uri_encode(token, strlen(token), 0, url)) != SIGV4_OK))
		goto out;
	if ((st = puts_(url, "&X-Amz-Signature=")) != SIGV4_OK || (st = put(url, sig, SIGV4_HEX_LEN)) != SIGV4_OK)
		goto out;
out:
	if (st != SIGV4_OK)
		buf_reset(url);
	job_end(&j);
	canon_free(&c);
	return st;
}
