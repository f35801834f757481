/* export-config.fcgi: the 12 export-configuration endpoints (API.md §3). */
#include "auth.h"
#include "db.h"
#include "log.h"
#include "files.h"
#include "responder.h"
#include <string.h>

static const char *const image_formats[] = { "webp", "jpeg", "png", "avif", NULL };
static const char *const metadata_adapters[] = { "default", "ovs", NULL };

/* Field order is the index into x->ctx.jv. */
enum { F_IMAGE_FORMAT, F_METADATA_ADAPTER };
static const struct jfield create_fields[] = {
	{ .name = "image_format", .type = JF_ENUM, .enum_vals = image_formats },
	{ .name = "metadata_adapter", .type = JF_ENUM, .enum_vals = metadata_adapters },
};
static const struct jfield update_fields[] = {
	{ .name = "image_format", .type = JF_ENUM, .flags = JF_NULLABLE, .enum_vals = image_formats },
	{ .name = "metadata_adapter", .type = JF_ENUM, .flags = JF_NULLABLE, .enum_vals = metadata_adapters },
};

/* A configuration's columns, each prefixed with t (an alias and dot, or ""). */
#define COLS_OF(t) t "id::text, " \
	"to_char(" t "created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), " \
	"to_char(" t "updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), " \
	t "user_id::text, " t "organization_id::text, " t "metadata_adapter, " t "image_format"
#define COLS COLS_OF("")
/* $1 user (personal scope) or NULL, $2 organization (org scope) or NULL. */
#define SCOPE "(($2::uuid IS NULL AND organization_id IS NULL AND user_id = $1::uuid) " \
	"OR ($2::uuid IS NOT NULL AND organization_id = $2::uuid))"

/* Whose configuration a request names: a user's personal one or an organization's. */
struct scope {
	const char *user_id;   /* personal scope, else NULL */
	const char *org_id;    /* organization scope, else NULL */
};

static enum herr exists(const char *sql, const char *a, const char *b, int *found)
{
	const char *params[2] = { a, b };
	PGresult *res = NULL;
	enum herr e = db_exec(&res, sql, b ? 2 : 1, params);

	*found = e == HE_OK && PQntuples(res) > 0;
	PQclear(res);
	return e;
}

/* Apply API.md §3's rules; on failure the error has been answered. 0 ok, -1 answered. */
static int resolve_scope(struct exchange *x, struct scope *s)
{
	const char *uid = reqctx_param(&x->ctx, "user_id"), *oid = reqctx_param(&x->ctx, "org_id");
	const struct user *me = x->ctx.user;
	enum herr e;
	int found;

	s->user_id = s->org_id = NULL;
	if (oid) {
		e = exists("SELECT 1 FROM organizations WHERE id = $1::uuid", oid, NULL, &found);
		if (e == HE_OK && !found) {
			http_error(&x->out, HE_NOT_FOUND, "Organization not found");
			return -1;
		}
		if (e == HE_OK && !me->is_superuser) {
			e = exists("SELECT 1 FROM organization_members WHERE organization_id = $1::uuid "
			    "AND user_id = $2::uuid", oid, me->id, &found);
			if (e == HE_OK && !found) {
				http_error(&x->out, HE_FORBIDDEN, "Not enough permissions");
				return -1;
			}
		}
		if (e != HE_OK) {
			http_error(&x->out, e, NULL);
			return -1;
		}
		s->org_id = oid;
		return 0;
	}
	if (uid == NULL || strcmp(uid, me->id) == 0) {
		s->user_id = me->id;
		return 0;
	}
	if (!me->is_superuser) {
		http_error(&x->out, HE_FORBIDDEN, "Not enough permissions");
		return -1;
	}
	if ((e = exists("SELECT 1 FROM users WHERE id = $1::uuid", uid, NULL, &found)) != HE_OK) {
		http_error(&x->out, e, NULL);
		return -1;
	}
	if (!found) {
		http_error(&x->out, HE_NOT_FOUND, "User not found");
		return -1;
	}
	s->user_id = uid;
	return 0;
}

/* The configuration in row 0 of res, its columns from column off on. */
static json_object *row_json(const PGresult *res, int off)
{
	static const char *const names[] = { "id", "created_at", "updated_at", "user_id",
	    "organization_id", "metadata_adapter", "image_format" };
	json_object *o = json_object_new_object();
	int i;

	for (i = 0; o && i < 7; i++)
		json_object_object_add(o, names[i], PQgetisnull(res, 0, off + i) ? NULL :
		    json_object_new_string(PQgetvalue(res, 0, off + i)));
	return o;
}

/* Run a statement returning one config row (or none: 404) and answer it. */
static void answer_row(struct exchange *x, const char *sql, int n, const char *const *params)
{
	PGresult *res = NULL;
	enum herr e = db_exec(&res, sql, n, params);

	if (e == HE_INTERNAL && db_unique_violation(res))
		http_error(&x->out, HE_BAD_REQUEST, "Export configuration already exists");
	else if (e == HE_INTERNAL && strcmp(db_sqlstate(res), "23503") == 0)
		http_error(&x->out, HE_NOT_FOUND, "User not found");   /* deleted meanwhile */
	else if (e != HE_OK)
		http_error(&x->out, e, NULL);
	else if (PQntuples(res) == 0)
		http_error(&x->out, HE_NOT_FOUND, "Export configuration not found");
	else
		http_send_json(&x->out, 200, row_json(res, 0));
	PQclear(res);
}

