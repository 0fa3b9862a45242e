/* Typed parameters: parsing, defaults, validation; the stock validators. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "understudy/node.h"
#include "understudy/ocf.h"
#include "understudy/run.h"
#include "understudy/ssh.h"

void
ocf_rsc_init(struct ocf_rsc *r, const struct ocf_agent *a, const char *action)
{
	const struct ocf_param *p;

	memset(r, 0, sizeof(*r));
	r->agent = a;
	r->action = action;
	r->clone = -1;
	for (p = a->params; p->name; p++)
		r->nparams++;
	r->raw = calloc(r->nparams + 1, sizeof(*r->raw));
	r->val = calloc(r->nparams + 1, sizeof(*r->val));
	if (r->raw == NULL || r->val == NULL) {
		fprintf(stderr, "ocf-exit-reason:out of memory\n");
		exit(OCF_ERR_GENERIC);
	}
}

void
ocf_rsc_free(struct ocf_rsc *r)
{
	free(r->raw);
	free(r->val);
	r->raw = NULL;
	r->val = NULL;
}

int
ocf_param_index(const struct ocf_agent *a, const char *name)
{
	for (int i = 0; a->params[i].name; i++)
		if (strcmp(a->params[i].name, name) == 0)
			return i;
	return -1;
}

int
ocf_parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "1", "yes", "true", "on", "y", NULL };
	static const char *no[] = { "0", "no", "false", "off", "n", NULL };

	for (int i = 0; yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

int
ocf_parse_long(const char *s, long *out)
{
	char *end;
	long v;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Type and range; returns OCF_SUCCESS or ERR_CONFIGURED with why. */
static enum ocf_exitcode
check_type(const struct ocf_param *p, const char *v, union ocf_value *out,
    char *why, size_t whylen)
{
	switch (p->type) {
	case OCF_INTEGER:
		if (ocf_parse_long(v, &out->i) == -1) {
			snprintf(why, whylen, "is not an integer");
			return OCF_ERR_CONFIGURED;
		}
		if (p->min < p->max && (out->i < p->min || out->i > p->max)) {
			snprintf(why, whylen, "is out of range %ld..%ld", p->min, p->max);
			return OCF_ERR_CONFIGURED;
		}
		return OCF_SUCCESS;
	case OCF_BOOLEAN:
		if (ocf_parse_bool(v, &out->b) == -1) {
			snprintf(why, whylen, "is not a boolean (yes/no, true/false, 1/0)");
			return OCF_ERR_CONFIGURED;
		}
		return OCF_SUCCESS;
	default:
		out->s = v;
		return OCF_SUCCESS;
	}
}

static enum ocf_exitcode
load_one(struct ocf_rsc *r, int i, const char *v, char *why, size_t whylen)
{
	const struct ocf_param *p = &r->agent->params[i];
	enum ocf_exitcode rc;
	char sub[384];

	if (v == NULL || *v == '\0')
		v = p->dflt;
	r->raw[i] = v;
	if (v == NULL) {
		if (!(p->flags & OCF_P_REQUIRED))
			return OCF_SUCCESS;
		snprintf(why, whylen, "required parameter %s is not set", p->name);
		return OCF_ERR_CONFIGURED;
	}
	sub[0] = '\0';
	rc = check_type(p, v, &r->val[i], sub, sizeof(sub));
	if (rc == OCF_SUCCESS && p->validate)
		rc = p->validate(v, sub, sizeof(sub));
	if (rc == OCF_SUCCESS)
		return rc;
	if (p->flags & OCF_P_SECRET)
		snprintf(why, whylen, "parameter %s: %s", p->name, sub);
	else
		snprintf(why, whylen, "parameter %s=\"%.*s\": %s", p->name, 120, v, sub);
	return rc;
}

