/* fuzz_sigv4.c: libFuzzer driver for the SigV4 canonicaliser (paths, query, headers) and the signers, with invariant checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: one mode byte, then path, query material and header material separated by NUL bytes.
 *   mode bit 0: SIGV4_NORMALIZE, bit 1: SIGV4_DOUBLE_ENCODE, bit 2: SIGV4_ADD_CONTENT_SHA256,
 *   bit 3: session token, bit 4: SIGV4_OMIT_TOKEN, bit 5: payload UNSIGNED-PAYLOAD.
 *   query: "name=value" pieces split at '&' (raw bytes; the signer encodes them).
 *   headers: lines split at LF, "name:value"; a line starting with SP/HTAB continues the previous
 *   value (the fold reaches the signer as is); a line without ':' is a name with an empty value.
 */
#define MAXQ 80                 /* a little over SIGV4_MAX_QUERY / _HEADERS, so the caps are hit */
#define MAXH 80

static int is_unres(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static int is_uhex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static int hv(unsigned char c)
{
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

/* Only unreserved bytes, %XX with uppercase hex, and (when allowed) '/'. */
static int well_encoded(const char *s, size_t n, int slash_ok)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || !is_uhex((unsigned char)s[i + 1]) || !is_uhex((unsigned char)s[i + 2]))
				return 0;
			i += 2;
		} else if (!(is_unres(c) || (slash_ok && c == '/'))) {
			return 0;
		}
	}
	return 1;
}

/* Decode a well_encoded string into out (n bytes room); returns the length. */
static size_t decode(const char *s, size_t n, char *out)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			out[k++] = (char)(hv((unsigned char)s[i + 1]) * 16 + hv((unsigned char)s[i + 2]));
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	return k;
}

static int has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 1;
	return 0;
}

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	int d = memcmp(a, b, an < bn ? an : bn);

	return d ? d : (an < bn ? -1 : an > bn);
}

/* S3 mode: each byte encoded once, '/' kept, nothing normalised, so decoding gives the key back. */
static void check_s3_path(const char *p, size_t n)
{
	struct sigv4_request r;
	struct buf out;
	char *dec;
	enum sigv4_status st;

	memset(&r, 0, sizeof(r));
	r.path = p;
	r.path_len = n;
	r.flags = SIGV4_S3;
	buf_init(&out, SIGV4_MAX_OUTPUT);
	st = sigv4_canonical_path(&r, &out);
	if (n > 0 && p[0] != '/') {
		if (st != SIGV4_EINVAL)
			abort();
		goto out;
	}
	if (st != SIGV4_OK || !well_encoded(out.data, out.len, 1))
		abort();
	if (n == 0) {
		if (strcmp(out.data, "/") != 0)
			abort();
		goto out;
	}
	if ((dec = malloc(out.len + 1)) == NULL)
		abort();
	if (decode(out.data, out.len, dec) != n || memcmp(dec, p, n) != 0)
		abort();
	free(dec);
out:
	buf_free(&out);
}

/* Generic mode: no empty, "." or ".." segment survives, and normalising again changes nothing. */
static void check_generic_path(const char *p, size_t n)
{
	struct sigv4_request r;
	struct buf out, again;
	char *dec = NULL;
	size_t i, seg, dl;
	enum sigv4_status st;

	memset(&r, 0, sizeof(r));
	r.path = p;
	r.path_len = n;
	r.flags = SIGV4_GENERIC;
	buf_init(&out, SIGV4_MAX_OUTPUT);
	buf_init(&again, SIGV4_MAX_OUTPUT);
	st = sigv4_canonical_path(&r, &out);
	if (n > 0 && (p[0] != '/' || has_ctl(p, n) || memchr(p, '?', n) || memchr(p, '#', n))) {
		if (st != SIGV4_EINVAL)
			abort();
		goto out;
	}
	if (st != SIGV4_OK || out.len == 0 || out.data[0] != '/' || !well_encoded(out.data, out.len, 1))
		abort();
	for (i = 1, seg = 1; i <= out.len; i++) {
		if (i == out.len || out.data[i] == '/') {
			size_t l = i - seg;

			/* an empty segment is allowed only as the trailing slash (or the root) */
			if ((l == 0 && i != out.len) || (l == 1 && out.data[seg] == '.') ||
			    (l == 2 && out.data[seg] == '.' && out.data[seg + 1] == '.'))
				abort();
			seg = i + 1;
		}
	}
	/* Decode once (undo the encoding this call added), normalise again: same result. */
	if ((dec = malloc(out.len + 1)) == NULL)
		abort();
	dl = decode(out.data, out.len, dec);
	r.path = dec;
	r.path_len = dl;
	r.flags = SIGV4_NORMALIZE;
	if (sigv4_canonical_path(&r, &again) != SIGV4_OK || again.len != out.len ||
	    memcmp(again.data, out.data, out.len) != 0)
		abort();
out:
	free(dec);
	buf_free(&out);
	buf_free(&again);
}

