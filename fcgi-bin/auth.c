/* auth.fcgi: login (OAuth2 password form) and the current user (API.md §2). */
#include "auth.h"
#include "config.h"
#include "form.h"
#include "log.h"
#include "multipart.h"
#include "password.h"
#include "query.h"
#include "responder.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Content type ct is type (any case), bare or with parameters. */
static int ct_is(const char *ct, const char *type)
{
	size_t n = strlen(type);

	return ct && strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* OAuth2PasswordRequestForm's fields; all are read and checked, those before LF_SCOPE used. */
enum { LF_USERNAME, LF_PASSWORD, LF_GRANT_TYPE, LF_SCOPE, LF_CLIENT_ID, LF_CLIENT_SECRET, LF_N };
#define LF_READ LF_N
static const char *const lf_name[LF_N] = {
	"username", "password", "grant_type", "scope", "client_id", "client_secret",
};

/* The login form from either encoding. */
struct login_form {
	struct query q;                       /* urlencoded */
	struct form_field mp[LF_READ + LF_N]; /* multipart: the used text fields, then each as a file */
	int multipart;                        /* mp went through form_read */
	const char *value[LF_READ];           /* NULL when absent; points into q or mp */
	size_t len[LF_READ];                  /* value's length (a %00 makes it longer than strlen) */
	int file[LF_N];                       /* the field came as a file part */
};

/*
 * Read r's body as FastAPI reads a form, at most LIM_FORM_BODY bytes: urlencoded or
 * multipart, any other type as an empty form. 0, or -1 once the error is answered.
 */
static int login_form_read(struct http_request *r, struct login_form *f)
{
	char boundary[LIM_MP_BOUNDARY + 1];
	const char *detail;
	enum herr e;
	size_t i;

	if (!ct_is(r->content_type, "multipart/form-data")) {
		e = http_read_body(r, LIM_FORM_BODY);
		if (e != HE_OK) {
			http_error(r, e, e == HE_TOO_LARGE ? "Request body too large" : NULL);
			return -1;
		}
		if (ct_is(r->content_type, "application/x-www-form-urlencoded") &&
		    query_parse(&f->q, buf_cstr(&r->body), r->body.len) != 0) {
			http_error(r, HE_BAD_REQUEST, "Malformed form body");
			return -1;
		}
		for (i = 0; i < LF_READ; i++)
			f->value[i] = query_get(&f->q, lf_name[i], &f->len[i]);
		return 0;
	}
	/* Starlette refuses multipart without a boundary; form_read would read it as no form. */
	if (mp_boundary(r->content_type, boundary, sizeof(boundary)) < 0) {
		http_error(r, HE_BAD_REQUEST, "There was an error parsing the body");
		return -1;
	}
	/* Text limit = body limit: a value is never cut, so it compares as the urlencoded one.
	 * File parts are kept only to be refused (FastAPI's str fields take no UploadFile). */
	for (i = 0; i < LF_READ; i++)
		f->mp[i] = (struct form_field){ .name = lf_name[i], .max_text = LIM_FORM_BODY, .fd = -1 };
	for (i = 0; i < LF_N; i++)
		f->mp[LF_READ + i] = (struct form_field){ .name = lf_name[i], .is_file = 1,
		    .max_file = LIM_FORM_BODY, .fd = -1 };
	f->multipart = 1;
	e = form_read(r, f->mp, LF_READ + LF_N, LIM_FORM_BODY, &detail);
	if (e != HE_OK) {
		http_error(r, e, e == HE_TOO_LARGE ? "Request body too large" : detail);
		return -1;
	}
	for (i = 0; i < LF_READ; i++) {
		f->value[i] = f->mp[i].present ? f->mp[i].text : NULL;
		f->len[i] = f->mp[i].present ? f->mp[i].text_len : 0;
	}
	for (i = 0; i < LF_N; i++)
		f->file[i] = f->mp[LF_READ + i].present;
	return 0;
}

static void login_form_free(struct login_form *f)
{
	query_free(&f->q);
	if (f->multipart)
		form_free(f->mp, LF_READ + LF_N);
}

/*
 * A form field as FastAPI reads it: absent or empty is missing, a file part is not a
 * string (FastAPI would echo the UploadFile as input; null here), and a value with a NUL
 * or invalid UTF-8 is refused (issue 9). Adds the 422 entry.
 */
static const char *form_field(struct http_request *r, const char *name, const char *v, size_t len,
    int file, int required)
{
	const char *loc[] = { "body", name, NULL };

	if (file) {
		verrs_add(&r->verrs, "string_type", loc, "Input should be a valid string", NULL, NULL);
		return NULL;
	}
	if (v != NULL && len > 0)
		return valid_text(&r->verrs, loc, v, len) == 0 ? v : NULL;
	if (required)
		verrs_add(&r->verrs, "missing", loc, "Field required", NULL, NULL);
	return NULL;
}

static void login(struct http_request *r)
{
	struct login_form f = { .q = { .n = 0 } };
	const char *username, *password, *grant;
	struct user *u = NULL;
	json_object *o;
	char *token = NULL;
	enum herr e;
	size_t i;
	int ok;

	if (login_form_read(r, &f) != 0)
		goto out;
	username = form_field(r, "username", f.value[LF_USERNAME], f.len[LF_USERNAME], f.file[LF_USERNAME], 1);
	password = form_field(r, "password", f.value[LF_PASSWORD], f.len[LF_PASSWORD], f.file[LF_PASSWORD], 1);
	grant = form_field(r, "grant_type", f.value[LF_GRANT_TYPE], f.len[LF_GRANT_TYPE], f.file[LF_GRANT_TYPE], 0);
	for (i = LF_SCOPE; i < LF_N; i++)
		form_field(r, lf_name[i], f.value[i], f.len[i], f.file[i], 0);
	if (grant && strcmp(grant, "password") != 0) {
		const char *loc[] = { "body", "grant_type", NULL };
		json_object *ctx = json_object_new_object();
		json_object_object_add(ctx, "pattern", json_object_new_string("^password$"));
		verrs_add(&r->verrs, "string_pattern_mismatch", loc, "String should match pattern '^password$'",
		    json_object_new_string(grant), ctx);
	}
	if (verrs_count(&r->verrs)) {
		http_error(r, HE_VALIDATION, NULL);
		goto out;
	}
	/* NUL and invalid UTF-8 were refused above (422). */
	e = strlen(username) > LIM_EMAIL ? HE_NOT_FOUND : user_load_by_email(username, &u);
	if (e != HE_OK && e != HE_NOT_FOUND) {
		http_error(r, e, NULL);
		goto out;
	}
	/* An unknown email still costs one bcrypt run, so timing does not reveal which exist. */
	ok = strlen(password) <= LIM_PASSWORD &&
	    password_verify(password, u ? u->hashed_password : password_dummy_hash()) && u;
	if (!ok) {
		http_error(r, HE_BAD_REQUEST, "Incorrect email or password");
		goto out;
	}
	if (!u->is_active) {
		http_error(r, HE_BAD_REQUEST, "Inactive user");
		goto out;
	}
	if ((token = auth_issue_token(u->id)) == NULL) {
		http_error(r, HE_INTERNAL, NULL);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "access_token", json_object_new_string(token));
	json_object_object_add(o, "token_type", json_object_new_string("bearer"));
	http_send_json(r, 200, o);
out:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	user_free(u);
	login_form_free(&f);
}

static void me(struct http_request *r)
{
	http_send_json(r, 200, user_to_json(r->user));
}

static const struct route routes[] = {
	/* not RF_BODY: login reads its own body, urlencoded or streamed multipart */
	{ "POST", "/api/v1/login/access-token", 0, 0, NULL, 0, login },
	{ "GET", "/api/v1/users/me", RF_AUTH, 0, NULL, 0, me },
};

int main(void)
{
	return responder_main("auth", routes, sizeof(routes) / sizeof(routes[0]));
}
