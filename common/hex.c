/* hex.c: the value of one hexadecimal digit (see hex.h). */
#include "hex.h"

int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;      /* 'A'..'F' to 'a'..'f'; nothing else lands there */
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}
