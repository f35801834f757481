/* fuzz_sniff.c: libFuzzer driver for media_sniff: any bytes in, one of our types or none out. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum media_type t = media_sniff(data, size);
	size_t head = size < MEDIA_SNIFF_LEN ? size : MEDIA_SNIFF_LEN;

	/* Only the head decides (the ingest sniffs before it has the rest). */
	if (media_sniff(data, head) != t)
		abort();
	if (t == MT_NONE)
		return 0;
	if (media_type_ext(t) == NULL || media_type_mime(t) == NULL ||
	    media_type_from_mime(media_type_mime(t)) != t)
		abort();
	/* The type's own signature is really there. */
	if ((t == MT_PNG && (size < 8 || memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0)) ||
	    (t == MT_JPEG && (size < 3 || memcmp(data, "\xff\xd8\xff", 3) != 0)) ||
	    (t == MT_GIF && (size < 6 || memcmp(data, "GIF8", 4) != 0)) ||
	    (t == MT_PDF && (size < 5 || memcmp(data, "%PDF-", 5) != 0)) ||
	    ((t == MT_AVIF || t == MT_MP4) && (size < 16 || memcmp(data + 4, "ftyp", 4) != 0)))
		abort();
	return 0;
}
