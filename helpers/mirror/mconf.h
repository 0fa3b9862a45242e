/* mirror.conf: what the agent hands mirror-sync (or an admin writes for a
 * one-shot run), parsed once into struct mirror_conf. */
#ifndef MIRROR_MCONF_H
#define MIRROR_MCONF_H

#include <stddef.h>
#include "understudy/conf.h"
#include "understudy/node.h"
#include "understudy/ssh.h"

/* One entry of `paths`: SRC or SRC=DEST, rsync's trailing-slash rule. "/a/b/"
 * puts the contents of /a/b into DEST (default /a/b); "/a/b" puts b itself
 * into DEST (default /a), so the default is always the same place. */
struct mroot {
	char	*src;		/* no trailing slash (but "/" stays "/") */
	char	*dest;		/* the directory receiving the contents, or
				 * for a file root, the file's own path */
	int	 contents;	/* trailing slash given */
};

struct mirror_conf {
	char		*self;
	struct node_list nodes;
	struct mroot	*roots;
	size_t		 nroots;
	char		**excludes;
	size_t		 nexcludes;
	int		 delete;
	long		 max_delete;
	long		 interval;	/* seconds; 0 = continuous (inotify) */
	int		 xattrs, acls;
	char		*ssh_user, *ssh_key, *known_hosts;
	char		*state_dir, *conflict_dir;
	char		*remote_program;	/* mirror-serve on the peers */
	int		 connect_timeout_ms, io_timeout_ms;
};

int	 mirror_paths_parse(const char *spec, struct mroot **, size_t *, char *why, size_t whylen);
void	 mirror_roots_free(struct mroot *, size_t);
/* rsync-like: a pattern without '/' matches any name; with one, the path
 * relative to the root ("/x" anchors at the root). A trailing '/' matches
 * directories only. */
int	 mirror_excluded(char *const *pats, size_t n, const char *rel, int is_dir);

int	 mirror_conf_load(const char *path, struct mirror_conf *, char *why, size_t whylen);
void	 mirror_conf_free(struct mirror_conf *);
/* mkdir -p, new directories 0700. */
int	 mirror_mkdirs(const char *path);
void	 mirror_ssh_opts(const struct mirror_conf *, const struct node *, struct ssh_opts *);

#endif
