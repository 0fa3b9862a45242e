/* ocf:understudy:pgwarm — PostgreSQL warm standby by WAL shipping, as a
 * promotable clone. The promoted instance is the primary and ships every
 * WAL segment to the other nodes' archive_dir (pgwarm-archive); each
 * unpromoted instance is a standby in continuous archive recovery
 * (standby.signal, pgwarm-restore). No streaming replication is involved,
 * so standbys are judged by their own replay position, never by the
 * primary's pg_stat_replication.
 *
 * Decisions where the contract is silent:
 *  - start always brings up a standby; only promote makes a primary, and
 *    promote refuses while another node answers as a primary;
 *  - a node that was primary and comes back behind a newer timeline is
 *    rewound (pg_rewind decides whether anything diverged) or re-seeded
 *    per failback=; a re-seed moves the old data directory aside, it never
 *    deletes it;
 *  - the promotion score is 1000 for the standby with the highest
 *    (timeline, replayed LSN), and -INFINITY for any standby that may be
 *    behind someone: a lagging standby is never promoted over a node that
 *    could know more, even one that is down (DESIGN.md §4a); the admin
 *    forgets a node that will never return by deleting its record;
 *  - demote of a primary ships the segment that holds its shutdown
 *    checkpoint before coming back as a standby: a planned switchover
 *    loses nothing. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "understudy/asuser.h"
#include "understudy/buf.h"
#include "understudy/clock.h"
#include "understudy/log.h"
#include "understudy/node.h"
#include "understudy/ocf.h"
#include "understudy/run.h"
#include "understudy/ssh.h"
#include "../helpers/pgwarm/elect.h"
#include "../helpers/pgwarm/lz4file.h"
#include "../helpers/pgwarm/pgctl.h"
#include "../helpers/pgwarm/recvctl.h"
#include "../helpers/pgwarm/replay.h"
#include "../helpers/pgwarm/tlhist.h"
#include "../helpers/pgwarm/wal.h"

#ifndef PGWARM_BINDIR
#define PGWARM_BINDIR "/usr/bin"
#endif

enum {
	P_PGDATA, P_BINDIR, P_PGHOST, P_PGPORT, P_USER, P_ARCHIVE_DIR, P_NODES, P_SSH_USER,
	P_SSH_KEY, P_KNOWN_HOSTS, P_ARCHIVE_REQUIRE, P_FAILBACK, P_LOGFILE, P_HELPERS,
	P_UNFENCED_PROMOTE, P_STREAM, P_SYNC, P_SYNC_TIMEOUT
};

static enum ocf_exitcode v_pgdata(const char *, char *, size_t);
static enum ocf_exitcode v_bindir(const char *, char *, size_t);
static enum ocf_exitcode v_oneof_require(const char *, char *, size_t);
static enum ocf_exitcode v_oneof_failback(const char *, char *, size_t);
static enum ocf_exitcode v_logfile(const char *, char *, size_t);

#define PGWARM_LOGFILE	"/var/log/postgresql/pgwarm.log"

struct ocf_rsc;
static uint32_t archive_scan(struct ocf_rsc *, char *newest, size_t newestlen);
static int receiver_up(struct ocf_rsc *, int restart);
static void sync_forget(struct ocf_rsc *);
static int under_pacemaker(void);

static const struct ocf_param params[] = {
	{ "pgdata", OCF_STRING, OCF_P_REQUIRED | OCF_P_UNIQUE | OCF_P_POSITIONAL, NULL, 0, 0,
	  v_pgdata,
	  "Data directory", "The PostgreSQL data directory (holding PG_VERSION and "
	  "postgresql.conf). The agent adds one include_if_exists line to postgresql.conf and "
	  "owns pgwarm.conf and pgwarm-archive.conf next to it; nothing else is touched." },
	{ "bindir", OCF_STRING, 0, "/usr/lib/postgresql/15/bin", 0, 0, v_bindir,
	  "PostgreSQL programs", "Directory of pg_ctl, pg_controldata, pg_rewind, pg_basebackup." },
	{ "pghost", OCF_STRING, 0, "/var/run/postgresql", 0, 0, ocf_v_abs_path,
	  "Socket directory", "unix_socket_directories of the server, used to query it." },
	{ "pgport", OCF_INTEGER, 0, "5432", 1, 65535, NULL,
	  "Port", "The server's port, here and on the other nodes." },
	{ "system_user", OCF_STRING, 0, "postgres", 0, 0, ocf_v_user,
	  "System user", "The user that owns the data directory and runs the server." },
	{ "archive_dir", OCF_STRING, OCF_P_REQUIRED, NULL, 0, 0, ocf_v_abs_path,
	  "WAL archive", "Where the other nodes' primaries deliver WAL segments on this node, "
	  "and where this node's standby restores from (and its receiver streams into, "
	  "stream=on); the same path on every node, owned by system_user and writable by "
	  "ssh_user too when it is another user. Not created by the agent." },
	{ "nodes", OCF_STRING, OCF_P_REQUIRED, NULL, 0, 0, ocf_v_nodes,
	  "Nodes", "Every node of the clone, space-separated name=address[:sshport]; name as "
	  "crm_node -n prints it. The primary ships to all the others; the address is also "
	  "where PostgreSQL listens (pgport) for pg_rewind and pg_basebackup." },
	{ "ssh_user", OCF_STRING, 0, "postgres", 0, 0, NULL,
	  "SSH user", "The user WAL is shipped as on the other nodes." },
	{ "ssh_key", OCF_STRING, OCF_P_REQUIRED, NULL, 0, 0, ocf_v_readable,
	  "SSH key", "Private key file of system_user for ssh_user@node (no passphrase)." },
	{ "known_hosts", OCF_STRING, OCF_P_REQUIRED, NULL, 0, 0, ocf_v_readable,
	  "known_hosts", "The other nodes' host keys. An unknown or changed key stops "
	  "shipping; it is never accepted blindly." },
	{ "archive_require", OCF_STRING, 0, "all", 0, 0, v_oneof_require,
	  "Archive durability", "all: a segment counts as archived once it is durable on "
	  "every other node; any: on at least one." },
	{ "failback", OCF_STRING, 0, "rewind", 0, 0, v_oneof_failback,
	  "Failback", "A former primary that finds a newer timeline: rewind (pg_rewind from "
	  "the current primary; needs wal_log_hints or data checksums; when the WAL back "
	  "to the fork is gone, a re-seed follows), reseed "
	  "(pg_basebackup; the old directory is kept as PGDATA.pgwarm-old-TIME), or manual "
	  "(refuse to start and say why)." },
	{ "logfile", OCF_STRING, 0, PGWARM_LOGFILE, 0, 0, v_logfile,
	  "Server log", "Where pg_ctl sends the server's stderr (everything, unless "
	  "logging_collector takes over): archiving and recovery failures are explained "
	  "there, and the agent's exit reasons point to it. Created by the server's user "
	  "(system_user); its directory is created (owned by system_user) when missing." },
	{ "helpers", OCF_STRING, 0, PGWARM_BINDIR, 0, 0, ocf_v_dir,
	  "Helper directory", "Where pgwarm-archive, pgwarm-restore and pgwarm-receive are, on "
	  "every node." },
	{ "unfenced_promote", OCF_BOOLEAN, 0, "false", 0, 0, NULL,
	  "Promote without fencing", "Only for a 2-node cluster run with stonith-enabled=false: "
	  "whether a standby may be promoted while its peer is gone. Both halves of a 2-node "
	  "cluster stay quorate (two_node), so a peer that vanished may be a primary still "
	  "taking writes behind a network cut, and whichever side loses the heal loses its "
	  "acknowledged writes. false (the default) refuses such a promotion and says why; "
	  "configure fencing instead (crm-examples/pgwarm-standby.crm). With fencing on, "
	  "Pacemaker promotes only once the lost node is fenced and this setting is unused." },
	{ "stream", OCF_BOOLEAN, 0, "on", 0, 0, NULL,
	  "Stream WAL", "on: every standby runs pgwarm-receive, which streams WAL from the "
	  "primary over PostgreSQL's replication protocol into archive_dir (NAME.partial, "
	  "fsynced before it is acknowledged; a completed segment lands under its name by "
	  "the archive's never-overwrite rule), so a crash of the primary loses only what "
	  "had not reached a standby yet; promote replays the newest partial first. Needs a "
	  "replication line for system_user in every node's pg_hba.conf (database "
	  "'replication'; a password, if the method wants one, in system_user's ~/.pgpass), "
	  "listen_addresses covering the nodes= address, and a free max_wal_senders slot per "
	  "standby. WAL shipping stays as the second path. After setup crm_mon -A shows "
	  "pgwarm-RSC-receive=streaming on each standby: a receiver that is refused or "
	  "failing only says so there and in the log, the standby itself stays healthy. "
	  "off: shipping only (a crash loses the unarchived tail of the current segment)." },
	{ "sync", OCF_BOOLEAN, 0, "off", 0, 0, NULL,
	  "Synchronous commit", "on (with stream=on): the primary keeps synchronous_standby_names "
	  "= ANY 1 (the other nodes' names) through ALTER SYSTEM, so a commit returns only once "
	  "one standby's receiver has it on disk: zero acknowledged commits lost on a crash "
	  "(synchronous_commit on or remote_write; remote_apply never returns, a receiver "
	  "applies nothing). "
	  "off: the agent resets the setting (ALTER SYSTEM RESET) at promotion and the "
	  "stream is asynchronous. Node attribute pgwarm-RSC-sync: on, degraded or off." },
	{ "sync_timeout", OCF_INTEGER, 0, "10", 1, 86400, NULL,
	  "Synchronous timeout (s)", "With sync=on: when no receiver has been connected and "
	  "replying for this long, the primary's monitor drops to asynchronous commit (logged, "
	  "pgwarm-RSC-sync=degraded) so a lone primary keeps serving, and returns to "
	  "synchronous as soon as one is back. Commits wait meanwhile: up to this plus the "
	  "promoted monitor's interval, on every standby loss; with the monitors paused "
	  "(maintenance mode) they wait until a receiver is back. A promotion with no other "
	  "node online starts degraded." },
	{ NULL }
};

/* Promotion scores: the most advanced standby 1000, one tied with it
 * (losing by name) 999, every other never (DESIGN.md §4a). */
#define SCORE_BEST	1000
#define SCORE_TIED	999
#define Q_TIMEOUT	5000
#define PROMOTE_WAIT_MS	30000	/* replay to catch up with the others before refusing */

struct pgw {
	struct pgctl	 pg;
	char		 self[NODE_NAME_MAX];
	struct node_list nodes;
	char		 attr_rec[200], attr_failed[200], attr_last[200], attr_lag[200];
	char		 attr_held[200], attr_sync[200], attr_recv[200], attr_rlag[200];
	char		 receive_prog[PATH_MAX], conf_path[PATH_MAX];
	char		 sync_promoted[16];	/* what promote set: on, degraded */
	struct recvctl	 recv;
	uint64_t	 segsz;		/* wal_segment_size, once known (wal_segsz) */
};

static struct pgw *
P(struct ocf_rsc *r)
{
	return r->priv;
}

static enum ocf_exitcode
v_pgdata(const char *v, char *why, size_t whylen)
{
	enum ocf_exitcode rc = ocf_v_abs_path(v, why, whylen);

	if (rc == OCF_SUCCESS && strpbrk(v, "\n\r") != NULL) {
		snprintf(why, whylen, "contains a line break");
		return OCF_ERR_CONFIGURED;
	}
	return rc;
}

static enum ocf_exitcode
v_bindir(const char *v, char *why, size_t whylen)
{
	char path[PATH_MAX];
	enum ocf_exitcode rc = ocf_v_dir(v, why, whylen);

	if (rc != OCF_SUCCESS)
		return rc;
	snprintf(path, sizeof(path), "%s/pg_ctl", v);
	if (access(path, X_OK) == -1) {
		snprintf(why, whylen, "no executable pg_ctl in it");
		return OCF_ERR_INSTALLED;
	}
	return OCF_SUCCESS;
}

static enum ocf_exitcode
oneof(const char *v, const char *const *allowed, char *why, size_t whylen)
{
	size_t used;

	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(v, allowed[i]) == 0)
			return OCF_SUCCESS;
	used = (size_t)snprintf(why, whylen, "must be one of");
	for (size_t i = 0; allowed[i] && used < whylen; i++)
		used += (size_t)snprintf(why + used, whylen - used, "%s %s", i ? "," : "",
		    allowed[i]);
	return OCF_ERR_CONFIGURED;
}

