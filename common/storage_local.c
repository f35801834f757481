/* storage_local.c: the local-disk backend: one file per object under STORAGE_LOCAL_ROOT/key. */
#include "storage_int.h"
#include "hex.h"
#include "log.h"
#include "valid.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Layout and guarantees:
 * - An object is the regular file ROOT/key; directories are made 0755 as needed, files are 0644
 *   (the web server, possibly another user, serves temp/ and media/ statically); under the
 *   private prefixes (loras/, bulk-uploads/: storage_key_private) files are 0600 and
 *   directories 0700, for the responders' user only.
 * - Every write goes to a private name in ROOT/.tmp (same file system), is fsync'ed, and is
 *   renamed into place, so an object is never seen half written; the parent directory is
 *   fsync'ed after the rename. Every failure removes its temp file. Files are never changed in
 *   place: a new version is always a new inode.
 * - ETag: "\"<inode>-<size>-<mtime ns>\"" in lowercase hex. Replacing an object (a rename of a
 *   new inode over it) changes it; so does any change of size or mtime. Two versions could only
 *   share an ETag if the old inode were freed and its number reused for a new file of the same
 *   size within one tick of the file system's timestamp clock (a few ms).
 * - copy hard-links the (checked, open) source inode to a temp name and renames that into place;
 *   where linking fails it copies the bytes instead. The copy then has the source's ETag, as S3's
 *   copy of a single-part object has the source's MD5 ETag.
 * - delete removes the file, then every parent directory that became empty, up to the root.
 * - Unlike S3, a key cannot be both an object and a "directory" of others ("a" and "a/b"):
 *   such a put fails with HE_INTERNAL (logged).
 */

#define TMP_DIR ".tmp"
#define PUBLISH_TRIES 5   /* a concurrent delete may remove a parent between mkdir and rename */

static int root_fd = -1;      /* ROOT, open for *at() calls */
static int tmp_fd = -1;       /* ROOT/.tmp */

/* mkdir -p path (relative to the working directory or absolute), directories 0755. */
static int mkdir_p(const char *path)
{
	char p[4096];
	size_t n = strlen(path), i;

	if (n == 0 || n >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -1;
		p[i] = i < n ? '/' : '\0';
	}
	return 0;
}

static void local_cleanup(void)
{
	if (tmp_fd >= 0)
		close(tmp_fd);
	if (root_fd >= 0)
		close(root_fd);
	tmp_fd = root_fd = -1;
}

