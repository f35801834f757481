/* fields.h: one pass of a route's field table over a request, every source at once. */
#ifndef FILES_FIELDS_H
#define FILES_FIELDS_H
#include "http.h"
#include "reqctx.h"

/*
 * Check fields[n] against the request in, in this order of sources: path, query, then the body (JSON,
 * or a form: multipart text fields and file parts, or urlencoded text fields; a form body
 * of any other type is read and counts as an empty form); the typed values go to c->jv[i].
 * body_max bounds the body (a file part's own max_len may be lower). Returns HE_OK;
 * HE_VALIDATION with every error in c->verrs (answer 422 after the user's checks); or any
 * other error to answer at once (HE_BAD_REQUEST "Malformed query string" or a malformed
 * form in *detail, HE_TOO_LARGE, HE_TIMEOUT, HE_IO, HE_INTERNAL).
 */
enum herr fields_run(struct http_request *in, struct reqctx *c, const struct jfield *fields, size_t n,
    size_t body_max, const char **detail);
/*
 * Start-up check of one route's table: at most LIM_ROUTE_FIELDS fields, each named, types
 * that fit their source, path fields named in pattern, patterns that compile, no JSON body
 * fields beside form fields. 0, or -1 with the reason in err.
 */
int fields_check(const struct jfield *fields, size_t n, const char *pattern, char *err, size_t errlen);
/*
 * Open the table's one streamed file part (JF_STREAM), at most body_max body bytes: HE_OK
 * with *fs (NULL when the part is absent and not required; form_stream_free it), or
 * HE_VALIDATION with the field's "missing" in c->verrs, or form_stream_open's errors.
 */
struct form_stream;
enum herr fields_stream_open(struct http_request *in, struct reqctx *c, const struct jfield *f,
    size_t n, long long body_max, struct form_stream **fs, const char **detail);
/* 1 when fields_run reads a body (JSON or form), 2 when that body is a multipart form. */
int fields_body(const struct jfield *fields, size_t n);

#endif
