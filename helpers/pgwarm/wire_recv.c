/* The remote end of the archive stream; see wire.h. Every file lands as a
 * temporary, is fsynced, then linked under its final name (link fails on
 * an existing name, so nothing is ever overwritten), and the directory is
 * fsynced before any "OK" leaves. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4.h>

#include "understudy/log.h"
#include "archland.h"
#include "lz4file.h"
#include "wal.h"
#include "wire.h"

struct reader {
	int		 fd;
	unsigned char	 buf[65536];
	size_t		 off, len;
};

struct pending {
	char	 name[64];
	char	 tmp[128];
	int	 fd;
	char	 err[512];
};

static int
rd_fill(struct reader *r)
{
	ssize_t n;

	if (r->off < r->len)
		return 1;
	do
		n = read(r->fd, r->buf, sizeof(r->buf));
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return 0;
	r->off = 0;
	r->len = (size_t)n;
	return 1;
}

static int
rd_exact(struct reader *r, void *dst, size_t n)
{
	unsigned char *p = dst;

	while (n > 0) {
		size_t take;

		if (!rd_fill(r))
			return -1;
		take = r->len - r->off < n ? r->len - r->off : n;
		memcpy(p, r->buf + r->off, take);
		r->off += take;
		p += take;
		n -= take;
	}
	return 0;
}

/* 1: a line; 0: clean EOF before any byte; -1: EOF mid-line or too long. */
static int
rd_line(struct reader *r, char *line, size_t max)
{
	size_t used = 0;

	for (;;) {
		if (!rd_fill(r))
			return used ? -1 : 0;
		while (r->off < r->len) {
			char c = (char)r->buf[r->off++];

			if (c == '\n') {
				line[used] = '\0';
				return 1;
			}
			if (used + 1 >= max)
				return -1;
			line[used++] = c;
		}
	}
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Temporaries of a receiver that was killed: ".pgwarm.<name>.<pid>.tmp". */
static void
sweep_stale(int dirfd)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *dot = strrchr(de->d_name, '.'), *pidp;
		long pid;

		if (strncmp(de->d_name, ".pgwarm.", 8) != 0 || dot == NULL ||
		    strcmp(dot, ".tmp") != 0)
			continue;
		for (pidp = dot; pidp > de->d_name && pidp[-1] != '.'; pidp--)
			;
		pid = strtol(pidp, NULL, 10);
		if (pid > 0 && kill((pid_t)pid, 0) == -1 && errno == ESRCH)
			unlinkat(dirfd, de->d_name, 0);
	}
	closedir(d);
}

/* A refused file gives its disk space back at once. */
static void
refuse(struct pending *p, const char *why)
{
	snprintf(p->err, sizeof(p->err), "%s", why);
	if (p->fd != -1 && ftruncate(p->fd, 0) == -1)
		log_debug("ftruncate %s: %s", p->tmp, strerror(errno));
}

/* Reads one PUT body into p->fd; a failure to store is remembered in p->err
 * but the body is still consumed so the stream stays in step. An LZ4 frame
 * (dec not NULL) is decoded as it arrives, only to be checked: it must end,
 * checksum right, within its bound, or the file is refused before SYNC. */
