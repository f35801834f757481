/* flimits.h: every size limit of sartiq-files, named in one place. */
#ifndef FILES_FLIMITS_H
#define FILES_FLIMITS_H

#define LIM_JSON_BODY        (64 * 1024)   /* JSON request bodies */
#define LIM_FORM_BODY        (16 * 1024)   /* form-encoded bodies (login) */
#define LIM_QUERY            (8 * 1024)    /* raw query string */
#define LIM_URI              (8 * 1024)    /* raw REQUEST_URI */
#define LIM_PATH_SEGMENTS    32            /* segments in a routed path */
#define LIM_ROUTE_PARAMS     4             /* {params} in one route */
#define LIM_HEADERS_OUT      24            /* response headers per request */
#define LIM_HEADER_VALUE     1024          /* one response header value */
#define LIM_REQUEST_ID       128           /* X-Request-ID length */
#define LIM_CONFIG_FILE      (64 * 1024)   /* FILES_CONFIG file size */
#define LIM_CONFIG_LINE      4096          /* one line of it */
#define LIM_LOG_LINE         4096          /* one log line */
#define LIM_TOKEN            4096          /* bearer token length */
#define LIM_EMAIL            255
#define LIM_PASSWORD         1024
#define LIM_NAME             255

#endif
