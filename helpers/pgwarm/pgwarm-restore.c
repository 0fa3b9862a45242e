/* pgwarm-restore: restore_command and archive_cleanup_command.
 *
 *   pgwarm-restore [-c CONF | -d ARCHIVE_DIR] WALNAME DESTPATH    (%f %p)
 *   pgwarm-restore [-c CONF | -d ARCHIVE_DIR] --cleanup RESTARTWAL [--dry-run]   (%r)
 *   pgwarm-restore -c CONF --peers WALNAME DESTPATH
 *
 * --peers also looks in the other nodes' archive_dir over SSH: pg_rewind
 * needs the old primary's own WAL back from before the fork, and that was
 * shipped away (the agent uses it for pg_rewind only).
 *
 * A file not in the archive exits 1 at once, quietly: PostgreSQL asks for
 * files that do not exist yet as a matter of course. */
#include "config.h"

#include <getopt.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "understudy/conf.h"
#include "understudy/log.h"
#include "understudy/ssh.h"
#include "copy.h"
#include "lz4file.h"
#include "recv.h"
#include "ship.h"
#include "wal.h"

#define EXIT_NOFILE	1

/* remote.lz4 into dest, decompressed within the segment's bound. */
static int
fetch_lz4(struct ssh_session *s, const char *remote, const char *name, const char *dest)
{
	char r[4200], tmp[4200], why[256];
	int rc;

	snprintf(r, sizeof(r), "%s" LZ4FILE_SUFFIX, remote);
	snprintf(tmp, sizeof(tmp), "%s.fetch" LZ4FILE_SUFFIX, dest);
	if (ssh_get(s, r, tmp) != SSH_OK)
		return -1;
	if ((rc = copy_unlz4(tmp, name, dest, why, sizeof(why))) == -1)
		log_err("%s: %s", r, why);
	unlink(tmp);
	return rc;
}

/* Copies name from the first peer whose archive_dir has it; 0 on success. */
static int
fetch_from_peers(const char *conf_path, const char *name, const char *dest)
{
	struct ship_conf c;
	char why[1024], remote[4096];
	int rc = -1;

	if (ship_conf_load(conf_path, &c, why, sizeof(why)) == -1) {
		log_err("%s", why);
		return -1;
	}
	snprintf(remote, sizeof(remote), "%s/%s", c.archive_dir, name);
	for (size_t i = 0; i < c.nodes.n && rc == -1; i++) {
		const struct node *nd = &c.nodes.v[i];
		struct ssh_session *s;
		struct ssh_opts o;

		ship_ssh_opts(&c, nd, &o);
		if (strcmp(nd->name, c.self) == 0 || (s = ssh_session_new(&o)) == NULL)
			continue;
		if (ssh_connect(s) == SSH_OK && (ssh_get(s, remote, dest) == SSH_OK ||
		    fetch_lz4(s, remote, name, dest) == 0)) {
			log_info("%s fetched from %s", name, nd->name);
			rc = 0;
		} else {
			log_debug("%s: %s", nd->name, ssh_error(s));
		}
		ssh_session_free(s);
	}
	ship_conf_free(&c);
	return rc;
}

/* During a promotion (the agent's marker beside the configuration, in the
 * data directory), the stream's partial stands in for a segment the
 * archive does not have yet: it is a whole segment, zeros after what
 * arrived, which replay reads as the end of WAL. */
static int
restore_partial(const char *conf_path, const char *dir, const char *name, const char *dest)
{
	char marker[4200], partial[64], why[1024];
	const char *slash = strrchr(conf_path, '/');

	snprintf(marker, sizeof(marker), "%.*s%s", slash ? (int)(slash - conf_path + 1) : 0,
	    conf_path, RECV_PROMOTING);
	if (wal_kind(name) != WAL_SEGMENT || access(marker, F_OK) == -1)
		return -1;
	snprintf(partial, sizeof(partial), "%s.partial", name);
	if (copy_restore(dir, partial, dest, why, sizeof(why)) != COPY_OK)
		return -1;
	if (wal_verify_file(dest, name, why, sizeof(why)) != 0) {
		log_err("%s not restored from its partial: %s", name, why);
		unlink(dest);
		return -1;
	}
	log_info("%s restored from the stream's partial (promotion)", name);
	return 0;
}

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
		{ "peers", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf_path = "pgwarm-archive.conf", *dir = NULL, *cleanup = NULL;
	int ch, dry = 0, verbose = 0, peers = 0, n;
	struct conf c = { 0 };
	char why[1024];

	while ((ch = getopt_long(argc, argv, "c:d:v", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'd': dir = optarg; break;
		case 'C': cleanup = optarg; break;
		case 'n': dry = 1; break;
		case 'p': peers = 1; break;
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
		if (restore_partial(conf_path, dir, argv[optind], argv[optind + 1]) == 0) {
			conf_free(&c);
			return 0;
		}
		if (peers && fetch_from_peers(conf_path, argv[optind], argv[optind + 1]) == 0 &&
		    wal_verify_file(argv[optind + 1], argv[optind], why, sizeof(why)) == 0) {
			conf_free(&c);
			return 0;
		}
		break;
	case COPY_INCOMPLETE:
	case COPY_FAILED:
		log_err("%s not restored: %s", argv[optind], why);
		break;
	}
	conf_free(&c);
	return EXIT_NOFILE;
}
