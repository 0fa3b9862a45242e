/* The sending side for one peer; see push.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "understudy/clock.h"
#include "understudy/log.h"
#include "entry.h"
#include "frame.h"
#include "push.h"

#define OUT_FLUSH	(512u << 10)

struct op {
	unsigned	 root;
	size_t		 idx;		/* entry in scans[root], or SIZE_MAX for a delete */
	char		*rel;		/* deletes only */
	struct mstat	 sent;		/* stat as sent, for the manifest */
	unsigned char	*blocks;
	uint32_t	 nblocks;
	int		 stable;	/* unchanged while it was read */
	int		 failed;
};

struct push {
	const struct mirror_conf *c;
	struct scan	*scans;
	struct mlink	*l;
	unsigned	 flags;
	struct manifest	*m;		/* what the peer holds */
	struct buf	 out;
	struct op	*ops;
	size_t		 nops, capops;
	struct push_stats *st;
	EVP_MD_CTX	*md;
};

static int
flush_out(struct push *p, int force)
{
	if (p->out.len == 0 || (!force && p->out.len < OUT_FLUSH))
		return 0;
	if (p->l->write(p->l->ctx, p->out.data, p->out.len) == -1)
		return -1;
	buf_reset(&p->out);
	return 0;
}

static struct op *
add_op(struct push *p, unsigned root, size_t idx, const char *rel)
{
	struct op *o;

	if (p->nops == p->capops) {
		size_t cap = p->capops ? p->capops * 2 : 256;
		struct op *nv = realloc(p->ops, cap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		p->ops = nv;
		p->capops = cap;
	}
	o = &p->ops[p->nops++];
	memset(o, 0, sizeof(*o));
	o->root = root;
	o->idx = idx;
	if (rel && (o->rel = strdup(rel)) == NULL)
		return NULL;
	return o;
}

int
listing_parse(char *line, struct mstat *m, char **rel)
{
	char type, *end;
	unsigned long long size;
	long long mtime;
	unsigned mode, uid, gid;
	int n = 0;

	memset(m, 0, sizeof(*m));
	if (sscanf(line, "L %c %llu %lld %o %u %u %n", &type, &size, &mtime, &mode, &uid, &gid,
	    &n) != 6 || n == 0 || !mtype_valid(type))
		return -1;
	*rel = line + n;
	if ((end = strpbrk(*rel, " \t")) != NULL || path_unescape(*rel) == -1 ||
	    !rel_path_safe(*rel) || strcmp(*rel, ".") == 0)
		return -1;
	*m = (struct mstat){ .type = (uint8_t)type, .size = size, .mtime_ns = mtime,
	    .mode = mode & 07777, .uid = uid, .gid = gid };
	return 0;
}

int
reply_parse(char *line, struct reply *r)
{
	char *sp, *end;
	unsigned long id;

	memset(r, 0, sizeof(*r));
	r->kind = line;
	if (strncmp(line, "DONE ", 5) == 0)
		return 0;
	if ((sp = strchr(line, ' ')) == NULL)
		return -1;
	*sp = '\0';
	if (strcmp(r->kind, "ERR") && strcmp(r->kind, "RESEND") && strcmp(r->kind, "CONFLICT"))
		return -1;
	errno = 0;
	id = strtoul(sp + 1, &end, 10);
	if (errno || end == sp + 1 || *end != ' ' || id > 1000000)
		return -1;
	r->root = (unsigned)id;
	r->rel = end + 1;
	if ((sp = strchr(r->rel, ' ')) != NULL) {
		*sp = '\0';
		r->detail = sp + 1;
		if (path_unescape(r->detail) == -1)
			return -1;
	}
	return path_unescape(r->rel) == -1 || r->rel[0] == '\0' ? -1 : 0;
}

static int
send_root(struct push *p, unsigned i)
{
	size_t f = frame_begin(&p->out, F_ROOT);

	put_u32(&p->out, i);
	put_bytes(&p->out, p->c->roots[i].dest, strlen(p->c->roots[i].dest));
	frame_end(&p->out, f);
	return 0;
}

/* First contact or --verify: what the peer holds under this root, keyed
 * by rel. */
static int
fetch_listing(struct push *p, unsigned i, struct manifest *rm)
{
	char line[16384];
	size_t f;

	send_root(p, i);
	f = frame_begin(&p->out, F_LIST);
	frame_end(&p->out, f);
	if (flush_out(p, 1) == -1)
		return -1;
	for (;;) {
		struct mstat m;
		char *rel;

		if (p->l->gets(p->l->ctx, line, sizeof(line)) == -1)
			return -1;
		if (strcmp(line, "LEND") == 0)
			return 0;
		if (listing_parse(line, &m, &rel) == -1) {
			snprintf(p->l->err, sizeof(p->l->err), "bad listing line from the peer");
			return -1;
		}
		if (scan_covers(&p->scans[i], rel) && manifest_put(rm, rel, &m, NULL, 0) == NULL)
			return -1;
	}
}

static int
differs_from_listing(const struct mstat *l, const struct mstat *r)
{
	if (l->type != r->type || l->mode != r->mode || l->uid != r->uid || l->gid != r->gid)
		return 1;
	return l->mtime_ns != r->mtime_ns || (l->type != MT_DIR && l->size != r->size);
}

static int
delete_cmp(const void *a, const void *b)
{
	const struct op *x = a, *y = b;

	return strcmp(y->rel, x->rel);	/* children before their directory */
}

/* Decides what moves for root i; appends deletes, then changed entries. */
static int
plan_root(struct push *p, unsigned i, size_t *ndel)
{
	struct scan *sc = &p->scans[i];
	struct manifest rm;
	int listing = !p->m->loaded || (p->flags & PUSH_VERIFY);
	size_t first = p->nops;
	char key[8192];

	manifest_init(&rm);
	if (sc->n == 0)
		return 0;	/* missing root, delete off: nothing to do */
	if (listing && fetch_listing(p, i, &rm) == -1) {
		manifest_free(&rm);
		return -1;
	}
	for (size_t k = 0; k < sc->n; k++) {
		const struct sentry *e = &sc->v[k];
		struct mrec *r;
		int changed;

		scan_key(sc, e->rel, key, sizeof(key));
		if (listing) {
			r = manifest_find(&rm, e->rel);
			changed = r == NULL || differs_from_listing(&e->st, &r->st);
			if (r)
				r->seen = 1;
		} else {
			r = manifest_find(p->m, key);
			changed = r == NULL || !mstat_same(&r->st, &e->st);
			if (r)
				r->seen = 1;
		}
		if (!changed) {
			struct mrec *old = manifest_find(p->m, key);

			/* keep what we know; a listing match becomes the record */
			if (old == NULL || !mstat_same(&old->st, &e->st))
				manifest_put(p->m, key, &e->st, NULL, 0);
			continue;
		}
		if (add_op(p, i, k, NULL) == NULL)
			goto nomem;
	}
	if (p->c->delete) {
		size_t dstart = p->nops;
		struct manifest *from = listing ? &rm : p->m;
		char prefix[8192];
		size_t plen;

		scan_key(sc, sc->top, prefix, sizeof(prefix));
		plen = strlen(prefix);
		for (size_t k = 0; k < from->n; k++) {
			struct mrec *r = &from->v[k];
			const char *rel;

			if (r->gone || r->seen)
				continue;
			if (!listing && sc->partial && !scan_parent_dirty(sc, r->path))
				continue;	/* outside what changed: not looked at */
			if (listing) {
				rel = r->path;
			} else {
				if (strncmp(r->path, prefix, plen) != 0 || (r->path[plen] != '/' &&
				    r->path[plen] != '\0' && strcmp(prefix, "/") != 0))
					continue;
				if (r->path[strlen(sc->base)] == '\0')
					continue;	/* the root itself */
				rel = r->path + strlen(sc->base) + (strcmp(sc->base, "/") != 0);
			}
			if (mirror_excluded(p->c->excludes, p->c->nexcludes, rel, r->st.type == MT_DIR))
				continue;
			if (add_op(p, i, SIZE_MAX, rel) == NULL)
				goto nomem;
		}
		if (p->nops > dstart)
			qsort(p->ops + dstart, p->nops - dstart, sizeof(*p->ops), delete_cmp);
		*ndel += p->nops - dstart;
		/* deletes go first: rotate them before the entries of this root */
		if (dstart > first) {
			size_t nd = p->nops - dstart, ne = dstart - first;
			struct op *tmp = malloc(ne * sizeof(*tmp));

			if (tmp == NULL)
				goto nomem;
			memcpy(tmp, p->ops + first, ne * sizeof(*tmp));
			memmove(p->ops + first, p->ops + dstart, nd * sizeof(*tmp));
			memcpy(p->ops + first + nd, tmp, ne * sizeof(*tmp));
			free(tmp);
		}
	}
	for (size_t k = 0; k < p->m->n; k++)
		p->m->v[k].seen = 0;
	manifest_free(&rm);
	return 0;
nomem:
	manifest_free(&rm);
	snprintf(p->l->err, sizeof(p->l->err), "out of memory");
	return -1;
}

static void
block_hash(struct push *p, const void *data, size_t n, unsigned char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len;

	EVP_DigestInit_ex(p->md, EVP_sha256(), NULL);
	EVP_DigestUpdate(p->md, data, n);
	EVP_DigestFinal_ex(p->md, md, &len);
	memcpy(out, md, BLOCK_HASH);
}

static ssize_t
read_full(int fd, void *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, (char *)b + got, n - got);

		if (k == -1 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* Streams one regular file, whole or as changed blocks against the
 * manifest's hashes. Returns -1 only when the link broke. */
static int
send_file(struct push *p, struct op *o, struct mentry *me, int fd, const struct mrec *old)
{
	static unsigned char data[MBLOCK_SIZE * 4];
	uint64_t size = me->st.size, off = 0;
	int delta = old && old->st.type == MT_FILE && old->nblocks > 0 && size >= DELTA_MIN &&
	    !(p->flags & PUSH_WHOLE);
	uint32_t nblocks = size >= DELTA_MIN ? (uint32_t)((size + MBLOCK_SIZE - 1) / MBLOCK_SIZE) : 0;

	if (nblocks && (o->blocks = malloc((size_t)nblocks * BLOCK_HASH)) == NULL)
		nblocks = 0, delta = 0;
	o->nblocks = nblocks;
	if (delta) {
		me->base_size = old->st.size;
		me->base_mtime_ns = old->st.mtime_ns;
	}
	entry_encode(&p->out, delta ? F_DELTA : F_ENTRY, me);
	while (off < size) {
		size_t want = size - off < sizeof(data) ? (size_t)(size - off) : sizeof(data);
		ssize_t got = read_full(fd, data, want);

		if (got < (ssize_t)want) {	/* shrank meanwhile: pad, resend later */
			memset(data + (got > 0 ? got : 0), 0, want - (size_t)(got > 0 ? got : 0));
			o->stable = 0;
		}
		for (size_t b = 0; b < want; b += MBLOCK_SIZE) {
			size_t bn = want - b < MBLOCK_SIZE ? want - b : MBLOCK_SIZE;
			uint32_t bi = (uint32_t)((off + b) / MBLOCK_SIZE);
			unsigned char h[BLOCK_HASH];

			if (nblocks) {
				block_hash(p, data + b, bn, h);
				memcpy(o->blocks + (size_t)bi * BLOCK_HASH, h, BLOCK_HASH);
			}
			if (delta && bi < old->nblocks &&
			    memcmp(old->blocks + (size_t)bi * BLOCK_HASH, h, BLOCK_HASH) == 0)
				continue;
			size_t f = frame_begin(&p->out, delta ? F_BLOCK : F_DATA);

			if (delta)
				put_u64(&p->out, off + b);
			buf_append(&p->out, data + b, bn);
			frame_end(&p->out, f);
			p->st->bytes += bn;
		}
		off += want;
		if (flush_out(p, 0) == -1)
			return -1;
	}
	size_t f = frame_begin(&p->out, F_EOF);

	frame_end(&p->out, f);
	return 0;
}

static int
send_entry(struct push *p, struct op *o)
{
	struct scan *sc = &p->scans[o->root];
	struct sentry *e = &sc->v[o->idx];
	struct mentry *me = calloc(1, sizeof(*me));
	char key[8192];
	struct buf xa = BUF_INIT;
	int rc = 0, fd = -1;
	unsigned what = (p->c->xattrs ? XA_USER : 0) | (p->c->acls ? XA_ACL : 0);

	if (me == NULL)
		return -1;
	scan_key(sc, e->rel, key, sizeof(key));
	snprintf(me->rel, sizeof(me->rel), "%s", e->rel);
	me->st = e->st;
	o->sent = e->st;
	o->stable = 1;
	if (e->hardlink) {
		me->st.type = MT_HARDLINK;
		snprintf(me->target, sizeof(me->target), "%s", e->target);
	} else if (e->st.type == MT_LINK) {
		snprintf(me->target, sizeof(me->target), "%s", e->target);
	} else if (e->st.type == MT_FILE) {
		struct stat now;

		if ((fd = open(key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
		    fstat(fd, &now) == -1) {
			log_warn("%s: %s (skipped)", key, strerror(errno));
			if (fd >= 0)
				close(fd);
			o->failed = 1;
			p->st->errors++;
			free(me);
			return 0;
		}
		mstat_from_stat(&now, &me->st);
		o->sent = me->st;
	}
	if (what && e->st.type != MT_LINK) {
		xattr_collect(fd, key, what, &xa);
		me->xattrs = xa.data;
		me->xlen = xa.len;
	}
	if (fd >= 0 && !e->hardlink) {
		rc = send_file(p, o, me, fd, manifest_find(p->m, key));
		struct stat after;

		if (fstat(fd, &after) == 0) {
			struct mstat ma;

			mstat_from_stat(&after, &ma);
			if (!mstat_same(&ma, &o->sent))
				o->stable = 0;	/* written while read: sent again next time */
		}
	} else {
		entry_encode(&p->out, F_ENTRY, me);
	}
	if (fd >= 0)
		close(fd);
	p->st->files++;
	buf_free(&xa);
	free(me);
	return rc == -1 ? -1 : flush_out(p, 0);
}

static int
send_delete(struct push *p, const struct op *o)
{
	size_t f = frame_begin(&p->out, F_DELETE);

	put_bytes(&p->out, o->rel, strlen(o->rel));
	frame_end(&p->out, f);
	p->st->deleted++;
	return flush_out(p, 0);
}

static struct op *
find_op(struct push *p, unsigned root, const char *rel)
{
	for (size_t k = 0; k < p->nops; k++) {
		struct op *o = &p->ops[k];
		const char *orel = o->idx == SIZE_MAX ? o->rel : p->scans[o->root].v[o->idx].rel;

		if (o->root == root && strcmp(orel, rel) == 0)
			return o;
	}
	return NULL;
}

/* Sends ops [from, to) and reads the report. */
static int
send_batch(struct push *p, size_t from, size_t to, size_t *resend)
{
	char line[16384];
	unsigned cur = UINT32_MAX;
	size_t f;

	*resend = 0;
	for (size_t k = from; k < to; k++) {
		struct op *o = &p->ops[k];

		if (o->root != cur)
			send_root(p, cur = o->root);
		if ((o->idx == SIZE_MAX ? send_delete(p, o) : send_entry(p, o)) == -1)
			return -1;
	}
	f = frame_begin(&p->out, F_END);
	frame_end(&p->out, f);
	if (flush_out(p, 1) == -1)
		return -1;
	for (;;) {
		struct reply r;
		struct op *o;

		if (p->l->gets(p->l->ctx, line, sizeof(line)) == -1)
			return -1;
		if (reply_parse(line, &r) == -1) {
			snprintf(p->l->err, sizeof(p->l->err), "bad report line from the peer");
			return -1;
		}
		if (strcmp(r.kind, "DONE ") == 0 || strncmp(r.kind, "DONE", 4) == 0)
			return 0;
		o = find_op(p, r.root, r.rel);
		if (strcmp(r.kind, "CONFLICT") == 0) {
			p->st->conflicts++;
			log_warn("peer kept its own change of %s as %s", r.rel, r.detail ? r.detail : "?");
		} else if (strcmp(r.kind, "RESEND") == 0 && o) {
			o->failed = 2;
			(*resend)++;
		} else {
			p->st->errors++;
			if (o)
				o->failed = 1;
			log_warn("peer: %s: %s", r.rel, r.detail ? r.detail : "error");
			snprintf(p->st->msg, sizeof(p->st->msg), "peer: %s: %s", r.rel,
			    r.detail ? r.detail : "error");
		}
	}
}

static void
record(struct push *p)
{
	char key[8192];

	for (size_t k = 0; k < p->nops; k++) {
		struct op *o = &p->ops[k];
		struct scan *sc = &p->scans[o->root];

		if (o->idx == SIZE_MAX) {
			scan_key(sc, o->rel, key, sizeof(key));
			if (!o->failed) {
				/* the directory's whole subtree went with it */
				size_t n = strlen(key);

				for (size_t j = 0; j < p->m->n; j++)
					if (strncmp(p->m->v[j].path, key, n) == 0 &&
					    (p->m->v[j].path[n] == '\0' || p->m->v[j].path[n] == '/'))
						p->m->v[j].gone = 1;
			}
			continue;
		}
		scan_key(sc, sc->v[o->idx].rel, key, sizeof(key));
		if (o->failed || !o->stable)
			manifest_drop(p->m, key);
		else
			manifest_put(p->m, key, &o->sent, o->blocks, o->nblocks);
	}
}

static void
dry_run(struct push *p, const char *peer, FILE *out)
{
	char key[8192];

	for (size_t k = 0; k < p->nops; k++) {
		struct op *o = &p->ops[k];
		struct scan *sc = &p->scans[o->root];

		scan_key(sc, o->idx == SIZE_MAX ? o->rel : sc->v[o->idx].rel, key, sizeof(key));
		fprintf(out, "%s %s %s\n", peer, o->idx == SIZE_MAX ? "delete" : "send", key);
	}
}

static int
guard(struct push *p, size_t ndel)
{
	if (!p->c->delete || (p->flags & PUSH_FORCE))
		return 0;
	if (ndel > (size_t)p->c->max_delete) {
		snprintf(p->st->msg, sizeof(p->st->msg), "refusing to sync: it would delete %zu "
		    "entries on the peer, more than max_delete=%ld; check the sources, then raise "
		    "max_delete or run mirror-sync --force once", ndel, p->c->max_delete);
		return -1;
	}
	for (size_t i = 0; i < p->c->nroots; i++) {
		struct scan *sc = &p->scans[i];

		if (sc->partial)
			continue;	/* a root that did not change */
		if (sc->n == 0 || (sc->n == 1 && sc->v[0].st.type == MT_DIR && ndel > 0)) {
			snprintf(p->st->msg, sizeof(p->st->msg), "refusing to sync with delete: source "
			    "%s is %s; mount or restore it, or run mirror-sync --force once if the "
			    "peer's copy must really go", p->c->roots[i].src, sc->n == 0 ? "missing" :
			    "empty");
			return -1;
		}
	}
	return 0;
}

static void
manifest_file(const struct mirror_conf *c, const char *peer, char *out, size_t n)
{
	snprintf(out, n, "%s/sent-%s.manifest", c->state_dir, peer);
}

static void
keep_load(const struct mirror_conf *c, const char *peer, struct push_keep *k)
{
	char file[8192], why[512];

	if (k->ready)
		return;
	manifest_file(c, peer, file, sizeof(file));
	if (manifest_load(file, &k->m, why, sizeof(why)) == -1) {
		log_warn("%s; comparing with the peer's listing instead", why);
		manifest_init(&k->m);
	}
	k->ready = 1;
	k->saved_ms = clock_ms();
}

int
push_keep_flush(const struct mirror_conf *c, const char *peer, struct push_keep *k)
{
	char file[8192], why[512];

	if (!k->ready || !k->dirty)
		return 0;
	manifest_file(c, peer, file, sizeof(file));
	if (manifest_save(file, &k->m, why, sizeof(why)) == -1) {
		log_warn("%s", why);
		return -1;
	}
	k->dirty = 0;
	k->saved_ms = clock_ms();
	return 0;
}

void
push_keep_free(struct push_keep *k)
{
	manifest_free(&k->m);
	memset(k, 0, sizeof(*k));
}

enum push_result
mirror_push(const struct mirror_conf *c, const char *peer, struct scan *scans, struct mlink *l,
    unsigned flags, FILE *dry_out, struct push_stats *st, struct push_keep *keep)
{
	struct push p = { .c = c, .scans = scans, .l = l, .flags = flags, .st = st };
	struct push_keep local = { 0 }, *k = keep ? keep : &local;
	size_t ndel = 0, resend, f;
	enum push_result res = PUSH_FAILED;

	memset(st, 0, sizeof(*st));
	keep_load(c, peer, k);
	p.m = &k->m;
	if ((p.md = EVP_MD_CTX_new()) == NULL)
		goto out;
	f = frame_begin(&p.out, F_HELLO);
	put_u32(&p.out, MIRROR_PROTO);
	put_bytes(&p.out, c->self, strlen(c->self));
	put_u32(&p.out, (c->delete ? HELLO_DELETE : 0) | (c->xattrs ? HELLO_XATTRS : 0) |
	    (c->acls ? HELLO_ACLS : 0));
	frame_end(&p.out, f);
	for (unsigned i = 0; i < c->nroots; i++)
		if (plan_root(&p, i, &ndel) == -1) {
			snprintf(st->msg, sizeof(st->msg), "%s", l->err[0] ? l->err : "link failed");
			goto out;
		}
	if (guard(&p, ndel) == -1) {
		log_err("%s: %s", peer, st->msg);
		res = PUSH_REFUSED;
		goto out;
	}
	if (flags & PUSH_DRY_RUN) {
		dry_run(&p, peer, dry_out);
		res = PUSH_OK;
		goto out;
	}
	if (send_batch(&p, 0, p.nops, &resend) == -1) {
		snprintf(st->msg, sizeof(st->msg), "%s", l->err[0] ? l->err : "link failed");
		goto out;
	}
	if (resend > 0) {
		/* the peer's base of a delta was not what we sent it: whole files */
		size_t start = p.nops;

		for (size_t j = 0; j < start; j++)
			if (p.ops[j].failed == 2) {
				struct op *o = add_op(&p, p.ops[j].root, p.ops[j].idx, NULL);

				if (o == NULL)
					goto out;
				p.ops[j].failed = 1;
			}
		p.flags |= PUSH_WHOLE;
		st->resent = p.nops - start;
		if (send_batch(&p, start, p.nops, &resend) == -1)
			goto out;
	}
	record(&p);
	if (p.nops > 0 || !p.m->loaded || (flags & PUSH_VERIFY))
		k->dirty = 1;
	p.m->loaded = 1;
	if ((keep == NULL || clock_ms() - k->saved_ms >= PUSH_SAVE_MS) &&
	    push_keep_flush(c, peer, k) == -1) {
		snprintf(st->msg, sizeof(st->msg), "could not save the manifest of %s", peer);
		goto out;
	}
	res = st->errors ? PUSH_PARTIAL : PUSH_OK;
out:
	for (size_t j = 0; j < p.nops; j++) {
		free(p.ops[j].rel);
		free(p.ops[j].blocks);
	}
	free(p.ops);
	buf_free(&p.out);
	if (keep == NULL)
		push_keep_free(&local);
	EVP_MD_CTX_free(p.md);
	return res;
}
