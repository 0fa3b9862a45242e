/* usdummy: a test-only agent built on the OCF core (never installed). It
 * keeps its state in a file, can be promoted, and logs notifications, so
 * the lab can prove the core against ocf-tester and a real Pacemaker. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "understudy/log.h"
#include "understudy/ocf.h"

enum { P_STATE, P_DELAY, P_PROGRAM, P_USER, P_NODES };

static const struct ocf_param params[] = {
	{ "state", OCF_STRING, OCF_P_UNIQUE | OCF_P_POSITIONAL, NULL, 0, 0, ocf_v_abs_path,
	  "State file", "Where the resource records that it runs. Default: "
	  "$HA_RSCTMP/usdummy-<instance>.state." },
	{ "delay", OCF_INTEGER, 0, "0", 0, 600, NULL,
	  "Start/stop delay", "Seconds that start and stop take." },
	{ "program", OCF_STRING, 0, NULL, 0, 0, ocf_v_program,
	  "Required program", "A program that must be installed for the resource to run." },
	{ "user", OCF_STRING, 0, NULL, 0, 0, ocf_v_user,
	  "Required user", "A user that must exist for the resource to run." },
	{ "nodes", OCF_STRING, 0, NULL, 0, 0, ocf_v_nodes,
	  "Peers", "Space-separated name=address[:port] entries." },
	{ NULL }
};

struct dummy {
	char	state[4096];
};

static void
dummy_setup(struct ocf_rsc *r)
{
	struct dummy *d = calloc(1, sizeof(*d));
	const char *tmp = getenv("HA_RSCTMP");

	if (d == NULL)
		exit(ocf_fail(OCF_ERR_GENERIC, "out of memory"));
	if (ocf_is_set(r, P_STATE))
		snprintf(d->state, sizeof(d->state), "%s", ocf_str(r, P_STATE));
	else
		snprintf(d->state, sizeof(d->state), "%s/usdummy-%s.state",
		    tmp && *tmp ? tmp : "/run/resource-agents", r->instance);
	r->priv = d;
}

static void
dummy_teardown(struct ocf_rsc *r)
{
	free(r->priv);
}

static const char *
state_path(struct ocf_rsc *r)
{
	return ((struct dummy *)r->priv)->state;
}

static enum ocf_exitcode
write_state(struct ocf_rsc *r, const char *what)
{
	char tmp[4200];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", state_path(r));
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1 ||
	    write(fd, what, strlen(what)) != (ssize_t)strlen(what) || fsync(fd) == -1 ||
	    close(fd) == -1 || rename(tmp, state_path(r)) == -1)
		return ocf_fail(OCF_ERR_GENERIC, "%s: %s", state_path(r), strerror(errno));
	return OCF_SUCCESS;
}

static enum ocf_exitcode
dummy_monitor(struct ocf_rsc *r)
{
	char st[32] = "";
	FILE *fp = fopen(state_path(r), "r");

	if (fp == NULL)
		return OCF_NOT_RUNNING;
	if (fgets(st, sizeof(st), fp) == NULL)
		st[0] = '\0';
	fclose(fp);
	return strcmp(st, "promoted") == 0 ? OCF_RUNNING_PROMOTED : OCF_SUCCESS;
}

static void
pause_for(struct ocf_rsc *r)
{
	if (ocf_int(r, P_DELAY) > 0)
		sleep((unsigned)ocf_int(r, P_DELAY));
}

/* A node attribute "usdummy-<resource>" shows the lab that attributes
 * reach the cluster; outside a cluster this only logs a warning. */
static void
publish(struct ocf_rsc *r, const char *what)
{
	char name[160];

	snprintf(name, sizeof(name), "usdummy-%s", r->base);
	if (getenv("OCF_RESKEY_CRM_meta_on_node") != NULL)
		ocf_attr_set(name, what);
}

static enum ocf_exitcode
dummy_start(struct ocf_rsc *r)
{
	char dir[4096], *slash;
	enum ocf_exitcode rc;

	if (dummy_monitor(r) != OCF_NOT_RUNNING)
		return OCF_SUCCESS;
	snprintf(dir, sizeof(dir), "%s", state_path(r));
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	pause_for(r);
	if ((rc = write_state(r, "started")) == OCF_SUCCESS && r->clone < 0)
		publish(r, "started");
	return rc;
}

static enum ocf_exitcode
dummy_stop(struct ocf_rsc *r)
{
	pause_for(r);
	if (unlink(state_path(r)) == -1 && errno != ENOENT)
		return ocf_fail(OCF_ERR_GENERIC, "%s: %s", state_path(r), strerror(errno));
	if (r->clone >= 0)
		ocf_promotion_delete(r);
	return OCF_SUCCESS;
}

static enum ocf_exitcode
dummy_promote(struct ocf_rsc *r)
{
	if (dummy_monitor(r) == OCF_NOT_RUNNING)
		return ocf_fail(OCF_ERR_GENERIC, "cannot promote a stopped resource");
	return write_state(r, "promoted");
}

static enum ocf_exitcode
dummy_demote(struct ocf_rsc *r)
{
	if (dummy_monitor(r) == OCF_NOT_RUNNING)
		return ocf_fail(OCF_ERR_GENERIC, "cannot demote a stopped resource");
	return write_state(r, "started");
}

static enum ocf_exitcode
dummy_notify(struct ocf_rsc *r)
{
	struct ocf_list l;
	const char *type = ocf_notify_type(), *op = ocf_notify_operation();

	if (ocf_notify_list("start_uname", &l) == 0) {
		log_info("notify %s-%s: %zu node(s) starting", type ? type : "?",
		    op ? op : "?", l.n);
		ocf_list_free(&l);
	}
	return OCF_SUCCESS;
}

/* A monitor on a clone keeps a promotion score so Pacemaker can promote. */
static enum ocf_exitcode
dummy_monitor_action(struct ocf_rsc *r)
{
	enum ocf_exitcode rc = dummy_monitor(r);

	if (rc == OCF_SUCCESS && r->clone >= 0 && !ocf_is_probe(r))
		ocf_promotion_set(r, 10);
	return rc;
}

static const struct ocf_action actions[] = {
	{ "start", dummy_start, 20, 0, NULL, 0 },
	{ "stop", dummy_stop, 20, 0, NULL, 0 },
	{ "monitor", dummy_monitor_action, 20, 10, NULL, 0 },
	{ "monitor", dummy_monitor_action, 20, 9, "Promoted", 0 },
	{ "promote", dummy_promote, 20, 0, NULL, 0 },
	{ "demote", dummy_demote, 20, 0, NULL, 0 },
	{ "notify", dummy_notify, 20, 0, NULL, 0 },
	{ NULL }
};

static const struct ocf_agent agent = {
	.name = "usdummy",
	.version = PACKAGE_VERSION,
	.shortdesc = "understudy test agent",
	.longdesc = "A test-only resource that records its state in a file; it "
	    "exercises the understudy OCF core in the test lab.",
	.params = params,
	.actions = actions,
	.setup = dummy_setup,
	.teardown = dummy_teardown,
};

int
main(int argc, char **argv)
{
	return ocf_main(&agent, argc, argv);
}
