/* hex.c: hexadecimal digits (see hex.h). */
#include "hex.h"

int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;      /* 'A'..'F' to 'a'..'f'; nothing else lands there */
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}
