/* auth.h: users, the bearer-token check and the current user, re-read from the database per request. */
#ifndef FILES_AUTH_H
#define FILES_AUTH_H
#include <json-c/json.h>
#include <libpq-fe.h>
#include "err.h"
#include "flimits.h"
#include "uuid.h"

struct user {
	char id[UUID_STR_LEN + 1];
	char *email;
	char *full_name;        /* NULL when not set */
	char *hashed_password;
	int is_active;
	int is_superuser;
};

/* Release u (NULL is fine). */
void user_free(struct user *u);
/* Load a user by email, compared case-insensitively. HE_OK with *out (caller frees),
 * HE_NOT_FOUND, HE_DB_UNAVAILABLE. */
enum herr user_load_by_email(const char *email, struct user **out);
/* The UserPublic JSON of u (new object, caller puts). */
json_object *user_to_json(const struct user *u);
/* Mint an access token for user_id, valid ACCESS_TOKEN_EXPIRE_MINUTES. Malloc'd; NULL on ENOMEM. */
char *auth_issue_token(const char *user_id);
/*
 * The bearer token alone (no database), from the Authorization header h (NULL: absent):
 * its user id into uid. HE_OK, HE_NOT_AUTHENTICATED or HE_BAD_CREDENTIALS (uid "").
 */
enum herr auth_token(const char *h, char uid[UUID_STR_LEN + 1]);
/*
 * Load the user of uid into *out (replacing it; caller frees) and check it: HE_OK, HE_NOT_FOUND ("User not
 * found"), HE_BAD_REQUEST ("Inactive user"), HE_FORBIDDEN (superuser required),
 * HE_DB_UNAVAILABLE; *detail gets the text to answer with (static).
 */
enum herr auth_user(const char *uid, int superuser, struct user **out, const char **detail);
/*
 * The columns a user is read with, each prefixed with t (a table alias and dot, or "").
 * A handler's statement that selects them first, for the caller's id, lets auth_user_row check
 * the caller from its result: the user's read and the handler's work in one statement.
 */
#define AUTH_USER_COLS(t) t "id::text, " t "email, " t "full_name, " t "hashed_password, " \
	t "is_active, " t "is_superuser"
#define AUTH_USER_NCOLS 6
/* auth_user's checks on row 0 of res (AUTH_USER_COLS first; no row, or a NULL id: not found). */
enum herr auth_user_row(PGresult *res, int superuser, struct user **out, const char **detail);

#endif
