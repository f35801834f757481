/* test_core.c: table tests for query, route, uuid, jsonin, config and buf (Check). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "buf.h"
#include "config.h"
#include "err.h"
#include "jsonin.h"
#include "pctenc.h"
#include "query.h"
#include "rnd.h"
#include "route.h"
#include "uuid.h"
#include "valid.h"
#include "testutil.h"

/* ---- query ---- */
static const struct { const char *name, *in, *key, *want; size_t wantlen; } qcases[] = {
	{ "simple", "a=1&b=2", "b", "2", 1 },
	{ "plus_space", "q=a+b", "q", "a b", 3 },
	{ "pct", "q=%41%42%2b", "q", "AB+", 3 },
	{ "bad_pct_kept", "q=%zz%4", "q", "%zz%4", 5 },
	{ "last_wins", "a=1&a=2", "a", "2", 1 },
	{ "no_equals", "flag&x=1", "flag", "", 0 },
	{ "empty_pairs", "&&a=1&&", "a", "1", 1 },
	{ "encoded_name", "us%65r=x", "user", "x", 1 },
	{ "nul_in_value", "a=x%00y", "a", "x\0y", 3 },
	{ "absent", "a=1", "b", NULL, 0 },
	{ "empty_query", "", "a", NULL, 0 },
	{ "eq_in_value", "a=b=c", "a", "b=c", 3 },
};

START_TEST(test_query)
{
	struct query q;
	size_t vlen = 99;
	const char *v;

	ck_assert_int_eq(query_parse(&q, qcases[_i].in, strlen(qcases[_i].in)), 0);
	v = query_get(&q, qcases[_i].key, &vlen);
	if (qcases[_i].want == NULL) {
		ck_assert_msg(v == NULL, "%s: expected absent", qcases[_i].name);
	} else {
		ck_assert_msg(v != NULL, "%s: expected a value", qcases[_i].name);
		ck_assert_msg(vlen == qcases[_i].wantlen && memcmp(v, qcases[_i].want, vlen) == 0,
		    "%s: got %.*s", qcases[_i].name, (int)vlen, v);
	}
	query_free(&q);
}
END_TEST

START_TEST(test_query_too_many)
{
	struct query q;
	char big[LIM_QUERY_PARAMS * 4 + 8];
	size_t i, o = 0;

	for (i = 0; i <= LIM_QUERY_PARAMS; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "a=%zu&", i % 10);
	ck_assert_int_eq(query_parse(&q, big, o), -1);
}
END_TEST

/* ---- route ---- */
static const struct { const char *name, *pattern, *path; int want; const char *p0; } rcases[] = {
	{ "literal", "/api/v1/users/me", "/api/v1/users/me", 0, NULL },
	{ "literal_miss", "/api/v1/users/me", "/api/v1/users/you", -1, NULL },
	{ "trailing_slash_differs", "/api/v1/users/me", "/api/v1/users/me/", -1, NULL },
	{ "shorter", "/api/v1/users/me", "/api/v1/users", -1, NULL },
	{ "longer", "/api/v1/users", "/api/v1/users/me", -1, NULL },
	{ "param", "/u/{user_id}/x", "/u/abc/x", 1, "abc" },
	{ "param_decoded", "/u/{user_id}/x", "/u/a%20b/x", 1, "a b" },
	{ "param_empty", "/u/{user_id}/x", "/u//x", -1, NULL },
	{ "param_seg", "/t/{token:seg}", "/t/abc.def", 1, "abc.def" },
	{ "path_rest", "/files/{file_path:path}", "/files/a/b/c.png", 1, "a/b/c.png" },
	{ "path_empty", "/files/{file_path:path}", "/files/", 1, "" },
	{ "literal_encoded", "/api/v1/users/me", "/api/v1/users/m%65", 0, NULL },
	{ "root", "/", "/", 0, NULL },
	{ "no_leading_slash", "/a", "a", -1, NULL },
	{ "double_slash", "/a/b", "/a//b", -1, NULL },
};

