/* The archive's one rule for a file arriving in archive_dir, whoever
 * brings it (pgwarm-archive --receive from a peer's primary, pgwarm-receive
 * from the stream): a durable temporary is linked under its final name, an
 * existing file with the same content (in either stored form, plain or
 * .lz4) is success, other content is an error naming both checksums and
 * nothing is overwritten. One exception: a ".partial" is replaced by the
 * one PostgreSQL archives for the last segment of a timeline it left (the
 * stream's partial is a prefix of it, zeros after); one that held other
 * content is kept aside as NAME.diverged-TIME (why says so). */
#ifndef PGWARM_ARCHLAND_H
#define PGWARM_ARCHLAND_H
#include <stddef.h>
#include "understudy/buf.h"

enum archland_result {
	ARCHLAND_NEW,		/* linked */
	ARCHLAND_SAME,		/* already there with this content */
	ARCHLAND_REPLACED,	/* a partial replaced (why set when one was kept aside) */
	ARCHLAND_FAILED		/* why says: other content, or an error */
};

/* Lands dirfd/tmp (already fsynced) as dirfd/name; tmp stays for the
 * caller to remove. The directory is not fsynced here (callers batch it). */
enum archland_result archland(int dirfd, const char *tmp, const char *name, char *why,
	    size_t whylen);
/* What a stored file holds (an LZ4 frame decoded), bounded by its name's
 * wal_max_size. 0, or -1 (absent, unreadable, too big, bad frame). */
int	 archland_content(int dirfd, const char *file, const char *name, struct buf *out);
/* "sha256:<hex>" of content. */
void	 archland_sha256(const struct buf *, char *out, size_t outlen);
#endif
