/* jsonin.c: typed JSON body reader (see jsonin.h). Error texts follow pydantic v2. */
#include "jsonin.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "config.h"
#include "mediatype.h"
#include "num.h"
#include <limits.h>
#include "flimits.h"

void jsonin_enum_expected(const char *const *vals, char *buf, size_t len)
{
	size_t i, n = 0, o = 0;

	while (vals[n])
		n++;
	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++) {
		const char *sep = i == 0 ? "" : (i == n - 1 ? " or " : ", ");
		int w = snprintf(buf + o, len - o, "%s'%s'", sep, vals[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

int jsonin_is_json_type(const char *ct)
{
	return mediatype_json(ct);
}

static json_object *input_copy(json_object *o)
{
	return json_object_get(o);
}

static void add_err(struct verrs *v, const char *loc0, const char *type, const char *field,
    const char *msg, json_object *input, json_object *ctx)
{
	const char *loc[] = { loc0, field, NULL };
	verrs_add(v, type, loc, msg, input_copy(input), ctx);
}

/* Compiled patterns, by the address of their text (the tables are static). */
#define PATTERN_CACHE 32
static struct { const char *src; pcre2_code *code; } patterns[PATTERN_CACHE];

static pcre2_code *pattern_code(const char *pat)
{
	size_t i;
	int err;
	PCRE2_SIZE off;

	for (i = 0; i < PATTERN_CACHE && patterns[i].src; i++)
		if (patterns[i].src == pat)
			return patterns[i].code;
	if (i == PATTERN_CACHE)
		return NULL;
	patterns[i].code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &off, NULL);
	if (patterns[i].code)
		patterns[i].src = pat;
	return patterns[i].code;
}

int jsonin_pattern_ok(const char *pat)
{
	return pattern_code(pat) != NULL;
}

/* 1 when s (len bytes) holds a match of pat (pydantic searches, as re.search); -1 on error. */
static int pattern_match(const char *pat, const char *s, size_t len)
{
	pcre2_code *code = pattern_code(pat);
	pcre2_match_data *md;
	int rc;

	if (code == NULL || (md = pcre2_match_data_create_from_pattern(code, NULL)) == NULL)
		return -1;
	rc = pcre2_match(code, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

static json_object *ctx1(const char *k, json_object *val)
{
	json_object *c = json_object_new_object();
	if (c)
		json_object_object_add(c, k, val);
	else
		json_object_put(val);
	return c;
}

static int parse_int_text(const char *s, long long *out)
{
	return num_parse(s, NUM_SIGNED | NUM_BLANKS, LLONG_MIN, LLONG_MAX, out);
}

/* 1 when val is a JSON string holding a NUL ("\u0000"), which C string functions would cut short. */
static int string_has_nul(json_object *val)
{
	return json_object_is_type(val, json_type_string) &&
	    strlen(json_object_get_string(val)) != (size_t)json_object_get_string_len(val);
}

static void check_strlist(const struct jfield *f, const char *loc0, json_object *val,
    struct jvalue *out, struct verrs *v);

static void check_field(const struct jfield *f, const char *loc0, json_object *val, struct jvalue *out, struct verrs *v)
{
	enum json_type t = json_object_get_type(val);
	int has_nul = string_has_nul(val);
	char msg[512], exp[400];

	switch (f->type) {
	case JF_ENUM: {
		size_t i;
		if (t == json_type_string && !has_nul) {
			const char *s = json_object_get_string(val);
			for (i = 0; f->enum_vals[i]; i++) {
				if (strcmp(s, f->enum_vals[i]) == 0) {
					out->present = 1;
					out->s = f->enum_vals[i];
					out->slen = strlen(f->enum_vals[i]);
					return;
				}
			}
		}
		jsonin_enum_expected(f->enum_vals, exp, sizeof(exp));
		snprintf(msg, sizeof(msg), "Input should be %s", exp);
		add_err(v, loc0, "enum", f->name, msg, val, ctx1("expected", json_object_new_string(exp)));
		return;
	}
	case JF_STRING: {
		const char *s;
		size_t len, chars;
		if (t != json_type_string) {
			add_err(v, loc0, "string_type", f->name, "Input should be a valid string", val, NULL);
			return;
		}
		s = json_object_get_string(val);
		len = (size_t)json_object_get_string_len(val);
		{
			/* every string field: valid UTF-8 without NUL ("\u0000"), issue 9 */
			const char *loc[] = { loc0, f->name, NULL };
			if (valid_text(v, loc, s, len) != 0)
				return;
		}
		chars = utf8_chars(s, len);
		if (chars < f->min_len) {
			snprintf(msg, sizeof(msg), "String should have at least %zu character%s", f->min_len, f->min_len == 1 ? "" : "s");
			add_err(v, loc0, "string_too_short", f->name, msg, val, ctx1("min_length", json_object_new_int64((int64_t)f->min_len)));
			return;
		}
		if (f->max_len && chars > f->max_len) {
			snprintf(msg, sizeof(msg), "String should have at most %zu character%s", f->max_len, f->max_len == 1 ? "" : "s");
			add_err(v, loc0, "string_too_long", f->name, msg, val, ctx1("max_length", json_object_new_int64((int64_t)f->max_len)));
			return;
		}
		if (f->pattern && pattern_match(f->pattern, s, len) != 1) {
			snprintf(msg, sizeof(msg), "String should match pattern '%s'", f->pattern);
			add_err(v, loc0, "string_pattern_mismatch", f->name, msg, val, ctx1("pattern", json_object_new_string(f->pattern)));
			return;
		}
		out->present = 1;
		out->s = s;
		out->slen = len;
		return;
	}
	case JF_OBJECT:
		if (t != json_type_object) {
			add_err(v, loc0, "dict_type", f->name, "Input should be a valid dictionary", val, NULL);
			return;
		}
		out->present = 1;
		out->o = val;
		return;
	case JF_STRLIST:
		check_strlist(f, loc0, val, out, v);
		return;
	case JF_FILE:
		return;     /* filled by the form reader (fields.c) */
	case JF_INT: {
		long long i;
		if (t == json_type_int) {
			errno = 0;
			i = json_object_get_int64(val);
			if (errno != 0) {   /* json-c saturates; pydantic would accept big ints, we cannot */
				add_err(v, loc0, "int_parsing", f->name, "Input should be a valid integer, unable to parse string as an integer", val, NULL);
				return;
			}
		} else if (t == json_type_double) {
			double d = json_object_get_double(val);
			if (!isfinite(d) || d != floor(d) || fabs(d) > 9.0e18) {
				add_err(v, loc0, "int_from_float", f->name, "Input should be a valid integer, got a number with a fractional part", val, NULL);
				return;
			}
			i = (long long)d;
		} else if (t == json_type_string) {
			if (has_nul || parse_int_text(json_object_get_string(val), &i) != 0) {
				add_err(v, loc0, "int_parsing", f->name, "Input should be a valid integer, unable to parse string as an integer", val, NULL);
				return;
			}
		} else {
			add_err(v, loc0, "int_type", f->name, "Input should be a valid integer", val, NULL);
			return;
		}
		if (JF_INT_BOUNDED(f) && i < f->min) {
			snprintf(msg, sizeof(msg), "Input should be greater than or equal to %lld", f->min);
			add_err(v, loc0, "greater_than_equal", f->name, msg, val, ctx1("ge", json_object_new_int64(f->min)));
			return;
		}
		if (JF_INT_BOUNDED(f) && i > f->max) {
			snprintf(msg, sizeof(msg), "Input should be less than or equal to %lld", f->max);
			add_err(v, loc0, "less_than_equal", f->name, msg, val, ctx1("le", json_object_new_int64(f->max)));
			return;
		}
		out->present = 1;
		out->i = i;
		return;
	}
	case JF_BOOL: {
		int b;
		if (t == json_type_boolean) {
			b = json_object_get_boolean(val);
		} else if (t == json_type_int && (json_object_get_int64(val) == 0 || json_object_get_int64(val) == 1)) {
			b = (int)json_object_get_int64(val);
		} else if (t == json_type_string && !has_nul && parse_bool(json_object_get_string(val), &b) == 0) {
			;
		} else {
			const char *ty = (t == json_type_string || t == json_type_int || t == json_type_double) ? "bool_parsing" : "bool_type";
			add_err(v, loc0, ty, f->name, strcmp(ty, "bool_parsing") == 0 ?
			    "Input should be a valid boolean, unable to interpret input" : "Input should be a valid boolean", val, NULL);
			return;
		}
		out->present = 1;
		out->b = b;
		return;
	}
	case JF_UUID: {
		const char *loc = f->name;
		if (t != json_type_string) {
			add_err(v, loc0, "uuid_type", loc, "UUID input should be a string, bytes or UUID object", val, NULL);
			return;
		}
		if (valid_uuid(v, loc0, f->name, json_object_get_string(val),
		    (size_t)json_object_get_string_len(val), out->uuid) == 0)
			out->present = 1;
		return;
	}
	}
}

/* A list of strings: list_type, too_long (ctx field_type/max_length/actual_length), then each
 * item as a JF_STRING at [loc0, name, index]. */
static void check_strlist(const struct jfield *f, const char *loc0, json_object *val,
    struct jvalue *out, struct verrs *v)
{
	struct jfield item = { .name = f->name, .type = JF_STRING, .min_len = f->min_len, .max_len = f->max_len };
	size_t i, n, before = verrs_count(v);
	char msg[160];

	if (!json_object_is_type(val, json_type_array)) {
		add_err(v, loc0, "list_type", f->name, "Input should be a valid list", val, NULL);
		return;
	}
	n = json_object_array_length(val);
	if (f->max_items && n > f->max_items) {
		json_object *ctx = json_object_new_object();
		snprintf(msg, sizeof(msg), "List should have at most %zu item%s after validation, not %zu",
		    f->max_items, f->max_items == 1 ? "" : "s", n);
		json_object_object_add(ctx, "field_type", json_object_new_string("List"));
		json_object_object_add(ctx, "max_length", json_object_new_int64((int64_t)f->max_items));
		json_object_object_add(ctx, "actual_length", json_object_new_int64((int64_t)n));
		add_err(v, loc0, "too_long", f->name, msg, val, ctx);
		return;
	}
	for (i = 0; i < n; i++) {
		struct jvalue iv;
		size_t mark = verrs_count(v);
		memset(&iv, 0, sizeof(iv));
		check_field(&item, loc0, json_object_array_get_idx(val, i), &iv, v);
		if (verrs_count(v) > mark)
			verrs_loc_append_index(v, mark, i);
	}
	if (verrs_count(v) > before)
		return;
	out->present = 1;
	out->o = val;
	out->n = n;
}

int jsonin_parse(struct jsonin *j, const char *body, size_t len, const char *content_type,
    const struct jfield *fields, size_t n, struct jvalue *out, struct verrs *v)
{
	static const char *const loc_body[] = { "body", NULL };
	size_t before = verrs_count(v), i, pos;
	json_tokener *tok = NULL;
	enum json_tokener_error e;

	j->root = NULL;
	for (i = 0; i < n; i++)
		if (fields[i].src == JS_BODY)
			memset(&out[i], 0, sizeof(out[i]));
	if (len == 0) {
		verrs_add(v, "missing", loc_body, "Field required", NULL, NULL);
		return -1;
	}
	if (!jsonin_is_json_type(content_type)) {
		/* FastAPI hands the raw bytes to the model, which refuses them. */
		verrs_add(v, "model_attributes_type", loc_body,
		    "Input should be a valid dictionary or object to extract fields from",
		    json_object_new_string_len(body, (int)len), NULL);
		return -1;
	}
	if ((tok = json_tokener_new_ex(64)) == NULL) {
		v->nomem = 1;
		return -1;
	}
	/* Trailing bytes are judged below ("Extra data"), not by json-c. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
	    JSON_TOKENER_VALIDATE_UTF8);
	j->root = json_tokener_parse_ex(tok, body, (int)len);
	e = json_tokener_get_error(tok);
	pos = json_tokener_get_parse_end(tok);
	if (j->root == NULL && e == json_tokener_continue) {
		/* The input is complete: a number or literal running to its end ("123", "true")
		 * is only finished by the terminating NUL, which json-c must be given. */
		j->root = json_tokener_parse_ex(tok, "", 1);
		pos = len;
	}
	if (j->root == NULL || pos != len) {
		json_object *loc, *ctx;
		/* Trailing bytes after a complete value are "Extra data" in Python's json module. */
		const char *why = (j->root != NULL) ? "Extra data" :
		    (e == json_tokener_continue ? "Expecting value" : json_tokener_error_desc(e));

		if (j->root != NULL) {
			/* skip the whitespace python would accept after the value */
			while (pos < len && (body[pos] == ' ' || body[pos] == '\t' || body[pos] == '\n' || body[pos] == '\r'))
				pos++;
			if (pos == len)
				goto parsed;    /* only trailing whitespace: valid */
		}
		json_object_put(j->root);
		j->root = NULL;
		if ((loc = json_object_new_array()) != NULL) {
			json_object_array_add(loc, json_object_new_string("body"));
			json_object_array_add(loc, json_object_new_int64((int64_t)pos));
		}
		ctx = ctx1("error", json_object_new_string(why));
		verrs_add_loc(v, "json_invalid", loc, "JSON decode error", json_object_new_object(), ctx);
		json_tokener_free(tok);
		return -1;
	}
parsed:
	json_tokener_free(tok);
	if (!json_object_is_type(j->root, json_type_object)) {
		verrs_add(v, "model_attributes_type", loc_body,
		    "Input should be a valid dictionary or object to extract fields from",
		    json_object_get(j->root), NULL);
		return -1;
	}
	for (i = 0; i < n; i++) {
		json_object *val = NULL;
		int has;

		if (fields[i].src != JS_BODY)
			continue;
		has = json_object_object_get_ex(j->root, fields[i].name, &val);

		if (!has) {
			if (fields[i].flags & JF_REQUIRED) {
				const char *loc[] = { "body", fields[i].name, NULL };
				verrs_add(v, "missing", loc, "Field required", json_object_get(j->root), NULL);
			}
			continue;
		}
		if (val == NULL && (fields[i].flags & JF_NULLABLE))
			continue;
		check_field(&fields[i], "body", val, &out[i], v);
	}
	return verrs_count(v) > before || v->nomem ? -1 : 0;
}

int jsonin_text(const struct jfield *f, const char *loc0, const char *text, size_t len,
    struct jvalue *out, struct verrs *v)
{
	size_t before = verrs_count(v), ulen;
	char *u = utf8_lossy(text, len, &ulen);   /* Starlette decodes with errors="replace" */
	json_object *val;

	memset(out, 0, sizeof(*out));
	if (f->type == JF_STRING) {
		/* the bytes handed on are the request's own: they must be valid UTF-8 without NUL
		 * themselves, not only their checking copy (issue 9) */
		const char *loc[] = { loc0, f->name, NULL };
		if (valid_text(v, loc, text, len) != 0) {
			free(u);
			return -1;
		}
	}
	if (u == NULL || (val = json_object_new_string_len(u, (int)ulen)) == NULL) {
		free(u);
		v->nomem = 1;
		return -1;
	}
	free(u);
	check_field(f, loc0, val, out, v);
	if (out->present && (f->type == JF_STRING)) {
		/* the value handed on is the request's own bytes, not the checking copy */
		out->s = text;
		out->slen = len;
	}
	json_object_put(val);
	return verrs_count(v) > before || v->nomem ? -1 : 0;
}

void jsonin_free(struct jsonin *j)
{
	json_object_put(j->root);
	j->root = NULL;
}
