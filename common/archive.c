/* archive.c: the bulk import's ZIP checks (API.md §7) on libzip, and reading its entries without unpacking. */
#include "archive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "valid.h"

#define CHUNK       (64 * 1024)
#define NAME_SHOWN  160         /* bytes of an entry name quoted in an error */
#define EOCD_LEN    22
#define EOCD_SEARCH (65535 + EOCD_LEN)

struct archive {
	zip_t *za;
	zip_source_t *src;
	struct arc_limits lim;
	struct arc_entry *e;
	size_t n;
	size_t csv;                     /* index into e */
	char **folders;                 /* sorted folder names (first segment of rel) */
	size_t nfolders;
	const struct arc_entry **imgs;  /* images directly in a folder, by folder then natural name */
	size_t nimgs;
	const struct arc_entry **pick;  /* archive_folder_images' answer */
	uint64_t total;
	uint64_t raw_count;             /* entries in the central directory, by our own walk */
	char **raw_names;               /* their names (libzip refuses duplicates without naming them) */
	char *err;
	size_t errlen;
};

/* ---------------------------------------------------------------- errors */

/* err = "entry \"NAME\": what" with the name made printable UTF-8 and cut. */
static int fail_entry(struct archive *a, const char *name, size_t n, const char *what)
{
	size_t ln = 0, i;
	char *s = utf8_lossy(name, n < NAME_SHOWN ? n : NAME_SHOWN, &ln);

	if (s == NULL) {
		snprintf(a->err, a->errlen, "entry: %s", what);
		return -1;
	}
	for (i = 0; i < ln; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
	snprintf(a->err, a->errlen, "entry \"%s%s\": %s", s, n > NAME_SHOWN ? "..." : "", what);
	free(s);
	return -1;
}

static int fail_arc(struct archive *a, const char *what, const char *detail)
{
	snprintf(a->err, a->errlen, "archive: %s%s%s", what, detail ? ": " : "", detail ? detail : "");
	return -1;
}

/* ---------------------------------------------------------------- pure rules */

const char *archive_name_rule(const char *name, size_t n)
{
	size_t i, seg = 0;

	if (n == 0)
		return "empty name";
	if (memchr(name, '\0', n) != NULL)
		return "name holds a NUL byte";
	if (memchr(name, '\\', n) != NULL)
		return "name holds a backslash";
	if (name[0] == '/' || (n >= 2 && name[1] == ':'))
		return "absolute name";
	for (i = 0; i <= n; i++) {
		if (i < n && name[i] != '/')
			continue;
		if (i - seg == 2 && name[seg] == '.' && name[seg + 1] == '.')
			return "name escapes the archive root";
		if ((i - seg == 0 && i < n) || (i - seg == 1 && name[seg] == '.'))
			return "name has an empty or '.' segment";
		seg = i + 1;
	}
	return NULL;
}

int archive_natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			const char *x = a, *y = b;
			size_t lx, ly;

			while (*x == '0' && x[1] >= '0' && x[1] <= '9')
				x++;
			while (*y == '0' && y[1] >= '0' && y[1] <= '9')
				y++;
			for (a = x; *a >= '0' && *a <= '9'; a++)
				;
			for (b = y; *b >= '0' && *b <= '9'; b++)
				;
			lx = (size_t)(a - x);
			ly = (size_t)(b - y);
			if (lx != ly)
				return lx < ly ? -1 : 1;
			if (memcmp(x, y, lx) != 0)
				return memcmp(x, y, lx);
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

static const char *base_name(const char *s)
{
	const char *p = strrchr(s, '/');

	return p ? p + 1 : s;
}

int archive_is_junk(const char *name)
{
	const char *b = base_name(name);

	return strncmp(name, "__MACOSX/", 9) == 0 || strstr(name, "/__MACOSX/") != NULL ||
	    strcmp(b, ".DS_Store") == 0 || strcmp(b, "Thumbs.db") == 0;
}

/* ---------------------------------------------------------------- raw headers */

/*
 * libzip neither shows a name's NUL bytes (it turns them into spaces) nor says which entry's
 * local header disagrees with the central directory. So the central directory is walked once
 * here for those two checks only; everything else is libzip's.
 */
struct rd {
	int fd;
	const unsigned char *mem;
	uint64_t size;
};

static int rd_at(const struct rd *r, void *buf, size_t n, uint64_t off)
{
	if (off > r->size || n > r->size - off)
		return -1;
	if (r->mem != NULL) {
		memcpy(buf, r->mem + off, n);
		return 0;
	}
	while (n > 0) {
		ssize_t k = pread(r->fd, buf, n, (off_t)off);

		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			return -1;
		}
		buf = (char *)buf + k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static unsigned le16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }
static uint32_t le32(const unsigned char *p) { return le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* Where the central directory is: 0 with *off, *count; -1 when no end record is found. */
static int find_cdir(const struct rd *r, uint64_t *off, uint64_t *count)
{
	size_t tail = r->size < EOCD_SEARCH ? (size_t)r->size : EOCD_SEARCH, i;
	unsigned char *t = malloc(tail ? tail : 1), z[56];
	int rc = -1;

	if (t == NULL || tail < EOCD_LEN || rd_at(r, t, tail, r->size - tail) != 0)
		goto out;
	for (i = tail - EOCD_LEN + 1; i-- > 0;) {
		uint64_t eocd = r->size - tail + i;

		if (memcmp(t + i, "PK\5\6", 4) != 0 || i + EOCD_LEN + le16(t + i + 20) != tail)
			continue;
		*count = le16(t + i + 10);
		*off = le32(t + i + 16);
		if ((*count == 0xffff || *off == 0xffffffffu) && eocd >= 20 &&
		    rd_at(r, z, 20, eocd - 20) == 0 && memcmp(z, "PK\6\7", 4) == 0) {
			uint64_t z64 = le64(z + 8);

			if (rd_at(r, z, 56, z64) != 0 || memcmp(z, "PK\6\6", 4) != 0)
				goto out;
			*count = le64(z + 32);
			*off = le64(z + 48);
		}
		rc = 0;
		break;
	}
out:
	free(t);
	return rc;
}

/* The raw checks of entry i at *pos in the central directory; *pos moves to the next. */
static int raw_entry(struct archive *a, const struct rd *r, uint64_t *pos)
{
	unsigned char c[46], l[30], *nm = NULL, *ln = NULL;
	unsigned nlen, flags;
	uint64_t loc;
	int rc = -1;

	if (rd_at(r, c, 46, *pos) != 0 || memcmp(c, "PK\1\2", 4) != 0)
		return fail_arc(a, "broken central directory", NULL);
	nlen = le16(c + 28);
	flags = le16(c + 8);
	loc = le32(c + 42);
	if ((nm = malloc(nlen + 1)) == NULL || (ln = malloc(nlen + 1)) == NULL ||
	    rd_at(r, nm, nlen, *pos + 46) != 0) {
		fail_arc(a, "broken central directory", NULL);
		goto out;
	}
	if (memchr(nm, '\0', nlen) != NULL) {
		fail_entry(a, (char *)nm, nlen, "name holds a NUL byte");
		goto out;
	}
	nm[nlen] = '\0';
	a->raw_names[a->raw_count++] = (char *)nm;
	nm = NULL;
	*pos += 46 + (uint64_t)nlen + le16(c + 30) + le16(c + 32);
	if (loc != 0xffffffffu) {       /* zip64 offsets: libzip's ZIP_CHECKCONS compares those */
		int same = rd_at(r, l, 30, loc) == 0 && memcmp(l, "PK\3\4", 4) == 0 &&
		    le16(l + 26) == nlen && rd_at(r, ln, nlen, loc + 30) == 0 &&
		    memcmp(ln, a->raw_names[a->raw_count - 1], nlen) == 0 && le16(l + 8) == le16(c + 10);

		/* sizes and CRC are in the local header unless a data descriptor follows (bit 3) */
		if (same && !(flags & 8) && le32(c + 20) != 0xffffffffu && le32(l + 18) != 0xffffffffu)
			same = le32(l + 14) == le32(c + 16) && le32(l + 18) == le32(c + 20) &&
			    le32(l + 22) == le32(c + 24);
		if (!same) {
			fail_entry(a, a->raw_names[a->raw_count - 1], nlen,
			    "local header disagrees with the central directory");
			goto out;
		}
	}
	rc = 0;
out:
	free(nm);
	free(ln);
	return rc;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int raw_checks(struct archive *a, const struct rd *r)
{
	uint64_t off, count, i;
	char **s;

	if (find_cdir(r, &off, &count) != 0)
		return fail_arc(a, "not a ZIP archive (no end of central directory; truncated?)", NULL);
	if (count > a->lim.max_entries)
		return fail_arc(a, "more than 10,000 entries", NULL);
	if ((a->raw_names = calloc(count + 1, sizeof *a->raw_names)) == NULL)
		return fail_arc(a, "out of memory", NULL);
	for (i = 0; i < count; i++)
		if (raw_entry(a, r, &off) != 0)
			return -1;
	if ((s = malloc((count + 1) * sizeof *s)) == NULL)
		return fail_arc(a, "out of memory", NULL);
	memcpy(s, a->raw_names, count * sizeof *s);
	qsort(s, count, sizeof *s, cmp_str);
	for (i = 1; i < count; i++)
		if (strcmp(s[i], s[i - 1]) == 0) {
			fail_entry(a, s[i], strlen(s[i]), "duplicate name");
			free(s);
			return -1;
		}
	free(s);
	return 0;
}

/* ---------------------------------------------------------------- libzip checks */

static const char *zip_why(zip_error_t *ze)
{
	return zip_error_strerror(ze);
}

/* The per-entry rules libzip's stat can tell: name, symlink, encryption, method. */
static int check_entry(struct archive *a, zip_uint64_t i, struct arc_entry *e)
{
	zip_stat_t st;
	zip_uint8_t opsys;
	zip_uint32_t attr;
	const char *rule;
	size_t nl;

	zip_stat_init(&st);
	if (zip_stat_index(a->za, i, ZIP_FL_ENC_RAW, &st) != 0 || !(st.valid & ZIP_STAT_NAME))
		return fail_arc(a, "unreadable entry", zip_strerror(a->za));
	nl = strlen(st.name);
	if ((rule = archive_name_rule(st.name, nl)) != NULL)
		return fail_entry(a, st.name, nl, rule);
	if ((e->name = strdup(st.name)) == NULL)
		return fail_arc(a, "out of memory", NULL);
	e->index = i;
	e->rel = e->name;
	e->csize = st.comp_size;
	e->declared = st.size;
	if (zip_file_get_external_attributes(a->za, i, 0, &opsys, &attr) == 0 &&
	    opsys == ZIP_OPSYS_UNIX && ((attr >> 16) & S_IFMT) == S_IFLNK)
		return fail_entry(a, st.name, nl, "symbolic link");
	if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
		return fail_entry(a, st.name, nl, "encrypted entry");
	if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE)
		return fail_entry(a, st.name, nl, "compression method other than store or deflate");
	e->kind = e->name[nl - 1] == '/' ? AK_DIR : archive_is_junk(e->name) ? AK_JUNK : AK_OTHER;
	return 0;
}

/* ---------------------------------------------------------------- layout */

static int ends_csv(const char *s)
{
	size_t n = strlen(s);

	return n > 4 && strcasecmp(s + n - 4, ".csv") == 0;
}

/* The single wrapping folder (when the root holds no CSV and everything is under one folder), then the CSV. */
static int find_layout(struct archive *a)
{
	const char *top = NULL;
	size_t i, toplen = 0, ncsv = 0;
	int wrapped = 1, root_csv = 0;

	for (i = 0; i < a->n; i++) {
		const struct arc_entry *e = &a->e[i];
		const char *sl = strchr(e->name, '/');

		if (e->kind == AK_JUNK)
			continue;
		if (sl == NULL) {
			wrapped = 0;
			root_csv |= ends_csv(e->name);
		} else if (top == NULL) {
			top = e->name;
			toplen = (size_t)(sl - e->name) + 1;
		} else if (strncmp(e->name, top, toplen) != 0) {
			wrapped = 0;
		}
	}
	if (wrapped && !root_csv && top != NULL)
		for (i = 0; i < a->n; i++)
			if (a->e[i].kind != AK_JUNK)
				a->e[i].rel = a->e[i].name + toplen;
	for (i = 0; i < a->n; i++) {
		struct arc_entry *e = &a->e[i];

		if (e->kind == AK_OTHER && strchr(e->rel, '/') == NULL && ends_csv(e->rel)) {
			if (ncsv++ > 0)
				return fail_entry(a, e->name, strlen(e->name), "a second CSV at the root");
			e->kind = AK_CSV;
			a->csv = i;
		}
	}
	if (ncsv == 0)
		return fail_arc(a, "no CSV file at the root (or in a single wrapping folder)", NULL);
	return 0;
}

/* ---------------------------------------------------------------- inflating */

struct arc_stream {
	struct archive *a;
	const struct arc_entry *e;
	zip_file_t *zf;
	uint64_t got, max;
	unsigned char head[MEDIA_SNIFF_LEN];
	size_t nhead;
	int failed;
};

struct arc_stream *archive_stream_open(struct archive *a, const struct arc_entry *e)
{
	struct arc_stream *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->a = a;
	s->e = e;
	s->max = e->size;
	if ((s->zf = zip_fopen_index(a->za, e->index, 0)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

ssize_t archive_stream_read(void *stream, char *buf, size_t n)
{
	struct arc_stream *s = stream;
	zip_int64_t k;

	if (s->failed)
		return -1;
	if ((k = zip_fread(s->zf, buf, n)) < 0 || (uint64_t)k > s->max - s->got) {
		s->failed = 1;
		return -1;
	}
	s->got += (uint64_t)k;
	return (ssize_t)k;
}

void archive_stream_close(struct arc_stream *s)
{
	if (s == NULL)
		return;
	zip_fclose(s->zf);
	free(s);
}

/* An image is a sniffed image type directly in a folder. */
static int is_image_place(const struct arc_entry *e)
{
	const char *sl = strchr(e->rel, '/');

	return sl != NULL && sl != e->rel && strchr(sl + 1, '/') == NULL && sl[1] != '\0';
}

/* Inflate e once, counting: the total, the ratio past its floor, an image's size, the CSV's. */
static int inflate_entry(struct archive *a, struct arc_entry *e, unsigned char *buf)
{
	zip_file_t *zf = zip_fopen_index(a->za, e->index, 0);
	uint64_t got = 0;
	size_t nhead = 0;
	unsigned char head[MEDIA_SNIFF_LEN];
	const char *why = NULL;
	int image_place = is_image_place(e);

	if (zf == NULL)
		return fail_entry(a, e->name, strlen(e->name), "unreadable entry");
	for (;;) {
		zip_int64_t k = zip_fread(zf, buf, CHUNK);

		if (k < 0) {
			why = "corrupt data (the archive lies about its sizes or checksum)";
			break;
		}
		if (k == 0)
			break;
		if (nhead < sizeof head) {
			size_t c = sizeof head - nhead < (size_t)k ? sizeof head - nhead : (size_t)k;

			memcpy(head + nhead, buf, c);
			nhead += c;
		}
		got += (uint64_t)k;
		a->total += (uint64_t)k;
		if (a->lim.progress != NULL && a->lim.progress(a->lim.progress_ctx) != 0) {
			zip_fclose(zf);
			return fail_arc(a, "stopped", NULL);
		}
		if (got > e->declared) {
			why = "inflates past the size its headers declare";
			break;
		}
		if (a->total > a->lim.max_total) {
			why = "the archive inflates past BULK_MAX_UNCOMPRESSED_BYTES";
			break;
		}
		if (got > a->lim.ratio_floor && got / a->lim.ratio > e->csize) {
			why = "inflates to more than 100 times its compressed size";
			break;
		}
		if (e->kind == AK_CSV && got > a->lim.max_csv) {
			why = "CSV larger than its limit";
			break;
		}
		if (image_place && nhead >= sizeof head && (MT_IMAGES & (1u << media_sniff(head, nhead))) &&
		    got > a->lim.max_image) {
			why = "image larger than MAX_UPLOAD_SIZE";
			break;
		}
	}
	zip_fclose(zf);
	e->size = got;
	e->type = media_sniff(head, nhead);
	if (why == NULL && got != e->declared)
		why = "inflates to less than the size its headers declare";
	if (why == NULL && image_place && (MT_IMAGES & (1u << e->type)) && got > a->lim.max_image)
		why = "image larger than MAX_UPLOAD_SIZE";
	if (why != NULL)
		return fail_entry(a, e->name, strlen(e->name), why);
	if (e->kind == AK_OTHER && image_place && (MT_IMAGES & (1u << e->type)))
		e->kind = AK_IMAGE;
	return 0;
}

/* ---------------------------------------------------------------- folders */

static size_t folder_len(const char *rel)
{
	const char *sl = strchr(rel, '/');

	return sl ? (size_t)(sl - rel) : 0;
}

static int cmp_img(const void *x, const void *y)
{
	const struct arc_entry *p = *(const struct arc_entry *const *)x;
	const struct arc_entry *q = *(const struct arc_entry *const *)y;
	size_t lp = folder_len(p->rel), lq = folder_len(q->rel);
	int c = strncmp(p->rel, q->rel, lp < lq ? lp : lq);

	if (c != 0 || lp != lq)
		return c != 0 ? c : lp < lq ? -1 : 1;
	c = archive_natcmp(p->rel + lp + 1, q->rel + lq + 1);
	return c != 0 ? c : strcmp(p->rel, q->rel);
}

static int index_folders(struct archive *a)
{
	size_t i, k = 0;

	a->folders = calloc(a->n + 1, sizeof *a->folders);
	a->imgs = calloc(a->n + 1, sizeof *a->imgs);
	a->pick = calloc(a->n + 1, sizeof *a->pick);
	if (a->folders == NULL || a->imgs == NULL || a->pick == NULL)
		return fail_arc(a, "out of memory", NULL);
	for (i = 0; i < a->n; i++) {
		const struct arc_entry *e = &a->e[i];
		size_t fl = folder_len(e->rel);

		if (e->kind == AK_JUNK || fl == 0)
			continue;
		if ((a->folders[k] = strndup(e->rel, fl)) == NULL)
			return fail_arc(a, "out of memory", NULL);
		k++;
		if (e->kind == AK_IMAGE)
			a->imgs[a->nimgs++] = e;
	}
	qsort(a->folders, k, sizeof *a->folders, cmp_str);
	for (i = 0; i < k; i++) {   /* unique */
		if (a->nfolders > 0 && strcmp(a->folders[a->nfolders - 1], a->folders[i]) == 0) {
			free(a->folders[i]);
			continue;
		}
		a->folders[a->nfolders++] = a->folders[i];
	}
	qsort(a->imgs, a->nimgs, sizeof *a->imgs, cmp_img);
	return 0;
}

static int stem_is_cover(const char *file)
{
	const char *dot = strrchr(file, '.');
	size_t n = dot ? (size_t)(dot - file) : strlen(file);

	return n == 5 && strncasecmp(file, "cover", 5) == 0;
}

int archive_folder_images(struct archive *a, const char *sku, const char *cover_hint,
    const struct arc_entry ***imgs, size_t *n)
{
	size_t sl = strlen(sku), lo = 0, hi = a->nimgs, i, k = 0, cover = (size_t)-1;
	const char *key = sku;

	*imgs = a->pick;
	*n = 0;
	if (bsearch(&key, a->folders, a->nfolders, sizeof *a->folders, cmp_str) == NULL)
		return 0;
	while (lo < hi) {           /* first image of the folder */
		size_t mid = lo + (hi - lo) / 2;
		const char *r = a->imgs[mid]->rel;
		size_t fl = folder_len(r);
		int c = strncmp(r, sku, fl < sl ? fl : sl);

		if (c < 0 || (c == 0 && fl < sl))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < a->nimgs && folder_len(a->imgs[i]->rel) == sl &&
	    strncmp(a->imgs[i]->rel, sku, sl) == 0; i++) {
		const char *file = a->imgs[i]->rel + sl + 1;

		if (cover == (size_t)-1 && stem_is_cover(file))
			cover = k;
		a->pick[k++] = a->imgs[i];
	}
	if (cover == (size_t)-1 && cover_hint != NULL && cover_hint[0] != '\0')
		for (i = 0; i < k && cover == (size_t)-1; i++)
			if (strcmp(a->pick[i]->rel + sl + 1, cover_hint) == 0)
				cover = i;
	if (cover != (size_t)-1 && cover > 0) {  /* move it first, the rest keep their order */
		const struct arc_entry *c = a->pick[cover];

		memmove(a->pick + 1, a->pick, cover * sizeof *a->pick);
		a->pick[0] = c;
	}
	*n = k;
	return 1;
}

/* ---------------------------------------------------------------- open / free */

static int open_zip(struct archive *a, int fd, const void *mem, size_t n)
{
	zip_error_t ze;
	int zerr = 0;

	zip_error_init(&ze);
	if (mem != NULL) {
		a->src = zip_source_buffer_create(mem, n, 0, &ze);
	} else {
		int d = dup(fd);
		FILE *f = d >= 0 ? fdopen(d, "rb") : NULL;

		if (f == NULL && d >= 0)
			close(d);
		a->src = f ? zip_source_filep_create(f, 0, -1, &ze) : NULL;
		if (a->src == NULL && f != NULL)
			fclose(f);
	}
	if (a->src == NULL) {
		fail_arc(a, "cannot read the archive", zip_why(&ze));
		zip_error_fini(&ze);
		return -1;
	}
	a->za = zip_open_from_source(a->src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	zerr = zip_error_code_zip(&ze);
	if (a->za == NULL) {
		fail_arc(a, zerr == ZIP_ER_NOZIP ? "not a ZIP archive" :
		    zerr == ZIP_ER_INCONS ? "inconsistent archive (local headers, sizes or offsets)" :
		    "unreadable ZIP archive", zip_why(&ze));
		zip_error_fini(&ze);
		zip_source_free(a->src);
		a->src = NULL;
		return -1;
	}
	zip_error_fini(&ze);
	return 0;
}

int archive_open(int fd, const void *mem, size_t n, const struct arc_limits *lim,
    struct archive **out, char *err, size_t errlen)
{
	struct archive *a = calloc(1, sizeof *a);
	struct rd r = { fd, mem, n };
	unsigned char *buf = NULL;
	zip_int64_t cnt;
	size_t i;
	struct stat st;

	*out = NULL;
	snprintf(err, errlen, "archive: out of memory");
	if (a == NULL)
		return -1;
	a->lim = *lim;
	a->err = err;
	a->errlen = errlen;
	err[0] = '\0';
	if (mem == NULL) {
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			fail_arc(a, "cannot read the archive", NULL);
			goto fail;
		}
		r.size = (uint64_t)st.st_size;
	}
	if (raw_checks(a, &r) != 0 || open_zip(a, fd, mem, n) != 0)
		goto fail;
	cnt = zip_get_num_entries(a->za, 0);
	if (cnt < 0 || (uint64_t)cnt != a->raw_count) {
		fail_arc(a, "inconsistent archive (entry count)", NULL);
		goto fail;
	}
	if ((a->e = calloc((size_t)cnt + 1, sizeof *a->e)) == NULL)
		goto fail;
	for (a->n = 0; a->n < (size_t)cnt; a->n++)
		if (check_entry(a, a->n, &a->e[a->n]) != 0) {
			a->n++;
			goto fail;
		}
	if (find_layout(a) != 0 || (buf = malloc(CHUNK)) == NULL)
		goto fail;
	for (i = 0; i < a->n; i++)
		if ((a->e[i].kind == AK_OTHER || a->e[i].kind == AK_CSV) &&
		    inflate_entry(a, &a->e[i], buf) != 0)
			goto fail;
	if (index_folders(a) != 0)
		goto fail;
	free(buf);
	a->err = NULL;
	*out = a;
	return 0;
fail:
	if (err[0] == '\0')
		snprintf(err, errlen, "archive: out of memory");
	free(buf);
	archive_free(a);
	return -1;
}

const struct arc_entry *archive_csv(const struct archive *a)
{
	return &a->e[a->csv];
}

const struct arc_entry *archive_entries(const struct archive *a, size_t *n)
{
	*n = a->n;
	return a->e;
}

void archive_free(struct archive *a)
{
	size_t i;

	if (a == NULL)
		return;
	if (a->za != NULL)
		zip_discard(a->za);     /* frees its source */
	else if (a->src != NULL)
		zip_source_free(a->src);
	for (i = 0; i < a->n; i++)
		free(a->e[i].name);
	for (i = 0; i < a->nfolders; i++)
		free(a->folders[i]);
	for (i = 0; i < a->raw_count; i++)
		free(a->raw_names[i]);
	free(a->raw_names);
	free(a->folders);
	free(a->e);
	free(a->imgs);
	free(a->pick);
	free(a);
}
