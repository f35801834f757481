/* caption.h: the captioning service of API.md §7 (CAPTION_SERVICE_URL): one POST per product cover. */
#ifndef FILES_CAPTION_H
#define FILES_CAPTION_H

#define CAPTION_TIMEOUT_S   30          /* API.md §7 */
#define CAPTION_MAX_CHARS   2000        /* stored caption, in characters */
#define CAPTION_ANSWER_MAX  (256 * 1024) /* bytes of the service's answer read */

/*
 * POST {"image_url","sku","name","description"} (description may be NULL) to service, at most
 * CAPTION_TIMEOUT_S seconds, and read {"caption": "..."}. 0 with *out the caption as plain text
 * (valid UTF-8, cut to CAPTION_MAX_CHARS characters; malloc'd, the caller frees); -1 when the
 * service errs, times out or answers anything else (logged).
 */
int caption_fetch(const char *service, const char *image_url, const char *sku, const char *name,
    const char *description, char **out);

#endif
