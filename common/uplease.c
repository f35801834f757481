/* uplease.c: the local upload claim as a lease (see uplease.h). */
#include "uplease.h"
#include "db.h"
#include "hex.h"
#include "log.h"
#include "rnd.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

static double mono_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

enum herr uplease_claim(struct uplease *l, const char *id, const char *nonce, long long seconds)
{
	unsigned char rb[16];
	char secs[24];
	const char *p[4];
	PGresult *res = NULL;
	enum herr e;

	memset(l, 0, sizeof(*l));
	l->id = id;
	l->nonce = nonce;
	l->seconds = seconds;
	if (random_bytes(rb, sizeof(rb)) != 0)
		return HE_INTERNAL;
	hex_encode(rb, sizeof(rb), l->claim);
	snprintf(secs, sizeof(secs), "%lld", seconds);
	p[0] = id; p[1] = nonce; p[2] = l->claim; p[3] = secs;
	/* A claim past its lease belongs to a process that died mid-upload: take it over. */
	e = db_exec(&res, "UPDATE uploads SET state = 'uploading', claim = $3, "
	    "claimed_until = now() + make_interval(secs => $4::int) "
	    "WHERE id = $1::uuid AND nonce = $2 AND (state = 'issued' OR (state = 'uploading' "
	    "AND (claimed_until IS NULL OR claimed_until < now()))) RETURNING id", 4, p);
	if (e == HE_OK && PQntuples(res) == 1) {
		l->held = 1;
		l->renewed = mono_now();
	} else if (e == HE_OK) {
		PQclear(res);
		res = NULL;
		e = db_exec(&res, "SELECT 1 FROM uploads WHERE id = $1::uuid AND nonce = $2", 2, p);
		if (e == HE_OK)
			e = PQntuples(res) == 0 ? HE_FORBIDDEN : HE_CONFLICT;
	}
	PQclear(res);
	return e;
}

int uplease_renew(struct uplease *l, int force)
{
	char secs[24];
	const char *p[3] = { l->id, l->claim, secs };
	PGresult *res = NULL;
	double now = mono_now();
	enum herr e;
	int ok;

	if (!l->held)
		return -1;
	if (!force && now - l->renewed < (double)l->seconds / 3)
		return 0;
	snprintf(secs, sizeof(secs), "%lld", l->seconds);
	e = db_exec(&res, "UPDATE uploads SET claimed_until = now() + make_interval(secs => $3::int) "
	    "WHERE id = $1::uuid AND claim = $2 AND state = 'uploading' RETURNING 1", 3, p);
	ok = e == HE_OK && PQntuples(res) == 1;
	PQclear(res);
	if (!ok) {
		l->lost = e == HE_OK ? HE_CONFLICT : e;
		log_warn("upload claim lost or unconfirmed; the upload is abandoned");
		l->held = 0;     /* not ours any more: never release another's claim */
		return -1;
	}
	l->renewed = now;
	return 0;
}

enum herr uplease_finish(struct uplease *l, const char *size, const char *etag)
{
	const char *p[4] = { l->id, l->claim, size, etag };
	PGresult *res = NULL;
	enum herr e;

	e = db_exec(&res, "UPDATE uploads SET state = 'uploaded', size = $3::bigint, etag = $4, "
	    "uploaded_at = now(), claim = NULL, claimed_until = NULL "
	    "WHERE id = $1::uuid AND claim = $2 AND state = 'uploading' RETURNING 1", 4, p);
	if (e == HE_OK && PQntuples(res) != 1)
		e = HE_CONFLICT;
	if (e == HE_OK)
		l->held = 0;
	PQclear(res);
	return e;
}

void uplease_release(struct uplease *l)
{
	const char *p[2] = { l->id, l->claim };
	PGresult *res = NULL;

	if (!l->held)
		return;
	db_exec(&res, "UPDATE uploads SET state = 'issued', claim = NULL, claimed_until = NULL "
	    "WHERE id = $1::uuid AND claim = $2 AND state = 'uploading'", 2, p);
	PQclear(res);
	l->held = 0;
}
