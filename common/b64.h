/* b64.h: strict base64url (RFC 4648 section 5) without padding, as JWS uses it. */
#ifndef FILES_B64_H
#define FILES_B64_H
#include <stddef.h>

/* Encode len bytes. Returns a malloc'd NUL-terminated string (caller frees); NULL on ENOMEM. */
char *b64url_encode(const unsigned char *in, size_t len);
/* Decode inlen chars strictly: 0 and *out malloc'd (caller frees, NUL-terminated, NUL not in
 * *outlen); -1 (and *out NULL) on a char outside [A-Za-z0-9_-], '=', inlen%4 == 1,
 * non-zero unused trailing bits, or ENOMEM. */
int b64url_decode(const char *in, size_t inlen, unsigned char **out, size_t *outlen);

#endif
