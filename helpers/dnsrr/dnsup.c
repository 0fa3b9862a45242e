/* Dynamic updates with ldns; see dnsup.h. */
#include "config.h"

#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "understudy/net.h"
#include "dnsup.h"

#define DNSUP_CAS_TRIES	8

static const char *const result_str[] = {
	"ok", "too few records would remain", "RRset kept changing",
	"rejected by server", "TSIG authentication failed", "no answer", "local error"
};

const char *
dnsup_result_str(enum dnsup_result r)
{
	return r <= DNSUP_LOCAL ? result_str[r] : "unknown";
}

/* ldns_pkt_rcode2str allocates; its table does not. */
static const char *
rcode_name(ldns_pkt_rcode rc)
{
	ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, (int)rc);

	return t ? t->name : "unknown rcode";
}

static void
where(const struct dnsup *u, char *out, size_t outlen)
{
	snprintf(out, outlen, strchr(u->server->addr, ':') ? "[%s]:%u" : "%s:%u",
	    u->server->addr, u->server->port ? u->server->port : 53);
}

/* A resolver aimed at exactly one server, over TCP (updates and whole
 * RRsets never truncate), with the key set so that ldns verifies answers. */
static ldns_resolver *
resolver_new(const struct dnsup *u, int verify, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *ai;
	char host[NI_MAXHOST], w[300];
	ldns_resolver *r;
	ldns_rdf *ns;
	int rc;

	where(u, w, sizeof(w));
	if ((rc = getaddrinfo(u->server->addr, NULL, &hints, &ai)) != 0) {
		snprintf(why, whylen, "server %s: %s", w, gai_strerror(rc));
		return NULL;
	}
	getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
	ns = ldns_rdf_new_frm_str(ai->ai_family == AF_INET6 ? LDNS_RDF_TYPE_AAAA :
	    LDNS_RDF_TYPE_A, host);
	freeaddrinfo(ai);
	if (ns == NULL || (r = ldns_resolver_new()) == NULL) {
		ldns_rdf_deep_free(ns);
		snprintf(why, whylen, "server %s: out of memory", w);
		return NULL;
	}
	ldns_resolver_push_nameserver(r, ns);
	ldns_rdf_deep_free(ns);
	ldns_resolver_set_port(r, (uint16_t)(u->server->port ? u->server->port : 53));
	ldns_resolver_set_usevc(r, true);
	ldns_resolver_set_retry(r, 1);
	ldns_resolver_set_recursive(r, false);
	ldns_resolver_set_timeout(r, (struct timeval){ u->timeout_ms / 1000,
	    (u->timeout_ms % 1000) * 1000 });
	if (u->key && verify) {
		ldns_resolver_set_tsig_keyname(r, u->key->name);
		ldns_resolver_set_tsig_keydata(r, u->key->secret);
		ldns_resolver_set_tsig_algorithm(r, u->key->algorithm);
	}
	return r;
}

static const char *
tsig_error_name(uint16_t e)
{
	switch (e) {
	case 16: return "BADSIG";
	case 17: return "BADKEY";
	case 18: return "BADTIME";
	case 22: return "BADTRUNC";
	default: return "TSIG error";
	}
}

