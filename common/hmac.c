/* hmac.c: SHA-256 and HMAC-SHA256 on OpenSSL's low-level SHA-256 (see hmac.h). */
/* SHA256_Init & co. are deprecated in OpenSSL 3 in favour of EVP, whose first use costs the
 * process the provider's tables (hmac.h); they remain part of the 3.x API. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "hmac.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#define BLOCK 64        /* SHA-256 block size: the HMAC key pad */

void sha256_digest(const void *msg, size_t len, unsigned char out[SHA256_LEN])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, msg, len);
	SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[SHA256_LEN])
{
	unsigned char k[BLOCK], pad[BLOCK], inner[SHA256_LEN];
	SHA256_CTX c;
	size_t i;

	memset(k, 0, sizeof(k));
	if (klen > BLOCK)
		sha256_digest(key, klen, k);            /* a long key is hashed first */
	else if (klen > 0)
		memcpy(k, key, klen);
	for (i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, BLOCK);
	SHA256_Update(&c, msg, mlen);
	SHA256_Final(inner, &c);
	for (i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, BLOCK);
	SHA256_Update(&c, inner, sizeof(inner));
	SHA256_Final(out, &c);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	OPENSSL_cleanse(&c, sizeof(c));
}
