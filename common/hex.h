/* hex.h: the value of one hexadecimal digit; bytes as lowercase hex. */
#ifndef FILES_HEX_H
#define FILES_HEX_H
#include <stddef.h>

/* 0..15 for [0-9a-fA-F], -1 for any other value of c. */
int hex_value(int c);
/* The n bytes of in as 2n lowercase hex digits and a NUL, into out (2n + 1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);

#endif
