/* ocf:understudy:mirror — push directories and files to the other nodes
 * from the node that holds the service (put it in a group right after the
 * IP, before the service that writes the data).
 *
 * start writes STATE_DIR/mirror.conf and starts `mirror-sync --daemon`;
 * stop asks it to finish (the running sync, then one final sync, bounded
 * by the stop timeout); monitor checks the daemon and publishes the age
 * and result of the last sync as node attributes mirror-last-sync and
 * mirror-lag. Decisions where the contract is silent:
 *  - a peer that is down does not fail the resource (a standby may be
 *    gone while the service runs); the sync result is logged and published;
 *  - a final sync that outlives the stop timeout is cut (the daemon is
 *    killed 5 s before the deadline): a stop that never ends means fencing. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "understudy/buf.h"
#include "understudy/clock.h"
#include "understudy/daemon.h"
#include "understudy/log.h"
#include "understudy/node.h"
#include "understudy/ocf.h"
#include "../helpers/mirror/mconf.h"
#include "../helpers/mirror/status.h"


enum {
	P_PATHS, P_NODES, P_INTERVAL, P_DELETE, P_EXCLUDE, P_MAX_DELETE, P_SSH_USER, P_SSH_KEY,
	P_KNOWN_HOSTS, P_STATE_DIR, P_CONFLICT_DIR, P_XATTRS, P_ACLS, P_HELPERS
};

static enum ocf_exitcode v_paths(const char *, char *, size_t);
static enum ocf_exitcode v_patterns(const char *, char *, size_t);

static const struct ocf_param params[] = {
	{ "paths", OCF_STRING, OCF_P_REQUIRED | OCF_P_POSITIONAL, NULL, 0, 0, v_paths,
	  "Paths", "What to keep identical on the other nodes, blank-separated absolute "
	  "paths (a backslash escapes a blank): directories and files, e.g. \"/srv/www/ "
	  "/etc/passwd /etc/shadow /etc/group\". rsync's trailing-slash rule applies, and "
	  "SRC=DEST puts SRC elsewhere on the peers; by default each path lands at the same "
	  "place." },
	{ "nodes", OCF_STRING, OCF_P_REQUIRED, NULL, 0, 0, ocf_v_nodes,
	  "Nodes", "Every node, name=address[:sshport] (name as crm_node -n prints it); the "
	  "node running the resource pushes to all the others." },
	{ "interval", OCF_INTEGER, 0, "600", 0, 604800, NULL,
	  "Sync interval (s)", "Seconds between syncs; 0 follows changes as they happen "
	  "(inotify), with a full rescan when the event queue overflows. A sync that takes "
	  "longer is logged and counted in the node attribute mirror-overruns; the next one "
	  "starts when it ends." },
	{ "delete", OCF_BOOLEAN, 0, "true", 0, 0, NULL,
	  "Delete", "Remove from the peers what is gone here (rsync --delete), within the "
	  "guards of max_delete and the source checks." },
	{ "exclude", OCF_STRING, 0, NULL, 0, 0, v_patterns,
	  "Excludes", "Blank-separated patterns: without '/' they match any name, with one "
	  "the path below the root; a trailing '/' matches directories only. Excluded "
	  "entries are neither sent nor deleted on the peers." },
	{ "max_delete", OCF_INTEGER, 0, "1000", 0, 1000000000, NULL,
	  "Delete guard", "A sync that would delete more entries than this on a peer is "
	  "refused (and logged); so is one whose source root is missing or empty." },
	{ "ssh_user", OCF_STRING, 0, "root", 0, 0, NULL,
	  "SSH user", "The user mirror-serve runs as on the peers (root keeps owners)." },
	{ "ssh_key", OCF_STRING, OCF_P_REQUIRED, NULL, 0, 0, ocf_v_readable,
	  "SSH key", "Private key for ssh_user@node (no passphrase)." },
	{ "known_hosts", OCF_STRING, OCF_P_REQUIRED, NULL, 0, 0, ocf_v_readable,
	  "known_hosts", "The other nodes' host keys; an unknown or changed key stops the "
	  "sync, it is never accepted blindly." },
	{ "state_dir", OCF_STRING, OCF_P_UNIQUE, "/var/lib/understudy/mirror", 0, 0, ocf_v_abs_path,
	  "State directory", "Manifests, status, lock and mirror.conf; the same path on every "
	  "node, one per mirror resource." },
	{ "conflict_dir", OCF_STRING, 0, NULL, 0, 0, ocf_v_abs_path,
	  "Conflict directory", "Where a node keeps its own changes that a push would "
	  "overwrite or delete (a stale node coming back). Default: state_dir/conflicts." },
	{ "xattrs", OCF_BOOLEAN, 0, "false", 0, 0, NULL,
	  "Extended attributes", "Copy extended attributes (user, trusted, security)." },
	{ "acls", OCF_BOOLEAN, 0, "false", 0, 0, NULL,
	  "ACLs", "Copy POSIX ACLs." },
	{ "helpers", OCF_STRING, 0, MIRROR_BINDIR, 0, 0, ocf_v_dir,
	  "Helper directory", "Where mirror-sync and mirror-serve are, on every node." },
	{ NULL }
};

struct mir {
	char		 self[NODE_NAME_MAX];
	char		 pidfile[4200];
};

static struct mir *
M(struct ocf_rsc *r)
{
	return r->priv;
}

static enum ocf_exitcode
v_paths(const char *v, char *why, size_t whylen)
{
	struct mroot *roots;
	size_t n;

	if (mirror_paths_parse(v, &roots, &n, why, whylen) == -1)
		return OCF_ERR_CONFIGURED;
	mirror_roots_free(roots, n);
	return OCF_SUCCESS;
}

static enum ocf_exitcode
v_patterns(const char *v, char *why, size_t whylen)
{
	char **w;
	size_t n;

	if (conf_words_parse(v, &w, &n, why, whylen) == -1)
		return OCF_ERR_CONFIGURED;
	conf_words_free(w, n);
	return OCF_SUCCESS;
}

static void
mirror_setup(struct ocf_rsc *r)
{
	struct mir *m = calloc(1, sizeof(*m));

	if (m == NULL)
		exit(ocf_fail(OCF_ERR_GENERIC, "out of memory"));
	if (node_self(m->self, sizeof(m->self)) != 0)
		snprintf(m->self, sizeof(m->self), "unknown");
	snprintf(m->pidfile, sizeof(m->pidfile), "%.4000s/mirror-sync.pid",
	    ocf_str(r, P_STATE_DIR));
	r->priv = m;
}

static void
mirror_teardown(struct ocf_rsc *r)
{
	free(r->priv);
	r->priv = NULL;
}

static enum ocf_exitcode
mirror_validate(struct ocf_rsc *r, char *why, size_t whylen)
{
	struct mir *m = M(r);
	struct node_list nl;
	char path[4200];
	int found;

	if (node_list_parse(ocf_str(r, P_NODES), &nl, why, whylen) == -1)
		return OCF_ERR_CONFIGURED;
	found = node_list_find(&nl, m->self) != NULL;
	node_list_free(&nl);
	if (!found) {
		snprintf(why, whylen, "nodes: this node (%s) is not in the list", m->self);
		/* Not meant to run here: ERR_INSTALLED bans this node only (ERR_CONFIGURED
		 * would stop the resource everywhere), and a probe or stop here succeeds. */
		return OCF_ERR_INSTALLED;
	}
	snprintf(path, sizeof(path), "%s/mirror-sync", ocf_str(r, P_HELPERS));
	if (access(path, X_OK) == -1) {
		snprintf(why, whylen, "%s: not installed", path);
		return OCF_ERR_INSTALLED;
	}
	return OCF_SUCCESS;
}

