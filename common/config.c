/* config.c: settings from the environment or a FILES_CONFIG file, validated once (see config.h). */
#include "config.h"
#include "flimits.h"
#include "num.h"
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

extern char **environ;

enum ctype { C_STR, C_INT, C_BOOL, C_BACKEND, C_ADDR, C_URL };

struct setting {
	const char *name;
	enum ctype type;
	const char *def;       /* default text, NULL when none */
	long long min, max;    /* for C_INT */
	size_t off;            /* field in struct config (char * or long long); NOFIELD for special ones */
};
#define NOFIELD ((size_t)-1)
#define F(m) offsetof(struct config, m)

/* Order matters only for error messages; defaults that derive from others are filled after. */
static const struct setting settings[] = {
	{ "DATABASE_URL", C_STR, NULL, 0, 0, F(database_url) },
	{ "SECRET_KEY", C_STR, NULL, 0, 0, F(secret_key) },
	{ "ACCESS_TOKEN_EXPIRE_MINUTES", C_INT, "11520", 1, 5256000, F(access_token_expire_minutes) },
	{ "STORAGE_BACKEND", C_BACKEND, "local", 0, 0, NOFIELD },
	{ "STORAGE_LOCAL_ROOT", C_STR, "/var/lib/sartiq-files/storage", 0, 0, F(storage_local_root) },
	{ "PUBLIC_BASE_URL", C_URL, "http://127.0.0.1:8080", 0, 0, F(public_base_url) },
	{ "R2_ENDPOINT_URL", C_URL, NULL, 0, 0, F(r2_endpoint_url) },
	{ "R2_ACCESS_KEY_ID", C_STR, NULL, 0, 0, F(r2_access_key_id) },
	{ "R2_SECRET_ACCESS_KEY", C_STR, NULL, 0, 0, F(r2_secret_access_key) },
	{ "R2_BUCKET", C_STR, NULL, 0, 0, F(r2_bucket) },
	{ "R2_REGION", C_STR, "auto", 0, 0, F(r2_region) },
	{ "R2_ADDRESSING_STYLE", C_ADDR, "path", 0, 0, NOFIELD },
	{ "R2_PUBLIC_URL", C_URL, NULL, 0, 0, F(r2_public_url) },
	{ "CDN_URL", C_URL, NULL, 0, 0, F(cdn_url) },
	{ "CLOUDFLARE_IMAGE_TRANSFORMS", C_BOOL, "false", 0, 0, NOFIELD },
	{ "MAX_UPLOAD_SIZE", C_INT, "52428800", 1, 1LL << 40, F(max_upload_size) },
	{ "PRESIGN_EXPIRES_SECONDS", C_INT, "900", 1, 3600, F(presign_expires_seconds) },
	{ "TEMP_TTL_SECONDS", C_INT, "86400", 60, 31536000, F(temp_ttl_seconds) },
	{ "BULK_MAX_UPLOAD_BYTES", C_INT, "1073741824", 1, 1LL << 42, F(bulk_max_upload_bytes) },
	{ "BULK_MAX_UNCOMPRESSED_BYTES", C_INT, "4294967296", 1, 1LL << 44, F(bulk_max_uncompressed_bytes) },
	{ "CORS_ORIGINS", C_STR, "", 0, 0, NOFIELD },
	{ "CAPTION_SERVICE_URL", C_URL, NULL, 0, 0, F(caption_service_url) },
	/* a request body with no byte for this long, or slower than BODY_MIN_RATE bytes/s past
	 * that time, is answered 408 and abandoned (issue 9 item 2) */
	{ "BODY_READ_TIMEOUT_SECONDS", C_INT, "20", 1, 3600, F(body_read_timeout_seconds) },
	{ "BODY_MIN_RATE", C_INT, "500", 0, 1LL << 30, F(body_min_rate) },
	{ "UPLOAD_LEASE_SECONDS", C_INT, "60", 2, 3600, F(upload_lease_seconds) },
	/* presign records written together while requests queue (uprecord.h); 1: each before its answer */
	{ "PRESIGN_BATCH", C_INT, "16", 1, 64, F(presign_batch) },
};
#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))
#define STRF(c, s) ((char **)((char *)(c) + (s)->off))

