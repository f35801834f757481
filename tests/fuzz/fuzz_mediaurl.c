/* fuzz_mediaurl.c: libFuzzer driver for media_url_to_key: a client's URL in, a temp key or a
 * refusal out; and for the temp key's own readers (upkey), on the same bytes as a key. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "media.h"
#include "storage.h"
#include "upkey.h"

/* upkey on s: an id only from temp/{32 hex}_..., lowercase with hyphens; a time only from
 * temp/{32 chars}_{digits}_... */
static void check_upkey(const char *s)
{
	char id[UUID_STR_LEN + 1];
	long long t;
	size_t i;

	if (upkey_id(s, id) == 0) {
		if (strncmp(s, "temp/", 5) != 0 || strlen(s) < 38 || s[37] != '_' || strlen(id) != 36)
			abort();
		for (i = 0; i < 36; i++)
			if ((i == 8 || i == 13 || i == 18 || i == 23) ? id[i] != '-' :
			    !((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
				abort();
	}
	if (upkey_issued(s, &t) == 0) {
		if (strncmp(s, "temp/", 5) != 0 || strlen(s) < 40 || s[37] != '_' || t < 0 ||
		    strchr(s + 38, '_') == NULL || strtoll(s + 38, NULL, 10) != t)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const bases[] = { "https://cdn.example.com", "https://pub.example.com",
	    "http://127.0.0.1:8080/storage" };
	char key[STORAGE_KEY_MAX + 1], *url;
	struct config c;
	size_t i, n;
	int ok = 0;

	if ((url = malloc(size + 1)) == NULL)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	check_upkey(url);
	memset(&c, 0, sizeof(c));
	c.storage_backend = (size & 1) ? STORAGE_LOCAL : STORAGE_S3;
	c.cdn_url = (char *)bases[0];
	c.r2_public_url = (char *)bases[1];
	c.public_base_url = (char *)"http://127.0.0.1:8080";
	if (media_url_to_key(&c, url, key, sizeof(key)) == 0) {
		/* a key of temp/ only, valid for every backend, no dot segment, no escape */
		n = strlen(key);
		if (strncmp(key, "temp/", 5) != 0 || !storage_key_ok(key) || strstr(key, "..") ||
		    strchr(key + 5, '/') || strchr(key, '%') || strchr(key, '?') || strchr(key, '#'))
			abort();
		/* and the URL is exactly one of the bases, "/", the key */
		for (i = 0; i < 3; i++) {
			size_t bl = strlen(bases[i]);
			if (i == 2 && c.storage_backend != STORAGE_LOCAL)
				continue;
			if (strlen(url) == bl + 1 + n && strncmp(url, bases[i], bl) == 0 && url[bl] == '/' &&
			    strcmp(url + bl + 1, key) == 0)
				ok = 1;
		}
		if (!ok)
			abort();
	}
	free(url);
	return 0;
}
