/* fdio.h: the one write-everything loop for file descriptors (storage, form spooling). */
#ifndef FILES_FDIO_H
#define FILES_FDIO_H
#include <stddef.h>

/* Write all n bytes of p to fd, again after EINTR or a short write. 0, or -1 (errno set). */
int fd_write_all(int fd, const void *p, size_t n);

#endif
