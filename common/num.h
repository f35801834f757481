/* num.h: the one bounded decimal reader (settings, Content-Length, token fields, lax ints). */
#ifndef FILES_NUM_H
#define FILES_NUM_H

#define NUM_SIGNED 1u   /* a leading '+' or '-' is allowed */
#define NUM_BLANKS 2u   /* blanks (space, tab, CR, LF) around the digits, as Python's int() */

/* Read s (NUL-terminated) as a whole decimal number within min..max. 0 with *out; -1 when s
 * is empty, holds anything else, or is out of range (overflow included). */
int num_parse(const char *s, unsigned flags, long long min, long long max, long long *out);

#endif
