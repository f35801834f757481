/* multipart.c: push multipart/form-data parser (see multipart.h for the rules it keeps). */
#include "multipart.h"
#include "mediatype.h"
#include "flimits.h"
#include "hex.h"
#include "valid.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DELIM_MAX (4 + LIM_MP_BOUNDARY)                 /* "\r\n--" boundary */
#define HOLD_MAX  (DELIM_MAX + LIM_MP_PADDING + 1)      /* + padding + '\r' or '-' */
#define OUT_MAX   (2 * LIM_MP_HEADER_BYTES + 4)         /* 4 strings, each at most doubled */

enum mp_state { S_PREAMBLE, S_HEADERS, S_BODY, S_EPILOGUE };
/* What has been seen after a fully matched delimiter. */
enum mp_after { A_NONE, A_DASH, A_PAD, A_CR };

/* A header value kept in hdr. */
struct mp_span {
	size_t off, len;
	int set;
};

struct mp_parser {
	struct mp_callbacks cb;
	void *ctx;
	enum mp_state state;
	enum mp_status err;           /* sticky */
	int finished;
	char delim[DELIM_MAX];
	size_t dlen;
	/* Delimiter matching: hold[0..hlen) is held back; while hlen < dlen it equals delim[0..hlen). */
	char hold[HOLD_MAX];
	size_t hlen;
	enum mp_after after;
	size_t npad;
	int virt;                     /* hold starts with the CRLF assumed before the body */
	size_t preamble;              /* preamble bytes skipped */
	int preamble_text;            /* one of them was not CR or LF */
	size_t nparts;
	/* The current part's header block: only the lines we use are kept in hdr. */
	char hdr[LIM_MP_HEADER_BYTES];
	size_t hdrlen, line, hdrtotal, nheaders;
	int hcr;                      /* the last header byte was CR */
	struct mp_span disp, ctype;
	char tmp[LIM_MP_HEADER_BYTES];  /* one unquoted parameter value */
	char out[OUT_MAX];            /* the strings of struct mp_part */
};

const char *mp_strerror(enum mp_status s)
{
	switch (s) {
	case MP_OK: return "success";
	case MP_ABORTED: return "aborted by a callback";
	case MP_NO_DELIMITER: return "no multipart delimiter found (boundary mismatch?)";
	case MP_TRUNCATED: return "multipart body ended before its close delimiter";
	case MP_PREAMBLE: return "multipart preamble too long, or not followed by any part";
	case MP_BAD_DELIMITER: return "too much padding after a multipart boundary";
	case MP_BAD_HEADER: return "malformed part header";
	case MP_HEADER_TOO_LARGE: return "part headers too large";
	case MP_TOO_MANY_HEADERS: return "too many part headers";
	case MP_BAD_DISPOSITION: return "missing or invalid Content-Disposition (form-data with a name)";
	case MP_ENCODING: return "unsupported Content-Transfer-Encoding";
	case MP_TOO_MANY_PARTS: return "too many parts";
	case MP_FINISHED: return "multipart parser already finished";
	}
	return "unknown multipart error";
}

