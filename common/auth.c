/* auth.c: bearer tokens (API.md §1) and the current user (see auth.h). */
#include "auth.h"
#include "config.h"
#include "db.h"
#include "jwt.h"
#include "log.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define USER_COLS AUTH_USER_COLS("")
#define USER_BY_ID_SQL "SELECT " USER_COLS " FROM users WHERE id = $1::uuid"

void user_free(struct user *u)
{
	if (u == NULL)
		return;
	free(u->email);
	free(u->full_name);
	if (u->hashed_password) {
		explicit_bzero(u->hashed_password, strlen(u->hashed_password));
		free(u->hashed_password);
	}
	free(u);
}

/* The one user row of res, AUTH_USER_COLS first (HE_NOT_FOUND when none or NULL), into
 * *out (caller frees). */
static enum herr user_from_row(PGresult *res, struct user **out)
{
	struct user *u;

	*out = NULL;
	if (PQntuples(res) != 1 || PQnfields(res) < AUTH_USER_NCOLS || PQgetisnull(res, 0, 0))
		return HE_NOT_FOUND;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return HE_INTERNAL;
	snprintf(u->id, sizeof(u->id), "%s", PQgetvalue(res, 0, 0));
	u->email = strdup(PQgetvalue(res, 0, 1));
	u->full_name = PQgetisnull(res, 0, 2) ? NULL : strdup(PQgetvalue(res, 0, 2));
	u->hashed_password = strdup(PQgetvalue(res, 0, 3));
	u->is_active = PQgetvalue(res, 0, 4)[0] == 't';
	u->is_superuser = PQgetvalue(res, 0, 5)[0] == 't';
	if (u->email == NULL || u->hashed_password == NULL || (!PQgetisnull(res, 0, 2) && u->full_name == NULL)) {
		user_free(u);
		return HE_INTERNAL;
	}
	*out = u;
	return HE_OK;
}

static enum herr user_load(const char *sql, const char *arg, struct user **out)
{
	PGresult *res = NULL;
	const char *params[1] = { arg };
	enum herr e;

	*out = NULL;
	if ((e = db_exec(&res, sql, 1, params)) == HE_OK)
		e = user_from_row(res, out);
	PQclear(res);
	return e;
}

enum herr user_load_by_email(const char *email, struct user **out)
{
	return user_load("SELECT " USER_COLS " FROM users WHERE lower(email) = lower($1)", email, out);
}

json_object *user_to_json(const struct user *u)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "email", json_object_new_string(u->email));
	json_object_object_add(o, "is_active", json_object_new_boolean(u->is_active));
	json_object_object_add(o, "is_superuser", json_object_new_boolean(u->is_superuser));
	json_object_object_add(o, "full_name", u->full_name ? json_object_new_string(u->full_name) : NULL);
	json_object_object_add(o, "id", json_object_new_string(u->id));
	return o;
}

char *auth_issue_token(const char *user_id)
{
	const struct config *c = config_get();
	long long exp = (long long)time(NULL) + c->access_token_expire_minutes * 60;

	return jwt_issue_hs256(user_id, exp, (const unsigned char *)c->secret_key, strlen(c->secret_key));
}

enum herr auth_token(const char *h, char uid[UUID_STR_LEN + 1])
{
	const struct config *c = config_get();
	const char *sp, *tok;
	struct jwt_claims claims;
	char why[200];

	uid[0] = '\0';
	/* Starlette splits "scheme param" at the first space; the scheme is case-insensitive. */
	if (h == NULL || *h == '\0')
		return HE_NOT_AUTHENTICATED;
	sp = strchr(h, ' ');
	if ((sp ? (size_t)(sp - h) : strlen(h)) != 6 || strncasecmp(h, "bearer", 6) != 0)
		return HE_NOT_AUTHENTICATED;
	tok = sp ? sp + 1 : "";
	if (strlen(tok) > LIM_TOKEN)
		return HE_BAD_CREDENTIALS;
	if (jwt_verify_hs256(tok, strlen(tok), (const unsigned char *)c->secret_key,
	    strlen(c->secret_key), (long long)time(NULL), 1, &claims) != JWT_OK)
		return HE_BAD_CREDENTIALS;
	if (!claims.has_sub || uuid_parse(claims.sub, strlen(claims.sub), uid, why, sizeof(why)) != 0) {
		uid[0] = '\0';
		return HE_BAD_CREDENTIALS;
	}
	return HE_OK;
}

enum herr auth_user_row(PGresult *res, int superuser, struct user **out, const char **detail)
{
	struct user *u = NULL;
	enum herr e;

	*detail = NULL;
	if ((e = user_from_row(res, &u)) == HE_NOT_FOUND) {
		*detail = "User not found";
		return HE_NOT_FOUND;
	}
	if (e != HE_OK)
		return e;
	if (!u->is_active) {
		user_free(u);
		*detail = "Inactive user";
		return HE_BAD_REQUEST;
	}
	if (superuser && !u->is_superuser) {
		user_free(u);
		*detail = "The user doesn't have enough privileges";
		return HE_FORBIDDEN;
	}
	user_free(*out);
	*out = u;
	return HE_OK;
}

enum herr auth_user(const char *uid, int superuser, struct user **out, const char **detail)
{
	const char *params[1] = { uid };
	PGresult *res = NULL;
	enum herr e;

	*detail = NULL;
	if (uid[0] == '\0')
		return HE_BAD_CREDENTIALS;
	if ((e = db_exec(&res, USER_BY_ID_SQL, 1, params)) == HE_OK)
		e = auth_user_row(res, superuser, out, detail);
	PQclear(res);
	return e;
}
