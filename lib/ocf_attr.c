/* Node attributes and promotion scores through attrd_updater and
 * crm_attribute: those tools are Pacemaker's stable interface, the C API
 * of pacemaker-attrd is not. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "understudy/log.h"
#include "understudy/ocf.h"
#include "understudy/run.h"

#define ATTR_TIMEOUT_MS	10000

static enum ocf_exitcode
attr_run(const char *const *argv, struct buf *out)
{
	struct run_cmd cmd = { .argv = argv, .timeout_ms = ATTR_TIMEOUT_MS, .out = out };
	struct run_result res;
	struct buf err = BUF_INIT;
	char what[128];

	cmd.err = &err;
	run(&cmd, &res);
	if (res.status == RUN_EXITED && res.exit_code == 0) {
		buf_free(&err);
		return OCF_SUCCESS;
	}
	log_warn("%s: %s: %s", argv[0], run_describe(&res, what, sizeof(what)), buf_str(&err));
	buf_free(&err);
	return res.status == RUN_NOT_FOUND ? OCF_ERR_INSTALLED : OCF_ERR_GENERIC;
}

enum ocf_exitcode
ocf_attr_set(const char *name, const char *value)
{
	const char *argv[] = { "attrd_updater", "-n", name, "-U", value, NULL };

	return attr_run(argv, NULL);
}

enum ocf_exitcode
ocf_attr_delete(const char *name)
{
	const char *argv[] = { "attrd_updater", "-n", name, "-D", NULL };

	return attr_run(argv, NULL);
}

/* One field of attrd_updater's `name="x" host="h" value="v"` lines. */
static void
attr_field(const char *line, const char *key, char *out, size_t outlen)
{
	const char *v = strstr(line, key);

	out[0] = '\0';
	if (v) {
		v += strlen(key);
		snprintf(out, outlen, "%.*s", (int)strcspn(v, "\"\n"), v);
	}
}

enum ocf_exitcode
ocf_attr_get(const char *name, char *out, size_t outlen)
{
	const char *argv[] = { "attrd_updater", "-n", name, "-Q", NULL };
	struct buf b = BUF_INIT;
	enum ocf_exitcode rc;

	if ((rc = attr_run(argv, &b)) == OCF_SUCCESS) {
		attr_field(buf_str(&b), "value=\"", out, outlen);
		if (strstr(buf_str(&b), "value=\"") == NULL)
			rc = OCF_ERR_GENERIC;
	}
	buf_free(&b);
	return rc;
}

enum ocf_exitcode
ocf_promotion_set(const struct ocf_rsc *r, long score)
{
	char opt[160], val[32];
	const char *argv[] = { "crm_attribute", opt, "--lifetime", "reboot",
	    "--update", val, NULL };

	snprintf(opt, sizeof(opt), "--promotion=%s", r->base);
	snprintf(val, sizeof(val), "%ld", score);
	return attr_run(argv, NULL);
}

enum ocf_exitcode
ocf_promotion_delete(const struct ocf_rsc *r)
{
	char opt[160];
	const char *argv[] = { "crm_attribute", opt, "--lifetime", "reboot",
	    "--delete", NULL };

	snprintf(opt, sizeof(opt), "--promotion=%s", r->base);
	return attr_run(argv, NULL);
}

int
ocf_attr_get_all(const char *name, struct ocf_list *hosts, struct ocf_list *values)
{
	const char *argv[] = { "attrd_updater", "-n", name, "-Q", "-A", NULL };
	struct buf b = BUF_INIT;
	char host[256], value[256];
	const char *line;

	memset(hosts, 0, sizeof(*hosts));
	memset(values, 0, sizeof(*values));
	if (attr_run(argv, &b) != OCF_SUCCESS) {
		buf_free(&b);
		return -1;
	}
	/* name="x" host="h" value="v", one line per node */
	for (line = buf_str(&b); *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
		char **nh, **nv;

		attr_field(line, "host=\"", host, sizeof(host));
		attr_field(line, "value=\"", value, sizeof(value));
		if (host[0] == '\0' || value[0] == '\0')
			continue;
		nh = realloc(hosts->v, (hosts->n + 1) * sizeof(char *));
		nv = nh ? realloc(values->v, (values->n + 1) * sizeof(char *)) : NULL;
		if (nh)
			hosts->v = nh;
		if (nv)
			values->v = nv;
		if (nh == NULL || nv == NULL)
			break;
		hosts->v[hosts->n++] = strdup(host);
		values->v[values->n++] = strdup(value);
	}
	buf_free(&b);
	return 0;
}

/* crm_attribute --query: 1 and the value, 0 when it is not set, -1 (logged)
 * when the query failed. */
