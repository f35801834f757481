/* form.h: reading a multipart/form-data request body: file fields spooled to unlinked temp files, text fields kept small. */
#ifndef FILES_FORM_H
#define FILES_FORM_H
#include <stddef.h>
#include "http.h"

/* One expected field; the caller fills name/is_file/limits, form_read fills the rest. */
struct form_field {
	const char *name;
	int is_file;              /* a part with a filename, spooled to fd */
	size_t max_text;          /* text: bytes kept (longer values set too_long) */
	long long max_file;       /* file: bytes allowed (more -> HE_TOO_LARGE) */
	/* results */
	int present;              /* a part of that name was seen (the last one counts, as in Starlette) */
	char *text;               /* text value, NUL-terminated (owned) */
	size_t text_len;
	int too_long;
	int fd;                   /* file: read/write fd of an unlinked temp file at offset 0, or -1 */
	long long size;           /* file: bytes */
	char *filename;           /* file: the client's filename (owned) */
};

/*
 * Read the whole body of r as multipart/form-data into fields[n]. HE_OK (a missing field is
 * not an error: check present); HE_TOO_LARGE when a file passed max_file or the body passed
 * body_max; HE_BAD_REQUEST with *detail when the body is not multipart or is malformed;
 * HE_TIMEOUT (a stalled or trickling body); HE_IO; HE_INTERNAL. Temp files (common/tmpfile) live in $TMPDIR or /tmp, unlinked from the start.
 */
enum herr form_read(struct http_request *r, struct form_field *fields, size_t n,
    long long body_max, const char **detail);
/* Release what form_read kept (closes the temp files). */
void form_free(struct form_field *fields, size_t n);

#endif
