/* valid.c: validators producing pydantic v2 error entries (see valid.h). */
#include "valid.h"
#include "hex.h"
#include <stdlib.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

void verrs_init(struct verrs *v)
{
	v->list = NULL;
	v->nomem = 0;
}

void verrs_free(struct verrs *v)
{
	json_object_put(v->list);
	v->list = NULL;
}

size_t verrs_count(const struct verrs *v)
{
	return v->list ? json_object_array_length(v->list) : 0;
}

void verrs_add_loc(struct verrs *v, const char *type, json_object *loc, const char *msg,
    json_object *input, json_object *ctx)
{
	json_object *e = NULL;

	if (v->list == NULL && (v->list = json_object_new_array()) == NULL)
		goto fail;
	if (loc == NULL || (e = json_object_new_object()) == NULL)
		goto fail;
	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_object_add(e, "loc", loc);
	json_object_object_add(e, "msg", json_object_new_string(msg));
	json_object_object_add(e, "input", input);
	if (ctx)
		json_object_object_add(e, "ctx", ctx);
	if (json_object_array_add(v->list, e) != 0) {
		json_object_put(e);
		v->nomem = 1;
	}
	return;
fail:
	v->nomem = 1;
	json_object_put(loc);
	json_object_put(input);
	json_object_put(ctx);
}

void verrs_add(struct verrs *v, const char *type, const char *const *loc, const char *msg,
    json_object *input, json_object *ctx)
{
	json_object *l = json_object_new_array();
	size_t i;

	for (i = 0; l && loc[i]; i++)
		json_object_array_add(l, json_object_new_string(loc[i]));
	verrs_add_loc(v, type, l, msg, input, ctx);
}

