/* products.fcgi: the minimal product and shooting API of API.md §6, over common/media's ingest. */
#include "auth.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "media.h"
#include "files.h"
#include "responder.h"
#include "storage.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IMAGES 50          /* image_urls, the cover not counted (API.md §6) */
#define INGEST_TRIES 3         /* a resource removed under an ingest (HE_GONE): prepare again */
#define TS(c) "to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

enum { F_SKU, F_NAME, F_DESCRIPTION, F_ATTRIBUTES, F_COVER, F_IMAGES, F_SHOOTING, F_ORG };
static const struct jfield product_fields[] = {
	[F_SKU] = { .name = "sku", .type = JF_STRING, .flags = JF_REQUIRED, .min_len = 1, .max_len = 255 },
	[F_NAME] = { .name = "name", .type = JF_STRING, .flags = JF_REQUIRED, .min_len = 1, .max_len = 255 },
	[F_DESCRIPTION] = { .name = "description", .type = JF_STRING, .flags = JF_NULLABLE },
	[F_ATTRIBUTES] = { .name = "attributes", .type = JF_OBJECT, .flags = JF_NULLABLE },
	[F_COVER] = { .name = "cover_image_url", .type = JF_STRING, .flags = JF_NULLABLE },
	[F_IMAGES] = { .name = "image_urls", .type = JF_STRLIST, .flags = JF_NULLABLE, .max_items = MAX_IMAGES },
	[F_SHOOTING] = { .name = "shooting_id", .type = JF_UUID, .flags = JF_NULLABLE },
	[F_ORG] = { .name = "organization_id", .type = JF_UUID, .flags = JF_NULLABLE },
};
enum { S_NAME };
static const struct jfield shooting_fields[] = {
	[S_NAME] = { .name = "name", .type = JF_STRING, .flags = JF_REQUIRED, .min_len = 1, .max_len = 255 },
};
enum { Q_SKIP, Q_LIMIT, Q_SKU };
static const struct jfield list_fields[] = {
	[Q_SKIP] = { .name = "skip", .src = JS_QUERY, .type = JF_INT, .min = 0, .max = 1LL << 53 },
	[Q_LIMIT] = { .name = "limit", .src = JS_QUERY, .type = JF_INT, .min = 1, .max = 1000 },
	[Q_SKU] = { .name = "sku", .src = JS_QUERY, .type = JF_STRING },
};

/* The product columns, in product_json's order; the last is its images, one JSON array of
 * [resource_id, ext, role, position, content_type, size] per image, cover first (one
 * statement reads a product whole). */
#define PCOLS "p.id::text, p.sku, p.name, p.description, p.attributes::text, p.owner_id::text, " \
	"p.organization_id::text, p.shooting_id::text, p.cover_image_url, p.image_urls::text, " \
	"p.caption, p.caption_status, " TS("p.created_at") ", " TS("p.updated_at") ", " \
	"coalesce(p.images_json, product_images_json(p.id))"
#define NPCOLS 15
/* $1 the caller, $2 'true' for a superuser: which products the caller may see. */
#define VISIBLE "(p.owner_id = $1::uuid OR $2::boolean OR p.organization_id IN " \
	"(SELECT organization_id FROM organization_members WHERE user_id = $1::uuid))"

static json_object *parse_json(const char *s)
{
	return json_tokener_parse(s);   /* our own column (jsonb::text), never client bytes */
}

static json_object *col(const PGresult *res, int row, int c)
{
	return PQgetisnull(res, row, c) ? NULL : json_object_new_string(PQgetvalue(res, row, c));
}

/* The images array of the product shape from the rows of PCOLS' last column. */
static json_object *images_json(const char *text)
{
	const struct config *c = config_get();
	json_object *rows = parse_json(text), *out = json_object_new_array();
	size_t i, n = rows ? json_object_array_length(rows) : 0;

	for (i = 0; i < n; i++) {
		json_object *row = json_object_array_get_idx(rows, i), *img = json_object_new_object();
		struct media_item it;
		char *url;

		snprintf(it.resource_id, sizeof(it.resource_id), "%s",
		    json_object_get_string(json_object_array_get_idx(row, 0)));
		snprintf(it.ext, sizeof(it.ext), "%s", json_object_get_string(json_object_array_get_idx(row, 1)));
		url = media_item_url(c, &it);
		json_object_object_add(img, "resource_id", json_object_get(json_object_array_get_idx(row, 0)));
		json_object_object_add(img, "url", url ? json_object_new_string(url) : NULL);
		json_object_object_add(img, "role", json_object_get(json_object_array_get_idx(row, 2)));
		json_object_object_add(img, "position", json_object_get(json_object_array_get_idx(row, 3)));
		json_object_object_add(img, "content_type", json_object_get(json_object_array_get_idx(row, 4)));
		json_object_object_add(img, "size", json_object_get(json_object_array_get_idx(row, 5)));
		json_object_array_add(out, img);
		free(url);
	}
	json_object_put(rows);
	return out;
}

