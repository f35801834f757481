/* auth.h: users, the bearer-token check and the current user, re-read from the database per request. */
#ifndef FILES_AUTH_H
#define FILES_AUTH_H
#include <json-c/json.h>
#include "http.h"
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
/* Load a user by id (normalised UUID). HE_OK with *out (caller frees), HE_NOT_FOUND, HE_DB_UNAVAILABLE. */
enum herr user_load_by_id(const char *id, struct user **out);
/* Load a user by email, compared case-insensitively. Same results as user_load_by_id. */
enum herr user_load_by_email(const char *email, struct user **out);
/* The UserPublic JSON of u (new object, caller puts). */
json_object *user_to_json(const struct user *u);
/* Mint an access token for user_id, valid ACCESS_TOKEN_EXPIRE_MINUTES. Malloc'd; NULL on ENOMEM. */
char *auth_issue_token(const char *user_id);
/*
 * Check the request's bearer token and load its user into r->user. HE_OK, or the error to
 * answer: HE_NOT_AUTHENTICATED, HE_BAD_CREDENTIALS, HE_NOT_FOUND ("User not found"),
 * HE_BAD_REQUEST ("Inactive user"), HE_FORBIDDEN (superuser required), HE_DB_UNAVAILABLE.
 * *detail gets the text to answer with (static).
 */
enum herr auth_require(struct http_request *r, int superuser, const char **detail);

#endif
