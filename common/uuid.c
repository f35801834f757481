/* uuid.c: UUID v4 from the kernel's RNG, and lenient parsing with the uuid crate's error texts. */
#include "uuid.h"
#include "hex.h"
#include "rnd.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char hexd[] = "0123456789abcdef";

static void format_uuid(const unsigned char b[16], char out[UUID_STR_LEN + 1])
{
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hexd[b[i] >> 4];
		out[o++] = hexd[b[i] & 15];
	}
	out[o] = '\0';
}

int uuid_v4(char out[UUID_STR_LEN + 1])
{
	unsigned char b[16];

	if (random_bytes(b, sizeof(b)) != 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	format_uuid(b, out);
	return 0;
}

int uuid_parse(const char *s, size_t len, char out[UUID_STR_LEN + 1], char *err, size_t errlen)
{
	static const size_t glen[5] = { 8, 4, 4, 4, 12 };
	const char *p = s;
	size_t n = len, i, offset = 0, groups = 1, nhex = 0;
	unsigned char b[16];

	if (n >= 9 && strncasecmp(p, "urn:uuid:", 9) == 0) {
		p += 9; n -= 9; offset = 9;
	} else if (n >= 2 && p[0] == '{' && p[n - 1] == '}') {
		p++; n -= 2; offset = 1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c != '-' && hex_value(c) < 0) {
			if (c >= 0x20 && c < 0x7f)
				snprintf(err, errlen, "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `%c` at %zu", c, i + offset + 1);
			else
				snprintf(err, errlen, "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found a non-ASCII character at %zu", i + offset + 1);
			return -1;
		}
		if (c == '-')
			groups++;
	}
	if (groups == 1) {
		if (n != 32) {
			snprintf(err, errlen, "invalid length: expected length 32 for simple format, found %zu", n);
			return -1;
		}
	} else {
		size_t g = 0, cur = 0;
		if (groups != 5) {
			snprintf(err, errlen, "invalid group count: expected 5, found %zu", groups);
			return -1;
		}
		for (i = 0; i <= n; i++) {
			if (i == n || p[i] == '-') {
				if (cur != glen[g]) {
					snprintf(err, errlen, "invalid group length in group %zu: expected %zu, found %zu", g, glen[g], cur);
					return -1;
				}
				g++;
				cur = 0;
			} else {
				cur++;
			}
		}
	}
	for (i = 0; i < n; i++) {
		int v = hex_value((unsigned char)p[i]);
		if (v < 0)
			continue;
		if (nhex % 2 == 0)
			b[nhex / 2] = (unsigned char)(v << 4);
		else
			b[nhex / 2] |= (unsigned char)v;
		nhex++;
	}
	format_uuid(b, out);
	return 0;
}
