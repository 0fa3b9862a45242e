/* pgwarm-archive.conf: the settings the agent hands the archive helpers. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "understudy/conf.h"
#include "understudy/ocf.h"
#include "understudy/ssh.h"
#include "ship.h"

static int
want(const struct conf *c, const char *key, char **out, char *why, size_t whylen)
{
	const char *v = conf_get(c, key);

	if (v == NULL || *v == '\0') {
		snprintf(why, whylen, "missing setting %s", key);
		return -1;
	}
	return (*out = strdup(v)) ? 0 : -1;
}

static int
ms_setting(const struct conf *c, const char *key, long dflt, int *out, char *why, size_t whylen)
{
	const char *v = conf_get(c, key);
	long n = dflt;

	if (v && (ocf_parse_long(v, &n) == -1 || n < 100 || n > 3600000)) {
		snprintf(why, whylen, "%s = %s: want milliseconds, 100 to 3600000", key, v);
		return -1;
	}
	*out = (int)n;
	return 0;
}

int
ship_conf_load(const char *path, struct ship_conf *sc, char *why, size_t whylen)
{
	struct conf c = { 0 };
	const char *req, *comp;
	char sub[512];
	int rc = -1;

	memset(sc, 0, sizeof(*sc));
	if (conf_load(path, &c, why, whylen) == -1)
		return -1;
	if (want(&c, "self", &sc->self, why, whylen) ||
	    want(&c, "archive_dir", &sc->archive_dir, why, whylen) ||
	    want(&c, "ssh_user", &sc->ssh_user, why, whylen) ||
	    want(&c, "ssh_key", &sc->ssh_key, why, whylen) ||
	    want(&c, "known_hosts", &sc->known_hosts, why, whylen) ||
	    want(&c, "remote_program", &sc->remote_program, why, whylen) ||
	    ms_setting(&c, "connect_timeout_ms", 5000, &sc->connect_timeout_ms, why, whylen) ||
	    ms_setting(&c, "io_timeout_ms", 30000, &sc->io_timeout_ms, why, whylen))
		goto out;
	if (conf_get(&c, "nodes") == NULL ||
	    node_list_parse(conf_get(&c, "nodes"), &sc->nodes, sub, sizeof(sub)) == -1) {
		snprintf(why, whylen, "nodes: %s", conf_get(&c, "nodes") ? sub : "missing");
		goto out;
	}
	if (node_list_find(&sc->nodes, sc->self) == NULL) {
		snprintf(why, whylen, "self = %s is not one of nodes", sc->self);
		goto out;
	}
	req = conf_get(&c, "archive_require");
	if (req && strcmp(req, "all") != 0 && strcmp(req, "any") != 0) {
		snprintf(why, whylen, "archive_require = %s: want all or any", req);
		goto out;
	}
	sc->require_all = req == NULL || strcmp(req, "all") == 0;
	comp = conf_get(&c, "compress");
	if (comp && strcmp(comp, "lz4") != 0 && strcmp(comp, "none") != 0) {
		snprintf(why, whylen, "compress = %s: want lz4 or none", comp);
		goto out;
	}
	sc->compress = comp == NULL || strcmp(comp, "lz4") == 0;
	sc->pgport = 5432;
	if (conf_get(&c, "pgport") != NULL) {
		char *end;

		sc->pgport = strtol(conf_get(&c, "pgport"), &end, 10);
		if (*end != '\0' || sc->pgport < 1 || sc->pgport > 65535) {
			snprintf(why, whylen, "pgport = %s: want 1..65535", conf_get(&c, "pgport"));
			goto out;
		}
	}
	rc = 0;
out:
	conf_free(&c);
	if (rc == -1)
		ship_conf_free(sc);
	return rc;
}

void
ship_conf_free(struct ship_conf *sc)
{
	free(sc->self);
	free(sc->archive_dir);
	free(sc->ssh_user);
	free(sc->ssh_key);
	free(sc->known_hosts);
	free(sc->remote_program);
	node_list_free(&sc->nodes);
	memset(sc, 0, sizeof(*sc));
}

void
ship_ssh_opts(const struct ship_conf *c, const struct node *nd, struct ssh_opts *o)
{
	ssh_opts_node(o, nd, c->ssh_user, c->ssh_key, c->known_hosts, c->connect_timeout_ms,
	    c->io_timeout_ms);
}
