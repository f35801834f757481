/* media.c: the ingest of API.md §6 (see media.h for the order of steps and why it is crash-safe). */
#include "media.h"
#include "db.h"
#include "hex.h"
#include "log.h"
#include "upkey.h"
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Local backend: the seed renames the temp file to a private name before hashing it. Here
 * storage_local never changes a file in place (a new version is a new inode, and the ETag
 * names the inode), its GET with If-Match reads the inode it checked, and its copy hard-links
 * that same checked inode: the If-Match guard of the S3 path is therefore exact on local disk
 * too, and one code path serves both backends.
 */

#ifdef FILES_FAULT_POINTS
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
void media_fault(const char *step)
{
	const char *f = getenv("FILES_FAULT"), *mark = getenv("FILES_FAULT_MARK");
	size_t n = strlen(step);
	int i, fd;

	if (f == NULL || strncmp(f, step, n) != 0 || f[n] != ':')
		return;
	if (strcmp(f + n + 1, "kill") == 0)
		raise(SIGKILL);
	if (strcmp(f + n + 1, "pause") != 0 || mark == NULL)
		return;
	if ((fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	for (i = 0; i < 400 && access(mark, F_OK) == 0; i++)
		nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
}
#endif

#define DEDUP_TRIES 3     /* a hit whose row vanished (a racing abort or sweep): try again */

static const struct {
	const char *ext, *mime;
} types[] = {
	[MT_NONE] = { NULL, NULL },
	[MT_JPEG] = { "jpg", "image/jpeg" },
	[MT_PNG] = { "png", "image/png" },
	[MT_WEBP] = { "webp", "image/webp" },
	[MT_GIF] = { "gif", "image/gif" },
	[MT_AVIF] = { "avif", "image/avif" },
	[MT_PDF] = { "pdf", "application/pdf" },
	[MT_ZIP] = { "zip", "application/zip" },
	[MT_MP4] = { "mp4", "video/mp4" },
	[MT_MP3] = { "mp3", "audio/mpeg" },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

const char *media_type_ext(enum media_type t)
{
	return (unsigned)t < NTYPES ? types[t].ext : NULL;
}

const char *media_type_mime(enum media_type t)
{
	return (unsigned)t < NTYPES ? types[t].mime : NULL;
}

enum media_type media_type_from_mime(const char *mime)
{
	size_t i;

	for (i = 1; mime && i < NTYPES; i++)
		if (strcasecmp(types[i].mime, mime) == 0)
			return (enum media_type)i;
	return MT_NONE;
}

/* Why an ingest step stopped: media's own reasons, each turned into the one error code
 * (err.h) by code_of before it leaves this file, and into a log text by reason_text. */
enum media_err {
	ME_OK = 0,
	ME_NOT_UPLOAD_URL,   /* 400 "Not an upload URL: ..." (step 0) */
	ME_NOT_ISSUED,       /* 403: the key was not issued to the caller */
	ME_INGESTED,         /* 400: the upload was ingested already */
	ME_MISSING,          /* 400: no temp object (never uploaded, or swept) */
	ME_TOO_LARGE,        /* 400: over MAX_UPLOAD_SIZE */
	ME_WRONG_TYPE,       /* 400: the bytes are not the declared (or an allowed) type */
	ME_CHANGED,          /* 409 "Upload changed during ingest": nothing kept */
	ME_GONE,             /* the resource vanished under us (a racing abort / sweep): retry */
	ME_STREAM,           /* the caller's stream failed (bulk: a broken archive entry) */
	ME_STORAGE,          /* 503 "Storage unavailable" */
	ME_DB,               /* 503 "Database unavailable" */
	ME_INTERNAL,         /* 500 (logged) */
};

static const char *reason_text(enum media_err e)
{
	switch (e) {
	case ME_OK:             return "ok";
	case ME_NOT_UPLOAD_URL: return "not an upload URL of this service";
	case ME_NOT_ISSUED:     return "upload not issued to this user";
	case ME_INGESTED:       return "upload already ingested";
	case ME_MISSING:        return "uploaded file not found";
	case ME_TOO_LARGE:      return "file larger than allowed";
	case ME_WRONG_TYPE:     return "file content does not match its type";
	case ME_CHANGED:        return "upload changed during ingest";
	case ME_GONE:           return "resource removed during ingest";
	case ME_STREAM:         return "the input stream failed";
	case ME_STORAGE:        return "storage unavailable";
	case ME_DB:             return "database unavailable";
	case ME_INTERNAL:       return "internal error";
	}
	return "unknown media error";
}

static enum herr code_of(enum media_err e, const char **detail)
{
	*detail = NULL;
	switch (e) {
	case ME_OK:             return HE_OK;
	case ME_NOT_UPLOAD_URL: *detail = "Not an upload URL"; return HE_BAD_REQUEST;
	case ME_NOT_ISSUED:     *detail = "Not enough permissions"; return HE_FORBIDDEN;
	case ME_INGESTED:       *detail = "Upload already ingested"; return HE_BAD_REQUEST;
	case ME_MISSING:        *detail = "Uploaded file not found"; return HE_BAD_REQUEST;
	case ME_TOO_LARGE:      *detail = "File too large"; return HE_BAD_REQUEST;
	case ME_WRONG_TYPE:     *detail = "File content does not match its type"; return HE_BAD_REQUEST;
	case ME_CHANGED:        *detail = "Upload changed during ingest"; return HE_CONFLICT;
	case ME_STREAM:         *detail = "Unreadable file"; return HE_BAD_REQUEST;
	case ME_STORAGE:        return HE_STORAGE_UNAVAILABLE;
	case ME_DB:             return HE_DB_UNAVAILABLE;
	case ME_GONE:           return HE_GONE;
	case ME_INTERNAL:       return HE_INTERNAL;
	}
	return HE_INTERNAL;
}

/* ------------------------------------------------------------------ sniffing */

static int has(const unsigned char *p, size_t n, size_t off, const char *magic, size_t mlen)
{
	return n >= off + mlen && memcmp(p + off, magic, mlen) == 0;
}

/* ISO BMFF (MP4, AVIF): an ftyp box first; AVIF when its major or a compatible brand says so. */
static enum media_type sniff_ftyp(const unsigned char *p, size_t n)
{
	size_t box, i;

	if (!has(p, n, 4, "ftyp", 4) || n < 16)
		return MT_NONE;
	box = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	if (box < 16 || box % 4 != 0)
		return MT_NONE;
	if (has(p, n, 8, "avif", 4) || has(p, n, 8, "avis", 4))
		return MT_AVIF;
	for (i = 16; i + 4 <= box && i + 4 <= n; i += 4)
		if (has(p, n, i, "avif", 4) || has(p, n, i, "avis", 4))
			return MT_AVIF;
	/* HEIF still images (mif1, heic) are neither of ours */
	if (has(p, n, 8, "mif1", 4) || has(p, n, 8, "msf1", 4) || has(p, n, 8, "heic", 4) ||
	    has(p, n, 8, "heix", 4) || has(p, n, 8, "qt  ", 4))
		return MT_NONE;
	return MT_MP4;
}

/* An MPEG-1/2 audio layer III frame header (no ID3 tag before it). */
static int mp3_frame(const unsigned char *p, size_t n)
{
	unsigned version, layer, rate, freq;

	if (n < 4 || p[0] != 0xff || (p[1] & 0xe0) != 0xe0)
		return 0;
	version = (p[1] >> 3) & 3;
	layer = (p[1] >> 1) & 3;
	rate = p[2] >> 4;
	freq = (p[2] >> 2) & 3;
	return version != 1 && layer == 1 && rate != 0 && rate != 15 && freq != 3;
}

enum media_type media_sniff(const unsigned char *p, size_t n)
{
	if (p == NULL)
		return MT_NONE;
	if (n > MEDIA_SNIFF_LEN)
		n = MEDIA_SNIFF_LEN;     /* only the head decides: both ingest paths sniff just that */
	if (has(p, n, 0, "\xff\xd8\xff", 3))
		return MT_JPEG;
	if (has(p, n, 0, "\x89PNG\r\n\x1a\n", 8))
		return MT_PNG;
	if (has(p, n, 0, "GIF87a", 6) || has(p, n, 0, "GIF89a", 6))
		return MT_GIF;
	if (has(p, n, 0, "RIFF", 4) && has(p, n, 8, "WEBPVP8", 7))
		return MT_WEBP;
	if (has(p, n, 0, "%PDF-", 5))
		return MT_PDF;
	if (has(p, n, 0, "PK\x03\x04", 4) || has(p, n, 0, "PK\x05\x06", 4))
		return MT_ZIP;
	if (has(p, n, 0, "ID3", 3) && n >= 10 && p[3] < 0xff && p[4] < 0xff)
		return MT_MP3;
	if (mp3_frame(p, n))
		return MT_MP3;
	return sniff_ftyp(p, n);
}

/* ------------------------------------------------------------------ URLs */

/* 1 when url starts with base "/" and what follows is "temp/" + one safe segment. */
static int under_base(const char *url, const char *base, size_t blen, const char **rest)
{
	if (base == NULL || blen == 0 || strncmp(url, base, blen) != 0 || url[blen] != '/')
		return 0;
	*rest = url + blen + 1;
	return 1;
}

/* The issued temp keys are temp/{hex}_{unix}_{sanitised name}: one segment of [A-Za-z0-9._-]. */
static int temp_key_ok(const char *k)
{
	size_t i;

	if (strncmp(k, "temp/", 5) != 0 || k[5] == '\0' || k[5] == '.')
		return 0;
	for (i = 5; k[i]; i++) {
		unsigned char c = (unsigned char)k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
		if (c == '.' && k[i + 1] == '.')
			return 0;
	}
	return storage_key_ok(k);
}

int media_url_to_key(const struct config *c, const char *url, char *key, size_t keylen)
{
	char local[1024];
	const char *bases[3], *rest = NULL;
	size_t i, n;

	if (c == NULL || url == NULL || key == NULL || keylen == 0)
		return -1;
	if (strnlen(url, MEDIA_URL_MAX + 1) > MEDIA_URL_MAX)
		return -1;
	bases[0] = c->cdn_url;
	bases[1] = c->r2_public_url;
	bases[2] = NULL;
	if (c->storage_backend == STORAGE_LOCAL && c->public_base_url &&
	    (size_t)snprintf(local, sizeof(local), "%s/storage", c->public_base_url) < sizeof(local))
		bases[2] = local;
	for (i = 0; i < 3 && rest == NULL; i++)
		if (bases[i] && !under_base(url, bases[i], strlen(bases[i]), &rest))
			rest = NULL;
	if (rest == NULL || !temp_key_ok(rest))
		return -1;
	if ((n = strlen(rest)) >= keylen)
		return -1;
	memcpy(key, rest, n + 1);
	return 0;
}

char *media_item_url(const struct config *c, const struct media_item *it)
{
	size_t n = strlen(c->cdn_url) + sizeof("/media//file.") + UUID_STR_LEN + MEDIA_EXT_MAX;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s/media/%s/file.%s", c->cdn_url, it->resource_id, it->ext);
	return s;
}

static void media_key(const struct media_item *it, char *out, size_t n)
{
	snprintf(out, n, "media/%s/file.%s", it->resource_id, it->ext);
}

static enum media_err from_storage(enum herr e)
{
	switch (e) {
	case HE_OK:           return ME_OK;
	case HE_NOT_FOUND:    return ME_MISSING;
	case HE_PRECONDITION: return ME_CHANGED;
	case HE_TOO_LARGE:    return ME_TOO_LARGE;
	case HE_SHORT_BODY:
	case HE_SOURCE:   return ME_STREAM;
	case HE_STORAGE_UNAVAILABLE:  return ME_STORAGE;
	default:                      return ME_INTERNAL;
	}
}

static enum media_err from_db(enum herr e)
{
	return e == HE_OK ? ME_OK : e == HE_DB_UNAVAILABLE ? ME_DB : ME_INTERNAL;
}

/* ------------------------------------------------------------------ hashing */

struct hasher {
	EVP_MD_CTX *md;
	unsigned char head[MEDIA_SNIFF_LEN];
	size_t nhead;
	long long total, max;
	enum media_type type;      /* sniffed once head is full (or at the end) */
	unsigned allowed;          /* mask of 1u << type; 0 = any of ours */
	enum media_err why;        /* why the writer stopped the transfer */
	int sniffed;
};

static int hasher_init(struct hasher *h, long long max, unsigned allowed)
{
	memset(h, 0, sizeof(*h));
	h->max = max;
	h->allowed = allowed;
	h->md = EVP_MD_CTX_new();
	return h->md && EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

/* Decide the type from the head; -1 (h->why set) when it is not an allowed one. */
static int hasher_sniff(struct hasher *h)
{
	if (h->sniffed)
		return h->why == ME_OK ? 0 : -1;
	h->sniffed = 1;
	h->type = media_sniff(h->head, h->nhead);
	if (h->type == MT_NONE || (h->allowed && !(h->allowed & (1u << h->type)))) {
		h->why = ME_WRONG_TYPE;
		return -1;
	}
	return 0;
}

/* Feed n bytes: hash, count against max, sniff as soon as the head is full. 0 or -1. */
static int hasher_feed(struct hasher *h, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	h->total += (long long)n;
	if (h->max >= 0 && h->total > h->max) {
		h->why = ME_TOO_LARGE;
		return -1;
	}
	if (h->nhead < MEDIA_SNIFF_LEN) {
		size_t k = MEDIA_SNIFF_LEN - h->nhead < n ? MEDIA_SNIFF_LEN - h->nhead : n;
		memcpy(h->head + h->nhead, p, k);
		h->nhead += k;
		if (h->nhead == MEDIA_SNIFF_LEN && hasher_sniff(h) != 0)
			return -1;
	}
	if (EVP_DigestUpdate(h->md, p, n) != 1) {
		h->why = ME_INTERNAL;
		return -1;
	}
	return 0;
}

static int hasher_final(struct hasher *h, unsigned char out[32])
{
	unsigned int len = 0;

	if (hasher_sniff(h) != 0)
		return -1;
	if (EVP_DigestFinal_ex(h->md, out, &len) != 1 || len != 32) {
		h->why = ME_INTERNAL;
		return -1;
	}
	return 0;
}

static void hasher_free(struct hasher *h)
{
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
}

static int hash_write(void *ctx, const char *buf, size_t n)
{
	return hasher_feed(ctx, buf, n);
}

/* ------------------------------------------------------------------ dedup */

static void hex32(const unsigned char *in, char out[2 + 64 + 1])
{
	out[0] = '\\';
	out[1] = 'x';
	hex_encode(in, 32, out + 2);
}

/*
 * Insert it (resource_id already set to a fresh id) as pending, or find the resource with the
 * same (sha256, size): it->created says which. *state gets "pending" or "ready" for a hit.
 */
static enum media_err dedup(struct media_item *it, int *hit_pending)
{
	static const char ins[] = "INSERT INTO media_resources (id, sha256, size, content_type, ext) "
	    "VALUES ($1::uuid, $2::bytea, $3::bigint, $4, $5) "
	    "ON CONFLICT ON CONSTRAINT media_resources_sha256_size_key DO NOTHING RETURNING id";
	static const char sel[] = "SELECT id::text, ext, state FROM media_resources "
	    "WHERE sha256 = $1::bytea AND size = $2::bigint";
	char hex[67], size[24];
	const char *p[5];
	PGresult *res = NULL;
	enum herr e;
	int try;

	hex32(it->sha256, hex);
	snprintf(size, sizeof(size), "%lld", it->size);
	for (try = 0; try < DEDUP_TRIES; try++) {
		p[0] = it->resource_id; p[1] = hex; p[2] = size;
		p[3] = media_type_mime(it->type); p[4] = it->ext;
		if ((e = db_exec(&res, ins, 5, p)) != HE_OK)
			goto fail;
		if (PQntuples(res) == 1) {
			PQclear(res);
			it->created = 1;
			return ME_OK;
		}
		PQclear(res);
		p[0] = hex; p[1] = size;
		if ((e = db_exec(&res, sel, 2, p)) != HE_OK)
			goto fail;
		if (PQntuples(res) == 1) {
			snprintf(it->resource_id, sizeof(it->resource_id), "%s", PQgetvalue(res, 0, 0));
			snprintf(it->ext, sizeof(it->ext), "%s", PQgetvalue(res, 0, 1));
			*hit_pending = strcmp(PQgetvalue(res, 0, 2), "pending") == 0;
			PQclear(res);
			return ME_OK;
		}
		PQclear(res);    /* removed between the two statements: insert again */
	}
	log_error("media: dedup of a resource kept racing with its removal");
	return ME_INTERNAL;
fail:
	PQclear(res);
	return from_db(e);
}

/* ------------------------------------------------------------------ from a temp URL */

/* Step 0's database half: the upload row of key must be the caller's and not yet ingested. */
static enum media_err check_upload(const char *key, const char *uid, struct media_item *out,
    enum media_type *declared)
{
	static const char sql[] = "SELECT owner_id::text, content_type, ingested_at IS NOT NULL, key "
	    "FROM uploads WHERE id = $1::uuid";
	const char *p[1] = { out->upload_id };
	PGresult *res = NULL;
	enum media_err me = ME_NOT_ISSUED;
	enum herr e;
	int attempt = 0;

	if (upkey_id(key, out->upload_id) != 0)
		return ME_NOT_ISSUED;
	/* a record just issued may still be queued in uploads.fcgi (uprecord.h) */
	while ((e = db_exec(&res, sql, 1, p)) == HE_OK && PQntuples(res) == 0 && upkey_wait(key, attempt++)) {
		PQclear(res);
		res = NULL;
	}
	if (e != HE_OK) {
		me = from_db(e);
		goto out;
	}
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 3), key) != 0 ||
	    strcmp(PQgetvalue(res, 0, 0), uid) != 0)
		goto out;
	if (strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
		me = ME_INGESTED;
		goto out;
	}
	*declared = media_type_from_mime(PQgetvalue(res, 0, 1));
	me = ME_OK;
out:
	PQclear(res);
	return me;
}

/* Steps 1-2: HEAD, then the hashed and sniffed GET with If-Match. */
static enum media_err hash_temp(struct media_item *it, enum media_type declared, char etag[STORAGE_ETAG_MAX])
{
	const struct config *c = config_get();
	struct storage_obj obj;
	struct hasher h;
	enum herr se;
	enum media_err me;

	if ((se = storage_head(it->temp_key, &obj)) != HE_OK)
		return from_storage(se);
	if (obj.size > c->max_upload_size)
		return ME_TOO_LARGE;
	if (declared == MT_NONE)
		return ME_WRONG_TYPE;
	media_fault("after-head");
	if (hasher_init(&h, obj.size, 1u << declared) != 0) {
		hasher_free(&h);
		return ME_INTERNAL;
	}
	se = storage_get(it->temp_key, obj.etag, hash_write, &h);
	if (se == HE_SOURCE)
		me = h.why == ME_TOO_LARGE ? ME_CHANGED : h.why;   /* longer than its HEAD: replaced */
	else if (se != HE_OK)
		me = from_storage(se);
	else if (h.total != obj.size)
		me = ME_CHANGED;
	else if (hasher_final(&h, it->sha256) != 0)
		me = h.why;
	else
		me = ME_OK;
	if (me == ME_OK) {
		it->size = obj.size;
		it->type = h.type;
		snprintf(it->ext, sizeof(it->ext), "%s", media_type_ext(h.type));
		memcpy(etag, obj.etag, STORAGE_ETAG_MAX);
	}
	hasher_free(&h);
	return me;
}

static enum media_err prepare_url(const char *url, const char *uid, struct media_item *out,
    char **detail)
{
	const struct config *c = config_get();
	char etag[STORAGE_ETAG_MAX], dst[STORAGE_KEY_MAX + 1];
	enum media_type declared = MT_NONE;
	enum media_err me;
	int hit_pending = 0;

	memset(out, 0, sizeof(*out));
	*detail = NULL;
	if (media_url_to_key(c, url, out->temp_key, sizeof(out->temp_key)) != 0) {
		/* the URL is client input: cut, and JSON-escaped by json-c when sent */
		if (asprintf(detail, "Not an upload URL: %.300s", url) < 0)
			*detail = NULL;
		return ME_NOT_UPLOAD_URL;
	}
	if ((me = check_upload(out->temp_key, uid, out, &declared)) != ME_OK)
		return me;
	if ((me = hash_temp(out, declared, etag)) != ME_OK)
		return me;
	media_fault("after-hash");
	if (uuid_v4(out->resource_id) != 0)
		return ME_INTERNAL;
	if ((me = dedup(out, &hit_pending)) != ME_OK)
		return me;
	media_fault("after-insert");
	if (!out->created && !hit_pending)
		return ME_OK;        /* a ready resource: its object is in place */
	/* Ours, or another ingest's still pending: the same bytes go to the canonical key. */
	media_key(out, dst, sizeof(dst));
	if ((me = from_storage(storage_copy(out->temp_key, dst, etag))) != ME_OK)
		media_abort(out);
	else
		media_fault("after-copy");
	return me;
}

/* ------------------------------------------------------------------ from a stream */

struct replay {
	storage_read_fn rd;
	void *ctx;
	struct hasher *h;
	size_t off;        /* of h->head already handed out */
	int failed;
};

/* Hand out the sniffed head first, then the rest of the stream; hash what passes. */
static ssize_t replay_read(void *ctx, char *buf, size_t n)
{
	struct replay *r = ctx;
	ssize_t got;

	if (r->off < r->h->nhead) {
		size_t k = r->h->nhead - r->off < n ? r->h->nhead - r->off : n;
		memcpy(buf, r->h->head + r->off, k);
		r->off += k;
		return (ssize_t)k;
	}
	if ((got = r->rd(r->ctx, buf, n)) < 0) {
		r->failed = 1;
		return -1;
	}
	if (got > 0 && EVP_DigestUpdate(r->h->md, buf, (size_t)got) != 1)
		return -1;
	r->h->total += got;
	return got;
}

/* Read the sniff head from rd; -1 when rd failed. */
static int read_head(struct hasher *h, storage_read_fn rd, void *ctx)
{
	while (h->nhead < MEDIA_SNIFF_LEN) {
		ssize_t got = rd(ctx, (char *)h->head + h->nhead, MEDIA_SNIFF_LEN - h->nhead);
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		h->nhead += (size_t)got;
	}
	h->total = (long long)h->nhead;
	return EVP_DigestUpdate(h->md, h->head, h->nhead) == 1 ? 0 : -1;
}

static enum media_err prepare_stream(storage_read_fn rd, void *ctx, long long max,
    unsigned allowed, struct media_item *out)
{
	char key[STORAGE_KEY_MAX + 1], dst[STORAGE_KEY_MAX + 1];
	struct hasher h;
	struct replay rp = { rd, ctx, &h, 0, 0 };
	struct storage_obj obj;
	enum herr se;
	enum media_err me;
	int hit_pending = 0;

	memset(out, 0, sizeof(*out));
	if (hasher_init(&h, max, allowed) != 0) {
		me = ME_INTERNAL;
		goto out;
	}
	if (read_head(&h, rd, ctx) != 0) {
		me = ME_STREAM;
		goto out;
	}
	if (hasher_sniff(&h) != 0) {
		me = h.why;
		goto out;
	}
	out->type = h.type;
	snprintf(out->ext, sizeof(out->ext), "%s", media_type_ext(h.type));
	if (uuid_v4(out->resource_id) != 0) {
		me = ME_INTERNAL;
		goto out;
	}
	media_key(out, key, sizeof(key));
	rp.off = 0;
	se = storage_put_stream(key, replay_read, &rp, -1, max, media_type_mime(h.type), &obj);
	if (se != HE_OK) {
		me = rp.failed ? ME_STREAM : from_storage(se);
		goto out;
	}
	media_fault("after-put");
	if (hasher_final(&h, out->sha256) != 0) {
		me = h.why;
		storage_delete(key);
		goto out;
	}
	out->size = obj.size;
	if ((me = dedup(out, &hit_pending)) != ME_OK) {
		storage_delete(key);   /* never inserted: an object without a row */
		goto out;
	}
	if (out->created)
		goto out;
	/* A hit: the existing resource's object gets these same bytes if it is still pending. */
	media_key(out, dst, sizeof(dst));
	if (hit_pending && (se = storage_copy(key, dst, NULL)) != HE_OK)
		me = from_storage(se);
	if (storage_delete(key) != HE_OK)
		log_warn("media: could not delete %s (the sweeper will)", key);
out:
	hasher_free(&h);
	return me;
}

/* ------------------------------------------------------------------ attach, finish, abort */

static enum media_err attach(const struct media_item *it, const char *entity_type,
    const char *entity_id, const char *role, int position)
{
	/* The UPDATE locks the row: a racing abort or sweep (DELETE ... WHERE state = 'pending')
	 * either removed it first (no row: ME_GONE) or waits and then finds it 'ready'. */
	static const char att[] = "WITH r AS (UPDATE media_resources SET state = 'ready' "
	    "WHERE id = $2::uuid RETURNING id) "
	    "INSERT INTO media_resource_attachments (id, resource_id, entity_type, entity_id, role, position) "
	    "SELECT $1::uuid, r.id, $3, $4::uuid, $5, $6::int FROM r RETURNING id";
	static const char ing[] = "UPDATE uploads SET ingested_at = now() "
	    "WHERE id = $1::uuid AND ingested_at IS NULL";
	char id[UUID_STR_LEN + 1], pos[16];
	const char *p[6];
	PGresult *res = NULL;
	enum media_err me;
	enum herr e;

	if (uuid_v4(id) != 0)
		return ME_INTERNAL;
	snprintf(pos, sizeof(pos), "%d", position);
	p[0] = id; p[1] = it->resource_id; p[2] = entity_type; p[3] = entity_id; p[4] = role; p[5] = pos;
	if ((e = db_exec(&res, att, 6, p)) != HE_OK) {
		me = from_db(e);
		goto out;
	}
	if (PQntuples(res) != 1) {
		me = ME_GONE;
		goto out;
	}
	PQclear(res);
	res = NULL;
	me = ME_OK;
	if (it->upload_id[0]) {
		p[0] = it->upload_id;
		if ((e = db_exec(&res, ing, 1, p)) != HE_OK)
			me = from_db(e);
		else if (strcmp(PQcmdTuples(res), "1") != 0)
			me = ME_INGESTED;
	}
out:
	PQclear(res);
	return me;
}

/* A refused prepare: its reason into the item, its code out (with a malloc'd detail when
 * detail is given and none was set). */
static enum herr refused(enum media_err me, struct media_item *it, char **detail)
{
	const char *d;
	enum herr e = code_of(me, &d);

	if (e == HE_OK)
		return e;
	it->why = reason_text(me);
	if (detail && *detail == NULL && d)
		*detail = strdup(d);     /* NULL on ENOMEM: the code's own text */
	return e;
}

enum herr media_prepare_url(const char *url, const char *uid, struct media_item *out, char **detail)
{
	return refused(prepare_url(url, uid, out, detail), out, detail);
}

enum herr media_prepare_stream(storage_read_fn rd, void *ctx, long long max, unsigned allowed,
    struct media_item *out)
{
	return refused(prepare_stream(rd, ctx, max, allowed, out), out, NULL);
}

enum herr media_attach(const struct media_item *it, const char *entity_type, const char *entity_id,
    const char *role, int position, const char **detail)
{
	enum media_err me = attach(it, entity_type, entity_id, role, position);
	const char *d;
	enum herr e = code_of(me, &d);

	if (detail)
		*detail = d;
	if (e != HE_OK)
		log_info("media: attach of %s refused: %s", it->resource_id, reason_text(me));
	return e;
}

void media_finish(struct media_item *it)
{
	enum herr e;

	if (it->temp_key[0] && (e = storage_delete(it->temp_key)) != HE_OK)
		log_warn("media: could not delete %s after ingest: %s (the sweeper will)", it->temp_key,
		    herr_str(e));
	it->temp_key[0] = '\0';
	it->created = 0;
}

void media_abort(struct media_item *it)
{
	static const char del[] = "DELETE FROM media_resources r WHERE id = $1::uuid AND state = 'pending' "
	    "AND NOT EXISTS (SELECT 1 FROM media_resource_attachments a WHERE a.resource_id = r.id) "
	    "RETURNING id";
	char key[STORAGE_KEY_MAX + 1];
	const char *p[1] = { it->resource_id };
	PGresult *res = NULL;
	enum herr se;

	if (!it->created)
		return;
	/* Row first: a crash in between leaves an object without a row, which the sweeper takes. */
	if (db_exec(&res, del, 1, p) == HE_OK && PQntuples(res) == 1) {
		media_key(it, key, sizeof(key));
		if ((se = storage_delete(key)) != HE_OK)
			log_warn("media: could not delete %s: %s (the sweeper will)", key, herr_str(se));
	}
	PQclear(res);
	it->created = 0;
}
