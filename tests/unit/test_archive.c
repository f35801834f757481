/* test_archive.c: Check tests for common/archive: archives built here (libzip, then bytes patched for the hostile ones) against every rule of API.md §7 and the layout rules. */
#include <check.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "archive.h"
#include "testutil.h"
#include "tmpfile.h"

#define MiB (1024u * 1024u)

static const char JPG[] = "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00 jpeg body";
static const char PNG[] = "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR png body";
static const char CSV[] = "sku,name\nA1,Shirt\n";

struct zent {
	const char *name;
	const void *data;
	size_t len;             /* 0: strlen(data) */
	int store;              /* 1: ZIP_CM_STORE, else deflate */
};

/* The ZIP of ents, built in memory with libzip; malloc'd, *len its size. hook may alter entries. */
static unsigned char *mkzip_hook(const struct zent *z, size_t n, size_t *len,
    void (*hook)(zip_t *, zip_int64_t, const struct zent *))
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za;
	zip_stat_t st;
	unsigned char *out;
	size_t i;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	ck_assert_ptr_nonnull(src);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	ck_assert_ptr_nonnull(za);
	zip_source_keep(src);
	for (i = 0; i < n; i++) {
		size_t l = z[i].len ? z[i].len : z[i].data ? strlen(z[i].data) : 0;
		zip_int64_t idx;

		if (z[i].name[strlen(z[i].name) - 1] == '/') {
			idx = zip_dir_add(za, z[i].name, ZIP_FL_ENC_RAW);
		} else {
			zip_source_t *s = zip_source_buffer(za, z[i].data ? z[i].data : "", l, 0);

			idx = zip_file_add(za, z[i].name, s, ZIP_FL_ENC_RAW);
			ck_assert_msg(idx >= 0, "add %s: %s", z[i].name, zip_strerror(za));
			ck_assert_int_eq(zip_set_file_compression(za, (zip_uint64_t)idx,
			    z[i].store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 9), 0);
		}
		ck_assert_msg(idx >= 0, "add %s: %s", z[i].name, zip_strerror(za));
		if (hook)
			hook(za, idx, &z[i]);
	}
	ck_assert_msg(zip_close(za) == 0, "close: %s", zip_strerror(za));
	ck_assert_int_eq(zip_source_stat(src, &st), 0);
	*len = (size_t)st.size;
	out = malloc(*len + 1);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(zip_source_open(src), 0);
	ck_assert_int_eq(zip_source_read(src, out, *len), (zip_int64_t)*len);
	zip_source_close(src);
	zip_source_free(src);
	return out;
}

static unsigned char *mkzip(const struct zent *z, size_t n, size_t *len)
{
	return mkzip_hook(z, n, len, NULL);
}

static struct arc_limits lim_default(void)
{
	struct arc_limits l = { ARC_MAX_ENTRIES, 4ull << 30, 50u * MiB, 64u * MiB, ARC_RATIO,
		ARC_RATIO_FLOOR };
	return l;
}

/* Replace the first (all: every) occurrence of from by to (same length). The count replaced. */
static int patch(unsigned char *b, size_t n, const char *from, const char *to, size_t l, int all)
{
	size_t i;
	int k = 0;

	for (i = 0; i + l <= n; i++)
		if (memcmp(b + i, from, l) == 0) {
			memcpy(b + i, to, l);
			k++;
			if (!all)
				break;
		}
	ck_assert_int_gt(k, 0);
	return k;
}

/* Offset of the nth (0-based) header with signature sig. */
static size_t header_at(const unsigned char *b, size_t n, const char *sig, int nth)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (memcmp(b + i, sig, 4) == 0 && nth-- == 0)
			return i;
	ck_abort_msg("no header %d", nth);
	return 0;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static int open_mem(const unsigned char *z, size_t n, const struct arc_limits *l,
    struct archive **a, char *err)
{
	return archive_open(-1, z, n, l, a, err, ARC_ERR_MAX);
}

