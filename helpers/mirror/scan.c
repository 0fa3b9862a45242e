/* Local tree walk; see scan.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "understudy/log.h"
#include "scan.h"

#define TMP_PREFIX	".~mirror."

struct inode_ref {
	uint64_t	 dev, ino;
	size_t		 idx;
};

struct walk {
	struct scan	*sc;
	char *const	*excl;
	size_t		 nexcl;
	struct inode_ref *links;
	size_t		 nlinks, caplinks;
	/* partial scans: read directories one level, unless new */
	const struct manifest *const *known;	/* one per peer */
	size_t		 nknown;
	struct manifest	 added;		/* rels already in sc */
};

void
scan_key(const struct scan *sc, const char *rel, char *out, size_t n)
{
	if (strcmp(rel, ".") == 0)
		snprintf(out, n, "%s", sc->base);
	else
		snprintf(out, n, "%s%s%s", sc->base, strcmp(sc->base, "/") == 0 ? "" : "/", rel);
}

int
scan_covers(const struct scan *sc, const char *rel)
{
	size_t n = strlen(sc->top);

	if (strcmp(sc->top, ".") == 0)
		return 1;
	return strncmp(rel, sc->top, n) == 0 && (rel[n] == '\0' || rel[n] == '/');
}

static struct sentry *
add(struct scan *sc, const char *rel, const struct mstat *st)
{
	struct sentry *e;

	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 1024;
		struct sentry *nv = realloc(sc->v, cap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		sc->v = nv;
		sc->cap = cap;
	}
	e = &sc->v[sc->n];
	memset(e, 0, sizeof(*e));
	if ((e->rel = strdup(rel)) == NULL)
		return NULL;
	e->st = *st;
	sc->n++;
	return e;
}

static void
pair_hardlink(struct walk *w, struct sentry *e)
{
	struct scan *sc = w->sc;

	for (size_t i = 0; i < w->nlinks; i++)
		if (w->links[i].dev == e->st.dev && w->links[i].ino == e->st.ino) {
			e->target = strdup(sc->v[w->links[i].idx].rel);
			e->hardlink = e->target != NULL;
			return;
		}
	if (w->nlinks == w->caplinks) {
		size_t cap = w->caplinks ? w->caplinks * 2 : 64;
		struct inode_ref *nl = realloc(w->links, cap * sizeof(*nl));

		if (nl == NULL)
			return;
		w->links = nl;
		w->caplinks = cap;
	}
	w->links[w->nlinks++] = (struct inode_ref){ e->st.dev, e->st.ino, (size_t)(e - sc->v) };
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int visit(struct walk *, int, const char *, const char *, int);

static int
known_dir(const struct walk *w, const char *rel)
{
	char key[8192];
	const struct mrec *r;

	scan_key(w->sc, rel, key, sizeof(key));
	for (size_t i = 0; i < w->nknown; i++)
		if ((r = manifest_find(w->known[i], key)) == NULL || r->st.type != MT_DIR)
			return 0;	/* new to one peer at least: read it whole */
	return 1;
}

static int
visit(struct walk *w, int pfd, const char *name, const char *rel, int descend)
{
	struct scan *sc = w->sc;
	struct mstat st;
	struct sentry *e;

	if (mstat_from_path(pfd, name, &st, NULL) == -1) {
		if (errno != ENOENT) {
			log_warn("%s/%s: %s", sc->base, rel, strerror(errno));
			sc->errors++;
		}
		return 0;
	}
	if (st.type == 0)
		return 0;	/* a socket */
	if (w->known) {
		if (manifest_find(&w->added, rel) != NULL)
			return 0;	/* a dirty directory met again as a child */
		if (manifest_put(&w->added, rel, &st, NULL, 0) == NULL)
			return -1;
	}
	if ((e = add(sc, rel, &st)) == NULL)
		return -1;
	if (st.type == MT_LINK) {
		char t[4096];
		ssize_t n = readlinkat(pfd, name, t, sizeof(t) - 1);

		if (n <= 0) {
			free(e->rel);
			sc->n--;
			sc->errors++;
			return 0;
		}
		t[n] = '\0';
		if ((e->target = strdup(t)) == NULL)
			return -1;
	} else if (st.type == MT_FILE && st.nlink > 1) {
		pair_hardlink(w, e);
	} else if (st.type == MT_DIR && (descend || !known_dir(w, rel))) {
		int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char **names = NULL;
		size_t nn = 0, cap = 0;
		struct dirent *de;
		DIR *d;
		int rc = 0;

		if (fd == -1 || (d = fdopendir(fd)) == NULL) {
			log_warn("%s/%s: %s", sc->base, rel, strerror(errno));
			sc->errors++;
			if (fd >= 0)
				close(fd);
			return 0;
		}
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
			    strncmp(de->d_name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) == 0)
				continue;
			if (nn == cap) {
				char **nv = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof(*nv));

				if (nv == NULL) {
					rc = -1;
					break;
				}
				names = nv;
			}
			if ((names[nn] = strdup(de->d_name)) == NULL) {
				rc = -1;
				break;
			}
			nn++;
		}
		if (nn > 1)
			qsort(names, nn, sizeof(*names), cmp_names);
		for (size_t i = 0; i < nn; i++) {
			char crel[4096];
			int len = snprintf(crel, sizeof(crel), "%s%s%s", strcmp(rel, ".") ? rel : "",
			    strcmp(rel, ".") ? "/" : "", names[i]);

			if (rc == 0 && len > 0 && (size_t)len < sizeof(crel)) {
				struct stat dummy;
				int isdir = fstatat(dirfd(d), names[i], &dummy,
				    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(dummy.st_mode);

				if (!mirror_excluded(w->excl, w->nexcl, crel, isdir))
					rc = visit(w, dirfd(d), names[i], crel, w->known == NULL);
			}
			free(names[i]);
		}
		free(names);
		closedir(d);
		return rc;
	}
	return 0;
}