/* Row row of res (PCOLS from column off) as the product shape. */
static json_object *product_json(const PGresult *res, int row, int off)
{
	static const char *const names[NPCOLS - 1] = { "id", "sku", "name", "description", "attributes",
	    "owner_id", "organization_id", "shooting_id", "cover_image_url", "image_urls", "caption",
	    "caption_status", "created_at", "updated_at" };
	json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < NPCOLS - 1; i++) {
		json_object *v = (i == 4 || i == 9) && !PQgetisnull(res, row, off + i) ?
		    parse_json(PQgetvalue(res, row, off + i)) : col(res, row, off + i);
		json_object_object_add(o, names[i], v);
		if (i == 11)
			json_object_object_add(o, "images", images_json(PQgetvalue(res, row, off + NPCOLS - 1)));
	}
	return o;
}

/* Answer the products of res (PCOLS first) in the list shape. */
static void send_list(struct exchange *x, const PGresult *res, long long count)
{
	json_object *out = json_object_new_object(), *data = json_object_new_array();
	int i;

	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(data, product_json(res, i, 0));
	json_object_object_add(out, "data", data);
	json_object_object_add(out, "count", json_object_new_int64(count));
	http_send_json(&x->out, 200, out);
}

/* ------------------------------------------------------------------ creation */

struct create {
	struct media_item *items;      /* [0] the cover when given, then image_urls in order */
	size_t n;
	int has_cover;
	char id[UUID_STR_LEN + 1];
};

/* 0, or -1 once the error is answered: organization membership and shooting visibility. */
static int check_refs(struct exchange *x)
{
	static const char sql[] = "SELECT "
	    "($1::uuid IS NULL OR $4::boolean AND EXISTS (SELECT 1 FROM organizations WHERE id = $1::uuid) "
	    " OR EXISTS (SELECT 1 FROM organization_members WHERE organization_id = $1::uuid AND user_id = $3::uuid)), "
	    "($2::uuid IS NULL OR EXISTS (SELECT 1 FROM shootings WHERE id = $2::uuid AND (owner_id = $3::uuid OR $4::boolean))), "
	    "EXISTS (SELECT 1 FROM products WHERE owner_id = $3::uuid AND sku = $5)";
	const struct jvalue *jv = x->ctx.jv;
	char *sku = strndup(jv[F_SKU].s, jv[F_SKU].slen);
	const char *p[5] = { jv[F_ORG].present ? jv[F_ORG].uuid : NULL,
	    jv[F_SHOOTING].present ? jv[F_SHOOTING].uuid : NULL, x->ctx.user->id,
	    x->ctx.user->is_superuser ? "true" : "false", sku };
	PGresult *res = NULL;
	enum herr e = sku ? db_exec(&res, sql, 5, p) : HE_INTERNAL;
	int rc = -1;

	if (e != HE_OK)
		http_error(&x->out, e, NULL);
	else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		http_error(&x->out, HE_FORBIDDEN, "Not enough permissions");
	else if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
		http_error(&x->out, HE_NOT_FOUND, "Shooting not found");
	else if (strcmp(PQgetvalue(res, 0, 2), "t") == 0)
		http_error(&x->out, HE_BAD_REQUEST, "Product with this SKU already exists");
	else
		rc = 0;
	PQclear(res);
	free(sku);
	return rc;
}

/* The i-th URL of the request (the cover first). */
static const char *url_at(struct exchange *x, const struct create *cr, size_t i)
{
	if (cr->has_cover && i == 0)
		return x->ctx.jv[F_COVER].s;
	return json_object_get_string(json_object_array_get_idx(x->ctx.jv[F_IMAGES].o, i - (size_t)cr->has_cover));
}

static void abort_all(struct create *cr, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		media_abort(&cr->items[i]);
}

/* Steps 0-3 of every image; on failure what was prepared is dropped. */
static enum herr prepare_all(struct exchange *x, struct create *cr, char **detail)
{
	enum herr e;
	size_t i, j;

