/* The archive stream between pgwarm-archive and its remote end
 * (`pgwarm-archive --receive DIR`, exec'd over SSH):
 *
 *   receiver: "READY pgwarm 1\n"
 *   sender:   "PUT <name> <size>\n" chunk… (repeated), then "SYNC\n"
 *   chunk:    u32 raw length, u32 stored length (big endian), stored bytes;
 *             stored < raw means LZ4 block, stored == raw means plain.
 *   receiver: one line per PUT since the last SYNC, in order, after every
 *             file and the directory are fsynced:
 *             "OK <name> new" | "OK <name> same" | "ERR <name> <reason>"
 *
 * The receiver stores what it is given under <name>; segments arrive already
 * as LZ4 frames named <segment>.lz4 (see lz4file.h), other files plain.
 */
#ifndef PGWARM_WIRE_H
#define PGWARM_WIRE_H
#include <stddef.h>
#include <stdint.h>
#include "understudy/buf.h"
#include "wal.h"

#define WIRE_HELLO	"READY pgwarm 1"
#define WIRE_CHUNK	(1024 * 1024)
#define WIRE_MAX_FILE	WAL_SEGMENT_MAX
/* Bounds the receiver holds a sender to (more is a protocol error, every
 * temporary removed). A PUT carries at most what its name allows (see
 * wal_max_size); a "<segment>.lz4" frame at most an incompressible segment
 * plus the frame's overhead (4 bytes per 4 MiB block, a few headers), and
 * it must decompress, checksum verified, to at most WAL_SEGMENT_MAX. Before
 * a SYNC: the shipper sends at most 8 files per batch. */
#define WIRE_LZ4_SLACK		(WAL_SEGMENT_MAX / 1024)
#define WIRE_MAX_PENDING	32
#define WIRE_MAX_PENDING_BYTES	(8 * (WAL_SEGMENT_MAX + WIRE_LZ4_SLACK))

/* Appends the PUT record for the open file fd (size bytes) to out. */
int	 wire_encode_file(struct buf *out, const char *name, int fd, uint64_t size,
	    int compress, char *why, size_t whylen);
/* The remote end: reads records from in, lands files in dir, answers on
 * out. Returns 0 at a clean EOF. */
int	 wire_receive(const char *dir, int in, int out);
#endif
