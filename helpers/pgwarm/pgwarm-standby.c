/* pgwarm-standby: a drop-in for contrib's pg_standby, which PostgreSQL 14
 * removed, so a restore_command written for it keeps working on 15:
 *
 *   restore_command = 'pgwarm-standby -l -d -s 2 -t /tmp/pgsql.trigger.5432
 *                      /var/lib/pgsql/walfiles %f %p %r'
 *
 * Use it with recovery.signal (archive recovery), not standby.signal, and
 * with recovery_prefetch = off: PostgreSQL 15 decodes WAL ahead of replay,
 * so while this program waits for the next segment the records already
 * read would wait with it (the commit at the end of a switched segment
 * stays invisible). It
 * waits for each segment itself, and its exit 1 ends recovery, which is
 * how the trigger file promotes. Trigger file contents: "smart" (or empty):
 * restore every segment already in the archive, then promote; "fast":
 * promote now. -l (link) is accepted and copies, like -c: a hard link would
 * let recovery scribble on the archive. -k is accepted for compatibility;
 * cleanup follows RESTARTWALFILE, as archive_cleanup_command would. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "understudy/clock.h"
#include "understudy/log.h"
#include "understudy/ocf.h"
#include "copy.h"
#include "wal.h"

enum trigger { TRIGGER_NONE, TRIGGER_SMART, TRIGGER_FAST };

struct opts {
	long		 sleep_s, max_wait_s, max_retries;
	const char	*trigger;
	int		 debug;
	const char	*dir, *next, *dest, *restart;
};

static void
usage(void)
{
	fprintf(stderr, "usage: pgwarm-standby [-c] [-l] [-d] [-k N] [-r MAXRETRIES] "
	    "[-s SLEEP] [-t TRIGGERFILE] [-w MAXWAIT]\n"
	    "       ARCHIVELOCATION NEXTWALFILE XLOGFILEPATH [RESTARTWALFILE]\n");
	exit(2);
}

static long
num_arg(const char *opt, const char *v, long min, long max)
{
	long n;

	if (ocf_parse_long(v, &n) == -1 || n < min || n > max)
		fatal(2, "-%s %s: want a number from %ld to %ld", opt, v, min, max);
	return n;
}

static enum trigger
trigger_check(const char *path)
{
	char buf[16] = "";
	ssize_t n;
	int fd;

	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return TRIGGER_NONE;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (strncmp(buf, "fast", 4) == 0)
		return TRIGGER_FAST;
	if (n > 0 && strncmp(buf, "smart", 5) != 0)
		log_warn("trigger file %s: unknown content; doing a smart failover", path);
	return TRIGGER_SMART;
}

static int
restore(const struct opts *o, char *why, size_t whylen)
{
	enum copy_result r = COPY_FAILED;

	for (long i = 0; i <= o->max_retries; i++) {
		if ((r = copy_restore(o->dir, o->next, o->dest, why, whylen)) != COPY_FAILED)
			break;
		log_warn("%s (attempt %ld)", why, i + 1);
		sleep((unsigned)o->sleep_s);
	}
	if (r == COPY_OK && o->restart && wal_kind(o->restart) == WAL_SEGMENT)
		wal_cleanup(o->dir, o->restart, 0, why, whylen);
	return r;
}

static int
end_recovery(const struct opts *o, const char *how)
{
	log_info("trigger file %s found: %s failover, ending recovery", o->trigger, how);
	unlink(o->trigger);
	return 1;
}

int
main(int argc, char **argv)
{
	struct opts o = { .sleep_s = 5, .max_retries = 3 };
	long waited_ms = 0, start = clock_ms();
	char why[1024];
	enum copy_result r;
	int ch;

	while ((ch = getopt(argc, argv, "cdk:lr:s:t:w:")) != -1) {
		switch (ch) {
		case 'c': case 'l': break;
		case 'd': o.debug = 1; break;
		case 'k': num_arg("k", optarg, 0, 1000000); break;
		case 'r': o.max_retries = num_arg("r", optarg, 0, 1000); break;
		case 's': o.sleep_s = num_arg("s", optarg, 1, 60); break;
		case 't': o.trigger = optarg; break;
		case 'w': o.max_wait_s = num_arg("w", optarg, 0, 86400 * 365); break;
		default: usage();
		}
	}
	if (argc - optind < 3 || argc - optind > 4)
		usage();
	o.dir = argv[optind];
	o.next = argv[optind + 1];
	o.dest = argv[optind + 2];
	o.restart = argc - optind == 4 ? argv[optind + 3] : NULL;
	log_init("pgwarm-standby", 1, o.debug);
	log_debug("waiting for %s in %s", o.next, o.dir);
	/* Timeline history and backup files are wanted only if they exist. */
	if (wal_kind(o.next) != WAL_SEGMENT && wal_kind(o.next) != WAL_PARTIAL)
		return copy_restore(o.dir, o.next, o.dest, why, sizeof(why)) == COPY_OK ? 0 : 1;
	for (;;) {
		enum trigger t = trigger_check(o.trigger);

		if (t == TRIGGER_FAST)
			return end_recovery(&o, "fast");
		r = restore(&o, why, sizeof(why));
		if (r == COPY_OK) {
			log_debug("restored %s after %ld ms", o.next, clock_ms() - start);
			return 0;
		}
		if (r == COPY_FAILED) {
			log_err("%s: giving up after %ld retries", why, o.max_retries);
			return 1;
		}
		if (t == TRIGGER_SMART && r == COPY_ABSENT)
			return end_recovery(&o, "smart");	/* an incomplete copy is waited for */
		waited_ms = clock_ms() - start;
		if (o.max_wait_s > 0 && waited_ms >= o.max_wait_s * 1000) {
			log_warn("%s not there after %ld s (-w): ending recovery", o.next, o.max_wait_s);
			return 1;
		}
		sleep((unsigned)o.sleep_s);
	}
}
