/* fuzz_config.c: libFuzzer driver for config_parse (the input as FILES_CONFIG text) and parse_bool. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small fixed environment: a few settings (the environment wins over the file) and noise. */
static char *const env_some[] = {
	"PATH=/usr/bin:/bin",
	"STORAGE_LOCAL_ROOT=/srv/files",
	"R2_REGION=",
	"CORS_ORIGINS=https://a.example/, http://b.example//,,*",
	"PRESIGN_EXPIRES_SECONDS=600",
	"NOT_A_SETTING=1",
	"NO_EQUALS_SIGN",
	"=empty-name",
	NULL
};
/* One that satisfies the required settings, so the file's other lines decide the outcome. */
static char *const env_required[] = {
	"DATABASE_URL=postgresql://files@localhost/files",
	"SECRET_KEY=fuzz-secret-key-0123456789abcdef",
	NULL
};

static int no_trailing_slash(const char *s)
{
	size_t n = strlen(s);

	return n == 0 || s[n - 1] != '/' || (n >= 2 && s[n - 2] == '/');
}

static void check_config(const struct config *c)
{
	size_t i;

	if (c->database_url == NULL || *c->database_url == '\0')
		abort();
	if (c->secret_key == NULL || strlen(c->secret_key) < 16)
		abort();
	if (c->storage_local_root == NULL || c->public_base_url == NULL || c->r2_region == NULL ||
	    c->r2_public_url == NULL || c->cdn_url == NULL)
		abort();
	if (!no_trailing_slash(c->public_base_url) || !no_trailing_slash(c->r2_public_url) ||
	    !no_trailing_slash(c->cdn_url))
		abort();
	if (c->storage_backend != STORAGE_LOCAL && c->storage_backend != STORAGE_S3)
		abort();
	if (c->storage_backend == STORAGE_S3 &&
	    (c->r2_endpoint_url == NULL || c->r2_access_key_id == NULL || c->r2_secret_access_key == NULL ||
	     c->r2_bucket == NULL || !*c->r2_endpoint_url || !*c->r2_access_key_id ||
	     !*c->r2_secret_access_key || !*c->r2_bucket))
		abort();
	if (c->r2_addressing_style != ADDR_PATH && c->r2_addressing_style != ADDR_VIRTUAL)
		abort();
	if (c->cloudflare_image_transforms != 0 && c->cloudflare_image_transforms != 1)
		abort();
	if (c->access_token_expire_minutes < 1 || c->max_upload_size < 1 ||
	    c->presign_expires_seconds < 1 || c->presign_expires_seconds > 3600 ||
	    c->temp_ttl_seconds < 60 || c->bulk_max_upload_bytes < 1 || c->bulk_max_uncompressed_bytes < 1)
		abort();
	if (c->cors_origins == NULL || c->cors_origins[c->n_cors_origins] != NULL)
		abort();
	for (i = 0; i < c->n_cors_origins; i++)
		if (c->cors_origins[i] == NULL || *c->cors_origins[i] == '\0')
			abort();
}

static void parse_with(const char *text, size_t len, char *const *envp)
{
	struct config c;
	char err[256];
	size_t i;

	err[0] = '\0';
	if (config_parse(&c, text, len, envp, err, sizeof(err)) == 0) {
		check_config(&c);
		config_free(&c);
	} else {
		/* one line naming the setting; c left freed */
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
		for (i = 0; i < sizeof(c); i++)
			if (((const unsigned char *)&c)[i] != 0)
				abort();
	}
	config_free(&c);        /* harmless on a freed config */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in;
	int b;

	/* Exact-size copy, so ASan catches any read past len (the text is not NUL-terminated). */
	if ((in = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size)
		memcpy(in, data, size);
	parse_with(in, size, env_some);
	parse_with(in, size, env_required);
	parse_with(in, size, NULL);
	free(in);

	/* parse_bool takes a C string: the input up to its first NUL. */
	if ((in = malloc(size + 1)) == NULL)
		return 0;
	if (size)
		memcpy(in, data, size);
	in[size] = '\0';
	b = -1;
	if (parse_bool(in, &b) == 0 && b != 0 && b != 1)
		abort();
	free(in);
	return 0;
}
