/* mirror-sync — push the configured paths to every other node.
 *
 *   mirror-sync [-c CONF] [--dry-run] [--force] [--verify]   one sync now
 *   mirror-sync [-c CONF] --daemon     every `interval` s, or on inotify events
 *                                      when interval = 0; SIGTERM: finish the
 *                                      running sync, do a final one, exit
 *   mirror-sync [-c CONF] --status     the last result, and whether a daemon runs
 *
 * Exit: 0 synced, 1 a peer failed or reported errors, 2 usage or
 * configuration, 3 refused by a delete guard, 4 coalesced into a sync that
 * was already waiting. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "understudy/clock.h"
#include "understudy/lock.h"
#include "understudy/log.h"
#include "understudy/ssh.h"
#include "fsid.h"
#include "mconf.h"
#include "push.h"
#include "scan.h"
#include "status.h"
#include "watch.h"

#define EX_OK		0
#define EX_FAILED	1
#define EX_USAGE	2
#define EX_REFUSED	3
#define EX_COALESCED	4

struct peer {
	const struct node	*node;
	struct ssh_session	*ssh;
	struct ssh_stream	*st;
	int			 verify;	/* compare with its listing next time */
	struct push_keep	 keep;		/* daemon: its manifest, in memory */
	long			 retry_at;	/* daemon: not before (clock_ms) */
};

/* A daemon whose peer is down tries it again after this, not on every
 * batch of changes (a dead host costs a connect timeout each time). */
#define RETRY_MS	10000

struct syncer {
	struct mirror_conf	 c;
	struct peer		*peers;
	size_t			 npeers;
	unsigned		 flags;
	int			 keep_streams;	/* daemon: one stream per peer for good */
	struct mirror_status	 status;
};

static volatile sig_atomic_t stop_requested, sync_requested;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		sync_requested = 1;
	else
		stop_requested = 1;
}

static int
link_write(void *ctx, const void *p, size_t n)
{
	struct peer *pe = ctx;

	return ssh_stream_write(pe->st, p, n) == SSH_OK ? 0 : -1;
}

static int
link_gets(void *ctx, char *line, size_t max)
{
	struct peer *pe = ctx;

	return ssh_stream_gets(pe->st, line, max) == SSH_OK ? 0 : -1;
}

static void
close_stream(struct peer *pe)
{
	struct buf err = BUF_INIT;
	int status = 0;

	if (pe->st == NULL)
		return;
	ssh_stream_close(pe->st, &err, &status);
	pe->st = NULL;
	if (err.len > 0)
		log_warn("%s: mirror-serve said: %.*s", pe->node->name, (int)err.len, err.data);
	buf_free(&err);
}

static int
open_stream(struct syncer *y, struct peer *pe, char *why, size_t whylen)
{
	const char *argv[8];
	int n = 0;

	if (pe->st && ssh_is_connected(pe->ssh))
		return 0;
	close_stream(pe);
	if (ssh_ensure(pe->ssh) != SSH_OK) {
		snprintf(why, whylen, "%s", ssh_error(pe->ssh));
		return -1;
	}
	argv[n++] = y->c.remote_program;
	argv[n++] = "--state-dir";
	argv[n++] = y->c.state_dir;
	if (y->c.conflict_dir[0]) {
		argv[n++] = "--conflict-dir";
		argv[n++] = y->c.conflict_dir;
	}
	argv[n] = NULL;
	if (ssh_stream_open(pe->ssh, argv, &pe->st) != SSH_OK) {
		snprintf(why, whylen, "%s", ssh_error(pe->ssh));
		return -1;
	}
	return 0;
}

/* A peer that was out of reach may have changed on its own meanwhile (a
 * stale node written to, a restore): the next sync to it compares with its
 * listing instead of trusting the manifest, so its extra files are found
 * and kept as conflicts. The mark survives a restart of mirror-sync. */
