/* The mirror stream: mirror-sync writes frames, mirror-serve reads them.
 * A frame is one type byte, a 32-bit big-endian length, then the payload.
 * Payload fields are big-endian integers and length-prefixed strings, read
 * back with bounds checks (the reader never trusts a length). */
#ifndef MIRROR_FRAME_H
#define MIRROR_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "understudy/buf.h"

#define FRAME_MAX	(4u << 20)	/* largest payload accepted */
#define FRAME_CHUNK	(256u << 10)	/* file data per frame */

enum frame_type {
	F_HELLO = 'H',		/* version, sender, flags */
	F_ROOT = 'R',		/* destination directory of what follows */
	F_LIST = 'L',		/* reply with a listing of the current root */
	F_ENTRY = 'E',		/* an entry; regular files: data frames, then F_EOF */
	F_DELTA = 'B',		/* a changed big file: block frames, then F_EOF */
	F_DATA = 'C',		/* file data, in order */
	F_BLOCK = 'K',		/* offset + data of one changed block */
	F_EOF = 'Z',		/* end of one file's data */
	F_DELETE = 'X',		/* remove an entry (conflict-checked) */
	F_END = 'S'		/* end of a batch: make durable, then report */
};

#define MIRROR_PROTO	1
#define HELLO_DELETE	0x01
#define HELLO_XATTRS	0x02
#define HELLO_ACLS	0x04

/* Encoding, into a buf; a frame is begun, filled and ended. */
size_t	 frame_begin(struct buf *, int type);
void	 frame_end(struct buf *, size_t start);
void	 put_u8(struct buf *, uint8_t);
void	 put_u32(struct buf *, uint32_t);
void	 put_u64(struct buf *, uint64_t);
void	 put_bytes(struct buf *, const void *, size_t);	/* u32 length + bytes */

/* Decoding one payload. Any overrun sets err and returns zeros. */
struct dec {
	const unsigned char	*p;
	size_t			 n;
	int			 err;
};
uint8_t	 get_u8(struct dec *);
uint32_t get_u32(struct dec *);
uint64_t get_u64(struct dec *);
/* Points into the payload; *len set. A string is NUL-free when asked. */
const void *get_bytes(struct dec *, size_t *len);
/* Copies a NUL-free string of at most max-1 bytes; -1 (err set) otherwise. */
int	 get_str(struct dec *, char *out, size_t max);

/* Reading frames from a file descriptor. */
struct frame_reader {
	int		 fd;
	unsigned char	*buf;		/* current payload */
	size_t		 cap;
	unsigned char	 in[65536];
	size_t		 off, len;
};
void	 frame_reader_init(struct frame_reader *, int fd);
void	 frame_reader_free(struct frame_reader *);
/* 1 with a frame (type, payload in d), 0 at a clean end of stream, -1 on
 * a truncated or oversized frame. */
int	 frame_read(struct frame_reader *, int *type, struct dec *d);

/* Path names inside text lines: bytes <= ' ', '%' and DEL become %XX. */
int	 path_escape(struct buf *, const char *path, size_t len);
/* Decodes in place; -1 on a bad escape or an escaped NUL. */
int	 path_unescape(char *s);

#endif
