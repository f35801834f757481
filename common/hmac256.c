/* hmac256.c: HMAC-SHA256 (RFC 2104) with per-key precomputed states, on OpenSSL's low-level
 * SHA-256. EVP_Q_mac/HMAC() fetch the algorithm and hash both key pads on every call; a JWT
 * check per request made that most of the MAC's cost. The states are plain SHA256_CTX copies:
 * no EVP, so no provider tables either (hmac.h says why that matters). */
#define OPENSSL_SUPPRESS_DEPRECATED     /* SHA256_Init & co.: see hmac.c */
#include "hmac256.h"
#include "hmac.h"
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 64          /* SHA-256 block size */
#define SLOTS 4           /* keys kept: SECRET_KEY and the upload-token key, with room for tests */

struct slot {
	unsigned char *key;   /* a copy, to find the slot again (wiped when dropped) */
	size_t keylen;
	SHA256_CTX inner, outer;   /* after absorbing key^ipad and key^opad */
};

static struct slot slots[SLOTS];
static unsigned next_victim;

static void slot_drop(struct slot *s)
{
	if (s->key) {
		OPENSSL_cleanse(s->key, s->keylen);
		free(s->key);
	}
	OPENSSL_cleanse(s, sizeof(*s));
	s->key = NULL;
	s->keylen = 0;
}

void hmac256_forget(void)
{
	unsigned i;

	for (i = 0; i < SLOTS; i++)
		slot_drop(&slots[i]);
}

/* One keyed state: the digest after one block of key ^ pad. */
static void pad_state(SHA256_CTX *c, const unsigned char k[BLOCK], unsigned char pad)
{
	unsigned char b[BLOCK];
	int i;

	for (i = 0; i < BLOCK; i++)
		b[i] = k[i] ^ pad;
	SHA256_Init(c);
	SHA256_Update(c, b, BLOCK);
	OPENSSL_cleanse(b, sizeof(b));
}

static int slot_fill(struct slot *s, const void *key, size_t keylen)
{
	unsigned char k[BLOCK];

	memset(k, 0, sizeof(k));
	if (keylen > BLOCK)      /* RFC 2104: a long key is hashed first */
		sha256_digest(key, keylen, k);
	else
		memcpy(k, key, keylen);
	if ((s->key = malloc(keylen)) == NULL) {
		OPENSSL_cleanse(k, sizeof(k));
		return -1;
	}
	memcpy(s->key, key, keylen);
	s->keylen = keylen;
	pad_state(&s->inner, k, 0x36);
	pad_state(&s->outer, k, 0x5c);
	OPENSSL_cleanse(k, sizeof(k));
	return 0;
}

static struct slot *slot_for(const void *key, size_t keylen)
{
	struct slot *s;
	unsigned i;

	for (i = 0; i < SLOTS; i++)
		if (slots[i].key && slots[i].keylen == keylen && memcmp(slots[i].key, key, keylen) == 0)
			return &slots[i];
	s = &slots[next_victim++ % SLOTS];
	slot_drop(s);
	return slot_fill(s, key, keylen) == 0 ? s : NULL;
}

int hmac256(const void *key, size_t keylen, const void *msg, size_t len, unsigned char out[HMAC256_LEN])
{
	unsigned char ih[HMAC256_LEN];
	SHA256_CTX c;
	struct slot *s;

	if (key == NULL || keylen == 0)
		return -1;
	if ((s = slot_for(key, keylen)) == NULL)
		return -1;
	c = s->inner;
	SHA256_Update(&c, msg, len);
	SHA256_Final(ih, &c);
	c = s->outer;
	SHA256_Update(&c, ih, sizeof(ih));
	SHA256_Final(out, &c);
	OPENSSL_cleanse(ih, sizeof(ih));
	OPENSSL_cleanse(&c, sizeof(c));
	return 0;
}