static void
set_base(const struct mroot *r, struct scan *sc)
{
	const char *slash;

	if (r->contents) {
		snprintf(sc->base, sizeof(sc->base), "%s", r->src);
		snprintf(sc->top, sizeof(sc->top), ".");
	} else {
		slash = strrchr(r->src, '/');
		snprintf(sc->base, sizeof(sc->base), "%.*s", slash == r->src ? 1 :
		    (int)(slash - r->src), r->src);
		snprintf(sc->top, sizeof(sc->top), "%s", slash + 1);
	}
}

int
scan_root(const struct mroot *r, char *const *excl, size_t nexcl, struct scan *sc,
    char *why, size_t whylen)
{
	struct walk w = { sc, excl, nexcl, NULL, 0, 0, NULL, 0, { 0 } };
	struct stat st;
	int dfd, rc;

	memset(sc, 0, sizeof(*sc));
	if (lstat(r->src, &st) == -1) {
		snprintf(why, whylen, "source %s: %s", r->src, strerror(errno));
		return -1;
	}
	if (r->contents && !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "source %s/ is not a directory", r->src);
		return -1;
	}
	set_base(r, sc);
	if ((dfd = open(sc->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s: %s", sc->base, strerror(errno));
		return -1;
	}
	rc = visit(&w, dfd, sc->top, sc->top, 1);
	close(dfd);
	free(w.links);
	if (rc == -1) {
		snprintf(why, whylen, "out of memory scanning %s", r->src);
		scan_free(sc);
	}
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rel or one of its directories is excluded */
static int
under_excluded(char *const *excl, size_t nexcl, const char *rel)
{
	char pre[8192];

	if (strcmp(rel, ".") == 0)
		return 0;
	for (const char *p = rel;; p++) {
		if (*p == '/' || *p == '\0') {
			snprintf(pre, sizeof(pre), "%.*s", (int)(p - rel), rel);
			if (mirror_excluded(excl, nexcl, pre, 1))
				return 1;
		}
		if (*p == '\0')
			return 0;
	}
}

int
scan_partial(const struct mroot *r, char *const *excl, size_t nexcl, char *const *dirty,
    size_t ndirty, const struct manifest *const *known, size_t nknown, struct scan *sc,
    char *why, size_t whylen)
{
	struct walk w = { sc, excl, nexcl, NULL, 0, 0, known, nknown, { 0 } };
	char **mine = NULL, scope[8192];
	size_t nmine = 0, slen;
	int rc = 0;

	memset(sc, 0, sizeof(*sc));
	sc->partial = 1;
	set_base(r, sc);
	scan_key(sc, sc->top, scope, sizeof(scope));
	slen = strlen(scope);
	if ((mine = calloc(ndirty + 1, sizeof(*mine))) == NULL)
		goto nomem;
	for (size_t i = 0; i < ndirty; i++)
		if (strncmp(dirty[i], scope, slen) == 0 && (dirty[i][slen] == '\0' ||
		    dirty[i][slen] == '/'))
			mine[nmine++] = dirty[i];
	if (nmine > 1)
		qsort(mine, nmine, sizeof(*mine), cmp_str);	/* parents first */
	for (size_t i = 0; i < nmine && rc == 0; i++) {
		size_t blen = strlen(sc->base);
		const char *rel = mine[i][blen] == '\0' ? "." :
		    mine[i] + blen + (strcmp(sc->base, "/") != 0);
		char parent[8192], *slash;
		int pfd;

		if (under_excluded(excl, nexcl, rel))
			continue;
		if (manifest_put(&sc->dirty, mine[i], &(struct mstat){ 0 }, NULL, 0) == NULL)
			goto nomem;
		/* the directory itself, read from its parent, without following links */
		snprintf(parent, sizeof(parent), "%s", mine[i]);
		slash = strrchr(parent, '/');
		if (strcmp(rel, ".") == 0)
			;	/* the root: itself, as "." */
		else if (slash == parent)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		if ((pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			continue;	/* gone meanwhile: its parent is dirty too */
		rc = visit(&w, pfd, strcmp(rel, ".") == 0 ? "." : strrchr(mine[i], '/') + 1, rel, 1);
		close(pfd);
	}
	free(mine);
	free(w.links);
	manifest_free(&w.added);
	if (rc == -1)
		goto nomem_after;
	return 0;
nomem:
	free(mine);
	free(w.links);
	manifest_free(&w.added);
nomem_after:
	snprintf(why, whylen, "out of memory scanning %s", r->src);
	scan_free(sc);
	return -1;
}

int
scan_parent_dirty(const struct scan *sc, const char *key)
{
	char parent[8192], *slash;

	snprintf(parent, sizeof(parent), "%s", key);
	if ((slash = strrchr(parent, '/')) == NULL)
		return 0;
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	return manifest_find(&sc->dirty, parent) != NULL;
}

void
scan_free(struct scan *sc)
{
	for (size_t i = 0; i < sc->n; i++) {
		free(sc->v[i].rel);
		free(sc->v[i].target);
	}
	free(sc->v);
	sc->v = NULL;
	sc->n = sc->cap = 0;
	manifest_free(&sc->dirty);
}
