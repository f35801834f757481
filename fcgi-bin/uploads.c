/* uploads.fcgi: presigned uploads, the local-backend upload endpoint, the deprecated LoRA upload (API.md §4). */
#include "auth.h"
#include "config.h"
#include "db.h"
#include "filename.h"
#include "hex.h"
#include "form.h"
#include "log.h"
#include "mediatype.h"
#include "presign.h"
#include "files.h"
#include "responder.h"
#include "storage.h"
#include "uplease.h"
#include "upkey.h"
#include "uprecord.h"
#include "uptoken.h"
#include <ctype.h>
#include "rnd.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define SIZE_MAX_FIELD (1LL << 62)

static const char *const allowed_types[] = {
	"image/jpeg", "image/png", "image/webp", "image/gif", "image/avif",
	"application/zip", "application/pdf", "video/mp4", "audio/mpeg", NULL,
};

enum { P_FILENAME, P_CONTENT_TYPE, P_FOLDER, P_SIZE, P_FILE_SIZE };
static const struct jfield presign_fields[] = {
	{ .name = "filename", .type = JF_STRING, .flags = JF_REQUIRED, .min_len = 1 },
	{ .name = "content_type", .type = JF_STRING, .flags = JF_REQUIRED },
	{ .name = "folder", .type = JF_STRING, .flags = JF_NULLABLE, .max_len = 255 },
	{ .name = "size", .type = JF_INT, .flags = JF_NULLABLE, .min = 0, .max = SIZE_MAX_FIELD },
	{ .name = "file_size", .type = JF_INT, .flags = JF_NULLABLE, .min = 0, .max = SIZE_MAX_FIELD,
	  .equal_to = 1 + P_SIZE },
};

/* The allowed type equal to ct ignoring case, or NULL (parameters are never allowed). */
static const char *allowed_type(const char *ct, size_t len)
{
	size_t i;

	for (i = 0; allowed_types[i]; i++)
		if (strlen(allowed_types[i]) == len && strncasecmp(allowed_types[i], ct, len) == 0)
			return allowed_types[i];
	return NULL;
}

static void send_presign(struct exchange *x, const char *upload_url, const char *key,
    const char *file_id, const char *ctype, long long expires_in, const char *token)
{
	const struct config *c = config_get();
	json_object *o = json_object_new_object(), *req = json_object_new_object();
	struct buf file_url;

	buf_init(&file_url, 8192);
	if (buf_printf(&file_url, "%s/%s", c->cdn_url, key) != 0) {
		json_object_put(o);
		json_object_put(req);
		http_error(&x->out, HE_INTERNAL, NULL);
		return;
	}
	json_object_object_add(o, "upload_url", json_object_new_string(upload_url));
	json_object_object_add(o, "file_url", json_object_new_string(buf_cstr(&file_url)));
	json_object_object_add(o, "upload_method", json_object_new_string("PUT"));
	json_object_object_add(o, "expires_in_seconds", json_object_new_int64(expires_in));
	json_object_object_add(o, "max_file_size", json_object_new_int64(c->max_upload_size));
	json_object_object_add(o, "file_id", json_object_new_string(file_id));
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(req, "Content-Type", json_object_new_string(ctype));
	json_object_object_add(o, "required_headers", req);
	if (token)
		json_object_object_add(o, "token", json_object_new_string(token));
	http_send_json(&x->out, 200, o);
	buf_free(&file_url);
}

/* An answer of presigned_url before its INSERT: the user's checks come first (RF_USER_LATE). */
static void refuse(struct exchange *x, enum herr e, const char *detail)
{
	if (gate_user(x) == 0)
		http_error(&x->out, e, detail);
}

/* The checks of a presign after validation: 0 with the allowed type and the size (-1 when
 * not declared), or -1 once refused (400 type or size). */
