/* pctenc.h: the one percent-encoder (RFC 3986 §2.1), its variants as parameters: which
 * bytes besides ASCII letters and digits stay as they are, and whether a valid %XX does. */
#ifndef FILES_PCTENC_H
#define FILES_PCTENC_H
#include <stddef.h>
#include "buf.h"

#define PCT_UNRESERVED "-._~"            /* RFC 3986 unreserved, besides letters and digits */
#define PCT_PATH       PCT_UNRESERVED "/"
/* What a Location header may carry as it is: unreserved, sub-delims, ':', '@', '/', '?'. */
#define PCT_URL        PCT_UNRESERVED "!$&'()*+,;=:@/?"

#define PCT_KEEP_ESCAPES 1u   /* a '%' followed by two hex digits is kept (already encoded) */

/* Append s[0..len) to out, encoded: letters, digits and the bytes of keep kept (never NUL),
 * every other byte %XX in upper-case hex. 0; -1 out of memory; -2 out's cap reached. */
int pct_encode_buf(struct buf *out, const char *s, size_t len, const char *keep, unsigned flags)
    BUF_MUST_CHECK;
/* The same as a malloc'd NUL-terminated string; NULL on ENOMEM. */
char *pct_encode(const char *s, size_t len, const char *keep, unsigned flags);
/* A normalised storage key for a URL: PCT_PATH kept, every other byte %XX. Malloc'd. */
char *pct_encode_path(const char *s, size_t len);

#endif
