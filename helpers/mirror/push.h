/* mirror-sync's side of one peer: compare the local scan with what the peer
 * was last sent (or, on first contact, with its listing), check the delete
 * guards, stream the changes, read the peer's report, keep the manifest. */
#ifndef MIRROR_PUSH_H
#define MIRROR_PUSH_H

#include <stdio.h>
#include "mconf.h"
#include "scan.h"

/* Where frames go and reply lines come from (an SSH channel, or pipes). */
struct mlink {
	int	(*write)(void *ctx, const void *, size_t);	/* 0 or -1 */
	int	(*gets)(void *ctx, char *line, size_t max);	/* 0 or -1 */
	void	*ctx;
	char	 err[256];
};

enum push_result {
	PUSH_OK,
	PUSH_PARTIAL,		/* done, but the peer reported errors */
	PUSH_REFUSED,		/* a delete guard said no; nothing sent */
	PUSH_FAILED		/* transport or local failure */
};

struct push_stats {
	unsigned long	 files, deleted, conflicts, errors, resent;
	unsigned long long bytes;
	char		 msg[1024];
};

#define PUSH_FORCE	0x01	/* skip the delete guards once */
#define PUSH_DRY_RUN	0x02	/* print what would move; send nothing */
#define PUSH_VERIFY	0x04	/* compare with the peer's listing, not the manifest */
#define PUSH_WHOLE	0x08	/* no block updates (a resend) */

/* A daemon keeps each peer's manifest in memory between syncs and writes it
 * at most every PUSH_SAVE_MS (a stale file only makes the next run resend
 * or re-delete; nothing is lost). NULL: read and written on every call. */
#define PUSH_SAVE_MS	10000
struct push_keep {
	struct manifest	 m;
	int		 ready, dirty;
	long		 saved_ms;
};

enum push_result mirror_push(const struct mirror_conf *, const char *peer, struct scan *scans,
	    struct mlink *, unsigned flags, FILE *dry_out, struct push_stats *,
	    struct push_keep *);
/* Writes a kept manifest that changed since it was last written. */
int	 push_keep_flush(const struct mirror_conf *, const char *peer, struct push_keep *);
void	 push_keep_free(struct push_keep *);

/* One reply line: "ERR|RESEND|CONFLICT id rel [detail]" or "DONE ...".
 * rel and detail are unescaped in place. -1 on anything else. */
struct reply {
	char		*kind;
	unsigned	 root;
	char		*rel;
	char		*detail;
};
int	 reply_parse(char *line, struct reply *);
/* "L type size mtime mode uid gid rel" of a listing. */
int	 listing_parse(char *line, struct mstat *, char **rel);

#endif
