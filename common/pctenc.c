/* pctenc.c: the one percent-encoder (see pctenc.h). */
#include "pctenc.h"
#include "hex.h"
#include <stdlib.h>
#include <string.h>

/* tab[c] = 1 for the bytes kept as they are: letters, digits and those of keep. */
static void keep_table(unsigned char tab[256], const char *keep)
{
	int c;

	for (c = 0; c < 256; c++)
		tab[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
	for (; keep && *keep; keep++)
		tab[(unsigned char)*keep] = 1;
}

/* Byte i of s[0..len) into dst, kept or as %XX: the bytes written (1 or 3). */
static size_t put_byte(char *dst, const char *s, size_t len, size_t i, const unsigned char tab[256],
    unsigned flags)
{
	static const char hx[] = "0123456789ABCDEF";
	unsigned char c = (unsigned char)s[i];

	if (tab[c] || ((flags & PCT_KEEP_ESCAPES) && c == '%' && i + 2 < len &&
	    hex_value((unsigned char)s[i + 1]) >= 0 && hex_value((unsigned char)s[i + 2]) >= 0)) {
		dst[0] = (char)c;
		return 1;
	}
	dst[0] = '%';
	dst[1] = hx[c >> 4];
	dst[2] = hx[c & 15];
	return 3;
}

static int flush(struct buf *out, const char *p, size_t n)
{
	if (buf_append(out, p, n) == 0)
		return 0;
	return n > out->max || out->len > out->max - n ? -2 : -1;
}

int pct_encode_buf(struct buf *out, const char *s, size_t len, const char *keep, unsigned flags)
{
	unsigned char tab[256];
	char chunk[384];
	size_t i, n = 0;
	int rc;

	keep_table(tab, keep);
	for (i = 0; i < len; i++) {
		if (n + 3 > sizeof(chunk)) {
			if ((rc = flush(out, chunk, n)) != 0)
				return rc;
			n = 0;
		}
		n += put_byte(chunk + n, s, len, i, tab, flags);
	}
	return n ? flush(out, chunk, n) : 0;
}

char *pct_encode(const char *s, size_t len, const char *keep, unsigned flags)
{
	unsigned char tab[256];
	char *out;
	size_t i, o = 0;

	if (len > (((size_t)-1) - 1) / 3 || (out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	keep_table(tab, keep);
	for (i = 0; i < len; i++)
		o += put_byte(out + o, s, len, i, tab, flags);
	out[o] = '\0';
	return out;
}

char *pct_encode_path(const char *s, size_t len)
{
	return pct_encode(s, len, PCT_PATH, 0);
}