static int
attr_query(const char *const *argv, char *out, size_t outlen)
{
	struct run_cmd cmd = { .argv = argv, .timeout_ms = ATTR_TIMEOUT_MS };
	struct buf o = BUF_INIT, err = BUF_INIT;
	struct run_result res;
	char what[128];
	int rc = -1;

	cmd.out = &o;
	cmd.err = &err;
	run(&cmd, &res);
	out[0] = '\0';
	if (res.status == RUN_EXITED && res.exit_code == 0) {
		snprintf(out, outlen, "%.*s", (int)strcspn(buf_str(&o), "\n"), buf_str(&o));
		rc = 1;
	} else if (res.status == RUN_EXITED && res.exit_code == 105)	/* CRM_EX_NOSUCH */
		rc = 0;
	else
		log_warn("crm_attribute %s %s --query: %s: %s", argv[1], argv[2],
		    run_describe(&res, what, sizeof(what)), buf_str(&err));
	buf_free(&o);
	buf_free(&err);
	return rc;
}

/* Permanent node attributes (the CIB's nodes section, lifetime "forever"):
 * they survive a stop, a reboot and the node leaving, which is what a
 * node's last known state needs. */
int
ocf_node_attr_get(const char *node, const char *name, char *out, size_t outlen)
{
	const char *argv[] = { "crm_attribute", "--node", node, "--name", name, "--lifetime",
	    "forever", "--query", "--quiet", NULL };

	return attr_query(argv, out, outlen);
}

/* A cluster option (crm_config), e.g. stonith-enabled. */
int
ocf_cluster_option_get(const char *name, char *out, size_t outlen)
{
	const char *argv[] = { "crm_attribute", "--name", name, "--type", "crm_config",
	    "--query", "--quiet", NULL };

	return attr_query(argv, out, outlen);
}

enum ocf_exitcode
ocf_node_attr_set(const char *node, const char *name, const char *value)
{
	const char *argv[] = { "crm_attribute", "--node", node, "--name", name, "--lifetime",
	    "forever", "--update", value, NULL };

	return attr_run(argv, NULL);
}

enum ocf_exitcode
ocf_node_attr_delete(const char *node, const char *name)
{
	const char *argv[] = { "crm_attribute", "--node", node, "--name", name, "--lifetime",
	    "forever", "--delete", NULL };

	return attr_run(argv, NULL);
}

/* crm_node -l: "ID NAME STATE" a line; the members are the online nodes. */
int
ocf_cluster_members(struct ocf_list *members)
{
	const char *argv[] = { "crm_node", "-l", NULL };
	struct buf b = BUF_INIT;
	const char *line;
	int rc = 0;

	memset(members, 0, sizeof(*members));
	if (attr_run(argv, &b) != OCF_SUCCESS) {
		buf_free(&b);
		return -1;
	}
	for (line = buf_str(&b); *line && rc == 0;
	    line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
		char id[32], name[256], state[32];
		char **nv;

		if (sscanf(line, "%31s %255s %31s", id, name, state) != 3 ||
		    strcmp(state, "member") != 0)
			continue;
		if ((nv = realloc(members->v, (members->n + 1) * sizeof(char *))) == NULL ||
		    (nv[members->n] = strdup(name)) == NULL) {
			if (nv)
				members->v = nv;
			rc = -1;
			break;
		}
		members->v = nv;
		members->n++;
	}
	buf_free(&b);
	if (rc == -1)
		ocf_list_free(members);
	return rc;
}

/* crm_node -q prints 1 or 0. */
int
ocf_cluster_quorate(void)
{
	const char *argv[] = { "crm_node", "-q", NULL };
	struct buf b = BUF_INIT;
	int rc = -1;

	if (attr_run(argv, &b) == OCF_SUCCESS)
		rc = buf_str(&b)[0] == '1' ? 1 : buf_str(&b)[0] == '0' ? 0 : -1;
	buf_free(&b);
	return rc;
}

/* From crm_mon's node list: <node name="X" ... online="false" ...
 * unclean="false" .../>. A node that is lost but not fenced yet is
 * unclean; with stonith-enabled=false Pacemaker takes a lost node as
 * cleanly down. */
int
ocf_nodes_xml_down_clean(const char *xml, const char *node)
{
	struct buf key = BUF_INIT;
	const char *tag, *end;
	char t[1024];
	int rc;

	if (strstr(xml, "<nodes") == NULL)
		return -1;	/* not crm_mon's node list */
	buf_puts(&key, "<node name=\"");
	buf_xml_escape(&key, node);
	buf_puts(&key, "\" ");
	if ((tag = strstr(xml, buf_str(&key))) == NULL)
		rc = 1;		/* unknown to the cluster: removed, or never joined */
	else if ((end = strchr(tag, '>')) == NULL || end - tag >= (ptrdiff_t)sizeof(t))
		rc = -1;
	else {
		snprintf(t, sizeof(t), "%.*s", (int)(end - tag), tag);
		if (strstr(t, " online=\"false\"") && strstr(t, " unclean=\"false\""))
			rc = 1;
		else if (strstr(t, " online=\"") && strstr(t, " unclean=\""))
			rc = 0;
		else
			rc = -1;
	}
	buf_free(&key);
	return rc;
}

enum ocf_exitcode
ocf_cluster_nodes_xml(struct buf *out)
{
	const char *argv[] = { "crm_mon", "-1", "--output-as=xml", "--exclude=all",
	    "--include=nodes", NULL };

	return attr_run(argv, out);
}
