/* ocf:understudy:zmworker — one zmworkerd per node (run it as a clone):
 * the nodes share Zonemaster test requests over Corosync CPG, each request
 * runs exactly once while the cluster is whole, at most max_parallel at a
 * time per node. Submit with `zmctl submit` or by dropping *.json files in
 * spool_dir on any node.
 *
 * start launches zmworkerd and waits until it joined the group; stop asks
 * it to stop claiming and lets the running tests finish until 5 s before
 * the stop timeout, then hands the rest back (they run again on another
 * node); monitor checks the daemon answers, is in the group and quorate.
 * Decisions where the contract is silent:
 *  - no quorum fails the monitor: the node cannot claim, and Pacemaker's
 *    no-quorum-policy decides what happens to it;
 *  - requests and results stay in state_dir after a stop: a node that comes
 *    back merges them with the cluster's. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "understudy/clock.h"
#include "understudy/conf.h"
#include "understudy/daemon.h"
#include "understudy/log.h"
#include "understudy/node.h"
#include "understudy/ocf.h"
#include "../helpers/zmworker/zmipc.h"
#include "../helpers/zmworker/zmrun.h"

enum {
	P_MAX_PARALLEL, P_STATE_DIR, P_GROUP, P_ZONEMASTER_ARGS, P_TEST_TIMEOUT, P_PROFILE,
	P_HINTS, P_SPOOL_DIR, P_ZONEMASTER_CLI, P_HELPERS, P_USER
};

static enum ocf_exitcode v_words(const char *, char *, size_t);
static enum ocf_exitcode v_group(const char *, char *, size_t);

static const struct ocf_param params[] = {
	{ "max_parallel", OCF_INTEGER, OCF_P_POSITIONAL, "4", 1, 256, NULL,
	  "Tests at once", "The most Zonemaster tests this node runs at the same time; the "
	  "others wait for a free slot here or on another node." },
	{ "state_dir", OCF_STRING, OCF_P_UNIQUE, "/var/lib/understudy/zmworker", 0, 0,
	  ocf_v_abs_path, "State directory", "Requests and finished results (docs/ID.json, "
	  "fsynced), zmworkerd's pid file and log." },
	{ "group", OCF_STRING, 0, "zmworker", 0, 0, v_group,
	  "CPG group", "The Corosync process group the nodes share requests in; also names "
	  "the zmctl service (zmctl -g GROUP). Separate groups are separate queues." },
	{ "zonemaster_args", OCF_STRING, 0, NULL, 0, 0, v_words,
	  "Extra zonemaster-cli arguments", "Added to every run, blank-separated (a "
	  "backslash escapes a blank), e.g. \"--level INFO --locale en_US.UTF-8\". The "
	  "request's --ns, --ds, --ipv4/--ipv6 and --json-stream --raw are always given." },
	{ "test_timeout", OCF_INTEGER, 0, "600", 0, 86400, NULL,
	  "Test timeout (s)", "A test still running after this is killed; its result says "
	  "TEST_TIMEOUT. 0: no limit." },
	{ "profile", OCF_STRING, 0, NULL, 0, 0, ocf_v_readable,
	  "Profile", "A Zonemaster profile (start from zonemaster-cli --dump-profile)." },
	{ "hints", OCF_STRING, 0, NULL, 0, 0, ocf_v_readable,
	  "Root hints", "A root hints file for zonemaster-cli (a private DNS world)." },
	{ "spool_dir", OCF_STRING, 0, NULL, 0, 0, ocf_v_abs_path,
	  "Spool directory", "*.json request files dropped here are submitted and removed; "
	  "refused ones move to rejected/ with a .why file. Default: state_dir/spool." },
	{ "zonemaster_cli", OCF_STRING, 0, "zonemaster-cli", 0, 0, ocf_v_program,
	  "zonemaster-cli", "The program that runs a test." },
	{ "helpers", OCF_STRING, 0, ZM_SBINDIR, 0, 0, ocf_v_dir,
	  "Helper directory", "Where zmworkerd is." },
	{ "user", OCF_STRING, 0, ZM_USER_DEFAULT, 0, 0, ocf_v_user,
	  "Test user", "zonemaster-cli runs as this user, with only its pipes open, in /, "
	  "with a clean environment: it parses answers from name servers that whoever submits "
	  "a request chooses. The Debian package creates " ZM_USER_DEFAULT "; profile and "
	  "hints must be readable by it (checked before a start: OCF_ERR_PERM otherwise). "
	  "root is accepted but defeats the point." },
	{ NULL }
};

static enum ocf_exitcode
v_words(const char *v, char *why, size_t whylen)
{
	char **w;
	size_t n;

	if (conf_words_parse(v, &w, &n, why, whylen) == -1)
		return OCF_ERR_CONFIGURED;
	conf_words_free(w, n);
	return OCF_SUCCESS;
}

static enum ocf_exitcode
v_group(const char *v, char *why, size_t whylen)
{
	size_t n = strlen(v);

	if (n == 0 || n > 100 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-.") != n) {
		snprintf(why, whylen, "group: 1 to 100 letters, digits, '_', '-' or '.'");
		return OCF_ERR_CONFIGURED;
	}
	return OCF_SUCCESS;
}

struct zmw {
	char	 self[NODE_NAME_MAX];
	char	 pidfile[4200];
	char	 logfile[4200];
};

static struct zmw *
Z(struct ocf_rsc *r)
{
	return r->priv;
}

static void
zmw_setup(struct ocf_rsc *r)
{
	struct zmw *z = calloc(1, sizeof(*z));

	if (z == NULL)
		exit(ocf_fail(OCF_ERR_GENERIC, "out of memory"));
	if (node_self(z->self, sizeof(z->self)) != 0)
		snprintf(z->self, sizeof(z->self), "unknown");
	snprintf(z->pidfile, sizeof(z->pidfile), "%.4000s/zmworkerd.pid", ocf_str(r, P_STATE_DIR));
	snprintf(z->logfile, sizeof(z->logfile), "%.4000s/zmworkerd.log", ocf_str(r, P_STATE_DIR));
	r->priv = z;
}

static void
zmw_teardown(struct ocf_rsc *r)
{
	free(r->priv);
	r->priv = NULL;
}

static enum ocf_exitcode
zmw_validate(struct ocf_rsc *r, char *why, size_t whylen)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/zmworkerd", ocf_str(r, P_HELPERS));
	if (access(path, X_OK) == -1) {
		snprintf(why, whylen, "%s: not installed", path);
		return OCF_ERR_INSTALLED;
	}
	/* zonemaster-cli reads them as user, not as root. Asked before a start
	 * only: a stop or monitor must not fail on a file's mode. */
	if (strcmp(r->action, "start") != 0 && strcmp(r->action, "validate-all") != 0)
		return OCF_SUCCESS;
	for (int p = P_PROFILE; p <= P_HINTS; p++) {
		char sub[256];

		if (ocf_is_set(r, p) &&
		    zm_run_can_read(ocf_str(r, P_USER), ocf_str(r, p), sub, sizeof(sub)) != 0) {
			snprintf(why, whylen, "parameter %s=\"%.200s\": not readable by user %s: %s",
			    p == P_PROFILE ? "profile" : "hints", ocf_str(r, p), ocf_str(r, P_USER),
			    sub);
			return OCF_ERR_PERM;
		}
	}
	return OCF_SUCCESS;
}

