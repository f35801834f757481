/* err.c: the error code's log text (see err.h). */
#include "err.h"

const char *herr_str(enum herr e)
{
	switch (e) {
	case HE_OK: return "ok";
	case HE_BAD_REQUEST: return "bad request";
	case HE_NOT_AUTHENTICATED: return "not authenticated";
	case HE_BAD_CREDENTIALS: return "bad credentials";
	case HE_FORBIDDEN: return "forbidden";
	case HE_NOT_FOUND: return "not found";
	case HE_NO_ROUTE: return "no route";
	case HE_METHOD: return "method not allowed";
	case HE_TIMEOUT: return "body read timed out";
	case HE_CONFLICT: return "conflict";
	case HE_TOO_LARGE: return "body too large";
	case HE_UNSUPPORTED_TYPE: return "unsupported media type";
	case HE_VALIDATION: return "validation failed";
	case HE_DB_UNAVAILABLE: return "database unavailable";
	case HE_STORAGE_UNAVAILABLE: return "object store unavailable";
	case HE_PRECONDITION: return "the object changed (precondition failed)";
	case HE_SHORT_BODY: return "body shorter than declared";
	case HE_SOURCE: return "the caller's stream failed";
	case HE_BAD_KEY: return "storage key refused";
	case HE_GONE: return "removed during the operation";
	case HE_INTERNAL: return "internal error";
	case HE_IO: return "client i/o error";
	}
	return "unknown";
}