	for (i = 0; i < cr->n; i++) {
		for (j = 0; j < i; j++)   /* one upload named twice: one ingest, one mark */
			if (strcmp(url_at(x, cr, i), url_at(x, cr, j)) == 0)
				break;
		if (j < i) {
			cr->items[i] = cr->items[j];
			cr->items[i].created = 0;
			cr->items[i].upload_id[0] = cr->items[i].temp_key[0] = '\0';
			continue;
		}
		if ((e = media_prepare_url(url_at(x, cr, i), x->ctx.user->id, &cr->items[i], detail)) != HE_OK) {
			log_info("ingest of image %zu refused: %s", i, cr->items[i].why);
			abort_all(cr, i);
			return e;
		}
	}
	return HE_OK;
}

/* The product row and its attachments, one transaction. HE_OK, or the ingest's error with
 * its *detail, or the database's in *dbe (rolled back). */
static enum herr insert_product(struct exchange *x, struct create *cr, enum herr *dbe, const char **detail)
{
	static const char sql[] = "INSERT INTO products (id, sku, name, description, attributes, owner_id, "
	    "organization_id, shooting_id, cover_image_url, image_urls) VALUES ($1::uuid, $2, $3, $4, "
	    "$5::jsonb, $6::uuid, $7::uuid, $8::uuid, $9, $10::jsonb)";
	const struct config *c = config_get();
	const struct jvalue *jv = x->ctx.jv;
	json_object *urls = json_object_new_array();
	char *cover = NULL, *sku = strndup(jv[F_SKU].s, jv[F_SKU].slen), *name = strndup(jv[F_NAME].s, jv[F_NAME].slen);
	char *desc = jv[F_DESCRIPTION].present ? strndup(jv[F_DESCRIPTION].s, jv[F_DESCRIPTION].slen) : NULL;
	const char *p[10];
	PGresult *res = NULL;
	enum herr me = HE_INTERNAL;
	size_t i;

	*dbe = HE_OK;
	for (i = 0; i < cr->n; i++) {
		char *u = media_item_url(c, &cr->items[i]);
		if (cr->has_cover && i == 0)
			cover = u;
		else {
			json_object_array_add(urls, u ? json_object_new_string(u) : NULL);
			free(u);
		}
	}
	p[0] = cr->id; p[1] = sku; p[2] = name; p[3] = desc;
	p[4] = jv[F_ATTRIBUTES].present ? json_object_to_json_string_ext(jv[F_ATTRIBUTES].o, JSON_C_TO_STRING_PLAIN) : NULL;
	p[5] = x->ctx.user->id; p[6] = jv[F_ORG].present ? jv[F_ORG].uuid : NULL;
	p[7] = jv[F_SHOOTING].present ? jv[F_SHOOTING].uuid : NULL; p[8] = cover;
	p[9] = json_object_to_json_string_ext(urls, JSON_C_TO_STRING_PLAIN);
	if (!sku || !name || (jv[F_DESCRIPTION].present && !desc))
		goto out;
	if ((*dbe = db_begin()) != HE_OK || (*dbe = db_exec(&res, sql, 10, p)) != HE_OK) {
		if (*dbe == HE_INTERNAL && db_unique_violation(res))
			*dbe = HE_BAD_REQUEST;     /* a racing twin took the SKU */
		goto out;
	}
	for (i = 0; i < cr->n; i++) {
		int cov = cr->has_cover && i == 0;
		if ((me = media_attach(&cr->items[i], "product", cr->id, cov ? "cover" : "gallery",
		    cov ? 0 : (int)(i - (size_t)cr->has_cover), detail)) != HE_OK)
			goto out;
	}
	media_fault("before-commit");
	me = (*dbe = db_commit()) == HE_OK ? HE_OK : HE_INTERNAL;
out:
	if (me != HE_OK)
		db_rollback();
	PQclear(res);
	json_object_put(urls);
	free(cover);
	free(sku);
	free(name);
	free(desc);
	return me;
}

/* Answer a failed creation: the database's error, an SKU race, else the ingest's. */
static void refuse(struct exchange *x, enum herr me, enum herr dbe, const char *detail)
{
	if (dbe == HE_BAD_REQUEST)
		http_error(&x->out, HE_BAD_REQUEST, "Product with this SKU already exists");
	else if (dbe != HE_OK)
		http_error(&x->out, dbe, NULL);
	else
		http_error(&x->out, me, detail);
}

