/* pgwarm-restore: restore_command and archive_cleanup_command.
 *
 *   pgwarm-restore [-c CONF | -d ARCHIVE_DIR] WALNAME DESTPATH    (%f %p)
 *   pgwarm-restore [-c CONF | -d ARCHIVE_DIR] --cleanup RESTARTWAL [--dry-run]   (%r)
 *
 * A file not in the archive exits 1 at once, quietly: PostgreSQL asks for
 * files that do not exist yet as a matter of course. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "understudy/conf.h"
#include "understudy/log.h"
#include "copy.h"
#include "wal.h"

#define EXIT_NOFILE	1

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pgwarm-restore [-c CONF | -d ARCHIVE_DIR] WALNAME DESTPATH   (restore_command %%f %%p)\n"
	    "       pgwarm-restore [-c CONF | -d ARCHIVE_DIR] --cleanup RESTARTWAL [--dry-run]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "archive-dir", required_argument, NULL, 'd' },
		{ "cleanup", required_argument, NULL, 'C' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf_path = "pgwarm-archive.conf", *dir = NULL, *cleanup = NULL;
	int ch, dry = 0, verbose = 0, n;
	struct conf c = { 0 };
	char why[1024];

	while ((ch = getopt_long(argc, argv, "c:d:v", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'd': dir = optarg; break;
		case 'C': cleanup = optarg; break;
		case 'n': dry = 1; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	log_init("pgwarm-restore", 1, verbose);
	if (cleanup ? optind != argc : optind + 2 != argc)
		usage();
	if (dir == NULL) {
		if (conf_load(conf_path, &c, why, sizeof(why)) == -1)
			fatal(2, "%s", why);
		if ((dir = conf_get(&c, "archive_dir")) == NULL)
			fatal(2, "%s: no archive_dir", conf_path);
	}
	if (cleanup) {
		if ((n = wal_cleanup(dir, cleanup, dry, why, sizeof(why))) == -1)
			fatal(2, "cleanup: %s", why);
		log_debug("cleanup before %s: %d file(s)", cleanup, n);
		conf_free(&c);
		return 0;
	}
	switch (copy_restore(dir, argv[optind], argv[optind + 1], why, sizeof(why))) {
	case COPY_OK:
		log_debug("restored %s", argv[optind]);
		conf_free(&c);
		return 0;
	case COPY_ABSENT:
		log_debug("%s", why);
		break;
	case COPY_INCOMPLETE:
	case COPY_FAILED:
		log_err("%s not restored: %s", argv[optind], why);
		break;
	}
	conf_free(&c);
	return EXIT_NOFILE;
}
