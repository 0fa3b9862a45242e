/* dnsrr-monitor's configuration: the seed's failover-monitor.config as
 * written there (check_serverN, bind8_dns_serverN, password, email, …)
 * plus our keys. Obsolete and unknown keys are warned about, not fatal;
 * a bad value is an error naming file and line. */
#ifndef UNDERSTUDY_DNSRR_MONCONF_H
#define UNDERSTUDY_DNSRR_MONCONF_H

#include "understudy/buf.h"
#include "understudy/node.h"
#include "check.h"

struct monconf {
	struct seed_check	*checks;
	size_t			 nchecks;
	struct node_list	 servers;	/* bind8_dns_serverN / dns_serverN */
	char			 tsig_key_file[4096];
	char			 zone[256];	/* "" = ask the servers */
	long			 interval_ms, check_timeout_ms, ttl;
	long			 rise, fall, min_records;
	int			 restart;	/* restart a failed service over SSH */
	char			 ssh_user[64], ssh_key[4096], known_hosts[4096];
	long			 ssh_port;
	char			 scripts_path[1024];	/* the seed's failover.config key */
};

/* Parses text; path names the file in messages. Warnings (one per line)
 * are appended to warn. Returns -1 with "path:line: reason". */
int	 monconf_parse(const char *text, size_t len, const char *path, struct monconf *,
	    struct buf *warn, char *why, size_t whylen);
void	 monconf_free(struct monconf *);

#endif
