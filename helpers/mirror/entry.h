/* One entry as it travels in an F_ENTRY or F_DELTA frame, and its extended
 * attributes (a blob: u32 count, then name and value per attribute). */
#ifndef MIRROR_ENTRY_H
#define MIRROR_ENTRY_H

#include <limits.h>
#include "understudy/buf.h"
#include "frame.h"
#include "manifest.h"

struct mentry {
	char		 rel[PATH_MAX];		/* "." for the root itself */
	struct mstat	 st;			/* type may be MT_HARDLINK */
	char		 target[PATH_MAX];	/* symlink target; hard link: rel path */
	const void	*xattrs;		/* points into the frame */
	size_t		 xlen;
	uint64_t	 base_size;		/* F_DELTA: what the receiver must hold */
	int64_t		 base_mtime_ns;
};

void	 entry_encode(struct buf *, int frame_type, const struct mentry *);
/* -1 on a malformed payload or an unsafe relative path. */
int	 entry_decode(struct dec *, int frame_type, struct mentry *);
/* A relative path that stays inside its root: no "", ".", ".." component,
 * no leading or doubled '/'. "." alone names the root. */
int	 rel_path_safe(const char *rel);

#define XA_USER		0x01	/* every namespace but system. */
#define XA_ACL		0x02	/* system.posix_acl_access/default */
/* Appends the blob of path's attributes (fd >= 0 is used when given). */
int	 xattr_collect(int fd, const char *path, unsigned what, struct buf *);
/* Applies a blob to fd (or to path without following a symlink). */
int	 xattr_apply(int fd, const char *path, const void *blob, size_t len);
/* 1 with the first attribute of the blob that grants or labels rather
 * than describes (security.*, trusted.*, system.* but ACLs: a file
 * capability is one) copied to name; 0 when there is none, -1 when the
 * blob is malformed. */
int	 xattr_privileged(const void *blob, size_t len, char *name, size_t namelen);

#endif
