/* reqctx.c: the per-request context (see reqctx.h). */
#include "reqctx.h"
#include "auth.h"
#include "form.h"
#include <stdlib.h>
#include <string.h>

void reqctx_init(struct reqctx *c)
{
	memset(c, 0, sizeof(*c));
	verrs_init(&c->verrs);
}

void reqctx_free(struct reqctx *c)
{
	size_t i;

	for (i = 0; i < c->nparams; i++) {
		free(c->param[i]);
		free(c->param_name[i]);
	}
	verrs_free(&c->verrs);
	jsonin_free(&c->jin);
	if (c->qry_parsed)
		query_free(&c->qry);
	if (c->formq_parsed)
		query_free(&c->formq);
	if (c->form) {
		form_free(c->form, c->nform);
		free(c->form);
	}
	user_free(c->user);
	memset(c, 0, sizeof(*c));
}

const char *reqctx_param(const struct reqctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nparams; i++)
		if (strcmp(c->param_name[i], name) == 0)
			return c->param[i];
	return NULL;
}
