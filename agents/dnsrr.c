/* ocf:understudy:dnsrr — this node's A/AAAA record in a round-robin name,
 * on every DNS server, for as long as the local service answers.
 *
 * start adds the record (RFC 2136, TSIG) on every server and confirms it by
 * query; stop withdraws it; monitor runs the health check and, after `fall`
 * consecutive failures, withdraws the record at once and reports an error,
 * and after `rise` successes puts it back. A withdrawal never leaves fewer
 * than `min_records` records (value-dependent prerequisite, retried).
 * Decisions where the contract is silent:
 *  - start with a failing service succeeds but holds the record out until
 *    the check passes `rise` times (the seed's "keep it out until fixed");
 *  - start succeeds when at least one server holds the record; monitor
 *    repairs the others;
 *  - stop never fails for DNS reasons (a failed stop means fencing, which
 *    would not remove a record either); what it could not do is logged;
 *  - a node that leaves the cluster without stopping (a crash) cannot
 *    withdraw its record: every other node's monitor withdraws the records
 *    of `address` entries that are out of its partition, from a quorate
 *    partition and once the cluster holds that node for down (fenced). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "understudy/buf.h"
#include "understudy/log.h"
#include "understudy/node.h"
#include "understudy/ocf.h"
#include "understudy/run.h"
#include "../helpers/dnsrr/check.h"
#include "../helpers/dnsrr/dnsup.h"
#include "../helpers/dnsrr/fanout.h"

enum {
	P_NAME, P_ADDRESS, P_ZONE, P_SERVERS, P_TTL, P_KEY, P_CHECK_HOST, P_CHECK_PORT,
	P_CHECK_SEND, P_CHECK_EXPECT, P_CHECK_TIMEOUT, P_RISE, P_FALL, P_MIN_RECORDS
};

static enum ocf_exitcode v_dns_name(const char *, char *, size_t);
static enum ocf_exitcode v_address(const char *, char *, size_t);
static enum ocf_exitcode v_servers(const char *, char *, size_t);
static enum ocf_exitcode v_key_file(const char *, char *, size_t);
static enum ocf_exitcode v_printable(const char *, char *, size_t);

static const struct ocf_param params[] = {
	{ "name", OCF_STRING, OCF_P_REQUIRED | OCF_P_POSITIONAL, NULL, 0, 0, v_dns_name,
	  "Round-robin name", "The name whose A/AAAA RRset holds one record per healthy node, "
	  "e.g. www.example.com." },
	{ "address", OCF_STRING, OCF_P_REQUIRED, NULL, 0, 0, v_address,
	  "This node's address", "The address this node serves the name on: one IPv4 or IPv6 "
	  "address (A or AAAA record), or, for a clone, a list \"node=address ...\" from "
	  "which each node takes its own." },
	{ "zone", OCF_STRING, 0, NULL, 0, 0, v_dns_name,
	  "Zone", "The zone to update. Default: found by asking the first server for the SOA." },
	{ "servers", OCF_STRING, OCF_P_REQUIRED, NULL, 0, 0, v_servers,
	  "DNS servers", "Every primary server that must carry the record, space-separated "
	  "address[:port] (IPv6 as [address]:port)." },
	{ "ttl", OCF_INTEGER, 0, "60", 0, 86400, NULL,
	  "TTL", "TTL of the record in seconds; keep it short so clients follow failover." },
	{ "tsig_key_file", OCF_STRING, OCF_P_REQUIRED, NULL, 0, 0, v_key_file,
	  "TSIG key file", "A BIND key file as tsig-keygen writes it (hmac-sha256 advised). "
	  "Updates are always signed; the secret is never logged." },
	{ "check_host", OCF_STRING, 0, NULL, 0, 0, v_printable,
	  "Checked host", "Where the health check connects. Default: this node's address." },
	{ "check_port", OCF_INTEGER, 0, "0", 0, 65535, NULL,
	  "Checked port", "TCP port of the local service; 0 disables the health check, and "
	  "the record then simply follows the resource." },
	{ "check_send", OCF_STRING, 0, NULL, 0, 0, v_printable,
	  "Request", "A line sent after connecting (CRLF is added), e.g. GET /robots.txt HTTP/1.0" },
	{ "check_expect", OCF_STRING, 0, NULL, 0, 0, v_printable,
	  "Expected reply", "A fragment that must appear in the first 4096 bytes of the reply." },
	{ "check_timeout", OCF_INTEGER, 0, "2000", 10, 600000, NULL,
	  "Check timeout (ms)", "Time for connect, request and reply together." },
	{ "rise", OCF_INTEGER, 0, "2", 1, 1000, NULL,
	  "Rise", "Consecutive successful checks before a withdrawn record goes back." },
	{ "fall", OCF_INTEGER, 0, "2", 1, 1000, NULL,
	  "Fall", "Consecutive failed checks before the record is withdrawn." },
	{ "min_records", OCF_INTEGER, 0, "1", 0, 1000, NULL,
	  "Minimum records", "A withdrawal that would leave fewer records in the RRset is "
	  "refused, so that the name never goes dark." },
	{ NULL }
};

struct dnsrr {
	char		 state[4096];
	char		 addr[NODE_ADDR_MAX];
	char		 zone[256];
	struct node_list servers;
	struct tsig_key	 key;
	ldns_rr		*rr;
	int		 ok_streak, fail_streak, withdrawn;
};

static struct dnsrr *
D(struct ocf_rsc *r)
{
	return r->priv;
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || strstr(s, "..") != NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return 0;
	return 1;
}

static enum ocf_exitcode
v_dns_name(const char *v, char *why, size_t whylen)
{
	if (!valid_name(v)) {
		snprintf(why, whylen, "is not a DNS name");
		return OCF_ERR_CONFIGURED;
	}
	return OCF_SUCCESS;
}

static int
is_ip(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static enum ocf_exitcode
v_address(const char *v, char *why, size_t whylen)
{
	struct node_list l;

	if (is_ip(v))
		return OCF_SUCCESS;
	if (node_list_parse(v, &l, why, whylen) == -1)
		return OCF_ERR_CONFIGURED;
	for (size_t i = 0; i < l.n; i++)
		if (!is_ip(l.v[i].addr) || l.v[i].port) {
			snprintf(why, whylen, "%s: \"%s\" is not an IP address", l.v[i].name, l.v[i].addr);
			node_list_free(&l);
			return OCF_ERR_CONFIGURED;
		}
	if (l.n == 0) {
		snprintf(why, whylen, "no address");
		return OCF_ERR_CONFIGURED;
	}
	node_list_free(&l);
	return OCF_SUCCESS;
}

static enum ocf_exitcode
v_servers(const char *v, char *why, size_t whylen)
{
	struct node_list l;

	if (node_addr_list_parse(v, &l, why, whylen) == -1)
		return OCF_ERR_CONFIGURED;
	node_list_free(&l);
	return OCF_SUCCESS;
}

static enum ocf_exitcode
v_key_file(const char *v, char *why, size_t whylen)
{
	struct tsig_key k;
	enum ocf_exitcode rc;

	if ((rc = ocf_v_readable(v, why, whylen)) != OCF_SUCCESS)
		return rc;
	if (tsig_load(v, NULL, &k, why, whylen) == -1) {
		explicit_bzero(&k, sizeof(k));
		return OCF_ERR_CONFIGURED;
	}
	explicit_bzero(&k, sizeof(k));
	return OCF_SUCCESS;
}

static enum ocf_exitcode
v_printable(const char *v, char *why, size_t whylen)
{
	for (const char *p = v; *p; p++)
		if (!isprint((unsigned char)*p)) {
			snprintf(why, whylen, "control characters are not allowed");
			return OCF_ERR_CONFIGURED;
		}
	if (strlen(v) >= 256) {
		snprintf(why, whylen, "longer than 255 bytes");
		return OCF_ERR_CONFIGURED;
	}
	return OCF_SUCCESS;
}

static void
dnsrr_setup(struct ocf_rsc *r)
{
	struct dnsrr *d = calloc(1, sizeof(*d));

	if (d == NULL)
		exit(ocf_fail(OCF_ERR_GENERIC, "out of memory"));
	ocf_rsctmp_path(r, "state", d->state, sizeof(d->state));
	r->priv = d;
}

static void
dnsrr_teardown(struct ocf_rsc *r)
{
	struct dnsrr *d = D(r);

	if (d->rr)
		ldns_rr_free(d->rr);
	node_list_free(&d->servers);
	explicit_bzero(&d->key, sizeof(d->key));
	free(d);
}

/* This node's address: the parameter itself, or our entry of its list. */
static enum ocf_exitcode
my_address(struct ocf_rsc *r, char *why, size_t whylen)
{
	struct dnsrr *d = D(r);
	struct node_list l;
	const struct node *me;
	char self[NODE_NAME_MAX];

	if (is_ip(ocf_str(r, P_ADDRESS))) {
		snprintf(d->addr, sizeof(d->addr), "%s", ocf_str(r, P_ADDRESS));
		return OCF_SUCCESS;
	}
	if (node_self(self, sizeof(self)) == -1 ||
	    node_list_parse(ocf_str(r, P_ADDRESS), &l, why, whylen) == -1) {
		snprintf(why, whylen, "cannot tell this node's name");
		return OCF_ERR_GENERIC;
	}
	if ((me = node_list_find(&l, self)) == NULL) {
		snprintf(why, whylen, "parameter address: no entry for this node (%s)", self);
		node_list_free(&l);
		return OCF_ERR_CONFIGURED;
	}
	snprintf(d->addr, sizeof(d->addr), "%s", me->addr);
	node_list_free(&l);
	return OCF_SUCCESS;
}

