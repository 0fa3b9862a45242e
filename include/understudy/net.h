/* TCP connections with a deadline, for the SSH transport and the health
 * checks alike. */
#ifndef UNDERSTUDY_NET_H
#define UNDERSTUDY_NET_H

#include <stddef.h>

/* Connects to host:port (any address family getaddrinfo offers, in order)
 * within timeout_ms; returns a blocking, close-on-exec socket, or -1 with
 * errno set (ETIMEDOUT on timeout) and why filled ("connect: …" or the
 * resolver's message). */
int	 net_connect(const char *host, unsigned port, int timeout_ms, char *why, size_t whylen);

#endif
