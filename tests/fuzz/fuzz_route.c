/* fuzz_route.c: libFuzzer driver for route_match (the input as a request path), pct_decode,
 * the percent-encoder (pctenc) and uuid_parse. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flimits.h"
#include "pctenc.h"
#include "sigv4.h"
#include "route.h"
#include "uuid.h"
#include "valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Literal segments, {x} (UUID), {x:seg} (one segment) and {x:path} (the rest), alone and mixed. */
static const char *const patterns[] = {
	"/",
	"/api/v1/login/access-token",
	"/api/v1/users/me",
	"/api/v1/users/{user_id}",
	"/api/v1/users/{user_id}/export-configuration",
	"/api/v1/users/{user_id}/export-configuration/{config_id}",
	"/api/v1/files/{file_id}/versions/{name:seg}",
	"/storage/{key:path}",
	"/api/v1/{kind:seg}/{id}/raw/{rest:path}",
	"/{a:seg}/{b:seg}/{c:seg}/{d:seg}",
	"/{x:seg}",
	"/{x:path}",
	"/a/{x}/",
	"/a//b",
	"/a%2Fb/{x:seg}",
};
#define N_PATTERNS (sizeof(patterns) / sizeof(patterns[0]))

/* The parameters of pattern, in order: count, and whether each is the {x:path} kind. */
static size_t pattern_params(const char *pattern, int is_path[LIM_ROUTE_PARAMS + 1])
{
	const char *p = pattern;
	size_t n = 0;

	while ((p = strchr(p, '{')) != NULL) {
		const char *close = strchr(p, '}');
		if (n <= LIM_ROUTE_PARAMS)
			is_path[n] = close && close - p > 5 && strncmp(close - 5, ":path", 5) == 0;
		n++;
		p++;
	}
	return n;
}

static void check_uuid(const char *s, size_t len)
{
	char out[UUID_STR_LEN + 1], again[UUID_STR_LEN + 1], why[200], tiny[8];
	size_t i;

	if (uuid_parse(s, len, out, why, sizeof(why)) == 0) {
		if (strlen(out) != UUID_STR_LEN)
			abort();
		for (i = 0; i < UUID_STR_LEN; i++)
			if (out[i] >= 'A' && out[i] <= 'F')
				abort();
		if (uuid_parse(out, UUID_STR_LEN, again, why, sizeof(why)) != 0 || strcmp(out, again) != 0)
			abort();
		/* the 32-digit spelling of the same UUID */
		{
			char simple[32];
			size_t o = 0;
			for (i = 0; i < UUID_STR_LEN; i++)
				if (out[i] != '-')
					simple[o++] = out[i];
			if (o != 32 || uuid_parse(simple, 32, again, why, sizeof(why)) != 0 ||
			    strcmp(out, again) != 0)
				abort();
		}
	} else {
		if (why[0] == '\0' || strnlen(why, sizeof(why)) == sizeof(why))
			abort();
		/* a short error buffer only truncates */
		if (uuid_parse(s, len, out, tiny, sizeof(tiny)) == 0 || strnlen(tiny, sizeof(tiny)) == sizeof(tiny))
			abort();
	}
}

static void match_all(const char *path, size_t len)
{
	char *names[LIM_ROUTE_PARAMS], *values[LIM_ROUTE_PARAMS];
	static const size_t maxes[] = { 0, 1, LIM_ROUTE_PARAMS };
	size_t vlens[LIM_ROUTE_PARAMS], i, k, m;
	int is_path[LIM_ROUTE_PARAMS + 1];

	for (i = 0; i < N_PATTERNS; i++) {
		size_t np = pattern_params(patterns[i], is_path);

		for (m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
			size_t max = maxes[m];
			int rc = route_match(patterns[i], path, len, names, values, vlens, max);

			if (rc == -1 || rc == -2)
				continue;
			if (rc < 0 || (size_t)rc != np || (size_t)rc > max)
				abort();
			for (k = 0; k < (size_t)rc; k++) {
				if (names[k] == NULL || values[k] == NULL || values[k][vlens[k]] != '\0')
					abort();
				if (vlens[k] > len || (!is_path[k] && vlens[k] == 0))
					abort();
				/* what route_dispatch does with a plain {name} */
				check_uuid(values[k], vlens[k]);
				free(names[k]);
				free(values[k]);
			}
		}
	}
}

