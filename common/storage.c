/* storage.c: the storage interface: key rules and dispatch to the configured backend. */
#include "storage.h"
#include "storage_int.h"
#include "fdio.h"
#include "log.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>

static const struct storage_ops *backend;   /* set by storage_init, NULL before */

/* Segment rules shared by keys and prefixes: seg[0..n) is one segment, complete or not. */
static int segment_ok(const char *seg, size_t n, int complete, int first)
{
	if (n > STORAGE_SEGMENT_MAX)
		return 0;
	if (!complete)
		return 1;
	if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
		return 0;
	if (first && n == 4 && memcmp(seg, ".tmp", 4) == 0)
		return 0;   /* the local backend's temp directory */
	return 1;
}

/* Check s as a key (is_prefix 0) or as a listing prefix (is_prefix 1). */
static int name_ok(const char *s, int is_prefix)
{
	size_t i, start = 0, len;
	int first = 1;

	if (s == NULL)
		return 0;
	len = strnlen(s, STORAGE_KEY_MAX + 1);
	if (len > STORAGE_KEY_MAX)
		return 0;
	if (len == 0)
		return is_prefix;
	if (s[0] == '/')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			return 0;
		if (c == '/') {
			if (!segment_ok(s + start, i - start, 1, first))
				return 0;
			first = 0;
			start = i + 1;
		}
	}
	/* The last segment: complete for a key; a prefix may end anywhere, even after '/'. */
	if (is_prefix) {
		if (start == len)
			return 1;
		if (!segment_ok(s + start, len - start, 0, first))
			return 0;
		/* "a/.." can only begin keys under "a/../", which are refused: keep it out too. */
		return !(len - start == 2 && s[start] == '.' && s[start + 1] == '.');
	}
	return segment_ok(s + start, len - start, 1, first);
}

int storage_key_ok(const char *key)
{
	return name_ok(key, 0);
}

int storage_prefix_ok(const char *prefix)
{
	return name_ok(prefix, 1);
}

int storage_write_all(int fd, const char *p, size_t n)
{
	return fd_write_all(fd, p, n);
}

enum herr storage_spool(int fd, storage_read_fn rd, void *ctx, long long expect,
    long long max, long long *len)
{
	char buf[STORAGE_COPY_CHUNK];
	long long total = 0, limit;

	*len = 0;
	if (expect >= 0 && max >= 0 && expect > max)
		return HE_TOO_LARGE;
	limit = expect >= 0 ? expect : max;   /* < 0: no limit */
	for (;;) {
		ssize_t n = rd(ctx, buf, sizeof(buf));

		if (n < 0)
			return HE_SOURCE;
		if (n == 0)
			break;
		if ((size_t)n > sizeof(buf))
			return HE_SOURCE;   /* a reader that lies about its count */
		if (limit >= 0 && n > limit - total)
			return HE_TOO_LARGE;
		if (storage_write_all(fd, buf, (size_t)n) != 0) {
			log_error("storage: writing a spool file failed: %s", strerror(errno));
			return HE_INTERNAL;
		}
		total += n;
	}
	if (expect >= 0 && total < expect)
		return HE_SHORT_BODY;
	*len = total;
	return HE_OK;
}

int storage_init(const struct config *c)
{
	const struct storage_ops *ops = c->storage_backend == STORAGE_S3 ? &storage_s3_ops : &storage_local_ops;

	if (backend != NULL)
		storage_cleanup();
	if (ops->init(c) != 0)
		return -1;
	backend = ops;
	return 0;
}

void storage_cleanup(void)
{
	if (backend != NULL)
		backend->cleanup();
	backend = NULL;
}

/* Common checks of every call: a backend, and acceptable keys. */
static enum herr ready(const char *op, const char *k1, const char *k2)
{
	if (backend == NULL) {
		log_error("storage: %s before storage_init", op);
		return HE_INTERNAL;
	}
	if (!storage_key_ok(k1) || (k2 != NULL && !storage_key_ok(k2)))
		return HE_BAD_KEY;
	return HE_OK;
}

static void clear_obj(struct storage_obj *out)
{
	if (out != NULL)
		memset(out, 0, sizeof(*out));
}

enum herr storage_put_stream(const char *key, storage_read_fn rd, void *ctx,
    long long expect, long long max, const char *content_type, struct storage_obj *out)
{
	enum herr e;

	clear_obj(out);
	if ((e = ready("put_stream", key, NULL)) != HE_OK)
		return e;
	return backend->put_stream(key, rd, ctx, expect, max, content_type, out);
}

enum herr storage_put_fd(const char *key, int fd, long long size,
    const char *content_type, struct storage_obj *out)
{
	enum herr e;

	clear_obj(out);
	if ((e = ready("put_fd", key, NULL)) != HE_OK)
		return e;
	if (fd < 0 || size < 0)
		return HE_INTERNAL;
	return backend->put_fd(key, fd, size, content_type, out);
}

enum herr storage_head(const char *key, struct storage_obj *out)
{
	enum herr e;

	clear_obj(out);
	if ((e = ready("head", key, NULL)) != HE_OK)
		return e;
	return backend->head(key, out);
}

enum herr storage_get(const char *key, const char *if_match, storage_write_fn wr, void *ctx)
{
	enum herr e;

	if ((e = ready("get", key, NULL)) != HE_OK)
		return e;
	return backend->get(key, if_match, wr, ctx);
}

enum herr storage_copy(const char *src, const char *dst, const char *if_match)
{
	enum herr e;

	if ((e = ready("copy", src, dst)) != HE_OK)
		return e;
	return backend->copy(src, dst, if_match);
}

enum herr storage_delete(const char *key)
{
	enum herr e;

	if ((e = ready("delete", key, NULL)) != HE_OK)
		return e;
	return backend->del(key);
}

enum herr storage_list(const char *prefix, storage_list_fn fn, void *ctx)
{
	if (backend == NULL) {
		log_error("storage: list before storage_init");
		return HE_INTERNAL;
	}
	if (!storage_prefix_ok(prefix))
		return HE_BAD_KEY;
	return backend->list(prefix, fn, ctx);
}
