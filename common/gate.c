/* gate.c: authentication and the user's checks, from the headers (see gate.h). */
#include "gate.h"
#include "auth.h"
#include "db.h"

enum herr gate_run(struct http_request *r, unsigned flags, const char **detail)
{
	enum herr e;

	*detail = NULL;
	if (!(flags & (GATE_AUTH | GATE_SUPERUSER)))
		return HE_OK;
	r->auth_superuser = (flags & GATE_SUPERUSER) != 0;
	if ((e = auth_token(r)) != HE_OK)
		return e;
	if ((flags & GATE_USER_LATE) && !r->auth_superuser)
		return HE_OK;
	return auth_user(r, r->auth_superuser, detail);
}

int gate_user_in(struct http_request *r, const char *sql, int n, const char *const *params, PGresult **res)
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

int gate_user(struct http_request *r)
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