/* A second way to find dot segments: decode %2e, %2f and %5c first, then split on '/'. */
static int dot_segment_oracle(const char *p, size_t len)
{
	char *d = malloc(len + 1);
	size_t i, o = 0, start;
	int found = 0;

	if (d == NULL)
		abort();
	for (i = 0; i < len; i++) {
		if (p[i] == '%' && i + 2 < len && p[i + 1] == '2' && (p[i + 2] | 0x20) == 'e') {
			d[o++] = '.'; i += 2;
		} else if (p[i] == '%' && i + 2 < len && ((p[i + 1] == '2' && (p[i + 2] | 0x20) == 'f') ||
		    (p[i + 1] == '5' && (p[i + 2] | 0x20) == 'c'))) {
			d[o++] = '/'; i += 2;
		} else {
			d[o++] = p[i] == '.' || p[i] == '/' ? p[i] : 'a';   /* nothing else matters */
		}
	}
	for (start = 0, i = 0; i <= o; i++)
		if (i == o || d[i] == '/') {
			size_t n = i - start;
			if ((n == 1 && d[start] == '.') || (n == 2 && d[start] == '.' && d[start + 1] == '.'))
				found = 1;
			start = i + 1;
		}
	free(d);
	return found;
}

/* Every variant of the encoder: only kept bytes and %XX out, decoding gives the input back
 * (PCT_KEEP_ESCAPES: the input's own escapes are decoded too, so only the alphabet is
 * checked), the buffered form equals the malloc'd one, and SigV4's UriEncode is the same. */
static void check_pctenc(const char *in, size_t size)
{
	static const char *const keeps[] = { PCT_UNRESERVED, PCT_PATH, PCT_URL };
	struct buf b;
	size_t i, k, dlen;
	char *enc, *dec;

	for (k = 0; k < 6; k++) {
		unsigned flags = k >= 3 ? PCT_KEEP_ESCAPES : 0;
		if ((enc = pct_encode(in, size, keeps[k % 3], flags)) == NULL)
			continue;
		for (i = 0; enc[i]; i++)
			if (!(enc[i] == '%' || strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
			    enc[i]) || strchr(keeps[k % 3], enc[i])))
				abort();
		if (!flags) {
			if ((dec = pct_decode(enc, strlen(enc), 0, &dlen)) != NULL &&
			    (dlen != size || memcmp(dec, in, size) != 0))
				abort();
			free(dec);
		}
		buf_init(&b, 3 * size + 1);
		if (pct_encode_buf(&b, in, size, keeps[k % 3], flags) == 0 &&
		    (b.len != strlen(enc) || memcmp(buf_cstr(&b), enc, b.len) != 0))
			abort();
		buf_free(&b);
		if (k < 2) {
			buf_init(&b, 3 * size + 1);
			if (sigv4_uri_encode(in, size, k == 1, &b) == SIGV4_OK && strcmp(buf_cstr(&b), enc) != 0)
				abort();
			buf_free(&b);
		}
		free(enc);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t dlen;
	char *in, *dec;

	/* Exact-size copy, so ASan catches any read past len (the input is not NUL-terminated). */
	if ((in = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size)
		memcpy(in, data, size);

	match_all(in, size);
	if (route_has_dot_segment(in, size) != dot_segment_oracle(in, size))
		abort();

	if ((dec = pct_decode(in, size, 0, &dlen)) != NULL) {
		if (dlen > size || dec[dlen] != '\0')
			abort();
		free(dec);
	}
	if ((dec = pct_decode(in, size, 1, NULL)) != NULL)
		free(dec);

	check_uuid(in, size);
	check_pctenc(in, size);
	free(in);
	return 0;
}
