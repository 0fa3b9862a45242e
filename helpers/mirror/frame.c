/* Frame encoding and decoding; see frame.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"

size_t
frame_begin(struct buf *b, int type)
{
	size_t start = b->len;
	unsigned char hdr[5] = { (unsigned char)type, 0, 0, 0, 0 };

	buf_append(b, hdr, sizeof(hdr));
	return start;
}

void
frame_end(struct buf *b, size_t start)
{
	uint32_t n = (uint32_t)(b->len - start - 5);
	unsigned char *p = (unsigned char *)b->data + start + 1;

	p[0] = (unsigned char)(n >> 24);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
}

void
put_u8(struct buf *b, uint8_t v)
{
	buf_append(b, &v, 1);
}

void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char p[4] = { v >> 24, v >> 16, v >> 8, v };

	buf_append(b, p, 4);
}

void
put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

void
put_bytes(struct buf *b, const void *p, size_t n)
{
	put_u32(b, (uint32_t)n);
	if (n > 0)
		buf_append(b, p, n);
}

static const unsigned char *
take(struct dec *d, size_t n)
{
	const unsigned char *p = d->p;

	if (d->err || d->n < n) {
		d->err = 1;
		return NULL;
	}
	d->p += n;
	d->n -= n;
	return p;
}

uint8_t
get_u8(struct dec *d)
{
	const unsigned char *p = take(d, 1);

	return p ? p[0] : 0;
}

uint32_t
get_u32(struct dec *d)
{
	const unsigned char *p = take(d, 4);

	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

uint64_t
get_u64(struct dec *d)
{
	uint64_t hi = get_u32(d);

	return hi << 32 | get_u32(d);
}

const void *
get_bytes(struct dec *d, size_t *len)
{
	size_t n = get_u32(d);
	const unsigned char *p = take(d, n);

	*len = p ? n : 0;
	return p;
}

int
get_str(struct dec *d, char *out, size_t max)
{
	size_t n;
	const char *p = get_bytes(d, &n);

	if (p == NULL || n >= max || memchr(p, '\0', n) != NULL) {
		d->err = 1;
		out[0] = '\0';
		return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

void
frame_reader_init(struct frame_reader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
}

void
frame_reader_free(struct frame_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Copies n bytes from the stream; 0 at EOF before the first byte, -1 on a
 * short read, 1 when done. */
static int
rd(struct frame_reader *r, unsigned char *dst, size_t n)
{
	size_t got = 0;

	while (got < n) {
		if (r->off == r->len) {
			ssize_t k;

			do
				k = read(r->fd, r->in, sizeof(r->in));
			while (k == -1 && errno == EINTR);
			if (k <= 0)
				return got == 0 ? 0 : -1;
			r->off = 0;
			r->len = (size_t)k;
		}
		size_t take = r->len - r->off < n - got ? r->len - r->off : n - got;

		memcpy(dst + got, r->in + r->off, take);
		r->off += take;
		got += take;
	}
	return 1;
}

int
frame_read(struct frame_reader *r, int *type, struct dec *d)
{
	unsigned char hdr[5];
	uint32_t n;
	int rc;

	if ((rc = rd(r, hdr, 5)) <= 0)
		return rc;
	n = (uint32_t)hdr[1] << 24 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 8 | hdr[4];
	if (n > FRAME_MAX)
		return -1;
	if (n > r->cap) {
		unsigned char *nb = realloc(r->buf, n);

		if (nb == NULL)
			return -1;
		r->buf = nb;
		r->cap = n;
	}
	if (n > 0 && rd(r, r->buf, n) != 1)
		return -1;
	*type = hdr[0];
	d->p = r->buf;
	d->n = n;
	d->err = 0;
	return 1;
}

int
path_escape(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == '%' || c == 0x7f) {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			if (buf_append(b, e, 3) == -1)
				return -1;
		} else if (buf_append(b, &s[i], 1) == -1) {
			return -1;
		}
	}
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
path_unescape(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (*p != '%') {
			*w++ = *p;
			continue;
		}
		int hi = hexval((unsigned char)p[1]), lo = hi < 0 ? -1 : hexval((unsigned char)p[2]);

		if (hi < 0 || lo < 0 || (hi | lo) == 0)
			return -1;
		*w++ = (char)(hi << 4 | lo);
		p += 2;
	}
	*w = '\0';
	return 0;
}
