/* form.h: reading a multipart/form-data request body: file fields spooled to unlinked temp files, text fields kept small. */
#ifndef FILES_FORM_H
#define FILES_FORM_H
#include <stddef.h>
#include <sys/types.h>
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

/*
 * One file part streamed, never spooled: the body is read as multipart/form-data only as far
 * as the caller pulls it. form_stream_open reads up to the start of the first file part named
 * name (other parts are skipped); *fs is NULL when the body is not multipart/form-data, and
 * form_stream_filename is NULL when no such part came. Errors as form_read.
 */
struct form_stream;
enum herr form_stream_open(struct http_request *r, const char *name, long long body_max,
    struct form_stream **fs, const char **detail);
const char *form_stream_filename(const struct form_stream *fs);
/* A storage_read_fn over the part's bytes: >0, 0 at its end, -1 (form_stream_error says why). */
ssize_t form_stream_read(void *fs, char *buf, size_t n);
enum herr form_stream_error(const struct form_stream *fs, const char **detail);
/* Read the rest of the body: HE_OK when it ends as a well-formed multipart body. */
enum herr form_stream_finish(struct form_stream *fs, const char **detail);
void form_stream_free(struct form_stream *fs);

#endif
