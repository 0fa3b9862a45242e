/* ussh: a command-line face of lib/ssh for the integration tests.
 *   ussh -H host [-p port] -u user -i key -k known_hosts [-t ms]
 *        exec CMD [ARG...] | put LOCAL REMOTE | get REMOTE LOCAL
 *        | repeat N CMD [ARG...]
 * repeat runs CMD N times, a second apart, calling ssh_ensure() before each
 * run, so a test can break the session in between and see it reconnect.
 * Exits with the remote status for exec, 0 for a transfer, and 100 + the
 * enum ssh_err value on failure, after printing the error. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "understudy/ssh.h"

static void
usage(void)
{
	fprintf(stderr, "usage: ussh -H host [-p port] -u user -i key -k known_hosts [-t ms] "
	    "exec CMD... | put LOCAL REMOTE | get REMOTE LOCAL\n");
	exit(2);
}

static int
do_exec(struct ssh_session *s, char **argv)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	enum ssh_err e;
	int status = -1;

	e = ssh_exec(s, (const char *const *)argv, NULL, 0, &out, &err, &status);
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
	fwrite(err.data ? err.data : "", 1, err.len, stderr);
	fflush(stdout);
	buf_free(&out);
	buf_free(&err);
	if (e != SSH_OK) {
		fprintf(stderr, "error: %s\n", ssh_error(s));
		return 100 + (int)e;
	}
	return status;
}

static int
do_repeat(struct ssh_session *s, int n, char **argv)
{
	enum ssh_err e;
	int rc = 0;

	for (int i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			sleep(1);
		if ((e = ssh_ensure(s)) != SSH_OK) {
			fprintf(stderr, "error: %s\n", ssh_error(s));
			return 100 + (int)e;
		}
		rc = do_exec(s, argv);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct ssh_opts o = { 0 };
	struct ssh_session *s;
	enum ssh_err e;
	int ch, rc;

	while ((ch = getopt(argc, argv, "+H:p:u:i:k:t:")) != -1) {
		switch (ch) {
		case 'H': o.host = optarg; break;
		case 'p': o.port = (unsigned)atoi(optarg); break;
		case 'u': o.user = optarg; break;
		case 'i': o.key_file = optarg; break;
		case 'k': o.known_hosts = optarg; break;
		case 't': o.connect_timeout_ms = o.io_timeout_ms = atoi(optarg); break;
		default: usage();
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 2 || !o.host || !o.user || !o.key_file || !o.known_hosts)
		usage();
	if ((s = ssh_session_new(&o)) == NULL)
		return 1;
	if ((e = ssh_connect(s)) != SSH_OK) {
		fprintf(stderr, "error: %s\n", ssh_error(s));
		ssh_session_free(s);
		return 100 + (int)e;
	}
	if (strcmp(argv[0], "exec") == 0)
		rc = do_exec(s, argv + 1);
	else if (strcmp(argv[0], "repeat") == 0 && argc >= 3)
		rc = do_repeat(s, atoi(argv[1]), argv + 2);
	else if (strcmp(argv[0], "put") == 0 && argc == 3)
		rc = (e = ssh_put(s, argv[1], argv[2], 0644)) ? 100 + (int)e : 0;
	else if (strcmp(argv[0], "get") == 0 && argc == 3)
		rc = (e = ssh_get(s, argv[1], argv[2])) ? 100 + (int)e : 0;
	else
		usage();
	if (rc >= 100 && (strcmp(argv[0], "put") == 0 || strcmp(argv[0], "get") == 0))
		fprintf(stderr, "error: %s\n", ssh_error(s));
	ssh_session_free(s);
	return rc;
}
