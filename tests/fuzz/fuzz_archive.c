/* fuzz_archive.c: libFuzzer driver for common/archive: the entry checks, layout and reading of any bytes as a ZIP, under small limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: the archive bytes. Accepted archives must keep the promises of archive.h: names pass
 * archive_name_rule, images lie in a folder and are under the image cap, the bytes read again
 * are the bytes counted, a folder's cover comes first.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct arc_limits lim = { 64, 1u << 20, 64 * 1024, 64 * 1024, ARC_RATIO, 4096 };
	struct archive *a = NULL;
	const struct arc_entry *e, **im;
	char err[ARC_ERR_MAX], buf[1024];
	size_t n, i, k, j;
	uint64_t total = 0;

	if (size > (1u << 20))
		return 0;
	if (archive_open(-1, data, size, &lim, &a, err, sizeof err) != 0) {
		if (a != NULL || err[0] == '\0' || strnlen(err, sizeof err) == sizeof err)
			abort();
		return 0;
	}
	if (archive_csv(a)->kind != AK_CSV)
		abort();
	e = archive_entries(a, &n);
	for (i = 0; i < n; i++) {
		struct arc_stream *s;
		uint64_t got = 0;
		ssize_t r;

		if (archive_name_rule(e[i].name, strlen(e[i].name)) != NULL)
			abort();
		total += e[i].size;
		if (e[i].kind == AK_IMAGE && (e[i].size > lim.max_image || strchr(e[i].rel, '/') == NULL))
			abort();
		if (e[i].kind != AK_IMAGE && e[i].kind != AK_CSV && e[i].kind != AK_OTHER)
			continue;
		if ((s = archive_stream_open(a, &e[i])) == NULL)
			abort();
		while ((r = archive_stream_read(s, buf, sizeof buf)) > 0)
			got += (uint64_t)r;
		if (r < 0 || got != e[i].size)
			abort();
		archive_stream_close(s);
		if (e[i].kind == AK_IMAGE) {
			char sku[256];
			size_t fl = (size_t)(strchr(e[i].rel, '/') - e[i].rel);

			if (fl >= sizeof sku)
				continue;
			memcpy(sku, e[i].rel, fl);
			sku[fl] = '\0';
			if (archive_folder_images(a, sku, NULL, &im, &k) != 1 || k == 0)
				abort();
			for (j = 0; j < k && im[j] != &e[i]; j++)
				;
			if (j == k)
				abort();        /* every image is found in its folder */
		}
	}
	if (total > lim.max_total)
		abort();
	archive_free(a);
	return 0;
}
