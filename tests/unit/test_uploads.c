/* test_uploads.c: the filename sanitiser as a table of hostile names; upload tokens (Check). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "buf.h"
#include "filename.h"
#include "upkey.h"
#include "uprecord.h"
#include "uptoken.h"
#include "testutil.h"

static const struct { const char *in; size_t len; const char *want; } names[] = {
	{ ".htaccess", 0, "htaccess" },
	{ "???.png", 0, "file.png" },
	{ "a..b....png", 0, "a.b.png" },
	{ "h\xc3\xa9llo w\xc3\xb6rld.png", 0, "h_llo_w_rld.png" },
	{ "photo_01.final.png", 0, "photo_01.final.png" },
	{ "../../etc/passwd", 0, "passwd" },
	{ "..\\..\\windows\\system32\\cmd.exe", 0, "cmd.exe" },
	{ "C:\\Users\\x\\photo.JPG", 0, "photo.jpg" },
	{ "/abs/path/x.png", 0, "x.png" },
	{ "dir/", 0, "file" },
	{ "", 0, "file" },
	{ ".", 0, "file" },
	{ "..", 0, "file" },
	{ "...png", 0, "file.png" },
	{ "abc.", 0, "abc" },
	{ "a.tar.gz", 0, "a.tar.gz" },
	{ "x.p!n@g", 0, "x.png" },
	{ "x.<script>", 0, "x.script" },
	{ "<script>alert(1)</script>.html", 0, "script.html" },
	{ "<b>alert(1).html", 0, "b_alert_1.html" },
	{ "a\0b.png", 7, "a_b.png" },
	{ "a\r\nb.png", 0, "a_b.png" },
	{ "--_-x-_--.png", 0, "x.png" },
	{ "x.verylongextension123456789", 0, "x.verylongextensio" },
	{ "x.\xff\xfe", 0, "x" },
	{ "$(rm -rf).png", 0, "rm_-rf.png" },
	{ "%2e%2e%2fx.png", 0, "2e_2e_2fx.png" },
	{ "name with  spaces .jpeg", 0, "name_with_spaces.jpeg" },
	{ "UPPER.PNG", 0, "UPPER.png" },
};

/* §4.1 step (5): the key's extension follows the declared type. */
static const struct { const char *in, *type, *want; } typed[] = {
	{ ".htaccess", "image/png", "htaccess.png" },
	{ "x.php", "image/png", "x_php.png" },
	{ "x.PHP", "IMAGE/PNG", "x_php.png" },
	{ "photo.JPG", "image/jpeg", "photo.jpg" },
	{ "photo.jpeg", "image/jpeg", "photo.jpeg" },
	{ "photo.png", "image/jpeg", "photo_png.jpg" },
	{ "???.png", "image/png", "file.png" },
	{ "???.php", "image/png", "file_php.png" },
	{ "a..b....png", "image/png", "a.b.png" },
	{ "h\xc3\xa9llo w\xc3\xb6rld.png", "image/png", "h_llo_w_rld.png" },
	{ "photo_01.final.png", "image/png", "photo_01.final.png" },
	{ "x.php.png", "image/png", "x.php.png" },
	{ "x.png.php", "image/png", "x.png_php.png" },
	{ "x.shtml", "image/gif", "x_shtml.gif" },
	{ "run.cgi", "application/pdf", "run_cgi.pdf" },
	{ "noext", "video/mp4", "noext.mp4" },
	{ "abc.", "audio/mpeg", "abc.mp3" },
	{ "a.tar.gz", "application/zip", "a.tar_gz.zip" },
	{ "x.<?php>", "image/webp", "x_php.webp" },
	{ "x.phtml\xff", "image/avif", "x_phtml.avif" },
	{ "--.php", "image/png", "file_php.png" },
};

START_TEST(test_safe_filename_typed)
{
	char out[SAFE_FILENAME_MAX + 1];

	ck_assert_int_eq(safe_filename_typed(typed[_i].in, strlen(typed[_i].in), typed[_i].type, out), 0);
	ck_assert_msg(strcmp(out, typed[_i].want) == 0, "case %d: got '%s' want '%s'", _i, out, typed[_i].want);
}
END_TEST

