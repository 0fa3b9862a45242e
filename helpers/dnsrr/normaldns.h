/* The seed's normal-dns file: the baseline RRsets in nsupdate syntax.
 *   server 192.168.0.1 [port]      (optional; where to send)
 *   zone domainname.com            (optional; else asked from the server)
 *   update add www.domainname.com 1 A 192.168.0.1
 *   send                           (accepted, the file is one batch)
 * Blank lines and lines starting with ';' or '#' are ignored. */
#ifndef UNDERSTUDY_DNSRR_NORMALDNS_H
#define UNDERSTUDY_DNSRR_NORMALDNS_H

#include <ldns/ldns.h>

#include "understudy/node.h"

struct normaldns {
	char		 zone[256];	/* "" when the file names none */
	char		*servers;	/* "addr[:port] ..." from server lines, or NULL */
	ldns_rr_list	*records;
};

/* Errors are "line N: reason". */
int	 normaldns_parse(const char *text, size_t len, struct normaldns *, char *why, size_t whylen);
void	 normaldns_free(struct normaldns *);

#endif
