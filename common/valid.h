/* valid.h: validators and the pydantic-style 422 error list they fill. */
#ifndef FILES_VALID_H
#define FILES_VALID_H
#include <stddef.h>
#include <json-c/json.h>
#include "uuid.h"

/* The list of validation errors of one request; it owns its json-c objects. */
struct verrs {
	json_object *list;   /* json array, created on first add */
	int nomem;           /* an add failed for lack of memory */
};

/* Empty list; allocates nothing. */
void verrs_init(struct verrs *v);
/* Release the list. */
void verrs_free(struct verrs *v);
/* Number of errors collected. */
size_t verrs_count(const struct verrs *v);
/*
 * Add one error. loc is a NULL-terminated list of strings ("body","image_format");
 * input and ctx are consumed (input NULL means JSON null; ctx NULL means none).
 */
void verrs_add(struct verrs *v, const char *type, const char *const *loc, const char *msg,
    json_object *input, json_object *ctx);
/* The same with an already-built loc array (consumed). */
void verrs_add_loc(struct verrs *v, const char *type, json_object *loc, const char *msg,
    json_object *input, json_object *ctx);

/* Percent-decode src (len bytes) into a malloc'd string; invalid escapes are kept literally.
 * *outlen gets the decoded length (the result may hold NUL bytes). NULL on ENOMEM. */
char *pct_decode(const char *src, size_t len, int plus_is_space, size_t *outlen);

/* Validate a UUID taken from loc0 ("path"/"query") parameter name; raw is already decoded.
 * 0 with out normalised; -1 after adding a uuid_parsing error to v. */
int valid_uuid(struct verrs *v, const char *loc0, const char *name, const char *raw, size_t rawlen,
    char out[UUID_STR_LEN + 1]);

/* Count UTF-8 code points the way Python's len() does (invalid bytes count one each). */
size_t utf8_chars(const char *s, size_t len);
/* 1 when s (len bytes) is valid UTF-8 without NUL, else 0. */
int utf8_valid(const char *s, size_t len);

#endif