static void
conf_path(struct ocf_rsc *r, char *out, size_t n)
{
	snprintf(out, n, "%s/mirror.conf", ocf_str(r, P_STATE_DIR));
}

/* A conf value on one line, in quotes. */
static void
put_setting(struct buf *b, const char *key, const char *v)
{
	buf_printf(b, "%s = \"", key);
	for (; *v; v++)
		buf_printf(b, "%c", *v == '\n' || *v == '\r' ? ' ' : *v);
	buf_puts(b, "\"\n");
}

static int
write_conf(struct ocf_rsc *r, char *why, size_t whylen)
{
	struct mir *m = M(r);
	struct buf b = BUF_INIT;
	char prog[4200], conf[4200];
	int rc = -1;

	buf_puts(&b, "# Written by ocf:understudy:mirror on every start; edits are lost.\n");
	put_setting(&b, "self", m->self);
	put_setting(&b, "nodes", ocf_str(r, P_NODES));
	put_setting(&b, "paths", ocf_str(r, P_PATHS));
	put_setting(&b, "exclude", ocf_str(r, P_EXCLUDE));
	buf_printf(&b, "interval = %ld\ndelete = %s\nmax_delete = %ld\nxattrs = %s\nacls = %s\n",
	    ocf_int(r, P_INTERVAL), ocf_bool(r, P_DELETE) ? "yes" : "no", ocf_int(r, P_MAX_DELETE),
	    ocf_bool(r, P_XATTRS) ? "yes" : "no", ocf_bool(r, P_ACLS) ? "yes" : "no");
	put_setting(&b, "ssh_user", ocf_str(r, P_SSH_USER));
	put_setting(&b, "ssh_key", ocf_str(r, P_SSH_KEY));
	put_setting(&b, "known_hosts", ocf_str(r, P_KNOWN_HOSTS));
	put_setting(&b, "state_dir", ocf_str(r, P_STATE_DIR));
	put_setting(&b, "conflict_dir", ocf_str(r, P_CONFLICT_DIR));
	snprintf(prog, sizeof(prog), "%s/mirror-serve", ocf_str(r, P_HELPERS));
	put_setting(&b, "remote_program", prog);
	conf_path(r, conf, sizeof(conf));
	if (mirror_mkdirs(ocf_str(r, P_STATE_DIR)) == -1 || buf_write_file(&b, conf, 0600) == -1)
		snprintf(why, whylen, "%.900s: %s", conf, strerror(errno));
	else
		rc = 0;
	buf_free(&b);
	return rc;
}

