/* exchange.h: one request's three parts, handed together to route, gate and handlers:
 * what came in (http_request), what goes out (http_response), what was learned (reqctx). */
#ifndef FILES_EXCHANGE_H
#define FILES_EXCHANGE_H
#include "http.h"
#include "reqctx.h"

struct exchange {
	struct http_request in;
	struct http_response out;
	struct reqctx ctx;
};

/* Build x from io. 0, or -1 once the error of an unusable request is answered (x must be
 * freed either way). */
int exchange_init(struct exchange *x, struct http_io *io);
/* Answer e through http_error, or for HE_VALIDATION with the context's 422 list. */
void exchange_error(struct exchange *x, enum herr e, const char *detail);
/* Release the three parts. */
void exchange_free(struct exchange *x);

#endif
