/* mediatype.h: the one Content-Type reader of the request core: the media type
 * (type/subtype) and where its parameters begin. multipart.c reads the boundary parameter
 * from there; everything else compares media types through these functions. */
#ifndef FILES_MEDIATYPE_H
#define FILES_MEDIATYPE_H
#include <stddef.h>

struct mediatype {
	const char *type;     /* "type/subtype" as given (any case), not NUL-terminated */
	size_t len;
	const char *params;   /* the rest after the type and blanks: "" or ";..." (else malformed) */
};

/* Split ct (leading and trailing blanks skipped). -1 when ct is NULL or holds no type. */
int mediatype_parse(const char *ct, struct mediatype *m);
/* 1 when ct's media type is type (case-insensitive), with or without parameters. */
int mediatype_is(const char *ct, const char *type);
/* 1 when ct is exactly type (case-insensitive), no parameters, no blanks. */
int mediatype_exact(const char *ct, const char *type);
/* 1 when ct names JSON (application/json, application/x+json) or is absent, as FastAPI. */
int mediatype_json(const char *ct);

#endif
