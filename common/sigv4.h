/* sigv4.h: AWS Signature Version 4 (AWS4-HMAC-SHA256) request signing and presigned URLs for S3/R2/MinIO. */
#ifndef FILES_SIGV4_H
#define FILES_SIGV4_H
#include <stddef.h>
#include <time.h>

#include "buf.h"

/*
 * Two path conventions, chosen with flags in struct sigv4_request:
 *
 *  SIGV4_S3 (S3, R2, MinIO): path is the RAW object path, not percent-encoded ("/bucket/temp/a b.png").
 *    The signer encodes every byte outside RFC 3986 unreserved once, keeps '/', and normalises
 *    nothing ("//", "." and ".." segments are part of the key). The URL built by sigv4_url and
 *    sigv4_presign carries that same encoded path, so what is signed is what is sent.
 *
 *  SIGV4_GENERIC (every other AWS service, the aws-sig-v4 test suites): path is the request-target
 *    path exactly as it is sent on the wire (it may already hold %XX). With SIGV4_NORMALIZE, dot
 *    segments and empty segments are removed first (a trailing '/' is kept); then the result is
 *    encoded again ("double encoding": '%' becomes %25). URLs carry the path verbatim.
 *
 * Query parameters are always given raw (decoded); the signer encodes names and values, sorts
 * them by encoded name then value, and uses that same string on the wire. Header values are given
 * as they would be sent; obs-fold (CRLF or LF followed by SP/HTAB) is accepted as whitespace.
 * Every header in r->headers is signed, plus host (from r->host).
 *
 * Header signing adds x-amz-date, x-amz-security-token (when there is a token and not
 * SIGV4_OMIT_TOKEN) and, with SIGV4_ADD_CONTENT_SHA256, x-amz-content-sha256. When r->headers
 * already holds one of those (or host), every copy must have the signer's value, else SIGV4_EINVAL;
 * it is not added twice. A presign adds the X-Amz-* query parameters itself and refuses r->query
 * holding any of them. Functions whose contract says "replace" leave the buffer empty on error;
 * "append" ones may leave part of the output. All functions are thread-safe; nothing is kept
 * between calls.
 */
#define SIGV4_NORMALIZE           0x01u /* remove "." / ".." / empty path segments before encoding */
#define SIGV4_DOUBLE_ENCODE       0x02u /* path is the wire form; URLs carry it verbatim */
#define SIGV4_AUTHZ_SPACED        0x04u /* Authorization uses ", " between parts (else ",") */
#define SIGV4_ADD_CONTENT_SHA256  0x08u /* header signing: add and sign x-amz-content-sha256 */
#define SIGV4_OMIT_TOKEN          0x10u /* session token is sent but not signed */

#define SIGV4_S3       (SIGV4_ADD_CONTENT_SHA256)
#define SIGV4_GENERIC  (SIGV4_NORMALIZE | SIGV4_DOUBLE_ENCODE | SIGV4_AUTHZ_SPACED)

#define SIGV4_KEY_LEN        32          /* bytes of a derived signing key */
#define SIGV4_HEX_LEN        64          /* hex digits of a SHA-256 / signature */
#define SIGV4_AMZ_DATE_LEN   16          /* "20150830T123600Z" */
#define SIGV4_MAX_HEADERS    64          /* headers per request, signer-added ones included */
#define SIGV4_MAX_QUERY      64          /* query parameters per request, X-Amz-* included */
#define SIGV4_MAX_SECRET     256         /* bytes of a secret access key */
#define SIGV4_MAX_NAME       63          /* bytes of a region or a service name */
#define SIGV4_MAX_OUTPUT     (256u * 1024u) /* cap on any buffer the signer fills */
#define SIGV4_MAX_EXPIRES    604800      /* 7 days, the SigV4 presign maximum */

#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

enum sigv4_status {
	SIGV4_OK = 0,
	SIGV4_EINVAL,   /* a field is missing, malformed or contradicts another */
	SIGV4_ETOOBIG,  /* over SIGV4_MAX_* or the output cap */
	SIGV4_ENOMEM,
	SIGV4_ECRYPTO   /* OpenSSL failed */
};

/* One name/value pair; lengths are explicit, bytes need not be NUL-terminated. */
struct sigv4_kv {
	const char *name;
	size_t      name_len;
	const char *value;
	size_t      value_len;
};

struct sigv4_creds {
	const char *access_key_id;      /* VCHAR except '/' and ',' */
	const char *secret_access_key;  /* 1..SIGV4_MAX_SECRET bytes */
	const char *session_token;      /* NULL when none */
};

