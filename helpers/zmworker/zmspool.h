/* The spool: *.json requests dropped in a directory that the users who
 * submit may write, read by a root daemon. */
#ifndef ZM_SPOOL_H
#define ZM_SPOOL_H

#include <stddef.h>
#include "understudy/buf.h"

#define ZM_SPOOL_MAX	(1 << 20)	/* largest entry read */

/* Reads entry name of the spool directory dfd into b. Opened beneath
 * dfd, never through a symlink, without blocking (a fifo); only a regular
 * file with one link (a hard link to a root file is someone else's file)
 * of at most ZM_SPOOL_MAX bytes is read. 0, or -1 with the refusal in why
 * (which never quotes the entry's content). */
int	 zm_spool_read(int dfd, const char *name, struct buf *b, char *why, size_t whylen);
/* Moves the entry itself (a symlink stays a symlink: its target is never
 * touched) into a real directory rejected/ with NAME.why beside it;
 * removes it when that is impossible (or it is refused again each scan). */
void	 zm_spool_reject(int dfd, const char *name, const char *why);

#endif
