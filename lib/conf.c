/* "name = value" files; see include/understudy/conf.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "understudy/buf.h"
#include "understudy/conf.h"

#define CONF_MAX_SIZE	(1024 * 1024)

static int
conf_add(struct conf *c, const char *k, size_t klen, const char *v, size_t vlen, int line)
{
	struct conf_entry *nv;

	if ((nv = realloc(c->v, (c->n + 1) * sizeof(*nv))) == NULL)
		return -1;
	c->v = nv;
	nv[c->n].key = strndup(k, klen);
	nv[c->n].value = strndup(v, vlen);
	nv[c->n].line = line;
	if (nv[c->n].key == NULL || nv[c->n].value == NULL) {
		free(nv[c->n].key);
		free(nv[c->n].value);
		return -1;
	}
	c->n++;
	return 0;
}

static int
is_key_char(int ch)
{
	return isalnum(ch) || ch == '_' || ch == '-' || ch == '.';
}

/* One line, without its newline. Returns 0, 1 for a blank/comment line, or
 * -1 with why set. */
static int
conf_line(struct conf *c, const char *p, const char *end, int line, char *why, size_t whylen)
{
	const char *k, *kend, *v, *vend;

	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p == '#')
		return 1;
	for (k = p; p < end && is_key_char((unsigned char)*p); p++)
		;
	kend = p;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (kend == k || p == end || *p != '=') {
		snprintf(why, whylen, "line %d: expected \"name = value\"", line);
		return -1;
	}
	for (p++; p < end && isspace((unsigned char)*p); p++)
		;
	for (vend = end; vend > p && isspace((unsigned char)vend[-1]); vend--)
		;
	v = p;
	if (v < vend && *v == '"') {
		if (vend - v < 2 || vend[-1] != '"') {
			snprintf(why, whylen, "line %d: unterminated quote", line);
			return -1;
		}
		v++;
		vend--;
	}
	if (memchr(v, '\0', (size_t)(vend - v)) != NULL) {
		snprintf(why, whylen, "line %d: NUL byte in value", line);
		return -1;
	}
	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->v[i].key) == (size_t)(kend - k) &&
		    memcmp(c->v[i].key, k, (size_t)(kend - k)) == 0) {
			snprintf(why, whylen, "line %d: %.*s already set on line %d",
			    line, (int)(kend - k), k, c->v[i].line);
			return -1;
		}
	if (conf_add(c, k, (size_t)(kend - k), v, (size_t)(vend - v), line) == -1) {
		snprintf(why, whylen, "line %d: out of memory", line);
		return -1;
	}
	return 0;
}

int
conf_parse(const char *text, size_t len, struct conf *c, char *why, size_t whylen)
{
	const char *p = text, *end = text + len, *nl;
	int line = 1;

	c->v = NULL;
	c->n = 0;
	for (; p < end; p = nl + 1, line++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (conf_line(c, p, nl, line, why, whylen) == -1) {
			conf_free(c);
			return -1;
		}
		if (nl == end)
			break;
	}
	return 0;
}

int
conf_load(const char *path, struct conf *c, char *why, size_t whylen)
{
	struct buf b = BUF_INIT;
	char sub[256];
	int rc;

	if (buf_read_file(&b, path, CONF_MAX_SIZE) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		buf_free(&b);
		return -1;
	}
	rc = conf_parse(buf_str(&b), b.len, c, sub, sizeof(sub));
	if (rc == -1)
		snprintf(why, whylen, "%s: %s", path, sub);
	buf_free(&b);
	return rc;
}

const char *
conf_get(const struct conf *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, key) == 0)
			return c->v[i].value;
	return NULL;
}

void
conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].value);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

void
conf_words_free(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

int
conf_words_parse(const char *spec, char ***out, size_t *nout, char *why, size_t whylen)
{
	char **w = NULL, *cur = NULL;
	size_t n = 0, len = 0;
	const char *p = spec;

	*out = NULL;
	*nout = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		if ((cur = malloc(strlen(p) + 1)) == NULL)
			goto nomem;
		for (len = 0; *p && *p != ' ' && *p != '\t' && *p != '\n'; p++) {
			if (*p == '\\') {
				if (p[1] == '\0') {
					snprintf(why, whylen, "a backslash ends the list");
					free(cur);
					conf_words_free(w, n);
					return -1;
				}
				p++;
			}
			cur[len++] = *p;
		}
		cur[len] = '\0';
		char **nw = realloc(w, (n + 1) * sizeof(*w));

		if (nw == NULL) {
			free(cur);
			goto nomem;
		}
		w = nw;
		w[n++] = cur;
	}
	*out = w;
	*nout = n;
	return 0;
nomem:
	conf_words_free(w, n);
	snprintf(why, whylen, "out of memory");
	return -1;
}
