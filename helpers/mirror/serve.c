/* The receiving end; see serve.h. Every path from the stream is resolved
 * beneath the fd of its root (beneath.h), and the root beneath --only's:
 * nothing the stream says reaches outside through a symlink or "..". */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "understudy/clock.h"
#include "understudy/log.h"
#include "beneath.h"
#include "entry.h"
#include "frame.h"
#include "manifest.h"
#include "mconf.h"
#include "serve.h"

#define PENDING_MAX	4096		/* temporaries made durable per syncfs */
#define PENDING_BYTES	(256u << 20)
#define PENDING_DIRS	64		/* directories they are in */
#define TMP_PREFIX	".~mirror."
#define RECV_SAVE_MS	5000
#define TOUCHED_MAX	16		/* file systems changed before a DONE */

void	(*serve_test_hook)(const char *point);

static void
hook(const char *point)
{
	if (serve_test_hook)
		serve_test_hook(point);
}

struct pending {
	int		 dir;		/* index in serve.pdir */
	char		 tmp[48];
	char		*leaf, *key;
};

struct pending_dir {
	int		 fd;
	dev_t		 dev;
	ino_t		 ino;
	struct timespec	 mtime;		/* before we touched it; restored */
};

struct opendir_ent {
	int		 fd;
	char		 key[PATH_MAX];	/* absolute path */
	struct mentry	*meta;		/* applied when left; NULL: untouched */
};

struct serve {
	const struct serve_opts *o;
	int		 out;
	char		 sender[64];
	unsigned	 flags;
	struct manifest	 recv, sent;
	struct manifest	 last;		/* the newest sync from another sender */
	char		 recv_file[PATH_MAX];
	int		 onlyfd;	/* --only's directory, or -1 */
	char		 fatal[PATH_MAX + 128];	/* why the stream was refused */
	/* current root */
	int		 rootfd;
	unsigned	 root_id;
	char		 root[PATH_MAX];
	/* directories entered, innermost last */
	struct opendir_ent stack[64];
	int		 depth;
	/* cached parent of the last entry */
	int		 pfd;
	char		 prel[PATH_MAX];
	struct pending	 pend[PENDING_MAX];
	int		 npend;
	struct pending_dir pdir[PENDING_DIRS];
	int		 npdir;
	/* directories left while files in them still wait for their rename:
	 * finished after the next flush, innermost first */
	struct opendir_ent done[PENDING_DIRS];
	int		 ndone;
	uint64_t	 pend_bytes;
	char		 conflict_base[PATH_MAX];	/* the admin's conflict directory */
	char		 conflict_root[128];	/* SENDER-TIME-PID in it, or "" */
	unsigned	 tmpseq;
	int		 journal;	/* temporaries in flight, for a later sweep */
	/* one fd on each file system changed since the last DONE: each is
	 * synced before the DONE that reports the changes */
	int		 touched[TOUCHED_MAX];
	dev_t		 touched_dev[TOUCHED_MAX];
	int		 ntouched;
	int		 recv_dirty;	/* recv changed since it was written */
	unsigned long	 batches;
	long		 saved_ms;
	unsigned long	 ok, conflicts, errors;
	struct buf	 report;
};

static void
report(struct serve *s, const char *kind, const char *rel, const char *detail)
{
	buf_printf(&s->report, "%s %u ", kind, s->root_id);
	path_escape(&s->report, rel, strlen(rel));
	if (detail) {
		buf_puts(&s->report, " ");
		path_escape(&s->report, detail, strlen(detail));
	}
	buf_puts(&s->report, "\n");
}

static void
rel_error(struct serve *s, const char *rel, const char *what)
{
	char d[PATH_MAX + 256];

	snprintf(d, sizeof(d), "%s: %s", what, strerror(errno));
	log_warn("%s/%s: %s", s->root, rel, d);
	report(s, "ERR", rel, d);
	s->errors++;
}

static void
key_of(const struct serve *s, const char *rel, char *key, size_t n)
{
	int len;

	if (strcmp(rel, ".") == 0)
		len = snprintf(key, n, "%s", s->root);
	else
		len = snprintf(key, n, "%s%s%s", s->root, strcmp(s->root, "/") == 0 ? "" : "/", rel);
	if (len < 0 || (size_t)len >= n)
		key[0] = '\0';		/* longer than any path the kernel takes */
}

/* Notes that dirfd's file system changed (an entry made, renamed, removed
 * or its attributes set), so that it is synced before the next DONE. */
static void
touched(struct serve *s, int dirfd)
{
	struct stat st;

	if (fstat(dirfd, &st) == -1)
		return;
	for (int i = 0; i < s->ntouched; i++)
		if (s->touched_dev[i] == st.st_dev)
			return;
	if (s->ntouched == TOUCHED_MAX) {
		/* a stream across that many file systems: the oldest is synced
		 * now rather than forgotten */
		if (syncfs(s->touched[0]) == -1)
			log_warn("syncfs: %s", strerror(errno));
		close(s->touched[0]);
		s->ntouched--;
		memmove(&s->touched[0], &s->touched[1], sizeof(s->touched[0]) * (size_t)s->ntouched);
		memmove(&s->touched_dev[0], &s->touched_dev[1],
		    sizeof(s->touched_dev[0]) * (size_t)s->ntouched);
	}
	if ((s->touched[s->ntouched] = dup(dirfd)) == -1)
		return;
	s->touched_dev[s->ntouched++] = st.st_dev;
}

/* Makes every change since the last DONE durable; -1 when a file system
 * could not be synced (the DONE then says so). */
static int
sync_touched(struct serve *s)
{
	int rc = 0;

	if (s->ntouched == 0)
		return 0;
	for (int i = 0; i < s->ntouched; i++) {
		if (syncfs(s->touched[i]) == -1) {
			log_warn("syncfs %s: %s", s->root, strerror(errno));
			rc = -1;
		}
		close(s->touched[i]);
	}
	s->ntouched = 0;
	hook("synced");
	return rc;
}