/* ---- character classes (ASCII only, no locale) ---- */

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 7230 tchar. */
static int is_tchar(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 2046 bchars (space included). */
static int is_bchar(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* 1 when b (n bytes) is a boundary RFC 2046 allows. */
static int boundary_ok(const char *b, size_t n)
{
	size_t i;

	if (n < 1 || n > LIM_MP_BOUNDARY || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if (!is_bchar((unsigned char)b[i]))
			return 0;
	return 1;
}

/* 1 when s (n bytes) equals the lowercase word w in any case. */
static int eq_word(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* ---- Content-Type: boundary parameter ---- */

int mp_boundary(const char *content_type, char *out, size_t outlen)
{
	struct mediatype m;
	const char *s;
	size_t n = 0;
	int found = 0;

	if (content_type == NULL || out == NULL || outlen == 0)
		return -1;
	out[0] = '\0';
	if (!mediatype_is(content_type, "multipart/form-data"))
		goto bad;
	mediatype_parse(content_type, &m);
	s = m.params;
	for (;;) {
		const char *pname;
		size_t plen, vlen = 0;
		int isb;

		while (is_ows(*s))
			s++;
		if (*s == '\0')
			break;
		if (*s != ';')
			goto bad;
		s++;
		while (is_ows(*s))
			s++;
		if (*s == '\0')
			break;
		for (pname = s; is_tchar((unsigned char)*s); s++)
			;
		if ((plen = (size_t)(s - pname)) == 0)
			goto bad;
		while (is_ows(*s))
			s++;
		if (*s++ != '=')
			goto bad;
		while (is_ows(*s))
			s++;
		isb = eq_word(pname, plen, "boundary");
		if (isb && found)
			goto bad;
		if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (*s == '\0')
					goto bad;
				if (*s == '\\' && s[1] != '\0')
					s++;
				if (isb) {
					if (vlen + 1 >= outlen || vlen >= LIM_MP_BOUNDARY)
						goto bad;
					out[vlen++] = *s;
				}
			}
			s++;
		} else {
			for (; *s != '\0' && *s != ';' && !is_ows(*s) && *s != '"'; s++) {
				if (isb) {
					if (vlen + 1 >= outlen || vlen >= LIM_MP_BOUNDARY)
						goto bad;
					out[vlen++] = *s;
				}
			}
		}
		if (isb) {
			out[vlen] = '\0';
			found = 1;
			n = vlen;
		}
	}
	if (found && boundary_ok(out, n))
		return (int)n;
bad:
	out[0] = '\0';
	return -1;
}

/* ---- parser state ---- */

static void fail(struct mp_parser *p, enum mp_status e)
{
	if (p->err == MP_OK)
		p->err = e;
}

struct mp_parser *mp_new(const char *boundary, const struct mp_callbacks *cb, void *ctx)
{
	struct mp_parser *p;
	size_t n;

	if (boundary == NULL)
		return NULL;
	n = strnlen(boundary, LIM_MP_BOUNDARY + 1);
	if (!boundary_ok(boundary, n))
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (cb != NULL)
		p->cb = *cb;
	p->ctx = ctx;
	p->state = S_PREAMBLE;
	memcpy(p->delim, "\r\n--", 4);
	memcpy(p->delim + 4, boundary, n);
	p->dlen = 4 + n;
	/* The first delimiter may open the body: match as if a CRLF came before it. */
	memcpy(p->hold, "\r\n", 2);
	p->hlen = 2;
	p->virt = 1;
	return p;
}

void mp_free(struct mp_parser *p)
{
	free(p);
}

/* Bytes known not to be a delimiter: skipped in the preamble, else handed to part_data. */
static void emit(struct mp_parser *p, const char *b, size_t n)
{
	size_t i;

	if (n == 0 || p->err != MP_OK)
		return;
	if (p->state == S_PREAMBLE) {
		if (n > LIM_MP_PREAMBLE - p->preamble) {
			fail(p, MP_PREAMBLE);
			return;
		}
		p->preamble += n;
		for (i = 0; i < n && !p->preamble_text; i++)
			if (b[i] != '\r' && b[i] != '\n')
				p->preamble_text = 1;
		return;
	}
	if (p->cb.part_data != NULL && p->cb.part_data(p->ctx, b, n) != 0)
		fail(p, MP_ABORTED);
}

static void hold_reset(struct mp_parser *p)
{
	p->hlen = 0;
	p->after = A_NONE;
	p->npad = 0;
	p->virt = 0;
}

/* The held bytes turned out not to be a delimiter. */
static void hold_flush(struct mp_parser *p)
{
	size_t skip = p->virt ? 2 : 0;

	emit(p, p->hold + skip, p->hlen - skip);
	hold_reset(p);
}

static void end_part(struct mp_parser *p)
{
	if (p->state == S_BODY && p->cb.part_end != NULL && p->cb.part_end(p->ctx) != 0)
		fail(p, MP_ABORTED);
}

/* A delimiter (boundary then CRLF): headers of the next part follow. */
static void found_delimiter(struct mp_parser *p)
{
	hold_reset(p);
	end_part(p);
	if (p->err != MP_OK)
		return;
	if (p->nparts == LIM_MP_PARTS) {
		fail(p, MP_TOO_MANY_PARTS);
		return;
	}
	p->nparts++;
	p->state = S_HEADERS;
	p->hdrlen = p->line = p->hdrtotal = p->nheaders = 0;
	p->hcr = 0;
	memset(&p->disp, 0, sizeof(p->disp));
	memset(&p->ctype, 0, sizeof(p->ctype));
}

/* The close delimiter: the rest is epilogue. */
static void found_close(struct mp_parser *p)
{
	hold_reset(p);
	if (p->state == S_BODY)
		end_part(p);
	else if (p->preamble_text)
		fail(p, MP_PREAMBLE);
	p->state = S_EPILOGUE;
}

static void hold_byte(struct mp_parser *p, char c)
{
	p->hold[p->hlen++] = c;
}

/* Preamble or part data: pass bytes through until a delimiter, holding back a possible one. */
static void scan(struct mp_parser *p, const char *b, size_t n, size_t *pi)
{
	size_t i = *pi;
	enum mp_state st = p->state;

	while (i < n && p->err == MP_OK && p->state == st) {
		char c;

		if (p->hlen == 0) {
			/* Only a CR may start a delimiter: pass everything before the next one. */
			const char *cr = memchr(b + i, '\r', n - i);
			size_t run = cr ? (size_t)(cr - (b + i)) : n - i;

			emit(p, b + i, run);
			i += run;
			if (i < n) {
				hold_byte(p, '\r');
				i++;
			}
			continue;
		}
		c = b[i];
		if (p->hlen < p->dlen) {
			/* The boundary holds no CR, so a mismatch leaves no shorter match inside hold. */
			if (c == p->delim[p->hlen]) {
				hold_byte(p, c);
				i++;
			} else {
				hold_flush(p);      /* c is looked at again */
			}
			continue;
		}
		switch (p->after) {
		case A_NONE:
			if (c == '-') {
				p->after = A_DASH;
			} else if (c == '\r') {
				p->after = A_CR;
			} else if (is_ows(c)) {
				p->after = A_PAD;
				p->npad = 1;
			} else {
				hold_flush(p);
				continue;
			}
			hold_byte(p, c);
			i++;
			break;
		case A_DASH:
			if (c == '-') {
				i++;
				found_close(p);
			} else {
				hold_flush(p);
			}
			break;
		case A_PAD:
			if (is_ows(c)) {
				if (p->npad == LIM_MP_PADDING) {
					fail(p, MP_BAD_DELIMITER);
					break;
				}
				p->npad++;
			} else if (c == '\r') {
				p->after = A_CR;
			} else {
				hold_flush(p);
				continue;
			}
			hold_byte(p, c);
			i++;
			break;
		case A_CR:
			if (c == '\n') {
				i++;
				found_delimiter(p);
			} else {
				hold_flush(p);
			}
			break;
		}
	}
	*pi = i;
}

/* ---- part headers ---- */

/* Unquote the parameter value at v[*k]: a quoted string (only \" and \\ are escapes) or a bare
 * run up to ';', OWS or '"'. Writes it to dst (room for len bytes). 0, or -1 when malformed. */
static int read_value(const char *v, size_t len, size_t *k, char *dst, size_t *dl)
{
	size_t i = *k, o = 0;

	if (i < len && v[i] == '"') {
		for (i++; i < len && v[i] != '"'; i++) {
			if (v[i] == '\\' && i + 1 < len && (v[i + 1] == '"' || v[i + 1] == '\\'))
				i++;
			dst[o++] = v[i];
		}
		if (i == len)
			return -1;
		i++;
	} else {
		while (i < len && v[i] != ';' && !is_ows(v[i]) && v[i] != '"')
			dst[o++] = v[i++];
		if (o == 0)
			return -1;
	}
	*k = i;
	*dl = o;
	return 0;
}

/* Copy n bytes to dst as UTF-8 (read as ISO-8859-1 when not UTF-8), NUL-terminated;
 * dst has room for 2n + 1. Returns the bytes written, NUL not counted. */
static size_t to_utf8(const char *s, size_t n, int latin1, char *dst)
{
	size_t i, o = 0;

	if (!latin1 && utf8_valid(s, n)) {
		memcpy(dst, s, n);
		o = n;
	} else {
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c < 0x80) {
				dst[o++] = (char)c;
			} else {
				dst[o++] = (char)(0xc0 | (c >> 6));
				dst[o++] = (char)(0x80 | (c & 0x3f));
			}
		}
	}
	dst[o] = '\0';
	return o;
}

