/* mirror's parsers (paths, patterns, excludes, relative paths, escapes,
 * listing and report lines, manifests incl. damaged ones) and the stream
 * end to end: mirror_push talking to mirror_serve through pipes, in a
 * forked child, over a tree with every kind of entry. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../helpers/mirror/beneath.h"
#include "../../helpers/mirror/entry.h"
#include "../../helpers/mirror/frame.h"
#include "../../helpers/mirror/manifest.h"
#include "../../helpers/mirror/mconf.h"
#include "../../helpers/mirror/push.h"
#include "../../helpers/mirror/scan.h"
#include "../../helpers/mirror/serve.h"
#include "check_main.h"

static char tmp[64];

static void
setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test-mirror-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	ck_assert_int_eq(nftw(tmp, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

START_TEST(paths)
{
	struct mroot *r;
	size_t n;
	char why[256];

	ck_assert_int_eq(mirror_paths_parse("/srv/www/ /etc/passwd /a/b=/c /my\\ site/", &r, &n,
	    why, sizeof(why)), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(r[0].src, "/srv/www");
	ck_assert_str_eq(r[0].dest, "/srv/www");
	ck_assert_int_eq(r[0].contents, 1);
	ck_assert_str_eq(r[1].src, "/etc/passwd");
	ck_assert_str_eq(r[1].dest, "/etc");
	ck_assert_int_eq(r[1].contents, 0);
	ck_assert_str_eq(r[2].dest, "/c");
	ck_assert_str_eq(r[3].src, "/my site");
	mirror_roots_free(r, n);
	ck_assert_int_eq(mirror_paths_parse("/top", &r, &n, why, sizeof(why)), 0);
	ck_assert_str_eq(r[0].dest, "/");
	mirror_roots_free(r, n);
	static const char *bad[] = { "", "   ", "relative/", "/a/../b", "/a/./b", "/a//b", "/",
	    "/a /a", "/a=rel", "/a\\", "/a\x01b", NULL };
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(mirror_paths_parse(bad[i], &r, &n, why, sizeof(why)) == -1,
		    "accepted \"%s\"", bad[i]);
}
END_TEST

START_TEST(excludes)
{
	char **w;
	size_t n;
	char why[128];

	ck_assert_int_eq(conf_words_parse("*.swp cache/ /top/x a\\ b", &w, &n, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert(mirror_excluded(w, n, "deep/dir/file.swp", 0));
	ck_assert(mirror_excluded(w, n, "x/cache", 1));
	ck_assert(!mirror_excluded(w, n, "x/cache", 0));	/* a file named cache */
	ck_assert(mirror_excluded(w, n, "top/x", 0));
	ck_assert(!mirror_excluded(w, n, "other/top/x", 0));
	ck_assert(mirror_excluded(w, n, "d/a b", 0));
	ck_assert(!mirror_excluded(w, n, "file.txt", 0));
	conf_words_free(w, n);
}
END_TEST

START_TEST(rel_paths_and_escapes)
{
	static const char *ok[] = { ".", "a", "a/b", "..a", "a/.b", "a b/c\nd", NULL };
	static const char *bad[] = { "", "/a", "a/", "a//b", "..", "a/..", "../a", "a/./b", NULL };
	struct buf b = BUF_INIT;
	char s[64];

	for (int i = 0; ok[i]; i++)
		ck_assert_msg(rel_path_safe(ok[i]), "refused \"%s\"", ok[i]);
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(!rel_path_safe(bad[i]), "accepted \"%s\"", bad[i]);
	path_escape(&b, "a b\n%c\x7f", 7);
	ck_assert_str_eq(buf_str(&b), "a%20b%0A%25c%7F");
	snprintf(s, sizeof(s), "%s", buf_str(&b));
	ck_assert_int_eq(path_unescape(s), 0);
	ck_assert_str_eq(s, "a b\n%c\x7f");
	buf_free(&b);
	snprintf(s, sizeof(s), "a%%00b");
	ck_assert_int_eq(path_unescape(s), -1);		/* an escaped NUL */
	snprintf(s, sizeof(s), "a%%4");
	ck_assert_int_eq(path_unescape(s), -1);
	snprintf(s, sizeof(s), "a%%zz");
	ck_assert_int_eq(path_unescape(s), -1);
}
END_TEST

