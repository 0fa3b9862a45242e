/* The shipper daemon; see archd.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "understudy/clock.h"
#include "understudy/daemon.h"
#include "understudy/log.h"
#include "understudy/net.h"
#include "archd.h"
#include "ring.h"
#include "wal.h"

#define ARCHD_BATCH	8
#define ARCHD_CLIENTS	16

struct client {
	int	 fd;
	char	 name[64];
};

struct archd {
	const struct ship_conf	*conf;
	struct shipper		*sh;
	struct ring		 done;		/* durable where archive_require says */
	struct client		 cl[ARCHD_CLIENTS];
	size_t			 ncl;
	long			 retry_at;	/* read-ahead backs off after a failure */
	long			 pm_pid;
};

int
archd_socket_name(char *out, size_t outlen)
{
	char cwd[PATH_MAX];
	unsigned long long h = 1469598103934665603ULL;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	for (const char *p = cwd; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(out, outlen, "understudy-pgwarm-%016llx", h);
	return 0;
}

static socklen_t
sock_addr(struct sockaddr_un *sa, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "%s", name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

static long
postmaster_pid(void)
{
	char line[32] = "";
	FILE *f = fopen("postmaster.pid", "r");

	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	return strtol(line, NULL, 10);
}

static int
postmaster_alive(const struct archd *d)
{
	return d->pm_pid > 0 && postmaster_pid() == d->pm_pid && kill((pid_t)d->pm_pid, 0) == 0;
}

static void
client_reply(struct archd *d, size_t i, const char *err)
{
	char line[1200];
	int n = err ? snprintf(line, sizeof(line), "ERR %s\n", err) :
	    snprintf(line, sizeof(line), "OK\n");

	if (write(d->cl[i].fd, line, (size_t)n) != n)
		log_debug("client went away before its answer");
	close(d->cl[i].fd);
	d->cl[i] = d->cl[--d->ncl];
}

/* A request is one line, "ARCHIVE <name>", from a process of our own user:
 * anyone can connect to an abstract name, and only the server's user may
 * make us ship (or learn what is shipped). */
static void
client_accept(struct archd *d, int lfd)
{
	struct timeval tv = { 1, 0 };
	char line[128], who[128];
	ssize_t n;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) != -1) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (net_peer_is(fd, geteuid(), NULL, NULL, who, sizeof(who)) == -1) {
			log_warn("refused a request from %s: not the server's user", who);
			close(fd);
			continue;
		}
		if (d->ncl == ARCHD_CLIENTS || (n = read(fd, line, sizeof(line) - 1)) <= 0) {
			close(fd);
			continue;
		}
		line[n] = '\0';
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "ARCHIVE ", 8) != 0 || wal_kind(line + 8) == WAL_NONE) {
			if (write(fd, "ERR bad request\n", 16) < 0)
				log_debug("client went away");
			close(fd);
			continue;
		}
		d->cl[d->ncl].fd = fd;
		snprintf(d->cl[d->ncl].name, sizeof(d->cl[0].name), "%.63s", line + 8);
		d->ncl++;
	}
}

static int
name_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int hx = wal_kind(x) == WAL_HISTORY, hy = wal_kind(y) == WAL_HISTORY;

	return hx != hy ? hy - hx : strcmp(x, y);	/* history files first */
}

static int
in_batch(char names[][64], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* Requested files first, then what PostgreSQL has marked ready. */
static size_t
batch_build(struct archd *d, struct ship_file *f, char names[][64], char paths[][96])
{
	char *ready[256];
	size_t n = 0, nr = 0;
	struct dirent *de;
	DIR *dir;

	for (size_t i = 0; i < d->ncl && n < ARCHD_BATCH; i++)
		if (!ring_has(&d->done, d->cl[i].name) && !in_batch(names, n, d->cl[i].name)) {
			snprintf(names[n], 64, "%.63s", d->cl[i].name);
			n++;
		}
	if (clock_ms() >= d->retry_at && (dir = opendir("pg_wal/archive_status")) != NULL) {
		while ((de = readdir(dir)) != NULL && nr < 256) {
			size_t l = strlen(de->d_name);

			if (l > 6 && l < 64 && strcmp(de->d_name + l - 6, ".ready") == 0 &&
			    (ready[nr] = strndup(de->d_name, l - 6)) != NULL)
				nr++;
		}
		closedir(dir);
		qsort(ready, nr, sizeof(ready[0]), name_cmp);
		for (size_t i = 0; i < nr; i++) {
			if (n < ARCHD_BATCH && wal_kind(ready[i]) != WAL_NONE &&
			    !ring_has(&d->done, ready[i]) && !in_batch(names, n, ready[i])) {
				snprintf(names[n], 64, "%.63s", ready[i]);
				n++;
			}
			free(ready[i]);
		}
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(paths[i], 96, "pg_wal/%.63s", names[i]);
		f[i] = (struct ship_file){ .path = paths[i], .name = names[i] };
	}
	return n;
}

static void
batch_finish(struct archd *d, struct ship_file *f, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		if (f[i].ok) {
			ring_add(&d->done, f[i].name);
			log_debug("%s shipped", f[i].name);
		} else {
			failed = 1;
			log_warn("%s not shipped: %s", f[i].name, f[i].err);
		}
	}
	d->retry_at = failed ? clock_ms() + 1000 : 0;
	for (size_t i = 0; i < d->ncl;) {
		const char *err = NULL;

		for (size_t j = 0; j < n; j++)
			if (strcmp(f[j].name, d->cl[i].name) == 0 && !f[j].ok)
				err = f[j].err;
		if (ring_has(&d->done, d->cl[i].name) || err)
			client_reply(d, i, err);
		else
			i++;
	}
}

