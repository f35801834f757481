/* upkey.c: temp keys of issued uploads (see upkey.h). */
#include "upkey.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ID_END (5 + 32)         /* temp/ and 32 hex digits, then '_' */

int upkey_id(const char *key, char id[UUID_STR_LEN + 1])
{
	char why[128];

	if (strncmp(key, "temp/", 5) != 0 || strnlen(key + 5, 33) != 33 || key[ID_END] != '_')
		return -1;
	return uuid_parse(key + 5, 32, id, why, sizeof(why));
}

int upkey_issued(const char *key, long long *t)
{
	char *end;

	if (strncmp(key, "temp/", 5) != 0 || strnlen(key + 5, 34) != 34 || key[ID_END] != '_' ||
	    key[ID_END + 1] < '0' || key[ID_END + 1] > '9')
		return -1;
	errno = 0;
	*t = strtoll(key + ID_END + 1, &end, 10);
	return errno == 0 && *end == '_' ? 0 : -1;
}

int upkey_wait(const char *key, int attempt)
{
	struct timespec d;
	long long issued, now = (long long)time(NULL);

	/* a record is written within UPREC_DELAY_MS of its answer: 5 s is far past that */
	if (attempt >= 6 || upkey_issued(key, &issued) != 0 || issued > now + 1 || issued < now - 5)
		return 0;
	d.tv_sec = 0;
	d.tv_nsec = (2L << attempt) * 1000000L;     /* 2, 4, ... 64 ms: 126 ms in all */
	nanosleep(&d, NULL);
	return 1;
}
