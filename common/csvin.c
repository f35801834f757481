/* csvin.c: the CSV reader of the bulk import: libcsv does RFC 4180; this adds BOM, delimiter detection, header names, line numbers and caps. */
#include "csvin.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "valid.h"

/*
 * libcsv keeps its state in the public struct csv_parser; pstate 0 is its ROW_NOT_BEGUN
 * (libcsv.c). Between records is the only moment we look at it: the bytes are fed one
 * physical line at a time, so a record begins on the line fed while the parser sat there.
 */
#define LIBCSV_ROW_NOT_BEGUN 0
#define FEED_STEP 4096          /* most bytes handed to libcsv at once */
#define ERRLEN 256

struct csvin {
	struct csv_parser p;
	int flags;
	struct csvin_limits lim;
	csvin_cb cb;
	void *ctx;
	int started;            /* delimiter chosen, bytes go to libcsv */
	struct buf head;        /* bytes before the first line end (delimiter detection) */
	unsigned long line;     /* line of the bytes being fed */
	unsigned long start_line;
	int prev_cr;
	struct buf row;         /* this record's fields, each NUL-terminated */
	size_t *off, *len;      /* max_fields offsets into row and lengths */
	const char **ptr;
	size_t nfields;
	char **cols;            /* header names */
	size_t ncols;
	unsigned long header_line;
	int failed;
	char err[ERRLEN];
};

static void fail(struct csvin *c, unsigned long line, const char *what)
{
	if (c->failed)
		return;
	c->failed = 1;
	snprintf(c->err, sizeof c->err, "line %lu: %s", line, what);
}

static int never_space(unsigned char ch)
{
	(void)ch;
	return 0;               /* RFC 4180 rule 4: spaces are data */
}

struct csvin *csvin_new(int flags, const struct csvin_limits *lim, csvin_cb cb, void *ctx)
{
	struct csvin *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->flags = flags;
	c->cb = cb;
	c->ctx = ctx;
	if (lim != NULL)
		c->lim = *lim;
	else
		c->lim = (struct csvin_limits){ CSVIN_DEFAULT_MAX_FIELD, CSVIN_DEFAULT_MAX_ROW,
			CSVIN_DEFAULT_MAX_FIELDS };
	if (c->lim.max_fields == 0)
		c->lim.max_fields = 1;
	c->line = 1;
	c->start_line = 1;
	buf_init(&c->head, c->lim.max_row + 3);
	buf_init(&c->row, c->lim.max_row + c->lim.max_fields);
	c->off = calloc(c->lim.max_fields, sizeof *c->off);
	c->len = calloc(c->lim.max_fields, sizeof *c->len);
	c->ptr = calloc(c->lim.max_fields, sizeof *c->ptr);
	if (c->off == NULL || c->len == NULL || c->ptr == NULL ||
	    csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		free(c->off);
		free(c->len);
		free(c->ptr);
		free(c);
		return NULL;
	}
	csv_set_space_func(&c->p, never_space);
	return c;
}

static void on_field(void *s, size_t n, void *data)
{
	struct csvin *c = data;

	if (c->failed)
		return;
	if (n > c->lim.max_field) {
		fail(c, c->start_line, "field too long");
		return;
	}
	if (c->nfields >= c->lim.max_fields) {
		fail(c, c->start_line, "too many fields");
		return;
	}
	if (n > 0 && !utf8_valid(s, n)) {
		fail(c, c->start_line, "not UTF-8 text (or holds a NUL byte)");
		return;
	}
	c->off[c->nfields] = c->row.len;
	c->len[c->nfields] = n;
	if ((n > 0 && buf_append(&c->row, s, n) != 0) || buf_append(&c->row, "", 1) != 0) {
		fail(c, c->start_line, "record too long");
		return;
	}
	c->nfields++;
}

