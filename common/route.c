/* route.c: route matching and validation, the request's one way through (see route.h).
 * It calls no database function: the gate (gate.c) reads the user. */
#include "route.h"
#include "config.h"
#include "log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ptype { P_UUID, P_SEG, P_PATH };

/* Parse "{name}" / "{name:seg}" / "{name:path}" (len bytes). 0 ok with name span and type. */
static int param_spec(const char *s, size_t len, size_t *nlen, enum ptype *t)
{
	const char *colon;

	if (len < 3 || s[0] != '{' || s[len - 1] != '}')
		return -1;
	colon = memchr(s, ':', len);
	*t = P_UUID;
	*nlen = len - 2;
	if (colon) {
		size_t tl = len - (size_t)(colon - s) - 2;
		*nlen = (size_t)(colon - s) - 1;
		if (tl == 3 && strncmp(colon + 1, "seg", 3) == 0) *t = P_SEG;
		else if (tl == 4 && strncmp(colon + 1, "path", 4) == 0) *t = P_PATH;
		else return -1;
	}
	return 0;
}

/* route_match, with each parameter's type into types (may be NULL). */
static int match_typed(const char *pattern, const char *path, size_t len,
    char **names, char **values, size_t *vlens, enum ptype *types, size_t max)
{
	const char *pp = pattern, *sp = path, *pend = pattern + strlen(pattern), *send = path + len;
	size_t n = 0, i;

	if (len == 0 || path[0] != '/' || pattern[0] != '/')
		return -1;
	pp++;
	sp++;
	for (;;) {
		const char *pe = memchr(pp, '/', (size_t)(pend - pp));
		const char *se = memchr(sp, '/', (size_t)(send - sp));
		size_t pl, sl, nl;
		enum ptype t;

		if (pe == NULL) pe = pend;
		if (se == NULL) se = send;
		pl = (size_t)(pe - pp);
		sl = (size_t)(se - sp);
		if (param_spec(pp, pl, &nl, &t) == 0) {
			if (n >= max)
				goto nomatch;
			if (t == P_PATH)
				se = send, sl = (size_t)(send - sp);
			else if (sl == 0)
				goto nomatch;
			if (types)
				types[n] = t;
			names[n] = strndup(pp + 1, nl);
			values[n] = pct_decode(sp, sl, 0, &vlens[n]);
			if (names[n] == NULL || values[n] == NULL) {
				n++;
				for (i = 0; i < n; i++) { free(names[i]); free(values[i]); }
				return -2;
			}
			n++;
			if (t == P_PATH) {
				if (pe != pend)
					goto nomatch;       /* {x:path} must be the last segment */
				return (int)n;
			}
		} else {
			size_t dl;
			char *seg = pct_decode(sp, sl, 0, &dl);
			int same;
			if (seg == NULL)
				goto nomem;
			same = dl == pl && memcmp(seg, pp, pl) == 0;
			free(seg);
			if (!same)
				goto nomatch;
		}
		if (pe == pend && se == send)
			return (int)n;
		if (pe == pend || se == send)
			goto nomatch;
		pp = pe + 1;
		sp = se + 1;
	}
nomatch:
	for (i = 0; i < n; i++) { free(names[i]); free(values[i]); }
	return -1;
nomem:
	for (i = 0; i < n; i++) { free(names[i]); free(values[i]); }
	return -2;
}

int route_match(const char *pattern, const char *path, size_t len,
    char **names, char **values, size_t *vlens, size_t max)
{
	return match_typed(pattern, path, len, names, values, vlens, NULL, max);
}

/* Count the {params} of pattern and check each spec; -1 when one is malformed or
 * {x:path} is not last. */
static int pattern_params(const char *pattern)
{
	const char *p = pattern, *e;
	enum ptype t;
	size_t nl;
	int n = 0;

	if (pattern[0] != '/')
		return -1;
	while ((p = strchr(p, '{')) != NULL) {
		if ((e = strchr(p, '}')) == NULL || param_spec(p, (size_t)(e - p + 1), &nl, &t) != 0 || nl == 0)
			return -1;
		if (t == P_PATH && e[1] != '\0')
			return -1;
		n++;
		p = e + 1;
	}
	return n;
}

