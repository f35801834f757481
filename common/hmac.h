/* hmac.h: SHA-256 and HMAC-SHA256 at no memory cost beyond the caller's stack. */
#ifndef FILES_HMAC_H
#define FILES_HMAC_H

#include <stddef.h>

#define SHA256_LEN 32

/*
 * OpenSSL 3's EVP/MAC/RAND calls first load the default provider and build its algorithm
 * tables and a DRBG: 250-400 kB of heap in every process that signs or verifies one token
 * (docs/performance.md, memory). These use OpenSSL's SHA-256 block code directly, so
 * nothing is allocated (random bytes: rnd.h).
 */

/* out = SHA-256(msg). */
void sha256_digest(const void *msg, size_t len, unsigned char out[SHA256_LEN]);

/* out = HMAC-SHA256(key, msg) (RFC 2104; any key length). */
void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[SHA256_LEN]);

#endif
