/* test_media.c: table tests for the magic-byte sniffer and the temp-URL-to-key mapping (common/media.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "media.h"
#include "testutil.h"

#define S(lit) (const unsigned char *)lit, sizeof(lit) - 1
#define N(a) ((int)(sizeof(a) / sizeof(a[0])))

static const struct {
	const char *name;
	const unsigned char *in;
	size_t len;
	enum media_type want;
} scases[] = {
	{ "jpeg_jfif", S("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), MT_JPEG },
	{ "jpeg_exif", S("\xff\xd8\xff\xe1\x00\x10" "Exif"), MT_JPEG },
	{ "jpeg_two_bytes", S("\xff\xd8"), MT_NONE },
	{ "png", S("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), MT_PNG },
	{ "png_crlf_mangled", S("\x89PNG\n\x1a\n\x00"), MT_NONE },
	{ "gif87a", S("GIF87a\x01\x00"), MT_GIF },
	{ "gif89a", S("GIF89a\x01\x00"), MT_GIF },
	{ "gif_other", S("GIF90a"), MT_NONE },
	{ "webp_lossy", S("RIFF\x24\x00\x00\x00WEBPVP8 "), MT_WEBP },
	{ "webp_lossless", S("RIFF\x24\x00\x00\x00WEBPVP8L"), MT_WEBP },
	{ "riff_wave", S("RIFF\x24\x00\x00\x00WAVEfmt "), MT_NONE },
	{ "pdf", S("%PDF-1.7\n"), MT_PDF },
	{ "zip", S("PK\x03\x04\x14\x00"), MT_ZIP },
	{ "zip_empty", S("PK\x05\x06\x00\x00"), MT_ZIP },
	{ "mp3_id3", S("ID3\x04\x00\x00\x00\x00\x00\x00"), MT_MP3 },
	{ "mp3_frame", S("\xff\xfb\x90\x64\x00"), MT_MP3 },
	{ "mp3_bad_rate", S("\xff\xfb\xf0\x64"), MT_NONE },
	{ "avif_major", S("\x00\x00\x00\x1c" "ftypavif\x00\x00\x00\x00" "avifmif1miaf"), MT_AVIF },
	{ "avif_compatible", S("\x00\x00\x00\x1c" "ftypmif1\x00\x00\x00\x00" "mif1avifmiaf"), MT_AVIF },
	{ "heic_not_ours", S("\x00\x00\x00\x18" "ftypheic\x00\x00\x00\x00" "mif1heic"), MT_NONE },
	{ "mp4_isom", S("\x00\x00\x00\x20" "ftypisom\x00\x00\x02\x00" "isomiso2avc1mp41"), MT_MP4 },
	{ "ftyp_box_too_small", S("\x00\x00\x00\x08" "ftypisom\x00\x00\x02\x00"), MT_NONE },
	{ "html", S("<!DOCTYPE html><script>"), MT_NONE },
	{ "svg", S("<svg xmlns="), MT_NONE },
	{ "empty", S(""), MT_NONE },
};

START_TEST(test_sniff)
{
	ck_assert_msg(media_sniff(scases[_i].in, scases[_i].len) == scases[_i].want, "%s", scases[_i].name);
}
END_TEST

START_TEST(test_types)
{
	ck_assert_str_eq(media_type_ext(MT_JPEG), "jpg");
	ck_assert_str_eq(media_type_mime(MT_MP3), "audio/mpeg");
	ck_assert_int_eq(media_type_from_mime("IMAGE/PNG"), MT_PNG);
	ck_assert_int_eq(media_type_from_mime("image/svg+xml"), MT_NONE);
	ck_assert_ptr_null(media_type_ext(MT_NONE));
}
END_TEST

static const struct {
	const char *name, *url, *key;   /* key NULL: refused */
} ucases[] = {
	{ "cdn", "https://cdn.example.com/temp/0123abcd_1700000000_photo.png", "temp/0123abcd_1700000000_photo.png" },
	{ "r2_public", "https://pub.example.com/temp/ab_1_x.jpg", "temp/ab_1_x.jpg" },
	{ "local_storage", "http://127.0.0.1:8080/storage/temp/ab_1_x.png", "temp/ab_1_x.png" },
	{ "other_host", "https://evil.example/temp/ab_1_x.png", NULL },
	{ "host_prefix_trick", "https://cdn.example.com.evil/temp/ab_1_x.png", NULL },
	{ "userinfo_trick", "https://cdn.example.com@evil/temp/ab_1_x.png", NULL },
	{ "media", "https://cdn.example.com/media/ab/file.png", NULL },
	{ "dotdot", "https://cdn.example.com/temp/../media/x.png", NULL },
	{ "dotdot_encoded", "https://cdn.example.com/temp/%2e%2e/x.png", NULL },
	{ "subdir", "https://cdn.example.com/temp/a/b.png", NULL },
	{ "dotfile", "https://cdn.example.com/temp/.htaccess", NULL },
	{ "double_dot_in_name", "https://cdn.example.com/temp/a..png", NULL },
	{ "empty_key", "https://cdn.example.com/temp/", NULL },
	{ "query", "https://cdn.example.com/temp/a.png?x=1", NULL },
	{ "fragment", "https://cdn.example.com/temp/a.png#x", NULL },
	{ "space", "https://cdn.example.com/temp/a b.png", NULL },
	{ "backslash", "https://cdn.example.com/temp/a\\b.png", NULL },
	{ "scheme_differs", "http://cdn.example.com/temp/a.png", NULL },
	{ "bare_base", "https://cdn.example.com", NULL },
	{ "empty", "", NULL },
};

START_TEST(test_url_to_key)
{
	struct config c;
	char key[STORAGE_KEY_MAX + 1];
	int rc;

	memset(&c, 0, sizeof(c));
	c.storage_backend = STORAGE_LOCAL;
	c.cdn_url = (char *)"https://cdn.example.com";
	c.r2_public_url = (char *)"https://pub.example.com";
	c.public_base_url = (char *)"http://127.0.0.1:8080";
	rc = media_url_to_key(&c, ucases[_i].url, key, sizeof(key));
	if (ucases[_i].key == NULL) {
		ck_assert_msg(rc == -1, "%s: accepted as %s", ucases[_i].name, key);
	} else {
		ck_assert_msg(rc == 0, "%s: refused", ucases[_i].name);
		ck_assert_str_eq(key, ucases[_i].key);
	}
}
END_TEST

START_TEST(test_url_to_key_small_buffer)
{
	struct config c;
	char key[8];

	memset(&c, 0, sizeof(c));
	c.cdn_url = (char *)"https://cdn.example.com";
	ck_assert_int_eq(media_url_to_key(&c, "https://cdn.example.com/temp/abcdef.png", key, sizeof(key)), -1);
	/* the local storage base only in local mode */
	c.storage_backend = STORAGE_S3;
	c.public_base_url = (char *)"http://127.0.0.1:8080";
	ck_assert_int_eq(media_url_to_key(&c, "http://127.0.0.1:8080/storage/temp/a.png", key, sizeof(key)), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("media");
	TCase *t = tcase_create("media");

	tcase_add_loop_test(t, test_sniff, 0, N(scases));
	tcase_add_test(t, test_types);
	tcase_add_loop_test(t, test_url_to_key, 0, N(ucases));
	tcase_add_test(t, test_url_to_key_small_buffer);
	suite_add_tcase(s, t);
	return tu_run(s) == 0 ? 0 : 1;
}