static int local_init(const struct config *c)
{
	const char *root = c->storage_local_root;

	local_cleanup();
	if (root == NULL || *root == '\0') {
		log_error("storage: STORAGE_LOCAL_ROOT is empty");
		return -1;
	}
	if (mkdir_p(root) != 0) {
		log_error("storage: cannot create STORAGE_LOCAL_ROOT %s: %s", root, strerror(errno));
		return -1;
	}
	if ((root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_error("storage: cannot open STORAGE_LOCAL_ROOT %s: %s", root, strerror(errno));
		return -1;
	}
	if (mkdirat(root_fd, TMP_DIR, 0700) != 0 && errno != EEXIST) {
		log_error("storage: cannot create %s/%s: %s", root, TMP_DIR, strerror(errno));
		goto fail;
	}
	if ((tmp_fd = openat(root_fd, TMP_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		log_error("storage: cannot open %s/%s: %s", root, TMP_DIR, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	local_cleanup();
	return -1;
}

/* ETag of a file, from its inode, size and mtime (see the top of this file). */
static void make_etag(const struct stat *st, char out[STORAGE_ETAG_MAX])
{
	unsigned long long ns = (unsigned long long)st->st_mtim.tv_sec * 1000000000ULL +
	    (unsigned long long)st->st_mtim.tv_nsec;

	snprintf(out, STORAGE_ETAG_MAX, "\"%llx-%llx-%llx\"", (unsigned long long)st->st_ino,
	    (unsigned long long)st->st_size, ns);
}

static void fill_obj(struct storage_obj *out, const struct stat *st)
{
	if (out == NULL)
		return;
	out->size = (long long)st->st_size;
	out->mtime = st->st_mtim.tv_sec;
	make_etag(st, out->etag);
}

/* A fresh private name in .tmp: 16 random hex digits. */
static int tmp_name(char name[32])
{
	unsigned char r[8];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	hex_encode(r, sizeof(r), name);
	memcpy(name + 16, ".part", 6);
	return 0;
}

/* The mode of key's file (directories: with the x bits of the r bits). */
static mode_t key_mode(const char *key)
{
	return storage_key_private(key) ? 0600 : 0644;
}

/* Create an empty temp file for key in .tmp (its final mode: the umask does not decide);
 * its name goes to name. fd, or -1 logged. */
static int tmp_create(char name[32], const char *key)
{
	mode_t mode = key_mode(key);
	int i, fd;

	for (i = 0; i < 8; i++) {
		if (tmp_name(name) != 0)
			break;
		fd = openat(tmp_fd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd >= 0) {
			if (fchmod(fd, mode) != 0) {
				close(fd);
				unlinkat(tmp_fd, name, 0);
				break;
			}
			return fd;
		}
		if (errno != EEXIST)
			break;
	}
	log_error("storage: cannot create a temp file: %s", strerror(errno));
	return -1;
}

/* Make the parent directories of key (0755; 0700 under a private prefix, also when they
 * exist already, so an older 0755 one is closed). 0 ok, -1 with errno. */
static int make_parents(const char *key)
{
	char p[STORAGE_KEY_MAX + 1];
	size_t i, n = strlen(key);
	int priv = storage_key_private(key);
	mode_t mode = priv ? 0700 : 0755;

	if (n > STORAGE_KEY_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, key, n + 1);
	for (i = 0; i < n; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdirat(root_fd, p, mode) == 0) {
			if (fchmodat(root_fd, p, mode, 0) != 0)
				return -1;
		} else if (errno != EEXIST) {
			return -1;
		} else if (priv) {
			struct stat st;
			if (fstatat(root_fd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
			    (st.st_mode & 07777) != mode && fchmodat(root_fd, p, mode, 0) != 0)
				return -1;
		}
		p[i] = '/';
	}
	return 0;
}

/* fsync the directory holding key (durability of a rename or unlink); failures are logged only. */
static void sync_parent(const char *key)
{
	char p[STORAGE_KEY_MAX + 1];
	const char *slash = strrchr(key, '/');
	int fd;

	if (slash == NULL) {
		fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		memcpy(p, key, (size_t)(slash - key));
		p[slash - key] = '\0';
		fd = openat(root_fd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0 && errno == ENOENT)
		return;       /* removed meanwhile (delete prunes empty parents): nothing to sync */
	if (fd < 0 || fsync(fd) != 0)
		log_warn("storage: fsync of the directory of %s failed: %s", key, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Rename .tmp/name to key (making parents). The temp name is gone afterwards, whatever happens. */
static enum herr publish(const char *name, const char *key)
{
	enum herr e = HE_INTERNAL;
	int i, err = 0;

	for (i = 0; i < PUBLISH_TRIES; i++) {
		if (make_parents(key) != 0) {
			err = errno;
			if (err == ENOENT)
				continue;
			break;
		}
		if (renameat(tmp_fd, name, root_fd, key) == 0) {
			e = HE_OK;
			break;
		}
		err = errno;
		if (err != ENOENT)
			break;
	}
	/* After a rename the name is normally gone; it stays when it was a hard link of key itself. */
	unlinkat(tmp_fd, name, 0);
	if (e != HE_OK) {
		log_error("storage: cannot move an object into place at %s: %s", key, strerror(err));
		return e;
	}
	sync_parent(key);
	return HE_OK;
}

/* fsync the finished temp file fd, move it to key and describe it in out; closes fd. */
static enum herr finish_put(int fd, const char *name, const char *key, struct storage_obj *out)
{
	struct stat st;
	enum herr e = HE_INTERNAL;

	if (fsync(fd) != 0 || fstat(fd, &st) != 0) {
		log_error("storage: cannot sync a temp file for %s: %s", key, strerror(errno));
		unlinkat(tmp_fd, name, 0);
		goto out;
	}
	if ((e = publish(name, key)) != HE_OK)
		goto out;
	fill_obj(out, &st);
out:
	close(fd);
	return e;
}

static enum herr local_put_stream(const char *key, storage_read_fn rd, void *ctx,
    long long expect, long long max, const char *content_type, struct storage_obj *out)
{
	char name[32];
	long long len;
	enum herr e;
	int fd;

	(void)content_type;   /* served by extension; nothing is kept */
	if (expect >= 0 && max >= 0 && expect > max)
		return HE_TOO_LARGE;
	if ((fd = tmp_create(name, key)) < 0)
		return HE_INTERNAL;
	if ((e = storage_spool(fd, rd, ctx, expect, max, &len)) != HE_OK) {
		unlinkat(tmp_fd, name, 0);
		close(fd);
		return e;
	}
	return finish_put(fd, name, key, out);
}

/* Copy size bytes of src (from offset 0) to dst. HE_SHORT_BODY when src ends first. */
static enum herr copy_bytes(int src, int dst, long long size)
{
	char buf[STORAGE_COPY_CHUNK];
	long long off = 0;

	while (off < size) {
		size_t want = size - off < (long long)sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		ssize_t n = pread(src, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return HE_SOURCE;
		if (n == 0)
			return HE_SHORT_BODY;
		if (storage_write_all(dst, buf, (size_t)n) != 0) {
			log_error("storage: writing a temp file failed: %s", strerror(errno));
			return HE_INTERNAL;
		}
		off += n;
	}
	return HE_OK;
}

static enum herr local_put_fd(const char *key, int fd, long long size,
    const char *content_type, struct storage_obj *out)
{
	char name[32];
	enum herr e;
	int tfd;

	(void)content_type;
	if ((tfd = tmp_create(name, key)) < 0)
		return HE_INTERNAL;
	if ((e = copy_bytes(fd, tfd, size)) != HE_OK) {
		unlinkat(tmp_fd, name, 0);
		close(tfd);
		return e;
	}
	return finish_put(tfd, name, key, out);
}

static enum herr local_head(const char *key, struct storage_obj *out)
{
	struct stat st;

	if (fstatat(root_fd, key, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return HE_NOT_FOUND;
		log_error("storage: stat %s failed: %s", key, strerror(errno));
		return HE_INTERNAL;
	}
	if (!S_ISREG(st.st_mode))
		return HE_NOT_FOUND;
	fill_obj(out, &st);
	return HE_OK;
}

/* Open the object key for reading; *fd and *st set on HE_OK. */
static enum herr open_obj(const char *key, int *fd, struct stat *st)
{
	*fd = openat(root_fd, key, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return HE_NOT_FOUND;
		log_error("storage: open %s failed: %s", key, strerror(errno));
		return HE_INTERNAL;
	}
	if (fstat(*fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		return HE_NOT_FOUND;
	}
	return HE_OK;
}

/* HE_PRECONDITION unless if_match (may be NULL) is the ETag of st. */
static enum herr check_match(const char *if_match, const struct stat *st)
{
	char etag[STORAGE_ETAG_MAX];

	if (if_match == NULL)
		return HE_OK;
	make_etag(st, etag);
	return strcmp(etag, if_match) == 0 ? HE_OK : HE_PRECONDITION;
}

static enum herr local_get(const char *key, const char *if_match, storage_write_fn wr, void *ctx)
{
	char buf[STORAGE_COPY_CHUNK];
	struct stat st;
	enum herr e;
	int fd = -1;

	if ((e = open_obj(key, &fd, &st)) != HE_OK)
		return e;
	if ((e = check_match(if_match, &st)) != HE_OK)
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("storage: reading %s failed: %s", key, strerror(errno));
			e = HE_INTERNAL;
			goto out;
		}
		if (n == 0)
			break;
		if (wr(ctx, buf, (size_t)n) != 0) {
			e = HE_SOURCE;
			goto out;
		}
	}
	e = HE_OK;
out:
	close(fd);
	return e;
}

/* Hard-link the open file fd to a new temp name. 0 ok, -1 (nothing left) when that cannot be done. */
static int link_tmp(int fd, char name[32])
{
	char proc[64];
	int i;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (i = 0; i < 8; i++) {
		if (tmp_name(name) != 0)
			return -1;
		if (linkat(AT_FDCWD, proc, tmp_fd, name, AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

static enum herr local_copy(const char *src, const char *dst, const char *if_match)
{
	char name[32];
	struct stat st;
	enum herr e;
	int fd = -1, tfd = -1;

	if ((e = open_obj(src, &fd, &st)) != HE_OK)
		return e;
	if ((e = check_match(if_match, &st)) != HE_OK)
		goto out;
	/* A link shares the source's mode: only when it is the mode dst needs. */
	if ((st.st_mode & 07777) == key_mode(dst) && link_tmp(fd, name) == 0) {
		e = publish(name, dst);
		goto out;
	}
	/* No hard link here (no /proc, a file system without links, another mode): copy the bytes. */
	if ((tfd = tmp_create(name, dst)) < 0) {
		e = HE_INTERNAL;
		goto out;
	}
	if ((e = copy_bytes(fd, tfd, (long long)st.st_size)) != HE_OK) {
		if (e != HE_INTERNAL)
			log_error("storage: copy %s -> %s: the source ended early", src, dst);
		e = HE_INTERNAL;
		unlinkat(tmp_fd, name, 0);
		close(tfd);
		goto out;
	}
	e = finish_put(tfd, name, dst, NULL);
out:
	close(fd);
	return e;
}

static enum herr local_delete(const char *key)
{
	char p[STORAGE_KEY_MAX + 1];
	size_t n = strlen(key);

	if (unlinkat(root_fd, key, 0) != 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR)
			return HE_OK;     /* no such object (a directory is none either) */
		log_error("storage: delete %s failed: %s", key, strerror(errno));
		return HE_INTERNAL;
	}
	/* Remove the parents that became empty, deepest first, up to the root. */
	memcpy(p, key, n + 1);
	while (n > 0) {
		while (n > 0 && p[n - 1] != '/')
			n--;
		if (n == 0)
			break;
		p[--n] = '\0';
		if (unlinkat(root_fd, p, AT_REMOVEDIR) != 0)
			break;        /* not empty, or already gone: either way done */
	}
	sync_parent(key);
	return HE_OK;
}

/* ------------------------------------------------------------------ listing */

struct ent {
	char *name;
	size_t len;
	int is_dir;
};

/* Byte i of the entry's name as it appears in keys: directories are followed by '/'; -1 at the end. */
static int ent_ch(const struct ent *e, size_t i)
{
	if (i < e->len)
		return (unsigned char)e->name[i];
	if (i == e->len && e->is_dir)
		return '/';
	return -1;
}

/* Order entries as their keys sort in S3 (bytewise), so both backends list alike. */
static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	size_t i;

	for (i = 0;; i++) {
		int cx = ent_ch(x, i), cy = ent_ch(y, i);

		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (cx < 0)
			return 0;
	}
}

struct walk {
	char key[STORAGE_KEY_MAX + 2];   /* the key being built */
	storage_list_fn fn;
	void *ctx;
	int stop;                        /* the callback asked to stop */
};

static void free_ents(struct ent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* Read the entries of directory dfd (closed here) whose names start with filter. */
static enum herr read_dir(int dfd, int at_root, const char *filter, struct ent **out, size_t *nout)
{
	DIR *d = fdopendir(dfd);
	struct ent *v = NULL;
	size_t n = 0, cap = 0, flen = strlen(filter);
	struct dirent *de;
	enum herr e = HE_INTERNAL;

	if (d == NULL) {
		close(dfd);
		return HE_INTERNAL;
	}
	for (;;) {
		struct stat st;
		int is_dir;

		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				goto out;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (at_root && strcmp(de->d_name, TMP_DIR) == 0)
			continue;
		if (strncmp(de->d_name, filter, flen) != 0)
			continue;
		if (de->d_type == DT_DIR || de->d_type == DT_REG) {
			is_dir = de->d_type == DT_DIR;
		} else if (de->d_type == DT_UNKNOWN) {
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
				continue;
			is_dir = S_ISDIR(st.st_mode);
		} else {
			continue;    /* symlinks, sockets, ...: not objects */
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct ent *nv = realloc(v, ncap * sizeof(*nv));

			if (nv == NULL)
				goto out;
			v = nv;
			cap = ncap;
		}
		if ((v[n].name = strdup(de->d_name)) == NULL)
			goto out;
		v[n].len = strlen(de->d_name);
		v[n].is_dir = is_dir;
		n++;
	}
	if (n > 1)          /* qsort(NULL, 0, ...) is undefined */
		qsort(v, n, sizeof(*v), ent_cmp);
	*out = v;
	*nout = n;
	v = NULL;
	n = 0;
	e = HE_OK;
out:
	free_ents(v, n);
	closedir(d);
	return e;
}

/* List the tree under w->key (a directory key ending in '/', or "" for the root), len bytes long. */
static enum herr walk_dir(struct walk *w, size_t len, const char *filter)
{
	struct ent *v = NULL;
	size_t n = 0, i;
	enum herr e;
	int dfd;

	w->key[len] = '\0';
	dfd = openat(root_fd, len ? w->key : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return HE_OK;     /* vanished meanwhile, or no such directory: nothing under it */
		log_error("storage: cannot open the directory %s: %s", w->key, strerror(errno));
		return HE_INTERNAL;
	}
	if ((e = read_dir(dfd, len == 0, filter, &v, &n)) != HE_OK) {
		log_error("storage: cannot read the directory %s", w->key);
		return e;
	}
	for (i = 0; i < n && !w->stop; i++) {
		size_t klen = len + v[i].len;
		struct stat st;

		if (klen + 1 > STORAGE_KEY_MAX) {
			log_warn("storage: list skips a name too long for a key under %s", w->key);
			continue;
		}
		memcpy(w->key + len, v[i].name, v[i].len + 1);
		if (v[i].is_dir) {
			w->key[klen] = '/';
			if ((e = walk_dir(w, klen + 1, "")) != HE_OK)
				goto out;
			continue;
		}
		if (fstatat(root_fd, w->key, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;     /* deleted meanwhile */
		if (!storage_key_ok(w->key)) {
			log_warn("storage: list skips a file whose name is no valid key: %s", w->key);
			continue;
		}
		if (w->fn(w->ctx, w->key, (long long)st.st_size, st.st_mtim.tv_sec) != 0)
			w->stop = 1;
	}
	e = HE_OK;
out:
	free_ents(v, n);
	return e;
}

static enum herr local_list(const char *prefix, storage_list_fn fn, void *ctx)
{
	struct walk *w;
	const char *slash = strrchr(prefix, '/');
	size_t dlen = slash ? (size_t)(slash - prefix) + 1 : 0;
	enum herr e;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return HE_INTERNAL;
	w->fn = fn;
	w->ctx = ctx;
	memcpy(w->key, prefix, dlen);
	e = walk_dir(w, dlen, prefix + dlen);
	free(w);
	return e;
}

const struct storage_ops storage_local_ops = {
	.name = "local",
	.init = local_init,
	.cleanup = local_cleanup,
	.put_stream = local_put_stream,
	.put_fd = local_put_fd,
	.head = local_head,
	.get = local_get,
	.copy = local_copy,
	.del = local_delete,
	.list = local_list,
};