/* GET routes check the user themselves (RF_USER_LATE): the caller's own configuration is
 * read in the statement that reads the caller. */
static void get_config(struct exchange *x)
{
	struct scope s;

	if (x->ctx.nparams == 0) {
		const char *p[1] = { x->ctx.auth_uid };
		PGresult *res;

		if (gate_user_in(x, "SELECT " AUTH_USER_COLS("u.") ", " COLS_OF("c.") " FROM users u "
		    "LEFT JOIN export_configurations c ON c.user_id = u.id AND c.organization_id IS NULL "
		    "WHERE u.id = $1::uuid", 1, p, &res) != 0)
			return;
		if (PQgetisnull(res, 0, AUTH_USER_NCOLS))
			http_error(&x->out, HE_NOT_FOUND, "Export configuration not found");
		else
			http_send_json(&x->out, 200, row_json(res, AUTH_USER_NCOLS));
		PQclear(res);
		return;
	}
	if (gate_user(x) == 0 && resolve_scope(x, &s) == 0) {
		const char *p[2] = { s.user_id, s.org_id };
		answer_row(x, "SELECT " COLS " FROM export_configurations WHERE " SCOPE, 2, p);
	}
}

static void create_config(struct exchange *x)
{
	char id[UUID_STR_LEN + 1];
	struct scope s;
	const char *p[5];

	if (resolve_scope(x, &s) != 0)
		return;
	if (uuid_v4(id) != 0) {
		http_error(&x->out, HE_INTERNAL, NULL);
		return;
	}
	p[0] = id;
	p[1] = s.org_id ? x->ctx.user->id : s.user_id;   /* an org config records its creator */
	p[2] = s.org_id;
	p[3] = x->ctx.jv[F_IMAGE_FORMAT].present ? x->ctx.jv[F_IMAGE_FORMAT].s : "webp";
	p[4] = x->ctx.jv[F_METADATA_ADAPTER].present ? x->ctx.jv[F_METADATA_ADAPTER].s : "default";
	answer_row(x, "INSERT INTO export_configurations (id, user_id, organization_id, image_format, "
	    "metadata_adapter) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5) RETURNING " COLS, 5, p);
}

static void update_config(struct exchange *x)
{
	struct scope s;

	if (resolve_scope(x, &s) == 0) {
		const char *p[4] = { s.user_id, s.org_id,
		    x->ctx.jv[F_IMAGE_FORMAT].present ? x->ctx.jv[F_IMAGE_FORMAT].s : NULL,
		    x->ctx.jv[F_METADATA_ADAPTER].present ? x->ctx.jv[F_METADATA_ADAPTER].s : NULL };
		/* updated_at moves strictly forward even within one clock tick */
		answer_row(x, "UPDATE export_configurations SET image_format = COALESCE($3, image_format), "
		    "metadata_adapter = COALESCE($4, metadata_adapter), "
		    "updated_at = GREATEST(clock_timestamp(), updated_at + interval '1 microsecond') "
		    "WHERE " SCOPE " RETURNING " COLS, 4, p);
	}
}

static void delete_config(struct exchange *x)
{
	struct scope s;
	PGresult *res = NULL;
	json_object *o;
	enum herr e;

	if (resolve_scope(x, &s) != 0)
		return;
	{
		const char *p[2] = { s.user_id, s.org_id };
		e = db_exec(&res, "DELETE FROM export_configurations WHERE " SCOPE " RETURNING id", 2, p);
	}
	if (e != HE_OK)
		http_error(&x->out, e, NULL);
	else if (PQntuples(res) == 0)
		http_error(&x->out, HE_NOT_FOUND, "Export configuration not found");
	else {
		o = json_object_new_object();
		json_object_object_add(o, "message", json_object_new_string("Export configuration deleted successfully"));
		http_send_json(&x->out, 200, o);
	}
	PQclear(res);
}

#define NF(a) (sizeof(a) / sizeof(a[0]))
#define ROUTES(path) \
	{ "GET", path, RF_AUTH | RF_USER_LATE, 0, NULL, 0, get_config }, \
	{ "POST", path, RF_AUTH, LIM_JSON_BODY, create_fields, NF(create_fields), create_config }, \
	{ "PATCH", path, RF_AUTH, LIM_JSON_BODY, update_fields, NF(update_fields), update_config }, \
	{ "DELETE", path, RF_AUTH, 0, NULL, 0, delete_config }

/* /users/me/... comes first: FastAPI matches in declaration order. */
static const struct route routes[] = {
	ROUTES("/api/v1/users/me/export-configuration"),
	ROUTES("/api/v1/users/organizations/{org_id}/export-configuration"),
	ROUTES("/api/v1/users/{user_id}/export-configuration"),
	FILES_SPACE,
};

int main(void)
{
	return responder_main("export-config", routes, NF(routes));
}
