/* Manifest records and their file; see manifest.h.
 * File: "understudy-mirror-manifest 1\n", then per record: u32 path length,
 * path, u8 type, u32 mode, uid, gid, u64 size, mtime, ctime, inode, rdev,
 * u32 block count, the hashes; then "END" and the u64 record count. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "understudy/buf.h"
#include "frame.h"
#include "manifest.h"

#define MAGIC		"understudy-mirror-manifest 1\n"
#define MAX_FILE	(1u << 30)

int
mtype_valid(int t)
{
	return t != 0 && strchr("fdlpcb", t) != NULL;
}

int
mstat_type(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return MT_FILE;
	case S_IFDIR: return MT_DIR;
	case S_IFLNK: return MT_LINK;
	case S_IFIFO: return MT_FIFO;
	case S_IFCHR: return MT_CHR;
	case S_IFBLK: return MT_BLK;
	default: return 0;	/* sockets: not mirrored */
	}
}

void
mstat_from_stat(const struct stat *s, struct mstat *m)
{
	*m = (struct mstat){
		.type = (uint8_t)mstat_type(s->st_mode), .mode = s->st_mode & 07777,
		.uid = s->st_uid, .gid = s->st_gid,
		.size = S_ISREG(s->st_mode) || S_ISLNK(s->st_mode) ? (uint64_t)s->st_size : 0,
		.mtime_ns = (int64_t)s->st_mtim.tv_sec * 1000000000 + s->st_mtim.tv_nsec,
		.ctime_ns = (int64_t)s->st_ctim.tv_sec * 1000000000 + s->st_ctim.tv_nsec,
		.ino = s->st_ino, .dev = s->st_dev, .rdev = s->st_rdev, .nlink = (uint32_t)s->st_nlink,
	};
}

int
mstat_from_path(int dirfd, const char *name, struct mstat *m, struct stat *sp)
{
	struct stat s;

	if (fstatat(dirfd, name, &s, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	mstat_from_stat(&s, m);
	if (sp)
		*sp = s;
	return 0;
}

int
mstat_same(const struct mstat *a, const struct mstat *b)
{
	return a->type == b->type && a->size == b->size && a->mtime_ns == b->mtime_ns &&
	    a->ctime_ns == b->ctime_ns && a->ino == b->ino && a->mode == b->mode &&
	    a->uid == b->uid && a->gid == b->gid;
}

int
mstat_same_offer(const struct mstat *l, const struct mstat *o)
{
	uint8_t ot = o->type == MT_HARDLINK ? MT_FILE : o->type;

	return l->type == ot && (l->type == MT_DIR || l->size == o->size) &&
	    (l->type == MT_DIR || l->mtime_ns == o->mtime_ns) &&
	    (l->type == MT_LINK || l->mode == o->mode) && l->uid == o->uid && l->gid == o->gid;
}

static size_t
hash_path(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

void
manifest_init(struct manifest *m)
{
	memset(m, 0, sizeof(*m));
}

void
manifest_free(struct manifest *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].path);
		free(m->v[i].blocks);
	}
	free(m->v);
	free(m->slot);
	manifest_init(m);
}

static size_t *
find_slot(const struct manifest *m, const char *path)
{
	size_t i = hash_path(path) & (m->nslot - 1);

	for (;; i = (i + 1) & (m->nslot - 1))
		if (m->slot[i] == 0 || strcmp(m->v[m->slot[i] - 1].path, path) == 0)
			return &m->slot[i];
}

struct mrec *
manifest_find(const struct manifest *m, const char *path)
{
	size_t *s;

	if (m->nslot == 0)
		return NULL;
	s = find_slot(m, path);
	return *s && !m->v[*s - 1].gone ? &m->v[*s - 1] : NULL;
}

static int
grow(struct manifest *m)
{
	size_t nslot = m->nslot ? m->nslot * 2 : 1024;
	size_t *ns = calloc(nslot, sizeof(*ns));

	if (ns == NULL)
		return -1;
	free(m->slot);
	m->slot = ns;
	m->nslot = nslot;
	for (size_t i = 0; i < m->n; i++)
		*find_slot(m, m->v[i].path) = i + 1;
	return 0;
}