static int presign_checks(struct exchange *x, const char **ctype, long long *size)
{
	const struct jvalue *v = x->ctx.jv;
	char msg[256];

	*size = v[P_SIZE].present ? v[P_SIZE].i : v[P_FILE_SIZE].present ? v[P_FILE_SIZE].i : -1;
	if ((*ctype = allowed_type(v[P_CONTENT_TYPE].s, v[P_CONTENT_TYPE].slen)) == NULL) {
		snprintf(msg, sizeof(msg), "Content type '%.*s' is not allowed", (int)(v[P_CONTENT_TYPE].slen > 100 ? 100 : v[P_CONTENT_TYPE].slen), v[P_CONTENT_TYPE].s);
		refuse(x, HE_BAD_REQUEST, msg);
		return -1;
	}
	if (*size > config_get()->max_upload_size) {
		snprintf(msg, sizeof(msg), "File size %lld exceeds the maximum of %lld bytes", *size, config_get()->max_upload_size);
		refuse(x, HE_BAD_REQUEST, msg);
		return -1;
	}
	return 0;
}

/* The upload URL of key: a SigV4 presigned PUT (s3), or a local upload token (*token,
 * malloc'd, with *t) and its URL. 0, or -1 (logged). */
static int presign_target(const char *key, const char *ctype, long long size, long long now,
    long long expires_in, struct buf *url, struct uptoken *t, char **token)
{
	const struct config *c = config_get();

	if (c->storage_backend == STORAGE_S3) {
		if (s3_presign_put(c, key, ctype, size, (unsigned)expires_in, now, url) != 0) {
			log_error("presigning failed (check R2_ENDPOINT_URL)");
			return -1;
		}
		return 0;
	}
	memset(t, 0, sizeof(*t));
	snprintf(t->key, sizeof(t->key), "%s", key);
	snprintf(t->content_type, sizeof(t->content_type), "%s", ctype);
	t->size = size >= 0 ? size : c->max_upload_size;
	t->exact = size >= 0;
	t->expires = now + expires_in;
	if ((*token = uptoken_issue(t, c->secret_key)) == NULL)
		return -1;
	return buf_printf(url, "%s/api/v1/uploads/local/%s", c->public_base_url, *token);
}

static void presigned_url(struct exchange *x)
{
	const struct config *c = config_get();
	const struct jvalue *v = x->ctx.jv;
	char uid[UUID_STR_LEN + 1], file_id[33], safe[SAFE_FILENAME_MAX + 1], exp_s[24], size_s[24];
	const char *ctype;
	struct uprecord rec;
	long long size, expires_in, now = (long long)time(NULL);
	struct buf key, url;
	struct uptoken t;
	char *token = NULL;
	size_t i, o = 0;

	buf_init(&key, 1024);
	buf_init(&url, 16384);
	if (presign_checks(x, &ctype, &size) != 0)
		goto out;
	if (safe_filename_typed(v[P_FILENAME].s, v[P_FILENAME].slen, ctype, safe) != 0 || uuid_v4(uid) != 0) {
		refuse(x, HE_INTERNAL, NULL);
		goto out;
	}
	for (i = 0; uid[i]; i++)
		if (uid[i] != '-')
			file_id[o++] = uid[i];
	file_id[o] = '\0';
	if (buf_printf(&key, "temp/%s_%lld_%s", file_id, now, safe) != 0) {
		refuse(x, HE_INTERNAL, NULL);
		goto out;
	}
	expires_in = c->presign_expires_seconds + (size > 0 ? size / 16384 : 0);
	if (expires_in > 3600)
		expires_in = 3600;
	if (presign_target(key.data, ctype, size, now, expires_in, &url, &t, &token) != 0) {
		refuse(x, HE_INTERNAL, NULL);
		goto out;
	}
	snprintf(exp_s, sizeof(exp_s), "%lld", now + expires_in);
	snprintf(size_s, sizeof(size_s), "%lld", size);
	rec.id = uid;
	rec.key = key.data;
	rec.folder = v[P_FOLDER].present ? v[P_FOLDER].s : NULL;
	rec.content_type = ctype;
	rec.declared_size = size >= 0 ? size_s : NULL;
	rec.expires = exp_s;
	rec.nonce = token ? t.nonce : NULL;
	if (uprecord_issue(x, &rec) == 0)
		send_presign(x, url.data, key.data, file_id, ctype, expires_in, token);
out:
	buf_free(&key);
	buf_free(&url);
	free(token);
}

