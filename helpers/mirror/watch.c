/* inotify for continuous mode; see watch.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "understudy/clock.h"
#include "understudy/log.h"
#include "watch.h"

#define QUIET_MS	5	/* events closer than this form one batch */
#define DIRTY_MAX	4096	/* more directories than this: a full rescan */
#define BATCH_MAX_MS	100	/* but a stream of events still syncs this often */
#define MASK	(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
		 IN_ATTRIB | IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF)

struct watch {
	int			 fd;
	const struct mirror_conf *c;
	char			**path;		/* by watch descriptor */
	size_t			 npath;
};

static void
remember(struct watch *w, int wd, const char *path)
{
	if (wd < 0)
		return;
	if ((size_t)wd >= w->npath) {
		size_t n = (size_t)wd * 2 + 16;
		char **np = realloc(w->path, n * sizeof(*np));

		if (np == NULL)
			return;
		memset(np + w->npath, 0, (n - w->npath) * sizeof(*np));
		w->path = np;
		w->npath = n;
	}
	free(w->path[wd]);
	w->path[wd] = strdup(path);
}

static void
add_tree(struct watch *w, const char *path)
{
	DIR *d;
	struct dirent *de;

	int wd = inotify_add_watch(w->fd, path, MASK | IN_DONT_FOLLOW);

	if (wd == -1) {
		if (errno == ENOSPC)
			log_warn("inotify watches exhausted (fs.inotify.max_user_watches); %s "
			    "and below are synced by the periodic rescan only", path);
		return;
	}
	remember(w, wd, path);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			add_tree(w, sub);
	}
	closedir(d);
}

static void
add_all(struct watch *w)
{
	for (size_t i = 0; i < w->c->nroots; i++) {
		const struct mroot *r = &w->c->roots[i];
		struct stat st;

		if (lstat(r->src, &st) == 0 && S_ISDIR(st.st_mode)) {
			add_tree(w, r->src);
		} else {
			/* a file root: watch its directory */
			char dir[PATH_MAX], *slash;

			snprintf(dir, sizeof(dir), "%s", r->src);
			if ((slash = strrchr(dir, '/')) != NULL)
				slash[slash == dir] = '\0';
			remember(w, inotify_add_watch(w->fd, dir, MASK | IN_DONT_FOLLOW), dir);
		}
	}
}

struct watch *
watch_new(const struct mirror_conf *c)
{
	struct watch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->c = c;
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		free(w);
		return NULL;
	}
	add_all(w);
	return w;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	close(w->fd);
	for (size_t i = 0; i < w->npath; i++)
		free(w->path[i]);
	free(w->path);
	free(w);
}

void
dirty_reset(struct dirty *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = 0;
	d->full = 0;
}

static void
mark(struct dirty *d, const char *path, int parent)
{
	char p[PATH_MAX], *slash;
	char **nv;

	if (d->full)
		return;
	snprintf(p, sizeof(p), "%s", path);
	if (parent && (slash = strrchr(p, '/')) != NULL)
		slash[slash == p] = '\0';
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i], p) == 0)
			return;
	if (d->n == DIRTY_MAX || (nv = realloc(d->v, (d->n + 1) * sizeof(*nv))) == NULL) {
		d->full = 1;
		return;
	}
	d->v = nv;
	if ((d->v[d->n] = strdup(p)) == NULL)
		d->full = 1;
	else
		d->n++;
}

/* Reads what is queued; new directories get watches at once so that what
 * is written into them is not missed. Returns the number of events. */
static int
drain(struct watch *w, struct dirty *dt)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	int count = 0, renamed = 0;
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			count++;
			if (ev->mask & IN_Q_OVERFLOW) {
				log_warn("inotify queue overflow: full rescan");
				add_all(w);
				dt->full = 1;
			} else if (ev->wd < 0 || (size_t)ev->wd >= w->npath || w->path[ev->wd] == NULL) {
				if (!(ev->mask & IN_IGNORED))
					dt->full = 1;
			} else {
				/* a name in the directory changed, or the directory itself */
				mark(dt, w->path[ev->wd], ev->len == 0);
				if (ev->len == 0)
					mark(dt, w->path[ev->wd], 0);
			}
			if ((ev->mask & (IN_MOVED_FROM | IN_MOVED_TO)) && (ev->mask & IN_ISDIR)) {
				/* a directory moved: the paths of its watches are stale */
				dt->full = 1;
				renamed = 1;
			} else if ((ev->mask & IN_CREATE) && (ev->mask & IN_ISDIR) &&
			    ev->len > 0 && (size_t)ev->wd < w->npath && w->path[ev->wd]) {
				char sub[PATH_MAX];

				snprintf(sub, sizeof(sub), "%s/%s", w->path[ev->wd], ev->name);
				add_tree(w, sub);
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	if (renamed)
		add_all(w);	/* a watched inode keeps its descriptor: the map is renewed */
	return count;
}

void
watch_wait(struct watch *w, volatile sig_atomic_t *stop, volatile sig_atomic_t *now,
    long wake_at, struct dirty *d)
{
	struct pollfd pfd = { w->fd, POLLIN, 0 };
	long first = 0;

	dirty_reset(d);
	for (;;) {
		int timeout = first ? QUIET_MS : 1000;

		if (*stop || *now) {
			d->full = 1;
			return;
		}
		if (!first && wake_at > 0 && clock_ms() >= wake_at)
			return;		/* nothing changed; a peer is due for a retry */
		if (poll(&pfd, 1, timeout) > 0 && drain(w, d) > 0) {
			if (first == 0)
				first = clock_ms();
			if (clock_ms() - first < BATCH_MAX_MS)
				continue;
		}
		if (first)
			return;
	}
}
