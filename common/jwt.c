/* jwt.c: HS256 JWT verification and minting under the strict policy of jwt.h. */
#include "jwt.h"
#include "valid.h"
#include "b64.h"
#include "hex.h"
#include "flimits.h"
#include "hmac256.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define JWT_SIG_LEN     32      /* HMAC-SHA256 output */
#define JWT_JSON_DEPTH  16      /* nesting allowed in header/payload; keeps recursion small */

const char *jwt_strerror(enum jwt_status s)
{
	switch (s) {
	case JWT_OK:              return "ok";
	case JWT_MALFORMED:       return "malformed token";
	case JWT_ALG_NOT_ALLOWED: return "algorithm not allowed";
	case JWT_BAD_SIGNATURE:   return "bad signature";
	case JWT_EXPIRED:         return "token expired";
	case JWT_NOT_YET_VALID:   return "token not yet valid";
	case JWT_BAD_CLAIM_TYPE:  return "claim has the wrong type";
	case JWT_BAD_TYP:         return "unsupported typ";
	case JWT_CRIT:            return "critical header extension not supported";
	case JWT_NOMEM:           return "out of memory";
	case JWT_MISSING_EXP:     return "token has no exp";
	}
	return "unknown error";
}

/* RFC 3629 UTF-8 (valid.c): json-c passes invalid sequences through, so check before parsing. */
static int utf8_ok(const unsigned char *s, size_t len)
{
	return utf8_check((const char *)s, len, 1);
}

/*
 * A strict RFC 8259 grammar check run before json-c, which in "strict" mode still takes
 * single-quoted strings, NaN, Infinity, "1." and raw control characters. It also counts
 * object members, so duplicates can be detected from json-c's tree (see parse_object).
 */
struct jscan {
	const unsigned char *p;
	size_t len;
	size_t pos;
	size_t members;
};

static int js_value(struct jscan *s, int depth);

static void js_ws(struct jscan *s)
{
	while (s->pos < s->len && (s->p[s->pos] == ' ' || s->p[s->pos] == '\t' ||
				   s->p[s->pos] == '\n' || s->p[s->pos] == '\r'))
		s->pos++;
}

