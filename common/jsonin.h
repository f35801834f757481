/* jsonin.h: the field table of a route (every input source: path, query, JSON body, form
 * field, file part) and the typed JSON body reader; reports every invalid field, pydantic-style.
 * common/fields.h runs a whole table against a request. */
#ifndef FILES_JSONIN_H
#define FILES_JSONIN_H
#include <stddef.h>
#include <json-c/json.h>
#include "uuid.h"
#include "valid.h"

enum jf_type {
	JF_STRING, JF_ENUM, JF_INT, JF_BOOL, JF_UUID,
	JF_OBJECT,      /* a JSON object (body only), e.g. "attributes" */
	JF_STRLIST,     /* a JSON list of strings (body only): max_items, each min_len..max_len */
	JF_FILE,        /* a multipart file part (JS_FILE only), spooled to an unlinked temp file */
};

/* Where a field's value comes from; its 422 loc starts with "path", "query" or "body". */
enum jf_src {
	JS_BODY = 0,    /* a member of the JSON body (the default) */
	JS_QUERY,       /* a query parameter (last one wins, as Starlette); text, parsed lax */
	JS_PATH,        /* a {name} of the route's pattern, percent-decoded */
	JS_FORM,        /* a text part of a multipart/form-data body; "" counts as absent */
	JS_FILE,        /* a file part of a multipart/form-data body (type JF_FILE) */
};

/* 1 when an integer field has bounds: min <= max, and not both left at 0. */
#define JF_INT_BOUNDED(f) ((f)->min <= (f)->max && ((f)->min != 0 || (f)->max != 0))

#define JF_REQUIRED 1u   /* absent -> missing */
#define JF_NULLABLE 2u   /* null accepted (value stays absent) */
/* A JS_FILE field the handler pulls as a stream (fields_stream_open), never spooled: the
 * only body field of its table; fields_run leaves the body unread. */
#define JF_STREAM   4u

/*
 * One input of a route. Write tables with designated initialisers (members left out are 0:
 * a JSON body field, no bounds): { .name = "skip", .src = JS_QUERY, .type = JF_INT,
 * .min = 0, .max = 1000000 }.
 */
struct jfield {
	const char *name;
	enum jf_type type;
	unsigned flags;
	const char *const *enum_vals;  /* JF_ENUM: NULL-terminated list */
	size_t min_len, max_len;       /* JF_STRING, JF_STRLIST items: in characters; max_len 0 =
	                                * none; JF_FILE: max_len = most bytes (0 = the body limit) */
	long long min, max;            /* JF_INT bounds (inclusive) when min <= max, except 0, 0
	                                * (left out: no bounds; JF_INT_BOUNDED tells) */
	enum jf_src src;               /* where the value comes from */
	const char *pattern;           /* JF_STRING: a PCRE2 pattern (as pydantic's, searched) */
	size_t max_items;              /* JF_STRLIST: most items, 0 = any ("too_long" error) */
	size_t equal_to;               /* JF_INT body field: 1 + the index of a field it must equal
	                                * when both are given (a model rule, checked once every field
	                                * is valid: value_error at ["body"]) */
};

struct jvalue {
	int present;                   /* given and not null */
	const char *s;                 /* JF_STRING/JF_ENUM: owned by the request (body tree,
	                                * query or form); JF_FILE: the client's file name */
	size_t slen;
	long long i;                   /* JF_INT; JF_FILE: its size in bytes */
	int b;                         /* JF_BOOL */
	char uuid[UUID_STR_LEN + 1];   /* JF_UUID, normalised */
	json_object *o;                /* JF_OBJECT, JF_STRLIST: borrowed from the body tree */
	size_t n;                      /* JF_STRLIST: item count (json_object_array_get_idx) */
	int fd;                        /* JF_FILE: read-only use, offset 0; closed by the request */
};

/* The parsed body; jsonin_free releases it (and invalidates every jvalue.s). */
struct jsonin {
	json_object *root;
};

/*
 * Parse body (len bytes; len 0 means no body) against the JS_BODY fields of fields[n] into
 * out[n] (the other fields' values are left as they are). content_type may be NULL. 0 when
 * valid; -1 when errors were added to v.
 */
int jsonin_parse(struct jsonin *j, const char *body, size_t len, const char *content_type,
    const struct jfield *fields, size_t n, struct jvalue *out, struct verrs *v);
/*
 * Check one text value (a query parameter, a path parameter, a form field: len bytes, may
 * hold NUL or invalid UTF-8) against f as pydantic's lax mode does, the errors at
 * [loc0, f->name]. 0 with *out filled (out->s points into text), -1 after adding an error.
 */
int jsonin_text(const struct jfield *f, const char *loc0, const char *text, size_t len,
    struct jvalue *out, struct verrs *v);
/* 1 when pat compiles (and is kept compiled for later checks), else 0. */
int jsonin_pattern_ok(const char *pat);
/* 1 when ct names JSON (application/json, application/x+json) or is absent, as FastAPI. */
int jsonin_is_json_type(const char *ct);
/* Release the parsed body. */
void jsonin_free(struct jsonin *j);
/* "Input should be 'a', 'b' or 'c'"-style list of enum values into buf. */
void jsonin_enum_expected(const char *const *vals, char *buf, size_t len);

#endif
