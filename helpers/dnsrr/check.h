/* Health checks as data: connect (with a timeout), optionally send one
 * request line (CRLF added; an HTTP request line also gets the blank line
 * that ends its header), expect a fragment in the first reply bytes.
 * The result names the step that failed and what was received. */
#ifndef UNDERSTUDY_DNSRR_CHECK_H
#define UNDERSTUDY_DNSRR_CHECK_H

#include <stddef.h>

#define CHECK_REPLY_MAX	4096	/* the fragment must show up within these bytes */

struct check_spec {
	char		host[256];
	unsigned	port;
	char		send[512];	/* "" = send nothing */
	char		expect[256];	/* "" = a connection is enough */
	int		timeout_ms;	/* for the whole check */
};

enum check_status {
	CHECK_OK,
	CHECK_RESOLVE,		/* host name did not resolve */
	CHECK_REFUSED,		/* connection refused */
	CHECK_CONNECT,		/* other connect error (unreachable, …) */
	CHECK_TIMEOUT,		/* no connection or no full answer in time */
	CHECK_SEND,		/* the request could not be written */
	CHECK_CLOSED,		/* peer closed before the fragment came */
	CHECK_MISMATCH		/* reply came, fragment not in it */
};

struct check_result {
	enum check_status status;
	long		elapsed_ms;
	char		detail[320];
};

enum check_status check_run(const struct check_spec *, struct check_result *);
/* Runs n checks at once on one libqb main loop (epoll); each keeps its
 * own deadline as a loop timer. */
void	 check_round(const struct check_spec *, struct check_result *, size_t n);
const char *check_status_str(enum check_status);

/* The seed's failover-monitor line: ip|hostname|service|script|request|response
 * (service from /etc/services, TCP). */
struct seed_check {
	struct check_spec spec;
	char		name[256];	/* the round-robin name */
	char		service[64];
	char		script[64];	/* start/stop script name, no path */
};

int	 seed_check_parse(const char *line, struct seed_check *, char *why, size_t whylen);

#endif