static void create_product(struct exchange *x)
{
	struct create cr = { 0 };
	enum herr me = HE_INTERNAL, dbe = HE_OK;
	const char *attach_detail = NULL;
	char *detail = NULL;
	size_t i;
	int try;

	if (check_refs(x) != 0)
		return;
	cr.has_cover = x->ctx.jv[F_COVER].present;
	cr.n = (size_t)cr.has_cover + (x->ctx.jv[F_IMAGES].present ? json_object_array_length(x->ctx.jv[F_IMAGES].o) : 0);
	if (uuid_v4(cr.id) != 0 || (cr.items = calloc(cr.n + 1, sizeof(*cr.items))) == NULL) {
		http_error(&x->out, HE_INTERNAL, NULL);
		return;
	}
	for (try = 0; try < INGEST_TRIES; try++) {
		if ((me = prepare_all(x, &cr, &detail)) != HE_OK)
			break;
		if ((me = insert_product(x, &cr, &dbe, &attach_detail)) != HE_GONE)
			break;
		abort_all(&cr, cr.n);
	}
	if (me == HE_OK) {
		const char *p[3] = { x->ctx.user->id, "true", cr.id };
		PGresult *res = NULL;
		enum herr e;

		media_fault("after-commit");
		for (i = 0; i < cr.n; i++)
			media_finish(&cr.items[i]);
		if ((e = db_exec(&res, "SELECT " PCOLS " FROM products p WHERE p.id = $3::uuid AND " VISIBLE, 3, p)) != HE_OK)
			http_error(&x->out, e, NULL);
		else
			http_send_json(&x->out, 200, product_json(res, 0, 0));
		PQclear(res);
	} else {
		abort_all(&cr, cr.n);
		refuse(x, me, dbe, detail ? detail : attach_detail);
	}
	free(detail);
	free(cr.items);
}

/* ------------------------------------------------------------------ reading, deleting */

static void list_products(struct exchange *x)
{
	static const char sql[] = "SELECT " PCOLS ", count(*) OVER () FROM products p WHERE " VISIBLE
	    " AND ($3::text IS NULL OR p.sku = $3) ORDER BY p.created_at DESC, p.id "
	    "OFFSET $4::bigint LIMIT $5::bigint";
	static const char cnt[] = "SELECT count(*) FROM products p WHERE " VISIBLE
	    " AND ($3::text IS NULL OR p.sku = $3)";
	const struct jvalue *jv = x->ctx.jv;
	long long count = 0;
	char sk[24], li[24], *sku = jv[Q_SKU].present ? strndup(jv[Q_SKU].s, jv[Q_SKU].slen) : NULL;
	const char *p[5] = { x->ctx.user->id, x->ctx.user->is_superuser ? "true" : "false", sku, sk, li };
	PGresult *res = NULL, *c = NULL;
	enum herr e;

	snprintf(sk, sizeof(sk), "%lld", jv[Q_SKIP].present ? jv[Q_SKIP].i : 0);
	snprintf(li, sizeof(li), "%lld", jv[Q_LIMIT].present ? jv[Q_LIMIT].i : 100);
	if (jv[Q_SKU].present && sku == NULL)
		e = HE_INTERNAL;
	else if ((e = db_exec(&res, sql, 5, p)) == HE_OK && PQntuples(res) > 0)
		count = strtoll(PQgetvalue(res, 0, NPCOLS), NULL, 10);
	else if (e == HE_OK && (e = db_exec(&c, cnt, 3, p)) == HE_OK)   /* past the end: count alone */
		count = strtoll(PQgetvalue(c, 0, 0), NULL, 10);
	if (e != HE_OK)
		http_error(&x->out, e, NULL);
	else
		send_list(x, res, count);
	PQclear(res);
	PQclear(c);
	free(sku);
}

/* RF_USER_LATE: the caller and the product (images included) in one statement. */
static void get_product(struct exchange *x)
{
	const char *p[2] = { x->ctx.auth_uid, reqctx_param(&x->ctx, "product_id") };
	PGresult *res = NULL;

	if (gate_user_in(x, "SELECT " AUTH_USER_COLS("u.") ", " PCOLS " FROM users u "
	    "LEFT JOIN products p ON p.id = $2::uuid AND (p.owner_id = u.id OR u.is_superuser OR "
	    "p.organization_id IN (SELECT organization_id FROM organization_members m WHERE m.user_id = u.id)) "
	    "WHERE u.id = $1::uuid", 2, p, &res) != 0)
		return;
	if (PQgetisnull(res, 0, AUTH_USER_NCOLS))
		http_error(&x->out, HE_NOT_FOUND, "Product not found");
	else
		http_send_json(&x->out, 200, product_json(res, 0, AUTH_USER_NCOLS));
	PQclear(res);
}

