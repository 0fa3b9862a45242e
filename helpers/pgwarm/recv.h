/* pgwarm-receive: WAL streamed from the primary into archive_dir
 * (DESIGN.md §4b). Over a physical replication connection (libpq,
 * IDENTIFY_SYSTEM, TIMELINE_HISTORY, START_REPLICATION) the receiver writes
 * the current segment as archive_dir/NAME.partial (a whole segment, zeros
 * after what arrived), fsyncs before it reports a position flushed, and
 * lands each completed segment under NAME by the archive's rule
 * (archland.h). What the agent reads back is a status file (recv_status).
 *
 * This header holds the parts that take no connection: the server's
 * messages, where to start, the status text. recvd.c is the daemon. */
#ifndef PGWARM_RECV_H
#define PGWARM_RECV_H
#include <stddef.h>
#include <stdint.h>
#include "elect.h"

/* Present in the data directory while the agent promotes: pgwarm-restore
 * then serves NAME.partial for a NAME the archive lacks, so the standby
 * replays what the stream brought before it leaves recovery. */
#define RECV_PROMOTING	"pgwarm.promoting"

/* The most one XLogData message carries (the walsender sends at most
 * 128 kB, MAX_SEND_SIZE); more is a protocol error. */
#define RECV_DATA_MAX	(1U << 20)

enum recv_msg_kind { RECV_MSG_DATA, RECV_MSG_KEEPALIVE };

struct recv_msg {
	enum recv_msg_kind kind;
	uint64_t	 start;		/* DATA: where data begins */
	uint64_t	 server_end;	/* the server's end of WAL */
	const char	*data;		/* DATA: points into the message */
	size_t		 len;
	int		 reply;		/* KEEPALIVE: the server asks for a status now */
};

/* One CopyData message of the stream. 0, or -1 with why (short, unknown
 * type, a length past RECV_DATA_MAX or a range that wraps). */
int	 recv_msg_parse(const char *buf, size_t len, struct recv_msg *, char *why,
	    size_t whylen);
/* The standby status update ('r') reporting written and flushed up to pos
 * (apply: none, this is no server); now_us: microseconds since
 * 2000-01-01. out: 34 bytes. */
size_t	 recv_status_update(unsigned char out[34], uint64_t pos, int64_t now_us, int reply);

/* Where streaming resumes, from what archive_dir holds: the start of the
 * newest partial that is no older than the newest complete segment, else
 * the segment after the newest complete one; the timeline is the file's.
 * Only files of timelines up to max_tli count. 0 when the archive holds
 * none (the caller starts at the server's position). */
struct recv_file {
	uint32_t	 tli;
	uint64_t	 segno;
	int		 partial;
};
int	 recv_start_from(const struct recv_file *, size_t n, uint32_t max_tli, uint64_t segsz,
	    struct wal_pos *start);
/* archive_dir's WAL files (segments, partials, either stored form). */
int	 recv_scan(const char *dir, uint64_t segsz, struct recv_file **, size_t *n, char *why,
	    size_t whylen);

/* "16MB", "1GB", "1024kB" as SHOW wal_segment_size prints it: bytes, 0 when
 * not a power of two from WAL_SEGMENT_MIN to WAL_SEGMENT_MAX. */
uint64_t recv_segsz_parse(const char *s);

/* The status file the daemon keeps and the agent reads. */
enum recv_state { RECV_CONNECTING, RECV_STREAMING, RECV_REFUSED, RECV_ERROR, RECV_STOPPED };

struct recv_status {
	long		 pid;
	enum recv_state	 state;
	char		 primary[64];	/* host it streams from, "" when none */
	struct wal_pos	 flushed;	/* durable in archive_dir (0/0: nothing yet) */
	uint64_t	 server_end;	/* the server's end of WAL, last heard */
	long		 since;		/* state entered (epoch seconds) */
	char		 reason[512];	/* why: refused, error, connecting */
};

const char *recv_state_name(enum recv_state);
/* Text, at most 1 kB, ending "end\n" so a reader can tell a whole one. */
size_t	 recv_status_format(const struct recv_status *, char *out, size_t outlen);
/* 0, or -1 when not a whole status. */
int	 recv_status_parse(const char *text, size_t len, struct recv_status *);
#endif
