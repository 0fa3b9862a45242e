/* zmworkerd — runs Zonemaster tests for a cluster: requests are shared
 * over Corosync CPG (zmcluster.c), each is claimed by exactly one node
 * while the cluster is whole, and at most --max-parallel run here at once.
 *
 *   zmworkerd --state-dir DIR [--group NAME] [--max-parallel N]
 *             [--test-timeout S] [--zonemaster PROG] [--profile FILE]
 *             [--hints FILE] [--spool DIR] [--nodename NAME] [--drain S]
 *             [--user USER] [--debug] [-- EXTRA-ZONEMASTER-ARGS...]
 *
 * zonemaster-cli runs as USER (default _zmworker when started as root),
 * never as root unless asked with --user root.
 *
 * Stays in the foreground (the agent detaches it); one per state dir
 * (flock on DIR/zmworkerd.pid). SIGTERM: stop claiming, let the running
 * tests finish (at most --drain s, then they are handed back: killed, and
 * run again elsewhere), flush, leave. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qb/qbipcc.h>

#include "understudy/buf.h"
#include "understudy/clock.h"
#include "understudy/lock.h"
#include "understudy/log.h"
#include "understudy/net.h"
#include "understudy/node.h"
#include "zmd.h"
#include "zmipc.h"
#include "zmreq.h"
#include "zmspool.h"

#define EX_USAGE_ZM	2

struct zmd zmd;

static struct zm_run *
run_find_fd(int fd)
{
	for (size_t i = 0; i < zmd.nruns; i++)
		if (zmd.runs[i]->out_fd == fd || zmd.runs[i]->err_fd == fd)
			return zmd.runs[i];
	return NULL;
}

static void
run_finish(struct zm_run *r)
{
	struct zm_doc *d = zm_store_get(zmd.store, r->id);
	json_t *entry = d ? zm_doc_run(d, zmd.nodename, r->start) : NULL;
	size_t i;

	if (r->killed != ZM_KILL_HANDBACK && d != NULL) {
		json_t *fake = NULL, *res;

		if (entry == NULL)	/* dropped by a merge: keep the result anyway */
			entry = fake = json_pack("{ss ss sf s[]}", "alabel", "", "nodename",
			    zmd.nodename, "start_time", r->start, "messages");
		res = zm_run_result(r, entry);
		json_decref(fake);
		/* On disk here before anyone hears of it: a kill -9 right after
		 * loses nothing, the next sync carries it. */
		zm_doc_finish(zmd.store, d, res);
		zm_doc_save(zmd.store, d, 1);
		zmd_send(json_pack("{ss ss so}", "t", "done", "id", r->id, "result", res));
		zmd_ipc_doc_changed(d);
		log_info("zmworkerd: %s finished (%zu messages)", r->id,
		    json_array_size(r->messages));
	} else
		log_info("zmworkerd: %s handed back", r->id);
	for (i = 0; i < zmd.nruns && zmd.runs[i] != r; i++)
		;
	memmove(&zmd.runs[i], &zmd.runs[i + 1], (zmd.nruns - i - 1) * sizeof(*zmd.runs));
	zmd.nruns--;
	zm_run_free(r);
	free(r);
	zmd_schedule();
	zmd_maybe_exit();
}

static int
run_fd_cb(int32_t fd, int32_t revents, void *data)
{
	struct zm_run *r = run_find_fd(fd);

	(void)revents;
	(void)data;
	if (r == NULL) {
		qb_loop_poll_del(zmd.loop, fd);
		return 0;
	}
	if (zm_run_read(r, fd)) {
		qb_loop_poll_del(zmd.loop, fd);
		close(fd);
		if (zm_run_done(r))
			run_finish(r);
	}
	return 0;
}

void
zmd_run_begin(struct zm_doc *d, double start)
{
	struct zm_run *r = calloc(1, sizeof(*r));
	char **argv = zm_req_argv(d->doc, zmd.zonemaster, (const char *const *)zmd.extra);
	char why[512] = "bad request";

	if (r == NULL)
		abort();
	snprintf(r->id, sizeof(r->id), "%s", d->id);
	r->start = start;
	zmd.runs = realloc(zmd.runs, (zmd.nruns + 1) * sizeof(*zmd.runs));
	zmd.runs[zmd.nruns++] = r;
	zmd.started++;
	if (argv == NULL || zm_run_start(r, argv, zmd.user, zmd.test_timeout, why, sizeof(why)) < 0) {
		/* Recorded as this run's failure, never retried in a loop. */
		log_err("zmworkerd: %s: %s", d->id, why);
		if (r->messages == NULL)
			r->messages = json_array();
		r->wstatus = 127 << 8;
		buf_puts(&r->err, why);
		zm_argv_free(argv);
		run_finish(r);
		return;
	}
	zm_argv_free(argv);
	log_debug("zmworkerd: %s started, pid %d", d->id, (int)r->pid);
	qb_loop_poll_add(zmd.loop, QB_LOOP_MED, r->out_fd, POLLIN, NULL, run_fd_cb);
	qb_loop_poll_add(zmd.loop, QB_LOOP_MED, r->err_fd, POLLIN, NULL, run_fd_cb);
}

