/* mirror-serve — the receiving end of mirror-sync, run on a peer over SSH.
 * Usage: mirror-serve --state-dir DIR [--conflict-dir DIR] [--only DIR
 * [--allow-special]] (stdin: frames, stdout: the report). --only resolves
 * every destination beneath DIR and lands nothing that grants a privilege
 * (setuid/setgid files, devices, security.* attributes) unless
 * --allow-special; with a forced command in authorized_keys, a stolen key
 * then reaches no further. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "understudy/log.h"
#include "mconf.h"
#include "serve.h"

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "conflict-dir", required_argument, NULL, 'c' },
		{ "only", required_argument, NULL, 'o' },
		{ "allow-special", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct serve_opts o = { NULL, NULL, NULL, 0 };
	int ch;

	log_init("mirror-serve", 1, getenv("MIRROR_DEBUG") != NULL);
	while ((ch = getopt_long(argc, argv, "s:c:o:ah", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': o.state_dir = optarg; break;
		case 'c': o.conflict_dir = optarg; break;
		case 'o': o.only = optarg; break;
		case 'a': o.allow_special = 1; break;
		default:
			fprintf(stderr, "usage: mirror-serve --state-dir DIR [--conflict-dir DIR] "
			    "[--only DIR [--allow-special]]\n");
			return ch == 'h' ? 0 : 2;
		}
	}
	if (o.state_dir == NULL || o.state_dir[0] != '/')
		fatal(2, "--state-dir must be an absolute path");
	if (o.only && o.only[0] != '/')
		fatal(2, "--only must be an absolute path");
	if (mirror_mkdirs(o.state_dir) == -1)
		fatal(1, "%s: %m", o.state_dir);
	return mirror_serve(&o, 0, 1) == 0 ? 0 : 1;
}
