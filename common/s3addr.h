/* s3addr.h: where an S3/R2 request goes (R2_ENDPOINT_URL, R2_ADDRESSING_STYLE): scheme, Host and path. */
#ifndef FILES_S3ADDR_H
#define FILES_S3ADDR_H
#include "buf.h"

#define S3ADDR_SCHEME_MAX 8      /* "https" and its NUL */
#define S3ADDR_HOST_MAX   512    /* the Host, a virtual-hosted bucket prefix included */

/*
 * Split endpoint, "http(s)://host[:port]" with at most a trailing '/' (no path, user, query or
 * fragment), into scheme and the Host requests are sent to: host[:port], or "bucket." before it
 * when virtual_style. 0 ok, -1 when malformed or too long.
 */
int s3addr_host(const char *endpoint, const char *bucket, int virtual_style,
    char scheme[S3ADDR_SCHEME_MAX], char host[S3ADDR_HOST_MAX]);
/* Append the path of key (raw; NULL: the bucket itself): "/bucket/key" path-style, "/key"
 * virtual-hosted. 0 ok, -1 when path is full. */
int s3addr_path(struct buf *path, const char *bucket, int virtual_style, const char *key);

#endif