static long
mirror_pid(struct ocf_rsc *r)
{
	return status_daemon_pid(ocf_str(r, P_STATE_DIR));
}

static int
spawn_daemon(struct ocf_rsc *r)
{
	char prog[4200], logf[4200], conf[4200];
	const char *argv[] = { prog, "--daemon", "-c", conf, NULL };

	snprintf(prog, sizeof(prog), "%s/mirror-sync", ocf_str(r, P_HELPERS));
	snprintf(logf, sizeof(logf), "%s/mirror-sync.log", ocf_str(r, P_STATE_DIR));
	conf_path(r, conf, sizeof(conf));
	return daemon_spawn(argv, logf);
}

static enum ocf_exitcode
mirror_start(struct ocf_rsc *r)
{
	char why[1024];
	long deadline;

	if (mirror_pid(r) > 0)
		return OCF_SUCCESS;
	if (write_conf(r, why, sizeof(why)) == -1)
		return ocf_fail(OCF_ERR_GENERIC, "%s", why);
	if (spawn_daemon(r) == -1)
		return ocf_fail(OCF_ERR_GENERIC, "fork: %s", strerror(errno));
	for (deadline = clock_ms() + 10000; mirror_pid(r) <= 0; usleep(20000))
		if (clock_ms() > deadline)
			return ocf_fail(OCF_ERR_GENERIC, "mirror-sync did not start; see %s/"
			    "mirror-sync.log", ocf_str(r, P_STATE_DIR));
	ocf_started_set(r, 1);
	log_info("mirror-sync started (pid %ld): %s every %s", mirror_pid(r), ocf_str(r, P_PATHS),
	    ocf_int(r, P_INTERVAL) ? "interval" : "change");
	return OCF_SUCCESS;
}