/* Our name is taken: by another shipper of ours (1, it serves), or by
 * someone else (-1, said loudly: archive_command will not believe it). A
 * holder that refuses connections may be a shipper between its bind and
 * its listen, so it gets a few chances. */
static int
name_holder(const struct sockaddr_un *sa, socklen_t salen, const char *sockname)
{
	char who[128] = "a process that accepts no connections";
	int rc = -1;

	for (int tries = 0; tries < 10; tries++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd == -1)
			break;
		if (connect(fd, (const struct sockaddr *)sa, salen) == 0) {
			rc = net_peer_is(fd, geteuid(), NULL, NULL, who, sizeof(who)) == 0 ? 1 : -1;
			close(fd);
			break;
		}
		close(fd);
		usleep(20000);
	}
	if (rc == -1)
		log_err("the shipper's socket name @%s is held by %s, not by this server's"
		    " user: no shipper runs, and answers on that name are not trusted", sockname,
		    who);
	return rc;
}

int
archd_run(const struct ship_conf *conf, const char *sockname)
{
	static struct archd d;
	struct ship_file f[ARCHD_BATCH];
	char names[ARCHD_BATCH][64], paths[ARCHD_BATCH][96];
	struct sockaddr_un sa;
	socklen_t salen = sock_addr(&sa, sockname);
	long next_check = 0;
	int lfd;

	d.conf = conf;
	if ((d.pm_pid = postmaster_pid()) <= 0) {
		log_err("no postmaster.pid in the current directory; not a running data directory");
		return -1;
	}
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sa, salen) == -1) {
		if (errno == EADDRINUSE)
			return name_holder(&sa, salen, sockname);
		log_err("socket: %s", strerror(errno));
		return -1;
	}
	if (listen(lfd, ARCHD_CLIENTS) == -1 || (d.sh = ship_new(conf)) == NULL) {
		log_err("cannot start: %s", strerror(errno));
		return -1;
	}
	log_info("shipping WAL to %zu peer(s) for postmaster %ld", ship_npeers(d.sh), d.pm_pid);
	for (;;) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		size_t n;

		if (clock_ms() >= next_check) {
			if (!postmaster_alive(&d))
				break;
			next_check = clock_ms() + 1000;
		}
		client_accept(&d, lfd);
		if ((n = batch_build(&d, f, names, paths)) > 0) {
			ship_batch(d.sh, f, n);
			batch_finish(&d, f, n);
			continue;
		}
		batch_finish(&d, f, 0);	/* answers requests that are already done */
		poll(&pfd, 1, 100);
	}
	log_info("postmaster %ld is gone; shipper exits", d.pm_pid);
	for (size_t i = d.ncl; i > 0; i--)
		client_reply(&d, i - 1, "shipper stopping with its postmaster");
	ship_free(d.sh);
	close(lfd);
	return 0;
}

int
archd_request(const char *sockname, const char *name, int timeout_ms, char *why, size_t whylen)
{
	struct sockaddr_un sa;
	socklen_t salen = sock_addr(&sa, sockname);
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	char line[1300], who[128];
	ssize_t n, got = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1 || connect(fd, (struct sockaddr *)&sa, salen) == -1) {
		if (fd != -1)
			close(fd);
		return 1;
	}
	/* An abstract name is anyone's to bind: only a server of our own user
	 * may tell us a file is durable. */
	if (net_peer_is(fd, geteuid(), NULL, NULL, who, sizeof(who)) == -1) {
		close(fd);
		snprintf(why, whylen, "the shipper's socket @%s is held by %s, not by this"
		    " server's user; its answer is not trusted", sockname, who);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = snprintf(line, sizeof(line), "ARCHIVE %s\n", name);
	if (write(fd, line, (size_t)n) != n) {
		close(fd);
		return 1;
	}
	while (got < (ssize_t)sizeof(line) - 1 &&
	    (n = read(fd, line + got, sizeof(line) - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (strcmp(line, "OK") == 0)
		return 0;
	snprintf(why, whylen, "%s", got == 0 ? "no answer from the shipper within the timeout" :
	    strncmp(line, "ERR ", 4) == 0 ? line + 4 : line);
	return -1;
}

int
archd_spawn(const char *self, const char *conf_path)
{
	const char *argv[] = { self, "--daemon", "-c", conf_path, NULL };

	/* What stops the shipper (its name taken, no postmaster) must reach
	 * the server log, not only syslog. */
	return daemon_spawn(argv, "/proc/self/fd/2");
}