START_TEST(test_route)
{
	char *names[LIM_ROUTE_PARAMS], *vals[LIM_ROUTE_PARAMS];
	size_t vl[LIM_ROUTE_PARAMS];
	int m, i;

	m = route_match(rcases[_i].pattern, rcases[_i].path, strlen(rcases[_i].path), names, vals, vl, LIM_ROUTE_PARAMS);
	ck_assert_msg(m == rcases[_i].want, "%s: got %d want %d", rcases[_i].name, m, rcases[_i].want);
	if (m > 0)
		ck_assert_msg(strcmp(vals[0], rcases[_i].p0) == 0, "%s: param %s", rcases[_i].name, vals[0]);
	for (i = 0; i < m; i++) {
		free(names[i]);
		free(vals[i]);
	}
}
END_TEST

static const struct { const char *path; int want; } dcases[] = {
	{ "/files/../x", 1 }, { "/files/a/..", 1 }, { "/files/./x", 1 }, { "/.", 1 }, { "..", 1 },
	{ "/files/%2e%2E/x", 1 }, { "/files/.%2e/x", 1 }, { "/files/%2E", 1 },
	{ "/files/..%2fx", 1 }, { "/files/a%5C..%5Cb", 1 }, { "/files//../x", 1 },
	{ "/files/.../x", 0 }, { "/files/.hidden", 0 }, { "/files/a..b", 0 }, { "/files/x..", 0 },
	{ "/files/%2e%2ex", 0 }, { "/files/%252e%252e/x", 0 }, { "/files/%2", 0 }, { "/files/.%2", 0 },
	{ "/files/a//b", 0 }, { "/", 0 }, { "", 0 }, { "/api/v1/users/me", 0 },
};

START_TEST(test_dot_segments)
{
	const char *p = dcases[_i].path;

	ck_assert_msg(route_has_dot_segment(p, strlen(p)) == dcases[_i].want, "%s", p);
}
END_TEST

/* ---- uuid ---- */
static const struct { const char *in; const char *want; } ucases[] = {
	{ "123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000" },
	{ "123E4567-E89B-12D3-A456-426614174000", "123e4567-e89b-12d3-a456-426614174000" },
	{ "123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-426614174000" },
	{ "{123e4567-e89b-12d3-a456-426614174000}", "123e4567-e89b-12d3-a456-426614174000" },
	{ "urn:uuid:123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000" },
	{ "not-a-uuid", NULL },
	{ "123e4567-e89b-12d3-a456-42661417400", NULL },
	{ "123e4567e89b12d3a45642661417400", NULL },
	{ "123e4567-e89b-12d3-a456-4266141740000", NULL },
	{ "123e4567-e89b12d3-a456-426614174000", NULL },
	{ "", NULL },
	{ "../../etc/passwd", NULL },
	{ "123e4567-e89b-12d3-a456-42661417400g", NULL },
};

START_TEST(test_uuid_parse)
{
	char out[UUID_STR_LEN + 1], why[200];
	int rc = uuid_parse(ucases[_i].in, strlen(ucases[_i].in), out, why, sizeof(why));

	if (ucases[_i].want) {
		ck_assert_msg(rc == 0, "%s refused: %s", ucases[_i].in, why);
		ck_assert_str_eq(out, ucases[_i].want);
	} else {
		ck_assert_msg(rc == -1, "%s accepted", ucases[_i].in);
		ck_assert(strlen(why) > 0);
	}
}
END_TEST

