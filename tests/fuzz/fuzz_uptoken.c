/* fuzz_uptoken.c: libFuzzer driver for the upload-token parser; only tokens we issued may verify. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uptoken.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char secret[] = "fuzz-secret-0123456789abcdef";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uptoken t, v;
	char *tok;
	enum uptoken_status st;

	/* Arbitrary input must never verify: forging needs the MAC key. */
	st = uptoken_verify((const char *)data, size, secret, 0, &v);
	if (st == UPTOKEN_OK || st == UPTOKEN_EXPIRED)
		abort();
	/* Round trip: the input as a key; the issued token verifies to the same fields. */
	memset(&t, 0, sizeof(t));
	if (size > UPTOKEN_KEY_MAX || memchr(data, '\n', size) || memchr(data, '\0', size))
		return 0;
	memcpy(t.key, data, size);
	memcpy(t.content_type, "image/png", 10);
	t.size = (long long)size;
	t.exact = (int)(size & 1);
	t.expires = 100;
	if ((tok = uptoken_issue(&t, secret)) == NULL)
		abort();
	if (uptoken_verify(tok, strlen(tok), secret, 99, &v) != UPTOKEN_OK ||
	    strcmp(v.key, t.key) != 0 || v.size != t.size || v.exact != t.exact ||
	    strcmp(v.nonce, t.nonce) != 0)
		abort();
	if (uptoken_verify(tok, strlen(tok), secret, 100, &v) != UPTOKEN_EXPIRED)
		abort();
	free(tok);
	return 0;
}