START_TEST(lines)
{
	char l[256];
	struct mstat m;
	struct reply r;
	char *rel;

	snprintf(l, sizeof(l), "L f 5 1700000000000000001 644 0 42 dir/a%%20b");
	ck_assert_int_eq(listing_parse(l, &m, &rel), 0);
	ck_assert_str_eq(rel, "dir/a b");
	ck_assert_uint_eq(m.gid, 42);
	ck_assert_int_eq(m.mtime_ns, 1700000000000000001LL);
	static const char *bad[] = { "L z 5 1 644 0 0 a", "L f 5 1 644 0 0 ../x",
	    "L f 5 1 644 0 0 /etc", "L f x 1 644 0 0 a", "L f 5 1 644 0 0 a b", "X", "", NULL };
	for (int i = 0; bad[i]; i++) {
		snprintf(l, sizeof(l), "%s", bad[i]);
		ck_assert_msg(listing_parse(l, &m, &rel) == -1, "accepted \"%s\"", bad[i]);
	}
	snprintf(l, sizeof(l), "CONFLICT 3 a%%0Ab /conflicts/a%%0Ab");
	ck_assert_int_eq(reply_parse(l, &r), 0);
	ck_assert_uint_eq(r.root, 3);
	ck_assert_str_eq(r.rel, "a\nb");
	ck_assert_str_eq(r.detail, "/conflicts/a\nb");
	snprintf(l, sizeof(l), "DONE ok 1 conflicts 0 errors 0");
	ck_assert_int_eq(reply_parse(l, &r), 0);
	static const char *badr[] = { "ERR", "ERR x a", "HACK 0 a", "ERR 0 ", "ERR 99999999 a",
	    "RESEND 0 a%00", NULL };
	for (int i = 0; badr[i]; i++) {
		snprintf(l, sizeof(l), "%s", badr[i]);
		ck_assert_msg(reply_parse(l, &r) == -1, "accepted \"%s\"", badr[i]);
	}
}
END_TEST

START_TEST(manifests)
{
	struct manifest m, back;
	struct mstat st = { .type = MT_FILE, .mode = 0640, .size = 3, .mtime_ns = 5, .ino = 7 };
	unsigned char blocks[2 * BLOCK_HASH];
	char file[128], why[256];
	int fd;

	memset(blocks, 0xab, sizeof(blocks));
	manifest_init(&m);
	for (int i = 0; i < 3000; i++) {
		char p[32];

		snprintf(p, sizeof(p), "/p/%d", i);
		ck_assert_ptr_nonnull(manifest_put(&m, p, &st, i == 7 ? blocks : NULL, i == 7 ? 2 : 0));
	}
	manifest_drop(&m, "/p/5");
	snprintf(file, sizeof(file), "%s/m", tmp);
	ck_assert_int_eq(manifest_save(file, &m, why, sizeof(why)), 0);
	ck_assert_int_eq(manifest_load(file, &back, why, sizeof(why)), 0);
	ck_assert_int_eq(back.loaded, 1);
	ck_assert_uint_eq(back.n, 2999);
	ck_assert_ptr_null(manifest_find(&back, "/p/5"));
	ck_assert_uint_eq(manifest_find(&back, "/p/7")->nblocks, 2);
	ck_assert(mstat_same(&manifest_find(&back, "/p/2999")->st, &st));
	manifest_free(&back);
	/* cut short: refused, never half-read */
	ck_assert_int_eq(truncate(file, 200), 0);
	ck_assert_int_eq(manifest_load(file, &back, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "truncated") ? why : strstr(why, "damaged"));
	/* missing: an empty first contact */
	snprintf(file, sizeof(file), "%s/none", tmp);
	ck_assert_int_eq(manifest_load(file, &back, why, sizeof(why)), 0);
	ck_assert_int_eq(back.loaded, 0);
	manifest_free(&back);
	snprintf(file, sizeof(file), "%s/junk", tmp);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, "hello", 5), 5);
	close(fd);
	ck_assert_int_eq(manifest_load(file, &back, why, sizeof(why)), -1);
	manifest_free(&m);
}
END_TEST

/* A link over two pipes to a forked mirror_serve. */
struct pipes {
	int	 to, from;
	char	 buf[65536];
	size_t	 off, len;
};

static int
p_write(void *ctx, const void *p, size_t n)
{
	struct pipes *pp = ctx;

	while (n > 0) {
		ssize_t k = write(pp->to, p, n);

		if (k <= 0)
			return -1;
		p = (const char *)p + k;
		n -= (size_t)k;
	}
	return 0;
}

static int
p_gets(void *ctx, char *line, size_t max)
{
	struct pipes *pp = ctx;
	size_t used = 0;

	for (;;) {
		while (pp->off < pp->len) {
			char c = pp->buf[pp->off++];

			if (c == '\n') {
				line[used] = '\0';
				return 0;
			}
			if (used + 1 < max)
				line[used++] = c;
		}
		ssize_t k = read(pp->from, pp->buf, sizeof(pp->buf));

		if (k <= 0)
			return -1;
		pp->off = 0;
		pp->len = (size_t)k;
	}
}