START_TEST(test_uuid_v4)
{
	char a[UUID_STR_LEN + 1], b[UUID_STR_LEN + 1], n[UUID_STR_LEN + 1], why[200];

	ck_assert_int_eq(uuid_v4(a), 0);
	ck_assert_int_eq(uuid_v4(b), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(a[14], '4');
	ck_assert(strchr("89ab", a[19]) != NULL);
	ck_assert_int_eq(uuid_parse(a, strlen(a), n, why, sizeof(why)), 0);
	ck_assert_str_eq(a, n);
}
END_TEST

/* ---- jsonin ---- */
static const char *const fmts[] = { "webp", "jpeg", "png", "avif", NULL };
static const struct jfield jf[] = {
	{ "image_format", JF_ENUM, 0, fmts, 0, 0, 0, 0 },
	{ "filename", JF_STRING, JF_REQUIRED, NULL, 1, 10, 0, 0 },
	{ "size", JF_INT, JF_NULLABLE, NULL, 0, 0, 0, 100 },
	{ "flag", JF_BOOL, 0, NULL, 0, 0, 0, 0 },
	{ "ref", JF_UUID, JF_NULLABLE, NULL, 0, 0, 0, 0 },
};

/* body, content type, expected JSON of the error list ("" = valid) */
static const struct { const char *name, *body, *ctype, *want; } jcases[] = {
	{ "valid_min", "{\"filename\":\"a\"}", "application/json", "" },
	{ "valid_all", "{\"image_format\":\"png\",\"filename\":\"abc\",\"size\":5,\"flag\":\"yes\",\"ref\":\"123E4567E89B12D3A456426614174000\"}", NULL, "" },
	{ "unknown_ignored", "{\"filename\":\"a\",\"zzz\":[1,2]}", "application/json", "" },
	{ "nullable_null", "{\"filename\":\"a\",\"size\":null,\"ref\":null}", "application/json", "" },
	{ "int_from_string", "{\"filename\":\"a\",\"size\":\"7\"}", "application/json", "" },
	{ "int_from_whole_float", "{\"filename\":\"a\",\"size\":7.0}", "application/json", "" },
	{ "trailing_ws", "{\"filename\":\"a\"} \n", "application/vnd.api+json", "" },
	{ "missing_body", "", "application/json",
	  "[{\"type\":\"missing\",\"loc\":[\"body\"],\"msg\":\"Field required\",\"input\":null}]" },
	{ "missing_field", "{}", "application/json",
	  "[{\"type\":\"missing\",\"loc\":[\"body\",\"filename\"],\"msg\":\"Field required\",\"input\":{}}]" },
	{ "bad_enum", "{\"filename\":\"a\",\"image_format\":\"gif\"}", "application/json",
	  "[{\"type\":\"enum\",\"loc\":[\"body\",\"image_format\"],\"msg\":\"Input should be 'webp', 'jpeg', 'png' or 'avif'\",\"input\":\"gif\",\"ctx\":{\"expected\":\"'webp', 'jpeg', 'png' or 'avif'\"}}]" },
	{ "enum_null_not_nullable", "{\"filename\":\"a\",\"image_format\":null}", "application/json",
	  "[{\"type\":\"enum\",\"loc\":[\"body\",\"image_format\"],\"msg\":\"Input should be 'webp', 'jpeg', 'png' or 'avif'\",\"input\":null,\"ctx\":{\"expected\":\"'webp', 'jpeg', 'png' or 'avif'\"}}]" },
	{ "string_type", "{\"filename\":5}", "application/json",
	  "[{\"type\":\"string_type\",\"loc\":[\"body\",\"filename\"],\"msg\":\"Input should be a valid string\",\"input\":5}]" },
	{ "too_short", "{\"filename\":\"\"}", "application/json",
	  "[{\"type\":\"string_too_short\",\"loc\":[\"body\",\"filename\"],\"msg\":\"String should have at least 1 character\",\"input\":\"\",\"ctx\":{\"min_length\":1}}]" },
	{ "too_long_utf8", "{\"filename\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}", "application/json",
	  "[{\"type\":\"string_too_long\",\"loc\":[\"body\",\"filename\"],\"msg\":\"String should have at most 10 characters\",\"input\":\"ééééééééééé\",\"ctx\":{\"max_length\":10}}]" },
	{ "ten_utf8_ok", "{\"filename\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"}", "application/json", "" },
	{ "int_fraction", "{\"filename\":\"a\",\"size\":1.5}", "application/json",
	  "[{\"type\":\"int_from_float\",\"loc\":[\"body\",\"size\"],\"msg\":\"Input should be a valid integer, got a number with a fractional part\",\"input\":1.5}]" },
	{ "int_parsing", "{\"filename\":\"a\",\"size\":\"x\"}", "application/json",
	  "[{\"type\":\"int_parsing\",\"loc\":[\"body\",\"size\"],\"msg\":\"Input should be a valid integer, unable to parse string as an integer\",\"input\":\"x\"}]" },
	{ "int_range", "{\"filename\":\"a\",\"size\":101}", "application/json",
	  "[{\"type\":\"less_than_equal\",\"loc\":[\"body\",\"size\"],\"msg\":\"Input should be less than or equal to 100\",\"input\":101,\"ctx\":{\"le\":100}}]" },
	{ "int_negative", "{\"filename\":\"a\",\"size\":-1}", "application/json",
	  "[{\"type\":\"greater_than_equal\",\"loc\":[\"body\",\"size\"],\"msg\":\"Input should be greater than or equal to 0\",\"input\":-1,\"ctx\":{\"ge\":0}}]" },
	{ "bool_parsing", "{\"filename\":\"a\",\"flag\":\"maybe\"}", "application/json",
	  "[{\"type\":\"bool_parsing\",\"loc\":[\"body\",\"flag\"],\"msg\":\"Input should be a valid boolean, unable to interpret input\",\"input\":\"maybe\"}]" },
	{ "two_errors", "{\"image_format\":\"bmp\",\"size\":\"x\"}", "application/json",
	  "[{\"type\":\"enum\",\"loc\":[\"body\",\"image_format\"],\"msg\":\"Input should be 'webp', 'jpeg', 'png' or 'avif'\",\"input\":\"bmp\",\"ctx\":{\"expected\":\"'webp', 'jpeg', 'png' or 'avif'\"}},"
	  "{\"type\":\"missing\",\"loc\":[\"body\",\"filename\"],\"msg\":\"Field required\",\"input\":{\"image_format\":\"bmp\",\"size\":\"x\"}},"
	  "{\"type\":\"int_parsing\",\"loc\":[\"body\",\"size\"],\"msg\":\"Input should be a valid integer, unable to parse string as an integer\",\"input\":\"x\"}]" },
	{ "array_body", "[1]", "application/json",
	  "[{\"type\":\"model_attributes_type\",\"loc\":[\"body\"],\"msg\":\"Input should be a valid dictionary or object to extract fields from\",\"input\":[1]}]" },
	{ "text_body", "hello", "text/plain",
	  "[{\"type\":\"model_attributes_type\",\"loc\":[\"body\"],\"msg\":\"Input should be a valid dictionary or object to extract fields from\",\"input\":\"hello\"}]" },
	{ "malformed", "{\"filename\":", "application/json", "json_invalid" },
	{ "extra_data", "{\"filename\":\"a\"} x", "application/json", "json_invalid" },
	{ "single_quotes", "{'filename':'a'}", "application/json", "json_invalid" },
	{ "bad_utf8", "{\"filename\":\"\xff\"}", "application/json", "json_invalid" },
	{ "bad_uuid", "{\"filename\":\"a\",\"ref\":\"nope\"}", "application/json", "uuid_parsing" },
};

START_TEST(test_jsonin)
{
	struct jsonin j;
	struct jvalue out[5];
	struct verrs v;
	const char *got;

	verrs_init(&v);
	jsonin_parse(&j, jcases[_i].body, strlen(jcases[_i].body), jcases[_i].ctype, jf, 5, out, &v);
	got = v.list ? json_object_to_json_string_ext(v.list, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "";
	if (jcases[_i].want[0] == '[' || jcases[_i].want[0] == '\0')
		ck_assert_msg(strcmp(got, jcases[_i].want) == 0, "%s:\n got  %s\n want %s", jcases[_i].name, got, jcases[_i].want);
	else
		ck_assert_msg(strstr(got, jcases[_i].want) != NULL && verrs_count(&v) == 1,
		    "%s: got %s", jcases[_i].name, got);
	verrs_free(&v);
	jsonin_free(&j);
}
END_TEST

START_TEST(test_jsonin_values)
{
	static const char body[] = "{\"image_format\":\"avif\",\"filename\":\"abc\",\"size\":\"42\",\"flag\":\"OFF\",\"ref\":\"{123e4567-e89b-12d3-a456-426614174000}\"}";
	struct jsonin j;
	struct jvalue out[5];
	struct verrs v;

	verrs_init(&v);
	ck_assert_int_eq(jsonin_parse(&j, body, strlen(body), "application/json; charset=utf-8", jf, 5, out, &v), 0);
	ck_assert_str_eq(out[0].s, "avif");
	ck_assert_str_eq(out[1].s, "abc");
	ck_assert_int_eq(out[2].i, 42);
	ck_assert(out[3].present && out[3].b == 0);
	ck_assert_str_eq(out[4].uuid, "123e4567-e89b-12d3-a456-426614174000");
	verrs_free(&v);
	jsonin_free(&j);
}
END_TEST

/* ---- config ---- */
static const struct { const char *name, *file; const char *env[6]; const char *err; } ccases[] = {
	{ "minimal", NULL, { "DATABASE_URL=postgresql:///x", "SECRET_KEY=0123456789abcdef", NULL }, NULL },
	{ "missing_db", NULL, { "SECRET_KEY=0123456789abcdef", NULL }, "DATABASE_URL" },
	{ "missing_secret", NULL, { "DATABASE_URL=x", NULL }, "SECRET_KEY" },
	{ "short_secret", NULL, { "DATABASE_URL=x", "SECRET_KEY=short", NULL }, "SECRET_KEY" },
	{ "bad_int", NULL, { "DATABASE_URL=x", "SECRET_KEY=0123456789abcdef", "MAX_UPLOAD_SIZE=12abc", NULL }, "MAX_UPLOAD_SIZE" },
	{ "int_range", NULL, { "DATABASE_URL=x", "SECRET_KEY=0123456789abcdef", "PRESIGN_EXPIRES_SECONDS=3601", NULL }, "PRESIGN_EXPIRES_SECONDS" },
	{ "bad_backend", NULL, { "DATABASE_URL=x", "SECRET_KEY=0123456789abcdef", "STORAGE_BACKEND=ftp", NULL }, "STORAGE_BACKEND" },
	{ "s3_needs_keys", NULL, { "DATABASE_URL=x", "SECRET_KEY=0123456789abcdef", "STORAGE_BACKEND=s3", NULL }, "R2_ENDPOINT_URL" },
	{ "bad_bool", NULL, { "DATABASE_URL=x", "SECRET_KEY=0123456789abcdef", "CLOUDFLARE_IMAGE_TRANSFORMS=perhaps", NULL }, "CLOUDFLARE_IMAGE_TRANSFORMS" },
	{ "bad_url", NULL, { "DATABASE_URL=x", "SECRET_KEY=0123456789abcdef", "CDN_URL=ftp://x", NULL }, "CDN_URL" },
	{ "file_ok", "# comment\nDATABASE_URL = 'postgresql:///x'\nexport SECRET_KEY=\"0123456789abcdef\"\n\n", { NULL }, NULL },
	{ "file_unknown_key", "DATABASE_URL=x\nSECRET_KEY=0123456789abcdef\nSECRET_KYE=typo\n", { NULL }, "unknown setting SECRET_KYE" },
	{ "file_not_kv", "DATABASE_URL\n", { NULL }, "line 1" },
	{ "file_twice", "DATABASE_URL=x\nDATABASE_URL=y\n", { NULL }, "set twice" },
	{ "env_beats_file", "DATABASE_URL=x\nSECRET_KEY=short\n", { "SECRET_KEY=0123456789abcdef", NULL }, NULL },
};

START_TEST(test_config)
{
	struct config c;
	char err[512] = "";
	const char *f = ccases[_i].file;
	int rc = config_parse(&c, f, f ? strlen(f) : 0, (char *const *)ccases[_i].env, err, sizeof(err));

	if (ccases[_i].err == NULL) {
		ck_assert_msg(rc == 0, "%s: %s", ccases[_i].name, err);
		config_free(&c);
	} else {
		ck_assert_msg(rc == -1, "%s: accepted", ccases[_i].name);
		ck_assert_msg(strstr(err, ccases[_i].err) != NULL && strchr(err, '\n') == NULL,
		    "%s: error was '%s'", ccases[_i].name, err);
	}
}
END_TEST

START_TEST(test_config_defaults)
{
	const char *env[] = { "DATABASE_URL=x", "SECRET_KEY=0123456789abcdef", "PUBLIC_BASE_URL=http://h:1/",
	    "CORS_ORIGINS= http://a.example , http://b.example/ ,", NULL };
	struct config c;
	char err[256];

	ck_assert_int_eq(config_parse(&c, NULL, 0, (char *const *)env, err, sizeof(err)), 0);
	ck_assert_int_eq(c.access_token_expire_minutes, 11520);
	ck_assert_int_eq(c.max_upload_size, 52428800);
	ck_assert_int_eq(c.presign_expires_seconds, 900);
	ck_assert_int_eq(c.storage_backend, STORAGE_LOCAL);
	ck_assert_str_eq(c.public_base_url, "http://h:1");
	ck_assert_str_eq(c.cdn_url, "http://h:1/storage");
	ck_assert_str_eq(c.r2_public_url, "http://h:1/storage");
	ck_assert_str_eq(c.r2_region, "auto");
	ck_assert_uint_eq(c.n_cors_origins, 2);
	ck_assert_str_eq(c.cors_origins[1], "http://b.example");
	config_free(&c);
}
END_TEST

/*
 * The temporary copies config_parse makes of each value (file and environment) are zeroed
 * before they are freed, and so is every secret config_free releases (issue 9): freed heap
 * handed out again must not hold them. glibc hands a freed chunk of the same size out again
 * at once (tcache); under ASan freed memory is quarantined instead and the check is vacuous.
 */
START_TEST(test_config_wipes_secret_copies)
{
	void *(*volatile scan)(const void *, size_t, const void *, size_t) = memmem;
	static const size_t sizes[] = { 201, 221 };   /* strdup of the secret; of DATABASE_URL */
	char secret[201], file[600], envkey[230], *env[2], *probe[2][32];
	struct config c;
	char err[256];
	size_t i, k;
	int found = 0;

	for (i = 0; i < 200; i++)
		secret[i] = (char)('a' + (i * 7 + i / 26) % 26);
	secret[200] = '\0';
	snprintf(file, sizeof(file), "SECRET_KEY=%s\nDATABASE_URL=postgresql://u:%s@h/db\n", secret, secret);
	snprintf(envkey, sizeof(envkey), "SECRET_KEY=%s", secret);     /* overrides the file's */
	env[0] = envkey;
	env[1] = NULL;
	ck_assert_int_eq(config_parse(&c, file, strlen(file), env, err, sizeof(err)), 0);
	config_free(&c);
	for (k = 0; k < 2; k++)
		for (i = 0; i < 32; i++) {
			probe[k][i] = malloc(sizes[k]);
			ck_assert_ptr_nonnull(probe[k][i]);
			/* reading what malloc left there is the point of the test */
			if (scan(probe[k][i], sizes[k], secret + 100, 64) != NULL)
				found = 1;
		}
	for (k = 0; k < 2; k++)
		for (i = 0; i < 32; i++)
			free(probe[k][i]);
	ck_assert_msg(!found, "a freed copy of a secret was handed out again unwiped");
}
END_TEST

/* Every string field, from every source, is valid UTF-8 without NUL (issue 9): the error
 * names the field under its source, and its input is the value made valid. */
static void first_err(struct verrs *v, const char **type, const char **loc0, const char **input)
{
	json_object *e = json_object_array_get_idx(v->list, 0), *o;

	json_object_object_get_ex(e, "type", &o);
	*type = json_object_get_string(o);
	json_object_object_get_ex(e, "loc", &o);
	*loc0 = json_object_get_string(json_object_array_get_idx(o, 0));
	*input = json_object_object_get_ex(e, "input", &o) ? json_object_get_string(o) : NULL;
}

START_TEST(test_string_fields_utf8_nul)
{
	static const struct jfield f[] = { { .name = "s", .type = JF_STRING, .max_len = 10 } };
	static const struct { const char *src, *in; size_t len; const char *type, *input; } cases[] = {
		{ "query", "a\xff" "b", 3, "string_unicode", "a\xef\xbf\xbd" "b" },
		{ "path", "a\xc3", 2, "string_unicode", "a\xef\xbf\xbd" },
		{ "body", "a\0b", 3, "value_error", "a" },        /* form: "a\0b", cut at the NUL by C */
		{ "query", "\xed\xa0\x80", 3, "string_unicode", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	};
	struct jvalue out;
	struct verrs v;
	struct jsonin j;
	const char *type, *loc0, *input;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		verrs_init(&v);
		ck_assert_int_eq(jsonin_text(f, cases[i].src, cases[i].in, cases[i].len, &out, &v), -1);
		ck_assert_int_eq(out.present, 0);
		first_err(&v, &type, &loc0, &input);
		ck_assert_str_eq(type, cases[i].type);
		ck_assert_str_eq(loc0, cases[i].src);
		ck_assert_str_eq(input, cases[i].input);
		verrs_free(&v);
	}
	verrs_init(&v);
	ck_assert_int_eq(jsonin_text(f, "query", "\xc3\xa9t\xc3\xa9", 5, &out, &v), 0);
	ck_assert_int_eq(out.present, 1);
	verrs_free(&v);
	/* a JSON body: "\u0000" is the only way to a NUL (raw invalid bytes are json_invalid) */
	verrs_init(&v);
	ck_assert_int_eq(jsonin_parse(&j, "{\"s\":\"a\\u0000b\"}", strlen("{\"s\":\"a\\u0000b\"}"),
	    "application/json", f, 1, &out, &v), -1);
	first_err(&v, &type, &loc0, &input);
	ck_assert_str_eq(type, "value_error");
	ck_assert_str_eq(loc0, "body");
	jsonin_free(&j);
	verrs_free(&v);
}
END_TEST

/* ---- buf ---- */
START_TEST(test_buf_cap)
{
	struct buf b;

	buf_init(&b, 8);
	ck_assert_int_eq(buf_puts(&b, "12345678"), 0);
	ck_assert_int_eq(buf_puts(&b, "9"), -1);
	ck_assert_str_eq(buf_cstr(&b), "12345678");
	buf_reset(&b);
	ck_assert_int_eq(buf_printf(&b, "%d-%s", 42, "xyzw"), 0);
	ck_assert_str_eq(buf_cstr(&b), "42-xyzw");
	ck_assert_int_eq(buf_printf(&b, "%s", "toolong"), -1);
	buf_free(&b);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof(a[0])))

/* ---- pctenc: the one percent-encoder, its variants ---- */
static const struct { const char *in; size_t len; const char *keep; unsigned flags; const char *out; } pcases[] = {
	{ "a/b c+d=e~-._Z9", 15, PCT_UNRESERVED, 0, "a%2Fb%20c%2Bd%3De~-._Z9" },        /* SigV4's rules */
	{ "a/b c", 5, PCT_PATH, 0, "a/b%20c" },
	{ "", 0, PCT_PATH, 0, "" },
	{ "\x00\xff\x80/", 4, PCT_PATH, 0, "%00%FF%80/" },                           /* NUL never kept */
	{ "/x y?a=%41&b=%zz%4", 18, PCT_URL, PCT_KEEP_ESCAPES, "/x%20y?a=%41&b=%25zz%254" },
	{ "%41", 3, PCT_URL, 0, "%2541" },                                              /* escapes only on request */
	{ "\"<>\\^`{|}", 9, PCT_URL, PCT_KEEP_ESCAPES, "%22%3C%3E%5C%5E%60%7B%7C%7D" },
};

START_TEST(test_pctenc)
{
	char *got = pct_encode(pcases[_i].in, pcases[_i].len, pcases[_i].keep, pcases[_i].flags);
	struct buf b;
	size_t dlen;
	char *back;

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, pcases[_i].out);
	buf_init(&b, 4096);
	ck_assert_int_eq(pct_encode_buf(&b, pcases[_i].in, pcases[_i].len, pcases[_i].keep, pcases[_i].flags), 0);
	ck_assert_str_eq(buf_cstr(&b), pcases[_i].out);
	if (!(pcases[_i].flags & PCT_KEEP_ESCAPES)) {       /* decoding gives the input back */
		back = pct_decode(got, strlen(got), 0, &dlen);
		ck_assert_uint_eq(dlen, pcases[_i].len);
		ck_assert_mem_eq(back, pcases[_i].in, dlen);
		free(back);
	}
	buf_free(&b);
	free(got);
}
END_TEST

