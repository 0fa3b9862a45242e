/* Timeline history files ("00000003.history", shipped into archive_dir by
 * the primary that created the timeline): one line per ancestor,
 * "parentTLI <tab> switchpoint LSN <tab> reason". A standby can follow the
 * newest timeline only while it has not replayed past the point where its
 * own timeline was left behind (DESIGN.md §4a, 3). */
#ifndef PGWARM_TLHIST_H
#define PGWARM_TLHIST_H
#include <stddef.h>
#include <stdint.h>
#include "elect.h"

#define TLHIST_MAX	64		/* ancestors kept */
#define TLHIST_FILE_MAX	(1 << 20)	/* a history file is small; more is refused */

struct tlhist {
	uint32_t	 tli;			/* the timeline the file describes */
	size_t		 n;
	struct {
		uint32_t tli;
		uint64_t end;			/* where this ancestor was left */
	} v[TLHIST_MAX];
};

/* Parses the text of tli's history file. -1 with why when malformed
 * (ancestors not increasing, garbage). A switchpoint before an earlier
 * one (a promotion short of the fork it was heading for) lowers the
 * earlier ancestors' ends to it. */
int	 tlhist_parse(uint32_t tli, const char *text, size_t len, struct tlhist *,
	    char *why, size_t whylen);
/* Can a server at pos follow h's timeline? 1 yes, 0 no (why says: past
 * the fork point, or its timeline is not an ancestor). */
int	 tlhist_can_follow(const struct tlhist *, const struct wal_pos *pos, char *why,
	    size_t whylen);
/* The timeline whose segment file holds lsn when following h, as
 * PostgreSQL picks it: an ancestor's up to the segment where it was left,
 * from that segment on the child's. */
uint32_t tlhist_file_tli(const struct tlhist *, uint64_t lsn, uint64_t segsz);
#endif