static int js_hex4(struct jscan *s, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	if (s->len - s->pos < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		int d = hex_value(s->p[s->pos++]);

		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

static int js_string(struct jscan *s)
{
	uint32_t cp, lo;

	s->pos++;       /* opening quote */
	while (s->pos < s->len) {
		unsigned char c = s->p[s->pos++];

		if (c == '"')
			return 0;
		if (c < 0x20)
			return -1;
		if (c != '\\')
			continue;
		if (s->pos >= s->len)
			return -1;
		c = s->p[s->pos++];
		if (strchr("\"\\/bfnrt", c) != NULL && c != '\0')
			continue;
		if (c != 'u' || js_hex4(s, &cp) != 0)
			return -1;
		/* Escaped UTF-16 surrogates must pair up (RFC 7493 section 2.1). */
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return -1;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (s->len - s->pos < 2 || s->p[s->pos] != '\\' || s->p[s->pos + 1] != 'u')
				return -1;
			s->pos += 2;
			if (js_hex4(s, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
				return -1;
		}
	}
	return -1;
}

static int js_digits(struct jscan *s)
{
	size_t start = s->pos;

	while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9')
		s->pos++;
	return s->pos > start ? 0 : -1;
}

static int js_number(struct jscan *s)
{
	if (s->p[s->pos] == '-')
		s->pos++;
	if (s->pos >= s->len)
		return -1;
	if (s->p[s->pos] == '0')
		s->pos++;
	else if (js_digits(s) != 0)
		return -1;
	if (s->pos < s->len && s->p[s->pos] == '.') {
		s->pos++;
		if (js_digits(s) != 0)
			return -1;
	}
	if (s->pos < s->len && (s->p[s->pos] == 'e' || s->p[s->pos] == 'E')) {
		s->pos++;
		if (s->pos < s->len && (s->p[s->pos] == '+' || s->p[s->pos] == '-'))
			s->pos++;
		if (js_digits(s) != 0)
			return -1;
	}
	return 0;
}

static int js_literal(struct jscan *s, const char *lit)
{
	size_t n = strlen(lit);

	if (s->len - s->pos < n || memcmp(s->p + s->pos, lit, n) != 0)
		return -1;
	s->pos += n;
	return 0;
}

/* An object or an array (s at its '{' or '['): comma-separated members "name": value, or values. */
static int js_container(struct jscan *s, int depth)
{
	unsigned char close = s->p[s->pos++] == '{' ? '}' : ']';

	js_ws(s);
	if (s->pos < s->len && s->p[s->pos] == close) {
		s->pos++;
		return 0;
	}
	for (;;) {
		js_ws(s);
		if (close == '}') {
			if (s->pos >= s->len || s->p[s->pos] != '"' || js_string(s) != 0)
				return -1;
			s->members++;
			js_ws(s);
			if (s->pos >= s->len || s->p[s->pos] != ':')
				return -1;
			s->pos++;
			js_ws(s);
		}
		if (js_value(s, depth) != 0)
			return -1;
		js_ws(s);
		if (s->pos >= s->len)
			return -1;
		if (s->p[s->pos] == close) {
			s->pos++;
			return 0;
		}
		if (s->p[s->pos++] != ',')
			return -1;
	}
}

static int js_value(struct jscan *s, int depth)
{
	unsigned char c;

	if (s->pos >= s->len)
		return -1;
	c = s->p[s->pos];
	if ((c == '{' || c == '[') && depth >= JWT_JSON_DEPTH)
		return -1;
	if (c == '{' || c == '[')
		return js_container(s, depth + 1);
	if (c == '"')
		return js_string(s);
	if (c == '-' || (c >= '0' && c <= '9'))
		return js_number(s);
	if (c == 't')
		return js_literal(s, "true");
	if (c == 'f')
		return js_literal(s, "false");
	if (c == 'n')
		return js_literal(s, "null");
	return -1;
}

/* Members of every object in the tree; bounded recursion (depth checked by js_value). */
static size_t count_members(json_object *o)
{
	struct json_object_iterator it, end;
	size_t n = 0, i, len;

	switch (json_object_get_type(o)) {
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		while (!json_object_iter_equal(&it, &end)) {
			n += 1 + count_members(json_object_iter_peek_value(&it));
			json_object_iter_next(&it);
		}
		break;
	case json_type_array:
		len = json_object_array_length(o);
		for (i = 0; i < len; i++)
			n += count_members(json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
	return n;
}

/* Parse one decoded segment: UTF-8, strict JSON, an object, no duplicate member names. */
static enum jwt_status parse_object(const unsigned char *text, size_t len, json_object **out)
{
	struct jscan s = { text, len, 0, 0 };
	struct json_tokener *tok = NULL;
	json_object *obj = NULL;
	enum jwt_status st = JWT_MALFORMED;

	*out = NULL;
	/* Decoded segments are shorter than the token, so len fits json-c's int. */
	if (len > LIM_TOKEN || !utf8_ok(text, len))
		goto out;
	js_ws(&s);
	if (s.pos >= s.len || text[s.pos] != '{' || js_value(&s, 0) != 0)
		goto out;
	js_ws(&s);
	if (s.pos != s.len)
		goto out;
	if ((tok = json_tokener_new()) == NULL) {
		st = JWT_NOMEM;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, (const char *)text, (int)len);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(obj, json_type_object))
		goto out;
	/*
	 * json-c keeps only the last of repeated names (also after unescaping, e.g. "\u0061lg"),
	 * so a tree holding fewer members than the text names means a duplicate (RFC 7515 5.2).
	 */
	if (count_members(obj) != s.members)
		goto out;
	*out = obj;
	obj = NULL;
	st = JWT_OK;
out:
	json_object_put(obj);
	if (tok != NULL)
		json_tokener_free(tok);
	return st;
}

static int json_str_is(json_object *v, const char *want)
{
	size_t n = strlen(want);

	return json_object_is_type(v, json_type_string) &&
	       (size_t)json_object_get_string_len(v) == n &&
	       memcmp(json_object_get_string(v), want, n) == 0;
}

/* ASCII-only case folding, independent of the locale. */
static int json_str_is_nocase(json_object *v, const char *lower)
{
	size_t n = strlen(lower), i;
	const char *s;

	if (!json_object_is_type(v, json_type_string) || (size_t)json_object_get_string_len(v) != n)
		return 0;
	s = json_object_get_string(v);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)lower[i])
			return 0;
	}
	return 1;
}

/* NumericDate: a JSON number (json-c int or double), finite. */
static int is_numeric_date(json_object *v)
{
	if (json_object_is_type(v, json_type_int))
		return 1;
	return json_object_is_type(v, json_type_double) && isfinite(json_object_get_double(v));
}

/* <0, 0, >0 as now is before, at or after the NumericDate v. Integers compare exactly. */
static int cmp_now(json_object *v, long long now)
{
	double t, n;

	if (json_object_is_type(v, json_type_int)) {
		int64_t it = json_object_get_int64(v);

		return now < it ? -1 : now > it;
	}
	t = json_object_get_double(v);
	n = (double)now;
	return n < t ? -1 : n > t;
}

static enum jwt_status check_header(json_object *hdr)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(hdr, "alg", &v) || !json_object_is_type(v, json_type_string))
		return JWT_MALFORMED;
	if (!json_str_is(v, "HS256"))
		return JWT_ALG_NOT_ALLOWED;
	if (json_object_object_get_ex(hdr, "typ", &v) && !json_str_is_nocase(v, "jwt"))
		return JWT_BAD_TYP;
	if (json_object_object_get_ex(hdr, "crit", NULL))
		return JWT_CRIT;
	return JWT_OK;
}