/* NAME TTL IN A|AAAA addr; NULL when it does not parse (text says what). */
static ldns_rr *
record_for(struct ocf_rsc *r, const char *addr, char *text, size_t textlen)
{
	ldns_rr *rr = NULL;

	snprintf(text, textlen, "%s%s %ld IN %s %s", ocf_str(r, P_NAME),
	    ocf_str(r, P_NAME)[strlen(ocf_str(r, P_NAME)) - 1] == '.' ? "" : ".",
	    ocf_int(r, P_TTL), strchr(addr, ':') ? "AAAA" : "A", addr);
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		return NULL;
	return rr;
}

static enum ocf_exitcode
dnsrr_validate(struct ocf_rsc *r, char *why, size_t whylen)
{
	struct dnsrr *d = D(r);
	enum ocf_exitcode rc;
	char text[512];

	if ((rc = my_address(r, why, whylen)) != OCF_SUCCESS)
		return rc;
	if (node_addr_list_parse(ocf_str(r, P_SERVERS), &d->servers, why, whylen) == -1 ||
	    tsig_load(ocf_str(r, P_KEY), NULL, &d->key, why, whylen) == -1)
		return OCF_ERR_CONFIGURED;
	if ((d->rr = record_for(r, d->addr, text, sizeof(text))) == NULL) {
		snprintf(why, whylen, "cannot build the record \"%s\"", text);
		return OCF_ERR_CONFIGURED;
	}
	snprintf(d->zone, sizeof(d->zone), "%s", ocf_str(r, P_ZONE));
	return OCF_SUCCESS;
}

