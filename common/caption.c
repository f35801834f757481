/* caption.c: one call to the captioning service (libcurl, 30 s), its answer checked and cut. */
#include "caption.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "valid.h"

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	return buf_append(ctx, p, size * n) == 0 ? size * n : 0;   /* past the cap: abort */
}

/* The caption of a JSON answer, cut to CAPTION_MAX_CHARS characters; NULL when none. */
static char *answer_caption(const struct buf *b)
{
	json_object *o = b->len ? json_tokener_parse(b->data) : NULL, *c;
	const char *s;
	size_t n, i = 0, chars = 0, ln = 0;
	char *out = NULL;

	if (o == NULL || !json_object_object_get_ex(o, "caption", &c) ||
	    !json_object_is_type(c, json_type_string))
		goto out;
	s = json_object_get_string(c);
	n = (size_t)json_object_get_string_len(c);
	if ((out = utf8_lossy(s, n, &ln)) == NULL)
		goto out;
	while (i < ln && chars < CAPTION_MAX_CHARS) {
		i++;
		while (i < ln && ((unsigned char)out[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	out[i] = '\0';
	for (n = 0; n < i; n++)         /* plain text: no NUL inside, no other C0 controls but \t \n \r */
		if ((unsigned char)out[n] < 0x20 && out[n] != '\t' && out[n] != '\n' && out[n] != '\r')
			out[n] = ' ';
out:
	json_object_put(o);
	return out;
}

int caption_fetch(const char *service, const char *image_url, const char *sku, const char *name,
    const char *description, char **out)
{
	json_object *req = json_object_new_object();
	struct curl_slist *hdr = NULL;
	CURL *h = curl_easy_init();
	struct buf b;
	long status = 0;
	CURLcode cc = CURLE_FAILED_INIT;
	int rc = -1;

	*out = NULL;
	buf_init(&b, CAPTION_ANSWER_MAX);
	json_object_object_add(req, "image_url", json_object_new_string(image_url));
	json_object_object_add(req, "sku", json_object_new_string(sku));
	json_object_object_add(req, "name", json_object_new_string(name));
	json_object_object_add(req, "description", description ? json_object_new_string(description) : NULL);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (h == NULL || hdr == NULL)
		goto out;
	curl_easy_setopt(h, CURLOPT_URL, service);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)CAPTION_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK || status != 200 || (*out = answer_caption(&b)) == NULL)
		log_warn("caption of %s failed: %s", sku, cc != CURLE_OK ? curl_easy_strerror(cc) :
		    status != 200 ? "the service did not answer 200" : "no \"caption\" string in its answer");
	else
		rc = 0;
out:
	json_object_put(req);
	curl_slist_free_all(hdr);
	if (h != NULL)
		curl_easy_cleanup(h);
	buf_free(&b);
	return rc;
}
