/* jwt.h: HS256 JSON Web Tokens (RFC 7515/7519) under one strict policy, as the API's bearer tokens. */
#ifndef FILES_JWT_H
#define FILES_JWT_H
#include <stddef.h>

enum jwt_status {
	JWT_OK = 0,
	JWT_MALFORMED,          /* not 3 strict base64url segments of UTF-8 JSON objects, duplicates, bad alg/sub shape */
	JWT_ALG_NOT_ALLOWED,    /* alg is a string other than exactly "HS256" */
	JWT_BAD_SIGNATURE,      /* signature not 32 bytes or not the HMAC-SHA256 under the key */
	JWT_EXPIRED,            /* now >= exp */
	JWT_NOT_YET_VALID,      /* now < nbf */
	JWT_BAD_CLAIM_TYPE,     /* exp/nbf not a finite JSON number, or sub not a string */
	JWT_BAD_TYP,            /* typ present but not "JWT" (any case) */
	JWT_CRIT,               /* crit present: no extensions are supported */
	JWT_NOMEM,
	JWT_MISSING_EXP         /* exp absent while the caller requires it */
};

#define JWT_SUB_MAX 128         /* longest sub accepted, in bytes */

struct jwt_claims {
	char   sub[JWT_SUB_MAX + 1];        /* NUL-terminated; "" when has_sub is 0 */
	int    has_sub;
	int    has_exp;
	double exp;             /* unix seconds, valid when has_exp */
};

/* Static English text for s; never NULL. */
const char *jwt_strerror(enum jwt_status s);

/* Verify token (len bytes, need not be NUL-terminated) with HMAC key at unix time now.
 * The MAC is checked before any JSON is parsed. require_exp != 0 rejects a token without exp
 * (JWT_MISSING_EXP). On JWT_OK fills *out if out is not NULL; otherwise *out is untouched. */
enum jwt_status jwt_verify_hs256(const char *token, size_t len, const unsigned char *key, size_t keylen,
				 long long now, int require_exp, struct jwt_claims *out);

/* Mint {"alg":"HS256","typ":"JWT"}.{"exp":exp,"sub":sub} (PyJWT's shape). Returns a malloc'd
 * string (caller frees); NULL on ENOMEM, empty key, or sub NULL, over 128 bytes or not UTF-8. */
char *jwt_issue_hs256(const char *sub, long long exp, const unsigned char *key, size_t keylen);

#endif
