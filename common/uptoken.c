/* uptoken.c: HMAC-signed local upload tokens: base64url(payload) "." base64url(mac). */
#include "uptoken.h"
#include "hex.h"
#include "num.h"
#include <limits.h>
#include "b64.h"
#include "buf.h"
#include <errno.h>
#include "hmac256.h"
#include "rnd.h"
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char purpose[] = "sartiq-files upload token v1";

/* mac = HMAC(HMAC(secret, purpose), text): a key used for nothing else. */
static int token_mac(const char *secret, const char *text, size_t len, unsigned char mac[32])
{
	unsigned char k[HMAC256_LEN];
	int ok;

	ok = hmac256(secret, strlen(secret), purpose, sizeof(purpose) - 1, k) == 0 &&
	    hmac256(k, sizeof(k), text, len, mac) == 0;
	OPENSSL_cleanse(k, sizeof(k));
	return ok ? 0 : -1;
}

char *uptoken_issue(struct uptoken *t, const char *secret)
{
	unsigned char rnd[16], mac[32];
	struct buf payload, tok;
	char *p64 = NULL, *m64 = NULL, *res = NULL;

	if (random_bytes(rnd, sizeof(rnd)) != 0)
		return NULL;
	hex_encode(rnd, sizeof(rnd), t->nonce);
	buf_init(&payload, 4096);
	buf_init(&tok, UPTOKEN_MAX);
	if (buf_printf(&payload, "v1\n%s\n%s\n%lld\n%d\n%lld\n%s", t->key, t->content_type, t->size,
	    t->exact, t->expires, t->nonce) != 0)
		goto out;
	if ((p64 = b64url_encode((const unsigned char *)payload.data, payload.len)) == NULL ||
	    token_mac(secret, p64, strlen(p64), mac) != 0 ||
	    (m64 = b64url_encode(mac, sizeof(mac))) == NULL)
		goto out;
	if (buf_printf(&tok, "%s.%s", p64, m64) == 0)
		res = buf_detach(&tok);
out:
	buf_free(&payload);
	buf_free(&tok);
	free(p64);
	free(m64);
	return res;
}

/* Copy the next '\n'-terminated field of *p (end e) into out (cap bytes). */
static int field(const char **p, const char *e, char *out, size_t cap)
{
	const char *nl = memchr(*p, '\n', (size_t)(e - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(e - *p);

	if (n >= cap || memchr(*p, '\0', n))
		return -1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n + (nl ? 1 : 0);
	return 0;
}

static int number(const char *s, long long *v)
{
	return num_parse(s, 0, 0, LLONG_MAX, v);
}

enum uptoken_status uptoken_verify(const char *token, size_t len, const char *secret, long long now,
    struct uptoken *out)
{
	const char *dot = memchr(token, '.', len), *p, *e;
	unsigned char want[32], *got = NULL, *payload = NULL;
	size_t glen = 0, plen = 0;
	char ver[4], num[24];
	long long exact;
	enum uptoken_status st = UPTOKEN_INVALID;

	if (len > UPTOKEN_MAX || dot == NULL)
		return UPTOKEN_INVALID;
	if (token_mac(secret, token, (size_t)(dot - token), want) != 0)
		return UPTOKEN_NOMEM;
	if (b64url_decode(dot + 1, len - (size_t)(dot + 1 - token), &got, &glen) != 0)
		goto out;
	if (glen != sizeof(want) || CRYPTO_memcmp(got, want, sizeof(want)) != 0)
		goto out;
	if (b64url_decode(token, (size_t)(dot - token), &payload, &plen) != 0)
		goto out;
	p = (const char *)payload;
	e = p + plen;
	if (field(&p, e, ver, sizeof(ver)) || strcmp(ver, "v1") ||
	    field(&p, e, out->key, sizeof(out->key)) ||
	    field(&p, e, out->content_type, sizeof(out->content_type)) ||
	    field(&p, e, num, sizeof(num)) || number(num, &out->size) ||
	    field(&p, e, num, sizeof(num)) || number(num, &exact) || exact > 1 ||
	    field(&p, e, num, sizeof(num)) || number(num, &out->expires) ||
	    field(&p, e, out->nonce, sizeof(out->nonce)) || p != e)
		goto out;
	out->exact = (int)exact;
	st = now < out->expires ? UPTOKEN_OK : UPTOKEN_EXPIRED;
out:
	free(got);
	free(payload);
	return st;
}
