/* Growable buffer; see include/understudy/buf.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "understudy/buf.h"

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int
buf_reserve(struct buf *b, size_t extra)
{
	size_t need, ncap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1) {
		errno = ENOMEM;
		return -1;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if ((p = realloc(b->data, ncap)) == NULL)
		return -1;
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

size_t
buf_append_max(struct buf *b, const void *p, size_t n, size_t max)
{
	size_t room = b->len < max ? max - b->len : 0, take = n < room ? n : room;

	if (take && buf_append(b, p, take) == -1)
		return n;
	return n - take;
}

int
buf_note_dropped(struct buf *b, size_t dropped)
{
	if (dropped == 0)
		return 0;
	return buf_printf(b, "%s[%zu more bytes discarded]\n",
	    b->len && b->data[b->len - 1] != '\n' ? "\n" : "", dropped);
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int
buf_xml_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		const char *rep = NULL;

		switch (*s) {
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '&': rep = "&amp;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		}
		if (rep ? buf_puts(b, rep) : buf_append(b, s, 1))
			return -1;
	}
	return 0;
}

int
buf_read_file(struct buf *b, const char *path, size_t max)
{
	char chunk[8192];
	size_t start = b->len;
	ssize_t n;
	int fd, err = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (b->len - start + (size_t)n > max || buf_append(b, chunk, (size_t)n) == -1) {
			err = b->len - start + (size_t)n > max ? EFBIG : ENOMEM;
			break;
		}
	if (n < 0)
		err = errno;
	close(fd);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* A fresh name beside base, created with O_EXCL|O_NOFOLLOW: a name planted
 * beforehand (a symlink to /etc/passwd, a file of another user's) makes the
 * create fail or pick another name, never redirects our write. The name is
 * random, not the pid, so it cannot be computed in advance either. */
static int
tmp_create(int dfd, const char *base, unsigned mode, char *tmp, size_t tmplen)
{
	for (int tries = 0; tries < 16; tries++) {
		uint64_t r;
		int fd;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return -1;
		if ((size_t)snprintf(tmp, tmplen, "%s.%016llx.tmp", base,
		    (unsigned long long)r) >= tmplen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    (mode_t)mode);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

static int
write_all(int fd, const char *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t k = write(fd, p + off, len - off);

		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		off += (size_t)k;
	}
	return 0;
}

/* Everything happens relative to one fd of the directory, so the temporary,
 * the rename and the directory fsync all concern the same directory even
 * if its path is changed meanwhile. */
int
buf_write_file(const struct buf *b, const char *path, unsigned mode)
{
	char dir[PATH_MAX], tmp[NAME_MAX + 1];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	struct stat st;
	int dfd, fd, err = 0;

	if (*base == '\0') {
		errno = EISDIR;
		return -1;
	}
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if ((size_t)snprintf(dir, sizeof(dir), "%.*s",
	    slash == path ? 1 : (int)(slash - path), path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	/* rename() would replace a symlink itself, silently undoing what an
	 * admin set up (state kept on another disk); say so instead. */
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		close(dfd);
		errno = ELOOP;
		return -1;
	}
	if ((fd = tmp_create(dfd, base, mode, tmp, sizeof(tmp))) == -1) {
		err = errno;
		close(dfd);
		errno = err;
		return -1;
	}
	if (write_all(fd, b->data, b->len) == -1 || fsync(fd) == -1)
		err = errno;
	if (close(fd) == -1 && !err)
		err = errno;
	if (!err && renameat(dfd, tmp, dfd, base) == -1)
		err = errno;
	if (err)
		unlinkat(dfd, tmp, 0);
	/* Without this the rename may not survive a crash: the file would
	 * come back old (or, on some file systems, empty). */
	else if (fsync(dfd) == -1)
		err = errno;
	close(dfd);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

const char *
buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

char *
buf_steal(struct buf *b)
{
	char *p = b->data;

	if (p == NULL)
		p = strdup("");
	buf_init(b);
	return p;
}
