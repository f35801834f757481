/* media.h: the ingest of API.md §6: temp upload or byte stream -> deduplicated media/{id}/file.{ext}. */
#ifndef FILES_MEDIA_H
#define FILES_MEDIA_H
#include <stddef.h>
#include <sys/types.h>
#include "config.h"
#include "err.h"
#include "storage.h"
#include "uuid.h"

/*
 * The two callers and their order of calls (every step is crash-safe: a committed row never
 * points at a missing object; what a crash leaves is a media/ object without a row or a
 * 'pending' row, both removed by `files-cron sweep-temp`):
 *
 *   products.fcgi (from temp URLs)          files-cron run-imports (from archive entries)
 *   ------------------------------          ---------------------------------------------
 *   for each URL: media_prepare_url()       for each entry: media_prepare_stream()
 *      (steps 0-3: checks, HEAD, hashed        (steps 2-3: sniff + hash while storing
 *       GET with If-Match, sniff, dedup,        at media/{new id}/file.{ext}, then dedup:
 *       pending row, copy with if-match)        pending row, or drop it on a hit)
 *   db_begin()                              db_begin()
 *   INSERT the entity                       INSERT the product, its results entry, ...
 *   media_attach() for each item            media_attach() for each item
 *   db_commit()                             db_commit()
 *   media_finish() for each item            media_finish() for each item
 *   (deletes the temp objects)              (nothing to delete; harmless)
 *   on any failure: db_rollback(), media_abort() for each item prepared so far.
 *
 * The prepare steps commit nothing but 'pending' rows (autocommit, outside the caller's
 * transaction; call them before db_begin()). The entity, its attachments, the resources'
 * 'ready' state and the uploads' ingested mark commit together in the caller's transaction,
 * so the caller may add any rows of its own to that same transaction (the bulk import's
 * product and results entry: one transaction per row). media_attach runs on the process
 * connection (db_exec), the one db_begin opened the transaction on.
 *
 * Temp objects are deleted only after the commit (media_finish), so a refused creation (one
 * bad image among three, a SKU conflict) leaves every temp object as it was and the client
 * may try again.
 */

#define MEDIA_EXT_MAX   8      /* "jpeg" at most, NUL included */
#define MEDIA_SNIFF_LEN 64     /* bytes the magic-byte sniffer looks at */
#define MEDIA_URL_MAX   (STORAGE_KEY_MAX + 1024)

/* The types the service stores, each with its stored extension (API.md §6 step 2). */
enum media_type {
	MT_NONE = 0,
	MT_JPEG, MT_PNG, MT_WEBP, MT_GIF, MT_AVIF, MT_PDF, MT_ZIP, MT_MP4, MT_MP3,
};
#define MT_IMAGES ((1u << MT_JPEG) | (1u << MT_PNG) | (1u << MT_WEBP) | (1u << MT_GIF) | (1u << MT_AVIF))

/*
 * Every step returns the service's error code (err.h): HE_OK; HE_BAD_REQUEST (not an upload
 * URL, already ingested, no temp object, over MAX_UPLOAD_SIZE, bytes not the declared or an
 * allowed type, an unreadable stream), HE_FORBIDDEN (the key was not issued to the caller),
 * HE_CONFLICT (the upload changed during the ingest: nothing kept), HE_GONE (the resource
 * vanished under us, a racing abort or sweep: roll back and prepare again),
 * HE_STORAGE_UNAVAILABLE, HE_DB_UNAVAILABLE, HE_INTERNAL (logged). A refused prepare also
 * says why in its item (why: a short text for logs and the bulk import's driver).
 */

/* One prepared file: what media_attach, media_finish and media_abort need. Plain data. */
struct media_item {
	char resource_id[UUID_STR_LEN + 1];
	char ext[MEDIA_EXT_MAX];
	enum media_type type;
	long long size;
	unsigned char sha256[32];
	int created;                          /* this ingest inserted the pending row */
	char upload_id[UUID_STR_LEN + 1];     /* from a temp URL: the uploads row ("" for a stream) */
	char temp_key[STORAGE_KEY_MAX + 1];   /* from a temp URL: deleted by media_finish ("" stream) */
	const char *why;                      /* a refused prepare: its reason, for logs (static) */
};

