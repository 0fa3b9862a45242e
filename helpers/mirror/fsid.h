/* Which file system each source root was on at the last good sync
 * (state_dir/filesystems). A root found on another one (its disk not
 * mounted, so the mount point's empty directory underneath shows) is
 * refused with delete on: it would empty the peers. */
#ifndef MIRROR_FSID_H
#define MIRROR_FSID_H

#include <stddef.h>
#include "mconf.h"

struct fsid {
	unsigned long	type;		/* statfs f_type */
	unsigned	id[2];		/* statfs f_fsid */
};

/* "TYPE ID0 ID1 escaped-path"; -1 on anything else. */
int	 fsid_parse_line(char *line, struct fsid *, char **path);
/* 0, or -1 with why naming the root that moved. */
int	 fsid_check(const struct mirror_conf *, char *why, size_t whylen);
void	 fsid_record(const struct mirror_conf *);

#endif
