/* config.h: the API.md §9 settings, read once per process from the environment or FILES_CONFIG. */
#ifndef FILES_CONFIG_H
#define FILES_CONFIG_H
#include <stddef.h>

enum storage_backend { STORAGE_LOCAL, STORAGE_S3 };
enum addressing_style { ADDR_PATH, ADDR_VIRTUAL };

struct config {
	char *database_url;
	char *secret_key;
	long long access_token_expire_minutes;
	enum storage_backend storage_backend;
	char *storage_local_root;
	char *public_base_url;          /* no trailing slash */
	char *r2_endpoint_url;
	char *r2_access_key_id;
	char *r2_secret_access_key;
	char *r2_bucket;
	char *r2_region;
	enum addressing_style r2_addressing_style;
	char *r2_public_url;            /* no trailing slash */
	char *cdn_url;                  /* no trailing slash */
	int cloudflare_image_transforms;
	long long max_upload_size;
	long long presign_expires_seconds;
	long long temp_ttl_seconds;
	long long bulk_max_upload_bytes;
	long long bulk_max_uncompressed_bytes;
	char **cors_origins;            /* NULL-terminated; "*" allows any */
	size_t n_cors_origins;
	char *caption_service_url;      /* NULL when unset */
	long long body_read_timeout_seconds; /* no body byte for this long: 408 */
	long long body_min_rate;        /* bytes/s a body must keep up past that time (0: none) */
	long long upload_lease_seconds; /* a local upload's claim lasts this long past its last progress */
	long long presign_batch;        /* upload records written in one statement at most (uprecord.h) */
};

/*
 * Fill c from file_text (KEY=value lines, may be NULL) overlaid by envp (NULL-terminated
 * "KEY=value" strings; the environment wins). 0 on success; -1 with one line naming the
 * setting in err. On failure c is left freed. The caller frees c with config_free.
 */
int config_parse(struct config *c, const char *file_text, size_t file_len,
    char *const *envp, char *err, size_t errlen);
/* Release every string of c. */
void config_free(struct config *c);
/*
 * Load the process configuration once (environment + FILES_CONFIG). On error print one
 * line to stderr and exit(78). Returns the process-wide configuration.
 */
const struct config *config_init_or_die(void);
/* The process configuration; NULL before config_init_or_die. */
const struct config *config_get(void);
/* Parse a boolean spelled as pydantic v2 accepts (true/false, 1/0, yes/no, on/off, t/f, y/n,
 * any case). 0 ok with *out set, -1 otherwise. */
int parse_bool(const char *s, int *out);

#endif
