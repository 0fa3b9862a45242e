/* normal-dns parser; see normaldns.h. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "understudy/buf.h"
#include "normaldns.h"

#define ND_LINE_MAX	1024

static int
word(const char **p, char *out, size_t outlen)
{
	size_t n = 0;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	while (**p && **p != ' ' && **p != '\t') {
		if (n + 1 < outlen)
			out[n++] = **p;
		(*p)++;
	}
	out[n] = '\0';
	return n > 0;
}

static int
add_server(const char *rest, struct buf *servers, char *why, size_t whylen)
{
	char addr[256], port[16], extra[8], spec[300];
	struct node_list l;

	if (!word(&rest, addr, sizeof(addr))) {
		snprintf(why, whylen, "server needs an address");
		return -1;
	}
	if (word(&rest, port, sizeof(port)) && word(&rest, extra, sizeof(extra))) {
		snprintf(why, whylen, "server takes an address and a port");
		return -1;
	}
	snprintf(spec, sizeof(spec), strchr(addr, ':') ? "s=[%s]%s%s" : "s=%s%s%s", addr,
	    port[0] ? ":" : "", port);
	if (node_list_parse(spec, &l, why, whylen) == -1)
		return -1;
	node_list_free(&l);
	buf_printf(servers, "%s%s", servers->len ? " " : "", spec + 2);
	return 0;
}

/* The seed's lines always give a TTL; without one ldns would use 0. */
static int
has_ttl(const char *rest)
{
	char name[256], ttl[16];

	if (!word(&rest, name, sizeof(name)) || !word(&rest, ttl, sizeof(ttl)))
		return 0;
	for (const char *t = ttl; *t; t++)
		if (!isdigit((unsigned char)*t))
			return 0;
	return 1;
}

static int
add_record(struct normaldns *nd, const char *rest, char *why, size_t whylen)
{
	char verb[16];
	ldns_rr *rr = NULL;
	ldns_status st;

	if (!word(&rest, verb, sizeof(verb)) || strcmp(verb, "add") != 0) {
		snprintf(why, whylen, "only \"update add\" belongs in a baseline");
		return -1;
	}
	rest += strspn(rest, " \t");
	if (!has_ttl(rest)) {
		snprintf(why, whylen, "update add needs NAME TTL TYPE DATA");
		return -1;
	}
	if ((st = ldns_rr_new_frm_str(&rr, rest, 0, NULL, NULL)) != LDNS_STATUS_OK) {
		snprintf(why, whylen, "bad record: %s", ldns_get_errorstr_by_id(st));
		return -1;
	}
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		ldns_rr_free(rr);
		snprintf(why, whylen, "only class IN");
		return -1;
	}
	ldns_rr_list_push_rr(nd->records, rr);
	return 0;
}

static int
nd_line(struct normaldns *nd, const char *line, struct buf *servers, char *why, size_t whylen)
{
	char cmd[16], zone[256], extra[8];
	const char *p = line;

	if (!word(&p, cmd, sizeof(cmd)) || cmd[0] == ';' || cmd[0] == '#')
		return 0;
	if (strcmp(cmd, "send") == 0 || strcmp(cmd, "show") == 0)
		return 0;
	if (strcmp(cmd, "server") == 0)
		return add_server(p, servers, why, whylen);
	if (strcmp(cmd, "update") == 0)
		return add_record(nd, p, why, whylen);
	if (strcmp(cmd, "zone") == 0) {
		if (!word(&p, zone, sizeof(zone)) || word(&p, extra, sizeof(extra)) ||
		    (nd->zone[0] && strcasecmp(nd->zone, zone) != 0)) {
			snprintf(why, whylen, "zone takes one name, once");
			return -1;
		}
		snprintf(nd->zone, sizeof(nd->zone), "%s", zone);
		return 0;
	}
	snprintf(why, whylen, "unsupported command \"%.16s\"", cmd);
	return -1;
}

int
normaldns_parse(const char *text, size_t len, struct normaldns *nd, char *why, size_t whylen)
{
	struct buf servers = BUF_INIT;
	const char *p = text, *end = text + len, *nl;
	char line[ND_LINE_MAX], sub[200];
	int lineno = 1;

	memset(nd, 0, sizeof(*nd));
	nd->records = ldns_rr_list_new();
	for (; p < end; p = nl + 1, lineno++) {
		size_t n;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n >= sizeof(line) || memchr(p, '\0', n) != NULL) {
			snprintf(why, whylen, "line %d: %s", lineno, n >= sizeof(line) ?
			    "too long" : "NUL byte");
			goto fail;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (nd_line(nd, line, &servers, sub, sizeof(sub)) == -1) {
			snprintf(why, whylen, "line %d: %s", lineno, sub);
			goto fail;
		}
		if (nl == end)
			break;
	}
	if (ldns_rr_list_rr_count(nd->records) == 0) {
		snprintf(why, whylen, "no \"update add\" line");
		goto fail;
	}
	nd->servers = servers.len ? buf_steal(&servers) : NULL;
	buf_free(&servers);
	return 0;
fail:
	buf_free(&servers);
	normaldns_free(nd);
	return -1;
}

void
normaldns_free(struct normaldns *nd)
{
	ldns_rr_list_deep_free(nd->records);
	free(nd->servers);
	nd->records = NULL;
	nd->servers = NULL;
}
