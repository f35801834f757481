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
/* Serve one request from io (used by responder_main and by tests). */
void responder_handle(struct http_io *io, const struct route *t, size_t n);

#endif