/* Expect archive_open of z to fail with want in its error. Frees z. */
static void expect_refused(unsigned char *z, size_t n, const struct arc_limits *l, const char *want)
{
	struct archive *a = NULL;
	char err[ARC_ERR_MAX];

	ck_assert_int_eq(open_mem(z, n, l, &a, err), -1);
	ck_assert_ptr_null(a);
	ck_assert_msg(strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"", err, want);
	free(z);
}

/* ---------------------------------------------------------------- good archives */

START_TEST(t_layout)
{
	const struct zent z[] = {
		{ "products.csv", CSV, 0, 0 },
		{ "A1/", NULL, 0, 0 },
		{ "A1/img10.png", PNG, sizeof PNG - 1, 0 },
		{ "A1/img2.png", PNG, sizeof PNG - 1, 0 },
		{ "A1/Cover.JPG", JPG, sizeof JPG - 1, 0 },
		{ "A1/notes.txt", "not an image", 0, 0 },
		{ "A1/fake.jpg", "text named .jpg", 0, 0 },
		{ "A1/sub/deep.jpg", JPG, sizeof JPG - 1, 0 },
		{ "A1/.DS_Store", "junk", 0, 0 },
		{ "__MACOSX/A1/._img2.png", "junk", 0, 0 },
		{ "Thumbs.db", "junk", 0, 0 },
		{ "B2/b10.jpg", JPG, sizeof JPG - 1, 1 },
		{ "B2/b9.jpg", JPG, sizeof JPG - 1, 0 },
		{ "C3/readme.txt", "no images", 0, 0 },
	};
	size_t n, k;
	unsigned char *b = mkzip(z, sizeof z / sizeof z[0], &n);
	struct arc_limits l = lim_default();
	struct archive *a;
	const struct arc_entry **im;
	char err[ARC_ERR_MAX];

	ck_assert_msg(open_mem(b, n, &l, &a, err) == 0, "%s", err);
	ck_assert_str_eq(archive_csv(a)->rel, "products.csv");
	ck_assert_int_eq(archive_folder_images(a, "A1", NULL, &im, &k), 1);
	ck_assert_uint_eq(k, 3);
	ck_assert_str_eq(im[0]->rel, "A1/Cover.JPG");
	ck_assert_str_eq(im[1]->rel, "A1/img2.png");
	ck_assert_str_eq(im[2]->rel, "A1/img10.png");
	ck_assert_int_eq(im[1]->type, MT_PNG);
	ck_assert_uint_eq(im[1]->size, sizeof PNG - 1);
	/* no cover stem, a hint: the hinted one first, the rest in natural order */
	ck_assert_int_eq(archive_folder_images(a, "B2", "b10.jpg", &im, &k), 1);
	ck_assert_uint_eq(k, 2);
	ck_assert_str_eq(im[0]->rel, "B2/b10.jpg");
	ck_assert_str_eq(im[1]->rel, "B2/b9.jpg");
	ck_assert_int_eq(archive_folder_images(a, "B2", "nope.jpg", &im, &k), 1);
	ck_assert_str_eq(im[0]->rel, "B2/b9.jpg");
	ck_assert_int_eq(archive_folder_images(a, "C3", NULL, &im, &k), 1);
	ck_assert_uint_eq(k, 0);
	ck_assert_int_eq(archive_folder_images(a, "D4", NULL, &im, &k), 0);
	ck_assert_int_eq(archive_folder_images(a, "A", NULL, &im, &k), 0);
	ck_assert_int_eq(archive_folder_images(a, "a1", NULL, &im, &k), 0);
	archive_free(a);
	free(b);
}
END_TEST

