/* fields.c: the field table of a route run over a request (see fields.h). */
#include "fields.h"
#include "form.h"
#include "mediatype.h"
#include "multipart.h"
#include "query.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fields_body(const struct jfield *f, size_t n)
{
	size_t i;
	int body = 0;

	for (i = 0; i < n; i++) {
		if (f[i].flags & JF_STREAM)
			continue;     /* the handler's to read */
		if (f[i].src == JS_FORM || f[i].src == JS_FILE)
			return 2;
		if (f[i].src == JS_BODY)
			body = 1;
	}
	return body;
}

int fields_check(const struct jfield *f, size_t n, const char *pattern, char *err, size_t errlen)
{
	size_t i;
	int form = 0, json = 0, stream = 0;

	if (n > LIM_ROUTE_FIELDS) {
		snprintf(err, errlen, "%s: %zu fields, more than LIM_ROUTE_FIELDS (%d)", pattern, n, LIM_ROUTE_FIELDS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct jfield *x = &f[i];
		int body_only = x->type == JF_OBJECT || x->type == JF_STRLIST;
		char spec[96];

		if (x->name == NULL || x->name[0] == '\0') {
			snprintf(err, errlen, "%s: field %zu has no name", pattern, i);
			return -1;
		}
		if ((body_only && x->src != JS_BODY) || ((x->type == JF_FILE) != (x->src == JS_FILE)) ||
		    (x->type == JF_ENUM && x->enum_vals == NULL)) {
			snprintf(err, errlen, "%s: field %s: type does not fit its source", pattern, x->name);
			return -1;
		}
		if (x->pattern && (x->type != JF_STRING || !jsonin_pattern_ok(x->pattern))) {
			snprintf(err, errlen, "%s: field %s: pattern does not compile", pattern, x->name);
			return -1;
		}
		if (x->equal_to && (x->equal_to > n || x->type != JF_INT || f[x->equal_to - 1].type != JF_INT ||
		    x->src != JS_BODY || f[x->equal_to - 1].src != JS_BODY)) {
			snprintf(err, errlen, "%s: field %s: equal_to names no integer body field", pattern, x->name);
			return -1;
		}
		if (x->src == JS_PATH) {
			snprintf(spec, sizeof(spec), "{%s", x->name);
			if (strstr(pattern, spec) == NULL) {
				snprintf(err, errlen, "%s: path field %s is not in the pattern", pattern, x->name);
				return -1;
			}
		}
		if ((x->flags & JF_STREAM) && (x->src != JS_FILE || stream++)) {
			snprintf(err, errlen, "%s: field %s: JF_STREAM is for one file part", pattern, x->name);
			return -1;
		}
		form |= (x->src == JS_FORM || x->src == JS_FILE) && !(x->flags & JF_STREAM);
		json |= x->src == JS_BODY;
	}
	if ((form || stream) && json) {
		snprintf(err, errlen, "%s: JSON body fields and form fields together", pattern);
		return -1;
	}
	if (form && stream) {
		snprintf(err, errlen, "%s: a streamed file part beside other form fields", pattern);
		return -1;
	}
	return 0;
}

static void add_missing(struct verrs *v, const char *loc0, const char *name, json_object *input)
{
	const char *loc[] = { loc0, name, NULL };
	verrs_add(v, "missing", loc, "Field required", input, NULL);
}

/* Path and query fields: text values checked as pydantic's lax mode does. */
static enum herr run_text(struct http_request *in, struct reqctx *c, const struct jfield *f, size_t n, const char **detail)
{
	struct query *q = &c->qry;
	size_t i, vlen;
	const char *v;

	for (i = 0; i < n; i++) {
		if (f[i].src == JS_QUERY && !c->qry_parsed) {
			if (query_parse(q, in->query, strlen(in->query)) != 0) {
				*detail = "Malformed query string";
				return HE_BAD_REQUEST;
			}
			c->qry_parsed = 1;
		}
		if (f[i].src == JS_QUERY) {
			v = query_get(q, f[i].name, &vlen);
		} else if (f[i].src == JS_PATH) {
			v = reqctx_param(c, f[i].name);
			vlen = v ? strlen(v) : 0;   /* a decoded %00 ends a path value here */
		} else {
			continue;
		}
		if (v == NULL) {
			if (f[i].flags & JF_REQUIRED)
				add_missing(&c->verrs, f[i].src == JS_QUERY ? "query" : "path", f[i].name, NULL);
			continue;
		}
		jsonin_text(&f[i], f[i].src == JS_QUERY ? "query" : "path", v, vlen, &c->jv[i], &c->verrs);
	}
	return HE_OK;
}

/* A form field's value found (text, len bytes) or a file part where text was expected. */
static void form_value(struct reqctx *c, size_t i, const struct jfield *x, const char *text,
    size_t len, int as_file)
{
	const char *loc[] = { "body", x->name, NULL };

	if (as_file)     /* FastAPI hands a str field an UploadFile: not a string */
		verrs_add(&c->verrs, "string_type", loc, "Input should be a valid string", NULL, NULL);
	else if (text != NULL && len > 0)     /* FastAPI reads an empty form value as not given */
		jsonin_text(x, "body", text, len, &c->jv[i], &c->verrs);
	else if (x->flags & JF_REQUIRED)
		add_missing(&c->verrs, "body", x->name, NULL);
}

/* An urlencoded form (or, for any type but multipart, a body read and ignored: every field
 * missing, as Starlette's empty form). */
static enum herr run_urlencoded(struct http_request *in, struct reqctx *c, const struct jfield *f, size_t n,
    size_t body_max, const char **detail)
{
	const char *v;
	size_t i, vlen = 0;
	enum herr e;

	if ((e = http_read_body(in, body_max)) != HE_OK)
		return e;
	if (mediatype_is(in->content_type, "application/x-www-form-urlencoded")) {
		if (query_parse(&c->formq, buf_cstr(&in->body), in->body.len) != 0) {
			*detail = "Malformed form body";
			return HE_BAD_REQUEST;
		}
		c->formq_parsed = 1;
	}
	for (i = 0; i < n; i++) {
		if (f[i].src == JS_FORM) {
			v = c->formq_parsed ? query_get(&c->formq, f[i].name, &vlen) : NULL;
			form_value(c, i, &f[i], v, v ? vlen : 0, 0);
		} else if (f[i].src == JS_FILE && (f[i].flags & JF_REQUIRED)) {
			add_missing(&c->verrs, "body", f[i].name, NULL);
		}
	}
	return HE_OK;
}

/* A multipart form: text fields checked as text, file parts handed on as temp files. Each
 * text field also has a file sink, to refuse a file part sent for it. A text field keeps 4
 * bytes per character and one more, so a value cut there is still too long. */
static enum herr run_multipart(struct http_request *in, struct reqctx *c, const struct jfield *f, size_t n,
    size_t body_max, const char **detail)
{
	char boundary[LIM_MP_BOUNDARY + 1];
	struct form_field *ff;
	size_t i, k, m = 0, map[2 * LIM_ROUTE_FIELDS];
	enum herr e;

	/* Starlette refuses multipart without a usable boundary */
	if (mp_boundary(in->content_type, boundary, sizeof(boundary)) < 0) {
		*detail = "There was an error parsing the body";
		return HE_BAD_REQUEST;
	}
	if ((ff = calloc(2 * n, sizeof(*ff))) == NULL)
		return HE_INTERNAL;
	c->form = ff;
	for (i = 0; i < n; i++) {
		if (f[i].src != JS_FORM && f[i].src != JS_FILE)
			continue;
		map[m] = i;
		ff[m] = (struct form_field){ .name = f[i].name, .fd = -1, .is_file = f[i].src == JS_FILE,
		    .max_text = f[i].max_len ? f[i].max_len * 4 + 4 : LIM_FORM_BODY,
		    .max_file = f[i].src == JS_FILE && f[i].max_len ? (long long)f[i].max_len : (long long)body_max };
		m++;
		if (f[i].src == JS_FORM) {
			map[m] = i;
			ff[m] = (struct form_field){ .name = f[i].name, .fd = -1, .is_file = 1, .max_file = (long long)body_max };
			m++;
		}
	}
	c->nform = m;
	if ((e = form_read(in, ff, m, (long long)body_max, detail)) != HE_OK)
		return e;
	for (k = 0; k < m; k++) {
		struct jvalue *v = &c->jv[map[k]];
		const struct jfield *x = &f[map[k]];

		if (x->src == JS_FORM) {     /* its text sink, then its file sink */
			form_value(c, map[k], x, ff[k].present ? ff[k].text : NULL, ff[k].text_len, ff[k + 1].present);
			k++;
		} else if (ff[k].present) {
			v->present = 1;
			v->s = ff[k].filename;
			v->slen = strlen(ff[k].filename);
			v->i = ff[k].size;
			v->fd = ff[k].fd;
		} else if (x->flags & JF_REQUIRED) {
			add_missing(&c->verrs, "body", x->name, NULL);
		}
	}
	return HE_OK;
}

/* Rules across fields, as pydantic's model validators: only once every field is valid. */
static void model_rules(struct reqctx *c, const struct jfield *f, size_t n)
{
	static const char *const loc[] = { "body", NULL };
	char msg[200];
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (f[i].equal_to == 0 || (k = f[i].equal_to - 1) >= n)
			continue;
		if (c->jv[i].present && c->jv[k].present && c->jv[i].i != c->jv[k].i) {
			snprintf(msg, sizeof(msg), "Value error, %s and %s must be equal", f[k].name, f[i].name);
			verrs_add(&c->verrs, "value_error", loc, msg, json_object_get(c->jin.root), json_object_new_object());
		}
	}
}