/* The same, cached for a run of entries in one directory: do not close. */
static int
open_parent(struct serve *s, const char *rel, char *leaf)
{
	const char *slash = strrchr(rel, '/');
	size_t plen = slash ? (size_t)(slash - rel) : 0;

	if (s->pfd >= 0 && strlen(s->prel) == plen && strncmp(s->prel, rel, plen) == 0 &&
	    strcmp(rel, ".") != 0 && strlen(slash ? slash + 1 : rel) <= NAME_MAX) {
		snprintf(leaf, NAME_MAX + 1, "%s", slash ? slash + 1 : rel);
		return s->pfd;
	}
	if (s->pfd >= 0)
		close(s->pfd);
	if ((s->pfd = bn_parent(s->rootfd, rel, 0, leaf)) >= 0)
		snprintf(s->prel, sizeof(s->prel), "%.*s", (int)plen, rel);
	return s->pfd;
}

static int
local_synced(const struct serve *s, const char *key, const struct mstat *l)
{
	const struct mrec *r = manifest_find(&s->recv, key);

	if (r && mstat_same(&r->st, l))
		return 1;
	r = manifest_find(&s->sent, key);
	if (r && mstat_same(&r->st, l))
		return 1;
	r = manifest_find(&s->last, key);
	return r && mstat_same(&r->st, l);
}

/* With three nodes or more a node takes over as sender that never sent to
 * this one: what this node last received from another sender is then the
 * state its files were left in, and only changes since that are its own. */
static void
load_last(struct serve *s)
{
	DIR *d = opendir(s->o->state_dir);
	struct dirent *de;
	char best[PATH_MAX] = "", path[PATH_MAX], why[512];
	struct timespec newest = { 0, 0 };
	struct stat st;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (strncmp(de->d_name, "recv-", 5) != 0 || n < 14 ||
		    strcmp(de->d_name + n - 9, ".manifest") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->o->state_dir, de->d_name);
		if (strcmp(path, s->recv_file) == 0 || stat(path, &st) == -1)
			continue;
		if (st.st_mtim.tv_sec > newest.tv_sec || (st.st_mtim.tv_sec == newest.tv_sec &&
		    st.st_mtim.tv_nsec > newest.tv_nsec)) {
			newest = st.st_mtim;
			snprintf(best, sizeof(best), "%s", path);
		}
	}
	closedir(d);
	if (best[0] && manifest_load(best, &s->last, why, sizeof(why)) == -1)
		log_warn("%s", why);
}

/* A conflict copy to another file system: the local change is only
 * removed from the tree once its copy is on disk, named in directories
 * that are on disk too. */