static enum ocf_exitcode
v_oneof_require(const char *v, char *why, size_t whylen)
{
	static const char *const ok[] = { "all", "any", NULL };

	return oneof(v, ok, why, whylen);
}

static enum ocf_exitcode
v_oneof_failback(const char *v, char *why, size_t whylen)
{
	static const char *const ok[] = { "rewind", "reseed", "manual", NULL };

	return oneof(v, ok, why, whylen);
}

static enum ocf_exitcode
v_logfile(const char *v, char *why, size_t whylen)
{
	enum ocf_exitcode rc = ocf_v_abs_path(v, why, whylen);

	if (rc == OCF_SUCCESS && v[strlen(v) - 1] == '/') {
		snprintf(why, whylen, "names a directory, not a file");
		return OCF_ERR_CONFIGURED;
	}
	return rc;
}

static enum ocf_exitcode
pgwarm_validate(struct ocf_rsc *r, char *why, size_t whylen)
{
	struct pgw *p = P(r);
	char path[PATH_MAX];
	struct stat st;
	struct passwd *pw = getpwnam(ocf_str(r, P_USER));

	if (p->nodes.n < 2) {
		snprintf(why, whylen, "nodes: name at least two nodes (this one and a standby)");
		return OCF_ERR_CONFIGURED;
	}
	if (node_list_find(&p->nodes, p->self) == NULL) {
		snprintf(why, whylen, "nodes: this node (%s) is not in the list", p->self);
		/* Not meant to run here: ERR_INSTALLED bans this node only (ERR_CONFIGURED
		 * would stop the resource everywhere), and a probe or stop here succeeds. */
		return OCF_ERR_INSTALLED;
	}
	snprintf(path, sizeof(path), "%s/pgwarm-archive", ocf_str(r, P_HELPERS));
	if (access(path, X_OK) == -1) {
		snprintf(why, whylen, "%s: not installed", path);
		return OCF_ERR_INSTALLED;
	}
	if (ocf_bool(r, P_STREAM) && access(p->receive_prog, X_OK) == -1) {
		snprintf(why, whylen, "%s: not installed (or set stream=off)", p->receive_prog);
		return OCF_ERR_INSTALLED;
	}
	if (ocf_bool(r, P_SYNC) && !ocf_bool(r, P_STREAM)) {
		snprintf(why, whylen, "sync=on needs stream=on (the receivers are the synchronous "
		    "standbys)");
		return OCF_ERR_CONFIGURED;
	}
	if (stat(ocf_str(r, P_PGDATA), &st) == 0 && pw && st.st_uid != pw->pw_uid) {
		snprintf(why, whylen, "pgdata %s is not owned by system_user %s", ocf_str(r, P_PGDATA),
		    ocf_str(r, P_USER));
		return OCF_ERR_CONFIGURED;
	}
	return OCF_SUCCESS;
}

static void
pgwarm_setup(struct ocf_rsc *r)
{
	struct pgw *p = calloc(1, sizeof(*p));
	char why[256];

	if (p == NULL)
		exit(ocf_fail(OCF_ERR_GENERIC, "out of memory"));
	r->priv = p;
	p->pg = (struct pgctl){ ocf_str(r, P_PGDATA), ocf_str(r, P_BINDIR), ocf_str(r, P_PGHOST),
	    ocf_int(r, P_PGPORT), ocf_str(r, P_USER), ocf_str(r, P_LOGFILE) };
	if (node_self(p->self, sizeof(p->self)) == -1)
		snprintf(p->self, sizeof(p->self), "unknown");
	if (ocf_is_set(r, P_NODES))
		node_list_parse(ocf_str(r, P_NODES), &p->nodes, why, sizeof(why));
	snprintf(p->attr_rec, sizeof(p->attr_rec), "pgwarm-%s-position", r->base);
	snprintf(p->attr_failed, sizeof(p->attr_failed), "pgwarm-%s-archive-failed", r->base);
	snprintf(p->attr_last, sizeof(p->attr_last), "pgwarm-%s-last-archived", r->base);
	snprintf(p->attr_lag, sizeof(p->attr_lag), "pgwarm-%s-archive-lag", r->base);
	snprintf(p->attr_held, sizeof(p->attr_held), "pgwarm-%s-not-promotable", r->base);
	snprintf(p->attr_sync, sizeof(p->attr_sync), "pgwarm-%s-sync", r->base);
	snprintf(p->attr_recv, sizeof(p->attr_recv), "pgwarm-%s-receive", r->base);
	snprintf(p->attr_rlag, sizeof(p->attr_rlag), "pgwarm-%s-receive-lag", r->base);
	snprintf(p->receive_prog, sizeof(p->receive_prog), "%s/pgwarm-receive",
	    ocf_str(r, P_HELPERS));
	snprintf(p->conf_path, sizeof(p->conf_path), "%s/pgwarm-archive.conf",
	    ocf_str(r, P_PGDATA));
	p->recv = (struct recvctl){ p->receive_prog, p->conf_path, ocf_str(r, P_USER),
	    ocf_str(r, P_LOGFILE), "", "" };
	ocf_rsctmp_path(r, "receive.pid", p->recv.pidfile, sizeof(p->recv.pidfile));
	ocf_rsctmp_path(r, "receive.status", p->recv.status, sizeof(p->recv.status));
}

static void
pgwarm_teardown(struct ocf_rsc *r)
{
	if (r->priv) {
		node_list_free(&P(r)->nodes);
		free(r->priv);
	}
}

/* ------------------------------------------------------------ files we own */

/* PGDATA belongs to system_user: whatever the agent writes, renames or
 * removes there is done as that user (asuser.h), so a symlink planted in
 * it cannot make root overwrite a file elsewhere (DESIGN.md §10). */
static int
write_file_as(struct ocf_rsc *r, const char *name, const char *text, char *why, size_t whylen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", ocf_str(r, P_PGDATA), name);
	return asuser_write_file(ocf_str(r, P_USER), path, text, strlen(text), 0600, why, whylen);
}

/* A value for postgresql.conf: single-quoted, quotes doubled, and
 * backslashes doubled (the conf lexer reads them as escapes). */
static void
conf_quote(struct buf *b, const char *v)
{
	buf_puts(b, "'");
	for (; *v; v++)
		buf_puts(b, *v == '\'' ? "''" : *v == '\\' ? "\\\\" : (char[]){ *v, 0 });
	buf_puts(b, "'");
}

/* A SQL string literal: single quotes doubled (standard_conforming_strings). */
static void
sql_quote(struct buf *b, const char *v)
{
	buf_puts(b, "'");
	for (; *v; v++)
		buf_puts(b, *v == '\'' ? "''" : (char[]){ *v, 0 });
	buf_puts(b, "'");
}

static void
command_setting(struct buf *conf, const char *key, struct ocf_rsc *r, const char *prog,
    const char *args)
{
	struct buf cmd = BUF_INIT;
	char path[PATH_MAX];

	/* Absolute paths: pg_rewind runs restore_command from its own cwd. */
	snprintf(path, sizeof(path), "%s/%s", ocf_str(r, P_HELPERS), prog);
	pg_cmd_path(&cmd, path);
	buf_puts(&cmd, " -c ");
	snprintf(path, sizeof(path), "%s/pgwarm-archive.conf", ocf_str(r, P_PGDATA));
	pg_cmd_path(&cmd, path);
	buf_printf(&cmd, " %s", args);
	buf_printf(conf, "%s = ", key);
	conf_quote(conf, buf_str(&cmd));
	buf_puts(conf, "\n");
	buf_free(&cmd);
}

/* peers: restore_command also fetches from the other nodes' archives,
 * for pg_rewind (see pgwarm-restore --peers). */
static int
write_configs(struct ocf_rsc *r, int peers, char *why, size_t whylen)
{
	struct buf pc = BUF_INIT, ac = BUF_INIT;
	char path[PATH_MAX], exe[PATH_MAX];
	int rc = -1;

	buf_puts(&pc, "# Written by ocf:understudy:pgwarm on every start; edits are lost.\n"
	    "archive_mode = on\n");
	command_setting(&pc, "archive_command", r, "pgwarm-archive", "%p %f");
	command_setting(&pc, "restore_command", r, "pgwarm-restore", peers ? "--peers %f %p" :
	    "%f %p");
	command_setting(&pc, "archive_cleanup_command", r, "pgwarm-restore", "--cleanup %r");
	buf_puts(&pc, "recovery_target_timeline = 'latest'\n");
	snprintf(exe, sizeof(exe), "%s/pgwarm-archive", ocf_str(r, P_HELPERS));
	buf_printf(&ac, "# Written by ocf:understudy:pgwarm for pgwarm-archive/-restore.\n"
	    "self = \"%s\"\nnodes = \"%s\"\narchive_dir = \"%s\"\nssh_user = \"%s\"\n"
	    "ssh_key = \"%s\"\nknown_hosts = \"%s\"\narchive_require = %s\n"
	    "remote_program = \"%s\"\npgport = %ld\n", P(r)->self, ocf_str(r, P_NODES),
	    ocf_str(r, P_ARCHIVE_DIR), ocf_str(r, P_SSH_USER), ocf_str(r, P_SSH_KEY),
	    ocf_str(r, P_KNOWN_HOSTS), ocf_str(r, P_ARCHIVE_REQUIRE), exe, ocf_int(r, P_PGPORT));
	if (write_file_as(r, "pgwarm.conf", buf_str(&pc), why, whylen) == -1 ||
	    write_file_as(r, "pgwarm-archive.conf", buf_str(&ac), why, whylen) == -1)
		goto out;
	snprintf(path, sizeof(path), "%s/postgresql.conf", ocf_str(r, P_PGDATA));
	if (asuser_append_line(ocf_str(r, P_USER), path, "include_if_exists = 'pgwarm.conf'",
	    "Added by ocf:understudy:pgwarm", why, whylen) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&pc);
	buf_free(&ac);
	return rc;
}

static int
signal_file(struct ocf_rsc *r, const char *name, int present, char *why, size_t whylen)
{
	char path[PATH_MAX];

	if (present)
		return write_file_as(r, name, "", why, whylen);
	snprintf(path, sizeof(path), "%s/%s", ocf_str(r, P_PGDATA), name);
	return asuser_unlink(ocf_str(r, P_USER), path, why, whylen);
}

/* ------------------------------------------------------------ queries */

static int
q(struct ocf_rsc *r, const char *sql, char *out, size_t outlen, char *why, size_t whylen)
{
	return pg_query(&P(r)->pg, NULL, sql, Q_TIMEOUT, out, outlen, why, whylen);
}

/* Asks every other member node's server whether it is a primary. Returns the
 * index of the first primary found, -1 if none answers as one. */
static int
find_primary(struct ocf_rsc *r)
{
	struct pgw *p = P(r);
	char out[64], why[512];
	struct ocf_list members;
	int have_members = under_pacemaker() && ocf_cluster_members(&members) == 0;
	int found = -1;

	for (size_t i = 0; i < p->nodes.n && found == -1; i++) {
		struct buf ci = BUF_INIT;
		int primary;

		/* A node that left the membership is fenced (or, fencing off,
		 * unreachable anyway): asking it only costs the connect timeout
		 * in every promote after a node loss. */
		if (strcmp(p->nodes.v[i].name, p->self) == 0 ||
		    (have_members && !ocf_list_has(&members, p->nodes.v[i].name)))
			continue;
		pg_conninfo(&ci, p->nodes.v[i].addr, ocf_int(r, P_PGPORT), ocf_str(r, P_USER), 2);
		primary = pg_query(&p->pg, buf_str(&ci), "select pg_is_in_recovery()", 4000, out,
		    sizeof(out), why, sizeof(why)) == 0 && strcmp(out, "f") == 0;
		buf_free(&ci);
		if (primary)
			found = (int)i;
	}
	if (have_members)
		ocf_list_free(&members);
	return found;
}

/* The timeline of the WAL file the startup process reads or waits for,
 * from its process title ("startup recovering 000000020000000000000005"):
 * PostgreSQL 15 shows the replay timeline nowhere else, and pg_control's
 * timelines lag until a restartpoint. 0 when unknown. */
