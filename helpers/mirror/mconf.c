/* mirror.conf and the list parameters; see mconf.h. */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "understudy/conf.h"
#include "understudy/ocf.h"
#include "mconf.h"

void
mirror_roots_free(struct mroot *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].src);
		free(r[i].dest);
	}
	free(r);
}

static int
clean_abs(const char *p, const char *what, const char *entry, char *why, size_t whylen)
{
	if (p[0] != '/') {
		snprintf(why, whylen, "%s \"%.200s\" in \"%.200s\" is not an absolute path", what, p,
		    entry);
		return -1;
	}
	for (const char *c = p; *c; c++) {
		if (c[0] == '/' && c[1] == '/') {
			snprintf(why, whylen, "%s \"%.200s\" has an empty component", what, p);
			return -1;
		}
		if (c[0] == '/' && c[1] == '.' && (c[2] == '/' || c[2] == '\0' ||
		    (c[2] == '.' && (c[3] == '/' || c[3] == '\0')))) {
			snprintf(why, whylen, "%s \"%.200s\" has a . or .. component", what, p);
			return -1;
		}
		if ((unsigned char)*c < ' ') {
			snprintf(why, whylen, "%s \"%.200s\" has a control character", what, p);
			return -1;
		}
	}
	return 0;
}

static char *
strip_slash(const char *s)
{
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		n--;
	return strndup(s, n);
}

static int
root_parse(const char *w, struct mroot *r, char *why, size_t whylen)
{
	const char *eq = strchr(w, '=');
	char *src = eq ? strndup(w, (size_t)(eq - w)) : strdup(w);
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (src == NULL)
		goto out;
	if (clean_abs(src, "source", w, why, whylen) == -1 ||
	    (eq && clean_abs(eq + 1, "destination", w, why, whylen) == -1))
		goto out;
	r->contents = src[strlen(src) - 1] == '/';
	r->src = strip_slash(src);
	if (eq) {
		r->dest = strip_slash(eq + 1);
	} else if (r->contents) {
		r->dest = strdup(r->src);
	} else {
		char *slash = strrchr(r->src, '/');

		r->dest = slash == r->src ? strdup("/") : strndup(r->src, (size_t)(slash - r->src));
	}
	if (r->src == NULL || r->dest == NULL)
		goto out;
	if (strcmp(r->src, "/") == 0) {
		snprintf(why, whylen, "\"/\" cannot be mirrored as a whole; name the directories");
		goto out;
	}
	rc = 0;
out:
	free(src);
	if (rc == -1) {
		free(r->src);
		free(r->dest);
		r->src = r->dest = NULL;
	}
	return rc;
}

