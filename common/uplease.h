/* uplease.h: the claim of a local upload token as a lease, fenced by a random claim id (issue 9 item 4). */
#ifndef FILES_UPLEASE_H
#define FILES_UPLEASE_H
#include "err.h"

struct uplease {
	const char *id, *nonce;   /* the uploads row (borrowed) */
	char claim[33];           /* this attempt's random id, hex */
	long long seconds;        /* lease length */
	double renewed;           /* monotonic time of the last grant */
	int held;                 /* claimed and not yet finished or released */
	enum herr lost;           /* why a renewal failed: HE_CONFLICT (taken over) or a database error */
};

/*
 * Claim row id/nonce for seconds: HE_OK (held), HE_CONFLICT (spent, or another live claim),
 * HE_FORBIDDEN (no such upload), or a database error.
 */
enum herr uplease_claim(struct uplease *l, const char *id, const char *nonce, long long seconds);
/* Extend the lease when a third of it has passed, or always with force. 0 while still ours,
 * -1 when it was lost (taken over) or cannot be confirmed. */
int uplease_renew(struct uplease *l, int force);
/* Mark the upload done (size, etag) if the claim is still ours. HE_OK, HE_CONFLICT when lost,
 * or a database error. */
enum herr uplease_finish(struct uplease *l, const char *size, const char *etag);
/* Give the claim back (a refused attempt does not spend the token); no-op when not held. */
void uplease_release(struct uplease *l);

#endif