/* The daemon's status, or NULL with the reason. */
static json_t *
status(struct ocf_rsc *r, char *why, size_t whylen)
{
	json_t *req = json_pack("{ss}", "cmd", "status"), *ans = NULL;
	enum zm_call_result rc = zm_call(ocf_str(r, P_GROUP), req, 5000, &ans, why, whylen);

	json_decref(req);
	if (rc == ZM_CALL_OK && json_object_get(ans, "error") == NULL)
		return ans;
	if (rc == ZM_CALL_OK)
		snprintf(why, whylen, "%s", json_string_value(json_object_get(ans, "error")));
	json_decref(ans);
	return NULL;
}

static int
spawn(struct ocf_rsc *r)
{
	const char *argv[64] = { NULL };
	char prog[4200], mp[16], tt[16], spool[4200], **words = NULL, why[256];
	size_t n = 0, nw = 0;
	int rc;

	snprintf(prog, sizeof(prog), "%s/zmworkerd", ocf_str(r, P_HELPERS));
	snprintf(mp, sizeof(mp), "%ld", ocf_int(r, P_MAX_PARALLEL));
	snprintf(tt, sizeof(tt), "%ld", ocf_int(r, P_TEST_TIMEOUT));
	if (ocf_is_set(r, P_SPOOL_DIR))
		snprintf(spool, sizeof(spool), "%s", ocf_str(r, P_SPOOL_DIR));
	else
		snprintf(spool, sizeof(spool), "%.4000s/spool", ocf_str(r, P_STATE_DIR));
	argv[n++] = prog;
	argv[n++] = "--state-dir";
	argv[n++] = ocf_str(r, P_STATE_DIR);
	argv[n++] = "--group";
	argv[n++] = ocf_str(r, P_GROUP);
	argv[n++] = "--max-parallel";
	argv[n++] = mp;
	argv[n++] = "--test-timeout";
	argv[n++] = tt;
	argv[n++] = "--zonemaster";
	argv[n++] = ocf_str(r, P_ZONEMASTER_CLI);
	argv[n++] = "--spool";
	argv[n++] = spool;
	argv[n++] = "--nodename";
	argv[n++] = Z(r)->self;
	argv[n++] = "--user";
	argv[n++] = ocf_str(r, P_USER);
	if (ocf_is_set(r, P_PROFILE)) {
		argv[n++] = "--profile";
		argv[n++] = ocf_str(r, P_PROFILE);
	}
	if (ocf_is_set(r, P_HINTS)) {
		argv[n++] = "--hints";
		argv[n++] = ocf_str(r, P_HINTS);
	}
	argv[n++] = "--";
	if (conf_words_parse(ocf_str(r, P_ZONEMASTER_ARGS), &words, &nw, why, sizeof(why)) == 0)
		for (size_t i = 0; i < nw && n < 63; i++)
			argv[n++] = words[i];
	if (mkdir(ocf_str(r, P_STATE_DIR), 0750) == -1 && errno != EEXIST)
		return -1;
	rc = daemon_spawn(argv, Z(r)->logfile);
	conf_words_free(words, nw);
	return rc;
}

