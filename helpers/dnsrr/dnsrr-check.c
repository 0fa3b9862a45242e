/* dnsrr-check: one health check from the command line.
 *   dnsrr-check [-t MS] [-s REQUEST] [-e EXPECT] HOST PORT
 *   dnsrr-check [-t MS] -l 'ip|hostname|service|script|request|response'
 * Exit 0 when the service answered as expected, 1 when the check failed,
 * 2 for a usage or parse error. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static void
usage(void)
{
	fprintf(stderr, "usage: dnsrr-check [-t ms] [-s request] [-e expect] host port\n"
	    "       dnsrr-check [-t ms] -l 'ip|hostname|service|script|request|response'\n");
	exit(2);
}

static int
copy_opt(char *dst, size_t len, const char *src, const char *what)
{
	if (strlen(src) >= len) {
		fprintf(stderr, "dnsrr-check: %s longer than %zu bytes\n", what, len - 1);
		exit(2);
	}
	snprintf(dst, len, "%s", src);
	return 0;
}

int
main(int argc, char **argv)
{
	struct seed_check sc;
	struct check_result r;
	const char *line = NULL;
	char why[256], *end;
	int ch, timeout = 5000;
	long port;

	memset(&sc, 0, sizeof(sc));
	while ((ch = getopt(argc, argv, "t:s:e:l:")) != -1) {
		switch (ch) {
		case 't':
			timeout = (int)strtol(optarg, &end, 10);
			if (*end || timeout < 1 || timeout > 600000)
				usage();
			break;
		case 's': copy_opt(sc.spec.send, sizeof(sc.spec.send), optarg, "request"); break;
		case 'e': copy_opt(sc.spec.expect, sizeof(sc.spec.expect), optarg, "expect"); break;
		case 'l': line = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (line) {
		if (argc != 0)
			usage();
		if (seed_check_parse(line, &sc, why, sizeof(why)) == -1) {
			fprintf(stderr, "dnsrr-check: %s\n", why);
			return 2;
		}
	} else {
		if (argc != 2)
			usage();
		port = strtol(argv[1], &end, 10);
		if (*end || port < 1 || port > 65535)
			usage();
		copy_opt(sc.spec.host, sizeof(sc.spec.host), argv[0], "host");
		sc.spec.port = (unsigned)port;
	}
	sc.spec.timeout_ms = timeout;
	check_run(&sc.spec, &r);
	printf("%s: %s port %u: %s: %s\n", r.status == CHECK_OK ? "ok" : "fail", sc.spec.host,
	    sc.spec.port, check_status_str(r.status), r.detail);
	return r.status == CHECK_OK ? 0 : 1;
}
