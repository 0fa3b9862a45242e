/* WAL segments are stored in archive_dir as standard LZ4 frames named
 * "<segment>.lz4" (content size and checksum included, so `lz4 -d` reads
 * them and a damaged copy is detected): real WAL shrinks about 8x, and the
 * standby's disk, not the network, is what limits shipping.
 *
 * A frame comes from a peer, so every decoder here has an output bound: LZ4
 * expands up to ~255x, and a 1 GiB upload must not become 255 GiB of memory
 * or disk. Output past the bound is refused before it is written. */
#ifndef PGWARM_LZ4FILE_H
#define PGWARM_LZ4FILE_H
#include <stddef.h>
#include <stdint.h>
#include "understudy/buf.h"

#define LZ4FILE_SUFFIX	".lz4"

/* Where decoded bytes go: -1 (why filled) stops the decoder. */
typedef int (*lz4file_emit)(void *arg, const char *p, size_t n, char *why, size_t whylen);

struct lz4file_dec;

/* Appends an LZ4 frame of src to out. */
int	 lz4file_compress(struct buf *out, const void *src, size_t len);
/* A decoder fed as bytes arrive; emit may be NULL (only checked and
 * counted). NULL when out of memory. */
struct lz4file_dec *lz4file_dec_new(uint64_t max, lz4file_emit emit, void *arg);
/* -1 (why) once the frame is damaged, decodes past max, goes on after its
 * end, or emit refused; it stays failed. */
int	 lz4file_dec_feed(struct lz4file_dec *, const void *p, size_t n, char *why,
	    size_t whylen);
/* 0 and the decoded size when exactly one whole frame was fed (its
 * checksum verified); -1 (why) otherwise. */
int	 lz4file_dec_end(struct lz4file_dec *, uint64_t *size, char *why, size_t whylen);
void	 lz4file_dec_free(struct lz4file_dec *);
/* Decompresses the frame in fd, at most max bytes, to emit (NULL: into
 * buf out; both NULL: only checks it). */
int	 lz4file_decompress(int fd, uint64_t max, lz4file_emit emit, void *arg, struct buf *out,
	    char *why, size_t whylen);
#endif
