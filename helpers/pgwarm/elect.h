/* Who may be promoted (DESIGN.md §4a). Each node keeps a record of its
 * position in a permanent node attribute, so a node that is down or
 * restarting still counts: "standby TTTTTTTT/LLLLLLLLLLLLLLLL" while it
 * replays (and after demote: the shutdown checkpoint it wrote), "primary
 * TTTTTTTT/LLLLLLLLLLLLLLLL" from its promotion on. A standby is judged
 * against every other node's record, failing closed: an online node with
 * no record, or a query that failed, means "someone may know more". */
#ifndef PGWARM_ELECT_H
#define PGWARM_ELECT_H
#include <stddef.h>
#include <stdint.h>

struct wal_pos {
	uint32_t	 tli;
	uint64_t	 lsn;
};

enum elect_role { ELECT_NONE, ELECT_STANDBY, ELECT_PRIMARY };

struct elect_peer {
	const char	*name;
	int		 online;	/* a cluster member now (-1: unknown) */
	int		 queried;	/* 0: the attribute query failed */
	enum elect_role	 role;		/* ELECT_NONE: no record */
	struct wal_pos	 pos;
};

enum elect_verdict {
	ELECT_BEST,		/* no one known to be ahead, every online node known */
	ELECT_TIED,		/* as BEST, but a tie that a lower name wins */
	ELECT_BEHIND,		/* someone's record is ahead */
	ELECT_UNKNOWN		/* someone who may be ahead is not accounted for */
};

int	 wal_pos_compare(const struct wal_pos *, const struct wal_pos *);
/* "TTTTTTTT/LLLLLLLLLLLLLLLL" (also the tli and LSN PostgreSQL prints). */
void	 wal_pos_format(const struct wal_pos *, char *out, size_t outlen);
/* A record as stored in the attribute: 0, or -1 when malformed. */
int	 elect_record_parse(const char *s, enum elect_role *, struct wal_pos *);
void	 elect_record_format(enum elect_role, const struct wal_pos *, char *out, size_t outlen);
/* Judges self at mine against the peers. why says what decided it: every
 * peer and how it was counted, for the log and the exit reason. */
enum elect_verdict elect_judge(const char *self, const struct wal_pos *mine,
	    const struct elect_peer *, size_t n, char *why, size_t whylen);
#endif
