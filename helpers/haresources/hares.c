/* haresources parsing and conversion (see hares.h). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hares.h"

#define MAX_ARGS	8

struct tok {
	char	*s;
	int	 line, col;
};

/* The understudy agents and the parameter their first "::" argument
 * fills (their OCF_P_POSITIONAL parameter). */
static const struct {
	const char *agent, *positional;
} understudy[] = {
	{ "pgwarm", "pgdata" },
	{ "mirror", "paths" },
	{ "dnsrr", "name" },
	{ "zmworker", "max_parallel" },
	{ NULL, NULL }
};

static int
fail(char *why, size_t whylen, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
fail(char *why, size_t whylen, int line, int col, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(why, whylen, "%d:%d: %s", line, col, msg);
	return -1;
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		abort();
	return p;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		abort();
	return p;
}

static int
chars_ok(const char *s, const char *extra)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

static void
add_param(struct hr_rsc *r, const char *name, const char *value)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, name) == 0) {
			free(r->params[i].value);
			r->params[i].value = xstrndup(value, strlen(value));
			return;
		}
	r->params = xrealloc(r->params, (r->nparams + 1) * sizeof(*r->params));
	r->params[r->nparams].name = xstrndup(name, strlen(name));
	r->params[r->nparams++].value = xstrndup(value, strlen(value));
}

static int
is_ipv4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

/* "ip[/bits[/iface[/broadcast]]]", the IPaddr form. */
static int
ipaddr(struct hr_rsc *r, const char *spec, char *why, size_t whylen)
{
	char *copy = xstrndup(spec, strlen(spec)), *f[5], *save = NULL, *p;
	size_t n = 0;
	int rc = -1;

	for (p = strtok_r(copy, "/", &save); p && n < 5; p = strtok_r(NULL, "/", &save))
		f[n++] = p;
	if (n == 0 || n > 4 || !is_ipv4(f[0]))
		fail(why, whylen, r->line, r->col, "\"%s\": not IPv4[/bits[/interface["
		    "/broadcast]]]", spec);
	else if (n > 1 && (!chars_ok(f[1], "") || atoi(f[1]) < 1 || atoi(f[1]) > 32))
		fail(why, whylen, r->line, r->col, "\"%s\": netmask bits must be 1..32", spec);
	else if (n > 2 && (!chars_ok(f[2], "_.:-") || strlen(f[2]) > 15))
		fail(why, whylen, r->line, r->col, "\"%s\": bad interface name", spec);
	else if (n > 3 && !is_ipv4(f[3]))
		fail(why, whylen, r->line, r->col, "\"%s\": bad broadcast address", spec);
	else {
		r->kind = HR_IPADDR2;
		add_param(r, "ip", f[0]);
		if (n > 1)
			add_param(r, "cidr_netmask", f[1]);
		if (n > 2)
			add_param(r, "nic", f[2]);
		if (n > 3)
			add_param(r, "broadcast", f[3]);
		rc = 0;
	}
	free(copy);
	return rc;
}

static int
ipv6addr(struct hr_rsc *r, const char *spec, char *why, size_t whylen)
{
	char *copy = xstrndup(spec, strlen(spec)), *slash = strchr(copy, '/'), *nic = NULL;
	struct in6_addr a;
	int rc = -1;

	if (slash != NULL) {
		*slash++ = '\0';
		if ((nic = strchr(slash, '/')) != NULL)
			*nic++ = '\0';
	}
	if (inet_pton(AF_INET6, copy, &a) != 1)
		fail(why, whylen, r->line, r->col, "\"%s\": not IPv6[/prefix[/interface]]", spec);
	else if (slash && (!chars_ok(slash, "") || atoi(slash) < 1 || atoi(slash) > 128))
		fail(why, whylen, r->line, r->col, "\"%s\": prefix length must be 1..128", spec);
	else if (nic && (!chars_ok(nic, "_.:-") || strlen(nic) > 15))
		fail(why, whylen, r->line, r->col, "\"%s\": bad interface name", spec);
	else {
		r->kind = HR_IPV6;
		add_param(r, "ipv6addr", copy);
		if (slash)
			add_param(r, "cidr_netmask", slash);
		if (nic)
			add_param(r, "nic", nic);
		rc = 0;
	}
	free(copy);
	return rc;
}

