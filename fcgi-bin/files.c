/* files.fcgi: public file serving, GET|HEAD /files/{file_path:path} (API.md §5).
 *
 * Answers with a 302 to where the object is served: the CDN (through Cloudflare image
 * transformations when CLOUDFLARE_IMAGE_TRANSFORMS is on and a `type` other than gif is
 * asked; Cloudflare documents no gif output, so type=gif gets the untransformed file), else
 * R2_PUBLIC_URL (local mode: the static /storage/ location). Opens no database connection.
 * The Location is built from the normalised key (valid_storage_path), percent-encoded per
 * segment: raw request bytes never reach a header.
 */
#include "buf.h"
#include "config.h"
#include "files.h"
#include "responder.h"
#include <stdlib.h>
#include <string.h>

static const char *const image_types[] = { "webp", "jpeg", "png", "avif", "gif", NULL };

enum { F_TYPE };
static const struct jfield fields[] = {
	[F_TYPE] = { .name = "type", .src = JS_QUERY, .type = JF_ENUM, .enum_vals = image_types },
};

/* The URL that serves key (normalised) for the asked type; malloc'd, NULL on ENOMEM. */
static char *target_url(const char *key, const char *type)
{
	const struct config *c = config_get();
	char *enc = pct_encode_path(key, strlen(key));
	struct buf b;
	int err;

	if (enc == NULL)
		return NULL;
	buf_init(&b, LIM_URI * 4);
	if (c->cloudflare_image_transforms && type && strcmp(type, "gif") != 0)
		err = buf_printf(&b, "%s/cdn-cgi/image/format=%s,quality=90/%s", c->cdn_url, type, enc);
	else
		err = buf_printf(&b, "%s/%s", c->cloudflare_image_transforms ? c->cdn_url : c->r2_public_url, enc);
	free(enc);
	if (err) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

static void serve_file(struct exchange *x)
{
	const char *type = x->ctx.jv[F_TYPE].present ? x->ctx.jv[F_TYPE].s : NULL;
	const char *raw = x->ctx.nparams ? x->ctx.param[0] : "";
	size_t rawlen = x->ctx.nparams ? x->ctx.param_len[0] : 0;
	char *key = NULL, *url = NULL;

	switch (valid_storage_path(raw, rawlen, &key)) {
	case VSP_OK:
		break;
	case VSP_EMPTY:
		http_error(&x->out, HE_NO_ROUTE, NULL);
		return;
	case VSP_BAD:
		http_error(&x->out, HE_BAD_REQUEST, FILES_BAD_PATH);
		return;
	case VSP_NOMEM:
		http_error(&x->out, HE_INTERNAL, NULL);
		return;
	}
	if (storage_key_private(key))
		http_error(&x->out, HE_NO_ROUTE, NULL);
	else if ((url = target_url(key, type)) == NULL)
		http_error(&x->out, HE_INTERNAL, NULL);
	else if (strlen(url) > LIM_HEADER_VALUE)   /* a Location no header may carry */
		http_send_json(&x->out, 414, json_tokener_parse("{\"detail\":\"File path too long\"}"));
	else if (http_add_header(&x->out, "Location", url) != 0)
		http_error(&x->out, HE_INTERNAL, NULL);
	else
		http_send(&x->out, 302, NULL, "", 0);   /* as Starlette's RedirectResponse: empty body */
	free(url);
	free(key);
}

static const struct route routes[] = {
	{ "GET", FILES_PATTERN, 0, 0, fields, 1, serve_file, .bad_path = FILES_BAD_PATH },
};

int main(void)
{
	return responder_main("files", routes, sizeof(routes) / sizeof(routes[0]));
}