/* Decode an RFC 5987 ext-value (charset'language'pct-encoded) held in s (n bytes, decoded in
 * place) into dst as UTF-8 (room for 2n + 1). Bytes written, or -1 when malformed, of another
 * charset, not UTF-8 as declared, or holding a control byte. */
static long ext_value(char *s, size_t n, char *dst)
{
	const char *q1, *q2;
	size_t i, o = 0, clen;
	int latin1;

	if ((q1 = memchr(s, '\'', n)) == NULL)
		return -1;
	clen = (size_t)(q1 - s);
	if (eq_word(s, clen, "utf-8"))
		latin1 = 0;
	else if (eq_word(s, clen, "iso-8859-1"))
		latin1 = 1;
	else
		return -1;
	if ((q2 = memchr(q1 + 1, '\'', n - clen - 1)) == NULL)
		return -1;
	for (i = (size_t)(q2 + 1 - s); i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;

			if (i + 2 >= n || (h = hex_value(s[i + 1])) < 0 || (l = hex_value(s[i + 2])) < 0)
				return -1;
			c = (unsigned char)(h * 16 + l);
			i += 2;
		} else if (c <= 0x20 || c >= 0x7f) {
			return -1;          /* only attr-chars and escapes */
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;          /* as in any other header value */
		s[o++] = (char)c;
	}
	if (!latin1 && !utf8_valid(s, o))
		return -1;
	return (long)to_utf8(s, o, latin1, dst);
}