void
zmd_run_cancel(const char *id)
{
	for (size_t i = 0; i < zmd.nruns; i++)
		if (strcmp(zmd.runs[i]->id, id) == 0)
			zm_run_kill(zmd.runs[i], ZM_KILL_CANCEL);
}

static int32_t
sigchld_cb(int32_t sig, void *data)
{
	pid_t pid;
	int st;

	(void)sig;
	(void)data;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (size_t i = 0; i < zmd.nruns; i++) {
			struct zm_run *r = zmd.runs[i];

			if (r->pid != pid)
				continue;
			r->pid = 0;
			r->wstatus = st;
			kill(-pid, SIGKILL);	/* whatever it left behind */
			if (zm_run_done(r))
				run_finish(r);
			break;
		}
	}
	return 0;
}

void
zmd_maybe_exit(void)
{
	if (!zmd.stopping || zmd.nruns > 0 || !zmd_send_idle())
		return;
	log_info("zmworkerd: stopped (%lu tests started here)", zmd.started);
	qb_loop_stop(zmd.loop);
}

static int32_t
sigterm_cb(int32_t sig, void *data)
{
	(void)data;
	if (!zmd.stopping) {
		zmd.stopping = 1;
		zmd.stop_deadline_ms = zmd.drain_s > 0 ? clock_ms() + zmd.drain_s * 1000 : 0;
		log_info("zmworkerd: signal %d: not claiming; %zu running test(s) may finish%s",
		    sig, zmd.nruns, zmd.drain_s > 0 ? " within the drain time" : "");
	} else if (sig == SIGINT || sig == SIGTERM) {
		zmd.stop_deadline_ms = clock_ms();	/* asked twice: hand back now */
	}
	zmd_maybe_exit();
	return 0;
}

/* The CouchDB habit: drop a document in, it is submitted and removed. */
static void
spool_scan(void)
{
	DIR *dir;
	struct dirent *de;
	int dfd;

	if (zmd.spool == NULL || zmd.stopping || !zmd.joined ||
	    (dir = opendir(zmd.spool)) == NULL)
		return;
	dfd = dirfd(dir);
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		char id[ZM_ID_MAX], why[512];
		struct buf b = BUF_INIT;
		json_error_t jerr;
		json_t *doc;

		if (len < 6 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (zm_spool_read(dfd, de->d_name, &b, why, sizeof(why)) < 0) {
			zm_spool_reject(dfd, de->d_name, why);
			buf_free(&b);
			continue;
		}
		doc = json_loadb(b.data ? b.data : "", b.len, JSON_REJECT_DUPLICATES, &jerr);
		buf_free(&b);
		if (doc == NULL) {
			snprintf(why, sizeof(why), "line %d: %s", jerr.line, jerr.text);
			zm_spool_reject(dfd, de->d_name, why);
		} else if (zmd_submit(doc, id, sizeof(id), why, sizeof(why)) < 0)
			zm_spool_reject(dfd, de->d_name, why);
		else {
			log_info("zmworkerd: spool %s submitted as %s", de->d_name, id);
			unlinkat(dfd, de->d_name, 0);
		}
		json_decref(doc);
	}
	closedir(dir);
}

static void
progress(void)
{
	for (size_t i = 0; i < zmd.nruns; i++) {
		struct zm_run *r = zmd.runs[i];
		size_t n = json_array_size(r->messages);
		json_t *slice;

		if (r->pid <= 0 && r->out_fd < 0)
			continue;
		if (r->deadline_ms > 0 && clock_ms() >= r->deadline_ms)
			zm_run_kill(r, ZM_KILL_TIMEOUT);
		if (zmd.stopping && zmd.stop_deadline_ms > 0 && clock_ms() >= zmd.stop_deadline_ms)
			zm_run_kill(r, ZM_KILL_HANDBACK);
		if (n <= r->sent)
			continue;
		slice = json_array();
		for (size_t j = r->sent; j < n; j++)
			json_array_append(slice, json_array_get(r->messages, j));
		zmd_send(json_pack("{ss ss ss sf si so}", "t", "progress", "id", r->id, "node",
		    zmd.nodename, "start", r->start, "from", (int)r->sent, "messages", slice));
		r->sent = n;
	}
}

static qb_loop_timer_handle tick_handle;

