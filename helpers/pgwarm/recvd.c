/* See recvd.h. The order that makes a reported position true: data is
 * written into NAME.partial, the file is fsynced, and only then is the
 * position sent to the server as flushed (synchronous commit waits for
 * that) and written to the status file (promotion replays up to it). A
 * write or fsync that fails closes the connection: nothing after the last
 * good fsync is ever reported, and the next connection streams the
 * segment again from its start. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "understudy/buf.h"
#include "understudy/clock.h"
#include "understudy/log.h"
#include "archland.h"
#include "pgctl.h"
#include "recv.h"
#include "recvd.h"
#include "tlhist.h"
#include "wal.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	2000
#define REFUSED_WAIT_MS	5000
#define STATUS_EVERY_MS	1000	/* to the server: keeps tcp_user_timeout meaningful */
#define FILE_EVERY_MS	200	/* the status file, while positions move */

struct rd {
	const struct recvd_conf *c;
	volatile sig_atomic_t *stop;
	int		 dirfd;
	uint64_t	 sysid;
	uint64_t	 segsz;
	PGconn		*conn;
	struct recv_status st;
	char		 logged[512];	/* the last error logged, said once */
	uint32_t	 tli;		/* of the stream */
	uint64_t	 written;	/* next byte expected */
	int		 fd;		/* the partial being written */
	uint64_t	 fd_segno;
	char		 fd_name[64];
	int		 dirty;		/* written since the last fsync */
	long		 sent_ms, file_ms;
};

static int64_t
now_us_2000(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec - 946684800) * 1000000 + ts.tv_nsec / 1000;
}

static void
status_file(struct rd *d, int force)
{
	char text[2048];
	size_t n;

	if (!force && clock_ms() - d->file_ms < FILE_EVERY_MS)
		return;
	d->file_ms = clock_ms();
	n = recv_status_format(&d->st, text, sizeof(text));
	if (pwrite(d->c->status_fd, text, n, 0) != (ssize_t)n ||
	    ftruncate(d->c->status_fd, (off_t)n) == -1)
		log_warn("writing the status file: %s", strerror(errno));
}

static void
set_state(struct rd *d, enum recv_state s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_state(struct rd *d, enum recv_state s, const char *fmt, ...)
{
	va_list ap;

	if (d->st.state != s)
		d->st.since = time(NULL);
	d->st.state = s;
	va_start(ap, fmt);
	vsnprintf(d->st.reason, sizeof(d->st.reason), fmt, ap);
	va_end(ap);
	for (char *e = d->st.reason + strlen(d->st.reason); e > d->st.reason &&
	    (e[-1] == '\n' || e[-1] == ' '); e--)
		e[-1] = '\0';
	/* Each distinct failure once in the log; the status file has the rest. */
	if ((s == RECV_ERROR || s == RECV_REFUSED) && strcmp(d->logged, d->st.reason) != 0) {
		log_err("%s", d->st.reason);
		snprintf(d->logged, sizeof(d->logged), "%s", d->st.reason);
	} else if (s == RECV_STREAMING) {
		d->logged[0] = '\0';
	}
	status_file(d, 1);
}

/* pg_control begins with the system identifier (ControlFileData). */
static int
local_sysid(const char *pgdata, uint64_t *id, char *why, size_t whylen)
{
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/global/pg_control", pgdata);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(why, whylen, "%.400s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, id, sizeof(*id));
	close(fd);
	if (n != (ssize_t)sizeof(*id)) {
		snprintf(why, whylen, "%.400s: too short", path);
		return -1;
	}
	return 0;
}

static void
wal_name(uint32_t tli, uint64_t segno, uint64_t segsz, char *out, size_t outlen)
{
	uint64_t per = 0x100000000ULL / segsz;

	snprintf(out, outlen, "%08" PRIX32 "%08" PRIX64 "%08" PRIX64, tli, segno / per,
	    segno % per);
}

static int
sync_partial(struct rd *d)
{
	if (d->dirty && d->fd != -1 && fsync(d->fd) == -1) {
		set_state(d, RECV_ERROR, "fsync %s.partial in %s: %s", d->fd_name,
		    d->c->archive_dir, strerror(errno));
		return -1;
	}
	if (d->dirty) {
		struct wal_pos now = { d->tli, d->written };

		d->dirty = 0;
		if (wal_pos_compare(&now, &d->st.flushed) > 0)
			d->st.flushed = now;
		status_file(d, 0);
	}
	return 0;
}

