/* fuzz_jsonin.c: libFuzzer driver for jsonin_parse (typed JSON bodies) over every field type and flag. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonin.h"
#include "uuid.h"
#include "valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first input byte picks one (modulo the count); the rest is the body. */
static const char *const content_types[] = {
	NULL,
	"",
	"application/json",
	"application/json; charset=utf-8",
	"APPLICATION/JSON \t",
	"application/merge-patch+json",
	"application/+json",
	"application/jsonx",
	"application/x-www-form-urlencoded",
	"text/plain",
	"multipart/form-data; boundary=x",
	"application/",
};
#define N_CT (sizeof(content_types) / sizeof(content_types[0]))
#define N_CT_JSON 6     /* the first six are read as JSON */

static const char *const formats[] = { "png", "jpeg", "webp", NULL };
static const char *const modes[] = { "a", "ab", "", NULL };
static const char *const only[] = { "x", NULL };

/* Every jf_type under every combination of JF_REQUIRED and JF_NULLABLE, with and without limits. */
static const struct jfield fields[] = {
	{ "s", JF_STRING, JF_REQUIRED, NULL, 1, 8, 0, -1 },
	{ "s0", JF_STRING, 0, NULL, 0, 0, 0, -1 },
	{ "sn", JF_STRING, JF_NULLABLE, NULL, 2, 0, 0, -1 },
	{ "e", JF_ENUM, JF_REQUIRED, formats, 0, 0, 0, -1 },
	{ "e0", JF_ENUM, JF_NULLABLE, modes, 0, 0, 0, -1 },
	{ "e1", JF_ENUM, JF_REQUIRED | JF_NULLABLE, only, 0, 0, 0, -1 },
	{ "i", JF_INT, JF_REQUIRED, NULL, 0, 0, -5, 100 },
	{ "i0", JF_INT, 0, NULL, 0, 0, 1, 0 },           /* min > max: unbounded */
	{ "in", JF_INT, JF_NULLABLE, NULL, 0, 0, 7, 7 },
	{ "b", JF_BOOL, 0, NULL, 0, 0, 0, -1 },
	{ "bn", JF_BOOL, JF_REQUIRED | JF_NULLABLE, NULL, 0, 0, 0, -1 },
	{ "u", JF_UUID, JF_REQUIRED, NULL, 0, 0, 0, -1 },
	{ "un", JF_UUID, JF_NULLABLE, NULL, 0, 0, 0, -1 },
	{ .name = "p", .type = JF_STRING, .pattern = "^[a-z0-9_-]{1,32}$" },
	{ .name = "o", .type = JF_OBJECT, .flags = JF_NULLABLE },
	{ .name = "l", .type = JF_STRLIST, .max_items = 3, .min_len = 1, .max_len = 4 },
	{ .name = "q", .src = JS_QUERY, .type = JF_INT },   /* not a body field: never filled */
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

enum doc { DOC_VALUE, DOC_EXTRA_DATA, DOC_INVALID };

/* The body judged independently, as json-c documents for complete input (the terminating NUL
 * passed along): one value then only JSON whitespace, a value then more, or no value. */
static enum doc reference_doc(const char *body, size_t len)
{
	json_tokener *tok = json_tokener_new_ex(64);
	json_object *o;
	char *z = malloc(len + 1);
	enum doc d = DOC_INVALID;
	size_t end;

	if (tok == NULL || z == NULL)
		abort();
	memcpy(z, body, len);
	z[len] = '\0';
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
	    JSON_TOKENER_VALIDATE_UTF8);
	if ((o = json_tokener_parse_ex(tok, z, (int)len + 1)) != NULL) {
		end = json_tokener_get_parse_end(tok);
		while (end < len && strchr(" \t\n\r", z[end]) != NULL && z[end] != '\0')
			end++;
		d = end >= len ? DOC_VALUE : DOC_EXTRA_DATA;
		json_object_put(o);
	}
	json_tokener_free(tok);
	free(z);
	return d;
}

/* The type and ctx.error of the first error in v ("" when none). */
static void first_error(const struct verrs *v, const char **type, const char **why)
{
	json_object *e, *o;

	*type = *why = "";
	if (v->list == NULL || json_object_array_length(v->list) == 0)
		return;
	e = json_object_array_get_idx(v->list, 0);
	if (json_object_object_get_ex(e, "type", &o))
		*type = json_object_get_string(o);
	if (json_object_object_get_ex(e, "ctx", &o) && json_object_object_get_ex(o, "error", &o))
		*why = json_object_get_string(o);
}

