/* log.h: one JSON line per event on stderr (the web server's error log). Never log secrets. */
#ifndef FILES_LOG_H
#define FILES_LOG_H

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

/* Name this process in every line (e.g. "export-config"). The string must outlive the process. */
void log_set_program(const char *name);
/* Attach a request id to the following lines; NULL detaches. The string is copied. */
void log_set_request_id(const char *rid);
/* Write one line; msg is printf-formatted and JSON-escaped (untrusted bytes are safe). */
void log_write(enum log_level lvl, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_info(...)  log_write(LOG_LVL_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_LVL_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_error(...) log_write(LOG_LVL_ERROR, __FILE__, __LINE__, __VA_ARGS__)

#endif