static int
receive_body(struct reader *r, struct pending *p, uint64_t size, struct lz4file_dec *dec)
{
	char why[256];
	static unsigned char stored[WIRE_CHUNK], raw[WIRE_CHUNK];
	unsigned char hdr[8];

	while (size > 0) {
		uint32_t rawlen, slen;

		if (rd_exact(r, hdr, 8) == -1)
			return -1;
		rawlen = get_u32(hdr);
		slen = get_u32(hdr + 4);
		if (rawlen == 0 || rawlen > WIRE_CHUNK || rawlen > size || slen == 0 ||
		    slen > rawlen || rd_exact(r, stored, slen) == -1)
			return -1;
		if (slen < rawlen && LZ4_decompress_safe((char *)stored, (char *)raw, (int)slen,
		    (int)rawlen) != (int)rawlen)
			return -1;
		if (p->err[0] == '\0' && write_all(p->fd, slen < rawlen ? raw : stored, rawlen))
			snprintf(p->err, sizeof(p->err), "writing %s: %s", p->tmp, strerror(errno));
		if (p->err[0] == '\0' && dec && lz4file_dec_feed(dec, slen < rawlen ? raw : stored,
		    rawlen, why, sizeof(why)) == -1)
			refuse(p, why);
		size -= rawlen;
	}
	if (p->err[0] == '\0' && dec && lz4file_dec_end(dec, NULL, why, sizeof(why)) == -1)
		refuse(p, why);
	/* Start writeback now so the fsync at SYNC finds little left to do. */
	if (p->err[0] == '\0')
		sync_file_range(p->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	return 0;
}

static void
land(int dirfd, struct pending *p, struct buf *reply)
{
	static const char *const said[] = { "new", "same", "replaced" };
	enum archland_result lr;

	if (p->err[0] == '\0' && fsync(p->fd) == -1)
		snprintf(p->err, sizeof(p->err), "fsync %s: %s", p->tmp, strerror(errno));
	close(p->fd);
	if (p->err[0] == '\0' &&
	    (lr = archland(dirfd, p->tmp, p->name, p->err, sizeof(p->err))) != ARCHLAND_FAILED) {
		buf_printf(reply, "OK %s %s\n", p->name, said[lr]);
		if (p->err[0])
			log_warn("%s: %s", p->name, p->err);
	} else
		buf_printf(reply, "ERR %s %s\n", p->name, p->err);
	unlinkat(dirfd, p->tmp, 0);
}

static int
flush_replies(int dirfd, int out, struct pending *v, size_t n)
{
	struct buf reply = BUF_INIT;
	int rc;

	for (size_t i = 0; i < n; i++)
		land(dirfd, &v[i], &reply);
	if (fsync(dirfd) == -1) {
		buf_reset(&reply);
		for (size_t i = 0; i < n; i++)
			buf_printf(&reply, "ERR %s fsync of the archive directory: %s\n",
			    v[i].name, strerror(errno));
	}
	rc = write_all(out, reply.data, reply.len);
	buf_free(&reply);
	return rc;
}

static int
protocol_error(const char *what)
{
	fprintf(stderr, "pgwarm-archive --receive: protocol error: %s\n", what);
	return -1;
}

int
wire_receive(const char *dir, int in, int out)
{
	static struct reader r;
	struct pending *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t pending_bytes = 0;
	char line[256], name[64];
	unsigned long long size;
	struct lz4file_dec *dec;
	int dirfd, rc = -1, lz4;

	r.fd = in;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "pgwarm-archive --receive: archive directory %s: %s\n", dir,
		    strerror(errno));
		return -1;
	}
	sweep_stale(dirfd);
	if (write_all(out, WIRE_HELLO "\n", sizeof(WIRE_HELLO)))
		goto out;
	for (;;) {
		int got = rd_line(&r, line, sizeof(line));

		if (got == 0) {
			rc = n ? protocol_error("EOF with unsynced files") : 0;
			break;
		}
		if (got < 0) {
			protocol_error("truncated or overlong command");
			break;
		}
		if (strcmp(line, "SYNC") == 0) {
			if (flush_replies(dirfd, out, v, n) == -1)
				break;
			n = 0;
			pending_bytes = 0;
			continue;
		}
		if (sscanf(line, "PUT %63s %llu", name, &size) != 2 ||
		    wal_kind_stored(name) == WAL_NONE) {
			protocol_error(line);
			break;
		}
		lz4 = wal_kind(name) == WAL_NONE;	/* a stored name: "<segment>.lz4" */
		if (size > (lz4 ? WAL_SEGMENT_MAX + WIRE_LZ4_SLACK : wal_max_size(name))) {
			protocol_error("PUT larger than a file of that name can be");
			break;
		}
		if (n == WIRE_MAX_PENDING || size > WIRE_MAX_PENDING_BYTES - pending_bytes) {
			protocol_error("too many files or bytes before SYNC");
			break;
		}
		pending_bytes += size;
		if (n == cap) {
			struct pending *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (nv == NULL)
				break;
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		snprintf(v[n].name, sizeof(v[n].name), "%s", name);
		snprintf(v[n].tmp, sizeof(v[n].tmp), ".pgwarm.%s.%ld.tmp", name, (long)getpid());
		unlinkat(dirfd, v[n].tmp, 0);
		v[n].fd = openat(dirfd, v[n].tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (v[n].fd == -1)
			snprintf(v[n].err, sizeof(v[n].err), "create %s/%s: %s", dir, v[n].tmp,
			    strerror(errno));
		dec = lz4 ? lz4file_dec_new(WAL_SEGMENT_MAX, NULL, NULL) : NULL;
		if (lz4 && dec == NULL && v[n].err[0] == '\0')
			refuse(&v[n], "out of memory for the LZ4 check");
		got = receive_body(&r, &v[n], size, dec);
		lz4file_dec_free(dec);
		n++;
		if (got == -1) {
			protocol_error("bad chunk");
			break;
		}
	}
out:
	for (size_t i = 0; i < n && rc != 0; i++) {
		if (v[i].fd != -1)
			close(v[i].fd);
		unlinkat(dirfd, v[i].tmp, 0);
	}
	free(v);
	close(dirfd);
	return rc;
}