static uint32_t
startup_tli(long pid)
{
	char path[64], title[256], *f;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if (pid <= 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, title, sizeof(title) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	title[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (title[i] == '\0')
			title[i] = ' ';
	if ((f = strstr(title, "recovering ")) != NULL)
		f += 11;
	else if ((f = strstr(title, "waiting for ")) != NULL)
		f += 12;
	else
		return 0;
	return strlen(f) >= 24 && wal_kind(strndupa(f, 24)) == WAL_SEGMENT ?
	    wal_timeline(strndupa(f, 24)) : 0;
}

/* The timeline being replayed and the replayed LSN of the local standby. */
static int
standby_pos(struct ocf_rsc *r, struct wal_pos *pos)
{
	char out[160], why[512], *f[4] = { out, NULL, NULL, NULL };
	uint32_t t;

	/* The segment size rides along: the monitor needs it right after. */
	if (q(r, "select greatest(min_recovery_end_timeline, (select timeline_id from "
	    "pg_control_checkpoint())), pg_last_wal_replay_lsn(), (select coalesce(max(pid), 0) "
	    "from pg_stat_activity where backend_type = 'startup'), pg_size_bytes(current_setting("
	    "'wal_segment_size')) from pg_control_recovery()",
	    out, sizeof(out), why, sizeof(why)) == -1 || (f[1] = strchr(out, '|')) == NULL ||
	    (f[2] = strchr(f[1] + 1, '|')) == NULL || (f[3] = strchr(f[2] + 1, '|')) == NULL)
		return -1;
	*f[1]++ = '\0';
	*f[2]++ = '\0';
	*f[3]++ = '\0';
	if (strtoull(f[3], NULL, 10) >= (1 << 20))
		P(r)->segsz = strtoull(f[3], NULL, 10);
	pos->tli = (uint32_t)strtoul(out, NULL, 10);
	if ((t = startup_tli(strtol(f[2], NULL, 10))) > pos->tli)
		pos->tli = t;
	return pos->tli == 0 || pg_lsn_parse(f[1], &pos->lsn) == -1 ? -1 : 0;
}

/* ------------------------------------------------------------ election */

/* Pacemaker passes crm_feature_set to every action. Without it the agent
 * runs by hand, under ocf-tester or as a Heartbeat v1 script: whoever runs
 * it chose the primary, and there are no node attributes to elect by. */
static int
under_pacemaker(void)
{
	const char *fs = getenv("OCF_RESKEY_crm_feature_set");

	return fs && *fs;
}

/* A node's record (elect.h): 1 found, 0 none, -1 unknown (query failed or
 * a value that does not parse: counted as unknown, never as "behind"). */
static int
record_get(struct ocf_rsc *r, const char *node, enum elect_role *role, struct wal_pos *pos)
{
	char v[128];
	int rc;

	*role = ELECT_NONE;
	if (!under_pacemaker())
		return 0;
	if ((rc = ocf_node_attr_get(node, P(r)->attr_rec, v, sizeof(v))) <= 0)
		return rc;
	if (elect_record_parse(v, role, pos) == -1) {
		log_warn("%s's %s is not a position (\"%.60s\"): counted as unknown", node,
		    P(r)->attr_rec, v);
		*role = ELECT_NONE;
		return -1;
	}
	return 1;
}

/* Writes this node's record when it changed (a CIB write; most monitors
 * find it as it was). */
static void
record_set(struct ocf_rsc *r, enum elect_role role, const struct wal_pos *pos)
{
	char want[128], have[128];

	if (!under_pacemaker())
		return;
	elect_record_format(role, pos, want, sizeof(want));
	if (ocf_node_attr_get(P(r)->self, P(r)->attr_rec, have, sizeof(have)) == 1 &&
	    strcmp(have, want) == 0)
		return;
	if (ocf_node_attr_set(P(r)->self, P(r)->attr_rec, want) != OCF_SUCCESS)
		log_warn("could not record this node's position (%s)", want);
}

/* A node that was primary starts as a standby: from now on its record
 * says nothing until it publishes a standby position (fail closed: while it
 * is online, no one is promoted over the data it may hold, e.g. a primary
 * restarted in place after a crash, which replays its whole WAL). A node
 * that is not started again keeps "primary" and does not block failover. */
static void
forget_primary_record(struct ocf_rsc *r, struct wal_pos *was)
{
	enum elect_role role;
	struct wal_pos pos;

	if (record_get(r, P(r)->self, &role, &pos) != 1 || role != ELECT_PRIMARY)
		return;
	if (ocf_node_attr_delete(P(r)->self, P(r)->attr_rec) != OCF_SUCCESS)
		log_warn("could not clear this node's primary record");
	else
		*was = pos;
}

/* Fencing is what makes a vanished peer safe to promote over (DESIGN.md
 * §4a): with stonith-enabled=false in a 2-node cluster, a peer that is not
 * a member may be a primary behind a cut. 1 (why says so) unless the admin
 * chose unfenced_promote; a failed query counts as a risk (fail closed). */
static int
unfenced_risk(struct ocf_rsc *r, char *why, size_t whylen)
{
	struct pgw *p = P(r);
	struct ocf_list members;
	const char *gone = NULL;
	char v[32];
	int rc, on;

	if (!under_pacemaker() || ocf_bool(r, P_UNFENCED_PROMOTE) || p->nodes.n != 2)
		return 0;
	/* Membership first: with the peer present (every monitor but after a
	 * loss) the CIB is not asked for stonith-enabled at all. */
	if (ocf_cluster_members(&members) == -1) {
		snprintf(why, whylen, "cannot tell whether the peer is a member");
		return 1;
	}
	for (size_t i = 0; i < p->nodes.n && gone == NULL; i++)
		if (strcmp(p->nodes.v[i].name, p->self) != 0 &&
		    !ocf_list_has(&members, p->nodes.v[i].name))
			gone = p->nodes.v[i].name;
	ocf_list_free(&members);
	if (gone == NULL)
		return 0;
	/* Unset or not a boolean: Pacemaker's default, fencing on. */
	if ((rc = ocf_cluster_option_get("stonith-enabled", v, sizeof(v))) == 0 ||
	    (rc == 1 && (ocf_parse_bool(v, &on) == -1 || on)))
		return 0;
	/* the exit reason: 128 bytes; the log says more */
	if (rc == -1)
		snprintf(why, whylen, "%s is gone and whether fencing is on is unknown", gone);
	else
		snprintf(why, whylen, "%s is gone and stonith-enabled=false (2 nodes): "
		    "configure fencing or set unfenced_promote=true", gone);
	log_warn("%s is not a member and fencing may be off: it may be a primary still "
	    "taking writes behind a network cut", gone);
	return 1;
}

/* Is another node of the clone a cluster member (1 outside Pacemaker)? */
static int
others_online(struct ocf_rsc *r)
{
	struct pgw *p = P(r);
	struct ocf_list members;
	int any = 0;

	if (!under_pacemaker() || ocf_cluster_members(&members) == -1)
		return 1;
	for (size_t i = 0; i < p->nodes.n; i++)
		any |= strcmp(p->nodes.v[i].name, p->self) != 0 &&
		    ocf_list_has(&members, p->nodes.v[i].name);
	ocf_list_free(&members);
	return any;
}

/* Judges this standby at mine against every other node of the clone. */
static enum elect_verdict
judge(struct ocf_rsc *r, const struct wal_pos *mine, char *why, size_t whylen)
{
	struct pgw *p = P(r);
	struct elect_peer *peers = calloc(p->nodes.n, sizeof(*peers));
	struct ocf_list members;
	int have_members = ocf_cluster_members(&members) == 0;
	enum elect_verdict v;
	size_t n = 0;

	if (peers == NULL) {
		snprintf(why, whylen, "out of memory");
		return ELECT_UNKNOWN;
	}
	if (!under_pacemaker()) {
		free(peers);
		snprintf(why, whylen, "not run by Pacemaker: no election, the caller chose");
		return ELECT_BEST;
	}
	for (size_t i = 0; i < p->nodes.n; i++) {
		struct elect_peer *e = &peers[n];

		if (strcmp(p->nodes.v[i].name, p->self) == 0)
			continue;
		e->name = p->nodes.v[i].name;
		e->online = have_members ? ocf_list_has(&members, e->name) : -1;
		e->queried = record_get(r, e->name, &e->role, &e->pos) != -1;
		n++;
	}
	v = elect_judge(p->self, mine, peers, n, why, whylen);
	if (have_members)
		ocf_list_free(&members);
	free(peers);
	return v;
}

static long
verdict_score(enum elect_verdict v)
{
	return v == ELECT_BEST ? SCORE_BEST : v == ELECT_TIED ? SCORE_TIED : OCF_SCORE_NEVER;
}

/* ------------------------------------------------------------ timelines */

/* The history file of timeline tli in archive_dir, parsed. archive_dir is
 * written by ssh_user: read without following a symlink, regular files
 * only, bounded. */
static int
history_read(struct ocf_rsc *r, uint32_t tli, struct tlhist *h, char *why, size_t whylen)
{
	char path[PATH_MAX], *text = NULL;
	struct stat st;
	ssize_t n = -1;
	int fd, rc = -1;

	snprintf(path, sizeof(path), "%s/%08" PRIX32 ".history", ocf_str(r, P_ARCHIVE_DIR), tli);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%.900s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > TLHIST_FILE_MAX ||
	    (text = malloc((size_t)st.st_size + 1)) == NULL ||
	    (n = read(fd, text, (size_t)st.st_size)) != st.st_size)
		snprintf(why, whylen, "%.900s: %s", path, n == -1 && errno ? strerror(errno) :
		    "not a regular file of at most 1 MiB");
	else if (tlhist_parse(tli, text, (size_t)n, h, why, whylen) == 0)
		rc = 0;
	close(fd);
	free(text);
	return rc;
}

enum follow { FOLLOW_OK, FOLLOW_DIVERGED, FOLLOW_WAL_GONE };

static int find_primary(struct ocf_rsc *);
static enum ocf_exitcode stop_server(struct ocf_rsc *);
static uint64_t wal_segsz(struct ocf_rsc *);
static void seg_name(const struct wal_pos *, uint64_t segsz, char *out, size_t outlen);

/* 1 when the segment a standby needs next is in no archive and no longer
 * in the primary's pg_wal while the primary is past it: nothing can bring
 * it any more (the admin's seeding: a base backup older than the WAL the
 * primary kept). Asked only when archive_dir has something newer (a
 * segment, or a newer timeline: forked), so a standby that is simply
 * caught up costs no query. */
static int
wal_gone(struct ocf_rsc *r, const char *need, const char *newest, int forked, char *why,
    size_t whylen)
{
	char path[PATH_MAX], sql[256], out[128], err[512], *have;
	struct buf ci = BUF_INIT;
	int src, rc = 0;

	if (!forked && (newest[0] == '\0' || wal_pos_cmp(newest, need) <= 0))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", ocf_str(r, P_ARCHIVE_DIR), need);
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s" LZ4FILE_SUFFIX, ocf_str(r, P_ARCHIVE_DIR), need);
	if (access(path, F_OK) == 0 || (src = find_primary(r)) == -1)
		return 0;
	pg_conninfo(&ci, P(r)->nodes.v[src].addr, ocf_int(r, P_PGPORT), ocf_str(r, P_USER), 2);
	/* need is a WAL file name (hex digits only), safe in the query. */
	snprintf(sql, sizeof(sql), "select pg_walfile_name(pg_current_wal_lsn()), "
	    "(select count(*) from pg_ls_waldir() where name = '%s')", need);
	if (pg_query(&P(r)->pg, buf_str(&ci), sql, 4000, out, sizeof(out), err, sizeof(err)) == 0 &&
	    (have = strchr(out, '|')) != NULL) {
		*have++ = '\0';
		if (strcmp(have, "0") == 0 && wal_kind(out) == WAL_SEGMENT &&
		    wal_pos_cmp(out, need) > 0) {
			snprintf(why, whylen, "it needs WAL segment %s, which neither archive_dir nor "
			    "the primary on %s (now at %s) has any more", need,
			    P(r)->nodes.v[src].name, out);
			rc = 1;
		}
	}
	buf_free(&ci);
	return rc;
}

/* Can a standby at pos follow the newest timeline found in archive_dir?
 * Not when it replayed past its fork point (or its timeline is not an
 * ancestor), nor when the WAL it needs next is gone everywhere. */
static enum follow
follow_check(struct ocf_rsc *r, const struct wal_pos *pos, char *why, size_t whylen)
{
	char newest[64], need[32], err[1024];
	uint32_t top = archive_scan(r, newest, sizeof(newest));
	uint64_t segsz = wal_segsz(r);
	struct wal_pos at = *pos;
	struct tlhist h;

	if (top > pos->tli) {
		if (history_read(r, top, &h, err, sizeof(err)) == -1)
			log_warn("timeline %" PRIu32 "'s history: %s", top, err);
		else if (!tlhist_can_follow(&h, pos, why, whylen))
			return FOLLOW_DIVERGED;
		else
			at.tli = tlhist_file_tli(&h, pos->lsn, segsz);
	}
	seg_name(&at, segsz, need, sizeof(need));
	return wal_gone(r, need, newest, top > pos->tli, why, whylen) ? FOLLOW_WAL_GONE : FOLLOW_OK;
}

/* A standby found unable to follow leaves a note for the start that
 * Pacemaker's recovery runs next: "rewind" or "copy", the newest timeline
 * it was judged against (a note about another timeline is stale), the
 * cause. A standby that can follow again has its note removed. */
static void
repair_note(struct ocf_rsc *r, enum follow f, const char *cause)
{
	char path[PATH_MAX];
	struct buf b = BUF_INIT;

	ocf_rsctmp_path(r, "repair", path, sizeof(path));
	if (f == FOLLOW_OK) {
		unlink(path);
		return;
	}
	buf_printf(&b, "%s %" PRIu32 " %s", f == FOLLOW_WAL_GONE ? "copy" : "rewind",
	    archive_scan(r, NULL, 0), cause);
	if (buf_write_file(&b, path, 0600) == -1)
		log_warn("%s: %s", path, strerror(errno));
	buf_free(&b);
}

/* What a failed standby is told to do, per failback=. */
static const char *
repair_hint(struct ocf_rsc *r, enum follow f)
{
	if (strcmp(ocf_str(r, P_FAILBACK), "manual") != 0)
		return f == FOLLOW_WAL_GONE ? "the next start re-seeds it from the primary" :
		    "the next start repairs it (failback)";
	return f == FOLLOW_WAL_GONE ? "failback=manual: re-seed it by hand (pg_basebackup), "
	    "then crm resource cleanup" : "failback=manual: rewind it by hand (pg_rewind "
	    "--source-server) or re-seed it (pg_basebackup), then crm resource cleanup";
}

/* A transient node attribute, published only when its text changes: what
 * was published is kept in HA_RSCTMP as note (a reboot clears both), so
 * attrd is not asked on every monitor. NULL v: the attribute goes, if it
 * was published. */
static void
attr_publish(struct ocf_rsc *r, const char *attr, const char *note, const char *v)
{
	char path[PATH_MAX];
	struct buf was = BUF_INIT, now = BUF_INIT;

	ocf_rsctmp_path(r, note, path, sizeof(path));
	buf_read_file(&was, path, 1024);
	if (v == NULL) {
		if (was.len && ocf_attr_delete(attr) == OCF_SUCCESS)
			unlink(path);
	} else if (strcmp(buf_str(&was), v) != 0 && ocf_attr_set(attr, v) == OCF_SUCCESS) {
		buf_puts(&now, v);
		if (buf_write_file(&now, path, 0600) == -1)
			log_warn("%s: %s", path, strerror(errno));
	}
	buf_free(&was);
	buf_free(&now);
}

/* Why this standby's score is withheld, as the transient node attribute
 * pgwarm-RSC-not-promotable that crm_mon -A shows: with no promote called
 * there is no exit reason to show. NULL why: promotable (or only behind),
 * the attribute goes. */
static void
held_publish(struct ocf_rsc *r, const char *what, const char *why)
{
	char v[512];

	/* bounded: attrd values are for reading at a glance */
	if (why)
		snprintf(v, sizeof(v), "%.60s%s%.400s", what ? what : "", what ? ": " : "", why);
	attr_publish(r, P(r)->attr_held, "held", why ? v : NULL);
}

/* The receiver's state and lag as node attributes; a receiver that died is
 * started again. Its flushed position, when ahead of replay, becomes the
 * standby's (mine): the election must favour the node whose disk holds
 * the most, as a synchronous commit counted on it. */
static void
receiver_publish(struct ocf_rsc *r, struct wal_pos *mine)
{
	struct recv_status st;
	char lag[32];

	if (!ocf_bool(r, P_STREAM))
		return;
	receiver_up(r, 1);
	/* Only the running receiver's own word counts. */
	if (recvctl_status(&P(r)->recv, &st) == -1 || st.pid != recvctl_pid(&P(r)->recv)) {
		attr_publish(r, P(r)->attr_recv, "receive", "unknown");
		return;
	}
	if (st.state == RECV_STREAMING)
		attr_publish(r, P(r)->attr_recv, "receive", "streaming");
	else {
		char v[300];

		snprintf(v, sizeof(v), "%s: %.250s", recv_state_name(st.state), st.reason);
		attr_publish(r, P(r)->attr_recv, "receive", v);
		if (st.state == RECV_REFUSED || st.state == RECV_ERROR)
			log_warn("pgwarm-receive %s", v);
	}
	if (st.state == RECV_STREAMING && st.server_end >= st.flushed.lsn)
		snprintf(lag, sizeof(lag), "%" PRIu64, st.server_end - st.flushed.lsn);
	else
		snprintf(lag, sizeof(lag), "unknown");
	ocf_attr_set(P(r)->attr_rlag, lag);
	if (st.flushed.tli && wal_pos_compare(&st.flushed, mine) > 0)
		*mine = st.flushed;
}

/* Monitor of a standby: refuses to call healthy one that cannot follow the
 * primary, records its position, scores it. */
static enum ocf_exitcode
standby_check(struct ocf_rsc *r)
{
	struct wal_pos mine;
	enum elect_verdict v;
	enum follow f;
	char why[2048];

	if (standby_pos(r, &mine) == -1) {
		ocf_promotion_set(r, OCF_SCORE_NEVER);	/* not consistent yet */
		return OCF_SUCCESS;
	}
	repair_note(r, f = follow_check(r, &mine, why, sizeof(why)), why);
	/* What the stream brought counts too: promote replays it first. */
	receiver_publish(r, &mine);
	if (f != FOLLOW_OK) {
		ocf_promotion_set(r, OCF_SCORE_NEVER);
		held_publish(r, NULL, NULL);	/* the failure says why */
		/* Pacemaker keeps 128 bytes of an exit reason: the finding first,
		 * what happens next in the log. */
		log_warn("%s", repair_hint(r, f));
		return ocf_fail(OCF_ERR_GENERIC, "cannot follow the primary: %s", why);
	}
	record_set(r, ELECT_STANDBY, &mine);
	v = judge(r, &mine, why, sizeof(why));
	if (v == ELECT_UNKNOWN) {	/* behind is normal; not knowing blocks failover */
		log_warn("not promotable while a node's position is unknown: %s", why);
		held_publish(r, "a node's position is unknown", why);
	} else if (v <= ELECT_TIED && unfenced_risk(r, why, sizeof(why))) {
		log_warn("not promotable: %s", why);
		held_publish(r, NULL, why);
		v = ELECT_UNKNOWN;
	} else
		held_publish(r, NULL, NULL);
	ocf_promotion_set(r, verdict_score(v));
	return OCF_SUCCESS;
}

static uint64_t
seg_number(const char *name)
{
	return strtoull(strndupa(name + 8, 8), NULL, 16) * 256 +
	    strtoull(strndupa(name + 16, 8), NULL, 16);
}

/* Archiver health as node attributes; a failing archive is logged loudly. */
static void
publish_archiver(struct ocf_rsc *r)
{
	char out[512], why[512], lag[32];
	char *f[5] = { 0 }, *s = out;

	if (q(r, "select failed_count, coalesce(last_archived_wal, ''), "
	    "coalesce(last_failed_wal, ''), pg_walfile_name(pg_current_wal_lsn()), "
	    "coalesce(last_failed_time > coalesce(last_archived_time, 'epoch'), false) "
	    "from pg_stat_archiver", out, sizeof(out), why, sizeof(why)) == -1) {
		log_warn("archiver state unknown: %s", why);
		return;
	}
	for (int i = 0; i < 5 && s; i++) {
		f[i] = s;
		if ((s = strchr(s, '|')) != NULL)
			*s++ = '\0';
	}
	if (f[4] == NULL)
		return;
	ocf_attr_set(P(r)->attr_failed, f[0]);
	ocf_attr_set(P(r)->attr_last, *f[1] ? f[1] : "none");
	if (wal_kind(f[1]) == WAL_SEGMENT && wal_kind(f[3]) == WAL_SEGMENT)
		snprintf(lag, sizeof(lag), "%" PRId64,
		    (int64_t)(seg_number(f[3]) - seg_number(f[1])) - 1);
	else
		snprintf(lag, sizeof(lag), "unknown");
	ocf_attr_set(P(r)->attr_lag, lag);
	if (strcmp(f[4], "t") == 0)
		log_warn("WAL archiving is failing: %s not archived (%s failures so far, last "
		    "archived %s); the reason is in the server log (pgwarm-archive lines)",
		    f[2], f[0], *f[1] ? f[1] : "none");
}

/* ------------------------------------------------------------ actions */

enum pg_role { ROLE_STOPPED, ROLE_STARTING, ROLE_STANDBY, ROLE_PRIMARY, ROLE_UNKNOWN };

static enum pg_role
role(struct ocf_rsc *r, char *why, size_t whylen)
{
	char out[16], status[32];

	why[0] = '\0';
	if (!pg_running(&P(r)->pg))
		return ROLE_STOPPED;
	if (q(r, "select pg_is_in_recovery()", out, sizeof(out), why, whylen) == 0)
		return strcmp(out, "t") == 0 ? ROLE_STANDBY : ROLE_PRIMARY;
	pg_pm_status(&P(r)->pg, status, sizeof(status));
	if (strcmp(status, "starting") == 0 || strstr(why, "not yet accepting") ||
	    strstr(why, "starting up"))
		return ROLE_STARTING;
	return ROLE_UNKNOWN;
}

static int
pg_ctl(struct ocf_rsc *r, const char *mode, char *why, size_t whylen)
{
	const char *start[] = { "pg_ctl", "-D", ocf_str(r, P_PGDATA), "-l", ocf_str(r, P_LOGFILE),
	    "-W", "start", NULL };
	const char *stop[] = { "pg_ctl", "-D", ocf_str(r, P_PGDATA), "-m", mode, "-w", "-t",
	    "60", "stop", NULL };

	return pg_tool(&P(r)->pg, strcmp(mode, "start") == 0 ? start : stop, 90000, NULL, why,
	    whylen);
}

/* What archive_dir holds: the highest timeline among its history files
 * and the newest segment position (newest may be NULL). */
static uint32_t
archive_scan(struct ocf_rsc *r, char *newest, size_t newestlen)
{
	DIR *d = opendir(ocf_str(r, P_ARCHIVE_DIR));
	struct dirent *de;
	uint32_t tli = 0;

	if (newest)
		newest[0] = '\0';
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		enum wal_kind k = wal_kind_stored(de->d_name);

		if (k == WAL_HISTORY && wal_timeline(de->d_name) > tli)
			tli = wal_timeline(de->d_name);
		if (k == WAL_SEGMENT && newest &&
		    (newest[0] == '\0' || wal_pos_cmp(de->d_name, newest) > 0))
			snprintf(newest, newestlen, "%.32s", de->d_name);
	}
	closedir(d);
	return tli;
}

