/* valid.h: validators and the pydantic-style 422 error list they fill. */
#ifndef FILES_VALID_H
#define FILES_VALID_H
#include <stddef.h>
#include <json-c/json.h>
#include "uuid.h"
#include "pctenc.h"   /* the encoder that pairs with pct_decode */

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

/* Append index to the loc of every error from position from on (a list item's errors). */
void verrs_loc_append_index(struct verrs *v, size_t from, size_t index);

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
/* The one RFC 3629 check (no overlong forms, surrogates or values past U+10FFFF); NUL
 * bytes allowed when allow_nul. 1 valid, else 0. */
int utf8_check(const char *s, size_t len, int allow_nul);

/* 1 when s (len bytes) is valid UTF-8, NUL bytes allowed. */
int utf8_valid_nul(const char *s, size_t len);
/* The check of every string field (JSON, form): 0 when s is valid UTF-8 without NUL; else
 * -1 after adding to v a string_unicode error (invalid UTF-8) or a value_error (NUL) at loc,
 * its input the string with invalid bytes replaced by U+FFFD. */
int valid_text(struct verrs *v, const char *const *loc, const char *s, size_t len);

/* Longest storage key (bytes) valid_storage_path accepts: S3's and R2's own limit. */
#define LIM_STORAGE_KEY 1024

/* Result of valid_storage_path. */
enum vsp { VSP_OK = 0, VSP_EMPTY, VSP_BAD, VSP_NOMEM };

/*
 * Normalise an already percent-decoded storage path (len bytes, may hold NUL) into a key:
 * "." segments and empty segments (a repeated or trailing '/') are dropped. Refused
 * (VSP_BAD): a leading '/' (absolute), a ".." segment, a backslash, NUL or other control
 * byte (< 0x20, 0x7f), invalid UTF-8, a first segment holding ':' (a scheme or drive letter),
 * a key longer than LIM_STORAGE_KEY, and any of these reached by decoding a segment again
 * (double encoding: "%2e%2e", "%2f", "%5c", "%00", "https%3a"), where a re-decoded segment
 * may hold no '/' at all. VSP_EMPTY when nothing is left; on VSP_OK *out is the malloc'd key.
 */
enum vsp valid_storage_path(const char *in, size_t len, char **out);
/* 1 when key (normalised) lies under a private prefix ("loras", "bulk-uploads"), its first
 * segment compared as given and after every further percent-decoding ("%256Coras"), else 0. */
int storage_key_private(const char *key);
/* Copy s (len bytes) as UTF-8, each maximal invalid subsequence replaced by U+FFFD (as
 * Python's decode(errors="replace")); NUL bytes kept. Malloc'd with *outlen; NULL on ENOMEM. */
char *utf8_lossy(const char *s, size_t len, size_t *outlen);

#endif
