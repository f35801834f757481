/* presign.c: presigned PUT URLs through common/sigv4 (see presign.h). */
#include "presign.h"
#include "s3addr.h"
#include "sigv4.h"
#include <stdio.h>
#include <string.h>

int s3_presign_put(const struct config *c, const char *key, const char *content_type,
    long long size, unsigned expires, long long now, struct buf *url)
{
	char scheme[S3ADDR_SCHEME_MAX], host[S3ADDR_HOST_MAX], len[24];
	struct buf path;
	struct sigv4_kv hdr[2];
	struct sigv4_creds creds = { c->r2_access_key_id, c->r2_secret_access_key, NULL };
	struct sigv4_request rq;
	int virtual_style = c->r2_addressing_style == ADDR_VIRTUAL, rc = -1;

	buf_init(&path, 4096);
	if (s3addr_host(c->r2_endpoint_url, c->r2_bucket, virtual_style, scheme, host) != 0 ||
	    s3addr_path(&path, c->r2_bucket, virtual_style, key) != 0)
		goto out;
	hdr[0] = sigv4_kv_str("content-type", content_type);
	if (size >= 0) {
		snprintf(len, sizeof(len), "%lld", size);
		hdr[1] = sigv4_kv_str("content-length", len);
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = "PUT";
	rq.scheme = scheme;
	rq.host = host;
	rq.path = path.data;
	rq.path_len = path.len;
	rq.headers = hdr;
	rq.nheaders = size >= 0 ? 2 : 1;
	rq.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
	rq.region = c->r2_region;
	rq.service = "s3";
	rq.creds = &creds;
	rq.unix_time = now;
	rq.expires = expires;
	rq.flags = SIGV4_S3;
	rc = sigv4_presign(&rq, url, NULL) == SIGV4_OK ? 0 : -1;
out:
	buf_free(&path);
	return rc;
}
