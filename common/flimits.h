/* flimits.h: every size limit of sartiq-files, named in one place. */
#ifndef FILES_FLIMITS_H
#define FILES_FLIMITS_H

#define LIM_JSON_BODY        (64 * 1024)   /* JSON request bodies */
#define LIM_FORM_BODY        (16 * 1024)   /* form-encoded bodies (login) */
#define LIM_QUERY            (8 * 1024)    /* raw query string */
#define LIM_URI              (8 * 1024)    /* raw REQUEST_URI */
#define LIM_PATH_SEGMENTS    32            /* segments in a routed path */
#define LIM_ROUTE_PARAMS     4             /* {params} in one route */
#define LIM_ROUTE_FIELDS     24            /* fields of one route's table, every source (fields.h) */
#define LIM_HEADERS_OUT      24            /* response headers per request */
#define LIM_HEADER_VALUE     4096          /* one response header value */
#define LIM_REQUEST_ID       128           /* X-Request-ID length */
#define LIM_CONFIG_FILE      (64 * 1024)   /* FILES_CONFIG file size */
#define LIM_CONFIG_LINE      4096          /* one line of it */
#define LIM_LOG_LINE         4096          /* one log line */
#define LIM_TOKEN            4096          /* bearer token length */
#define LIM_EMAIL            255
#define LIM_PASSWORD         1024
#define LIM_NAME             255
#define LIM_MP_BOUNDARY      70            /* multipart boundary parameter (RFC 2046) */
#define LIM_MP_PREAMBLE      1024          /* skipped bytes before the first delimiter */
#define LIM_MP_PADDING       32            /* SP/HT after a boundary, before its CRLF */
#define LIM_MP_HEADER_BYTES  (8 * 1024)    /* one part's header block, CRLFs included */
#define LIM_MP_HEADERS       16            /* header lines in one part */
#define LIM_MP_PARTS         64            /* parts in one multipart body */

#endif
