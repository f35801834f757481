/* multipart.h: push (incremental) multipart/form-data parser (RFC 7578, RFC 2046) that streams part data. */
#ifndef FILES_MULTIPART_H
#define FILES_MULTIPART_H
#include <stddef.h>

/*
 * Rules, beyond the RFCs' grammar:
 * - The preamble (at most LIM_MP_PREAMBLE bytes) is skipped, the epilogue (anything after the
 *   close delimiter) ignored. A body whose first delimiter is the close delimiter has no parts;
 *   that is accepted only when nothing but CR/LF precedes it (else MP_PREAMBLE: the boundary most
 *   likely does not belong to this body).
 * - A delimiter is CRLF "--" boundary, then up to LIM_MP_PADDING SP/HT, then CRLF (or "--" for
 *   the close delimiter). The same bytes followed by anything else are part data, as near misses
 *   (python-multipart's vectors); more padding than the limit is MP_BAD_DELIMITER.
 * - Part headers: at most LIM_MP_HEADERS lines and LIM_MP_HEADER_BYTES bytes (CRLFs counted);
 *   lines end in CRLF, bare CR or LF, folded lines, control bytes, non-token names are refused.
 * - Content-Disposition: exactly one, type form-data (any case), a non-empty name; parameters
 *   are quoted strings (\" and \\ unescaped, any other backslash kept, as old browsers sent
 *   Windows paths) or bare values; repeated name/filename/filename* refused. filename* (RFC 5987,
 *   UTF-8 or ISO-8859-1) wins over filename.
 * - Content-Transfer-Encoding (deprecated by RFC 7578 section 4.7): 7bit, 8bit and binary are
 *   passed through; base64, quoted-printable or anything else is MP_ENCODING.
 * - name, filename and content_type given to part_begin are valid UTF-8 without NUL or control
 *   bytes other than HT; a value that is not UTF-8 is read as ISO-8859-1 (as Starlette does).
 *   Nothing else is decoded: a browser's %22 in a filename stays %22.
 * Memory is one allocation of fixed size (about 3 x LIM_MP_HEADER_BYTES); part data is passed on
 * as it arrives, holding back only bytes that may still turn out to be a delimiter (at most
 * 4 + boundary length + LIM_MP_PADDING + 1).
 */

enum mp_status {
	MP_OK = 0,
	MP_ABORTED,             /* a callback returned non-zero */
	MP_NO_DELIMITER,        /* input ended before any delimiter (wrong boundary?) */
	MP_TRUNCATED,           /* input ended before the close delimiter */
	MP_PREAMBLE,            /* preamble over LIM_MP_PREAMBLE, or a text preamble then no part */
	MP_BAD_DELIMITER,       /* transport padding after a boundary over LIM_MP_PADDING */
	MP_BAD_HEADER,          /* malformed part header line, or Content-Type repeated */
	MP_HEADER_TOO_LARGE,    /* a part's header block over LIM_MP_HEADER_BYTES */
	MP_TOO_MANY_HEADERS,    /* more than LIM_MP_HEADERS header lines in a part */
	MP_BAD_DISPOSITION,     /* Content-Disposition missing, repeated, not form-data, no name, bad filename* */
	MP_ENCODING,            /* Content-Transfer-Encoding other than 7bit, 8bit, binary */
	MP_TOO_MANY_PARTS,      /* more than LIM_MP_PARTS parts */
	MP_FINISHED             /* mp_feed or mp_finish after mp_finish */
};

/* One part's headers, as part_begin sees them. Strings are owned by the parser, NUL-terminated,
 * and valid until that part's part_end returns (or the parser fails or is freed). */
struct mp_part {
	const char *name;          /* Content-Disposition name, never empty */
	const char *filename;      /* filename* or filename; NULL when neither (may be "") */
	const char *content_type;  /* Content-Type value as sent, "text/plain" when absent or empty */
};

/* Callbacks; any may be NULL. Returning non-zero (-1) stops the parse with MP_ABORTED (no
 * further calls); a part whose part_begin was called gets no part_end when the parse fails. */
struct mp_callbacks {
	int (*part_begin)(void *ctx, const struct mp_part *p);
	int (*part_data)(void *ctx, const char *buf, size_t n);  /* n > 0, in order, any split */
	int (*part_end)(void *ctx);
};

struct mp_parser;

/* Static English text for s; never NULL. */
const char *mp_strerror(enum mp_status s);

/* Copy the boundary parameter of a multipart/form-data Content-Type (type and parameter names
 * in any case, value quoted or not) into out as a C string. Its length (1..70), or -1 when
 * content_type is another type, has no or a repeated boundary, one that RFC 2046 refuses,
 * or one that does not fit outlen. */
int mp_boundary(const char *content_type, char *out, size_t outlen);

/* A parser for a body with this boundary (as mp_boundary gives it; ctx goes to every callback,
 * cb is copied). Free with mp_free. NULL when the boundary is invalid or on ENOMEM. */
struct mp_parser *mp_new(const char *boundary, const struct mp_callbacks *cb, void *ctx);

/* Parse the next n bytes of the body (chunks of any size). MP_OK, or the error, which sticks:
 * every later call returns it without calling back. MP_FINISHED after mp_finish. */
enum mp_status mp_feed(struct mp_parser *p, const char *buf, size_t n);

/* End of input: MP_OK when the close delimiter was seen, else the error (also sticky). */
enum mp_status mp_finish(struct mp_parser *p);

/* Release p (NULL is fine). */
void mp_free(struct mp_parser *p);

#endif