static enum ocf_exitcode
zmw_start(struct ocf_rsc *r)
{
	char why[512] = "";
	long deadline = clock_ms() + 20000;
	json_t *st = NULL;

	if (daemon_pid(Z(r)->pidfile) <= 0 && spawn(r) == -1)
		return ocf_fail(OCF_ERR_GENERIC, "%s: %s", ocf_str(r, P_STATE_DIR), strerror(errno));
	for (; clock_ms() < deadline; usleep(50000)) {
		if ((st = status(r, why, sizeof(why))) != NULL &&
		    json_is_true(json_object_get(st, "joined")))
			break;
		json_decref(st);
		st = NULL;
		if (daemon_pid(Z(r)->pidfile) <= 0 && clock_ms() > deadline - 19000)
			break;	/* it died (no corosync?): its log says why */
	}
	if (st == NULL)
		return ocf_fail(OCF_ERR_GENERIC, "zmworkerd did not join group %s (%s); see %s",
		    ocf_str(r, P_GROUP), why, Z(r)->logfile);
	json_decref(st);
	ocf_started_set(r, 1);
	log_info("zmworkerd running (pid %ld), group %s, max_parallel %ld",
	    daemon_pid(Z(r)->pidfile), ocf_str(r, P_GROUP), ocf_int(r, P_MAX_PARALLEL));
	return OCF_SUCCESS;
}