struct mrec *
manifest_put(struct manifest *m, const char *path, const struct mstat *st,
    const unsigned char *blocks, uint32_t nblocks)
{
	unsigned char *bl = NULL;
	struct mrec *r;
	size_t *s;

	if ((m->n + 1) * 2 > m->nslot && grow(m) == -1)
		return NULL;
	if (nblocks > 0 && (bl = malloc((size_t)nblocks * BLOCK_HASH)) == NULL)
		return NULL;
	if (bl)
		memcpy(bl, blocks, (size_t)nblocks * BLOCK_HASH);
	s = find_slot(m, path);
	if (*s) {
		r = &m->v[*s - 1];
		free(r->blocks);
	} else {
		if (m->n == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 256;
			struct mrec *nv = realloc(m->v, cap * sizeof(*nv));

			if (nv == NULL) {
				free(bl);
				return NULL;
			}
			m->v = nv;
			m->cap = cap;
		}
		r = &m->v[m->n];
		memset(r, 0, sizeof(*r));
		if ((r->path = strdup(path)) == NULL) {
			free(bl);
			return NULL;
		}
		*s = ++m->n;
	}
	r->st = *st;
	r->blocks = bl;
	r->nblocks = nblocks;
	r->gone = 0;
	return r;
}

void
manifest_drop(struct manifest *m, const char *path)
{
	struct mrec *r = manifest_find(m, path);

	if (r)
		r->gone = 1;
}

int
manifest_parse(const unsigned char *p, size_t len, struct manifest *m, char *why, size_t whylen)
{
	struct dec d = { p, len, 0 };
	uint64_t count = 0;
	char path[8192];

	if (len < sizeof(MAGIC) - 1 || memcmp(p, MAGIC, sizeof(MAGIC) - 1) != 0) {
		snprintf(why, whylen, "not a mirror manifest");
		return -1;
	}
	d.p += sizeof(MAGIC) - 1;
	d.n -= sizeof(MAGIC) - 1;
	while (d.n >= 3 && memcmp(d.p, "END", 3) != 0) {
		struct mstat st = { 0 };
		const unsigned char *bl;
		uint32_t nb;
		size_t bn;

		get_str(&d, path, sizeof(path));
		st.type = get_u8(&d);
		st.mode = get_u32(&d);
		st.uid = get_u32(&d);
		st.gid = get_u32(&d);
		st.size = get_u64(&d);
		st.mtime_ns = (int64_t)get_u64(&d);
		st.ctime_ns = (int64_t)get_u64(&d);
		st.ino = get_u64(&d);
		st.rdev = get_u64(&d);
		bl = get_bytes(&d, &bn);
		nb = (uint32_t)(bn / BLOCK_HASH);
		if (d.err || path[0] == '\0' || bn % BLOCK_HASH != 0 || !mtype_valid(st.type)) {
			snprintf(why, whylen, "damaged record %llu", (unsigned long long)count + 1);
			return -1;
		}
		if (manifest_put(m, path, &st, bl, nb) == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		count++;
	}
	if (d.n != 3 + 8 || (d.p += 3, d.n -= 3, get_u64(&d)) != count) {
		snprintf(why, whylen, "truncated (no end mark after %llu records)",
		    (unsigned long long)count);
		return -1;
	}
	m->loaded = 1;
	return 0;
}

int
manifest_load(const char *file, struct manifest *m, char *why, size_t whylen)
{
	struct buf b = BUF_INIT;
	int rc;

	manifest_init(m);
	if (buf_read_file(&b, file, MAX_FILE) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "%s: %s", file, strerror(errno));
		return -1;
	}
	rc = manifest_parse((const unsigned char *)b.data, b.len, m, why, whylen);
	buf_free(&b);
	if (rc == -1)
		manifest_free(m);
	return rc;
}

int
manifest_save(const char *file, const struct manifest *m, char *why, size_t whylen)
{
	struct buf b = BUF_INIT;
	uint64_t count = 0;
	int rc = -1;

	buf_puts(&b, MAGIC);
	for (size_t i = 0; i < m->n; i++) {
		const struct mrec *r = &m->v[i];

		if (r->gone)
			continue;
		put_bytes(&b, r->path, strlen(r->path));
		put_u8(&b, r->st.type);
		put_u32(&b, r->st.mode);
		put_u32(&b, r->st.uid);
		put_u32(&b, r->st.gid);
		put_u64(&b, r->st.size);
		put_u64(&b, (uint64_t)r->st.mtime_ns);
		put_u64(&b, (uint64_t)r->st.ctime_ns);
		put_u64(&b, r->st.ino);
		put_u64(&b, r->st.rdev);
		put_bytes(&b, r->blocks, (size_t)r->nblocks * BLOCK_HASH);
		count++;
	}
	buf_puts(&b, "END");
	put_u64(&b, count);
	if (buf_write_file(&b, file, 0600) == -1) {
		snprintf(why, whylen, "saving %s: %s", file, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}
