/* s3addr.c: the S3/R2 endpoint and addressing style, for the s3 backend and presigned URLs (see s3addr.h). */
#include "s3addr.h"
#include <stdio.h>
#include <string.h>

int s3addr_host(const char *endpoint, const char *bucket, int virtual_style,
    char scheme[S3ADDR_SCHEME_MAX], char host[S3ADDR_HOST_MAX])
{
	const char *h, *end;
	size_t n, i;

	if (strncmp(endpoint, "https://", 8) == 0) {
		memcpy(scheme, "https", 6);
		h = endpoint + 8;
	} else if (strncmp(endpoint, "http://", 7) == 0) {
		memcpy(scheme, "http", 5);
		h = endpoint + 7;
	} else {
		return -1;
	}
	end = strchr(h, '/');
	n = end ? (size_t)(end - h) : strlen(h);
	if (n == 0 || (end != NULL && end[1] != '\0'))
		return -1;
	/* The Host is signed and sent as it is: no userinfo, query, fragment or odd byte in it. */
	for (i = 0; i < n; i++)
		if (h[i] == '@' || h[i] == '?' || h[i] == '#' || (unsigned char)h[i] <= 0x20 || (unsigned char)h[i] >= 0x7f)
			return -1;
	if (virtual_style) {
		if (snprintf(host, S3ADDR_HOST_MAX, "%s.%.*s", bucket, (int)n, h) >= S3ADDR_HOST_MAX)
			return -1;
	} else {
		if (n >= S3ADDR_HOST_MAX)
			return -1;
		memcpy(host, h, n);
		host[n] = '\0';
	}
	return 0;
}

int s3addr_path(struct buf *path, const char *bucket, int virtual_style, const char *key)
{
	if (!virtual_style && buf_printf(path, "/%s", bucket) != 0)
		return -1;
	if (key != NULL)
		return buf_printf(path, "/%s", key) != 0 ? -1 : 0;
	return virtual_style && buf_puts(path, "/") != 0 ? -1 : 0;
}
