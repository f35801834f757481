/* fuzz_jwt.c: libFuzzer driver for jwt_verify_hs256, on the raw input and on the input re-signed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64.h"
#include "jwt.h"

static const unsigned char fuzz_key[] = "hs256-test-secret-0123456789abcdef";
#define FUZZ_KEY_LEN (sizeof(fuzz_key) - 1)
#define FUZZ_NOW     1700000000LL

/*
 * The MAC is checked before any JSON is parsed, so random input almost never gets past it.
 * Replacing whatever follows the second '.' with the right MAC lets the fuzzer reach the
 * header and payload parsers too.
 */
static void verify_resigned(const char *in, size_t len)
{
	const char *d1, *d2;
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t mlen = 0, si_len, sl;
	char *sig = NULL, *tok = NULL;
	struct jwt_claims c;

	if ((d1 = memchr(in, '.', len)) == NULL)
		return;
	if ((d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - in))) == NULL)
		return;
	si_len = (size_t)(d2 - in);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, fuzz_key, FUZZ_KEY_LEN,
		      (const unsigned char *)in, si_len, mac, sizeof(mac), &mlen) == NULL)
		return;
	if ((sig = b64url_encode(mac, mlen)) == NULL)
		return;
	sl = strlen(sig);
	if ((tok = malloc(si_len + 1 + sl)) == NULL)
		goto out;
	memcpy(tok, in, si_len);
	tok[si_len] = '.';
	memcpy(tok + si_len + 1, sig, sl);
	(void)jwt_verify_hs256(tok, si_len + 1 + sl, fuzz_key, FUZZ_KEY_LEN, FUZZ_NOW, 0, &c);
	(void)jwt_verify_hs256(tok, si_len + 1 + sl, fuzz_key, FUZZ_KEY_LEN, FUZZ_NOW, 1, &c);
out:
	free(sig);
	free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwt_claims c;
	enum jwt_status st;

	/* Exact-size copy, so ASan catches any read past len (the input is not NUL-terminated). */
	char *in = malloc(size ? size : 1);

	if (in == NULL)
		return 0;
	if (size)
		memcpy(in, data, size);
	st = jwt_verify_hs256(in, size, fuzz_key, FUZZ_KEY_LEN, FUZZ_NOW, 0, &c);
	if (st == JWT_OK && strnlen(c.sub, sizeof(c.sub)) == sizeof(c.sub))
		abort();        /* sub must always be NUL-terminated inside the struct */
	(void)jwt_strerror(st);
	verify_resigned(in, size);
	free(in);
	return 0;
}
