/* RFC 2136 dynamic updates and confirming queries, TSIG-signed, against
 * one server at a time (ldns). Every function answers with a result and a
 * reason that names the server. */
#ifndef UNDERSTUDY_DNSRR_DNSUP_H
#define UNDERSTUDY_DNSRR_DNSUP_H

#include <ldns/ldns.h>

#include "understudy/node.h"
#include "tsig.h"

enum dnsup_result {
	DNSUP_OK,
	DNSUP_MIN_RECORDS,	/* withdrawal refused: too few records would remain */
	DNSUP_CONFLICT,		/* the RRset kept changing under us */
	DNSUP_REJECTED,		/* the server answered with an error rcode */
	DNSUP_AUTH,		/* TSIG: BADSIG, BADKEY, BADTIME, or an unsigned answer */
	DNSUP_NETWORK,		/* no answer */
	DNSUP_LOCAL		/* bad input or out of memory */
};

struct dnsup {
	const struct node	*server;	/* addr, port (0 = 53) */
	const struct tsig_key	*key;		/* NULL: unsigned */
	int			 timeout_ms;
};

/* The RRset name/type as the server holds it now (empty when none). */
enum dnsup_result dnsup_query(const struct dnsup *, const char *name, ldns_rr_type,
	    ldns_rr_list **out, char *why, size_t whylen);
/* Sends one update: prerequisites, then updates (both may be NULL). */
enum dnsup_result dnsup_send(const struct dnsup *, const char *zone,
	    const ldns_rr_list *prereq, const ldns_rr_list *update, char *why, size_t whylen);
/* Adds rr to its RRset; adding a present record changes nothing. */
enum dnsup_result dnsup_add(const struct dnsup *, const char *zone, const ldns_rr *rr,
	    char *why, size_t whylen);
/* Removes rr unless fewer than min_records would remain, with a
 * value-dependent prerequisite so that concurrent withdrawals cannot
 * empty the RRset behind each other's back. */
enum dnsup_result dnsup_withdraw(const struct dnsup *, const char *zone, const ldns_rr *rr,
	    unsigned min_records, char *why, size_t whylen);
/* 1 if the server holds rr now, 0 if not, -1 on error (why set). */
int	 dnsup_holds(const struct dnsup *, const ldns_rr *rr, char *why, size_t whylen);
/* The zone that contains name, from the server's SOA answer. */
enum dnsup_result dnsup_find_zone(const struct dnsup *, const char *name, char *zone,
	    size_t zonelen, char *why, size_t whylen);

const char *dnsup_result_str(enum dnsup_result);

#endif
