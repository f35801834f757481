/* test_files.c: table tests for the storage-path validator, the per-segment URL encoder,
 * the private-prefix test and utf8_lossy (common/valid.c), as /files uses them (Check). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "route.h"
#include "valid.h"
#include "testutil.h"

#define S(lit) lit, sizeof(lit) - 1     /* a literal with its length (NUL bytes included) */

/* ---- valid_storage_path + pct_encode_path, on decoded input (what the route layer gives) ---- */
static const struct {
	const char *name;
	const char *in;
	size_t len;
	enum vsp want;
	const char *key;     /* normalised key (VSP_OK) */
	const char *enc;     /* its URL form */
} pcases[] = {
	{ "plain", S("ok/dir/f.png"), VSP_OK, "ok/dir/f.png", "ok/dir/f.png" },
	{ "temp_key", S("temp/0123abcd_1700000000_photo_01.final.png"), VSP_OK,
	  "temp/0123abcd_1700000000_photo_01.final.png", "temp/0123abcd_1700000000_photo_01.final.png" },
	{ "unreserved_kept", S("a-b_c.d~e/F9"), VSP_OK, "a-b_c.d~e/F9", "a-b_c.d~e/F9" },
	{ "space", S("my file.png"), VSP_OK, "my file.png", "my%20file.png" },
	{ "plus", S("a+b.png"), VSP_OK, "a+b.png", "a%2Bb.png" },
	{ "unicode", S("t\xc3\xabst/\xe6\x97\xa5\xe6\x9c\xac.png"), VSP_OK,
	  "t\xc3\xabst/\xe6\x97\xa5\xe6\x9c\xac.png", "t%C3%ABst/%E6%97%A5%E6%9C%AC.png" },
	{ "emoji", S("\xf0\x9f\x98\x80.gif"), VSP_OK, "\xf0\x9f\x98\x80.gif", "%F0%9F%98%80.gif" },
	{ "reserved_encoded", S("a?b#c;d&e=f"), VSP_OK, "a?b#c;d&e=f", "a%3Fb%23c%3Bd%26e%3Df" },
	{ "colon_later_segment", S("a/b:c.png"), VSP_OK, "a/b:c.png", "a/b%3Ac.png" },
	{ "percent_not_escape", S("100%.png"), VSP_OK, "100%.png", "100%25.png" },
	{ "percent_bad_hex", S("a%zz"), VSP_OK, "a%zz", "a%25zz" },
	{ "three_dots", S("a/.../b"), VSP_OK, "a/.../b", "a/.../b" },
	{ "dotfile", S("temp/.htaccess"), VSP_OK, "temp/.htaccess", "temp/.htaccess" },
	{ "dot_segments_dropped", S("./a/./b/."), VSP_OK, "a/b", "a/b" },
	{ "empty_segments_dropped", S("a//b/"), VSP_OK, "a/b", "a/b" },
	{ "quote_lt", S("a\"<b>'"), VSP_OK, "a\"<b>'", "a%22%3Cb%3E%27" },
	{ "high_latin1_valid", S("\xc2\xa0"), VSP_OK, "\xc2\xa0", "%C2%A0" },
	/* empty */
	{ "empty", S(""), VSP_EMPTY, NULL, NULL },
	{ "dot", S("."), VSP_EMPTY, NULL, NULL },
	{ "dot_slash", S("./"), VSP_EMPTY, NULL, NULL },
	/* traversal */
	{ "dotdot", S(".."), VSP_BAD, NULL, NULL },
	{ "dotdot_x", S("../x"), VSP_BAD, NULL, NULL },
	{ "a_dotdot_dotdot_x", S("a/../../x"), VSP_BAD, NULL, NULL },
	{ "inner_dotdot", S("a/../b"), VSP_BAD, NULL, NULL },
	{ "trailing_dotdot", S("a/.."), VSP_BAD, NULL, NULL },
	{ "pct2e_after_decoding", S("../x"), VSP_BAD, NULL, NULL },     /* %2e%2e/x decoded once */
	{ "double_encoded_dotdot", S("%2e%2e/x"), VSP_BAD, NULL, NULL },/* %252e%252e/x decoded once */
	{ "double_encoded_upper", S("a/%2E%2E/x"), VSP_BAD, NULL, NULL },
	{ "double_encoded_half", S(".%2e/x"), VSP_BAD, NULL, NULL },
	{ "triple_encoded_dotdot", S("a/%252e%252e/x"), VSP_BAD, NULL, NULL },
	{ "double_encoded_dot", S("a/%2e/b"), VSP_BAD, NULL, NULL },
	{ "double_encoded_slash", S("a%2fb"), VSP_BAD, NULL, NULL },
	{ "double_encoded_dotdot_slash", S("%2e%2e%2fx"), VSP_BAD, NULL, NULL },
	{ "double_encoded_backslash", S("a%5cb"), VSP_BAD, NULL, NULL },
	{ "double_encoded_nul", S("a%00b"), VSP_BAD, NULL, NULL },
	{ "double_encoded_scheme", S("https%3a/x"), VSP_BAD, NULL, NULL },
	{ "backslash", S("a\\b"), VSP_BAD, NULL, NULL },
	{ "backslash_dotdot", S("..\\x"), VSP_BAD, NULL, NULL },
	{ "nul", S("a\0b"), VSP_BAD, NULL, NULL },
	{ "tab", S("a\tb"), VSP_BAD, NULL, NULL },
	{ "newline", S("a\r\nLocation: x"), VSP_BAD, NULL, NULL },
	{ "del", S("a\x7f"), VSP_BAD, NULL, NULL },
	{ "absolute", S("/abs"), VSP_BAD, NULL, NULL },
	{ "absolute_etc", S("/etc/passwd"), VSP_BAD, NULL, NULL },
	{ "slash_only", S("/"), VSP_BAD, NULL, NULL },
	{ "url", S("https://evil/x.png"), VSP_BAD, NULL, NULL },
	{ "url_after_dot", S("./https://evil/x.png"), VSP_BAD, NULL, NULL },
	{ "drive", S("c:/x"), VSP_BAD, NULL, NULL },
	{ "drive_no_slash", S("C:x"), VSP_BAD, NULL, NULL },
	{ "invalid_utf8", S("\xff.png"), VSP_BAD, NULL, NULL },
	{ "overlong_dots", S("\xc0\xae\xc0\xae/x"), VSP_BAD, NULL, NULL },
	{ "surrogate", S("\xed\xa0\x80"), VSP_BAD, NULL, NULL },
	{ "truncated_utf8", S("a\xe2\x9c"), VSP_BAD, NULL, NULL },
};

