/* rnd.h: random bytes from the kernel. */
#ifndef FILES_RND_H
#define FILES_RND_H

#include <stddef.h>

/* n bytes from the kernel's CSPRNG (getrandom(2)): no OpenSSL DRBG, whose first use costs
 * the process about 250 kB of heap (docs/performance.md, memory). Small requests are served
 * from 512 bytes drawn at once (one system call per several requests), which a fork
 * forgets in the child. 0, or -1 with errno set. */
int random_bytes(void *buf, size_t n);

#endif
