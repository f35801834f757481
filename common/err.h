/* err.h: the one error code of sartiq-files, returned by db, auth, storage, media, the gate
 * and the programs of sbin/. Only http_error (http.c) turns one into a status and a body.
 * The status enums of the parsers (jwt_status, mp_status, sigv4_status, uptoken_status,
 * vsp) are not errors of the service but the reasons a parse gave up; their callers turn
 * them into one of these. */
#ifndef FILES_ERR_H
#define FILES_ERR_H

enum herr {
	HE_OK = 0,
	HE_BAD_REQUEST,        /* 400 detail */
	HE_NOT_AUTHENTICATED,  /* 401 "Not authenticated" + WWW-Authenticate: Bearer */
	HE_BAD_CREDENTIALS,    /* 403 "Could not validate credentials" */
	HE_FORBIDDEN,          /* 403 detail */
	HE_NOT_FOUND,          /* 404 detail */
	HE_NO_ROUTE,           /* 404 "Not Found" */
	HE_METHOD,             /* 405 "Method Not Allowed" */
	HE_TIMEOUT,            /* 408 the body did not arrive in time (BODY_READ_TIMEOUT_SECONDS) */
	HE_CONFLICT,           /* 409 detail */
	HE_TOO_LARGE,          /* 413 detail */
	HE_UNSUPPORTED_TYPE,   /* 415 detail */
	HE_VALIDATION,         /* 422 list from the request's verrs */
	HE_DB_UNAVAILABLE,     /* 503 "Database unavailable" */
	HE_STORAGE_UNAVAILABLE,/* 503 "Storage unavailable" */
	HE_PRECONDITION,       /* 412: an If-Match failed, the stored object changed (storage) */
	HE_SHORT_BODY,         /* 400 "Upload shorter than the declared size" (nothing kept) */
	HE_SOURCE,             /* 400 "Upload body could not be read": the caller's byte source failed */
	HE_BAD_KEY,            /* 500: a storage key refused by storage_key_ok (a bug of the caller) */
	HE_GONE,               /* 500: a row or object vanished under a multi-step write; start again */
	HE_INTERNAL,           /* 500 "Internal Server Error" */
	HE_IO,                 /* the client went away: nothing can be sent */
};

/* Short description of an error code for logs (a switch: every code has one). */
const char *herr_str(enum herr e);

#endif
