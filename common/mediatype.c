/* mediatype.c: Content-Type media types (see mediatype.h). */
#include "mediatype.h"
#include <string.h>
#include <strings.h>

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

int mediatype_parse(const char *ct, struct mediatype *m)
{
	const char *s = ct;

	m->type = "";
	m->len = 0;
	m->params = "";
	if (s == NULL)
		return -1;
	while (blank(*s))
		s++;
	m->type = s;
	while (*s != '\0' && *s != ';' && !blank(*s))
		s++;
	m->len = (size_t)(s - m->type);
	while (blank(*s))
		s++;
	m->params = s;
	return m->len ? 0 : -1;
}

int mediatype_is(const char *ct, const char *type)
{
	struct mediatype m;
	size_t n = strlen(type);

	return mediatype_parse(ct, &m) == 0 && m.len == n && strncasecmp(m.type, type, n) == 0 &&
	    (*m.params == '\0' || *m.params == ';');
}

int mediatype_exact(const char *ct, const char *type)
{
	return ct != NULL && strcasecmp(ct, type) == 0;
}

int mediatype_json(const char *ct)
{
	struct mediatype m;

	if (ct == NULL || *ct == '\0')
		return 1;           /* FastAPI parses a body without Content-Type as JSON */
	if (mediatype_parse(ct, &m) != 0 || (*m.params != '\0' && *m.params != ';') ||
	    m.len < 12 || strncasecmp(m.type, "application/", 12) != 0)
		return 0;
	if (m.len == 16 && strncasecmp(m.type + 12, "json", 4) == 0)
		return 1;
	return m.len > 17 && strncasecmp(m.type + m.len - 5, "+json", 5) == 0;
}
