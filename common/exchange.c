/* exchange.c: one request's three parts together (see exchange.h). */
#include "exchange.h"
#include "log.h"

int exchange_init(struct exchange *x, struct http_io *io)
{
	const char *detail = NULL;
	enum herr e;

	e = http_request_init(&x->in, io, &detail);
	http_response_init(&x->out, &x->in);
	reqctx_init(&x->ctx);
	if (e == HE_OK)
		return 0;
	http_error(&x->out, e, detail);
	return -1;
}

void exchange_error(struct exchange *x, enum herr e, const char *detail)
{
	if (e == HE_VALIDATION)
		http_error_list(&x->out, &x->ctx.verrs);
	else
		http_error(&x->out, e, detail);
}

void exchange_free(struct exchange *x)
{
	reqctx_free(&x->ctx);
	http_response_free(&x->out);
	http_request_free(&x->in);
	log_set_request_id(NULL);
}