static int
state_read(struct ocf_rsc *r)
{
	struct dnsrr *d = D(r);
	FILE *fp = fopen(d->state, "r");
	int n;

	if (fp == NULL)
		return -1;
	n = fscanf(fp, "%d %d %d", &d->withdrawn, &d->ok_streak, &d->fail_streak);
	fclose(fp);
	if (n != 3)
		d->withdrawn = d->ok_streak = d->fail_streak = 0;
	return 0;
}

static enum ocf_exitcode
state_write(struct ocf_rsc *r)
{
	struct dnsrr *d = D(r);
	struct buf line = BUF_INIT;
	int rc;

	buf_printf(&line, "%d %d %d\n", d->withdrawn, d->ok_streak, d->fail_streak);
	rc = buf_write_file(&line, d->state, 0644);
	buf_free(&line);
	if (rc == -1)
		return ocf_fail(OCF_ERR_GENERIC, "%s: %s", d->state, strerror(errno));
	return OCF_SUCCESS;
}

static struct dnsup
target(struct ocf_rsc *r, size_t i)
{
	struct dnsup u = { &D(r)->servers.v[i], &D(r)->key, 0 };

	u.timeout_ms = 3000;
	return u;
}

static enum ocf_exitcode
result_code(enum dnsup_result res)
{
	switch (res) {
	case DNSUP_OK:		return OCF_SUCCESS;
	case DNSUP_AUTH:
	case DNSUP_REJECTED:	return OCF_ERR_CONFIGURED;
	default:		return OCF_ERR_GENERIC;
	}
}

