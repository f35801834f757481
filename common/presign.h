/* presign.h: presigned S3/R2 PUT URLs for direct browser uploads (API.md §4.1, s3 backend). */
#ifndef FILES_PRESIGN_H
#define FILES_PRESIGN_H
#include "buf.h"
#include "config.h"

/*
 * Replace url with a SigV4 query-signed PUT of key (raw object key) on c's bucket, signing
 * content-type, and content-length when size >= 0, valid for expires seconds from now.
 * Path-style or virtual-hosted by R2_ADDRESSING_STYLE. 0 ok, -1 on a bad endpoint or ENOMEM.
 */
int s3_presign_put(const struct config *c, const char *key, const char *content_type,
    long long size, unsigned expires, long long now, struct buf *url);

#endif