static void
verify_mark(struct syncer *y, struct peer *pe, int on)
{
	char p[4200];
	int fd;

	snprintf(p, sizeof(p), "%s/verify-%s", y->c.state_dir, pe->node->name);
	pe->verify = on;
	if (!on)
		unlink(p);
	else if ((fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
}

static int
verify_marked(struct syncer *y, struct peer *pe)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/verify-%s", y->c.state_dir, pe->node->name);
	return access(p, F_OK) == 0;
}

static int
sync_peer(struct syncer *y, struct peer *pe, struct scan *scans, struct push_stats *ps)
{
	struct mlink l = { link_write, link_gets, pe, "" };
	enum push_result r;
	unsigned flags = y->flags;

	memset(ps, 0, sizeof(*ps));
	if (y->keep_streams && clock_ms() < pe->retry_at) {
		snprintf(ps->msg, sizeof(ps->msg), "out of reach; next try in %ld s",
		    (pe->retry_at - clock_ms()) / 1000 + 1);
		return PUSH_FAILED;
	}
	if (pe->verify || verify_marked(y, pe))
		flags |= PUSH_VERIFY;
	if (open_stream(y, pe, ps->msg, sizeof(ps->msg)) == -1) {
		log_err("%s: %s", pe->node->name, ps->msg);
		if (!(flags & PUSH_DRY_RUN))
			verify_mark(y, pe, 1);
		pe->retry_at = clock_ms() + RETRY_MS;
		return PUSH_FAILED;
	}
	r = mirror_push(&y->c, pe->node->name, scans, &l, flags, stdout, ps,
	    y->keep_streams ? &pe->keep : NULL);
	if (!(flags & PUSH_DRY_RUN) && (r == PUSH_FAILED) != pe->verify)
		verify_mark(y, pe, r == PUSH_FAILED);
	if (r == PUSH_FAILED) {
		pe->retry_at = clock_ms() + RETRY_MS;
		if (!ps->msg[0] || strcmp(ps->msg, "link failed") == 0)
			snprintf(ps->msg, sizeof(ps->msg), "%s", ssh_error(pe->ssh));
		log_err("%s: %s", pe->node->name, ps->msg);
		close_stream(pe);
		ssh_disconnect(pe->ssh);
	} else if (!y->keep_streams || (y->flags & PUSH_DRY_RUN)) {
		close_stream(pe);
	}
	return (int)r;
}

/* Whether the changes named by d can stand for a full scan: every peer's
 * manifest is in memory and trusted, and the root is a directory. */
static int
can_partial(const struct syncer *y, const struct dirty *d, const struct mroot *r)
{
	struct stat st;

	if (d == NULL || d->full || y->npeers == 0)
		return 0;
	for (size_t i = 0; i < y->npeers; i++) {
		const struct peer *pe = &y->peers[i];

		if (clock_ms() < pe->retry_at)
			continue;	/* skipped this time; verified when it is back */
		if (!pe->keep.ready || !pe->keep.m.loaded || pe->verify)
			return 0;
	}
	return lstat(r->src, &st) == 0 && S_ISDIR(st.st_mode);
}

/* One sync of every root to every peer, under the lock; dirty (continuous
 * mode) limits the local scan to the directories that changed. */
static int
sync_all(struct syncer *y, const struct dirty *dirty)
{
	struct scan *scans = calloc(y->c.nroots, sizeof(*scans));
	const struct manifest **known = NULL;
	long t0 = clock_ms();
	int worst = PUSH_OK, rc;
	char why[1024];

	if (scans == NULL || (known = calloc(y->npeers + 1, sizeof(*known))) == NULL) {
		free(scans);
		return EX_FAILED;
	}
	for (size_t i = 0; i < y->npeers; i++)
		known[i] = &y->peers[i].keep.m;
	y->status.message[0] = '\0';
	if (y->c.delete && !(y->flags & PUSH_FORCE) && fsid_check(&y->c, why, sizeof(why)) == -1) {
		log_err("%s", why);
		snprintf(y->status.message, sizeof(y->status.message), "%s", why);
		free(scans);
		free(known);
		y->status.result = "refused";
		y->status.last_run = time(NULL);
		if (status_save(y->c.state_dir, &y->status, why, sizeof(why)) == -1)
			log_warn("%s", why);
		return EX_REFUSED;
	}
	for (size_t i = 0; i < y->c.nroots; i++) {
		const struct mroot *r = &y->c.roots[i];

		if (can_partial(y, dirty, r))
			rc = scan_partial(r, y->c.excludes, y->c.nexcludes, dirty->v, dirty->n,
			    known, y->npeers, &scans[i], why, sizeof(why));
		else
			rc = scan_root(r, y->c.excludes, y->c.nexcludes, &scans[i], why, sizeof(why));
		if (rc == -1)
			log_warn("%s%s", why, y->c.delete ? "" : "; skipped");
	}
	y->status.files = y->status.bytes = y->status.deleted = 0;
	y->status.conflicts = y->status.errors = 0;
	for (size_t i = 0; i < y->npeers; i++) {
		struct push_stats ps;
		int r = sync_peer(y, &y->peers[i], scans, &ps);

		y->status.files += ps.files;
		y->status.bytes += ps.bytes;
		y->status.deleted += ps.deleted;
		y->status.conflicts += ps.conflicts;
		y->status.errors += ps.errors;
		if (r != PUSH_OK && ps.msg[0])
			snprintf(y->status.message, sizeof(y->status.message), "%s: %.900s",
			    y->peers[i].node->name, ps.msg);
		if (r > worst)
			worst = r;
	}
	for (size_t i = 0; i < y->c.nroots; i++)
		scan_free(&scans[i]);
	free(scans);
	free(known);
	y->status.last_run = time(NULL);
	y->status.duration_ms = clock_ms() - t0;
	y->status.result = worst == PUSH_OK ? "ok" : worst == PUSH_PARTIAL ? "partial" :
	    worst == PUSH_REFUSED ? "refused" : "failed";
	if (worst == PUSH_OK) {
		y->status.last_success = y->status.last_run;
		if (!(y->flags & PUSH_DRY_RUN))
			fsid_record(&y->c);
	}
	if (!(y->flags & PUSH_DRY_RUN) && status_save(y->c.state_dir, &y->status, why, sizeof(why)) == -1)
		log_warn("%s", why);
	log_info("sync %s in %ld ms: %lu entries, %llu bytes, %lu deleted, %lu conflicts, "
	    "%lu errors", y->status.result, y->status.duration_ms, y->status.files,
	    y->status.bytes, y->status.deleted, y->status.conflicts, y->status.errors);
	return worst == PUSH_OK ? EX_OK : worst == PUSH_REFUSED ? EX_REFUSED : EX_FAILED;
}

static void
lock_path(const struct syncer *y, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", y->c.state_dir, name);
}

/* Never two syncs at once; a sync asked for while one runs waits for it,
 * and a third one is coalesced into the waiting one. Signals wait until
 * the sync is over: a stop request must not break an SSH exchange. */
static int sync_locked_now(struct syncer *, const struct dirty *);

static int
sync_locked(struct syncer *y, const struct dirty *dirty)
{
	sigset_t block, old;
	int rc;

	if (!y->keep_streams)
		return sync_locked_now(y, dirty);	/* one-shot: ^C still stops it */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	rc = sync_locked_now(y, dirty);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int
sync_locked_now(struct syncer *y, const struct dirty *dirty)
{
	struct lock run = LOCK_INIT, wait = LOCK_INIT;
	char p[4200];
	int rc;

	lock_path(y, "sync.wait", p, sizeof(p));
	if (lock_acquire(&wait, p, 0) != LOCK_OK) {
		log_info("a sync is already waiting to run; this one is coalesced into it");
		return EX_COALESCED;
	}
	lock_path(y, "sync.lock", p, sizeof(p));
	if (lock_is_held(p) == 1)
		log_info("a sync is running; waiting for it");
	if (lock_acquire(&run, p, -1) != LOCK_OK) {
		lock_release(&wait);
		log_err("%s: %s", p, strerror(errno));
		return EX_FAILED;
	}
	lock_release(&wait);
	rc = sync_all(y, dirty);
	lock_release(&run);
	return rc;
}

static int
peers_new(struct syncer *y)
{
	y->peers = calloc(y->c.nodes.n, sizeof(*y->peers));
	if (y->peers == NULL)
		return -1;
	for (size_t i = 0; i < y->c.nodes.n; i++) {
		struct ssh_opts o;
		struct peer *pe;

		if (strcmp(y->c.nodes.v[i].name, y->c.self) == 0)
			continue;
		pe = &y->peers[y->npeers++];
		pe->node = &y->c.nodes.v[i];
		mirror_ssh_opts(&y->c, pe->node, &o);
		if ((pe->ssh = ssh_session_new(&o)) == NULL)
			return -1;
	}
	return 0;
}

static void
peers_free(struct syncer *y)
{
	for (size_t i = 0; i < y->npeers; i++) {
		close_stream(&y->peers[i]);
		ssh_session_free(y->peers[i].ssh);
		push_keep_flush(&y->c, y->peers[i].node->name, &y->peers[i].keep);
		push_keep_free(&y->peers[i].keep);
	}
	free(y->peers);
}

static void
wait_interval(struct syncer *y, long started)
{
	long due = started + y->c.interval * 1000;

	while (!stop_requested && !sync_requested && clock_ms() < due) {
		long left = due - clock_ms();

		poll(NULL, 0, left > 200 ? 200 : (int)(left > 0 ? left : 0));
	}
}

/* When the first peer that was out of reach is due again (0: none is),
 * so a change made while it was down reaches it without a new change. */
static long
next_retry(const struct syncer *y)
{
	long at = 0, now = clock_ms();

	for (size_t i = 0; i < y->npeers; i++)
		if (y->peers[i].retry_at > now && (at == 0 || y->peers[i].retry_at < at))
			at = y->peers[i].retry_at;
	return at;
}

static int
run_daemon(struct syncer *y)
{
	struct watch *w = NULL;
	struct dirty d = { NULL, 0, 1 };
	struct lock pidlock = LOCK_INIT;
	char p[4200];
	long started;

	lock_path(y, "mirror-sync.pid", p, sizeof(p));
	if (lock_acquire(&pidlock, p, 0) != LOCK_OK)
		fatal(EX_FAILED, "another mirror-sync daemon holds %s", p);
	if (ftruncate(pidlock.fd, 0) == 0)
		dprintf(pidlock.fd, "%d\n", (int)getpid());
	y->keep_streams = 1;
	/* a start is a takeover: whatever the peers hold is compared once */
	for (size_t i = 0; i < y->npeers; i++)
		y->peers[i].verify = 1;
	if (y->c.interval == 0 && (w = watch_new(&y->c)) == NULL)
		fatal(EX_FAILED, "inotify: %s", strerror(errno));
	log_info("started: %zu paths to %zu peers, %s", y->c.nroots, y->npeers,
	    y->c.interval ? "periodic" : "continuous");
	while (!stop_requested) {
		sync_requested = 0;
		started = clock_ms();
		sync_locked(y, &d);
		if (y->c.interval > 0 && clock_ms() - started > y->c.interval * 1000) {
			y->status.overruns++;
			log_warn("the sync took %ld ms, longer than interval=%ld s; the next one "
			    "starts now (overrun %lu)", clock_ms() - started, y->c.interval,
			    y->status.overruns);
		}
		if (stop_requested)
			break;
		if (w)
			watch_wait(w, &stop_requested, &sync_requested, next_retry(y), &d);
		else
			wait_interval(y, started);
		/* an entry that failed is only missing from the manifest now: the
		 * events that named it are spent, so look at everything */
		if (y->status.errors > 0)
			d.full = 1;
	}
	log_info("stopping: final sync");
	for (size_t i = 0; i < y->npeers; i++)
		y->peers[i].retry_at = 0;	/* the last chance to reach them */
	dirty_reset(&d);
	d.full = 1;
	sync_locked(y, &d);
	dirty_reset(&d);
	watch_free(w);
	unlink(p);
	lock_release(&pidlock);
	return EX_OK;
}

static void
usage(void)
{
	fprintf(stderr, "usage: mirror-sync [-c CONF] [--dry-run] [--force] [--verify]\n"
	    "       mirror-sync [-c CONF] --daemon\n"
	    "       mirror-sync [-c CONF] --status\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "daemon", no_argument, NULL, 'D' },
		{ "status", no_argument, NULL, 'S' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "verify", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf = "/etc/understudy/mirror.conf";
	struct syncer y;
	struct sigaction sa;
	int ch, daemon = 0, status = 0, verbose = 0, rc;
	char why[1024];

	memset(&y, 0, sizeof(y));
	while ((ch = getopt_long(argc, argv, "c:DSnfVvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'D': daemon = 1; break;
		case 'S': status = 1; break;
		case 'n': y.flags |= PUSH_DRY_RUN; break;
		case 'f': y.flags |= PUSH_FORCE; break;
		case 'V': y.flags |= PUSH_VERIFY; break;
		case 'v': verbose = 1; break;
		default:
			usage();
			return ch == 'h' ? EX_OK : EX_USAGE;
		}
	}
	if (optind != argc) {
		usage();
		return EX_USAGE;
	}
	log_init("mirror-sync", 1, verbose);
	if (mirror_conf_load(conf, &y.c, why, sizeof(why)) == -1)
		fatal(EX_USAGE, "%s: %s", conf, why);
	if (status)
		return status_print(y.c.state_dir, stdout) == 0 ? EX_OK : EX_FAILED;
	if (mirror_mkdirs(y.c.state_dir) == -1)
		fatal(EX_FAILED, "%s: %s", y.c.state_dir, strerror(errno));
	status_load(y.c.state_dir, &y.status);
	if (peers_new(&y) == -1)
		fatal(EX_FAILED, "out of memory");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = daemon ? run_daemon(&y) : (y.flags & PUSH_DRY_RUN) ? sync_all(&y, NULL) :
	    sync_locked(&y, NULL);
	peers_free(&y);
	mirror_conf_free(&y.c);
	log_fini();
	return rc;
}