/* A long input crosses the buffered encoder's chunks; the cap is told from ENOMEM. */
START_TEST(test_pctenc_chunks_and_cap)
{
	char in[1000], *whole;
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i % 3 ? 'a' + i % 26 : ' ');
	whole = pct_encode(in, sizeof(in), PCT_UNRESERVED, 0);
	buf_init(&b, 1 << 20);
	ck_assert_int_eq(pct_encode_buf(&b, in, sizeof(in), PCT_UNRESERVED, 0), 0);
	ck_assert_str_eq(buf_cstr(&b), whole);
	buf_free(&b);
	buf_init(&b, 8);     /* "%20%20%20" is 9 bytes */
	ck_assert_int_eq(pct_encode_buf(&b, "   ", 3, PCT_UNRESERVED, 0), -2);
	buf_free(&b);
	free(whole);
}
END_TEST

/* Every code has its own log text (the switch of herr_str). */
START_TEST(test_herr_str)
{
	int e;

	for (e = HE_OK; e <= HE_IO; e++)
		ck_assert_msg(strcmp(herr_str((enum herr)e), "unknown") != 0, "code %d has no text", e);
}
END_TEST

/* The byte-at-a-time UTF-8 check utf8_check had before its eight-byte ASCII path. */
static int utf8_ref(const unsigned char *s, size_t len, int allow_nul)
{
	size_t i = 0, need, k;
	unsigned int cp;

	while (i < len) {
		unsigned char c = s[i];
		if (c == 0 && !allow_nul)
			return 0;
		if (c < 0x80) { i++; continue; }
		if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; }
		else return 0;
		if (i + need >= len)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* utf8_check against the reference on strings of every length up to 40 at every offset:
 * ASCII with a NUL, a stray or cut multibyte sequence, or a valid one, placed anywhere. */
START_TEST(test_utf8_check_fast_path)
{
	static const char *const inserts[] = { "", "\0", "\x80", "\xc3\xa9", "\xc3", "\xe2\x82\xac",
		"\xed\xa0\x80", "\xf0\x9f\x98\x80", "\xf4\x90\x80\x80", "\xff", "\x7f" };
	static const size_t ilen[] = { 0, 1, 1, 2, 1, 3, 3, 4, 4, 1, 1 };
	unsigned char buf[64];
	size_t len, at, j;
	int nul;

	for (len = 0; len <= 40; len++)
		for (at = 0; at <= len; at++)
			for (j = 0; j < sizeof(ilen) / sizeof(ilen[0]); j++)
				for (nul = 0; nul <= 1; nul++) {
					size_t n = len + ilen[j];
					memset(buf, 'a', len);
					memmove(buf + at + ilen[j], buf + at, len - at);
					memcpy(buf + at, inserts[j], ilen[j]);
					ck_assert_msg(utf8_check((const char *)buf, n, nul) == utf8_ref(buf, n, nul),
					    "len %zu at %zu insert %zu nul %d", len, at, j, nul);
				}
}
END_TEST

/* random_bytes draws a block at a time: a forked child must not hand out the bytes its
 * parent goes on to use (two children of a pre-fork parent would issue the same ids). */
START_TEST(test_random_bytes_fork)
{
	unsigned char a[16], b[16], c[16];
	int fd[2], st;
	pid_t pid;

	ck_assert_int_eq(random_bytes(a, sizeof(a)), 0);        /* the pool is drawn now */
	ck_assert_int_eq(pipe(fd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		_exit(random_bytes(b, sizeof(b)) == 0 && write(fd[1], b, sizeof(b)) == (ssize_t)sizeof(b) ? 0 : 1);
	}
	ck_assert_int_eq(random_bytes(c, sizeof(c)), 0);
	ck_assert_int_eq(read(fd[0], b, sizeof(b)), (ssize_t)sizeof(b));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert(memcmp(b, c, sizeof(b)) != 0);
	ck_assert(memcmp(a, c, sizeof(a)) != 0);
	close(fd[0]);
	close(fd[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *t = tcase_create("core");
	int failed;

	tcase_add_loop_test(t, test_query, 0, N(qcases));
	tcase_add_test(t, test_query_too_many);
	tcase_add_loop_test(t, test_route, 0, N(rcases));
	tcase_add_loop_test(t, test_dot_segments, 0, sizeof(dcases) / sizeof(dcases[0]));
	tcase_add_loop_test(t, test_uuid_parse, 0, N(ucases));
	tcase_add_test(t, test_uuid_v4);
	tcase_add_test(t, test_random_bytes_fork);
	tcase_add_test(t, test_utf8_check_fast_path);
	tcase_add_loop_test(t, test_jsonin, 0, N(jcases));
	tcase_add_test(t, test_jsonin_values);
	tcase_add_loop_test(t, test_config, 0, N(ccases));
	tcase_add_test(t, test_config_defaults);
	tcase_add_test(t, test_config_wipes_secret_copies);
	tcase_add_test(t, test_string_fields_utf8_nul);
	tcase_add_test(t, test_buf_cap);
	tcase_add_loop_test(t, test_pctenc, 0, N(pcases));
	tcase_add_test(t, test_pctenc_chunks_and_cap);
	tcase_add_test(t, test_herr_str);
	suite_add_tcase(s, t);
	failed = tu_run(s);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
