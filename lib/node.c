/* Node lists and this node's name; see include/understudy/node.h. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "understudy/node.h"
#include "understudy/run.h"

static int
valid_name(const char *s, size_t n)
{
	if (n == 0 || n >= NODE_NAME_MAX || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return 0;
	return 1;
}

static int
valid_addr(const char *s, size_t n)
{
	if (n == 0 || n >= NODE_ADDR_MAX || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-:%", s[i]))
			return 0;
	return 1;
}

static int
parse_port(const char *s, size_t n, unsigned *port)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

/* "address", "address:port", "[v6]" or "[v6]:port"; a bare address with
 * several colons is IPv6 without a port. */
static int
parse_addr(const char *s, size_t n, struct node *nd)
{
	const char *a = s, *colon;
	size_t alen = n;

	nd->port = 0;
	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL)
			return -1;
		a = s + 1;
		alen = (size_t)(rb - a);
		if ((size_t)(rb - s) + 1 < n) {
			if (rb[1] != ':' ||
			    parse_port(rb + 2, n - (size_t)(rb - s) - 2, &nd->port))
				return -1;
		}
	} else if ((colon = memchr(s, ':', n)) != NULL &&
	    memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) == NULL) {
		alen = (size_t)(colon - s);
		if (parse_port(colon + 1, n - alen - 1, &nd->port))
			return -1;
	}
	if (!valid_addr(a, alen))
		return -1;
	memcpy(nd->addr, a, alen);
	nd->addr[alen] = '\0';
	return 0;
}

static int
node_entry(const char *tok, size_t n, struct node *nd, char *why, size_t whylen)
{
	const char *eq = memchr(tok, '=', n);
	int show = n > 80 ? 80 : (int)n;

	if (eq == NULL) {
		snprintf(why, whylen, "\"%.*s\": expected name=address[:port]", show, tok);
		return -1;
	}
	if (!valid_name(tok, (size_t)(eq - tok))) {
		snprintf(why, whylen, "\"%.*s\": bad node name", show, tok);
		return -1;
	}
	memcpy(nd->name, tok, (size_t)(eq - tok));
	nd->name[eq - tok] = '\0';
	if (parse_addr(eq + 1, n - (size_t)(eq - tok) - 1, nd) == -1) {
		snprintf(why, whylen, "\"%.*s\": bad address or port", show, tok);
		return -1;
	}
	return 0;
}

int
node_list_parse(const char *spec, struct node_list *l, char *why, size_t whylen)
{
	const char *p = spec;

	l->v = NULL;
	l->n = 0;
	for (;;) {
		struct node nd, *nv;
		size_t n;

		while (*p && (isspace((unsigned char)*p) || *p == ','))
			p++;
		if (*p == '\0')
			return 0;
		for (n = 0; p[n] && !isspace((unsigned char)p[n]) && p[n] != ','; n++)
			;
		if (node_entry(p, n, &nd, why, whylen) == -1)
			goto fail;
		if (node_list_find(l, nd.name)) {
			snprintf(why, whylen, "node \"%s\" listed twice", nd.name);
			goto fail;
		}
		if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL) {
			snprintf(why, whylen, "out of memory");
			goto fail;
		}
		l->v = nv;
		l->v[l->n++] = nd;
		p += n;
	}
fail:
	node_list_free(l);
	return -1;
}

int
node_addr_list_parse(const char *spec, struct node_list *l, char *why, size_t whylen)
{
	struct buf named = BUF_INIT;
	const char *p = spec;
	int rc, i = 0;

	/* Number the entries and let the one parser check them. */
	while (*p) {
		size_t n;

		p += strspn(p, " \t\r\n");
		if ((n = strcspn(p, " \t\r\n")) == 0)
			break;
		buf_printf(&named, "%d=%.*s ", ++i, (int)n, p);
		p += n;
	}
	rc = node_list_parse(buf_str(&named), l, why, whylen);
	buf_free(&named);
	if (rc == 0 && l->n == 0) {
		snprintf(why, whylen, "no address given");
		return -1;
	}
	return rc;
}

void
node_list_free(struct node_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const struct node *
node_list_find(const struct node_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

int
node_self(char *out, size_t outlen)
{
	const char *argv[] = { "crm_node", "-n", NULL };
	struct run_cmd cmd = { .argv = argv, .timeout_ms = 5000 };
	struct run_result res;
	struct buf b = BUF_INIT;
	struct utsname u;
	const char *env = getenv("OCF_RESKEY_CRM_meta_on_node");

	if (env && *env) {
		snprintf(out, outlen, "%s", env);
		return 0;
	}
	cmd.out = &b;
	if (run(&cmd, &res) == RUN_EXITED && res.exit_code == 0) {
		size_t n = strcspn(buf_str(&b), " \t\r\n");

		if (n > 0 && n < outlen) {
			snprintf(out, outlen, "%.*s", (int)n, buf_str(&b));
			buf_free(&b);
			return 0;
		}
	}
	buf_free(&b);
	if (uname(&u) == -1)
		return -1;
	snprintf(out, outlen, "%s", u.nodename);
	return 0;
}
