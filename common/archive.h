/* archive.h: the bulk import's ZIP archive, opened with libzip, checked against every rule of API.md §7 before anything is created, then read entry by entry (never unpacked to disk). */
#ifndef FILES_ARCHIVE_H
#define FILES_ARCHIVE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "media.h"

#define ARC_MAX_ENTRIES     10000
#define ARC_RATIO           100                 /* inflated / compressed, checked ... */
#define ARC_RATIO_FLOOR     (1024 * 1024)       /* ... once an entry is past this many bytes */
#define ARC_ERR_MAX         512

struct arc_limits {
	size_t max_entries;             /* ARC_MAX_ENTRIES */
	uint64_t max_total;             /* inflated bytes of all entries read (BULK_MAX_UNCOMPRESSED_BYTES) */
	uint64_t max_image;             /* one image (MAX_UPLOAD_SIZE) */
	uint64_t max_csv;               /* the CSV */
	uint64_t ratio, ratio_floor;    /* ARC_RATIO, ARC_RATIO_FLOOR */
	/* called while inflating (every 64 KiB; may be NULL): non-zero stops archive_open,
	 * which fails with "archive: stopped" (the worker's heartbeat, a lost claim) */
	int (*progress)(void *ctx);
	void *progress_ctx;
};

/* One entry: its name, what the layout made of it, its size counted while inflating. */
enum arc_kind { AK_DIR, AK_JUNK, AK_CSV, AK_IMAGE, AK_OTHER };
struct arc_entry {
	char *name;                     /* as stored (owned) */
	const char *rel;                /* name within the wrapping folder (points into name) */
	uint64_t index;                 /* libzip index */
	uint64_t csize, size;           /* compressed (central directory); inflated (counted) */
	uint64_t declared;              /* inflated size the headers declare (checked, never trusted) */
	enum arc_kind kind;
	enum media_type type;           /* sniffed (files only) */
};

struct archive;

/*
 * Open the archive of fd (a regular file, read with pread; fd stays the caller's) or of the
 * n bytes at mem (mem NULL: fd), check every entry (names, symlinks, encryption, methods,
 * duplicates, local headers, the entry count) and inflate every file that is not junk
 * (__MACOSX/, .DS_Store, Thumbs.db), counting its bytes against lim and sniffing its type.
 * 0 with *out set (free with archive_free); -1 with err naming the entry and the rule
 * ("entry \"../a.jpg\": name escapes the archive root"), or the archive as a whole.
 */
int archive_open(int fd, const void *mem, size_t n, const struct arc_limits *lim,
    struct archive **out, char *err, size_t errlen);
void archive_free(struct archive *a);

/* The CSV entry (exactly one at the root, or in the single wrapping folder). */
const struct arc_entry *archive_csv(const struct archive *a);
/* Entries in central-directory order; *n their count. */
const struct arc_entry *archive_entries(const struct archive *a, size_t *n);

/*
 * The images (sniffed: jpeg png webp gif avif) directly in folder sku (exact name), the cover
 * first (stem "cover", else the file named cover_hint when it is an image there, else the
 * first by natural order), then the others in natural order. Sets *imgs (owned by a, valid
 * until the next call) and *n. Returns 1 when the folder exists, 0 when it does not.
 */
int archive_folder_images(struct archive *a, const char *sku, const char *cover_hint,
    const struct arc_entry ***imgs, size_t *n);

/* Reading one entry's bytes again (sizes still counted; more than at validation: an error). */
struct arc_stream;
struct arc_stream *archive_stream_open(struct archive *a, const struct arc_entry *e);
/* A storage_read_fn: up to n bytes, 0 at the end, -1 on error. */
ssize_t archive_stream_read(void *stream, char *buf, size_t n);
void archive_stream_close(struct arc_stream *s);

/*
 * The name rules of one entry (n bytes at name): NULL when acceptable, else the rule broken
 * ("name escapes the archive root", "absolute name", "name holds a backslash", "name holds a
 * NUL byte", "empty name", "name has an empty or '.' segment"). Pure.
 */
const char *archive_name_rule(const char *name, size_t n);
/* Natural order of file names: digit runs compare by value ("img2" < "img10"). strcmp-like. */
int archive_natcmp(const char *a, const char *b);
/* Junk the layout ignores: under __MACOSX/, or a .DS_Store / Thumbs.db anywhere. */
int archive_is_junk(const char *name);

#endif
