/* b64.c: strict base64url encoder and decoder (see b64.h). */
#include "b64.h"
#include <stdint.h>
#include <stdlib.h>

static const char b64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *b64url_encode(const unsigned char *in, size_t len)
{
	size_t full = len / 3, rem = len % 3, olen, i, o = 0;
	char *out;

	if (in == NULL && len != 0)
		return NULL;
	/* 4 chars per 3 bytes; guard the multiplication. */
	if (full > (SIZE_MAX - 4) / 4)
		return NULL;
	olen = full * 4 + (rem ? rem + 1 : 0);
	if ((out = malloc(olen + 1)) == NULL)
		return NULL;
	for (i = 0; i < full * 3; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (rem == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
	} else if (rem == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return out;
}

/* Value of one base64url char, -1 for anything else (including '=' and the +/ alphabet). */
static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int b64url_decode(const char *in, size_t inlen, unsigned char **out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t rem = inlen % 4, olen, i, o = 0;
	unsigned char *buf = NULL;
	int v[4];
	int rc = -1;

	if (out == NULL || outlen == NULL)
		return -1;
	*out = NULL;
	*outlen = 0;
	if (in == NULL && inlen != 0)
		return -1;
	/* One leftover char carries only 6 bits: not a whole byte. */
	if (rem == 1)
		return -1;
	olen = inlen / 4 * 3 + (rem ? rem - 1 : 0);
	if ((buf = malloc(olen + 1)) == NULL)
		return -1;
	for (i = 0; i + 4 <= inlen; i += 4) {
		v[0] = b64url_value(s[i]);
		v[1] = b64url_value(s[i + 1]);
		v[2] = b64url_value(s[i + 2]);
		v[3] = b64url_value(s[i + 3]);
		if ((v[0] | v[1] | v[2] | v[3]) < 0)
			goto out;
		buf[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		buf[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		buf[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	if (rem >= 2) {
		v[0] = b64url_value(s[i]);
		v[1] = b64url_value(s[i + 1]);
		v[2] = rem == 3 ? b64url_value(s[i + 2]) : 0;
		if ((v[0] | v[1] | v[2]) < 0)
			goto out;
		/* Unused low bits must be zero, else two spellings decode to the same bytes. */
		if (rem == 2 && (v[1] & 15) != 0)
			goto out;
		if (rem == 3 && (v[2] & 3) != 0)
			goto out;
		buf[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (rem == 3)
			buf[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}
