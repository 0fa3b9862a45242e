/* TCP connections with a deadline, for the SSH transport and the health
 * checks alike; and who is at the other end of a local socket. */
#ifndef UNDERSTUDY_NET_H
#define UNDERSTUDY_NET_H

#include <stddef.h>
#include <sys/types.h>

/* Connects to host:port (any address family getaddrinfo offers, in order)
 * within timeout_ms; returns a blocking, close-on-exec socket, or -1 with
 * errno set (ETIMEDOUT on timeout) and why filled ("connect: …" or the
 * resolver's message). */
int	 net_connect(const char *host, unsigned port, int timeout_ms, char *why, size_t whylen);

/* The one way to trust a local (AF_UNIX) socket: its name proves nothing
 * (anyone may bind an abstract name first), the kernel's SO_PEERCRED does.
 * 0 when the process at the other end of the connected socket fd runs as
 * uid; -1 otherwise, why naming the peer ("uid 65534 (nobody) pid 4242")
 * or the getsockopt error. *peer_uid and *peer_pid, when not NULL, get
 * what the kernel reported (-1 when it said nothing). */
int	 net_peer_is(int fd, uid_t uid, uid_t *peer_uid, pid_t *peer_pid, char *why,
	    size_t whylen);

#endif
