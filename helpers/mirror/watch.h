/* Continuous mode (interval = 0): inotify watches on every directory of
 * every root; a batch of events triggers a sync, a queue overflow a full
 * rescan (which is what every sync does anyway). */
#ifndef MIRROR_WATCH_H
#define MIRROR_WATCH_H

#include <signal.h>
#include "mconf.h"

struct watch;

struct watch *watch_new(const struct mirror_conf *);
void	 watch_free(struct watch *);
/* The directories events named since the last wait (absolute paths), or
 * full = 1 when they cannot be told (queue overflow, too many). */
struct dirty {
	char	**v;
	size_t	  n;
	int	  full;
};
void	 dirty_reset(struct dirty *);

/* Returns when something changed (after a short quiet period), or when
 * *stop or *now became set (then d->full is set). */
void	 watch_wait(struct watch *, volatile sig_atomic_t *stop, volatile sig_atomic_t *now,
	    long wake_at, struct dirty *d);

#endif
