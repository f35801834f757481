/* reqctx.h: what the service learned about one request on its way to the handler: route
 * parameters (route), typed field values and their 422 list (fields), the caller (gate).
 * Neither the raw input (struct http_request) nor the answer (struct http_response). */
#ifndef FILES_REQCTX_H
#define FILES_REQCTX_H
#include <stddef.h>
#include "flimits.h"
#include "jsonin.h"
#include "query.h"
#include "uuid.h"
#include "valid.h"

struct user;
struct form_field;

struct reqctx {
	/* route parameters, percent-decoded, owned; uuid ones normalised after validation */
	char *param_name[LIM_ROUTE_PARAMS];
	char *param[LIM_ROUTE_PARAMS];
	size_t param_len[LIM_ROUTE_PARAMS];
	size_t nparams;
	struct verrs verrs;            /* validation errors collected before the handler */
	struct jsonin jin;             /* the parsed JSON body, when the route declares fields */
	struct jvalue jv[LIM_ROUTE_FIELDS]; /* typed values, in the route's field order (fields.h) */
	struct query qry;              /* the parsed query, when a field reads it */
	int qry_parsed;
	struct query formq;            /* an urlencoded form body, when form fields read it */
	int formq_parsed;
	struct form_field *form;       /* the multipart form read for the fields, owned */
	size_t nform;
	struct user *user;             /* the authenticated caller, owned */
	char auth_uid[UUID_STR_LEN + 1]; /* the bearer token's user, once checked ("" before) */
	int auth_superuser;            /* the route requires a superuser (RF_SUPERUSER) */
};

/* An empty context. */
void reqctx_init(struct reqctx *c);
/* Release everything the context owns (the user, the form's temp files, parsed values). */
void reqctx_free(struct reqctx *c);
/* Value of route parameter name (decoded/normalised), NULL when the route has none. */
const char *reqctx_param(const struct reqctx *c, const char *name);

#endif
