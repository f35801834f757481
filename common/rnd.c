/* rnd.c: random bytes from getrandom(2), drawn a block at a time (see rnd.h). */
#include "rnd.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#define POOL 512        /* a presign takes 48 bytes: one system call for about ten of them */

static unsigned char pool[POOL];
static size_t pool_left;        /* unused bytes at the end of pool */
static int atfork_set;

static int fill(void *buf, size_t n)
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

/* A forked child must not hand out the bytes its parent (or a sibling) may also use. */
static void forget_pool(void)
{
	memset(pool, 0, sizeof(pool));
	pool_left = 0;
}

int random_bytes(void *buf, size_t n)
{
	unsigned char *out = buf;
	size_t take;

	if (n > POOL / 4)
		return fill(buf, n);
	if (!atfork_set) {
		if (pthread_atfork(NULL, NULL, forget_pool) != 0)
			return fill(buf, n);
		atfork_set = 1;
	}
	while (n > 0) {
		if (pool_left == 0) {
			if (fill(pool, POOL) != 0)
				return -1;
			pool_left = POOL;
		}
		take = n < pool_left ? n : pool_left;
		memcpy(out, pool + POOL - pool_left, take);
		/* a byte handed out is not kept */
		memset(pool + POOL - pool_left, 0, take);
		pool_left -= take;
		out += take;
		n -= take;
	}
	return 0;
}