static void
tick(void *data)
{
	(void)data;
	progress();
	spool_scan();
	zmd_schedule();
	zmd_maybe_exit();
	qb_loop_timer_add(zmd.loop, QB_LOOP_LOW, 500 * QB_TIME_NS_IN_MSEC, NULL, tick,
	    &tick_handle);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: zmworkerd --state-dir DIR [--group NAME] [--max-parallel N]\n"
	    "                 [--test-timeout S] [--zonemaster PROG] [--profile FILE]\n"
	    "                 [--hints FILE] [--spool DIR] [--nodename NAME] [--drain S]\n"
	    "                 [--user USER] [--debug] [-- EXTRA-ZONEMASTER-ARGS...]\n");
	exit(EX_USAGE_ZM);
}

static long
num_opt(const char *name, const char *v, long lo, long hi)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < lo || n > hi)
		fatal(EX_USAGE_ZM, "zmworkerd: --%s %s: a number from %ld to %ld is needed",
		    name, v, lo, hi);
	return n;
}

static void
extra_add(size_t *n, const char *a)
{
	zmd.extra = realloc(zmd.extra, (*n + 2) * sizeof(*zmd.extra));
	if (zmd.extra == NULL || (zmd.extra[*n] = strdup(a)) == NULL)
		abort();
	zmd.extra[++*n] = NULL;
}

/* Root runs the tests as an unprivileged user; anyone else can only run
 * them as itself. Checked once here so a missing user stops the start
 * instead of failing every test. */
static void
check_user(void)
{
	struct passwd *pw;

	if (zmd.user == NULL && geteuid() == 0)
		zmd.user = ZM_USER_DEFAULT;
	if (zmd.user == NULL)
		return;
	if ((pw = getpwnam(zmd.user)) == NULL)
		fatal(1, "zmworkerd: --user %s: no such user (the package creates "
		    ZM_USER_DEFAULT "; or name another)", zmd.user);
	if (geteuid() != 0 && pw->pw_uid != geteuid())
		fatal(EX_USAGE_ZM, "zmworkerd: --user %s: only root can run tests as another user",
		    zmd.user);
	if (geteuid() != 0)
		zmd.user = NULL;	/* already that user: nothing to switch */
	else if (pw->pw_uid == 0)
		log_warn("zmworkerd: --user %s: zonemaster-cli runs as root", zmd.user);
	/* The test reads them, as that user: say so now, not in every result. */
	for (size_t i = 0; zmd.extra[i] != NULL && zmd.extra[i + 1] != NULL; i++) {
		char why[512];

		if ((strcmp(zmd.extra[i], "--profile") == 0 || strcmp(zmd.extra[i], "--hints") == 0) &&
		    zm_run_can_read(zmd.user, zmd.extra[i + 1], why, sizeof(why)) != 0)
			fatal(1, "zmworkerd: %s %s: not readable by %s: %s", zmd.extra[i],
			    zmd.extra[i + 1], zmd.user ? zmd.user : "this user", why);
	}
}

static void
parse_args(int argc, char **argv, int *debug)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "group", required_argument, NULL, 'g' },
		{ "max-parallel", required_argument, NULL, 'm' },
		{ "test-timeout", required_argument, NULL, 't' },
		{ "zonemaster", required_argument, NULL, 'z' },
		{ "profile", required_argument, NULL, 'p' },
		{ "hints", required_argument, NULL, 'H' },
		{ "spool", required_argument, NULL, 's' },
		{ "nodename", required_argument, NULL, 'n' },
		{ "drain", required_argument, NULL, 'D' },
		{ "user", required_argument, NULL, 'u' },
		{ "debug", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static char name[NODE_NAME_MAX], ipc[128];
	size_t nextra = 0;
	int ch;

	zmd.group = "zmworker";
	zmd.max_parallel = 2;
	zmd.zonemaster = "zonemaster-cli";
	extra_add(&nextra, "--no-count");	/* its text summary is not JSON */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': zmd.state_dir = optarg; break;
		case 'g': zmd.group = optarg; break;
		case 'm': zmd.max_parallel = (int)num_opt("max-parallel", optarg, 0, 1024); break;
		case 't': zmd.test_timeout = num_opt("test-timeout", optarg, 0, 86400); break;
		case 'z': zmd.zonemaster = optarg; break;
		case 'p': extra_add(&nextra, "--profile"); extra_add(&nextra, optarg); break;
		case 'H': extra_add(&nextra, "--hints"); extra_add(&nextra, optarg); break;
		case 's': zmd.spool = optarg; break;
		case 'n': zmd.nodename = optarg; break;
		case 'D': zmd.drain_s = num_opt("drain", optarg, 0, 86400); break;
		case 'u': zmd.user = optarg; break;
		case 'v': *debug = 1; break;
		default: usage();
		}
	}
	for (; optind < argc; optind++)
		extra_add(&nextra, argv[optind]);
	if (zmd.state_dir == NULL || zmd.state_dir[0] != '/')
		usage();
	if (zmd.group[0] == '\0' || strlen(zmd.group) > 100)
		fatal(EX_USAGE_ZM, "zmworkerd: --group: 1 to 100 characters");
	if (zmd.nodename == NULL) {
		if (node_self(name, sizeof(name)) != 0)
			fatal(1, "zmworkerd: cannot tell this node's name");
		zmd.nodename = name;
	}
	snprintf(ipc, sizeof(ipc), "%s%s", ZM_IPC_PREFIX, zmd.group);
	zmd.ipc_name = ipc;
}

