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
/* Returns when something changed (after a short quiet period), or when
 * *stop or *now became set. */
void	 watch_wait(struct watch *, volatile sig_atomic_t *stop, volatile sig_atomic_t *now);

#endif