START_TEST(t_wrapped_and_stream)
{
	const struct zent z[] = {
		{ "Shop Export/", NULL, 0, 0 },
		{ "Shop Export/list.CSV", CSV, 0, 0 },
		{ "Shop Export/A1/a.jpg", JPG, sizeof JPG - 1, 0 },
		{ "__MACOSX/Shop Export/._list.CSV", "junk", 0, 0 },
	};
	size_t n, k, got = 0;
	unsigned char *b = mkzip(z, 4, &n);
	struct arc_limits l = lim_default();
	struct archive *a;
	const struct arc_entry **im;
	struct arc_stream *s;
	char err[ARC_ERR_MAX], buf[7], all[256];
	ssize_t r;
	int fd;

	/* from a file descriptor, as the worker does */
	fd = tmpfile_anon("test-archive");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
	ck_assert_msg(archive_open(fd, NULL, 0, &l, &a, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(archive_csv(a)->rel, "list.CSV");
	ck_assert_int_eq(archive_folder_images(a, "A1", NULL, &im, &k), 1);
	ck_assert_uint_eq(k, 1);
	s = archive_stream_open(a, im[0]);
	ck_assert_ptr_nonnull(s);
	while ((r = archive_stream_read(s, buf, sizeof buf)) > 0) {
		memcpy(all + got, buf, (size_t)r);
		got += (size_t)r;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(got, sizeof JPG - 1);
	ck_assert_mem_eq(all, JPG, got);
	archive_stream_close(s);
	archive_free(a);
	close(fd);
	free(b);
}
END_TEST

/* ---------------------------------------------------------------- names */

static const struct { const char *name, *rule; } bad_names[] = {
	{ "../evil.jpg", "escapes the archive root" },
	{ "A1/../../evil.jpg", "escapes the archive root" },
	{ "A1/..", "escapes the archive root" },
	{ "/etc/passwd", "absolute name" },
	{ "C:/x.jpg", "absolute name" },
	{ "A1\\x.jpg", "backslash" },
	{ "A1//x.jpg", "empty or '.' segment" },
	{ "./x.jpg", "empty or '.' segment" },
};

START_TEST(t_bad_name)
{
	const struct zent z[] = { { "p.csv", CSV, 0, 0 }, { bad_names[_i].name, JPG, 0, 0 } };
	size_t n;
	unsigned char *b = mkzip(z, 2, &n);
	struct arc_limits l = lim_default();
	char want[256];

	snprintf(want, sizeof want, "entry \"%s\": ", bad_names[_i].name);
	ck_assert_ptr_nonnull(strstr(archive_name_rule(bad_names[_i].name, strlen(bad_names[_i].name)),
	    bad_names[_i].rule));
	expect_refused(b, n, &l, bad_names[_i].rule);
	b = mkzip(z, 2, &n);
	expect_refused(b, n, &l, want);
}
END_TEST

START_TEST(t_name_rule_ok)
{
	ck_assert_ptr_null(archive_name_rule("A1/..x.jpg", 10));
	ck_assert_ptr_null(archive_name_rule("A1/", 3));
	ck_assert_ptr_null(archive_name_rule("a..b/c", 6));
	ck_assert_str_eq(archive_name_rule("", 0), "empty name");
	ck_assert_str_eq(archive_name_rule("a\0b", 3), "name holds a NUL byte");
}
END_TEST

START_TEST(t_nul_name)
{
	const struct zent z[] = { { "p.csv", CSV, 0, 0 }, { "A1/xQx.jpg", JPG, 0, 0 } };
	size_t n;
	unsigned char *b = mkzip(z, 2, &n);
	struct arc_limits l = lim_default();

	ck_assert_int_eq(patch(b, n, "xQx", "x\0x", 3, 1), 2);
	expect_refused(b, n, &l, "entry \"A1/x?x.jpg\": name holds a NUL byte");
}
END_TEST

/* ---------------------------------------------------------------- entry rules */

static void make_symlink(zip_t *za, zip_int64_t i, const struct zent *z)
{
	if (strcmp(z->name, "A1/link.jpg") == 0)
		ck_assert_int_eq(zip_file_set_external_attributes(za, (zip_uint64_t)i, 0, ZIP_OPSYS_UNIX,
		    (zip_uint32_t)(S_IFLNK | 0777) << 16), 0);
}

START_TEST(t_symlink)
{
	const struct zent z[] = { { "p.csv", CSV, 0, 0 }, { "A1/link.jpg", "/etc/passwd", 0, 1 } };
	size_t n;
	unsigned char *b = mkzip_hook(z, 2, &n, make_symlink);
	struct arc_limits l = lim_default();

	expect_refused(b, n, &l, "entry \"A1/link.jpg\": symbolic link");
}
END_TEST

static void make_encrypted(zip_t *za, zip_int64_t i, const struct zent *z)
{
	if (strcmp(z->name, "A1/secret.jpg") == 0)
		ck_assert_msg(zip_file_set_encryption(za, (zip_uint64_t)i, ZIP_EM_AES_256, "pw") == 0,
		    "libzip cannot encrypt: %s", zip_strerror(za));
}

START_TEST(t_encrypted)
{
	const struct zent z[] = { { "p.csv", CSV, 0, 0 }, { "A1/secret.jpg", JPG, 0, 0 } };
	size_t n;
	unsigned char *b = mkzip_hook(z, 2, &n, make_encrypted);
	struct arc_limits l = lim_default();

	expect_refused(b, n, &l, "entry \"A1/secret.jpg\": encrypted entry");
}
END_TEST

START_TEST(t_method)
{
	/* method 14 (LZMA) written into both headers of the stored entry */
	const struct zent z[] = { { "p.csv", CSV, 0, 1 }, { "A1/a.jpg", JPG, 0, 1 } };
	size_t n, loc, cen;
	unsigned char *b = mkzip(z, 2, &n);
	struct arc_limits l = lim_default();

	loc = header_at(b, n, "PK\3\4", 1);
	cen = header_at(b, n, "PK\1\2", 1);
	b[loc + 8] = 14;
	b[cen + 10] = 14;
	expect_refused(b, n, &l, "entry \"A1/a.jpg\": compression method other than store or deflate");
}
END_TEST

START_TEST(t_duplicate)
{
	const struct zent z[] = { { "p.csv", CSV, 0, 0 }, { "A1/a.jpg", JPG, 0, 0 },
		{ "A1/b.jpg", JPG, 0, 0 } };
	size_t n;
	unsigned char *b = mkzip(z, 3, &n);
	struct arc_limits l = lim_default();

	ck_assert_int_eq(patch(b, n, "A1/b.jpg", "A1/a.jpg", 8, 1), 2);
	expect_refused(b, n, &l, "entry \"A1/a.jpg\": duplicate name");
}
END_TEST

START_TEST(t_local_header_name)
{
	const struct zent z[] = { { "p.csv", CSV, 0, 0 }, { "A1/q.jpg", JPG, 0, 0 } };
	size_t n;
	unsigned char *b = mkzip(z, 2, &n);
	struct arc_limits l = lim_default();

	patch(b, n, "A1/q.jpg", "A1/r.jpg", 8, 0);      /* the local header comes first */
	expect_refused(b, n, &l, "entry \"A1/q.jpg\": local header disagrees with the central directory");
}
END_TEST

/* The central directory says 10 bytes where the local header says more. */
START_TEST(t_cdir_lies_size)
{
	const struct zent z[] = { { "p.csv", CSV, 0, 0 }, { "A1/q.jpg", JPG, 0, 0 } };
	size_t n, cen;
	unsigned char *b = mkzip(z, 2, &n);
	struct arc_limits l = lim_default();

	cen = header_at(b, n, "PK\1\2", 1);
	put32(b + cen + 24, 10);
	expect_refused(b, n, &l, "entry \"A1/q.jpg\": local header disagrees with the central directory");
}
END_TEST

/* Both headers lie alike (10 bytes, deflated data holds 4 MiB): the bytes are counted, not believed. */
START_TEST(t_both_lie_size)
{
	unsigned char *big = calloc(1, 4 * MiB);
	struct zent z[] = { { "p.csv", CSV, 0, 0 }, { "A1/q.jpg", NULL, 4 * MiB, 0 } };
	size_t n, loc, cen;
	unsigned char *b;
	struct arc_limits l = lim_default();

	memcpy(big, JPG, sizeof JPG - 1);
	z[1].data = big;
	b = mkzip(z, 2, &n);
	loc = header_at(b, n, "PK\3\4", 1);
	cen = header_at(b, n, "PK\1\2", 1);
	put32(b + loc + 22, 10);
	put32(b + cen + 24, 10);
	l.ratio = 1000000;      /* leave the ratio rule out: the size check alone */
	expect_refused(b, n, &l, "entry \"A1/q.jpg\": inflates past the size its headers declare");
	free(big);
}
END_TEST

START_TEST(t_too_many_entries)
{
	size_t cnt = ARC_MAX_ENTRIES + _i, i, n;
	struct zent *z = calloc(cnt, sizeof *z);
	char (*names)[32] = calloc(cnt, sizeof *names);
	unsigned char *b;
	struct arc_limits l = lim_default();
	struct archive *a;
	char err[ARC_ERR_MAX];

	z[0] = (struct zent){ "p.csv", CSV, 0, 1 };
	for (i = 1; i < cnt; i++) {
		snprintf(names[i], sizeof names[i], "A1/%zu.txt", i);
		z[i] = (struct zent){ names[i], "x", 0, 1 };
	}
	b = mkzip(z, cnt, &n);
	if (_i == 0) {
		ck_assert_msg(open_mem(b, n, &l, &a, err) == 0, "%s", err);
		archive_free(a);
		free(b);
	} else {
		expect_refused(b, n, &l, "archive: more than 10,000 entries");
	}
	free(z);
	free(names);
}
END_TEST

/* ---------------------------------------------------------------- sizes */

START_TEST(t_total_cap)
{
	char *d = malloc(3000);
	struct zent z[] = { { "p.csv", CSV, 0, 0 }, { "A1/a.bin", NULL, 1500, 1 },
		{ "A1/b.bin", NULL, 1500, 1 } };
	size_t n;
	unsigned char *b;
	struct arc_limits l = lim_default();
	struct archive *a;
	char err[ARC_ERR_MAX];

	memset(d, 'q', 3000);
	z[1].data = z[2].data = d;
	b = mkzip(z, 3, &n);
	l.max_total = 3000 + strlen(CSV);
	ck_assert_msg(open_mem(b, n, &l, &a, err) == 0, "%s", err);
	archive_free(a);
	l.max_total--;
	expect_refused(b, n, &l, "entry \"A1/b.bin\": the archive inflates past BULK_MAX_UNCOMPRESSED_BYTES");
	free(d);
}
END_TEST

START_TEST(t_ratio)
{
	/* 2 MiB of zeros deflates ~1000:1: refused; 900 KiB of them (under the floor) passes */
	unsigned char *d = calloc(1, 2 * MiB);
	struct zent z[] = { { "p.csv", CSV, 0, 0 }, { "A1/zero.bin", NULL, 2 * MiB, 0 } };
	size_t n;
	unsigned char *b;
	struct arc_limits l = lim_default();
	struct archive *a;
	char err[ARC_ERR_MAX];

	z[1].data = d;
	b = mkzip(z, 2, &n);
	expect_refused(b, n, &l, "entry \"A1/zero.bin\": inflates to more than 100 times its compressed size");
	z[1].len = 900 * 1024;
	b = mkzip(z, 2, &n);
	ck_assert_msg(open_mem(b, n, &l, &a, err) == 0, "%s", err);
	archive_free(a);
	free(b);
	/* stored, 2 MiB: ratio 1 */
	z[1].len = 2 * MiB;
	z[1].store = 1;
	b = mkzip(z, 2, &n);
	ck_assert_msg(open_mem(b, n, &l, &a, err) == 0, "%s", err);
	archive_free(a);
	free(b);
	free(d);
}
END_TEST

START_TEST(t_image_cap)
{
	char img[300], txt[300];
	struct zent z[] = { { "p.csv", CSV, 0, 0 }, { "A1/notes.txt", txt, 300, 0 },
		{ "A1/big.jpg", img, 300, 0 } };
	size_t n;
	unsigned char *b;
	struct arc_limits l = lim_default();
	struct archive *a;
	char err[ARC_ERR_MAX];

	memset(img, 'j', sizeof img);
	memcpy(img, JPG, sizeof JPG - 1);
	memset(txt, 't', sizeof txt);
	b = mkzip(z, 3, &n);
	l.max_image = 300;
	ck_assert_msg(open_mem(b, n, &l, &a, err) == 0, "%s", err);
	archive_free(a);
	l.max_image = 299;      /* the text file of the same size is no image: not counted */
	expect_refused(b, n, &l, "entry \"A1/big.jpg\": image larger than MAX_UPLOAD_SIZE");
}
END_TEST

/* ---------------------------------------------------------------- the whole archive */

START_TEST(t_no_csv)
{
	const struct zent z[] = { { "A1/a.jpg", JPG, 0, 0 }, { "notes.txt", "x", 0, 0 },
		{ "A1/p.csv", CSV, 0, 0 } };
	size_t n;
	unsigned char *b = mkzip(z, 3, &n);
	struct arc_limits l = lim_default();

	expect_refused(b, n, &l, "archive: no CSV file at the root");
}
END_TEST

START_TEST(t_two_csv)
{
	const struct zent z[] = { { "a.csv", CSV, 0, 0 }, { "b.csv", CSV, 0, 0 } };
	size_t n;
	unsigned char *b = mkzip(z, 2, &n);
	struct arc_limits l = lim_default();

	expect_refused(b, n, &l, "entry \"b.csv\": a second CSV at the root");
}
END_TEST

START_TEST(t_truncated)
{
	const struct zent z[] = { { "p.csv", CSV, 0, 0 }, { "A1/a.jpg", JPG, 0, 0 } };
	size_t n, cut[] = { 0, 3, 30, 0, 0, 0 };
	unsigned char *b = mkzip(z, 2, &n), *c;
	struct arc_limits l = lim_default();

	cut[3] = n / 2;
	cut[4] = n - 10;
	cut[5] = n - 1;
	c = malloc(n);
	memcpy(c, b, cut[_i]);
	expect_refused(c, cut[_i], &l, "archive: ");
	free(b);
}
END_TEST

START_TEST(t_not_zip)
{
	unsigned char *b = malloc(4096);
	struct arc_limits l = lim_default();
	size_t i;

	for (i = 0; i < 4096; i++)
		b[i] = (unsigned char)(i * 7 + 3);
	expect_refused(b, 4096, &l, "archive: not a ZIP archive");
}
END_TEST

/*
 * 42.zip style: a zip of zips of zips whose innermost files are MiBs of zeros. Nested archives
 * are plain files to us (never opened): the outer archive passes, the bytes counted are only
 * the outer layer's; an innermost layer at the top is refused by the ratio rule.
 */
START_TEST(t_nested_bomb)
{
	unsigned char *zero = calloc(1, 8 * MiB), *inner, *mid, *outer;
	struct zent zi[4], zm[4], zo[3];
	size_t ni, nm, no, i, cnt;
	struct arc_limits l = lim_default();
	struct archive *a;
	const struct arc_entry *e;
	char err[ARC_ERR_MAX], names[4][24];
	uint64_t total = 0;

	for (i = 0; i < 4; i++) {
		snprintf(names[i], sizeof names[i], "%zu.bin", i);
		zi[i] = (struct zent){ names[i], zero, 8 * MiB, 0 };
	}
	inner = mkzip(zi, 4, &ni);
	for (i = 0; i < 4; i++) {
		snprintf(names[i], sizeof names[i], "%zu.zip", i);
		zm[i] = (struct zent){ names[i], inner, ni, 0 };
	}
	mid = mkzip(zm, 4, &nm);
	zo[0] = (struct zent){ "p.csv", CSV, 0, 0 };
	zo[1] = (struct zent){ "A1/a.jpg", JPG, 0, 0 };
	zo[2] = (struct zent){ "A1/42.zip", mid, nm, 0 };
	outer = mkzip(zo, 3, &no);
	ck_assert_msg(open_mem(outer, no, &l, &a, err) == 0, "%s", err);
	e = archive_entries(a, &cnt);
	for (i = 0; i < cnt; i++)
		total += e[i].size;
	ck_assert_uint_eq(total, strlen(CSV) + strlen(JPG) + nm);
	ck_assert_int_eq(e[2].type, MT_ZIP);
	ck_assert_int_eq(e[2].kind, AK_OTHER);
	archive_free(a);
	free(outer);
	/* the innermost layer itself as an entry */
	zo[2] = (struct zent){ "A1/0.bin", zero, 8 * MiB, 0 };
	outer = mkzip(zo, 3, &no);
	expect_refused(outer, no, &l, "entry \"A1/0.bin\": inflates to more than 100 times");
	free(inner);
	free(mid);
	free(zero);
}
END_TEST

static int stop_at_third(void *ctx)
{
	return ++*(int *)ctx >= 3;
}

/* The progress hook runs while inflating and stops archive_open when it says so. */
START_TEST(t_progress_stops)
{
	unsigned char *d = calloc(1, 512 * 1024);
	struct zent z[] = { { "p.csv", CSV, 0, 0 }, { "A1/x.bin", NULL, 512 * 1024, 1 } };
	size_t n;
	unsigned char *b;
	struct arc_limits l = lim_default();
	int calls = 0;

	z[1].data = d;
	b = mkzip(z, 2, &n);
	l.progress = stop_at_third;
	l.progress_ctx = &calls;
	expect_refused(b, n, &l, "archive: stopped");
	ck_assert_int_eq(calls, 3);
	free(d);
}
END_TEST

START_TEST(t_natcmp)
{
	ck_assert_int_lt(archive_natcmp("img2.jpg", "img10.jpg"), 0);
	ck_assert_int_gt(archive_natcmp("img10.jpg", "img9.jpg"), 0);
	ck_assert_int_lt(archive_natcmp("a.jpg", "b.jpg"), 0);
	ck_assert_int_eq(archive_natcmp("x007", "x7"), 0);
	ck_assert_int_lt(archive_natcmp("x", "x1"), 0);
	ck_assert_int_lt(archive_natcmp("1a", "a"), 0);
	ck_assert_int_lt(archive_natcmp("99999999999999999999999", "100000000000000000000000"), 0);
	ck_assert(archive_is_junk("__MACOSX/x"));
	ck_assert(archive_is_junk("Shop/__MACOSX/x"));
	ck_assert(archive_is_junk("A1/.DS_Store"));
	ck_assert(archive_is_junk("Thumbs.db"));
	ck_assert(!archive_is_junk("A1/thumbs.db.jpg"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("archive");
	TCase *tc = tcase_create("archive");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_layout);
	tcase_add_test(tc, t_wrapped_and_stream);
	tcase_add_loop_test(tc, t_bad_name, 0, (int)(sizeof bad_names / sizeof bad_names[0]));
	tcase_add_test(tc, t_name_rule_ok);
	tcase_add_test(tc, t_nul_name);
	tcase_add_test(tc, t_symlink);
	tcase_add_test(tc, t_encrypted);
	tcase_add_test(tc, t_method);
	tcase_add_test(tc, t_duplicate);
	tcase_add_test(tc, t_local_header_name);
	tcase_add_test(tc, t_cdir_lies_size);
	tcase_add_test(tc, t_both_lie_size);
	tcase_add_loop_test(tc, t_too_many_entries, 0, 2);
	tcase_add_test(tc, t_total_cap);
	tcase_add_test(tc, t_ratio);
	tcase_add_test(tc, t_image_cap);
	tcase_add_test(tc, t_no_csv);
	tcase_add_test(tc, t_two_csv);
	tcase_add_loop_test(tc, t_truncated, 0, 6);
	tcase_add_test(tc, t_not_zip);
	tcase_add_test(tc, t_nested_bomb);
	tcase_add_test(tc, t_progress_stops);
	tcase_add_test(tc, t_natcmp);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite()) == 0 ? 0 : 1;
}
