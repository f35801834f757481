/* auth.fcgi: login (OAuth2 password form) and the current user (API.md §2). */
#include "auth.h"
#include "config.h"
#include "log.h"
#include "password.h"
#include "query.h"
#include "responder.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_form(const char *ct)
{
	return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 &&
	    (ct[33] == '\0' || ct[33] == ';' || ct[33] == ' ');
}

/* A form field as FastAPI reads it: absent or empty is missing. Adds the 422 entry. */
static const char *form_field(struct http_request *r, const struct query *q, const char *name, int required)
{
	const char *v = query_get(q, name, NULL);
	const char *loc[] = { "body", name, NULL };

	if (v != NULL && *v != '\0')
		return v;
	if (required)
		verrs_add(&r->verrs, "missing", loc, "Field required", NULL, NULL);
	return NULL;
}

static void login(struct http_request *r)
{
	struct query q = { .n = 0 };
	const char *username, *password, *grant;
	struct user *u = NULL;
	json_object *o;
	char *token = NULL;
	enum herr e;
	int ok;

	if (is_form(r->content_type) && query_parse(&q, buf_cstr(&r->body), r->body.len) != 0) {
		http_error(r, HE_BAD_REQUEST, "Malformed form body");
		return;
	}
	username = form_field(r, &q, "username", 1);
	password = form_field(r, &q, "password", 1);
	grant = form_field(r, &q, "grant_type", 0);
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
	query_free(&q);
}

static void me(struct http_request *r)
{
	http_send_json(r, 200, user_to_json(r->user));
}

static const struct route routes[] = {
	{ "POST", "/api/v1/login/access-token", RF_BODY, LIM_FORM_BODY, NULL, 0, login },
	{ "GET", "/api/v1/users/me", RF_AUTH, 0, NULL, 0, me },
};

int main(void)
{
	return responder_main("auth", routes, sizeof(routes) / sizeof(routes[0]));
}
