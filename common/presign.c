/* presign.c: presigned PUT URLs through common/sigv4 (see presign.h). */
#include "presign.h"
#include "sigv4.h"
#include <stdio.h>
#include <string.h>

/* Split R2_ENDPOINT_URL into scheme and host[:port]; a path on the endpoint is not supported. */
static int split_endpoint(const char *ep, char *scheme, size_t slen, char *host, size_t hlen)
{
	const char *p = strstr(ep, "://"), *h, *slash;
	size_t n;

	if (p == NULL || (size_t)(p - ep) >= slen)
		return -1;
	memcpy(scheme, ep, (size_t)(p - ep));
	scheme[p - ep] = '\0';
	h = p + 3;
	slash = strchr(h, '/');
	n = slash ? (size_t)(slash - h) : strlen(h);
	if (n == 0 || n >= hlen || (slash && slash[1] != '\0'))
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	return 0;
}

int s3_presign_put(const struct config *c, const char *key, const char *content_type,
    long long size, unsigned expires, long long now, struct buf *url)
{
	char scheme[16], host[512], vhost[700], len[24];
	struct buf path;
	struct sigv4_kv hdr[2];
	struct sigv4_creds creds = { c->r2_access_key_id, c->r2_secret_access_key, NULL };
	struct sigv4_request rq;
	int rc = -1;

	buf_init(&path, 4096);
	if (split_endpoint(c->r2_endpoint_url, scheme, sizeof(scheme), host, sizeof(host)) != 0)
		goto out;
	if (c->r2_addressing_style == ADDR_VIRTUAL) {
		if (snprintf(vhost, sizeof(vhost), "%s.%s", c->r2_bucket, host) >= (int)sizeof(vhost))
			goto out;
		if (buf_printf(&path, "/%s", key) != 0)
			goto out;
	} else {
		snprintf(vhost, sizeof(vhost), "%s", host);
		if (buf_printf(&path, "/%s/%s", c->r2_bucket, key) != 0)
			goto out;
	}
	hdr[0] = sigv4_kv_str("content-type", content_type);
	if (size >= 0) {
		snprintf(len, sizeof(len), "%lld", size);
		hdr[1] = sigv4_kv_str("content-length", len);
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = "PUT";
	rq.scheme = scheme;
	rq.host = vhost;
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