/* The JSON string given for name, when the body is an object holding a string there. */
static json_object *given_string(const struct jsonin *j, const char *name)
{
	json_object *v = NULL;

	if (j->root == NULL || !json_object_is_type(j->root, json_type_object) ||
	    !json_object_object_get_ex(j->root, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return v;
}

static int is_lower_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != UUID_STR_LEN)
		return 0;
	for (i = 0; i < UUID_STR_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

/* What a field reported present must satisfy. */
static void check_value(const struct jsonin *j, const struct jfield *f, const struct jvalue *v)
{
	json_object *str = given_string(j, f->name);
	size_t k, chars;
	char again[UUID_STR_LEN + 1], why[200];

	/* A string that decides a non-string field must be all of it: no tail after a NUL. */
	if (str && f->type != JF_STRING &&
	    strlen(json_object_get_string(str)) != (size_t)json_object_get_string_len(str))
		abort();
	switch (f->type) {
	case JF_STRING:
		if (v->s == NULL || v->s[v->slen] != '\0')
			abort();
		chars = utf8_chars(v->s, v->slen);
		if (chars < f->min_len || (f->max_len && chars > f->max_len))
			abort();
		/* every string field: valid UTF-8, no NUL (issue 9) */
		if (!utf8_valid(v->s, v->slen))
			abort();
		break;
	case JF_ENUM:
		for (k = 0; f->enum_vals[k]; k++)
			if (v->s == f->enum_vals[k])
				break;
		if (f->enum_vals[k] == NULL || v->slen != strlen(v->s))
			abort();
		if (str == NULL || (size_t)json_object_get_string_len(str) != v->slen)
			abort();
		break;
	case JF_INT:
		if (JF_INT_BOUNDED(f) && (v->i < f->min || v->i > f->max))
			abort();
		break;
	case JF_BOOL:
		if (v->b != 0 && v->b != 1)
			abort();
		break;
	case JF_OBJECT:
		if (!json_object_is_type(v->o, json_type_object))
			abort();
		break;
	case JF_STRLIST:
		if (!json_object_is_type(v->o, json_type_array) || v->n != json_object_array_length(v->o) ||
		    (f->max_items && v->n > f->max_items))
			abort();
		for (k = 0; k < v->n; k++) {
			json_object *it = json_object_array_get_idx(v->o, k);
			if (!json_object_is_type(it, json_type_string))
				abort();
			chars = utf8_chars(json_object_get_string(it), (size_t)json_object_get_string_len(it));
			if (chars < f->min_len || (f->max_len && chars > f->max_len))
				abort();
		}
		break;
	case JF_FILE:
		abort();     /* never a body field */
	case JF_UUID:
		if (!is_lower_uuid(v->uuid) ||
		    uuid_parse(v->uuid, UUID_STR_LEN, again, why, sizeof(why)) != 0 ||
		    strcmp(again, v->uuid) != 0)
			abort();
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonin j;
	struct jvalue out[N_FIELDS];
	struct verrs v;
	const char *ct;
	char *body, exp[64];
	size_t blen, i, before;
	int rc;

	if (size == 0)
		return 0;
	ct = content_types[data[0] % N_CT];
	blen = size - 1;
	/* Exact-size copy, so ASan catches any read past len (the body is not NUL-terminated). */
	if ((body = malloc(blen ? blen : 1)) == NULL)
		return 0;
	memcpy(body, data + 1, blen);

	verrs_init(&v);
	memset(out, 0, sizeof(out));     /* jsonin_parse fills body fields only */
	before = verrs_count(&v);
	rc = jsonin_parse(&j, body, blen, ct, fields, N_FIELDS, out, &v);
	if (rc == 0 && (verrs_count(&v) != before || v.nomem))
		abort();
	if (rc != 0 && verrs_count(&v) == before && !v.nomem)
		abort();
	/* JSON syntax errors (json_invalid) exactly when the body is not one JSON document. */
	if (blen > 0 && (size_t)(data[0] % N_CT) < N_CT_JSON) {
		const char *type, *why;
		enum doc d = reference_doc(body, blen);

		first_error(&v, &type, &why);
		if ((d == DOC_VALUE) != (strcmp(type, "json_invalid") != 0))
			abort();
		if (d != DOC_VALUE && (d == DOC_EXTRA_DATA) != (strcmp(why, "Extra data") == 0))
			abort();
	}
	for (i = 0; i < N_FIELDS; i++) {
		if (out[i].present && fields[i].src != JS_BODY)
			abort();
		if (out[i].present)
			check_value(&j, &fields[i], &out[i]);
		else if (rc == 0 && (fields[i].flags & JF_REQUIRED) && !(fields[i].flags & JF_NULLABLE))
			abort();    /* a valid body has every required, non-nullable field */
	}
	/* The 422 body the responder would send. */
	if (v.list && json_object_to_json_string_ext(v.list, JSON_C_TO_STRING_PLAIN) == NULL)
		abort();
	jsonin_free(&j);
	jsonin_free(&j);
	verrs_free(&v);

	/* The expected-values text, into buffers of every small size. */
	for (i = 1; i <= sizeof(exp); i += 7) {
		jsonin_enum_expected(formats, exp, i);
		if (strnlen(exp, i) == i)
			abort();
	}
	free(body);
	return 0;
}
