/* Growable buffer; see include/understudy/buf.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int
buf_write_file(const struct buf *b, const char *path, unsigned mode)
{
	char tmp[4200];
	size_t off = 0;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode)) == -1)
		return -1;
	while (off < b->len) {
		ssize_t k = write(fd, b->data + off, b->len - off);

		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0) {
			err = k == 0 ? EIO : errno;
			break;
		}
		off += (size_t)k;
	}
	if (!err && fsync(fd) == -1)
		err = errno;
	if (close(fd) == -1 && !err)
		err = errno;
	if (!err && rename(tmp, path) == -1)
		err = errno;
	if (err) {
		unlink(tmp);
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