/* The zone, asked from the servers once per action when not configured. */
static enum dnsup_result
find_zone(struct ocf_rsc *r, char *why, size_t whylen)
{
	struct dnsrr *d = D(r);
	enum dnsup_result res = DNSUP_NETWORK;
	char *owner;

	if (d->zone[0])
		return DNSUP_OK;
	owner = ldns_rdf2str(ldns_rr_owner(d->rr));
	for (size_t i = 0; i < d->servers.n && res != DNSUP_OK; i++) {
		struct dnsup u = target(r, i);

		res = dnsup_find_zone(&u, owner, d->zone, sizeof(d->zone), why, whylen);
	}
	free(owner);
	return res;
}

/* Runs op on every server at once; logs what failed where. Returns how
 * many servers succeeded, with the most telling failure in *worst/why. */
static size_t
on_all_servers(struct ocf_rsc *r, enum fanout_op op, enum dnsup_result *worst, char *why,
    size_t whylen)
{
	struct dnsrr *d = D(r);
	struct fanout f = { &d->servers, &d->key, 3000, d->zone, d->rr,
	    (unsigned)ocf_int(r, P_MIN_RECORDS), NULL, 0, DNSUP_OK, "" };
	size_t ok;

	if ((*worst = find_zone(r, why, whylen)) != DNSUP_OK)
		return 0;
	if (fanout_run(&f, op) == -1)
		exit(ocf_fail(OCF_ERR_GENERIC, "out of memory"));
	for (size_t i = 0; i < d->servers.n; i++)
		if (f.per[i].repaired)
			log_warn("server %s had lost the record; restored", f.per[i].server->addr);
		else if (f.per[i].res != DNSUP_OK)
			log_warn("%s", f.per[i].why);
	*worst = f.worst;
	snprintf(why, whylen, "%s", f.why);
	ok = f.ok;
	fanout_free(&f);
	return ok;
}

/* Adds and confirms the record on every server; returns how many hold it. */
static size_t
publish(struct ocf_rsc *r, enum dnsup_result *worst, char *why, size_t whylen)
{
	return on_all_servers(r, FANOUT_ADD, worst, why, whylen);
}

static enum dnsup_result
withdraw(struct ocf_rsc *r, char *why, size_t whylen)
{
	enum dnsup_result worst;

	on_all_servers(r, FANOUT_WITHDRAW, &worst, why, whylen);
	return worst;
}

static int
check_configured(struct ocf_rsc *r)
{
	return ocf_int(r, P_CHECK_PORT) > 0;
}

static int
check_once(struct ocf_rsc *r, struct check_result *res)
{
	struct check_spec c = { .port = (unsigned)ocf_int(r, P_CHECK_PORT),
	    .timeout_ms = (int)ocf_int(r, P_CHECK_TIMEOUT) };

	snprintf(c.host, sizeof(c.host), "%s", ocf_is_set(r, P_CHECK_HOST) ?
	    ocf_str(r, P_CHECK_HOST) : D(r)->addr);
	snprintf(c.send, sizeof(c.send), "%s", ocf_str(r, P_CHECK_SEND));
	snprintf(c.expect, sizeof(c.expect), "%s", ocf_str(r, P_CHECK_EXPECT));
	return check_run(&c, res) == CHECK_OK;
}

static enum ocf_exitcode
dnsrr_start(struct ocf_rsc *r)
{
	struct dnsrr *d = D(r);
	struct check_result cr;
	enum dnsup_result worst;
	char why[512] = "";

	if (state_read(r) == 0 && !d->withdrawn)
		return OCF_SUCCESS;
	d->withdrawn = d->ok_streak = d->fail_streak = 0;
	if (check_configured(r) && !check_once(r, &cr)) {
		log_warn("service check failed (%s: %s); the record stays out until it passes "
		    "%ld time(s)", check_status_str(cr.status), cr.detail, ocf_int(r, P_RISE));
		d->withdrawn = 1;
		d->fail_streak = 1;
		return state_write(r);
	}
	if (publish(r, &worst, why, sizeof(why)) == 0)
		return ocf_fail(result_code(worst) == OCF_SUCCESS ? OCF_ERR_GENERIC :
		    result_code(worst), "no server took the record: %s", why);
	log_info("record %s published", d->addr);
	return state_write(r);
}

