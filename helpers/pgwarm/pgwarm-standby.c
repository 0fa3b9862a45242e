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
 * promote now (the file is truncated to a smart trigger, as pg_standby
 * does). The trigger file counts only as a regular file of root or of the
 * server's user: anything else is logged and ignored. -l (link) is accepted and copies, like -c: a hard link would
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

/* Why a trigger file is not honoured, or NULL: it must be a regular file
 * of root or of the server's user (ours), as anyone can write in /tmp, where
 * pg_standby's documentation puts it. */
static const char *
trigger_refused(const struct stat *st)
{
	static char why[96];

	if (S_ISLNK(st->st_mode))
		return "a symbolic link";
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(why, sizeof(why), "owned by uid %u, neither root nor the server's user",
		    (unsigned)st->st_uid);
		return why;
	}
	return NULL;
}

static enum trigger
trigger_check(const char *path)
{
	static int warned;
	const char *refused;
	struct stat st, fst;
	char buf[16] = "";
	ssize_t n;
	int fd;

	/* lstat first: opening a FIFO or a device has effects of its own. */
	if (path == NULL || lstat(path, &st) == -1)
		return TRIGGER_NONE;
	if ((refused = trigger_refused(&st)) == NULL) {
		/* Read-write to turn "fast" into "smart", like pg_standby; a root
		 * file we may only read still counts. */
		if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1 &&
		    errno == EACCES)
			fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd == -1)
			refused = strerror(errno);
		else if (fstat(fd, &fst) == -1 || (refused = trigger_refused(&fst)) != NULL ||
		    fst.st_ino != st.st_ino || fst.st_dev != st.st_dev) {
			refused = refused ? refused : "replaced while being opened";
			close(fd);
		}
	}
	if (refused) {
		if (!warned++)
			log_warn("trigger file %s ignored: %s", path, refused);
		return TRIGGER_NONE;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (strncmp(buf, "fast", 4) == 0) {
		/* Now a smart trigger: a request after recovery has ended (the
		 * server asks again for what it already restored) is answered at
		 * once instead of waiting for a file that never comes. */
		if (ftruncate(fd, 0) == -1)
			log_warn("trigger file %s: cannot truncate: %s", path, strerror(errno));
		close(fd);
		return TRIGGER_FAST;
	}
	close(fd);
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

/* A smart trigger is removed once it has ended recovery; a fast one was
 * made smart (see trigger_check) and goes at the next request. */
static int
end_recovery(const struct opts *o, enum trigger t)
{
	log_info("trigger file %s found: %s failover, ending recovery", o->trigger,
	    t == TRIGGER_FAST ? "fast" : "smart");
	if (t == TRIGGER_SMART)
		unlink(o->trigger);
	return 1;
}

/* pg_standby's --help, to stdout. */
static void
help(void)
{
	printf("pgwarm-standby allows PostgreSQL warm standby servers to be configured.\n\n"
	    "Usage:\n"
	    "  pgwarm-standby [OPTION]... ARCHIVELOCATION NEXTWALFILE XLOGFILEPATH [RESTARTWALFILE]\n"
	    "\nOptions:\n"
	    "  -c                 copy file from archive (default)\n"
	    "  -d                 generate lots of debugging output (testing only)\n"
	    "  -k NUMFILESTOKEEP  accepted for compatibility; cleanup follows RESTARTWALFILE\n"
	    "  -l                 does nothing; use of link is now deprecated\n"
	    "  -r MAXRETRIES      max number of times to retry a failed copy (default=3)\n"
	    "  -s SLEEPTIME       seconds to wait between file checks (min=1, max=60,\n"
	    "                     default=5)\n"
	    "  -t TRIGGERFILE     trigger file to initiate failover (no default); honoured\n"
	    "                     only as a regular file of root or the server's user\n"
	    "  -V, --version      output version information, then exit\n"
	    "  -w MAXWAITTIME     max seconds to wait for a file (0=no limit) (default=0)\n"
	    "  -?, --help         show this help, then exit\n"
	    "\n"
	    "Main intended use as restore_command in postgresql.conf:\n"
	    "  restore_command = 'pgwarm-standby [OPTION]... ARCHIVELOCATION %%f %%p %%r'\n"
	    "e.g.\n"
	    "  restore_command = 'pgwarm-standby /mnt/server/archiverdir %%f %%p %%r'\n"
	    "\nReport bugs to <%s>.\n", PACKAGE_BUGREPORT);
}

int
main(int argc, char **argv)
{
	struct opts o = { .sleep_s = 5, .max_retries = 3 };
	long waited_ms = 0, start = clock_ms();
	char why[1024];
	enum copy_result r;
	int ch;

	/* As pg_standby: only as the first argument. */
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-?") == 0)) {
		help();
		return 0;
	}
	if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		puts("pgwarm-standby (" PACKAGE_NAME ") " PACKAGE_VERSION);
		return 0;
	}
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
			return end_recovery(&o, t);
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
			return end_recovery(&o, t);	/* an incomplete copy is waited for */
		waited_ms = clock_ms() - start;
		if (o.max_wait_s > 0 && waited_ms >= o.max_wait_s * 1000) {
			log_warn("%s not there after %ld s (-w): ending recovery", o.next, o.max_wait_s);
			return 1;
		}
		sleep((unsigned)o.sleep_s);
	}
}
