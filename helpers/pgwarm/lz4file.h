/* WAL segments are stored in archive_dir as standard LZ4 frames named
 * "<segment>.lz4" (content size and checksum included, so `lz4 -d` reads
 * them and a damaged copy is detected): real WAL shrinks about 8x, and the
 * standby's disk, not the network, is what limits shipping. */
#ifndef PGWARM_LZ4FILE_H
#define PGWARM_LZ4FILE_H
#include <stddef.h>
#include "understudy/buf.h"

#define LZ4FILE_SUFFIX	".lz4"

/* Appends an LZ4 frame of src to out. */
int	 lz4file_compress(struct buf *out, const void *src, size_t len);
/* Decompresses the frame in fd to out_fd (or into buf when out_fd < 0). */
int	 lz4file_decompress(int fd, int out_fd, struct buf *out, char *why, size_t whylen);
/* Decompresses the frame in file src into a new file dest (replaced). */
int	 lz4file_decompress_file(const char *src, const char *dest, char *why, size_t whylen);
#endif
