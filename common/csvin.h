/* csvin.h: streaming CSV reading on libcsv (RFC 4180) with BOM, `,`/`;` detection, lowercase header names, physical line numbers and size caps. */
#ifndef FILES_CSVIN_H
#define FILES_CSVIN_H
#include <stddef.h>

/* (Named csvin, not csv: common/ is on the include path and libcsv's header is <csv.h>.) */

struct csvin;

struct csvin_record {
	unsigned long line;             /* physical line (1-based) on which the record starts */
	size_t n;                       /* fields in this record */
	const char *const *field;       /* n NUL-terminated fields, valid during the callback */
	const size_t *len;              /* their lengths */
};

/* One record. Return 0 to go on; non-zero stops parsing (csvin_feed then returns -1, csvin_error is "stopped"). */
typedef int (*csvin_cb)(void *ctx, const struct csvin_record *rec);

struct csvin_limits {
	size_t max_field;               /* bytes in one field */
	size_t max_row;                 /* bytes of one record, its fields together */
	size_t max_fields;              /* fields in one record */
};

enum { CSVIN_HEADER = 1 };          /* the first record is the header: kept, not passed to cb */

/*
 * A reader calling cb for each record. flags: CSVIN_HEADER or 0. lim NULL: CSVIN_DEFAULT_*.
 * NULL on ENOMEM. Free with csvin_free.
 */
struct csvin *csvin_new(int flags, const struct csvin_limits *lim, csvin_cb cb, void *ctx);
/* Feed the next n bytes. 0 ok; -1 on a parse error, a cap passed, bad UTF-8 or a NUL byte (see csvin_error). */
int csvin_feed(struct csvin *c, const void *p, size_t n);
/* End of input: the last record without its line end is delivered. 0 ok; -1 as csvin_feed. */
int csvin_finish(struct csvin *c);
/* What went wrong, naming the line ("line 7: unterminated quoted field"); "" when nothing did. Owned by c. */
const char *csvin_error(const struct csvin *c);
/* The delimiter chosen (',' or ';'); ',' until the first line is known. */
char csvin_delim(const struct csvin *c);
/* With CSVIN_HEADER, after the header: the number of columns, and the index of the column
 * named name (lowercase ASCII) or -1. */
size_t csvin_ncols(const struct csvin *c);
int csvin_col(const struct csvin *c, const char *name);
/* Column i's name, lowercased and trimmed of spaces; NULL past the end. Owned by c. */
const char *csvin_colname(const struct csvin *c, size_t i);
/* Line number of the header record (0 before it is read). */
unsigned long csvin_header_line(const struct csvin *c);
void csvin_free(struct csvin *c);

#define CSVIN_DEFAULT_MAX_FIELD   (64 * 1024)
#define CSVIN_DEFAULT_MAX_ROW     (256 * 1024)
#define CSVIN_DEFAULT_MAX_FIELDS  256

#endif