char *pct_decode(const char *src, size_t len, int plus_is_space, size_t *outlen)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		int h, l;
		if (src[i] == '%' && i + 2 < len && (h = hex_value((unsigned char)src[i + 1])) >= 0 &&
		    (l = hex_value((unsigned char)src[i + 2])) >= 0) {
			out[o++] = (char)(h * 16 + l);
			i += 2;
		} else if (plus_is_space && src[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = src[i];
		}
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

int valid_uuid(struct verrs *v, const char *loc0, const char *name, const char *raw, size_t rawlen,
    char out[UUID_STR_LEN + 1])
{
	char why[200], msg[256];
	const char *loc[] = { loc0, name, NULL };
	json_object *ctx;

	if (uuid_parse(raw, rawlen, out, why, sizeof(why)) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "Input should be a valid UUID, %s", why);
	ctx = json_object_new_object();
	if (ctx)
		json_object_object_add(ctx, "error", json_object_new_string(why));
	verrs_add(v, "uuid_parsing", loc, msg, json_object_new_string_len(raw, (int)rawlen), ctx);
	return -1;
}

size_t utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

int utf8_valid(const char *s, size_t len)
{
	return utf8_check(s, len, 0);
}

int utf8_check(const char *s, size_t len, int allow_nul)
{
	const uint64_t high = 0x8080808080808080ULL, ones = 0x0101010101010101ULL;
	size_t i = 0;

	while (i < len) {
		unsigned char c;
		size_t need, k;
		unsigned int cp;
		uint64_t v;

		/* eight ASCII bytes at a time (a JSON answer is mostly ASCII): none with the top bit
		 * set, and no NUL unless allowed (the has-a-zero-byte test) */
		while (i + 8 <= len) {
			memcpy(&v, s + i, 8);
			if ((v & high) || (!allow_nul && ((v - ones) & ~v & high)))
				break;
			i += 8;
		}
		if (i >= len)
			break;
		c = (unsigned char)s[i];
		if (c == 0 && !allow_nul)
			return 0;
		if (c < 0x80) { i++; continue; }
		if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; }
		else return 0;
		if (i + need >= len)
			return 0;
		for (k = 1; k <= need; k++) {
			unsigned char d = (unsigned char)s[i + k];
			if ((d & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (d & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* Length (1..4) of the valid UTF-8 sequence at s[0..len), or 0 with *bad the length of its
 * maximal invalid subpart (>= 1), as the Unicode standard and Python count replacements. */
static size_t utf8_seq(const unsigned char *s, size_t len, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0) lo = 0xa0;
		if (c == 0xed) hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0) lo = 0x90;
		if (c == 0xf4) hi = 0x8f;
	} else {
		*bad = 1;
		return 0;
	}
	for (k = 1; k <= need; k++) {
		if (k >= len || s[k] < lo || s[k] > hi) {
			*bad = k;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

char *utf8_lossy(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out = malloc(len * 3 + 1);
	size_t i = 0, o = 0, n, bad;

	if (out == NULL)
		return NULL;
	while (i < len) {
		if ((n = utf8_seq(u + i, len - i, &bad)) > 0) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += bad;
		}
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

/* 1 when s[0..n) holds a %XX escape that pct_decode would decode. */
static int has_escape(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i++)
		if (s[i] == '%' && hex_value((unsigned char)s[i + 1]) >= 0 && hex_value((unsigned char)s[i + 2]) >= 0)
			return 1;
	return 0;
}

/* The checks of one segment (n > 0 bytes). deep: a form reached by decoding it again, which
 * may not be "." either nor hold a '/'. first: the key's first segment (no ':'). */
static int seg_ok(const char *s, size_t n, int first, int deep)
{
	size_t i;

	if ((n == 2 && s[0] == '.' && s[1] == '.') || (deep && n == 1 && s[0] == '.'))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '\\' || (first && c == ':') || (deep && c == '/'))
			return 0;
	}
	return 1;
}

/* Decode segment s[0..n) again and again while it holds escapes, checking every form.
 * 1 ok, 0 refused, -1 ENOMEM. Each pass shortens it, so this ends. */
static int seg_ok_deep(const char *s, size_t n, int first)
{
	char *cur = NULL, *next;
	const char *p = s;
	size_t len = n;
	int ok = 1;

	while (ok && has_escape(p, len)) {
		if ((next = pct_decode(p, len, 0, &len)) == NULL) {
			free(cur);
			return -1;
		}
		free(cur);
		p = cur = next;
		ok = len > 0 && seg_ok(p, len, first, 1);
	}
	free(cur);
	return ok;
}

enum vsp valid_storage_path(const char *in, size_t len, char **out)
{
	char *key;
	size_t i = 0, o = 0, n;
	int ok;

	*out = NULL;
	if (len == 0)
		return VSP_EMPTY;
	if (in[0] == '/' || !utf8_valid(in, len))     /* utf8_valid refuses NUL too */
		return VSP_BAD;
	if ((key = malloc(len + 1)) == NULL)
		return VSP_NOMEM;
	/* Pass 1: split, drop "." and empty segments, check each as decoded once. */
	while (i < len) {
		const char *seg = in + i, *slash = memchr(seg, '/', len - i);
		n = slash ? (size_t)(slash - seg) : len - i;
		if (n > 0 && !(n == 1 && seg[0] == '.')) {
			if (!seg_ok(seg, n, o == 0, 0) || o + (o > 0) + n > LIM_STORAGE_KEY)
				goto bad;
			if (o > 0)
				key[o++] = '/';
			memcpy(key + o, seg, n);
			o += n;
		}
		i += n + 1;
	}
	key[o] = '\0';
	if (o == 0) {
		free(key);
		return VSP_EMPTY;
	}
	/* Pass 2: every further decoding of each kept segment (double encoding). */
	for (i = 0; i < o; i += n + 1) {
		const char *slash = memchr(key + i, '/', o - i);
		n = slash ? (size_t)(slash - (key + i)) : o - i;
		if ((ok = seg_ok_deep(key + i, n, i == 0)) < 0) {
			free(key);
			return VSP_NOMEM;
		}
		if (!ok)
			goto bad;
	}
	*out = key;
	return VSP_OK;
bad:
	free(key);
	return VSP_BAD;
}

static int private_seg(const char *s, size_t n)
{
	static const char *const prefixes[] = { "loras", "bulk-uploads" };
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (n == strlen(prefixes[i]) && memcmp(s, prefixes[i], n) == 0)
			return 1;
	return 0;
}

int storage_key_private(const char *key)
{
	size_t len = strcspn(key, "/");
	const char *p = key;
	char *cur = NULL, *next;
	int priv = private_seg(p, len);

	/* As traversal is checked at every decoding depth, so is the prefix: "%256Coras"
	 * is "loras" to whatever decodes it twice (a CDN, a proxy, a later rewrite). */
	while (!priv && has_escape(p, len)) {
		if ((next = pct_decode(p, len, 0, &len)) == NULL) {
			free(cur);
			return 1;     /* out of memory: refuse, as if private */
		}
		free(cur);
		p = cur = next;
		priv = private_seg(p, len);
	}
	free(cur);
	return priv;
}

void verrs_loc_append_index(struct verrs *v, size_t from, size_t index)
{
	size_t i, n = verrs_count(v);
	json_object *loc;

	for (i = from; i < n; i++)
		if (json_object_object_get_ex(json_object_array_get_idx(v->list, i), "loc", &loc))
			json_object_array_add(loc, json_object_new_int64((int64_t)index));
}

int valid_text(struct verrs *v, const char *const *loc, const char *s, size_t len)
{
	json_object *input = NULL, *ctx;
	size_t ilen;
	char *in;

	if (utf8_valid(s, len))
		return 0;
	if ((in = utf8_lossy(s, len, &ilen)) != NULL)
		input = json_object_new_string_len(in, (int)ilen);
	free(in);
	if (utf8_valid_nul(s, len)) {
		/* valid UTF-8 holding a NUL: C strings, PostgreSQL text and logs cannot carry it */
		ctx = json_object_new_object();
		json_object_object_add(ctx, "error", json_object_new_object());
		verrs_add(v, "value_error", loc, "Value error, String should not contain a NUL character", input, ctx);
	} else {
		verrs_add(v, "string_unicode", loc,
		    "Input should be a valid string, unable to parse raw data as a unicode string", input, NULL);
	}
	return -1;
}

int utf8_valid_nul(const char *s, size_t len)
{
	const char *p = s, *end = s + len, *z;

	while ((z = memchr(p, 0, (size_t)(end - p))) != NULL) {
		if (!utf8_valid(p, (size_t)(z - p)))
			return 0;
		p = z + 1;
	}
	return utf8_valid(p, (size_t)(end - p));
}
