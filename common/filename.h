/* filename.h: the upload filename sanitiser of API.md §4.1 (no "..", no dot-files, safe characters only). */
#ifndef FILES_FILENAME_H
#define FILES_FILENAME_H
#include <stddef.h>

#define SAFE_FILENAME_MAX 200   /* "stem.ext" at most this many bytes */
#define SAFE_EXT_MAX 16

/*
 * Sanitise name (len bytes, any bytes) into out (NUL-terminated, at most SAFE_FILENAME_MAX
 * bytes, from [A-Za-z0-9._-], never starting with '.', never holding ".."). out must hold
 * SAFE_FILENAME_MAX + 1 bytes. 0 ok; -1 when PCRE2 failed (out of memory).
 */
int safe_filename(const char *name, size_t len, char *out);
/*
 * As safe_filename, and the extension follows the declared content type ctype (one of
 * §4.1's allowed types, any case): "x.php" as image/png -> "x_php.png". A NULL ctype keeps
 * the client's extension (LoRA files). -1 also for a type outside the list.
 */
int safe_filename_typed(const char *name, size_t len, const char *ctype, char *out);
/* The extension safe_filename kept (after the last '.'), or "" when none. Points into s. */
const char *safe_filename_ext(const char *s);

#endif