/* Reads exactly n bytes before the deadline. */
static int
read_full(int fd, uint8_t *p, size_t n, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;

	while (n > 0) {
		if (poll(&pfd, 1, timeout_ms) != 1 || (r = read(fd, p, n)) <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One DNS-over-TCP exchange without ldns' TSIG verification. */
static ldns_pkt *
raw_exchange(const struct dnsup *u, const ldns_pkt *pkt)
{
	uint8_t *wire = NULL, lenbuf[2], *ans = NULL;
	size_t len;
	ldns_pkt *a = NULL;
	char why[128];
	int fd;

	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK || len > 65535)
		goto out;
	if ((fd = net_connect(u->server->addr, u->server->port ? u->server->port : 53,
	    u->timeout_ms, why, sizeof(why))) == -1)
		goto out;
	lenbuf[0] = (uint8_t)(len >> 8);
	lenbuf[1] = (uint8_t)len;
	if (write(fd, lenbuf, 2) == 2 && write(fd, wire, len) == (ssize_t)len &&
	    read_full(fd, lenbuf, 2, u->timeout_ms) == 0) {
		len = (size_t)lenbuf[0] << 8 | lenbuf[1];
		if ((ans = malloc(len ? len : 1)) != NULL &&
		    read_full(fd, ans, len, u->timeout_ms) == 0)
			ldns_wire2pkt(&a, ans, len);
	}
	close(fd);
out:
	free(wire);
	free(ans);
	return a;
}

/* When the answer fails TSIG verification ldns keeps it from us; asking
 * again without verifying shows what the server said (BADSIG, BADKEY…),
 * which is only ever used for the message. */
static void
explain_bogus(const struct dnsup *u, const ldns_pkt *pkt, const char *w, char *why, size_t whylen)
{
	ldns_pkt *a = raw_exchange(u, pkt);
	ldns_rr *tsig;
	uint16_t err = 0;

	if (a) {
		if ((tsig = ldns_pkt_tsig(a)) != NULL && ldns_rr_rd_count(tsig) > 5)
			err = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
		snprintf(why, whylen, "server %s refused key %s: %s", w, u->key->name,
		    err ? tsig_error_name(err) : rcode_name(ldns_pkt_get_rcode(a)));
	} else
		snprintf(why, whylen, "server %s: answer not signed by key %s", w, u->key->name);
	ldns_pkt_free(a);
}

/* Sends pkt (signing it), fills *answer; maps every failure to a result
 * with a reason that names the server and, for TSIG, the key. */
static enum dnsup_result
exchange(const struct dnsup *u, ldns_pkt *pkt, ldns_pkt **answer, char *why, size_t whylen)
{
	ldns_resolver *r;
	ldns_status st;
	char w[300];

	*answer = NULL;
	where(u, w, sizeof(w));
	if ((r = resolver_new(u, 1, why, whylen)) == NULL)
		return DNSUP_LOCAL;
	ldns_pkt_set_random_id(pkt);
	if (u->key && ldns_pkt_tsig_sign(pkt, u->key->name, u->key->secret, 300,
	    u->key->algorithm, NULL) != LDNS_STATUS_OK) {
		ldns_resolver_deep_free(r);
		snprintf(why, whylen, "cannot sign with key %s", u->key->name);
		return DNSUP_LOCAL;
	}
	st = ldns_resolver_send_pkt(answer, r, pkt);
	ldns_resolver_deep_free(r);
	if (st == LDNS_STATUS_CRYPTO_TSIG_BOGUS && u->key) {
		ldns_pkt_free(*answer);
		*answer = NULL;
		explain_bogus(u, pkt, w, why, whylen);
		return DNSUP_AUTH;
	}
	if (*answer == NULL || st != LDNS_STATUS_OK) {
		snprintf(why, whylen, "server %s: %s", w, ldns_get_errorstr_by_id(st));
		ldns_pkt_free(*answer);
		*answer = NULL;
		return DNSUP_NETWORK;
	}
	return DNSUP_OK;
}

enum dnsup_result
dnsup_query(const struct dnsup *u, const char *name, ldns_rr_type type, ldns_rr_list **out,
    char *why, size_t whylen)
{
	ldns_rdf *dn = ldns_dname_new_frm_str(name);
	ldns_pkt *q, *a = NULL;
	enum dnsup_result res;
	ldns_pkt_rcode rc;
	char w[300];

	*out = NULL;
	if (dn == NULL) {
		snprintf(why, whylen, "bad name \"%.100s\"", name);
		return DNSUP_LOCAL;
	}
	q = ldns_pkt_query_new(dn, type, LDNS_RR_CLASS_IN, 0);
	if ((res = exchange(u, q, &a, why, whylen)) != DNSUP_OK)
		goto out;
	rc = ldns_pkt_get_rcode(a);
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		where(u, w, sizeof(w));
		snprintf(why, whylen, "server %s: query %s: %s", w, name, rcode_name(rc));
		res = DNSUP_REJECTED;
		goto out;
	}
	*out = ldns_pkt_rr_list_by_type(a, type, LDNS_SECTION_ANSWER);
	if (*out == NULL)
		*out = ldns_rr_list_new();
out:
	ldns_pkt_free(q);
	ldns_pkt_free(a);
	return res;
}

enum dnsup_result
dnsup_send(const struct dnsup *u, const char *zone, const ldns_rr_list *prereq,
    const ldns_rr_list *update, char *why, size_t whylen)
{
	ldns_rdf *zr = ldns_dname_new_frm_str(zone);
	ldns_pkt *p, *a = NULL;
	enum dnsup_result res;
	ldns_pkt_rcode rc;
	char w[300];

	if (zr == NULL) {
		snprintf(why, whylen, "bad zone \"%.100s\"", zone);
		return DNSUP_LOCAL;
	}
	/* ldns_update_pkt_new takes ownership of the zone and clones lists. */
	p = ldns_update_pkt_new(zr, LDNS_RR_CLASS_IN, prereq, update, NULL);
	if (p == NULL) {
		snprintf(why, whylen, "out of memory");
		return DNSUP_LOCAL;
	}
	if ((res = exchange(u, p, &a, why, whylen)) == DNSUP_OK &&
	    (rc = ldns_pkt_get_rcode(a)) != LDNS_RCODE_NOERROR) {
		where(u, w, sizeof(w));
		snprintf(why, whylen, "server %s: update of zone %s: %s", w, zone,
		    rcode_name(rc));
		res = rc == LDNS_RCODE_NXRRSET ? DNSUP_CONFLICT : DNSUP_REJECTED;
	}
	ldns_pkt_free(p);
	ldns_pkt_free(a);
	return res;
}

enum dnsup_result
dnsup_add(const struct dnsup *u, const char *zone, const ldns_rr *rr, char *why, size_t whylen)
{
	ldns_rr_list *up = ldns_rr_list_new();
	enum dnsup_result res;

	ldns_rr_list_push_rr(up, ldns_rr_clone(rr));
	res = dnsup_send(u, zone, NULL, up, why, whylen);
	ldns_rr_list_deep_free(up);
	return res;
}

static int
same_rdata(const ldns_rr *a, const ldns_rr *b)
{
	if (ldns_rr_get_type(a) != ldns_rr_get_type(b) || ldns_rr_rd_count(a) != ldns_rr_rd_count(b) ||
	    ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) != 0)
		return 0;
	for (size_t i = 0; i < ldns_rr_rd_count(a); i++)
		if (ldns_rdf_compare(ldns_rr_rdf(a, i), ldns_rr_rdf(b, i)) != 0)
			return 0;
	return 1;
}