static enum jwt_status check_claims(json_object *pay, long long now, int require_exp,
				    struct jwt_claims *c)
{
	json_object *sub = NULL, *exp = NULL, *nbf = NULL;
	int has_sub, has_exp, has_nbf;
	const char *s;
	size_t n;

	/* get_ex reports a JSON null as present with a NULL value: that is a wrong type. */
	has_sub = json_object_object_get_ex(pay, "sub", &sub);
	has_exp = json_object_object_get_ex(pay, "exp", &exp);
	has_nbf = json_object_object_get_ex(pay, "nbf", &nbf);
	if (has_sub && !json_object_is_type(sub, json_type_string))
		return JWT_BAD_CLAIM_TYPE;
	if ((has_exp && !is_numeric_date(exp)) || (has_nbf && !is_numeric_date(nbf)))
		return JWT_BAD_CLAIM_TYPE;
	if (has_sub) {
		s = json_object_get_string(sub);
		n = (size_t)json_object_get_string_len(sub);
		/* An embedded NUL would let "id\u0000junk" pass as "id". */
		if (n >= sizeof(c->sub) || memchr(s, '\0', n) != NULL)
			return JWT_MALFORMED;
		memcpy(c->sub, s, n);
		c->sub[n] = '\0';
		c->has_sub = 1;
	}
	if (has_exp) {
		if (cmp_now(exp, now) >= 0)
			return JWT_EXPIRED;
		c->has_exp = 1;
		c->exp = json_object_get_double(exp);
	} else if (require_exp) {
		return JWT_MISSING_EXP;
	}
	if (has_nbf && cmp_now(nbf, now) < 0)
		return JWT_NOT_YET_VALID;
	return JWT_OK;
}

