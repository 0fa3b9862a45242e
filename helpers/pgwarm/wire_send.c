/* Encoding files into the archive stream; see wire.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4.h>

#include "wire.h"

static void
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

int
wire_encode_file(struct buf *out, const char *name, int fd, uint64_t size, int compress,
    char *why, size_t whylen)
{
	uint64_t off = 0;
	char *raw;
	int rc = -1;

	if (size > WIRE_MAX_FILE) {
		snprintf(why, whylen, "%s: %llu bytes, too large for a WAL file", name,
		    (unsigned long long)size);
		return -1;
	}
	if ((raw = malloc(WIRE_CHUNK)) == NULL ||
	    buf_printf(out, "PUT %s %llu\n", name, (unsigned long long)size) == -1 ||
	    buf_reserve(out, (size_t)size + size / 64 + 64) == -1)
		goto nomem;
	while (off < size) {
		size_t want = size - off < WIRE_CHUNK ? (size_t)(size - off) : WIRE_CHUNK;
		ssize_t n = pread(fd, raw, want, (off_t)off);
		unsigned char *hdr;
		int stored = 0;

		if (n != (ssize_t)want) {
			snprintf(why, whylen, "%s: %s", name,
			    n < 0 ? strerror(errno) : "file shrank while being read");
			goto out;
		}
		if (buf_reserve(out, 8 + (size_t)LZ4_compressBound((int)want)) == -1)
			goto nomem;
		hdr = (unsigned char *)out->data + out->len;
		if (compress)
			stored = LZ4_compress_default(raw, (char *)hdr + 8, (int)want,
			    LZ4_compressBound((int)want));
		if (stored <= 0 || (size_t)stored >= want) {
			memcpy(hdr + 8, raw, want);
			stored = (int)want;
		}
		put_u32(hdr, (uint32_t)want);
		put_u32(hdr + 4, (uint32_t)stored);
		out->len += 8 + (size_t)stored;
		out->data[out->len] = '\0';
		off += want;
	}
	rc = 0;
	goto out;
nomem:
	snprintf(why, whylen, "%s: out of memory", name);
out:
	free(raw);
	return rc;
}
