/* The pgwarm-receive daemon's loop: connect, check, stream, land, report;
 * reconnect with backoff until *stop. See recv.h. */
#ifndef PGWARM_RECVD_H
#define PGWARM_RECVD_H
#include <signal.h>

struct recvd_conf {
	const char	*archive_dir;
	const char	*pgdata;	/* its pg_control's system identifier must match */
	const char	*conninfo;	/* replication connection to whichever node is primary */
	int		 status_fd;	/* rewritten in place (recv_status_format) */
};

/* Returns when *stop is set, after fsyncing and reporting what arrived. */
void	 recvd_run(const struct recvd_conf *, volatile sig_atomic_t *stop);
#endif
