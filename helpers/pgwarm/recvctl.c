/* See recvctl.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "understudy/clock.h"
#include "understudy/daemon.h"
#include "recvctl.h"

long
recvctl_pid(const struct recvctl *c)
{
	return daemon_pid(c->pidfile);
}

int
recvctl_start(const struct recvctl *c, char *why, size_t whylen)
{
	const char *argv[] = { c->prog, "-c", c->conf, "-u", c->user, "-p", c->pidfile, "-s",
	    c->status, "-l", c->logfile, NULL };
	long until = clock_ms() + 5000;

	if (recvctl_pid(c) > 0)
		return 0;
	if (access(c->prog, X_OK) == -1) {
		snprintf(why, whylen, "%s: %s", c->prog, strerror(errno));
		return -1;
	}
	if (daemon_spawn(argv, NULL) == -1) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	while (recvctl_pid(c) <= 0)
		if (clock_ms() > until) {
			snprintf(why, whylen, "%s did not start (see %s)", c->prog, c->logfile);
			return -1;
		} else
			usleep(10000);
	return 0;
}

int
recvctl_stop(const struct recvctl *c, long until_ms)
{
	long pid = recvctl_pid(c);

	if (pid <= 0)
		return 0;
	kill((pid_t)pid, SIGTERM);
	if (daemon_wait_gone(c->pidfile, until_ms))
		return 0;
	if ((pid = recvctl_pid(c)) > 0)
		kill((pid_t)pid, SIGKILL);
	return daemon_wait_gone(c->pidfile, clock_ms() + 2000) ? 0 : -1;
}

int
recvctl_status(const struct recvctl *c, struct recv_status *st)
{
	char text[2048];
	ssize_t n = -1;

	for (int tries = 0; tries < 3; tries++) {	/* a rewrite caught half way */
		int fd = open(c->status, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (fd == -1)
			return -1;
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		if (n > 0 && recv_status_parse(text, (size_t)n, st) == 0)
			return 0;
		usleep(5000);
	}
	return -1;
}