START_TEST(test_storage_path)
{
	char *key = (char *)"sentinel", *enc;
	enum vsp got = valid_storage_path(pcases[_i].in, pcases[_i].len, &key);

	ck_assert_msg(got == pcases[_i].want, "%s: got %d, want %d", pcases[_i].name, got, pcases[_i].want);
	if (got != VSP_OK) {
		ck_assert_msg(key == NULL, "%s: key must be NULL on refusal", pcases[_i].name);
		return;
	}
	ck_assert_msg(strcmp(key, pcases[_i].key) == 0, "%s: key %s", pcases[_i].name, key);
	enc = pct_encode_path(key, strlen(key));
	ck_assert_ptr_nonnull(enc);
	ck_assert_msg(strcmp(enc, pcases[_i].enc) == 0, "%s: encoded %s", pcases[_i].name, enc);
	free(enc);
	free(key);
}
END_TEST

START_TEST(test_storage_path_length)
{
	char in[LIM_STORAGE_KEY + 8], *key;

	memset(in, 'a', sizeof(in));
	in[1] = '/';
	ck_assert_int_eq(valid_storage_path(in, LIM_STORAGE_KEY, &key), VSP_OK);
	ck_assert_uint_eq(strlen(key), LIM_STORAGE_KEY);
	free(key);
	ck_assert_int_eq(valid_storage_path(in, LIM_STORAGE_KEY + 1, &key), VSP_BAD);
	/* dropped segments do not count: "./" + 1024 bytes is a 1024-byte key */
	in[0] = '.';
	memset(in + 1, '/', 3);
	ck_assert_int_eq(valid_storage_path(in, LIM_STORAGE_KEY + 4, &key), VSP_OK);
	ck_assert_uint_eq(strlen(key), LIM_STORAGE_KEY);
	free(key);
}
END_TEST