/* Someone holds our IPC name: say who (net_peer_is names the process), so
 * the admin finds the impostor or the zmworkerd of another state_dir on
 * the same group. */
static void
ipc_fatal(void)
{
	int e = errno;
	qb_ipcc_connection_t *c;
	char peer[256];
	int32_t fd;

	if (e == EADDRINUSE && (c = qb_ipcc_connect(zmd.ipc_name, ZM_IPC_MAX)) != NULL) {
		/* (uid_t)-1 is no process's uid: only the description is wanted. */
		if (qb_ipcc_fd_get(c, &fd) == 0 &&
		    net_peer_is(fd, (uid_t)-1, NULL, NULL, peer, sizeof(peer)) == -1 &&
		    strncmp(peer, "uid ", 4) == 0) {
			qb_ipcc_disconnect(c);
			fatal(1, "zmworkerd: IPC service %s is taken by %s; zmctl trusts only "
			    "root: stop it first", zmd.ipc_name, peer);
		}
		qb_ipcc_disconnect(c);
	}
	fatal(1, "zmworkerd: cannot offer IPC service %s: %s", zmd.ipc_name, strerror(e));
}

int
main(int argc, char **argv)
{
	char docs[4096], pidpath[4096];
	struct lock pidlock = LOCK_INIT;
	int debug = 0, n;

	parse_args(argc, argv, &debug);
	log_init("zmworkerd", 1, debug);
	check_user();
	signal(SIGPIPE, SIG_IGN);
	snprintf(docs, sizeof(docs), "%s/docs", zmd.state_dir);
	if ((mkdir(zmd.state_dir, 0750) < 0 && errno != EEXIST) ||
	    (mkdir(docs, 0750) < 0 && errno != EEXIST))
		fatal(1, "zmworkerd: cannot create %s: %s", docs, strerror(errno));
	if (zmd.spool != NULL && mkdir(zmd.spool, 0750) < 0 && errno != EEXIST)
		fatal(1, "zmworkerd: cannot create %s: %s", zmd.spool, strerror(errno));
	snprintf(pidpath, sizeof(pidpath), "%s/zmworkerd.pid", zmd.state_dir);
	if (lock_acquire(&pidlock, pidpath, 0) != LOCK_OK)
		fatal(1, "zmworkerd: another zmworkerd holds %s", pidpath);
	if (ftruncate(pidlock.fd, 0) == 0)
		dprintf(pidlock.fd, "%d\n", (int)getpid());
	/* Claims in flight never exceed the free slots. */
	zmd.inflight = calloc((size_t)zmd.max_parallel + 1, sizeof(*zmd.inflight));
	if (zmd.inflight == NULL)
		abort();
	zmd.store = zm_store_new(docs, zmd_is_member_name, NULL);
	if ((n = zm_store_load(zmd.store)) < 0)
		fatal(1, "zmworkerd: cannot read %s: %s", docs, strerror(errno));
	zmd.loop = qb_loop_create();
	if (zmd_ipc_init() < 0)
		ipc_fatal();
	zmd_cluster_init();
	log_info("zmworkerd: %d document(s) from %s; max_parallel %d", n, docs,
	    zmd.max_parallel);
	qb_loop_signal_add(zmd.loop, QB_LOOP_HIGH, SIGCHLD, NULL, sigchld_cb, NULL);
	qb_loop_signal_add(zmd.loop, QB_LOOP_HIGH, SIGTERM, NULL, sigterm_cb, NULL);
	qb_loop_signal_add(zmd.loop, QB_LOOP_HIGH, SIGINT, NULL, sigterm_cb, NULL);
	qb_loop_timer_add(zmd.loop, QB_LOOP_LOW, 500 * QB_TIME_NS_IN_MSEC, NULL, tick,
	    &tick_handle);
	qb_loop_run(zmd.loop);
	zmd_cluster_fini();
	zmd_ipc_fini();
	zm_store_free(zmd.store);
	lock_release(&pidlock);
	unlink(pidpath);
	log_fini();
	return 0;
}
