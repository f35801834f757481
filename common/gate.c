/* gate.c: authentication and the user's checks, from the headers (see gate.h). */
#include "gate.h"
#include "auth.h"
#include "db.h"

enum herr gate_run(const struct http_request *in, struct reqctx *c, unsigned flags, const char **detail)
{
	enum herr e;

	*detail = NULL;
	if (!(flags & (GATE_AUTH | GATE_SUPERUSER)))
		return HE_OK;
	c->auth_superuser = (flags & GATE_SUPERUSER) != 0;
	if ((e = auth_token(in->authorization, c->auth_uid)) != HE_OK)
		return e;
	if ((flags & GATE_USER_LATE) && !c->auth_superuser)
		return HE_OK;
	return auth_user(c->auth_uid, c->auth_superuser, &c->user, detail);
}

int gate_user_row(struct exchange *x, enum herr e, PGresult **res)
{
	struct reqctx *c = &x->ctx;
	const char *detail = NULL;

	if (e != HE_OK) {
		/* no user to check: the statement itself failed (logged by db_exec) */
		http_error(&x->out, e, NULL);
	} else if (c->user == NULL && c->auth_uid[0] != '\0' &&
	    (e = auth_user_row(*res, c->auth_superuser, &c->user, &detail)) != HE_OK) {
		http_error(&x->out, e, detail);
	} else {
		return 0;
	}
	PQclear(*res);
	*res = NULL;
	return -1;
}

int gate_user_in(struct exchange *x, const char *sql, int n, const char *const *params, PGresult **res)
{
	*res = NULL;
	return gate_user_row(x, db_exec(res, sql, n, params), res);
}

int gate_user(struct exchange *x)
{
	struct reqctx *c = &x->ctx;
	const char *detail = NULL;
	enum herr e;

	if (c->user != NULL || c->auth_uid[0] == '\0')
		return 0;
	if ((e = auth_user(c->auth_uid, c->auth_superuser, &c->user, &detail)) != HE_OK) {
		http_error(&x->out, e, detail);
		return -1;
	}
	return 0;
}