/* Every byte but the unreserved ones and '/' is escaped; the result decodes back. */
START_TEST(test_encode_all_bytes)
{
	char in[256], *enc, *dec;
	size_t i, dl;

	for (i = 0; i < 256; i++)
		in[i] = (char)i;
	enc = pct_encode_path(in, 256);
	ck_assert_ptr_nonnull(enc);
	for (i = 0; enc[i]; i++)
		ck_assert_msg(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/%", enc[i]),
		    "byte %02x left raw", (unsigned char)enc[i]);
	ck_assert_uint_eq(strlen(enc), 67 + 189 * 3);    /* 62 alnum, "-._~" and "/" kept */
	dec = pct_decode(enc, strlen(enc), 0, &dl);
	ck_assert_uint_eq(dl, 256);
	ck_assert_int_eq(memcmp(dec, in, 256), 0);
	free(dec);
	free(enc);
}
END_TEST

/* ---- raw wire spellings through the route layer, then the validator ---- */
static const struct { const char *raw; enum vsp want; const char *key; } wcases[] = {
	{ "/files/ok/a%20b.png", VSP_OK, "ok/a b.png" },
	{ "/files/temp/x.png", VSP_OK, "temp/x.png" },
	{ "/files/temp/a%2Bb+c.png", VSP_OK, "temp/a+b+c.png" },
	{ "/files/", VSP_EMPTY, NULL },
	{ "/files/../x", VSP_BAD, NULL },
	{ "/files/a/../../x", VSP_BAD, NULL },
	{ "/files/%2e%2e/x", VSP_BAD, NULL },
	{ "/files/%2E%2E/x", VSP_BAD, NULL },
	{ "/files/.%2e/x", VSP_BAD, NULL },
	{ "/files/%252e%252e/x", VSP_BAD, NULL },
	{ "/files/%25252e%25252e/x", VSP_BAD, NULL },
	{ "/files/..%2fx", VSP_BAD, NULL },
	{ "/files/..%5cx", VSP_BAD, NULL },
	{ "/files/a%5cb", VSP_BAD, NULL },
	{ "/files/a%00b", VSP_BAD, NULL },
	{ "/files/a%0d%0aX:y", VSP_BAD, NULL },
	{ "/files//etc/passwd", VSP_BAD, NULL },
	{ "/files/%2fetc/passwd", VSP_BAD, NULL },
	{ "/files/https://evil/x.png", VSP_BAD, NULL },
	{ "/files/https%3A%2F%2Fevil%2Fx.png", VSP_BAD, NULL },
	{ "/files/c:/x", VSP_BAD, NULL },
	{ "/files/%c0%ae%c0%ae/x", VSP_BAD, NULL },
};

START_TEST(test_wire)
{
	char *names[LIM_ROUTE_PARAMS], *vals[LIM_ROUTE_PARAMS], *key;
	size_t vl[LIM_ROUTE_PARAMS];
	const char *raw = wcases[_i].raw;
	int n = route_match("/files/{file_path:path}", raw, strlen(raw), names, vals, vl, LIM_ROUTE_PARAMS);
	enum vsp got;

	ck_assert_msg(n == 1, "%s: route_match %d", raw, n);
	got = valid_storage_path(vals[0], vl[0], &key);
	ck_assert_msg(got == wcases[_i].want, "%s: got %d, want %d", raw, got, wcases[_i].want);
	if (got == VSP_OK) {
		ck_assert_str_eq(key, wcases[_i].key);
		free(key);
	}
	free(names[0]);
	free(vals[0]);
}
END_TEST