enum herr fields_run(struct http_request *in, struct reqctx *c, const struct jfield *f, size_t n, size_t body_max,
    const char **detail)
{
	enum herr e;
	size_t i;

	*detail = NULL;
	if (n > LIM_ROUTE_FIELDS)
		return HE_INTERNAL;     /* route_check refuses such a table at start */
	for (i = 0; i < n; i++) {
		memset(&c->jv[i], 0, sizeof(c->jv[i]));
		c->jv[i].fd = -1;
	}
	if ((e = run_text(in, c, f, n, detail)) != HE_OK)
		return e;
	switch (fields_body(f, n)) {
	case 2:
		e = mediatype_is(in->content_type, "multipart/form-data") ?
		    run_multipart(in, c, f, n, body_max, detail) : run_urlencoded(in, c, f, n, body_max, detail);
		if (e != HE_OK)
			return e;
		break;
	case 1:
		if ((e = http_read_body(in, body_max)) != HE_OK) {
			if (e == HE_TOO_LARGE)
				*detail = "Request body too large";
			return e;
		}
		if (jsonin_parse(&c->jin, buf_cstr(&in->body), in->body.len, in->content_type, f, n, c->jv, &c->verrs) == 0)
			model_rules(c, f, n);
		break;
	}
	if (c->verrs.nomem)
		return HE_INTERNAL;
	return verrs_count(&c->verrs) ? HE_VALIDATION : HE_OK;
}

enum herr fields_stream_open(struct http_request *in, struct reqctx *c, const struct jfield *f,
    size_t n, long long body_max, struct form_stream **fs, const char **detail)
{
	size_t i;
	enum herr e;

	*fs = NULL;
	*detail = NULL;
	for (i = 0; i < n && !(f[i].flags & JF_STREAM); i++)
		;
	if (i == n)
		return HE_INTERNAL;     /* the table declares no streamed part */
	if ((e = form_stream_open(in, f[i].name, body_max, fs, detail)) != HE_OK)
		return e;
	if ((*fs == NULL || form_stream_filename(*fs) == NULL) && (f[i].flags & JF_REQUIRED)) {
		add_missing(&c->verrs, "body", f[i].name, NULL);
		return c->verrs.nomem ? HE_INTERNAL : HE_VALIDATION;
	}
	return HE_OK;
}