enum ocf_exitcode
ocf_params_load(struct ocf_rsc *r, ocf_lookup_fn lookup, void *ctx, char *why, size_t whylen)
{
	enum ocf_exitcode first = OCF_SUCCESS, rc;
	char sub[512];

	/* A bad value is an error everywhere and outranks something missing
	 * on this one node, so keep looking past an ERR_INSTALLED. */
	for (size_t i = 0; i < r->nparams; i++) {
		rc = load_one(r, (int)i, lookup(ctx, r->agent->params[i].name), sub, sizeof(sub));
		if (rc == OCF_SUCCESS)
			continue;
		if (first == OCF_SUCCESS || (first == OCF_ERR_INSTALLED && rc != OCF_ERR_INSTALLED)) {
			first = rc;
			snprintf(why, whylen, "%s", sub);
		}
		if (rc != OCF_ERR_INSTALLED)
			return rc;
	}
	return first;
}

const char *
ocf_str(const struct ocf_rsc *r, int idx)
{
	return r->raw[idx] ? r->raw[idx] : "";
}

long
ocf_int(const struct ocf_rsc *r, int idx)
{
	return r->val[idx].i;
}

int
ocf_bool(const struct ocf_rsc *r, int idx)
{
	return r->val[idx].b;
}

int
ocf_is_set(const struct ocf_rsc *r, int idx)
{
	return r->raw[idx] != NULL;
}

enum ocf_exitcode
ocf_v_abs_path(const char *v, char *why, size_t whylen)
{
	if (v[0] != '/') {
		snprintf(why, whylen, "must be an absolute path");
		return OCF_ERR_CONFIGURED;
	}
	if (strlen(v) >= PATH_MAX) {
		snprintf(why, whylen, "path too long");
		return OCF_ERR_CONFIGURED;
	}
	return OCF_SUCCESS;
}

enum ocf_exitcode
ocf_v_dir(const char *v, char *why, size_t whylen)
{
	struct stat st;
	enum ocf_exitcode rc;

	if ((rc = ocf_v_abs_path(v, why, whylen)) != OCF_SUCCESS)
		return rc;
	if (stat(v, &st) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return OCF_ERR_INSTALLED;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "is not a directory");
		return OCF_ERR_CONFIGURED;
	}
	return OCF_SUCCESS;
}

enum ocf_exitcode
ocf_v_program(const char *v, char *why, size_t whylen)
{
	char path[PATH_MAX];

	if (run_which(v, path, sizeof(path)) == -1) {
		snprintf(why, whylen, "program not found or not executable");
		return OCF_ERR_INSTALLED;
	}
	return OCF_SUCCESS;
}

enum ocf_exitcode
ocf_v_user(const char *v, char *why, size_t whylen)
{
	if (getpwnam(v) == NULL) {
		snprintf(why, whylen, "no such user on this node");
		return OCF_ERR_INSTALLED;
	}
	return OCF_SUCCESS;
}

enum ocf_exitcode
ocf_v_nodes(const char *v, char *why, size_t whylen)
{
	struct node_list l;

	if (node_list_parse(v, &l, why, whylen) == -1)
		return OCF_ERR_CONFIGURED;
	if (l.n == 0) {
		snprintf(why, whylen, "no node given");
		return OCF_ERR_CONFIGURED;
	}
	node_list_free(&l);
	return OCF_SUCCESS;
}

enum ocf_exitcode
ocf_v_readable(const char *v, char *why, size_t whylen)
{
	enum ocf_exitcode rc;

	if ((rc = ocf_v_abs_path(v, why, whylen)) != OCF_SUCCESS)
		return rc;
	if (access(v, R_OK) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return errno == EACCES ? OCF_ERR_PERM : OCF_ERR_INSTALLED;
	}
	/* Keys, known_hosts, profiles: what others can write is refused, as
	 * lib/ssh.c refuses it again at every connect. OCF_ERR_INSTALLED, not
	 * _CONFIGURED: the parameter is right, this node's copy of the file is
	 * not, and _CONFIGURED would stop the resource on every node. */
	if (ssh_path_trusted(v, (uid_t)-1, why, whylen) == -1)
		return OCF_ERR_INSTALLED;
	return OCF_SUCCESS;
}