/* ---- private prefixes ---- */
static const struct { const char *key; int want; } prcases[] = {
	{ "loras/x.safetensors", 1 },
	{ "loras", 1 },
	{ "loras/subject/1_2_a.bin", 1 },
	{ "bulk-uploads/z.zip", 1 },
	{ "bulk-uploads", 1 },
	{ "lorasx/y", 0 },
	{ "bulk-uploadsx", 0 },
	{ "temp/loras/x", 0 },
	{ "media/bulk-uploads/x", 0 },
	{ "Loras/x", 0 },     /* keys are case-sensitive on every backend */
	{ "temp/x.png", 0 },
	/* the first segment at every further decoding depth (issue 9) */
	{ "%6Coras/x", 1 },
	{ "%256Coras/x", 1 },
	{ "%25256Coras/x", 1 },
	{ "%25%36%43oras", 1 },
	{ "bulk%252Duploads/z.zip", 1 },
	{ "%2562%2575lk-uploads", 1 },
	{ "%256Corasx/y", 0 },
	{ "temp/%256Coras/x", 0 },
	{ "%4Coras/x", 0 },
};

START_TEST(test_private)
{
	ck_assert_msg(storage_key_private(prcases[_i].key) == prcases[_i].want, "%s", prcases[_i].key);
}
END_TEST

/* A private prefix reached through normalisation is still private. */
START_TEST(test_private_normalised)
{
	static const char *const ins[] = { "./loras/x", "loras//x", ".//bulk-uploads/./z" };
	size_t i;
	char *key;

	for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		ck_assert_int_eq(valid_storage_path(ins[i], strlen(ins[i]), &key), VSP_OK);
		ck_assert_msg(storage_key_private(key), "%s -> %s", ins[i], key);
		free(key);
	}
}
END_TEST

/* ---- utf8_lossy (as Python's decode("utf-8", "replace")) ---- */
#define FFFD "\xef\xbf\xbd"
static const struct { const char *name, *in; size_t len; const char *want; size_t wlen; } lcases[] = {
	{ "ascii", S("bmp"), S("bmp") },
	{ "valid", S("\xe2\x9c\x93\xf0\x9f\x98\x80"), S("\xe2\x9c\x93\xf0\x9f\x98\x80") },
	{ "ff_fe", S("\xff\xfe"), S(FFFD FFFD) },
	{ "truncated", S("a\xe2\x9c"), S("a" FFFD) },
	{ "truncated_then_valid", S("\xe2\x9c\xe2\x9c\x93"), S(FFFD "\xe2\x9c\x93") },
	{ "surrogate", S("\xed\xa0\x80"), S(FFFD FFFD FFFD) },
	{ "over_max", S("\xf4\x90\x80\x80"), S(FFFD FFFD FFFD FFFD) },
	{ "overlong", S("\xc0\xae"), S(FFFD FFFD) },
	{ "truncated_4", S("\xf0\x9f\x98"), S(FFFD) },
	{ "nul_kept", S("a\0b"), S("a\0b") },
};

START_TEST(test_lossy)
{
	size_t n;
	char *out = utf8_lossy(lcases[_i].in, lcases[_i].len, &n);

	ck_assert_ptr_nonnull(out);
	ck_assert_msg(n == lcases[_i].wlen && memcmp(out, lcases[_i].want, n) == 0, "%s", lcases[_i].name);
	free(out);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof(a[0])))

int main(void)
{
	Suite *s = suite_create("files");
	TCase *t = tcase_create("files");
	int failed;

	tcase_add_loop_test(t, test_storage_path, 0, N(pcases));
	tcase_add_test(t, test_storage_path_length);
	tcase_add_test(t, test_encode_all_bytes);
	tcase_add_loop_test(t, test_wire, 0, N(wcases));
	tcase_add_loop_test(t, test_private, 0, N(prcases));
	tcase_add_test(t, test_private_normalised);
	tcase_add_loop_test(t, test_lossy, 0, N(lcases));
	suite_add_tcase(s, t);
	failed = tu_run(s);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