static enum ocf_exitcode
mirror_stop(struct ocf_rsc *r)
{
	long pid = mirror_pid(r), deadline = clock_ms() + ocf_stop_budget_ms();
	struct mirror_status st;

	ocf_started_set(r, 0);
	if (pid <= 0)
		return OCF_SUCCESS;
	log_info("stopping mirror-sync (pid %ld): the running sync, then a final one", pid);
	kill((pid_t)pid, SIGTERM);
	if (!daemon_wait_gone(M(r)->pidfile, deadline)) {
		log_warn("the final sync did not end within the stop timeout; mirror-sync killed");
		kill((pid_t)pid, SIGKILL);
		if (!daemon_wait_gone(M(r)->pidfile, clock_ms() + 5000))
			return ocf_fail(OCF_ERR_GENERIC, "mirror-sync (pid %ld) survived SIGKILL", pid);
		return OCF_SUCCESS;
	}
	if (status_load(ocf_str(r, P_STATE_DIR), &st) == 0)
		log_info("final sync: %s%s%s", st.result, st.message[0] ? ": " : "", st.message);
	return OCF_SUCCESS;
}

static void
publish(struct ocf_rsc *r, const struct mirror_status *st)
{
	char v[64];

	snprintf(v, sizeof(v), "%lld", (long long)st->last_success);
	ocf_attr_set("mirror-last-sync", v);
	snprintf(v, sizeof(v), "%lld", st->last_success ? (long long)(time(NULL) -
	    st->last_success) : -1LL);
	ocf_attr_set("mirror-lag", v);
	if (strcmp(st->result, "ok") != 0)
		log_warn("last sync %s: %s", st->result, st->message[0] ? st->message : "see the log");
	snprintf(v, sizeof(v), "%lu", st->overruns);
	ocf_attr_set("mirror-overruns", v);
	if (st->overruns)
		log_warn("%lu sync(s) took longer than interval=%ld s", st->overruns,
		    ocf_int(r, P_INTERVAL));
}

static enum ocf_exitcode
mirror_monitor(struct ocf_rsc *r)
{
	struct mirror_status st;

	if (mirror_pid(r) <= 0) {
		if (ocf_started_is_set(r))
			return ocf_fail(OCF_ERR_GENERIC, "mirror-sync is gone; see %s/mirror-sync.log",
			    ocf_str(r, P_STATE_DIR));
		return OCF_NOT_RUNNING;
	}
	if (ocf_is_probe(r))
		return OCF_SUCCESS;
	if (status_load(ocf_str(r, P_STATE_DIR), &st) == 0)
		publish(r, &st);
	return OCF_SUCCESS;
}

static const struct ocf_action actions[] = {
	{ "start", mirror_start, 30, 0, NULL, 0 },
	{ "stop", mirror_stop, 120, 0, NULL, 0 },
	{ "monitor", mirror_monitor, 20, 30, NULL, 0 },
	{ NULL }
};

static const struct ocf_agent agent = {
	.name = "mirror",
	.version = PACKAGE_VERSION,
	.shortdesc = "Directories and files pushed to the other nodes",
	.longdesc = "Keeps paths identical on the other nodes from the node that runs it: "
	    "mirror-sync pushes over SSH to mirror-serve on each peer, only what changed since "
	    "the last sync (a manifest per peer; changed blocks of big files), every file "
	    "landing as a temporary that is made durable and renamed. Never two syncs at once; "
	    "stop waits for the running sync and does a final one. A node that comes back "
	    "stale keeps its own unsynced changes in conflict_dir instead of losing them. "
	    "Monitor publishes node attributes mirror-last-sync (epoch of the last good sync) "
	    "and mirror-lag (seconds since). Put it in a group right after the IP address. "
	    "It relies on fencing: Pacemaker starts the group elsewhere only once the node "
	    "that held it is fenced, and a stop that outlives its timeout is settled by "
	    "fencing; without it, two nodes holding the group after a network cut would both "
	    "push, the stale side overwriting fresh files.",
	.params = params,
	.actions = actions,
	.validate = mirror_validate,
	.setup = mirror_setup,
	.teardown = mirror_teardown,
};

int
main(int argc, char **argv)
{
	return ocf_main(&agent, argc, argv);
}
