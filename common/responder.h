/* responder.h: the FastCGI accept loop (or one plain-CGI request) shared by every responder. */
#ifndef FILES_RESPONDER_H
#define FILES_RESPONDER_H
#include "route.h"

/*
 * Load the configuration (exit 78 with one line if invalid), then serve requests from the
 * FastCGI server, or exactly one request when run as plain CGI. name tags the log lines.
 * Returns the process exit status.
 */
int responder_main(const char *name, const struct route *t, size_t n);
/* 1 when another request already waits on the FastCGI listening socket (a look, no wait);
 * 0 when none does, under plain CGI, and in tests. */
int responder_queued(void);
/*
 * Work a handler puts off (uprecord's batch): fn(0) runs after each answer is out, and
 * returns 0, or the milliseconds after which it must run again if no request came by then;
 * fn(1) must finish the work, and runs before the process exits or waits without a bound.
 * Set before responder_main.
 */
void responder_after(int (*fn)(int last));
/* Serve one request from io (used by responder_main and by tests). */
void responder_handle(struct http_io *io, const struct route *t, size_t n);

#endif