static void
conf_add(const char *name, const char *value, void *arg)
{
	add_param(arg, name, value);
}

static int
understudy_rsc(struct hr_rsc *r, int idx, char **args, size_t nargs, hr_conf_fn conf,
    void *ctx, char *why, size_t whylen)
{
	if (nargs > 1)
		return fail(why, whylen, r->line, r->col, "%s takes one argument (%s), not %zu",
		    r->script, understudy[idx].positional, nargs);
	r->kind = HR_UNDERSTUDY;
	if (conf != NULL)
		conf(r->script, conf_add, r, ctx);
	if (nargs == 1)
		add_param(r, understudy[idx].positional, args[0]);
	return 0;
}

/* Is the part of s before any '/' an IPv4 address? */
static int
ipv4_head(const char *s)
{
	char head[INET_ADDRSTRLEN + 1];
	size_t n = strcspn(s, "/");

	if (n >= sizeof(head))
		return 0;
	memcpy(head, s, n);
	head[n] = '\0';
	return is_ipv4(head);
}

static int
resource(struct hr_rsc *r, const struct tok *t, hr_conf_fn conf, void *ctx, char *why,
    size_t whylen)
{
	char *args[MAX_ARGS];
	size_t nargs = 0;
	const char *p = t->s, *sep;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->line = t->line;
	r->col = t->col;
	r->text = xstrndup(t->s, strlen(t->s));
	sep = strstr(p, "::");
	r->script = xstrndup(p, sep ? (size_t)(sep - p) : strlen(p));
	while (sep != NULL) {
		const char *a = sep + 2, *next = strstr(a, "::");
		size_t len;

		if (strcmp(r->script, "IPv6addr") == 0)
			next = NULL;	/* its one argument has "::" of its own */
		len = next ? (size_t)(next - a) : strlen(a);

		if (len == 0) {
			fail(why, whylen, t->line, t->col + (int)(a - t->s),
			    "empty argument after \"::\"");
			goto out;
		}
		if (nargs == MAX_ARGS) {
			fail(why, whylen, t->line, t->col + (int)(a - t->s), "more than %d arguments",
			    MAX_ARGS);
			goto out;
		}
		args[nargs++] = xstrndup(a, len);
		sep = next;
	}
	if (nargs == 0 && ipv4_head(r->script))
		rc = ipaddr(r, r->script, why, whylen);
	else if (strcmp(r->script, "IPaddr") == 0 || strcmp(r->script, "IPaddr2") == 0) {
		if (nargs != 1)
			fail(why, whylen, t->line, t->col, "%s takes one argument: "
			    "ip[/bits[/interface[/broadcast]]]", r->script);
		else
			rc = ipaddr(r, args[0], why, whylen);
	} else if (strcmp(r->script, "IPv6addr") == 0) {
		if (nargs != 1)
			fail(why, whylen, t->line, t->col, "IPv6addr takes one argument: "
			    "address[/prefix[/interface]]");
		else
			rc = ipv6addr(r, args[0], why, whylen);
	} else if (strcmp(r->script, "Filesystem") == 0) {
		if (nargs < 2 || nargs > 4)
			fail(why, whylen, t->line, t->col, "Filesystem::device::directory"
			    "[::fstype[::options]] expected");
		else if (args[1][0] != '/')
			fail(why, whylen, t->line, t->col, "Filesystem: the directory \"%s\" is not "
			    "absolute", args[1]);
		else {
			static const char *const names[] = { "device", "directory", "fstype",
			    "options" };

			r->kind = HR_FILESYSTEM;
			for (size_t i = 0; i < nargs; i++)
				add_param(r, names[i], args[i]);
			rc = 0;
		}
	} else {
		int i;

		for (i = 0; understudy[i].agent && strcmp(understudy[i].agent, r->script); i++)
			;
		if (understudy[i].agent != NULL)
			rc = understudy_rsc(r, i, args, nargs, conf, ctx, why, whylen);
		else if (!chars_ok(r->script, "@._+-") || r->script[0] == '.' ||
		    r->script[0] == '-')
			fail(why, whylen, t->line, t->col, "\"%s\": not a resource (an address, "
			    "IPaddr::, IPaddr2::, IPv6addr::, Filesystem::, an understudy agent "
			    "or an init script name)", t->s);
		else if (nargs > 0)
			fail(why, whylen, t->line, t->col, "%s: an init script takes no "
			    "arguments (only IPaddr, IPaddr2, IPv6addr, Filesystem and the "
			    "understudy agents are converted with them)", r->script);
		else {
			r->kind = HR_SERVICE;
			rc = 0;
		}
	}
out:
	for (size_t i = 0; i < nargs; i++)
		free(args[i]);
	return rc;
}

