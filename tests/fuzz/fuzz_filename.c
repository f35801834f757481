/* fuzz_filename.c: libFuzzer driver for safe_filename: any bytes in, a safe name out. */
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
	return 0;
}