int route_check(const struct route *t, size_t n, char *err, size_t errlen)
{
	size_t i;
	int np;

	for (i = 0; i < n; i++) {
		const struct route *rt = &t[i];
		if (rt->method == NULL || rt->pattern == NULL || (rt->fn == NULL) != ((rt->flags & RF_SPACE) != 0)) {
			snprintf(err, errlen, "route %zu: method, pattern and handler (none for RF_SPACE) are required", i);
			return -1;
		}
		if ((np = pattern_params(rt->pattern)) < 0 || np > LIM_ROUTE_PARAMS) {
			snprintf(err, errlen, "%s: malformed pattern or more than %d parameters", rt->pattern, LIM_ROUTE_PARAMS);
			return -1;
		}
		if ((rt->flags & RF_USER_LATE) && (rt->flags & RF_SUPERUSER)) {
			snprintf(err, errlen, "%s: a superuser check cannot wait for the handler", rt->pattern);
			return -1;
		}
		if (fields_check(rt->fields, rt->fields ? rt->nfields : 0, rt->pattern, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int method_matches(const struct route *rt, const struct exchange *x)
{
	if (strcmp(rt->method, x->in.method_str) == 0)
		return 1;
	return x->in.method == HM_HEAD && strcmp(rt->method, "GET") == 0;
}

/* 1 when method already stands in the comma-separated list. */
static int method_listed(const char *list, const char *method)
{
	size_t n = strlen(method);
	const char *p = list;

	while ((p = strstr(p, method)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static void preflight(struct exchange *x)
{
	if (!http_origin_allowed(&x->in)) {
		http_error(&x->out, HE_BAD_REQUEST, "Disallowed CORS origin");
		return;
	}
	http_add_header(&x->out, "Access-Control-Allow-Methods", "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
	http_add_header(&x->out, "Access-Control-Max-Age", "600");
	/* Allowing every header, Starlette echoes the requested list; one with CR/LF is refused by http_add_header. */
	if (x->in.acr_headers && *x->in.acr_headers)
		http_add_header(&x->out, "Access-Control-Allow-Headers", x->in.acr_headers);
	/* Starlette answers "OK" as text; an empty body keeps every response free of non-JSON content. */
	http_send(&x->out, 200, NULL, "", 0);
}

static void free_match(char **names, char **vals, int n)
{
	int i;
	for (i = 0; i < n; i++) { free(names[i]); free(vals[i]); }
}

/* 307 to the other slash form when some route has it (FastAPI's redirect_slashes). */
static int try_redirect(struct exchange *x, const struct route *t, size_t n)
{
	char *names[LIM_ROUTE_PARAMS], *vals[LIM_ROUTE_PARAMS], *alt, *loc;
	size_t vl[LIM_ROUTE_PARAMS], i, alen;
	int found = 0;

	if (x->in.path_len <= 1)
		return 0;
	if ((alt = malloc(x->in.path_len + 2)) == NULL)
		return 0;
	memcpy(alt, x->in.uri, x->in.path_len);
	if (x->in.uri[x->in.path_len - 1] == '/')
		alen = x->in.path_len - 1;
	else
		alt[x->in.path_len] = '/', alen = x->in.path_len + 1;
	alt[alen] = '\0';
	for (i = 0; i < n && !found; i++) {
		int m = (t[i].flags & RF_SPACE) ? -1 : route_match(t[i].pattern, alt, alen, names, vals, vl, LIM_ROUTE_PARAMS);
		if (m >= 0) {
			free_match(names, vals, m);
			found = 1;
		}
	}
	if (found) {
		struct buf b;
		buf_init(&b, LIM_URI * 3 + 16);
		/* Never echo raw bytes into a header: re-encode anything outside the URL alphabet. */
		if (buf_append(&b, alt, alen) || (*x->in.query && (buf_puts(&b, "?") || buf_puts(&b, x->in.query))))
			loc = NULL;
		else
			loc = http_encode_path(buf_cstr(&b), b.len);
		buf_free(&b);
		if (loc && http_add_header(&x->out, "Location", loc) == 0)
			http_send(&x->out, 307, NULL, "", 0);
		else
			http_error(&x->out, HE_INTERNAL, NULL);
		free(loc);
	}
	free(alt);
	return found;
}

/* Length of a separator at p[0..len): '/', or %2f / %5c (a web server may decode them). */
static size_t sep_len(const char *p, size_t len)
{
	if (len >= 1 && p[0] == '/')
		return 1;
	if (len >= 3 && p[0] == '%' && ((p[1] == '2' && (p[2] == 'f' || p[2] == 'F')) ||
	    (p[1] == '5' && (p[2] == 'c' || p[2] == 'C'))))
		return 3;
	return 0;
}

int route_has_dot_segment(const char *p, size_t len)
{
	size_t i = 0, j, dots, s;

	while (i < len) {
		while (i < len && (s = sep_len(p + i, len - i)) > 0)
			i += s;
		for (dots = 0, j = i; j < len; dots++) {
			if (p[j] == '.')
				j++;
			else if (j + 2 < len && p[j] == '%' && p[j + 1] == '2' && (p[j + 2] == 'e' || p[j + 2] == 'E'))
				j += 3;
			else
				break;
		}
		if ((j == len || sep_len(p + j, len - j) > 0) && (dots == 1 || dots == 2))
			return 1;
		while (j < len && sep_len(p + j, len - j) == 0)
			j++;
		i = j;
	}
	return 0;
}

/* The 400 detail for a . or .. segment: that of the route the path falls under, if any
 * (RF_SPACE entries included: lighttpd resolves the segments first and may hand the raw
 * path to another responder than the space's own). */
static const char *bad_path_detail(const struct exchange *x, const struct route *t, size_t n)
{
	char *names[LIM_ROUTE_PARAMS], *vals[LIM_ROUTE_PARAMS];
	size_t vl[LIM_ROUTE_PARAMS], i;
	int m;

	for (i = 0; i < n; i++) {
		if (t[i].bad_path == NULL)
			continue;
		m = route_match(t[i].pattern, x->in.uri, x->in.path_len, names, vals, vl, LIM_ROUTE_PARAMS);
		if (m >= 0) {
			free_match(names, vals, m);
			return t[i].bad_path;
		}
	}
	return "Invalid path";
}

/* Path parameters of a plain {name} are UUIDs: checked and normalised (422 entries). */
static int check_uuid_params(struct exchange *x, const enum ptype *types)
{
	char norm[UUID_STR_LEN + 1];
	size_t i;

	for (i = 0; i < x->ctx.nparams; i++) {
		if (types[i] != P_UUID ||
		    valid_uuid(&x->ctx.verrs, "path", x->ctx.param_name[i], x->ctx.param[i], x->ctx.param_len[i], norm) != 0)
			continue;
		free(x->ctx.param[i]);
		x->ctx.param[i] = strdup(norm);
		x->ctx.param_len[i] = UUID_STR_LEN;
		if (x->ctx.param[i] == NULL)
			return -1;
	}
	return 0;
}

/* Answer the first error of the checks: through the late user check when the user's errors
 * must come first (FastAPI's order). */
static void refuse(struct exchange *x, const struct route *hit, enum herr e, const char *detail)
{
	if (e == HE_TOO_LARGE && detail == NULL)
		detail = hit->too_large ? hit->too_large : "Request body too large";
	if (e == HE_IO || gate_user(x) != 0)
		return;
	exchange_error(x, e, detail);
}

/* Match x against t[n]: the route (its parameters into x->ctx, their types into types), or NULL
 * once answered (405 with Allow, 307, 404, 500). */
static const struct route *match(struct exchange *x, const struct route *t, size_t n, enum ptype *types)
{
	char *names[LIM_ROUTE_PARAMS], *vals[LIM_ROUTE_PARAMS];
	size_t vl[LIM_ROUTE_PARAMS], i, k;
	enum ptype ty[LIM_ROUTE_PARAMS];
	const struct route *hit = NULL;
	struct buf allow;
	int path_hit = 0, mm;

	buf_init(&allow, 256);
	for (i = 0; i < n; i++) {
		if (t[i].flags & RF_SPACE)
			continue;
		if ((mm = match_typed(t[i].pattern, x->in.uri, x->in.path_len, names, vals, vl, ty, LIM_ROUTE_PARAMS)) == -1)
			continue;
		if (mm == -2 || (!method_listed(buf_cstr(&allow), t[i].method) &&
		    buf_printf(&allow, "%s%s", allow.len ? ", " : "", t[i].method) != 0)) {
			free_match(names, vals, mm > 0 ? mm : 0);
			buf_free(&allow);
			http_error(&x->out, HE_INTERNAL, NULL);
			return NULL;
		}
		path_hit = 1;
		if (hit == NULL && method_matches(&t[i], x)) {
			hit = &t[i];
			for (k = 0; k < (size_t)mm; k++) {
				x->ctx.param_name[k] = names[k];
				x->ctx.param[k] = vals[k];
				x->ctx.param_len[k] = vl[k];
				types[k] = ty[k];
			}
			x->ctx.nparams = (size_t)mm;
		} else {
			free_match(names, vals, mm);
		}
	}
	if (hit == NULL && path_hit) {
		http_add_header(&x->out, "Allow", buf_cstr(&allow));
		http_error(&x->out, HE_METHOD, NULL);
	} else if (hit == NULL && !try_redirect(x, t, n)) {
		http_error(&x->out, HE_NO_ROUTE, NULL);
	}
	buf_free(&allow);
	return hit;
}

void (*route_finish_queued)(void);

void route_dispatch(struct exchange *x, const struct route *t, size_t n)
{
	enum ptype hit_types[LIM_ROUTE_PARAMS];
	const struct route *hit;
	const char *detail = NULL;
	size_t body_max;
	enum herr e;

	if (x->in.method == HM_OPTIONS && x->in.origin && x->in.acr_method && config_get()->n_cors_origins) {
		preflight(x);
		return;
	}
	/* The web server may have resolved these segments before choosing this responder
	 * (lighttpd does): refused here whichever responder gets them, as Apache refuses them. */
	if (route_has_dot_segment(x->in.uri, x->in.path_len)) {
		http_error(&x->out, HE_BAD_REQUEST, bad_path_detail(x, t, n));
		return;
	}
	if ((hit = match(x, t, n, hit_types)) == NULL)
		return;
	if (route_finish_queued && !(hit->flags & RF_QUEUES))
		route_finish_queued();

	/* A body declared over the limit is refused before anything is read (never drained). */
	body_max = hit->body_max ? hit->body_max : LIM_JSON_BODY;
	if ((fields_body(hit->fields, hit->fields ? hit->nfields : 0) || (hit->flags & RF_BODY)) &&
	    x->in.content_length > (long long)body_max) {
		refuse(x, hit, HE_TOO_LARGE, NULL);
		return;
	}
	/* The gate, from the headers alone: no body byte is read for a caller it refuses. */
	if ((e = gate_run(&x->in, &x->ctx, hit->flags, &detail)) != HE_OK) {
		http_error(&x->out, e, detail);
		return;
	}
	if (hit->flags & RF_DEPRECATED)
		http_add_header(&x->out, "Deprecation", "true");   /* on every answer past the gate */
	/* Validation: path parameters and the field table, every error reported together. */
	if (check_uuid_params(x, hit_types) != 0) {
		http_error(&x->out, HE_INTERNAL, NULL);
		return;
	}
	if (hit->fields)
		e = fields_run(&x->in, &x->ctx, hit->fields, hit->nfields, body_max, &detail);
	else
		e = (hit->flags & RF_BODY) ? http_read_body(&x->in, body_max) : HE_OK;
	if (e != HE_OK && e != HE_VALIDATION) {
		refuse(x, hit, e, detail);
		return;
	}
	if (verrs_count(&x->ctx.verrs) || x->ctx.verrs.nomem) {
		refuse(x, hit, x->ctx.verrs.nomem ? HE_INTERNAL : HE_VALIDATION, NULL);
		return;
	}
	hit->fn(x);
	if (!x->out.headers_sent) {
		log_error("handler for %s %s sent no response", hit->method, hit->pattern);
		http_error(&x->out, HE_INTERNAL, NULL);
	}
}
