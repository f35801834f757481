/* auth.fcgi: login (OAuth2 password form) and the current user (API.md §2). */
#include "auth.h"
#include "config.h"
#include "log.h"
#include "password.h"
#include "responder.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* OAuth2PasswordRequestForm, urlencoded or multipart: a file part for any of them is a
 * string_type error; scope, client_id and client_secret are read and not used. */
enum { LF_USERNAME, LF_PASSWORD, LF_GRANT_TYPE, LF_SCOPE, LF_CLIENT_ID, LF_CLIENT_SECRET };
static const struct jfield login_fields[] = {
	[LF_USERNAME] = { .name = "username", .src = JS_FORM, .type = JF_STRING, .flags = JF_REQUIRED },
	[LF_PASSWORD] = { .name = "password", .src = JS_FORM, .type = JF_STRING, .flags = JF_REQUIRED },
	[LF_GRANT_TYPE] = { .name = "grant_type", .src = JS_FORM, .type = JF_STRING, .pattern = "^password$" },
	[LF_SCOPE] = { .name = "scope", .src = JS_FORM, .type = JF_STRING },
	[LF_CLIENT_ID] = { .name = "client_id", .src = JS_FORM, .type = JF_STRING },
	[LF_CLIENT_SECRET] = { .name = "client_secret", .src = JS_FORM, .type = JF_STRING },
};

static void login(struct http_request *r)
{
	const struct jvalue *username = &r->jv[LF_USERNAME], *password = &r->jv[LF_PASSWORD];
	struct user *u = NULL;
	json_object *o;
	char *token = NULL;
	enum herr e;
	int ok;

	/* No stored email holds a NUL or invalid UTF-8 (PostgreSQL would refuse the bytes). */
	e = username->slen > LIM_EMAIL || strlen(username->s) != username->slen ||
	    !utf8_valid(username->s, username->slen) ? HE_NOT_FOUND : user_load_by_email(username->s, &u);
	if (e != HE_OK && e != HE_NOT_FOUND) {
		http_error(r, e, NULL);
		goto out;
	}
	/* An unknown email still costs one bcrypt run, so timing does not reveal which exist.
	 * bcrypt stops at a NUL: a password holding one matches no stored hash. */
	ok = password->slen <= LIM_PASSWORD &&
	    password_verify(password->s, u ? u->hashed_password : password_dummy_hash()) && u &&
	    strlen(password->s) == password->slen;
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
}

static void me(struct http_request *r)
{
	http_send_json(r, 200, user_to_json(r->user));
}

static const struct route routes[] = {
	{ "POST", "/api/v1/login/access-token", 0, LIM_FORM_BODY, login_fields,
	  sizeof(login_fields) / sizeof(login_fields[0]), login },
	{ "GET", "/api/v1/users/me", RF_AUTH, 0, NULL, 0, me },
};

int main(void)
{
	return responder_main("auth", routes, sizeof(routes) / sizeof(routes[0]));
}
