/* See lz4file.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4frame.h>

#include "lz4file.h"

#define DEC_OUT	(1 << 20)	/* decoded bytes handed to emit at a time */

struct lz4file_dec {
	LZ4F_decompressionContext_t	 ctx;
	uint64_t			 max, total;
	size_t				 hint;		/* 0: the frame has ended */
	int				 failed;
	lz4file_emit			 emit;
	void				*arg;
	char				 out[DEC_OUT];
};

int
lz4file_compress(struct buf *out, const void *src, size_t len)
{
	LZ4F_preferences_t prefs;
	size_t bound, n;

	memset(&prefs, 0, sizeof(prefs));
	prefs.frameInfo.blockSizeID = LZ4F_max4MB;
	prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	prefs.frameInfo.contentSize = len;
	bound = LZ4F_compressFrameBound(len, &prefs);
	if (buf_reserve(out, bound) == -1)
		return -1;
	n = LZ4F_compressFrame(out->data + out->len, bound, src, len, &prefs);
	if (LZ4F_isError(n))
		return -1;
	out->len += n;
	out->data[out->len] = '\0';
	return 0;
}

struct lz4file_dec *
lz4file_dec_new(uint64_t max, lz4file_emit emit, void *arg)
{
	struct lz4file_dec *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&d->ctx, LZ4F_VERSION))) {
		free(d);
		return NULL;
	}
	d->max = max;
	d->hint = 1;
	d->emit = emit;
	d->arg = arg;
	return d;
}

void
lz4file_dec_free(struct lz4file_dec *d)
{
	if (d == NULL)
		return;
	LZ4F_freeDecompressionContext(d->ctx);
	free(d);
}

static int
dec_fail(struct lz4file_dec *d, char *why, size_t whylen, const char *what, const char *detail)
{
	d->failed = 1;
	snprintf(why, whylen, "%s%s", what, detail);
	return -1;
}

/* One call into LZ4F: 1 when the output buffer filled (more may wait in
 * the context), 0 when not, -1 (why) when refused. */
static int
dec_step(struct lz4file_dec *d, const char *in, size_t *src, char *why, size_t whylen)
{
	size_t dst = sizeof(d->out);

	d->hint = LZ4F_decompress(d->ctx, d->out, &dst, in, src, NULL);
	if (LZ4F_isError(d->hint))
		return dec_fail(d, why, whylen, "damaged LZ4 frame: ", LZ4F_getErrorName(d->hint));
	/* Checked before the bytes go anywhere: nothing past max is written. */
	if (dst > d->max - d->total) {
		d->failed = 1;
		snprintf(why, whylen, "LZ4 frame decompresses past %llu bytes, the most this"
		    " file may hold: refused", (unsigned long long)d->max);
		return -1;
	}
	d->total += dst;
	if (dst && d->emit && d->emit(d->arg, d->out, dst, why, whylen) == -1) {
		d->failed = 1;
		return -1;
	}
	return dst == sizeof(d->out);
}

int
lz4file_dec_feed(struct lz4file_dec *d, const void *p, size_t n, char *why, size_t whylen)
{
	const char *in = p;
	size_t off = 0;
	int more = 0;

	if (d->failed)
		return dec_fail(d, why, whylen, "LZ4 frame already refused", "");
	while (off < n || more) {
		size_t src = n - off;

		if (d->hint == 0)
			return dec_fail(d, why, whylen, "bytes after the end of the LZ4 frame", "");
		if ((more = dec_step(d, in + off, &src, why, whylen)) == -1)
			return -1;
		off += src;
		more = more && d->hint != 0;
	}
	return 0;
}

int
lz4file_dec_end(struct lz4file_dec *d, uint64_t *size, char *why, size_t whylen)
{
	if (d->failed)
		return dec_fail(d, why, whylen, "LZ4 frame refused", "");
	if (d->hint != 0)
		return dec_fail(d, why, whylen, "truncated LZ4 frame", "");
	if (size)
		*size = d->total;
	return 0;
}

static int
emit_buf(void *arg, const char *p, size_t n, char *why, size_t whylen)
{
	if (buf_append(arg, p, n) == -1) {
		snprintf(why, whylen, "lz4: out of memory");
		return -1;
	}
	return 0;
}

int
lz4file_decompress(int fd, uint64_t max, lz4file_emit emit, void *arg, struct buf *out,
    char *why, size_t whylen)
{
	struct lz4file_dec *d = emit ? lz4file_dec_new(max, emit, arg) :
	    lz4file_dec_new(max, out ? emit_buf : NULL, out);
	char in[65536];
	ssize_t n;
	int rc = 0;

	if (d == NULL) {
		snprintf(why, whylen, "lz4: out of memory");
		return -1;
	}
	while (rc == 0 && (n = read(fd, in, sizeof(in))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(why, whylen, "read: %s", strerror(errno));
			rc = -1;
		} else {
			rc = lz4file_dec_feed(d, in, (size_t)n, why, whylen);
		}
	}
	if (rc == 0)
		rc = lz4file_dec_end(d, NULL, why, whylen);
	lz4file_dec_free(d);
	return rc;
}