static int
copy_out(int dirfd, const char *leaf, int cdir, const char *cleaf)
{
	int in = openat(dirfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out;
	struct stat st;
	char b[65536];
	ssize_t n;

	if (in == -1 || fstat(in, &st) == -1)
		return in == -1 ? -1 : (close(in), -1);
	if ((out = openat(cdir, cleaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    st.st_mode & 07777)) == -1) {
		close(in);
		return -1;
	}
	while ((n = read(in, b, sizeof(b))) > 0)
		if (write(out, b, (size_t)n) != n) {
			n = -1;
			break;
		}
	close(in);
	if (n == 0) {
		struct timespec t[2] = { st.st_atim, st.st_mtim };

		futimens(out, t);
		if (fchown(out, st.st_uid, st.st_gid) == -1)
			(void)0;	/* not root: the copy stays ours */
		/* the copy, its directory and every directory made for it, up
		 * to the conflict directory itself the first time: its file
		 * system, once */
		if (fsync(out) == -1 || syncfs(cdir) == -1)
			n = -1;
	}
	if (close(out) == -1 || n != 0) {
		unlinkat(cdir, cleaf, 0);
		return -1;
	}
	hook("conflict-copied");
	return 0;
}

/* Moves a locally changed entry (not a directory) out of the way, to
 * conflict_root/SENDER-TIME-PID/<its key>. The conflict directory is the
 * admin's; below it, the walk follows nothing the stream made. */
static int
conflict_move(struct serve *s, int dirfd, const char *leaf, const char *rel, const struct mstat *l)
{
	char key[PATH_MAX], sub[PATH_MAX + 128], cleaf[NAME_MAX + 1], *dst;
	int base, cdir, rc = -1;

	if (s->conflict_root[0] == '\0') {
		char stamp[32];
		time_t now = time(NULL);

		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
		if (s->o->conflict_dir && *s->o->conflict_dir)
			snprintf(s->conflict_base, sizeof(s->conflict_base), "%s", s->o->conflict_dir);
		else
			snprintf(s->conflict_base, sizeof(s->conflict_base), "%s/conflicts",
			    s->o->state_dir);
		snprintf(s->conflict_root, sizeof(s->conflict_root), "%s-%s-%d", s->sender, stamp,
		    (int)getpid());
	}
	key_of(s, rel, key, sizeof(key));
	if (key[0] != '/' || snprintf(sub, sizeof(sub), "%s%s", s->conflict_root, key) >=
	    (int)sizeof(sub)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mirror_mkdirs(s->conflict_base) == -1 ||
	    (base = open(s->conflict_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	cdir = bn_parent(base, sub, 1, cleaf);
	close(base);
	if (cdir == -1)
		return -1;
	if (renameat(dirfd, leaf, cdir, cleaf) == 0)
		rc = 0;
	else if (errno == EXDEV && l->type == MT_FILE && copy_out(dirfd, leaf, cdir, cleaf) == 0 &&
	    unlinkat(dirfd, leaf, 0) == 0)
		rc = 0;
	close(cdir);
	if (rc == -1)
		return -1;
	touched(s, dirfd);
	if ((dst = malloc(strlen(s->conflict_base) + strlen(sub) + 2)) != NULL)
		sprintf(dst, "%s/%s", s->conflict_base, sub);
	log_warn("conflict: %s changed here since the last sync from %s; kept as %s", key,
	    s->sender, dst ? dst : sub);
	report(s, "CONFLICT", rel, dst ? dst : sub);
	free(dst);
	s->conflicts++;
	return 0;
}

static int remove_tree(struct serve *, int dirfd, const char *leaf, const char *rel);

/* Removes one entry the sender no longer has, or moves it aside when it
 * holds changes made here. 0 when it is gone, -1 when it had to stay. */
static int
remove_entry(struct serve *s, int dirfd, const char *leaf, const char *rel)
{
	struct mstat l;
	char key[PATH_MAX];

	if (mstat_from_path(dirfd, leaf, &l, NULL) == -1)
		return errno == ENOENT ? 0 : -1;
	key_of(s, rel, key, sizeof(key));
	if (l.type == MT_DIR) {
		if (remove_tree(s, dirfd, leaf, rel) == -1)
			return -1;
	} else if (!local_synced(s, key, &l)) {
		if (conflict_move(s, dirfd, leaf, rel, &l) == -1)
			return -1;
	} else if (unlinkat(dirfd, leaf, 0) == -1) {
		return -1;
	}
	touched(s, dirfd);
	manifest_drop(&s->recv, key);
	return 0;
}

static int
remove_tree(struct serve *s, int dirfd, const char *leaf, const char *rel)
{
	int fd = openat(dirfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
	struct dirent *de;
	DIR *d;

	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char crel[PATH_MAX];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(crel, sizeof(crel), "%s/%s", rel, de->d_name);
		if (remove_entry(s, fd, de->d_name, crel) == -1)
			rc = -1;
	}
	closedir(d);
	if (rc == 0 && unlinkat(dirfd, leaf, AT_REMOVEDIR) == -1)
		rc = -1;
	touched(s, dirfd);
	return rc;
}

static void
set_owner_mode(struct serve *s, int fd, const char *path, const struct mentry *e)
{
	if (fd >= 0) {
		if (fchown(fd, e->st.uid, e->st.gid) == -1 && geteuid() == 0)
			log_warn("chown %s: %s", path, strerror(errno));
		if (fchmod(fd, e->st.mode) == -1)
			log_warn("chmod %s: %s", path, strerror(errno));
	}
	if (s->flags & (HELLO_XATTRS | HELLO_ACLS) && e->xlen > 0 &&
	    xattr_apply(fd, path, e->xattrs, e->xlen) == -1)
		log_warn("extended attributes of %s: %s", path, strerror(errno));
}

/* What the receiver does inside a directory must not show as a change of
 * the directory: its mtime is put back (the sender sets it when it did
 * change there). */
static void
save_mtime(int dirfd, struct timespec *t)
{
	struct stat ds;

	t->tv_sec = 0;
	t->tv_nsec = UTIME_OMIT;
	if (fstat(dirfd, &ds) == 0)
		*t = ds.st_mtim;
}

static void
restore_mtime(int dirfd, const struct timespec *t)
{
	struct timespec tt[2] = { { 0, UTIME_OMIT }, *t };

	futimens(dirfd, tt);
}

static void leave_dir(struct serve *, struct opendir_ent *);

/* Renames every pending temporary into place after one flush to disk (one
 * syncfs per filesystem: far cheaper than an fsync per file). */
static int
flush_pending(struct serve *s)
{
	int rc = 0;

	if (s->npend == 0)
		return 0;
	for (int d = 0; d < s->npdir; d++) {
		int seen = 0;

		for (int e = 0; e < d; e++)
			seen |= s->pdir[e].dev == s->pdir[d].dev;
		if (!seen && syncfs(s->pdir[d].fd) == -1)
			rc = -1;
	}
	for (int i = 0; i < s->npend; i++) {
		struct pending *p = &s->pend[i];
		int dfd = s->pdir[p->dir].fd;
		struct mstat st;

		if (rc == 0 && renameat(dfd, p->tmp, dfd, p->leaf) == 0 &&
		    mstat_from_path(dfd, p->leaf, &st, NULL) == 0) {
			manifest_put(&s->recv, p->key, &st, NULL, 0);
			s->ok++;
		} else {
			size_t rl = strlen(s->root);
			const char *rel = strncmp(p->key, s->root, rl) == 0 && p->key[rl] ?
			    p->key + rl + (strcmp(s->root, "/") != 0) : p->key;

			rel_error(s, rel, "landing");
			unlinkat(dfd, p->tmp, 0);
		}
		free(p->leaf);
		free(p->key);
	}
	for (int d = 0; d < s->npdir; d++) {
		restore_mtime(s->pdir[d].fd, &s->pdir[d].mtime);
		touched(s, s->pdir[d].fd);
		close(s->pdir[d].fd);
	}
	s->npend = s->npdir = 0;
	for (int d = 0; d < s->ndone; d++)
		leave_dir(s, &s->done[d]);
	s->ndone = 0;
	if (s->journal >= 0 && ftruncate(s->journal, 0) == -1)
		log_warn("journal of temporaries: %s", strerror(errno));
	s->pend_bytes = 0;
	return rc;
}

static void
leave_dir(struct serve *s, struct opendir_ent *d)
{
	if (d->meta) {
		struct timespec t[2] = { { 0, UTIME_OMIT }, { d->meta->st.mtime_ns / 1000000000,
		    d->meta->st.mtime_ns % 1000000000 } };
		struct mstat st;

		set_owner_mode(s, d->fd, d->key, d->meta);
		futimens(d->fd, t);
		touched(s, d->fd);
		if (mstat_from_path(d->fd, ".", &st, NULL) == 0)
			manifest_put(&s->recv, d->key, &st, NULL, 0);
		free(d->meta);
	}
	close(d->fd);
}

/* Directories are finished (mode, owner, mtime) when the stream leaves
 * them, after everything inside has landed. */
static void
leave_dirs_until(struct serve *s, const char *key)
{
	while (s->depth > 0) {
		struct opendir_ent *d = &s->stack[s->depth - 1];
		size_t n = strlen(d->key);

		if (key && strncmp(key, d->key, n) == 0 &&
		    (key[n] == '/' || (n == 1 && d->key[0] == '/')) && key[n] != '\0')
			return;
		if (s->npend == 0) {
			leave_dir(s, d);
		} else {
			if (s->ndone == PENDING_DIRS)
				flush_pending(s);	/* finishes the done ones too */
			if (s->npend == 0)
				leave_dir(s, d);
			else
				s->done[s->ndone++] = *d;
		}
		s->depth--;
	}
}

/* Names a temporary and notes it in the journal, so that a receiver killed
 * before the rename leaves nothing the next one does not sweep. */
static void
temp_name(struct serve *s, const char *key, char *tmp, size_t n)
{
	char line[PATH_MAX + 80];
	const char *slash = strrchr(key, '/');
	int len;

	snprintf(tmp, n, TMP_PREFIX "%d.%u", (int)getpid(), s->tmpseq++);
	len = snprintf(line, sizeof(line), "%.*s/%s\n", slash ? (int)(slash - key) : 0, key, tmp);
	if (s->journal >= 0 && len > 0 && (size_t)len < sizeof(line) &&
	    write(s->journal, line, (size_t)len) != len)
		log_warn("journal of temporaries: %s", strerror(errno));
}

static int dest_dir(const struct serve *, const char *path, int create);

/* The journal names directories as the stream did: they are reached the
 * way its roots are, never through a symlink made since. */
static void
sweep_journal(const struct serve *s, const char *file)
{
	struct buf b = BUF_INIT;

	if (buf_read_file(&b, file, 64 << 20) == 0)
		for (char *l = b.data, *nl; l && *l; l = nl ? nl + 1 : NULL) {
			char *base;
			int dfd;

			if ((nl = strchr(l, '\n')) != NULL)
				*nl = '\0';
			base = strrchr(l, '/');
			if (base == NULL || strncmp(base + 1, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) != 0)
				continue;
			*base = '\0';
			if ((dfd = dest_dir(s, base == l ? "/" : l, 0)) >= 0) {
				unlinkat(dfd, base + 1, 0);
				close(dfd);
			}
		}
	buf_free(&b);
}

static int
new_temp(struct serve *s, int dirfd, const char *key, char *tmp, size_t n)
{
	temp_name(s, key, tmp, n);
	return openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

static int
queue_rename(struct serve *s, int dirfd, const struct timespec *dir_mtime, const char *tmp,
    const char *leaf, const char *key)
{
	struct pending *p;
	struct stat ds;
	int d;

	if (fstat(dirfd, &ds) == -1)
		return -1;
	for (d = 0; d < s->npdir; d++)
		if (s->pdir[d].dev == ds.st_dev && s->pdir[d].ino == ds.st_ino)
			break;
	if (d == s->npdir) {
		if (s->npdir == PENDING_DIRS && flush_pending(s) == -1)
			return -1;
		d = s->npdir;
		if ((s->pdir[d].fd = dup(dirfd)) == -1)
			return -1;
		s->pdir[d].dev = ds.st_dev;
		s->pdir[d].ino = ds.st_ino;
		s->pdir[d].mtime = *dir_mtime;
		s->npdir++;
	}
	p = &s->pend[s->npend];
	p->dir = d;
	snprintf(p->tmp, sizeof(p->tmp), "%s", tmp);
	p->leaf = strdup(leaf);
	p->key = strdup(key);
	if (p->leaf == NULL || p->key == NULL) {
		free(p->leaf);
		free(p->key);
		return -1;
	}
	if (++s->npend == PENDING_MAX || s->pend_bytes >= PENDING_BYTES)
		return flush_pending(s);
	return 0;
}

/* Reads the data frames of one file into fd (or discards them when fd is
 * -1). Returns 0 at F_EOF, -1 on a protocol error. */
static int
read_data(struct frame_reader *fr, int fd, uint64_t size, int delta, int *werr)
{
	for (;;) {
		struct dec d;
		int type;
		const void *p;
		size_t n;
		uint64_t off = 0;

		if (frame_read(fr, &type, &d) != 1)
			return -1;
		if (type == F_EOF)
			return d.n == 0 ? 0 : -1;
		if (type != (delta ? F_BLOCK : F_DATA))
			return -1;
		if (delta)
			off = get_u64(&d);
		n = d.n;
		p = d.p;
		if (d.err || (delta && (off > size || n > size - off)))
			return -1;
		if (fd < 0 || *werr)
			continue;
		if (delta ? pwrite(fd, p, n, (off_t)off) != (ssize_t)n : write(fd, p, n) != (ssize_t)n)
			*werr = errno ? errno : EIO;
	}
}

static int
clone_base(int dirfd, const char *leaf, int out)
{
	int in = openat(dirfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	off_t left;

	if (in == -1 || fstat(in, &st) == -1)
		return in == -1 ? -1 : (close(in), -1);
	/* shares the blocks where the file system can (btrfs, xfs) */
	if (ioctl(out, FICLONE, in) == 0) {
		close(in);
		return 0;
	}
	for (left = st.st_size; left > 0;) {
		ssize_t k = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);

		if (k <= 0)
			break;
		left -= k;
	}
	close(in);
	return left == 0 ? 0 : -1;
}

static int
land_file(struct serve *s, struct frame_reader *fr, int dirfd, const char *leaf,
    const struct mentry *e, int frame_type, const char *key, int base_ok,
    const struct timespec *dir_mtime)
{
	char tmp[48];
	int fd = -1, werr = 0;
	uint64_t size = e->st.size;
	struct timespec t[2];

	if (frame_type == F_DELTA && !base_ok) {
		if (read_data(fr, -1, size, 1, &werr) == -1)
			return -1;
		report(s, "RESEND", e->rel, NULL);
		return 0;
	}
	if ((fd = new_temp(s, dirfd, key, tmp, sizeof(tmp))) == -1) {
		rel_error(s, e->rel, "creating a temporary");
		return read_data(fr, -1, size, frame_type == F_DELTA, &werr);
	}
	if (frame_type == F_DELTA && (clone_base(dirfd, leaf, fd) == -1 ||
	    ftruncate(fd, (off_t)size) == -1))
		werr = errno ? errno : EIO;
	if (read_data(fr, fd, size, frame_type == F_DELTA, &werr) == -1) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (!werr && frame_type != F_DELTA) {
		struct stat st;

		if (fstat(fd, &st) == -1 || (uint64_t)st.st_size != size)
			werr = EPROTO;
	}
	if (werr) {
		errno = werr;
		rel_error(s, e->rel, "writing");
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return 0;
	}
	set_owner_mode(s, fd, key, e);
	t[0].tv_nsec = UTIME_OMIT;
	t[0].tv_sec = 0;
	t[1].tv_sec = e->st.mtime_ns / 1000000000;
	t[1].tv_nsec = e->st.mtime_ns % 1000000000;
	futimens(fd, t);
	s->pend_bytes += size;
	if (close(fd) == -1 || queue_rename(s, dirfd, dir_mtime, tmp, leaf, key) == -1) {
		rel_error(s, e->rel, "landing");
		unlinkat(dirfd, tmp, 0);
	}
	return 0;
}

/* An entry the receiver will not land, told to the sender. */
static void
refuse(struct serve *s, const char *rel, const char *why)
{
	log_warn("%s/%s: %s", s->root, rel, why);
	report(s, "ERR", rel, why);
	s->errors++;
}

#define NOT_SPECIAL	"refused by --only (mirror-serve --allow-special lands it)"

/* With --only and without --allow-special, nothing that grants a
 * privilege lands: a setuid or setgid file, a device node, an attribute
 * that grants or labels (security.capability is a file capability). A
 * setgid directory only passes its group on and stays allowed. Without
 * --only the key is a root login anyway and the tree is copied as it is
 * (/etc, /usr/local). NULL when e may land; else why not, in why. */
static const char *
refusal(const struct serve *s, const struct mentry *e, char *why, size_t n)
{
	char name[256];
	int r;

	if (s->o->only == NULL || s->o->allow_special)
		return NULL;
	if (e->st.type == MT_CHR || e->st.type == MT_BLK)
		snprintf(why, n, "device node " NOT_SPECIAL);
	else if (e->st.type == MT_FILE && e->st.mode & (S_ISUID | S_ISGID))
		snprintf(why, n, "setuid or setgid bit " NOT_SPECIAL);
	else if ((r = xattr_privileged(e->xattrs, e->xlen, name, sizeof(name))) == 1)
		snprintf(why, n, "extended attribute %s " NOT_SPECIAL, name);
	else if (r == -1)
		snprintf(why, n, "malformed extended attributes");
	else
		return NULL;
	return why;
}

/* A hard link is a second name for a file already here: one to a setuid
 * or setgid file would land the bits under a name of the stream's choice. */
static int
link_refused(struct serve *s, int tfd, const char *tleaf, const char *rel)
{
	struct stat st;

	if (s->o->only == NULL || s->o->allow_special ||
	    fstatat(tfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode) ||
	    !(st.st_mode & (S_ISUID | S_ISGID)))
		return 0;
	refuse(s, rel, "hard link to a setuid or setgid file " NOT_SPECIAL);
	return 1;
}

/* Symlinks, hard links, fifos and devices: made under a temporary name,
 * then renamed over the old entry at once. */
static int
land_special(struct serve *s, int dirfd, const char *leaf, const struct mentry *e,
    const char *key, const struct timespec *dir_mtime)
{
	char tmp[48];
	struct mstat st;
	int rc;

	temp_name(s, key, tmp, sizeof(tmp));
	if (e->st.type == MT_LINK) {
		rc = symlinkat(e->target, dirfd, tmp);
	} else if (e->st.type == MT_HARDLINK) {
		char tleaf[NAME_MAX + 1];
		int tfd;

		flush_pending(s);	/* the target may be one of them */
		if ((tfd = bn_parent(s->rootfd, e->target, 0, tleaf)) == -1)
			return -1;
		if (link_refused(s, tfd, tleaf, e->rel)) {
			close(tfd);
			return 0;
		}
		rc = linkat(tfd, tleaf, dirfd, tmp, 0);
		close(tfd);
	} else {
		mode_t type = e->st.type == MT_FIFO ? S_IFIFO : e->st.type == MT_CHR ? S_IFCHR :
		    S_IFBLK;

		rc = mknodat(dirfd, tmp, type | 0600, (dev_t)e->st.rdev);
	}
	if (rc == -1)
		return -1;
	if (e->st.type != MT_HARDLINK) {
		struct timespec t[2] = { { 0, UTIME_OMIT }, { e->st.mtime_ns / 1000000000,
		    e->st.mtime_ns % 1000000000 } };

		if (fchownat(dirfd, tmp, e->st.uid, e->st.gid, AT_SYMLINK_NOFOLLOW) == -1 &&
		    geteuid() == 0)
			log_warn("chown %s: %s", key, strerror(errno));
		if (e->st.type != MT_LINK && fchmodat(dirfd, tmp, e->st.mode, 0) == -1)
			log_warn("chmod %s: %s", key, strerror(errno));
		utimensat(dirfd, tmp, t, AT_SYMLINK_NOFOLLOW);
	}
	if (renameat(dirfd, tmp, dirfd, leaf) == -1) {
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	restore_mtime(dirfd, dir_mtime);
	touched(s, dirfd);
	if (mstat_from_path(dirfd, leaf, &st, NULL) == 0)
		manifest_put(&s->recv, key, &st, NULL, 0);
	s->ok++;
	return 0;
}

static int
enter_dir(struct serve *s, int dirfd, const char *leaf, const struct mentry *e, const char *key)
{
	struct opendir_ent *d;
	int fd;

	if (strcmp(e->rel, ".") == 0)
		fd = dup(s->rootfd);
	else {
		if (mkdirat(dirfd, leaf, 0700) == 0)
			touched(s, dirfd);
		else if (errno != EEXIST)
			return -1;
		fd = openat(dirfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd == -1)
		return -1;
	if (s->depth == (int)(sizeof(s->stack) / sizeof(s->stack[0]))) {
		leave_dir(s, &s->stack[0]);
		memmove(&s->stack[0], &s->stack[1], sizeof(s->stack[0]) * (size_t)--s->depth);
	}
	d = &s->stack[s->depth++];
	d->fd = fd;
	snprintf(d->key, sizeof(d->key), "%s", key);
	if ((d->meta = malloc(sizeof(*d->meta))) != NULL)
		*d->meta = *e;
	if (d->meta)
		d->meta->xattrs = NULL, d->meta->xlen = 0;
	if (s->flags & (HELLO_XATTRS | HELLO_ACLS) && e->xlen > 0 &&
	    xattr_apply(fd, key, e->xattrs, e->xlen) == -1)
		log_warn("extended attributes of %s: %s", key, strerror(errno));
	s->ok++;
	return 0;
}

static int
land_entry(struct serve *s, struct frame_reader *fr, const struct mentry *ep, int frame_type)
{
	struct mentry e = *ep;
	struct mstat l;
	char leaf[NAME_MAX + 1], key[PATH_MAX];
	int dirfd, have, base_ok = 0, werr = 0;
	struct timespec dmt;

	key_of(s, e.rel, key, sizeof(key));
	leave_dirs_until(s, key);
	if (strcmp(e.rel, ".") == 0) {
		if (e.st.type != MT_DIR)
			return -1;
		if (enter_dir(s, -1, ".", &e, key) == -1)
			rel_error(s, e.rel, "root");
		return 0;
	}
	if ((dirfd = open_parent(s, e.rel, leaf)) == -1) {
		rel_error(s, e.rel, "parent directory");
		return e.st.type == MT_FILE ? read_data(fr, -1, e.st.size, frame_type == F_DELTA,
		    &werr) : 0;
	}
	save_mtime(dirfd, &dmt);
	have = mstat_from_path(dirfd, leaf, &l, NULL) == 0;
	if (have && frame_type == F_DELTA)
		base_ok = local_synced(s, key, &l) && l.type == MT_FILE && l.size == e.base_size &&
		    l.mtime_ns == e.base_mtime_ns;
	if (have && !(l.type == MT_DIR && e.st.type == MT_DIR) && !base_ok) {
		int gone;

		if (l.type == MT_DIR)
			gone = remove_tree(s, dirfd, leaf, e.rel) == 0;
		else if (local_synced(s, key, &l) || mstat_same_offer(&l, &e.st))
			/* a file is replaced by the rename below; a directory
			 * needs the name free */
			gone = e.st.type != MT_DIR || unlinkat(dirfd, leaf, 0) == 0;
		else
			gone = conflict_move(s, dirfd, leaf, e.rel, &l) == 0;
		if (!gone) {
			rel_error(s, e.rel, "keeping a local change");
			return e.st.type == MT_FILE ? read_data(fr, -1, e.st.size,
			    frame_type == F_DELTA, &werr) : 0;
		}
	}
	switch (e.st.type) {
	case MT_DIR:
		if (enter_dir(s, dirfd, leaf, &e, key) == -1)
			rel_error(s, e.rel, "directory");
		return 0;
	case MT_FILE:
		return land_file(s, fr, dirfd, leaf, &e, frame_type, key, base_ok, &dmt);
	default:
		if (land_special(s, dirfd, leaf, &e, key, &dmt) == -1)
			rel_error(s, e.rel, "creating");
		return 0;
	}
}

/* The entry's attributes point into the frame buffer, which reading the
 * file's data frames reuses: they get a copy of their own. */
static int
do_entry(struct serve *s, struct frame_reader *fr, struct dec *d, int frame_type)
{
	struct mentry *e = malloc(sizeof(*e));
	void *xa = NULL;
	char why[512];
	int rc;

	if (e == NULL || entry_decode(d, frame_type, e) == -1 || s->rootfd < 0) {
		log_err("malformed entry");
		free(e);
		return -1;
	}
	if (e->xlen > 0) {
		if ((xa = malloc(e->xlen)) == NULL) {
			free(e);
			return -1;
		}
		memcpy(xa, e->xattrs, e->xlen);
		e->xattrs = xa;
	}
	if (refusal(s, e, why, sizeof(why)) != NULL) {
		int werr = 0;

		refuse(s, e->rel, why);
		rc = e->st.type == MT_FILE ? read_data(fr, -1, e->st.size, frame_type == F_DELTA,
		    &werr) : 0;
	} else {
		rc = land_entry(s, fr, e, frame_type);
	}
	free(xa);
	free(e);
	return rc;
}

static int
do_delete(struct serve *s, struct dec *d)
{
	char rel[PATH_MAX], leaf[NAME_MAX + 1], key[PATH_MAX];
	struct timespec dmt;
	int dirfd;

	if (get_str(d, rel, sizeof(rel)) == -1 || d->n != 0 || !rel_path_safe(rel) ||
	    strcmp(rel, ".") == 0 || s->rootfd < 0)
		return -1;
	key_of(s, rel, key, sizeof(key));
	leave_dirs_until(s, key);
	flush_pending(s);
	if ((dirfd = open_parent(s, rel, leaf)) == -1) {
		if (errno != ENOENT)
			rel_error(s, rel, "parent directory");
		return 0;
	}
	save_mtime(dirfd, &dmt);
	if (remove_entry(s, dirfd, leaf, rel) == -1)
		rel_error(s, rel, "removing");
	else
		s->ok++;
	restore_mtime(dirfd, &dmt);
	return 0;
}

static void
list_tree(int fd, const char *rel, struct buf *out)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;

	if (d == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char crel[PATH_MAX];
		struct mstat m;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strncmp(de->d_name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) == 0)
			continue;
		if (mstat_from_path(fd, de->d_name, &m, NULL) == -1 || m.type == 0)
			continue;
		snprintf(crel, sizeof(crel), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		buf_printf(out, "L %c %llu %lld %o %u %u ", m.type, (unsigned long long)m.size,
		    (long long)m.mtime_ns, m.mode, m.uid, m.gid);
		path_escape(out, crel, strlen(crel));
		buf_puts(out, "\n");
		if (m.type == MT_DIR) {
			int cfd = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);

			if (cfd >= 0)
				list_tree(cfd, crel, out);
		}
	}
	closedir(d);
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
do_list(struct serve *s)
{
	struct buf out = BUF_INIT;
	int rc;

	if (s->rootfd >= 0)
		list_tree(dup(s->rootfd), "", &out);
	buf_puts(&out, "LEND\n");
	rc = write_all(s->out, out.data, out.len);
	buf_free(&out);
	return rc;
}

/* Temporaries of a stream that broke off are not renamed into place: the
 * sender had no DONE for them and sends them again; the tree keeps what it
 * held. */
static void
discard_pending(struct serve *s)
{
	for (int i = 0; i < s->npend; i++) {
		unlinkat(s->pdir[s->pend[i].dir].fd, s->pend[i].tmp, 0);
		free(s->pend[i].leaf);
		free(s->pend[i].key);
	}
	for (int d = 0; d < s->npdir; d++) {
		restore_mtime(s->pdir[d].fd, &s->pdir[d].mtime);
		close(s->pdir[d].fd);
	}
	s->npend = s->npdir = 0;
	s->pend_bytes = 0;
	for (int d = 0; d < s->ndone; d++)
		leave_dir(s, &s->done[d]);
	s->ndone = 0;
	if (s->journal >= 0 && ftruncate(s->journal, 0) == -1)
		log_warn("journal of temporaries: %s", strerror(errno));
}

/* Finishes the current root; with keep 0 (a refused or broken stream) its
 * pending temporaries are dropped instead of landed. */
static void
close_root(struct serve *s, int keep)
{
	if (!keep)
		discard_pending(s);
	leave_dirs_until(s, NULL);
	flush_pending(s);
	if (s->pfd >= 0)
		close(s->pfd);
	s->pfd = -1;
	if (s->rootfd >= 0)
		close(s->rootfd);
	s->rootfd = -1;
}

/* The directory path names (absolute, without ".", ".." or empty
 * components). With --only it must lie in that tree and is resolved
 * beneath it, never through a symlink; without, the sender holds a key
 * that is root here anyway, and the admin's symlinks (/var/www -> /srv)
 * are followed. create: missing directories are made 0700. */
static int
dest_dir(const struct serve *s, const char *path, int create)
{
	const char *rest;
	int fd;

	if (s->onlyfd >= 0) {
		if (!bn_under(path, s->o->only, &rest)) {
			errno = EPERM;
			return -1;
		}
		return bn_dir(s->onlyfd, rest, create, 0700, 0);
	}
	if (!bn_under(path, "/", &rest)) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 && errno == ENOENT &&
	    create && mirror_mkdirs(path) == 0)
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd;
}

static int
do_root(struct serve *s, struct dec *d)
{
	uint32_t id = get_u32(d);
	char path[PATH_MAX];
	const char *rest;
	int fd;

	s->root_id = id;
	if (get_str(d, path, sizeof(path)) == -1 || d->n != 0 || !bn_under(path, "/", &rest)) {
		snprintf(s->fatal, sizeof(s->fatal), "destination: not a plain absolute path");
		return -1;
	}
	if (s->onlyfd >= 0 && !bn_under(path, s->o->only, &rest)) {
		snprintf(s->fatal, sizeof(s->fatal), "destination %s is outside %s (--only)", path,
		    s->o->only);
		return -1;
	}
	if ((fd = dest_dir(s, path, 1)) == -1 && s->onlyfd >= 0 && (errno == ELOOP ||
	    errno == EXDEV || errno == ENOTDIR)) {
		snprintf(s->fatal, sizeof(s->fatal), "destination %s is %s inside %s (--only)", path,
		    errno == ELOOP ? "reached through a symlink" : errno == EXDEV ? "leading out" :
		    "not a directory", s->o->only);
		return -1;
	}
	close_root(s, 1);
	snprintf(s->root, sizeof(s->root), "%s", path);
	if ((s->rootfd = fd) == -1)
		rel_error(s, ".", "destination");
	return 0;
}

static int
do_hello(struct serve *s, struct dec *d)
{
	char why[512], file[PATH_MAX];

	if (get_u32(d) != MIRROR_PROTO || get_str(d, s->sender, sizeof(s->sender)) == -1)
		return -1;
	s->flags = get_u32(d);
	if (d->err || s->sender[0] == '\0' || strchr(s->sender, '/') || s->sender[0] == '.')
		return -1;
	snprintf(s->recv_file, sizeof(s->recv_file), "%s/recv-%s.manifest", s->o->state_dir,
	    s->sender);
	snprintf(file, sizeof(file), "%s/sent-%s.manifest", s->o->state_dir, s->sender);
	if (manifest_load(s->recv_file, &s->recv, why, sizeof(why)) == -1)
		log_warn("%s; every local difference will be kept as a conflict", why);
	if (manifest_load(file, &s->sent, why, sizeof(why)) == -1)
		log_warn("%s", why);
	load_last(s);
	snprintf(file, sizeof(file), "%s/temporaries-%s", s->o->state_dir, s->sender);
	sweep_journal(s, file);
	if ((s->journal = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
	    0600)) == -1)
		log_warn("%s: %s", file, strerror(errno));
	return 0;
}

/* A daemon keeps one stream for many batches and greets on each. */
static int
hello_again(struct serve *s, struct dec *d)
{
	char who[64];

	if (get_u32(d) != MIRROR_PROTO || get_str(d, who, sizeof(who)) == -1 ||
	    strcmp(who, s->sender) != 0)
		return -1;
	s->flags = get_u32(d);
	return d->err ? -1 : 0;
}

static int
save_recv(struct serve *s, char *why, size_t whylen)
{
	if (manifest_save(s->recv_file, &s->recv, why, whylen) == -1)
		return -1;
	s->recv_dirty = 0;
	s->saved_ms = clock_ms();
	return 0;
}

static int
do_end(struct serve *s)
{
	char why[512];
	int rc = 0;

	close_root(s, 1);
	/* what the DONE reports is on disk before it is reported: renames,
	 * deletes, new directories, attributes */
	if (sync_touched(s) == -1) {
		buf_printf(&s->report, "ERR 0 . %s\n", "making the changes durable failed (syncfs)");
		s->errors++;
	}
	if (s->ok || s->conflicts || s->errors)
		s->recv_dirty = 1;
	/* A stream that stays open (a daemon's) writes its manifest at most
	 * every RECV_SAVE_MS and when it ends: one that is stale after a crash
	 * only makes later updates keep needless copies as conflicts. */
	if (s->recv_file[0] && s->recv_dirty && (s->batches++ == 0 ||
	    clock_ms() - s->saved_ms >= RECV_SAVE_MS) && save_recv(s, why, sizeof(why)) == -1) {
		log_err("%s", why);
		buf_printf(&s->report, "ERR 0 . %s\n", "saving the manifest failed");
		s->errors++;
		rc = -1;
	}
	buf_printf(&s->report, "DONE ok %lu conflicts %lu errors %lu\n", s->ok, s->conflicts,
	    s->errors);
	if (write_all(s->out, s->report.data, s->report.len) == -1)
		rc = -1;
	buf_reset(&s->report);
	s->ok = s->conflicts = s->errors = 0;
	s->conflict_root[0] = '\0';
	return rc;
}

int
mirror_serve(const struct serve_opts *o, int in, int out)
{
	struct serve *s = calloc(1, sizeof(*s));
	struct frame_reader fr;
	int rc = -1, type, got;
	struct dec d;

	if (s == NULL)
		return -1;
	s->o = o;
	s->out = out;
	s->rootfd = s->pfd = s->journal = s->onlyfd = -1;
	if ((s->rootfd = bn_open(AT_FDCWD, ".", O_RDONLY | O_DIRECTORY, 0)) == -1 &&
	    (errno == ENOSYS || errno == EPERM)) {
		/* a kernel before 5.6, or a seccomp filter: no safe resolution */
		log_err("openat2(2): %s; mirror-serve needs it (Linux 5.6 or later)",
		    strerror(errno));
		free(s);
		return -1;
	}
	if (s->rootfd >= 0)
		close(s->rootfd);
	s->rootfd = -1;
	/* the admin's directory: reached by its path, symlinks and all */
	if (o->only && (o->only[0] != '/' || ((s->onlyfd = open(o->only, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 && (errno != ENOENT || mirror_mkdirs(o->only) == -1 ||
	    (s->onlyfd = open(o->only, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)))) {
		log_err("--only %s: %s", o->only, o->only[0] != '/' ? "not an absolute path" :
		    strerror(errno));
		free(s);
		return -1;
	}
	manifest_init(&s->recv);
	manifest_init(&s->sent);
	frame_reader_init(&fr, in);
	while ((got = frame_read(&fr, &type, &d)) == 1) {
		int r;

		if (type != F_HELLO && s->sender[0] == '\0') {
			log_err("protocol error: no hello");
			break;
		}
		switch (type) {
		case F_HELLO: r = s->sender[0] ? hello_again(s, &d) : do_hello(s, &d); break;
		case F_ROOT: r = do_root(s, &d); break;
		case F_LIST: r = do_list(s); break;
		case F_ENTRY:
		case F_DELTA: r = do_entry(s, &fr, &d, type); break;
		case F_DELETE: r = do_delete(s, &d); break;
		case F_END: r = do_end(s); break;
		default: r = -1; break;
		}
		if (r == -1) {
			/* the sender reads this line before it finds the stream cut */
			struct buf b = BUF_INIT;

			if (s->fatal[0] == '\0')
				snprintf(s->fatal, sizeof(s->fatal), "protocol error in frame '%c'",
				    type > ' ' && type < 127 ? type : '?');
			log_err("%s", s->fatal);
			buf_printf(&b, "ERR %u . ", s->root_id);
			path_escape(&b, s->fatal, strlen(s->fatal));
			buf_puts(&b, "\n");
			if (write_all(s->out, b.data, b.len) == -1)
				(void)0;	/* the sender is gone: stderr has it */
			buf_free(&b);
			got = -2;
			break;
		}
	}
	if (got == 0)
		rc = 0;
	else if (got == -1)
		log_err("protocol error: truncated or oversized frame, or stream broken");
	close_root(s, got == 0);
	if (s->ntouched > 0 && sync_touched(s) == -1)
		rc = -1;
	if (s->recv_file[0] && s->recv_dirty) {
		char why[512];

		if (save_recv(s, why, sizeof(why)) == -1) {
			log_err("%s", why);
			rc = -1;
		}
	}
	if (s->journal >= 0)
		close(s->journal);
	if (s->onlyfd >= 0)
		close(s->onlyfd);
	manifest_free(&s->recv);
	manifest_free(&s->sent);
	manifest_free(&s->last);
	buf_free(&s->report);
	frame_reader_free(&fr);
	free(s);
	return rc;
}
