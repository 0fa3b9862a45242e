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

#define WIRE_HELLO	"READY pgwarm 1"
#define WIRE_CHUNK	(1024 * 1024)
#define WIRE_MAX_FILE	(1ULL << 30)	/* a WAL segment is at most 1 GiB */

/* Appends the PUT record for the open file fd (size bytes) to out. */
int	 wire_encode_file(struct buf *out, const char *name, int fd, uint64_t size,
	    int compress, char *why, size_t whylen);
/* The remote end: reads records from in, lands files in dir, answers on
 * out. Returns 0 at a clean EOF. */
int	 wire_receive(const char *dir, int in, int out);
#endif
