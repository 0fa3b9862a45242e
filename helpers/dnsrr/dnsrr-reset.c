/* dnsrr-reset: put the round-robin RRsets back to the baseline of a
 * normal-dns file (the seed's nsupdate syntax), on every server, as one
 * atomic update per zone per server, and confirm each RRset by query.
 *   dnsrr-reset [-n] -k KEYFILE [-s "addr[:port] ..."] [-z ZONE] [-t MS] FILE
 * Exit 0 when every server holds exactly the baseline, 1 otherwise, 2 for
 * a usage or parse error. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "understudy/buf.h"
#include "understudy/node.h"
#include "dnsup.h"
#include "normaldns.h"
#include "tsig.h"

#define RESET_FILE_MAX	(1024 * 1024)

static void
usage(void)
{
	fprintf(stderr, "usage: dnsrr-reset [-n] -k keyfile [-s \"addr[:port] ...\"] [-z zone] "
	    "[-t ms] file\n");
	exit(2);
}

/* Deletes of every RRset the baseline names, then its records. */
static ldns_rr_list *
reset_update(const ldns_rr_list *recs)
{
	ldns_rr_list *up = ldns_rr_list_new();
	size_t n = ldns_rr_list_rr_count(recs);

	for (size_t i = 0; i < n; i++) {
		const ldns_rr *r = ldns_rr_list_rr(recs, i);
		int seen = 0;

		for (size_t j = 0; j < i && !seen; j++)
			seen = ldns_rr_get_type(ldns_rr_list_rr(recs, j)) == ldns_rr_get_type(r) &&
			    ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(recs, j)),
			    ldns_rr_owner(r)) == 0;
		if (!seen) {
			ldns_rr *del = ldns_rr_new();

			ldns_rr_set_owner(del, ldns_rdf_clone(ldns_rr_owner(r)));
			ldns_rr_set_type(del, ldns_rr_get_type(r));
			ldns_rr_set_class(del, LDNS_RR_CLASS_ANY);
			ldns_rr_set_ttl(del, 0);
			ldns_rr_list_push_rr(up, del);
		}
	}
	for (size_t i = 0; i < n; i++)
		ldns_rr_list_push_rr(up, ldns_rr_clone(ldns_rr_list_rr(recs, i)));
	return up;
}

/* Every baseline record is served, and nothing else in those RRsets. */
static int
confirm(const struct dnsup *u, const ldns_rr_list *recs, char *why, size_t whylen)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(recs); i++) {
		const ldns_rr *r = ldns_rr_list_rr(recs, i);
		char *owner = ldns_rdf2str(ldns_rr_owner(r));
		ldns_rr_list *got;
		size_t want = 0;

		if (dnsup_query(u, owner, ldns_rr_get_type(r), &got, why, whylen) != DNSUP_OK) {
			free(owner);
			return -1;
		}
		for (size_t j = 0; j < ldns_rr_list_rr_count(recs); j++)
			want += ldns_rr_get_type(ldns_rr_list_rr(recs, j)) == ldns_rr_get_type(r) &&
			    ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(recs, j)),
			    ldns_rr_owner(r)) == 0;
		if (ldns_rr_list_rr_count(got) != want) {
			snprintf(why, whylen, "%s holds %zu record(s) after the reset, expected %zu",
			    owner, ldns_rr_list_rr_count(got), want);
			free(owner);
			ldns_rr_list_deep_free(got);
			return -1;
		}
		free(owner);
		ldns_rr_list_deep_free(got);
	}
	return 0;
}

static int
reset_server(const struct dnsup *u, const char *zone, const ldns_rr_list *recs, int dry)
{
	ldns_rr_list *up = reset_update(recs);
	char why[512];
	int rc = 0;

	if (dry) {
		char *s = ldns_rr_list2str(up);

		printf("server %s port %u zone %s: would send\n%s", u->server->addr,
		    u->server->port ? u->server->port : 53, zone, s ? s : "");
		free(s);
	} else if (dnsup_send(u, zone, NULL, up, why, sizeof(why)) != DNSUP_OK ||
	    confirm(u, recs, why, sizeof(why)) == -1) {
		fprintf(stderr, "dnsrr-reset: %s\n", why);
		rc = -1;
	} else
		printf("server %s port %u zone %s: %zu record(s) reset\n", u->server->addr,
		    u->server->port ? u->server->port : 53, zone, ldns_rr_list_rr_count(recs));
	ldns_rr_list_deep_free(up);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *keyfile = NULL, *servers = NULL, *zone = NULL;
	struct buf text = BUF_INIT;
	struct normaldns nd;
	struct node_list sl;
	struct tsig_key key;
	char why[512], zbuf[256];
	int ch, dry = 0, timeout = 3000, failed = 0;

	while ((ch = getopt(argc, argv, "nk:s:z:t:")) != -1) {
		switch (ch) {
		case 'n': dry = 1; break;
		case 'k': keyfile = optarg; break;
		case 's': servers = optarg; break;
		case 'z': zone = optarg; break;
		case 't': timeout = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || keyfile == NULL || timeout <= 0)
		usage();
	if (buf_read_file(&text, argv[optind], RESET_FILE_MAX) == -1) {
		fprintf(stderr, "dnsrr-reset: %s: %s\n", argv[optind], strerror(errno));
		return 2;
	}
	if (normaldns_parse(buf_str(&text), text.len, &nd, why, sizeof(why)) == -1) {
		fprintf(stderr, "dnsrr-reset: %s: %s\n", argv[optind], why);
		return 2;
	}
	buf_free(&text);
	if (tsig_load(keyfile, NULL, &key, why, sizeof(why)) == -1) {
		fprintf(stderr, "dnsrr-reset: %s\n", why);
		return 2;
	}
	if (servers == NULL && (servers = nd.servers) == NULL) {
		fprintf(stderr, "dnsrr-reset: no server: give -s or a server line\n");
		return 2;
	}
	if (node_addr_list_parse(servers, &sl, why, sizeof(why)) == -1) {
		fprintf(stderr, "dnsrr-reset: servers: %s\n", why);
		return 2;
	}
	for (size_t i = 0; i < sl.n; i++) {
		struct dnsup u = { &sl.v[i], &key, timeout };
		const char *z = zone ? zone : nd.zone[0] ? nd.zone : NULL;

		if (z == NULL) {
			char *owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(nd.records, 0)));

			if (dnsup_find_zone(&u, owner, zbuf, sizeof(zbuf), why, sizeof(why)) != DNSUP_OK) {
				fprintf(stderr, "dnsrr-reset: %s\n", why);
				free(owner);
				failed = 1;
				continue;
			}
			free(owner);
			z = zbuf;
		}
		if (reset_server(&u, z, nd.records, dry) == -1)
			failed = 1;
	}
	explicit_bzero(&key, sizeof(key));
	node_list_free(&sl);
	normaldns_free(&nd);
	return failed;
}