static enum ocf_exitcode
reseed(struct ocf_rsc *r, const struct node *src)
{
	char old[PATH_MAX], port[16], why[1024];
	const char *argv[] = { "pg_basebackup", "-D", ocf_str(r, P_PGDATA), "-h", src->addr,
	    "-p", port, "-U", ocf_str(r, P_USER), "-X", "stream", "-c", "fast", NULL };

	snprintf(old, sizeof(old), "%s.pgwarm-old-%ld", ocf_str(r, P_PGDATA), (long)time(NULL));
	snprintf(port, sizeof(port), "%ld", ocf_int(r, P_PGPORT));
	if (asuser_rename(ocf_str(r, P_USER), ocf_str(r, P_PGDATA), old, why, sizeof(why)) == -1)
		return ocf_fail(OCF_ERR_GENERIC, "cannot move %s aside: %s", ocf_str(r, P_PGDATA),
		    why);
	log_info("re-seeding from %s; the old data directory is kept as %s", src->name, old);
	if (pg_tool(&P(r)->pg, argv, 3600000, NULL, why, sizeof(why)) == -1) {
		char failed[PATH_MAX + 16];

		char err[512];

		snprintf(failed, sizeof(failed), "%s.failed", old);
		if (asuser_rename(ocf_str(r, P_USER), ocf_str(r, P_PGDATA), failed, err,
		    sizeof(err)) == -1 && errno != ENOENT)
			log_warn("%s", err);
		if (asuser_rename(ocf_str(r, P_USER), old, ocf_str(r, P_PGDATA), err,
		    sizeof(err)) == -1)
			return ocf_fail(OCF_ERR_GENERIC, "re-seed from %s failed: %s; and the old "
			    "data could not be put back: %s", src->name, why, err);
		return ocf_fail(OCF_ERR_GENERIC, "re-seed from %s failed (old data put back): %s",
		    src->name, why);
	}
	return OCF_SUCCESS;
}

