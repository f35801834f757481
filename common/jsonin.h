/* jsonin.h: typed JSON body reading by field table; reports every invalid field, pydantic-style. */
#ifndef FILES_JSONIN_H
#define FILES_JSONIN_H
#include <stddef.h>
#include <json-c/json.h>
#include "uuid.h"
#include "valid.h"

/* JF_OBJECT: any JSON object; JF_STRLIST: a list of strings, at most max_len items (0 = any). */
enum jf_type { JF_STRING, JF_ENUM, JF_INT, JF_BOOL, JF_UUID, JF_OBJECT, JF_STRLIST };

#define JF_REQUIRED 1u   /* absent -> missing */
#define JF_NULLABLE 2u   /* null accepted (value stays absent) */

struct jfield {
	const char *name;
	enum jf_type type;
	unsigned flags;
	const char *const *enum_vals;  /* JF_ENUM: NULL-terminated list */
	size_t min_len, max_len;       /* JF_STRING: in characters; max_len 0 = none */
	long long min, max;            /* JF_INT bounds (inclusive) when min <= max */
};

struct jvalue {
	int present;                   /* given and not null */
	const char *s;                 /* JF_STRING/JF_ENUM: points into the parsed tree */
	size_t slen;
	long long i;                   /* JF_INT */
	int b;                         /* JF_BOOL */
	char uuid[UUID_STR_LEN + 1];   /* JF_UUID, normalised */
	json_object *o;                /* JF_OBJECT (object), JF_STRLIST (array): into the tree */
};

/* The parsed body; jsonin_free releases it (and invalidates every jvalue.s). */
struct jsonin {
	json_object *root;
};

/*
 * Parse body (len bytes; len 0 means no body) against fields[n] into out[n].
 * content_type may be NULL. 0 when valid; -1 when errors were added to v.
 */
int jsonin_parse(struct jsonin *j, const char *body, size_t len, const char *content_type,
    const struct jfield *fields, size_t n, struct jvalue *out, struct verrs *v);
/* Release the parsed body. */
void jsonin_free(struct jsonin *j);
/* "Input should be 'a', 'b' or 'c'"-style list of enum values into buf. */
void jsonin_enum_expected(const char *const *vals, char *buf, size_t len);

#endif
