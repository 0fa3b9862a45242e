/* Encoding files into the archive stream; see wire.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4.h>

#include "lz4file.h"
#include "wal.h"
#include "wire.h"

static void
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* "PUT name size" and the chunks; per-chunk LZ4 when asked and worth it. */
static int
put_record(struct buf *out, const char *name, const char *data, size_t size, int compress)
{
	size_t off = 0;

	if (buf_printf(out, "PUT %s %zu\n", name, size) == -1 ||
	    buf_reserve(out, size + size / 64 + 64) == -1)
		return -1;
	while (off < size) {
		size_t want = size - off < WIRE_CHUNK ? size - off : WIRE_CHUNK;
		unsigned char *hdr;
		int stored = 0;

		if (buf_reserve(out, 8 + (size_t)LZ4_compressBound((int)want)) == -1)
			return -1;
		hdr = (unsigned char *)out->data + out->len;
		if (compress)
			stored = LZ4_compress_default(data + off, (char *)hdr + 8, (int)want,
			    LZ4_compressBound((int)want));
		if (stored <= 0 || (size_t)stored >= want) {
			memcpy(hdr + 8, data + off, want);
			stored = (int)want;
		}
		put_u32(hdr, (uint32_t)want);
		put_u32(hdr + 4, (uint32_t)stored);
		out->len += 8 + (size_t)stored;
		out->data[out->len] = '\0';
		off += want;
	}
	return 0;
}

int
wire_encode_file(struct buf *out, const char *name, int fd, uint64_t size, int compress,
    char *why, size_t whylen)
{
	enum wal_kind k = wal_kind(name);
	struct buf raw = BUF_INIT, frame = BUF_INIT;
	char stored[80];
	int rc = -1;
	ssize_t n;

	if (size > WIRE_MAX_FILE) {
		snprintf(why, whylen, "%s: %llu bytes, too large for a WAL file", name,
		    (unsigned long long)size);
		return -1;
	}
	if (buf_reserve(&raw, (size_t)size) == -1)
		goto nomem;
	while (raw.len < size && (n = pread(fd, raw.data + raw.len, (size_t)size - raw.len,
	    (off_t)raw.len)) > 0)
		raw.len += (size_t)n;
	if (raw.len != size) {
		snprintf(why, whylen, "%s: %s", name, errno ? strerror(errno) :
		    "file shrank while being read");
		goto out;
	}
	if (compress && (k == WAL_SEGMENT || k == WAL_PARTIAL)) {
		snprintf(stored, sizeof(stored), "%s" LZ4FILE_SUFFIX, name);
		if (lz4file_compress(&frame, raw.data, raw.len) == -1 ||
		    put_record(out, stored, frame.data, frame.len, 0) == -1)
			goto nomem;
	} else if (put_record(out, name, raw.data, raw.len, compress) == -1) {
		goto nomem;
	}
	rc = 0;
	goto out;
nomem:
	snprintf(why, whylen, "%s: out of memory", name);
out:
	buf_free(&raw);
	buf_free(&frame);
	return rc;
}
