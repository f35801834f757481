/* gate_public.c: the gate and the database hook of a responder whose routes are all public
 * (files.fcgi). Linked into it ahead of libfilescommon.a, it stands in for gate.o and db.o:
 * (and auth.o) such a responder neither loads libpq (nor, through it, Kerberos, LDAP and GnuTLS) nor
 * ever opens a database connection, which keeps its memory small. */
#include "gate.h"
#include "auth.h"
#include "db.h"
#include "log.h"

enum herr gate_run(const struct http_request *in, struct reqctx *c, unsigned flags, const char **detail)
{
	(void)in;
	(void)c;
	*detail = NULL;
	if (!(flags & (GATE_AUTH | GATE_SUPERUSER)))
		return HE_OK;
	/* a route that needs a caller in a responder built without the database: a bug */
	log_error("an authenticated route in a responder linked with gate_public.c");
	return HE_INTERNAL;
}

int gate_user(struct exchange *x)
{
	(void)x;     /* no route here authenticates, so there is never a caller to read */
	return 0;
}

void db_close(void)
{
	/* no connection is ever opened here */
}

void db_prefork(void)
{
	/* nothing: no login ever happens here */
}

void user_free(struct user *u)
{
	(void)u;     /* no user is ever read here: x->ctx.user stays NULL */
}