START_TEST(test_safe_filename_typed_edges)
{
	char in[600], out[SAFE_FILENAME_MAX + 1];

	/* an unknown type is refused, never given a client's extension */
	ck_assert_int_eq(safe_filename_typed("x.png", 5, "text/html", out), -1);
	/* a long stem and a joined extension still fit in 200 with the type's extension */
	memset(in, 'a', sizeof(in));
	memcpy(in + 580, ".phpphpphpphpphpp", 17);
	ck_assert_int_eq(safe_filename_typed(in, 597, "image/jpeg", out), 0);
	ck_assert_uint_eq(strlen(out), SAFE_FILENAME_MAX);
	ck_assert_str_eq(out + SAFE_FILENAME_MAX - 4, ".jpg");
}
END_TEST

START_TEST(test_safe_filename)
{
	char out[SAFE_FILENAME_MAX + 1];
	size_t len = names[_i].len ? names[_i].len : strlen(names[_i].in);

	ck_assert_int_eq(safe_filename(names[_i].in, len, out), 0);
	ck_assert_msg(strcmp(out, names[_i].want) == 0, "case %d: got '%s' want '%s'", _i, out, names[_i].want);
	ck_assert(strstr(out, "..") == NULL && out[0] != '.');
}
END_TEST

START_TEST(test_safe_filename_long)
{
	char in[600], out[SAFE_FILENAME_MAX + 1];

	memset(in, 'a', sizeof(in));
	in[590] = '.';
	memcpy(in + 591, "png", 3);
	ck_assert_int_eq(safe_filename(in, 594, out), 0);
	ck_assert_uint_eq(strlen(out), SAFE_FILENAME_MAX);
	ck_assert_str_eq(out + SAFE_FILENAME_MAX - 4, ".png");
	/* a cut that lands after a '.' must not leave ".." */
	memset(in, 'b', sizeof(in));
	in[195] = '.';
	in[196] = '.';
	in[300] = '.';
	memcpy(in + 301, "jpg", 3);
	ck_assert_int_eq(safe_filename(in, 304, out), 0);
	ck_assert(strstr(out, "..") == NULL);
	ck_assert(strlen(out) <= SAFE_FILENAME_MAX);
}
END_TEST

static const char secret[] = "0123456789abcdef0123456789abcdef";

static char *issue(struct uptoken *t, long long exp)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->key, "temp/0123_1700000000_a.png");
	strcpy(t->content_type, "image/png");
	t->size = 1234;
	t->exact = 1;
	t->expires = exp;
	return uptoken_issue(t, secret);
}

START_TEST(test_token_roundtrip)
{
	struct uptoken t, v;
	char *tok = issue(&t, 2000);

	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(uptoken_verify(tok, strlen(tok), secret, 1999, &v), UPTOKEN_OK);
	ck_assert_str_eq(v.key, t.key);
	ck_assert_str_eq(v.content_type, "image/png");
	ck_assert_int_eq(v.size, 1234);
	ck_assert_int_eq(v.exact, 1);
	ck_assert_str_eq(v.nonce, t.nonce);
	ck_assert_uint_eq(strlen(v.nonce), UPTOKEN_NONCE_LEN);
	ck_assert_int_eq(uptoken_verify(tok, strlen(tok), secret, 2000, &v), UPTOKEN_EXPIRED);
	ck_assert_int_eq(uptoken_verify(tok, strlen(tok), "another-secret-0123456789", 1999, &v), UPTOKEN_INVALID);
	free(tok);
}
END_TEST

START_TEST(test_token_tamper)
{
	struct uptoken t, v;
	char *tok = issue(&t, 2000);
	size_t i, n = strlen(tok);

	/* every single-character change is refused */
	for (i = 0; i < n; i++) {
		char save = tok[i];
		tok[i] = save == 'A' ? 'B' : 'A';
		ck_assert_msg(uptoken_verify(tok, n, secret, 1999, &v) == UPTOKEN_INVALID, "position %zu accepted", i);
		tok[i] = save;
	}
	ck_assert_int_eq(uptoken_verify(tok, n - 1, secret, 1999, &v), UPTOKEN_INVALID);
	ck_assert_int_eq(uptoken_verify("", 0, secret, 1999, &v), UPTOKEN_INVALID);
	ck_assert_int_eq(uptoken_verify("abc", 3, secret, 1999, &v), UPTOKEN_INVALID);
	ck_assert_int_eq(uptoken_verify("abc.def", 7, secret, 1999, &v), UPTOKEN_INVALID);
	free(tok);
}
END_TEST

