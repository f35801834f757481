/* valid.c: validators producing pydantic v2 error entries (see valid.h). */
#include "valid.h"
#include <stdlib.h>
#include <stdio.h>
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

static int hexv(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

char *pct_decode(const char *src, size_t len, int plus_is_space, size_t *outlen)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		int h, l;
		if (src[i] == '%' && i + 2 < len && (h = hexv((unsigned char)src[i + 1])) >= 0 &&
		    (l = hexv((unsigned char)src[i + 2])) >= 0) {
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
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t need, k;
		unsigned int cp;

		if (c == 0)
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
