/* buf.h: growable byte buffer with a hard cap. The buffer owns data; buf_free releases it. */
#ifndef FILES_BUF_H
#define FILES_BUF_H
#include <stddef.h>
#include <stdarg.h>

struct buf {
	char   *data;  /* always NUL-terminated when non-NULL; owned */
	size_t  len;   /* bytes used, NUL not counted */
	size_t  cap;   /* bytes allocated */
	size_t  max;   /* hard cap on len */
};

/* Initialise an empty buffer that may grow to max bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t max);
/* An append that hit the cap must be handled: the result cannot be ignored. */
#define BUF_MUST_CHECK __attribute__((warn_unused_result))
/* Append n bytes. 0 on success; -1 when len would pass max (buffer unchanged) or on ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n) BUF_MUST_CHECK;
/* Append a NUL-terminated string. Same result as buf_append. */
int buf_puts(struct buf *b, const char *s) BUF_MUST_CHECK;
/* Append printf-formatted text, bounded by max. Same result as buf_append. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3))) BUF_MUST_CHECK;
/* The contents as a C string; "" when empty. Valid until the next change. */
const char *buf_cstr(const struct buf *b);
/* Forget the contents, keep the allocation. */
void buf_reset(struct buf *b);
/* Release the allocation; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);
/* Hand the data to the caller (malloc'd, NUL-terminated, never NULL unless ENOMEM); buffer left empty. */
char *buf_detach(struct buf *b);

#endif