/* Keep the header: names trimmed of spaces, lowercased (ASCII); a repeated name is an error. */
static int keep_header(struct csvin *c, const struct csvin_record *r)
{
	size_t i, j;

	c->cols = calloc(r->n, sizeof *c->cols);
	if (c->cols == NULL)
		return -1;
	for (i = 0; i < r->n; i++) {
		const char *s = r->field[i];
		size_t a = 0, b = r->len[i];

		while (a < b && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
			b--;
		if ((c->cols[i] = strndup(s + a, b - a)) == NULL)
			return -1;
		c->ncols = i + 1;
		for (j = 0; c->cols[i][j] != '\0'; j++)
			if (c->cols[i][j] >= 'A' && c->cols[i][j] <= 'Z')
				c->cols[i][j] = (char)(c->cols[i][j] - 'A' + 'a');
		for (j = 0; j < i; j++)
			if (c->cols[i][0] != '\0' && strcmp(c->cols[i], c->cols[j]) == 0) {
				fail(c, r->line, "the header repeats a column name");
				return 0;
			}
	}
	c->header_line = r->line;
	return 0;
}

static void on_record(int term, void *data)
{
	struct csvin *c = data;
	struct csvin_record r;
	size_t i;

	(void)term;
	if (c->failed)
		return;
	for (i = 0; i < c->nfields; i++)
		c->ptr[i] = c->row.data + c->off[i];
	r.line = c->start_line;
	r.n = c->nfields;
	r.field = c->ptr;
	r.len = c->len;
	if ((c->flags & CSVIN_HEADER) && c->header_line == 0) {
		if (keep_header(c, &r) != 0)
			fail(c, r.line, "out of memory");
	} else if (c->cb != NULL && c->cb(c->ctx, &r) != 0) {
		fail(c, r.line, "stopped");
	}
	buf_reset(&c->row);
	c->nfields = 0;
	c->start_line = c->line;  /* a record after a lone CR begins on this line */
}

/* Hand n bytes to libcsv, one physical line (or FEED_STEP bytes) at a time. */
static int parse(struct csvin *c, const char *s, size_t n)
{
	while (n > 0 && !c->failed) {
		/* never past the field cap by more than the last byte fed: the error is then the
		 * same however the input was split */
		size_t room = c->lim.max_field + 1 - c->p.entry_pos;
		size_t k = 0, lim = n < FEED_STEP ? n : FEED_STEP;
		char last;

		if (lim > room)
			lim = room;

		while (k < lim && s[k] != '\r' && s[k] != '\n')
			k++;
		if (k < lim)
			k++;            /* the line end goes with its line */
		if (c->p.pstate == LIBCSV_ROW_NOT_BEGUN)
			c->start_line = c->line;
		if (csv_parse(&c->p, s, k, on_field, on_record, c) != k) {
			fail(c, c->line, csv_error(&c->p) == CSV_EPARSE ?
			    "malformed quoting" : "out of memory");
			break;
		}
		if (c->p.entry_pos > c->lim.max_field)
			fail(c, c->start_line, "field too long");
		last = s[k - 1];
		if (last == '\r' || (last == '\n' && !(k == 1 && c->prev_cr)))
			c->line++;
		c->prev_cr = last == '\r';
		s += k;
		n -= k;
	}
	return c->failed ? -1 : 0;
}

/*
 * Scan the first line holding anything (its line end outside quotes, so a quoted header
 * name may span lines): count ',' and ';' outside quotes. 1 when its end was seen.
 */
static int first_line(const char *s, size_t n, size_t *commas, size_t *semis)
{
	size_t i;
	int q = 0;

	*commas = *semis = 0;
	for (i = 0; i < n && (s[i] == '\r' || s[i] == '\n'); i++)
		;
	for (; i < n; i++) {
		if (s[i] == '"')
			q = !q;
		else if (!q && (s[i] == '\r' || s[i] == '\n'))
			return 1;
		else if (!q && s[i] == ',')
			(*commas)++;
		else if (!q && s[i] == ';')
			(*semis)++;
	}
	return 0;
}

static size_t bom_len(const char *s, size_t n)
{
	return n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

/* 1 when head holds the complete first line (or is full). */
static int head_ready(const struct csvin *c)
{
	size_t commas, semis, b = bom_len(c->head.data, c->head.len);

	return c->head.len >= c->head.max ||
	    first_line(c->head.data + b, c->head.len - b, &commas, &semis);
}

static int start(struct csvin *c)
{
	const char *s = c->head.len > 0 ? c->head.data : "";
	size_t n = c->head.len, b = bom_len(s, n), commas, semis;

	c->started = 1;
	s += b;
	n -= b;
	/* ';' when the header has more of them than ',' outside quotes */
	first_line(s, n, &commas, &semis);
	csv_set_delim(&c->p, semis > commas ? ';' : ',');
	return parse(c, s, n);
}

int csvin_feed(struct csvin *c, const void *p, size_t n)
{
	const char *s = p;

	if (c->failed)
		return -1;
	while (!c->started && n > 0) {
		size_t room = c->head.max - c->head.len, k = n < room ? n : room;

		if (buf_append(&c->head, s, k) != 0) {
			fail(c, c->line, "out of memory");
			return -1;
		}
		s += k;
		n -= k;
		if (head_ready(c)) {
			if (start(c) != 0)
				return -1;
			buf_free(&c->head);
		}
	}
	return parse(c, s, n);
}

int csvin_finish(struct csvin *c)
{
	if (c->failed)
		return -1;
	if (!c->started) {
		if (start(c) != 0)
			return -1;
		buf_free(&c->head);
	}
	if (c->p.pstate == LIBCSV_ROW_NOT_BEGUN)
		c->start_line = c->line;
	if (csv_fini(&c->p, on_field, on_record, c) != 0)
		fail(c, c->start_line, "unterminated quoted field");
	return c->failed ? -1 : 0;
}

const char *csvin_error(const struct csvin *c)
{
	return c->err;
}

char csvin_delim(const struct csvin *c)
{
	return (char)c->p.delim_char;
}

size_t csvin_ncols(const struct csvin *c)
{
	return c->ncols;
}

int csvin_col(const struct csvin *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ncols; i++)
		if (strcmp(c->cols[i], name) == 0)
			return (int)i;
	return -1;
}

const char *csvin_colname(const struct csvin *c, size_t i)
{
	return i < c->ncols ? c->cols[i] : NULL;
}

unsigned long csvin_header_line(const struct csvin *c)
{
	return c->header_line;
}

void csvin_free(struct csvin *c)
{
	size_t i;

	if (c == NULL)
		return;
	csv_free(&c->p);
	buf_free(&c->head);
	buf_free(&c->row);
	for (i = 0; i < c->ncols; i++)
		free(c->cols[i]);
	free(c->cols);
	free(c->off);
	free(c->len);
	free(c->ptr);
	free(c);
}