/* Fsyncs the partial and reports the position (server and file). */
static int
flush(struct rd *d, int reply)
{
	unsigned char msg[34];
	int moved = d->dirty;

	if (sync_partial(d) == -1)
		return -1;
	if (moved || reply || clock_ms() - d->sent_ms >= STATUS_EVERY_MS) {
		if (PQputCopyData(d->conn, (char *)msg, (int)recv_status_update(msg, d->written,
		    now_us_2000(), 0)) != 1 || PQflush(d->conn) != 0) {
			set_state(d, RECV_ERROR, "sending the status to %s: %s", d->st.primary,
			    PQerrorMessage(d->conn));
			return -1;
		}
		d->sent_ms = clock_ms();
		status_file(d, 0);
	}
	return 0;
}

static void
close_partial(struct rd *d)
{
	if (d->fd != -1)
		close(d->fd);
	d->fd = -1;
	d->dirty = 0;
}

/* A completed segment: the partial, durable, becomes NAME (or is the same
 * as a NAME that shipping brought first). */
static int
complete(struct rd *d)
{
	char partial[80], why[512];
	enum archland_result lr;

	if (fsync(d->fd) == -1) {
		set_state(d, RECV_ERROR, "fsync %s.partial: %s", d->fd_name, strerror(errno));
		return -1;
	}
	snprintf(partial, sizeof(partial), "%s.partial", d->fd_name);
	lr = archland(d->dirfd, partial, d->fd_name, why, sizeof(why));
	if (lr == ARCHLAND_FAILED) {
		/* The partial stays: the archive's copy is the one replayed.
		 * Two histories for one segment: said in the status too. */
		set_state(d, RECV_ERROR, "%s from %s: %s", d->fd_name, d->st.primary, why);
		d->st.state = RECV_STREAMING;	/* the stream itself goes on */
	} else {
		unlinkat(d->dirfd, partial, 0);
	}
	if (fsync(d->dirfd) == -1) {
		set_state(d, RECV_ERROR, "fsync %s: %s", d->c->archive_dir, strerror(errno));
		return -1;
	}
	close_partial(d);
	d->dirty = 1;	/* the position moved: report it */
	return 0;
}

