/* pgwarm-receive: streams WAL from the primary into archive_dir (recv.h).
 *
 *   pgwarm-receive -c PGDATA/pgwarm-archive.conf [-u USER] [-p PIDFILE] [-s STATUS]
 *                  [-l LOGFILE]
 *
 * The agent starts it as root on every standby: the pid file and the
 * status file are opened (in the agent's own directory) before it becomes
 * USER, the server's user, and everything else (the configuration in the
 * data directory, archive_dir, the connection) is done as USER. It
 * connects to whichever node of nodes is primary (application_name = self,
 * the name synchronous_standby_names lists) and runs until SIGTERM. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "understudy/buf.h"
#include "understudy/lock.h"
#include "understudy/log.h"
#include "understudy/run.h"
#include "pgctl.h"
#include "recvd.h"
#include "ship.h"

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(FILE *to, int code)
{
	fprintf(to, "usage: pgwarm-receive -c PGDATA/pgwarm-archive.conf [-u USER] "
	    "[-p PIDFILE] [-s STATUSFILE] [-l LOGFILE]\n"
	    "Streams WAL from the primary among the configuration's nodes into its "
	    "archive_dir.\n");
	exit(code);
}

/* The replication connection: every other node, whichever is primary. */
static void
conninfo(const struct ship_conf *c, struct buf *b)
{
	struct buf hosts = BUF_INIT;

	for (size_t i = 0; i < c->nodes.n; i++)
		if (strcmp(c->nodes.v[i].name, c->self) != 0)
			buf_printf(&hosts, "%s%s", hosts.len ? "," : "", c->nodes.v[i].addr);
	buf_puts(b, "host=");
	pg_ci_quote(b, buf_str(&hosts));
	buf_printf(b, " port=%ld replication=true dbname=replication application_name=",
	    c->pgport);
	pg_ci_quote(b, c->self);
	/* A primary node that vanished is noticed within seconds (the status
	 * goes out every second, unacknowledged for 5 s ends it), so the
	 * receiver moves to the new primary as soon as there is one. */
	buf_puts(b, " target_session_attrs=primary connect_timeout=2 keepalives=1 "
	    "keepalives_idle=2 keepalives_interval=1 keepalives_count=3 tcp_user_timeout=5000");
	buf_free(&hosts);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf = NULL, *user = NULL, *pidfile = NULL, *status = NULL, *logf = NULL;
	struct lock pidlock = LOCK_INIT;
	struct ship_conf sc;
	struct buf ci = BUF_INIT;
	char why[1024], pgdata[PATH_MAX], *slash;
	struct recvd_conf rc;
	struct sigaction sa = { .sa_handler = on_term };
	int ch, status_fd = -1;

	while ((ch = getopt_long(argc, argv, "c:u:p:s:l:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pidfile = optarg; break;
		case 's': status = optarg; break;
		case 'l': logf = optarg; break;
		case 'h': usage(stdout, 0); break;
		case 'V': printf("pgwarm-receive %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr, 2);
		}
	}
	if (conf == NULL || optind != argc)
		usage(stderr, 2);
	log_init("pgwarm-receive", 1, getenv("PGWARM_DEBUG") != NULL);
	if (pidfile) {
		if (lock_acquire(&pidlock, pidfile, 0) != LOCK_OK)
			fatal(1, "another pgwarm-receive holds %s", pidfile);
		if (ftruncate(pidlock.fd, 0) == 0)
			dprintf(pidlock.fd, "%ld\n", (long)getpid());
	}
	status_fd = open(status ? status : "/dev/null", O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (status_fd == -1)
		fatal(1, "%s: %s", status, strerror(errno));
	/* Whatever an earlier receiver left says nothing about this one. */
	if (ftruncate(status_fd, 0) == -1)
		fatal(1, "%s: %s", status, strerror(errno));
	if (user) {
		struct passwd *pw = getpwnam(user);

		if (pw == NULL || run_become(pw) != 0)
			fatal(1, "cannot become %s", user);
	}
	/* The server log, opened as its user: a symlink there is theirs. */
	if (logf) {
		int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (fd == -1)
			fatal(1, "%s: %s", logf, strerror(errno));
		dup2(fd, 2);
		close(fd);
	}
	if (ship_conf_load(conf, &sc, why, sizeof(why)) == -1)
		fatal(1, "%s", why);
	/* The configuration lives in the data directory. */
	if (realpath(conf, pgdata) == NULL)
		fatal(1, "%s: %s", conf, strerror(errno));
	if ((slash = strrchr(pgdata, '/')) != NULL)
		*slash = '\0';
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	conninfo(&sc, &ci);
	rc = (struct recvd_conf){ sc.archive_dir, pgdata, buf_str(&ci), status_fd };
	recvd_run(&rc, &stop);
	buf_free(&ci);
	ship_conf_free(&sc);
	close(status_fd);
	lock_release(&pidlock);
	return 0;
}
