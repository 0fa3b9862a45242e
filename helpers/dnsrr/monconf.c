/* failover-monitor.config; see monconf.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "understudy/conf.h"
#include "understudy/ocf.h"
#include "monconf.h"

struct num_key {
	const char	*name;
	size_t		 off;
	long		 min, max;	/* as the file says it */
	long		 scale;		/* to the unit of the field */
};

static const struct num_key num_keys[] = {
	{ "interval", offsetof(struct monconf, interval_ms), 1, 86400, 1000 },	/* seconds */
	{ "check_timeout", offsetof(struct monconf, check_timeout_ms), 10, 600000, 1 },
	{ "ttl", offsetof(struct monconf, ttl), 0, 86400, 1 },
	{ "rise", offsetof(struct monconf, rise), 1, 1000, 1 },
	{ "fall", offsetof(struct monconf, fall), 1, 1000, 1 },
	{ "min_records", offsetof(struct monconf, min_records), 0, 1000, 1 },
	{ "ssh_port", offsetof(struct monconf, ssh_port), 1, 65535, 1 },
	{ NULL, 0, 0, 0, 0 }
};

struct str_key {
	const char	*name;
	size_t		 off, len;
};

static const struct str_key str_keys[] = {
	{ "tsig_key_file", offsetof(struct monconf, tsig_key_file), 4096 },
	{ "zone", offsetof(struct monconf, zone), 256 },
	{ "ssh_user", offsetof(struct monconf, ssh_user), 64 },
	{ "ssh_key", offsetof(struct monconf, ssh_key), 4096 },
	{ "known_hosts", offsetof(struct monconf, known_hosts), 4096 },
	{ "scripts_path", offsetof(struct monconf, scripts_path), 1024 },
	{ NULL, 0, 0 }
};

/* The seed's failover-server protocol (a password over plain TCP) is gone. */
static const char *const obsolete[] = {
	"password", "clusternode_server_port", "local_server_port", "email",
	"failover_directory", NULL
};

static int
prefixed_number(const char *key, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(key, prefix, n) != 0 || key[n] == '\0')
		return 0;
	return strspn(key + n, "0123456789") == strlen(key + n);
}

static int
add_check(struct monconf *m, const char *v, char *why, size_t whylen)
{
	struct seed_check *nv = realloc(m->checks, (m->nchecks + 1) * sizeof(*nv));

	if (nv == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	m->checks = nv;
	if (seed_check_parse(v, &m->checks[m->nchecks], why, whylen) == -1)
		return -1;
	m->nchecks++;
	return 0;
}

static int
set_number(struct monconf *m, const struct num_key *k, const char *v, char *why, size_t whylen)
{
	long n;

	if (ocf_parse_long(v, &n) == -1 || n < k->min || n > k->max) {
		snprintf(why, whylen, "%s must be a number from %ld to %ld", k->name, k->min, k->max);
		return -1;
	}
	*(long *)(void *)((char *)m + k->off) = n * k->scale;
	return 0;
}

/* One key; returns 0, 1 for "warned", -1 on error. */
static int
one_key(struct monconf *m, const char *key, const char *v, struct buf *servers,
    char *why, size_t whylen)
{
	int b;

	if (prefixed_number(key, "check_server"))
		return add_check(m, v, why, whylen);
	if (prefixed_number(key, "bind8_dns_server") || prefixed_number(key, "dns_server")) {
		buf_printf(servers, "%s ", v);
		return 0;
	}
	for (const struct num_key *k = num_keys; k->name; k++)
		if (strcmp(key, k->name) == 0)
			return set_number(m, k, v, why, whylen);
	for (const struct str_key *k = str_keys; k->name; k++)
		if (strcmp(key, k->name) == 0) {
			if (strlen(v) >= k->len) {
				snprintf(why, whylen, "%s is too long", key);
				return -1;
			}
			snprintf((char *)m + k->off, k->len, "%s", v);
			return 0;
		}
	if (strcmp(key, "restart") == 0) {
		if (ocf_parse_bool(v, &b) == -1) {
			snprintf(why, whylen, "restart must be yes or no");
			return -1;
		}
		m->restart = b;
		return 0;
	}
	for (int i = 0; obsolete[i]; i++)
		if (strcmp(key, obsolete[i]) == 0) {
			snprintf(why, whylen, "%s is obsolete and ignored (restarts go over SSH with "
			    "key authentication)", key);
			return 1;
		}
	snprintf(why, whylen, "unknown key %s ignored", key);
	return 1;
}

static int
finish_conf(struct monconf *m, const char *path, struct buf *servers, char *why, size_t whylen)
{
	char sub[256];

	if (m->nchecks == 0) {
		snprintf(why, whylen, "%s: no check_serverN line", path);
		return -1;
	}
	if (node_addr_list_parse(buf_str(servers), &m->servers, sub, sizeof(sub)) == -1) {
		snprintf(why, whylen, "%s: DNS servers (bind8_dns_serverN): %s", path, sub);
		return -1;
	}
	if (m->tsig_key_file[0] == '\0') {
		snprintf(why, whylen, "%s: tsig_key_file is required: updates are always signed", path);
		return -1;
	}
	if (m->scripts_path[0] != '/') {
		snprintf(why, whylen, "%s: scripts_path must be absolute", path);
		return -1;
	}
	if (m->restart && (!m->ssh_user[0] || !m->ssh_key[0] || !m->known_hosts[0])) {
		snprintf(why, whylen, "%s: restart = yes needs ssh_user, ssh_key and known_hosts", path);
		return -1;
	}
	return 0;
}

int
monconf_parse(const char *text, size_t len, const char *path, struct monconf *m,
    struct buf *warn, char *why, size_t whylen)
{
	struct buf servers = BUF_INIT;
	struct conf c;
	char sub[256];
	int rc = -1;

	memset(m, 0, sizeof(*m));
	*m = (struct monconf){ .interval_ms = 10000, .check_timeout_ms = 2000, .ttl = 1, .rise = 2,
	    .fall = 2, .min_records = 1, .ssh_port = 22, .scripts_path = "/etc/init.d" };
	if (conf_parse(text, len, &c, sub, sizeof(sub)) == -1) {
		snprintf(why, whylen, "%s:%s", path, sub + 5);	/* "line N: …" */
		return -1;
	}
	for (size_t i = 0; i < c.n; i++) {
		int r = one_key(m, c.v[i].key, c.v[i].value, &servers, sub, sizeof(sub));

		if (r == -1) {
			snprintf(why, whylen, "%s:%d: %s", path, c.v[i].line, sub);
			goto out;
		}
		if (r == 1)
			buf_printf(warn, "%s:%d: %s\n", path, c.v[i].line, sub);
	}
	rc = finish_conf(m, path, &servers, why, whylen);
out:
	conf_free(&c);
	buf_free(&servers);
	if (rc == -1)
		monconf_free(m);
	return rc;
}

void
monconf_free(struct monconf *m)
{
	free(m->checks);
	m->checks = NULL;
	m->nchecks = 0;
	node_list_free(&m->servers);
}
