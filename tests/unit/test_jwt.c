/* test_jwt.c: Check tests for b64url, SHA-256/HMAC-SHA256, the HS256 JWT verifier/issuer (shared vectors) and bcrypt. */
#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "b64.h"
#include "hex.h"
#include "hmac.h"
#include "hmac256.h"
#include "rnd.h"
#include "jwt.h"
#include "flimits.h"
#include "password.h"
#include "testutil.h"

#define VECTORS_REL      "/testdata/jwt/hs256-vectors.json"
#define VECTORS_EXPECTED 56     /* the count hs256-vectors.json's README states */
#define NOW_DEFAULT      1700000000LL

static const unsigned char secret[] = "hs256-test-secret-0123456789abcdef";
#define SECRET_LEN (sizeof(secret) - 1)

/* One case of hs256-vectors.json, copied out of json-c so the tree can be freed. */
struct vec {
	char *id;
	char *token;
	size_t token_len;
	unsigned char *key;
	size_t key_len;
	long long now;
	int valid;
	char *sub;              /* sub in payload_json, NULL if none */
};

static struct vec *vecs;
static size_t nvecs;
static TTest *vec_tests;        /* one named test per case */

static char *dup_len(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static unsigned char *hex_decode(const char *hex, size_t *outlen)
{
	size_t n = strlen(hex), i;
	unsigned char *out;

	if (n % 2 != 0 || (out = malloc(n / 2 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n / 2; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	*outlen = n / 2;
	return out;
}

static int json_get_string(json_object *o, const char *name, const char **s, size_t *n)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return -1;
	*s = json_object_get_string(v);
	if (n != NULL)
		*n = (size_t)json_object_get_string_len(v);
	return 0;
}

/* Load every case; prints why and returns -1 on any problem with the file. */
static int load_vectors(const char *path)
{
	json_object *root = NULL, *keys = NULL, *cases = NULL, *c, *k, *v, *pl = NULL;
	const char *s;
	size_t n, i;
	int rc = -1;

	if ((root = json_object_from_file(path)) == NULL) {
		fprintf(stderr, "test_jwt: cannot read %s: %s\n", path, json_util_get_last_err());
		goto out;
	}
	if (!json_object_object_get_ex(root, "keys", &keys) ||
	    !json_object_object_get_ex(root, "cases", &cases) ||
	    !json_object_is_type(cases, json_type_array)) {
		fprintf(stderr, "test_jwt: %s: no keys/cases\n", path);
		goto out;
	}
	nvecs = json_object_array_length(cases);
	if (nvecs == 0 || (vecs = calloc(nvecs, sizeof(*vecs))) == NULL ||
	    (vec_tests = calloc(nvecs, sizeof(*vec_tests))) == NULL) {
		fprintf(stderr, "test_jwt: %s: no cases or out of memory\n", path);
		goto out;
	}
	for (i = 0; i < nvecs; i++) {
		struct vec *t = &vecs[i];

		c = json_object_array_get_idx(cases, i);
		if (json_get_string(c, "id", &s, &n) != 0 || (t->id = dup_len(s, n)) == NULL)
			goto bad;
		if (json_get_string(c, "token", &s, &n) != 0 || (t->token = dup_len(s, n)) == NULL)
			goto bad;
		t->token_len = n;
		if (json_get_string(c, "expected", &s, NULL) != 0)
			goto bad;
		if (strcmp(s, "valid") == 0)
			t->valid = 1;
		else if (strcmp(s, "invalid") != 0)
			goto bad;
		if (!json_object_object_get_ex(c, "now", &v) || !json_object_is_type(v, json_type_int))
			goto bad;
		t->now = (long long)json_object_get_int64(v);
		if (json_get_string(c, "key", &s, NULL) != 0 || !json_object_object_get_ex(keys, s, &k) ||
		    json_get_string(k, "hex", &s, NULL) != 0 ||
		    (t->key = hex_decode(s, &t->key_len)) == NULL)
			goto bad;
		/* Remember the expected sub of a valid case, to check what the verifier copies out. */
		if (t->valid && json_get_string(c, "payload_json", &s, NULL) == 0 &&
		    (pl = json_tokener_parse(s)) != NULL && json_get_string(pl, "sub", &s, &n) == 0 &&
		    (t->sub = dup_len(s, n)) == NULL)
			goto bad;
		json_object_put(pl);
		pl = NULL;
		continue;
bad:
		fprintf(stderr, "test_jwt: %s: case %zu is incomplete\n", path, i);
		goto out;
	}
	rc = 0;
out:
	json_object_put(pl);
	json_object_put(root);
	return rc;
}

static void free_vectors(void)
{
	size_t i;

	for (i = 0; vecs != NULL && i < nvecs; i++) {
		free(vecs[i].id);
		free(vecs[i].token);
		free(vecs[i].key);
		free(vecs[i].sub);
	}
	free(vecs);
	free(vec_tests);
}

static const struct vec *find_vec(const char *id)
{
	size_t i;

	for (i = 0; i < nvecs; i++)
		if (strcmp(vecs[i].id, id) == 0)
			return &vecs[i];
	ck_abort_msg("vector %s not in the file", id);
	return NULL;
}

/* ---- shared vectors ---- */

START_TEST(test_vector)
{
	const struct vec *v = &vecs[_i];
	struct jwt_claims c;
	enum jwt_status st;

	memset(&c, 0, sizeof(c));
	st = jwt_verify_hs256(v->token, v->token_len, v->key, v->key_len, v->now, 0, &c);
	if (v->valid) {
		ck_assert_msg(st == JWT_OK, "%s: expected valid, got %s", v->id, jwt_strerror(st));
		if (v->sub != NULL)
			ck_assert_msg(c.has_sub && strcmp(c.sub, v->sub) == 0,
				      "%s: sub '%s', expected '%s'", v->id, c.sub, v->sub);
	} else {
		ck_assert_msg(st != JWT_OK, "%s: expected invalid, got valid", v->id);
	}
}
END_TEST

START_TEST(test_vector_count)
{
	ck_assert_msg(nvecs == VECTORS_EXPECTED, "hs256-vectors.json has %zu cases, README says %d",
		      nvecs, VECTORS_EXPECTED);
}
END_TEST

START_TEST(test_require_exp)
{
	const struct vec *v = find_vec("hs256-no-exp");
	const struct vec *py = find_vec("pyjwt-minted-sub-uuid-exp");
	struct jwt_claims c;
	enum jwt_status st;

	st = jwt_verify_hs256(v->token, v->token_len, v->key, v->key_len, v->now, 1, &c);
	ck_assert_msg(st == JWT_MISSING_EXP, "hs256-no-exp with require_exp: got %s", jwt_strerror(st));
	st = jwt_verify_hs256(py->token, py->token_len, py->key, py->key_len, py->now, 1, &c);
	ck_assert_msg(st == JWT_OK, "pyjwt token with require_exp: got %s", jwt_strerror(st));
	ck_assert_str_eq(c.sub, "3f0c6a52-8d7e-4b1a-9c2f-6e5d4b3a2f10");
	ck_assert_int_eq(c.has_exp, 1);
	ck_assert(c.exp == 4102444800.0);
}
END_TEST

/* ---- issuing ---- */

/* PyJWT 2.6.0 jwt.encode({"exp": 4102444800, "sub": <uuid>}, secret) gives these exact bytes. */
static const char pyjwt_token[] =
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
	"eyJleHAiOjQxMDI0NDQ4MDAsInN1YiI6IjNmMGM2YTUyLThkN2UtNGIxYS05YzJmLTZlNWQ0YjNhMmYxMCJ9."
	"SQ72MjB0exYLxuIH4nHLr8LA5t6zSp0ek1WS23Equ14";

START_TEST(test_issue_roundtrip)
{
	const char *sub = "3f0c6a52-8d7e-4b1a-9c2f-6e5d4b3a2f10";
	struct jwt_claims c;
	enum jwt_status st;
	char *tok = jwt_issue_hs256(sub, 4102444800LL, secret, SECRET_LEN);

	ck_assert_ptr_nonnull(tok);
	ck_assert_str_eq(tok, pyjwt_token);
	st = jwt_verify_hs256(tok, strlen(tok), secret, SECRET_LEN, NOW_DEFAULT, 1, &c);
	ck_assert_msg(st == JWT_OK, "issued token: %s", jwt_strerror(st));
	ck_assert_int_eq(c.has_sub, 1);
	ck_assert_str_eq(c.sub, sub);
	ck_assert(c.exp == 4102444800.0);
	st = jwt_verify_hs256(tok, strlen(tok), secret, SECRET_LEN, 4102444800LL, 1, &c);
	ck_assert_msg(st == JWT_EXPIRED, "at exp: %s", jwt_strerror(st));
	st = jwt_verify_hs256(tok, strlen(tok), (const unsigned char *)"other", 5, NOW_DEFAULT, 1, &c);
	ck_assert_msg(st == JWT_BAD_SIGNATURE, "other key: %s", jwt_strerror(st));
	free(tok);

	/* JSON escaping of sub survives the round trip. */
	tok = jwt_issue_hs256("a\"b\\c/d\n\xc3\xa9", 4102444800LL, secret, SECRET_LEN);
	ck_assert_ptr_nonnull(tok);
	st = jwt_verify_hs256(tok, strlen(tok), secret, SECRET_LEN, NOW_DEFAULT, 1, &c);
	ck_assert_msg(st == JWT_OK, "escaped sub: %s", jwt_strerror(st));
	ck_assert_str_eq(c.sub, "a\"b\\c/d\n\xc3\xa9");
	free(tok);
}
END_TEST

START_TEST(test_issue_refuses)
{
	char sub[JWT_SUB_MAX + 2];
	char *tok;

	memset(sub, 'a', sizeof(sub) - 1);
	sub[sizeof(sub) - 1] = '\0';
	ck_assert_ptr_null(jwt_issue_hs256(sub, 1, secret, SECRET_LEN));        /* 129 bytes */
	sub[JWT_SUB_MAX] = '\0';
	tok = jwt_issue_hs256(sub, 4102444800LL, secret, SECRET_LEN);          /* 128 bytes */
	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(jwt_verify_hs256(tok, strlen(tok), secret, SECRET_LEN, NOW_DEFAULT, 1, NULL), JWT_OK);
	free(tok);
	ck_assert_ptr_null(jwt_issue_hs256(NULL, 1, secret, SECRET_LEN));
	ck_assert_ptr_null(jwt_issue_hs256("x", 1, secret, 0));
	ck_assert_ptr_null(jwt_issue_hs256("\xc0\xaf", 1, secret, SECRET_LEN));
}
END_TEST

START_TEST(test_tamper_each_char)
{
	char *tok = jwt_issue_hs256("user-1", 4102444800LL, secret, SECRET_LEN);
	size_t len, i;
	enum jwt_status st;

	ck_assert_ptr_nonnull(tok);
	len = strlen(tok);
	for (i = 0; i < len; i++) {
		char saved = tok[i];

		tok[i] = saved == 'A' ? 'B' : 'A';
		st = jwt_verify_hs256(tok, len, secret, SECRET_LEN, NOW_DEFAULT, 1, NULL);
		ck_assert_msg(st != JWT_OK, "changing char %zu ('%c') still verifies", i, saved);
		tok[i] = saved;
	}
	ck_assert_int_ne(jwt_verify_hs256(tok, len - 1, secret, SECRET_LEN, NOW_DEFAULT, 1, NULL), JWT_OK);
	ck_assert_int_eq(jwt_verify_hs256(tok, len, secret, SECRET_LEN, NOW_DEFAULT, 1, NULL), JWT_OK);
	free(tok);
}
END_TEST

/* ---- strictness beyond the shared vectors (tokens signed here with the right key) ---- */

static char *sign_raw(const char *header, size_t hlen, const char *payload, size_t plen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t mlen = 0, a, b;
	char *h = NULL, *p = NULL, *s = NULL, *tok = NULL;

	h = b64url_encode((const unsigned char *)header, hlen);
	p = b64url_encode((const unsigned char *)payload, plen);
	if (h == NULL || p == NULL)
		goto out;
	a = strlen(h);
	b = strlen(p);
	if ((tok = malloc(a + b + 2 + 44)) == NULL)
		goto out;
	memcpy(tok, h, a);
	tok[a] = '.';
	memcpy(tok + a + 1, p, b);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, SECRET_LEN,
		      (unsigned char *)tok, a + 1 + b, mac, sizeof(mac), &mlen) == NULL ||
	    (s = b64url_encode(mac, mlen)) == NULL) {
		free(tok);
		tok = NULL;
		goto out;
	}
	tok[a + 1 + b] = '.';
	memcpy(tok + a + 2 + b, s, strlen(s) + 1);
out:
	free(h);
	free(p);
	free(s);
	return tok;
}

#define HS "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define FAR "\"exp\":4102444800"

struct strict_case {
	const char *name;
	const char *header;
	const char *payload;
	size_t payload_len;     /* 0: strlen; set for payloads holding NUL bytes */
	enum jwt_status want;
};

static const struct strict_case strict_cases[] = {
	{ "escaped-duplicate-alg", "{\"alg\":\"HS256\",\"\\u0061lg\":\"none\"}", "{" FAR "}", 0, JWT_MALFORMED },
	{ "payload-duplicate-sub", HS, "{\"sub\":\"a\",\"sub\":\"b\"," FAR "}", 0, JWT_MALFORMED },
	{ "payload-duplicate-exp", HS, "{\"exp\":1," FAR "}", 0, JWT_MALFORMED },
	{ "nested-duplicate", HS, "{\"x\":{\"k\":1,\"k\":2}," FAR "}", 0, JWT_MALFORMED },
	{ "duplicate-in-array-object", HS, "{\"x\":[{\"k\":{},\"k\":{}}]," FAR "}", 0, JWT_MALFORMED },
	{ "same-name-other-objects-ok", HS, "{\"x\":{\"k\":1},\"y\":{\"k\":1}," FAR "}", 0, JWT_OK },
	{ "nul-in-member-names", HS, "{\"a\\u0000b\":1,\"a\\u0000c\":2," FAR "}", 0, JWT_MALFORMED },
	{ "single-quotes", "{'alg':'HS256'}", "{" FAR "}", 0, JWT_MALFORMED },
	{ "exp-nan", HS, "{\"exp\":NaN}", 0, JWT_MALFORMED },
	{ "exp-infinity", HS, "{\"exp\":Infinity}", 0, JWT_MALFORMED },
	{ "exp-1e400", HS, "{\"exp\":1e400}", 0, JWT_BAD_CLAIM_TYPE },
	{ "exp-true", HS, "{\"exp\":true}", 0, JWT_BAD_CLAIM_TYPE },
	{ "exp-null", HS, "{\"exp\":null}", 0, JWT_BAD_CLAIM_TYPE },
	{ "exp-trailing-dot", HS, "{\"exp\":4102444800.}", 0, JWT_MALFORMED },
	{ "exp-leading-zero", HS, "{\"exp\":04102444800}", 0, JWT_MALFORMED },
	{ "exp-beyond-int64", HS, "{\"exp\":99999999999999999999}", 0, JWT_OK },
	{ "exp-exponent", HS, "{\"exp\":4.1e9}", 0, JWT_OK },
	{ "exp-negative", HS, "{\"exp\":-1}", 0, JWT_EXPIRED },
	{ "exp-fraction-past", HS, "{\"exp\":1699999999.5}", 0, JWT_EXPIRED },
	{ "exp-fraction-ahead", HS, "{\"exp\":1700000000.5}", 0, JWT_OK },
	{ "nbf-fraction-ahead", HS, "{\"nbf\":1700000000.5," FAR "}", 0, JWT_NOT_YET_VALID },
	{ "nbf-string", HS, "{\"nbf\":\"1\"," FAR "}", 0, JWT_BAD_CLAIM_TYPE },
	{ "sub-number", HS, "{\"sub\":123," FAR "}", 0, JWT_BAD_CLAIM_TYPE },
	{ "sub-null", HS, "{\"sub\":null," FAR "}", 0, JWT_BAD_CLAIM_TYPE },
	{ "sub-128", HS, "{\"sub\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"," FAR "}", 0, JWT_OK },
	{ "sub-129", HS, "{\"sub\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef!\"," FAR "}", 0, JWT_MALFORMED },
	{ "sub-escaped-nul", HS, "{\"sub\":\"a\\u0000b\"," FAR "}", 0, JWT_MALFORMED },
	{ "utf8-overlong", HS, "{\"sub\":\"\xc0\xaf\"," FAR "}", 0, JWT_MALFORMED },
	{ "utf8-surrogate", HS, "{\"sub\":\"\xed\xa0\x80\"," FAR "}", 0, JWT_MALFORMED },
	{ "utf8-above-10ffff", HS, "{\"sub\":\"\xf4\x90\x80\x80\"," FAR "}", 0, JWT_MALFORMED },
	{ "utf8-truncated", HS, "{\"sub\":\"\xe5\xb1\"," FAR "}", 0, JWT_MALFORMED },
	{ "utf8-bom", "\xef\xbb\xbf" HS, "{" FAR "}", 0, JWT_MALFORMED },
	{ "escape-lone-high-surrogate", HS, "{\"sub\":\"\\ud800\"," FAR "}", 0, JWT_MALFORMED },
	{ "escape-lone-low-surrogate", HS, "{\"sub\":\"\\udc00x\"," FAR "}", 0, JWT_MALFORMED },
	{ "escape-surrogate-pair", HS, "{\"sub\":\"\\ud83d\\ude00\"," FAR "}", 0, JWT_OK },
	{ "escape-bad", HS, "{\"sub\":\"\\x41\"," FAR "}", 0, JWT_MALFORMED },
	{ "raw-control-char", HS, "{\"sub\":\"a\tb\"," FAR "}", 0, JWT_MALFORMED },
	{ "raw-nul-byte", HS, "{\"sub\":\"a\0b\"," FAR "}", sizeof("{\"sub\":\"a\0b\"," FAR "}") - 1, JWT_MALFORMED },
	{ "trailing-garbage", HS, "{" FAR "}x", 0, JWT_MALFORMED },
	{ "two-objects", HS, "{" FAR "}{}", 0, JWT_MALFORMED },
	{ "trailing-comma", HS, "{" FAR ",}", 0, JWT_MALFORMED },
	{ "comment", HS, "{/*c*/" FAR "}", 0, JWT_MALFORMED },
	{ "unquoted-name", HS, "{exp:4102444800}", 0, JWT_MALFORMED },
	{ "outer-whitespace-ok", HS, " \r\n{" FAR "}\t ", 0, JWT_OK },
	{ "empty-payload-ok", HS, "{}", 0, JWT_OK },
	{ "deep-nesting", HS, "{\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]," FAR "}", 0, JWT_MALFORMED },
	{ "empty-header", "{}", "{" FAR "}", 0, JWT_MALFORMED },
	{ "alg-null", "{\"alg\":null}", "{" FAR "}", 0, JWT_MALFORMED },
	{ "alg-with-nul", "{\"alg\":\"HS256\\u0000\"}", "{" FAR "}", 0, JWT_ALG_NOT_ALLOWED },
	{ "typ-null", "{\"alg\":\"HS256\",\"typ\":null}", "{" FAR "}", 0, JWT_BAD_TYP },
	{ "typ-mixed-case-ok", "{\"alg\":\"HS256\",\"typ\":\"jWt\"}", "{" FAR "}", 0, JWT_OK },
	{ "crit-empty", "{\"alg\":\"HS256\",\"crit\":[]}", "{" FAR "}", 0, JWT_CRIT },
	{ "header-not-object", "\"HS256\"", "{" FAR "}", 0, JWT_MALFORMED },
	{ "payload-string", HS, "\"x\"", 0, JWT_MALFORMED },
	{ "payload-empty", HS, "", 0, JWT_MALFORMED },
};

START_TEST(test_strict)
{
	const struct strict_case *t = &strict_cases[_i];
	size_t plen = t->payload_len ? t->payload_len : strlen(t->payload);
	char *tok = sign_raw(t->header, strlen(t->header), t->payload, plen);
	enum jwt_status st;

	ck_assert_ptr_nonnull(tok);
	st = jwt_verify_hs256(tok, strlen(tok), secret, SECRET_LEN, NOW_DEFAULT, 0, NULL);
	ck_assert_msg(st == t->want, "%s: got %s, expected %s", t->name, jwt_strerror(st),
		      jwt_strerror(t->want));
	free(tok);
}
END_TEST

START_TEST(test_limits)
{
	char big[LIM_TOKEN + 64];
	char *tok;
	size_t n;

	/* A well-signed token over LIM_TOKEN is refused before any work. */
	memcpy(big, "{\"pad\":\"", 8);
	n = sizeof(big) - 8 - 2 - 1;
	memset(big + 8, 'x', n);
	memcpy(big + 8 + n, "\"}", 3);
	tok = sign_raw(HS, strlen(HS), big, strlen(big));
	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(jwt_verify_hs256(tok, strlen(tok), secret, SECRET_LEN, NOW_DEFAULT, 0, NULL),
			 JWT_MALFORMED);
	free(tok);

	tok = sign_raw(HS, strlen(HS), "{}", 2);
	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(jwt_verify_hs256(tok, strlen(tok), secret, 0, NOW_DEFAULT, 0, NULL), JWT_BAD_SIGNATURE);
	ck_assert_int_eq(jwt_verify_hs256(tok, strlen(tok), NULL, 0, NOW_DEFAULT, 0, NULL), JWT_BAD_SIGNATURE);
	ck_assert_int_eq(jwt_verify_hs256(NULL, 0, secret, SECRET_LEN, NOW_DEFAULT, 0, NULL), JWT_MALFORMED);
	/* The length argument rules, not a NUL: a token cut short by len fails. */
	ck_assert_int_ne(jwt_verify_hs256(tok, strlen(tok) - 1, secret, SECRET_LEN, NOW_DEFAULT, 0, NULL), JWT_OK);
	free(tok);
}
END_TEST

START_TEST(test_strerror)
{
	int s;

	for (s = JWT_OK; s <= JWT_MISSING_EXP; s++) {
		const char *m = jwt_strerror((enum jwt_status)s);

		ck_assert_ptr_nonnull(m);
		ck_assert_str_ne(m, "unknown error");
	}
	ck_assert_str_eq(jwt_strerror((enum jwt_status)999), "unknown error");
}
END_TEST

/* ---- base64url ---- */

struct b64_case {
	const char *name;
	const char *in;
	size_t in_len;          /* 0: strlen */
	int ok;
	const char *out;        /* expected bytes when ok */
	size_t out_len;
};

static const struct b64_case b64_cases[] = {
	{ "empty", "", 0, 1, "", 0 },
	{ "rfc4648-f", "Zg", 0, 1, "f", 1 },
	{ "rfc4648-fo", "Zm8", 0, 1, "fo", 2 },
	{ "rfc4648-foo", "Zm9v", 0, 1, "foo", 3 },
	{ "rfc4648-foob", "Zm9vYg", 0, 1, "foob", 4 },
	{ "rfc4648-fooba", "Zm9vYmE", 0, 1, "fooba", 5 },
	{ "rfc4648-foobar", "Zm9vYmFy", 0, 1, "foobar", 6 },
	{ "url-alphabet", "-_8", 0, 1, "\xfb\xff", 2 },
	{ "std-alphabet-plus-slash", "+/8", 0, 0, NULL, 0 },
	{ "noncanonical-2-chars", "Zh", 0, 0, NULL, 0 },
	{ "noncanonical-3-chars", "Zm9", 0, 0, NULL, 0 },
	{ "noncanonical-last-bit", "Zm9vYh", 0, 0, NULL, 0 },
	{ "padding-2", "Zg==", 0, 0, NULL, 0 },
	{ "padding-1", "Zm8=", 0, 0, NULL, 0 },
	{ "padding-only", "====", 0, 0, NULL, 0 },
	{ "len-mod-4-is-1", "Z", 0, 0, NULL, 0 },
	{ "len-mod-4-is-1-long", "Zm9vY", 0, 0, NULL, 0 },
	{ "trailing-newline", "Zm9v\n", 0, 0, NULL, 0 },
	{ "leading-space", " Zm9v", 0, 0, NULL, 0 },
	{ "inner-space", "Zm 9v", 0, 0, NULL, 0 },
	{ "dot", "Zm9.", 0, 0, NULL, 0 },
	{ "nul-inside", "Zm\0v", 4, 0, NULL, 0 },
	{ "high-byte", "Zm9\xc3", 0, 0, NULL, 0 },
};

START_TEST(test_b64_decode)
{
	const struct b64_case *t = &b64_cases[_i];
	size_t in_len = t->in_len ? t->in_len : strlen(t->in), out_len = 99;
	unsigned char *out = (unsigned char *)"sentinel";
	int rc = b64url_decode(t->in, in_len, &out, &out_len);

	if (t->ok) {
		ck_assert_msg(rc == 0, "%s: rejected", t->name);
		ck_assert_msg(out_len == t->out_len && memcmp(out, t->out, out_len) == 0,
			      "%s: wrong bytes", t->name);
		ck_assert_msg(out[out_len] == '\0', "%s: not NUL-terminated", t->name);
		free(out);
	} else {
		ck_assert_msg(rc == -1, "%s: accepted", t->name);
		ck_assert_msg(out == NULL && out_len == 0, "%s: outputs not cleared", t->name);
	}
}
END_TEST

START_TEST(test_b64_encode)
{
	unsigned char all[256], *back = NULL;
	size_t i, n, back_len;
	char *s;

	s = b64url_encode((const unsigned char *)"foobar", 6);
	ck_assert_str_eq(s, "Zm9vYmFy");
	free(s);
	s = b64url_encode((const unsigned char *)"fooba", 5);
	ck_assert_str_eq(s, "Zm9vYmE");
	free(s);
	s = b64url_encode((const unsigned char *)"\xfb\xff", 2);
	ck_assert_str_eq(s, "-_8");
	free(s);
	s = b64url_encode(NULL, 0);
	ck_assert_str_eq(s, "");
	free(s);
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	/* Every length and every byte value decodes back to itself. */
	for (n = 0; n <= sizeof(all); n++) {
		s = b64url_encode(all + sizeof(all) - n, n);
		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(b64url_decode(s, strlen(s), &back, &back_len), 0);
		ck_assert_msg(back_len == n && memcmp(back, all + sizeof(all) - n, n) == 0, "length %zu", n);
		free(back);
		free(s);
	}
}
END_TEST

/* ---- passwords ---- */

/* bcrypt.hashpw(b"correct horse", bcrypt.gensalt(4, prefix=b"2b")) from python3-bcrypt 3.2.2. */
static const char horse_hash[] = "$2b$04$KqfgA1VTA6J4j8yT2DXEIegKcxew4dqSIgMpq//OjR/ZBDnX4XRh6";
/* bcrypt.hashpw(b"x" * 72, bcrypt.gensalt(4, prefix=b"2b")): python3-bcrypt truncates at 72 too. */
static const char x72_hash[] = "$2b$04$KHsvd5Rg9u.SwZVuWHgmKuMJBxS6TsDXUfD4pxvrP9FgB8AkxGZIy";

START_TEST(test_password_python_hash)
{
	char longpw[1001];
	char other[sizeof(horse_hash)];

	ck_assert_int_eq(password_verify("correct horse", horse_hash), 1);
	ck_assert_int_eq(password_verify("correct horsE", horse_hash), 0);
	ck_assert_int_eq(password_verify("correct horse ", horse_hash), 0);
	ck_assert_int_eq(password_verify("", horse_hash), 0);
	/* The same hash under the $2a$ and $2y$ names verifies the same way. */
	memcpy(other, horse_hash, sizeof(horse_hash));
	other[2] = 'a';
	ck_assert_int_eq(password_verify("correct horse", other), 1);
	other[2] = 'y';
	ck_assert_int_eq(password_verify("correct horse", other), 1);
	other[2] = 'x';
	ck_assert_int_eq(password_verify("correct horse", other), 0);
	/* Past 72 bytes nothing counts, as with passlib; also past libcrypt's 512-byte limit. */
	memset(longpw, 'x', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	ck_assert_int_eq(password_verify(longpw, x72_hash), 1);
	longpw[72] = '\0';
	ck_assert_int_eq(password_verify(longpw, x72_hash), 1);
	longpw[71] = '\0';
	ck_assert_int_eq(password_verify(longpw, x72_hash), 0);
}
END_TEST

START_TEST(test_password_garbage)
{
	char cut[sizeof(horse_hash)];

	ck_assert_int_eq(password_verify("correct horse", ""), 0);
	ck_assert_int_eq(password_verify("correct horse", "*0"), 0);
	ck_assert_int_eq(password_verify("correct horse", "not a hash at all"), 0);
	ck_assert_int_eq(password_verify("correct horse", "$1$abcdefgh$abcdefghijklmnopqrstuv"), 0);
	ck_assert_int_eq(password_verify("correct horse",
		"$2b$04$!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"), 0);
	ck_assert_int_eq(password_verify("correct horse",
		"$2b$99$KqfgA1VTA6J4j8yT2DXEIegKcxew4dqSIgMpq//OjR/ZBDnX4XRh6"), 0);
	memcpy(cut, horse_hash, sizeof(cut));
	cut[sizeof(cut) - 2] = '\0';
	ck_assert_int_eq(password_verify("correct horse", cut), 0);
	ck_assert_int_eq(password_verify(NULL, horse_hash), 0);
	ck_assert_int_eq(password_verify("correct horse", NULL), 0);
}
END_TEST

START_TEST(test_password_hash_roundtrip)
{
	char *h = password_hash("s3cret \xc3\xa9");

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq((int)strlen(h), 60);
	ck_assert_msg(strncmp(h, "$2b$12$", 7) == 0, "hash %s is not $2b$ cost 12", h);
	ck_assert_int_eq(password_verify("s3cret \xc3\xa9", h), 1);
	ck_assert_int_eq(password_verify("s3cret \xc3\xa8", h), 0);
	free(h);
}
END_TEST

START_TEST(test_password_dummy)
{
	const char *d = password_dummy_hash();

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq((int)strlen(d), 60);
	ck_assert_msg(strncmp(d, "$2b$12$", 7) == 0, "dummy %s is not $2b$ cost 12", d);
	ck_assert_int_eq(password_verify("", d), 0);
}
END_TEST

static double cpu_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A stored hash that is not bcrypt (or that bcrypt refuses) still costs one cost-12 run, so
 * such a row answers a login in the time of any other (issue 9); CPU time, not wall time. */
START_TEST(test_password_foreign_hash_costs_bcrypt)
{
	static const char *const foreign[] = {
		"", "not a hash at all", "$1$abcdefgh$abcdefghijklmnopqrstuv",
		"$2b$99$KqfgA1VTA6J4j8yT2DXEIegKcxew4dqSIgMpq//OjR/ZBDnX4XRh6",
		"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
	};
	double t0 = cpu_seconds(), ref, t;
	size_t i;

	ck_assert_int_eq(password_verify("correct horse", password_dummy_hash()), 0);
	ref = cpu_seconds() - t0;
	for (i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		t0 = cpu_seconds();
		ck_assert_int_eq(password_verify("correct horse", foreign[i]), 0);
		t = cpu_seconds() - t0;
		ck_assert_msg(t > ref / 2, "%s: %.4f s of CPU, a bcrypt run takes %.4f s", foreign[i], t, ref);
	}
}
END_TEST

/* ---- hmac.h, rnd.h: SHA-256 (FIPS 180-2 examples), HMAC-SHA256 (RFC 4231), against EVP too ---- */

static void hexstr(const unsigned char *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static const struct { const char *msg, *hex; } sha_cases[] = {
	{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};

START_TEST(test_sha256_vectors)
{
	unsigned char d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];

	sha256_digest(sha_cases[_i].msg, strlen(sha_cases[_i].msg), d);
	hexstr(d, sizeof(d), hex);
	ck_assert_str_eq(hex, sha_cases[_i].hex);
}
END_TEST

/* RFC 4231 test cases 1-4, 6 and 7 (5 truncates the output); key bytes repeated or counted.
 * Both HMACs: hmac_sha256 (hmac.h) and hmac256 (hmac256.h, per-key states). */
static const struct { int key_byte, key_len; const char *data; int data_byte, data_len; const char *hex; } rfc4231[] = {
	{ 0x0b, 20, "Hi There", 0, 0, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ -1, 4, "what do ya want for nothing?", 0, 0, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ 0xaa, 20, NULL, 0xdd, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ -2, 25, NULL, 0xcd, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ 0xaa, 131, "This is a test using a larger than block-size key and a larger than block-size data. "
	  "The key needs to be hashed before being used by the HMAC algorithm.", 0, 0,
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

START_TEST(test_hmac_rfc4231)
{
	unsigned char key[131], data[64], mac[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	const void *msg = data;
	size_t mlen, i, klen = (size_t)rfc4231[_i].key_len;

	for (i = 0; i < klen; i++)
		key[i] = rfc4231[_i].key_byte == -2 ? (unsigned char)(i + 1) : (unsigned char)rfc4231[_i].key_byte;
	if (rfc4231[_i].key_byte == -1)
		memcpy(key, "Jefe", 4);
	if (rfc4231[_i].data != NULL) {
		msg = rfc4231[_i].data;
		mlen = strlen(rfc4231[_i].data);
	} else {
		mlen = (size_t)rfc4231[_i].data_len;
		memset(data, rfc4231[_i].data_byte, mlen);
	}
	hmac_sha256(key, klen, msg, mlen, mac);
	hexstr(mac, sizeof(mac), hex);
	ck_assert_str_eq(hex, rfc4231[_i].hex);
	/* hmac256 (kept keyed states): twice, so the kept state is used as well as made */
	for (i = 0; i < 2; i++) {
		memset(mac, 0, sizeof(mac));
		ck_assert_int_eq(hmac256(key, klen, msg, mlen, mac), 0);
		hexstr(mac, sizeof(mac), hex);
		ck_assert_str_eq(hex, rfc4231[_i].hex);
	}
}
END_TEST

/* Every key length around the 64-byte block, and messages of many lengths, against EVP. */
START_TEST(test_hmac_matches_evp)
{
	unsigned char key[200], msg[300], mine[SHA256_LEN], ref[EVP_MAX_MD_SIZE], d[SHA256_LEN];
	size_t klen, mlen, rlen;
	unsigned int dlen;

	for (klen = 0; klen < sizeof(key); klen++)
		key[klen] = (unsigned char)(klen * 7 + 3);
	for (mlen = 0; mlen < sizeof(msg); mlen++)
		msg[mlen] = (unsigned char)(mlen * 13 + 1);
	for (klen = 0; klen <= sizeof(key); klen += (klen < 140 ? 1 : 30)) {
		for (mlen = 0; mlen <= sizeof(msg); mlen += 37) {
			hmac_sha256(key, klen, msg, mlen, mine);
			ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen,
			    msg, mlen, ref, sizeof(ref), &rlen));
			ck_assert_uint_eq(rlen, SHA256_LEN);
			ck_assert_msg(memcmp(mine, ref, SHA256_LEN) == 0, "key %zu bytes, message %zu", klen, mlen);
		}
	}
	for (mlen = 0; mlen <= sizeof(msg); mlen++) {
		sha256_digest(msg, mlen, mine);
		ck_assert_int_eq(EVP_Digest(msg, mlen, d, &dlen, EVP_sha256(), NULL), 1);
		ck_assert_msg(memcmp(mine, d, SHA256_LEN) == 0, "message %zu", mlen);
	}
}
END_TEST

START_TEST(test_random_bytes)
{
	unsigned char a[64], b[64], zero[64];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	ck_assert_int_eq(random_bytes(a, sizeof(a)), 0);
	ck_assert_int_eq(random_bytes(b, sizeof(b)), 0);
	ck_assert_int_eq(random_bytes(b, 0), 0);
	ck_assert_mem_ne(a, b, sizeof(a));
	ck_assert_mem_ne(a, zero, sizeof(a));
}
END_TEST

/* More keys than hmac256 keeps: states are dropped and made again, results unchanged. */
START_TEST(test_hmac256_many_keys)
{
	unsigned char key[8], mac[32], first[10][32];
	int i, round;

	ck_assert_int_eq(hmac256("", 0, "x", 1, mac), -1);    /* no unkeyed MAC */
	for (round = 0; round < 2; round++)
		for (i = 0; i < 10; i++) {
			memset(key, 'a' + i, sizeof(key));
			ck_assert_int_eq(hmac256(key, sizeof(key), "msg", 3, mac), 0);
			if (round == 0)
				memcpy(first[i], mac, sizeof(mac));
			else
				ck_assert_mem_eq(mac, first[i], sizeof(mac));
			if (i > 0)
				ck_assert_mem_ne(first[i], first[i - 1], sizeof(mac));
		}
	hmac256_forget();
	memset(key, 'a', sizeof(key));
	ck_assert_int_eq(hmac256(key, sizeof(key), "msg", 3, mac), 0);
	ck_assert_mem_eq(mac, first[0], sizeof(mac));
}
END_TEST

static Suite *jwt_suite(void)
{
	Suite *s = suite_create("jwt");
	TCase *tc;
	size_t i;

	tc = tcase_create("vectors");
	for (i = 0; i < nvecs; i++) {
		/* A TTest per case so Check reports failures under the case id. */
		vec_tests[i].name = vecs[i].id;
		vec_tests[i].fn = test_vector->fn;
		vec_tests[i].file = test_vector->file;
		vec_tests[i].line = test_vector->line;
		tcase_add_loop_test(tc, &vec_tests[i], (int)i, (int)i + 1);
	}
	tcase_add_test(tc, test_vector_count);
	tcase_add_test(tc, test_require_exp);
	suite_add_tcase(s, tc);

	tc = tcase_create("issue");
	tcase_add_test(tc, test_issue_roundtrip);
	tcase_add_test(tc, test_issue_refuses);
	tcase_add_test(tc, test_tamper_each_char);
	suite_add_tcase(s, tc);

	tc = tcase_create("strict");
	tcase_add_loop_test(tc, test_strict, 0, (int)(sizeof(strict_cases) / sizeof(strict_cases[0])));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("hmac");
	tcase_add_loop_test(tc, test_sha256_vectors, 0, (int)(sizeof(sha_cases) / sizeof(sha_cases[0])));
	tcase_add_loop_test(tc, test_hmac_rfc4231, 0, (int)(sizeof(rfc4231) / sizeof(rfc4231[0])));
	tcase_add_test(tc, test_hmac_matches_evp);
	tcase_add_test(tc, test_random_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("hmac256");
	tcase_add_test(tc, test_hmac256_many_keys);
	suite_add_tcase(s, tc);

	tc = tcase_create("b64url");
	tcase_add_loop_test(tc, test_b64_decode, 0, (int)(sizeof(b64_cases) / sizeof(b64_cases[0])));
	tcase_add_test(tc, test_b64_encode);
	suite_add_tcase(s, tc);

	tc = tcase_create("password");
	tcase_set_timeout(tc, 30);      /* one cost-12 hash and one cost-12 verify */
	tcase_add_test(tc, test_password_python_hash);
	tcase_add_test(tc, test_password_garbage);
	tcase_add_test(tc, test_password_hash_roundtrip);
	tcase_add_test(tc, test_password_dummy);
	tcase_add_test(tc, test_password_foreign_hash_costs_bcrypt);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char path[4096];
	int failed;

	if (tu_shared_path("test_jwt", VECTORS_REL, path, sizeof(path)) != 0)
		return EXIT_FAILURE;
	if (load_vectors(path) != 0) {
		free_vectors();
		return EXIT_FAILURE;
	}
	printf("test_jwt: %zu vectors from %s\n", nvecs, path);
	fflush(stdout);

	failed = tu_run(jwt_suite());
	free_vectors();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