/* Splits text into logical lines of tokens: a backslash at the end of a
 * line continues it, '#' at the start of a token comments out the rest of
 * its physical line. */
static int
tokenize_line(const char **pp, const char *end, int *line, struct tok **toks, size_t *ntok,
    char *why, size_t whylen)
{
	const char *p = *pp, *bol = p;
	int col;

	*ntok = 0;
	while (p < end) {
		if (*p == '\n') {
			p++;
			(*line)++;
			if (*ntok > 0)
				break;
			bol = p;
			continue;
		}
		if (*p == '\\' && (p + 1 == end || p[1] == '\n')) {
			p += 2;
			(*line)++;
			bol = p;
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
			continue;
		}
		if (*p == '#') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		col = (int)(p - bol) + 1;
		const char *s = p;

		while (p < end && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' &&
		    !(*p == '\\' && (p + 1 == end || p[1] == '\n'))) {
			if (*p == '\0' || (unsigned char)*p < 0x20)
				return fail(why, whylen, *line, (int)(p - bol) + 1,
				    "control character 0x%02x", (unsigned char)*p);
			p++;
		}
		*toks = xrealloc(*toks, (*ntok + 1) * sizeof(**toks));
		(*toks)[*ntok].s = xstrndup(s, (size_t)(p - s));
		(*toks)[*ntok].line = *line;
		(*toks)[(*ntok)++].col = col;
	}
	*pp = p;
	return 0;
}

static void
toks_free(struct tok *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].s);
}

int
hr_parse(const char *text, size_t len, hr_conf_fn conf, void *ctx, struct hr_file *f,
    char *why, size_t whylen)
{
	const char *p = text, *end = text + len;
	struct tok *toks = NULL;
	size_t ntok;
	int line = 1;

	memset(f, 0, sizeof(*f));
	while (p < end) {
		struct hr_group *g;

		if (tokenize_line(&p, end, &line, &toks, &ntok, why, whylen) < 0)
			goto bad;
		if (ntok == 0)
			continue;
		if (!chars_ok(toks[0].s, "._-") || strlen(toks[0].s) > 63) {
			fail(why, whylen, toks[0].line, toks[0].col, "\"%s\": not a node name",
			    toks[0].s);
			goto bad;
		}
		if (ntok == 1) {
			fail(why, whylen, toks[0].line, toks[0].col, "node %s has no resources",
			    toks[0].s);
			goto bad;
		}
		f->groups = xrealloc(f->groups, (f->ngroups + 1) * sizeof(*f->groups));
		g = &f->groups[f->ngroups++];
		memset(g, 0, sizeof(*g));
		g->node = xstrndup(toks[0].s, strlen(toks[0].s));
		g->line = toks[0].line;
		g->rsc = calloc(ntok - 1, sizeof(*g->rsc));
		if (g->rsc == NULL)
			abort();
		for (size_t i = 1; i < ntok; i++) {
			if (resource(&g->rsc[g->nrsc], &toks[i], conf, ctx, why, whylen) < 0) {
				g->nrsc++;	/* freed with the rest */
				goto bad;
			}
			g->nrsc++;
		}
		toks_free(toks, ntok);
	}
	free(toks);
	return 0;
bad:
	toks_free(toks, ntok);
	free(toks);
	hr_free(f);
	return -1;
}