struct sigv4_request {
	const char *method;             /* "PUT", ... (an HTTP token) */
	const char *scheme;             /* "https" or "http"; NULL means https (URLs only) */
	const char *host;               /* Host header value, with :port when not the default; NULL: take it from headers */
	const char *path;               /* see the conventions above; NULL or "" means "/" */
	size_t      path_len;
	const struct sigv4_kv *query;   /* raw parameters, any order, duplicates allowed */
	size_t      nquery;
	const struct sigv4_kv *headers; /* headers to sign, any order/case; repeated names are joined with ',' */
	size_t      nheaders;
	const char *payload_hash;       /* lowercase hex SHA-256 of the body or e.g. "UNSIGNED-PAYLOAD";
					   NULL: empty-body hash (headers) / UNSIGNED-PAYLOAD (presign) */
	const char *region;             /* "us-east-1", "auto" ([A-Za-z0-9._-], at most 63) */
	const char *service;            /* "s3" (same rules) */
	const struct sigv4_creds *creds;
	long long   unix_time;          /* signing time, used when tm is NULL */
	const struct tm *tm;            /* signing time as UTC broken-down time, or NULL */
	unsigned    expires;            /* presign only: X-Amz-Expires, 1..SIGV4_MAX_EXPIRES */
	unsigned    flags;              /* SIGV4_S3 or SIGV4_GENERIC, optionally | other SIGV4_* bits */
};

/* Optional copies of the intermediate values of one signing (for tests and debugging). */
struct sigv4_trace {
	struct buf *canonical_request;  /* NULL: not wanted; else replaced with the canonical request */
	struct buf *string_to_sign;     /* NULL: not wanted; else replaced with the string to sign */
	char signature[SIGV4_HEX_LEN + 1];
};

/* Headers a header-signed request must carry besides Authorization (and besides r->headers). */
struct sigv4_send_headers {
	char        amz_date[SIGV4_AMZ_DATE_LEN + 1]; /* X-Amz-Date, always */
	const char *content_sha256;     /* x-amz-content-sha256 value, or NULL when not signed; points into r */
	const char *security_token;     /* X-Amz-Security-Token value, or NULL; points into r->creds */
};

/* Build a sigv4_kv from two NUL-terminated strings. */
static inline struct sigv4_kv sigv4_kv_str(const char *name, const char *value)
{
	struct sigv4_kv kv;
	size_t n = 0, v = 0;

	while (name[n])
		n++;
	while (value[v])
		v++;
	kv.name = name;
	kv.name_len = n;
	kv.value = value;
	kv.value_len = v;
	return kv;
}

/* Static English text for st; never NULL. */
const char *sigv4_strerror(enum sigv4_status st);

/* Append s[0..len) percent-encoded: RFC 3986 unreserved kept, '/' kept when keep_slash, all else %XX uppercase. */
enum sigv4_status sigv4_uri_encode(const char *s, size_t len, int keep_slash, struct buf *out);

/* Append the canonical URI of r->path under r->flags (S3: encode once; GENERIC: normalise, encode again). */
enum sigv4_status sigv4_canonical_path(const struct sigv4_request *r, struct buf *out);

/* Format the signing time of r as "YYYYMMDDTHHMMSSZ" into out[SIGV4_AMZ_DATE_LEN + 1]. */
enum sigv4_status sigv4_amz_date(const struct sigv4_request *r, char out[SIGV4_AMZ_DATE_LEN + 1]);

/* Replace creq (and signed_headers if not NULL) with r's canonical request as given: nothing added but host. */
enum sigv4_status sigv4_canonical_request(const struct sigv4_request *r, struct buf *creq, struct buf *signed_headers);

/* Replace out with "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(creq)>". */
enum sigv4_status sigv4_string_to_sign(const char *amz_date, const char *scope, const char *creq, size_t creq_len,
				       struct buf *out);

/* Derive kSigning for secret/date8/region/service; steps, if not NULL, gets kDate, kRegion, kService. */
enum sigv4_status sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
				    unsigned char key[SIGV4_KEY_LEN], unsigned char steps[3][SIGV4_KEY_LEN]);

/* Write hex(HMAC-SHA256(key, sts)) as 64 lowercase hex digits plus NUL. */
enum sigv4_status sigv4_signature(const unsigned char key[SIGV4_KEY_LEN], const char *sts, size_t sts_len,
				  char hex[SIGV4_HEX_LEN + 1]);

/* Replace out with scheme://host + path as sent + ("?" canonical query when r has parameters). */
enum sigv4_status sigv4_url(const struct sigv4_request *r, struct buf *out);

/* Header signing: replace authz with the Authorization value; *send (if not NULL) gets the headers to add. */
enum sigv4_status sigv4_sign_headers(const struct sigv4_request *r, struct buf *authz,
				     struct sigv4_send_headers *send, struct sigv4_trace *trace);

/* Presign: replace url with scheme://host/path?<sorted query incl. X-Amz-*>&X-Amz-Signature=<hex>. */
enum sigv4_status sigv4_presign(const struct sigv4_request *r, struct buf *url, struct sigv4_trace *trace);

#endif
