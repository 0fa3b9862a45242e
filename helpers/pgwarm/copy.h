/* Restoring a WAL file out of the archive: copy, then verify the copy. */
#ifndef PGWARM_COPY_H
#define PGWARM_COPY_H
#include <stddef.h>

enum copy_result {
	COPY_OK,
	COPY_ABSENT,		/* not (yet) in the archive */
	COPY_INCOMPLETE,	/* present but shorter than its header says */
	COPY_FAILED		/* why says what */
};

/* Copies dir/name to dest (replacing it) and checks the segment header. */
enum copy_result copy_restore(const char *dir, const char *name, const char *dest,
	    char *why, size_t whylen);
/* Decompresses the LZ4 frame src into dest (replaced) for the segment
 * name, never writing more than the segment size its own first page header
 * gives (at most WAL_SEGMENT_MAX): a frame that expands past it is refused
 * and dest removed. The header is then checked against name and size. */
int	 copy_unlz4(const char *src, const char *name, const char *dest, char *why,
	    size_t whylen);
#endif