static void delete_product(struct exchange *x)
{
	/* One statement: the check and the deletion of the product with its attachments. */
	static const char sql[] = "WITH v AS (SELECT p.id, (p.owner_id = $1::uuid OR $2::boolean) AS may "
	    "FROM products p WHERE p.id = $3::uuid AND " VISIBLE "), "
	    "d AS (DELETE FROM products WHERE id IN (SELECT id FROM v WHERE may) RETURNING id), "
	    "a AS (DELETE FROM media_resource_attachments WHERE entity_type = 'product' "
	    "AND entity_id IN (SELECT id FROM d)) SELECT may FROM v";
	const char *p[3] = { x->ctx.user->id, x->ctx.user->is_superuser ? "true" : "false",
	    reqctx_param(&x->ctx, "product_id") };
	PGresult *res = NULL;
	enum herr e = db_exec(&res, sql, 3, p);
	json_object *o;

	if (e != HE_OK)
		http_error(&x->out, e, NULL);
	else if (PQntuples(res) == 0)
		http_error(&x->out, HE_NOT_FOUND, "Product not found");
	else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		http_error(&x->out, HE_FORBIDDEN, "Not enough permissions");
	else {
		o = json_object_new_object();
		json_object_object_add(o, "message", json_object_new_string("Product deleted successfully"));
		http_send_json(&x->out, 200, o);
	}
	PQclear(res);
}

/* ------------------------------------------------------------------ shootings */

#define SCOLS "s.id::text, s.name, s.owner_id::text, " TS("s.created_at") ", " TS("s.updated_at") ", " \
	"(SELECT coalesce(json_agg(p.id::text ORDER BY p.created_at, p.id), '[]'::json)::text " \
	"FROM products p WHERE p.shooting_id = s.id)"

static void send_shooting(struct exchange *x, const PGresult *res)
{
	static const char *const names[] = { "id", "name", "owner_id", "created_at", "updated_at" };
	json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < 5; i++)
		json_object_object_add(o, names[i], col(res, 0, i));
	json_object_object_add(o, "product_ids", parse_json(PQgetvalue(res, 0, 5)));
	http_send_json(&x->out, 200, o);
}

static void shooting_answer(struct exchange *x, const char *sql, int n, const char *const *p)
{
	PGresult *res = NULL;
	enum herr e = db_exec(&res, sql, n, p);

	if (e != HE_OK)
		http_error(&x->out, e, NULL);
	else if (PQntuples(res) == 0)
		http_error(&x->out, HE_NOT_FOUND, "Shooting not found");
	else
		send_shooting(x, res);
	PQclear(res);
}

static void create_shooting(struct exchange *x)
{
	char id[UUID_STR_LEN + 1], *name = strndup(x->ctx.jv[S_NAME].s, x->ctx.jv[S_NAME].slen);
	const char *p[3] = { id, name, x->ctx.user->id };

	if (name == NULL || uuid_v4(id) != 0)
		http_error(&x->out, HE_INTERNAL, NULL);
	else
		shooting_answer(x, "WITH s AS (INSERT INTO shootings (id, name, owner_id) "
		    "VALUES ($1::uuid, $2, $3::uuid) RETURNING *) SELECT " SCOLS " FROM s", 3, p);
	free(name);
}

static void get_shooting(struct exchange *x)
{
	const char *p[3] = { x->ctx.user->id, x->ctx.user->is_superuser ? "true" : "false",
	    reqctx_param(&x->ctx, "shooting_id") };

	shooting_answer(x, "SELECT " SCOLS " FROM shootings s WHERE s.id = $3::uuid "
	    "AND (s.owner_id = $1::uuid OR $2::boolean)", 3, p);
}

#define NF(a) (sizeof(a) / sizeof(a[0]))
static const struct route routes[] = {
	{ "POST", "/api/v1/products", RF_AUTH, LIM_JSON_BODY, product_fields, NF(product_fields), create_product },
	{ "GET", "/api/v1/products", RF_AUTH, 0, list_fields, NF(list_fields), list_products },
	{ "GET", "/api/v1/products/{product_id}", RF_AUTH | RF_USER_LATE, 0, NULL, 0, get_product },
	{ "DELETE", "/api/v1/products/{product_id}", RF_AUTH, 0, NULL, 0, delete_product },
	{ "POST", "/api/v1/shootings", RF_AUTH, LIM_JSON_BODY, shooting_fields, NF(shooting_fields), create_shooting },
	{ "GET", "/api/v1/shootings/{shooting_id}", RF_AUTH, 0, NULL, 0, get_shooting },
	FILES_SPACE,
};

int main(void)
{
	const struct config *c = config_init_or_die();

	if (storage_init(c) != 0)
		return 1;
	return responder_main("products", routes, NF(routes));
}