static enum ocf_exitcode
dnsrr_stop(struct ocf_rsc *r)
{
	struct dnsrr *d = D(r);
	char why[512] = "";

	if (state_read(r) == -1)
		return OCF_SUCCESS;
	if (!d->withdrawn && withdraw(r, why, sizeof(why)) != DNSUP_OK)
		log_err("stopping without a clean withdrawal: %s", why);
	if (unlink(d->state) == -1 && errno != ENOENT)
		return ocf_fail(OCF_ERR_GENERIC, "%s: %s", d->state, strerror(errno));
	return OCF_SUCCESS;
}

/* Puts the record back on a server that lost it (a restarted server
 * without a journal, an admin's mistake). */
static void
repair(struct ocf_rsc *r)
{
	enum dnsup_result worst;
	char why[512];

	on_all_servers(r, FANOUT_REPAIR, &worst, why, sizeof(why));
}

static enum ocf_exitcode
monitor_health(struct ocf_rsc *r)
{
	struct dnsrr *d = D(r);
	struct check_result cr;
	enum dnsup_result worst, res;
	char why[512] = "";

	if (check_once(r, &cr)) {
		d->ok_streak++;
		d->fail_streak = 0;
	} else {
		d->fail_streak++;
		d->ok_streak = 0;
	}
	if (d->withdrawn && d->ok_streak >= ocf_int(r, P_RISE) &&
	    publish(r, &worst, why, sizeof(why)) > 0) {
		d->withdrawn = 0;
		log_info("service answers again; record %s restored", d->addr);
	} else if (!d->withdrawn && d->fail_streak >= ocf_int(r, P_FALL)) {
		res = withdraw(r, why, sizeof(why));
		d->withdrawn = res == DNSUP_OK;
		state_write(r);
		return ocf_fail(OCF_ERR_GENERIC, "service check failed %d time(s): %s: %s; record %s",
		    d->fail_streak, check_status_str(cr.status), cr.detail,
		    res == DNSUP_OK ? "withdrawn" : why);
	}
	return state_write(r);
}

static int
word_in(const char *words, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = words; (p = strstr(p, w)) != NULL; p += n)
		if ((p == words || isspace((unsigned char)p[-1])) &&
		    (p[n] == '\0' || isspace((unsigned char)p[n])))
			return 1;
	return 0;
}

/* A node that crashed cannot withdraw its own record: the others do, for
 * every node of `address` that is out of this partition (crm_node -p), once
 * per absence (DNS_STATE.gone lists the names already withdrawn) — but
 * only from a quorate partition, and only once the cluster holds that node
 * for down (fenced). Behind a network cut both halves of a 2-node cluster
 * are quorate and each sees the other gone while both still reach the DNS
 * servers: the side that is about to be fenced must not withdraw the
 * survivor's record. */