/* The sniffed type of the first n bytes of a file (MT_NONE when none of ours). Pure. */
enum media_type media_sniff(const unsigned char *p, size_t n);
/* The stored extension of t ("jpg", ...), NULL for MT_NONE. */
const char *media_type_ext(enum media_type t);
/* The MIME type of t ("image/jpeg", ...), NULL for MT_NONE. */
const char *media_type_mime(enum media_type t);
/* The type whose MIME type is mime (case-insensitive), MT_NONE if none. */
enum media_type media_type_from_mime(const char *mime);

/*
 * Step 0: the temp key of url, when url is one this service issued ({CDN_URL}/temp/...,
 * {R2_PUBLIC_URL}/temp/..., local backend also {PUBLIC_BASE_URL}/storage/temp/...) and the
 * rest is a valid storage key under temp/ (no '..' spelling, no query, no fragment, no
 * percent-escape). 0 with key (NUL-terminated) set; -1 otherwise. Pure (no I/O).
 */
int media_url_to_key(const struct config *c, const char *url, char *key, size_t keylen);
/* The canonical URL {CDN_URL}/media/{id}/file.{ext} of item, malloc'd (NULL on ENOMEM). */
char *media_item_url(const struct config *c, const struct media_item *it);

/*
 * Steps 0-3 for one temp URL given by user uid: the upload row (403 another user's or never
 * issued, 400 ingested), HEAD (400 missing / over the limit), the hashed GET with If-Match
 * and the sniff against the upload's declared type (400), then dedup: a 'pending' row and
 * the copy with x-amz-copy-source-if-match (409 when the object changed), or the existing
 * resource. On failure *detail is the malloc'd detail to answer with (caller frees; NULL:
 * the code's own text) and nothing is kept. Autocommit: call outside a transaction.
 */
enum herr media_prepare_url(const char *url, const char *uid, struct media_item *out,
    char **detail);
/*
 * Steps 2-3 for a byte stream (an archive entry): read rd to its end (at most max bytes:
 * HE_BAD_REQUEST), sniff the first bytes (allowed: a mask of 1u << enum media_type, e.g.
 * MT_IMAGES; else HE_BAD_REQUEST), hash while storing it straight at a fresh
 * media/{id}/file.{ext} (a crash then leaves an object without a row: the sweeper's), then
 * insert its pending row, or on a dedup hit drop that object and use the existing
 * resource. Never holds the stream in memory.
 * Autocommit: call outside a transaction.
 */
enum herr media_prepare_stream(storage_read_fn rd, void *ctx, long long max,
    unsigned allowed, struct media_item *out);

/*
 * Step 4, inside the caller's transaction (db_begin): an attachment of it to
 * (entity_type, entity_id) with role "cover" or "gallery" at position, the resource made
 * 'ready', and for a temp upload the ingested mark (HE_BAD_REQUEST with *detail "Upload
 * already ingested" if another ingest took it first; detail may be NULL). HE_GONE when the
 * resource was removed meanwhile: roll back and prepare again.
 */
enum herr media_attach(const struct media_item *it, const char *entity_type,
    const char *entity_id, const char *role, int position, const char **detail);
/* After the caller's commit: delete the temp object (best effort; the sweeper takes leftovers). */
void media_finish(struct media_item *it);
/* After a failure or rollback: drop what this ingest made and nobody attached (its pending
 * row, then its object). Leaves temp objects alone. Best effort, logged. */
void media_abort(struct media_item *it);

/*
 * Test builds only (-DFILES_FAULT_POINTS, tests/fault/): at a named step, FILES_FAULT=step:kill
 * kills the process (SIGKILL: a crash), FILES_FAULT=step:pause creates the file
 * $FILES_FAULT_MARK and waits (up to 20 s) until the test removes it. Compiled out otherwise.
 */
#ifdef FILES_FAULT_POINTS
void media_fault(const char *step);
#else
#define media_fault(step) ((void)0)
#endif

#endif
