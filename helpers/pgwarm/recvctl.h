/* The agent's side of pgwarm-receive: start it, find it, stop it, read
 * its status. The pid and status files live in the agent's own directory
 * (HA_RSCTMP, root's), opened by the receiver before it becomes the
 * server's user: what the agent signals and reads is never a file that
 * user could have planted. */
#ifndef PGWARM_RECVCTL_H
#define PGWARM_RECVCTL_H
#include <stddef.h>
#include "recv.h"

struct recvctl {
	const char	*prog;		/* pgwarm-receive */
	const char	*conf;		/* PGDATA/pgwarm-archive.conf */
	const char	*user;		/* system_user */
	const char	*logfile;	/* the server log, opened as user */
	char		 pidfile[4096];
	char		 status[4096];
};

/* Started unless running; 0, or -1 with why. */
int	 recvctl_start(const struct recvctl *, char *why, size_t whylen);
/* The running receiver's pid, 0 when none. */
long	 recvctl_pid(const struct recvctl *);
/* SIGTERM (it fsyncs and reports), SIGKILL at until_ms; 0 once gone. */
int	 recvctl_stop(const struct recvctl *, long until_ms);
/* The last status it wrote; -1 when there is none or it is not whole. */
int	 recvctl_status(const struct recvctl *, struct recv_status *);
#endif
