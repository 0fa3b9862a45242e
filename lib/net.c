/* TCP connect with a deadline, local peer credentials; see
 * include/understudy/net.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "understudy/net.h"

static int
connect_one(const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, soerr = 0, fl;

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) == -1)
		return -1;
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto bad;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) != 1) {
			errno = ETIMEDOUT;
			goto bad;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1 || soerr) {
			errno = soerr ? soerr : errno;
			goto bad;
		}
	}
	fcntl(fd, F_SETFL, fl);
	return fd;
bad:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

int
net_connect(const char *host, unsigned port, int timeout_ms, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char sport[8];
	int rc, fd = -1, err = 0;

	snprintf(sport, sizeof(sport), "%u", port);
	if ((rc = getaddrinfo(host, sport, &hints, &res)) != 0) {
		snprintf(why, whylen, "%s", gai_strerror(rc));
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai && fd == -1; ai = ai->ai_next)
		if ((fd = connect_one(ai, timeout_ms)) == -1)
			err = errno;
	freeaddrinfo(res);
	if (fd == -1) {
		snprintf(why, whylen, "connect: %s", strerror(err));
		errno = err;
	}
	return fd;
}

int
net_peer_is(int fd, uid_t uid, uid_t *peer_uid, pid_t *peer_pid, char *why, size_t whylen)
{
	struct ucred cred = { .pid = -1, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	socklen_t len = sizeof(cred);
	struct passwd *pw;

	if (peer_uid)
		*peer_uid = (uid_t)-1;
	if (peer_pid)
		*peer_pid = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		snprintf(why, whylen, "SO_PEERCRED: %s", strerror(errno));
		return -1;
	}
	if (peer_uid)
		*peer_uid = cred.uid;
	if (peer_pid)
		*peer_pid = cred.pid;
	if (cred.uid == uid)
		return 0;
	/* The name helps whoever reads the log find the process. */
	pw = getpwuid(cred.uid);
	snprintf(why, whylen, "uid %u%s%s%s pid %ld", (unsigned)cred.uid, pw ? " (" : "",
	    pw ? pw->pw_name : "", pw ? ")" : "", (long)cred.pid);
	return -1;
}
