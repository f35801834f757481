/* fuzz_filename.c: libFuzzer driver for safe_filename(_typed): any bytes in, a safe name out. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filename.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The promises of API.md §4.1 for one output: bounded, safe alphabet, no "..", no dot-file. */
static void check_safe(const char *out)
{
	size_t i, n = strlen(out);

	if (n == 0 || n > SAFE_FILENAME_MAX || out[0] == '.' || out[0] == '_' || out[0] == '-' ||
	    strstr(out, "..") != NULL)
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			abort();
	}
}

static const char *const types[] = { "image/jpeg", "image/png", "image/webp", "image/gif", "image/avif",
	"application/zip", "application/pdf", "video/mp4", "audio/mpeg" };
static const char *const exts[] = { "jpg", "png", "webp", "gif", "avif", "zip", "pdf", "mp4", "mp3" };

/* §4.1 step (5): with a declared type the extension is the type's, whatever the name says,
 * and a name in its final form passes through unchanged in one pass. */
static void check_typed(const uint8_t *data, size_t size)
{
	char out[SAFE_FILENAME_MAX + 1], again[SAFE_FILENAME_MAX + 1];
	size_t t = data[0] % (sizeof(types) / sizeof(types[0]));
	const char *ext;

	if (safe_filename_typed((const char *)data + 1, size - 1, types[t], out) != 0)
		abort();
	check_safe(out);
	ext = strrchr(out, '.');
	if (ext == NULL || ext == out || !(strcmp(ext + 1, exts[t]) == 0 || (t == 0 && strcmp(ext + 1, "jpeg") == 0)))
		abort();
	if (safe_filename_typed(out, strlen(out), types[t], again) != 0 || strcmp(out, again) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[SAFE_FILENAME_MAX + 1], again[SAFE_FILENAME_MAX + 1], third[SAFE_FILENAME_MAX + 1];

	if (safe_filename((const char *)data, size, out) != 0)
		abort();
	check_safe(out);
	if (safe_filename(out, strlen(out), again) != 0)
		abort();
	check_safe(again);
	/* A name already in the final form is kept unchanged. One pass may not reach it (a
	 * stem-only "a.b_c" reads as stem "a" + extension later), but a second pass must. */
	if (safe_filename(again, strlen(again), third) != 0 || strcmp(again, third) != 0)
		abort();
	if (size > 0)
		check_typed(data, size);
	return 0;
}
