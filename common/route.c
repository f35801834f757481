/* route.c: route matching and the central preconditions (see route.h). */
#include "route.h"
#include "auth.h"
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

int route_match(const char *pattern, const char *path, size_t len,
    char **names, char **values, size_t *vlens, size_t max)
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

static int method_matches(const struct route *rt, const struct http_request *r)
{
	if (strcmp(rt->method, r->method_str) == 0)
		return 1;
	return r->method == HM_HEAD && strcmp(rt->method, "GET") == 0;
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

static void preflight(struct http_request *r)
{
	if (!http_origin_allowed(r)) {
		http_error(r, HE_BAD_REQUEST, "Disallowed CORS origin");
		return;
	}
	http_add_header(r, "Access-Control-Allow-Methods", "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
	http_add_header(r, "Access-Control-Max-Age", "600");
	/* Allowing every header, Starlette echoes the requested list; one with CR/LF is refused by http_add_header. */
	if (r->acr_headers && *r->acr_headers)
		http_add_header(r, "Access-Control-Allow-Headers", r->acr_headers);
	/* Starlette answers "OK" as text; an empty body keeps every response free of non-JSON content. */
	http_send(r, 200, NULL, "", 0);
}

static void free_match(char **names, char **vals, int n)
{
	int i;
	for (i = 0; i < n; i++) { free(names[i]); free(vals[i]); }
}

/* 307 to the other slash form when some route has it (FastAPI's redirect_slashes). */
static int try_redirect(struct http_request *r, const struct route *t, size_t n)
{
	char *names[LIM_ROUTE_PARAMS], *vals[LIM_ROUTE_PARAMS], *alt, *loc;
	size_t vl[LIM_ROUTE_PARAMS], i, alen;
	int found = 0;

	if (r->path_len <= 1)
		return 0;
	if ((alt = malloc(r->path_len + 2)) == NULL)
		return 0;
	memcpy(alt, r->uri, r->path_len);
	if (r->uri[r->path_len - 1] == '/')
		alen = r->path_len - 1;
	else
		alt[r->path_len] = '/', alen = r->path_len + 1;
	alt[alen] = '\0';
	for (i = 0; i < n && !found; i++) {
		int m = route_match(t[i].pattern, alt, alen, names, vals, vl, LIM_ROUTE_PARAMS);
		if (m >= 0) {
			free_match(names, vals, m);
			found = 1;
		}
	}
	if (found) {
		struct buf b;
		buf_init(&b, LIM_URI * 3 + 16);
		buf_append(&b, alt, alen);
		if (*r->query) {
			buf_puts(&b, "?");
			buf_puts(&b, r->query);
		}
		/* Never echo raw bytes into a header: re-encode anything outside the URL alphabet. */
		loc = http_encode_path(buf_cstr(&b), b.len);
		buf_free(&b);
		if (loc && http_add_header(r, "Location", loc) == 0)
			http_send(r, 307, NULL, "", 0);
		else
			http_error(r, HE_INTERNAL, NULL);
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

void route_dispatch(struct http_request *r, const struct route *t, size_t n)
{
	char *names[LIM_ROUTE_PARAMS], *vals[LIM_ROUTE_PARAMS];
	size_t vl[LIM_ROUTE_PARAMS], i, k;
	const struct route *hit = NULL;
	struct buf allow;
	int path_hit = 0;
	const char *detail = NULL;
	enum herr e;

	if (r->method == HM_OPTIONS && r->origin && r->acr_method && config_get()->n_cors_origins) {
		preflight(r);
		return;
	}
	/* The web server may have resolved these segments before choosing this responder
	 * (lighttpd does): refused here whichever responder gets them, as Apache refuses them. */
	if (route_has_dot_segment(r->uri, r->path_len)) {
		http_error(r, HE_BAD_REQUEST, r->path_len >= 7 && memcmp(r->uri, "/files/", 7) == 0
		    ? "Invalid file path" : "Invalid path");
		return;
	}
	buf_init(&allow, 256);
	for (i = 0; i < n; i++) {
		int mm = route_match(t[i].pattern, r->uri, r->path_len, names, vals, vl, LIM_ROUTE_PARAMS);
		if (mm == -2) {
			buf_free(&allow);
			http_error(r, HE_INTERNAL, NULL);
			return;
		}
		if (mm < 0)
			continue;
		path_hit = 1;
		if (!method_listed(buf_cstr(&allow), t[i].method))
			buf_printf(&allow, "%s%s", allow.len ? ", " : "", t[i].method);
		if (hit == NULL && method_matches(&t[i], r)) {
			hit = &t[i];
			for (k = 0; k < (size_t)mm; k++) {
				r->param_name[k] = names[k];
				r->param[k] = vals[k];
				r->param_len[k] = vl[k];
			}
			r->nparams = (size_t)mm;
		} else {
			free_match(names, vals, mm);
		}
	}
	if (hit == NULL) {
		if (path_hit) {
			http_add_header(r, "Allow", buf_cstr(&allow));
			http_error(r, HE_METHOD, NULL);
		} else if (!try_redirect(r, t, n)) {
			http_error(r, HE_NO_ROUTE, NULL);
		}
		buf_free(&allow);
		return;
	}
	buf_free(&allow);

	if ((hit->flags & RF_BODY) || hit->fields) {
		e = http_read_body(r, hit->body_max ? hit->body_max : LIM_JSON_BODY);
		if (e != HE_OK) {
			http_error(r, e, e == HE_TOO_LARGE ? "Request body too large" : NULL);
			return;
		}
	}
	if (hit->flags & (RF_AUTH | RF_SUPERUSER)) {
		r->auth_superuser = (hit->flags & RF_SUPERUSER) != 0;
		e = auth_token(r);
		if (e == HE_OK && !(hit->flags & RF_USER_LATE))
			e = auth_user(r, r->auth_superuser, &detail);
		if (e != HE_OK) {
			http_error(r, e, detail);
			return;
		}
	}
	/* Validation: every path parameter and every body field, reported together. */
	for (i = 0; i < r->nparams; i++) {
		char norm[UUID_STR_LEN + 1], spec[64];
		snprintf(spec, sizeof(spec), "{%s}", r->param_name[i]);
		if (strstr(hit->pattern, spec) != NULL) {     /* a plain {name} is a UUID */
			if (valid_uuid(&r->verrs, "path", r->param_name[i], r->param[i], r->param_len[i], norm) == 0) {
				free(r->param[i]);
				r->param[i] = strdup(norm);
				r->param_len[i] = UUID_STR_LEN;
				if (r->param[i] == NULL) {
					http_error(r, HE_INTERNAL, NULL);
					return;
				}
			}
		}
	}
	if (hit->fields)
		jsonin_parse(&r->jin, buf_cstr(&r->body), r->body.len, r->content_type,
		    hit->fields, hit->nfields, r->jv, &r->verrs);
	if (verrs_count(&r->verrs) || r->verrs.nomem) {
		if (route_user(r) == 0)      /* FastAPI checks the user before the body */
			http_error(r, HE_VALIDATION, NULL);
		return;
	}
	hit->fn(r);
	if (!r->headers_sent) {
		log_error("handler for %s %s sent no response", hit->method, hit->pattern);
		http_error(r, HE_INTERNAL, NULL);
	}
}

int route_user_in(struct http_request *r, const char *sql, int n, const char *const *params, PGresult **res)
{
	const char *detail = NULL;
	enum herr e;

	*res = NULL;
	e = db_exec(res, sql, n, params);
	if (e != HE_OK) {
		/* no user to check: the statement itself failed (logged by db_exec) */
		http_error(r, e, NULL);
	} else if (r->user == NULL && r->auth_uid[0] != '\0' &&
	    (e = auth_user_row(r, r->auth_superuser, &detail, *res)) != HE_OK) {
		http_error(r, e, detail);
	} else {
		return 0;
	}
	PQclear(*res);
	*res = NULL;
	return -1;
}

int route_user(struct http_request *r)
{
	const char *detail = NULL;
	enum herr e;

	if (r->user != NULL || r->auth_uid[0] == '\0')
		return 0;
	if ((e = auth_user(r, r->auth_superuser, &detail)) != HE_OK) {
		http_error(r, e, detail);
		return -1;
	}
	return 0;
}