void
hr_free(struct hr_file *f)
{
	for (size_t i = 0; i < f->ngroups; i++) {
		struct hr_group *g = &f->groups[i];

		for (size_t j = 0; j < g->nrsc; j++) {
			struct hr_rsc *r = &g->rsc[j];

			for (size_t k = 0; k < r->nparams; k++) {
				free(r->params[k].name);
				free(r->params[k].value);
			}
			free(r->params);
			free(r->script);
			free(r->text);
		}
		free(g->rsc);
		free(g->node);
	}
	free(f->groups);
	memset(f, 0, sizeof(*f));
}

/* ------------------------------------------------------------ output */

static const char *
agent_of(const struct hr_rsc *r, int systemd, char *out, size_t outlen)
{
	switch (r->kind) {
	case HR_IPADDR2:
		return "ocf:heartbeat:IPaddr2";
	case HR_IPV6:
		return "ocf:heartbeat:IPv6addr";
	case HR_FILESYSTEM:
		return "ocf:heartbeat:Filesystem";
	case HR_UNDERSTUDY:
		snprintf(out, outlen, "ocf:understudy:%s", r->script);
		return out;
	case HR_SERVICE:
		snprintf(out, outlen, "%s:%s", systemd ? "systemd" : "lsb", r->script);
		return out;
	}
	return "";
}

static const char *
monitor_of(const struct hr_rsc *r)
{
	switch (r->kind) {
	case HR_IPADDR2:
	case HR_IPV6:
		return "interval=10s timeout=20s";
	case HR_FILESYSTEM:
		return "interval=20s timeout=40s";
	default:
		return "interval=30s timeout=30s";
	}
}

/* An XML ID from text: letters, digits, '_', '.', '-'; a letter first. */
static void
id_from(struct buf *b, const char *prefix, const char *text)
{
	buf_puts(b, prefix);
	for (; *text; text++)
		buf_printf(b, "%c", isalnum((unsigned char)*text) || *text == '.' ||
		    *text == '-' ? *text : '_');
}

struct ids {
	char	**v;
	size_t	  n;
};

/* Makes b's text unique among ids (suffix _2, _3, ...) and records it. */
static void
id_unique(struct ids *ids, struct buf *b)
{
	size_t base = b->len;
	int k = 1;

	for (;;) {
		size_t i;

		for (i = 0; i < ids->n && strcmp(ids->v[i], buf_str(b)) != 0; i++)
			;
		if (i == ids->n)
			break;
		b->len = base;
		b->data[base] = '\0';
		buf_printf(b, "_%d", ++k);
	}
	ids->v = xrealloc(ids->v, (ids->n + 1) * sizeof(*ids->v));
	ids->v[ids->n++] = xstrndup(buf_str(b), b->len);
}

static void
rsc_id(struct ids *ids, const struct hr_rsc *r, struct buf *b)
{
	buf_reset(b);
	switch (r->kind) {
	case HR_IPADDR2:
		id_from(b, "ip_", r->params[0].value);
		break;
	case HR_IPV6:
		id_from(b, "ip6_", r->params[0].value);
		break;
	case HR_FILESYSTEM:
		id_from(b, "fs", r->params[1].value);
		break;
	default:
		id_from(b, isalpha((unsigned char)r->script[0]) ? "" : "r_", r->script);
		break;
	}
	id_unique(ids, b);
}

