/* tmpfile.c: anonymous temp files (see tmpfile.h). */
#include "tmpfile.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *tmpfile_dir(void)
{
	const char *dir = getenv("TMPDIR");

	/* A relative TMPDIR would depend on the cwd the web server gave us. */
	return dir != NULL && *dir == '/' ? dir : "/tmp";
}

int tmpfile_anon(const char *tag)
{
	const char *dir = tmpfile_dir();
	char path[4096];
	int fd;

	/* O_EXCL: the file can never be linked into the directory later. */
	fd = open(dir, O_RDWR | O_TMPFILE | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* No O_TMPFILE there (older kernel, some filesystems): a named file, unlinked at once. */
	if (snprintf(path, sizeof(path), "%s/%s.XXXXXX", dir, tag) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return -1;
	unlink(path);
	return fd;
}
