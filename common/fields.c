/* fields.c: the field table of a route run over a request (see fields.h). */
#include "fields.h"
#include "form.h"
#include "query.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fields_body(const struct jfield *f, size_t n)
{
	size_t i;
	int body = 0;

	for (i = 0; i < n; i++) {
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
	int form = 0, json = 0;

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
		if (x->src == JS_PATH) {
			snprintf(spec, sizeof(spec), "{%s", x->name);
			if (strstr(pattern, spec) == NULL) {
				snprintf(err, errlen, "%s: path field %s is not in the pattern", pattern, x->name);
				return -1;
			}
		}
		form |= x->src == JS_FORM || x->src == JS_FILE;
		json |= x->src == JS_BODY;
	}
	if (form && json) {
		snprintf(err, errlen, "%s: JSON body fields and form fields together", pattern);
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
static enum herr run_text(struct http_request *r, const struct jfield *f, size_t n, const char **detail)
{
	struct query *q = &r->qry;
	size_t i, vlen;
	const char *v;

	for (i = 0; i < n; i++) {
		if (f[i].src == JS_QUERY && !r->qry_parsed) {
			if (query_parse(q, r->query, strlen(r->query)) != 0) {
				*detail = "Malformed query string";
				return HE_BAD_REQUEST;
			}
			r->qry_parsed = 1;
		}
		if (f[i].src == JS_QUERY) {
			v = query_get(q, f[i].name, &vlen);
		} else if (f[i].src == JS_PATH) {
			v = http_route_param(r, f[i].name);
			vlen = v ? strlen(v) : 0;   /* a decoded %00 ends a path value here */
		} else {
			continue;
		}
		if (v == NULL) {
			if (f[i].flags & JF_REQUIRED)
				add_missing(&r->verrs, f[i].src == JS_QUERY ? "query" : "path", f[i].name, NULL);
			continue;
		}
		jsonin_text(&f[i], f[i].src == JS_QUERY ? "query" : "path", v, vlen, &r->jv[i], &r->verrs);
	}
	return HE_OK;
}

/* A multipart form: text fields checked as text, file parts handed on as temp files. A text
 * field keeps 4 bytes per character and one more, so a value cut there is still too long. */
static enum herr run_form(struct http_request *r, const struct jfield *f, size_t n, size_t body_max,
    const char **detail)
{
	struct form_field *ff;
	size_t i, k, m = 0, map[LIM_ROUTE_FIELDS];
	enum herr e;

	if ((ff = calloc(n, sizeof(*ff))) == NULL)
		return HE_INTERNAL;
	r->form = ff;
	for (i = 0; i < n && m < LIM_ROUTE_FIELDS; i++) {
		if (f[i].src != JS_FORM && f[i].src != JS_FILE)
			continue;
		map[m] = i;
		ff[m].name = f[i].name;
		ff[m].fd = -1;
		ff[m].is_file = f[i].src == JS_FILE;
		ff[m].max_text = f[i].max_len ? f[i].max_len * 4 + 4 : LIM_FORM_BODY;
		ff[m].max_file = f[i].max_len ? (long long)f[i].max_len : (long long)body_max;
		m++;
	}
	r->nform = m;
	if ((e = form_read(r, ff, m, (long long)body_max, detail)) != HE_OK)
		return e;
	for (k = 0; k < m; k++) {
		struct jvalue *v = &r->jv[map[k]];
		const struct jfield *x = &f[map[k]];

		if (x->src == JS_FILE && ff[k].present) {
			v->present = 1;
			v->s = ff[k].filename;
			v->slen = strlen(ff[k].filename);
			v->i = ff[k].size;
			v->fd = ff[k].fd;
		} else if (x->src == JS_FORM && ff[k].present && ff[k].text_len > 0) {
			/* FastAPI reads an empty form value as not given */
			jsonin_text(x, "body", ff[k].text, ff[k].text_len, v, &r->verrs);
			continue;
		}
		if (!v->present && (x->flags & JF_REQUIRED))
			add_missing(&r->verrs, "body", x->name, NULL);
	}
	return HE_OK;
}

enum herr fields_run(struct http_request *r, const struct jfield *f, size_t n, size_t body_max,
    const char **detail)
{
	enum herr e;
	size_t i;

	*detail = NULL;
	for (i = 0; i < n; i++) {
		memset(&r->jv[i], 0, sizeof(r->jv[i]));
		r->jv[i].fd = -1;
	}
	if ((e = run_text(r, f, n, detail)) != HE_OK)
		return e;
	switch (fields_body(f, n)) {
	case 2:
		if ((e = run_form(r, f, n, body_max, detail)) != HE_OK)
			return e;
		break;
	case 1:
		if ((e = http_read_body(r, body_max)) != HE_OK) {
			if (e == HE_TOO_LARGE)
				*detail = "Request body too large";
			return e;
		}
		jsonin_parse(&r->jin, buf_cstr(&r->body), r->body.len, r->content_type, f, n, r->jv, &r->verrs);
		break;
	}
	if (r->verrs.nomem)
		return HE_INTERNAL;
	return verrs_count(&r->verrs) ? HE_VALIDATION : HE_OK;
}