static int
list_has(const ldns_rr_list *l, const ldns_rr *rr)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (same_rdata(ldns_rr_list_rr(l, i), rr))
			return 1;
	return 0;
}

int
dnsup_holds(const struct dnsup *u, const ldns_rr *rr, char *why, size_t whylen)
{
	ldns_rr_list *l;
	char *owner = ldns_rdf2str(ldns_rr_owner(rr));
	int has;

	if (dnsup_query(u, owner, ldns_rr_get_type(rr), &l, why, whylen) != DNSUP_OK) {
		free(owner);
		return -1;
	}
	free(owner);
	has = list_has(l, rr);
	ldns_rr_list_deep_free(l);
	return has;
}

/* One compare-and-swap round: the prerequisite is the RRset exactly as
 * read, so a concurrent change makes the server answer NXRRSET. */
static enum dnsup_result
withdraw_once(const struct dnsup *u, const char *zone, const ldns_rr *rr, unsigned min_records,
    char *why, size_t whylen)
{
	ldns_rr_list *cur, *pre = NULL, *up = NULL;
	enum dnsup_result res;
	char *owner = ldns_rdf2str(ldns_rr_owner(rr)), *val;
	size_t n;

	res = dnsup_query(u, owner, ldns_rr_get_type(rr), &cur, why, whylen);
	if (res != DNSUP_OK)
		goto out;
	n = ldns_rr_list_rr_count(cur);
	if (!list_has(cur, rr))
		goto out;	/* already gone */
	if (n - 1 < min_records) {
		val = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		snprintf(why, whylen, "withdrawing %s %s would leave %zu record(s), fewer than "
		    "min_records=%u; keeping it", owner, val ? val : "?", n - 1, min_records);
		free(val);
		res = DNSUP_MIN_RECORDS;
		goto out;
	}
	pre = ldns_rr_list_new();
	up = ldns_rr_list_new();
	for (size_t i = 0; i < n; i++) {
		ldns_rr *p = ldns_rr_clone(ldns_rr_list_rr(cur, i));

		ldns_rr_set_ttl(p, 0);
		ldns_rr_list_push_rr(pre, p);
	}
	ldns_rr_list_push_rr(up, ldns_rr_clone(rr));
	ldns_rr_set_class(ldns_rr_list_rr(up, 0), LDNS_RR_CLASS_NONE);
	ldns_rr_set_ttl(ldns_rr_list_rr(up, 0), 0);
	res = dnsup_send(u, zone, pre, up, why, whylen);
out:
	free(owner);
	ldns_rr_list_deep_free(cur);
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	return res;
}

enum dnsup_result
dnsup_withdraw(const struct dnsup *u, const char *zone, const ldns_rr *rr, unsigned min_records,
    char *why, size_t whylen)
{
	enum dnsup_result res = DNSUP_CONFLICT;

	for (int i = 0; i < DNSUP_CAS_TRIES && res == DNSUP_CONFLICT; i++)
		res = withdraw_once(u, zone, rr, min_records, why, whylen);
	return res;
}

enum dnsup_result
dnsup_find_zone(const struct dnsup *u, const char *name, char *zone, size_t zonelen,
    char *why, size_t whylen)
{
	ldns_rdf *dn = ldns_dname_new_frm_str(name);
	ldns_pkt *q, *a = NULL;
	ldns_rr_list *soa = NULL;
	enum dnsup_result res;
	char *z, w[300];

	if (dn == NULL) {
		snprintf(why, whylen, "bad name \"%.100s\"", name);
		return DNSUP_LOCAL;
	}
	q = ldns_pkt_query_new(dn, LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
	if ((res = exchange(u, q, &a, why, whylen)) == DNSUP_OK) {
		soa = ldns_pkt_rr_list_by_type(a, LDNS_RR_TYPE_SOA, LDNS_SECTION_ANY_NOQUESTION);
		if (soa == NULL || ldns_rr_list_rr_count(soa) == 0) {
			where(u, w, sizeof(w));
			snprintf(why, whylen, "server %s is not authoritative for %s", w, name);
			res = DNSUP_REJECTED;
		} else {
			z = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(soa, 0)));
			snprintf(zone, zonelen, "%s", z ? z : ".");
			free(z);
		}
	}
	ldns_rr_list_deep_free(soa);
	ldns_pkt_free(q);
	ldns_pkt_free(a);
	return res;
}
