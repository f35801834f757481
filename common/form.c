/* form.c: multipart/form-data bodies through the streaming parser (see form.h). */
#include "form.h"
#include "fdio.h"
#include "log.h"
#include "multipart.h"
#include "tmpfile.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct form_ctx {
	struct form_field *f;
	size_t n;
	struct form_field *cur;   /* the field being filled, NULL for an ignored part */
	int too_large;
	int io_error;
};

static int on_begin(void *vctx, const struct mp_part *p)
{
	struct form_ctx *c = vctx;
	size_t i;

	c->cur = NULL;
	for (i = 0; i < c->n; i++) {
		struct form_field *f = &c->f[i];
		if (strcmp(f->name, p->name) != 0)
			continue;
		if (f->is_file != (p->filename != NULL))
			continue;     /* a text part where a file is expected, or the reverse: ignored */
		if (f->present) {
			/* A repeated name: the last part wins, as Starlette's FormData.get gives it. */
			if (f->is_file) {
				char *fn = strdup(p->filename);
				if (fn == NULL || ftruncate(f->fd, 0) != 0 || lseek(f->fd, 0, SEEK_SET) != 0) {
					log_error("form: cannot reuse the temp file: %s", strerror(errno));
					free(fn);
					c->io_error = 1;
					return -1;
				}
				free(f->filename);
				f->filename = fn;
				f->size = 0;
			} else {
				f->text_len = 0;
				f->too_long = 0;
				f->text[0] = '\0';
			}
			c->cur = f;
			break;
		}
		f->present = 1;
		if (f->is_file) {
			if ((f->filename = strdup(p->filename)) == NULL || (f->fd = tmpfile_anon("sartiq-form")) < 0) {
				log_error("form: cannot make a temp file: %s", strerror(errno));
				c->io_error = 1;
				return -1;
			}
		} else if ((f->text = calloc(1, f->max_text + 2)) == NULL) {
			c->io_error = 1;
			return -1;
		}
		c->cur = f;
		break;
	}
	return 0;
}

static int on_data(void *vctx, const char *buf, size_t len)
{
	struct form_ctx *c = vctx;
	struct form_field *f = c->cur;

	if (f == NULL)
		return 0;
	if (f->is_file) {
		if (f->size + (long long)len > f->max_file) {
			c->too_large = 1;
			return -1;
		}
		if (fd_write_all(f->fd, buf, len) != 0) {
			log_error("form: writing the temp file failed: %s", strerror(errno));
			c->io_error = 1;
			return -1;
		}
		f->size += (long long)len;
		return 0;
	}
	if (f->text_len + len > f->max_text) {
		size_t room = f->max_text + 1 - f->text_len;     /* keep one byte past the limit */
		f->too_long = 1;
		if (len > room)
			len = room;
	}
	memcpy(f->text + f->text_len, buf, len);
	f->text_len += len;
	f->text[f->text_len] = '\0';     /* a repeated part may be shorter than the one before */
	return 0;
}

static int on_end(void *vctx)
{
	((struct form_ctx *)vctx)->cur = NULL;
	return 0;
}

enum herr form_read(struct http_request *r, struct form_field *fields, size_t n,
    long long body_max, const char **detail)
{
	static const struct mp_callbacks cb = { on_begin, on_data, on_end };
	struct form_ctx c = { fields, n, NULL, 0, 0 };
	char boundary[LIM_MP_BOUNDARY + 1], buf[65536];
	struct mp_parser *p = NULL;
	enum mp_status st = MP_OK;
	long long total = 0;
	enum herr e = HE_OK;
	size_t i;
	ssize_t got;

	*detail = NULL;
	for (i = 0; i < n; i++) {
		fields[i].present = 0;
		fields[i].text = fields[i].filename = NULL;
		fields[i].text_len = 0;
		fields[i].too_long = 0;
		fields[i].fd = -1;
		fields[i].size = 0;
	}
	if (r->content_length > body_max)
		return HE_TOO_LARGE;
	if (r->content_type == NULL || mp_boundary(r->content_type, boundary, sizeof(boundary)) < 0)
		return HE_OK;     /* not multipart: every field is missing, as Starlette's empty form */
	if ((p = mp_new(boundary, &cb, &c)) == NULL)
		return HE_INTERNAL;
	for (;;) {
		got = http_read_stream(r, buf, sizeof(buf));
		if (got < 0) {
			e = http_body_error(r);
			goto out;
		}
		if (got == 0)
			break;
		total += got;
		if (total > body_max) {
			e = HE_TOO_LARGE;
			goto out;
		}
		if ((st = mp_feed(p, buf, (size_t)got)) != MP_OK)
			break;
	}
	if (st == MP_OK)
		st = mp_finish(p);
	if (c.too_large)
		e = HE_TOO_LARGE;
	else if (c.io_error)
		e = HE_INTERNAL;
	else if (st != MP_OK) {
		log_info("multipart body refused: %s", mp_strerror(st));
		*detail = "There was an error parsing the body";
		e = HE_BAD_REQUEST;
	}
	for (i = 0; e == HE_OK && i < n; i++)
		if (fields[i].fd >= 0 && lseek(fields[i].fd, 0, SEEK_SET) != 0)
			e = HE_INTERNAL;
out:
	mp_free(p);
	if (e != HE_OK)
		form_free(fields, n);
	return e;
}

void form_free(struct form_field *fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(fields[i].text);
		free(fields[i].filename);
		if (fields[i].fd >= 0)
			close(fields[i].fd);
		fields[i].text = fields[i].filename = NULL;
		fields[i].fd = -1;
		fields[i].present = 0;
	}
}