static void
withdraw_departed(struct ocf_rsc *r)
{
	struct dnsrr *d = D(r);
	const char *argv[] = { "crm_node", "-p", NULL };
	struct buf part = BUF_INIT, gone = BUF_INIT, keep = BUF_INIT;
	struct run_cmd c = { .argv = argv, .timeout_ms = 5000, .out = &part };
	struct run_result res;
	struct node_list l;
	char path[4200], self[NODE_NAME_MAX], why[512], text[512];
	int quorate = -2, down = -1;	/* not asked yet: only when someone is gone */
	struct buf nodes = BUF_INIT;

	if (is_ip(ocf_str(r, P_ADDRESS)) || node_self(self, sizeof(self)) == -1 ||
	    node_list_parse(ocf_str(r, P_ADDRESS), &l, why, sizeof(why)) == -1)
		return;
	if (run(&c, &res) != RUN_EXITED || res.exit_code != 0 || !word_in(buf_str(&part), self))
		goto out;	/* not in a cluster, or not in its partition */
	snprintf(path, sizeof(path), "%s.gone", d->state);
	buf_read_file(&gone, path, 65536);
	for (size_t i = 0; i < l.n; i++) {
		const char *name = l.v[i].name;
		ldns_rr *mine = d->rr;

		if (strcmp(name, self) == 0 || word_in(buf_str(&part), name))
			continue;
		if (word_in(buf_str(&gone), name)) {
			buf_printf(&keep, "%s\n", name);
			continue;
		}
		if (quorate == -2 && (quorate = ocf_cluster_quorate()) == 1 &&
		    ocf_cluster_nodes_xml(&nodes) != OCF_SUCCESS)
			quorate = -1;	/* asked once per monitor, not per node */
		if (quorate != 1 || (down = ocf_nodes_xml_down_clean(buf_str(&nodes), name)) != 1) {
			log_debug("node %s is out of this partition, but %s: its record stays", name,
			    quorate != 1 ? "this partition's quorum is not known to be held" :
			    down == 0 ? "it is not fenced yet" : "crm_mon's node list is unreadable");
			continue;
		}
		if ((d->rr = record_for(r, l.v[i].addr, text, sizeof(text))) == NULL) {
			d->rr = mine;
			continue;
		}
		if (withdraw(r, why, sizeof(why)) == DNSUP_OK) {
			log_info("node %s is out of the cluster: its record %s withdrawn", name,
			    l.v[i].addr);
			buf_printf(&keep, "%s\n", name);
		} else
			log_warn("node %s is out of the cluster; withdrawing %s: %s", name,
			    l.v[i].addr, why);
		ldns_rr_free(d->rr);
		d->rr = mine;
	}
	if (strcmp(buf_str(&keep), buf_str(&gone)) != 0)
		buf_write_file(&keep, path, 0644);
out:
	node_list_free(&l);
	buf_free(&nodes);
	buf_free(&part);
	buf_free(&gone);
	buf_free(&keep);
}

static enum ocf_exitcode
dnsrr_monitor(struct ocf_rsc *r)
{
	enum ocf_exitcode rc;

	if (state_read(r) == -1)
		return OCF_NOT_RUNNING;
	if (ocf_is_probe(r))
		return OCF_SUCCESS;
	rc = check_configured(r) ? monitor_health(r) : OCF_SUCCESS;
	if (rc == OCF_SUCCESS && !D(r)->withdrawn)
		repair(r);
	withdraw_departed(r);
	return rc;
}

static const struct ocf_action actions[] = {
	{ "start", dnsrr_start, 30, 0, NULL, 0 },
	{ "stop", dnsrr_stop, 30, 0, NULL, 0 },
	{ "monitor", dnsrr_monitor, 20, 10, NULL, 0 },
	{ NULL }
};

static const struct ocf_agent agent = {
	.name = "dnsrr",
	.version = PACKAGE_VERSION,
	.shortdesc = "DNS round-robin record with health-checked failover",
	.longdesc = "Keeps this node's A or AAAA record in a round-robin name on every DNS "
	    "server, by TSIG-signed RFC 2136 updates, for as long as the local service "
	    "answers its health check. After fall failed checks the record is withdrawn at "
	    "once (never leaving fewer than min_records) and an error is reported; after "
	    "rise good checks it goes back. Monitor also repairs a server that lost it, and "
	    "withdraws the records of address entries whose nodes left the cluster (a crashed "
	    "node cannot withdraw its own), once per absence: only from a partition that has "
	    "quorum, and only once the cluster holds that node for down, that is once it is "
	    "fenced (crm_mon: offline, not unclean). Behind a network cut of a 2-node cluster "
	    "both halves keep quorum and see each other gone; the half that is about to be "
	    "fenced withdraws nothing. With stonith-enabled=false Pacemaker takes a lost node "
	    "for down at once, and both halves withdraw each other's records while both still "
	    "serve: configure fencing.",
	.params = params,
	.actions = actions,
	.validate = dnsrr_validate,
	.setup = dnsrr_setup,
	.teardown = dnsrr_teardown,
};

int
main(int argc, char **argv)
{
	return ocf_main(&agent, argc, argv);
}
