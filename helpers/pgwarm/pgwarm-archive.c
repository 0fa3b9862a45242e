/* pgwarm-archive: PostgreSQL's archive_command, and its remote end.
 *
 *   pgwarm-archive [-c CONF] [--direct] %p %f    archive one file
 *   pgwarm-archive --receive DIR                 the remote end (over SSH)
 *   pgwarm-archive [-c CONF] --daemon            the shipper (started on demand)
 *
 * Exit 0 only when the file is durable on the peers archive_require names;
 * 1 for every failure, so PostgreSQL retries (never above 125). */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "understudy/clock.h"
#include "understudy/log.h"
#include "archd.h"
#include "ship.h"
#include "wal.h"
#include "wire.h"

#define EXIT_RETRY	1	/* PostgreSQL keeps the segment and retries */
#define CONF_DEFAULT	"pgwarm-archive.conf"	/* in the data directory (cwd) */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pgwarm-archive [-c CONF] [--direct] WALPATH WALNAME   (archive_command %%p %%f)\n"
	    "       pgwarm-archive --receive ARCHIVE_DIR\n"
	    "       pgwarm-archive [-c CONF] --daemon\n");
	exit(EXIT_RETRY);
}

static int
ship_direct(const struct ship_conf *c, const char *path, const char *name)
{
	struct ship_file f = { .path = path, .name = name };
	struct shipper *sh = ship_new(c);

	if (sh == NULL)
		fatal(EXIT_RETRY, "out of memory");
	ship_batch(sh, &f, 1);
	ship_free(sh);
	if (!f.ok) {
		log_err("%s not archived: %s", name, f.err);
		return EXIT_RETRY;
	}
	return 0;
}

/* Through the daemon: start it if nobody answers, fall back to shipping
 * ourselves if it cannot be started. */
static int
ship_via_daemon(const struct ship_conf *c, const char *conf_path, const char *name)
{
	char sock[128], why[1300], self[PATH_MAX];
	int timeout = c->connect_timeout_ms + 2 * c->io_timeout_ms;
	long give_up = clock_ms() + 3000;
	ssize_t n;
	int rc;

	if (archd_socket_name(sock, sizeof(sock)) == -1)
		return -2;
	rc = archd_request(sock, name, timeout, why, sizeof(why));
	if (rc == 1 && (n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		archd_spawn(self, conf_path);
		while ((rc = archd_request(sock, name, timeout, why, sizeof(why))) == 1 &&
		    clock_ms() < give_up)
			usleep(20000);
	}
	if (rc == 1)
		return -2;
	if (rc == -1) {
		log_err("%s not archived: %s", name, why);
		return EXIT_RETRY;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "direct", no_argument, NULL, 'D' },
		{ "receive", required_argument, NULL, 'R' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf_path = CONF_DEFAULT, *receive = NULL;
	int direct = 0, daemon_mode = 0, verbose = 0, ch, rc;
	struct ship_conf c;
	char why[1024], expect[128];

	while ((ch = getopt_long(argc, argv, "c:v", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'D': direct = 1; break;
		case 'R': receive = optarg; break;
		case 'd': daemon_mode = 1; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	log_init(daemon_mode ? "pgwarm-archive[shipper]" : "pgwarm-archive", !daemon_mode, verbose);
	if (daemon_mode) {
		/* The shipper's stderr is the server log (see archd_spawn): only
		 * what stops it goes there; the rest is for syslog. */
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_REMOVE, QB_LOG_FILTER_FILE, "*",
		    verbose ? LOG_DEBUG : LOG_INFO);
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", LOG_ERR);
		qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
	}
	if (receive) {
		if (optind != argc)
			usage();
		return wire_receive(receive, 0, 1) == 0 ? 0 : EXIT_RETRY;
	}
	if (daemon_mode ? optind != argc : optind + 2 != argc)
		usage();
	if (ship_conf_load(conf_path, &c, why, sizeof(why)) == -1)
		fatal(EXIT_RETRY, "%s", why);
	if (daemon_mode) {
		char sock[128];

		rc = archd_socket_name(sock, sizeof(sock)) == -1 ? -1 : archd_run(&c, sock);
		ship_conf_free(&c);
		return rc == -1 ? EXIT_RETRY : 0;
	}
	if (wal_kind(argv[optind + 1]) == WAL_NONE)
		fatal(EXIT_RETRY, "%s: not a WAL file name", argv[optind + 1]);
	/* The daemon only ever reads pg_wal/<name> of its own data directory. */
	snprintf(expect, sizeof(expect), "pg_wal/%s", argv[optind + 1]);
	rc = -2;
	if (!direct && strcmp(argv[optind], expect) == 0)
		rc = ship_via_daemon(&c, conf_path, argv[optind + 1]);
	if (rc == -2)
		rc = ship_direct(&c, argv[optind], argv[optind + 1]);
	ship_conf_free(&c);
	return rc;
}