int
mirror_paths_parse(const char *spec, struct mroot **out, size_t *nout, char *why, size_t whylen)
{
	char **w;
	size_t n;
	struct mroot *r;

	*out = NULL;
	*nout = 0;
	if (conf_words_parse(spec, &w, &n, why, whylen) == -1)
		return -1;
	if (n == 0) {
		snprintf(why, whylen, "no path given");
		conf_words_free(w, n);
		return -1;
	}
	if ((r = calloc(n, sizeof(*r))) == NULL) {
		snprintf(why, whylen, "out of memory");
		conf_words_free(w, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (root_parse(w[i], &r[i], why, whylen) == -1) {
			mirror_roots_free(r, i);
			conf_words_free(w, n);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(r[j].src, r[i].src) == 0) {
				snprintf(why, whylen, "\"%.200s\" is listed twice", r[i].src);
				mirror_roots_free(r, i + 1);
				conf_words_free(w, n);
				return -1;
			}
	}
	conf_words_free(w, n);
	*out = r;
	*nout = n;
	return 0;
}

int
mirror_excluded(char *const *pats, size_t n, const char *rel, int is_dir)
{
	const char *base = strrchr(rel, '/');

	base = base ? base + 1 : rel;
	for (size_t i = 0; i < n; i++) {
		char pat[4096];
		size_t len = strlen(pats[i]);
		const char *p = pats[i];

		if (len == 0 || len >= sizeof(pat))
			continue;
		memcpy(pat, p, len + 1);
		if (pat[len - 1] == '/') {
			if (!is_dir)
				continue;
			pat[--len] = '\0';
			if (len == 0)
				continue;
		}
		if (strchr(pat, '/') == NULL) {
			if (fnmatch(pat, base, 0) == 0)
				return 1;
		} else if (fnmatch(pat[0] == '/' ? pat + 1 : pat, rel, FNM_PATHNAME) == 0) {
			return 1;
		}
	}
	return 0;
}

static int
text(const struct conf *c, const char *key, const char *dflt, char **out, char *why, size_t whylen)
{
	const char *v = conf_get(c, key);

	if (v == NULL || *v == '\0')
		v = dflt;
	if (v == NULL) {
		snprintf(why, whylen, "missing setting %s", key);
		return -1;
	}
	return (*out = strdup(v)) ? 0 : -1;
}

static int
number(const struct conf *c, const char *key, long dflt, long min, long max, long *out,
    char *why, size_t whylen)
{
	const char *v = conf_get(c, key);
	int b;

	*out = dflt;
	if (v == NULL)
		return 0;
	if (max == 1 && ocf_parse_bool(v, &b) == 0) {
		*out = b;
		return 0;
	}
	if (ocf_parse_long(v, out) == -1 || *out < min || *out > max) {
		snprintf(why, whylen, "%s = %s: want %ld to %ld", key, v, min, max);
		return -1;
	}
	return 0;
}

int
mirror_conf_load(const char *path, struct mirror_conf *mc, char *why, size_t whylen)
{
	struct conf c = { 0 };
	long del, xa, acl, cto, ito;
	char sub[512];
	int rc = -1;

	memset(mc, 0, sizeof(*mc));
	if (conf_load(path, &c, why, whylen) == -1)
		return -1;
	if (text(&c, "self", NULL, &mc->self, why, whylen) ||
	    text(&c, "ssh_user", "root", &mc->ssh_user, why, whylen) ||
	    text(&c, "ssh_key", NULL, &mc->ssh_key, why, whylen) ||
	    text(&c, "known_hosts", NULL, &mc->known_hosts, why, whylen) ||
	    text(&c, "state_dir", "/var/lib/understudy/mirror", &mc->state_dir, why, whylen) ||
	    text(&c, "conflict_dir", "", &mc->conflict_dir, why, whylen) ||
	    text(&c, "remote_program", "mirror-serve", &mc->remote_program, why, whylen) ||
	    number(&c, "delete", 1, 0, 1, &del, why, whylen) ||
	    number(&c, "max_delete", 1000, 0, 1L << 40, &mc->max_delete, why, whylen) ||
	    number(&c, "interval", 600, 0, 86400 * 7, &mc->interval, why, whylen) ||
	    number(&c, "xattrs", 0, 0, 1, &xa, why, whylen) ||
	    number(&c, "acls", 0, 0, 1, &acl, why, whylen) ||
	    number(&c, "connect_timeout_ms", 5000, 100, 3600000, &cto, why, whylen) ||
	    number(&c, "io_timeout_ms", 60000, 100, 3600000, &ito, why, whylen))
		goto out;
	mc->delete = (int)del;
	mc->xattrs = (int)xa;
	mc->acls = (int)acl;
	mc->connect_timeout_ms = (int)cto;
	mc->io_timeout_ms = (int)ito;
	if (conf_get(&c, "paths") == NULL ||
	    mirror_paths_parse(conf_get(&c, "paths"), &mc->roots, &mc->nroots, sub,
	    sizeof(sub)) == -1) {
		snprintf(why, whylen, "paths: %s", conf_get(&c, "paths") ? sub : "missing");
		goto out;
	}
	if (conf_get(&c, "exclude") &&
	    conf_words_parse(conf_get(&c, "exclude"), &mc->excludes, &mc->nexcludes, sub,
	    sizeof(sub)) == -1) {
		snprintf(why, whylen, "exclude: %s", sub);
		goto out;
	}
	if (conf_get(&c, "nodes") == NULL ||
	    node_list_parse(conf_get(&c, "nodes"), &mc->nodes, sub, sizeof(sub)) == -1) {
		snprintf(why, whylen, "nodes: %s", conf_get(&c, "nodes") ? sub : "missing");
		goto out;
	}
	if (node_list_find(&mc->nodes, mc->self) == NULL) {
		snprintf(why, whylen, "self = %s is not one of nodes", mc->self);
		goto out;
	}
	rc = 0;
out:
	conf_free(&c);
	if (rc == -1)
		mirror_conf_free(mc);
	return rc;
}

void
mirror_conf_free(struct mirror_conf *mc)
{
	free(mc->self);
	node_list_free(&mc->nodes);
	mirror_roots_free(mc->roots, mc->nroots);
	conf_words_free(mc->excludes, mc->nexcludes);
	free(mc->ssh_user);
	free(mc->ssh_key);
	free(mc->known_hosts);
	free(mc->state_dir);
	free(mc->conflict_dir);
	free(mc->remote_program);
	memset(mc, 0, sizeof(*mc));
}

void
mirror_ssh_opts(const struct mirror_conf *c, const struct node *nd, struct ssh_opts *o)
{
	ssh_opts_node(o, nd, c->ssh_user, c->ssh_key, c->known_hosts, c->connect_timeout_ms,
	    c->io_timeout_ms);
}

int
mirror_mkdirs(const char *path)
{
	char p[4096];

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			return -1;
		*c = '/';
	}
	return mkdir(p, 0700) == -1 && errno != EEXIST ? -1 : 0;
}