static enum ocf_exitcode rewind_from(struct ocf_rsc *, const struct node *);

/* repair() could not run yet: no primary answers (one being restarted,
 * or none left). Never returned to Pacemaker. */
#define REPAIR_DEFERRED	OCF_NOT_RUNNING

/* Rewinds or re-seeds from the primary that answers, per failback=; copy:
 * only a re-seed can help (the WAL is gone), whatever failback says but
 * manual. */
static enum ocf_exitcode
repair(struct ocf_rsc *r, const char *cause, int copy)
{
	int src;

	/* Not waiting for one here: the promotion that would bring it may be
	 * in the same transition as this start. */
	if ((src = find_primary(r)) == -1) {
		/* A failed start would ban this node for good; a standby that
		 * cannot follow is harmless (its monitor fails, it is never
		 * promoted) and is repaired by the recovery once a primary answers. */
		log_warn("%s, but no primary answers to fail back from: starting as a standby "
		    "that cannot be promoted until it is repaired", cause);
		return REPAIR_DEFERRED;
	}
	if (strcmp(ocf_str(r, P_FAILBACK), "manual") == 0)
		/* Not ERR_CONFIGURED: that would stop the clone everywhere. */
		return ocf_fail(OCF_ERR_GENERIC, "failback=manual: %s -D %s --source-server='host=%s "
		    "port=%ld', then crm resource cleanup (or set failback=rewind|reseed); %s",
		    copy ? "pg_basebackup" : "pg_rewind", ocf_str(r, P_PGDATA),
		    P(r)->nodes.v[src].addr, ocf_int(r, P_PGPORT), cause);
	log_info("%s: failback=%s from %s", cause, copy ? "reseed" : ocf_str(r, P_FAILBACK),
	    P(r)->nodes.v[src].name);
	if (copy || strcmp(ocf_str(r, P_FAILBACK), "reseed") == 0)
		return reseed(r, &P(r)->nodes.v[src]);
	return rewind_from(r, &P(r)->nodes.v[src]);
}

static enum ocf_exitcode
rewind_from(struct ocf_rsc *r, const struct node *src)
{
	struct buf ci = BUF_INIT, out = BUF_INIT;
	const char *argv[] = { "pg_rewind", "-D", ocf_str(r, P_PGDATA), "--source-server", NULL,
	    "--restore-target-wal", NULL };
	char why[2048];
	int rc;

	if (write_configs(r, 1, why, sizeof(why)) == -1)
		return ocf_fail(OCF_ERR_GENERIC, "%s", why);
	pg_conninfo(&ci, src->addr, ocf_int(r, P_PGPORT), ocf_str(r, P_USER), 5);
	argv[4] = buf_str(&ci);
	/* A just-promoted source still shows its old timeline in pg_control
	 * until a checkpoint; pg_rewind reads it from there. */
	if (pg_query(&P(r)->pg, buf_str(&ci), "checkpoint", 60000, why, sizeof(why), why,
	    sizeof(why)) == -1)
		log_warn("checkpoint on %s before pg_rewind: %s", src->name, why);
	log_info("rewinding from the primary on %s", src->name);
	rc = pg_tool(&P(r)->pg, argv, 3600000, &out, why, sizeof(why));
	if (rc == -1) {
		buf_free(&ci);
		buf_free(&out);
		/* The WAL back to the fork gone: a crashed primary's own
		 * segments were never archived to itself, and pg_rewind's
		 * crash recovery recycles them. Only a copy helps then (the
		 * old directory is kept); any other failure (the source, its
		 * authentication, wal_log_hints) is the admin's to fix. */
		if (strstr(why, "WAL record") || strstr(why, "could not restore file") ||
		    strstr(why, "pg_wal/")) {
			log_warn("pg_rewind from %s cannot: the WAL back to the fork is gone; "
			    "re-seeding instead: %s", src->name, why);
			return reseed(r, src);
		}
		return ocf_fail(OCF_ERR_GENERIC, "pg_rewind from %s failed (set failback=reseed to "
		    "copy the primary instead): %s", src->name, why);
	}
	log_info("pg_rewind: %s", strstr(buf_str(&out), "no rewind required") ?
	    "no rewind required" : "done");
	buf_free(&out);
	/* The rewound directory is consistent only once it has replayed up to
	 * the source's position at rewind time, inside the segment the source
	 * is still writing: switched now, that segment is archived here at
	 * once instead of whenever it fills (an idle primary: never). A switch
	 * in a segment holding no record yet is a no-op (another standby's
	 * rewind just switched), so a record goes in first. */
	if (pg_query(&P(r)->pg, buf_str(&ci), "select pg_switch_wal() from "
	    "pg_logical_emit_message(false, 'understudy', 'pg_rewind')", 10000, why, sizeof(why),
	    why, sizeof(why)) == -1)
		log_warn("pg_switch_wal on %s after pg_rewind: %s", src->name, why);
	buf_free(&ci);
	return OCF_SUCCESS;
}

/* Where a stopped server's data stands, and whether it can follow the
 * newest timeline in archive_dir. A former primary (in production: crashed;
 * shut down) behind a newer timeline has its own history since the fork;
 * a standby shut down in recovery has pages up to its minimum recovery
 * point, which must not be past the fork point. */
static int
stopped_diverged(struct ocf_rsc *r, const struct pg_control *c, char *why, size_t whylen)
{
	int primary = strcmp(c->state, "in production") == 0 || strcmp(c->state, "shut down") == 0;
	struct wal_pos at = { c->tli, c->ckpt };

	if (archive_scan(r, NULL, 0) <= c->tli && (primary || c->minrec_tli <= c->tli))
		return 0;
	if (primary) {
		snprintf(why, whylen, "this node was primary on timeline %" PRIu32 " and a newer "
		    "timeline exists", c->tli);
		return 1;
	}
	if (c->minrec_tli && (c->minrec_tli > at.tli || c->minrec > at.lsn)) {
		at.tli = c->minrec_tli > at.tli ? c->minrec_tli : at.tli;
		at.lsn = c->minrec > at.lsn ? c->minrec : at.lsn;
	}
	return follow_check(r, &at, why, whylen) == FOLLOW_DIVERGED;
}

/* A server that cannot follow the newest timeline (an old primary, or a
 * standby that replayed past the fork point) is brought back per failback=. */
static enum ocf_exitcode
failback(struct ocf_rsc *r)
{
	struct pg_control c;
	char why[1024] = "";

	char note[PATH_MAX];
	struct buf b = BUF_INIT;
	enum ocf_exitcode rc;

	if (pg_control_read(&P(r)->pg, &c, why, sizeof(why)) == -1)
		return ocf_fail(OCF_ERR_INSTALLED, "%s", why);
	char kind[8];
	unsigned long tli;
	int at;

	ocf_rsctmp_path(r, "repair", note, sizeof(note));
	if (buf_read_file(&b, note, 4096) == 0 &&
	    sscanf(buf_str(&b), "%7s %lu %n", kind, &tli, &at) == 2 &&
	    tli == archive_scan(r, NULL, 0)) {
		/* What the monitor found before this recovery. */
		rc = repair(r, buf_str(&b) + at, strcmp(kind, "copy") == 0);
		if (rc == OCF_SUCCESS)
			unlink(note);
		buf_free(&b);
		return rc == REPAIR_DEFERRED ? OCF_SUCCESS : rc;
	}
	unlink(note);
	buf_free(&b);
	if (!stopped_diverged(r, &c, why, sizeof(why)))
		return OCF_SUCCESS;
	rc = repair(r, why, 0);
	/* Deferring is for a standby, which PostgreSQL itself refuses or keeps
	 * off the new timeline. A former primary (crashed: no minimum recovery
	 * point) could replay up to the fork and then follow the new timeline
	 * over pages it changed after it: only pg_rewind or a copy may bring it
	 * back. */
	if (rc == REPAIR_DEFERRED)
		return strcmp(c.state, "in production") == 0 || strcmp(c.state, "shut down") == 0 ?
		    ocf_fail(OCF_ERR_GENERIC, "%s; no primary answers to fail back from", why) :
		    OCF_SUCCESS;
	return rc;
}

/* What the server refused to start for, in its log since offset since. */
static const char *const refused_timeline[] = { "is not a child of this server's history",
    "forked off current database system timeline", "does not contain minimum recovery point",
    NULL };
/* A postmaster killed a moment ago: its pid not yet reaped, or its
 * orphaned backends still attached to the shared memory. */
static const char *const refused_leftovers[] = { "lock file \"postmaster.pid\" already exists",
    "is still in use", NULL };

/* The server's log since offset since: the first line that says one of
 * says, into why. The file is system_user's: no symlink followed, no FIFO. */