/* The body of a local PUT on its way to storage, under the claim's lease. */
struct put_body {
	struct http_request *in;
	struct uplease *lease;
};

/* Reader handing the request body to storage, bounded by CONTENT_LENGTH when given. The
 * lease is renewed as bytes arrive and confirmed once more at the end, before the file is
 * renamed into place: an attempt whose lease was taken over stores nothing. */
static ssize_t body_reader(void *ctx, char *buf, size_t n)
{
	struct put_body *b = ctx;
	ssize_t got = http_read_stream(b->in, buf, n);

	if (got < 0 || uplease_renew(b->lease, got == 0) != 0)
		return -1;
	return got;
}

/* The token of a local PUT checked against the request: 0 with *t and the row id, or -1
 * once answered (404 in s3 mode, 403, 415, 413, 400). */
static int put_token(struct exchange *x, struct uptoken *t, char id[UUID_STR_LEN + 1])
{
	const struct config *c = config_get();
	const char *tok = reqctx_param(&x->ctx, "token");
	enum uptoken_status ts;
	char msg[200];

	if (c->storage_backend != STORAGE_LOCAL) {
		http_error(&x->out, HE_NO_ROUTE, NULL);
		return -1;
	}
	ts = uptoken_verify(tok, strlen(tok), c->secret_key, (long long)time(NULL), t);
	if (ts != UPTOKEN_OK || upkey_id(t->key, id) != 0) {
		http_error(&x->out, ts == UPTOKEN_NOMEM ? HE_INTERNAL : HE_FORBIDDEN,
		    ts == UPTOKEN_EXPIRED ? "Upload token expired" : "Invalid upload token");
		return -1;
	}
	if (!mediatype_exact(x->in.content_type, t->content_type)) {   /* no parameters */
		snprintf(msg, sizeof(msg), "Content-Type must be %s", t->content_type);
		http_error(&x->out, HE_UNSUPPORTED_TYPE, msg);
		return -1;
	}
	if (x->in.content_length > t->size) {
		http_error(&x->out, HE_TOO_LARGE, "Upload larger than allowed");
		return -1;
	}
	if (t->exact && x->in.content_length >= 0 && x->in.content_length < t->size) {
		http_error(&x->out, HE_BAD_REQUEST, "Upload shorter than the declared size");
		return -1;
	}
	return 0;
}

/* Claim the token as a lease: one upload may run or succeed per token, until a claim's
 * lease runs out (its process died). 0 claimed, -1 answered (403 unknown, 409, 503). */
static int put_claim(struct exchange *x, struct uplease *lease, const char *id, const struct uptoken *t)
{
	enum herr e;
	int attempt = 0;

	/* the record may still be queued in another process (this one wrote its own: RF_QUEUES) */
	while ((e = uplease_claim(lease, id, t->nonce, config_get()->upload_lease_seconds)) == HE_FORBIDDEN &&
	    upkey_wait(t->key, attempt++))
		;
	if (e == HE_OK)
		return 0;
	http_error(&x->out, e, e == HE_FORBIDDEN ? "Invalid upload token" :
	    e == HE_CONFLICT ? "Upload token already used" : NULL);
	return -1;
}