static struct config proc_config;
static int proc_config_loaded;

int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "1", "yes", "on", "t", "y" };
	static const char *const no[] = { "false", "0", "no", "off", "f", "n" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) { *out = 1; return 0; }
		if (strcasecmp(s, no[i]) == 0) { *out = 0; return 0; }
	}
	return -1;
}

static int setting_index(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_SETTINGS; i++)
		if (strlen(settings[i].name) == len && strncmp(settings[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* Zero and free a string that may hold a secret (a value of any setting may: SECRET_KEY,
 * R2_SECRET_ACCESS_KEY, the password inside DATABASE_URL). */
static void wipe_free(char *p)
{
	if (p) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

/* Strip surrounding blanks and one pair of matching quotes; returns a malloc'd copy. */
static char *clean_value(const char *v, size_t len)
{
	while (len && isspace((unsigned char)*v)) { v++; len--; }
	while (len && isspace((unsigned char)v[len - 1])) len--;
	if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
		v++;
		len -= 2;
	}
	return strndup(v, len);
}

/* Read the file's KEY=value lines into vals[]. 0 ok, -1 with err. */
static int read_file_values(const char *text, size_t len, char **vals, char *err, size_t errlen)
{
	size_t pos = 0, lineno = 0;

	while (pos < len) {
		const char *line = text + pos, *nl, *eq, *key;
		size_t llen, klen;
		int idx;

		nl = memchr(line, '\n', len - pos);
		llen = nl ? (size_t)(nl - line) : len - pos;
		pos += llen + (nl ? 1 : 0);
		lineno++;
		if (llen > LIM_CONFIG_LINE) {
			snprintf(err, errlen, "FILES_CONFIG: line %zu is too long", lineno);
			return -1;
		}
		if (memchr(line, '\0', llen) != NULL) {
			snprintf(err, errlen, "FILES_CONFIG: line %zu holds a NUL byte", lineno);
			return -1;
		}
		while (llen && isspace((unsigned char)*line)) { line++; llen--; }
		while (llen && isspace((unsigned char)line[llen - 1])) llen--;
		if (llen == 0 || line[0] == '#')
			continue;
		if (llen > 7 && strncmp(line, "export ", 7) == 0) {
			line += 7;
			llen -= 7;
			while (llen && isspace((unsigned char)*line)) { line++; llen--; }
		}
		eq = memchr(line, '=', llen);
		if (eq == NULL) {
			snprintf(err, errlen, "FILES_CONFIG: line %zu is not KEY=value", lineno);
			return -1;
		}
		key = line;
		klen = (size_t)(eq - line);
		while (klen && isspace((unsigned char)key[klen - 1])) klen--;
		if ((idx = setting_index(key, klen)) < 0) {
			snprintf(err, errlen, "FILES_CONFIG: line %zu: unknown setting %.*s", lineno,
			    (int)(klen > 64 ? 64 : klen), key);
			return -1;
		}
		if (vals[idx] != NULL) {
			snprintf(err, errlen, "FILES_CONFIG: %s is set twice", settings[idx].name);
			return -1;
		}
		if ((vals[idx] = clean_value(eq + 1, llen - (size_t)(eq + 1 - line))) == NULL) {
			snprintf(err, errlen, "FILES_CONFIG: out of memory");
			return -1;
		}
	}
	return 0;
}

static int parse_ll(const char *s, long long min, long long max, long long *out)
{
	return num_parse(s, NUM_SIGNED, min, max, out);
}

static int valid_url(const char *s)
{
	size_t i;

	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return 0;
	if (s[strlen(s) - 1] == ':' || strstr(s, "://")[3] == '\0')
		return 0;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static void strip_slashes(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/' && !(n >= 2 && s[n - 2] == '/'))
		s[--n] = '\0';
}

static int split_origins(struct config *c, const char *list)
{
	const char *p = list;

	c->cors_origins = calloc(1, sizeof(char *));
	if (c->cors_origins == NULL)
		return -1;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char *o = clean_value(p, len), **n;

		if (o == NULL)
			return -1;
		strip_slashes(o);
		if (*o == '\0') {
			free(o);
		} else {
			n = realloc(c->cors_origins, (c->n_cors_origins + 2) * sizeof(char *));
			if (n == NULL) { free(o); return -1; }
			c->cors_origins = n;
			c->cors_origins[c->n_cors_origins++] = o;
			c->cors_origins[c->n_cors_origins] = NULL;
		}
		p += len + (comma ? 1 : 0);
	}
	return 0;
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *r = malloc(la + lb + 1);

	if (r) {
		memcpy(r, a, la);
		memcpy(r + la, b, lb + 1);
	}
	return r;
}

int config_parse(struct config *c, const char *file_text, size_t file_len,
    char *const *envp, char *err, size_t errlen)
{
	char *vals[N_SETTINGS] = { 0 };
	size_t i;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (file_text && read_file_values(file_text, file_len, vals, err, errlen) != 0)
		goto out;
	for (i = 0; envp && envp[i]; i++) {
		const char *eq = strchr(envp[i], '=');
		int idx;

		if (eq == NULL || (idx = setting_index(envp[i], (size_t)(eq - envp[i]))) < 0)
			continue;
		wipe_free(vals[idx]);
		if ((vals[idx] = strdup(eq + 1)) == NULL)
			goto nomem;
	}

	for (i = 0; i < N_SETTINGS; i++) {
		const struct setting *s = &settings[i];
		const char *v = vals[i];

		if (v != NULL && *v == '\0' && s->type != C_STR)
			v = NULL;       /* an empty optional setting means "use the default" */
		if (v == NULL)
			v = s->def;
		if (v == NULL)
			continue;
		switch (s->type) {
		case C_URL:
			if (!valid_url(v)) {
				snprintf(err, errlen, "%s: not an http(s) URL", s->name);
				goto out;
			}
			/* FALLTHROUGH */
		case C_STR:
			if (s->off == NOFIELD) {
				if (split_origins(c, v) != 0)      /* CORS_ORIGINS */
					goto nomem;
				break;
			}
			if ((*STRF(c, s) = strdup(v)) == NULL)
				goto nomem;
			if (s->type == C_URL)
				strip_slashes(*STRF(c, s));
			break;
		case C_INT:
			if (parse_ll(v, s->min, s->max, (long long *)((char *)c + s->off)) != 0) {
				snprintf(err, errlen, "%s: must be an integer from %lld to %lld", s->name, s->min, s->max);
				goto out;
			}
			break;
		case C_BOOL:
			if (parse_bool(v, &c->cloudflare_image_transforms) != 0) {
				snprintf(err, errlen, "%s: must be a boolean (true/false)", s->name);
				goto out;
			}
			break;
		case C_BACKEND:
			if (strcmp(v, "local") == 0) c->storage_backend = STORAGE_LOCAL;
			else if (strcmp(v, "s3") == 0) c->storage_backend = STORAGE_S3;
			else {
				snprintf(err, errlen, "%s: must be local or s3", s->name);
				goto out;
			}
			break;
		case C_ADDR:
			if (strcmp(v, "path") == 0) c->r2_addressing_style = ADDR_PATH;
			else if (strcmp(v, "virtual") == 0) c->r2_addressing_style = ADDR_VIRTUAL;
			else {
				snprintf(err, errlen, "%s: must be path or virtual", s->name);
				goto out;
			}
			break;
		}
	}
	if (c->database_url == NULL || *c->database_url == '\0') {
		snprintf(err, errlen, "DATABASE_URL: required");
		goto out;
	}
	if (c->secret_key == NULL || strlen(c->secret_key) < 16) {
		snprintf(err, errlen, "SECRET_KEY: required, at least 16 characters");
		goto out;
	}
	if (c->storage_backend == STORAGE_S3) {
		for (i = 0; i < N_SETTINGS; i++) {
			const char *v;
			if (strncmp(settings[i].name, "R2_", 3) != 0 || settings[i].def != NULL ||
			    settings[i].off == NOFIELD || settings[i].off == F(r2_public_url))
				continue;
			v = *STRF(c, &settings[i]);
			if (v == NULL || *v == '\0') {
				snprintf(err, errlen, "%s: required when STORAGE_BACKEND=s3", settings[i].name);
				goto out;
			}
		}
	}
	if (c->r2_public_url == NULL && (c->r2_public_url = join(c->public_base_url, "/storage")) == NULL)
		goto nomem;
	if (c->cdn_url == NULL && (c->cdn_url = join(c->public_base_url, "/storage")) == NULL)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "configuration: out of memory");
out:
	for (i = 0; i < N_SETTINGS; i++)
		wipe_free(vals[i]);
	if (rc != 0)
		config_free(c);
	return rc;
}

void config_free(struct config *c)
{
	size_t i;

	wipe_free(c->database_url);
	wipe_free(c->secret_key);
	free(c->storage_local_root); free(c->public_base_url); free(c->r2_endpoint_url);
	wipe_free(c->r2_access_key_id);
	wipe_free(c->r2_secret_access_key);
	free(c->r2_bucket); free(c->r2_region); free(c->r2_public_url); free(c->cdn_url);
	free(c->caption_service_url);
	for (i = 0; i < c->n_cors_origins; i++)
		free(c->cors_origins[i]);
	free(c->cors_origins);
	memset(c, 0, sizeof(*c));
}

/* Read the whole FILES_CONFIG file (bounded) with read(2), so no stdio buffer keeps a copy
 * of its secrets. NULL with err on failure. */
static char *read_config_file(const char *path, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text;
	size_t n = 0;
	ssize_t got = 0;

	if (fd < 0) {
		snprintf(err, errlen, "FILES_CONFIG: cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if ((text = malloc(LIM_CONFIG_FILE + 1)) == NULL) {
		close(fd);
		snprintf(err, errlen, "FILES_CONFIG: out of memory");
		return NULL;
	}
	while (n <= LIM_CONFIG_FILE &&
	    ((got = read(fd, text + n, LIM_CONFIG_FILE + 1 - n)) > 0 || (got < 0 && errno == EINTR)))
		if (got > 0)
			n += (size_t)got;
	close(fd);
	if (got < 0 || n > LIM_CONFIG_FILE) {
		snprintf(err, errlen, "FILES_CONFIG: %s is unreadable or larger than %d bytes", path, LIM_CONFIG_FILE);
		explicit_bzero(text, n < LIM_CONFIG_FILE + 1 ? n : LIM_CONFIG_FILE + 1);
		free(text);
		return NULL;
	}
	text[n] = '\0';
	*len = n;
	return text;
}

const struct config *config_init_or_die(void)
{
	char err[512];
	const char *path;
	char *text = NULL;
	size_t len = 0;

	if (proc_config_loaded)
		return &proc_config;
	err[0] = '\0';
	path = getenv("FILES_CONFIG");
	if (path && *path && (text = read_config_file(path, &len, err, sizeof(err))) == NULL)
		goto fail;
	if (config_parse(&proc_config, text, len, environ, err, sizeof(err)) != 0)
		goto fail;
	if (text) {
		explicit_bzero(text, len);
		free(text);
	}
	proc_config_loaded = 1;
	return &proc_config;
fail:
	if (text) {
		explicit_bzero(text, len);
		free(text);
	}
	fprintf(stderr, "sartiq-files: configuration error: %s\n", err);
	exit(78);
}

const struct config *config_get(void)
{
	return proc_config_loaded ? &proc_config : NULL;
}
