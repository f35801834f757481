/* uuid.h: UUID v4 generation (OpenSSL RNG) and pydantic-compatible UUID parsing. */
#ifndef FILES_UUID_H
#define FILES_UUID_H
#include <stddef.h>

#define UUID_STR_LEN 36

/* Write a random v4 UUID, lowercase and hyphenated, NUL-terminated. 0 ok, -1 if the RNG failed. */
int uuid_v4(char out[UUID_STR_LEN + 1]);
/*
 * Parse s (len bytes) in any spelling pydantic accepts: hyphenated, 32 hex digits, braced,
 * "urn:uuid:" prefixed, any case. 0 with out lowercase hyphenated; -1 with err set to the
 * reason in pydantic's words (static or written into errbuf).
 */
int uuid_parse(const char *s, size_t len, char out[UUID_STR_LEN + 1], char *errbuf, size_t errlen);

#endif
