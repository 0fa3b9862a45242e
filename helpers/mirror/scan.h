/* Walks one root of `paths` on this node: every entry in pre-order (a
 * directory before what it holds, names sorted), excludes applied, hard
 * links paired with the first name of their inode. Never follows symlinks. */
#ifndef MIRROR_SCAN_H
#define MIRROR_SCAN_H

#include <stddef.h>
#include "manifest.h"
#include "mconf.h"

struct sentry {
	char		*rel;		/* relative to the root's base */
	struct mstat	 st;		/* type f for every hard link */
	char		*target;	/* symlink target, or the first name of a hard link */
	int		 hardlink;	/* target is another entry's rel */
};

struct scan {
	char		 base[4096];	/* local directory rel is relative to */
	char		 top[4096];	/* "." or the root's own name in base */
	struct sentry	*v;
	size_t		 n, cap;
	unsigned long	 errors;	/* unreadable entries, logged */
	int		 partial;	/* only the directories in `dirty` were read */
	struct manifest	 dirty;		/* their absolute paths */
};

/* 0, or -1 with why when the root itself is missing or unreadable. */
int	 scan_root(const struct mroot *, char *const *excl, size_t nexcl, struct scan *,
	    char *why, size_t whylen);
/* Continuous mode: only the directories in dirty (absolute paths, as
 * inotify named them) and what lies directly in them; a directory that one
 * of the `known` manifests (one per peer) has never seen is read whole.
 * Directories outside this root are ignored. */
int	 scan_partial(const struct mroot *, char *const *excl, size_t nexcl,
	    char *const *dirty, size_t ndirty, const struct manifest *const *known,
	    size_t nknown, struct scan *, char *why, size_t whylen);
/* Whether the directory holding key (an absolute path) was read. */
int	 scan_parent_dirty(const struct scan *, const char *key);
void	 scan_free(struct scan *);
/* base + "/" + rel */
void	 scan_key(const struct scan *, const char *rel, char *out, size_t outlen);
/* Whether rel (under top) is inside this root's scope. */
int	 scan_covers(const struct scan *, const char *rel);

#endif
