/* fileread.h: a whole small file read into memory (migrations, test vectors). */
#ifndef FILES_FILEREAD_H
#define FILES_FILEREAD_H
#include <stddef.h>

/*
 * The bytes of path, NUL-terminated (the NUL not counted in *len; len may be NULL). Malloc'd,
 * the caller frees. NULL with errno on failure; EFBIG when the file holds more than max bytes.
 */
char *file_read_all(const char *path, size_t max, size_t *len);

#endif
