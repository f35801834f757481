/* hex.h: the value of one hexadecimal digit. */
#ifndef FILES_HEX_H
#define FILES_HEX_H

/* 0..15 for [0-9a-fA-F], -1 for any other value of c. */
int hex_value(int c);

#endif
