/* storage_int.h: what common/storage.c shares with its two backends; not for other modules. */
#ifndef FILES_STORAGE_INT_H
#define FILES_STORAGE_INT_H
#include "storage.h"

#define STORAGE_COPY_CHUNK (64 * 1024)  /* bytes moved per read/write when streaming */

/* One backend: every key it gets has passed storage_key_ok (prefixes: storage_prefix_ok). */
struct storage_ops {
	const char *name;
	int (*init)(const struct config *c);
	void (*cleanup)(void);
	enum herr (*put_stream)(const char *key, storage_read_fn rd, void *ctx,
	    long long expect, long long max, const char *content_type, struct storage_obj *out);
	enum herr (*put_fd)(const char *key, int fd, long long size,
	    const char *content_type, struct storage_obj *out);
	enum herr (*head)(const char *key, struct storage_obj *out);
	enum herr (*get)(const char *key, const char *if_match, storage_write_fn wr, void *ctx);
	enum herr (*copy)(const char *src, const char *dst, const char *if_match);
	enum herr (*del)(const char *key);
	enum herr (*list)(const char *prefix, storage_list_fn fn, void *ctx);
};

extern const struct storage_ops storage_local_ops;
extern const struct storage_ops storage_s3_ops;

/* 1 when prefix may start a listing: "" or a key's beginning (a trailing '/' allowed). */
int storage_prefix_ok(const char *prefix);

/*
 * Copy the body of rd into fd (at its current position) under the put_stream rules:
 * expect >= 0 means exactly that many bytes; max >= 0 caps the body (max < 0: no cap).
 * HE_OK with *len set, or HE_TOO_LARGE / HE_SHORT_BODY / HE_SOURCE / HE_INTERNAL (write failed,
 * logged). Reading stops at the first byte past a limit.
 */
enum herr storage_spool(int fd, storage_read_fn rd, void *ctx, long long expect,
    long long max, long long *len);

/* Write all n bytes of p to fd (retrying short writes and EINTR). 0 ok, -1 with errno. */
int storage_write_all(int fd, const char *p, size_t n);

#endif
