/* haresources2crm — Heartbeat v1 haresources lines as Pacemaker
 * configuration: a group per line, in line order, preferring its node.
 *
 *   haresources2crm [--pcs] [--systemd] [--conf-dir DIR] [FILE|-]
 *
 * Bare addresses and IPaddr::/IPaddr2:: become ocf:heartbeat:IPaddr2,
 * IPv6addr:: ocf:heartbeat:IPv6addr, Filesystem:: ocf:heartbeat:Filesystem,
 * pgwarm/mirror/dnsrr/zmworker ocf:understudy:* with the settings of their
 * legacy DIR/AGENT.conf (default /etc/understudy) and the "::" argument,
 * any other name an init script (lsb:, or systemd: with --systemd).
 * Exit status: 0 converted, 1 a line that cannot be (FILE:LINE:COL: why on
 * stderr, nothing on stdout), 2 usage. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "understudy/buf.h"
#include "understudy/conf.h"
#include "hares.h"

#define INPUT_MAX	(4 << 20)

static int
agent_conf(const char *agent, hr_add_fn add, void *arg, void *ctx)
{
	const char *dir = ctx;
	char path[4096], why[512];
	struct conf c;

	snprintf(path, sizeof(path), "%s/%s.conf", dir, agent);
	if (access(path, F_OK) != 0)
		return -1;
	if (conf_load(path, &c, why, sizeof(why)) != 0) {
		fprintf(stderr, "haresources2crm: %s (ignored)\n", why);
		return -1;
	}
	for (size_t i = 0; i < c.n; i++)
		add(c.v[i].key, c.v[i].value, arg);
	conf_free(&c);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: haresources2crm [--pcs] [--systemd] [--conf-dir DIR] [FILE|-]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pcs", no_argument, NULL, 'p' },
		{ "systemd", no_argument, NULL, 's' },
		{ "conf-dir", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = "-";
	char confdir[4096] = "/etc/understudy";
	enum hr_format fmt = HR_CRM;
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct hr_file f;
	char why[512];
	int ch, systemd = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': fmt = HR_PCS; break;
		case 's': systemd = 1; break;
		case 'c': snprintf(confdir, sizeof(confdir), "%s", optarg); break;
		default: usage();
		}
	}
	if (argc - optind > 1)
		usage();
	if (optind < argc)
		path = argv[optind];
	if (strcmp(path, "-") == 0) {
		char chunk[65536];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0 && in.len < INPUT_MAX)
			buf_append(&in, chunk, n);
	} else if (buf_read_file(&in, path, INPUT_MAX) != 0) {
		perror(path);
		return 1;
	}
	if (hr_parse(in.data ? in.data : "", in.len, agent_conf, confdir, &f, why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "%s:%s\n", strcmp(path, "-") == 0 ? "stdin" : path, why);
		buf_free(&in);
		return 1;
	}
	hr_emit(&f, fmt, systemd, &out);
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
	hr_free(&f);
	buf_free(&in);
	buf_free(&out);
	return 0;
}
