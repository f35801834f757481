/* hmac256.h: HMAC-SHA256 whose keyed inner and outer hash states are computed once per key,
 * so a MAC under a long-lived key (SECRET_KEY) costs the message's hashing only. */
#ifndef FILES_HMAC256_H
#define FILES_HMAC256_H
#include <stddef.h>

#define HMAC256_LEN 32

/*
 * out = HMAC-SHA256(key, msg). The keyed states of the last few keys are kept for the life of
 * the process (a responder uses one or two), found again by the key's bytes. 0, or -1 on an
 * OpenSSL failure (then out is unspecified). An empty key is refused (-1): no unkeyed MACs.
 */
int hmac256(const void *key, size_t keylen, const void *msg, size_t len, unsigned char out[HMAC256_LEN]);
/* Forget every kept key (their states and copies are wiped). For tests and exit. */
void hmac256_forget(void);

#endif