/* The canonical request of r is well formed: sorted unique lowercase headers, sorted query, etc. */
static void check_creq(const char *creq, size_t len, const char *sh, size_t nquery)
{
	const char *p = creq, *end = creq + len, *nl, *prev_name = NULL;
	size_t prev_len = 0, lineno = 0, nq = 0;
	struct buf names;
	const char *pn = NULL, *pv = NULL;
	size_t pnl = 0, pvl = 0;

	buf_init(&names, SIGV4_MAX_OUTPUT);
	for (; p <= end; p = nl + 1, lineno++) {
		size_t l;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		l = (size_t)(nl - p);
		if (lineno == 2) {              /* query: sorted n=v pairs, well encoded */
			const char *q = p, *qe = nl;

			while (l > 0 && q < qe) {
				const char *amp = memchr(q, '&', (size_t)(qe - q)), *pe = amp ? amp : qe;
				const char *eq = memchr(q, '=', (size_t)(pe - q));

				if (eq == NULL || !well_encoded(q, (size_t)(eq - q), 0) ||
				    !well_encoded(eq + 1, (size_t)(pe - eq - 1), 0))
					abort();
				if (pn != NULL) {
					int d = cmp_bytes(pn, pnl, q, (size_t)(eq - q));

					if (d > 0 || (d == 0 && cmp_bytes(pv, pvl, eq + 1, (size_t)(pe - eq - 1)) > 0))
						abort();
				}
				pn = q;
				pnl = (size_t)(eq - q);
				pv = eq + 1;
				pvl = (size_t)(pe - eq - 1);
				nq++;
				q = pe + 1;
			}
			if (nq != nquery)
				abort();
		} else if (lineno >= 3) {
			const char *colon;
			size_t k;

			if (l == 0)
				break;          /* end of the header block */
			colon = memchr(p, ':', l);
			if (colon == NULL || colon == p || has_ctl(p, l))
				abort();
			for (k = 0; k < (size_t)(colon - p); k++)
				if (p[k] >= 'A' && p[k] <= 'Z')
					abort();
			/* value: trimmed, no runs of spaces */
			k = (size_t)(nl - colon - 1);
			if (k > 0 && (colon[1] == ' ' || nl[-1] == ' '))
				abort();
			if (memmem(colon + 1, k, "  ", 2) != NULL)
				abort();
			if (prev_name != NULL && cmp_bytes(prev_name, prev_len, p, (size_t)(colon - p)) >= 0)
				abort();
			prev_name = p;
			prev_len = (size_t)(colon - p);
			if ((names.len && buf_append(&names, ";", 1) != 0) ||
			    buf_append(&names, p, (size_t)(colon - p)) != 0)
				abort();
		}
		if (nl == end)
			break;
	}
	/* the line after the blank line lists exactly the header names */
	if (p > end || nl == end)
		abort();
	p = nl + 1;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL || (size_t)(nl - p) != names.len || memcmp(p, buf_cstr(&names), names.len) != 0 ||
	    strcmp(sh, buf_cstr(&names)) != 0 || strcmp(nl + 1, SIGV4_EMPTY_SHA256) != 0)
		abort();
	buf_free(&names);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sigv4_creds plain = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
	static const struct sigv4_creds tokened = {
		"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok/en+="
	};
	const char *in = (const char *)data + 1, *end, *path, *qs, *hs, *z;
	size_t n, path_len, qs_len, hs_len, nq = 0, nh = 0;
	struct sigv4_kv q[MAXQ], h[MAXH];
	struct sigv4_request r;
	struct sigv4_send_headers send;
	struct buf creq, sh, out, out2;
	unsigned mode;
	enum sigv4_status st;

	if (size < 1)
		return 0;
	mode = data[0];
	n = size - 1;
	end = in + n;

	/* sections */
	path = in;
	z = memchr(path, '\0', n);
	path_len = z ? (size_t)(z - path) : n;
	qs = z ? z + 1 : end;
	z = memchr(qs, '\0', (size_t)(end - qs));
	qs_len = z ? (size_t)(z - qs) : (size_t)(end - qs);
	hs = z ? z + 1 : end;
	hs_len = (size_t)(end - hs);

	check_s3_path(path, path_len);
	check_generic_path(path, path_len);

	/* query pieces */
	{
		const char *p = qs, *qe = qs + qs_len;

		while (p < qe && nq < MAXQ) {
			const char *amp = memchr(p, '&', (size_t)(qe - p)), *pe = amp ? amp : qe;
			const char *eq = memchr(p, '=', (size_t)(pe - p));

			q[nq].name = p;
			q[nq].name_len = eq ? (size_t)(eq - p) : (size_t)(pe - p);
			q[nq].value = eq ? eq + 1 : pe;
			q[nq].value_len = eq ? (size_t)(pe - eq - 1) : 0;
			nq++;
			p = pe + 1;
		}
	}
	/* header lines, folds kept inside the value */
	{
		const char *p = hs, *he = hs + hs_len;

		while (p < he) {
			const char *nl = memchr(p, '\n', (size_t)(he - p)), *le = nl ? nl : he;

			if ((*p == ' ' || *p == '\t') && nh > 0) {
				h[nh - 1].value_len = (size_t)(le - h[nh - 1].value);
			} else if (nh < MAXH) {
				const char *colon = memchr(p, ':', (size_t)(le - p));

				h[nh].name = p;
				h[nh].name_len = colon ? (size_t)(colon - p) : (size_t)(le - p);
				h[nh].value = colon ? colon + 1 : le;
				h[nh].value_len = colon ? (size_t)(le - colon - 1) : 0;
				nh++;
			}
			p = nl ? nl + 1 : he;
		}
	}

	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.host = "bucket.example.com:9000";
	r.path = path;
	r.path_len = path_len;
	r.query = q;
	r.nquery = nq;
	r.headers = h;
	r.nheaders = nh;
	r.region = "us-east-1";
	r.service = "s3";
	r.creds = (mode & 0x08) ? &tokened : &plain;
	r.unix_time = 1440938160LL;
	r.expires = 900;
	r.flags = (mode & 0x01 ? SIGV4_NORMALIZE : 0) | (mode & 0x02 ? SIGV4_DOUBLE_ENCODE : 0) |
		  (mode & 0x04 ? SIGV4_ADD_CONTENT_SHA256 : 0) | (mode & 0x10 ? SIGV4_OMIT_TOKEN : 0);

	buf_init(&creq, SIGV4_MAX_OUTPUT);
	buf_init(&sh, SIGV4_MAX_OUTPUT);
	buf_init(&out, SIGV4_MAX_OUTPUT);
	buf_init(&out2, SIGV4_MAX_OUTPUT);

	st = sigv4_canonical_request(&r, &creq, &sh);
	if (st == SIGV4_OK)
		check_creq(creq.data, creq.len, buf_cstr(&sh), nq);
	else if (st != SIGV4_EINVAL && st != SIGV4_ETOOBIG)
		abort();

	r.payload_hash = (mode & 0x20) ? SIGV4_UNSIGNED_PAYLOAD : NULL;
	st = sigv4_presign(&r, &out, NULL);
	if (st == SIGV4_OK) {
		const char *u = buf_cstr(&out), *sig;
		size_t i;

		/* the URL ends with the signature (a GENERIC wire path may itself hold "&X-Amz-Signature="),
		 * 64 lowercase hex digits; the URL is printable (a GENERIC wire path may hold spaces) */
		if (out.len < 17 + SIGV4_HEX_LEN)
			abort();
		sig = u + out.len - (17 + SIGV4_HEX_LEN);
		if (memcmp(sig, "&X-Amz-Signature=", 17) != 0)
			abort();
		for (i = 17; i < 17 + SIGV4_HEX_LEN; i++)
			if (!((sig[i] >= '0' && sig[i] <= '9') || (sig[i] >= 'a' && sig[i] <= 'f')))
				abort();
		for (i = 0; i < out.len; i++) {
			unsigned char c = (unsigned char)u[i];

			if (c < 0x20 || c == 0x7f || (c == ' ' && !(r.flags & SIGV4_DOUBLE_ENCODE)) ||
			    (c >= 0x80 && !(r.flags & SIGV4_DOUBLE_ENCODE)))
				abort();
		}
		/* deterministic */
		if (sigv4_presign(&r, &out2, NULL) != SIGV4_OK || strcmp(u, buf_cstr(&out2)) != 0)
			abort();
	} else if (st != SIGV4_EINVAL && st != SIGV4_ETOOBIG) {
		abort();
	}

	st = sigv4_sign_headers(&r, &out, &send, NULL);
	if (st == SIGV4_OK) {
		if (strncmp(buf_cstr(&out), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 40) != 0 ||
		    strlen(send.amz_date) != SIGV4_AMZ_DATE_LEN)
			abort();
	} else if (st != SIGV4_EINVAL && st != SIGV4_ETOOBIG) {
		abort();
	}

	st = sigv4_url(&r, &out);
	if (st != SIGV4_OK && st != SIGV4_EINVAL && st != SIGV4_ETOOBIG)
		abort();

	buf_free(&creq);
	buf_free(&sh);
	buf_free(&out);
	buf_free(&out2);
	return 0;
}
