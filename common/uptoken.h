/* uptoken.h: the single-use local upload token of API.md §4.1 (not a JWT; no user id inside). */
#ifndef FILES_UPTOKEN_H
#define FILES_UPTOKEN_H
#include <stddef.h>

#define UPTOKEN_KEY_MAX 512
#define UPTOKEN_CTYPE_MAX 128
#define UPTOKEN_NONCE_LEN 32     /* hex digits */
#define UPTOKEN_MAX 2048         /* characters of a whole token */

struct uptoken {
	char key[UPTOKEN_KEY_MAX + 1];
	char content_type[UPTOKEN_CTYPE_MAX + 1];
	long long size;          /* declared size (exact) or the maximum allowed */
	int exact;               /* 1 when size was declared: the body must be exactly that long */
	long long expires;       /* unix seconds */
	char nonce[UPTOKEN_NONCE_LEN + 1];
};

enum uptoken_status { UPTOKEN_OK = 0, UPTOKEN_INVALID, UPTOKEN_EXPIRED, UPTOKEN_NOMEM };

/* Sign t (nonce filled here from the RNG) under secret; malloc'd token or NULL. */
char *uptoken_issue(struct uptoken *t, const char *secret);
/* Verify token (len bytes) under secret at now: MAC first (constant time), then expiry. */
enum uptoken_status uptoken_verify(const char *token, size_t len, const char *secret, long long now,
    struct uptoken *out);

#endif