enum jwt_status jwt_verify_hs256(const char *token, size_t len, const unsigned char *key, size_t keylen,
				 long long now, int require_exp, struct jwt_claims *out)
{
	const char *dot1, *dot2;
	unsigned char *hdr = NULL, *pay = NULL, *sig = NULL;
	size_t hdr_len = 0, pay_len = 0, sig_len = 0;
	unsigned char mac[EVP_MAX_MD_SIZE];
	json_object *hobj = NULL, *pobj = NULL;
	struct jwt_claims c;
	enum jwt_status st = JWT_MALFORMED;

	memset(&c, 0, sizeof(c));
	memset(mac, 0, sizeof(mac));
	if (token == NULL || len == 0 || len > LIM_TOKEN)
		goto out;
	/* Fail closed on a missing secret rather than accept an unkeyed MAC. */
	if (key == NULL || keylen == 0) {
		st = JWT_BAD_SIGNATURE;
		goto out;
	}
	/* Exactly three segments. */
	if ((dot1 = memchr(token, '.', len)) == NULL)
		goto out;
	if ((dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))) == NULL)
		goto out;
	if (memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		goto out;
	if (b64url_decode(token, (size_t)(dot1 - token), &hdr, &hdr_len) != 0 ||
	    b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &pay, &pay_len) != 0 ||
	    b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), &sig, &sig_len) != 0)
		goto out;       /* ENOMEM is indistinguishable here; failing closed is what matters */

	/*
	 * Only HS256 with one key is accepted, so the MAC can be checked first: unauthenticated
	 * bytes never reach the JSON parser. The MAC covers the segments exactly as received.
	 */
	st = JWT_BAD_SIGNATURE;
	if (sig_len != JWT_SIG_LEN)
		goto out;
	if (hmac256(key, keylen, token, (size_t)(dot2 - token), mac) != 0)
		goto out;
	if (CRYPTO_memcmp(mac, sig, JWT_SIG_LEN) != 0)
		goto out;

	if ((st = parse_object(hdr, hdr_len, &hobj)) != JWT_OK)
		goto out;
	if ((st = check_header(hobj)) != JWT_OK)
		goto out;
	if ((st = parse_object(pay, pay_len, &pobj)) != JWT_OK)
		goto out;
	if ((st = check_claims(pobj, now, require_exp, &c)) != JWT_OK)
		goto out;
	if (out != NULL)
		*out = c;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	json_object_put(hobj);
	json_object_put(pobj);
	free(hdr);
	free(pay);
	free(sig);
	return st;
}

char *jwt_issue_hs256(const char *sub, long long exp, const unsigned char *key, size_t keylen)
{
	static const char header_json[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	json_object *payload = NULL, *v = NULL;
	const char *payload_json;
	char *h64 = NULL, *p64 = NULL, *s64 = NULL, *token = NULL, *ret = NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t sublen, hl, pl, sl;

	if (sub == NULL || key == NULL || keylen == 0)
		return NULL;
	sublen = strnlen(sub, JWT_SUB_MAX + 1);
	/* Refuse what jwt_verify_hs256 would refuse, so every issued token verifies. */
	if (sublen > JWT_SUB_MAX ||
	    !utf8_ok((const unsigned char *)sub, sublen))
		return NULL;

	/* json-c keeps insertion order: exp first, as the Python service writes it. */
	if ((payload = json_object_new_object()) == NULL)
		goto out;
	if ((v = json_object_new_int64((int64_t)exp)) == NULL)
		goto out;
	if (json_object_object_add(payload, "exp", v) != 0)
		goto out;       /* v is still ours on failure */
	v = NULL;
	if ((v = json_object_new_string_len(sub, (int)sublen)) == NULL)
		goto out;
	if (json_object_object_add(payload, "sub", v) != 0)
		goto out;
	v = NULL;
	payload_json = json_object_to_json_string_ext(payload,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (payload_json == NULL)
		goto out;

	if ((h64 = b64url_encode((const unsigned char *)header_json, sizeof(header_json) - 1)) == NULL ||
	    (p64 = b64url_encode((const unsigned char *)payload_json, strlen(payload_json))) == NULL)
		goto out;
	hl = strlen(h64);
	pl = strlen(p64);
	/* Room for "h.p.sig": the signature needs 43 chars. */
	if ((token = malloc(hl + 1 + pl + 1 + 43 + 1)) == NULL)
		goto out;
	memcpy(token, h64, hl);
	token[hl] = '.';
	memcpy(token + hl + 1, p64, pl);
	token[hl + 1 + pl] = '\0';
	if (hmac256(key, keylen, token, hl + 1 + pl, mac) != 0)
		goto out;
	if ((s64 = b64url_encode(mac, JWT_SIG_LEN)) == NULL)
		goto out;
	sl = strlen(s64);
	if (sl != 43)
		goto out;
	token[hl + 1 + pl] = '.';
	memcpy(token + hl + 1 + pl + 1, s64, sl + 1);
	ret = token;
	token = NULL;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	json_object_put(v);
	json_object_put(payload);
	free(h64);
	free(p64);
	free(s64);
	free(token);
	return ret;
}