/* Read the Content-Disposition value v into part (strings put in out from *o). 0 or -1. */
static int parse_disposition(struct mp_parser *p, const char *v, size_t len, size_t *o,
    struct mp_part *part)
{
	size_t k, t, ul, name_at = 0, fn_at = 0, fnx_at = 0;
	int have_name = 0, have_fn = 0, have_fnx = 0;

	for (t = 0; t < len && is_tchar((unsigned char)v[t]); t++)
		;
	if (!eq_word(v, t, "form-data"))
		return -1;
	k = t;
	for (;;) {
		const char *pn;
		size_t pl;

		while (k < len && is_ows(v[k]))
			k++;
		if (k == len)
			break;
		if (v[k++] != ';')
			return -1;
		while (k < len && is_ows(v[k]))
			k++;
		if (k == len)
			break;
		for (pn = v + k; k < len && is_tchar((unsigned char)v[k]); k++)
			;
		if ((pl = (size_t)(v + k - pn)) == 0)
			return -1;
		while (k < len && is_ows(v[k]))
			k++;
		if (k == len || v[k++] != '=')
			return -1;
		while (k < len && is_ows(v[k]))
			k++;
		if (read_value(v, len, &k, p->tmp, &ul) != 0)
			return -1;
		if (eq_word(pn, pl, "name")) {
			if (have_name++)
				return -1;
			name_at = *o;
			*o += to_utf8(p->tmp, ul, 0, p->out + *o) + 1;
		} else if (eq_word(pn, pl, "filename")) {
			if (have_fn++)
				return -1;
			fn_at = *o;
			*o += to_utf8(p->tmp, ul, 0, p->out + *o) + 1;
		} else if (eq_word(pn, pl, "filename*")) {
			long w;

			if (have_fnx++ || (w = ext_value(p->tmp, ul, p->out + *o)) < 0)
				return -1;
			fnx_at = *o;
			*o += (size_t)w + 1;
		}
	}
	if (!have_name || p->out[name_at] == '\0')
		return -1;
	part->name = p->out + name_at;
	part->filename = have_fnx ? p->out + fnx_at : have_fn ? p->out + fn_at : NULL;
	return 0;
}

/* The blank line after a part's headers: check them, announce the part. */
static void headers_done(struct mp_parser *p)
{
	struct mp_part part;
	size_t o = 0;

	if (!p->disp.set ||
	    parse_disposition(p, p->hdr + p->disp.off, p->disp.len, &o, &part) != 0) {
		fail(p, MP_BAD_DISPOSITION);
		return;
	}
	if (p->ctype.set && p->ctype.len > 0) {
		part.content_type = p->out + o;
		o += to_utf8(p->hdr + p->ctype.off, p->ctype.len, 0, p->out + o) + 1;
	} else {
		part.content_type = "text/plain";
	}
	p->state = S_BODY;
	hold_reset(p);
	if (p->cb.part_begin != NULL && p->cb.part_begin(p->ctx, &part) != 0)
		fail(p, MP_ABORTED);
}