static int
log_says(struct ocf_rsc *r, off_t since, const char *const *says, char *why, size_t whylen)
{
	char tail[65536];
	struct stat st;
	ssize_t n;
	int fd, hit = 0;

	if ((fd = open(ocf_str(r, P_LOGFILE), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > since) {
		if (st.st_size - since > (off_t)sizeof(tail) - 1)
			since = st.st_size - (off_t)sizeof(tail) + 1;
		if ((n = pread(fd, tail, sizeof(tail) - 1, since)) > 0) {
			tail[n] = '\0';
			for (size_t i = 0; says[i] && !hit; i++) {
				const char *at = strstr(tail, says[i]), *bol = at;

				if (at == NULL)
					continue;
				while (bol > tail && bol[-1] != '\n')
					bol--;
				snprintf(why, whylen, "the server says: %.*s", (int)strcspn(bol, "\n"),
				    bol);
				hit = 1;
			}
		}
	}
	close(fd);
	return hit;
}

/* Starts a standby; *refused set when the server exited because it cannot
 * follow the archive's timeline (then the caller repairs and retries). */
static enum ocf_exitcode
start_standby_once(struct ocf_rsc *r, int *refused, char *cause, size_t causelen)
{
	char why[1024] = "", status[32];
	long t0 = clock_ms(), deadline = t0 + 60000;
	enum pg_role ro;
	off_t logpos = 0;
	struct stat st;
	int leftovers = 0;

	if (refused)
		*refused = 0;
	if (write_configs(r, 0, why, sizeof(why)) == -1 ||
	    signal_file(r, "recovery.signal", 0, why, sizeof(why)) == -1 ||
	    signal_file(r, RECV_PROMOTING, 0, why, sizeof(why)) == -1 ||
	    signal_file(r, "standby.signal", 1, why, sizeof(why)) == -1)
		return ocf_fail(OCF_ERR_GENERIC, "%s", why);
again:
	t0 = clock_ms();
	if (stat(ocf_str(r, P_LOGFILE), &st) == 0)
		logpos = st.st_size;
	if (pg_ctl(r, "start", why, sizeof(why)) == -1)
		return ocf_fail(OCF_ERR_GENERIC, "%s; see %s", why, ocf_str(r, P_LOGFILE));
	/* Up once it answers; a standby still short of a consistent state is
	 * up too (monitor does not score it until it is). The postmaster
	 * writes its pid file a moment after pg_ctl returns. */
	while (clock_ms() < deadline) {
		why[0] = '\0';
		ro = role(r, why, sizeof(why));
		if (ro == ROLE_STANDBY || ro == ROLE_STARTING) {
			pg_pm_status(&P(r)->pg, status, sizeof(status));
			log_info("started as standby (%s)", status);
			return OCF_SUCCESS;
		}
		if (ro == ROLE_PRIMARY)
			return ocf_fail(OCF_ERR_GENERIC, "started as a primary despite standby.signal");
		if (ro == ROLE_STOPPED && log_says(r, logpos, refused_leftovers, why, sizeof(why)) &&
		    ++leftovers <= 20) {
			/* A restart in place right after a kill -9: wait for the
			 * old processes to be gone, then try again. */
			usleep(500000);
			goto again;
		}
		if (ro == ROLE_STOPPED && clock_ms() - t0 > 5000) {
			snprintf(why, sizeof(why), "the server exited");
			break;
		}
		usleep(100000);
	}
	if (refused && log_says(r, logpos, refused_timeline, cause, causelen)) {
		*refused = 1;
		return OCF_ERR_GENERIC;
	}
	return ocf_fail(OCF_ERR_GENERIC, "the server did not come up as a standby: %s; see %s",
	    why, ocf_str(r, P_LOGFILE));
}

static enum ocf_exitcode
start_standby_server(struct ocf_rsc *r)
{
	char cause[1024];
	enum ocf_exitcode rc;
	int refused;

	if ((rc = start_standby_once(r, &refused, cause, sizeof(cause))) == OCF_SUCCESS ||
	    !refused)
		return rc;
	if ((rc = repair(r, cause, 0)) == REPAIR_DEFERRED)
		return ocf_fail(OCF_ERR_GENERIC, "%s; no primary answers to fail back from", cause);
	if (rc != OCF_SUCCESS)
		return rc;
	return start_standby_once(r, NULL, NULL, 0);
}

/* ------------------------------------------------------------ the receiver */

/* pgwarm-receive runs beside every standby (stream=on): started with it,
 * restarted by monitor when it died, stopped before promote and stop. */
static int
receiver_up(struct ocf_rsc *r, int restart)
{
	char why[512];

	if (!ocf_bool(r, P_STREAM))
		return 0;
	if (restart && recvctl_pid(&P(r)->recv) <= 0)
		log_warn("pgwarm-receive was not running: starting it again");
	if (recvctl_start(&P(r)->recv, why, sizeof(why)) == -1) {
		log_err("pgwarm-receive: %s", why);
		return -1;
	}
	return 0;
}

/* Stopped, its last status in st (st->state RECV_STOPPED: a clean stop,
 * its flushed position final). -1 when there is no status. */
static int
receiver_down(struct ocf_rsc *r, struct recv_status *st)
{
	if (recvctl_stop(&P(r)->recv, clock_ms() + 5000) == -1)
		log_warn("pgwarm-receive did not stop");
	return st ? recvctl_status(&P(r)->recv, st) : 0;
}

static enum ocf_exitcode
start_standby(struct ocf_rsc *r)
{
	enum ocf_exitcode rc = start_standby_server(r);

	if (rc == OCF_SUCCESS && receiver_up(r, 0) == -1)
		log_warn("the standby runs without its receiver (shipping only); monitor retries");
	return rc;
}

/* The log's directory: created for system_user when missing (Debian's
 * /var/log/postgresql comes with postgresql-common; another layout may
 * lack it). The file itself is created by pg_ctl, as system_user. */
static enum ocf_exitcode
logfile_ready(struct ocf_rsc *r)
{
	struct passwd *pw = getpwnam(ocf_str(r, P_USER));
	char dir[PATH_MAX], *slash;
	int fd = -1;

	snprintf(dir, sizeof(dir), "%s", ocf_str(r, P_LOGFILE));
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return OCF_SUCCESS;
	*slash = '\0';
	if (access(dir, F_OK) == 0)
		return OCF_SUCCESS;
	/* Handed over through one fd that follows no symlink, never a chown by
	 * path that a swap in a parent of another user could redirect.
	 * ERR_INSTALLED: this node's file system, not the parameter. */
	if (mkdir(dir, 0750) == -1 && errno != EEXIST)
		return ocf_fail(OCF_ERR_INSTALLED, "logfile: cannot create %s: %s", dir,
		    strerror(errno));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    (pw && fchown(fd, pw->pw_uid, pw->pw_gid) == -1)) {
		if (fd != -1)
			close(fd);
		return ocf_fail(OCF_ERR_GENERIC, "logfile: %s: %s", dir, strerror(errno));
	}
	close(fd);
	log_info("created %s for the server log", dir);
	return OCF_SUCCESS;
}

/* A node that comes back without having been fenced (fencing off, or a
 * cut healed before the fence) may still run the primary it ran before.
 * Stale when another node answers as a primary or any node's record is on
 * a newer timeline: 1, with why. */
static int
stale_primary(struct ocf_rsc *r, char *why, size_t whylen)
{
	struct pgw *p = P(r);
	struct pg_control c;
	enum elect_role role;
	struct wal_pos pos;
	int other;

	if ((other = find_primary(r)) != -1) {
		snprintf(why, whylen, "%s runs a primary", p->nodes.v[other].name);
		return 1;
	}
	if (pg_control_read(&p->pg, &c, why, whylen) == -1)
		return 0;
	for (size_t i = 0; i < p->nodes.n; i++)
		if (strcmp(p->nodes.v[i].name, p->self) != 0 &&
		    record_get(r, p->nodes.v[i].name, &role, &pos) == 1 && pos.tli > c.tli) {
			snprintf(why, whylen, "%s is on timeline %" PRIu32 ", this primary on %"
			    PRIu32, p->nodes.v[i].name, pos.tli, c.tli);
			return 1;
		}
	return 0;
}

static enum ocf_exitcode
pgwarm_start(struct ocf_rsc *r)
{
	char path[PATH_MAX], why[512];
	struct wal_pos was = { 0, 0 };
	enum ocf_exitcode rc;

	snprintf(path, sizeof(path), "%s/PG_VERSION", ocf_str(r, P_PGDATA));
	if (access(path, R_OK) == -1)
		return ocf_fail(OCF_ERR_INSTALLED, "%s is not a PostgreSQL data directory (no "
		    "PG_VERSION); seed it with pg_basebackup from the primary", ocf_str(r, P_PGDATA));
	switch (role(r, why, sizeof(why))) {
	case ROLE_STANDBY:
	case ROLE_STARTING:
		return OCF_SUCCESS;
	case ROLE_PRIMARY:
		if (!stale_primary(r, why, sizeof(why)))
			return OCF_SUCCESS;	/* monitor reports it promoted */
		/* Never a second primary: no more writes here, then failback. */
		log_err("a primary still runs here, unfenced, but %s: stopping it to start "
		    "as a standby", why);
		if ((rc = stop_server(r)) != OCF_SUCCESS)
			return rc;
		break;
	case ROLE_UNKNOWN:
		return ocf_fail(OCF_ERR_GENERIC, "server running but not answering: %s", why);
	case ROLE_STOPPED:
		break;
	}
	/* Not promotable until a monitor has judged it (see pgwarm_stop). */
	ocf_promotion_set(r, OCF_SCORE_NEVER);
	if ((rc = logfile_ready(r)) != OCF_SUCCESS || (rc = failback(r)) != OCF_SUCCESS)
		return rc;
	forget_primary_record(r, &was);
	if ((rc = start_standby(r)) != OCF_SUCCESS && was.tli)
		/* Not started: the node must not block the others' election. */
		record_set(r, ELECT_PRIMARY, &was);
	return rc;
}

static enum ocf_exitcode
stop_server(struct ocf_rsc *r)
{
	char why[1024];

	if (!pg_running(&P(r)->pg))
		return OCF_SUCCESS;
	if (pg_ctl(r, "fast", why, sizeof(why)) == 0)
		return OCF_SUCCESS;
	if (!pg_running(&P(r)->pg))
		return OCF_SUCCESS;	/* it died while we asked */
	log_warn("fast shutdown failed (%s); shutting down immediately", why);
	if (pg_ctl(r, "immediate", why, sizeof(why)) == 0 || !pg_running(&P(r)->pg))
		return OCF_SUCCESS;
	return ocf_fail(OCF_ERR_GENERIC, "cannot stop the server: %s", why);
}

static enum ocf_exitcode
pgwarm_stop(struct ocf_rsc *r)
{
	struct wal_pos pos;
	struct recv_status st;
	enum ocf_exitcode rc;
	char why[256];
	int streamed = receiver_down(r, &st) == 0 && st.flushed.tli != 0;

	/* A standby's last position outlives it (a node that is down still
	 * counts in the election), the stream's included; a primary's record
	 * stays "primary". */
	if (role(r, why, sizeof(why)) == ROLE_STANDBY && standby_pos(r, &pos) == 0) {
		if (streamed && wal_pos_compare(&st.flushed, &pos) > 0)
			pos = st.flushed;
		record_set(r, ELECT_STANDBY, &pos);
	}
	/* -INFINITY, not deleted: a stopped instance with no score is still
	 * promotable by a location preference (crm_resource --move --promoted
	 * puts one there), and Pacemaker would demote the primary for an
	 * instance that cannot follow it yet. Monitor sets it again. */
	if ((rc = stop_server(r)) == OCF_SUCCESS) {
		ocf_promotion_set(r, OCF_SCORE_NEVER);
		held_publish(r, NULL, NULL);	/* stopped, not held back */
		sync_forget(r);
	}
	return rc;
}

/* ------------------------------------------------------------ sync=on */

/* A value of synchronous_standby_names as a SQL literal: ANY 1 of the other
 * nodes' names (the receivers' application_name), each a quoted name. */
static void
sync_names(struct ocf_rsc *r, struct buf *value, struct buf *in)
{
	struct pgw *p = P(r);
	struct buf names = BUF_INIT;

	for (size_t i = 0; i < p->nodes.n; i++) {
		const char *n = p->nodes.v[i].name;

		if (strcmp(n, p->self) == 0)
			continue;
		buf_printf(&names, "%s\"", names.len ? ", " : "");
		for (const char *c = n; *c; c++)
			buf_puts(&names, *c == '"' ? "\"\"" : (char[]){ *c, 0 });
		buf_puts(&names, "\"");
		buf_puts(in, in->len ? ", " : "");
		sql_quote(in, n);
	}
	buf_printf(value, "ANY 1 (%s)", buf_str(&names));
	buf_free(&names);
}

static int
sync_set(struct ocf_rsc *r, const char *value, char *why, size_t whylen)
{
	struct buf sql = BUF_INIT;
	char out[16];
	int rc;

	buf_puts(&sql, "alter system set synchronous_standby_names = ");
	sql_quote(&sql, value);
	rc = q(r, buf_str(&sql), out, sizeof(out), why, whylen) == -1 ||
	    q(r, "select pg_reload_conf()", out, sizeof(out), why, whylen) == -1 ? -1 : 0;
	buf_free(&sql);
	return rc;
}

/* The attribute only when it changes (kept in HA_RSCTMP, as held_publish). */
static void
sync_publish(struct ocf_rsc *r, const char *v)
{
	attr_publish(r, P(r)->attr_sync, "sync", v);
}

/* A primary's sync state means nothing once it is not one. */
static void
sync_forget(struct ocf_rsc *r)
{
	char path[PATH_MAX];

	ocf_rsctmp_path(r, "sync-seen", path, sizeof(path));
	unlink(path);
	sync_publish(r, NULL);
}

/* On the primary (DESIGN.md §4b): sync=on keeps the receivers synchronous
 * while one has been connected within sync_timeout, drops to asynchronous
 * after, and back when one returns. The last time one was seen is the
 * mtime of HA_RSCTMP's "sync-seen"; a promotion starts the clock when
 * another node is online (its receiver is about to connect). */
static void
sync_manage(struct ocf_rsc *r, int promoted)
{
	struct buf value = BUF_INIT, in = BUF_INIT, sql = BUF_INIT;
	char out[1024], why[512], seen[PATH_MAX], *cnt;
	struct stat st;
	int connected, want;

	ocf_rsctmp_path(r, "sync-seen", seen, sizeof(seen));
	if (!ocf_bool(r, P_SYNC)) {
		if (promoted && q(r, "alter system reset synchronous_standby_names", out,
		    sizeof(out), why, sizeof(why)) == 0)
			q(r, "select pg_reload_conf()", out, sizeof(out), why, sizeof(why));
		else if (!promoted)
			sync_publish(r, "off");
		return;
	}
	sync_names(r, &value, &in);
	if (promoted) {
		/* Still a standby: no receiver is connected yet. Synchronous
		 * when another node is there to connect; the attribute follows
		 * (after_promotion). */
		want = others_online(r);
		if (want)
			close(open(seen, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
		else
			unlink(seen);	/* a lone primary: asynchronous from the start */
		snprintf(P(r)->sync_promoted, sizeof(P(r)->sync_promoted), "%s",
		    want ? "on" : "degraded");
		if (sync_set(r, want ? buf_str(&value) : "", why, sizeof(why)) == -1)
			log_err("synchronous_standby_names at promotion: %s", why);
		else if (!want)
			log_warn("promoted with no other node online: commits do not wait for a "
			    "standby (sync degraded) until one connects");
		goto out;
	}
	/* Connected and answering: a receiver that stopped replying (stopped,
	 * wedged on a full disk) holds commits as surely as none. It reports
	 * every second. */
	buf_printf(&sql, "select current_setting('synchronous_standby_names'), (select count(*) "
	    "from pg_stat_replication where state = 'streaming' and application_name in (%s) "
	    "and reply_time > now() - interval '%ld s')", buf_str(&in),
	    ocf_int(r, P_SYNC_TIMEOUT) < 3 ? ocf_int(r, P_SYNC_TIMEOUT) : 3);
	if (q(r, buf_str(&sql), out, sizeof(out), why, sizeof(why)) == -1 ||
	    (cnt = strrchr(out, '|')) == NULL) {
		log_warn("synchronous replication state unknown: %s", why);
		goto out;
	}
	*cnt++ = '\0';
	connected = strtol(cnt, NULL, 10) > 0;
	if (connected)
		close(open(seen, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
	want = connected || (stat(seen, &st) == 0 &&
	    time(NULL) - st.st_mtime < ocf_int(r, P_SYNC_TIMEOUT));
	if (want && strcmp(out, buf_str(&value)) != 0) {
		if (sync_set(r, buf_str(&value), why, sizeof(why)) == -1)
			log_err("synchronous_standby_names = %s: %s", buf_str(&value), why);
		else
			log_info("commits wait for a standby's receiver again: "
			    "synchronous_standby_names = %s", buf_str(&value));
	} else if (!want && out[0] != '\0') {
		if (sync_set(r, "", why, sizeof(why)) == -1)
			log_err("dropping synchronous replication: %s", why);
		else
			log_warn("no standby receiver connected for %ld s: commits no longer wait "
			    "for a standby (sync degraded) until one is back",
			    ocf_int(r, P_SYNC_TIMEOUT));
	}
	sync_publish(r, want ? "on" : "degraded");
out:
	buf_free(&value);
	buf_free(&in);
	buf_free(&sql);
}

static enum ocf_exitcode
pgwarm_monitor(struct ocf_rsc *r)
{
	struct pg_control c;
	char why[1024];

	switch (role(r, why, sizeof(why))) {
	case ROLE_STOPPED:
		if (!ocf_is_probe(r) && pg_control_read(&P(r)->pg, &c, why, sizeof(why)) == 0 &&
		    strcmp(c.state, "in production") == 0)
			return ocf_fail(OCF_FAILED_PROMOTED, "the primary is gone without a shutdown "
			    "(crashed or killed)");
		/* Again, as in stop: a fenced node reboots without its
		 * reboot-lifetime attributes, and its probe comes first. */
		ocf_promotion_set(r, OCF_SCORE_NEVER);
		return OCF_NOT_RUNNING;
	case ROLE_STARTING:
		ocf_promotion_set(r, OCF_SCORE_NEVER);	/* not consistent yet */
		return OCF_SUCCESS;
	case ROLE_STANDBY:
		return standby_check(r);
	case ROLE_PRIMARY:
		publish_archiver(r);
		sync_manage(r, 0);
		ocf_promotion_set(r, SCORE_BEST);
		return OCF_RUNNING_PROMOTED;
	case ROLE_UNKNOWN:
		break;
	}
	return ocf_fail(OCF_ERR_GENERIC, "server running but not answering: %s; see %s", why,
	    ocf_str(r, P_LOGFILE));
}

static uint64_t
wal_segsz(struct ocf_rsc *r)
{
	char out[64], why[256];

	if (P(r)->segsz == 0)
		P(r)->segsz = q(r, "select setting from pg_settings where name = "
		    "'wal_segment_size'", out, sizeof(out), why, sizeof(why)) == 0 &&
		    strtoull(out, NULL, 10) >= (1 << 20) ? strtoull(out, NULL, 10) : 16 << 20;
	return P(r)->segsz;
}

/* The name of the segment that holds a position. */
static void
seg_name(const struct wal_pos *pos, uint64_t segsz, char *out, size_t outlen)
{
	snprintf(out, outlen, "%08" PRIX32 "%08" PRIX64 "%08" PRIX64, pos->tli,
	    (uint64_t)(pos->lsn >> 32), (uint64_t)((pos->lsn & 0xFFFFFFFFULL) / segsz));
}

/* The segment replay is in, from a position. */
static int
pos_reached(const struct wal_pos *pos, const char *seg, uint64_t segsz)
{
	char name[32];

	seg_name(pos, segsz, name, sizeof(name));
	return wal_pos_cmp(name, seg) >= 0;
}

/* Waits until replay has applied the newest segment in archive_dir, and
 * with a stream (target: what the receiver flushed) its partial too, else
 * holds still, and no other node's record is ahead (a demoted primary's
 * shutdown checkpoint, a standby that restored more): everything shipped
 * or streamed is applied before the timeline forks. pos: where replay
 * got, or the stream's end when that is further (the position promoted
 * at). Returns the verdict at the end; why says whose positions were
 * compared. */
static void
wake_startup(struct ocf_rsc *r)
{
	char out[16], why[256];

	/* A reload wakes the startup process from its wait between restore
	 * attempts (wal_retrieve_retry_interval): it asks for the segment
	 * again now and gets the partial. */
	if (q(r, "select pg_reload_conf()", out, sizeof(out), why, sizeof(why)) == -1)
		log_warn("waking the startup process: %s", why);
}

static enum elect_verdict
replay_archive(struct ocf_rsc *r, long budget_ms, const struct wal_pos *target,
    struct replay_wait *sw, struct wal_pos *pos, char *why, size_t whylen)
{
	char newest[64];
	struct wal_pos last = { 0, 0 };
	long deadline = clock_ms() + budget_ms, poll_us = target ? 20000 : 300000;
	enum elect_verdict v = ELECT_UNKNOWN;
	uint64_t segsz = wal_segsz(r);
	struct replay_wait none = { 0, { 0, 0 } }, *w = sw ? sw : &none;
	long woke = w->woke;
	int still = 0, done = 0;

	snprintf(why, whylen, "the standby does not answer");
	while (clock_ms() < deadline) {
		if (standby_pos(r, pos) == -1)
			return ELECT_UNKNOWN;
		still = wal_pos_compare(pos, &last) == 0 ? still + 1 : 0;
		last = *pos;
		archive_scan(r, newest, sizeof(newest));
		if (target == NULL) {
			done = still >= 3;
		} else switch (replay_stream_done(w, pos, target, still, segsz, clock_ms())) {
		case REPLAY_NOT_YET:
			done = 0;
			break;
		case REPLAY_AT_END:
			/* The stream may end inside a record: what it flushed is
			 * this node's, as the others' records count theirs. */
			done = 1;
			if (target->tli == pos->tli && wal_pos_compare(target, pos) > 0)
				*pos = *target;
			break;
		case REPLAY_GAVE_UP:	/* judged where replay really is */
			done = 1;
			log_warn("replay stopped short of the stream's end (%08" PRIX32 "/%016"
			    PRIX64 "): judged at what was replayed", target->tli, target->lsn);
			break;
		}
		if (done && (newest[0] == '\0' || pos_reached(pos, newest, segsz)) &&
		    (v = judge(r, pos, why, whylen)) <= ELECT_TIED)
			return v;
		if (target && !done && clock_ms() - woke >= 100) {
			woke = clock_ms();
			if (w->woke == 0)
				*w = (struct replay_wait){ woke, *pos };
			wake_startup(r);
		}
		usleep(poll_us);
	}
	return v == ELECT_UNKNOWN && !done ? judge(r, pos, why, whylen) : v;
}

/* Segments of the timeline we promote from that the others may still need
 * and that no one ever archived: a node that ran as a plain primary before
 * the cluster was configured (the admin's seeding) holds, in its pg_wal,
 * the WAL between the others' base backups and its own end. Marked .ready,
 * the new primary's archiver ships them; done as system_user. */
struct mark_job {
	const char	*pgdata;
	uint32_t	 tli;
	char		 from[32], below[32];	/* segment range [from, below) */
};

static int
do_mark(void *arg, char *why, size_t whylen)
{
	const struct mark_job *j = arg;
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0, fd;
	DIR *d;

	snprintf(path, sizeof(path), "%s/pg_wal", j->pgdata);
	if ((d = opendir(path)) == NULL) {
		snprintf(why, whylen, "%.900s: %s", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char st[PATH_MAX + 64];

		if (wal_kind(de->d_name) != WAL_SEGMENT || wal_timeline(de->d_name) != j->tli ||
		    (j->from[0] && wal_pos_cmp(de->d_name, j->from) < 0) ||
		    wal_pos_cmp(de->d_name, j->below) >= 0)
			continue;
		snprintf(st, sizeof(st), "%s/pg_wal/archive_status/%s.done", j->pgdata, de->d_name);
		if (access(st, F_OK) == 0)
			continue;
		snprintf(st, sizeof(st), "%s/pg_wal/archive_status/%s.ready", j->pgdata, de->d_name);
		if ((fd = open(st, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) != -1) {
			close(fd);
			n++;
		}
	}
	closedir(d);
	snprintf(why, whylen, "%d", n);
	return 0;
}

static void
mark_unarchived(struct ocf_rsc *r, const struct wal_pos *at, uint64_t segsz)
{
	struct mark_job j = { ocf_str(r, P_PGDATA), at->tli, "", "" };
	struct pgw *p = P(r);
	struct wal_pos low = *at, e;
	enum elect_role role;
	char why[1024];

	for (size_t i = 0; i < p->nodes.n; i++)
		if (strcmp(p->nodes.v[i].name, p->self) != 0 &&
		    record_get(r, p->nodes.v[i].name, &role, &e) == 1 && role == ELECT_STANDBY &&
		    e.lsn < low.lsn)
			low.lsn = e.lsn;
	seg_name(&low, segsz, j.from, sizeof(j.from));
	seg_name(at, segsz, j.below, sizeof(j.below));
	if (asuser_call(ocf_str(r, P_USER), do_mark, &j, why, sizeof(why)) == -1)
		log_warn("marking unarchived segments for the others: %s", why);
	else if (strcmp(why, "0") != 0)
		log_info("%s segment(s) from %s on in pg_wal were never archived: the archiver "
		    "ships them after the promotion", why, j.from);
}

/* What a new primary does that nothing waits for, in a detached child:
 * a checkpoint (pg_control shows the new timeline only after one, and that
 * is what the others read; a rewind from here asks for its own first), and
 * the standby's attributes go. The action returns meanwhile. */
static void
after_promotion(struct ocf_rsc *r)
{
	char out[16], why[512];
	pid_t pid = fork();
	int fd;

	if (pid == -1) {
		log_warn("after the promotion: fork: %s", strerror(errno));
		return;
	}
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return;
	}
	setsid();
	if (fork() != 0)
		_exit(0);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {	/* not Pacemaker's pipes */
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (q(r, "checkpoint", out, sizeof(out), why, sizeof(why)) == -1)
		log_warn("checkpoint after promotion: %s", why);
	if (ocf_bool(r, P_STREAM)) {	/* a primary has no receiver */
		attr_publish(r, P(r)->attr_recv, "receive", NULL);
		ocf_attr_delete(P(r)->attr_rlag);
	}
	held_publish(r, NULL, NULL);
	sync_publish(r, ocf_bool(r, P_SYNC) ? P(r)->sync_promoted : "off");
	_exit(0);
}

/* Is there a stream partial for the segment replay is in, or the next? */
static int
partial_ahead(struct ocf_rsc *r)
{
	struct wal_pos pos;
	char name[32], path[PATH_MAX];
	uint64_t segsz = wal_segsz(r);

	if (standby_pos(r, &pos) == -1)
		return 1;	/* cannot tell: look */
	for (int i = 0; i < 2; i++, pos.lsn += segsz) {
		seg_name(&pos, segsz, name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s.partial", ocf_str(r, P_ARCHIVE_DIR), name);
		if (access(path, F_OK) == 0)
			return 1;
	}
	return 0;
}

/* A promotion that does not happen: the standby goes on as one. */
static void
promote_abort(struct ocf_rsc *r)
{
	char why[512];

	if (signal_file(r, RECV_PROMOTING, 0, why, sizeof(why)) == -1)
		log_warn("%s", why);
	receiver_up(r, 0);
}

static enum ocf_exitcode
pgwarm_promote(struct ocf_rsc *r)
{
	char why[1024], out[32], pos[32], compared[2048];
	struct wal_pos at;
	struct recv_status st;
	enum elect_verdict v;
	long deadline, t0 = clock_ms(), t_checks, t_replayed, t_pg;
	struct replay_wait sw = { 0, { 0, 0 } };
	int other, streamed = 0;

	switch (role(r, why, sizeof(why))) {
	case ROLE_PRIMARY:
		return OCF_SUCCESS;
	case ROLE_STANDBY:
		break;
	default:
		return ocf_fail(OCF_ERR_GENERIC, "cannot promote: the standby is not ready%s%s",
		    *why ? ": " : "", why);
	}
	/* The stream's end is final once the receiver is stopped; the
	 * marker lets restore_command serve its partial, and the startup
	 * process replays it while the checks below run. */
	if (ocf_bool(r, P_STREAM)) {
		/* No status, or one of a receiver that had not streamed yet:
		 * its partial is still replayed (target unknown). */
		if (receiver_down(r, &st) == -1)
			memset(&st, 0, sizeof(st));
		streamed = st.flushed.tli != 0 || partial_ahead(r);
		if (streamed && signal_file(r, RECV_PROMOTING, 1, why, sizeof(why)) == -1) {
			log_warn("the stream's partial cannot be replayed: %s", why);
			streamed = 0;
		}
		if (streamed && standby_pos(r, &sw.at_wake) == 0) {
			sw.woke = clock_ms();
			wake_startup(r);
		}
	}
	if ((other = find_primary(r)) != -1) {
		promote_abort(r);
		return ocf_fail(OCF_ERR_GENERIC, "refusing to promote: %s already runs a primary",
		    P(r)->nodes.v[other].name);
	}
	if (unfenced_risk(r, why, sizeof(why))) {
		promote_abort(r);
		ocf_promotion_set(r, OCF_SCORE_NEVER);
		return ocf_fail(OCF_ERR_GENERIC, "refusing to promote: %s", why);
	}
	t_checks = clock_ms();
	v = replay_archive(r, PROMOTE_WAIT_MS, streamed ? &st.flushed : NULL, &sw, &at,
	    compared, sizeof(compared));
	t_replayed = clock_ms();
	streamed = streamed && st.flushed.tli != 0;
	if (v > ELECT_TIED || follow_check(r, &at, why, sizeof(why)) == FOLLOW_DIVERGED) {
		promote_abort(r);
		ocf_promotion_set(r, OCF_SCORE_NEVER);
		if (v <= ELECT_TIED)
			return ocf_fail(OCF_ERR_GENERIC, "refusing to promote: %s", why);
		return ocf_fail(OCF_ERR_GENERIC, "refusing to promote: %s after %d s of replay "
		    "(%s). A node that will never come back: delete its record with crm_attribute "
		    "--node NODE --name %s --lifetime forever --delete", v == ELECT_BEHIND ?
		    "another node is further ahead" : "a node's position is unknown",
		    PROMOTE_WAIT_MS / 1000, compared, P(r)->attr_rec);
	}
	wal_pos_format(&at, pos, sizeof(pos));
	log_info("promoting at %s; compared: %s", pos, compared);
	mark_unarchived(r, &at, wal_segsz(r));
	/* Before the first write: synchronous from the first commit on. */
	sync_manage(r, 1);
	/* Not pg_promote's own wait: it polls every 100 ms. */
	if (q(r, "select pg_promote(false)", out, sizeof(out), why, sizeof(why)) == -1 ||
	    strcmp(out, "t") != 0) {
		promote_abort(r);
		return ocf_fail(OCF_ERR_GENERIC, "pg_promote failed: %s; see %s", why,
		    ocf_str(r, P_LOGFILE));
	}
	record_set(r, ELECT_PRIMARY, &at);
	deadline = clock_ms() + 30000;
	while (role(r, why, sizeof(why)) != ROLE_PRIMARY)
		if (clock_ms() > deadline)
			return ocf_fail(OCF_ERR_GENERIC, "still in recovery after pg_promote; see %s",
			    ocf_str(r, P_LOGFILE));
		else
			usleep(20000);
	t_pg = clock_ms();
	if (signal_file(r, RECV_PROMOTING, 0, why, sizeof(why)) == -1)
		log_warn("%s", why);
	ocf_promotion_set(r, SCORE_BEST);
	after_promotion(r);
	log_info("promoted at %s in %ld ms%s (checks %ld, replay %ld, pg_promote %ld, "
	    "after %ld)", pos, clock_ms() - t0, streamed ? ", the stream's partial replayed "
	    "first" : "", t_checks - t0, t_replayed - t_checks, t_pg - t_replayed,
	    clock_ms() - t_pg);
	return OCF_SUCCESS;
}

/* Ships one file of pg_wal now, the way archive_command would. */
static int
ship_now(struct ocf_rsc *r, const char *name, char *why, size_t whylen)
{
	char exe[PATH_MAX], rel[96];
	const char *argv[] = { exe, "-c", "pgwarm-archive.conf", "--direct", rel, name, NULL };
	struct buf err = BUF_INIT;
	struct run_cmd cmd = { .argv = argv, .run_as = ocf_str(r, P_USER),
	    .cwd = ocf_str(r, P_PGDATA), .timeout_ms = 60000, .err = &err };
	struct run_result res;
	char what[128];

	snprintf(exe, sizeof(exe), "%s/pgwarm-archive", ocf_str(r, P_HELPERS));
	snprintf(rel, sizeof(rel), "pg_wal/%s", name);
	run(&cmd, &res);
	if (res.status == RUN_EXITED && res.exit_code == 0) {
		buf_free(&err);
		return 0;
	}
	snprintf(why, whylen, "%s %s", run_describe(&res, what, sizeof(what)), buf_str(&err));
	buf_free(&err);
	return -1;
}

/* Planned switchover: everything up to the shutdown checkpoint reaches the
 * standbys before this node becomes one. */
static enum ocf_exitcode
pgwarm_demote(struct ocf_rsc *r)
{
	char why[1024], seg[64], out[256];
	struct pg_control c;
	long deadline = clock_ms() + 60000;
	enum ocf_exitcode rc;

	switch (role(r, why, sizeof(why))) {
	case ROLE_STANDBY:
	case ROLE_STARTING:
		return OCF_SUCCESS;
	case ROLE_STOPPED:
		/* A crashed primary: the start that follows goes through failback. */
		log_info("demote of a stopped server: nothing to do");
		return OCF_SUCCESS;
	case ROLE_UNKNOWN:
		log_warn("demoting a server that does not answer: %s", why);
		break;
	case ROLE_PRIMARY:
		if (q(r, "select pg_walfile_name(pg_switch_wal())", seg, sizeof(seg), why,
		    sizeof(why)) == -1)
			log_warn("pg_switch_wal: %s", why);
		else
			while (clock_ms() < deadline && q(r, "select coalesce(last_archived_wal, '') "
			    "from pg_stat_archiver", out, sizeof(out), why, sizeof(why)) == 0 &&
			    (wal_kind(out) != WAL_SEGMENT || wal_pos_cmp(out, seg) < 0))
				usleep(100000);
		break;
	}
	if ((rc = stop_server(r)) != OCF_SUCCESS)
		return rc;
	sync_forget(r);
	if (pg_control_read(&P(r)->pg, &c, why, sizeof(why)) == -1)
		return ocf_fail(OCF_ERR_GENERIC, "%s", why);
	if (wal_kind(c.redo_file) == WAL_SEGMENT && ship_now(r, c.redo_file, why, sizeof(why)) == -1)
		log_err("the segment with the shutdown checkpoint (%s) could not be shipped: %s",
		    c.redo_file, why);
	/* The new primary must have replayed this checkpoint (DESIGN §4a, 2):
	 * our record now says where it is, and promote elsewhere waits for it. */
	record_set(r, ELECT_STANDBY, &(struct wal_pos){ c.tli, c.ckpt });
	log_info("demoted: shutdown checkpoint at %08" PRIX32 "/%016" PRIX64, c.tli, c.ckpt);
	return start_standby(r);
}

static enum ocf_exitcode
pgwarm_notify(struct ocf_rsc *r)
{
	const char *type = ocf_notify_type(), *op = ocf_notify_operation();
	char why[256];

	/* Every standby records where it is before one is promoted. */
	if (type && op && strcmp(type, "pre") == 0 && strcmp(op, "promote") == 0 &&
	    role(r, why, sizeof(why)) == ROLE_STANDBY)
		(void)standby_check(r);
	return OCF_SUCCESS;
}

static const struct ocf_action actions[] = {
	{ "start", pgwarm_start, 120, 0, NULL, 0 },
	{ "stop", pgwarm_stop, 120, 0, NULL, 0 },
	{ "monitor", pgwarm_monitor, 30, 3, "Promoted", 0 },
	{ "monitor", pgwarm_monitor, 30, 4, "Unpromoted", 0 },
	{ "promote", pgwarm_promote, 90, 0, NULL, 0 },
	{ "demote", pgwarm_demote, 120, 0, NULL, 0 },
	{ "notify", pgwarm_notify, 60, 0, NULL, 0 },
	{ NULL }
};

static const struct ocf_agent agent = {
	.name = "pgwarm",
	.version = PACKAGE_VERSION,
	.shortdesc = "PostgreSQL warm standby by WAL shipping",
	.longdesc = "Runs PostgreSQL as a promotable clone without streaming replication: the "
	    "promoted instance archives every WAL segment over SSH into archive_dir on every "
	    "other node (pgwarm-archive: one persistent session per peer, fsync on the peer "
	    "before success, never overwriting); the unpromoted instances replay from there in "
	    "continuous recovery. Every node keeps its position (timeline, replayed LSN) in a "
	    "permanent node attribute, pgwarm-RSC-position (\"standby T/LSN\", or \"primary "
	    "T/LSN\" from its promotion on), so a node that is down or restarting still counts. "
	    "The election fails closed: a standby gets the promotion score only when every "
	    "online node's position is known and none is ahead (ties go to the lower node "
	    "name); otherwise its score is -INFINITY. Promote first replays archive_dir until "
	    "no record is ahead, and refuses, saying whose positions it compared, when one "
	    "still is; a node that will never come back is forgotten with crm_attribute "
	    "--node NODE --name pgwarm-RSC-position --lifetime forever --delete. Demote ships "
	    "the last segment first and records its shutdown checkpoint, which the new primary "
	    "must have replayed: a planned switchover loses nothing. A standby that replayed "
	    "past the fork point of the newest timeline (or whose timeline is not an ancestor "
	    "of it) fails its monitor, and the restart repairs it by failback (pg_rewind or "
	    "pg_basebackup from the primary; failback=manual says what to run); so does a "
	    "former primary. Every promotion is logged with its position and the positions it "
	    "compared. Monitor publishes archiver health as node attributes "
	    "pgwarm-RSC-archive-failed, -last-archived and -archive-lag, and a standby whose "
	    "score is withheld says why in pgwarm-RSC-not-promotable (crm_mon -A). "
	    "Everything the agent "
	    "writes in the data directory is written as system_user, so a symlink there "
	    "cannot redirect root. Fencing is required: Pacemaker promotes over a lost node "
	    "only once it is fenced, which is what keeps a primary behind a network cut from "
	    "taking writes that the heal throws away. In a 2-node cluster with "
	    "stonith-enabled=false a standby refuses to be promoted while its peer is gone "
	    "(unfenced_promote); a node that returns unfenced still running a primary while "
	    "another node is on a newer timeline stops it and starts as a standby. Use "
	    "no-quorum-policy=demote, and in 2 nodes a priority on the clone with "
	    "priority-fencing-delay, so the side holding the primary wins a fence race.",
	.params = params,
	.actions = actions,
	.validate = pgwarm_validate,
	.setup = pgwarm_setup,
	.teardown = pgwarm_teardown,
};

int
main(int argc, char **argv)
{
	return ocf_main(&agent, argc, argv);
}