START_TEST(test_token_unique)
{
	struct uptoken a, b;
	char *t1 = issue(&a, 2000), *t2 = issue(&b, 2000);

	ck_assert_str_ne(a.nonce, b.nonce);
	ck_assert_str_ne(t1, t2);
	free(t1);
	free(t2);
}
END_TEST

/* uprecord's array literals: every element quoted, " and \ escaped, NULL bare; a full
 * buffer leaves the literal as it was. */
START_TEST(test_array_literal)
{
	struct buf b;

	buf_init(&b, 64);
	ck_assert_int_eq(uprecord_array_add(&b, "plain", 0), 0);
	ck_assert_int_eq(uprecord_array_add(&b, NULL, 1), 0);
	ck_assert_int_eq(uprecord_array_add(&b, "a\"b\\c,{}", 2), 0);
	ck_assert_int_eq(uprecord_array_add(&b, "", 3), 0);
	ck_assert_str_eq(buf_cstr(&b), "{\"plain\",NULL,\"a\\\"b\\\\c,{}\",\"\"");
	ck_assert_int_eq(uprecord_array_add(&b, "0123456789012345678901234567890123456789", 4), -1);
	ck_assert_str_eq(buf_cstr(&b), "{\"plain\",NULL,\"a\\\"b\\\\c,{}\",\"\"");
	buf_free(&b);
}
END_TEST

/* upkey: the id of an issued key, and a wait only for a key issued in the last seconds. */
START_TEST(test_upkey)
{
	char id[UUID_STR_LEN + 1], key[128];
	struct timespec t0, t1;

	ck_assert_int_eq(upkey_id("temp/0123456789abcdef0123456789ABCDEF_1700000000_a.png", id), 0);
	ck_assert_str_eq(id, "01234567-89ab-cdef-0123-456789abcdef");
	ck_assert_int_eq(upkey_id("temp/0123456789abcdef0123456789abcdeg_1_a.png", id), -1);
	ck_assert_int_eq(upkey_id("temp/0123456789abcdef0123456789abcdef", id), -1);
	ck_assert_int_eq(upkey_id("media/0123456789abcdef0123456789abcdef_1_a", id), -1);
	snprintf(key, sizeof(key), "temp/0123456789abcdef0123456789abcdef_%lld_a.png", (long long)time(NULL));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(upkey_wait(key, 0), 1);
	ck_assert_int_eq(upkey_wait(key, 5), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 66);
	ck_assert_int_eq(upkey_wait(key, 6), 0);
	snprintf(key, sizeof(key), "temp/0123456789abcdef0123456789abcdef_%lld_a.png", (long long)time(NULL) - 60);
	ck_assert_int_eq(upkey_wait(key, 0), 0);
	ck_assert_int_eq(upkey_wait("temp/0123456789abcdef0123456789abcdef_x_a.png", 0), 0);
	ck_assert_int_eq(upkey_wait("temp/short", 0), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("uploads");
	TCase *t = tcase_create("uploads");
	int failed;

	tcase_add_loop_test(t, test_safe_filename, 0, (int)(sizeof(names) / sizeof(names[0])));
	tcase_add_test(t, test_safe_filename_long);
	tcase_add_loop_test(t, test_safe_filename_typed, 0, (int)(sizeof(typed) / sizeof(typed[0])));
	tcase_add_test(t, test_safe_filename_typed_edges);
	tcase_add_test(t, test_token_roundtrip);
	tcase_add_test(t, test_token_tamper);
	tcase_add_test(t, test_token_unique);
	tcase_add_test(t, test_array_literal);
	tcase_add_test(t, test_upkey);
	suite_add_tcase(s, t);
	failed = tu_run(s);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
