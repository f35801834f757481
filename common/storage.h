/* storage.h: one object-store interface, two backends (local disk, S3/R2), chosen by STORAGE_BACKEND. */
#ifndef FILES_STORAGE_H
#define FILES_STORAGE_H
#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include "config.h"
#include "err.h"

#define STORAGE_ETAG_MAX 130       /* quoted ETag as the store gives it, NUL-terminated */
#define STORAGE_CONNECT_TIMEOUT_S 5 /* API.md §1: connections given up after 5 s */
#define STORAGE_STALL_TIMEOUT_S 20  /* ... and a transfer during which no byte moves for 20 s */
#define STORAGE_RETRIES 3           /* attempts for network errors and 5xx (idempotent calls) */
#define STORAGE_KEY_MAX 1024        /* bytes of a key (S3's and R2's limit) */
#define STORAGE_SEGMENT_MAX 255     /* bytes of one '/'-separated key segment (a file name, local) */

/*
 * Every function returns the service's one error code (err.h): HE_OK; HE_NOT_FOUND (no such
 * object); HE_PRECONDITION (If-Match / copy-source-if-match failed: the object changed);
 * HE_TOO_LARGE (a streamed body passed its cap; nothing kept); HE_SHORT_BODY (a streamed
 * body ended before its declared size; nothing kept); HE_SOURCE (the caller's source failed:
 * the client went away, or storage_get's wr asked to stop; nothing kept); HE_BAD_KEY (key
 * refused: empty, absolute, "." or "..", "//", trailing '/', NUL or other control byte,
 * backslash, too long, first segment ".tmp"; see storage_key_ok); HE_STORAGE_UNAVAILABLE
 * (the store cannot be reached / timed out / 5xx after retries); HE_INTERNAL (any other
 * failure, logged).
 */

struct storage_obj {
	long long size;
	char etag[STORAGE_ETAG_MAX];   /* as the store returns it, quotes included ("" if none) */
	time_t mtime;
};

/* Reads up to n bytes into buf: >0 bytes read, 0 at the end, -1 on error. */
typedef ssize_t (*storage_read_fn)(void *ctx, char *buf, size_t n);
/* Takes n bytes; 0 to continue, -1 to abort the transfer. */
typedef int (*storage_write_fn)(void *ctx, const char *buf, size_t n);
/* One listed object; 0 to continue, -1 to stop. */
typedef int (*storage_list_fn)(void *ctx, const char *key, long long size, time_t mtime);

/* Prepare the backend of c once per process (curl handle, root dir). 0 ok, -1 logged. */
int storage_init(const struct config *c);
/* Release what storage_init made. */
void storage_cleanup(void);
/* 1 when key is acceptable to every backend (see HE_BAD_KEY). */
int storage_key_ok(const char *key);

/*
 * Store a body read from rd under key. expect >= 0: the body must be exactly that long
 * (HE_SHORT_BODY / HE_TOO_LARGE otherwise); max caps it in any case. Never visible half written
 * (local: temp file + rename; s3: spooled to a temp file, then one PUT). On success *out
 * has size and ETag. On any failure nothing is left under key or in temp files.
 */
enum herr storage_put_stream(const char *key, storage_read_fn rd, void *ctx,
    long long expect, long long max, const char *content_type, struct storage_obj *out);
/* Store the open file fd (size bytes from offset 0) under key. */
enum herr storage_put_fd(const char *key, int fd, long long size,
    const char *content_type, struct storage_obj *out);
/* Size, ETag and time of key. */
enum herr storage_head(const char *key, struct storage_obj *out);
/* Stream key's bytes to wr; if_match (may be NULL) must equal the current ETag. */
enum herr storage_get(const char *key, const char *if_match, storage_write_fn wr, void *ctx);
/* Server-side copy src -> dst, only if src's ETag still equals if_match (may be NULL). */
enum herr storage_copy(const char *src, const char *dst, const char *if_match);
/* Delete key; a missing key is HE_OK. */
enum herr storage_delete(const char *key);
/* Every object whose key starts with prefix, paged (ListObjectsV2 / a directory walk). */
enum herr storage_list(const char *prefix, storage_list_fn fn, void *ctx);

#endif