static void local_put(struct exchange *x)
{
	const struct config *c = config_get();
	struct uptoken t;
	struct uplease lease = { .held = 0 };
	struct put_body body = { &x->in, &lease };
	struct storage_obj obj;
	json_object *o;
	char size_s[24], url[8192], id[UUID_STR_LEN + 1];
	const char *detail = NULL;
	enum herr e;

	if (put_token(x, &t, id) != 0 || put_claim(x, &lease, id, &t) != 0)
		return;
	e = storage_put_stream(t.key, body_reader, &body, t.exact ? t.size : -1, t.size, t.content_type, &obj);
	if (e != HE_OK) {
		if (e == HE_SOURCE && x->in.body_timed_out)
			e = HE_TIMEOUT;     /* a stalled body; the partial file is gone */
		else if (e == HE_SOURCE && !lease.held)    /* the lease was lost, or unconfirmed */
			e = lease.lost, detail = lease.lost == HE_CONFLICT ? "Upload token already used" : NULL;
		else if (e == HE_TOO_LARGE)
			detail = "Upload larger than allowed";
		else if (e != HE_SHORT_BODY && e != HE_SOURCE && e != HE_STORAGE_UNAVAILABLE) {
			log_error("storing %s failed: %s", t.key, herr_str(e));
			e = HE_INTERNAL;
		}
		http_error(&x->out, e, detail);
		goto out;
	}
	snprintf(size_s, sizeof(size_s), "%lld", obj.size);
	if ((e = uplease_finish(&lease, size_s, obj.etag)) != HE_OK) {
		if (e != HE_CONFLICT)
			storage_delete(t.key);     /* unrecorded bytes must not stay behind */
		http_error(&x->out, e, e == HE_CONFLICT ? "Upload token already used" : NULL);
		goto out;
	}
	snprintf(url, sizeof(url), "%s/%s", c->cdn_url, t.key);
	o = json_object_new_object();
	json_object_object_add(o, "key", json_object_new_string(t.key));
	json_object_object_add(o, "size", json_object_new_int64(obj.size));
	json_object_object_add(o, "etag", json_object_new_string(obj.etag));
	json_object_object_add(o, "file_url", json_object_new_string(url));
	http_send_json(&x->out, 200, o);
out:
	uplease_release(&lease);   /* a refused attempt does not spend the token */
}


#define LORA_MAX_BYTES (100LL * 1024 * 1024)     /* API.md §4.2: 100 MB, independent of MAX_UPLOAD_SIZE */
#define LORA_BODY_MAX (LORA_MAX_BYTES + 64 * 1024) /* the file plus the form's other parts */

static const char *const lora_exts[] = { "safetensors", "ckpt", "pt", "pth", "bin", NULL };

enum { L_FILE, L_TRIGGER, L_ENTITY };
static const struct jfield lora_fields[] = {
	[L_FILE] = { .name = "file", .src = JS_FILE, .type = JF_FILE, .flags = JF_REQUIRED, .max_len = LORA_MAX_BYTES },
	[L_TRIGGER] = { .name = "lora_trigger", .src = JS_FORM, .type = JF_STRING, .max_len = 255 },
	[L_ENTITY] = { .name = "entity_type", .src = JS_FORM, .type = JF_STRING, .pattern = "^[a-z0-9_-]{1,32}$" },
};

static int lora_ext_ok(const char *safe)
{
	const char *ext = safe_filename_ext(safe);
	size_t i;

	for (i = 0; lora_exts[i]; i++)
		if (strcasecmp(ext, lora_exts[i]) == 0)
			return 1;
	return 0;
}

/* Store the checked file (a temp file of the form) under loras/ and record it. HE_OK with
 * *key set, else the error to answer (the stored file is removed again). */
static enum herr lora_store(struct exchange *x, const char *safe, struct buf *key, struct storage_obj *obj)
{
	const struct jvalue *v = x->ctx.jv;
	const char *entity = v[L_ENTITY].present ? v[L_ENTITY].s : "subject", *p[6];
	char rnd[17], id[UUID_STR_LEN + 1], size_s[24];
	unsigned char rb[8];
	PGresult *res = NULL;
	enum herr e;

