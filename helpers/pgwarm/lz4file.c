/* See lz4file.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4frame.h>

#include "lz4file.h"

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

static int
emit(int out_fd, struct buf *out, const char *p, size_t n)
{
	if (out_fd < 0)
		return buf_append(out, p, n);
	while (n > 0) {
		ssize_t w = write(out_fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
lz4file_decompress(int fd, int out_fd, struct buf *out, char *why, size_t whylen)
{
	enum { IN = 65536, DEC = 1 << 20 };
	LZ4F_decompressionContext_t ctx;
	char *in = malloc(IN + DEC), *dec = in + IN;
	size_t hint = 1;
	int rc = -1;
	ssize_t n;

	if (in == NULL || LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
		snprintf(why, whylen, "lz4: out of memory");
		free(in);
		return -1;
	}
	while (hint != 0 && (n = read(fd, in, IN)) > 0) {
		size_t off = 0;

		while (off < (size_t)n && hint != 0) {
			size_t src = (size_t)n - off, dst = DEC;

			hint = LZ4F_decompress(ctx, dec, &dst, in + off, &src, NULL);
			if (LZ4F_isError(hint)) {
				snprintf(why, whylen, "damaged LZ4 frame: %s", LZ4F_getErrorName(hint));
				goto out;
			}
			if (dst && emit(out_fd, out, dec, dst) == -1) {
				snprintf(why, whylen, "write: %s", strerror(errno));
				goto out;
			}
			off += src;
		}
	}
	if (hint != 0) {
		snprintf(why, whylen, "truncated LZ4 frame");
		goto out;
	}
	rc = 0;
out:
	LZ4F_freeDecompressionContext(ctx);
	free(in);
	return rc;
}

int
lz4file_decompress_file(const char *src, const char *dest, char *why, size_t whylen)
{
	int in, out, rc;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s: %s", src, strerror(errno));
		return -1;
	}
	if ((out = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1) {
		snprintf(why, whylen, "%s: %s", dest, strerror(errno));
		close(in);
		return -1;
	}
	rc = lz4file_decompress(in, out, NULL, why, whylen);
	close(in);
	if (close(out) == -1 && rc == 0) {
		snprintf(why, whylen, "%s: %s", dest, strerror(errno));
		rc = -1;
	}
	if (rc == -1)
		unlink(dest);
	return rc;
}
