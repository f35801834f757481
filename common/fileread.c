/* fileread.c: a whole small file read into memory (see fileread.h). */
#include "fileread.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

char *file_read_all(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	if ((unsigned long)n > max) {
		errno = EFBIG;
		goto out;
	}
	if ((data = malloc((size_t)n + 1)) == NULL)
		goto out;
	if (fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
		errno = EIO;
		goto out;
	}
	data[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
out:
	fclose(f);
	return data;
}
