/* num.c: bounded decimal numbers (see num.h). */
#include "num.h"
#include <errno.h>
#include <stdlib.h>

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int num_parse(const char *s, unsigned flags, long long min, long long max, long long *out)
{
	const char *d = s;
	char *end;
	long long v;

	if (flags & NUM_BLANKS)
		while (blank(*d))
			d++;
	/* strtoll would skip blanks and take a sign on its own: allow only what flags say */
	if ((flags & NUM_SIGNED) && (*d == '+' || *d == '-'))
		d++;
	if (*d < '0' || *d > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);     /* s starts with blanks only under NUM_BLANKS */
	if (flags & NUM_BLANKS)
		while (blank(*end))
			end++;
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
