/* rnd.c: random bytes from getrandom(2) (see rnd.h). */
#include "rnd.h"

#include <errno.h>
#include <sys/random.h>

int random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t got;

	while (n > 0) {
		got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}