static enum ocf_exitcode
zmw_stop(struct ocf_rsc *r)
{
	long pid = daemon_pid(Z(r)->pidfile), end = clock_ms() + ocf_stop_budget_ms();

	ocf_started_set(r, 0);
	if (pid <= 0)
		return OCF_SUCCESS;
	log_info("stopping zmworkerd (pid %ld): no new claims, running tests may finish", pid);
	kill((pid_t)pid, SIGTERM);
	if (daemon_wait_gone(Z(r)->pidfile, end - 3000))
		return OCF_SUCCESS;
	log_warn("tests still running at the stop deadline: handed back to the other nodes");
	kill((pid_t)pid, SIGTERM);	/* the second one: hand back now */
	if (daemon_wait_gone(Z(r)->pidfile, end))
		return OCF_SUCCESS;
	kill((pid_t)pid, SIGKILL);
	if (daemon_wait_gone(Z(r)->pidfile, clock_ms() + 5000))
		return OCF_SUCCESS;
	return ocf_fail(OCF_ERR_GENERIC, "zmworkerd (pid %ld) survived SIGKILL", pid);
}

static enum ocf_exitcode
zmw_monitor(struct ocf_rsc *r)
{
	char why[512] = "";
	json_t *st;
	enum ocf_exitcode rc = OCF_SUCCESS;

	if (daemon_pid(Z(r)->pidfile) <= 0) {
		if (ocf_started_is_set(r))
			return ocf_fail(OCF_ERR_GENERIC, "zmworkerd is gone; see %s", Z(r)->logfile);
		return OCF_NOT_RUNNING;
	}
	if ((st = status(r, why, sizeof(why))) == NULL)
		return ocf_fail(OCF_ERR_GENERIC, "zmworkerd does not answer: %s", why);
	if (!json_is_true(json_object_get(st, "joined")))
		rc = ocf_fail(OCF_ERR_GENERIC, "zmworkerd is not in group %s", ocf_str(r, P_GROUP));
	else if (!json_is_true(json_object_get(st, "quorate")))
		rc = ocf_fail(OCF_ERR_GENERIC, "no quorum: zmworkerd is not claiming tests");
	else
		log_debug("zmworkerd: %d running here, %d pending in the cluster",
		    (int)json_integer_value(json_object_get(st, "running_here")),
		    (int)json_integer_value(json_object_get(st, "pending")));
	json_decref(st);
	return rc;
}

static const struct ocf_action actions[] = {
	{ "start", zmw_start, 30, 0, NULL, 0 },
	{ "stop", zmw_stop, 660, 0, NULL, 0 },
	{ "monitor", zmw_monitor, 20, 10, NULL, 0 },
	{ NULL }
};

static const struct ocf_agent agent = {
	.name = "zmworker",
	.version = PACKAGE_VERSION,
	.shortdesc = "Distributed Zonemaster test runner",
	.longdesc = "Runs Zonemaster tests (zonemaster-cli) for requests in the "
	    "zonemaster-distributed document format, shared between the nodes over Corosync "
	    "CPG: every request is stored durably and sent to every node, the first claim in "
	    "the agreed order wins, so no test runs twice while the cluster is whole; claims "
	    "only with quorum; at most max_parallel tests per node. A node that leaves has its "
	    "running tests run again elsewhere; after a partition the documents are merged and "
	    "a test run on both sides keeps both results. Use zmctl (submit, get, list, wait, "
	    "cancel, status) or drop *.json files into spool_dir. Run it as a clone. "
	    "Fencing matters less here, as the merge loses no result, but it is what makes "
	    "a node that left really stop: its running tests are handed over when it leaves "
	    "the group, and without fencing it may still be running them behind a network "
	    "cut, so each runs twice.",
	.params = params,
	.actions = actions,
	.validate = zmw_validate,
	.setup = zmw_setup,
	.teardown = zmw_teardown,
};

int
main(int argc, char **argv)
{
	return ocf_main(&agent, argc, argv);
}