static int
open_partial(struct rd *d, uint64_t segno)
{
	char partial[80];
	struct stat st;

	wal_name(d->tli, segno, d->segsz, d->fd_name, sizeof(d->fd_name));
	snprintf(partial, sizeof(partial), "%s.partial", d->fd_name);
	/* A new name is durable only once its directory is fsynced, before
	 * anything in it is acknowledged. */
	d->fd = openat(d->dirfd, partial, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (d->fd != -1 && fsync(d->dirfd) == -1) {
		set_state(d, RECV_ERROR, "fsync %s: %s", d->c->archive_dir, strerror(errno));
		close_partial(d);
		return -1;
	}
	if (d->fd == -1 && errno == EEXIST)
		d->fd = openat(d->dirfd, partial, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	errno = 0;
	if (d->fd == -1 || fstat(d->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    ((uint64_t)st.st_size != d->segsz && ftruncate(d->fd, (off_t)d->segsz) == -1)) {
		set_state(d, RECV_ERROR, "%s/%s: %s", d->c->archive_dir, partial,
		    d->fd == -1 || errno ? strerror(errno) : "not a regular file");
		close_partial(d);
		return -1;
	}
	d->fd_segno = segno;
	return 0;
}

static int
write_data(struct rd *d, uint64_t pos, const char *data, size_t len)
{
	if (pos != d->written) {
		set_state(d, RECV_ERROR, "%s sent WAL at %" PRIX64 " where %" PRIX64 " was next",
		    d->st.primary, pos, d->written);
		return -1;
	}
	while (len > 0) {
		uint64_t segno = pos / d->segsz, off = pos % d->segsz;
		size_t chunk = len < d->segsz - off ? len : (size_t)(d->segsz - off);
		ssize_t w;

		if (d->fd != -1 && d->fd_segno != segno)
			close_partial(d);
		if (d->fd == -1 && open_partial(d, segno) == -1)
			return -1;
		/* A short write is retried: the second says why (ENOSPC). */
		for (size_t done = 0; done < chunk; done += (size_t)w)
			if ((w = pwrite(d->fd, data + done, chunk - done, (off_t)(off + done))) <= 0) {
				set_state(d, RECV_ERROR, "writing %s.partial in %s: %s", d->fd_name,
				    d->c->archive_dir, w == -1 ? strerror(errno) : "nothing written");
				close_partial(d);
				return -1;
			}
		d->dirty = 1;
		pos += chunk;
		data += chunk;
		len -= chunk;
		d->written = pos;
		if (pos % d->segsz == 0 && complete(d) == -1)
			return -1;
	}
	return 0;
}

static PGresult *
command(struct rd *d, const char *sql, ExecStatusType want)
{
	PGresult *r = PQexec(d->conn, sql);

	if (PQresultStatus(r) != want) {
		set_state(d, RECV_ERROR, "%s on %s: %s", sql, d->st.primary,
		    PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The history file of tli: landed in the archive (the archive's rule) and
 * parsed, for the timeline a start position is on. */
static int
history(struct rd *d, uint32_t tli, struct tlhist *h)
{
	char sql[64], tmp[96], why[512], want[32];
	const char *name, *text;
	PGresult *r;
	int fd, rc = -1;
	size_t len;

	snprintf(sql, sizeof(sql), "TIMELINE_HISTORY %" PRIu32, tli);
	if ((r = command(d, sql, PGRES_TUPLES_OK)) == NULL)
		return -1;
	snprintf(want, sizeof(want), "%08" PRIX32 ".history", tli);
	if (PQntuples(r) != 1 || PQnfields(r) != 2 ||
	    strcmp(name = PQgetvalue(r, 0, 0), want) != 0 ||
	    (len = (size_t)PQgetlength(r, 0, 1)) > TLHIST_FILE_MAX) {
		set_state(d, RECV_ERROR, "%s: not a timeline history", sql);
		goto out;
	}
	text = PQgetvalue(r, 0, 1);
	if (tlhist_parse(tli, text, len, h, why, sizeof(why)) == -1) {
		set_state(d, RECV_ERROR, "%s from %s: %s", name, d->st.primary, why);
		goto out;
	}
	snprintf(tmp, sizeof(tmp), ".pgwarm.%s.%ld.tmp", name, (long)getpid());
	if ((fd = openat(d->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1 || write(fd, text, len) != (ssize_t)len || fsync(fd) == -1) {
		set_state(d, RECV_ERROR, "writing %s in %s: %s", name, d->c->archive_dir,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		unlinkat(d->dirfd, tmp, 0);
		goto out;
	}
	close(fd);
	if (archland(d->dirfd, tmp, name, why, sizeof(why)) == ARCHLAND_FAILED)
		log_err("%s: %s", name, why);
	unlinkat(d->dirfd, tmp, 0);
	fsync(d->dirfd);
	rc = 0;
out:
	PQclear(r);
	return rc;
}

/* The timeline lsn is on when following h (an ancestor until it was left). */
static uint32_t
tli_of(const struct tlhist *h, uint64_t lsn)
{
	for (size_t i = 0; i < h->n; i++)
		if (lsn < h->v[i].end)
			return h->v[i].tli;
	return h->tli;
}

/* Connect and check: the primary's system identifier must be ours. */
static int
connect_primary(struct rd *d, struct wal_pos *server)
{
	char why[512];
	PGresult *r;
	uint64_t theirs;

	set_state(d, RECV_CONNECTING, "connecting");
	d->conn = PQconnectdb(d->c->conninfo);
	if (PQstatus(d->conn) != CONNECTION_OK) {
		set_state(d, RECV_CONNECTING, "no primary answers: %s", PQerrorMessage(d->conn));
		return -1;
	}
	snprintf(d->st.primary, sizeof(d->st.primary), "%s", PQhost(d->conn));
	if (local_sysid(d->c->pgdata, &d->sysid, why, sizeof(why)) == -1) {
		set_state(d, RECV_ERROR, "%s", why);
		return -1;
	}
	if ((r = command(d, "IDENTIFY_SYSTEM", PGRES_TUPLES_OK)) == NULL)
		return -1;
	if (PQntuples(r) != 1 || PQnfields(r) < 3 ||
	    (theirs = strtoull(PQgetvalue(r, 0, 0), NULL, 10)) == 0 ||
	    (server->tli = (uint32_t)strtoul(PQgetvalue(r, 0, 1), NULL, 10)) == 0 ||
	    pg_lsn_parse(PQgetvalue(r, 0, 2), &server->lsn) == -1) {
		set_state(d, RECV_ERROR, "IDENTIFY_SYSTEM on %s: unexpected answer", d->st.primary);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (theirs != d->sysid) {
		set_state(d, RECV_REFUSED, "refusing %s: its system identifier %" PRIu64
		    " is not %" PRIu64 " of %s (another cluster: seed this node from the primary)",
		    d->st.primary, theirs, d->sysid, d->c->pgdata);
		return -2;
	}
	if ((r = command(d, "SHOW wal_segment_size", PGRES_TUPLES_OK)) == NULL)
		return -1;
	d->segsz = PQntuples(r) == 1 ? recv_segsz_parse(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	if (d->segsz == 0) {
		set_state(d, RECV_ERROR, "%s: wal_segment_size not understood", d->st.primary);
		return -1;
	}
	return 0;
}

/* Where to start: after what the archive holds, on the timeline that
 * position is on; the server's own segment when the archive has nothing
 * it can continue (empty, or ahead of this server). */
static int
choose_start(struct rd *d, const struct wal_pos *server, struct wal_pos *start)
{
	struct recv_file *f;
	struct tlhist h;
	size_t n;
	char why[512];
	int have;

	if (recv_scan(d->c->archive_dir, d->segsz, &f, &n, why, sizeof(why)) == -1) {
		set_state(d, RECV_ERROR, "%s", why);
		return -1;
	}
	have = recv_start_from(f, n, server->tli, d->segsz, start);
	free(f);
	if (server->tli > 1 && history(d, server->tli, &h) == -1)
		return -1;
	if (have && server->tli > 1)
		start->tli = tli_of(&h, start->lsn);
	if (!have || start->lsn > server->lsn) {
		start->tli = server->tli;
		start->lsn = server->lsn - server->lsn % d->segsz;
	}
	return 0;
}

static int
start_streaming(struct rd *d, const struct wal_pos *at)
{
	char sql[128];
	PGresult *r;

	snprintf(sql, sizeof(sql), "START_REPLICATION PHYSICAL %X/%X TIMELINE %" PRIu32,
	    (unsigned)(at->lsn >> 32), (unsigned)at->lsn, at->tli);
	if ((r = command(d, sql, PGRES_COPY_BOTH)) == NULL)
		return -1;
	PQclear(r);
	d->tli = at->tli;
	d->written = at->lsn;
	/* The status keeps what is durable from before (the segment is
	 * streamed again from its start, the same bytes). */
	if (wal_pos_compare(&d->st.flushed, at) < 0)
		d->st.flushed = *at;
	set_state(d, RECV_STREAMING, "from %s", d->st.primary);
	return 0;
}

/* Reads the stream until it ends or fails. 1: the server moved to another
 * timeline (next set), 0: it ended, -1: error. */
static int
stream(struct rd *d, struct wal_pos *next)
{
	char why[512];

	for (;;) {
		char *buf = NULL;
		int n = PQgetCopyData(d->conn, &buf, 1);
		struct recv_msg m;

		if (*d->stop)
			return flush(d, 0) == -1 ? -1 : 0;
		if (n == 0) {
			struct pollfd p = { PQsocket(d->conn), POLLIN, 0 };

			if (flush(d, 0) == -1)
				return -1;
			if (poll(&p, 1, STATUS_EVERY_MS / 2) == -1 && errno != EINTR) {
				set_state(d, RECV_ERROR, "poll: %s", strerror(errno));
				return -1;
			}
			if (PQconsumeInput(d->conn) == 0) {
				set_state(d, RECV_ERROR, "connection to %s: %s", d->st.primary,
				    PQerrorMessage(d->conn));
				return -1;
			}
			continue;
		}
		if (n == -1)
			break;
		if (n < 0) {
			set_state(d, RECV_ERROR, "connection to %s: %s", d->st.primary,
			    PQerrorMessage(d->conn));
			return -1;
		}
		if (recv_msg_parse(buf, (size_t)n, &m, why, sizeof(why)) == -1) {
			PQfreemem(buf);
			set_state(d, RECV_ERROR, "%s sent a bad message: %s", d->st.primary, why);
			return -1;
		}
		d->st.server_end = m.server_end > d->st.server_end ? m.server_end : d->st.server_end;
		if (m.kind == RECV_MSG_DATA && write_data(d, m.start, m.data, m.len) == -1) {
			PQfreemem(buf);
			return -1;
		}
		PQfreemem(buf);
		if (m.kind == RECV_MSG_KEEPALIVE && m.reply && flush(d, 1) == -1)
			return -1;
	}
	/* The server ended the copy: a timeline switch sends where the next
	 * timeline starts, a shutdown only completes. */
	if (sync_partial(d) == -1)
		return -1;
	close_partial(d);
	PQputCopyEnd(d->conn, NULL);
	{
		PGresult *r = PQgetResult(d->conn);
		int rc = 0;

		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		    PQnfields(r) >= 2) {
			next->tli = (uint32_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
			rc = next->tli > d->tli && pg_lsn_parse(PQgetvalue(r, 0, 1), &next->lsn) == 0;
			if (!rc)
				set_state(d, RECV_ERROR, "%s: a timeline switch not understood",
				    d->st.primary);
			rc = rc ? 1 : -1;
		} else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			set_state(d, RECV_ERROR, "end of the stream from %s: %s", d->st.primary,
			    PQresultErrorMessage(r));
			rc = -1;
		}
		PQclear(r);
		while ((r = PQgetResult(d->conn)) != NULL)
			PQclear(r);
		return rc;
	}
}

static void
disconnect(struct rd *d)
{
	close_partial(d);
	PQfinish(d->conn);
	d->conn = NULL;
	d->st.primary[0] = '\0';
}

static void
nap(struct rd *d, long ms)
{
	long until = clock_ms() + ms;

	while (!*d->stop && clock_ms() < until)
		usleep(20000);
}

void
recvd_run(const struct recvd_conf *c, volatile sig_atomic_t *stop)
{
	struct rd d = { .c = c, .stop = stop, .fd = -1 };
	long backoff = BACKOFF_MIN_MS;
	int from_server = 0;

	d.st.pid = getpid();
	d.dirfd = open(c->archive_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d.dirfd == -1)
		set_state(&d, RECV_ERROR, "%s: %s", c->archive_dir, strerror(errno));
	while (!*stop && d.dirfd != -1) {
		struct wal_pos server, at, here = { 0, 0 };
		int rc = connect_primary(&d, &server);

		if (rc == 0)
			here = (struct wal_pos){ server.tli, server.lsn - server.lsn % d.segsz };
		if (rc == 0 && from_server) {
			log_warn("the stream from the archive's position brought nothing: streaming "
			    "from the primary's current segment (%08" PRIX32 "/%" PRIX64 ") instead; "
			    "shipping brings what is before it", here.tli, here.lsn);
			at = here;
		} else if (rc == 0 && choose_start(&d, &server, &at) == -1) {
			rc = -1;
		}
		/* The archive's point may be gone on the server, or on a timeline
		 * whose files it never had: a stream that fails before it brought
		 * anything is tried again from the server's own segment. */
		if (rc == 0)
			from_server = !from_server && (at.tli != here.tli || at.lsn != here.lsn);
		if (rc == 0 && start_streaming(&d, &at) == -1)
			rc = -1;
		while (rc == 0 && d.st.state == RECV_STREAMING && !*stop) {
			struct wal_pos next;
			int s = stream(&d, &next);

			if (d.written != at.lsn) {
				from_server = 0;	/* it moved: the archive's point was good */
				backoff = BACKOFF_MIN_MS;
			}
			if (s != 1)
				break;
			next.lsn -= next.lsn % d.segsz;
			if (history(&d, next.tli, &(struct tlhist){ 0 }) == -1 ||
			    start_streaming(&d, &next) == -1)
				break;
		}
		disconnect(&d);
		if (*stop)
			break;
		nap(&d, rc == -2 ? REFUSED_WAIT_MS : backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	if (d.conn)
		disconnect(&d);
	if (d.dirfd != -1)
		close(d.dirfd);
	set_state(&d, RECV_STOPPED, "stopped");
}
