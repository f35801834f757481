/* hmac256.c: HMAC-SHA256 (RFC 2104) over EVP digests, with per-key precomputed states.
 * EVP_Q_mac/HMAC() fetch the algorithm and hash both key pads on every call; a JWT check
 * per request made that most of the MAC's cost. */
#include "hmac256.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 64          /* SHA-256 block size */
#define SLOTS 4           /* keys kept: SECRET_KEY and the upload-token key, with room for tests */

struct slot {
	unsigned char *key;   /* a copy, to find the slot again (wiped when dropped) */
	size_t keylen;
	EVP_MD_CTX *inner, *outer;   /* after absorbing key^ipad and key^opad */
};

static struct slot slots[SLOTS];
static unsigned next_victim;
static EVP_MD *sha256;
static EVP_MD_CTX *work;

static void slot_drop(struct slot *s)
{
	if (s->key) {
		OPENSSL_cleanse(s->key, s->keylen);
		free(s->key);
	}
	EVP_MD_CTX_free(s->inner);
	EVP_MD_CTX_free(s->outer);
	memset(s, 0, sizeof(*s));
}

void hmac256_forget(void)
{
	unsigned i;

	for (i = 0; i < SLOTS; i++)
		slot_drop(&slots[i]);
	EVP_MD_CTX_free(work);
	work = NULL;
}

/* One keyed state: the digest after one block of key ^ pad. */
static EVP_MD_CTX *pad_state(const unsigned char k[BLOCK], unsigned char pad)
{
	unsigned char b[BLOCK];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int i, ok;

	for (i = 0; i < BLOCK; i++)
		b[i] = k[i] ^ pad;
	ok = c && EVP_DigestInit_ex(c, sha256, NULL) == 1 && EVP_DigestUpdate(c, b, BLOCK) == 1;
	OPENSSL_cleanse(b, sizeof(b));
	if (!ok) {
		EVP_MD_CTX_free(c);
		return NULL;
	}
	return c;
}

static int slot_fill(struct slot *s, const void *key, size_t keylen)
{
	unsigned char k[BLOCK];
	unsigned int n = 0;
	int ok = 0;

	memset(k, 0, sizeof(k));
	if (keylen > BLOCK) {    /* RFC 2104: a long key is hashed first */
		if (EVP_Digest(key, keylen, k, &n, sha256, NULL) != 1)
			goto out;
	} else
		memcpy(k, key, keylen);
	if ((s->key = malloc(keylen)) == NULL)
		goto out;
	memcpy(s->key, key, keylen);
	s->keylen = keylen;
	s->inner = pad_state(k, 0x36);
	s->outer = pad_state(k, 0x5c);
	ok = s->inner && s->outer;
out:
	OPENSSL_cleanse(k, sizeof(k));
	if (!ok)
		slot_drop(s);
	return ok ? 0 : -1;
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
	unsigned int n = 0;
	struct slot *s;
	int ok;

	if (key == NULL || keylen == 0)
		return -1;
	if (sha256 == NULL && (sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		return -1;
	if (work == NULL && (work = EVP_MD_CTX_new()) == NULL)
		return -1;
	if ((s = slot_for(key, keylen)) == NULL)
		return -1;
	ok = EVP_MD_CTX_copy_ex(work, s->inner) == 1 && EVP_DigestUpdate(work, msg, len) == 1 &&
	    EVP_DigestFinal_ex(work, ih, &n) == 1 && n == HMAC256_LEN &&
	    EVP_MD_CTX_copy_ex(work, s->outer) == 1 && EVP_DigestUpdate(work, ih, sizeof(ih)) == 1 &&
	    EVP_DigestFinal_ex(work, out, &n) == 1 && n == HMAC256_LEN;
	OPENSSL_cleanse(ih, sizeof(ih));
	return ok ? 0 : -1;
}
