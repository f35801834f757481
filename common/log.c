/* log.c: JSON-lines logging to stderr (see log.h). */
#include "log.h"
#include "flimits.h"
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *log_program = "sartiq-files";
static char log_rid[LIM_REQUEST_ID + 1];

void log_set_program(const char *name)
{
	log_program = name;
}

void log_set_request_id(const char *rid)
{
	if (rid == NULL)
		log_rid[0] = '\0';
	else
		snprintf(log_rid, sizeof(log_rid), "%s", rid);
}

static const char *level_name(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_DEBUG: return "debug";
	case LOG_LVL_INFO:  return "info";
	case LOG_LVL_WARN:  return "warn";
	case LOG_LVL_ERROR: return "error";
	}
	return "info";
}

void log_write(enum log_level lvl, const char *file, int line, const char *fmt, ...)
{
	char msg[LIM_LOG_LINE], src[256], ts[64];
	struct timespec now;
	struct tm tm;
	json_object *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(src, sizeof(src), "%s:%d", file, line);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, now.tv_nsec / 1000000);

	if ((o = json_object_new_object()) == NULL)
		return;
	json_object_object_add(o, "ts", json_object_new_string(ts));
	json_object_object_add(o, "level", json_object_new_string(level_name(lvl)));
	json_object_object_add(o, "program", json_object_new_string(log_program));
	if (log_rid[0])
		json_object_object_add(o, "request_id", json_object_new_string(log_rid));
	json_object_object_add(o, "src", json_object_new_string(src));
	/* json-c escapes control bytes and quotes, so untrusted text cannot forge lines. */
	json_object_object_add(o, "msg", json_object_new_string(msg));
	fprintf(stderr, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stderr);
	json_object_put(o);
}
