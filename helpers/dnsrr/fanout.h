/* One record, every server, all at once: a thread per server, so a server
 * that does not answer delays nobody but itself. Used by the agent and by
 * dnsrr-monitor alike. */
#ifndef UNDERSTUDY_DNSRR_FANOUT_H
#define UNDERSTUDY_DNSRR_FANOUT_H

#include "dnsup.h"

enum fanout_op {
	FANOUT_ADD,		/* add and confirm by query */
	FANOUT_WITHDRAW,	/* remove, never below min_records */
	FANOUT_REPAIR		/* add where a server lacks it */
};

struct fanout_server {
	const struct node	*server;
	enum dnsup_result	 res;
	int			 repaired;
	char			 why[512];
};

struct fanout {
	const struct node_list	*servers;
	const struct tsig_key	*key;
	int			 timeout_ms;
	const char		*zone;
	const ldns_rr		*rr;
	unsigned		 min_records;
	/* results, one per server, filled by fanout_run */
	struct fanout_server	*per;
	size_t			 ok;		/* servers where the op succeeded */
	enum dnsup_result	 worst;		/* the most telling failure */
	char			 why[512];	/* and its reason */
};

/* Runs op on every server; returns -1 only when out of memory. */
int	 fanout_run(struct fanout *, enum fanout_op);
void	 fanout_free(struct fanout *);

#endif