static int
plain(const char *v)
{
	return *v != '\0' && strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_./:@,+=-") == strlen(v);
}

/* crm: name=value, double-quoted with backslash escapes when needed. */
static void
crm_value(struct buf *b, const char *v)
{
	if (plain(v)) {
		buf_puts(b, v);
		return;
	}
	buf_puts(b, "\"");
	for (; *v; v++)
		buf_printf(b, "%s%c", *v == '"' || *v == '\\' ? "\\" : "", *v);
	buf_puts(b, "\"");
}

/* sh: single quotes, a quote as '\''. */
static void
sh_value(struct buf *b, const char *v)
{
	if (plain(v)) {
		buf_puts(b, v);
		return;
	}
	buf_puts(b, "'");
	for (; *v; v++)
		buf_puts(b, *v == '\'' ? "'\\''" : (char[2]){ *v, 0 });
	buf_puts(b, "'");
}

static void
source_comment(struct buf *out, const struct hr_group *g)
{
	buf_printf(out, "# haresources line %d: %s", g->line, g->node);
	for (size_t j = 0; j < g->nrsc; j++)
		buf_printf(out, " %s", g->rsc[j].text);
	buf_puts(out, "\n");
}

void
hr_emit(const struct hr_file *f, enum hr_format fmt, int systemd, struct buf *out)
{
	struct ids ids = { NULL, 0 };
	struct buf id = BUF_INIT, gid = BUF_INIT, members = BUF_INIT;

	if (fmt == HR_PCS)
		buf_puts(out, "#!/bin/sh\n# Converted from haresources by haresources2crm.\n"
		    "set -e\nPCS=${PCS:-pcs}\n");
	else
		buf_puts(out, "# Converted from haresources by haresources2crm.\n"
		    "# Load with: crm configure load update FILE\n");
	for (size_t i = 0; i < f->ngroups; i++) {
		const struct hr_group *g = &f->groups[i];

		buf_puts(out, "\n");
		source_comment(out, g);
		buf_reset(&gid);
		id_from(&gid, "grp_", g->node);
		id_unique(&ids, &gid);
		buf_reset(&members);
		for (size_t j = 0; j < g->nrsc; j++) {
			const struct hr_rsc *r = &g->rsc[j];
			char agent[160];

			rsc_id(&ids, r, &id);
			buf_printf(&members, " %s", buf_str(&id));
			if (fmt == HR_CRM) {
				buf_printf(out, "primitive %s %s", buf_str(&id),
				    agent_of(r, systemd, agent, sizeof(agent)));
				if (r->nparams > 0)
					buf_puts(out, " \\\n\tparams");
				for (size_t k = 0; k < r->nparams; k++) {
					buf_printf(out, " %s=", r->params[k].name);
					crm_value(out, r->params[k].value);
				}
				buf_printf(out, " \\\n\top monitor %s\n", monitor_of(r));
			} else {
				buf_printf(out, "$PCS resource create %s %s", buf_str(&id),
				    agent_of(r, systemd, agent, sizeof(agent)));
				for (size_t k = 0; k < r->nparams; k++) {
					buf_printf(out, " %s=", r->params[k].name);
					sh_value(out, r->params[k].value);
				}
				buf_printf(out, " \\\n\top monitor %s --group %s\n", monitor_of(r),
				    buf_str(&gid));
			}
		}
		if (fmt == HR_CRM)
			buf_printf(out, "group %s%s\nlocation prefer_%s %s 100: %s\n",
			    buf_str(&gid), buf_str(&members), buf_str(&gid), buf_str(&gid), g->node);
		else
			buf_printf(out, "$PCS constraint location %s prefers %s=100\n",
			    buf_str(&gid), g->node);
	}
	for (size_t i = 0; i < ids.n; i++)
		free(ids.v[i]);
	free(ids.v);
	buf_free(&id);
	buf_free(&gid);
	buf_free(&members);
}