	if (random_bytes(rb, sizeof(rb)) != 0 || uuid_v4(id) != 0)
		return HE_INTERNAL;
	/* 16 random hex digits, so keys cannot be guessed */
	hex_encode(rb, sizeof(rb), rnd);
	if (buf_printf(key, "loras/%s/%lld_%s_%s", entity, (long long)time(NULL), rnd, safe) != 0)
		return HE_INTERNAL;
	e = storage_put_fd(key->data, v[L_FILE].fd, v[L_FILE].i, "application/octet-stream", obj);
	if (e != HE_OK) {     /* from a spooled file: never the client's error */
		if (e != HE_STORAGE_UNAVAILABLE)
			log_error("storing %s failed: %s", key->data, herr_str(e));
		return e == HE_STORAGE_UNAVAILABLE ? HE_STORAGE_UNAVAILABLE : HE_INTERNAL;
	}
	snprintf(size_s, sizeof(size_s), "%lld", v[L_FILE].i);
	p[0] = id; p[1] = x->ctx.user->id; p[2] = key->data; p[3] = size_s;
	p[4] = v[L_ENTITY].present ? v[L_ENTITY].s : NULL;
	p[5] = v[L_TRIGGER].present ? v[L_TRIGGER].s : NULL;
	e = db_exec(&res, "INSERT INTO lora_uploads (id, uploader_id, key, size, entity_type, lora_trigger) "
	    "VALUES ($1, $2, $3, $4::bigint, $5, $6)", 6, p);
	PQclear(res);
	if (e != HE_OK)
		storage_delete(key->data);     /* unrecorded: do not keep it */
	return e;
}

static void upload_lora(struct exchange *x)
{
	char safe[SAFE_FILENAME_MAX + 1], ts[32];
	const struct jvalue *f = &x->ctx.jv[L_FILE];
	struct storage_obj obj;
	struct buf key;
	json_object *o;
	time_t now = time(NULL);
	struct tm tm;
	enum herr e;

	buf_init(&key, 1024);
	if (safe_filename(f->s, f->slen, safe) != 0) {
		http_error(&x->out, HE_INTERNAL, NULL);
		goto out;
	}
	if (!lora_ext_ok(safe)) {
		http_error(&x->out, HE_BAD_REQUEST, "Unsupported LoRA file type");
		goto out;
	}
	if ((e = lora_store(x, safe, &key, &obj)) != HE_OK) {
		http_error(&x->out, e, NULL);
		goto out;
	}
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_object_new_object();
	json_object_object_add(o, "file_path", json_object_new_string(key.data));
	json_object_object_add(o, "partial_path", json_object_new_string(key.data + strlen("loras/")));
	json_object_object_add(o, "filename", json_object_new_string(safe));
	json_object_object_add(o, "file_size", json_object_new_int64(f->i));
	json_object_object_add(o, "upload_timestamp", json_object_new_string(ts));
	http_send_json(&x->out, 200, o);
out:
	buf_free(&key);
}

static const struct route routes[] = {
	{ "POST", "/api/v1/uploads/presigned-url", RF_AUTH | RF_USER_LATE | RF_QUEUES, LIM_JSON_BODY, presign_fields,
	  sizeof(presign_fields) / sizeof(presign_fields[0]), presigned_url },
	{ "PUT", "/api/v1/uploads/local/{token:seg}", 0, 0, NULL, 0, local_put },
	{ "POST", "/api/v1/uploads/admin/upload-lora", RF_SUPERUSER | RF_DEPRECATED, LORA_BODY_MAX, lora_fields,
	  sizeof(lora_fields) / sizeof(lora_fields[0]), upload_lora, .too_large = "LoRA file larger than 100 MB" },
	FILES_SPACE,
};

int main(void)
{
	const struct config *c;

	c = config_init_or_die();
	if (storage_init(c) != 0)
		return 1;
	responder_after(uprecord_after);
	return responder_main("uploads", routes, sizeof(routes) / sizeof(routes[0]));
}