static enum push_result
push_once(struct mirror_conf *c, const char *rstate, struct push_stats *ps)
{
	int in[2], out[2], status;
	struct pipes pp = { 0 };
	struct mlink l = { p_write, p_gets, &pp, "" };
	struct scan sc;
	char why[256];
	enum push_result r;
	pid_t pid;

	ck_assert_int_eq(scan_root(&c->roots[0], c->excludes, c->nexcludes, &sc, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	if ((pid = fork()) == 0) {
		struct serve_opts o = { rstate, NULL, tmp, 0 };

		close(in[1]);
		close(out[0]);
		_exit(mirror_serve(&o, in[0], out[1]) == 0 ? 0 : 1);
	}
	close(in[0]);
	close(out[1]);
	pp.to = in[1];
	pp.from = out[0];
	r = mirror_push(c, "b", &sc, &l, 0, stdout, ps, NULL);
	close(in[1]);
	close(out[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
	scan_free(&sc);
	return r;
}

static void
put(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/src/%s", tmp, rel);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

static int
same(const char *rel)
{
	char a[256], b[256];
	struct buf ca = BUF_INIT, cb = BUF_INIT;
	int eq;

	snprintf(a, sizeof(a), "%s/src/%s", tmp, rel);
	snprintf(b, sizeof(b), "%s/dst/%s", tmp, rel);
	struct stat sa, sb;

	if (lstat(a, &sa) == -1 || lstat(b, &sb) == -1 || sa.st_mode != sb.st_mode ||
	    sa.st_size != sb.st_size || sa.st_mtim.tv_sec != sb.st_mtim.tv_sec ||
	    sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec)
		return 0;
	if (!S_ISREG(sa.st_mode))
		return 1;
	eq = buf_read_file(&ca, a, 64 << 20) == 0 && buf_read_file(&cb, b, 64 << 20) == 0 &&
	    ca.len == cb.len && (ca.len == 0 || memcmp(ca.data, cb.data, ca.len) == 0);
	buf_free(&ca);
	buf_free(&cb);
	return eq;
}

START_TEST(stream_end_to_end)
{
	struct mirror_conf c = { 0 };
	struct push_stats ps;
	char spec[200], p[256], q[256], why[256], state[128], rstate[128], self[] = "a",
	    none[] = "";

	snprintf(state, sizeof(state), "%s/state-a", tmp);
	snprintf(rstate, sizeof(rstate), "%s/state-b", tmp);
	ck_assert_int_eq(mkdir(state, 0700), 0);
	ck_assert_int_eq(mkdir(rstate, 0700), 0);
	snprintf(p, sizeof(p), "%s/src", tmp);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/src/sub", tmp);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	put("plain", "plain\n");
	put("sub/new\nline", "nl\n");
	put("sub/x.swp", "excluded\n");
	snprintf(p, sizeof(p), "%s/src/plain", tmp);
	snprintf(q, sizeof(q), "%s/src/sub/hard", tmp);
	ck_assert_int_eq(link(p, q), 0);
	snprintf(q, sizeof(q), "%s/src/link", tmp);
	ck_assert_int_eq(symlink("/etc/passwd", q), 0);
	snprintf(q, sizeof(q), "%s/src/fifo", tmp);
	ck_assert_int_eq(mkfifo(q, 0640), 0);
	snprintf(p, sizeof(p), "%s/src/plain", tmp);
	ck_assert_int_eq(setxattr(p, "user.origin", "node a", 6, 0), 0);
	snprintf(p, sizeof(p), "%s/src/big", tmp);
	{
		FILE *f = fopen(p, "w");

		for (int i = 0; i < (3 << 20) / 16; i++)
			fprintf(f, "%015d\n", i);
		fclose(f);
	}
	snprintf(spec, sizeof(spec), "%s/src/=%s/dst", tmp, tmp);
	ck_assert_int_eq(mirror_paths_parse(spec, &c.roots, &c.nroots, why, sizeof(why)), 0);
	ck_assert_int_eq(conf_words_parse("*.swp", &c.excludes, &c.nexcludes, why,
	    sizeof(why)), 0);
	c.self = self;
	c.state_dir = state;
	c.conflict_dir = none;
	c.delete = 1;
	c.max_delete = 100;
	c.xattrs = 1;
	ck_assert_int_eq(push_once(&c, rstate, &ps), PUSH_OK);
	ck_assert(same("plain") && same("sub/new\nline") && same("link") && same("fifo") &&
	    same("big") && same("sub/hard"));
	{
		char v[16] = "";

		snprintf(p, sizeof(p), "%s/dst/plain", tmp);
		ck_assert_int_eq(getxattr(p, "user.origin", v, sizeof(v)), 6);
		ck_assert_int_eq(memcmp(v, "node a", 6), 0);
	}
	snprintf(p, sizeof(p), "%s/dst/sub/x.swp", tmp);
	ck_assert_int_eq(access(p, F_OK), -1);
	/* unchanged: nothing moves */
	ck_assert_int_eq(push_once(&c, rstate, &ps), PUSH_OK);
	ck_assert_uint_eq(ps.files, 0);
	/* one block of the big file, a delete, a changed file */
	snprintf(p, sizeof(p), "%s/src/big", tmp);
	{
		int fd = open(p, O_WRONLY);

		ck_assert_int_eq(pwrite(fd, "CHANGED", 7, 1 << 20), 7);
		close(fd);
	}
	snprintf(p, sizeof(p), "%s/src/link", tmp);
	unlink(p);
	put("plain", "plain, longer now\n");
	ck_assert_int_eq(push_once(&c, rstate, &ps), PUSH_OK);
	ck_assert(same("big") && same("plain") && same("sub/hard"));
	ck_assert_uint_le(ps.bytes, 2 * MBLOCK_SIZE + 64);
	ck_assert_uint_eq(ps.deleted, 1);
	snprintf(p, sizeof(p), "%s/dst/link", tmp);
	ck_assert_int_eq(access(p, F_OK), -1);
	/* a local change on the receiving side is kept, not overwritten */
	snprintf(p, sizeof(p), "%s/dst/plain", tmp);
	{
		FILE *f = fopen(p, "w");

		fputs("changed on b\n", f);
		fclose(f);
	}
	put("plain", "plain, third version\n");
	ck_assert_int_eq(push_once(&c, rstate, &ps), PUSH_OK);
	ck_assert_uint_eq(ps.conflicts, 2);	/* plain and its hard link sub/hard */
	ck_assert(same("plain"));
	mirror_roots_free(c.roots, c.nroots);
	conf_words_free(c.excludes, c.nexcludes);
}
END_TEST

/* A stream's opening: hello from "x" (with flags), then a destination root. */
static void
stream_open_flags(struct buf *b, const char *root, unsigned flags)
{
	size_t f = frame_begin(b, F_HELLO);

	put_u32(b, MIRROR_PROTO);
	put_bytes(b, "x", 1);
	put_u32(b, flags);
	frame_end(b, f);
	f = frame_begin(b, F_ROOT);
	put_u32(b, 0);
	put_bytes(b, root, strlen(root));
	frame_end(b, f);
}

static void
stream_open(struct buf *b, const char *root)
{
	stream_open_flags(b, root, 0);
}

/* Feeds a whole stream to mirror_serve with opts; returns what it
 * returned, and its report in *rep when asked. */
static int
serve_with(const struct serve_opts *o, const struct buf *b, struct buf *rep)
{
	char rf[128];
	int in[2], out, rc;

	snprintf(rf, sizeof(rf), "%s/report", tmp);
	ck_assert_int_ge(out = open(rf, O_RDWR | O_CREAT | O_TRUNC, 0600), 0);
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(write(in[1], b->data, b->len), (ssize_t)b->len);
	close(in[1]);
	rc = mirror_serve(o, in[0], out);
	close(in[0]);
	close(out);
	if (rep)
		ck_assert_int_eq(buf_read_file(rep, rf, 1 << 20), 0);
	unlink(rf);
	return rc;
}

static int
serve_stream(const struct buf *b)
{
	struct serve_opts o = { tmp, NULL, tmp, 0 };

	return serve_with(&o, b, NULL);
}

/* A stream that plants a symlink to a directory outside the root and then
 * writes "through" it: the walk never follows it. */
START_TEST(no_write_through_symlinks)
{
	struct buf b = BUF_INIT;
	struct mentry e;
	char root[128], outside[128], victim[160];
	size_t f;

	snprintf(root, sizeof(root), "%s/root", tmp);
	snprintf(outside, sizeof(outside), "%s/outside", tmp);
	snprintf(victim, sizeof(victim), "%s/evil", outside);
	ck_assert_int_eq(mkdir(outside, 0700), 0);
	stream_open(&b, root);
	memset(&e, 0, sizeof(e));
	snprintf(e.rel, sizeof(e.rel), "l");
	e.st.type = MT_LINK;
	snprintf(e.target, sizeof(e.target), "%s", outside);
	entry_encode(&b, F_ENTRY, &e);
	snprintf(e.rel, sizeof(e.rel), "l/evil");
	e.st.type = MT_FILE;
	e.st.mode = 0644;
	e.st.size = 4;
	e.target[0] = '\0';
	entry_encode(&b, F_ENTRY, &e);
	f = frame_begin(&b, F_DATA);
	buf_append(&b, "evil", 4);
	frame_end(&b, f);
	f = frame_begin(&b, F_EOF);
	frame_end(&b, f);
	f = frame_begin(&b, F_END);
	frame_end(&b, f);
	serve_stream(&b);
	ck_assert_int_eq(access(victim, F_OK), -1);
	buf_free(&b);
}
END_TEST

START_TEST(hostile_root)
{
	/* a stream naming a destination outside --only is cut off */
	struct buf b = BUF_INIT;

	stream_open(&b, "/etc");
	ck_assert_int_eq(serve_stream(&b), -1);
	buf_free(&b);
}
END_TEST

/* The one way the receiver reaches a path: beneath a directory fd, never
 * through a symlink or "..". */
START_TEST(beneath_resolution)
{
	char p[200], leaf[NAME_MAX + 1];
	const char *rest;
	int top, fd;

	snprintf(p, sizeof(p), "%s/a/b", tmp);
	ck_assert_int_eq(mirror_mkdirs(p), 0);
	snprintf(p, sizeof(p), "%s/a/up", tmp);
	ck_assert_int_eq(symlink("..", p), 0);
	snprintf(p, sizeof(p), "%s/a/abs", tmp);
	ck_assert_int_eq(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/a", tmp);
	ck_assert_int_ge(top = open(p, O_RDONLY | O_DIRECTORY), 0);
	ck_assert_int_ge(fd = bn_open(top, "b", O_RDONLY | O_DIRECTORY, 0), 0);
	close(fd);
	ck_assert_int_ge(fd = bn_open(top, ".", O_RDONLY | O_DIRECTORY, 0), 0);
	close(fd);
	static const struct { const char *rel; int err; } bad[] = { { "up", ELOOP },
	    { "up/a", ELOOP }, { "abs", ELOOP }, { "abs/passwd", ELOOP }, { "..", EINVAL },
	    { "b/../..", EINVAL }, { "/etc", EINVAL }, { "", EINVAL }, { "b//c", EINVAL },
	    { "b/", EINVAL }, { NULL, 0 } };
	for (int i = 0; bad[i].rel; i++) {
		errno = 0;
		ck_assert_msg(bn_open(top, bad[i].rel, O_RDONLY, 0) == -1 && errno == bad[i].err,
		    "%s: errno %d", bad[i].rel, errno);
	}
	/* mkdir -p stops at a symlink and makes nothing behind it */
	ck_assert_int_eq(bn_dir(top, "abs/new/deeper", 1, 0700, 1), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_ge(fd = bn_dir(top, "b/c/d", 1, 0700, 1), 0);
	close(fd);
	ck_assert_int_ge(fd = bn_parent(top, "b/c/d/leaf", 0, leaf), 0);
	ck_assert_str_eq(leaf, "leaf");
	close(fd);
	ck_assert_int_eq(bn_parent(top, "up/x", 0, leaf), -1);
	close(top);
	ck_assert(bn_under("/srv/www", "/srv", &rest) && strcmp(rest, "www") == 0);
	ck_assert(bn_under("/srv", "/srv/", &rest) && strcmp(rest, ".") == 0);
	ck_assert(bn_under("/x/y", "/", &rest) && strcmp(rest, "x/y") == 0);
	ck_assert(bn_under("/", "/", &rest) && strcmp(rest, ".") == 0);
	static const char *out[] = { "/srvx", "/sr", "/srv/../etc", "/srv/./a", "/srv//a",
	    "/srv/a/", "srv/a", "/srv/a/..", NULL };
	for (int i = 0; out[i]; i++)
		ck_assert_msg(!bn_under(out[i], "/srv", &rest), "%s under /srv", out[i]);
}
END_TEST

/* Stream builders for the hostile cases below. */
static void
s_root(struct buf *b, uint32_t id, const char *root)
{
	size_t f = frame_begin(b, F_ROOT);

	put_u32(b, id);
	put_bytes(b, root, strlen(root));
	frame_end(b, f);
}

static void
s_entry(struct buf *b, const char *rel, int type, unsigned mode, const char *target,
    const char *data, const void *xattrs, size_t xlen)
{
	struct mentry e;
	size_t f;

	memset(&e, 0, sizeof(e));
	snprintf(e.rel, sizeof(e.rel), "%s", rel);
	e.st.type = (uint8_t)type;
	e.st.mode = mode;
	e.st.mtime_ns = 1700000000000000000LL;
	e.st.size = data ? strlen(data) : 0;
	if (type == MT_CHR)
		e.st.rdev = makedev(1, 3);
	snprintf(e.target, sizeof(e.target), "%s", target ? target : "");
	e.xattrs = xattrs;
	e.xlen = xlen;
	entry_encode(b, F_ENTRY, &e);
	if (type != MT_FILE)
		return;
	if (*data) {
		f = frame_begin(b, F_DATA);
		buf_append(b, data, strlen(data));
		frame_end(b, f);
	}
	f = frame_begin(b, F_EOF);
	frame_end(b, f);
}

static void
s_end(struct buf *b)
{
	frame_end(b, frame_begin(b, F_END));
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* A tree to receive into (only/r), a directory beside it that must stay
 * empty (outside/) and a canary file in it. */
static void
hostile_setup(char *only, char *root, char *outside, char *canary, size_t n)
{
	snprintf(only, n, "%s/only", tmp);
	snprintf(root, n, "%s/only/r", tmp);
	snprintf(outside, n, "%s/outside", tmp);
	snprintf(canary, n, "%s/outside/canary", tmp);
	ck_assert_int_eq(mkdir(only, 0755), 0);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	ck_assert_int_eq(mkdir(outside, 0755), 0);
	write_text(canary, "canary\n", 0644);
}

/* outside/ holds the canary and nothing else, unchanged. */
static void
outside_untouched(const char *outside, const char *canary)
{
	struct buf c = BUF_INIT;
	struct stat st;
	int n = 0;
	DIR *d = opendir(outside);
	struct dirent *de;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(lstat(canary, &st), 0);
	ck_assert_uint_eq(st.st_nlink, 1);
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0644);
	ck_assert_int_eq(buf_read_file(&c, canary, 4096), 0);
	ck_assert_uint_eq(c.len, 7);
	buf_free(&c);
}

/* The reproduction of issue 13: a symlink planted inside --only, then used
 * as the next root, landed a setuid file outside. */
START_TEST(only_symlink_as_root)
{
	char only[128], root[128], outside[128], canary[128], next[160], p[200];
	struct buf b = BUF_INIT, rep = BUF_INIT;
	struct serve_opts o = { tmp, NULL, NULL, 0 };

	hostile_setup(only, root, outside, canary, sizeof(only));
	o.only = only;
	stream_open(&b, root);
	s_entry(&b, "l", MT_LINK, 0777, outside, NULL, NULL, 0);
	s_end(&b);
	snprintf(next, sizeof(next), "%s/l", root);
	s_root(&b, 1, next);
	s_entry(&b, "suid", MT_FILE, 04755, NULL, "#!/bin/sh\n", NULL, 0);
	s_end(&b);
	/* and the same through a symlinked parent below a good root */
	snprintf(next, sizeof(next), "%s/l/deeper", root);
	s_root(&b, 2, next);
	s_end(&b);
	ck_assert_int_eq(serve_with(&o, &b, &rep), -1);
	/* the sender reads why before it finds the stream cut */
	ck_assert_msg(strstr(buf_str(&rep), "ERR 1 . destination%20") != NULL &&
	    strstr(buf_str(&rep), "%20is%20reached%20through%20a%20symlink%20inside%20") != NULL,
	    "%s", buf_str(&rep));
	outside_untouched(outside, canary);
	snprintf(p, sizeof(p), "%s/l", root);
	ck_assert_int_eq(access(p, F_OK), 0);	/* the link itself is harmless */
	buf_free(&b);
	buf_free(&rep);
}
END_TEST

/* Names that climb out: "..", absolute names, a hard link to a file
 * outside, through a link or with "..". Each one is refused and nothing
 * outside changes. */
START_TEST(only_names_that_climb)
{
	char only[128], root[128], outside[128], canary[128], r[200];
	struct serve_opts o = { tmp, NULL, NULL, 0 };
	struct buf b = BUF_INIT, rep = BUF_INIT;
	static const char *roots[] = { "/../outside", "/r/../../outside", "/./r/..", "//r", "/r/",
	    "/r/.", NULL };

	hostile_setup(only, root, outside, canary, sizeof(only));
	o.only = only;
	for (int i = 0; roots[i]; i++) {
		snprintf(r, sizeof(r), "%s%s", only, roots[i]);
		buf_reset(&b);
		stream_open(&b, r);
		s_entry(&b, "x", MT_FILE, 0644, NULL, "x\n", NULL, 0);
		s_end(&b);
		ck_assert_msg(serve_with(&o, &b, NULL) == -1, "root %s accepted", r);
	}
	static const char *rels[] = { "../x", "/x", "a/../../x", NULL };
	for (int i = 0; rels[i]; i++) {
		buf_reset(&b);
		stream_open(&b, root);
		s_entry(&b, rels[i], MT_FILE, 0644, NULL, "x\n", NULL, 0);
		s_end(&b);
		ck_assert_msg(serve_with(&o, &b, NULL) == -1, "name %s accepted", rels[i]);
	}
	buf_reset(&b);
	stream_open(&b, root);
	s_entry(&b, "h", MT_HARDLINK, 0644, "../../outside/canary", NULL, NULL, 0);
	s_end(&b);
	ck_assert_int_eq(serve_with(&o, &b, NULL), -1);
	/* a link to outside/ planted, then a hard link through it */
	buf_reset(&b);
	stream_open(&b, root);
	s_entry(&b, "l", MT_LINK, 0777, outside, NULL, NULL, 0);
	s_entry(&b, "h", MT_HARDLINK, 0644, "l/canary", NULL, NULL, 0);
	s_entry(&b, "l/planted", MT_FILE, 0644, NULL, "x\n", NULL, 0);
	s_entry(&b, "l/d", MT_DIR, 0755, NULL, NULL, NULL, 0);
	s_end(&b);
	ck_assert_int_eq(serve_with(&o, &b, &rep), 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&rep), "ERR 0 h "));
	ck_assert_ptr_nonnull(strstr(buf_str(&rep), "ERR 0 l/planted "));
	ck_assert_ptr_nonnull(strstr(buf_str(&rep), "ERR 0 l/d "));
	snprintf(r, sizeof(r), "%s/h", root);
	ck_assert_int_eq(access(r, F_OK), -1);
	outside_untouched(outside, canary);
	buf_free(&b);
	buf_free(&rep);
}
END_TEST

/* A file capability: CAP_NET_RAW permitted and effective (VFS_CAP_REVISION_2). */
static size_t
cap_xattr(struct buf *x)
{
	static const unsigned char cap[20] = { 0x01, 0, 0, 0x02, 0, 0x20, 0, 0 };

	put_u32(x, 1);
	put_bytes(x, "security.capability", 19);
	put_bytes(x, cap, sizeof(cap));
	return x->len;
}

/* Inside --only, no setuid/setgid file, device node or security.* xattr
 * lands unless --allow-special; the entry it would replace stays as it
 * was, and the sender is told why. */
START_TEST(only_refuses_privilege)
{
	char only[128], root[128], outside[128], canary[128], p[200];
	struct serve_opts o = { tmp, NULL, NULL, 0 };
	struct buf b = BUF_INIT, rep = BUF_INIT, x = BUF_INIT, c = BUF_INIT;
	struct stat st;

	hostile_setup(only, root, outside, canary, sizeof(only));
	o.only = only;
	snprintf(p, sizeof(p), "%s/keep", root);
	write_text(p, "old\n", 0755);
	cap_xattr(&x);
	stream_open_flags(&b, root, HELLO_XATTRS);
	s_entry(&b, "keep", MT_FILE, 04755, NULL, "new\n", NULL, 0);
	s_entry(&b, "sgid", MT_FILE, 02755, NULL, "g\n", NULL, 0);
	s_entry(&b, "null", MT_CHR, 0666, NULL, NULL, NULL, 0);
	s_entry(&b, "cap", MT_FILE, 0755, NULL, "c\n", x.data, x.len);
	s_entry(&b, "shared", MT_DIR, 02775, NULL, NULL, NULL, 0);	/* setgid dir: fine */
	s_entry(&b, "plain", MT_FILE, 0644, NULL, "p\n", NULL, 0);
	s_end(&b);
	ck_assert_int_eq(serve_with(&o, &b, &rep), 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&rep), "ERR 0 keep setuid"));
	ck_assert_ptr_nonnull(strstr(buf_str(&rep), "ERR 0 sgid setuid"));
	ck_assert_ptr_nonnull(strstr(buf_str(&rep), "ERR 0 null device"));
	ck_assert_ptr_nonnull(strstr(buf_str(&rep), "ERR 0 cap extended%20attribute%20security.capability"));
	ck_assert_msg(strstr(buf_str(&rep), "DONE ok 2 conflicts 0 errors 4") != NULL, "%s", buf_str(&rep));
	ck_assert_int_eq(buf_read_file(&c, p, 64), 0);
	ck_assert_str_eq(buf_str(&c), "old\n");		/* not moved aside, not replaced */
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	snprintf(p, sizeof(p), "%s/sgid", root);
	ck_assert_int_eq(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/null", root);
	ck_assert_int_eq(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/cap", root);
	ck_assert_int_eq(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/shared", root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 02775);
	snprintf(p, sizeof(p), "%s/plain", root);
	ck_assert_int_eq(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/conflicts", tmp);
	ck_assert_int_eq(access(p, F_OK), -1);
	outside_untouched(outside, canary);
	/* allowed explicitly, or without --only (a key that is root anyway) */
	for (int allow = 0; allow < 2; allow++) {
		if (allow)
			o.allow_special = 1;
		else
			o.only = NULL;
		buf_reset(&rep);
		ck_assert_int_eq(serve_with(&o, &b, &rep), 0);
		ck_assert_msg(strstr(buf_str(&rep), "errors 0") != NULL, "%s", buf_str(&rep));
		snprintf(p, sizeof(p), "%s/keep", root);
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, 04755);
		snprintf(p, sizeof(p), "%s/null", root);
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert(S_ISCHR(st.st_mode));
		snprintf(p, sizeof(p), "%s/cap", root);
		ck_assert_int_eq(getxattr(p, "security.capability", NULL, 0), 20);
		unlink(p);
		snprintf(p, sizeof(p), "%s/null", root);
		unlink(p);
		snprintf(p, sizeof(p), "%s/keep", root);
		unlink(p);
	}
	buf_free(&b);
	buf_free(&rep);
	buf_free(&x);
	buf_free(&c);
}
END_TEST

/* A batch cut by a refused root lands none of its files: the tree is as
 * it was and no temporary is left. */
START_TEST(refused_batch_lands_nothing)
{
	char only[128], root[128], outside[128], canary[128], p[200], next[160];
	struct serve_opts o = { tmp, NULL, NULL, 0 };
	struct buf b = BUF_INIT;
	DIR *d;
	struct dirent *de;
	int n = 0;

	hostile_setup(only, root, outside, canary, sizeof(only));
	o.only = only;
	snprintf(p, sizeof(p), "%s/l", root);
	ck_assert_int_eq(symlink(outside, p), 0);
	stream_open(&b, root);
	s_entry(&b, "first", MT_FILE, 0644, NULL, "would land\n", NULL, 0);
	snprintf(next, sizeof(next), "%s/l", root);
	s_root(&b, 1, next);
	s_entry(&b, "second", MT_FILE, 0644, NULL, "x\n", NULL, 0);
	s_end(&b);
	ck_assert_int_eq(serve_with(&o, &b, NULL), -1);
	ck_assert_ptr_nonnull(d = opendir(root));
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	ck_assert_int_eq(n, 1);		/* l, as before */
	outside_untouched(outside, canary);
	buf_free(&b);
}
END_TEST

/* Crash points (serve_test_hook): what a kill -9 there leaves. */
static char hook_report[160];
static int hook_synced, hook_synced_before_done;

static void
kill_at_copy(const char *point)
{
	if (strcmp(point, "conflict-copied") == 0)
		raise(SIGKILL);
}

static void
note_synced(const char *point)
{
	struct stat st;

	if (strcmp(point, "synced") != 0)
		return;
	hook_synced++;
	if (stat(hook_report, &st) == 0 && st.st_size == 0)
		hook_synced_before_done++;
}

/* A local change kept as a conflict copy on another file system (tmpfs):
 * killed once the copy is durable, the original is still in place and the
 * copy whole; the next stream lands the new file. */
START_TEST(conflict_copy_crash)
{
	char only[128], root[128], outside[128], canary[128], p[200], cdir[64], cmd[128];
	struct serve_opts o = { tmp, NULL, NULL, 0 };
	struct buf b = BUF_INIT, c = BUF_INIT, rep = BUF_INIT;
	struct stat a, z;
	int status;
	pid_t pid;
	FILE *f;

	hostile_setup(only, root, outside, canary, sizeof(only));
	snprintf(cdir, sizeof(cdir), "/dev/shm/test-mirror-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(cdir));
	ck_assert_int_eq(stat(cdir, &a), 0);
	ck_assert_int_eq(stat(root, &z), 0);
	if (a.st_dev == z.st_dev) {
		rmdir(cdir);
		return;		/* no second file system here */
	}
	o.only = only;
	o.conflict_dir = cdir;
	snprintf(p, sizeof(p), "%s/x", root);
	write_text(p, "changed here\n", 0640);
	stream_open(&b, root);
	s_entry(&b, "x", MT_FILE, 0644, NULL, "from the sender\n", NULL, 0);
	s_end(&b);
	if ((pid = fork()) == 0) {
		serve_test_hook = kill_at_copy;
		_exit(serve_with(&o, &b, NULL) == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(buf_read_file(&c, p, 64), 0);
	ck_assert_str_eq(buf_str(&c), "changed here\n");	/* still in place */
	snprintf(cmd, sizeof(cmd), "find %s -name x -type f | xargs cat", cdir);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	buf_reset(&c);
	ck_assert_ptr_nonnull(fgets(p, sizeof(p), f));
	ck_assert_str_eq(p, "changed here\n");		/* and whole in the copy */
	pclose(f);
	ck_assert_int_eq(serve_with(&o, &b, &rep), 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&rep), "CONFLICT 0 x "));
	snprintf(p, sizeof(p), "%s/x", root);
	buf_reset(&c);
	ck_assert_int_eq(buf_read_file(&c, p, 64), 0);
	ck_assert_str_eq(buf_str(&c), "from the sender\n");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", cdir);
	ck_assert_int_eq(system(cmd), 0);
	buf_free(&b);
	buf_free(&c);
	buf_free(&rep);
}
END_TEST

/* A batch of deletes only is on disk before its DONE (the old receiver
 * synced only when it had renamed something). */
START_TEST(deletes_durable_before_done)
{
	char only[128], root[128], outside[128], canary[128], p[200];
	struct serve_opts o = { tmp, NULL, NULL, 0 };
	struct buf b = BUF_INIT, rep = BUF_INIT;
	size_t f;

	hostile_setup(only, root, outside, canary, sizeof(only));
	o.only = only;
	stream_open(&b, root);
	s_entry(&b, "gone", MT_FILE, 0644, NULL, "soon gone\n", NULL, 0);
	s_end(&b);
	ck_assert_int_eq(serve_with(&o, &b, NULL), 0);
	buf_reset(&b);
	stream_open(&b, root);
	f = frame_begin(&b, F_DELETE);
	put_bytes(&b, "gone", 4);
	frame_end(&b, f);
	s_end(&b);
	snprintf(hook_report, sizeof(hook_report), "%s/report", tmp);
	hook_synced = hook_synced_before_done = 0;
	serve_test_hook = note_synced;
	ck_assert_int_eq(serve_with(&o, &b, &rep), 0);
	serve_test_hook = NULL;
	ck_assert_ptr_nonnull(strstr(buf_str(&rep), "DONE ok 1 conflicts 0 errors 0"));
	snprintf(p, sizeof(p), "%s/gone", root);
	ck_assert_int_eq(access(p, F_OK), -1);
	ck_assert_int_ge(hook_synced_before_done, 1);
	buf_free(&b);
	buf_free(&rep);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("mirror");
	TCase *t = tcase_create("mirror");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, paths);
	tcase_add_test(t, excludes);
	tcase_add_test(t, rel_paths_and_escapes);
	tcase_add_test(t, lines);
	tcase_add_test(t, manifests);
	tcase_add_test(t, stream_end_to_end);
	tcase_add_test(t, hostile_root);
	tcase_add_test(t, no_write_through_symlinks);
	tcase_add_test(t, beneath_resolution);
	tcase_add_test(t, only_symlink_as_root);
	tcase_add_test(t, only_names_that_climb);
	tcase_add_test(t, only_refuses_privilege);
	tcase_add_test(t, refused_batch_lands_nothing);
	tcase_add_test(t, conflict_copy_crash);
	tcase_add_test(t, deletes_durable_before_done);
	suite_add_tcase(s, t);
	return s;
}