/* One complete header line hdr[line..hdrlen) (CRLF not included). */
static void header_line(struct mp_parser *p)
{
	const char *l = p->hdr + p->line;
	size_t len = p->hdrlen - p->line, k, vs, ve;

	if (len == 0) {
		headers_done(p);
		return;
	}
	if (p->nheaders == LIM_MP_HEADERS) {
		fail(p, MP_TOO_MANY_HEADERS);
		return;
	}
	p->nheaders++;
	for (k = 0; k < len && is_tchar((unsigned char)l[k]); k++)
		;
	if (k == 0 || k == len || l[k] != ':') {
		fail(p, MP_BAD_HEADER);       /* empty name, bad name byte, no colon, folded line */
		return;
	}
	for (vs = k + 1; vs < len; vs++) {
		unsigned char c = (unsigned char)l[vs];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			fail(p, MP_BAD_HEADER);
			return;
		}
	}
	for (vs = k + 1; vs < len && is_ows(l[vs]); vs++)
		;
	for (ve = len; ve > vs && is_ows(l[ve - 1]); ve--)
		;
	if (eq_word(l, k, "content-disposition")) {
		if (p->disp.set) {
			fail(p, MP_BAD_DISPOSITION);
			return;
		}
		p->disp.off = p->line + vs;
		p->disp.len = ve - vs;
		p->disp.set = 1;
		p->line = p->hdrlen;            /* keep the line */
	} else if (eq_word(l, k, "content-type")) {
		if (p->ctype.set) {
			fail(p, MP_BAD_HEADER);
			return;
		}
		p->ctype.off = p->line + vs;
		p->ctype.len = ve - vs;
		p->ctype.set = 1;
		p->line = p->hdrlen;
	} else {
		if (eq_word(l, k, "content-transfer-encoding") && !eq_word(l + vs, ve - vs, "binary") &&
		    !eq_word(l + vs, ve - vs, "8bit") && !eq_word(l + vs, ve - vs, "7bit")) {
			fail(p, MP_ENCODING);
			return;
		}
		p->hdrlen = p->line;            /* drop the line */
	}
}

/* Part header bytes until the blank line that ends them. */
static void headers(struct mp_parser *p, const char *b, size_t n, size_t *pi)
{
	size_t i = *pi;

	while (i < n && p->err == MP_OK && p->state == S_HEADERS) {
		char c = b[i++];

		if (p->hdrtotal == LIM_MP_HEADER_BYTES) {
			fail(p, MP_HEADER_TOO_LARGE);
			break;
		}
		p->hdrtotal++;
		if (p->hcr) {
			p->hcr = 0;
			if (c != '\n')
				fail(p, MP_BAD_HEADER);     /* bare CR */
			else
				header_line(p);
		} else if (c == '\r') {
			p->hcr = 1;
		} else if (c == '\n') {
			fail(p, MP_BAD_HEADER);             /* bare LF */
		} else {
			p->hdr[p->hdrlen++] = c;
		}
	}
	*pi = i;
}

/* ---- feeding ---- */

enum mp_status mp_feed(struct mp_parser *p, const char *buf, size_t n)
{
	size_t i = 0;

	if (p->err != MP_OK)
		return p->err;
	if (p->finished)
		return MP_FINISHED;
	while (i < n && p->err == MP_OK) {
		switch (p->state) {
		case S_PREAMBLE:
		case S_BODY:
			scan(p, buf, n, &i);
			break;
		case S_HEADERS:
			headers(p, buf, n, &i);
			break;
		case S_EPILOGUE:
			i = n;
			break;
		}
	}
	return p->err;
}

enum mp_status mp_finish(struct mp_parser *p)
{
	if (p->err != MP_OK)
		return p->err;
	if (p->finished)
		return MP_FINISHED;
	p->finished = 1;
	if (p->state != S_EPILOGUE)
		fail(p, p->state == S_PREAMBLE ? MP_NO_DELIMITER : MP_TRUNCATED);
	return p->err;
}
