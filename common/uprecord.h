/* uprecord.h: the record of every issued upload (API.md §4.1), written in batches while
 * requests queue up.
 *
 * A presign's record is one INSERT and one commit. Alone, the commit costs the database more
 * than the rest of the request together (docs/performance.md, presign), so while other
 * requests wait on the responder's socket the record is queued in the process and written
 * with the next ones, in one statement: at most UPREC_DELAY_MS after its answer, at once when
 * PRESIGN_BATCH records are queued, before the process waits idle, before it exits, and
 * before it serves any other route (RF_QUEUES, route.h). A process with nothing queued
 * writes the record before it answers, as a single INSERT always did. A record its
 * reader does not find yet is waited for (upkey_wait). Losing queued records (the
 * process killed by SIGKILL, the database gone) is what losing an unflushed commit in a
 * database crash already was: their clients are refused on ingest and upload again.
 */
#ifndef FILES_UPRECORD_H
#define FILES_UPRECORD_H
#include "err.h"
#include "exchange.h"

#define UPREC_DELAY_MS 10       /* a queued record is written this long after its answer at most */
#define UPREC_BATCH_MAX 64      /* PRESIGN_BATCH's bound */

/* One upload record, as the text of its columns (NULL: SQL NULL). */
struct uprecord {
	const char *id;             /* the upload id (UUID) */
	const char *key;            /* temp/{id hex}_{unix time}_{name} */
	const char *folder;
	const char *content_type;
	const char *declared_size;  /* decimal */
	const char *expires;        /* unix seconds */
	const char *nonce;          /* the local upload token's, or NULL */
};

/*
 * Check x's caller (gate_user's answers) and record r for them. 0: recorded, or queued; -1
 * once x was answered (the caller's check failed, or the database did). A batch written with
 * a failing caller still writes the records queued before.
 */
int uprecord_issue(struct exchange *x, const struct uprecord *r);
/* For responder_after: write what is due; see responder.h. The queued records stay queued
 * when the database cannot be reached (until the last run), and are dropped, logged, on an
 * SQL error. */
int uprecord_after(int last);
/* Build one column's PostgreSQL array literal: append v (NULL: NULL) to b after n earlier
 * elements. 0, or -1 when b is full (b unchanged). Exposed for the tests. */
struct buf;
int uprecord_array_add(struct buf *b, const char *v, int n);

#endif
